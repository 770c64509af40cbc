/*
 * Directory layer and operations against the AD-shaped tdb:// fixture:
 * identity resolution, uniqueness checks, exact writes, idempotence, and a
 * race injected between our check and our write.
 */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ad_fixture.h"
#include "spnpool_private.h"

#define DN(cn) "CN=" cn "," FIX_USERS

struct ops_ctx {
	TALLOC_CTX *mem;
	struct ad_fixture *f;
	bool local;
};

static int setup_common(void **state, bool local)
{
	struct ops_ctx *t = talloc_zero(NULL, struct ops_ctx);
	static const char *const web01[] = {"HOST/web01",
					    "HOST/web01.example.test", NULL};
	static const char *const svc_b[] = {"http/farm.example.test",
					    "HTTP/FARM", NULL};

	assert_non_null(t);
	t->mem = talloc_new(t);
	t->f = ad_fixture_new(t, local);
	t->local = local;
	ad_fixture_add(t->f, "svc-a", "svc-a", "user", NULL);
	ad_fixture_add(t->f, "svc-b", "svc-b", "user", svc_b);
	ad_fixture_add(t->f, "WEB01", "WEB01$", "computer", web01);
	ad_fixture_add(t->f, "gmsa-web", "gmsa-web$", "gmsa", NULL);
	ad_fixture_add(t->f, "webadmins", "webadmins", "group", NULL);
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
	assert_int_equal(talloc_free(*state), 0);
	return 0;
}

static struct spnpool_request request(const char *identity,
				      const char *const *hosts,
				      size_t num_hosts)
{
	struct spnpool_request req = {
		.identity = identity,
		.hosts = hosts,
		.num_hosts = num_hosts,
	};
	return req;
}

static const char *errstr(struct ops_ctx *t)
{
	return ldb_errstring(t->f->ldb);
}

/* ---- dir ---- */

static void test_dir_reads_domain_names_and_mappings(void **state)
{
	struct ops_ctx *t = *state;

	assert_string_equal(t->f->sdir->dns_domain, "example.test");
	assert_string_equal(t->f->sdir->netbios_domain, "EXAMPLE");
	assert_string_equal(spnpool_alias_target(t->f->sdir->aliases, "http"),
			    "host");
	assert_string_equal(spnpool_dn_to_dns_domain(t->mem,
						     "DC=Sub,DC=Example,"
						     "DC=TEST"),
			    "sub.example.test");
	assert_null(spnpool_dn_to_dns_domain(t->mem, "CN=x,O=y"));
}

/*
 * The transaction model comes from the backend ldb_connect() chose:
 * the fixture's tdb:// file is local; the URL ldb records decides for
 * other contexts, by ldb's rule (no scheme: a tdb file).
 */
static void test_dir_decides_local_from_the_backend(void **state)
{
	struct ops_ctx *t = *state;
	static const struct {
		const char *url;
		bool local;
	} cases[] = {
		{"/var/lib/samba/private/sam.ldb", true},
		{"tdb:///tmp/x.ldb", true},
		{"MDB:///tmp/x.ldb", true},
		{"ldb:///tmp/x.ldb", true},
		{"ldap://dc1.example.test", false},
		{"LDAPS://dc1.example.test", false},
		{"ldapi:///run/samba/ldapi", false},
		{"tdbx://x", false},
	};
	struct ldb_context *ldb = NULL;
	size_t i;

	assert_true(spnpool_dir_ldb_is_local(t->f->ldb));
	ldb = ldb_init(t->mem, NULL);
	assert_non_null(ldb);
	assert_false(spnpool_dir_ldb_is_local(ldb)); /* never connected */
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(ldb_set_opaque(ldb, "ldb_url",
						(void *)discard_const(
								cases[i].url)),
				 LDB_SUCCESS);
		if (spnpool_dir_ldb_is_local(ldb) != cases[i].local) {
			fail_msg("%s: expected %s", cases[i].url,
				 cases[i].local ? "local" : "LDAP");
		}
	}
	talloc_free(ldb);
}

/* DNs are compared component by component, not as text: spacing and
 * case do not matter, a shared text suffix is not a parent. */
static void test_dir_compares_dns_as_dns(void **state)
{
	struct ops_ctx *t = *state;
	struct spnpool_dir *dir = t->f->sdir;
	struct ldb_dn *in_dns = ldb_dn_new(t->mem, t->f->ldb,
					   "DC=web01,DC=example.test,"
					   "CN=MicrosoftDNS," FIX_DNS_NC);
	struct ldb_dn *in_config = ldb_dn_new(t->mem, t->f->ldb,
					      "CN=x,cn=configuration,"
					      "dc=EXAMPLE,dc=test");
	struct ldb_dn *user = ldb_dn_new(t->mem, t->f->ldb,
					 "CN=svc," FIX_USERS);
	struct ldb_dn *outside = ldb_dn_new(t->mem, t->f->ldb,
					    "CN=x,DC=otherexample,DC=test");

	assert_true(spnpool_dir_dn_equal(dir, "CN=svc-web,CN=Users,"
					      "DC=example,DC=test",
					 "cn=SVC-WEB, cn=users, dc=Example, "
					 "dc=TEST"));
	assert_false(spnpool_dir_dn_equal(dir, "CN=a,DC=example,DC=test",
					  "CN=a,DC=example,DC=test2"));
	assert_ptr_equal(spnpool_dir_owning_nc(dir, in_dns),
			 dir->naming_contexts[2]);
	assert_string_equal(spnpool_dir_owning_nc(dir, in_config),
			    FIX_CONFIG_NC);
	assert_string_equal(spnpool_dir_owning_nc(dir, user), FIX_DOMAIN_NC);
	assert_null(spnpool_dir_owning_nc(dir, outside));
}

static void assert_resolves(struct ops_ctx *t, const char *identity,
			    const char *server, const char *dn)
{
	struct spnpool_account *a = NULL;
	int ret = spnpool_dir_find_account(t->mem, t->f->sdir, identity,
					   server, &a);

	if (ret != LDB_SUCCESS) {
		fail_msg("'%s': %s", identity, errstr(t));
	}
	assert_string_equal(a->dn, dn);
}

static void assert_refused(struct ops_ctx *t, const char *identity,
			   const char *server, int expected, const char *needle)
{
	struct spnpool_account *a = NULL;
	int ret = spnpool_dir_find_account(t->mem, t->f->sdir, identity,
					   server, &a);

	if (ret != expected) {
		fail_msg("'%s': got %d (%s), expected %d", identity, ret,
			 errstr(t), expected);
	}
	if (strstr(errstr(t), needle) == NULL) {
		fail_msg("'%s': message '%s' lacks '%s'", identity, errstr(t),
			 needle);
	}
	assert_null(a);
}

static void test_identity_every_form_resolves(void **state)
{
	struct ops_ctx *t = *state;

	assert_resolves(t, "svc-a", NULL, DN("svc-a"));
	assert_resolves(t, "SVC-A", NULL, DN("svc-a"));
	assert_resolves(t, "EXAMPLE\\svc-a", NULL, DN("svc-a"));
	assert_resolves(t, "example.test\\svc-a", NULL, DN("svc-a"));
	assert_resolves(t, "svc-a@example.test", NULL, DN("svc-a"));
	assert_resolves(t, "svc-a@EXAMPLE.TEST", NULL, DN("svc-a"));
	assert_resolves(t, DN("svc-a"), NULL, DN("svc-a"));
	assert_resolves(t, "WEB01$", NULL, DN("WEB01"));
	assert_resolves(t, "gmsa-web$", NULL, DN("gmsa-web"));
	/* the gMSA has no UPN: name@realm falls back to sAMAccountName */
	assert_resolves(t, "gmsa-web$@example.test", NULL, DN("gmsa-web"));
}

static void test_identity_builtin_means_the_servers_computer(void **state)
{
	struct ops_ctx *t = *state;
	struct spnpool_account *a = NULL;
	static const char *const builtins[] = {
		"NetworkService", "LocalSystem", "ApplicationPoolIdentity",
		"IIS APPPOOL\\DefaultAppPool", "NT AUTHORITY\\NETWORK SERVICE",
	};
	size_t i;

	for (i = 0; i < sizeof(builtins) / sizeof(builtins[0]); i++) {
		assert_resolves(t, builtins[i], "web01.example.test",
				DN("WEB01"));
	}
	assert_int_equal(spnpool_dir_find_account(t->mem, t->f->sdir,
						  "NetworkService", "WEB01",
						  &a),
			 LDB_SUCCESS);
	assert_true(a->builtin);
	assert_true(a->is_computer);
}

static void test_identity_refusals_are_precise(void **state)
{
	struct ops_ctx *t = *state;

	assert_refused(t, "nobody", NULL, LDB_ERR_NO_SUCH_OBJECT,
		       "identity 'nobody' not found");
	assert_refused(t, "web01", NULL, LDB_ERR_NO_SUCH_OBJECT,
		       "a computer account WEB01$ exists");
	assert_refused(t, "OTHER\\svc-a", NULL, LDB_ERR_NO_SUCH_OBJECT,
		       "names domain 'OTHER'");
	assert_refused(t, "webadmins", NULL, LDB_ERR_OBJECT_CLASS_VIOLATION,
		       "is a group");
	assert_refused(t, "NetworkService", NULL,
		       LDB_ERR_INVALID_ATTRIBUTE_SYNTAX, "--server");
	assert_refused(t, "NetworkService", "web02", LDB_ERR_NO_SUCH_OBJECT,
		       "no account WEB02$");
	assert_refused(t, "LocalService", "web01",
		       LDB_ERR_INVALID_ATTRIBUTE_SYNTAX, "anonymously");
	assert_refused(t, "", NULL, LDB_ERR_INVALID_ATTRIBUTE_SYNTAX,
		       "empty");
	assert_refused(t, " svc-a", NULL, LDB_ERR_INVALID_ATTRIBUTE_SYNTAX,
		       "space");
	assert_refused(t, "svc*", NULL, LDB_ERR_INVALID_ATTRIBUTE_SYNTAX,
		       "may not contain");
	assert_refused(t, "svc\\a\\b", NULL, LDB_ERR_INVALID_ATTRIBUTE_SYNTAX,
		       "may not contain");
	assert_refused(t, "CN=no-such,CN=Users,DC=example,DC=test", NULL,
		       LDB_ERR_NO_SUCH_OBJECT, "not found");
	assert_refused(t, "CN=a,,DC=x", NULL,
		       LDB_ERR_INVALID_ATTRIBUTE_SYNTAX, "not a valid DN");
	assert_refused(t, "@example.test", NULL,
		       LDB_ERR_INVALID_ATTRIBUTE_SYNTAX, "name@realm");
}

static void test_identity_matching_two_objects_is_ambiguous(void **state)
{
	struct ops_ctx *t = *state;

	/* AD forbids this; a damaged or foreign directory may not */
	ad_fixture_add(t->f, "svc-a-copy", "svc-a", "user", NULL);
	assert_refused(t, "svc-a", NULL, LDB_ERR_NO_SUCH_OBJECT,
		       "is ambiguous");
	assert_resolves(t, DN("svc-a-copy"), NULL, DN("svc-a-copy"));
}

static void test_identity_filter_metacharacters_are_escaped(void **state)
{
	struct ops_ctx *t = *state;

	/* '(' and ')' are legal in account names: they must be escaped,
	 * not interpreted, so "svc-a)(x" matches nothing */
	assert_refused(t, "svc-a)(!(objectClass", NULL,
		       LDB_ERR_NO_SUCH_OBJECT, "not found");
	assert_refused(t, "svc-a)(!(x", NULL, LDB_ERR_NO_SUCH_OBJECT,
		       "not found");
	/* a UPN goes into the filter whole: '*' must not be a wildcard */
	assert_refused(t, "svc-*@example.test", NULL, LDB_ERR_NO_SUCH_OBJECT,
		       "not found");
	assert_refused(t, "svc-a)(x@example.test", NULL,
		       LDB_ERR_NO_SUCH_OBJECT, "not found");
}

static void test_holders_found_case_insensitively_with_aliases(void **state)
{
	struct ops_ctx *t = *state;
	const char *spns[] = {"http/WEB01", "HTTP/farm"};
	struct spnpool_holder *h = NULL;
	size_t n = 0;

	assert_int_equal(spnpool_dir_find_holders(t->mem, t->f->sdir, spns, 2,
						  true, &h, &n),
			 LDB_SUCCESS);
	/* HOST/web01 (alias of http/WEB01) and HTTP/FARM */
	assert_int_equal(n, 2);
	assert_int_equal(spnpool_dir_find_holders(t->mem, t->f->sdir, spns, 2,
						  false, &h, &n),
			 LDB_SUCCESS);
	assert_int_equal(n, 1);
	assert_string_equal(h[0].value, "HTTP/FARM");
	assert_string_equal(h[0].dn, DN("svc-b"));
}

/* ---- add ---- */

static void test_add_registers_both_forms(void **state)
{
	struct ops_ctx *t = *state;
	const char *hosts[] = {"intranet"};
	struct spnpool_request req = request("EXAMPLE\\svc-a", hosts, 1);
	struct spnpool_op_result *r = NULL;

	assert_int_equal(spnpool_op_add(t->mem, t->f->sdir, &req, &r),
			 LDB_SUCCESS);
	assert_true(r->changed);
	assert_int_equal(r->num_spns, 2);
	assert_string_equal(r->spns[0].spn, "http/INTRANET");
	assert_string_equal(r->spns[1].spn, "http/intranet.example.test");
	assert_int_equal(r->spns[0].state, SPNPOOL_STATE_ADDED);
	assert_string_equal(ad_fixture_spns(t->mem, t->f, DN("svc-a")),
			    "http/INTRANET|http/intranet.example.test");
}

static void test_add_derives_netbios_from_fqdn_and_adds_ports(void **state)
{
	struct ops_ctx *t = *state;
	const char *hosts[] = {"Intranet.Example.Test."};
	struct spnpool_request req = request("svc-a", hosts, 1);
	struct spnpool_op_result *r = NULL;

	req.port = "8080";
	assert_int_equal(spnpool_op_add(t->mem, t->f->sdir, &req, &r),
			 LDB_SUCCESS);
	assert_string_equal(ad_fixture_spns(t->mem, t->f, DN("svc-a")),
			    "http/INTRANET|http/INTRANET:8080|"
			    "http/intranet.example.test|"
			    "http/intranet.example.test:8080");
}

static void test_add_long_first_label_registers_the_fqdn_only(void **state)
{
	struct ops_ctx *t = *state;
	const char *hosts[] = {"intranet-portal-prod.example.test"};
	struct spnpool_request req = request("svc-a", hosts, 1);
	struct spnpool_op_result *r = NULL;

	assert_int_equal(spnpool_op_add(t->mem, t->f->sdir, &req, &r),
			 LDB_SUCCESS);
	assert_int_equal(r->num_spns, 1);
	assert_string_equal(ad_fixture_spns(t->mem, t->f, DN("svc-a")),
			    "http/intranet-portal-prod.example.test");
}

static void test_add_twice_is_a_no_op(void **state)
{
	struct ops_ctx *t = *state;
	const char *hosts[] = {"intranet", "INTRANET.example.test"};
	struct spnpool_request req = request("svc-a", hosts, 2);
	struct spnpool_op_result *r = NULL;
	size_t i;

	assert_int_equal(spnpool_op_add(t->mem, t->f->sdir, &req, &r),
			 LDB_SUCCESS);
	assert_int_equal(r->num_spns, 2);
	assert_int_equal(spnpool_op_add(t->mem, t->f->sdir, &req, &r),
			 LDB_SUCCESS);
	assert_false(r->changed);
	for (i = 0; i < r->num_spns; i++) {
		assert_int_equal(r->spns[i].state, SPNPOOL_STATE_PRESENT);
		assert_int_equal(r->spns[i].conflict, SPNPOOL_CONFLICT_OURS);
	}
	assert_string_equal(ad_fixture_spns(t->mem, t->f, DN("svc-a")),
			    "http/INTRANET|http/intranet.example.test");
}

static void test_add_adds_only_the_missing_form(void **state)
{
	struct ops_ctx *t = *state;
	static const char *const spns[] = {"HTTP/Portal", NULL};
	const char *hosts[] = {"portal"};
	struct spnpool_request req = request("svc-c", hosts, 1);
	struct spnpool_op_result *r = NULL;

	ad_fixture_add(t->f, "svc-c", "svc-c", "user", spns);
	assert_int_equal(spnpool_op_add(t->mem, t->f->sdir, &req, &r),
			 LDB_SUCCESS);
	assert_int_equal(r->spns[0].state, SPNPOOL_STATE_PRESENT);
	assert_string_equal(r->spns[0].stored, "HTTP/Portal");
	assert_int_equal(r->spns[1].state, SPNPOOL_STATE_ADDED);
	/* the case variant was not added next to the stored spelling */
	assert_string_equal(ad_fixture_spns(t->mem, t->f, DN("svc-c")),
			    "HTTP/Portal|http/portal.example.test");
}

static void test_add_refuses_spn_held_elsewhere(void **state)
{
	struct ops_ctx *t = *state;
	const char *hosts[] = {"farm", "other"};
	struct spnpool_request req = request("svc-a", hosts, 2);
	struct spnpool_op_result *r = NULL;

	assert_int_equal(spnpool_op_add(t->mem, t->f->sdir, &req, &r),
			 LDB_ERR_CONSTRAINT_VIOLATION);
	assert_non_null(strstr(errstr(t), "http/FARM is already held by "
					  DN("svc-b") " (as HTTP/FARM)"));
	assert_non_null(strstr(errstr(t), "nothing was written"));
	assert_non_null(r);
	assert_int_equal(r->spns[0].state, SPNPOOL_STATE_CONFLICT);
	assert_string_equal(r->spns[0].holder_dn, DN("svc-b"));
	assert_int_equal(r->spns[2].state, SPNPOOL_STATE_NOT_WRITTEN);
	assert_false(r->changed);
	assert_string_equal(ad_fixture_spns(t->mem, t->f, DN("svc-a")), "");
	assert_string_equal(ad_fixture_spns(t->mem, t->f, DN("svc-b")),
			    "http/farm.example.test|HTTP/FARM");
}

static void test_add_move_takes_spns_from_their_holder(void **state)
{
	struct ops_ctx *t = *state;
	const char *hosts[] = {"FARM"};
	struct spnpool_request req = request("svc-a", hosts, 1);
	struct spnpool_op_result *r = NULL;

	req.move = true;
	assert_int_equal(spnpool_op_add(t->mem, t->f->sdir, &req, &r),
			 LDB_SUCCESS);
	assert_int_equal(r->spns[0].state, SPNPOOL_STATE_MOVED);
	assert_string_equal(r->spns[0].holder_dn, DN("svc-b"));
	assert_string_equal(ad_fixture_spns(t->mem, t->f, DN("svc-a")),
			    "http/FARM|http/farm.example.test");
	assert_string_equal(ad_fixture_spns(t->mem, t->f, DN("svc-b")), "");
}

static void test_add_dry_run_writes_nothing(void **state)
{
	struct ops_ctx *t = *state;
	const char *hosts[] = {"farm", "intranet"};
	struct spnpool_request req = request("svc-a", hosts, 2);
	struct spnpool_op_result *r = NULL;

	req.move = true;
	req.dry_run = true;
	assert_int_equal(spnpool_op_add(t->mem, t->f->sdir, &req, &r),
			 LDB_SUCCESS);
	assert_true(r->dry_run);
	assert_false(r->changed);
	assert_int_equal(r->spns[0].state, SPNPOOL_STATE_WOULD_MOVE);
	assert_int_equal(r->spns[2].state, SPNPOOL_STATE_WOULD_ADD);
	assert_string_equal(ad_fixture_spns(t->mem, t->f, DN("svc-a")), "");
	assert_string_equal(ad_fixture_spns(t->mem, t->f, DN("svc-b")),
			    "http/farm.example.test|HTTP/FARM");
}

static void test_add_over_computer_host_reports_shadowing(void **state)
{
	struct ops_ctx *t = *state;
	const char *hosts[] = {"web01"};
	struct spnpool_request req = request("svc-a", hosts, 1);
	struct spnpool_op_result *r = NULL;

	assert_int_equal(spnpool_op_add(t->mem, t->f->sdir, &req, &r),
			 LDB_SUCCESS);
	assert_int_equal(r->spns[0].state, SPNPOOL_STATE_ADDED);
	assert_int_equal(r->spns[0].conflict, SPNPOOL_CONFLICT_ALIAS_SHADOWS);
	assert_string_equal(r->spns[0].holder_dn, DN("WEB01"));
	assert_string_equal(r->spns[0].holder_value, "HOST/web01");
	assert_string_equal(ad_fixture_spns(t->mem, t->f, DN("svc-a")),
			    "http/WEB01|http/web01.example.test");
}

/* Store attr: value on dn, as a DC computes it (plain ldb returns what is
 * stored, so the constructed attributes can be planted). */
static void plant(struct ops_ctx *t, const char *dn, const char *attr,
		  const char *value)
{
	struct ldb_message *msg = ldb_msg_new(t->mem);

	assert_non_null(msg);
	msg->dn = ldb_dn_new(msg, t->f->ldb, dn);
	assert_int_equal(ldb_msg_add_empty(msg, attr, LDB_FLAG_MOD_ADD, NULL),
			 LDB_SUCCESS);
	assert_int_equal(ldb_msg_add_string(msg, attr, value), LDB_SUCCESS);
	assert_int_equal(ldb_modify(t->f->ldb, msg), LDB_SUCCESS);
	talloc_free(msg);
}

static void test_add_dry_run_foresees_access_from_the_dc(void **state)
{
	struct ops_ctx *t = *state;
	const char *hosts[] = {"intranet"};
	struct spnpool_request req = request("svc-a", hosts, 1);
	struct spnpool_op_result *r = NULL;

	req.dry_run = true;
	/* neither attribute: the DC does not say */
	assert_int_equal(spnpool_op_add(t->mem, t->f->sdir, &req, &r),
			 LDB_SUCCESS);
	assert_int_equal(r->access, SPNPOOL_ACCESS_UNKNOWN);
	assert_string_equal(r->access_dn, DN("svc-a"));
	assert_false(r->access_holder);
	/* allowedAttributes without the effective list: nothing writable */
	plant(t, DN("svc-a"), "allowedAttributes", "servicePrincipalName");
	r = NULL;
	assert_int_equal(spnpool_op_add(t->mem, t->f->sdir, &req, &r),
			 LDB_ERR_INSUFFICIENT_ACCESS_RIGHTS);
	assert_non_null(strstr(errstr(t), DN("svc-a")));
	assert_non_null(r);
	assert_int_equal(r->access, SPNPOOL_ACCESS_DENIED);
	plant(t, DN("svc-a"), "allowedAttributesEffective", "description");
	assert_int_equal(spnpool_op_add(t->mem, t->f->sdir, &req, &r),
			 LDB_ERR_INSUFFICIENT_ACCESS_RIGHTS);
	plant(t, DN("svc-a"), "allowedAttributesEffective",
	      "SERVICEPRINCIPALNAME");
	assert_int_equal(spnpool_op_add(t->mem, t->f->sdir, &req, &r),
			 LDB_SUCCESS);
	assert_int_equal(r->access, SPNPOOL_ACCESS_ALLOWED);
	assert_null(r->access_dn);
	/* the real run never asks */
	req.dry_run = false;
	assert_int_equal(spnpool_op_add(t->mem, t->f->sdir, &req, &r),
			 LDB_SUCCESS);
	assert_int_equal(r->access, SPNPOOL_ACCESS_NOT_CHECKED);
}

static void test_add_dry_run_foresees_the_host_holder_rule(void **state)
{
	struct ops_ctx *t = *state;
	const char *hosts[] = {"web01"};
	struct spnpool_request req = request("svc-a", hosts, 1);
	struct spnpool_op_result *r = NULL;

	req.dry_run = true;
	plant(t, DN("svc-a"), "allowedAttributesEffective",
	      "servicePrincipalName");
	/* the computer does not say: could not tell, about the computer */
	assert_int_equal(spnpool_op_add(t->mem, t->f->sdir, &req, &r),
			 LDB_SUCCESS);
	assert_int_equal(r->access, SPNPOOL_ACCESS_UNKNOWN);
	assert_string_equal(r->access_dn, DN("WEB01"));
	assert_true(r->access_holder);
	/* not listed on the computer: the validated write does not count
	 * for the HOST/ holder, so the real run would be refused */
	plant(t, DN("WEB01"), "allowedAttributesEffective", "description");
	assert_int_equal(spnpool_op_add(t->mem, t->f->sdir, &req, &r),
			 LDB_ERR_INSUFFICIENT_ACCESS_RIGHTS);
	assert_non_null(strstr(errstr(t), DN("WEB01")));
	assert_non_null(strstr(errstr(t), "HOST/web01"));
	assert_int_equal(r->access, SPNPOOL_ACCESS_DENIED);
	assert_true(r->access_holder);
	assert_string_equal(ad_fixture_spns(t->mem, t->f, DN("svc-a")), "");
}

static void test_add_dry_run_on_a_computer_cannot_tell(void **state)
{
	struct ops_ctx *t = *state;
	const char *hosts[] = {"web01"};
	struct spnpool_request req = request("WEB01$", hosts, 1);
	struct spnpool_op_result *r = NULL;

	req.dry_run = true;
	plant(t, DN("WEB01"), "allowedAttributesEffective", "description");
	assert_int_equal(spnpool_op_add(t->mem, t->f->sdir, &req, &r),
			 LDB_SUCCESS);
	assert_int_equal(r->access, SPNPOOL_ACCESS_VALIDATED_WRITE);
	assert_string_equal(r->access_dn, DN("WEB01"));
	assert_false(r->access_holder);
}

static void test_add_port_only_registers_only_port_forms(void **state)
{
	struct ops_ctx *t = *state;
	const char *hosts[] = {"farm"};
	struct spnpool_request req = request("svc-a", hosts, 1);
	struct spnpool_op_result *r = NULL;

	/* svc-b holds http/FARM: the plain forms conflict ... */
	req.port = "8443";
	assert_int_equal(spnpool_op_add(t->mem, t->f->sdir, &req, &r),
			 LDB_ERR_CONSTRAINT_VIOLATION);
	/* ... the :port forms alone do not */
	req.port_only = true;
	assert_int_equal(spnpool_op_add(t->mem, t->f->sdir, &req, &r),
			 LDB_SUCCESS);
	assert_int_equal(r->num_spns, 2);
	assert_string_equal(ad_fixture_spns(t->mem, t->f, DN("svc-a")),
			    "http/FARM:8443|http/farm.example.test:8443");
	assert_string_equal(ad_fixture_spns(t->mem, t->f, DN("svc-b")),
			    "http/farm.example.test|HTTP/FARM");
}

static void test_add_port_only_refuses_default_or_no_port(void **state)
{
	struct ops_ctx *t = *state;
	const char *hosts[] = {"intranet"};
	struct spnpool_request req = request("svc-a", hosts, 1);
	struct spnpool_op_result *r = NULL;
	const char *ports[] = {"80", "443", NULL};
	size_t i;

	req.port_only = true;
	for (i = 0; i < 3; i++) {
		req.port = ports[i];
		assert_int_equal(
			spnpool_op_add(t->mem, t->f->sdir, &req, &r),
			LDB_ERR_INVALID_ATTRIBUTE_SYNTAX);
		assert_non_null(strstr(errstr(t), ports[i] != NULL
							  ? "default port"
							  : "no port"));
	}
	assert_string_equal(ad_fixture_spns(t->mem, t->f, DN("svc-a")), "");
}

static void test_add_bad_input_writes_nothing(void **state)
{
	struct ops_ctx *t = *state;
	static const struct {
		const char *host;
		const char *port;
		const char *needle;
	} cases[] = {
		{"web 01", NULL, "invalid host 'web 01': whitespace"},
		{"web*", NULL, "invalid host 'web*'"},
		{"web01)(x", NULL, "invalid host"},
		{"a..b", NULL, "empty label"},
		{"verylongnetbiosname", NULL, "15 characters"},
		{"web01", "08", "invalid port '08'"},
		{"web01", "0", "invalid port '0'"},
		{"web01", "65536", "invalid port '65536'"},
		{"web01", "http", "invalid port 'http'"},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *hosts[] = {"intranet", cases[i].host};
		struct spnpool_request req = request("svc-a", hosts, 2);
		struct spnpool_op_result *r = NULL;
		int ret;

		req.port = cases[i].port;
		ret = spnpool_op_add(t->mem, t->f->sdir, &req, &r);
		assert_int_equal(ret, LDB_ERR_INVALID_ATTRIBUTE_SYNTAX);
		if (strstr(errstr(t), cases[i].needle) == NULL) {
			fail_msg("'%s': '%s' lacks '%s'", cases[i].host,
				 errstr(t), cases[i].needle);
		}
	}
	assert_string_equal(ad_fixture_spns(t->mem, t->f, DN("svc-a")), "");
}

static void test_add_race_between_check_and_write_is_undone(void **state)
{
	struct ops_ctx *t = *state;
	const char *hosts[] = {"intranet"};
	struct spnpool_request req = request("svc-a", hosts, 1);
	struct spnpool_op_result *r = NULL;

	ad_fixture_arm_race(t->f, DN("svc-a"), DN("svc-b"),
			    "HTTP/intranet.example.test");
	assert_int_equal(spnpool_op_add(t->mem, t->f->sdir, &req, &r),
			 LDB_ERR_CONSTRAINT_VIOLATION);
	assert_non_null(strstr(errstr(t), "another writer"));
	assert_non_null(strstr(errstr(t), DN("svc-b")));
	assert_int_equal(r->spns[1].state, SPNPOOL_STATE_CONFLICT);
	assert_false(r->changed);
	/* ours are gone; over LDAP the other writer's value stays, on a
	 * local sam.ldb the injected write was inside our transaction and
	 * was cancelled with it */
	assert_string_equal(ad_fixture_spns(t->mem, t->f, DN("svc-a")), "");
	assert_string_equal(ad_fixture_spns(t->mem, t->f, DN("svc-b")),
			    t->local ? "http/farm.example.test|HTTP/FARM"
				     : "http/farm.example.test|HTTP/FARM|"
				       "HTTP/intranet.example.test");
}

static void test_add_racing_an_identical_add_still_succeeds(void **state)
{
	struct ops_ctx *t = *state;
	const char *hosts[] = {"intranet"};
	struct spnpool_request req = request("svc-a", hosts, 1);
	struct spnpool_op_result *r = NULL;

	/* the same admin's other window adds one of our values first: our
	 * exact ADD fails whole (20) and a fresh decision completes it */
	ad_fixture_arm_race(t->f, DN("svc-a"), DN("svc-a"), "http/INTRANET");
	assert_int_equal(spnpool_op_add(t->mem, t->f->sdir, &req, &r),
			 LDB_SUCCESS);
	assert_string_equal(ad_fixture_spns(t->mem, t->f, DN("svc-a")),
			    "http/INTRANET|http/intranet.example.test");
}

/* ---- remove ---- */

static void test_remove_deletes_stored_spelling_only(void **state)
{
	struct ops_ctx *t = *state;
	static const char *const spns[] = {"HTTP/Web02", "http/web02:8080",
					   "http/WEB02.example.test",
					   "HOST/web02", NULL};
	const char *hosts[] = {"web02"};
	struct spnpool_request req = request("svc-c", hosts, 1);
	struct spnpool_op_result *r = NULL;

	ad_fixture_add(t->f, "svc-c", "svc-c", "user", spns);
	assert_int_equal(spnpool_op_remove(t->mem, t->f->sdir, &req, &r),
			 LDB_SUCCESS);
	assert_true(r->changed);
	assert_int_equal(r->spns[0].state, SPNPOOL_STATE_REMOVED);
	assert_string_equal(r->spns[0].stored, "HTTP/Web02");
	assert_string_equal(ad_fixture_spns(t->mem, t->f, DN("svc-c")),
			    "http/web02:8080|HOST/web02");

	/* again: nothing left to remove is a no-op */
	assert_int_equal(spnpool_op_remove(t->mem, t->f->sdir, &req, &r),
			 LDB_SUCCESS);
	assert_false(r->changed);
	assert_int_equal(r->spns[0].state, SPNPOOL_STATE_ABSENT);
	assert_int_equal(r->spns[1].state, SPNPOOL_STATE_ABSENT);
}

static void test_remove_with_port_takes_only_port_forms(void **state)
{
	struct ops_ctx *t = *state;
	static const char *const spns[] = {"http/WEB02", "http/WEB02:8080",
					   NULL};
	const char *hosts[] = {"web02"};
	struct spnpool_request req = request("svc-c", hosts, 1);
	struct spnpool_op_result *r = NULL;

	ad_fixture_add(t->f, "svc-c", "svc-c", "user", spns);
	req.port = "8080";
	req.dry_run = true;
	assert_int_equal(spnpool_op_remove(t->mem, t->f->sdir, &req, &r),
			 LDB_SUCCESS);
	assert_int_equal(r->spns[0].state, SPNPOOL_STATE_WOULD_REMOVE);
	assert_string_equal(ad_fixture_spns(t->mem, t->f, DN("svc-c")),
			    "http/WEB02|http/WEB02:8080");
	req.dry_run = false;
	assert_int_equal(spnpool_op_remove(t->mem, t->f->sdir, &req, &r),
			 LDB_SUCCESS);
	assert_string_equal(ad_fixture_spns(t->mem, t->f, DN("svc-c")),
			    "http/WEB02");
}

/* ---- list ---- */

static void test_list_by_account_shows_http_spns(void **state)
{
	struct ops_ctx *t = *state;
	struct spnpool_list_result *r = NULL;

	assert_int_equal(spnpool_op_list(t->mem, t->f->sdir, "svc-b", NULL,
					 NULL, &r),
			 LDB_SUCCESS);
	assert_string_equal(r->account->dn, DN("svc-b"));
	assert_int_equal(r->num_entries, 2);
	assert_int_equal(spnpool_op_list(t->mem, t->f->sdir, "WEB01$", NULL,
					 NULL, &r),
			 LDB_SUCCESS);
	assert_int_equal(r->num_entries, 0);
}

static void test_list_by_host_shows_every_answerer(void **state)
{
	struct ops_ctx *t = *state;
	static const char *const spns[] = {"http/web01.example.test:8443",
					   NULL};
	struct spnpool_list_result *r = NULL;
	size_t explicit = 0;
	size_t alias = 0;
	size_t computer = 0;
	size_t i;

	ad_fixture_add(t->f, "svc-c", "svc-c", "user", spns);
	assert_int_equal(spnpool_op_list(t->mem, t->f->sdir, NULL, NULL,
					 "WEB01", &r),
			 LDB_SUCCESS);
	for (i = 0; i < r->num_entries; i++) {
		switch (r->entries[i].via) {
		case SPNPOOL_VIA_EXPLICIT:
			explicit++;
			assert_string_equal(r->entries[i].dn, DN("svc-c"));
			break;
		case SPNPOOL_VIA_HOST_ALIAS:
			alias++;
			break;
		case SPNPOOL_VIA_COMPUTER_NAME:
			computer++;
			assert_string_equal(r->entries[i].sam_account_name,
					    "WEB01$");
			break;
		}
	}
	assert_int_equal(explicit, 1);
	assert_int_equal(alias, 2);
	assert_int_equal(computer, 1);
	/* the KDC's computer is the one with the cn, not the NAME$ */
	ad_fixture_add(t->f, "web77", "WEB77X$", "computer", NULL);
	ad_fixture_add(t->f, "web78-old", "WEB78$", "computer", NULL);
	assert_int_equal(spnpool_op_list(t->mem, t->f->sdir, NULL, NULL,
					 "web77.example.test", &r),
			 LDB_SUCCESS);
	assert_int_equal(r->num_entries, 1);
	assert_string_equal(r->entries[0].sam_account_name, "WEB77X$");
	assert_int_equal(spnpool_op_list(t->mem, t->f->sdir, NULL, NULL,
					 "web78", &r),
			 LDB_SUCCESS);
	assert_int_equal(r->num_entries, 0);
	assert_int_equal(spnpool_op_list(t->mem, t->f->sdir, NULL, NULL,
					 "we*b", &r),
			 LDB_ERR_INVALID_ATTRIBUTE_SYNTAX);
	assert_int_equal(spnpool_op_list(t->mem, t->f->sdir, "svc-a", NULL,
					 "web01", &r),
			 LDB_ERR_INVALID_ATTRIBUTE_SYNTAX);
}

static void test_state_and_via_names(void **state)
{
	(void)state;
	assert_string_equal(spnpool_state_name(SPNPOOL_STATE_NOT_WRITTEN),
			    "not-written");
	assert_string_equal(spnpool_via_name(SPNPOOL_VIA_HOST_ALIAS),
			    "host-alias");
}

#define BOTH(fn)                                                         \
	cmocka_unit_test_setup_teardown(fn, setup_ldap_like, teardown),  \
		cmocka_unit_test_setup_teardown(fn, setup_local, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		BOTH(test_dir_reads_domain_names_and_mappings),
		BOTH(test_dir_compares_dns_as_dns),
		cmocka_unit_test_setup_teardown(
			test_dir_decides_local_from_the_backend,
			setup_local, teardown),
		BOTH(test_identity_every_form_resolves),
		BOTH(test_identity_builtin_means_the_servers_computer),
		BOTH(test_identity_refusals_are_precise),
		BOTH(test_identity_matching_two_objects_is_ambiguous),
		BOTH(test_identity_filter_metacharacters_are_escaped),
		BOTH(test_holders_found_case_insensitively_with_aliases),
		BOTH(test_add_registers_both_forms),
		BOTH(test_add_derives_netbios_from_fqdn_and_adds_ports),
		BOTH(test_add_long_first_label_registers_the_fqdn_only),
		BOTH(test_add_twice_is_a_no_op),
		BOTH(test_add_adds_only_the_missing_form),
		BOTH(test_add_refuses_spn_held_elsewhere),
		BOTH(test_add_move_takes_spns_from_their_holder),
		BOTH(test_add_dry_run_writes_nothing),
		BOTH(test_add_over_computer_host_reports_shadowing),
		BOTH(test_add_dry_run_foresees_access_from_the_dc),
		BOTH(test_add_dry_run_foresees_the_host_holder_rule),
		BOTH(test_add_dry_run_on_a_computer_cannot_tell),
		BOTH(test_add_port_only_registers_only_port_forms),
		BOTH(test_add_port_only_refuses_default_or_no_port),
		BOTH(test_add_bad_input_writes_nothing),
		BOTH(test_add_race_between_check_and_write_is_undone),
		BOTH(test_add_racing_an_identical_add_still_succeeds),
		BOTH(test_remove_deletes_stored_spelling_only),
		BOTH(test_remove_with_port_takes_only_port_forms),
		BOTH(test_list_by_account_shows_http_spns),
		BOTH(test_list_by_host_shows_every_answerer),
		BOTH(test_state_and_via_names),
	};

	return cmocka_run_group_tests_name("ops", tests, NULL, NULL);
}
