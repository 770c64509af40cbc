/*
 * libspnpool: host names and URLs.  Tell short names from FQDNs, derive
 * one from the other, and read a URL the way a browser builds the SPN it
 * asks for.  Pure: no directory access.
 */

#include <string.h>

#include "spnpool_private.h"

static bool host_char(char c)
{
	return spnpool_ascii_alnum(c) || c == '-' || c == '.';
}

/* Character-level rules, in the order an admin is best told about them. */
static enum spnpool_status host_check_chars(const char *host, size_t len)
{
	size_t i;

	if (!spnpool_utf8_valid(host, len)) {
		return SPNPOOL_ERR_BAD_UTF8;
	}
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)host[i];

		if (c < 0x20 || c == 0x7f) {
			return SPNPOOL_ERR_CONTROL_CHAR;
		}
	}
	if (memchr(host, ' ', len) != NULL) {
		return SPNPOOL_ERR_WHITESPACE;
	}
	for (i = 0; i < len; i++) {
		if ((unsigned char)host[i] >= 0x80) {
			return SPNPOOL_ERR_HOST_NON_ASCII;
		}
	}
	for (i = 0; i < len; i++) {
		if (!host_char(host[i])) {
			return SPNPOOL_ERR_HOST_CHAR;
		}
	}
	return SPNPOOL_OK;
}

enum spnpool_status spnpool_host_check_len(const char *host, size_t len,
					   enum spnpool_host_kind *_kind)
{
	enum spnpool_status st;
	size_t labels = 0;
	size_t start = 0;
	size_t i;
	bool last_numeric = false;

	if (host == NULL || len == 0) {
		return SPNPOOL_ERR_EMPTY_HOST;
	}
	st = host_check_chars(host, len);
	if (st != SPNPOOL_OK) {
		return st;
	}
	if (host[len - 1] == '.') {
		len--;
		if (len == 0) {
			return SPNPOOL_ERR_HOST_LABEL_EMPTY;
		}
		if (memchr(host, '.', len) == NULL) {
			return SPNPOOL_ERR_HOST_TRAILING_DOT;
		}
	}
	for (i = 0; i <= len; i++) {
		size_t label_len;
		size_t k;

		if (i < len && host[i] != '.') {
			continue;
		}
		label_len = i - start;
		if (label_len == 0) {
			return SPNPOOL_ERR_HOST_LABEL_EMPTY;
		}
		if (label_len > SPNPOOL_LABEL_MAX_LEN) {
			return SPNPOOL_ERR_HOST_LABEL_TOO_LONG;
		}
		if (host[start] == '-' || host[i - 1] == '-') {
			return SPNPOOL_ERR_HOST_HYPHEN;
		}
		last_numeric = true;
		for (k = start; k < i; k++) {
			if (host[k] < '0' || host[k] > '9') {
				last_numeric = false;
				break;
			}
		}
		labels++;
		start = i + 1;
	}
	if (len > SPNPOOL_HOST_MAX_LEN) {
		return SPNPOOL_ERR_HOST_TOO_LONG;
	}
	/* No top-level domain is all digits: this is an IPv4 address or a
	 * number, which Windows also refuses as a computer name. */
	if (last_numeric) {
		return SPNPOOL_ERR_HOST_NUMERIC;
	}
	if (_kind != NULL) {
		*_kind = (labels == 1) ? SPNPOOL_HOST_SHORT : SPNPOOL_HOST_FQDN;
	}
	return SPNPOOL_OK;
}

enum spnpool_status spnpool_host_check(const char *host,
				       enum spnpool_host_kind *_kind)
{
	if (host == NULL) {
		return SPNPOOL_ERR_EMPTY_HOST;
	}
	return spnpool_host_check_len(host, strlen(host), _kind);
}

/* Copy n bytes of s, case-mapped; NULL on allocation failure. */
static char *dup_mapped(TALLOC_CTX *mem_ctx, const char *s, size_t n,
			char (*map)(char))
{
	char *out = talloc_array(mem_ctx, char, n + 1);
	size_t i;

	if (out == NULL) {
		return NULL;
	}
	for (i = 0; i < n; i++) {
		out[i] = map(s[i]);
	}
	out[n] = '\0';
	return out;
}

/* Length without one trailing dot. */
static size_t len_without_dot(const char *s)
{
	size_t len = strlen(s);

	if (len > 1 && s[len - 1] == '.') {
		len--;
	}
	return len;
}

enum spnpool_status spnpool_host_forms(TALLOC_CTX *mem_ctx, const char *host,
				       const char *dns_domain, char **_netbios,
				       char **_fqdn)
{
	TALLOC_CTX *tmp_ctx = NULL;
	enum spnpool_host_kind kind;
	enum spnpool_status st;
	const char *dot = NULL;
	size_t host_len;
	size_t first_len;
	char *netbios = NULL;
	char *fqdn = NULL;

	st = spnpool_host_check(host, &kind);
	if (st != SPNPOOL_OK) {
		return st;
	}
	host_len = len_without_dot(host);
	dot = memchr(host, '.', host_len);
	first_len = (dot != NULL) ? (size_t)(dot - host) : host_len;
	if (first_len > SPNPOOL_NETBIOS_MAX_LEN && kind == SPNPOOL_HOST_SHORT) {
		return SPNPOOL_ERR_NETBIOS_TOO_LONG;
	}

	tmp_ctx = talloc_new(mem_ctx);
	if (tmp_ctx == NULL) {
		return SPNPOOL_ERR_NO_MEMORY;
	}
	/* An FQDN whose first label cannot be a NetBIOS name has only its
	 * DNS form; NetBIOS stays NULL. */
	if (first_len <= SPNPOOL_NETBIOS_MAX_LEN) {
		netbios = dup_mapped(tmp_ctx, host, first_len,
				     spnpool_ascii_upper);
		if (netbios == NULL) {
			st = SPNPOOL_ERR_NO_MEMORY;
			goto done;
		}
	}
	if (kind == SPNPOOL_HOST_FQDN) {
		fqdn = dup_mapped(tmp_ctx, host, host_len, spnpool_ascii_lower);
	} else {
		enum spnpool_host_kind domain_kind;
		char *domain = NULL;

		if (dns_domain == NULL || dns_domain[0] == '\0') {
			st = SPNPOOL_ERR_NO_DOMAIN;
			goto done;
		}
		st = spnpool_host_check(dns_domain, &domain_kind);
		if (st != SPNPOOL_OK) {
			goto done;
		}
		domain = dup_mapped(tmp_ctx, dns_domain,
				    len_without_dot(dns_domain),
				    spnpool_ascii_lower);
		fqdn = dup_mapped(tmp_ctx, host, host_len, spnpool_ascii_lower);
		if (domain == NULL || fqdn == NULL) {
			st = SPNPOOL_ERR_NO_MEMORY;
			goto done;
		}
		fqdn = talloc_asprintf_append_buffer(fqdn, ".%s", domain);
		if (fqdn != NULL && strlen(fqdn) > SPNPOOL_HOST_MAX_LEN) {
			st = SPNPOOL_ERR_HOST_TOO_LONG;
			goto done;
		}
	}
	if (fqdn == NULL) {
		st = SPNPOOL_ERR_NO_MEMORY;
		goto done;
	}
	*_netbios = (netbios != NULL) ? talloc_move(mem_ctx, &netbios) : NULL;
	*_fqdn = talloc_move(mem_ctx, &fqdn);
	st = SPNPOOL_OK;
done:
	TALLOC_FREE(tmp_ctx);
	return st;
}

static bool scheme_char(char c)
{
	return spnpool_ascii_alnum(c) || c == '+' || c == '-' || c == '.';
}

enum spnpool_status spnpool_url_parse(TALLOC_CTX *mem_ctx, const char *text,
				      struct spnpool_url **_url)
{
	const char *sep = NULL;
	const char *auth = text;
	const char *auth_end = NULL;
	const char *at = NULL;
	const char *colon = NULL;
	const char *host_end = NULL;
	const char *scheme = "http";
	uint16_t default_port = 80;
	uint16_t port = 0;
	struct spnpool_url *url = NULL;
	enum spnpool_status st;
	size_t len;
	size_t host_len;
	size_t i;

	if (text == NULL || text[0] == '\0') {
		return SPNPOOL_ERR_EMPTY;
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

	/*
	 * WHATWG URL rules for the special schemes http and https: after
	 * "scheme:" any run of '/' and '\' is skipped, and the authority
	 * ends at the first '/', '\', '?' or '#', so "http://web01\@evil/"
	 * is host web01 (the browser asks for HTTP/web01).  Without a slash
	 * or backslash after the colon the text is HOST[:PORT].
	 */
	sep = strchr(text, ':');
	if (sep != NULL && sep[1] != '/' && sep[1] != '\\') {
		sep = NULL;
	}
	if (sep != NULL) {
		size_t scheme_len = (size_t)(sep - text);

		if (scheme_len == 0) {
			return SPNPOOL_ERR_URL_SYNTAX;
		}
		for (i = 0; i < scheme_len; i++) {
			if (!scheme_char(text[i])) {
				return SPNPOOL_ERR_URL_SYNTAX;
			}
		}
		if (scheme_len == 4 && strncasecmp(text, "http", 4) == 0) {
			scheme = "http";
			default_port = 80;
		} else if (scheme_len == 5 &&
			   strncasecmp(text, "https", 5) == 0) {
			scheme = "https";
			default_port = 443;
		} else {
			return SPNPOOL_ERR_URL_SCHEME;
		}
		auth = sep + 1;
		while (*auth == '/' || *auth == '\\') {
			auth++;
		}
	}
	auth_end = auth + strcspn(auth, "/\\?#");
	/* Credentials in the URL do not change the SPN. */
	for (at = auth_end; at > auth && at[-1] != '@'; at--) {
	}
	if (at > auth) {
		auth = at;
	}
	if (auth < auth_end && auth[0] == '[') {
		return SPNPOOL_ERR_HOST_NUMERIC;
	}
	colon = memchr(auth, ':', (size_t)(auth_end - auth));
	host_end = (colon != NULL) ? colon : auth_end;
	if (colon != NULL) {
		st = spnpool_port_parse(colon + 1,
					(size_t)(auth_end - colon - 1), &port);
		if (st != SPNPOOL_OK) {
			return st;
		}
		if (port == default_port) {
			port = 0;
		}
	}
	host_len = (size_t)(host_end - auth);
	st = spnpool_host_check_len(auth, host_len, NULL);
	if (st != SPNPOOL_OK) {
		return st;
	}
	if (host_len > 1 && auth[host_len - 1] == '.') {
		host_len--;
	}

	url = talloc_zero(mem_ctx, struct spnpool_url);
	if (url == NULL) {
		return SPNPOOL_ERR_NO_MEMORY;
	}
	url->scheme = talloc_strdup(url, scheme);
	url->host = dup_mapped(url, auth, host_len, spnpool_ascii_lower);
	url->port = port;
	if (url->scheme == NULL || url->host == NULL) {
		TALLOC_FREE(url);
		return SPNPOOL_ERR_NO_MEMORY;
	}
	*_url = url;
	return SPNPOOL_OK;
}

char *spnpool_url_spn(TALLOC_CTX *mem_ctx, const char *host, uint16_t port,
		      bool include_port)
{
	if (include_port && port != 0) {
		return talloc_asprintf(mem_ctx, "HTTP/%s:%u", host,
				       (unsigned)port);
	}
	return talloc_asprintf(mem_ctx, "HTTP/%s", host);
}
