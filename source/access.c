/*
 * libspnpool: what the directory says the acting user may write.
 *
 * Part of the directory layer (docs/design.md, "The directory layer"):
 * the only ldb reads here are base searches for the constructed
 * attribute allowedAttributesEffective, which a DC computes for the
 * user bound to it when (and only when) it is asked for by name.  Why a
 * dry run reads it, and what is not seen in it (the validated write to
 * SPNs), is in docs/design.md, "Dry runs foresee access refusals".
 */

#include <string.h>
#include <strings.h>
#include <ldb.h>
#include <ldb_module.h>
#include "spnpool_private.h"

static const char *const access_names[] = {
	SPNPOOL_ACCESS_STATES(SPNPOOL_ENUM_NAME)};

const char *spnpool_access_name(enum spnpool_access a)
{
	return SPNPOOL_NAME_OF(access_names, a);
}

int spnpool_dir_spn_access(TALLOC_CTX *mem_ctx, struct spnpool_dir *dir,
			   const char *dn, enum spnpool_access *_access)
{
	static const char *const attrs[] = {"allowedAttributesEffective",
					    "allowedAttributes", "objectClass",
					    NULL};
	TALLOC_CTX *tmp_ctx = talloc_new(mem_ctx);
	struct ldb_message_element *el = NULL;
	struct ldb_result *res = NULL;
	struct ldb_dn *base = NULL;
	unsigned i;
	int ret;

	if (tmp_ctx == NULL) {
		return ldb_oom(dir->ldb);
	}
	*_access = SPNPOOL_ACCESS_UNKNOWN;
	base = ldb_dn_new(tmp_ctx, dir->ldb, dn);
	if (base == NULL) {
		ret = ldb_oom(dir->ldb);
		goto done;
	}
	ret = ldb_search(dir->ldb, tmp_ctx, &res, base, LDB_SCOPE_BASE, attrs,
			 "(objectClass=*)");
	if (ret != LDB_SUCCESS || res->count != 1) {
		/* Not being able to read the right is "could not tell",
		 * not a failure of the dry run: the real run would try. */
		ldb_debug(dir->ldb, LDB_DEBUG_WARNING,
			  "spnpool: allowedAttributesEffective of %s not read: "
			  "%s",
			  dn, ldb_errstring(dir->ldb));
		ret = LDB_SUCCESS;
		goto done;
	}
	el = ldb_msg_find_element(res->msgs[0], "allowedAttributesEffective");
	if (el == NULL &&
	    ldb_msg_find_element(res->msgs[0], "allowedAttributes") == NULL) {
		goto done; /* the DC computes neither: unknown */
	}
	/* A DC that computes allowedAttributes computes the effective list
	 * too; over LDAP an attribute without values is left out, so its
	 * absence there means that the user may write nothing on dn. */
	for (i = 0; el != NULL && i < el->num_values; i++) {
		const struct ldb_val *v = &el->values[i];

		if (v->length == strlen("servicePrincipalName") &&
		    strncasecmp((const char *)v->data, "servicePrincipalName",
				v->length) == 0) {
			*_access = SPNPOOL_ACCESS_ALLOWED;
			goto done;
		}
	}
	*_access = ldb_msg_check_string_attribute(res->msgs[0], "objectClass",
						  "computer")
			   ? SPNPOOL_ACCESS_VALIDATED_WRITE
			   : SPNPOOL_ACCESS_DENIED;
done:
	talloc_free(tmp_ctx);
	return ret;
}

int spnpool_access_keep_worst(TALLOC_CTX *owner, struct ldb_context *ldb,
			      enum spnpool_access a, const char *dn,
			      bool holder, enum spnpool_access *access,
			      char **access_dn, bool *access_holder)
{
	if (a == SPNPOOL_ACCESS_ALLOWED ||
	    (a != SPNPOOL_ACCESS_DENIED && *access != SPNPOOL_ACCESS_ALLOWED)) {
		return LDB_SUCCESS;
	}
	*access = a;
	*access_holder = holder;
	talloc_free(*access_dn);
	*access_dn = talloc_strdup(owner, dn);
	return (*access_dn == NULL) ? ldb_oom(ldb) : LDB_SUCCESS;
}
