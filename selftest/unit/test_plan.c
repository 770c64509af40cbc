/*
 * plan: from pools and their bindings to the names browsers use, who must
 * answer for each, the several-pools-one-name conflict with ranked
 * resolutions, and the exact directory changes.
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
	static const char *const web02[] = {"HOST/web02",
					    "HOST/web02.example.test", NULL};
	static const char *const farm[] = {"http/FARM",
					   "http/farm.example.test", NULL};

	ad_fixture_add(f, "WEB01", "WEB01$", "computer", web01);
	ad_fixture_add(f, "WEB02", "WEB02$", "computer", web02);
	ad_fixture_add(f, "svc-a", "svc-a", "user", NULL);
	ad_fixture_add(f, "svc-b", "svc-b", "user", farm);
	ad_fixture_add(f, "svc-c", "svc-c", "user", NULL);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	assert_int_equal(talloc_free(*state), 0);
	return 0;
}

/* A binding with Windows authentication (Negotiate, NTLM) on. */
static struct spnpool_web_binding binding(const char *site,
					  const char *app,
					  const char *pool,
					  const char *user,
					  const char *host)
{
	struct spnpool_web_binding b = {
		.site = discard_const(site),
		.app_path = discard_const(app),
		.pool = discard_const(pool),
		.identity_type = user != NULL ? SPNPOOL_POOL_SPECIFIC_USER
					      : SPNPOOL_POOL_APP_POOL_IDENTITY,
		.user_name = discard_const(user),
		.host = discard_const(host),
		.windows_auth = true,
		.negotiate = true,
	};
	return b;
}

static struct spnpool_plan *plan(struct ad_fixture *f,
				 struct spnpool_web_binding *b, size_t n,
				 const char *const *servers, size_t ns)
{
	struct spnpool_web_config cfg = {.source = discard_const("iis"),
					 .bindings = b,
					 .num_bindings = n};
	struct spnpool_plan *p = NULL;
	int ret = spnpool_op_plan(f, f->sdir, &cfg, servers, ns, false, &p);

	if (ret != LDB_SUCCESS) {
		fail_msg("plan: %s", ldb_errstring(f->ldb));
	}
	return p;
}

static void assert_change(const struct spnpool_change *c,
			  enum spnpool_change_action action, const char *dn,
			  const char *spn)
{
	assert_int_equal(c->action, action);
	assert_string_equal(c->dn, dn);
	assert_string_equal(c->spn, spn);
}

static const char *const web01_only[] = {"web01"};

static void test_domain_pool_on_the_computer_name_registers_both(void **state)
{
	struct ad_fixture *f = *state;
	struct spnpool_web_binding b[] = {
		binding("Default Web Site", "/", "Intranet", "EXAMPLE\\svc-a",
			NULL),
	};
	struct spnpool_plan *p = plan(f, b, 1, web01_only, 1);

	assert_int_equal(p->num_names, 1);
	assert_string_equal(p->names[0].netbios, "WEB01");
	assert_string_equal(p->names[0].fqdn, "web01.example.test");
	assert_string_equal(spnpool_plan_decision_name(p->names[0].decision), "register");
	assert_string_equal(p->names[0].account_dn, DN("svc-a"));
	assert_int_equal(p->num_changes, 2);
	assert_change(&p->changes[0], SPNPOOL_CHANGE_ADD, DN("svc-a"),
		      "http/WEB01");
	assert_change(&p->changes[1], SPNPOOL_CHANGE_ADD, DN("svc-a"),
		      "http/web01.example.test");
}

static void test_kernel_mode_on_the_computer_name_needs_nothing(void **state)
{
	struct ad_fixture *f = *state;
	struct spnpool_web_binding b[] = {
		binding("Default Web Site", "/", "Intranet", "EXAMPLE\\svc-a",
			NULL),
		binding("Default Web Site", "/", "DefaultAppPool", NULL, NULL),
	};
	struct spnpool_plan *p = NULL;

	b[0].kernel_mode = true;
	p = plan(f, b, 2, web01_only, 1);
	assert_int_equal(p->num_names, 1);
	assert_string_equal(spnpool_plan_decision_name(p->names[0].decision), "nothing");
	assert_string_equal(p->names[0].account_sam, "WEB01$");
	assert_int_equal(p->num_changes, 0);
}

static void test_farm_name_already_held_is_a_no_op(void **state)
{
	struct ad_fixture *f = *state;
	static const char *const servers[] = {"web01", "web02"};
	struct spnpool_web_binding b[] = {
		binding("Farm", "/", "Farm", "svc-b", "farm.example.test"),
	};
	struct spnpool_plan *p = plan(f, b, 1, servers, 2);

	assert_int_equal(p->num_names, 1);
	assert_string_equal(spnpool_plan_decision_name(p->names[0].decision), "register");
	assert_int_equal(p->names[0].num_users, 2);
	assert_int_equal(p->num_changes, 0);
}

static void test_name_held_by_another_account_moves_deletes_first(void **state)
{
	struct ad_fixture *f = *state;
	struct spnpool_web_binding b[] = {
		binding("Farm", "/", "Farm", "svc-a", "FARM"),
	};
	struct spnpool_plan *p = plan(f, b, 1, web01_only, 1);

	assert_int_equal(p->num_changes, 4);
	assert_change(&p->changes[0], SPNPOOL_CHANGE_DELETE, DN("svc-b"),
		      "http/FARM");
	assert_string_equal(p->changes[0].sam_account_name, "svc-b");
	assert_change(&p->changes[1], SPNPOOL_CHANGE_DELETE, DN("svc-b"),
		      "http/farm.example.test");
	assert_change(&p->changes[2], SPNPOOL_CHANGE_ADD, DN("svc-a"),
		      "http/FARM");
	assert_change(&p->changes[3], SPNPOOL_CHANGE_ADD, DN("svc-a"),
		      "http/farm.example.test");
}

static void test_two_pools_on_one_name_are_a_ranked_conflict(void **state)
{
	struct ad_fixture *f = *state;
	struct spnpool_web_binding b[] = {
		binding("Shop", "/api", "Shop API", "svc-c", "shop.example.test"),
		binding("Shop", "/", "Shop", "svc-a", "shop.example.test"),
	};
	struct spnpool_plan *p = NULL;
	bool distinct_cmd = false;

	b[0].site_id = discard_const("3");
	b[0].port = 8080;
	p = plan(f, b, 2, web01_only, 1);
	const struct spnpool_plan_name *n = &p->names[0];
	bool ntlm_cmd = false;
	size_t i;

	assert_int_equal(p->num_names, 1);
	assert_string_equal(spnpool_plan_decision_name(n->decision), "conflict");
	assert_false(n->unresolved);
	assert_int_equal(n->num_resolutions, 4);
	assert_string_equal(spnpool_resolution_kind_name(n->resolutions[0].kind), "shared-account");
	assert_string_equal(spnpool_resolution_kind_name(n->resolutions[1].kind), "distinct-names");
	assert_string_equal(spnpool_resolution_kind_name(n->resolutions[2].kind), "kernel-mode");
	assert_string_equal(spnpool_resolution_kind_name(n->resolutions[3].kind), "ntlm-only");
	assert_true(n->resolutions[3].chosen);
	assert_false(n->resolutions[0].chosen);
	/* the root application's pool keeps Kerberos */
	assert_string_equal(n->account_dn, DN("svc-a"));
	assert_int_equal(p->num_changes, 2);
	assert_change(&p->changes[0], SPNPOOL_CHANGE_ADD, DN("svc-a"),
		      "http/SHOP");
	for (i = 0; i < n->num_iis_actions; i++) {
		ntlm_cmd |= n->iis_actions[i].kind ==
				    SPNPOOL_ACTION_IIS_NTLM_ONLY &&
			    strcmp(n->iis_actions[i].site, "Shop") == 0 &&
			    strcmp(n->iis_actions[i].app_path, "/api") == 0;
	}
	assert_true(ntlm_cmd);
	for (i = 0; i < n->resolutions[3].num_actions; i++) {
		const struct spnpool_action *a = &n->resolutions[3].actions[i];

		if (a->kind == SPNPOOL_ACTION_IIS6_NTLM_ONLY) {
			assert_string_equal(a->site_id, "3");
			assert_string_equal(a->app_path, "/api");
		}
	}
	/* suggested names are valid host names */
	for (i = 0; i < n->resolutions[1].num_actions; i++) {
		const struct spnpool_action *a = &n->resolutions[1].actions[i];

		distinct_cmd |= a->kind == SPNPOOL_ACTION_ADD &&
				strcmp(a->account, "svc-c") == 0 &&
				strcmp(a->host,
				       "shop-api-shop.example.test") == 0;
	}
	assert_true(distinct_cmd);
	assert_string_equal(n->resolutions[0].domain, "EXAMPLE");
	assert_string_equal(n->resolutions[0].account, "svc-shop");
	/* the port is noted, not registered */
	assert_int_equal(p->num_notes, 1);
	assert_int_equal(p->notes[0].kind, SPNPOOL_NOTE_PORT);
	assert_int_equal(p->notes[0].port, 8080);
}

static void test_builtin_identities_on_a_farm_name_conflict(void **state)
{
	struct ad_fixture *f = *state;
	static const char *const servers[] = {"web01", "web02"};
	struct spnpool_web_binding b[] = {
		binding("Farm", "/", "Farm", NULL, "portal.example.test"),
	};
	struct spnpool_plan *p = plan(f, b, 1, servers, 2);
	const struct spnpool_plan_name *n = &p->names[0];
	size_t i;

	assert_string_equal(spnpool_plan_decision_name(n->decision), "conflict");
	assert_true(n->unresolved);
	assert_string_equal(spnpool_resolution_kind_name(n->resolutions[0].kind), "shared-account");
	for (i = 0; i < n->num_resolutions; i++) {
		assert_false(n->resolutions[i].chosen);
		assert_int_not_equal(n->resolutions[i].kind,
				     SPNPOOL_RESOLUTION_KERNEL_MODE);
	}
	assert_int_equal(p->num_changes, 0);
	assert_int_equal(p->num_notes, 1);
	assert_int_equal(p->notes[0].kind, SPNPOOL_NOTE_UNRESOLVED);
}

static void test_kernel_mode_domain_pool_needs_app_pool_credentials(
	void **state)
{
	struct ad_fixture *f = *state;
	struct spnpool_web_binding b[] = {
		binding("Portal", "/", "Portal", "svc-a", "portal.example.test"),
	};
	struct spnpool_plan *p = NULL;

	b[0].kernel_mode = true;
	p = plan(f, b, 1, web01_only, 1);
	assert_string_equal(spnpool_plan_decision_name(p->names[0].decision), "register");
	assert_string_equal(p->names[0].account_dn, DN("svc-a"));
	assert_int_equal(p->names[0].num_iis_actions, 1);
	assert_int_equal(p->names[0].iis_actions[0].kind,
			 SPNPOOL_ACTION_IIS_APP_POOL_CREDENTIALS);
	assert_int_equal(p->num_changes, 2);
}

static void test_apppoolidentity_on_the_computer_name_needs_nothing(
	void **state)
{
	struct ad_fixture *f = *state;
	struct spnpool_web_binding b[] = {
		binding("Default Web Site", "/", "DefaultAppPool", NULL, NULL),
	};
	struct spnpool_plan *p = plan(f, b, 1, web01_only, 1);

	assert_string_equal(spnpool_plan_decision_name(p->names[0].decision), "nothing");
	assert_int_equal(p->num_changes, 0);
}

static void test_pools_without_kerberos_are_skipped(void **state)
{
	struct ad_fixture *f = *state;
	struct spnpool_web_binding b[] = {
		binding("Old", "/", "Old", "svc-a", "old.example.test"),
		binding("Anon", "/", "Anon", NULL, "anon.example.test"),
		binding("Ntlm", "/", "Ntlm", "svc-a", "ntlm.example.test"),
	};
	struct spnpool_plan *p = NULL;

	b[0].windows_auth = false;
	b[1].identity_type = SPNPOOL_POOL_LOCAL_SERVICE;
	b[2].negotiate = false;
	p = plan(f, b, 3, web01_only, 1);
	assert_int_equal(p->num_names, 3);
	assert_string_equal(spnpool_plan_decision_name(p->names[0].decision), "skipped");
	assert_string_equal(spnpool_plan_decision_name(p->names[1].decision), "skipped");
	assert_string_equal(spnpool_plan_decision_name(p->names[2].decision), "skipped");
	assert_int_equal(p->num_changes, 0);
	assert_int_equal(p->num_notes, 1);
	assert_int_equal(p->notes[0].kind, SPNPOOL_NOTE_LOCAL_SERVICE);
}

static void test_bad_plans_are_refused(void **state)
{
	struct ad_fixture *f = *state;
	struct spnpool_web_binding any[] = {
		binding("Default Web Site", "/", "Pool", "svc-a", NULL),
	};
	struct spnpool_web_binding unknown[] = {
		binding("Shop", "/", "Shop", "EXAMPLE\\nobody", "shop"),
	};
	struct spnpool_web_config cfg = {.bindings = any, .num_bindings = 1};
	struct spnpool_plan *p = NULL;

	assert_int_equal(spnpool_op_plan(f, f->sdir, &cfg, NULL, 0, false, &p),
			 LDB_ERR_INVALID_ATTRIBUTE_SYNTAX);
	assert_non_null(strstr(ldb_errstring(f->ldb), "--server"));
	cfg.bindings = unknown;
	assert_int_equal(spnpool_op_plan(f, f->sdir, &cfg, web01_only, 1, false, &p),
			 LDB_ERR_NO_SUCH_OBJECT);
	assert_non_null(strstr(ldb_errstring(f->ldb), "pool Shop of site Shop"));
	assert_null(p);
}

/* svc-full holding `held` SPNs, planned for web01 (2 more values). */
static struct spnpool_plan *plan_onto_held(struct ad_fixture *f, size_t held)
{
	const char **spns = talloc_zero_array(f, const char *, held + 1);
	struct spnpool_web_binding b[] = {
		binding("Default Web Site", "/", "Intranet",
			"EXAMPLE\\svc-full", NULL),
	};
	size_t i;

	assert_non_null(spns);
	for (i = 0; i < held; i++) {
		spns[i] = talloc_asprintf(spns, "http/full%04zu.example.test",
					  i);
		assert_non_null(spns[i]);
	}
	ad_fixture_add(f, "svc-full", "svc-full", "user", spns);
	return plan(f, b, 1, web01_only, 1);
}

static void test_plan_warns_before_an_account_passes_1000_values(void **state)
{
	struct ad_fixture *f = *state;
	struct spnpool_plan *p = plan_onto_held(f, 999);

	assert_int_equal(p->num_changes, 2);
	assert_int_equal(p->num_notes, 1);
	assert_int_equal(p->notes[0].kind, SPNPOOL_NOTE_TOO_MANY_VALUES);
	assert_string_equal(p->notes[0].account, "svc-full");
	assert_int_equal(p->notes[0].values, 1001);
	assert_int_equal(p->notes[0].limit, SPNPOOL_PLAN_MAX_VALUES);
	assert_string_equal(spnpool_note_kind_name(p->notes[0].kind),
			    "too-many-values");
}

static void test_plan_reaching_1000_values_is_not_warned(void **state)
{
	struct ad_fixture *f = *state;
	struct spnpool_plan *p = plan_onto_held(f, 998);

	assert_int_equal(p->num_changes, 2);
	assert_int_equal(p->num_notes, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_domain_pool_on_the_computer_name_registers_both),
		T(test_kernel_mode_on_the_computer_name_needs_nothing),
		T(test_farm_name_already_held_is_a_no_op),
		T(test_name_held_by_another_account_moves_deletes_first),
		T(test_two_pools_on_one_name_are_a_ranked_conflict),
		T(test_builtin_identities_on_a_farm_name_conflict),
		T(test_kernel_mode_domain_pool_needs_app_pool_credentials),
		T(test_apppoolidentity_on_the_computer_name_needs_nothing),
		T(test_pools_without_kerberos_are_skipped),
		T(test_bad_plans_are_refused),
		T(test_plan_warns_before_an_account_passes_1000_values),
		T(test_plan_reaching_1000_values_is_not_warned),
	};

	return cmocka_run_group_tests_name("plan", tests, NULL, NULL);
}
