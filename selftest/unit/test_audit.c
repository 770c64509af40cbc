/*
 * audit: every duplicate, shadowed HOST/, half registration and HTTP SPN on
 * a disabled account, from one scan of the AD-shaped fixture.
 */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
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
	static const char *const good[] = {"http/INTRANET",
					   "http/intranet.example.test", NULL};
	static const char *const dup_a[] = {"http/SHOP", "HTTP/Shop.example.test",
					    "ldap/x.example.test", NULL};
	static const char *const dup_b[] = {"http/shop", "http/SHOP.example.test",
					    "LDAP/x.example.test", NULL};
	static const char *const shadow[] = {"http/WEB01",
					     "http/web01.example.test", NULL};
	static const char *const half[] = {"http/half.example.test:8080",
					   NULL};
	static const char *const off[] = {"http/OLD", "http/old.example.test",
					  NULL};

	ad_fixture_add(f, "WEB01", "WEB01$", "computer", web01);
	ad_fixture_add(f, "svc-good", "svc-good", "user", good);
	ad_fixture_add(f, "svc-a", "svc-a", "user", dup_a);
	ad_fixture_add(f, "svc-b", "svc-b", "user", dup_b);
	ad_fixture_add(f, "svc-web01", "svc-web01", "user", shadow);
	ad_fixture_add(f, "svc-half", "svc-half", "user", half);
	ad_fixture_add(f, "svc-old", "svc-old", "user", off);
	ad_fixture_disable(f, DN("svc-old"));
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	assert_int_equal(talloc_free(*state), 0);
	return 0;
}

struct progress {
	unsigned calls;
	uint64_t last_entries;
};

static void on_progress(void *data, uint64_t entries, uint64_t values)
{
	struct progress *p = data;

	(void)values;
	p->calls++;
	p->last_entries = entries;
}

static size_t count_kind(const struct spnpool_audit_result *r,
			 enum spnpool_finding_kind kind)
{
	size_t n = 0;
	size_t i;

	for (i = 0; i < r->num_findings; i++) {
		n += (r->findings[i].kind == kind);
	}
	return n;
}

static const struct spnpool_finding *find(const struct spnpool_audit_result *r,
					  enum spnpool_finding_kind kind,
					  const char *spn)
{
	size_t i;

	for (i = 0; i < r->num_findings; i++) {
		if (r->findings[i].kind == kind &&
		    spnpool_spn_equal(r->findings[i].spn, spn)) {
			return &r->findings[i];
		}
	}
	fail_msg("no %s finding for %s", spnpool_finding_name(kind), spn);
	return NULL;
}

static void test_audit_finds_every_kind_of_problem(void **state)
{
	struct ad_fixture *f = *state;
	struct spnpool_audit_request req = {0};
	struct spnpool_audit_result *r = NULL;
	const struct spnpool_finding *x = NULL;

	assert_int_equal(spnpool_op_audit(f, f->sdir, &req, &r), LDB_SUCCESS);
	assert_int_equal(r->entries_read, 7);
	assert_int_equal(r->values_read, 15);
	/* ldb/ values are not considered without --all-classes */
	assert_int_equal(r->distinct_spns, 11);

	assert_int_equal(count_kind(r, SPNPOOL_FINDING_DUPLICATE), 2);
	x = find(r, SPNPOOL_FINDING_DUPLICATE, "http/shop");
	assert_int_equal(x->num_dns, 2);
	assert_string_equal(x->dns[0], DN("svc-a"));
	assert_string_equal(x->dns[1], DN("svc-b"));
	/* audit cannot know which holder's pool is right: both are named */
	assert_int_equal(x->num_fixes, 2);
	assert_int_equal(x->fixes[0].kind, SPNPOOL_ACTION_REMOVE);
	assert_string_equal(x->fixes[0].account, "svc-a");
	assert_string_equal(x->fixes[1].account, "svc-b");
	assert_string_equal(x->fixes[1].host, "SHOP");

	assert_int_equal(count_kind(r, SPNPOOL_FINDING_SHADOWS_HOST), 2);
	x = find(r, SPNPOOL_FINDING_SHADOWS_HOST, "http/web01");
	assert_string_equal(x->dns[0], DN("svc-web01"));
	assert_string_equal(x->dns[1], DN("WEB01"));

	assert_int_equal(count_kind(r, SPNPOOL_FINDING_MISSING_FORM), 1);
	x = find(r, SPNPOOL_FINDING_MISSING_FORM,
		 "http/half.example.test:8080");
	assert_string_equal(x->other_spn, "http/HALF:8080");
	assert_string_equal(x->sams[0], "svc-half");
	assert_int_equal(x->num_fixes, 1);
	assert_int_equal(x->fixes[0].kind, SPNPOOL_ACTION_ADD);
	assert_string_equal(x->fixes[0].account, "svc-half");
	assert_string_equal(x->fixes[0].host, "half.example.test");
	assert_int_equal(x->fixes[0].port, 8080);

	assert_int_equal(count_kind(r, SPNPOOL_FINDING_DISABLED), 1);
	x = find(r, SPNPOOL_FINDING_DISABLED, "http/old.example.test");
	assert_string_equal(x->dns[0], DN("svc-old"));
	assert_int_equal(r->num_findings, 6);
	/* sorted by kind */
	assert_int_equal(r->findings[0].kind, SPNPOOL_FINDING_DUPLICATE);
	assert_int_equal(r->findings[5].kind, SPNPOOL_FINDING_DISABLED);
}

static void test_all_classes_reports_other_duplicates(void **state)
{
	struct ad_fixture *f = *state;
	struct spnpool_audit_request req = {.all_classes = true};
	struct spnpool_audit_result *r = NULL;

	assert_int_equal(spnpool_op_audit(f, f->sdir, &req, &r), LDB_SUCCESS);
	assert_int_equal(count_kind(r, SPNPOOL_FINDING_DUPLICATE), 3);
	find(r, SPNPOOL_FINDING_DUPLICATE, "ldap/x.example.test");
}

static void test_clean_directory_has_no_findings(void **state)
{
	struct ad_fixture *f = ad_fixture_new(*state, false);
	static const char *const good[] = {"http/INTRANET",
					   "http/intranet.example.test", NULL};
	struct spnpool_audit_request req = {0};
	struct spnpool_audit_result *r = NULL;

	ad_fixture_add(f, "svc-good", "svc-good", "user", good);
	assert_int_equal(spnpool_op_audit(f, f->sdir, &req, &r), LDB_SUCCESS);
	assert_int_equal(r->num_findings, 0);
	assert_int_equal(r->entries_read, 1);
}

/* Thousands of SPNs: the table grows many times and still finds the one
 * duplicate planted first, and progress is reported. */
static void test_growth_keeps_every_spn_and_reports_progress(void **state)
{
	struct ad_fixture *f = *state;
	struct progress p = {0};
	struct spnpool_audit_request req = {.progress = on_progress,
					    .progress_data = &p};
	struct spnpool_audit_result *r = NULL;
	char cn[32];
	char s1[64];
	char s2[64];
	int i;

	assert_int_equal(ldb_transaction_start(f->ldb), LDB_SUCCESS);
	for (i = 0; i < 2500; i++) {
		const char *spns[] = {s1, s2, NULL};

		snprintf(cn, sizeof(cn), "bulk%04d", i);
		snprintf(s1, sizeof(s1), "http/BULK%04d", i);
		snprintf(s2, sizeof(s2), "http/bulk%04d.example.test", i);
		ad_fixture_add(f, cn, cn, "user", spns);
	}
	{
		const char *spns[] = {"HTTP/bulk0000.EXAMPLE.test", NULL};

		ad_fixture_add(f, "late", "late", "user", spns);
	}
	assert_int_equal(ldb_transaction_commit(f->ldb), LDB_SUCCESS);
	req.page_size = 100;
	assert_int_equal(spnpool_op_audit(f, f->sdir, &req, &r), LDB_SUCCESS);
	assert_int_equal(r->entries_read, 2508);
	assert_int_equal(r->distinct_spns, 11 + 5000);
	find(r, SPNPOOL_FINDING_DUPLICATE, "http/bulk0000.example.test");
	assert_int_equal(count_kind(r, SPNPOOL_FINDING_DUPLICATE), 3);
	assert_true(p.calls >= 2);
	assert_int_equal(p.last_entries, 2508);
}

static void set_attr(struct ad_fixture *f, const char *dn, const char *attr,
		     const char *value)
{
	struct ldb_message *msg = ldb_msg_new(f);

	msg->dn = ldb_dn_new(msg, f->ldb, dn);
	assert_int_equal(ldb_msg_add_empty(msg, attr, LDB_FLAG_MOD_REPLACE,
					   NULL),
			 LDB_SUCCESS);
	assert_int_equal(ldb_msg_add_string(msg, attr, value), LDB_SUCCESS);
	assert_int_equal(ldb_modify(f->ldb, msg), LDB_SUCCESS);
	talloc_free(msg);
}

static void test_kerberoastable_users_are_reported(void **state)
{
	struct ad_fixture *f = *state;
	struct spnpool_audit_request req = {
		/* 2026-01-01; pwdLastSet below is 2024-12-31 (NT time) */
		.now = 1767225600,
	};
	struct spnpool_audit_result *r = NULL;
	static const char *const roast[] = {"http/roast01", NULL};
	static const char *const aes[] = {"http/aes01", NULL};
	static const char *const gmsa[] = {"http/gmsa01", NULL};
	const struct spnpool_finding *k = NULL;
	const char *old = "133800768000000000";

	ad_fixture_add(f, "svc-roast", "svc-roast", "user", roast);
	ad_fixture_add(f, "svc-aes", "svc-aes", "user", aes);
	ad_fixture_add(f, "gmsa-web", "gmsa-web$", "gmsa", gmsa);
	set_attr(f, DN("svc-roast"), "pwdLastSet", old);
	set_attr(f, DN("svc-aes"), "pwdLastSet", old);
	set_attr(f, DN("svc-aes"), "msDS-SupportedEncryptionTypes", "24");
	set_attr(f, DN("gmsa-web"), "pwdLastSet", old);
	/* RC4 explicitly allowed next to AES still counts */
	set_attr(f, DN("svc-good"), "pwdLastSet", old);
	set_attr(f, DN("svc-good"), "msDS-SupportedEncryptionTypes", "28");

	assert_int_equal(spnpool_op_audit(f, f->sdir, &req, &r), LDB_SUCCESS);
	assert_int_equal(count_kind(r, SPNPOOL_FINDING_KERBEROASTABLE), 2);
	k = find(r, SPNPOOL_FINDING_KERBEROASTABLE, "http/roast01");
	assert_string_equal(k->dns[0], DN("svc-roast"));
	assert_int_equal(k->password_days, 366);
	assert_int_equal(k->max_password_age_days, 365);
	assert_int_equal(k->fixes[0].kind, SPNPOOL_ACTION_RANDOM_PASSWORD);
	assert_string_equal(k->fixes[0].account, "svc-roast");
	assert_string_equal(spnpool_finding_name(k->kind), "kerberoastable");

	req.max_password_age_days = 400;
	assert_int_equal(spnpool_op_audit(f, f->sdir, &req, &r), LDB_SUCCESS);
	assert_int_equal(count_kind(r, SPNPOOL_FINDING_KERBEROASTABLE), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_audit_finds_every_kind_of_problem),
		T(test_all_classes_reports_other_duplicates),
		T(test_clean_directory_has_no_findings),
		T(test_growth_keeps_every_spn_and_reports_progress),
		T(test_kerberoastable_users_are_reported),
	};

	return cmocka_run_group_tests_name("audit", tests, NULL, NULL);
}
