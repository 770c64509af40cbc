/*
 * Pools files: the bindings of non-IIS pools (one per host, or per host
 * and port), and every malformed file refused with its line number and
 * the rule it broke.
 */

#include <stdio.h>
#include <stdlib.h>

#include "test_common.h"

#ifndef SPNPOOL_FIXTURES
#error SPNPOOL_FIXTURES must name the fixtures folder
#endif

#define SPECIFIC SPNPOOL_POOL_SPECIFIC_USER

struct expect {
	const char *pool;
	enum spnpool_pool_identity_type type;
	const char *user;
	const char *host;
	uint16_t port;
	bool https;
};

static char *read_fixture(TALLOC_CTX *mem, const char *name, size_t *_len)
{
	char *path = talloc_asprintf(mem, "%s/%s", SPNPOOL_FIXTURES, name);
	FILE *f = NULL;
	char *data = NULL;
	long size;

	assert_non_null(path);
	f = fopen(path, "rb");
	if (f == NULL) {
		fail_msg("cannot open %s", path);
	}
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	size = ftell(f);
	assert_true(size >= 0);
	assert_int_equal(fseek(f, 0, SEEK_SET), 0);
	data = talloc_size(mem, (size_t)size + 1);
	assert_non_null(data);
	assert_int_equal(fread(data, 1, (size_t)size, f), (size_t)size);
	data[size] = '\0';
	fclose(f);
	talloc_free(path);
	*_len = (size_t)size;
	return data;
}

static void assert_bindings(const struct spnpool_web_config *c,
			    const struct expect *want,
			    size_t n)
{
	size_t i;

	assert_string_equal(c->source, "pools");
	assert_int_equal(c->num_bindings, n);
	for (i = 0; i < n; i++) {
		const struct spnpool_web_binding *b = &c->bindings[i];

		print_message("binding %zu\n", i);
		assert_string_equal(b->site, want[i].pool);
		assert_string_equal(b->pool, want[i].pool);
		assert_null(b->site_id);
		assert_null(b->app_path);
		assert_int_equal(b->identity_type, want[i].type);
		if (want[i].user == NULL) {
			assert_null(b->user_name);
		} else {
			assert_non_null(b->user_name);
			assert_string_equal(b->user_name, want[i].user);
		}
		assert_string_equal(b->host, want[i].host);
		assert_int_equal(b->port, want[i].port);
		assert_int_equal(b->https, want[i].https);
		/* a pools file describes SPNEGO services, never IIS kernel
		 * mode */
		assert_true(b->windows_auth);
		assert_true(b->negotiate);
		assert_false(b->kernel_mode);
		assert_false(b->use_app_pool_credentials);
	}
}

static struct spnpool_web_config *parse_ok(struct test_ctx *t,
					   const char *text,
					   size_t len)
{
	struct spnpool_web_config *c = NULL;
	char *error = NULL;
	enum spnpool_status st;

	st = spnpool_pools_file_parse(t->mem, text, len, &c, &error);
	if (st != SPNPOOL_OK) {
		fail_msg("%s: %s", spnpool_status_string(st),
			 error != NULL ? error : "");
	}
	assert_null(error);
	return c;
}

/* Refused with SPNPOOL_ERR_CONFIG and a message containing want; only
 * the message is left allocated. */
static void assert_refused_len(struct test_ctx *t, const char *text,
			       size_t len, const char *want)
{
	struct spnpool_web_config *c = NULL;
	char *error = NULL;
	size_t before = talloc_total_blocks(t->mem);
	enum spnpool_status st;

	st = spnpool_pools_file_parse(t->mem, text, len, &c, &error);
	assert_int_equal(st, SPNPOOL_ERR_CONFIG);
	assert_null(c);
	assert_non_null(error);
	if (strstr(error, want) == NULL) {
		fail_msg("error \"%s\" does not contain \"%s\"", error, want);
	}
	assert_ptr_equal(talloc_parent(error), t->mem);
	assert_int_equal(talloc_total_blocks(t->mem), before + 1);
	talloc_free(error);
	assert_int_equal(talloc_total_blocks(t->mem), before);
}

static void assert_refused(struct test_ctx *t, const char *text,
			   const char *want)
{
	assert_refused_len(t, text, strlen(text), want);
}

static void assert_fixture_refused(struct test_ctx *t, const char *name,
				   const char *want)
{
	size_t len;
	char *text = read_fixture(NULL, name, &len);

	assert_refused_len(t, text, len, want);
	talloc_free(text);
}

static void test_each_host_gets_a_binding_per_port(void **state)
{
	struct test_ctx *t = talloc_get_type_abort(*state, struct test_ctx);
	static const struct expect want[] = {
		{"shop", SPECIFIC, "EXAMPLE\\svc-shop", "shop", 8080, false},
		{"shop", SPECIFIC, "EXAMPLE\\svc-shop", "shop", 8443, false},
		{"shop", SPECIFIC, "EXAMPLE\\svc-shop", "shop.example.test",
		 8080, false},
		{"shop", SPECIFIC, "EXAMPLE\\svc-shop", "shop.example.test",
		 8443, false},
		{"wiki", SPNPOOL_POOL_NETWORK_SERVICE, NULL,
		 "wiki.example.test", 0, false},
	};
	struct spnpool_web_config *c = NULL;
	size_t len;
	char *text = read_fixture(NULL, "pools.conf", &len);

	c = parse_ok(t, text, len);
	assert_bindings(c, want, 5);
	talloc_free(c);
	talloc_free(text);
	assert_no_new_blocks(t);
}

static void test_default_ports_mean_no_port(void **state)
{
	struct test_ctx *t = talloc_get_type_abort(*state, struct test_ctx);
	static const char text[] = "[pool web]\n"
				   "identity = svc-web@EXAMPLE.TEST\n"
				   "hosts = web\n"
				   "ports = 80 443 8080\n";
	static const struct expect want[] = {
		{"web", SPECIFIC, "svc-web@EXAMPLE.TEST", "web", 0, false},
		{"web", SPECIFIC, "svc-web@EXAMPLE.TEST", "web", 0, true},
		{"web", SPECIFIC, "svc-web@EXAMPLE.TEST", "web", 8080, false},
	};
	struct spnpool_web_config *c = parse_ok(t, text, strlen(text));

	assert_bindings(c, want, 3);
	talloc_free(c);
	assert_no_new_blocks(t);
}

static void test_hosts_are_lower_case_without_trailing_dot(void **state)
{
	struct test_ctx *t = talloc_get_type_abort(*state, struct test_ctx);
	/* CRLF, a BOM, blanks everywhere, commas and blanks mixed */
	static const char text[] = "\xef\xbb\xbf"
				   "  ; Windows editors write this\r\n"
				   "\t[ POOL  Web-01_a.b ]  \r\n"
				   "  HOSTS=WEB01 ,\tWeb01.Example.Test.,,x\r\n"
				   "identity\t=\tEXAMPLE\\svc-web01  \r\n";
	static const struct expect want[] = {
		{"Web-01_a.b", SPECIFIC, "EXAMPLE\\svc-web01", "web01", 0,
		 false},
		{"Web-01_a.b", SPECIFIC, "EXAMPLE\\svc-web01",
		 "web01.example.test", 0, false},
		{"Web-01_a.b", SPECIFIC, "EXAMPLE\\svc-web01", "x", 0, false},
	};
	struct spnpool_web_config *c = parse_ok(t, text, strlen(text));

	assert_bindings(c, want, 3);
	talloc_free(c);
	assert_no_new_blocks(t);
}

static void test_builtin_identities_map_to_their_types(void **state)
{
	struct test_ctx *t = talloc_get_type_abort(*state, struct test_ctx);
	static const struct {
		const char *identity;
		enum spnpool_pool_identity_type type;
		const char *user;
	} cases[] = {
		{"NetworkService", SPNPOOL_POOL_NETWORK_SERVICE, NULL},
		{"NT AUTHORITY\\NETWORK SERVICE", SPNPOOL_POOL_NETWORK_SERVICE,
		 NULL},
		{"localsystem", SPNPOOL_POOL_LOCAL_SYSTEM, NULL},
		{"SYSTEM", SPNPOOL_POOL_LOCAL_SYSTEM, NULL},
		{"ApplicationPoolIdentity", SPNPOOL_POOL_APP_POOL_IDENTITY,
		 NULL},
		{"IIS APPPOOL\\Shop", SPNPOOL_POOL_APP_POOL_IDENTITY, NULL},
		{"WEB01$", SPECIFIC, "WEB01$"},
		{"CN=svc-web,OU=Services,DC=example,DC=test", SPECIFIC,
		 "CN=svc-web,OU=Services,DC=example,DC=test"},
		{"svc-web", SPECIFIC, "svc-web"},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *text = talloc_asprintf(t->mem,
					     "[pool p]\nidentity = %s\n"
					     "hosts = web\n",
					     cases[i].identity);
		struct spnpool_web_config *c = NULL;
		const struct expect want = {"p", cases[i].type, cases[i].user,
					    "web", 0, false};

		print_message("%s\n", cases[i].identity);
		c = parse_ok(t, text, strlen(text));
		assert_bindings(c, &want, 1);
		talloc_free(c);
		talloc_free(text);
	}
	assert_no_new_blocks(t);
}

static void test_fixture_errors_name_line_and_rule(void **state)
{
	struct test_ctx *t = talloc_get_type_abort(*state, struct test_ctx);

	assert_fixture_refused(t, "pools-unknown-key.conf",
			       "line 4: unknown key \"port\" in pool \"shop\" "
			       "(the keys are identity, hosts and ports)");
	assert_fixture_refused(t, "pools-duplicate-pool.conf",
			       "line 5: pool \"Shop\" is defined twice (first "
			       "on line 1)");
	assert_fixture_refused(t, "pools-duplicate-key.conf",
			       "line 3: identity is given twice in pool "
			       "\"shop\" (first on line 2)");
	assert_fixture_refused(t, "pools-missing-identity.conf",
			       "line 2: pool \"shop\" has no identity");
	assert_fixture_refused(t, "pools-missing-hosts.conf",
			       "line 1: pool \"shop\" has no hosts");
	assert_fixture_refused(t, "pools-bad-host.conf",
			       "line 3: host \"shop_web.example.test\" of pool "
			       "\"shop\": a host name may contain only "
			       "letters, digits, '-' and '.'");
	assert_fixture_refused(t, "pools-bad-port.conf",
			       "line 4: port \"08443\" of pool \"shop\": the "
			       "port must be a decimal number without sign or "
			       "leading zeros");
	assert_fixture_refused(t, "pools-outside-section.conf",
			       "line 1: \"identity = EXAMPLE\\svc-shop\" is "
			       "outside a section: settings follow a [pool "
			       "NAME] line");
}

static void test_each_bad_value_names_its_rule(void **state)
{
	struct test_ctx *t = talloc_get_type_abort(*state, struct test_ctx);
	static const struct {
		const char *text;
		const char *want;
	} cases[] = {
		{"[pool p]\nidentity = a\nhosts = web-\n",
		 "line 3: host \"web-\" of pool \"p\": a host name label may "
		 "not start or end with '-'"},
		{"[pool p]\nidentity = a\nhosts = 192.0.2.7\n",
		 "line 3: host \"192.0.2.7\" of pool \"p\": an IP address or "
		 "all-numeric name is not a host name"},
		{"[pool p]\nidentity = a\nhosts = web01.\n",
		 "line 3: host \"web01.\" of pool \"p\": a trailing dot is "
		 "only allowed after a name of two or more labels"},
		{"[pool p]\nidentity = a\nhosts = b\xc3\xbc" "cher.example\n",
		 "line 3: host \"b\xc3\xbc" "cher.example\" of pool \"p\": a "
		 "host name must be ASCII"},
		{"[pool p]\nidentity = a\nhosts = web, WEB\n",
		 "line 3: host \"web\" is listed twice in pool \"p\""},
		{"[pool p]\nidentity = a\nhosts = , ,\n",
		 "line 3: hosts of pool \"p\" lists no host"},
		{"[pool p]\nidentity = a\nhosts = web\nports = 0\n",
		 "line 4: port \"0\" of pool \"p\": the port must be from 1 to "
		 "65535"},
		{"[pool p]\nidentity = a\nhosts = web\nports = 65536\n",
		 "line 4: port \"65536\" of pool \"p\": the port must be from "
		 "1 to 65535"},
		{"[pool p]\nidentity = a\nhosts = web\nports = http\n",
		 "line 4: port \"http\" of pool \"p\""},
		{"[pool p]\nidentity = a\nhosts = web\nports = 8080 8080\n",
		 "line 4: port 8080 is listed twice in pool \"p\""},
		{"[pool p]\nidentity = a\nhosts = web\nports = 8080 # tls\n",
		 "line 4: port \"#\" of pool \"p\""},
		{"[pool p]\nidentity = LocalService\nhosts = web\n",
		 "line 2: identity \"LocalService\" of pool \"p\": "
		 "LocalService authenticates anonymously"},
		{"[pool p]\nidentity = EXAMPLE\\svc*web\nhosts = web\n",
		 "line 2: identity \"EXAMPLE\\svc*web\" of pool \"p\": an "
		 "account name may not contain"},
		{"[pool p]\nidentity =\nhosts = web\n",
		 "line 2: identity of pool \"p\" has no value"},
		{"[pool p]\n= x\n",
		 "line 2: expected [pool NAME], key = value or a comment, "
		 "found \"= x\""},
		{"[pool p]\nhosts: web\n",
		 "line 2: expected [pool NAME], key = value or a comment"},
		{"[pool p]\nidentity\n",
		 "line 2: expected [pool NAME], key = value or a comment, "
		 "found \"identity\""},
		{"[pool p]\n[pool q]\n", "line 1: pool \"p\" has no identity"},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		print_message("%s\n", cases[i].text);
		assert_refused(t, cases[i].text, cases[i].want);
	}
	assert_no_new_blocks(t);
}

static void test_section_headers_are_pool_and_a_name(void **state)
{
	struct test_ctx *t = talloc_get_type_abort(*state, struct test_ctx);
	static const struct {
		const char *text;
		const char *want;
	} cases[] = {
		{"# x\n[pool shop\n",
		 "line 2: a section header is [pool NAME], with nothing after "
		 "the ']'"},
		{"[pool shop] # shop\n",
		 "line 1: a section header is [pool NAME], with nothing after"},
		{"[site shop]\n",
		 "line 1: a section header is [pool NAME], not [site shop]"},
		{"[pool]\n", "line 1: a section header is [pool NAME], not "
			     "[pool]"},
		{"[poolshop]\n", "not [poolshop]"},
		{"[pool my shop]\n",
		 "line 1: pool name \"my shop\": a pool name has 1 to 64 "
		 "letters, digits, '-', '_' or '.'"},
		{"[pool sh\xc3\xb6p]\n", "line 1: pool name \"sh\xc3\xb6p\""},
		{"[pool "
		 "a123456789a123456789a123456789a123456789a123456789a123456789"
		 "a1234]\n",
		 "a pool name has 1 to 64"},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		print_message("%s\n", cases[i].text);
		assert_refused(t, cases[i].text, cases[i].want);
	}
	assert_no_new_blocks(t);
}

static void test_text_that_is_not_a_pools_file_is_refused(void **state)
{
	struct test_ctx *t = talloc_get_type_abort(*state, struct test_ctx);
	static const char nul[] = "[pool p]\nidentity = a\nhos\0ts = web\n";
	static const char ok[] = "[pool p]\nidentity = a\nhosts = web\n";

	assert_refused_len(t, nul, sizeof(nul) - 1,
			   "line 3: NUL byte at column 4");
	assert_refused(t, "[pool p]\nidentity = \xc3(\n",
		       "line 2: the line is not valid UTF-8");
	assert_refused(t, "[pool p]\nidentity = \xed\xa0\x80\n",
		       "line 2: the line is not valid UTF-8");
	assert_refused(t, "[pool p]\nidentity = a\x1b[0m\n",
		       "line 2: control character 0x1b at column 13");
	assert_refused(t, "[pool p]\r\r\n",
		       "line 1: control character 0x0d at column 9");
	assert_refused(t, "", "the pools file defines no pool: each starts "
			      "with a [pool NAME] line");
	assert_refused(t, "# nothing yet\n\n   \n; really\n",
		       "the pools file defines no pool");
	assert_refused(t, "<?xml version=\"1.0\"?>\n<configuration/>\n",
		       "line 1: expected [pool NAME], key = value or a "
		       "comment, found \"<?xml version=\"1.0\"?>\"");
	/* the input need not be NUL-terminated */
	{
		struct spnpool_web_config *c = parse_ok(t, ok, sizeof(ok) - 3);

		assert_int_equal(c->num_bindings, 1);
		assert_string_equal(c->bindings[0].host, "we");
		talloc_free(c);
	}
	assert_no_new_blocks(t);
}

static void test_lines_over_4096_bytes_are_refused(void **state)
{
	struct test_ctx *t = talloc_get_type_abort(*state, struct test_ctx);
	char *text = NULL;
	char *hosts = talloc_zero_array(t->mem, char, 4097 + 1);
	struct spnpool_web_config *c = NULL;
	size_t i;

	assert_non_null(hosts);
	/* "hosts = " + "a,a,a..." made unique: h0,h1... is simpler */
	memset(hosts, ' ', 4097);
	memcpy(hosts, "hosts = web", 11);
	/* exactly 4096 bytes (trailing blanks) is fine */
	hosts[4096] = '\0';
	text = talloc_asprintf(t->mem, "[pool p]\nidentity = a\n%s\n", hosts);
	c = parse_ok(t, text, strlen(text));
	assert_int_equal(c->num_bindings, 1);
	talloc_free(c);
	talloc_free(text);
	/* 4096 bytes and a CR is still 4096 bytes */
	text = talloc_asprintf(t->mem, "[pool p]\nidentity = a\n%s\r\n",
			       hosts);
	c = parse_ok(t, text, strlen(text));
	talloc_free(c);
	talloc_free(text);
	hosts[4096] = ' ';
	text = talloc_asprintf(t->mem, "[pool p]\nidentity = a\n%s\n", hosts);
	assert_refused(t, text, "line 3: the line is longer than 4096 bytes");
	talloc_free(text);
	for (i = 0; i < 4097; i++) {
		hosts[i] = 'x';
	}
	assert_refused(t, hosts, "line 1: the line is longer than 4096 bytes");
	talloc_free(hosts);
	assert_no_new_blocks(t);
}

static void test_more_than_10000_pools_are_refused(void **state)
{
	struct test_ctx *t = talloc_get_type_abort(*state, struct test_ctx);
	char *text = talloc_strdup(t->mem, "");
	struct spnpool_web_config *c = NULL;
	int i;

	for (i = 0; i < 10000 && text != NULL; i++) {
		text = talloc_asprintf_append_buffer(
			text, "[pool p%d]\nidentity = svc-%d\nhosts = h%d\n", i,
			i, i);
	}
	assert_non_null(text);
	c = parse_ok(t, text, strlen(text));
	assert_int_equal(c->num_bindings, 10000);
	assert_string_equal(c->bindings[9999].pool, "p9999");
	assert_string_equal(c->bindings[9999].user_name, "svc-9999");
	talloc_free(c);
	text = talloc_strdup_append_buffer(text, "[pool one-more]\n");
	assert_non_null(text);
	assert_refused(t, text,
		       "line 30001: more than 10000 pools in one file");
	talloc_free(text);
	assert_no_new_blocks(t);
}

static void test_more_than_100000_bindings_are_refused(void **state)
{
	struct test_ctx *t = talloc_get_type_abort(*state, struct test_ctx);
	char *text = talloc_strdup(t->mem, "[pool p]\nidentity = a\nhosts =");
	int i;

	/* 400 hosts x 300 ports */
	for (i = 0; i < 400 && text != NULL; i++) {
		text = talloc_asprintf_append_buffer(text, " h%d", i);
	}
	text = talloc_strdup_append_buffer(text, "\nports =");
	for (i = 0; i < 300 && text != NULL; i++) {
		text = talloc_asprintf_append_buffer(text, " %d", 1000 + i);
	}
	text = talloc_strdup_append_buffer(text, "\n");
	assert_non_null(text);
	assert_refused(t, text,
		       "line 1: pool \"p\" takes the file over 100000 bindings "
		       "(hosts times ports)");
	talloc_free(text);
	assert_no_new_blocks(t);
}

static void test_result_belongs_to_mem_ctx_only(void **state)
{
	struct test_ctx *t = talloc_get_type_abort(*state, struct test_ctx);
	struct spnpool_web_config *c = NULL;
	size_t len;
	char *text = read_fixture(NULL, "pools.conf", &len);

	assert_int_equal(spnpool_pools_file_parse(t->mem, text, len, &c, NULL),
			 SPNPOOL_OK);
	assert_ptr_equal(talloc_parent(c), t->mem);
	assert_ptr_equal(talloc_parent(c->bindings[0].host), c->bindings);
	/* config, source, array; site, pool, host (+ user_name) each */
	assert_int_equal(talloc_total_blocks(c), 3 + 4 * 4 + 3);
	TALLOC_FREE(c);
	assert_no_new_blocks(t);
	assert_int_equal(spnpool_pools_file_parse(t->mem, "x", 1, &c, NULL),
			 SPNPOOL_ERR_CONFIG);
	assert_null(c);
	assert_no_new_blocks(t);
	talloc_free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TEST(test_each_host_gets_a_binding_per_port),
		TEST(test_default_ports_mean_no_port),
		TEST(test_hosts_are_lower_case_without_trailing_dot),
		TEST(test_builtin_identities_map_to_their_types),
		TEST(test_fixture_errors_name_line_and_rule),
		TEST(test_each_bad_value_names_its_rule),
		TEST(test_section_headers_are_pool_and_a_name),
		TEST(test_text_that_is_not_a_pools_file_is_refused),
		TEST(test_lines_over_4096_bytes_are_refused),
		TEST(test_more_than_10000_pools_are_refused),
		TEST(test_more_than_100000_bindings_are_refused),
		TEST(test_result_belongs_to_mem_ctx_only),
	};

	return cmocka_run_group_tests_name("poolsfile", tests, NULL, NULL);
}
