/* The decoded trace (lib/trace.h, vmbus/trace.h): the classes and their line
 * budget; every VMBus channel message type decoded by name with its fields,
 * and hostile or short bytes decoded as "malformed" without reading past the
 * buffer (each case in an exactly sized allocation, under ASan); ring packet
 * lines; hypercalls by name with their status and SynIC events through the
 * real partition; SVM exits by reason with RIP. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "hyperv/hv_wire.h"
#include "hyperv/hyperv.h"
#include "lib/trace.h"
#include "vmbus/kmcl.h"
#include "vmbus/ring.h"
#include "vmbus/trace.h"
#include "vmbus/vmbus_wire.h"

#include "fixture.h"

#define ALL_CLASSES ((1u << HV_TRACE_CLASSES) - 1)

static void has_line(const char *line)
{
    char want[512];
    snprintf(want, sizeof(want), "%s\n", line);
    if (!strstr(logbuf, want))
        fail_msg("no line '%s' in the log:\n%s", line, logbuf);
}

static int off(void **state)
{
    (void)state;
    trace_init(0);
    log_reset();
    return 0;
}

/* --- the classes and the budget ------------------------------------------------------ */

static void off_by_default_and_when_not_named(void **state)
{
    (void)state;
    for (unsigned c = 0; c < TRACE_CLASS_COUNT; c++) {
        assert_false(trace_on(c));
        trace_line(c, "nothing");
    }
    assert_string_equal(logbuf, "");
    trace_init(HV_TRACE_VMBUS | HV_TRACE_EXIT);
    assert_string_equal(logbuf, "hv: trace: on: vmbus,exit (at most 2000 lines per class, then "
                                "counted in trace_dropped=)\n");
    assert_true(trace_on(TRACE_VMBUS));
    assert_true(trace_on(TRACE_EXIT));
    assert_false(trace_on(TRACE_RING));
    log_reset();
    trace_line(TRACE_RING, "not on");
    trace_line(TRACE_VMBUS, "x=%u", 5);
    trace_line(TRACE_EXIT, "y");
    assert_string_equal(logbuf, "hv: trace: vmbus: x=5\nhv: trace: exit: y\n");
    /* bits no class has are ignored */
    trace_init(0xffffffffu);
    assert_int_equal(trace_mask, ALL_CLASSES);
    assert_string_equal(trace_class_name(TRACE_HYPERCALL), "hypercall");
    assert_string_equal(trace_class_name(TRACE_SYNIC), "synic");
    assert_string_equal(trace_class_name(TRACE_RING), "ring");
}

static void each_class_has_its_budget_then_counts(void **state)
{
    (void)state;
    trace_init(HV_TRACE_RING | HV_TRACE_HYPERCALL);
    for (unsigned i = 0; i < TRACE_BUDGET; i++)
        trace_line(TRACE_RING, "packet %u", i);
    assert_int_equal(trace_printed(), TRACE_BUDGET);
    assert_int_equal(trace_dropped(), 0);
    log_reset();
    for (unsigned i = 0; i < 5; i++)
        trace_line(TRACE_RING, "more %u", i);
    assert_true(trace_admit(TRACE_RING)); /* still decoded: it becomes a trace record */
    trace_emit(TRACE_RING, "and more");
    assert_string_equal(logbuf, "hv: trace: ring: 2000 lines: further ring lines dropped "
                                "(counted in trace_dropped=)\n");
    assert_int_equal(trace_dropped(), 6);
    /* the records have no budget: every event past it is one */
    assert_non_null(strstr(recbuf, "\"text\":\"more 0\"}\n"));
    assert_non_null(strstr(recbuf, "\"text\":\"more 4\"}\n"));
    assert_non_null(strstr(recbuf, "\"text\":\"and more\"}\n"));
    /* another class still prints */
    log_reset();
    trace_line(TRACE_HYPERCALL, "still here");
    assert_string_equal(logbuf, "hv: trace: hypercall: still here\n");
    char buf[64];
    assert_int_equal(trace_summary(buf, sizeof(buf)), strlen(" trace_dropped=6"));
    assert_string_equal(buf, " trace_dropped=6");
    /* a restart starts over */
    trace_init(HV_TRACE_RING);
    assert_int_equal(trace_dropped(), 0);
    assert_int_equal(trace_printed(), 0);
    trace_summary(buf, sizeof(buf));
    assert_string_equal(buf, " trace_dropped=0");
}

/* One JSON object per event, keys in a fixed order (scripts/trace-filter.sh
 * relies on it): the relid and the message name picked from the text, the
 * text escaped. */
static void trace_records(void **state)
{
    (void)state;
    char rec[TRACE_RECORD_MAX];
    static const struct {
        enum trace_class c;
        const char *text, *want;
    } cases[] = {
        {TRACE_VMBUS, "host->guest OFFERCHANNEL relid=12 class=abc",
         "{\"t_us\":7,\"class\":\"vmbus\",\"relid\":12,\"msg\":\"OFFERCHANNEL\","
         "\"text\":\"host->guest OFFERCHANNEL relid=12 class=abc\"}\n"},
        {TRACE_VMBUS, "guest->host REQUESTOFFERS",
         "{\"t_us\":7,\"class\":\"vmbus\",\"relid\":null,\"msg\":\"REQUESTOFFERS\","
         "\"text\":\"guest->host REQUESTOFFERS\"}\n"},
        {TRACE_RING, "relid=1 small guest->host type=DATA_INBAND flags=0x0 len=8",
         "{\"t_us\":7,\"class\":\"ring\",\"relid\":1,\"msg\":\"DATA_INBAND\","
         "\"text\":\"relid=1 small guest->host type=DATA_INBAND flags=0x0 len=8\"}\n"},
        {TRACE_RING, "relid=3 small signal from the guest",
         "{\"t_us\":7,\"class\":\"ring\",\"relid\":3,\"msg\":null,"
         "\"text\":\"relid=3 small signal from the guest\"}\n"},
        {TRACE_HYPERCALL, "HvPostMessage conn=4 -> HV_STATUS_SUCCESS",
         "{\"t_us\":7,\"class\":\"hypercall\",\"relid\":null,\"msg\":\"HvPostMessage\","
         "\"text\":\"HvPostMessage conn=4 -> HV_STATUS_SUCCESS\"}\n"},
        /* hostile text: quotes, backslashes, controls; "relid=" without digits; prefixes */
        {TRACE_EXIT, "q\"b\\c\x01 xrelid=5 relid=x",
         "{\"t_us\":7,\"class\":\"exit\",\"relid\":null,\"msg\":\"q\\\"b\\\\c\\u0001\","
         "\"text\":\"q\\\"b\\\\c\\u0001 xrelid=5 relid=x\"}\n"},
        {TRACE_SYNIC, "",
         "{\"t_us\":7,\"class\":\"synic\",\"relid\":null,\"msg\":null,\"text\":\"\"}\n"},
    };
    for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        size_t n = trace_record(rec, sizeof(rec), 7, cases[i].c, cases[i].text);
        assert_int_equal(n, strlen(cases[i].want));
        assert_memory_equal(rec, cases[i].want, n);
    }
    /* a text that escapes to more than fits: cut, still one line ending in a newline */
    char big[TRACE_LINE_MAX];
    memset(big, '"', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    size_t n = trace_record(rec, sizeof(rec), UINT64_MAX, TRACE_RING, big);
    assert_true(n <= sizeof(rec));
    assert_int_equal(rec[n - 1], '\n');
    assert_null(memchr(rec, '\n', n - 1));

    /* off: no records either */
    trace_init(0);
    log_reset();
    trace_line(TRACE_VMBUS, "x");
    assert_int_equal(reclen, 0);
}

static void a_long_line_stays_one_line(void **state)
{
    (void)state;
    trace_init(HV_TRACE_VMBUS);
    log_reset();
    char big[1000];
    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    trace_line(TRACE_VMBUS, "%s", big);
    assert_int_equal(loglen, TRACE_LINE_MAX - 1);
    assert_int_equal(logbuf[loglen - 1], '\n');
    assert_ptr_equal(strchr(logbuf, '\n'), logbuf + loglen - 1);
}

/* --- channel messages ------------------------------------------------------------------ */

static const GUID class_guid = {
    0xeec1e1e7, 0x2dea, 0x409d, {0x97, 0xec, 0x01, 0x91, 0x17, 0xe6, 0x7f, 0x6f}};
static const GUID instance_guid = {
    0x6b1e5a0c, 0x3d2f, 0x4e8a, {0x9b, 0x7c, 0x1a, 0x2b, 0x3c, 0x4d, 0x5e, 0x6f}};

struct sample {
    uint8_t bytes[240];
    uint32_t size;
    const char *text;
};

/* A well-formed message of each type, as each side sends it, and its text. */
static struct sample sample(uint32_t type)
{
    struct sample s;
    memset(&s, 0, sizeof(s));
    memcpy(s.bytes, &type, 4);
    s.size = 8;
    switch (type) {
    case VMBUS_MSG_INVALID:
        s.text = "INVALID";
        break;
    case VMBUS_MSG_OFFERCHANNEL: {
        struct vmbus_offer_channel o;
        memset(&o, 0, sizeof(o));
        o.header.msgtype = type;
        memcpy(o.if_type, &class_guid, 16);
        memcpy(o.if_instance, &instance_guid, 16);
        o.mmio_megabytes = 16;
        o.mmio_megabytes_optional = 8;
        o.child_relid = 3;
        o.interrupt_flags = VMBUS_OFFER_DEDICATED_INTERRUPT;
        o.connection_id = 0x13;
        memset(o.user_defined, 0xAB, sizeof(o.user_defined));
        memcpy(s.bytes, &o, sizeof(o));
        s.size = sizeof(o);
        s.text = "OFFERCHANNEL relid=3 class=eec1e1e7-2dea-409d-97ec-019117e67f6f "
                 "instance=6b1e5a0c-3d2f-4e8a-9b7c-1a2b3c4d5e6f mmio=16+8MiB flags=0x0 "
                 "subchannel=0 monitor=0 monitor_allocated=0 dedicated_interrupt=1 "
                 "connection=0x13";
        break;
    }
    case VMBUS_MSG_RESCIND_CHANNELOFFER:
    case VMBUS_MSG_CLOSECHANNEL:
    case VMBUS_MSG_RELID_RELEASED: {
        struct vmbus_relid_msg m = {{type, 0}, 3};
        memcpy(s.bytes, &m, sizeof(m));
        s.size = sizeof(m);
        s.text = type == VMBUS_MSG_CLOSECHANNEL     ? "CLOSECHANNEL relid=3"
                 : type == VMBUS_MSG_RELID_RELEASED ? "RELID_RELEASED relid=3"
                                                    : "RESCIND_CHANNELOFFER relid=3";
        break;
    }
    case VMBUS_MSG_REQUESTOFFERS:
        s.text = "REQUESTOFFERS";
        break;
    case VMBUS_MSG_ALLOFFERS_DELIVERED:
        s.text = "ALLOFFERS_DELIVERED";
        break;
    case VMBUS_MSG_OPENCHANNEL: {
        struct vmbus_open_channel o;
        memset(&o, 0x5A, sizeof(o)); /* user data: not decoded */
        o.header = (struct vmbus_msg_header){type, 0};
        o.child_relid = 3;
        o.openid = 9;
        o.ringbuffer_gpadl = 0xE1E10;
        o.target_vp = 0;
        o.downstream_page_offset = 4;
        memcpy(s.bytes, &o, sizeof(o));
        s.size = sizeof(o);
        s.text = "OPENCHANNEL relid=3 openid=9 gpadl=0xe1e10 vp=0 downstream=4";
        break;
    }
    case VMBUS_MSG_OPENCHANNEL_RESULT: {
        struct vmbus_open_result r = {{type, 0}, 3, 9, 0};
        memcpy(s.bytes, &r, sizeof(r));
        s.size = sizeof(r);
        s.text = "OPENCHANNEL_RESULT relid=3 openid=9 status=STATUS_SUCCESS";
        break;
    }
    case VMBUS_MSG_GPADL_HEADER: {
        /* 8 pages in one range: the header, its range word and 8 PFNs */
        struct vmbus_gpadl_header h = {{type, 0}, 3, 0xE1E10, 8 + 8 * 8, 1};
        struct vmbus_gpa_range r = {8 * 4096, 0};
        memcpy(s.bytes, &h, sizeof(h));
        memcpy(s.bytes + 20, &r, sizeof(r));
        for (uint64_t i = 0; i < 8; i++)
            memcpy(s.bytes + 28 + 8 * i, &(uint64_t){0x100 + i}, 8);
        s.size = 28 + 64;
        s.text = "GPADL_HEADER relid=3 gpadl=0xe1e10 ranges=1 buflen=72 pages=8 words_here=9 "
                 "range0=32768@0";
        break;
    }
    case VMBUS_MSG_GPADL_BODY: {
        struct vmbus_gpadl_body b = {{type, 0}, 0, 0xE1E10};
        memcpy(s.bytes, &b, sizeof(b));
        s.size = sizeof(b) + 4 * 8;
        s.text = "GPADL_BODY msgnumber=0 gpadl=0xe1e10 words_here=4";
        break;
    }
    case VMBUS_MSG_GPADL_CREATED: {
        struct vmbus_gpadl_created c = {{type, 0}, 3, 0xE1E10, (uint32_t)STATUS_INVALID_PARAMETER};
        memcpy(s.bytes, &c, sizeof(c));
        s.size = sizeof(c);
        s.text = "GPADL_CREATED relid=3 gpadl=0xe1e10 status=STATUS_INVALID_PARAMETER";
        break;
    }
    case VMBUS_MSG_GPADL_TEARDOWN: {
        struct vmbus_gpadl_teardown t = {{type, 0}, 3, 0xE1E10};
        memcpy(s.bytes, &t, sizeof(t));
        s.size = sizeof(t);
        s.text = "GPADL_TEARDOWN relid=3 gpadl=0xe1e10";
        break;
    }
    case VMBUS_MSG_GPADL_TORNDOWN: {
        struct vmbus_gpadl_torndown t = {{type, 0}, 0xE1E10};
        memcpy(s.bytes, &t, sizeof(t));
        s.size = sizeof(t);
        s.text = "GPADL_TORNDOWN gpadl=0xe1e10";
        break;
    }
    case VMBUS_MSG_INITIATE_CONTACT: {
        struct vmbus_initiate_contact c;
        memset(&c, 0, sizeof(c));
        c.header.msgtype = type;
        c.version_requested = VMBUS_VERSION_WIN10_V5_3;
        c.msg_sint = 2;
        c.monitor_page1 = 0x5000;
        c.monitor_page2 = 0x6000;
        memcpy(s.bytes, &c, sizeof(c));
        s.size = sizeof(c);
        s.text = "INITIATE_CONTACT version=5.3 vp=0 sint=2 vtl=0 monitor1=0x5000 monitor2=0x6000";
        break;
    }
    case VMBUS_MSG_VERSION_RESPONSE: {
        struct vmbus_version_response r = {{type, 0}, 1, 0, 0, 4};
        memcpy(s.bytes, &r, sizeof(r));
        s.size = sizeof(r);
        s.text = "VERSION_RESPONSE supported=1 state=0 conn=4";
        break;
    }
    case VMBUS_MSG_UNLOAD:
        s.text = "UNLOAD";
        break;
    case VMBUS_MSG_UNLOAD_RESPONSE:
        s.text = "UNLOAD_RESPONSE";
        break;
    case VMBUS_MSG_TL_CONNECT_REQUEST:
    case VMBUS_MSG_TL_CONNECT_RESULT: {
        struct vmbus_tl_connect_result r;
        memset(&r, 0, sizeof(r));
        r.header.msgtype = type;
        memcpy(r.guest_endpoint_id, &instance_guid, 16);
        memcpy(r.host_service_id, &class_guid, 16);
        r.status = (uint32_t)STATUS_INVALID_DEVICE_STATE;
        memcpy(s.bytes, &r, sizeof(r));
        s.size = type == VMBUS_MSG_TL_CONNECT_REQUEST ? 40 : 44;
        s.text = type == VMBUS_MSG_TL_CONNECT_REQUEST
                     ? "TL_CONNECT_REQUEST endpoint=6b1e5a0c-3d2f-4e8a-9b7c-1a2b3c4d5e6f "
                       "service=eec1e1e7-2dea-409d-97ec-019117e67f6f"
                     : "TL_CONNECT_RESULT endpoint=6b1e5a0c-3d2f-4e8a-9b7c-1a2b3c4d5e6f "
                       "service=eec1e1e7-2dea-409d-97ec-019117e67f6f "
                       "status=STATUS_INVALID_DEVICE_STATE";
        break;
    }
    case VMBUS_MSG_MODIFYCHANNEL: {
        struct vmbus_modifychannel m = {{type, 0}, 3, 1};
        memcpy(s.bytes, &m, sizeof(m));
        s.size = sizeof(m);
        s.text = "MODIFYCHANNEL relid=3 vp=1";
        break;
    }
    case VMBUS_MSG_MODIFYCHANNEL_RESPONSE: {
        struct vmbus_modifychannel_response r = {{type, 0}, 3, 0x12345678};
        memcpy(s.bytes, &r, sizeof(r));
        s.size = sizeof(r);
        s.text = "MODIFYCHANNEL_RESPONSE relid=3 status=0x12345678";
        break;
    }
    default:
        s.text = NULL; /* 18-20 and >= 25: unknown */
        break;
    }
    return s;
}

/* Decodes size bytes from an allocation of exactly that size. */
static const char *decode(const void *bytes, uint32_t size)
{
    static char text[TRACE_LINE_MAX];
    uint8_t *copy = malloc(size ? size : 1);
    memcpy(copy, bytes, size);
    size_t n = vmbus_decode(text, sizeof(text), copy, size);
    free(copy);
    assert_int_equal(n, strlen(text));
    return text;
}

static void every_message_type_decodes_by_name(void **state)
{
    (void)state;
    for (uint32_t type = 0; type < VMBUS_MSG_COUNT + 3; type++) {
        struct sample s = sample(type);
        if (s.text) {
            assert_string_equal(decode(s.bytes, s.size), s.text);
            size_t n = strlen(vmbus_msg_name(type));
            assert_int_equal(strncmp(s.text, vmbus_msg_name(type), n), 0);
            assert_true(s.text[n] == ' ' || s.text[n] == '\0');
        } else {
            char want[64];
            snprintf(want, sizeof(want), "unknown type %u (8 bytes)", type);
            assert_string_equal(decode(s.bytes, s.size), want);
            assert_string_equal(vmbus_msg_name(type), "unknown");
        }
    }
    uint8_t m[8] = {0xff, 0xff, 0xff, 0xff};
    assert_string_equal(decode(m, 8), "unknown type 4294967295 (8 bytes)");
}

static void versions_before_5_0_carry_the_interrupt_page(void **state)
{
    (void)state;
    struct vmbus_initiate_contact c;
    memset(&c, 0, sizeof(c));
    c.header.msgtype = VMBUS_MSG_INITIATE_CONTACT;
    c.version_requested = VMBUS_VERSION_WIN10;
    c.interrupt_page = 0x7000;
    c.monitor_page1 = 0x5000;
    c.monitor_page2 = 0x6000;
    assert_string_equal(decode(&c, sizeof(c)), "INITIATE_CONTACT version=4.0 vp=0 "
                                               "interrupt_page=0x7000 monitor1=0x5000 "
                                               "monitor2=0x6000");
    uint8_t longer[48] = {0};
    memcpy(longer, &c, sizeof(c));
    assert_string_equal(decode(longer, sizeof(longer)),
                        "INITIATE_CONTACT version=4.0 vp=0 interrupt_page=0x7000 "
                        "monitor1=0x5000 monitor2=0x6000 (+8 bytes of a later protocol)");
}

static void statuses_by_name(void **state)
{
    (void)state;
    assert_string_equal(vmbus_status_name(0), "STATUS_SUCCESS");
    assert_string_equal(vmbus_status_name(0xC000009A), "STATUS_INSUFFICIENT_RESOURCES");
    assert_string_equal(vmbus_status_name(0xC0000184), "STATUS_INVALID_DEVICE_STATE");
    assert_string_equal(vmbus_status_name(0xC00000EF), "STATUS_INVALID_PARAMETER_1");
    assert_null(vmbus_status_name(0x12345678));
    assert_string_equal(hyperv_status_name(HV_STATUS_INSUFFICIENT_BUFFERS),
                        "HV_STATUS_INSUFFICIENT_BUFFERS");
    assert_null(hyperv_status_name(0x99));
    assert_string_equal(hyperv_hypercall_name(HVCALL_POST_MESSAGE), "HvPostMessage");
    assert_string_equal(hyperv_hypercall_name(HVCALL_SIGNAL_EVENT), "HvSignalEvent");
    assert_null(hyperv_hypercall_name(0x4321));
    assert_string_equal(vmbus_packet_type_name(VMBUS_PKT_COMP), "COMP");
    assert_string_equal(vmbus_packet_type_name(VMBUS_PKT_DATA_INBAND), "DATA_INBAND");
    assert_null(vmbus_packet_type_name(0xe));
}

/* Every type cut at every length short of its layout: "malformed", never a
 * read past the (exactly sized) buffer. */
static void short_messages_decode_as_malformed(void **state)
{
    (void)state;
    for (uint32_t type = 0; type < VMBUS_MSG_COUNT; type++) {
        struct sample s = sample(type);
        if (!s.text)
            continue;
        uint32_t layout = type == VMBUS_MSG_GPADL_HEADER ? 20
                          : type == VMBUS_MSG_GPADL_BODY ? 16
                                                         : s.size;
        for (uint32_t size = 0; size < layout; size++) {
            char want[128];
            if (size < 8)
                snprintf(want, sizeof(want), "malformed: %u bytes, shorter than the 8-byte header",
                         size);
            else
                snprintf(want, sizeof(want), "%s malformed: %u bytes, its layout has %u",
                         vmbus_msg_name(type), size, layout);
            assert_string_equal(decode(s.bytes, size), want);
        }
    }
}

static void odd_sizes_and_fields_are_said(void **state)
{
    (void)state;
    struct sample s = sample(VMBUS_MSG_OPENCHANNEL);
    assert_string_equal(decode(s.bytes, 150), "OPENCHANNEL relid=3 openid=9 gpadl=0xe1e10 vp=0 "
                                              "downstream=4 (+2 bytes past its 148-byte layout)");
    uint8_t big[300] = {0};
    big[0] = VMBUS_MSG_OPENCHANNEL;
    assert_string_equal(decode(big, 241),
                        "OPENCHANNEL malformed: 241 bytes, above the 240-byte message payload");
    /* a header alone, a range buffer length that is not whole words, fewer
     * words than ranges, stray bytes */
    struct vmbus_gpadl_header h = {{VMBUS_MSG_GPADL_HEADER, 0}, 1, 2, 7, 1};
    assert_string_equal(decode(&h, sizeof(h)),
                        "GPADL_HEADER relid=1 gpadl=0x2 ranges=1 buflen=7 pages=invalid "
                        "words_here=0");
    h.range_buflen = 8;
    h.rangecount = 2;
    uint8_t hb[31] = {0};
    memcpy(hb, &h, sizeof(h));
    assert_string_equal(decode(hb, sizeof(hb)),
                        "GPADL_HEADER relid=1 gpadl=0x2 ranges=2 buflen=8 pages=invalid "
                        "words_here=1 range0=0@0 (+3 stray bytes)");
    struct vmbus_gpadl_body b = {{VMBUS_MSG_GPADL_BODY, 0}, 7, 2};
    uint8_t bb[21] = {0};
    memcpy(bb, &b, sizeof(b));
    assert_string_equal(decode(bb, sizeof(bb)),
                        "GPADL_BODY msgnumber=7 gpadl=0x2 words_here=0 (+5 stray bytes)");
}

/* Random bytes of random sizes (types mostly in range, so the decoders run)
 * into buffers of every capacity: never a crash, an over-read or an
 * unterminated string. */
static void hostile_bytes_never_crash(void **state)
{
    (void)state;
    uint64_t x = 0x9E3779B97F4A7C15ull;
    for (unsigned round = 0; round < 20000; round++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        uint32_t size = (uint32_t)(x % 260);
        uint8_t *m = malloc(size ? size : 1);
        for (uint32_t i = 0; i < size; i++)
            m[i] = (uint8_t)(x >> (i % 56)) ^ (uint8_t)(i * 37);
        if (size >= 4 && round % 4)
            m[0] = (uint8_t)(x % 27), m[1] = m[2] = m[3] = 0;
        char text[TRACE_LINE_MAX + 8];
        size_t cap = round % 3 ? sizeof(text) - 8 : x % 48;
        memset(text, 'Z', sizeof(text));
        size_t n = vmbus_decode(text, cap, m, size);
        if (cap) {
            assert_true(n < cap);
            assert_int_equal(strlen(text), n);
        }
        assert_int_equal(text[cap], 'Z');
        free(m);
    }
}

static void traced_messages_and_packets(void **state)
{
    (void)state;
    struct sample s = sample(VMBUS_MSG_OFFERCHANNEL);
    vmbus_trace_message(true, s.bytes, s.size); /* trace off: nothing */
    vmbus_trace_packet(1, "x", true, 6, 0, 8, 1, false, NULL, NULL);
    assert_string_equal(logbuf, "");
    trace_init(HV_TRACE_VMBUS | HV_TRACE_RING);
    log_reset();
    vmbus_trace_message(true, s.bytes, s.size);
    s = sample(VMBUS_MSG_REQUESTOFFERS);
    vmbus_trace_message(false, s.bytes, 3);
    vmbus_trace_packet(2, "test0", false, VMBUS_PKT_DATA_INBAND, 1, 256, 0x1234, false, NULL, NULL);
    vmbus_trace_packet(2, "test0", true, VMBUS_PKT_COMP, 0, 8, 0x1234, true, NULL, NULL);
    vmbus_trace_packet(2, "test0", true, 0x77, 0, 0, 0, false, NULL, NULL);
    assert_string_equal(
        logbuf, "hv: trace: vmbus: host->guest OFFERCHANNEL relid=3 "
                "class=eec1e1e7-2dea-409d-97ec-019117e67f6f "
                "instance=6b1e5a0c-3d2f-4e8a-9b7c-1a2b3c4d5e6f mmio=16+8MiB flags=0x0 "
                "subchannel=0 monitor=0 monitor_allocated=0 dedicated_interrupt=1 connection=0x13\n"
                "hv: trace: vmbus: guest->host malformed: 3 bytes, shorter than the 8-byte header\n"
                "hv: trace: ring: relid=2 test0 guest->host type=DATA_INBAND flags=0x1 len=256 "
                "trans=0x1234 signal=no\n"
                "hv: trace: ring: relid=2 test0 host->guest type=COMP flags=0x0 len=8 "
                "trans=0x1234 signal=yes\n"
                "hv: trace: ring: relid=2 test0 host->guest type=0x77 flags=0x0 len=0 trans=0x0 "
                "signal=no\n");
}

/* --- hypercalls and the SynIC through the real partition --------------------------------- */

#define IN_GPA   0x4000ull
#define SIMP_GPA 0x2000ull
#define VEC      0xF3

static struct fake *partition(void)
{
    struct fake *f = fake_new(64 * 1024, 0);
    struct hyperv_platform plat = fake_platform(f, 2, 2500000000ull, 0, 1000000000);
    assert_int_equal(hyperv_init(&f->p, &f->gm, &plat), 0);
    return f;
}

static void hypercalls_by_name_with_status(void **state)
{
    (void)state;
    struct fake *f = partition();
    trace_init(HV_TRACE_HYPERCALL);
    log_reset();
    struct hv_post_message_input *in = (void *)(f->gm.host + IN_GPA);
    in->connection_id = 4;
    in->message_type = 1;
    in->payload_size = 8;
    hyperv_hypercall(&f->p, 0, HVCALL_POST_MESSAGE, IN_GPA, 0);
    hyperv_hypercall(&f->p, 0, HVCALL_POST_MESSAGE, IN_GPA + 4, 0);
    hyperv_hypercall(&f->p, 0, HVCALL_SIGNAL_EVENT | HV_HC_FAST, 0x11, 0);
    hyperv_hypercall(&f->p, 0, HVCALL_SIGNAL_EVENT | HV_HC_FAST, 0x11 | (1ull << 48), 0);
    hyperv_hypercall(&f->p, 0, 0x0008, 0, 0);
    hyperv_hypercall(&f->p, 0, 0x4321, 0x99, 0);
    assert_false(hyperv_hypercall_permitted(&f->p, 3, true));
    assert_string_equal(
        logbuf, "hv: trace: hypercall: HvPostMessage conn=4 type=1 size=8 -> "
                "HV_STATUS_INVALID_CONNECTION_ID\n"
                "hv: trace: hypercall: HvPostMessage control=0x5c input=0x4004 -> "
                "HV_STATUS_INVALID_ALIGNMENT\n"
                "hv: trace: hypercall: HvSignalEvent fast conn=0x11 flag=0 -> "
                "HV_STATUS_INVALID_CONNECTION_ID\n"
                "hv: trace: hypercall: HvSignalEvent fast conn=0x11 flag=0 -> "
                "HV_STATUS_INVALID_HYPERCALL_INPUT\n"
                "hv: trace: hypercall: HvNotifyLongSpinWait control=0x8 input=0x0 -> "
                "HV_STATUS_INVALID_HYPERCALL_CODE\n"
                "hv: trace: hypercall: code 0x4321 control=0x4321 input=0x99 -> "
                "HV_STATUS_INVALID_HYPERCALL_CODE\n"
                "hv: trace: hypercall: VMMCALL refused with #UD: cpl=3 64-bit=yes hypercall page "
                "disabled\n");
    /* off: the same calls say nothing */
    trace_init(0);
    log_reset();
    hyperv_hypercall(&f->p, 0, HVCALL_POST_MESSAGE, IN_GPA, 0);
    hyperv_hypercall_permitted(&f->p, 3, true);
    assert_string_equal(logbuf, "");
    fake_free(f);
}

static void wr(struct fake *f, uint32_t msr, uint64_t v)
{
    assert_int_equal(hyperv_msr_write(&f->p, 0, msr, v), HV_MSR_OK);
}

static void synic_posts_deliveries_eoms_and_events(void **state)
{
    (void)state;
    struct fake *f = partition();
    trace_init(HV_TRACE_SYNIC);
    log_reset();
    uint8_t msg[8] = {1};
    /* SynIC off: the message waits, its interrupt is owed */
    assert_int_equal(synic_post(&f->p, 0, 2, 1, msg, 8), HV_STATUS_SUCCESS);
    assert_int_equal(synic_signal_event(&f->p, 0, 2, 1), HV_STATUS_SUCCESS);
    has_line("hv: trace: synic: post vp=0 sint=2 type=1 size=8: queued, 1 waiting");
    has_line("hv: trace: synic: event vp=0 sint=2 flag=1 latched (SIEFP or SynIC off)");
    log_reset();
    wr(f, HV_MSR_GUEST_OS_ID, 0x8100000601C00000ull);
    wr(f, HV_MSR_SIMP, SIMP_GPA | 1);
    wr(f, HV_MSR_SINT0 + 2, VEC);
    wr(f, HV_MSR_SCONTROL, 1);
    has_line("hv: trace: synic: SIMP=0x2001 vp=0");
    has_line("hv: trace: synic: SINT2=0xf3 vp=0 (vector 0xf3)");
    has_line("hv: trace: synic: SCONTROL=0x1 vp=0");
    has_line("hv: trace: synic: deliver vp=0 sint=2 type=1 size=8 into the slot, 0 still queued");
    has_line("hv: trace: synic: irq vp=0 sint=2 vector=0xf3 raised");
    /* the slot is full: the next one waits and asks for an EOM */
    log_reset();
    assert_int_equal(synic_post(&f->p, 0, 2, 1, msg, 8), HV_STATUS_SUCCESS);
    has_line("hv: trace: synic: post vp=0 sint=2 type=1 size=8: queued, 1 waiting");
    has_line("hv: trace: synic: slot vp=0 sint=2 busy: message-pending set, 1 queued");
    log_reset();
    struct hv_message *slot = (struct hv_message *)(f->gm.host + SIMP_GPA) + 2;
    slot->header.message_type = 0;
    wr(f, HV_MSR_EOM, 0);
    assert_string_equal(
        logbuf,
        "hv: trace: synic: EOM vp=0\n"
        "hv: trace: synic: deliver vp=0 sint=2 type=1 size=8 into the slot, 0 still queued\n"
        "hv: trace: synic: irq vp=0 sint=2 vector=0xf3 raised\n");
    log_reset();
    assert_int_equal(synic_purge(&f->p, 0, 2, 1), 0); /* nothing queued: no line */
    assert_string_equal(logbuf, "");
    /* every line names the VP whose SynIC it is ... */
    assert_int_equal(synic_signal_event(&f->p, 1, 2, 5), HV_STATUS_SUCCESS);
    assert_string_equal(
        logbuf, "hv: trace: synic: event vp=1 sint=2 flag=5 latched (SIEFP or SynIC off)\n");
    /* ... after the event's name, which stays the record's msg */
    assert_non_null(strstr(recbuf, "\"class\":\"synic\",\"relid\":null,\"msg\":\"event\","));
    fake_free(f);
}

/* --- exits -------------------------------------------------------------------------------- */

static void exits_by_reason_with_rip(void **state)
{
    (void)state;
    const uint64_t rip = 0xffffffff81000000ull;
    trace_exit(0, 0x72, rip, 0, 0, 1, 0, 0); /* off */
    assert_string_equal(logbuf, "");
    trace_init(HV_TRACE_EXIT);
    log_reset();
    trace_exit(1, 0x72, rip, 0, 0, 0x40000000, 0, 0);
    trace_exit(0, 0x7c, rip, 0, 0, 0, 0x40000001, 0);
    trace_exit(0, 0x7c, rip, 1, 0, 0xffffffff00001001ull, 0x40000001, 2);
    trace_exit(0, 0x7b, rip, (0x3f8ull << 16) | 0x10, 0, 0x1241, 0, 0);
    trace_exit(0, 0x7b, rip, (0x608ull << 16) | 0x40 | 1, 0, 0, 0, 0);
    trace_exit(0, 0x7b, rip, (0x3f8ull << 16) | 0x10 | 4 | 8, 0, 0, 0, 0);
    trace_exit(0, 0x400, rip, 6, 0xfed00000, 0, 0, 0);
    trace_exit(0, 0x400, rip, 0x11, 0x1000, 0, 0, 0);
    trace_exit(0, 0x81, rip, 0, 0, 0, 0x1005c, 0);
    trace_exit(0, 0x4e, rip, 2, 0xdead, 0, 0, 0);
    trace_exit(0, 0x60, rip, 0, 0, 0, 0, 0);
    trace_exit(0, 0x10, rip, 0, 0, 0, 0, 0);
    trace_exit(0, 0x93, rip, 0, 0, 0, 0, 0);
    trace_exit(0, 0x500, rip, 1, 0, 0, 0, 0);
    trace_exit(0, 0xffffffffu, 0, 0, 0, 0, 0, 0);
    assert_string_equal(
        logbuf, "hv: trace: exit: cpuid vp=1 rip=0xffffffff81000000 leaf=0x40000000 subleaf=0x0\n"
                "hv: trace: exit: msr vp=0 rip=0xffffffff81000000 rdmsr 0x40000001\n"
                "hv: trace: exit: msr vp=0 rip=0xffffffff81000000 wrmsr 0x40000001 "
                "value=0x200001001\n"
                "hv: trace: exit: ioio vp=0 rip=0xffffffff81000000 out port=0x3f8 size=1 "
                "value=0x41\n"
                "hv: trace: exit: ioio vp=0 rip=0xffffffff81000000 in port=0x608 size=4\n"
                "hv: trace: exit: ioio vp=0 rip=0xffffffff81000000 out port=0x3f8 size=1 "
                "string rep\n"
                "hv: trace: exit: npf vp=0 rip=0xffffffff81000000 gpa=0xfed00000 write "
                "not-present\n"
                "hv: trace: exit: npf vp=0 rip=0xffffffff81000000 gpa=0x1000 fetch present\n"
                "hv: trace: exit: vmmcall vp=0 rip=0xffffffff81000000 control=0x1005c\n"
                "hv: trace: exit: exception #PF vp=0 rip=0xffffffff81000000 error=0x2 "
                "info2=0xdead\n"
                "hv: trace: exit: intr vp=0 rip=0xffffffff81000000\n"
                "hv: trace: exit: cr0_write vp=0 rip=0xffffffff81000000\n"
                "hv: trace: exit: cr3_write_trap vp=0 rip=0xffffffff81000000\n"
                "hv: trace: exit: code 0x500 vp=0 rip=0xffffffff81000000 info1=0x1 info2=0x0\n"
                "hv: trace: exit: invalid vp=0 rip=0x0\n");
    char buf[32];
    assert_string_equal(trace_exit_name(0x72, buf, sizeof(buf)), "cpuid");
    assert_string_equal(trace_exit_name(0x5f, buf, sizeof(buf)), "exception #31");
    assert_null(trace_exit_name(0x200, buf, sizeof(buf)));
}

/* Device decoders for the packet line: one that says nothing, one that
 * fills every byte it is given. */
static size_t says_nothing(const void *pkt, size_t len, char *out, size_t cap)
{
    (void)pkt;
    (void)len;
    if (cap)
        out[0] = '\0';
    return 0;
}

static size_t fills_all(const void *pkt, size_t len, char *out, size_t cap)
{
    assert_int_equal(len, 4);
    assert_memory_equal(pkt, "abcd", 4);
    if (!cap)
        return 0;
    memset(out, 'z', cap - 1);
    out[cap - 1] = '\0';
    return cap - 1;
}

static size_t short_text(const void *pkt, size_t len, char *out, size_t cap)
{
    return (size_t)snprintf(out, cap, "dev %zu %.2s", len, (const char *)pkt);
}

static void device_decoders_extend_the_packet_line(void **state)
{
    (void)state;
    trace_init(HV_TRACE_RING);
    log_reset();
    vmbus_trace_packet(1, "d", false, VMBUS_PKT_DATA_INBAND, 0, 4, 5, false, short_text, "abcd");
    vmbus_trace_packet(1, "d", true, VMBUS_PKT_DATA_INBAND, 0, 4, 5, true, says_nothing, "abcd");
    vmbus_trace_packet(1, "d", true, VMBUS_PKT_DATA_INBAND, 0, 4, 5, true, short_text, NULL);
    assert_string_equal(logbuf,
                        "hv: trace: ring: relid=1 d guest->host type=DATA_INBAND flags=0x0 len=4 "
                        "trans=0x5 signal=no | dev 4 ab\n"
                        "hv: trace: ring: relid=1 d host->guest type=DATA_INBAND flags=0x0 len=4 "
                        "trans=0x5 signal=yes\n"
                        "hv: trace: ring: relid=1 d host->guest type=DATA_INBAND flags=0x0 len=4 "
                        "trans=0x5 signal=yes\n");
    log_reset();
    vmbus_trace_packet(1, "d", false, VMBUS_PKT_DATA_INBAND, 0, 4, 5, false, fills_all, "abcd");
    /* one line, within the line limit, the decoder's text cut by the line */
    assert_non_null(strstr(logbuf, "signal=no | zzzz"));
    assert_int_equal(log_count("\n"), 1);
    assert_true(strlen(logbuf) <= TRACE_LINE_MAX);
    trace_init(0);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, off, off)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(off_by_default_and_when_not_named),
        T(each_class_has_its_budget_then_counts),
        T(trace_records),
        T(a_long_line_stays_one_line),
        T(every_message_type_decodes_by_name),
        T(versions_before_5_0_carry_the_interrupt_page),
        T(statuses_by_name),
        T(short_messages_decode_as_malformed),
        T(odd_sizes_and_fields_are_said),
        T(hostile_bytes_never_crash),
        T(traced_messages_and_packets),
        T(device_decoders_extend_the_packet_line),
        T(hypercalls_by_name_with_status),
        T(synic_posts_deliveries_eoms_and_events),
        T(exits_by_reason_with_rip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
