/* The fuzz targets of fuzz_parsers.c. */

#ifndef SPNPOOL_FUZZ_H
#define SPNPOOL_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int fuzz_spn(const uint8_t *data, size_t size);
int fuzz_host(const uint8_t *data, size_t size);
int fuzz_url(const uint8_t *data, size_t size);
int fuzz_alias(const uint8_t *data, size_t size);
int fuzz_identity(const uint8_t *data, size_t size);
int fuzz_dns_record(const uint8_t *data, size_t size);
int fuzz_iis_config(const uint8_t *data, size_t size);
int fuzz_pools_file(const uint8_t *data, size_t size);

#endif
