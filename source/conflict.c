/*
 * libspnpool: the uniqueness rules of AD (docs/design.md, "The
 * invariants", 2) as a pure decision over the holders a directory
 * search found.
 */

#include <string.h>
#include <strings.h>

#include "spnpool_private.h"

static const char *const conflict_names[] = {
	[SPNPOOL_CONFLICT_FREE] = "free",
	[SPNPOOL_CONFLICT_OURS] = "ours",
	[SPNPOOL_CONFLICT_DIRECT] = "direct",
	[SPNPOOL_CONFLICT_ALIAS_REFUSED] = "alias-refused",
	[SPNPOOL_CONFLICT_ALIAS_SHADOWS] = "alias-shadows",
};

const char *spnpool_conflict_name(enum spnpool_conflict c)
{
	if ((unsigned)c >= sizeof(conflict_names) / sizeof(conflict_names[0])) {
		return "unknown";
	}
	return conflict_names[c];
}

enum relation {
	REL_NONE,
	REL_EXACT,
	REL_HOLDER_IS_TARGET, /* we: http/X, holder: host/X */
	REL_HOLDER_IS_ALIAS,  /* we: host/X, holder: http/X */
};

static bool same_class(const char *a, size_t a_len, const char *b, size_t b_len)
{
	return a_len == b_len && strncasecmp(a, b, a_len) == 0;
}

static enum relation relate(const struct spnpool_alias_map *map,
			    const char *candidate, const char *value)
{
	const char *cs = strchr(candidate, '/');
	const char *vs = strchr(value, '/');
	const char *target = NULL;
	char cls[SPNPOOL_SPN_MAX_LEN + 1];
	size_t c_len;
	size_t v_len;

	if (spnpool_spn_equal(candidate, value)) {
		return REL_EXACT;
	}
	if (cs == NULL || vs == NULL || !spnpool_spn_equal(cs + 1, vs + 1)) {
		return REL_NONE;
	}
	c_len = (size_t)(cs - candidate);
	v_len = (size_t)(vs - value);
	if (c_len > SPNPOOL_SPN_MAX_LEN || v_len > SPNPOOL_SPN_MAX_LEN) {
		return REL_NONE;
	}

	memcpy(cls, candidate, c_len);
	cls[c_len] = '\0';
	target = spnpool_alias_target(map, cls);
	if (target != NULL &&
	    same_class(target, strlen(target), value, v_len)) {
		return REL_HOLDER_IS_TARGET;
	}
	memcpy(cls, value, v_len);
	cls[v_len] = '\0';
	target = spnpool_alias_target(map, cls);
	if (target != NULL &&
	    same_class(target, strlen(target), candidate, c_len)) {
		return REL_HOLDER_IS_ALIAS;
	}
	return REL_NONE;
}

enum spnpool_conflict
spnpool_conflict_decide(const struct spnpool_alias_map *map,
			const char *candidate, const char *account,
			const struct spnpool_holder *holders,
			size_t num_holders, size_t *_which)
{
	/* Index of the first holder found for each outcome, by precedence. */
	static const enum spnpool_conflict order[] = {
		SPNPOOL_CONFLICT_DIRECT,
		SPNPOOL_CONFLICT_OURS,
		SPNPOOL_CONFLICT_ALIAS_REFUSED,
		SPNPOOL_CONFLICT_ALIAS_SHADOWS,
	};
	size_t found[SPNPOOL_CONFLICT_ALIAS_SHADOWS + 1];
	size_t i;

	for (i = 0; i < sizeof(found) / sizeof(found[0]); i++) {
		found[i] = num_holders;
	}
	for (i = 0; i < num_holders; i++) {
		const struct spnpool_holder *h = &holders[i];
		bool mine = strcasecmp(h->account, account) == 0;
		enum spnpool_conflict c = SPNPOOL_CONFLICT_FREE;

		switch (relate(map, candidate, h->value)) {
		case REL_EXACT:
			c = mine ? SPNPOOL_CONFLICT_OURS
				 : SPNPOOL_CONFLICT_DIRECT;
			break;
		case REL_HOLDER_IS_TARGET:
			c = mine ? SPNPOOL_CONFLICT_FREE
				 : SPNPOOL_CONFLICT_ALIAS_SHADOWS;
			break;
		case REL_HOLDER_IS_ALIAS:
			c = mine ? SPNPOOL_CONFLICT_FREE
				 : SPNPOOL_CONFLICT_ALIAS_REFUSED;
			break;
		case REL_NONE:
			break;
		}
		if (c != SPNPOOL_CONFLICT_FREE && found[c] == num_holders) {
			found[c] = i;
		}
	}
	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		if (found[order[i]] < num_holders) {
			if (_which != NULL) {
				*_which = found[order[i]];
			}
			return order[i];
		}
	}
	return SPNPOOL_CONFLICT_FREE;
}
