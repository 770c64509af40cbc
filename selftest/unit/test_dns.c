/*
 * dnsRecord values (MS-DNSP 2.3.2.2): the records check follows, and every
 * way a hostile or broken value is refused without reading out of bounds.
 */

#include <stdlib.h>

#include "test_common.h"

/* An A record for 127.0.0.5, TTL 900, as Samba 4.17 stored it. */
static const uint8_t a_record[] = {
	0x04, 0x00, 0x01, 0x00, 0x05, 0xf0, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x03, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x7f, 0x00, 0x00, 0x05,
};

/* A CNAME to web01.example.test. */
static const uint8_t cname_record[] = {
	0x16, 0x00, 0x05, 0x00, 0x05, 0xf0, 0x00, 0x00, 0x01, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x0e, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x14, 0x03, 0x05, 'w',  'e',  'b',  '0',  '1',  0x07,
	'e',  'x',  'a',  'm',  'p',  'l',  'e',  0x04, 't',  'e',  's',
	't',  0x00,
};

static void test_a_record_gives_address_and_ttl(void **state)
{
	struct test_ctx *t = talloc_get_type_abort(*state, struct test_ctx);
	struct spnpool_dns_record *r = NULL;
	static const uint8_t addr[] = {127, 0, 0, 5};

	assert_int_equal(spnpool_dns_record_parse(t->mem, a_record,
						  sizeof(a_record), &r),
			 SPNPOOL_OK);
	assert_int_equal(r->type, SPNPOOL_DNS_TYPE_A);
	assert_int_equal(r->ttl, 900);
	assert_int_equal(r->addr_len, 4);
	assert_memory_equal(r->addr, addr, 4);
	assert_null(r->target);
}

static void test_cname_record_gives_target(void **state)
{
	struct test_ctx *t = talloc_get_type_abort(*state, struct test_ctx);
	struct spnpool_dns_record *r = NULL;

	assert_int_equal(spnpool_dns_record_parse(t->mem, cname_record,
						  sizeof(cname_record), &r),
			 SPNPOOL_OK);
	assert_int_equal(r->type, SPNPOOL_DNS_TYPE_CNAME);
	assert_int_equal(r->ttl, 3600);
	assert_string_equal(r->target, "web01.example.test");
}

static void test_tombstones_and_other_types_are_kept_uninterpreted(void **state)
{
	struct test_ctx *t = talloc_get_type_abort(*state, struct test_ctx);
	struct spnpool_dns_record *r = NULL;
	uint8_t rec[32];

	memcpy(rec, a_record, 24);
	rec[0] = 8;
	rec[2] = 0; /* tombstone: 8 bytes of FILETIME */
	memset(rec + 24, 0xaa, 8);
	assert_int_equal(spnpool_dns_record_parse(t->mem, rec, sizeof(rec),
						  &r),
			 SPNPOOL_OK);
	assert_int_equal(r->type, SPNPOOL_DNS_TYPE_TOMBSTONE);
	assert_null(r->target);
}

static void expect_bad(struct test_ctx *t, const uint8_t *rec, size_t len,
		       const char *what)
{
	struct spnpool_dns_record *r = NULL;
	enum spnpool_status st = spnpool_dns_record_parse(t->mem, rec, len,
							  &r);

	if (st != SPNPOOL_ERR_DNS_RECORD) {
		fail_msg("%s: accepted (%s)", what, spnpool_status_string(st));
	}
	assert_null(r);
}

static void test_malformed_records_are_refused(void **state)
{
	struct test_ctx *t = talloc_get_type_abort(*state, struct test_ctx);
	uint8_t rec[sizeof(cname_record)];

	expect_bad(t, NULL, 0, "NULL");
	expect_bad(t, a_record, 23, "short header");
	memcpy(rec, a_record, sizeof(a_record));
	rec[4] = 4;
	expect_bad(t, rec, sizeof(a_record), "version 4");
	memcpy(rec, a_record, sizeof(a_record));
	rec[0] = 5;
	expect_bad(t, rec, sizeof(a_record), "DataLength beyond the value");
	expect_bad(t, a_record, sizeof(a_record) - 1, "truncated data");
	memcpy(rec, a_record, sizeof(a_record));
	rec[0] = 3;
	expect_bad(t, rec, sizeof(a_record) - 1, "A record of 3 bytes");

	memcpy(rec, cname_record, sizeof(cname_record));
	rec[24] = 0x15;
	expect_bad(t, rec, sizeof(rec), "name area longer than the data");
	memcpy(rec, cname_record, sizeof(cname_record));
	rec[25] = 2;
	expect_bad(t, rec, sizeof(rec), "wrong label count");
	memcpy(rec, cname_record, sizeof(cname_record));
	rec[26] = 0x40;
	expect_bad(t, rec, sizeof(rec), "label length 64");
	memcpy(rec, cname_record, sizeof(cname_record));
	rec[26] = 0x06;
	expect_bad(t, rec, sizeof(rec), "label running into the next");
	memcpy(rec, cname_record, sizeof(cname_record));
	rec[sizeof(rec) - 1] = 'x';
	expect_bad(t, rec, sizeof(rec), "no final 0");
	memcpy(rec, cname_record, sizeof(cname_record));
	rec[28] = '*';
	expect_bad(t, rec, sizeof(rec), "'*' in a label");
	memcpy(rec, cname_record, sizeof(cname_record));
	rec[28] = 0;
	expect_bad(t, rec, sizeof(rec), "NUL in a label");
	assert_no_new_blocks(t);
}

/* Every prefix and many mutations of valid records: no crash, no read
 * past the end (ASan/valgrind runs of this suite check that), and a
 * verdict of either OK or DNS_RECORD. */
static void test_truncations_and_mutations_never_misparse(void **state)
{
	struct test_ctx *t = talloc_get_type_abort(*state, struct test_ctx);
	uint8_t rec[sizeof(cname_record)];
	unsigned seed = 12345;
	size_t len;
	int i;

	for (len = 0; len < sizeof(cname_record); len++) {
		uint8_t *copy = talloc_memdup(t->mem, cname_record, len);
		struct spnpool_dns_record *r = NULL;

		assert_int_equal(spnpool_dns_record_parse(t->mem, copy, len,
							  &r),
				 SPNPOOL_ERR_DNS_RECORD);
		talloc_free(copy);
	}
	for (i = 0; i < 20000; i++) {
		struct spnpool_dns_record *r = NULL;
		uint8_t *copy = NULL;
		enum spnpool_status st;

		memcpy(rec, cname_record, sizeof(rec));
		seed = seed * 1103515245u + 12345u;
		rec[(seed >> 8) % sizeof(rec)] = (uint8_t)(seed >> 16);
		seed = seed * 1103515245u + 12345u;
		len = 24 + (seed >> 8) % (sizeof(rec) - 23);
		copy = talloc_memdup(t->mem, rec, len);
		st = spnpool_dns_record_parse(t->mem, copy, len, &r);
		assert_true(st == SPNPOOL_OK || st == SPNPOOL_ERR_DNS_RECORD);
		if (st == SPNPOOL_OK && r->target != NULL) {
			assert_int_equal(spnpool_host_check(r->target, NULL),
					 SPNPOOL_OK);
		}
		talloc_free(r);
		talloc_free(copy);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TEST(test_a_record_gives_address_and_ttl),
		TEST(test_cname_record_gives_target),
		TEST(test_tombstones_and_other_types_are_kept_uninterpreted),
		TEST(test_malformed_records_are_refused),
		TEST(test_truncations_and_mutations_never_misparse),
	};

	return cmocka_run_group_tests_name("dns", tests, NULL, NULL);
}
