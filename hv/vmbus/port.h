/* What the VMBus host needs of the Hyper-V layer below it, as a narrow
 * interface: post a message on a VP's SINT, set an event flag there, let a
 * channel's HvSignalEvent reach it, the guest's RAM, its VP count and its
 * reference time. synic_port.c implements it over hv/hyperv; the host-side
 * tests implement it over a fake. */
#ifndef HV_VMBUS_PORT_H
#define HV_VMBUS_PORT_H

#include <stdint.h>

struct guest_mem;

/* An HvSignalEvent on a channel's connection id; returns the hypercall status. */
typedef uint16_t (*vmbus_event_fn)(void *ctx, uint32_t conn_id, uint16_t flag);

struct vmbus_port {
    void *ctx;
    const struct guest_mem *gm; /* every GPA the guest gives is checked against it */
    uint32_t vp_count;          /* the guest's VPs: every VP it names is checked against it */
    /* A message into the slot or queue of VP vp's SINT sint: HV_STATUS_SUCCESS,
     * or HV_STATUS_INSUFFICIENT_BUFFERS when the SINT's queue is full. */
    uint16_t (*post)(void *ctx, uint32_t vp, uint8_t sint, uint32_t message_type,
                     const void *payload, uint8_t size);
    /* Drops what VP vp's sint still queues of message_type (a connection reset). */
    void (*purge)(void *ctx, uint32_t vp, uint8_t sint, uint32_t message_type);
    /* Sets event flag `flag` of VP vp's sint and interrupts that VP if it must. */
    void (*signal)(void *ctx, uint32_t vp, uint8_t sint, uint32_t flag);
    /* fn(fn_ctx, ...) for the guest's HvSignalEvent on conn_id: 0, or -1
     * when no more connections can be registered. */
    int (*listen)(void *ctx, uint32_t conn_id, vmbus_event_fn fn, void *fn_ctx);
    void (*unlisten)(void *ctx, uint32_t conn_id);
    /* The guest's TIME_REF_COUNT (100 ns units), which faults' at=<ms> count in. */
    uint64_t (*ref_time)(void *ctx);
};

#endif
