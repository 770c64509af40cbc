/*
 * libspnpool: the apply journal.  A text file written record by record,
 * each fsync'd before the change it announces is made, so that after any
 * crash the file says what may have happened:
 *
 *	spnpool-journal	1
 *	begin	<local|ldap>	<number of changes>
 *	intent	<i>	<add|delete>	<dn>	<value>
 *	done	<i>
 *	reversed	<i>		(taken back by apply itself)
 *	end	<ok|aborted>
 *	undo-begin / undo-done <i> / undo-end <ok|aborted>
 *
 * Fields are separated by TAB; '%', TAB, CR and LF inside a field are
 * written as %25, %09, %0D, %0A.
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
};

static int journal_close(struct spnpool_journal *j)
{
	if (j->fd != -1) {
		close(j->fd);
	}
	return 0;
}

int spnpool_journal_open(TALLOC_CTX *mem_ctx, const char *path, bool create,
			 struct spnpool_journal **_j)
{
	struct spnpool_journal *j = talloc_zero(mem_ctx,
						struct spnpool_journal);

	if (j == NULL) {
		return ENOMEM;
	}
	j->fd = open(path,
		     create ? (O_WRONLY | O_CREAT | O_EXCL | O_APPEND |
			       O_CLOEXEC)
			    : (O_WRONLY | O_APPEND | O_CLOEXEC),
		     0600);
	if (j->fd == -1) {
		int err = errno;

		talloc_free(j);
		return err;
	}
	talloc_set_destructor(j, journal_close);
	*_j = j;
	return 0;
}

int spnpool_journal_write(struct spnpool_journal *j, const char *fmt, ...)
{
	va_list ap;
	char *line = NULL;
	size_t len;
	size_t off = 0;

	va_start(ap, fmt);
	line = talloc_vasprintf(j, fmt, ap);
	va_end(ap);
	if (line == NULL) {
		return ENOMEM;
	}
	line = talloc_asprintf_append_buffer(line, "\n");
	if (line == NULL) {
		return ENOMEM;
	}
	len = strlen(line);
	while (off < len) {
		ssize_t w = write(j->fd, line + off, len - off);

		if (w < 0 && errno == EINTR) {
			continue;
		}
		if (w <= 0) {
			talloc_free(line);
			return errno != 0 ? errno : EIO;
		}
		off += (size_t)w;
	}
	talloc_free(line);
	return fsync(j->fd) == 0 ? 0 : errno;
}

int spnpool_journal_intent(struct spnpool_journal *j, size_t i,
			   const struct spnpool_change *c)
{
	char *dn = escape(j, c->dn);
	char *spn = escape(j, c->spn);
	int ret;

	if (dn == NULL || spn == NULL) {
		return ENOMEM;
	}
	ret = spnpool_journal_write(j, "intent\t%zu\t%s\t%s\t%s", i,
				    c->action == SPNPOOL_CHANGE_ADD ? "add"
								    : "delete",
				    dn, spn);
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

int spnpool_journal_read(TALLOC_CTX *mem_ctx, const char *path,
			 struct spnpool_journal_state **_state,
			 char **_error)
{
	TALLOC_CTX *tmp = talloc_new(mem_ctx);
	struct spnpool_journal_state *st = NULL;
	char *text = NULL;
	char *line = NULL;
	char *next = NULL;
	size_t lineno = 0;
	FILE *f = NULL;
	size_t len;
	int ret = EINVAL;

	*_error = NULL;
	if (tmp == NULL) {
		return ENOMEM;
	}
	st = talloc_zero(tmp, struct spnpool_journal_state);
	text = talloc_array(tmp, char, JOURNAL_MAX + 1);
	if (st == NULL || text == NULL) {
		ret = ENOMEM;
		goto done;
	}
	f = fopen(path, "r");
	if (f == NULL) {
		ret = errno;
		*_error = talloc_asprintf(mem_ctx, "cannot read %s: %s", path,
					  strerror(ret));
		goto done;
	}
	len = fread(text, 1, JOURNAL_MAX + 1, f);
	fclose(f);
	if (len > JOURNAL_MAX || memchr(text, '\0', len) != NULL) {
		*_error = talloc_asprintf(mem_ctx, "%s is not a journal", path);
		goto done;
	}
	text[len] = '\0';
	for (line = text; line != NULL && *line != '\0'; line = next) {
		char *fields[6];
		size_t nf;

		lineno++;
		next = strchr(line, '\n');
		if (next == NULL) {
			/* a torn last record: the change never started */
			break;
		}
		*next++ = '\0';
		nf = split(line, fields, 6);
		if (lineno == 1) {
			if (nf != 2 || strcmp(fields[0], "spnpool-journal") != 0 ||
			    strcmp(fields[1], "1") != 0) {
				*_error = talloc_asprintf(
					mem_ctx, "%s is not a journal", path);
				goto done;
			}
			continue;
		}
		if (strcmp(fields[0], "intent") == 0 && nf == 5) {
			struct spnpool_journal_entry *e = NULL;
			size_t idx = (size_t)strtoul(fields[1], NULL, 10);

			if (idx != st->num_entries) {
				goto bad;
			}
			st->entries = talloc_realloc(
				st, st->entries, struct spnpool_journal_entry,
				st->num_entries + 1);
			if (st->entries == NULL) {
				ret = ENOMEM;
				goto done;
			}
			e = &st->entries[st->num_entries++];
			memset(e, 0, sizeof(*e));
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
			if (e->change.dn == NULL || e->change.spn == NULL) {
				goto bad;
			}
		} else if ((strcmp(fields[0], "done") == 0 ||
			    strcmp(fields[0], "reversed") == 0 ||
			    strcmp(fields[0], "undo-done") == 0) &&
			   nf == 2) {
			size_t idx = (size_t)strtoul(fields[1], NULL, 10);

			if (idx >= st->num_entries) {
				goto bad;
			}
			if (fields[0][0] == 'd') {
				st->entries[idx].done = true;
			} else if (fields[0][0] == 'r') {
				st->entries[idx].reversed = true;
			} else {
				st->entries[idx].undone = true;
			}
		} else if (strcmp(fields[0], "begin") == 0 && nf == 3) {
			st->local = strcmp(fields[1], "local") == 0;
		} else if (strcmp(fields[0], "end") == 0 && nf == 2) {
			st->ended = true;
		} else if (strcmp(fields[0], "undo-begin") == 0) {
			st->undo_started = true;
		} else if (strcmp(fields[0], "undo-end") == 0 && nf == 2) {
			st->undone = strcmp(fields[1], "ok") == 0;
		} else {
			goto bad;
		}
	}
	*_state = talloc_move(mem_ctx, &st);
	ret = 0;
	goto done;
bad:
	*_error = talloc_asprintf(mem_ctx, "%s line %zu: not a journal record",
				  path, lineno);
	ret = EINVAL;
done:
	talloc_free(tmp);
	return ret;
}
