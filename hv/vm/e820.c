#include "vm/e820.h"

#include <stdbool.h>

#include "vm/layout.h"

struct e820_builder {
    struct boot_e820_entry *tab;
    unsigned cap, n;
    bool full;
};

/* Appends [addr, addr + size), merging with the previous entry when they touch
 * and share a type, so the table stays minimal. */
static void add(struct e820_builder *b, uint64_t addr, uint64_t size, uint32_t type)
{
    if (size == 0)
        return;
    if (b->n) {
        struct boot_e820_entry *last = &b->tab[b->n - 1];
        if (last->type == type && last->addr + last->size == addr) {
            last->size += size;
            return;
        }
    }
    if (b->n == b->cap) {
        b->full = true;
        return;
    }
    b->tab[b->n++] = (struct boot_e820_entry){.addr = addr, .size = size, .type = type};
}

int e820_build(uint64_t ram_size, struct boot_e820_entry *tab, unsigned cap, unsigned *count,
               const char **why)
{
    return e820_build_efi(ram_size, false, tab, cap, count, why);
}

int e820_build_efi(uint64_t ram_size, bool efi, struct boot_e820_entry *tab, unsigned cap,
                   unsigned *count, const char **why)
{
    if (ram_size < LAYOUT_MIN_RAM || ram_size > LAYOUT_MAX_RAM) {
        *why = "guest RAM size outside 64 MiB..64 GiB";
        return -1;
    }
    struct e820_builder b = {.tab = tab, .cap = cap};
    /* Low memory as a PC BIOS reports it: usable up to the EBDA, with the ACPI
     * tables carved out, then reserved up to 1 MiB. */
    add(&b, 0, LAYOUT_ACPI_BASE, E820_RAM);
    add(&b, LAYOUT_ACPI_BASE, LAYOUT_ACPI_SIZE, E820_ACPI);
    uint64_t after_acpi = LAYOUT_ACPI_BASE + LAYOUT_ACPI_SIZE;
    if (efi) {
        /* The EFI system table, stubs and map: reserved, never the guest's RAM. */
        add(&b, after_acpi, LAYOUT_EFI_BASE - after_acpi, E820_RAM);
        add(&b, LAYOUT_EFI_BASE, LAYOUT_EFI_SIZE, E820_RESERVED);
        after_acpi = LAYOUT_EFI_BASE + LAYOUT_EFI_SIZE;
    }
    add(&b, after_acpi, LAYOUT_EBDA - after_acpi, E820_RAM);
    add(&b, LAYOUT_EBDA, LAYOUT_LEGACY_HOLE - LAYOUT_EBDA, E820_RESERVED);
    add(&b, LAYOUT_LEGACY_HOLE, LAYOUT_HIGH_RAM - LAYOUT_LEGACY_HOLE, E820_RESERVED);
    /* The pass-through MMIO (IOAPIC, HPET, LAPIC) is not listed: Linux claims
     * those ranges itself, and they must simply not look like RAM. */
    uint64_t low_end = ram_size < LAYOUT_MMIO32_BASE ? ram_size : LAYOUT_MMIO32_BASE;
    add(&b, LAYOUT_HIGH_RAM, low_end - LAYOUT_HIGH_RAM, E820_RAM);
    if (ram_size > LAYOUT_4G)
        add(&b, LAYOUT_4G, ram_size - LAYOUT_4G, E820_RAM);
    if (b.full) {
        *why = "e820 table too small";
        return -1;
    }
    *count = b.n;
    return 0;
}

const char *e820_type_name(uint32_t type)
{
    switch (type) {
    case E820_RAM:
        return "RAM";
    case E820_RESERVED:
        return "reserved";
    case E820_ACPI:
        return "ACPI";
    case E820_NVS:
        return "NVS";
    default:
        return "unknown";
    }
}
