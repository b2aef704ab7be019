/* The integration components (hv/devices/ic.c, ic_channel.c, heartbeat.c,
 * shutdown.c, timesync.c) over a fake KMCL that records every packet sent
 * and a fake clock that drives the timers. The guest is a model of Linux
 * 6.1's hv_utils written from the contract (§8): it picks versions in its
 * own preference order and answers in place with flags 5. Covered: framing
 * and negotiation bytes, versions the host does not support (no common
 * version, versions never offered, malformed counts), short and hostile
 * answers, heartbeat sequence checks and misses, shutdown message bytes and
 * its deadline before the channel opens, asked again after a close without
 * an answer and never after an answer, timesync message bytes in versions
 * 4.0 and 3.0 with the FILETIME conversion, close and reopen, the summary,
 * and the trace decoder every IC channel registers (every kind both ways,
 * every length short of each layout, every output capacity, random bytes). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "devices/heartbeat.h"
#include "devices/ic.h"
#include "devices/ic_channel.h"
#include "devices/shutdown.h"
#include "devices/timesync.h"
#include "lib/timer.h"
#include "vmbus/ring.h"
#include "vmbus/vmbus.h"

#include "fake_kmcl.h"
#include "fixture.h"

#define NS_PER_S 1000000000ull

static struct fake_channel *F(VMBCHANNEL h)
{
    return fake_channel(h);
}

/* --- the clock: 1 GHz, so ticks are nanoseconds ----------------------------------- */
static uint64_t ticks;
static uint64_t counter(void)
{
    return ticks;
}

static void advance(uint64_t ns)
{
    ticks += ns;
    timers_run(clock_ns());
}

/* --- the guest: Linux 6.1 hv_utils ----------------------------------------------- */
static const struct ic_version linux_fw[] = {{3, 0}, {1, 0}};
static const struct ic_version linux_hb[] = {{3, 0}, {1, 0}};
static const struct ic_version linux_sd[] = {{3, 2}, {3, 1}, {3, 0}, {1, 0}};
static const struct ic_version linux_ts[] = {{4, 0}, {3, 0}, {1, 0}};

struct guest {
    const struct ic_version *fw, *srv;
    unsigned nfw, nsrv;
};
static const struct guest hv_utils_hb = {linux_fw, linux_hb, 2, 2};
static const struct guest hv_utils_sd = {linux_fw, linux_sd, 2, 4};
static const struct guest hv_utils_ts = {linux_fw, linux_ts, 2, 3};

static bool same(struct ic_version a, struct ic_version b)
{
    return a.major == b.major && a.minor == b.minor;
}

/* vmbus_prep_negotiate_resp: its first preference found in the host's list. */
static bool choose(const uint8_t *table, unsigned count, const struct ic_version *prefs, unsigned n,
                   struct ic_version *out)
{
    for (unsigned i = 0; i < n; i++) {
        for (unsigned j = 0; j < count; j++) {
            struct ic_version v;
            memcpy(&v, table + 4 * j, 4);
            if (same(v, prefs[i])) {
                *out = v;
                return true;
            }
        }
    }
    return false;
}

/* The answer to request r in out (the same buffer, padded to 8 as the guest
 * reads it from the ring); its length. */
static uint32_t linux_answer(const struct guest *g, const struct fake_sent *r, uint8_t *out)
{
    uint32_t len = (r->len + 7) & ~7u;
    memset(out, 0, len);
    memcpy(out, r->data, r->len);
    struct ic_frame_hdr h;
    memcpy(&h, out, sizeof(h));
    if (h.msg.type == IC_MSG_NEGOTIATE) {
        struct ic_negotiate n;
        memcpy(&n, out + IC_HDR_SIZE, sizeof(n));
        const uint8_t *table = out + IC_HDR_SIZE + sizeof(n);
        struct ic_version fw, srv;
        bool ok = choose(table, n.framework_count, g->fw, g->nfw, &fw) &&
                  choose(table + 4 * n.framework_count, n.version_count, g->srv, g->nsrv, &srv);
        n.framework_count = n.version_count = ok ? 1 : 0;
        memcpy(out + IC_HDR_SIZE, &n, sizeof(n));
        if (ok) {
            memcpy(out + IC_HDR_SIZE + 8, &fw, 4);
            memcpy(out + IC_HDR_SIZE + 12, &srv, 4);
        }
        h.msg.size = 16;
    } else if (h.msg.type == IC_MSG_HEARTBEAT) {
        uint64_t seq;
        memcpy(&seq, out + IC_HDR_SIZE, 8);
        seq++;
        memcpy(out + IC_HDR_SIZE, &seq, 8);
    } else if (h.msg.type == IC_MSG_SHUTDOWN) {
        uint32_t flags;
        memcpy(&flags, out + IC_HDR_SIZE + 8, 4);
        h.msg.status = flags <= 1 ? IC_S_OK : IC_E_FAIL;
    }
    h.msg.flags = IC_FLAG_TRANSACTION | IC_FLAG_RESPONSE;
    memcpy(out, &h, sizeof(h));
    return len;
}

static void deliver(VMBCHANNEL ch, const void *buf, uint32_t len, uint64_t id)
{
    F(ch)->process(ch, buf, len, VMBUS_PKT_DATA_INBAND, id);
}

static const struct fake_sent *last(VMBCHANNEL ch)
{
    const struct fake_sent *s = fake_last_sent(ch);
    assert_non_null(s);
    return s;
}

/* The guest answers the last packet the host sent. */
static void answer_last(VMBCHANNEL ch, const struct guest *g)
{
    static uint8_t out[VMBUS_MAX_PACKET_SIZE];
    const struct fake_sent *r = last(ch);
    deliver(ch, out, linux_answer(g, r, out), r->id);
}

static struct ic_frame_hdr header_of(const struct fake_sent *s)
{
    struct ic_frame_hdr h;
    assert_true(s->len >= sizeof(h));
    memcpy(&h, s->data, sizeof(h));
    return h;
}

/* The guest opens the channel; the negotiate request follows from the timers. */
static void guest_opens(VMBCHANNEL ch)
{
    struct fake_channel *c = F(ch);
    unsigned before = c->nsent;
    c->open = true;
    assert_int_equal(c->cb.EvtChannelOpened(ch), STATUS_SUCCESS);
    assert_int_equal(c->nsent, before); /* nothing from inside the open */
    advance(0);
    assert_int_equal(c->nsent, before + 1);
    assert_int_equal(header_of(last(ch)).msg.type, IC_MSG_NEGOTIATE);
}

static void guest_closes(VMBCHANNEL ch)
{
    F(ch)->open = false;
    F(ch)->cb.EvtChannelClosed(ch);
}

static struct hv_device_config dev(const char *kind, const char *name)
{
    struct hv_device_config d;
    memset(&d, 0, sizeof(d));
    strncpy(d.kind, kind, sizeof(d.kind) - 1);
    strncpy(d.name, name, sizeof(d.name) - 1);
    return d;
}

/* The partition's reference time timesync sends (guest.c: hyperv's). */
static uint64_t reference_time;
static uint64_t reference_clock(void *ctx)
{
    assert_ptr_equal(ctx, &reference_time);
    return reference_time;
}

static struct hv_device_config hb_cfg, sd_cfg, ts_cfg;

static int setup(void **state)
{
    (void)state;
    fake_kmcl_reset();
    memset(&ic_stats, 0, sizeof(ic_stats));
    ticks = 5 * NS_PER_S;
    clock_init(counter, NS_PER_S, 1700000000ull);
    hb_cfg = dev("heartbeat", "hb");
    sd_cfg = dev("shutdown", "sd");
    ts_cfg = dev("timesync", "ts");
    log_reset();
    return 0;
}

static void expect_log(const char *needle)
{
    if (!strstr(logbuf, needle))
        fail_msg("no log line has '%s'; log:\n%s", needle, logbuf);
}

/* --- framing and negotiation, without a channel ------------------------------------ */
static void framing(void **state)
{
    (void)state;
    uint8_t buf[IC_HDR_SIZE];
    ic_put_header(buf, IC_MSG_TIMESYNC, (struct ic_version){3, 0}, (struct ic_version){4, 0}, 22);
    const uint8_t want[IC_HDR_SIZE] = {
        1,  0, 0, 0, 42, 0, 0, 0, /* pipe: data, 20 + 22 bytes follow */
        3,  0, 0, 0,              /* framework 3.0 */
        4,  0,                    /* timesync */
        4,  0, 0, 0,              /* message version 4.0 */
        22, 0,                    /* body bytes */
        0,  0, 0, 0,              /* status */
        0,                        /* IC transaction id */
        3,                        /* TRANSACTION | REQUEST */
        0,  0,
    };
    assert_memory_equal(buf, want, sizeof(want));

    struct ic_msg m;
    const char *why = NULL;
    assert_int_equal(ic_parse(buf, IC_HDR_SIZE - 1, &m, &why), -1);
    assert_string_equal(why, "shorter than the 28-byte IC header");
    assert_int_equal(ic_parse(buf, 0, &m, &why), -1);
    assert_int_equal(ic_parse(buf, IC_HDR_SIZE, &m, &why), 0);
    assert_int_equal(m.type, IC_MSG_TIMESYNC);
    assert_int_equal(m.version.major, 4);
    assert_int_equal(m.framework.major, 3);
    assert_int_equal(m.flags, 3);
    assert_int_equal(m.body_len, 0);
    assert_ptr_equal(m.body, buf + IC_HDR_SIZE);
}

static void negotiate_request_bytes(void **state)
{
    (void)state;
    static const struct ic_version ts[] = {{4, 0}, {3, 0}, {1, 0}};
    uint8_t buf[128];
    assert_int_equal(ic_build_negotiate(buf, sizeof(buf), ts, 3), 56);
    const uint8_t want[56] = {
        1,  0, 0, 0, 48, 0, 0, 0,             /* pipe */
        0,  0, 0, 0, 0,  0, 0, 0, 0, 0,       /* framework 0.0, negotiate, version 0.0 */
        28, 0, 0, 0, 0,  0, 0, 3, 0, 0,       /* 28 body bytes, status 0, flags 3 */
        2,  0, 3, 0, 0,  0, 0, 0,             /* 2 framework + 3 message versions */
        3,  0, 0, 0, 1,  0, 0, 0,             /* framework 3.0 1.0 */
        4,  0, 0, 0, 3,  0, 0, 0, 1, 0, 0, 0, /* timesync 4.0 3.0 1.0 */
    };
    assert_memory_equal(buf, want, sizeof(want));
    assert_int_equal(ic_build_negotiate(buf, 55, ts, 3), 0); /* no room */
    assert_int_equal(ic_build_negotiate(buf, sizeof(buf), ts, 0), 0);
}

/* A negotiate answer with counts f, m and the versions listed. */
static struct ic_msg answer_msg(uint8_t *body, uint16_t f, uint16_t m, const struct ic_version *v,
                                unsigned nv, uint32_t body_len)
{
    struct ic_negotiate n = {f, m, 0};
    memcpy(body, &n, sizeof(n));
    if (nv)
        memcpy(body + sizeof(n), v, nv * sizeof(*v));
    return (struct ic_msg){.type = IC_MSG_NEGOTIATE, .body = body, .body_len = body_len};
}

static void negotiate_answers(void **state)
{
    (void)state;
    static const struct ic_version ours[] = {{3, 2}, {3, 1}, {3, 0}, {1, 0}};
    uint8_t body[64];
    struct ic_version fw = {0, 0}, ver = {0, 0};
    const char *why = NULL;

    /* Linux: the one it chose of each */
    struct ic_msg m = answer_msg(body, 1, 1, (struct ic_version[]){{3, 0}, {3, 1}}, 2, 16);
    assert_int_equal(ic_negotiate_answer(&m, ours, 4, &fw, &ver, &why), IC_NEGOTIATED);
    assert_true(same(fw, (struct ic_version){3, 0}) && same(ver, (struct ic_version){3, 1}));

    /* a guest listing several: the highest both support, not the first */
    m = answer_msg(body, 3, 3,
                   (struct ic_version[]){{1, 0}, {9, 0}, {3, 0}, {1, 0}, {3, 2}, {7, 7}}, 6, 32);
    assert_int_equal(ic_negotiate_answer(&m, ours, 4, &fw, &ver, &why), IC_NEGOTIATED);
    assert_true(same(fw, (struct ic_version){3, 0}) && same(ver, (struct ic_version){3, 2}));

    /* Linux found nothing: counts 0 */
    m = answer_msg(body, 0, 0, NULL, 0, 16);
    assert_int_equal(ic_negotiate_answer(&m, ours, 4, &fw, &ver, &why), IC_NO_COMMON_VERSION);
    m = answer_msg(body, 1, 0, (struct ic_version[]){{3, 0}}, 1, 16);
    assert_int_equal(ic_negotiate_answer(&m, ours, 4, &fw, &ver, &why), IC_NO_COMMON_VERSION);
    /* versions we never offered */
    m = answer_msg(body, 1, 1, (struct ic_version[]){{3, 0}, {5, 0}}, 2, 16);
    assert_int_equal(ic_negotiate_answer(&m, ours, 4, &fw, &ver, &why), IC_NO_COMMON_VERSION);
    m = answer_msg(body, 1, 1, (struct ic_version[]){{2, 0}, {3, 0}}, 2, 16);
    assert_int_equal(ic_negotiate_answer(&m, ours, 4, &fw, &ver, &why), IC_NO_COMMON_VERSION);

    /* malformed */
    m = answer_msg(body, 1, 1, NULL, 0, 7);
    assert_int_equal(ic_negotiate_answer(&m, ours, 4, &fw, &ver, &why), IC_NEGOTIATE_BAD);
    assert_string_equal(why, "negotiate body shorter than its 8-byte counts");
    m = answer_msg(body, 101, 1, NULL, 0, 64);
    assert_int_equal(ic_negotiate_answer(&m, ours, 4, &fw, &ver, &why), IC_NEGOTIATE_BAD);
    assert_string_equal(why, "more than 100 versions listed");
    m = answer_msg(body, 1, 101, NULL, 0, 64);
    assert_int_equal(ic_negotiate_answer(&m, ours, 4, &fw, &ver, &why), IC_NEGOTIATE_BAD);
    m = answer_msg(body, 1, 2, (struct ic_version[]){{3, 0}, {3, 0}}, 2, 8 + 11);
    assert_int_equal(ic_negotiate_answer(&m, ours, 4, &fw, &ver, &why), IC_NEGOTIATE_BAD);
    assert_string_equal(why, "version counts run past the packet");
    m = answer_msg(body, 0xffff, 0xffff, NULL, 0, 64);
    assert_int_equal(ic_negotiate_answer(&m, ours, 4, &fw, &ver, &why), IC_NEGOTIATE_BAD);
}

/* --- heartbeat ------------------------------------------------------------------------ */
static VMBCHANNEL heartbeat_ready(void)
{
    VMBCHANNEL ch;
    assert_int_equal(heartbeat_create(&hb_cfg, &ch), STATUS_SUCCESS);
    assert_true(guid_equal(&F(ch)->type, &heartbeat_class));
    GUID auto_instance;
    guid_from_name(&auto_instance, &heartbeat_class, "hb");
    assert_true(guid_equal(&F(ch)->instance, &auto_instance));
    assert_string_equal(F(ch)->name, "hb");
    guest_opens(ch);
    answer_last(ch, &hv_utils_hb);
    expect_log("hv: ic: hb: negotiated framework 3.0, heartbeat 3.0\n");
    return ch;
}

static uint64_t sequence_of(const struct fake_sent *s)
{
    uint64_t seq;
    memcpy(&seq, s->data + IC_HDR_SIZE, 8);
    return seq;
}

static void heartbeat_session(void **state)
{
    (void)state;
    VMBCHANNEL ch = heartbeat_ready();
    /* the first request right after the negotiation */
    assert_int_equal(F(ch)->nsent, 2);
    const struct fake_sent *r = last(ch);
    assert_int_equal(r->len, IC_HDR_SIZE + 40);
    struct ic_frame_hdr h = header_of(r);
    assert_int_equal(h.msg.type, IC_MSG_HEARTBEAT);
    assert_true(same(h.msg.framework, (struct ic_version){3, 0}));
    assert_true(same(h.msg.version, (struct ic_version){3, 0}));
    assert_int_equal(h.msg.size, 40);
    assert_int_equal(h.msg.flags, IC_FLAG_TRANSACTION | IC_FLAG_REQUEST);
    assert_int_equal(sequence_of(r), 1);
    answer_last(ch, &hv_utils_hb);
    expect_log("hv: ic: hb: heartbeat: answered 1, missed 0\n");

    for (unsigned i = 2; i <= 10; i++) {
        advance(NS_PER_S);
        assert_int_equal(sequence_of(last(ch)), i);
        answer_last(ch, &hv_utils_hb);
    }
    expect_log("hv: ic: hb: heartbeat: answered 10, missed 0\n");
    assert_int_equal(log_count("heartbeat: answered"), 2); /* 1 and 10 only */

    /* unanswered: the next period is a miss and stacks nothing */
    advance(NS_PER_S);
    unsigned n = F(ch)->nsent;
    advance(NS_PER_S);
    assert_int_equal(F(ch)->nsent, n);
    expect_log("hv: ic: hb: heartbeat: missed 1, answered 10\n");
    answer_last(ch, &hv_utils_hb); /* late, still counted */
    advance(NS_PER_S);
    assert_int_equal(F(ch)->nsent, n + 1);
    assert_int_equal(sequence_of(last(ch)), 12);
    assert_int_equal(ic_stats.heartbeats, 11);
    assert_int_equal(ic_stats.heartbeats_missed, 1);
    assert_int_equal(ic_stats.rejected, 0);
}

static void heartbeat_hostile_answers(void **state)
{
    (void)state;
    VMBCHANNEL ch = heartbeat_ready();
    const struct fake_sent *r = last(ch);
    uint8_t out[128];
    uint32_t len = linux_answer(&hv_utils_hb, r, out);

    uint8_t bad[128];
    memcpy(bad, out, len);
    uint64_t seq = 5;
    memcpy(bad + IC_HDR_SIZE, &seq, 8);
    deliver(ch, bad, len, r->id);
    expect_log("hv: ic: hb: rejected heartbeat answer: sequence number is not the request's + 1\n");
    /* that consumed the request: now nothing is outstanding */
    deliver(ch, out, len, r->id);
    expect_log("hv: ic: hb: rejected answer: no request with its transaction id is outstanding\n");
    assert_int_equal(ic_stats.heartbeats, 0);

    advance(NS_PER_S);
    r = last(ch);
    len = linux_answer(&hv_utils_hb, r, out);
    deliver(ch, out, IC_HDR_SIZE + 4, r->id); /* too short for the sequence */
    expect_log("hv: ic: hb: rejected heartbeat answer: shorter than its sequence number\n");

    advance(NS_PER_S);
    r = last(ch);
    len = linux_answer(&hv_utils_hb, r, out);
    memcpy(bad, out, len);
    bad[25] = IC_FLAG_TRANSACTION | IC_FLAG_REQUEST; /* an echo, not an answer */
    deliver(ch, bad, len, r->id);
    bad[25] = IC_FLAG_TRANSACTION | IC_FLAG_RESPONSE;
    bad[12] = IC_MSG_SHUTDOWN; /* another message type */
    deliver(ch, bad, len, r->id);
    deliver(ch, out, 10, r->id);                         /* a fragment */
    F(ch)->process(ch, out, len, VMBUS_PKT_COMP, r->id); /* not in-band */
    deliver(ch, out, len, r->id + 1);                    /* another transaction */
    assert_int_equal(log_count("rejected"), 4);          /* the first 4 of the channel's logged */
    assert_int_equal(ic_stats.rejected, 8);              /* all counted */
    /* the real answer still counts */
    deliver(ch, out, len, r->id);
    assert_int_equal(ic_stats.heartbeats, 1);
}

static void heartbeat_no_common_version(void **state)
{
    (void)state;
    static const struct ic_version future[] = {{5, 0}};
    static const struct ic_version old_fw[] = {{2, 0}};
    const struct guest newer = {linux_fw, future, 2, 1};
    const struct guest odd_fw = {old_fw, linux_hb, 1, 2};

    VMBCHANNEL ch;
    assert_int_equal(heartbeat_create(&hb_cfg, &ch), STATUS_SUCCESS);
    guest_opens(ch);
    answer_last(ch, &newer);
    expect_log("hv: ic: hb: no common version: the guest accepted none of framework 3.0 1.0, "
               "heartbeat 3.0 1.0; channel unused\n");
    advance(10 * NS_PER_S);
    assert_int_equal(F(ch)->nsent, 1); /* only the negotiate request */

    /* a reopen negotiates again; a guest without our framework fails too */
    guest_closes(ch);
    log_reset();
    guest_opens(ch);
    answer_last(ch, &odd_fw);
    expect_log("no common version");
    advance(10 * NS_PER_S);
    assert_int_equal(F(ch)->nsent, 2);
    assert_int_equal(ic_stats.rejected, 0);
}

/* bad-version (VmbChannelFaultVersion): the negotiate request offers that
 * version alone; hv_utils knows none, a guest that takes it gets it. */
static void heartbeat_bad_version_fault(void **state)
{
    (void)state;
    static const struct ic_version nine[] = {{9, 0}};
    const struct guest takes_nine = {linux_fw, nine, 2, 1};
    VMBCHANNEL ch;
    assert_int_equal(heartbeat_create(&hb_cfg, &ch), STATUS_SUCCESS);
    F(ch)->fault_version = 9u << 16;
    guest_opens(ch);
    struct ic_negotiate n;
    memcpy(&n, last(ch)->data + IC_HDR_SIZE, sizeof(n));
    assert_int_equal(n.framework_count, IC_FRAMEWORK_VERSION_COUNT);
    assert_int_equal(n.version_count, 1);
    struct ic_version v;
    memcpy(&v, last(ch)->data + last(ch)->len - 4, 4);
    assert_true(same(v, nine[0]));
    answer_last(ch, &hv_utils_hb);
    expect_log("hv: ic: hb: no common version: the guest accepted none of framework 3.0 1.0, "
               "heartbeat 9.0; channel unused\n");
    guest_closes(ch);
    guest_opens(ch);
    answer_last(ch, &takes_nine);
    expect_log("hv: ic: hb: negotiated framework 3.0, heartbeat 9.0\n");
    /* without the fault: the service's own list again */
    guest_closes(ch);
    F(ch)->fault_version = 0;
    guest_opens(ch);
    answer_last(ch, &hv_utils_hb);
    expect_log("hv: ic: hb: negotiated framework 3.0, heartbeat 3.0\n");
    assert_int_equal(ic_stats.rejected, 0);
}

static void malformed_negotiation(void **state)
{
    (void)state;
    VMBCHANNEL ch;
    assert_int_equal(heartbeat_create(&hb_cfg, &ch), STATUS_SUCCESS);
    guest_opens(ch);
    uint8_t out[128];
    uint32_t len = linux_answer(&hv_utils_hb, last(ch), out);
    uint16_t huge = 200;
    memcpy(out + IC_HDR_SIZE, &huge, 2);
    deliver(ch, out, len, last(ch)->id);
    expect_log("hv: ic: hb: rejected negotiate answer: more than 100 versions listed\n");
    advance(10 * NS_PER_S);
    assert_int_equal(F(ch)->nsent, 1);
}

static void close_and_reopen(void **state)
{
    (void)state;
    VMBCHANNEL ch = heartbeat_ready();
    answer_last(ch, &hv_utils_hb);
    guest_closes(ch);
    unsigned n = F(ch)->nsent;
    advance(10 * NS_PER_S);
    assert_int_equal(F(ch)->nsent, n); /* nothing while closed */
    guest_opens(ch);                   /* negotiates again */
    answer_last(ch, &hv_utils_hb);
    assert_int_equal(F(ch)->nsent, n + 2);
    assert_int_equal(header_of(last(ch)).msg.type, IC_MSG_HEARTBEAT);
    /* one beat per period after the reopen: the closed channel's timer is gone */
    advance(NS_PER_S);
    assert_int_equal(F(ch)->nsent, n + 2); /* the request is unanswered: a miss */
    assert_int_equal(ic_stats.heartbeats_missed, 1);
}

static void negotiate_waits_for_room(void **state)
{
    (void)state;
    VMBCHANNEL ch;
    assert_int_equal(heartbeat_create(&hb_cfg, &ch), STATUS_SUCCESS);
    F(ch)->open = true;
    F(ch)->send_status = STATUS_INSUFFICIENT_RESOURCES;
    assert_int_equal(F(ch)->cb.EvtChannelOpened(ch), STATUS_SUCCESS);
    advance(0);
    assert_int_equal(F(ch)->nsent, 0);
    F(ch)->send_status = STATUS_SUCCESS;
    advance(10000000ull); /* retried after 10 ms */
    assert_int_equal(F(ch)->nsent, 1);
}

/* --- shutdown ---------------------------------------------------------------------------- */
static void shutdown_message(void **state)
{
    (void)state;
    VMBCHANNEL ch;
    assert_int_equal(shutdown_create(&sd_cfg, 10, &ch), STATUS_SUCCESS);
    assert_true(guid_equal(&F(ch)->type, &shutdown_class));
    advance(NS_PER_S);
    guest_opens(ch);
    answer_last(ch, &hv_utils_sd);
    expect_log("hv: ic: sd: negotiated framework 3.0, shutdown 3.2\n");
    assert_int_equal(F(ch)->nsent, 1);
    advance(8 * NS_PER_S); /* 9 s from the start */
    assert_int_equal(F(ch)->nsent, 1);
    advance(NS_PER_S);
    assert_int_equal(F(ch)->nsent, 2);
    expect_log("hv: ic: sd: asking the guest to power off (shutdown_after=10s)\n");

    const struct fake_sent *r = last(ch);
    assert_int_equal(r->len, 2088); /* Linux needs all of it */
    struct ic_frame_hdr h = header_of(r);
    assert_int_equal(h.pipe.flags, 1);
    assert_int_equal(h.pipe.msgsize, 2080);
    assert_int_equal(h.msg.type, IC_MSG_SHUTDOWN);
    assert_true(same(h.msg.framework, (struct ic_version){3, 0}));
    assert_true(same(h.msg.version, (struct ic_version){3, 2}));
    assert_int_equal(h.msg.size, 2060);
    assert_int_equal(h.msg.status, 0);
    assert_int_equal(h.msg.flags, 3);
    static const uint8_t zero[2060];
    assert_memory_equal(r->data + IC_HDR_SIZE, zero, sizeof(zero)); /* reason 0, power off */

    answer_last(ch, &hv_utils_sd);
    expect_log("hv: ic: sd: the guest accepted the shutdown request\n");
    assert_int_equal(ic_stats.shutdowns, 1);
    advance(100 * NS_PER_S);
    assert_int_equal(F(ch)->nsent, 2); /* asked once */
}

static void shutdown_refused(void **state)
{
    (void)state;
    VMBCHANNEL ch;
    assert_int_equal(shutdown_create(&sd_cfg, 1, &ch), STATUS_SUCCESS);
    guest_opens(ch);
    answer_last(ch, &hv_utils_sd);
    advance(NS_PER_S);
    uint8_t out[VMBUS_MAX_PACKET_SIZE];
    uint32_t len = linux_answer(&hv_utils_sd, last(ch), out);
    uint32_t fail = IC_E_FAIL;
    memcpy(out + 20, &fail, 4);
    deliver(ch, out, len, last(ch)->id);
    expect_log("hv: ic: sd: the guest refused the shutdown request: status 0x80004005\n");
}

static void shutdown_before_the_guest_is_there(void **state)
{
    (void)state;
    VMBCHANNEL ch;
    assert_int_equal(shutdown_create(&sd_cfg, 2, &ch), STATUS_SUCCESS);
    advance(3 * NS_PER_S);
    expect_log("hv: ic: sd: shutdown_after=2s reached, but the guest has not opened the shutdown "
               "channel (hv_utils not loaded?): the request waits for it\n");
    guest_opens(ch);
    answer_last(ch, &hv_utils_sd);
    assert_int_equal(F(ch)->nsent, 2); /* right after the negotiation */
    assert_int_equal(header_of(last(ch)).msg.type, IC_MSG_SHUTDOWN);

    /* the guest closed before answering: asked again on the next open */
    guest_closes(ch);
    guest_opens(ch);
    answer_last(ch, &hv_utils_sd);
    assert_int_equal(header_of(last(ch)).msg.type, IC_MSG_SHUTDOWN);
    assert_int_equal(ic_stats.shutdowns, 2);
}

/* The other half of the rule above: once the guest answered (accepted or refused), closing
 * and reopening the channel negotiates again but does not ask again. */
static void shutdown_answered_is_not_asked_again(void **state)
{
    (void)state;
    for (int refuse = 0; refuse < 2; refuse++) {
        setup(NULL);
        VMBCHANNEL ch;
        assert_int_equal(shutdown_create(&sd_cfg, 2, &ch), STATUS_SUCCESS);
        guest_opens(ch);
        answer_last(ch, &hv_utils_sd);
        advance(2 * NS_PER_S);
        assert_int_equal(F(ch)->nsent, 2);
        assert_int_equal(header_of(last(ch)).msg.type, IC_MSG_SHUTDOWN);
        uint8_t out[VMBUS_MAX_PACKET_SIZE];
        uint32_t len = linux_answer(&hv_utils_sd, last(ch), out);
        if (refuse) {
            uint32_t fail = IC_E_FAIL;
            memcpy(out + 20, &fail, 4);
        }
        deliver(ch, out, len, last(ch)->id);
        expect_log(refuse ? "hv: ic: sd: the guest refused the shutdown request"
                          : "hv: ic: sd: the guest accepted the shutdown request");

        guest_closes(ch);
        guest_opens(ch); /* negotiates again (asserted inside) */
        answer_last(ch, &hv_utils_sd);
        assert_int_equal(F(ch)->nsent, 3);
        advance(100 * NS_PER_S);
        assert_int_equal(F(ch)->nsent, 3); /* and nothing after it */
        assert_int_equal(header_of(last(ch)).msg.type, IC_MSG_NEGOTIATE);
        assert_int_equal(ic_stats.shutdowns, 1);
        assert_int_equal(log_count("asking the guest to power off"), 1);
    }
}

static void shutdown_without_common_version(void **state)
{
    (void)state;
    static const struct ic_version ancient[] = {{0, 9}};
    const struct guest g = {linux_fw, ancient, 2, 1};
    VMBCHANNEL ch;
    assert_int_equal(shutdown_create(&sd_cfg, 2, &ch), STATUS_SUCCESS);
    guest_opens(ch);
    answer_last(ch, &g);
    advance(2 * NS_PER_S);
    expect_log("hv: ic: sd: shutdown_after=2s reached, but the guest shares no shutdown version "
               "with us: it cannot be asked to power off\n");
    assert_int_equal(F(ch)->nsent, 1);
}

static void shutdown_never(void **state)
{
    (void)state;
    VMBCHANNEL ch;
    assert_int_equal(shutdown_create(&sd_cfg, 0, &ch), STATUS_SUCCESS);
    guest_opens(ch);
    answer_last(ch, &hv_utils_sd);
    advance(1000 * NS_PER_S);
    assert_int_equal(F(ch)->nsent, 1);
    assert_int_equal(log_count("power off"), 0);
}

/* --- timesync ------------------------------------------------------------------------------ */
static uint64_t filetime_now(void)
{
    return (1700000000ull * NS_PER_S + clock_ns()) / 100 + 116444736000000000ull;
}

static void timesync_v4(void **state)
{
    (void)state;
    VMBCHANNEL ch;
    assert_int_equal(timesync_create(&ts_cfg, reference_clock, &reference_time, &ch),
                     STATUS_SUCCESS);
    assert_true(guid_equal(&F(ch)->type, &timesync_class));
    ticks += 123456789; /* 0.123456789 s after the start */
    guest_opens(ch);
    reference_time = 987654321;
    answer_last(ch, &hv_utils_ts);
    expect_log("hv: ic: ts: negotiated framework 3.0, timesync 4.0\n");
    expect_log("hv: ic: ts: timesync: sent SYNC 1700000000.123 (unix time), message version 4.0\n");

    const struct fake_sent *r = last(ch);
    assert_int_equal(r->len, IC_HDR_SIZE + 22);
    struct ic_frame_hdr h = header_of(r);
    assert_int_equal(h.msg.type, IC_MSG_TIMESYNC);
    assert_true(same(h.msg.version, (struct ic_version){4, 0}));
    assert_int_equal(h.msg.size, 22);
    struct ic_timesync_ref t;
    memcpy(&t, r->data + IC_HDR_SIZE, sizeof(t));
    assert_int_equal(t.parent_time, filetime_now());
    assert_int_equal(t.parent_time, 133444736001234567ull); /* 2023-11-14 22:13:20.1234567 */
    assert_int_equal(t.vm_reference_time, 987654321);
    assert_int_equal(t.flags, IC_TIMESYNC_FLAG_SYNC);
    assert_int_equal(t.leap_flags, 0);
    assert_int_equal(t.stratum, 0);
    answer_last(ch, &hv_utils_ts);

    advance(5 * NS_PER_S);
    r = last(ch);
    memcpy(&t, r->data + IC_HDR_SIZE, sizeof(t));
    assert_int_equal(t.flags, IC_TIMESYNC_FLAG_SAMPLE);
    assert_int_equal(t.parent_time, 133444736001234567ull + 50000000ull);
    assert_int_equal(log_count("sent SYNC"), 1);
    /* unanswered: the next period is skipped */
    unsigned n = F(ch)->nsent;
    advance(5 * NS_PER_S);
    assert_int_equal(F(ch)->nsent, n);
    answer_last(ch, &hv_utils_ts);
    advance(5 * NS_PER_S);
    assert_int_equal(F(ch)->nsent, n + 1);
    assert_int_equal(ic_stats.timesyncs, 3);
    assert_int_equal(ic_stats.rejected, 0);

    /* a reopen syncs again */
    guest_closes(ch);
    guest_opens(ch);
    answer_last(ch, &hv_utils_ts);
    memcpy(&t, last(ch)->data + IC_HDR_SIZE, sizeof(t));
    assert_int_equal(t.flags, IC_TIMESYNC_FLAG_SYNC);
}

static void timesync_v3(void **state)
{
    (void)state;
    static const struct ic_version older[] = {{3, 0}, {1, 0}};
    const struct guest g = {linux_fw, older, 2, 2};
    VMBCHANNEL ch;
    assert_int_equal(timesync_create(&ts_cfg, reference_clock, &reference_time, &ch),
                     STATUS_SUCCESS);
    guest_opens(ch);
    answer_last(ch, &g);
    expect_log("hv: ic: ts: negotiated framework 3.0, timesync 3.0\n");
    const struct fake_sent *r = last(ch);
    assert_int_equal(r->len, IC_HDR_SIZE + 25);
    assert_true(same(header_of(r).msg.version, (struct ic_version){3, 0}));
    struct ic_timesync t;
    memcpy(&t, r->data + IC_HDR_SIZE, sizeof(t));
    assert_int_equal(t.parent_time, filetime_now());
    assert_int_equal(t.child_time, 0);
    assert_int_equal(t.round_trip_time, 0);
    assert_int_equal(t.flags, IC_TIMESYNC_FLAG_SYNC);
}

static void timesync_without_wall_clock(void **state)
{
    (void)state;
    clock_init(counter, NS_PER_S, 0); /* the RTC was unreadable */
    VMBCHANNEL ch;
    assert_int_equal(timesync_create(&ts_cfg, reference_clock, &reference_time, &ch),
                     STATUS_SUCCESS);
    guest_opens(ch);
    answer_last(ch, &hv_utils_ts);
    advance(20 * NS_PER_S);
    assert_int_equal(F(ch)->nsent, 1);
    assert_int_equal(log_count("hv: ic: ts: no host wall clock (the RTC could not be read): no "
                               "time sent\n"),
                     1);
}

static void summary(void **state)
{
    (void)state;
    ic_stats = (struct ic_stats){12, 3, 7, 1, 2};
    char buf[256];
    size_t n = ic_summary(buf, sizeof(buf));
    assert_string_equal(buf, " ic_heartbeats=12 ic_heartbeats_missed=3 ic_timesyncs=7"
                             " ic_shutdowns=1 ic_rejected=2");
    assert_int_equal(n, strlen(buf));
    assert_int_equal(ic_summary(buf, 8), n); /* the length it would have */
}

/* --- the trace decoder ---------------------------------------------------------- */

/* What the ICs' decoder makes of exactly len bytes: fake_decode_checked's full line, failing the
 * test otherwise. */
static const char *decoded(const void *pkt, size_t len)
{
    const char *why, *line = fake_decode_checked(ic_trace_decode, pkt, len, &why);
    if (!line)
        fail_msg("%s", why);
    return line;
}

/* Every prefix of a packet decodes (shorter than its layout: "malformed"). */
static void every_prefix(const void *pkt, size_t len, size_t layout)
{
    for (size_t l = 0; l < len; l++) {
        const char *t = decoded(pkt, l);
        if (l < layout && !strstr(t, "malformed") && !strstr(t, "message cut"))
            fail_msg("%zu of %zu bytes decode without saying so: %s", l, len, t);
    }
}

static uint32_t answer_bytes(const struct guest *g, const struct fake_sent *r, uint8_t *out)
{
    return linux_answer(g, r, out);
}

static void trace_decoder(void **state)
{
    (void)state;
    static uint8_t ans[VMBUS_MAX_PACKET_SIZE];
    VMBCHANNEL hb;
    assert_int_equal(heartbeat_create(&hb_cfg, &hb), STATUS_SUCCESS);
    assert_ptr_equal(F(hb)->decode, ic_trace_decode); /* every IC registers it */
    guest_opens(hb);
    const struct fake_sent *r = last(hb);
    assert_string_equal(decoded(r->data, r->len),
                        "ic negotiate 0.0 request status=S_OK framework=3.0,1.0 versions=3.0,1.0");
    every_prefix(r->data, r->len, r->len);
    uint32_t n = answer_bytes(&hv_utils_hb, r, ans);
    assert_string_equal(decoded(ans, n),
                        "ic negotiate 0.0 response status=S_OK framework=3.0 versions=3.0");
    every_prefix(ans, n, IC_HDR_SIZE + 16);
    answer_last(hb, &hv_utils_hb);
    r = last(hb);
    assert_string_equal(decoded(r->data, r->len), "ic heartbeat 3.0 request status=S_OK seq=1");
    n = answer_bytes(&hv_utils_hb, r, ans);
    assert_string_equal(decoded(ans, n), "ic heartbeat 3.0 response status=S_OK seq=2");
    every_prefix(ans, n, IC_HDR_SIZE + 8);

    VMBCHANNEL sd;
    assert_int_equal(shutdown_create(&sd_cfg, 1, &sd), STATUS_SUCCESS);
    assert_ptr_equal(F(sd)->decode, ic_trace_decode);
    guest_opens(sd);
    assert_string_equal(decoded(last(sd)->data, last(sd)->len),
                        "ic negotiate 0.0 request status=S_OK framework=3.0,1.0 "
                        "versions=3.2,3.1,3.0,1.0");
    answer_last(sd, &hv_utils_sd);
    advance(2 * NS_PER_S);
    r = last(sd);
    assert_string_equal(decoded(r->data, r->len),
                        "ic shutdown 3.2 request status=S_OK flags=0x0 (poweroff) reason=0x0 "
                        "timeout=0");
    every_prefix(r->data, IC_HDR_SIZE + 13, IC_HDR_SIZE + 12);
    assert_string_equal(decoded(r->data, IC_HDR_SIZE + 100),
                        "ic shutdown 3.2 request status=S_OK flags=0x0 (poweroff) reason=0x0 "
                        "timeout=0 (message cut: body 100 of 2060 bytes)");
    uint8_t pkt[IC_HDR_SIZE + sizeof(struct ic_shutdown)];
    memcpy(pkt, r->data, sizeof(pkt));
    const uint32_t fields[3] = {0x80020003u, 30, IC_SHUTDOWN_FLAG_FORCE | IC_SHUTDOWN_FLAG_REBOOT};
    memcpy(pkt + IC_HDR_SIZE, fields, sizeof(fields));
    pkt[IC_HDR_SIZE - 3] = IC_FLAG_TRANSACTION | IC_FLAG_RESPONSE;
    const uint32_t fail = IC_E_FAIL;
    memcpy(pkt + 20, &fail, 4);
    assert_string_equal(decoded(pkt, sizeof(pkt)),
                        "ic shutdown 3.2 response status=E_FAIL flags=0x3 (reboot,force) "
                        "reason=0x80020003 timeout=30");

    VMBCHANNEL ts;
    assert_int_equal(timesync_create(&ts_cfg, reference_clock, &reference_time, &ts),
                     STATUS_SUCCESS);
    assert_ptr_equal(F(ts)->decode, ic_trace_decode);
    ticks += 123456789;
    guest_opens(ts);
    reference_time = 987654321;
    answer_last(ts, &hv_utils_ts);
    r = last(ts);
    assert_string_equal(decoded(r->data, r->len),
                        "ic timesync 4.0 request status=S_OK time=1700000002.1234567 "
                        "ref=987654321 flags=sync(0x1) leap=0 stratum=0");
    every_prefix(r->data, r->len, r->len);
    /* the 3.0 layout, and a time before 1970 */
    uint8_t v3[IC_HDR_SIZE + sizeof(struct ic_timesync)];
    memcpy(v3, r->data, IC_HDR_SIZE);
    const struct ic_version three = {3, 0};
    memcpy(v3 + 14, &three, 4);
    struct ic_timesync t = {IC_FILETIME_UNIX_EPOCH + 15, 7, 9, IC_TIMESYNC_FLAG_SAMPLE};
    memcpy(v3 + IC_HDR_SIZE, &t, sizeof(t));
    assert_string_equal(decoded(v3, sizeof(v3)),
                        "ic timesync 3.0 request status=S_OK time=0.0000015 child=7 rtt=9 "
                        "flags=sample(0x2)");
    every_prefix(v3, sizeof(v3), sizeof(v3));
    t.parent_time = 5;
    t.flags = 9;
    memcpy(v3 + IC_HDR_SIZE, &t, sizeof(t));
    assert_string_equal(decoded(v3, sizeof(v3)),
                        "ic timesync 3.0 request status=S_OK time=filetime:5 child=7 rtt=9 "
                        "flags=unknown(0x9)");

    /* hostile: counts past the body, above 100, an unknown kind, odd flags */
    uint8_t neg[IC_HDR_SIZE + 8 + 8];
    memset(neg, 0, sizeof(neg));
    const struct ic_negotiate big = {1, 2, 0};
    memcpy(neg + IC_HDR_SIZE, &big, sizeof(big));
    assert_string_equal(decoded(neg, sizeof(neg)),
                        "ic negotiate 0.0 neither status=S_OK malformed: counts 1+2 run past its "
                        "16-byte body");
    const struct ic_negotiate many = {101, 0, 0};
    memcpy(neg + IC_HDR_SIZE, &many, sizeof(many));
    assert_non_null(strstr(decoded(neg, sizeof(neg)), "malformed: counts 101+0"));
    const struct ic_negotiate none = {0, 0, 0};
    memcpy(neg + IC_HDR_SIZE, &none, sizeof(none));
    assert_string_equal(decoded(neg, sizeof(neg)),
                        "ic negotiate 0.0 neither status=S_OK framework=none versions=none");
    neg[12] = 9;
    neg[25] = 0xf4;
    neg[20] = 0x42;
    assert_string_equal(decoded(neg, sizeof(neg)),
                        "ic type=9 0.0 response icflags=0xf4 status=0x00000042 (16 body bytes)");
    assert_string_equal(decoded(neg, 3), "ic malformed: 3 bytes, shorter than the 28-byte header");
    assert_int_equal(ic_trace_decode(NULL, 0, NULL, 0), 0);

    /* random bytes of every length, with the IC types likely */
    srand(44);
    for (unsigned i = 0; i < 3000; i++) {
        uint8_t rnd[IC_HDR_SIZE + 96];
        for (size_t k = 0; k < sizeof(rnd); k++)
            rnd[k] = (uint8_t)rand();
        rnd[12] = (uint8_t)(rand() % 6);
        rnd[13] = 0;
        rnd[14] = (uint8_t)(rand() % 6);
        decoded(rnd, (size_t)rand() % sizeof(rnd));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(framing, setup),
        cmocka_unit_test_setup(negotiate_request_bytes, setup),
        cmocka_unit_test_setup(negotiate_answers, setup),
        cmocka_unit_test_setup(heartbeat_session, setup),
        cmocka_unit_test_setup(heartbeat_hostile_answers, setup),
        cmocka_unit_test_setup(heartbeat_no_common_version, setup),
        cmocka_unit_test_setup(heartbeat_bad_version_fault, setup),
        cmocka_unit_test_setup(malformed_negotiation, setup),
        cmocka_unit_test_setup(close_and_reopen, setup),
        cmocka_unit_test_setup(negotiate_waits_for_room, setup),
        cmocka_unit_test_setup(shutdown_message, setup),
        cmocka_unit_test_setup(shutdown_refused, setup),
        cmocka_unit_test_setup(shutdown_before_the_guest_is_there, setup),
        cmocka_unit_test_setup(shutdown_answered_is_not_asked_again, setup),
        cmocka_unit_test_setup(shutdown_without_common_version, setup),
        cmocka_unit_test_setup(shutdown_never, setup),
        cmocka_unit_test_setup(timesync_v4, setup),
        cmocka_unit_test_setup(timesync_v3, setup),
        cmocka_unit_test_setup(timesync_without_wall_clock, setup),
        cmocka_unit_test_setup(summary, setup),
        cmocka_unit_test_setup(trace_decoder, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
