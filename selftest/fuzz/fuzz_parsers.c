/*
 * Fuzz targets for every parser of libspnpool.  Each is a libFuzzer entry
 * point (build with clang -fsanitize=fuzzer,address -DSPNPOOL_FUZZ_TARGET=
 * NAME); with gcc, replay.c drives the same function over a seed corpus
 * and deterministic mutations of it, under ASan/valgrind in the test
 * runs.  A target only checks invariants: no crash, no leak, and outputs
 * that obey the rules their parser promises.
 */

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "spnpool_private.h"

/* A NUL-terminated copy of the input (parsers of C strings). */
static char *cstr(TALLOC_CTX *mem_ctx, const uint8_t *data, size_t size)
{
	return talloc_strndup(mem_ctx, (const char *)data, size);
}

int fuzz_spn(const uint8_t *data, size_t size)
{
	TALLOC_CTX *mem = talloc_new(NULL);
	struct spnpool_spn *spn = NULL;

	if (spnpool_spn_parse_len(mem, (const char *)data, size, &spn) ==
	    SPNPOOL_OK) {
		char *again = spnpool_spn_format(mem, spn);
		struct spnpool_spn *spn2 = NULL;

		/* what we accept formats back into something we accept */
		assert(again != NULL);
		assert(spnpool_spn_parse(mem, again, &spn2) == SPNPOOL_OK);
		assert(spnpool_spn_equal(again, spnpool_spn_format(mem, spn2)));
		assert(spnpool_host_check(spn->host, NULL) == SPNPOOL_OK);
	} else {
		assert(spn == NULL);
	}
	talloc_free(mem);
	return 0;
}

int fuzz_host(const uint8_t *data, size_t size)
{
	TALLOC_CTX *mem = talloc_new(NULL);
	char *text = cstr(mem, data, size);
	char *nb = NULL;
	char *fq = NULL;

	if (text != NULL &&
	    spnpool_host_forms(mem, text, "example.test", &nb, &fq) ==
		    SPNPOOL_OK) {
		enum spnpool_host_kind kind;

		assert(nb == NULL || strlen(nb) <= SPNPOOL_NETBIOS_MAX_LEN);
		assert(spnpool_host_check(fq, &kind) == SPNPOOL_OK);
		assert(kind == SPNPOOL_HOST_FQDN);
	}
	talloc_free(mem);
	return 0;
}

int fuzz_url(const uint8_t *data, size_t size)
{
	TALLOC_CTX *mem = talloc_new(NULL);
	char *text = cstr(mem, data, size);
	struct spnpool_url *url = NULL;

	if (text != NULL &&
	    spnpool_url_parse(mem, text, &url) == SPNPOOL_OK) {
		char *spn = spnpool_url_spn(mem, url->host, url->port, true);
		struct spnpool_spn *parsed = NULL;

		assert(spnpool_spn_parse(mem, spn, &parsed) == SPNPOOL_OK);
	}
	talloc_free(mem);
	return 0;
}

int fuzz_alias(const uint8_t *data, size_t size)
{
	TALLOC_CTX *mem = talloc_new(NULL);
	char *text = cstr(mem, data, size);
	const char *values[8];
	size_t n = 0;
	struct spnpool_alias_map *map = NULL;
	char *p = text;

	/* lines are values; the last line is an SPN to expand */
	while (p != NULL && n < 8) {
		char *nl = strchr(p, '\n');

		if (nl != NULL) {
			*nl = '\0';
		}
		values[n++] = p;
		p = (nl != NULL) ? nl + 1 : NULL;
	}
	if (n >= 2 &&
	    spnpool_alias_map_parse(mem, values, n - 1, &map) == SPNPOOL_OK) {
		char **forms = NULL;
		size_t num = 0;

		if (spnpool_alias_forms(mem, map, values[n - 1], &forms,
					&num) == SPNPOOL_OK) {
			size_t i;

			for (i = 0; i < num; i++) {
				assert(strchr(forms[i], '/') != NULL);
			}
		}
	}
	talloc_free(mem);
	return 0;
}

int fuzz_identity(const uint8_t *data, size_t size)
{
	TALLOC_CTX *mem = talloc_new(NULL);
	char *text = cstr(mem, data, size);
	struct spnpool_identity *id = NULL;

	if (text != NULL) {
		enum spnpool_status st = spnpool_identity_parse(mem, text, &id);

		assert((st == SPNPOOL_OK) == (id != NULL));
		assert((unsigned)st < SPNPOOL_STATUS_COUNT);
	}
	talloc_free(mem);
	return 0;
}

int fuzz_dns_record(const uint8_t *data, size_t size)
{
	TALLOC_CTX *mem = talloc_new(NULL);
	/* an exact-size copy, so ASan sees any read past the end */
	uint8_t *copy = talloc_memdup(mem, data, size);
	struct spnpool_dns_record *r = NULL;

	if (spnpool_dns_record_parse(mem, copy, size, &r) == SPNPOOL_OK &&
	    r->target != NULL) {
		assert(spnpool_host_check(r->target, NULL) == SPNPOOL_OK);
	}
	talloc_free(mem);
	return 0;
}

/* What both web configuration parsers promise about a result. */
static void check_web_config(enum spnpool_status st,
			     const struct spnpool_web_config *config,
			     const char *error)
{
	size_t i;

	if (st != SPNPOOL_OK) {
		assert(config == NULL);
		assert(st != SPNPOOL_ERR_CONFIG || error != NULL);
		return;
	}
	assert(config != NULL && error == NULL);
	assert(config->num_bindings == 0 || config->bindings != NULL);
	for (i = 0; i < config->num_bindings; i++) {
		const struct spnpool_web_binding *b = &config->bindings[i];
		size_t k;

		assert(b->site != NULL && b->pool != NULL);
		assert((b->identity_type == SPNPOOL_POOL_SPECIFIC_USER) ==
		       (b->user_name != NULL));
		if (b->host != NULL) {
			assert(spnpool_host_check(b->host, NULL) ==
			       SPNPOOL_OK);
			for (k = 0; b->host[k] != '\0'; k++) {
				assert(b->host[k] < 'A' || b->host[k] > 'Z');
			}
			assert(b->host[k - 1] != '.');
		}
		assert(b->port != (b->https ? 443 : 80));
	}
}

int fuzz_iis_config(const uint8_t *data, size_t size)
{
	TALLOC_CTX *mem = talloc_new(NULL);
	/* an exact-size copy: the parser must not need a NUL */
	char *copy = talloc_memdup(mem, data, size);
	struct spnpool_web_config *config = NULL;
	char *error = NULL;
	enum spnpool_status st;

	st = spnpool_iis_config_parse(mem, copy, size, &config, &error);
	check_web_config(st, config, error);
	if (st == SPNPOOL_OK) {
		assert(strcmp(config->source, "iis") == 0);
	}
	talloc_free(mem);
	return 0;
}

int fuzz_pools_file(const uint8_t *data, size_t size)
{
	TALLOC_CTX *mem = talloc_new(NULL);
	char *copy = talloc_memdup(mem, data, size);
	struct spnpool_web_config *config = NULL;
	char *error = NULL;
	enum spnpool_status st;

	st = spnpool_pools_file_parse(mem, copy, size, &config, &error);
	check_web_config(st, config, error);
	if (st == SPNPOOL_OK) {
		size_t i;

		assert(strcmp(config->source, "pools") == 0);
		assert(config->num_bindings > 0);
		for (i = 0; i < config->num_bindings; i++) {
			assert(config->bindings[i].host != NULL);
			assert(config->bindings[i].windows_auth);
			assert(!config->bindings[i].kernel_mode);
		}
	}
	talloc_free(mem);
	return 0;
}

#ifdef SPNPOOL_FUZZ_TARGET
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return SPNPOOL_FUZZ_TARGET(data, size);
}
#endif
