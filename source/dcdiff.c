/*
 * libspnpool: where the writable DCs of a domain disagree.  Each DC (the
 * directory and its peers, spnpool_dir_add_peer()) is read with one paged
 * scan per naming context; its (objectGUID, SPN) pairs are sorted, and the
 * sorted lists are merged: a pair some DCs hold and others do not is a
 * disagreement, pending replication or a lost update.  A disagreement
 * whose SPN another account holds on any DC is marked: once replication
 * settles it, the SPN may be a duplicate.
 */

#include <stdlib.h>
#include <string.h>

#include <ldb.h>
#include <ldb_module.h>

#include "spnpool_private.h"

struct dc_value {
	uint8_t guid[16];
	const char *spn;
	const char *dn;
};

struct dc_scan {
	TALLOC_CTX *mem_ctx;
	struct spnpool_dir *dir;
	struct dc_value *v;
	size_t n;
};

static int scan_entry(struct ldb_message *msg, void *private_data)
{
	struct dc_scan *sc =
		talloc_get_type_abort(private_data, struct dc_scan);
	const struct ldb_val *guid = ldb_msg_find_ldb_val(msg, "objectGUID");
	struct ldb_message_element *el =
		ldb_msg_find_element(msg, "servicePrincipalName");
	char *dn = NULL;
	unsigned i;

	if (guid == NULL || guid->length != 16 || el == NULL) {
		return LDB_SUCCESS;
	}
	dn = talloc_strdup(sc->mem_ctx, ldb_dn_get_linearized(msg->dn));
	if (dn == NULL) {
		return ldb_oom(sc->dir->ldb);
	}
	for (i = 0; i < el->num_values; i++) {
		struct dc_value *d = SPNPOOL_APPEND(sc->mem_ctx, sc->v, sc->n);

		if (d == NULL) {
			return ldb_oom(sc->dir->ldb);
		}
		memcpy(d->guid, guid->data, 16);
		d->dn = dn;
		d->spn = talloc_strndup(sc->mem_ctx,
					(const char *)el->values[i].data,
					el->values[i].length);
		if (d->spn == NULL) {
			return ldb_oom(sc->dir->ldb);
		}
	}
	return LDB_SUCCESS;
}

static int value_cmp(const struct dc_value *a, const struct dc_value *b)
{
	int c = memcmp(a->guid, b->guid, 16);

	return (c != 0) ? c : spnpool_spn_compare(a->spn, b->spn);
}

static int value_qsort_cmp(const void *a, const void *b)
{
	return value_cmp(a, b);
}

static int spn_qsort_cmp(const void *a, const void *b)
{
	const struct dc_value *x = a;
	const struct dc_value *y = b;
	int c = spnpool_spn_compare(x->spn, y->spn);

	return (c != 0) ? c : memcmp(x->guid, y->guid, 16);
}

/* Every (account, SPN) of one DC, sorted, each once (child partitions
 * appear under their parent's subtree too). */
static int scan_dc(TALLOC_CTX *mem_ctx, struct spnpool_dir *dir,
		   struct dc_scan **_sc)
{
	static const char *const attrs[] = {"objectGUID",
					    "servicePrincipalName", NULL};
	struct dc_scan *sc = talloc_zero(mem_ctx, struct dc_scan);
	size_t i;
	size_t k;
	int ret = LDB_SUCCESS;

	if (sc == NULL) {
		return ldb_oom(dir->ldb);
	}
	sc->mem_ctx = sc;
	sc->dir = dir;
	for (i = 0; i < dir->num_naming_contexts; i++) {
		struct ldb_dn *base =
			ldb_dn_new(sc, dir->ldb, dir->naming_contexts[i]);

		if (base == NULL) {
			return ldb_oom(dir->ldb);
		}
		ret = spnpool_dir_search(dir, base, LDB_SCOPE_SUBTREE,
					 "(servicePrincipalName=*)", attrs,
					 NULL, scan_entry, sc);
		talloc_free(base);
		if (ret == LDB_ERR_NO_SUCH_OBJECT) {
			ret = LDB_SUCCESS;
		}
		if (ret != LDB_SUCCESS) {
			return ret;
		}
	}
	if (sc->n > 0) {
		qsort(sc->v, sc->n, sizeof(sc->v[0]), value_qsort_cmp);
	}
	for (i = 0, k = 0; i < sc->n; i++) {
		if (k > 0 && value_cmp(&sc->v[k - 1], &sc->v[i]) == 0) {
			continue;
		}
		sc->v[k++] = sc->v[i];
	}
	sc->n = k;
	*_sc = sc;
	return LDB_SUCCESS;
}

static const char *dc_label(TALLOC_CTX *mem_ctx, struct spnpool_dir *dir,
			    size_t i)
{
	if (dir->dc_name != NULL) {
		return dir->dc_name;
	}
	return talloc_asprintf(mem_ctx, "DC %zu", i + 1);
}

/* Merge the sorted lists: every pair once in *_all; a pair not every DC
 * holds becomes a disagreement naming who has it and who lacks it. */
static int merge(TALLOC_CTX *mem_ctx, struct dc_scan **scans,
		 const char **names, size_t num_dcs,
		 struct spnpool_dc_diff_result *res, struct dc_value **_all,
		 size_t *_num_all)
{
	size_t *pos = talloc_zero_array(mem_ctx, size_t, num_dcs);
	bool *has = talloc_zero_array(mem_ctx, bool, num_dcs);
	struct dc_value *all = NULL;
	size_t num_all = 0;
	size_t total = 0;
	size_t d;

	if (pos == NULL || has == NULL) {
		return LDB_ERR_OPERATIONS_ERROR;
	}
	for (d = 0; d < num_dcs; d++) {
		total += scans[d]->n;
	}
	all = talloc_array(mem_ctx, struct dc_value, total + 1);
	if (all == NULL) {
		return LDB_ERR_OPERATIONS_ERROR;
	}
	for (;;) {
		const struct dc_value *min = NULL;
		size_t count = 0;

		for (d = 0; d < num_dcs; d++) {
			const struct dc_value *h = NULL;

			if (pos[d] >= scans[d]->n) {
				continue;
			}
			h = &scans[d]->v[pos[d]];
			if (min == NULL || value_cmp(h, min) < 0) {
				min = h;
			}
		}
		if (min == NULL) {
			break;
		}
		all[num_all] = *min;
		for (d = 0; d < num_dcs; d++) {
			has[d] = pos[d] < scans[d]->n &&
				 value_cmp(&scans[d]->v[pos[d]],
					   &all[num_all]) == 0;
			count += has[d] ? 1 : 0;
		}
		for (d = 0; d < num_dcs; d++) {
			if (has[d]) {
				pos[d]++;
			}
		}
		if (count < num_dcs) {
			struct spnpool_dc_diff *diff =
				SPNPOOL_APPEND(res, res->diffs, res->num_diffs);
			struct spnpool_dc_diff *diffs = res->diffs;

			if (diff == NULL) {
				return LDB_ERR_OPERATIONS_ERROR;
			}
			diff->spn = talloc_strdup(diffs, all[num_all].spn);
			diff->account_dn =
				talloc_strdup(diffs, all[num_all].dn);
			diff->present_on =
				talloc_zero_array(diffs, const char *, num_dcs);
			diff->missing_on =
				talloc_zero_array(diffs, const char *, num_dcs);
			if (diff->spn == NULL || diff->account_dn == NULL ||
			    diff->present_on == NULL ||
			    diff->missing_on == NULL) {
				return LDB_ERR_OPERATIONS_ERROR;
			}
			for (d = 0; d < num_dcs; d++) {
				if (has[d]) {
					diff->present_on[diff->num_present++] =
						names[d];
				} else {
					diff->missing_on[diff->num_missing++] =
						names[d];
				}
			}
		}
		num_all++;
	}
	*_all = all;
	*_num_all = num_all;
	return LDB_SUCCESS;
}

/* A disagreement whose SPN another account holds anywhere: a duplicate
 * once replication settles, unless a holder gives it up first. */
static void mark_duplicates(struct spnpool_dc_diff_result *res,
			    struct dc_value *all, size_t num_all)
{
	size_t i;
	size_t k;
	size_t r;

	if (num_all > 1) {
		qsort(all, num_all, sizeof(all[0]), spn_qsort_cmp);
	}
	for (i = 0; i < num_all; i = k) {
		bool several = false;

		for (k = i + 1;
		     k < num_all && spnpool_spn_equal(all[k].spn, all[i].spn);
		     k++) {
			if (memcmp(all[k].guid, all[i].guid, 16) != 0) {
				several = true;
			}
		}
		for (r = 0; several && r < res->num_diffs; r++) {
			if (spnpool_spn_equal(res->diffs[r].spn, all[i].spn)) {
				res->diffs[r].duplicate_after_replication =
					true;
			}
		}
	}
}

int spnpool_op_compare_dcs(TALLOC_CTX *mem_ctx, struct spnpool_dir *dir,
			   struct spnpool_dc_diff_result **_result)
{
	TALLOC_CTX *tmp_ctx = talloc_new(mem_ctx);
	struct spnpool_dc_diff_result *res = NULL;
	struct dc_scan **scans = NULL;
	const char **names = NULL;
	struct dc_value *all = NULL;
	size_t num_all = 0;
	size_t num_dcs = dir->num_peers + 1;
	size_t d;
	int ret = LDB_SUCCESS;

	if (tmp_ctx == NULL) {
		return ldb_oom(dir->ldb);
	}
	res = talloc_zero(tmp_ctx, struct spnpool_dc_diff_result);
	scans = talloc_zero_array(tmp_ctx, struct dc_scan *, num_dcs);
	names = talloc_zero_array(res, const char *, num_dcs);
	if (res == NULL || scans == NULL || names == NULL) {
		ret = ldb_oom(dir->ldb);
		goto done;
	}
	res->dcs = names;
	res->num_dcs = num_dcs;
	for (d = 0; d < num_dcs; d++) {
		struct spnpool_dir *one = (d == 0) ? dir : dir->peers[d - 1];

		names[d] = talloc_strdup(names, dc_label(tmp_ctx, one, d));
		if (names[d] == NULL) {
			ret = ldb_oom(dir->ldb);
			goto done;
		}
		ret = scan_dc(tmp_ctx, one, &scans[d]);
		if (ret != LDB_SUCCESS) {
			if (one != dir) {
				ldb_asprintf_errstring(
					dir->ldb, "reading the SPNs of %s: %s",
					names[d],
					ldb_errstring(one->ldb)
						? ldb_errstring(one->ldb)
						: ldb_strerror(ret));
			}
			goto done;
		}
	}
	ret = merge(tmp_ctx, scans, names, num_dcs, res, &all, &num_all);
	if (ret != LDB_SUCCESS) {
		ret = ldb_oom(dir->ldb);
		goto done;
	}
	mark_duplicates(res, all, num_all);
	*_result = talloc_move(mem_ctx, &res);
done:
	talloc_free(tmp_ctx);
	return ret;
}
