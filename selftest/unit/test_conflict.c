/*
 * The uniqueness rules of AD as a pure decision: what adding an SPN to an
 * account means given the holders a directory search found.
 */

#include "test_common.h"

#define POOL "guid-pool"
#define OTHER "guid-other"
#define WEB01 "guid-web01"

static struct spnpool_alias_map *http_map(struct test_ctx *t)
{
	static const char *const values[] = {"host=www,http,w3svc"};
	struct spnpool_alias_map *map = NULL;

	assert_int_equal(spnpool_alias_map_parse(t->mem, values, 1, &map),
			 SPNPOOL_OK);
	return map;
}

static enum spnpool_conflict decide(struct test_ctx *t,
				    const char *candidate,
				    const struct spnpool_holder *holders,
				    size_t num,
				    size_t *which)
{
	return spnpool_conflict_decide(http_map(t), candidate, POOL, holders,
				       num, which);
}

static void test_nobody_holding_it_is_free(void **state)
{
	struct test_ctx *t = talloc_get_type_abort(*state, struct test_ctx);

	assert_int_equal(decide(t, "http/web01", NULL, 0, NULL),
			 SPNPOOL_CONFLICT_FREE);
}

static void test_same_spn_on_another_account_is_direct(void **state)
{
	struct test_ctx *t = talloc_get_type_abort(*state, struct test_ctx);
	const struct spnpool_holder h[] = {
		{OTHER, "CN=svc-b", "HTTP/WEB01", false},
	};
	size_t which = 99;

	assert_int_equal(decide(t, "http/web01", h, 1, &which),
			 SPNPOOL_CONFLICT_DIRECT);
	assert_int_equal(which, 0);
}

static void test_same_spn_on_our_account_in_any_case_is_ours(void **state)
{
	struct test_ctx *t = talloc_get_type_abort(*state, struct test_ctx);
	const struct spnpool_holder h[] = {
		{"GUID-POOL", "CN=pool", "Http/Web01", false},
	};

	assert_int_equal(decide(t, "http/web01", h, 1, NULL),
			 SPNPOOL_CONFLICT_OURS);
}

static void test_existing_duplicate_is_direct_even_if_ours(void **state)
{
	struct test_ctx *t = talloc_get_type_abort(*state, struct test_ctx);
	const struct spnpool_holder h[] = {
		{POOL, "CN=pool", "http/web01", false},
		{OTHER, "CN=svc-b", "http/web01", false},
	};
	size_t which = 99;

	assert_int_equal(decide(t, "http/web01", h, 2, &which),
			 SPNPOOL_CONFLICT_DIRECT);
	assert_int_equal(which, 1);
}

static void test_http_over_a_computers_host_shadows_it(void **state)
{
	struct test_ctx *t = talloc_get_type_abort(*state, struct test_ctx);
	const struct spnpool_holder h[] = {
		{WEB01, "CN=WEB01", "HOST/web01", true},
	};
	size_t which = 99;

	assert_int_equal(decide(t, "http/web01", h, 1, &which),
			 SPNPOOL_CONFLICT_ALIAS_SHADOWS);
	assert_int_equal(which, 0);
}

static void test_host_over_another_accounts_http_is_refused(void **state)
{
	struct test_ctx *t = talloc_get_type_abort(*state, struct test_ctx);
	const struct spnpool_holder h[] = {
		{OTHER, "CN=svc-b", "http/web01", false},
	};

	assert_int_equal(decide(t, "host/web01", h, 1, NULL),
			 SPNPOOL_CONFLICT_ALIAS_REFUSED);
}

static void test_aliases_on_our_own_account_do_not_conflict(void **state)
{
	struct test_ctx *t = talloc_get_type_abort(*state, struct test_ctx);
	const struct spnpool_holder h[] = {
		{POOL, "CN=pool", "host/web01", false},
	};

	assert_int_equal(decide(t, "http/web01", h, 1, NULL),
			 SPNPOOL_CONFLICT_FREE);
	assert_int_equal(decide(t, "www/web01", h, 1, NULL),
			 SPNPOOL_CONFLICT_FREE);
}

static void test_ports_and_siblings_do_not_collide(void **state)
{
	struct test_ctx *t = talloc_get_type_abort(*state, struct test_ctx);
	const struct spnpool_holder h[] = {
		{WEB01, "CN=WEB01", "host/web01:80", true},
		{OTHER, "CN=svc-b", "www/web01", false},
		{OTHER, "CN=svc-b", "http/web01.example.test", false},
		{OTHER, "CN=svc-b", "ldap/web01", false},
	};

	assert_int_equal(decide(t, "http/web01", h, 4, NULL),
			 SPNPOOL_CONFLICT_FREE);
}

static void test_alias_tail_compares_without_case(void **state)
{
	struct test_ctx *t = talloc_get_type_abort(*state, struct test_ctx);
	const struct spnpool_holder h[] = {
		{WEB01, "CN=WEB01", "HOST/WEB01.Example.Test:8080", true},
	};

	assert_int_equal(decide(t, "http/web01.example.test:8080", h, 1,
				NULL),
			 SPNPOOL_CONFLICT_ALIAS_SHADOWS);
}

static void test_precedence_direct_ours_refused_shadows(void **state)
{
	struct test_ctx *t = talloc_get_type_abort(*state, struct test_ctx);
	const struct spnpool_holder shadow_and_ours[] = {
		{WEB01, "CN=WEB01", "host/web01", true},
		{POOL, "CN=pool", "http/web01", false},
	};
	const struct spnpool_holder all[] = {
		{WEB01, "CN=WEB01", "host/web01", true},
		{POOL, "CN=pool", "http/web01", false},
		{OTHER, "CN=svc-b", "http/web01", false},
	};
	size_t which = 99;

	assert_int_equal(decide(t, "http/web01", shadow_and_ours, 2, &which),
			 SPNPOOL_CONFLICT_OURS);
	assert_int_equal(which, 1);
	assert_int_equal(decide(t, "http/web01", all, 3, &which),
			 SPNPOOL_CONFLICT_DIRECT);
	assert_int_equal(which, 2);
}

static void test_conflict_names_are_stable(void **state)
{
	(void)state;
	assert_string_equal(spnpool_conflict_name(SPNPOOL_CONFLICT_FREE),
			    "free");
	assert_string_equal(spnpool_conflict_name(SPNPOOL_CONFLICT_OURS),
			    "ours");
	assert_string_equal(spnpool_conflict_name(SPNPOOL_CONFLICT_DIRECT),
			    "direct");
	assert_string_equal(
		spnpool_conflict_name(SPNPOOL_CONFLICT_ALIAS_REFUSED),
		"alias-refused");
	assert_string_equal(
		spnpool_conflict_name(SPNPOOL_CONFLICT_ALIAS_SHADOWS),
		"alias-shadows");
	assert_string_equal(spnpool_conflict_name(99), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TEST(test_nobody_holding_it_is_free),
		TEST(test_same_spn_on_another_account_is_direct),
		TEST(test_same_spn_on_our_account_in_any_case_is_ours),
		TEST(test_existing_duplicate_is_direct_even_if_ours),
		TEST(test_http_over_a_computers_host_shadows_it),
		TEST(test_host_over_another_accounts_http_is_refused),
		TEST(test_aliases_on_our_own_account_do_not_conflict),
		TEST(test_ports_and_siblings_do_not_collide),
		TEST(test_alias_tail_compares_without_case),
		TEST(test_precedence_direct_ours_refused_shadows),
		TEST(test_conflict_names_are_stable),
	};

	return cmocka_run_group_tests_name("conflict", tests, NULL, NULL);
}
