/* The heartbeat IC (contract §8.3): once the guest agreed on versions, a
 * request every second with the next sequence number; Linux answers with the
 * sequence + 1. A period that ends with the request still unanswered is a
 * miss; no second request is stacked behind it. Counts are logged at 1, 10,
 * 100, ... so a long run stays quiet; the summary line has the totals. */
#include "devices/heartbeat.h"

#include "devices/device.h"
#include "devices/ic_channel.h"
#include "lib/log.h"
#include "lib/log_once.h"
#include "lib/mem.h"

#define HEARTBEAT_PERIOD_NS 1000000000ull

/* 57164f39-9115-4e78-ab55-382f3bd5422d */
const GUID heartbeat_class = {
    0x57164f39, 0x9115, 0x4e78, {0xab, 0x55, 0x38, 0x2f, 0x3b, 0xd5, 0x42, 0x2d}};

static const struct ic_version versions[] = {{3, 0}, {1, 0}};

static struct ic_channel ic;
static struct {
    uint64_t sequence; /* of the last request */
    uint64_t answered, missed;
    struct log_budget send_failed;
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
    NTSTATUS s = ic_request(&ic, &body, sizeof(body));
    if (NT_SUCCESS(s)) {
        hb.sequence = body.sequence;
    } else if (log_budget_take(&hb.send_failed)) {
        hv_log("ic", "%s: heartbeat not sent: status 0x%08x", ic.name, (UINT32)s);
    }
}

/* A period ended: the next request, or a miss if the last is unanswered. */
static void tick(struct ic_channel *c)
{
    if (!c->busy) {
        beat();
        return;
    }
    hb.missed++;
    ic_stats.heartbeats_missed++;
    if (decade(hb.missed))
        hv_log("ic", "%s: heartbeat: missed %llu, answered %llu", c->name,
               (unsigned long long)hb.missed, (unsigned long long)hb.answered);
}

static void ready(struct ic_channel *c)
{
    (void)c;
    beat();
}

static void answer(struct ic_channel *c, const struct ic_msg *m)
{
    uint64_t sequence;
    if (m->body_len < sizeof(sequence)) {
        ic_reject(c, "heartbeat answer", "shorter than its sequence number");
        return;
    }
    memcpy(&sequence, m->body, sizeof(sequence));
    if (sequence != hb.sequence + 1) {
        ic_reject(c, "heartbeat answer", "sequence number is not the request's + 1");
        return;
    }
    hb.answered++;
    ic_stats.heartbeats++;
    if (decade(hb.answered))
        hv_log("ic", "%s: heartbeat: answered %llu, missed %llu", c->name,
               (unsigned long long)hb.answered, (unsigned long long)hb.missed);
}

static const struct ic_service service = {
    .name = "heartbeat",
    .type = IC_MSG_HEARTBEAT,
    .class_id = &heartbeat_class,
    .versions = versions,
    .nversions = sizeof(versions) / sizeof(versions[0]),
    .ready = ready,
    .period_ns = HEARTBEAT_PERIOD_NS,
    .tick = tick,
    .answer = answer,
};

NTSTATUS heartbeat_create(const struct hv_device_config *d, VMBCHANNEL *out)
{
    memset(&hb, 0, sizeof(hb));
    hb.send_failed = (struct log_budget)LOG_BUDGET(1, "");
    return ic_channel_create(&ic, &service, d, out);
}

static NTSTATUS create(const struct device *d, VMBCHANNEL *out)
{
    return heartbeat_create(d->cfg, out);
}

const struct device_kind heartbeat_kind = {
    .name = "heartbeat",
    .single = true,
    .create = create,
    .summary = ic_summary,
};
