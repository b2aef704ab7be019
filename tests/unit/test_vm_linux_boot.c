/* Direct 64-bit Linux boot: boot_params contents, the identity page tables
 * (walked like the CPU would), the GDT and entry state, refusals, and the real
 * Debian kernel and initrd when the build fetched them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <sys/mman.h>

#include "vm/boot_pt.h"
#include "vm/bootparam.h"
#include "vm/efi.h"
#include "vm/linux_boot.h"

#include "fixture.h"

#define MiB (1ull << 20)
#define GiB (1ull << 30)

#define SETUP_SECTS 2
#define PAYLOAD     (64 * 1024)
#define IMAGE_SIZE  ((SETUP_SECTS + 1) * 512 + PAYLOAD)
#define INITRD_SIZE (3 * 4096 + 5)
#define CMDLINE     "console=ttyS0 earlyprintk=serial rdinit=/init"
#define RSDP        0x80000
#define REAL_KERNEL "build/guest/vmlinuz"
#define REAL_INITRD "build/guest/initrd.cpio.gz"

_Static_assert(offsetof(struct boot_params, acpi_rsdp_addr) == 0x070, "acpi_rsdp_addr");
_Static_assert(offsetof(struct boot_params, e820_entries) == 0x1E8, "e820_entries");
_Static_assert(offsetof(struct boot_params, hdr.cmd_line_ptr) == 0x228, "cmd_line_ptr");
_Static_assert(offsetof(struct boot_params, hdr.ramdisk_image) == 0x218, "ramdisk_image");
_Static_assert(offsetof(struct boot_params, e820_table) == 0x2D0, "e820_table");
_Static_assert(sizeof(struct boot_params) == 4096, "zero page");

static uint8_t kernel[IMAGE_SIZE];
static uint8_t initrd[INITRD_SIZE];

struct guest {
    struct guest_mem gm;
    size_t mapped;
};

/* Guest RAM from mmap: untouched pages cost nothing, even for a 5 GiB guest. */
static struct guest guest_new(uint64_t size)
{
    struct guest g = {.mapped = (size_t)size};
    void *p = mmap(NULL, g.mapped, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    assert_true(p != MAP_FAILED);
    g.gm = (struct guest_mem){.host = p, .size = size};
    return g;
}

static void guest_free(struct guest *g)
{
    munmap(g->gm.host, g->mapped);
}

static void put16(size_t off, uint16_t v)
{
    memcpy(kernel + off, &v, 2);
}

static void put32(size_t off, uint32_t v)
{
    memcpy(kernel + off, &v, 4);
}

static int make_image(void **state)
{
    (void)state;
    memset(kernel, 0, sizeof(kernel));
    kernel[BP_HDR(setup_sects)] = SETUP_SECTS;
    put32(BP_HDR(syssize), PAYLOAD / 16);
    put16(BP_HDR(boot_flag), 0xAA55);
    kernel[BP_HDR(jump)] = 0xEB;
    kernel[BP_HDR(jump) + 1] = 0x6A;
    put32(BP_HDR(header), 0x53726448);
    put16(BP_HDR(version), 0x020F);
    put16(BP_HDR(vid_mode), 0xFFFF);
    kernel[BP_HDR(loadflags)] = BP_LOADED_HIGH | BP_CAN_USE_HEAP | BP_QUIET_FLAG;
    put16(BP_HDR(heap_end_ptr), 0xFE00);
    put32(BP_HDR(code32_start), 0x100000);
    put32(BP_HDR(initrd_addr_max), 0x7FFFFFFF);
    put32(BP_HDR(kernel_alignment), 0x200000);
    kernel[BP_HDR(relocatable_kernel)] = 1;
    put16(BP_HDR(xloadflags), 0x7F);
    put32(BP_HDR(cmdline_size), 2047);
    uint64_t pref = 0x1000000, setup_data = 0xDEADBEEF;
    memcpy(kernel + BP_HDR(pref_address), &pref, 8);
    memcpy(kernel + BP_HDR(setup_data), &setup_data, 8);
    put32(BP_HDR(init_size), 8 * MiB);
    put32(BP_HDR(kernel_info_offset), 0x1234);
    for (size_t i = (SETUP_SECTS + 1) * 512; i < IMAGE_SIZE; i++)
        kernel[i] = (uint8_t)(i * 7);
    for (size_t i = 0; i < INITRD_SIZE; i++)
        initrd[i] = (uint8_t)(i * 13 + 1);
    return 0;
}

static struct linux_boot_input input(uint64_t ram_size)
{
    return (struct linux_boot_input){.ram_size = ram_size,
                                     .kernel = kernel,
                                     .kernel_size = IMAGE_SIZE,
                                     .initrd = initrd,
                                     .initrd_size = INITRD_SIZE,
                                     .cmdline = CMDLINE,
                                     .rsdp = RSDP};
}

static uint64_t rd64(const struct guest_mem *gm, uint64_t gpa)
{
    uint64_t v;
    uint8_t *p = gmem_ptr(gm, gpa, 8);
    assert_non_null(p);
    memcpy(&v, p, 8);
    return v;
}

/* A 4-level walk with 1 GiB, 2 MiB and 4 KiB pages, reading guest memory the
 * way the MMU would. 0 and *pa, or -1 when not present. */
static int walk(const struct guest_mem *gm, uint64_t cr3, uint64_t va, uint64_t *pa)
{
    uint64_t table = cr3 & PTE_ADDR;
    for (int level = 3; level >= 0; level--) {
        unsigned shift = 12 + 9 * (unsigned)level;
        uint64_t e = rd64(gm, table + 8 * ((va >> shift) & 511));
        if (!(e & PTE_P))
            return -1;
        if (level == 0 || (level <= 2 && (e & PTE_PS))) {
            uint64_t mask = (1ull << shift) - 1;
            *pa = (e & PTE_ADDR & ~mask) | (va & mask);
            return 0;
        }
        table = e & PTE_ADDR;
    }
    return -1;
}

static const char *must_setup(const struct guest_mem *gm, const struct linux_boot_input *in,
                              struct linux_boot *lb)
{
    const char *why = NULL;
    if (linux_boot_setup(gm, in, lb, &why))
        fail_msg("linux_boot_setup: %s", why);
    return why;
}

static void expect_refused(const struct guest_mem *gm, const struct linux_boot_input *in,
                           const char *needle)
{
    struct linux_boot lb;
    const char *why = NULL;
    assert_int_equal(linux_boot_setup(gm, in, &lb, &why), -1);
    if (!why || !strstr(why, needle))
        fail_msg("reason '%s' lacks '%s'", why ? why : "(null)", needle);
}

/* Without a video device: no EFI handoff (efi_info and secure_boot zero, the
 * region's pages left as they were). With it: "EL64", the tables in the
 * reserved region, secure boot "disabled", the command line untouched. */
static void efi_handoff(void **state)
{
    (void)state;
    struct guest g = guest_new(128 * MiB);
    memset(g.gm.host, 0xCC, 1 * MiB);
    struct linux_boot_input in = input(128 * MiB);
    struct linux_boot lb;
    must_setup(&g.gm, &in, &lb);
    const struct boot_params *bp = gmem_ptr(&g.gm, LAYOUT_BOOT_PARAMS, sizeof(*bp));
    for (size_t i = 0; i < sizeof(bp->efi_info); i++)
        assert_int_equal(bp->efi_info[i], 0);
    assert_int_equal(bp->secure_boot, 0);
    assert_int_equal(lb.efi_map_entries, 0);
    assert_int_equal(*(uint8_t *)gmem_ptr(&g.gm, LAYOUT_EFI_BASE + EFI_DATA_OFF, 1), 0xCC);

    in.efi = true;
    in.efi_fw_revision = 3;
    must_setup(&g.gm, &in, &lb);
    struct efi_info info;
    memcpy(&info, bp->efi_info, sizeof(info));
    assert_memory_equal(&info.efi_loader_signature, "EL64", 4);
    assert_int_equal(info.efi_systab, LAYOUT_EFI_BASE + EFI_SYSTAB_OFF);
    assert_int_equal(info.efi_memmap, LAYOUT_EFI_BASE + EFI_MEMMAP_OFF);
    assert_int_equal(info.efi_memdesc_size, 48);
    assert_int_equal(info.efi_memdesc_version, 1);
    assert_int_equal(info.efi_memmap_size, lb.efi_map_entries * 48);
    assert_true(lb.efi_map_entries > lb.e820_entries);
    assert_int_equal(bp->secure_boot, 2);
    const struct efi_system_table *st =
        gmem_ptr(&g.gm, info.efi_systab, sizeof(struct efi_system_table));
    assert_memory_equal(&st->hdr.signature, "IBI SYST", 8);
    assert_int_equal(st->fw_revision, 3);
    bool reserved = false;
    for (unsigned i = 0; i < bp->e820_entries; i++)
        if (bp->e820_table[i].addr == LAYOUT_EFI_BASE &&
            bp->e820_table[i].size == LAYOUT_EFI_SIZE && bp->e820_table[i].type == E820_RESERVED)
            reserved = true;
    assert_true(reserved);
    assert_string_equal((const char *)gmem_ptr(&g.gm, LAYOUT_CMDLINE, 1), CMDLINE);
}

static void boot_params_contents(void **state)
{
    (void)state;
    struct guest g = guest_new(128 * MiB);
    memset(g.gm.host, 0xCC, 1 * MiB); /* stale low memory must not leak through */
    struct linux_boot_input in = input(128 * MiB);
    struct linux_boot lb;
    must_setup(&g.gm, &in, &lb);
    const struct boot_params *bp = gmem_ptr(&g.gm, LAYOUT_BOOT_PARAMS, sizeof(*bp));

    /* The image's header, unchanged where the loader has nothing to say. */
    assert_int_equal(bp->hdr.boot_flag, 0xAA55);
    assert_int_equal(bp->hdr.header, 0x53726448);
    assert_int_equal(bp->hdr.version, 0x020F);
    assert_int_equal(bp->hdr.setup_sects, SETUP_SECTS);
    assert_int_equal(bp->hdr.vid_mode, 0xFFFF);
    assert_int_equal(bp->hdr.xloadflags, 0x7F);
    assert_int_equal(bp->hdr.kernel_alignment, 0x200000);
    assert_int_equal(bp->hdr.init_size, 8 * MiB);
    assert_int_equal(bp->hdr.pref_address, 0x1000000);
    assert_int_equal(bp->hdr.cmdline_size, 2047);
    assert_int_equal(bp->hdr.kernel_info_offset, 0x1234);
    /* What the loader sets. */
    assert_int_equal(bp->hdr.type_of_loader, 0xFF);
    assert_int_equal(bp->hdr.loadflags, BP_LOADED_HIGH);
    assert_int_equal(bp->hdr.heap_end_ptr, 0);
    assert_int_equal(bp->hdr.code32_start, 0x1000000);
    assert_int_equal(bp->hdr.setup_data, 0);
    assert_int_equal(bp->hdr.hardware_subarch, 0);
    assert_int_equal(bp->hdr.cmd_line_ptr, LAYOUT_CMDLINE);
    assert_int_equal(bp->ext_cmd_line_ptr, 0);
    assert_int_equal(bp->hdr.ramdisk_image, lb.layout.initrd);
    assert_int_equal(bp->hdr.ramdisk_size, INITRD_SIZE);
    assert_int_equal(bp->ext_ramdisk_image, 0);
    assert_int_equal(bp->ext_ramdisk_size, 0);
    assert_int_equal(bp->acpi_rsdp_addr, RSDP);
    assert_int_equal(bp->sentinel, 0);
    /* Zero page otherwise clean: no video, no EFI, no EDD, nothing stale. */
    const uint8_t *raw = (const uint8_t *)bp;
    for (size_t i = 0; i < 0x70; i++)
        assert_int_equal(raw[i], 0);
    for (size_t i = 0x1C0; i < 0x1E8; i++)
        assert_int_equal(raw[i], 0);
    for (size_t i = 0x26C; i < 0x2D0; i++)
        assert_int_equal(raw[i], 0);
    for (size_t i = 0x2D0 + 20 * bp->e820_entries; i < 4096; i++)
        assert_int_equal(raw[i], 0);

    /* e820 as e820_build makes it: 5 entries for 128 MiB, the last all high RAM. */
    assert_int_equal(bp->e820_entries, 5);
    assert_int_equal(lb.e820_entries, 5);
    assert_int_equal(bp->e820_table[1].addr, LAYOUT_ACPI_BASE);
    assert_int_equal(bp->e820_table[1].type, E820_ACPI);
    assert_int_equal(bp->e820_table[4].addr, LAYOUT_HIGH_RAM);
    assert_int_equal(bp->e820_table[4].size, 128 * MiB - LAYOUT_HIGH_RAM);

    /* Command line, kernel payload and initrd where boot_params says. */
    assert_string_equal((const char *)gmem_ptr(&g.gm, bp->hdr.cmd_line_ptr, 1), CMDLINE);
    assert_memory_equal(gmem_ptr(&g.gm, lb.layout.kernel, PAYLOAD),
                        kernel + (SETUP_SECTS + 1) * 512, PAYLOAD);
    assert_memory_equal(gmem_ptr(&g.gm, bp->hdr.ramdisk_image, INITRD_SIZE), initrd, INITRD_SIZE);
    assert_int_equal(lb.layout.initrd % 4096, 0);
    assert_true(lb.layout.initrd + INITRD_SIZE <= 128 * MiB);

    /* The IVT/BDA page is zeroed; the ACPI region is the ACPI builder's: untouched. */
    const uint8_t *low = g.gm.host;
    for (size_t i = 0; i < 4096; i++)
        assert_int_equal(low[i], 0);
    for (size_t i = LAYOUT_ACPI_BASE; i < LAYOUT_ACPI_BASE + LAYOUT_ACPI_SIZE; i++)
        assert_int_equal(low[i], 0xCC);
    guest_free(&g);
}

/* Attributes in the VMCB's packed form, from a GDT descriptor. */
static uint16_t vmcb_attrib(uint64_t desc)
{
    return (uint16_t)(((desc >> 40) & 0xFF) | ((desc >> 44) & 0xF00));
}

static void entry_state_and_gdt(void **state)
{
    (void)state;
    struct guest g = guest_new(128 * MiB);
    struct linux_boot_input in = input(128 * MiB);
    struct linux_boot lb;
    must_setup(&g.gm, &in, &lb);
    const struct linux_entry *e = &lb.entry;

    assert_int_equal(e->rip, 0x1000000 + 0x200);
    assert_int_equal(e->rsi, LAYOUT_BOOT_PARAMS);
    assert_int_equal(e->rsp, LAYOUT_STACK_TOP);
    assert_int_equal(e->rflags, 0x2);
    assert_int_equal(e->cr0, 0x80000033);
    assert_int_equal(e->cr3, LAYOUT_PML4);
    assert_int_equal(e->cr4, 0x20);
    assert_int_equal(e->efer, 0x500);
    assert_int_equal(e->gdtr_base, LAYOUT_GDT);
    assert_int_equal(e->gdtr_limit, 31);
    assert_int_equal(e->idtr_limit, 0);
    assert_int_equal(e->cs.selector, 0x10);
    assert_int_equal(e->cs.attrib, 0xA9B);
    assert_int_equal(e->ds.selector, 0x18);
    assert_int_equal(e->ds.attrib, 0xC93);
    assert_int_equal(e->cs.limit, 0xFFFFFFFF);
    assert_int_equal(e->tr.attrib, 0x08B);

    /* The GDT in guest memory agrees with the cached state the VMCB gets. */
    uint64_t cs = rd64(&g.gm, e->gdtr_base + e->cs.selector);
    uint64_t ds = rd64(&g.gm, e->gdtr_base + e->ds.selector);
    assert_int_equal(rd64(&g.gm, e->gdtr_base), 0);
    assert_int_equal(vmcb_attrib(cs), e->cs.attrib);
    assert_int_equal(vmcb_attrib(ds), e->ds.attrib);
    assert_true(e->cs.selector + 8u <= e->gdtr_limit + 1u);
    assert_true(e->ds.selector + 8u <= e->gdtr_limit + 1u);
    /* 4 GiB flat: limit 0xFFFFF in 4 KiB units, base 0. */
    assert_int_equal(cs & 0xFFFF, 0xFFFF);
    assert_int_equal((cs >> 48) & 0xF, 0xF);
    guest_free(&g);
}

static void page_tables_walk(void **state)
{
    (void)state;
    struct guest g = guest_new(128 * MiB);
    struct linux_boot_input in = input(128 * MiB);
    struct linux_boot lb;
    must_setup(&g.gm, &in, &lb);
    uint64_t cr3 = lb.entry.cr3, pa = 0;
    const uint64_t va[] = {0,
                           LAYOUT_BOOT_PARAMS + 0x1E8,
                           LAYOUT_CMDLINE,
                           LAYOUT_GDT + 0x10,
                           lb.entry.rip,
                           lb.layout.kernel_end - 1,
                           lb.layout.initrd + 17,
                           0x1234567,
                           128 * MiB - 1};
    for (size_t i = 0; i < sizeof(va) / sizeof(va[0]); i++) {
        if (walk(&g.gm, cr3, va[i], &pa))
            fail_msg("%#llx not mapped", (unsigned long long)va[i]);
        assert_int_equal(pa, va[i]);
    }
    assert_int_equal(walk(&g.gm, cr3, 128 * MiB, &pa), -1);
    assert_int_equal(walk(&g.gm, cr3, 1ull << 39, &pa), -1);
    /* 2 MiB pages, writable, present. */
    uint64_t pde = rd64(&g.gm, LAYOUT_PD + 8 * 8);
    assert_int_equal(pde & (PTE_P | PTE_RW | PTE_PS), PTE_P | PTE_RW | PTE_PS);
    assert_int_equal(pde & PTE_ADDR, 16 * MiB);
    guest_free(&g);
}

static void page_tables_above_4g(void **state)
{
    (void)state;
    struct guest g = guest_new(5 * GiB);
    struct linux_boot_input in = input(5 * GiB);
    struct linux_boot lb;
    must_setup(&g.gm, &in, &lb);
    assert_int_equal(lb.layout.pd_pages, 5);
    uint64_t pa;
    const uint64_t va[] = {0xFEE00000, 4 * GiB, 4 * GiB + 0x12345, 5 * GiB - 1};
    for (size_t i = 0; i < sizeof(va) / sizeof(va[0]); i++) {
        assert_int_equal(walk(&g.gm, lb.entry.cr3, va[i], &pa), 0);
        assert_int_equal(pa, va[i]);
    }
    assert_int_equal(walk(&g.gm, lb.entry.cr3, 5 * GiB, &pa), -1);
    /* The initrd stays below initrd_addr_max (2 GiB). */
    assert_true(lb.layout.initrd + INITRD_SIZE <= 2 * GiB);
    guest_free(&g);
}

static void no_initrd_no_cmdline(void **state)
{
    (void)state;
    struct guest g = guest_new(64 * MiB);
    struct linux_boot_input in = input(64 * MiB);
    in.initrd = NULL;
    in.initrd_size = 0;
    in.cmdline = NULL;
    in.rsdp = 0;
    struct linux_boot lb;
    must_setup(&g.gm, &in, &lb);
    const struct boot_params *bp = gmem_ptr(&g.gm, LAYOUT_BOOT_PARAMS, sizeof(*bp));
    assert_int_equal(bp->hdr.ramdisk_image, 0);
    assert_int_equal(bp->hdr.ramdisk_size, 0);
    assert_int_equal(bp->acpi_rsdp_addr, 0);
    assert_string_equal((const char *)gmem_ptr(&g.gm, LAYOUT_CMDLINE, 1), "");
    guest_free(&g);
}

static void refusals(void **state)
{
    (void)state;
    struct guest g = guest_new(128 * MiB);
    struct linux_boot_input in = input(128 * MiB);

    in.kernel = NULL;
    expect_refused(&g.gm, &in, "no kernel");
    in = input(128 * MiB);
    in.initrd = NULL;
    expect_refused(&g.gm, &in, "initrd size given");
    in = input(256 * MiB);
    expect_refused(&g.gm, &in, "guest memory smaller");
    in = input(128 * MiB);
    in.kernel_size = 0x100;
    expect_refused(&g.gm, &in, "too small for a Linux setup header");
    in = input(128 * MiB);
    in.initrd_size = 120 * MiB;
    in.initrd = g.gm.host; /* any readable bytes; refused before they are read */
    expect_refused(&g.gm, &in, "initrd does not fit");

    char *long_cmd = malloc(5000);
    memset(long_cmd, 'x', 4999);
    long_cmd[4999] = 0;
    in = input(128 * MiB);
    in.cmdline = long_cmd;
    expect_refused(&g.gm, &in, "longer than 4095");
    long_cmd[2048] = 0; /* 2048 > cmdline_size 2047 */
    expect_refused(&g.gm, &in, "cmdline_size");
    long_cmd[2047] = 0;
    struct linux_boot lb;
    must_setup(&g.gm, &in, &lb);
    free(long_cmd);

    put32(BP_HDR(init_size), 120 * MiB); /* 16 MiB + 120 MiB > 128 MiB */
    in = input(128 * MiB);
    expect_refused(&g.gm, &in, "too small for the kernel");
    guest_free(&g);
}

static void real_debian_kernel(void **state)
{
    (void)state;
    size_t ksize = 0, isize = 0;
    uint8_t *k = read_file(REAL_KERNEL, &ksize);
    if (!k)
        skip(); /* not fetched in this checkout (guest/fetch-kernel.sh) */
    uint8_t *i = read_file(REAL_INITRD, &isize);
    struct guest g = guest_new(512 * MiB);
    struct linux_boot_input in = {.ram_size = 512 * MiB,
                                  .kernel = k,
                                  .kernel_size = ksize,
                                  .initrd = i,
                                  .initrd_size = i ? isize : 0,
                                  .cmdline = "console=ttyS0 panic=-1",
                                  .rsdp = RSDP};
    struct linux_boot lb;
    must_setup(&g.gm, &in, &lb);
    printf("# kernel [%#llx, %#llx) entry %#llx, initrd [%#llx, +%#llx), %u e820 entries, "
           "%u PD pages\n",
           (unsigned long long)lb.layout.kernel, (unsigned long long)lb.layout.kernel_end,
           (unsigned long long)lb.entry.rip, (unsigned long long)lb.layout.initrd,
           (unsigned long long)lb.layout.initrd_size, lb.e820_entries, lb.layout.pd_pages);
    assert_int_equal(lb.layout.kernel, 0x1000000);
    const struct boot_params *bp = gmem_ptr(&g.gm, LAYOUT_BOOT_PARAMS, sizeof(*bp));
    assert_int_equal(bp->hdr.version, lb.image.version);
    assert_int_equal(bp->hdr.init_size, lb.image.init_size);
    /* The 64-bit entry is the decompressor's startup_64. */
    assert_memory_equal(gmem_ptr(&g.gm, lb.entry.rip, 16), k + lb.image.payload_offset + 0x200, 16);
    if (i)
        assert_memory_equal(gmem_ptr(&g.gm, lb.layout.initrd, isize), i, isize);
    free(i);
    free(k);
    guest_free(&g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(boot_params_contents, make_image),
        cmocka_unit_test_setup(entry_state_and_gdt, make_image),
        cmocka_unit_test_setup(page_tables_walk, make_image),
        cmocka_unit_test_setup(page_tables_above_4g, make_image),
        cmocka_unit_test_setup(no_initrd_no_cmdline, make_image),
        cmocka_unit_test_setup(refusals, make_image),
        cmocka_unit_test_setup(efi_handoff, make_image),
        cmocka_unit_test(real_debian_kernel),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
