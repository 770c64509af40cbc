/*
 * libspnpool: check.  Predicts from the directory alone what a client
 * gets for a site: the SPN it requests (browser-like clients canonicalise
 * through the AD-integrated zones, as-typed ones do not), the account
 * Samba's KDC picks for it (docs/design.md, "How Samba's KDC picks the
 * account"), and whether the pool can decrypt that ticket.
 */

#include <string.h>
#include <strings.h>

#include <ldb.h>
#include <ldb_module.h>

#include "spnpool_private.h"

#define MAX_CNAME_HOPS 8

static const char *const verdict_names[] = {
	[SPNPOOL_VERDICT_KERBEROS_OK] = "kerberos-ok",
	[SPNPOOL_VERDICT_NTLM_FALLBACK] = "ntlm-fallback",
	[SPNPOOL_VERDICT_KERBEROS_FAILS] = "kerberos-fails",
	[SPNPOOL_VERDICT_DUPLICATE] = "duplicate",
	[SPNPOOL_VERDICT_UNRESOLVABLE] = "unresolvable",
};

const char *spnpool_verdict_name(enum spnpool_verdict v)
{
	if ((unsigned)v >= sizeof(verdict_names) / sizeof(verdict_names[0])) {
		return "unknown";
	}
	return verdict_names[v];
}

int spnpool_verdict_exit_code(enum spnpool_verdict v)
{
	return (v == SPNPOOL_VERDICT_KERBEROS_OK) ? 0 : 9 + (int)v;
}

const char *spnpool_client_model_name(enum spnpool_client_model m)
{
	switch (m) {
	case SPNPOOL_CLIENT_BROWSER:
		return "browser";
	case SPNPOOL_CLIENT_AS_TYPED:
		return "as-typed";
	}
	return "unknown";
}

/* ---- AD-integrated DNS ---- */

/* The DNs of the zones of every DNS partition (and the legacy one). */
static int find_zones(TALLOC_CTX *mem_ctx, struct spnpool_dir *dir,
		      struct ldb_result **_zones)
{
	static const char *const attrs[] = {"name", NULL};
	struct ldb_result *all = talloc_zero(mem_ctx, struct ldb_result);
	size_t i;

	if (all == NULL) {
		return ldb_oom(dir->ldb);
	}
	for (i = 0; i <= dir->num_naming_contexts; i++) {
		struct ldb_result *res = NULL;
		struct ldb_dn *base = NULL;
		unsigned k;
		int ret;

		if (i < dir->num_naming_contexts) {
			const char *nc = dir->naming_contexts[i];

			/* AD-integrated zones may live in any naming
			 * context (application partitions of any name), so
			 * every one is asked */
			base = ldb_dn_new_fmt(mem_ctx, dir->ldb,
					      "CN=MicrosoftDNS,%s", nc);
		} else {
			base = ldb_dn_new_fmt(mem_ctx, dir->ldb,
					      "CN=MicrosoftDNS,CN=System,%s",
					      dir->default_nc);
		}
		if (base == NULL) {
			return ldb_oom(dir->ldb);
		}
		ret = ldb_search(dir->ldb, mem_ctx, &res, base,
				 LDB_SCOPE_ONELEVEL, (const char **)attrs,
				 "(objectClass=dnsZone)");
		if (ret == LDB_ERR_NO_SUCH_OBJECT) {
			continue;
		}
		if (ret == LDB_ERR_REFERRAL &&
		    spnpool_winerr_scan_referral(
			    dir, ret, ldb_dn_get_linearized(base)) ==
			    LDB_SUCCESS) {
			continue;
		}
		if (ret != LDB_SUCCESS) {
			return ret;
		}
		for (k = 0; k < res->count; k++) {
			struct ldb_message **grown = talloc_realloc(
				all, all->msgs, struct ldb_message *,
				all->count + 1);

			if (grown == NULL) {
				return ldb_oom(dir->ldb);
			}
			all->msgs = grown;
			all->msgs[all->count++] = talloc_steal(all,
							       res->msgs[k]);
		}
	}
	*_zones = all;
	return LDB_SUCCESS;
}

/* The zone name of a dnsZone entry: the value of its first RDN. */
static const char *zone_name(const struct ldb_message *zone)
{
	const struct ldb_val *v = ldb_dn_get_rdn_val(zone->dn);

	return (v != NULL) ? (const char *)v->data : "";
}

/* The CNAME target of name in AD DNS, or NULL (no node, no CNAME). */
/* What AD DNS says of one name (see spnpool_check_result.dns). */
static const char dns_unknown[] = "unknown";
static const char dns_missing[] = "missing";
static const char dns_address[] = "address";
static const char dns_cname[] = "cname";

static int lookup_cname(TALLOC_CTX *mem_ctx,
			struct spnpool_dir *dir,
			const struct ldb_result *zones,
			const char *name,
			char **_target,
			const char **_state)
{
	static const char *const attrs[] = {"dnsRecord", NULL};
	const struct ldb_message *best = NULL;
	size_t best_len = 0;
	size_t name_len = strlen(name);
	struct ldb_result *res = NULL;
	struct ldb_message_element *el = NULL;
	struct ldb_dn *node = NULL;
	char *relative = NULL;
	unsigned i;
	int ret;

	*_target = NULL;
	*_state = dns_unknown;
	for (i = 0; i < zones->count; i++) {
		const char *z = zone_name(zones->msgs[i]);
		size_t zl = strlen(z);

		if (zl <= best_len || zl > name_len) {
			continue;
		}
		if (strcasecmp(name + name_len - zl, z) == 0 &&
		    (zl == name_len || name[name_len - zl - 1] == '.')) {
			best = zones->msgs[i];
			best_len = zl;
		}
	}
	if (best == NULL) {
		return LDB_SUCCESS;
	}
	*_state = dns_missing;
	relative = (best_len == name_len)
			   ? talloc_strdup(mem_ctx, "@")
			   : talloc_strndup(mem_ctx, name,
					    name_len - best_len - 1);
	if (relative == NULL) {
		return ldb_oom(dir->ldb);
	}
	node = ldb_dn_copy(mem_ctx, best->dn);
	if (node == NULL ||
	    !ldb_dn_add_child_fmt(node, "DC=%s", relative)) {
		return ldb_oom(dir->ldb);
	}
	ret = ldb_search(dir->ldb, mem_ctx, &res, node, LDB_SCOPE_BASE,
			 (const char **)attrs, NULL);
	if (ret == LDB_ERR_NO_SUCH_OBJECT) {
		return LDB_SUCCESS;
	}
	if (ret != LDB_SUCCESS || res->count != 1) {
		return ret;
	}
	el = ldb_msg_find_element(res->msgs[0], "dnsRecord");
	for (i = 0; el != NULL && i < el->num_values; i++) {
		struct spnpool_dns_record *rec = NULL;

		if (spnpool_dns_record_parse(mem_ctx, el->values[i].data,
					     el->values[i].length,
					     &rec) != SPNPOOL_OK) {
			ldb_debug(dir->ldb, LDB_DEBUG_WARNING,
				  "spnpool: ignoring a malformed dnsRecord "
				  "of %s",
				  ldb_dn_get_linearized(node));
			continue;
		}
		if (rec->type == SPNPOOL_DNS_TYPE_CNAME) {
			size_t k;

			for (k = 0; rec->target[k] != '\0'; k++) {
				rec->target[k] =
					spnpool_ascii_lower(rec->target[k]);
			}
			*_target = rec->target;
			*_state = dns_cname;
			return LDB_SUCCESS;
		}
		if (rec->type == SPNPOOL_DNS_TYPE_A ||
		    rec->type == SPNPOOL_DNS_TYPE_AAAA) {
			*_state = dns_address;
		}
	}
	return LDB_SUCCESS;
}

/* Follow CNAMEs from host; the last name is what the browser asks for. */
static int follow_cnames(TALLOC_CTX *mem_ctx,
			 struct spnpool_dir *dir,
			 struct spnpool_check_result *r)
{
	struct ldb_result *zones = NULL;
	enum spnpool_host_kind kind;
	char *name = NULL;
	int ret;

	r->dns = dns_unknown;
	ret = find_zones(mem_ctx, dir, &zones);
	if (ret != LDB_SUCCESS || zones->count == 0) {
		return ret;
	}
	/* a short name is resolved with the domain as search suffix */
	if (spnpool_host_check(r->host, &kind) == SPNPOOL_OK &&
	    kind == SPNPOOL_HOST_SHORT) {
		name = talloc_asprintf(mem_ctx, "%s.%s", r->host,
				       dir->dns_domain);
	} else {
		name = talloc_strdup(mem_ctx, r->host);
	}
	while (name != NULL && r->num_cnames < MAX_CNAME_HOPS) {
		char *target = NULL;
		char **grown = NULL;
		size_t i;

		ret = lookup_cname(mem_ctx, dir, zones, name, &target,
				   &r->dns);
		if (ret != LDB_SUCCESS || target == NULL) {
			return ret;
		}
		for (i = 0; i < r->num_cnames; i++) {
			if (strcmp(r->cname_chain[i], target) == 0) {
				return LDB_SUCCESS; /* a loop: stop */
			}
		}
		grown = talloc_realloc(r, r->cname_chain, char *,
				       r->num_cnames + 1);
		if (grown == NULL) {
			return ldb_oom(dir->ldb);
		}
		r->cname_chain = grown;
		r->cname_chain[r->num_cnames++] = talloc_steal(grown, target);
		name = target;
	}
	return (name == NULL) ? ldb_oom(dir->ldb) : LDB_SUCCESS;
}

/* ---- who answers ---- */

static int add_answerer(struct spnpool_check_result *r,
			struct spnpool_dir *dir,
			const char *dn,
			const char *sam,
			const char *value,
			enum spnpool_via via)
{
	struct spnpool_answerer *a = NULL;
	size_t i;

	for (i = 0; i < r->num_answerers; i++) {
		if (strcasecmp(r->answerers[i].dn, dn) == 0) {
			return LDB_SUCCESS;
		}
	}
	a = talloc_realloc(r, r->answerers, struct spnpool_answerer,
			   r->num_answerers + 1);
	if (a == NULL) {
		return ldb_oom(dir->ldb);
	}
	r->answerers = a;
	a = &r->answerers[r->num_answerers++];
	a->dn = talloc_strdup(r->answerers, dn);
	a->sam_account_name = (sam != NULL) ? talloc_strdup(r->answerers, sam)
					    : NULL;
	a->value = (value != NULL) ? talloc_strdup(r->answerers, value) : NULL;
	a->via = via;
	return (a->dn == NULL) ? ldb_oom(dir->ldb) : LDB_SUCCESS;
}

static int sam_of(TALLOC_CTX *mem_ctx, struct spnpool_dir *dir,
		  const char *dn, char **_sam)
{
	struct spnpool_account *a = NULL;
	int ret = spnpool_dir_find_account(mem_ctx, dir, dn, NULL, &a);

	*_sam = (ret == LDB_SUCCESS) ? a->sam_account_name : NULL;
	return (ret == LDB_ERR_OBJECT_CLASS_VIOLATION) ? LDB_SUCCESS : ret;
}

/*
 * Samba's KDC (cracknames, the same in 4.17 and 4.22): the exact holders
 * of HTTP/X; if there are none, sPNMappings turns the class into host and
 * ONE search over every partition looks for users holding host/X or
 * computers whose cn is X's first label.  Exactly one object answers;
 * two or more are as unknown as none.  The cn is not the
 * sAMAccountName: they differ for renamed computers and DNS names longer
 * than 15 characters.
 */
static int find_answerers(TALLOC_CTX *mem_ctx,
			  struct spnpool_dir *dir,
			  struct spnpool_check_result *r)
{
	struct spnpool_holder *holders = NULL;
	struct spnpool_kdc_match *matches = NULL;
	const char *instance = strchr(r->spn, '/');
	const char *target = NULL;
	char *host_spn = NULL;
	char *cn = NULL;
	bool samba = true;
	size_t num = 0;
	size_t i;
	int ret;

	ret = spnpool_dir_find_holders(mem_ctx, dir, (const char *const *)&r->spn,
				       1, false, &holders, &num);
	if (ret != LDB_SUCCESS) {
		return ret;
	}
	for (i = 0; i < num; i++) {
		char *sam = NULL;

		ret = sam_of(mem_ctx, dir, holders[i].dn, &sam);
		if (ret == LDB_SUCCESS) {
			ret = add_answerer(r, dir, holders[i].dn, sam,
					   holders[i].value,
					   SPNPOOL_VIA_EXPLICIT);
		}
		if (ret != LDB_SUCCESS) {
			return ret;
		}
	}
	if (r->num_answerers > 0 || instance == NULL) {
		return LDB_SUCCESS;
	}
	instance++;
	target = spnpool_alias_target(dir->aliases, "http");
	if (target == NULL) {
		return LDB_SUCCESS; /* no mapping: no fallback at all */
	}
	host_spn = talloc_asprintf(mem_ctx, "%s/%s", target, instance);
	if (host_spn == NULL) {
		return ldb_oom(dir->ldb);
	}
	ret = spnpool_dir_is_samba(dir, &samba);
	if (ret != LDB_SUCCESS) {
		return ret;
	}
	/* the computer-name last resort is Samba's KDC's alone */
	if (samba && strcasecmp(target, "host") == 0) {
		cn = talloc_strndup(mem_ctx, instance, strcspn(instance, "."));
		if (cn == NULL) {
			return ldb_oom(dir->ldb);
		}
	}
	ret = spnpool_dir_find_kdc_fallback(mem_ctx, dir, host_spn, cn,
					    &matches, &num);
	for (i = 0; ret == LDB_SUCCESS && i < num; i++) {
		ret = add_answerer(r, dir, matches[i].dn,
				   matches[i].sam_account_name,
				   matches[i].value,
				   matches[i].value != NULL
					   ? SPNPOOL_VIA_HOST_ALIAS
					   : SPNPOOL_VIA_COMPUTER_NAME);
	}
	return ret;
}

/* ---- verdict ---- */

static int add_fix(struct spnpool_check_result *r, char *fix)
{
	char **grown = NULL;

	if (fix == NULL) {
		return LDB_ERR_OPERATIONS_ERROR;
	}
	grown = talloc_realloc(r, r->fixes, char *, r->num_fixes + 1);
	if (grown == NULL) {
		return LDB_ERR_OPERATIONS_ERROR;
	}
	grown[r->num_fixes++] = talloc_steal(grown, fix);
	r->fixes = grown;
	return LDB_SUCCESS;
}

/* The fixes that register the SPN on the pool's account WHO: our command
 * and setspn's equivalent. */
static int add_register_fixes(struct spnpool_check_result *r,
			      const char *who,
			      const char *host,
			      const char *dom)
{
	int ret;

	ret = add_fix(r, talloc_asprintf(
			      r, "samba-tool spn http-pool add '%s' %s",
			      who, host));
	if (ret != LDB_SUCCESS) {
		return ret;
	}
	return add_fix(r, talloc_asprintf(r, "setspn -S %s %s\\%s",
					  r->spn, dom, who));
}

static const char *via_words(enum spnpool_via via)
{
	switch (via) {
	case SPNPOOL_VIA_EXPLICIT:
		return "holds it explicitly";
	case SPNPOOL_VIA_HOST_ALIAS:
		return "answers through its HOST/ SPN, which sPNMappings maps to "
		       "http";
	case SPNPOOL_VIA_COMPUTER_NAME:
		return "is the computer whose cn is the host's first label";
	}
	return "";
}

static const char *answerer_name(const struct spnpool_answerer *a)
{
	return (a->sam_account_name != NULL) ? a->sam_account_name : a->dn;
}

static const char iis7_app_pool_creds[] =
	"IIS 7+ (kernel mode): appcmd set config \"SITE\" "
	"-section:system.webServer/security/authentication/"
	"windowsAuthentication /useAppPoolCredentials:\"True\" "
	"/commit:apphost";
static const char iis7_ntlm_only[] =
	"IIS 7+ (NTLM only): appcmd set config \"SITE\" "
	"-section:system.webServer/security/authentication/"
	"windowsAuthentication /-\"providers.[value='Negotiate']\" "
	"/commit:apphost";
static const char iis6_ntlm_only[] =
	"IIS 6 (NTLM only): cscript adsutil.vbs set "
	"w3svc/SITE-ID/root/NTAuthenticationProviders \"NTLM\"";

static int decide(TALLOC_CTX *mem_ctx,
		  struct spnpool_dir *dir,
		  struct spnpool_check_result *r,
		  const struct spnpool_check_request *req,
		  const char *name)
{
	const char *who = r->expected->sam_account_name;
	const char *dom = dir->netbios_domain != NULL ? dir->netbios_domain
						      : dir->dns_domain;
	/* the name the browser asks for: after CNAMEs, as typed otherwise;
	 * with the port when the client puts it in the SPN */
	const char *host = name;
	int ret = LDB_SUCCESS;

	if (req->include_port && r->port != 0) {
		host = talloc_asprintf(r, "%s --port %u", name,
				       (unsigned)r->port);
		if (host == NULL) {
			return ldb_oom(dir->ldb);
		}
	}
	size_t i;

	(void)mem_ctx;
	if (r->num_cnames > 0 && (strcmp(r->dns, dns_missing) == 0 ||
				  strcmp(r->dns, dns_cname) == 0)) {
		const char *last = r->cname_chain[r->num_cnames - 1];

		r->verdict = SPNPOOL_VERDICT_UNRESOLVABLE;
		r->reason = talloc_asprintf(
			r,
			strcmp(r->dns, dns_cname) == 0
				? "%s leads into a CNAME loop (or a chain too "
				  "long) at %s in AD DNS: clients using AD DNS "
				  "cannot reach the site at all, with or "
				  "without Kerberos"
				: "%s is a CNAME to %s, which has no record in "
				  "its AD DNS zone: clients using AD DNS cannot "
				  "reach the site at all, with or without "
				  "Kerberos",
			r->host, last);
		if (r->reason == NULL) {
			return ldb_oom(dir->ldb);
		}
		return add_fix(r, talloc_asprintf(
					  r,
					  "samba-tool dns query <DC> %s %s "
					  "ALL; then point the CNAME at a name "
					  "with an A/AAAA record, or give %s "
					  "such a record",
					  dir->dns_domain, r->host, last));
	}
	if (r->num_answerers > 1 &&
	    r->answerers[0].via != SPNPOOL_VIA_EXPLICIT) {
		r->verdict = SPNPOOL_VERDICT_DUPLICATE;
		r->reason = talloc_asprintf(
			r,
			"nobody holds %s, and Samba's KDC's fallback search "
			"(users holding host/ of the name, computers whose cn "
			"is its first label) finds %zu objects: the KDC treats "
			"it as unknown, so browsers fall back to NTLM (or fail "
			"when only Negotiate is offered)",
			r->spn, r->num_answerers);
		/* an explicit SPN is found before the fallback runs */
		ret = add_register_fixes(r, who, host, dom);
		if (ret == LDB_SUCCESS) {
			ret = add_fix(r, talloc_strdup(
						 r, "or delete the stale "
						    "computer or HOST/ value "
						    "among those listed"));
		}
		return ret;
	}
	if (r->num_answerers > 1) {
		r->verdict = SPNPOOL_VERDICT_DUPLICATE;
		r->reason = talloc_asprintf(
			r,
			"%s is held by %zu accounts: the KDC treats it as "
			"unknown, so browsers fall back to NTLM (or fail when "
			"only Negotiate is offered); only a directory search "
			"tells this from a missing SPN",
			r->spn, r->num_answerers);
		for (i = 0; i < r->num_answerers && ret == LDB_SUCCESS; i++) {
			const struct spnpool_answerer *a = &r->answerers[i];

			if (strcasecmp(a->dn, r->expected->dn) == 0 ||
			    a->via == SPNPOOL_VIA_COMPUTER_NAME) {
				continue;
			}
			ret = add_fix(r, talloc_asprintf(
					      r,
					      "samba-tool spn http-pool remove "
					      "'%s' %s",
					      a->sam_account_name, host));
			if (ret == LDB_SUCCESS) {
				ret = add_fix(r, talloc_asprintf(
						      r, "setspn -D %s %s\\%s",
						      a->value, dom,
						      a->sam_account_name));
			}
		}
		return ret;
	}
	if (r->num_answerers == 0 && strcmp(r->kdc, "windows") == 0) {
		r->verdict = SPNPOOL_VERDICT_NTLM_FALLBACK;
		r->reason = talloc_asprintf(
			r,
			"nobody holds %s (no explicit SPN, no HOST/ alias): the "
			"name is unknown to the KDC, whose LookupSPN ([MS-DRSR] "
			"4.1.4.2.14) has no computer-name fallback, and "
			"browsers silently fall back to NTLM",
			r->spn);
		return add_register_fixes(r, who, host, dom);
	}
	if (r->num_answerers == 0) {
		r->verdict = SPNPOOL_VERDICT_NTLM_FALLBACK;
		r->reason = talloc_asprintf(
			r,
			"nobody holds %s (no explicit SPN, no HOST/ alias, no "
			"computer whose cn is the first label): the KDC "
			"answers 'principal unknown' and browsers silently "
			"fall back to NTLM",
			r->spn);
		ret = add_register_fixes(r, who, host, dom);
		return ret;
	}
	if (strcasecmp(r->answerers[0].dn, r->expected->dn) == 0) {
		r->verdict = SPNPOOL_VERDICT_KERBEROS_OK;
		r->reason = talloc_asprintf(
			r,
			"only %s answers for %s (it %s), and the pool "
			"decrypts with its key: browsers get Kerberos",
			answerer_name(&r->answerers[0]), r->spn,
			via_words(r->answerers[0].via));
		return LDB_SUCCESS;
	}
	r->verdict = SPNPOOL_VERDICT_KERBEROS_FAILS;
	r->reason = talloc_asprintf(
		r,
		"the KDC issues %s tickets for %s (it %s), but the pool "
		"decrypts with the key of %s: authentication fails "
		"(KRB_AP_ERR_MODIFIED, then 401)",
		r->spn, answerer_name(&r->answerers[0]),
		via_words(r->answerers[0].via), who);
	if (req->kernel_mode && !r->pool->builtin &&
	    strcasecmp(r->answerers[0].dn, r->pool->dn) == 0) {
		/* the SPN is on the pool: let IIS decrypt with it */
		return add_fix(r, talloc_strdup(r, iis7_app_pool_creds));
	}
	ret = add_fix(r, talloc_asprintf(
			      r, "samba-tool spn http-pool add '%s' %s%s", who,
			      host,
			      r->answerers[0].via == SPNPOOL_VIA_EXPLICIT
				      ? " --move"
				      : ""));
	if (ret == LDB_SUCCESS &&
	    r->answerers[0].via == SPNPOOL_VIA_EXPLICIT) {
		ret = add_fix(r, talloc_asprintf(
				      r, "setspn -D %s %s\\%s", r->spn, dom,
				      r->answerers[0].sam_account_name));
	}
	if (ret == LDB_SUCCESS) {
		ret = add_fix(r, talloc_asprintf(r, "setspn -S %s %s\\%s",
						 r->spn, dom, who));
	}
	if (ret == LDB_SUCCESS && !req->kernel_mode &&
	    r->answerers[0].via != SPNPOOL_VIA_EXPLICIT) {
		/* the machine answers: IIS kernel mode decrypts with it */
		ret = add_fix(r, talloc_strdup(
					 r, "or let IIS 7+ decrypt with the "
					    "machine account: kernel-mode "
					    "authentication with "
					    "useAppPoolCredentials=false"));
	}
	if (ret == LDB_SUCCESS) {
		ret = add_fix(r, talloc_strdup(r, iis7_ntlm_only));
	}
	if (ret == LDB_SUCCESS) {
		ret = add_fix(r, talloc_strdup(r, iis6_ntlm_only));
	}
	return ret;
}

static int check_once(TALLOC_CTX *mem_ctx,
		      struct spnpool_dir *dir,
		      const struct spnpool_check_request *req,
		      enum spnpool_client_model client,
		      struct spnpool_check_result **_result)
{
	TALLOC_CTX *tmp_ctx = talloc_new(mem_ctx);
	struct spnpool_check_result *r = NULL;
	struct spnpool_url *url = NULL;
	enum spnpool_status st;
	enum spnpool_host_kind kind;
	const char *name = NULL;
	bool samba = true;
	int ret;

	if (tmp_ctx == NULL) {
		return ldb_oom(dir->ldb);
	}
	r = talloc_zero(tmp_ctx, struct spnpool_check_result);
	if (r == NULL) {
		ret = ldb_oom(dir->ldb);
		goto done;
	}
	st = spnpool_url_parse(r, req->target, &url);
	if (st != SPNPOOL_OK) {
		ldb_asprintf_errstring(dir->ldb, "invalid URL or host '%s': %s",
				       req->target != NULL ? req->target : "",
				       spnpool_status_string(st));
		ret = LDB_ERR_INVALID_ATTRIBUTE_SYNTAX;
		goto done;
	}
	r->host = url->host;
	r->port = url->port;
	if (req->kernel_mode && req->server == NULL) {
		ldb_set_errstring(dir->ldb,
				  "--kernel-mode means the web server's machine "
				  "account decrypts tickets: give the server "
				  "with --server");
		ret = LDB_ERR_INVALID_ATTRIBUTE_SYNTAX;
		goto done;
	}
	ret = spnpool_dir_find_account(r, dir, req->identity, req->server,
				       &r->pool);
	if (ret != LDB_SUCCESS) {
		goto done;
	}
	r->expected = r->pool;
	if (req->kernel_mode && !r->pool->builtin) {
		ret = spnpool_dir_find_account(r, dir, "NetworkService",
					       req->server, &r->expected);
		if (ret != LDB_SUCCESS) {
			goto done;
		}
		/* reached through kernel mode, not a built-in identity */
		r->expected->builtin = false;
	}

	ret = follow_cnames(tmp_ctx, dir, r);
	if (ret != LDB_SUCCESS) {
		goto done;
	}
	r->client = client;
	r->kdc = "samba";
	ret = spnpool_dir_is_samba(dir, &samba);
	if (ret != LDB_SUCCESS) {
		goto done;
	}
	if (!samba) {
		r->kdc = "windows";
	}
	name = r->host;
	if (client == SPNPOOL_CLIENT_BROWSER && r->num_cnames > 0) {
		name = r->cname_chain[r->num_cnames - 1];
	} else if (client == SPNPOOL_CLIENT_BROWSER &&
		   spnpool_host_check(r->host, &kind) == SPNPOOL_OK &&
		   kind == SPNPOOL_HOST_SHORT) {
		/* the resolver's search suffix gives the canonical name */
		name = talloc_asprintf(tmp_ctx, "%s.%s", r->host,
				       dir->dns_domain);
		if (name == NULL) {
			ret = ldb_oom(dir->ldb);
			goto done;
		}
	}
	r->spn = spnpool_url_spn(r, name, r->port, req->include_port);
	if (r->spn == NULL) {
		ret = ldb_oom(dir->ldb);
		goto done;
	}
	ret = find_answerers(tmp_ctx, dir, r);
	if (ret == LDB_SUCCESS) {
		ret = decide(tmp_ctx, dir, r, req, name);
	}
	if (ret == LDB_SUCCESS) {
		*_result = talloc_move(mem_ctx, &r);
	}
done:
	talloc_free(tmp_ctx);
	return ret;
}

int spnpool_op_check(TALLOC_CTX *mem_ctx,
		     struct spnpool_dir *dir,
		     const struct spnpool_check_request *req,
		     struct spnpool_check_result **_result)
{
	struct spnpool_check_result *r = NULL;
	enum spnpool_client_model other =
		(req->client == SPNPOOL_CLIENT_BROWSER)
			? SPNPOOL_CLIENT_AS_TYPED
			: SPNPOOL_CLIENT_BROWSER;
	int ret;

	if (req->client != SPNPOOL_CLIENT_BROWSER &&
	    req->client != SPNPOOL_CLIENT_AS_TYPED) {
		ldb_set_errstring(dir->ldb, "unknown client model");
		return LDB_ERR_INVALID_ATTRIBUTE_SYNTAX;
	}
	ret = check_once(mem_ctx, dir, req, req->client, &r);
	if (ret != LDB_SUCCESS) {
		return ret;
	}
	ret = check_once(r, dir, req, other, &r->other);
	if (ret != LDB_SUCCESS) {
		talloc_free(r);
		return ret;
	}
	*_result = r;
	return LDB_SUCCESS;
}
