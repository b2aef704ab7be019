#ifndef HV_LIB_CRC32_H
#define HV_LIB_CRC32_H

#include <stddef.h>
#include <stdint.h>

/* CRC-32 (IEEE 802.3, as zlib and gzip compute it). */
uint32_t crc32(const void *data, size_t n);

#endif
