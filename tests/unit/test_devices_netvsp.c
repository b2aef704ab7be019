/* The network VSP (hv/devices/netvsp.c, netvsp_rndis.c) against a model of
 * Linux's hv_netvsc written from its source (facts only, docs/network.md):
 * netvsc_connect_vsp's sequence as 6.1 and 6.12 run it (INIT with 6.1, 6,
 * 5, 4, 2, 1 until one answers SUCCESS, NDIS config, NDIS version, the
 * receive and send buffer GPADLs), rndis_filter_device_add's requests
 * (INIT, the MTU, the MAC, the friendly name, offload capabilities and
 * parameters, link state and speed, RSS capabilities) and the packet filter
 * of rndis_filter_open; every answer read back the way netvsc_receive and
 * rndis_filter_receive read it, from the receive buffer through a
 * transfer-page range. Frames both ways over a fake guest RAM whose buffer
 * pages are deliberately out of order. Hostile: bad sections, offsets and
 * lengths past what they claim, pages outside RAM, truncated NVSP and RNDIS
 * messages, unknown types, wrong states, full receive buffer, full ring. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "devices/netvsp.h"
#include "devices/nvsp_wire.h"
#include "devices/rndis_wire.h"

#define PG         NETVSP_PAGE_SIZE
#define RAM_PAGES  64u
#define RAM_PFN    0x2000u
#define RECV_PAGES 16u /* 37 sections */
#define SEND_PAGES 8u  /* 5 sections */
#define RECV_GPADL 0x100u
#define SEND_GPADL 0x101u
#define REQ_PAGE   40u /* where the guest builds control requests */
#define DATA_PAGE  48u
#define NSECT      (RECV_PAGES * PG / NETVSP_RECV_SECTION_SIZE)
#define SPEED      100000000u /* 10 Gbit/s in 100 bit/s */

static const uint8_t MAC[6] = {0x00, 0x15, 0x5d, 0x01, 0x02, 0x03};

/* --- the host around the engine ------------------------------------------------------------ */
struct pkt {
    bool completion, xfer;
    void *chan;
    uint64_t tid;
    uint32_t len, off, xlen;
    uint16_t pageset;
    uint32_t nr, ri; /* a transfer-page packet's range count, and this range's index */
    uint8_t data[128];
};

static struct {
    uint8_t *ram;
    struct pkt q[600];
    unsigned nq, seen; /* recorded, and consumed by the guest model */
    bool full;
    uint8_t tx[4][NETVSP_MAX_FRAME];
    uint32_t txlen[4];
    unsigned ntx;
    uint64_t recv_pfns[RECV_PAGES], send_pfns[SEND_PAGES], bad_pfns[RECV_PAGES];
    int sub_rc;
    unsigned sub_calls;
    uint16_t subs;
} h;
static struct netvsp eng;

static int host_send(void *ctx, void *chan, bool completion, const void *buf, uint32_t len,
                     uint64_t tid)
{
    assert_ptr_equal(ctx, &h);
    if (h.full)
        return 1;
    assert_true(len <= sizeof(h.q[0].data) && h.nq < 600);
    struct pkt *p = &h.q[h.nq++];
    *p = (struct pkt){completion, false, chan, tid, len, 0, 0, 0, 0, 0, {0}};
    memcpy(p->data, buf, len);
    return 0;
}

/* A transfer-page packet becomes one recorded packet per range (each an
 * RNDIS message the guest model reads), all with the packet's tid; nr is
 * the packet's range count and i the range's index in it. */
static int host_xfer(void *ctx, void *chan, uint16_t pageset, const struct netvsp_xfer_range *r,
                     uint32_t n, const void *msg, uint32_t msg_len, uint64_t tid)
{
    assert_ptr_equal(ctx, &h);
    if (h.full)
        return 1;
    assert_int_equal(msg_len, NVSP_MESSAGE_SIZE);
    assert_true(n >= 1 && n <= NETVSP_BATCH_MAX);
    for (uint32_t i = 0; i < n; i++) {
        assert_true(h.nq < 600);
        struct pkt *p = &h.q[h.nq++];
        *p = (struct pkt){false,    true,    chan, tid, msg_len, r[i].offset,
                          r[i].len, pageset, n,    i,   {0}};
        memcpy(p->data, msg, msg_len);
    }
    return 0;
}

static uint8_t *host_gpa(void *ctx, uint64_t pfn)
{
    assert_ptr_equal(ctx, &h);
    if (pfn < RAM_PFN || pfn >= RAM_PFN + RAM_PAGES)
        return NULL;
    return h.ram + (pfn - RAM_PFN) * PG;
}

static int host_gpadl(void *ctx, uint32_t handle, const uint64_t **pfns, uint32_t *count)
{
    assert_ptr_equal(ctx, &h);
    switch (handle) {
    case RECV_GPADL:
        *pfns = h.recv_pfns, *count = RECV_PAGES;
        return 0;
    case SEND_GPADL:
        *pfns = h.send_pfns, *count = SEND_PAGES;
        return 0;
    case 0x666: /* one page outside RAM */
        *pfns = h.bad_pfns, *count = RECV_PAGES;
        return 0;
    case 0x667: /* no pages */
        *pfns = h.send_pfns, *count = 0;
        return 0;
    case 0x668: /* smaller than one send section */
        *pfns = h.send_pfns, *count = 1;
        return 0;
    }
    return -1;
}

static void host_tx(void *ctx, const uint8_t *frame, uint32_t len)
{
    assert_ptr_equal(ctx, &h);
    assert_true(h.ntx < 4 && len <= NETVSP_MAX_FRAME);
    memcpy(h.tx[h.ntx], frame, len);
    h.txlen[h.ntx++] = len;
}

static int host_subchannels(void *ctx, uint16_t count)
{
    assert_ptr_equal(ctx, &h);
    h.sub_calls++;
    h.subs = count;
    return h.sub_rc;
}

static const struct netvsp_ops ops = {&h,       host_send,  host_xfer,
                                      host_gpa, host_gpadl, host_tx,
                                      NULL,     0,          {0x00, 0x15, 0x5d, 0x01, 0x02, 0x03},
                                      SPEED};
static const struct netvsp_ops ops_multi = {&h,
                                            host_send,
                                            host_xfer,
                                            host_gpa,
                                            host_gpadl,
                                            host_tx,
                                            host_subchannels,
                                            3,
                                            {0x00, 0x15, 0x5d, 0x01, 0x02, 0x03},
                                            SPEED};

static int setup(void **state)
{
    (void)state;
    uint8_t *ram = h.ram;
    memset(&h, 0, sizeof(h));
    h.ram = ram ? ram : aligned_alloc(PG, RAM_PAGES * PG);
    memset(h.ram, 0, RAM_PAGES * PG);
    /* The receive buffer backwards, the send buffer interleaved: nothing
     * may assume a GPADL is contiguous in guest or host memory. */
    for (unsigned i = 0; i < RECV_PAGES; i++)
        h.recv_pfns[i] = h.bad_pfns[i] = RAM_PFN + RECV_PAGES - 1 - i;
    h.bad_pfns[5] = RAM_PFN + RAM_PAGES;
    for (unsigned i = 0; i < SEND_PAGES; i++)
        h.send_pfns[i] = RAM_PFN + RECV_PAGES + (i % 2 ? i - 1 : i + 1);
    netvsp_init(&eng, &ops);
    return 0;
}

static int teardown_all(void **state)
{
    (void)state;
    free(h.ram);
    return 0;
}

/* --- the guest: Linux's netvsc, as a model ------------------------------------------------------
 */
static const struct pkt *next_pkt(void)
{
    assert_true(h.seen < h.nq);
    return &h.q[h.seen++];
}

static void no_more(void)
{
    assert_int_equal(h.seen, h.nq);
}

/* An NVSP request with a completion requested; returns the answer. */
static const struct nvsp_message *nvsp_op(struct nvsp_message *m, uint32_t len, uint64_t tid)
{
    netvsp_receive(&eng, &h, false, m, len, tid, NULL, 0);
    const struct pkt *p = next_pkt();
    assert_true(p->completion && p->tid == tid && p->chan == &h);
    /* netvsc_send_completion: every init answer passes a chain of length checks. */
    assert_int_equal(p->len, NVSP_MESSAGE_SIZE);
    return (const void *)p->data;
}

static void nvsp_oneway(struct nvsp_message *m)
{
    netvsp_receive(&eng, &h, false, m, sizeof(*m), 0, NULL, 0);
    no_more();
}

static uint32_t linux_init_version(uint32_t v)
{
    struct nvsp_message m = {0};
    m.type = NVSP_MSG_INIT;
    m.init.min_version = m.init.max_version = v;
    const struct nvsp_message *a = nvsp_op(&m, sizeof(m), 0x1000 + v);
    assert_int_equal(a->type, NVSP_MSG_INIT_COMPLETE);
    return a->init_complete.status;
}

/* netvsc_connect_vsp + netvsc_init_buf; the version agreed. */
static uint32_t linux_connect(const uint32_t *versions, unsigned n)
{
    uint32_t v = 0;
    for (unsigned i = 0; i < n && !v; i++) {
        if (linux_init_version(versions[i]) == NVSP_STAT_SUCCESS)
            v = versions[i];
    }
    assert_int_not_equal(v, 0);
    struct nvsp_message m = {0};
    if (v != NVSP_VERSION_1) {
        m.type = NVSP_MSG2_SEND_NDIS_CONFIG;
        m.ndis_config.mtu = 1500 + 14;
        m.ndis_config.capability = NVSP_CAP_IEEE8021Q | NVSP_CAP_SRIOV | NVSP_CAP_TEAMING;
        nvsp_oneway(&m);
    }
    memset(&m, 0, sizeof(m));
    m.type = NVSP_MSG1_SEND_NDIS_VERSION;
    m.ndis_version.major = 6;
    m.ndis_version.minor = v <= NVSP_VERSION_4 ? 1 : 30;
    nvsp_oneway(&m);

    memset(&m, 0, sizeof(m));
    m.type = NVSP_MSG1_SEND_RECV_BUF;
    m.send_buf.gpadl_handle = RECV_GPADL;
    m.send_buf.id = NVSP_RECV_BUF_ID;
    const struct nvsp_message *a = nvsp_op(&m, sizeof(m), 2);
    assert_int_equal(a->type, NVSP_MSG1_SEND_RECV_BUF_COMPLETE);
    assert_int_equal(a->recv_buf_complete.status, NVSP_STAT_SUCCESS);
    /* Linux: exactly one section at offset 0, its sub-allocations inside
     * the buffer, each at least 68 bytes. */
    assert_int_equal(a->recv_buf_complete.num_sections, 1);
    assert_int_equal(a->recv_buf_complete.section.offset, 0);
    assert_int_equal(a->recv_buf_complete.section.sub_alloc_size, NETVSP_RECV_SECTION_SIZE);
    assert_int_equal(a->recv_buf_complete.section.num_sub_allocs, NSECT);
    assert_true((uint64_t)NETVSP_RECV_SECTION_SIZE * NSECT <= RECV_PAGES * PG);

    memset(&m, 0, sizeof(m));
    m.type = NVSP_MSG1_SEND_SEND_BUF;
    m.send_buf.gpadl_handle = SEND_GPADL;
    a = nvsp_op(&m, sizeof(m), 3);
    assert_int_equal(a->type, NVSP_MSG1_SEND_SEND_BUF_COMPLETE);
    assert_int_equal(a->send_buf_complete.status, NVSP_STAT_SUCCESS);
    assert_int_equal(a->send_buf_complete.section_size, NETVSP_SEND_SECTION_SIZE);
    no_more();
    return v;
}

static const uint32_t v61[] = {NVSP_VERSION_61, NVSP_VERSION_6, NVSP_VERSION_5,
                               NVSP_VERSION_4,  NVSP_VERSION_2, NVSP_VERSION_1};

/* Reads the guest's receive buffer the way netvsc reads it (through its
 * own, differently ordered, page list). */
static void recv_read(uint32_t off, void *dst, uint32_t len)
{
    uint8_t *d = dst;
    for (uint32_t i = 0; i < len; i++, off++)
        d[i] = h.ram[(h.recv_pfns[off / PG] - RAM_PFN) * PG + off % PG];
}

/* netvsc_receive for one transfer-page packet: the RNDIS message in it,
 * checked as Linux checks it; returns its length and tid. */
static uint32_t take_rx(uint8_t *msg, uint32_t cap, uint64_t *tid, uint32_t channel_type)
{
    const struct pkt *p = next_pkt();
    assert_true(p->xfer && !p->completion && p->chan == &h);
    assert_int_equal(p->pageset, NVSP_RECV_BUF_ID);
    const struct nvsp_message *m = (const void *)p->data;
    assert_int_equal(m->type, NVSP_MSG1_SEND_RNDIS_PKT);
    assert_int_equal(m->rndis_pkt.channel_type, channel_type);
    assert_true(p->off <= RECV_PAGES * PG && p->xlen <= RECV_PAGES * PG - p->off);
    assert_true(p->xlen <= NETVSP_RECV_SECTION_SIZE && p->xlen <= cap);
    assert_int_equal(p->off % NETVSP_RECV_SECTION_SIZE, 0);
    recv_read(p->off, msg, p->xlen);
    struct rndis_header hd;
    memcpy(&hd, msg, sizeof(hd));
    assert_true(hd.len >= 8 && hd.len <= p->xlen); /* rndis_filter_receive */
    *tid = p->tid;
    return hd.len;
}

/* The guest's receive completion (send_recv_completions). */
static void rx_complete(uint64_t tid)
{
    struct {
        uint32_t type, status;
    } c = {NVSP_MSG1_SEND_RNDIS_PKT_COMPLETE, NVSP_STAT_SUCCESS};
    netvsp_receive(&eng, &h, true, &c, sizeof(c), tid, NULL, 0);
}

/* The completion of a SEND_RNDIS_PKT. */
static uint32_t tx_status(uint64_t tid)
{
    /* The answers a request produced come before its completion: take the
     * completion out of order. */
    for (unsigned i = h.seen; i < h.nq; i++) {
        if (h.q[i].completion && h.q[i].tid == tid) {
            struct pkt c = h.q[i];
            memmove(&h.q[h.seen + 1], &h.q[h.seen], (i - h.seen) * sizeof(c));
            h.q[h.seen] = c;
            break;
        }
    }
    const struct pkt *p = next_pkt();
    assert_true(p->completion && p->tid == tid);
    const struct nvsp_message *m = (const void *)p->data;
    assert_true(p->len >= 8);
    assert_int_equal(m->type, NVSP_MSG1_SEND_RNDIS_PKT_COMPLETE);
    return m->rndis_pkt_complete.status;
}

static uint64_t next_tid = 100;
static struct netvsp_gpa_range ranges[NETVSP_MAX_RANGES + 2];
static uint64_t rpfns[NETVSP_MAX_RANGES + 2][4];

static uint8_t *guest(uint32_t page, uint32_t off)
{
    return h.ram + page * PG + off;
}

/* A range over guest pages from page, offset off, len bytes. */
static void set_range(unsigned i, uint32_t page, uint32_t off, uint32_t len)
{
    ranges[i].byte_count = len;
    ranges[i].byte_offset = off;
    ranges[i].pfn_count = (off + len + PG - 1) / PG;
    for (uint32_t k = 0; k < ranges[i].pfn_count; k++)
        rpfns[i][k] = RAM_PFN + page + k;
    ranges[i].pfns = rpfns[i];
}

/* SEND_RNDIS_PKT: section (or NVSP_NO_SECTION) and n ranges; its status. */
static uint32_t send_rndis(uint32_t channel, uint32_t section, uint32_t section_size, unsigned n)
{
    struct nvsp_message m = {0};
    m.type = NVSP_MSG1_SEND_RNDIS_PKT;
    m.rndis_pkt.channel_type = channel;
    m.rndis_pkt.section_index = section;
    m.rndis_pkt.section_size = section_size;
    uint64_t tid = next_tid++;
    netvsp_receive(&eng, &h, false, &m, sizeof(m), tid, n ? ranges : NULL, n);
    return tx_status(tid);
}

/* rndis_filter_send_request: the message in one GPA-direct range. */
static uint32_t rndis_send_request(const void *msg, uint32_t len)
{
    memcpy(guest(REQ_PAGE, 100), msg, len);
    set_range(0, REQ_PAGE, 100, len);
    return send_rndis(NVSP_RNDIS_CONTROL, NVSP_NO_SECTION, 0, 1);
}

static uint8_t resp[NETVSP_RECV_SECTION_SIZE];

/* A request and its answer (into resp); the answer's length. */
static uint32_t rndis_request(const void *msg, uint32_t len, uint32_t answer_type)
{
    assert_int_equal(rndis_send_request(msg, len), NVSP_STAT_SUCCESS);
    uint64_t tid;
    uint32_t n = take_rx(resp, sizeof(resp), &tid, NVSP_RNDIS_CONTROL);
    rx_complete(tid);
    no_more();
    struct rndis_header hd;
    memcpy(&hd, resp, sizeof(hd));
    assert_int_equal(hd.type, answer_type);
    return n;
}

static uint32_t req_id = 1;

/* rndis_filter_query_device: status, and the value into val (at most cap). */
static uint32_t query(uint32_t oid, void *val, uint32_t *cap, const void *in, uint32_t in_len)
{
    uint8_t msg[64] = {0};
    struct rndis_header hd = {RNDIS_MSG_QUERY, (uint32_t)(8 + 20 + in_len)};
    struct rndis_oid_request r = {req_id++, oid, in_len, 20, 0};
    memcpy(msg, &hd, 8);
    memcpy(msg + 8, &r, sizeof(r));
    if (in_len)
        memcpy(msg + 28, in, in_len);
    uint32_t n = rndis_request(msg, hd.len, RNDIS_MSG_QUERY_C);
    struct rndis_query_complete c;
    assert_true(n >= 8 + sizeof(c));
    memcpy(&c, resp + 8, sizeof(c));
    assert_int_equal(c.req_id, r.req_id);
    if (c.status)
        return c.status;
    /* Linux's checks on the value's place. */
    assert_true(c.info_len <= *cap && c.info_offset >= sizeof(c));
    assert_true(n - 8 >= c.info_offset && n - 8 - c.info_offset >= c.info_len);
    memcpy(val, resp + 8 + c.info_offset, c.info_len);
    *cap = c.info_len;
    return 0;
}

static uint32_t set(uint32_t oid, const void *val, uint32_t len)
{
    uint8_t msg[128] = {0};
    struct rndis_header hd = {RNDIS_MSG_SET, 8 + 20 + len};
    struct rndis_oid_request r = {req_id++, oid, len, 20, 0};
    memcpy(msg, &hd, 8);
    memcpy(msg + 8, &r, sizeof(r));
    memcpy(msg + 28, val, len);
    rndis_request(msg, hd.len, RNDIS_MSG_SET_C);
    struct rndis_status_complete c;
    memcpy(&c, resp + 8, sizeof(c));
    assert_int_equal(c.req_id, r.req_id);
    return c.status;
}

static uint32_t u32_query(uint32_t oid, uint32_t *v)
{
    uint32_t cap = 4;
    return query(oid, v, &cap, NULL, 0);
}

/* rndis_filter_device_add + rndis_filter_open, as Linux runs them. */
static void linux_rndis(uint32_t version)
{
    struct {
        struct rndis_header h;
        struct rndis_init_request r;
    } in = {{RNDIS_MSG_INIT, 24}, {req_id++, 1, 0, 0x4000}};
    rndis_request(&in, sizeof(in), RNDIS_MSG_INIT_C);
    struct rndis_init_complete ic;
    memcpy(&ic, resp + 8, sizeof(ic));
    assert_int_equal(ic.req_id, in.r.req_id);
    assert_int_equal(ic.status, 0);
    assert_int_equal(ic.max_pkt_per_msg, NETVSP_MAX_PKT_PER_MSG);
    assert_int_equal(1u << ic.pkt_align_factor, 8);

    uint32_t v;
    assert_int_equal(u32_query(OID_GEN_MAXIMUM_FRAME_SIZE, &v), 0);
    assert_int_equal(v, 1500);
    uint8_t mac[6];
    uint32_t cap = 6;
    assert_int_equal(query(OID_802_3_PERMANENT_ADDRESS, mac, &cap, NULL, 0), 0);
    assert_int_equal(cap, 6);
    assert_memory_equal(mac, MAC, 6);
    uint8_t name[512];
    cap = sizeof(name);
    assert_int_equal(query(OID_GEN_FRIENDLY_NAME, name, &cap, NULL, 0),
                     RNDIS_STATUS_NOT_SUPPORTED); /* ignored by Linux */

    /* rndis_query_hwcaps: Linux sends the header it wants filled. */
    struct ndis_offload caps;
    memset(&caps, 0, sizeof(caps));
    caps.header = (struct ndis_object_header){NDIS_OBJECT_TYPE_OFFLOAD, 3, NDIS_OFFLOAD_SIZE};
    struct ndis_offload got;
    memset(&got, 0xee, sizeof(got));
    cap = sizeof(got);
    assert_int_equal(query(OID_TCP_OFFLOAD_HARDWARE_CAPABILITIES, &got, &cap, &caps, 32), 0);
    assert_int_equal(got.header.type, NDIS_OBJECT_TYPE_OFFLOAD);
    assert_true(got.header.revision >= 1);
    assert_true(got.header.size <= cap && got.header.size >= NDIS_OFFLOAD_SIZE_6_0);
    uint32_t want = version >= NVSP_VERSION_5   ? NDIS_OFFLOAD_SIZE
                    : version >= NVSP_VERSION_4 ? NDIS_OFFLOAD_SIZE_6_1
                                                : NDIS_OFFLOAD_SIZE_6_0;
    assert_int_equal(cap, want);
    for (uint32_t i = sizeof(got.header); i < cap; i++)
        assert_int_equal(((uint8_t *)&got)[i], 0); /* no offload at all */

    /* rndis_netdev_set_hwcaps: only the IPv4 header checksum, disabled. */
    struct ndis_offload_params op = {0};
    op.header = (struct ndis_object_header){NDIS_OBJECT_TYPE_DEFAULT, 3, 0};
    op.ip_v4_csum = NDIS_OFFLOAD_PARAMETERS_DISABLED;
    uint32_t oplen = version <= NVSP_VERSION_4 ? NDIS_OFFLOAD_PARAMS_V4_SIZE : sizeof(op);
    op.header.size = (uint16_t)oplen;
    assert_int_equal(set(OID_TCP_OFFLOAD_PARAMETERS, &op, oplen), 0);

    assert_int_equal(u32_query(OID_GEN_MEDIA_CONNECT_STATUS, &v), 0);
    assert_int_equal(v, NDIS_MEDIA_STATE_CONNECTED);
    if (version >= NVSP_VERSION_5) {
        assert_int_equal(u32_query(OID_GEN_LINK_SPEED, &v), 0);
        assert_int_equal(v / 10000, 10000); /* Mbit/s */
        struct ndis_rss_caps rss = {{NDIS_OBJECT_TYPE_RSS_CAPABILITIES, 2, 18}, 0, 0, 0, 0};
        cap = sizeof(rss);
        uint32_t st = query(OID_GEN_RECEIVE_SCALE_CAPABILITIES, &rss, &cap, &rss, sizeof(rss));
        if (!eng.ops->create_subchannels)
            assert_int_equal(st, RNDIS_STATUS_NOT_SUPPORTED);
    }
    /* rndis_filter_open_device */
    uint32_t filter =
        NDIS_PACKET_TYPE_BROADCAST | NDIS_PACKET_TYPE_ALL_MULTICAST | NDIS_PACKET_TYPE_DIRECTED;
    assert_int_equal(set(OID_GEN_CURRENT_PACKET_FILTER, &filter, 4), 0);
    assert_int_equal(eng.filter, filter);
}

static void ready(void)
{
    assert_int_equal(linux_connect(v61, 6), NVSP_VERSION_61);
    linux_rndis(NVSP_VERSION_61);
}

/* --- the handshake ------------------------------------------------------------------------------
 */
static void init_linux_6_1(void **state)
{
    (void)state;
    ready();
    assert_int_equal(eng.version, NVSP_VERSION_61);
    assert_int_equal(eng.ndis_version, NVSP_NDIS_VERSION(6, 30));
    assert_int_equal(eng.mtu, 1514);
    assert_true(eng.rndis_ready);
    assert_int_equal(eng.stats.bad_messages, 0);
    /* Every receive section came back. */
    for (unsigned i = 0; i < NETVSP_RECV_SECTIONS_MAX / 64; i++)
        assert_int_equal(eng.recv_busy[i], 0);
}

static void init_older_versions(void **state)
{
    (void)state;
    /* A guest (or host policy) down to NVSP 4 and 2: the answers Linux
     * expects at each (offload capabilities shrink with the version). */
    const uint32_t v4[] = {NVSP_VERSION_4};
    assert_int_equal(linux_connect(v4, 1), NVSP_VERSION_4);
    linux_rndis(NVSP_VERSION_4);
    assert_int_equal(eng.ndis_version, NVSP_NDIS_VERSION(6, 1));
    setup(NULL);
    const uint32_t v2[] = {0x70000, NVSP_VERSION_2};
    assert_int_equal(linux_connect(v2, 2), NVSP_VERSION_2);
    linux_rndis(NVSP_VERSION_2);
}

static void init_bad_versions(void **state)
{
    (void)state;
    assert_int_equal(linux_init_version(NVSP_VERSION_1), NVSP_STAT_PROTOCOL_TOO_OLD);
    assert_int_equal(linux_init_version(0x70000), NVSP_STAT_PROTOCOL_TOO_NEW);
    assert_int_equal(linux_init_version(0x50001), NVSP_STAT_PROTOCOL_UNSUPPORTED);
    assert_int_equal(eng.version, 0);
    /* A range picks the highest inside it. */
    struct nvsp_message m = {0};
    m.type = NVSP_MSG_INIT;
    m.init.min_version = NVSP_VERSION_2;
    m.init.max_version = NVSP_VERSION_6;
    const struct nvsp_message *a = nvsp_op(&m, sizeof(m), 9);
    assert_int_equal(a->init_complete.status, NVSP_STAT_SUCCESS);
    assert_int_equal(a->init_complete.negotiated_version, NVSP_VERSION_6);
    /* Once agreed, a second INIT is refused and changes nothing. */
    assert_int_equal(linux_init_version(NVSP_VERSION_61), NVSP_STAT_FAIL);
    assert_int_equal(eng.version, NVSP_VERSION_6);
    /* A truncated INIT. */
    setup(NULL);
    m.init.max_version = NVSP_VERSION_61;
    assert_int_equal(nvsp_op(&m, 11, 10)->init_complete.status, NVSP_STAT_FAIL);
    assert_int_equal(eng.version, 0);
}

static void wrong_state(void **state)
{
    (void)state;
    /* Buffers, config and RNDIS before INIT. */
    struct nvsp_message m = {0};
    m.type = NVSP_MSG1_SEND_RECV_BUF;
    m.send_buf.gpadl_handle = RECV_GPADL;
    assert_int_equal(nvsp_op(&m, sizeof(m), 1)->recv_buf_complete.status, NVSP_STAT_FAIL);
    m.type = NVSP_MSG1_SEND_SEND_BUF;
    assert_int_equal(nvsp_op(&m, sizeof(m), 1)->send_buf_complete.status, NVSP_STAT_FAIL);
    m.type = NVSP_MSG2_SEND_NDIS_CONFIG;
    netvsp_receive(&eng, &h, false, &m, sizeof(m), 0, NULL, 0);
    no_more();
    memset(guest(REQ_PAGE, 0), 0, 64);
    set_range(0, REQ_PAGE, 0, 64);
    assert_int_equal(send_rndis(NVSP_RNDIS_CONTROL, NVSP_NO_SECTION, 0, 1), NVSP_STAT_FAIL);
    /* RNDIS requests before RNDIS INIT: ADAPTER_NOT_READY; frames: refused. */
    setup(NULL);
    linux_connect(v61, 6);
    uint32_t v;
    assert_int_equal(u32_query(OID_GEN_MAXIMUM_FRAME_SIZE, &v), RNDIS_STATUS_ADAPTER_NOT_READY);
    uint32_t filter = NDIS_PACKET_TYPE_DIRECTED;
    assert_int_equal(set(OID_GEN_CURRENT_PACKET_FILTER, &filter, 4),
                     RNDIS_STATUS_ADAPTER_NOT_READY);
    uint8_t frame[60] = {0};
    assert_int_equal(netvsp_deliver(&eng, frame, sizeof(frame)), -1);
    assert_int_equal(eng.stats.rx_dropped, 1);
    no_more();
}

static void hostile_buffers(void **state)
{
    (void)state;
    linux_init_version(NVSP_VERSION_61);
    struct nvsp_message m = {0};
    m.type = NVSP_MSG1_SEND_RECV_BUF;
    static const uint32_t bad[] = {0x999, 0x666, 0x667}; /* unknown, outside RAM, empty */
    for (unsigned i = 0; i < 3; i++) {
        m.send_buf.gpadl_handle = bad[i];
        assert_int_equal(nvsp_op(&m, sizeof(m), 1)->recv_buf_complete.status, NVSP_STAT_FAIL);
    }
    m.send_buf.gpadl_handle = RECV_GPADL;
    assert_int_equal(nvsp_op(&m, 9, 1)->recv_buf_complete.status, NVSP_STAT_FAIL); /* short */
    m.send_buf.id = NVSP_RECV_BUF_ID;
    assert_int_equal(nvsp_op(&m, sizeof(m), 1)->recv_buf_complete.status, NVSP_STAT_SUCCESS);
    /* A second receive buffer. */
    assert_int_equal(nvsp_op(&m, sizeof(m), 1)->recv_buf_complete.status, NVSP_STAT_FAIL);
    m.type = NVSP_MSG1_SEND_SEND_BUF;
    m.send_buf.gpadl_handle = 0x666;
    assert_int_equal(nvsp_op(&m, sizeof(m), 1)->send_buf_complete.status, NVSP_STAT_FAIL);
    m.send_buf.gpadl_handle = 0x668;
    assert_int_equal(nvsp_op(&m, sizeof(m), 1)->send_buf_complete.status, NVSP_STAT_FAIL);
    /* Revoking with the wrong id keeps the buffer; the right one drops it. */
    memset(&m, 0, sizeof(m));
    m.type = NVSP_MSG1_REVOKE_RECV_BUF;
    m.revoke_buf.id = 1;
    nvsp_oneway(&m);
    assert_non_null(eng.recv.pfns);
    m.revoke_buf.id = NVSP_RECV_BUF_ID;
    nvsp_oneway(&m);
    assert_null(eng.recv.pfns);
    m.type = NVSP_MSG1_REVOKE_SEND_BUF;
    nvsp_oneway(&m); /* none to revoke */
    assert_int_equal(eng.stats.bad_messages, 3);
}

static void hostile_nvsp(void **state)
{
    (void)state;
    ready();
    /* Unknown and host-only types: no answer, counted. */
    static const uint32_t types[] = {
        0,   NVSP_MSG_INIT_COMPLETE,           NVSP_MSG1_SEND_RECV_BUF_COMPLETE,
        109, NVSP_MSG5_SEND_INDIRECTION_TABLE, NVSP_MSG6_PD_API,
        999, NVSP_MSG4_SEND_VF_ASSOCIATION};
    uint64_t bad = eng.stats.bad_messages;
    for (unsigned i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        struct nvsp_message m = {0};
        m.type = types[i];
        netvsp_receive(&eng, &h, false, &m, sizeof(m), 7, NULL, 0);
        no_more();
    }
    assert_int_equal(eng.stats.bad_messages, bad + 8);
    /* Shorter than a type. */
    netvsp_receive(&eng, &h, false, "\xff", 1, 7, NULL, 0);
    no_more();
    /* A truncated SEND_RNDIS_PKT is completed with INVALID_RNDIS_PKT. */
    struct nvsp_message m = {0};
    m.type = NVSP_MSG1_SEND_RNDIS_PKT;
    netvsp_receive(&eng, &h, false, &m, 15, 8, NULL, 0);
    assert_int_equal(tx_status(8), NVSP_STAT_INVALID_RNDIS_PKT);
    /* Stray completions: unknown ids, wrong type, a section not out. */
    struct {
        uint32_t type, status;
    } c = {NVSP_MSG1_SEND_RNDIS_PKT_COMPLETE, 1};
    netvsp_receive(&eng, &h, true, &c, sizeof(c), 12345, NULL, 0);
    netvsp_receive(&eng, &h, true, &c, 4, 0x6e76737000000000ull, NULL, 0);
    netvsp_receive(&eng, &h, true, &c, sizeof(c), 0x6e76737000000000ull, NULL, 0);
    netvsp_receive(&eng, &h, true, &c, sizeof(c), 0x6e76737000000000ull + NSECT, NULL, 0);
    c.type = NVSP_MSG1_SEND_SEND_BUF_COMPLETE;
    netvsp_receive(&eng, &h, true, &c, sizeof(c), 0x6e76737000000000ull, NULL, 0);
    assert_int_equal(eng.stats.stray_completions, 5);
    no_more();
    /* The data path switch: an empty completion, still synthetic. */
    memset(&m, 0, sizeof(m));
    m.type = NVSP_MSG4_SWITCH_DATA_PATH;
    m.switch_data_path.active_datapath = NVSP_DATAPATH_VF;
    netvsp_receive(&eng, &h, false, &m, sizeof(m), 77, NULL, 0);
    const struct pkt *p = next_pkt();
    assert_true(p->completion && p->tid == 77 && p->len == 0);
}

/* --- the guest's frames -------------------------------------------------------------------------
 */
static uint8_t frame_a[1514], frame_b[60];

static void fill_frames(void)
{
    for (unsigned i = 0; i < sizeof(frame_a); i++)
        frame_a[i] = (uint8_t)(i * 7 + 3);
    for (unsigned i = 0; i < sizeof(frame_b); i++)
        frame_b[i] = (uint8_t)(0xa0 + i);
}

/* netvsc_xmit's RNDIS packet: header, a hash PPI (and a VLAN one), data. */
static uint32_t build_packet(uint8_t *out, const uint8_t *frame, uint32_t len, uint32_t vlan,
                             uint32_t pad)
{
    uint32_t ppi_len = 16 + (vlan ? 16 : 0);
    struct rndis_header hd = {RNDIS_MSG_PACKET, 8 + 36 + ppi_len + len + pad};
    struct rndis_packet p = {36 + ppi_len, len, 0, 0, 0, 36, ppi_len, 0, 0};
    struct rndis_ppi hash = {16, RNDIS_PPI_HASH_VALUE, 12}, vl = {16, RNDIS_PPI_IEEE_8021Q, 12};
    uint32_t hv = 0x12345678;
    memcpy(out, &hd, 8);
    memcpy(out + 8, &p, 36);
    memcpy(out + 44, &hash, 12);
    memcpy(out + 56, &hv, 4);
    if (vlan) {
        memcpy(out + 60, &vl, 12);
        memcpy(out + 72, &vlan, 4);
    }
    memcpy(out + 44 + ppi_len, frame, len);
    memset(out + 44 + ppi_len + len, 0, pad);
    return hd.len;
}

/* The guest's send buffer, section i, offset off: written through its pages. */
static void send_write(uint32_t section, const uint8_t *src, uint32_t len)
{
    uint32_t off = section * NETVSP_SEND_SECTION_SIZE;
    for (uint32_t i = 0; i < len; i++, off++)
        h.ram[(h.send_pfns[off / PG] - RAM_PFN) * PG + off % PG] = src[i];
}

static void tx_send_section(void **state)
{
    (void)state;
    ready();
    fill_frames();
    uint8_t pkt[2048];
    /* Section 1 spans two send-buffer pages that are not adjacent. */
    uint32_t n = build_packet(pkt, frame_a, sizeof(frame_a), 0, 0);
    send_write(1, pkt, n);
    assert_int_equal(send_rndis(NVSP_RNDIS_DATA, 1, n, 0), NVSP_STAT_SUCCESS);
    assert_int_equal(h.ntx, 1);
    assert_int_equal(h.txlen[0], sizeof(frame_a));
    assert_memory_equal(h.tx[0], frame_a, sizeof(frame_a));
    /* Two batched packets, the first padded to 8 bytes (netvsc_copy_to_send_buf). */
    uint32_t n1 = build_packet(pkt, frame_b, 59, 0, 5);
    uint32_t n2 = build_packet(pkt + n1, frame_b, 60, 0, 0);
    send_write(4, pkt, n1 + n2);
    assert_int_equal(send_rndis(NVSP_RNDIS_DATA, 4, n1 + n2, 0), NVSP_STAT_SUCCESS);
    assert_int_equal(h.ntx, 3);
    assert_int_equal(h.txlen[1], 59);
    assert_int_equal(h.txlen[2], 60);
    assert_memory_equal(h.tx[2], frame_b, 60);
    /* A VLAN tag in a PPI goes back into the frame. */
    n = build_packet(pkt, frame_b, 60, 5 << 4 | 2, 0);
    send_write(0, pkt, n);
    assert_int_equal(send_rndis(NVSP_RNDIS_DATA, 0, n, 0), NVSP_STAT_SUCCESS);
    assert_int_equal(h.txlen[3], 64);
    assert_memory_equal(h.tx[3], frame_b, 12);
    const uint8_t tag[4] = {0x81, 0x00, 0x40, 0x05};
    assert_memory_equal(h.tx[3] + 12, tag, 4);
    assert_memory_equal(h.tx[3] + 16, frame_b + 12, 48);
    assert_int_equal(eng.stats.tx_frames, 4);
    no_more();
}

static void tx_gpa_direct(void **state)
{
    (void)state;
    ready();
    fill_frames();
    uint8_t pkt[2048];
    uint32_t n = build_packet(pkt, frame_a, sizeof(frame_a), 0, 0);
    uint32_t hdr = n - sizeof(frame_a);
    /* netvsc_build_mpb_array: the RNDIS header in one range, the frame in
     * another that crosses a page boundary. */
    memcpy(guest(DATA_PAGE, 4000), pkt, hdr);
    memcpy(guest(DATA_PAGE + 2, 3000), frame_a, sizeof(frame_a));
    set_range(0, DATA_PAGE, 4000, hdr);
    set_range(1, DATA_PAGE + 2, 3000, sizeof(frame_a));
    assert_int_equal(send_rndis(NVSP_RNDIS_DATA, NVSP_NO_SECTION, 0, 2), NVSP_STAT_SUCCESS);
    assert_int_equal(h.ntx, 1);
    assert_memory_equal(h.tx[0], frame_a, sizeof(frame_a));
    /* cp_partial: earlier packets and this one's header in a section, its
     * data in a page range. */
    uint32_t n1 = build_packet(pkt, frame_b, 60, 0, 4);
    memcpy(pkt + n1, guest(DATA_PAGE, 4000), hdr);
    send_write(2, pkt, n1 + hdr);
    set_range(0, DATA_PAGE + 2, 3000, sizeof(frame_a));
    assert_int_equal(send_rndis(NVSP_RNDIS_DATA, 2, n1 + hdr, 1), NVSP_STAT_SUCCESS);
    assert_int_equal(h.ntx, 3);
    assert_memory_equal(h.tx[1], frame_b, 60);
    assert_memory_equal(h.tx[2], frame_a, sizeof(frame_a));
    no_more();
}

static void hostile_tx(void **state)
{
    (void)state;
    ready();
    fill_frames();
    uint8_t pkt[2048];
    uint32_t n = build_packet(pkt, frame_b, 60, 0, 0);
    send_write(0, pkt, n);
    /* Sections: past the buffer, sizes 0 and past a section. */
    assert_int_equal(send_rndis(0, 5, n, 0), NVSP_STAT_INVALID_RNDIS_PKT);
    assert_int_equal(send_rndis(0, 0xfffffffe, n, 0), NVSP_STAT_INVALID_RNDIS_PKT);
    assert_int_equal(send_rndis(0, 0, 0, 0), NVSP_STAT_INVALID_RNDIS_PKT);
    assert_int_equal(send_rndis(0, 0, NETVSP_SEND_SECTION_SIZE + 1, 0),
                     NVSP_STAT_INVALID_RNDIS_PKT);
    /* No section and no ranges. */
    assert_int_equal(send_rndis(0, NVSP_NO_SECTION, 0, 0), NVSP_STAT_INVALID_RNDIS_PKT);
    /* Ranges: a PFN outside RAM, an offset of 4096, too few PFNs, too many ranges. */
    memcpy(guest(DATA_PAGE, 0), pkt, n);
    set_range(0, DATA_PAGE, 0, n);
    rpfns[0][0] = RAM_PFN + RAM_PAGES;
    assert_int_equal(send_rndis(0, NVSP_NO_SECTION, 0, 1), NVSP_STAT_INVALID_RNDIS_PKT);
    set_range(0, DATA_PAGE, 0, n);
    ranges[0].byte_offset = PG;
    assert_int_equal(send_rndis(0, NVSP_NO_SECTION, 0, 1), NVSP_STAT_INVALID_RNDIS_PKT);
    set_range(0, DATA_PAGE, 4000, n);
    ranges[0].pfn_count = 1;
    assert_int_equal(send_rndis(0, NVSP_NO_SECTION, 0, 1), NVSP_STAT_INVALID_RNDIS_PKT);
    for (unsigned i = 0; i < NETVSP_MAX_RANGES + 1; i++)
        set_range(i, DATA_PAGE, 0, 1);
    assert_int_equal(send_rndis(0, NVSP_NO_SECTION, 0, NETVSP_MAX_RANGES + 1),
                     NVSP_STAT_INVALID_RNDIS_PKT);
    /* The packet's own fields, each wrong in turn. */
    struct {
        uint32_t at, value;
    } bad[] = {
        {4, 7},           /* msg_len below a header */
        {4, n + 1},       /* msg_len past the section */
        {8, 35},          /* data_offset inside the packet header */
        {8, n},           /* data_offset past the message */
        {12, 13},         /* shorter than an Ethernet header */
        {12, 61},         /* data past the message */
        {28, 300},        /* ppi_offset past the message */
        {32, 4000},       /* ppi_len past the message */
        {44, 11},         /* a PPI smaller than its header */
        {44, 400},        /* a PPI past the PPI area */
        {52, 17},         /* a PPI value offset past the PPI */
        {0, 0x80000001u}, /* a completion type */
        {0, RNDIS_MSG_INDICATE},
        {0, 77},
    };
    uint64_t before = eng.stats.bad_messages;
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        uint8_t b[2048];
        memcpy(b, pkt, n);
        memcpy(b + bad[i].at, &bad[i].value, 4);
        send_write(3, b, n);
        assert_int_equal(send_rndis(0, 3, n, 0), NVSP_STAT_INVALID_RNDIS_PKT);
    }
    assert_int_equal(eng.stats.bad_messages, before + sizeof(bad) / sizeof(bad[0]));
    /* Truncated: fewer bytes than a header, a header without its packet. */
    assert_int_equal(send_rndis(0, 0, 7, 0), NVSP_STAT_INVALID_RNDIS_PKT);
    struct rndis_header short_pkt = {RNDIS_MSG_PACKET, 8};
    send_write(3, (const uint8_t *)&short_pkt, 8);
    assert_int_equal(send_rndis(0, 3, 8, 0), NVSP_STAT_INVALID_RNDIS_PKT);
    /* A frame bigger than the MTU allows. */
    static uint8_t big[NETVSP_MAX_FRAME + 1];
    n = build_packet(pkt, big, sizeof(big), 0, 0);
    send_write(0, pkt, n);
    assert_int_equal(send_rndis(0, 0, n, 0), NVSP_STAT_INVALID_RNDIS_PKT);
    assert_int_equal(h.ntx, 0);
    no_more();
}

/* --- frames for the guest ------------------------------------------------------------------------
 */
/* rndis_filter_receive_data on what netvsc_receive found; the frame's length. */
static uint32_t guest_rx(uint8_t *frame, uint64_t *tid)
{
    uint8_t msg[NETVSP_RECV_SECTION_SIZE];
    uint32_t n = take_rx(msg, sizeof(msg), tid, NVSP_RNDIS_DATA);
    struct rndis_header hd;
    struct rndis_packet p;
    memcpy(&hd, msg, 8);
    assert_int_equal(hd.type, RNDIS_MSG_PACKET);
    assert_true(n >= 8 + sizeof(p));
    memcpy(&p, msg + 8, sizeof(p));
    assert_true(p.data_offset < n - 8);
    assert_true(n - 8 - p.data_offset >= p.data_len);
    memcpy(frame, msg + 8 + p.data_offset, p.data_len);
    return p.data_len;
}

static void rx_deliver(void **state)
{
    (void)state;
    ready();
    fill_frames();
    memcpy(frame_a, MAC, 6);
    assert_int_equal(netvsp_deliver(&eng, frame_a, sizeof(frame_a)), 0);
    uint8_t got[NETVSP_MAX_FRAME];
    uint64_t tid;
    assert_int_equal(guest_rx(got, &tid), sizeof(frame_a));
    assert_memory_equal(got, frame_a, sizeof(frame_a));
    rx_complete(tid);
    /* Fill every section; one more is dropped; a completion frees one. */
    uint64_t tids[NSECT];
    uint32_t offs[NSECT];
    for (unsigned i = 0; i < NSECT; i++) {
        frame_a[20] = (uint8_t)i;
        assert_int_equal(netvsp_deliver(&eng, frame_a, 100), 0);
        offs[i] = h.q[h.nq - 1].off;
        assert_int_equal(guest_rx(got, &tids[i]), 100);
        assert_int_equal(got[20], i);
    }
    assert_int_equal(netvsp_deliver(&eng, frame_a, 100), -1);
    assert_int_equal(eng.stats.rx_dropped, 1);
    rx_complete(tids[17]);
    rx_complete(tids[17]); /* twice: stray */
    assert_int_equal(eng.stats.stray_completions, 1);
    assert_int_equal(netvsp_deliver(&eng, frame_b, 60), -1); /* not for us: filtered */
    memcpy(frame_b, MAC, 6);
    assert_int_equal(netvsp_deliver(&eng, frame_b, 60), 0);
    assert_int_equal(h.q[h.nq - 1].off, offs[17]); /* the section freed */
    assert_int_equal(guest_rx(got, &tid), 60);
    assert_memory_equal(got, frame_b, 60);
    /* Sizes: runts and giants are never delivered. */
    static uint8_t big[NETVSP_MAX_FRAME + 1];
    assert_int_equal(netvsp_deliver(&eng, frame_b, 13), -1);
    assert_int_equal(netvsp_deliver(&eng, big, sizeof(big)), -1);
    no_more();
}

/* Batches: the frames delivered between begin and end go to the guest in
 * transfer-page packets of at most NETVSP_BATCH_MAX ranges, one section and
 * one RNDIS packet per range, in order; one completion returns all of a
 * packet's sections (a second is stray); an indication announces the open
 * batch first. */
static void rx_batch(void **state)
{
    (void)state;
    ready();
    fill_frames();
    memcpy(frame_a, MAC, 6);
    const unsigned total = NETVSP_BATCH_MAX + 4;
    assert_true(total < NSECT);
    netvsp_batch_begin(&eng);
    for (unsigned i = 0; i < NETVSP_BATCH_MAX - 1; i++) {
        frame_a[20] = (uint8_t)i;
        assert_int_equal(netvsp_deliver(&eng, frame_a, 100 + i), 0);
    }
    no_more(); /* nothing announced while the batch fills */
    for (unsigned i = NETVSP_BATCH_MAX - 1; i < total; i++) {
        frame_a[20] = (uint8_t)i;
        assert_int_equal(netvsp_deliver(&eng, frame_a, 100 + i), 0);
    }
    assert_int_equal(h.nq - h.seen, NETVSP_BATCH_MAX); /* full: announced at once */
    netvsp_batch_end(&eng);
    assert_int_equal(h.nq - h.seen, total);
    uint8_t got[NETVSP_MAX_FRAME];
    uint64_t tid[2];
    uint32_t secs = 0;
    for (unsigned i = 0; i < total; i++) {
        const struct pkt *p = &h.q[h.seen];
        unsigned k = i / NETVSP_BATCH_MAX;
        assert_int_equal(p->nr, k ? total - NETVSP_BATCH_MAX : NETVSP_BATCH_MAX);
        assert_int_equal(p->ri, i % NETVSP_BATCH_MAX);
        uint64_t t;
        assert_int_equal(guest_rx(got, &t), 100 + i);
        assert_int_equal(got[20], i);
        if (!p->ri)
            tid[k] = t;
        assert_true(t == tid[k]);
        secs++;
    }
    assert_true(tid[0] != tid[1]);
    assert_int_equal(eng.stats.rx_frames, total);
    /* Every other section fills; the first packet's completion frees 16. */
    unsigned free_secs = NSECT - secs;
    for (unsigned i = 0; i < free_secs; i++) {
        assert_int_equal(netvsp_deliver(&eng, frame_a, 60), 0);
        uint64_t t;
        guest_rx(got, &t);
    }
    assert_int_equal(netvsp_deliver(&eng, frame_a, 60), -1);
    rx_complete(tid[0]);
    rx_complete(tid[0]);
    assert_int_equal(eng.stats.stray_completions, 1);
    netvsp_batch_begin(&eng);
    for (unsigned i = 0; i < 2; i++)
        assert_int_equal(netvsp_deliver(&eng, frame_a, 60), 0);
    netvsp_link(&eng, false); /* the batch goes first, then the indication */
    assert_int_equal(h.q[h.seen].nr, 2);
    uint64_t t;
    guest_rx(got, &t);
    guest_rx(got, &t);
    take_rx(resp, sizeof(resp), &t, NVSP_RNDIS_CONTROL);
    netvsp_batch_end(&eng);
    no_more();
    netvsp_link(&eng, true);
    take_rx(resp, sizeof(resp), &t, NVSP_RNDIS_CONTROL);
    no_more();
}

static void rx_filter(void **state)
{
    (void)state;
    ready();
    uint8_t f[60] = {0};
    uint64_t tid;
    uint8_t got[NETVSP_MAX_FRAME];
    memset(f, 0xff, 6); /* broadcast: passes BROADCAST */
    assert_int_equal(netvsp_deliver(&eng, f, 60), 0);
    guest_rx(got, &tid);
    f[0] = 0x01; /* multicast: ALL_MULTICAST */
    assert_int_equal(netvsp_deliver(&eng, f, 60), 0);
    guest_rx(got, &tid);
    f[0] = 0x02; /* someone else */
    assert_int_equal(netvsp_deliver(&eng, f, 60), -1);
    uint32_t filter = NDIS_PACKET_TYPE_PROMISCUOUS;
    assert_int_equal(set(OID_GEN_CURRENT_PACKET_FILTER, &filter, 4), 0);
    assert_int_equal(netvsp_deliver(&eng, f, 60), 0);
    guest_rx(got, &tid);
    filter = 0; /* rndis_filter_close_device */
    assert_int_equal(set(OID_GEN_CURRENT_PACKET_FILTER, &filter, 4), 0);
    memset(f, 0xff, 6);
    assert_int_equal(netvsp_deliver(&eng, f, 60), -1);
    assert_int_equal(eng.stats.rx_filtered, 2);
    no_more();
}

static void ring_full(void **state)
{
    (void)state;
    ready();
    uint8_t f[60] = {0};
    memcpy(f, MAC, 6);
    /* The guest's ring is full: frames and completions wait in order. */
    h.full = true;
    f[59] = 1;
    assert_int_equal(netvsp_deliver(&eng, f, 60), 0);
    set_range(0, REQ_PAGE, 0, 60);
    struct nvsp_message m = {0};
    m.type = NVSP_MSG1_SEND_RNDIS_PKT;
    m.rndis_pkt.section_index = NVSP_NO_SECTION;
    build_packet(guest(REQ_PAGE, 0), f, 0, 0, 0); /* refused (runt): still completed */
    netvsp_receive(&eng, &h, false, &m, sizeof(m), 555, ranges, 1);
    f[59] = 2;
    assert_int_equal(netvsp_deliver(&eng, f, 60), 0);
    assert_int_equal(eng.pending_count, 3);
    no_more();
    netvsp_ring_ready(&eng); /* still full: nothing moves */
    assert_int_equal(eng.pending_count, 3);
    h.full = false;
    netvsp_ring_ready(&eng);
    assert_int_equal(eng.pending_count, 0);
    uint8_t got[NETVSP_MAX_FRAME];
    uint64_t t1, t2;
    guest_rx(got, &t1);
    assert_int_equal(got[59], 1);
    assert_int_equal(tx_status(555), NVSP_STAT_INVALID_RNDIS_PKT);
    guest_rx(got, &t2);
    assert_int_equal(got[59], 2);
    rx_complete(t1);
    rx_complete(t2);
    /* Completions fill the queue; one more is lost (counted), and a frame
     * finding the queue full is dropped with its section free again. */
    h.full = true;
    for (unsigned i = 0; i < NETVSP_PENDING; i++)
        netvsp_receive(&eng, &h, false, &m, sizeof(m), 600 + i, ranges, 1);
    assert_int_equal(eng.pending_count, NETVSP_PENDING);
    uint64_t bad = eng.stats.bad_messages;
    netvsp_receive(&eng, &h, false, &m, sizeof(m), 700, ranges, 1);
    assert_int_equal(eng.stats.bad_messages, bad + 2); /* the runt, its lost answer */
    assert_int_equal(netvsp_deliver(&eng, f, 60), -1);
    assert_int_equal(eng.stats.rx_dropped, 1);
    /* A batch the queue cannot take: its frames dropped, counted, freed. */
    uint64_t frames = eng.stats.rx_frames;
    netvsp_batch_begin(&eng);
    for (unsigned i = 0; i < 3; i++)
        assert_int_equal(netvsp_deliver(&eng, f, 60), 0);
    netvsp_batch_end(&eng);
    assert_int_equal(eng.stats.rx_frames, frames);
    assert_int_equal(eng.stats.rx_dropped, 4);
    for (unsigned i = 0; i < NETVSP_RECV_SECTIONS_MAX / 64; i++)
        assert_int_equal(eng.recv_busy[i], 0);
    h.full = false;
    netvsp_ring_ready(&eng);
    assert_int_equal(h.nq - h.seen, NETVSP_PENDING);
    assert_int_equal(tx_status(600), NVSP_STAT_INVALID_RNDIS_PKT);
    h.seen = h.nq;
    /* Revoking the receive buffer forgets the queued transfer packets. */
    h.full = true;
    assert_int_equal(netvsp_deliver(&eng, f, 60), 0);
    netvsp_receive(&eng, &h, false, &m, sizeof(m), 800, ranges, 1);
    assert_int_equal(eng.pending_count, 2);
    memset(&m, 0, sizeof(m));
    m.type = NVSP_MSG1_REVOKE_RECV_BUF;
    m.revoke_buf.id = NVSP_RECV_BUF_ID;
    netvsp_receive(&eng, &h, false, &m, sizeof(m), 0, NULL, 0);
    assert_int_equal(eng.pending_count, 1); /* the completion stays */
    h.full = false;
    netvsp_ring_ready(&eng);
    assert_int_equal(tx_status(800), NVSP_STAT_INVALID_RNDIS_PKT);
    no_more();
}

/* --- RNDIS control -------------------------------------------------------------------------------
 */
static void rndis_requests(void **state)
{
    (void)state;
    ready();
    /* Offloads: enabling anything is refused; RSS, encapsulation and MAC
     * changes are not implemented. */
    struct ndis_offload_params op = {0};
    op.header = (struct ndis_object_header){NDIS_OBJECT_TYPE_DEFAULT, 3, sizeof(op)};
    op.tcp_ip_v4_csum = 4;
    assert_int_equal(set(OID_TCP_OFFLOAD_PARAMETERS, &op, sizeof(op)), RNDIS_STATUS_NOT_SUPPORTED);
    op.tcp_ip_v4_csum = 0;
    op.rsc_ip_v6 = 2; /* netvsc_set_features turning LRO on */
    assert_int_equal(set(OID_TCP_OFFLOAD_PARAMETERS, &op, sizeof(op)), RNDIS_STATUS_NOT_SUPPORTED);
    op.rsc_ip_v6 = 0;
    op.flags = 0xffffffff; /* not a setting */
    assert_int_equal(set(OID_TCP_OFFLOAD_PARAMETERS, &op, sizeof(op)), 0);
    assert_int_equal(set(OID_TCP_OFFLOAD_PARAMETERS, &op, 21), RNDIS_STATUS_INVALID_LENGTH);
    op.header.type = 1;
    assert_int_equal(set(OID_TCP_OFFLOAD_PARAMETERS, &op, sizeof(op)), RNDIS_STATUS_INVALID_DATA);
    uint8_t rss[100] = {0x89, 2, 40};
    assert_int_equal(set(OID_GEN_RECEIVE_SCALE_PARAMETERS, rss, sizeof(rss)),
                     RNDIS_STATUS_NOT_SUPPORTED);
    assert_int_equal(set(OID_OFFLOAD_ENCAPSULATION, rss, 16), RNDIS_STATUS_NOT_SUPPORTED);
    assert_int_equal(set(OID_GEN_RNDIS_CONFIG_PARAMETER, rss, 60), RNDIS_STATUS_NOT_SUPPORTED);
    assert_int_equal(set(OID_GEN_CURRENT_PACKET_FILTER, rss, 2), RNDIS_STATUS_INVALID_LENGTH);
    uint32_t v;
    assert_int_equal(u32_query(0x12345678, &v), RNDIS_STATUS_NOT_SUPPORTED);
    assert_int_equal(u32_query(OID_GEN_PHYSICAL_MEDIUM, &v), 0);
    assert_int_equal(u32_query(OID_GEN_CURRENT_PACKET_FILTER, &v), 0);
    uint8_t mac[6];
    uint32_t cap = 6;
    assert_int_equal(query(OID_802_3_CURRENT_ADDRESS, mac, &cap, NULL, 0), 0);
    assert_memory_equal(mac, MAC, 6);

    /* KEEPALIVE and RESET. */
    struct {
        struct rndis_header h;
        uint32_t id;
    } k = {{RNDIS_MSG_KEEPALIVE, 12}, 0x77};
    rndis_request(&k, sizeof(k), RNDIS_MSG_KEEPALIVE_C);
    struct rndis_status_complete c;
    memcpy(&c, resp + 8, sizeof(c));
    assert_int_equal(c.req_id, 0x77);
    assert_int_equal(c.status, 0);
    k.h.type = RNDIS_MSG_RESET;
    rndis_request(&k, sizeof(k), RNDIS_MSG_RESET_C);
    struct rndis_reset_complete rc;
    memcpy(&rc, resp + 8, sizeof(rc));
    assert_int_equal(rc.status, 0);

    /* A malformed QUERY: its value offset past the message. */
    uint8_t msg[64] = {0};
    struct rndis_header hd = {RNDIS_MSG_QUERY, 28 + 8};
    struct rndis_oid_request r = {99, OID_GEN_LINK_SPEED, 8, 24, 0};
    memcpy(msg, &hd, 8);
    memcpy(msg + 8, &r, sizeof(r));
    assert_int_equal(rndis_send_request(msg, hd.len), NVSP_STAT_INVALID_RNDIS_PKT);
    uint64_t tid;
    take_rx(resp, sizeof(resp), &tid, NVSP_RNDIS_CONTROL);
    rx_complete(tid);
    struct rndis_query_complete qc;
    memcpy(&qc, resp + 8, sizeof(qc));
    assert_int_equal(qc.req_id, 99);
    assert_int_equal(qc.status, RNDIS_STATUS_INVALID_DATA);
    /* ... an offset inside the request header, a SET likewise. */
    r.info_offset = 4;
    memcpy(msg + 8, &r, sizeof(r));
    msg[0] = RNDIS_MSG_SET;
    assert_int_equal(rndis_send_request(msg, hd.len), NVSP_STAT_INVALID_RNDIS_PKT);
    take_rx(resp, sizeof(resp), &tid, NVSP_RNDIS_CONTROL);
    rx_complete(tid);
    memcpy(&hd, resp, 8);
    assert_int_equal(hd.type, RNDIS_MSG_SET_C);
    memcpy(&c, resp + 8, sizeof(c));
    assert_int_equal(c.status, RNDIS_STATUS_INVALID_DATA);
    /* ... too short to be a query: INVALID_LENGTH; too short for an id: nothing. */
    hd.type = RNDIS_MSG_QUERY;
    hd.len = 20;
    memcpy(msg, &hd, 8);
    assert_int_equal(rndis_send_request(msg, hd.len), NVSP_STAT_INVALID_RNDIS_PKT);
    take_rx(resp, sizeof(resp), &tid, NVSP_RNDIS_CONTROL);
    rx_complete(tid);
    memcpy(&qc, resp + 8, 8);
    assert_int_equal(qc.status, RNDIS_STATUS_INVALID_LENGTH);
    hd.len = 10;
    memcpy(msg, &hd, 8);
    assert_int_equal(rndis_send_request(msg, hd.len), NVSP_STAT_INVALID_RNDIS_PKT);
    hd.type = RNDIS_MSG_INIT;
    memcpy(msg, &hd, 8);
    assert_int_equal(rndis_send_request(msg, hd.len), NVSP_STAT_INVALID_RNDIS_PKT);
    hd.type = RNDIS_MSG_KEEPALIVE;
    hd.len = 8;
    memcpy(msg, &hd, 8);
    assert_int_equal(rndis_send_request(msg, hd.len), NVSP_STAT_INVALID_RNDIS_PKT);
    no_more();

    /* INIT with another major version. */
    struct {
        struct rndis_header h;
        struct rndis_init_request r;
    } in = {{RNDIS_MSG_INIT, 24}, {5, 2, 0, 0x4000}};
    rndis_request(&in, sizeof(in), RNDIS_MSG_INIT_C);
    struct rndis_init_complete ic;
    memcpy(&ic, resp + 8, sizeof(ic));
    assert_int_equal(ic.status, RNDIS_STATUS_BAD_VERSION);

    /* HALT: no answer, and the adapter is not ready any more. */
    struct rndis_header halt[2] = {{RNDIS_MSG_HALT, 12}, {0}};
    assert_int_equal(rndis_send_request(halt, 12), NVSP_STAT_SUCCESS);
    no_more();
    assert_false(eng.rndis_ready);
    assert_int_equal(u32_query(OID_GEN_LINK_SPEED, &v), RNDIS_STATUS_ADAPTER_NOT_READY);
    k.h.type = RNDIS_MSG_KEEPALIVE;
    rndis_request(&k, sizeof(k), RNDIS_MSG_KEEPALIVE_C);
    memcpy(&c, resp + 8, sizeof(c));
    assert_int_equal(c.status, RNDIS_STATUS_ADAPTER_NOT_READY);
}

static void rndis_no_section(void **state)
{
    (void)state;
    ready();
    /* Every receive section in the guest's hands: the answer is lost (the
     * guest's request times out), the transport still completes. */
    uint8_t f[60] = {0};
    memcpy(f, MAC, 6);
    for (unsigned i = 0; i < NSECT; i++)
        assert_int_equal(netvsp_deliver(&eng, f, 60), 0);
    h.seen = h.nq;
    uint64_t before = eng.stats.bad_messages;
    struct {
        struct rndis_header h;
        uint32_t id;
    } k = {{RNDIS_MSG_KEEPALIVE, 12}, 1};
    assert_int_equal(rndis_send_request(&k, sizeof(k)), NVSP_STAT_SUCCESS);
    assert_int_equal(eng.stats.bad_messages, before + 1);
    no_more();
}

/* One link indication as netvsc_linkstatus_callback reads it: a control
 * message in a receive section, INDICATE_STATUS with its 12-byte body
 * (msg_len - 8 >= 12), an empty status buffer; the section is returned. */
static uint32_t take_indication(void)
{
    uint64_t tid;
    uint32_t n = take_rx(resp, sizeof(resp), &tid, NVSP_RNDIS_CONTROL);
    struct rndis_header hd;
    struct rndis_indicate_status is;
    memcpy(&hd, resp, sizeof(hd));
    memcpy(&is, resp + sizeof(hd), sizeof(is));
    assert_int_equal(hd.type, RNDIS_MSG_INDICATE);
    assert_int_equal(n, sizeof(hd) + sizeof(is));
    assert_int_equal(is.buf_len, 0);
    assert_int_equal(is.buf_offset, sizeof(is)); /* right after the body, empty */
    rx_complete(tid);
    return is.status;
}

/* The link: remembered before RNDIS, queried, indicated on each change only
 * (Linux queues an event per indication), frames for the guest dropped while
 * it is down and delivered again once it is up. */
static void link_status(void **state)
{
    (void)state;
    netvsp_link(&eng, false); /* before RNDIS: remembered, not told */
    linux_connect(v61, 6);
    no_more();
    struct {
        struct rndis_header h;
        struct rndis_init_request r;
    } in = {{RNDIS_MSG_INIT, 24}, {1, 1, 0, 0x4000}};
    rndis_request(&in, sizeof(in), RNDIS_MSG_INIT_C);
    uint32_t v;
    assert_int_equal(u32_query(OID_GEN_MEDIA_CONNECT_STATUS, &v), 0);
    assert_int_equal(v, NDIS_MEDIA_STATE_DISCONNECTED);
    uint32_t filter = NDIS_PACKET_TYPE_BROADCAST;
    assert_int_equal(set(OID_GEN_CURRENT_PACKET_FILTER, &filter, 4), 0);
    uint8_t f[60] = {0};
    memset(f, 0xff, 6);
    uint64_t dropped = eng.stats.rx_dropped;
    assert_int_equal(netvsp_deliver(&eng, f, 60), -1); /* link down */
    assert_int_equal(eng.stats.rx_dropped, dropped + 1);
    no_more();

    netvsp_link(&eng, true);
    assert_int_equal(take_indication(), RNDIS_STATUS_MEDIA_CONNECT);
    assert_int_equal(u32_query(OID_GEN_MEDIA_CONNECT_STATUS, &v), 0);
    assert_int_equal(v, NDIS_MEDIA_STATE_CONNECTED);
    netvsp_link(&eng, true); /* no change: nothing said */
    no_more();
    assert_int_equal(netvsp_deliver(&eng, f, 60), 0);
    uint64_t tid;
    take_rx(resp, sizeof(resp), &tid, NVSP_RNDIS_DATA);
    rx_complete(tid);

    netvsp_link(&eng, false);
    assert_int_equal(take_indication(), RNDIS_STATUS_MEDIA_DISCONNECT);
    assert_int_equal(u32_query(OID_GEN_MEDIA_CONNECT_STATUS, &v), 0);
    assert_int_equal(v, NDIS_MEDIA_STATE_DISCONNECTED);
    netvsp_link(&eng, false);
    no_more();
    assert_int_equal(netvsp_deliver(&eng, f, 60), -1);
    no_more();

    netvsp_link(&eng, true); /* down and up again: both told, in order */
    netvsp_link(&eng, false);
    netvsp_link(&eng, true);
    assert_int_equal(take_indication(), RNDIS_STATUS_MEDIA_CONNECT);
    assert_int_equal(take_indication(), RNDIS_STATUS_MEDIA_DISCONNECT);
    assert_int_equal(take_indication(), RNDIS_STATUS_MEDIA_CONNECT);
    no_more();
}

static void subchannels(void **state)
{
    (void)state;
    netvsp_init(&eng, &ops_multi);
    ready();
    /* RSS capabilities invite multi-queue: 1 + 3 queues. */
    struct ndis_rss_caps rss;
    uint32_t cap = sizeof(rss);
    assert_int_equal(query(OID_GEN_RECEIVE_SCALE_CAPABILITIES, &rss, &cap, NULL, 0), 0);
    assert_int_equal(cap, sizeof(rss));
    assert_int_equal(rss.header.type, NDIS_OBJECT_TYPE_RSS_CAPABILITIES);
    assert_int_equal(rss.num_recv_queues, 4);
    /* rndis_set_subchannel with 8 CPUs: asks for 3 (num_chn - 1). */
    struct nvsp_message m = {0};
    m.type = NVSP_MSG5_SUBCHANNEL;
    m.subchannel_request.op = NVSP_SUBCHANNEL_ALLOCATE;
    m.subchannel_request.num_subchannels = 7;
    const struct nvsp_message *a = nvsp_op(&m, sizeof(m), 50);
    assert_int_equal(a->type, NVSP_MSG5_SUBCHANNEL);
    assert_int_equal(a->subchannel_complete.status, NVSP_STAT_SUCCESS);
    assert_int_equal(a->subchannel_complete.num_subchannels, 3);
    assert_int_equal(h.sub_calls, 1);
    assert_int_equal(h.subs, 3);
    /* ... then the send indirection table, as netvsc_send_table reads it. */
    const struct pkt *p = next_pkt();
    assert_false(p->completion);
    const struct nvsp_indirection_table_msg *t = (const void *)p->data;
    assert_int_equal(t->msg.type, NVSP_MSG5_SEND_INDIRECTION_TABLE);
    assert_int_equal(t->msg.indirection_table.count, NVSP_INDIRECTION_TABLE_SIZE);
    assert_int_equal(t->msg.indirection_table.offset, 40);
    assert_true(p->len >= 40 + 16 * 4);
    for (unsigned i = 0; i < 16; i++)
        assert_int_equal(t->entry[i], i % 4);
    /* Once only. */
    assert_int_equal(nvsp_op(&m, sizeof(m), 51)->subchannel_complete.status, NVSP_STAT_FAIL);
    no_more();
    /* Refused: no hook, an old version, a failing hook, a bad op, zero. */
    setup(NULL);
    ready();
    assert_int_equal(nvsp_op(&m, sizeof(m), 52)->subchannel_complete.status, NVSP_STAT_FAIL);
    setup(NULL);
    netvsp_init(&eng, &ops_multi);
    const uint32_t v4[] = {NVSP_VERSION_4};
    linux_connect(v4, 1);
    assert_int_equal(nvsp_op(&m, sizeof(m), 53)->subchannel_complete.status, NVSP_STAT_FAIL);
    setup(NULL);
    netvsp_init(&eng, &ops_multi);
    ready();
    h.sub_rc = -1;
    assert_int_equal(nvsp_op(&m, sizeof(m), 54)->subchannel_complete.status, NVSP_STAT_FAIL);
    h.sub_rc = 0;
    m.subchannel_request.op = 2;
    assert_int_equal(nvsp_op(&m, sizeof(m), 55)->subchannel_complete.status, NVSP_STAT_FAIL);
    m.subchannel_request.op = NVSP_SUBCHANNEL_ALLOCATE;
    m.subchannel_request.num_subchannels = 0;
    assert_int_equal(nvsp_op(&m, sizeof(m), 56)->subchannel_complete.status, NVSP_STAT_FAIL);
    assert_int_equal(nvsp_op(&m, 11, 57)->subchannel_complete.status, NVSP_STAT_FAIL);
    no_more();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(init_linux_6_1, setup),
        cmocka_unit_test_setup(init_older_versions, setup),
        cmocka_unit_test_setup(init_bad_versions, setup),
        cmocka_unit_test_setup(wrong_state, setup),
        cmocka_unit_test_setup(hostile_buffers, setup),
        cmocka_unit_test_setup(hostile_nvsp, setup),
        cmocka_unit_test_setup(tx_send_section, setup),
        cmocka_unit_test_setup(tx_gpa_direct, setup),
        cmocka_unit_test_setup(hostile_tx, setup),
        cmocka_unit_test_setup(rx_deliver, setup),
        cmocka_unit_test_setup(rx_batch, setup),
        cmocka_unit_test_setup(rx_filter, setup),
        cmocka_unit_test_setup(ring_full, setup),
        cmocka_unit_test_setup(rndis_requests, setup),
        cmocka_unit_test_setup(rndis_no_section, setup),
        cmocka_unit_test_setup(link_status, setup),
        cmocka_unit_test_setup(subchannels, setup),
    };
    return cmocka_run_group_tests(tests, NULL, teardown_all);
}
