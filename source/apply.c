/*
 * libspnpool: apply and undo.  Runs a list of exact-value changes: on a
 * local sam.ldb inside one transaction; over LDAP as an ordered sequence
 * of single modifies, each checked first, stopping at the first surprise
 * and reversing what it did.  Every change is journalled before it is
 * made; undo reads the journal back and reverses the changes that took
 * effect, after proving nobody touched those SPNs since.
 */

#include <errno.h>
#include <string.h>
#include <strings.h>

#include <ldb.h>
#include <ldb_module.h>

#include "spnpool_private.h"

static const char *const change_state_names[] = {
	[SPNPOOL_CHANGE_DONE] = "done",
	[SPNPOOL_CHANGE_ALREADY] = "already",
	[SPNPOOL_CHANGE_PLANNED] = "planned",
	[SPNPOOL_CHANGE_NOT_DONE] = "not-done",
	[SPNPOOL_CHANGE_FAILED] = "failed",
};

const char *spnpool_change_state_name(enum spnpool_change_state state)
{
	if ((unsigned)state >=
	    sizeof(change_state_names) / sizeof(change_state_names[0])) {
		return "unknown";
	}
	return change_state_names[state];
}

struct exec {
	TALLOC_CTX *tmp;
	/* what one change's look-ups allocate, freed before the next, so
	 * that memory stays flat in the number of changes; NULL: tmp */
	TALLOC_CTX *scratch;
	struct spnpool_dir *dir;
	struct spnpool_journal *journal; /* NULL: nothing to journal */
	bool undo;			 /* records are undo-done */
	size_t *journal_index;		 /* per change */
	bool *made; /* per change: its modify went through */
	struct spnpool_apply_result *r;
	char *leftover; /* what reversing failed to restore */
	/* dry run: deletes planned so far, which later adds may rely on */
	const struct spnpool_change **planned_deletes;
	size_t num_planned_deletes;
};

static bool planned_delete(const struct exec *x, const char *dn,
			   const char *spn)
{
	size_t i;

	for (i = 0; i < x->num_planned_deletes; i++) {
		if (spnpool_dir_dn_equal(x->dir, x->planned_deletes[i]->dn,
					 dn) &&
		    spnpool_spn_equal(x->planned_deletes[i]->spn, spn)) {
			return true;
		}
	}
	return false;
}

/* The account at dn and the stored spelling of spn on it (or NULL). */
static int lookup(struct exec *x, const char *dn, const char *spn,
		  struct spnpool_account **_a, const char **_stored)
{
	struct spnpool_account *a = NULL;
	size_t i;
	int ret;

	ret = spnpool_dir_find_account(x->scratch != NULL ? x->scratch : x->tmp,
				       x->dir, dn, NULL, &a);
	if (ret != LDB_SUCCESS) {
		return ret;
	}
	*_stored = NULL;
	for (i = 0; i < a->num_spns; i++) {
		if (spnpool_spn_equal(a->spns[i], spn)) {
			*_stored = a->spns[i];
			break;
		}
	}
	*_a = a;
	return LDB_SUCCESS;
}

/* Another account holding spn, or NULL. */
static int other_holder(struct exec *x, const struct spnpool_account *a,
			const char *spn, const char **_dn)
{
	struct spnpool_holder *h = NULL;
	size_t n = 0;
	size_t i;
	int ret;

	*_dn = NULL;
	ret = spnpool_dir_find_holders(x->scratch != NULL ? x->scratch : x->tmp,
				       x->dir, &spn, 1, false, &h, &n);
	for (i = 0; i < n && ret == LDB_SUCCESS; i++) {
		if (strcasecmp(h[i].account, a->guid) != 0 &&
		    !planned_delete(x, h[i].dn, h[i].value)) {
			*_dn = h[i].dn;
			break;
		}
	}
	return ret;
}

static int modify_one(struct spnpool_dir *dir,
		      enum spnpool_change_action action, const char *dn,
		      const char *value)
{
	return (action == SPNPOOL_CHANGE_ADD)
		       ? spnpool_dir_modify(dir, dn, &value, 1, NULL, 0)
		       : spnpool_dir_modify(dir, dn, NULL, 0, &value, 1);
}

static int append_ldif(struct exec *x, const struct spnpool_change *c)
{
	struct ldb_message *msg = ldb_msg_new(x->tmp);
	struct ldb_message_element *el = NULL;
	char *ldif = NULL;

	if (msg == NULL) {
		return ldb_oom(x->dir->ldb);
	}
	msg->dn = ldb_dn_new(msg, x->dir->ldb, c->dn);
	if (msg->dn == NULL ||
	    ldb_msg_add_empty(msg, "servicePrincipalName",
			      c->action == SPNPOOL_CHANGE_ADD
				      ? LDB_FLAG_MOD_ADD
				      : LDB_FLAG_MOD_DELETE,
			      &el) != LDB_SUCCESS ||
	    ldb_msg_add_string(msg, "servicePrincipalName", c->spn) !=
		    LDB_SUCCESS) {
		return ldb_oom(x->dir->ldb);
	}
	ldif = ldb_ldif_message_string(x->dir->ldb, x->tmp,
				       LDB_CHANGETYPE_MODIFY, msg);
	x->r->ldif = talloc_asprintf_append(x->r->ldif, "%s", ldif);
	return (ldif == NULL || x->r->ldif == NULL) ? ldb_oom(x->dir->ldb)
						    : LDB_SUCCESS;
}

/*
 * The boundary between the journal's statuses and this layer's LDB code
 * and errstring: what was being done (doing: "writing the journal
 * failed", "cannot create the journal X") and why.
 */
static int journal_failed(struct ldb_context *ldb, enum spnpool_status st,
			  int os_error, const char *doing)
{
	if (st == SPNPOOL_ERR_NO_MEMORY) {
		return ldb_oom(ldb);
	}
	ldb_asprintf_errstring(ldb, "%s: %s", doing,
			       (st == SPNPOOL_ERR_JOURNAL_IO && os_error != 0)
				       ? strerror(os_error)
				       : spnpool_status_string(st));
	return LDB_ERR_OPERATIONS_ERROR;
}

/* A journal that cannot be read or is malformed: "cannot read X: why",
 * "X line N: rule" or "X is <rule>". */
static int journal_unreadable(struct ldb_context *ldb, const char *path,
			      enum spnpool_status st,
			      const struct spnpool_journal_fault *fault)
{
	if (st == SPNPOOL_ERR_NO_MEMORY) {
		return ldb_oom(ldb);
	}
	if (st == SPNPOOL_ERR_JOURNAL_IO) {
		ldb_asprintf_errstring(ldb, "cannot read %s: %s", path,
				       strerror(fault->os_error));
	} else if (fault->line != 0) {
		ldb_asprintf_errstring(ldb, "%s line %zu: %s", path,
				       fault->line, spnpool_status_string(st));
	} else {
		ldb_asprintf_errstring(ldb, "%s is %s", path,
				       spnpool_status_string(st));
	}
	return LDB_ERR_INVALID_ATTRIBUTE_SYNTAX;
}

static int journal(struct exec *x, const char *what, size_t i)
{
	enum spnpool_status st;

	if (x->journal == NULL) {
		return LDB_SUCCESS;
	}
	st = spnpool_journal_write(x->journal, "%s%s\t%zu",
				   x->undo ? "undo-" : "", what,
				   x->journal_index[i]);
	if (st != SPNPOOL_OK) {
		return journal_failed(x->dir->ldb, st,
				      spnpool_journal_os_error(x->journal),
				      "writing the journal failed");
	}
	return LDB_SUCCESS;
}

/* A fresh scratch context for the next change's look-ups. */
static int next_scratch(struct exec *x)
{
	TALLOC_FREE(x->scratch);
	x->scratch = talloc_new(x->tmp);
	return (x->scratch == NULL) ? ldb_oom(x->dir->ldb) : LDB_SUCCESS;
}

/* Check one change against the directory; ALREADY, or go ahead with the
 * exact value to write in c->spn. */
static int precheck(struct exec *x, struct spnpool_change *c,
		    enum spnpool_change_state *state)
{
	struct spnpool_account *a = NULL;
	const char *stored = NULL;
	const char *other = NULL;
	int ret;

	ret = lookup(x, c->dn, c->spn, &a, &stored);
	if (ret != LDB_SUCCESS) {
		return ret;
	}
	if (c->action == SPNPOOL_CHANGE_DELETE) {
		if (stored == NULL) {
			*state = SPNPOOL_CHANGE_ALREADY;
		} else {
			c->spn = talloc_strdup(x->r->changes, stored);
		}
		return (c->spn == NULL) ? ldb_oom(x->dir->ldb) : LDB_SUCCESS;
	}
	if (stored != NULL) {
		*state = SPNPOOL_CHANGE_ALREADY;
		return LDB_SUCCESS;
	}
	ret = other_holder(x, a, c->spn, &other);
	if (ret == LDB_SUCCESS && other != NULL) {
		ldb_asprintf_errstring(x->dir->ldb,
				       "%s is held by %s, which the plan did "
				       "not expect: stopped",
				       c->spn, other);
		ret = LDB_ERR_CONSTRAINT_VIOLATION;
	}
	return ret;
}

/* After an add: did another account gain the value meanwhile? */
static int postcheck(struct exec *x, const struct spnpool_change *c)
{
	struct spnpool_account *a = NULL;
	const char *stored = NULL;
	const char *other = NULL;
	int ret = lookup(x, c->dn, c->spn, &a, &stored);

	if (ret != LDB_SUCCESS) {
		return ret;
	}
	ret = other_holder(x, a, c->spn, &other);
	if (ret != LDB_SUCCESS) {
		return ret;
	}
	if (other != NULL) {
		ldb_asprintf_errstring(x->dir->ldb,
				       "another writer registered %s on %s "
				       "during the apply: stopped",
				       c->spn, other);
		return LDB_ERR_CONSTRAINT_VIOLATION;
	}
	return LDB_SUCCESS;
}

/* Over LDAP: take back, in reverse order, what this run did. */
static void reverse_done(struct exec *x)
{
	size_t i = x->r->num_changes;

	while (i-- > 0) {
		const struct spnpool_change *c = &x->r->changes[i];
		int ret;

		if (!x->made[i]) {
			continue; /* never written: nothing to take back */
		}
		ret = modify_one(x->dir,
				 c->action == SPNPOOL_CHANGE_ADD
					 ? SPNPOOL_CHANGE_DELETE
					 : SPNPOOL_CHANGE_ADD,
				 c->dn, c->spn);
		if (ret == LDB_SUCCESS) {
			x->made[i] = false;
			if (x->r->states[i] == SPNPOOL_CHANGE_DONE) {
				x->r->states[i] = SPNPOOL_CHANGE_NOT_DONE;
			}
			/* undo-reversed clears an undo-done already written */
			journal(x, "reversed", i);
			continue;
		}
		x->leftover = talloc_asprintf_append(
			x->leftover, "%s%s %s on %s (%s)",
			x->leftover[0] != '\0' ? "; " : "",
			c->action == SPNPOOL_CHANGE_ADD ? "still" : "missing",
			c->spn, c->dn, ldb_strerror(ret));
	}
}

/*
 * A dry run foresees the DC's refusal of the change, as add's does
 * (docs/design.md, "Dry runs foresee access refusals"): the account it
 * changes and, for an add on a Samba DC, every other holder of a HOST/
 * alias the value shadows must let the acting user write
 * servicePrincipalName.
 */
static int foresee_access(struct exec *x, const struct spnpool_change *c)
{
	struct spnpool_apply_result *r = x->r;
	struct spnpool_holder *h = NULL;
	size_t n = 0;
	size_t i;
	int ret;

	if (c->action == SPNPOOL_CHANGE_ADD) {
		const char *spn = c->spn;

		ret = spnpool_dir_find_holders(x->scratch, x->dir, &spn, 1,
					       true, &h, &n);
		if (ret != LDB_SUCCESS) {
			return ret;
		}
	}
	for (i = 0; i <= n; i++) {
		const char *dn = (i == 0) ? c->dn : h[i - 1].dn;
		enum spnpool_access a;

		if (i > 0 && (spnpool_dir_dn_equal(x->dir, dn, c->dn) ||
			      spnpool_spn_equal(h[i - 1].value, c->spn))) {
			continue; /* ours, or a duplicate precheck refuses */
		}
		ret = spnpool_dir_spn_access(x->scratch, x->dir, dn, &a);
		if (ret != LDB_SUCCESS) {
			return ret;
		}
		if (a == SPNPOOL_ACCESS_VALIDATED_WRITE && i > 0) {
			a = SPNPOOL_ACCESS_DENIED; /* as in ops.c */
		}
		ret = spnpool_access_keep_worst(r, x->dir->ldb, a, dn, i > 0,
						&r->access, &r->access_dn,
						&r->access_holder);
		if (ret != LDB_SUCCESS) {
			return ret;
		}
		if (a == SPNPOOL_ACCESS_DENIED) {
			ldb_asprintf_errstring(
				x->dir->ldb,
				"insufficient access: %s %s %s needs write "
				"access to servicePrincipalName on %s%s, which "
				"the DC's allowedAttributesEffective for it "
				"does not grant, so the real apply would be "
				"refused; nothing was written (dry run)",
				c->action == SPNPOOL_CHANGE_ADD ? "adding"
								: "deleting",
				c->spn,
				c->action == SPNPOOL_CHANGE_ADD ? "to" : "from",
				dn,
				i > 0 ? talloc_asprintf(x->scratch,
							" (it holds %s, which "
							"the new value "
							"shadows)",
							h[i - 1].value)
				      : "");
			return LDB_ERR_INSUFFICIENT_ACCESS_RIGHTS;
		}
	}
	return LDB_SUCCESS;
}

static int execute(struct exec *x, bool dry_run)
{
	struct spnpool_apply_result *r = x->r;
	size_t i;
	int ret = LDB_SUCCESS;

	if (!dry_run) {
		ret = spnpool_dir_transaction_start(x->dir);
		if (ret != LDB_SUCCESS) {
			return ret;
		}
	}
	for (i = 0; i < r->num_changes && ret == LDB_SUCCESS; i++) {
		struct spnpool_change *c = &r->changes[i];

		r->states[i] = SPNPOOL_CHANGE_NOT_DONE;
		ret = next_scratch(x);
		if (ret != LDB_SUCCESS) {
			break;
		}
		ret = precheck(x, c, &r->states[i]);
		if (ret != LDB_SUCCESS) {
			r->states[i] = SPNPOOL_CHANGE_FAILED;
			break;
		}
		if (r->states[i] == SPNPOOL_CHANGE_ALREADY) {
			continue;
		}
		if (dry_run) {
			r->states[i] = SPNPOOL_CHANGE_PLANNED;
			if (r->access == SPNPOOL_ACCESS_NOT_CHECKED) {
				r->access = SPNPOOL_ACCESS_ALLOWED;
			}
			ret = foresee_access(x, c);
			if (ret != LDB_SUCCESS) {
				break;
			}
			ret = append_ldif(x, c);
			if (ret == LDB_SUCCESS &&
			    c->action == SPNPOOL_CHANGE_DELETE) {
				const struct spnpool_change **slot =
					SPNPOOL_APPEND(x->tmp,
						       x->planned_deletes,
						       x->num_planned_deletes);

				if (slot == NULL) {
					ret = ldb_oom(x->dir->ldb);
					break;
				}
				*slot = c;
			}
			continue;
		}
		if (!x->undo && x->journal != NULL) {
			enum spnpool_status st = spnpool_journal_intent(
				x->journal, x->journal_index[i], c);

			if (st != SPNPOOL_OK) {
				ret = journal_failed(
					x->dir->ldb, st,
					spnpool_journal_os_error(x->journal),
					"writing the journal failed");
				break;
			}
		} else if (x->undo) {
			/* so that a killed undo can be finished by the next */
			ret = journal(x, "intent", i);
			if (ret != LDB_SUCCESS) {
				break;
			}
		}
		ret = modify_one(x->dir, c->action, c->dn, c->spn);
		x->made[i] = (ret == LDB_SUCCESS);
		if (ret == LDB_SUCCESS && c->action == SPNPOOL_CHANGE_ADD) {
			r->states[i] = SPNPOOL_CHANGE_FAILED;
			ret = postcheck(x, c);
		}
		if (ret != LDB_SUCCESS) {
			r->states[i] = SPNPOOL_CHANGE_FAILED;
			break;
		}
		r->states[i] = SPNPOOL_CHANGE_DONE;
		if (!x->dir->local) {
			ret = journal(x, "done", i);
		}
	}
	TALLOC_FREE(x->scratch);
	if (dry_run) {
		return ret;
	}
	if (ret != LDB_SUCCESS) {
		char *msg = talloc_strdup(x->tmp, ldb_errstring(x->dir->ldb));

		if (x->dir->local) {
			spnpool_dir_transaction_cancel(x->dir);
			for (i = 0; i < r->num_changes; i++) {
				if (r->states[i] == SPNPOOL_CHANGE_DONE) {
					r->states[i] = SPNPOOL_CHANGE_NOT_DONE;
				}
			}
		} else {
			reverse_done(x);
		}
		if (x->journal != NULL) {
			spnpool_journal_write(x->journal, "%send\taborted",
					      x->undo ? "undo-" : "");
		}
		if (x->leftover[0] != '\0') {
			ldb_asprintf_errstring(
				x->dir->ldb,
				"%s; REVERSING FAILED, repair by "
				"hand: %s",
				msg, x->leftover);
			return LDB_ERR_OPERATIONS_ERROR;
		}
		ldb_asprintf_errstring(x->dir->ldb,
				       "%s; nothing of this run remains", msg);
		return ret;
	}
	ret = spnpool_dir_transaction_commit(x->dir);
	if (ret != LDB_SUCCESS) {
		return ret;
	}
	for (i = 0; i < r->num_changes; i++) {
		if (r->states[i] == SPNPOOL_CHANGE_DONE) {
			r->changed = true;
			if (x->dir->local) {
				journal(x, "done", i);
			}
		}
	}
	if (x->journal != NULL) {
		spnpool_journal_write(x->journal, "%send\tok",
				      x->undo ? "undo-" : "");
	}
	return LDB_SUCCESS;
}

static int new_exec(TALLOC_CTX *mem_ctx, struct spnpool_dir *dir, size_t num,
		    struct exec *x)
{
	size_t i;

	memset(x, 0, sizeof(*x));
	x->dir = dir;
	x->tmp = talloc_new(mem_ctx);
	if (x->tmp == NULL) {
		return ldb_oom(dir->ldb);
	}
	x->leftover = talloc_strdup(x->tmp, "");
	x->journal_index = talloc_zero_array(x->tmp, size_t, num + 1);
	x->made = talloc_zero_array(x->tmp, bool, num + 1);
	x->r = talloc_zero(x->tmp, struct spnpool_apply_result);
	if (x->leftover == NULL || x->journal_index == NULL ||
	    x->made == NULL || x->r == NULL) {
		return ldb_oom(dir->ldb);
	}
	x->r->changes = talloc_zero_array(x->r, struct spnpool_change, num + 1);
	x->r->states =
		talloc_zero_array(x->r, enum spnpool_change_state, num + 1);
	x->r->ldif = talloc_strdup(x->r, "");
	x->r->num_changes = num;
	if (x->r->changes == NULL || x->r->states == NULL ||
	    x->r->ldif == NULL) {
		return ldb_oom(dir->ldb);
	}
	for (i = 0; i <= num; i++) {
		x->r->states[i] = SPNPOOL_CHANGE_NOT_DONE; /* not reached */
	}
	return LDB_SUCCESS;
}

static int copy_change(struct exec *x, size_t i, const struct spnpool_change *c,
		       enum spnpool_change_action action)
{
	struct spnpool_change *d = &x->r->changes[i];

	d->action = action;
	d->dn = talloc_strdup(x->r->changes, c->dn);
	d->spn = talloc_strdup(x->r->changes, c->spn);
	d->sam_account_name =
		(c->sam_account_name != NULL)
			? talloc_strdup(x->r->changes, c->sam_account_name)
			: NULL;
	d->reason = (c->reason != NULL)
			    ? talloc_strdup(x->r->changes, c->reason)
			    : NULL;
	return (d->dn == NULL || d->spn == NULL) ? ldb_oom(x->dir->ldb)
						 : LDB_SUCCESS;
}

/* ---- what a plan may touch ---- */

struct scope_name {
	char *netbios; /* NULL when the first label is too long */
	char *fqdn;
	char **guids; /* the accounts its identities resolve to */
	size_t num_guids;
	bool resolved;
};

static struct scope_name *covering(struct scope_name *names, size_t num,
				   const char *host)
{
	size_t i;

	for (i = 0; i < num; i++) {
		if (strcasecmp(names[i].fqdn, host) == 0 ||
		    (names[i].netbios != NULL &&
		     strcasecmp(names[i].netbios, host) == 0)) {
			return &names[i];
		}
	}
	return NULL;
}

static int resolve_name(TALLOC_CTX *ctx, struct spnpool_dir *dir,
			const struct spnpool_scope_name *in,
			struct scope_name *n)
{
	size_t k;

	n->resolved = true;
	n->guids = talloc_zero_array(ctx, char *, in->num_identities + 1);
	if (n->guids == NULL) {
		return ldb_oom(dir->ldb);
	}
	for (k = 0; k < in->num_identities; k++) {
		TALLOC_CTX *one = talloc_new(ctx);
		struct spnpool_account *a = NULL;
		int ret;

		if (one == NULL) {
			return ldb_oom(dir->ldb);
		}
		ret = spnpool_dir_find_account(
			one, dir, in->identities[k],
			in->servers != NULL ? in->servers[k] : NULL, &a);
		if (ret == LDB_SUCCESS) {
			n->guids[n->num_guids] =
				talloc_steal(n->guids, a->guid);
			n->num_guids++;
		}
		talloc_free(one);
		if (ret == LDB_ERR_NO_SUCH_OBJECT ||
		    ret == LDB_ERR_OBJECT_CLASS_VIOLATION) {
			continue; /* gone since the plan: no target then */
		}
		if (ret != LDB_SUCCESS) {
			return ret;
		}
	}
	return LDB_SUCCESS;
}

static int refuse_change(struct spnpool_dir *dir, size_t i,
			 const struct spnpool_change *c, const char *rule)
{
	ldb_asprintf_errstring(
		dir->ldb,
		"change %zu (%s %s on %s) is refused: %s; "
		"nothing was written",
		i + 1, c->action == SPNPOOL_CHANGE_ADD ? "add" : "delete",
		c->spn, c->dn, rule);
	return LDB_ERR_INVALID_ATTRIBUTE_SYNTAX;
}

/*
 * An add of the plan goes to an account (the target resolves), one of
 * the accounts the name's identities resolve to, and not a privileged
 * one unless allowed.
 */
static int check_add_target(TALLOC_CTX *one, struct spnpool_dir *dir,
			    const struct spnpool_apply_scope *scope,
			    struct scope_name *names, struct scope_name *n,
			    size_t i, const struct spnpool_change *c)
{
	struct spnpool_account *a = NULL;
	char *rule = NULL;
	char *msg = NULL;
	size_t k;
	int ret;

	ret = LDB_SUCCESS;
	if (!n->resolved) {
		ret = resolve_name(names, dir,
				   &scope->names[(size_t)(n - names)], n);
	}
	/* a name whose identities cannot be resolved has no account to
	 * receive the add either */
	if (ret == LDB_SUCCESS) {
		ret = spnpool_dir_find_account(one, dir, c->dn, NULL, &a);
	}
	if (ret == LDB_ERR_NO_SUCH_OBJECT ||
	    ret == LDB_ERR_OBJECT_CLASS_VIOLATION ||
	    ret == LDB_ERR_INVALID_ATTRIBUTE_SYNTAX) {
		return refuse_change(dir, i, c, "the target is not an account");
	}
	if (ret != LDB_SUCCESS) {
		return ret;
	}
	for (k = 0; k < n->num_guids; k++) {
		if (strcasecmp(n->guids[k], a->guid) == 0) {
			break;
		}
	}
	if (k == n->num_guids) {
		rule = talloc_asprintf(one,
				       "the target is not the account of any "
				       "pool serving %s",
				       n->fqdn);
		return refuse_change(dir, i, c, rule != NULL ? rule : "");
	}
	ret = spnpool_refuse_privileged(dir, a, scope->allow_privileged);
	if (ret != SPNPOOL_ERR_PRIVILEGED) {
		return ret;
	}
	msg = talloc_strdup(one, ldb_errstring(dir->ldb));
	ldb_asprintf_errstring(dir->ldb, "change %zu: %s", i + 1,
			       msg != NULL ? msg : "");
	return ret;
}

/*
 * Every change within scope, before anything is written: the same rules
 * as add and remove (valid http/ SPNs of the plan's names), adds only on
 * the accounts the name's identities resolve to, never on a privileged
 * account unless allowed.
 */
static int check_scope(TALLOC_CTX *mem_ctx, struct spnpool_dir *dir,
		       const struct spnpool_apply_scope *scope,
		       const struct spnpool_change *changes, size_t num)
{
	TALLOC_CTX *tmp = talloc_new(mem_ctx);
	struct scope_name *names = NULL;
	size_t num_names = (scope != NULL) ? scope->num_names : 0;
	size_t i;
	int ret = LDB_SUCCESS;

	if (tmp == NULL) {
		return ldb_oom(dir->ldb);
	}
	names = talloc_zero_array(tmp, struct scope_name, num_names + 1);
	if (names == NULL) {
		ret = ldb_oom(dir->ldb);
		goto done;
	}
	for (i = 0; i < num_names; i++) {
		const char *fqdn = scope->names[i].fqdn;
		enum spnpool_status st = spnpool_host_forms(
			names, fqdn != NULL ? fqdn : "", dir->dns_domain,
			&names[i].netbios, &names[i].fqdn);

		if (st != SPNPOOL_OK) {
			ldb_asprintf_errstring(dir->ldb,
					       "the plan's name '%s' is "
					       "invalid: %s",
					       fqdn != NULL ? fqdn : "",
					       spnpool_status_string(st));
			ret = LDB_ERR_INVALID_ATTRIBUTE_SYNTAX;
			goto done;
		}
	}
	for (i = 0; i < num && ret == LDB_SUCCESS; i++) {
		const struct spnpool_change *c = &changes[i];
		TALLOC_CTX *one = talloc_new(tmp);
		struct spnpool_spn *sp = NULL;
		struct scope_name *n = NULL;
		enum spnpool_status st;

		if (one == NULL) {
			ret = ldb_oom(dir->ldb);
			break;
		}
		st = spnpool_spn_parse(one, c->spn, &sp);
		if (st != SPNPOOL_OK) {
			ret = refuse_change(dir, i, c,
					    spnpool_status_string(st));
		} else if (spnpool_ascii_casecmp(sp->service_class, "http") !=
			   0) {
			ret = refuse_change(dir, i, c,
					    "a plan only changes http/ SPNs");
		} else if (sp->port != 0 || sp->service_name != NULL) {
			ret = refuse_change(dir, i, c,
					    "a plan never changes port or "
					    "service-name forms");
		} else if ((n = covering(names, num_names, sp->host)) == NULL) {
			ret = refuse_change(dir, i, c,
					    "its host is not one of the "
					    "plan's names");
		} else if (c->action == SPNPOOL_CHANGE_ADD) {
			ret = check_add_target(one, dir, scope, names, n, i, c);
		}
		talloc_free(one);
	}
done:
	talloc_free(tmp);
	return ret;
}

int spnpool_op_apply(TALLOC_CTX *mem_ctx, struct spnpool_dir *dir,
		     const struct spnpool_apply_scope *scope,
		     const struct spnpool_change *changes, size_t num_changes,
		     const char *journal_path, bool dry_run,
		     struct spnpool_apply_result **_result)
{
	struct exec x;
	size_t i;
	int ret;

	ret = new_exec(mem_ctx, dir, num_changes, &x);
	if (ret != LDB_SUCCESS) {
		goto done;
	}
	ret = check_scope(x.tmp, dir, scope, changes, num_changes);
	if (ret != LDB_SUCCESS) {
		goto done;
	}
	for (i = 0; i < num_changes; i++) {
		x.journal_index[i] = i;
		ret = copy_change(&x, i, &changes[i], changes[i].action);
		if (ret != LDB_SUCCESS) {
			goto done;
		}
	}
	if (!dry_run) {
		struct spnpool_journal_fault fault;
		enum spnpool_status st;
		char *doing = NULL;

		if (journal_path == NULL) {
			ldb_set_errstring(dir->ldb, "apply needs a journal "
						    "file");
			ret = LDB_ERR_INVALID_ATTRIBUTE_SYNTAX;
			goto done;
		}
		st = spnpool_journal_open(x.tmp, journal_path, true, NULL,
					  &x.journal, &fault);
		if (st == SPNPOOL_OK) {
			st = spnpool_journal_write(
				x.journal,
				"spnpool-journal\t" SPNPOOL_JOURNAL_VERSION);
		}
		if (st == SPNPOOL_OK) {
			st = spnpool_journal_write(
				x.journal, "begin\t%s\t%zu",
				dir->local ? "local" : "ldap", num_changes);
		}
		/* one sentence for the three steps of creating it */
		if (st != SPNPOOL_OK) {
			doing = talloc_asprintf(x.tmp,
						"cannot create the journal %s",
						journal_path);
			ret = journal_failed(
				dir->ldb, st,
				x.journal != NULL
					? spnpool_journal_os_error(x.journal)
					: fault.os_error,
				doing != NULL ? doing
					      : "cannot create the journal");
			goto done;
		}
	}
	ret = execute(&x, dry_run);
	/* the states matter most when the run failed */
	*_result = talloc_move(mem_ctx, &x.r);
done:
	talloc_free(x.tmp);
	return ret;
}

/*
 * Which journalled changes are in effect: done and not taken back; after
 * a crash (no end record) an intent without done counts when the
 * directory shows it.
 */
static int in_effect(struct exec *x, const struct spnpool_journal_state *st,
		     const struct spnpool_journal_entry *e, bool *_yes)
{
	struct spnpool_account *a = NULL;
	const char *stored = NULL;
	int ret;

	*_yes = false;
	if (e->reversed || e->undone) {
		return LDB_SUCCESS;
	}
	if (e->done) {
		*_yes = true;
		return LDB_SUCCESS;
	}
	if (st->ended) {
		return LDB_SUCCESS;
	}
	ret = lookup(x, e->change.dn, e->change.spn, &a, &stored);
	if (ret == LDB_ERR_NO_SUCH_OBJECT) {
		return LDB_SUCCESS;
	}
	if (ret != LDB_SUCCESS) {
		return ret;
	}
	*_yes = (e->change.action == SPNPOOL_CHANGE_ADD) == (stored != NULL);
	return LDB_SUCCESS;
}

/*
 * The reversal of one change is still possible and safe?  A reversal an
 * earlier undo announced (undo-intent) and that is in effect already was
 * made by that undo, which was killed before it could record it: not a
 * surprise, just done.
 */
static int undo_check(struct exec *x, const struct spnpool_change *rev,
		      bool intended, char **why)
{
	struct spnpool_account *a = NULL;
	const char *stored = NULL;
	const char *other = NULL;
	int ret = lookup(x, rev->dn, rev->spn, &a, &stored);

	if (ret == LDB_ERR_NO_SUCH_OBJECT) {
		*why = talloc_asprintf_append(*why, "%s%s no longer exists",
					      **why != '\0' ? "; " : "",
					      rev->dn);
		return LDB_SUCCESS;
	}
	if (ret != LDB_SUCCESS) {
		return ret;
	}
	if (intended &&
	    (rev->action == SPNPOOL_CHANGE_DELETE) == (stored == NULL)) {
		return LDB_SUCCESS;
	}
	if (rev->action == SPNPOOL_CHANGE_DELETE) {
		if (stored == NULL) {
			*why = talloc_asprintf_append(
				*why, "%s%s is no longer on %s",
				**why != '\0' ? "; " : "", rev->spn, rev->dn);
		}
		return LDB_SUCCESS;
	}
	if (stored != NULL) {
		*why = talloc_asprintf_append(
			*why, "%s%s is back on %s already",
			**why != '\0' ? "; " : "", rev->spn, rev->dn);
		return LDB_SUCCESS;
	}
	ret = other_holder(x, a, rev->spn, &other);
	if (ret == LDB_SUCCESS && other != NULL) {
		*why = talloc_asprintf_append(*why, "%s%s is now held by %s",
					      **why != '\0' ? "; " : "",
					      rev->spn, other);
	}
	return ret;
}

/*
 * The rules apply's check_scope() enforces, applied to a journal: only
 * http/<host> values (no port, no service name); check_give_back() adds
 * the privileged-account rule for the values undo gives back.
 */
static int check_journal(struct exec *x, const char *path,
			 const struct spnpool_journal_state *st)
{
	size_t i;
	int ret = LDB_SUCCESS;

	for (i = 0; i < st->num_entries && ret == LDB_SUCCESS; i++) {
		const struct spnpool_change *c = &st->entries[i].change;
		TALLOC_CTX *one = talloc_new(x->tmp);
		struct spnpool_spn *sp = NULL;
		const char *rule = NULL;

		if (one == NULL) {
			return ldb_oom(x->dir->ldb);
		}
		if (spnpool_spn_parse(one, c->spn, &sp) != SPNPOOL_OK) {
			rule = "not a valid SPN";
		} else if (spnpool_ascii_casecmp(sp->service_class, "http") !=
			   0) {
			rule = "apply only changes http/ SPNs";
		} else if (sp->port != 0 || sp->service_name != NULL) {
			rule = "apply never changes port or service-name forms";
		}
		if (rule != NULL) {
			ldb_asprintf_errstring(x->dir->ldb,
					       "%s: change %zu (%s %s on %s) "
					       "is refused: %s; nothing was "
					       "written",
					       path, i + 1,
					       c->action == SPNPOOL_CHANGE_ADD
						       ? "add"
						       : "delete",
					       c->spn, c->dn, rule);
			ret = LDB_ERR_INVALID_ATTRIBUTE_SYNTAX;
		}
		talloc_free(one);
	}
	return ret;
}

/* Undo gives a deleted value back: never to a privileged account unless
 * allowed. */
static int check_give_back(struct exec *x, const struct spnpool_change *rev,
			   bool allow_privileged)
{
	struct spnpool_account *a = NULL;
	TALLOC_CTX *one = talloc_new(x->tmp);
	int ret;

	if (one == NULL) {
		return ldb_oom(x->dir->ldb);
	}
	ret = spnpool_dir_find_account(one, x->dir, rev->dn, NULL, &a);
	if (ret == LDB_ERR_NO_SUCH_OBJECT) {
		talloc_free(one);
		return LDB_SUCCESS; /* undo_check() names it */
	}
	if (ret == LDB_SUCCESS) {
		ret = spnpool_refuse_privileged(x->dir, a, allow_privileged);
	}
	talloc_free(one);
	return ret;
}

/*
 * After an undo, read every value it was to restore back from the
 * directory: the message lists exactly those not as before the apply,
 * never what memory says was done.
 */
static int verify_undo(struct exec *x, const char *path, int ret)
{
	char *msg = talloc_strdup(
		x->tmp, ret != LDB_SUCCESS ? ldb_errstring(x->dir->ldb) : "");
	char *left = talloc_strdup(x->tmp, "");
	size_t i;

	if (msg == NULL || left == NULL) {
		return ldb_oom(x->dir->ldb);
	}
	for (i = 0; i < x->r->num_changes; i++) {
		const struct spnpool_change *c = &x->r->changes[i];
		struct spnpool_account *a = NULL;
		const char *stored = NULL;
		int lret = next_scratch(x);
		const char *what = NULL;

		if (lret != LDB_SUCCESS) {
			return lret;
		}
		lret = lookup(x, c->dn, c->spn, &a, &stored);

		if (lret == LDB_ERR_NO_SUCH_OBJECT) {
			what = "account gone";
		} else if (lret != LDB_SUCCESS) {
			what = "cannot be read";
		} else if (c->action == SPNPOOL_CHANGE_DELETE &&
			   stored != NULL) {
			what = "still there";
		} else if (c->action == SPNPOOL_CHANGE_ADD && stored == NULL) {
			what = "missing";
		}
		if (what != NULL) {
			left = talloc_asprintf_append(left, "%s%s on %s (%s)",
						      left[0] != '\0' ? "; "
								      : "",
						      c->spn, c->dn, what);
			if (left == NULL) {
				return ldb_oom(x->dir->ldb);
			}
		}
	}
	TALLOC_FREE(x->scratch);
	if (left[0] == '\0') {
		if (ret != LDB_SUCCESS) {
			ldb_asprintf_errstring(x->dir->ldb,
					       "%s; read back, every value is "
					       "as before the apply already; "
					       "run undo %s again once the "
					       "cause is fixed to record it",
					       msg, path);
		}
		return ret;
	}
	ldb_asprintf_errstring(x->dir->ldb,
			       "%s%sread back from the directory, not as "
			       "before the apply: %s; run undo %s again to "
			       "finish",
			       msg, msg[0] != '\0' ? "; " : "undo ended, but ",
			       left, path);
	return (ret != LDB_SUCCESS) ? ret : LDB_ERR_CONSTRAINT_VIOLATION;
}

int spnpool_op_undo(TALLOC_CTX *mem_ctx, struct spnpool_dir *dir,
		    const char *journal_path, bool dry_run,
		    bool allow_privileged,
		    struct spnpool_apply_result **_result)
{
	TALLOC_CTX *tmp = talloc_new(mem_ctx);
	struct spnpool_journal_state *st = NULL;
	struct spnpool_journal_fault fault;
	enum spnpool_status status;
	char *why = NULL;
	size_t *effective = NULL;
	size_t num = 0;
	size_t i;
	struct exec x;
	int ret;

	if (tmp == NULL) {
		return ldb_oom(dir->ldb);
	}
	status = spnpool_journal_read(tmp, journal_path, &st, &fault);
	if (status != SPNPOOL_OK) {
		ret = journal_unreadable(dir->ldb, journal_path, status,
					 &fault);
		goto done;
	}
	if (st->undone) {
		ldb_asprintf_errstring(dir->ldb, "%s was undone already",
				       journal_path);
		ret = LDB_ERR_CONSTRAINT_VIOLATION;
		goto done;
	}
	ret = new_exec(tmp, dir, st->num_entries, &x);
	effective = talloc_zero_array(tmp, size_t, st->num_entries + 1);
	why = talloc_strdup(tmp, "");
	if (ret != LDB_SUCCESS || effective == NULL || why == NULL) {
		ret = ldb_oom(dir->ldb);
		goto done;
	}
	x.undo = true;
	ret = check_journal(&x, journal_path, st);
	if (ret != LDB_SUCCESS) {
		goto done;
	}
	for (i = 0; i < st->num_entries; i++) {
		bool yes = false;

		ret = next_scratch(&x);
		if (ret != LDB_SUCCESS) {
			goto done;
		}
		ret = in_effect(&x, st, &st->entries[i], &yes);
		if (ret != LDB_SUCCESS) {
			goto done;
		}
		if (yes) {
			effective[num++] = i;
		}
	}
	/* the reversals, last change first */
	x.r->num_changes = num;
	x.planned_deletes =
		talloc_zero_array(tmp, const struct spnpool_change *, num + 1);
	if (x.planned_deletes == NULL) {
		ret = ldb_oom(dir->ldb);
		goto done;
	}
	for (i = 0; i < num; i++) {
		const struct spnpool_journal_entry *e =
			&st->entries[effective[num - 1 - i]];

		x.journal_index[i] = effective[num - 1 - i];
		ret = copy_change(&x, i, &e->change,
				  e->change.action == SPNPOOL_CHANGE_ADD
					  ? SPNPOOL_CHANGE_DELETE
					  : SPNPOOL_CHANGE_ADD);
		if (ret != LDB_SUCCESS) {
			goto done;
		}
		if (x.r->changes[i].action == SPNPOOL_CHANGE_DELETE) {
			/* re-adding elsewhere may rely on this delete */
			x.planned_deletes[x.num_planned_deletes++] =
				&x.r->changes[i];
		}
	}
	for (i = 0; i < num; i++) {
		if (x.r->changes[i].action == SPNPOOL_CHANGE_ADD) {
			ret = check_give_back(&x, &x.r->changes[i],
					      allow_privileged);
			if (ret != LDB_SUCCESS) {
				goto done;
			}
		}
		ret = next_scratch(&x);
		if (ret != LDB_SUCCESS) {
			goto done;
		}
		ret = undo_check(&x, &x.r->changes[i],
				 st->entries[x.journal_index[i]].undo_intended,
				 &why);
		if (ret != LDB_SUCCESS) {
			goto done;
		}
	}
	TALLOC_FREE(x.scratch);
	/* the run itself checks against what it really did */
	x.num_planned_deletes = 0;
	if (why == NULL) {
		ret = ldb_oom(dir->ldb);
		goto done;
	}
	if (why[0] != '\0') {
		ldb_asprintf_errstring(dir->ldb,
				       "refusing to undo %s: the directory "
				       "changed since the apply (%s); nothing "
				       "was written",
				       journal_path, why);
		ret = LDB_ERR_CONSTRAINT_VIOLATION;
		goto done;
	}
	if (!dry_run) {
		status = spnpool_journal_open(tmp, journal_path, false, st,
					      &x.journal, &fault);
		if (status == SPNPOOL_OK) {
			status = spnpool_journal_write(x.journal, "undo-begin");
		}
		if (status != SPNPOOL_OK) {
			char *doing = talloc_asprintf(
				tmp, "cannot write the journal %s",
				journal_path);

			ret = journal_failed(
				dir->ldb, status,
				x.journal != NULL
					? spnpool_journal_os_error(x.journal)
					: fault.os_error,
				doing != NULL ? doing
					      : "cannot write the journal");
			goto done;
		}
	}
	ret = execute(&x, dry_run);
	if (!dry_run && ret != LDB_ERR_OPERATIONS_ERROR) {
		ret = verify_undo(&x, journal_path, ret);
	}
	*_result = talloc_move(mem_ctx, &x.r);
done:
	talloc_free(tmp);
	return ret;
}
