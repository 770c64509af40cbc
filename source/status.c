/*
 * libspnpool: the rule behind every status code.
 */

#include "spnpool_private.h"

#ifndef SPNPOOL_VERSION
#error SPNPOOL_VERSION must be defined by the build
#endif

static const char *const status_strings[SPNPOOL_STATUS_COUNT] = {
	[SPNPOOL_OK] = "success",
	[SPNPOOL_ERR_EMPTY] = "the value is empty",
	[SPNPOOL_ERR_TOO_LONG] = "an SPN may be at most 1024 bytes long",
	[SPNPOOL_ERR_BAD_UTF8] = "the value is not valid UTF-8",
	[SPNPOOL_ERR_CONTROL_CHAR] =
		"control characters (including NUL) are not allowed",
	[SPNPOOL_ERR_WHITESPACE] = "whitespace is not allowed",
	[SPNPOOL_ERR_NO_SLASH] =
		"an SPN has the form class/host[:port][/service-name]",
	[SPNPOOL_ERR_TOO_MANY_PARTS] =
		"an SPN has at most three '/'-separated parts",
	[SPNPOOL_ERR_EMPTY_CLASS] = "the service class before '/' is empty",
	[SPNPOOL_ERR_BAD_CLASS] =
		"a service class may contain only letters, digits, '-', '_' "
		"and '.'",
	[SPNPOOL_ERR_EMPTY_HOST] = "the host name is empty",
	[SPNPOOL_ERR_EMPTY_SERVICE_NAME] =
		"the service name after the second '/' is empty",
	[SPNPOOL_ERR_BAD_SERVICE_NAME] =
		"the service name must obey the host name rules",
	[SPNPOOL_ERR_BAD_PORT] =
		"the port must be a decimal number without sign or leading "
		"zeros",
	[SPNPOOL_ERR_PORT_RANGE] = "the port must be from 1 to 65535",
	[SPNPOOL_ERR_HOST_NON_ASCII] =
		"a host name must be ASCII; give an international name in "
		"its IDNA form (xn--...), which is what browsers request",
	[SPNPOOL_ERR_HOST_CHAR] =
		"a host name may contain only letters, digits, '-' and '.'",
	[SPNPOOL_ERR_HOST_LABEL_EMPTY] =
		"a host name may not have an empty label (leading dot or "
		"'..')",
	[SPNPOOL_ERR_HOST_LABEL_TOO_LONG] =
		"each label of a host name may be at most 63 characters long",
	[SPNPOOL_ERR_HOST_TOO_LONG] =
		"a host name may be at most 253 characters long",
	[SPNPOOL_ERR_HOST_HYPHEN] =
		"a host name label may not start or end with '-'",
	[SPNPOOL_ERR_HOST_NUMERIC] =
		"an IP address or all-numeric name is not a host name; "
		"browsers request SPNs for names (Windows tries an IP SPN "
		"only when TryIPSPN is configured)",
	[SPNPOOL_ERR_HOST_TRAILING_DOT] =
		"a trailing dot is only allowed after a name of two or more "
		"labels",
	[SPNPOOL_ERR_NETBIOS_TOO_LONG] =
		"a NetBIOS name may be at most 15 characters long",
	[SPNPOOL_ERR_NO_DOMAIN] =
		"a short host name needs the domain's DNS name to form the "
		"FQDN",
	[SPNPOOL_ERR_URL_SCHEME] = "only http:// and https:// URLs are served "
				   "by HTTP SPNs",
	[SPNPOOL_ERR_URL_SYNTAX] =
		"a URL has the form http[s]://host[:port][/path]",
	[SPNPOOL_ERR_MAPPING_SYNTAX] =
		"an sPNMappings value has the form target=alias[,alias...]",
	[SPNPOOL_ERR_IDENTITY] =
		"an identity is name, DOMAIN\\name, name@realm, a DN, "
		"NAME$ or an IIS built-in identity",
	[SPNPOOL_ERR_DNS_RECORD] =
		"a dnsRecord value must follow MS-DNSP 2.3.2.2",
	[SPNPOOL_ERR_CONFIG] =
		"the web server configuration is malformed",
	[SPNPOOL_ERR_NO_MEMORY] = "out of memory",
};

const char *spnpool_status_string(enum spnpool_status status)
{
	if ((unsigned)status >= SPNPOOL_STATUS_COUNT ||
	    status_strings[status] == NULL) {
		return "unknown status";
	}
	return status_strings[status];
}

const char *spnpool_version(void)
{
	return SPNPOOL_VERSION;
}
