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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(guest_map, setup, teardown),
        cmocka_unit_test_setup_teardown(mixed_alignment_uses_small_pages_at_the_edges, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(heap_exhaustion_fails_cleanly, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
