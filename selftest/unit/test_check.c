/*
 * check: the SPN a browser requests (CNAMEs in AD DNS followed), who the
 * KDC picks for it, and the verdict, on the AD-shaped fixture.
 */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ad_fixture.h"
#include "spnpool_private.h"

#define DN(cn) "CN=" cn "," FIX_USERS

static int setup(void **state)
{
	struct ad_fixture *f = ad_fixture_new(NULL, false);
	static const char *const web01[] = {"HOST/web01",
					    "HOST/web01.example.test", NULL};
	static const char *const pool[] = {"http/INTRANET",
					   "http/intranet.example.test",
					   "HTTP/dup.example.test", NULL};
	static const char *const other[] = {"http/farm.example.test",
					    "http/dup.example.test", NULL};

	ad_fixture_add(f, "svc-a", "svc-a", "user", pool);
	ad_fixture_add(f, "svc-b", "svc-b", "user", other);
	ad_fixture_add(f, "WEB01", "WEB01$", "computer", web01);
	ad_fixture_add(f, "WEB09", "WEB09$", "computer", NULL);
	ad_fixture_add_dns(f, "www", "web01.example.test");
	ad_fixture_add_dns(f, "intranet", NULL);
	ad_fixture_add_dns(f, "loop1", "loop2.example.test");
	ad_fixture_add_dns(f, "loop2", "loop1.example.test");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	assert_int_equal(talloc_free(*state), 0);
	return 0;
}

static struct spnpool_check_result *check(struct ad_fixture *f,
					  const char *target,
					  const char *identity,
					  const char *server,
					  bool kernel_mode,
					  enum spnpool_verdict expected)
{
	struct spnpool_check_request req = {
		.target = target,
		.identity = identity,
		.server = server,
		.kernel_mode = kernel_mode,
	};
	struct spnpool_check_result *r = NULL;
	int ret = spnpool_op_check(f, f->sdir, &req, &r);

	if (ret != LDB_SUCCESS) {
		fail_msg("check %s: %s", target, ldb_errstring(f->ldb));
	}
	if (r->verdict != expected) {
		fail_msg("check %s as %s: %s (%s), expected %s", target,
			 identity, spnpool_verdict_name(r->verdict), r->reason,
			 spnpool_verdict_name(expected));
	}
	return r;
}

static bool has_fix(const struct spnpool_check_result *r, const char *needle)
{
	size_t i;

	for (i = 0; i < r->num_fixes; i++) {
		if (strstr(r->fixes[i], needle) != NULL) {
			return true;
		}
	}
	return false;
}

static void test_pool_holding_the_spn_gets_kerberos(void **state)
{
	struct ad_fixture *f = *state;
	struct spnpool_check_result *r = NULL;

	r = check(f, "http://intranet/", "svc-a", NULL, false,
		  SPNPOOL_VERDICT_KERBEROS_OK);
	assert_string_equal(r->spn, "HTTP/intranet");
	assert_int_equal(r->num_answerers, 1);
	assert_int_equal(r->answerers[0].via, SPNPOOL_VIA_EXPLICIT);
	assert_int_equal(r->num_fixes, 0);
	/* the A record is no CNAME: the name stays as typed */
	assert_int_equal(r->num_cnames, 0);
	assert_string_equal(r->dns, "address");
	check(f, "https://INTRANET.example.test:443/app", "EXAMPLE\\svc-a",
	      NULL, false, SPNPOOL_VERDICT_KERBEROS_OK);
	assert_int_equal(spnpool_verdict_exit_code(SPNPOOL_VERDICT_KERBEROS_OK),
			 0);
}

static void test_nobody_holding_it_falls_back_to_ntlm(void **state)
{
	struct ad_fixture *f = *state;
	struct spnpool_check_result *r = NULL;

	r = check(f, "http://nobody.example.test/", "svc-a", NULL, false,
		  SPNPOOL_VERDICT_NTLM_FALLBACK);
	assert_int_equal(r->num_answerers, 0);
	/* the zone exists but has no record: nobody can reach this name */
	assert_string_equal(r->dns, "missing");
	assert_string_equal(check(f, "http://www.contoso.test/", "svc-a",
				  NULL, false, SPNPOOL_VERDICT_NTLM_FALLBACK)
				    ->dns,
			    "unknown");
	assert_true(has_fix(r, "samba-tool spn http-pool add 'svc-a' "
			       "nobody.example.test"));
	assert_true(has_fix(r, "setspn -S HTTP/nobody.example.test "
			       "EXAMPLE\\svc-a"));
	assert_int_equal(
		spnpool_verdict_exit_code(SPNPOOL_VERDICT_NTLM_FALLBACK), 10);
}

static void test_domain_pool_on_computer_name_fails(void **state)
{
	struct ad_fixture *f = *state;
	struct spnpool_check_result *r = NULL;

	r = check(f, "http://web01/", "svc-a", NULL, false,
		  SPNPOOL_VERDICT_KERBEROS_FAILS);
	assert_int_equal(r->answerers[0].via, SPNPOOL_VIA_HOST_ALIAS);
	assert_string_equal(r->answerers[0].sam_account_name, "WEB01$");
	assert_true(has_fix(r, "samba-tool spn http-pool add 'svc-a' web01"));
	assert_true(has_fix(r, "NTAuthenticationProviders"));
	assert_true(has_fix(r, "providers.[value='Negotiate']"));
	assert_int_equal(
		spnpool_verdict_exit_code(SPNPOOL_VERDICT_KERBEROS_FAILS), 11);
}

static void test_spn_held_by_another_domain_account_fails(void **state)
{
	struct ad_fixture *f = *state;
	struct spnpool_check_result *r = NULL;

	r = check(f, "http://farm.example.test/", "svc-a", NULL, false,
		  SPNPOOL_VERDICT_KERBEROS_FAILS);
	assert_string_equal(r->answerers[0].dn, DN("svc-b"));
	assert_true(has_fix(r, "--move"));
	assert_true(has_fix(r, "setspn -D http/farm.example.test "
			       "EXAMPLE\\svc-b") ||
		    has_fix(r, "setspn -D HTTP/farm.example.test "
			       "EXAMPLE\\svc-b"));
}

static void test_builtin_identity_uses_the_machine(void **state)
{
	struct ad_fixture *f = *state;
	struct spnpool_check_result *r = NULL;

	r = check(f, "http://web01.example.test/", "ApplicationPoolIdentity",
		  "web01", false, SPNPOOL_VERDICT_KERBEROS_OK);
	assert_true(r->pool->builtin);
	/* a computer without SPNs still answers for its own name */
	r = check(f, "http://web09.example.test/", "NetworkService", "web09",
		  false, SPNPOOL_VERDICT_KERBEROS_OK);
	assert_int_equal(r->answerers[0].via, SPNPOOL_VIA_COMPUTER_NAME);
}

static void test_kernel_mode_decrypts_with_the_machine(void **state)
{
	struct ad_fixture *f = *state;
	struct spnpool_check_result *r = NULL;
	struct spnpool_check_request req = {
		.target = "http://web01/",
		.identity = "svc-a",
		.kernel_mode = true,
	};

	check(f, "http://web01/", "svc-a", "web01", true,
	      SPNPOOL_VERDICT_KERBEROS_OK);
	/* the SPN on the pool account with kernel mode: needs
	 * useAppPoolCredentials */
	r = check(f, "http://intranet/", "svc-a", "web01", true,
		  SPNPOOL_VERDICT_KERBEROS_FAILS);
	assert_true(has_fix(r, "useAppPoolCredentials"));
	assert_int_equal(spnpool_op_check(f, f->sdir, &req, &r),
			 LDB_ERR_INVALID_ATTRIBUTE_SYNTAX);
	assert_non_null(strstr(ldb_errstring(f->ldb), "--server"));
}

static void test_duplicate_is_told_from_a_gap(void **state)
{
	struct ad_fixture *f = *state;
	struct spnpool_check_result *r = NULL;

	r = check(f, "dup.example.test", "svc-a", NULL, false,
		  SPNPOOL_VERDICT_DUPLICATE);
	assert_int_equal(r->num_answerers, 2);
	assert_true(has_fix(r, "samba-tool spn http-pool remove 'svc-b' "
			       "dup.example.test"));
	assert_false(has_fix(r, "remove 'svc-a'"));
	assert_int_equal(spnpool_verdict_exit_code(SPNPOOL_VERDICT_DUPLICATE),
			 12);
}

static void test_cname_target_names_the_spn(void **state)
{
	struct ad_fixture *f = *state;
	struct spnpool_check_result *r = NULL;

	r = check(f, "http://www.example.test/", "svc-a", NULL, false,
		  SPNPOOL_VERDICT_KERBEROS_FAILS);
	assert_int_equal(r->num_cnames, 1);
	assert_string_equal(r->cname_chain[0], "web01.example.test");
	assert_string_equal(r->spn, "HTTP/web01.example.test");
	/* the target has no record of its own in the fixture's zone */
	assert_string_equal(r->dns, "missing");
	assert_true(has_fix(r, "add 'svc-a' web01.example.test"));
	/* a short name is looked up with the domain suffix */
	r = check(f, "www", "WEB01$", NULL, false,
		  SPNPOOL_VERDICT_KERBEROS_OK);
	assert_string_equal(r->spn, "HTTP/web01.example.test");
	/* a CNAME loop stops */
	r = check(f, "loop1.example.test", "svc-a", NULL, false,
		  SPNPOOL_VERDICT_NTLM_FALLBACK);
	assert_int_equal(r->num_cnames, 2);
	assert_string_equal(r->dns, "cname");
}

static void test_port_only_when_the_client_includes_it(void **state)
{
	struct ad_fixture *f = *state;
	struct spnpool_check_request req = {
		.target = "http://intranet:8080/",
		.identity = "svc-a",
		.include_port = true,
	};
	struct spnpool_check_result *r = NULL;

	check(f, "http://intranet:8080/", "svc-a", NULL, false,
	      SPNPOOL_VERDICT_KERBEROS_OK);
	assert_int_equal(spnpool_op_check(f, f->sdir, &req, &r), LDB_SUCCESS);
	assert_string_equal(r->spn, "HTTP/intranet:8080");
	assert_int_equal(r->verdict, SPNPOOL_VERDICT_NTLM_FALLBACK);
	assert_true(has_fix(r, "add 'svc-a' intranet --port 8080"));
}

static void test_bad_input_is_refused(void **state)
{
	struct ad_fixture *f = *state;
	struct spnpool_check_request req = {.target = "ftp://x/",
					    .identity = "svc-a"};
	struct spnpool_check_result *r = NULL;

	assert_int_equal(spnpool_op_check(f, f->sdir, &req, &r),
			 LDB_ERR_INVALID_ATTRIBUTE_SYNTAX);
	assert_non_null(strstr(ldb_errstring(f->ldb), "ftp://x/"));
	req.target = "http://web01/";
	req.identity = "nobody";
	assert_int_equal(spnpool_op_check(f, f->sdir, &req, &r),
			 LDB_ERR_NO_SUCH_OBJECT);
	assert_null(r);
	assert_string_equal(spnpool_verdict_name(SPNPOOL_VERDICT_DUPLICATE),
			    "duplicate");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_pool_holding_the_spn_gets_kerberos),
		T(test_nobody_holding_it_falls_back_to_ntlm),
		T(test_domain_pool_on_computer_name_fails),
		T(test_spn_held_by_another_domain_account_fails),
		T(test_builtin_identity_uses_the_machine),
		T(test_kernel_mode_decrypts_with_the_machine),
		T(test_duplicate_is_told_from_a_gap),
		T(test_cname_target_names_the_spn),
		T(test_port_only_when_the_client_includes_it),
		T(test_bad_input_is_refused),
	};

	return cmocka_run_group_tests_name("check", tests, NULL, NULL);
}
