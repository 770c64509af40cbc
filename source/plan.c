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

/* Grow a talloc array by one and return the new (zeroed) element. */
#define APPEND(ctx, arr, n, type)                                            \
	(((arr) = talloc_realloc((ctx), (arr), type, (n) + 1)) == NULL        \
		 ? NULL                                                       \
		 : (memset(&(arr)[(n)], 0, sizeof(type)), &(arr)[(n)++]))

struct planner {
	TALLOC_CTX *tmp;
	struct spnpool_dir *dir;
	struct spnpool_plan *plan;
	const char *const *servers;
	size_t num_servers;
	bool allow_privileged;
	/* resolved accounts, by IDENTITY text (servers: "NetworkService@S") */
	const char **keys;
	struct spnpool_account **accounts;
	size_t num_accounts;
};

/* ---- accounts ---- */

static int account_of(struct planner *p, const char *identity,
		      const char *server, struct spnpool_account **_a)
{
	char *key = talloc_asprintf(p->tmp, "%s@%s", identity,
				    server != NULL ? server : "");
	struct spnpool_account *a = NULL;
	size_t i;
	int ret;

	if (key == NULL) {
		return ldb_oom(p->dir->ldb);
	}
	for (i = 0; i < p->num_accounts; i++) {
		if (strcasecmp(p->keys[i], key) == 0) {
			*_a = p->accounts[i];
			return LDB_SUCCESS;
		}
	}
	ret = spnpool_dir_find_account(p->tmp, p->dir, identity, server, &a);
	if (ret != LDB_SUCCESS) {
		return ret;
	}
	p->keys = talloc_realloc(p->tmp, p->keys, const char *,
				 p->num_accounts + 1);
	p->accounts = talloc_realloc(p->tmp, p->accounts,
				     struct spnpool_account *,
				     p->num_accounts + 1);
	if (p->keys == NULL || p->accounts == NULL) {
		return ldb_oom(p->dir->ldb);
	}
	p->keys[p->num_accounts] = key;
	p->accounts[p->num_accounts++] = a;
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
					  const char *netbios,
					  const char *fqdn)
{
	struct spnpool_plan *plan = p->plan;
	struct spnpool_plan_name *n = NULL;
	size_t i;

	for (i = 0; i < plan->num_names; i++) {
		if (strcasecmp(plan->names[i].fqdn, fqdn) == 0) {
			return &plan->names[i];
		}
	}
	n = APPEND(plan, plan->names, plan->num_names,
		   struct spnpool_plan_name);
	if (n == NULL) {
		return NULL;
	}
	n->netbios = (netbios != NULL) ? talloc_strdup(plan->names, netbios)
				       : NULL;
	n->fqdn = talloc_strdup(plan->names, fqdn);
	return (n->fqdn == NULL) ? NULL : n;
}

static int add_string(TALLOC_CTX *ctx, char ***arr, size_t *n, char *s)
{
	char **slot = NULL;
	size_t i;

	if (s == NULL) {
		return LDB_ERR_OPERATIONS_ERROR;
	}
	for (i = 0; i < *n; i++) {
		if (strcmp((*arr)[i], s) == 0) {
			talloc_free(s);
			return LDB_SUCCESS;
		}
	}
	slot = APPEND(ctx, *arr, *n, char *);
	if (slot == NULL) {
		return LDB_ERR_OPERATIONS_ERROR;
	}
	*slot = talloc_steal(*arr, s);
	return LDB_SUCCESS;
}

/* Remove s from the array if present (NTLM-only apps need no
 * useAppPoolCredentials). */
static void drop_string(char **arr, size_t *n, const char *s)
{
	size_t i;

	for (i = 0; s != NULL && i < *n; i++) {
		if (strcmp(arr[i], s) == 0) {
			talloc_free(arr[i]);
			memmove(&arr[i], &arr[i + 1],
				(*n - i - 1) * sizeof(arr[0]));
			(*n)--;
			return;
		}
	}
}

/* Notes are kept once: several servers give the same one. */
static int add_note(struct planner *p, char *note)
{
	if (note == NULL ||
	    add_string(p->plan, &p->plan->notes, &p->plan->num_notes, note) !=
		    LDB_SUCCESS) {
		return ldb_oom(p->dir->ldb);
	}
	return LDB_SUCCESS;
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

/* The IIS configuration path of a pool's application: "Site/app". */
static char *iis_path(TALLOC_CTX *ctx, const struct spnpool_plan_user *u)
{
	if (u->app_path == NULL || strcmp(u->app_path, "/") == 0) {
		return talloc_strdup(ctx, u->site);
	}
	return talloc_asprintf(ctx, "%s%s", u->site, u->app_path);
}

static char *app_pool_credentials_command(TALLOC_CTX *ctx,
					  const struct spnpool_plan_user *u)
{
	return talloc_asprintf(
		ctx,
		"appcmd set config \"%s\" -section:system.webServer/"
		"security/authentication/windowsAuthentication "
		"/useAppPoolCredentials:\"True\" /commit:apphost",
		iis_path(ctx, u));
}

/*
 * One binding served on one server under one name: whose key decrypts
 * the tickets.  Built-in identities are the machine; a domain account
 * too under IIS kernel mode without useAppPoolCredentials, but only on
 * the machine's own name — for any other name the plan keeps the pool's
 * account and asks for useAppPoolCredentials (works on farms too).
 */
static int add_user(struct planner *p,
		    const struct spnpool_web_binding *b,
		    const char *server,
		    const char *server_netbios,
		    const char *netbios,
		    const char *fqdn)
{
	struct spnpool_plan_name *n = name_for(p, netbios, fqdn);
	struct spnpool_plan_user *u = NULL;
	struct spnpool_account *a = NULL;
	int ret = LDB_SUCCESS;

	if (n == NULL) {
		return ldb_oom(p->dir->ldb);
	}
	u = APPEND(p->plan, n->users, n->num_users, struct spnpool_plan_user);
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
		ret = add_note(p, talloc_asprintf(
					  p->plan,
					  "site %s listens on port %u: browsers "
					  "ask for http/%s without the port "
					  "unless configured to include it "
					  "(then also: samba-tool spn http-pool "
					  "add ACCOUNT %s --port %u)",
					  b->site, (unsigned)b->port, fqdn, fqdn,
					  (unsigned)b->port));
		if (ret != LDB_SUCCESS) {
			return ret;
		}
	}
	if (b->identity_type == SPNPOOL_POOL_LOCAL_SERVICE) {
		return add_note(p, talloc_asprintf(
					   p->plan,
					   "pool %s runs as LocalService, which "
					   "authenticates anonymously: its "
					   "sites can never use Kerberos",
					   b->pool));
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
			ret = add_string(p->plan, &n->iis_commands,
					 &n->num_iis_commands,
					 app_pool_credentials_command(p->plan,
								      u));
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
			const char *server = (p->num_servers > 0)
						     ? p->servers[s]
						     : NULL;
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
		      char *reason)
{
	struct spnpool_change *c = NULL;
	size_t i;

	for (i = 0; i < p->plan->num_changes; i++) {
		c = &p->plan->changes[i];
		if (c->action == action && strcasecmp(c->dn, dn) == 0 &&
		    spnpool_spn_equal(c->spn, spn)) {
			return LDB_SUCCESS;
		}
	}
	c = APPEND(p->plan, p->plan->changes, p->plan->num_changes,
		   struct spnpool_change);
	if (c == NULL) {
		return ldb_oom(p->dir->ldb);
	}
	c->action = action;
	c->dn = talloc_strdup(p->plan->changes, dn);
	c->sam_account_name = (sam != NULL)
				      ? talloc_strdup(p->plan->changes, sam)
				      : NULL;
	c->spn = talloc_strdup(p->plan->changes, spn);
	c->reason = talloc_steal(p->plan->changes, reason);
	return (c->dn == NULL || c->spn == NULL) ? ldb_oom(p->dir->ldb)
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
	const char *why = NULL;
	size_t i;
	size_t k;
	int ret;

	ret = spnpool_dir_privileged(p->tmp, p->dir, a->dn, &why);
	if (ret != LDB_SUCCESS) {
		return ret;
	}
	n->privileged = why;
	if (why != NULL && !p->allow_privileged) {
		/* the alternative a reviewer can act on, not a write */
		return add_note(
			p, talloc_asprintf(
				   p->plan,
				   "%s is %s: no SPNs are planned for %s. Run "
				   "its pools as a dedicated service account "
				   "(a gMSA is best) and plan again; or plan "
				   "with --allow-privileged, which exposes the "
				   "account's key to offline cracking "
				   "(Kerberoasting)",
				   a->sam_account_name, why, n->fqdn));
	}
	ret = spnpool_dir_find_holders(p->tmp, p->dir, spns, num, true,
				       &holders, &num_holders);
	if (ret != LDB_SUCCESS) {
		return ret;
	}
	for (i = 0; i < num; i++) {
		enum spnpool_conflict c = spnpool_conflict_decide(
			p->dir->aliases, spns[i], a->guid, holders,
			num_holders, NULL);

		if (c == SPNPOOL_CONFLICT_OURS) {
			continue;
		}
		/* explicit holders elsewhere would win: they must go */
		for (k = 0; k < num_holders; k++) {
			if (strcasecmp(holders[k].account, a->guid) != 0 &&
			    spnpool_spn_equal(holders[k].value, spns[i])) {
				ret = add_change(
					p, SPNPOOL_CHANGE_DELETE,
					holders[k].dn,
					sam_of_dn(p, holders[k].dn),
					holders[k].value,
					talloc_asprintf(p->plan,
							"moved to %s",
							a->sam_account_name));
				if (ret != LDB_SUCCESS) {
					return ret;
				}
			}
		}
		ret = add_change(p, SPNPOOL_CHANGE_ADD, a->dn,
				 a->sam_account_name, spns[i],
				 talloc_asprintf(p->plan, "%s answers for %s",
						 a->sam_account_name, n->fqdn));
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
	for (k = 0; k < num_holders && ret == LDB_SUCCESS; k++) {
		if (strcasecmp(holders[k].account, machine->guid) == 0) {
			continue;
		}
		ret = add_change(
			p, SPNPOOL_CHANGE_DELETE, holders[k].dn,
			sam_of_dn(p, holders[k].dn), holders[k].value,
			talloc_asprintf(p->plan,
					"would take %s from the machine "
					"account %s",
					holders[k].value,
					machine->sam_account_name));
	}
	return ret;
}

static const struct spnpool_account *find_account(struct planner *p,
						   const char *dn)
{
	size_t i;

	for (i = 0; i < p->num_accounts; i++) {
		if (strcasecmp(p->accounts[i]->dn, dn) == 0) {
			return p->accounts[i];
		}
	}
	return NULL;
}

static int add_resolution(struct planner *p, struct spnpool_plan_name *n,
			  const char *kind, char *summary, char *tradeoff,
			  bool chosen, struct spnpool_resolution **_r)
{
	struct spnpool_resolution *r = APPEND(p->plan, n->resolutions,
					      n->num_resolutions,
					      struct spnpool_resolution);

	if (r == NULL || summary == NULL || tradeoff == NULL) {
		return ldb_oom(p->dir->ldb);
	}
	r->kind = talloc_strdup(n->resolutions, kind);
	r->summary = talloc_steal(n->resolutions, summary);
	r->tradeoff = talloc_steal(n->resolutions, tradeoff);
	r->chosen = chosen;
	*_r = r;
	return LDB_SUCCESS;
}

/* r lives inside the talloc array n->resolutions, which owns its data */
static int add_command(struct spnpool_plan_name *n,
		       struct spnpool_resolution *r, char *cmd)
{
	return add_string(n->resolutions, &r->commands, &r->num_commands, cmd);
}

static char *ntlm_only_commands(TALLOC_CTX *ctx,
				const struct spnpool_plan_user *u,
				char **iis6)
{
	*iis6 = talloc_asprintf(ctx,
				"cscript adsutil.vbs set w3svc/%s/root%s/"
				"NTAuthenticationProviders \"NTLM\"",
				u->site_id != NULL ? u->site_id : "SITE-ID",
				(u->app_path != NULL &&
				 strcmp(u->app_path, "/") != 0)
					? u->app_path
					: "");
	return talloc_asprintf(
		ctx,
		"appcmd set config \"%s\" -section:system.webServer/security/"
		"authentication/windowsAuthentication "
		"/-\"providers.[value='Negotiate']\" /commit:apphost",
		iis_path(ctx, u));
}

/* Several accounts behind one name: rank the ways out, choose one. */
static int plan_conflict(struct planner *p, struct spnpool_plan_name *n,
			 const struct spnpool_plan_user *primary,
			 size_t num_accounts, bool farm_of_machines)
{
	const struct spnpool_account *keep = find_account(p,
							  primary->account_dn);
	struct spnpool_resolution *r = NULL;
	const char *dom = p->dir->netbios_domain != NULL
				  ? p->dir->netbios_domain
				  : p->dir->dns_domain;
	/* a suggested shared account: svc-<first label> */
	const char *shared = label_of(p->tmp, n->netbios != NULL ? n->netbios
								 : n->fqdn);
	size_t i;
	int ret;

	n->decision = talloc_strdup(p->plan->names, "conflict");
	n->explanation = talloc_asprintf(
		p->plan->names,
		"%zu accounts serve %s, but an SPN can belong to one account "
		"only: at most one of them can use Kerberos%s",
		num_accounts, n->fqdn,
		farm_of_machines ? " (pools on several servers run as each "
				   "server's machine account)"
				 : "");

	/* 1. one shared account */
	ret = add_resolution(
		p, n, "shared-account",
		talloc_asprintf(p->plan,
				"run every pool behind %s as one domain "
				"account (e.g. %s\\svc-%s) and register the "
				"name on it",
				n->fqdn, dom, shared),
		talloc_strdup(p->plan,
			      "the pools lose their separate identities: "
			      "grant the shared account what each pool "
			      "needs; a compromised pool exposes the others"),
		false, &r);
	for (i = 0; i < n->num_users && ret == LDB_SUCCESS; i++) {
		ret = add_command(
			n, r, talloc_asprintf(
				   n->resolutions,
				   "appcmd set apppool \"%s\" "
				   "/processModel.identityType:SpecificUser "
				   "/processModel.userName:\"%s\\svc-%s\" "
				   "/processModel.password:\"...\"",
				   n->users[i].pool, dom, shared));
	}
	if (ret == LDB_SUCCESS) {
		ret = add_command(n, r, talloc_asprintf(
					     n->resolutions,
					     "samba-tool spn http-pool add "
					     "'%s\\svc-%s' %s --move",
					     dom, shared, n->fqdn));
	}

	/* 2. a name per pool */
	if (ret == LDB_SUCCESS) {
		ret = add_resolution(
			p, n, "distinct-names",
			talloc_asprintf(p->plan,
					"give each pool its own host name "
					"(DNS record and IIS binding) and "
					"register each name on its pool's "
					"account"),
			talloc_strdup(p->plan, "new URLs for users and "
					       "links; a DNS record and a "
					       "binding per pool"),
			false, &r);
	}
	for (i = 0; i < n->num_users && ret == LDB_SUCCESS; i++) {
		const struct spnpool_plan_user *u = &n->users[i];

		if (u->account_dn == NULL || u == primary) {
			continue;
		}
		ret = add_command(n, r, talloc_asprintf(
					     n->resolutions,
					     "samba-tool spn http-pool add "
					     "'%s' %s-%s.%s",
					     u->account_sam,
					     label_of(n->resolutions, u->pool),
					     shared, p->dir->dns_domain));
	}

	/* 3. kernel mode with the machine account (one server only) */
	if (ret == LDB_SUCCESS && !farm_of_machines) {
		ret = add_resolution(
			p, n, "kernel-mode",
			talloc_asprintf(p->plan,
					"let IIS decrypt with the machine "
					"account: kernel-mode authentication "
					"with useAppPoolCredentials=false for "
					"every site on %s, and no http/ SPN "
					"on a domain account",
					n->fqdn),
			talloc_strdup(p->plan,
				      "one server only (not a farm); the "
				      "machine account must hold the name "
				      "(its HOST/ SPNs cover its own name)"),
			false, &r);
		for (i = 0; i < n->num_users && ret == LDB_SUCCESS; i++) {
			ret = add_command(
				n, r,
				talloc_asprintf(
					n->resolutions,
					"appcmd set config \"%s\" "
					"-section:system.webServer/security/"
					"authentication/windowsAuthentication "
					"/useKernelMode:\"True\" "
					"/useAppPoolCredentials:\"False\" "
					"/commit:apphost",
					iis_path(n->resolutions, &n->users[i])));
		}
		/* the machine must answer for a name that is not its own */
		for (i = 0; i < n->num_users && ret == LDB_SUCCESS; i++) {
			if (n->users[i].server == NULL) {
				continue;
			}
			ret = add_command(
				n, r,
				talloc_asprintf(
					n->resolutions,
					"samba-tool spn http-pool add "
					"NetworkService %s --server %s --move",
					n->fqdn, n->users[i].server));
		}
	}

	/* 4. NTLM only for the others: the plan's choice on one server */
	if (ret == LDB_SUCCESS && keep != NULL) {
		ret = add_resolution(
			p, n, "ntlm-only",
			talloc_asprintf(p->plan,
					"keep Kerberos for pool %s (%s) and "
					"set the other pools' applications "
					"on %s to NTLM only",
					primary->pool, keep->sam_account_name,
					n->fqdn),
			talloc_strdup(p->plan,
				      "those applications lose Kerberos: no "
				      "delegation, NTLM's weaker security, "
				      "more load on the DCs"),
			!farm_of_machines, &r);
		for (i = 0; i < n->num_users && ret == LDB_SUCCESS; i++) {
			const struct spnpool_plan_user *u = &n->users[i];
			char *iis6 = NULL;
			char *iis7 = NULL;

			if (u->account_dn == NULL ||
			    strcasecmp(u->account_dn, keep->dn) == 0) {
				continue;
			}
			iis7 = ntlm_only_commands(n->resolutions, u, &iis6);
			ret = add_command(n, r, iis7);
			if (ret == LDB_SUCCESS) {
				ret = add_command(n, r, iis6);
			}
			if (ret == LDB_SUCCESS && r->chosen) {
				drop_string(n->iis_commands,
					    &n->num_iis_commands,
					    app_pool_credentials_command(p->tmp,
									 u));
				ret = add_string(p->plan, &n->iis_commands,
						 &n->num_iis_commands,
						 talloc_strdup(p->plan, iis7));
			}
		}
	}
	if (ret != LDB_SUCCESS) {
		return ret;
	}
	if (farm_of_machines || keep == NULL) {
		n->unresolved = true;
		return add_note(p, talloc_asprintf(
					   p->plan,
					   "%s: no resolution chosen; pick one "
					   "of the ranked resolutions and plan "
					   "again",
					   n->fqdn));
	}
	n->account_dn = talloc_strdup(p->plan->names, keep->dn);
	n->account_sam = talloc_strdup(p->plan->names, keep->sam_account_name);
	return plan_register(p, n, keep);
}

/* The pool that keeps the name in a conflict: the root application's. */
static const struct spnpool_plan_user *primary_user(
	const struct spnpool_plan_name *n)
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
			seen |= strcasecmp(distinct[k], u->account_dn) == 0;
		}
		if (!seen && num_distinct < 64) {
			distinct[num_distinct++] = u->account_dn;
			a = find_account(p, u->account_dn);
			all_machines &= (a != NULL && a->is_computer);
		}
	}
	if (num_distinct == 0) {
		n->decision = talloc_strdup(p->plan->names, "skipped");
		n->explanation = talloc_strdup(
			p->plan->names,
			"no pool on this name offers Kerberos (Windows "
			"authentication off, NTLM only, or LocalService)");
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
	    strncasecmp(a->sam_account_name, n->netbios,
			strlen(n->netbios)) == 0 &&
	    a->sam_account_name[strlen(n->netbios)] == '$') {
		n->decision = talloc_strdup(p->plan->names, "nothing");
		n->explanation = talloc_asprintf(
			p->plan->names,
			"the pools run as the machine account %s, which "
			"answers for its own name through HOST/",
			a->sam_account_name);
		return plan_machine_name(p, n, a);
	}
	n->decision = talloc_strdup(p->plan->names, "register");
	n->explanation = talloc_asprintf(p->plan->names,
					 "%s must hold http/%s and http/%s",
					 a->sam_account_name,
					 n->netbios != NULL ? n->netbios : "-",
					 n->fqdn);
	return plan_register(p, n, a);
}

/* Deletions first, so a move never meets its own old value. */
static void order_changes(struct spnpool_plan *plan)
{
	size_t i;
	size_t w = 0;
	struct spnpool_change tmp;

	for (i = 0; i < plan->num_changes; i++) {
		if (plan->changes[i].action == SPNPOOL_CHANGE_DELETE) {
			tmp = plan->changes[i];
			memmove(&plan->changes[w + 1], &plan->changes[w],
				(i - w) * sizeof(tmp));
			plan->changes[w++] = tmp;
		}
	}
}

int spnpool_op_plan(TALLOC_CTX *mem_ctx,
		    struct spnpool_dir *dir,
		    const struct spnpool_web_config *config,
		    const char *const *servers,
		    size_t num_servers,
		    bool allow_privileged,
		    struct spnpool_plan **_plan)
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
	for (i = 0; i < p.plan->num_names && ret == LDB_SUCCESS; i++) {
		ret = decide(&p, &p.plan->names[i]);
	}
	if (ret != LDB_SUCCESS) {
		goto done;
	}
	order_changes(p.plan);
	*_plan = talloc_move(mem_ctx, &p.plan);
done:
	talloc_free(p.tmp);
	return ret;
}
