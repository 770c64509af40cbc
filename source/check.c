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
	SPNPOOL_VERDICTS(SPNPOOL_ENUM_NAME)};
static const char *const reason_names[] = {
	SPNPOOL_CHECK_REASONS(SPNPOOL_ENUM_NAME)};
static const char *const dns_state_names[] = {
	SPNPOOL_DNS_STATES(SPNPOOL_ENUM_NAME)};
static const char *const action_kind_names[] = {
	SPNPOOL_ACTION_KINDS(SPNPOOL_ENUM_NAME)};

const char *spnpool_verdict_name(enum spnpool_verdict v)
{
	return SPNPOOL_NAME_OF(verdict_names, v);
}

const char *spnpool_check_reason_name(enum spnpool_check_reason r)
{
	return SPNPOOL_NAME_OF(reason_names, r);
}

const char *spnpool_dns_state_name(enum spnpool_dns_state s)
{
	return SPNPOOL_NAME_OF(dns_state_names, s);
}

const char *spnpool_action_kind_name(enum spnpool_action_kind kind)
{
	return SPNPOOL_NAME_OF(action_kind_names, kind);
}

/* ---- actions: the fixes of check, audit and plan ---- */

bool spnpool_text_equal(const char *a, const char *b)
{
	return (a == NULL || b == NULL) ? a == b : strcmp(a, b) == 0;
}

static bool same_action(const struct spnpool_action *a,
			const struct spnpool_action *b)
{
	return a->kind == b->kind && a->port == b->port && a->move == b->move &&
	       spnpool_text_equal(a->account, b->account) &&
	       spnpool_text_equal(a->domain, b->domain) &&
	       spnpool_text_equal(a->host, b->host) &&
	       spnpool_text_equal(a->server, b->server) &&
	       spnpool_text_equal(a->spn, b->spn) &&
	       spnpool_text_equal(a->target, b->target) &&
	       spnpool_text_equal(a->site, b->site) &&
	       spnpool_text_equal(a->site_id, b->site_id) &&
	       spnpool_text_equal(a->app_path, b->app_path) &&
	       spnpool_text_equal(a->pool, b->pool);
}

static bool copy_text(TALLOC_CTX *mem_ctx, const char **text)
{
	if (*text == NULL) {
		return true;
	}
	*text = talloc_strdup(mem_ctx, *text);
	return *text != NULL;
}

int spnpool_action_append(TALLOC_CTX *mem_ctx, struct spnpool_action **actions,
			  size_t *num, const struct spnpool_action *action)
{
	struct spnpool_action *a = NULL;
	size_t i;

	for (i = 0; i < *num; i++) {
		if (same_action(&(*actions)[i], action)) {
			return LDB_SUCCESS;
		}
	}
	a = SPNPOOL_APPEND(mem_ctx, *actions, *num);
	if (a == NULL) {
		return LDB_ERR_OPERATIONS_ERROR;
	}
	*a = *action;
	if (!copy_text(*actions, &a->account) ||
	    !copy_text(*actions, &a->domain) ||
	    !copy_text(*actions, &a->host) ||
	    !copy_text(*actions, &a->server) || !copy_text(*actions, &a->spn) ||
	    !copy_text(*actions, &a->target) ||
	    !copy_text(*actions, &a->site) ||
	    !copy_text(*actions, &a->site_id) ||
	    !copy_text(*actions, &a->app_path) ||
	    !copy_text(*actions, &a->pool)) {
		(*num)--;
		return LDB_ERR_OPERATIONS_ERROR;
	}
	return LDB_SUCCESS;
}

void spnpool_action_drop(struct spnpool_action *actions, size_t *num,
			 const struct spnpool_action *action)
{
	size_t i;

	for (i = 0; i < *num; i++) {
		if (same_action(&actions[i], action)) {
			memmove(&actions[i], &actions[i + 1],
				(*num - i - 1) * sizeof(actions[0]));
			(*num)--;
			return;
		}
	}
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

/* The CNAME target of name in AD DNS, or NULL (no node, no CNAME), and
 * what AD DNS says of the name. */
static int lookup_cname(TALLOC_CTX *mem_ctx, struct spnpool_dir *dir,
			const struct spnpool_dns_zones *zones, const char *name,
			char **_target, enum spnpool_dns_state *_state)
{
	static const enum spnpool_dns_state states[] = {
		[SPNPOOL_DIR_DNS_NO_ZONE] = SPNPOOL_DNS_UNKNOWN,
		[SPNPOOL_DIR_DNS_NO_RECORD] = SPNPOOL_DNS_MISSING,
		[SPNPOOL_DIR_DNS_ADDRESS] = SPNPOOL_DNS_ADDRESS,
		[SPNPOOL_DIR_DNS_CNAME] = SPNPOOL_DNS_CNAME,
	};
	enum spnpool_dir_dns_answer answer;
	int ret;

	ret = spnpool_dir_dns_lookup(mem_ctx, dir, zones, name, &answer,
				     _target);
	*_state = states[answer];
	return ret;
}

/* Follow CNAMEs from host; the last name is what the browser asks for. */
static int follow_cnames(TALLOC_CTX *mem_ctx, struct spnpool_dir *dir,
			 struct spnpool_check_result *r)
{
	struct spnpool_dns_zones *zones = NULL;
	enum spnpool_host_kind kind;
	char *name = NULL;
	int ret;

	r->dns = SPNPOOL_DNS_UNKNOWN;
	ret = spnpool_dir_dns_zones(mem_ctx, dir, &zones);
	if (ret != LDB_SUCCESS || zones->num == 0) {
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
		char **slot = NULL;
		size_t i;

		ret = lookup_cname(mem_ctx, dir, zones, name, &target, &r->dns);
		if (ret != LDB_SUCCESS || target == NULL) {
			return ret;
		}
		for (i = 0; i < r->num_cnames; i++) {
			if (strcmp(r->cname_chain[i], target) == 0) {
				return LDB_SUCCESS; /* a loop: stop */
			}
		}
		slot = SPNPOOL_APPEND(r, r->cname_chain, r->num_cnames);
		if (slot == NULL) {
			return ldb_oom(dir->ldb);
		}
		*slot = talloc_steal(r->cname_chain, target);
		name = target;
	}
	return (name == NULL) ? ldb_oom(dir->ldb) : LDB_SUCCESS;
}

/* ---- who answers ---- */

static int add_answerer(struct spnpool_check_result *r, struct spnpool_dir *dir,
			const char *dn, const char *sam, const char *value,
			enum spnpool_via via)
{
	struct spnpool_answerer *a = NULL;
	size_t i;

	for (i = 0; i < r->num_answerers; i++) {
		if (spnpool_dir_dn_equal(dir, r->answerers[i].dn, dn)) {
			return LDB_SUCCESS;
		}
	}
	a = SPNPOOL_APPEND(r, r->answerers, r->num_answerers);
	if (a == NULL) {
		return ldb_oom(dir->ldb);
	}
	a->dn = talloc_strdup(r->answerers, dn);
	a->sam_account_name =
		(sam != NULL) ? talloc_strdup(r->answerers, sam) : NULL;
	a->value = (value != NULL) ? talloc_strdup(r->answerers, value) : NULL;
	a->via = via;
	return (a->dn == NULL) ? ldb_oom(dir->ldb) : LDB_SUCCESS;
}

static int sam_of(TALLOC_CTX *mem_ctx, struct spnpool_dir *dir, const char *dn,
		  char **_sam)
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
static int find_answerers(TALLOC_CTX *mem_ctx, struct spnpool_dir *dir,
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

	ret = spnpool_dir_find_holders(mem_ctx, dir,
				       (const char *const *)&r->spn, 1, false,
				       &holders, &num);
	if (ret != LDB_SUCCESS) {
		return ret;
	}
	for (i = 0; i < num; i++) {
		char *sam = NULL;

		ret = sam_of(mem_ctx, dir, holders[i].dn, &sam);
		if (ret != LDB_SUCCESS) {
			return ret;
		}
		ret = add_answerer(r, dir, holders[i].dn, sam, holders[i].value,
				   SPNPOOL_VIA_EXPLICIT);
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
	if (ret != LDB_SUCCESS) {
		return ret;
	}
	for (i = 0; i < num; i++) {
		ret = add_answerer(
			r, dir, matches[i].dn, matches[i].sam_account_name,
			matches[i].value,
			matches[i].value != NULL ? SPNPOOL_VIA_HOST_ALIAS
						 : SPNPOOL_VIA_COMPUTER_NAME);
		if (ret != LDB_SUCCESS) {
			return ret;
		}
	}
	return LDB_SUCCESS;
}

/* ---- verdict ---- */

static int add_fix(struct spnpool_check_result *r,
		   const struct spnpool_action *fix)
{
	return spnpool_action_append(r, &r->fixes, &r->num_fixes, fix);
}

/* Register the SPN on the account the pool needs, WHO: our command and
 * setspn's equivalent. */
static int add_register_fixes(struct spnpool_check_result *r, const char *who,
			      uint16_t port)
{
	int ret;

	ret = add_fix(r, &(struct spnpool_action){
				 .kind = SPNPOOL_ACTION_ADD,
				 .account = who,
				 .host = r->name,
				 .port = port,
			 });
	if (ret != LDB_SUCCESS) {
		return ret;
	}
	return add_fix(r, &(struct spnpool_action){
				  .kind = SPNPOOL_ACTION_SETSPN_ADD,
				  .spn = r->spn,
				  .domain = r->domain,
				  .account = who,
			  });
}

/* The other account answers: make the pool's answer instead, or stop
 * offering Negotiate. */
static int add_kerberos_fails_fixes(struct spnpool_dir *dir,
				    struct spnpool_check_result *r,
				    const char *who, uint16_t port)
{
	const struct spnpool_answerer *other = &r->answerers[0];
	bool explicit = other->via == SPNPOOL_VIA_EXPLICIT;
	int ret;

	if (r->kernel_mode && !r->pool->builtin &&
	    spnpool_dir_dn_equal(dir, other->dn, r->pool->dn)) {
		/* the SPN is on the pool: let IIS decrypt with it */
		return add_fix(
			r,
			&(struct spnpool_action){
				.kind = SPNPOOL_ACTION_IIS_APP_POOL_CREDENTIALS,
			});
	}
	ret = add_fix(r, &(struct spnpool_action){
				 .kind = SPNPOOL_ACTION_ADD,
				 .account = who,
				 .host = r->name,
				 .port = port,
				 .move = explicit,
			 });
	if (ret != LDB_SUCCESS) {
		return ret;
	}
	if (explicit) {
		ret = add_fix(r, &(struct spnpool_action){
					 .kind = SPNPOOL_ACTION_SETSPN_DELETE,
					 .spn = r->spn,
					 .domain = r->domain,
					 .account = other->sam_account_name,
				 });
		if (ret != LDB_SUCCESS) {
			return ret;
		}
	}
	ret = add_fix(r, &(struct spnpool_action){
				 .kind = SPNPOOL_ACTION_SETSPN_ADD,
				 .spn = r->spn,
				 .domain = r->domain,
				 .account = who,
			 });
	if (ret != LDB_SUCCESS) {
		return ret;
	}
	if (!r->kernel_mode && !explicit) {
		/* the machine answers: IIS kernel mode decrypts with it */
		ret = add_fix(
			r, &(struct spnpool_action){
				   .kind = SPNPOOL_ACTION_MACHINE_KERNEL_MODE,
			   });
		if (ret != LDB_SUCCESS) {
			return ret;
		}
	}
	ret = add_fix(r, &(struct spnpool_action){
				 .kind = SPNPOOL_ACTION_IIS_NTLM_ONLY,
			 });
	if (ret != LDB_SUCCESS) {
		return ret;
	}
	return add_fix(r, &(struct spnpool_action){
				  .kind = SPNPOOL_ACTION_IIS6_NTLM_ONLY,
			  });
}

/* The verdict, the facts behind it and the fixes; no words (those are
 * samba_spnpool.render's). */
static int decide(struct spnpool_dir *dir, struct spnpool_check_result *r,
		  const struct spnpool_check_request *req)
{
	const char *who = r->expected->sam_account_name;
	/* the client puts the port in the SPN: so must the fix */
	uint16_t port = req->include_port ? r->port : 0;
	size_t i;
	int ret;

	r->kernel_mode = req->kernel_mode;
	if (r->num_cnames > 0 &&
	    (r->dns == SPNPOOL_DNS_MISSING || r->dns == SPNPOOL_DNS_CNAME)) {
		r->verdict = SPNPOOL_VERDICT_UNRESOLVABLE;
		r->reason = (r->dns == SPNPOOL_DNS_CNAME)
				    ? SPNPOOL_REASON_CNAME_LOOP
				    : SPNPOOL_REASON_CNAME_DANGLING;
		return add_fix(
			r, &(struct spnpool_action){
				   .kind = SPNPOOL_ACTION_DNS_QUERY,
				   .domain = dir->dns_domain,
				   .host = r->host,
				   .target = r->cname_chain[r->num_cnames - 1],
			   });
	}
	if (r->num_answerers > 1 &&
	    r->answerers[0].via != SPNPOOL_VIA_EXPLICIT) {
		r->verdict = SPNPOOL_VERDICT_DUPLICATE;
		r->reason = SPNPOOL_REASON_SEVERAL_FALLBACK;
		/* an explicit SPN is found before the fallback runs */
		ret = add_register_fixes(r, who, port);
		if (ret != LDB_SUCCESS) {
			return ret;
		}
		return add_fix(r, &(struct spnpool_action){
					  .kind = SPNPOOL_ACTION_DELETE_STALE,
				  });
	}
	if (r->num_answerers > 1) {
		r->verdict = SPNPOOL_VERDICT_DUPLICATE;
		r->reason = SPNPOOL_REASON_SEVERAL_HOLDERS;
		for (i = 0; i < r->num_answerers; i++) {
			const struct spnpool_answerer *a = &r->answerers[i];

			if (spnpool_dir_dn_equal(dir, a->dn, r->expected->dn) ||
			    a->via == SPNPOOL_VIA_COMPUTER_NAME) {
				continue;
			}
			ret = add_fix(r, &(struct spnpool_action){
						 .kind = SPNPOOL_ACTION_REMOVE,
						 .account = a->sam_account_name,
						 .host = r->name,
						 .port = port,
					 });
			if (ret != LDB_SUCCESS) {
				return ret;
			}
			ret = add_fix(
				r, &(struct spnpool_action){
					   .kind = SPNPOOL_ACTION_SETSPN_DELETE,
					   .spn = a->value,
					   .domain = r->domain,
					   .account = a->sam_account_name,
				   });
			if (ret != LDB_SUCCESS) {
				return ret;
			}
		}
		return LDB_SUCCESS;
	}
	if (r->num_answerers == 0 && strcmp(r->kdc, "windows") == 0) {
		r->verdict = SPNPOOL_VERDICT_NTLM_FALLBACK;
		r->reason = SPNPOOL_REASON_NOBODY_NO_FALLBACK;
		return add_register_fixes(r, who, port);
	}
	if (r->num_answerers == 0) {
		r->verdict = SPNPOOL_VERDICT_NTLM_FALLBACK;
		r->reason = SPNPOOL_REASON_NOBODY;
		return add_register_fixes(r, who, port);
	}
	if (spnpool_dir_dn_equal(dir, r->answerers[0].dn, r->expected->dn)) {
		r->verdict = SPNPOOL_VERDICT_KERBEROS_OK;
		r->reason = SPNPOOL_REASON_ONLY_EXPECTED;
		return LDB_SUCCESS;
	}
	r->verdict = SPNPOOL_VERDICT_KERBEROS_FAILS;
	r->reason = SPNPOOL_REASON_OTHER_ANSWERS;
	return add_kerberos_fails_fixes(dir, r, who, port);
}

static int check_once(TALLOC_CTX *mem_ctx, struct spnpool_dir *dir,
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
		ldb_set_errstring(
			dir->ldb,
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
	r->name = talloc_strdup(r, name);
	r->domain = talloc_strdup(r, dir->netbios_domain != NULL
					     ? dir->netbios_domain
					     : dir->dns_domain);
	if (r->spn == NULL || r->name == NULL || r->domain == NULL) {
		ret = ldb_oom(dir->ldb);
		goto done;
	}
	ret = find_answerers(tmp_ctx, dir, r);
	if (ret != LDB_SUCCESS) {
		goto done;
	}
	ret = decide(dir, r, req);
	if (ret != LDB_SUCCESS) {
		goto done;
	}
	*_result = talloc_move(mem_ctx, &r);
done:
	talloc_free(tmp_ctx);
	return ret;
}

int spnpool_op_check(TALLOC_CTX *mem_ctx, struct spnpool_dir *dir,
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
