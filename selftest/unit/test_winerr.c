/*
 * Windows' extended errors read from the texts DCs send, as they reach us
 * raw or wrapped by Samba's ldap client; and the ";range=" option of a
 * ranged attribute ([MS-ADTS] 3.1.1.3.1.3.3).
 *
 * The Windows texts are the formats Windows DCs print (the DSIDs vary
 * between builds); the Samba ones are what Samba 4.17's samldb sends.
 */

#include "test_common.h"
#include "spnpool_private.h"

struct text_case {
	const char *text;
	uint32_t code; /* 0: no extended error in the text */
	enum spnpool_winerr_fact fact;
};

static const struct text_case cases[] = {
	/* Windows, as the DC sends them (trailing newline) */
	{"000021C7: AtrErr: DSID-03200BBA, #1:\n\t0: 000021C7: "
	 "DSID-03200BBA, problem 1005 (CONSTRAINT_ATT_TYPE), data 0, Att "
	 "90303 (servicePrincipalName)\n",
	 0x21C7, SPNPOOL_WINERR_SPN_NOT_UNIQUE},
	{"000021C8: AtrErr: DSID-03200BBA, problem 1005 "
	 "(CONSTRAINT_ATT_TYPE), data 0\n",
	 0x21C8, SPNPOOL_WINERR_UPN_NOT_UNIQUE},
	{"00002024: SvcErr: DSID-02050BBD, problem 5008 "
	 "(ADMIN_LIMIT_EXCEEDED), data -1026\n",
	 0x2024, SPNPOOL_WINERR_TOO_MANY_VALUES},
	{"0000202B: RefErr: DSID-0310084A, data 0, 1 access points\n\tref "
	 "1: 'child.example.test'\n",
	 0x202B, SPNPOOL_WINERR_REFERRAL},
	{"00002098: SecErr: DSID-03150F93, problem 4003 "
	 "(INSUFF_ACCESS_RIGHTS), data 0\n",
	 0x2098, SPNPOOL_WINERR_ACCESS},
	{"00000005: SecErr: DSID-03152E13, problem 4003 "
	 "(INSUFF_ACCESS_RIGHTS), data 0\n",
	 0x5, SPNPOOL_WINERR_ACCESS},
	{"0000208D: NameErr: DSID-0310028C, problem 2001 (NO_OBJECT), data "
	 "0, best match of:\n\t'DC=example,DC=test'\n",
	 0x208D, SPNPOOL_WINERR_NO_OBJECT},
	{"00002071: UpdErr: DSID-030502F1, problem 6005 (ENTRY_EXISTS), data "
	 "0\n",
	 0x2071, SPNPOOL_WINERR_EXISTS},
	{"00000057: LdapErr: DSID-0C090D11, comment: Error in attribute "
	 "conversion operation, data 0, v4563\n",
	 0x57, SPNPOOL_WINERR_SYNTAX},
	/* Samba's samldb */
	{"0000202F: samldb: spn[http/web01] would cause a conflict",
	 0x202F, SPNPOOL_WINERR_CONSTRAINT},
	{"00002037: Naming violation", 0x2037, SPNPOOL_WINERR_CONSTRAINT},
	/* wrapped by Samba's ldap client ("\n\t" became spaces) */
	{"LDAP error 19 LDAP_CONSTRAINT_VIOLATION -  <000021C7: AtrErr: "
	 "DSID-03200BBA, #1: 0: 000021C7: DSID-03200BBA, problem 1005 "
	 "(CONSTRAINT_ATT_TYPE), data 0, Att 90303 (servicePrincipalName) > "
	 "<>",
	 0x21C7, SPNPOOL_WINERR_SPN_NOT_UNIQUE},
	{"adding SPNs to CN=a,DC=example,DC=test failed: LDAP error 11 "
	 "LDAP_ADMIN_LIMIT_EXCEEDED - <00002024: SvcErr: DSID-02050BBD, "
	 "problem 5008 (ADMIN_LIMIT_EXCEEDED), data -1026 > <>",
	 0x2024, SPNPOOL_WINERR_TOO_MANY_VALUES},
	/* no extended error: nothing is made up */
	{"LDAP error 19 LDAP_CONSTRAINT_VIOLATION -  <> <>", 0, 0},
	{"Constraint violation", 0, 0},
	{"", 0, 0},
	{"0000202: too short", 0, 0},
	{"0000202G: not hex", 0, 0},
	{"CN=00002024:x,DC=example,DC=test", 0, 0},
};

static void test_extended_errors_are_read_from_real_texts(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct text_case *c = &cases[i];
		const struct spnpool_winerr *we = NULL;
		uint32_t code = 0;
		bool found = spnpool_winerr_parse(c->text, &code);

		if (c->code == 0) {
			if (found) {
				fail_msg("case %zu: found %08X in '%s'", i,
					 code, c->text);
			}
			assert_null(spnpool_winerr_from_text(c->text));
			continue;
		}
		if (!found || code != c->code) {
			fail_msg("case %zu: want %08X, got %s%08X", i, c->code,
				 found ? "" : "nothing, ", code);
		}
		we = spnpool_winerr_from_text(c->text);
		assert_non_null(we);
		assert_int_equal(we->code, c->code);
		assert_int_equal(we->fact, c->fact);
		assert_non_null(we->name);
		assert_non_null(we->meaning);
	}
	assert_false(spnpool_winerr_parse(NULL, &(uint32_t){0}));
}

static void test_every_table_entry_is_reachable(void **state)
{
	/* codes a DC can send back to the commands' reads and writes */
	static const uint32_t codes[] = {
		0x5,	0x57,	0x200B, 0x200D, 0x200E, 0x200F, 0x2014,
		0x2020, 0x2022, 0x2023, 0x2024, 0x2028, 0x2029, 0x202B,
		0x202D, 0x202F, 0x2030, 0x2032, 0x2035, 0x2037, 0x2071,
		0x208D, 0x2098, 0x21C7, 0x21C8,
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		const struct spnpool_winerr *we = spnpool_winerr_lookup(codes[i]);

		assert_non_null(we);
		assert_int_equal(we->code, codes[i]);
		assert_true(strncmp(we->name, "ERROR_", 6) == 0);
	}
	assert_null(spnpool_winerr_lookup(0x12345678));
}

static void test_referral_names_the_dc_it_points_to(void **state)
{
	struct test_ctx *t = talloc_get_type_abort(*state, struct test_ctx);
	char *host = NULL;

	host = spnpool_winerr_referral_host(
		t->mem, "LDAP error 10 LDAP_REFERRAL - <0000202B: RefErr: "
			"DSID-0310084A, data 0, 1 access points ref 1: "
			"'rwdc.example.test' > "
			"<ldap://rwdc.example.test/CN=a,DC=example,DC=test>");
	assert_string_equal(host, "rwdc.example.test");
	TALLOC_FREE(host);
	/* a port in the URL is not part of the host */
	host = spnpool_winerr_referral_host(t->mem,
					    "<ldap://dc2.example.test:389/>");
	assert_string_equal(host, "dc2.example.test");
	TALLOC_FREE(host);
	/* Windows' own text alone */
	host = spnpool_winerr_referral_host(
		t->mem, "0000202B: RefErr: DSID-0310084A, data 0, 1 access "
			"points\n\tref 1: 'child.example.test'\n");
	assert_string_equal(host, "child.example.test");
	TALLOC_FREE(host);
	assert_null(spnpool_winerr_referral_host(t->mem, "LDAP error 10"));
	assert_null(spnpool_winerr_referral_host(t->mem, NULL));
}

struct range_case {
	const char *name;
	bool ok;
	unsigned lo;
	unsigned hi;
	bool last;
};

static void test_range_options_are_parsed_strictly(void **state)
{
	static const struct range_case rc[] = {
		{"servicePrincipalName;range=0-1499", true, 0, 1499, false},
		{"servicePrincipalName;range=1500-*", true, 1500, 0, true},
		{"servicePrincipalName;Range=5-9", true, 5, 9, false},
		{"servicePrincipalName;range=0-0", true, 0, 0, false},
		{"servicePrincipalName", false, 0, 0, false},
		{"servicePrincipalName;range=", false, 0, 0, false},
		{"servicePrincipalName;range=5", false, 0, 0, false},
		{"servicePrincipalName;range=9-5", false, 0, 0, false},
		{"servicePrincipalName;range=-1-5", false, 0, 0, false},
		{"servicePrincipalName;range=1-2x", false, 0, 0, false},
		{"servicePrincipalName;range=1-*x", false, 0, 0, false},
		{"servicePrincipalName;binary", false, 0, 0, false},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rc) / sizeof(rc[0]); i++) {
		unsigned lo = 77;
		unsigned hi = 77;
		bool last = false;
		bool ok = spnpool_ranged_parse(rc[i].name, &lo, &hi, &last);

		if (ok != rc[i].ok) {
			fail_msg("'%s': parse %d", rc[i].name, ok);
		}
		if (ok) {
			assert_int_equal(lo, rc[i].lo);
			assert_int_equal(last, rc[i].last);
			if (!last) {
				assert_int_equal(hi, rc[i].hi);
			}
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TEST(test_extended_errors_are_read_from_real_texts),
		TEST(test_every_table_entry_is_reachable),
		TEST(test_referral_names_the_dc_it_points_to),
		TEST(test_range_options_are_parsed_strictly),
	};

	return cmocka_run_group_tests_name("winerr", tests, NULL, NULL);
}
