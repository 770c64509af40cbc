/*
 * samba_spnpool._spnpool: the CPython binding of libspnpool.
 *
 * samba-tool opens the SamDB (so every credential and connection form it
 * supports works); this module borrows that SamDB's struct ldb_context,
 * hands it and plain arguments to libspnpool and turns the result
 * structures into dicts.  Nothing here decides: ports, hosts and
 * identities go to the library as text; words are samba_spnpool.render's.
 *
 * Three parts, one idiom each (docs/design.md, "The binding"):
 *  - one descriptor table per result type and one converter,
 *    py_from_table(): the tables are the JSON schema of the results;
 *  - one validator per input type (*_from_py());
 *  - one call helper (call_start(), call_open(), call_finish()): the
 *    talloc context, the borrowed ldb, the directory, errors raised as
 *    SpnPoolError with the partial result.
 *
 * The GIL is kept for the whole call: ldb is not thread-safe and the
 * context belongs to a Python object another thread could use.
 */

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <limits.h>
#include <stddef.h>
#include <string.h>

#include <talloc.h>
#include <ldb.h>
#include <ldb_module.h>

#include "spnpool.h"

PyMODINIT_FUNC PyInit__spnpool(void);

static PyObject *spnpool_error = NULL;

/* A keyword list for PyArg_ParseTupleAndKeywords (char ** before 3.13) */
#define KWNAMES(...) ((char **)(void *)(const char *[]){__VA_ARGS__, NULL})

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

static PyObject *py_str_list(const char *const *strings, size_t num)
{
	PyObject *list = PyList_New((Py_ssize_t)num);
	size_t i;

	for (i = 0; list != NULL && i < num; i++) {
		PyObject *s = py_str_or_none(strings[i]);

		if (s == NULL) {
			Py_CLEAR(list);
			break;
		}
		PyList_SET_ITEM(list, (Py_ssize_t)i, s);
	}
	return list;
}

/*
 * A result type is a table of (JSON key, C type, offset) rows; one
 * converter walks it.
 */
enum field_type {
	F_STR,	 /* const char * (NULL: None) */
	F_BOOL,	 /* bool */
	F_U16,	 /* uint16_t */
	F_UINT,	 /* unsigned */
	F_U64,	 /* uint64_t */
	F_SIZE,	 /* size_t */
	F_ENUM,	 /* an enum, by its public name */
	F_STRS,	 /* char ** (or const char **) with a size_t count */
	F_ENUMS, /* an array of enums with a size_t count, by name */
	F_PTR,	 /* a pointer to one struct of table sub (NULL: None) */
	F_ARRAY, /* an array of structs of table sub with a size_t count */
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
#define ENUMS_ROW(key_, ctype, member, count, name_) \
	{ .key = (key_), .type = F_ENUMS, .offset = offsetof(ctype, member), \
	  .count_offset = offsetof(ctype, count), .name = (name_) }
#define PTR_ROW(key_, ctype, member, sub_) \
	{ .key = (key_), .type = F_PTR, .offset = offsetof(ctype, member), \
	  .sub = (sub_) }
/* A table of struct T (#define T before it) */
#define TABLE(name, ...)                                                    \
	static const struct field name##_fields[] = { __VA_ARGS__,           \
						      { .key = NULL } };      \
	static const struct table name = { sizeof(T), name##_fields }

static PyObject *py_from_table(const struct table *t, const void *obj);

static PyObject *py_table_array(const struct table *t, const void *items,
				size_t num)
{
	PyObject *list = PyList_New((Py_ssize_t)num);
	size_t i;

	for (i = 0; list != NULL && i < num; i++) {
		PyObject *item = py_from_table(
			t, (const char *)items + i * t->size);

		if (item == NULL) {
			Py_CLEAR(list);
			break;
		}
		PyList_SET_ITEM(list, (Py_ssize_t)i, item);
	}
	return list;
}

static PyObject *py_field(const struct field *f, const char *base)
{
	const void *at = base + f->offset;
	const void *ptr = NULL;
	size_t count = 0;

	PyObject *list = NULL;
	size_t i;

	if (f->type == F_STRS || f->type == F_ARRAY || f->type == F_ENUMS) {
		count = *(const size_t *)(const void *)(base + f->count_offset);
	}
	if (f->type >= F_STRS) {
		ptr = *(const void *const *)at;
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
	case F_U64:
		return PyLong_FromUnsignedLongLong(*(const uint64_t *)at);
	case F_SIZE:
		return PyLong_FromSize_t(*(const size_t *)at);
	case F_ENUM:
		return PyUnicode_FromString(f->name(*(const int *)at));
	case F_STRS:
		return py_str_list(ptr, count);
	case F_ENUMS:
		list = PyList_New((Py_ssize_t)count);
		for (i = 0; list != NULL && i < count; i++) {
			PyObject *name = PyUnicode_FromString(
				f->name(((const int *)ptr)[i]));

			if (name == NULL) {
				Py_CLEAR(list);
				break;
			}
			PyList_SET_ITEM(list, (Py_ssize_t)i, name);
		}
		return list;
	case F_PTR:
		if (ptr == NULL) {
			Py_RETURN_NONE;
		}
		return py_from_table(f->sub, ptr);
	case F_ARRAY:
		return py_table_array(f->sub, ptr, count);
	}
	PyErr_SetString(PyExc_RuntimeError, "spnpool: bad field table");
	return NULL;
}

/* {key: value for each row of t}; NULL with an exception. */
static PyObject *py_from_table(const struct table *t, const void *obj)
{
	PyObject *d = PyDict_New();
	const struct field *f = NULL;

	for (f = t->fields; d != NULL && f->key != NULL; f++) {
		if (!dict_set_steal(d, f->key,
				    py_field(f, (const char *)obj))) {
			Py_CLEAR(d);
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
NAME_OF(spnpool_state_name, enum spnpool_spn_state)
NAME_OF(spnpool_conflict_name, enum spnpool_conflict)
NAME_OF(spnpool_access_name, enum spnpool_access)
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

/* The IIS spelling of processModel identityType; public in JSON. */
static const char *identity_type_name_of(int t)
{
	static const char *const names[] = {
		[SPNPOOL_POOL_SPECIFIC_USER] = "SpecificUser",
		[SPNPOOL_POOL_NETWORK_SERVICE] = "NetworkService",
		[SPNPOOL_POOL_LOCAL_SYSTEM] = "LocalSystem",
		[SPNPOOL_POOL_APP_POOL_IDENTITY] = "ApplicationPoolIdentity",
		[SPNPOOL_POOL_LOCAL_SERVICE] = "LocalService",
	};

	return ((unsigned)t < sizeof(names) / sizeof(names[0]))
		       ? names[t]
		       : "unknown";
}

/* ------------------------------------------------------------------ */
/* The tables: the JSON schema of every result                         */
/* ------------------------------------------------------------------ */

/*
 * Within a table, T is its struct; a row names the member, which is also
 * the JSON key unless the row gives one (K_*).  Read a table as the JSON
 * object it makes, top to bottom.
 */
#define S(m) ROW(F_STR, #m, T, m)
#define B(m) ROW(F_BOOL, #m, T, m)
#define U16(m) ROW(F_U16, #m, T, m)
#define U(m) ROW(F_UINT, #m, T, m)
#define U64(m) ROW(F_U64, #m, T, m)
#define N(m) ROW(F_SIZE, #m, T, m)
#define E(m, fn) ENUM_ROW(#m, T, m, fn)
#define K_E(k, m, fn) ENUM_ROW(k, T, m, fn)
#define K_S(k, m) ROW(F_STR, k, T, m)
#define STRS(m, count) LIST_ROW(F_STRS, #m, T, m, count, NULL)
#define ARRAY(m, count, sub) LIST_ROW(F_ARRAY, #m, T, m, count, sub)
#define K_ARRAY(k, m, count, sub) LIST_ROW(F_ARRAY, k, T, m, count, sub)
#define ONE(m, sub) PTR_ROW(#m, T, m, sub)
#define ENUMS(m, count, fn) ENUMS_ROW(#m, T, m, count, fn)

/* A fix: samba_spnpool.render makes its text and command line. */
#define T struct spnpool_action
TABLE(action_table, E(kind, spnpool_action_kind_name_of), S(account),
      S(domain), S(host), U16(port), S(server), S(spn), S(target), S(site),
      S(site_id), S(app_path), S(pool), B(move));
#undef T
#define T struct spnpool_account
TABLE(account_table, S(dn), S(guid), S(sam_account_name),
      S(user_principal_name), B(is_computer), B(is_managed), B(disabled),
      B(builtin), S(privileged), STRS(spns, num_spns));
#undef T

/* add and remove ("operation" is added by the call; remove's conflict is
 * None: it runs no uniqueness check) */
#define T struct spnpool_spn_report
TABLE(spn_report_table, S(spn), S(stored), E(state, spnpool_state_name_of),
      E(conflict, spnpool_conflict_name_of), S(holder_dn), S(holder_value));
#undef T
#define T struct spnpool_op_result
TABLE(op_result_table, B(dry_run), B(changed), ONE(account, &account_table),
      ARRAY(spns, num_spns, &spn_report_table),
      E(access, spnpool_access_name_of), S(access_dn), B(access_holder));
#undef T

/* list */
#define T struct spnpool_list_entry
TABLE(list_entry_table, S(spn), S(dn), S(sam_account_name),
      E(via, spnpool_via_name_of));
#undef T
#define T struct spnpool_list_result
TABLE(list_result_table, ONE(account, &account_table),
      ARRAY(entries, num_entries, &list_entry_table));
#undef T

/* check ("other": the same under the other client model) */
#define T struct spnpool_answerer
TABLE(answerer_table, S(dn), S(sam_account_name), S(value),
      E(via, spnpool_via_name_of));
#undef T
#define T struct spnpool_check_result
static const struct table check_table;
TABLE(check_table, S(host), U16(port), STRS(cname_chain, num_cnames),
      E(dns, spnpool_dns_state_name_of), S(spn), S(name), S(domain),
      ONE(pool, &account_table), ONE(expected, &account_table),
      ARRAY(answerers, num_answerers, &answerer_table),
      E(verdict, spnpool_verdict_name_of),
      K_E("reason_kind", reason, spnpool_check_reason_name_of),
      B(kernel_mode), K_ARRAY("actions", fixes, num_fixes, &action_table),
      E(client, spnpool_client_model_name_of), S(kdc),
      ONE(other, &check_table));
#undef T

/* audit ("counts" is added by the call) */
#define T struct spnpool_finding
TABLE(finding_table, E(kind, spnpool_finding_name_of), S(spn),
      STRS(dns, num_dns), STRS(sams, num_dns), S(host), U16(port),
      S(other_spn), U(password_days), U(max_password_age_days),
      K_ARRAY("actions", fixes, num_fixes, &action_table));
#undef T
#define T struct spnpool_audit_result
TABLE(audit_table, U64(entries_read), U64(values_read), U64(distinct_spns),
      ARRAY(findings, num_findings, &finding_table));
#undef T

/* parse_iis_config, parse_pools_file */
#define T struct spnpool_web_binding
TABLE(web_binding_table, S(site), S(site_id), S(app_path), S(pool),
      E(identity_type, identity_type_name_of), S(user_name), S(host),
      U16(port), B(https), B(windows_auth), B(negotiate), B(kernel_mode),
      B(use_app_pool_credentials));
#undef T
#define T struct spnpool_web_config
TABLE(web_config_table, S(source),
      ARRAY(bindings, num_bindings, &web_binding_table));
#undef T

/* plan ("source" and "servers" are added by the call); the change keys
 * are what apply() takes back, the whys are rendered into their reason */
#define T struct spnpool_change
TABLE(change_table, E(action, change_action_name_of), S(dn),
      S(sam_account_name), S(spn));
TABLE(applied_change_table, E(action, change_action_name_of), S(dn),
      S(sam_account_name), S(spn), S(reason));
#undef T
/* apply and undo (samba_spnpool.apply() puts each state in its change) */
#define T struct spnpool_apply_result
TABLE(apply_table, ARRAY(changes, num_changes, &applied_change_table),
      ENUMS(states, num_changes, spnpool_change_state_name_of), B(changed),
      S(ldif), E(access, spnpool_access_name_of), S(access_dn),
      B(access_holder));
#undef T
#define T struct spnpool_change_why
TABLE(why_table, E(why, spnpool_why_name_of), S(account), S(name));
#undef T
#define T struct spnpool_plan_user
TABLE(plan_user_table, S(server), S(site), S(app_path), S(pool),
      S(account_dn), S(account_sam), S(identity), B(kernel_mode),
      B(use_app_pool_credentials));
#undef T
#define T struct spnpool_resolution
TABLE(resolution_table, E(kind, spnpool_resolution_kind_name_of),
      S(account), S(domain), S(pool),
      ARRAY(actions, num_actions, &action_table), B(chosen));
#undef T
#define T struct spnpool_plan_name
TABLE(plan_name_table, S(netbios), S(fqdn),
      E(decision, spnpool_plan_decision_name_of), S(account_dn),
      S(account_sam), N(num_accounts), B(farm_of_machines),
      ARRAY(users, num_users, &plan_user_table),
      ARRAY(resolutions, num_resolutions, &resolution_table),
      B(unresolved), S(privileged),
      ARRAY(iis_actions, num_iis_actions, &action_table));
#undef T
#define T struct spnpool_plan_note
TABLE(note_table, E(kind, spnpool_note_kind_name_of), S(site), S(pool),
      S(fqdn), U16(port), S(account), S(privileged));
#undef T
#define T struct spnpool_plan
TABLE(plan_table, ARRAY(names, num_names, &plan_name_table),
      ARRAY(changes, num_changes, &change_table),
      ARRAY(whys, num_changes, &why_table),
      ARRAY(notes, num_notes, &note_table));
#undef T

/* compare_dcs */
#define T struct spnpool_dc_diff
TABLE(dc_diff_table, S(spn), K_S("dn", account_dn),
      STRS(present_on, num_present), STRS(missing_on, num_missing),
      B(duplicate_after_replication));
#undef T
#define T struct spnpool_dc_diff_result
TABLE(dc_diff_result_table, STRS(dcs, num_dcs),
      K_ARRAY("disagreements", diffs, num_diffs, &dc_diff_table));
#undef T

/* ------------------------------------------------------------------ */
/* Errors                                                              */
/* ------------------------------------------------------------------ */

/*
 * Raise SpnPoolError(ldb_ret, msg) with .exit_code and .result.  msg
 * NULL or empty: ldb's name of the code.  result may be NULL (then
 * .result is None); it is not stolen.  Always returns NULL.
 */
static PyObject *raise_spnpool_message(int ldb_ret, const char *msg,
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
	ok = exit_code != NULL &&
	     PyObject_SetAttrString(exc, "exit_code", exit_code) == 0 &&
	     PyObject_SetAttrString(exc, "result",
				    result != NULL ? result : Py_None) == 0;
	Py_XDECREF(exit_code);
	if (ok) {
		PyErr_SetObject(spnpool_error, exc);
	}
	Py_DECREF(exc);
	return NULL;
}

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


/* ------------------------------------------------------------------ */
/* Python values to C: one validator per input type                    */
/* ------------------------------------------------------------------ */

/* A str without embedded NUL as a talloc copy; NULL with an exception. */
static const char *text_from_py(TALLOC_CTX *mem_ctx, PyObject *obj,
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
static bool port_from_py(TALLOC_CTX *mem_ctx, PyObject *obj,
			 const char **_port)
{
	PyObject *text = NULL;

	*_port = NULL;
	if (obj == Py_None) {
		return true;
	}
	if (PyBool_Check(obj) || (!PyLong_Check(obj) && !PyUnicode_Check(obj))) {
		PyErr_Format(PyExc_TypeError,
			     "port must be int, str or None, not %s",
			     Py_TYPE(obj)->tp_name);
		return false;
	}
	text = PyObject_Str(obj);
	if (text == NULL) {
		return false;
	}
	*_port = text_from_py(mem_ctx, text, "port");
	Py_DECREF(text);
	return *_port != NULL;
}

/* A list (any sequence but str, bytes or dict) as a new reference to a
 * fast sequence; NULL with TypeError. */
static PyObject *list_from_py(PyObject *obj, const char *what,
			      const char *of)
{
	if (PyUnicode_Check(obj) || PyBytes_Check(obj) || PyDict_Check(obj) ||
	    !PySequence_Check(obj)) {
		PyErr_Format(PyExc_TypeError, "%s must be a list of %s, not %s",
			     what, of, Py_TYPE(obj)->tp_name);
		return NULL;
	}
	return PySequence_Fast(obj, what);
}

/* A list of str as a NULL-terminated talloc array of copies. */
static bool strings_from_py(TALLOC_CTX *mem_ctx, PyObject *obj,
			    const char *what, const char ***_strings,
			    size_t *_num)
{
	PyObject *seq = list_from_py(obj, what, "str");
	const char **out = NULL;
	Py_ssize_t i, n;
	char item[64];

	if (seq == NULL) {
		return false;
	}
	n = PySequence_Fast_GET_SIZE(seq);
	out = talloc_zero_array(mem_ctx, const char *, (size_t)n + 1);
	if (out == NULL) {
		Py_DECREF(seq);
		PyErr_NoMemory();
		return false;
	}
	for (i = 0; i < n; i++) {
		snprintf(item, sizeof(item), "%s[%zd]", what, i);
		out[i] = text_from_py(out, PySequence_Fast_GET_ITEM(seq, i),
				      item);
		if (out[i] == NULL) {
			Py_DECREF(seq);
			return false;
		}
	}
	Py_DECREF(seq);
	*_strings = out;
	*_num = (size_t)n;
	return true;
}

/*
 * A plan's changes as samba_spnpool.apply() hands them over, validated
 * there from the plan's dicts: (action, dn, spn, sam_account_name or
 * None, reason or None) tuples.  The strings stay Python's for the call.
 */
static bool changes_from_py(TALLOC_CTX *mem_ctx, PyObject *obj,
			    struct spnpool_change **_changes, size_t *_num)
{
	PyObject *seq = list_from_py(obj, "changes", "tuples");
	struct spnpool_change *changes = NULL;
	Py_ssize_t i, n = (seq != NULL) ? PySequence_Fast_GET_SIZE(seq) : 0;
	bool ok = seq != NULL;

	changes = talloc_zero_array(mem_ctx, struct spnpool_change,
				    (size_t)n + 1);
	if (ok && changes == NULL) {
		ok = PyErr_NoMemory() != NULL;
	}
	for (i = 0; ok && i < n; i++) {
		struct spnpool_change *c = &changes[i];
		const char *action = NULL;

		ok = PyArg_ParseTuple(PySequence_Fast_GET_ITEM(seq, i),
				      "sss|zz:changes", &action, &c->dn,
				      &c->spn, &c->sam_account_name,
				      &c->reason);
		c->action = (ok && strcmp(action, "add") == 0)
				    ? SPNPOOL_CHANGE_ADD
				    : SPNPOOL_CHANGE_DELETE;
		if (ok && c->action == SPNPOOL_CHANGE_DELETE &&
		    strcmp(action, "delete") != 0) {
			PyErr_Format(PyExc_ValueError,
				     "changes[%zd]: the action must be 'add' or "
				     "'delete', not '%s'", i, action);
			ok = false;
		}
	}
	Py_XDECREF(seq);
	*_changes = changes;
	*_num = (size_t)n;
	return ok;
}

/*
 * A plan's scope as samba_spnpool.apply() hands it over: (fqdn,
 * ((identity, server or None), ...)) per name; None: nothing may change.
 */
static bool scope_from_py(TALLOC_CTX *mem_ctx, PyObject *obj,
			  struct spnpool_apply_scope *scope)
{
	PyObject *seq = (obj != Py_None) ? list_from_py(obj, "names", "tuples")
					 : NULL;
	Py_ssize_t i, u, n = (seq != NULL) ? PySequence_Fast_GET_SIZE(seq) : 0;
	struct spnpool_scope_name *names = NULL;
	bool ok = seq != NULL || obj == Py_None;

	names = talloc_zero_array(mem_ctx, struct spnpool_scope_name,
				  (size_t)n + 1);
	if (ok && names == NULL) {
		ok = PyErr_NoMemory() != NULL;
	}
	for (i = 0; ok && i < n; i++) {
		PyObject *users = NULL;
		const char **ids = NULL, **servers = NULL;
		Py_ssize_t num;

		ok = PyArg_ParseTuple(PySequence_Fast_GET_ITEM(seq, i),
				      "sO!:names", &names[i].fqdn,
				      &PyTuple_Type, &users);
		num = ok ? PyTuple_GET_SIZE(users) : 0;
		ids = talloc_zero_array(names, const char *, (size_t)num + 1);
		servers = talloc_zero_array(names, const char *,
					    (size_t)num + 1);
		if (ok && (ids == NULL || servers == NULL)) {
			ok = PyErr_NoMemory() != NULL;
		}
		for (u = 0; ok && u < num; u++) {
			ok = PyArg_ParseTuple(PyTuple_GET_ITEM(users, u),
					      "sz:users", &ids[u],
					      &servers[u]);
		}
		names[i].identities = ids;
		names[i].servers = servers;
		names[i].num_identities = (size_t)num;
	}
	Py_XDECREF(seq);
	scope->names = names;
	scope->num_names = (size_t)n;
	return ok;
}

/*
 * A configuration ('iis' or 'pools') parsed.  A malformed file raises
 * SpnPoolError(LDB_ERR_INVALID_ATTRIBUTE_SYNTAX) whose message is
 * "FILENAME: line N: what is wrong" (exit code 2).
 */
static bool config_from_py(TALLOC_CTX *mem_ctx, const char *kind,
			   const Py_buffer *data, const char *filename,
			   struct spnpool_web_config **_config)
{
	enum spnpool_status st;
	char *error = NULL;
	const char *what = NULL;

	*_config = NULL;
	if (strcmp(kind, "iis") == 0) {
		st = spnpool_iis_config_parse(mem_ctx, data->buf,
					      (size_t)data->len, _config,
					      &error);
	} else if (strcmp(kind, "pools") == 0) {
		st = spnpool_pools_file_parse(mem_ctx, data->buf,
					      (size_t)data->len, _config,
					      &error);
	} else {
		PyErr_Format(PyExc_ValueError,
			     "kind must be 'iis' or 'pools', not '%s'", kind);
		return false;
	}
	if (st == SPNPOOL_ERR_NO_MEMORY) {
		PyErr_NoMemory();
		return false;
	}
	if (st == SPNPOOL_OK) {
		return true;
	}
	what = (error != NULL) ? error : spnpool_status_string(st);
	what = (filename != NULL)
		       ? talloc_asprintf(mem_ctx, "%s: %s", filename, what)
		       : what;
	if (what == NULL) {
		PyErr_NoMemory();
		return false;
	}
	raise_spnpool_message(LDB_ERR_INVALID_ATTRIBUTE_SYNTAX, what, NULL);
	return false;
}

/* ------------------------------------------------------------------ */
/* The call helper                                                     */
/* ------------------------------------------------------------------ */

/* What one call of an operation holds. */
struct call {
	TALLOC_CTX *tmp;
	struct ldb_context *ldb;
	struct spnpool_dir *dir;
};

/* The borrowed ldb and a talloc context; false with an exception. */
static bool call_start(struct call *c, PyObject *py_ldb)
{
	*c = (struct call){ .ldb = ldb_from_py(py_ldb) };
	if (c->ldb == NULL) {
		return false;
	}
	c->tmp = talloc_new(NULL);
	if (c->tmp == NULL) {
		PyErr_NoMemory();
		return false;
	}
	return true;
}

/*
 * The directory, with a peer directory (spnpool_dir_add_peer()) for each
 * SamDB of py_peers (None or a sequence): the other writable DCs whose
 * holders count too.  False with an exception (SpnPoolError naming the
 * DC that could not be read).
 */
static bool call_open(struct call *c, PyObject *py_peers)
{
	PyObject *seq = NULL;
	Py_ssize_t i, n = 0;
	int ret;

	if (py_peers != Py_None) {
		seq = PySequence_Fast(py_peers, "peers must be a sequence");
		if (seq == NULL) {
			return false;
		}
		n = PySequence_Fast_GET_SIZE(seq);
		for (i = 0; i < n; i++) {
			if (ldb_from_py(PySequence_Fast_GET_ITEM(seq, i)) ==
			    NULL) {
				Py_DECREF(seq);
				return false;
			}
		}
	}
	/* A message left over from an earlier call must not be ours. */
	ldb_reset_err_string(c->ldb);
	ret = spnpool_dir_open(c->tmp, c->ldb, &c->dir);
	for (i = 0; ret == LDB_SUCCESS && i < n; i++) {
		struct ldb_context *pldb =
			ldb_from_py(PySequence_Fast_GET_ITEM(seq, i));
		struct spnpool_dir *peer = NULL;

		ldb_reset_err_string(pldb);
		ret = spnpool_dir_open(c->dir, pldb, &peer);
		if (ret != LDB_SUCCESS) {
			ldb_asprintf_errstring(c->ldb, "reading another DC: %s",
					       ldb_errstring(pldb)
						       ? ldb_errstring(pldb)
						       : ldb_strerror(ret));
			break;
		}
		ret = spnpool_dir_add_peer(c->dir, peer);
	}
	Py_XDECREF(seq);
	if (ret != LDB_SUCCESS) {
		raise_spnpool_message(ret, ldb_errstring(c->ldb), NULL);
		return false;
	}
	return true;
}

/*
 * The end of every call: py_result (stolen; the report, possibly NULL)
 * is returned on success; on an LDB error SpnPoolError is raised with it
 * as .result.  Frees the call's memory.
 */
static PyObject *call_finish(struct call *c, int ldb_ret,
			     PyObject *py_result, const char *operation)
{
	if (!PyErr_Occurred()) {
		if (ldb_ret != LDB_SUCCESS) {
			raise_spnpool_message(ldb_ret,
					      c->ldb ? ldb_errstring(c->ldb)
						     : NULL,
					      py_result);
			Py_CLEAR(py_result);
		} else if (py_result == NULL) {
			PyErr_Format(PyExc_RuntimeError,
				     "spnpool %s succeeded without a result",
				     operation);
		}
	} else {
		Py_CLEAR(py_result);
	}
	talloc_free(c->tmp);
	c->tmp = NULL;
	return py_result;
}

/* A result converted, or NULL when there is none (or an exception). */
static PyObject *convert(const struct table *t, const void *result)
{
	return (result != NULL) ? py_from_table(t, result) : NULL;
}

/* ------------------------------------------------------------------ */
/* The operations                                                      */
/* ------------------------------------------------------------------ */

typedef int (*spnpool_op_fn)(TALLOC_CTX *mem_ctx, struct spnpool_dir *dir,
			     const struct spnpool_request *req,
			     struct spnpool_op_result **_result);

/* add and remove */
static PyObject *run_op(const char *operation, spnpool_op_fn op,
			PyObject *py_ldb, struct spnpool_request *req,
			PyObject *py_hosts, PyObject *py_port,
			PyObject *py_peers)
{
	struct call c;
	struct spnpool_op_result *result = NULL;
	PyObject *py_result = NULL;
	const char **hosts = NULL;
	int ret = LDB_SUCCESS;

	if (call_start(&c, py_ldb) &&
	    strings_from_py(c.tmp, py_hosts, "hosts", &hosts,
			    &req->num_hosts) &&
	    (req->hosts = hosts) != NULL &&
	    port_from_py(c.tmp, py_port, &req->port) &&
	    call_open(&c, py_peers)) {
		ret = op(c.tmp, c.dir, req, &result);
		py_result = convert(&op_result_table, result);
	}
	return call_finish(&c, ret, py_result, operation);
}

PyDoc_STRVAR(py_add_doc,
"add(samdb, identity, hosts, port=None, server=None, move=False, "
"dry_run=False, peers=None, allow_privileged=False, port_only=False) -> "
"dict (op_result_table)");

static PyObject *py_add(PyObject *self, PyObject *args, PyObject *kwargs)
{
	struct spnpool_request req = { .num_hosts = 0 };
	PyObject *py_ldb = NULL, *py_hosts = NULL;
	PyObject *py_port = Py_None, *py_peers = Py_None;
	int move = 0, dry_run = 0, allow_privileged = 0, port_only = 0;

	(void)self;
	if (!PyArg_ParseTupleAndKeywords(
		    args, kwargs, "OsO|OzppOpp:add",
		    KWNAMES("samdb", "identity", "hosts", "port", "server",
			    "move", "dry_run", "peers",
			    "allow_privileged", "port_only"),
		    &py_ldb, &req.identity, &py_hosts, &py_port, &req.server,
		    &move, &dry_run, &py_peers, &allow_privileged,
		    &port_only)) {
		return NULL;
	}
	req.move = move;
	req.port_only = port_only;
	req.dry_run = dry_run;
	req.allow_privileged = allow_privileged;
	return run_op("add", spnpool_op_add, py_ldb, &req, py_hosts, py_port,
		      py_peers);
}

PyDoc_STRVAR(py_remove_doc,
"remove(samdb, identity, hosts, port=None, server=None, "
"dry_run=False, peers=None) -> dict (op_result_table)");

static PyObject *py_remove(PyObject *self, PyObject *args, PyObject *kwargs)
{
	struct spnpool_request req = { .num_hosts = 0 };
	PyObject *py_ldb = NULL, *py_hosts = NULL;
	PyObject *py_port = Py_None, *py_peers = Py_None;
	int dry_run = 0;

	(void)self;
	if (!PyArg_ParseTupleAndKeywords(
		    args, kwargs, "OsO|OzpO:remove",
		    KWNAMES("samdb", "identity", "hosts", "port", "server",
			    "dry_run", "peers"),
		    &py_ldb, &req.identity, &py_hosts, &py_port, &req.server,
		    &dry_run, &py_peers)) {
		return NULL;
	}
	req.dry_run = dry_run;
	return run_op("remove", spnpool_op_remove, py_ldb, &req, py_hosts,
		      py_port, py_peers);
}

PyDoc_STRVAR(py_list_doc,
"list(samdb, identity=None, host=None, server=None) -> "
"dict (list_result_table)");

static PyObject *py_list(PyObject *self, PyObject *args, PyObject *kwargs)
{
	struct call c;
	struct spnpool_list_result *result = NULL;
	PyObject *py_ldb = NULL;
	const char *identity = NULL, *host = NULL, *server = NULL;
	int ret = LDB_SUCCESS;

	(void)self;
	if (!PyArg_ParseTupleAndKeywords(
		    args, kwargs, "O|zzz:list",
		    KWNAMES("samdb", "identity", "host", "server"),
		    &py_ldb, &identity, &host, &server)) {
		return NULL;
	}
	if (call_start(&c, py_ldb) && call_open(&c, Py_None)) {
		ret = spnpool_op_list(c.tmp, c.dir, identity, server, host,
				      &result);
	}
	return call_finish(&c, ret,
			   ret == LDB_SUCCESS
				   ? convert(&list_result_table, result)
				   : NULL,
			   "list");
}

PyDoc_STRVAR(py_check_doc,
"check(samdb, target, identity, server=None, kernel_mode=False, "
"include_port=False, client='browser') -> dict "
"(check_table); use samba_spnpool.check()");

static PyObject *py_check(PyObject *self, PyObject *args, PyObject *kwargs)
{
	struct call c;
	struct spnpool_check_request req = { .target = NULL };
	struct spnpool_check_result *result = NULL;
	PyObject *py_ldb = NULL;
	PyObject *py_result = NULL;
	int client = SPNPOOL_CLIENT_BROWSER;
	int kernel_mode = 0, include_port = 0;
	int ret = LDB_SUCCESS;

	(void)self;
	if (!PyArg_ParseTupleAndKeywords(
		    args, kwargs, "Oss|zppi:check",
		    KWNAMES("samdb", "target", "identity", "server",
			    "kernel_mode", "include_port", "client"),
		    &py_ldb, &req.target, &req.identity, &req.server,
		    &kernel_mode, &include_port, &client)) {
		return NULL;
	}
	req.client = (enum spnpool_client_model)client;
	req.kernel_mode = kernel_mode;
	req.include_port = include_port;
	if (call_start(&c, py_ldb) && call_open(&c, Py_None)) {
		ret = spnpool_op_check(c.tmp, c.dir, &req, &result);
		py_result = convert(&check_table, result);
	}
	return call_finish(&c, ret, py_result, "check");
}

/*
 * The Python progress callable and the first exception it raised.  The
 * library cannot be told to stop, so after a failure the callable is not
 * called again and the exception is re-raised once the scan returns.
 */
struct audit_progress {
	PyObject *callable;
	PyObject *exc_type, *exc_value, *exc_tb;
};

static void audit_progress_cb(void *private_data, uint64_t entries,
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
			p->exc_type = Py_NewRef(PyExc_SystemError);
		}
		return;
	}
	Py_DECREF(ret);
}

PyDoc_STRVAR(py_audit_doc,
"audit(samdb, all_classes=False, page_size=0, progress=None, "
"max_password_age=0) -> dict (audit_table); use "
"samba_spnpool.audit()");

static PyObject *py_audit(PyObject *self, PyObject *args, PyObject *kwargs)
{
	struct call c;
	struct spnpool_audit_request req = { .all_classes = false };
	struct spnpool_audit_result *result = NULL;
	struct audit_progress progress = { .callable = NULL };
	PyObject *py_ldb = NULL;
	PyObject *py_progress = Py_None;
	int all_classes = 0;
	int ret = LDB_SUCCESS;

	(void)self;
	if (!PyArg_ParseTupleAndKeywords(
		    args, kwargs, "O|pIOI:audit",
		    KWNAMES("samdb", "all_classes", "page_size", "progress",
			    "max_password_age"),
		    &py_ldb, &all_classes, &req.page_size, &py_progress,
		    &req.max_password_age_days)) {
		return NULL;
	}
	req.all_classes = all_classes;
	if (py_progress != Py_None) {
		progress.callable = py_progress;
		req.progress = audit_progress_cb;
		req.progress_data = &progress;
	}
	if (call_start(&c, py_ldb) && call_open(&c, Py_None)) {
		ret = spnpool_op_audit(c.tmp, c.dir, &req, &result);
		/* The caller's exception wins over the scan's outcome. */
		if (progress.exc_type != NULL) {
			PyErr_Restore(progress.exc_type, progress.exc_value,
				      progress.exc_tb);
		}
	}
	return call_finish(&c, ret,
			   (ret == LDB_SUCCESS && !PyErr_Occurred() &&
			    result != NULL)
				   ? convert(&audit_table, result)
				   : NULL,
			   "audit");
}

/* parse_iis_config and parse_pools_file: no directory */
static PyObject *parse_to_py(const char *kind, PyObject *args,
			     PyObject *kwargs, const char *format)
{
	struct spnpool_web_config *config = NULL;
	Py_buffer data = { .buf = NULL };
	const char *filename = NULL;
	TALLOC_CTX *tmp = NULL;
	PyObject *ret = NULL;

	if (!PyArg_ParseTupleAndKeywords(args, kwargs, format,
					 KWNAMES("data", "filename"), &data,
					 &filename)) {
		return NULL;
	}
	tmp = talloc_new(NULL);
	if (tmp == NULL) {
		PyErr_NoMemory();
	} else if (config_from_py(tmp, kind, &data, filename, &config)) {
		ret = py_from_table(&web_config_table, config);
	}
	talloc_free(tmp);
	PyBuffer_Release(&data);
	return ret;
}

PyDoc_STRVAR(py_parse_iis_config_doc,
"parse_iis_config(data, filename=None) -> dict (web_config_table)");

static PyObject *py_parse_iis_config(PyObject *self, PyObject *args,
				     PyObject *kwargs)
{
	(void)self;
	return parse_to_py("iis", args, kwargs, "s*|z:parse_iis_config");
}

PyDoc_STRVAR(py_parse_pools_file_doc,
"parse_pools_file(data, filename=None) -> dict (web_config_table)");

static PyObject *py_parse_pools_file(PyObject *self, PyObject *args,
				     PyObject *kwargs)
{
	(void)self;
	return parse_to_py("pools", args, kwargs, "s*|z:parse_pools_file");
}

PyDoc_STRVAR(py_plan_doc,
"plan(samdb, kind, data, servers=(), filename=None, "
"allow_privileged=False) -> dict (plan_table); use "
"samba_spnpool.plan()");

static PyObject *py_plan_fn(PyObject *self, PyObject *args, PyObject *kwargs)
{
	struct call c;
	struct spnpool_web_config *config = NULL;
	struct spnpool_plan *plan = NULL;
	Py_buffer data = { .buf = NULL };
	PyObject *py_ldb = NULL, *py_servers = Py_None;
	PyObject *py_result = NULL, *none = NULL;
	const char *kind = NULL, *filename = NULL;
	const char **servers = NULL;
	size_t num_servers = 0;
	int allow_privileged = 0;
	int ret = LDB_SUCCESS;

	(void)self;
	if (!PyArg_ParseTupleAndKeywords(
		    args, kwargs, "Oss*|Ozp:plan",
		    KWNAMES("samdb", "kind", "data", "servers", "filename",
			    "allow_privileged"),
		    &py_ldb, &kind, &data, &py_servers, &filename,
		    &allow_privileged)) {
		return NULL;
	}
	if (py_servers == Py_None) {
		py_servers = none = PyTuple_New(0);
	}
	if (call_start(&c, py_ldb) &&
	    strings_from_py(c.tmp, py_servers, "servers", &servers,
			    &num_servers) &&
	    config_from_py(c.tmp, kind, &data, filename, &config) &&
	    call_open(&c, Py_None)) {
		ret = spnpool_op_plan(c.tmp, c.dir, config, servers,
				      num_servers, allow_privileged, &plan);
		py_result = (ret == LDB_SUCCESS) ? convert(&plan_table, plan)
						 : NULL;
	}
	Py_XDECREF(none);
	PyBuffer_Release(&data);
	return call_finish(&c, ret, py_result, "plan");
}

PyDoc_STRVAR(py_apply_doc,
"apply(samdb, changes, journal=None, dry_run=False, "
"peers=None, names=None, allow_privileged=False) -> dict; use "
"samba_spnpool.apply(), which validates the changes");

static PyObject *py_apply(PyObject *self, PyObject *args, PyObject *kwargs)
{
	struct call c;
	struct spnpool_change *changes = NULL;
	struct spnpool_apply_result *result = NULL;
	struct spnpool_apply_scope scope = { .num_names = 0 };
	PyObject *py_ldb = NULL, *py_changes = NULL;
	PyObject *py_names = Py_None, *py_peers = Py_None;
	const char *journal = NULL;
	size_t num_changes = 0;
	int dry_run = 0, allow_privileged = 0;
	int ret = LDB_SUCCESS;

	(void)self;
	if (!PyArg_ParseTupleAndKeywords(
		    args, kwargs, "OO|zpOOp:apply",
		    KWNAMES("samdb", "changes", "journal", "dry_run",
			    "peers", "names", "allow_privileged"),
		    &py_ldb, &py_changes, &journal, &dry_run,
		    &py_peers, &py_names, &allow_privileged)) {
		return NULL;
	}
	scope.allow_privileged = allow_privileged;
	if (call_start(&c, py_ldb) &&
	    changes_from_py(c.tmp, py_changes, &changes, &num_changes) &&
	    scope_from_py(c.tmp, py_names, &scope) &&
	    call_open(&c, py_peers)) {
		ret = spnpool_op_apply(c.tmp, c.dir, &scope, changes,
				       num_changes, dry_run ? NULL : journal,
				       dry_run, &result);
	}
	return call_finish(&c, ret, convert(&apply_table, result), "apply");
}

PyDoc_STRVAR(py_undo_doc,
"undo(samdb, journal, dry_run=False, peers=None, "
"allow_privileged=False) -> dict (as apply)");

static PyObject *py_undo(PyObject *self, PyObject *args, PyObject *kwargs)
{
	struct call c;
	struct spnpool_apply_result *result = NULL;
	PyObject *py_ldb = NULL, *py_peers = Py_None;
	const char *journal = NULL;
	int dry_run = 0, allow_privileged = 0;
	int ret = LDB_SUCCESS;

	(void)self;
	if (!PyArg_ParseTupleAndKeywords(
		    args, kwargs, "Os|pOp:undo",
		    KWNAMES("samdb", "journal", "dry_run", "peers",
			    "allow_privileged"),
		    &py_ldb, &journal, &dry_run, &py_peers,
		    &allow_privileged)) {
		return NULL;
	}
	if (call_start(&c, py_ldb) && call_open(&c, py_peers)) {
		ret = spnpool_op_undo(c.tmp, c.dir, journal, dry_run,
				      allow_privileged, &result);
	}
	return call_finish(&c, ret, convert(&apply_table, result), "undo");
}

PyDoc_STRVAR(py_compare_dcs_doc,
"compare_dcs(samdb, peers) -> dict (dc_diff_result_table)");

static PyObject *py_compare_dcs(PyObject *self, PyObject *args,
				PyObject *kwargs)
{
	struct call c;
	struct spnpool_dc_diff_result *result = NULL;
	PyObject *py_ldb = NULL, *py_peers = Py_None;
	int ret = LDB_SUCCESS;

	(void)self;
	if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O|O:compare_dcs",
					 KWNAMES("samdb", "peers"), &py_ldb,
					 &py_peers)) {
		return NULL;
	}
	if (call_start(&c, py_ldb) && call_open(&c, py_peers)) {
		ret = spnpool_op_compare_dcs(c.tmp, c.dir, &result);
	}
	return call_finish(&c, ret,
			   ret == LDB_SUCCESS
				   ? convert(&dc_diff_result_table, result)
				   : NULL,
			   "compare_dcs");
}

PyDoc_STRVAR(py_exit_code_doc,
"exit_code(ldb_error_code) -> int: the documented exit status");

static PyObject *py_exit_code(PyObject *self, PyObject *arg)
{
	int ldb_ret;

	(void)self;
	if (!PyArg_Parse(arg, "i:exit_code", &ldb_ret)) {
		return NULL;
	}
	return PyLong_FromLong(spnpool_exit_code(ldb_ret));
}

PyDoc_STRVAR(py_is_local_doc,
"is_local(samdb) -> bool: samdb is a local database file (real\n"
"transactions), not LDAP; the library's own decision from the backend");

static PyObject *py_is_local(PyObject *self, PyObject *py_ldb)
{
	struct ldb_context *ldb = ldb_from_py(py_ldb);

	(void)self;
	if (ldb == NULL) {
		return NULL;
	}
	return PyBool_FromLong(spnpool_dir_ldb_is_local(ldb));
}

PyDoc_STRVAR(py_version_doc,
"version() -> str: the version of libspnpool");

static PyObject *py_version(PyObject *self, PyObject *unused)
{
	(void)self;
	(void)unused;
	return PyUnicode_FromString(spnpool_version());
}

/* ------------------------------------------------------------------ */
/* The module                                                          */
/* ------------------------------------------------------------------ */

#define METHOD(name, fn) \
	{ name, (PyCFunction)(void (*)(void))fn, \
	  METH_VARARGS | METH_KEYWORDS, fn##_doc }

static PyMethodDef spnpool_methods[] = {
	METHOD("add", py_add),
	METHOD("remove", py_remove),
	METHOD("list", py_list),
	METHOD("check", py_check),
	METHOD("audit", py_audit),
	METHOD("parse_iis_config", py_parse_iis_config),
	METHOD("parse_pools_file", py_parse_pools_file),
	{ "plan", (PyCFunction)(void (*)(void))py_plan_fn,
	  METH_VARARGS | METH_KEYWORDS, py_plan_doc },
	METHOD("apply", py_apply),
	METHOD("undo", py_undo),
	METHOD("compare_dcs", py_compare_dcs),
	{ "exit_code", py_exit_code, METH_O, py_exit_code_doc },
	{ "is_local", py_is_local, METH_O, py_is_local_doc },
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
	PyObject *ldb_mod = PyImport_ImportModule("ldb");
	PyObject *base = NULL;
	PyObject *dict = NULL;
	PyObject *type = NULL;

	base = (ldb_mod != NULL) ? PyObject_GetAttrString(ldb_mod, "LdbError")
				 : NULL;
	Py_XDECREF(ldb_mod);
	dict = (base != NULL) ? PyDict_New() : NULL;
	if (dict != NULL &&
	    dict_set_steal(dict, "exit_code",
			   PyLong_FromLong(SPNPOOL_EXIT_ERROR)) &&
	    PyDict_SetItemString(dict, "result", Py_None) == 0) {
		type = PyErr_NewExceptionWithDoc(
			"samba_spnpool._spnpool.SpnPoolError",
			"A libspnpool operation failed.\n\n"
			"args is (ldb_error_code, message) as for ldb.LdbError;"
			"\nexit_code is the documented exit status;\nresult "
			"is the operation's report if it returned one (a "
			"conflict lists the holders), else None.",
			base, dict);
	}
	Py_XDECREF(dict);
	Py_XDECREF(base);
	return type;
}

/* m.name = the tuple of the public names of an enum's count values */
static bool add_names(PyObject *m, const char *name,
		      const char *(*name_of)(int), int count)
{
	PyObject *t = PyTuple_New(count);
	int i;

	for (i = 0; t != NULL && i < count; i++) {
		PyObject *s = PyUnicode_FromString(name_of(i));

		if (s == NULL) {
			Py_CLEAR(t);
			break;
		}
		PyTuple_SET_ITEM(t, i, s);
	}
	if (t == NULL || PyModule_AddObject(m, name, t) != 0) {
		Py_XDECREF(t);
		return false;
	}
	return true;
}

PyMODINIT_FUNC PyInit__spnpool(void)
{
	static const struct {
		const char *name;
		int value;
	} exits[] = {
		{ "EXIT_OK", SPNPOOL_EXIT_OK },
		{ "EXIT_ERROR", SPNPOOL_EXIT_ERROR },
		{ "EXIT_BAD_INPUT", SPNPOOL_EXIT_BAD_INPUT },
		{ "EXIT_NO_IDENTITY", SPNPOOL_EXIT_NO_IDENTITY },
		{ "EXIT_CONFLICT", SPNPOOL_EXIT_CONFLICT },
		{ "EXIT_ACCESS", SPNPOOL_EXIT_ACCESS },
		{ "EXIT_CONNECTION", SPNPOOL_EXIT_CONNECTION },
		{ "EXIT_AUTH", SPNPOOL_EXIT_AUTH },
		{ "EXIT_PRIVILEGED", SPNPOOL_EXIT_PRIVILEGED },
	};
	/* the public names of each result enum, in enum order */
	static const struct {
		const char *name;
		const char *(*name_of)(int);
		int count;
	} names[] = {
		{ "VERDICTS", spnpool_verdict_name_of, SPNPOOL_VERDICT_COUNT },
		{ "CHECK_REASONS", spnpool_check_reason_name_of,
		  SPNPOOL_CHECK_REASON_COUNT },
		{ "DNS_STATES", spnpool_dns_state_name_of,
		  SPNPOOL_DNS_STATE_COUNT },
		{ "ACTION_KINDS", spnpool_action_kind_name_of,
		  SPNPOOL_ACTION_KIND_COUNT },
		{ "CLIENT_MODELS", spnpool_client_model_name_of,
		  SPNPOOL_CLIENT_AS_TYPED + 1 },
		{ "FINDING_KINDS", spnpool_finding_name_of,
		  SPNPOOL_FINDING_KIND_COUNT },
		{ "DECISIONS", spnpool_plan_decision_name_of,
		  SPNPOOL_PLAN_DECISION_COUNT },
		{ "RESOLUTION_KINDS", spnpool_resolution_kind_name_of,
		  SPNPOOL_RESOLUTION_KIND_COUNT },
		{ "NOTE_KINDS", spnpool_note_kind_name_of,
		  SPNPOOL_NOTE_KIND_COUNT },
		{ "CHANGE_STATES", spnpool_change_state_name_of,
		  SPNPOOL_CHANGE_FAILED + 1 },
	};
	PyObject *m = NULL;
	size_t i;
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
	}
	ok = spnpool_error != NULL &&
	     PyModule_AddObject(m, "SpnPoolError",
				Py_NewRef(spnpool_error)) == 0;
	for (i = 0; ok && i < sizeof(exits) / sizeof(exits[0]); i++) {
		ok = PyModule_AddIntConstant(m, exits[i].name,
					     exits[i].value) == 0;
	}
	for (i = 0; ok && i < sizeof(names) / sizeof(names[0]); i++) {
		ok = add_names(m, names[i].name, names[i].name_of,
			       names[i].count);
	}
	if (!ok) {
		Py_DECREF(m);
		return NULL;
	}
	return m;
}
