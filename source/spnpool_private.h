/*
 * Helpers shared by libspnpool's files; not part of the public API.
 */

#ifndef SPNPOOL_PRIVATE_H
#define SPNPOOL_PRIVATE_H

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

#endif /* SPNPOOL_PRIVATE_H */
