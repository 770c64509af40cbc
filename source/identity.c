/*
 * libspnpool: the IDENTITY argument.  Tells apart the forms an admin may
 * type for the account a pool runs as; the directory layer looks it up.
 * Pure: no directory access.
 */

#include <string.h>
#include <strings.h>

#include "spnpool_private.h"

/* IIS and Windows names that mean "the computer account" on the network. */
static const struct {
	const char *name;
	enum spnpool_pool_identity_type type;
} builtins[] = {
	{"NetworkService", SPNPOOL_POOL_NETWORK_SERVICE},
	{"Network Service", SPNPOOL_POOL_NETWORK_SERVICE},
	{"NT AUTHORITY\\NETWORK SERVICE", SPNPOOL_POOL_NETWORK_SERVICE},
	{"NT AUTHORITY\\NetworkService", SPNPOOL_POOL_NETWORK_SERVICE},
	{"LocalSystem", SPNPOOL_POOL_LOCAL_SYSTEM},
	{"Local System", SPNPOOL_POOL_LOCAL_SYSTEM},
	{"SYSTEM", SPNPOOL_POOL_LOCAL_SYSTEM},
	{"NT AUTHORITY\\SYSTEM", SPNPOOL_POOL_LOCAL_SYSTEM},
	{"ApplicationPoolIdentity", SPNPOOL_POOL_APP_POOL_IDENTITY},
};

/* LocalService presents no credentials on the network. */
static const char *const anonymous_names[] = {
	"LocalService",
	"Local Service",
	"NT AUTHORITY\\LOCAL SERVICE",
	"NT AUTHORITY\\LocalService",
};

static const char iis_apppool[] = "IIS APPPOOL\\";

/* Characters Windows forbids in a sAMAccountName. */
static const char sam_forbidden[] = "\"/\\[]:;|=,+*?<>";

static bool in_list(const char *text, const char *const *list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (strcasecmp(text, list[i]) == 0) {
			return true;
		}
	}
	return false;
}

/* "CN=...", "OU=...": an attribute type, '=', before any ','. */
static bool looks_like_dn(const char *text)
{
	const char *eq = strchr(text, '=');
	size_t i;

	if (eq == NULL || eq == text) {
		return false;
	}
	for (i = 0; text + i < eq; i++) {
		if (!spnpool_ascii_alnum(text[i]) && text[i] != '-') {
			return false;
		}
	}
	return true;
}

static enum spnpool_status sam_name_check(const char *name, size_t len)
{
	size_t i;

	if (len == 0) {
		return SPNPOOL_ERR_ACCOUNT_EMPTY;
	}
	for (i = 0; i < len; i++) {
		if (strchr(sam_forbidden, name[i]) != NULL) {
			return SPNPOOL_ERR_ACCOUNT_CHAR;
		}
	}
	if (name[0] == ' ' || name[len - 1] == ' ' || name[len - 1] == '.') {
		return SPNPOOL_ERR_ACCOUNT_SPACE_DOT;
	}
	return SPNPOOL_OK;
}

static struct spnpool_identity *new_identity(TALLOC_CTX *mem_ctx,
					     enum spnpool_identity_kind kind,
					     const char *name, size_t name_len)
{
	struct spnpool_identity *id =
		talloc_zero(mem_ctx, struct spnpool_identity);

	if (id == NULL) {
		return NULL;
	}
	id->kind = kind;
	id->name = talloc_strndup(id, name, name_len);
	if (id->name == NULL) {
		TALLOC_FREE(id);
	}
	return id;
}

enum spnpool_status spnpool_identity_parse(TALLOC_CTX *mem_ctx,
					   const char *text,
					   struct spnpool_identity **_id)
{
	struct spnpool_identity *id = NULL;
	const char *sep = NULL;
	enum spnpool_status st;
	size_t len;
	size_t i;

	if (text == NULL || text[0] == '\0') {
		return SPNPOOL_ERR_IDENTITY_EMPTY;
	}
	len = strlen(text);
	if (!spnpool_utf8_valid(text, len)) {
		return SPNPOOL_ERR_BAD_UTF8;
	}
	for (i = 0; i < len; i++) {
		if ((unsigned char)text[i] < 0x20 || text[i] == 0x7f) {
			return SPNPOOL_ERR_CONTROL_CHAR;
		}
	}
	if (text[0] == ' ' || text[len - 1] == ' ') {
		return SPNPOOL_ERR_IDENTITY_SPACE;
	}

	if (in_list(text, anonymous_names,
		    sizeof(anonymous_names) / sizeof(anonymous_names[0]))) {
		return SPNPOOL_ERR_IDENTITY_ANONYMOUS;
	}
	for (i = 0; i < sizeof(builtins) / sizeof(builtins[0]); i++) {
		if (strcasecmp(text, builtins[i].name) == 0) {
			id = new_identity(mem_ctx, SPNPOOL_IDENTITY_BUILTIN,
					  text, len);
			if (id != NULL) {
				id->builtin_type = builtins[i].type;
			}
			goto done;
		}
	}
	if (strncasecmp(text, iis_apppool, sizeof(iis_apppool) - 1) == 0) {
		if (text[sizeof(iis_apppool) - 1] == '\0') {
			return SPNPOOL_ERR_APPPOOL_NAME_EMPTY;
		}
		id = new_identity(mem_ctx, SPNPOOL_IDENTITY_BUILTIN, text, len);
		if (id != NULL) {
			id->builtin_type = SPNPOOL_POOL_APP_POOL_IDENTITY;
		}
		goto done;
	}
	if (looks_like_dn(text)) {
		id = new_identity(mem_ctx, SPNPOOL_IDENTITY_DN, text, len);
		goto done;
	}

	sep = strchr(text, '\\');
	if (sep != NULL) {
		size_t dom_len = (size_t)(sep - text);

		if (dom_len == 0) {
			return SPNPOOL_ERR_DOMAIN_EMPTY;
		}
		st = sam_name_check(sep + 1, strlen(sep + 1));
		if (st != SPNPOOL_OK) {
			return st;
		}
		id = new_identity(mem_ctx, SPNPOOL_IDENTITY_SAM, sep + 1,
				  strlen(sep + 1));
		if (id != NULL) {
			id->domain = talloc_strndup(id, text, dom_len);
			if (id->domain == NULL) {
				TALLOC_FREE(id);
			}
		}
		goto done;
	}

	sep = strrchr(text, '@');
	if (sep != NULL) {
		size_t user_len = (size_t)(sep - text);

		if (user_len == 0 || sep[1] == '\0') {
			return SPNPOOL_ERR_UPN_SYNTAX;
		}
		id = new_identity(mem_ctx, SPNPOOL_IDENTITY_UPN, text, len);
		if (id != NULL) {
			id->user = talloc_strndup(id, text, user_len);
			id->domain = talloc_strdup(id, sep + 1);
			if (id->user == NULL || id->domain == NULL) {
				TALLOC_FREE(id);
			}
		}
		goto done;
	}

	st = sam_name_check(text, len);
	if (st != SPNPOOL_OK) {
		return st;
	}
	id = new_identity(mem_ctx, SPNPOOL_IDENTITY_SAM, text, len);
done:
	if (id == NULL) {
		return SPNPOOL_ERR_NO_MEMORY;
	}
	*_id = id;
	return SPNPOOL_OK;
}
