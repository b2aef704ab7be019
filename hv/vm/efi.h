/* A minimal EFI handoff for the 64-bit boot protocol (docs/video.md, "The
 * EFI_BOOT gate"): what a Hyper-V Generation 2 guest finds when its loader
 * hands over from UEFI. boot_params.efi_info ("EL64") points at a system table
 * whose runtime services table holds one stub per service, each answering
 * EFI_UNSUPPORTED, and at a memory map that mirrors the e820 table with EFI
 * types and attributes. All of it lives in the LAYOUT_EFI_* pages, which e820
 * reports reserved when the handoff is built. Only built for a configuration
 * with a video device; every other guest boots without EFI_BOOT. */
#ifndef HV_VM_EFI_H
#define HV_VM_EFI_H

#include <stdint.h>

#include "page.h"
#include "vm/bootparam.h"

#define EFI_SYSTEM_TABLE_SIGNATURE     0x5453595320494249ull /* "IBI SYST" */
#define EFI_RUNTIME_SERVICES_SIGNATURE 0x56524553544e5552ull /* "RUNTSERV" */
#define EFI_REVISION_2_70              ((2u << 16) | 70u)
#define EFI_LOADER_SIGNATURE_64        0x34364c45u /* "EL64" */
#define EFI_UNSUPPORTED                0x8000000000000003ull

/* Memory types (UEFI 2.x, EFI_MEMORY_TYPE) */
#define EFI_RESERVED_TYPE         0u
#define EFI_RUNTIME_SERVICES_CODE 5u
#define EFI_RUNTIME_SERVICES_DATA 6u
#define EFI_CONVENTIONAL_MEMORY   7u
#define EFI_ACPI_RECLAIM_MEMORY   9u
#define EFI_ACPI_MEMORY_NVS       10u

/* Attributes */
#define EFI_MEMORY_UC      0x1ull
#define EFI_MEMORY_WC      0x2ull
#define EFI_MEMORY_WT      0x4ull
#define EFI_MEMORY_WB      0x8ull
#define EFI_MEMORY_RUNTIME (1ull << 63)
#define EFI_MEMORY_CACHING (EFI_MEMORY_UC | EFI_MEMORY_WC | EFI_MEMORY_WT | EFI_MEMORY_WB)

#define EFI_MEMDESC_SIZE    48u /* stride: 40-byte descriptors padded, as firmware does */
#define EFI_MEMDESC_VERSION 1u
#define EFI_RT_SERVICES     14u /* entries of efi_runtime_services_t */
#define EFI_STUB_STRIDE     16u /* bytes between the per-service stubs */

/* The handoff region: one code page (the stubs: EfiRuntimeServicesCode), then
 * one data page (EfiRuntimeServicesData): system table, runtime services
 * table, firmware vendor string, memory map. */
#define EFI_REGION_SIZE (2 * PAGE_SIZE)
#define EFI_DATA_OFF    PAGE_SIZE
#define EFI_SYSTAB_OFF  (EFI_DATA_OFF + 0x000)
#define EFI_RUNTIME_OFF (EFI_DATA_OFF + 0x080)
#define EFI_VENDOR_OFF  (EFI_DATA_OFF + 0x110)
#define EFI_MEMMAP_OFF  (EFI_DATA_OFF + 0x200)
#define EFI_MEMMAP_MAX  ((unsigned)((EFI_REGION_SIZE - EFI_MEMMAP_OFF) / EFI_MEMDESC_SIZE))

struct efi_table_hdr {
    uint64_t signature;
    uint32_t revision;
    uint32_t headersize;
    uint32_t crc32; /* over headersize bytes with this field zero */
    uint32_t reserved;
};
_Static_assert(sizeof(struct efi_table_hdr) == 24, "efi_table_hdr");

/* efi_system_table_64_t */
struct efi_system_table {
    struct efi_table_hdr hdr;
    uint64_t fw_vendor; /* physical address of a UTF-16 string */
    uint32_t fw_revision;
    uint32_t pad1;
    uint64_t con_in_handle, con_in, con_out_handle, con_out, stderr_handle, stderr_out;
    uint64_t runtime;  /* efi_runtime_services_t */
    uint64_t boottime; /* 0: boot services have been exited */
    uint32_t nr_tables;
    uint32_t pad2;
    uint64_t tables;
};
_Static_assert(sizeof(struct efi_system_table) == 120, "efi_system_table_64_t");

/* efi_runtime_services_t: 14 function pointers in UEFI order (GetTime,
 * SetTime, GetWakeupTime, SetWakeupTime, SetVirtualAddressMap,
 * ConvertPointer, GetVariable, GetNextVariableName, SetVariable,
 * GetNextHighMonotonicCount, ResetSystem, UpdateCapsule,
 * QueryCapsuleCapabilities, QueryVariableInfo). */
struct efi_runtime_services {
    struct efi_table_hdr hdr;
    uint64_t fn[EFI_RT_SERVICES];
};
_Static_assert(sizeof(struct efi_runtime_services) == 136, "efi_runtime_services_t");

/* efi_memory_desc_t */
struct efi_memory_desc {
    uint32_t type;
    uint32_t pad;
    uint64_t phys_addr;
    uint64_t virt_addr;
    uint64_t num_pages;
    uint64_t attribute;
};
_Static_assert(sizeof(struct efi_memory_desc) == 40, "efi_memory_desc_t");

/* boot_params.efi_info (struct efi_info, zero page 0x1C0) */
struct efi_info {
    uint32_t efi_loader_signature;
    uint32_t efi_systab;
    uint32_t efi_memdesc_size;
    uint32_t efi_memdesc_version;
    uint32_t efi_memmap;
    uint32_t efi_memmap_size;
    uint32_t efi_systab_hi;
    uint32_t efi_memmap_hi;
};
_Static_assert(sizeof(struct efi_info) == 32, "efi_info");

/* Fills region[0..EFI_REGION_SIZE), which the guest sees at the page-aligned
 * guest-physical gpa, from the e820 table e820[0..n) (ascending, as
 * e820_build makes it; every entry overlapping the region must be reserved),
 * and *info with what goes into boot_params.efi_info. fw_revision is the
 * system table's FirmwareRevision. 0, or -1 and *why. */
int efi_build(uint8_t *region, uint64_t gpa, const struct boot_e820_entry *e820, unsigned n,
              uint32_t fw_revision, struct efi_info *info, const char **why);

/* The EFI type an e820 type maps to. */
uint32_t efi_type_of_e820(uint32_t e820_type);

#endif
