#include "vmbus/outq.h"

#include "lib/log.h"
#include "lib/mem.h"
#include "lib/trace.h"
#include "vmbus/state.h"
#include "vmbus/trace.h"

static struct vmbus_outmsg *at(unsigned i)
{
    return &vmbus.outq.m[(vmbus.outq.head + i) % VMBUS_OUTQ_LEN];
}

bool outq_admit(void)
{
    return vmbus.outq.count + 1 + VMBUS_MAX_CHANNELS <= VMBUS_OUTQ_LEN;
}

void outq_flush(void)
{
    const struct vmbus_port *p = &vmbus.port;
    while (vmbus.outq.count) {
        struct vmbus_outmsg *m = at(0);
        if (m->not_before && clock_ns() < m->not_before)
            return; /* a delay fault: its timer comes back */
        /* The only other failure, INVALID_PARAMETER, cannot happen: the VP
         * and SINT were validated and sizes are ours. */
        if (p->post(p->ctx, m->vp, m->sint, VMBUS_MESSAGE_TYPE, m->payload, m->size) ==
            HV_STATUS_INSUFFICIENT_BUFFERS) {
            vmbus.n.pushback++;
            return;
        }
        vmbus.n.sent++;
        if (trace_on(TRACE_VMBUS))
            vmbus_trace_message(true, m->payload, m->size);
        vmbus.outq.head = (vmbus.outq.head + 1) % VMBUS_OUTQ_LEN;
        vmbus.outq.count--;
    }
}

void outq_send(const void *msg, uint8_t size, uint32_t relid)
{
    uint32_t msgtype = ((const struct vmbus_msg_header *)msg)->msgtype;
    if (vmbus.outq.count == VMBUS_OUTQ_LEN) {
        /* Admission (outq_admit) keeps this from happening; if a bug ever
         * let it, say so rather than write past the queue. */
        const char *more = vmbus_log_ok(VMBUS_LOG_INTERNAL);
        if (more)
            hv_log("vmbus", "internal: reply queue full, %s lost%s", vmbus_msg_name(msgtype), more);
        return;
    }
    struct vmbus_outmsg *m = at(vmbus.outq.count);
    m->sint = vmbus.sint;
    m->vp = vmbus.vp;
    m->size = size;
    m->relid = relid;
    m->not_before = fault_on() ? vmbus.faults->host_message(msgtype) : 0;
    memcpy(m->payload, msg, size);
    vmbus.outq.count++;
}

bool outq_holds(uint32_t relid)
{
    for (unsigned i = 0; i < vmbus.outq.count; i++) {
        if (at(i)->relid == relid)
            return true;
    }
    return false;
}

void outq_cancel(uint32_t relid)
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
    const struct vmbus_port *p = &vmbus.port;
    vmbus.outq.head = 0;
    vmbus.outq.count = 0;
    /* Only VMBus posts this type; any VP and SINT a reply ever went to is
     * covered. */
    for (uint32_t vp = 0; vp < p->vp_count; vp++) {
        for (uint8_t s = 0; s < HV_SINT_COUNT; s++)
            p->purge(p->ctx, vp, s, VMBUS_MESSAGE_TYPE);
    }
}
