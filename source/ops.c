/*
 * libspnpool: operations.  Register, remove and list HTTP SPNs of pool
 * identities with the guarantees of docs/design.md: input validated
 * before the directory is read, exact values added or deleted inside one
 * modify (never read-modify-write), uniqueness checked before and after
 * the write, all or nothing.
 */

#include <string.h>
#include <strings.h>

#include <ldb.h>
#include <ldb_module.h>

#include "spnpool_private.h"

static const char *const state_names[] = {
	[SPNPOOL_STATE_ADDED] = "added",
	[SPNPOOL_STATE_PRESENT] = "present",
	[SPNPOOL_STATE_WOULD_ADD] = "would-add",
	[SPNPOOL_STATE_MOVED] = "moved",
	[SPNPOOL_STATE_WOULD_MOVE] = "would-move",
	[SPNPOOL_STATE_CONFLICT] = "conflict",
	[SPNPOOL_STATE_REMOVED] = "removed",
	[SPNPOOL_STATE_WOULD_REMOVE] = "would-remove",
	[SPNPOOL_STATE_ABSENT] = "absent",
	[SPNPOOL_STATE_NOT_WRITTEN] = "not-written",
};

const char *spnpool_state_name(enum spnpool_spn_state state)
{
	if ((unsigned)state >= sizeof(state_names) / sizeof(state_names[0])) {
		return "unknown";
	}
	return state_names[state];
}

static const char *const via_names[] = {
	[SPNPOOL_VIA_EXPLICIT] = "explicit",
	[SPNPOOL_VIA_HOST_ALIAS] = "host-alias",
	[SPNPOOL_VIA_COMPUTER_NAME] = "computer-name",
};

const char *spnpool_via_name(enum spnpool_via via)
{
	if ((unsigned)via >= sizeof(via_names) / sizeof(via_names[0])) {
		return "unknown";
	}
	return via_names[via];
}

/* ---- privileged targets (docs/design.md, "Privileged accounts") ---- */

/*
 * The reason in the refusal's errstring (the error domain: one readable
 * sentence).  Results carry the enum; samba_spnpool.render words it for
 * reports, with the same phrases.
 */
static const char *privileged_phrase(enum spnpool_privileged why)
{
	static const char *const phrases[] = {
		[SPNPOOL_PRIVILEGED_KRBTGT] = "krbtgt, the KDC's own account",
		[SPNPOOL_PRIVILEGED_ADMINISTRATOR] =
			"the domain's Administrator",
		[SPNPOOL_PRIVILEGED_GUEST] = "the Guest account",
		[SPNPOOL_PRIVILEGED_DC] = "a domain controller",
		[SPNPOOL_PRIVILEGED_RODC] = "a read-only domain controller",
		[SPNPOOL_PRIVILEGED_ADMIN_COUNT] =
			"protected (adminCount=1: a member, now or once, of "
			"an administrative group)",
		[SPNPOOL_PRIVILEGED_DISABLED] = "disabled",
		[SPNPOOL_PRIVILEGED_ADMINISTRATORS] =
			"a member of Administrators",
		[SPNPOOL_PRIVILEGED_ACCOUNT_OPERATORS] =
			"a member of Account Operators",
		[SPNPOOL_PRIVILEGED_SERVER_OPERATORS] =
			"a member of Server Operators",
		[SPNPOOL_PRIVILEGED_PRINT_OPERATORS] =
			"a member of Print Operators",
		[SPNPOOL_PRIVILEGED_BACKUP_OPERATORS] =
			"a member of Backup Operators",
		[SPNPOOL_PRIVILEGED_REPLICATOR] = "a member of Replicator",
		[SPNPOOL_PRIVILEGED_DOMAIN_ADMINS] =
			"a member of Domain Admins",
		[SPNPOOL_PRIVILEGED_SCHEMA_ADMINS] =
			"a member of Schema Admins",
		[SPNPOOL_PRIVILEGED_ENTERPRISE_ADMINS] =
			"a member of Enterprise Admins",
		[SPNPOOL_PRIVILEGED_KEY_ADMINS] = "a member of Key Admins",
		[SPNPOOL_PRIVILEGED_ENTERPRISE_KEY_ADMINS] =
			"a member of Enterprise Key Admins",
	};

	return SPNPOOL_NAME_OF(phrases, why);
}

int spnpool_refuse_privileged(struct spnpool_dir *dir,
			      struct spnpool_account *a, bool allow)
{
	enum spnpool_privileged why = SPNPOOL_PRIVILEGED_NONE;
	int ret = spnpool_dir_privileged(a, dir, a->dn, &why);

	if (ret != LDB_SUCCESS) {
		return ret;
	}
	a->privileged = why;
	if (why == SPNPOOL_PRIVILEGED_NONE || allow) {
		return LDB_SUCCESS;
	}
	ldb_asprintf_errstring(dir->ldb,
			       "refusing SPNs on %s (%s): it is %s; any "
			       "domain user can request a ticket for an SPN "
			       "and crack its account's key offline "
			       "(Kerberoasting), and the account's tickets "
			       "would serve the web site; nothing was "
			       "written (--allow-privileged overrides)",
			       a->sam_account_name, a->dn,
			       privileged_phrase(why));
	return SPNPOOL_ERR_PRIVILEGED;
}

/* ---- the SPNs a command is about ---- */

enum candidate_mode {
	CANDIDATES_ADD,	   /* plain forms, plus :port forms with a port */
	CANDIDATES_REMOVE, /* :port forms with a port, else plain forms */
};

static int append_spn(struct spnpool_dir *dir, TALLOC_CTX *mem_ctx,
		      char ***list, size_t *n, char *spn)
{
	if (spnpool_spn_list_add(mem_ctx, list, n, spn, NULL) != SPNPOOL_OK) {
		return ldb_oom(dir->ldb);
	}
	return LDB_SUCCESS;
}

/* Validate every host and the port, then spell the SPNs. */
static int build_candidates(TALLOC_CTX *mem_ctx, struct spnpool_dir *dir,
			    const struct spnpool_request *req,
			    enum candidate_mode mode, char ***_spns,
			    size_t *_num)
{
	char **spns = talloc_array(mem_ctx, char *, 0);
	size_t n = 0;
	uint16_t port = 0;
	size_t i;
	int ret;

	if (spns == NULL) {
		return ldb_oom(dir->ldb);
	}
	if (req->num_hosts == 0) {
		ldb_set_errstring(dir->ldb, "no host given");
		return LDB_ERR_INVALID_ATTRIBUTE_SYNTAX;
	}
	if (req->num_hosts > SPNPOOL_MAX_HOSTS) {
		ldb_asprintf_errstring(dir->ldb,
				       "%zu hosts given; at most %d per "
				       "command (one search and one modify "
				       "must stay under the DC's request size "
				       "limit): split the list, or use plan "
				       "and apply with a pools file",
				       req->num_hosts, SPNPOOL_MAX_HOSTS);
		return LDB_ERR_INVALID_ATTRIBUTE_SYNTAX;
	}
	if (req->port != NULL) {
		enum spnpool_status st =
			spnpool_port_parse(req->port, strlen(req->port), &port);

		if (st != SPNPOOL_OK) {
			ldb_asprintf_errstring(
				dir->ldb, "invalid port '%s': %s", req->port,
				spnpool_status_string(st));
			return LDB_ERR_INVALID_ATTRIBUTE_SYNTAX;
		}
	}
	if (req->port_only && port == 0) {
		ldb_set_errstring(dir->ldb, "only the :port forms were asked "
					    "for, but no port was given");
		return LDB_ERR_INVALID_ATTRIBUTE_SYNTAX;
	}
	if (req->port_only && (port == 80 || port == 443)) {
		/* docs/design.md, "Only the :port forms" */
		ldb_asprintf_errstring(dir->ldb,
				       "only the :port forms of port %u were "
				       "asked for, but %u is a default port: "
				       "browsers never put it into the SPN "
				       "(they ask for http/<host>), so "
				       "http/<host>:%u would never be used",
				       (unsigned)port, (unsigned)port,
				       (unsigned)port);
		return LDB_ERR_INVALID_ATTRIBUTE_SYNTAX;
	}
	for (i = 0; i < req->num_hosts; i++) {
		const char *host = req->hosts[i];
		char *forms[2] = {NULL, NULL};
		enum spnpool_status st;
		size_t f;

		st = spnpool_host_forms(mem_ctx, host, dir->dns_domain,
					&forms[0], &forms[1]);
		if (st != SPNPOOL_OK) {
			ldb_asprintf_errstring(dir->ldb,
					       "invalid host '%s': %s",
					       host != NULL ? host : "",
					       spnpool_status_string(st));
			return LDB_ERR_INVALID_ATTRIBUTE_SYNTAX;
		}
		for (f = 0; f < 2; f++) {
			if (forms[f] == NULL) {
				continue; /* no NetBIOS form: see host_forms */
			}
			ret = LDB_SUCCESS;
			if ((mode == CANDIDATES_ADD && !req->port_only) ||
			    port == 0) {
				ret = append_spn(dir, mem_ctx, &spns, &n,
						 talloc_asprintf(mem_ctx,
								 "http/%s",
								 forms[f]));
			}
			if (ret == LDB_SUCCESS && port != 0) {
				ret = append_spn(
					dir, mem_ctx, &spns, &n,
					talloc_asprintf(mem_ctx, "http/%s:%u",
							forms[f],
							(unsigned)port));
			}
			if (ret != LDB_SUCCESS) {
				return ret;
			}
		}
	}
	*_spns = spns;
	*_num = n;
	return LDB_SUCCESS;
}

static struct spnpool_op_result *new_result(TALLOC_CTX *mem_ctx,
					    struct spnpool_account *account,
					    char **spns, size_t num,
					    bool dry_run)
{
	struct spnpool_op_result *r =
		talloc_zero(mem_ctx, struct spnpool_op_result);
	size_t i;

	if (r == NULL) {
		return NULL;
	}
	r->spns = talloc_zero_array(r, struct spnpool_spn_report, num);
	if (r->spns == NULL) {
		talloc_free(r);
		return NULL;
	}
	r->account = talloc_steal(r, account);
	r->num_spns = num;
	r->dry_run = dry_run;
	for (i = 0; i < num; i++) {
		r->spns[i].spn = talloc_steal(r->spns, spns[i]);
	}
	return r;
}

static char *dup_or_null(TALLOC_CTX *mem_ctx, const char *s)
{
	return (s != NULL) ? talloc_strdup(mem_ctx, s) : NULL;
}

/* ---- add ---- */

/* Decide every candidate from the holders found. */
static void decide_all(struct spnpool_dir *dir, struct spnpool_op_result *r,
		       const struct spnpool_holder *holders, size_t num_holders)
{
	size_t i;

	for (i = 0; i < r->num_spns; i++) {
		struct spnpool_spn_report *s = &r->spns[i];
		size_t which = 0;

		s->conflict = spnpool_conflict_decide(dir->aliases, s->spn,
						      r->account->guid, holders,
						      num_holders, &which);
		if (s->conflict != SPNPOOL_CONFLICT_FREE) {
			const struct spnpool_holder *h = &holders[which];

			if (s->conflict == SPNPOOL_CONFLICT_OURS) {
				s->stored = talloc_strdup(r->spns, h->value);
			} else {
				s->holder_dn = talloc_strdup(r->spns, h->dn);
				s->holder_value =
					talloc_strdup(r->spns, h->value);
			}
		}
	}
}

/* Which SPNs the write must add to the account and take from others. */
struct add_plan {
	const char **add; /* values for the account */
	size_t num_add;
	size_t *moves; /* indexes into result->spns taken from holders */
	size_t num_moves;
	size_t num_conflicts;
};

static int plan_add(TALLOC_CTX *mem_ctx, struct spnpool_dir *dir,
		    struct spnpool_op_result *r, bool move,
		    struct add_plan *plan)
{
	size_t i;

	memset(plan, 0, sizeof(*plan));
	plan->add = talloc_zero_array(mem_ctx, const char *, r->num_spns);
	plan->moves = talloc_zero_array(mem_ctx, size_t, r->num_spns);
	if (plan->add == NULL || plan->moves == NULL) {
		return ldb_oom(dir->ldb);
	}
	for (i = 0; i < r->num_spns; i++) {
		struct spnpool_spn_report *s = &r->spns[i];

		switch (s->conflict) {
		case SPNPOOL_CONFLICT_OURS:
			s->state = SPNPOOL_STATE_PRESENT;
			break;
		case SPNPOOL_CONFLICT_FREE:
		case SPNPOOL_CONFLICT_ALIAS_SHADOWS:
			s->state = SPNPOOL_STATE_ADDED;
			plan->add[plan->num_add++] = s->spn;
			break;
		case SPNPOOL_CONFLICT_DIRECT:
			if (move) {
				s->state = SPNPOOL_STATE_MOVED;
				plan->add[plan->num_add++] = s->spn;
				plan->moves[plan->num_moves++] = i;
				break;
			}
			s->state = SPNPOOL_STATE_CONFLICT;
			plan->num_conflicts++;
			break;
		case SPNPOOL_CONFLICT_ALIAS_REFUSED:
			s->state = SPNPOOL_STATE_CONFLICT;
			plan->num_conflicts++;
			break;
		}
	}
	return LDB_SUCCESS;
}

/* Describe the first conflict of r in the ldb error string. */
static int report_conflicts(struct spnpool_dir *dir,
			    struct spnpool_op_result *r, const char *prefix)
{
	const struct spnpool_spn_report *first = NULL;
	size_t count = 0;
	size_t i;

	for (i = 0; i < r->num_spns; i++) {
		struct spnpool_spn_report *s = &r->spns[i];

		if (s->state == SPNPOOL_STATE_CONFLICT) {
			if (first == NULL) {
				first = s;
			}
			count++;
		} else if (s->state != SPNPOOL_STATE_PRESENT) {
			s->state = SPNPOOL_STATE_NOT_WRITTEN;
		}
	}
	if (first == NULL) {
		return LDB_SUCCESS;
	}
	ldb_asprintf_errstring(
		dir->ldb,
		"%s%s is already held by %s (as %s)%s; nothing was written; "
		"an SPN can belong to one account only: remove it there, use "
		"another host name, or take it with --move",
		prefix, first->spn, first->holder_dn, first->holder_value,
		count > 1 ? talloc_asprintf(r, " and %zu more SPN(s) conflict",
					    count - 1)
			  : "");
	return LDB_ERR_CONSTRAINT_VIOLATION;
}

/* Give moved values back to the accounts they were taken from; what
 * could not be given back is appended to *leftover. */
static void restore_moves(struct spnpool_dir *dir, struct spnpool_op_result *r,
			  const struct add_plan *plan, size_t num_done,
			  char **leftover)
{
	size_t i;

	for (i = 0; i < num_done; i++) {
		const struct spnpool_spn_report *s = &r->spns[plan->moves[i]];
		const char *value = s->holder_value;
		int ret = spnpool_dir_modify(dir, s->holder_dn, &value, 1, NULL,
					     0);

		if (ret != LDB_SUCCESS) {
			*leftover = talloc_asprintf_append(
				*leftover, "%s%s is missing from %s (%s)",
				**leftover != '\0' ? "; " : "", value,
				s->holder_dn, ldb_strerror(ret));
		}
	}
}

/*
 * After the write: did another account gain one of our new values while
 * we wrote?  Then Samba's check had a hole (or another DC took it) and we
 * take ours back.
 */
static int verify_added(TALLOC_CTX *mem_ctx, struct spnpool_dir *dir,
			struct spnpool_op_result *r,
			const struct add_plan *plan, size_t *_num_dups)
{
	struct spnpool_holder *holders = NULL;
	size_t num_holders = 0;
	size_t dups = 0;
	size_t i;
	size_t k;
	int ret;

	ret = spnpool_dir_find_holders(mem_ctx, dir, plan->add, plan->num_add,
				       false, &holders, &num_holders);
	if (ret != LDB_SUCCESS) {
		return ret;
	}
	for (i = 0; i < r->num_spns; i++) {
		struct spnpool_spn_report *s = &r->spns[i];

		if (s->state != SPNPOOL_STATE_ADDED &&
		    s->state != SPNPOOL_STATE_MOVED) {
			continue;
		}
		for (k = 0; k < num_holders; k++) {
			const struct spnpool_holder *h = &holders[k];

			if (strcasecmp(h->account, r->account->guid) != 0 &&
			    spnpool_spn_equal(h->value, s->spn)) {
				s->state = SPNPOOL_STATE_CONFLICT;
				s->conflict = SPNPOOL_CONFLICT_DIRECT;
				s->holder_dn = talloc_strdup(r->spns, h->dn);
				s->holder_value =
					talloc_strdup(r->spns, h->value);
				dups++;
				break;
			}
		}
	}
	*_num_dups = dups;
	return LDB_SUCCESS;
}

/* The error of a failed write, with what we were doing. */
static int write_failed(struct spnpool_dir *dir, int ret, const char *what,
			const char *dn)
{
	char *server_msg = talloc_strdup(dir, ldb_errstring(dir->ldb));

	ldb_asprintf_errstring(dir->ldb,
			       "%s %s failed: %s; nothing was "
			       "written",
			       what, dn,
			       server_msg != NULL && server_msg[0] != '\0'
				       ? server_msg
				       : ldb_strerror(ret));
	talloc_free(server_msg);
	return ret;
}

static int write_add(TALLOC_CTX *mem_ctx, struct spnpool_dir *dir,
		     struct spnpool_op_result *r, const struct add_plan *plan)
{
	const char *prefix = "another writer registered the same SPN during "
			     "our write and ours was taken back: ";
	size_t moved = 0;
	size_t dups = 0;
	char *leftover = talloc_strdup(mem_ctx, "");
	size_t i;
	int ret;

	if (leftover == NULL) {
		return ldb_oom(dir->ldb);
	}
	ret = spnpool_dir_transaction_start(dir);
	if (ret != LDB_SUCCESS) {
		return ret;
	}
	/* Over LDAP each delete is a compare-and-swap: it fails if the
	 * holder lost the value meanwhile, and we stop there. */
	for (i = 0; i < plan->num_moves; i++) {
		const struct spnpool_spn_report *s = &r->spns[plan->moves[i]];
		const char *value = s->holder_value;

		ret = spnpool_dir_modify(dir, s->holder_dn, NULL, 0, &value, 1);
		if (ret != LDB_SUCCESS) {
			ret = write_failed(dir, ret, "taking the SPN from",
					   s->holder_dn);
			goto fail;
		}
		moved++;
	}
	ret = spnpool_dir_modify(dir, r->account->dn, plan->add, plan->num_add,
				 NULL, 0);
	if (ret == LDB_ERR_CONSTRAINT_VIOLATION) {
		/* The searches below reset the error; keep the refusal's. */
		char *refusal = talloc_strdup(
			mem_ctx,
			ldb_errstring(dir->ldb) ? ldb_errstring(dir->ldb) : "");

		if (verify_added(mem_ctx, dir, r, plan, &dups) == LDB_SUCCESS &&
		    dups > 0) {
			/* The DC refused what our check let through: another
			 * writer took a value in between.  Name it, as our
			 * check would. */
			prefix = "another writer registered the same SPN "
				 "between our check and our write: ";
			goto fail;
		}
		if (refusal != NULL) {
			ldb_set_errstring(dir->ldb, refusal);
		}
	}
	dups = 0;
	if (ret != LDB_SUCCESS) {
		ret = write_failed(dir, ret, "adding SPNs to", r->account->dn);
		goto fail;
	}
	ret = verify_added(mem_ctx, dir, r, plan, &dups);
	if (ret != LDB_SUCCESS) {
		goto fail_added;
	}
	if (dups > 0) {
		ret = LDB_ERR_CONSTRAINT_VIOLATION;
		goto fail_added;
	}
	ret = spnpool_dir_transaction_commit(dir);
	if (ret != LDB_SUCCESS) {
		/* a local commit failing leaves nothing behind */
		return ret;
	}
	r->changed = true;
	return LDB_SUCCESS;

fail_added:
	if (!dir->local) {
		/* Delete exactly what we added; the rest stays as found. */
		int ret2 = spnpool_dir_modify(dir, r->account->dn, NULL, 0,
					      plan->add, plan->num_add);

		if (ret2 != LDB_SUCCESS) {
			leftover = talloc_asprintf_append(
				leftover, "our new SPNs are still on %s (%s)",
				r->account->dn, ldb_strerror(ret2));
		}
	}
fail:
	if (dir->local) {
		spnpool_dir_transaction_cancel(dir);
	} else {
		restore_moves(dir, r, plan, moved, &leftover);
	}
	if (dups > 0) {
		ret = report_conflicts(dir, r, prefix);
	} else {
		for (i = 0; i < r->num_spns; i++) {
			if (r->spns[i].state != SPNPOOL_STATE_PRESENT) {
				r->spns[i].state = SPNPOOL_STATE_NOT_WRITTEN;
			}
		}
	}
	if (leftover != NULL && leftover[0] != '\0') {
		/* the directory is not as we found it: say exactly how */
		ldb_asprintf_errstring(dir->ldb,
				       "%s; UNDOING FAILED, repair by hand: %s",
				       ldb_errstring(dir->ldb), leftover);
		ret = LDB_ERR_OPERATIONS_ERROR;
	}
	return ret;
}

/*
 * A dry run foresees the DC's refusal of the real write (docs/design.md,
 * "Dry runs foresee access refusals"): the acting user must be allowed to
 * write servicePrincipalName on the account, and, on a Samba DC, on every
 * other account the write touches: the holder of a HOST/ alias the new
 * value shadows, the account a --move takes a value from.
 */
static int foresee_access(struct spnpool_dir *dir, struct spnpool_op_result *r)
{
	size_t i;
	int ret;

	r->access = SPNPOOL_ACCESS_ALLOWED;
	for (i = 0; i <= r->num_spns; i++) {
		const struct spnpool_spn_report *s = NULL;
		enum spnpool_access a;
		const char *dn = r->account->dn;

		if (i > 0) {
			s = &r->spns[i - 1];
			if (s->holder_dn == NULL ||
			    (s->state != SPNPOOL_STATE_WOULD_MOVE &&
			     !(s->state == SPNPOOL_STATE_WOULD_ADD &&
			       s->conflict ==
				       SPNPOOL_CONFLICT_ALIAS_SHADOWS))) {
				continue;
			}
			dn = s->holder_dn;
		}
		ret = spnpool_dir_spn_access(r, dir, dn, &a);
		if (ret != LDB_SUCCESS) {
			return ret;
		}
		if (a == SPNPOOL_ACCESS_VALIDATED_WRITE && s != NULL &&
		    s->state == SPNPOOL_STATE_WOULD_ADD) {
			/* samldb's HOST/ alias check wants the general write
			 * on the holder; the validated write does not do. */
			a = SPNPOOL_ACCESS_DENIED;
		}
		ret = spnpool_access_keep_worst(r, dir->ldb, a, dn, i > 0,
						&r->access, &r->access_dn,
						&r->access_holder);
		if (ret != LDB_SUCCESS) {
			return ret;
		}
		if (a != SPNPOOL_ACCESS_DENIED) {
			continue;
		}
		if (s == NULL) {
			ldb_asprintf_errstring(
				dir->ldb,
				"insufficient access: the acting user may not "
				"write servicePrincipalName on %s (the DC's "
				"allowedAttributesEffective for it does not "
				"list it), so the real run would be refused; "
				"nothing was written (dry run)",
				dn);
		} else {
			ldb_asprintf_errstring(
				dir->ldb,
				"insufficient access: %s %s needs write access "
				"to servicePrincipalName on %s too (%s), which "
				"the DC's allowedAttributesEffective for it "
				"does not grant, so the real run would be "
				"refused; nothing was written (dry run)",
				s->state == SPNPOOL_STATE_WOULD_MOVE ? "taking"
								     : "adding",
				s->spn, dn,
				s->state == SPNPOOL_STATE_WOULD_MOVE
					? "it holds the value"
					: talloc_asprintf(r,
							  "it holds %s, which "
							  "the new value "
							  "shadows",
							  s->holder_value));
		}
		return LDB_ERR_INSUFFICIENT_ACCESS_RIGHTS;
	}
	return LDB_SUCCESS;
}

static int op_add_once(TALLOC_CTX *mem_ctx, struct spnpool_dir *dir,
		       const struct spnpool_request *req,
		       struct spnpool_op_result **_result)
{
	TALLOC_CTX *tmp_ctx = talloc_new(mem_ctx);
	struct spnpool_account *account = NULL;
	struct spnpool_op_result *r = NULL;
	struct spnpool_holder *holders = NULL;
	size_t num_holders = 0;
	struct add_plan plan;
	char **spns = NULL;
	size_t num = 0;
	size_t i;
	int ret;

	if (tmp_ctx == NULL) {
		return ldb_oom(dir->ldb);
	}
	ret = build_candidates(tmp_ctx, dir, req, CANDIDATES_ADD, &spns, &num);
	if (ret != LDB_SUCCESS) {
		goto done;
	}
	ret = spnpool_dir_find_account(tmp_ctx, dir, req->identity, req->server,
				       &account);
	if (ret != LDB_SUCCESS) {
		goto done;
	}
	ret = spnpool_refuse_privileged(dir, account, req->allow_privileged);
	if (ret != LDB_SUCCESS) {
		goto done;
	}
	r = new_result(tmp_ctx, account, spns, num, req->dry_run);
	if (r == NULL) {
		ret = ldb_oom(dir->ldb);
		goto done;
	}
	ret = spnpool_dir_find_holders(tmp_ctx, dir, (const char **)spns, num,
				       true, &holders, &num_holders);
	if (ret != LDB_SUCCESS) {
		goto done;
	}
	decide_all(dir, r, holders, num_holders);
	ret = plan_add(tmp_ctx, dir, r, req->move, &plan);
	if (ret != LDB_SUCCESS) {
		goto done;
	}
	if (plan.num_conflicts > 0) {
		ret = report_conflicts(dir, r, "");
		*_result = talloc_move(mem_ctx, &r);
		goto done;
	}
	if (plan.num_add > 0 && req->dry_run) {
		for (i = 0; i < r->num_spns; i++) {
			enum spnpool_spn_state *st = &r->spns[i].state;

			if (*st == SPNPOOL_STATE_ADDED) {
				*st = SPNPOOL_STATE_WOULD_ADD;
			} else if (*st == SPNPOOL_STATE_MOVED) {
				*st = SPNPOOL_STATE_WOULD_MOVE;
			}
		}
		ret = foresee_access(dir, r);
	} else if (plan.num_add > 0) {
		ret = write_add(tmp_ctx, dir, r, &plan);
	}
	*_result = talloc_move(mem_ctx, &r);
done:
	talloc_free(tmp_ctx);
	return ret;
}

/* ---- remove ---- */

/*
 * Samba refuses to delete a value another account also holds (its
 * uniqueness check runs on DELETE elements too, 19), so a duplicate could
 * never be cleaned up.  It checks only the first servicePrincipalName
 * element of a modify: one modify of [ADD marker][DELETE marker + values]
 * has a unique first element and leaves exactly the values deleted.  Only
 * tried after that refusal and when another account really holds one of
 * the values; Windows deletes duplicates without this.
 */
static int delete_duplicates(TALLOC_CTX *mem_ctx, struct spnpool_dir *dir,
			     const struct spnpool_account *account,
			     const char **del, size_t num_del)
{
	char *server_msg = talloc_strdup(mem_ctx, ldb_errstring(dir->ldb));
	struct spnpool_holder *holders = NULL;
	size_t num_holders = 0;
	const char **values = NULL;
	const char *marker = NULL;
	bool duplicated = false;
	size_t i;
	int ret;

	ret = spnpool_dir_find_holders(mem_ctx, dir, del, num_del, false,
				       &holders, &num_holders);
	if (ret != LDB_SUCCESS) {
		return ret;
	}
	for (i = 0; i < num_holders; i++) {
		duplicated |=
			strcasecmp(holders[i].account, account->guid) != 0;
	}
	if (!duplicated) {
		if (server_msg != NULL) {
			ldb_set_errstring(dir->ldb, server_msg);
		}
		return LDB_ERR_CONSTRAINT_VIOLATION;
	}
	marker = talloc_asprintf(mem_ctx, "spnpool-cleanup/%s", account->guid);
	values = talloc_array(mem_ctx, const char *, num_del + 1);
	if (marker == NULL || values == NULL) {
		return ldb_oom(dir->ldb);
	}
	values[0] = marker;
	memcpy(values + 1, del, num_del * sizeof(*del));
	return spnpool_dir_modify(dir, account->dn, &marker, 1, values,
				  num_del + 1);
}

static int op_remove_once(TALLOC_CTX *mem_ctx, struct spnpool_dir *dir,
			  const struct spnpool_request *req,
			  struct spnpool_op_result **_result)
{
	TALLOC_CTX *tmp_ctx = talloc_new(mem_ctx);
	struct spnpool_account *account = NULL;
	struct spnpool_op_result *r = NULL;
	const char **del = NULL;
	size_t num_del = 0;
	char **spns = NULL;
	size_t num = 0;
	size_t i;
	size_t k;
	int ret;

	if (tmp_ctx == NULL) {
		return ldb_oom(dir->ldb);
	}
	ret = build_candidates(tmp_ctx, dir, req, CANDIDATES_REMOVE, &spns,
			       &num);
	if (ret != LDB_SUCCESS) {
		goto done;
	}
	ret = spnpool_dir_find_account(tmp_ctx, dir, req->identity, req->server,
				       &account);
	if (ret != LDB_SUCCESS) {
		goto done;
	}
	r = new_result(tmp_ctx, account, spns, num, req->dry_run);
	del = talloc_zero_array(tmp_ctx, const char *, account->num_spns + 1);
	if (r == NULL || del == NULL) {
		ret = ldb_oom(dir->ldb);
		goto done;
	}
	/* Delete the stored spelling, every case variant of it. */
	for (i = 0; i < r->num_spns; i++) {
		struct spnpool_spn_report *s = &r->spns[i];

		s->state = SPNPOOL_STATE_ABSENT;
		for (k = 0; k < account->num_spns; k++) {
			if (!spnpool_spn_equal(account->spns[k], s->spn)) {
				continue;
			}
			if (s->stored == NULL) {
				s->stored =
					dup_or_null(r->spns, account->spns[k]);
			}
			s->state = req->dry_run ? SPNPOOL_STATE_WOULD_REMOVE
						: SPNPOOL_STATE_REMOVED;
			del[num_del++] = account->spns[k];
		}
	}
	if (num_del > 0 && req->dry_run) {
		ret = foresee_access(dir, r);
	} else if (num_del > 0) {
		ret = spnpool_dir_modify(dir, account->dn, NULL, 0, del,
					 num_del);
		if (ret == LDB_ERR_CONSTRAINT_VIOLATION) {
			ret = delete_duplicates(tmp_ctx, dir, account, del,
						num_del);
		}
		if (ret != LDB_SUCCESS) {
			for (i = 0; i < r->num_spns; i++) {
				if (r->spns[i].state == SPNPOOL_STATE_REMOVED) {
					r->spns[i].state =
						SPNPOOL_STATE_NOT_WRITTEN;
				}
			}
			ret = write_failed(dir, ret, "removing SPNs from",
					   account->dn);
		} else {
			r->changed = true;
		}
	}
	*_result = talloc_move(mem_ctx, &r);
done:
	talloc_free(tmp_ctx);
	return ret;
}

/*
 * A concurrent writer doing the same thing makes our exact write fail
 * whole: an add finds the value already there (20), a delete or a move
 * finds it gone (16).  Nothing was written; deciding again from a fresh
 * read turns that into the no-op it is.
 */
static bool benign_race(int ret)
{
	return ret == LDB_ERR_ATTRIBUTE_OR_VALUE_EXISTS ||
	       ret == LDB_ERR_NO_SUCH_ATTRIBUTE;
}

typedef int (*op_fn)(TALLOC_CTX *mem_ctx, struct spnpool_dir *dir,
		     const struct spnpool_request *req,
		     struct spnpool_op_result **_result);

static int run_with_retry(op_fn fn, TALLOC_CTX *mem_ctx,
			  struct spnpool_dir *dir,
			  const struct spnpool_request *req,
			  struct spnpool_op_result **_result)
{
	struct spnpool_op_result *r = NULL;
	int ret = fn(mem_ctx, dir, req, &r);

	if (benign_race(ret)) {
		TALLOC_FREE(r);
		ret = fn(mem_ctx, dir, req, &r);
	}
	if (r != NULL) {
		*_result = r;
	}
	return ret;
}

int spnpool_op_add(TALLOC_CTX *mem_ctx, struct spnpool_dir *dir,
		   const struct spnpool_request *req,
		   struct spnpool_op_result **_result)
{
	return run_with_retry(op_add_once, mem_ctx, dir, req, _result);
}

int spnpool_op_remove(TALLOC_CTX *mem_ctx, struct spnpool_dir *dir,
		      const struct spnpool_request *req,
		      struct spnpool_op_result **_result)
{
	return run_with_retry(op_remove_once, mem_ctx, dir, req, _result);
}

/* ---- list ---- */

static int add_entry(struct spnpool_dir *dir, struct spnpool_list_result *r,
		     const char *spn, const char *dn, const char *sam,
		     enum spnpool_via via)
{
	struct spnpool_list_entry *e = NULL;
	size_t i;

	for (i = 0; i < r->num_entries; i++) {
		if (strcmp(r->entries[i].spn, spn) == 0 &&
		    spnpool_dir_dn_equal(dir, r->entries[i].dn, dn)) {
			return LDB_SUCCESS;
		}
	}
	e = SPNPOOL_APPEND(r, r->entries, r->num_entries);
	if (e == NULL) {
		return ldb_oom(dir->ldb);
	}
	e->spn = talloc_strdup(r->entries, spn);
	e->dn = talloc_strdup(r->entries, dn);
	e->sam_account_name = dup_or_null(r->entries, sam);
	e->via = via;
	if (e->spn == NULL || e->dn == NULL) {
		r->num_entries--;
		return ldb_oom(dir->ldb);
	}
	return LDB_SUCCESS;
}

static bool is_http(const char *spn)
{
	return strncasecmp(spn, "http/", 5) == 0;
}

static int list_account(TALLOC_CTX *mem_ctx, struct spnpool_dir *dir,
			const char *identity, const char *server,
			struct spnpool_list_result *r)
{
	size_t i;
	int ret;

	ret = spnpool_dir_find_account(mem_ctx, dir, identity, server,
				       &r->account);
	if (ret != LDB_SUCCESS) {
		return ret;
	}
	talloc_steal(r, r->account);
	for (i = 0; i < r->account->num_spns; i++) {
		const char *spn = r->account->spns[i];

		if (!is_http(spn)) {
			continue;
		}
		ret = add_entry(dir, r, spn, r->account->dn,
				r->account->sam_account_name,
				SPNPOOL_VIA_EXPLICIT);
		if (ret != LDB_SUCCESS) {
			return ret;
		}
	}
	return LDB_SUCCESS;
}

/* Holders of http/<form>[:port] for both forms, ports included. */
struct host_list_state {
	struct spnpool_dir *dir;
	struct spnpool_list_result *r;
	const char *forms[2];
};

/* "http/web01:8080" is about host web01; so is "host/WEB01". */
static bool spn_names_host(const char *spn, const char *cls, const char *host)
{
	size_t cls_len = strlen(cls);
	size_t host_len = strlen(host);
	const char *p = NULL;

	if (strncasecmp(spn, cls, cls_len) != 0 || spn[cls_len] != '/') {
		return false;
	}
	p = spn + cls_len + 1;
	if (strncasecmp(p, host, host_len) != 0) {
		return false;
	}
	p += host_len;
	return *p == '\0' || *p == ':' || *p == '/';
}

static int collect_host_entry(struct ldb_message *msg, void *private_data)
{
	struct host_list_state *st =
		talloc_get_type_abort(private_data, struct host_list_state);
	struct ldb_message_element *el =
		ldb_msg_find_element(msg, "servicePrincipalName");
	const char *sam =
		ldb_msg_find_attr_as_string(msg, "sAMAccountName", NULL);
	const char *dn = ldb_dn_get_linearized(msg->dn);
	unsigned i;
	size_t f;
	int ret;

	for (i = 0; el != NULL && i < el->num_values; i++) {
		char *v = talloc_strndup(msg, (const char *)el->values[i].data,
					 el->values[i].length);

		if (v == NULL) {
			return ldb_oom(st->dir->ldb);
		}
		for (f = 0; f < 2; f++) {
			enum spnpool_via via;

			if (st->forms[f] == NULL) {
				continue;
			} else if (spn_names_host(v, "http", st->forms[f])) {
				via = SPNPOOL_VIA_EXPLICIT;
			} else if (spn_names_host(v, "host", st->forms[f])) {
				via = SPNPOOL_VIA_HOST_ALIAS;
			} else {
				continue;
			}
			ret = add_entry(st->dir, st->r, v, dn, sam, via);
			if (ret != LDB_SUCCESS) {
				return ret;
			}
		}
	}
	return LDB_SUCCESS;
}

static int list_host(TALLOC_CTX *mem_ctx, struct spnpool_dir *dir,
		     const char *host, struct spnpool_list_result *r)
{
	static const char *const attrs[] = {"servicePrincipalName",
					    "sAMAccountName", NULL};
	struct host_list_state *st = NULL;
	struct spnpool_kdc_match *computers = NULL;
	size_t num_computers = 0;
	char *label = NULL;
	char *netbios = NULL;
	char *fqdn = NULL;
	char *filter = NULL;
	enum spnpool_status status;
	size_t i;
	size_t f;
	int ret;

	status = spnpool_host_forms(mem_ctx, host, dir->dns_domain, &netbios,
				    &fqdn);
	if (status != SPNPOOL_OK) {
		ldb_asprintf_errstring(dir->ldb, "invalid host '%s': %s", host,
				       spnpool_status_string(status));
		return LDB_ERR_INVALID_ATTRIBUTE_SYNTAX;
	}
	st = talloc_zero(mem_ctx, struct host_list_state);
	if (st == NULL) {
		return ldb_oom(dir->ldb);
	}
	st->dir = dir;
	st->r = r;
	st->forms[0] = netbios;
	st->forms[1] = fqdn;
	filter = talloc_strdup(mem_ctx, "(|");
	for (f = 0; f < 2 && filter != NULL; f++) {
		const char *enc = NULL;

		if (st->forms[f] == NULL) {
			continue;
		}
		enc = ldb_binary_encode_string(mem_ctx, st->forms[f]);

		filter = talloc_asprintf_append_buffer(
			filter,
			"(servicePrincipalName=http/%s)"
			"(servicePrincipalName=http/%s:*)"
			"(servicePrincipalName=http/%s/*)"
			"(servicePrincipalName=host/%s)"
			"(servicePrincipalName=host/%s:*)"
			"(servicePrincipalName=host/%s/*)",
			enc, enc, enc, enc, enc, enc);
	}
	if (filter != NULL) {
		filter = talloc_asprintf_append_buffer(filter, ")");
	}
	if (filter == NULL) {
		return ldb_oom(dir->ldb);
	}
	ret = spnpool_dir_search_every_nc(dir, filter, attrs, NULL,
					  collect_host_entry, st);
	if (ret != LDB_SUCCESS) {
		return ret;
	}

	/* Samba's KDC's last resort for http/<name>: the computers whose
	 * cn is the first label (not the sAMAccountName). */
	label = talloc_strndup(mem_ctx, fqdn, strcspn(fqdn, "."));
	if (label == NULL) {
		return ldb_oom(dir->ldb);
	}
	ret = spnpool_dir_find_kdc_fallback(mem_ctx, dir, NULL, label,
					    &computers, &num_computers);
	for (i = 0; ret == LDB_SUCCESS && i < num_computers; i++) {
		char *spn = talloc_asprintf(mem_ctx, "http/%s",
					    netbios != NULL ? netbios : label);

		if (spn == NULL) {
			return ldb_oom(dir->ldb);
		}
		ret = add_entry(dir, r, spn, computers[i].dn,
				computers[i].sam_account_name,
				SPNPOOL_VIA_COMPUTER_NAME);
	}
	return ret;
}

int spnpool_op_list(TALLOC_CTX *mem_ctx, struct spnpool_dir *dir,
		    const char *identity, const char *server, const char *host,
		    struct spnpool_list_result **_result)
{
	TALLOC_CTX *tmp_ctx = NULL;
	struct spnpool_list_result *r = NULL;
	int ret;

	if ((identity == NULL) == (host == NULL)) {
		ldb_set_errstring(dir->ldb,
				  "list needs either an identity or --host");
		return LDB_ERR_INVALID_ATTRIBUTE_SYNTAX;
	}
	tmp_ctx = talloc_new(mem_ctx);
	r = talloc_zero(tmp_ctx, struct spnpool_list_result);
	if (tmp_ctx == NULL || r == NULL) {
		talloc_free(tmp_ctx);
		return ldb_oom(dir->ldb);
	}
	r->entries = talloc_array(r, struct spnpool_list_entry, 0);
	if (identity != NULL) {
		ret = list_account(tmp_ctx, dir, identity, server, r);
	} else {
		ret = list_host(tmp_ctx, dir, host, r);
	}
	if (ret != LDB_SUCCESS) {
		talloc_free(tmp_ctx);
		return ret;
	}
	*_result = talloc_move(mem_ctx, &r);
	talloc_free(tmp_ctx);
	return LDB_SUCCESS;
}
