#include "vm/linux_boot.h"

#include "lib/mem.h"
#include "lib/str.h"
#include "vm/boot_pt.h"
#include "vm/bootparam.h"
#include "vm/e820.h"
#include "vm/efi.h"

/* Boot GDT: two null descriptors (selectors 0, 0x08), then flat 4 GiB
 * descriptors for __BOOT_CS (64-bit code) and __BOOT_DS (data), accessed bits
 * set so loading them writes nothing. */
static const uint64_t boot_gdt[] = {
    0,                     /* 0x00: null */
    0,                     /* 0x08: unused */
    0x00AF9B000000FFFFull, /* 0x10: G, L, P, DPL0, code exec/read */
    0x00CF93000000FFFFull, /* 0x18: G, D/B, P, DPL0, data read/write */
};
#define BOOT_GDT_LIMIT (sizeof(boot_gdt) - 1)

static int fail(const char **why, const char *reason)
{
    *why = reason;
    return -1;
}

static uint8_t *zeroed(const struct guest_mem *gm, uint64_t gpa, uint64_t len)
{
    uint8_t *p = gmem_ptr(gm, gpa, len);
    if (p)
        memset(p, 0, len);
    return p;
}

static int copy_in(const struct guest_mem *gm, uint64_t gpa, const void *src, size_t len)
{
    uint8_t *p = gmem_ptr(gm, gpa, len);
    if (!p)
        return -1;
    memcpy(p, src, len);
    return 0;
}

static void fill_boot_params(struct boot_params *bp, const struct linux_boot_input *in,
                             const struct linux_boot *lb)
{
    /* The setup header from the image, as far as it goes (at most up to the
     * e820 area's neighbour at 0x290); everything else stays zero. */
    size_t hdr_end = lb->image.header_end < 0x290 ? lb->image.header_end : 0x290;
    memcpy((uint8_t *)bp + BP_HDR_OFFSET, in->kernel + BP_HDR_OFFSET, hdr_end - BP_HDR_OFFSET);

    struct setup_header *h = &bp->hdr;
    h->type_of_loader = BP_LOADER_UNKNOWN;
    /* No real-mode setup runs on the 64-bit path, so CAN_USE_HEAP/heap_end_ptr
     * mean nothing; KEEP_SEGMENTS is obsolete; QUIET would hide early output. */
    h->loadflags &= (uint8_t) ~(BP_CAN_USE_HEAP | BP_KEEP_SEGMENTS | BP_QUIET_FLAG);
    h->heap_end_ptr = 0;
    h->code32_start = (uint32_t)lb->layout.kernel;
    h->ramdisk_image = (uint32_t)lb->layout.initrd;
    h->ramdisk_size = (uint32_t)lb->layout.initrd_size;
    bp->ext_ramdisk_image = (uint32_t)(lb->layout.initrd >> 32);
    bp->ext_ramdisk_size = (uint32_t)(lb->layout.initrd_size >> 32);
    h->cmd_line_ptr = (uint32_t)LAYOUT_CMDLINE;
    bp->ext_cmd_line_ptr = (uint32_t)(LAYOUT_CMDLINE >> 32);
    h->hardware_subarch = 0; /* a plain PC */
    h->hardware_subarch_data = 0;
    h->setup_data = 0; /* no setup_data chain: never follow the image's bytes */
    bp->acpi_rsdp_addr = in->rsdp;
}

static void fill_entry(struct linux_entry *e, uint64_t kernel, uint64_t cr3)
{
    memset(e, 0, sizeof(*e));
    e->rip = kernel + BZ_ENTRY64_OFFSET;
    e->rsi = LAYOUT_BOOT_PARAMS;
    e->rsp = LAYOUT_STACK_TOP;
    e->rflags = 0x2; /* bit 1 is reserved-one; IF clear */
    e->cr0 = CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_PG;
    e->cr3 = cr3;
    e->cr4 = CR4_PAE;
    e->efer = EFER_LME | EFER_LMA;
    e->gdtr_base = LAYOUT_GDT;
    e->gdtr_limit = BOOT_GDT_LIMIT;
    e->cs = (struct vm_seg){BOOT_CS, SEG_ATTR_CODE64, 0xFFFFFFFF, 0};
    e->ds = (struct vm_seg){BOOT_DS, SEG_ATTR_DATA, 0xFFFFFFFF, 0};
    e->tr = (struct vm_seg){0, SEG_ATTR_TSS64, 0xFFFF, 0};
    e->ldtr = (struct vm_seg){0, SEG_ATTR_LDT, 0xFFFF, 0};
}

int linux_boot_setup(const struct guest_mem *gm, const struct linux_boot_input *in,
                     struct linux_boot *out, const char **why)
{
    struct linux_boot lb;
    memset(&lb, 0, sizeof(lb));
    if (!in->kernel)
        return fail(why, "no kernel image");
    if (in->initrd_size && !in->initrd)
        return fail(why, "initrd size given without initrd bytes");
    if (gm->size < in->ram_size)
        return fail(why, "guest memory smaller than the RAM size to describe");
    if (bzimage_check(in->kernel, in->kernel_size, &lb.image, why))
        return -1;
    if (layout_plan(in->ram_size, &lb.image, in->initrd_size, &lb.layout, why))
        return -1;
    const char *cmdline = in->cmdline ? in->cmdline : "";
    size_t cmd_len = str_nlen(cmdline, LAYOUT_CMDLINE_MAX);
    if (cmd_len >= LAYOUT_CMDLINE_MAX)
        return fail(why, "command line longer than 4095 bytes");
    if (cmd_len > lb.image.cmdline_size)
        return fail(why, "command line longer than the kernel's cmdline_size");

    /* The IVT/BDA page too: the kernel's decompressor reads the EBDA pointer
     * and base memory size there to place its trampoline; zero means defaults. */
    uint8_t *bda = zeroed(gm, LAYOUT_BDA, PAGE_SIZE);
    uint8_t *gdt = zeroed(gm, LAYOUT_GDT, PAGE_SIZE);
    uint8_t *stack = zeroed(gm, LAYOUT_STACK_BASE, LAYOUT_STACK_TOP - LAYOUT_STACK_BASE);
    struct boot_params *bp = (struct boot_params *)zeroed(gm, LAYOUT_BOOT_PARAMS, BP_SIZE);
    uint8_t *cmd = zeroed(gm, LAYOUT_CMDLINE, LAYOUT_CMDLINE_MAX);
    if (!bda || !gdt || !stack || !bp || !cmd)
        return fail(why, "boot structures outside guest RAM");
    memcpy(gdt, boot_gdt, sizeof(boot_gdt));
    memcpy(cmd, cmdline, cmd_len);

    uint64_t cr3;
    if (boot_pt_build(gm, lb.layout.map_size, &cr3, why))
        return -1;
    unsigned n;
    if (e820_build_efi(in->ram_size, in->efi, bp->e820_table, BP_E820_MAX, &n, why))
        return -1;
    bp->e820_entries = (uint8_t)n;
    lb.e820_entries = n;
    fill_boot_params(bp, in, &lb);
    if (in->efi) {
        /* EFI_BOOT for the guest: "EL64", the system table and the map. */
        uint8_t *region = gmem_ptr(gm, LAYOUT_EFI_BASE, EFI_REGION_SIZE);
        struct efi_info info;
        if (!region)
            return fail(why, "EFI handoff outside guest RAM");
        if (efi_build(region, LAYOUT_EFI_BASE, bp->e820_table, n, in->efi_fw_revision, &info, why))
            return -1;
        _Static_assert(EFI_REGION_SIZE == LAYOUT_EFI_SIZE, "EFI region");
        _Static_assert(sizeof(info) == sizeof(bp->efi_info), "efi_info");
        memcpy(bp->efi_info, &info, sizeof(info));
        bp->secure_boot = BP_SECURE_BOOT_DISABLED;
        lb.efi_map_entries = info.efi_memmap_size / EFI_MEMDESC_SIZE;
    }

    if (copy_in(gm, lb.layout.kernel, in->kernel + lb.image.payload_offset, lb.image.payload_size))
        return fail(why, "kernel does not fit in guest memory");
    if (lb.layout.initrd_size && copy_in(gm, lb.layout.initrd, in->initrd, lb.layout.initrd_size))
        return fail(why, "initrd does not fit in guest memory");

    fill_entry(&lb.entry, lb.layout.kernel, cr3);
    *out = lb;
    return 0;
}
