/* The guest-physical map of the one-vCPU Linux guest. Guest RAM is one block at
 * guest-physical 0..ram_size; docs/guest-machine.md draws the whole map and says
 * why each piece sits where it does. Fixed pieces live in the low 1 MiB, which
 * Linux 6.1 reserves for itself (so nothing there is reused while it matters);
 * the kernel and initrd are placed per image by layout_plan(). */
#ifndef HV_VM_LAYOUT_H
#define HV_VM_LAYOUT_H

#include <stdint.h>

#include "page.h"
#include "vm/bzimage.h"

#define LAYOUT_MiB (1ull << 20)
#define LAYOUT_GiB (1ull << 30)

/* --- guest RAM size limits --- */
#define LAYOUT_MIN_RAM (64 * LAYOUT_MiB)
#define LAYOUT_MAX_RAM (64 * LAYOUT_GiB) /* what LAYOUT_PD_MAX page directories map */

/* --- low 1 MiB: fixed boot structures (all page aligned) --- */
#define LAYOUT_BDA         0x0000ull /* real-mode IVT + BIOS data area: zeroed */
#define LAYOUT_GDT         0x1000ull /* boot GDT: null, null, __BOOT_CS 0x10, __BOOT_DS 0x18 */
#define LAYOUT_STACK_BASE  0x2000ull /* boot stack 0x2000..0x6FFF (rsp starts at the top) */
#define LAYOUT_STACK_TOP   0x7000ull
#define LAYOUT_BOOT_PARAMS 0x7000ull /* zero page, 4 KiB */
#define LAYOUT_CMDLINE     0x8000ull /* command line, NUL terminated */
#define LAYOUT_CMDLINE_MAX 0x1000ull /* bytes including the NUL */
#define LAYOUT_PML4        0x9000ull /* identity map: 1 PML4, 1 PDPT, up to 64 PDs of 2 MiB pages */
#define LAYOUT_PDPT        0xA000ull
#define LAYOUT_PD          0xB000ull
#define LAYOUT_PD_MAX      64u        /* 0xB000..0x4AFFF, one per GiB of RAM */
#define LAYOUT_ACPI_BASE   0x80000ull /* ACPI tables, e820 type 3 (ACPI) */
#define LAYOUT_ACPI_SIZE   0x10000ull
#define LAYOUT_EFI_BASE    0x90000ull  /* EFI handoff (vm/efi.h), only with a video device: */
#define LAYOUT_EFI_SIZE    0x2000ull   /* then e820 type 2 (reserved), else usable RAM */
#define LAYOUT_EBDA        0x9FC00ull  /* EBDA: reserved, as on a PC (left zero) */
#define LAYOUT_LEGACY_HOLE 0xA0000ull  /* ..0xFFFFF: VGA window, option and BIOS ROMs; reserved */
#define LAYOUT_HIGH_RAM    0x100000ull /* 1 MiB: the kernel and initrd go at or above this */

/* --- pass-through MMIO below 4 GiB (never RAM) --- */
#define LAYOUT_IOAPIC 0xFEC00000ull
#define LAYOUT_LAPIC  0xFEE00000ull
/* RAM is reported only below this and again from 4 GiB: guest RAM bytes at
 * [LAYOUT_MMIO32_BASE, 4 GiB) are shadowed by the MMIO above and never used. */
#define LAYOUT_MMIO32_BASE LAYOUT_IOAPIC
#define LAYOUT_4G          (4 * LAYOUT_GiB)

/* Where an image goes in a guest of a given size. */
struct guest_layout {
    uint64_t ram_size;    /* bytes of guest RAM at guest-physical 0 */
    uint64_t low_ram_end; /* end of RAM below the 32-bit MMIO hole */
    uint64_t map_size;    /* bytes the boot page tables identity-map from 0 */
    unsigned pd_pages;    /* page directories those tables use */
    uint64_t kernel;      /* protected-mode kernel load (= runtime start) address */
    uint64_t kernel_end;  /* kernel + init_size: all of it must be free RAM */
    uint64_t initrd;      /* 0 when there is no initrd */
    uint64_t initrd_size;
};

/* Plans the map for ram_size bytes of RAM, the kernel *k and an initrd of
 * initrd_size bytes (0: none). 0 and *out filled, or -1 and *why. */
int layout_plan(uint64_t ram_size, const struct bzimage *k, uint64_t initrd_size,
                struct guest_layout *out, const char **why);

#endif
