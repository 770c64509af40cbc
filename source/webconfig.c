/*
 * libspnpool: what the two web server configuration parsers (iisconfig.c,
 * poolsfile.c) share: their error messages and the configuration they
 * hand out.  Pure: no I/O.
 */

#include <stdarg.h>

#include "spnpool_private.h"

void spnpool_config_fail_v(TALLOC_CTX *mem_ctx, char **error, long line,
			   const char *fmt, va_list ap)
{
	char *msg = NULL;

	if (*error != NULL) {
		return; /* the first error wins: later ones are consequences */
	}
	msg = talloc_vasprintf(mem_ctx, fmt, ap);
	if (msg == NULL) {
		return;
	}
	if (line > 0) {
		*error = talloc_asprintf(mem_ctx, "line %ld: %s", line, msg);
		talloc_free(msg);
	} else {
		*error = msg;
	}
}

enum spnpool_status
spnpool_web_config_new(TALLOC_CTX *mem_ctx, const char *source,
		       const struct spnpool_web_binding *bindings, size_t num,
		       struct spnpool_web_config **_config)
{
	struct spnpool_web_config *config = NULL;
	size_t i;

	config = talloc_zero(mem_ctx, struct spnpool_web_config);
	if (config == NULL) {
		return SPNPOOL_ERR_NO_MEMORY;
	}
	config->source = talloc_strdup(config, source);
	config->bindings =
		talloc_array(config, struct spnpool_web_binding, num);
	if (config->source == NULL || config->bindings == NULL) {
		talloc_free(config);
		return SPNPOOL_ERR_NO_MEMORY;
	}
	/* the strings move under the array, which is under config */
	for (i = 0; i < num; i++) {
		struct spnpool_web_binding *w = &config->bindings[i];

		*w = bindings[i];
		talloc_steal(config->bindings, w->site);
		talloc_steal(config->bindings, w->site_id);
		talloc_steal(config->bindings, w->app_path);
		talloc_steal(config->bindings, w->pool);
		talloc_steal(config->bindings, w->user_name);
		talloc_steal(config->bindings, w->host);
	}
	config->num_bindings = num;
	*_config = config;
	return SPNPOOL_OK;
}
