/*
 * libspnpool: the apply journal.  A text file written record by record,
 * each fsync'd before the change it announces is made, so that after any
 * crash the file says what may have happened:
 *
 *	spnpool-journal	2
 *	begin	<local|ldap>	<number of changes>
 *	intent	<i>	<add|delete>	<dn>	<value>
 *	done	<i>
 *	reversed	<i>		(taken back by apply itself)
 *	end	<ok|aborted>
 *	undo-begin
 *	undo-intent	<i>	(before undo reverses change i)
 *	undo-done	<i>
 *	undo-reversed	<i>	(undo put change i back after a failure)
 *	undo-end	<ok|aborted>
 *
 * Fields are separated by TAB; '%', TAB, CR and LF inside a field are
 * written as %25, %09, %0D, %0A.  Every record (the first line included)
 * ends in one more field, its checksum: eight lower-case hex digits of
 * the CRC-32 of the previous record's checksum (its eight hex digits;
 * "00000000" before the first record) followed by the record's text up
 * to the TAB before the checksum.  The chain makes a changed, removed,
 * inserted or reordered record visible; numbers are plain decimal (no
 * sign, blank or leading zero).  A torn last line (a crash while writing
 * it) is ignored; the next writer cuts it off first.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "spnpool_private.h"

#define JOURNAL_MAX (16 * 1024 * 1024)

uint32_t spnpool_crc32(uint32_t crc, const void *data, size_t len)
{
	const unsigned char *p = data;
	size_t i;
	int k;

	crc = ~crc;
	for (i = 0; i < len; i++) {
		crc ^= p[i];
		for (k = 0; k < 8; k++) {
			crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
		}
	}
	return ~crc;
}

/* The checksum of a record (text without the checksum field) after the
 * record whose checksum was prev. */
static uint32_t record_sum(uint32_t prev, const char *text, size_t len)
{
	char hex[9];

	snprintf(hex, sizeof(hex), "%08x", (unsigned)prev);
	return spnpool_crc32(spnpool_crc32(0, hex, 8), text, len);
}

static char *escape(TALLOC_CTX *ctx, const char *s)
{
	char *out = talloc_array(ctx, char, strlen(s) * 3 + 1);
	size_t n = 0;

	if (out == NULL) {
		return NULL;
	}
	for (; *s != '\0'; s++) {
		if (*s == '%' || *s == '\t' || *s == '\r' || *s == '\n') {
			n += (size_t)snprintf(out + n, 4, "%%%02X",
					      (unsigned char)*s);
		} else {
			out[n++] = *s;
		}
	}
	out[n] = '\0';
	return out;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9') {
		return c - '0';
	}
	if (c >= 'A' && c <= 'F') {
		return c - 'A' + 10;
	}
	if (c >= 'a' && c <= 'f') {
		return c - 'a' + 10;
	}
	return -1;
}

static char *unescape(TALLOC_CTX *ctx, const char *s, size_t len)
{
	char *out = talloc_array(ctx, char, len + 1);
	size_t n = 0;
	size_t i;

	if (out == NULL) {
		return NULL;
	}
	for (i = 0; i < len; i++) {
		int hi;
		int lo;

		if (s[i] != '%') {
			out[n++] = s[i];
			continue;
		}
		if (i + 2 >= len) {
			talloc_free(out);
			return NULL;
		}
		hi = hexval(s[i + 1]);
		lo = hexval(s[i + 2]);
		if (hi < 0 || lo < 0) {
			talloc_free(out);
			return NULL;
		}
		out[n++] = (char)(hi * 16 + lo);
		i += 2;
	}
	out[n] = '\0';
	return out;
}

struct spnpool_journal {
	int fd;
	uint32_t chain; /* checksum of the last record written */
	int os_error;	/* of the last failed write */
};

int spnpool_journal_os_error(const struct spnpool_journal *j)
{
	return j->os_error;
}

static int journal_close(struct spnpool_journal *j)
{
	if (j->fd != -1) {
		close(j->fd);
	}
	return 0;
}

enum spnpool_status spnpool_journal_open(TALLOC_CTX *mem_ctx, const char *path,
					 bool create,
					 const struct spnpool_journal_state *st,
					 struct spnpool_journal **_j,
					 struct spnpool_journal_fault *_fault)
{
	struct spnpool_journal *j =
		talloc_zero(mem_ctx, struct spnpool_journal);

	*_fault = (struct spnpool_journal_fault){0};
	if (j == NULL) {
		return SPNPOOL_ERR_NO_MEMORY;
	}
	j->fd = open(
		path,
		create ? (O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC)
		       : (O_WRONLY | O_APPEND | O_CLOEXEC),
		0600);
	if (j->fd == -1) {
		_fault->os_error = errno;
		talloc_free(j);
		return SPNPOOL_ERR_JOURNAL_IO;
	}
	talloc_set_destructor(j, journal_close);
	if (!create && st != NULL) {
		/* drop a torn last record: it never took effect */
		if (ftruncate(j->fd, (off_t)st->valid_length) != 0) {
			_fault->os_error = errno;
			talloc_free(j);
			return SPNPOOL_ERR_JOURNAL_IO;
		}
		j->chain = st->chain;
	}
	*_j = j;
	return SPNPOOL_OK;
}

enum spnpool_status spnpool_journal_write(struct spnpool_journal *j,
					  const char *fmt, ...)
{
	va_list ap;
	char *line = NULL;
	uint32_t sum;
	size_t len;
	size_t off = 0;

	va_start(ap, fmt);
	line = talloc_vasprintf(j, fmt, ap);
	va_end(ap);
	if (line == NULL) {
		return SPNPOOL_ERR_NO_MEMORY;
	}
	sum = record_sum(j->chain, line, strlen(line));
	line = talloc_asprintf_append_buffer(line, "\t%08x\n", (unsigned)sum);
	if (line == NULL) {
		return SPNPOOL_ERR_NO_MEMORY;
	}
	len = strlen(line);
	while (off < len) {
		ssize_t w = write(j->fd, line + off, len - off);

		if (w < 0 && errno == EINTR) {
			continue;
		}
		if (w <= 0) {
			j->os_error = (w < 0 && errno != 0) ? errno : EIO;
			talloc_free(line);
			return SPNPOOL_ERR_JOURNAL_IO;
		}
		off += (size_t)w;
	}
	talloc_free(line);
	if (fsync(j->fd) != 0) {
		j->os_error = errno;
		return SPNPOOL_ERR_JOURNAL_IO;
	}
	j->chain = sum;
	return SPNPOOL_OK;
}

enum spnpool_status spnpool_journal_intent(struct spnpool_journal *j, size_t i,
					   const struct spnpool_change *c)
{
	char *dn = escape(j, c->dn);
	char *spn = escape(j, c->spn);
	enum spnpool_status ret;

	if (dn == NULL || spn == NULL) {
		return SPNPOOL_ERR_NO_MEMORY;
	}
	ret = spnpool_journal_write(
		j, "intent\t%zu\t%s\t%s\t%s", i,
		c->action == SPNPOOL_CHANGE_ADD ? "add" : "delete", dn, spn);
	talloc_free(dn);
	talloc_free(spn);
	return ret;
}

/* Split one line into at most max TAB-separated fields (in place). */
static size_t split(char *line, char **fields, size_t max)
{
	size_t n = 0;

	while (n < max) {
		fields[n++] = line;
		line = strchr(line, '\t');
		if (line == NULL) {
			break;
		}
		*line++ = '\0';
	}
	return n;
}

/* A record number: plain decimal, no sign, blank or leading zero. */
static bool parse_number(const char *s, size_t *_n)
{
	size_t n = 0;
	size_t i;

	if (s[0] == '\0' || (s[0] == '0' && s[1] != '\0')) {
		return false;
	}
	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] < '0' || s[i] > '9' || i >= 9) {
			return false;
		}
		n = n * 10 + (size_t)(s[i] - '0');
	}
	*_n = n;
	return true;
}

/* Check and strip the checksum field of one line (in place). */
static bool check_sum(char *line, uint32_t *chain)
{
	char *tab = strrchr(line, '\t');
	uint32_t want;
	uint32_t got = 0;
	size_t i;

	if (tab == NULL || strlen(tab + 1) != 8) {
		return false;
	}
	for (i = 1; i <= 8; i++) {
		char c = tab[i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
			return false;
		}
		got = got * 16 + (uint32_t)hexval(c);
	}
	want = record_sum(*chain, line, (size_t)(tab - line));
	if (got != want) {
		return false;
	}
	*tab = '\0';
	*chain = got;
	return true;
}

enum spnpool_status spnpool_journal_read(TALLOC_CTX *mem_ctx, const char *path,
					 struct spnpool_journal_state **_state,
					 struct spnpool_journal_fault *_fault)
{
	TALLOC_CTX *tmp = talloc_new(mem_ctx);
	struct spnpool_journal_state *st = NULL;
	char *text = NULL;
	char *line = NULL;
	char *next = NULL;
	size_t lineno = 0;
	bool begun = false;
	FILE *f = NULL;
	size_t len;
	enum spnpool_status ret = SPNPOOL_ERR_JOURNAL_RECORD;

	*_fault = (struct spnpool_journal_fault){0};
	if (tmp == NULL) {
		return SPNPOOL_ERR_NO_MEMORY;
	}
	st = talloc_zero(tmp, struct spnpool_journal_state);
	text = talloc_array(tmp, char, JOURNAL_MAX + 1);
	if (st == NULL || text == NULL) {
		ret = SPNPOOL_ERR_NO_MEMORY;
		goto done;
	}
	f = fopen(path, "r");
	if (f == NULL) {
		_fault->os_error = errno;
		ret = SPNPOOL_ERR_JOURNAL_IO;
		goto done;
	}
	len = fread(text, 1, JOURNAL_MAX + 1, f);
	fclose(f);
	if (len > JOURNAL_MAX || memchr(text, '\0', len) != NULL) {
		ret = SPNPOOL_ERR_JOURNAL_NOT_JOURNAL;
		goto done;
	}
	text[len] = '\0';
	for (line = text; line != NULL && *line != '\0'; line = next) {
		char *fields[6];
		size_t nf;
		size_t idx = 0;

		lineno++;
		next = strchr(line, '\n');
		if (next == NULL) {
			/* a torn last record: the change never started */
			break;
		}
		*next++ = '\0';
		if (!check_sum(line, &st->chain)) {
			if (lineno == 1) {
				ret = SPNPOOL_ERR_JOURNAL_VERSION;
				goto done;
			}
			ret = SPNPOOL_ERR_JOURNAL_CHECKSUM;
			goto bad;
		}
		st->valid_length = (size_t)(next - text);
		nf = split(line, fields, 6);
		if (lineno == 1) {
			if (nf != 2 ||
			    strcmp(fields[0], "spnpool-journal") != 0 ||
			    strcmp(fields[1], SPNPOOL_JOURNAL_VERSION) != 0) {
				ret = SPNPOOL_ERR_JOURNAL_NOT_JOURNAL;
				goto done;
			}
			continue;
		}
		if (!begun) {
			if (strcmp(fields[0], "begin") != 0 || nf != 3 ||
			    (strcmp(fields[1], "local") != 0 &&
			     strcmp(fields[1], "ldap") != 0) ||
			    !parse_number(fields[2], &st->announced)) {
				ret = SPNPOOL_ERR_JOURNAL_BEGIN_EXPECTED;
				goto bad;
			}
			st->local = strcmp(fields[1], "local") == 0;
			begun = true;
			continue;
		}
		if (strcmp(fields[0], "intent") == 0 && nf == 5) {
			struct spnpool_journal_entry *e = NULL;

			if (st->ended || st->undo_started ||
			    !parse_number(fields[1], &idx) ||
			    idx != st->num_entries || idx >= st->announced) {
				goto bad;
			}
			e = SPNPOOL_APPEND(st, st->entries, st->num_entries);
			if (e == NULL) {
				ret = SPNPOOL_ERR_NO_MEMORY;
				goto done;
			}
			if (strcmp(fields[2], "add") == 0) {
				e->change.action = SPNPOOL_CHANGE_ADD;
			} else if (strcmp(fields[2], "delete") == 0) {
				e->change.action = SPNPOOL_CHANGE_DELETE;
			} else {
				goto bad;
			}
			e->change.dn = unescape(st->entries, fields[3],
						strlen(fields[3]));
			e->change.spn = unescape(st->entries, fields[4],
						 strlen(fields[4]));
			if (e->change.dn == NULL || e->change.spn == NULL ||
			    e->change.dn[0] == '\0' ||
			    e->change.spn[0] == '\0') {
				goto bad;
			}
		} else if ((strcmp(fields[0], "done") == 0 ||
			    strcmp(fields[0], "reversed") == 0 ||
			    strcmp(fields[0], "undo-intent") == 0 ||
			    strcmp(fields[0], "undo-done") == 0 ||
			    strcmp(fields[0], "undo-reversed") == 0) &&
			   nf == 2) {
			struct spnpool_journal_entry *e = NULL;

			if (!parse_number(fields[1], &idx) ||
			    idx >= st->num_entries) {
				goto bad;
			}
			e = &st->entries[idx];
			if (strcmp(fields[0], "done") == 0) {
				e->done = true;
			} else if (strcmp(fields[0], "reversed") == 0) {
				e->reversed = true;
			} else if (strcmp(fields[0], "undo-intent") == 0) {
				e->undo_intended = true;
			} else if (strcmp(fields[0], "undo-done") == 0) {
				e->undone = true;
			} else {
				e->undone = false; /* put back */
			}
		} else if (strcmp(fields[0], "end") == 0 && nf == 2 &&
			   (strcmp(fields[1], "ok") == 0 ||
			    strcmp(fields[1], "aborted") == 0)) {
			st->ended = true;
		} else if (strcmp(fields[0], "undo-begin") == 0 && nf == 1) {
			st->undo_started = true;
		} else if (strcmp(fields[0], "undo-end") == 0 && nf == 2 &&
			   (strcmp(fields[1], "ok") == 0 ||
			    strcmp(fields[1], "aborted") == 0)) {
			st->undone = strcmp(fields[1], "ok") == 0;
		} else {
			goto bad;
		}
	}
	if (!begun) {
		ret = (lineno == 0) ? SPNPOOL_ERR_JOURNAL_EMPTY
				    : SPNPOOL_ERR_JOURNAL_NO_BEGIN;
		goto done;
	}
	*_state = talloc_move(mem_ctx, &st);
	ret = SPNPOOL_OK;
	goto done;
bad:
	_fault->line = lineno;
done:
	talloc_free(tmp);
	return ret;
}
