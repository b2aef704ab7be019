/* The shutdown IC (contract §8.4): when shutdown_after runs out, one request
 * "power off" to the guest, whose hv_utils answers and starts its orderly
 * power-off (/sbin/poweroff), which ends the run with the ACPI S5 write.
 * A deadline before the guest opened the channel or agreed on versions is
 * remembered: the request goes as soon as it can, and the log says why it
 * waits. */
#include "devices/shutdown.h"

#include "devices/device.h"
#include "devices/ic_channel.h"
#include "lib/log.h"
#include "lib/mem.h"

#define NS_PER_S       1000000000ull
#define RETRY_NS       NS_PER_S /* after a full ring */
#define POWER_OFF_FLAG 0u       /* not IC_SHUTDOWN_FLAG_REBOOT/HIBERNATE; Linux forces anyway */

/* 0e0b6031-5213-4934-818b-38d90ced39db */
const GUID shutdown_class = {
    0x0e0b6031, 0x5213, 0x4934, {0x81, 0x8b, 0x38, 0xd9, 0x0c, 0xed, 0x39, 0xdb}};

/* Linux 6.1 knows all four; their message is the same. */
static const struct ic_version versions[] = {{3, 2}, {3, 1}, {3, 0}, {1, 0}};

static struct ic_channel ic;
static struct {
    struct hv_timer due;
    uint32_t after_s;
    bool requested; /* the deadline passed */
    bool sent, answered;
} sd;

static void ask(void)
{
    /* Reason 0 and no display message: Linux reads only the flags. */
    static struct ic_shutdown body;
    memset(&body, 0, sizeof(body));
    body.flags = POWER_OFF_FLAG;
    NTSTATUS s = ic_request(&ic, &body, sizeof(body));
    if (NT_SUCCESS(s)) {
        sd.sent = true;
        ic_stats.shutdowns++;
        hv_log("ic", "%s: asking the guest to power off (shutdown_after=%us)", ic.name, sd.after_s);
        return;
    }
    hv_log("ic", "%s: shutdown request not sent: status 0x%08x", ic.name, (UINT32)s);
    if (s == STATUS_INSUFFICIENT_RESOURCES)
        timer_arm(&sd.due, clock_ns() + RETRY_NS);
}

static void due(struct hv_timer *t, uint64_t now)
{
    (void)t;
    (void)now;
    bool first = !sd.requested;
    sd.requested = true;
    if (sd.sent)
        return;
    /* Why the request cannot go now, said once (log lines in docs/ics.md). */
    static const char *const waiting[] = {
        [IC_CLOSED] = ", but the guest has not opened the shutdown channel (hv_utils not "
                      "loaded?): the request waits for it",
        [IC_NEGOTIATING] = ": the request follows the version negotiation",
        [IC_FAILED] = ", but the guest shares no shutdown version with us: it cannot be asked "
                      "to power off",
    };
    if (ic.state == IC_READY)
        ask();
    else if (first)
        hv_log("ic", "%s: shutdown_after=%us reached%s", ic.name, sd.after_s, waiting[ic.state]);
}

static void ready(struct ic_channel *c)
{
    (void)c;
    if (sd.requested && !sd.sent)
        ask();
}

static void answer(struct ic_channel *c, const struct ic_msg *m)
{
    sd.answered = true;
    if (m->status == IC_S_OK)
        hv_log("ic", "%s: the guest accepted the shutdown request", c->name);
    else
        hv_log("ic", "%s: the guest refused the shutdown request: status 0x%08x", c->name,
               m->status);
}

/* A request the guest never answered is asked again when it reopens. */
static void closed(struct ic_channel *c)
{
    (void)c;
    if (sd.sent && !sd.answered)
        sd.sent = false;
}

static const struct ic_service service = {
    .name = "shutdown",
    .type = IC_MSG_SHUTDOWN,
    .class_id = &shutdown_class,
    .versions = versions,
    .nversions = sizeof(versions) / sizeof(versions[0]),
    .ready = ready,
    .answer = answer,
    .closed = closed,
};

NTSTATUS shutdown_create(const struct hv_device_config *d, uint32_t after_s, VMBCHANNEL *out)
{
    timer_cancel(&sd.due); /* a previous run's (tests create again) */
    memset(&sd, 0, sizeof(sd));
    sd.after_s = after_s;
    timer_setup(&sd.due, due, NULL);
    NTSTATUS s = ic_channel_create(&ic, &service, d, out);
    if (NT_SUCCESS(s) && after_s)
        timer_arm(&sd.due, clock_ns() + (uint64_t)after_s * NS_PER_S);
    return s;
}

static NTSTATUS create(const struct device *d, VMBCHANNEL *out)
{
    return shutdown_create(d->cfg, d->env->shutdown_after, out);
}

/* hv.cfg's shutdown_after is this kind's alone: said when nothing uses it. */
static void created(const struct device_env *env, unsigned n)
{
    if (env->shutdown_after && !n)
        hv_log("devices", "shutdown_after=%u set, but no shutdown device is configured: ignored",
               env->shutdown_after);
}

const struct device_kind shutdown_kind = {
    .name = "shutdown",
    .single = true,
    .create = create,
    .created = created,
    .summary = ic_summary,
};
