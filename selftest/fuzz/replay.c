/*
 * Runs every fuzz target of fuzz_parsers.c over its seed corpus
 * (selftest/fuzz/corpus/<target>/) and over deterministic mutations of it,
 * as one cmocka test per target.  This is what the test suites run (under
 * ASan and valgrind too); real coverage-guided fuzzing uses the same
 * targets with libFuzzer (docs/design.md, "Tests").
 */

#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <talloc.h>

#include "fuzz.h"

#ifndef SPNPOOL_FUZZ_CORPUS
#error SPNPOOL_FUZZ_CORPUS must name the corpus folder
#endif

#define FUZZ_MAX_INPUT 4096

typedef int (*fuzz_fn)(const uint8_t *data, size_t size);

struct target {
	const char *name;
	fuzz_fn fn;
};

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint32_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 16);
}

static size_t load_corpus(const char *name, uint8_t **seeds, size_t *lens,
			  size_t max)
{
	char path[512];
	DIR *d = NULL;
	struct dirent *e = NULL;
	size_t n = 0;

	snprintf(path, sizeof(path), "%s/%s", SPNPOOL_FUZZ_CORPUS, name);
	d = opendir(path);
	assert_non_null(d);
	while ((e = readdir(d)) != NULL && n < max) {
		char file[1024];
		FILE *f = NULL;

		if (e->d_name[0] == '.') {
			continue;
		}
		snprintf(file, sizeof(file), "%s/%s", path, e->d_name);
		f = fopen(file, "rb");
		assert_non_null(f);
		seeds[n] = malloc(FUZZ_MAX_INPUT);
		assert_non_null(seeds[n]);
		lens[n] = fread(seeds[n], 1, FUZZ_MAX_INPUT, f);
		fclose(f);
		n++;
	}
	closedir(d);
	assert_true(n > 0);
	return n;
}

/* One to four random edits: flip, insert, delete, truncate, splice. */
static size_t mutate(uint8_t *buf, size_t len, const uint8_t *other,
		     size_t other_len)
{
	int edits = 1 + (int)(rnd() % 4);

	while (edits-- > 0) {
		size_t pos = len ? rnd() % len : 0;

		switch (rnd() % 5) {
		case 0:
			if (len > 0) {
				buf[pos] ^= (uint8_t)(1u << (rnd() % 8));
			}
			break;
		case 1:
			if (len < FUZZ_MAX_INPUT) {
				memmove(buf + pos + 1, buf + pos, len - pos);
				buf[pos] = (uint8_t)rnd();
				len++;
			}
			break;
		case 2:
			if (len > 0) {
				memmove(buf + pos, buf + pos + 1,
					len - pos - 1);
				len--;
			}
			break;
		case 3:
			len = pos;
			break;
		case 4: {
			size_t take = other_len ? rnd() % other_len : 0;

			if (pos + take <= FUZZ_MAX_INPUT) {
				memcpy(buf + pos, other, take);
				if (pos + take > len) {
					len = pos + take;
				}
			}
			break;
		}
		}
	}
	return len;
}

static void replay(void **state)
{
	const struct target *t = *state;
	uint8_t *seeds[64];
	size_t lens[64];
	size_t n = load_corpus(t->name, seeds, lens, 64);
	const char *env = getenv("SPNPOOL_FUZZ_RUNS");
	long runs = env != NULL ? atol(env) : 20000;
	uint8_t *buf = malloc(FUZZ_MAX_INPUT);
	size_t blocks = talloc_total_blocks(NULL);
	long i;

	assert_non_null(buf);
	for (i = 0; i < (long)n; i++) {
		memcpy(buf, seeds[i], lens[i]);
		t->fn(buf, lens[i]);
	}
	for (i = 0; i < runs; i++) {
		size_t k = rnd() % n;
		size_t other = rnd() % n;
		size_t len;

		memcpy(buf, seeds[k], lens[k]);
		len = mutate(buf, lens[k], seeds[other], lens[other]);
		t->fn(buf, len);
	}
	/* every target frees what it allocates */
	assert_int_equal(talloc_total_blocks(NULL), blocks);
	for (i = 0; i < (long)n; i++) {
		free(seeds[i]);
	}
	free(buf);
}

int main(void)
{
	static const struct target targets[] = {
		{"spn", fuzz_spn},	     {"host", fuzz_host},
		{"url", fuzz_url},	     {"alias", fuzz_alias},
		{"identity", fuzz_identity}, {"dns_record", fuzz_dns_record},
		{"iis", fuzz_iis_config},    {"pools", fuzz_pools_file},
	};
	struct CMUnitTest tests[sizeof(targets) / sizeof(targets[0])];
	size_t i;

	for (i = 0; i < sizeof(targets) / sizeof(targets[0]); i++) {
		tests[i].name = targets[i].name;
		tests[i].test_func = replay;
		tests[i].setup_func = NULL;
		tests[i].teardown_func = NULL;
		tests[i].initial_state = (void *)&targets[i];
	}
	return cmocka_run_group_tests_name("fuzz replay", tests, NULL, NULL);
}
