/* The loader → hypervisor handoff ABI. Bump HV_BOOT_VERSION on any layout change. */
#ifndef HV_BOOT_INFO_H
#define HV_BOOT_INFO_H

#include <stdint.h>

#define HV_BOOT_MAGIC   0x4f4f42564842564dull /* "MVBHVBOO" little-endian */
#define HV_BOOT_VERSION 8u

#define HV_PATH_MAX      128
#define HV_CMDLINE_MAX   1024
#define HV_BOOT_MMAP_MAX 512

/* How the run ends: QEMU's isa-debug-exit port if present, else ACPI S5. */
#define HV_DEFAULT_DEBUG_EXIT_PORT 0xf4

enum hv_selftest {
    HV_SELFTEST_NONE = 0,
    HV_SELFTEST_EXCEPTION = 1, /* take a #UD inside the hypervisor after the banner */
};

#define HV_DEVICES_MAX       16
#define HV_DEVNAME_MAX       16
#define HV_DEVICE_PARAMS_MAX 96

/* One "device = <kind> [name=<n>] [instance=<guid>|auto] key=value ..." line
 * of hv.cfg. The loader parses only what every kind has (the kind's word,
 * name, instance) and passes the kind's own words through as text: the
 * hypervisor's device registry (hv/devices/kinds.c) knows the kinds, parses
 * the rest and names the line in its errors. */
struct hv_device_config {
    uint32_t line; /* in hv.cfg */
    uint32_t reserved;
    uint8_t instance[16]; /* GUID as on the wire; all zero: derived from the name */
    char kind[HV_DEVNAME_MAX];
    char name[HV_DEVNAME_MAX];         /* given, or <kind><index> */
    char params[HV_DEVICE_PARAMS_MAX]; /* the other words, one blank apart */
};
_Static_assert(sizeof(struct hv_device_config) == 24 + 2 * HV_DEVNAME_MAX + HV_DEVICE_PARAMS_MAX,
               "hv_device_config");

/* The one kind whose line gets host memory from the loader: a video device's
 * VRAM must be allocated before the firmware exits. The loader reserves the
 * most a video device can take (its mmio_mb, hv/devices/video.h) and records
 * the screen at the video device's default resolution. */
#define HV_VRAM_KIND            "video"
#define HV_VRAM_MB              64u
#define HV_VIDEO_DEFAULT_WIDTH  1024u
#define HV_VIDEO_DEFAULT_HEIGHT 768u

/* "trace = <class>,..." of hv.cfg: which event classes the hypervisor
 * decodes onto its log ("hv: trace: <class>: ..."; README, docs/vmbus.md).
 * Bit i is the class {HV_TRACE_CLASS_NAMES}[i]. */
#define HV_TRACE_VMBUS       (1u << 0) /* every channel message, both directions */
#define HV_TRACE_RING        (1u << 1) /* channel packets and signals */
#define HV_TRACE_SYNIC       (1u << 2) /* SynIC posts, deliveries, EOMs, events */
#define HV_TRACE_HYPERCALL   (1u << 3) /* hypercalls by name with their status */
#define HV_TRACE_EXIT        (1u << 4) /* exits by reason with RIP */
#define HV_TRACE_CLASSES     5u
#define HV_TRACE_CLASS_NAMES "vmbus", "ring", "synic", "hypercall", "exit"

/* "fault = <when> <what> [key=value...]" lines of hv.cfg: faults the VMBus
 * host commits on purpose (docs/faults.md; hv/vmbus/fault.c). */
#define HV_FAULTS_MAX 16
enum hv_fault_when {
    HV_FAULT_ALWAYS = 1,  /* every matching event */
    HV_FAULT_AT = 2,      /* from when_n ms of the guest's time on */
    HV_FAULT_AFTER = 3,   /* after when_n matching events went through */
    HV_FAULT_ON_OPEN = 4, /* the guest's OPENCHANNEL of the channel (rescind) */
};
enum hv_fault_what {
    HV_FAULT_DELAY = 1,           /* hold a host->guest message type for ms */
    HV_FAULT_REFUSE_VERSIONS = 2, /* INITIATE_CONTACT at or above value: not supported */
    HV_FAULT_REFUSE_GPADL = 3,    /* GPADL_CREATED with status value */
    HV_FAULT_REFUSE_OPEN = 4,     /* OPENCHANNEL_RESULT with status value */
    HV_FAULT_RESCIND = 5,         /* rescind the channel, re-offer after ms (0: never) */
    HV_FAULT_STALL = 6,           /* stop reading the guest->host ring for ms */
    HV_FAULT_DROP = 7,            /* a host->guest packet is not written */
    HV_FAULT_DUPLICATE = 8,       /* a host->guest packet is written twice */
    HV_FAULT_NO_SIGNAL = 9,       /* a host->guest packet is not signalled */
    HV_FAULT_CORRUPT = 10,        /* one header byte of a host->guest packet (value: field) */
    HV_FAULT_RANDOM = 11,         /* seed-driven delays and stalls (ms: seed, value: rate) */
    HV_FAULT_REORDER = 12,        /* a host->guest packet held until the next (or ms) */
    HV_FAULT_MASK = 13,           /* the interrupt mask (value: mode; held: ms = packets) */
    HV_FAULT_BAD_VERSION = 14,    /* a device negotiates offering only version value */
    HV_FAULT_UNSOLICITED = 15,    /* send msgtype unasked (value: its relid) */
};
/* mask's mode= (hv_fault_config.value) */
enum hv_fault_mask_mode { HV_FAULT_MASK_SPURIOUS = 0, HV_FAULT_MASK_HELD = 1 };
/* corrupt's field= (hv_fault_config.value) */
enum hv_fault_field { HV_FAULT_FIELD_TRANS = 0, HV_FAULT_FIELD_TYPE = 1 };
struct hv_fault_config {
    uint32_t line; /* in hv.cfg, for the log */
    uint8_t when;  /* enum hv_fault_when */
    uint8_t what;  /* enum hv_fault_what */
    uint16_t msgtype;
    uint32_t when_n; /* at: ms; after: events let through first */
    uint32_t count;  /* events it acts on once due; 0: all of them */
    uint32_t ms;     /* delay, stall; rescind: re-offer after (0: never); random: seed;
                        reorder: the time-out; mask held: packets */
    uint32_t value;  /* refuse-gpadl/-open: NTSTATUS; refuse-versions: version; corrupt:
                        enum hv_fault_field; random: rate in events per 1000; mask:
                        enum hv_fault_mask_mode; bad-version: the version; unsolicited:
                        the message's relid */
    char channel[HV_DEVNAME_MAX]; /* a device's name; "" for connection-wide faults */
};
_Static_assert(sizeof(struct hv_fault_config) == 24 + HV_DEVNAME_MAX, "hv_fault_config");

/* Values from hv.cfg, parsed and validated by the loader (hv/lib/config.c);
 * the device lines' own words by the hypervisor (hv/devices/devices.c). */
struct hv_config {
    uint32_t memory_mb;       /* guest RAM, MiB */
    uint32_t heap_mb;         /* hypervisor heap, MiB */
    uint32_t debug_exit_port; /* 0: none */
    uint32_t selftest;        /* enum hv_selftest */
    uint32_t mmio_high_mb;    /* size of the high MMIO gap; 0: sized from the requests */
    uint32_t shutdown_after;  /* seconds from the guest's start to the shutdown request; 0: never */
    uint32_t device_count;
    uint32_t trace; /* HV_TRACE_* bits; 0: no trace */
    uint32_t fault_count;
    uint32_t vcpus;           /* the guest's VPs, 1..8; 0: two, or one on a machine with one CPU */
    char kernel[HV_PATH_MAX]; /* path on the boot volume, "" if none */
    char initrd[HV_PATH_MAX];
    char cmdline[HV_CMDLINE_MAX]; /* guest kernel command line */
    struct hv_device_config devices[HV_DEVICES_MAX];
    struct hv_fault_config faults[HV_FAULTS_MAX];
};
_Static_assert(sizeof(struct hv_config) == 40 + 2 * HV_PATH_MAX + HV_CMDLINE_MAX +
                                               HV_DEVICES_MAX * sizeof(struct hv_device_config) +
                                               HV_FAULTS_MAX * sizeof(struct hv_fault_config),
               "hv_config layout");

struct hv_region {
    uint64_t base; /* physical address */
    uint64_t size; /* bytes */
};
_Static_assert(sizeof(struct hv_region) == 16, "hv_region layout");

/* A file the loader read from the boot volume. */
struct hv_image {
    uint64_t base;
    uint64_t size;
    char path[HV_PATH_MAX];
};
_Static_assert(sizeof(struct hv_image) == 16 + HV_PATH_MAX, "hv_image layout");

/* UEFI memory types, as the firmware reported them. */
enum hv_mem_type {
    HV_MEM_RESERVED = 0,
    HV_MEM_LOADER_CODE = 1,
    HV_MEM_LOADER_DATA = 2,
    HV_MEM_BOOT_CODE = 3,
    HV_MEM_BOOT_DATA = 4,
    HV_MEM_RUNTIME_CODE = 5,
    HV_MEM_RUNTIME_DATA = 6,
    HV_MEM_CONVENTIONAL = 7,
    HV_MEM_UNUSABLE = 8,
    HV_MEM_ACPI_RECLAIM = 9,
    HV_MEM_ACPI_NVS = 10,
    HV_MEM_MMIO = 11,
    HV_MEM_MMIO_PORT = 12,
    HV_MEM_PAL_CODE = 13,
    HV_MEM_PERSISTENT = 14,
    HV_MEM_TYPE_COUNT
};

struct hv_mmap_entry {
    uint32_t type; /* enum hv_mem_type */
    uint32_t reserved;
    uint64_t base;
    uint64_t pages; /* 4 KiB pages */
    uint64_t attr;  /* UEFI attribute bits */
};
_Static_assert(sizeof(struct hv_mmap_entry) == 32, "hv_mmap_entry layout");

/* The firmware's GOP framebuffer as the loader left it (the machine's
 * screen), or size 0 without one (headless firmware, a BLT-only mode). */
enum hv_pixel_format {
    HV_PIXEL_RGBX = 0, /* UEFI PixelRedGreenBlueReserved8BitPerColor */
    HV_PIXEL_BGRX = 1, /* PixelBlueGreenRedReserved8BitPerColor */
    HV_PIXEL_MASK = 2, /* PixelBitMask: the masks below */
};

struct hv_display {
    uint64_t base; /* physical address of pixel (0, 0) */
    uint64_t size; /* bytes */
    uint32_t width, height;
    uint32_t stride; /* pixels per scan line */
    uint32_t format; /* enum hv_pixel_format */
    uint32_t red_mask, green_mask, blue_mask, reserved_mask;
};
_Static_assert(sizeof(struct hv_display) == 48, "hv_display layout");

/* hv_boot_info.boot_disk: the PCI function the firmware booted the loader
 * from, so the hypervisor never drives that disk (hv/drivers/disks.c). */
#define HV_BOOT_DISK_VALID      (1u << 31)
#define HV_BOOT_DISK_SEGMENT(v) (((v) >> 16) & 0x7fff)
#define HV_BOOT_DISK_BDF(v)     ((v)&0xffff)
#define HV_BOOT_DISK(seg, bdf)  (HV_BOOT_DISK_VALID | (uint32_t)(seg) << 16 | (bdf))

/* The AP start-up trampoline's pages (hv/arch/x86/trampoline.asm): its code
 * and data, then a page-table root it can load in 32-bit mode. */
#define HV_TRAMPOLINE_PAGES 2u

struct hv_boot_info {
    uint64_t magic;
    uint32_t version;
    uint32_t size;              /* sizeof(struct hv_boot_info) as the loader built it */
    struct hv_region hv_image;  /* where the loader placed hv.elf's segments */
    struct hv_region heap;      /* hypervisor heap (page tables, VMCB, ...) */
    struct hv_region guest_ram; /* 2 MiB aligned, config.memory_mb */
    struct hv_region vram;      /* HV_VRAM_MB, 2 MiB aligned, with a video device; else size 0 */
    /* HV_TRAMPOLINE_PAGES below 1 MiB for starting the other CPUs (a SIPI
     * names a page there); size 0: none */
    struct hv_region trampoline;
    struct hv_display display;
    uint64_t rsdp;          /* firmware ACPI RSDP, 0 if none */
    uint64_t entry;         /* physical address jumped to */
    struct hv_image kernel; /* size 0 if none configured */
    struct hv_image initrd;
    struct hv_config config;
    uint32_t mmap_count;
    uint32_t boot_disk; /* the boot volume's PCI function (HV_BOOT_DISK_*), 0: unknown */
    struct hv_mmap_entry mmap[HV_BOOT_MMAP_MAX];
};
_Static_assert(sizeof(struct hv_boot_info) ==
                   16 + 5 * 16 + sizeof(struct hv_display) + 16 + 2 * sizeof(struct hv_image) +
                       sizeof(struct hv_config) + 8 + HV_BOOT_MMAP_MAX * 32,
               "hv_boot_info layout");
_Static_assert(__builtin_offsetof(struct hv_boot_info, trampoline) == 80, "hv_boot_info layout");

#endif
