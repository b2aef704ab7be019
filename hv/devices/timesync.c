/* The timesync IC (contract §8.5): after each negotiation one SYNC message
 * (Linux steps its wall clock to it), then a SAMPLE every 5 seconds (Linux
 * keeps it for its PTP clock, and calls a sample older than 600 s stale).
 * The time is the host's wall clock (the RTC read at start-up plus the TSC,
 * lib/timer.h) as Windows FILETIME; message version 4.0 adds the guest's
 * reference counter at the same instant (the clock given at creation), so
 * the guest corrects for the time the message took to reach it. */
#include "devices/timesync.h"

#include "devices/device.h"
#include "devices/ic_channel.h"
#include "lib/log.h"
#include "lib/log_once.h"
#include "lib/mem.h"

#define SAMPLE_PERIOD_NS 5000000000ull

/* 9527e630-d0ae-497b-adce-e80ab0175caf */
const GUID timesync_class = {
    0x9527e630, 0xd0ae, 0x497b, {0xad, 0xce, 0xe8, 0x0a, 0xb0, 0x17, 0x5c, 0xaf}};

static const struct ic_version versions[] = {{4, 0}, {3, 0}, {1, 0}};

static struct ic_channel ic;
static struct {
    uint64_t (*reference_time)(void *ctx);
    void *reference_ctx;
    bool synced; /* this open's SYNC went out */
    struct log_budget no_clock;
} ts;

static NTSTATUS send_time(uint64_t unix_ns, uint8_t flags)
{
    uint64_t filetime = unix_ns / 100 + IC_FILETIME_UNIX_EPOCH;
    if (ic.version.major >= IC_TIMESYNC_REF_MIN_MAJOR) {
        struct ic_timesync_ref body;
        memset(&body, 0, sizeof(body));
        body.parent_time = filetime;
        body.vm_reference_time = ts.reference_time(ts.reference_ctx);
        body.flags = flags;
        return ic_request(&ic, &body, sizeof(body));
    }
    struct ic_timesync body;
    memset(&body, 0, sizeof(body));
    body.parent_time = filetime;
    body.flags = flags;
    return ic_request(&ic, &body, sizeof(body));
}

static void send_sample(void)
{
    uint64_t unix_ns = clock_unix_ns();
    if (!unix_ns) {
        if (log_budget_take(&ts.no_clock))
            hv_log("ic", "%s: no host wall clock (the RTC could not be read): no time sent",
                   ic.name);
        return;
    }
    uint8_t flags = ts.synced ? IC_TIMESYNC_FLAG_SAMPLE : IC_TIMESYNC_FLAG_SYNC;
    NTSTATUS s = send_time(unix_ns, flags);
    if (!NT_SUCCESS(s))
        return; /* the next period tries again */
    ic_stats.timesyncs++;
    if (!ts.synced)
        hv_log("ic", "%s: timesync: sent SYNC %llu.%03llu (unix time), message version %u.%u",
               ic.name, (unsigned long long)(unix_ns / 1000000000ull),
               (unsigned long long)(unix_ns / 1000000ull % 1000), ic.version.major,
               ic.version.minor);
    ts.synced = true;
}

static void tick(struct ic_channel *c)
{
    if (!c->busy)
        send_sample(); /* else the guest still has the last one: skip this period */
}

static void ready(struct ic_channel *c)
{
    (void)c;
    ts.synced = false;
    send_sample();
}

static void answer(struct ic_channel *c, const struct ic_msg *m)
{
    if (m->status != IC_S_OK)
        ic_reject(c, "timesync answer", "the guest reports a failure status");
}

static const struct ic_service service = {
    .name = "timesync",
    .type = IC_MSG_TIMESYNC,
    .class_id = &timesync_class,
    .versions = versions,
    .nversions = sizeof(versions) / sizeof(versions[0]),
    .ready = ready,
    .period_ns = SAMPLE_PERIOD_NS,
    .tick = tick,
    .answer = answer,
};

NTSTATUS timesync_create(const struct hv_device_config *d, uint64_t (*reference_time)(void *ctx),
                         void *reference_ctx, VMBCHANNEL *out)
{
    memset(&ts, 0, sizeof(ts));
    ts.no_clock = (struct log_budget)LOG_BUDGET(1, "");
    ts.reference_time = reference_time;
    ts.reference_ctx = reference_ctx;
    return ic_channel_create(&ic, &service, d, out);
}

static NTSTATUS create(const struct device *d, VMBCHANNEL *out)
{
    return timesync_create(d->cfg, d->env->reference_time, d->env->reference_ctx, out);
}

const struct device_kind timesync_kind = {
    .name = "timesync",
    .single = true,
    .create = create,
    .summary = ic_summary,
};
