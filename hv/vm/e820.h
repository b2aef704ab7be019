/* The guest's e820 memory map (boot_params.e820_table), derived from the fixed
 * low-memory layout and the RAM size: usable RAM, the ACPI tables as type 3,
 * the EBDA and legacy hole reserved, and no RAM in the 32-bit MMIO hole. */
#ifndef HV_VM_E820_H
#define HV_VM_E820_H

#include <stdbool.h>
#include <stdint.h>

#include "vm/bootparam.h"

/* Fills tab[0..*count) (cap entries) in ascending address order. 0, or -1 and
 * *why (RAM size out of range, or cap too small). */
int e820_build(uint64_t ram_size, struct boot_e820_entry *tab, unsigned cap, unsigned *count,
               const char **why);

/* The same, with the EFI handoff's pages (LAYOUT_EFI_BASE, LAYOUT_EFI_SIZE)
 * reserved when efi is set; e820_build(...) is e820_build_efi(..., false). */
int e820_build_efi(uint64_t ram_size, bool efi, struct boot_e820_entry *tab, unsigned cap,
                   unsigned *count, const char **why);

/* "RAM", "reserved", "ACPI", "NVS" or "unknown": for logging the map. */
const char *e820_type_name(uint32_t type);

#endif
