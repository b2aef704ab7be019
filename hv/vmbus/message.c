/* Where guest messages enter: the handler registered for connection ids 1
 * and 4. Each message is checked once here — SynIC type, size against its
 * layout, the connection it came on, the connection state, every GPA — and
 * handed on in trusted form (the layers' headers). What is wrong is rejected with a
 * hypercall status and logged once per (type, reason); the server goes on. */
#include "vmbus/message.h"

#include "guest_mem.h"
#include "lib/mem.h"
#include "lib/trace.h"
#include "vmbus/channel.h"
#include "vmbus/connection.h"
#include "vmbus/gpadl.h"
#include "vmbus/outq.h"
#include "vmbus/state.h"
#include "vmbus/trace.h"

static uint32_t rd32(const uint8_t *p, unsigned off)
{
    uint32_t v;
    memcpy(&v, p + off, sizeof(v));
    return v;
}

static uint64_t rd64(const uint8_t *p, unsigned off)
{
    uint64_t v;
    memcpy(&v, p + off, sizeof(v));
    return v;
}

/* A whole, page-aligned guest RAM page. */
static bool ram_page(uint64_t gpa)
{
    return !(gpa & (PAGE_SIZE - 1)) && gmem_ptr(vmbus.port.gm, gpa, PAGE_SIZE);
}

/* Linux 6.1 posts each fixed-size message at exactly its size; only
 * INITIATE_CONTACT may be longer (a newer protocol's fields, which we answer
 * "not supported" anyway). */
static const uint8_t exact_size[VMBUS_MSG_COUNT] = {
    [VMBUS_MSG_REQUESTOFFERS] = sizeof(struct vmbus_msg_header),
    [VMBUS_MSG_OPENCHANNEL] = sizeof(struct vmbus_open_channel),
    [VMBUS_MSG_CLOSECHANNEL] = sizeof(struct vmbus_relid_msg),
    [VMBUS_MSG_GPADL_TEARDOWN] = sizeof(struct vmbus_gpadl_teardown),
    [VMBUS_MSG_RELID_RELEASED] = sizeof(struct vmbus_relid_msg),
    [VMBUS_MSG_UNLOAD] = sizeof(struct vmbus_msg_header),
    [VMBUS_MSG_MODIFYCHANNEL] = sizeof(struct vmbus_modifychannel),
};

/* Guest-to-host types that get an answer, so must wait for queue room. */
static bool answers(uint32_t msgtype)
{
    return msgtype != VMBUS_MSG_CLOSECHANNEL && msgtype != VMBUS_MSG_RELID_RELEASED;
}

static uint16_t initiate_contact(const uint8_t *m, uint32_t size)
{
    const uint32_t t = VMBUS_MSG_INITIATE_CONTACT;
    if (size < sizeof(struct vmbus_initiate_contact))
        return vmbus_reject(t, "shorter than its 40-byte layout");
    struct vmbus_contact c = {
        .version = rd32(m, offsetof(struct vmbus_initiate_contact, version_requested)),
        .sint = VMBUS_MESSAGE_SINT,
        .vp = rd32(m, offsetof(struct vmbus_initiate_contact, target_vcpu)),
    };
    /* Every host message goes to the VP the guest named (Linux: CPU 0's). */
    if (c.vp >= vmbus.port.vp_count)
        return vmbus_reject(t, "target VP does not exist");
    if (c.version >= VMBUS_VERSION_WIN10_V5) {
        /* Bytes 17-23 (VTL, feature flags in later protocols) are 0 from
         * Linux and mean nothing at the versions we accept: not looked at. */
        c.sint = m[offsetof(struct vmbus_initiate_contact, msg_sint)];
        if (c.sint >= HV_SINT_COUNT)
            return vmbus_reject(t, "message SINT out of range");
    } else if (!ram_page(rd64(m, offsetof(struct vmbus_initiate_contact, interrupt_page)))) {
        return vmbus_reject(t, "interrupt page is not a guest RAM page");
    }
    /* Checked, not used: with monitor_allocated 0 in every offer nothing
     * reads or writes the monitor pages, nor the interrupt page. */
    if (!ram_page(rd64(m, offsetof(struct vmbus_initiate_contact, monitor_page1))) ||
        !ram_page(rd64(m, offsetof(struct vmbus_initiate_contact, monitor_page2))))
        return vmbus_reject(t, "monitor page is not a guest RAM page");
    return connection_initiate(&c);
}

static uint16_t open_channel(const uint8_t *m)
{
    struct vmbus_open_req r = {
        .relid = rd32(m, offsetof(struct vmbus_open_channel, child_relid)),
        .open_id = rd32(m, offsetof(struct vmbus_open_channel, openid)),
        .gpadl = rd32(m, offsetof(struct vmbus_open_channel, ringbuffer_gpadl)),
        .target_vp = rd32(m, offsetof(struct vmbus_open_channel, target_vp)),
        .downstream_pages = rd32(m, offsetof(struct vmbus_open_channel, downstream_page_offset)),
    };
    return chan_open(&r); /* the 120 user-data bytes mean nothing to our devices yet */
}

/* The range-buffer words after a GPADL message's fixed part, copied so they
 * are aligned and cannot change under us. */
static uint16_t gpadl(uint32_t msgtype, const uint8_t *m, uint32_t size)
{
    uint64_t words[(HV_MESSAGE_PAYLOAD_SIZE - VMBUS_GPADL_BODY_SIZE) / 8];
    const bool header = msgtype == VMBUS_MSG_GPADL_HEADER;
    const uint32_t fixed = header ? VMBUS_GPADL_HEADER_SIZE : VMBUS_GPADL_BODY_SIZE;
    if (size < fixed + 8)
        return vmbus_reject(msgtype, "carries no range-buffer words");
    if ((size - fixed) % 8)
        return vmbus_reject(msgtype, "range buffer not a whole number of 8-byte words");
    struct vmbus_gpadl_req r = {
        .handle = rd32(m, 12), /* the same offset in both */
        .nwords = (size - fixed) / 8,
        .words = words,
    };
    memcpy(words, m + fixed, r.nwords * 8);
    if (!header)
        return gpadl_body(&r);
    struct vmbus_gpadl_header h;
    memcpy(&h, m, sizeof(h));
    const struct vmbus_channel *c = chan_visible(h.child_relid);
    if (!c)
        return vmbus_reject(msgtype, "relid was not offered");
    r.buflen = h.range_buflen;
    r.ranges = h.rangecount;
    return gpadl_header(c, &r);
}

static uint16_t dispatch(uint32_t msgtype, const uint8_t *m, uint32_t size)
{
    switch (msgtype) {
    case VMBUS_MSG_INITIATE_CONTACT:
        return initiate_contact(m, size);
    case VMBUS_MSG_REQUESTOFFERS:
        return connection_request_offers();
    case VMBUS_MSG_OPENCHANNEL:
        return open_channel(m);
    case VMBUS_MSG_CLOSECHANNEL:
        return chan_close(rd32(m, offsetof(struct vmbus_relid_msg, child_relid)));
    case VMBUS_MSG_GPADL_HEADER:
    case VMBUS_MSG_GPADL_BODY:
        return gpadl(msgtype, m, size);
    case VMBUS_MSG_GPADL_TEARDOWN:
        return gpadl_teardown(rd32(m, offsetof(struct vmbus_gpadl_teardown, child_relid)),
                              rd32(m, offsetof(struct vmbus_gpadl_teardown, gpadl)));
    case VMBUS_MSG_RELID_RELEASED:
        return chan_relid_released(rd32(m, offsetof(struct vmbus_relid_msg, child_relid)));
    case VMBUS_MSG_UNLOAD:
        return connection_unload();
    case VMBUS_MSG_MODIFYCHANNEL:
        return chan_modify(rd32(m, offsetof(struct vmbus_modifychannel, child_relid)),
                           rd32(m, offsetof(struct vmbus_modifychannel, target_vp)));
    case VMBUS_MSG_TL_CONNECT_REQUEST:
        return vmbus_reject(msgtype, "no hv_sock channels are offered");
    default:
        return vmbus_reject(msgtype, "not a guest-to-host message type");
    }
}

uint16_t vmbus_on_message(void *ctx, uint32_t conn_id, uint32_t message_type,
                          const uint8_t *payload, uint32_t size)
{
    (void)ctx;
    VMBUS_DOOR();
    vmbus.n.messages++;
    if (trace_on(TRACE_VMBUS))
        vmbus_trace_message(false, payload, size);
    if (size < sizeof(struct vmbus_msg_header) || size > HV_MESSAGE_PAYLOAD_SIZE) {
        vmbus_reject(VMBUS_MSG_INVALID, "payload size outside 8..240 bytes");
        return HV_STATUS_INVALID_PARAMETER;
    }
    uint32_t msgtype = rd32(payload, 0);
    if (message_type != VMBUS_MESSAGE_TYPE) {
        vmbus_reject(msgtype, "SynIC message type is not 1");
        return HV_STATUS_INVALID_HYPERCALL_INPUT;
    }
    if (msgtype < VMBUS_MSG_COUNT && exact_size[msgtype] && size != exact_size[msgtype])
        return vmbus_reject(msgtype, "size differs from its layout");
    if (msgtype != VMBUS_MSG_INITIATE_CONTACT) {
        if (!vmbus.connected)
            return vmbus_reject(msgtype, "not connected (no INITIATE_CONTACT accepted)");
        if (conn_id != vmbus.msg_conn_id)
            return vmbus_reject(msgtype, "posted on another connection id than negotiated");
    }
    if (answers(msgtype) && !outq_admit()) {
        vmbus.n.busy++; /* back-pressure: Linux retries the post */
        return HV_STATUS_INSUFFICIENT_BUFFERS;
    }
    return dispatch(msgtype, payload, size); /* replies leave at vmbus_poll */
}
