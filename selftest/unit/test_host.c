/*
 * Host names and URLs: short names versus FQDNs, deriving the NetBIOS and
 * FQDN forms, and the name a browser puts in the SPN.
 */

#include "test_common.h"

static void test_check_tells_short_names_from_fqdns(void **state)
{
	enum spnpool_host_kind kind;

	(void)state;
	assert_int_equal(spnpool_host_check("web01", &kind), SPNPOOL_OK);
	assert_int_equal(kind, SPNPOOL_HOST_SHORT);
	assert_int_equal(spnpool_host_check("web01.example.test", &kind),
			 SPNPOOL_OK);
	assert_int_equal(kind, SPNPOOL_HOST_FQDN);
	assert_int_equal(spnpool_host_check("web01.example.test.", &kind),
			 SPNPOOL_OK);
	assert_int_equal(kind, SPNPOOL_HOST_FQDN);
	assert_int_equal(spnpool_host_check("xn--bcher-kva.example", &kind),
			 SPNPOOL_OK);
	assert_int_equal(spnpool_host_check("a-b.c-d.e", NULL), SPNPOOL_OK);
	/* a numeric label is fine as long as the last one is not */
	assert_int_equal(spnpool_host_check("web1.2nd.test", NULL),
			 SPNPOOL_OK);
}

static void test_check_rejects_each_bad_host(void **state)
{
	static const struct {
		const char *host;
		enum spnpool_status expected;
	} cases[] = {
		{"", SPNPOOL_ERR_EMPTY_HOST},
		{".", SPNPOOL_ERR_HOST_LABEL_EMPTY},
		{"web01.", SPNPOOL_ERR_HOST_TRAILING_DOT},
		{"web01..", SPNPOOL_ERR_HOST_LABEL_EMPTY},
		{"web 01", SPNPOOL_ERR_WHITESPACE},
		{"web\t01", SPNPOOL_ERR_CONTROL_CHAR},
		{"b\xc3\xbc" "cher.example", SPNPOOL_ERR_HOST_NON_ASCII},
		{"web\xc3", SPNPOOL_ERR_BAD_UTF8},
		{"web_01", SPNPOOL_ERR_HOST_CHAR},
		{"web*", SPNPOOL_ERR_HOST_CHAR},
		{"(web)", SPNPOOL_ERR_HOST_CHAR},
		{"web\\01", SPNPOOL_ERR_HOST_CHAR},
		{"web:80", SPNPOOL_ERR_HOST_CHAR},
		{"web/01", SPNPOOL_ERR_HOST_CHAR},
		{"-web", SPNPOOL_ERR_HOST_HYPHEN},
		{"web-", SPNPOOL_ERR_HOST_HYPHEN},
		{"203.0.113.7", SPNPOOL_ERR_HOST_NUMERIC},
		{"12345", SPNPOOL_ERR_HOST_NUMERIC},
		{"web.123", SPNPOOL_ERR_HOST_NUMERIC},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum spnpool_status st = spnpool_host_check(cases[i].host,
							    NULL);

		if (st != cases[i].expected) {
			fail_msg("'%s': got %s, expected %s", cases[i].host,
				 spnpool_status_string(st),
				 spnpool_status_string(cases[i].expected));
		}
	}
	assert_int_equal(spnpool_host_check(NULL, NULL),
			 SPNPOOL_ERR_EMPTY_HOST);
}

static void assert_forms(struct test_ctx *t,
			 const char *host,
			 const char *domain,
			 const char *netbios,
			 const char *fqdn)
{
	char *nb = NULL;
	char *fq = NULL;

	assert_int_equal(spnpool_host_forms(t->mem, host, domain, &nb, &fq),
			 SPNPOOL_OK);
	assert_string_equal(nb, netbios);
	assert_string_equal(fq, fqdn);
}

static void test_forms_of_a_short_name_add_the_domain(void **state)
{
	struct test_ctx *t = talloc_get_type_abort(*state, struct test_ctx);

	assert_forms(t, "web01", "example.test", "WEB01",
		     "web01.example.test");
	assert_forms(t, "Intranet", "EXAMPLE.TEST.", "INTRANET",
		     "intranet.example.test");
}

static void test_forms_of_an_fqdn_take_its_first_label(void **state)
{
	struct test_ctx *t = talloc_get_type_abort(*state, struct test_ctx);

	assert_forms(t, "web01.example.test", "example.test", "WEB01",
		     "web01.example.test");
	assert_forms(t, "Web01.Example.TEST.", NULL, "WEB01",
		     "web01.example.test");
	/* a name outside the domain keeps its own zone */
	assert_forms(t, "www.contoso.test", "example.test", "WWW",
		     "www.contoso.test");
}

static void test_forms_respect_the_netbios_limit(void **state)
{
	struct test_ctx *t = talloc_get_type_abort(*state, struct test_ctx);
	char *nb = NULL;
	char *fq = NULL;

	assert_int_equal(spnpool_host_forms(t->mem, "abcdefghijklmnop",
					    "example.test", &nb, &fq),
			 SPNPOOL_ERR_NETBIOS_TOO_LONG);
	assert_null(nb);
	assert_null(fq);
	assert_no_new_blocks(t);
	/* a long first label of an FQDN: the DNS form alone */
	assert_int_equal(spnpool_host_forms(t->mem,
					    "Intranet-Portal-Prod.example.test",
					    NULL, &nb, &fq),
			 SPNPOOL_OK);
	assert_null(nb);
	assert_string_equal(fq, "intranet-portal-prod.example.test");
	assert_forms(t, "abcdefghijklmno", "example.test", "ABCDEFGHIJKLMNO",
		     "abcdefghijklmno.example.test");
}

static void test_forms_of_a_short_name_need_a_valid_domain(void **state)
{
	struct test_ctx *t = talloc_get_type_abort(*state, struct test_ctx);
	char *nb = NULL;
	char *fq = NULL;
	char *domain = NULL;
	char label[60];

	assert_int_equal(spnpool_host_forms(t->mem, "web01", NULL, &nb, &fq),
			 SPNPOOL_ERR_NO_DOMAIN);
	assert_int_equal(spnpool_host_forms(t->mem, "web01", "", &nb, &fq),
			 SPNPOOL_ERR_NO_DOMAIN);
	assert_int_equal(spnpool_host_forms(t->mem, "web01", "exa mple",
					    &nb, &fq),
			 SPNPOOL_ERR_WHITESPACE);
	assert_int_equal(spnpool_host_forms(t->mem, "web 01", "example.test",
					    &nb, &fq),
			 SPNPOOL_ERR_WHITESPACE);
	assert_no_new_blocks(t);

	/* 4 * 59 + 3 = 239 bytes of domain; "webserver0123." makes 253 */
	memset(label, 'd', 59);
	label[59] = '\0';
	domain = talloc_asprintf(t->mem, "%s.%s.%s.%s", label, label, label,
				 label);
	assert_int_equal(spnpool_host_forms(t->mem, "webserver01", domain,
					    &nb, &fq),
			 SPNPOOL_OK);
	assert_int_equal(spnpool_host_forms(t->mem, "webserver0123", domain,
					    &nb, &fq),
			 SPNPOOL_OK);
	assert_int_equal(strlen(fq), 253);
	/* ... one more character does not */
	assert_int_equal(spnpool_host_forms(t->mem, "webserver01234", domain,
					    &nb, &fq),
			 SPNPOOL_ERR_HOST_TOO_LONG);
}

static void assert_url(struct test_ctx *t,
		       const char *text,
		       const char *scheme,
		       const char *host,
		       uint16_t port)
{
	struct spnpool_url *url = NULL;
	enum spnpool_status st = spnpool_url_parse(t->mem, text, &url);

	if (st != SPNPOOL_OK) {
		fail_msg("'%s': %s", text, spnpool_status_string(st));
	}
	assert_string_equal(url->scheme, scheme);
	assert_string_equal(url->host, host);
	assert_int_equal(url->port, port);
}

static void test_url_parse_reads_what_browsers_read(void **state)
{
	struct test_ctx *t = talloc_get_type_abort(*state, struct test_ctx);

	assert_url(t, "http://web01.example.test/", "http",
		   "web01.example.test", 0);
	assert_url(t, "HTTPS://Web01.Example.Test:443/app?x=1#top", "https",
		   "web01.example.test", 0);
	assert_url(t, "http://web01:80", "http", "web01", 0);
	assert_url(t, "https://web01:80/", "https", "web01", 80);
	assert_url(t, "http://web01:8080/path", "http", "web01", 8080);
	assert_url(t, "http://user:secret@web01/", "http", "web01", 0);
	assert_url(t, "http://web01.example.test./", "http",
		   "web01.example.test", 0);
	assert_url(t, "intranet", "http", "intranet", 0);
	assert_url(t, "Intranet:8443", "http", "intranet", 8443);
	assert_url(t, "http://web01?q", "http", "web01", 0);
	/* WHATWG: '\\' ends the authority, userinfo is not the host, any
	 * run of slashes and backslashes follows the scheme */
	assert_url(t, "http://web01\\@evil/", "http", "web01", 0);
	assert_url(t, "http://web01\\@evil.example.test:8080/", "http",
		   "web01", 0);
	assert_url(t, "http://user@web01\\x@evil/", "http", "web01", 0);
	assert_url(t, "http:\\\\web01\\app", "http", "web01", 0);
	assert_url(t, "https:/\\web01:8443/", "https", "web01", 8443);
	assert_url(t, "http:///path", "http", "path", 0);
}

static void test_url_parse_rejects_each_bad_url(void **state)
{
	struct test_ctx *t = talloc_get_type_abort(*state, struct test_ctx);
	static const struct {
		const char *text;
		enum spnpool_status expected;
	} cases[] = {
		{"", SPNPOOL_ERR_EMPTY},
		{"ftp://web01/", SPNPOOL_ERR_URL_SCHEME},
		{"://web01/", SPNPOOL_ERR_URL_SYNTAX},
		{"ht tp://web01/", SPNPOOL_ERR_URL_SYNTAX},
		{"http://", SPNPOOL_ERR_EMPTY_HOST},
		{"http:///", SPNPOOL_ERR_EMPTY_HOST},
		{"http://\\?q", SPNPOOL_ERR_EMPTY_HOST},
		{"http://[::1]/", SPNPOOL_ERR_HOST_NUMERIC},
		{"http://203.0.113.7/", SPNPOOL_ERR_HOST_NUMERIC},
		{"http://web01:0/", SPNPOOL_ERR_PORT_RANGE},
		{"http://web01:65536/", SPNPOOL_ERR_PORT_RANGE},
		{"http://web01:/", SPNPOOL_ERR_BAD_PORT},
		{"http://web01:08/", SPNPOOL_ERR_BAD_PORT},
		{"http://we b/", SPNPOOL_ERR_WHITESPACE},
		{"http://web%41/", SPNPOOL_ERR_HOST_CHAR},
		{"http://web01\n/", SPNPOOL_ERR_CONTROL_CHAR},
		{"http://\xff/", SPNPOOL_ERR_BAD_UTF8},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct spnpool_url *url = NULL;
		enum spnpool_status st;

		st = spnpool_url_parse(t->mem, cases[i].text, &url);
		if (st != cases[i].expected) {
			fail_msg("'%s': got %s, expected %s", cases[i].text,
				 spnpool_status_string(st),
				 spnpool_status_string(cases[i].expected));
		}
		assert_null(url);
	}
	assert_no_new_blocks(t);
}

static void test_url_spn_has_port_only_when_asked(void **state)
{
	struct test_ctx *t = talloc_get_type_abort(*state, struct test_ctx);

	assert_string_equal(spnpool_url_spn(t->mem, "web01", 8080, false),
			    "HTTP/web01");
	assert_string_equal(spnpool_url_spn(t->mem, "web01", 8080, true),
			    "HTTP/web01:8080");
	assert_string_equal(spnpool_url_spn(t->mem, "web01", 0, true),
			    "HTTP/web01");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TEST(test_check_tells_short_names_from_fqdns),
		TEST(test_check_rejects_each_bad_host),
		TEST(test_forms_of_a_short_name_add_the_domain),
		TEST(test_forms_of_an_fqdn_take_its_first_label),
		TEST(test_forms_respect_the_netbios_limit),
		TEST(test_forms_of_a_short_name_need_a_valid_domain),
		TEST(test_url_parse_reads_what_browsers_read),
		TEST(test_url_parse_rejects_each_bad_url),
		TEST(test_url_spn_has_port_only_when_asked),
	};

	return cmocka_run_group_tests_name("host", tests, NULL, NULL);
}
