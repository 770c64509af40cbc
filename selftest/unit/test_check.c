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
	static const char *const web84[] = {"HOST/web84.example.test",
					    "HOST/web83.example.test", NULL};
	static const char *const long_name[] = {
		"HOST/intranet-web-001.example.test", "HOST/INTRANET-WEB-00",
		NULL};
	static const char *const fqdn_only[] = {"http/web97.example.test",
						NULL};

	ad_fixture_add(f, "WEB09", "WEB09$", "computer", NULL);
	/* cn and sAMAccountName differ: renamed, old, long DNS names */
	ad_fixture_add(f, "web85", "WEB85X$", "computer", NULL);
	ad_fixture_add(f, "web86-old", "WEB86$", "computer", NULL);
	ad_fixture_add(f, "intranet-web-001", "INTRANET-WEB-00$", "computer",
		       long_name);
	/* a stale computer web83 next to the server that took its name */
	ad_fixture_add(f, "web83", "WEB83$", "computer", NULL);
	ad_fixture_add(f, "web84", "WEB84$", "computer", web84);
	ad_fixture_add(f, "svc-c", "svc-c", "user", fqdn_only);
	ad_fixture_add_dns(f, "web01", NULL);
	ad_fixture_add_dns(f, "gone", "nothere.example.test");
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
			 identity, spnpool_verdict_name(r->verdict),
			 spnpool_check_reason_name(r->reason),
			 spnpool_verdict_name(expected));
	}
	return r;
}

/*
 * The fix as one line of facts, for matching: "add svc-a web01 --port
 * 8080 --move", "setspn-add HTTP/x EXAMPLE\\svc-a", "iis-ntlm-only".  Not
 * a command line: the words and quoting are samba_spnpool.render's (and
 * its tests').
 */
static char *fix_facts(TALLOC_CTX *mem_ctx, const struct spnpool_action *a)
{
	char *s = talloc_strdup(mem_ctx, spnpool_action_kind_name(a->kind));

	if (a->spn != NULL) {
		s = talloc_asprintf_append(s, " %s", a->spn);
	}
	if (a->account != NULL) {
		s = talloc_asprintf_append(s, " %s%s%s",
					   a->spn != NULL ? a->domain : "",
					   a->spn != NULL ? "\\" : "",
					   a->account);
	}
	if (a->host != NULL) {
		s = talloc_asprintf_append(s, " %s", a->host);
	}
	if (a->port != 0) {
		s = talloc_asprintf_append(s, " --port %u", (unsigned)a->port);
	}
	if (a->move) {
		s = talloc_asprintf_append(s, " --move");
	}
	return s;
}

static bool has_fix(const struct spnpool_check_result *r, const char *needle)
{
	size_t i;
	bool found = false;

	for (i = 0; i < r->num_fixes && !found; i++) {
		char *s = fix_facts(NULL, &r->fixes[i]);

		assert_non_null(s);
		found = strstr(s, needle) != NULL;
		talloc_free(s);
	}
	return found;
}

static void test_pool_holding_the_spn_gets_kerberos(void **state)
{
	struct ad_fixture *f = *state;
	struct spnpool_check_result *r = NULL;

	r = check(f, "http://intranet/", "svc-a", NULL, false,
		  SPNPOOL_VERDICT_KERBEROS_OK);
	/* a browser canonicalises the short name; as typed it stays */
	assert_int_equal(r->client, SPNPOOL_CLIENT_BROWSER);
	assert_string_equal(r->kdc, "samba");
	assert_string_equal(r->spn, "HTTP/intranet.example.test");
	assert_int_equal(r->other->client, SPNPOOL_CLIENT_AS_TYPED);
	assert_string_equal(r->other->spn, "HTTP/intranet");
	assert_int_equal(r->other->verdict, SPNPOOL_VERDICT_KERBEROS_OK);
	assert_null(r->other->other);
	assert_int_equal(r->num_answerers, 1);
	assert_int_equal(r->answerers[0].via, SPNPOOL_VIA_EXPLICIT);
	assert_int_equal(r->num_fixes, 0);
	/* the A record is no CNAME: the name stays as typed */
	assert_int_equal(r->num_cnames, 0);
	assert_string_equal(spnpool_dns_state_name(r->dns), "address");
	check(f, "https://INTRANET.example.test:443/app", "EXAMPLE\\svc-a",
	      NULL, false, SPNPOOL_VERDICT_KERBEROS_OK);
}

static void test_nobody_holding_it_falls_back_to_ntlm(void **state)
{
	struct ad_fixture *f = *state;
	struct spnpool_check_result *r = NULL;

	r = check(f, "http://nobody.example.test/", "svc-a", NULL, false,
		  SPNPOOL_VERDICT_NTLM_FALLBACK);
	assert_int_equal(r->num_answerers, 0);
	/* the zone exists but has no record: nobody can reach this name */
	assert_string_equal(spnpool_dns_state_name(r->dns), "missing");
	assert_int_equal(check(f, "http://www.contoso.test/", "svc-a", NULL,
			       false, SPNPOOL_VERDICT_NTLM_FALLBACK)
				 ->dns,
			 SPNPOOL_DNS_UNKNOWN);
	assert_true(has_fix(r, "add svc-a nobody.example.test"));
	assert_true(has_fix(r, "setspn-add HTTP/nobody.example.test "
			       "EXAMPLE\\svc-a"));
}

static void test_domain_pool_on_computer_name_fails(void **state)
{
	struct ad_fixture *f = *state;
	struct spnpool_check_result *r = NULL;

	r = check(f, "http://web01/", "svc-a", NULL, false,
		  SPNPOOL_VERDICT_KERBEROS_FAILS);
	assert_int_equal(r->answerers[0].via, SPNPOOL_VIA_HOST_ALIAS);
	assert_string_equal(r->answerers[0].sam_account_name, "WEB01$");
	assert_true(has_fix(r, "add svc-a web01"));
	assert_true(has_fix(r, "iis6-ntlm-only"));
	assert_true(has_fix(r, "iis-ntlm-only"));
}

static void test_spn_held_by_another_domain_account_fails(void **state)
{
	struct ad_fixture *f = *state;
	struct spnpool_check_result *r = NULL;

	r = check(f, "http://farm.example.test/", "svc-a", NULL, false,
		  SPNPOOL_VERDICT_KERBEROS_FAILS);
	assert_string_equal(r->answerers[0].dn, DN("svc-b"));
	assert_true(has_fix(r, "--move"));
	assert_true(has_fix(r, "setspn-delete http/farm.example.test "
			       "EXAMPLE\\svc-b") ||
		    has_fix(r, "setspn-delete HTTP/farm.example.test "
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
	assert_true(has_fix(r, "iis-app-pool-credentials"));
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
	assert_true(has_fix(r, "remove svc-b dup.example.test"));
	assert_false(has_fix(r, "remove svc-a"));
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
	assert_string_equal(spnpool_dns_state_name(r->dns), "address");
	assert_true(has_fix(r, "add svc-a web01.example.test"));
	/* as typed, the alias itself goes into the SPN */
	assert_string_equal(r->other->spn, "HTTP/www.example.test");
	assert_int_equal(r->other->verdict, SPNPOOL_VERDICT_NTLM_FALLBACK);
	/* a short name is looked up with the domain suffix */
	r = check(f, "www", "WEB01$", NULL, false,
		  SPNPOOL_VERDICT_KERBEROS_OK);
	assert_string_equal(r->spn, "HTTP/web01.example.test");
	/* a CNAME loop stops, and nobody reaches the site */
	r = check(f, "loop1.example.test", "svc-a", NULL, false,
		  SPNPOOL_VERDICT_UNRESOLVABLE);
	assert_int_equal(r->num_cnames, 2);
	assert_string_equal(spnpool_dns_state_name(r->dns), "cname");
	/* DNS is the same for every client model */
	assert_int_equal(r->other->verdict, SPNPOOL_VERDICT_UNRESOLVABLE);
}

static void test_dangling_cname_is_unresolvable(void **state)
{
	struct ad_fixture *f = *state;
	struct spnpool_check_result *r = NULL;

	r = check(f, "http://gone.example.test/", "svc-a", NULL, false,
		  SPNPOOL_VERDICT_UNRESOLVABLE);
	assert_string_equal(spnpool_dns_state_name(r->dns), "missing");
	assert_string_equal(r->cname_chain[0], "nothere.example.test");
	assert_string_equal(spnpool_verdict_name(SPNPOOL_VERDICT_UNRESOLVABLE),
			    "unresolvable");
	/* a name without any record stays a DNS note: AD DNS need not be
	 * what every client uses */
	check(f, "http://nobody.example.test/", "svc-a", NULL, false,
	      SPNPOOL_VERDICT_NTLM_FALLBACK);
}

static void test_kdc_matches_the_computer_by_cn(void **state)
{
	struct ad_fixture *f = *state;
	struct spnpool_check_result *r = NULL;

	/* renamed: cn web85, sAMAccountName WEB85X$ */
	r = check(f, "http://web85.example.test/", "WEB85X$", NULL, false,
		  SPNPOOL_VERDICT_KERBEROS_OK);
	assert_int_equal(r->answerers[0].via, SPNPOOL_VIA_COMPUTER_NAME);
	assert_string_equal(r->answerers[0].sam_account_name, "WEB85X$");
	/* cn web86-old: WEB86$ does not answer for web86 */
	r = check(f, "http://web86.example.test/", "WEB86$", NULL, false,
		  SPNPOOL_VERDICT_NTLM_FALLBACK);
	assert_int_equal(r->num_answerers, 0);
	/* the domain part does not matter, the first label does */
	check(f, "http://web85.elsewhere.test/", "WEB85X$", NULL, false,
	      SPNPOOL_VERDICT_KERBEROS_OK);
}

static void test_stale_computer_makes_the_fallback_ambiguous(void **state)
{
	struct ad_fixture *f = *state;
	struct spnpool_check_result *r = NULL;

	r = check(f, "http://web83.example.test/", "WEB84$", NULL, false,
		  SPNPOOL_VERDICT_DUPLICATE);
	assert_int_equal(r->num_answerers, 2);
	/* an explicit SPN is found before the fallback search */
	assert_true(has_fix(r, "add WEB84$ web83.example.test"));
	/* web84's own name has one answer */
	check(f, "http://web84.example.test/", "WEB84$", NULL, false,
	      SPNPOOL_VERDICT_KERBEROS_OK);
}

static void test_long_dns_name_answers_by_cn(void **state)
{
	struct ad_fixture *f = *state;
	struct spnpool_check_result *r = NULL;

	r = check(f, "http://intranet-web-001/", "NetworkService",
		  "intranet-web-001", false, SPNPOOL_VERDICT_KERBEROS_OK);
	assert_string_equal(r->pool->sam_account_name, "INTRANET-WEB-00$");
	assert_string_equal(r->spn, "HTTP/intranet-web-001.example.test");
	assert_int_equal(r->answerers[0].via, SPNPOOL_VIA_HOST_ALIAS);
	/* as typed: no host/intranet-web-001, but the cn matches */
	assert_int_equal(r->other->verdict, SPNPOOL_VERDICT_KERBEROS_OK);
	assert_int_equal(r->other->answerers[0].via,
			 SPNPOOL_VIA_COMPUTER_NAME);
	check(f, "http://intranet-web-001.example.test/", "NetworkService",
	      "intranet-web-001.example.test", false,
	      SPNPOOL_VERDICT_KERBEROS_OK);
}

static void test_client_model_picks_the_name(void **state)
{
	struct ad_fixture *f = *state;
	struct spnpool_check_request req = {
		.target = "http://web97/",
		.identity = "svc-c",
		.client = SPNPOOL_CLIENT_AS_TYPED,
	};
	struct spnpool_check_result *r = NULL;

	r = check(f, "http://web97/", "svc-c", NULL, false,
		  SPNPOOL_VERDICT_KERBEROS_OK);
	assert_string_equal(r->spn, "HTTP/web97.example.test");
	assert_int_equal(r->other->verdict, SPNPOOL_VERDICT_NTLM_FALLBACK);
	assert_int_equal(spnpool_op_check(f, f->sdir, &req, &r), LDB_SUCCESS);
	assert_int_equal(r->client, SPNPOOL_CLIENT_AS_TYPED);
	assert_string_equal(r->spn, "HTTP/web97");
	assert_int_equal(r->verdict, SPNPOOL_VERDICT_NTLM_FALLBACK);
	assert_int_equal(r->other->client, SPNPOOL_CLIENT_BROWSER);
	assert_int_equal(r->other->verdict, SPNPOOL_VERDICT_KERBEROS_OK);
	assert_string_equal(spnpool_client_model_name(SPNPOOL_CLIENT_AS_TYPED),
			    "as-typed");
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
	assert_string_equal(r->spn, "HTTP/intranet.example.test:8080");
	assert_int_equal(r->verdict, SPNPOOL_VERDICT_NTLM_FALLBACK);
	assert_true(has_fix(r, "add svc-a intranet.example.test --port "
			       "8080"));
	assert_string_equal(r->other->spn, "HTTP/intranet:8080");
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
		T(test_dangling_cname_is_unresolvable),
		T(test_kdc_matches_the_computer_by_cn),
		T(test_stale_computer_makes_the_fallback_ambiguous),
		T(test_long_dns_name_answers_by_cn),
		T(test_client_model_picks_the_name),
		T(test_port_only_when_the_client_includes_it),
		T(test_bad_input_is_refused),
	};

	return cmocka_run_group_tests_name("check", tests, NULL, NULL);
}
