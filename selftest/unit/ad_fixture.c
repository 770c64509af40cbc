/*
 * The AD-shaped tdb:// fixture (see ad_fixture.h).
 */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <unistd.h>

#include <cmocka.h>
#include <ldb_module.h>

#include "ad_fixture.h"
#include "spnpool_private.h"

#define RACE_OPAQUE "spnpool_test_race"

static const char *const spn_mappings =
	"host=alerter,appmgmt,cisvc,clipsrv,browser,dhcp,dnscache,replicator,"
	"eventlog,eventsystem,policyagent,oakley,dmserver,dns,mcsvc,fax,"
	"msiserver,ias,messenger,netlogon,netman,netdde,netddedsm,nmagent,"
	"plugplay,protectedstorage,rasman,rpclocator,rpc,rpcss,remoteaccess,"
	"rsvp,samss,scardsvr,scesrv,seclogon,scm,dcom,cifs,spooler,snmp,"
	"schedule,tapisrv,trksvr,trkwks,ups,time,wins,www,http,w3svc,"
	"iisadmin,msdtc";

/* A concurrent writer that strikes between our check and our write. */
static int race_modify(struct ldb_module *module, struct ldb_request *req)
{
	struct ldb_context *ldb = ldb_module_get_ctx(module);
	struct ad_fixture *f = ldb_get_opaque(ldb, RACE_OPAQUE);
	const struct ldb_message *msg = req->op.mod.message;
	struct ldb_message_element *el = NULL;

	if (f != NULL && f->kill_at_modify > 0 && --f->kill_at_modify == 0) {
		/* a crash in the middle of a transaction */
		kill(getpid(), SIGKILL);
	}
	if (f == NULL || f->race_victim_dn == NULL) {
		return ldb_next_request(module, req);
	}
	el = ldb_msg_find_element(msg, "servicePrincipalName");
	if (el != NULL && LDB_FLAG_MOD_TYPE(el->flags) == LDB_FLAG_MOD_ADD &&
	    strcasecmp(ldb_dn_get_linearized(msg->dn), f->race_victim_dn) ==
		    0) {
		struct ldb_message *steal = ldb_msg_new(req);
		int ret;

		TALLOC_FREE(f->race_victim_dn); /* strike once */
		assert_non_null(steal);
		steal->dn = ldb_dn_new(steal, ldb, f->race_thief_dn);
		assert_int_equal(ldb_msg_add_empty(steal,
						   "servicePrincipalName",
						   LDB_FLAG_MOD_ADD, NULL),
				 LDB_SUCCESS);
		assert_int_equal(ldb_msg_add_string(steal,
						    "servicePrincipalName",
						    f->race_value),
				 LDB_SUCCESS);
		ret = ldb_modify(ldb, steal);
		assert_int_equal(ret, LDB_SUCCESS);
	}
	return ldb_next_request(module, req);
}

static const struct ldb_module_ops race_ops = {
	.name = "spnpool_race",
	.modify = race_modify,
};

static void add_ldif(struct ldb_context *ldb, const char *text)
{
	struct ldb_ldif *ldif = NULL;
	const char *p = text;

	while ((ldif = ldb_ldif_read_string(ldb, &p)) != NULL) {
		int ret = ldb_add(ldb, ldif->msg);

		if (ret != LDB_SUCCESS) {
			fail_msg("fixture add %s: %s",
				 ldb_dn_get_linearized(ldif->msg->dn),
				 ldb_errstring(ldb));
		}
		ldb_ldif_read_free(ldb, ldif);
	}
}

static int fixture_destructor(struct ad_fixture *f)
{
	TALLOC_FREE(f->ldb);
	if (f->path != NULL) {
		unlink(f->path);
	}
	if (f->dir != NULL) {
		rmdir(f->dir);
	}
	return 0;
}

static const char *const fixture_ncs[] = {FIX_DOMAIN_NC, FIX_CONFIG_NC,
					  FIX_DNS_NC};

void ad_fixture_reopen(struct ad_fixture *f, bool local)
{
	static const char *const options[] = {"modules:spnpool_race", NULL};
	char *url = talloc_asprintf(f, "tdb://%s", f->path);

	TALLOC_FREE(f->sdir);
	TALLOC_FREE(f->ldb);
	f->ldb = ldb_init(f, NULL);
	assert_non_null(f->ldb);
	assert_int_equal(ldb_set_opaque(f->ldb, RACE_OPAQUE, f), LDB_SUCCESS);
	assert_int_equal(ldb_connect(f->ldb, url, LDB_FLG_NOSYNC,
				     (const char **)options),
			 LDB_SUCCESS);
	assert_int_equal(spnpool_dir_init(f, f->ldb, local, FIX_DOMAIN_NC,
					  FIX_CONFIG_NC, fixture_ncs, 3,
					  &f->sdir),
			 LDB_SUCCESS);
	f->sdir->page_size = 2;
}

struct ad_fixture *ad_fixture_new(TALLOC_CTX *mem_ctx, bool local)
{
	static const char *const options[] = {"modules:spnpool_race", NULL};
	struct ad_fixture *f = talloc_zero(mem_ctx, struct ad_fixture);
	char tmpl[] = "/tmp/spnpool-fixture-XXXXXX";
	char *url = NULL;
	char *ldif = NULL;
	int ret;

	assert_non_null(f);
	assert_non_null(mkdtemp(tmpl));
	f->dir = talloc_strdup(f, tmpl);
	f->path = talloc_asprintf(f, "%s/sam.ldb", tmpl);
	talloc_set_destructor(f, fixture_destructor);

	ret = ldb_register_module(&race_ops);
	assert_true(ret == LDB_SUCCESS || ret == LDB_ERR_ENTRY_ALREADY_EXISTS);
	f->ldb = ldb_init(f, NULL);
	assert_non_null(f->ldb);
	assert_int_equal(ldb_set_opaque(f->ldb, RACE_OPAQUE, f), LDB_SUCCESS);
	url = talloc_asprintf(f, "tdb://%s", f->path);
	/* no fsync: a test fixture needs no durability */
	ret = ldb_connect(f->ldb, url, LDB_FLG_NOSYNC,
			  (const char **)options);
	assert_int_equal(ret, LDB_SUCCESS);

	ldif = talloc_asprintf(
		f,
		"dn: @ATTRIBUTES\n"
		"servicePrincipalName: CASE_INSENSITIVE\n"
		"sAMAccountName: CASE_INSENSITIVE\n"
		"cn: CASE_INSENSITIVE\n"
		"dNSHostName: CASE_INSENSITIVE\n"
		"userPrincipalName: CASE_INSENSITIVE\n"
		"objectClass: CASE_INSENSITIVE\n"
		"nCName: CASE_INSENSITIVE\n"
		"\n"
		"dn: @INDEXLIST\n"
		"@IDXATTR: servicePrincipalName\n"
		"@IDXATTR: sAMAccountName\n"
		"@IDXATTR: objectClass\n"
		"\n"
		"dn: " FIX_DOMAIN_NC "\n"
		"objectClass: domain\n"
		"\n"
		"dn: " FIX_CONFIG_NC "\n"
		"objectClass: configuration\n"
		"\n"
		"dn: " FIX_DNS_NC "\n"
		"objectClass: domainDNS\n"
		"\n"
		"dn: CN=MicrosoftDNS," FIX_DNS_NC "\n"
		"objectClass: container\n"
		"\n"
		"dn: " FIX_ZONE "\n"
		"objectClass: dnsZone\n"
		"name: example.test\n"
		"\n"
		"dn: CN=Partitions," FIX_CONFIG_NC "\n"
		"objectClass: crossRefContainer\n"
		"\n"
		"dn: CN=EXAMPLE,CN=Partitions," FIX_CONFIG_NC "\n"
		"objectClass: crossRef\n"
		"nCName: " FIX_DOMAIN_NC "\n"
		"nETBIOSName: EXAMPLE\n"
		"dnsRoot: example.test\n"
		"\n"
		"dn: CN=Directory Service,CN=Windows NT,CN=Services,"
		FIX_CONFIG_NC "\n"
		"objectClass: nTDSService\n"
		"sPNMappings: %s\n",
		spn_mappings);
	add_ldif(f->ldb, ldif);

	ret = spnpool_dir_init(f, f->ldb, local, FIX_DOMAIN_NC, FIX_CONFIG_NC,
			       fixture_ncs, 3, &f->sdir);
	assert_int_equal(ret, LDB_SUCCESS);
	/* small pages, so that paging is exercised where supported */
	f->sdir->page_size = 2;
	return f;
}

void ad_fixture_add(struct ad_fixture *f,
		    const char *cn,
		    const char *sam,
		    const char *cls,
		    const char *const *spns)
{
	static unsigned serial;
	TALLOC_CTX *tmp = talloc_new(f);
	struct ldb_message *msg = ldb_msg_new(tmp);
	uint8_t guid[16];
	struct ldb_val v = {.data = guid, .length = sizeof(guid)};
	size_t i;

	serial++;
	memset(guid, 0, sizeof(guid));
	guid[0] = (uint8_t)serial;
	guid[1] = (uint8_t)(serial >> 8);
	guid[15] = 0x5a;
	msg->dn = ldb_dn_new_fmt(msg, f->ldb, "CN=%s,%s", cn, FIX_USERS);
	assert_int_equal(ldb_msg_add_string(msg, "objectClass", "top"), 0);
	if (strcmp(cls, "group") == 0) {
		assert_int_equal(ldb_msg_add_string(msg, "objectClass",
						    "group"),
				 0);
	} else {
		assert_int_equal(ldb_msg_add_string(msg, "objectClass",
						    "person"),
				 0);
		assert_int_equal(ldb_msg_add_string(msg, "objectClass",
						    "user"),
				 0);
		assert_int_equal(ldb_msg_add_string(msg, "userAccountControl",
						    "512"),
				 0);
	}
	if (strcmp(cls, "computer") == 0 || strcmp(cls, "gmsa") == 0) {
		assert_int_equal(ldb_msg_add_string(msg, "objectClass",
						    "computer"),
				 0);
	}
	if (strcmp(cls, "gmsa") == 0) {
		assert_int_equal(
			ldb_msg_add_string(msg, "objectClass",
					   "msDS-GroupManagedServiceAccount"),
			0);
	}
	assert_int_equal(ldb_msg_add_value(msg, "objectGUID", &v, NULL), 0);
	assert_int_equal(ldb_msg_add_string(msg, "cn", talloc_strdup(msg, cn)),
			 0);
	assert_int_equal(ldb_msg_add_string(msg, "sAMAccountName",
					    talloc_strdup(msg, sam)),
			 0);
	if (strcmp(cls, "user") == 0) {
		assert_int_equal(
			ldb_msg_add_string(
				msg, "userPrincipalName",
				talloc_asprintf(msg, "%s@example.test", sam)),
			0);
	}
	for (i = 0; spns != NULL && spns[i] != NULL; i++) {
		assert_int_equal(ldb_msg_add_string(msg,
						    "servicePrincipalName",
						    talloc_strdup(msg,
								  spns[i])),
				 0);
	}
	if (ldb_add(f->ldb, msg) != LDB_SUCCESS) {
		fail_msg("add %s: %s", cn, ldb_errstring(f->ldb));
	}
	talloc_free(tmp);
}

char *ad_fixture_spns(TALLOC_CTX *mem_ctx, struct ad_fixture *f,
		      const char *dn)
{
	static const char *const attrs[] = {"servicePrincipalName", NULL};
	struct ldb_result *res = NULL;
	struct ldb_message_element *el = NULL;
	char *out = talloc_strdup(mem_ctx, "");
	unsigned i;
	int ret;

	ret = ldb_search(f->ldb, mem_ctx, &res, ldb_dn_new(mem_ctx, f->ldb, dn),
			 LDB_SCOPE_BASE, (const char **)attrs, NULL);
	assert_int_equal(ret, LDB_SUCCESS);
	assert_int_equal(res->count, 1);
	el = ldb_msg_find_element(res->msgs[0], "servicePrincipalName");
	for (i = 0; el != NULL && i < el->num_values; i++) {
		out = talloc_asprintf_append(out, "%s%.*s", i ? "|" : "",
					     (int)el->values[i].length,
					     (const char *)el->values[i].data);
	}
	return out;
}

void ad_fixture_arm_race(struct ad_fixture *f,
			 const char *victim_dn,
			 const char *thief_dn,
			 const char *value)
{
	f->race_victim_dn = talloc_strdup(f, victim_dn);
	f->race_thief_dn = talloc_strdup(f, thief_dn);
	f->race_value = talloc_strdup(f, value);
}

void ad_fixture_add_dns(struct ad_fixture *f, const char *name,
			const char *target)
{
	TALLOC_CTX *tmp = talloc_new(f);
	struct ldb_message *msg = ldb_msg_new(tmp);
	uint8_t rec[24 + 256];
	size_t data_len = 0;
	struct ldb_val v;

	memset(rec, 0, sizeof(rec));
	if (target == NULL) {
		static const uint8_t a[] = {127, 0, 0, 5};

		memcpy(rec + 24, a, 4);
		data_len = 4;
		rec[2] = 1; /* A */
	} else {
		/* DNS_COUNT_NAME: area length, label count, labels, 0 */
		const char *p = target;
		size_t pos = 26;
		uint8_t labels = 0;

		while (*p != '\0') {
			size_t l = strcspn(p, ".");

			rec[pos++] = (uint8_t)l;
			memcpy(rec + pos, p, l);
			pos += l;
			labels++;
			p += l;
			if (*p == '.') {
				p++;
			}
		}
		rec[pos++] = 0;
		rec[24] = (uint8_t)(pos - 26);
		rec[25] = labels;
		data_len = pos - 24;
		rec[2] = 5; /* CNAME */
	}
	rec[0] = (uint8_t)data_len;
	rec[4] = 5;		/* version */
	rec[5] = 0xf0;		/* rank */
	rec[15] = 0x84;		/* TTL 900, big-endian */
	rec[14] = 0x03;
	v.data = rec;
	v.length = 24 + data_len;
	msg->dn = ldb_dn_new_fmt(msg, f->ldb, "DC=%s," FIX_ZONE, name);
	assert_int_equal(ldb_msg_add_string(msg, "objectClass", "dnsNode"),
			 0);
	assert_int_equal(ldb_msg_add_value(msg, "dnsRecord", &v, NULL), 0);
	if (ldb_add(f->ldb, msg) != LDB_SUCCESS) {
		fail_msg("add dns %s: %s", name, ldb_errstring(f->ldb));
	}
	talloc_free(tmp);
}

void ad_fixture_disable(struct ad_fixture *f, const char *dn)
{
	TALLOC_CTX *tmp = talloc_new(f);
	struct ldb_message *msg = ldb_msg_new(tmp);

	msg->dn = ldb_dn_new(msg, f->ldb, dn);
	assert_int_equal(ldb_msg_add_empty(msg, "userAccountControl",
					   LDB_FLAG_MOD_REPLACE, NULL),
			 0);
	assert_int_equal(ldb_msg_add_string(msg, "userAccountControl", "514"),
			 0);
	assert_int_equal(ldb_modify(f->ldb, msg), LDB_SUCCESS);
	talloc_free(tmp);
}
