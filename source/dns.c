/*
 * libspnpool: dnsRecord values of AD-integrated DNS zones (MS-DNSP
 * 2.3.2.2), parsed defensively: the bytes come from the directory and
 * anyone with write access to a zone controls them.  Pure: no I/O.
 */

#include <string.h>

#include "spnpool_private.h"

#define DNS_RECORD_HEADER 24
#define DNS_RECORD_VERSION 5

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}

static uint32_t be32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
	       ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}

/*
 * DNS_COUNT_NAME: cchNameLength (bytes of the label area), label count,
 * then length-prefixed labels and a final 0.  Returns the dotted name.
 */
static enum spnpool_status parse_count_name(TALLOC_CTX *mem_ctx,
					    const uint8_t *d, size_t len,
					    char **_name)
{
	size_t area;
	size_t labels;
	size_t pos = 2;
	size_t seen = 0;
	char *name = NULL;
	size_t n = 0;

	if (len < 3) {
		return SPNPOOL_ERR_DNS_RECORD;
	}
	area = d[0];
	labels = d[1];
	if (area + 2 != len || labels == 0) {
		return SPNPOOL_ERR_DNS_RECORD;
	}
	/* the dotted name is never longer than the label area */
	name = talloc_array(mem_ctx, char, area + 1);
	if (name == NULL) {
		return SPNPOOL_ERR_NO_MEMORY;
	}
	while (pos < area + 2) {
		size_t l = d[pos++];

		if (l == 0) {
			break;
		}
		if (l > SPNPOOL_LABEL_MAX_LEN || pos + l > area + 2) {
			goto bad;
		}
		if (n > 0) {
			name[n++] = '.';
		}
		memcpy(name + n, d + pos, l);
		n += l;
		pos += l;
		seen++;
	}
	/* the final 0 must end the area exactly, after the stated labels */
	if (pos != area + 2 || d[pos - 1] != 0 || seen != labels) {
		goto bad;
	}
	name[n] = '\0';
	if (spnpool_host_check_len(name, n, NULL) != SPNPOOL_OK) {
		goto bad;
	}
	*_name = name;
	return SPNPOOL_OK;
bad:
	talloc_free(name);
	return SPNPOOL_ERR_DNS_RECORD;
}

enum spnpool_status
spnpool_dns_record_parse(TALLOC_CTX *mem_ctx, const uint8_t *data, size_t len,
			 struct spnpool_dns_record **_record)
{
	struct spnpool_dns_record *r = NULL;
	const uint8_t *payload = NULL;
	size_t data_len;
	enum spnpool_status st = SPNPOOL_OK;

	if (data == NULL || len < DNS_RECORD_HEADER) {
		return SPNPOOL_ERR_DNS_RECORD;
	}
	data_len = le16(data);
	if (data[4] != DNS_RECORD_VERSION ||
	    data_len != len - DNS_RECORD_HEADER) {
		return SPNPOOL_ERR_DNS_RECORD;
	}
	payload = data + DNS_RECORD_HEADER;

	r = talloc_zero(mem_ctx, struct spnpool_dns_record);
	if (r == NULL) {
		return SPNPOOL_ERR_NO_MEMORY;
	}
	r->type = le16(data + 2);
	r->ttl = be32(data + 12);
	switch (r->type) {
	case SPNPOOL_DNS_TYPE_A:
		if (data_len != 4) {
			st = SPNPOOL_ERR_DNS_RECORD;
			break;
		}
		memcpy(r->addr, payload, 4);
		r->addr_len = 4;
		break;
	case SPNPOOL_DNS_TYPE_AAAA:
		if (data_len != 16) {
			st = SPNPOOL_ERR_DNS_RECORD;
			break;
		}
		memcpy(r->addr, payload, 16);
		r->addr_len = 16;
		break;
	case SPNPOOL_DNS_TYPE_CNAME:
		st = parse_count_name(r, payload, data_len, &r->target);
		break;
	default:
		/* other types (and tombstones) are kept, uninterpreted */
		break;
	}
	if (st != SPNPOOL_OK) {
		talloc_free(r);
		return st;
	}
	*_record = r;
	return SPNPOOL_OK;
}
