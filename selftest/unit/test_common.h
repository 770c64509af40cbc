/*
 * Fixture shared by the pure-core suites: a talloc context per test and a
 * leak check against it in teardown.
 */

#ifndef SPNPOOL_TEST_COMMON_H
#define SPNPOOL_TEST_COMMON_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "spnpool.h"

struct test_ctx {
	TALLOC_CTX *mem;
	size_t blocks_before;
};

static inline int test_setup(void **state)
{
	struct test_ctx *t = talloc_zero(NULL, struct test_ctx);

	assert_non_null(t);
	t->mem = talloc_new(t);
	assert_non_null(t->mem);
	t->blocks_before = talloc_total_blocks(t->mem);
	*state = t;
	return 0;
}

static inline int test_teardown(void **state)
{
	struct test_ctx *t = talloc_get_type_abort(*state, struct test_ctx);

	talloc_free(t);
	return 0;
}

/* Nothing allocated since setup: for calls that must fail cleanly. */
static inline void assert_no_new_blocks(struct test_ctx *t)
{
	assert_int_equal(talloc_total_blocks(t->mem), t->blocks_before);
}

#define TEST(fn) cmocka_unit_test_setup_teardown(fn, test_setup, test_teardown)

#endif
