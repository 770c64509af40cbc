/*
 * Helpers shared by libspnpool's files; not part of the public API.
 */

#ifndef SPNPOOL_PRIVATE_H
#define SPNPOOL_PRIVATE_H

#include <stdarg.h>
#include <stdint.h>
#include <string.h>

#include "spnpool.h"

static inline char spnpool_ascii_lower(char c)
{
	if (c >= 'A' && c <= 'Z') {
		return (char)(c - 'A' + 'a');
	}
	return c;
}

static inline char spnpool_ascii_upper(char c)
{
	if (c >= 'a' && c <= 'z') {
		return (char)(c - 'a' + 'A');
	}
	return c;
}

static inline bool spnpool_ascii_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9');
}

/* Characters of a service class or an sPNMappings name. */
static inline bool spnpool_class_char(char c)
{
	return spnpool_ascii_alnum(c) || c == '-' || c == '_' || c == '.';
}

/*
 * The one array-growth helper: make room for one more element at the end
 * of the talloc array *array of *num elements (allocated on ctx, or NULL),
 * zero it, count it and return it.  The capacity is the array's talloc
 * size, doubled when full, so no caller keeps a capacity of its own.
 * Returns NULL when out of memory, leaving *array and *num as they were.
 * Use it through SPNPOOL_APPEND(ctx, array, num).
 */
static inline void *spnpool_append(TALLOC_CTX *ctx, void **array, size_t *num,
				   size_t el_size, const char *name)
{
	size_t cap = (*array == NULL) ? 0 : talloc_get_size(*array) / el_size;
	char *p = *array;

	if (*num >= cap) {
		size_t want = (*num < 4) ? 4 : *num * 2;

		if (want > SIZE_MAX / el_size) {
			return NULL;
		}
		p = talloc_realloc_size(ctx, *array, want * el_size);
		if (p == NULL) {
			return NULL;
		}
		talloc_set_name_const(p, name);
		*array = p;
	}
	p += *num * el_size;
	memset(p, 0, el_size);
	(*num)++;
	return p;
}

#define SPNPOOL_APPEND(ctx, array, num)           \
	((__typeof__(&(array)[0]))spnpool_append( \
		(ctx), (void **)&(array), &(num), sizeof((array)[0]), #array))

/*
 * The one "append unless present" helper, for lists of SPNs: steal spn
 * into *list (a talloc array on ctx of *num strings) unless a value
 * spnpool_spn_equal() to it is there already, in which case spn is
 * freed.  *_added (may be NULL) says which.  SPNPOOL_ERR_NO_MEMORY when
 * spn is NULL or the list cannot grow (spn is freed).
 */
enum spnpool_status spnpool_spn_list_add(TALLOC_CTX *ctx, char ***list,
					 size_t *num, char *spn, bool *_added);

/* True if [s, s + len) is well-formed UTF-8 (no overlongs, surrogates or
 * code points above U+10FFFF). */
bool spnpool_utf8_valid(const char *s, size_t len);

/* Case-insensitive ASCII comparison of NUL-terminated strings. */
int spnpool_ascii_casecmp(const char *a, const char *b);

/* Validate a class name: non-empty, class characters only. */
enum spnpool_status spnpool_class_check(const char *s, size_t len);

/* Parse a port: decimal 1..65535, no sign, no leading zero. */
enum spnpool_status spnpool_port_parse(const char *s, size_t len,
				       uint16_t *_port);

/* spnpool_host_check() on a counted string. */
enum spnpool_status spnpool_host_check_len(const char *host, size_t len,
					   enum spnpool_host_kind *_kind);

/*
 * A 64-bit hash (FNV-1a) of spnpool_spn_fold(text), computed without
 * copying: SPNs that spnpool_spn_equal() calls equal hash alike.  audit's
 * duplicate table keys on it, so the folding rule lives in spn.c alone.
 */
uint64_t spnpool_spn_fold_hash(const char *text);

/* ---- identity.c: IDENTITY text, pure ---- */

enum spnpool_identity_kind {
	SPNPOOL_IDENTITY_SAM,	  /* sAMAccountName, maybe DOMAIN\ qualified */
	SPNPOOL_IDENTITY_UPN,	  /* name@realm or a UPN */
	SPNPOOL_IDENTITY_DN,	  /* a distinguished name */
	SPNPOOL_IDENTITY_BUILTIN, /* IIS built-in: the server's computer */
};

struct spnpool_identity {
	enum spnpool_identity_kind kind;
	char *name;   /* SAM: the account name; UPN: the whole text; DN */
	char *domain; /* SAM with DOMAIN\ prefix; UPN: the realm part */
	char *user;   /* UPN: the part before '@' */
	/* BUILTIN: how it authenticates (all: the computer account);
	 * otherwise SPNPOOL_POOL_SPECIFIC_USER */
	enum spnpool_pool_identity_type builtin_type;
};

/* Parse IDENTITY; on failure the status names the rule broken
 * (spnpool_status_string()). */
enum spnpool_status spnpool_identity_parse(TALLOC_CTX *mem_ctx,
					   const char *text,
					   struct spnpool_identity **_id);

/* ---- dir.c: directory access ---- */

struct ldb_message;
struct ldb_dn;
struct ldb_control;

/* The directory handle (opaque in spnpool.h).  Fields are set when it is
 * opened and read by the directory layer; the operations ask it through
 * the spnpool_dir_* functions below. */
struct spnpool_dir {
	struct ldb_context *ldb; /* borrowed */
	bool local;	  /* sam.ldb opened directly: real transactions */
	char *default_nc; /* "DC=example,DC=test" */
	char *config_nc;
	char *dns_domain;	/* "example.test" */
	char *netbios_domain;	/* "EXAMPLE" */
	char **naming_contexts; /* every NC the server holds */
	struct ldb_dn **nc_dns; /* the same, parsed */
	size_t num_naming_contexts;
	struct spnpool_alias_map *aliases; /* from sPNMappings */
	unsigned page_size;		   /* paged searches; default 500 */
	char *dc_name;			   /* rootDSE dnsHostName, or NULL */
	/* The other writable DCs of the domain (spnpool_dir_add_peer()):
	 * every holder search also runs on each of them. */
	struct spnpool_dir **peers;
	size_t num_peers;
	/* the search-options control's phantom root (one search over
	 * every naming context): 0 not tried yet, 1 works, -1 refused */
	int phantom_root;
	bool samba; /* rootDSE vendorName says Samba (or a local sam.ldb) */
};

/* Options of one search, given per call (the handle is never changed for
 * one caller's sake). */
struct spnpool_search_opts {
	unsigned page_size;	       /* 0: the handle's (500) */
	struct ldb_control **controls; /* added to each request; or NULL */
};

/* Called for each entry of a paged search; a non-zero return stops the
 * search and becomes its result. */
typedef int (*spnpool_entry_fn)(struct ldb_message *msg, void *private_data);

/* Subtree search of base in pages (opts->page_size, else the handle's),
 * streaming entries to fn.  The paging control is not critical: a backend
 * without it returns everything at once.  opts may be NULL. */
int spnpool_dir_search(struct spnpool_dir *dir, struct ldb_dn *base, int scope,
		       const char *filter, const char *const *attrs,
		       const struct spnpool_search_opts *opts,
		       spnpool_entry_fn fn, void *private_data);

/* spnpool_dir_search() over every naming context the DC holds: one
 * phantom-root search ([MS-ADTS] 3.1.1.3.4.1.12, LDAP_SERVER_SEARCH_OPTIONS
 * with SERVER_SEARCH_FLAG_PHANTOM_ROOT) where the server takes it, else
 * one search per naming context (a refusal is remembered on the handle).
 * An entry may be passed twice only on the per-NC path, where a child
 * partition also shows under its parent. */
int spnpool_dir_search_every_nc(struct spnpool_dir *dir, const char *filter,
				const char *const *attrs,
				const struct spnpool_search_opts *opts,
				spnpool_entry_fn fn, void *private_data);

/* ---- Windows' extended errors (source/winerr.c) ---- */

/* What a Windows (or Samba) extended error means for the commands. */
enum spnpool_winerr_fact {
	SPNPOOL_WINERR_OTHER = 0,
	SPNPOOL_WINERR_SPN_NOT_UNIQUE,	/* 000021C7: held in the forest */
	SPNPOOL_WINERR_UPN_NOT_UNIQUE,	/* 000021C8 */
	SPNPOOL_WINERR_TOO_MANY_VALUES, /* 00002024: the object is full */
	SPNPOOL_WINERR_REFERRAL,	/* 0000202B: ask another DC */
	SPNPOOL_WINERR_ACCESS,		/* 00002098, 00000005 */
	SPNPOOL_WINERR_NO_OBJECT,	/* 0000208D, 00002030 */
	SPNPOOL_WINERR_EXISTS,		/* 0000200D, 00002071 */
	SPNPOOL_WINERR_CONSTRAINT,	/* 0000202F, 00002014, 00002037 */
	SPNPOOL_WINERR_UNWILLING,	/* 00002035 */
	SPNPOOL_WINERR_BUSY,		/* 0000200E, 0000200F, 00002022 */
	SPNPOOL_WINERR_SYNTAX,		/* 0000200B, 00002032, 00000057 */
	SPNPOOL_WINERR_AUTH,		/* 00002028, 00002029, 0000202D */
	SPNPOOL_WINERR_LIMIT,		/* 00002023 */
};

struct spnpool_winerr {
	uint32_t code;	  /* the Win32 code the text starts with */
	const char *name; /* ERROR_DS_... */
	enum spnpool_winerr_fact fact;
	const char *meaning; /* one clause, for messages */
};

/* The 8-hex-digit code at the start of text, or after a '<' (Samba's
 * client wraps the server's text in "LDAP error N NAME - <text> <>"). */
bool spnpool_winerr_parse(const char *text, uint32_t *_code);

/* The table entry of code, or NULL. */
const struct spnpool_winerr *spnpool_winerr_lookup(uint32_t code);

/* spnpool_winerr_lookup() of the code in text, or NULL. */
const struct spnpool_winerr *spnpool_winerr_from_text(const char *text);

/* The host a referral in text points to, or NULL. */
char *spnpool_winerr_referral_host(TALLOC_CTX *mem_ctx, const char *text);

/* After a failed write of dn (adding added[]): rewrite the errstring
 * into what happened and what to do, from the LDAP code and the Windows
 * extended error.  Returns the LDB code the failure now has (000021C7
 * becomes a constraint violation whatever the LDAP code). */
int spnpool_winerr_explain_write(struct spnpool_dir *dir, int ret,
				 const char *dn, const char *const *added,
				 size_t num_added);

/* A scan of naming context nc answered with a referral: warn that nc was
 * not searched and return LDB_SUCCESS; any other ret is returned as is. */
int spnpool_winerr_scan_referral(struct spnpool_dir *dir, int ret,
				 const char *nc);

/* Reading the identity DN dn was answered with a referral: the account is
 * in another domain.  Sets the errstring (naming that domain and the DC
 * referred to) and returns LDB_ERR_NO_SUCH_OBJECT. */
int spnpool_winerr_foreign_identity(struct spnpool_dir *dir,
				    const char *identity, const char *dn);

/* ---- which KDC check predicts (source/kdcmodel.c) ---- */

/* *_samba: whether dir's DC is Samba (rootDSE vendorName; a local sam.ldb
 * always is).  Read once per ldb context. */
int spnpool_dir_is_samba(struct spnpool_dir *dir, bool *_samba);

/* ---- ranged values (source/ranged.c) ---- */

/* Parse the ";range=LO-HI" or ";range=LO-*" option of an attribute name
 * returned by a DC ([MS-ADTS] 3.1.1.3.1.3.3); *_last is true for "*". */
bool spnpool_ranged_parse(const char *name, unsigned *_lo, unsigned *_hi,
			  bool *_last);

/* True if msg holds attr as "attr;range=...". */
bool spnpool_ranged_pending(const struct ldb_message *msg, const char *attr);

/* Replace a ranged attr of msg by one element named attr with every value,
 * fetching the rest with base searches of "attr;range=N-*" until the DC
 * answers with a range ending in "*".  A msg without a ranged attr is
 * left alone.  The values are allocated on msg. */
int spnpool_ranged_complete(struct ldb_context *ldb, struct ldb_message *msg,
			    const char *attr);

/* spnpool_ranged_complete() for each of count messages. */
int spnpool_ranged_complete_all(struct ldb_context *ldb,
				struct ldb_message **msgs, unsigned count,
				const char *attr);

/* spnpool_dir_open() without the rootDSE: for backends that have none
 * (the tdb:// fixtures of the unit tests). */
int spnpool_dir_init(TALLOC_CTX *mem_ctx, struct ldb_context *ldb, bool local,
		     const char *default_nc, const char *config_nc,
		     const char *const *naming_contexts,
		     size_t num_naming_contexts, struct spnpool_dir **_dir);

/* Every holder of any of spns (and, with aliases, of their sPNMappings
 * forms) in every naming context, one entry per (account, value). */
int spnpool_dir_find_holders(TALLOC_CTX *mem_ctx, struct spnpool_dir *dir,
			     const char *const *spns, size_t num_spns,
			     bool aliases, struct spnpool_holder **_holders,
			     size_t *_num_holders);

/* One modify of dn: an ADD element with add[] (first, so that Samba's
 * uniqueness check sees it) and a DELETE element with del[].  Atomic:
 * fails whole if a value to delete is absent (compare-and-swap). */
int spnpool_dir_modify(struct spnpool_dir *dir, const char *dn,
		       const char *const *add, size_t num_add,
		       const char *const *del, size_t num_del);

/* The computer account NETBIOS$ (the message of a base read), or NULL. */
int spnpool_dir_find_computer(TALLOC_CTX *mem_ctx, struct spnpool_dir *dir,
			      const char *netbios, struct ldb_message **_msg);

/* One object Samba's KDC considers in its HOST/ fallback. */
struct spnpool_kdc_match {
	char *dn;
	char *sam_account_name;
	char *value; /* the host SPN it holds, or NULL (matched by cn) */
	bool disabled;
};

/* Samba's KDC fallback (cracknames, DsCrackNameOneName for a service
 * principal "host/X"): one search over every naming context for
 * (|(&(servicePrincipalName=host_spn)(objectClass=user))
 *   (&(cn=cn)(objectClass=computer))), one entry per object, in
 * search order.  cn NULL leaves out the computer branch, host_spn NULL
 * the SPN branch (one of them must be given). */
int spnpool_dir_find_kdc_fallback(TALLOC_CTX *mem_ctx, struct spnpool_dir *dir,
				  const char *host_spn, const char *cn,
				  struct spnpool_kdc_match **_matches,
				  size_t *_num);

/* The computer whose dNSHostName is fqdn, else whose cn is its first
 * label (the message, or NULL): how --server names a computer whose DNS
 * name does not fit a NetBIOS name. */
int spnpool_dir_find_computer_by_dns(TALLOC_CTX *mem_ctx,
				     struct spnpool_dir *dir, const char *fqdn,
				     struct ldb_message **_msg);

/* The zones of AD-integrated DNS: every dnsZone under CN=MicrosoftDNS of
 * the DomainDnsZones and ForestDnsZones partitions and of the legacy
 * CN=MicrosoftDNS,CN=System of the domain. */
struct spnpool_dns_zone {
	struct ldb_dn *dn;
	char *name; /* the zone's name: its first RDN's value */
};

struct spnpool_dns_zones {
	struct spnpool_dns_zone *zones;
	size_t num;
};

int spnpool_dir_dns_zones(TALLOC_CTX *mem_ctx, struct spnpool_dir *dir,
			  struct spnpool_dns_zones **_zones);

/* What AD DNS says of one name. */
enum spnpool_dir_dns_answer {
	SPNPOOL_DIR_DNS_NO_ZONE,   /* no AD zone holds the name */
	SPNPOOL_DIR_DNS_NO_RECORD, /* a zone does; no A, AAAA or CNAME */
	SPNPOOL_DIR_DNS_ADDRESS,   /* A or AAAA records, no CNAME */
	SPNPOOL_DIR_DNS_CNAME,	   /* a CNAME: *_target, lower case */
};

/* Read the node of name in the zone holding it (the longest suffix) and
 * classify its dnsRecord values; a malformed value is logged and
 * skipped.  *_target is the CNAME's target (on mem_ctx) or NULL. */
int spnpool_dir_dns_lookup(TALLOC_CTX *mem_ctx, struct spnpool_dir *dir,
			   const struct spnpool_dns_zones *zones,
			   const char *name,
			   enum spnpool_dir_dns_answer *_answer,
			   char **_target);

/* An account holding one exact SPN value, as audit names it. */
struct spnpool_holder_name {
	char *dn;  /* audit: NULL for an account deleted since the scan */
	char *sam; /* sAMAccountName, else the DN */
	bool disabled;
};

/* Up to max accounts whose servicePrincipalName matches spn on the server
 * (its own comparison), the default naming context first, each object
 * once (child partitions show under their parent); strings on mem_ctx. */
int spnpool_dir_holders_named(TALLOC_CTX *mem_ctx, struct spnpool_dir *dir,
			      const char *spn, struct spnpool_holder_name *out,
			      size_t max, size_t *_n);

/*
 * DN rules: DNs are compared as DNs (ldb_dn_compare(): per component,
 * case-folded by the schema's rules), never as text.
 */

/* True if the DN texts a and b name the same object; texts that do not
 * parse as DNs are equal only if equal ignoring ASCII case. */
bool spnpool_dir_dn_equal(struct spnpool_dir *dir, const char *a,
			  const char *b);

/* The naming context of dir that holds dn (the deepest one it is under,
 * ldb_dn_compare_base()), as the string in dir->naming_contexts, or
 * NULL. */
const char *spnpool_dir_owning_nc(struct spnpool_dir *dir, struct ldb_dn *dn);

/* Transactions: real on a local sam.ldb, no-ops over LDAP. */
/*
 * Why the account at dn must not receive SPNs (krbtgt, a DC or RODC,
 * Administrator, Guest, adminCount=1, a member of a protected group, a
 * disabled account): *_reason, SPNPOOL_PRIVILEGED_NONE when none applies.  tokenGroups is read where the directory
 * computes it, so nested membership counts.
 */
int spnpool_dir_privileged(TALLOC_CTX *mem_ctx, struct spnpool_dir *dir,
			   const char *dn, enum spnpool_privileged *_reason);

/* ---- ops.c: shared by add, plan and apply ---- */

/*
 * Fill a->privileged; unless allow, refuse a privileged account with
 * SPNPOOL_ERR_PRIVILEGED and a sentence naming it and the risk.
 */
int spnpool_refuse_privileged(struct spnpool_dir *dir,
			      struct spnpool_account *a, bool allow);

int spnpool_dir_transaction_start(struct spnpool_dir *dir);
int spnpool_dir_transaction_commit(struct spnpool_dir *dir);
int spnpool_dir_transaction_cancel(struct spnpool_dir *dir);

/* "DC=example,DC=test" -> "example.test"; NULL if no DC components. */
char *spnpool_dn_to_dns_domain(TALLOC_CTX *mem_ctx, const char *dn);

/* ---- journal.c: the apply journal ---- */

struct spnpool_journal;

struct spnpool_journal_entry {
	struct spnpool_change change; /* value: the exact stored spelling */
	bool done;		      /* made (and not reversed by apply) */
	bool reversed;		      /* taken back by apply itself */
	bool undone;		      /* taken back by undo */
	bool undo_intended;	      /* undo announced its reversal */
};

struct spnpool_journal_state {
	bool local;
	bool ended; /* apply finished (ok or aborted) */
	bool undo_started;
	bool undone;	  /* undo finished ok */
	size_t announced; /* the change count of the begin record */
	struct spnpool_journal_entry *entries;
	size_t num_entries;
	/* where appending continues: the checksum of the last complete
	 * record and the length of the complete records (a torn last
	 * record is cut off before appending) */
	uint32_t chain;
	size_t valid_length;
};

/*
 * The journal reports in the pure domain: a status, plus the facts a
 * caller needs for its sentence.
 */
struct spnpool_journal_fault {
	size_t line;  /* the malformed record's line (1-based), or 0 */
	int os_error; /* the system's error number for JOURNAL_IO, or 0 */
};

/*
 * Open for appending; create: O_EXCL, mode 0600, starting a new checksum
 * chain; otherwise continue st's chain after its last complete record.
 * SPNPOOL_ERR_JOURNAL_IO with _fault->os_error set on failure.
 */
enum spnpool_status spnpool_journal_open(TALLOC_CTX *mem_ctx, const char *path,
					 bool create,
					 const struct spnpool_journal_state *st,
					 struct spnpool_journal **_j,
					 struct spnpool_journal_fault *_fault);

/* CRC-32 (IEEE 802.3) of len bytes, continuing from crc (0 to start). */
uint32_t spnpool_crc32(uint32_t crc, const void *data, size_t len);

/* Append one record and fsync.  SPNPOOL_ERR_JOURNAL_IO on failure, with
 * the system's error number from spnpool_journal_os_error(). */
enum spnpool_status spnpool_journal_write(struct spnpool_journal *j,
					  const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The system's error number of j's last failed write (0: none). */
int spnpool_journal_os_error(const struct spnpool_journal *j);

/* "intent	i	add|delete	dn	value" */
enum spnpool_status spnpool_journal_intent(struct spnpool_journal *j, size_t i,
					   const struct spnpool_change *c);

/* Read a journal.  On failure the status says what is wrong, _fault
 * where (the line) or why (the system's error number). */
enum spnpool_status spnpool_journal_read(TALLOC_CTX *mem_ctx, const char *path,
					 struct spnpool_journal_state **_state,
					 struct spnpool_journal_fault *_fault);

/* ---- webconfig.c: shared by iisconfig.c and poolsfile.c ---- */

/* Set *error to "line N: message" (line 0: no prefix) unless an earlier
 * error is there already. */
void spnpool_config_fail_v(TALLOC_CTX *mem_ctx, char **error, long line,
			   const char *fmt, va_list ap);

/* The configuration handed out: bindings copied, their strings stolen
 * from wherever the parser kept them. */
enum spnpool_status
spnpool_web_config_new(TALLOC_CTX *mem_ctx, const char *source,
		       const struct spnpool_web_binding *bindings, size_t num,
		       struct spnpool_web_config **_config);

/* ---- result enums and actions: check.c, shared by audit.c and plan.c */

/* The public name of enum value v from a table made with
 * SPNPOOL_ENUM_NAME; "unknown" outside it. */
#define SPNPOOL_NAME_OF(table, v)                               \
	(((unsigned)(v) < sizeof(table) / sizeof((table)[0]) && \
	  (table)[(v)] != NULL)                                 \
		 ? (table)[(v)]                                 \
		 : "unknown")

/* Two texts, either maybe NULL, are the same (bytes). */
bool spnpool_text_equal(const char *a, const char *b);

/* Append a copy of action (its strings copied onto the array) unless an
 * equal one is there already.  LDB_SUCCESS or LDB_ERR_OPERATIONS_ERROR
 * (out of memory). */
int spnpool_action_append(TALLOC_CTX *mem_ctx, struct spnpool_action **actions,
			  size_t *num, const struct spnpool_action *action);

/* Remove the action equal to action, if any. */
void spnpool_action_drop(struct spnpool_action *actions, size_t *num,
			 const struct spnpool_action *action);

/* ---- access.c: the acting user's rights, from the directory ---- */

/*
 * May the user bound to dir write servicePrincipalName on dn, by the DC's
 * allowedAttributesEffective (a base search asking for it by name)?
 * *_access is ALLOWED, DENIED, VALIDATED_WRITE (not listed on a
 * computer) or UNKNOWN (not returned, or dn not readable).  LDB_SUCCESS
 * unless out of memory: not knowing is an answer, not an error.
 */
int spnpool_dir_spn_access(TALLOC_CTX *mem_ctx, struct spnpool_dir *dir,
			   const char *dn, enum spnpool_access *_access);

/*
 * The access fact a dry run reports, kept across the accounts it asks
 * about: a refusal beats "could not tell", which beats "allowed".  If a
 * (found on dn; holder: dn is not the target) is worse than *access so
 * far, the three facts become a's, *access_dn a copy on owner.
 * LDB_SUCCESS, or ldb_oom() on ldb.
 */
int spnpool_access_keep_worst(TALLOC_CTX *owner, struct ldb_context *ldb,
			      enum spnpool_access a, const char *dn,
			      bool holder, enum spnpool_access *access,
			      char **access_dn, bool *access_holder);

#endif /* SPNPOOL_PRIVATE_H */
