/*
 * libspnpool: sPNMappings aliases.  AD maps alias service classes onto a
 * target class ("host=...,http,www,..."), so that http/X is satisfied by
 * host/X and the two collide across accounts.  Pure: the directory layer
 * reads the values, this file interprets them.
 */

#include <string.h>
#include <strings.h>

#include "spnpool_private.h"

/* True if the NUL-terminated name equals s[0..len) ignoring case. */
static bool name_matches(const char *name, const char *s, size_t len)
{
	return strlen(name) == len && strncasecmp(name, s, len) == 0;
}

static enum spnpool_status parse_value(TALLOC_CTX *mem_ctx, const char *value,
				       struct spnpool_alias_entry *entry)
{
	const char *eq = NULL;
	const char *p = NULL;
	enum spnpool_status st;

	if (value == NULL) {
		return SPNPOOL_ERR_MAPPING_SYNTAX;
	}
	eq = strchr(value, '=');
	if (eq == NULL || eq[1] == '\0') {
		return SPNPOOL_ERR_MAPPING_SYNTAX;
	}
	st = spnpool_class_check(value, (size_t)(eq - value));
	if (st != SPNPOOL_OK) {
		return SPNPOOL_ERR_MAPPING_SYNTAX;
	}
	entry->target = talloc_strndup(mem_ctx, value, (size_t)(eq - value));
	if (entry->target == NULL) {
		return SPNPOOL_ERR_NO_MEMORY;
	}
	p = eq + 1;
	for (;;) {
		size_t n = strcspn(p, ",");
		char **alias = NULL;

		if (spnpool_class_check(p, n) != SPNPOOL_OK) {
			return SPNPOOL_ERR_MAPPING_SYNTAX;
		}
		alias = SPNPOOL_APPEND(mem_ctx, entry->aliases,
				       entry->num_aliases);
		if (alias == NULL) {
			return SPNPOOL_ERR_NO_MEMORY;
		}
		*alias = talloc_strndup(entry->aliases, p, n);
		if (*alias == NULL) {
			return SPNPOOL_ERR_NO_MEMORY;
		}
		if (p[n] == '\0') {
			break;
		}
		p += n + 1;
	}
	return SPNPOOL_OK;
}

enum spnpool_status spnpool_alias_map_parse(TALLOC_CTX *mem_ctx,
					    const char *const *values,
					    size_t num_values,
					    struct spnpool_alias_map **_map)
{
	TALLOC_CTX *tmp_ctx = talloc_new(mem_ctx);
	struct spnpool_alias_map *map = NULL;
	enum spnpool_status st = SPNPOOL_ERR_NO_MEMORY;
	size_t i;

	if (tmp_ctx == NULL) {
		return SPNPOOL_ERR_NO_MEMORY;
	}
	map = talloc_zero(tmp_ctx, struct spnpool_alias_map);
	if (map == NULL) {
		goto done;
	}
	map->entries =
		talloc_zero_array(map, struct spnpool_alias_entry, num_values);
	if (map->entries == NULL) {
		goto done;
	}
	for (i = 0; i < num_values; i++) {
		st = parse_value(map->entries, values[i], &map->entries[i]);
		if (st != SPNPOOL_OK) {
			goto done;
		}
	}
	map->num_entries = num_values;
	*_map = talloc_move(mem_ctx, &map);
	st = SPNPOOL_OK;
done:
	TALLOC_FREE(tmp_ctx);
	return st;
}

static const char *alias_target_n(const struct spnpool_alias_map *map,
				  const char *cls, size_t len)
{
	size_t i;
	size_t k;

	for (i = 0; i < map->num_entries; i++) {
		const struct spnpool_alias_entry *e = &map->entries[i];

		for (k = 0; k < e->num_aliases; k++) {
			if (name_matches(e->aliases[k], cls, len)) {
				return e->target;
			}
		}
	}
	return NULL;
}

const char *spnpool_alias_target(const struct spnpool_alias_map *map,
				 const char *service_class)
{
	return alias_target_n(map, service_class, strlen(service_class));
}

/* Append class/tail unless an equal SPN is in the list already. */
static enum spnpool_status add_form(TALLOC_CTX *mem_ctx, char ***forms,
				    size_t *num, const char *cls,
				    const char *tail)
{
	return spnpool_spn_list_add(
		mem_ctx, forms, num,
		talloc_asprintf(mem_ctx, "%s/%s", cls, tail), NULL);
}

enum spnpool_status spnpool_alias_forms(TALLOC_CTX *mem_ctx,
					const struct spnpool_alias_map *map,
					const char *spn, char ***_forms,
					size_t *_num)
{
	TALLOC_CTX *tmp_ctx = NULL;
	const char *slash = NULL;
	const char *tail = NULL;
	size_t cls_len;
	char **forms = NULL;
	size_t num = 0;
	enum spnpool_status st = SPNPOOL_OK;
	size_t i;
	size_t k;

	if (spn == NULL || spn[0] == '\0') {
		return SPNPOOL_ERR_EMPTY;
	}
	slash = strchr(spn, '/');
	if (slash == NULL) {
		return SPNPOOL_ERR_NO_SLASH;
	}
	cls_len = (size_t)(slash - spn);
	tail = slash + 1;

	tmp_ctx = talloc_new(mem_ctx);
	if (tmp_ctx == NULL) {
		return SPNPOOL_ERR_NO_MEMORY;
	}
	forms = talloc_array(tmp_ctx, char *, 0);
	if (forms == NULL) {
		st = SPNPOOL_ERR_NO_MEMORY;
		goto done;
	}
	for (i = 0; i < map->num_entries && st == SPNPOOL_OK; i++) {
		const struct spnpool_alias_entry *e = &map->entries[i];
		bool is_target = name_matches(e->target, spn, cls_len);

		for (k = 0; k < e->num_aliases && st == SPNPOOL_OK; k++) {
			const char *alias = e->aliases[k];

			if (is_target && !name_matches(alias, spn, cls_len)) {
				st = add_form(tmp_ctx, &forms, &num, alias,
					      tail);
			} else if (!is_target &&
				   name_matches(alias, spn, cls_len)) {
				st = add_form(tmp_ctx, &forms, &num, e->target,
					      tail);
			}
		}
	}
	if (st != SPNPOOL_OK) {
		goto done;
	}
	*_forms = talloc_move(mem_ctx, &forms);
	*_num = num;
done:
	TALLOC_FREE(tmp_ctx);
	return st;
}
