/*
 * libspnpool: plan.  From a web server's configuration (IIS
 * applicationHost.config or a pools file) to the names browsers use, the
 * account that must answer for each (the pool's account, or the
 * machine's for built-in identities and kernel mode), the
 * several-pools-one-name conflicts with ranked resolutions, and the exact
 * directory changes.  Decides only; apply.c writes.
 */

#include <string.h>
#include <strings.h>

#include <ldb.h>
#include <ldb_module.h>

#include "spnpool_private.h"

static const char *const decision_names[] = {
	SPNPOOL_PLAN_DECISIONS(SPNPOOL_ENUM_NAME)};
static const char *const resolution_kind_names[] = {
	SPNPOOL_RESOLUTION_KINDS(SPNPOOL_ENUM_NAME)};
static const char *const note_kind_names[] = {
	SPNPOOL_NOTE_KINDS(SPNPOOL_ENUM_NAME)};
static const char *const change_why_names[] = {
	SPNPOOL_CHANGE_WHYS(SPNPOOL_ENUM_NAME)};

const char *spnpool_plan_decision_name(enum spnpool_plan_decision d)
{
	return SPNPOOL_NAME_OF(decision_names, d);
}

const char *spnpool_resolution_kind_name(enum spnpool_resolution_kind kind)
{
	return SPNPOOL_NAME_OF(resolution_kind_names, kind);
}

const char *spnpool_note_kind_name(enum spnpool_note_kind k)
{
	return SPNPOOL_NAME_OF(note_kind_names, k);
}

const char *spnpool_why_name(enum spnpool_why w)
{
	return SPNPOOL_NAME_OF(change_why_names, w);
}

struct planner {
	TALLOC_CTX *tmp;
	struct spnpool_dir *dir;
	struct spnpool_plan *plan;
	const char *const *servers;
	size_t num_servers;
	bool allow_privileged;
	/* resolved accounts, by IDENTITY text (servers: "NetworkService@S") */
	struct planner_account {
		const char *key;
		struct spnpool_account *account;
	} * accounts;
	size_t num_accounts;
};

/* ---- accounts ---- */

static int account_of(struct planner *p, const char *identity,
		      const char *server, struct spnpool_account **_a)
{
	char *key = talloc_asprintf(p->tmp, "%s@%s", identity,
				    server != NULL ? server : "");
	struct spnpool_account *a = NULL;
	struct planner_account *slot = NULL;
	size_t i;
	int ret;

	if (key == NULL) {
		return ldb_oom(p->dir->ldb);
	}
	for (i = 0; i < p->num_accounts; i++) {
		if (strcasecmp(p->accounts[i].key, key) == 0) {
			*_a = p->accounts[i].account;
			return LDB_SUCCESS;
		}
	}
	ret = spnpool_dir_find_account(p->tmp, p->dir, identity, server, &a);
	if (ret != LDB_SUCCESS) {
		return ret;
	}
	slot = SPNPOOL_APPEND(p->tmp, p->accounts, p->num_accounts);
	if (slot == NULL) {
		return ldb_oom(p->dir->ldb);
	}
	slot->key = key;
	slot->account = a;
	*_a = a;
	return LDB_SUCCESS;
}

static bool is_builtin(enum spnpool_pool_identity_type t)
{
	return t == SPNPOOL_POOL_NETWORK_SERVICE ||
	       t == SPNPOOL_POOL_LOCAL_SYSTEM ||
	       t == SPNPOOL_POOL_APP_POOL_IDENTITY;
}

/* Is name one of the server's own names? */
static bool own_name(const char *server_netbios, const char *netbios)
{
	return server_netbios != NULL && netbios != NULL &&
	       strcasecmp(server_netbios, netbios) == 0;
}

/* ---- grouping bindings by name ---- */

static struct spnpool_plan_name *name_for(struct planner *p,
					  const char *netbios, const char *fqdn)
{
	struct spnpool_plan *plan = p->plan;
	struct spnpool_plan_name *n = NULL;
	size_t i;

	for (i = 0; i < plan->num_names; i++) {
		if (strcasecmp(plan->names[i].fqdn, fqdn) == 0) {
			return &plan->names[i];
		}
	}
	n = SPNPOOL_APPEND(plan, plan->names, plan->num_names);
	if (n == NULL) {
		return NULL;
	}
	n->netbios =
		(netbios != NULL) ? talloc_strdup(plan->names, netbios) : NULL;
	n->fqdn = talloc_strdup(plan->names, fqdn);
	return (n->fqdn == NULL) ? NULL : n;
}

/* Notes are kept once: several servers give the same one. */
static int add_note(struct planner *p, const struct spnpool_plan_note *note)
{
	struct spnpool_plan *plan = p->plan;
	struct spnpool_plan_note *n = NULL;
	size_t i;

	for (i = 0; i < plan->num_notes; i++) {
		n = &plan->notes[i];
		if (n->kind == note->kind && n->port == note->port &&
		    n->privileged == note->privileged &&
		    spnpool_text_equal(n->site, note->site) &&
		    spnpool_text_equal(n->pool, note->pool) &&
		    spnpool_text_equal(n->fqdn, note->fqdn) &&
		    spnpool_text_equal(n->account, note->account)) {
			return LDB_SUCCESS;
		}
	}
	n = SPNPOOL_APPEND(plan, plan->notes, plan->num_notes);
	if (n == NULL) {
		return ldb_oom(p->dir->ldb);
	}
	*n = *note;
	n->site = talloc_strdup(plan->notes, note->site);
	n->pool = talloc_strdup(plan->notes, note->pool);
	n->fqdn = talloc_strdup(plan->notes, note->fqdn);
	n->account = talloc_strdup(plan->notes, note->account);
	if ((note->site != NULL && n->site == NULL) ||
	    (note->pool != NULL && n->pool == NULL) ||
	    (note->fqdn != NULL && n->fqdn == NULL) ||
	    (note->account != NULL && n->account == NULL)) {
		return ldb_oom(p->dir->ldb);
	}
	return LDB_SUCCESS;
}

/* An IIS setting the plan relies on for name n. */
static int add_iis_action(struct planner *p, struct spnpool_plan_name *n,
			  const struct spnpool_action *action)
{
	int ret = spnpool_action_append(p->plan, &n->iis_actions,
					&n->num_iis_actions, action);

	return (ret != LDB_SUCCESS) ? ldb_oom(p->dir->ldb) : LDB_SUCCESS;
}

/* The sAMAccountName of the account at dn, for reports; NULL if gone. */
static const char *sam_of_dn(struct planner *p, const char *dn)
{
	struct spnpool_account *a = NULL;

	if (spnpool_dir_find_account(p->tmp, p->dir, dn, NULL, &a) !=
	    LDB_SUCCESS) {
		return NULL;
	}
	return a->sam_account_name;
}

/* A host label made of a pool's name: "Shop API" -> "shop-api". */
static char *label_of(TALLOC_CTX *ctx, const char *name)
{
	char *out = talloc_strndup(ctx, name, SPNPOOL_LABEL_MAX_LEN);
	size_t i;
	size_t n = 0;

	if (out == NULL) {
		return NULL;
	}
	for (i = 0; out[i] != '\0'; i++) {
		char c = spnpool_ascii_lower(out[i]);

		if (!spnpool_ascii_alnum(c)) {
			c = '-';
		}
		if (c == '-' && (n == 0 || out[n - 1] == '-')) {
			continue;
		}
		out[n++] = c;
	}
	while (n > 0 && out[n - 1] == '-') {
		n--;
	}
	out[n] = '\0';
	return (n > 0) ? out : talloc_strdup(ctx, "pool");
}

/* An IIS action on the application of pool user u. */
static struct spnpool_action iis_action(enum spnpool_action_kind kind,
					const struct spnpool_plan_user *u)
{
	return (struct spnpool_action){
		.kind = kind,
		.site = u->site,
		.site_id = u->site_id,
		.app_path = u->app_path,
	};
}

/*
 * One binding served on one server under one name: whose key decrypts
 * the tickets.  Built-in identities are the machine; a domain account
 * too under IIS kernel mode without useAppPoolCredentials, but only on
 * the machine's own name — for any other name the plan keeps the pool's
 * account and asks for useAppPoolCredentials (works on farms too).
 */
static int add_user(struct planner *p, const struct spnpool_web_binding *b,
		    const char *server, const char *server_netbios,
		    const char *netbios, const char *fqdn)
{
	struct spnpool_plan_name *n = name_for(p, netbios, fqdn);
	struct spnpool_plan_user *u = NULL;
	struct spnpool_account *a = NULL;
	int ret = LDB_SUCCESS;

	if (n == NULL) {
		return ldb_oom(p->dir->ldb);
	}
	u = SPNPOOL_APPEND(p->plan, n->users, n->num_users);
	if (u == NULL) {
		return ldb_oom(p->dir->ldb);
	}
	u->server = (server != NULL) ? talloc_strdup(n->users, server) : NULL;
	u->site = talloc_strdup(n->users, b->site);
	u->site_id = (b->site_id != NULL) ? talloc_strdup(n->users, b->site_id)
					  : NULL;
	u->app_path = (b->app_path != NULL)
			      ? talloc_strdup(n->users, b->app_path)
			      : NULL;
	u->pool = talloc_strdup(n->users, b->pool);
	u->kernel_mode = b->kernel_mode;
	u->use_app_pool_credentials = b->use_app_pool_credentials;

	if (!b->windows_auth || !b->negotiate) {
		return LDB_SUCCESS; /* no Kerberos asked for: no account */
	}
	if (b->port != 0) {
		ret = add_note(p, &(struct spnpool_plan_note){
					  .kind = SPNPOOL_NOTE_PORT,
					  .site = b->site,
					  .fqdn = fqdn,
					  .port = b->port,
				  });
		if (ret != LDB_SUCCESS) {
			return ret;
		}
	}
	if (b->identity_type == SPNPOOL_POOL_LOCAL_SERVICE) {
		return add_note(p, &(struct spnpool_plan_note){
					   .kind = SPNPOOL_NOTE_LOCAL_SERVICE,
					   .pool = b->pool,
				   });
	}
	if (is_builtin(b->identity_type) ||
	    (b->kernel_mode && !b->use_app_pool_credentials &&
	     own_name(server_netbios, netbios))) {
		if (server == NULL) {
			ldb_asprintf_errstring(p->dir->ldb,
					       "pool %s runs as the machine "
					       "account: name the web server "
					       "with --server",
					       b->pool);
			return LDB_ERR_INVALID_ATTRIBUTE_SYNTAX;
		}
		ret = account_of(p, "NetworkService", server, &a);
		u->identity = talloc_strdup(n->users, "NetworkService");
	} else {
		ret = account_of(p, b->user_name, NULL, &a);
		u->identity = talloc_strdup(n->users, b->user_name);
		if (ret == LDB_SUCCESS && b->kernel_mode &&
		    !b->use_app_pool_credentials) {
			struct spnpool_action act = iis_action(
				SPNPOOL_ACTION_IIS_APP_POOL_CREDENTIALS, u);

			ret = add_iis_action(p, n, &act);
		}
	}
	if (ret != LDB_SUCCESS) {
		ldb_asprintf_errstring(p->dir->ldb, "pool %s of site %s: %s",
				       b->pool, b->site,
				       ldb_errstring(p->dir->ldb));
		return ret;
	}
	u->account_dn = talloc_strdup(n->users, a->dn);
	u->account_sam = talloc_strdup(n->users, a->sam_account_name);
	return LDB_SUCCESS;
}

static int collect(struct planner *p, const struct spnpool_web_config *cfg)
{
	size_t i;
	size_t s;
	int ret;

	for (i = 0; i < cfg->num_bindings; i++) {
		const struct spnpool_web_binding *b = &cfg->bindings[i];
		char *nb = NULL;
		char *fq = NULL;
		enum spnpool_status st;

		if (b->host != NULL) {
			st = spnpool_host_forms(p->tmp, b->host,
						p->dir->dns_domain, &nb, &fq);
			if (st != SPNPOOL_OK) {
				ldb_asprintf_errstring(
					p->dir->ldb,
					"site %s: invalid host '%s': %s",
					b->site, b->host,
					spnpool_status_string(st));
				return LDB_ERR_INVALID_ATTRIBUTE_SYNTAX;
			}
		} else if (p->num_servers == 0) {
			ldb_asprintf_errstring(p->dir->ldb,
					       "site %s answers to any name: "
					       "name the web server with "
					       "--server",
					       b->site);
			return LDB_ERR_INVALID_ATTRIBUTE_SYNTAX;
		}
		for (s = 0; s < p->num_servers || s == 0; s++) {
			const char *server =
				(p->num_servers > 0) ? p->servers[s] : NULL;
			char *snb = NULL;
			char *sfq = NULL;

			if (server != NULL &&
			    spnpool_host_forms(p->tmp, server,
					       p->dir->dns_domain, &snb,
					       &sfq) != SPNPOOL_OK) {
				ldb_asprintf_errstring(p->dir->ldb,
						       "invalid server '%s'",
						       server);
				return LDB_ERR_INVALID_ATTRIBUTE_SYNTAX;
			}
			ret = add_user(p, b, server, snb,
				       (b->host != NULL) ? nb : snb,
				       (b->host != NULL) ? fq : sfq);
			if (ret != LDB_SUCCESS) {
				return ret;
			}
			if (p->num_servers == 0) {
				break;
			}
		}
	}
	return LDB_SUCCESS;
}

/* ---- deciding ---- */

static int add_change(struct planner *p, enum spnpool_change_action action,
		      const char *dn, const char *sam, const char *spn,
		      enum spnpool_why why, const char *why_account,
		      const char *why_name)
{
	struct spnpool_plan *plan = p->plan;
	struct spnpool_change *c = NULL;
	struct spnpool_change_why *w = NULL;
	size_t n = plan->num_changes;
	size_t i;

	for (i = 0; i < n; i++) {
		c = &plan->changes[i];
		if (c->action == action &&
		    spnpool_dir_dn_equal(p->dir, c->dn, dn) &&
		    spnpool_spn_equal(c->spn, spn)) {
			return LDB_SUCCESS;
		}
	}
	w = SPNPOOL_APPEND(plan, plan->whys, n);
	c = SPNPOOL_APPEND(plan, plan->changes, plan->num_changes);
	if (c == NULL || w == NULL) {
		return ldb_oom(p->dir->ldb);
	}
	c->action = action;
	c->dn = talloc_strdup(plan->changes, dn);
	c->sam_account_name =
		(sam != NULL) ? talloc_strdup(plan->changes, sam) : NULL;
	c->spn = talloc_strdup(plan->changes, spn);
	w->why = why;
	w->account = (why_account != NULL)
			     ? talloc_strdup(plan->whys, why_account)
			     : NULL;
	w->name =
		(why_name != NULL) ? talloc_strdup(plan->whys, why_name) : NULL;
	return (c->dn == NULL || c->spn == NULL ||
		(why_account != NULL && w->account == NULL) ||
		(why_name != NULL && w->name == NULL))
		       ? ldb_oom(p->dir->ldb)
		       : LDB_SUCCESS;
}

/* The SPNs of a name: http/<NetBIOS> (if any) and http/<FQDN>. */
static size_t name_spns(TALLOC_CTX *ctx, const struct spnpool_plan_name *n,
			const char *spns[2])
{
	size_t k = 0;

	if (n->netbios != NULL) {
		spns[k++] = talloc_asprintf(ctx, "http/%s", n->netbios);
	}
	spns[k++] = talloc_asprintf(ctx, "http/%s", n->fqdn);
	return k;
}

/* Make account (dn, sam, guid) the one answering for n's SPNs. */
static int plan_register(struct planner *p, struct spnpool_plan_name *n,
			 const struct spnpool_account *a)
{
	const char *spns[2];
	size_t num = name_spns(p->tmp, n, spns);
	struct spnpool_holder *holders = NULL;
	size_t num_holders = 0;
	enum spnpool_privileged why = SPNPOOL_PRIVILEGED_NONE;
	size_t i;
	size_t k;
	int ret;

	ret = spnpool_dir_privileged(p->tmp, p->dir, a->dn, &why);
	if (ret != LDB_SUCCESS) {
		return ret;
	}
	n->privileged = why;
	if (why != SPNPOOL_PRIVILEGED_NONE && !p->allow_privileged) {
		/* the alternative a reviewer can act on, not a write */
		return add_note(p, &(struct spnpool_plan_note){
					   .kind = SPNPOOL_NOTE_PRIVILEGED,
					   .account = a->sam_account_name,
					   .privileged = why,
					   .fqdn = n->fqdn,
				   });
	}
	ret = spnpool_dir_find_holders(p->tmp, p->dir, spns, num, true,
				       &holders, &num_holders);
	if (ret != LDB_SUCCESS) {
		return ret;
	}
	for (i = 0; i < num; i++) {
		enum spnpool_conflict c = spnpool_conflict_decide(
			p->dir->aliases, spns[i], a->guid, holders, num_holders,
			NULL);

		if (c == SPNPOOL_CONFLICT_OURS) {
			continue;
		}
		/* explicit holders elsewhere would win: they must go */
		for (k = 0; k < num_holders; k++) {
			if (strcasecmp(holders[k].account, a->guid) != 0 &&
			    spnpool_spn_equal(holders[k].value, spns[i])) {
				ret = add_change(
					p, SPNPOOL_CHANGE_DELETE, holders[k].dn,
					sam_of_dn(p, holders[k].dn),
					holders[k].value, SPNPOOL_WHY_MOVED_TO,
					a->sam_account_name, NULL);
				if (ret != LDB_SUCCESS) {
					return ret;
				}
			}
		}
		ret = add_change(p, SPNPOOL_CHANGE_ADD, a->dn,
				 a->sam_account_name, spns[i],
				 SPNPOOL_WHY_ANSWERS_FOR, a->sam_account_name,
				 n->fqdn);
		if (ret != LDB_SUCCESS) {
			return ret;
		}
	}
	return LDB_SUCCESS;
}

/* The machine answers for its own name through HOST/: only explicit
 * http/ SPNs elsewhere (which would win) must go. */
static int plan_machine_name(struct planner *p, struct spnpool_plan_name *n,
			     const struct spnpool_account *machine)
{
	const char *spns[2];
	size_t num = name_spns(p->tmp, n, spns);
	struct spnpool_holder *holders = NULL;
	size_t num_holders = 0;
	size_t k;
	int ret;

	ret = spnpool_dir_find_holders(p->tmp, p->dir, spns, num, false,
				       &holders, &num_holders);
	if (ret != LDB_SUCCESS) {
		return ret;
	}
	for (k = 0; k < num_holders; k++) {
		if (strcasecmp(holders[k].account, machine->guid) == 0) {
			continue;
		}
		ret = add_change(p, SPNPOOL_CHANGE_DELETE, holders[k].dn,
				 sam_of_dn(p, holders[k].dn), holders[k].value,
				 SPNPOOL_WHY_MACHINE_NAME,
				 machine->sam_account_name, NULL);
		if (ret != LDB_SUCCESS) {
			return ret;
		}
	}
	return LDB_SUCCESS;
}

static const struct spnpool_account *find_account(struct planner *p,
						  const char *dn)
{
	size_t i;

	for (i = 0; i < p->num_accounts; i++) {
		if (spnpool_dir_dn_equal(p->dir, p->accounts[i].account->dn,
					 dn)) {
			return p->accounts[i].account;
		}
	}
	return NULL;
}

static int add_resolution(struct planner *p, struct spnpool_plan_name *n,
			  const struct spnpool_resolution *proto,
			  struct spnpool_resolution **_r)
{
	struct spnpool_resolution *r =
		SPNPOOL_APPEND(p->plan, n->resolutions, n->num_resolutions);

	if (r == NULL) {
		return ldb_oom(p->dir->ldb);
	}
	r->kind = proto->kind;
	r->chosen = proto->chosen;
	r->account = (proto->account != NULL)
			     ? talloc_strdup(n->resolutions, proto->account)
			     : NULL;
	r->domain = (proto->domain != NULL)
			    ? talloc_strdup(n->resolutions, proto->domain)
			    : NULL;
	r->pool = (proto->pool != NULL)
			  ? talloc_strdup(n->resolutions, proto->pool)
			  : NULL;
	if ((proto->account != NULL && r->account == NULL) ||
	    (proto->domain != NULL && r->domain == NULL) ||
	    (proto->pool != NULL && r->pool == NULL)) {
		return ldb_oom(p->dir->ldb);
	}
	*_r = r;
	return LDB_SUCCESS;
}

/* r lives inside the talloc array n->resolutions, which owns its data */
static int add_action(struct planner *p, struct spnpool_plan_name *n,
		      struct spnpool_resolution *r,
		      const struct spnpool_action *action)
{
	int ret = spnpool_action_append(n->resolutions, &r->actions,
					&r->num_actions, action);

	return (ret != LDB_SUCCESS) ? ldb_oom(p->dir->ldb) : LDB_SUCCESS;
}

/* 1. one shared account (svc-<first label>) for every pool */
static int resolve_shared_account(struct planner *p,
				  struct spnpool_plan_name *n, const char *dom,
				  const char *shared)
{
	struct spnpool_resolution *r = NULL;
	size_t i;
	int ret;

	ret = add_resolution(p, n,
			     &(struct spnpool_resolution){
				     .kind = SPNPOOL_RESOLUTION_SHARED_ACCOUNT,
				     .account = shared,
				     .domain = dom,
			     },
			     &r);
	if (ret != LDB_SUCCESS) {
		return ret;
	}
	for (i = 0; i < n->num_users; i++) {
		ret = add_action(
			p, n, r,
			&(struct spnpool_action){
				.kind = SPNPOOL_ACTION_IIS_POOL_IDENTITY,
				.pool = n->users[i].pool,
				.domain = dom,
				.account = shared,
			});
		if (ret != LDB_SUCCESS) {
			return ret;
		}
	}
	return add_action(p, n, r,
			  &(struct spnpool_action){
				  .kind = SPNPOOL_ACTION_ADD,
				  .domain = dom,
				  .account = shared,
				  .host = n->fqdn,
				  .move = true,
			  });
}

/* 2. a name per pool: <pool>-<label>.<domain> */
static int resolve_distinct_names(struct planner *p,
				  struct spnpool_plan_name *n,
				  const struct spnpool_plan_user *primary,
				  const char *label)
{
	struct spnpool_resolution *r = NULL;
	size_t i;
	int ret;

	ret = add_resolution(p, n,
			     &(struct spnpool_resolution){
				     .kind = SPNPOOL_RESOLUTION_DISTINCT_NAMES,
			     },
			     &r);
	if (ret != LDB_SUCCESS) {
		return ret;
	}
	for (i = 0; i < n->num_users; i++) {
		const struct spnpool_plan_user *u = &n->users[i];
		char *host = NULL;

		if (u->account_dn == NULL || u == primary) {
			continue;
		}
		host = talloc_asprintf(p->tmp, "%s-%s.%s",
				       label_of(p->tmp, u->pool), label,
				       p->dir->dns_domain);
		if (host == NULL) {
			return ldb_oom(p->dir->ldb);
		}
		ret = add_action(p, n, r,
				 &(struct spnpool_action){
					 .kind = SPNPOOL_ACTION_ADD,
					 .account = u->account_sam,
					 .host = host,
				 });
		if (ret != LDB_SUCCESS) {
			return ret;
		}
	}
	return LDB_SUCCESS;
}

/* 3. kernel mode with the machine account (one server only) */
static int resolve_kernel_mode(struct planner *p, struct spnpool_plan_name *n)
{
	struct spnpool_resolution *r = NULL;
	size_t i;
	int ret;

	ret = add_resolution(p, n,
			     &(struct spnpool_resolution){
				     .kind = SPNPOOL_RESOLUTION_KERNEL_MODE,
			     },
			     &r);
	if (ret != LDB_SUCCESS) {
		return ret;
	}
	for (i = 0; i < n->num_users; i++) {
		struct spnpool_action act = iis_action(
			SPNPOOL_ACTION_IIS_KERNEL_MODE, &n->users[i]);

		ret = add_action(p, n, r, &act);
		if (ret != LDB_SUCCESS) {
			return ret;
		}
	}
	/* the machine must answer for a name that is not its own */
	for (i = 0; i < n->num_users; i++) {
		if (n->users[i].server == NULL) {
			continue;
		}
		ret = add_action(p, n, r,
				 &(struct spnpool_action){
					 .kind = SPNPOOL_ACTION_ADD,
					 .account = "NetworkService",
					 .host = n->fqdn,
					 .server = n->users[i].server,
					 .move = true,
				 });
		if (ret != LDB_SUCCESS) {
			return ret;
		}
	}
	return LDB_SUCCESS;
}

/* 4. NTLM only for the others: the plan's choice on one server */
static int resolve_ntlm_only(struct planner *p, struct spnpool_plan_name *n,
			     const struct spnpool_plan_user *primary,
			     const struct spnpool_account *keep, bool chosen)
{
	struct spnpool_resolution *r = NULL;
	size_t i;
	int ret;

	ret = add_resolution(p, n,
			     &(struct spnpool_resolution){
				     .kind = SPNPOOL_RESOLUTION_NTLM_ONLY,
				     .pool = primary->pool,
				     .account = keep->sam_account_name,
				     .chosen = chosen,
			     },
			     &r);
	if (ret != LDB_SUCCESS) {
		return ret;
	}
	for (i = 0; i < n->num_users; i++) {
		const struct spnpool_plan_user *u = &n->users[i];
		struct spnpool_action iis7 =
			iis_action(SPNPOOL_ACTION_IIS_NTLM_ONLY, u);
		struct spnpool_action iis6 =
			iis_action(SPNPOOL_ACTION_IIS6_NTLM_ONLY, u);
		struct spnpool_action creds =
			iis_action(SPNPOOL_ACTION_IIS_APP_POOL_CREDENTIALS, u);

		if (u->account_dn == NULL ||
		    spnpool_dir_dn_equal(p->dir, u->account_dn, keep->dn)) {
			continue;
		}
		ret = add_action(p, n, r, &iis7);
		if (ret != LDB_SUCCESS) {
			return ret;
		}
		ret = add_action(p, n, r, &iis6);
		if (ret != LDB_SUCCESS) {
			return ret;
		}
		if (!r->chosen) {
			continue;
		}
		/* NTLM-only apps need no useAppPoolCredentials */
		spnpool_action_drop(n->iis_actions, &n->num_iis_actions,
				    &creds);
		ret = add_iis_action(p, n, &iis7);
		if (ret != LDB_SUCCESS) {
			return ret;
		}
	}
	return LDB_SUCCESS;
}

/* Several accounts behind one name: rank the ways out, choose one. */
static int plan_conflict(struct planner *p, struct spnpool_plan_name *n,
			 const struct spnpool_plan_user *primary,
			 size_t num_accounts, bool farm_of_machines)
{
	const struct spnpool_account *keep =
		find_account(p, primary->account_dn);
	const char *dom = p->dir->netbios_domain != NULL
				  ? p->dir->netbios_domain
				  : p->dir->dns_domain;
	/* a suggested shared account: svc-<first label> */
	const char *label =
		label_of(p->tmp, n->netbios != NULL ? n->netbios : n->fqdn);
	const char *shared = NULL;
	int ret;

	if (label == NULL) {
		return ldb_oom(p->dir->ldb);
	}
	shared = talloc_asprintf(p->tmp, "svc-%s", label);
	if (shared == NULL) {
		return ldb_oom(p->dir->ldb);
	}
	n->decision = SPNPOOL_DECISION_CONFLICT;
	n->num_accounts = num_accounts;
	n->farm_of_machines = farm_of_machines;

	ret = resolve_shared_account(p, n, dom, shared);
	if (ret != LDB_SUCCESS) {
		return ret;
	}
	ret = resolve_distinct_names(p, n, primary, label);
	if (ret != LDB_SUCCESS) {
		return ret;
	}
	if (!farm_of_machines) {
		ret = resolve_kernel_mode(p, n);
		if (ret != LDB_SUCCESS) {
			return ret;
		}
	}
	if (keep != NULL) {
		ret = resolve_ntlm_only(p, n, primary, keep, !farm_of_machines);
		if (ret != LDB_SUCCESS) {
			return ret;
		}
	}
	if (farm_of_machines || keep == NULL) {
		n->unresolved = true;
		return add_note(p, &(struct spnpool_plan_note){
					   .kind = SPNPOOL_NOTE_UNRESOLVED,
					   .fqdn = n->fqdn,
				   });
	}
	n->account_dn = talloc_strdup(p->plan->names, keep->dn);
	n->account_sam = talloc_strdup(p->plan->names, keep->sam_account_name);
	return plan_register(p, n, keep);
}

/* The pool that keeps the name in a conflict: the root application's. */
static const struct spnpool_plan_user *
primary_user(const struct spnpool_plan_name *n)
{
	const struct spnpool_plan_user *first = NULL;
	size_t i;

	for (i = 0; i < n->num_users; i++) {
		const struct spnpool_plan_user *u = &n->users[i];

		if (u->account_dn == NULL) {
			continue;
		}
		if (first == NULL) {
			first = u;
		}
		if (u->app_path == NULL || strcmp(u->app_path, "/") == 0) {
			return u;
		}
	}
	return first;
}

static int decide(struct planner *p, struct spnpool_plan_name *n)
{
	const char *distinct[64];
	size_t num_distinct = 0;
	bool all_machines = true;
	const struct spnpool_account *a = NULL;
	size_t i;
	size_t k;

	for (i = 0; i < n->num_users; i++) {
		const struct spnpool_plan_user *u = &n->users[i];
		bool seen = false;

		if (u->account_dn == NULL) {
			continue;
		}
		for (k = 0; k < num_distinct; k++) {
			seen |= spnpool_dir_dn_equal(p->dir, distinct[k],
						     u->account_dn);
		}
		if (!seen && num_distinct < 64) {
			distinct[num_distinct++] = u->account_dn;
			a = find_account(p, u->account_dn);
			all_machines &= (a != NULL && a->is_computer);
		}
	}
	if (num_distinct == 0) {
		n->decision = SPNPOOL_DECISION_SKIPPED;
		return LDB_SUCCESS;
	}
	if (num_distinct > 1) {
		return plan_conflict(p, n, primary_user(n), num_distinct,
				     all_machines);
	}
	a = find_account(p, distinct[0]);
	n->account_dn = talloc_strdup(p->plan->names, a->dn);
	n->account_sam = talloc_strdup(p->plan->names, a->sam_account_name);
	if (a->is_computer && n->netbios != NULL &&
	    strncasecmp(a->sam_account_name, n->netbios, strlen(n->netbios)) ==
		    0 &&
	    a->sam_account_name[strlen(n->netbios)] == '$') {
		n->decision = SPNPOOL_DECISION_NOTHING;
		return plan_machine_name(p, n, a);
	}
	n->decision = SPNPOOL_DECISION_REGISTER;
	return plan_register(p, n, a);
}

/* Deletions first, so a move never meets its own old value. */
static void order_changes(struct spnpool_plan *plan)
{
	size_t i;
	size_t w = 0;
	struct spnpool_change tmp;
	struct spnpool_change_why tmp_why;

	for (i = 0; i < plan->num_changes; i++) {
		if (plan->changes[i].action == SPNPOOL_CHANGE_DELETE) {
			tmp = plan->changes[i];
			tmp_why = plan->whys[i];
			memmove(&plan->changes[w + 1], &plan->changes[w],
				(i - w) * sizeof(tmp));
			memmove(&plan->whys[w + 1], &plan->whys[w],
				(i - w) * sizeof(tmp_why));
			plan->whys[w] = tmp_why;
			plan->changes[w++] = tmp;
		}
	}
}

/* A note for every account the plan would push past
 * SPNPOOL_PLAN_MAX_VALUES values: what it holds, plus the plan's adds,
 * minus its deletes. */
static int note_full_accounts(struct planner *p)
{
	const struct spnpool_plan *plan = p->plan;
	size_t i;
	size_t k;
	int ret;

	for (i = 0; i < p->num_accounts; i++) {
		const struct spnpool_account *a = p->accounts[i].account;
		size_t count = a->num_spns;
		bool adds = false;

		for (k = 0; k < plan->num_changes; k++) {
			const struct spnpool_change *c = &plan->changes[k];

			if (!spnpool_dir_dn_equal(p->dir, c->dn, a->dn)) {
				continue;
			}
			if (c->action == SPNPOOL_CHANGE_ADD) {
				count++;
				adds = true;
			} else if (count > 0) {
				count--;
			}
		}
		if (!adds || count <= SPNPOOL_PLAN_MAX_VALUES) {
			continue;
		}
		/* add_note() keeps one note per account */
		ret = add_note(p, &(struct spnpool_plan_note){
					  .kind = SPNPOOL_NOTE_TOO_MANY_VALUES,
					  .account = a->sam_account_name,
					  .values = (unsigned)count,
					  .limit = SPNPOOL_PLAN_MAX_VALUES,
				  });
		if (ret != LDB_SUCCESS) {
			return ret;
		}
	}
	return LDB_SUCCESS;
}

int spnpool_op_plan(TALLOC_CTX *mem_ctx, struct spnpool_dir *dir,
		    const struct spnpool_web_config *config,
		    const char *const *servers, size_t num_servers,
		    bool allow_privileged, struct spnpool_plan **_plan)
{
	struct planner p = {
		.dir = dir,
		.servers = servers,
		.num_servers = num_servers,
		.allow_privileged = allow_privileged,
	};
	size_t i;
	int ret;

	p.tmp = talloc_new(mem_ctx);
	if (p.tmp == NULL) {
		return ldb_oom(dir->ldb);
	}
	p.plan = talloc_zero(p.tmp, struct spnpool_plan);
	if (p.plan == NULL) {
		ret = ldb_oom(dir->ldb);
		goto done;
	}
	ret = collect(&p, config);
	if (ret != LDB_SUCCESS) {
		goto done;
	}
	for (i = 0; i < p.plan->num_names; i++) {
		ret = decide(&p, &p.plan->names[i]);
		if (ret != LDB_SUCCESS) {
			goto done;
		}
	}
	ret = note_full_accounts(&p);
	if (ret != LDB_SUCCESS) {
		goto done;
	}
	order_changes(p.plan);
	*_plan = talloc_move(mem_ctx, &p.plan);
done:
	talloc_free(p.tmp);
	return ret;
}
