/* Identity-mapping page tables for the kernel's 64-bit entry: boot.rst wants the
 * kernel (through init_size), the zero page and the command line mapped 1:1; we
 * map all of guest RAM with 2 MiB pages from one PML4, one PDPT and one PD per
 * GiB, at LAYOUT_PML4/PDPT/PD. The kernel replaces them within microseconds. */
#ifndef HV_VM_BOOT_PT_H
#define HV_VM_BOOT_PT_H

#include <stdint.h>

#include "guest_mem.h"

#define PTE_P    (1ull << 0)
#define PTE_RW   (1ull << 1)
#define PTE_A    (1ull << 5)
#define PTE_PS   (1ull << 7) /* in a PDE: a 2 MiB page */
#define PTE_ADDR 0x000FFFFFFFFFF000ull

/* Maps guest-physical [0, map_size) (map_size a multiple of 2 MiB, at most
 * LAYOUT_PD_MAX GiB). 0 and *cr3 = the PML4's address, or -1 and *why. */
int boot_pt_build(const struct guest_mem *gm, uint64_t map_size, uint64_t *cr3, const char **why);

#endif
