/* The VMBus control protocol driven through the real hyperv partition over a
 * malloc'd guest RAM, the way Linux 6.1 drives it: HvPostMessage hypercalls
 * in, replies read from the SIMP slot with Linux's EOM logic (then the glue's
 * vmbus_poll). Each message handler with valid, truncated, oversized and
 * out-of-range input; version negotiation; offers (the MMIO request, not the
 * grant, on the wire), rescind and the relid handshake; GPADL validation;
 * open/close and signals (ring GPADLs of whole pages only); back-pressure in
 * both directions; UNLOAD and reconnecting; a whole Linux-like session. */
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
#include "lib/timer.h"
#include "lib/trace.h"
#include "vmbus/fault.h"
#include "vmbus/kmcl.h"
#include "vmbus/ring.h"
#include "vmbus/channel.h"
#include "vmbus/gpadl.h"
#include "vmbus/state.h"
#include "vmbus/vmbus.h"
#include "vmbus/vmbus_wire.h"

#include "fixture.h"

#define RAM_SIZE    (1024u * 1024)
#define HC_GPA      0x1000ull
#define SIMP_GPA    0x2000ull
#define SIEFP_GPA   0x3000ull
#define IN_GPA      0x4000ull
#define MON1_GPA    0x5000ull
#define MON2_GPA    0x6000ull
#define INT_GPA     0x7000ull
#define SIMP1_GPA   0x8000ull /* VP 1's pages */
#define SIEFP1_GPA  0x9000ull
#define RING_PFN    0x10ull /* rings from 64 KiB on */
#define VEC         0xF3
#define V(maj, min) VMBUS_VERSION(maj, min)

/* what the devices saw */
static unsigned n_opened, n_closed, n_packets;
static uint32_t last_len;
static uint64_t last_id;
static NTSTATUS open_answer;
static VMBCHANNEL last_cb;

static NTSTATUS dev_opened(VMBCHANNEL ch)
{
    n_opened++;
    last_cb = ch;
    return open_answer;
}

static void dev_closed(VMBCHANNEL ch)
{
    n_closed++;
    last_cb = ch;
}

static void dev_packet(VMBCHANNEL ch, const VOID *buf, UINT32 len, UINT16 type, UINT64 id)
{
    (void)buf;
    assert_int_equal(type, VMBUS_PKT_DATA_INBAND);
    n_packets++;
    last_len = len;
    last_id = id;
    last_cb = ch;
}

/* What Linux's ring writer does for an 8-byte in-band packet: descriptor,
 * payload, trailer, then the new write index (ring header at pfn, data after). */
static void guest_put_packet(struct fake *f, uint64_t pfn, uint64_t id)
{
    uint8_t *hdr = f->gm.host + pfn * 4096, *data = hdr + 4096;
    uint32_t w;
    memcpy(&w, hdr, 4);
    const uint16_t desc[4] = {VMBUS_PKT_DATA_INBAND, 2, 3, 0};
    uint64_t trailer = (uint64_t)w << 32;
    memcpy(data + w, desc, 8);
    memcpy(data + w + 8, &id, 8);
    memcpy(data + w + 16, "echo-me!", 8);
    memcpy(data + w + 24, &trailer, 8);
    w += 32;
    memcpy(hdr, &w, 4);
}

/* Every interrupt is on the vector Linux programs into SINT2. */
static void raise_vec(void *ctx, uint32_t vp, uint8_t vector)
{
    assert_int_equal(vector, VEC);
    fake_raise(ctx, vp, vector);
}

static void wr(struct fake *f, uint32_t msr, uint64_t v)
{
    assert_int_equal(hyperv_msr_write(&f->p, 0, msr, v), HV_MSR_OK);
}

static int setup(void **state)
{
    struct fake *f = fake_new(RAM_SIZE, 0);
    /* Two VPs: Linux on VP 0, and a VP 1 for the target-VP rules. */
    struct hyperv_platform plat = fake_platform(f, 2, 2500000000ull, 0, 1000000000);
    plat.raise = raise_vec;
    assert_int_equal(hyperv_init(&f->p, &f->gm, &plat), 0);
    assert_int_equal(vmbus_init(&f->p), 0);
    vmbus_mmio_configure(RAM_SIZE, 256);
    /* what Linux has done before hv_vmbus posts its first message */
    wr(f, HV_MSR_GUEST_OS_ID, 0x8100000601C00000ull);
    wr(f, HV_MSR_HYPERCALL, HC_GPA | 1);
    wr(f, HV_MSR_SIMP, SIMP_GPA | 1);
    wr(f, HV_MSR_SIEFP, SIEFP_GPA | 1);
    wr(f, HV_MSR_SINT0 + 2, VEC);
    wr(f, HV_MSR_SCONTROL, 1);
    n_opened = n_closed = n_packets = 0;
    open_answer = STATUS_SUCCESS;
    last_cb = NULL;
    trace_init(0);
    log_reset();
    *state = f;
    return 0;
}

/* --- the guest's side ------------------------------------------------------------ */

static uint16_t post(struct fake *f, uint32_t conn, const void *msg, uint32_t size)
{
    struct hv_post_message_input *in = (void *)(f->gm.host + IN_GPA);
    memset(in, 0xEE, sizeof(*in)); /* stale bytes past the payload, as in Linux */
    in->connection_id = conn;
    in->reserved = 0;
    in->message_type = VMBUS_MESSAGE_TYPE;
    in->payload_size = size;
    memcpy(in->payload, msg, size);
    uint16_t st = (uint16_t)hyperv_hypercall(&f->p, 0, HVCALL_POST_MESSAGE, IN_GPA, 0);
    vmbus_poll(); /* the end of the exit */
    return st;
}

static uint16_t post_ok(struct fake *f, const void *msg, uint32_t size)
{
    return post(f, VMBUS_MESSAGE_CONNECTION_ID_4, msg, size);
}

struct msg {
    uint32_t type; /* VMBus message type */
    uint8_t size;
    uint8_t data[240];
};

/* Linux's consumer of SINT2 on VP vp (contract §4.5), then the glue's
 * vmbus_poll; what the host did since the last exit (a device's enable or
 * disable, a timer) reached the SynIC at the exit before. */
static bool take_vp(struct fake *f, struct msg *m, uint32_t vp, unsigned sint)
{
    vmbus_poll();
    struct hv_message *slot =
        (struct hv_message *)(f->gm.host + (vp ? SIMP1_GPA : SIMP_GPA)) + sint;
    if (!slot->header.message_type)
        return false;
    assert_int_equal(slot->header.message_type, VMBUS_MESSAGE_TYPE);
    m->size = slot->header.payload_size;
    memcpy(m->data, slot->payload, m->size);
    memcpy(&m->type, m->data, 4);
    uint8_t flags = slot->header.message_flags;
    slot->header.message_type = 0;
    if (flags & HV_MESSAGE_FLAG_PENDING)
        assert_int_equal(hyperv_msr_write(&f->p, vp, HV_MSR_EOM, 0), HV_MSR_OK);
    vmbus_poll();
    return true;
}

static bool take(struct fake *f, struct msg *m, unsigned sint)
{
    return take_vp(f, m, 0, sint);
}

static struct msg expect_on(struct fake *f, uint32_t type, uint8_t size, unsigned sint)
{
    struct msg m;
    assert_true(take(f, &m, sint));
    assert_int_equal(m.type, type);
    assert_int_equal(m.size, size);
    return m;
}

static struct msg expect(struct fake *f, uint32_t type, uint8_t size)
{
    return expect_on(f, type, size, 2);
}

static void nothing(struct fake *f)
{
    struct msg m;
    assert_false(take(f, &m, 2));
    assert_int_equal(vmbus.outq.count, 0);
}

static struct vmbus_initiate_contact contact_msg(uint32_t version)
{
    struct vmbus_initiate_contact c;
    memset(&c, 0, sizeof(c));
    c.header.msgtype = VMBUS_MSG_INITIATE_CONTACT;
    c.version_requested = version;
    if (version >= V(5, 0))
        c.msg_sint = 2;
    else
        c.interrupt_page = INT_GPA;
    c.monitor_page1 = MON1_GPA;
    c.monitor_page2 = MON2_GPA;
    return c;
}

/* Posts INITIATE_CONTACT as Linux does for version; returns the response. */
static struct vmbus_version_response contact(struct fake *f, uint32_t version)
{
    struct vmbus_initiate_contact c = contact_msg(version);
    uint32_t conn =
        version >= V(5, 0) ? VMBUS_MESSAGE_CONNECTION_ID_4 : VMBUS_MESSAGE_CONNECTION_ID;
    assert_int_equal(post(f, conn, &c, sizeof(c)), HV_STATUS_SUCCESS);
    struct msg m = expect(f, VMBUS_MSG_VERSION_RESPONSE, sizeof(struct vmbus_version_response));
    struct vmbus_version_response r;
    memcpy(&r, m.data, sizeof(r));
    return r;
}

static void connect(struct fake *f)
{
    assert_int_equal(contact(f, V(5, 3)).version_supported, 1);
}

static const struct vmbus_msg_header requestoffers = {VMBUS_MSG_REQUESTOFFERS, 0};

static const GUID test_class = {
    0x2c7e5ef2, 0x4a09, 0x4c4b, {0x9b, 0x5f, 0x6e, 0x2d, 0x17, 0x0c, 0x11, 0x01}};

static GUID instance(unsigned i)
{
    GUID g = {0xabcd0000u + i, 0x1234, 0x4567, {0x89, 0xab, 0xcd, 0xef, 0, 0, 0, (UINT8)i}};
    return g;
}

static VMBCHANNEL channel(const char *name, unsigned inst, uint16_t mmio, uint16_t opt)
{
    VMBCHANNEL ch;
    assert_int_equal(VmbChannelAllocate(NULL, TRUE, &ch), STATUS_SUCCESS);
    GUID g = instance(inst);
    assert_int_equal(VmbServerChannelInitSetTargetInterfaceId(ch, &test_class, &g), STATUS_SUCCESS);
    assert_int_equal(VmbChannelInitSetFriendlyName(ch, name), STATUS_SUCCESS);
    if (mmio || opt)
        assert_int_equal(VmbServerChannelInitSetMmioMegabytes(ch, mmio, opt), STATUS_SUCCESS);
    VMB_CHANNEL_STATE_CHANGE_CALLBACKS cb = {dev_opened, dev_closed};
    assert_int_equal(VmbChannelInitSetStateChangeCallbacks(ch, &cb), STATUS_SUCCESS);
    assert_int_equal(VmbChannelInitSetProcessPacketCallback(ch, dev_packet), STATUS_SUCCESS);
    return ch;
}

static VMBCHANNEL enabled(const char *name, unsigned inst, uint16_t mmio, uint16_t opt)
{
    VMBCHANNEL ch = channel(name, inst, mmio, opt);
    assert_int_equal(VmbChannelEnable(ch), STATUS_SUCCESS);
    return ch;
}

static struct vmbus_offer_channel expect_offer(struct fake *f, uint32_t relid)
{
    struct msg m = expect(f, VMBUS_MSG_OFFERCHANNEL, sizeof(struct vmbus_offer_channel));
    struct vmbus_offer_channel o;
    memcpy(&o, m.data, sizeof(o));
    assert_int_equal(o.child_relid, relid);
    return o;
}

/* Connected, offers requested, n channels offered (relids 1..n). */
static void offered(struct fake *f, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        enabled(i ? "dev" : "dev0", i + 1, 0, 0);
    connect(f);
    assert_int_equal(post_ok(f, &requestoffers, sizeof(requestoffers)), 0);
    for (unsigned i = 0; i < n; i++)
        expect_offer(f, i + 1);
    expect(f, VMBUS_MSG_ALLOFFERS_DELIVERED, 8);
}

/* A GPADL_HEADER (+ BODYs) as Linux sends one for pages consecutive frames
 * from pfn: one range at offset 0. Returns the status of the last post. */
static uint16_t gpadl(struct fake *f, uint32_t relid, uint32_t handle, uint64_t pfn, unsigned pages)
{
    uint8_t buf[240];
    struct vmbus_gpadl_header h = {
        {VMBUS_MSG_GPADL_HEADER, 0}, relid, handle, (uint16_t)(8 + 8 * pages), 1};
    struct vmbus_gpa_range r = {pages * PAGE_SIZE, 0};
    memcpy(buf, &h, sizeof(h));
    memcpy(buf + 20, &r, sizeof(r));
    unsigned n = pages < 26 ? pages : 26, done = 0;
    for (unsigned i = 0; i < n; i++) {
        uint64_t p = pfn + done++;
        memcpy(buf + 28 + 8 * i, &p, 8);
    }
    uint16_t st = post_ok(f, buf, 28 + 8 * n);
    while (done < pages && st == 0) {
        struct vmbus_gpadl_body b = {{VMBUS_MSG_GPADL_BODY, 0}, 0, handle};
        memcpy(buf, &b, sizeof(b));
        n = pages - done < 28 ? pages - done : 28;
        for (unsigned i = 0; i < n; i++) {
            uint64_t p = pfn + done++;
            memcpy(buf + 16 + 8 * i, &p, 8);
        }
        st = post_ok(f, buf, 16 + 8 * n);
    }
    return st;
}

static struct vmbus_gpadl_created expect_created(struct fake *f, uint32_t relid, uint32_t handle)
{
    struct msg m = expect(f, VMBUS_MSG_GPADL_CREATED, sizeof(struct vmbus_gpadl_created));
    struct vmbus_gpadl_created c;
    memcpy(&c, m.data, sizeof(c));
    assert_int_equal(c.child_relid, relid);
    assert_int_equal(c.gpadl, handle);
    return c;
}

static void gpadl_ok(struct fake *f, uint32_t relid, uint32_t handle, uint64_t pfn, unsigned pages)
{
    assert_int_equal(gpadl(f, relid, handle, pfn, pages), 0);
    assert_int_equal(expect_created(f, relid, handle).creation_status, 0);
}

static uint16_t open_post(struct fake *f, uint32_t relid, uint32_t handle, uint32_t down,
                          uint32_t vp)
{
    struct vmbus_open_channel o;
    memset(&o, 0, sizeof(o));
    o.header.msgtype = VMBUS_MSG_OPENCHANNEL;
    o.child_relid = relid;
    o.openid = relid;
    o.ringbuffer_gpadl = handle;
    o.target_vp = vp;
    o.downstream_page_offset = down;
    return post_ok(f, &o, sizeof(o));
}

static uint32_t open_status(struct fake *f, uint32_t relid, uint32_t handle, uint32_t down,
                            uint32_t vp)
{
    assert_int_equal(open_post(f, relid, handle, down, vp), 0);
    struct msg m = expect(f, VMBUS_MSG_OPENCHANNEL_RESULT, sizeof(struct vmbus_open_result));
    struct vmbus_open_result r;
    memcpy(&r, m.data, sizeof(r));
    assert_int_equal(r.child_relid, relid);
    assert_int_equal(r.openid, relid);
    return r.status;
}

static uint16_t relid_msg(struct fake *f, uint32_t type, uint32_t relid)
{
    struct vmbus_relid_msg m = {{type, 0}, relid};
    return post_ok(f, &m, sizeof(m));
}

static uint16_t teardown_post(struct fake *f, uint32_t relid, uint32_t handle)
{
    struct vmbus_gpadl_teardown t = {{VMBUS_MSG_GPADL_TEARDOWN, 0}, relid, handle};
    return post_ok(f, &t, sizeof(t));
}

static uint16_t signal(struct fake *f, uint32_t conn)
{
    return (uint16_t)hyperv_hypercall(&f->p, 0, HVCALL_SIGNAL_EVENT | HV_HC_FAST, conn, 0);
}

/* --- connection ----------------------------------------------------------------- */

static void negotiates_every_linux_version(void **state)
{
    struct fake *f = *state;
    static const uint32_t versions[] = {V(5, 3), V(5, 2), V(5, 1), V(5, 0),
                                        V(4, 1), V(4, 0), V(3, 0), V(2, 4)};
    for (unsigned i = 0; i < 8; i++) {
        log_reset();
        struct vmbus_version_response r = contact(f, versions[i]);
        assert_int_equal(r.version_supported, 1);
        assert_int_equal(r.connection_state, 0);
        uint32_t conn = versions[i] >= V(5, 0) ? 4 : 1;
        assert_int_equal(r.msg_conn_id, conn);
        /* later messages are taken on that connection only */
        struct vmbus_msg_header u = {VMBUS_MSG_UNLOAD, 0};
        assert_int_equal(post(f, conn == 4 ? 1 : 4, &u, sizeof(u)), HV_STATUS_INVALID_PARAMETER);
        assert_int_equal(post(f, conn, &u, sizeof(u)), 0);
        expect(f, VMBUS_MSG_UNLOAD_RESPONSE, 8);
    }
    log_reset();
    contact(f, V(5, 3));
    assert_string_equal(logbuf, "hv: vmbus: connected: version 5.3, guest messages on connection "
                                "4, ours on SINT 2\n");
    assert_int_equal(vmbus.version, V(5, 3));
}

static void refuses_other_versions_so_the_guest_falls_back(void **state)
{
    struct fake *f = *state;
    static const uint32_t bad[] = {V(6, 0), V(5, 4), V(1, 1), V(0, 13), 0, 0xFFFFFFFFu};
    for (unsigned i = 0; i < 6; i++) {
        struct vmbus_version_response r = contact(f, bad[i]);
        assert_int_equal(r.version_supported, 0);
        assert_int_equal(r.msg_conn_id, 0);
        assert_false(vmbus.connected);
    }
    assert_non_null(strstr(logbuf, "hv: vmbus: INITIATE_CONTACT version 6.0: not supported\n"));
    assert_int_equal(post_ok(f, &requestoffers, 8), HV_STATUS_INVALID_PARAMETER);
    /* Linux's next attempt */
    assert_int_equal(contact(f, V(5, 3)).version_supported, 1);
    assert_int_equal(post_ok(f, &requestoffers, 8), 0);
}

static void initiate_contact_validation(void **state)
{
    struct fake *f = *state;
    struct vmbus_initiate_contact c = contact_msg(V(5, 3));
    assert_int_equal(post_ok(f, &c, 39), HV_STATUS_INVALID_PARAMETER); /* truncated */
    nothing(f);
    c.target_vcpu = 2; /* the fixture has VPs 0 and 1 */
    assert_int_equal(post_ok(f, &c, sizeof(c)), HV_STATUS_INVALID_PARAMETER);
    c = contact_msg(V(5, 3));
    c.msg_sint = 16;
    assert_int_equal(post_ok(f, &c, sizeof(c)), HV_STATUS_INVALID_PARAMETER);
    c = contact_msg(V(5, 3));
    c.monitor_page2 = RAM_SIZE; /* just past RAM */
    assert_int_equal(post_ok(f, &c, sizeof(c)), HV_STATUS_INVALID_PARAMETER);
    c.monitor_page2 = 0xFFFFFFFFFFFFF000ull;
    assert_int_equal(post_ok(f, &c, sizeof(c)), HV_STATUS_INVALID_PARAMETER);
    c.monitor_page2 = MON2_GPA + 8; /* not a page */
    assert_int_equal(post_ok(f, &c, sizeof(c)), HV_STATUS_INVALID_PARAMETER);
    c = contact_msg(V(4, 1));
    c.interrupt_page = RAM_SIZE + 0x1000;
    assert_int_equal(post(f, 1, &c, sizeof(c)), HV_STATUS_INVALID_PARAMETER);
    /* not a single reply to any of the bad ones */
    nothing(f);
    assert_int_equal(vmbus.n.rejected, 7);
    c.interrupt_page = 0; /* GPA 0 is RAM */
    assert_int_equal(post(f, 1, &c, sizeof(c)), 0);
    assert_int_equal(expect(f, VMBUS_MSG_VERSION_RESPONSE, 16).data[8], 1);
    nothing(f);
}

static void initiate_contact_validation_logs_once(void **state)
{
    struct fake *f = *state;
    struct vmbus_initiate_contact c = contact_msg(V(5, 3));
    c.target_vcpu = 3;
    for (unsigned i = 0; i < 5; i++)
        assert_int_equal(post_ok(f, &c, sizeof(c)), HV_STATUS_INVALID_PARAMETER);
    assert_int_equal(vmbus.n.rejected, 5);
    assert_string_equal(logbuf, "hv: vmbus: rejected INITIATE_CONTACT (type 14): target VP does "
                                "not exist\n");
    /* oversized: a later protocol's longer request is still answered */
    uint8_t big[56];
    memset(big, 0, sizeof(big));
    c = contact_msg(V(6, 0));
    memcpy(big, &c, sizeof(c));
    assert_int_equal(post_ok(f, big, sizeof(big)), 0);
    struct msg m = expect(f, VMBUS_MSG_VERSION_RESPONSE, 16);
    assert_int_equal(m.data[8], 0);
    /* the legacy form on connection 1, replies on SINT 2 whatever byte 16 says */
    c = contact_msg(V(4, 0));
    assert_int_equal(post(f, 1, &c, sizeof(c)), 0);
    assert_int_equal(expect(f, VMBUS_MSG_VERSION_RESPONSE, 16).data[8], 1);
    assert_int_equal(vmbus.sint, 2);
}

static void replies_go_to_the_guests_sint(void **state)
{
    struct fake *f = *state;
    wr(f, HV_MSR_SINT0 + 5, VEC);
    struct vmbus_initiate_contact c = contact_msg(V(5, 2));
    c.msg_sint = 5;
    assert_int_equal(post(f, 1, &c, sizeof(c)), 0); /* 5.x may come on 1 as well */
    struct msg m;
    assert_false(take(f, &m, 2));
    m = expect_on(f, VMBUS_MSG_VERSION_RESPONSE, 16, 5);
    assert_int_equal(m.data[8], 1);
    assert_int_equal(post_ok(f, &requestoffers, 8), 0);
    expect_on(f, VMBUS_MSG_ALLOFFERS_DELIVERED, 8, 5);
}

static void malformed_messages_rejected(void **state)
{
    struct fake *f = *state;
    /* before INITIATE_CONTACT nothing else is taken */
    assert_int_equal(post_ok(f, &requestoffers, 8), HV_STATUS_INVALID_PARAMETER);
    connect(f);
    /* shorter than the header; SynIC message type other than 1 */
    assert_int_equal(post_ok(f, &requestoffers, 4), HV_STATUS_INVALID_PARAMETER);
    assert_int_equal(conn_deliver_message(&f->p, 4, 2, (const uint8_t *)&requestoffers, 8),
                     HV_STATUS_INVALID_HYPERCALL_INPUT);
    /* larger than a SynIC payload, straight to the handler */
    uint8_t huge[300] = {VMBUS_MSG_REQUESTOFFERS};
    assert_int_equal(conn_deliver_message(&f->p, 4, 1, huge, 241), HV_STATUS_INVALID_PARAMETER);
    /* host-to-guest and unknown types */
    static const uint32_t types[] = {0,  1,  2,  4,  6,  10, 12, 15,
                                     17, 18, 19, 20, 23, 24, 25, 0xFFFFFFFF};
    for (unsigned i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        uint8_t m[40] = {0};
        memcpy(m, &types[i], 4);
        assert_int_equal(post_ok(f, m, sizeof(m)), HV_STATUS_INVALID_PARAMETER);
    }
    /* hv_sock is not offered */
    struct vmbus_tl_connect_request tl;
    memset(&tl, 0, sizeof(tl));
    tl.header.msgtype = VMBUS_MSG_TL_CONNECT_REQUEST;
    assert_int_equal(post_ok(f, &tl, sizeof(tl)), HV_STATUS_INVALID_PARAMETER);
    /* fixed sizes: one byte short, one byte long */
    uint8_t m[160] = {0};
    static const struct {
        uint32_t type, size;
    } fixed[] = {{3, 8}, {5, 148}, {7, 12}, {11, 16}, {13, 12}, {16, 8}, {22, 16}};
    for (unsigned i = 0; i < 7; i++) {
        memcpy(m, &fixed[i].type, 4);
        assert_int_equal(post_ok(f, m, fixed[i].size - 1), HV_STATUS_INVALID_PARAMETER);
        assert_int_equal(post_ok(f, m, fixed[i].size + 1), HV_STATUS_INVALID_PARAMETER);
    }
    assert_non_null(strstr(logbuf,
                           "hv: vmbus: rejected OPENCHANNEL (type 5): size differs from its "
                           "layout\n"));
    assert_non_null(strstr(logbuf, "hv: vmbus: rejected OFFERCHANNEL (type 1): not a "
                                   "guest-to-host message type\n"));
    assert_non_null(strstr(logbuf, "hv: vmbus: rejected TL_CONNECT_REQUEST (type 21): no hv_sock "
                                   "channels are offered\n"));
    assert_non_null(strstr(logbuf, "hv: vmbus: rejected unknown (type 25): not a "
                                   "guest-to-host message type\n"));
    nothing(f);
    /* and the host goes on serving */
    assert_int_equal(post_ok(f, &requestoffers, 8), 0);
    expect(f, VMBUS_MSG_ALLOFFERS_DELIVERED, 8);
    assert_int_equal(post_ok(f, &requestoffers, 8), HV_STATUS_INVALID_PARAMETER); /* twice */
    nothing(f);
}

/* --- offers -------------------------------------------------------------------------- */

static void offers_carry_every_field(void **state)
{
    struct fake *f = *state;
    VMBCHANNEL a = channel("alpha", 1, 16, 8);
    uint8_t user[120];
    for (unsigned i = 0; i < 120; i++)
        user[i] = (uint8_t)(i + 1);
    assert_int_equal(VmbServerChannelInitSetUserDefinedData(a, user, 120), STATUS_SUCCESS);
    assert_int_equal(VmbChannelEnable(a), STATUS_SUCCESS);
    enabled("beta", 2, 0, 0);
    VMBCHANNEL c = channel("gamma", 3, 1, 0);
    VmbChannelCleanup(c);      /* never enabled: never offered */
    channel("delta", 4, 0, 0); /* allocated, not enabled: not offered */
    connect(f);
    log_reset();
    assert_int_equal(post_ok(f, &requestoffers, 8), 0);
    struct vmbus_offer_channel o = expect_offer(f, 1);
    GUID g = instance(1);
    assert_memory_equal(o.if_type, &test_class, 16);
    assert_memory_equal(o.if_instance, &g, 16);
    assert_int_equal(o.reserved1, 0);
    assert_int_equal(o.reserved2, 0);
    assert_int_equal(o.chn_flags, 0);
    assert_int_equal(o.mmio_megabytes, 16);
    assert_int_equal(o.mmio_megabytes_optional, 8);
    assert_memory_equal(o.user_defined, user, 120);
    assert_int_equal(o.sub_channel_index, 0);
    assert_int_equal(o.monitorid, 0);
    assert_int_equal(o.monitor_flags, 0);   /* no monitor page */
    assert_int_equal(o.interrupt_flags, 1); /* dedicated interrupt */
    assert_int_equal(o.connection_id, VMBUS_CHANNEL_CONN_BASE + 1);
    /* the raw bytes at the contract's offsets */
    struct msg raw;
    memcpy(raw.data, &o, sizeof(o));
    assert_int_equal(raw.data[58], 16);
    assert_int_equal(raw.data[182], 8);
    assert_int_equal(raw.data[184], 1);
    assert_int_equal(raw.data[190], 1);
    assert_int_equal(raw.data[192], 0x11);
    o = expect_offer(f, 2);
    assert_int_equal(o.mmio_megabytes, 0);
    assert_int_equal(o.connection_id, VMBUS_CHANNEL_CONN_BASE + 2);
    expect(f, VMBUS_MSG_ALLOFFERS_DELIVERED, 8);
    nothing(f);
    assert_string_equal(
        logbuf, "hv: vmbus: offer relid 1 alpha: class 2c7e5ef2-4a09-4c4b-9b5f-6e2d170c1101 "
                "instance abcd0001-1234-4567-89ab-cdef00000001 mmio 16+8MiB connection "
                "0x11\n"
                "hv: vmbus: offer relid 2 beta: class 2c7e5ef2-4a09-4c4b-9b5f-6e2d170c1101 "
                "instance abcd0002-1234-4567-89ab-cdef00000002 mmio 0+0MiB connection 0x12\n"
                "hv: vmbus: REQUESTOFFERS: 2 channels offered\n");
    /* enabled after the request: offered at once */
    enabled("late", 5, 0, 0); /* relid 4: delta took the slot gamma freed */
    expect_offer(f, 4);
    nothing(f);
}

/* The offer carries the megabytes the device asked for, not what the allocator granted
 * (docs/vmbus.md "Offers": Hyper-V and OpenVMM pass a device's request through; the grant
 * is the device's to report, as the test device does in its user-defined bytes). Pinned
 * where the two differ: a required window whose optional part is cut short, and an
 * optional-only request that gets nothing; both u16s little-endian at the wire offsets. */
static void offer_carries_the_request_not_the_grant(void **state)
{
    struct fake *f = *state;
    vmbus_mmio_configure(RAM_SIZE, 1024);
    VMBCHANNEL big = channel("big", 1, 257, 1000); /* 256 MiB aligned at the base */
    assert_int_equal(VmbChannelEnable(big), STATUS_SUCCESS);
    VMBCHANNEL opt = channel("opt", 2, 0, 50);
    assert_int_equal(VmbChannelEnable(opt), STATUS_SUCCESS);
    UINT64 base, size;
    VmbChannelGetMmioSpace(big, &base, &size);
    assert_int_equal(size, 1024ull << 20); /* 257 + 767 of the 1000 optional */
    VmbChannelGetMmioSpace(opt, &base, &size);
    assert_int_equal(size, 0); /* the gap is full */
    connect(f);
    log_reset();
    assert_int_equal(post_ok(f, &requestoffers, 8), 0);
    struct msg m = expect(f, VMBUS_MSG_OFFERCHANNEL, sizeof(struct vmbus_offer_channel));
    assert_int_equal(m.data[184], 1);   /* child_relid */
    assert_int_equal(m.data[58], 0x01); /* mmio_megabytes 257 = 0x0101 */
    assert_int_equal(m.data[59], 0x01);
    assert_int_equal(m.data[182], 0xE8); /* mmio_megabytes_optional 1000 = 0x03E8, not 767 */
    assert_int_equal(m.data[183], 0x03);
    m = expect(f, VMBUS_MSG_OFFERCHANNEL, sizeof(struct vmbus_offer_channel));
    assert_int_equal(m.data[184], 2);
    assert_int_equal(m.data[58], 0);
    assert_int_equal(m.data[59], 0);
    assert_int_equal(m.data[182], 50); /* asked for, though nothing was granted */
    assert_int_equal(m.data[183], 0);
    expect(f, VMBUS_MSG_ALLOFFERS_DELIVERED, 8);
    nothing(f);
    assert_non_null(strstr(logbuf, "hv: vmbus: offer relid 1 big: class "));
    assert_non_null(strstr(logbuf, " mmio 257+1000MiB connection 0x11\n"));
    assert_non_null(strstr(logbuf, " mmio 0+50MiB connection 0x12\n"));
}

static void many_offers_wait_for_the_guest(void **state)
{
    struct fake *f = *state;
    for (unsigned i = 0; i < VMBUS_MAX_CHANNELS; i++)
        enabled("dev", i + 1, 0, 0);
    connect(f);
    assert_int_equal(post_ok(f, &requestoffers, 8), 0);
    /* the SynIC holds 1 + 16; the rest wait in our queue */
    assert_int_equal(vmbus.outq.count, VMBUS_MAX_CHANNELS + 1 - 17);
    for (unsigned i = 0; i < VMBUS_MAX_CHANNELS; i++)
        expect_offer(f, i + 1);
    expect(f, VMBUS_MSG_ALLOFFERS_DELIVERED, 8);
    nothing(f);
    assert_true(vmbus.n.pushback > 0);
}

static void rescind_and_relid_released(void **state)
{
    struct fake *f = *state;
    VMBCHANNEL a = enabled("a", 1, 4, 0);
    connect(f);
    assert_int_equal(post_ok(f, &requestoffers, 8), 0);
    expect_offer(f, 1);
    expect(f, VMBUS_MSG_ALLOFFERS_DELIVERED, 8);
    log_reset();
    VmbChannelDisable(a);
    struct msg m = expect(f, VMBUS_MSG_RESCIND_CHANNELOFFER, 12);
    uint32_t relid;
    memcpy(&relid, m.data + 8, 4);
    assert_int_equal(relid, 1);
    assert_string_equal(logbuf, "hv: vmbus: rescind relid 1 a\n"
                                "hv: mmio: a released 4MiB at 0x100000000\n"
                                "hv: vmbus: a disabled\n");
    /* the device lets go, but the relid stays taken until the guest releases it */
    VmbChannelCleanup(a);
    VMBCHANNEL b = channel("b", 1, 0, 0);
    /* the same instance GUID is still the guest's device until it lets go */
    assert_int_equal(VmbChannelEnable(b), STATUS_INVALID_DEVICE_STATE);
    GUID other = instance(2);
    assert_int_equal(VmbServerChannelInitSetTargetInterfaceId(b, &test_class, &other),
                     STATUS_SUCCESS);
    assert_int_equal(VmbChannelEnable(b), STATUS_SUCCESS);
    m = expect(f, VMBUS_MSG_OFFERCHANNEL, 196);
    memcpy(&relid, m.data + 184, 4);
    assert_int_equal(relid, 2);
    /* CLOSECHANNEL for a rescinded channel is fine; RELID_RELEASED of others is not */
    assert_int_equal(relid_msg(f, VMBUS_MSG_CLOSECHANNEL, 1), 0);
    assert_int_equal(relid_msg(f, VMBUS_MSG_RELID_RELEASED, 2), HV_STATUS_INVALID_PARAMETER);
    assert_int_equal(relid_msg(f, VMBUS_MSG_RELID_RELEASED, 0), HV_STATUS_INVALID_PARAMETER);
    assert_int_equal(relid_msg(f, VMBUS_MSG_RELID_RELEASED, 4000), HV_STATUS_INVALID_PARAMETER);
    log_reset();
    assert_int_equal(relid_msg(f, VMBUS_MSG_RELID_RELEASED, 1), 0);
    assert_string_equal(logbuf, "hv: vmbus: relid 1 a released\n");
    assert_int_equal(relid_msg(f, VMBUS_MSG_RELID_RELEASED, 1), HV_STATUS_INVALID_PARAMETER);
    /* now relid 1 is free again */
    enabled("c", 3, 0, 0);
    expect_offer(f, 1);
    nothing(f);
}

static void withdrawn_before_the_guest_saw_it(void **state)
{
    struct fake *f = *state;
    for (unsigned i = 0; i < 20; i++)
        enabled("dev", i + 1, 0, 0);
    connect(f);
    assert_int_equal(post_ok(f, &requestoffers, 8), 0);
    /* offers 18..20 and ALLOFFERS wait in our queue: withdraw 19 there */
    assert_int_equal(vmbus.outq.count, 4);
    VMBCHANNEL h19 = chan_handle(&vmbus.chan[18]);
    VmbChannelCleanup(h19);
    assert_int_equal(vmbus.outq.count, 3);
    assert_int_equal(vmbus.chan[18].state, CHAN_FREE); /* no rescind needed */
    for (unsigned i = 0; i < 20; i++) {
        if (i != 18)
            expect_offer(f, i + 1);
    }
    expect(f, VMBUS_MSG_ALLOFFERS_DELIVERED, 8);
    nothing(f);
}

/* --- GPADLs ----------------------------------------------------------------------------------- */

static void gpadl_header_only_and_with_bodies(void **state)
{
    struct fake *f = *state;
    offered(f, 2);
    log_reset();
    gpadl_ok(f, 1, 0xE1E10, RING_PFN, 8); /* hv_utils' 2 x 16 KiB: one 92-byte header */
    assert_string_equal(logbuf,
                        "hv: vmbus: GPADL 0xe1e10 of relid 1 created: 8 pages in 1 range\n");
    /* 26 + 28 + 6 PFNs: no answer until the last body */
    uint8_t buf[240];
    struct vmbus_gpadl_header h = {{VMBUS_MSG_GPADL_HEADER, 0}, 2, 0xE1E11, 8 + 8 * 60, 1};
    struct vmbus_gpa_range r = {60 * 4096, 0};
    memcpy(buf, &h, 20);
    memcpy(buf + 20, &r, 8);
    for (unsigned i = 0; i < 26; i++) {
        uint64_t p = RING_PFN + 8 + i;
        memcpy(buf + 28 + 8 * i, &p, 8);
    }
    assert_int_equal(post_ok(f, buf, 28 + 8 * 26), 0);
    nothing(f);
    struct vmbus_gpadl_body b = {{VMBUS_MSG_GPADL_BODY, 0}, 0, 0xE1E11};
    memcpy(buf, &b, 16);
    for (unsigned i = 0; i < 28; i++) {
        uint64_t p = RING_PFN + 34 + i;
        memcpy(buf + 16 + 8 * i, &p, 8);
    }
    assert_int_equal(post_ok(f, buf, 16 + 8 * 28), 0);
    nothing(f);
    assert_int_equal(post_ok(f, buf, 16 + 8 * 6), 0);
    assert_int_equal(expect_created(f, 2, 0xE1E11).creation_status, 0);
    nothing(f);
    /* a multi-range GPADL: 100 bytes at offset 4000 (2 pages), then 1 page */
    uint64_t words[] = {(uint64_t)4000 << 32 | 100, 0x20, 0x21, (uint64_t)0 << 32 | 4096, 0x22};
    struct vmbus_gpadl_header h2 = {{VMBUS_MSG_GPADL_HEADER, 0}, 1, 0xE1E12, sizeof(words), 2};
    memcpy(buf, &h2, 20);
    memcpy(buf + 20, words, sizeof(words));
    assert_int_equal(post_ok(f, buf, 20 + sizeof(words)), 0);
    assert_int_equal(expect_created(f, 1, 0xE1E12).creation_status, 0);
    assert_int_equal(vmbus.gpadl[2].pages, 3);
}

static unsigned gpadls_in_use(void)
{
    unsigned n = 0;
    for (unsigned i = 0; i < VMBUS_MAX_GPADLS; i++)
        n += vmbus.gpadl[i].used;
    return n;
}

/* A GPADL whose header carries words (nw of them) and range fields as given. */
static uint16_t raw_gpadl(struct fake *f, uint32_t handle, uint16_t buflen, uint16_t ranges,
                          const uint64_t *w, unsigned nw)
{
    uint8_t buf[240];
    struct vmbus_gpadl_header h = {{VMBUS_MSG_GPADL_HEADER, 0}, 1, handle, buflen, ranges};
    memcpy(buf, &h, 20);
    memcpy(buf + 20, w, 8 * nw);
    return post_ok(f, buf, 20 + 8 * nw);
}

static void refused(struct fake *f, uint32_t handle, NTSTATUS st)
{
    assert_int_equal(expect_created(f, 1, handle).creation_status, (uint32_t)st);
    nothing(f);
    assert_int_equal(gpadls_in_use(), 0); /* nothing left behind */
}

static void gpadl_validation(void **state)
{
    struct fake *f = *state;
    offered(f, 1);
    const uint64_t page = (uint64_t)4096 << 0;
    uint64_t w[8];
    /* PFN outside RAM (the first one past it, and a huge one) */
    w[0] = 2 * page;
    w[1] = RING_PFN;
    w[2] = RAM_SIZE / 4096;
    assert_int_equal(raw_gpadl(f, 0x100, 24, 1, w, 3), 0);
    refused(f, 0x100, STATUS_INVALID_PARAMETER);
    w[2] = 1ull << 60;
    assert_int_equal(raw_gpadl(f, 0x100, 24, 1, w, 3), 0);
    refused(f, 0x100, STATUS_INVALID_PARAMETER);
    /* byte count 0; offset beyond the first page */
    w[0] = 0;
    assert_int_equal(raw_gpadl(f, 0x101, 16, 1, w, 2), 0);
    refused(f, 0x101, STATUS_INVALID_PARAMETER);
    w[0] = (uint64_t)4096 << 32 | 1;
    assert_int_equal(raw_gpadl(f, 0x102, 16, 1, w, 2), 0);
    refused(f, 0x102, STATUS_INVALID_PARAMETER);
    /* the byte count needs 2 PFNs, 1 given; or 1 needed, 2 given */
    w[0] = (uint64_t)100 << 32 | 4000;
    assert_int_equal(raw_gpadl(f, 0x103, 16, 1, w, 2), 0);
    refused(f, 0x103, STATUS_INVALID_PARAMETER);
    w[0] = 4096;
    w[2] = RING_PFN + 1;
    assert_int_equal(raw_gpadl(f, 0x104, 24, 1, w, 3), 0);
    refused(f, 0x104, STATUS_INVALID_PARAMETER);
    /* range counts 0 and 9; a second range that is not there */
    assert_int_equal(raw_gpadl(f, 0x105, 16, 0, w, 2), 0);
    refused(f, 0x105, STATUS_INVALID_PARAMETER);
    assert_int_equal(raw_gpadl(f, 0x106, 160, 9, w, 2), 0);
    refused(f, 0x106, STATUS_INVALID_PARAMETER);
    w[0] = 4096;
    w[1] = RING_PFN;
    w[2] = RING_PFN + 1;
    assert_int_equal(raw_gpadl(f, 0x107, 32, 2, w, 4), 0); /* range 2: 0 bytes */
    refused(f, 0x107, STATUS_INVALID_PARAMETER);
    w[2] = 2 * 4096;
    assert_int_equal(raw_gpadl(f, 0x108, 32, 2, w, 4), 0); /* range 2: needs 2 PFNs, has 1 */
    refused(f, 0x108, STATUS_INVALID_PARAMETER);
    /* range_buflen: not whole words, shorter than the header's words, too short for the ranges */
    w[0] = 4096;
    w[1] = RING_PFN;
    assert_int_equal(raw_gpadl(f, 0x109, 17, 1, w, 2), 0);
    refused(f, 0x109, STATUS_INVALID_PARAMETER);
    assert_int_equal(raw_gpadl(f, 0x10A, 8, 1, w, 2), 0);
    refused(f, 0x10A, STATUS_INVALID_PARAMETER);
    assert_int_equal(raw_gpadl(f, 0x10B, 16, 1, w, 3), 0);
    refused(f, 0x10B, STATUS_INVALID_PARAMETER);
    /* more pages than a GPADL may have */
    assert_int_equal(raw_gpadl(f, 0x10C, 8 + 8 * (VMBUS_GPADL_MAX_PAGES + 1), 1, w, 2), 0);
    refused(f, 0x10C, STATUS_INSUFFICIENT_RESOURCES);
    assert_int_equal(raw_gpadl(f, 0x10C, 8 + 8 * VMBUS_GPADL_MAX_PAGES, 1, w, 2), 0);
    nothing(f); /* the maximum is fine: waiting for bodies */
    gpadl_free_relid(0);
    /* handle 0; a handle already in use (and the original stays) */
    assert_int_equal(raw_gpadl(f, 0, 16, 1, w, 2), 0);
    refused(f, 0, STATUS_INVALID_PARAMETER);
    gpadl_ok(f, 1, 0x10D, RING_PFN, 1);
    assert_int_equal(raw_gpadl(f, 0x10D, 16, 1, w, 2), 0);
    assert_int_equal(expect_created(f, 1, 0x10D).creation_status,
                     (uint32_t)STATUS_INVALID_PARAMETER);
    assert_int_equal(gpadls_in_use(), 1);
    gpadl_free_relid(0);
    /* a body with more PFNs than announced fails the GPADL */
    w[0] = 3 * 4096;
    assert_int_equal(raw_gpadl(f, 0x10E, 32, 1, w, 2), 0);
    nothing(f);
    uint8_t buf[64];
    struct vmbus_gpadl_body b = {{VMBUS_MSG_GPADL_BODY, 0}, 0, 0x10E};
    uint64_t pfns[3] = {RING_PFN, RING_PFN, RING_PFN};
    memcpy(buf, &b, 16);
    memcpy(buf + 16, pfns, 24);
    assert_int_equal(post_ok(f, buf, 40), 0);
    refused(f, 0x10E, STATUS_INVALID_PARAMETER);
    /* bodies for no GPADL, truncated and ragged messages: rejected, no answer */
    assert_int_equal(post_ok(f, buf, 40), HV_STATUS_INVALID_PARAMETER);
    assert_int_equal(post_ok(f, buf, 16), HV_STATUS_INVALID_PARAMETER);
    assert_int_equal(post_ok(f, buf, 27), HV_STATUS_INVALID_PARAMETER);
    assert_int_equal(raw_gpadl(f, 0x10F, 16, 1, w, 0), HV_STATUS_INVALID_PARAMETER);
    struct vmbus_gpadl_header h = {{VMBUS_MSG_GPADL_HEADER, 0}, 1, 0x110, 16, 1};
    memcpy(buf, &h, 20);
    memcpy(buf + 20, w, 16);
    assert_int_equal(post_ok(f, buf, 35), HV_STATUS_INVALID_PARAMETER);
    /* a relid the guest was not offered */
    h.child_relid = 2;
    memcpy(buf, &h, 20);
    assert_int_equal(post_ok(f, buf, 36), HV_STATUS_INVALID_PARAMETER);
    nothing(f);
    assert_int_equal(gpadls_in_use(), 0);
    /* after all that, the same handles work */
    gpadl_ok(f, 1, 0x100, RING_PFN, 3);
    assert_non_null(strstr(logbuf, "hv: vmbus: refused GPADL_HEADER: PFN outside guest RAM (status "
                                   "0xc000000d)\n"));
    assert_int_equal(log_count("PFN outside guest RAM"), 1); /* once */
}

static void gpadl_table_full_and_teardown(void **state)
{
    struct fake *f = *state;
    offered(f, 2);
    for (unsigned i = 0; i < VMBUS_MAX_GPADLS; i++)
        gpadl_ok(f, 1 + i % 2, 0x200 + i, RING_PFN, 1);
    assert_int_equal(gpadl(f, 1, 0x300, RING_PFN, 1), 0);
    assert_int_equal(expect_created(f, 1, 0x300).creation_status,
                     (uint32_t)STATUS_INSUFFICIENT_RESOURCES);
    /* teardown: wrong relid, unknown handle, truncated: rejected */
    assert_int_equal(teardown_post(f, 2, 0x200), HV_STATUS_INVALID_PARAMETER);
    assert_int_equal(teardown_post(f, 1, 0x300), HV_STATUS_INVALID_PARAMETER);
    nothing(f);
    log_reset();
    assert_int_equal(teardown_post(f, 1, 0x200), 0);
    struct msg m = expect(f, VMBUS_MSG_GPADL_TORNDOWN, 12);
    uint32_t handle;
    memcpy(&handle, m.data + 8, 4);
    assert_int_equal(handle, 0x200);
    assert_string_equal(logbuf, "hv: vmbus: GPADL 0x200 of relid 1 torn down\n");
    assert_int_equal(teardown_post(f, 1, 0x200), HV_STATUS_INVALID_PARAMETER); /* gone */
    gpadl_ok(f, 1, 0x300, RING_PFN, 1);                                        /* room again */
}

/* --- open / close ----------------------------------------------------------------------------- */

static void open_close_and_signals(void **state)
{
    struct fake *f = *state;
    offered(f, 2);
    gpadl_ok(f, 1, 0xE1E10, RING_PFN, 8);
    gpadl_ok(f, 2, 0xE1E11, RING_PFN + 8, 8);
    gpadl_ok(f, 1, 0xE1E12, RING_PFN, 3); /* too small for two rings */
    uint64_t partial[] = {(uint64_t)512 << 32 | (4 * 4096),
                          RING_PFN,
                          RING_PFN + 1,
                          RING_PFN + 2,
                          RING_PFN + 3,
                          RING_PFN + 4};
    assert_int_equal(raw_gpadl(f, 0xE1E13, sizeof(partial), 1, partial, 6), 0); /* offset 512 */
    assert_int_equal(expect_created(f, 1, 0xE1E13).creation_status, 0);
    /* valid GPADLs, but not rings, which must describe whole pages: offset 0 with the byte
     * count one byte short of the last page (the rings would still use all 8 pages, one
     * byte more than the guest described), and two ranges of whole pages */
    uint64_t short_count[9] = {8 * 4096 - 1};
    for (unsigned i = 0; i < 8; i++)
        short_count[1 + i] = RING_PFN + i;
    assert_int_equal(raw_gpadl(f, 0xE1E15, sizeof(short_count), 1, short_count, 9), 0);
    assert_int_equal(expect_created(f, 1, 0xE1E15).creation_status, 0);
    uint64_t two_ranges[10] = {4 * 4096};
    for (unsigned i = 0; i < 4; i++)
        two_ranges[1 + i] = RING_PFN + i;
    two_ranges[5] = 4 * 4096;
    for (unsigned i = 0; i < 4; i++)
        two_ranges[6 + i] = RING_PFN + 4 + i;
    assert_int_equal(raw_gpadl(f, 0xE1E16, sizeof(two_ranges), 2, two_ranges, 10), 0);
    assert_int_equal(expect_created(f, 1, 0xE1E16).creation_status, 0);
    const uint32_t bad = (uint32_t)STATUS_INVALID_PARAMETER;
    /* refused opens are answered with a failure status */
    assert_int_equal(open_status(f, 1, 0xBAD, 4, 0), bad);   /* no such GPADL */
    assert_int_equal(open_status(f, 1, 0xE1E11, 4, 0), bad); /* relid 2's */
    assert_int_equal(open_status(f, 1, 0xE1E12, 2, 0), bad); /* 3 pages */
    assert_int_equal(open_status(f, 1, 0xE1E13, 2, 0), bad); /* not page aligned */
    assert_int_equal(open_status(f, 1, 0xE1E15, 4, 0), bad); /* last page not whole */
    assert_int_equal(open_status(f, 1, 0xE1E16, 4, 0), bad); /* two ranges */
    assert_int_equal(open_status(f, 1, 0xE1E10, 0, 0), bad); /* no host->guest... */
    assert_int_equal(open_status(f, 1, 0xE1E10, 1, 0), bad); /* 1-page ring */
    assert_int_equal(open_status(f, 1, 0xE1E10, 7, 0), bad); /* 1-page ring */
    assert_int_equal(open_status(f, 1, 0xE1E10, 0xFFFFFFFF, 0), bad);
    assert_int_equal(open_status(f, 1, 0xE1E10, 4, 2), bad); /* no VP 2 */
    assert_int_equal(n_opened, 0);
    /* the device may refuse */
    open_answer = STATUS_INSUFFICIENT_RESOURCES;
    assert_int_equal(open_status(f, 1, 0xE1E10, 4, 0), (uint32_t)STATUS_INSUFFICIENT_RESOURCES);
    assert_int_equal(n_opened, 1);
    assert_int_equal(signal(f, VMBUS_CHANNEL_CONN_BASE + 1), HV_STATUS_INVALID_CONNECTION_ID);
    open_answer = STATUS_SUCCESS;
    log_reset();
    assert_int_equal(open_status(f, 1, 0xE1E10, 4, 0), 0);
    assert_string_equal(logbuf,
                        "hv: vmbus: relid 1 dev0 opened: GPADL 0xe1e10, host-to-guest ring at "
                        "page 4\n");
    assert_int_equal(n_opened, 2);
    assert_ptr_equal(last_cb, chan_handle(&vmbus.chan[0]));
    assert_int_equal(open_status(f, 1, 0xE1E10, 4, 0), (uint32_t)STATUS_INVALID_DEVICE_STATE);
    /* signals drain the guest-to-host ring into the device, packet by packet */
    assert_int_equal(signal(f, VMBUS_CHANNEL_CONN_BASE + 1), 0); /* empty ring */
    assert_int_equal(n_packets, 0);
    guest_put_packet(f, RING_PFN, 0x1234);
    guest_put_packet(f, RING_PFN, 0x5678);
    assert_int_equal(signal(f, VMBUS_CHANNEL_CONN_BASE + 1), 0);
    assert_int_equal(signal(f, VMBUS_CHANNEL_CONN_BASE + 2), HV_STATUS_INVALID_CONNECTION_ID);
    assert_int_equal(n_packets, 2);
    assert_int_equal(last_len, 8);
    assert_int_equal(last_id, 0x5678);
    assert_int_equal(vmbus.chan[0].signals, 2);
    /* and the device's packets land in the host-to-guest ring at page 4 */
    assert_int_equal(VmbChannelSendPacket(last_cb, "12345678", 8, 9), STATUS_SUCCESS);
    uint32_t out_write;
    memcpy(&out_write, f->gm.host + (RING_PFN + 4) * 4096, 4);
    assert_int_equal(out_write, 32);
    assert_int_equal(VmbChannelSendPacket(last_cb, NULL, 8, 9), STATUS_INVALID_PARAMETER_2);
    assert_int_equal(VmbChannelSendPacket(last_cb, "x", 5000, 9), STATUS_INVALID_PARAMETER_3);
    /* a corrupt guest ring stalls the channel, with a log line, and nothing else */
    uint32_t bogus = 3; /* unaligned write index */
    memcpy(f->gm.host + RING_PFN * 4096, &bogus, 4);
    log_reset();
    assert_int_equal(signal(f, VMBUS_CHANNEL_CONN_BASE + 1), 0);
    assert_non_null(strstr(logbuf, "guest-to-host ring corrupt"));
    assert_int_equal(VmbChannelSendPacket(last_cb, "12345678", 8, 9), STATUS_INVALID_DEVICE_STATE);
    assert_int_equal(n_packets, 2);
    /* the rings' GPADL cannot go while open; unknown relids are rejected */
    assert_int_equal(teardown_post(f, 1, 0xE1E10), HV_STATUS_INVALID_PARAMETER);
    assert_int_equal(open_post(f, 3, 0xE1E10, 4, 0), HV_STATUS_INVALID_PARAMETER);
    assert_int_equal(relid_msg(f, VMBUS_MSG_CLOSECHANNEL, 2), HV_STATUS_INVALID_PARAMETER);
    assert_int_equal(relid_msg(f, VMBUS_MSG_CLOSECHANNEL, 99), HV_STATUS_INVALID_PARAMETER);
    nothing(f);
    log_reset();
    assert_int_equal(relid_msg(f, VMBUS_MSG_CLOSECHANNEL, 1), 0);
    assert_string_equal(logbuf, "hv: vmbus: relid 1 dev0 closed\n");
    assert_int_equal(n_closed, 1);
    nothing(f); /* no answer to a close */
    assert_int_equal(signal(f, VMBUS_CHANNEL_CONN_BASE + 1), HV_STATUS_INVALID_CONNECTION_ID);
    assert_int_equal(relid_msg(f, VMBUS_MSG_CLOSECHANNEL, 1), HV_STATUS_INVALID_PARAMETER);
    assert_int_equal(teardown_post(f, 1, 0xE1E10), 0);
    expect(f, VMBUS_MSG_GPADL_TORNDOWN, 12);
    /* and it opens again with a new GPADL */
    gpadl_ok(f, 1, 0xE1E14, RING_PFN, 4);
    assert_int_equal(open_status(f, 1, 0xE1E14, 2, 0), 0);
}

static void disable_closes_an_open_channel(void **state)
{
    struct fake *f = *state;
    offered(f, 1);
    VMBCHANNEL a = chan_handle(&vmbus.chan[0]);
    gpadl_ok(f, 1, 0xE1E10, RING_PFN, 8);
    gpadl_ok(f, 1, 0xE1E11, RING_PFN, 2);
    assert_int_equal(open_status(f, 1, 0xE1E10, 4, 0), 0);
    VmbChannelDisable(a);
    assert_int_equal(n_closed, 1);
    expect(f, VMBUS_MSG_RESCIND_CHANNELOFFER, 12);
    assert_int_equal(signal(f, VMBUS_CHANNEL_CONN_BASE + 1), HV_STATUS_INVALID_CONNECTION_ID);
    /* racing guest messages for the rescinded relid get failure answers */
    assert_int_equal(open_status(f, 1, 0xE1E11, 1, 0), (uint32_t)STATUS_INVALID_DEVICE_STATE);
    assert_int_equal(gpadl(f, 1, 0xE1E12, RING_PFN, 1), 0);
    assert_int_equal(expect_created(f, 1, 0xE1E12).creation_status,
                     (uint32_t)STATUS_INVALID_DEVICE_STATE);
    /* what Linux does next: CLOSECHANNEL, no teardown, RELID_RELEASED */
    assert_int_equal(relid_msg(f, VMBUS_MSG_CLOSECHANNEL, 1), 0);
    assert_int_equal(n_closed, 1);
    assert_int_equal(gpadls_in_use(), 2);
    assert_int_equal(relid_msg(f, VMBUS_MSG_RELID_RELEASED, 1), 0);
    assert_int_equal(gpadls_in_use(), 0); /* freed with the relid */
    nothing(f);
}

static void modifychannel(void **state)
{
    struct fake *f = *state;
    offered(f, 1);
    struct vmbus_modifychannel m = {{VMBUS_MSG_MODIFYCHANNEL, 0}, 1, 0};
    assert_int_equal(post_ok(f, &m, sizeof(m)), 0);
    struct msg r = expect(f, VMBUS_MSG_MODIFYCHANNEL_RESPONSE, 16);
    assert_int_equal(r.data[12], 0);
    m.target_vp = 2;
    assert_int_equal(post_ok(f, &m, sizeof(m)), 0);
    r = expect(f, VMBUS_MSG_MODIFYCHANNEL_RESPONSE, 16);
    uint32_t st;
    memcpy(&st, r.data + 12, 4);
    assert_int_equal(st, (uint32_t)STATUS_INVALID_PARAMETER);
    m.child_relid = 7;
    assert_int_equal(post_ok(f, &m, sizeof(m)), HV_STATUS_INVALID_PARAMETER);
    /* before 5.3 nobody waits for an answer, so none is sent */
    struct vmbus_msg_header u = {VMBUS_MSG_UNLOAD, 0};
    assert_int_equal(post_ok(f, &u, 8), 0);
    expect(f, VMBUS_MSG_UNLOAD_RESPONSE, 8);
    assert_int_equal(contact(f, V(5, 2)).version_supported, 1);
    assert_int_equal(post_ok(f, &requestoffers, 8), 0);
    expect_offer(f, 1);
    expect(f, VMBUS_MSG_ALLOFFERS_DELIVERED, 8);
    m.child_relid = 1;
    m.target_vp = 0;
    assert_int_equal(post_ok(f, &m, sizeof(m)), 0);
    nothing(f);
}

/* --- sub-channels ----------------------------------------------------------------------------- */

static uint32_t rescinded_relid(struct fake *f)
{
    struct msg m = expect(f, VMBUS_MSG_RESCIND_CHANNELOFFER, 12);
    uint32_t relid;
    memcpy(&relid, m.data + 8, 4);
    return relid;
}

/* Sub-channels of relid 1 as relids 2..1+n, offered with its GUIDs and index 1..n. */
static void subchannels_offered(struct fake *f, VMBCHANNEL primary, UINT16 n)
{
    assert_int_equal(VmbChannelCreateSubchannels(primary, n), STATUS_SUCCESS);
    const GUID g = instance(1);
    for (UINT16 k = 1; k <= n; k++) {
        struct vmbus_offer_channel o = expect_offer(f, 1u + k);
        assert_int_equal(o.sub_channel_index, k);
        assert_memory_equal(o.if_type, &test_class, 16);
        assert_memory_equal(o.if_instance, &g, 16);
        assert_int_equal(o.mmio_megabytes, 0);
        assert_int_equal(o.connection_id, VMBUS_CHANNEL_CONN_BASE + 1 + k);
        assert_int_equal(vmbus.chan[k].state, CHAN_ENABLED);
    }
}

static void subchannels_open_serve_and_go_with_their_primary(void **state)
{
    struct fake *f = *state;
    offered(f, 1);
    VMBCHANNEL p = chan_handle(&vmbus.chan[0]);
    /* only an open primary gets them */
    assert_int_equal(VmbChannelCreateSubchannels(p, 1), STATUS_INVALID_PARAMETER_1);
    assert_int_equal(VmbChannelCreateSubchannels(NULL, 1), STATUS_INVALID_PARAMETER_1);
    gpadl_ok(f, 1, 0xE1E10, RING_PFN, 8);
    assert_int_equal(open_status(f, 1, 0xE1E10, 4, 0), 0);
    assert_int_equal(VmbChannelCreateSubchannels(p, 0), STATUS_INVALID_PARAMETER_2);
    assert_int_equal(VmbChannelCreateSubchannels(p, VMBUS_MAX_SUBCHANNELS + 1),
                     STATUS_INVALID_PARAMETER_2);
    /* all or none: with one slot free, two are refused and nothing is offered */
    VMBCHANNEL other[VMBUS_MAX_CHANNELS];
    for (unsigned i = 0; i < VMBUS_MAX_CHANNELS - 2; i++)
        assert_int_equal(VmbChannelAllocate(NULL, TRUE, &other[i]), STATUS_SUCCESS);
    assert_int_equal(VmbChannelCreateSubchannels(p, 2), STATUS_INSUFFICIENT_RESOURCES);
    nothing(f);
    for (unsigned i = 0; i < VMBUS_MAX_CHANNELS - 2; i++)
        VmbChannelCleanup(other[i]);
    log_reset();
    subchannels_offered(f, p, 2);
    assert_non_null(
        strstr(logbuf, "hv: vmbus: dev0.1 enabled as relid 2: sub-channel 1 of relid 1\n"));
    assert_non_null(
        strstr(logbuf, "hv: vmbus: dev0.2 enabled as relid 3: sub-channel 2 of relid 1\n"));
    /* once per open; not of a sub-channel; the device cannot drop them */
    VMBCHANNEL s1 = chan_handle(&vmbus.chan[1]);
    assert_int_equal(VmbChannelCreateSubchannels(p, 1), STATUS_INVALID_DEVICE_STATE);
    assert_int_equal(VmbChannelCreateSubchannels(s1, 1), STATUS_INVALID_PARAMETER_1);
    VmbChannelDisable(s1);
    VmbChannelCleanup(s1);
    assert_int_equal(vmbus.chan[1].state, CHAN_ENABLED);
    nothing(f);
    /* a sub-channel has its own ring, VP and signals, and the primary's packet callback */
    gpadl_ok(f, 2, 0xE1E20, RING_PFN + 8, 8);
    assert_int_equal(open_status(f, 2, 0xE1E10, 4, 1), (uint32_t)STATUS_INVALID_PARAMETER);
    assert_int_equal(open_status(f, 2, 0xE1E20, 4, 2), (uint32_t)STATUS_INVALID_PARAMETER);
    assert_int_equal(open_status(f, 2, 0xE1E20, 4, 1), 0);
    assert_int_equal(n_opened, 1); /* the primary's only: no state callbacks */
    assert_int_equal(vmbus.chan[1].target_vp, 1);
    guest_put_packet(f, RING_PFN + 8, 0xABC);
    assert_int_equal(signal(f, VMBUS_CHANNEL_CONN_BASE + 2), 0);
    assert_int_equal(n_packets, 1);
    assert_int_equal(last_id, 0xABC);
    assert_ptr_equal(last_cb, s1);
    assert_int_equal(VmbChannelSendCompletion(s1, "12345678", 8, 0xABC), STATUS_SUCCESS);
    assert_ptr_equal(VmbChannelGetPointer(s1), VmbChannelGetPointer(p));
    struct vmbus_modifychannel m = {{VMBUS_MSG_MODIFYCHANNEL, 0}, 2, 0};
    assert_int_equal(post_ok(f, &m, sizeof(m)), 0);
    expect(f, VMBUS_MSG_MODIFYCHANNEL_RESPONSE, 16);
    assert_int_equal(vmbus.chan[1].target_vp, 0);
    /* the guest closes them, then the primary: they are rescinded and freed once released */
    assert_int_equal(relid_msg(f, VMBUS_MSG_CLOSECHANNEL, 2), 0);
    assert_int_equal(relid_msg(f, VMBUS_MSG_CLOSECHANNEL, 1), 0);
    assert_int_equal(n_closed, 1);
    assert_int_equal(rescinded_relid(f), 2);
    assert_int_equal(rescinded_relid(f), 3);
    assert_int_equal(vmbus.chan[1].state, CHAN_RELEASING);
    assert_null(chan_lookup(s1));
    assert_int_equal(VmbChannelSendCompletion(s1, "12345678", 8, 1), STATUS_INVALID_PARAMETER_1);
    assert_int_equal(relid_msg(f, VMBUS_MSG_RELID_RELEASED, 2), 0);
    assert_int_equal(relid_msg(f, VMBUS_MSG_RELID_RELEASED, 3), 0);
    assert_int_equal(vmbus.chan[1].state, CHAN_FREE);
    assert_int_equal(gpadls_in_use(), 1); /* the primary's ring GPADL; relid 2's went with it */
    nothing(f);
    /* the next open asks again; a disable rescinds them (closing an open one) before it */
    assert_int_equal(open_status(f, 1, 0xE1E10, 4, 0), 0);
    subchannels_offered(f, p, 1);
    gpadl_ok(f, 2, 0xE1E21, RING_PFN + 8, 8);
    assert_int_equal(open_status(f, 2, 0xE1E21, 4, 1), 0);
    VmbChannelDisable(p);
    assert_int_equal(rescinded_relid(f), 2);
    assert_int_equal(rescinded_relid(f), 1);
    assert_int_equal(signal(f, VMBUS_CHANNEL_CONN_BASE + 2), HV_STATUS_INVALID_CONNECTION_ID);
    nothing(f);
}

static void subchannels_go_at_unload(void **state)
{
    struct fake *f = *state;
    offered(f, 1);
    VMBCHANNEL p = chan_handle(&vmbus.chan[0]);
    gpadl_ok(f, 1, 0xE1E10, RING_PFN, 8);
    assert_int_equal(open_status(f, 1, 0xE1E10, 4, 0), 0);
    subchannels_offered(f, p, 2);
    gpadl_ok(f, 3, 0xE1E30, RING_PFN + 8, 8);
    assert_int_equal(open_status(f, 3, 0xE1E30, 4, 1), 0);
    struct vmbus_msg_header u = {VMBUS_MSG_UNLOAD, 0};
    assert_int_equal(post_ok(f, &u, 8), 0);
    expect(f, VMBUS_MSG_UNLOAD_RESPONSE, 8); /* and no rescinds: the guest forgot them all */
    nothing(f);
    assert_int_equal(vmbus.chan[1].state, CHAN_FREE);
    assert_int_equal(vmbus.chan[2].state, CHAN_FREE);
    assert_int_equal(signal(f, VMBUS_CHANNEL_CONN_BASE + 3), HV_STATUS_INVALID_CONNECTION_ID);
    /* a fresh hv_vmbus sees the primary only, and asks again after its open */
    connect(f);
    assert_int_equal(post_ok(f, &requestoffers, 8), 0);
    expect_offer(f, 1);
    expect(f, VMBUS_MSG_ALLOFFERS_DELIVERED, 8);
    nothing(f);
    gpadl_ok(f, 1, 0xE1E10, RING_PFN, 8);
    assert_int_equal(open_status(f, 1, 0xE1E10, 4, 0), 0);
    subchannels_offered(f, p, 1);
    nothing(f);
}

/* --- several VPs ------------------------------------------------------------------------------ */

static struct msg expect_vp(struct fake *f, uint32_t vp, uint32_t type, uint8_t size)
{
    struct msg m;
    assert_true(take_vp(f, &m, vp, 2));
    assert_int_equal(m.type, type);
    assert_int_equal(m.size, size);
    return m;
}

static uint8_t event_byte0(struct fake *f, uint32_t vp)
{
    return f->gm.host[(vp ? SIEFP1_GPA : SIEFP_GPA) + 256 * 2];
}

/* The guest connects from VP 1 (INITIATE_CONTACT's target_vcpu): every host
 * message goes to VP 1's SynIC; a channel's interrupts go to its OPENCHANNEL
 * target VP, and MODIFYCHANNEL moves them. */
static void messages_and_interrupts_follow_the_target_vps(void **state)
{
    struct fake *f = *state;
    assert_int_equal(hyperv_msr_write(&f->p, 1, HV_MSR_SIMP, SIMP1_GPA | 1), HV_MSR_OK);
    assert_int_equal(hyperv_msr_write(&f->p, 1, HV_MSR_SIEFP, SIEFP1_GPA | 1), HV_MSR_OK);
    assert_int_equal(hyperv_msr_write(&f->p, 1, HV_MSR_SINT0 + 2, VEC), HV_MSR_OK);
    assert_int_equal(hyperv_msr_write(&f->p, 1, HV_MSR_SCONTROL, 1), HV_MSR_OK);
    enabled("dev0", 1, 0, 0);
    struct vmbus_initiate_contact c = contact_msg(V(5, 3));
    c.target_vcpu = 1;
    assert_int_equal(post_ok(f, &c, sizeof(c)), 0);
    nothing(f); /* VP 0's slot stays empty */
    assert_int_equal(expect_vp(f, 1, VMBUS_MSG_VERSION_RESPONSE, 16).data[8], 1);
    assert_int_equal(f->nraised, 1);
    assert_int_equal(f->raised_vp[0], 1);
    assert_int_equal(post_ok(f, &requestoffers, 8), 0);
    expect_vp(f, 1, VMBUS_MSG_OFFERCHANNEL, sizeof(struct vmbus_offer_channel));
    expect_vp(f, 1, VMBUS_MSG_ALLOFFERS_DELIVERED, 8);
    assert_int_equal(gpadl(f, 1, 0xE1E10, RING_PFN, 8), 0);
    expect_vp(f, 1, VMBUS_MSG_GPADL_CREATED, sizeof(struct vmbus_gpadl_created));
    /* a target VP the guest lacks is refused; VP 1 is taken */
    struct vmbus_open_result res;
    assert_int_equal(open_post(f, 1, 0xE1E10, 4, 2), 0);
    memcpy(&res, expect_vp(f, 1, VMBUS_MSG_OPENCHANNEL_RESULT, sizeof(res)).data, sizeof(res));
    assert_int_equal(res.status, (uint32_t)STATUS_INVALID_PARAMETER);
    assert_int_equal(open_post(f, 1, 0xE1E10, 4, 1), 0);
    memcpy(&res, expect_vp(f, 1, VMBUS_MSG_OPENCHANNEL_RESULT, sizeof(res)).data, sizeof(res));
    assert_int_equal(res.status, 0);
    nothing(f);
    /* the device's packet interrupts VP 1: relid 1's flag in VP 1's SIEFP page */
    unsigned raised = f->nraised;
    assert_int_equal(VmbChannelSendPacket(last_cb, "12345678", 8, 9), STATUS_SUCCESS);
    assert_int_equal(event_byte0(f, 1), 0x02);
    assert_int_equal(event_byte0(f, 0), 0);
    assert_int_equal(f->nraised, raised + 1);
    assert_int_equal(f->raised_vp[raised], 1);
    /* the guest's target_cpu_store: MODIFYCHANNEL to VP 0, answered (5.3) on VP 1 */
    struct vmbus_modifychannel m = {{VMBUS_MSG_MODIFYCHANNEL, 0}, 1, 0};
    assert_int_equal(post_ok(f, &m, sizeof(m)), 0);
    assert_int_equal(expect_vp(f, 1, VMBUS_MSG_MODIFYCHANNEL_RESPONSE, 16).data[12], 0);
    assert_int_equal(vmbus.chan[0].target_vp, 0);
    /* the guest drained its ring (read index = write index): the next packet signals VP 0 */
    uint8_t *out = f->gm.host + (RING_PFN + 4) * 4096;
    memcpy(out + 4, out, 4);
    f->gm.host[SIEFP1_GPA + 256 * 2] = 0;
    raised = f->nraised;
    assert_int_equal(VmbChannelSendPacket(last_cb, "12345678", 8, 9), STATUS_SUCCESS);
    assert_int_equal(event_byte0(f, 0), 0x02);
    assert_int_equal(event_byte0(f, 1), 0);
    assert_int_equal(f->nraised, raised + 1);
    assert_int_equal(f->raised_vp[raised], 0);
    /* a VP the guest lacks: refused, the channel stays where it was */
    m.target_vp = 2;
    assert_int_equal(post_ok(f, &m, sizeof(m)), 0);
    uint32_t st;
    memcpy(&st, expect_vp(f, 1, VMBUS_MSG_MODIFYCHANNEL_RESPONSE, 16).data + 12, 4);
    assert_int_equal(st, (uint32_t)STATUS_INVALID_PARAMETER);
    assert_int_equal(vmbus.chan[0].target_vp, 0);
    /* UNLOAD is answered where the guest waits: VP 1 */
    struct vmbus_msg_header u = {VMBUS_MSG_UNLOAD, 0};
    assert_int_equal(post_ok(f, &u, 8), 0);
    expect_vp(f, 1, VMBUS_MSG_UNLOAD_RESPONSE, 8);
    nothing(f);
}

/* A reset forgets what the old connection's VP still holds: here VP 1, whose
 * SynIC never took anything, then a kexec'd kernel connects from VP 0. */
static void reset_forgets_every_vps_queue(void **state)
{
    struct fake *f = *state;
    enabled("dev0", 1, 0, 0);
    struct vmbus_initiate_contact c = contact_msg(V(5, 3));
    c.target_vcpu = 1;
    assert_int_equal(post_ok(f, &c, sizeof(c)), 0);
    assert_int_equal(post_ok(f, &requestoffers, 8), 0);
    assert_int_equal(synic_queued(&f->p, 1, 2), 3); /* VERSION_RESPONSE, offer, ALLOFFERS */
    nothing(f);
    connect(f);
    assert_int_equal(synic_queued(&f->p, 1, 2), 0);
    nothing(f);
}

/* --- back-pressure -------------------------------------------------------------------------- */

static void guest_gets_backpressure_and_nothing_is_lost(void **state)
{
    struct fake *f = *state;
    offered(f, 2);
    struct vmbus_modifychannel m = {{VMBUS_MSG_MODIFYCHANNEL, 0}, 1, 0};
    /* the guest posts without reading: slot + 16 in the SynIC, then our queue */
    unsigned accepted = 0, busy = 0;
    for (unsigned i = 0; i < 200; i++) {
        m.target_vp = i % 3 ? 0 : 5; /* statuses vary so the order can be checked */
        uint16_t st = post_ok(f, &m, sizeof(m));
        if (st == HV_STATUS_INSUFFICIENT_BUFFERS) {
            busy++;
            break;
        }
        assert_int_equal(st, 0);
        accepted++;
    }
    assert_int_equal(busy, 1);
    assert_int_equal(accepted, 17 + VMBUS_OUTQ_LEN - VMBUS_MAX_CHANNELS);
    assert_int_equal(vmbus.n.busy, 1);
    /* while busy a message without an answer is still taken */
    assert_int_equal(relid_msg(f, VMBUS_MSG_CLOSECHANNEL, 1), HV_STATUS_INVALID_PARAMETER);
    /* the host can still rescind and offer: room is kept for that */
    VmbChannelDisable(chan_handle(&vmbus.chan[1]));
    enabled("late", 9, 0, 0);
    assert_int_equal(vmbus.outq.count, VMBUS_OUTQ_LEN - VMBUS_MAX_CHANNELS + 2);
    for (unsigned i = 0; i < accepted; i++) {
        struct msg r = expect(f, VMBUS_MSG_MODIFYCHANNEL_RESPONSE, 16);
        uint32_t st;
        memcpy(&st, r.data + 12, 4);
        assert_int_equal(st, i % 3 ? 0 : (uint32_t)STATUS_INVALID_PARAMETER);
    }
    expect(f, VMBUS_MSG_RESCIND_CHANNELOFFER, 12);
    expect_offer(f, 3);
    nothing(f);
    assert_int_equal(post_ok(f, &m, sizeof(m)), 0); /* and it takes messages again */
    expect(f, VMBUS_MSG_MODIFYCHANNEL_RESPONSE, 16);
}

static void synic_disabled_messages_wait(void **state)
{
    struct fake *f = *state;
    enabled("a", 1, 0, 0);
    connect(f);
    wr(f, HV_MSR_SCONTROL, 0); /* e.g. a CPU going offline */
    assert_int_equal(post_ok(f, &requestoffers, 8), 0);
    struct msg m;
    assert_false(take(f, &m, 2));
    wr(f, HV_MSR_SCONTROL, 1);
    expect_offer(f, 1);
    expect(f, VMBUS_MSG_ALLOFFERS_DELIVERED, 8);
    nothing(f);
}

/* --- unload, reconnect, a whole session ------------------------------------------------------- */

static void unload_resets_and_reconnects(void **state)
{
    struct fake *f = *state;
    offered(f, 2);
    gpadl_ok(f, 1, 0xE1E10, RING_PFN, 8);
    gpadl_ok(f, 2, 0xE1E11, RING_PFN + 8, 8);
    assert_int_equal(open_status(f, 1, 0xE1E10, 4, 0), 0);
    VmbChannelDisable(chan_handle(&vmbus.chan[1])); /* relid 2 rescinded, not yet released */
    expect(f, VMBUS_MSG_RESCIND_CHANNELOFFER, 12);
    VmbChannelCleanup(chan_handle(&vmbus.chan[1]));
    assert_int_equal(vmbus.chan[1].state, CHAN_RELEASING);
    log_reset();
    struct vmbus_msg_header u = {VMBUS_MSG_UNLOAD, 0};
    assert_int_equal(post_ok(f, &u, 8), 0);
    expect(f, VMBUS_MSG_UNLOAD_RESPONSE, 8);
    nothing(f);
    assert_string_equal(logbuf, "hv: vmbus: UNLOAD: disconnected, channels closed, GPADLs freed\n");
    assert_int_equal(n_closed, 1);
    assert_int_equal(gpadls_in_use(), 0);
    assert_int_equal(vmbus.chan[1].state, CHAN_FREE); /* the guest forgot relid 2 */
    assert_int_equal(signal(f, VMBUS_CHANNEL_CONN_BASE + 1), HV_STATUS_INVALID_CONNECTION_ID);
    assert_int_equal(post_ok(f, &requestoffers, 8), HV_STATUS_INVALID_PARAMETER);
    assert_int_equal(post_ok(f, &u, 8), HV_STATUS_INVALID_PARAMETER); /* not connected */
    /* a fresh hv_vmbus */
    connect(f);
    assert_int_equal(post_ok(f, &requestoffers, 8), 0);
    expect_offer(f, 1);
    expect(f, VMBUS_MSG_ALLOFFERS_DELIVERED, 8);
    gpadl_ok(f, 1, 0xE1E10, RING_PFN, 8); /* the old handle is free again */
    assert_int_equal(open_status(f, 1, 0xE1E10, 4, 0), 0);
    /* INITIATE_CONTACT while connected (kexec without unload): start over */
    log_reset();
    connect(f);
    assert_non_null(strstr(logbuf, "hv: vmbus: INITIATE_CONTACT while connected at 5.3: connection "
                                   "reset\n"));
    assert_int_equal(n_closed, 2);
    assert_int_equal(gpadls_in_use(), 0);
    assert_int_equal(post_ok(f, &requestoffers, 8), 0);
    expect_offer(f, 1);
    expect(f, VMBUS_MSG_ALLOFFERS_DELIVERED, 8);
    nothing(f);
}

static void linux_like_session(void **state)
{
    struct fake *f = *state;
    VMBCHANNEL hb = enabled("heartbeat", 1, 0, 0);
    enabled("test0", 2, 16, 8);
    /* INITIATE_CONTACT 5.3 on connection 4 */
    struct vmbus_version_response v = contact(f, V(5, 3));
    assert_int_equal(v.version_supported, 1);
    assert_int_equal(v.msg_conn_id, 4);
    /* REQUESTOFFERS on the returned id */
    assert_int_equal(post(f, v.msg_conn_id, &requestoffers, 8), 0);
    struct vmbus_offer_channel o = expect_offer(f, 1);
    uint32_t conn = o.connection_id;
    o = expect_offer(f, 2);
    assert_int_equal(o.mmio_megabytes, 16);
    assert_int_equal(o.mmio_megabytes_optional, 8);
    expect(f, VMBUS_MSG_ALLOFFERS_DELIVERED, 8);
    /* 16 KiB + 16 KiB rings in 30 pages: header + one body */
    assert_int_equal(gpadl(f, 1, 0xE1E10, RING_PFN, 30), 0);
    assert_int_equal(expect_created(f, 1, 0xE1E10).creation_status, 0);
    /* Linux initialises both ring headers here, then OPENCHANNEL */
    assert_int_equal(open_status(f, 1, 0xE1E10, 15, 0), 0);
    assert_ptr_equal(last_cb, hb);
    /* the guest writes a packet and signals */
    guest_put_packet(f, RING_PFN, 7);
    assert_int_equal(signal(f, conn), 0);
    assert_int_equal(n_packets, 1);
    assert_int_equal(last_id, 7);
    /* driver unload: CLOSECHANNEL, GPADL_TEARDOWN -> GPADL_TORNDOWN */
    assert_int_equal(relid_msg(f, VMBUS_MSG_CLOSECHANNEL, 1), 0);
    assert_int_equal(teardown_post(f, 1, 0xE1E10), 0);
    expect(f, VMBUS_MSG_GPADL_TORNDOWN, 12);
    /* hv_vmbus unload */
    struct vmbus_msg_header u = {VMBUS_MSG_UNLOAD, 0};
    assert_int_equal(post(f, v.msg_conn_id, &u, 8), 0);
    expect(f, VMBUS_MSG_UNLOAD_RESPONSE, 8);
    /* and reload */
    v = contact(f, V(5, 3));
    assert_int_equal(v.version_supported, 1);
    assert_int_equal(post(f, v.msg_conn_id, &requestoffers, 8), 0);
    expect_offer(f, 1);
    expect_offer(f, 2);
    expect(f, VMBUS_MSG_ALLOFFERS_DELIVERED, 8);
    nothing(f);
    assert_int_equal(vmbus.n.rejected, 0);
    assert_int_equal(vmbus.n.refused, 0);
    assert_true(f->nraised > 0);
    char line[512];
    vmbus_summary(line, sizeof(line));
    assert_string_equal(line, " vmbus_version=5.3 vmbus_msgs=10 vmbus_rejected=0 vmbus_refused=0 "
                              "vmbus_busy=0 vmbus_sent=12 vmbus_offers=4 vmbus_opens=1 "
                              "vmbus_signals=1 vmbus_packets=1 vmbus_log_dropped=0 faults_fired=0");
}

/* --- isolation: a ring pair, a drain, a reset and the log against a hostile guest --- */

/* A GPADL_HEADER + BODYs carrying pfns as listed: one range of whole pages. */
static void gpadl_of(struct fake *f, uint32_t relid, uint32_t handle, const uint64_t *pfns,
                     unsigned pages)
{
    uint8_t buf[240];
    struct vmbus_gpadl_header h = {
        {VMBUS_MSG_GPADL_HEADER, 0}, relid, handle, (uint16_t)(8 + 8 * pages), 1};
    struct vmbus_gpa_range r = {pages * PAGE_SIZE, 0};
    memcpy(buf, &h, sizeof(h));
    memcpy(buf + 20, &r, sizeof(r));
    unsigned n = pages < 26 ? pages : 26, done = n;
    memcpy(buf + 28, pfns, 8 * n);
    assert_int_equal(post_ok(f, buf, 28 + 8 * n), 0);
    while (done < pages) {
        struct vmbus_gpadl_body b = {{VMBUS_MSG_GPADL_BODY, 0}, 0, handle};
        memcpy(buf, &b, sizeof(b));
        n = pages - done < 28 ? pages - done : 28;
        memcpy(buf + 16, pfns + done, 8 * n);
        done += n;
        assert_int_equal(post_ok(f, buf, 16 + 8 * n), 0);
    }
    assert_int_equal(expect_created(f, relid, handle).creation_status, 0);
}

/* OPENCHANNEL refuses a ring GPADL that lists a page twice: two rings sharing
 * a page (the same pages twice, one ring's header as the other's data) would
 * let an answering device refill the ring the host drains, forever, inside
 * one HvSignalEvent. The GPADL itself is valid; only rings may not alias. */
static void ring_gpadl_repeating_a_page_refused(void **state)
{
    struct fake *f = *state;
    offered(f, 1);
    const uint64_t H = RING_PFN, D = RING_PFN + 1, E = RING_PFN + 2, G = RING_PFN + 3;
    const uint64_t twice[] = {H, D, H, D};           /* both rings on the same two pages */
    const uint64_t out_hdr_in_data[] = {H, D, D, E}; /* host->guest header = guest->host data */
    const uint64_t in_hdr_out_data[] = {H, D, E, H}; /* guest->host header = host->guest data */
    const uint64_t shared_data[] = {H, D, E, G, D};  /* one data page in both rings */
    const uint64_t in_one_ring[] = {H, D, D, E, G};  /* a ring's own data page twice */
    gpadl_of(f, 1, 0xA1, twice, 4);
    gpadl_of(f, 1, 0xA2, out_hdr_in_data, 4);
    gpadl_of(f, 1, 0xA3, in_hdr_out_data, 4);
    gpadl_of(f, 1, 0xA4, shared_data, 5);
    gpadl_of(f, 1, 0xA5, in_one_ring, 5);
    /* the largest GPADL, every page distinct but listed backwards, and the same
     * with its first page repeated last (the sort must find pairs far apart) */
    uint64_t big[VMBUS_GPADL_MAX_PAGES];
    for (unsigned i = 0; i < VMBUS_GPADL_MAX_PAGES; i++)
        big[i] = RING_PFN + (VMBUS_GPADL_MAX_PAGES - 1 - i) % 200; /* 200 pages of RAM */
    log_reset();
    const uint32_t bad = (uint32_t)STATUS_INVALID_PARAMETER;
    for (int round = 0; round < 3; round++) {
        assert_int_equal(open_status(f, 1, 0xA1, 2, 0), bad);
        assert_int_equal(open_status(f, 1, 0xA2, 2, 0), bad);
        assert_int_equal(open_status(f, 1, 0xA3, 2, 0), bad);
        assert_int_equal(open_status(f, 1, 0xA4, 2, 0), bad);
        assert_int_equal(open_status(f, 1, 0xA4, 3, 0), bad);
        assert_int_equal(open_status(f, 1, 0xA5, 3, 0), bad);
    }
    assert_int_equal(n_opened, 0);
    assert_int_equal(vmbus.chan[0].state, CHAN_ENABLED);
    assert_int_equal(vmbus.n.refused, 18);
    assert_string_equal(logbuf,
                        "hv: vmbus: refused OPENCHANNEL: ring GPADL lists a page twice: the "
                        "rings would overlap (status 0xc000000d)\n");
    /* 200 distinct pages: fine; 201 with a repeat: refused */
    uint64_t distinct[200];
    for (unsigned i = 0; i < 200; i++)
        distinct[i] = big[VMBUS_GPADL_MAX_PAGES - 200 + i];
    gpadl_of(f, 1, 0xB1, big, 201);
    assert_int_equal(open_status(f, 1, 0xB1, 100, 0), bad);
    gpadl_of(f, 1, 0xB2, distinct, 200);
    assert_int_equal(open_status(f, 1, 0xB2, 100, 0), 0);
    assert_int_equal(n_opened, 1);
    assert_int_equal(relid_msg(f, VMBUS_MSG_CLOSECHANNEL, 1), 0);
    /* and Linux's own rings (consecutive pages) open as before */
    gpadl_ok(f, 1, 0xE1E10, RING_PFN, 8);
    assert_int_equal(open_status(f, 1, 0xE1E10, 4, 0), 0);
}

/* A guest-to-host ring writer that wraps, as Linux's does: 32-byte packets
 * carrying id, in the ring whose header is at pfn with data_pages after it. */
static void guest_put_wrapping(struct fake *f, uint64_t pfn, unsigned data_pages, uint64_t id)
{
    uint8_t *hdr = f->gm.host + pfn * 4096, *data = hdr + 4096;
    uint32_t w;
    memcpy(&w, hdr, 4);
    const uint16_t desc[4] = {VMBUS_PKT_DATA_INBAND, 2, 3, 0};
    uint64_t trailer = (uint64_t)w << 32;
    memcpy(data + w, desc, 8);
    memcpy(data + w + 8, &id, 8);
    memcpy(data + w + 16, "echo-me!", 8);
    memcpy(data + w + 24, &trailer, 8);
    w = (w + 32) % (data_pages * 4096); /* packets never straddle the end */
    memcpy(hdr, &w, 4);
}

static struct fake *feeding_guest;
static uint64_t fed;

/* A device that answers every packet by putting another into the ring being
 * drained: what an echo does when the guest made both rings the same pages. */
static void feeding_packet(VMBCHANNEL ch, const VOID *buf, UINT32 len, UINT16 type, UINT64 id)
{
    dev_packet(ch, buf, len, type, id);
    if (n_packets > 100000)
        fail_msg("the drain does not stop: %u packets in one go", n_packets);
    guest_put_wrapping(feeding_guest, RING_PFN, 3, ++fed);
}

static uint32_t in_ring_mask(struct fake *f)
{
    uint32_t m;
    memcpy(&m, f->gm.host + RING_PFN * 4096 + 8, 4);
    return m;
}

/* One HvSignalEvent takes at most VMBUS_DRAIN_BUDGET packets; the rest waits,
 * with the ring's interrupt mask left set (the guest need not signal again),
 * for the next vmbus_poll or, without an exit, the retry timer. Nothing is
 * lost or reordered; a ring that never empties costs one budget per turn. */
static void drain_budget_goes_on_later(void **state)
{
    struct fake *f = *state;
    offered(f, 1);
    gpadl_ok(f, 1, 0xE1E10, RING_PFN, 8);
    assert_int_equal(open_status(f, 1, 0xE1E10, 4, 0), 0);
    const unsigned total = 3 * VMBUS_DRAIN_BUDGET + 8;
    for (unsigned i = 0; i < total; i++)
        guest_put_wrapping(f, RING_PFN, 3, 1000 + i);
    assert_int_equal(signal(f, VMBUS_CHANNEL_CONN_BASE + 1), 0);
    assert_int_equal(n_packets, VMBUS_DRAIN_BUDGET);
    assert_int_equal(last_id, 1000 + VMBUS_DRAIN_BUDGET - 1);
    assert_int_equal(in_ring_mask(f), 1);
    assert_true(vmbus.chan[0].drain_pending);
    assert_true(vmbus.n.drains_deferred == 1);
    /* the next exit's poll goes on, without a signal */
    vmbus_poll();
    assert_int_equal(n_packets, 2 * VMBUS_DRAIN_BUDGET);
    assert_int_equal(last_id, 1000 + 2 * VMBUS_DRAIN_BUDGET - 1);
    /* no exit: the retry timer does */
    uint64_t when = timers_next();
    assert_true(when != TIMER_NEVER);
    timers_run(when);
    assert_int_equal(n_packets, 3 * VMBUS_DRAIN_BUDGET);
    vmbus_poll();
    assert_int_equal(n_packets, total);
    assert_int_equal(last_id, 1000 + total - 1);
    assert_false(vmbus.chan[0].drain_pending);
    assert_int_equal(in_ring_mask(f), 0); /* empty again: the guest signals the next one */
    vmbus_poll();
    timers_run(timers_next());
    assert_int_equal(n_packets, total);
    /* a guest signal meanwhile gets its own budget; closing forgets the rest */
    for (unsigned i = 0; i < 2 * VMBUS_DRAIN_BUDGET + 1; i++)
        guest_put_wrapping(f, RING_PFN, 3, i);
    assert_int_equal(signal(f, VMBUS_CHANNEL_CONN_BASE + 1), 0);
    assert_int_equal(signal(f, VMBUS_CHANNEL_CONN_BASE + 1), 0);
    assert_int_equal(n_packets, total + 2 * VMBUS_DRAIN_BUDGET);
    assert_true(vmbus.chan[0].drain_pending);
    assert_int_equal(relid_msg(f, VMBUS_MSG_CLOSECHANNEL, 1), 0);
    assert_false(vmbus.chan[0].drain_pending);
    assert_int_equal(n_packets, total + 2 * VMBUS_DRAIN_BUDGET);
    vmbus_poll();
    assert_int_equal(n_packets, total + 2 * VMBUS_DRAIN_BUDGET);
    timers_run(timers_next());
    assert_int_equal(n_packets, total + 2 * VMBUS_DRAIN_BUDGET);

    /* a device that refills the ring it is fed from: each turn is bounded */
    VMBCHANNEL ch = chan_handle(&vmbus.chan[0]);
    VmbChannelDisable(ch);
    expect(f, VMBUS_MSG_RESCIND_CHANNELOFFER, 12);
    assert_int_equal(relid_msg(f, VMBUS_MSG_RELID_RELEASED, 1), 0);
    VmbChannelCleanup(ch);
    VMBCHANNEL feeder = channel("feeder", 9, 0, 0);
    assert_int_equal(VmbChannelInitSetProcessPacketCallback(feeder, feeding_packet), 0);
    assert_int_equal(VmbChannelEnable(feeder), STATUS_SUCCESS);
    expect_offer(f, 1);
    memset(f->gm.host + RING_PFN * 4096, 0, 8 * 4096);
    gpadl_ok(f, 1, 0xE1E20, RING_PFN, 8);
    assert_int_equal(open_status(f, 1, 0xE1E20, 4, 0), 0);
    feeding_guest = f;
    fed = 0;
    n_packets = 0;
    guest_put_wrapping(f, RING_PFN, 3, 0);
    assert_int_equal(signal(f, VMBUS_CHANNEL_CONN_BASE + 1), 0); /* returns */
    assert_int_equal(n_packets, VMBUS_DRAIN_BUDGET);
    for (unsigned turn = 2; turn < 50; turn++) {
        vmbus_poll();
        assert_int_equal(n_packets, turn * VMBUS_DRAIN_BUDGET);
    }
    assert_int_equal(last_id, 49 * VMBUS_DRAIN_BUDGET - 1); /* in order */
    assert_int_equal(relid_msg(f, VMBUS_MSG_CLOSECHANNEL, 1), 0);
    vmbus_poll();
    assert_int_equal(n_packets, 49 * VMBUS_DRAIN_BUDGET);
}

/* UNLOAD starts over: messages of the old connection still queued in the
 * SynIC (offers behind a masked SINT) are forgotten with ours, so the guest
 * sees UNLOAD_RESPONSE and nothing stale after it; the same for an
 * INITIATE_CONTACT while connected. */
static void reset_forgets_what_the_synic_holds(void **state)
{
    struct fake *f = *state;
    for (unsigned i = 0; i < 3; i++)
        enabled(i ? "dev" : "dev0", i + 1, 0, 0);
    connect(f);
    wr(f, HV_MSR_SINT0 + 2, HV_SINT_MASKED | VEC); /* the guest stops taking messages */
    assert_int_equal(post_ok(f, &requestoffers, 8), 0);
    assert_int_equal(synic_queued(&f->p, 0, 2), 4); /* 3 offers + ALLOFFERS_DELIVERED */
    struct vmbus_msg_header u = {VMBUS_MSG_UNLOAD, 0};
    assert_int_equal(post_ok(f, &u, 8), 0);
    assert_int_equal(synic_queued(&f->p, 0, 2), 1);
    wr(f, HV_MSR_SINT0 + 2, VEC);
    expect(f, VMBUS_MSG_UNLOAD_RESPONSE, 8);
    nothing(f);
    /* reconnect, offers held again, then a kexec'd kernel's INITIATE_CONTACT */
    connect(f);
    wr(f, HV_MSR_SINT0 + 2, HV_SINT_MASKED | VEC);
    assert_int_equal(post_ok(f, &requestoffers, 8), 0);
    assert_int_equal(synic_queued(&f->p, 0, 2), 4);
    struct vmbus_initiate_contact c = contact_msg(V(5, 3));
    assert_int_equal(post_ok(f, &c, sizeof(c)), 0);
    wr(f, HV_MSR_SINT0 + 2, VEC);
    expect(f, VMBUS_MSG_VERSION_RESPONSE, sizeof(struct vmbus_version_response));
    nothing(f);
    for (unsigned i = 0; i < 3; i++)
        assert_int_equal(vmbus.chan[i].offer, OFFER_NONE);
    assert_int_equal(post_ok(f, &requestoffers, 8), 0);
    expect_offer(f, 1);
    expect_offer(f, 2);
    expect_offer(f, 3);
    expect(f, VMBUS_MSG_ALLOFFERS_DELIVERED, 8);
    nothing(f);
}

/* A guest repeating what logs a line (GPADLs, opens, closes, connections)
 * gets VMBUS_LOG_BUDGET lines of each kind, the last saying so; the rest are
 * counted (vmbus_log_dropped=) and the protocol goes on unchanged. */
static void repeated_lines_are_rate_limited(void **state)
{
    struct fake *f = *state;
    offered(f, 1);
    log_reset();
    const unsigned rounds = VMBUS_LOG_BUDGET + 36;
    for (unsigned i = 0; i < rounds; i++) {
        gpadl_ok(f, 1, 0x100 + i, RING_PFN, 8);
        assert_int_equal(open_status(f, 1, 0x100 + i, 4, 0), 0);
        assert_int_equal(relid_msg(f, VMBUS_MSG_CLOSECHANNEL, 1), 0);
        assert_int_equal(teardown_post(f, 1, 0x100 + i), 0);
        expect(f, VMBUS_MSG_GPADL_TORNDOWN, 12);
    }
    assert_int_equal(n_opened, rounds);
    assert_int_equal(log_count(" created: 8 pages in 1 range"), VMBUS_LOG_BUDGET);
    assert_int_equal(log_count(" opened: GPADL "), VMBUS_LOG_BUDGET);
    assert_int_equal(log_count(" dev0 closed"), VMBUS_LOG_BUDGET);
    assert_int_equal(log_count(" torn down"), VMBUS_LOG_BUDGET);
    assert_int_equal(log_count(" (further such lines not reported)\n"), 4);
    assert_non_null(strstr(logbuf, "hv: vmbus: GPADL 0x13f of relid 1 created: 8 pages in 1 range "
                                   "(further such lines not reported)\n"));
    assert_null(strstr(logbuf, "GPADL 0x140 "));
    assert_true(vmbus_log_dropped() == 4 * 36);
    log_reset();
    struct vmbus_msg_header u = {VMBUS_MSG_UNLOAD, 0};
    for (unsigned i = 0; i < rounds; i++) {
        assert_int_equal(post_ok(f, &u, 8), 0);
        expect(f, VMBUS_MSG_UNLOAD_RESPONSE, 8);
        assert_int_equal(contact(f, V(6, 0)).version_supported, 0);
        connect(f);
        connect(f); /* while connected: a reset */
        assert_int_equal(post_ok(f, &requestoffers, 8), 0);
        expect_offer(f, 1);
        expect(f, VMBUS_MSG_ALLOFFERS_DELIVERED, 8);
    }
    nothing(f);
    /* offered() logged one connected, REQUESTOFFERS and offer line before */
    assert_int_equal(log_count("hv: vmbus: UNLOAD: "), VMBUS_LOG_BUDGET);
    assert_int_equal(log_count(": not supported"), VMBUS_LOG_BUDGET);
    assert_int_equal(log_count("hv: vmbus: connected: "), VMBUS_LOG_BUDGET - 1);
    assert_int_equal(log_count(": connection reset"), VMBUS_LOG_BUDGET);
    assert_int_equal(log_count("hv: vmbus: REQUESTOFFERS: "), VMBUS_LOG_BUDGET - 1);
    assert_int_equal(log_count("hv: vmbus: offer relid 1 "), VMBUS_LOG_BUDGET - 1);
    assert_int_equal(log_count(" (further such lines not reported)\n"), 6);
    /* dropped: 4 x 36 above; here 3 x 36, 2 x 100 + 1 - 64 connected, 2 x 37 */
    assert_true(vmbus_log_dropped() == 144 + 108 + 137 + 74);
    char line[512];
    vmbus_summary(line, sizeof(line));
    assert_non_null(strstr(line, " vmbus_packets=0 vmbus_log_dropped=463"));
}

/* --- the trace ------------------------------------------------------------------------------ */

/* Where line (a whole line) is in the log; fails if it is not. */
static const char *traced(const char *line)
{
    char want[400];
    snprintf(want, sizeof(want), "%s\n", line);
    const char *at = strstr(logbuf, want);
    if (!at)
        fail_msg("no line '%s' in the log:\n%s", line, logbuf);
    return at;
}

/* A session with trace = vmbus,ring,hypercall: every message both ways
 * decoded by name with its fields, once each, in the order it happened;
 * the packets each way and the guest's signal; each hypercall's status. */
static void traced_session_decodes_every_message(void **state)
{
    struct fake *f = *state;
    VMBCHANNEL hb = enabled("heartbeat", 1, 0, 0);
    VMBCHANNEL t = enabled("test0", 2, 16, 8);
    trace_init(HV_TRACE_VMBUS | HV_TRACE_RING | HV_TRACE_HYPERCALL);
    log_reset();
    struct vmbus_version_response v = contact(f, V(5, 3));
    assert_int_equal(post(f, v.msg_conn_id, &requestoffers, 8), 0);
    uint32_t conn = expect_offer(f, 1).connection_id;
    expect_offer(f, 2);
    expect(f, VMBUS_MSG_ALLOFFERS_DELIVERED, 8);
    assert_int_equal(gpadl(f, 1, 0xE1E10, RING_PFN, 30), 0);
    expect_created(f, 1, 0xE1E10);
    assert_int_equal(open_status(f, 1, 0xE1E10, 15, 0), 0);
    guest_put_packet(f, RING_PFN, 7);
    assert_int_equal(signal(f, conn), 0);
    assert_int_equal(VmbChannelSendPacket(hb, "reply!!!", 8, 7), STATUS_SUCCESS);
    struct vmbus_modifychannel m = {{VMBUS_MSG_MODIFYCHANNEL, 0}, 1, 0};
    assert_int_equal(post_ok(f, &m, sizeof(m)), 0);
    expect(f, VMBUS_MSG_MODIFYCHANNEL_RESPONSE, 16);
    assert_int_equal(relid_msg(f, VMBUS_MSG_CLOSECHANNEL, 1), 0);
    assert_int_equal(teardown_post(f, 1, 0xE1E10), 0);
    expect(f, VMBUS_MSG_GPADL_TORNDOWN, 12);
    VmbChannelDisable(t);
    expect(f, VMBUS_MSG_RESCIND_CHANNELOFFER, 12);
    assert_int_equal(relid_msg(f, VMBUS_MSG_RELID_RELEASED, 2), 0);
    struct vmbus_tl_connect_request tl;
    memset(&tl, 0, sizeof(tl));
    tl.header.msgtype = VMBUS_MSG_TL_CONNECT_REQUEST;
    memcpy(tl.host_service_id, &test_class, 16);
    assert_int_equal(post_ok(f, &tl, sizeof(tl)), HV_STATUS_INVALID_PARAMETER);
    struct vmbus_msg_header u = {VMBUS_MSG_UNLOAD, 0};
    assert_int_equal(post_ok(f, &u, 8), 0);
    expect(f, VMBUS_MSG_UNLOAD_RESPONSE, 8);
    nothing(f);

    const char *at[] = {
        traced("hv: trace: vmbus: guest->host INITIATE_CONTACT version=5.3 vp=0 sint=2 vtl=0 "
               "monitor1=0x5000 monitor2=0x6000"),
        /* the reply leaves at the end of the exit (vmbus_poll), after the call */
        traced("hv: trace: hypercall: HvPostMessage conn=4 type=1 size=40 -> HV_STATUS_SUCCESS"),
        traced("hv: trace: vmbus: host->guest VERSION_RESPONSE supported=1 state=0 conn=4"),
        traced("hv: trace: vmbus: guest->host REQUESTOFFERS"),
        traced("hv: trace: vmbus: host->guest OFFERCHANNEL relid=1 "
               "class=2c7e5ef2-4a09-4c4b-9b5f-6e2d170c1101 "
               "instance=abcd0001-1234-4567-89ab-cdef00000001 mmio=0+0MiB flags=0x0 "
               "subchannel=0 monitor=0 monitor_allocated=0 dedicated_interrupt=1 "
               "connection=0x11"),
        traced("hv: trace: vmbus: host->guest OFFERCHANNEL relid=2 "
               "class=2c7e5ef2-4a09-4c4b-9b5f-6e2d170c1101 "
               "instance=abcd0002-1234-4567-89ab-cdef00000002 mmio=16+8MiB flags=0x0 "
               "subchannel=0 monitor=0 monitor_allocated=0 dedicated_interrupt=1 "
               "connection=0x12"),
        traced("hv: trace: vmbus: host->guest ALLOFFERS_DELIVERED"),
        traced("hv: trace: vmbus: guest->host GPADL_HEADER relid=1 gpadl=0xe1e10 ranges=1 "
               "buflen=248 pages=30 words_here=27 range0=122880@0"),
        traced("hv: trace: vmbus: guest->host GPADL_BODY msgnumber=0 gpadl=0xe1e10 words_here=4"),
        traced("hv: trace: vmbus: host->guest GPADL_CREATED relid=1 gpadl=0xe1e10 "
               "status=STATUS_SUCCESS"),
        traced("hv: trace: vmbus: guest->host OPENCHANNEL relid=1 openid=1 gpadl=0xe1e10 vp=0 "
               "downstream=15"),
        traced("hv: trace: vmbus: host->guest OPENCHANNEL_RESULT relid=1 openid=1 "
               "status=STATUS_SUCCESS"),
        traced("hv: trace: ring: relid=1 heartbeat signal from the guest"),
        traced("hv: trace: ring: relid=1 heartbeat host interrupt_mask 1: drain begins"),
        traced("hv: trace: ring: relid=1 heartbeat guest->host type=DATA_INBAND flags=0x0 len=8 "
               "trans=0x7 signal=no"),
        traced("hv: trace: ring: relid=1 heartbeat host interrupt_mask 0: drain ends after 1 "
               "packets"),
        traced("hv: trace: hypercall: HvSignalEvent fast conn=0x11 flag=0 -> HV_STATUS_SUCCESS"),
        traced("hv: trace: ring: relid=1 heartbeat host->guest type=DATA_INBAND flags=0x0 len=8 "
               "trans=0x7 signal=yes"),
        traced("hv: trace: vmbus: guest->host MODIFYCHANNEL relid=1 vp=0"),
        traced("hv: trace: vmbus: host->guest MODIFYCHANNEL_RESPONSE relid=1 "
               "status=STATUS_SUCCESS"),
        traced("hv: trace: vmbus: guest->host CLOSECHANNEL relid=1"),
        traced("hv: trace: vmbus: guest->host GPADL_TEARDOWN relid=1 gpadl=0xe1e10"),
        traced("hv: trace: vmbus: host->guest GPADL_TORNDOWN gpadl=0xe1e10"),
        traced("hv: trace: vmbus: host->guest RESCIND_CHANNELOFFER relid=2"),
        traced("hv: trace: vmbus: guest->host RELID_RELEASED relid=2"),
        traced("hv: trace: vmbus: guest->host TL_CONNECT_REQUEST "
               "endpoint=00000000-0000-0000-0000-000000000000 "
               "service=2c7e5ef2-4a09-4c4b-9b5f-6e2d170c1101"),
        traced("hv: trace: hypercall: HvPostMessage conn=4 type=1 size=40 -> "
               "HV_STATUS_INVALID_PARAMETER"),
        traced("hv: trace: vmbus: guest->host UNLOAD"),
        traced("hv: trace: vmbus: host->guest UNLOAD_RESPONSE"),
    };
    for (unsigned i = 1; i < sizeof(at) / sizeof(at[0]); i++) {
        if (at[i] <= at[i - 1])
            fail_msg("trace line %u is not after line %u:\n%s", i, i - 1, logbuf);
    }
    /* once each, nothing malformed, every post's hypercall */
    assert_int_equal(log_count("hv: trace: vmbus: guest->host "), vmbus.n.messages);
    assert_int_equal(log_count("hv: trace: vmbus: host->guest "), vmbus.n.sent);
    assert_int_equal(log_count("hv: trace: hypercall: HvPostMessage "), vmbus.n.messages);
    assert_int_equal(log_count("malformed"), 0);
    assert_int_equal(log_count("hv: trace: synic: "), 0);
    assert_int_equal(trace_dropped(), 0);
    trace_init(0);
}

/* A device decoder: what it was given, as text. */
static size_t echo_decode(const void *pkt, size_t len, char *out, size_t cap)
{
    int n =
        snprintf(out, cap, "dev len=%zu '%.*s'", len, (int)(len < 8 ? len : 8), (const char *)pkt);
    return n < 0 ? 0 : (size_t)n < cap ? (size_t)n : cap - 1;
}

/* The device's decoder on the ring line both ways; the guest's interrupt
 * mask and pending_send_sz once each time they change, seen at the drain or
 * send after the change. */
static void traced_ring_decoder_and_guest_fields(void **state)
{
    struct fake *f = *state;
    VMBCHANNEL ch = channel("dec", 1, 0, 0);
    assert_int_equal(VmbChannelInitSetTraceDecoder(ch, echo_decode), STATUS_SUCCESS);
    assert_int_equal(VmbChannelEnable(ch), STATUS_SUCCESS);
    assert_int_equal(VmbChannelInitSetTraceDecoder(ch, NULL), STATUS_INVALID_PARAMETER_1);
    connect(f);
    assert_int_equal(post_ok(f, &requestoffers, sizeof(requestoffers)), 0);
    uint32_t conn = expect_offer(f, 1).connection_id;
    expect(f, VMBUS_MSG_ALLOFFERS_DELIVERED, 8);
    assert_int_equal(gpadl(f, 1, 0xE1E10, RING_PFN, 30), 0);
    expect_created(f, 1, 0xE1E10);
    assert_int_equal(open_status(f, 1, 0xE1E10, 15, 0), 0);
    trace_init(HV_TRACE_RING);
    log_reset();
    uint8_t *in_hdr = f->gm.host + RING_PFN * 4096, *out_hdr = f->gm.host + (RING_PFN + 15) * 4096;
    uint32_t one = 1, pending = 200, zero = 0;
    memcpy(out_hdr + 8, &one, 4);     /* the guest masks the host->guest ring */
    memcpy(in_hdr + 12, &pending, 4); /* and waits for 200 bytes of its own ring */
    guest_put_packet(f, RING_PFN, 9);
    assert_int_equal(signal(f, conn), 0);
    assert_int_equal(VmbChannelSendPacket(ch, "answer", 6, 9), STATUS_SUCCESS);
    memcpy(out_hdr + 8, &zero, 4);
    assert_int_equal(VmbChannelSendPacket(ch, "again!", 6, 10), STATUS_SUCCESS);
    const char *at[] = {
        traced("hv: trace: ring: relid=1 dec signal from the guest"),
        traced("hv: trace: ring: relid=1 dec guest interrupt_mask 0 -> 1 (host->guest ring)"),
        traced("hv: trace: ring: relid=1 dec guest pending_send_sz 0 -> 200 (guest->host ring)"),
        traced("hv: trace: ring: relid=1 dec host interrupt_mask 1: drain begins"),
        traced("hv: trace: ring: relid=1 dec guest->host type=DATA_INBAND flags=0x0 len=8 "
               "trans=0x9 signal=no | dev len=8 'echo-me!'"),
        traced("hv: trace: ring: relid=1 dec host interrupt_mask 0: drain ends after 1 packets"),
        traced("hv: trace: ring: relid=1 dec host->guest type=DATA_INBAND flags=0x0 len=6 "
               "trans=0x9 signal=no | dev len=6 'answer'"),
        traced("hv: trace: ring: relid=1 dec guest interrupt_mask 1 -> 0 (host->guest ring)"),
        traced("hv: trace: ring: relid=1 dec host->guest type=DATA_INBAND flags=0x0 len=6 "
               "trans=0xa signal=no | dev len=6 'again!'"),
    };
    for (unsigned i = 1; i < sizeof(at) / sizeof(at[0]); i++) {
        if (at[i] <= at[i - 1])
            fail_msg("trace line %u is not after line %u:\n%s", i, i - 1, logbuf);
    }
    assert_int_equal(log_count("interrupt_mask 0 -> 1"), 1);
    assert_int_equal(log_count("pending_send_sz"), 1);
    trace_init(0);
}

/* --- faults on purpose (vmbus/fault.h, docs/faults.md) ------------------------------------ */

/* The fault tests' clock: the host's (lib/timer.h) and the guest's reference
 * time both run on the fake TSC (2.5 GHz). */
static struct fake *clocked;
static uint64_t clocked_tsc(void)
{
    return clocked->tsc;
}

static void faults(struct fake *f, const struct hv_fault_config *cfg, uint32_t n)
{
    clocked = f;
    clock_init(clocked_tsc, 2500000000ull, 0);
    fault_init(cfg, n);
}

/* Time passes for the host: its due timers, then the glue's vmbus_poll. */
static void advance_ms(struct fake *f, uint64_t ms)
{
    f->tsc += ms * 2500000ull;
    timers_run(clock_ns());
    vmbus_poll();
}

static void faults_off(void)
{
    fault_init(NULL, 0);
    clock_init(NULL, 0, 0);
}

/* dev0 (relid 1) offered with the fault armed, opened on 8 ring pages at
 * RING_PFN, and three packets of the guest's in its ring, signalled. */
static void three_packets_with(struct fake *f, const struct hv_fault_config *cfg)
{
    faults(f, cfg, 1);
    offered(f, 1);
    gpadl_ok(f, 1, 0x100, RING_PFN, 8);
    assert_int_equal(open_status(f, 1, 0x100, 4, 0), 0);
    for (unsigned i = 0; i < 3; i++)
        guest_put_packet(f, RING_PFN, i);
    assert_int_equal(signal(f, VMBUS_CHANNEL_CONN_BASE + 1), 0);
}

static uint32_t out_write_index(struct fake *f)
{
    uint32_t w;
    memcpy(&w, f->gm.host + (RING_PFN + 4) * 4096, 4);
    return w;
}

/* The transaction id of the packet at byte off of dev0's host-to-guest ring. */
static uint64_t out_trans_id(struct fake *f, uint32_t off)
{
    uint64_t id;
    memcpy(&id, f->gm.host + (RING_PFN + 5) * 4096 + off + 8, 8);
    return id;
}

/* A delay holds the message, and everything queued behind it, in order. */
static void fault_delay_holds_the_queue(void **state)
{
    struct fake *f = *state;
    const struct hv_fault_config cfg = {
        .line = 7, .when = HV_FAULT_ALWAYS, .what = HV_FAULT_DELAY, .msgtype = 10, .ms = 50};
    faults(f, &cfg, 1);
    assert_string_equal(logbuf, "hv: fault: line 7: delay armed\n");
    offered(f, 2);
    assert_int_equal(gpadl(f, 1, 0x100, RING_PFN, 1), 0);
    assert_int_equal(gpadl(f, 2, 0x200, RING_PFN + 1, 1), 0);
    struct msg m;
    assert_false(take(f, &m, 2));
    assert_int_equal(vmbus.outq.count, 2);
    assert_non_null(strstr(logbuf, "hv: fault: line 7: GPADL_CREATED held for 50 ms\n"));
    advance_ms(f, 49);
    assert_false(take(f, &m, 2));
    advance_ms(f, 1); /* the first one's time; the second was queued at the same time */
    assert_int_equal(expect_created(f, 1, 0x100).creation_status, 0);
    assert_int_equal(expect_created(f, 2, 0x200).creation_status, 0);
    nothing(f);
    assert_int_equal(fault_fired(), 2);
    char sum[512];
    vmbus_summary(sum, sizeof(sum));
    assert_non_null(strstr(sum, " faults_fired=2"));
    faults_off();
}

static void fault_refuse_versions_makes_the_guest_fall_back(void **state)
{
    struct fake *f = *state;
    const struct hv_fault_config cfg = {
        .line = 2, .when = HV_FAULT_ALWAYS, .what = HV_FAULT_REFUSE_VERSIONS, .value = V(5, 2)};
    faults(f, &cfg, 1);
    assert_int_equal(contact(f, V(5, 3)).version_supported, 0);
    assert_int_equal(contact(f, V(5, 2)).version_supported, 0);
    assert_false(vmbus.connected);
    assert_int_equal(contact(f, V(5, 1)).version_supported, 1);
    assert_int_equal(vmbus.version, V(5, 1));
    assert_non_null(strstr(logbuf, "hv: fault: line 2: INITIATE_CONTACT version 5.3 answered not "
                                   "supported (from 5.2 on)\n"));
    assert_int_equal(fault_fired(), 2);
    faults_off();
}

/* after=1: the first GPADL goes through, the second is refused and
 * forgotten (a ring cannot be opened on it), the third goes through. */
static void fault_refuse_gpadl(void **state)
{
    struct fake *f = *state;
    const struct hv_fault_config cfg = {.line = 3,
                                        .when = HV_FAULT_AFTER,
                                        .what = HV_FAULT_REFUSE_GPADL,
                                        .when_n = 1,
                                        .count = 1,
                                        .value = 0xC000009A,
                                        .channel = "dev0"};
    faults(f, &cfg, 1);
    offered(f, 2);
    gpadl_ok(f, 2, 0x200, RING_PFN + 8, 8); /* another channel's: not counted */
    gpadl_ok(f, 1, 0x100, RING_PFN + 16, 8);
    assert_int_equal(gpadl(f, 1, 0x101, RING_PFN, 8), 0);
    assert_int_equal(expect_created(f, 1, 0x101).creation_status, 0xC000009A);
    assert_non_null(strstr(logbuf, "hv: fault: line 3: GPADL of relid 1 dev0 refused with status "
                                   "0xc000009a\n"));
    assert_int_equal(open_status(f, 1, 0x101, 4, 0), (uint32_t)STATUS_INVALID_PARAMETER);
    gpadl_ok(f, 1, 0x101, RING_PFN, 8); /* the handle is free again */
    assert_int_equal(open_status(f, 1, 0x101, 4, 0), 0);
    assert_int_equal(fault_fired(), 1);
    faults_off();
}

static void fault_refuse_open(void **state)
{
    struct fake *f = *state;
    const struct hv_fault_config cfg = {.line = 4,
                                        .when = HV_FAULT_AFTER,
                                        .what = HV_FAULT_REFUSE_OPEN,
                                        .count = 1,
                                        .value = 0xC0000001,
                                        .channel = "dev0"};
    faults(f, &cfg, 1);
    offered(f, 1);
    gpadl_ok(f, 1, 0x100, RING_PFN, 8);
    assert_int_equal(open_status(f, 1, 0x100, 4, 0), 0xC0000001);
    assert_int_equal(n_opened, 0); /* the device never saw it */
    assert_int_equal(vmbus.chan[0].state, CHAN_ENABLED);
    assert_non_null(strstr(logbuf, "hv: fault: line 4: OPENCHANNEL of relid 1 dev0 refused with "
                                   "status 0xc0000001\n"));
    assert_int_equal(open_status(f, 1, 0x100, 4, 0), 0); /* count=1: the retry opens */
    assert_int_equal(n_opened, 1);
    faults_off();
}

/* on-open: OPENCHANNEL is answered by a rescind; once the guest released
 * the relid the channel is offered again (same relid and instance), then
 * opens as usual. */
static void fault_rescind_on_open_and_reoffer(void **state)
{
    struct fake *f = *state;
    const struct hv_fault_config cfg = {.line = 5,
                                        .when = HV_FAULT_ON_OPEN,
                                        .what = HV_FAULT_RESCIND,
                                        .count = 1,
                                        .ms = 100,
                                        .channel = "dev0"};
    faults(f, &cfg, 1);
    offered(f, 1);
    gpadl_ok(f, 1, 0x100, RING_PFN, 8);
    assert_int_equal(open_post(f, 1, 0x100, 4, 0), 0);
    struct msg m = expect(f, VMBUS_MSG_RESCIND_CHANNELOFFER, 12);
    assert_int_equal(m.data[8], 1);
    nothing(f); /* no OPENCHANNEL_RESULT */
    assert_int_equal(n_opened, 0);
    assert_non_null(strstr(logbuf, "hv: fault: line 5: rescinded relid 1 dev0 while the guest "
                                   "opens it (OPENCHANNEL unanswered), re-offer in 100 ms\n"));
    advance_ms(f, 100); /* the relid is not released yet: the re-offer waits */
    nothing(f);
    assert_int_equal(relid_msg(f, VMBUS_MSG_RELID_RELEASED, 1), 0);
    advance_ms(f, 20);
    struct vmbus_offer_channel o = expect_offer(f, 1);
    GUID g = instance(1);
    assert_memory_equal(o.if_instance, &g, 16);
    assert_non_null(strstr(logbuf, "hv: fault: line 5: re-offered relid 1 dev0\n"));
    gpadl_ok(f, 1, 0x101, RING_PFN, 8);
    assert_int_equal(open_status(f, 1, 0x101, 4, 0), 0); /* once only */
    assert_int_equal(fault_fired(), 2);
    faults_off();
}

/* after=<n> packets: the open channel is closed on the host's side (the
 * device's EvtChannelClosed) right after the n-th, the rest stays unread,
 * and the rescind follows; without reoffer= it is not offered again. */
static void fault_rescind_after_packets(void **state)
{
    struct fake *f = *state;
    const struct hv_fault_config cfg = {.line = 6,
                                        .when = HV_FAULT_AFTER,
                                        .what = HV_FAULT_RESCIND,
                                        .when_n = 2,
                                        .count = 1,
                                        .channel = "dev0"};
    three_packets_with(f, &cfg);
    assert_int_equal(n_packets, 2);
    assert_int_equal(n_closed, 1);
    assert_int_equal(vmbus.chan[0].state, CHAN_ENABLED);
    expect(f, VMBUS_MSG_RESCIND_CHANNELOFFER, 12);
    assert_non_null(strstr(logbuf, "hv: fault: line 6: rescinded relid 1 dev0 after 2 guest "
                                   "packets (open: closed first), not re-offered\n"));
    assert_int_equal(relid_msg(f, VMBUS_MSG_CLOSECHANNEL, 1), 0); /* Linux's close: accepted */
    assert_int_equal(relid_msg(f, VMBUS_MSG_RELID_RELEASED, 1), 0);
    advance_ms(f, 1000);
    nothing(f);
    faults_off();
}

/* at=<ms>: at that time of the guest's; a channel not offered then is left alone. */
static void fault_rescind_at_a_time(void **state)
{
    struct fake *f = *state;
    const struct hv_fault_config cfg[] = {
        {.line = 1,
         .when = HV_FAULT_AT,
         .what = HV_FAULT_RESCIND,
         .when_n = 30,
         .count = 1,
         .ms = 10,
         .channel = "dev"},
        {.line = 2,
         .when = HV_FAULT_AT,
         .what = HV_FAULT_RESCIND,
         .when_n = 10,
         .count = 1,
         .channel = "dev0"},
    };
    enabled("dev0", 1, 0, 0);
    enabled("dev", 2, 0, 0);
    faults(f, cfg, 2);
    advance_ms(f, 10); /* not offered yet */
    assert_non_null(strstr(logbuf, "hv: fault: line 2: rescind dev0 at 10 ms: the channel is not "
                                   "offered: nothing done\n"));
    connect(f);
    assert_int_equal(post_ok(f, &requestoffers, sizeof(requestoffers)), 0);
    expect_offer(f, 1);
    expect_offer(f, 2);
    expect(f, VMBUS_MSG_ALLOFFERS_DELIVERED, 8);
    advance_ms(f, 19);
    nothing(f);
    advance_ms(f, 1);
    struct msg m = expect(f, VMBUS_MSG_RESCIND_CHANNELOFFER, 12);
    assert_int_equal(m.data[8], 2);
    assert_ptr_equal(chan_visible(1), &vmbus.chan[0]);
    assert_int_equal(vmbus.chan[0].offer, OFFER_MADE);
    assert_int_equal(relid_msg(f, VMBUS_MSG_RELID_RELEASED, 2), 0);
    advance_ms(f, 10);
    expect_offer(f, 2);
    faults_off();
}

/* stall: after the n-th packet the host stops reading (mask left set, the
 * guest's signals ignored) for ms, then drains on by itself. */
static void fault_stall_holds_the_ring(void **state)
{
    struct fake *f = *state;
    const struct hv_fault_config cfg = {.line = 9,
                                        .when = HV_FAULT_AFTER,
                                        .what = HV_FAULT_STALL,
                                        .when_n = 1,
                                        .count = 1,
                                        .ms = 20,
                                        .channel = "dev0"};
    three_packets_with(f, &cfg);
    assert_int_equal(n_packets, 1);
    assert_int_equal(in_ring_mask(f), 1);
    assert_int_equal(signal(f, VMBUS_CHANNEL_CONN_BASE + 1), 0);
    advance_ms(f, 19);
    assert_int_equal(n_packets, 1);
    assert_non_null(strstr(logbuf, "hv: fault: line 9: relid 1 dev0: guest-to-host ring not read "
                                   "for 20 ms after 1 guest packet\n"));
    advance_ms(f, 1);
    assert_int_equal(n_packets, 3);
    assert_int_equal(last_id, 2);
    assert_int_equal(in_ring_mask(f), 0);
    assert_non_null(strstr(logbuf, "hv: fault: line 9: relid 1 dev0: reading its guest-to-host "
                                   "ring again after 20 ms\n"));
    guest_put_packet(f, RING_PFN, 3); /* once only */
    assert_int_equal(signal(f, VMBUS_CHANNEL_CONN_BASE + 1), 0);
    assert_int_equal(n_packets, 4);
    faults_off();
}

/* drop and duplicate act on the device's packets into the guest's ring; the
 * device is told they were sent. Firing lines stop at FAULT_LOG_LINES. */
static void fault_drop_and_duplicate(void **state)
{
    struct fake *f = *state;
    const struct hv_fault_config cfg[] = {
        {.line = 1,
         .when = HV_FAULT_AFTER,
         .what = HV_FAULT_DROP,
         .when_n = 1,
         .count = 1,
         .channel = "dev0"},
        {.line = 2,
         .when = HV_FAULT_AFTER,
         .what = HV_FAULT_DUPLICATE,
         .when_n = 2,
         .count = 1,
         .channel = "dev0"},
        {.line = 3, .when = HV_FAULT_ALWAYS, .what = HV_FAULT_DROP, .channel = "dev"},
    };
    faults(f, cfg, 3);
    offered(f, 2);
    gpadl_ok(f, 1, 0x100, RING_PFN, 8);
    assert_int_equal(open_status(f, 1, 0x100, 4, 0), 0);
    VMBCHANNEL ch = last_cb;
    const uint32_t pkt = 16 + 8 + 8; /* descriptor, payload, trailer */
    assert_int_equal(VmbChannelSendPacket(ch, "12345678", 8, 1), STATUS_SUCCESS);
    assert_int_equal(out_write_index(f), pkt);
    assert_int_equal(VmbChannelSendPacket(ch, "12345678", 8, 2), STATUS_SUCCESS); /* dropped */
    assert_int_equal(out_write_index(f), pkt);
    assert_int_equal(VmbChannelSendPacket(ch, "12345678", 8, 3), STATUS_SUCCESS); /* twice */
    assert_int_equal(out_write_index(f), 3 * pkt);
    assert_int_equal(VmbChannelSendPacket(ch, "12345678", 8, 4), STATUS_SUCCESS);
    assert_int_equal(out_write_index(f), 4 * pkt);
    assert_int_equal(out_trans_id(f, 2 * pkt), 3); /* the duplicate is the same packet */
    assert_non_null(strstr(logbuf, "hv: fault: line 1: relid 1 dev0: host-to-guest packet 2 "
                                   "dropped\n"));
    assert_non_null(strstr(logbuf, "hv: fault: line 2: relid 1 dev0: host-to-guest packet 3 "
                                   "sent twice\n"));
    /* always: every packet of the other channel; the log stops, the count goes on */
    memset(f->gm.host + RING_PFN * 4096, 0, 8 * 4096);
    gpadl_ok(f, 2, 0x200, RING_PFN + 8, 8);
    assert_int_equal(open_status(f, 2, 0x200, 4, 0), 0);
    log_reset();
    for (unsigned i = 0; i < 20; i++)
        assert_int_equal(VmbChannelSendPacket(last_cb, "12345678", 8, i), STATUS_SUCCESS);
    uint32_t w;
    memcpy(&w, f->gm.host + (RING_PFN + 12) * 4096, 4);
    assert_int_equal(w, 0);
    assert_int_equal(log_count("hv: fault: line 3: "), FAULT_LOG_LINES);
    assert_int_equal(log_count("(further firings of this line counted in faults_fired=)"), 1);
    assert_int_equal(fault_fired(), 22);
    faults_off();
}

/* no-signal: the packet is in the ring but the guest is not told; the next
 * one that must be signalled is. corrupt: the descriptor's trans_id or type,
 * the framing (offset8, len8, trailer) as the ring's rules say. */
static void fault_no_signal_and_corrupt(void **state)
{
    struct fake *f = *state;
    const struct hv_fault_config cfg[] = {
        {.line = 1,
         .when = HV_FAULT_AFTER,
         .what = HV_FAULT_NO_SIGNAL,
         .count = 1,
         .channel = "dev0"},
        {.line = 2,
         .when = HV_FAULT_AFTER,
         .what = HV_FAULT_CORRUPT,
         .when_n = 1,
         .count = 1,
         .value = HV_FAULT_FIELD_TRANS,
         .channel = "dev0"},
        {.line = 3,
         .when = HV_FAULT_AFTER,
         .what = HV_FAULT_CORRUPT,
         .when_n = 2,
         .count = 1,
         .value = HV_FAULT_FIELD_TYPE,
         .channel = "dev0"},
    };
    faults(f, cfg, 3);
    offered(f, 1);
    gpadl_ok(f, 1, 0x100, RING_PFN, 8);
    assert_int_equal(open_status(f, 1, 0x100, 4, 0), 0);
    uint8_t *out = f->gm.host + (RING_PFN + 4) * 4096, *data = out + 4096;
    unsigned raised = f->nraised;
    assert_int_equal(VmbChannelSendPacket(last_cb, "12345678", 8, 0x1234), STATUS_SUCCESS);
    assert_int_equal(f->nraised, raised); /* into an empty ring, unmasked: not signalled */
    assert_int_equal(out_write_index(f), 32);
    memcpy(out + 4, out, 4); /* the guest read it (found it some other way) */
    assert_int_equal(VmbChannelSendPacket(last_cb, "12345678", 8, 0x1234), STATUS_SUCCESS);
    assert_int_equal(f->nraised, raised + 1);
    struct vmbus_packet_desc d;
    memcpy(&d, data + 32, sizeof(d));
    assert_int_equal(d.trans_id, 0x12cb);
    assert_int_equal(d.type, VMBUS_PKT_DATA_INBAND);
    assert_int_equal(VmbChannelSendPacket(last_cb, "12345678", 8, 0x1234), STATUS_SUCCESS);
    memcpy(&d, data + 64, sizeof(d));
    assert_int_equal(d.type, VMBUS_PKT_COMP);
    assert_int_equal(d.offset8, 2);
    assert_int_equal(d.len8, 3);
    assert_int_equal(d.trans_id, 0x1234);
    assert_non_null(strstr(logbuf, "hv: fault: line 1: relid 1 dev0: host-to-guest packet 1 not "
                                   "signalled\n"));
    assert_non_null(strstr(logbuf, "hv: fault: line 2: relid 1 dev0: host-to-guest packet 2: "
                                   "transaction id 0x1234 sent as 0x12cb\n"));
    assert_non_null(strstr(logbuf, "hv: fault: line 3: relid 1 dev0: host-to-guest packet 3: type "
                                   "DATA_INBAND sent as COMP\n"));
    faults_off();
}

/* reorder: a held packet goes right after the next one, or alone after ms
 * when none comes, or nowhere once its channel closed. */
static void fault_reorder(void **state)
{
    struct fake *f = *state;
    const struct hv_fault_config cfg = {.line = 4,
                                        .when = HV_FAULT_AFTER,
                                        .what = HV_FAULT_REORDER,
                                        .when_n = 1,
                                        .count = 3,
                                        .ms = 20,
                                        .channel = "dev0"};
    faults(f, &cfg, 1);
    offered(f, 1);
    gpadl_ok(f, 1, 0x100, RING_PFN, 8);
    assert_int_equal(open_status(f, 1, 0x100, 4, 0), 0);
    VMBCHANNEL ch = last_cb;
    assert_int_equal(VmbChannelSendPacket(ch, "12345678", 8, 1), STATUS_SUCCESS);
    assert_int_equal(VmbChannelSendPacket(ch, "12345678", 8, 2), STATUS_SUCCESS); /* held */
    assert_int_equal(out_write_index(f), 32);
    assert_int_equal(VmbChannelSendPacket(ch, "12345678", 8, 3), STATUS_SUCCESS);
    assert_int_equal(out_write_index(f), 96);
    assert_int_equal(out_trans_id(f, 32), 3);
    assert_int_equal(out_trans_id(f, 64), 2);
    assert_non_null(strstr(logbuf, "hv: fault: line 4: relid 1 dev0: host-to-guest packet 2 held "
                                   "until the next one (at most 20 ms)\n"));
    assert_non_null(strstr(logbuf, "hv: fault: line 4: relid 1 dev0: host-to-guest packet 3 sent, "
                                   "the held packet 2 after it\n"));
    /* the second: no packet follows it */
    assert_int_equal(VmbChannelSendPacket(ch, "12345678", 8, 4), STATUS_SUCCESS);
    advance_ms(f, 19);
    assert_int_equal(out_write_index(f), 96);
    advance_ms(f, 1);
    assert_int_equal(out_write_index(f), 128);
    assert_int_equal(out_trans_id(f, 96), 4);
    assert_non_null(strstr(logbuf, "hv: fault: line 4: relid 1 dev0: held packet 4 sent after 20 "
                                   "ms: no packet came after it\n"));
    /* the third: its channel closes while it is held */
    assert_int_equal(VmbChannelSendPacket(ch, "12345678", 8, 5), STATUS_SUCCESS);
    assert_int_equal(relid_msg(f, VMBUS_MSG_CLOSECHANNEL, 1), 0);
    advance_ms(f, 20);
    assert_int_equal(out_write_index(f), 128);
    assert_non_null(strstr(logbuf, "hv: fault: line 4: relid 1 dev0: held packet 5 discarded: the "
                                   "channel is not open\n"));
    assert_int_equal(fault_fired(), 6);
    faults_off();
}

/* mask mode=held: after the n-th guest packet the host's interrupt_mask stays
 * 1 over the next packets= (the guest would not signal); the drain's retry
 * finds them all the same, then the mask goes back to 0. */
static void fault_mask_held_over_packets(void **state)
{
    struct fake *f = *state;
    const struct hv_fault_config cfg = {.line = 2,
                                        .when = HV_FAULT_AFTER,
                                        .what = HV_FAULT_MASK,
                                        .when_n = 1,
                                        .count = 1,
                                        .ms = 3,
                                        .value = HV_FAULT_MASK_HELD,
                                        .channel = "dev0"};
    trace_init(HV_TRACE_RING);
    three_packets_with(f, &cfg);
    trace_init(0);
    assert_non_null(strstr(logbuf, "relid=1 dev0 drain ends after 3 packets, host interrupt_mask "
                                   "left at 1 by a fault\n"));
    assert_int_equal(n_packets, 3); /* the ring is read on */
    assert_int_equal(in_ring_mask(f), 1);
    assert_non_null(strstr(logbuf, "hv: fault: line 2: relid 1 dev0: host interrupt_mask held at 1 "
                                   "over the next 3 guest packets after 1 guest packet\n"));
    guest_put_packet(f, RING_PFN, 3); /* the guest sees the mask set: no signal */
    advance_ms(f, 9);
    assert_int_equal(n_packets, 3);
    advance_ms(f, 1); /* the host looks every 10 ms */
    assert_int_equal(n_packets, 4);
    assert_int_equal(last_id, 3);
    assert_int_equal(in_ring_mask(f), 0);
    assert_non_null(strstr(logbuf, "hv: fault: line 2: relid 1 dev0: host interrupt_mask cleared "
                                   "again after 3 guest packets\n"));
    faults_off();
}

static void fault_mask_spurious_signal(void **state)
{
    struct fake *f = *state;
    const struct hv_fault_config cfg = {.line = 3,
                                        .when = HV_FAULT_AT,
                                        .what = HV_FAULT_MASK,
                                        .when_n = 50,
                                        .count = 1,
                                        .value = HV_FAULT_MASK_SPURIOUS,
                                        .channel = "dev0"};
    faults(f, &cfg, 1);
    offered(f, 1);
    gpadl_ok(f, 1, 0x100, RING_PFN, 8);
    assert_int_equal(open_status(f, 1, 0x100, 4, 0), 0);
    unsigned raised = f->nraised;
    advance_ms(f, 49);
    assert_int_equal(f->nraised, raised);
    advance_ms(f, 1);
    assert_int_equal(f->nraised, raised + 1);
    assert_int_equal(out_write_index(f), 0);
    assert_non_null(strstr(logbuf, "hv: fault: line 3: relid 1 dev0: guest signalled with no "
                                   "packet written at 50 ms\n"));
    faults_off();
}

/* bad-version: the device asking (VmbChannelFaultVersion) is told the one
 * version to offer, count= times; other channels and no fault: 0. */
static void fault_bad_version(void **state)
{
    struct fake *f = *state;
    const struct hv_fault_config cfg = {.line = 6,
                                        .when = HV_FAULT_AFTER,
                                        .what = HV_FAULT_BAD_VERSION,
                                        .count = 1,
                                        .value = 9u << 16,
                                        .channel = "dev"};
    faults(f, &cfg, 1);
    offered(f, 2);
    assert_int_equal(VmbChannelFaultVersion(chan_handle(&vmbus.chan[0])), 0);
    assert_int_equal(VmbChannelFaultVersion(chan_handle(&vmbus.chan[1])), 9u << 16);
    assert_int_equal(VmbChannelFaultVersion(chan_handle(&vmbus.chan[1])), 0); /* count spent */
    assert_non_null(strstr(logbuf, "hv: fault: line 6: relid 2 dev: version negotiation offers "
                                   "9.0 alone, a version the guest did not ask for\n"));
    assert_int_equal(fault_fired(), 1);
    faults_off();
    assert_int_equal(VmbChannelFaultVersion(chan_handle(&vmbus.chan[1])), 0);
}

/* unsolicited at=: the message goes out unasked, the host's state unchanged;
 * not while the guest is not connected, and no rescind of a relid it has. */
static void fault_unsolicited_messages(void **state)
{
    struct fake *f = *state;
    const struct hv_fault_config cfg[] = {
        {.line = 1,
         .when = HV_FAULT_AT,
         .what = HV_FAULT_UNSOLICITED,
         .when_n = 5,
         .count = 1,
         .msgtype = VMBUS_MSG_VERSION_RESPONSE},
        {.line = 2,
         .when = HV_FAULT_AT,
         .what = HV_FAULT_UNSOLICITED,
         .when_n = 10,
         .count = 1,
         .msgtype = VMBUS_MSG_OPENCHANNEL_RESULT,
         .value = 1},
        {.line = 3,
         .when = HV_FAULT_AT,
         .what = HV_FAULT_UNSOLICITED,
         .when_n = 10,
         .count = 1,
         .msgtype = VMBUS_MSG_RESCIND_CHANNELOFFER,
         .value = 1},
        {.line = 4,
         .when = HV_FAULT_AT,
         .what = HV_FAULT_UNSOLICITED,
         .when_n = 20,
         .count = 1,
         .msgtype = VMBUS_MSG_RESCIND_CHANNELOFFER,
         .value = 77},
    };
    enabled("dev0", 1, 0, 0);
    faults(f, cfg, 4);
    advance_ms(f, 5);
    nothing(f);
    assert_non_null(strstr(logbuf, "hv: fault: line 1: unsolicited VERSION_RESPONSE at 5 ms: the "
                                   "guest is not connected: nothing sent\n"));
    connect(f);
    assert_int_equal(post_ok(f, &requestoffers, sizeof(requestoffers)), 0);
    expect_offer(f, 1);
    expect(f, VMBUS_MSG_ALLOFFERS_DELIVERED, 8);
    advance_ms(f, 5);
    struct msg m = expect(f, VMBUS_MSG_OPENCHANNEL_RESULT, 20);
    assert_int_equal(m.data[8], 1);
    nothing(f); /* not the rescind of relid 1 */
    assert_ptr_equal(chan_visible(1), &vmbus.chan[0]);
    assert_int_equal(vmbus.chan[0].offer, OFFER_MADE);
    assert_non_null(strstr(logbuf, "hv: fault: line 2: unsolicited OPENCHANNEL_RESULT relid 1 sent "
                                   "at 10 ms\n"));
    assert_non_null(strstr(logbuf, "hv: fault: line 3: unsolicited RESCIND_CHANNELOFFER at 10 ms: "
                                   "relid 1 is the guest's channel: nothing sent\n"));
    advance_ms(f, 10);
    m = expect(f, VMBUS_MSG_RESCIND_CHANNELOFFER, 12);
    assert_int_equal(m.data[8], 77);
    assert_ptr_equal(chan_visible(1), &vmbus.chan[0]);
    assert_int_equal(vmbus.chan[0].offer, OFFER_MADE);
    assert_int_equal(fault_fired(), 4);
    faults_off();
}

/* random seed= rate=1000: every host message is held 1..100 ms and every
 * guest packet read stalls its ring as long; all arrive, in order, and the
 * same seed makes the same choices. */
static void fault_random_delays_and_stalls(void **state)
{
    struct fake *f = *state;
    const struct hv_fault_config cfg = {
        .line = 4, .when = HV_FAULT_ALWAYS, .what = HV_FAULT_RANDOM, .ms = 42, .value = 1000};
    faults(f, &cfg, 1);
    enabled("dev0", 1, 0, 0);
    struct vmbus_initiate_contact c = contact_msg(V(5, 3));
    assert_int_equal(post_ok(f, &c, sizeof(c)), 0);
    struct msg m;
    assert_false(take(f, &m, 2));
    advance_ms(f, 100);
    assert_int_equal(expect(f, VMBUS_MSG_VERSION_RESPONSE, 16).data[8], 1);
    assert_int_equal(post_ok(f, &requestoffers, sizeof(requestoffers)), 0);
    advance_ms(f, 100);
    expect_offer(f, 1);
    advance_ms(f, 100);
    expect(f, VMBUS_MSG_ALLOFFERS_DELIVERED, 8);
    assert_int_equal(gpadl(f, 1, 0x100, RING_PFN, 8), 0);
    advance_ms(f, 100);
    assert_int_equal(expect_created(f, 1, 0x100).creation_status, 0);
    assert_int_equal(open_post(f, 1, 0x100, 4, 0), 0);
    advance_ms(f, 100);
    struct vmbus_open_result res;
    m = expect(f, VMBUS_MSG_OPENCHANNEL_RESULT, sizeof(res));
    memcpy(&res, m.data, sizeof(res));
    assert_int_equal(res.status, 0);
    for (unsigned i = 0; i < 3; i++)
        guest_put_packet(f, RING_PFN, i);
    assert_int_equal(signal(f, VMBUS_CHANNEL_CONN_BASE + 1), 0);
    assert_int_equal(n_packets, 1); /* a stall after each */
    advance_ms(f, 100);
    advance_ms(f, 100);
    assert_int_equal(n_packets, 3);
    assert_int_equal(last_id, 2);
    assert_non_null(strstr(logbuf, "hv: fault: line 4: VERSION_RESPONSE held for "));
    assert_non_null(strstr(logbuf, "hv: fault: line 4: relid 1 dev0: guest-to-host ring not "
                                   "read for "));
    /* the same seed, the same choices; another seed, others */
    uint64_t held[3][16];
    for (unsigned run = 0; run < 3; run++) {
        struct hv_fault_config r = cfg;
        r.ms = run == 2 ? 43 : 42;
        faults(f, &r, 1);
        for (unsigned i = 0; i < 16; i++)
            held[run][i] = vmbus.faults->host_message(VMBUS_MSG_GPADL_CREATED) - clock_ns();
    }
    assert_memory_equal(held[0], held[1], sizeof(held[0]));
    assert_memory_not_equal(held[0], held[2], sizeof(held[0]));
    for (unsigned i = 0; i < 16; i++)
        assert_in_range(held[0][i], 1000000, 100000000);
    faults_off();
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, fake_teardown)
    const struct CMUnitTest tests[] = {
        T(negotiates_every_linux_version),
        T(refuses_other_versions_so_the_guest_falls_back),
        T(initiate_contact_validation),
        T(initiate_contact_validation_logs_once),
        T(replies_go_to_the_guests_sint),
        T(malformed_messages_rejected),
        T(offers_carry_every_field),
        T(offer_carries_the_request_not_the_grant),
        T(many_offers_wait_for_the_guest),
        T(rescind_and_relid_released),
        T(withdrawn_before_the_guest_saw_it),
        T(gpadl_header_only_and_with_bodies),
        T(gpadl_validation),
        T(gpadl_table_full_and_teardown),
        T(open_close_and_signals),
        T(disable_closes_an_open_channel),
        T(modifychannel),
        T(subchannels_open_serve_and_go_with_their_primary),
        T(subchannels_go_at_unload),
        T(messages_and_interrupts_follow_the_target_vps),
        T(reset_forgets_every_vps_queue),
        T(guest_gets_backpressure_and_nothing_is_lost),
        T(synic_disabled_messages_wait),
        T(unload_resets_and_reconnects),
        T(linux_like_session),
        T(ring_gpadl_repeating_a_page_refused),
        T(drain_budget_goes_on_later),
        T(reset_forgets_what_the_synic_holds),
        T(repeated_lines_are_rate_limited),
        T(traced_session_decodes_every_message),
        T(traced_ring_decoder_and_guest_fields),
        T(fault_delay_holds_the_queue),
        T(fault_refuse_versions_makes_the_guest_fall_back),
        T(fault_refuse_gpadl),
        T(fault_refuse_open),
        T(fault_rescind_on_open_and_reoffer),
        T(fault_rescind_after_packets),
        T(fault_rescind_at_a_time),
        T(fault_stall_holds_the_ring),
        T(fault_drop_and_duplicate),
        T(fault_no_signal_and_corrupt),
        T(fault_random_delays_and_stalls),
        T(fault_reorder),
        T(fault_mask_held_over_packets),
        T(fault_mask_spurious_signal),
        T(fault_bad_version),
        T(fault_unsolicited_messages),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
