#include "lib/ptable.h"

#define LEVEL_SHIFT(l) (12 + 9 * (l)) /* l = 0: PT, 1: PD, 2: PDPT, 3: PML4 */
#define INDEX(va, l)   (((va) >> LEVEL_SHIFT(l)) & 511)
#define TABLE_FLAGS    (PT_P | PT_W | PT_U)
#define VA_LIMIT       (1ull << 48)

static uint64_t *table_of(uint64_t entry)
{
    return (uint64_t *)(uintptr_t)(entry & PT_ADDR_MASK);
}

int ptable_init(struct ptable *pt, struct heap *heap)
{
    pt->heap = heap;
    pt->root = heap_alloc_pages(heap, 1);
    pt->pages = pt->root ? 1 : 0;
    return pt->root ? 0 : -1;
}

/* Entry e of a table at level l leads into the void. */
static int is_void(const struct ptable *pt, uint64_t e, int l)
{
    if (!pt->void_page || !(e & PT_P))
        return 0;
    if (l == 0)
        return (e & PT_ADDR_MASK) == pt->void_page;
    return table_of(e) == pt->void_table[l - 1];
}

/* The table at level `level` covering va, allocated on the way if missing
 * (or void: the new table starts as a copy of the void table it replaces);
 * NULL if a large page is in the way or the heap is exhausted. */
static uint64_t *walk_to(struct ptable *pt, uint64_t va, int level)
{
    uint64_t *t = pt->root;
    for (int l = 3; l > level; l--) {
        uint64_t *e = &t[INDEX(va, l)];
        if (!(*e & PT_P) || is_void(pt, *e, l)) {
            uint64_t *next = heap_alloc_pages(pt->heap, 1);
            if (!next)
                return NULL;
            pt->pages++;
            if (*e & PT_P) {
                for (unsigned i = 0; i < 512; i++)
                    next[i] = pt->void_table[l - 1][i];
            }
            *e = (uint64_t)(uintptr_t)next | TABLE_FLAGS;
        } else if (*e & PT_PS) {
            return NULL;
        }
        t = table_of(*e);
    }
    return t;
}

void ptable_release_sink(struct ptable *pt)
{
    while (pt->sinks) { /* the last first: it may sit in an earlier one's tables */
        pt->sinks--;
        *pt->sink_entry[pt->sinks] = pt->sink_saved[pt->sinks];
    }
}

int ptable_map(struct ptable *pt, uint64_t va, uint64_t pa, uint64_t size, uint64_t flags)
{
    ptable_release_sink(pt); /* the sink's private tables are never mapped into */
    if ((va | pa | size) & (PAGE_SIZE - 1) || va >= VA_LIMIT || size > VA_LIMIT - va ||
        (pa & ~PT_ADDR_MASK) || flags & (PT_ADDR_MASK | PT_PS))
        return -1;
    while (size) {
        int large = !(va & (PT_2M - 1)) && !(pa & (PT_2M - 1)) && size >= PT_2M;
        uint64_t *t = walk_to(pt, va, large ? 1 : 0);
        if (!t)
            return -1;
        uint64_t *e = &t[INDEX(va, large ? 1 : 0)];
        if (large && (*e & PT_P) && !(*e & PT_PS) && !is_void(pt, *e, 1)) {
            /* a page table is there already (ptable_unmap leaves them): fill it
             * with 4 KiB pages, so mapping and unmapping again and again never
             * takes another page of the heap */
            large = 0;
            e = &table_of(*e)[INDEX(va, 0)];
        }
        if ((*e & PT_P) && !is_void(pt, *e, large ? 1 : 0))
            return -1; /* already mapped: never silently remap */
        *e = pa | flags | PT_P | (large ? PT_PS : 0);
        uint64_t step = large ? PT_2M : PAGE_SIZE;
        va += step;
        pa += step;
        size -= step;
    }
    return 0;
}

uint64_t *ptable_leaf(const struct ptable *pt, uint64_t va, int *level)
{
    uint64_t *t = pt->root;
    if (va >= VA_LIMIT)
        return NULL;
    for (int l = 3; l >= 0; l--) {
        uint64_t *e = &t[INDEX(va, l)];
        if (!(*e & PT_P) || is_void(pt, *e, l))
            return NULL;
        if (l == 0 || (l == 1 && (*e & PT_PS))) {
            *level = l;
            return e;
        }
        if (*e & PT_PS)
            return NULL;
        t = table_of(*e);
    }
    return NULL;
}

int ptable_unmap(struct ptable *pt, uint64_t va, uint64_t size)
{
    ptable_release_sink(pt);
    if (!pt->void_page || (va | size) & (PAGE_SIZE - 1) || va >= VA_LIMIT || size > VA_LIMIT - va)
        return -1;
    for (int pass = 0; pass < 2; pass++) { /* check everything, then change it */
        for (uint64_t at = va; at < va + size;) {
            int l;
            uint64_t *e = ptable_leaf(pt, at, &l);
            uint64_t step = l ? PT_2M : PAGE_SIZE;
            if (!e || (at & (step - 1)) || step > va + size - at)
                return -1;
            if (pass)
                *e =
                    l ? (uint64_t)(uintptr_t)pt->void_table[0] | TABLE_FLAGS : pt->void_table[0][0];
            at += step;
        }
    }
    return 0;
}

int ptable_void_init(struct ptable *pt, uint64_t page, uint64_t flags)
{
    if (!page || (page & ~PT_ADDR_MASK) || flags & (PT_ADDR_MASK | PT_PS))
        return -1;
    for (int l = 0; l < 3; l++) {
        pt->void_table[l] = heap_alloc_pages(pt->heap, 1);
        if (!pt->void_table[l])
            return -1;
        pt->pages++;
        for (unsigned i = 0; i < 512; i++)
            pt->void_table[l][i] =
                l ? (uint64_t)(uintptr_t)pt->void_table[l - 1] | TABLE_FLAGS : page | flags | PT_P;
    }
    pt->void_page = page;
    return 0;
}

int ptable_map_void(struct ptable *pt, uint64_t va)
{
    if (!pt->void_page || va >= VA_LIMIT)
        return -1;
    uint64_t *t = pt->root;
    for (int l = 3; l >= 0; l--) {
        uint64_t *e = &t[INDEX(va, l)];
        if (!(*e & PT_P)) {
            *e = l ? (uint64_t)(uintptr_t)pt->void_table[l - 1] | TABLE_FLAGS
                   : pt->void_page | (pt->void_table[0][0] & ~PT_ADDR_MASK);
            return 0;
        }
        if (l == 0 || (*e & PT_PS))
            return -1;
        t = table_of(*e);
    }
    return -1;
}

int ptable_sink_init(struct ptable *pt, uint64_t *page)
{
    if (!pt->void_page || !page)
        return -1;
    for (int k = 0; k < PTABLE_SINKS; k++) {
        for (int l = 0; l < 3; l++) {
            pt->sink_table[k][l] = heap_alloc_pages(pt->heap, 1);
            if (!pt->sink_table[k][l])
                return -1;
            pt->pages++;
        }
    }
    pt->sink_page = page;
    return 0;
}

int ptable_map_sink(struct ptable *pt, uint64_t va)
{
    if (!pt->sink_page || va >= VA_LIMIT)
        return -1;
    if (pt->sinks == PTABLE_SINKS)
        ptable_release_sink(pt);
    uint64_t *t = pt->root;
    int l = 3;
    for (;; l--) {
        uint64_t e = t[INDEX(va, l)];
        if (is_void(pt, e, l))
            break;
        if (!(e & PT_P) || l == 0 || (e & PT_PS))
            return -1;
        t = table_of(e);
    }
    uint64_t leaf_flags = (pt->void_table[0][0] & ~PT_ADDR_MASK) | PT_W;
    uint64_t *entry = &t[INDEX(va, l)], value = (uint64_t)(uintptr_t)pt->sink_page | leaf_flags;
    /* private copies of the void below the entry, one path leading to the sink */
    uint64_t **tables = pt->sink_table[pt->sinks];
    for (int k = 0; k < l; k++) {
        for (unsigned i = 0; i < 512; i++)
            tables[k][i] = pt->void_table[k][i];
        tables[k][INDEX(va, k)] = value;
        value = (uint64_t)(uintptr_t)tables[k] | TABLE_FLAGS;
    }
    for (unsigned i = 0; i < PAGE_SIZE / sizeof(uint64_t); i++)
        pt->sink_page[i] = ~0ull;
    pt->sink_entry[pt->sinks] = entry;
    pt->sink_saved[pt->sinks] = *entry;
    pt->sinks++;
    *entry = value;
    return 0;
}

int ptable_lookup(const struct ptable *pt, uint64_t va, uint64_t *pa, uint64_t *flags,
                  uint64_t *page_size)
{
    const uint64_t *t = pt->root;
    if (va >= VA_LIMIT)
        return -1;
    for (int l = 3; l >= 0; l--) {
        uint64_t e = t[INDEX(va, l)];
        if (!(e & PT_P))
            return -1;
        if (l == 0 || (l == 1 && (e & PT_PS))) {
            uint64_t sz = 1ull << LEVEL_SHIFT(l);
            *pa = (e & PT_ADDR_MASK & ~(sz - 1)) | (va & (sz - 1));
            *flags = e & ~PT_ADDR_MASK;
            *page_size = sz;
            return 0;
        }
        t = table_of(e);
    }
    return -1;
}

/* The page table entry of va if va's path has tables of its own down to it
 * (not the void's), else NULL. */
static uint64_t *own_entry(const struct ptable *pt, uint64_t va)
{
    uint64_t *t = pt->root;
    for (int l = 3; l > 0; l--) {
        uint64_t e = t[INDEX(va, l)];
        if (!(e & PT_P) || (e & PT_PS) || is_void(pt, e, l))
            return NULL;
        t = table_of(e);
    }
    return &t[INDEX(va, 0)];
}

static void fill_void(struct ptable *pt, uint64_t va, uint64_t end)
{
    for (; va < end; va += PAGE_SIZE)
        *own_entry(pt, va) = pt->void_page ? pt->void_table[0][0] : 0;
}

int ptable_hole(struct ptable *pt, uint64_t va, uint64_t size)
{
    ptable_release_sink(pt);
    if ((va | size) & (PAGE_SIZE - 1) || !size || va >= VA_LIMIT || size > VA_LIMIT - va)
        return -1;
    int level;
    for (uint64_t at = va; at < va + size; at += PAGE_SIZE) {
        if (ptable_leaf(pt, at, &level))
            return -1;
    }
    for (uint64_t at = va; at < va + size; at += PAGE_SIZE) {
        uint64_t *t = walk_to(pt, at, 0);
        if (!t) {
            fill_void(pt, va, at); /* tables allocated stay: copies of the void */
            return -1;
        }
        t[INDEX(at, 0)] = 0;
    }
    return 0;
}

int ptable_unhole(struct ptable *pt, uint64_t va, uint64_t size)
{
    ptable_release_sink(pt);
    if ((va | size) & (PAGE_SIZE - 1) || !size || va >= VA_LIMIT || size > VA_LIMIT - va)
        return -1;
    for (uint64_t at = va; at < va + size; at += PAGE_SIZE) {
        uint64_t *e = own_entry(pt, at);
        if (!e || (*e & PT_P))
            return -1;
    }
    fill_void(pt, va, va + size);
    return 0;
}
