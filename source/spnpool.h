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

/**
 * Why an input was refused.  Every value has a one-sentence rule from
 * spnpool_status_string(); callers add the offending input.
 */
enum spnpool_status {
	SPNPOOL_OK = 0,
	SPNPOOL_ERR_EMPTY,
	SPNPOOL_ERR_TOO_LONG,
	SPNPOOL_ERR_BAD_UTF8,
	SPNPOOL_ERR_CONTROL_CHAR,
	SPNPOOL_ERR_WHITESPACE,
	SPNPOOL_ERR_NO_SLASH,
	SPNPOOL_ERR_TOO_MANY_PARTS,
	SPNPOOL_ERR_EMPTY_CLASS,
	SPNPOOL_ERR_BAD_CLASS,
	SPNPOOL_ERR_EMPTY_HOST,
	SPNPOOL_ERR_EMPTY_SERVICE_NAME,
	SPNPOOL_ERR_BAD_SERVICE_NAME,
	SPNPOOL_ERR_BAD_PORT,
	SPNPOOL_ERR_PORT_RANGE,
	SPNPOOL_ERR_HOST_NON_ASCII,
	SPNPOOL_ERR_HOST_CHAR,
	SPNPOOL_ERR_HOST_LABEL_EMPTY,
	SPNPOOL_ERR_HOST_LABEL_TOO_LONG,
	SPNPOOL_ERR_HOST_TOO_LONG,
	SPNPOOL_ERR_HOST_HYPHEN,
	SPNPOOL_ERR_HOST_NUMERIC,
	SPNPOOL_ERR_HOST_TRAILING_DOT,
	SPNPOOL_ERR_NETBIOS_TOO_LONG,
	SPNPOOL_ERR_NO_DOMAIN,
	SPNPOOL_ERR_URL_SCHEME,
	SPNPOOL_ERR_URL_SYNTAX,
	SPNPOOL_ERR_MAPPING_SYNTAX,
	SPNPOOL_ERR_NO_MEMORY,
	SPNPOOL_STATUS_COUNT
};

/**
 * The rule an input broke, as one sentence without a trailing period
 * ("the port must be a decimal number from 1 to 65535").  Never NULL;
 * static storage.
 */
SPNPOOL_PUBLIC const char *spnpool_status_string(enum spnpool_status status);

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
SPNPOOL_PUBLIC enum spnpool_status spnpool_spn_parse_len(TALLOC_CTX *mem_ctx,
							 const char *text,
							 size_t len,
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
 * NetBIOS = its first label in upper case.  The NetBIOS form must fit in
 * 15 characters (SPNPOOL_ERR_NETBIOS_TOO_LONG otherwise).
 *
 * @param dns_domain  the domain's DNS name (e.g. "example.test"); only
 *                    needed for a short host, SPNPOOL_ERR_NO_DOMAIN if
 *                    NULL then
 * @param _netbios    receives e.g. "WEB01"
 * @param _fqdn       receives e.g. "web01.example.test"
 */
SPNPOOL_PUBLIC enum spnpool_status spnpool_host_forms(TALLOC_CTX *mem_ctx,
						      const char *host,
						      const char *dns_domain,
						      char **_netbios,
						      char **_fqdn);

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
SPNPOOL_PUBLIC char *spnpool_url_spn(TALLOC_CTX *mem_ctx,
				     const char *host,
				     uint16_t port,
				     bool include_port);

/* ------------------------------------------------------------------ */
/* sPNMappings aliases                                                 */
/* ------------------------------------------------------------------ */

struct spnpool_alias_entry {
	char *target;	  /* e.g. "host" */
	char **aliases;	  /* e.g. "http", "www", ... */
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
spnpool_alias_map_parse(TALLOC_CTX *mem_ctx,
			const char *const *values,
			size_t num_values,
			struct spnpool_alias_map **_map);

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
spnpool_alias_forms(TALLOC_CTX *mem_ctx,
		    const struct spnpool_alias_map *map,
		    const char *spn,
		    char ***_forms,
		    size_t *_num);

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
			const char *candidate,
			const char *account,
			const struct spnpool_holder *holders,
			size_t num_holders,
			size_t *_which);

#endif /* SPNPOOL_H */
