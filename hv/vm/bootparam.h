/* The Linux x86 zero page (struct boot_params) and its setup header, byte for
 * byte as arch/x86/include/uapi/asm/bootparam.h and Documentation/x86/boot.rst
 * define them. The setup header also sits at offset 0x1F1 of a bzImage file, so
 * the same offsets describe both. Only the fields vmbhv reads or writes are
 * named; the rest is padding that stays zero. */
#ifndef HV_VM_BOOTPARAM_H
#define HV_VM_BOOTPARAM_H

#include <stddef.h>
#include <stdint.h>

#define BP_SIZE           4096u
#define BP_HDR_OFFSET     0x1F1u      /* setup header in the zero page and in the file */
#define BP_HDR_MAGIC      0x53726448u /* "HdrS" */
#define BP_BOOT_FLAG      0xAA55u
#define BP_E820_MAX       128u  /* E820_MAX_ENTRIES_ZEROPAGE */
#define BP_LOADER_UNKNOWN 0xFFu /* type_of_loader: "undefined" boot loader */

/* secure_boot (enum efi_secureboot_mode) */
#define BP_SECURE_BOOT_DISABLED 2u

/* loadflags */
#define BP_LOADED_HIGH   0x01u /* protected-mode code loads at 0x100000 or above */
#define BP_KASLR_FLAG    0x02u /* set by the kernel itself */
#define BP_QUIET_FLAG    0x20u
#define BP_KEEP_SEGMENTS 0x40u
#define BP_CAN_USE_HEAP  0x80u

/* xloadflags */
#define BP_XLF_KERNEL_64              0x01u /* 64-bit entry at load address + 0x200 */
#define BP_XLF_CAN_BE_LOADED_ABOVE_4G 0x02u

/* e820 types (boot protocol numbering) */
#define E820_RAM      1u
#define E820_RESERVED 2u
#define E820_ACPI     3u /* ACPI reclaimable: the tables live here */
#define E820_NVS      4u

struct boot_e820_entry {
    uint64_t addr;
    uint64_t size;
    uint32_t type;
} __attribute__((packed));
_Static_assert(sizeof(struct boot_e820_entry) == 20, "boot_e820_entry layout");

struct setup_header {
    uint8_t setup_sects;            /* 0x1F1 */
    uint16_t root_flags;            /* 0x1F2 */
    uint32_t syssize;               /* 0x1F4: protected-mode code, 16-byte units */
    uint16_t ram_size;              /* 0x1F8 */
    uint16_t vid_mode;              /* 0x1FA */
    uint16_t root_dev;              /* 0x1FC */
    uint16_t boot_flag;             /* 0x1FE: 0xAA55 */
    uint16_t jump;                  /* 0x200: EB xx, xx = header length - 2 */
    uint32_t header;                /* 0x202: "HdrS" */
    uint16_t version;               /* 0x206: boot protocol, e.g. 0x020F */
    uint32_t realmode_swtch;        /* 0x208 */
    uint16_t start_sys_seg;         /* 0x20C */
    uint16_t kernel_version;        /* 0x20E */
    uint8_t type_of_loader;         /* 0x210 */
    uint8_t loadflags;              /* 0x211 */
    uint16_t setup_move_size;       /* 0x212 */
    uint32_t code32_start;          /* 0x214 */
    uint32_t ramdisk_image;         /* 0x218 */
    uint32_t ramdisk_size;          /* 0x21C */
    uint32_t bootsect_kludge;       /* 0x220 */
    uint16_t heap_end_ptr;          /* 0x224 */
    uint8_t ext_loader_ver;         /* 0x226 */
    uint8_t ext_loader_type;        /* 0x227 */
    uint32_t cmd_line_ptr;          /* 0x228 */
    uint32_t initrd_addr_max;       /* 0x22C */
    uint32_t kernel_alignment;      /* 0x230 */
    uint8_t relocatable_kernel;     /* 0x234 */
    uint8_t min_alignment;          /* 0x235 */
    uint16_t xloadflags;            /* 0x236 */
    uint32_t cmdline_size;          /* 0x238: max length without the NUL */
    uint32_t hardware_subarch;      /* 0x23C */
    uint64_t hardware_subarch_data; /* 0x240 */
    uint32_t payload_offset;        /* 0x248 */
    uint32_t payload_length;        /* 0x24C */
    uint64_t setup_data;            /* 0x250 */
    uint64_t pref_address;          /* 0x258 */
    uint32_t init_size;             /* 0x260 */
    uint32_t handover_offset;       /* 0x264 */
    uint32_t kernel_info_offset;    /* 0x268: protocol 2.15 */
} __attribute__((packed));
_Static_assert(sizeof(struct setup_header) == 0x26C - BP_HDR_OFFSET, "setup_header layout");

struct boot_params {
    uint8_t screen_info[0x40];       /* 0x000: zero = no video console */
    uint8_t apm_bios_info[0x14];     /* 0x040 */
    uint8_t pad2[4];                 /* 0x054 */
    uint64_t tboot_addr;             /* 0x058 */
    uint8_t ist_info[0x10];          /* 0x060 */
    uint64_t acpi_rsdp_addr;         /* 0x070 */
    uint8_t pad3[8];                 /* 0x078 */
    uint8_t hd0_info[16];            /* 0x080 */
    uint8_t hd1_info[16];            /* 0x090 */
    uint8_t sys_desc_table[0x10];    /* 0x0A0 */
    uint8_t olpc_ofw_header[0x10];   /* 0x0B0 */
    uint32_t ext_ramdisk_image;      /* 0x0C0: bits 32..63 of ramdisk_image */
    uint32_t ext_ramdisk_size;       /* 0x0C4 */
    uint32_t ext_cmd_line_ptr;       /* 0x0C8 */
    uint8_t pad4[112];               /* 0x0CC */
    uint32_t cc_blob_address;        /* 0x13C */
    uint8_t edid_info[0x80];         /* 0x140 */
    uint8_t efi_info[0x20];          /* 0x1C0: zero = not an EFI boot */
    uint32_t alt_mem_k;              /* 0x1E0 */
    uint32_t scratch;                /* 0x1E4 */
    uint8_t e820_entries;            /* 0x1E8 */
    uint8_t eddbuf_entries;          /* 0x1E9 */
    uint8_t edd_mbr_sig_buf_entries; /* 0x1EA */
    uint8_t kbd_status;              /* 0x1EB */
    uint8_t secure_boot;             /* 0x1EC */
    uint8_t pad5[2];                 /* 0x1ED */
    uint8_t sentinel;                /* 0x1EF: non-zero makes the kernel wipe fields */
    uint8_t pad6[1];                 /* 0x1F0 */
    struct setup_header hdr;         /* 0x1F1 */
    uint8_t pad7[0x290 - 0x26C];     /* 0x26C: room for longer future headers */
    uint32_t edd_mbr_sig_buffer[16]; /* 0x290 */
    struct boot_e820_entry e820_table[BP_E820_MAX]; /* 0x2D0 */
    uint8_t pad8[48];                               /* 0xCD0 */
    uint8_t eddbuf[6 * 82];                         /* 0xD00 */
    uint8_t pad9[276];                              /* 0xEEC */
} __attribute__((packed));
_Static_assert(sizeof(struct boot_params) == BP_SIZE, "boot_params is one page");
_Static_assert(offsetof(struct boot_params, acpi_rsdp_addr) == 0x070, "acpi_rsdp_addr");
_Static_assert(offsetof(struct boot_params, ext_ramdisk_image) == 0x0C0, "ext_ramdisk_image");
_Static_assert(offsetof(struct boot_params, ext_cmd_line_ptr) == 0x0C8, "ext_cmd_line_ptr");
_Static_assert(offsetof(struct boot_params, cc_blob_address) == 0x13C, "cc_blob_address");
_Static_assert(offsetof(struct boot_params, efi_info) == 0x1C0, "efi_info");
_Static_assert(offsetof(struct boot_params, e820_entries) == 0x1E8, "e820_entries");
_Static_assert(offsetof(struct boot_params, sentinel) == 0x1EF, "sentinel");
_Static_assert(offsetof(struct boot_params, hdr) == BP_HDR_OFFSET, "hdr");
_Static_assert(offsetof(struct boot_params, hdr.boot_flag) == 0x1FE, "boot_flag");
_Static_assert(offsetof(struct boot_params, hdr.header) == 0x202, "header");
_Static_assert(offsetof(struct boot_params, hdr.version) == 0x206, "version");
_Static_assert(offsetof(struct boot_params, hdr.type_of_loader) == 0x210, "type_of_loader");
_Static_assert(offsetof(struct boot_params, hdr.loadflags) == 0x211, "loadflags");
_Static_assert(offsetof(struct boot_params, hdr.code32_start) == 0x214, "code32_start");
_Static_assert(offsetof(struct boot_params, hdr.ramdisk_image) == 0x218, "ramdisk_image");
_Static_assert(offsetof(struct boot_params, hdr.cmd_line_ptr) == 0x228, "cmd_line_ptr");
_Static_assert(offsetof(struct boot_params, hdr.kernel_alignment) == 0x230, "kernel_alignment");
_Static_assert(offsetof(struct boot_params, hdr.xloadflags) == 0x236, "xloadflags");
_Static_assert(offsetof(struct boot_params, hdr.cmdline_size) == 0x238, "cmdline_size");
_Static_assert(offsetof(struct boot_params, hdr.pref_address) == 0x258, "pref_address");
_Static_assert(offsetof(struct boot_params, hdr.init_size) == 0x260, "init_size");
_Static_assert(offsetof(struct boot_params, e820_table) == 0x2D0, "e820_table");
_Static_assert(offsetof(struct boot_params, eddbuf) == 0xD00, "eddbuf");

/* Offset of a setup-header field in the zero page and in the bzImage file. */
#define BP_HDR(field) offsetof(struct boot_params, hdr.field)

#endif
