/* The nested-page-table builder over a fake guest memory map. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/ptable.h"

#define MIB (1ull << 20)
#define GIB (1ull << 30)

static void *backing;
static struct heap heap;
static struct ptable pt;

static int setup(void **state)
{
    (void)state;
    backing = aligned_alloc(PAGE_SIZE, 64 * PAGE_SIZE);
    heap_init(&heap, (uint64_t)(uintptr_t)backing, 64 * PAGE_SIZE);
    memset(&pt, 0, sizeof(pt)); /* ptable_init leaves the void and the sink fields alone */
    return ptable_init(&pt, &heap);
}

static int teardown(void **state)
{
    (void)state;
    free(backing);
    return 0;
}

static void expect_map(uint64_t va, uint64_t pa, uint64_t size)
{
    uint64_t got, flags, ps;
    assert_int_equal(ptable_lookup(&pt, va, &got, &flags, &ps), 0);
    assert_int_equal(got, pa);
    assert_int_equal(ps, size);
    assert_true(flags & PT_P);
    assert_true(flags & PT_U);
}

/* The guest map: 512 MiB RAM at GPA 0 backed at host 0x5be00000, plus the
 * pass-through IOAPIC, HPET and LAPIC pages. */
static void guest_map(void **state)
{
    (void)state;
    const uint64_t host = 0x5be00000, ram = 512 * MIB;
    assert_int_equal(ptable_map(&pt, 0, host, ram, PT_W | PT_U), 0);
    assert_int_equal(ptable_map(&pt, 0xfec00000, 0xfec00000, PAGE_SIZE, PT_W | PT_U), 0);
    assert_int_equal(ptable_map(&pt, 0xfed00000, 0xfed00000, PAGE_SIZE, PT_W | PT_U), 0);
    assert_int_equal(ptable_map(&pt, 0xfee00000, 0xfee00000, PAGE_SIZE, PT_W | PT_U), 0);

    expect_map(0, host, PT_2M);
    expect_map(0x1234, host + 0x1234, PT_2M);
    expect_map(ram - 1, host + ram - 1, PT_2M);
    expect_map(0xfec00010, 0xfec00010, PAGE_SIZE);
    expect_map(0xfee000f0, 0xfee000f0, PAGE_SIZE);

    uint64_t pa, flags, ps;
    assert_int_equal(ptable_lookup(&pt, ram, &pa, &flags, &ps), -1);
    assert_int_equal(ptable_lookup(&pt, 0xfec01000, &pa, &flags, &ps), -1);
    assert_int_equal(ptable_lookup(&pt, 4 * GIB, &pa, &flags, &ps), -1);
    assert_int_equal(ptable_lookup(&pt, 1ull << 50, &pa, &flags, &ps), -1);
    /* PML4, PDPT, the RAM's PD, the 3-4 GiB PD, one PT for IOAPIC+HPET, one for LAPIC */
    assert_int_equal(pt.pages, 6);
}

static void mixed_alignment_uses_small_pages_at_the_edges(void **state)
{
    (void)state;
    /* 1 MiB into a 2 MiB region: 4 KiB pages up to the boundary, then large */
    assert_int_equal(ptable_map(&pt, 1 * MIB, 0x40100000, 5 * MIB, PT_W | PT_U), 0);
    expect_map(1 * MIB, 0x40100000, PAGE_SIZE);
    expect_map(2 * MIB, 0x40200000, PT_2M);
    expect_map(4 * MIB + 5, 0x40400005, PT_2M);
    uint64_t pa, flags, ps;
    assert_int_equal(ptable_lookup(&pt, 6 * MIB, &pa, &flags, &ps), -1);
    /* host side misaligned by 4 KiB: never a large page */
    assert_int_equal(ptable_map(&pt, 8 * MIB, 0x80001000, 4 * MIB, PT_W | PT_U), 0);
    expect_map(8 * MIB, 0x80001000, PAGE_SIZE);
    expect_map(10 * MIB, 0x80201000, PAGE_SIZE);
}

static void refusals(void **state)
{
    (void)state;
    assert_int_equal(ptable_map(&pt, 0, 0x100000, PT_2M, PT_W), 0);
    assert_int_equal(ptable_map(&pt, 0x1000, 0x300000, PAGE_SIZE, PT_W), -1); /* overlap */
    assert_int_equal(ptable_map(&pt, 0, 0x100000, PAGE_SIZE, PT_W), -1);      /* remap */
    assert_int_equal(ptable_map(&pt, 0x400001, 0, PAGE_SIZE, PT_W), -1);      /* unaligned */
    assert_int_equal(ptable_map(&pt, 0x400000, 0, 10, PT_W), -1);
    assert_int_equal(ptable_map(&pt, 1ull << 48, 0, PAGE_SIZE, PT_W), -1);
    assert_int_equal(ptable_map(&pt, (1ull << 48) - PAGE_SIZE, 0, 2 * PAGE_SIZE, PT_W), -1);
    assert_int_equal(ptable_map(&pt, 0x400000, 1ull << 52, PAGE_SIZE, PT_W), -1);
    assert_int_equal(ptable_map(&pt, 0x400000, 0, PAGE_SIZE, PT_PS), -1);
}

static void heap_exhaustion_fails_cleanly(void **state)
{
    (void)state;
    /* every 4 KiB page in its own PT, far apart: runs out of the 64-page heap */
    int rc = 0;
    for (uint64_t i = 0; i < 100 && rc == 0; i++)
        rc = ptable_map(&pt, i * GIB + PAGE_SIZE, 0x1000, PAGE_SIZE, PT_W);
    assert_int_equal(rc, -1);
    assert_true(pt.pages <= 64);
}

/* --- the void: shared tables backing unmapped space at constant memory --- */

#define VOID_PAGE  0x7ff000ull /* a host page (never dereferenced here) */
#define VOID_FLAGS (PT_W | PT_U)
#define VA_LIMIT   (1ull << 48)

static uint64_t void_copy[3][512];

static void void_setup_flags(uint64_t flags)
{
    assert_int_equal(ptable_void_init(&pt, VOID_PAGE, flags), 0);
    for (int l = 0; l < 3; l++)
        memcpy(void_copy[l], pt.void_table[l], sizeof(void_copy[l]));
}

static void void_setup(void)
{
    void_setup_flags(VOID_FLAGS);
}

/* The shared void tables are never written after ptable_void_init. */
static void expect_void_tables_intact(void)
{
    for (int l = 0; l < 3; l++)
        assert_memory_equal(void_copy[l], pt.void_table[l], sizeof(void_copy[l]));
}

static void expect_void(uint64_t va)
{
    uint64_t pa, flags, ps;
    assert_int_equal(ptable_lookup(&pt, va, &pa, &flags, &ps), 0);
    assert_int_equal(pa, VOID_PAGE | (va & (PAGE_SIZE - 1)));
    assert_int_equal(ps, PAGE_SIZE);
    assert_int_equal(flags, void_copy[0][0] & ~PT_ADDR_MASK);
}

static uint64_t entry_at(uint64_t va, int level)
{
    const uint64_t *t = pt.root;
    for (int l = 3; l > level; l--)
        t = (const uint64_t *)(uintptr_t)(t[(va >> (12 + 9 * l)) & 511] & PT_ADDR_MASK);
    return t[(va >> (12 + 9 * level)) & 511];
}

static uint64_t table_addr(const uint64_t *t)
{
    return (uint64_t)(uintptr_t)t;
}

static void void_init_builds_the_chain(void **state)
{
    (void)state;
    uint64_t pa, flags, ps;
    assert_int_equal(ptable_map_void(&pt, 0), -1); /* no void yet */
    assert_int_equal(ptable_void_init(&pt, 0, VOID_FLAGS), -1);
    assert_int_equal(ptable_void_init(&pt, VOID_PAGE | 0x10, VOID_FLAGS), -1);
    assert_int_equal(ptable_void_init(&pt, VOID_PAGE, PT_PS), -1);
    assert_int_equal(ptable_void_init(&pt, VOID_PAGE, 1ull << 20), -1);
    void_setup();
    assert_int_equal(pt.pages, 4);
    for (unsigned i = 0; i < 512; i++) {
        assert_int_equal(pt.void_table[0][i], VOID_PAGE | VOID_FLAGS | PT_P);
        assert_int_equal(pt.void_table[1][i] & PT_ADDR_MASK, table_addr(pt.void_table[0]));
        assert_int_equal(pt.void_table[2][i] & PT_ADDR_MASK, table_addr(pt.void_table[1]));
        assert_true(pt.void_table[1][i] & PT_P);
        assert_false(pt.void_table[1][i] & PT_PS);
    }
    /* set up, nothing is backed yet */
    assert_int_equal(ptable_lookup(&pt, 0, &pa, &flags, &ps), -1);
}

/* Unmapped space is backed at the highest level that is missing: one entry,
 * no allocation; lookups there translate to the void page. */
static void map_void_at_highest_missing_level(void **state)
{
    (void)state;
    void_setup();
    uint64_t used = heap.used, pages = pt.pages;

    /* nothing at all: the PML4 entry leads into the void PDPT (512 GiB) */
    assert_int_equal(ptable_map_void(&pt, 600 * GIB + 0x1234), 0);
    assert_int_equal(entry_at(600 * GIB, 3) & PT_ADDR_MASK, table_addr(pt.void_table[2]));
    expect_void(600 * GIB + 0x1234);
    expect_void(512 * GIB);
    expect_void(1024 * GIB - 1);

    /* RAM at 0..2 MiB (one PDPT, one PD): then a PDPT entry, a PD entry */
    assert_int_equal(ptable_map(&pt, 0, 0x40000000, PT_2M, PT_W | PT_U), 0);
    pages = pt.pages;
    used = heap.used;
    assert_int_equal(ptable_map_void(&pt, 5 * GIB + 0x10), 0);
    assert_int_equal(entry_at(5 * GIB, 2) & PT_ADDR_MASK, table_addr(pt.void_table[1]));
    expect_void(5 * GIB);
    expect_void(6 * GIB - 1);
    assert_int_equal(ptable_map_void(&pt, 3 * MIB), 0);
    assert_int_equal(entry_at(3 * MIB, 1) & PT_ADDR_MASK, table_addr(pt.void_table[0]));
    expect_void(2 * MIB);
    expect_void(4 * MIB - 1);
    expect_map(0x1000, 0x40001000, PT_2M); /* the RAM is untouched */

    /* a 4 KiB page at 8 MiB (one PT): then a PT entry */
    assert_int_equal(ptable_map(&pt, 8 * MIB, 0x50000000, PAGE_SIZE, PT_W | PT_U), 0);
    assert_true(pt.pages > pages);
    pages = pt.pages;
    used = heap.used;
    assert_int_equal(ptable_map_void(&pt, 8 * MIB + 3 * PAGE_SIZE + 5), 0);
    assert_int_equal(entry_at(8 * MIB + 3 * PAGE_SIZE, 0), VOID_PAGE | VOID_FLAGS | PT_P);
    expect_void(8 * MIB + 3 * PAGE_SIZE + 5);
    uint64_t pa, flags, ps;
    assert_int_equal(ptable_lookup(&pt, 8 * MIB + 4 * PAGE_SIZE, &pa, &flags, &ps), -1);
    expect_map(8 * MIB, 0x50000000, PAGE_SIZE);

    assert_int_equal(heap.used, used);
    assert_int_equal(pt.pages, pages);
    expect_void_tables_intact();
}

/* Backing space costs nothing: 10,000 faults 1 GiB apart and 10,000 at
 * random addresses below 2^48 leave the heap as it was. */
static void map_void_allocates_nothing(void **state)
{
    (void)state;
    void_setup();
    assert_int_equal(ptable_map(&pt, 0, 0x40000000, 64 * MIB, PT_W | PT_U), 0);
    const uint64_t used = heap.used, pages = pt.pages;
    unsigned installed = 0;
    for (uint64_t i = 1; i <= 10000; i++) {
        uint64_t va = i * GIB + (i * 0x1237000 & (GIB - 1));
        uint64_t pa, flags, ps;
        int backed = ptable_lookup(&pt, va, &pa, &flags, &ps) == 0;
        int rc = ptable_map_void(&pt, va);
        /* a region backed already counts as mapped */
        assert_int_equal(rc, backed ? -1 : 0);
        installed += rc == 0;
        expect_void(va);
        assert_int_equal(heap.used, used);
    }
    /* the 1st GiB's PD had room, then one PDPT entry per GiB up to 512 GiB,
     * then one PML4 entry per 512 GiB */
    assert_int_equal(installed, 511 + (10000 * GIB) / (512 * GIB));

    uint64_t x = 0x9e3779b97f4a7c15ull;
    for (unsigned i = 0; i < 10000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        uint64_t va = x & (VA_LIMIT - 1);
        if (va < 64 * MIB) {
            assert_int_equal(ptable_map_void(&pt, va), -1); /* the RAM */
            continue;
        }
        uint64_t pa, flags, ps;
        int backed = ptable_lookup(&pt, va, &pa, &flags, &ps) == 0;
        assert_int_equal(ptable_map_void(&pt, va), backed ? -1 : 0);
        expect_void(va);
    }
    assert_int_equal(heap.used, used);
    assert_int_equal(pt.pages, pages);
    expect_map(0x1000, 0x40001000, PT_2M);
    expect_map(64 * MIB - 1, 0x40000000 + 64 * MIB - 1, PT_2M);
    expect_void_tables_intact();
}

static void map_void_refusals(void **state)
{
    (void)state;
    void_setup();
    assert_int_equal(ptable_map(&pt, 0, 0x40000000, PT_2M, PT_W | PT_U), 0);
    assert_int_equal(ptable_map(&pt, 4 * MIB, 0x50000000, PAGE_SIZE, PT_W | PT_U), 0);
    const uint64_t used = heap.used;
    /* beyond the 48 bits the tables cover */
    assert_int_equal(ptable_map_void(&pt, VA_LIMIT), -1);
    assert_int_equal(ptable_map_void(&pt, VA_LIMIT + 5 * GIB), -1);
    assert_int_equal(ptable_map_void(&pt, 1ull << 63), -1);
    assert_int_equal(ptable_map_void(&pt, ~0ull), -1);
    /* mapped already: a large page, a small page */
    assert_int_equal(ptable_map_void(&pt, 0), -1);
    assert_int_equal(ptable_map_void(&pt, PT_2M - 1), -1);
    assert_int_equal(ptable_map_void(&pt, 4 * MIB + 0x800), -1);
    expect_map(0x1000, 0x40001000, PT_2M);
    expect_map(4 * MIB + 0x800, 0x50000800, PAGE_SIZE);
    /* backed by the void already */
    assert_int_equal(ptable_map_void(&pt, (1ull << 47) + 7), 0);
    assert_int_equal(ptable_map_void(&pt, (1ull << 47) + 7), -1);
    assert_int_equal(ptable_map_void(&pt, VA_LIMIT - 1), 0);
    expect_void(VA_LIMIT - 1);
    assert_int_equal(heap.used, used);
    expect_void_tables_intact();
}

/* ptable_map replaces the void where it maps (copies of the void tables on
 * the way down); everything else in the region still reads the void page,
 * and the shared void tables are never touched. */
static void map_over_the_void(void **state)
{
    (void)state;
    void_setup();
    assert_int_equal(ptable_map_void(&pt, 0), 0); /* all of 0..512 GiB */
    expect_void(0);
    expect_void(GIB + 2 * MIB);
    const uint64_t pages = pt.pages;

    /* a 2 MiB page: a PDPT and a PD replace the void on the way */
    assert_int_equal(ptable_map(&pt, GIB + 2 * MIB, 0x40200000, PT_2M, PT_W | PT_U), 0);
    assert_int_equal(pt.pages, pages + 2);
    expect_map(GIB + 2 * MIB + 0x123, 0x40200123, PT_2M);
    /* 4 KiB pages in the same PD: a PT replaces the void entry */
    assert_int_equal(ptable_map(&pt, GIB + 3 * PAGE_SIZE, 0x60003000, 2 * PAGE_SIZE, PT_W | PT_U),
                     0);
    assert_int_equal(pt.pages, pages + 3);
    expect_map(GIB + 3 * PAGE_SIZE, 0x60003000, PAGE_SIZE);
    expect_map(GIB + 4 * PAGE_SIZE + 9, 0x60004009, PAGE_SIZE);
    /* the rest of the region, at every level, is still the void */
    expect_void(GIB + 2 * PAGE_SIZE);
    expect_void(GIB + 5 * PAGE_SIZE);
    expect_void(GIB + PT_2M - 1);
    expect_void(GIB + 4 * MIB);
    expect_void(GIB - 1);
    expect_void(2 * GIB);
    expect_void(0);
    expect_void(511 * GIB + 5);
    uint64_t pa, flags, ps;
    assert_int_equal(ptable_lookup(&pt, 512 * GIB, &pa, &flags, &ps), -1);
    expect_void_tables_intact();

    /* the real tables are no longer the void's */
    assert_true((entry_at(GIB, 3) & PT_ADDR_MASK) != table_addr(pt.void_table[2]));
    assert_true((entry_at(GIB, 2) & PT_ADDR_MASK) != table_addr(pt.void_table[1]));
    assert_true((entry_at(GIB, 1) & PT_ADDR_MASK) != table_addr(pt.void_table[0]));

    /* mapped is mapped: no remap, no void on top */
    assert_int_equal(ptable_map(&pt, GIB + 2 * MIB, 0x70000000, PT_2M, PT_W), -1);
    assert_int_equal(ptable_map(&pt, GIB + 4 * PAGE_SIZE, 0x70000000, PAGE_SIZE, PT_W), -1);
    assert_int_equal(ptable_map_void(&pt, GIB + 4 * PAGE_SIZE), -1);
    /* a whole void-backed GiB mapped with 2 MiB pages */
    assert_int_equal(ptable_map(&pt, 8 * GIB, 0x80000000, GIB, PT_W | PT_U), 0);
    expect_map(8 * GIB + GIB - 1, 0x80000000 + GIB - 1, PT_2M);
    expect_void(9 * GIB);
    expect_void(8 * GIB - 1);
    expect_void_tables_intact();
}

/* Unmapping gives a range back to the void (the VRAM moving): whole pages of
 * what ptable_map made, checked before anything changes, and mappable again. */
static void unmap_back_to_the_void(void **state)
{
    (void)state;
    assert_int_equal(ptable_unmap(&pt, 0, PAGE_SIZE), -1); /* no void yet */
    void_setup();
    assert_int_equal(ptable_map_void(&pt, 0), 0);
    const uint64_t fb = 0xf8000000, host = 0x40000000;
    /* 2 MiB pages, then 4 KiB ones at an unaligned end: 4 MiB + 8 KiB */
    assert_int_equal(ptable_map(&pt, fb, host, 4 * MIB + 2 * PAGE_SIZE, PT_W | PT_U), 0);
    expect_map(fb + 4 * MIB + PAGE_SIZE, host + 4 * MIB + PAGE_SIZE, PAGE_SIZE);
    const uint64_t pages = pt.pages;

    /* refusals change nothing: unaligned, part of a 2 MiB page, past the end, void */
    assert_int_equal(ptable_unmap(&pt, fb + 1, PAGE_SIZE), -1);
    assert_int_equal(ptable_unmap(&pt, fb, PAGE_SIZE), -1);
    assert_int_equal(ptable_unmap(&pt, fb + PAGE_SIZE, PT_2M), -1);
    assert_int_equal(ptable_unmap(&pt, fb, 4 * MIB + 3 * PAGE_SIZE), -1);
    assert_int_equal(ptable_unmap(&pt, 0, PAGE_SIZE), -1);
    assert_int_equal(ptable_unmap(&pt, 1ull << 48, PAGE_SIZE), -1);
    expect_map(fb, host, PT_2M);
    expect_map(fb + 4 * MIB + PAGE_SIZE, host + 4 * MIB + PAGE_SIZE, PAGE_SIZE);

    assert_int_equal(ptable_unmap(&pt, fb, 4 * MIB + 2 * PAGE_SIZE), 0);
    expect_void(fb);
    expect_void(fb + 3 * MIB);
    expect_void(fb + 4 * MIB + PAGE_SIZE);
    expect_void(fb + 4 * MIB + 2 * PAGE_SIZE);
    expect_void_tables_intact();
    assert_int_equal(pt.pages, pages);                      /* nothing allocated */
    assert_int_equal(ptable_unmap(&pt, fb, PAGE_SIZE), -1); /* the void is not a mapping */
    /* and it can be mapped again, somewhere else in the region too */
    assert_int_equal(ptable_map(&pt, fb + 2 * MIB, host, 4 * MIB, PT_W | PT_U), 0);
    expect_map(fb + 2 * MIB, host, PT_2M);
    expect_void(fb);
    assert_int_equal(ptable_map(&pt, fb + 4 * MIB + PAGE_SIZE, host, PAGE_SIZE, PT_W | PT_U), -1);
    /* where a page table is (of only void now), 4 KiB pages in it: no allocation */
    expect_map(fb + 4 * MIB, host + PT_2M, PAGE_SIZE);
    expect_map(fb + 6 * MIB - PAGE_SIZE, host + 2 * PT_2M - PAGE_SIZE, PAGE_SIZE);
    /* moving the range back and forth between 2 MiB and 4 KiB alignment, as a
     * guest may with its VRAM, allocates at most one table per 2 MiB */
    assert_int_equal(ptable_unmap(&pt, fb + 2 * MIB, 4 * MIB), 0);
    const uint64_t settled = pt.pages + 1; /* the table at fb + 2 MiB, made once */
    for (int i = 0; i < 50; i++) {
        assert_int_equal(ptable_map(&pt, fb + 2 * MIB + PAGE_SIZE, host, PT_2M, PT_W | PT_U), 0);
        assert_int_equal(ptable_unmap(&pt, fb + 2 * MIB + PAGE_SIZE, PT_2M), 0);
        assert_int_equal(ptable_map(&pt, fb + 2 * MIB, host, 4 * MIB, PT_W | PT_U), 0);
        assert_int_equal(ptable_unmap(&pt, fb + 2 * MIB, 4 * MIB), 0);
    }
    assert_true(pt.pages <= settled);
    /* but not over a page table with a page still mapped */
    assert_int_equal(ptable_map(&pt, 2 * GIB + PAGE_SIZE, host, PAGE_SIZE, PT_W | PT_U), 0);
    assert_int_equal(ptable_map(&pt, 2 * GIB, host, PT_2M, PT_W | PT_U), -1);
}

/* --- the sink: a write into the void gets one private page ---------------------- */

static uint64_t sink_page[512] __attribute__((aligned(4096)));

static uint64_t sink_addr(void)
{
    return (uint64_t)(uintptr_t)sink_page;
}

static void expect_sink(uint64_t va)
{
    uint64_t pa, flags, ps;
    assert_int_equal(ptable_lookup(&pt, va, &pa, &flags, &ps), 0);
    assert_int_equal(pa, sink_addr() | (va & (PAGE_SIZE - 1)));
    assert_int_equal(ps, PAGE_SIZE);
    assert_int_equal(flags, PT_U | PT_W | PT_P); /* the void's, writable */
}

static void expect_sink_all_ones(void)
{
    for (unsigned i = 0; i < 512; i++)
        assert_int_equal(sink_page[i], ~0ull);
}

static void sink_refusals(void **state)
{
    (void)state;
    assert_int_equal(ptable_sink_init(&pt, sink_page), -1); /* no void yet */
    void_setup_flags(PT_U);
    assert_int_equal(ptable_sink_init(&pt, NULL), -1);
    const uint64_t pages = pt.pages, before = heap.used;
    assert_int_equal(ptable_sink_init(&pt, sink_page), 0);
    assert_true(pt.pages >= pages + 3); /* the private tables, counted */
    assert_int_equal((heap.used - before) / PAGE_SIZE, pt.pages - pages);
    assert_int_equal(ptable_map(&pt, 0, 0x40000000, PT_2M, PT_W | PT_U), 0);
    const uint64_t used = heap.used;
    assert_int_equal(ptable_map_sink(&pt, 0x1000), -1);   /* RAM */
    assert_int_equal(ptable_map_sink(&pt, 5 * GIB), -1);  /* not backed yet */
    assert_int_equal(ptable_map_sink(&pt, VA_LIMIT), -1); /* beyond the tables */
    assert_int_equal(ptable_map_sink(&pt, ~0ull), -1);
    assert_int_equal(ptable_map_void(&pt, VA_LIMIT - 1), 0);
    assert_int_equal(ptable_map_sink(&pt, VA_LIMIT - 1), 0);
    expect_sink(VA_LIMIT - 1);
    assert_int_equal(heap.used, used);
    expect_void_tables_intact();
}

/* A write into the void: the sink takes that page (refilled with all-ones)
 * until ptable_release_sink puts the void back (hv/arch/x86/exits.c does
 * once the writing instruction is done). The shared void tables are never
 * touched and nothing is allocated. */
static void sink_over_the_void(void **state)
{
    (void)state;
    void_setup_flags(PT_U); /* read-only, as hv/guest.c sets it up */
    assert_int_equal(ptable_sink_init(&pt, sink_page), 0);
    ptable_release_sink(&pt);                     /* none in place: nothing to do */
    assert_int_equal(ptable_map_void(&pt, 0), 0); /* the PML4 entry: 0..512 GiB */
    assert_int_equal(ptable_map(&pt, 512 * GIB, 0x40000000, PT_2M, PT_W | PT_U), 0);
    assert_int_equal(ptable_map(&pt, 512 * GIB + 8 * MIB, 0x50000000, PAGE_SIZE, PT_W | PT_U), 0);
    assert_int_equal(ptable_map_void(&pt, 512 * GIB + 4 * MIB), 0);             /* a PD entry */
    assert_int_equal(ptable_map_void(&pt, 512 * GIB + 8 * MIB + PAGE_SIZE), 0); /* a PT entry */
    const uint64_t used = heap.used, pages = pt.pages;
    const uint64_t root0 = entry_at(0, 3), pd2 = entry_at(512 * GIB + 4 * MIB, 1);
    const uint64_t pte1 = entry_at(512 * GIB + 8 * MIB + PAGE_SIZE, 0);

    /* a void PML4 entry: private copies of three void tables lead to the sink */
    memset(sink_page, 0x12, sizeof(sink_page));
    assert_int_equal(ptable_map_sink(&pt, 5 * GIB + 0x123), 0);
    expect_sink_all_ones();
    expect_sink(5 * GIB + 0x123);
    expect_void(5 * GIB + PAGE_SIZE);
    expect_void(5 * GIB - 1);
    expect_void(5 * GIB + PT_2M);
    expect_void(6 * GIB);
    expect_void(0);
    expect_void(511 * GIB);
    expect_void(512 * GIB + 4 * MIB);
    expect_void_tables_intact();
    memset(sink_page, 0x33, sizeof(sink_page)); /* the guest's write */
    ptable_release_sink(&pt);
    expect_void(5 * GIB + 0x123);
    assert_int_equal(entry_at(0, 3), root0); /* the entry it replaced, as it was */
    ptable_release_sink(&pt);                /* twice is harmless */
    assert_int_equal(entry_at(0, 3), root0);

    /* a void PD entry inside real tables */
    assert_int_equal(ptable_map_sink(&pt, 512 * GIB + 4 * MIB + 2 * PAGE_SIZE), 0);
    expect_sink_all_ones();
    expect_sink(512 * GIB + 4 * MIB + 2 * PAGE_SIZE);
    expect_void(512 * GIB + 4 * MIB);
    expect_map(512 * GIB + 0x10, 0x40000010, PT_2M);
    ptable_release_sink(&pt);
    assert_int_equal(entry_at(512 * GIB + 4 * MIB, 1), pd2);
    expect_void(512 * GIB + 4 * MIB + 2 * PAGE_SIZE);

    /* a void page table entry: the sink replaces it directly */
    assert_int_equal(ptable_map_sink(&pt, 512 * GIB + 8 * MIB + PAGE_SIZE + 8), 0);
    expect_sink(512 * GIB + 8 * MIB + PAGE_SIZE);
    expect_map(512 * GIB + 8 * MIB, 0x50000000, PAGE_SIZE);
    ptable_release_sink(&pt);
    assert_int_equal(entry_at(512 * GIB + 8 * MIB + PAGE_SIZE, 0), pte1);
    assert_int_equal(ptable_map_sink(&pt, 512 * GIB + 8 * MIB), -1); /* mapped */

    /* many writes anywhere in the void: no memory, the void always back */
    uint64_t x = 0x2545f4914f6cdd1dull;
    for (unsigned i = 0; i < 2000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        uint64_t va = x & (512 * GIB - 1); /* inside the voided PML4 entry */
        assert_int_equal(ptable_map_sink(&pt, va), 0);
        expect_sink(va);
        ptable_release_sink(&pt);
        expect_void(va);
    }
    assert_int_equal(entry_at(0, 3), root0);
    assert_int_equal(heap.used, used);
    assert_int_equal(pt.pages, pages);
    expect_void_tables_intact();

    /* ptable_map releases the sink first */
    assert_int_equal(ptable_map_sink(&pt, 512 * GIB + 8 * MIB + PAGE_SIZE), 0);
    assert_int_equal(ptable_map(&pt, 7 * GIB, 0x60000000, PAGE_SIZE, PT_W | PT_U), 0);
    assert_int_equal(entry_at(512 * GIB + 8 * MIB + PAGE_SIZE, 0), pte1);
    expect_void(512 * GIB + 8 * MIB + PAGE_SIZE);
    expect_map(7 * GIB, 0x60000000, PAGE_SIZE);
    expect_void(7 * GIB + PAGE_SIZE);
    /* and a mapping where the sink was works */
    assert_int_equal(ptable_map_sink(&pt, 9 * GIB), 0);
    assert_int_equal(ptable_map(&pt, 9 * GIB, 0x70000000, PAGE_SIZE, PT_W | PT_U), 0);
    expect_map(9 * GIB, 0x70000000, PAGE_SIZE);
    expect_void(9 * GIB + PAGE_SIZE);
    assert_int_equal(ptable_map_sink(&pt, 9 * GIB), -1);
    expect_void_tables_intact();
}

/* A write across a page boundary into the void needs both pages at once:
 * a second sink while the first is in place; one release puts back both. */
static void sink_two_pages_at_once(void **state)
{
    (void)state;
    void_setup_flags(PT_U);
    assert_int_equal(ptable_sink_init(&pt, sink_page), 0);
    assert_int_equal(ptable_map_void(&pt, 0), 0);
    assert_int_equal(ptable_map(&pt, 512 * GIB, 0x40000000, PT_2M, PT_W | PT_U), 0);
    assert_int_equal(ptable_map_void(&pt, 512 * GIB + 4 * MIB), 0);
    const uint64_t used = heap.used, root0 = entry_at(0, 3);
    const uint64_t pd2 = entry_at(512 * GIB + 4 * MIB, 1);

    /* the two pages of one store, in the same void PML4 entry */
    assert_int_equal(ptable_map_sink(&pt, 5 * GIB - 8), 0);
    assert_int_equal(ptable_map_sink(&pt, 5 * GIB), 0);
    expect_sink(5 * GIB - 8);
    expect_sink(5 * GIB);
    expect_void(5 * GIB - 2 * PAGE_SIZE);
    expect_void(5 * GIB + PAGE_SIZE);
    ptable_release_sink(&pt);
    expect_void(5 * GIB - 8);
    expect_void(5 * GIB);
    assert_int_equal(entry_at(0, 3), root0);

    /* at different levels, in different tables */
    assert_int_equal(ptable_map_sink(&pt, 512 * GIB + 6 * MIB - 4), 0);
    assert_int_equal(ptable_map_sink(&pt, 3 * GIB), 0);
    expect_sink(512 * GIB + 6 * MIB - 4);
    expect_sink(3 * GIB);
    ptable_release_sink(&pt);
    expect_void(512 * GIB + 6 * MIB - 4);
    expect_void(3 * GIB);
    assert_int_equal(entry_at(512 * GIB + 4 * MIB, 1), pd2);
    assert_int_equal(entry_at(0, 3), root0);
    assert_int_equal(heap.used, used);
    expect_void_tables_intact();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(guest_map, setup, teardown),
        cmocka_unit_test_setup_teardown(mixed_alignment_uses_small_pages_at_the_edges, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(heap_exhaustion_fails_cleanly, setup, teardown),
        cmocka_unit_test_setup_teardown(void_init_builds_the_chain, setup, teardown),
        cmocka_unit_test_setup_teardown(map_void_at_highest_missing_level, setup, teardown),
        cmocka_unit_test_setup_teardown(map_void_allocates_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(map_void_refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(map_over_the_void, setup, teardown),
        cmocka_unit_test_setup_teardown(unmap_back_to_the_void, setup, teardown),
        cmocka_unit_test_setup_teardown(sink_refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(sink_over_the_void, setup, teardown),
        cmocka_unit_test_setup_teardown(sink_two_pages_at_once, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
