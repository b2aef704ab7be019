#include "lib/heap.h"

#include "lib/mem.h"

void heap_init(struct heap *h, uint64_t base, uint64_t size)
{
    uint64_t start = (base + PAGE_SIZE - 1) & ~(uint64_t)(PAGE_SIZE - 1);
    h->base = start;
    h->size = size > start - base ? (size - (start - base)) & ~(uint64_t)(PAGE_SIZE - 1) : 0;
    h->used = 0;
}

void *heap_alloc_pages(struct heap *h, size_t pages)
{
    uint64_t bytes = (uint64_t)pages * PAGE_SIZE;
    if (pages == 0 || bytes / PAGE_SIZE != pages || bytes > h->size - h->used)
        return NULL;
    void *p = (void *)(uintptr_t)(h->base + h->used);
    h->used += bytes;
    memset(p, 0, bytes);
    return p;
}
