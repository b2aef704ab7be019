/* The guest-physical map: fixed low structures, kernel and initrd placement,
 * and the e820 table built from it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "vm/e820.h"
#include "vm/layout.h"

#define MiB (1ull << 20)
#define GiB (1ull << 30)

/* The Debian 6.1 cloud kernel's numbers (see test_vm_bzimage). */
static struct bzimage debian(void)
{
    return (struct bzimage){.version = 0x020F,
                            .kernel_alignment = 0x200000,
                            .pref_address = 0x1000000,
                            .init_size = 0x3378000,
                            .cmdline_size = 2047,
                            .initrd_addr_max = 0x7FFFFFFF};
}

static void expect_error(const char *why, const char *needle)
{
    if (!why || !strstr(why, needle))
        fail_msg("reason '%s' lacks '%s'", why ? why : "(null)", needle);
}

struct range {
    const char *name;
    uint64_t start, end;
};

static void fixed_regions_disjoint(void **state)
{
    (void)state;
    const struct range r[] = {
        {"BDA", LAYOUT_BDA, LAYOUT_BDA + PAGE_SIZE},
        {"GDT", LAYOUT_GDT, LAYOUT_GDT + PAGE_SIZE},
        {"stack", LAYOUT_STACK_BASE, LAYOUT_STACK_TOP},
        {"boot_params", LAYOUT_BOOT_PARAMS, LAYOUT_BOOT_PARAMS + PAGE_SIZE},
        {"cmdline", LAYOUT_CMDLINE, LAYOUT_CMDLINE + LAYOUT_CMDLINE_MAX},
        {"PML4", LAYOUT_PML4, LAYOUT_PML4 + PAGE_SIZE},
        {"PDPT", LAYOUT_PDPT, LAYOUT_PDPT + PAGE_SIZE},
        {"PD", LAYOUT_PD, LAYOUT_PD + LAYOUT_PD_MAX * PAGE_SIZE},
        {"ACPI", LAYOUT_ACPI_BASE, LAYOUT_ACPI_BASE + LAYOUT_ACPI_SIZE},
        {"EFI", LAYOUT_EFI_BASE, LAYOUT_EFI_BASE + LAYOUT_EFI_SIZE},
        {"EBDA+hole", LAYOUT_EBDA, LAYOUT_HIGH_RAM},
    };
    size_t n = sizeof(r) / sizeof(r[0]);
    for (size_t i = 0; i < n; i++) {
        assert_true(r[i].start < r[i].end);
        assert_true(r[i].end <= LAYOUT_HIGH_RAM);
        if (r[i].start != LAYOUT_EBDA)
            assert_int_equal(r[i].start % PAGE_SIZE, 0);
        for (size_t j = i + 1; j < n; j++)
            if (r[i].start < r[j].end && r[j].start < r[i].end)
                fail_msg("%s overlaps %s", r[i].name, r[j].name);
    }
    /* The kernel decompressor puts its trampoline just below 0x9F000 (it saves
     * and restores the bytes); the page tables must not be there. */
    assert_true(LAYOUT_PD + LAYOUT_PD_MAX * PAGE_SIZE <= 0x9D000);
    assert_true(LAYOUT_MMIO32_BASE == 0xFEC00000 && LAYOUT_LAPIC == 0xFEE00000);
}

static void debian_in_512m(void **state)
{
    (void)state;
    struct bzimage k = debian();
    struct guest_layout l;
    const char *why = NULL;
    uint64_t initrd = 1136039;
    assert_int_equal(layout_plan(512 * MiB, &k, initrd, &l, &why), 0);
    assert_int_equal(l.kernel, 0x1000000);
    assert_int_equal(l.kernel_end, 0x1000000 + 0x3378000);
    assert_int_equal(l.low_ram_end, 512 * MiB);
    assert_int_equal(l.map_size, 512 * MiB);
    assert_int_equal(l.pd_pages, 1);
    /* Initrd at the top of RAM, page aligned, clear of the kernel. */
    assert_int_equal(l.initrd % PAGE_SIZE, 0);
    assert_int_equal(l.initrd_size, initrd);
    assert_true(l.initrd + initrd <= 512 * MiB);
    assert_true(512 * MiB - (l.initrd + initrd) < PAGE_SIZE);
    assert_true(l.initrd >= l.kernel_end);
}

static void no_initrd(void **state)
{
    (void)state;
    struct bzimage k = debian();
    struct guest_layout l;
    const char *why;
    assert_int_equal(layout_plan(128 * MiB, &k, 0, &l, &why), 0);
    assert_int_equal(l.initrd, 0);
    assert_int_equal(l.initrd_size, 0);
}

static void ram_too_small_for_kernel(void **state)
{
    (void)state;
    struct bzimage k = debian(); /* needs 16 MiB + 51.5 MiB */
    struct guest_layout l;
    const char *why = NULL;
    assert_int_equal(layout_plan(64 * MiB, &k, 0, &l, &why), -1);
    expect_error(why, "too small for the kernel");
    assert_int_equal(layout_plan(68 * MiB, &k, 0, &l, &why), 0);
    assert_int_equal(l.kernel_end, 0x4378000);
}

static void ram_size_limits(void **state)
{
    (void)state;
    struct bzimage k = debian();
    struct guest_layout l;
    const char *why = NULL;
    assert_int_equal(layout_plan(64 * MiB - PAGE_SIZE, &k, 0, &l, &why), -1);
    expect_error(why, "smaller than 64 MiB");
    assert_int_equal(layout_plan(64 * GiB + 2 * MiB, &k, 0, &l, &why), -1);
    expect_error(why, "larger than 64 GiB");
    assert_int_equal(layout_plan(128 * MiB + 512, &k, 0, &l, &why), -1);
    expect_error(why, "multiple of 4 KiB");
}

static void initrd_below_kernel_when_top_is_full(void **state)
{
    (void)state;
    struct bzimage k = debian();
    k.init_size = 100 * MiB; /* kernel 16..116 MiB of 128 MiB */
    struct guest_layout l;
    const char *why;
    assert_int_equal(layout_plan(128 * MiB, &k, 12 * MiB + 1, &l, &why), 0);
    assert_true(l.initrd + l.initrd_size <= l.kernel);
    assert_true(l.initrd >= LAYOUT_HIGH_RAM);
    assert_int_equal(l.initrd % PAGE_SIZE, 0);
    /* Neither above (12 MiB free) nor below (15 MiB free) holds 16 MiB. */
    const char *why2 = NULL;
    assert_int_equal(layout_plan(128 * MiB, &k, 16 * MiB, &l, &why2), -1);
    expect_error(why2, "initrd does not fit");
}

static void initrd_respects_addr_max(void **state)
{
    (void)state;
    struct bzimage k = debian();
    k.initrd_addr_max = 0x5FFFFFF; /* 96 MiB - 1 */
    struct guest_layout l;
    const char *why;
    assert_int_equal(layout_plan(512 * MiB, &k, 10 * MiB, &l, &why), 0);
    assert_true(l.initrd + l.initrd_size <= 0x6000000);
    assert_true(l.initrd >= l.kernel_end);
}

static void kernel_placement_rules(void **state)
{
    (void)state;
    struct bzimage k = debian();
    struct guest_layout l;
    const char *why;
    k.pref_address = 0x1234567; /* misaligned: runs from the next 2 MiB boundary */
    assert_int_equal(layout_plan(256 * MiB, &k, 0, &l, &why), 0);
    assert_int_equal(l.kernel, 0x1400000);
    k.pref_address = 0x8000; /* below 1 MiB: never on top of the boot structures */
    assert_int_equal(layout_plan(256 * MiB, &k, 0, &l, &why), 0);
    assert_int_equal(l.kernel, 0x200000);
    k.kernel_alignment = 0x1000;
    assert_int_equal(layout_plan(256 * MiB, &k, 0, &l, &why), 0);
    assert_int_equal(l.kernel, LAYOUT_HIGH_RAM);
}

static void big_guest_skips_mmio_hole(void **state)
{
    (void)state;
    struct bzimage k = debian();
    struct guest_layout l;
    const char *why;
    assert_int_equal(layout_plan(8 * GiB, &k, 64 * MiB, &l, &why), 0);
    assert_int_equal(l.low_ram_end, LAYOUT_MMIO32_BASE);
    assert_int_equal(l.pd_pages, 8);
    assert_int_equal(l.map_size, 8 * GiB);
    assert_true(l.initrd + l.initrd_size <= 0x80000000ull); /* initrd_addr_max */
}

static void expect_e820(const struct boot_e820_entry *e, uint64_t addr, uint64_t size,
                        uint32_t type)
{
    assert_int_equal(e->addr, addr);
    assert_int_equal(e->size, size);
    assert_int_equal(e->type, type);
}

static void e820_512m(void **state)
{
    (void)state;
    struct boot_e820_entry t[128];
    unsigned n = 0;
    const char *why;
    assert_int_equal(e820_build(512 * MiB, t, 128, &n, &why), 0);
    assert_int_equal(n, 5);
    expect_e820(&t[0], 0, 0x80000, E820_RAM);
    expect_e820(&t[1], 0x80000, 0x10000, E820_ACPI);
    expect_e820(&t[2], 0x90000, 0x9FC00 - 0x90000, E820_RAM);
    expect_e820(&t[3], 0x9FC00, 0x100000 - 0x9FC00, E820_RESERVED); /* EBDA + hole, merged */
    expect_e820(&t[4], 0x100000, 512 * MiB - 0x100000, E820_RAM);
}

static void e820_above_4g(void **state)
{
    (void)state;
    struct boot_e820_entry t[128];
    unsigned n = 0;
    const char *why;
    assert_int_equal(e820_build(6 * GiB, t, 128, &n, &why), 0);
    assert_int_equal(n, 6);
    expect_e820(&t[4], 0x100000, LAYOUT_MMIO32_BASE - 0x100000, E820_RAM);
    expect_e820(&t[5], 4 * GiB, 2 * GiB, E820_RAM);
    /* Exactly 4 GiB: the bytes under the MMIO hole are simply not RAM. */
    assert_int_equal(e820_build(4 * GiB, t, 128, &n, &why), 0);
    assert_int_equal(n, 5);
    expect_e820(&t[4], 0x100000, LAYOUT_MMIO32_BASE - 0x100000, E820_RAM);
}

/* Sorted, disjoint, and never RAM over the ACPI tables, low holes or MMIO. */
static void e820_invariants(void **state)
{
    (void)state;
    const uint64_t sizes[] = {64 * MiB,           100 * MiB,      3 * GiB,
                              LAYOUT_MMIO32_BASE, 4 * GiB + 4096, 64 * GiB};
    for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
        struct boot_e820_entry t[128];
        unsigned n = 0;
        const char *why;
        assert_int_equal(e820_build(sizes[s], t, 128, &n, &why), 0);
        uint64_t ram = 0;
        for (unsigned i = 0; i < n; i++) {
            assert_true(t[i].size > 0);
            if (i)
                assert_true(t[i - 1].addr + t[i - 1].size <= t[i].addr);
            if (t[i].type != E820_RAM)
                continue;
            assert_true(t[i].addr + t[i].size <= sizes[s]);
            ram += t[i].size;
            uint64_t a = t[i].addr, e = a + t[i].size;
            assert_false(a < LAYOUT_ACPI_BASE + LAYOUT_ACPI_SIZE && LAYOUT_ACPI_BASE < e);
            assert_false(a < LAYOUT_HIGH_RAM && LAYOUT_EBDA < e);
            assert_false(a < 4 * GiB && LAYOUT_MMIO32_BASE < e);
        }
        uint64_t hidden = sizes[s] > LAYOUT_MMIO32_BASE
                              ? (sizes[s] < 4 * GiB ? sizes[s] : 4 * GiB) - LAYOUT_MMIO32_BASE
                              : 0;
        assert_int_equal(ram,
                         sizes[s] - LAYOUT_ACPI_SIZE - (LAYOUT_HIGH_RAM - LAYOUT_EBDA) - hidden);
    }
}

static void e820_errors(void **state)
{
    (void)state;
    struct boot_e820_entry t[4];
    unsigned n = 0;
    const char *why = NULL;
    assert_int_equal(e820_build(512 * MiB, t, 4, &n, &why), -1);
    expect_error(why, "too small");
    assert_int_equal(e820_build(32 * MiB, t, 4, &n, &why), -1);
    expect_error(why, "outside");
    assert_string_equal(e820_type_name(E820_RAM), "RAM");
    assert_string_equal(e820_type_name(E820_ACPI), "ACPI");
    assert_string_equal(e820_type_name(E820_RESERVED), "reserved");
    assert_string_equal(e820_type_name(99), "unknown");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fixed_regions_disjoint),
        cmocka_unit_test(debian_in_512m),
        cmocka_unit_test(no_initrd),
        cmocka_unit_test(ram_too_small_for_kernel),
        cmocka_unit_test(ram_size_limits),
        cmocka_unit_test(initrd_below_kernel_when_top_is_full),
        cmocka_unit_test(initrd_respects_addr_max),
        cmocka_unit_test(kernel_placement_rules),
        cmocka_unit_test(big_guest_skips_mmio_hole),
        cmocka_unit_test(e820_512m),
        cmocka_unit_test(e820_above_4g),
        cmocka_unit_test(e820_invariants),
        cmocka_unit_test(e820_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
