/*
 * libspnpool: IIS 7+ applicationHost.config.  Which names reach which
 * application pool, under which identity, with which Windows
 * authentication settings.  Pure: no directory access.
 *
 * The file comes from a Windows server the admin copied it from, so it is
 * input, not trusted: it is parsed from memory with network access off,
 * and a document type declaration, an entity declaration or a reference
 * to a non-predefined entity stops the parser at once (SAX hooks on the
 * parser context), before anything could be expanded or fetched.  IIS
 * itself never writes any of them.  Errors of libxml2 reach us through a
 * structured error handler of this parse's own context, never through
 * the thread's global handlers.
 *
 * Sections read (everything else is ignored):
 *   system.applicationHost/applicationPools    add, applicationPoolDefaults
 *   system.applicationHost/sites               site, siteDefaults,
 *                                              applicationDefaults
 *   system.webServer/security/authentication/windowsAuthentication
 *       at the top level and in <location path="SITE[/PATH]">
 */

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/SAX2.h>
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/tree.h>

#include "spnpool_private.h"

/* Larger files are refused before libxml2 sees them. */
#define IIS_MAX_LEN (16 * 1024 * 1024)
/* Output (binding x application) pairs; a real server has a few hundred. */
#define IIS_MAX_BINDINGS 100000
/* Application and location paths: bounds the cost of matching them. */
#define IIS_MAX_PATH 1024
#define IIS_MAX_PROVIDERS 64
/* Bounds checked before libxml2 sees the file: its duplicate-attribute
 * check is quadratic in the attributes of one element (200,000 of them
 * ran past 300 s).  IIS writes a few dozen at most. */
#define IIS_MAX_ATTRIBUTES 256
#define IIS_MAX_ELEMENTS 500000
/* Longest quotation of the input in an error message. */
#define IIS_SHOW_MAX 80

/* Never NOENT (expands entities), DTDLOAD, DTDATTR or HUGE.  The input
 * is read as UTF-8 whatever its declaration says (IGNORE_ENC): IIS
 * writes nothing else, and libxml2's converters report their errors
 * through the global handler, not through this parse's own.  (Forcing
 * the "UTF-8" handler instead would also route the input through a
 * converter, limited to 10 MB without HUGE.) */
#define IIS_XML_OPTIONS                                             \
	(XML_PARSE_NONET | XML_PARSE_NOBLANKS | XML_PARSE_NOCDATA | \
	 XML_PARSE_NOWARNING | XML_PARSE_IGNORE_ENC)

static const char iis_default_pool[] = "DefaultAppPool";

struct iis_pool {
	char *name;
	long line;
	char *identity_type; /* as written; NULL: from the defaults */
	char *user_name;     /* as written; NULL: from the defaults */
	enum spnpool_pool_identity_type type;
	char *user; /* resolved: SpecificUser only */
};

/* One <windowsAuthentication>: the attributes it sets (-1: not set). */
struct iis_auth {
	char *site;   /* NULL: server level */
	char *sub;    /* path below the site, no '/' at either end */
	bool inherit; /* inheritInChildApplications */
	long line;
	int enabled;
	int kernel_mode;
	int app_pool_credentials;
	bool has_providers;
	/* <providers> children in order: NULL value = <clear/>, '+' or
	 * '-' first character: add or remove */
	char **ops;
	size_t num_ops;
};

struct iis_app {
	char *path;
	char *pool_name; /* NULL: from the defaults */
	long line;
	struct iis_pool *pool;
	bool windows_auth;
	bool negotiate;
	bool kernel_mode;
	bool app_pool_credentials;
};

struct iis_binding {
	bool https;
	uint16_t port;
	char *host;
	char *info;
	long line;
	bool duplicate; /* same https, port, host as an earlier one */
};

struct iis_site {
	char *name;
	char *id;
	long line;
	char *default_pool; /* its <applicationDefaults applicationPool> */
	struct iis_app *apps;
	size_t num_apps;
	struct iis_binding *bindings;
	size_t num_bindings;
};

struct iis_state {
	TALLOC_CTX *mem; /* everything here; freed with the parse */
	char *error;	 /* the first error, "line N: ..." */
	char *xml_error; /* libxml2's first error */
	xmlParserCtxtPtr ctxt;
	xmlDocPtr doc;
	bool have_app_host;

	struct iis_pool *pools;
	size_t num_pools;
	char *default_identity_type; /* applicationPoolDefaults */
	char *default_user_name;
	struct iis_site *sites;
	size_t num_sites;
	char *site_defaults_pool; /* siteDefaults/applicationDefaults */
	char *sites_pool;	  /* sites/applicationDefaults */
	struct iis_auth *auths;
	size_t num_auths;

	struct iis_pool **pool_index; /* sorted by name */
	struct iis_auth **auth_index; /* sorted by site, sub */
	size_t num_server_auths;      /* first in auth_index */
	struct spnpool_web_binding *out;
	size_t num_out;
};

/* ---- messages ---- */

/* The first error wins: later ones are usually consequences. */
static void iis_fail(struct iis_state *s, long line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void iis_fail(struct iis_state *s, long line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	spnpool_config_fail_v(s->mem, &s->error, line, fmt, ap);
	va_end(ap);
}

/* Input quoted in a message: control characters escaped, long values
 * shortened on a character boundary.  Never NULL. */
static const char *iis_show(struct iis_state *s, const char *value)
{
	char *out = NULL;
	size_t i;

	if (value == NULL) {
		return "";
	}
	out = talloc_strdup(s->mem, "");
	for (i = 0; value[i] != '\0' && out != NULL; i++) {
		unsigned char c = (unsigned char)value[i];

		if (i >= IIS_SHOW_MAX && (c & 0xc0) != 0x80) {
			out = talloc_strdup_append_buffer(out, "...");
			break;
		}
		if (c < 0x20 || c == 0x7f) {
			out = talloc_asprintf_append_buffer(out, "\\x%02x", c);
		} else {
			out = talloc_strndup_append_buffer(out, value + i, 1);
		}
	}
	return (out != NULL) ? out : "";
}

/* ---- libxml2 hooks: errors, line numbers, the DTD refusal ---- */

static struct iis_state *iis_of(void *ctx)
{
	xmlParserCtxtPtr ctxt = ctx;

	return ctxt->_private;
}

static void iis_xml_error(void *ctx, xmlErrorPtr err)
{
	struct iis_state *s = iis_of(ctx);
	char *msg = NULL;
	size_t n;

	if (s->xml_error != NULL || err->level < XML_ERR_ERROR) {
		return;
	}
	msg = talloc_strdup(s->mem, err->message != NULL ? err->message
							 : "unknown error");
	if (msg == NULL) {
		return;
	}
	n = strlen(msg);
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' ')) {
		msg[--n] = '\0';
	}
	while ((n = strcspn(msg, "\n")) < strlen(msg)) {
		msg[n] = ' ';
	}
	s->xml_error = talloc_asprintf(s->mem, "line %d: malformed XML: %s",
				       err->line, msg);
}

static void iis_refuse(void *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void iis_refuse(void *ctx, const char *fmt, ...)
{
	xmlParserCtxtPtr ctxt = ctx;
	struct iis_state *s = iis_of(ctx);
	long line = (ctxt->input != NULL) ? ctxt->input->line : 0;
	va_list ap;
	char *msg = NULL;

	va_start(ap, fmt);
	msg = talloc_vasprintf(s->mem, fmt, ap);
	va_end(ap);
	iis_fail(s, line, "refused: %s", msg != NULL ? msg : "DTD");
	xmlStopParser(ctxt);
}

/* <!DOCTYPE name ...: the first declaration inside, or the end of the
 * DOCTYPE, stops the parse.  The empty DTD node libxml2 makes here only
 * gives comments and PIs of the internal subset an owner (freed with the
 * document); nothing is ever loaded or declared in it. */
static void iis_dtd_start(void *ctx, const xmlChar *name,
			  const xmlChar *external_id, const xmlChar *system_id)
{
	xmlSAX2InternalSubset(ctx, name, external_id, system_id);
}

static void iis_dtd_end(void *ctx, const xmlChar *name,
			const xmlChar *external_id, const xmlChar *system_id)
{
	(void)external_id;
	(void)system_id;
	iis_refuse(ctx,
		   "the document has a document type declaration "
		   "(<!DOCTYPE %s>); DTDs are never loaded, and "
		   "applicationHost.config has none",
		   iis_show(iis_of(ctx), (const char *)name));
}

static void iis_entity_decl(void *ctx, const xmlChar *name, int type,
			    const xmlChar *public_id, const xmlChar *system_id,
			    xmlChar *content)
{
	struct iis_state *s = iis_of(ctx);
	bool parameter = (type == XML_INTERNAL_PARAMETER_ENTITY ||
			  type == XML_EXTERNAL_PARAMETER_ENTITY);
	const char *what = parameter ? "parameter entity \"%" : "entity \"";

	(void)content;
	if (system_id != NULL || public_id != NULL) {
		iis_refuse(ctx,
			   "the DTD declares the external %s%s\" (%s \"%s\"); "
			   "external entities (XXE) would read local files "
			   "or the network, and applicationHost.config "
			   "declares no entities",
			   what, iis_show(s, (const char *)name),
			   system_id != NULL ? "SYSTEM" : "PUBLIC",
			   iis_show(s, (const char *)(system_id != NULL
							      ? system_id
							      : public_id)));
		return;
	}
	iis_refuse(ctx,
		   "the DTD declares the %s%s\"; entity expansion (\"billion "
		   "laughs\") can exhaust memory, and applicationHost.config "
		   "declares no entities",
		   what, iis_show(s, (const char *)name));
}

static void iis_unparsed_entity_decl(void *ctx, const xmlChar *name,
				     const xmlChar *public_id,
				     const xmlChar *system_id,
				     const xmlChar *notation)
{
	(void)notation;
	iis_entity_decl(ctx, name, XML_EXTERNAL_GENERAL_UNPARSED_ENTITY,
			public_id, system_id, NULL);
}

static void iis_markup_decl(void *ctx)
{
	xmlParserCtxtPtr ctxt = ctx;

	iis_refuse(
		ctx,
		"the document has a document type declaration "
		"(<!DOCTYPE %s>); DTDs are never loaded, and "
		"applicationHost.config has none",
		ctxt->intSubName != NULL
			? iis_show(iis_of(ctx), (const char *)ctxt->intSubName)
			: "");
}

static void iis_element_decl(void *ctx, const xmlChar *name, int type,
			     xmlElementContentPtr content)
{
	(void)name;
	(void)type;
	(void)content;
	iis_markup_decl(ctx);
}

static void iis_attribute_decl(void *ctx, const xmlChar *elem,
			       const xmlChar *fullname, int type, int def,
			       const xmlChar *default_value,
			       xmlEnumerationPtr tree)
{
	(void)elem;
	(void)fullname;
	(void)type;
	(void)def;
	(void)default_value;
	/* ours to free: the default handler would have kept it */
	xmlFreeEnumeration(tree);
	iis_markup_decl(ctx);
}

static void iis_notation_decl(void *ctx, const xmlChar *name,
			      const xmlChar *public_id,
			      const xmlChar *system_id)
{
	(void)name;
	(void)public_id;
	(void)system_id;
	iis_markup_decl(ctx);
}

/* Predefined entities (&amp; ...) never get here. */
static xmlEntityPtr iis_get_entity(void *ctx, const xmlChar *name)
{
	iis_refuse(ctx,
		   "reference to the entity \"&%s;\"; only the predefined "
		   "entities (&amp; &lt; &gt; &quot; &apos;) and character "
		   "references are allowed",
		   iis_show(iis_of(ctx), (const char *)name));
	return NULL;
}

static xmlEntityPtr iis_get_parameter_entity(void *ctx, const xmlChar *name)
{
	iis_refuse(ctx, "reference to the parameter entity \"%%%s;\"",
		   iis_show(iis_of(ctx), (const char *)name));
	return NULL;
}

/* libxml2 keeps at most 65535 in a node's line (xmlGetLineNo saturates
 * there); a 16 MiB file has more lines.  Keep the exact one aside. */
static void iis_start_element(void *ctx, const xmlChar *localname,
			      const xmlChar *prefix, const xmlChar *uri,
			      int nb_namespaces, const xmlChar **namespaces,
			      int nb_attributes, int nb_defaulted,
			      const xmlChar **attributes)
{
	xmlParserCtxtPtr ctxt = ctx;
	xmlNodePtr before = ctxt->node;

	xmlSAX2StartElementNs(ctx, localname, prefix, uri, nb_namespaces,
			      namespaces, nb_attributes, nb_defaulted,
			      attributes);
	if (ctxt->node != NULL && ctxt->node != before && ctxt->input != NULL) {
		ctxt->node->_private = (void *)(intptr_t)ctxt->input->line;
	}
}

static long iis_line(xmlNodePtr node)
{
	if (node->_private != NULL) {
		return (long)(intptr_t)node->_private;
	}
	return xmlGetLineNo(node);
}

/*
 * UTF-8 XML starts, after an optional BOM, with '<' or a blank.  Anything
 * else would make libxml2 guess UTF-16, UCS-4 or EBCDIC from the first
 * bytes and load a converter (whose errors bypass our handler); and
 * PowerShell 5's Out-File does write UTF-16, which deserves a clear word.
 */
static enum spnpool_status iis_check_start(struct iis_state *s, const char *xml,
					   size_t len)
{
	const unsigned char *p = (const unsigned char *)xml;
	size_t i;

	if (len >= 3 && p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf) {
		p += 3;
		len -= 3;
	}
	for (i = 0; i < len && i < 4; i++) {
		if (p[i] == '\0') {
			break;
		}
	}
	if ((len > 0 && (p[0] == 0xff || p[0] == 0xfe)) || (i < len && i < 4)) {
		iis_fail(s, 0,
			 "the file is UTF-16 or UTF-32; IIS writes "
			 "applicationHost.config in UTF-8: copy the file "
			 "itself, or convert it to UTF-8");
		return SPNPOOL_ERR_CONFIG;
	}
	if (len == 0 || (p[0] != '<' && p[0] != ' ' && p[0] != '\t' &&
			 p[0] != '\r' && p[0] != '\n')) {
		iis_fail(s, 1,
			 "malformed XML: the file does not start with '<'");
		return SPNPOOL_ERR_CONFIG;
	}
	return SPNPOOL_OK;
}

/* The first occurrence of the NUL-terminated needle in [p, end), or end. */
static const char *iis_find(const char *p, const char *end, const char *needle)
{
	size_t n = strlen(needle);

	for (; p + n <= end; p++) {
		if (memcmp(p, needle, n) == 0) {
			return p;
		}
	}
	return end;
}

/*
 * Count elements and the attributes of each, in one linear pass over the
 * bytes (comments, processing instructions, CDATA and declarations
 * skipped, quotes respected), so that what libxml2 does per element stays
 * cheap.  Malformed input is left to libxml2 to report.
 */
static enum spnpool_status iis_check_counts(struct iis_state *s,
					    const char *xml, size_t len)
{
	const char *p = xml;
	const char *end = xml + len;
	const char *counted = xml; /* lines counted up to here */
	long line = 1;
	size_t elements = 0;

	while ((p = memchr(p, '<', (size_t)(end - p))) != NULL) {
		const char *close = NULL;
		size_t attrs = 0;
		char quote = 0;

		if (end - p >= 4 && memcmp(p, "<!--", 4) == 0) {
			close = iis_find(p + 4, end, "-->");
		} else if (end - p >= 9 && memcmp(p, "<![CDATA[", 9) == 0) {
			close = iis_find(p + 9, end, "]]>");
		} else if (end - p >= 2 &&
			   (p[1] == '?' || p[1] == '!' || p[1] == '/')) {
			close = iis_find(p + 2, end, p[1] == '?' ? "?>" : ">");
		}
		if (close != NULL) {
			if (close == end) {
				return SPNPOOL_OK;
			}
			p = close + 1;
			continue;
		}
		for (; counted < p; counted++) {
			line += (*counted == '\n');
		}
		if (++elements > IIS_MAX_ELEMENTS) {
			iis_fail(s, line,
				 "more than %d elements; an "
				 "applicationHost.config has far fewer",
				 IIS_MAX_ELEMENTS);
			return SPNPOOL_ERR_CONFIG;
		}
		for (p++; p < end && (quote != 0 || *p != '>'); p++) {
			if (quote != 0) {
				quote = (*p == quote) ? 0 : quote;
			} else if (*p == '"' || *p == '\'') {
				quote = *p;
			} else if (*p == '=' && ++attrs > IIS_MAX_ATTRIBUTES) {
				iis_fail(s, line,
					 "an element with more than %d "
					 "attributes; IIS writes far fewer",
					 IIS_MAX_ATTRIBUTES);
				return SPNPOOL_ERR_CONFIG;
			}
		}
	}
	return SPNPOOL_OK;
}

static enum spnpool_status iis_read_xml(struct iis_state *s, const char *xml,
					size_t len)
{
	xmlSAXHandlerPtr sax = NULL;

	xmlInitParser();
	s->ctxt = xmlNewParserCtxt();
	if (s->ctxt == NULL || s->ctxt->sax == NULL) {
		return SPNPOOL_ERR_NO_MEMORY;
	}
	s->ctxt->_private = s;
	sax = s->ctxt->sax;
	sax->serror = iis_xml_error;
	sax->internalSubset = iis_dtd_start;
	sax->externalSubset = iis_dtd_end;
	sax->entityDecl = iis_entity_decl;
	sax->unparsedEntityDecl = iis_unparsed_entity_decl;
	sax->elementDecl = iis_element_decl;
	sax->attributeDecl = iis_attribute_decl;
	sax->notationDecl = iis_notation_decl;
	sax->getEntity = iis_get_entity;
	sax->getParameterEntity = iis_get_parameter_entity;
	sax->startElementNs = iis_start_element;

	s->doc = xmlCtxtReadMemory(s->ctxt, xml, (int)len, NULL, NULL,
				   IIS_XML_OPTIONS);
	if (s->error != NULL) {
		return SPNPOOL_ERR_CONFIG;
	}
	if (s->doc == NULL || !s->ctxt->wellFormed || s->xml_error != NULL) {
		if (s->xml_error != NULL) {
			s->error = s->xml_error;
		} else {
			iis_fail(s, 0, "malformed XML");
		}
		return SPNPOOL_ERR_CONFIG;
	}
	return SPNPOOL_OK;
}

/* ---- tree access ---- */

static bool iis_is(xmlNodePtr node, const char *name)
{
	return node->type == XML_ELEMENT_NODE &&
	       xmlStrEqual(node->name, (const xmlChar *)name);
}

/* The value of the attribute name (without namespace) in *_value, NULL
 * when absent.  Entities are refused, so its children are text. */
static enum spnpool_status iis_attr(struct iis_state *s, xmlNodePtr node,
				    const char *name, char **_value)
{
	xmlAttrPtr attr = xmlHasNsProp(node, (const xmlChar *)name, NULL);
	xmlNodePtr t = NULL;
	char *value = NULL;

	*_value = NULL;
	if (attr == NULL || attr->type != XML_ATTRIBUTE_NODE) {
		return SPNPOOL_OK;
	}
	value = talloc_strdup(s->mem, "");
	for (t = attr->children; t != NULL && value != NULL; t = t->next) {
		if (t->content != NULL) {
			value = talloc_strdup_append_buffer(
				value, (const char *)t->content);
		}
	}
	if (value == NULL) {
		return SPNPOOL_ERR_NO_MEMORY;
	}
	*_value = value;
	return SPNPOOL_OK;
}

/* true/false as IIS writes them; *_value untouched when absent. */
static enum spnpool_status iis_bool_attr(struct iis_state *s, xmlNodePtr node,
					 const char *name, int *_value)
{
	enum spnpool_status st;
	char *text = NULL;

	st = iis_attr(s, node, name, &text);
	if (st != SPNPOOL_OK || text == NULL) {
		return st;
	}
	if (strcasecmp(text, "true") == 0) {
		*_value = 1;
	} else if (strcasecmp(text, "false") == 0) {
		*_value = 0;
	} else {
		iis_fail(s, iis_line(node),
			 "<%s %s=\"%s\">: the value must be true or false",
			 (const char *)node->name, name, iis_show(s, text));
		return SPNPOOL_ERR_CONFIG;
	}
	return SPNPOOL_OK;
}

/* Content kept elsewhere cannot be read from this file. */
static enum spnpool_status iis_check_inline(struct iis_state *s,
					    xmlNodePtr node)
{
	enum spnpool_status st;
	char *value = NULL;

	st = iis_attr(s, node, "configSource", &value);
	if (st != SPNPOOL_OK) {
		return st;
	}
	if (value != NULL) {
		iis_fail(s, iis_line(node),
			 "<%s> is kept in \"%s\" (configSource); give a copy "
			 "of applicationHost.config with that file's section "
			 "in its place",
			 (const char *)node->name, iis_show(s, value));
		return SPNPOOL_ERR_CONFIG;
	}
	st = iis_attr(s, node, "configProtectionProvider", &value);
	if (st != SPNPOOL_OK) {
		return st;
	}
	if (value != NULL) {
		iis_fail(s, iis_line(node),
			 "<%s> is encrypted (configProtectionProvider=\"%s\"); "
			 "decrypt the section on the server first",
			 (const char *)node->name, iis_show(s, value));
		return SPNPOOL_ERR_CONFIG;
	}
	return SPNPOOL_OK;
}

/* ---- applicationPools ---- */

static enum spnpool_status iis_read_process_model(struct iis_state *s,
						  xmlNodePtr parent,
						  char **_type, char **_user)
{
	enum spnpool_status st;
	xmlNodePtr n = NULL;

	for (n = parent->children; n != NULL; n = n->next) {
		char *value = NULL;

		if (!iis_is(n, "processModel")) {
			continue;
		}
		st = iis_attr(s, n, "identityType", &value);
		if (st != SPNPOOL_OK) {
			return st;
		}
		if (value != NULL) {
			*_type = value;
		}
		st = iis_attr(s, n, "userName", &value);
		if (st != SPNPOOL_OK) {
			return st;
		}
		if (value != NULL) {
			*_user = value;
		}
	}
	return SPNPOOL_OK;
}

static enum spnpool_status iis_read_pools(struct iis_state *s,
					  xmlNodePtr section)
{
	enum spnpool_status st;
	xmlNodePtr n = NULL;

	st = iis_check_inline(s, section);
	if (st != SPNPOOL_OK) {
		return st;
	}
	for (n = section->children; n != NULL; n = n->next) {
		struct iis_pool *pool = NULL;

		if (iis_is(n, "applicationPoolDefaults")) {
			st = iis_read_process_model(s, n,
						    &s->default_identity_type,
						    &s->default_user_name);
			if (st != SPNPOOL_OK) {
				return st;
			}
			continue;
		}
		if (iis_is(n, "clear")) {
			s->num_pools = 0;
			continue;
		}
		if (iis_is(n, "remove")) {
			iis_fail(s, iis_line(n),
				 "<remove> in <applicationPools> is not "
				 "supported in applicationHost.config; delete "
				 "the pool's <add> instead");
			return SPNPOOL_ERR_CONFIG;
		}
		if (!iis_is(n, "add")) {
			continue;
		}
		pool = SPNPOOL_APPEND(s->mem, s->pools, s->num_pools);
		if (pool == NULL) {
			return SPNPOOL_ERR_NO_MEMORY;
		}
		pool->line = iis_line(n);
		st = iis_attr(s, n, "name", &pool->name);
		if (st != SPNPOOL_OK) {
			return st;
		}
		if (pool->name == NULL || pool->name[0] == '\0') {
			iis_fail(s, pool->line,
				 "<add> in <applicationPools> has no name");
			return SPNPOOL_ERR_CONFIG;
		}
		st = iis_read_process_model(s, n, &pool->identity_type,
					    &pool->user_name);
		if (st != SPNPOOL_OK) {
			return st;
		}
	}
	return SPNPOOL_OK;
}

static const struct {
	const char *name;
	const char *number; /* IIS also accepts the enum's value */
	enum spnpool_pool_identity_type type;
} iis_identity_types[] = {
	{"LocalSystem", "0", SPNPOOL_POOL_LOCAL_SYSTEM},
	{"LocalService", "1", SPNPOOL_POOL_LOCAL_SERVICE},
	{"NetworkService", "2", SPNPOOL_POOL_NETWORK_SERVICE},
	{"SpecificUser", "3", SPNPOOL_POOL_SPECIFIC_USER},
	{"ApplicationPoolIdentity", "4", SPNPOOL_POOL_APP_POOL_IDENTITY},
};

static enum spnpool_status iis_resolve_pool(struct iis_state *s,
					    struct iis_pool *pool)
{
	const char *type = pool->identity_type;
	const char *user = pool->user_name;
	struct spnpool_identity *id = NULL;
	enum spnpool_status st;
	size_t i;

	if (type == NULL) {
		type = s->default_identity_type;
	}
	if (user == NULL) {
		user = s->default_user_name;
	}
	if (type == NULL) {
		/* IIS 7.5 and later */
		pool->type = SPNPOOL_POOL_APP_POOL_IDENTITY;
		return SPNPOOL_OK;
	}
	for (i = 0;
	     i < sizeof(iis_identity_types) / sizeof(iis_identity_types[0]);
	     i++) {
		if (strcasecmp(type, iis_identity_types[i].name) == 0 ||
		    strcmp(type, iis_identity_types[i].number) == 0) {
			break;
		}
	}
	if (i == sizeof(iis_identity_types) / sizeof(iis_identity_types[0])) {
		iis_fail(s, pool->line,
			 "application pool \"%s\": unknown identityType "
			 "\"%s\" (SpecificUser, NetworkService, LocalSystem, "
			 "LocalService or ApplicationPoolIdentity)",
			 iis_show(s, pool->name), iis_show(s, type));
		return SPNPOOL_ERR_CONFIG;
	}
	pool->type = iis_identity_types[i].type;
	if (pool->type != SPNPOOL_POOL_SPECIFIC_USER) {
		/* IIS keeps a stale userName after a change of type */
		return SPNPOOL_OK;
	}
	if (user == NULL || user[0] == '\0') {
		iis_fail(s, pool->line,
			 "application pool \"%s\": identityType is "
			 "SpecificUser but <processModel> has no userName",
			 iis_show(s, pool->name));
		return SPNPOOL_ERR_CONFIG;
	}
	st = spnpool_identity_parse(s->mem, user, &id);
	if (st != SPNPOOL_OK) {
		iis_fail(s, pool->line,
			 "application pool \"%s\": userName \"%s\" is not an "
			 "account name: %s",
			 iis_show(s, pool->name), iis_show(s, user),
			 spnpool_status_string(st));
		return SPNPOOL_ERR_CONFIG;
	}
	TALLOC_FREE(id);
	pool->user = talloc_strdup(s->mem, user);
	return (pool->user != NULL) ? SPNPOOL_OK : SPNPOOL_ERR_NO_MEMORY;
}

static int iis_pool_cmp(const void *a, const void *b)
{
	const struct iis_pool *x = *(const struct iis_pool *const *)a;
	const struct iis_pool *y = *(const struct iis_pool *const *)b;
	int c = strcasecmp(x->name, y->name);

	if (c != 0) {
		return c;
	}
	return (x < y) ? -1 : (x > y);
}

/* Pool names are keys, compared without case as IIS does. */
static enum spnpool_status iis_index_pools(struct iis_state *s)
{
	struct iis_pool *dup = NULL;
	struct iis_pool *first = NULL;
	enum spnpool_status st;
	size_t i;

	for (i = 0; i < s->num_pools; i++) {
		st = iis_resolve_pool(s, &s->pools[i]);
		if (st != SPNPOOL_OK) {
			return st;
		}
	}
	s->pool_index =
		talloc_array(s->mem, struct iis_pool *, s->num_pools + 1);
	if (s->pool_index == NULL) {
		return SPNPOOL_ERR_NO_MEMORY;
	}
	for (i = 0; i < s->num_pools; i++) {
		s->pool_index[i] = &s->pools[i];
	}
	qsort(s->pool_index, s->num_pools, sizeof(s->pool_index[0]),
	      iis_pool_cmp);
	/* of all duplicates, report the one met first in the file */
	for (i = 1; i < s->num_pools; i++) {
		struct iis_pool *a = s->pool_index[i - 1];
		struct iis_pool *b = s->pool_index[i];

		if (strcasecmp(a->name, b->name) == 0 &&
		    (dup == NULL || b->line < dup->line)) {
			first = a;
			dup = b;
		}
	}
	if (dup != NULL) {
		iis_fail(s, dup->line,
			 "application pool \"%s\" is defined twice (first on "
			 "line %ld)",
			 iis_show(s, dup->name), first->line);
		return SPNPOOL_ERR_CONFIG;
	}
	return SPNPOOL_OK;
}

static struct iis_pool *iis_find_pool(struct iis_state *s, const char *name)
{
	size_t lo = 0;
	size_t hi = s->num_pools;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcasecmp(s->pool_index[mid]->name, name);

		if (c == 0) {
			return s->pool_index[mid];
		}
		if (c < 0) {
			lo = mid + 1;
		} else {
			hi = mid;
		}
	}
	return NULL;
}

/* ---- sites ---- */

static enum spnpool_status
iis_read_app_defaults(struct iis_state *s, xmlNodePtr parent, char **_pool)
{
	enum spnpool_status st;
	xmlNodePtr n = NULL;

	for (n = parent->children; n != NULL; n = n->next) {
		char *value = NULL;

		if (!iis_is(n, "applicationDefaults")) {
			continue;
		}
		st = iis_attr(s, n, "applicationPool", &value);
		if (st != SPNPOOL_OK) {
			return st;
		}
		if (value != NULL) {
			*_pool = value;
		}
	}
	return SPNPOOL_OK;
}

/*
 * bindingInformation "IP:port:host": IP is '*', IPv4 or [IPv6]; host may
 * be empty (any name).  The status names the rule broken; *_bad_host is
 * the host header (in b->info) when it is what broke it, else NULL.
 */
static enum spnpool_status iis_parse_binding(struct iis_state *s,
					     struct iis_binding *b,
					     const char **_bad_host)
{
	const char *info = b->info;
	const char *ip_end = NULL;
	const char *port_end = NULL;
	const char *host = NULL;
	enum spnpool_status st;

	*_bad_host = NULL;
	char ip[INET6_ADDRSTRLEN + 1];
	unsigned char addr[16];
	size_t ip_len;
	size_t n;

	if (info[0] == '[') {
		const char *close = strchr(info, ']');

		if (close == NULL || close[1] != ':') {
			return SPNPOOL_ERR_BINDING_IPV6_SYNTAX;
		}
		ip_len = (size_t)(close - info - 1);
		if (ip_len >= sizeof(ip)) {
			return SPNPOOL_ERR_BINDING_IPV6;
		}
		memcpy(ip, info + 1, ip_len);
		ip[ip_len] = '\0';
		if (inet_pton(AF_INET6, ip, addr) != 1) {
			return SPNPOOL_ERR_BINDING_IPV6;
		}
		ip_end = close + 1;
	} else {
		ip_end = strchr(info, ':');
		if (ip_end == NULL) {
			return SPNPOOL_ERR_BINDING_SYNTAX;
		}
		ip_len = (size_t)(ip_end - info);
		if (ip_len == 0 || ip_len >= sizeof(ip)) {
			return SPNPOOL_ERR_BINDING_IP;
		}
		memcpy(ip, info, ip_len);
		ip[ip_len] = '\0';
		if (strcmp(ip, "*") != 0 && inet_pton(AF_INET, ip, addr) != 1) {
			return SPNPOOL_ERR_BINDING_IP;
		}
	}
	port_end = strchr(ip_end + 1, ':');
	if (port_end == NULL) {
		return SPNPOOL_ERR_BINDING_SYNTAX;
	}
	st = spnpool_port_parse(ip_end + 1, (size_t)(port_end - ip_end - 1),
				&b->port);
	if (st != SPNPOOL_OK) {
		return st;
	}
	if (b->port == (b->https ? 443 : 80)) {
		b->port = 0;
	}
	host = port_end + 1;
	n = strlen(host);
	if (n == 0) {
		b->host = NULL;
		return SPNPOOL_OK;
	}
	st = spnpool_host_check(host, NULL);
	if (st != SPNPOOL_OK) {
		*_bad_host = host;
		return (host[0] == '*') ? SPNPOOL_ERR_HOST_WILDCARD : st;
	}
	if (host[n - 1] == '.') {
		n--;
	}
	b->host = talloc_strndup(s->mem, host, n);
	if (b->host == NULL) {
		return SPNPOOL_ERR_NO_MEMORY;
	}
	for (n = 0; b->host[n] != '\0'; n++) {
		b->host[n] = spnpool_ascii_lower(b->host[n]);
	}
	return SPNPOOL_OK;
}

static enum spnpool_status iis_read_bindings(struct iis_state *s,
					     struct iis_site *site,
					     xmlNodePtr section)
{
	enum spnpool_status st;
	xmlNodePtr n = NULL;

	for (n = section->children; n != NULL; n = n->next) {
		struct iis_binding *b = NULL;
		char *protocol = NULL;
		const char *bad_host = NULL;

		if (iis_is(n, "clear")) {
			site->num_bindings = 0;
			continue;
		}
		if (!iis_is(n, "binding")) {
			continue;
		}
		st = iis_attr(s, n, "protocol", &protocol);
		if (st != SPNPOOL_OK) {
			return st;
		}
		/* net.tcp, net.pipe, ftp...: no HTTP SPN */
		if (protocol == NULL || (strcasecmp(protocol, "http") != 0 &&
					 strcasecmp(protocol, "https") != 0)) {
			continue;
		}
		b = SPNPOOL_APPEND(s->mem, site->bindings, site->num_bindings);
		if (b == NULL) {
			return SPNPOOL_ERR_NO_MEMORY;
		}
		b->https = (strcasecmp(protocol, "https") == 0);
		b->line = iis_line(n);
		st = iis_attr(s, n, "bindingInformation", &b->info);
		if (st != SPNPOOL_OK) {
			return st;
		}
		if (b->info == NULL) {
			iis_fail(s, b->line,
				 "site \"%s\": <binding protocol=\"%s\"> has "
				 "no bindingInformation",
				 iis_show(s, site->name),
				 iis_show(s, protocol));
			return SPNPOOL_ERR_CONFIG;
		}
		st = iis_parse_binding(s, b, &bad_host);
		if (st == SPNPOOL_ERR_NO_MEMORY) {
			return st;
		}
		if (st != SPNPOOL_OK) {
			iis_fail(s, b->line,
				 "site \"%s\": <binding protocol=\"%s\" "
				 "bindingInformation=\"%s\">: %s%s%s%s",
				 iis_show(s, site->name), iis_show(s, protocol),
				 iis_show(s, b->info),
				 bad_host != NULL ? "the host header \"" : "",
				 bad_host != NULL ? iis_show(s, bad_host) : "",
				 bad_host != NULL ? "\" is not a valid host "
						    "name: "
						  : "",
				 spnpool_status_string(st));
			return SPNPOOL_ERR_CONFIG;
		}
	}
	return SPNPOOL_OK;
}

static bool iis_decimal(const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] < '0' || s[i] > '9') {
			return false;
		}
	}
	return i > 0 && i <= 10 && !(s[0] == '0' && i > 1);
}

static enum spnpool_status iis_read_site(struct iis_state *s, xmlNodePtr node)
{
	enum spnpool_status st;
	struct iis_site *site = NULL;
	xmlNodePtr n = NULL;

	site = SPNPOOL_APPEND(s->mem, s->sites, s->num_sites);
	if (site == NULL) {
		return SPNPOOL_ERR_NO_MEMORY;
	}
	site->line = iis_line(node);
	st = iis_attr(s, node, "name", &site->name);
	if (st != SPNPOOL_OK) {
		return st;
	}
	if (site->name == NULL || site->name[0] == '\0') {
		iis_fail(s, site->line, "<site> has no name");
		return SPNPOOL_ERR_CONFIG;
	}
	st = iis_attr(s, node, "id", &site->id);
	if (st != SPNPOOL_OK) {
		return st;
	}
	if (site->id != NULL && !iis_decimal(site->id)) {
		iis_fail(s, site->line,
			 "site \"%s\": id \"%s\" must be a decimal number",
			 iis_show(s, site->name), iis_show(s, site->id));
		return SPNPOOL_ERR_CONFIG;
	}
	st = iis_read_app_defaults(s, node, &site->default_pool);
	if (st != SPNPOOL_OK) {
		return st;
	}
	for (n = node->children; n != NULL; n = n->next) {
		struct iis_app *app = NULL;

		if (iis_is(n, "bindings")) {
			st = iis_read_bindings(s, site, n);
			if (st != SPNPOOL_OK) {
				return st;
			}
			continue;
		}
		if (!iis_is(n, "application")) {
			continue;
		}
		app = SPNPOOL_APPEND(s->mem, site->apps, site->num_apps);
		if (app == NULL) {
			return SPNPOOL_ERR_NO_MEMORY;
		}
		app->line = iis_line(n);
		st = iis_attr(s, n, "path", &app->path);
		if (st != SPNPOOL_OK) {
			return st;
		}
		if (app->path == NULL || app->path[0] != '/') {
			iis_fail(s, app->line,
				 "site \"%s\": <application> needs a path "
				 "starting with '/' (got \"%s\")",
				 iis_show(s, site->name),
				 iis_show(s, app->path));
			return SPNPOOL_ERR_CONFIG;
		}
		if (strlen(app->path) > IIS_MAX_PATH) {
			iis_fail(s, app->line,
				 "site \"%s\": the application path is longer "
				 "than %d bytes",
				 iis_show(s, site->name), IIS_MAX_PATH);
			return SPNPOOL_ERR_CONFIG;
		}
		st = iis_attr(s, n, "applicationPool", &app->pool_name);
		if (st != SPNPOOL_OK) {
			return st;
		}
	}
	return SPNPOOL_OK;
}

static enum spnpool_status iis_read_sites(struct iis_state *s,
					  xmlNodePtr section)
{
	enum spnpool_status st;
	xmlNodePtr n = NULL;

	st = iis_check_inline(s, section);
	if (st != SPNPOOL_OK) {
		return st;
	}
	st = iis_read_app_defaults(s, section, &s->sites_pool);
	if (st != SPNPOOL_OK) {
		return st;
	}
	for (n = section->children; n != NULL; n = n->next) {
		if (iis_is(n, "siteDefaults")) {
			st = iis_read_app_defaults(s, n,
						   &s->site_defaults_pool);
		} else if (iis_is(n, "site")) {
			st = iis_read_site(s, n);
		} else if (iis_is(n, "clear")) {
			s->num_sites = 0;
			st = SPNPOOL_OK;
		} else if (iis_is(n, "remove")) {
			iis_fail(s, iis_line(n),
				 "<remove> in <sites> is not supported in "
				 "applicationHost.config; delete the <site> "
				 "instead");
			st = SPNPOOL_ERR_CONFIG;
		} else {
			st = SPNPOOL_OK;
		}
		if (st != SPNPOOL_OK) {
			return st;
		}
	}
	return SPNPOOL_OK;
}

/* Site names and application paths are keys, without case. */
static int iis_site_cmp(const void *a, const void *b)
{
	const struct iis_site *x = *(const struct iis_site *const *)a;
	const struct iis_site *y = *(const struct iis_site *const *)b;
	int c = strcasecmp(x->name, y->name);

	if (c != 0) {
		return c;
	}
	return (x < y) ? -1 : (x > y);
}

static int iis_app_cmp(const void *a, const void *b)
{
	const struct iis_app *x = *(const struct iis_app *const *)a;
	const struct iis_app *y = *(const struct iis_app *const *)b;
	int c = strcasecmp(x->path, y->path);

	if (c != 0) {
		return c;
	}
	return (x < y) ? -1 : (x > y);
}

/* Two bindings with the same scheme, port and host (on two IP
 * addresses) are one name for us: the address is not in an SPN. */
static int iis_binding_cmp(const void *a, const void *b)
{
	const struct iis_binding *x = *(const struct iis_binding *const *)a;
	const struct iis_binding *y = *(const struct iis_binding *const *)b;
	int c;

	if (x->https != y->https) {
		return x->https ? 1 : -1;
	}
	if (x->port != y->port) {
		return (x->port < y->port) ? -1 : 1;
	}
	if ((x->host == NULL) != (y->host == NULL)) {
		return (x->host == NULL) ? -1 : 1;
	}
	if (x->host != NULL) {
		c = strcmp(x->host, y->host);
		if (c != 0) {
			return c;
		}
	}
	return (x < y) ? -1 : (x > y);
}

static enum spnpool_status iis_check_sites(struct iis_state *s)
{
	TALLOC_CTX *tmp_ctx = talloc_new(s->mem);
	struct iis_site **index = NULL;
	enum spnpool_status st = SPNPOOL_ERR_NO_MEMORY;
	struct iis_site *dup = NULL;
	struct iis_site *first = NULL;
	size_t i;
	size_t k;

	if (tmp_ctx == NULL) {
		return SPNPOOL_ERR_NO_MEMORY;
	}
	index = talloc_array(tmp_ctx, struct iis_site *, s->num_sites + 1);
	if (index == NULL) {
		goto done;
	}
	for (i = 0; i < s->num_sites; i++) {
		index[i] = &s->sites[i];
	}
	qsort(index, s->num_sites, sizeof(index[0]), iis_site_cmp);
	for (i = 1; i < s->num_sites; i++) {
		if (strcasecmp(index[i - 1]->name, index[i]->name) == 0 &&
		    (dup == NULL || index[i]->line < dup->line)) {
			first = index[i - 1];
			dup = index[i];
		}
	}
	if (dup != NULL) {
		iis_fail(s, dup->line,
			 "site \"%s\" is defined twice (first on line %ld)",
			 iis_show(s, dup->name), first->line);
		st = SPNPOOL_ERR_CONFIG;
		goto done;
	}
	for (k = 0; k < s->num_sites; k++) {
		struct iis_site *site = &s->sites[k];
		struct iis_app **apps = NULL;
		struct iis_binding **bs = NULL;
		struct iis_app *dup_app = NULL;
		struct iis_app *first_app = NULL;

		apps = talloc_array(tmp_ctx, struct iis_app *,
				    site->num_apps + 1);
		bs = talloc_array(tmp_ctx, struct iis_binding *,
				  site->num_bindings + 1);
		if (apps == NULL || bs == NULL) {
			goto done;
		}
		for (i = 0; i < site->num_apps; i++) {
			apps[i] = &site->apps[i];
		}
		qsort(apps, site->num_apps, sizeof(apps[0]), iis_app_cmp);
		for (i = 1; i < site->num_apps; i++) {
			if (strcasecmp(apps[i - 1]->path, apps[i]->path) == 0 &&
			    (dup_app == NULL ||
			     apps[i]->line < dup_app->line)) {
				first_app = apps[i - 1];
				dup_app = apps[i];
			}
		}
		if (dup_app != NULL) {
			iis_fail(s, dup_app->line,
				 "site \"%s\": application \"%s\" is defined "
				 "twice (first on line %ld)",
				 iis_show(s, site->name),
				 iis_show(s, dup_app->path), first_app->line);
			st = SPNPOOL_ERR_CONFIG;
			goto done;
		}
		for (i = 0; i < site->num_bindings; i++) {
			bs[i] = &site->bindings[i];
		}
		qsort(bs, site->num_bindings, sizeof(bs[0]), iis_binding_cmp);
		for (i = 1; i < site->num_bindings; i++) {
			struct iis_binding *a = bs[i - 1];
			struct iis_binding *b = bs[i];

			/* sorted by address within equal keys: b is later */
			b->duplicate =
				a->https == b->https && a->port == b->port &&
				(a->host == NULL
					 ? b->host == NULL
					 : (b->host != NULL &&
					    strcmp(a->host, b->host) == 0));
		}
		TALLOC_FREE(apps);
		TALLOC_FREE(bs);
	}
	st = SPNPOOL_OK;
done:
	TALLOC_FREE(tmp_ctx);
	return st;
}

/* ---- windowsAuthentication ---- */

static enum spnpool_status iis_read_providers(struct iis_state *s,
					      struct iis_auth *auth,
					      xmlNodePtr section)
{
	enum spnpool_status st;
	xmlNodePtr n = NULL;

	auth->has_providers = true;
	for (n = section->children; n != NULL; n = n->next) {
		char *value = NULL;
		char *op = NULL;
		char **slot = NULL;

		if (iis_is(n, "clear")) {
			op = NULL;
		} else if (iis_is(n, "add") || iis_is(n, "remove")) {
			st = iis_attr(s, n, "value", &value);
			if (st != SPNPOOL_OK) {
				return st;
			}
			if (value == NULL || value[0] == '\0') {
				iis_fail(s, iis_line(n),
					 "<%s> in <providers> has no value",
					 (const char *)n->name);
				return SPNPOOL_ERR_CONFIG;
			}
			op = talloc_asprintf(s->mem, "%c%s",
					     iis_is(n, "add") ? '+' : '-',
					     value);
			if (op == NULL) {
				return SPNPOOL_ERR_NO_MEMORY;
			}
		} else {
			continue;
		}
		if (auth->num_ops >= IIS_MAX_PROVIDERS) {
			iis_fail(s, iis_line(n),
				 "<providers> has more than %d entries",
				 IIS_MAX_PROVIDERS);
			return SPNPOOL_ERR_CONFIG;
		}
		slot = SPNPOOL_APPEND(s->mem, auth->ops, auth->num_ops);
		if (slot == NULL) {
			return SPNPOOL_ERR_NO_MEMORY;
		}
		*slot = op;
	}
	return SPNPOOL_OK;
}

static enum spnpool_status iis_read_windows_auth(struct iis_state *s,
						 xmlNodePtr node,
						 const char *site,
						 const char *sub, bool inherit)
{
	enum spnpool_status st;
	struct iis_auth *auth = NULL;
	xmlNodePtr n = NULL;

	st = iis_check_inline(s, node);
	if (st != SPNPOOL_OK) {
		return st;
	}
	auth = SPNPOOL_APPEND(s->mem, s->auths, s->num_auths);
	if (auth == NULL) {
		return SPNPOOL_ERR_NO_MEMORY;
	}
	auth->site = (site != NULL) ? talloc_strdup(s->mem, site) : NULL;
	auth->sub = talloc_strdup(s->mem, sub);
	if ((site != NULL && auth->site == NULL) || auth->sub == NULL) {
		return SPNPOOL_ERR_NO_MEMORY;
	}
	auth->inherit = inherit;
	auth->line = iis_line(node);
	auth->enabled = -1;
	auth->kernel_mode = -1;
	auth->app_pool_credentials = -1;
	st = iis_bool_attr(s, node, "enabled", &auth->enabled);
	if (st != SPNPOOL_OK) {
		return st;
	}
	st = iis_bool_attr(s, node, "useKernelMode", &auth->kernel_mode);
	if (st != SPNPOOL_OK) {
		return st;
	}
	st = iis_bool_attr(s, node, "useAppPoolCredentials",
			   &auth->app_pool_credentials);
	if (st != SPNPOOL_OK) {
		return st;
	}
	for (n = node->children; n != NULL; n = n->next) {
		if (iis_is(n, "providers")) {
			st = iis_read_providers(s, auth, n);
			if (st != SPNPOOL_OK) {
				return st;
			}
		}
	}
	return SPNPOOL_OK;
}

/* <system.webServer><security><authentication><windowsAuthentication> */
static enum spnpool_status iis_read_web_server(struct iis_state *s,
					       xmlNodePtr node,
					       const char *site,
					       const char *sub, bool inherit)
{
	static const char *const steps[] = {"security", "authentication",
					    "windowsAuthentication"};
	enum spnpool_status st;
	xmlNodePtr a = NULL;
	xmlNodePtr b = NULL;
	xmlNodePtr c = NULL;

	for (a = node->children; a != NULL; a = a->next) {
		if (!iis_is(a, steps[0])) {
			continue;
		}
		for (b = a->children; b != NULL; b = b->next) {
			if (!iis_is(b, steps[1])) {
				continue;
			}
			for (c = b->children; c != NULL; c = c->next) {
				if (!iis_is(c, steps[2])) {
					continue;
				}
				st = iis_read_windows_auth(s, c, site, sub,
							   inherit);
				if (st != SPNPOOL_OK) {
					return st;
				}
			}
		}
	}
	return SPNPOOL_OK;
}

static enum spnpool_status iis_read_location(struct iis_state *s,
					     xmlNodePtr node)
{
	enum spnpool_status st;
	char *path = NULL;
	char *inherit = NULL;
	char *site = NULL;
	char *sub = NULL;
	char *slash = NULL;
	size_t n;
	xmlNodePtr c = NULL;

	st = iis_attr(s, node, "path", &path);
	if (st != SPNPOOL_OK) {
		return st;
	}
	st = iis_attr(s, node, "inheritInChildApplications", &inherit);
	if (st != SPNPOOL_OK) {
		return st;
	}
	if (inherit != NULL && strcasecmp(inherit, "true") != 0 &&
	    strcasecmp(inherit, "false") != 0) {
		iis_fail(s, iis_line(node),
			 "<location inheritInChildApplications=\"%s\">: the "
			 "value must be true or false",
			 iis_show(s, inherit));
		return SPNPOOL_ERR_CONFIG;
	}
	if (path != NULL && strlen(path) > 2 * IIS_MAX_PATH) {
		iis_fail(s, iis_line(node),
			 "<location> path is longer than %d bytes",
			 2 * IIS_MAX_PATH);
		return SPNPOOL_ERR_CONFIG;
	}
	/* "SITE/a/b" -> site "SITE", sub "a/b"; "", "." and "/": server */
	if (path != NULL) {
		while (path[0] == '/') {
			path++;
		}
		n = strlen(path);
		while (n > 0 && path[n - 1] == '/') {
			path[--n] = '\0';
		}
		if (n > 0 && strcmp(path, ".") != 0) {
			site = path;
			slash = strchr(path, '/');
			if (slash != NULL) {
				*slash = '\0';
				sub = slash + 1;
			}
		}
	}
	for (c = node->children; c != NULL; c = c->next) {
		if (!iis_is(c, "system.webServer")) {
			continue;
		}
		st = iis_read_web_server(
			s, c, site, sub != NULL ? sub : "",
			inherit == NULL || strcasecmp(inherit, "true") == 0);
		if (st != SPNPOOL_OK) {
			return st;
		}
	}
	return SPNPOOL_OK;
}

/* Server level first, then by site and path, each without case. */
static int iis_auth_cmp(const void *a, const void *b)
{
	const struct iis_auth *x = *(const struct iis_auth *const *)a;
	const struct iis_auth *y = *(const struct iis_auth *const *)b;
	int c;

	if ((x->site == NULL) != (y->site == NULL)) {
		return (x->site == NULL) ? -1 : 1;
	}
	if (x->site != NULL) {
		c = strcasecmp(x->site, y->site);
		if (c != 0) {
			return c;
		}
		c = strcasecmp(x->sub, y->sub);
		if (c != 0) {
			return c;
		}
	}
	return (x < y) ? -1 : (x > y);
}

static bool iis_same_level(const struct iis_auth *a, const struct iis_auth *b)
{
	if (a->site == NULL || b->site == NULL) {
		return a->site == NULL && b->site == NULL;
	}
	return strcasecmp(a->site, b->site) == 0 &&
	       strcasecmp(a->sub, b->sub) == 0;
}

/* IIS refuses a section set twice for one path, and so do we: it keeps
 * the number of levels an application inherits from bounded. */
static enum spnpool_status iis_index_auths(struct iis_state *s)
{
	struct iis_auth *dup = NULL;
	struct iis_auth *first = NULL;
	const char *where = NULL;
	size_t i;

	s->auth_index =
		talloc_array(s->mem, struct iis_auth *, s->num_auths + 1);
	if (s->auth_index == NULL) {
		return SPNPOOL_ERR_NO_MEMORY;
	}
	for (i = 0; i < s->num_auths; i++) {
		s->auth_index[i] = &s->auths[i];
	}
	qsort(s->auth_index, s->num_auths, sizeof(s->auth_index[0]),
	      iis_auth_cmp);
	s->num_server_auths = 0;
	for (i = 0; i < s->num_auths; i++) {
		if (s->auth_index[i]->site == NULL) {
			s->num_server_auths++;
		}
		if (i > 0 &&
		    iis_same_level(s->auth_index[i - 1], s->auth_index[i]) &&
		    (dup == NULL || s->auth_index[i]->line < dup->line)) {
			first = s->auth_index[i - 1];
			dup = s->auth_index[i];
		}
	}
	if (dup == NULL) {
		return SPNPOOL_OK;
	}
	if (dup->site == NULL) {
		where = "the server";
	} else {
		where = talloc_asprintf(
			s->mem, "location \"%s%s%s\"", iis_show(s, dup->site),
			dup->sub[0] != '\0' ? "/" : "", iis_show(s, dup->sub));
	}
	iis_fail(s, dup->line,
		 "windowsAuthentication is set twice for %s (first on line "
		 "%ld)",
		 where != NULL ? where : "one location", first->line);
	return SPNPOOL_ERR_CONFIG;
}

/* The location entry for exactly (site, sub[0..sub_len)), or NULL. */
static struct iis_auth *iis_find_auth(struct iis_state *s, const char *site,
				      const char *sub, size_t sub_len)
{
	size_t lo = s->num_server_auths;
	size_t hi = s->num_auths;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct iis_auth *a = s->auth_index[mid];
		int c = strcasecmp(a->site, site);

		if (c == 0) {
			c = strncasecmp(a->sub, sub, sub_len);
			if (c == 0 && a->sub[sub_len] != '\0') {
				c = 1;
			}
		}
		if (c == 0) {
			return s->auth_index[mid];
		}
		if (c < 0) {
			lo = mid + 1;
		} else {
			hi = mid;
		}
	}
	return NULL;
}

static bool iis_negotiate_provider(const char *value)
{
	/* "Negotiate:Kerberos" is Negotiate without the NTLM fallback */
	return strcasecmp(value, "Negotiate") == 0 ||
	       strcasecmp(value, "Negotiate:Kerberos") == 0;
}

struct iis_effective {
	int enabled;
	int kernel_mode;
	int app_pool_credentials;
	bool has_providers;
	const char *providers[IIS_MAX_PROVIDERS];
	size_t num_providers;
};

static void iis_apply(struct iis_effective *e, const struct iis_auth *a)
{
	size_t i;
	size_t k;

	if (a->enabled >= 0) {
		e->enabled = a->enabled;
	}
	if (a->kernel_mode >= 0) {
		e->kernel_mode = a->kernel_mode;
	}
	if (a->app_pool_credentials >= 0) {
		e->app_pool_credentials = a->app_pool_credentials;
	}
	if (!a->has_providers) {
		return;
	}
	e->has_providers = true;
	for (i = 0; i < a->num_ops; i++) {
		const char *op = a->ops[i];

		if (op == NULL) {
			e->num_providers = 0;
			continue;
		}
		for (k = 0; k < e->num_providers; k++) {
			if (strcasecmp(e->providers[k], op + 1) == 0) {
				break;
			}
		}
		if (op[0] == '+' && k == e->num_providers &&
		    e->num_providers < IIS_MAX_PROVIDERS) {
			e->providers[e->num_providers++] = op + 1;
		} else if (op[0] == '-' && k < e->num_providers) {
			memmove(&e->providers[k], &e->providers[k + 1],
				(e->num_providers - k - 1) *
					sizeof(e->providers[0]));
			e->num_providers--;
		}
	}
}

/*
 * The settings of one application: the server level, then each location
 * whose path is the site or a parent path of the application, shallow to
 * deep.  A location with inheritInChildApplications="false" applies to
 * the application at exactly its path only.
 */
static void iis_app_auth(struct iis_state *s, const struct iis_site *site,
			 struct iis_app *app)
{
	struct iis_effective e = {
		.enabled = 0,
		.kernel_mode = 1,
		.app_pool_credentials = 0,
	};
	const char *path = app->path + 1;
	size_t len = strlen(path);
	size_t i;

	while (len > 0 && path[len - 1] == '/') {
		len--;
	}
	for (i = 0; i < s->num_server_auths; i++) {
		iis_apply(&e, s->auth_index[i]);
	}
	for (i = 0; i <= len; i++) {
		struct iis_auth *a = NULL;

		/* the site itself (i == 0), then each parent path */
		if (i > 0 && i < len && path[i] != '/') {
			continue;
		}
		a = iis_find_auth(s, site->name, path, i);
		if (a != NULL && (a->inherit || i == len)) {
			iis_apply(&e, a);
		}
	}
	app->windows_auth = (e.enabled == 1);
	app->kernel_mode = (e.kernel_mode == 1);
	app->app_pool_credentials = (e.app_pool_credentials == 1);
	if (!e.has_providers) {
		/* never set anywhere: IIS's list, Negotiate then NTLM */
		app->negotiate = true;
		return;
	}
	app->negotiate = false;
	for (i = 0; i < e.num_providers; i++) {
		if (iis_negotiate_provider(e.providers[i])) {
			app->negotiate = true;
		}
	}
}

/* ---- the result ---- */

static enum spnpool_status iis_resolve_apps(struct iis_state *s,
					    struct iis_site *site)
{
	size_t i;

	for (i = 0; i < site->num_apps; i++) {
		struct iis_app *app = &site->apps[i];
		const char *name = app->pool_name;

		if (name == NULL) {
			name = site->default_pool;
		}
		if (name == NULL) {
			name = s->site_defaults_pool;
		}
		if (name == NULL) {
			name = s->sites_pool;
		}
		if (name == NULL) {
			name = iis_default_pool;
		}
		app->pool = iis_find_pool(s, name);
		if (app->pool == NULL) {
			iis_fail(s, app->line,
				 "application \"%s\" of site \"%s\" uses "
				 "application pool \"%s\", which "
				 "<applicationPools> does not define",
				 iis_show(s, app->path),
				 iis_show(s, site->name), iis_show(s, name));
			return SPNPOOL_ERR_CONFIG;
		}
		iis_app_auth(s, site, app);
	}
	return SPNPOOL_OK;
}

static enum spnpool_status iis_emit(struct iis_state *s,
				    const struct iis_site *site,
				    const struct iis_binding *b,
				    const struct iis_app *app)
{
	struct spnpool_web_binding *w = NULL;

	if (s->num_out >= IIS_MAX_BINDINGS) {
		iis_fail(s, b->line,
			 "more than %d (binding, application) pairs; split "
			 "the configuration",
			 IIS_MAX_BINDINGS);
		return SPNPOOL_ERR_CONFIG;
	}
	w = SPNPOOL_APPEND(s->mem, s->out, s->num_out);
	if (w == NULL) {
		return SPNPOOL_ERR_NO_MEMORY;
	}
	w->site = talloc_strdup(s->mem, site->name);
	w->site_id =
		(site->id != NULL) ? talloc_strdup(s->mem, site->id) : NULL;
	w->app_path = talloc_strdup(s->mem, app->path);
	w->pool = talloc_strdup(s->mem, app->pool->name);
	w->identity_type = app->pool->type;
	w->user_name = (app->pool->user != NULL)
			       ? talloc_strdup(s->mem, app->pool->user)
			       : NULL;
	w->host = (b->host != NULL) ? talloc_strdup(s->mem, b->host) : NULL;
	w->port = b->port;
	w->https = b->https;
	w->windows_auth = app->windows_auth;
	w->negotiate = app->negotiate;
	w->kernel_mode = app->kernel_mode;
	w->use_app_pool_credentials = app->app_pool_credentials;
	if (w->site == NULL || (site->id != NULL && w->site_id == NULL) ||
	    w->app_path == NULL || w->pool == NULL ||
	    (app->pool->user != NULL && w->user_name == NULL) ||
	    (b->host != NULL && w->host == NULL)) {
		return SPNPOOL_ERR_NO_MEMORY;
	}
	return SPNPOOL_OK;
}

static enum spnpool_status iis_build(struct iis_state *s)
{
	enum spnpool_status st;
	size_t i;
	size_t k;
	size_t a;

	for (i = 0; i < s->num_sites; i++) {
		struct iis_site *site = &s->sites[i];
		size_t live = 0;

		for (k = 0; k < site->num_bindings; k++) {
			live += site->bindings[k].duplicate ? 0 : 1;
		}
		/* a site nobody reaches over HTTP needs no pool */
		if (live == 0) {
			continue;
		}
		if (site->num_apps > 0 &&
		    live > (IIS_MAX_BINDINGS - s->num_out) / site->num_apps) {
			iis_fail(s, site->line,
				 "more than %d (binding, application) pairs; "
				 "split the configuration",
				 IIS_MAX_BINDINGS);
			return SPNPOOL_ERR_CONFIG;
		}
		st = iis_resolve_apps(s, site);
		if (st != SPNPOOL_OK) {
			return st;
		}
		for (k = 0; k < site->num_bindings; k++) {
			if (site->bindings[k].duplicate) {
				continue;
			}
			for (a = 0; a < site->num_apps; a++) {
				st = iis_emit(s, site, &site->bindings[k],
					      &site->apps[a]);
				if (st != SPNPOOL_OK) {
					return st;
				}
			}
		}
	}
	return SPNPOOL_OK;
}

static enum spnpool_status iis_walk(struct iis_state *s)
{
	enum spnpool_status st = SPNPOOL_OK;
	xmlNodePtr root = xmlDocGetRootElement(s->doc);
	xmlNodePtr n = NULL;
	xmlNodePtr c = NULL;

	if (root == NULL || !iis_is(root, "configuration")) {
		iis_fail(s, root != NULL ? iis_line(root) : 0,
			 "the root element is <%s>, not <configuration>: "
			 "this is not an applicationHost.config",
			 root != NULL ? iis_show(s, (const char *)root->name)
				      : "");
		return SPNPOOL_ERR_CONFIG;
	}
	/* only what IIS itself reads: XML 1.0, <configuration> without a
	 * namespace */
	if (root->ns != NULL) {
		iis_fail(s, iis_line(root),
			 "the root element <configuration> is in the "
			 "namespace \"%s\"; IIS reads only <configuration> "
			 "without a namespace",
			 iis_show(s, (const char *)root->ns->href));
		return SPNPOOL_ERR_CONFIG;
	}
	if (s->doc->version != NULL &&
	    !xmlStrEqual(s->doc->version, (const xmlChar *)"1.0")) {
		iis_fail(s, 1, "XML version %s; IIS reads only XML 1.0",
			 iis_show(s, (const char *)s->doc->version));
		return SPNPOOL_ERR_CONFIG;
	}
	for (n = root->children; n != NULL && st == SPNPOOL_OK; n = n->next) {
		if (iis_is(n, "system.applicationHost")) {
			s->have_app_host = true;
			for (c = n->children; c != NULL && st == SPNPOOL_OK;
			     c = c->next) {
				if (iis_is(c, "applicationPools")) {
					st = iis_read_pools(s, c);
				} else if (iis_is(c, "sites")) {
					st = iis_read_sites(s, c);
				}
			}
		} else if (iis_is(n, "system.webServer")) {
			st = iis_read_web_server(s, n, NULL, "", true);
		} else if (iis_is(n, "location")) {
			st = iis_read_location(s, n);
		}
	}
	if (st != SPNPOOL_OK) {
		return st;
	}
	if (!s->have_app_host) {
		iis_fail(s, iis_line(root),
			 "<configuration> has no <system.applicationHost>: "
			 "this is not an applicationHost.config (a site's "
			 "web.config has none)");
		return SPNPOOL_ERR_CONFIG;
	}
	st = iis_index_pools(s);
	if (st != SPNPOOL_OK) {
		return st;
	}
	st = iis_check_sites(s);
	if (st != SPNPOOL_OK) {
		return st;
	}
	st = iis_index_auths(s);
	if (st != SPNPOOL_OK) {
		return st;
	}
	return iis_build(s);
}

enum spnpool_status
spnpool_iis_config_parse(TALLOC_CTX *mem_ctx, const char *xml, size_t len,
			 struct spnpool_web_config **_config, char **_error)
{
	TALLOC_CTX *tmp_ctx = NULL;
	struct iis_state *s = NULL;
	struct spnpool_web_config *config = NULL;
	enum spnpool_status st;

	if (_error != NULL) {
		*_error = NULL;
	}
	tmp_ctx = talloc_new(mem_ctx);
	if (tmp_ctx == NULL) {
		return SPNPOOL_ERR_NO_MEMORY;
	}
	s = talloc_zero(tmp_ctx, struct iis_state);
	if (s == NULL) {
		st = SPNPOOL_ERR_NO_MEMORY;
		goto done;
	}
	s->mem = s;

	if (xml == NULL || len == 0) {
		iis_fail(s, 0, "the file is empty");
		st = SPNPOOL_ERR_CONFIG;
		goto done;
	}
	if (len > IIS_MAX_LEN) {
		iis_fail(s, 0,
			 "the file is %zu bytes; an applicationHost.config "
			 "over 16 MiB (%d bytes) is refused",
			 len, IIS_MAX_LEN);
		st = SPNPOOL_ERR_CONFIG;
		goto done;
	}
	st = iis_check_start(s, xml, len);
	if (st != SPNPOOL_OK) {
		goto done;
	}
	st = iis_check_counts(s, xml, len);
	if (st != SPNPOOL_OK) {
		goto done;
	}
	st = iis_read_xml(s, xml, len);
	if (st != SPNPOOL_OK) {
		goto done;
	}
	st = iis_walk(s);
	if (st != SPNPOOL_OK) {
		goto done;
	}

	st = spnpool_web_config_new(tmp_ctx, "iis", s->out, s->num_out,
				    &config);
	if (st != SPNPOOL_OK) {
		goto done;
	}
	*_config = talloc_move(mem_ctx, &config);
	st = SPNPOOL_OK;
done:
	if (s != NULL) {
		if (st == SPNPOOL_ERR_CONFIG && _error != NULL &&
		    s->error != NULL) {
			*_error = talloc_move(mem_ctx, &s->error);
		}
		if (s->doc != NULL) {
			xmlFreeDoc(s->doc);
		}
		if (s->ctxt != NULL) {
			xmlFreeParserCtxt(s->ctxt);
		}
	}
	TALLOC_FREE(tmp_ctx);
	return st;
}
