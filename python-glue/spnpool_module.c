/*
 * samba_spnpool._spnpool: the CPython binding of libspnpool.
 *
 * samba-tool opens the SamDB (so every credential and connection form it
 * supports works); this module borrows that SamDB's struct ldb_context,
 * hands it and plain arguments to libspnpool and turns the result
 * structures into dicts.  Nothing here decides or validates: ports, hosts
 * and identities go to the library as text.
 *
 * The GIL is kept for the whole call: ldb is not thread-safe and the
 * context belongs to a Python object another thread could use.
 */

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <limits.h>
#include <string.h>

#include <talloc.h>
#include <ldb.h>
#include <ldb_module.h>

#include "spnpool.h"

PyMODINIT_FUNC PyInit__spnpool(void);

static PyObject *spnpool_error = NULL;

/* ------------------------------------------------------------------ */
/* C values to Python                                                  */
/* ------------------------------------------------------------------ */

/*
 * Directory strings are UTF-8, but a tdb:// file may hold anything; keep
 * odd bytes as surrogates rather than fail the whole result.
 */
static PyObject *py_str_or_none(const char *s)
{
	if (s == NULL) {
		Py_RETURN_NONE;
	}
	return PyUnicode_DecodeUTF8(s, (Py_ssize_t)strlen(s),
				    "surrogateescape");
}

/* d[key] = value, stealing value; false (exception set) on failure. */
static bool dict_set_steal(PyObject *d, const char *key, PyObject *value)
{
	int ret;

	if (value == NULL) {
		return false;
	}
	ret = PyDict_SetItemString(d, key, value);
	Py_DECREF(value);
	return ret == 0;
}

static bool dict_set_str(PyObject *d, const char *key, const char *s)
{
	return dict_set_steal(d, key, py_str_or_none(s));
}

static bool dict_set_bool(PyObject *d, const char *key, bool b)
{
	return dict_set_steal(d, key, PyBool_FromLong(b));
}

static PyObject *py_str_list(char *const *strings, size_t num)
{
	PyObject *list = NULL;
	size_t i;

	list = PyList_New((Py_ssize_t)num);
	if (list == NULL) {
		return NULL;
	}
	for (i = 0; i < num; i++) {
		PyObject *s = py_str_or_none(strings[i]);

		if (s == NULL) {
			Py_DECREF(list);
			return NULL;
		}
		PyList_SET_ITEM(list, (Py_ssize_t)i, s);
	}
	return list;
}


/* ------------------------------------------------------------------ */
/* Result structs to dicts: one descriptor table per type              */
/* ------------------------------------------------------------------ */

/*
 * A result type is a table of (JSON key, C type, offset) rows; one
 * converter walks it.  The tables below are the JSON schema of check,
 * audit and plan (docs/design.md, "The binding"): a key is added or
 * renamed here and nowhere else.
 */
enum field_type {
	F_STR,	  /* const char * (NULL: None) */
	F_BOOL,	  /* bool */
	F_U16,	  /* uint16_t */
	F_UINT,	  /* unsigned */
	F_SIZE,	  /* size_t */
	F_ENUM,	  /* an enum, by its public name */
	F_STRS,	  /* char ** with a size_t count */
	F_PTR,	  /* a pointer to one struct of table sub (NULL: None) */
	F_ARRAY,  /* an array of structs of table sub with a size_t count */
};

struct table;

struct field {
	const char *key;
	enum field_type type;
	size_t offset;
	size_t count_offset;	  /* F_STRS, F_ARRAY */
	const struct table *sub;  /* F_PTR, F_ARRAY */
	const char *(*name)(int); /* F_ENUM */
};

struct table {
	size_t size;
	const struct field *fields;
};

#define ROW(type_, key_, ctype, member) \
	{ .key = (key_), .type = (type_), .offset = offsetof(ctype, member) }
#define ENUM_ROW(key_, ctype, member, name_) \
	{ .key = (key_), .type = F_ENUM, .offset = offsetof(ctype, member), \
	  .name = (name_) }
#define LIST_ROW(type_, key_, ctype, member, count, sub_) \
	{ .key = (key_), .type = (type_), .offset = offsetof(ctype, member), \
	  .count_offset = offsetof(ctype, count), .sub = (sub_) }
#define PTR_ROW(key_, ctype, member, sub_) \
	{ .key = (key_), .type = F_PTR, .offset = offsetof(ctype, member), \
	  .sub = (sub_) }
#define END_ROW { .key = NULL }

static PyObject *py_from_table(const struct table *t, const void *obj);

static PyObject *py_table_array(const struct table *t, const void *items,
				size_t num)
{
	PyObject *list = PyList_New((Py_ssize_t)num);
	size_t i;

	if (list == NULL) {
		return NULL;
	}
	for (i = 0; i < num; i++) {
		PyObject *item = py_from_table(
			t, (const char *)items + i * t->size);

		if (item == NULL) {
			Py_DECREF(list);
			return NULL;
		}
		PyList_SET_ITEM(list, (Py_ssize_t)i, item);
	}
	return list;
}

static PyObject *py_field(const struct field *f, const char *base)
{
	const void *at = base + f->offset;
	size_t count = 0;

	if (f->type == F_STRS || f->type == F_ARRAY) {
		count = *(const size_t *)(const void *)(base + f->count_offset);
	}
	switch (f->type) {
	case F_STR:
		return py_str_or_none(*(const char *const *)at);
	case F_BOOL:
		return PyBool_FromLong(*(const bool *)at);
	case F_U16:
		return PyLong_FromLong(*(const uint16_t *)at);
	case F_UINT:
		return PyLong_FromUnsignedLong(*(const unsigned *)at);
	case F_SIZE:
		return PyLong_FromSize_t(*(const size_t *)at);
	case F_ENUM:
		return PyUnicode_FromString(f->name(*(const int *)at));
	case F_STRS:
		return py_str_list(*(char *const *const *)at, count);
	case F_PTR:
		if (*(const void *const *)at == NULL) {
			Py_RETURN_NONE;
		}
		return py_from_table(f->sub, *(const void *const *)at);
	case F_ARRAY:
		return py_table_array(f->sub, *(const void *const *)at, count);
	}
	PyErr_SetString(PyExc_RuntimeError, "spnpool: bad field table");
	return NULL;
}

/* {key: value for each row of t}; NULL with an exception. */
static PyObject *py_from_table(const struct table *t, const void *obj)
{
	PyObject *d = PyDict_New();
	const struct field *f = NULL;

	if (d == NULL) {
		return NULL;
	}
	for (f = t->fields; f->key != NULL; f++) {
		if (!dict_set_steal(d, f->key,
				    py_field(f, (const char *)obj))) {
			Py_DECREF(d);
			return NULL;
		}
	}
	return d;
}

/* The public name functions, callable through one type. */
#define NAME_OF(fn, type)                                                   \
	static const char *fn##_of(int i)                                   \
	{                                                                   \
		return fn((type)i);                                         \
	}
NAME_OF(spnpool_verdict_name, enum spnpool_verdict)
NAME_OF(spnpool_check_reason_name, enum spnpool_check_reason)
NAME_OF(spnpool_dns_state_name, enum spnpool_dns_state)
NAME_OF(spnpool_action_kind_name, enum spnpool_action_kind)
NAME_OF(spnpool_client_model_name, enum spnpool_client_model)
NAME_OF(spnpool_via_name, enum spnpool_via)
NAME_OF(spnpool_finding_name, enum spnpool_finding_kind)
NAME_OF(spnpool_plan_decision_name, enum spnpool_plan_decision)
NAME_OF(spnpool_resolution_kind_name, enum spnpool_resolution_kind)
NAME_OF(spnpool_note_kind_name, enum spnpool_note_kind)
NAME_OF(spnpool_why_name, enum spnpool_why)
NAME_OF(spnpool_change_state_name, enum spnpool_change_state)

static const char *change_action_name_of(int i)
{
	return (i == SPNPOOL_CHANGE_ADD) ? "add" : "delete";
}

static const struct table action_table;
static const struct table account_table;
static const struct table answerer_table;
static const struct table check_table;
static const struct table finding_table;
static const struct table change_table;
static const struct table why_table;
static const struct table plan_user_table;
static const struct table resolution_table;
static const struct table plan_name_table;
static const struct table note_table;
static const struct table plan_table;

#define TABLE(name, ctype, ...)                                             \
	static const struct field name##_fields[] = { __VA_ARGS__, END_ROW }; \
	static const struct table name = { sizeof(ctype), name##_fields }

/* A fix: samba_spnpool.render makes its text and command line. */
TABLE(action_table, struct spnpool_action,
      ENUM_ROW("kind", struct spnpool_action, kind,
	       spnpool_action_kind_name_of),
      ROW(F_STR, "account", struct spnpool_action, account),
      ROW(F_STR, "domain", struct spnpool_action, domain),
      ROW(F_STR, "host", struct spnpool_action, host),
      ROW(F_U16, "port", struct spnpool_action, port),
      ROW(F_STR, "server", struct spnpool_action, server),
      ROW(F_STR, "spn", struct spnpool_action, spn),
      ROW(F_STR, "target", struct spnpool_action, target),
      ROW(F_STR, "site", struct spnpool_action, site),
      ROW(F_STR, "site_id", struct spnpool_action, site_id),
      ROW(F_STR, "app_path", struct spnpool_action, app_path),
      ROW(F_STR, "pool", struct spnpool_action, pool),
      ROW(F_BOOL, "move", struct spnpool_action, move));

TABLE(account_table, struct spnpool_account,
      ROW(F_STR, "dn", struct spnpool_account, dn),
      ROW(F_STR, "guid", struct spnpool_account, guid),
      ROW(F_STR, "sam_account_name", struct spnpool_account,
	  sam_account_name),
      ROW(F_STR, "user_principal_name", struct spnpool_account,
	  user_principal_name),
      ROW(F_BOOL, "is_computer", struct spnpool_account, is_computer),
      ROW(F_BOOL, "is_managed", struct spnpool_account, is_managed),
      ROW(F_BOOL, "disabled", struct spnpool_account, disabled),
      ROW(F_BOOL, "builtin", struct spnpool_account, builtin),
      ROW(F_STR, "privileged", struct spnpool_account, privileged),
      LIST_ROW(F_STRS, "spns", struct spnpool_account, spns, num_spns,
	       NULL));

TABLE(answerer_table, struct spnpool_answerer,
      ROW(F_STR, "dn", struct spnpool_answerer, dn),
      ROW(F_STR, "sam_account_name", struct spnpool_answerer,
	  sam_account_name),
      ROW(F_STR, "value", struct spnpool_answerer, value),
      ENUM_ROW("via", struct spnpool_answerer, via, spnpool_via_name_of));

/* check: "target" is added by check(), "other" follows the table */
TABLE(check_table, struct spnpool_check_result,
      ROW(F_STR, "host", struct spnpool_check_result, host),
      ROW(F_U16, "port", struct spnpool_check_result, port),
      LIST_ROW(F_STRS, "cname_chain", struct spnpool_check_result,
	       cname_chain, num_cnames, NULL),
      ENUM_ROW("dns", struct spnpool_check_result, dns,
	       spnpool_dns_state_name_of),
      ROW(F_STR, "spn", struct spnpool_check_result, spn),
      ROW(F_STR, "name", struct spnpool_check_result, name),
      ROW(F_STR, "domain", struct spnpool_check_result, domain),
      PTR_ROW("pool", struct spnpool_check_result, pool, &account_table),
      PTR_ROW("expected", struct spnpool_check_result, expected,
	      &account_table),
      LIST_ROW(F_ARRAY, "answerers", struct spnpool_check_result,
	       answerers, num_answerers, &answerer_table),
      ENUM_ROW("verdict", struct spnpool_check_result, verdict,
	       spnpool_verdict_name_of),
      ENUM_ROW("reason_kind", struct spnpool_check_result, reason,
	       spnpool_check_reason_name_of),
      ROW(F_BOOL, "kernel_mode", struct spnpool_check_result, kernel_mode),
      LIST_ROW(F_ARRAY, "actions", struct spnpool_check_result, fixes,
	       num_fixes, &action_table),
      ENUM_ROW("client", struct spnpool_check_result, client,
	       spnpool_client_model_name_of),
      ROW(F_STR, "kdc", struct spnpool_check_result, kdc));

TABLE(finding_table, struct spnpool_finding,
      ENUM_ROW("kind", struct spnpool_finding, kind,
	       spnpool_finding_name_of),
      ROW(F_STR, "spn", struct spnpool_finding, spn),
      LIST_ROW(F_STRS, "dns", struct spnpool_finding, dns, num_dns, NULL),
      LIST_ROW(F_STRS, "sams", struct spnpool_finding, sams, num_dns, NULL),
      ROW(F_STR, "host", struct spnpool_finding, host),
      ROW(F_U16, "port", struct spnpool_finding, port),
      ROW(F_STR, "other_spn", struct spnpool_finding, other_spn),
      ROW(F_UINT, "password_days", struct spnpool_finding, password_days),
      ROW(F_UINT, "max_password_age_days", struct spnpool_finding,
	  max_password_age_days),
      LIST_ROW(F_ARRAY, "actions", struct spnpool_finding, fixes,
	       num_fixes, &action_table));

/* plan: the change keys are what apply() takes back */
TABLE(change_table, struct spnpool_change,
      ENUM_ROW("action", struct spnpool_change, action,
	       change_action_name_of),
      ROW(F_STR, "dn", struct spnpool_change, dn),
      ROW(F_STR, "sam_account_name", struct spnpool_change,
	  sam_account_name),
      ROW(F_STR, "spn", struct spnpool_change, spn));

/* why the plan wants each change (samba_spnpool.render makes each
 * change's 'reason' of it) */
TABLE(why_table, struct spnpool_change_why,
      ENUM_ROW("why", struct spnpool_change_why, why,
	       spnpool_why_name_of),
      ROW(F_STR, "account", struct spnpool_change_why, account),
      ROW(F_STR, "name", struct spnpool_change_why, name));

TABLE(applied_change_table, struct spnpool_change,
      ENUM_ROW("action", struct spnpool_change, action,
	       change_action_name_of),
      ROW(F_STR, "dn", struct spnpool_change, dn),
      ROW(F_STR, "sam_account_name", struct spnpool_change,
	  sam_account_name),
      ROW(F_STR, "spn", struct spnpool_change, spn),
      ROW(F_STR, "reason", struct spnpool_change, reason));

TABLE(plan_user_table, struct spnpool_plan_user,
      ROW(F_STR, "server", struct spnpool_plan_user, server),
      ROW(F_STR, "site", struct spnpool_plan_user, site),
      ROW(F_STR, "app_path", struct spnpool_plan_user, app_path),
      ROW(F_STR, "pool", struct spnpool_plan_user, pool),
      ROW(F_STR, "account_dn", struct spnpool_plan_user, account_dn),
      ROW(F_STR, "account_sam", struct spnpool_plan_user, account_sam),
      ROW(F_STR, "identity", struct spnpool_plan_user, identity),
      ROW(F_BOOL, "kernel_mode", struct spnpool_plan_user, kernel_mode),
      ROW(F_BOOL, "use_app_pool_credentials", struct spnpool_plan_user,
	  use_app_pool_credentials));

TABLE(resolution_table, struct spnpool_resolution,
      ENUM_ROW("kind", struct spnpool_resolution, kind,
	       spnpool_resolution_kind_name_of),
      ROW(F_STR, "account", struct spnpool_resolution, account),
      ROW(F_STR, "domain", struct spnpool_resolution, domain),
      ROW(F_STR, "pool", struct spnpool_resolution, pool),
      LIST_ROW(F_ARRAY, "actions", struct spnpool_resolution, actions,
	       num_actions, &action_table),
      ROW(F_BOOL, "chosen", struct spnpool_resolution, chosen));

TABLE(plan_name_table, struct spnpool_plan_name,
      ROW(F_STR, "netbios", struct spnpool_plan_name, netbios),
      ROW(F_STR, "fqdn", struct spnpool_plan_name, fqdn),
      ENUM_ROW("decision", struct spnpool_plan_name, decision,
	       spnpool_plan_decision_name_of),
      ROW(F_STR, "account_dn", struct spnpool_plan_name, account_dn),
      ROW(F_STR, "account_sam", struct spnpool_plan_name, account_sam),
      ROW(F_SIZE, "num_accounts", struct spnpool_plan_name, num_accounts),
      ROW(F_BOOL, "farm_of_machines", struct spnpool_plan_name,
	  farm_of_machines),
      LIST_ROW(F_ARRAY, "users", struct spnpool_plan_name, users, num_users,
	       &plan_user_table),
      LIST_ROW(F_ARRAY, "resolutions", struct spnpool_plan_name,
	       resolutions, num_resolutions, &resolution_table),
      ROW(F_BOOL, "unresolved", struct spnpool_plan_name, unresolved),
      ROW(F_STR, "privileged", struct spnpool_plan_name, privileged),
      LIST_ROW(F_ARRAY, "iis_actions", struct spnpool_plan_name,
	       iis_actions, num_iis_actions, &action_table));

TABLE(note_table, struct spnpool_plan_note,
      ENUM_ROW("kind", struct spnpool_plan_note, kind,
	       spnpool_note_kind_name_of),
      ROW(F_STR, "site", struct spnpool_plan_note, site),
      ROW(F_STR, "pool", struct spnpool_plan_note, pool),
      ROW(F_STR, "fqdn", struct spnpool_plan_note, fqdn),
      ROW(F_U16, "port", struct spnpool_plan_note, port),
      ROW(F_STR, "account", struct spnpool_plan_note, account),
      ROW(F_STR, "privileged", struct spnpool_plan_note, privileged));

TABLE(plan_table, struct spnpool_plan,
      LIST_ROW(F_ARRAY, "names", struct spnpool_plan, names, num_names,
	       &plan_name_table),
      LIST_ROW(F_ARRAY, "changes", struct spnpool_plan, changes,
	       num_changes, &change_table),
      LIST_ROW(F_ARRAY, "whys", struct spnpool_plan, whys, num_changes,
	       &why_table),
      LIST_ROW(F_ARRAY, "notes", struct spnpool_plan, notes, num_notes,
	       &note_table));

static PyObject *py_account(const struct spnpool_account *a)
{
	PyObject *d = NULL;
	bool ok;

	if (a == NULL) {
		Py_RETURN_NONE;
	}
	d = PyDict_New();
	if (d == NULL) {
		return NULL;
	}
	ok = dict_set_str(d, "dn", a->dn) &&
	     dict_set_str(d, "guid", a->guid) &&
	     dict_set_str(d, "sam_account_name", a->sam_account_name) &&
	     dict_set_str(d, "user_principal_name",
			  a->user_principal_name) &&
	     dict_set_bool(d, "is_computer", a->is_computer) &&
	     dict_set_bool(d, "is_managed", a->is_managed) &&
	     dict_set_bool(d, "disabled", a->disabled) &&
	     dict_set_bool(d, "builtin", a->builtin) &&
	     dict_set_str(d, "privileged", a->privileged) &&
	     dict_set_steal(d, "spns", py_str_list(a->spns, a->num_spns));
	if (!ok) {
		Py_DECREF(d);
		return NULL;
	}
	return d;
}

/*
 * [conv(item) for item in items[0:num]], items being num elements of
 * size bytes each; NULL with an exception.
 */
static PyObject *py_list_of(PyObject *(*conv)(const void *item),
			    const void *items,
			    size_t size,
			    size_t num)
{
	PyObject *list = NULL;
	size_t i;

	list = PyList_New((Py_ssize_t)num);
	if (list == NULL) {
		return NULL;
	}
	for (i = 0; i < num; i++) {
		PyObject *item = conv((const char *)items + i * size);

		if (item == NULL) {
			Py_DECREF(list);
			return NULL;
		}
		PyList_SET_ITEM(list, (Py_ssize_t)i, item);
	}
	return list;
}

#define PY_LIST_OF(conv, items, num) \
	py_list_of(conv, (items), sizeof(*(items)), (num))

/* remove runs no uniqueness check: its reports carry no conflict */
static PyObject *py_spn_report(const struct spnpool_spn_report *r,
			       bool checked)
{
	PyObject *d = NULL;
	bool ok;

	d = PyDict_New();
	if (d == NULL) {
		return NULL;
	}
	ok = dict_set_str(d, "spn", r->spn) &&
	     dict_set_str(d, "stored", r->stored) &&
	     dict_set_str(d, "state", spnpool_state_name(r->state)) &&
	     dict_set_str(d, "conflict",
			  checked ? spnpool_conflict_name(r->conflict)
				  : NULL) &&
	     dict_set_str(d, "holder_dn", r->holder_dn) &&
	     dict_set_str(d, "holder_value", r->holder_value);
	if (!ok) {
		Py_DECREF(d);
		return NULL;
	}
	return d;
}

static PyObject *py_op_result(const char *operation,
			      const struct spnpool_op_result *res)
{
	PyObject *d = NULL;
	PyObject *spns = NULL;
	size_t i;
	bool ok;

	spns = PyList_New((Py_ssize_t)res->num_spns);
	if (spns == NULL) {
		return NULL;
	}
	for (i = 0; i < res->num_spns; i++) {
		PyObject *r = py_spn_report(&res->spns[i],
					     strcmp(operation, "remove") != 0);

		if (r == NULL) {
			Py_DECREF(spns);
			return NULL;
		}
		PyList_SET_ITEM(spns, (Py_ssize_t)i, r);
	}

	d = PyDict_New();
	if (d == NULL) {
		Py_DECREF(spns);
		return NULL;
	}
	ok = dict_set_str(d, "operation", operation) &&
	     dict_set_bool(d, "dry_run", res->dry_run) &&
	     dict_set_bool(d, "changed", res->changed) &&
	     dict_set_steal(d, "account", py_account(res->account)) &&
	     dict_set_steal(d, "spns", spns);
	if (!ok) {
		Py_DECREF(d);
		return NULL;
	}
	return d;
}

static PyObject *py_list_entry(const struct spnpool_list_entry *e)
{
	PyObject *d = NULL;
	bool ok;

	d = PyDict_New();
	if (d == NULL) {
		return NULL;
	}
	ok = dict_set_str(d, "spn", e->spn) &&
	     dict_set_str(d, "dn", e->dn) &&
	     dict_set_str(d, "sam_account_name", e->sam_account_name) &&
	     dict_set_str(d, "via", spnpool_via_name(e->via));
	if (!ok) {
		Py_DECREF(d);
		return NULL;
	}
	return d;
}

static PyObject *py_list_entry_item(const void *item)
{
	return py_list_entry(item);
}

static PyObject *py_list_result(const struct spnpool_list_result *res)
{
	PyObject *d = NULL;
	PyObject *entries = NULL;
	bool ok;

	entries = PY_LIST_OF(py_list_entry_item, res->entries,
			     res->num_entries);
	if (entries == NULL) {
		return NULL;
	}

	d = PyDict_New();
	if (d == NULL) {
		Py_DECREF(entries);
		return NULL;
	}
	ok = dict_set_steal(d, "account", py_account(res->account)) &&
	     dict_set_steal(d, "entries", entries);
	if (!ok) {
		Py_DECREF(d);
		return NULL;
	}
	return d;
}

/*
 * Raise SpnPoolError(ldb_ret, msg) with .exit_code and .result.  msg
 * NULL or empty: ldb's name of the code.  result may be NULL (then
 * .result is None); it is not stolen.  Always returns NULL.
 */
static PyObject *raise_spnpool_message(int ldb_ret,
				       const char *msg,
				       PyObject *result)
{
	PyObject *exc = NULL;
	PyObject *exit_code = NULL;
	bool ok;

	if (msg == NULL || msg[0] == '\0') {
		msg = ldb_strerror(ldb_ret);
	}

	exc = PyObject_CallFunction(spnpool_error, "(iN)", ldb_ret,
				    py_str_or_none(msg));
	if (exc == NULL) {
		return NULL;
	}
	exit_code = PyLong_FromLong(spnpool_exit_code(ldb_ret));
	if (exit_code == NULL) {
		Py_DECREF(exc);
		return NULL;
	}
	ok = PyObject_SetAttrString(exc, "exit_code", exit_code) == 0 &&
	     PyObject_SetAttrString(exc, "result",
				    result != NULL ? result : Py_None) == 0;
	Py_DECREF(exit_code);
	if (!ok) {
		Py_DECREF(exc);
		return NULL;
	}
	PyErr_SetObject(spnpool_error, exc);
	Py_DECREF(exc);
	return NULL;
}

/* raise_spnpool_message() with ldb_errstring(ldb) as the message. */
static PyObject *raise_spnpool_error(struct ldb_context *ldb,
				     int ldb_ret,
				     PyObject *result)
{
	return raise_spnpool_message(ldb_ret,
				     ldb != NULL ? ldb_errstring(ldb) : NULL,
				     result);
}

/* ------------------------------------------------------------------ */
/* Python values to C                                                  */
/* ------------------------------------------------------------------ */

/*
 * Borrowing the ldb context of a Python ldb.Ldb (a SamDB).
 *
 * pyldb hands out no public way to do this from Samba 4.21 on (pyldb.h
 * and libpyldb-util became private), so the glue reads pyldb's object
 * layout itself.  The layout below is PyLdbObject as Samba 4.17 to 4.25
 * define it (docs/design.md, "Samba interfaces").  Nothing is trusted
 * blindly:
 *  - at import, the ldb.Ldb type must be a type whose instance size is
 *    exactly this struct's (a different layout refuses the import);
 *  - per call, the object must be an instance of that very type or of a
 *    subclass (CPython subclasses extend the base layout, never change it);
 *  - the pointer read must be a live talloc chunk named "struct
 *    ldb_context" whose parent is the object's own mem_ctx, as pyldb
 *    creates it.
 */
struct pyldb_ldb_layout {
	PyObject_HEAD
	TALLOC_CTX *mem_ctx;
	struct ldb_context *ldb_ctx;
};

static PyTypeObject *ldb_type = NULL;

/* ldb.Ldb, checked; false with ImportError set if it is not as expected. */
static bool load_ldb_type(void)
{
	PyObject *ldb_mod = NULL;
	PyObject *type = NULL;

	ldb_mod = PyImport_ImportModule("ldb");
	if (ldb_mod == NULL) {
		return false;
	}
	type = PyObject_GetAttrString(ldb_mod, "Ldb");
	Py_DECREF(ldb_mod);
	if (type == NULL) {
		return false;
	}
	if (!PyType_Check(type) ||
	    ((PyTypeObject *)type)->tp_basicsize !=
		    (Py_ssize_t)sizeof(struct pyldb_ldb_layout)) {
		PyErr_Format(PyExc_ImportError,
			     "ldb.Ldb has an unexpected object layout (size "
			     "%zd, expected %zu): its ldb context cannot be "
			     "borrowed safely with this Samba",
			     PyType_Check(type) ?
				     ((PyTypeObject *)type)->tp_basicsize :
				     (Py_ssize_t)-1,
			     sizeof(struct pyldb_ldb_layout));
		Py_DECREF(type);
		return false;
	}
	ldb_type = (PyTypeObject *)type;
	return true;
}

/* The SamDB's ldb context, or NULL with TypeError set. */
static struct ldb_context *ldb_from_py(PyObject *py_ldb)
{
	const struct pyldb_ldb_layout *obj = NULL;
	struct ldb_context *ldb = NULL;

	if (!PyObject_TypeCheck(py_ldb, ldb_type)) {
		PyErr_Format(PyExc_TypeError,
			     "samdb must be an ldb.Ldb (a SamDB), not %s",
			     Py_TYPE(py_ldb)->tp_name);
		return NULL;
	}
	obj = (const struct pyldb_ldb_layout *)py_ldb;
	if (obj->mem_ctx == NULL || obj->ldb_ctx == NULL ||
	    talloc_parent(obj->ldb_ctx) != obj->mem_ctx) {
		PyErr_Format(PyExc_TypeError,
			     "samdb (%s) holds no ldb context of its own",
			     Py_TYPE(py_ldb)->tp_name);
		return NULL;
	}
	ldb = talloc_get_type(obj->ldb_ctx, struct ldb_context);
	if (ldb == NULL) {
		PyErr_Format(PyExc_TypeError,
			     "samdb (%s) holds a \"%s\", not an ldb context",
			     Py_TYPE(py_ldb)->tp_name,
			     talloc_get_name(obj->ldb_ctx));
		return NULL;
	}
	return ldb;
}

/* A str without embedded NUL as a talloc copy; NULL with an exception. */
static const char *text_from_py(TALLOC_CTX *mem_ctx,
				PyObject *obj,
				const char *what)
{
	const char *utf8 = NULL;
	char *copy = NULL;
	Py_ssize_t len;

	if (!PyUnicode_Check(obj)) {
		PyErr_Format(PyExc_TypeError, "%s must be str, not %s", what,
			     Py_TYPE(obj)->tp_name);
		return NULL;
	}
	utf8 = PyUnicode_AsUTF8AndSize(obj, &len);
	if (utf8 == NULL) {
		return NULL;
	}
	if (strlen(utf8) != (size_t)len) {
		PyErr_Format(PyExc_ValueError, "%s contains a NUL character",
			     what);
		return NULL;
	}
	copy = talloc_strndup(mem_ctx, utf8, (size_t)len);
	if (copy == NULL) {
		PyErr_NoMemory();
	}
	return copy;
}

/*
 * The port as decimal text: None gives NULL, an int its str(), a str
 * itself.  The library decides what is valid ("08" is not).
 */
static bool port_from_py(TALLOC_CTX *mem_ctx,
			 PyObject *obj,
			 const char **_port)
{
	PyObject *text = NULL;
	const char *port = NULL;

	*_port = NULL;
	if (obj == NULL || obj == Py_None) {
		return true;
	}
	if (PyBool_Check(obj)) {
		PyErr_SetString(PyExc_TypeError,
				"port must be int, str or None, not bool");
		return false;
	}
	if (PyLong_Check(obj)) {
		text = PyObject_Str(obj);
		if (text == NULL) {
			return false;
		}
		port = text_from_py(mem_ctx, text, "port");
		Py_DECREF(text);
	} else if (PyUnicode_Check(obj)) {
		port = text_from_py(mem_ctx, obj, "port");
	} else {
		PyErr_Format(PyExc_TypeError,
			     "port must be int, str or None, not %s",
			     Py_TYPE(obj)->tp_name);
		return false;
	}
	if (port == NULL) {
		return false;
	}
	*_port = port;
	return true;
}

/* A list or tuple of str as a talloc array of copies; what and
 * item_what name the argument and its items in messages. */
static bool strings_from_py(TALLOC_CTX *mem_ctx,
			    PyObject *obj,
			    const char *what,
			    const char *item_what,
			    const char ***_strings,
			    size_t *_num)
{
	const char **hosts = NULL;
	Py_ssize_t i, n;

	if (!PyList_Check(obj) && !PyTuple_Check(obj)) {
		PyErr_Format(PyExc_TypeError,
			     "%s must be a list of str, not %s", what,
			     Py_TYPE(obj)->tp_name);
		return false;
	}
	n = PySequence_Size(obj);
	if (n < 0) {
		return false;
	}
	hosts = talloc_zero_array(mem_ctx, const char *, (size_t)n + 1);
	if (hosts == NULL) {
		PyErr_NoMemory();
		return false;
	}
	for (i = 0; i < n; i++) {
		PyObject *item = PySequence_GetItem(obj, i);

		if (item == NULL) {
			return false;
		}
		hosts[i] = text_from_py(hosts, item, item_what);
		Py_DECREF(item);
		if (hosts[i] == NULL) {
			return false;
		}
	}
	*_strings = hosts;
	*_num = (size_t)n;
	return true;
}

static bool hosts_from_py(TALLOC_CTX *mem_ctx,
			  PyObject *obj,
			  const char ***_hosts,
			  size_t *_num)
{
	return strings_from_py(mem_ctx, obj, "hosts", "each host", _hosts,
			       _num);
}

/* ------------------------------------------------------------------ */
/* add / remove                                                        */
/* ------------------------------------------------------------------ */

/*
 * dir on ldb, with a peer directory (spnpool_dir_add_peer()) for each
 * SamDB of py_peers (None or a sequence): the other writable DCs whose
 * holders count too.  A peer that cannot be read fails the call with the
 * peer's error, on ldb.  Returns -1 with a Python exception for a peer
 * that is no SamDB, else an LDB code.
 */
static int open_dir_with_peers(TALLOC_CTX *mem_ctx,
			       struct ldb_context *ldb,
			       bool local,
			       PyObject *py_peers,
			       struct spnpool_dir **_dir)
{
	struct spnpool_dir *dir = NULL;
	PyObject *seq = NULL;
	Py_ssize_t i;
	int ret;

	if (py_peers != NULL && py_peers != Py_None) {
		seq = PySequence_Fast(py_peers, "peers must be a sequence");
		if (seq == NULL) {
			return -1;
		}
		for (i = 0; i < PySequence_Fast_GET_SIZE(seq); i++) {
			if (ldb_from_py(PySequence_Fast_GET_ITEM(seq, i)) ==
			    NULL) {
				Py_DECREF(seq);
				return -1;
			}
		}
	}
	ldb_reset_err_string(ldb);
	ret = spnpool_dir_open(mem_ctx, ldb, local, &dir);
	for (i = 0; ret == LDB_SUCCESS && seq != NULL &&
		    i < PySequence_Fast_GET_SIZE(seq);
	     i++) {
		struct ldb_context *pldb =
			ldb_from_py(PySequence_Fast_GET_ITEM(seq, i));
		struct spnpool_dir *peer = NULL;

		ldb_reset_err_string(pldb);
		ret = spnpool_dir_open(dir, pldb, false, &peer);
		if (ret != LDB_SUCCESS) {
			ldb_asprintf_errstring(ldb, "reading another DC: %s",
					       ldb_errstring(pldb)
						       ? ldb_errstring(pldb)
						       : ldb_strerror(ret));
			break;
		}
		ret = spnpool_dir_add_peer(dir, peer);
	}
	Py_XDECREF(seq);
	if (ret == LDB_SUCCESS) {
		*_dir = dir;
	}
	return ret;
}

typedef int (*spnpool_op_fn)(TALLOC_CTX *mem_ctx,
			     struct spnpool_dir *dir,
			     const struct spnpool_request *req,
			     struct spnpool_op_result **_result);

static PyObject *run_op(const char *operation,
			spnpool_op_fn op,
			PyObject *py_ldb,
			const char *identity,
			PyObject *py_hosts,
			PyObject *py_port,
			const char *server,
			bool move,
			bool dry_run,
			bool local,
			PyObject *py_peers,
			bool allow_privileged)
{
	TALLOC_CTX *tmp_ctx = NULL;
	struct ldb_context *ldb = NULL;
	struct spnpool_dir *dir = NULL;
	struct spnpool_request req = {
		.identity = identity,
		.server = server,
		.move = move,
		.dry_run = dry_run,
		.allow_privileged = allow_privileged,
	};
	struct spnpool_op_result *result = NULL;
	const char **hosts = NULL;
	PyObject *py_result = NULL;
	PyObject *ret = NULL;
	int ldb_ret;

	ldb = ldb_from_py(py_ldb);
	if (ldb == NULL) {
		return NULL;
	}
	tmp_ctx = talloc_new(NULL);
	if (tmp_ctx == NULL) {
		return PyErr_NoMemory();
	}
	if (!hosts_from_py(tmp_ctx, py_hosts, &hosts, &req.num_hosts)) {
		goto done;
	}
	req.hosts = hosts;
	if (!port_from_py(tmp_ctx, py_port, &req.port)) {
		goto done;
	}

	/* A message left over from an earlier call must not be ours. */
	ldb_ret = open_dir_with_peers(tmp_ctx, ldb, local, py_peers, &dir);
	if (ldb_ret == -1) {
		goto done;
	}
	if (ldb_ret != LDB_SUCCESS) {
		raise_spnpool_error(ldb, ldb_ret, NULL);
		goto done;
	}
	ldb_ret = op(tmp_ctx, dir, &req, &result);
	if (result != NULL) {
		py_result = py_op_result(operation, result);
		if (py_result == NULL) {
			goto done;
		}
	}
	if (ldb_ret != LDB_SUCCESS) {
		raise_spnpool_error(ldb, ldb_ret, py_result);
		goto done;
	}
	if (py_result == NULL) {
		PyErr_Format(PyExc_RuntimeError,
			     "spnpool %s succeeded without a result",
			     operation);
		goto done;
	}
	ret = py_result;
	py_result = NULL;
done:
	Py_XDECREF(py_result);
	talloc_free(tmp_ctx);
	return ret;
}

PyDoc_STRVAR(py_add_doc,
"add(samdb, identity, hosts, port=None, server=None, move=False,\n"
"    dry_run=False, local=False, peers=None,\n"
"    allow_privileged=False) -> dict\n"
"\n"
"Make IDENTITY hold http/<NetBIOS> and http/<FQDN> for every host in\n"
"hosts (and the :port forms when port is given as int or decimal str),\n"
"after checking that no other account holds them or a HOST/ alias of\n"
"them.  server names the web server for built-in IIS identities; move\n"
"takes SPNs from their current holder; dry_run writes nothing; local\n"
"says samdb is a local sam.ldb (real transactions); peers are SamDBs of\n"
"the other writable DCs, whose holders count as well (before and after\n"
"the write).  A privileged\n"
"account (krbtgt, a DC, a protected admin, Guest, disabled) is refused\n"
"with exit_code 9 unless allow_privileged; account['privileged'] says\n"
"why it is one.\n"
"\n"
"Returns {'operation', 'dry_run', 'changed', 'account', 'spns'}.\n"
"Raises SpnPoolError (an ldb.LdbError) with .exit_code and .result\n"
"(the report, e.g. the holders on a conflict, or None).");

static PyObject *py_add(PyObject *self, PyObject *args, PyObject *kwargs)
{
	static const char *kwnames[] = {
		"samdb", "identity", "hosts", "port", "server", "move",
		"dry_run", "local", "peers", "allow_privileged", NULL
	};
	PyObject *py_peers = Py_None;
	PyObject *py_ldb = NULL;
	PyObject *py_hosts = NULL;
	PyObject *py_port = Py_None;
	const char *identity = NULL;
	const char *server = NULL;
	int move = 0;
	int dry_run = 0;
	int local = 0;
	int allow_privileged = 0;

	(void)self;
	if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OsO|OzpppOp:add",
					 (char **)discard_const(kwnames),
					 &py_ldb, &identity, &py_hosts,
					 &py_port, &server, &move, &dry_run,
					 &local, &py_peers, &allow_privileged)) {
		return NULL;
	}
	return run_op("add", spnpool_op_add, py_ldb, identity, py_hosts,
		      py_port, server, move, dry_run, local, py_peers,
		      allow_privileged);
}

PyDoc_STRVAR(py_remove_doc,
"remove(samdb, identity, hosts, port=None, server=None, dry_run=False,\n"
"       local=False, peers=None) -> dict\n"
"\n"
"Take exactly http/<NetBIOS> and http/<FQDN> of every host (with a port:\n"
"only the :port forms) off IDENTITY, whatever letter case they are\n"
"stored in, in one modify.  SPNs the account does not hold are reported\n"
"as 'absent', not an error.\n"
"\n"
"Returns {'operation', 'dry_run', 'changed', 'account', 'spns'}.\n"
"Raises SpnPoolError (an ldb.LdbError) with .exit_code and .result.");

static PyObject *py_remove(PyObject *self, PyObject *args, PyObject *kwargs)
{
	static const char *kwnames[] = {
		"samdb", "identity", "hosts", "port", "server", "dry_run",
		"local", "peers", NULL
	};
	PyObject *py_peers = Py_None;
	PyObject *py_ldb = NULL;
	PyObject *py_hosts = NULL;
	PyObject *py_port = Py_None;
	const char *identity = NULL;
	const char *server = NULL;
	int dry_run = 0;
	int local = 0;

	(void)self;
	if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OsO|OzppO:remove",
					 (char **)discard_const(kwnames),
					 &py_ldb, &identity, &py_hosts,
					 &py_port, &server, &dry_run,
					 &local, &py_peers)) {
		return NULL;
	}
	return run_op("remove", spnpool_op_remove, py_ldb, identity,
		      py_hosts, py_port, server, false, dry_run, local,
		      py_peers, false);
}

/* ------------------------------------------------------------------ */
/* list                                                                */
/* ------------------------------------------------------------------ */

PyDoc_STRVAR(py_list_doc,
"list(samdb, identity=None, host=None, server=None, local=False) -> dict\n"
"\n"
"With identity: the account's HTTP SPNs.  With host: everyone who\n"
"answers for that host's HTTP SPNs (explicit holders, HOST/ alias\n"
"holders and the computer named like the host).  Give exactly one.\n"
"\n"
"Returns {'account': dict or None, 'entries': [{'spn', 'dn',\n"
"'sam_account_name', 'via'}]}.  Raises SpnPoolError.");

static PyObject *py_list(PyObject *self, PyObject *args, PyObject *kwargs)
{
	static const char *kwnames[] = {
		"samdb", "identity", "host", "server", "local", NULL
	};
	TALLOC_CTX *tmp_ctx = NULL;
	struct ldb_context *ldb = NULL;
	struct spnpool_dir *dir = NULL;
	struct spnpool_list_result *result = NULL;
	PyObject *py_ldb = NULL;
	PyObject *ret = NULL;
	const char *identity = NULL;
	const char *host = NULL;
	const char *server = NULL;
	int local = 0;
	int ldb_ret;

	(void)self;
	if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O|zzzp:list",
					 (char **)discard_const(kwnames),
					 &py_ldb, &identity, &host, &server,
					 &local)) {
		return NULL;
	}
	ldb = ldb_from_py(py_ldb);
	if (ldb == NULL) {
		return NULL;
	}
	tmp_ctx = talloc_new(NULL);
	if (tmp_ctx == NULL) {
		return PyErr_NoMemory();
	}

	ldb_reset_err_string(ldb);
	ldb_ret = spnpool_dir_open(tmp_ctx, ldb, local, &dir);
	if (ldb_ret != LDB_SUCCESS) {
		raise_spnpool_error(ldb, ldb_ret, NULL);
		goto done;
	}
	ldb_ret = spnpool_op_list(tmp_ctx, dir, identity, server, host,
				  &result);
	if (ldb_ret != LDB_SUCCESS) {
		raise_spnpool_error(ldb, ldb_ret, NULL);
		goto done;
	}
	if (result == NULL) {
		PyErr_SetString(PyExc_RuntimeError,
				"spnpool list succeeded without a result");
		goto done;
	}
	ret = py_list_result(result);
done:
	talloc_free(tmp_ctx);
	return ret;
}

/* ------------------------------------------------------------------ */
/* check                                                               */
/* ------------------------------------------------------------------ */

/*
 * The header has no count member for these enums; the last value is
 * named here so that a new one is a one-line change (and the tables
 * below stay in enum order, which is the order of the public names).
 */
#define FINDING_LAST (SPNPOOL_FINDING_KIND_COUNT - 1)

static PyObject *py_check_result(const char *target,
				 const struct spnpool_check_result *res)
{
	PyObject *d = py_from_table(&check_table, res);

	if (d == NULL) {
		return NULL;
	}
	if (!dict_set_str(d, "target", target) ||
	    (res->other != NULL &&
	     !dict_set_steal(d, "other",
			     py_check_result(target, res->other)))) {
		Py_DECREF(d);
		return NULL;
	}
	return d;
}

PyDoc_STRVAR(py_check_doc,
"check(samdb, target, identity, server=None, kernel_mode=False,\n"
"      include_port=False, local=False, client='browser') -> dict\n"
"\n"
"Predict what a browser gets for target (a URL or host name) when the\n"
"application pool runs as identity: the SPN it requests (after CNAMEs in\n"
"the AD-integrated DNS zones), who the KDC picks for it, and the verdict\n"
"with the reason and the commands that fix it.  server names the web\n"
"server (built-in IIS identities, kernel_mode); kernel_mode means IIS\n"
"kernel-mode authentication without useAppPoolCredentials (the machine\n"
"account must answer); include_port means the client puts a non-default\n"
"port into the SPN; client is the client model: 'browser' (short names\n"
"get the domain, CNAMEs are followed) or 'as-typed'.\n"
"\n"
"Returns {'target', 'host', 'port' (0: default), 'cname_chain', 'spn',\n"
"'pool', 'expected', 'answerers': [{'dn', 'sam_account_name', 'value',\n"
"'via'}], 'verdict', 'exit_code', 'reason', 'fixes', 'client', 'kdc',\n"
"'other'}; 'other' is the same dict (without 'other') under the other\n"
"client model.  A verdict is a\n"
"result, not an error; raises SpnPoolError when the check cannot be made\n"
"(bad input, identity not found, directory errors).");

static PyObject *py_check(PyObject *self, PyObject *args, PyObject *kwargs)
{
	static const char *kwnames[] = {
		"samdb", "target", "identity", "server", "kernel_mode",
		"include_port", "local", "client", NULL
	};
	TALLOC_CTX *tmp_ctx = NULL;
	struct ldb_context *ldb = NULL;
	struct spnpool_dir *dir = NULL;
	struct spnpool_check_request req = { 0 };
	struct spnpool_check_result *result = NULL;
	PyObject *py_ldb = NULL;
	PyObject *py_result = NULL;
	PyObject *ret = NULL;
	const char *target = NULL;
	const char *identity = NULL;
	const char *server = NULL;
	int kernel_mode = 0;
	int include_port = 0;
	int local = 0;
	const char *client = "browser";
	int ldb_ret;

	(void)self;
	if (!PyArg_ParseTupleAndKeywords(args, kwargs, "Oss|zppps:check",
					 (char **)discard_const(kwnames),
					 &py_ldb, &target, &identity, &server,
					 &kernel_mode, &include_port, &local,
					 &client)) {
		return NULL;
	}
	if (strcmp(client, spnpool_client_model_name(
				   SPNPOOL_CLIENT_BROWSER)) == 0) {
		req.client = SPNPOOL_CLIENT_BROWSER;
	} else if (strcmp(client, spnpool_client_model_name(
					  SPNPOOL_CLIENT_AS_TYPED)) == 0) {
		req.client = SPNPOOL_CLIENT_AS_TYPED;
	} else {
		PyErr_Format(PyExc_ValueError,
			     "client must be 'browser' or 'as-typed', not '%s'",
			     client);
		return NULL;
	}
	ldb = ldb_from_py(py_ldb);
	if (ldb == NULL) {
		return NULL;
	}
	tmp_ctx = talloc_new(NULL);
	if (tmp_ctx == NULL) {
		return PyErr_NoMemory();
	}
	req.target = target;
	req.identity = identity;
	req.server = server;
	req.kernel_mode = kernel_mode;
	req.include_port = include_port;

	ldb_reset_err_string(ldb);
	ldb_ret = spnpool_dir_open(tmp_ctx, ldb, local, &dir);
	if (ldb_ret != LDB_SUCCESS) {
		raise_spnpool_error(ldb, ldb_ret, NULL);
		goto done;
	}
	ldb_ret = spnpool_op_check(tmp_ctx, dir, &req, &result);
	if (result != NULL) {
		py_result = py_check_result(target, result);
		if (py_result == NULL) {
			goto done;
		}
	}
	if (ldb_ret != LDB_SUCCESS) {
		raise_spnpool_error(ldb, ldb_ret, py_result);
		goto done;
	}
	if (py_result == NULL) {
		PyErr_SetString(PyExc_RuntimeError,
				"spnpool check succeeded without a result");
		goto done;
	}
	ret = py_result;
	py_result = NULL;
done:
	Py_XDECREF(py_result);
	talloc_free(tmp_ctx);
	return ret;
}

/* ------------------------------------------------------------------ */
/* audit                                                               */
/* ------------------------------------------------------------------ */

static PyObject *py_finding(const struct spnpool_finding *f)
{
	return py_from_table(&finding_table, f);
}

static PyObject *py_audit_result(const struct spnpool_audit_result *res)
{
	size_t counts[FINDING_LAST + 1] = { 0 };
	PyObject *d = NULL;
	PyObject *findings = NULL;
	PyObject *py_counts = NULL;
	size_t i;
	bool ok;

	findings = PyList_New((Py_ssize_t)res->num_findings);
	if (findings == NULL) {
		return NULL;
	}
	for (i = 0; i < res->num_findings; i++) {
		const struct spnpool_finding *f = &res->findings[i];
		PyObject *py_f = NULL;

		if ((unsigned)f->kind > FINDING_LAST) {
			PyErr_Format(PyExc_RuntimeError,
				     "spnpool audit returned a finding of "
				     "unknown kind %d", (int)f->kind);
			Py_DECREF(findings);
			return NULL;
		}
		counts[f->kind]++;
		py_f = py_finding(f);
		if (py_f == NULL) {
			Py_DECREF(findings);
			return NULL;
		}
		PyList_SET_ITEM(findings, (Py_ssize_t)i, py_f);
	}

	py_counts = PyDict_New();
	if (py_counts == NULL) {
		Py_DECREF(findings);
		return NULL;
	}
	ok = true;
	for (i = 0; ok && i <= FINDING_LAST; i++) {
		ok = dict_set_steal(py_counts,
				    spnpool_finding_name(
					    (enum spnpool_finding_kind)i),
				    PyLong_FromSize_t(counts[i]));
	}
	if (!ok) {
		Py_DECREF(py_counts);
		Py_DECREF(findings);
		return NULL;
	}

	d = PyDict_New();
	if (d == NULL) {
		Py_DECREF(py_counts);
		Py_DECREF(findings);
		return NULL;
	}
	ok = dict_set_steal(d, "entries_read",
			    PyLong_FromUnsignedLongLong(res->entries_read)) &&
	     dict_set_steal(d, "values_read",
			    PyLong_FromUnsignedLongLong(res->values_read)) &&
	     dict_set_steal(d, "distinct_spns",
			    PyLong_FromUnsignedLongLong(res->distinct_spns)) &&
	     dict_set_steal(d, "findings", findings) &&
	     dict_set_steal(d, "counts", py_counts);
	if (!ok) {
		Py_DECREF(d);
		return NULL;
	}
	return d;
}

/*
 * The Python progress callable and the first exception it raised.  The
 * library cannot be told to stop, so after a failure the callable is not
 * called again and the exception is re-raised once the scan returns.
 */
struct audit_progress {
	PyObject *callable;
	PyObject *exc_type;
	PyObject *exc_value;
	PyObject *exc_tb;
};

static void audit_progress_cb(void *private_data,
			      uint64_t entries,
			      uint64_t values)
{
	struct audit_progress *p = private_data;
	PyObject *ret = NULL;

	if (p->exc_type != NULL) {
		return;
	}
	/* We still hold the GIL: the scan runs inside our C call. */
	ret = PyObject_CallFunction(p->callable, "KK",
				    (unsigned long long)entries,
				    (unsigned long long)values);
	if (ret == NULL) {
		PyErr_Fetch(&p->exc_type, &p->exc_value, &p->exc_tb);
		if (p->exc_type == NULL) {
			/* NULL without an exception: make one. */
			p->exc_type = PyExc_SystemError;
			Py_INCREF(p->exc_type);
		}
		return;
	}
	Py_DECREF(ret);
}

/* unsigned from an int (not a bool) in 0..UINT_MAX; false with exception. */
static bool page_size_from_py(PyObject *obj, unsigned *_page_size)
{
	unsigned long value;

	*_page_size = 0;
	if (obj == NULL || obj == Py_None) {
		return true;
	}
	if (PyBool_Check(obj) || !PyLong_Check(obj)) {
		PyErr_Format(PyExc_TypeError,
			     "page_size must be int, not %s",
			     Py_TYPE(obj)->tp_name);
		return false;
	}
	value = PyLong_AsUnsignedLong(obj);
	if (value == (unsigned long)-1 && PyErr_Occurred()) {
		PyErr_Clear();
		value = (unsigned long)UINT_MAX + 1;
	}
	if (value > UINT_MAX) {
		PyErr_Format(PyExc_ValueError,
			     "page_size must be from 0 (the default) to %u",
			     UINT_MAX);
		return false;
	}
	*_page_size = (unsigned)value;
	return true;
}

PyDoc_STRVAR(py_audit_doc,
"audit(samdb, all_classes=False, page_size=0, progress=None,\n"
"      local=False, max_password_age=0) -> dict\n"
"\n"
"Scan every naming context once (paged searches of page_size entries,\n"
"0: the library's default) and report every SPN held by several\n"
"accounts (HTTP only unless all_classes), every http/X that shadows\n"
"host/X of another account, every half registration (only one of the\n"
"NetBIOS and FQDN forms), every HTTP SPN on a disabled account and\n"
"every user holding HTTP SPNs whose tickets are cheap to crack\n"
"(kerberoastable: RC4 allowed and a password older than\n"
"max_password_age days, 0: 365; not computers, MSAs or gMSAs).\n"
"progress, if given, is called as progress(entries, values) every so\n"
"often during the scan; if it raises, the scan still runs to its end\n"
"(the library cannot be interrupted) and the exception is raised then.\n"
"\n"
"Returns {'entries_read', 'values_read', 'distinct_spns', 'findings':\n"
"[{'kind', 'spn', 'dns', 'detail', 'fix'}], 'counts': {kind: n} (every\n"
"kind, zeros included)}.  Raises SpnPoolError.");

static PyObject *py_audit(PyObject *self, PyObject *args, PyObject *kwargs)
{
	static const char *kwnames[] = {
		"samdb", "all_classes", "page_size", "progress", "local",
		"max_password_age", NULL
	};
	TALLOC_CTX *tmp_ctx = NULL;
	struct ldb_context *ldb = NULL;
	struct spnpool_dir *dir = NULL;
	struct spnpool_audit_request req = { 0 };
	struct spnpool_audit_result *result = NULL;
	struct audit_progress progress = { 0 };
	PyObject *py_ldb = NULL;
	PyObject *py_page_size = Py_None;
	PyObject *py_progress = Py_None;
	PyObject *ret = NULL;
	int all_classes = 0;
	int local = 0;
	unsigned int max_age = 0;
	int ldb_ret;

	(void)self;
	if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O|pOOpI:audit",
					 (char **)discard_const(kwnames),
					 &py_ldb, &all_classes, &py_page_size,
					 &py_progress, &local, &max_age)) {
		return NULL;
	}
	req.max_password_age_days = max_age;
	ldb = ldb_from_py(py_ldb);
	if (ldb == NULL) {
		return NULL;
	}
	req.all_classes = all_classes;
	if (!page_size_from_py(py_page_size, &req.page_size)) {
		return NULL;
	}
	if (py_progress != Py_None) {
		if (!PyCallable_Check(py_progress)) {
			PyErr_Format(PyExc_TypeError,
				     "progress must be callable or None, "
				     "not %s", Py_TYPE(py_progress)->tp_name);
			return NULL;
		}
		progress.callable = py_progress;
		req.progress = audit_progress_cb;
		req.progress_data = &progress;
	}
	tmp_ctx = talloc_new(NULL);
	if (tmp_ctx == NULL) {
		return PyErr_NoMemory();
	}

	ldb_reset_err_string(ldb);
	ldb_ret = spnpool_dir_open(tmp_ctx, ldb, local, &dir);
	if (ldb_ret != LDB_SUCCESS) {
		raise_spnpool_error(ldb, ldb_ret, NULL);
		goto done;
	}
	ldb_ret = spnpool_op_audit(tmp_ctx, dir, &req, &result);
	if (progress.exc_type != NULL) {
		/* The caller's exception wins over the scan's outcome. */
		PyErr_Restore(progress.exc_type, progress.exc_value,
			      progress.exc_tb);
		progress.exc_type = NULL;
		progress.exc_value = NULL;
		progress.exc_tb = NULL;
		goto done;
	}
	if (ldb_ret != LDB_SUCCESS) {
		raise_spnpool_error(ldb, ldb_ret, NULL);
		goto done;
	}
	if (result == NULL) {
		PyErr_SetString(PyExc_RuntimeError,
				"spnpool audit succeeded without a result");
		goto done;
	}
	ret = py_audit_result(result);
done:
	talloc_free(tmp_ctx);
	return ret;
}

/* ------------------------------------------------------------------ */
/* web server configuration: IIS applicationHost.config, pools files  */
/* ------------------------------------------------------------------ */

/* The IIS spelling of processModel identityType; public in JSON. */
static const char *identity_type_name(enum spnpool_pool_identity_type t)
{
	switch (t) {
	case SPNPOOL_POOL_SPECIFIC_USER:
		return "SpecificUser";
	case SPNPOOL_POOL_NETWORK_SERVICE:
		return "NetworkService";
	case SPNPOOL_POOL_LOCAL_SYSTEM:
		return "LocalSystem";
	case SPNPOOL_POOL_APP_POOL_IDENTITY:
		return "ApplicationPoolIdentity";
	case SPNPOOL_POOL_LOCAL_SERVICE:
		return "LocalService";
	}
	return "unknown";
}

static PyObject *py_web_binding(const struct spnpool_web_binding *b)
{
	PyObject *d = NULL;
	bool ok;

	d = PyDict_New();
	if (d == NULL) {
		return NULL;
	}
	ok = dict_set_str(d, "site", b->site) &&
	     dict_set_str(d, "site_id", b->site_id) &&
	     dict_set_str(d, "app_path", b->app_path) &&
	     dict_set_str(d, "pool", b->pool) &&
	     dict_set_str(d, "identity_type",
			  identity_type_name(b->identity_type)) &&
	     dict_set_str(d, "user_name", b->user_name) &&
	     dict_set_str(d, "host", b->host) &&
	     dict_set_steal(d, "port", PyLong_FromLong(b->port)) &&
	     dict_set_bool(d, "https", b->https) &&
	     dict_set_bool(d, "windows_auth", b->windows_auth) &&
	     dict_set_bool(d, "negotiate", b->negotiate) &&
	     dict_set_bool(d, "kernel_mode", b->kernel_mode) &&
	     dict_set_bool(d, "use_app_pool_credentials",
			   b->use_app_pool_credentials);
	if (!ok) {
		Py_DECREF(d);
		return NULL;
	}
	return d;
}

static PyObject *py_web_binding_item(const void *item)
{
	return py_web_binding(item);
}

static PyObject *py_web_config(const struct spnpool_web_config *cfg)
{
	PyObject *d = NULL;
	PyObject *bindings = NULL;
	bool ok;

	bindings = PY_LIST_OF(py_web_binding_item, cfg->bindings,
			      cfg->num_bindings);
	if (bindings == NULL) {
		return NULL;
	}
	d = PyDict_New();
	if (d == NULL) {
		Py_DECREF(bindings);
		return NULL;
	}
	ok = dict_set_str(d, "source", cfg->source) &&
	     dict_set_steal(d, "bindings", bindings);
	if (!ok) {
		Py_DECREF(d);
		return NULL;
	}
	return d;
}

enum config_kind {
	CONFIG_IIS,
	CONFIG_POOLS,
};

/*
 * Parse a configuration held in a Py_buffer.  A malformed file raises
 * SpnPoolError(LDB_ERR_INVALID_ATTRIBUTE_SYNTAX) whose message is
 * "FILENAME: line N: what is wrong" (without "FILENAME: " if filename is
 * NULL), so exit code 2.  False with an exception set on failure.
 */
static bool parse_config(TALLOC_CTX *mem_ctx,
			 enum config_kind kind,
			 const Py_buffer *data,
			 const char *filename,
			 struct spnpool_web_config **_config)
{
	struct spnpool_web_config *config = NULL;
	enum spnpool_status st;
	char *error = NULL;
	char *msg = NULL;

	if (kind == CONFIG_IIS) {
		st = spnpool_iis_config_parse(mem_ctx, data->buf,
					      (size_t)data->len, &config,
					      &error);
	} else {
		st = spnpool_pools_file_parse(mem_ctx, data->buf,
					      (size_t)data->len, &config,
					      &error);
	}
	if (st == SPNPOOL_ERR_NO_MEMORY) {
		PyErr_NoMemory();
		return false;
	}
	if (st != SPNPOOL_OK) {
		const char *what = (error != NULL)
					   ? error
					   : spnpool_status_string(st);

		msg = (filename != NULL)
			      ? talloc_asprintf(mem_ctx, "%s: %s", filename,
						what)
			      : talloc_strdup(mem_ctx, what);
		if (msg == NULL) {
			PyErr_NoMemory();
			return false;
		}
		raise_spnpool_message(LDB_ERR_INVALID_ATTRIBUTE_SYNTAX, msg,
				      NULL);
		return false;
	}
	if (config == NULL) {
		PyErr_SetString(PyExc_RuntimeError,
				"spnpool parser succeeded without a result");
		return false;
	}
	*_config = config;
	return true;
}

static bool config_kind_from_py(const char *text, enum config_kind *_kind)
{
	if (strcmp(text, "iis") == 0) {
		*_kind = CONFIG_IIS;
		return true;
	}
	if (strcmp(text, "pools") == 0) {
		*_kind = CONFIG_POOLS;
		return true;
	}
	PyErr_Format(PyExc_ValueError,
		     "kind must be 'iis' or 'pools', not '%s'", text);
	return false;
}

static PyObject *parse_to_py(enum config_kind kind,
			     const Py_buffer *data,
			     const char *filename)
{
	TALLOC_CTX *tmp_ctx = NULL;
	struct spnpool_web_config *config = NULL;
	PyObject *ret = NULL;

	tmp_ctx = talloc_new(NULL);
	if (tmp_ctx == NULL) {
		return PyErr_NoMemory();
	}
	if (parse_config(tmp_ctx, kind, data, filename, &config)) {
		ret = py_web_config(config);
	}
	talloc_free(tmp_ctx);
	return ret;
}

PyDoc_STRVAR(py_parse_iis_config_doc,
"parse_iis_config(data, filename=None) -> dict\n"
"\n"
"Parse an IIS 7+ applicationHost.config (bytes as copied from the web\n"
"server; a str is taken as UTF-8) with libxml2.  DTDs, entities, network\n"
"access, files over 16 MiB and malformed XML are refused.  Nothing is\n"
"read from a directory.\n"
"\n"
"Returns {'source': 'iis', 'bindings': [{'site', 'site_id', 'app_path',\n"
"'pool', 'identity_type', 'user_name', 'host', 'port', 'https',\n"
"'windows_auth', 'negotiate', 'kernel_mode',\n"
"'use_app_pool_credentials'}]}, one binding per name and application.\n"
"Raises SpnPoolError with exit_code 2 and the message 'FILENAME: line N:\n"
"...' for a refused file.");

static PyObject *py_parse_iis_config(PyObject *self, PyObject *args,
				     PyObject *kwargs)
{
	static const char *kwnames[] = { "data", "filename", NULL };
	Py_buffer data = { 0 };
	const char *filename = NULL;
	PyObject *ret = NULL;

	(void)self;
	if (!PyArg_ParseTupleAndKeywords(args, kwargs, "s*|z:parse_iis_config",
					 (char **)discard_const(kwnames),
					 &data, &filename)) {
		return NULL;
	}
	ret = parse_to_py(CONFIG_IIS, &data, filename);
	PyBuffer_Release(&data);
	return ret;
}

PyDoc_STRVAR(py_parse_pools_file_doc,
"parse_pools_file(data, filename=None) -> dict\n"
"\n"
"Parse a pools file (str, or bytes in UTF-8): [pool NAME] sections with\n"
"identity, hosts and ports.  Nothing is read from a directory.\n"
"\n"
"Returns {'source': 'pools', 'bindings': [...]} as parse_iis_config.\n"
"Raises SpnPoolError with exit_code 2 and the message 'FILENAME: line N:\n"
"...' for a refused file.");

static PyObject *py_parse_pools_file(PyObject *self, PyObject *args,
				     PyObject *kwargs)
{
	static const char *kwnames[] = { "data", "filename", NULL };
	Py_buffer data = { 0 };
	const char *filename = NULL;
	PyObject *ret = NULL;

	(void)self;
	if (!PyArg_ParseTupleAndKeywords(args, kwargs, "s*|z:parse_pools_file",
					 (char **)discard_const(kwnames),
					 &data, &filename)) {
		return NULL;
	}
	ret = parse_to_py(CONFIG_POOLS, &data, filename);
	PyBuffer_Release(&data);
	return ret;
}

/* ------------------------------------------------------------------ */
/* plan                                                                */
/* ------------------------------------------------------------------ */

static PyObject *py_plan(const struct spnpool_plan *plan,
			 const char *source,
			 PyObject *py_servers)
{
	PyObject *d = py_from_table(&plan_table, plan);

	if (d == NULL) {
		return NULL;
	}
	if (!dict_set_str(d, "source", source) ||
	    PyDict_SetItemString(d, "servers", py_servers) != 0) {
		Py_DECREF(d);
		return NULL;
	}
	return d;
}

PyDoc_STRVAR(py_plan_doc,
"plan(samdb, kind, data, servers=(), filename=None, local=False,\n"
"     allow_privileged=False) -> dict\n"
"\n"
"Parse data as kind ('iis': an applicationHost.config, 'pools': a pools\n"
"file; bytes, or str taken as UTF-8) and decide, for every name browsers\n"
"use, which account must hold http/<NetBIOS> and http/<FQDN>, compared\n"
"with the directory.  servers names the web server(s) the configuration\n"
"belongs to (their computer accounts serve built-in identities, kernel\n"
"mode and bindings without a host name).  Nothing is written.\n"
"\n"
"Returns {'source', 'servers', 'names': [{'netbios', 'fqdn', 'decision',\n"
"'account_dn', 'account_sam', 'explanation', 'users': [{'server', 'site',\n"
"'app_path', 'pool', 'account_dn', 'account_sam', 'identity',\n"
"'kernel_mode',\n"
"'use_app_pool_credentials'}], 'resolutions': [{'kind', 'summary',\n"
"'tradeoff', 'commands', 'chosen'}], 'privileged', 'iis_commands'}],\n"
"'changes':\n"
"[{'action', 'dn', 'sam_account_name', 'spn', 'reason'}], 'notes'}.\n"
"'changes' is what apply() takes.  Raises SpnPoolError: exit_code 2 for\n"
"a refused file (the message names filename and the line) or bad\n"
"servers, 3 for an identity not found.");

static PyObject *py_plan_fn(PyObject *self, PyObject *args, PyObject *kwargs)
{
	static const char *kwnames[] = {
		"samdb", "kind", "data", "servers", "filename", "local",
		"allow_privileged", NULL
	};
	TALLOC_CTX *tmp_ctx = NULL;
	struct ldb_context *ldb = NULL;
	struct spnpool_dir *dir = NULL;
	struct spnpool_web_config *config = NULL;
	struct spnpool_plan *plan = NULL;
	enum config_kind kind;
	Py_buffer data = { 0 };
	PyObject *py_ldb = NULL;
	PyObject *py_servers = NULL;
	PyObject *servers_list = NULL;
	PyObject *ret = NULL;
	const char *kind_text = NULL;
	const char *filename = NULL;
	const char **servers = NULL;
	size_t num_servers = 0;
	int local = 0;
	int allow_privileged = 0;
	int ldb_ret;

	(void)self;
	if (!PyArg_ParseTupleAndKeywords(args, kwargs, "Oss*|Ozpp:plan",
					 (char **)discard_const(kwnames),
					 &py_ldb, &kind_text, &data,
					 &py_servers, &filename, &local,
					 &allow_privileged)) {
		return NULL;
	}
	tmp_ctx = talloc_new(NULL);
	if (tmp_ctx == NULL) {
		PyErr_NoMemory();
		goto done;
	}
	if (!config_kind_from_py(kind_text, &kind)) {
		goto done;
	}
	ldb = ldb_from_py(py_ldb);
	if (ldb == NULL) {
		goto done;
	}
	if (py_servers == NULL || py_servers == Py_None) {
		servers_list = PyList_New(0);
	} else if (PyUnicode_Check(py_servers) || PyBytes_Check(py_servers)) {
		PyErr_SetString(PyExc_TypeError,
				"servers must be a list of str, not one str");
		goto done;
	} else {
		servers_list = PySequence_List(py_servers);
	}
	if (servers_list == NULL) {
		goto done;
	}
	if (!strings_from_py(tmp_ctx, servers_list, "servers", "each server",
			     &servers, &num_servers)) {
		goto done;
	}
	if (!parse_config(tmp_ctx, kind, &data, filename, &config)) {
		goto done;
	}

	ldb_reset_err_string(ldb);
	ldb_ret = spnpool_dir_open(tmp_ctx, ldb, local, &dir);
	if (ldb_ret != LDB_SUCCESS) {
		raise_spnpool_error(ldb, ldb_ret, NULL);
		goto done;
	}
	ldb_ret = spnpool_op_plan(tmp_ctx, dir, config, servers, num_servers,
				  allow_privileged, &plan);
	if (ldb_ret != LDB_SUCCESS) {
		raise_spnpool_error(ldb, ldb_ret, NULL);
		goto done;
	}
	if (plan == NULL) {
		PyErr_SetString(PyExc_RuntimeError,
				"spnpool plan succeeded without a result");
		goto done;
	}
	ret = py_plan(plan, config->source, servers_list);
done:
	Py_XDECREF(servers_list);
	PyBuffer_Release(&data);
	talloc_free(tmp_ctx);
	return ret;
}

/* ------------------------------------------------------------------ */
/* apply / undo                                                        */
/* ------------------------------------------------------------------ */

#define CHANGE_STATE_LAST SPNPOOL_CHANGE_FAILED

/*
 * One field of a change mapping: a str (copied), or None/absent when
 * optional.  False with an exception set.
 */
static bool change_field(TALLOC_CTX *mem_ctx, PyObject *change, size_t i,
			 const char *key, bool optional, char **_value)
{
	PyObject *obj = NULL;
	char what[64];
	const char *text = NULL;

	*_value = NULL;
	obj = PyMapping_GetItemString(change, key);
	if (obj == NULL) {
		if (!PyErr_ExceptionMatches(PyExc_KeyError)) {
			return false;
		}
		PyErr_Clear();
		if (optional) {
			return true;
		}
		PyErr_Format(PyExc_ValueError, "changes[%zu] has no '%s'", i,
			     key);
		return false;
	}
	if (obj == Py_None && optional) {
		Py_DECREF(obj);
		return true;
	}
	snprintf(what, sizeof(what), "changes[%zu]['%s']", i, key);
	text = text_from_py(mem_ctx, obj, what);
	Py_DECREF(obj);
	if (text == NULL) {
		return false;
	}
	*_value = discard_const(text);
	return true;
}

/* A sequence of {'action', 'dn', 'spn'[, 'sam_account_name', 'reason']}
 * mappings as a talloc array of changes; false with an exception. */
static bool changes_from_py(TALLOC_CTX *mem_ctx,
			    PyObject *obj,
			    struct spnpool_change **_changes,
			    size_t *_num)
{
	struct spnpool_change *changes = NULL;
	PyObject *seq = NULL;
	Py_ssize_t n;
	Py_ssize_t i;
	bool ok = false;

	if (PyUnicode_Check(obj) || PyBytes_Check(obj) || PyDict_Check(obj)) {
		PyErr_Format(PyExc_TypeError,
			     "changes must be a list of dicts, not %s",
			     Py_TYPE(obj)->tp_name);
		return false;
	}
	seq = PySequence_Fast(obj, "changes must be a list of dicts");
	if (seq == NULL) {
		return false;
	}
	n = PySequence_Fast_GET_SIZE(seq);
	changes = talloc_zero_array(mem_ctx, struct spnpool_change,
				    (size_t)n + 1);
	if (changes == NULL) {
		PyErr_NoMemory();
		goto done;
	}
	for (i = 0; i < n; i++) {
		PyObject *item = PySequence_Fast_GET_ITEM(seq, i);
		struct spnpool_change *c = &changes[i];
		char *action = NULL;

		if (!PyMapping_Check(item) || PySequence_Check(item)) {
			PyErr_Format(PyExc_TypeError,
				     "changes[%zd] must be a dict, not %s", i,
				     Py_TYPE(item)->tp_name);
			goto done;
		}
		if (!change_field(changes, item, (size_t)i, "action", false,
				  &action) ||
		    !change_field(changes, item, (size_t)i, "dn", false,
				  &c->dn) ||
		    !change_field(changes, item, (size_t)i, "spn", false,
				  &c->spn) ||
		    !change_field(changes, item, (size_t)i,
				  "sam_account_name", true,
				  &c->sam_account_name) ||
		    !change_field(changes, item, (size_t)i, "reason", true,
				  &c->reason)) {
			goto done;
		}
		if (strcmp(action, "add") == 0) {
			c->action = SPNPOOL_CHANGE_ADD;
		} else if (strcmp(action, "delete") == 0) {
			c->action = SPNPOOL_CHANGE_DELETE;
		} else {
			PyErr_Format(PyExc_ValueError,
				     "changes[%zd]['action'] must be 'add' or "
				     "'delete', not '%s'", i, action);
			goto done;
		}
	}
	*_changes = changes;
	*_num = (size_t)n;
	ok = true;
done:
	Py_DECREF(seq);
	return ok;
}

/* mapping[key] as text (None or absent: NULL when optional); false with
 * an exception. */
static bool mapping_text(TALLOC_CTX *mem_ctx, PyObject *mapping,
			 const char *where, const char *key, bool optional,
			 const char **_value)
{
	PyObject *obj = NULL;
	char what[96];

	*_value = NULL;
	snprintf(what, sizeof(what), "%s['%s']", where, key);
	obj = PyMapping_GetItemString(mapping, key);
	if (obj == NULL) {
		if (!PyErr_ExceptionMatches(PyExc_KeyError) || !optional) {
			if (PyErr_ExceptionMatches(PyExc_KeyError)) {
				PyErr_Format(PyExc_ValueError, "%s is missing",
					     what);
			}
			return false;
		}
		PyErr_Clear();
		return true;
	}
	if (obj == Py_None && optional) {
		Py_DECREF(obj);
		return true;
	}
	*_value = text_from_py(mem_ctx, obj, what);
	Py_DECREF(obj);
	return *_value != NULL;
}

/* A mapping, not a str/bytes/list posing as one. */
static bool is_dict_like(PyObject *obj)
{
	return PyMapping_Check(obj) && !PySequence_Check(obj);
}

/*
 * The scope of a plan from its 'names' ([{'fqdn', 'users': [{'identity',
 * 'server'}]}]); users without an identity serve nobody's tickets and
 * are skipped.  false with an exception.
 */
static bool scope_from_py(TALLOC_CTX *mem_ctx, PyObject *obj,
			  struct spnpool_apply_scope *scope)
{
	struct spnpool_scope_name *names = NULL;
	PyObject *seq = NULL;
	Py_ssize_t n;
	Py_ssize_t i;
	bool ok = false;

	if (obj == NULL || obj == Py_None) {
		return true; /* no names: nothing may change */
	}
	if (PyUnicode_Check(obj) || PyBytes_Check(obj) || PyDict_Check(obj)) {
		PyErr_Format(PyExc_TypeError,
			     "names must be a list of dicts, not %s",
			     Py_TYPE(obj)->tp_name);
		return false;
	}
	seq = PySequence_Fast(obj, "names must be a list of dicts");
	if (seq == NULL) {
		return false;
	}
	n = PySequence_Fast_GET_SIZE(seq);
	names = talloc_zero_array(mem_ctx, struct spnpool_scope_name,
				  (size_t)n + 1);
	if (names == NULL) {
		PyErr_NoMemory();
		goto done;
	}
	for (i = 0; i < n; i++) {
		PyObject *item = PySequence_Fast_GET_ITEM(seq, i);
		PyObject *users = NULL;
		PyObject *useq = NULL;
		const char **ids = NULL;
		const char **servers = NULL;
		char where[64];
		Py_ssize_t u;
		Py_ssize_t num_users;

		snprintf(where, sizeof(where), "names[%zd]", i);
		if (!is_dict_like(item)) {
			PyErr_Format(PyExc_TypeError, "%s must be a dict, not %s",
				     where, Py_TYPE(item)->tp_name);
			goto done;
		}
		if (!mapping_text(names, item, where, "fqdn", false,
				  &names[i].fqdn)) {
			goto done;
		}
		users = PyMapping_GetItemString(item, "users");
		if (users == NULL) {
			goto done;
		}
		if (PyUnicode_Check(users) || PyBytes_Check(users) ||
		    PyDict_Check(users)) {
			PyErr_Format(PyExc_TypeError,
				     "%s['users'] must be a list", where);
			Py_DECREF(users);
			goto done;
		}
		useq = PySequence_Fast(users, "users must be a list");
		Py_DECREF(users);
		if (useq == NULL) {
			goto done;
		}
		num_users = PySequence_Fast_GET_SIZE(useq);
		ids = talloc_zero_array(names, const char *,
					(size_t)num_users + 1);
		servers = talloc_zero_array(names, const char *,
					    (size_t)num_users + 1);
		if (ids == NULL || servers == NULL) {
			Py_DECREF(useq);
			PyErr_NoMemory();
			goto done;
		}
		for (u = 0; u < num_users; u++) {
			PyObject *user = PySequence_Fast_GET_ITEM(useq, u);
			size_t k = names[i].num_identities;
			char uwhere[96];

			snprintf(uwhere, sizeof(uwhere), "%s['users'][%zd]",
				 where, u);
			if (!is_dict_like(user)) {
				PyErr_Format(PyExc_TypeError,
					     "%s must be a dict", uwhere);
				Py_DECREF(useq);
				goto done;
			}
			if (!mapping_text(names, user, uwhere, "identity",
					  true, &ids[k]) ||
			    !mapping_text(names, user, uwhere, "server", true,
					  &servers[k])) {
				Py_DECREF(useq);
				goto done;
			}
			if (ids[k] != NULL) {
				names[i].num_identities++;
			}
		}
		Py_DECREF(useq);
		names[i].identities = ids;
		names[i].servers = servers;
	}
	scope->names = names;
	scope->num_names = (size_t)n;
	ok = true;
done:
	Py_DECREF(seq);
	return ok;
}

static PyObject *py_applied_change(const struct spnpool_apply_result *res,
				   size_t i)
{
	PyObject *d = py_from_table(&applied_change_table, &res->changes[i]);

	if (d == NULL) {
		return NULL;
	}
	if (!dict_set_str(d, "state",
			  spnpool_change_state_name(res->states[i]))) {
		Py_DECREF(d);
		return NULL;
	}
	return d;
}

static PyObject *py_apply_result(const struct spnpool_apply_result *res,
				 const char *journal,
				 bool dry_run)
{
	PyObject *d = NULL;
	PyObject *changes = NULL;
	size_t i;
	bool ok;

	changes = PyList_New((Py_ssize_t)res->num_changes);
	if (changes == NULL) {
		return NULL;
	}
	for (i = 0; i < res->num_changes; i++) {
		PyObject *c = py_applied_change(res, i);

		if (c == NULL) {
			Py_DECREF(changes);
			return NULL;
		}
		PyList_SET_ITEM(changes, (Py_ssize_t)i, c);
	}
	d = PyDict_New();
	if (d == NULL) {
		Py_DECREF(changes);
		return NULL;
	}
	ok = dict_set_bool(d, "changed", res->changed) &&
	     dict_set_bool(d, "dry_run", dry_run) &&
	     dict_set_str(d, "journal", dry_run ? NULL : journal) &&
	     dict_set_steal(d, "changes", changes) &&
	     dict_set_str(d, "ldif", dry_run ? res->ldif : NULL);
	if (!ok) {
		Py_DECREF(d);
		return NULL;
	}
	return d;
}

/* The end of apply and undo: result to dict, error to SpnPoolError. */
static PyObject *apply_outcome(struct ldb_context *ldb,
			       int ldb_ret,
			       const struct spnpool_apply_result *result,
			       const char *journal,
			       bool dry_run,
			       const char *operation)
{
	PyObject *py_result = NULL;

	if (result != NULL) {
		py_result = py_apply_result(result, journal, dry_run);
		if (py_result == NULL) {
			return NULL;
		}
	}
	if (ldb_ret != LDB_SUCCESS) {
		raise_spnpool_error(ldb, ldb_ret, py_result);
		Py_XDECREF(py_result);
		return NULL;
	}
	if (py_result == NULL) {
		PyErr_Format(PyExc_RuntimeError,
			     "spnpool %s succeeded without a result",
			     operation);
	}
	return py_result;
}

PyDoc_STRVAR(py_apply_doc,
"apply(samdb, changes, journal=None, dry_run=False, local=False,\n"
"      peers=None, names=None, allow_privileged=False) -> dict\n"
"\n"
"Execute changes (a plan's 'changes': dicts with 'action' ('add' or\n"
"'delete'), 'dn', 'spn' and optionally 'sam_account_name' and 'reason')\n"
"in order.  local=True (a local sam.ldb): one transaction, all or\n"
"nothing.  Over LDAP: one checked exact-value modify per change; the\n"
"first surprise stops the run and what it did is reversed.  Every change\n"
"is written to the journal file (which must not exist; required unless\n"
"dry_run) before it is made; undo() replays it.  Changes already in\n"
"effect are skipped, so applying twice changes nothing.  dry_run writes\n"
"nothing and returns the exact LDAP changes as LDIF.\n"
"\n"
"names is the plan's 'names' ([{'fqdn', 'users': [{'identity',\n"
"'server'}]}]): every change must be http/<NetBIOS> or http/<FQDN> of\n"
"one of them, and an add must target an account one of that name's\n"
"identities resolves to now; else nothing is done (exit_code 2).  A\n"
"privileged target is refused (exit_code 9) unless allow_privileged.\n"
"\n"
"Returns {'changed', 'dry_run', 'journal', 'changes': [{'action', 'dn',\n"
"'sam_account_name', 'spn', 'reason', 'state'}], 'ldif' (dry run, else\n"
"None)}; state is one of CHANGE_STATES.  Raises SpnPoolError: a surprise\n"
"has exit_code 4 and .result with the states (nothing of the run\n"
"remains); a failed reversal has exit_code 1 and a message naming what\n"
"to repair by hand.  Malformed changes raise TypeError or ValueError.");

static PyObject *py_apply(PyObject *self, PyObject *args, PyObject *kwargs)
{
	static const char *kwnames[] = {
		"samdb", "changes", "journal", "dry_run", "local", "peers",
		"names", "allow_privileged", NULL
	};
	PyObject *py_peers = Py_None;
	TALLOC_CTX *tmp_ctx = NULL;
	struct ldb_context *ldb = NULL;
	struct spnpool_dir *dir = NULL;
	struct spnpool_change *changes = NULL;
	struct spnpool_apply_result *result = NULL;
	struct spnpool_apply_scope scope = { .num_names = 0 };
	PyObject *py_ldb = NULL;
	PyObject *py_changes = NULL;
	PyObject *py_names = Py_None;
	PyObject *ret = NULL;
	const char *journal = NULL;
	size_t num_changes = 0;
	int dry_run = 0;
	int local = 0;
	int allow_privileged = 0;
	int ldb_ret;

	(void)self;
	if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OO|zppOOp:apply",
					 (char **)discard_const(kwnames),
					 &py_ldb, &py_changes, &journal,
					 &dry_run, &local, &py_peers, &py_names,
					 &allow_privileged)) {
		return NULL;
	}
	ldb = ldb_from_py(py_ldb);
	if (ldb == NULL) {
		return NULL;
	}
	tmp_ctx = talloc_new(NULL);
	if (tmp_ctx == NULL) {
		return PyErr_NoMemory();
	}
	if (!changes_from_py(tmp_ctx, py_changes, &changes, &num_changes) ||
	    !scope_from_py(tmp_ctx, py_names, &scope)) {
		goto done;
	}
	scope.allow_privileged = allow_privileged;

	ldb_ret = open_dir_with_peers(tmp_ctx, ldb, local, py_peers, &dir);
	if (ldb_ret == -1) {
		goto done;
	}
	if (ldb_ret != LDB_SUCCESS) {
		raise_spnpool_error(ldb, ldb_ret, NULL);
		goto done;
	}
	ldb_ret = spnpool_op_apply(tmp_ctx, dir, &scope, changes, num_changes,
				   dry_run ? NULL : journal, dry_run,
				   &result);
	ret = apply_outcome(ldb, ldb_ret, result, journal, dry_run, "apply");
done:
	talloc_free(tmp_ctx);
	return ret;
}

PyDoc_STRVAR(py_undo_doc,
"undo(samdb, journal, dry_run=False, local=False,\n"
"     peers=None, allow_privileged=False) -> dict\n"
"\n"
"Restore the state before the apply recorded in the journal file: the\n"
"changes that took effect are reversed, last first, the way apply()\n"
"works, and the journal records it.  Refuses without writing anything\n"
"if any of those SPNs changed since, or if the journal was undone\n"
"already (SpnPoolError, exit_code 4); an unreadable or malformed journal\n"
"(a record whose checksum does not match, a value apply would not\n"
"write) is exit_code 2; giving a value back to a privileged account is\n"
"exit_code 9 unless allow_privileged.  dry_run writes nothing and\n"
"returns the LDIF.\n"
"\n"
"Returns the same dict as apply(); its changes are the reversals.");

static PyObject *py_undo(PyObject *self, PyObject *args, PyObject *kwargs)
{
	static const char *kwnames[] = {
		"samdb", "journal", "dry_run", "local", "peers",
		"allow_privileged", NULL
	};
	PyObject *py_peers = Py_None;
	TALLOC_CTX *tmp_ctx = NULL;
	struct ldb_context *ldb = NULL;
	struct spnpool_dir *dir = NULL;
	struct spnpool_apply_result *result = NULL;
	PyObject *py_ldb = NULL;
	PyObject *ret = NULL;
	const char *journal = NULL;
	int dry_run = 0;
	int local = 0;
	int allow_privileged = 0;
	int ldb_ret;

	(void)self;
	if (!PyArg_ParseTupleAndKeywords(args, kwargs, "Os|ppOp:undo",
					 (char **)discard_const(kwnames),
					 &py_ldb, &journal, &dry_run,
					 &local, &py_peers, &allow_privileged)) {
		return NULL;
	}
	ldb = ldb_from_py(py_ldb);
	if (ldb == NULL) {
		return NULL;
	}
	tmp_ctx = talloc_new(NULL);
	if (tmp_ctx == NULL) {
		return PyErr_NoMemory();
	}

	ldb_ret = open_dir_with_peers(tmp_ctx, ldb, local, py_peers, &dir);
	if (ldb_ret == -1) {
		goto done;
	}
	if (ldb_ret != LDB_SUCCESS) {
		raise_spnpool_error(ldb, ldb_ret, NULL);
		goto done;
	}
	ldb_ret = spnpool_op_undo(tmp_ctx, dir, journal, dry_run,
				  allow_privileged, &result);
	ret = apply_outcome(ldb, ldb_ret, result, journal, dry_run, "undo");
done:
	talloc_free(tmp_ctx);
	return ret;
}

/* ------------------------------------------------------------------ */
/* the public names of the result enums                                */
/* ------------------------------------------------------------------ */

/* A tuple of the names of 0..last, via name(); NULL with an exception. */
static PyObject *py_name_tuple(const char *(*name)(int), int last)
{
	PyObject *t = NULL;
	int i;

	t = PyTuple_New(last + 1);
	if (t == NULL) {
		return NULL;
	}
	for (i = 0; i <= last; i++) {
		PyObject *s = PyUnicode_FromString(name(i));

		if (s == NULL) {
			Py_DECREF(t);
			return NULL;
		}
		PyTuple_SET_ITEM(t, i, s);
	}
	return t;
}

/* ------------------------------------------------------------------ */
/* helpers and the module                                              */
/* ------------------------------------------------------------------ */

PyDoc_STRVAR(py_exit_code_doc,
"exit_code(ldb_error_code) -> int\n"
"\n"
"The documented exit status for an LDB result code: 0 success,\n"
"1 unexpected error, 2 bad input, 3 identity not found, 4 conflict,\n"
"5 access denied, 6 cannot reach the server, 7 authentication failed.");

static PyObject *py_exit_code(PyObject *self, PyObject *arg)
{
	int ldb_ret;

	(void)self;
	if (!PyArg_Parse(arg, "i:exit_code", &ldb_ret)) {
		return NULL;
	}
	return PyLong_FromLong(spnpool_exit_code(ldb_ret));
}

PyDoc_STRVAR(py_version_doc,
"version() -> str\n"
"\n"
"The version of libspnpool this module is built from.");

static PyObject *py_version(PyObject *self, PyObject *unused)
{
	(void)self;
	(void)unused;
	return PyUnicode_FromString(spnpool_version());
}

/* ------------------------------------------------------------------ */
/* compare_dcs                                                         */
/* ------------------------------------------------------------------ */

static PyObject *py_dc_diff_result(const struct spnpool_dc_diff_result *r)
{
	PyObject *d = PyDict_New();
	PyObject *list = NULL;
	size_t i;

	if (d == NULL) {
		return NULL;
	}
	if (!dict_set_steal(d, "dcs",
			    py_str_list(discard_const(r->dcs), r->num_dcs))) {
		goto fail;
	}
	list = PyList_New(0);
	if (list == NULL || !dict_set_steal(d, "disagreements", list)) {
		goto fail;
	}
	for (i = 0; i < r->num_diffs; i++) {
		const struct spnpool_dc_diff *x = &r->diffs[i];
		PyObject *e = PyDict_New();
		int ret;

		if (e == NULL) {
			goto fail;
		}
		if (!(dict_set_str(e, "spn", x->spn) &&
		      dict_set_str(e, "dn", x->account_dn) &&
		      dict_set_steal(e, "present_on",
				     py_str_list(discard_const(x->present_on),
						 x->num_present)) &&
		      dict_set_steal(e, "missing_on",
				     py_str_list(discard_const(x->missing_on),
						 x->num_missing)) &&
		      dict_set_bool(e, "duplicate_after_replication",
				    x->duplicate_after_replication))) {
			Py_DECREF(e);
			goto fail;
		}
		ret = PyList_Append(list, e);
		Py_DECREF(e);
		if (ret != 0) {
			goto fail;
		}
	}
	return d;
fail:
	Py_DECREF(d);
	return NULL;
}

PyDoc_STRVAR(py_compare_dcs_doc,
"compare_dcs(samdb, peers) -> dict\n"
"\n"
"Read the SPNs of samdb's DC and of every SamDB in peers (the other\n"
"writable DCs) and return {'dcs': [names], 'disagreements': [{'spn',\n"
"'dn', 'present_on', 'missing_on', 'duplicate_after_replication'}]}:\n"
"every SPN of an account that some DCs hold and others lack.\n"
"Raises SpnPoolError naming a DC that cannot be read.");

static PyObject *py_compare_dcs(PyObject *self, PyObject *args,
				PyObject *kwargs)
{
	static const char *kwnames[] = {"samdb", "peers", NULL};
	TALLOC_CTX *tmp_ctx = NULL;
	struct ldb_context *ldb = NULL;
	struct spnpool_dir *dir = NULL;
	struct spnpool_dc_diff_result *result = NULL;
	PyObject *py_ldb = NULL;
	PyObject *py_peers = Py_None;
	PyObject *ret = NULL;
	int ldb_ret;

	(void)self;
	if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O|O:compare_dcs",
					 (char **)discard_const(kwnames),
					 &py_ldb, &py_peers)) {
		return NULL;
	}
	ldb = ldb_from_py(py_ldb);
	if (ldb == NULL) {
		return NULL;
	}
	tmp_ctx = talloc_new(NULL);
	if (tmp_ctx == NULL) {
		return PyErr_NoMemory();
	}
	ldb_ret = open_dir_with_peers(tmp_ctx, ldb, false, py_peers, &dir);
	if (ldb_ret == -1) {
		goto done;
	}
	if (ldb_ret == LDB_SUCCESS) {
		ldb_ret = spnpool_op_compare_dcs(tmp_ctx, dir, &result);
	}
	if (ldb_ret != LDB_SUCCESS) {
		raise_spnpool_error(ldb, ldb_ret, NULL);
		goto done;
	}
	ret = py_dc_diff_result(result);
done:
	talloc_free(tmp_ctx);
	return ret;
}

static PyMethodDef spnpool_methods[] = {
	{ "compare_dcs", (PyCFunction)(void (*)(void))py_compare_dcs,
	  METH_VARARGS | METH_KEYWORDS, py_compare_dcs_doc },
	{ "add", (PyCFunction)(void (*)(void))py_add,
	  METH_VARARGS | METH_KEYWORDS, py_add_doc },
	{ "remove", (PyCFunction)(void (*)(void))py_remove,
	  METH_VARARGS | METH_KEYWORDS, py_remove_doc },
	{ "list", (PyCFunction)(void (*)(void))py_list,
	  METH_VARARGS | METH_KEYWORDS, py_list_doc },
	{ "check", (PyCFunction)(void (*)(void))py_check,
	  METH_VARARGS | METH_KEYWORDS, py_check_doc },
	{ "audit", (PyCFunction)(void (*)(void))py_audit,
	  METH_VARARGS | METH_KEYWORDS, py_audit_doc },
	{ "parse_iis_config", (PyCFunction)(void (*)(void))py_parse_iis_config,
	  METH_VARARGS | METH_KEYWORDS, py_parse_iis_config_doc },
	{ "parse_pools_file", (PyCFunction)(void (*)(void))py_parse_pools_file,
	  METH_VARARGS | METH_KEYWORDS, py_parse_pools_file_doc },
	{ "plan", (PyCFunction)(void (*)(void))py_plan_fn,
	  METH_VARARGS | METH_KEYWORDS, py_plan_doc },
	{ "apply", (PyCFunction)(void (*)(void))py_apply,
	  METH_VARARGS | METH_KEYWORDS, py_apply_doc },
	{ "undo", (PyCFunction)(void (*)(void))py_undo,
	  METH_VARARGS | METH_KEYWORDS, py_undo_doc },
	{ "exit_code", py_exit_code, METH_O, py_exit_code_doc },
	{ "version", py_version, METH_NOARGS, py_version_doc },
	{ NULL, NULL, 0, NULL }
};

PyDoc_STRVAR(spnpool_module_doc,
"Binding of libspnpool: HTTP SPNs for application pool identities.\n"
"\n"
"parse_iis_config and parse_pools_file are pure; every other operation\n"
"takes an open SamDB and borrows its ldb context.");

static struct PyModuleDef spnpool_module = {
	PyModuleDef_HEAD_INIT,
	.m_name = "samba_spnpool._spnpool",
	.m_doc = spnpool_module_doc,
	.m_size = -1,
	.m_methods = spnpool_methods,
};

/* An ldb.LdbError subclass whose instances default to exit_code 1. */
static PyObject *make_error_type(void)
{
	PyObject *ldb_mod = NULL;
	PyObject *base = NULL;
	PyObject *dict = NULL;
	PyObject *type = NULL;
	bool ok;

	ldb_mod = PyImport_ImportModule("ldb");
	if (ldb_mod == NULL) {
		return NULL;
	}
	base = PyObject_GetAttrString(ldb_mod, "LdbError");
	Py_DECREF(ldb_mod);
	if (base == NULL) {
		return NULL;
	}
	dict = PyDict_New();
	if (dict == NULL) {
		Py_DECREF(base);
		return NULL;
	}
	ok = dict_set_steal(dict, "exit_code",
			    PyLong_FromLong(SPNPOOL_EXIT_ERROR)) &&
	     PyDict_SetItemString(dict, "result", Py_None) == 0;
	if (ok) {
		type = PyErr_NewExceptionWithDoc(
			"samba_spnpool._spnpool.SpnPoolError",
			"A libspnpool operation failed.\n\n"
			"args is (ldb_error_code, message) as for ldb.LdbError;"
			"\nexit_code is the documented exit status;\nresult "
			"is the operation's report if it returned one (a "
			"conflict lists the holders), else None.",
			base, dict);
	}
	Py_DECREF(dict);
	Py_DECREF(base);
	return type;
}

/* m.name = value, stealing value; false (exception set) on failure. */
static bool module_add_steal(PyObject *m, const char *name, PyObject *value);

/* m.NAME = the tuple of the public names of an enum's count values */
static bool add_names(PyObject *m, const char *name,
		      const char *(*name_of)(int), int count)
{
	return module_add_steal(m, name, py_name_tuple(name_of, count - 1));
}

static bool module_add_steal(PyObject *m, const char *name, PyObject *value)
{
	if (value == NULL) {
		return false;
	}
	if (PyModule_AddObject(m, name, value) != 0) {
		Py_DECREF(value);
		return false;
	}
	return true;
}

PyMODINIT_FUNC PyInit__spnpool(void)
{
	PyObject *m = NULL;
	bool ok;

	if (ldb_type == NULL && !load_ldb_type()) {
		return NULL;
	}
	m = PyModule_Create(&spnpool_module);
	if (m == NULL) {
		return NULL;
	}
	if (spnpool_error == NULL) {
		spnpool_error = make_error_type();
		if (spnpool_error == NULL) {
			Py_DECREF(m);
			return NULL;
		}
	}
	Py_INCREF(spnpool_error);
	ok = PyModule_AddObject(m, "SpnPoolError", spnpool_error) == 0;
	if (!ok) {
		Py_DECREF(spnpool_error);
	}
	ok = ok &&
	     PyModule_AddIntConstant(m, "EXIT_OK", SPNPOOL_EXIT_OK) == 0 &&
	     PyModule_AddIntConstant(m, "EXIT_ERROR",
				     SPNPOOL_EXIT_ERROR) == 0 &&
	     PyModule_AddIntConstant(m, "EXIT_BAD_INPUT",
				     SPNPOOL_EXIT_BAD_INPUT) == 0 &&
	     PyModule_AddIntConstant(m, "EXIT_NO_IDENTITY",
				     SPNPOOL_EXIT_NO_IDENTITY) == 0 &&
	     PyModule_AddIntConstant(m, "EXIT_CONFLICT",
				     SPNPOOL_EXIT_CONFLICT) == 0 &&
	     PyModule_AddIntConstant(m, "EXIT_ACCESS",
				     SPNPOOL_EXIT_ACCESS) == 0 &&
	     PyModule_AddIntConstant(m, "EXIT_CONNECTION",
				     SPNPOOL_EXIT_CONNECTION) == 0 &&
	     PyModule_AddIntConstant(m, "EXIT_AUTH", SPNPOOL_EXIT_AUTH) == 0 &&
	     PyModule_AddIntConstant(m, "EXIT_PRIVILEGED",
				     SPNPOOL_EXIT_PRIVILEGED) == 0 &&
	     add_names(m, "VERDICTS", spnpool_verdict_name_of,
		       SPNPOOL_VERDICT_COUNT) &&
	     add_names(m, "CHECK_REASONS", spnpool_check_reason_name_of,
		       SPNPOOL_CHECK_REASON_COUNT) &&
	     add_names(m, "DNS_STATES", spnpool_dns_state_name_of,
		       SPNPOOL_DNS_STATE_COUNT) &&
	     add_names(m, "ACTION_KINDS", spnpool_action_kind_name_of,
		       SPNPOOL_ACTION_KIND_COUNT) &&
	     add_names(m, "FINDING_KINDS", spnpool_finding_name_of,
		       SPNPOOL_FINDING_KIND_COUNT) &&
	     add_names(m, "DECISIONS", spnpool_plan_decision_name_of,
		       SPNPOOL_PLAN_DECISION_COUNT) &&
	     add_names(m, "RESOLUTION_KINDS", spnpool_resolution_kind_name_of,
		       SPNPOOL_RESOLUTION_KIND_COUNT) &&
	     add_names(m, "NOTE_KINDS", spnpool_note_kind_name_of,
		       SPNPOOL_NOTE_KIND_COUNT) &&
	     add_names(m, "CHANGE_STATES", spnpool_change_state_name_of,
		       CHANGE_STATE_LAST + 1);
	if (!ok) {
		Py_DECREF(m);
		return NULL;
	}
	return m;
}
