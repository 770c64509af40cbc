/*
 * SPN text: parsing, the precise reason for each rejection, formatting and
 * the directory's comparison rules.
 */

#include "test_common.h"
#include "spnpool_private.h"

struct bad_spn {
	const char *text;
	enum spnpool_status expected;
};

static void test_parse_two_part_spn_keeps_spelling(void **state)
{
	struct test_ctx *t = talloc_get_type_abort(*state, struct test_ctx);
	struct spnpool_spn *spn = NULL;

	assert_int_equal(spnpool_spn_parse(t->mem, "HTTP/Web01", &spn),
			 SPNPOOL_OK);
	assert_string_equal(spn->service_class, "HTTP");
	assert_string_equal(spn->host, "Web01");
	assert_int_equal(spn->port, 0);
	assert_null(spn->service_name);
}

static void test_parse_port_and_service_name(void **state)
{
	struct test_ctx *t = talloc_get_type_abort(*state, struct test_ctx);
	struct spnpool_spn *spn = NULL;

	assert_int_equal(spnpool_spn_parse(t->mem,
					   "ldap/dc1.example.test:389/"
					   "example.test",
					   &spn),
			 SPNPOOL_OK);
	assert_string_equal(spn->service_class, "ldap");
	assert_string_equal(spn->host, "dc1.example.test");
	assert_int_equal(spn->port, 389);
	assert_string_equal(spn->service_name, "example.test");
}

static void test_parse_port_limits_are_inclusive(void **state)
{
	struct test_ctx *t = talloc_get_type_abort(*state, struct test_ctx);
	struct spnpool_spn *spn = NULL;

	assert_int_equal(spnpool_spn_parse(t->mem, "http/x.test:1", &spn),
			 SPNPOOL_OK);
	assert_int_equal(spn->port, 1);
	assert_int_equal(spnpool_spn_parse(t->mem, "http/x.test:65535", &spn),
			 SPNPOOL_OK);
	assert_int_equal(spn->port, 65535);
}

static void test_parse_drops_trailing_dot_of_fqdn(void **state)
{
	struct test_ctx *t = talloc_get_type_abort(*state, struct test_ctx);
	struct spnpool_spn *spn = NULL;

	assert_int_equal(spnpool_spn_parse(t->mem,
					   "http/web01.example.test.:8080",
					   &spn),
			 SPNPOOL_OK);
	assert_string_equal(spn->host, "web01.example.test");
	assert_int_equal(spn->port, 8080);
}

static void test_parse_rejects_each_bad_input_with_its_reason(void **state)
{
	struct test_ctx *t = talloc_get_type_abort(*state, struct test_ctx);
	static const struct bad_spn cases[] = {
		{"", SPNPOOL_ERR_EMPTY},
		{"http", SPNPOOL_ERR_NO_SLASH},
		{"http/", SPNPOOL_ERR_EMPTY_HOST},
		{"http//x", SPNPOOL_ERR_EMPTY_HOST},
		{"http/:80", SPNPOOL_ERR_EMPTY_HOST},
		{"/web01", SPNPOOL_ERR_EMPTY_CLASS},
		{"a/b/c/d", SPNPOOL_ERR_TOO_MANY_PARTS},
		{"http/x/y/", SPNPOOL_ERR_TOO_MANY_PARTS},
		{"http/x/", SPNPOOL_ERR_EMPTY_SERVICE_NAME},
		{"http/x/a*", SPNPOOL_ERR_BAD_SERVICE_NAME},
		{"ht*p/x", SPNPOOL_ERR_BAD_CLASS},
		{"ht(p/x", SPNPOOL_ERR_BAD_CLASS},
		{"http/web 01", SPNPOOL_ERR_WHITESPACE},
		{" http/web01", SPNPOOL_ERR_WHITESPACE},
		{"http/web01 ", SPNPOOL_ERR_WHITESPACE},
		{"http/web01\t", SPNPOOL_ERR_CONTROL_CHAR},
		{"http/web\n01", SPNPOOL_ERR_CONTROL_CHAR},
		{"http/web\x7f", SPNPOOL_ERR_CONTROL_CHAR},
		{"http/x:0", SPNPOOL_ERR_PORT_RANGE},
		{"http/x:65536", SPNPOOL_ERR_PORT_RANGE},
		{"http/x:999999", SPNPOOL_ERR_PORT_RANGE},
		{"http/x:08", SPNPOOL_ERR_BAD_PORT},
		{"http/x:00", SPNPOOL_ERR_BAD_PORT},
		{"http/x:", SPNPOOL_ERR_BAD_PORT},
		{"http/x:+80", SPNPOOL_ERR_BAD_PORT},
		{"http/x:-1", SPNPOOL_ERR_BAD_PORT},
		{"http/x:8o", SPNPOOL_ERR_BAD_PORT},
		{"http/x:80:90", SPNPOOL_ERR_BAD_PORT},
		{"http/*", SPNPOOL_ERR_HOST_CHAR},
		{"http/web(01)", SPNPOOL_ERR_HOST_CHAR},
		{"http/web01)", SPNPOOL_ERR_HOST_CHAR},
		{"http/web\\01", SPNPOOL_ERR_HOST_CHAR},
		{"http/svc_web", SPNPOOL_ERR_HOST_CHAR},
		{"http/user@web", SPNPOOL_ERR_HOST_CHAR},
		{"http/w\xc3\xa9" "b01", SPNPOOL_ERR_HOST_NON_ASCII},
		{"http/\xff", SPNPOOL_ERR_BAD_UTF8},
		{"http/\xc0\xaf", SPNPOOL_ERR_BAD_UTF8},
		{"http/\xed\xa0\x80", SPNPOOL_ERR_BAD_UTF8},
		{"http/\xe2\x82", SPNPOOL_ERR_BAD_UTF8},
		{"http/\xf4\x90\x80\x80", SPNPOOL_ERR_BAD_UTF8},
		{"http/-web", SPNPOOL_ERR_HOST_HYPHEN},
		{"http/web-.example.test", SPNPOOL_ERR_HOST_HYPHEN},
		{"http/.web", SPNPOOL_ERR_HOST_LABEL_EMPTY},
		{"http/a..b", SPNPOOL_ERR_HOST_LABEL_EMPTY},
		{"http/web01.", SPNPOOL_ERR_HOST_TRAILING_DOT},
		{"http/203.0.113.7", SPNPOOL_ERR_HOST_NUMERIC},
		{"http/1234", SPNPOOL_ERR_HOST_NUMERIC},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct spnpool_spn *spn = NULL;
		enum spnpool_status st;

		st = spnpool_spn_parse(t->mem, cases[i].text, &spn);
		if (st != cases[i].expected) {
			fail_msg("'%s': got %s, expected %s", cases[i].text,
				 spnpool_status_string(st),
				 spnpool_status_string(cases[i].expected));
		}
		assert_null(spn);
	}
	assert_no_new_blocks(t);
}

static void test_parse_rejects_null(void **state)
{
	struct test_ctx *t = talloc_get_type_abort(*state, struct test_ctx);
	struct spnpool_spn *spn = NULL;

	assert_int_equal(spnpool_spn_parse(t->mem, NULL, &spn),
			 SPNPOOL_ERR_EMPTY);
	assert_int_equal(spnpool_spn_parse_len(t->mem, NULL, 0, &spn),
			 SPNPOOL_ERR_EMPTY);
}

static void test_parse_refuses_nul_in_the_middle(void **state)
{
	struct test_ctx *t = talloc_get_type_abort(*state, struct test_ctx);
	static const char text[] = "http/we\0b01";
	struct spnpool_spn *spn = NULL;

	assert_int_equal(spnpool_spn_parse_len(t->mem, text,
					       sizeof(text) - 1, &spn),
			 SPNPOOL_ERR_CONTROL_CHAR);
	assert_null(spn);
}

static void test_parse_counted_text_needs_no_terminator(void **state)
{
	struct test_ctx *t = talloc_get_type_abort(*state, struct test_ctx);
	struct spnpool_spn *spn = NULL;

	/* only the first 10 bytes are the SPN */
	assert_int_equal(spnpool_spn_parse_len(t->mem, "http/web01GARBAGE",
					       10, &spn),
			 SPNPOOL_OK);
	assert_string_equal(spn->host, "web01");
}

static void test_parse_label_limits(void **state)
{
	struct test_ctx *t = talloc_get_type_abort(*state, struct test_ctx);
	struct spnpool_spn *spn = NULL;
	char label63[64];
	char *text = NULL;

	memset(label63, 'a', 63);
	label63[63] = '\0';
	text = talloc_asprintf(t->mem, "http/%s.test", label63);
	assert_int_equal(spnpool_spn_parse(t->mem, text, &spn), SPNPOOL_OK);

	text = talloc_asprintf(t->mem, "http/%sa.test", label63);
	assert_int_equal(spnpool_spn_parse(t->mem, text, &spn),
			 SPNPOOL_ERR_HOST_LABEL_TOO_LONG);

	/* a 300-character label is named as the label's fault */
	text = talloc_asprintf(t->mem, "http/%s%s%s%s.test", label63, label63,
			       label63, label63);
	text = talloc_asprintf_append(text, "%s", label63);
	assert_int_equal(spnpool_spn_parse(t->mem, text, &spn),
			 SPNPOOL_ERR_HOST_LABEL_TOO_LONG);
}

static void test_parse_host_length_limit(void **state)
{
	struct test_ctx *t = talloc_get_type_abort(*state, struct test_ctx);
	struct spnpool_spn *spn = NULL;
	char *host = talloc_strdup(t->mem, "");
	char *text = NULL;
	int i;

	/* 4 labels of 62 + 3 dots = 251, +".ab" = 254 > 253 */
	for (i = 0; i < 4; i++) {
		char label[63];

		memset(label, 'a' + i, 62);
		label[62] = '\0';
		host = talloc_asprintf_append(host, "%s%s", i ? "." : "",
					      label);
	}
	text = talloc_asprintf(t->mem, "http/%s.a", host);
	assert_int_equal(strlen(text) - 5, 253);
	assert_int_equal(spnpool_spn_parse(t->mem, text, &spn), SPNPOOL_OK);
	text = talloc_asprintf(t->mem, "http/%s.ab", host);
	assert_int_equal(spnpool_spn_parse(t->mem, text, &spn),
			 SPNPOOL_ERR_HOST_TOO_LONG);
}

static void test_parse_rejects_overlong_spn(void **state)
{
	struct test_ctx *t = talloc_get_type_abort(*state, struct test_ctx);
	struct spnpool_spn *spn = NULL;
	char *text = talloc_array(t->mem, char, SPNPOOL_SPN_MAX_LEN + 2);

	memset(text, 'a', SPNPOOL_SPN_MAX_LEN + 1);
	memcpy(text, "http/", 5);
	text[SPNPOOL_SPN_MAX_LEN + 1] = '\0';
	assert_int_equal(spnpool_spn_parse(t->mem, text, &spn),
			 SPNPOOL_ERR_TOO_LONG);
}

static void test_format_round_trips(void **state)
{
	struct test_ctx *t = talloc_get_type_abort(*state, struct test_ctx);
	static const char *const texts[] = {
		"HTTP/web01",
		"http/web01.example.test:8080",
		"ldap/dc1.example.test/example.test",
		"MSSQLSvc/sql.example.test:1433/example.test",
	};
	size_t i;

	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		struct spnpool_spn *spn = NULL;

		assert_int_equal(spnpool_spn_parse(t->mem, texts[i], &spn),
				 SPNPOOL_OK);
		assert_string_equal(spnpool_spn_format(t->mem, spn), texts[i]);
	}
}

static void test_compare_ignores_ascii_case(void **state)
{
	(void)state;
	assert_true(spnpool_spn_equal("HTTP/web01", "http/WEB01"));
	assert_true(spnpool_spn_equal("http/Web01.Example.Test",
				      "HTTP/web01.example.test"));
	assert_false(spnpool_spn_equal("http/web01", "http/web02"));
	assert_false(spnpool_spn_equal("http/web01", "http/web01x"));
}

static void test_compare_treats_ports_as_distinct(void **state)
{
	(void)state;
	assert_false(spnpool_spn_equal("http/x", "http/x:80"));
	assert_false(spnpool_spn_equal("http/x:80", "http/x:8080"));
}

static void test_compare_folds_spaces_like_samba(void **state)
{
	(void)state;
	assert_true(spnpool_spn_equal("  http/x  ", "http/x"));
	assert_true(spnpool_spn_equal("a   b", "a b"));
	assert_false(spnpool_spn_equal("ab", "a b"));
	assert_true(spnpool_spn_equal("", "   "));
}

static void test_compare_keeps_non_ascii_exact(void **state)
{
	(void)state;
	assert_false(spnpool_spn_equal("http/\xc3\xa9", "http/\xc3\x89"));
	assert_true(spnpool_spn_equal("HTTP/\xc3\xa9", "http/\xc3\xa9"));
}

static void test_compare_is_a_total_order(void **state)
{
	static const char *const v[] = {"a", "A b", "a  c", "b", "http/x",
					"HTTP/x:80", "", "\xc3\xa9"};
	size_t i;
	size_t k;

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		for (k = 0; k < sizeof(v) / sizeof(v[0]); k++) {
			int ab = spnpool_spn_compare(v[i], v[k]);
			int ba = spnpool_spn_compare(v[k], v[i]);

			assert_int_equal((ab > 0) - (ab < 0),
					 -((ba > 0) - (ba < 0)));
		}
	}
}

static void test_fold_gives_equal_keys_to_equal_spns(void **state)
{
	struct test_ctx *t = talloc_get_type_abort(*state, struct test_ctx);

	assert_string_equal(spnpool_spn_fold(t->mem, "  HTTP/Web01  "),
			    "http/web01");
	assert_string_equal(spnpool_spn_fold(t->mem, "A   B"), "a b");
	assert_string_equal(spnpool_spn_fold(t->mem, "HTTP/x:80"),
			    spnpool_spn_fold(t->mem, "http/X:80"));
}

/* FNV-1a of a string, written out here so that the test does not share
 * the library's loop */
static uint64_t fnv1a(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *s != '\0'; s++) {
		h = (h ^ (uint8_t)*s) * 0x100000001b3ULL;
	}
	return h;
}

/*
 * audit finds duplicates through spnpool_spn_fold_hash(): if it folded
 * differently from spnpool_spn_equal(), two stored spellings of one SPN
 * would land in different slots and the duplicate would go unreported.
 */
static void test_audit_hash_folds_like_spn_equal(void **state)
{
	struct test_ctx *t = talloc_get_type_abort(*state, struct test_ctx);
	static const char *const spellings[] = {
		"http/web01.example.test",  "HTTP/Web01.Example.Test",
		"  http/web01.example.test", "http/web01.example.test   ",
		" HTTP/WEB01.EXAMPLE.TEST ", "a b",
		"A   B",		     "  a  b  ",
		"ab",			     "http/x:80",
		"HTTP/X:80",		     "http/x:8080",
		"",			     "   ",
		"http/\xc3\xa9.test",	     "HTTP/\xc3\xa9.TEST",
		"http/\xc3\x89.test",
	};
	size_t n = sizeof(spellings) / sizeof(spellings[0]);
	size_t i;
	size_t j;

	for (i = 0; i < n; i++) {
		const char *folded = spnpool_spn_fold(t->mem, spellings[i]);

		assert_non_null(folded);
		assert_true(spnpool_spn_fold_hash(spellings[i]) ==
			    fnv1a(folded));
		for (j = 0; j < n; j++) {
			bool same_hash =
				spnpool_spn_fold_hash(spellings[i]) ==
				spnpool_spn_fold_hash(spellings[j]);

			assert_int_equal(same_hash,
					 spnpool_spn_equal(spellings[i],
							   spellings[j]));
		}
	}
}

static void test_every_status_has_a_rule(void **state)
{
	int i;

	(void)state;
	for (i = 0; i < SPNPOOL_STATUS_COUNT; i++) {
		const char *s = spnpool_status_string(i);

		assert_non_null(s);
		assert_string_not_equal(s, "unknown status");
	}
	assert_string_equal(spnpool_status_string(SPNPOOL_STATUS_COUNT),
			    "unknown status");
	/* names come from the same list: one per value, all different */
	for (i = 0; i < SPNPOOL_STATUS_COUNT; i++) {
		int k;

		assert_string_not_equal(spnpool_status_name(i), "unknown");
		for (k = 0; k < i; k++) {
			assert_string_not_equal(spnpool_status_name(i),
						spnpool_status_name(k));
		}
	}
	assert_string_equal(spnpool_status_name(SPNPOOL_OK), "ok");
	assert_string_equal(spnpool_status_name(SPNPOOL_ERR_BAD_PORT),
			    "bad_port");
	assert_string_equal(spnpool_status_name(SPNPOOL_STATUS_COUNT),
			    "unknown");
	assert_string_equal(spnpool_version(), SPNPOOL_VERSION);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TEST(test_parse_two_part_spn_keeps_spelling),
		TEST(test_audit_hash_folds_like_spn_equal),
		TEST(test_parse_port_and_service_name),
		TEST(test_parse_port_limits_are_inclusive),
		TEST(test_parse_drops_trailing_dot_of_fqdn),
		TEST(test_parse_rejects_each_bad_input_with_its_reason),
		TEST(test_parse_rejects_null),
		TEST(test_parse_refuses_nul_in_the_middle),
		TEST(test_parse_counted_text_needs_no_terminator),
		TEST(test_parse_label_limits),
		TEST(test_parse_host_length_limit),
		TEST(test_parse_rejects_overlong_spn),
		TEST(test_format_round_trips),
		TEST(test_compare_ignores_ascii_case),
		TEST(test_compare_treats_ports_as_distinct),
		TEST(test_compare_folds_spaces_like_samba),
		TEST(test_compare_keeps_non_ascii_exact),
		TEST(test_compare_is_a_total_order),
		TEST(test_fold_gives_equal_keys_to_equal_spns),
		TEST(test_every_status_has_a_rule),
	};

	return cmocka_run_group_tests_name("spn", tests, NULL, NULL);
}
