/*
 * libspnpool: the rule behind every status code.
 */

#include "spnpool_private.h"

#ifndef SPNPOOL_VERSION
#error SPNPOOL_VERSION must be defined by the build
#endif

static const char *const status_strings[SPNPOOL_STATUS_COUNT] = {
#define STATUS_RULE(value, name, rule) [value] = rule,
	SPNPOOL_STATUS_LIST(STATUS_RULE)
#undef STATUS_RULE
};

static const char *const status_names[SPNPOOL_STATUS_COUNT] = {
#define STATUS_NAME(value, name, rule) [value] = name,
	SPNPOOL_STATUS_LIST(STATUS_NAME)
#undef STATUS_NAME
};

const char *spnpool_status_string(enum spnpool_status status)
{
	if ((unsigned)status >= SPNPOOL_STATUS_COUNT ||
	    status_strings[status] == NULL) {
		return "unknown status";
	}
	return status_strings[status];
}

const char *spnpool_status_name(enum spnpool_status status)
{
	if ((unsigned)status >= SPNPOOL_STATUS_COUNT) {
		return "unknown";
	}
	return status_names[status];
}

const char *spnpool_version(void)
{
	return SPNPOOL_VERSION;
}
