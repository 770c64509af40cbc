/*
 * Ranged values: a Windows DC returns a multi-valued attribute with more
 * values than its MaxValRange LDAP policy (1500 by default) as
 * "attr;range=0-1499", and the client asks for "attr;range=1500-*" and so
 * on until the DC answers with a range ending in "*" ([MS-ADTS]
 * 3.1.1.3.1.3.3).  Samba never ranges an attribute nobody asked to range,
 * so only a Windows DC (or selftest/ldapproxy.py) makes this code work.
 *
 * The helpers here turn such an answer back into one plain element named
 * attr, holding every value, so the rest of the library never sees a
 * range.
 */

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <ldb.h>
#include <ldb_module.h>

#include "spnpool_private.h"

/* The element of msg that is attr with a ";range=" option, if any. */
static struct ldb_message_element *ranged_element(const struct ldb_message *msg,
						  const char *attr)
{
	size_t len = strlen(attr);
	unsigned i;

	for (i = 0; i < msg->num_elements; i++) {
		const char *name = msg->elements[i].name;

		if (strncasecmp(name, attr, len) == 0 &&
		    strncasecmp(name + len, ";range=", 7) == 0) {
			return &msg->elements[i];
		}
	}
	return NULL;
}

bool spnpool_ranged_parse(const char *name, unsigned *_lo, unsigned *_hi,
			  bool *_last)
{
	const char *p = strchr(name, ';');
	char *end = NULL;
	unsigned long lo;
	unsigned long hi = 0;

	if (p == NULL || strncasecmp(p, ";range=", 7) != 0) {
		return false;
	}
	p += 7;
	if (*p < '0' || *p > '9') {
		return false;
	}
	lo = strtoul(p, &end, 10);
	if (*end != '-' || lo > 0x7fffffffUL) {
		return false;
	}
	p = end + 1;
	if (strcmp(p, "*") == 0) {
		*_last = true;
	} else {
		if (*p < '0' || *p > '9') {
			return false;
		}
		hi = strtoul(p, &end, 10);
		if (*end != '\0' || hi < lo || hi > 0x7fffffffUL) {
			return false;
		}
		*_last = false;
	}
	*_lo = (unsigned)lo;
	*_hi = (unsigned)hi;
	return true;
}

bool spnpool_ranged_pending(const struct ldb_message *msg, const char *attr)
{
	return ranged_element(msg, attr) != NULL;
}

/* Append the values of from to to (values copied onto mem_ctx). */
static int append_values(TALLOC_CTX *mem_ctx, struct ldb_val **values,
			 unsigned *num, const struct ldb_message_element *from)
{
	struct ldb_val *grown = NULL;
	unsigned i;

	grown = talloc_realloc(mem_ctx, *values, struct ldb_val,
			       *num + from->num_values);
	if (grown == NULL && *num + from->num_values > 0) {
		return LDB_ERR_OPERATIONS_ERROR;
	}
	*values = grown;
	for (i = 0; i < from->num_values; i++) {
		struct ldb_val *v = &grown[*num + i];

		v->length = from->values[i].length;
		v->data = talloc_memdup(grown, from->values[i].data,
					from->values[i].length + 1);
		if (v->data == NULL) {
			return LDB_ERR_OPERATIONS_ERROR;
		}
		v->data[v->length] = '\0';
	}
	*num += from->num_values;
	return LDB_SUCCESS;
}

int spnpool_ranged_complete(struct ldb_context *ldb, struct ldb_message *msg,
			    const char *attr)
{
	TALLOC_CTX *tmp_ctx = NULL;
	struct ldb_message_element *el = ranged_element(msg, attr);
	struct ldb_val *values = NULL;
	unsigned num = 0;
	unsigned lo;
	unsigned hi;
	bool last;
	int ret = LDB_SUCCESS;

	if (el == NULL) {
		return LDB_SUCCESS;
	}
	if (!spnpool_ranged_parse(el->name, &lo, &hi, &last) || lo != 0) {
		ldb_asprintf_errstring(ldb,
				       "%s: the DC answered with '%s', not a "
				       "range starting at 0",
				       ldb_dn_get_linearized(msg->dn),
				       el->name);
		return LDB_ERR_PROTOCOL_ERROR;
	}
	tmp_ctx = talloc_new(msg);
	if (tmp_ctx == NULL) {
		return ldb_oom(ldb);
	}
	ret = append_values(tmp_ctx, &values, &num, el);
	while (ret == LDB_SUCCESS && !last) {
		struct ldb_result *res = NULL;
		struct ldb_message_element *part = NULL;
		const char *attrs[2] = {NULL, NULL};
		unsigned next = hi + 1;

		attrs[0] =
			talloc_asprintf(tmp_ctx, "%s;range=%u-*", attr, next);
		if (attrs[0] == NULL) {
			ret = LDB_ERR_OPERATIONS_ERROR;
			break;
		}
		ret = ldb_search(ldb, tmp_ctx, &res, msg->dn, LDB_SCOPE_BASE,
				 attrs, NULL);
		if (ret != LDB_SUCCESS) {
			char *why = talloc_strdup(tmp_ctx, ldb_errstring(ldb));

			ldb_asprintf_errstring(
				ldb, "reading %s of %s from value %u on: %s",
				attr, ldb_dn_get_linearized(msg->dn), next,
				why ? why : ldb_strerror(ret));
			break;
		}
		part = (res->count == 1) ? ranged_element(res->msgs[0], attr)
					 : NULL;
		if (part == NULL) {
			/* nothing past the last range: the object shrank */
			break;
		}
		if (!spnpool_ranged_parse(part->name, &lo, &hi, &last) ||
		    lo != next || (!last && part->num_values == 0)) {
			ldb_asprintf_errstring(
				ldb,
				"%s: asked for %s from value %u on, the DC "
				"answered with '%s'",
				ldb_dn_get_linearized(msg->dn), attr, next,
				part->name);
			ret = LDB_ERR_PROTOCOL_ERROR;
			break;
		}
		ret = append_values(tmp_ctx, &values, &num, part);
		talloc_free(res);
	}
	if (ret == LDB_ERR_OPERATIONS_ERROR) {
		ret = ldb_oom(ldb);
	}
	if (ret == LDB_SUCCESS) {
		char *name = talloc_strdup(msg->elements, attr);

		if (name == NULL) {
			ret = ldb_oom(ldb);
		} else {
			el->name = name;
			el->values = talloc_steal(msg->elements, values);
			el->num_values = num;
		}
	}
	talloc_free(tmp_ctx);
	return ret;
}

int spnpool_ranged_complete_all(struct ldb_context *ldb,
				struct ldb_message **msgs, unsigned count,
				const char *attr)
{
	unsigned i;

	for (i = 0; i < count; i++) {
		int ret = spnpool_ranged_complete(ldb, msgs[i], attr);

		if (ret != LDB_SUCCESS) {
			return ret;
		}
	}
	return LDB_SUCCESS;
}
