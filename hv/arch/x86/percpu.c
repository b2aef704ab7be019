/* The per-CPU bookkeeping that needs no hardware (tests/unit/test_arch_percpu.c). */
#include "arch/x86/percpu.h"

uint32_t percpu_aps(const uint32_t *ids, uint32_t n, uint32_t bsp_id, uint32_t *aps, uint32_t max)
{
    uint32_t count = 0;
    for (uint32_t i = 0; i < n && count < max; i++) {
        bool seen = ids[i] == bsp_id;
        for (uint32_t j = 0; j < count && !seen; j++)
            seen = aps[j] == ids[i];
        if (!seen)
            aps[count++] = ids[i];
    }
    return count;
}
