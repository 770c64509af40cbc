/*
 * apply and undo: ordered exact-value changes journalled before they are
 * made, all or nothing (one transaction locally, compensation over LDAP),
 * skipped when already in effect, and undone only when nobody touched
 * those SPNs since.
 */

#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "ad_fixture.h"
#include "spnpool_private.h"

#define DN(cn) "CN=" cn "," FIX_USERS

struct apply_ctx {
	struct ad_fixture *f;
	bool local;
	char *journal;
};

static int setup_common(void **state, bool local)
{
	struct apply_ctx *t = talloc_zero(NULL, struct apply_ctx);
	static const char *const farm[] = {"http/FARM",
					   "http/farm.example.test", NULL};

	t->local = local;
	t->f = ad_fixture_new(t, local);
	t->journal = talloc_asprintf(t, "%s/journal", t->f->dir);
	ad_fixture_add(t->f, "svc-a", "svc-a", "user", NULL);
	ad_fixture_add(t->f, "svc-b", "svc-b", "user", farm);
	ad_fixture_add(t->f, "svc-c", "svc-c", "user", NULL);
	*state = t;
	return 0;
}

static int setup_ldap_like(void **state)
{
	return setup_common(state, false);
}

static int setup_local(void **state)
{
	return setup_common(state, true);
}

static int teardown(void **state)
{
	struct apply_ctx *t = *state;

	unlink(t->journal);
	assert_int_equal(talloc_free(t), 0);
	return 0;
}

/* The move of farm from svc-b to svc-a, as plan orders it. */
static const struct spnpool_change move_farm[] = {
	{SPNPOOL_CHANGE_DELETE, discard_const(DN("svc-b")), NULL,
	 discard_const("http/farm"), NULL},
	{SPNPOOL_CHANGE_DELETE, discard_const(DN("svc-b")), NULL,
	 discard_const("http/FARM.example.test"), NULL},
	{SPNPOOL_CHANGE_ADD, discard_const(DN("svc-a")), NULL,
	 discard_const("http/FARM"), NULL},
	{SPNPOOL_CHANGE_ADD, discard_const(DN("svc-a")), NULL,
	 discard_const("http/farm.example.test"), NULL},
};

static char *slurp(TALLOC_CTX *ctx, const char *path)
{
	FILE *fp = fopen(path, "r");
	char *buf = talloc_zero_array(ctx, char, 65536);
	size_t n;

	assert_non_null(fp);
	n = fread(buf, 1, 65535, fp);
	buf[n] = '\0';
	fclose(fp);
	return buf;
}

static void test_apply_makes_every_change_and_journals_it(void **state)
{
	struct apply_ctx *t = *state;
	struct spnpool_apply_result *r = NULL;
	char *text = NULL;
	size_t i;

	assert_int_equal(spnpool_op_apply(t, t->f->sdir, move_farm, 4,
					  t->journal, false, &r),
			 LDB_SUCCESS);
	assert_true(r->changed);
	for (i = 0; i < 4; i++) {
		assert_int_equal(r->states[i], SPNPOOL_CHANGE_DONE);
	}
	/* the delete used the stored spelling, whatever the plan said */
	assert_string_equal(r->changes[0].spn, "http/FARM");
	assert_string_equal(ad_fixture_spns(t, t->f, DN("svc-a")),
			    "http/FARM|http/farm.example.test");
	assert_string_equal(ad_fixture_spns(t, t->f, DN("svc-b")), "");
	text = slurp(t, t->journal);
	assert_non_null(strstr(text, "spnpool-journal\t1\nbegin\t"));
	assert_non_null(strstr(text, "intent\t0\tdelete\t" DN("svc-b")
				     "\thttp/FARM\n"));
	assert_non_null(strstr(text, "done\t3\n"));
	assert_non_null(strstr(text, "end\tok\n"));
}

static void test_applying_twice_changes_nothing(void **state)
{
	struct apply_ctx *t = *state;
	struct spnpool_apply_result *r = NULL;
	char *second = talloc_asprintf(t, "%s.2", t->journal);
	size_t i;

	assert_int_equal(spnpool_op_apply(t, t->f->sdir, move_farm, 4,
					  t->journal, false, &r),
			 LDB_SUCCESS);
	assert_int_equal(spnpool_op_apply(t, t->f->sdir, move_farm, 4,
					  second, false, &r),
			 LDB_SUCCESS);
	unlink(second);
	assert_false(r->changed);
	for (i = 0; i < 4; i++) {
		assert_int_equal(r->states[i], SPNPOOL_CHANGE_ALREADY);
	}
}

static void test_dry_run_prints_ldif_and_writes_nothing(void **state)
{
	struct apply_ctx *t = *state;
	struct spnpool_apply_result *r = NULL;

	assert_int_equal(spnpool_op_apply(t, t->f->sdir, move_farm, 4, NULL,
					  true, &r),
			 LDB_SUCCESS);
	assert_int_equal(r->states[0], SPNPOOL_CHANGE_PLANNED);
	assert_non_null(strstr(r->ldif, "dn: " DN("svc-b") "\n"
					"changetype: modify\n"
					"delete: servicePrincipalName\n"
					"servicePrincipalName: http/FARM\n"));
	assert_non_null(strstr(r->ldif, "add: servicePrincipalName\n"
					"servicePrincipalName: "
					"http/farm.example.test\n"));
	assert_int_equal(access(t->journal, F_OK), -1);
	assert_string_equal(ad_fixture_spns(t, t->f, DN("svc-a")), "");
}

static void test_surprise_stops_and_leaves_no_partial_state(void **state)
{
	struct apply_ctx *t = *state;
	static const struct spnpool_change changes[] = {
		{SPNPOOL_CHANGE_ADD, discard_const(DN("svc-a")), NULL,
		 discard_const("http/SHOP"), NULL},
		{SPNPOOL_CHANGE_ADD, discard_const(DN("svc-a")), NULL,
		 discard_const("http/shop.example.test"), NULL},
	};
	static const char *const planted[] = {"HTTP/Shop.example.test", NULL};
	struct spnpool_apply_result *r = NULL;
	char *text = NULL;

	/* another writer, between plan and apply */
	ad_fixture_add(t->f, "intruder", "intruder", "user", planted);
	assert_int_equal(spnpool_op_apply(t, t->f->sdir, changes, 2,
					  t->journal, false, &r),
			 LDB_ERR_CONSTRAINT_VIOLATION);
	assert_non_null(strstr(ldb_errstring(t->f->ldb),
			       "http/shop.example.test is held by "
			       DN("intruder")));
	assert_non_null(strstr(ldb_errstring(t->f->ldb),
			       "nothing of this run remains"));
	assert_int_equal(r->states[0], SPNPOOL_CHANGE_NOT_DONE);
	assert_int_equal(r->states[1], SPNPOOL_CHANGE_FAILED);
	assert_false(r->changed);
	assert_string_equal(ad_fixture_spns(t, t->f, DN("svc-a")), "");
	text = slurp(t, t->journal);
	assert_non_null(strstr(text, "end\taborted\n"));
	if (!t->local) {
		assert_non_null(strstr(text, "done\t0\nreversed\t0\n"));
	}
}

static void test_surprise_in_the_middle_reverses_only_what_was_made(
	void **state)
{
	struct apply_ctx *t = *state;
	static const struct spnpool_change changes[] = {
		{SPNPOOL_CHANGE_ADD, discard_const(DN("svc-a")), NULL,
		 discard_const("http/SHOP"), NULL},
		{SPNPOOL_CHANGE_ADD, discard_const(DN("svc-a")), NULL,
		 discard_const("http/shop.example.test"), NULL},
		{SPNPOOL_CHANGE_ADD, discard_const(DN("svc-a")), NULL,
		 discard_const("http/SHOP:8080"), NULL},
	};
	static const char *const planted[] = {"http/shop.example.test", NULL};
	struct spnpool_apply_result *r = NULL;

	ad_fixture_add(t->f, "intruder", "intruder", "user", planted);
	assert_int_equal(spnpool_op_apply(t, t->f->sdir, changes, 3,
					  t->journal, false, &r),
			 LDB_ERR_CONSTRAINT_VIOLATION);
	assert_non_null(strstr(ldb_errstring(t->f->ldb),
			       "nothing of this run remains"));
	assert_null(strstr(ldb_errstring(t->f->ldb), "REVERSING FAILED"));
	assert_non_null(r);
	assert_int_equal(r->states[0], SPNPOOL_CHANGE_NOT_DONE);
	assert_int_equal(r->states[1], SPNPOOL_CHANGE_FAILED);
	assert_int_equal(r->states[2], SPNPOOL_CHANGE_NOT_DONE);
	assert_string_equal(ad_fixture_spns(t, t->f, DN("svc-a")), "");
	assert_string_equal(ad_fixture_spns(t, t->f, DN("intruder")),
			    "http/shop.example.test");
}

static void test_race_during_apply_is_caught_and_reversed(void **state)
{
	struct apply_ctx *t = *state;
	static const struct spnpool_change changes[] = {
		{SPNPOOL_CHANGE_ADD, discard_const(DN("svc-a")), NULL,
		 discard_const("http/SHOP"), NULL},
	};
	struct spnpool_apply_result *r = NULL;

	ad_fixture_arm_race(t->f, DN("svc-a"), DN("svc-c"), "http/shop");
	assert_int_equal(spnpool_op_apply(t, t->f->sdir, changes, 1,
					  t->journal, false, &r),
			 LDB_ERR_CONSTRAINT_VIOLATION);
	assert_non_null(strstr(ldb_errstring(t->f->ldb), "another writer"));
	assert_string_equal(ad_fixture_spns(t, t->f, DN("svc-a")), "");
}

static void test_undo_restores_the_exact_before_image(void **state)
{
	struct apply_ctx *t = *state;
	struct spnpool_apply_result *r = NULL;
	char *text = NULL;

	assert_int_equal(spnpool_op_apply(t, t->f->sdir, move_farm, 4,
					  t->journal, false, &r),
			 LDB_SUCCESS);
	assert_int_equal(spnpool_op_undo(t, t->f->sdir, t->journal, true, &r),
			 LDB_SUCCESS);
	assert_int_equal(r->num_changes, 4);
	assert_int_equal(r->states[0], SPNPOOL_CHANGE_PLANNED);
	assert_int_equal(spnpool_op_undo(t, t->f->sdir, t->journal, false,
					 &r),
			 LDB_SUCCESS);
	assert_true(r->changed);
	/* reversed last change first; svc-b gets its own spelling back */
	assert_int_equal(r->changes[0].action, SPNPOOL_CHANGE_DELETE);
	assert_string_equal(ad_fixture_spns(t, t->f, DN("svc-a")), "");
	assert_string_equal(ad_fixture_spns(t, t->f, DN("svc-b")),
			    "http/farm.example.test|http/FARM");
	text = slurp(t, t->journal);
	assert_non_null(strstr(text, "undo-begin\n"));
	assert_non_null(strstr(text, "undo-end\tok\n"));
	assert_int_equal(spnpool_op_undo(t, t->f->sdir, t->journal, false,
					 &r),
			 LDB_ERR_CONSTRAINT_VIOLATION);
	assert_non_null(strstr(ldb_errstring(t->f->ldb), "undone already"));
}

static void test_undo_refuses_when_the_spns_changed_since(void **state)
{
	struct apply_ctx *t = *state;
	struct spnpool_apply_result *r = NULL;
	const char *taken = "http/farm.example.test";
	const char *squat = "http/FARM";

	assert_int_equal(spnpool_op_apply(t, t->f->sdir, move_farm, 4,
					  t->journal, false, &r),
			 LDB_SUCCESS);
	/* someone removed one of ours and took one of svc-b's old names */
	assert_int_equal(spnpool_dir_modify(t->f->sdir, DN("svc-a"), NULL, 0,
					    &taken, 1),
			 LDB_SUCCESS);
	assert_int_equal(spnpool_dir_modify(t->f->sdir, DN("svc-a"), NULL, 0,
					    &squat, 1),
			 LDB_SUCCESS);
	assert_int_equal(spnpool_dir_modify(t->f->sdir, DN("svc-c"), &squat,
					    1, NULL, 0),
			 LDB_SUCCESS);
	assert_int_equal(spnpool_op_undo(t, t->f->sdir, t->journal, false,
					 &r),
			 LDB_ERR_CONSTRAINT_VIOLATION);
	assert_non_null(strstr(ldb_errstring(t->f->ldb),
			       "http/farm.example.test is no longer on"));
	assert_non_null(strstr(ldb_errstring(t->f->ldb),
			       "http/FARM is now held by " DN("svc-c")));
	assert_non_null(strstr(ldb_errstring(t->f->ldb),
			       "nothing was written"));
	assert_string_equal(ad_fixture_spns(t, t->f, DN("svc-b")), "");
	assert_string_equal(ad_fixture_spns(t, t->f, DN("svc-c")),
			    "http/FARM");
}

static void test_undo_after_a_crash_reads_the_directory(void **state)
{
	struct apply_ctx *t = *state;
	struct spnpool_apply_result *r = NULL;
	const char *value = "http/NEW";
	FILE *fp = fopen(t->journal, "w");

	/* the process died after its modify and before "done" */
	assert_non_null(fp);
	fprintf(fp, "spnpool-journal\t1\nbegin\tldap\t2\n"
		    "intent\t0\tadd\t%s\thttp/NEW\n"
		    "intent\t1\tadd\t%s\thttp/new.example.test\n",
		DN("svc-a"), DN("svc-a"));
	fclose(fp);
	assert_int_equal(spnpool_dir_modify(t->f->sdir, DN("svc-a"), &value,
					    1, NULL, 0),
			 LDB_SUCCESS);
	assert_int_equal(spnpool_op_undo(t, t->f->sdir, t->journal, false,
					 &r),
			 LDB_SUCCESS);
	assert_int_equal(r->num_changes, 1);
	assert_string_equal(ad_fixture_spns(t, t->f, DN("svc-a")), "");
}

static void test_broken_journals_are_refused(void **state)
{
	struct apply_ctx *t = *state;
	struct spnpool_apply_result *r = NULL;
	FILE *fp = fopen(t->journal, "w");

	assert_non_null(fp);
	fprintf(fp, "spnpool-journal\t1\nintent\t0\tmove\tx\ty\n");
	fclose(fp);
	assert_int_equal(spnpool_op_undo(t, t->f->sdir, t->journal, false,
					 &r),
			 LDB_ERR_INVALID_ATTRIBUTE_SYNTAX);
	assert_non_null(strstr(ldb_errstring(t->f->ldb), "line 2"));
	assert_int_equal(spnpool_op_undo(t, t->f->sdir, "/nonexistent/j",
					 false, &r),
			 LDB_ERR_INVALID_ATTRIBUTE_SYNTAX);
	/* an existing journal is never overwritten */
	assert_int_equal(spnpool_op_apply(t, t->f->sdir, move_farm, 4,
					  t->journal, false, &r),
			 LDB_ERR_OPERATIONS_ERROR);
	assert_non_null(strstr(ldb_errstring(t->f->ldb), "File exists"));
	assert_string_equal(ad_fixture_spns(t, t->f, DN("svc-a")), "");
}

/* kill -9 in the middle of a local apply: the transaction never commits,
 * the directory is as before. */
static void test_kill_during_local_apply_leaves_directory_as_before(
	void **state)
{
	struct apply_ctx *t = *state;
	int status = 0;
	pid_t pid;

	if (!t->local) {
		skip();
	}
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct spnpool_apply_result *r = NULL;

		ad_fixture_reopen(t->f, true);
		t->f->kill_at_modify = 3; /* after two of four changes */
		spnpool_op_apply(t, t->f->sdir, move_farm, 4, t->journal,
				 false, &r);
		_exit(0); /* not reached */
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGKILL);
	ad_fixture_reopen(t->f, true);
	assert_string_equal(ad_fixture_spns(t, t->f, DN("svc-a")), "");
	assert_string_equal(ad_fixture_spns(t, t->f, DN("svc-b")),
			    "http/FARM|http/farm.example.test");
}

#define BOTH(fn)                                                         \
	cmocka_unit_test_setup_teardown(fn, setup_ldap_like, teardown),  \
		cmocka_unit_test_setup_teardown(fn, setup_local, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		BOTH(test_apply_makes_every_change_and_journals_it),
		BOTH(test_applying_twice_changes_nothing),
		BOTH(test_dry_run_prints_ldif_and_writes_nothing),
		BOTH(test_surprise_stops_and_leaves_no_partial_state),
		BOTH(test_surprise_in_the_middle_reverses_only_what_was_made),
		BOTH(test_race_during_apply_is_caught_and_reversed),
		BOTH(test_undo_restores_the_exact_before_image),
		BOTH(test_undo_refuses_when_the_spns_changed_since),
		BOTH(test_undo_after_a_crash_reads_the_directory),
		BOTH(test_broken_journals_are_refused),
		cmocka_unit_test_setup_teardown(
			test_kill_during_local_apply_leaves_directory_as_before,
			setup_local, teardown),
	};

	return cmocka_run_group_tests_name("apply", tests, NULL, NULL);
}
