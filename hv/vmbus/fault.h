/* Faults on purpose (docs/faults.md): the VMBus host misbehaves the way the
 * "fault = <when> <what> ..." lines of hv.cfg say, deterministically, so a
 * guest driver's error paths run on demand. The engine keeps the faults'
 * state and timers; the protocol code asks it at eight hooks, each behind
 * fault_on(), and nowhere else:
 *
 *   outq.c     fault_host_message   a host->guest message is queued (delay)
 *   connection fault_refuse_version INITIATE_CONTACT (refuse-versions)
 *   gpadl.c    fault_gpadl_status   a GPADL is complete (refuse-gpadl)
 *   channel.c  fault_open           OPENCHANNEL (refuse-open, rescind on-open)
 *   channel.c  fault_guest_packet   the host read a guest packet; fault_ring_held
 *                                   before a drain (rescind after=, stall,
 *                                   mask after=)
 *   channel.c  fault_mask_held      a drain found the ring empty (mask mode=held)
 *   kmcl.c     fault_device_version a device negotiates its protocol's version
 *                                   (VmbChannelFaultVersion: bad-version)
 *   channel.c  fault_host_packet    a device sends a packet (drop, duplicate,
 *                                   no-signal, corrupt, reorder; fault_send_held
 *                                   sends a reordered one after the next)
 *
 * "random seed=<n> rate=<r>" acts at two of them: it delays host messages
 * (fault_host_message) and stalls rings (fault_guest_packet), the faults a
 * correct guest must survive, for soak runs.
 * Rescinds, stalls, spurious signals and unsolicited messages at=<ms>,
 * re-offers and a reordered
 * packet's time-out run on the engine's own timers.
 * Every fault that fires logs "hv: fault: line <n>: <what it did>" (the first
 * FAULT_LOG_LINES per line; all are counted, faults_fired= in the summary). */
#ifndef HV_VMBUS_FAULT_H
#define HV_VMBUS_FAULT_H

#include <stdbool.h>
#include <stdint.h>

#include "boot_info.h"
#include "vmbus/kmcl.h"

struct vmbus_channel;

/* Lines each fault logs when it fires before the rest are only counted. */
#define FAULT_LOG_LINES 8u

/* Whether any fault is configured: the one test on every hooked path. */
extern uint32_t fault_active;
static inline bool fault_on(void)
{
    return __builtin_expect(fault_active != 0, 0);
}

/* Takes the configured faults (n <= HV_FAULTS_MAX, validated by the
 * loader's parser; copied), logs one line for each and arms the at=<ms>
 * timers. After vmbus_init; n = 0 turns faults off. */
void fault_init(const struct hv_fault_config *cfg, uint32_t n);
/* Firings so far, all lines. */
uint64_t fault_fired(void);

/* A host->guest message of msgtype is queued: the clock_ns() time before
 * which it may not leave the queue (everything behind it waits too), or 0. */
uint64_t fault_host_message(uint32_t msgtype);
/* The guest proposes version: whether to answer "not supported". */
bool fault_refuse_version(uint32_t version);
/* A GPADL of c is complete: STATUS_SUCCESS, or the status to refuse it with. */
NTSTATUS fault_gpadl_status(const struct vmbus_channel *c);

enum fault_open_action {
    FAULT_OPEN_PASS,     /* open as usual */
    FAULT_OPEN_REFUSE,   /* answer with *status */
    FAULT_OPEN_RESCINDED /* c was rescinded instead: no answer */
};
/* The guest's OPENCHANNEL for c (offered, not rescinded). */
enum fault_open_action fault_open(struct vmbus_channel *c, NTSTATUS *status);

/* The host read (and handed the device) a packet of c's guest-to-host ring:
 * true when it must stop reading now (c was rescinded or is held). */
bool fault_guest_packet(struct vmbus_channel *c);
/* Whether c's guest-to-host ring is held (stall): not read until the stall
 * ends, when the engine resumes the drain. */
bool fault_ring_held(const struct vmbus_channel *c);
/* How a device's packet goes into the guest's ring; chan_send fills it
 * as the ring rules say and fault_host_packet changes what the faults say. */
struct fault_send {
    unsigned copies;   /* 0 dropped, 1, 2 duplicated */
    uint16_t type;     /* VMBUS_PKT_DATA_INBAND, or what corrupt made of it */
    uint64_t trans_id; /* the device's, or what corrupt made of it */
    bool signal;       /* false: not signalled even where the ring says it must be */
    bool then_held;    /* reorder: after this packet, send the held one (fault_send_held) */
};
/* A device sends the packet buf of len bytes on c (a reorder keeps a copy). */
void fault_host_packet(struct vmbus_channel *c, struct fault_send *s, const void *buf,
                       uint32_t len);
/* The device of c offers its versions: 0, or the one version it must offer
 * alone instead, major << 16 | minor (bad-version). */
uint32_t fault_device_version(const struct vmbus_channel *c);
/* unsolicited: msgtype (VERSION_RESPONSE, ALLOFFERS_DELIVERED,
 * OPENCHANNEL_RESULT, GPADL_CREATED, RESCIND_CHANNELOFFER) for relid into buf
 * (FAULT_MSG_MAX bytes); its size (fault_msg.c). */
#define FAULT_MSG_MAX 20u
uint8_t fault_unsolicited_msg(uint16_t msgtype, uint32_t relid, void *buf);
/* Sends the packet a reorder held, now behind the one just sent. */
void fault_send_held(void);
/* A drain of c found the guest-to-host ring empty: true when the host keeps
 * its interrupt_mask at 1 (mask mode=held), so the guest does not signal;
 * the engine then drains c again every 10 ms. */
bool fault_mask_held(const struct vmbus_channel *c);

#endif
