#include "vm/efi.h"

#include <stdbool.h>

#include "lib/crc32.h"
#include "lib/mem.h"

/* Each runtime service: movabs rax, EFI_UNSUPPORTED; ret. The Linux x86-64
 * caller (efi_call) uses the Microsoft x64 convention: the status is in rax,
 * and the stub touches no other register, memory or stack slot. */
static const uint8_t stub_code[] = {0x48, 0xB8, 0x03, 0x00, 0x00, 0x00,
                                    0x00, 0x00, 0x00, 0x80, 0xC3};
_Static_assert(sizeof(stub_code) <= EFI_STUB_STRIDE, "stub fits its slot");
_Static_assert(EFI_RT_SERVICES *EFI_STUB_STRIDE <= EFI_DATA_OFF, "stubs fit the code page");
_Static_assert(EFI_RUNTIME_OFF - EFI_SYSTAB_OFF >= sizeof(struct efi_system_table), "systab");
_Static_assert(EFI_VENDOR_OFF - EFI_RUNTIME_OFF >= sizeof(struct efi_runtime_services), "rt");

/* UTF-16 "vmbhv", NUL terminated */
static const uint16_t vendor[] = {'v', 'm', 'b', 'h', 'v', 0};
_Static_assert(EFI_MEMMAP_OFF - EFI_VENDOR_OFF >= sizeof(vendor), "vendor string");

static int fail(const char **why, const char *reason)
{
    *why = reason;
    return -1;
}

uint32_t efi_type_of_e820(uint32_t e820_type)
{
    switch (e820_type) {
    case E820_RAM:
        return EFI_CONVENTIONAL_MEMORY;
    case E820_ACPI:
        return EFI_ACPI_RECLAIM_MEMORY;
    case E820_NVS:
        return EFI_ACPI_MEMORY_NVS;
    default:
        return EFI_RESERVED_TYPE;
    }
}

struct map_builder {
    struct efi_memory_desc *d;
    unsigned n;
    uint64_t end; /* end of the last descriptor: descriptors never overlap */
    bool full;
};

/* Appends [start, end) (page aligned) as type, clipped above the last one. */
static void put(struct map_builder *m, uint64_t start, uint64_t end, uint32_t type,
                uint64_t attribute)
{
    if (start < m->end)
        start = m->end;
    if (end <= start)
        return;
    if (m->n == EFI_MEMMAP_MAX) {
        m->full = true;
        return;
    }
    struct efi_memory_desc *d =
        (struct efi_memory_desc *)((uint8_t *)m->d + (uint64_t)m->n * EFI_MEMDESC_SIZE);
    d->type = type;
    d->phys_addr = start;
    d->virt_addr = 0;
    d->num_pages = (end - start) / PAGE_SIZE;
    d->attribute = attribute;
    m->n++;
    m->end = end;
}

static void set_crc(struct efi_table_hdr *h)
{
    h->crc32 = 0;
    h->crc32 = crc32(h, h->headersize);
}

int efi_build(uint8_t *region, uint64_t gpa, const struct boot_e820_entry *e820, unsigned n,
              uint32_t fw_revision, struct efi_info *info, const char **why)
{
    if (gpa % PAGE_SIZE)
        return fail(why, "EFI region not page aligned");
    if (gpa + EFI_REGION_SIZE > (1ull << 32))
        return fail(why, "EFI region above 4 GiB");
    uint64_t code_end = gpa + EFI_DATA_OFF, region_end = gpa + EFI_REGION_SIZE;
    bool covered = false;
    for (unsigned i = 0; i < n; i++) {
        uint64_t a = e820[i].addr, b = e820[i].addr + e820[i].size;
        if (i && a < e820[i - 1].addr + e820[i - 1].size)
            return fail(why, "e820 table not ascending");
        if (a < region_end && b > gpa) {
            if (e820[i].type != E820_RESERVED)
                return fail(why, "EFI region not reserved in e820");
            if (a <= gpa && b >= region_end)
                covered = true;
        }
    }
    if (!covered)
        return fail(why, "EFI region not reserved in e820");

    memset(region, 0, EFI_REGION_SIZE);
    memset(region, 0xCC, EFI_DATA_OFF); /* int3 around the stubs */
    for (unsigned i = 0; i < EFI_RT_SERVICES; i++)
        memcpy(region + i * EFI_STUB_STRIDE, stub_code, sizeof(stub_code));

    struct efi_runtime_services *rt = (struct efi_runtime_services *)(region + EFI_RUNTIME_OFF);
    rt->hdr.signature = EFI_RUNTIME_SERVICES_SIGNATURE;
    rt->hdr.revision = EFI_REVISION_2_70;
    rt->hdr.headersize = sizeof(*rt);
    for (unsigned i = 0; i < EFI_RT_SERVICES; i++)
        rt->fn[i] = gpa + i * EFI_STUB_STRIDE;
    set_crc(&rt->hdr);

    memcpy(region + EFI_VENDOR_OFF, vendor, sizeof(vendor));

    struct efi_system_table *st = (struct efi_system_table *)(region + EFI_SYSTAB_OFF);
    st->hdr.signature = EFI_SYSTEM_TABLE_SIGNATURE;
    st->hdr.revision = EFI_REVISION_2_70;
    st->hdr.headersize = sizeof(*st);
    st->fw_vendor = gpa + EFI_VENDOR_OFF;
    st->fw_revision = fw_revision;
    st->runtime = gpa + EFI_RUNTIME_OFF;
    st->boottime = 0;
    st->nr_tables = 0;
    st->tables = 0;
    set_crc(&st->hdr);

    /* The map: e820 entry by entry, RAM shrunk to whole pages and everything
     * else grown to them (so no page is called conventional that e820 does
     * not call RAM), the region itself split into its code and data pages. */
    struct map_builder m = {.d = (struct efi_memory_desc *)(region + EFI_MEMMAP_OFF)};
    for (unsigned i = 0; i < n; i++) {
        uint64_t a = e820[i].addr, b = e820[i].addr + e820[i].size;
        bool ram = e820[i].type == E820_RAM;
        uint64_t s =
            ram ? (a + PAGE_SIZE - 1) & ~(uint64_t)(PAGE_SIZE - 1) : a & ~(uint64_t)(PAGE_SIZE - 1);
        uint64_t e =
            ram ? b & ~(uint64_t)(PAGE_SIZE - 1) : (b + PAGE_SIZE - 1) & ~(uint64_t)(PAGE_SIZE - 1);
        uint32_t type = efi_type_of_e820(e820[i].type);
        uint64_t attr = EFI_MEMORY_CACHING;
        if (a < region_end && b > gpa) {
            put(&m, s, gpa, type, attr);
            put(&m, gpa, code_end, EFI_RUNTIME_SERVICES_CODE, attr | EFI_MEMORY_RUNTIME);
            put(&m, code_end, region_end, EFI_RUNTIME_SERVICES_DATA, attr | EFI_MEMORY_RUNTIME);
            put(&m, region_end, e, type, attr);
        } else {
            put(&m, s, e, type, attr);
        }
    }
    if (m.full)
        return fail(why, "EFI memory map does not fit its page");

    uint64_t systab = gpa + EFI_SYSTAB_OFF, memmap = gpa + EFI_MEMMAP_OFF;
    *info = (struct efi_info){
        .efi_loader_signature = EFI_LOADER_SIGNATURE_64,
        .efi_systab = (uint32_t)systab,
        .efi_memdesc_size = EFI_MEMDESC_SIZE,
        .efi_memdesc_version = EFI_MEMDESC_VERSION,
        .efi_memmap = (uint32_t)memmap,
        .efi_memmap_size = m.n * EFI_MEMDESC_SIZE,
        .efi_systab_hi = (uint32_t)(systab >> 32),
        .efi_memmap_hi = (uint32_t)(memmap >> 32),
    };
    return 0;
}
