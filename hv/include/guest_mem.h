/* The one way hardware-free code reaches guest memory: a guest-physical range
 * becomes a host pointer only after a bounds check. Guest RAM is one contiguous
 * host block mapped at guest-physical 0 (tests use a malloc'd block). */
#ifndef HV_GUEST_MEM_H
#define HV_GUEST_MEM_H

#include <stddef.h>
#include <stdint.h>

struct guest_mem {
    uint8_t *host; /* host address of guest-physical 0 */
    uint64_t size; /* bytes of guest RAM */
};

/* NULL unless [gpa, gpa + len) lies inside guest RAM. */
static inline void *gmem_ptr(const struct guest_mem *m, uint64_t gpa, uint64_t len)
{
    if (gpa > m->size || len > m->size - gpa)
        return NULL;
    return m->host + gpa;
}

#endif
