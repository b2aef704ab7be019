/* Where the protocol code asks the fault engine (docs/faults.md): one table
 * of hooks the engine installs in the server (vmbus.faults) when faults are
 * configured, so the layers below it call up only through this. Each layer
 * asks at its own points, behind fault_on(), and nowhere else:
 *
 *   outq.c       host_message    a host->guest message is queued (delay)
 *   connection.c refuse_version  INITIATE_CONTACT (refuse-versions)
 *   gpadl.c      gpadl_status    a GPADL is complete (refuse-gpadl)
 *   channel.c    open            OPENCHANNEL (refuse-open, rescind on-open)
 *   channel.c    guest_packet    the host read a guest packet; ring_held
 *                                before a drain (rescind after=, stall, mask after=)
 *   channel.c    mask_held       a drain found the ring empty (mask mode=held)
 *   channel.c    host_packet     a device sends a packet (drop, duplicate,
 *                                no-signal, corrupt, reorder; send_held sends
 *                                a reordered one after the next)
 *   kmcl.c       device_version  a device negotiates its protocol's version
 *                                (VmbChannelFaultVersion: bad-version) */
#ifndef HV_VMBUS_FAULT_HOOKS_H
#define HV_VMBUS_FAULT_HOOKS_H

#include <stdbool.h>
#include <stdint.h>

#include "vmbus/kmcl_types.h"

struct vmbus_channel;

enum fault_open_action {
    FAULT_OPEN_PASS,     /* open as usual */
    FAULT_OPEN_REFUSE,   /* answer with *status */
    FAULT_OPEN_RESCINDED /* c was rescinded instead: no answer */
};

/* How a device's packet goes into the guest's ring; chan_send fills it
 * as the ring rules say and host_packet changes what the faults say. */
struct fault_send {
    unsigned copies;   /* 0 dropped, 1, 2 duplicated */
    uint16_t type;     /* VMBUS_PKT_DATA_INBAND, or what corrupt made of it */
    uint64_t trans_id; /* the device's, or what corrupt made of it */
    bool signal;       /* false: not signalled even where the ring says it must be */
    bool then_held;    /* reorder: after this packet, send the held one (send_held) */
};

struct fault_hooks {
    /* A host->guest message of msgtype is queued: the clock_ns() time before
     * which it may not leave the queue (everything behind it waits too), or 0. */
    uint64_t (*host_message)(uint32_t msgtype);
    /* The guest proposes version: whether to answer "not supported". */
    bool (*refuse_version)(uint32_t version);
    /* A GPADL of c is complete: STATUS_SUCCESS, or the status to refuse it with. */
    NTSTATUS (*gpadl_status)(const struct vmbus_channel *c);
    /* The guest's OPENCHANNEL for c (offered, not rescinded). */
    enum fault_open_action (*open)(struct vmbus_channel *c, NTSTATUS *status);
    /* The host read (and handed the device) a packet of c's guest-to-host
     * ring: true when it must stop reading now (c was rescinded or is held). */
    bool (*guest_packet)(struct vmbus_channel *c);
    /* Whether c's guest-to-host ring is held (stall): not read until the
     * stall ends, when the engine resumes the drain. */
    bool (*ring_held)(const struct vmbus_channel *c);
    /* A drain of c found the guest-to-host ring empty: true when the host
     * keeps its interrupt_mask at 1 (mask mode=held); the engine then drains
     * c again every 10 ms. */
    bool (*mask_held)(const struct vmbus_channel *c);
    /* A device sends the packet buf of len bytes on c (a reorder keeps a copy). */
    void (*host_packet)(struct vmbus_channel *c, struct fault_send *s, const void *buf,
                        uint32_t len);
    /* Sends the packet a reorder held, now behind the one just sent. */
    void (*send_held)(void);
    /* The device of c offers its versions: 0, or the one version it must
     * offer alone instead, major << 16 | minor (bad-version). */
    uint32_t (*device_version)(const struct vmbus_channel *c);
};

#endif
