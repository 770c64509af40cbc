/*
 * libspnpool: HTTP service principal names for application pool identities.
 *
 * The one public header of the library.  The pure layers (SPN text, host
 * names and URLs, sPNMappings aliases, the conflict rules) never touch a
 * directory; the directory and operation layers take a borrowed
 * struct ldb_context and never print.
 *
 * Memory: every function that allocates takes a talloc context first and
 * hangs its results off it; nothing is allocated on failure.
 */

#ifndef SPNPOOL_H
#define SPNPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <talloc.h>

#define SPNPOOL_PUBLIC __attribute__((visibility("default")))

/* The longest SPN we accept or write, in bytes. */
#define SPNPOOL_SPN_MAX_LEN 1024
/* RFC 1035 limits, and the NetBIOS name limit. */
#define SPNPOOL_HOST_MAX_LEN 253
#define SPNPOOL_LABEL_MAX_LEN 63
#define SPNPOOL_NETBIOS_MAX_LEN 15

/* The version of apply's journal format (the first record's). */
#define SPNPOOL_JOURNAL_VERSION "2"

/*
 * Every status: its enum value, its name (for scripts and bindings) and
 * the rule an input broke, as one sentence without a trailing period.
 * The enum, spnpool_status_name() and spnpool_status_string() are all
 * generated from this one list.
 */
#define SPNPOOL_STATUS_LIST(X)                                               \
	X(SPNPOOL_OK, "ok", "success")                                       \
	X(SPNPOOL_ERR_EMPTY, "empty", "the value is empty")                  \
	X(SPNPOOL_ERR_TOO_LONG, "too_long",                                  \
	  "an SPN may be at most 1024 bytes long")                           \
	X(SPNPOOL_ERR_BAD_UTF8, "bad_utf8", "the value is not valid UTF-8")  \
	X(SPNPOOL_ERR_CONTROL_CHAR, "control_char",                          \
	  "control characters (including NUL) are not allowed")              \
	X(SPNPOOL_ERR_WHITESPACE, "whitespace", "whitespace is not allowed") \
	X(SPNPOOL_ERR_NO_SLASH, "no_slash",                                  \
	  "an SPN has the form class/host[:port][/service-name]")            \
	X(SPNPOOL_ERR_TOO_MANY_PARTS, "too_many_parts",                      \
	  "an SPN has at most three '/'-separated parts")                    \
	X(SPNPOOL_ERR_EMPTY_CLASS, "empty_class",                            \
	  "the service class before '/' is empty")                           \
	X(SPNPOOL_ERR_BAD_CLASS, "bad_class",                                \
	  "a service class may contain only letters, digits, '-', "          \
	  "'_' and '.'")                                                     \
	X(SPNPOOL_ERR_EMPTY_HOST, "empty_host", "the host name is empty")    \
	X(SPNPOOL_ERR_EMPTY_SERVICE_NAME, "empty_service_name",              \
	  "the service name after the second '/' is empty")                  \
	X(SPNPOOL_ERR_BAD_SERVICE_NAME, "bad_service_name",                  \
	  "the service name must obey the host name rules")                  \
	X(SPNPOOL_ERR_BAD_PORT, "bad_port",                                  \
	  "the port must be a decimal number without sign or "               \
	  "leading zeros")                                                   \
	X(SPNPOOL_ERR_PORT_RANGE, "port_range",                              \
	  "the port must be from 1 to 65535")                                \
	X(SPNPOOL_ERR_HOST_NON_ASCII, "host_non_ascii",                      \
	  "a host name must be ASCII; give an international name in "        \
	  "its IDNA form (xn--...), which is what browsers request")         \
	X(SPNPOOL_ERR_HOST_CHAR, "host_char",                                \
	  "a host name may contain only letters, digits, '-' and "           \
	  "'.'")                                                             \
	X(SPNPOOL_ERR_HOST_LABEL_EMPTY, "host_label_empty",                  \
	  "a host name may not have an empty label (leading dot or "         \
	  "'..')")                                                           \
	X(SPNPOOL_ERR_HOST_LABEL_TOO_LONG, "host_label_too_long",            \
	  "each label of a host name may be at most 63 characters "          \
	  "long")                                                            \
	X(SPNPOOL_ERR_HOST_TOO_LONG, "host_too_long",                        \
	  "a host name may be at most 253 characters long")                  \
	X(SPNPOOL_ERR_HOST_HYPHEN, "host_hyphen",                            \
	  "a host name label may not start or end with '-'")                 \
	X(SPNPOOL_ERR_HOST_NUMERIC, "host_numeric",                          \
	  "an IP address or all-numeric name is not a host name; "           \
	  "browsers request SPNs for names (Windows tries an IP SPN "        \
	  "only when TryIPSPN is configured)")                               \
	X(SPNPOOL_ERR_HOST_TRAILING_DOT, "host_trailing_dot",                \
	  "a trailing dot is only allowed after a name of two or "           \
	  "more labels")                                                     \
	X(SPNPOOL_ERR_NETBIOS_TOO_LONG, "netbios_too_long",                  \
	  "a NetBIOS name may be at most 15 characters long")                \
	X(SPNPOOL_ERR_NO_DOMAIN, "no_domain",                                \
	  "a short host name needs the domain's DNS name to form "           \
	  "the FQDN")                                                        \
	X(SPNPOOL_ERR_URL_SCHEME, "url_scheme",                              \
	  "only http:// and https:// URLs are served by HTTP SPNs")          \
	X(SPNPOOL_ERR_URL_SYNTAX, "url_syntax",                              \
	  "a URL has the form http[s]://host[:port][/path]")                 \
	X(SPNPOOL_ERR_MAPPING_SYNTAX, "mapping_syntax",                      \
	  "an sPNMappings value has the form "                               \
	  "target=alias[,alias...]")                                         \
	X(SPNPOOL_ERR_IDENTITY, "identity",                                  \
	  "an identity is name, DOMAIN\\name, name@realm, a DN, "            \
	  "NAME$ or an IIS built-in identity")                               \
	X(SPNPOOL_ERR_IDENTITY_EMPTY, "identity_empty",                      \
	  "the identity is empty")                                           \
	X(SPNPOOL_ERR_IDENTITY_SPACE, "identity_space",                      \
	  "the identity may not start or end with a space")                  \
	X(SPNPOOL_ERR_IDENTITY_ANONYMOUS, "identity_anonymous",              \
	  "LocalService authenticates anonymously on the network and "       \
	  "can never use Kerberos; run the pool as a domain account "        \
	  "or as NetworkService")                                            \
	X(SPNPOOL_ERR_APPPOOL_NAME_EMPTY, "apppool_name_empty",              \
	  "IIS APPPOOL\\ must be followed by the pool's name")               \
	X(SPNPOOL_ERR_DOMAIN_EMPTY, "domain_empty",                          \
	  "the domain before '\\' is empty")                                 \
	X(SPNPOOL_ERR_UPN_SYNTAX, "upn_syntax",                              \
	  "a UPN has the form name@realm")                                   \
	X(SPNPOOL_ERR_ACCOUNT_EMPTY, "account_empty",                        \
	  "the account name is empty")                                       \
	X(SPNPOOL_ERR_ACCOUNT_CHAR, "account_char",                          \
	  "an account name may not contain any of "                          \
	  "\" / \\ [ ] : ; | = , + * ? < >")                                 \
	X(SPNPOOL_ERR_ACCOUNT_SPACE_DOT, "account_space_dot",                \
	  "an account name may not start or end with a space or "            \
	  "end with '.'")                                                    \
	X(SPNPOOL_ERR_BINDING_SYNTAX, "binding_syntax",                      \
	  "bindingInformation has the form IP:port:host")                    \
	X(SPNPOOL_ERR_BINDING_IPV6_SYNTAX, "binding_ipv6_syntax",            \
	  "an IPv6 address is written [address]:port:host")                  \
	X(SPNPOOL_ERR_BINDING_IPV6, "binding_ipv6",                          \
	  "the IPv6 address is malformed")                                   \
	X(SPNPOOL_ERR_BINDING_IP, "binding_ip",                              \
	  "the IP address must be '*', an IPv4 address or an IPv6 "          \
	  "address in brackets")                                             \
	X(SPNPOOL_ERR_HOST_WILDCARD, "host_wildcard",                        \
	  "a wildcard host header has no SPN of its own; bind each "         \
	  "name Kerberos must work for")                                     \
	X(SPNPOOL_ERR_JOURNAL_IO, "journal_io",                              \
	  "the journal cannot be opened, read or written")                   \
	X(SPNPOOL_ERR_JOURNAL_NOT_JOURNAL, "journal_not_journal",            \
	  "not a journal")                                                   \
	X(SPNPOOL_ERR_JOURNAL_VERSION, "journal_version",                    \
	  "not a journal of this version "                                   \
	  "(spnpool-journal " SPNPOOL_JOURNAL_VERSION                        \
	  " with a checksum per record)")                                    \
	X(SPNPOOL_ERR_JOURNAL_EMPTY, "journal_empty",                        \
	  "empty: not a journal of an apply")                                \
	X(SPNPOOL_ERR_JOURNAL_NO_BEGIN, "journal_no_begin",                  \
	  "without a begin record: not a journal of an apply")               \
	X(SPNPOOL_ERR_JOURNAL_RECORD, "journal_record",                      \
	  "not a journal record")                                            \
	X(SPNPOOL_ERR_JOURNAL_BEGIN_EXPECTED, "journal_begin_expected",      \
	  "expected the begin record")                                       \
	X(SPNPOOL_ERR_JOURNAL_CHECKSUM, "journal_checksum",                  \
	  "checksum mismatch: the journal was changed or damaged after "     \
	  "it was written (a record edited, removed, inserted or "           \
	  "reordered)")                                                      \
	X(SPNPOOL_ERR_DNS_RECORD, "dns_record",                              \
	  "a dnsRecord value must follow MS-DNSP 2.3.2.2")                   \
	X(SPNPOOL_ERR_CONFIG, "config",                                      \
	  "the web server configuration is malformed")                       \
	X(SPNPOOL_ERR_NO_MEMORY, "no_memory", "out of memory")

/**
 * Why an input was refused: the error domain of the pure functions (see
 * docs/design.md, "Errors").  Every value has a one-sentence rule from
 * spnpool_status_string(); callers add the offending input.
 */
enum spnpool_status {
#define SPNPOOL_STATUS_ENUM(value, name, rule) value,
	SPNPOOL_STATUS_LIST(SPNPOOL_STATUS_ENUM)
#undef SPNPOOL_STATUS_ENUM
		SPNPOOL_STATUS_COUNT
};

/**
 * The rule an input broke, as one sentence without a trailing period
 * ("the port must be a decimal number from 1 to 65535").  Never NULL;
 * static storage.
 */
SPNPOOL_PUBLIC const char *spnpool_status_string(enum spnpool_status status);

/**
 * The status's name from SPNPOOL_STATUS_LIST ("bad_port"), or "unknown".
 * Static storage.
 */
SPNPOOL_PUBLIC const char *spnpool_status_name(enum spnpool_status status);

/** The library's version, "MAJOR.MINOR.PATCH". */
SPNPOOL_PUBLIC const char *spnpool_version(void);

/* ------------------------------------------------------------------ */
/* SPN text: class/host[:port][/service-name]                          */
/* ------------------------------------------------------------------ */

struct spnpool_spn {
	char *service_class; /* as typed, e.g. "HTTP" */
	char *host;	     /* as typed, trailing dot removed */
	uint16_t port;	     /* 0 when the SPN has no port */
	char *service_name;  /* NULL when the SPN has two parts */
};

/**
 * Parse and validate an SPN we may write.
 *
 * Strict: the class is [A-Za-z0-9._-]; the host obeys
 * spnpool_host_check(); the port is decimal 1..65535 without leading
 * zeros; an optional service name obeys the host rules.  Stored values of
 * other services (MSSQLSvc instance names, _msdcs hosts) may fail this
 * check: code that reads the directory compares text with
 * spnpool_spn_equal() instead of parsing.
 *
 * @param mem_ctx  parent of *_spn
 * @param text     the SPN, need not be NUL-terminated
 * @param len      its length in bytes; an embedded NUL is refused
 * @param _spn     receives the parts on SPNPOOL_OK; untouched otherwise
 * @return SPNPOOL_OK or the first rule broken, checked left to right
 */
SPNPOOL_PUBLIC enum spnpool_status
spnpool_spn_parse_len(TALLOC_CTX *mem_ctx, const char *text, size_t len,
		      struct spnpool_spn **_spn);

/** spnpool_spn_parse_len() on a NUL-terminated string (NULL: EMPTY). */
SPNPOOL_PUBLIC enum spnpool_status spnpool_spn_parse(TALLOC_CTX *mem_ctx,
						     const char *text,
						     struct spnpool_spn **_spn);

/** Format parts back into "class/host[:port][/service-name]". */
SPNPOOL_PUBLIC char *spnpool_spn_format(TALLOC_CTX *mem_ctx,
					const struct spnpool_spn *spn);

/**
 * Compare two SPNs the way Samba's directory does for
 * servicePrincipalName: ASCII letters without case, leading and trailing
 * spaces ignored, runs of spaces equal to one space.  (Windows folds case
 * the same way for these values but keeps spaces; SPNs we write contain
 * none.)  Non-ASCII bytes compare exactly.
 *
 * @return <0, 0 or >0, a total order usable for sorting
 */
SPNPOOL_PUBLIC int spnpool_spn_compare(const char *a, const char *b);

/** spnpool_spn_compare(a, b) == 0. */
SPNPOOL_PUBLIC bool spnpool_spn_equal(const char *a, const char *b);

/**
 * The comparison key of an SPN: the text spnpool_spn_compare() compares,
 * so that equal SPNs give identical keys (for hashing, sorting, LDAP
 * filters).  NULL on allocation failure.
 */
SPNPOOL_PUBLIC char *spnpool_spn_fold(TALLOC_CTX *mem_ctx, const char *text);

/* ------------------------------------------------------------------ */
/* Host names and URLs                                                 */
/* ------------------------------------------------------------------ */

enum spnpool_host_kind {
	SPNPOOL_HOST_SHORT, /* one label: a NetBIOS or DNS short name */
	SPNPOOL_HOST_FQDN,  /* two or more labels */
};

/**
 * Check a host name as it may appear in an SPN we write.
 *
 * ASCII letters, digits, '-' and '.' only (non-ASCII names must be given
 * in their IDNA "xn--" form, which is what browsers request); labels of
 * 1..63 characters that neither start nor end with '-'; at most 253
 * characters; not an IP address or an all-numeric name.  One trailing dot
 * is allowed on a name of two or more labels.
 *
 * @param host   NUL-terminated host name
 * @param _kind  receives short or FQDN on success; may be NULL
 */
SPNPOOL_PUBLIC enum spnpool_status
spnpool_host_check(const char *host, enum spnpool_host_kind *_kind);

/**
 * The two names an HTTP service is reached by.
 *
 * A short name gives NetBIOS = upper case, FQDN = lower case + "." +
 * dns_domain; an FQDN gives FQDN = lower case without trailing dot,
 * NetBIOS = its first label in upper case.  A NetBIOS name has at most 15
 * characters: a longer short name is SPNPOOL_ERR_NETBIOS_TOO_LONG, an
 * FQDN with a longer first label has no NetBIOS form (*_netbios = NULL).
 *
 * @param dns_domain  the domain's DNS name (e.g. "example.test"); only
 *                    needed for a short host, SPNPOOL_ERR_NO_DOMAIN if
 *                    NULL then
 * @param _netbios    receives e.g. "WEB01", or NULL (see above)
 * @param _fqdn       receives e.g. "web01.example.test"
 */
SPNPOOL_PUBLIC enum spnpool_status
spnpool_host_forms(TALLOC_CTX *mem_ctx, const char *host,
		   const char *dns_domain, char **_netbios, char **_fqdn);

struct spnpool_url {
	char *scheme;  /* "http" or "https", lower case */
	char *host;    /* lower case, trailing dot removed */
	uint16_t port; /* 0 when absent or the scheme's default */
};

/**
 * Parse "http[s]://[user@]host[:port][/path...]" or a bare
 * "host[:port]" (taken as http) the way a browser derives the name it
 * asks Kerberos for.  The host obeys spnpool_host_check().
 */
SPNPOOL_PUBLIC enum spnpool_status spnpool_url_parse(TALLOC_CTX *mem_ctx,
						     const char *text,
						     struct spnpool_url **_url);

/**
 * The SPN a browser requests for a host: "HTTP/<host>", plus ":<port>"
 * only when include_port is set and the port is not the default (as IE's
 * FEATURE_INCLUDE_PORT_IN_SPN and Chrome's EnableAuthNegotiatePort do).
 */
SPNPOOL_PUBLIC char *spnpool_url_spn(TALLOC_CTX *mem_ctx, const char *host,
				     uint16_t port, bool include_port);

/* ------------------------------------------------------------------ */
/* sPNMappings aliases                                                 */
/* ------------------------------------------------------------------ */

struct spnpool_alias_entry {
	char *target;	/* e.g. "host" */
	char **aliases; /* e.g. "http", "www", ... */
	size_t num_aliases;
};

struct spnpool_alias_map {
	struct spnpool_alias_entry *entries;
	size_t num_entries;
};

/**
 * Parse the values of sPNMappings ("host=alerter,http,www,...").
 * Class names are checked like SPN classes; empty lists, missing '=' and
 * empty names are SPNPOOL_ERR_MAPPING_SYNTAX.
 */
SPNPOOL_PUBLIC enum spnpool_status
spnpool_alias_map_parse(TALLOC_CTX *mem_ctx, const char *const *values,
			size_t num_values, struct spnpool_alias_map **_map);

/**
 * The target class an alias class maps to ("http" -> "host"), or NULL if
 * the class is no alias.  Case-insensitive; returns the map's spelling.
 */
SPNPOOL_PUBLIC const char *
spnpool_alias_target(const struct spnpool_alias_map *map,
		     const char *service_class);

/**
 * Every SPN that collides with spn through an alias: for an alias class
 * the target form ("http/X" -> "host/X"), for a target class every alias
 * form ("host/X" -> "http/X", "www/X", ...).  The text after the first
 * '/' is kept verbatim, port and service name included.  spn is split at
 * its first '/' and not otherwise validated, so stored values work too.
 *
 * @param _forms  receives a talloc array of strings (may be empty)
 * @param _num    receives its length
 */
SPNPOOL_PUBLIC enum spnpool_status
spnpool_alias_forms(TALLOC_CTX *mem_ctx, const struct spnpool_alias_map *map,
		    const char *spn, char ***_forms, size_t *_num);

/* ------------------------------------------------------------------ */
/* Conflict rules                                                      */
/* ------------------------------------------------------------------ */

/** One value found in the directory for a candidate SPN or its aliases. */
struct spnpool_holder {
	const char *account; /* stable account key (objectGUID string) */
	const char *dn;	     /* for messages */
	const char *value;   /* the stored spelling */
	bool is_computer;
};

enum spnpool_conflict {
	/* nobody holds it or an alias of it */
	SPNPOOL_CONFLICT_FREE = 0,
	/* the account holds it already (in any letter case) */
	SPNPOOL_CONFLICT_OURS,
	/* another account holds the same SPN: the directory refuses it */
	SPNPOOL_CONFLICT_DIRECT,
	/* we would add a target form (host/X) while another account holds an
	 * alias form (http/X): the DC refuses it */
	SPNPOOL_CONFLICT_ALIAS_REFUSED,
	/* we would add an alias form (http/X) while another account holds
	 * the target form (host/X): allowed with write rights on that
	 * account, and from then on the KDC issues http/X tickets for us, so
	 * services on X running as that account lose Kerberos for HTTP */
	SPNPOOL_CONFLICT_ALIAS_SHADOWS,
};

/** "free", "ours", "direct", "alias-refused", "alias-shadows". */
SPNPOOL_PUBLIC const char *spnpool_conflict_name(enum spnpool_conflict c);

/**
 * Decide what adding candidate to account means, given every holder found
 * for it and its alias forms (holders of unrelated values are ignored).
 * Precedence when several apply: direct, ours, alias-refused,
 * alias-shadows, free.  A direct conflict is reported even when the
 * account holds the SPN too (an existing duplicate).
 *
 * @param _which  receives the index of the holder that decided (not for
 *                FREE); may be NULL
 */
SPNPOOL_PUBLIC enum spnpool_conflict
spnpool_conflict_decide(const struct spnpool_alias_map *map,
			const char *candidate, const char *account,
			const struct spnpool_holder *holders,
			size_t num_holders, size_t *_which);

/* ------------------------------------------------------------------ */
/* Directory access (ldb)                                              */
/* ------------------------------------------------------------------ */

struct ldb_context;

/**
 * What the library knows of the directory behind a borrowed ldb context:
 * opaque, read once by spnpool_dir_open(); the ldb context must outlive
 * it.  Only the directory layer (source/dir.c) reads its fields.
 */
struct spnpool_dir;

/**
 * Whether ldb is a local database file opened directly (tdb or mdb: ldb
 * transactions are real) rather than a directory server reached over
 * LDAP (ldap://, ldaps://, ldapi://: a transaction does nothing, one
 * modify is the unit of atomicity).  Decided from the URL ldb_connect()
 * chose the backend by, with ldb's own rule (no scheme: a tdb file).
 *
 * @return true for a local file; false over LDAP or when ldb was not
 *         opened by ldb_connect()
 */
SPNPOOL_PUBLIC bool spnpool_dir_ldb_is_local(struct ldb_context *ldb);

/**
 * Read the rootDSE, the domain's names and sPNMappings.  The transaction
 * model follows the backend (spnpool_dir_ldb_is_local()).
 *
 * @param ldb    a connected context (a SamDB's); borrowed
 * @return LDB_SUCCESS, or an LDB error with ldb_errstring() set
 */
SPNPOOL_PUBLIC int spnpool_dir_open(TALLOC_CTX *mem_ctx,
				    struct ldb_context *ldb,
				    struct spnpool_dir **_dir);

/**
 * Make every holder search of dir (the uniqueness check before a write,
 * the verification after it, apply's pre- and postchecks) also search
 * peer, another writable DC of the same domain, so that a value held
 * there and not yet replicated to dir counts as held.
 *
 * @param dir   the directory writes go to
 * @param peer  an open directory of another DC; borrowed, must outlive dir
 * @return LDB_SUCCESS, or LDB_ERR_OPERATIONS_ERROR (out of memory, or
 *         peer is dir or a peer of its own)
 */
SPNPOOL_PUBLIC int spnpool_dir_add_peer(struct spnpool_dir *dir,
					struct spnpool_dir *peer);

/*
 * The enums of the results below are each written once, as a list of
 * (value, public name) pairs: the enum, its name function and the
 * Python export (samba_spnpool.VERDICTS, ...) are all made from it.
 */
#define SPNPOOL_ENUM_VALUE(value, name) value,
#define SPNPOOL_ENUM_NAME(value, name) [value] = name,

/*
 * Why an account must not receive SPNs (docs/design.md, "Privileged
 * accounts"); the words are samba_spnpool.render's.
 */
#define SPNPOOL_PRIVILEGED_REASONS(X)                                         \
	/* not privileged, or not checked */                                  \
	X(SPNPOOL_PRIVILEGED_NONE, "none")                                    \
	X(SPNPOOL_PRIVILEGED_KRBTGT, "krbtgt")                                \
	X(SPNPOOL_PRIVILEGED_ADMINISTRATOR, "administrator")                  \
	X(SPNPOOL_PRIVILEGED_GUEST, "guest")                                  \
	X(SPNPOOL_PRIVILEGED_DC, "domain-controller")                         \
	X(SPNPOOL_PRIVILEGED_RODC, "read-only-domain-controller")             \
	/* adminCount=1: a member, now or once, of an administrative group */ \
	X(SPNPOOL_PRIVILEGED_ADMIN_COUNT, "admin-count")                      \
	X(SPNPOOL_PRIVILEGED_DISABLED, "disabled")                            \
	/* a member (tokenGroups: nested too) of a protected group */         \
	X(SPNPOOL_PRIVILEGED_ADMINISTRATORS, "administrators")                \
	X(SPNPOOL_PRIVILEGED_ACCOUNT_OPERATORS, "account-operators")          \
	X(SPNPOOL_PRIVILEGED_SERVER_OPERATORS, "server-operators")            \
	X(SPNPOOL_PRIVILEGED_PRINT_OPERATORS, "print-operators")              \
	X(SPNPOOL_PRIVILEGED_BACKUP_OPERATORS, "backup-operators")            \
	X(SPNPOOL_PRIVILEGED_REPLICATOR, "replicator")                        \
	X(SPNPOOL_PRIVILEGED_DOMAIN_ADMINS, "domain-admins")                  \
	X(SPNPOOL_PRIVILEGED_SCHEMA_ADMINS, "schema-admins")                  \
	X(SPNPOOL_PRIVILEGED_ENTERPRISE_ADMINS, "enterprise-admins")          \
	X(SPNPOOL_PRIVILEGED_KEY_ADMINS, "key-admins")                        \
	X(SPNPOOL_PRIVILEGED_ENTERPRISE_KEY_ADMINS, "enterprise-key-admins")

enum spnpool_privileged {
	SPNPOOL_PRIVILEGED_REASONS(SPNPOOL_ENUM_VALUE) SPNPOOL_PRIVILEGED_COUNT
};

/** The reason's public name ("domain-admins", ...); "unknown" if none. */
SPNPOOL_PUBLIC const char *spnpool_privileged_name(enum spnpool_privileged p);

/** An account that can hold SPNs (a user-class object). */
struct spnpool_account {
	char *dn;
	char *guid; /* objectGUID, lower-case hex with dashes */
	char *sam_account_name;
	char *user_principal_name; /* NULL if unset */
	bool is_computer;	   /* computers, gMSAs, MSAs */
	bool is_managed;	   /* msDS-(Group)ManagedServiceAccount */
	bool disabled;		   /* userAccountControl ACCOUNTDISABLE */
	bool builtin; /* reached through an IIS built-in identity */
	/* why it must not receive SPNs, when a command that adds checked
	 * it; SPNPOOL_PRIVILEGED_NONE: it may, or not checked */
	enum spnpool_privileged privileged;
	char **spns; /* every servicePrincipalName value */
	size_t num_spns;
};

/**
 * Resolve an IDENTITY: "name", "DOMAIN\name", "name@realm" or a UPN, a
 * DN, "COMPUTER$", "gmsa$", or an IIS built-in identity (NetworkService,
 * LocalSystem, ApplicationPoolIdentity, "IIS APPPOOL\pool", "NT
 * AUTHORITY\...") which means the computer account of server.
 *
 * @param server  the web server's name (NetBIOS or FQDN), needed only for
 *                built-in identities; may be NULL
 * @return LDB_SUCCESS; LDB_ERR_INVALID_ATTRIBUTE_SYNTAX for malformed
 *         input, LDB_ERR_NO_SUCH_OBJECT when nothing or several objects
 *         match, LDB_ERR_OBJECT_CLASS_VIOLATION for a non-account (a
 *         group)
 */
SPNPOOL_PUBLIC int spnpool_dir_find_account(TALLOC_CTX *mem_ctx,
					    struct spnpool_dir *dir,
					    const char *identity,
					    const char *server,
					    struct spnpool_account **_account);

/* ------------------------------------------------------------------ */
/* Operations                                                          */
/* ------------------------------------------------------------------ */

/** What happened, or would happen, to one SPN. */
enum spnpool_spn_state {
	SPNPOOL_STATE_ADDED = 0,
	SPNPOOL_STATE_PRESENT,	  /* add: held already; nothing to do */
	SPNPOOL_STATE_WOULD_ADD,  /* dry run */
	SPNPOOL_STATE_MOVED,	  /* taken from holder_dn */
	SPNPOOL_STATE_WOULD_MOVE, /* dry run */
	SPNPOOL_STATE_CONFLICT,	  /* held by holder_dn; nothing written */
	SPNPOOL_STATE_REMOVED,
	SPNPOOL_STATE_WOULD_REMOVE, /* dry run */
	SPNPOOL_STATE_ABSENT,	    /* remove: not held; nothing to do */
	SPNPOOL_STATE_NOT_WRITTEN,  /* part of a command that failed */
};

/** "added", "present", "would-add", ... (stable: used in JSON). */
SPNPOOL_PUBLIC const char *spnpool_state_name(enum spnpool_spn_state state);

struct spnpool_spn_report {
	char *spn;    /* the SPN asked for, in our spelling */
	char *stored; /* the spelling in the directory, or NULL */
	enum spnpool_spn_state state;
	enum spnpool_conflict conflict; /* what the uniqueness check found */
	char *holder_dn;		/* the other account involved */
	char *holder_value;		/* its value that collides */
};

/*
 * What a dry run learnt of the acting user's right to write the SPNs it
 * would write (docs/design.md, "Dry runs foresee access refusals"): the
 * DC's allowedAttributesEffective of each account the write touches.
 */
#define SPNPOOL_ACCESS_STATES(X)                                               \
	/* a real run, or nothing to write: the DC decides */                  \
	X(SPNPOOL_ACCESS_NOT_CHECKED, "not-checked")                           \
	/* servicePrincipalName is writable on every account involved */       \
	X(SPNPOOL_ACCESS_ALLOWED, "allowed")                                   \
	/* not writable on access_dn: the real write is refused */             \
	X(SPNPOOL_ACCESS_DENIED, "denied")                                     \
	/* the DC did not return allowedAttributesEffective for access_dn */   \
	X(SPNPOOL_ACCESS_UNKNOWN, "unknown")                                   \
	/* not listed on access_dn, a computer: the validated write to SPNs  \
	 * (not shown in that list) may still let it write some values */ \
	X(SPNPOOL_ACCESS_VALIDATED_WRITE, "validated-write")

enum spnpool_access {
	SPNPOOL_ACCESS_STATES(SPNPOOL_ENUM_VALUE) SPNPOOL_ACCESS_COUNT
};

/** The access state's public name ("allowed", ...); "unknown" if none. */
SPNPOOL_PUBLIC const char *spnpool_access_name(enum spnpool_access a);

struct spnpool_op_result {
	struct spnpool_account *account;
	struct spnpool_spn_report *spns;
	size_t num_spns;
	bool changed; /* the directory was written */
	bool dry_run;
	enum spnpool_access access; /* dry run: may the real write be made */
	char *access_dn;    /* the account access is about (the first denied,
			    else the first not known); NULL if none */
	bool access_holder; /* access_dn is another account the write
			       touches: a HOST/ holder or a --move source */
};

/*
 * Hosts per add or remove: their SPNs and alias forms go into one holder
 * search and one modify, which a DC refuses past its request size limit
 * (Samba: 256000 bytes), dropping the connection; more are refused up
 * front (LDB_ERR_INVALID_ATTRIBUTE_SYNTAX) rather than half-tried.
 */
#define SPNPOOL_MAX_HOSTS 250

/** One add or remove command. */
struct spnpool_request {
	const char *identity;
	const char *const *hosts; /* NetBIOS names or FQDNs */
	size_t num_hosts;
	const char *port;      /* decimal text, or NULL for none */
	const char *server;    /* for built-in identities; may be NULL */
	bool move;	       /* add: take SPNs from their current holder */
	bool port_only;	       /* add: only the :port forms (port required,
			       not a default port) */
	bool dry_run;	       /* decide and report, write nothing */
	bool allow_privileged; /* add: register on krbtgt, a DC, a
				  protected admin, Guest or a disabled
				  account all the same */
};

/**
 * Make the account hold http/<NetBIOS> and http/<FQDN> of every host (and
 * the :port forms when a port is given).
 *
 * All input is validated before the directory is read.  A privileged
 * account (spnpool_account.privileged) is refused with
 * SPNPOOL_ERR_PRIVILEGED unless req->allow_privileged.  Holders of every
 * SPN and of its alias forms are searched in every naming context; only
 * missing values are added, in one modify (or one transaction on a local
 * sam.ldb, --move included).  After the write the holders are searched
 * again; if another account gained one of the SPNs meanwhile, our values
 * are deleted again and the conflict reported.
 *
 * @param _result  set on success and on a conflict (with the holders);
 *                 may be set on other failures
 * @return LDB_SUCCESS (also when nothing had to change), or an LDB error
 *         with ldb_errstring() naming the input and the rule, e.g.
 *         LDB_ERR_CONSTRAINT_VIOLATION for a conflict
 */
SPNPOOL_PUBLIC int spnpool_op_add(TALLOC_CTX *mem_ctx, struct spnpool_dir *dir,
				  const struct spnpool_request *req,
				  struct spnpool_op_result **_result);

/**
 * Take exactly the http/<NetBIOS> and http/<FQDN> SPNs of every host off
 * the account (with a port: only the :port forms), deleting the stored
 * spelling whatever case was typed, in one modify.  Absent SPNs are
 * reported, not an error.
 */
SPNPOOL_PUBLIC int spnpool_op_remove(TALLOC_CTX *mem_ctx,
				     struct spnpool_dir *dir,
				     const struct spnpool_request *req,
				     struct spnpool_op_result **_result);

enum spnpool_via {
	SPNPOOL_VIA_EXPLICIT = 0, /* holds the http SPN itself */
	SPNPOOL_VIA_HOST_ALIAS,	  /* holds host/X, which sPNMappings maps */
	SPNPOOL_VIA_COMPUTER_NAME /* computer X$: the KDC's last resort */
};

/** "explicit", "host-alias", "computer-name". */
SPNPOOL_PUBLIC const char *spnpool_via_name(enum spnpool_via via);

struct spnpool_list_entry {
	char *spn; /* the stored value (or the HTTP SPN, computer-name) */
	char *dn;
	char *sam_account_name;
	enum spnpool_via via;
};

struct spnpool_list_result {
	struct spnpool_account *account; /* NULL when listing a host */
	struct spnpool_list_entry *entries;
	size_t num_entries;
};

/**
 * With an identity: the account's HTTP SPNs (class http, any host).
 * With a host: everyone who answers for http/<NetBIOS>, http/<FQDN> and
 * their :port forms: explicit holders, host/ alias holders and the
 * computer whose cn is the first label.  Exactly one of identity and host.
 */
SPNPOOL_PUBLIC int spnpool_op_list(TALLOC_CTX *mem_ctx, struct spnpool_dir *dir,
				   const char *identity, const char *server,
				   const char *host,
				   struct spnpool_list_result **_result);

/*
 * The operations report LDB result codes (docs/design.md, "Errors"); the
 * exit status a command gives for each is the command layer's
 * (python-glue/samba_spnpool/exitcodes.py).  A target that is a
 * privileged account (krbtgt, a DC, a protected admin, Guest, a disabled
 * account) is refused with this code unless allowed:
 */
#define SPNPOOL_ERR_PRIVILEGED 53 /* LDB_ERR_UNWILLING_TO_PERFORM */

/* ------------------------------------------------------------------ */
/* AD-integrated DNS records (MS-DNSP 2.3.2.2), pure                   */
/* ------------------------------------------------------------------ */

#define SPNPOOL_DNS_TYPE_TOMBSTONE 0
#define SPNPOOL_DNS_TYPE_A 1
#define SPNPOOL_DNS_TYPE_CNAME 5
#define SPNPOOL_DNS_TYPE_AAAA 28

struct spnpool_dns_record {
	uint16_t type;	  /* SPNPOOL_DNS_TYPE_* or any other type */
	uint32_t ttl;	  /* seconds */
	char *target;	  /* CNAME: the canonical name, else NULL */
	uint8_t addr[16]; /* A: 4 bytes, AAAA: 16 bytes */
	size_t addr_len;
};

/**
 * Parse one dnsRecord value: DataLength u16 LE, Type u16 LE, Version u8
 * (5), Rank u8, Flags u16, Serial u32, TtlSeconds u32 big-endian,
 * Reserved u32, TimeStamp u32, then DataLength bytes of data.  A CNAME's
 * data is a DNS_COUNT_NAME (length, label count, labels, final 0).
 * Defensive: any inconsistency is SPNPOOL_ERR_DNS_RECORD.
 */
SPNPOOL_PUBLIC enum spnpool_status
spnpool_dns_record_parse(TALLOC_CTX *mem_ctx, const uint8_t *data, size_t len,
			 struct spnpool_dns_record **_record);

/* ------------------------------------------------------------------ */
/* check: will Kerberos work for this site?                            */
/* ------------------------------------------------------------------ */

#define SPNPOOL_VERDICTS(X)                                                    \
	X(SPNPOOL_VERDICT_KERBEROS_OK, "kerberos-ok")                          \
	/* nobody answers for the SPN */                                       \
	X(SPNPOOL_VERDICT_NTLM_FALLBACK, "ntlm-fallback")                      \
	/* another account answers */                                          \
	X(SPNPOOL_VERDICT_KERBEROS_FAILS, "kerberos-fails")                    \
	/* several accounts answer */                                          \
	X(SPNPOOL_VERDICT_DUPLICATE, "duplicate")                              \
	/* AD DNS leads nowhere: a CNAME to a name without records, or a     \
	 * CNAME loop */ \
	X(SPNPOOL_VERDICT_UNRESOLVABLE, "unresolvable")

enum spnpool_verdict {
	SPNPOOL_VERDICTS(SPNPOOL_ENUM_VALUE) SPNPOOL_VERDICT_COUNT
};

/** The verdict's public name ("kerberos-ok", ...); "unknown" if none. */
SPNPOOL_PUBLIC const char *spnpool_verdict_name(enum spnpool_verdict v);

/*
 * Why check reached its verdict: the facts behind it, one value each.
 * The words are the presentation layer's (samba_spnpool.render).
 */
#define SPNPOOL_CHECK_REASONS(X)                                              \
	/* only the expected account answers */                               \
	X(SPNPOOL_REASON_ONLY_EXPECTED, "only-expected")                      \
	/* one other account answers */                                       \
	X(SPNPOOL_REASON_OTHER_ANSWERS, "other-answers")                      \
	/* no holder, no HOST/ alias, no computer of that cn */               \
	X(SPNPOOL_REASON_NOBODY, "nobody")                                    \
	/* no holder, no HOST/ alias, and a KDC without Samba's computer-   \
	 * name fallback (not Samba: [MS-DRSR] 4.1.4.2.14 LookupSPN) */ \
	X(SPNPOOL_REASON_NOBODY_NO_FALLBACK, "nobody-no-fallback")            \
	/* several explicit holders */                                        \
	X(SPNPOOL_REASON_SEVERAL_HOLDERS, "several-holders")                  \
	/* no explicit holder; the KDC's fallback finds several */            \
	X(SPNPOOL_REASON_SEVERAL_FALLBACK, "several-fallback")                \
	/* a CNAME to a name without records in its AD zone */                \
	X(SPNPOOL_REASON_CNAME_DANGLING, "cname-dangling")                    \
	/* a CNAME loop, or a chain too long */                               \
	X(SPNPOOL_REASON_CNAME_LOOP, "cname-loop")

enum spnpool_check_reason {
	SPNPOOL_CHECK_REASONS(SPNPOOL_ENUM_VALUE) SPNPOOL_CHECK_REASON_COUNT
};

SPNPOOL_PUBLIC const char *
spnpool_check_reason_name(enum spnpool_check_reason r);

/* What AD DNS says of the last name check looked up. */
#define SPNPOOL_DNS_STATES(X)                                                 \
	/* no AD-integrated zone covers the name */                           \
	X(SPNPOOL_DNS_UNKNOWN, "unknown")                                     \
	/* a zone covers it but holds no record: clients using AD DNS       \
	 * cannot resolve it */ \
	X(SPNPOOL_DNS_MISSING, "missing")                                     \
	/* A/AAAA records */                                                  \
	X(SPNPOOL_DNS_ADDRESS, "address")                                     \
	/* still a CNAME: a chain too long, or a loop */                      \
	X(SPNPOOL_DNS_CNAME, "cname")

enum spnpool_dns_state {
	SPNPOOL_DNS_STATES(SPNPOOL_ENUM_VALUE) SPNPOOL_DNS_STATE_COUNT
};

SPNPOOL_PUBLIC const char *spnpool_dns_state_name(enum spnpool_dns_state s);

/*
 * A fix as a structured action: what to run (or do), with its arguments
 * as separate fields.  Nothing here is quoted or joined into a command
 * line: samba_spnpool.render does that (shlex for samba-tool and setspn,
 * IIS quoting for appcmd and adsutil), the same for check, audit and
 * plan.  A field the action does not use is NULL or 0; a NULL account,
 * site or site id where the action needs one is a placeholder the admin
 * fills in (the renderer writes ACCOUNT, SITE, SITE-ID).
 */
#define SPNPOOL_ACTION_KINDS(X)                                                \
	/* samba-tool spn http-pool add account host [--port] [--server]    \
	 * [--move] */  \
	X(SPNPOOL_ACTION_ADD, "add")                                           \
	/* samba-tool spn http-pool remove account host [--port] */            \
	X(SPNPOOL_ACTION_REMOVE, "remove")                                     \
	/* setspn -S spn domain\account */                                     \
	X(SPNPOOL_ACTION_SETSPN_ADD, "setspn-add")                             \
	/* setspn -D spn domain\account */                                     \
	X(SPNPOOL_ACTION_SETSPN_DELETE, "setspn-delete")                       \
	/* samba-tool dns query DC domain host ALL; the chain ends at       \
	 * target, which needs an A/AAAA record */  \
	X(SPNPOOL_ACTION_DNS_QUERY, "dns-query")                               \
	/* advice: delete the stale computer or HOST/ value among the       \
	 * answerers */  \
	X(SPNPOOL_ACTION_DELETE_STALE, "delete-stale")                         \
	/* advice: IIS 7+ kernel-mode authentication with the machine       \
	 * account (useAppPoolCredentials=false) */  \
	X(SPNPOOL_ACTION_MACHINE_KERNEL_MODE, "machine-kernel-mode")           \
	/* appcmd: useAppPoolCredentials true for site/app_path */             \
	X(SPNPOOL_ACTION_IIS_APP_POOL_CREDENTIALS, "iis-app-pool-credentials") \
	/* appcmd: useKernelMode true, useAppPoolCredentials false */          \
	X(SPNPOOL_ACTION_IIS_KERNEL_MODE, "iis-kernel-mode")                   \
	/* appcmd: remove Negotiate from the providers of site/app_path */     \
	X(SPNPOOL_ACTION_IIS_NTLM_ONLY, "iis-ntlm-only")                       \
	/* adsutil.vbs (IIS 6): NTLM only for site_id/app_path */              \
	X(SPNPOOL_ACTION_IIS6_NTLM_ONLY, "iis6-ntlm-only")                     \
	/* appcmd: pool runs as domain\account */                              \
	X(SPNPOOL_ACTION_IIS_POOL_IDENTITY, "iis-pool-identity")               \
	/* samba-tool user setpassword account --random-password, then AES   \
	 * only (or a gMSA) */ \
	X(SPNPOOL_ACTION_RANDOM_PASSWORD, "random-password")

enum spnpool_action_kind {
	SPNPOOL_ACTION_KINDS(SPNPOOL_ENUM_VALUE) SPNPOOL_ACTION_KIND_COUNT
};

SPNPOOL_PUBLIC const char *
spnpool_action_kind_name(enum spnpool_action_kind kind);

struct spnpool_action {
	enum spnpool_action_kind kind;
	const char *account; /* sAMAccountName; NULL: a placeholder */
	const char
		*domain;  /* NetBIOS (else DNS) domain: setspn, pool identity */
	const char *host; /* add, remove, dns-query */
	uint16_t port;	  /* add, remove; 0: none */
	const char *server;   /* add: --server (built-in identities) */
	const char *spn;      /* setspn-add, setspn-delete */
	const char *target;   /* dns-query: the name without records */
	const char *site;     /* IIS site; NULL: a placeholder */
	const char *site_id;  /* IIS site id (adsutil); NULL: a placeholder */
	const char *app_path; /* IIS application path; NULL or "/": the root */
	const char *pool;     /* iis-pool-identity: the application pool */
	bool move;	      /* add: --move */
};

/** Which name a client puts into the SPN. */
enum spnpool_client_model {
	/* canonicalises like a browser or MIT with dns_canonicalize_hostname
	 * = true: a short name becomes <name>.<domain>, CNAMEs are followed
	 * to their target */
	SPNPOOL_CLIENT_BROWSER = 0,
	/* asks for the host as typed in the URL (MIT with
	 * dns_canonicalize_hostname = false, many scripts and libraries) */
	SPNPOOL_CLIENT_AS_TYPED,
};

/** "browser", "as-typed". */
SPNPOOL_PUBLIC const char *
spnpool_client_model_name(enum spnpool_client_model m);

struct spnpool_check_request {
	const char *target;   /* URL or host name */
	const char *identity; /* the account the pool runs as */
	const char *server;   /* the web server, for built-in identities */
	bool kernel_mode;     /* IIS kernel-mode auth, useAppPoolCredentials
				 off: tickets are decrypted with the
				 machine account of server */
	bool include_port;    /* the client puts the port in the SPN */
	enum spnpool_client_model client; /* which name goes into the SPN */
};

/** An account the KDC would consider for the SPN. */
struct spnpool_answerer {
	char *dn;
	char *sam_account_name;
	char *value; /* the SPN value that matched (computer-name: NULL) */
	enum spnpool_via via;
};

struct spnpool_check_result {
	char *host;	    /* from the URL, lower case */
	uint16_t port;	    /* 0: default */
	char **cname_chain; /* names followed in AD DNS */
	size_t num_cnames;
	enum spnpool_dns_state dns;   /* what AD DNS says of the last name */
	char *spn;		      /* what the browser requests */
	struct spnpool_account *pool; /* the account the pool runs as */
	struct spnpool_account *expected; /* who must answer (pool, or
					     the machine in kernel mode) */
	struct spnpool_answerer *answerers;
	size_t num_answerers;
	enum spnpool_verdict verdict;
	enum spnpool_check_reason reason; /* the facts behind the verdict */
	/* the domain setspn's fixes name accounts in (NetBIOS, else DNS) */
	const char *domain;
	/* the name the client asks for (after CNAMEs, with the domain) */
	const char *name;
	bool kernel_mode; /* the request's: IIS kernel mode */
	/* the fixes, in the order to consider them */
	struct spnpool_action *fixes;
	size_t num_fixes;
	enum spnpool_client_model client; /* the model this result assumes */
	const char *kdc;		  /* the KDC rules modelled: "samba" */
	/* the same check under the other client model (its own other is
	 * NULL); a child of this result */
	struct spnpool_check_result *other;
};

/**
 * Predict what a client gets for target when the pool runs as identity:
 * the SPN it requests (req->client: a browser canonicalises short names
 * and follows CNAMEs in the AD-integrated zones; as-typed does neither),
 * who Samba's KDC picks for it (the exact holders; if none, one search
 * for host/X on users or a computer whose cn is X's first label, where
 * two or more results mean "unknown"), and the verdict with its fixes.
 * The result also carries the verdict under the other client model.
 * Windows KDCs ([MS-DRSR] LookupSPN) are not modelled.
 */
/* _result is set on success only. */
SPNPOOL_PUBLIC int spnpool_op_check(TALLOC_CTX *mem_ctx,
				    struct spnpool_dir *dir,
				    const struct spnpool_check_request *req,
				    struct spnpool_check_result **_result);

/* ------------------------------------------------------------------ */
/* audit: every broken HTTP registration                               */
/* ------------------------------------------------------------------ */

#define SPNPOOL_FINDING_KINDS(X)                                       \
	/* one SPN on several accounts */                              \
	X(SPNPOOL_FINDING_DUPLICATE, "duplicate")                      \
	/* http/X elsewhere than host/X */                             \
	X(SPNPOOL_FINDING_SHADOWS_HOST, "shadows-host")                \
	/* only one of NetBIOS/FQDN forms */                           \
	X(SPNPOOL_FINDING_MISSING_FORM, "missing-form")                \
	/* HTTP SPNs on a disabled account */                          \
	X(SPNPOOL_FINDING_DISABLED, "disabled")                        \
	/* HTTP SPNs on an account whose tickets are cheap to crack */ \
	X(SPNPOOL_FINDING_KERBEROASTABLE, "kerberoastable")

enum spnpool_finding_kind {
	SPNPOOL_FINDING_KINDS(SPNPOOL_ENUM_VALUE) SPNPOOL_FINDING_KIND_COUNT
};

/** The finding kind's public name ("duplicate", ...). */
SPNPOOL_PUBLIC const char *spnpool_finding_name(enum spnpool_finding_kind kind);

struct spnpool_finding {
	enum spnpool_finding_kind kind;
	char *spn;   /* the SPN concerned (stored spelling) */
	char **dns;  /* accounts involved, the first is the subject */
	char **sams; /* their sAMAccountNames (the DN if none) */
	size_t num_dns;
	/* an account of the scan was deleted since: its dns and sams
	 * entries are NULL */
	bool account_gone;
	char *host;    /* the SPN's host */
	uint16_t port; /* the SPN's port; 0: none */
	/* shadows-host: the host/ value; missing-form: the missing one */
	char *other_spn;
	unsigned password_days;		/* kerberoastable: the password's age */
	unsigned max_password_age_days; /* kerberoastable: the limit */
	struct spnpool_action *fixes;	/* how to repair it */
	size_t num_fixes;
};

struct spnpool_audit_request {
	bool all_classes;   /* duplicates of every class, not only http */
	unsigned page_size; /* 0: the directory's default */
	/* called every so often while scanning; may be NULL */
	void (*progress)(void *private_data, uint64_t entries, uint64_t values);
	void *progress_data;
	/* kerberoastable: a user (not a computer, MSA or gMSA) holding HTTP
	 * SPNs, allowing RC4 (msDS-SupportedEncryptionTypes unset, 0 or
	 * with RC4_HMAC) and whose pwdLastSet is more than this many days
	 * before now; 0: 365 */
	unsigned max_password_age_days;
	int64_t now; /* seconds since 1970; 0: the current time */
};

struct spnpool_audit_result {
	uint64_t entries_read;
	uint64_t values_read;
	uint64_t distinct_spns;
	struct spnpool_finding *findings;
	size_t num_findings;
};

/**
 * Scan every naming context (paged) once and report every duplicate,
 * shadowed HOST/, half registration and HTTP SPN on a disabled account.
 * Memory grows with the number of distinct SPNs considered, not with the
 * entries read.
 */
/* _result is set on success only. */
SPNPOOL_PUBLIC int spnpool_op_audit(TALLOC_CTX *mem_ctx,
				    struct spnpool_dir *dir,
				    const struct spnpool_audit_request *req,
				    struct spnpool_audit_result **_result);

/** An SPN on an account that some writable DCs hold and others lack. */
struct spnpool_dc_diff {
	char *spn;		 /* the value, as the first DC stores it */
	char *account_dn;	 /* its account */
	const char **present_on; /* names of the DCs that hold it */
	size_t num_present;
	const char **missing_on; /* names of the DCs that lack it */
	size_t num_missing;
	/* another account holds the same SPN on some DC: a duplicate once
	 * replication settles */
	bool duplicate_after_replication;
};

struct spnpool_dc_diff_result {
	const char **dcs; /* the DCs compared: dir's first, then its peers */
	size_t num_dcs;
	struct spnpool_dc_diff *diffs;
	size_t num_diffs;
};

/**
 * Compare the SPNs of dir's DC with those of every peer
 * (spnpool_dir_add_peer()): each (account, SPN) pair that not every DC
 * holds, in every naming context, is a disagreement (replication pending,
 * or an update lost to AD's last-writer-wins replication of the whole
 * attribute).  Sorted by account (objectGUID), then SPN.  Every DC is read
 * once; memory grows with the SPN values of all of them.
 *
 * @return LDB_SUCCESS, or an LDB error with ldb_errstring(dir->ldb) naming
 *         the DC that could not be read; _result is set on success only
 */
SPNPOOL_PUBLIC int
spnpool_op_compare_dcs(TALLOC_CTX *mem_ctx, struct spnpool_dir *dir,
		       struct spnpool_dc_diff_result **_result);

/* ------------------------------------------------------------------ */
/* Web server configuration: IIS applicationHost.config, pools files   */
/* ------------------------------------------------------------------ */

/** How a pool authenticates on the network. */
enum spnpool_pool_identity_type {
	SPNPOOL_POOL_SPECIFIC_USER = 0, /* a domain account */
	SPNPOOL_POOL_NETWORK_SERVICE,	/* the computer account */
	SPNPOOL_POOL_LOCAL_SYSTEM,	/* the computer account */
	SPNPOOL_POOL_APP_POOL_IDENTITY, /* the computer account */
	SPNPOOL_POOL_LOCAL_SERVICE,	/* anonymous: never Kerberos */
};

/**
 * One name under which browsers reach one application pool: an IIS
 * binding of a site, for each pool serving an application of that site,
 * or a host of a pools-file entry.
 */
struct spnpool_web_binding {
	char *site;	/* IIS site name, or the pools file's pool name */
	char *site_id;	/* IIS site id (adsutil's w3svc/ID), or NULL */
	char *app_path; /* IIS application path ("/"), or NULL */
	char *pool;	/* application pool name */
	enum spnpool_pool_identity_type identity_type;
	char *user_name; /* SPECIFIC_USER: the IDENTITY text, else NULL */
	char *host;	 /* the host header; NULL: any name (the server's) */
	uint16_t port;	 /* 0: the scheme's default */
	bool https;
	bool windows_auth;	       /* Windows authentication enabled */
	bool negotiate;		       /* Negotiate among the providers */
	bool kernel_mode;	       /* IIS useKernelMode */
	bool use_app_pool_credentials; /* IIS useAppPoolCredentials */
};

struct spnpool_web_config {
	char *source; /* "iis" or "pools" */
	struct spnpool_web_binding *bindings;
	size_t num_bindings;
};

/**
 * Parse an IIS 7+ applicationHost.config (as copied from the server) with
 * libxml2: pools (processModel identityType, userName; the pool
 * defaults), sites with their bindings ("IP:port:host") and the pool of
 * each application, and windowsAuthentication (enabled, providers,
 * useKernelMode, useAppPoolCredentials) at server, site and location
 * level, the most specific winning.  Refuses DTDs and entities, network
 * access, files over 16 MiB and malformed XML (SPNPOOL_ERR_CONFIG, with
 * the line in *_error).
 *
 * One binding per (binding, application) pair: two applications of one
 * pool give two bindings, since authentication is set per application.
 * The binding's IP address is not kept (a host-less binding means the
 * server's own names).
 *
 * @param _error  may be NULL; on SPNPOOL_ERR_CONFIG receives one sentence
 *                ("line N: ...") allocated on mem_ctx, else NULL
 */
SPNPOOL_PUBLIC enum spnpool_status
spnpool_iis_config_parse(TALLOC_CTX *mem_ctx, const char *xml, size_t len,
			 struct spnpool_web_config **_config, char **_error);

/**
 * Parse a pools file (format in docs/samba-tool-spn-http-pool.8, POOLS
 * FILE): pools for non-IIS HTTP services, each with an identity, host
 * names and optional ports.  SPNPOOL_ERR_CONFIG with the line in *_error
 * (as for spnpool_iis_config_parse()).
 */
SPNPOOL_PUBLIC enum spnpool_status
spnpool_pools_file_parse(TALLOC_CTX *mem_ctx, const char *text, size_t len,
			 struct spnpool_web_config **_config, char **_error);

/* ------------------------------------------------------------------ */
/* plan: many pools at once                                            */
/* ------------------------------------------------------------------ */

enum spnpool_change_action {
	SPNPOOL_CHANGE_ADD = 0,
	SPNPOOL_CHANGE_DELETE,
};

/* Why a plan wants a change (spnpool_change.why). */
#define SPNPOOL_CHANGE_WHYS(X)                                           \
	X(SPNPOOL_WHY_NONE, "none")                                      \
	/* the value moves to why_account */                             \
	X(SPNPOOL_WHY_MOVED_TO, "moved-to")                              \
	/* why_account answers for why_name */                           \
	X(SPNPOOL_WHY_ANSWERS_FOR, "answers-for")                        \
	/* the value would take the name from the machine why_account */ \
	X(SPNPOOL_WHY_MACHINE_NAME, "machine-name")

enum spnpool_why {
	SPNPOOL_CHANGE_WHYS(SPNPOOL_ENUM_VALUE) SPNPOOL_CHANGE_WHY_COUNT
};

SPNPOOL_PUBLIC const char *spnpool_why_name(enum spnpool_why w);

/** One exact-value change of one account's servicePrincipalName. */
struct spnpool_change {
	enum spnpool_change_action action;
	char *dn;
	char *sam_account_name;
	char *spn;
	/* apply: the reviewer's text of why, carried into the result as
	 * given; plan leaves it NULL (spnpool_plan.whys has the facts) */
	char *reason;
};

/** Why a plan wants the change of the same index. */
struct spnpool_change_why {
	enum spnpool_why why;
	const char *account; /* the account the why speaks of */
	const char *name;    /* answers-for: the name */
};

#define SPNPOOL_RESOLUTION_KINDS(X)                                       \
	/* one domain account (account) for every pool of the name */     \
	X(SPNPOOL_RESOLUTION_SHARED_ACCOUNT, "shared-account")            \
	/* a host name per pool */                                        \
	X(SPNPOOL_RESOLUTION_DISTINCT_NAMES, "distinct-names")            \
	/* IIS kernel mode with the machine account (one server only) */  \
	X(SPNPOOL_RESOLUTION_KERNEL_MODE, "kernel-mode")                  \
	/* Kerberos for pool (running as account), NTLM for the others */ \
	X(SPNPOOL_RESOLUTION_NTLM_ONLY, "ntlm-only")

enum spnpool_resolution_kind {
	SPNPOOL_RESOLUTION_KINDS(SPNPOOL_ENUM_VALUE)
		SPNPOOL_RESOLUTION_KIND_COUNT
};

SPNPOOL_PUBLIC const char *
spnpool_resolution_kind_name(enum spnpool_resolution_kind kind);

/** One way out of several pools behind one name, best first. */
struct spnpool_resolution {
	enum spnpool_resolution_kind kind;
	/* shared-account: the suggested account (svc-<label>); ntlm-only:
	 * the account that keeps Kerberos */
	const char *account;
	const char *domain; /* shared-account: the account's domain */
	const char *pool;   /* ntlm-only: the pool that keeps Kerberos */
	struct spnpool_action *actions;
	size_t num_actions;
	bool chosen; /* what the plan's changes implement */
};

/** A pool serving a name: where it runs and as whom. */
struct spnpool_plan_user {
	char *server; /* the web server, or NULL (pools files: any) */
	char *site;
	char *site_id; /* IIS site id, or NULL */
	char *app_path;
	char *pool;
	char *account_dn; /* who decrypts its tickets; NULL: nobody */
	char *account_sam;
	/* the IDENTITY that resolves to account_dn (with server for the
	 * built-in "NetworkService"); NULL: nobody.  apply resolves it
	 * again: a plan's adds may only target these accounts. */
	char *identity;
	bool kernel_mode;
	bool use_app_pool_credentials;
};

#define SPNPOOL_PLAN_DECISIONS(X)                                      \
	/* the account must hold http/<NetBIOS> and http/<FQDN> */     \
	X(SPNPOOL_DECISION_REGISTER, "register")                       \
	/* the machine account answers already, through HOST/ */       \
	X(SPNPOOL_DECISION_NOTHING, "nothing")                         \
	/* several accounts; resolved as the chosen resolution says */ \
	X(SPNPOOL_DECISION_CONFLICT, "conflict")                       \
	/* no Windows authentication with Negotiate */                 \
	X(SPNPOOL_DECISION_SKIPPED, "skipped")

enum spnpool_plan_decision {
	SPNPOOL_PLAN_DECISIONS(SPNPOOL_ENUM_VALUE) SPNPOOL_PLAN_DECISION_COUNT
};

SPNPOOL_PUBLIC const char *
spnpool_plan_decision_name(enum spnpool_plan_decision d);

/** What the plan decided for one name browsers use. */
struct spnpool_plan_name {
	char *netbios; /* NULL when the first label is too long */
	char *fqdn;
	struct spnpool_plan_user *users;
	size_t num_users;
	enum spnpool_plan_decision decision;
	char *account_dn; /* who must answer for the name, or NULL */
	char *account_sam;
	/* conflict: how many accounts serve the name, and whether they are
	 * all machine accounts (pools on several servers) */
	size_t num_accounts;
	bool farm_of_machines;
	struct spnpool_resolution *resolutions;
	size_t num_resolutions;
	/* a conflict with no resolution chosen: nothing of this name is in
	 * the changes until the admin picks one and plans again */
	bool unresolved;
	/* the account that would answer is privileged (why): its SPNs are
	 * not in the changes unless planned with allow_privileged;
	 * SPNPOOL_PRIVILEGED_NONE otherwise */
	enum spnpool_privileged privileged;
	/* server-side settings the plan relies on */
	struct spnpool_action *iis_actions;
	size_t num_iis_actions;
};

#define SPNPOOL_NOTE_KINDS(X)                                                  \
	/* site listens on port: browsers leave it out of the SPN unless    \
	 * configured to include it (fqdn, port) */  \
	X(SPNPOOL_NOTE_PORT, "port")                                           \
	/* pool runs as LocalService: anonymous, never Kerberos */             \
	X(SPNPOOL_NOTE_LOCAL_SERVICE, "local-service")                         \
	/* account is privileged (privileged says why): nothing planned      \
	 * for fqdn */ \
	X(SPNPOOL_NOTE_PRIVILEGED, "privileged")                               \
	/* fqdn: a conflict with no resolution chosen */                       \
	X(SPNPOOL_NOTE_UNRESOLVED, "unresolved")                               \
	/* account would hold values servicePrincipalName values, more than \
	 * SPNPOOL_PLAN_MAX_VALUES */  \
	X(SPNPOOL_NOTE_TOO_MANY_VALUES, "too-many-values")

enum spnpool_note_kind {
	SPNPOOL_NOTE_KINDS(SPNPOOL_ENUM_VALUE) SPNPOOL_NOTE_KIND_COUNT
};

SPNPOOL_PUBLIC const char *spnpool_note_kind_name(enum spnpool_note_kind k);

/** Something the plan's reviewer must know, kept once. */
struct spnpool_plan_note {
	enum spnpool_note_kind kind;
	const char *site;
	const char *pool;
	const char *fqdn;
	uint16_t port;
	const char *account;
	enum spnpool_privileged privileged;
	unsigned values; /* too-many-values: the count after the plan, */
	unsigned limit;	 /* and SPNPOOL_PLAN_MAX_VALUES */
};

/* Past this many servicePrincipalName values a plan warns: Windows keeps
 * an object's non-linked values on one 8 KB database page and refuses a
 * write past about 1,200 of them (LDAP 11, adminLimitExceeded). */
#define SPNPOOL_PLAN_MAX_VALUES 1000

struct spnpool_plan {
	struct spnpool_plan_name *names;
	size_t num_names;
	struct spnpool_change *changes;	 /* in the order apply runs them */
	struct spnpool_change_why *whys; /* one per change */
	size_t num_changes;
	struct spnpool_plan_note *notes;
	size_t num_notes;
};

/**
 * Decide, for every name of config, which account must hold
 * http/<NetBIOS> and http/<FQDN>, compare with the directory and list the
 * changes.  servers names the web server(s) the config belongs to: their
 * computer accounts serve built-in identities, kernel mode and bindings
 * without a host header.  Several accounts behind one name are the
 * conflict of docs/admin-guide.md, situation 3: the resolutions are ranked and the plan's changes
 * implement the chosen one (the root application's pool keeps Kerberos,
 * the others get NTLM-only commands).  A name whose account would be a
 * privileged one (spnpool_plan_name.privileged) gets no changes and a
 * note naming the alternative, unless allow_privileged.
 */
SPNPOOL_PUBLIC int spnpool_op_plan(TALLOC_CTX *mem_ctx, struct spnpool_dir *dir,
				   const struct spnpool_web_config *config,
				   const char *const *servers,
				   size_t num_servers, bool allow_privileged,
				   struct spnpool_plan **_plan);

/* ------------------------------------------------------------------ */
/* apply / undo                                                        */
/* ------------------------------------------------------------------ */

enum spnpool_change_state {
	SPNPOOL_CHANGE_DONE = 0,
	SPNPOOL_CHANGE_ALREADY,	 /* the directory was so already */
	SPNPOOL_CHANGE_PLANNED,	 /* dry run */
	SPNPOOL_CHANGE_NOT_DONE, /* not reached, or rolled back */
	SPNPOOL_CHANGE_FAILED,	 /* the step that met the surprise */
};

/** "done", "already", "planned", "not-done", "failed". */
SPNPOOL_PUBLIC const char *
spnpool_change_state_name(enum spnpool_change_state state);

struct spnpool_apply_result {
	struct spnpool_change *changes;
	enum spnpool_change_state *states;
	size_t num_changes;
	bool changed;
	char *ldif;		    /* dry run: the exact LDAP changes */
	enum spnpool_access access; /* dry run: as spnpool_op_result's */
	char *access_dn;
	bool access_holder;
};

/** A name a plan covers and the pools (identity, server) serving it. */
struct spnpool_scope_name {
	const char *fqdn;
	const char *const *identities; /* IDENTITY texts */
	const char *const *servers;    /* per identity: the web server or
					  NULL */
	size_t num_identities;
};

/**
 * What a plan may touch (a file never makes
 * the tool do what its own commands would refuse): only http/<NetBIOS>
 * and http/<FQDN> of these names (no port, no service name), adds only on
 * an account one of the name's identities resolves to now, never on a
 * privileged account unless allow_privileged.
 */
struct spnpool_apply_scope {
	const struct spnpool_scope_name *names;
	size_t num_names;
	bool allow_privileged;
};

/**
 * Execute changes in order.  On a local sam.ldb: one transaction, all or
 * nothing.  Over LDAP: each change is one exact-value modify, checked
 * first (an add whose SPN another account holds is a surprise); the first
 * surprise or failure stops the run and the changes made are reversed.  Each change is written to the journal
 * (fsync'd) before it is made, and marked done after; undo replays it.
 * Changes already in effect are skipped, so applying twice is harmless.
 *
 * Every change is first checked against scope, before the journal is
 * created or anything written: a change outside it is refused with
 * LDB_ERR_INVALID_ATTRIBUTE_SYNTAX (a privileged target with
 * SPNPOOL_ERR_PRIVILEGED) naming the change and the rule.
 *
 * @param scope    the names and identities of the plan (never NULL)
 * @param journal  path of the journal file to create (must not exist);
 *                 NULL for dry runs
 * @param dry_run  decide and fill result->ldif, write nothing
 * @param _result  the state of every change; set whenever the run started,
 *                 also when it failed
 */
SPNPOOL_PUBLIC int spnpool_op_apply(TALLOC_CTX *mem_ctx,
				    struct spnpool_dir *dir,
				    const struct spnpool_apply_scope *scope,
				    const struct spnpool_change *changes,
				    size_t num_changes, const char *journal,
				    bool dry_run,
				    struct spnpool_apply_result **_result);

/**
 * Restore the state before the apply recorded in journal: the done
 * changes are reversed, in reverse order, the same way apply works.
 * Refuses (LDB_ERR_CONSTRAINT_VIOLATION, naming the SPN) without writing
 * anything if any of those SPNs changed since, and refuses a journal
 * already undone.  The journal is untrusted: a record whose checksum
 * does not match, a loose number or an empty journal is refused
 * (LDB_ERR_INVALID_ATTRIBUTE_SYNTAX), and so is any value apply would
 * not write (only http/<host>); giving a value back to a privileged
 * account is refused (SPNPOOL_ERR_PRIVILEGED) unless allow_privileged.
 */
SPNPOOL_PUBLIC int spnpool_op_undo(TALLOC_CTX *mem_ctx, struct spnpool_dir *dir,
				   const char *journal, bool dry_run,
				   bool allow_privileged,
				   struct spnpool_apply_result **_result);

#endif /* SPNPOOL_H */
