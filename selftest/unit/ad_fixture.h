/*
 * A tdb:// database shaped like a small AD domain for the directory and
 * operation suites: case-insensitive indexed servicePrincipalName, the
 * crossRef and sPNMappings objects of the configuration NC, users, a
 * computer, a group.  Plain libldb: no uniqueness check on the server
 * side, so our own checks are what is tested.
 */

#ifndef SPNPOOL_AD_FIXTURE_H
#define SPNPOOL_AD_FIXTURE_H

#include <stdbool.h>

#include <ldb.h>

#include "spnpool.h"

#define FIX_DOMAIN_NC "DC=example,DC=test"
#define FIX_CONFIG_NC "CN=Configuration,DC=example,DC=test"
#define FIX_USERS "CN=Users,DC=example,DC=test"
#define FIX_DNS_NC "DC=DomainDnsZones,DC=example,DC=test"
#define FIX_ZONE "DC=example.test,CN=MicrosoftDNS," FIX_DNS_NC

struct ad_fixture {
	char *dir;  /* temp folder */
	char *path; /* the .ldb file */
	struct ldb_context *ldb;
	struct spnpool_dir *sdir;
	/* race injection: before the next modify that adds SPNs to
	 * race_victim_dn, add race_value to race_thief_dn */
	char *race_victim_dn;
	char *race_thief_dn;
	char *race_value;
	/* kill -9 this process at the Nth modify from now (0: never) */
	unsigned kill_at_modify;
};

/* A second connection to the same file (f->ldb, f->sdir replaced): what
 * another process sees. */
void ad_fixture_reopen(struct ad_fixture *f, bool local);

/* Build a fresh fixture under mem_ctx (asserts on failure). */
struct ad_fixture *ad_fixture_new(TALLOC_CTX *mem_ctx, bool local);

/* Add an account: cls "user", "computer", "group" or "gmsa". */
void ad_fixture_add(struct ad_fixture *f,
		    const char *cn,
		    const char *sam,
		    const char *cls,
		    const char *const *spns);

/* A dnsNode NAME in the example.test zone with one CNAME to target, or
 * (target NULL) one A record. */
void ad_fixture_add_dns(struct ad_fixture *f, const char *name,
			const char *target);

/* Set userAccountControl to disabled. */
void ad_fixture_disable(struct ad_fixture *f, const char *dn);

/* The SPN values of dn, sorted as stored ("" joined by "|"). */
char *ad_fixture_spns(TALLOC_CTX *mem_ctx, struct ad_fixture *f,
		      const char *dn);

/* Arm the race: the next SPN-adding modify of victim first gives value
 * to thief, as a concurrent writer would. */
void ad_fixture_arm_race(struct ad_fixture *f,
			 const char *victim_dn,
			 const char *thief_dn,
			 const char *value);

#endif
