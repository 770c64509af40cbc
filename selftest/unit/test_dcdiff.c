/*
 * Several DCs, simulated by two copies of the AD-shaped fixture: the same
 * accounts (same objectGUIDs) in two databases that then diverge, as two
 * DCs do before replication.  Holder searches of a directory with a peer
 * see the peer's values; spnpool_op_compare_dcs() names every SPN the
 * copies disagree on.
 */

#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "ad_fixture.h"
#include "spnpool_private.h"

#define DN(cn) "CN=" cn "," FIX_USERS

struct pair_ctx {
	TALLOC_CTX *mem;
	struct ad_fixture *dc1;
	struct ad_fixture *dc2;
};

static void copy_file(TALLOC_CTX *mem_ctx, const char *from, const char *to)
{
	char *tmp = talloc_asprintf(mem_ctx, "%s.new", to);
	char buf[65536];
	int in = open(from, O_RDONLY);
	int out = -1;
	ssize_t n;

	assert_non_null(tmp);
	assert_true(in >= 0);
	out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(out >= 0);
	while ((n = read(in, buf, sizeof(buf))) > 0) {
		assert_int_equal(write(out, buf, (size_t)n), n);
	}
	assert_int_equal(n, 0);
	close(in);
	close(out);
	/* a new inode: the old connection keeps its own */
	assert_int_equal(rename(tmp, to), 0);
}

static int setup(void **state)
{
	struct pair_ctx *t = talloc_zero(NULL, struct pair_ctx);
	static const char *const svc_b[] = {"http/farm.example.test",
					    "HTTP/FARM", NULL};

	assert_non_null(t);
	t->mem = talloc_new(t);
	t->dc1 = ad_fixture_new(t, false);
	ad_fixture_add(t->dc1, "svc-a", "svc-a", "user", NULL);
	ad_fixture_add(t->dc1, "svc-b", "svc-b", "user", svc_b);
	ad_fixture_add(t->dc1, "svc-c", "svc-c", "user", NULL);
	t->dc2 = ad_fixture_new(t, false);
	copy_file(t->mem, t->dc1->path, t->dc2->path);
	ad_fixture_reopen(t->dc2, false);
	t->dc1->sdir->dc_name = talloc_strdup(t->dc1->sdir, "dc1.test");
	t->dc2->sdir->dc_name = talloc_strdup(t->dc2->sdir, "dc2.test");
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	assert_int_equal(talloc_free(*state), 0);
	return 0;
}

static void spn_add(struct ad_fixture *f, const char *dn, const char *spn)
{
	assert_int_equal(spnpool_dir_modify(f->sdir, dn, &spn, 1, NULL, 0),
			 LDB_SUCCESS);
}

static struct spnpool_request request(const char *identity,
				      const char **hosts, size_t n)
{
	struct spnpool_request req = {
		.identity = identity,
		.hosts = hosts,
		.num_hosts = n,
	};

	return req;
}

static void test_a_peer_must_be_another_directory(void **state)
{
	struct pair_ctx *t = *state;

	assert_int_equal(spnpool_dir_add_peer(t->dc1->sdir, t->dc1->sdir),
			 LDB_ERR_OPERATIONS_ERROR);
	assert_int_equal(spnpool_dir_add_peer(t->dc1->sdir, t->dc2->sdir),
			 LDB_SUCCESS);
	/* twice is once */
	assert_int_equal(spnpool_dir_add_peer(t->dc1->sdir, t->dc2->sdir),
			 LDB_SUCCESS);
	assert_int_equal(t->dc1->sdir->num_peers, 1);
	/* a directory with peers cannot be a peer itself */
	assert_int_equal(spnpool_dir_add_peer(t->dc2->sdir, t->dc1->sdir),
			 LDB_ERR_OPERATIONS_ERROR);
}

static void test_add_refuses_a_name_only_a_peer_dc_holds(void **state)
{
	struct pair_ctx *t = *state;
	const char *hosts[] = {"portal"};
	struct spnpool_request req = request("svc-a", hosts, 1);
	struct spnpool_op_result *r = NULL;

	/* another tool wrote it through DC2; not replicated yet */
	spn_add(t->dc2, DN("svc-c"), "http/portal.example.test");
	assert_int_equal(spnpool_op_add(t->mem, t->dc1->sdir, &req, &r),
			 LDB_SUCCESS);
	assert_string_equal(ad_fixture_spns(t->mem, t->dc1, DN("svc-a")),
			    "http/PORTAL|http/portal.example.test");
	hosts[0] = "portal";
	req = request("svc-b", hosts, 1);
	/* svc-a's values are on DC1 only: with DC1 as peer DC2 sees them */
	assert_int_equal(spnpool_dir_add_peer(t->dc2->sdir, t->dc1->sdir),
			 LDB_SUCCESS);
	r = NULL;
	assert_int_equal(spnpool_op_add(t->mem, t->dc2->sdir, &req, &r),
			 LDB_ERR_CONSTRAINT_VIOLATION);
	assert_non_null(r);
	assert_non_null(strstr(ldb_errstring(t->dc2->ldb), DN("svc-a")));
	assert_string_equal(ad_fixture_spns(t->mem, t->dc2, DN("svc-b")),
			    "http/farm.example.test|HTTP/FARM");
}

static void test_peer_holder_is_named_in_the_refusal(void **state)
{
	struct pair_ctx *t = *state;
	const char *hosts[] = {"portal"};
	struct spnpool_request req = request("svc-a", hosts, 1);
	struct spnpool_op_result *r = NULL;

	/* The failure the peers prevent: each DC alone says yes. */
	spn_add(t->dc2, DN("svc-c"), "http/portal.example.test");
	assert_int_equal(spnpool_op_add(t->mem, t->dc1->sdir, &req, &r),
			 LDB_SUCCESS);
	r = NULL;
	assert_int_equal(spnpool_dir_add_peer(t->dc1->sdir, t->dc2->sdir),
			 LDB_SUCCESS);
	hosts[0] = "portal2";
	spn_add(t->dc2, DN("svc-c"), "HTTP/PORTAL2");
	assert_int_equal(spnpool_op_add(t->mem, t->dc1->sdir, &req, &r),
			 LDB_ERR_CONSTRAINT_VIOLATION);
	assert_non_null(strstr(ldb_errstring(t->dc1->ldb),
			       "(as HTTP/PORTAL2)"));
	assert_non_null(strstr(ldb_errstring(t->dc1->ldb), DN("svc-c")));
}

static void test_compare_names_what_each_dc_lacks(void **state)
{
	struct pair_ctx *t = *state;
	struct spnpool_dc_diff_result *res = NULL;
	size_t i;

	spn_add(t->dc1, DN("svc-a"), "http/one.example.test");
	spn_add(t->dc2, DN("svc-a"), "HTTP/ONE.example.test"); /* agrees */
	spn_add(t->dc2, DN("svc-a"), "http/two.example.test");
	spn_add(t->dc2, DN("svc-c"), "http/one.example.test");
	assert_int_equal(spnpool_dir_add_peer(t->dc1->sdir, t->dc2->sdir),
			 LDB_SUCCESS);
	assert_int_equal(spnpool_op_compare_dcs(t->mem, t->dc1->sdir, &res),
			 LDB_SUCCESS);
	assert_int_equal(res->num_dcs, 2);
	assert_string_equal(res->dcs[0], "dc1.test");
	assert_string_equal(res->dcs[1], "dc2.test");
	assert_int_equal(res->num_diffs, 2);
	/* sorted by account: svc-a (made first) then svc-c */
	assert_string_equal(res->diffs[0].spn, "http/two.example.test");
	assert_string_equal(res->diffs[0].account_dn, DN("svc-a"));
	assert_false(res->diffs[0].duplicate_after_replication);
	assert_string_equal(res->diffs[1].spn, "http/one.example.test");
	assert_string_equal(res->diffs[1].account_dn, DN("svc-c"));
	assert_true(res->diffs[1].duplicate_after_replication);
	for (i = 0; i < 2; i++) {
		assert_int_equal(res->diffs[i].num_present, 1);
		assert_string_equal(res->diffs[i].present_on[0], "dc2.test");
		assert_int_equal(res->diffs[i].num_missing, 1);
		assert_string_equal(res->diffs[i].missing_on[0], "dc1.test");
	}
}

static void test_compare_of_equal_dcs_finds_nothing(void **state)
{
	struct pair_ctx *t = *state;
	struct spnpool_dc_diff_result *res = NULL;
	size_t before = talloc_total_blocks(t->mem);

	assert_int_equal(spnpool_dir_add_peer(t->dc1->sdir, t->dc2->sdir),
			 LDB_SUCCESS);
	assert_int_equal(spnpool_op_compare_dcs(t->mem, t->dc1->sdir, &res),
			 LDB_SUCCESS);
	assert_int_equal(res->num_diffs, 0);
	TALLOC_FREE(res);
	assert_int_equal(talloc_total_blocks(t->mem), before);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_a_peer_must_be_another_directory, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_add_refuses_a_name_only_a_peer_dc_holds, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_peer_holder_is_named_in_the_refusal, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_compare_names_what_each_dc_lacks, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_compare_of_equal_dcs_finds_nothing, setup,
			teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
