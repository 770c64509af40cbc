/*
 * libspnpool: directory access.  Reads the rootDSE, the domain's names and
 * sPNMappings; resolves identities; finds every holder of an SPN in every
 * naming context with paged searches; writes exact values in single
 * modifies; wraps transactions.  Never prints: errors go to the ldb
 * context's error string, diagnostics to ldb_debug().
 */

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <ldb.h>
#include <ldb_module.h>

#include "spnpool_private.h"

#define UF_ACCOUNTDISABLE 0x00000002
#define DEFAULT_PAGE_SIZE 500

static const char *const account_attrs[] = {
	"objectClass",
	"objectGUID",
	"sAMAccountName",
	"userPrincipalName",
	"userAccountControl",
	"servicePrincipalName",
	NULL,
};

/* ---- searching ---- */

struct paged_state {
	spnpool_entry_fn fn;
	void *private_data;
	int fn_ret;
	TALLOC_CTX *cookie_ctx;
	char *cookie;
	int cookie_len;
	/* entries holding ranged SPNs: completed once the page is read
	 * (no second search may run inside this one's callback) */
	struct ldb_message **deferred;
	unsigned num_deferred;
	/* a phantom-root search: its continuation references are the
	 * naming contexts it could not search */
	struct spnpool_dir *dir;
	bool phantom;
};

static void take_cookie(struct paged_state *st, struct ldb_control **controls)
{
	size_t i;

	st->cookie = NULL;
	st->cookie_len = 0;
	for (i = 0; controls != NULL && controls[i] != NULL; i++) {
		struct ldb_paged_control *pc = NULL;

		if (controls[i]->oid == NULL ||
		    strcmp(controls[i]->oid, LDB_CONTROL_PAGED_RESULTS_OID) !=
			    0) {
			continue;
		}
		pc = talloc_get_type(controls[i]->data,
				     struct ldb_paged_control);
		if (pc != NULL && pc->cookie_len > 0) {
			st->cookie = talloc_memdup(st->cookie_ctx, pc->cookie,
						   (size_t)pc->cookie_len);
			if (st->cookie != NULL) {
				st->cookie_len = pc->cookie_len;
			}
		}
	}
}

static int defer_entry(struct paged_state *st, struct ldb_message *msg)
{
	struct ldb_message **grown =
		talloc_realloc(st->cookie_ctx, st->deferred,
			       struct ldb_message *, st->num_deferred + 1);

	if (grown == NULL) {
		return LDB_ERR_OPERATIONS_ERROR;
	}
	st->deferred = grown;
	grown[st->num_deferred++] = talloc_steal(grown, msg);
	return LDB_SUCCESS;
}

/* The deferred entries of a page: their ranges read, then passed on. */
static int flush_deferred(struct spnpool_dir *dir, struct paged_state *st)
{
	unsigned i;
	int ret = LDB_SUCCESS;

	for (i = 0; i < st->num_deferred && ret == LDB_SUCCESS; i++) {
		ret = spnpool_ranged_complete(dir->ldb, st->deferred[i],
					      "servicePrincipalName");
		if (ret == LDB_SUCCESS) {
			ret = st->fn(st->deferred[i], st->private_data);
		}
	}
	TALLOC_FREE(st->deferred);
	st->num_deferred = 0;
	return ret;
}

/*
 * A continuation reference of a phantom-root search (RFC 4511 4.5.3): a
 * naming context listed by this DC but held by another is the partial
 * scan the per-NC path warns of.  References elsewhere (another domain of
 * the forest) name nothing this DC's rootDSE promised; Samba sends none.
 */
static int phantom_reference(struct spnpool_dir *dir, const char *url)
{
	const char *dn = NULL;
	size_t i;

	if (url == NULL || strncasecmp(url, "ldap://", 7) != 0) {
		return LDB_SUCCESS;
	}
	dn = strchr(url + 7, '/');
	if (dn == NULL) {
		return LDB_SUCCESS;
	}
	dn++;
	for (i = 0; i < dir->num_naming_contexts; i++) {
		if (strcasecmp(dir->naming_contexts[i], dn) == 0) {
			break;
		}
	}
	if (i == dir->num_naming_contexts) {
		return LDB_SUCCESS;
	}
	ldb_asprintf_errstring(dir->ldb, "continuation reference %s", url);
	return spnpool_winerr_scan_referral(dir, LDB_ERR_REFERRAL,
					    dir->naming_contexts[i]);
}

static int paged_callback(struct ldb_request *req, struct ldb_reply *ares)
{
	struct paged_state *st =
		talloc_get_type_abort(req->context, struct paged_state);

	if (ares == NULL) {
		return ldb_request_done(req, LDB_ERR_OPERATIONS_ERROR);
	}
	if (ares->error != LDB_SUCCESS) {
		int err = ares->error;

		talloc_free(ares);
		return ldb_request_done(req, err);
	}
	switch (ares->type) {
	case LDB_REPLY_ENTRY:
		if (st->fn_ret == LDB_SUCCESS &&
		    spnpool_ranged_pending(ares->message,
					   "servicePrincipalName")) {
			st->fn_ret = defer_entry(st, ares->message);
		} else if (st->fn_ret == LDB_SUCCESS) {
			st->fn_ret = st->fn(ares->message, st->private_data);
		}
		break;
	case LDB_REPLY_REFERRAL:
		if (st->phantom && st->fn_ret == LDB_SUCCESS) {
			st->fn_ret = phantom_reference(st->dir, ares->referral);
		}
		break;
	case LDB_REPLY_DONE:
		take_cookie(st, ares->controls);
		talloc_free(ares);
		return ldb_request_done(req, LDB_SUCCESS);
	}
	talloc_free(ares);
	return LDB_SUCCESS;
}

int spnpool_dir_search(struct spnpool_dir *dir, struct ldb_dn *base, int scope,
		       const char *filter, const char *const *attrs,
		       const struct spnpool_search_opts *opts,
		       spnpool_entry_fn fn, void *private_data)
{
	TALLOC_CTX *tmp_ctx = talloc_new(dir);
	struct paged_state *st = NULL;
	unsigned page_size = dir->page_size;
	size_t c;
	int ret = LDB_SUCCESS;

	if (opts != NULL && opts->page_size != 0) {
		page_size = opts->page_size;
	}

	if (tmp_ctx == NULL) {
		return ldb_oom(dir->ldb);
	}
	st = talloc_zero(tmp_ctx, struct paged_state);
	if (st == NULL) {
		ret = ldb_oom(dir->ldb);
		goto done;
	}
	st->fn = fn;
	st->private_data = private_data;
	st->cookie_ctx = tmp_ctx;
	st->dir = dir;
	st->phantom = ldb_dn_get_comp_num(base) == 0;

	do {
		TALLOC_CTX *page_ctx = talloc_new(tmp_ctx);
		struct ldb_request *req = NULL;
		struct ldb_paged_control *pc = NULL;

		if (page_ctx == NULL) {
			ret = ldb_oom(dir->ldb);
			goto done;
		}
		ret = ldb_build_search_req(&req, dir->ldb, page_ctx, base,
					   (enum ldb_scope)scope, filter,
					   (const char **)attrs, NULL, st,
					   paged_callback, NULL);
		if (ret != LDB_SUCCESS) {
			talloc_free(page_ctx);
			goto done;
		}
		/* A local sam.ldb streams entries to the callback anyway;
		 * there Samba's paged_results module would run the search,
		 * then read every entry again by GUID (4-7x the time). */
		if (!dir->local) {
			pc = talloc_zero(req, struct ldb_paged_control);
			if (pc == NULL) {
				talloc_free(page_ctx);
				ret = ldb_oom(dir->ldb);
				goto done;
			}
			pc->size = (int)page_size;
			pc->cookie = st->cookie;
			pc->cookie_len = st->cookie_len;
			/* Not critical: a backend without paging answers in
			 * one go and sends no cookie back. */
			ret = ldb_request_add_control(
				req, LDB_CONTROL_PAGED_RESULTS_OID, false, pc);
		}
		for (c = 0; ret == LDB_SUCCESS && opts != NULL &&
			    opts->controls != NULL && opts->controls[c] != NULL;
		     c++) {
			ret = ldb_request_add_control(
				req, opts->controls[c]->oid,
				opts->controls[c]->critical,
				opts->controls[c]->data);
		}
		if (ret != LDB_SUCCESS) {
			talloc_free(page_ctx);
			goto done;
		}
		ret = ldb_request(dir->ldb, req);
		if (ret == LDB_SUCCESS) {
			ret = ldb_wait(req->handle, LDB_WAIT_ALL);
		}
		talloc_free(page_ctx);
		if (ret != LDB_SUCCESS) {
			break; /* a referral is judged below */
		}
		ret = st->fn_ret;
		if (ret != LDB_SUCCESS) {
			break;
		}
		ret = flush_deferred(dir, st);
	} while (ret == LDB_SUCCESS && st->cookie_len > 0);
	if (!st->phantom) {
		/* a phantom root referred away is a refusal: the caller's */
		ret = spnpool_winerr_scan_referral(dir, ret,
						   ldb_dn_get_linearized(base));
	}
done:
	talloc_free(tmp_ctx);
	return ret;
}

/* What a server that does not take the phantom root answers to a subtree
 * search of the empty DN with it marked critical. */
static bool phantom_refused(int ret)
{
	return ret == LDB_ERR_UNSUPPORTED_CRITICAL_EXTENSION ||
	       ret == LDB_ERR_UNWILLING_TO_PERFORM ||
	       ret == LDB_ERR_NO_SUCH_OBJECT || ret == LDB_ERR_PROTOCOL_ERROR ||
	       ret == LDB_ERR_REFERRAL;
}

/* Windows' phantom root leaves out application naming contexts
 * ([MS-ADTS] 3.1.1.3.4.1.12); Samba's includes them.  Those are the NCs
 * that are neither the domain, the configuration nor the schema. */
static bool phantom_covers(const struct spnpool_dir *dir, size_t i)
{
	const char *nc = dir->naming_contexts[i];
	size_t clen = strlen(dir->config_nc);
	size_t len = strlen(nc);

	if (dir->samba || strcasecmp(nc, dir->default_nc) == 0) {
		return true;
	}
	/* the configuration NC and the schema NC beneath it */
	return len >= clen && strcasecmp(nc + len - clen, dir->config_nc) == 0;
}

static int search_nc(struct spnpool_dir *dir, size_t i, const char *filter,
		     const char *const *attrs,
		     const struct spnpool_search_opts *opts,
		     spnpool_entry_fn fn, void *private_data)
{
	int ret = spnpool_dir_search(dir, dir->nc_dns[i], LDB_SCOPE_SUBTREE,
				     filter, attrs, opts, fn, private_data);

	if (ret == LDB_ERR_NO_SUCH_OBJECT) {
		ret = LDB_SUCCESS; /* an NC this backend lacks */
	}
	return ret;
}

int spnpool_dir_search_every_nc(struct spnpool_dir *dir, const char *filter,
				const char *const *attrs,
				const struct spnpool_search_opts *opts,
				spnpool_entry_fn fn, void *private_data)
{
	TALLOC_CTX *tmp_ctx = NULL;
	struct ldb_search_options_control *so = NULL;
	struct ldb_control **controls = NULL;
	struct spnpool_search_opts popts = {0};
	struct ldb_dn *root = NULL;
	size_t n = 0;
	size_t i;
	int ret = LDB_SUCCESS;

	if (dir->phantom_root < 0 || dir->num_naming_contexts < 2) {
		goto per_nc;
	}
	tmp_ctx = talloc_new(dir);
	root = ldb_dn_new(tmp_ctx, dir->ldb, "");
	so = talloc_zero(tmp_ctx, struct ldb_search_options_control);
	while (opts != NULL && opts->controls != NULL &&
	       opts->controls[n] != NULL) {
		n++;
	}
	controls = talloc_zero_array(tmp_ctx, struct ldb_control *, n + 2);
	if (root == NULL || so == NULL || controls == NULL) {
		talloc_free(tmp_ctx);
		return ldb_oom(dir->ldb);
	}
	for (i = 0; i < n; i++) {
		controls[i] = opts->controls[i];
	}
	controls[n] = talloc_zero(controls, struct ldb_control);
	if (controls[n] == NULL) {
		talloc_free(tmp_ctx);
		return ldb_oom(dir->ldb);
	}
	so->search_options = LDB_SEARCH_OPTION_PHANTOM_ROOT;
	controls[n]->oid = LDB_CONTROL_SEARCH_OPTIONS_OID;
	/* critical: a server that ignored it would search nothing */
	controls[n]->critical = true;
	controls[n]->data = so;
	popts.page_size = (opts != NULL) ? opts->page_size : 0;
	popts.controls = controls;
	ret = spnpool_dir_search(dir, root, LDB_SCOPE_SUBTREE, filter, attrs,
				 &popts, fn, private_data);
	talloc_free(tmp_ctx);
	if (ret == LDB_SUCCESS) {
		dir->phantom_root = 1;
		for (i = 0; i < dir->num_naming_contexts; i++) {
			if (phantom_covers(dir, i)) {
				continue;
			}
			ret = search_nc(dir, i, filter, attrs, opts, fn,
					private_data);
			if (ret != LDB_SUCCESS) {
				return ret;
			}
		}
		return LDB_SUCCESS;
	}
	if (dir->phantom_root > 0 || !phantom_refused(ret)) {
		return ret;
	}
	ldb_debug(dir->ldb, LDB_DEBUG_TRACE,
		  "phantom-root search refused (%s): one search per naming "
		  "context",
		  ldb_strerror(ret));
	dir->phantom_root = -1;
per_nc:
	for (i = 0; i < dir->num_naming_contexts; i++) {
		ret = search_nc(dir, i, filter, attrs, opts, fn, private_data);
		if (ret != LDB_SUCCESS) {
			return ret;
		}
	}
	return LDB_SUCCESS;
}

/* One base-scope read; *_msg is NULL when the object does not exist. */
static int read_object(TALLOC_CTX *mem_ctx, struct spnpool_dir *dir,
		       struct ldb_dn *dn, const char *const *attrs,
		       struct ldb_message **_msg)
{
	struct ldb_result *res = NULL;
	int ret;

	*_msg = NULL;
	ret = ldb_search(dir->ldb, mem_ctx, &res, dn, LDB_SCOPE_BASE,
			 (const char **)attrs, NULL);
	if (ret == LDB_ERR_NO_SUCH_OBJECT) {
		return LDB_SUCCESS;
	}
	if (ret != LDB_SUCCESS) {
		return ret;
	}
	if (res->count == 1) {
		ret = spnpool_ranged_complete(dir->ldb, res->msgs[0],
					      "servicePrincipalName");
		if (ret != LDB_SUCCESS) {
			talloc_free(res);
			return ret;
		}
		*_msg = talloc_steal(mem_ctx, res->msgs[0]);
	}
	talloc_free(res);
	return LDB_SUCCESS;
}

/* ---- opening ---- */

char *spnpool_dn_to_dns_domain(TALLOC_CTX *mem_ctx, const char *dn)
{
	const char *p = dn;
	char *out = NULL;

	while (p != NULL && *p != '\0') {
		const char *end = NULL;

		while (*p == ',' || *p == ' ') {
			p++;
		}
		end = strchr(p, ',');
		if (end == NULL) {
			end = p + strlen(p);
		}
		if (end - p > 3 && strncasecmp(p, "DC=", 3) == 0) {
			size_t n = (size_t)(end - p - 3);

			out = (out == NULL)
				      ? talloc_strndup(mem_ctx, p + 3, n)
				      : talloc_asprintf_append_buffer(
						out, ".%.*s", (int)n, p + 3);
			if (out == NULL) {
				return NULL;
			}
		}
		p = end;
	}
	if (out != NULL) {
		size_t i;

		for (i = 0; out[i] != '\0'; i++) {
			out[i] = spnpool_ascii_lower(out[i]);
		}
	}
	return out;
}

/* The domain's NetBIOS and DNS names from its crossRef. */
static int read_domain_names(struct spnpool_dir *dir)
{
	static const char *const attrs[] = {"nETBIOSName", "dnsRoot", NULL};
	TALLOC_CTX *tmp_ctx = talloc_new(dir);
	struct ldb_result *res = NULL;
	struct ldb_dn *partitions = NULL;
	const char *nb = NULL;
	const char *dns = NULL;
	int ret;

	if (tmp_ctx == NULL) {
		return ldb_oom(dir->ldb);
	}
	partitions = ldb_dn_new_fmt(tmp_ctx, dir->ldb, "CN=Partitions,%s",
				    dir->config_nc);
	if (partitions == NULL) {
		ret = ldb_oom(dir->ldb);
		goto done;
	}
	ret = ldb_search(dir->ldb, tmp_ctx, &res, partitions,
			 LDB_SCOPE_ONELEVEL, (const char **)attrs,
			 "(&(objectClass=crossRef)(nCName=%s))",
			 ldb_binary_encode_string(tmp_ctx, dir->default_nc));
	if (ret == LDB_ERR_NO_SUCH_OBJECT) {
		ret = LDB_SUCCESS;
	}
	if (ret != LDB_SUCCESS) {
		goto done;
	}
	if (res != NULL && res->count == 1) {
		nb = ldb_msg_find_attr_as_string(res->msgs[0], "nETBIOSName",
						 NULL);
		dns = ldb_msg_find_attr_as_string(res->msgs[0], "dnsRoot",
						  NULL);
	}
	if (dns != NULL) {
		dir->dns_domain = talloc_strdup(dir, dns);
	} else {
		dir->dns_domain =
			spnpool_dn_to_dns_domain(dir, dir->default_nc);
	}
	if (nb != NULL) {
		dir->netbios_domain = talloc_strdup(dir, nb);
	}
	if (dir->dns_domain == NULL) {
		ldb_asprintf_errstring(dir->ldb,
				       "cannot tell the DNS name of the domain "
				       "%s",
				       dir->default_nc);
		ret = LDB_ERR_OPERATIONS_ERROR;
	}
done:
	talloc_free(tmp_ctx);
	return ret;
}

static int read_spn_mappings(struct spnpool_dir *dir)
{
	static const char *const attrs[] = {"sPNMappings", NULL};
	TALLOC_CTX *tmp_ctx = talloc_new(dir);
	struct ldb_message *msg = NULL;
	struct ldb_message_element *el = NULL;
	struct ldb_dn *dn = NULL;
	const char **values = NULL;
	enum spnpool_status st;
	unsigned i;
	int ret;

	if (tmp_ctx == NULL) {
		return ldb_oom(dir->ldb);
	}
	dn = ldb_dn_new_fmt(tmp_ctx, dir->ldb,
			    "CN=Directory Service,CN=Windows NT,CN=Services,%s",
			    dir->config_nc);
	if (dn == NULL) {
		ret = ldb_oom(dir->ldb);
		goto done;
	}
	ret = read_object(tmp_ctx, dir, dn, attrs, &msg);
	if (ret != LDB_SUCCESS) {
		goto done;
	}
	if (msg != NULL) {
		el = ldb_msg_find_element(msg, "sPNMappings");
	}
	if (el == NULL) {
		ldb_debug(dir->ldb, LDB_DEBUG_WARNING,
			  "spnpool: no sPNMappings under %s: alias conflicts "
			  "(http/X against host/X) cannot be checked",
			  dir->config_nc);
	}
	values = talloc_zero_array(tmp_ctx, const char *,
				   (el != NULL) ? el->num_values + 1 : 1);
	if (values == NULL) {
		ret = ldb_oom(dir->ldb);
		goto done;
	}
	for (i = 0; el != NULL && i < el->num_values; i++) {
		values[i] =
			talloc_strndup(values, (const char *)el->values[i].data,
				       el->values[i].length);
		if (values[i] == NULL) {
			ret = ldb_oom(dir->ldb);
			goto done;
		}
	}
	st = spnpool_alias_map_parse(
		dir, values, (el != NULL) ? el->num_values : 0, &dir->aliases);
	if (st != SPNPOOL_OK) {
		ldb_asprintf_errstring(dir->ldb, "sPNMappings in %s: %s",
				       ldb_dn_get_linearized(dn),
				       spnpool_status_string(st));
		ret = LDB_ERR_OPERATIONS_ERROR;
	}
done:
	talloc_free(tmp_ctx);
	return ret;
}

int spnpool_dir_init(TALLOC_CTX *mem_ctx, struct ldb_context *ldb, bool local,
		     const char *default_nc, const char *config_nc,
		     const char *const *naming_contexts,
		     size_t num_naming_contexts, struct spnpool_dir **_dir)
{
	struct spnpool_dir *dir = NULL;
	size_t i;
	int ret;

	if (default_nc == NULL || config_nc == NULL) {
		ldb_set_errstring(ldb, "the server did not name its default "
				       "and configuration naming contexts");
		return LDB_ERR_OPERATIONS_ERROR;
	}
	dir = talloc_zero(mem_ctx, struct spnpool_dir);
	if (dir == NULL) {
		return ldb_oom(ldb);
	}
	dir->ldb = ldb;
	dir->local = local;
	dir->page_size = DEFAULT_PAGE_SIZE;
	dir->default_nc = talloc_strdup(dir, default_nc);
	dir->config_nc = talloc_strdup(dir, config_nc);
	dir->naming_contexts =
		talloc_zero_array(dir, char *, num_naming_contexts + 1);
	dir->nc_dns = talloc_zero_array(dir, struct ldb_dn *,
					num_naming_contexts + 1);
	if (dir->default_nc == NULL || dir->config_nc == NULL ||
	    dir->naming_contexts == NULL || dir->nc_dns == NULL) {
		talloc_free(dir);
		return ldb_oom(ldb);
	}
	for (i = 0; i < num_naming_contexts; i++) {
		dir->naming_contexts[i] =
			talloc_strdup(dir->naming_contexts, naming_contexts[i]);
		dir->nc_dns[i] =
			ldb_dn_new(dir->nc_dns, ldb, naming_contexts[i]);
		if (dir->naming_contexts[i] == NULL || dir->nc_dns[i] == NULL) {
			talloc_free(dir);
			return ldb_oom(ldb);
		}
	}
	dir->num_naming_contexts = num_naming_contexts;

	ret = read_domain_names(dir);
	if (ret != LDB_SUCCESS) {
		talloc_free(dir);
		return ret;
	}
	ret = read_spn_mappings(dir);
	if (ret != LDB_SUCCESS) {
		talloc_free(dir);
		return ret;
	}
	*_dir = dir;
	return LDB_SUCCESS;
}

bool spnpool_dir_ldb_is_local(struct ldb_context *ldb)
{
	/* ldb_connect() records the URL it picked the backend by; the
	 * backend is the scheme before ':', a plain path is a tdb file */
	static const char *const local_backends[] = {"tdb", "mdb", "ldb"};
	const char *url = ldb_get_opaque(ldb, "ldb_url");
	const char *colon = NULL;
	size_t len;
	size_t i;

	if (url == NULL) {
		return false;
	}
	colon = strchr(url, ':');
	if (colon == NULL) {
		return true;
	}
	len = (size_t)(colon - url);
	for (i = 0; i < sizeof(local_backends) / sizeof(local_backends[0]);
	     i++) {
		if (len == strlen(local_backends[i]) &&
		    strncasecmp(url, local_backends[i], len) == 0) {
			return true;
		}
	}
	return false;
}

int spnpool_dir_open(TALLOC_CTX *mem_ctx, struct ldb_context *ldb,
		     struct spnpool_dir **_dir)
{
	static const char *const attrs[] = {"namingContexts",
					    "defaultNamingContext",
					    "configurationNamingContext",
					    "dnsHostName",
					    "vendorName",
					    NULL};
	TALLOC_CTX *tmp_ctx = talloc_new(mem_ctx);
	struct ldb_message *root = NULL;
	struct ldb_message_element *el = NULL;
	struct ldb_dn *dn = NULL;
	const char **ncs = NULL;
	unsigned i;
	int ret;

	if (tmp_ctx == NULL) {
		return ldb_oom(ldb);
	}
	dn = ldb_dn_new(tmp_ctx, ldb, NULL);
	if (dn == NULL) {
		ret = ldb_oom(ldb);
		goto done;
	}
	{
		struct ldb_result *res = NULL;

		ret = ldb_search(ldb, tmp_ctx, &res, dn, LDB_SCOPE_BASE,
				 (const char **)attrs, NULL);
		if (ret != LDB_SUCCESS) {
			goto done;
		}
		if (res->count == 1) {
			root = res->msgs[0];
		}
	}
	if (root == NULL) {
		ldb_set_errstring(ldb, "the directory has no rootDSE: is this "
				       "an AD domain controller's database?");
		ret = LDB_ERR_OPERATIONS_ERROR;
		goto done;
	}
	el = ldb_msg_find_element(root, "namingContexts");
	ncs = talloc_zero_array(tmp_ctx, const char *,
				(el != NULL) ? el->num_values + 1 : 1);
	if (ncs == NULL) {
		ret = ldb_oom(ldb);
		goto done;
	}
	for (i = 0; el != NULL && i < el->num_values; i++) {
		ncs[i] = talloc_strndup(ncs, (const char *)el->values[i].data,
					el->values[i].length);
		if (ncs[i] == NULL) {
			ret = ldb_oom(ldb);
			goto done;
		}
	}
	ret = spnpool_dir_init(
		mem_ctx, ldb, spnpool_dir_ldb_is_local(ldb),
		ldb_msg_find_attr_as_string(root, "defaultNamingContext", NULL),
		ldb_msg_find_attr_as_string(root, "configurationNamingContext",
					    NULL),
		ncs, (el != NULL) ? el->num_values : 0, _dir);
	if (ret == LDB_SUCCESS) {
		const char *vendor =
			ldb_msg_find_attr_as_string(root, "vendorName", NULL);

		(*_dir)->samba = (*_dir)->local ||
				 (vendor != NULL &&
				  strncasecmp(vendor, "Samba", 5) == 0);
	}
	if (ret == LDB_SUCCESS &&
	    ldb_msg_find_attr_as_string(root, "dnsHostName", NULL) != NULL) {
		(*_dir)->dc_name = talloc_strdup(
			*_dir,
			ldb_msg_find_attr_as_string(root, "dnsHostName", NULL));
		if ((*_dir)->dc_name == NULL) {
			TALLOC_FREE(*_dir);
			ret = ldb_oom(ldb);
		}
	}
done:
	talloc_free(tmp_ctx);
	return ret;
}

/* ---- accounts ---- */

static char *guid_string(TALLOC_CTX *mem_ctx, const struct ldb_val *v)
{
	const uint8_t *b = NULL;

	if (v == NULL || v->length != 16) {
		return NULL;
	}
	b = v->data;
	/* MS-DTYP 2.3.4: the first three fields are little-endian. */
	return talloc_asprintf(mem_ctx,
			       "%02x%02x%02x%02x-%02x%02x-%02x%02x-"
			       "%02x%02x-%02x%02x%02x%02x%02x%02x",
			       b[3], b[2], b[1], b[0], b[5], b[4], b[7], b[6],
			       b[8], b[9], b[10], b[11], b[12], b[13], b[14],
			       b[15]);
}

static bool has_class(const struct ldb_message *msg, const char *cls)
{
	return ldb_msg_check_string_attribute(msg, "objectClass", cls) != 0;
}

static char *val_strdup(TALLOC_CTX *mem_ctx, const struct ldb_val *v)
{
	return talloc_strndup(mem_ctx, (const char *)v->data, v->length);
}

/* Build the account from a search result, refusing non-accounts. */
static int account_from_msg(TALLOC_CTX *mem_ctx, struct spnpool_dir *dir,
			    const char *identity, const struct ldb_message *msg,
			    struct spnpool_account **_account)
{
	struct spnpool_account *a = NULL;
	struct ldb_message_element *el = NULL;
	const char *upn = NULL;
	unsigned i;

	if (!has_class(msg, "user")) {
		const char *what =
			has_class(msg, "group") ? "a group" : "not an account";

		ldb_asprintf_errstring(dir->ldb,
				       "identity '%s' is %s (%s): SPNs belong "
				       "to the user, computer or managed "
				       "service account a pool runs as",
				       identity, what,
				       ldb_dn_get_linearized(msg->dn));
		return LDB_ERR_OBJECT_CLASS_VIOLATION;
	}
	a = talloc_zero(mem_ctx, struct spnpool_account);
	if (a == NULL) {
		return ldb_oom(dir->ldb);
	}
	a->dn = talloc_strdup(a, ldb_dn_get_linearized(msg->dn));
	a->guid = guid_string(a, ldb_msg_find_ldb_val(msg, "objectGUID"));
	a->sam_account_name = talloc_strdup(
		a, ldb_msg_find_attr_as_string(msg, "sAMAccountName", ""));
	upn = ldb_msg_find_attr_as_string(msg, "userPrincipalName", NULL);
	if (upn != NULL) {
		a->user_principal_name = talloc_strdup(a, upn);
	}
	a->is_computer = has_class(msg, "computer");
	a->is_managed = has_class(msg, "msDS-GroupManagedServiceAccount") ||
			has_class(msg, "msDS-ManagedServiceAccount");
	a->disabled = (ldb_msg_find_attr_as_uint(msg, "userAccountControl", 0) &
		       UF_ACCOUNTDISABLE) != 0;
	if (a->dn == NULL || a->guid == NULL || a->sam_account_name == NULL) {
		talloc_free(a);
		ldb_asprintf_errstring(dir->ldb,
				       "account %s has no objectGUID or "
				       "sAMAccountName",
				       ldb_dn_get_linearized(msg->dn));
		return LDB_ERR_OPERATIONS_ERROR;
	}
	el = ldb_msg_find_element(msg, "servicePrincipalName");
	a->spns = talloc_zero_array(a, char *,
				    (el != NULL) ? el->num_values + 1 : 1);
	if (a->spns == NULL) {
		talloc_free(a);
		return ldb_oom(dir->ldb);
	}
	for (i = 0; el != NULL && i < el->num_values; i++) {
		a->spns[i] = val_strdup(a->spns, &el->values[i]);
		if (a->spns[i] == NULL) {
			talloc_free(a);
			return ldb_oom(dir->ldb);
		}
	}
	a->num_spns = (el != NULL) ? el->num_values : 0;
	*_account = a;
	return LDB_SUCCESS;
}

/* Search the domain for filter; exactly one hit or a clear error. */
static int find_one(TALLOC_CTX *mem_ctx, struct spnpool_dir *dir,
		    const char *identity, const char *filter,
		    struct ldb_message **_msg)
{
	struct ldb_result *res = NULL;
	struct ldb_dn *base = ldb_dn_new(mem_ctx, dir->ldb, dir->default_nc);
	int ret;

	if (base == NULL) {
		return ldb_oom(dir->ldb);
	}
	ret = ldb_search(dir->ldb, mem_ctx, &res, base, LDB_SCOPE_SUBTREE,
			 (const char **)account_attrs, "%s", filter);
	if (ret != LDB_SUCCESS) {
		return ret;
	}
	if (res->count > 1) {
		ldb_asprintf_errstring(dir->ldb,
				       "identity '%s' is ambiguous: %u objects "
				       "match (%s and %s); give a DN",
				       identity, res->count,
				       ldb_dn_get_linearized(res->msgs[0]->dn),
				       ldb_dn_get_linearized(res->msgs[1]->dn));
		/* like "not found": the identity names no single account */
		return LDB_ERR_NO_SUCH_OBJECT;
	}
	ret = spnpool_ranged_complete_all(dir->ldb, res->msgs, res->count,
					  "servicePrincipalName");
	if (ret != LDB_SUCCESS) {
		return ret;
	}
	*_msg = (res->count == 1) ? res->msgs[0] : NULL;
	return LDB_SUCCESS;
}

static int find_by_attr(TALLOC_CTX *mem_ctx, struct spnpool_dir *dir,
			const char *identity, const char *attr,
			const char *value, struct ldb_message **_msg)
{
	char *filter =
		talloc_asprintf(mem_ctx, "(%s=%s)", attr,
				ldb_binary_encode_string(mem_ctx, value));

	if (filter == NULL) {
		return ldb_oom(dir->ldb);
	}
	return find_one(mem_ctx, dir, identity, filter, _msg);
}

static bool domain_matches(const struct spnpool_dir *dir, const char *name)
{
	return (dir->netbios_domain != NULL &&
		strcasecmp(name, dir->netbios_domain) == 0) ||
	       strcasecmp(name, dir->dns_domain) == 0;
}

static int not_found(struct spnpool_dir *dir, const char *identity,
		     const char *how)
{
	ldb_asprintf_errstring(dir->ldb, "identity '%s' not found in %s (%s)%s",
			       identity, dir->dns_domain, dir->default_nc, how);
	return LDB_ERR_NO_SUCH_OBJECT;
}

int spnpool_dir_find_computer(TALLOC_CTX *mem_ctx, struct spnpool_dir *dir,
			      const char *netbios, struct ldb_message **_msg)
{
	char *sam = talloc_asprintf(mem_ctx, "%s$", netbios);

	if (sam == NULL) {
		return ldb_oom(dir->ldb);
	}
	return find_by_attr(mem_ctx, dir, sam, "sAMAccountName", sam, _msg);
}

/* The computer account of the web server, for built-in identities. */
static int find_server_computer(TALLOC_CTX *mem_ctx, struct spnpool_dir *dir,
				const char *identity, const char *server,
				struct ldb_message **_msg)
{
	char *netbios = NULL;
	char *fqdn = NULL;
	char *sam = NULL;
	enum spnpool_status st;
	int ret;

	if (server == NULL) {
		ldb_asprintf_errstring(dir->ldb,
				       "identity '%s' is a built-in identity "
				       "that uses the web server's computer "
				       "account: give the server with --server",
				       identity);
		return LDB_ERR_INVALID_ATTRIBUTE_SYNTAX;
	}
	enum spnpool_host_kind kind;

	st = spnpool_host_forms(mem_ctx, server, dir->dns_domain, &netbios,
				&fqdn);
	if (st == SPNPOOL_ERR_NETBIOS_TOO_LONG &&
	    spnpool_host_check(server, &kind) == SPNPOOL_OK) {
		/* a DNS short name longer than a NetBIOS name */
		st = SPNPOOL_OK;
		fqdn = talloc_asprintf(mem_ctx, "%s.%s", server,
				       dir->dns_domain);
		for (size_t i = 0; fqdn != NULL && fqdn[i] != '\0'; i++) {
			fqdn[i] = spnpool_ascii_lower(fqdn[i]);
		}
		if (fqdn == NULL) {
			return ldb_oom(dir->ldb);
		}
	}
	if (st != SPNPOOL_OK) {
		ldb_asprintf_errstring(dir->ldb, "invalid server '%s': %s",
				       server, spnpool_status_string(st));
		return LDB_ERR_INVALID_ATTRIBUTE_SYNTAX;
	}
	*_msg = NULL;
	ret = LDB_SUCCESS;
	if (netbios != NULL) {
		ret = spnpool_dir_find_computer(mem_ctx, dir, netbios, _msg);
	}
	/* a DNS name longer than 15 characters, or a renamed computer:
	 * its dNSHostName, else its cn */
	if (ret == LDB_SUCCESS && *_msg == NULL) {
		ret = spnpool_dir_find_computer_by_dns(mem_ctx, dir, fqdn,
						       _msg);
	}
	if (ret == LDB_SUCCESS && *_msg == NULL) {
		sam = (netbios != NULL)
			      ? talloc_asprintf(mem_ctx, "account %s$ or ",
						netbios)
			      : talloc_strdup(mem_ctx, "");
		ldb_asprintf_errstring(dir->ldb,
				       "identity '%s' means the computer "
				       "account of '%s', but there is no "
				       "%scomputer with dNSHostName %s or cn "
				       "%.*s in %s",
				       identity, server, sam != NULL ? sam : "",
				       fqdn, (int)strcspn(fqdn, "."), fqdn,
				       dir->dns_domain);
		return LDB_ERR_NO_SUCH_OBJECT;
	}
	return ret;
}

int spnpool_dir_find_account(TALLOC_CTX *mem_ctx, struct spnpool_dir *dir,
			     const char *identity, const char *server,
			     struct spnpool_account **_account)
{
	TALLOC_CTX *tmp_ctx = talloc_new(mem_ctx);
	struct spnpool_identity *id = NULL;
	struct ldb_message *msg = NULL;
	struct spnpool_account *account = NULL;
	const char *hint = "";
	enum spnpool_status st;
	int ret = LDB_ERR_OPERATIONS_ERROR;

	if (tmp_ctx == NULL) {
		return ldb_oom(dir->ldb);
	}
	st = spnpool_identity_parse(tmp_ctx, identity, &id);
	if (st != SPNPOOL_OK) {
		ldb_asprintf_errstring(dir->ldb, "invalid identity '%s': %s",
				       identity != NULL ? identity : "",
				       spnpool_status_string(st));
		ret = (st == SPNPOOL_ERR_NO_MEMORY)
			      ? LDB_ERR_OPERATIONS_ERROR
			      : LDB_ERR_INVALID_ATTRIBUTE_SYNTAX;
		goto done;
	}

	switch (id->kind) {
	case SPNPOOL_IDENTITY_BUILTIN:
		ret = find_server_computer(tmp_ctx, dir, identity, server,
					   &msg);
		break;
	case SPNPOOL_IDENTITY_DN: {
		struct ldb_dn *dn = ldb_dn_new(tmp_ctx, dir->ldb, id->name);

		if (dn == NULL || !ldb_dn_validate(dn)) {
			ldb_asprintf_errstring(dir->ldb,
					       "invalid identity '%s': not a "
					       "valid DN",
					       identity);
			ret = LDB_ERR_INVALID_ATTRIBUTE_SYNTAX;
			goto done;
		}
		ret = read_object(tmp_ctx, dir, dn, account_attrs, &msg);
		if (ret == LDB_ERR_REFERRAL) {
			ret = spnpool_winerr_foreign_identity(dir, identity,
							      id->name);
		}
		break;
	}
	case SPNPOOL_IDENTITY_UPN:
		ret = find_by_attr(tmp_ctx, dir, identity, "userPrincipalName",
				   id->name, &msg);
		if (ret == LDB_SUCCESS && msg == NULL &&
		    domain_matches(dir, id->domain)) {
			ret = find_by_attr(tmp_ctx, dir, identity,
					   "sAMAccountName", id->user, &msg);
		}
		hint = " by userPrincipalName or sAMAccountName";
		break;
	case SPNPOOL_IDENTITY_SAM:
		if (id->domain != NULL && !domain_matches(dir, id->domain)) {
			ldb_asprintf_errstring(
				dir->ldb,
				"identity '%s' names domain '%s', but this "
				"directory is %s (%s)",
				identity, id->domain,
				dir->netbios_domain != NULL
					? dir->netbios_domain
					: dir->dns_domain,
				dir->dns_domain);
			ret = LDB_ERR_NO_SUCH_OBJECT;
			goto done;
		}
		ret = find_by_attr(tmp_ctx, dir, identity, "sAMAccountName",
				   id->name, &msg);
		if (ret == LDB_SUCCESS && msg == NULL &&
		    id->name[strlen(id->name) - 1] != '$') {
			struct ldb_message *computer = NULL;
			char *with_dollar =
				talloc_asprintf(tmp_ctx, "%s$", id->name);

			if (with_dollar != NULL &&
			    find_by_attr(tmp_ctx, dir, identity,
					 "sAMAccountName", with_dollar,
					 &computer) == LDB_SUCCESS &&
			    computer != NULL) {
				hint = talloc_asprintf(
					tmp_ctx,
					"; a computer account %s exists",
					ldb_msg_find_attr_as_string(
						computer, "sAMAccountName",
						with_dollar));
			}
		}
		break;
	}
	if (ret != LDB_SUCCESS) {
		goto done;
	}
	if (msg == NULL) {
		ret = not_found(dir, identity, hint != NULL ? hint : "");
		goto done;
	}
	ret = account_from_msg(tmp_ctx, dir, identity, msg, &account);
	if (ret != LDB_SUCCESS) {
		goto done;
	}
	account->builtin = (id->kind == SPNPOOL_IDENTITY_BUILTIN);
	*_account = talloc_move(mem_ctx, &account);
done:
	talloc_free(tmp_ctx);
	return ret;
}

/* ---- holders ---- */

struct holder_state {
	TALLOC_CTX *mem_ctx;
	struct spnpool_dir *dir;
	const char *const *queries;
	size_t num_queries;
	struct spnpool_holder *holders;
	size_t num_holders;
};

static bool holder_known(const struct holder_state *st, const char *guid,
			 const char *value)
{
	size_t i;

	for (i = 0; i < st->num_holders; i++) {
		if (strcmp(st->holders[i].account, guid) == 0 &&
		    strcmp(st->holders[i].value, value) == 0) {
			return true;
		}
	}
	return false;
}

static int collect_holder(struct ldb_message *msg, void *private_data)
{
	struct holder_state *st =
		talloc_get_type_abort(private_data, struct holder_state);
	struct ldb_message_element *el =
		ldb_msg_find_element(msg, "servicePrincipalName");
	char *guid = guid_string(st->mem_ctx,
				 ldb_msg_find_ldb_val(msg, "objectGUID"));
	unsigned i;
	size_t q;

	if (el == NULL) {
		return LDB_SUCCESS;
	}
	if (guid == NULL) {
		ldb_asprintf_errstring(st->dir->ldb, "%s has no objectGUID",
				       ldb_dn_get_linearized(msg->dn));
		return LDB_ERR_OPERATIONS_ERROR;
	}
	for (i = 0; i < el->num_values; i++) {
		char *value = val_strdup(st->mem_ctx, &el->values[i]);
		struct spnpool_holder *h = NULL;
		bool wanted = false;

		if (value == NULL) {
			return ldb_oom(st->dir->ldb);
		}
		for (q = 0; q < st->num_queries && !wanted; q++) {
			wanted = spnpool_spn_equal(value, st->queries[q]);
		}
		/* Child partitions show up under their parent's subtree. */
		if (!wanted || holder_known(st, guid, value)) {
			talloc_free(value);
			continue;
		}
		h = SPNPOOL_APPEND(st->mem_ctx, st->holders, st->num_holders);
		if (h == NULL) {
			return ldb_oom(st->dir->ldb);
		}
		h->account = guid;
		h->dn = talloc_strdup(st->mem_ctx,
				      ldb_dn_get_linearized(msg->dn));
		h->value = value;
		h->is_computer = has_class(msg, "computer");
		if (h->dn == NULL) {
			return ldb_oom(st->dir->ldb);
		}
	}
	return LDB_SUCCESS;
}

/* The query values: the SPNs and, if asked, their alias forms. */
static int holder_queries(TALLOC_CTX *mem_ctx, struct spnpool_dir *dir,
			  const char *const *spns, size_t num_spns,
			  bool aliases, const char ***_queries, size_t *_num)
{
	const char **q = NULL;
	size_t n = 0;
	size_t i;
	size_t k;

	for (i = 0; i < num_spns; i++) {
		char **forms = NULL;
		size_t num_forms = 0;

		/* no '/': no alias forms */
		if (aliases &&
		    spnpool_alias_forms(mem_ctx, dir->aliases, spns[i], &forms,
					&num_forms) != SPNPOOL_OK) {
			num_forms = 0;
		}
		q = talloc_realloc(mem_ctx, q, const char *, n + 1 + num_forms);
		if (q == NULL) {
			return ldb_oom(dir->ldb);
		}
		q[n++] = spns[i];
		for (k = 0; k < num_forms; k++) {
			q[n++] = forms[k];
		}
	}
	*_queries = q;
	*_num = n;
	return LDB_SUCCESS;
}

/* One DC's part of spnpool_dir_find_holders(): every naming context. */
static int holders_on(struct spnpool_dir *dir, const char *filter,
		      struct holder_state *st)
{
	static const char *const attrs[] = {"objectGUID", "objectClass",
					    "servicePrincipalName", NULL};

	return spnpool_dir_search_every_nc(dir, filter, attrs, NULL,
					   collect_holder, st);
}

int spnpool_dir_add_peer(struct spnpool_dir *dir, struct spnpool_dir *peer)
{
	struct spnpool_dir **slot = NULL;
	size_t i;

	if (peer == dir || peer->num_peers != 0) {
		ldb_set_errstring(dir->ldb, "a peer DC must be another "
					    "directory without peers");
		return LDB_ERR_OPERATIONS_ERROR;
	}
	for (i = 0; i < dir->num_peers; i++) {
		if (dir->peers[i] == peer) {
			return LDB_SUCCESS;
		}
	}
	slot = SPNPOOL_APPEND(dir, dir->peers, dir->num_peers);
	if (slot == NULL) {
		return ldb_oom(dir->ldb);
	}
	*slot = peer;
	return LDB_SUCCESS;
}

int spnpool_dir_find_holders(TALLOC_CTX *mem_ctx, struct spnpool_dir *dir,
			     const char *const *spns, size_t num_spns,
			     bool aliases, struct spnpool_holder **_holders,
			     size_t *_num_holders)
{
	TALLOC_CTX *tmp_ctx = talloc_new(mem_ctx);
	struct holder_state *st = NULL;
	const char **queries = NULL;
	size_t num_queries = 0;
	char *filter = NULL;
	size_t i;
	int ret;

	if (tmp_ctx == NULL) {
		return ldb_oom(dir->ldb);
	}
	st = talloc_zero(tmp_ctx, struct holder_state);
	if (st == NULL) {
		ret = ldb_oom(dir->ldb);
		goto done;
	}
	ret = holder_queries(tmp_ctx, dir, spns, num_spns, aliases, &queries,
			     &num_queries);
	if (ret != LDB_SUCCESS) {
		goto done;
	}
	st->mem_ctx = tmp_ctx;
	st->dir = dir;
	st->queries = queries;
	st->num_queries = num_queries;
	st->holders = talloc_array(tmp_ctx, struct spnpool_holder, 0);

	filter = talloc_strdup(tmp_ctx, "(|");
	for (i = 0; i < num_queries && filter != NULL; i++) {
		filter = talloc_asprintf_append_buffer(
			filter, "(servicePrincipalName=%s)",
			ldb_binary_encode_string(tmp_ctx, queries[i]));
	}
	if (filter != NULL) {
		filter = talloc_asprintf_append_buffer(filter, ")");
	}
	if (filter == NULL || st->holders == NULL) {
		ret = ldb_oom(dir->ldb);
		goto done;
	}
	ret = holders_on(dir, filter, st);
	for (i = 0; ret == LDB_SUCCESS && i < dir->num_peers; i++) {
		struct spnpool_dir *peer = dir->peers[i];

		st->dir = peer;
		ret = holders_on(peer, filter, st);
		st->dir = dir;
		if (ret != LDB_SUCCESS) {
			/* The caller reads the error from dir's ldb. */
			ldb_asprintf_errstring(
				dir->ldb, "searching the SPN holders on %s: %s",
				peer->dc_name ? peer->dc_name : "another DC",
				ldb_errstring(peer->ldb)
					? ldb_errstring(peer->ldb)
					: ldb_strerror(ret));
		}
	}
	if (ret != LDB_SUCCESS) {
		goto done;
	}
	*_holders = talloc_move(mem_ctx, &st->holders);
	talloc_steal(*_holders, tmp_ctx);
	tmp_ctx = NULL;
	*_num_holders = st->num_holders;
done:
	talloc_free(tmp_ctx);
	return ret;
}

/* ---- the KDC's HOST/ fallback ---- */

struct kdc_state {
	TALLOC_CTX *mem_ctx;
	struct spnpool_dir *dir;
	const char *host_spn;
	struct spnpool_kdc_match *matches;
	size_t num;
};

static int collect_kdc_match(struct ldb_message *msg, void *private_data)
{
	struct kdc_state *st =
		talloc_get_type_abort(private_data, struct kdc_state);
	struct ldb_message_element *el =
		ldb_msg_find_element(msg, "servicePrincipalName");
	const char *dn = ldb_dn_get_linearized(msg->dn);
	struct spnpool_kdc_match *m = NULL;
	unsigned i;
	size_t k;

	/* Child partitions show up under their parent's subtree. */
	for (k = 0; k < st->num; k++) {
		if (spnpool_dir_dn_equal(st->dir, st->matches[k].dn, dn)) {
			return LDB_SUCCESS;
		}
	}
	m = SPNPOOL_APPEND(st->mem_ctx, st->matches, st->num);
	if (m == NULL) {
		return ldb_oom(st->dir->ldb);
	}
	m->dn = talloc_strdup(st->matches, dn);
	m->sam_account_name = talloc_strdup(
		st->matches,
		ldb_msg_find_attr_as_string(msg, "sAMAccountName", ""));
	m->disabled = (ldb_msg_find_attr_as_uint(msg, "userAccountControl", 0) &
		       UF_ACCOUNTDISABLE) != 0;
	if (m->dn == NULL || m->sam_account_name == NULL) {
		return ldb_oom(st->dir->ldb);
	}
	for (i = 0; el != NULL && i < el->num_values && m->value == NULL; i++) {
		char *value = val_strdup(st->matches, &el->values[i]);

		if (value == NULL) {
			return ldb_oom(st->dir->ldb);
		}
		if (st->host_spn != NULL && has_class(msg, "user") &&
		    spnpool_spn_equal(value, st->host_spn)) {
			m->value = value;
		} else {
			talloc_free(value);
		}
	}
	return LDB_SUCCESS;
}

int spnpool_dir_find_kdc_fallback(TALLOC_CTX *mem_ctx, struct spnpool_dir *dir,
				  const char *host_spn, const char *cn,
				  struct spnpool_kdc_match **_matches,
				  size_t *_num)
{
	static const char *const attrs[] = {"objectClass", "sAMAccountName",
					    "userAccountControl",
					    "servicePrincipalName", NULL};
	TALLOC_CTX *tmp_ctx = talloc_new(mem_ctx);
	struct kdc_state *st = NULL;
	char *filter = NULL;
	int ret = LDB_SUCCESS;

	if (tmp_ctx == NULL) {
		return ldb_oom(dir->ldb);
	}
	st = talloc_zero(tmp_ctx, struct kdc_state);
	if (st == NULL) {
		ret = ldb_oom(dir->ldb);
		goto done;
	}
	st->mem_ctx = tmp_ctx;
	st->dir = dir;
	st->host_spn = host_spn;
	st->matches = talloc_array(tmp_ctx, struct spnpool_kdc_match, 0);
	if (host_spn == NULL) {
		filter = talloc_asprintf(tmp_ctx,
					 "(&(cn=%s)(objectClass=computer))",
					 ldb_binary_encode_string(tmp_ctx, cn));
	} else if (cn != NULL) {
		filter = talloc_asprintf(
			tmp_ctx,
			"(|(&(servicePrincipalName=%s)(objectClass=user))"
			"(&(cn=%s)(objectClass=computer)))",
			ldb_binary_encode_string(tmp_ctx, host_spn),
			ldb_binary_encode_string(tmp_ctx, cn));
	} else {
		filter = talloc_asprintf(
			tmp_ctx,
			"(&(servicePrincipalName=%s)(objectClass=user))",
			ldb_binary_encode_string(tmp_ctx, host_spn));
	}
	if (filter == NULL || st->matches == NULL) {
		ret = ldb_oom(dir->ldb);
		goto done;
	}
	ret = spnpool_dir_search_every_nc(dir, filter, attrs, NULL,
					  collect_kdc_match, st);
	if (ret != LDB_SUCCESS) {
		goto done;
	}
	*_num = st->num;
	*_matches = talloc_move(mem_ctx, &st->matches);
done:
	talloc_free(tmp_ctx);
	return ret;
}

int spnpool_dir_find_computer_by_dns(TALLOC_CTX *mem_ctx,
				     struct spnpool_dir *dir, const char *fqdn,
				     struct ldb_message **_msg)
{
	char *label = talloc_strndup(mem_ctx, fqdn, strcspn(fqdn, "."));
	char *filter = talloc_asprintf(
		mem_ctx, "(&(objectClass=computer)(dNSHostName=%s))",
		ldb_binary_encode_string(mem_ctx, fqdn));
	int ret;

	if (label == NULL || filter == NULL) {
		return ldb_oom(dir->ldb);
	}
	ret = find_one(mem_ctx, dir, fqdn, filter, _msg);
	if (ret != LDB_SUCCESS || *_msg != NULL) {
		return ret;
	}
	filter = talloc_asprintf(mem_ctx, "(&(objectClass=computer)(cn=%s))",
				 ldb_binary_encode_string(mem_ctx, label));
	if (filter == NULL) {
		return ldb_oom(dir->ldb);
	}
	return find_one(mem_ctx, dir, fqdn, filter, _msg);
}

/* ---- writing ---- */

static int add_values_element(struct ldb_message *msg, int flags,
			      const char *const *values, size_t num)
{
	struct ldb_message_element *el = NULL;
	size_t i;
	int ret;

	if (num == 0) {
		return LDB_SUCCESS;
	}
	ret = ldb_msg_add_empty(msg, "servicePrincipalName", flags, &el);
	if (ret != LDB_SUCCESS) {
		return ret;
	}
	el->values = talloc_array(msg->elements, struct ldb_val, num);
	if (el->values == NULL) {
		return LDB_ERR_OPERATIONS_ERROR;
	}
	for (i = 0; i < num; i++) {
		el->values[i].data = (uint8_t *)discard_const(values[i]);
		el->values[i].length = strlen(values[i]);
	}
	el->num_values = (unsigned)num;
	return LDB_SUCCESS;
}

/*
 * Replication metadata of servicePrincipalName (MS-DRSR 5.161
 * replPropertyMetaDataBlob, version 1): a 16-byte header (version,
 * reserved, count, reserved; 32 bits each, little-endian), then count
 * entries of 48 bytes: attid, version (32 bits each), originating change
 * time (64), originating invocationId (16 bytes), originating USN and
 * local USN (64 each).  servicePrincipalName is attid 0x00090303 in every
 * AD (prefix 1.2.840.113556.1.4 is index 9 of the fixed prefix table).
 */
#define SPN_ATTID 0x00090303u
#define META_HEADER 16u
#define META_ENTRY 48u

struct spn_stamp {
	bool known;	  /* the object has replication metadata */
	uint32_t version; /* 0: the attribute was never written */
	uint8_t invocation[16];
	uint64_t usn;
};

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static int read_spn_stamp(TALLOC_CTX *mem_ctx, struct spnpool_dir *dir,
			  const char *dn, struct spn_stamp *st)
{
	static const char *const attrs[] = {"replPropertyMetaData", NULL};
	struct ldb_result *res = NULL;
	struct ldb_dn *base = ldb_dn_new(mem_ctx, dir->ldb, dn);
	const struct ldb_val *v = NULL;
	uint32_t count;
	uint32_t i;
	int ret;

	*st = (struct spn_stamp){0};
	if (base == NULL) {
		return ldb_oom(dir->ldb);
	}
	ret = ldb_search(dir->ldb, mem_ctx, &res, base, LDB_SCOPE_BASE,
			 (const char *const *)attrs, NULL);
	if (ret == LDB_ERR_NO_SUCH_OBJECT) {
		return LDB_SUCCESS; /* not on this DC yet: nothing changed */
	}
	if (ret != LDB_SUCCESS) {
		return ret;
	}
	if (res->count != 1) {
		return LDB_SUCCESS;
	}
	v = ldb_msg_find_ldb_val(res->msgs[0], "replPropertyMetaData");
	if (v == NULL || v->length < META_HEADER || le32(v->data) != 1) {
		return LDB_SUCCESS; /* not AD, or unreadable: cannot tell */
	}
	count = le32(v->data + 8);
	if (count > (v->length - META_HEADER) / META_ENTRY) {
		return LDB_SUCCESS;
	}
	st->known = true;
	for (i = 0; i < count; i++) {
		const uint8_t *e = v->data + META_HEADER + i * META_ENTRY;
		uint32_t k;

		if (le32(e) != SPN_ATTID) {
			continue;
		}
		st->version = le32(e + 4);
		memcpy(st->invocation, e + 16, 16);
		st->usn = 0;
		for (k = 8; k > 0; k--) {
			st->usn = st->usn << 8 | e[32 + k - 1];
		}
		break;
	}
	return LDB_SUCCESS;
}

/*
 * Before writing the SPNs of dn on dir, with peers: does a peer hold a
 * change of them that dir has not seen?  Its attribute version is higher,
 * or equal with another origin.  AD replicates the whole attribute, the
 * higher version winning, so writing now would have replication keep
 * only one of the two changes: refuse, and let the admin replicate first.
 * A peer with a lower version only lags behind dir (our writes all go
 * to dir), which replication repairs without loss.
 */
static int check_peer_stamps(struct spnpool_dir *dir, const char *dn)
{
	TALLOC_CTX *tmp_ctx = talloc_new(dir);
	struct spn_stamp mine;
	size_t i;
	int ret;

	if (tmp_ctx == NULL) {
		return ldb_oom(dir->ldb);
	}
	ret = read_spn_stamp(tmp_ctx, dir, dn, &mine);
	for (i = 0; ret == LDB_SUCCESS && mine.known && i < dir->num_peers;
	     i++) {
		struct spnpool_dir *peer = dir->peers[i];
		struct spn_stamp theirs;

		ret = read_spn_stamp(tmp_ctx, peer, dn, &theirs);
		if (ret != LDB_SUCCESS) {
			ldb_asprintf_errstring(
				dir->ldb, "reading %s on %s: %s", dn,
				peer->dc_name ? peer->dc_name : "another DC",
				ldb_errstring(peer->ldb)
					? ldb_errstring(peer->ldb)
					: ldb_strerror(ret));
			break;
		}
		if (!theirs.known || theirs.version < mine.version ||
		    (theirs.version == mine.version &&
		     memcmp(theirs.invocation, mine.invocation, 16) == 0 &&
		     theirs.usn == mine.usn)) {
			continue;
		}
		ldb_asprintf_errstring(
			dir->ldb,
			"the SPNs of %s were changed through %s (attribute "
			"version %u) and %s has not received that change yet "
			"(version %u): writing now would let replication keep "
			"only one of the two changes; replicate first "
			"(samba-tool drs replicate), then run the command "
			"again",
			dn, peer->dc_name ? peer->dc_name : "another DC",
			(unsigned)theirs.version,
			dir->dc_name ? dir->dc_name : "the DC written to",
			(unsigned)mine.version);
		ret = LDB_ERR_CONSTRAINT_VIOLATION;
	}
	talloc_free(tmp_ctx);
	return ret;
}

int spnpool_dir_modify(struct spnpool_dir *dir, const char *dn,
		       const char *const *add, size_t num_add,
		       const char *const *del, size_t num_del)
{
	TALLOC_CTX *tmp_ctx = talloc_new(dir);
	struct ldb_message *msg = NULL;
	int ret;

	if (tmp_ctx == NULL) {
		return ldb_oom(dir->ldb);
	}
	msg = ldb_msg_new(tmp_ctx);
	if (msg == NULL) {
		ret = ldb_oom(dir->ldb);
		goto done;
	}
	msg->dn = ldb_dn_new(msg, dir->ldb, dn);
	if (msg->dn == NULL) {
		ret = ldb_oom(dir->ldb);
		goto done;
	}
	if (add_values_element(msg, LDB_FLAG_MOD_ADD, add, num_add) !=
		    LDB_SUCCESS ||
	    add_values_element(msg, LDB_FLAG_MOD_DELETE, del, num_del) !=
		    LDB_SUCCESS) {
		ret = ldb_oom(dir->ldb);
		goto done;
	}
	if (dir->num_peers > 0) {
		ret = check_peer_stamps(dir, dn);
		if (ret != LDB_SUCCESS) {
			goto done;
		}
	}
	ret = ldb_modify(dir->ldb, msg);
	if (ret != LDB_SUCCESS) {
		ret = spnpool_winerr_explain_write(dir, ret, dn, add, num_add);
	}
done:
	talloc_free(tmp_ctx);
	return ret;
}

int spnpool_dir_transaction_start(struct spnpool_dir *dir)
{
	return dir->local ? ldb_transaction_start(dir->ldb) : LDB_SUCCESS;
}

int spnpool_dir_transaction_commit(struct spnpool_dir *dir)
{
	return dir->local ? ldb_transaction_commit(dir->ldb) : LDB_SUCCESS;
}

int spnpool_dir_transaction_cancel(struct spnpool_dir *dir)
{
	return dir->local ? ldb_transaction_cancel(dir->ldb) : LDB_SUCCESS;
}

/* ---- privileged accounts (docs/design.md, "Privileged accounts") ---- */

#define UF_SERVER_TRUST_ACCOUNT 0x00002000
#define UF_PARTIAL_SECRETS_ACCOUNT 0x04000000

/* The RID of a binary SID under S-1-5-21-... (domain) or S-1-5-32
 * (BUILTIN); 0 for anything else. */
static uint32_t sid_rid(const struct ldb_val *v, bool *_builtin)
{
	const uint8_t *p = v->data;
	uint8_t n;
	uint32_t first;
	size_t off;

	*_builtin = false;
	if (v->length < 8 || p[0] != 1) {
		return 0;
	}
	n = p[1];
	if (n < 2 || v->length != 8 + 4 * (size_t)n ||
	    memcmp(p + 2, "\0\0\0\0\0\5", 6) != 0) {
		return 0;
	}
	first = (uint32_t)p[8] | (uint32_t)p[9] << 8 | (uint32_t)p[10] << 16 |
		(uint32_t)p[11] << 24;
	off = 8 + 4 * ((size_t)n - 1);
	if (first == 32 && n == 2) {
		*_builtin = true;
	} else if (first != 21 || n != 5) {
		return 0;
	}
	return (uint32_t)p[off] | (uint32_t)p[off + 1] << 8 |
	       (uint32_t)p[off + 2] << 16 | (uint32_t)p[off + 3] << 24;
}

static const char *const privileged_names[] = {
	SPNPOOL_PRIVILEGED_REASONS(SPNPOOL_ENUM_NAME)};

const char *spnpool_privileged_name(enum spnpool_privileged p)
{
	return SPNPOOL_NAME_OF(privileged_names, p);
}

/* Accounts (domain RIDs) and groups whose members are protected. */
static enum spnpool_privileged protected_rid(uint32_t rid, bool builtin,
					     bool self)
{
	if (builtin) {
		switch (rid) {
		case 544:
			return SPNPOOL_PRIVILEGED_ADMINISTRATORS;
		case 548:
			return SPNPOOL_PRIVILEGED_ACCOUNT_OPERATORS;
		case 549:
			return SPNPOOL_PRIVILEGED_SERVER_OPERATORS;
		case 550:
			return SPNPOOL_PRIVILEGED_PRINT_OPERATORS;
		case 551:
			return SPNPOOL_PRIVILEGED_BACKUP_OPERATORS;
		case 552:
			return SPNPOOL_PRIVILEGED_REPLICATOR;
		default:
			return SPNPOOL_PRIVILEGED_NONE;
		}
	}
	switch (rid) {
	case 500:
		return self ? SPNPOOL_PRIVILEGED_ADMINISTRATOR
			    : SPNPOOL_PRIVILEGED_NONE;
	case 501:
		return self ? SPNPOOL_PRIVILEGED_GUEST
			    : SPNPOOL_PRIVILEGED_NONE;
	case 502:
		return self ? SPNPOOL_PRIVILEGED_KRBTGT
			    : SPNPOOL_PRIVILEGED_NONE;
	case 512:
		return SPNPOOL_PRIVILEGED_DOMAIN_ADMINS;
	case 516:
		return SPNPOOL_PRIVILEGED_DC;
	case 518:
		return SPNPOOL_PRIVILEGED_SCHEMA_ADMINS;
	case 519:
		return SPNPOOL_PRIVILEGED_ENTERPRISE_ADMINS;
	case 521:
		return SPNPOOL_PRIVILEGED_RODC;
	case 526:
		return SPNPOOL_PRIVILEGED_KEY_ADMINS;
	case 527:
		return SPNPOOL_PRIVILEGED_ENTERPRISE_KEY_ADMINS;
	default:
		return SPNPOOL_PRIVILEGED_NONE;
	}
}

int spnpool_dir_privileged(TALLOC_CTX *mem_ctx, struct spnpool_dir *dir,
			   const char *dn, enum spnpool_privileged *_reason)
{
	static const char *const attrs[] = {
		"sAMAccountName", "userAccountControl", "adminCount",
		"objectSid",	  "tokenGroups",	NULL,
	};
	TALLOC_CTX *tmp_ctx = talloc_new(mem_ctx);
	struct ldb_message *msg = NULL;
	struct ldb_message_element *el = NULL;
	const struct ldb_val *sid = NULL;
	const char *sam = NULL;
	enum spnpool_privileged why = SPNPOOL_PRIVILEGED_NONE;
	struct ldb_dn *ldn = NULL;
	unsigned uac;
	unsigned i;
	bool builtin = false;
	int ret;

	*_reason = SPNPOOL_PRIVILEGED_NONE;
	if (tmp_ctx == NULL) {
		return ldb_oom(dir->ldb);
	}
	ldn = ldb_dn_new(tmp_ctx, dir->ldb, dn);
	if (ldn == NULL || !ldb_dn_validate(ldn)) {
		ldb_asprintf_errstring(dir->ldb, "'%s' is not a valid DN", dn);
		ret = LDB_ERR_INVALID_DN_SYNTAX;
		goto done;
	}
	ret = read_object(tmp_ctx, dir, ldn, attrs, &msg);
	if (ret == LDB_SUCCESS && msg == NULL) {
		ldb_asprintf_errstring(dir->ldb, "account %s not found", dn);
		ret = LDB_ERR_NO_SUCH_OBJECT;
	}
	if (ret != LDB_SUCCESS) {
		goto done;
	}
	sam = ldb_msg_find_attr_as_string(msg, "sAMAccountName", "");
	uac = ldb_msg_find_attr_as_uint(msg, "userAccountControl", 0);
	sid = ldb_msg_find_ldb_val(msg, "objectSid");
	if (strcasecmp(sam, "krbtgt") == 0 ||
	    strncasecmp(sam, "krbtgt_", 7) == 0) {
		why = SPNPOOL_PRIVILEGED_KRBTGT;
	} else if (uac & UF_PARTIAL_SECRETS_ACCOUNT) {
		why = SPNPOOL_PRIVILEGED_RODC;
	} else if (uac & UF_SERVER_TRUST_ACCOUNT) {
		why = SPNPOOL_PRIVILEGED_DC;
	} else if (sid != NULL &&
		   (why = protected_rid(sid_rid(sid, &builtin), builtin,
					true)) != SPNPOOL_PRIVILEGED_NONE) {
		/* the well-known accounts themselves */
	} else if (ldb_msg_find_attr_as_int(msg, "adminCount", 0) == 1) {
		why = SPNPOOL_PRIVILEGED_ADMIN_COUNT;
	} else if (uac & UF_ACCOUNTDISABLE) {
		why = SPNPOOL_PRIVILEGED_DISABLED;
	}
	el = ldb_msg_find_element(msg, "tokenGroups");
	for (i = 0;
	     why == SPNPOOL_PRIVILEGED_NONE && el != NULL && i < el->num_values;
	     i++) {
		uint32_t rid = sid_rid(&el->values[i], &builtin);

		why = protected_rid(rid, builtin, false);
	}
	*_reason = why;
done:
	talloc_free(tmp_ctx);
	return ret;
}

/* ---- AD-integrated DNS ---- */

/* Append the dnsZone entries directly under base to zones. */
static int read_zones_under(struct spnpool_dir *dir, struct ldb_dn *base,
			    struct spnpool_dns_zones *zones)
{
	static const char *const attrs[] = {"name", NULL};
	TALLOC_CTX *tmp_ctx = talloc_new(zones);
	struct ldb_result *res = NULL;
	unsigned k;
	int ret;

	if (tmp_ctx == NULL) {
		return ldb_oom(dir->ldb);
	}
	ret = ldb_search(dir->ldb, tmp_ctx, &res, base, LDB_SCOPE_ONELEVEL,
			 (const char **)attrs, "(objectClass=dnsZone)");
	if (ret == LDB_ERR_NO_SUCH_OBJECT) {
		ret = LDB_SUCCESS; /* no DNS in this partition */
		goto done;
	}
	if (ret == LDB_ERR_REFERRAL) {
		/* a naming context held elsewhere: warned of, skipped */
		ret = spnpool_winerr_scan_referral(dir, ret,
						   ldb_dn_get_linearized(base));
		goto done;
	}
	if (ret != LDB_SUCCESS) {
		goto done;
	}
	for (k = 0; k < res->count; k++) {
		const struct ldb_val *v = ldb_dn_get_rdn_val(res->msgs[k]->dn);
		struct spnpool_dns_zone *z =
			SPNPOOL_APPEND(zones, zones->zones, zones->num);

		if (z == NULL) {
			ret = ldb_oom(dir->ldb);
			goto done;
		}
		z->dn = talloc_steal(zones->zones, res->msgs[k]->dn);
		z->name = talloc_strndup(zones->zones,
					 v != NULL ? (const char *)v->data : "",
					 v != NULL ? v->length : 0);
		if (z->name == NULL) {
			ret = ldb_oom(dir->ldb);
			goto done;
		}
	}
done:
	talloc_free(tmp_ctx);
	return ret;
}

int spnpool_dir_dns_zones(TALLOC_CTX *mem_ctx, struct spnpool_dir *dir,
			  struct spnpool_dns_zones **_zones)
{
	TALLOC_CTX *tmp_ctx = talloc_new(mem_ctx);
	struct spnpool_dns_zones *zones = NULL;
	struct ldb_dn *base = NULL;
	size_t i;
	int ret;

	if (tmp_ctx == NULL) {
		return ldb_oom(dir->ldb);
	}
	zones = talloc_zero(tmp_ctx, struct spnpool_dns_zones);
	if (zones == NULL) {
		ret = ldb_oom(dir->ldb);
		goto done;
	}
	for (i = 0; i < dir->num_naming_contexts; i++) {
		base = ldb_dn_new(tmp_ctx, dir->ldb, dir->naming_contexts[i]);
		if (base == NULL) {
			ret = ldb_oom(dir->ldb);
			goto done;
		}
		/* AD-integrated zones may live in any naming context
		 * (application partitions of any name), so every one is
		 * asked */
		if (!ldb_dn_add_child_fmt(base, "CN=MicrosoftDNS")) {
			ret = ldb_oom(dir->ldb);
			goto done;
		}
		ret = read_zones_under(dir, base, zones);
		if (ret != LDB_SUCCESS) {
			goto done;
		}
	}
	/* the legacy place, in the domain partition */
	base = ldb_dn_new(tmp_ctx, dir->ldb, dir->default_nc);
	if (base == NULL ||
	    !ldb_dn_add_child_fmt(base, "CN=MicrosoftDNS,CN=System")) {
		ret = ldb_oom(dir->ldb);
		goto done;
	}
	ret = read_zones_under(dir, base, zones);
	if (ret != LDB_SUCCESS) {
		goto done;
	}
	*_zones = talloc_move(mem_ctx, &zones);
done:
	talloc_free(tmp_ctx);
	return ret;
}

/* The zone of zones that holds name (the longest suffix), or NULL. */
static const struct spnpool_dns_zone *
zone_of(const struct spnpool_dns_zones *zones, const char *name)
{
	const struct spnpool_dns_zone *best = NULL;
	size_t best_len = 0;
	size_t name_len = strlen(name);
	size_t i;

	for (i = 0; i < zones->num; i++) {
		const char *z = zones->zones[i].name;
		size_t zl = strlen(z);

		if (zl <= best_len || zl > name_len) {
			continue;
		}
		if (strcasecmp(name + name_len - zl, z) == 0 &&
		    (zl == name_len || name[name_len - zl - 1] == '.')) {
			best = &zones->zones[i];
			best_len = zl;
		}
	}
	return best;
}

int spnpool_dir_dns_lookup(TALLOC_CTX *mem_ctx, struct spnpool_dir *dir,
			   const struct spnpool_dns_zones *zones,
			   const char *name,
			   enum spnpool_dir_dns_answer *_answer, char **_target)
{
	static const char *const attrs[] = {"dnsRecord", NULL};
	const struct spnpool_dns_zone *zone = zone_of(zones, name);
	TALLOC_CTX *tmp_ctx = NULL;
	struct ldb_message *msg = NULL;
	struct ldb_message_element *el = NULL;
	struct ldb_dn *node = NULL;
	char *relative = NULL;
	size_t zl;
	unsigned i;
	int ret;

	*_answer = SPNPOOL_DIR_DNS_NO_ZONE;
	*_target = NULL;
	if (zone == NULL) {
		return LDB_SUCCESS;
	}
	*_answer = SPNPOOL_DIR_DNS_NO_RECORD;
	tmp_ctx = talloc_new(mem_ctx);
	if (tmp_ctx == NULL) {
		return ldb_oom(dir->ldb);
	}
	zl = strlen(zone->name);
	relative = (zl == strlen(name)) ? talloc_strdup(tmp_ctx, "@")
					: talloc_strndup(tmp_ctx, name,
							 strlen(name) - zl - 1);
	node = ldb_dn_copy(tmp_ctx, zone->dn);
	if (relative == NULL || node == NULL ||
	    !ldb_dn_add_child_fmt(node, "DC=%s", relative)) {
		ret = ldb_oom(dir->ldb);
		goto done;
	}
	ret = read_object(tmp_ctx, dir, node, attrs, &msg);
	if (ret != LDB_SUCCESS || msg == NULL) {
		goto done;
	}
	el = ldb_msg_find_element(msg, "dnsRecord");
	for (i = 0; el != NULL && i < el->num_values; i++) {
		struct spnpool_dns_record *rec = NULL;
		size_t k;

		if (spnpool_dns_record_parse(tmp_ctx, el->values[i].data,
					     el->values[i].length,
					     &rec) != SPNPOOL_OK) {
			ldb_debug(dir->ldb, LDB_DEBUG_WARNING,
				  "spnpool: ignoring a malformed dnsRecord "
				  "of %s",
				  ldb_dn_get_linearized(node));
			continue;
		}
		if (rec->type == SPNPOOL_DNS_TYPE_A ||
		    rec->type == SPNPOOL_DNS_TYPE_AAAA) {
			*_answer = SPNPOOL_DIR_DNS_ADDRESS;
			continue;
		}
		if (rec->type != SPNPOOL_DNS_TYPE_CNAME) {
			continue;
		}
		for (k = 0; rec->target[k] != '\0'; k++) {
			rec->target[k] = spnpool_ascii_lower(rec->target[k]);
		}
		*_target = talloc_steal(mem_ctx, rec->target);
		*_answer = SPNPOOL_DIR_DNS_CNAME;
		break;
	}
done:
	talloc_free(tmp_ctx);
	return ret;
}

/* ---- the accounts holding one exact value ---- */

int spnpool_dir_holders_named(TALLOC_CTX *mem_ctx, struct spnpool_dir *dir,
			      const char *spn, struct spnpool_holder_name *out,
			      size_t max, size_t *_n)
{
	static const char *const attrs[] = {"sAMAccountName",
					    "userAccountControl", NULL};
	TALLOC_CTX *tmp_ctx = talloc_new(mem_ctx);
	struct ldb_dn *default_nc = NULL;
	struct ldb_dn **seen = NULL;
	const char *enc = NULL;
	size_t n = 0;
	size_t i;
	int ret = LDB_SUCCESS;

	*_n = 0;
	if (tmp_ctx == NULL) {
		return ldb_oom(dir->ldb);
	}
	enc = ldb_binary_encode_string(tmp_ctx, spn);
	default_nc = ldb_dn_new(tmp_ctx, dir->ldb, dir->default_nc);
	seen = talloc_zero_array(tmp_ctx, struct ldb_dn *, max + 1);
	if (enc == NULL || default_nc == NULL || seen == NULL) {
		ret = ldb_oom(dir->ldb);
		goto done;
	}
	/* the default NC first: accounts live there; stop once max found */
	for (i = 0; i <= dir->num_naming_contexts && n < max; i++) {
		struct ldb_dn *base = default_nc;
		struct ldb_result *res = NULL;
		unsigned k;

		if (i > 0) {
			base = ldb_dn_new(tmp_ctx, dir->ldb,
					  dir->naming_contexts[i - 1]);
			if (base == NULL) {
				ret = ldb_oom(dir->ldb);
				goto done;
			}
			if (ldb_dn_compare(base, default_nc) == 0) {
				continue;
			}
		}
		ret = ldb_search(dir->ldb, tmp_ctx, &res, base,
				 LDB_SCOPE_SUBTREE, (const char **)attrs,
				 "(servicePrincipalName=%s)", enc);
		if (ret == LDB_ERR_NO_SUCH_OBJECT) {
			ret = LDB_SUCCESS;
			continue;
		}
		if (ret == LDB_ERR_REFERRAL) {
			/* a naming context held elsewhere: warned, skipped */
			ret = spnpool_winerr_scan_referral(
				dir, ret, ldb_dn_get_linearized(base));
			if (ret != LDB_SUCCESS) {
				goto done;
			}
			continue;
		}
		if (ret != LDB_SUCCESS) {
			goto done;
		}
		for (k = 0; k < res->count && n < max; k++) {
			const struct ldb_message *m = res->msgs[k];
			const char *sam = ldb_msg_find_attr_as_string(
				m, "sAMAccountName", NULL);
			bool dup = false;
			size_t j;

			/* child partitions show up under their parent */
			for (j = 0; j < n && !dup; j++) {
				dup = ldb_dn_compare(seen[j], m->dn) == 0;
			}
			if (dup) {
				continue;
			}
			seen[n] = m->dn;
			out[n].dn = talloc_strdup(mem_ctx,
						  ldb_dn_get_linearized(m->dn));
			out[n].sam = talloc_strdup(
				mem_ctx, sam != NULL ? sam : out[n].dn);
			out[n].disabled = (ldb_msg_find_attr_as_uint(
						   m, "userAccountControl", 0) &
					   UF_ACCOUNTDISABLE) != 0;
			if (out[n].dn == NULL || out[n].sam == NULL) {
				ret = ldb_oom(dir->ldb);
				goto done;
			}
			n++;
		}
	}
	*_n = n;
done:
	talloc_free(tmp_ctx);
	return ret;
}

/* ---- DN rules ---- */

bool spnpool_dir_dn_equal(struct spnpool_dir *dir, const char *a, const char *b)
{
	TALLOC_CTX *tmp_ctx = talloc_new(dir);
	struct ldb_dn *da = NULL;
	struct ldb_dn *db = NULL;
	bool equal;

	if (tmp_ctx == NULL) {
		return strcasecmp(a, b) == 0;
	}
	da = ldb_dn_new(tmp_ctx, dir->ldb, a);
	db = ldb_dn_new(tmp_ctx, dir->ldb, b);
	if (da == NULL || db == NULL || !ldb_dn_validate(da) ||
	    !ldb_dn_validate(db)) {
		equal = strcasecmp(a, b) == 0;
	} else {
		equal = ldb_dn_compare(da, db) == 0;
	}
	talloc_free(tmp_ctx);
	return equal;
}

const char *spnpool_dir_owning_nc(struct spnpool_dir *dir, struct ldb_dn *dn)
{
	const char *best = NULL;
	int best_depth = -1;
	size_t i;

	for (i = 0; i < dir->num_naming_contexts; i++) {
		int depth = ldb_dn_get_comp_num(dir->nc_dns[i]);

		if (depth > best_depth &&
		    ldb_dn_compare_base(dir->nc_dns[i], dn) == 0) {
			best = dir->naming_contexts[i];
			best_depth = depth;
		}
	}
	return best;
}
