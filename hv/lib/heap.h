/* Page allocator over the heap region the loader gave us. Pages are never freed:
 * everything the hypervisor allocates lives as long as the run. */
#ifndef HV_LIB_HEAP_H
#define HV_LIB_HEAP_H

#include <stddef.h>
#include <stdint.h>

#include "page.h"

struct heap {
    uint64_t base; /* physical == virtual in the hypervisor's identity map */
    uint64_t size;
    uint64_t used;
};

void heap_init(struct heap *h, uint64_t base, uint64_t size);
/* Zeroed, page-aligned; NULL when the heap is exhausted. */
void *heap_alloc_pages(struct heap *h, size_t pages);

#endif
