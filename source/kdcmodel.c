/*
 * Which KDC check predicts.  Samba's KDC, when nobody holds http/NAME
 * (explicitly or through a HOST/ alias of sPNMappings), falls back to the
 * computer whose cn is NAME's first label.  [MS-DRSR] 4.1.4.2.14
 * (LookupSPN), which a Windows KDC follows, has no such step: there the
 * name is unknown.  So check uses that last resort only when the DC says
 * it is Samba.
 *
 * What tells them apart: Samba's rootDSE carries vendorName (RFC 3045),
 * "Samba Team (https://www.samba.org)"; the rootDSE attributes Microsoft
 * documents for Windows DCs ([MS-ADTS] 3.1.1.3.2) have no vendorName.
 * docs/windows.md says what was and was not verified.
 */

#include <string.h>
#include <strings.h>
#include <ldb.h>
#include <ldb_module.h>

#include "spnpool_private.h"

/* ldb opaque names: the answer, read once per connection */
static const char samba_key[] = "spnpool_dc_is_samba";
static const char other_key[] = "spnpool_dc_is_not_samba";

int spnpool_dir_is_samba(struct spnpool_dir *dir, bool *_samba)
{
	static const char *const attrs[] = {"vendorName", NULL};
	struct ldb_result *res = NULL;
	struct ldb_dn *root = NULL;
	const char *vendor = NULL;
	int ret;

	*_samba = true;
	if (dir->local) {
		return LDB_SUCCESS; /* a sam.ldb on disk is Samba's */
	}
	if (ldb_get_opaque(dir->ldb, samba_key) != NULL) {
		return LDB_SUCCESS;
	}
	if (ldb_get_opaque(dir->ldb, other_key) != NULL) {
		*_samba = false;
		return LDB_SUCCESS;
	}
	root = ldb_dn_new(dir, dir->ldb, NULL);
	if (root == NULL) {
		return ldb_oom(dir->ldb);
	}
	ret = ldb_search(dir->ldb, root, &res, root, LDB_SCOPE_BASE,
			 (const char **)attrs, NULL);
	/* No rootDSE at all (a bare ldb file, as the unit tests' fixture):
	 * nothing says it is not Samba, so the model stays Samba's.  Only
	 * a rootDSE without Samba's vendorName means another DC. */
	if (ret == LDB_SUCCESS && res->count == 1) {
		vendor = ldb_msg_find_attr_as_string(res->msgs[0], "vendorName",
						     NULL);
		*_samba =
			vendor != NULL && strncasecmp(vendor, "Samba", 5) == 0;
	}
	/* any non-NULL pointer marks the answer */
	ret = ldb_set_opaque(dir->ldb, *_samba ? samba_key : other_key,
			     (void *)dir->ldb);
	talloc_free(root);
	return ret;
}
