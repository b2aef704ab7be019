/* Guest page walks over a fake guest RAM whose page tables each test
 * writes: every paging mode, large pages, and hostile tables (not present,
 * reserved bits, tables outside RAM, tables that point at themselves). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "vm/gva.h"

#define RAM (64 * 4096u)
#define P   1ull
#define W   2ull
#define PS  0x80ull
#define NX  (1ull << 63)

static struct guest_mem gm;

static const struct gva_mode long4 = {GVA_CR0_PG | 1, 0x1000, GVA_CR4_PAE, GVA_EFER_LMA};

static int setup(void **state)
{
    (void)state;
    gm.host = aligned_alloc(4096, RAM);
    gm.size = RAM;
    memset(gm.host, 0, RAM);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    free(gm.host);
    return 0;
}

static void put64(uint64_t gpa, uint64_t v)
{
    memcpy(gm.host + gpa, &v, 8);
}

static void put32(uint64_t gpa, uint32_t v)
{
    memcpy(gm.host + gpa, &v, 4);
}

static uint64_t ix(uint64_t va, unsigned level)
{
    return (va >> (12 + 9 * level)) & 511;
}

/* A 4-level path for va: PML4 0x1000, PDPT 0x2000, PD 0x3000, PT 0x4000. */
static void path4(uint64_t va, uint64_t leaf)
{
    put64(0x1000 + ix(va, 3) * 8, 0x2000 | P | W);
    put64(0x2000 + ix(va, 2) * 8, 0x3000 | P | W);
    put64(0x3000 + ix(va, 1) * 8, 0x4000 | P | W);
    put64(0x4000 + ix(va, 0) * 8, leaf);
}

static void expect_gpa(const struct gva_mode *m, uint64_t va, uint64_t want)
{
    uint64_t gpa = 0;
    const char *why = NULL;
    if (gva_translate(&gm, m, va, &gpa, &why))
        fail_msg("0x%llx: %s", (unsigned long long)va, why);
    assert_int_equal(gpa, want);
}

static void expect_fail(const struct gva_mode *m, uint64_t va, const char *want)
{
    uint64_t gpa = 0;
    const char *why = NULL;
    assert_int_equal(gva_translate(&gm, m, va, &gpa, &why), -1);
    assert_string_equal(why, want);
}

static void long_mode_4k(void **state)
{
    (void)state;
    const uint64_t va = 0xffff888000123456ull;
    path4(va, 0x5000 | P);
    expect_gpa(&long4, va, 0x5456);
    expect_gpa(&long4, va + 0xba9, 0x5fff);
    expect_fail(&long4, va + 0x1000, "a page not present"); /* the next PTE is 0 */
}

static void not_present_at_every_level(void **state)
{
    (void)state;
    const uint64_t va = 0x7f0012345000ull;
    for (unsigned level = 0; level < 4; level++) {
        path4(va, 0x5000 | P);
        expect_gpa(&long4, va, 0x5000);
        uint64_t table = level == 3 ? 0x1000 : level == 2 ? 0x2000 : level == 1 ? 0x3000 : 0x4000;
        put64(table + ix(va, level) * 8, 0x9000); /* an address, but not present */
        expect_fail(&long4, va, "a page not present");
    }
}

static void large_pages(void **state)
{
    (void)state;
    const uint64_t va = 0xffffffff81234567ull;
    put64(0x1000 + ix(va, 3) * 8, 0x2000 | P);
    put64(0x2000 + ix(va, 2) * 8, 0x3000 | P);
    put64(0x3000 + ix(va, 1) * 8, 0x1200000 | PS | P); /* 2 MiB */
    expect_gpa(&long4, va, 0x1200000 | (va & 0x1fffff));
    put64(0x3000 + ix(va, 1) * 8, 0x1200000 | 1ull << 13 | PS | P);     /* PAT bit 12 is fine... */
    expect_fail(&long4, va, "reserved bits in a large page's address"); /* ...bit 13 is not */
    put64(0x3000 + ix(va, 1) * 8, 0x1200000 | 1ull << 12 | PS | P);
    expect_gpa(&long4, va, 0x1200000 | (va & 0x1fffff));
    put64(0x2000 + ix(va, 2) * 8, 0x40000000 | PS | P); /* 1 GiB */
    expect_gpa(&long4, va, 0x40000000 | (va & 0x3fffffff));
    put64(0x2000 + ix(va, 2) * 8, 0x40000000 | 1ull << 29 | PS | P);
    expect_fail(&long4, va, "reserved bits in a large page's address");
    put64(0x1000 + ix(va, 3) * 8, 0x2000 | PS | P);
    expect_fail(&long4, va, "a large page above a page directory pointer table");
}

static void reserved_bits(void **state)
{
    (void)state;
    const uint64_t va = 0x400000;
    path4(va, 0x5000 | NX | P);
    expect_fail(&long4, va, "reserved bits in a page table entry"); /* NX without EFER.NXE */
    struct gva_mode nxe = long4;
    nxe.efer |= GVA_EFER_NXE;
    expect_gpa(&nxe, va, 0x5000);
    path4(va, 0x5000 | 1ull << 51 | P); /* above the guest's 48 physical bits */
    expect_fail(&nxe, va, "reserved bits in a page table entry");
    path4(va, 0x5000 | 0x7ffull << 52 | P); /* 62:52 are the OS's */
    expect_gpa(&nxe, va, 0x5000);
    put64(0x2000 + ix(va, 2) * 8, 0x3000 | 1ull << 50 | P);
    expect_fail(&nxe, va, "reserved bits in a page table entry");
    struct gva_mode bad_cr3 = long4;
    bad_cr3.cr3 |= 1ull << 52;
    expect_fail(&bad_cr3, va, "reserved bits in CR3");
}

static void tables_outside_ram(void **state)
{
    (void)state;
    const uint64_t va = 0x400000;
    path4(va, 0x5000 | P);
    put64(0x3000 + ix(va, 1) * 8, RAM | P); /* the PT just past RAM */
    expect_fail(&long4, va, "a page table outside guest RAM");
    put64(0x3000 + ix(va, 1) * 8, 0xfffffffff000ull | P);
    expect_fail(&long4, va, "a page table outside guest RAM");
    struct gva_mode far = long4;
    far.cr3 = 0x80000000;
    expect_fail(&far, va, "a page table outside guest RAM");
    /* a leaf outside RAM translates (that is MMIO), but holds no code */
    path4(va, 0xfe000000 | P);
    expect_gpa(&long4, va, 0xfe000000);
    uint8_t buf[4];
    const char *why = NULL;
    assert_int_equal(gva_read(&gm, &long4, va, buf, sizeof(buf), &why), 0);
    assert_string_equal(why, "code outside guest RAM");
}

/* A table pointing at itself (Windows' and others' self-map) or two
 * pointing at each other: the walk is four reads whatever the entries say. */
static void self_referencing_tables(void **state)
{
    (void)state;
    const uint64_t self = 0x1ffull << 39 | 0x1ffull << 30 | 0x1ffull << 21 | 0x1ffull << 12;
    const uint64_t va = 0xffff000000000000ull | self | 0x18;
    put64(0x1000 + 511 * 8, 0x1000 | P | W);
    expect_gpa(&long4, va, 0x1018); /* the PML4 itself, read as a page */
    /* PML4 -> PDPT -> PML4 -> PDPT: the leaf is the PDPT's entry */
    const uint64_t ping = 0x000000000000ull | 1ull << 30 | 0ull << 21 | 1ull << 12 | 0x20;
    put64(0x1000, 0x2000 | P);
    put64(0x2000 + 8, 0x1000 | P);
    expect_gpa(&long4, ping, 0x1020);
}

static void non_canonical(void **state)
{
    (void)state;
    expect_fail(&long4, 0x0000800000000000ull, "a non-canonical address");
    expect_fail(&long4, 0xfffe800000000000ull - 1, "a non-canonical address");
    struct gva_mode la57 = long4;
    la57.cr4 |= GVA_CR4_LA57;
    expect_fail(&la57, 0x0100000000000000ull, "a non-canonical address");
}

static void five_levels(void **state)
{
    (void)state;
    struct gva_mode la57 = long4;
    la57.cr4 |= GVA_CR4_LA57;
    la57.cr3 = 0x6000;
    const uint64_t va = 0x00ab000000401234ull; /* canonical only with 57 bits */
    put64(0x6000 + ((va >> 48) & 511) * 8, 0x1000 | P);
    path4(va, 0x5000 | P);
    expect_gpa(&la57, va, 0x5234);
    expect_fail(&long4, va, "a non-canonical address");
    put64(0x6000 + ((va >> 48) & 511) * 8, 0x1000 | PS | P);
    expect_fail(&la57, va, "a large page above a page directory pointer table");
}

static void legacy_32bit(void **state)
{
    (void)state;
    struct gva_mode m = {GVA_CR0_PG | 1, 0x1000, 0, 0};
    const uint32_t va = 0xc0123456;
    put32(0x1000 + (va >> 22) * 4, 0x2000 | P);
    put32(0x2000 + ((va >> 12) & 1023) * 4, 0x5000 | P);
    expect_gpa(&m, va, 0x5456);
    expect_gpa(&m, 0xffffffff00000000ull | va, 0x5456); /* 32-bit addresses */
    put32(0x2000 + ((va >> 12) & 1023) * 4, 0x5000);
    expect_fail(&m, va, "a page not present");
    /* 4 MiB pages with CR4.PSE, PSE-36's high bits in 20:13 */
    put32(0x1000 + (va >> 22) * 4, 0xfec00000 | 0x3u << 13 | PS | P);
    m.cr4 = GVA_CR4_PSE;
    expect_gpa(&m, va, 0x3fec00000ull | (va & 0x3fffff));
    put32(0x1000 + (va >> 22) * 4, 0xfec00000 | 1u << 21 | PS | P);
    expect_fail(&m, va, "reserved bits in a page table entry");
    /* without CR4.PSE the PS bit means nothing: a page table at 0x2000 */
    put32(0x1000 + (va >> 22) * 4, 0x2000 | PS | P);
    put32(0x2000 + ((va >> 12) & 1023) * 4, 0x7000 | P);
    m.cr4 = 0;
    expect_gpa(&m, va, 0x7456);
}

static void pae(void **state)
{
    (void)state;
    struct gva_mode m = {GVA_CR0_PG | 1, 0x1020, GVA_CR4_PAE, 0}; /* PDPT 32-byte aligned */
    const uint32_t va = 0xc0654321;
    put64(0x1020 + (va >> 30) * 8, 0x3000 | P);
    put64(0x3000 + ix(va, 1) * 8, 0x4000 | P);
    put64(0x4000 + ix(va, 0) * 8, 0x5000 | P);
    expect_gpa(&m, va, 0x5321);
    put64(0x3000 + ix(va, 1) * 8, 0x200000 | PS | P);
    expect_gpa(&m, va, 0x200000 | (va & 0x1fffff));
    put64(0x1020 + (va >> 30) * 8, 0x3000 | W | P); /* bits 2:1 of a PDPTE are reserved */
    expect_fail(&m, va, "reserved bits in a page table entry");
    put64(0x1020 + (va >> 30) * 8, 0x3000);
    expect_fail(&m, va, "a page not present");
}

static void paging_off(void **state)
{
    (void)state;
    struct gva_mode m = {1, 0x123000, 0, 0}; /* CR3 means nothing */
    expect_gpa(&m, 0x1234, 0x1234);
    expect_gpa(&m, 0x100001234ull, 0x1234);
}

/* An instruction across a page boundary: two pages, two frames. */
static void read_across_pages(void **state)
{
    (void)state;
    const uint64_t va = 0x400000;
    path4(va, 0x9000 | P);
    path4(va + 0x1000, 0x7000 | P);
    for (unsigned i = 0; i < 8; i++) {
        gm.host[0x9ff8 + i] = (uint8_t)(0xa0 + i);
        gm.host[0x7000 + i] = (uint8_t)(0xb0 + i);
    }
    uint8_t buf[15];
    const char *why = NULL;
    assert_int_equal(gva_read(&gm, &long4, va + 0xffb, buf, sizeof(buf), &why), 15);
    for (unsigned i = 0; i < 5; i++)
        assert_int_equal(buf[i], 0xa3 + i);
    for (unsigned i = 5; i < 15; i++)
        assert_int_equal(buf[i], i - 5 < 8 ? 0xb0 + (i - 5) : 0);
    /* the second page gone: what the first had */
    put64(0x4000 + ix(va + 0x1000, 0) * 8, 0);
    assert_int_equal(gva_read(&gm, &long4, va + 0xffb, buf, sizeof(buf), &why), 5);
    assert_string_equal(why, "a page not present");
    /* the first gone: nothing */
    put64(0x4000 + ix(va, 0) * 8, 0);
    assert_int_equal(gva_read(&gm, &long4, va + 0xffb, buf, sizeof(buf), &why), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(long_mode_4k, setup, teardown),
        cmocka_unit_test_setup_teardown(not_present_at_every_level, setup, teardown),
        cmocka_unit_test_setup_teardown(large_pages, setup, teardown),
        cmocka_unit_test_setup_teardown(reserved_bits, setup, teardown),
        cmocka_unit_test_setup_teardown(tables_outside_ram, setup, teardown),
        cmocka_unit_test_setup_teardown(self_referencing_tables, setup, teardown),
        cmocka_unit_test_setup_teardown(non_canonical, setup, teardown),
        cmocka_unit_test_setup_teardown(five_levels, setup, teardown),
        cmocka_unit_test_setup_teardown(legacy_32bit, setup, teardown),
        cmocka_unit_test_setup_teardown(pae, setup, teardown),
        cmocka_unit_test_setup_teardown(paging_off, setup, teardown),
        cmocka_unit_test_setup_teardown(read_across_pages, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
