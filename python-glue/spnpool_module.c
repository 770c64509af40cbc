/*
 * samba_spnpool._spnpool: the CPython binding of libspnpool.
 *
 * samba-tool opens the SamDB (so every credential and connection form it
 * supports works); this module borrows that SamDB's struct ldb_context,
 * hands it and plain arguments to libspnpool and turns the result
 * structures into dicts.  Nothing here decides: ports, hosts and
 * identities go to the library as text; words are samba_spnpool.render's.
 *
 * Four parts, one idiom each (docs/design.md, "The binding"):
 *  - one descriptor table per result type and one converter,
 *    py_from_table(): the tables are the JSON schema of the results;
 *  - one validator per input type (*_from_py());
 *  - one call helper (call_start(), call_open(), call_finish()): the
 *    talloc context, the borrowed ldb, the directory, errors raised as
 *    SpnPoolError with the partial result;
 *  - one argument spec per entry point (ENTRY()) and one runner,
 *    run_entry().
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

/* ---- C values to Python ---- */

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
	F_ENUM,	 /* an enum, by its public name (a NULL name: None) */
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

/* A table of struct T (#define T before it) */
#define TABLE(name, ...)                                             \
	static const struct field name##_fields[] = {__VA_ARGS__,    \
						     {.key = NULL}}; \
	static const struct table name = {sizeof(T), name##_fields}

static PyObject *py_from_table(const struct table *t, const void *obj);

/* Item i of the array of a list field (F_STRS, F_ENUMS, F_ARRAY). */
static PyObject *py_item(const struct field *f, const void *items, size_t i)
{
	switch (f->type) {
	case F_STRS:
		return py_str_or_none(((const char *const *)items)[i]);
	case F_ENUMS:
		return py_str_or_none(f->name(((const int *)items)[i]));
	default:
		return py_from_table(f->sub,
				     (const char *)items + i * f->sub->size);
	}
}

static PyObject *py_field(const struct field *f, const char *base)
{
	const void *at = base + f->offset;
	const void *ptr = (f->type >= F_STRS) ? *(const void *const *)at : NULL;
	PyObject *list = NULL;
	size_t i, count;

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
		return py_str_or_none(f->name(*(const int *)at));
	case F_PTR:
		if (ptr == NULL) {
			Py_RETURN_NONE;
		}
		return py_from_table(f->sub, ptr);
	case F_STRS:
	case F_ENUMS:
	case F_ARRAY:
		count = *(const size_t *)(const void *)(base + f->count_offset);
		list = PyList_New((Py_ssize_t)count);
		for (i = 0; list != NULL && i < count; i++) {
			PyObject *item = py_item(f, ptr, i);

			if (item == NULL) {
				Py_CLEAR(list);
				break;
			}
			PyList_SET_ITEM(list, (Py_ssize_t)i, item);
		}
		return list;
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

/*
 * The result enums exported as tuples of public names (VERDICTS, ...):
 * (Python name, name function, enum type, count).  Their name functions
 * are callable through one type as <fn>_of().
 */
#define EXPORTED_ENUMS(X)                                                      \
	X(VERDICTS, spnpool_verdict_name, enum spnpool_verdict,                \
	  SPNPOOL_VERDICT_COUNT)                                               \
	X(CHECK_REASONS, spnpool_check_reason_name, enum spnpool_check_reason, \
	  SPNPOOL_CHECK_REASON_COUNT)                                          \
	X(DNS_STATES, spnpool_dns_state_name, enum spnpool_dns_state,          \
	  SPNPOOL_DNS_STATE_COUNT)                                             \
	X(ACTION_KINDS, spnpool_action_kind_name, enum spnpool_action_kind,    \
	  SPNPOOL_ACTION_KIND_COUNT)                                           \
	X(CLIENT_MODELS, spnpool_client_model_name, enum spnpool_client_model, \
	  SPNPOOL_CLIENT_AS_TYPED + 1)                                         \
	X(FINDING_KINDS, spnpool_finding_name, enum spnpool_finding_kind,      \
	  SPNPOOL_FINDING_KIND_COUNT)                                          \
	X(DECISIONS, spnpool_plan_decision_name, enum spnpool_plan_decision,   \
	  SPNPOOL_PLAN_DECISION_COUNT)                                         \
	X(RESOLUTION_KINDS, spnpool_resolution_kind_name,                      \
	  enum spnpool_resolution_kind, SPNPOOL_RESOLUTION_KIND_COUNT)         \
	X(NOTE_KINDS, spnpool_note_kind_name, enum spnpool_note_kind,          \
	  SPNPOOL_NOTE_KIND_COUNT)                                             \
	X(CHANGE_STATES, spnpool_change_state_name, enum spnpool_change_state, \
	  SPNPOOL_CHANGE_FAILED + 1)                                           \
	X(PRIVILEGED_REASONS, spnpool_privileged_name,                         \
	  enum spnpool_privileged, SPNPOOL_PRIVILEGED_COUNT)                   \
	X(ACCESS_STATES, spnpool_access_name, enum spnpool_access,             \
	  SPNPOOL_ACCESS_COUNT)
#define NAME_OF(py, fn, type, count)      \
	static const char *fn##_of(int i) \
	{                                 \
		return fn((type)i);       \
	}
EXPORTED_ENUMS(NAME_OF)
NAME_OF(, spnpool_via_name, enum spnpool_via, )
NAME_OF(, spnpool_state_name, enum spnpool_spn_state, )
NAME_OF(, spnpool_conflict_name, enum spnpool_conflict, )
NAME_OF(, spnpool_why_name, enum spnpool_why, )

/* A privileged reason in a result: None when not privileged. */
static const char *privileged_or_none_of(int p)
{
	return (p == SPNPOOL_PRIVILEGED_NONE) ? NULL
					      : spnpool_privileged_name_of(p);
}

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

	return ((unsigned)t < sizeof(names) / sizeof(names[0])) ? names[t]
								: "unknown";
}

/* ---- The tables: the JSON schema of every result ---- */

/*
 * Within a table, T is its struct; a row names the member, which is also
 * the JSON key unless the row gives one (K_*).  Read a table as the JSON
 * object it makes, top to bottom.
 */
#define ROW(type_, key_, m, ...)                                          \
	{                                                                 \
		.key = (key_), .type = (type_), .offset = offsetof(T, m), \
		__VA_ARGS__                                               \
	}
#define COUNT(n) .count_offset = offsetof(T, n)
#define S(m) ROW(F_STR, #m, m)
#define B(m) ROW(F_BOOL, #m, m)
#define U16(m) ROW(F_U16, #m, m)
#define U(m) ROW(F_UINT, #m, m)
#define U64(m) ROW(F_U64, #m, m)
#define N(m) ROW(F_SIZE, #m, m)
#define E(m, fn) ROW(F_ENUM, #m, m, .name = (fn))
#define K_E(k, m, fn) ROW(F_ENUM, k, m, .name = (fn))
#define K_S(k, m) ROW(F_STR, k, m)
#define STRS(m, n) ROW(F_STRS, #m, m, COUNT(n))
#define ARRAY(m, n, sub_) ROW(F_ARRAY, #m, m, COUNT(n), .sub = (sub_))
#define K_ARRAY(k, m, n, sub_) ROW(F_ARRAY, k, m, COUNT(n), .sub = (sub_))
#define ONE(m, sub_) ROW(F_PTR, #m, m, .sub = (sub_))
#define ENUMS(m, n, fn) ROW(F_ENUMS, #m, m, COUNT(n), .name = (fn))

/* A fix: samba_spnpool.render makes its text and command line. */
#define T struct spnpool_action
TABLE(action_table, E(kind, spnpool_action_kind_name_of), S(account), S(domain),
      S(host), U16(port), S(server), S(spn), S(target), S(site), S(site_id),
      S(app_path), S(pool), B(move));
#undef T
#define T struct spnpool_account
TABLE(account_table, S(dn), S(guid), S(sam_account_name),
      S(user_principal_name), B(is_computer), B(is_managed), B(disabled),
      B(builtin), E(privileged, privileged_or_none_of), STRS(spns, num_spns));
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
      K_E("reason_kind", reason, spnpool_check_reason_name_of), B(kernel_mode),
      K_ARRAY("actions", fixes, num_fixes, &action_table),
      E(client, spnpool_client_model_name_of), S(kdc),
      ONE(other, &check_table));
#undef T

/* audit ("counts" is added by the call) */
#define T struct spnpool_finding
TABLE(finding_table, E(kind, spnpool_finding_name_of), S(spn),
      STRS(dns, num_dns), STRS(sams, num_dns), B(account_gone), S(host),
      U16(port), S(other_spn), U(password_days), U(max_password_age_days),
      K_ARRAY("actions", fixes, num_fixes, &action_table));
#undef T
#define T struct spnpool_audit_result
TABLE(audit_table, U64(entries_read), U64(values_read), U64(distinct_spns),
      ARRAY(findings, num_findings, &finding_table));
#undef T

/* parse_iis_config, parse_pools_file */
#define T struct spnpool_web_binding
TABLE(web_binding_table, S(site), S(site_id), S(app_path), S(pool),
      E(identity_type, identity_type_name_of), S(user_name), S(host), U16(port),
      B(https), B(windows_auth), B(negotiate), B(kernel_mode),
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
TABLE(plan_user_table, S(server), S(site), S(app_path), S(pool), S(account_dn),
      S(account_sam), S(identity), B(kernel_mode), B(use_app_pool_credentials));
#undef T
#define T struct spnpool_resolution
TABLE(resolution_table, E(kind, spnpool_resolution_kind_name_of), S(account),
      S(domain), S(pool), ARRAY(actions, num_actions, &action_table),
      B(chosen));
#undef T
#define T struct spnpool_plan_name
TABLE(plan_name_table, S(netbios), S(fqdn),
      E(decision, spnpool_plan_decision_name_of), S(account_dn), S(account_sam),
      N(num_accounts), B(farm_of_machines),
      ARRAY(users, num_users, &plan_user_table),
      ARRAY(resolutions, num_resolutions, &resolution_table), B(unresolved),
      E(privileged, privileged_or_none_of),
      ARRAY(iis_actions, num_iis_actions, &action_table));
#undef T
#define T struct spnpool_plan_note
TABLE(note_table, E(kind, spnpool_note_kind_name_of), S(site), S(pool), S(fqdn),
      U16(port), S(account), E(privileged, privileged_or_none_of), U(values),
      U(limit));
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

/* ---- Errors ---- */

/*
 * Raise SpnPoolError(ldb_ret, msg) with .result.  msg NULL or empty:
 * ldb's name of the code.  result may be NULL (then .result is None); it
 * is not stolen.  Always returns NULL.  The exit status that goes with
 * the code is the command layer's (samba_spnpool.exitcodes).
 */
static PyObject *raise_spnpool_message(int ldb_ret, const char *msg,
				       PyObject *result)
{
	PyObject *exc = NULL;

	if (msg == NULL || msg[0] == '\0') {
		msg = ldb_strerror(ldb_ret);
	}
	exc = PyObject_CallFunction(spnpool_error, "(iN)", ldb_ret,
				    py_str_or_none(msg));
	if (exc == NULL) {
		return NULL;
	}
	if (PyObject_SetAttrString(exc, "result",
				   result != NULL ? result : Py_None) == 0) {
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
	PyObject_HEAD TALLOC_CTX *mem_ctx;
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
			     PyType_Check(type)
				     ? ((PyTypeObject *)type)->tp_basicsize
				     : (Py_ssize_t)-1,
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

/* ---- Python values to C: one validator per input type ---- */

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
static bool port_from_py(TALLOC_CTX *mem_ctx, PyObject *obj, const char **_port)
{
	PyObject *text = NULL;

	*_port = NULL;
	if (obj == Py_None) {
		return true;
	}
	if (PyBool_Check(obj) ||
	    (!PyLong_Check(obj) && !PyUnicode_Check(obj))) {
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
static PyObject *list_from_py(PyObject *obj, const char *what, const char *of)
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
			PyErr_Format(
				PyExc_ValueError,
				"changes[%zd]: the action must be 'add' or "
				"'delete', not '%s'",
				i, action);
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
	PyObject *seq =
		(obj != Py_None) ? list_from_py(obj, "names", "tuples") : NULL;
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
		servers =
			talloc_zero_array(names, const char *, (size_t)num + 1);
		if (ok && (ids == NULL || servers == NULL)) {
			ok = PyErr_NoMemory() != NULL;
		}
		for (u = 0; ok && u < num; u++) {
			ok = PyArg_ParseTuple(PyTuple_GET_ITEM(users, u),
					      "sz:users", &ids[u], &servers[u]);
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
		st = spnpool_iis_config_parse(
			mem_ctx, data->buf, (size_t)data->len, _config, &error);
	} else if (strcmp(kind, "pools") == 0) {
		st = spnpool_pools_file_parse(
			mem_ctx, data->buf, (size_t)data->len, _config, &error);
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

/* ---- The call helper ---- */

/* What one call of an operation holds. */
struct call {
	TALLOC_CTX *tmp;
	struct ldb_context *ldb;
	struct spnpool_dir *dir;
};

/* The borrowed ldb and a talloc context; false with an exception. */
static bool call_start(struct call *c, PyObject *py_ldb)
{
	*c = (struct call){.ldb = ldb_from_py(py_ldb)};
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
static PyObject *call_finish(struct call *c, int ldb_ret, PyObject *py_result,
			     const char *operation)
{
	if (!PyErr_Occurred()) {
		if (ldb_ret != LDB_SUCCESS) {
			raise_spnpool_message(
				ldb_ret, c->ldb ? ldb_errstring(c->ldb) : NULL,
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

/* ---- The entry points: one argument spec each, one runner ---- */

/* Every argument an entry point takes, as PyArg_ParseTuple fills it. */
struct args {
	PyObject *samdb, *hosts, *port, *peers, *progress, *servers;
	PyObject *changes, *names;
	const char *identity, *server, *host, *target, *kind, *filename;
	const char *journal;
	Py_buffer data;
	int move, dry_run, allow_privileged, kernel_mode, include_port;
	int port_only;
	int all_classes, client;
	unsigned page_size, max_password_age;
};

/* The most arguments an entry point takes: params[] keeps a NULL
 * sentinel, so one more in an ENTRY is a compile error (excess
 * elements), and run_entry() passes exactly this many pointers. */
#define MAX_ARGS 10

/*
 * An entry point: its PyArg format, its arguments (struct args members
 * in format order; the keyword is the member's name), what it does once
 * they are parsed and the call is started (run: the LDB result, the C
 * result in *_r; a Python exception set means failure) and the table of
 * that result, converted on success and, if partial, on failure too.
 */
struct entry {
	const char *format;
	int (*run)(struct call *c, struct args *a, const char *extra,
		   const void **_r);
	const struct table *table;
	bool partial;
	const char *extra; /* for run: the operation or the file kind */
	struct param {
		const char *name;
		size_t offset;
	} params[MAX_ARGS + 1];
};

static PyObject *run_entry(const struct entry *e, PyObject *args,
			   PyObject *kwargs)
{
	struct args a = {.port = Py_None,
			 .peers = Py_None,
			 .progress = Py_None,
			 .servers = Py_None,
			 .names = Py_None,
			 .client = SPNPOOL_CLIENT_BROWSER};
	const char *kw[MAX_ARGS + 1] = {NULL};
	void *p[MAX_ARGS] = {NULL};
	struct call c = {.tmp = NULL};
	PyObject *py_result = NULL;
	const void *result = NULL;
	int ret = LDB_SUCCESS;
	size_t i;

	for (i = 0; i < MAX_ARGS && e->params[i].name != NULL; i++) {
		kw[i] = e->params[i].name;
		p[i] = (char *)&a + e->params[i].offset;
	}
	if (!PyArg_ParseTupleAndKeywords(
		    args, kwargs, e->format, (char **)(void *)kw, p[0], p[1],
		    p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9])) {
		return NULL;
	}
	if (a.samdb == NULL) { /* no directory: parse_* */
		c.tmp = talloc_new(NULL);
		if (c.tmp == NULL) {
			PyErr_NoMemory();
		}
	} else {
		call_start(&c, a.samdb);
	}
	if (c.tmp != NULL) {
		ret = e->run(&c, &a, e->extra, &result);
	}
	if (result != NULL && !PyErr_Occurred() &&
	    (ret == LDB_SUCCESS || e->partial)) {
		py_result = py_from_table(e->table, result);
	}
	if (a.data.obj != NULL) {
		PyBuffer_Release(&a.data);
	}
	return call_finish(&c, ret, py_result, strchr(e->format, ':') + 1);
}

/* add and remove (extra) */
static int run_op(struct call *c, struct args *a, const char *extra,
		  const void **_r)
{
	struct spnpool_request req = {
		.identity = a->identity,
		.server = a->server,
		.move = a->move,
		.dry_run = a->dry_run,
		.allow_privileged = a->allow_privileged,
		.port_only = a->port_only,
	};
	struct spnpool_op_result *result = NULL;
	const char **hosts = NULL;
	int ret;

	if (!strings_from_py(c->tmp, a->hosts, "hosts", &hosts,
			     &req.num_hosts) ||
	    !port_from_py(c->tmp, a->port, &req.port) ||
	    !call_open(c, a->peers)) {
		return LDB_SUCCESS;
	}
	req.hosts = hosts;
	ret = (strcmp(extra, "add") == 0 ? spnpool_op_add : spnpool_op_remove)(
		c->tmp, c->dir, &req, &result);
	*_r = result;
	return ret;
}

static int run_list(struct call *c, struct args *a, const char *extra,
		    const void **_r)
{
	struct spnpool_list_result *result = NULL;
	int ret = LDB_SUCCESS;

	(void)extra;
	if (call_open(c, Py_None)) {
		ret = spnpool_op_list(c->tmp, c->dir, a->identity, a->server,
				      a->host, &result);
	}
	*_r = result;
	return ret;
}

static int run_check(struct call *c, struct args *a, const char *extra,
		     const void **_r)
{
	struct spnpool_check_request req = {
		.target = a->target,
		.identity = a->identity,
		.server = a->server,
		.kernel_mode = a->kernel_mode,
		.include_port = a->include_port,
		.client = (enum spnpool_client_model)a->client,
	};
	struct spnpool_check_result *result = NULL;
	int ret = LDB_SUCCESS;

	(void)extra;
	if (call_open(c, Py_None)) {
		ret = spnpool_op_check(c->tmp, c->dir, &req, &result);
	}
	*_r = result;
	return ret;
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

static int run_audit(struct call *c, struct args *a, const char *extra,
		     const void **_r)
{
	struct audit_progress progress = {.callable = a->progress};
	struct spnpool_audit_request req = {
		.all_classes = a->all_classes,
		.page_size = a->page_size,
		.max_password_age_days = a->max_password_age,
	};
	struct spnpool_audit_result *result = NULL;
	int ret;

	(void)extra;
	if (a->progress != Py_None) {
		req.progress = audit_progress_cb;
		req.progress_data = &progress;
	}
	if (!call_open(c, Py_None)) {
		return LDB_SUCCESS;
	}
	ret = spnpool_op_audit(c->tmp, c->dir, &req, &result);
	/* The caller's exception wins over the scan's outcome. */
	if (progress.exc_type != NULL) {
		PyErr_Restore(progress.exc_type, progress.exc_value,
			      progress.exc_tb);
	}
	*_r = result;
	return ret;
}

/* parse_iis_config and parse_pools_file (extra: the kind): no directory */
static int run_parse(struct call *c, struct args *a, const char *extra,
		     const void **_r)
{
	struct spnpool_web_config *config = NULL;

	config_from_py(c->tmp, extra, &a->data, a->filename, &config);
	*_r = config;
	return LDB_SUCCESS;
}

static int run_plan(struct call *c, struct args *a, const char *extra,
		    const void **_r)
{
	struct spnpool_web_config *config = NULL;
	struct spnpool_plan *plan = NULL;
	PyObject *none = (a->servers == Py_None) ? PyTuple_New(0) : NULL;
	const char **servers = NULL;
	size_t num_servers = 0;
	int ret = LDB_SUCCESS;

	(void)extra;
	if (strings_from_py(c->tmp, none != NULL ? none : a->servers, "servers",
			    &servers, &num_servers) &&
	    config_from_py(c->tmp, a->kind, &a->data, a->filename, &config) &&
	    call_open(c, Py_None)) {
		ret = spnpool_op_plan(c->tmp, c->dir, config, servers,
				      num_servers, a->allow_privileged, &plan);
	}
	Py_XDECREF(none);
	*_r = plan;
	return ret;
}

static int run_apply(struct call *c, struct args *a, const char *extra,
		     const void **_r)
{
	struct spnpool_apply_scope scope = {
		.allow_privileged = a->allow_privileged,
	};
	struct spnpool_change *changes = NULL;
	struct spnpool_apply_result *result = NULL;
	size_t num = 0;
	int ret = LDB_SUCCESS;

	(void)extra;
	if (changes_from_py(c->tmp, a->changes, &changes, &num) &&
	    scope_from_py(c->tmp, a->names, &scope) && call_open(c, a->peers)) {
		ret = spnpool_op_apply(c->tmp, c->dir, &scope, changes, num,
				       a->dry_run ? NULL : a->journal,
				       a->dry_run, &result);
	}
	*_r = result;
	return ret;
}

static int run_undo(struct call *c, struct args *a, const char *extra,
		    const void **_r)
{
	struct spnpool_apply_result *result = NULL;
	int ret = LDB_SUCCESS;

	(void)extra;
	if (call_open(c, a->peers)) {
		ret = spnpool_op_undo(c->tmp, c->dir, a->journal, a->dry_run,
				      a->allow_privileged, &result);
	}
	*_r = result;
	return ret;
}

static int run_compare_dcs(struct call *c, struct args *a, const char *extra,
			   const void **_r)
{
	struct spnpool_dc_diff_result *result = NULL;
	int ret = LDB_SUCCESS;

	(void)extra;
	if (call_open(c, a->peers)) {
		ret = spnpool_op_compare_dcs(c->tmp, c->dir, &result);
	}
	*_r = result;
	return ret;
}

/*
 * The specs: ENTRY(name, run, format, table, partial, extra,
 * P(argument)...) makes py_<name>; the docstrings give the signature
 * only, the Python wrappers of samba_spnpool carry the documentation.
 */
#define P(m)                                 \
	{                                    \
#m, offsetof(struct args, m) \
	}
#define ENTRY(name, run_fn, format, table_, partial_, extra_, ...)        \
	static const struct entry name##_entry = {                        \
		format, run_fn, table_, partial_, extra_, {__VA_ARGS__}}; \
	static PyObject *py_##name(PyObject *self, PyObject *args,        \
				   PyObject *kwargs)                      \
	{                                                                 \
		(void)self;                                               \
		return run_entry(&name##_entry, args, kwargs);            \
	}

ENTRY(add, run_op, "OsO|OzppOpp:add", &op_result_table, true, "add", P(samdb),
      P(identity), P(hosts), P(port), P(server), P(move), P(dry_run), P(peers),
      P(allow_privileged), P(port_only))
ENTRY(remove, run_op, "OsO|OzpO:remove", &op_result_table, true, "remove",
      P(samdb), P(identity), P(hosts), P(port), P(server), P(dry_run), P(peers))
ENTRY(list, run_list, "O|zzz:list", &list_result_table, false, NULL, P(samdb),
      P(identity), P(host), P(server))
ENTRY(check, run_check, "Oss|zppi:check", &check_table, true, NULL, P(samdb),
      P(target), P(identity), P(server), P(kernel_mode), P(include_port),
      P(client))
ENTRY(audit, run_audit, "O|pIOI:audit", &audit_table, false, NULL, P(samdb),
      P(all_classes), P(page_size), P(progress), P(max_password_age))
ENTRY(parse_iis_config, run_parse, "s*|z:parse_iis_config", &web_config_table,
      false, "iis", P(data), P(filename))
ENTRY(parse_pools_file, run_parse, "s*|z:parse_pools_file", &web_config_table,
      false, "pools", P(data), P(filename))
ENTRY(plan, run_plan, "Oss*|Ozp:plan", &plan_table, false, NULL, P(samdb),
      P(kind), P(data), P(servers), P(filename), P(allow_privileged))
ENTRY(apply, run_apply, "OO|zpOOp:apply", &apply_table, true, NULL, P(samdb),
      P(changes), P(journal), P(dry_run), P(peers), P(names),
      P(allow_privileged))
ENTRY(undo, run_undo, "Os|pOp:undo", &apply_table, true, NULL, P(samdb),
      P(journal), P(dry_run), P(peers), P(allow_privileged))
ENTRY(compare_dcs, run_compare_dcs, "O|O:compare_dcs", &dc_diff_result_table,
      false, NULL, P(samdb), P(peers))

/* samdb is a local database file (real transactions), not LDAP: the
 * library's own decision from the backend */
static PyObject *py_is_local(PyObject *self, PyObject *py_ldb)
{
	struct ldb_context *ldb = ldb_from_py(py_ldb);

	(void)self;
	if (ldb == NULL) {
		return NULL;
	}
	return PyBool_FromLong(spnpool_dir_ldb_is_local(ldb));
}

static PyObject *py_version(PyObject *self, PyObject *unused)
{
	(void)self;
	(void)unused;
	return PyUnicode_FromString(spnpool_version());
}

/* ---- The module ---- */

#define METHOD(name, doc)                                      \
	{                                                      \
#name, (PyCFunction)(void (*)(void))py_##name, \
			METH_VARARGS | METH_KEYWORDS, doc      \
	}
/* with a wrapper in samba_spnpool, which documents and checks more */
#define WRAPPED(name) METHOD(name, "Use samba_spnpool." #name "().")

static PyMethodDef spnpool_methods[] = {
	WRAPPED(add),
	WRAPPED(remove),
	WRAPPED(check),
	WRAPPED(audit),
	WRAPPED(plan),
	WRAPPED(apply),
	WRAPPED(undo),
	WRAPPED(list),
	METHOD(parse_iis_config,
	       "parse_iis_config(data, filename=None) -> "
	       "dict: the bindings of applicationHost.config"),
	METHOD(parse_pools_file, "parse_pools_file(data, filename=None) -> "
				 "dict: the bindings of a pools file"),
	METHOD(compare_dcs, "compare_dcs(samdb, peers) -> dict: the HTTP SPNs "
			    "the DCs disagree on"),
	{"is_local", py_is_local, METH_O,
	 "is_local(samdb) -> bool: a local database file, not LDAP"},
	{"version", py_version, METH_NOARGS,
	 "version() -> str: the version of libspnpool"},
	{NULL, NULL, 0, NULL}};

PyDoc_STRVAR(
	spnpool_module_doc,
	"Binding of libspnpool: HTTP SPNs for application pool identities.\n"
	"\n"
	"parse_iis_config and parse_pools_file are pure; every other "
	"operation\n"
	"takes an open SamDB and borrows its ldb context.");

static struct PyModuleDef spnpool_module = {
	PyModuleDef_HEAD_INIT,	      .m_name = "samba_spnpool._spnpool",
	.m_doc = spnpool_module_doc,  .m_size = -1,
	.m_methods = spnpool_methods,
};

/* An ldb.LdbError subclass whose instances carry .result (None). */
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
	    PyDict_SetItemString(dict, "result", Py_None) == 0) {
		type = PyErr_NewExceptionWithDoc(
			"samba_spnpool._spnpool.SpnPoolError",
			"A libspnpool operation failed.\n\n"
			"args is (ldb_error_code, message) as for ldb.LdbError;"
			"\nresult "
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
#define EXPORT(py, fn, type, count) {#py, fn##_of, count},
	static const struct {
		const char *name;
		const char *(*name_of)(int);
		int count;
	} names[] = {EXPORTED_ENUMS(EXPORT)};
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
	     PyModule_AddObject(m, "SpnPoolError", Py_NewRef(spnpool_error)) ==
		     0;
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
