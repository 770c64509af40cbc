/*
 * IIS applicationHost.config: which names reach which pool under which
 * identity and authentication settings, from the fixtures in
 * selftest/fixtures; and every hostile or broken input refused with a
 * message that names the line and the culprit.
 */

#include <stdio.h>
#include <stdlib.h>

#include "test_common.h"

#ifndef SPNPOOL_FIXTURES
#error SPNPOOL_FIXTURES must name the fixtures folder
#endif

#define SPECIFIC SPNPOOL_POOL_SPECIFIC_USER
#define APPPOOL SPNPOOL_POOL_APP_POOL_IDENTITY

struct expect {
	const char *site;
	const char *site_id;
	const char *app_path;
	const char *pool;
	enum spnpool_pool_identity_type type;
	const char *user;
	const char *host;
	uint16_t port;
	bool https;
	bool windows_auth;
	bool negotiate;
	bool kernel_mode;
	bool app_pool_credentials;
};

static char *read_fixture(TALLOC_CTX *mem, const char *name, size_t *_len)
{
	char *path = talloc_asprintf(mem, "%s/%s", SPNPOOL_FIXTURES, name);
	FILE *f = NULL;
	char *data = NULL;
	long size;

	assert_non_null(path);
	f = fopen(path, "rb");
	if (f == NULL) {
		fail_msg("cannot open %s", path);
	}
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	size = ftell(f);
	assert_true(size >= 0);
	assert_int_equal(fseek(f, 0, SEEK_SET), 0);
	data = talloc_size(mem, (size_t)size + 1);
	assert_non_null(data);
	assert_int_equal(fread(data, 1, (size_t)size, f), (size_t)size);
	data[size] = '\0';
	fclose(f);
	talloc_free(path);
	*_len = (size_t)size;
	return data;
}

static void assert_str(const char *field, const char *got, const char *want)
{
	if (got == NULL && want == NULL) {
		return;
	}
	if (got == NULL || want == NULL || strcmp(got, want) != 0) {
		fail_msg("%s: got \"%s\", expected \"%s\"", field,
			 got != NULL ? got : "(null)",
			 want != NULL ? want : "(null)");
	}
}

static void assert_bindings(const struct spnpool_web_config *c,
			    const struct expect *want,
			    size_t n)
{
	size_t i;

	assert_string_equal(c->source, "iis");
	assert_int_equal(c->num_bindings, n);
	for (i = 0; i < n; i++) {
		const struct spnpool_web_binding *b = &c->bindings[i];

		print_message("binding %zu\n", i);
		assert_str("site", b->site, want[i].site);
		assert_str("site_id", b->site_id, want[i].site_id);
		assert_str("app_path", b->app_path, want[i].app_path);
		assert_str("pool", b->pool, want[i].pool);
		assert_int_equal(b->identity_type, want[i].type);
		assert_str("user_name", b->user_name, want[i].user);
		assert_str("host", b->host, want[i].host);
		assert_int_equal(b->port, want[i].port);
		assert_int_equal(b->https, want[i].https);
		assert_int_equal(b->windows_auth, want[i].windows_auth);
		assert_int_equal(b->negotiate, want[i].negotiate);
		assert_int_equal(b->kernel_mode, want[i].kernel_mode);
		assert_int_equal(b->use_app_pool_credentials,
				 want[i].app_pool_credentials);
	}
}

/* Parse a fixture that must be accepted; check the leak afterwards. */
static void assert_fixture(struct test_ctx *t, const char *name,
			   const struct expect *want, size_t n)
{
	struct spnpool_web_config *c = NULL;
	char *error = NULL;
	size_t len;
	char *xml = read_fixture(NULL, name, &len);
	enum spnpool_status st;

	st = spnpool_iis_config_parse(t->mem, xml, len, &c, &error);
	if (st != SPNPOOL_OK) {
		fail_msg("%s: %s: %s", name, spnpool_status_string(st),
			 error != NULL ? error : "");
	}
	assert_null(error);
	assert_bindings(c, want, n);
	talloc_free(c);
	talloc_free(xml);
	assert_no_new_blocks(t);
}

/* Input that must be refused with SPNPOOL_ERR_CONFIG and a message
 * containing want; only the message is left allocated. */
static void assert_refused_len(struct test_ctx *t, const char *xml,
			       size_t len, const char *want)
{
	struct spnpool_web_config *c = NULL;
	char *error = NULL;
	size_t before = talloc_total_blocks(t->mem);
	enum spnpool_status st;

	st = spnpool_iis_config_parse(t->mem, xml, len, &c, &error);
	assert_int_equal(st, SPNPOOL_ERR_CONFIG);
	assert_null(c);
	assert_non_null(error);
	if (strstr(error, want) == NULL) {
		fail_msg("error \"%s\" does not contain \"%s\"", error, want);
	}
	assert_ptr_equal(talloc_parent(error), t->mem);
	assert_int_equal(talloc_total_blocks(t->mem), before + 1);
	talloc_free(error);
	assert_int_equal(talloc_total_blocks(t->mem), before);
}

static void assert_refused(struct test_ctx *t, const char *xml,
			   const char *want)
{
	assert_refused_len(t, xml, strlen(xml), want);
}

static void assert_fixture_refused(struct test_ctx *t, const char *name,
				   const char *want)
{
	size_t len;
	char *xml = read_fixture(NULL, name, &len);

	assert_refused_len(t, xml, len, want);
	talloc_free(xml);
}

/* A minimal document around pools and sites, one element a line:
 * line 1 <configuration>, 2 <system.applicationHost>,
 * 3 <applicationPools>, 4 the pools, 5 </applicationPools>, 6 <sites>,
 * 7 the sites, 8 </sites>, 9 </system.applicationHost>, 10 the rest. */
static char *doc(TALLOC_CTX *mem, const char *pools, const char *sites,
		 const char *rest)
{
	char *xml = talloc_asprintf(mem,
				    "<configuration>\n"
				    "<system.applicationHost>\n"
				    "<applicationPools>\n"
				    "%s\n"
				    "</applicationPools>\n"
				    "<sites>\n"
				    "%s\n"
				    "</sites>\n"
				    "</system.applicationHost>\n"
				    "%s\n"
				    "</configuration>\n",
				    pools, sites, rest);

	assert_non_null(xml);
	return xml;
}

#define POOL_A "<add name=\"A\"><processModel identityType=\"SpecificUser\" " \
	       "userName=\"EXAMPLE\\svc-a\"/></add>"
#define SITE_A(binding)                                                   \
	"<site name=\"S\" id=\"1\"><application path=\"/\" "              \
	"applicationPool=\"A\"/><bindings><binding protocol=\"http\" "    \
	"bindingInformation=\"" binding "\"/></bindings></site>"

/* Parse a generated document that must be accepted. */
static struct spnpool_web_config *parse_ok(struct test_ctx *t,
					   const char *xml)
{
	struct spnpool_web_config *c = NULL;
	char *error = NULL;
	enum spnpool_status st;

	st = spnpool_iis_config_parse(t->mem, xml, strlen(xml), &c, &error);
	if (st != SPNPOOL_OK) {
		fail_msg("%s: %s", spnpool_status_string(st),
			 error != NULL ? error : "");
	}
	return c;
}

/* ---- the fixtures ---- */

static void test_site_on_server_name_reaches_domain_account_pool(
	void **state)
{
	struct test_ctx *t = talloc_get_type_abort(*state, struct test_ctx);
	static const struct expect want[] = {
		{"Default Web Site", "1", "/", "Web01Pool", SPECIFIC,
		 "EXAMPLE\\svc-web01", NULL, 0, false, true, true, true,
		 false},
		{"Default Web Site", "1", "/", "Web01Pool", SPECIFIC,
		 "EXAMPLE\\svc-web01", NULL, 0, true, true, true, true,
		 false},
	};

	assert_fixture(t, "one-pool.config", want, 2);
}

static void test_farm_name_on_two_addresses_is_one_binding(void **state)
{
	struct test_ctx *t = talloc_get_type_abort(*state, struct test_ctx);
	static const struct expect want[] = {
		{"Farm", "2", "/", "Farm", SPECIFIC, "EXAMPLE\\svc-farm",
		 "farm.example.test", 0, false, true, true, true, true},
		{"Farm", "2", "/", "Farm", SPECIFIC, "EXAMPLE\\svc-farm",
		 "farm.example.test", 0, true, true, true, true, true},
	};

	assert_fixture(t, "farm.config", want, 2);
}

static void test_two_pools_behind_one_name_are_both_reported(void **state)
{
	struct test_ctx *t = talloc_get_type_abort(*state, struct test_ctx);
	static const struct expect want[] = {
		{"Shop", "3", "/", "ShopFront", SPECIFIC, "EXAMPLE\\svc-shop-a",
		 "shop.example.test", 0, false, true, true, true, false},
		{"Shop", "3", "/api", "ShopApi", SPECIFIC,
		 "EXAMPLE\\svc-shop-b", "shop.example.test", 0, false, true,
		 true, true, false},
	};

	assert_fixture(t, "two-pools-one-name.config", want, 2);
}

static void test_pool_without_identity_is_app_pool_identity(void **state)
{
	struct test_ctx *t = talloc_get_type_abort(*state, struct test_ctx);
	static const struct expect want[] = {
		{"Intranet", "1", "/", "Intranet", APPPOOL, NULL, NULL, 0,
		 false, true, true, true, false},
	};

	assert_fixture(t, "apppoolidentity.config", want, 1);
}

static void test_kernel_mode_without_pool_credentials_is_read(void **state)
{
	struct test_ctx *t = talloc_get_type_abort(*state, struct test_ctx);
	static const struct expect want[] = {
		{"Portal", "4", "/", "Portal", SPECIFIC, "EXAMPLE\\svc-portal",
		 "portal.example.test", 0, true, true, true, true, false},
	};

	assert_fixture(t, "kernel-mode.config", want, 1);
}

/*
 * layered.config: server level enables Windows auth in user mode; site
 * "Apps" turns kernel mode on; /legacy disables it; /ntlm removes
 * Negotiate; /private uses the pool's credentials but not its child
 * application /private/sub; Apps/docs is a folder and Gone a deleted
 * site.  Pools: AppsPool from the site's applicationDefaults and the
 * pool defaults (NetworkService); "legacy" names Legacy without case;
 * Other gets siteDefaults' pool, whose identityType is the number 1.
 */
static void test_most_specific_level_wins_per_attribute(void **state)
{
	struct test_ctx *t = talloc_get_type_abort(*state, struct test_ctx);
	static const struct expect want[] = {
#define APPS(host, port, https)                                              \
	{"Apps", "10", "/", "AppsPool", SPNPOOL_POOL_NETWORK_SERVICE, NULL,  \
	 host, port, https, true, true, true, false},                        \
	{"Apps", "10", "/legacy", "Legacy", SPNPOOL_POOL_LOCAL_SYSTEM, NULL, \
	 host, port, https, false, true, true, false},                       \
	{"Apps", "10", "/ntlm", "AppsPool", SPNPOOL_POOL_NETWORK_SERVICE,    \
	 NULL, host, port, https, true, false, true, false},                 \
	{"Apps", "10", "/private", "AppsPool",                               \
	 SPNPOOL_POOL_NETWORK_SERVICE, NULL, host, port, https, true, true,  \
	 true, true},                                                        \
	{"Apps", "10", "/private/sub", "AppsPool",                           \
	 SPNPOOL_POOL_NETWORK_SERVICE, NULL, host, port, https, true, true,  \
	 true, false}
		APPS("apps.example.test", 8080, false),
		APPS("apps.example.test", 0, true),
#undef APPS
		{"Other", "11", "/", "SiteDefaultsPool",
		 SPNPOOL_POOL_LOCAL_SERVICE, NULL, "other", 0, false, true,
		 true, false, false},
	};

	assert_fixture(t, "layered.config", want, 11);
}

static void test_bom_and_crlf_copy_parses_like_the_original(void **state)
{
	struct test_ctx *t = talloc_get_type_abort(*state, struct test_ctx);
	struct spnpool_web_config *c = NULL;
	char *error = NULL;
	size_t len;
	size_t i;
	char *xml = read_fixture(t->mem, "one-pool.config", &len);
	char *copy = talloc_strdup(t->mem, "\xef\xbb\xbf");

	for (i = 0; i < len && copy != NULL; i++) {
		copy = (xml[i] == '\n')
			       ? talloc_strdup_append_buffer(copy, "\r\n")
			       : talloc_strndup_append_buffer(copy, xml + i, 1);
	}
	assert_non_null(copy);
	assert_int_equal(spnpool_iis_config_parse(t->mem, copy, strlen(copy),
						  &c, &error),
			 SPNPOOL_OK);
	assert_int_equal(c->num_bindings, 2);
	assert_string_equal(c->bindings[0].user_name, "EXAMPLE\\svc-web01");
	assert_true(c->bindings[1].https);
	talloc_free(c);
	talloc_free(copy);
	talloc_free(xml);
	assert_no_new_blocks(t);
}

/* ---- hostile input ---- */

static void test_billion_laughs_is_refused_before_any_expansion(
	void **state)
{
	struct test_ctx *t = talloc_get_type_abort(*state, struct test_ctx);

	assert_fixture_refused(t, "billion-laughs.config",
			       "line 3: refused: the DTD declares the entity "
			       "\"lol\"; entity expansion (\"billion laughs\") "
			       "can exhaust memory");
}

static void test_external_entity_is_refused_without_reading_it(
	void **state)
{
	struct test_ctx *t = talloc_get_type_abort(*state, struct test_ctx);

	assert_fixture_refused(t, "xxe.config",
			       "line 3: refused: the DTD declares the external "
			       "entity \"passwd\" (SYSTEM "
			       "\"file:///etc/passwd\"); external entities "
			       "(XXE)");
}

static void test_every_dtd_and_entity_reference_is_refused(void **state)
{
	struct test_ctx *t = talloc_get_type_abort(*state, struct test_ctx);

	/* an external DTD, never fetched */
	assert_refused(t,
		       "<?xml version=\"1.0\"?>\n"
		       "<!DOCTYPE configuration SYSTEM "
		       "\"http://203.0.113.9/evil.dtd\">\n"
		       "<configuration/>\n",
		       "line 2: refused: the document has a document type "
		       "declaration (<!DOCTYPE configuration>)");
	/* comments and PIs inside it are owned (and freed) too */
	assert_refused(t,
		       "<!DOCTYPE configuration [\n<!-- c -->\n<?pi x?>\n"
		       "]>\n<configuration/>\n",
		       "line 4: refused: the document has a document type "
		       "declaration (<!DOCTYPE configuration>)");
	/* a DTD without entities */
	assert_refused(t,
		       "<!DOCTYPE configuration [\n"
		       "<!ELEMENT configuration ANY>\n"
		       "]>\n<configuration/>\n",
		       "line 2: refused: the document has a document type "
		       "declaration");
	assert_refused(t,
		       "<!DOCTYPE configuration [\n"
		       "<!ATTLIST add identityType CDATA \"LocalSystem\">\n"
		       "]>\n<configuration/>\n",
		       "line 2: refused: the document has a document type "
		       "declaration");
	/* parameter entities, internal and external */
	assert_refused(t,
		       "<!DOCTYPE configuration [\n"
		       "<!ENTITY % p \"<!ENTITY x 'y'>\">\n"
		       "%p;\n]>\n<configuration/>\n",
		       "line 2: refused: the DTD declares the parameter entity "
		       "\"%p\"");
	assert_refused(t,
		       "<!DOCTYPE configuration [\n"
		       "<!ENTITY % ext SYSTEM \"file:///etc/shadow\">\n"
		       "%ext;\n]>\n<configuration/>\n",
		       "line 2: refused: the DTD declares the external "
		       "parameter entity \"%ext\" (SYSTEM "
		       "\"file:///etc/shadow\")");
	/* a reference to an entity nobody declared */
	assert_refused(t,
		       "<configuration>\n<system.applicationHost>\n"
		       "<applicationPools><add name=\"&x;\"/>"
		       "</applicationPools>\n"
		       "</system.applicationHost>\n</configuration>\n",
		       "line 3: refused: reference to the entity \"&x;\"");
	assert_refused(t, "<configuration>\n\n&passwd;</configuration>",
		       "line 3: refused: reference to the entity "
		       "\"&passwd;\"");
}

static void test_predefined_and_character_references_are_allowed(
	void **state)
{
	struct test_ctx *t = talloc_get_type_abort(*state, struct test_ctx);
	char *xml = doc(t->mem,
			"<add name=\"R&amp;D\"><processModel identityType="
			"\"SpecificUser\" userName=\"EXAMPLE&#x5c;svc-rd\"/>"
			"</add>",
			"<site name=\"R&amp;D &#x4c;ab\" id=\"5\">"
			"<application path=\"/\" applicationPool=\"R&amp;D\"/>"
			"<bindings><binding protocol=\"http\" "
			"bindingInformation=\"*:80:rd.example.test\"/>"
			"</bindings></site>",
			"");
	struct spnpool_web_config *c = parse_ok(t, xml);

	assert_int_equal(c->num_bindings, 1);
	assert_string_equal(c->bindings[0].site, "R&D Lab");
	assert_string_equal(c->bindings[0].pool, "R&D");
	assert_string_equal(c->bindings[0].user_name, "EXAMPLE\\svc-rd");
	talloc_free(c);
	talloc_free(xml);
	assert_no_new_blocks(t);
}

/* size bytes of well-formed XML: <configuration> and 1 KiB comments */
static void fill_comments(char *xml, size_t size)
{
	static const char head[] = "<configuration>\n";
	static const char tail[] = "</configuration>\n";
	size_t off;

	memset(xml, ' ', size);
	memcpy(xml, head, sizeof(head) - 1);
	for (off = 1024; off + 2048 <= size; off += 1024) {
		memcpy(xml + off, "<!--", 4);
		memset(xml + off + 4, 'x', 1014);
		memcpy(xml + off + 1018, "-->\n", 4);
	}
	memcpy(xml + size - (sizeof(tail) - 1), tail, sizeof(tail) - 1);
}

static void test_file_over_16_mib_is_refused_before_parsing(void **state)
{
	struct test_ctx *t = talloc_get_type_abort(*state, struct test_ctx);
	/* huge.config: 17 MiB of valid XML, generated, never committed */
	size_t len = 17 * 1024 * 1024;
	char *xml = malloc(len);

	assert_non_null(xml);
	fill_comments(xml, len);
	assert_refused_len(t, xml, len,
			   "the file is 17825792 bytes; an "
			   "applicationHost.config over 16 MiB (16777216 "
			   "bytes) is refused");
	/* exactly 16 MiB is parsed (and is no applicationHost.config) */
	fill_comments(xml, 16 * 1024 * 1024);
	assert_refused_len(t, xml, 16 * 1024 * 1024,
			   "line 1: <configuration> has no "
			   "<system.applicationHost>");
	free(xml);
	assert_no_new_blocks(t);
}

static void test_malformed_xml_reports_libxml2_message_and_line(
	void **state)
{
	struct test_ctx *t = talloc_get_type_abort(*state, struct test_ctx);

	assert_fixture_refused(t, "broken.config",
			       "line 8: malformed XML: Opening and ending tag "
			       "mismatch: add line 6 and applicationPools");
	/* libxml2 says where it noticed: at the end of the file */
	assert_refused(t, "<configuration>\n<sites>\n",
		       "line 3: malformed XML: Premature end of data in tag "
		       "sites line 2");
	assert_refused(t, "<configuration a=\"1\" a=\"2\"/>",
		       "line 1: malformed XML: Attribute a redefined");
	assert_refused_len(t, "<configuration>\0</configuration>", 32,
			   "line 1: malformed XML:");
	/* read as UTF-8 whatever the declaration says */
	assert_refused(t,
		       "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n"
		       "<configuration a=\"caf\xe9\"/>",
		       "line 2: malformed XML: Input is not proper UTF-8, "
		       "indicate encoding ! Bytes: 0xE9");
	assert_refused_len(t, "\xff\xfe<\0c\0/\0>\0", 10,
			   "the file is UTF-16 or UTF-32; IIS writes "
			   "applicationHost.config in UTF-8");
	assert_refused_len(t, "<\0c\0/\0>\0", 8,
			   "the file is UTF-16 or UTF-32");
	assert_refused(t, "Lo\xa7\x94\x89\x93", /* "<?xml" in EBCDIC */
		       "line 1: malformed XML: the file does not start with "
		       "'<'");
	assert_refused(t, "\xef\xbb\xbf", "line 1: malformed XML: the file "
					  "does not start with '<'");
	assert_refused(t, "", "the file is empty");
}

static void test_error_lines_past_65535_are_exact(void **state)
{
	struct test_ctx *t = talloc_get_type_abort(*state, struct test_ctx);
	TALLOC_CTX *tmp = talloc_new(t->mem);
	char *filler = talloc_zero_array(tmp, char, 70000 + 1);
	char *xml = NULL;

	assert_non_null(filler);
	memset(filler, '\n', 70000);
	/* the site starts on line 7, 70003 newlines before it */
	xml = doc(tmp, POOL_A,
		  talloc_asprintf(tmp, "%s\n\n\n%s", filler,
				  SITE_A("*:80:bad_name")),
		  "");
	assert_refused(t, xml,
		       "line 70010: site \"S\": <binding protocol=\"http\" "
		       "bindingInformation=\"*:80:bad_name\">");
	talloc_free(tmp);
	assert_no_new_blocks(t);
}

/* ---- IIS rules ---- */

static void test_invalid_host_header_is_an_error_naming_it(void **state)
{
	struct test_ctx *t = talloc_get_type_abort(*state, struct test_ctx);

	assert_fixture_refused(t, "bad-binding.config",
			       "line 12: site \"Shop\": <binding "
			       "protocol=\"http\" bindingInformation=\"*:80:"
			       "shop_web.example.test\">: the host header "
			       "\"shop_web.example.test\" is not a valid host "
			       "name: a host name may contain only letters, "
			       "digits, '-' and '.'");
}

static void test_application_in_unknown_pool_is_an_error(void **state)
{
	struct test_ctx *t = talloc_get_type_abort(*state, struct test_ctx);

	assert_fixture_refused(t, "unknown-pool.config",
			       "line 13: application \"/api\" of site \"Shop\" "
			       "uses application pool \"ShopAPI-old\", which "
			       "<applicationPools> does not define");
	/* IIS's own default, when nothing names a pool */
	assert_refused(t,
		       doc(t->mem, POOL_A,
			   "<site name=\"S\"><application path=\"/\"/>"
			   "<bindings><binding protocol=\"http\" "
			   "bindingInformation=\"*:80:\"/></bindings></site>",
			   ""),
		       "line 7: application \"/\" of site \"S\" uses "
		       "application pool \"DefaultAppPool\"");
}

static void test_specific_user_without_user_name_names_the_pool(
	void **state)
{
	struct test_ctx *t = talloc_get_type_abort(*state, struct test_ctx);

	assert_fixture_refused(t, "no-user-name.config",
			       "line 5: application pool \"Reports\": "
			       "identityType is SpecificUser but "
			       "<processModel> has no userName");
	/* the defaults can give both */
	assert_refused(t,
		       doc(t->mem,
			   "<add name=\"P\"><processModel userName=\"\"/></add>"
			   "<applicationPoolDefaults><processModel "
			   "identityType=\"SpecificUser\"/>"
			   "</applicationPoolDefaults>",
			   "", ""),
		       "line 4: application pool \"P\": identityType is "
		       "SpecificUser but <processModel> has no userName");
	assert_refused(t,
		       doc(t->mem,
			   "<add name=\"P\"><processModel identityType="
			   "\"SpecificUser\" userName=\"EXAMPLE\\a*b\"/></add>",
			   "", ""),
		       "line 4: application pool \"P\": userName "
		       "\"EXAMPLE\\a*b\" is not an account name");
}

static void test_pool_defaults_give_type_and_user_per_attribute(
	void **state)
{
	struct test_ctx *t = talloc_get_type_abort(*state, struct test_ctx);
	char *xml = doc(t->mem,
			"<applicationPoolDefaults><processModel identityType="
			"\"SpecificUser\" userName=\"EXAMPLE\\svc-all\"/>"
			"</applicationPoolDefaults>"
			"<add name=\"A\"/>"
			"<add name=\"B\"><processModel userName="
			"\"svc-b@example.test\"/></add>"
			"<add name=\"C\"><processModel identityType="
			"\"NetworkService\"/></add>",
			"<site name=\"S\" id=\"1\"><bindings><binding "
			"protocol=\"http\" bindingInformation=\"*:80:\"/>"
			"</bindings><application path=\"/\" "
			"applicationPool=\"a\"/><application path=\"/b\" "
			"applicationPool=\"B\"/><application path=\"/c\" "
			"applicationPool=\"C\"/></site>",
			"");
	struct spnpool_web_config *c = parse_ok(t, xml);

	assert_int_equal(c->num_bindings, 3);
	assert_string_equal(c->bindings[0].pool, "A");
	assert_int_equal(c->bindings[0].identity_type, SPECIFIC);
	assert_string_equal(c->bindings[0].user_name, "EXAMPLE\\svc-all");
	assert_string_equal(c->bindings[1].user_name, "svc-b@example.test");
	assert_int_equal(c->bindings[2].identity_type,
			 SPNPOOL_POOL_NETWORK_SERVICE);
	assert_null(c->bindings[2].user_name);
	/* nothing set anywhere: IIS's defaults */
	assert_false(c->bindings[0].windows_auth);
	assert_true(c->bindings[0].negotiate);
	assert_true(c->bindings[0].kernel_mode);
	assert_false(c->bindings[0].use_app_pool_credentials);
	talloc_free(c);
	talloc_free(xml);
	assert_no_new_blocks(t);
}

static void test_binding_information_is_parsed_strictly(void **state)
{
	struct test_ctx *t = talloc_get_type_abort(*state, struct test_ctx);
	static const struct {
		const char *protocol;
		const char *info;
		const char *host;
		uint16_t port;
	} good[] = {
		{"http", "*:80:", NULL, 0},
		{"http", "*:8080:", NULL, 8080},
		{"http", "*:443:web01", "web01", 443},
		{"https", "*:443:web01", "web01", 0},
		{"https", "*:80:web01", "web01", 80},
		{"http", "192.0.2.1:80:WEB01.Example.TEST.",
		 "web01.example.test", 0},
		{"http", "[::1]:80:localhost", "localhost", 0},
		{"http", "[2001:db8::1]:65535:", NULL, 65535},
	};
	static const struct {
		const char *info;
		const char *why;
	} bad[] = {
		{"*:80", "bindingInformation has the form IP:port:host"},
		{"", "bindingInformation has the form IP:port:host"},
		{"*", "bindingInformation has the form IP:port:host"},
		{":80:", "the IP address must be '*', an IPv4 address"},
		{"web01:80:", "the IP address must be '*', an IPv4 address"},
		{"192.0.2:80:", "the IP address must be '*', an IPv4 address"},
		{"::1:80:", "the IP address must be '*', an IPv4 address"},
		{"[::1:80:", "an IPv6 address is written [address]:port:host"},
		{"[::1]80:", "an IPv6 address is written [address]:port:host"},
		{"[::g]:80:", "the IPv6 address is malformed"},
		{"*::web01", "the port must be a decimal number"},
		{"*:080:", "the port must be a decimal number"},
		{"*:+80:", "the port must be a decimal number"},
		{"*:0:", "the port must be from 1 to 65535"},
		{"*:65536:", "the port must be from 1 to 65535"},
		{"*:80:web01:81", "the host header \"web01:81\" is not"},
		{"*:80:203.0.113.5", "an IP address or all-numeric name"},
		{"*:80:-web", "may not start or end with '-'"},
		{"*:80:*.example.test",
		 "a wildcard host header has no SPN of its own"},
		{"*:80:b\xc3\xbc" "cher.example",
		 "a host name must be ASCII"},
		{"*:80:a&#9;b", "the host header \"a\\x09b\""},
	};
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		TALLOC_CTX *tmp = talloc_new(t->mem);
		char *xml = doc(tmp, POOL_A,
				talloc_asprintf(tmp,
						"<site name=\"S\"><application "
						"path=\"/\" applicationPool="
						"\"A\"/><bindings><binding "
						"protocol=\"%s\" "
						"bindingInformation=\"%s\"/>"
						"</bindings></site>",
						good[i].protocol, good[i].info),
				"");
		struct spnpool_web_config *c = NULL;

		print_message("%s %s\n", good[i].protocol, good[i].info);
		c = parse_ok(t, xml);
		assert_int_equal(c->num_bindings, 1);
		assert_str("host", c->bindings[0].host, good[i].host);
		assert_int_equal(c->bindings[0].port, good[i].port);
		assert_null(c->bindings[0].site_id);
		talloc_free(c);
		talloc_free(tmp);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		TALLOC_CTX *tmp = talloc_new(t->mem);
		char *xml = doc(tmp, POOL_A,
				talloc_asprintf(tmp, SITE_A("%s"), bad[i].info),
				"");

		print_message("%s\n", bad[i].info);
		assert_refused(t, xml,
			       "line 7: site \"S\": <binding "
			       "protocol=\"http\"");
		assert_refused(t, xml, bad[i].why);
		talloc_free(tmp);
	}
	assert_no_new_blocks(t);
}

static void test_non_http_bindings_and_sites_without_them_are_skipped(
	void **state)
{
	struct test_ctx *t = talloc_get_type_abort(*state, struct test_ctx);
	/* the FTP site's pool does not exist: no matter, no HTTP there */
	char *xml = doc(t->mem, POOL_A,
			"<site name=\"F\"><application path=\"/\" "
			"applicationPool=\"Missing\"/><bindings>"
			"<binding protocol=\"ftp\" bindingInformation="
			"\"*:21:\"/><binding protocol=\"net.pipe\" "
			"bindingInformation=\"*\"/><binding bindingInformation="
			"\"*:80:\"/></bindings></site>"
			"<site name=\"Empty\"><application path=\"/\" "
			"applicationPool=\"A\"/></site>"
			"<site name=\"NoApp\"><bindings><binding "
			"protocol=\"http\" bindingInformation=\"*:80:x\"/>"
			"</bindings></site>",
			"");
	struct spnpool_web_config *c = parse_ok(t, xml);

	assert_int_equal(c->num_bindings, 0);
	assert_non_null(c->bindings);
	talloc_free(c);
	talloc_free(xml);
	assert_no_new_blocks(t);
}

static void test_clear_empties_pools_and_bindings(void **state)
{
	struct test_ctx *t = talloc_get_type_abort(*state, struct test_ctx);
	char *xml = doc(t->mem,
			"<add name=\"Old\"/><clear/>" POOL_A,
			"<site name=\"S\"><application path=\"/\" "
			"applicationPool=\"A\"/><bindings><binding "
			"protocol=\"http\" bindingInformation=\"*:80:old\"/>"
			"<clear/><binding protocol=\"http\" "
			"bindingInformation=\"*:80:new\"/></bindings></site>",
			"");
	struct spnpool_web_config *c = parse_ok(t, xml);

	assert_int_equal(c->num_bindings, 1);
	assert_string_equal(c->bindings[0].host, "new");
	talloc_free(c);
	assert_refused(t,
		       doc(t->mem, POOL_A "<add name=\"Old\"/>"
				   "<clear/><add name=\"Old\"/>"
				   "<remove name=\"Old\"/>",
			   "", ""),
		       "line 4: <remove> in <applicationPools> is not "
		       "supported");
	talloc_free(xml);
}

static void test_providers_decide_negotiate(void **state)
{
	struct test_ctx *t = talloc_get_type_abort(*state, struct test_ctx);
	static const struct {
		const char *providers;
		bool negotiate;
	} cases[] = {
		{"", true}, /* an empty <providers/> adds nothing */
		{"<clear/>", false},
		{"<clear/><add value=\"NTLM\"/>", false},
		{"<clear/><add value=\"Negotiate:Kerberos\"/>", true},
		{"<clear/><add value=\"Negotiate:PKU2U\"/>", false},
		{"<remove value=\"Negotiate\"/>", false},
		{"<remove value=\"NEGOTIATE\"/><add value=\"negotiate\"/>",
		 true},
		{"<clear/><add value=\"NTLM\"/><add value=\"Negotiate\"/>",
		 true},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		/* the server's list is IIS's: Negotiate, NTLM */
		TALLOC_CTX *tmp = talloc_new(t->mem);
		char *xml = doc(
			tmp, POOL_A, SITE_A("*:80:"),
			talloc_asprintf(
				tmp,
				"<system.webServer><security><authentication>"
				"<windowsAuthentication><providers>"
				"<add value=\"Negotiate\"/>"
				"<add value=\"NTLM\"/>"
				"</providers></windowsAuthentication>"
				"</authentication></security>"
				"</system.webServer>"
				"<location path=\"S\"><system.webServer>"
				"<security><authentication>"
				"<windowsAuthentication enabled=\"true\">"
				"<providers>%s</providers>"
				"</windowsAuthentication></authentication>"
				"</security></system.webServer></location>",
				cases[i].providers));
		struct spnpool_web_config *c = NULL;

		print_message("%s\n", cases[i].providers);
		c = parse_ok(t, xml);
		assert_int_equal(c->num_bindings, 1);
		assert_true(c->bindings[0].windows_auth);
		assert_int_equal(c->bindings[0].negotiate, cases[i].negotiate);
		talloc_free(c);
		talloc_free(tmp);
	}
	assert_no_new_blocks(t);
}

static void test_duplicates_are_refused_like_iis_does(void **state)
{
	struct test_ctx *t = talloc_get_type_abort(*state, struct test_ctx);
	static const char auth[] =
		"<system.webServer><security><authentication>"
		"<windowsAuthentication enabled=\"true\"/></authentication>"
		"</security></system.webServer>";

	assert_refused(t, doc(t->mem, POOL_A "\n<add name=\"a\"/>", "", ""),
		       "line 5: application pool \"a\" is defined twice "
		       "(first on line 4)");
	assert_refused(t,
		       doc(t->mem, POOL_A,
			   "<site name=\"S\"/>\n<site name=\"s\"/>", ""),
		       "line 8: site \"s\" is defined twice (first on line 7)");
	assert_refused(t,
		       doc(t->mem, POOL_A,
			   "<site name=\"S\"><application path=\"/x\" "
			   "applicationPool=\"A\"/>\n<application "
			   "path=\"/X\" applicationPool=\"A\"/></site>",
			   ""),
		       "line 8: site \"S\": application \"/X\" is defined "
		       "twice (first on line 7)");
	assert_refused(t,
		       doc(t->mem, POOL_A, SITE_A("*:80:"),
			   talloc_asprintf(t->mem,
					   "<location path=\"S/\">%s</location>"
					   "\n<location path=\"s\">%s"
					   "</location>",
					   auth, auth)),
		       "line 11: windowsAuthentication is set twice for "
		       "location \"s\" (first on line 10)");
	assert_refused(t,
		       doc(t->mem, POOL_A, SITE_A("*:80:"),
			   talloc_asprintf(t->mem,
					   "%s\n<location path=\"\">%s"
					   "</location>",
					   auth, auth)),
		       "line 11: windowsAuthentication is set twice for the "
		       "server (first on line 10)");
}

static void test_bad_attribute_values_are_refused(void **state)
{
	struct test_ctx *t = talloc_get_type_abort(*state, struct test_ctx);

	assert_refused(t,
		       doc(t->mem,
			   "<add name=\"P\"><processModel identityType="
			   "\"Custom\"/></add>",
			   "", ""),
		       "line 4: application pool \"P\": unknown identityType "
		       "\"Custom\" (SpecificUser, NetworkService, LocalSystem, "
		       "LocalService or ApplicationPoolIdentity)");
	assert_refused(t, doc(t->mem, "<add/>", "", ""),
		       "line 4: <add> in <applicationPools> has no name");
	assert_refused(t, doc(t->mem, "", "<site id=\"1\"/>", ""),
		       "line 7: <site> has no name");
	assert_refused(t, doc(t->mem, "", "<site name=\"S\" id=\"01\"/>", ""),
		       "line 7: site \"S\": id \"01\" must be a decimal "
		       "number");
	assert_refused(t,
		       doc(t->mem, "",
			   "<site name=\"S\"><application path=\"api\"/>"
			   "</site>",
			   ""),
		       "line 7: site \"S\": <application> needs a path "
		       "starting with '/' (got \"api\")");
	assert_refused(t,
		       doc(t->mem, "",
			   "<site name=\"S\"><bindings><binding protocol="
			   "\"https\"/></bindings></site>",
			   ""),
		       "line 7: site \"S\": <binding protocol=\"https\"> has "
		       "no bindingInformation");
	assert_refused(t,
		       doc(t->mem, "", "",
			   "<system.webServer><security><authentication>"
			   "<windowsAuthentication useKernelMode=\"yes\"/>"
			   "</authentication></security></system.webServer>"),
		       "line 10: <windowsAuthentication "
		       "useKernelMode=\"yes\">: the value must be true or "
		       "false");
	assert_refused(t,
		       doc(t->mem, "", "",
			   "<location path=\"S\" inheritInChildApplications="
			   "\"no\"/>"),
		       "line 10: <location inheritInChildApplications=\"no\">");
	assert_refused(t,
		       doc(t->mem, "", "",
			   "<system.webServer><security><authentication>"
			   "<windowsAuthentication><providers><add/>"
			   "</providers></windowsAuthentication>"
			   "</authentication></security></system.webServer>"),
		       "line 10: <add> in <providers> has no value");
}

static void test_sections_kept_elsewhere_are_refused(void **state)
{
	struct test_ctx *t = talloc_get_type_abort(*state, struct test_ctx);

	assert_refused(t,
		       "<configuration>\n<system.applicationHost>\n"
		       "<sites configSource=\"sites.config\"/>\n"
		       "</system.applicationHost>\n</configuration>",
		       "line 3: <sites> is kept in \"sites.config\" "
		       "(configSource)");
	assert_refused(t,
		       "<configuration>\n<system.applicationHost>\n"
		       "<applicationPools configProtectionProvider="
		       "\"IISCngProvider\"><EncryptedData/>"
		       "</applicationPools>\n"
		       "</system.applicationHost>\n</configuration>",
		       "line 3: <applicationPools> is encrypted "
		       "(configProtectionProvider=\"IISCngProvider\")");
}

static void test_other_documents_are_not_application_host_configs(
	void **state)
{
	struct test_ctx *t = talloc_get_type_abort(*state, struct test_ctx);

	assert_refused(t, "<?xml version=\"1.0\"?>\n<root/>",
		       "line 2: the root element is <root>, not "
		       "<configuration>: this is not an "
		       "applicationHost.config");
	/* a site's web.config */
	assert_refused(t,
		       "<configuration>\n<system.webServer>\n"
		       "<security/></system.webServer></configuration>",
		       "line 1: <configuration> has no "
		       "<system.applicationHost>: this is not an "
		       "applicationHost.config (a site's web.config has "
		       "none)");
}

static void test_only_the_root_iis_reads_is_accepted(void **state)
{
	struct test_ctx *t = talloc_get_type_abort(*state, struct test_ctx);

	assert_refused(t,
		       "<x:configuration xmlns:x=\"urn:evil\">\n"
		       "<x:system.applicationHost/></x:configuration>",
		       "line 1: the root element <configuration> is in the "
		       "namespace \"urn:evil\"");
	assert_refused(t,
		       "<configuration xmlns=\"urn:evil\">\n"
		       "<system.applicationHost/></configuration>",
		       "namespace \"urn:evil\"");
	assert_refused(t,
		       "<?xml version=\"1.1\"?>\n<configuration>\n"
		       "<system.applicationHost/></configuration>",
		       "line 1: XML version 1.1; IIS reads only XML 1.0");
	assert_no_new_blocks(t);
}

/* head, then n times pre INDEX post, then tail: built in one buffer
 * (appending would copy the whole text each time, which under valgrind
 * takes hours). */
static char *repeat(TALLOC_CTX *mem_ctx, const char *head, const char *pre,
		    const char *post, int n, const char *tail)
{
	size_t cap = strlen(head) +
		     (size_t)n * (strlen(pre) + strlen(post) + 10) +
		     strlen(tail) + 1;
	char *buf = talloc_array(mem_ctx, char, cap);
	size_t used;
	int i;

	assert_non_null(buf);
	used = (size_t)snprintf(buf, cap, "%s", head);
	for (i = 0; i < n; i++) {
		used += (size_t)snprintf(buf + used, cap - used, "%s%d%s", pre,
					 i, post);
	}
	snprintf(buf + used, cap - used, "%s", tail);
	return buf;
}

/* Bounded before libxml2: one element with 200,000 attributes took
 * minutes in its duplicate check. */
static void test_attribute_and_element_counts_are_bounded(void **state)
{
	struct test_ctx *t = talloc_get_type_abort(*state, struct test_ctx);
	char *xml = NULL;

	xml = repeat(t->mem, "<configuration>\n<x ", "a", "=\"=\" ", 200000,
		     "/></configuration>");
	assert_refused(t, xml,
		       "line 2: an element with more than 256 attributes");
	talloc_free(xml);
	/* 256 are fine as far as the count goes; quoted '=' and '>' and
	 * comments do not count */
	xml = repeat(t->mem, "<configuration>\n<!-- <a b=c> -->\n<x ", "a",
		     "='=>' ", 256, "/></configuration>");
	assert_refused(t, xml, "no <system.applicationHost>");
	talloc_free(xml);
	xml = repeat(t->mem, "<configuration>\n", "<a", "/>", 500001,
		     "</configuration>");
	assert_refused(t, xml, "line 2: more than 500000 elements");
	talloc_free(xml);
	assert_no_new_blocks(t);
}

static void test_more_than_100000_pairs_are_refused(void **state)
{
	struct test_ctx *t = talloc_get_type_abort(*state, struct test_ctx);
	char *sites = talloc_strdup(t->mem, "<site name=\"S\"><bindings>");
	char *xml = NULL;
	int i;

	for (i = 1; i <= 1000 && sites != NULL; i++) {
		sites = talloc_asprintf_append_buffer(
			sites,
			"<binding protocol=\"http\" bindingInformation="
			"\"*:%d:\"/>",
			i);
	}
	sites = talloc_strdup_append_buffer(sites, "</bindings>");
	for (i = 0; i <= 100 && sites != NULL; i++) {
		sites = talloc_asprintf_append_buffer(
			sites, "<application path=\"/a%d\" applicationPool="
			       "\"A\"/>",
			i);
	}
	sites = talloc_strdup_append_buffer(sites, "</site>");
	assert_non_null(sites);
	xml = doc(t->mem, POOL_A, sites, "");
	talloc_free(sites);
	assert_refused(t, xml,
		       "line 7: more than 100000 (binding, application) "
		       "pairs");
	talloc_free(xml);
	assert_no_new_blocks(t);
}

static void test_result_belongs_to_mem_ctx_only(void **state)
{
	struct test_ctx *t = talloc_get_type_abort(*state, struct test_ctx);
	struct spnpool_web_config *c = NULL;
	size_t len;
	char *xml = read_fixture(NULL, "two-pools-one-name.config", &len);

	assert_int_equal(spnpool_iis_config_parse(t->mem, xml, len, &c, NULL),
			 SPNPOOL_OK);
	assert_ptr_equal(talloc_parent(c), t->mem);
	assert_ptr_equal(talloc_parent(c->bindings), c);
	assert_ptr_equal(talloc_parent(c->bindings[1].host), c->bindings);
	assert_ptr_equal(talloc_parent(c->bindings[1].user_name),
			 c->bindings);
	/* the config and its strings, nothing else */
	assert_int_equal(talloc_total_blocks(c), 1 + 1 + 1 + 2 * 6);
	talloc_free(c);
	assert_no_new_blocks(t);
	/* no error pointer: still refused cleanly */
	assert_int_equal(spnpool_iis_config_parse(t->mem, xml, 10, &c, NULL),
			 SPNPOOL_ERR_CONFIG);
	assert_no_new_blocks(t);
	talloc_free(xml);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TEST(test_site_on_server_name_reaches_domain_account_pool),
		TEST(test_farm_name_on_two_addresses_is_one_binding),
		TEST(test_two_pools_behind_one_name_are_both_reported),
		TEST(test_pool_without_identity_is_app_pool_identity),
		TEST(test_kernel_mode_without_pool_credentials_is_read),
		TEST(test_most_specific_level_wins_per_attribute),
		TEST(test_bom_and_crlf_copy_parses_like_the_original),
		TEST(test_billion_laughs_is_refused_before_any_expansion),
		TEST(test_external_entity_is_refused_without_reading_it),
		TEST(test_every_dtd_and_entity_reference_is_refused),
		TEST(test_predefined_and_character_references_are_allowed),
		TEST(test_file_over_16_mib_is_refused_before_parsing),
		TEST(test_malformed_xml_reports_libxml2_message_and_line),
		TEST(test_error_lines_past_65535_are_exact),
		TEST(test_invalid_host_header_is_an_error_naming_it),
		TEST(test_application_in_unknown_pool_is_an_error),
		TEST(test_specific_user_without_user_name_names_the_pool),
		TEST(test_pool_defaults_give_type_and_user_per_attribute),
		TEST(test_binding_information_is_parsed_strictly),
		TEST(test_non_http_bindings_and_sites_without_them_are_skipped),
		TEST(test_clear_empties_pools_and_bindings),
		TEST(test_providers_decide_negotiate),
		TEST(test_duplicates_are_refused_like_iis_does),
		TEST(test_bad_attribute_values_are_refused),
		TEST(test_sections_kept_elsewhere_are_refused),
		TEST(test_other_documents_are_not_application_host_configs),
		TEST(test_only_the_root_iis_reads_is_accepted),
		TEST(test_attribute_and_element_counts_are_bounded),
		TEST(test_more_than_100000_pairs_are_refused),
		TEST(test_result_belongs_to_mem_ctx_only),
	};

	return cmocka_run_group_tests_name("iisconfig", tests, NULL, NULL);
}
