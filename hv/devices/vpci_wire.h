/* The Hyper-V virtual PCI (vPCI) wire format, as Linux's pci-hyperv
 * (drivers/pci/controller/pci-hyperv.c, the guest side and the judge) sends
 * and reads it, cross-checked with OpenVMM's vpci_protocol (a host side):
 * every in-band packet starts with a u32 message type, little endian,
 * packed (docs/vpci.md). Constants and layouts only. */
#ifndef HV_DEVICES_VPCI_WIRE_H
#define HV_DEVICES_VPCI_WIRE_H

#include <stddef.h>
#include <stdint.h>

/* The channel's interface type: 44c4f61d-4444-4400-9d52-802e27ede19f. */
#define VPCI_CLASS_GUID                                                                            \
    {                                                                                              \
        0x44c4f61d, 0x4444, 0x4400,                                                                \
        {                                                                                          \
            0x9d, 0x52, 0x80, 0x2e, 0x27, 0xed, 0xe1, 0x9f                                         \
        }                                                                                          \
    }

/* Protocol versions: major in the high 16 bits. Linux 6.1 and 6.12 ask 1.4,
 * 1.3, 1.2, 1.1 in that order and take the first the host accepts. */
#define VPCI_VERSION(major, minor) ((uint32_t)(((major) << 16) | (minor)))
#define VPCI_VERSION_1_1           VPCI_VERSION(1, 1) /* Windows 10 */
#define VPCI_VERSION_1_2           VPCI_VERSION(1, 2) /* RS1: RESOURCES_ASSIGNED2, interrupt 2 */
#define VPCI_VERSION_1_3           VPCI_VERSION(1, 3) /* Vibranium: BUS_RELATIONS2 */
#define VPCI_VERSION_1_4           VPCI_VERSION(1, 4) /* WS2022: CREATE_INTERRUPT3 */

enum vpci_message_type {
    VPCI_BUS_RELATIONS = 0x42490000,       /* host -> guest, in-band */
    VPCI_QUERY_BUS_RELATIONS = 0x42490001, /* no completion */
    VPCI_POWER_STATE_CHANGE = 0x42490004,  /* "fdo power" of one function */
    VPCI_QUERY_RESOURCE_REQUIREMENTS = 0x42490005,
    VPCI_BUS_D0ENTRY = 0x42490007,
    VPCI_BUS_D0EXIT = 0x42490008,
    VPCI_EJECT = 0x4249000B,             /* host -> guest, in-band */
    VPCI_EJECTION_COMPLETE = 0x4249000F, /* no completion */
    VPCI_RESOURCES_ASSIGNED = 0x42490010,
    VPCI_RESOURCES_RELEASED = 0x42490011, /* no completion */
    VPCI_INVALIDATE_BLOCK = 0x42490012,   /* host -> guest, in-band */
    VPCI_QUERY_PROTOCOL_VERSION = 0x42490013,
    VPCI_CREATE_INTERRUPT = 0x42490014,
    VPCI_DELETE_INTERRUPT = 0x42490015, /* no completion */
    VPCI_RESOURCES_ASSIGNED2 = 0x42490016,
    VPCI_CREATE_INTERRUPT2 = 0x42490017,
    VPCI_BUS_RELATIONS2 = 0x42490019, /* host -> guest, in-band */
    VPCI_CREATE_INTERRUPT3 = 0x4249001B,
};

/* Completion statuses (s32, negative fails). A version reply of
 * REVISION_MISMATCH makes the guest try its next version; any other negative
 * status fails what it answers. */
#define VPCI_STATUS_SUCCESS                0x00000000u
#define VPCI_STATUS_INVALID_PARAMETER      0xC000000Du
#define VPCI_STATUS_REVISION_MISMATCH      0xC0000059u
#define VPCI_STATUS_NOT_SUPPORTED          0xC00000BBu
#define VPCI_STATUS_INSUFFICIENT_RESOURCES 0xC000009Au
#define VPCI_STATUS_INVALID_DEVICE_STATE   0xC0000184u
#define VPCI_STATUS_BAD_DATA               0xC000090Bu

/* A function's slot: bits 0-4 device, 5-7 function, the rest zero
 * (pci-hyperv's union win_slot_encoding). */
#define VPCI_WSLOT(dev, fn)    ((uint32_t)((dev) | ((fn) << 5)))
#define VPCI_WSLOT_VALID(slot) (((slot) & ~0xffu) == 0)

/* Windows' device power states (POWER_STATE_CHANGE). */
#define VPCI_POWER_D0 1u
#define VPCI_POWER_D3 4u

/* The config window the guest places with D0 entry: page 0 selects a
 * function (a 32-bit write of its wslot), page 1 is that function's config
 * space (CFG_PAGE_OFFSET). */
#define VPCI_WINDOW_SIZE 0x2000u
#define VPCI_CFG_OFFSET  0x1000u
#define VPCI_CFG_SIZE    0x1000u
#define VPCI_BARS        6u

/* --- guest -> host ----------------------------------------------------------------------- */

struct vpci_message { /* every packet begins so; QUERY_BUS_RELATIONS is only this */
    uint32_t type;
} __attribute__((packed));
_Static_assert(sizeof(struct vpci_message) == 4, "vpci_message");

/* QUERY_RESOURCE_REQUIREMENTS, RESOURCES_RELEASED; host -> guest EJECT. */
struct vpci_child_message {
    uint32_t type;
    uint32_t wslot;
} __attribute__((packed));
_Static_assert(sizeof(struct vpci_child_message) == 8, "vpci_child_message");

struct vpci_version_request {
    uint32_t type;
    uint32_t version;
} __attribute__((packed));
_Static_assert(sizeof(struct vpci_version_request) == 8, "vpci_version_request");

struct vpci_d0_entry {
    uint32_t type;
    uint32_t reserved;
    uint64_t mmio_base; /* the config window's guest-physical address */
} __attribute__((packed));
_Static_assert(sizeof(struct vpci_d0_entry) == 16, "vpci_d0_entry");
_Static_assert(offsetof(struct vpci_d0_entry, mmio_base) == 8, "vpci_d0_entry.mmio_base");

struct vpci_power_change { /* POWER_STATE_CHANGE */
    uint32_t type;
    uint32_t wslot;
    uint32_t power_state; /* VPCI_POWER_D0 / _D3 */
    uint32_t reserved;
} __attribute__((packed));
_Static_assert(sizeof(struct vpci_power_change) == 16, "vpci_power_change");

/* Linux sends the memory ranges zeroed and msi count 0; only the status of
 * the completion is read. */
struct vpci_resources_assigned {
    uint32_t type;
    uint32_t wslot;
    uint8_t memory_range[6][20];
    uint32_t msi_descriptors;
    uint32_t reserved[4];
} __attribute__((packed));
_Static_assert(sizeof(struct vpci_resources_assigned) == 148, "vpci_resources_assigned");
_Static_assert(offsetof(struct vpci_resources_assigned, msi_descriptors) == 128,
               "vpci_resources_assigned.msi_descriptors");

struct vpci_resources_assigned2 {
    uint32_t type;
    uint32_t wslot;
    uint8_t memory_range[6][20];
    uint32_t msi_descriptor_count;
    uint8_t reserved[70];
} __attribute__((packed));
_Static_assert(sizeof(struct vpci_resources_assigned2) == 202, "vpci_resources_assigned2");
_Static_assert(offsetof(struct vpci_resources_assigned2, msi_descriptor_count) == 128,
               "vpci_resources_assigned2.msi_descriptor_count");

/* CREATE_INTERRUPT (1.1): the target CPUs as a mask (Linux: all ones). */
struct vpci_msi_desc {
    uint8_t vector;
    uint8_t delivery_mode; /* 0 fixed, 1 lowest priority */
    uint16_t vector_count;
    uint32_t reserved;
    uint64_t cpu_mask;
} __attribute__((packed));
_Static_assert(sizeof(struct vpci_msi_desc) == 16, "vpci_msi_desc");

#define VPCI_MAX_PROCESSORS 32u

/* CREATE_INTERRUPT2 (1.2, 1.3): the target VPs as a list. */
struct vpci_msi_desc2 {
    uint8_t vector;
    uint8_t delivery_mode;
    uint16_t vector_count;
    uint16_t processor_count;
    uint16_t processor_array[VPCI_MAX_PROCESSORS];
} __attribute__((packed));
_Static_assert(sizeof(struct vpci_msi_desc2) == 70, "vpci_msi_desc2");

/* CREATE_INTERRUPT3 (1.4): a 32-bit vector (ARM's LPIs). */
struct vpci_msi_desc3 {
    uint32_t vector;
    uint8_t delivery_mode;
    uint8_t reserved;
    uint16_t vector_count;
    uint16_t processor_count;
    uint16_t processor_array[VPCI_MAX_PROCESSORS];
} __attribute__((packed));
_Static_assert(sizeof(struct vpci_msi_desc3) == 74, "vpci_msi_desc3");

struct vpci_create_interrupt {
    uint32_t type;
    uint32_t wslot;
    struct vpci_msi_desc desc;
} __attribute__((packed));
_Static_assert(sizeof(struct vpci_create_interrupt) == 24, "vpci_create_interrupt");

struct vpci_create_interrupt2 {
    uint32_t type;
    uint32_t wslot;
    struct vpci_msi_desc2 desc;
} __attribute__((packed));
_Static_assert(sizeof(struct vpci_create_interrupt2) == 78, "vpci_create_interrupt2");
_Static_assert(offsetof(struct vpci_create_interrupt2, desc.processor_array) == 14,
               "vpci_create_interrupt2.processor_array");

struct vpci_create_interrupt3 {
    uint32_t type;
    uint32_t wslot;
    struct vpci_msi_desc3 desc;
} __attribute__((packed));
_Static_assert(sizeof(struct vpci_create_interrupt3) == 82, "vpci_create_interrupt3");
_Static_assert(offsetof(struct vpci_create_interrupt3, desc.processor_array) == 18,
               "vpci_create_interrupt3.processor_array");

/* The MSI a CREATE_INTERRUPT got: what the device writes where. */
struct vpci_tran_int_desc {
    uint16_t reserved;
    uint16_t vector_count; /* Linux frees nothing for 0: echo the request's */
    uint32_t data;
    uint64_t address;
} __attribute__((packed));
_Static_assert(sizeof(struct vpci_tran_int_desc) == 16, "vpci_tran_int_desc");

struct vpci_delete_interrupt {
    uint32_t type;
    uint32_t wslot;
    struct vpci_tran_int_desc desc; /* as CREATE_INTERRUPT's completion gave it */
} __attribute__((packed));
_Static_assert(sizeof(struct vpci_delete_interrupt) == 24, "vpci_delete_interrupt");

struct vpci_ejection_complete {
    uint32_t type;
    uint32_t wslot;
    uint32_t status;
} __attribute__((packed));
_Static_assert(sizeof(struct vpci_ejection_complete) == 12, "vpci_ejection_complete");

/* --- host -> guest in-band ---------------------------------------------------------------- */

/* One function as BUS_RELATIONS describes it; the guest synthesises config
 * offsets 0x00-0x03, 0x08-0x0b and 0x2c-0x2f from it. */
struct vpci_func_desc {
    uint16_t vendor_id;
    uint16_t device_id;
    uint8_t revision;
    uint8_t prog_if;
    uint8_t subclass;
    uint8_t base_class;
    uint32_t subsystem_id; /* subsystem vendor in the low 16 bits */
    uint32_t wslot;
    uint32_t serial; /* the guest's slot name: /sys/bus/pci/slots/<serial> */
} __attribute__((packed));
_Static_assert(sizeof(struct vpci_func_desc) == 20, "vpci_func_desc");
_Static_assert(offsetof(struct vpci_func_desc, wslot) == 12, "vpci_func_desc.wslot");

#define VPCI_FUNC_FLAG_NUMA 1u /* virtual_numa_node is valid */

struct vpci_func_desc2 {
    struct vpci_func_desc d;
    uint32_t flags;
    uint16_t virtual_numa_node;
    uint16_t reserved;
} __attribute__((packed));
_Static_assert(sizeof(struct vpci_func_desc2) == 28, "vpci_func_desc2");

/* BUS_RELATIONS(2): this header, then device_count descriptors. */
struct vpci_bus_relations {
    uint32_t type;
    uint32_t device_count;
} __attribute__((packed));
_Static_assert(sizeof(struct vpci_bus_relations) == 8, "vpci_bus_relations");

struct vpci_invalidate_block {
    uint32_t type;
    uint32_t wslot;
    uint64_t block_mask;
} __attribute__((packed));
_Static_assert(sizeof(struct vpci_invalidate_block) == 16, "vpci_invalidate_block");

/* --- host -> guest completions ------------------------------------------------------------- */
/* Every completion's payload begins with the s32 status. The guest drops a
 * packet of 20 bytes or less with its 16-byte descriptor, so a completion
 * carries at least 8 bytes. */

struct vpci_status_reply { /* version, D0 entry/exit, resources assigned */
    uint32_t status;
    uint32_t reserved; /* the version for a version reply (OpenVMM's); 0 else */
} __attribute__((packed));
_Static_assert(sizeof(struct vpci_status_reply) == 8, "vpci_status_reply");

struct vpci_resources_reply { /* QUERY_RESOURCE_REQUIREMENTS: >= 44 bytes with the descriptor */
    uint32_t status;
    uint32_t probed_bar[VPCI_BARS]; /* what each BAR reads after all ones were written */
} __attribute__((packed));
_Static_assert(sizeof(struct vpci_resources_reply) == 28, "vpci_resources_reply");

struct vpci_power_reply {
    uint32_t status;
    uint32_t wslot;
    uint32_t resultant_state;
    uint32_t reserved;
} __attribute__((packed));
_Static_assert(sizeof(struct vpci_power_reply) == 16, "vpci_power_reply");

struct vpci_interrupt_reply { /* CREATE_INTERRUPT 1, 2 and 3 */
    uint32_t status;
    uint32_t reserved;
    struct vpci_tran_int_desc desc;
} __attribute__((packed));
_Static_assert(sizeof(struct vpci_interrupt_reply) == 24, "vpci_interrupt_reply");
_Static_assert(offsetof(struct vpci_interrupt_reply, desc.data) == 12, "vpci_interrupt_reply.data");
_Static_assert(offsetof(struct vpci_interrupt_reply, desc.address) == 16,
               "vpci_interrupt_reply.address");

#endif
