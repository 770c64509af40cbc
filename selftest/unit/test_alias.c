/*
 * sPNMappings: parsing the directory's values and the SPNs that collide
 * through them.
 */

#include "test_common.h"

/* The value a fresh AD (Windows or Samba) carries. */
static const char *const ad_default[] = {
	"host=alerter,appmgmt,cisvc,clipsrv,browser,dhcp,dnscache,replicator,"
	"eventlog,eventsystem,policyagent,oakley,dmserver,dns,mcsvc,fax,"
	"msiserver,ias,messenger,netlogon,netman,netdde,netddedsm,nmagent,"
	"plugplay,protectedstorage,rasman,rpclocator,rpc,rpcss,remoteaccess,"
	"rsvp,samss,scardsvr,scesrv,seclogon,scm,dcom,cifs,spooler,snmp,"
	"schedule,tapisrv,trksvr,trkwks,ups,time,wins,www,http,w3svc,"
	"iisadmin,msdtc",
};

static struct spnpool_alias_map *default_map(struct test_ctx *t)
{
	struct spnpool_alias_map *map = NULL;

	assert_int_equal(spnpool_alias_map_parse(t->mem, ad_default, 1, &map),
			 SPNPOOL_OK);
	return map;
}

static void test_parse_reads_the_ad_default(void **state)
{
	struct test_ctx *t = talloc_get_type_abort(*state, struct test_ctx);
	struct spnpool_alias_map *map = default_map(t);

	assert_int_equal(map->num_entries, 1);
	assert_string_equal(map->entries[0].target, "host");
	assert_int_equal(map->entries[0].num_aliases, 53);
	assert_string_equal(map->entries[0].aliases[0], "alerter");
	assert_string_equal(map->entries[0].aliases[52], "msdtc");
}

static void test_alias_target_maps_http_to_host(void **state)
{
	struct test_ctx *t = talloc_get_type_abort(*state, struct test_ctx);
	struct spnpool_alias_map *map = default_map(t);

	assert_string_equal(spnpool_alias_target(map, "http"), "host");
	assert_string_equal(spnpool_alias_target(map, "HTTP"), "host");
	assert_string_equal(spnpool_alias_target(map, "W3SVC"), "host");
	assert_null(spnpool_alias_target(map, "host"));
	assert_null(spnpool_alias_target(map, "ldap"));
	assert_null(spnpool_alias_target(map, "htt"));
}

static void test_forms_of_http_are_the_host_form_with_tail_kept(void **state)
{
	struct test_ctx *t = talloc_get_type_abort(*state, struct test_ctx);
	struct spnpool_alias_map *map = default_map(t);
	char **forms = NULL;
	size_t num = 0;

	assert_int_equal(spnpool_alias_forms(t->mem, map,
					     "HTTP/Web01.example.test:8080/x",
					     &forms, &num),
			 SPNPOOL_OK);
	assert_int_equal(num, 1);
	assert_string_equal(forms[0], "host/Web01.example.test:8080/x");
}

static void test_forms_of_host_are_every_alias(void **state)
{
	struct test_ctx *t = talloc_get_type_abort(*state, struct test_ctx);
	struct spnpool_alias_map *map = default_map(t);
	char **forms = NULL;
	size_t num = 0;
	size_t i;
	bool seen_http = false;

	assert_int_equal(spnpool_alias_forms(t->mem, map, "HOST/web01",
					     &forms, &num),
			 SPNPOOL_OK);
	assert_int_equal(num, 53);
	for (i = 0; i < num; i++) {
		if (strcmp(forms[i], "http/web01") == 0) {
			seen_http = true;
		}
	}
	assert_true(seen_http);
}

static void test_forms_of_an_unmapped_class_are_none(void **state)
{
	struct test_ctx *t = talloc_get_type_abort(*state, struct test_ctx);
	struct spnpool_alias_map *map = default_map(t);
	char **forms = NULL;
	size_t num = 99;

	assert_int_equal(spnpool_alias_forms(t->mem, map, "ldap/dc1", &forms,
					     &num),
			 SPNPOOL_OK);
	assert_int_equal(num, 0);
	assert_int_equal(spnpool_alias_forms(t->mem, map, "nothing", &forms,
					     &num),
			 SPNPOOL_ERR_NO_SLASH);
	assert_int_equal(spnpool_alias_forms(t->mem, map, "", &forms, &num),
			 SPNPOOL_ERR_EMPTY);
}

static void test_forms_are_deduplicated(void **state)
{
	struct test_ctx *t = talloc_get_type_abort(*state, struct test_ctx);
	static const char *const values[] = {"host=http,HTTP,www",
					     "host=http"};
	struct spnpool_alias_map *map = NULL;
	char **forms = NULL;
	size_t num = 0;

	assert_int_equal(spnpool_alias_map_parse(t->mem, values, 2, &map),
			 SPNPOOL_OK);
	assert_int_equal(spnpool_alias_forms(t->mem, map, "host/x", &forms,
					     &num),
			 SPNPOOL_OK);
	assert_int_equal(num, 2);
	assert_string_equal(forms[0], "http/x");
	assert_string_equal(forms[1], "www/x");
	assert_int_equal(spnpool_alias_forms(t->mem, map, "http/x", &forms,
					     &num),
			 SPNPOOL_OK);
	assert_int_equal(num, 1);
	assert_string_equal(forms[0], "host/x");
}

static void test_several_values_map_several_targets(void **state)
{
	struct test_ctx *t = talloc_get_type_abort(*state, struct test_ctx);
	static const char *const values[] = {"host=http", "svc=web"};
	struct spnpool_alias_map *map = NULL;
	char **forms = NULL;
	size_t num = 0;

	assert_int_equal(spnpool_alias_map_parse(t->mem, values, 2, &map),
			 SPNPOOL_OK);
	assert_string_equal(spnpool_alias_target(map, "web"), "svc");
	assert_int_equal(spnpool_alias_forms(t->mem, map, "web/x:81", &forms,
					     &num),
			 SPNPOOL_OK);
	assert_int_equal(num, 1);
	assert_string_equal(forms[0], "svc/x:81");
}

static void test_parse_rejects_malformed_values(void **state)
{
	struct test_ctx *t = talloc_get_type_abort(*state, struct test_ctx);
	static const char *const bad[] = {
		"host", "host=", "=http", "host=http,,www", "host=ht tp",
		"host=http,", ",host=http", "ho/st=http", "host=http=www",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct spnpool_alias_map *map = NULL;
		const char *values[1] = {bad[i]};

		if (spnpool_alias_map_parse(t->mem, values, 1, &map) !=
		    SPNPOOL_ERR_MAPPING_SYNTAX) {
			fail_msg("'%s' was accepted", bad[i]);
		}
		assert_null(map);
	}
	{
		struct spnpool_alias_map *map = NULL;
		const char *values[2] = {"host=http", NULL};

		assert_int_equal(spnpool_alias_map_parse(t->mem, values, 2,
							 &map),
				 SPNPOOL_ERR_MAPPING_SYNTAX);
	}
	assert_no_new_blocks(t);
}

static void test_empty_map_has_no_aliases(void **state)
{
	struct test_ctx *t = talloc_get_type_abort(*state, struct test_ctx);
	struct spnpool_alias_map *map = NULL;
	char **forms = NULL;
	size_t num = 5;

	assert_int_equal(spnpool_alias_map_parse(t->mem, NULL, 0, &map),
			 SPNPOOL_OK);
	assert_int_equal(map->num_entries, 0);
	assert_int_equal(spnpool_alias_forms(t->mem, map, "http/x", &forms,
					     &num),
			 SPNPOOL_OK);
	assert_int_equal(num, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TEST(test_parse_reads_the_ad_default),
		TEST(test_alias_target_maps_http_to_host),
		TEST(test_forms_of_http_are_the_host_form_with_tail_kept),
		TEST(test_forms_of_host_are_every_alias),
		TEST(test_forms_of_an_unmapped_class_are_none),
		TEST(test_forms_are_deduplicated),
		TEST(test_several_values_map_several_targets),
		TEST(test_parse_rejects_malformed_values),
		TEST(test_empty_map_has_no_aliases),
	};

	return cmocka_run_group_tests_name("alias", tests, NULL, NULL);
}
