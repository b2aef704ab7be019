/* Decoders of the VMBus wire for the trace (trace.h): one function per
 * channel message type, on top of vmbus_wire.h's layouts. Each checks the
 * size against its layout before it reads a field, and reads fields through
 * memcpy'd copies, so any bytes at all decode without reading past size. */
#include "vmbus/trace.h"

#include "hyperv/hv_wire.h"
#include "lib/fmt.h"
#include "lib/mem.h"
#include "lib/trace.h"
#include "vmbus/kmcl_types.h"
#include "vmbus/ring.h"
#include "vmbus/vmbus_wire.h"

static const char *const msg_names[VMBUS_MSG_COUNT] = {
    [VMBUS_MSG_INVALID] = "INVALID",
    [VMBUS_MSG_OFFERCHANNEL] = "OFFERCHANNEL",
    [VMBUS_MSG_RESCIND_CHANNELOFFER] = "RESCIND_CHANNELOFFER",
    [VMBUS_MSG_REQUESTOFFERS] = "REQUESTOFFERS",
    [VMBUS_MSG_ALLOFFERS_DELIVERED] = "ALLOFFERS_DELIVERED",
    [VMBUS_MSG_OPENCHANNEL] = "OPENCHANNEL",
    [VMBUS_MSG_OPENCHANNEL_RESULT] = "OPENCHANNEL_RESULT",
    [VMBUS_MSG_CLOSECHANNEL] = "CLOSECHANNEL",
    [VMBUS_MSG_GPADL_HEADER] = "GPADL_HEADER",
    [VMBUS_MSG_GPADL_BODY] = "GPADL_BODY",
    [VMBUS_MSG_GPADL_CREATED] = "GPADL_CREATED",
    [VMBUS_MSG_GPADL_TEARDOWN] = "GPADL_TEARDOWN",
    [VMBUS_MSG_GPADL_TORNDOWN] = "GPADL_TORNDOWN",
    [VMBUS_MSG_RELID_RELEASED] = "RELID_RELEASED",
    [VMBUS_MSG_INITIATE_CONTACT] = "INITIATE_CONTACT",
    [VMBUS_MSG_VERSION_RESPONSE] = "VERSION_RESPONSE",
    [VMBUS_MSG_UNLOAD] = "UNLOAD",
    [VMBUS_MSG_UNLOAD_RESPONSE] = "UNLOAD_RESPONSE",
    [VMBUS_MSG_TL_CONNECT_REQUEST] = "TL_CONNECT_REQUEST",
    [VMBUS_MSG_MODIFYCHANNEL] = "MODIFYCHANNEL",
    [VMBUS_MSG_TL_CONNECT_RESULT] = "TL_CONNECT_RESULT",
    [VMBUS_MSG_MODIFYCHANNEL_RESPONSE] = "MODIFYCHANNEL_RESPONSE",
};

const char *vmbus_msg_name(uint32_t msgtype)
{
    return msgtype < VMBUS_MSG_COUNT && msg_names[msgtype] ? msg_names[msgtype] : "unknown";
}

const char *vmbus_status_name(uint32_t status)
{
    switch (status) {
    case (uint32_t)STATUS_SUCCESS:
        return "STATUS_SUCCESS";
    case 0xC0000001u:
        return "STATUS_UNSUCCESSFUL";
    case (uint32_t)STATUS_INVALID_PARAMETER:
        return "STATUS_INVALID_PARAMETER";
    case (uint32_t)STATUS_INSUFFICIENT_RESOURCES:
        return "STATUS_INSUFFICIENT_RESOURCES";
    case (uint32_t)STATUS_INVALID_PARAMETER_1:
        return "STATUS_INVALID_PARAMETER_1";
    case (uint32_t)STATUS_INVALID_PARAMETER_2:
        return "STATUS_INVALID_PARAMETER_2";
    case (uint32_t)STATUS_INVALID_PARAMETER_3:
        return "STATUS_INVALID_PARAMETER_3";
    case (uint32_t)STATUS_INVALID_DEVICE_STATE:
        return "STATUS_INVALID_DEVICE_STATE";
    default:
        return NULL;
    }
}

static const char *const packet_names[] = {
    [VMBUS_PKT_INVALID] = "INVALID",
    [VMBUS_PKT_SYNCH] = "SYNCH",
    [VMBUS_PKT_ADD_XFER_PAGESET] = "ADD_XFER_PAGESET",
    [VMBUS_PKT_RM_XFER_PAGESET] = "RM_XFER_PAGESET",
    [VMBUS_PKT_ESTABLISH_GPADL] = "ESTABLISH_GPADL",
    [VMBUS_PKT_TEARDOWN_GPADL] = "TEARDOWN_GPADL",
    [VMBUS_PKT_DATA_INBAND] = "DATA_INBAND",
    [VMBUS_PKT_DATA_USING_XFER_PAGES] = "DATA_USING_XFER_PAGES",
    [VMBUS_PKT_DATA_USING_GPADL] = "DATA_USING_GPADL",
    [VMBUS_PKT_DATA_USING_GPA_DIRECT] = "DATA_USING_GPA_DIRECT",
    [VMBUS_PKT_CANCEL_REQUEST] = "CANCEL_REQUEST",
    [VMBUS_PKT_COMP] = "COMP",
    [VMBUS_PKT_DATA_USING_ADDITIONAL_PKT] = "DATA_USING_ADDITIONAL_PKT",
    [VMBUS_PKT_ADDITIONAL_DATA] = "ADDITIONAL_DATA",
};

const char *vmbus_packet_type_name(uint16_t type)
{
    return type < sizeof(packet_names) / sizeof(packet_names[0]) ? packet_names[type] : NULL;
}

/* --- pieces of the text ------------------------------------------------------------------ */

static void put_status(struct fmt_out *o, const char *key, uint32_t status)
{
    const char *name = vmbus_status_name(status);
    if (name)
        fmt_append(o, " %s=%s", key, name);
    else
        fmt_append(o, " %s=0x%08x", key, (unsigned)status);
}

static void put_guid(struct fmt_out *o, const char *key, const uint8_t *bytes)
{
    GUID g;
    char text[GUID_TEXT_SIZE];
    memcpy(&g, bytes, sizeof(g));
    guid_format(&g, text);
    fmt_append(o, " %s=%s", key, text);
}

static void put_version(struct fmt_out *o, uint32_t v)
{
    fmt_append(o, " version=%u.%u", VMBUS_VERSION_MAJOR(v), VMBUS_VERSION_MINOR(v));
}

/* --- one decoder per message type: m is a copy of at least `need` bytes ---------------------- */

/* The copy every decoder reads: the largest layout, zero past what arrived
 * (never read: each decoder runs only when size covers its layout). */
union msg {
    uint8_t bytes[HV_MESSAGE_PAYLOAD_SIZE];
    struct vmbus_msg_header header;
    struct vmbus_initiate_contact contact;
    struct vmbus_version_response version;
    struct vmbus_offer_channel offer;
    struct vmbus_relid_msg relid;
    struct vmbus_open_channel open;
    struct vmbus_open_result open_result;
    struct vmbus_gpadl_header gpadl_header;
    struct vmbus_gpadl_body gpadl_body;
    struct vmbus_gpadl_created gpadl_created;
    struct vmbus_gpadl_teardown gpadl_teardown;
    struct vmbus_gpadl_torndown gpadl_torndown;
    struct vmbus_modifychannel modify;
    struct vmbus_modifychannel_response modify_response;
    struct vmbus_tl_connect_request tl_request;
    struct vmbus_tl_connect_result tl_result;
};

static void d_none(struct fmt_out *o, const union msg *m, uint32_t size)
{
    (void)o;
    (void)m;
    (void)size;
}

static void d_contact(struct fmt_out *o, const union msg *m, uint32_t size)
{
    const struct vmbus_initiate_contact *c = &m->contact;
    put_version(o, c->version_requested);
    fmt_append(o, " vp=%u", (unsigned)c->target_vcpu);
    /* The same 8 bytes: the message SINT from 5.0, the interrupt page before. */
    if (c->version_requested >= VMBUS_VERSION_WIN10_V5)
        fmt_append(o, " sint=%u vtl=%u", c->msg_sint, c->msg_vtl);
    else
        fmt_append(o, " interrupt_page=0x%llx", (unsigned long long)c->interrupt_page);
    fmt_append(o, " monitor1=0x%llx monitor2=0x%llx", (unsigned long long)c->monitor_page1,
               (unsigned long long)c->monitor_page2);
    if (size > sizeof(*c))
        fmt_append(o, " (+%u bytes of a later protocol)", (unsigned)(size - sizeof(*c)));
}

static void d_version(struct fmt_out *o, const union msg *m, uint32_t size)
{
    (void)size;
    fmt_append(o, " supported=%u state=%u conn=%u", m->version.version_supported,
               m->version.connection_state, (unsigned)m->version.msg_conn_id);
}

static void d_offer(struct fmt_out *o, const union msg *m, uint32_t size)
{
    (void)size;
    const struct vmbus_offer_channel *c = &m->offer;
    fmt_append(o, " relid=%u", (unsigned)c->child_relid);
    put_guid(o, "class", c->if_type);
    put_guid(o, "instance", c->if_instance);
    fmt_append(o,
               " mmio=%u+%uMiB flags=0x%x subchannel=%u monitor=%u monitor_allocated=%u"
               " dedicated_interrupt=%u connection=0x%x",
               c->mmio_megabytes, c->mmio_megabytes_optional, c->chn_flags, c->sub_channel_index,
               c->monitorid, c->monitor_flags & 1u,
               c->interrupt_flags & VMBUS_OFFER_DEDICATED_INTERRUPT, (unsigned)c->connection_id);
}

static void d_relid(struct fmt_out *o, const union msg *m, uint32_t size)
{
    (void)size;
    fmt_append(o, " relid=%u", (unsigned)m->relid.child_relid);
}

static void d_open(struct fmt_out *o, const union msg *m, uint32_t size)
{
    (void)size;
    const struct vmbus_open_channel *c = &m->open;
    fmt_append(o, " relid=%u openid=%u gpadl=0x%x vp=%u downstream=%u", (unsigned)c->child_relid,
               (unsigned)c->openid, (unsigned)c->ringbuffer_gpadl, (unsigned)c->target_vp,
               (unsigned)c->downstream_page_offset);
}

static void d_open_result(struct fmt_out *o, const union msg *m, uint32_t size)
{
    (void)size;
    fmt_append(o, " relid=%u openid=%u", (unsigned)m->open_result.child_relid,
               (unsigned)m->open_result.openid);
    put_status(o, "status", m->open_result.status);
}

/* PFN words and the first range's descriptor when this message carries it. */
static void d_gpadl_header(struct fmt_out *o, const union msg *m, uint32_t size)
{
    const struct vmbus_gpadl_header *h = &m->gpadl_header;
    uint32_t words = (size - sizeof(*h)) / 8;
    fmt_append(o, " relid=%u gpadl=0x%x ranges=%u buflen=%u", (unsigned)h->child_relid,
               (unsigned)h->gpadl, h->rangecount, h->range_buflen);
    /* A range buffer is, per range, one byte_count/byte_offset word and its
     * PFNs: what is not a range word is a page. */
    if (h->range_buflen % 8 == 0 && h->range_buflen / 8 >= h->rangecount)
        fmt_append(o, " pages=%u", h->range_buflen / 8u - h->rangecount);
    else
        fmt_append(o, " pages=invalid");
    fmt_append(o, " words_here=%u", (unsigned)words);
    if (words >= 1) {
        struct vmbus_gpa_range r;
        memcpy(&r, m->bytes + sizeof(*h), sizeof(r));
        fmt_append(o, " range0=%u@%u", (unsigned)r.byte_count, (unsigned)r.byte_offset);
    }
    if ((size - sizeof(*h)) % 8)
        fmt_append(o, " (+%u stray bytes)", (unsigned)((size - sizeof(*h)) % 8));
}

static void d_gpadl_body(struct fmt_out *o, const union msg *m, uint32_t size)
{
    const struct vmbus_gpadl_body *b = &m->gpadl_body;
    fmt_append(o, " msgnumber=%u gpadl=0x%x words_here=%u", (unsigned)b->msgnumber,
               (unsigned)b->gpadl, (unsigned)((size - sizeof(*b)) / 8));
    if ((size - sizeof(*b)) % 8)
        fmt_append(o, " (+%u stray bytes)", (unsigned)((size - sizeof(*b)) % 8));
}

static void d_gpadl_created(struct fmt_out *o, const union msg *m, uint32_t size)
{
    (void)size;
    fmt_append(o, " relid=%u gpadl=0x%x", (unsigned)m->gpadl_created.child_relid,
               (unsigned)m->gpadl_created.gpadl);
    put_status(o, "status", m->gpadl_created.creation_status);
}

static void d_gpadl_teardown(struct fmt_out *o, const union msg *m, uint32_t size)
{
    (void)size;
    fmt_append(o, " relid=%u gpadl=0x%x", (unsigned)m->gpadl_teardown.child_relid,
               (unsigned)m->gpadl_teardown.gpadl);
}

static void d_gpadl_torndown(struct fmt_out *o, const union msg *m, uint32_t size)
{
    (void)size;
    fmt_append(o, " gpadl=0x%x", (unsigned)m->gpadl_torndown.gpadl);
}

static void d_modify(struct fmt_out *o, const union msg *m, uint32_t size)
{
    (void)size;
    fmt_append(o, " relid=%u vp=%u", (unsigned)m->modify.child_relid,
               (unsigned)m->modify.target_vp);
}

static void d_modify_response(struct fmt_out *o, const union msg *m, uint32_t size)
{
    (void)size;
    fmt_append(o, " relid=%u", (unsigned)m->modify_response.child_relid);
    put_status(o, "status", m->modify_response.status);
}

static void d_tl_request(struct fmt_out *o, const union msg *m, uint32_t size)
{
    (void)size;
    put_guid(o, "endpoint", m->tl_request.guest_endpoint_id);
    put_guid(o, "service", m->tl_request.host_service_id);
}

static void d_tl_result(struct fmt_out *o, const union msg *m, uint32_t size)
{
    (void)size;
    put_guid(o, "endpoint", m->tl_result.guest_endpoint_id);
    put_guid(o, "service", m->tl_result.host_service_id);
    put_status(o, "status", m->tl_result.status);
}

/* Per type: the decoder, the layout's size (the least it reads), and
 * whether that size is exact (every fixed message) or a minimum (GPADL
 * messages carry words after it; INITIATE_CONTACT may grow). */
static const struct {
    void (*fn)(struct fmt_out *o, const union msg *m, uint32_t size);
    uint8_t size;
    bool exact;
} decoders[VMBUS_MSG_COUNT] = {
    [VMBUS_MSG_INVALID] = {d_none, 8, true},
    [VMBUS_MSG_OFFERCHANNEL] = {d_offer, sizeof(struct vmbus_offer_channel), true},
    [VMBUS_MSG_RESCIND_CHANNELOFFER] = {d_relid, sizeof(struct vmbus_relid_msg), true},
    [VMBUS_MSG_REQUESTOFFERS] = {d_none, 8, true},
    [VMBUS_MSG_ALLOFFERS_DELIVERED] = {d_none, 8, true},
    [VMBUS_MSG_OPENCHANNEL] = {d_open, sizeof(struct vmbus_open_channel), true},
    [VMBUS_MSG_OPENCHANNEL_RESULT] = {d_open_result, sizeof(struct vmbus_open_result), true},
    [VMBUS_MSG_CLOSECHANNEL] = {d_relid, sizeof(struct vmbus_relid_msg), true},
    [VMBUS_MSG_GPADL_HEADER] = {d_gpadl_header, sizeof(struct vmbus_gpadl_header), false},
    [VMBUS_MSG_GPADL_BODY] = {d_gpadl_body, sizeof(struct vmbus_gpadl_body), false},
    [VMBUS_MSG_GPADL_CREATED] = {d_gpadl_created, sizeof(struct vmbus_gpadl_created), true},
    [VMBUS_MSG_GPADL_TEARDOWN] = {d_gpadl_teardown, sizeof(struct vmbus_gpadl_teardown), true},
    [VMBUS_MSG_GPADL_TORNDOWN] = {d_gpadl_torndown, sizeof(struct vmbus_gpadl_torndown), true},
    [VMBUS_MSG_RELID_RELEASED] = {d_relid, sizeof(struct vmbus_relid_msg), true},
    [VMBUS_MSG_INITIATE_CONTACT] = {d_contact, sizeof(struct vmbus_initiate_contact), false},
    [VMBUS_MSG_VERSION_RESPONSE] = {d_version, sizeof(struct vmbus_version_response), true},
    [VMBUS_MSG_UNLOAD] = {d_none, 8, true},
    [VMBUS_MSG_UNLOAD_RESPONSE] = {d_none, 8, true},
    [VMBUS_MSG_TL_CONNECT_REQUEST] = {d_tl_request, sizeof(struct vmbus_tl_connect_request), true},
    [VMBUS_MSG_MODIFYCHANNEL] = {d_modify, sizeof(struct vmbus_modifychannel), true},
    [VMBUS_MSG_TL_CONNECT_RESULT] = {d_tl_result, sizeof(struct vmbus_tl_connect_result), true},
    [VMBUS_MSG_MODIFYCHANNEL_RESPONSE] = {d_modify_response,
                                          sizeof(struct vmbus_modifychannel_response), true},
};

size_t vmbus_decode(char *buf, size_t cap, const void *msg, uint32_t size)
{
    struct fmt_out o = {buf, cap, 0};
    if (!cap)
        return 0;
    buf[0] = '\0';
    if (size < sizeof(struct vmbus_msg_header)) {
        fmt_append(&o, "malformed: %u bytes, shorter than the 8-byte header", (unsigned)size);
        return o.len;
    }
    union msg m;
    uint32_t n = size < sizeof(m) ? size : (uint32_t)sizeof(m);
    memset(&m, 0, sizeof(m));
    memcpy(&m, msg, n); /* a copy: the guest cannot change it under us */
    uint32_t type = m.header.msgtype;
    if (type >= VMBUS_MSG_COUNT || !decoders[type].fn) {
        fmt_append(&o, "unknown type %u (%u bytes)", (unsigned)type, (unsigned)size);
        return o.len;
    }
    fmt_append(&o, "%s", msg_names[type]);
    if (size > sizeof(m)) {
        fmt_append(&o, " malformed: %u bytes, above the %u-byte message payload", (unsigned)size,
                   (unsigned)sizeof(m));
        return o.len;
    }
    if (size < decoders[type].size) {
        fmt_append(&o, " malformed: %u bytes, its layout has %u", (unsigned)size,
                   (unsigned)decoders[type].size);
        return o.len;
    }
    decoders[type].fn(&o, &m, size);
    if (decoders[type].exact && size > decoders[type].size)
        fmt_append(&o, " (+%u bytes past its %u-byte layout)",
                   (unsigned)(size - decoders[type].size), (unsigned)decoders[type].size);
    return o.len;
}

void vmbus_trace_message(bool to_guest, const void *msg, uint32_t size)
{
    if (!trace_admit(TRACE_VMBUS))
        return;
    char text[TRACE_LINE_MAX];
    vmbus_decode(text, sizeof(text), msg, size);
    trace_emit(TRACE_VMBUS, "%s %s", to_guest ? "host->guest" : "guest->host", text);
}

void vmbus_trace_packet(uint32_t relid, const char *name, bool to_guest, uint16_t type,
                        uint16_t flags, uint32_t len, uint64_t trans_id, bool signal,
                        size_t (*decode)(const void *, size_t, char *, size_t), const void *data)
{
    if (!trace_admit(TRACE_RING))
        return;
    const char *tn = vmbus_packet_type_name(type);
    char tbuf[8];
    if (!tn) {
        fmt_snprintf(tbuf, sizeof(tbuf), "0x%x", type);
        tn = tbuf;
    }
    char text[TRACE_LINE_MAX / 2 + 32];
    text[0] = '\0';
    if (decode && data) {
        size_t n = decode(data, len, text + 3, sizeof(text) - 3);
        text[sizeof(text) - 1] = '\0';
        if (n) {
            text[0] = ' ';
            text[1] = '|';
            text[2] = ' ';
        }
    }
    trace_emit(TRACE_RING, "relid=%u %s %s type=%s flags=0x%x len=%u trans=0x%llx signal=%s%s",
               (unsigned)relid, name, to_guest ? "host->guest" : "guest->host", tn, flags,
               (unsigned)len, (unsigned long long)trans_id, signal ? "yes" : "no", text);
}
