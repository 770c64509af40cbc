/*
 * libspnpool: pools files, the web configuration of HTTP services that
 * are not IIS (Apache httpd with mod_auth_gssapi, nginx with SPNEGO...).
 * Pure: no directory access.
 *
 * POOLS FILE
 *
 * For each pool: the account its service runs as and the names browsers
 * reach it by, optionally with the ports they use.
 *
 *     # Apache farm of the shop
 *     [pool shop]
 *     identity = EXAMPLE\svc-shop
 *     hosts = shop, shop.example.test
 *     ports = 8080, 8443
 *
 *     [pool intranet]
 *     identity = NetworkService
 *     hosts = intranet.example.test
 *
 * Grammar (ABNF, RFC 5234):
 *
 *     file     = [BOM] *(line EOL) [line]
 *     line     = *WSP [(section / setting / comment) *WSP]
 *     section  = "[" *WSP "pool" 1*WSP name *WSP "]"
 *     name     = 1*64(ALPHA / DIGIT / "-" / "_" / ".")
 *     setting  = key *WSP "=" *WSP value
 *     key      = "identity" / "hosts" / "ports"
 *     value    = 1*VCHAR-OR-UTF8 *(*WSP 1*VCHAR-OR-UTF8)
 *     comment  = ("#" / ";") *(WSP / VCHAR-OR-UTF8)
 *     EOL      = LF / CR LF
 *     WSP      = SP / HTAB
 *     BOM      = %xEF.BB.BF
 *
 * Keys and the word "pool" are matched without case, and so are pool
 * names (two pools may not differ only in case).  Comments take whole
 * lines: a '#' after a value is part of the value.  The file is UTF-8
 * without NUL bytes or control characters other than tab; a line has at
 * most 4096 bytes, the file at most 10000 pools and 100000 bindings, and
 * at most 16 MiB.
 *
 * In each pool, in any order, each key at most once:
 *
 *   identity  required: the account the service runs as, as the IDENTITY
 *             of samba-tool spn http-pool add takes it (DOMAIN\name,
 *             name@realm, name, NAME$, a DN), or NetworkService,
 *             LocalSystem or ApplicationPoolIdentity (and their Windows
 *             spellings such as "NT AUTHORITY\NETWORK SERVICE"), which
 *             mean the web server's computer account.  LocalService is
 *             refused: it has no network credentials.
 *   hosts     required: one or more host names, separated by commas
 *             and/or blanks: short names or FQDNs (letters, digits, '-'
 *             and '.'; IDNA "xn--" form for international names), each
 *             at most once per pool.
 *   ports     optional: one or more TCP ports (decimal 1 to 65535, no
 *             leading zeros), separated the same way, each at most once.
 *             80 and 443 are the default ports of http and https and
 *             mean "no port in the SPN"; 443 is taken as https.
 *
 * Each pool yields one binding per host, or per host and port when ports
 * are given, with Windows authentication and Negotiate on and no IIS
 * kernel mode.  The same host may appear in several pools: that is the
 * conflict the tool reports, not a syntax error.
 */

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "spnpool_private.h"

#define POOLS_MAX_LEN (16 * 1024 * 1024)
#define POOLS_MAX_LINE 4096
#define POOLS_MAX_POOLS 10000
#define POOLS_MAX_BINDINGS 100000
#define POOLS_MAX_NAME 64
#define POOLS_SHOW_MAX 80

struct pf_pool {
	char *name;
	long line;
	long identity_line; /* 0: not given */
	long hosts_line;
	long ports_line;
	enum spnpool_pool_identity_type type;
	char *user_name;
	char **hosts;
	size_t num_hosts;
	uint16_t *ports;
	bool *https;
	size_t num_ports;
};

struct pf_state {
	TALLOC_CTX *mem;
	char *error;
	long line;
	struct pf_pool *pool; /* the open section, or NULL */
	const char **names;   /* pool names seen, sorted without case */
	long *name_lines;
	size_t num_pools;
	struct spnpool_web_binding *out;
	size_t num_out;
};

static void pf_fail(struct pf_state *s, long line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void pf_fail(struct pf_state *s, long line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	spnpool_config_fail_v(s->mem, &s->error, line, fmt, ap);
	va_end(ap);
}

/* Input quoted in a message (already checked: UTF-8, no controls but
 * tab), shortened on a character boundary.  Never NULL. */
static const char *pf_show(struct pf_state *s, const char *value, size_t n)
{
	char *out = NULL;
	size_t i;

	i = (n < POOLS_SHOW_MAX) ? n : POOLS_SHOW_MAX;
	while (i < n && ((unsigned char)value[i] & 0xc0) == 0x80) {
		i++;
	}
	out = talloc_asprintf(s->mem, "%.*s%s", (int)i, value,
			      i < n ? "..." : "");
	return (out != NULL) ? out : "";
}

static bool pf_wsp(char c)
{
	return c == ' ' || c == '\t';
}

/* Line-level rules, before the line is read. */
static enum spnpool_status pf_check_line(struct pf_state *s, const char *p,
					 size_t n)
{
	size_t i;

	if (n > POOLS_MAX_LINE) {
		pf_fail(s, s->line, "the line is longer than %d bytes",
			POOLS_MAX_LINE);
		return SPNPOOL_ERR_CONFIG;
	}
	if (memchr(p, '\0', n) != NULL) {
		pf_fail(s, s->line,
			"NUL byte at column %zu: a pools file is "
			"text",
			(size_t)((const char *)memchr(p, '\0', n) - p) + 1);
		return SPNPOOL_ERR_CONFIG;
	}
	if (!spnpool_utf8_valid(p, n)) {
		pf_fail(s, s->line, "the line is not valid UTF-8");
		return SPNPOOL_ERR_CONFIG;
	}
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if ((c < 0x20 && c != '\t') || c == 0x7f) {
			pf_fail(s, s->line,
				"control character 0x%02x at column %zu", c,
				i + 1);
			return SPNPOOL_ERR_CONFIG;
		}
	}
	return SPNPOOL_OK;
}

static enum spnpool_status pf_emit(struct pf_state *s,
				   const struct pf_pool *pool, const char *host,
				   uint16_t port, bool https)
{
	struct spnpool_web_binding *w =
		SPNPOOL_APPEND(s->mem, s->out, s->num_out);

	if (w == NULL) {
		return SPNPOOL_ERR_NO_MEMORY;
	}
	w->site = talloc_strdup(s->mem, pool->name);
	w->pool = talloc_strdup(s->mem, pool->name);
	w->identity_type = pool->type;
	w->user_name = (pool->user_name != NULL)
			       ? talloc_strdup(s->mem, pool->user_name)
			       : NULL;
	w->host = talloc_strdup(s->mem, host);
	w->port = port;
	w->https = https;
	w->windows_auth = true;
	w->negotiate = true;
	w->kernel_mode = false;
	w->use_app_pool_credentials = false;
	if (w->site == NULL || w->pool == NULL || w->host == NULL ||
	    (pool->user_name != NULL && w->user_name == NULL)) {
		return SPNPOOL_ERR_NO_MEMORY;
	}
	return SPNPOOL_OK;
}

/* The end of a section: complete?  Then its bindings. */
static enum spnpool_status pf_close_pool(struct pf_state *s)
{
	struct pf_pool *pool = s->pool;
	enum spnpool_status st;
	size_t per_host;
	size_t h;
	size_t p;

	if (pool == NULL) {
		return SPNPOOL_OK;
	}
	if (pool->identity_line == 0) {
		pf_fail(s, pool->line, "pool \"%s\" has no identity",
			pool->name);
		return SPNPOOL_ERR_CONFIG;
	}
	if (pool->hosts_line == 0) {
		pf_fail(s, pool->line, "pool \"%s\" has no hosts", pool->name);
		return SPNPOOL_ERR_CONFIG;
	}
	per_host = (pool->num_ports > 0) ? pool->num_ports : 1;
	if (pool->num_hosts > (POOLS_MAX_BINDINGS - s->num_out) / per_host) {
		pf_fail(s, pool->line,
			"pool \"%s\" takes the file over %d bindings (hosts "
			"times ports)",
			pool->name, POOLS_MAX_BINDINGS);
		return SPNPOOL_ERR_CONFIG;
	}
	for (h = 0; h < pool->num_hosts; h++) {
		if (pool->num_ports == 0) {
			st = pf_emit(s, pool, pool->hosts[h], 0, false);
			if (st != SPNPOOL_OK) {
				return st;
			}
			continue;
		}
		for (p = 0; p < pool->num_ports; p++) {
			st = pf_emit(s, pool, pool->hosts[h], pool->ports[p],
				     pool->https[p]);
			if (st != SPNPOOL_OK) {
				return st;
			}
		}
	}
	TALLOC_FREE(s->pool);
	return SPNPOOL_OK;
}

static bool pf_name_char(char c)
{
	return spnpool_ascii_alnum(c) || c == '-' || c == '_' || c == '.';
}

/* "[pool NAME]", p..p+n trimmed. */
static enum spnpool_status pf_section(struct pf_state *s, const char *p,
				      size_t n)
{
	enum spnpool_status st;
	size_t lo = 0;
	size_t hi;
	size_t i = 1;
	size_t end = n - 1;
	size_t name_start;
	size_t name_len;

	if (p[n - 1] != ']') {
		pf_fail(s, s->line,
			"a section header is [pool NAME], with nothing after "
			"the ']'");
		return SPNPOOL_ERR_CONFIG;
	}
	while (i < end && pf_wsp(p[i])) {
		i++;
	}
	while (end > i && pf_wsp(p[end - 1])) {
		end--;
	}
	if (end - i < 5 || strncasecmp(p + i, "pool", 4) != 0 ||
	    !pf_wsp(p[i + 4])) {
		pf_fail(s, s->line, "a section header is [pool NAME], not [%s]",
			pf_show(s, p + i, end - i));
		return SPNPOOL_ERR_CONFIG;
	}
	i += 4;
	while (i < end && pf_wsp(p[i])) {
		i++;
	}
	name_start = i;
	name_len = end - i;
	for (i = name_start; i < end; i++) {
		if (!pf_name_char(p[i])) {
			break;
		}
	}
	if (i < end || name_len > POOLS_MAX_NAME) {
		pf_fail(s, s->line,
			"pool name \"%s\": a pool name has 1 to %d letters, "
			"digits, '-', '_' or '.'",
			pf_show(s, p + name_start, name_len), POOLS_MAX_NAME);
		return SPNPOOL_ERR_CONFIG;
	}

	st = pf_close_pool(s);
	if (st != SPNPOOL_OK) {
		return st;
	}
	if (s->num_pools >= POOLS_MAX_POOLS) {
		pf_fail(s, s->line, "more than %d pools in one file",
			POOLS_MAX_POOLS);
		return SPNPOOL_ERR_CONFIG;
	}
	s->pool = talloc_zero(s->mem, struct pf_pool);
	if (s->pool == NULL) {
		return SPNPOOL_ERR_NO_MEMORY;
	}
	s->pool->line = s->line;
	s->pool->name = talloc_strndup(s->pool, p + name_start, name_len);
	if (s->pool->name == NULL) {
		return SPNPOOL_ERR_NO_MEMORY;
	}

	/* sorted insertion: binary search, then a duplicate or a slot */
	hi = s->num_pools;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcasecmp(s->names[mid], s->pool->name);

		if (c == 0) {
			pf_fail(s, s->line,
				"pool \"%s\" is defined twice (first on line "
				"%ld)",
				s->pool->name, s->name_lines[mid]);
			return SPNPOOL_ERR_CONFIG;
		}
		if (c < 0) {
			lo = mid + 1;
		} else {
			hi = mid;
		}
	}
	if (s->names == NULL) {
		s->names = talloc_array(s->mem, const char *, POOLS_MAX_POOLS);
		s->name_lines = talloc_array(s->mem, long, POOLS_MAX_POOLS);
		if (s->names == NULL || s->name_lines == NULL) {
			return SPNPOOL_ERR_NO_MEMORY;
		}
	}
	memmove(&s->names[lo + 1], &s->names[lo],
		(s->num_pools - lo) * sizeof(s->names[0]));
	memmove(&s->name_lines[lo + 1], &s->name_lines[lo],
		(s->num_pools - lo) * sizeof(s->name_lines[0]));
	s->names[lo] = talloc_strdup(s->names, s->pool->name);
	s->name_lines[lo] = s->line;
	s->num_pools++;
	return (s->names[lo] != NULL) ? SPNPOOL_OK : SPNPOOL_ERR_NO_MEMORY;
}

/* IIS and Windows spellings of the built-in identities; the others that
 * spnpool_identity_parse() knows ("ApplicationPoolIdentity", "IIS
 * APPPOOL\pool") are pool identities. */
static enum spnpool_status pf_identity(struct pf_state *s, struct pf_pool *pool,
				       const char *value)
{
	struct spnpool_identity *id = NULL;
	enum spnpool_status st;

	st = spnpool_identity_parse(s->mem, value, &id);
	if (st == SPNPOOL_ERR_NO_MEMORY) {
		return st;
	}
	if (st != SPNPOOL_OK) {
		pf_fail(s, s->line, "identity \"%s\" of pool \"%s\": %s",
			pf_show(s, value, strlen(value)), pool->name,
			spnpool_status_string(st));
		return SPNPOOL_ERR_CONFIG;
	}
	if (id->kind != SPNPOOL_IDENTITY_BUILTIN) {
		pool->type = SPNPOOL_POOL_SPECIFIC_USER;
		pool->user_name = talloc_strdup(pool, value);
		TALLOC_FREE(id);
		return (pool->user_name != NULL) ? SPNPOOL_OK
						 : SPNPOOL_ERR_NO_MEMORY;
	}
	pool->type = id->builtin_type;
	TALLOC_FREE(id);
	return SPNPOOL_OK;
}

static bool pf_list_sep(char c)
{
	return c == ',' || pf_wsp(c);
}

/* Split a list value: each item NUL-terminated in place. */
static enum spnpool_status pf_split(struct pf_state *s, char *value,
				    char ***_items, size_t *_num)
{
	char **items = NULL;
	size_t num = 0;
	char *p = value;

	while (*p != '\0') {
		char *start = NULL;

		while (pf_list_sep(*p)) {
			p++;
		}
		if (*p == '\0') {
			break;
		}
		start = p;
		while (*p != '\0' && !pf_list_sep(*p)) {
			p++;
		}
		if (*p != '\0') {
			*p++ = '\0';
		}
		char **item = SPNPOOL_APPEND(s->mem, items, num);

		if (item == NULL) {
			return SPNPOOL_ERR_NO_MEMORY;
		}
		*item = start;
	}
	*_items = items;
	*_num = num;
	return SPNPOOL_OK;
}

static enum spnpool_status pf_hosts(struct pf_state *s, struct pf_pool *pool,
				    char *value)
{
	enum spnpool_status st;
	char **items = NULL;
	size_t num = 0;
	size_t i;
	size_t k;

	st = pf_split(s, value, &items, &num);
	if (st != SPNPOOL_OK) {
		return st;
	}
	if (num == 0) {
		pf_fail(s, s->line, "hosts of pool \"%s\" lists no host",
			pool->name);
		return SPNPOOL_ERR_CONFIG;
	}
	pool->hosts = talloc_array(pool, char *, num);
	if (pool->hosts == NULL) {
		return SPNPOOL_ERR_NO_MEMORY;
	}
	for (i = 0; i < num; i++) {
		char *host = items[i];
		size_t n = strlen(host);

		st = spnpool_host_check(host, NULL);
		if (st != SPNPOOL_OK) {
			pf_fail(s, s->line, "host \"%s\" of pool \"%s\": %s",
				pf_show(s, host, n), pool->name,
				spnpool_status_string(st));
			return SPNPOOL_ERR_CONFIG;
		}
		if (host[n - 1] == '.') {
			host[--n] = '\0';
		}
		for (k = 0; k < n; k++) {
			host[k] = spnpool_ascii_lower(host[k]);
		}
		for (k = 0; k < pool->num_hosts; k++) {
			if (strcmp(pool->hosts[k], host) == 0) {
				pf_fail(s, s->line,
					"host \"%s\" is listed twice in pool "
					"\"%s\"",
					host, pool->name);
				return SPNPOOL_ERR_CONFIG;
			}
		}
		pool->hosts[pool->num_hosts] = talloc_strdup(pool->hosts, host);
		if (pool->hosts[pool->num_hosts] == NULL) {
			return SPNPOOL_ERR_NO_MEMORY;
		}
		pool->num_hosts++;
	}
	TALLOC_FREE(items);
	return SPNPOOL_OK;
}

static enum spnpool_status pf_ports(struct pf_state *s, struct pf_pool *pool,
				    char *value)
{
	enum spnpool_status st;
	char **items = NULL;
	size_t num = 0;
	size_t i;
	size_t k;

	st = pf_split(s, value, &items, &num);
	if (st != SPNPOOL_OK) {
		return st;
	}
	if (num == 0) {
		pf_fail(s, s->line, "ports of pool \"%s\" lists no port",
			pool->name);
		return SPNPOOL_ERR_CONFIG;
	}
	pool->ports = talloc_array(pool, uint16_t, num);
	pool->https = talloc_array(pool, bool, num);
	if (pool->ports == NULL || pool->https == NULL) {
		return SPNPOOL_ERR_NO_MEMORY;
	}
	for (i = 0; i < num; i++) {
		uint16_t port = 0;

		st = spnpool_port_parse(items[i], strlen(items[i]), &port);
		if (st != SPNPOOL_OK) {
			pf_fail(s, s->line, "port \"%s\" of pool \"%s\": %s",
				pf_show(s, items[i], strlen(items[i])),
				pool->name, spnpool_status_string(st));
			return SPNPOOL_ERR_CONFIG;
		}
		for (k = 0; k < i; k++) {
			if (strcmp(items[k], items[i]) == 0) {
				pf_fail(s, s->line,
					"port %s is listed twice in pool "
					"\"%s\"",
					items[i], pool->name);
				return SPNPOOL_ERR_CONFIG;
			}
		}
		pool->https[i] = (port == 443);
		pool->ports[i] = (port == 80 || port == 443) ? 0 : port;
	}
	pool->num_ports = num;
	TALLOC_FREE(items);
	return SPNPOOL_OK;
}

/* "key = value", p..p+n trimmed and not a section or comment. */
static enum spnpool_status pf_setting(struct pf_state *s, const char *p,
				      size_t n)
{
	static const char *const keys[] = {"identity", "hosts", "ports"};
	struct pf_pool *pool = s->pool;
	const char *eq = memchr(p, '=', n);
	size_t key_len;
	size_t i;
	long *seen = NULL;
	char *value = NULL;
	const char *v = NULL;
	enum spnpool_status st;

	key_len = (eq != NULL) ? (size_t)(eq - p) : 0;
	while (key_len > 0 && pf_wsp(p[key_len - 1])) {
		key_len--;
	}
	for (i = 0; i < key_len; i++) {
		if (!pf_name_char(p[i])) {
			break;
		}
	}
	if (key_len == 0 || i < key_len) {
		pf_fail(s, s->line,
			"expected [pool NAME], key = value or a comment, "
			"found \"%s\"",
			pf_show(s, p, n));
		return SPNPOOL_ERR_CONFIG;
	}
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (strlen(keys[i]) == key_len &&
		    strncasecmp(p, keys[i], key_len) == 0) {
			break;
		}
	}
	if (pool == NULL) {
		pf_fail(s, s->line,
			"\"%s\" is outside a section: settings follow a "
			"[pool NAME] line",
			pf_show(s, p, n));
		return SPNPOOL_ERR_CONFIG;
	}
	if (i == sizeof(keys) / sizeof(keys[0])) {
		pf_fail(s, s->line,
			"unknown key \"%s\" in pool \"%s\" (the keys are "
			"identity, hosts and ports)",
			pf_show(s, p, key_len), pool->name);
		return SPNPOOL_ERR_CONFIG;
	}
	seen = (i == 0)	  ? &pool->identity_line
	       : (i == 1) ? &pool->hosts_line
			  : &pool->ports_line;
	if (*seen != 0) {
		pf_fail(s, s->line,
			"%s is given twice in pool \"%s\" (first on line %ld)",
			keys[i], pool->name, *seen);
		return SPNPOOL_ERR_CONFIG;
	}
	*seen = s->line;
	v = eq + 1;
	while (v < p + n && pf_wsp(*v)) {
		v++;
	}
	if (v == p + n) {
		pf_fail(s, s->line, "%s of pool \"%s\" has no value", keys[i],
			pool->name);
		return SPNPOOL_ERR_CONFIG;
	}
	value = talloc_strndup(s->mem, v, (size_t)(p + n - v));
	if (value == NULL) {
		return SPNPOOL_ERR_NO_MEMORY;
	}
	switch (i) {
	case 0:
		st = pf_identity(s, pool, value);
		break;
	case 1:
		st = pf_hosts(s, pool, value);
		break;
	default:
		st = pf_ports(s, pool, value);
		break;
	}
	TALLOC_FREE(value);
	return st;
}

static enum spnpool_status pf_line(struct pf_state *s, const char *p, size_t n)
{
	enum spnpool_status st;

	st = pf_check_line(s, p, n);
	if (st != SPNPOOL_OK) {
		return st;
	}
	while (n > 0 && pf_wsp(p[0])) {
		p++;
		n--;
	}
	while (n > 0 && pf_wsp(p[n - 1])) {
		n--;
	}
	if (n == 0 || p[0] == '#' || p[0] == ';') {
		return SPNPOOL_OK;
	}
	if (p[0] == '[') {
		return pf_section(s, p, n);
	}
	return pf_setting(s, p, n);
}

enum spnpool_status
spnpool_pools_file_parse(TALLOC_CTX *mem_ctx, const char *text, size_t len,
			 struct spnpool_web_config **_config, char **_error)
{
	TALLOC_CTX *tmp_ctx = NULL;
	struct pf_state *s = NULL;
	struct spnpool_web_config *config = NULL;
	enum spnpool_status st;
	size_t pos = 0;

	if (_error != NULL) {
		*_error = NULL;
	}
	tmp_ctx = talloc_new(mem_ctx);
	if (tmp_ctx == NULL) {
		return SPNPOOL_ERR_NO_MEMORY;
	}
	s = talloc_zero(tmp_ctx, struct pf_state);
	if (s == NULL) {
		st = SPNPOOL_ERR_NO_MEMORY;
		goto done;
	}
	s->mem = s;
	if (text == NULL) {
		len = 0;
	}
	if (len > POOLS_MAX_LEN) {
		pf_fail(s, 0,
			"the file is %zu bytes; a pools file over 16 MiB (%d "
			"bytes) is refused",
			len, POOLS_MAX_LEN);
		st = SPNPOOL_ERR_CONFIG;
		goto done;
	}
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0) {
		pos = 3;
	}
	while (pos < len) {
		const char *line = text + pos;
		const char *nl = memchr(line, '\n', len - pos);
		size_t n = (nl != NULL) ? (size_t)(nl - line) : len - pos;

		pos += n + (nl != NULL ? 1 : 0);
		s->line++;
		if (n > 0 && line[n - 1] == '\r') {
			n--;
		}
		st = pf_line(s, line, n);
		if (st != SPNPOOL_OK) {
			goto done;
		}
	}
	st = pf_close_pool(s);
	if (st != SPNPOOL_OK) {
		goto done;
	}
	if (s->num_pools == 0) {
		pf_fail(s, 0,
			"the pools file defines no pool: each starts "
			"with a [pool NAME] line");
		st = SPNPOOL_ERR_CONFIG;
		goto done;
	}

	st = spnpool_web_config_new(tmp_ctx, "pools", s->out, s->num_out,
				    &config);
	if (st != SPNPOOL_OK) {
		goto done;
	}
	*_config = talloc_move(mem_ctx, &config);
	st = SPNPOOL_OK;
done:
	if (s != NULL && st == SPNPOOL_ERR_CONFIG && _error != NULL &&
	    s->error != NULL) {
		*_error = talloc_move(mem_ctx, &s->error);
	}
	TALLOC_FREE(tmp_ctx);
	return st;
}
