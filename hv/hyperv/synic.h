/* The synthetic interrupt controller, one per VP: host->guest messages into
 * the VP's SIMP page (one slot per SINT, a bounded in-order queue behind it,
 * the message-pending/EOM protocol) and event flags into its SIEFP page, each
 * followed by an interrupt to that VP on the vector the guest programmed into
 * the VP's SINT. */
#ifndef HV_HYPERV_SYNIC_H
#define HV_HYPERV_SYNIC_H

#include <stdbool.h>
#include <stdint.h>

#include "hyperv/hv_wire.h"

struct hyperv_partition;

/* Messages waiting per SINT (TLFS/QEMU: 16 buffers per port). */
#define HV_SYNIC_QUEUE_LEN 16u

struct hyperv_synic_queue {
    uint8_t head, count;
    struct hv_message msg[HV_SYNIC_QUEUE_LEN];
};

struct hyperv_synic {
    uint64_t scontrol, siefp, simp;
    uint64_t sint[HV_SINT_COUNT];
    /* An interrupt was due while the SINT was masked or SCONTROL off: raise it
     * when the SINT becomes deliverable, so no wake-up is lost. */
    bool irq_owed[HV_SINT_COUNT];
    /* Event flags signalled while SCONTROL or SIEFP was off; merged into the
     * SIEFP page when both are on. */
    bool latched_any[HV_SINT_COUNT];
    uint8_t latched[HV_SINT_COUNT][HV_EVENT_FLAGS_BYTES];
    struct hyperv_synic_queue q[HV_SINT_COUNT];
};

/* Host -> guest message on SINT sint of VP vp. Written into the VP's slot now
 * if its SynIC can take it, else queued in order. Returns HV_STATUS_SUCCESS
 * (delivered or queued), HV_STATUS_INSUFFICIENT_BUFFERS when the SINT's queue
 * is full (the message was not taken: retry after the guest's EOM), or
 * HV_STATUS_INVALID_PARAMETER (vp >= vp_count, sint >= 16, type 0, size > 240). */
int synic_post(struct hyperv_partition *p, unsigned vp, unsigned sint, uint32_t message_type,
               const void *payload, uint8_t size);
/* Sets flag (< 2048) in SINT sint's area of VP vp's SIEFP page and raises the
 * SINT if the bit was newly set. HV_STATUS_SUCCESS or
 * HV_STATUS_INVALID_PARAMETER. */
int synic_signal_event(struct hyperv_partition *p, unsigned vp, unsigned sint, unsigned flag);
/* Forgets the messages of message_type still queued for sint of VP vp,
 * keeping the others in order; returns how many went. The one in the slot is
 * the guest's already and stays. For a poster starting over (VMBus on UNLOAD). */
unsigned synic_purge(struct hyperv_partition *p, unsigned vp, unsigned sint, uint32_t message_type);

/* --- for msr.c: side effects of validated MSR writes, with the lock held ----------- */
void synic_reset(struct hyperv_synic *s);
void synic_set_scontrol(struct hyperv_partition *p, unsigned vp, uint64_t v);
void synic_set_simp(struct hyperv_partition *p, unsigned vp, uint64_t v);
void synic_set_siefp(struct hyperv_partition *p, unsigned vp, uint64_t v);
void synic_set_sint(struct hyperv_partition *p, unsigned vp, unsigned sint, uint64_t v);
/* EOM: retry every SINT's queue head of VP vp. */
void synic_eom(struct hyperv_partition *p, unsigned vp);

#endif
