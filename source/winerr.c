/*
 * Windows' extended errors.  A Windows DC starts LDAPResult.errorMessage
 * with its own error, a Win32 code as 8 hex digits ("000021C7: AtrErr:
 * DSID-03200BBA, ... problem 1005 (CONSTRAINT_ATT_TYPE), data 0, Att 90303
 * (servicePrincipalName)"); Samba does the same with its WERROR codes
 * ("0000202F: samldb: ...").  Samba's ldap client wraps the text in
 * "LDAP error N NAME - <text> <referral>".
 *
 * This file maps the code to a fact the commands act on, and rewrites the
 * error of a failed write or scan into a sentence that says what happened
 * and what to do (docs/windows.md).  The codes are those of Samba's
 * werror table (WERR_DS_*), which follows Windows' winerror.h.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <ldb.h>
#include <ldb_module.h>

#include "spnpool_private.h"

static const struct spnpool_winerr winerr_table[] = {
	{0x00000005, "ERROR_ACCESS_DENIED", SPNPOOL_WINERR_ACCESS,
	 "access is denied"},
	{0x00000057, "ERROR_INVALID_PARAMETER", SPNPOOL_WINERR_SYNTAX,
	 "the DC could not read a value of the request"},
	{0x0000200B, "ERROR_DS_INVALID_ATTRIBUTE_SYNTAX", SPNPOOL_WINERR_SYNTAX,
	 "a value does not fit the attribute's syntax"},
	{0x0000200D, "ERROR_DS_ATTRIBUTE_OR_VALUE_EXISTS",
	 SPNPOOL_WINERR_EXISTS, "the object already holds the value"},
	{0x0000200E, "ERROR_DS_BUSY", SPNPOOL_WINERR_BUSY, "the DC is busy"},
	{0x0000200F, "ERROR_DS_UNAVAILABLE", SPNPOOL_WINERR_BUSY,
	 "the directory service is unavailable"},
	{0x00002014, "ERROR_DS_OBJ_CLASS_VIOLATION", SPNPOOL_WINERR_CONSTRAINT,
	 "the object's class does not allow the change"},
	{0x00002020, "ERROR_DS_OPERATIONS_ERROR", SPNPOOL_WINERR_OTHER,
	 "the DC failed to carry out the operation"},
	{0x00002022, "ERROR_DS_TIMELIMIT_EXCEEDED", SPNPOOL_WINERR_BUSY,
	 "the DC's time limit for the request was exceeded"},
	{0x00002023, "ERROR_DS_SIZELIMIT_EXCEEDED", SPNPOOL_WINERR_LIMIT,
	 "the DC's size limit for the request was exceeded"},
	{0x00002024, "ERROR_DS_ADMIN_LIMIT_EXCEEDED",
	 SPNPOOL_WINERR_TOO_MANY_VALUES,
	 "an administrative limit was exceeded: an object's non-linked "
	 "values must fit one database page (about 1,200 values)"},
	{0x00002028, "ERROR_DS_STRONG_AUTH_REQUIRED", SPNPOOL_WINERR_AUTH,
	 "the DC requires a signed or sealed connection"},
	{0x00002029, "ERROR_DS_INAPPROPRIATE_AUTH", SPNPOOL_WINERR_AUTH,
	 "the DC does not accept this kind of authentication"},
	{0x0000202B, "ERROR_DS_REFERRAL", SPNPOOL_WINERR_REFERRAL,
	 "the DC refers the request to another DC"},
	{0x0000202D, "ERROR_DS_CONFIDENTIALITY_REQUIRED", SPNPOOL_WINERR_AUTH,
	 "the DC requires an encrypted connection"},
	{0x0000202F, "ERROR_DS_CONSTRAINT_VIOLATION", SPNPOOL_WINERR_CONSTRAINT,
	 "the change breaks a constraint of the directory"},
	{0x00002030, "ERROR_DS_NO_SUCH_OBJECT", SPNPOOL_WINERR_NO_OBJECT,
	 "there is no such object"},
	{0x00002032, "ERROR_DS_INVALID_DN_SYNTAX", SPNPOOL_WINERR_SYNTAX,
	 "the DN is not valid"},
	{0x00002035, "ERROR_DS_UNWILLING_TO_PERFORM", SPNPOOL_WINERR_UNWILLING,
	 "the DC is unwilling to perform the change"},
	{0x00002037, "ERROR_DS_NAMING_VIOLATION", SPNPOOL_WINERR_CONSTRAINT,
	 "the name breaks a naming rule of the directory"},
	{0x00002071, "ERROR_DS_OBJ_STRING_NAME_EXISTS", SPNPOOL_WINERR_EXISTS,
	 "an object of that name already exists"},
	{0x0000208D, "ERROR_DS_OBJ_NOT_FOUND", SPNPOOL_WINERR_NO_OBJECT,
	 "the object was not found"},
	{0x00002098, "ERROR_DS_INSUFF_ACCESS_RIGHTS", SPNPOOL_WINERR_ACCESS,
	 "the account used lacks the right to make this change"},
	{0x000021C7, "ERROR_DS_SPN_VALUE_NOT_UNIQUE_IN_FOREST",
	 SPNPOOL_WINERR_SPN_NOT_UNIQUE,
	 "another object in the forest already holds the SPN"},
	{0x000021C8, "ERROR_DS_UPN_VALUE_NOT_UNIQUE_IN_FOREST",
	 SPNPOOL_WINERR_UPN_NOT_UNIQUE,
	 "another object in the forest already holds the UPN"},
};

static bool is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	       (c >= 'A' && c <= 'F');
}

/* 8 hex digits and a colon at p. */
static bool code_at(const char *p, uint32_t *_code)
{
	char digits[9];
	int i;

	for (i = 0; i < 8; i++) {
		if (!is_hex(p[i])) {
			return false;
		}
		digits[i] = p[i];
	}
	if (p[8] != ':') {
		return false;
	}
	digits[8] = '\0';
	*_code = (uint32_t)strtoul(digits, NULL, 16);
	return true;
}

bool spnpool_winerr_parse(const char *text, uint32_t *_code)
{
	const char *p = text;

	if (text == NULL) {
		return false;
	}
	if (code_at(text, _code)) {
		return true;
	}
	/* Samba's ldap client: "LDAP error N NAME - <text> <referral>" */
	while ((p = strchr(p, '<')) != NULL) {
		p++;
		if (code_at(p, _code)) {
			return true;
		}
	}
	return false;
}

const struct spnpool_winerr *spnpool_winerr_lookup(uint32_t code)
{
	size_t i;

	for (i = 0; i < sizeof(winerr_table) / sizeof(winerr_table[0]); i++) {
		if (winerr_table[i].code == code) {
			return &winerr_table[i];
		}
	}
	return NULL;
}

const struct spnpool_winerr *spnpool_winerr_from_text(const char *text)
{
	uint32_t code;

	if (!spnpool_winerr_parse(text, &code)) {
		return NULL;
	}
	return spnpool_winerr_lookup(code);
}

char *spnpool_winerr_referral_host(TALLOC_CTX *mem_ctx, const char *text)
{
	const char *p = NULL;
	size_t len;

	if (text == NULL) {
		return NULL;
	}
	/* the referral URL (RFC 4511 4.1.10), as Samba's client shows it */
	p = strstr(text, "ldap://");
	if (p != NULL) {
		p += 7;
		len = strcspn(p, "/:> \t\n");
		return len > 0 ? talloc_strndup(mem_ctx, p, len) : NULL;
	}
	/* else Windows' own text: "... 1 access points ref 1: 'host'" */
	p = strstr(text, "ref 1: '");
	if (p != NULL) {
		p += 8;
		len = strcspn(p, "'");
		return len > 0 ? talloc_strndup(mem_ctx, p, len) : NULL;
	}
	return NULL;
}

/* The server's text without Samba's "LDAP error N NAME - " prefix. */
static const char *server_text(const char *errstring)
{
	const char *p = NULL;

	if (errstring == NULL) {
		return "";
	}
	p = strstr(errstring, " - <");
	return p != NULL ? p + 3 : errstring;
}

/* How many servicePrincipalName values dn holds (all ranges read). */
static int count_spns(struct spnpool_dir *dir, const char *dn, unsigned *_count)
{
	static const char *const attrs[] = {"servicePrincipalName", NULL};
	TALLOC_CTX *tmp_ctx = talloc_new(dir);
	struct ldb_result *res = NULL;
	struct ldb_dn *ldn = NULL;
	int ret;

	*_count = 0;
	if (tmp_ctx == NULL) {
		return LDB_ERR_OPERATIONS_ERROR;
	}
	ldn = ldb_dn_new(tmp_ctx, dir->ldb, dn);
	if (ldn == NULL) {
		talloc_free(tmp_ctx);
		return LDB_ERR_OPERATIONS_ERROR;
	}
	ret = ldb_search(dir->ldb, tmp_ctx, &res, ldn, LDB_SCOPE_BASE,
			 (const char **)attrs, NULL);
	if (ret == LDB_SUCCESS && res->count == 1) {
		ret = spnpool_ranged_complete(dir->ldb, res->msgs[0],
					      "servicePrincipalName");
	}
	if (ret == LDB_SUCCESS && res->count == 1) {
		struct ldb_message_element *el = ldb_msg_find_element(
			res->msgs[0], "servicePrincipalName");

		*_count = el != NULL ? el->num_values : 0;
	}
	talloc_free(tmp_ctx);
	return ret;
}

/* "held by CN=..." for the first of values another account holds in the
 * naming contexts this DC can search, or NULL. */
static char *visible_holder(TALLOC_CTX *mem_ctx, struct spnpool_dir *dir,
			    const char *dn, const char *const *values,
			    size_t num_values)
{
	struct spnpool_holder *holders = NULL;
	size_t num = 0;
	size_t i;

	if (num_values == 0 ||
	    spnpool_dir_find_holders(mem_ctx, dir, values, num_values, false,
				     &holders, &num) != LDB_SUCCESS) {
		return NULL;
	}
	for (i = 0; i < num; i++) {
		if (holders[i].dn != NULL &&
		    strcasecmp(holders[i].dn, dn) != 0) {
			return talloc_asprintf(mem_ctx, "%s is held by %s",
					       holders[i].value, holders[i].dn);
		}
	}
	return NULL;
}

int spnpool_winerr_explain_write(struct spnpool_dir *dir, int ret,
				 const char *dn, const char *const *added,
				 size_t num_added)
{
	TALLOC_CTX *tmp_ctx = NULL;
	const struct spnpool_winerr *we = NULL;
	const char *said = NULL;
	char *host = NULL;
	char *msg = NULL;

	if (ret == LDB_SUCCESS) {
		return ret;
	}
	tmp_ctx = talloc_new(dir);
	if (tmp_ctx == NULL) {
		return ret;
	}
	said = talloc_strdup(tmp_ctx, server_text(ldb_errstring(dir->ldb)));
	we = spnpool_winerr_from_text(said);
	if (said == NULL) {
		goto done;
	}
	if (ret == LDB_ERR_REFERRAL) {
		/* [MS-ADTS]: a read-only DC, or a DC of another domain,
		 * answers a write with a referral to a DC that takes it. */
		host = spnpool_winerr_referral_host(tmp_ctx, said);
		msg = talloc_asprintf(
			tmp_ctx,
			"this DC does not take writes to %s and refers them "
			"to %s (it is read-only or the object is in another "
			"domain); run the same command with -H ldap://%s "
			"(DC's answer: %s)",
			dn, host ? host : "a DC it does not name",
			host ? host : "<writable DC>", said);
	} else if (we == NULL) {
		goto done;
	} else if (we->fact == SPNPOOL_WINERR_SPN_NOT_UNIQUE) {
		char *holder =
			visible_holder(tmp_ctx, dir, dn, added, num_added);

		msg = talloc_asprintf(
			tmp_ctx, "conflict: %s (%08X %s); %s (DC's answer: %s)",
			we->meaning, we->code, we->name,
			holder ? holder
			       : "no object in this DC's naming contexts "
				 "holds it, so the holder is in another "
				 "domain of the forest: search a global "
				 "catalog (port 3268) for it",
			said);
		ret = LDB_ERR_CONSTRAINT_VIOLATION;
	} else if (we->fact == SPNPOOL_WINERR_TOO_MANY_VALUES) {
		unsigned count = 0;
		bool counted = count_spns(dir, dn, &count) == LDB_SUCCESS;

		msg = talloc_asprintf(
			tmp_ctx,
			"the account holds too many values: %s%s%s "
			"servicePrincipalName values, adding %zu passes the "
			"DC's limit (%08X %s: %s); remove SPNs it no longer "
			"needs or use another account (DC's answer: %s)",
			counted ? "it holds " : "",
			counted ? talloc_asprintf(tmp_ctx, "%u", count) : "",
			counted ? "" : "it holds many", num_added, we->code,
			we->name, we->meaning, said);
		ret = LDB_ERR_ADMIN_LIMIT_EXCEEDED;
	} else {
		/* The DC's text stays first and whole: only the meaning of
		 * its code is added. */
		msg = talloc_asprintf(tmp_ctx, "%s (%08X %s: %s)",
				      ldb_errstring(dir->ldb), we->code,
				      we->name, we->meaning);
	}
	if (msg != NULL) {
		ldb_set_errstring(dir->ldb, msg);
	}
done:
	talloc_free(tmp_ctx);
	return ret;
}

/* True if nc was warned about on this ldb context before; remembers it.
 * (One warning per naming context, however many searches a command makes;
 * the list lives as long as the connection.) */
static bool already_warned(struct ldb_context *ldb, const char *nc)
{
	static const char key[] = "spnpool_referring_ncs";
	const char **seen = ldb_get_opaque(ldb, key);
	size_t n = seen != NULL ? talloc_array_length(seen) : 0;
	const char **grown = NULL;
	size_t i;

	if (nc == NULL) {
		return false;
	}
	for (i = 0; i < n; i++) {
		if (strcasecmp(seen[i], nc) == 0) {
			return true;
		}
	}
	grown = talloc_realloc(ldb, seen, const char *, n + 1);
	if (grown == NULL) {
		return false;
	}
	grown[n] = talloc_strdup(grown, nc);
	ldb_set_opaque(ldb, key, grown);
	return false;
}

int spnpool_winerr_scan_referral(struct spnpool_dir *dir, int ret,
				 const char *nc)
{
	char *host = NULL;

	if (ret != LDB_ERR_REFERRAL) {
		return ret;
	}
	if (already_warned(dir->ldb, nc)) {
		return LDB_SUCCESS;
	}
	host = spnpool_winerr_referral_host(dir, ldb_errstring(dir->ldb));
	/* Shown at samba-tool's default debug level, which shows only
	 * ldb's FATAL messages: the user must learn the scan is partial. */
	ldb_debug(dir->ldb, LDB_DEBUG_FATAL,
		  "WARNING: the naming context %s is not on this DC, which "
		  "refers to %s for it; it was not searched",
		  nc != NULL ? nc : "(unknown)",
		  host != NULL ? host : "another DC");
	talloc_free(host);
	return LDB_SUCCESS;
}

int spnpool_winerr_foreign_identity(struct spnpool_dir *dir,
				    const char *identity, const char *dn)
{
	char *host = spnpool_winerr_referral_host(dir, ldb_errstring(dir->ldb));
	char *domain = spnpool_dn_to_dns_domain(dir, dn);

	ldb_asprintf_errstring(
		dir->ldb,
		"identity '%s' is in the domain %s, not in %s, the domain of "
		"this DC (which refers to %s for it); run the command against "
		"a DC of %s: -H ldap://%s",
		identity, domain != NULL ? domain : "(unknown)",
		dir->dns_domain != NULL ? dir->dns_domain : "(unknown)",
		host != NULL ? host : "another DC",
		domain != NULL ? domain : "that domain",
		host != NULL ? host : (domain != NULL ? domain : "<dc>"));
	talloc_free(host);
	talloc_free(domain);
	return LDB_ERR_NO_SUCH_OBJECT;
}
