/* The Hyper-V partition the guest believes it runs in: vp_count VPs (indexes
 * 0..vp_count-1), its CPUID leaves, synthetic MSRs, hypercalls and a SynIC per
 * VP. Hardware-free: guest memory through struct guest_mem, the TSC and
 * interrupts through callbacks the arch glue provides (docs/hyperv.md, "Glue
 * contract"). Safe to enter from several CPUs at once: one partition lock,
 * never held while a VMBus handler, the retarget hook or apic_msr runs. */
#ifndef HV_HYPERV_HYPERV_H
#define HV_HYPERV_HYPERV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "guest_mem.h"
#include "hyperv/conn.h"
#include "hyperv/synic.h"
#include "lib/log_once.h"
#include "lib/spinlock.h"

#define HV_HOST_VECTORS_MAX 6
#define HV_VP_MAX           8 /* VPs a partition may have */

struct hyperv_platform {
    uint64_t (*tsc)(void *ctx); /* host TSC: the guest's TSC is the same */
    /* A fixed interrupt to VP vp. Called with the partition lock held: it
     * must not call back into hv/hyperv. */
    void (*raise)(void *ctx, uint32_t vp, uint8_t vector);
    /* The synthetic APIC MSRs EOI, ICR and TPR (0x40000070-72) of VP vp, whose
     * work is the glue's: HV_MSR_OK or HV_MSR_GP. Called unlocked. NULL: they
     * #GP and CPUID does not offer them. */
    int (*apic_msr)(void *ctx, uint32_t vp, uint32_t msr, bool write, uint64_t *val);
    void *ctx;
    uint32_t vp_count;     /* 1..HV_VP_MAX */
    uint64_t tsc_hz;       /* calibrated; must exceed 10 MHz */
    uint64_t tsc_at_start; /* TSC at partition start: reference time 0 */
    uint64_t apic_hz;      /* LAPIC timer input clock (QEMU: 1 GHz); 0 = unknown */
    /* Vectors the host owns (its timer, the LAPIC spurious vector): never
     * raised on the guest's behalf, so no SINT may use them. 0 = unused. */
    uint8_t host_vectors[HV_HOST_VECTORS_MAX];
};

struct hyperv_cpuid_regs {
    uint32_t eax, ebx, ecx, edx;
};

/* MSR access results. */
#define HV_MSR_OK        0
#define HV_MSR_GP        1 /* inject #GP(0) */
#define HV_MSR_UNHANDLED 2 /* not a Hyper-V MSR: the glue's own policy applies */

enum hv_msr_kind {
    HV_MSRK_GUEST_OS_ID,
    HV_MSRK_HYPERCALL,
    HV_MSRK_VP_INDEX,
    HV_MSRK_TIME_REF_COUNT,
    HV_MSRK_REFERENCE_TSC,
    HV_MSRK_FREQUENCY, /* TSC_FREQUENCY, APIC_FREQUENCY */
    HV_MSRK_VP_ASSIST,
    HV_MSRK_SYNIC, /* SCONTROL, SVERSION, SIEFP, SIMP */
    HV_MSRK_EOM,
    HV_MSRK_SINT,
    HV_MSRK_APIC,    /* EOI, ICR, TPR */
    HV_MSRK_UNKNOWN, /* inside the synthetic range, not implemented */
    HV_MSRK_COUNT
};

enum hv_hc_kind {
    HV_HCK_POST_MESSAGE,
    HV_HCK_SIGNAL_EVENT,
    HV_HCK_RETARGET,
    HV_HCK_OTHER,
    HV_HCK_COUNT
};

/* Whoever owns devices (hv/guest.c wires it): the guest asks that the MSI
 * {msi_address, msi_data} of device_id raise vector on the VPs of vp_mask
 * (validated: an allowed vector, existing VPs only). 0, or -1: no device owns
 * that entry (the call answers HV_STATUS_INVALID_PARAMETER). */
typedef int (*hyperv_retarget_fn)(void *ctx, uint64_t device_id, uint32_t msi_address,
                                  uint32_t msi_data, uint8_t vector, uint64_t vp_mask);
#define HV_STATUS_COUNTED 20 /* statuses 0..19 counted one by one, the rest together */

struct hyperv_counters {
    uint64_t msr_read[HV_MSRK_COUNT], msr_write[HV_MSRK_COUNT];
    uint64_t msr_gp;            /* accesses refused with #GP */
    uint64_t hypercall_ignored; /* HYPERCALL enabling writes while GUEST_OS_ID == 0 */
    uint64_t hc_code[HV_HCK_COUNT];
    uint64_t hc_status[HV_STATUS_COUNTED + 1];
    uint64_t hc_ud;         /* VMMCALLs refused by hyperv_hypercall_permitted */
    uint64_t msg_posted;    /* messages synic_post accepted */
    uint64_t msg_delivered; /* messages written into a slot */
    uint64_t msg_queued;    /* accepted but had to wait in the queue */
    uint64_t msg_full;      /* refused: queue full (back-pressure) */
    uint64_t events;        /* event flags signalled */
    uint64_t irqs;          /* interrupts raised (the sum of vp_irqs) */
    uint64_t vp_irqs[HV_VP_MAX];
    uint64_t irqs_deferred; /* due while masked/disabled, raised later */
    uint64_t irqs_refused;  /* due on a vector the guest may not have: never raised */
};

#define HV_REFUSALS_LOGGED 16 /* refused MSR accesses logged, distinct ones */

/* What each VP has of its own. */
struct hyperv_vp {
    uint64_t vp_assist;
    struct hyperv_synic synic;
};

struct hyperv_partition {
    /* Guards everything below except what is fixed after init (gm, plat,
     * tsc_scale, tsc_offset, the retarget hook) and time_last (atomic). */
    struct spinlock lock;
    const struct guest_mem *gm;
    struct hyperv_platform plat;
    /* Partition-wide MSRs; the reference TSC page is shared by every VP. */
    uint64_t guest_os_id;
    uint64_t hypercall;
    uint64_t ref_tsc;
    uint64_t tsc_scale;
    int64_t tsc_offset;
    uint32_t tsc_sequence; /* last sequence written into a TSC page */
    struct log_budget warned_autoeoi, warned_hypercall_ignored; /* one line each */
    uint64_t time_last;                                         /* keeps TIME_REF_COUNT monotonic */
    struct hyperv_vp vp[HV_VP_MAX];
    struct hyperv_conn_table conn;
    struct hyperv_counters n;
    struct log_once refusals;    /* one line per MSR, direction and reason: the first few */
    hyperv_retarget_fn retarget; /* NULL: every retarget is refused */
    void *retarget_ctx;
};

/* 0, or -1 (nothing usable: no guest memory, no callbacks, TSC <= 10 MHz,
 * vp_count outside 1..HV_VP_MAX); on -1 the glue must not offer Hyper-V. */
int hyperv_init(struct hyperv_partition *p, const struct guest_mem *gm,
                const struct hyperv_platform *plat);

/* Leaves 0x40000000-0x4000000A: fills r and returns true. Other leaves: false,
 * r untouched (the caller's policy zeroes the rest of the hypervisor range). */
bool hyperv_cpuid(const struct hyperv_partition *p, uint32_t leaf, struct hyperv_cpuid_regs *r);

/* An RDMSR/WRMSR of VP vp (< vp_count: the caller's guarantee; another is
 * refused with #GP): HV_MSR_OK, HV_MSR_GP or HV_MSR_UNHANDLED (MSR outside
 * 0x40000000-0x400001FF). */
int hyperv_msr_read(struct hyperv_partition *p, uint32_t vp, uint32_t msr, uint64_t *val);
int hyperv_msr_write(struct hyperv_partition *p, uint32_t vp, uint32_t msr, uint64_t val);

/* Whether a VMMCALL may be a hypercall: CPL 0, 64-bit mode, HYPERCALL MSR
 * enabled. False: the glue injects #UD (and the call is counted as hc_ud). */
bool hyperv_hypercall_permitted(struct hyperv_partition *p, unsigned cpl, bool long_mode_64);
/* A hypercall of VP vp (< vp_count, else HV_STATUS_INVALID_PARAMETER): RCX
 * control, RDX input (GPA or fast value), R8 output GPA or second fast value;
 * returns the value for RAX. Never fails otherwise. */
uint64_t hyperv_hypercall(struct hyperv_partition *p, uint32_t vp, uint64_t rcx, uint64_t rdx,
                          uint64_t r8);

/* Sets the HvRetargetDeviceInterrupt hook (after hyperv_init). */
void hyperv_set_retarget(struct hyperv_partition *p, hyperv_retarget_fn fn, void *ctx);

/* TLFS names for the trace: "HvPostMessage", ...; "HV_STATUS_SUCCESS", ...
 * (NULL when unnamed). */
const char *hyperv_hypercall_name(uint16_t code);
const char *hyperv_status_name(uint16_t status);

/* TIME_REF_COUNT now: 100 ns units since partition start. */
uint64_t hyperv_time_ref_count(struct hyperv_partition *p);

/* " hv_msr=.. hypercalls=.. ..." key=value pairs for the summary line (leading
 * space, no newline); returns the length the full text would have. */
size_t hyperv_summary(const struct hyperv_partition *p, char *buf, size_t cap);
/* "hv: hyperv: ..." lines with the per-MSR, per-hypercall and per-status
 * counts, and with several VPs the interrupts raised on each. */
void hyperv_log_stats(const struct hyperv_partition *p);

/* --- internal, shared by the files of hv/hyperv -------------------------------- */
/* Logs a refused MSR access once per (MSR, direction, reason: a string
 * constant); counts every refusal. With the lock held. */
void hyperv_refuse(struct hyperv_partition *p, uint32_t msr, bool write, uint64_t val,
                   const char *why);
/* NULL if the guest may have interrupts on vector, else why not: 0-15 (TLFS),
 * 16-31 (exceptions) and the platform's host_vectors are refused. */
const char *hyperv_vector_refused(const struct hyperv_partition *p, uint8_t vector);

#endif
