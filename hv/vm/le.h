/* Little-endian loads and stores at any alignment: image headers, boot_params
 * and ACPI tables are byte layouts, so hv/vm/ reads and writes them through
 * these rather than through possibly misaligned struct pointers. */
#ifndef HV_VM_LE_H
#define HV_VM_LE_H

#include <stdint.h>

#include "lib/mem.h"

static inline uint16_t le16(const uint8_t *p)
{
    uint16_t v;
    memcpy(&v, p, 2);
    return v;
}

static inline uint32_t le32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

static inline uint64_t le64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

static inline void put_le16(uint8_t *p, uint16_t v)
{
    memcpy(p, &v, 2);
}

static inline void put_le32(uint8_t *p, uint32_t v)
{
    memcpy(p, &v, 4);
}

static inline void put_le64(uint8_t *p, uint64_t v)
{
    memcpy(p, &v, 8);
}

#endif
