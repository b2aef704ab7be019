/* Host->guest messages wait here, in order, while the SynIC's own per-SINT
 * queue is full; vmbus_poll hands them over as the guest frees slots, so no
 * message is ever dropped. Sizing and admission: server.h, VMBUS_OUTQ_LEN. */
#include "vmbus/server.h"

#include "hyperv/synic.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/timer.h"
#include "lib/trace.h"
#include "vmbus/fault.h"

static struct vmbus_outmsg *at(unsigned i)
{
    return &vmbus.outq.m[(vmbus.outq.head + i) % VMBUS_OUTQ_LEN];
}

bool outq_admit(void)
{
    return vmbus.outq.count + 1 + VMBUS_MAX_CHANNELS <= VMBUS_OUTQ_LEN;
}

unsigned vmbus_queued(void)
{
    return vmbus.outq.count;
}

/* The channel's offer or rescind left our queue: the guest will see it. */
static void sent(uint32_t relid)
{
    struct vmbus_channel *c = &vmbus.chan[relid - 1];
    if (c->offer == OFFER_QUEUED)
        c->offer = OFFER_SENT;
    else if (c->offer == RESCIND_QUEUED)
        c->offer = RESCIND_SENT;
}

void outq_flush(void)
{
    while (vmbus.outq.count) {
        struct vmbus_outmsg *m = at(0);
        if (m->not_before && clock_ns() < m->not_before)
            return; /* a delay fault: its timer flushes again */
        /* The only other failure, INVALID_PARAMETER, cannot happen: the SINT
         * was validated and sizes are ours. */
        if (synic_post(vmbus.part, m->sint, VMBUS_MESSAGE_TYPE, m->payload, m->size) ==
            HV_STATUS_INSUFFICIENT_BUFFERS) {
            vmbus.n.pushback++;
            return;
        }
        vmbus.n.sent++;
        if (trace_on(TRACE_VMBUS))
            vmbus_trace_message(true, m->payload, m->size);
        if (m->relid)
            sent(m->relid);
        vmbus.outq.head = (vmbus.outq.head + 1) % VMBUS_OUTQ_LEN;
        vmbus.outq.count--;
    }
}

void vmbus_poll(void)
{
    outq_flush();
    chan_drain_pending();
}

void outq_send(const void *msg, uint8_t size, uint32_t relid)
{
    if (vmbus.outq.count == VMBUS_OUTQ_LEN) {
        /* Admission (outq_admit) keeps this from happening; if a bug ever
         * let it, say so rather than write past the queue. */
        const char *more;
        if (vmbus_log_ok(VMBUS_LOG_INTERNAL, &more))
            hv_log("vmbus", "internal: reply queue full, %s lost%s",
                   vmbus_msg_name(((const struct vmbus_msg_header *)msg)->msgtype), more);
        return;
    }
    struct vmbus_outmsg *m = at(vmbus.outq.count);
    m->sint = vmbus.sint;
    m->size = size;
    m->relid = relid;
    m->not_before =
        fault_on() ? fault_host_message(((const struct vmbus_msg_header *)msg)->msgtype) : 0;
    memcpy(m->payload, msg, size);
    vmbus.outq.count++;
    outq_flush();
}

void outq_cancel_offer(uint32_t relid)
{
    for (unsigned i = 0; i < vmbus.outq.count; i++) {
        if (at(i)->relid != relid)
            continue;
        for (unsigned j = i; j + 1 < vmbus.outq.count; j++)
            *at(j) = *at(j + 1);
        vmbus.outq.count--;
        return;
    }
}

void outq_purge(void)
{
    vmbus.outq.head = 0;
    vmbus.outq.count = 0;
    /* Only VMBus posts this type; any SINT a reply ever went to is covered. */
    for (unsigned s = 0; s < HV_SINT_COUNT; s++)
        synic_purge(vmbus.part, s, VMBUS_MESSAGE_TYPE);
}
