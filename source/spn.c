/*
 * libspnpool: SPN text.  Parse, validate, format and compare
 * class/host[:port][/service-name] strings.  Pure: no directory access.
 */

#include <string.h>

#include "spnpool_private.h"

bool spnpool_utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	while (i < len) {
		unsigned char c = p[i];
		uint32_t cp = 0;
		size_t n = 0;
		size_t k;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			n = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3;
			cp = c & 0x07;
		} else {
			return false;
		}
		if (len - i <= n) {
			return false;
		}
		for (k = 1; k <= n; k++) {
			if ((p[i + k] & 0xc0) != 0x80) {
				return false;
			}
			cp = (cp << 6) | (p[i + k] & 0x3f);
		}
		/* overlong forms, surrogates, beyond Unicode */
		if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
		    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff) {
			return false;
		}
		i += n + 1;
	}
	return true;
}

int spnpool_ascii_casecmp(const char *a, const char *b)
{
	const unsigned char *x = (const unsigned char *)a;
	const unsigned char *y = (const unsigned char *)b;

	while (*x != '\0' &&
	       spnpool_ascii_lower((char)*x) == spnpool_ascii_lower((char)*y)) {
		x++;
		y++;
	}
	return (unsigned char)spnpool_ascii_lower((char)*x) -
	       (unsigned char)spnpool_ascii_lower((char)*y);
}

enum spnpool_status spnpool_class_check(const char *s, size_t len)
{
	size_t i;

	if (len == 0) {
		return SPNPOOL_ERR_EMPTY_CLASS;
	}
	for (i = 0; i < len; i++) {
		if (!spnpool_class_char(s[i])) {
			return SPNPOOL_ERR_BAD_CLASS;
		}
	}
	return SPNPOOL_OK;
}

enum spnpool_status spnpool_port_parse(const char *s, size_t len,
				       uint16_t *_port)
{
	uint32_t value = 0;
	size_t i;

	if (len == 0) {
		return SPNPOOL_ERR_BAD_PORT;
	}
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9') {
			return SPNPOOL_ERR_BAD_PORT;
		}
	}
	if (s[0] == '0' && len > 1) {
		return SPNPOOL_ERR_BAD_PORT;
	}
	if (len > 5) {
		return SPNPOOL_ERR_PORT_RANGE;
	}
	for (i = 0; i < len; i++) {
		value = value * 10 + (uint32_t)(s[i] - '0');
	}
	if (value == 0 || value > 65535) {
		return SPNPOOL_ERR_PORT_RANGE;
	}
	*_port = (uint16_t)value;
	return SPNPOOL_OK;
}

/* Checks that concern the whole text, before it is split. */
static enum spnpool_status spn_check_text(const char *text, size_t len)
{
	size_t i;

	if (text == NULL || len == 0) {
		return SPNPOOL_ERR_EMPTY;
	}
	if (len > SPNPOOL_SPN_MAX_LEN) {
		return SPNPOOL_ERR_TOO_LONG;
	}
	if (!spnpool_utf8_valid(text, len)) {
		return SPNPOOL_ERR_BAD_UTF8;
	}
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];

		if (c < 0x20 || c == 0x7f) {
			return SPNPOOL_ERR_CONTROL_CHAR;
		}
	}
	if (memchr(text, ' ', len) != NULL) {
		return SPNPOOL_ERR_WHITESPACE;
	}
	return SPNPOOL_OK;
}

enum spnpool_status spnpool_spn_parse_len(TALLOC_CTX *mem_ctx, const char *text,
					  size_t len, struct spnpool_spn **_spn)
{
	const char *end = text + len;
	const char *slash1 = NULL;
	const char *slash2 = NULL;
	const char *hostport = NULL;
	const char *hostport_end = NULL;
	const char *colon = NULL;
	const char *host_end = NULL;
	size_t host_len;
	uint16_t port = 0;
	struct spnpool_spn *spn = NULL;
	enum spnpool_status st;

	st = spn_check_text(text, len);
	if (st != SPNPOOL_OK) {
		return st;
	}

	slash1 = memchr(text, '/', len);
	if (slash1 == NULL) {
		return SPNPOOL_ERR_NO_SLASH;
	}
	hostport = slash1 + 1;
	slash2 = memchr(hostport, '/', (size_t)(end - hostport));
	if (slash2 != NULL &&
	    memchr(slash2 + 1, '/', (size_t)(end - slash2 - 1)) != NULL) {
		return SPNPOOL_ERR_TOO_MANY_PARTS;
	}
	hostport_end = (slash2 != NULL) ? slash2 : end;

	st = spnpool_class_check(text, (size_t)(slash1 - text));
	if (st != SPNPOOL_OK) {
		return st;
	}

	colon = memchr(hostport, ':', (size_t)(hostport_end - hostport));
	host_end = (colon != NULL) ? colon : hostport_end;
	host_len = (size_t)(host_end - hostport);
	st = spnpool_host_check_len(hostport, host_len, NULL);
	if (st != SPNPOOL_OK) {
		return st;
	}
	if (colon != NULL) {
		st = spnpool_port_parse(
			colon + 1, (size_t)(hostport_end - colon - 1), &port);
		if (st != SPNPOOL_OK) {
			return st;
		}
	}
	if (slash2 != NULL) {
		size_t svc_len = (size_t)(end - slash2 - 1);

		if (svc_len == 0) {
			return SPNPOOL_ERR_EMPTY_SERVICE_NAME;
		}
		if (spnpool_host_check_len(slash2 + 1, svc_len, NULL) !=
		    SPNPOOL_OK) {
			return SPNPOOL_ERR_BAD_SERVICE_NAME;
		}
	}

	/* The trailing dot of an absolute name is not part of the name. */
	if (host_len > 1 && hostport[host_len - 1] == '.') {
		host_len--;
	}

	spn = talloc_zero(mem_ctx, struct spnpool_spn);
	if (spn == NULL) {
		return SPNPOOL_ERR_NO_MEMORY;
	}
	spn->service_class = talloc_strndup(spn, text, (size_t)(slash1 - text));
	spn->host = talloc_strndup(spn, hostport, host_len);
	spn->port = port;
	if (slash2 != NULL) {
		spn->service_name = talloc_strndup(spn, slash2 + 1,
						   (size_t)(end - slash2 - 1));
	}
	if (spn->service_class == NULL || spn->host == NULL ||
	    (slash2 != NULL && spn->service_name == NULL)) {
		TALLOC_FREE(spn);
		return SPNPOOL_ERR_NO_MEMORY;
	}
	*_spn = spn;
	return SPNPOOL_OK;
}

enum spnpool_status spnpool_spn_parse(TALLOC_CTX *mem_ctx, const char *text,
				      struct spnpool_spn **_spn)
{
	if (text == NULL) {
		return SPNPOOL_ERR_EMPTY;
	}
	return spnpool_spn_parse_len(mem_ctx, text, strlen(text), _spn);
}

char *spnpool_spn_format(TALLOC_CTX *mem_ctx, const struct spnpool_spn *spn)
{
	char *s = NULL;

	s = talloc_asprintf(mem_ctx, "%s/%s", spn->service_class, spn->host);
	if (s != NULL && spn->port != 0) {
		s = talloc_asprintf_append_buffer(s, ":%u",
						  (unsigned)spn->port);
	}
	if (s != NULL && spn->service_name != NULL) {
		s = talloc_asprintf_append_buffer(s, "/%s", spn->service_name);
	}
	return s;
}

/*
 * Walks a string as Samba's case-folding comparison sees it: leading and
 * trailing spaces gone, each run of inner spaces one space, ASCII letters
 * in lower case.
 */
struct fold_cursor {
	const unsigned char *p;
};

static void fold_start(struct fold_cursor *c, const char *s)
{
	c->p = (const unsigned char *)s;
	while (*c->p == ' ') {
		c->p++;
	}
}

/* Next folded byte, or -1 at the end. */
static int fold_next(struct fold_cursor *c)
{
	if (*c->p == ' ') {
		while (*c->p == ' ') {
			c->p++;
		}
		if (*c->p == '\0') {
			return -1;
		}
		return ' ';
	}
	if (*c->p == '\0') {
		return -1;
	}
	return (unsigned char)spnpool_ascii_lower((char)*c->p++);
}

int spnpool_spn_compare(const char *a, const char *b)
{
	struct fold_cursor ca;
	struct fold_cursor cb;
	int x;
	int y;

	fold_start(&ca, a);
	fold_start(&cb, b);
	do {
		x = fold_next(&ca);
		y = fold_next(&cb);
	} while (x == y && x != -1);
	return (x > y) - (x < y);
}

bool spnpool_spn_equal(const char *a, const char *b)
{
	return spnpool_spn_compare(a, b) == 0;
}

char *spnpool_spn_fold(TALLOC_CTX *mem_ctx, const char *text)
{
	struct fold_cursor c;
	char *out = NULL;
	size_t n = 0;
	int ch;

	out = talloc_array(mem_ctx, char, strlen(text) + 1);
	if (out == NULL) {
		return NULL;
	}
	fold_start(&c, text);
	while ((ch = fold_next(&c)) != -1) {
		out[n++] = (char)ch;
	}
	out[n] = '\0';
	return out;
}

/* FNV-1a, 64 bits */
#define FOLD_HASH_BASIS 0xcbf29ce484222325ULL
#define FOLD_HASH_PRIME 0x100000001b3ULL

uint64_t spnpool_spn_fold_hash(const char *text)
{
	struct fold_cursor c;
	uint64_t h = FOLD_HASH_BASIS;
	int ch;

	fold_start(&c, text);
	while ((ch = fold_next(&c)) != -1) {
		h = (h ^ (uint8_t)ch) * FOLD_HASH_PRIME;
	}
	return h;
}

enum spnpool_status spnpool_spn_list_add(TALLOC_CTX *ctx, char ***list,
					 size_t *num, char *spn, bool *_added)
{
	char **slot = NULL;
	size_t i;

	if (_added != NULL) {
		*_added = false;
	}
	if (spn == NULL) {
		return SPNPOOL_ERR_NO_MEMORY;
	}
	for (i = 0; i < *num; i++) {
		if (spnpool_spn_equal((*list)[i], spn)) {
			talloc_free(spn);
			return SPNPOOL_OK;
		}
	}
	slot = SPNPOOL_APPEND(ctx, *list, *num);
	if (slot == NULL) {
		talloc_free(spn);
		return SPNPOOL_ERR_NO_MEMORY;
	}
	*slot = talloc_steal(*list, spn);
	if (_added != NULL) {
		*_added = true;
	}
	return SPNPOOL_OK;
}
