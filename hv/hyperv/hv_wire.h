/* Hyper-V wire numbers and layouts the guest sees: CPUID leaves, synthetic MSRs,
 * the hypercall control word and status codes, and the guest pages the SynIC,
 * the reference TSC and HvPostMessage use. Values from the TLFS as read by
 * Linux 6.1 (linux-guest-contract.md §1-4); every layout is checked below. */
#ifndef HV_HYPERV_HV_WIRE_H
#define HV_HYPERV_HV_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "page.h"

/* --- CPUID ------------------------------------------------------------------ */
#define HV_CPUID_VENDOR    0x40000000u /* max leaf + "Microsoft Hv" */
#define HV_CPUID_INTERFACE 0x40000001u /* "Hv#1" */
#define HV_CPUID_VERSION   0x40000002u /* host build */
#define HV_CPUID_FEATURES  0x40000003u
#define HV_CPUID_HINTS     0x40000004u
#define HV_CPUID_LIMITS    0x40000005u
#define HV_CPUID_NESTED    0x4000000Au
#define HV_CPUID_MAX_LEAF  HV_CPUID_NESTED

#define HV_VENDOR_EBX    0x7263694Du /* "Micr" */
#define HV_VENDOR_ECX    0x666F736Fu /* "osof" */
#define HV_VENDOR_EDX    0x76482074u /* "t Hv" */
#define HV_INTERFACE_HV1 0x31237648u /* "Hv#1" */

/* 0x40000003 EAX: which synthetic MSRs exist. */
#define HV_FEAT_TIME_REF_COUNT (1u << 1)
#define HV_FEAT_SYNIC          (1u << 2)
#define HV_FEAT_HYPERCALL      (1u << 5) /* HYPERCALL + GUEST_OS_ID */
#define HV_FEAT_APIC_MSRS      (1u << 4) /* EOI, ICR, TPR as MSRs (Linux: AccessApicRegs) */
#define HV_FEAT_VP_INDEX       (1u << 6)
#define HV_FEAT_REFERENCE_TSC  (1u << 9)
#define HV_FEAT_FREQUENCY_MSRS (1u << 11)
/* 0x40000003 EBX: partition privileges. */
#define HV_PRIV_POST_MESSAGES (1u << 4)
#define HV_PRIV_SIGNAL_EVENTS (1u << 5)
/* 0x40000003 EDX: misc features. */
#define HV_MISC_FREQUENCY_MSRS (1u << 8)
/* 0x40000004 EAX: recommendations. */
#define HV_HINT_APIC_MSRS         (1u << 3) /* use the APIC MSRs for EOI, ICR and TPR */
#define HV_HINT_DEPRECATE_AUTOEOI (1u << 9)

/* --- synthetic MSRs ------------------------------------------------------------ */
#define HV_MSR_GUEST_OS_ID    0x40000000u
#define HV_MSR_HYPERCALL      0x40000001u
#define HV_MSR_VP_INDEX       0x40000002u
#define HV_MSR_TIME_REF_COUNT 0x40000020u
#define HV_MSR_REFERENCE_TSC  0x40000021u
#define HV_MSR_TSC_FREQUENCY  0x40000022u
#define HV_MSR_APIC_FREQUENCY 0x40000023u
#define HV_MSR_EOI            0x40000070u
#define HV_MSR_ICR            0x40000071u
#define HV_MSR_TPR            0x40000072u
#define HV_MSR_VP_ASSIST_PAGE 0x40000073u
#define HV_MSR_SCONTROL       0x40000080u
#define HV_MSR_SVERSION       0x40000081u
#define HV_MSR_SIEFP          0x40000082u
#define HV_MSR_SIMP           0x40000083u
#define HV_MSR_EOM            0x40000084u
#define HV_MSR_SINT0          0x40000090u
#define HV_MSR_SINT15         0x4000009Fu
/* The synthetic range Hyper-V defines (through the crash and TSC-invariance
 * MSRs); anything in it we do not implement is a #GP, not somebody else's. */
#define HV_MSR_RANGE_FIRST 0x40000000u
#define HV_MSR_RANGE_LAST  0x400001FFu

/* Page-address MSRs (HYPERCALL, REFERENCE_TSC, VP_ASSIST, SIEFP, SIMP):
 * bit 0 enable, bits 11:1 reserved, bits 63:12 guest page number. */
#define HV_MSR_ENABLE       (1ull << 0)
#define HV_MSR_PAGE_MASK    (~(uint64_t)(PAGE_SIZE - 1))
#define HV_HYPERCALL_LOCKED (1ull << 1)

#define HV_SCONTROL_ENABLE (1ull << 0)
#define HV_SVERSION        1u

#define HV_SINT_COUNT       16u
#define HV_SINT_VECTOR_MASK 0xFFull
#define HV_SINT_MASKED      (1ull << 16)
#define HV_SINT_AUTO_EOI    (1ull << 17)
#define HV_SINT_RESET       HV_SINT_MASKED /* masked, vector 0 */
#define HV_SINT_WRITABLE    (HV_SINT_VECTOR_MASK | HV_SINT_MASKED | HV_SINT_AUTO_EOI)

/* --- hypercalls ------------------------------------------------------------------ */
#define HVCALL_POST_MESSAGE       0x005Cu
#define HVCALL_SIGNAL_EVENT       0x005Du
#define HVCALL_RETARGET_INTERRUPT 0x007Eu

/* Control word (RCX). Bit 31 ("nested") is ours to refuse like the reserved ones. */
#define HV_HC_CODE_MASK     0xFFFFull
#define HV_HC_FAST          (1ull << 16)
#define HV_HC_VARHEAD_SHIFT 17
#define HV_HC_VARHEAD_MASK  0x3FFull
#define HV_HC_REP_CNT_SHIFT 32
#define HV_HC_REP_IDX_SHIFT 48
#define HV_HC_REP_MASK      0xFFFull
#define HV_HC_RSVD_MASK     ((0x1Full << 27) | (0xFull << 44) | (0xFull << 60))
/* Result (RAX): status in 15:0, reps completed in 43:32. */
#define HV_HC_REPS_DONE_SHIFT 32

#define HV_STATUS_SUCCESS                 0x0000u
#define HV_STATUS_INVALID_HYPERCALL_CODE  0x0002u
#define HV_STATUS_INVALID_HYPERCALL_INPUT 0x0003u
#define HV_STATUS_INVALID_ALIGNMENT       0x0004u
#define HV_STATUS_INVALID_PARAMETER       0x0005u
#define HV_STATUS_ACCESS_DENIED           0x0006u
#define HV_STATUS_INSUFFICIENT_MEMORY     0x000Bu
#define HV_STATUS_INVALID_PORT_ID         0x0011u
#define HV_STATUS_INVALID_CONNECTION_ID   0x0012u
#define HV_STATUS_INSUFFICIENT_BUFFERS    0x0013u

/* Connection ids are 24 bits; bits 31:24 are reserved. */
#define HV_CONNECTION_ID_MASK 0x00FFFFFFu

/* --- messages ------------------------------------------------------------------------ */
#define HV_MESSAGE_SIZE         256u
#define HV_MESSAGE_PAYLOAD_SIZE 240u
#define HV_MESSAGE_TYPE_NONE    0u          /* an empty message slot */
#define HV_MESSAGE_TYPE_HV_MASK 0x80000000u /* types the hypervisor itself sends */
#define HV_MESSAGE_FLAG_PENDING 0x01u       /* more messages queued: write EOM */

struct hv_message_header {
    uint32_t message_type;
    uint8_t payload_size;
    uint8_t message_flags;
    uint16_t reserved;
    uint64_t sender; /* port id; Linux ignores it */
};

struct hv_message {
    struct hv_message_header header;
    uint8_t payload[HV_MESSAGE_PAYLOAD_SIZE];
};

/* SIMP page: slot n belongs to SINTn. */
struct hv_message_page {
    struct hv_message slot[HV_SINT_COUNT];
};

/* SIEFP page: 2048 flag bits per SINT; flag k = bit k%8 of byte k/8. */
#define HV_EVENT_FLAGS_BYTES 256u
#define HV_EVENT_FLAGS_COUNT (HV_EVENT_FLAGS_BYTES * 8u)

struct hv_event_flags {
    uint8_t flags[HV_EVENT_FLAGS_BYTES];
};

struct hv_event_flags_page {
    struct hv_event_flags sint[HV_SINT_COUNT];
};

/* HvPostMessage input block (memory form, at an 8-byte aligned GPA). */
struct hv_post_message_input {
    uint32_t connection_id;
    uint32_t reserved;
    uint32_t message_type;
    uint32_t payload_size;
    uint8_t payload[HV_MESSAGE_PAYLOAD_SIZE];
};

/* HvSignalEvent input (RDX in the fast form, or an 8-byte block). */
#define HV_SIGNAL_FLAG_SHIFT 32
#define HV_SIGNAL_FLAG_MASK  0xFFFFull
#define HV_SIGNAL_RSVD_MASK  (0xFFFFull << 48)

struct hv_signal_event_input {
    uint32_t connection_id;
    uint16_t flag_number;
    uint16_t reserved;
};

/* HvRetargetDeviceInterrupt input (pci-hyperv's hv_arch_irq_unmask): which
 * MSI of which device, and the vector and VPs it should now reach. The target
 * is a 64-bit VP mask, or with TARGET_PROCESSOR_SET a VP set whose format
 * overlays the mask: the variable header (8-byte units) is the set's bank mask
 * and banks. */
#define HV_PARTITION_ID_SELF                     0xFFFFFFFFFFFFFFFFull
#define HV_INTERRUPT_SOURCE_MSI                  1u
#define HV_DEVICE_INTERRUPT_TARGET_MULTICAST     1u
#define HV_DEVICE_INTERRUPT_TARGET_PROCESSOR_SET 2u
#define HV_GENERIC_SET_SPARSE_4K                 0ull
#define HV_GENERIC_SET_ALL                       1ull
#define HV_VPSET_BANK_VPS                        64u

struct hv_interrupt_entry {
    uint32_t source; /* HV_INTERRUPT_SOURCE_MSI */
    uint32_t reserved;
    uint32_t msi_address; /* as CREATE_INTERRUPT answered it (low 32 bits) */
    uint32_t msi_data;
};

struct hv_retarget_device_interrupt {
    uint64_t partition_id;
    uint64_t device_id;
    struct hv_interrupt_entry entry;
    uint64_t reserved;
    uint32_t vector;
    uint32_t flags;
    uint64_t vp_mask_or_format; /* the VP mask, or the VP set's format */
};

/* Reference TSC page (MSR 0x40000021). */
struct hv_ref_tsc_page {
    uint32_t sequence; /* 0: invalid, read TIME_REF_COUNT instead */
    uint32_t reserved;
    uint64_t scale; /* floor(2^64 * 10^7 / TSC Hz) */
    int64_t offset; /* ((tsc * scale) >> 64) + offset = reference time */
    uint8_t reserved2[PAGE_SIZE - 24];
};

/* What the hypercall page holds: ENDBR64 (a NOP without CET; IBT kernels check
 * for it right after the MSR write, contract §11.18), VMMCALL, RET. */
#define HV_HYPERCALL_STUB_BYTES 0xF3, 0x0F, 0x1E, 0xFA, 0x0F, 0x01, 0xD9, 0xC3
#define HV_HYPERCALL_STUB_LEN   8u

_Static_assert(sizeof((uint8_t[]){HV_HYPERCALL_STUB_BYTES}) == HV_HYPERCALL_STUB_LEN, "stub");
_Static_assert(sizeof(struct hv_message_header) == 16, "message header");
_Static_assert(offsetof(struct hv_message_header, message_type) == 0, "message_type");
_Static_assert(offsetof(struct hv_message_header, payload_size) == 4, "payload_size");
_Static_assert(offsetof(struct hv_message_header, message_flags) == 5, "message_flags");
_Static_assert(offsetof(struct hv_message_header, reserved) == 6, "header reserved");
_Static_assert(offsetof(struct hv_message_header, sender) == 8, "sender");
_Static_assert(sizeof(struct hv_message) == HV_MESSAGE_SIZE, "message");
_Static_assert(offsetof(struct hv_message, payload) == 16, "message payload");
_Static_assert(sizeof(struct hv_message_page) == PAGE_SIZE, "message page");
_Static_assert(sizeof(struct hv_event_flags) == 256, "event flags");
_Static_assert(sizeof(struct hv_event_flags_page) == PAGE_SIZE, "event flags page");
_Static_assert(sizeof(struct hv_post_message_input) == HV_MESSAGE_SIZE, "post message input");
_Static_assert(offsetof(struct hv_post_message_input, connection_id) == 0, "pm connection_id");
_Static_assert(offsetof(struct hv_post_message_input, reserved) == 4, "pm reserved");
_Static_assert(offsetof(struct hv_post_message_input, message_type) == 8, "pm message_type");
_Static_assert(offsetof(struct hv_post_message_input, payload_size) == 12, "pm payload_size");
_Static_assert(offsetof(struct hv_post_message_input, payload) == 16, "pm payload");
_Static_assert(sizeof(struct hv_signal_event_input) == 8, "signal event input");
_Static_assert(offsetof(struct hv_signal_event_input, flag_number) == 4, "se flag_number");
_Static_assert(offsetof(struct hv_signal_event_input, reserved) == 6, "se reserved");
_Static_assert(sizeof(struct hv_interrupt_entry) == 16, "interrupt entry");
_Static_assert(offsetof(struct hv_interrupt_entry, msi_address) == 8, "ie msi_address");
_Static_assert(offsetof(struct hv_interrupt_entry, msi_data) == 12, "ie msi_data");
_Static_assert(sizeof(struct hv_retarget_device_interrupt) == 56, "retarget input");
_Static_assert(offsetof(struct hv_retarget_device_interrupt, device_id) == 8, "rt device_id");
_Static_assert(offsetof(struct hv_retarget_device_interrupt, entry) == 16, "rt entry");
_Static_assert(offsetof(struct hv_retarget_device_interrupt, reserved) == 32, "rt reserved");
_Static_assert(offsetof(struct hv_retarget_device_interrupt, vector) == 40, "rt vector");
_Static_assert(offsetof(struct hv_retarget_device_interrupt, flags) == 44, "rt flags");
_Static_assert(offsetof(struct hv_retarget_device_interrupt, vp_mask_or_format) == 48,
               "rt vp_mask");
_Static_assert(sizeof(struct hv_ref_tsc_page) == PAGE_SIZE, "reference TSC page");
_Static_assert(offsetof(struct hv_ref_tsc_page, sequence) == 0, "tsc sequence");
_Static_assert(offsetof(struct hv_ref_tsc_page, reserved) == 4, "tsc reserved");
_Static_assert(offsetof(struct hv_ref_tsc_page, scale) == 8, "tsc scale");
_Static_assert(offsetof(struct hv_ref_tsc_page, offset) == 16, "tsc offset");

#endif
