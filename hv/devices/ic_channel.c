/* The channel side of every IC device. The host starts every conversation
 * (contract §8.2): after each open it offers its versions, and only once the
 * guest agreed does the service talk. One request is out at a time: hv_utils
 * reads one packet per interrupt on some channels (shutdown), and a packet
 * written behind an unread one raises no interrupt, so a second request
 * could sit unseen. */
#include "devices/ic_channel.h"

#include "lib/fmt.h"
#include "lib/log.h"
#include "lib/log_once.h"
#include "lib/mem.h"

#define IC_REJECTS_LOGGED 4u
/* The longest request: the shutdown message. */
#define IC_MAX_REQUEST (IC_HDR_SIZE + sizeof(struct ic_shutdown))

struct ic_stats ic_stats;

void ic_reject(struct ic_channel *ic, const char *what, const char *why)
{
    ic_stats.rejected++;
    if (log_budget_take(&ic->rejects))
        hv_log("ic", "%s: rejected %s: %s", ic->name, what, why);
}

bool ic_can_send(const struct ic_channel *ic)
{
    return ic->state == IC_READY && !ic->busy;
}

static NTSTATUS send_packet(struct ic_channel *ic, const uint8_t *pkt, uint32_t len, uint16_t type)
{
    NTSTATUS s = VmbChannelSendPacket(ic->channel, pkt, len, ic->next_id);
    if (NT_SUCCESS(s)) {
        ic->busy = true;
        ic->busy_type = type;
        ic->busy_id = ic->next_id++;
    }
    return s;
}

NTSTATUS ic_request(struct ic_channel *ic, const void *body, uint16_t len)
{
    static uint8_t pkt[IC_MAX_REQUEST];
    if (!ic_can_send(ic))
        return STATUS_INVALID_DEVICE_STATE;
    if (len > sizeof(pkt) - IC_HDR_SIZE)
        return STATUS_INVALID_PARAMETER;
    ic_put_header(pkt, ic->svc->type, ic->framework, ic->version, len);
    memcpy(pkt + IC_HDR_SIZE, body, len);
    return send_packet(ic, pkt, IC_HDR_SIZE + len, ic->svc->type);
}

/* Runs from the timer list, after the exit that opened the channel: the
 * negotiate request never goes out from inside the guest's OPENCHANNEL. */
static void start_negotiation(struct hv_timer *t, uint64_t now)
{
    struct ic_channel *ic = t->ctx;
    uint8_t pkt[IC_HDR_SIZE + sizeof(struct ic_negotiate) +
                (IC_FRAMEWORK_VERSION_COUNT + IC_MAX_VERSION_COUNT) * sizeof(struct ic_version)];
    if (ic->state != IC_NEGOTIATING || ic->busy)
        return;
    ic->offer = ic->svc->versions;
    ic->noffer = ic->svc->nversions;
    UINT32 bad = VmbChannelFaultVersion(ic->channel);
    if (bad) { /* a fault: one version the guest did not ask for */
        ic->fault_offer = (struct ic_version){(uint16_t)(bad >> 16), (uint16_t)bad};
        ic->offer = &ic->fault_offer;
        ic->noffer = 1;
    }
    uint32_t len = ic_build_negotiate(pkt, sizeof(pkt), ic->offer, ic->noffer);
    NTSTATUS s = send_packet(ic, pkt, len, IC_MSG_NEGOTIATE);
    if (s == STATUS_INSUFFICIENT_RESOURCES) {
        timer_arm(t, now + 10000000ull); /* the guest left the fresh ring full: try in 10 ms */
    } else if (!NT_SUCCESS(s)) {
        ic->state = IC_FAILED;
        hv_log("ic", "%s: negotiate request not sent: status 0x%08x", ic->name, (UINT32)s);
    }
}

static void period_tick(struct hv_timer *t, uint64_t now)
{
    struct ic_channel *ic = t->ctx;
    if (ic->state != IC_READY)
        return; /* the next ready arms it again */
    timer_arm(t, now + ic->svc->period_ns);
    ic->svc->tick(ic);
}

static NTSTATUS opened(VMBCHANNEL channel)
{
    struct ic_channel *ic = VmbChannelGetPointer(channel);
    ic->state = IC_NEGOTIATING;
    ic->busy = false;
    timer_arm(&ic->start, clock_ns());
    return STATUS_SUCCESS;
}

static void closed(VMBCHANNEL channel)
{
    struct ic_channel *ic = VmbChannelGetPointer(channel);
    timer_cancel(&ic->start);
    timer_cancel(&ic->period);
    ic->state = IC_CLOSED;
    ic->busy = false;
    if (ic->svc->closed)
        ic->svc->closed(ic);
}

/* "framework 3.0 1.0, heartbeat 3.0 1.0" */
static void offered_text(const struct ic_channel *ic, char *out, size_t cap)
{
    size_t n = (size_t)fmt_snprintf(out, cap, "framework");
    for (unsigned i = 0; i < IC_FRAMEWORK_VERSION_COUNT && n < cap; i++)
        n += (size_t)fmt_snprintf(out + n, cap - n, " %u.%u", ic_framework_versions[i].major,
                                  ic_framework_versions[i].minor);
    if (n < cap)
        n += (size_t)fmt_snprintf(out + n, cap - n, ", %s", ic->svc->name);
    for (unsigned i = 0; i < ic->noffer && n < cap; i++)
        n += (size_t)fmt_snprintf(out + n, cap - n, " %u.%u", ic->offer[i].major,
                                  ic->offer[i].minor);
}

static void negotiated(struct ic_channel *ic, const struct ic_msg *m)
{
    const char *why = NULL;
    char offer[96];
    switch (ic_negotiate_answer(m, ic->offer, ic->noffer, &ic->framework, &ic->version, &why)) {
    case IC_NEGOTIATED:
        ic->state = IC_READY;
        hv_log("ic", "%s: negotiated framework %u.%u, %s %u.%u", ic->name, ic->framework.major,
               ic->framework.minor, ic->svc->name, ic->version.major, ic->version.minor);
        ic->svc->ready(ic);
        if (ic->svc->period_ns)
            timer_arm(&ic->period, clock_ns() + ic->svc->period_ns);
        return;
    case IC_NO_COMMON_VERSION:
        ic->state = IC_FAILED;
        offered_text(ic, offer, sizeof(offer));
        hv_log("ic", "%s: no common version: the guest accepted none of %s; channel unused",
               ic->name, offer);
        return;
    case IC_NEGOTIATE_BAD:
        ic->state = IC_FAILED;
        ic_reject(ic, "negotiate answer", why);
        return;
    }
}

static void process(VMBCHANNEL channel, const VOID *buffer, UINT32 length, UINT16 type,
                    UINT64 transaction_id)
{
    struct ic_channel *ic = VmbChannelGetPointer(channel);
    struct ic_msg m;
    const char *why = NULL;
    if (type != VMB_PACKET_TYPE_DATA_INBAND) {
        ic_reject(ic, "packet", "not in-band data");
        return;
    }
    if (ic_parse(buffer, length, &m, &why)) {
        ic_reject(ic, "packet", why);
        return;
    }
    if (!(m.flags & IC_FLAG_RESPONSE)) {
        ic_reject(ic, "packet", "not a response");
        return;
    }
    if (!ic->busy || transaction_id != ic->busy_id) {
        ic_reject(ic, "answer", "no request with its transaction id is outstanding");
        return;
    }
    if (m.type != ic->busy_type) {
        ic_reject(ic, "answer", "message type differs from the request's");
        return;
    }
    ic->busy = false;
    if (m.type == IC_MSG_NEGOTIATE)
        negotiated(ic, &m);
    else
        ic->svc->answer(ic, &m);
}

NTSTATUS ic_channel_create(struct ic_channel *ic, const struct ic_service *svc,
                           const struct hv_device_config *d, VMBCHANNEL *out)
{
    static const VMB_CHANNEL_STATE_CHANGE_CALLBACKS callbacks = {opened, closed};
    timer_cancel(&ic->start); /* ic is zeroed or a previous channel's (tests create again) */
    timer_cancel(&ic->period);
    memset(ic, 0, sizeof(*ic));
    ic->rejects = (struct log_budget)LOG_BUDGET(IC_REJECTS_LOGGED, "");
    ic->svc = svc;
    memcpy(ic->name, d->name, sizeof(ic->name));
    ic->name[sizeof(ic->name) - 1] = '\0';
    ic->next_id = 1;
    timer_setup(&ic->start, start_negotiation, ic);
    timer_setup(&ic->period, period_tick, ic);

    GUID instance;
    guid_for_device(&instance, d->instance, svc->class_id, d->name);

    NTSTATUS s = VmbChannelAllocate(ic, TRUE, &ic->channel);
    if (!NT_SUCCESS(s)) {
        *out = NULL;
        return s;
    }
    s = VmbChannelInitSetFriendlyName(ic->channel, d->name);
    if (NT_SUCCESS(s))
        s = VmbServerChannelInitSetTargetInterfaceId(ic->channel, svc->class_id, &instance);
    if (NT_SUCCESS(s))
        s = VmbChannelInitSetStateChangeCallbacks(ic->channel, &callbacks);
    if (NT_SUCCESS(s))
        s = VmbChannelInitSetProcessPacketCallback(ic->channel, process);
    if (NT_SUCCESS(s))
        s = VmbChannelInitSetTraceDecoder(ic->channel, ic_trace_decode);
    if (!NT_SUCCESS(s)) {
        VmbChannelCleanup(ic->channel);
        ic->channel = NULL;
    }
    *out = ic->channel;
    return s;
}

size_t ic_summary(char *buf, size_t cap)
{
    int n = fmt_snprintf(
        buf, cap,
        " ic_heartbeats=%llu ic_heartbeats_missed=%llu ic_timesyncs=%llu"
        " ic_shutdowns=%llu ic_rejected=%llu",
        (unsigned long long)ic_stats.heartbeats, (unsigned long long)ic_stats.heartbeats_missed,
        (unsigned long long)ic_stats.timesyncs, (unsigned long long)ic_stats.shutdowns,
        (unsigned long long)ic_stats.rejected);
    return n < 0 ? 0 : (size_t)n;
}
