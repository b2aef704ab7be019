/* The EFI handoff (vm/efi.c): what Linux 6.1 checks of it (efi_info, the
 * system table header, the memory map against e820) and the runtime stubs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "lib/crc32.h"
#include "vm/e820.h"
#include "vm/efi.h"
#include "vm/layout.h"

#define MiB (1ull << 20)
#define GiB (1ull << 30)

static uint8_t region[EFI_REGION_SIZE];

struct built {
    struct boot_e820_entry e820[BP_E820_MAX];
    unsigned n;
    struct efi_info info;
};

static void build(uint64_t ram, struct built *b)
{
    const char *why = NULL;
    if (e820_build_efi(ram, true, b->e820, BP_E820_MAX, &b->n, &why))
        fail_msg("e820_build_efi: %s", why);
    memset(region, 0x5A, sizeof(region));
    if (efi_build(region, LAYOUT_EFI_BASE, b->e820, b->n, 7, &b->info, &why))
        fail_msg("efi_build: %s", why);
}

static const void *at(uint64_t gpa, uint64_t len)
{
    assert_true(gpa >= LAYOUT_EFI_BASE && gpa + len <= LAYOUT_EFI_BASE + EFI_REGION_SIZE);
    return region + (gpa - LAYOUT_EFI_BASE);
}

static const struct efi_memory_desc *desc(const struct built *b, unsigned i)
{
    return at(b->info.efi_memmap + (uint64_t)i * b->info.efi_memdesc_size,
              sizeof(struct efi_memory_desc));
}

/* The header CRC as UEFI defines it: CRC-32 over headersize bytes with the
 * crc32 field zero. */
static uint32_t header_crc(const void *table)
{
    uint8_t copy[256];
    const struct efi_table_hdr *h = table;
    assert_true(h->headersize <= sizeof(copy));
    memcpy(copy, table, h->headersize);
    ((struct efi_table_hdr *)copy)->crc32 = 0;
    return crc32(copy, h->headersize);
}

static void efi_info_fields(void **state)
{
    (void)state;
    struct built b;
    build(512 * MiB, &b);
    assert_memory_equal(&b.info.efi_loader_signature, "EL64", 4);
    assert_int_equal(b.info.efi_systab, LAYOUT_EFI_BASE + EFI_SYSTAB_OFF);
    assert_int_equal(b.info.efi_systab_hi, 0);
    assert_int_equal(b.info.efi_memmap, LAYOUT_EFI_BASE + EFI_MEMMAP_OFF);
    assert_int_equal(b.info.efi_memmap_hi, 0);
    /* efi_memblock_x86_reserve_range: desc_size >= sizeof(efi_memory_desc_t),
     * version 1 (else WARN), nr_map = size / desc_size */
    assert_int_equal(b.info.efi_memdesc_size, 48);
    assert_true(b.info.efi_memdesc_size >= sizeof(struct efi_memory_desc));
    assert_int_equal(b.info.efi_memdesc_version, 1);
    assert_int_equal(b.info.efi_memmap_size % b.info.efi_memdesc_size, 0);
    assert_true(b.info.efi_memmap_size > 0);
}

static void system_table(void **state)
{
    (void)state;
    struct built b;
    build(512 * MiB, &b);
    const struct efi_system_table *st = at(b.info.efi_systab, sizeof(*st));
    /* efi_systab_check_header: the signature; efi_systab_report_header: the
     * major revision >= 1, "EFI v2.70 by vmbhv" */
    assert_int_equal(st->hdr.signature, 0x5453595320494249ull);
    assert_memory_equal(&st->hdr.signature, "IBI SYST", 8);
    assert_int_equal(st->hdr.revision, 0x00020046);
    assert_int_equal(st->hdr.headersize, 120);
    assert_int_equal(st->hdr.crc32, header_crc(st));
    assert_int_equal(st->fw_revision, 7);
    const uint16_t *v = at(st->fw_vendor, 12);
    const uint16_t want[] = {'v', 'm', 'b', 'h', 'v', 0};
    assert_memory_equal(v, want, sizeof(want));
    /* Linux maps 100 UTF-16 units of the vendor string: inside the region */
    at(st->fw_vendor, 200);
    assert_int_equal(st->boottime, 0);
    assert_int_equal(st->nr_tables, 0);
    assert_int_equal(st->con_in | st->con_out | st->stderr_out, 0);
}

/* The 14 runtime services: each a stub in the code page that returns
 * EFI_UNSUPPORTED in rax and nothing else (movabs rax, imm64; ret). */
static void runtime_stubs(void **state)
{
    (void)state;
    struct built b;
    build(512 * MiB, &b);
    const struct efi_system_table *st = at(b.info.efi_systab, sizeof(*st));
    const struct efi_runtime_services *rt = at(st->runtime, sizeof(*rt));
    assert_memory_equal(&rt->hdr.signature, "RUNTSERV", 8);
    assert_int_equal(rt->hdr.headersize, 136);
    assert_int_equal(rt->hdr.crc32, header_crc(rt));
    for (unsigned i = 0; i < EFI_RT_SERVICES; i++) {
        assert_true(rt->fn[i] >= LAYOUT_EFI_BASE && rt->fn[i] < LAYOUT_EFI_BASE + EFI_DATA_OFF);
        const uint8_t *c = at(rt->fn[i], 11);
        assert_int_equal(c[0], 0x48); /* REX.W */
        assert_int_equal(c[1], 0xB8); /* mov rax, imm64 */
        uint64_t imm;
        memcpy(&imm, c + 2, 8);
        assert_int_equal(imm, EFI_UNSUPPORTED);
        assert_int_equal(c[10], 0xC3); /* ret */
        for (unsigned j = 0; j < i; j++)
            assert_int_not_equal(rt->fn[i], rt->fn[j]);
    }
    /* SetVirtualAddressMap (entry 4) included: the guest gets an answer */
    assert_int_equal(rt->fn[4], LAYOUT_EFI_BASE + 4 * EFI_STUB_STRIDE);
}

/* The map against e820: ascending, disjoint, whole pages; conventional memory
 * exactly the page-aligned e820 RAM; the handoff region runtime code and data
 * with EFI_MEMORY_RUNTIME; nothing but RAM called conventional. */
static void check_map(uint64_t ram)
{
    struct built b;
    build(ram, &b);
    unsigned nd = b.info.efi_memmap_size / b.info.efi_memdesc_size;
    uint64_t prev_end = 0;
    uint64_t conv = 0, ram_pages = 0;
    bool code = false, data = false;
    for (unsigned i = 0; i < nd; i++) {
        const struct efi_memory_desc *d = desc(&b, i);
        uint64_t s = d->phys_addr, e = s + d->num_pages * PAGE_SIZE;
        assert_true(d->num_pages > 0);
        assert_int_equal(s % PAGE_SIZE, 0);
        assert_true(s >= prev_end);
        assert_int_equal(d->virt_addr, 0);
        assert_true(d->attribute & EFI_MEMORY_WB);
        prev_end = e;
        bool in_region = s < LAYOUT_EFI_BASE + LAYOUT_EFI_SIZE && e > LAYOUT_EFI_BASE;
        if (in_region) {
            assert_true(d->attribute & EFI_MEMORY_RUNTIME);
            if (d->type == EFI_RUNTIME_SERVICES_CODE) {
                assert_int_equal(s, LAYOUT_EFI_BASE);
                assert_int_equal(d->num_pages, 1);
                code = true;
            } else {
                assert_int_equal(d->type, EFI_RUNTIME_SERVICES_DATA);
                assert_int_equal(s, LAYOUT_EFI_BASE + EFI_DATA_OFF);
                assert_int_equal(d->num_pages, 1);
                data = true;
            }
        } else {
            assert_false(d->attribute & EFI_MEMORY_RUNTIME);
        }
        /* every page takes its type from the e820 entries covering it */
        for (uint64_t p = s; p < e; p += PAGE_SIZE) {
            bool is_ram = false, any = false;
            for (unsigned k = 0; k < b.n; k++) {
                uint64_t a = b.e820[k].addr, z = a + b.e820[k].size;
                if (a < p + PAGE_SIZE && z > p) {
                    any = true;
                    if (b.e820[k].type == E820_RAM && a <= p && z >= p + PAGE_SIZE)
                        is_ram = true;
                    if (!in_region && b.e820[k].type != E820_RAM)
                        assert_int_equal(d->type, efi_type_of_e820(b.e820[k].type));
                }
            }
            assert_true(any);
            if (d->type == EFI_CONVENTIONAL_MEMORY) {
                assert_true(is_ram);
                conv++;
            }
            if (d->type == EFI_CONVENTIONAL_MEMORY || is_ram)
                assert_int_equal(d->type, EFI_CONVENTIONAL_MEMORY);
            if (p == 0xA0000) /* vgacon stays: 0xA0000 is not conventional */
                assert_int_not_equal(d->type, EFI_CONVENTIONAL_MEMORY);
        }
        if (d->type == EFI_ACPI_RECLAIM_MEMORY) {
            assert_int_equal(s, LAYOUT_ACPI_BASE);
            assert_int_equal(e, LAYOUT_ACPI_BASE + LAYOUT_ACPI_SIZE);
        }
    }
    assert_true(code && data);
    /* conventional pages = the whole pages e820 calls RAM */
    for (unsigned k = 0; k < b.n; k++)
        if (b.e820[k].type == E820_RAM) {
            uint64_t a = (b.e820[k].addr + PAGE_SIZE - 1) & ~(uint64_t)(PAGE_SIZE - 1);
            uint64_t z = (b.e820[k].addr + b.e820[k].size) & ~(uint64_t)(PAGE_SIZE - 1);
            ram_pages += (z - a) / PAGE_SIZE;
        }
    assert_int_equal(conv, ram_pages);
    /* the map covers all RAM up to its end */
    assert_int_equal(prev_end, b.e820[b.n - 1].addr + b.e820[b.n - 1].size);
}

static void memory_map_matches_e820(void **state)
{
    (void)state;
    const uint64_t sizes[] = {64 * MiB, 512 * MiB, 4 * GiB, 6 * GiB, 64 * GiB};
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
        check_map(sizes[i]);
}

/* e820 with the handoff: the region reserved, the rest as without it. */
static void e820_reserves_region(void **state)
{
    (void)state;
    struct boot_e820_entry with[BP_E820_MAX], without[BP_E820_MAX];
    unsigned nw, nwo;
    const char *why;
    assert_int_equal(e820_build_efi(512 * MiB, true, with, BP_E820_MAX, &nw, &why), 0);
    assert_int_equal(e820_build(512 * MiB, without, BP_E820_MAX, &nwo, &why), 0);
    assert_int_equal(nw, nwo + 1);
    bool found = false;
    for (unsigned i = 0; i < nw; i++)
        if (with[i].addr == LAYOUT_EFI_BASE) {
            assert_int_equal(with[i].size, LAYOUT_EFI_SIZE);
            assert_int_equal(with[i].type, E820_RESERVED);
            found = true;
        }
    assert_true(found);
    /* without a video device the region is ordinary RAM, as before */
    for (unsigned i = 0; i < nwo; i++)
        if (without[i].addr <= LAYOUT_EFI_BASE &&
            without[i].addr + without[i].size > LAYOUT_EFI_BASE)
            assert_int_equal(without[i].type, E820_RAM);
}

static void refuses_unreserved_region(void **state)
{
    (void)state;
    struct boot_e820_entry t[BP_E820_MAX];
    unsigned n;
    const char *why = NULL;
    struct efi_info info;
    assert_int_equal(e820_build(512 * MiB, t, BP_E820_MAX, &n, &why), 0);
    assert_int_equal(efi_build(region, LAYOUT_EFI_BASE, t, n, 1, &info, &why), -1);
    assert_non_null(strstr(why, "reserved"));
    assert_int_equal(e820_build_efi(512 * MiB, true, t, BP_E820_MAX, &n, &why), 0);
    assert_int_equal(efi_build(region, LAYOUT_EFI_BASE + 1, t, n, 1, &info, &why), -1);
    assert_int_equal(efi_build(region, 0x100000000ull, t, n, 1, &info, &why), -1);
}

static void stubs_page_is_trapped_elsewhere(void **state)
{
    (void)state;
    struct built b;
    build(512 * MiB, &b);
    for (unsigned off = EFI_RT_SERVICES * EFI_STUB_STRIDE; off < EFI_DATA_OFF; off++)
        assert_int_equal(region[off], 0xCC);
    for (unsigned i = 0; i < EFI_RT_SERVICES; i++)
        for (unsigned off = 11; off < EFI_STUB_STRIDE; off++)
            assert_int_equal(region[i * EFI_STUB_STRIDE + off], 0xCC);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(efi_info_fields),
        cmocka_unit_test(system_table),
        cmocka_unit_test(runtime_stubs),
        cmocka_unit_test(memory_map_matches_e820),
        cmocka_unit_test(e820_reserves_region),
        cmocka_unit_test(refuses_unreserved_region),
        cmocka_unit_test(stubs_page_is_trapped_elsewhere),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
