/* A 4-level x86-64 page-table builder (used for the guest's nested page
 * tables). Hardware-free: tables come from a struct heap and entries hold the
 * tables' addresses as the hypervisor sees them (identity-mapped). */
#ifndef HV_LIB_PTABLE_H
#define HV_LIB_PTABLE_H

#include <stdint.h>

#include "lib/heap.h"

#define PT_P         (1ull << 0)
#define PT_W         (1ull << 1)
#define PT_U         (1ull << 2) /* nested page walks are user accesses: NPT entries need it */
#define PT_PS        (1ull << 7)
#define PT_ADDR_MASK 0x000ffffffffff000ull

#define PT_2M (2ull << 20)

/* Pages of the void one instruction can write at once: a store across a
 * page boundary needs both (the sink page backs them all). */
#define PTABLE_SINKS 2

struct ptable {
    uint64_t *root;
    struct heap *heap;
    uint64_t pages; /* tables allocated, root included */
    /* The void: one page and one table per level below the root, every entry
     * of table l pointing at table l-1 (at the page for l = 0), shared by all
     * unmapped space, so backing any amount of it takes no memory. */
    uint64_t void_page;
    uint64_t *void_table[3]; /* [0] a page table, [1] a directory, [2] a PDPT */
    /* The sink: the void is read-only; a write to it maps the one page
     * written through private copies of the void tables to a sink page
     * (refilled with all-ones each time), until the writing instruction is
     * done, so writes succeed and vanish, and memory stays constant. */
    uint64_t *sink_page;
    uint64_t *sink_table[PTABLE_SINKS][3];
    uint64_t *sink_entry[PTABLE_SINKS]; /* the entries the sinks replaced, in order */
    uint64_t sink_saved[PTABLE_SINKS];
    unsigned sinks; /* how many are in place */
};

int ptable_init(struct ptable *pt, struct heap *heap);
/* Maps [va, va+size) to [pa, pa+size) with flags, in 2 MiB pages where both
 * addresses and the remaining size allow, else 4 KiB pages. Fails (-1) on
 * unaligned input, an existing mapping in the range, or an exhausted heap. */
int ptable_map(struct ptable *pt, uint64_t va, uint64_t pa, uint64_t size, uint64_t flags);
/* Gives [va, va+size) back to the void: every page of it must be mapped
 * (by ptable_map, with 2 MiB pages wholly inside the range); -1 and nothing
 * changed otherwise. The caller flushes the TLB. */
int ptable_unmap(struct ptable *pt, uint64_t va, uint64_t size);
/* The leaf entry ptable_map made for va and its level (0: 4 KiB, 1: 2 MiB),
 * or NULL (unmapped, the void). Entries stay where they are: a caller may
 * keep the pointer and change the entry (then it flushes the TLB). */
uint64_t *ptable_leaf(const struct ptable *pt, uint64_t va, int *level);
/* Sets up the void (above) with page, entries with flags; -1: heap exhausted. */
int ptable_void_init(struct ptable *pt, uint64_t page, uint64_t flags);
/* Backs the unmapped region holding va with the void, at the highest level
 * that is missing (one entry, no allocation). -1 if va is mapped already or
 * beyond the 48 bits the tables cover. The void is not a mapping: ptable_map
 * may replace it later. */
int ptable_map_void(struct ptable *pt, uint64_t va);
/* Sets up the sink (above) with page; -1: heap exhausted. */
int ptable_sink_init(struct ptable *pt, uint64_t *page);
/* Puts the sink at the void page holding va (a guest write there), besides
 * the one already in place (PTABLE_SINKS at most: one more releases them
 * first); -1 if va is not in the void. */
int ptable_map_sink(struct ptable *pt, uint64_t va);
/* Puts the void back wherever the sink is (the write is done): the pages
 * read all-ones again. */
void ptable_release_sink(struct ptable *pt);
/* Makes every page of [va, va+size) fault (a not-present entry in a table
 * of its own, copied from the void where the void was), for a trapped range
 * the hypervisor emulates: ptable_map_void backs missing entries only on the
 * path of the address faulting, so a hole stays one. -1 and nothing changed
 * if a page is mapped, the input is unaligned or the heap is exhausted. The
 * caller flushes the TLB. */
int ptable_hole(struct ptable *pt, uint64_t va, uint64_t size);
/* Gives a hole's pages back to the void; -1 and nothing changed unless every
 * page of [va, va+size) is a hole. The caller flushes the TLB. */
int ptable_unhole(struct ptable *pt, uint64_t va, uint64_t size);
/* 0 and the translation of va, or -1 if unmapped. *page_size: 4 KiB or 2 MiB. */
int ptable_lookup(const struct ptable *pt, uint64_t va, uint64_t *pa, uint64_t *flags,
                  uint64_t *page_size);

#endif
