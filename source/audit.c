/*
 * libspnpool: audit.  One paged scan of every naming context feeds a
 * compact hash table of the SPNs considered (HTTP and the HOST/ forms it
 * aliases, or every class); findings are derived from the table afterwards.
 * Memory is the table, the SPN strings and 18 bytes per account holding
 * one: it grows with distinct SPNs, not with the entries read.  DNs are
 * read back only for the accounts that appear in findings.
 */

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <ldb.h>
#include <ldb_module.h>

#include "spnpool_private.h"

#define UF_ACCOUNTDISABLE 0x00000002
#define ENCTYPE_RC4_HMAC 0x4
/* pwdLastSet counts 100 ns from 1601; Unix time from 1970 */
#define NTTIME_UNIX_EPOCH 116444736000000000LL
#define DEFAULT_MAX_PASSWORD_AGE_DAYS 365
#define ARENA_CHUNK (1u << 20)
#define ARENA_MAX_CHUNKS 4095u
#define DUP_FLAG 0x80000000u
#define PROGRESS_EVERY 1000

static const char *const finding_names[] = {
	SPNPOOL_FINDING_KINDS(SPNPOOL_ENUM_NAME)};

const char *spnpool_finding_name(enum spnpool_finding_kind kind)
{
	return SPNPOOL_NAME_OF(finding_names, kind);
}

/* Per account holding a considered SPN: only what the findings need
 * from the scan.  Names are looked up again, by SPN, for the few
 * accounts in findings. */
struct audit_account {
	bool disabled;
	bool reported_disabled;
	bool roastable; /* kerberoastable, see the request */
	bool reported_roastable;
	uint16_t password_days; /* age of the password, capped */
};

/* ref: 0 for an empty slot, else ((chunk + 1) << 20) | offset */
struct audit_slot {
	uint32_t ref;
	uint32_t account; /* DUP_FLAG: more holders in the dup list */
};

/* A further holder of an SPN, named by its arena ref (stable when the
 * table grows, unlike slot indexes). */
struct audit_dup {
	uint32_t ref;
	uint32_t account;
};

struct audit {
	struct spnpool_dir *dir;
	const struct spnpool_audit_request *req;
	struct spnpool_audit_result *result;
	const char *alias_class; /* "host": what http maps to */
	const char *base;	 /* the NC being scanned */
	char **chunks;
	size_t num_chunks;
	uint32_t chunk_used;
	struct audit_slot *slots;
	uint32_t mask;
	uint32_t used;
	struct audit_account *accounts;
	size_t num_accounts;
	struct audit_dup *dups;
	size_t num_dups;
	int64_t now_nt; /* now, as pwdLastSet counts */
	unsigned max_age_days;
};

static const char *slot_str(const struct audit *a, uint32_t ref)
{
	return a->chunks[(ref >> 20) - 1] + (ref & (ARENA_CHUNK - 1));
}

static int arena_add(struct audit *a, const char *s, size_t len, uint32_t *_ref)
{
	if (len + 1 > ARENA_CHUNK) {
		return LDB_ERR_ADMIN_LIMIT_EXCEEDED;
	}
	if (a->num_chunks == 0 || a->chunk_used + len + 1 > ARENA_CHUNK) {
		char **chunk = NULL;

		if (a->num_chunks >= ARENA_MAX_CHUNKS) {
			return LDB_ERR_ADMIN_LIMIT_EXCEEDED;
		}
		chunk = SPNPOOL_APPEND(a, a->chunks, a->num_chunks);
		if (chunk == NULL) {
			return LDB_ERR_OPERATIONS_ERROR;
		}
		*chunk = talloc_size(a->chunks, ARENA_CHUNK);
		if (*chunk == NULL) {
			a->num_chunks--;
			return LDB_ERR_OPERATIONS_ERROR;
		}
		a->chunk_used = 0;
	}
	memcpy(a->chunks[a->num_chunks - 1] + a->chunk_used, s, len);
	a->chunks[a->num_chunks - 1][a->chunk_used + len] = '\0';
	*_ref = ((uint32_t)a->num_chunks << 20) | a->chunk_used;
	a->chunk_used += (uint32_t)(len + 1);
	return LDB_SUCCESS;
}

/* The slot holding an SPN equal to s, or the empty slot where it goes. */
static uint32_t find_slot(const struct audit *a, const char *s)
{
	uint32_t i = (uint32_t)spnpool_spn_fold_hash(s) & a->mask;

	while (a->slots[i].ref != 0 &&
	       !spnpool_spn_equal(slot_str(a, a->slots[i].ref), s)) {
		i = (i + 1) & a->mask;
	}
	return i;
}

static int grow_table(struct audit *a)
{
	struct audit_slot *old = a->slots;
	uint32_t old_size = a->mask + 1;
	uint32_t i;

	a->slots = talloc_zero_array(a, struct audit_slot, old_size * 2);
	if (a->slots == NULL) {
		return LDB_ERR_OPERATIONS_ERROR;
	}
	a->mask = old_size * 2 - 1;
	for (i = 0; i < old_size; i++) {
		if (old[i].ref == 0) {
			continue;
		}
		a->slots[find_slot(a, slot_str(a, old[i].ref))] = old[i];
	}
	talloc_free(old);
	return LDB_SUCCESS;
}

static bool slot_held_by(const struct audit *a, uint32_t slot, uint32_t account)
{
	size_t i;

	if ((a->slots[slot].account & ~DUP_FLAG) == account) {
		return true;
	}
	if ((a->slots[slot].account & DUP_FLAG) == 0) {
		return false;
	}
	for (i = 0; i < a->num_dups; i++) {
		if (a->dups[i].ref == a->slots[slot].ref &&
		    a->dups[i].account == account) {
			return true;
		}
	}
	return false;
}

static int insert(struct audit *a, const char *value, size_t len,
		  uint32_t account)
{
	struct audit_dup *dup = NULL;
	uint32_t i;
	int ret;

	if ((a->used + 1) * 4 > (a->mask + 1) * 3) {
		ret = grow_table(a);
		if (ret != LDB_SUCCESS) {
			return ret;
		}
	}
	i = find_slot(a, value);
	if (a->slots[i].ref == 0) {
		ret = arena_add(a, value, len, &a->slots[i].ref);
		if (ret != LDB_SUCCESS) {
			return ret;
		}
		a->slots[i].account = account;
		a->used++;
		return LDB_SUCCESS;
	}
	if (slot_held_by(a, i, account)) {
		return LDB_SUCCESS; /* a case variant on the same account */
	}
	dup = SPNPOOL_APPEND(a, a->dups, a->num_dups);
	if (dup == NULL) {
		return LDB_ERR_OPERATIONS_ERROR;
	}
	dup->ref = a->slots[i].ref;
	dup->account = account;
	a->slots[i].account |= DUP_FLAG;
	return LDB_SUCCESS;
}

static bool class_is(const char *spn, size_t len, const char *cls)
{
	size_t n = strlen(cls);

	return len > n && spn[n] == '/' && strncasecmp(spn, cls, n) == 0;
}

/*
 * Kerberoasting: any domain user can ask for a ticket to an SPN and
 * attack its key offline.  Cheap when the key is RC4 (the NT hash) and
 * the password human-chosen and old.  Computers, MSAs and gMSAs have
 * long random passwords the DC rotates: not worth reporting.  An unknown
 * age (pwdLastSet absent or 0: must change) is not reported either.
 */
static void roastable(const struct audit *a, const struct ldb_message *msg,
		      struct audit_account *acct)
{
	uint64_t enctypes = ldb_msg_find_attr_as_uint64(
		msg, "msDS-SupportedEncryptionTypes", 0);
	int64_t set = ldb_msg_find_attr_as_int64(msg, "pwdLastSet", 0);
	int64_t days;

	if (ldb_msg_check_string_attribute(msg, "objectClass", "computer") ||
	    ldb_msg_check_string_attribute(msg, "objectClass",
					   "msDS-GroupManagedServiceAccount") ||
	    ldb_msg_check_string_attribute(msg, "objectClass",
					   "msDS-ManagedServiceAccount") ||
	    !ldb_msg_check_string_attribute(msg, "objectClass", "user")) {
		return;
	}
	if (enctypes != 0 && (enctypes & ENCTYPE_RC4_HMAC) == 0) {
		return; /* AES only */
	}
	if (set <= 0 || set > a->now_nt) {
		return;
	}
	days = (a->now_nt - set) / (864000000000LL);
	if (days <= (int64_t)a->max_age_days) {
		return;
	}
	acct->roastable = true;
	acct->password_days = (uint16_t)(days > 65535 ? 65535 : days);
}

static int scan_entry(struct ldb_message *msg, void *private_data)
{
	struct audit *a = talloc_get_type_abort(private_data, struct audit);
	struct ldb_message_element *el =
		ldb_msg_find_element(msg, "servicePrincipalName");
	struct spnpool_audit_result *r = a->result;
	bool account_added = false;
	unsigned i;
	int ret;

	if (el == NULL || spnpool_dir_owning_nc(a->dir, msg->dn) != a->base) {
		return LDB_SUCCESS; /* seen in its own NC's scan */
	}
	r->entries_read++;
	r->values_read += el->num_values;
	if (a->req->progress != NULL && r->entries_read % PROGRESS_EVERY == 0) {
		a->req->progress(a->req->progress_data, r->entries_read,
				 r->values_read);
	}
	for (i = 0; i < el->num_values; i++) {
		const char *v = (const char *)el->values[i].data;
		size_t len = el->values[i].length;

		if (memchr(v, '\0', len) != NULL || v[len] != '\0') {
			continue; /* ldb values are NUL-terminated; be sure */
		}
		if (!a->req->all_classes && !class_is(v, len, "http") &&
		    !class_is(v, len, a->alias_class)) {
			continue;
		}
		if (!account_added) {
			struct audit_account *acct = NULL;

			acct = SPNPOOL_APPEND(a, a->accounts, a->num_accounts);
			if (acct == NULL) {
				return ldb_oom(a->dir->ldb);
			}
			acct->disabled =
				(ldb_msg_find_attr_as_uint(
					 msg, "userAccountControl", 0) &
				 UF_ACCOUNTDISABLE) != 0;
			roastable(a, msg, acct);
			account_added = true;
		}
		ret = insert(a, v, len, (uint32_t)(a->num_accounts - 1));
		if (ret != LDB_SUCCESS) {
			return ret;
		}
	}
	return LDB_SUCCESS;
}

/* ---- findings ---- */

static int compare_names(const void *x, const void *y)
{
	const struct spnpool_holder_name *a = x;
	const struct spnpool_holder_name *b = y;

	return strcasecmp(a->dn, b->dn);
}

/*
 * The accounts holding spn now, in DN order (at most max): an indexed
 * search per naming context, only for the SPNs of findings.
 */
static int holders_named(TALLOC_CTX *mem_ctx, struct audit *a, const char *spn,
			 struct spnpool_holder_name *out, size_t max,
			 size_t *_n)
{
	size_t n = 0;
	int ret;

	ret = spnpool_dir_holders_named(mem_ctx, a->dir, spn, out, max, &n);
	if (ret != LDB_SUCCESS) {
		return ret;
	}
	qsort(out, n, sizeof(out[0]), compare_names);
	if (n == 0) {
		/* removed since the scan: named by no DN (the finding's
		 * account_gone) */
		out[0] = (struct spnpool_holder_name){.dn = NULL};
		n = 1;
	}
	*_n = n;
	return LDB_SUCCESS;
}

/* The SPN's host and port (class/host[:port][/service]). */
static int split_spn(TALLOC_CTX *mem_ctx, const char *spn, char **_host,
		     uint16_t *_port)
{
	const char *tail = strchr(spn, '/') + 1;
	size_t host_len = strcspn(tail, ":/");
	unsigned long port = 0;

	if (tail[host_len] == ':') {
		char *end = NULL;

		port = strtoul(tail + host_len + 1, &end, 10);
		if (port > 65535 || (*end != '\0' && *end != '/')) {
			port = 0;
		}
	}
	*_host = talloc_strndup(mem_ctx, tail, host_len);
	*_port = (uint16_t)port;
	return (*_host == NULL) ? LDB_ERR_OPERATIONS_ERROR : LDB_SUCCESS;
}

/* A new finding on spn, naming accounts; *_f is set on success (it
 * stays valid until the next finding is added). */
static int add_finding(struct audit *a, enum spnpool_finding_kind kind,
		       const char *spn, size_t num_accounts,
		       const struct spnpool_holder_name *names,
		       struct spnpool_finding **_f)
{
	struct spnpool_audit_result *r = a->result;
	struct spnpool_finding *f = NULL;
	size_t i;

	f = SPNPOOL_APPEND(r, r->findings, r->num_findings);
	if (f == NULL) {
		return ldb_oom(a->dir->ldb);
	}
	f->kind = kind;
	f->spn = talloc_strdup(r->findings, spn);
	f->dns = talloc_array(r->findings, char *, num_accounts);
	f->sams = talloc_array(r->findings, char *, num_accounts);
	if (f->spn == NULL || f->dns == NULL || f->sams == NULL ||
	    split_spn(r->findings, spn, &f->host, &f->port) != LDB_SUCCESS) {
		return ldb_oom(a->dir->ldb);
	}
	for (i = 0; i < num_accounts; i++) {
		if (names[i].dn == NULL) {
			f->dns[i] = f->sams[i] = NULL;
			f->account_gone = true;
			continue;
		}
		f->dns[i] = talloc_strdup(f->dns, names[i].dn);
		f->sams[i] = talloc_strdup(f->sams, names[i].sam);
		if (f->dns[i] == NULL || f->sams[i] == NULL) {
			return ldb_oom(a->dir->ldb);
		}
	}
	f->num_dns = num_accounts;
	*_f = f;
	return LDB_SUCCESS;
}

/* A fix for finding f: remove the SPN from account, or add it to account
 * (NULL: the account the pool now runs as, to be named by the admin). */
static int add_spn_fix(struct audit *a, struct spnpool_finding *f,
		       enum spnpool_action_kind kind, const char *account,
		       bool move)
{
	int ret = spnpool_action_append(a->result->findings, &f->fixes,
					&f->num_fixes,
					&(struct spnpool_action){
						.kind = kind,
						.account = account,
						.host = f->host,
						.port = f->port,
						.move = move,
					});

	return (ret != LDB_SUCCESS) ? ldb_oom(a->dir->ldb) : LDB_SUCCESS;
}

/* The finding for duplicated slot s. */
static int duplicate_finding(TALLOC_CTX *mem_ctx, struct audit *a, uint32_t s)
{
	struct spnpool_holder_name names[64];
	const char *spn = slot_str(a, a->slots[s].ref);
	struct spnpool_finding *f = NULL;
	size_t n = 0;
	size_t i;
	int ret;

	ret = holders_named(mem_ctx, a, spn, names, 64, &n);
	if (ret != LDB_SUCCESS) {
		return ret;
	}
	ret = add_finding(a, SPNPOOL_FINDING_DUPLICATE, spn, n, names, &f);
	if (ret != LDB_SUCCESS) {
		return ret;
	}
	if (!class_is(spn, strlen(spn), "http")) {
		/* keep it on one account: setspn -D on the others */
		ret = spnpool_action_append(
			a->result->findings, &f->fixes, &f->num_fixes,
			&(struct spnpool_action){
				.kind = SPNPOOL_ACTION_SETSPN_DELETE,
				.spn = spn,
			});
		return (ret != LDB_SUCCESS) ? ldb_oom(a->dir->ldb) : ret;
	}
	/* audit cannot know which holder's pool is right: every holder */
	for (i = 0; i < n; i++) {
		ret = add_spn_fix(a, f, SPNPOOL_ACTION_REMOVE, names[i].sam,
				  false);
		if (ret != LDB_SUCCESS) {
			return ret;
		}
	}
	return LDB_SUCCESS;
}

static int find_duplicates(TALLOC_CTX *mem_ctx, struct audit *a)
{
	uint32_t s;
	int ret;

	for (s = 0; s <= a->mask; s++) {
		TALLOC_CTX *scratch = NULL;

		if (a->slots[s].ref == 0 ||
		    (a->slots[s].account & DUP_FLAG) == 0) {
			continue;
		}
		scratch = talloc_new(mem_ctx);
		if (scratch == NULL) {
			return ldb_oom(a->dir->ldb);
		}
		ret = duplicate_finding(scratch, a, s);
		talloc_free(scratch);
		if (ret != LDB_SUCCESS) {
			return ret;
		}
	}
	return LDB_SUCCESS;
}

/* Look up class/tail in the table; the slot index or UINT32_MAX. */
static uint32_t lookup(TALLOC_CTX *mem_ctx, const struct audit *a,
		       const char *cls, const char *tail)
{
	char *key = talloc_asprintf(mem_ctx, "%s/%s", cls, tail);
	uint32_t i;

	if (key == NULL) {
		return UINT32_MAX;
	}
	i = find_slot(a, key);
	talloc_free(key);
	return (a->slots[i].ref != 0) ? i : UINT32_MAX;
}

/* spn's host/ twice, slot other, is held by another account */
static int shadows_host_finding(TALLOC_CTX *mem_ctx, struct audit *a,
				const char *spn, uint32_t other)
{
	const char *other_spn = slot_str(a, a->slots[other].ref);
	struct spnpool_holder_name names[2];
	struct spnpool_finding *f = NULL;
	size_t n = 0;
	int ret;

	ret = holders_named(mem_ctx, a, spn, &names[0], 1, &n);
	if (ret != LDB_SUCCESS) {
		return ret;
	}
	ret = holders_named(mem_ctx, a, other_spn, &names[1], 1, &n);
	if (ret != LDB_SUCCESS) {
		return ret;
	}
	ret = add_finding(a, SPNPOOL_FINDING_SHADOWS_HOST, spn, 2, names, &f);
	if (ret != LDB_SUCCESS) {
		return ret;
	}
	f->other_spn = talloc_strdup(a->result->findings, other_spn);
	if (f->other_spn == NULL) {
		return ldb_oom(a->dir->ldb);
	}
	/* if the site on the host runs as the machine */
	return add_spn_fix(a, f, SPNPOOL_ACTION_REMOVE, names[0].sam, false);
}

static int http_findings(TALLOC_CTX *mem_ctx, struct audit *a, uint32_t s)
{
	const char *spn = slot_str(a, a->slots[s].ref);
	const char *tail = strchr(spn, '/') + 1;
	uint32_t holder = a->slots[s].account & ~DUP_FLAG;
	struct spnpool_holder_name names[2];
	size_t n = 0;
	size_t host_len = strcspn(tail, ":/");
	char *host = talloc_strndup(mem_ctx, tail, host_len);
	char *netbios = NULL;
	char *fqdn = NULL;
	struct spnpool_finding *f = NULL;
	uint32_t other;
	int ret;

	if (host == NULL) {
		return ldb_oom(a->dir->ldb);
	}
	if (a->slots[s].account & DUP_FLAG) {
		return LDB_SUCCESS; /* reported as a duplicate: fix that first */
	}
	/* shadowing: host/<tail> on another account */
	other = lookup(mem_ctx, a, a->alias_class, tail);
	if (other != UINT32_MAX && !slot_held_by(a, other, holder)) {
		ret = shadows_host_finding(mem_ctx, a, spn, other);
		if (ret != LDB_SUCCESS) {
			return ret;
		}
	}

	/* half registrations: the other of NetBIOS/FQDN forms missing */
	if (spnpool_host_forms(mem_ctx, host, a->dir->dns_domain, &netbios,
			       &fqdn) != SPNPOOL_OK ||
	    netbios == NULL) {
		return LDB_SUCCESS; /* no second form to miss */
	}
	{
		const char *other_form =
			(strcasecmp(host, netbios) == 0) ? fqdn : netbios;
		char *other_tail = talloc_asprintf(mem_ctx, "%s%s", other_form,
						   tail + host_len);

		if (other_tail == NULL) {
			return ldb_oom(a->dir->ldb);
		}
		other = lookup(mem_ctx, a, "http", other_tail);
		if (other != UINT32_MAX && slot_held_by(a, other, holder)) {
			return LDB_SUCCESS;
		}
		ret = holders_named(mem_ctx, a, spn, &names[0], 1, &n);
		if (ret != LDB_SUCCESS) {
			return ret;
		}
		ret = add_finding(a, SPNPOOL_FINDING_MISSING_FORM, spn, 1,
				  names, &f);
		if (ret != LDB_SUCCESS) {
			return ret;
		}
		f->other_spn = talloc_asprintf(a->result->findings, "http/%s",
					       other_tail);
		if (f->other_spn == NULL) {
			return ldb_oom(a->dir->ldb);
		}
		/* add registers both forms of the host */
		return add_spn_fix(a, f, SPNPOOL_ACTION_ADD, names[0].sam,
				   false);
	}
}

static int disabled_finding(TALLOC_CTX *mem_ctx, struct audit *a, uint32_t s)
{
	const char *spn = slot_str(a, a->slots[s].ref);
	uint32_t holder = a->slots[s].account & ~DUP_FLAG;
	struct spnpool_holder_name names[64];
	struct spnpool_finding *f = NULL;
	size_t n = 0;
	size_t i;
	int ret;

	if (!a->accounts[holder].disabled ||
	    a->accounts[holder].reported_disabled) {
		return LDB_SUCCESS;
	}
	a->accounts[holder].reported_disabled = true;
	ret = holders_named(mem_ctx, a, spn, names,
			    (a->slots[s].account & DUP_FLAG) ? 64 : 1, &n);
	if (ret != LDB_SUCCESS) {
		return ret;
	}
	/* the disabled one among the holders (a duplicate has several) */
	for (i = 1; i < n && !names[0].disabled; i++) {
		if (names[i].disabled) {
			names[0] = names[i];
		}
	}
	ret = add_finding(a, SPNPOOL_FINDING_DISABLED, spn, 1, names, &f);
	if (ret != LDB_SUCCESS) {
		return ret;
	}
	/* if a pool still runs as it: enable it, or move its SPNs to the
	 * account the pool now runs as; if nothing does: remove them */
	ret = add_spn_fix(a, f, SPNPOOL_ACTION_ADD, NULL, true);
	if (ret != LDB_SUCCESS) {
		return ret;
	}
	return add_spn_fix(a, f, SPNPOOL_ACTION_REMOVE, names[0].sam, false);
}

static int roastable_finding(TALLOC_CTX *mem_ctx, struct audit *a, uint32_t s)
{
	const char *spn = slot_str(a, a->slots[s].ref);
	uint32_t holder = a->slots[s].account & ~DUP_FLAG;
	struct audit_account *acct = &a->accounts[holder];
	struct spnpool_holder_name names[1];
	struct spnpool_finding *f = NULL;
	size_t n = 0;
	int ret;

	if (!acct->roastable || acct->reported_roastable ||
	    (a->slots[s].account & DUP_FLAG)) {
		return LDB_SUCCESS; /* a duplicate is reported as such */
	}
	acct->reported_roastable = true;
	ret = holders_named(mem_ctx, a, spn, names, 1, &n);
	if (ret != LDB_SUCCESS || n == 0) {
		return ret;
	}
	ret = add_finding(a, SPNPOOL_FINDING_KERBEROASTABLE, spn, 1, names, &f);
	if (ret != LDB_SUCCESS) {
		return ret;
	}
	f->password_days = acct->password_days;
	f->max_password_age_days = a->max_age_days;
	/* a gMSA; or a long random password and AES only */
	ret = spnpool_action_append(
		a->result->findings, &f->fixes, &f->num_fixes,
		&(struct spnpool_action){
			.kind = SPNPOOL_ACTION_RANDOM_PASSWORD,
			.account = names[0].sam,
		});
	return (ret != LDB_SUCCESS) ? ldb_oom(a->dir->ldb) : LDB_SUCCESS;
}

/* The HTTP findings of slot s, each at most once. */
static int judge_http_slot(TALLOC_CTX *mem_ctx, struct audit *a, uint32_t s)
{
	int ret = http_findings(mem_ctx, a, s);

	if (ret != LDB_SUCCESS) {
		return ret;
	}
	ret = disabled_finding(mem_ctx, a, s);
	if (ret != LDB_SUCCESS) {
		return ret;
	}
	return roastable_finding(mem_ctx, a, s);
}

static int compare_findings(const void *x, const void *y)
{
	const struct spnpool_finding *a = x;
	const struct spnpool_finding *b = y;

	if (a->kind != b->kind) {
		return (int)a->kind - (int)b->kind;
	}
	return spnpool_spn_compare(a->spn, b->spn);
}

int spnpool_op_audit(TALLOC_CTX *mem_ctx, struct spnpool_dir *dir,
		     const struct spnpool_audit_request *req,
		     struct spnpool_audit_result **_result)
{
	static const char *const attrs[] = {
		"servicePrincipalName",
		"userAccountControl",
		"objectClass",
		"pwdLastSet",
		"msDS-SupportedEncryptionTypes",
		NULL,
	};
	TALLOC_CTX *tmp_ctx = talloc_new(mem_ctx);
	struct audit *a = NULL;
	struct spnpool_search_opts opts = {.page_size = req->page_size};
	const char *target = NULL;
	size_t i;
	uint32_t s;
	int ret = LDB_SUCCESS;

	if (tmp_ctx == NULL) {
		return ldb_oom(dir->ldb);
	}
	a = talloc_zero(tmp_ctx, struct audit);
	if (a == NULL) {
		ret = ldb_oom(dir->ldb);
		goto done;
	}
	a->dir = dir;
	a->req = req;
	a->max_age_days = (req->max_password_age_days != 0)
				  ? req->max_password_age_days
				  : DEFAULT_MAX_PASSWORD_AGE_DAYS;
	a->now_nt = (int64_t)((req->now != 0) ? req->now : time(NULL)) *
			    10000000LL +
		    NTTIME_UNIX_EPOCH;
	a->result = talloc_zero(tmp_ctx, struct spnpool_audit_result);
	a->slots = talloc_zero_array(a, struct audit_slot, 1024);
	a->mask = 1023;
	target = spnpool_alias_target(dir->aliases, "http");
	a->alias_class = (target != NULL) ? target : "host";
	if (a->result == NULL || a->slots == NULL) {
		ret = ldb_oom(dir->ldb);
		goto done;
	}
	a->result->findings =
		talloc_array(a->result, struct spnpool_finding, 0);
	for (i = 0; i < dir->num_naming_contexts; i++) {
		struct ldb_dn *base =
			ldb_dn_new(tmp_ctx, dir->ldb, dir->naming_contexts[i]);

		if (base == NULL) {
			ret = ldb_oom(dir->ldb);
			goto done;
		}
		a->base = dir->naming_contexts[i];
		ret = spnpool_dir_search(dir, base, LDB_SCOPE_SUBTREE,
					 "(servicePrincipalName=*)", attrs,
					 &opts, scan_entry, a);
		if (ret == LDB_ERR_NO_SUCH_OBJECT) {
			ret = LDB_SUCCESS;
		}
		if (ret != LDB_SUCCESS) {
			goto done;
		}
	}
	a->result->distinct_spns = a->used;
	if (req->progress != NULL) {
		req->progress(req->progress_data, a->result->entries_read,
			      a->result->values_read);
	}

	ret = find_duplicates(tmp_ctx, a);
	if (ret != LDB_SUCCESS) {
		goto done;
	}
	for (s = 0; s <= a->mask; s++) {
		const char *spn = NULL;
		TALLOC_CTX *scratch = NULL;

		if (a->slots[s].ref == 0) {
			continue;
		}
		spn = slot_str(a, a->slots[s].ref);
		if (!class_is(spn, strlen(spn), "http")) {
			continue;
		}
		/* what a slot needs only while it is judged: memory stays
		 * the table's, not a copy per HTTP SPN */
		scratch = talloc_new(tmp_ctx);
		if (scratch == NULL) {
			ret = ldb_oom(dir->ldb);
			goto done;
		}
		ret = judge_http_slot(scratch, a, s);
		talloc_free(scratch);
		if (ret != LDB_SUCCESS) {
			goto done;
		}
	}
	qsort(a->result->findings, a->result->num_findings,
	      sizeof(struct spnpool_finding), compare_findings);
	*_result = talloc_move(mem_ctx, &a->result);
done:
	talloc_free(tmp_ctx);
	return ret;
}
