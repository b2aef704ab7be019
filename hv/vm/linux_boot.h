/* Direct 64-bit boot of a Linux bzImage (Documentation/x86/boot.rst, "64-bit
 * boot protocol"): places the kernel, initrd and command line per layout.h,
 * builds boot_params with the e820 map and the RSDP address, the identity page
 * tables and the boot GDT, and returns the register state the vCPU starts in. */
#ifndef HV_VM_LINUX_BOOT_H
#define HV_VM_LINUX_BOOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "guest_mem.h"
#include "vm/bzimage.h"
#include "vm/layout.h"

/* Boot GDT selectors (boot.rst: __BOOT_CS and __BOOT_DS). */
#define BOOT_CS 0x10
#define BOOT_DS 0x18

/* A segment register exactly as the VMCB save area holds one (AMD APM vol. 2,
 * 15.5.1 and table B-2): selector, 12-bit packed attributes, limit, base. The
 * attributes are descriptor bits 40-47 in attrib bits 0-7 (type[3:0], S, DPL[1:0],
 * P) and descriptor bits 52-55 in attrib bits 8-11 (AVL, L, D/B, G). */
struct vm_seg {
    uint16_t selector;
    uint16_t attrib;
    uint32_t limit;
    uint64_t base;
};
_Static_assert(sizeof(struct vm_seg) == 16, "VMCB segment layout");

#define SEG_ATTR_CODE64 0xA9B /* P, DPL0, S, type 0xB (exec/read, accessed); G, L */
#define SEG_ATTR_DATA   0xC93 /* P, DPL0, S, type 0x3 (read/write, accessed); G, D/B */
#define SEG_ATTR_TSS64  0x08B /* P, type 0xB: busy 64-bit TSS (VMRUN wants a usable TR) */
#define SEG_ATTR_LDT    0x082 /* P, type 0x2: LDT */

#define CR0_PE   (1ull << 0)
#define CR0_MP   (1ull << 1)
#define CR0_ET   (1ull << 4)
#define CR0_NE   (1ull << 5)
#define CR0_PG   (1ull << 31)
#define CR4_PAE  (1ull << 5)
#define EFER_LME (1ull << 8)
#define EFER_LMA (1ull << 10)

/* The vCPU state at the kernel's 64-bit entry. ds applies to DS, ES, SS, FS and
 * GS alike. CPL is 0. */
struct linux_entry {
    uint64_t rip;    /* kernel load address + 0x200 */
    uint64_t rsi;    /* boot_params */
    uint64_t rsp;    /* a small boot stack (the kernel sets its own at once) */
    uint64_t rflags; /* 0x2: interrupts off */
    uint64_t cr0, cr3, cr4, efer;
    uint64_t gdtr_base;
    uint16_t gdtr_limit;
    uint64_t idtr_base; /* empty IDT: nothing may be delivered before the kernel's */
    uint16_t idtr_limit;
    struct vm_seg cs, ds, tr, ldtr;
};

struct linux_boot_input {
    uint64_t ram_size;     /* bytes of guest RAM; the guest_mem passed must hold them all */
    const uint8_t *kernel; /* bzImage file */
    size_t kernel_size;
    const uint8_t *initrd; /* NULL / 0 when there is none */
    size_t initrd_size;
    const char *cmdline;      /* NUL terminated; NULL means empty */
    uint64_t rsdp;            /* guest-physical RSDP for boot_params.acpi_rsdp_addr; 0: none */
    bool efi;                 /* build the EFI handoff (vm/efi.h) at LAYOUT_EFI_BASE */
    uint32_t efi_fw_revision; /* its system table's FirmwareRevision */
};

struct linux_boot {
    struct bzimage image;
    struct guest_layout layout;
    unsigned e820_entries;
    unsigned efi_map_entries; /* 0 without the EFI handoff */
    struct linux_entry entry;
};

/* Validates the image, plans the layout and writes everything into guest RAM
 * (not the ACPI region, which acpi_build() fills). 0 and *out filled, or -1 and
 * *why; nothing the guest sees is meaningful after a failure. */
int linux_boot_setup(const struct guest_mem *gm, const struct linux_boot_input *in,
                     struct linux_boot *out, const char **why);

#endif
