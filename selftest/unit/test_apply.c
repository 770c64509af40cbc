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

/* What the plans of these tests cover: svc-a serves every name. */
static const char *const svc_a[] = {"svc-a"};
static const struct spnpool_scope_name scope_names[] = {
	{"farm.example.test", svc_a, NULL, 1},
	{"shop.example.test", svc_a, NULL, 1},
	{"www.example.test", svc_a, NULL, 1},
};
static const struct spnpool_apply_scope scope = {scope_names, 3, false};

/* Write a journal whose records are the lines of text, each with the
 * chained checksum journal.c writes: a journal as a forger would. */
static void write_journal(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");
	uint32_t chain = 0;

	assert_non_null(fp);
	while (*text != '\0') {
		const char *end = strchr(text, '\n');
		size_t len = (end != NULL) ? (size_t)(end - text)
					   : strlen(text);
		char hex[9];

		snprintf(hex, sizeof(hex), "%08x", (unsigned)chain);
		chain = spnpool_crc32(spnpool_crc32(0, hex, 8), text, len);
		fprintf(fp, "%.*s\t%08x\n", (int)len, text, (unsigned)chain);
		text += len + (end != NULL ? 1 : 0);
	}
	fclose(fp);
}

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

	assert_int_equal(spnpool_op_apply(t, t->f->sdir, &scope, move_farm, 4,
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
	assert_non_null(strstr(text, "spnpool-journal\t2\t"));
	assert_non_null(strstr(text, "\nbegin\t"));
	assert_non_null(strstr(text, "intent\t0\tdelete\t" DN("svc-b")
				     "\thttp/FARM\t"));
	assert_non_null(strstr(text, "\ndone\t3\t"));
	assert_non_null(strstr(text, "\nend\tok\t"));
}

static void test_applying_twice_changes_nothing(void **state)
{
	struct apply_ctx *t = *state;
	struct spnpool_apply_result *r = NULL;
	char *second = talloc_asprintf(t, "%s.2", t->journal);
	size_t i;

	assert_int_equal(spnpool_op_apply(t, t->f->sdir, &scope, move_farm, 4,
					  t->journal, false, &r),
			 LDB_SUCCESS);
	assert_int_equal(spnpool_op_apply(t, t->f->sdir, &scope, move_farm, 4,
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

	assert_int_equal(spnpool_op_apply(t, t->f->sdir, &scope, move_farm, 4, NULL,
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
	assert_int_equal(spnpool_op_apply(t, t->f->sdir, &scope, changes, 2,
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
	assert_non_null(strstr(text, "\nend\taborted\t"));
	if (!t->local) {
		assert_non_null(strstr(text, "\ndone\t0\t"));
		assert_true(strstr(text, "\nreversed\t0\t") >
			    strstr(text, "\ndone\t0\t"));
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
		 discard_const("http/WWW"), NULL},
	};
	static const char *const planted[] = {"http/shop.example.test", NULL};
	struct spnpool_apply_result *r = NULL;

	ad_fixture_add(t->f, "intruder", "intruder", "user", planted);
	assert_int_equal(spnpool_op_apply(t, t->f->sdir, &scope, changes, 3,
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
	assert_int_equal(spnpool_op_apply(t, t->f->sdir, &scope, changes, 1,
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

	assert_int_equal(spnpool_op_apply(t, t->f->sdir, &scope, move_farm, 4,
					  t->journal, false, &r),
			 LDB_SUCCESS);
	assert_int_equal(spnpool_op_undo(t, t->f->sdir, t->journal, true, false, &r),
			 LDB_SUCCESS);
	assert_int_equal(r->num_changes, 4);
	assert_int_equal(r->states[0], SPNPOOL_CHANGE_PLANNED);
	assert_int_equal(spnpool_op_undo(t, t->f->sdir, t->journal, false,
					 false, &r),
			 LDB_SUCCESS);
	assert_true(r->changed);
	/* reversed last change first; svc-b gets its own spelling back */
	assert_int_equal(r->changes[0].action, SPNPOOL_CHANGE_DELETE);
	assert_string_equal(ad_fixture_spns(t, t->f, DN("svc-a")), "");
	assert_string_equal(ad_fixture_spns(t, t->f, DN("svc-b")),
			    "http/farm.example.test|http/FARM");
	text = slurp(t, t->journal);
	assert_non_null(strstr(text, "\nundo-begin\t"));
	assert_non_null(strstr(text, "\nundo-end\tok\t"));
	assert_int_equal(spnpool_op_undo(t, t->f->sdir, t->journal, false,
					 false, &r),
			 LDB_ERR_CONSTRAINT_VIOLATION);
	assert_non_null(strstr(ldb_errstring(t->f->ldb), "undone already"));
}

static void test_undo_refuses_when_the_spns_changed_since(void **state)
{
	struct apply_ctx *t = *state;
	struct spnpool_apply_result *r = NULL;
	const char *taken = "http/farm.example.test";
	const char *squat = "http/FARM";

	assert_int_equal(spnpool_op_apply(t, t->f->sdir, &scope, move_farm, 4,
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
					 false, &r),
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

	/* the process died after its modify and before "done" */
	write_journal(t->journal,
		      "spnpool-journal\t2\nbegin\tldap\t2\n"
		      "intent\t0\tadd\t" DN("svc-a") "\thttp/NEW\n"
		      "intent\t1\tadd\t" DN("svc-a") "\thttp/new.example.test");
	assert_int_equal(spnpool_dir_modify(t->f->sdir, DN("svc-a"), &value,
					    1, NULL, 0),
			 LDB_SUCCESS);
	assert_int_equal(spnpool_op_undo(t, t->f->sdir, t->journal, false,
					 false, &r),
			 LDB_SUCCESS);
	assert_int_equal(r->num_changes, 1);
	assert_string_equal(ad_fixture_spns(t, t->f, DN("svc-a")), "");
}

static void test_broken_journals_are_refused(void **state)
{
	struct apply_ctx *t = *state;
	struct spnpool_apply_result *r = NULL;

	write_journal(t->journal, "spnpool-journal\t2\nbegin\tldap\t1\n"
				  "intent\t0\tmove\tx\ty");
	assert_int_equal(spnpool_op_undo(t, t->f->sdir, t->journal, false,
					 false, &r),
			 LDB_ERR_INVALID_ATTRIBUTE_SYNTAX);
	assert_non_null(strstr(ldb_errstring(t->f->ldb), "line 3"));
	assert_int_equal(spnpool_op_undo(t, t->f->sdir, "/nonexistent/j",
					 false, false, &r),
			 LDB_ERR_INVALID_ATTRIBUTE_SYNTAX);
	/* an existing journal is never overwritten */
	assert_int_equal(spnpool_op_apply(t, t->f->sdir, &scope, move_farm, 4,
					  t->journal, false, &r),
			 LDB_ERR_OPERATIONS_ERROR);
	assert_non_null(strstr(ldb_errstring(t->f->ldb), "File exists"));
	assert_string_equal(ad_fixture_spns(t, t->f, DN("svc-a")), "");
}

/* An undo killed after its commit (or its modifies) but before it
 * recorded them: the next undo finishes instead of refusing. */
static void test_killed_undo_is_finished_by_the_next(void **state)
{
	struct apply_ctx *t = *state;
	struct spnpool_apply_result *r = NULL;
	struct spnpool_journal_state *st = NULL;
	struct spnpool_journal *j = NULL;
	struct spnpool_journal_fault fault;
	const char *a_values[] = {"http/FARM", "http/farm.example.test"};
	size_t i;

	assert_int_equal(spnpool_op_apply(t, t->f->sdir, &scope, move_farm, 4,
					  t->journal, false, &r),
			 LDB_SUCCESS);
	/* what the killed undo had done and announced */
	assert_int_equal(spnpool_journal_read(t, t->journal, &st, &fault),
			 SPNPOOL_OK);
	assert_int_equal(spnpool_journal_open(t, t->journal, false, st, &j,
					      &fault),
			 SPNPOOL_OK);
	assert_int_equal(spnpool_journal_write(j, "undo-begin"), SPNPOOL_OK);
	for (i = 4; i-- > 0;) {
		assert_int_equal(spnpool_journal_write(j, "undo-intent\t%zu", i),
				 SPNPOOL_OK);
	}
	talloc_free(j);
	assert_int_equal(spnpool_dir_modify(t->f->sdir, DN("svc-a"), NULL, 0,
					    a_values, 2),
			 LDB_SUCCESS);
	assert_int_equal(spnpool_dir_modify(t->f->sdir, DN("svc-b"), a_values,
					    2, NULL, 0),
			 LDB_SUCCESS);

	assert_int_equal(spnpool_op_undo(t, t->f->sdir, t->journal, false,
					 false, &r),
			 LDB_SUCCESS);
	for (i = 0; i < r->num_changes; i++) {
		assert_int_equal(r->states[i], SPNPOOL_CHANGE_ALREADY);
	}
	assert_string_equal(ad_fixture_spns(t, t->f, DN("svc-a")), "");
	assert_string_equal(ad_fixture_spns(t, t->f, DN("svc-b")),
			    "http/FARM|http/farm.example.test");
	assert_int_equal(spnpool_op_undo(t, t->f->sdir, t->journal, false,
					 false, &r),
			 LDB_ERR_CONSTRAINT_VIOLATION);
	assert_non_null(strstr(ldb_errstring(t->f->ldb), "undone already"));
}

/* An undo that fails part-way lists exactly what is not as before, read
 * from the directory; the journal records the steps it put back, so the
 * next undo redoes them and finishes. */
static void test_failed_undo_says_what_is_left_and_can_be_finished(
	void **state)
{
	struct apply_ctx *t = *state;
	struct spnpool_apply_result *r = NULL;
	const char *squat = "http/FARM";
	const char *msg = NULL;

	assert_int_equal(spnpool_op_apply(t, t->f->sdir, &scope, move_farm, 4,
					  t->journal, false, &r),
			 LDB_SUCCESS);
	/* while undo gives svc-b its values back, svc-c takes one */
	ad_fixture_arm_race(t->f, DN("svc-b"), DN("svc-c"), squat);
	assert_int_equal(spnpool_op_undo(t, t->f->sdir, t->journal, false,
					 false, &r),
			 LDB_ERR_CONSTRAINT_VIOLATION);
	msg = ldb_errstring(t->f->ldb);
	assert_non_null(strstr(msg, "http/FARM is held by " DN("svc-c")));
	assert_non_null(strstr(msg, "not as before the apply: "));
	if (t->local) {
		/* one transaction: nothing of the undo happened */
		assert_non_null(strstr(msg, "http/FARM on " DN("svc-b")
					    " (missing)"));
	} else {
		assert_non_null(strstr(msg, "http/farm.example.test on "
					    DN("svc-a") " (still there)"));
		assert_non_null(strstr(msg, "http/farm.example.test on "
					    DN("svc-b") " (missing)"));
	}
	assert_non_null(strstr(msg, "run undo"));
	assert_string_equal(ad_fixture_spns(t, t->f, DN("svc-a")),
			    "http/FARM|http/farm.example.test");

	/* the cause removed (locally it went with the cancelled
	 * transaction), the next undo finishes the job */
	if (!t->local) {
		assert_int_equal(spnpool_dir_modify(t->f->sdir, DN("svc-c"),
						    NULL, 0, &squat, 1),
				 LDB_SUCCESS);
	}
	assert_string_equal(ad_fixture_spns(t, t->f, DN("svc-c")), "");
	assert_int_equal(spnpool_op_undo(t, t->f->sdir, t->journal, false,
					 false, &r),
			 LDB_SUCCESS);
	assert_string_equal(ad_fixture_spns(t, t->f, DN("svc-a")), "");
	assert_string_equal(ad_fixture_spns(t, t->f, DN("svc-b")),
			    "http/farm.example.test|http/FARM");
}

static void assert_undo_refused(struct apply_ctx *t, const char *text,
				int expected, const char *why)
{
	struct spnpool_apply_result *r = NULL;

	unlink(t->journal);
	write_journal(t->journal, text);
	assert_int_equal(spnpool_op_undo(t, t->f->sdir, t->journal, false,
					 false, &r),
			 expected);
	assert_non_null(strstr(ldb_errstring(t->f->ldb), why));
}

static void test_forged_journals_are_refused(void **state)
{
	struct apply_ctx *t = *state;
	static const char *const host_spns[] = {"HOST/dc1",
						"ldap/dc1.example.test", NULL};
#define HEAD "spnpool-journal\t2\nbegin\tldap\t1\n"
	static const struct {
		const char *text;
		const char *why;
	} loose[] = {
		{HEAD "intent\t0\tadd\t" DN("svc-a") "\thttp/farm\ndone\tzero",
		 "line 4: not a journal record"},
		{HEAD "intent\t0\tadd\t" DN("svc-a") "\thttp/farm\ndone\t 0",
		 "line 4"},
		{HEAD "intent\t0\tadd\t" DN("svc-a") "\thttp/farm\ndone\t00",
		 "line 4"},
		{HEAD "intent\t0\tadd\t" DN("svc-a") "\thttp/farm\ndone\t+0",
		 "line 4"},
		{HEAD "intent\t0\tadd\t" DN("svc-a") "\thttp/farm\ndone\t0x",
		 "line 4"},
		{"spnpool-journal\t2\nbegin\tldap\t 1", "line 2"},
		{"spnpool-journal\t2\nintent\t0\tadd\tx\thttp/farm",
		 "expected the begin record"},
		{"spnpool-journal\t2", "without a begin record"},
		{"", "is empty"},
	};
	size_t i;

	for (i = 0; i < sizeof(loose) / sizeof(loose[0]); i++) {
		assert_undo_refused(t, loose[i].text,
				    LDB_ERR_INVALID_ATTRIBUTE_SYNTAX,
				    loose[i].why);
	}
	/* values apply never writes, in records with valid checksums */
	ad_fixture_add(t->f, "dc1", "DC1$", "computer", host_spns);
	assert_undo_refused(t,
			    HEAD "intent\t0\tadd\t" DN("dc1")
				 "\tldap/dc1.example.test\ndone\t0\nend\tok",
			    LDB_ERR_INVALID_ATTRIBUTE_SYNTAX,
			    "only changes http/");
	assert_undo_refused(t,
			    HEAD "intent\t0\tadd\t" DN("dc1")
				 "\tHOST/dc1\ndone\t0\nend\tok",
			    LDB_ERR_INVALID_ATTRIBUTE_SYNTAX,
			    "only changes http/");
	/* a delete to undo gives the value back: not to krbtgt */
	ad_fixture_add(t->f, "krbtgt", "krbtgt", "user", NULL);
	assert_undo_refused(t,
			    HEAD "intent\t0\tdelete\t" DN("krbtgt")
				 "\thttp/farm\ndone\t0\nend\tok",
			    SPNPOOL_ERR_PRIVILEGED, "krbtgt");
#undef HEAD
	assert_string_equal(ad_fixture_spns(t, t->f, DN("dc1")),
			    "HOST/dc1|ldap/dc1.example.test");
	assert_string_equal(ad_fixture_spns(t, t->f, DN("krbtgt")), "");
}

static void test_damaged_journals_are_refused(void **state)
{
	struct apply_ctx *t = *state;
	struct spnpool_apply_result *r = NULL;
	char *text = NULL;
	char *p = NULL;
	FILE *fp = NULL;

	assert_int_equal(spnpool_op_apply(t, t->f->sdir, &scope, move_farm, 4,
					  t->journal, false, &r),
			 LDB_SUCCESS);
	text = slurp(t, t->journal);
	/* one value edited: ldap/ smuggled in for http/ */
	p = strstr(text, "http/FARM\t");
	assert_non_null(p);
	memcpy(p, "ldap", 4);
	fp = fopen(t->journal, "w");
	fputs(text, fp);
	fclose(fp);
	assert_int_equal(spnpool_op_undo(t, t->f->sdir, t->journal, false,
					 false, &r),
			 LDB_ERR_INVALID_ATTRIBUTE_SYNTAX);
	assert_non_null(strstr(ldb_errstring(t->f->ldb), "checksum mismatch"));
	/* one record removed from the middle */
	memcpy(p, "http", 4);
	p = strstr(text, "\nintent\t1\t");
	assert_non_null(p);
	memmove(p + 1, strchr(p + 1, '\n') + 1,
		strlen(strchr(p + 1, '\n') + 1) + 1);
	fp = fopen(t->journal, "w");
	fputs(text, fp);
	fclose(fp);
	assert_int_equal(spnpool_op_undo(t, t->f->sdir, t->journal, false,
					 false, &r),
			 LDB_ERR_INVALID_ATTRIBUTE_SYNTAX);
	assert_non_null(strstr(ldb_errstring(t->f->ldb), "checksum mismatch"));
	assert_string_equal(ad_fixture_spns(t, t->f, DN("svc-a")),
			    "http/FARM|http/farm.example.test");
}

/* A tampered change is refused before the journal exists: nothing of
 * the plan is written, not even its good changes. */
static void assert_tampered_refused(struct apply_ctx *t,
				    const struct spnpool_change *bad,
				    const struct spnpool_apply_scope *sc,
				    int expected, const char *why)
{
	struct spnpool_change changes[2] = {move_farm[2], *bad};
	struct spnpool_apply_result *r = NULL;

	assert_int_equal(spnpool_op_apply(t, t->f->sdir, sc, changes, 2,
					  t->journal, false, &r),
			 expected);
	assert_non_null(strstr(ldb_errstring(t->f->ldb),
			       sc != NULL ? "change 2" : "change 1"));
	assert_non_null(strstr(ldb_errstring(t->f->ldb), why));
	assert_null(r);
	assert_int_equal(access(t->journal, F_OK), -1);
	assert_string_equal(ad_fixture_spns(t, t->f, DN("svc-a")), "");
	assert_string_equal(ad_fixture_spns(t, t->f, DN("svc-b")),
			    "http/FARM|http/farm.example.test");
}

static void test_plan_changes_outside_its_scope_are_refused(void **state)
{
	struct apply_ctx *t = *state;
	static const char *const host_spns[] = {"HOST/dc1",
						"ldap/dc1.example.test", NULL};
	static const struct spnpool_change bad[] = {
		{SPNPOOL_CHANGE_ADD, discard_const(DN("svc-a")), NULL,
		 discard_const("ldap/farm.example.test"), NULL},
		{SPNPOOL_CHANGE_ADD, discard_const(DN("svc-a")), NULL,
		 discard_const("HOST/farm"), NULL},
		{SPNPOOL_CHANGE_ADD, discard_const(DN("svc-a")), NULL,
		 discard_const("cifs/farm"), NULL},
		{SPNPOOL_CHANGE_ADD, discard_const(DN("svc-a")), NULL,
		 discard_const("krbtgt/EXAMPLE.TEST"), NULL},
		{SPNPOOL_CHANGE_ADD, discard_const(DN("svc-a")), NULL,
		 discard_const("http/farm:8080"), NULL},
		{SPNPOOL_CHANGE_ADD, discard_const(DN("svc-a")), NULL,
		 discard_const("http/elsewhere.example.test"), NULL},
		{SPNPOOL_CHANGE_DELETE, discard_const(DN("dc1")), NULL,
		 discard_const("HOST/dc1"), NULL},
		{SPNPOOL_CHANGE_DELETE, discard_const(DN("dc1")), NULL,
		 discard_const("ldap/dc1.example.test"), NULL},
		{SPNPOOL_CHANGE_DELETE, discard_const(DN("dc1")), NULL,
		 discard_const("http/dc1"), NULL},
	};
	static const char *const why[] = {
		"only changes http/", "only changes http/",
		"only changes http/", "only changes http/",
		"port or service-name", "not one of the plan's names",
		"only changes http/", "only changes http/",
		"not one of the plan's names",
	};
	size_t i;

	ad_fixture_add(t->f, "dc1", "DC1$", "computer", host_spns);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_tampered_refused(t, &bad[i], &scope,
					LDB_ERR_INVALID_ATTRIBUTE_SYNTAX,
					why[i]);
	}
	assert_string_equal(ad_fixture_spns(t, t->f, DN("dc1")),
			    "HOST/dc1|ldap/dc1.example.test");
}

static void test_plan_adds_only_to_its_pools_accounts(void **state)
{
	struct apply_ctx *t = *state;
	static const struct spnpool_change to_c = {
		SPNPOOL_CHANGE_ADD, discard_const(DN("svc-c")), NULL,
		discard_const("http/shop"), NULL};
	static const struct spnpool_change to_nobody = {
		SPNPOOL_CHANGE_ADD, discard_const(DN("nobody")), NULL,
		discard_const("http/shop"), NULL};

	assert_tampered_refused(t, &to_c, &scope,
				LDB_ERR_INVALID_ATTRIBUTE_SYNTAX,
				"not the account of any pool serving "
				"shop.example.test");
	assert_tampered_refused(t, &to_nobody, &scope,
				LDB_ERR_INVALID_ATTRIBUTE_SYNTAX,
				"not an account");
	/* no scope at all: nothing may change */
	assert_tampered_refused(t, &to_c, NULL,
				LDB_ERR_INVALID_ATTRIBUTE_SYNTAX,
				"not one of the plan's names");
}

static void test_plan_never_adds_to_krbtgt_unless_allowed(void **state)
{
	struct apply_ctx *t = *state;
	static const char *const krbtgt[] = {"krbtgt"};
	static const struct spnpool_scope_name names[] = {
		{"shop.example.test", krbtgt, NULL, 1},
		{"farm.example.test", svc_a, NULL, 1},
	};
	struct spnpool_apply_scope sc = {names, 2, false};
	static const struct spnpool_change add = {
		SPNPOOL_CHANGE_ADD, discard_const(DN("krbtgt")), NULL,
		discard_const("http/shop"), NULL};
	struct spnpool_apply_result *r = NULL;

	ad_fixture_add(t->f, "krbtgt", "krbtgt", "user", NULL);
	assert_tampered_refused(t, &add, &sc, SPNPOOL_ERR_PRIVILEGED,
				"it is krbtgt, the KDC's own account");
	sc.allow_privileged = true;
	assert_int_equal(spnpool_op_apply(t, t->f->sdir, &sc, &add, 1,
					  t->journal, false, &r),
			 LDB_SUCCESS);
	assert_string_equal(ad_fixture_spns(t, t->f, DN("krbtgt")),
			    "http/shop");
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
		spnpool_op_apply(t, t->f->sdir, &scope, move_farm, 4, t->journal,
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
		BOTH(test_killed_undo_is_finished_by_the_next),
		BOTH(test_failed_undo_says_what_is_left_and_can_be_finished),
		BOTH(test_forged_journals_are_refused),
		BOTH(test_damaged_journals_are_refused),
		BOTH(test_plan_changes_outside_its_scope_are_refused),
		BOTH(test_plan_adds_only_to_its_pools_accounts),
		BOTH(test_plan_never_adds_to_krbtgt_unless_allowed),
		cmocka_unit_test_setup_teardown(
			test_kill_during_local_apply_leaves_directory_as_before,
			setup_local, teardown),
	};

	return cmocka_run_group_tests_name("apply", tests, NULL, NULL);
}
