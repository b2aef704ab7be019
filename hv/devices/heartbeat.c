/* The heartbeat IC (contract §8.3): once the guest agreed on versions, a
 * request every second with the next sequence number; Linux answers with the
 * sequence + 1. A period that ends with the request still unanswered is a
 * miss; no second request is stacked behind it. Counts are logged at 1, 10,
 * 100, ... so a long run stays quiet; the summary line has the totals. */
#include "devices/heartbeat.h"

#include "devices/ic_channel.h"
#include "lib/log.h"
#include "lib/mem.h"

#define HEARTBEAT_PERIOD_NS 1000000000ull

/* 57164f39-9115-4e78-ab55-382f3bd5422d */
const GUID heartbeat_class = {
    0x57164f39, 0x9115, 0x4e78, {0xab, 0x55, 0x38, 0x2f, 0x3b, 0xd5, 0x42, 0x2d}};

static const struct ic_version versions[] = {{3, 0}, {1, 0}};

static struct {
    struct ic_channel ic;
    struct hv_timer tick;
    uint64_t sequence; /* of the last request */
    uint64_t answered, missed;
    bool send_failed_logged;
} hb;

/* 1, 10, 100, ...: the counts worth a log line. */
static bool decade(uint64_t n)
{
    while (n >= 10 && n % 10 == 0)
        n /= 10;
    return n == 1;
}

static void beat(void)
{
    struct ic_heartbeat body;
    memset(&body, 0, sizeof(body));
    body.sequence = hb.sequence + 1;
    NTSTATUS s = ic_request(&hb.ic, &body, sizeof(body));
    if (NT_SUCCESS(s)) {
        hb.sequence = body.sequence;
    } else if (!hb.send_failed_logged) {
        hb.send_failed_logged = true;
        hv_log("ic", "%s: heartbeat not sent: status 0x%08x", hb.ic.name, (UINT32)s);
    }
}

static void tick(struct hv_timer *t, uint64_t now)
{
    if (hb.ic.state != IC_READY)
        return; /* ready() starts the beat again */
    timer_arm(t, now + HEARTBEAT_PERIOD_NS);
    if (!hb.ic.busy) {
        beat();
        return;
    }
    hb.missed++;
    ic_stats.heartbeats_missed++;
    if (decade(hb.missed))
        hv_log("ic", "%s: heartbeat: missed %llu, answered %llu", hb.ic.name,
               (unsigned long long)hb.missed, (unsigned long long)hb.answered);
}

static void ready(struct ic_channel *ic)
{
    (void)ic;
    beat();
    timer_arm(&hb.tick, clock_ns() + HEARTBEAT_PERIOD_NS);
}

static void answer(struct ic_channel *ic, const struct ic_msg *m)
{
    uint64_t sequence;
    if (m->body_len < sizeof(sequence)) {
        ic_reject(ic, "heartbeat answer", "shorter than its sequence number");
        return;
    }
    memcpy(&sequence, m->body, sizeof(sequence));
    if (sequence != hb.sequence + 1) {
        ic_reject(ic, "heartbeat answer", "sequence number is not the request's + 1");
        return;
    }
    hb.answered++;
    ic_stats.heartbeats++;
    if (decade(hb.answered))
        hv_log("ic", "%s: heartbeat: answered %llu, missed %llu", ic->name,
               (unsigned long long)hb.answered, (unsigned long long)hb.missed);
}

static void closed(struct ic_channel *ic)
{
    (void)ic;
    timer_cancel(&hb.tick);
}

static const struct ic_service service = {
    .name = "heartbeat",
    .type = IC_MSG_HEARTBEAT,
    .class_id = &heartbeat_class,
    .versions = versions,
    .nversions = sizeof(versions) / sizeof(versions[0]),
    .ready = ready,
    .answer = answer,
    .closed = closed,
};

NTSTATUS heartbeat_create(const struct hv_device_config *d, VMBCHANNEL *out)
{
    timer_cancel(&hb.tick); /* a previous run's (tests create again) */
    memset(&hb, 0, sizeof(hb));
    timer_setup(&hb.tick, tick, NULL);
    NTSTATUS s = ic_channel_create(&hb.ic, &service, d);
    *out = hb.ic.channel;
    return s;
}
