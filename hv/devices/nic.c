/* The `nic` device kind: a synthetic network adapter for the guest's stock
 * hv_netvsc, the NVSP / RNDIS engine (netvsp.c) over KMCL, backed by the
 * machine's first virtio-net card (hv/drivers/nics.c). At most one:
 *
 *   device = nic name=eth backing=virtio [mac=02:00:00:00:00:01]
 *
 * The guest's frames go to the card's transmit queue; the card's frames,
 * polled after every exit, go into the guest's receive buffer. The MAC is the
 * card's unless mac= gives another (unicast); the link follows the card's
 * (docs/network.md, "The nic device"). */
#include "devices/device.h"
#include "devices/netvsp.h"
#include "drivers/nics.h"
#include "guest_mem.h"
#include "lib/config_words.h"
#include "lib/fmt.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/str.h"
#include "lib/timer.h"

#define PKT_COMPLETION 0xbu      /* VMBus' completion packet: the guest returning a section */
#define LINK_SPEED     100000000 /* 10 Gbit/s, in NDIS' 100 bit/s */
/* The card's link status is a configuration read (an exit to QEMU): read on
 * a timer, not after every exit. Linux debounces carrier changes by 2 s. */
#define LINK_CHECK_NS 150000000ull

static const GUID nic_class = NVSP_NETWORK_GUID; /* Linux's HV_NIC_GUID */

static struct {
    bool created, open;
    bool link_up; /* as last logged and told to the guest */
    const char *name;
    struct hv_timer link_timer;
    VMBCHANNEL channel;
    struct virtio_net *card;
    const struct guest_mem *mem;
    struct netvsp_ops ops;
    struct netvsp s;
    uint64_t tx_dropped;  /* the card refused the guest's frame */
    uint64_t sub_packets; /* packets that came in on a sub-channel */
} nic;

/* --- the engine's ops over KMCL, guest RAM and the card ------------------------------- */

static int send(void *ctx, void *chan, bool completion, const void *buf, uint32_t len,
                uint64_t trans_id)
{
    (void)ctx;
    NTSTATUS s = completion ? VmbChannelSendCompletion(chan, buf, len, trans_id)
                            : VmbChannelSendPacket(chan, buf, len, trans_id);
    return NT_SUCCESS(s) ? 0 : -1;
}

static int send_xfer(void *ctx, void *chan, uint16_t pageset_id, const struct netvsp_xfer_range *r,
                     uint32_t n, const void *msg, uint32_t msg_len, uint64_t trans_id)
{
    (void)ctx;
    VMB_TRANSFER_RANGE kr[NETVSP_BATCH_MAX];
    for (uint32_t i = 0; i < n; i++)
        kr[i] = (VMB_TRANSFER_RANGE){r[i].len, r[i].offset};
    NTSTATUS s = VmbChannelSendTransferPages(chan, pageset_id, kr, n, msg, msg_len, trans_id);
    return NT_SUCCESS(s) ? 0 : -1;
}

static uint8_t *gpa_to_host(void *ctx, uint64_t pfn)
{
    (void)ctx;
    if (pfn >= nic.mem->size / NETVSP_PAGE_SIZE) /* also keeps pfn * 4096 from wrapping */
        return NULL;
    return gmem_ptr(nic.mem, pfn * NETVSP_PAGE_SIZE, NETVSP_PAGE_SIZE);
}

static int gpadl_pages(void *ctx, uint32_t handle, const uint64_t **pfns, uint32_t *count)
{
    (void)ctx;
    VMB_GPA_RANGE r;
    if (!NT_SUCCESS(VmbChannelGetGpadl(nic.channel, handle, &r)) || r.ByteOffset)
        return -1;
    *pfns = r.Pfns;
    *count = r.PfnCount;
    return 0;
}

/* The guest's NVSP 5 subchannel request: it transmits on every channel,
 * each answered on its own; frames for it all go to the primary. */
static int create_subchannels(void *ctx, uint16_t count)
{
    (void)ctx;
    return NT_SUCCESS(VmbChannelCreateSubchannels(nic.channel, count)) ? 0 : -1;
}

static void tx(void *ctx, const uint8_t *frame, uint32_t len)
{
    (void)ctx;
    if (virtio_net_tx(nic.card, frame, len))
        nic.tx_dropped++;
}

/* --- the channel ------------------------------------------------------------------------ */

/* A GPA-direct packet's ranges as the engine takes them; a list KMCL found
 * malformed becomes one the engine refuses (too many ranges), so the guest
 * still gets its failed completion. */
static void receive_gpa(VMBCHANNEL channel, const VOID *buffer, UINT32 length, UINT64 tid)
{
    VMB_GPA_RANGE kr[VMB_MAX_GPA_RANGES];
    struct netvsp_gpa_range r[NETVSP_MAX_RANGES + 1];
    UINT32 n = 0;
    memset(r, 0, sizeof(r));
    if (!NT_SUCCESS(VmbChannelPacketGetGpaRanges(channel, kr, VMB_MAX_GPA_RANGES, &n)) ||
        n > NETVSP_MAX_RANGES) {
        n = NETVSP_MAX_RANGES + 1;
    } else {
        for (UINT32 i = 0; i < n; i++)
            r[i] = (struct netvsp_gpa_range){kr[i].ByteCount, kr[i].ByteOffset, kr[i].PfnCount,
                                             kr[i].Pfns};
    }
    netvsp_receive(&nic.s, channel, false, buffer, length, tid, r, n);
}

/* Inside the guest's signal: each packet in ring order, buffer valid during the call. */
static void process(VMBCHANNEL channel, const VOID *buffer, UINT32 length, UINT16 type,
                    UINT64 transaction_id)
{
    nic.sub_packets += channel != nic.channel;
    switch (type) {
    case VMB_PACKET_TYPE_DATA_INBAND:
        netvsp_receive(&nic.s, channel, false, buffer, length, transaction_id, NULL, 0);
        break;
    case VMB_PACKET_TYPE_DATA_GPA_DIRECT:
        receive_gpa(channel, buffer, length, transaction_id);
        break;
    case PKT_COMPLETION:
        netvsp_receive(&nic.s, channel, true, buffer, length, transaction_id, NULL, 0);
        break;
    default: /* nothing netvsc sends */
        break;
    }
    /* The guest read its ring before it signalled: there may be room again. */
    if (nic.s.pending_count)
        netvsp_ring_ready(&nic.s);
}

static NTSTATUS opened(VMBCHANNEL channel)
{
    (void)channel;
    netvsp_init(&nic.s, &nic.ops);
    netvsp_link(&nic.s, nic.link_up);
    nic.open = true;
    return STATUS_SUCCESS;
}

static void closed(VMBCHANNEL channel)
{
    (void)channel;
    nic.open = false; /* the buffers' GPADLs go with the channel */
}

static void deliver(void *ctx, const uint8_t *frame, uint32_t len)
{
    (void)ctx;
    if (nic.open)
        netvsp_deliver(&nic.s, frame, len);
}

/* The card's link status read, and a change logged and indicated to the
 * guest (when its channel is open; an open takes the current state). The
 * one place the link is followed: the timer calls it, and so could the
 * card's configuration-change interrupt. */
static void link_follow(void)
{
    bool up = virtio_net_link_check(nic.card);
    if (up == nic.link_up)
        return;
    nic.link_up = up;
    hv_log("nic", "%s: link %s", nic.name, up ? "up" : "down");
    if (nic.open)
        netvsp_link(&nic.s, up);
}

static void link_due(struct hv_timer *t, uint64_t now)
{
    link_follow();
    timer_arm(t, now + LINK_CHECK_NS);
}

/* Sent frames reclaimed, received ones handed to the guest (a bounded
 * number), answers the guest's full ring held back retried: the kind's
 * poll, after every exit. */
static void service(void)
{
    if (!nic.card)
        return;
    if (!nic.open) {
        virtio_net_poll(nic.card, deliver, NULL); /* the card's frames dropped */
        return;
    }
    netvsp_batch_begin(&nic.s); /* the frames of one poll, one packet for the guest */
    virtio_net_poll(nic.card, deliver, NULL);
    netvsp_batch_end(&nic.s);
    if (nic.s.pending_count)
        netvsp_ring_ready(&nic.s);
}

/* --- configuration ------------------------------------------------------------------------ */

struct nic_params {
    bool backing; /* backing=virtio given */
    bool has_mac;
    uint8_t mac[6];
};

static int hexval(char c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

/* "xx:xx:xx:xx:xx:xx", unicast (the group bit of the first octet clear). */
static bool parse_mac(const char *v, size_t n, uint8_t mac[6])
{
    if (n != 17)
        return false;
    for (unsigned i = 0; i < 6; i++) {
        int hi = hexval(v[3 * i]), lo = hexval(v[3 * i + 1]);
        if (hi < 0 || lo < 0 || (i < 5 && v[3 * i + 2] != ':'))
            return false;
        mac[i] = (uint8_t)(hi << 4 | lo);
    }
    return !(mac[0] & 1);
}

static int param(void *params, const char *key, size_t klen, const char *val, size_t vlen,
                 struct device_error *e)
{
    struct nic_params *p = params;
    if (str_eq_n(key, klen, "backing")) {
        if (!str_eq_n(val, vlen, "virtio"))
            return device_refuse(e, "nic takes backing=virtio (the first virtio-net card), not",
                                 key, klen + 1 + vlen);
        p->backing = true;
        return 0;
    }
    if (str_eq_n(key, klen, "mac")) {
        if (!parse_mac(val, vlen, p->mac))
            return device_refuse(e, "nic needs a unicast mac=xx:xx:xx:xx:xx:xx, not", key,
                                 klen + 1 + vlen);
        p->has_mac = true;
        return 0;
    }
    return device_refuse(e, "unknown key", key, klen);
}

static int check(void *params, struct device_error *e)
{
    const struct nic_params *p = params;
    if (!p->backing)
        return device_refuse(e, "nic needs the word", "backing=virtio", 14);
    return 0;
}

static NTSTATUS create(const struct device *d, VMBCHANNEL *out)
{
    static const VMB_CHANNEL_STATE_CHANGE_CALLBACKS callbacks = {opened, closed};
    const struct nic_params *p = d->params;
    *out = NULL;
    nic.created = true;
    if (!(nic.card = nics_start()))
        return STATUS_INVALID_DEVICE_STATE; /* no card to back it (logged) */
    nic.mem = d->env->gm;
    nic.name = d->cfg->name;
    nic.link_up = nic.card->link_up;
    timer_setup(&nic.link_timer, link_due, NULL);
    timer_arm(&nic.link_timer, clock_ns() + LINK_CHECK_NS);
    /* One channel per VP: Linux asks for min(its CPUs, RSS queues) - 1. */
    uint32_t subs = d->env->vps > 1 ? d->env->vps - 1 : 0;
    nic.ops = (struct netvsp_ops){
        .send = send,
        .send_xfer = send_xfer,
        .gpa_to_host = gpa_to_host,
        .gpadl_pages = gpadl_pages,
        .tx = tx,
        .create_subchannels = subs ? create_subchannels : NULL,
        .max_subchannels = (uint16_t)(subs < VMBUS_MAX_SUBCHANNELS ? subs : VMBUS_MAX_SUBCHANNELS),
        .link_speed = LINK_SPEED,
    };
    memcpy(nic.ops.mac, p->has_mac ? p->mac : nic.card->mac, 6);
    const uint8_t *m = nic.ops.mac;
    hv_log("nic", "%s: mac=%02x:%02x:%02x:%02x:%02x:%02x", d->cfg->name, m[0], m[1], m[2], m[3],
           m[4], m[5]);

    NTSTATUS s = device_channel(d, &nic_class, NULL, &callbacks, process, out);
    nic.channel = *out;
    return s;
}

/* " nic_tx=.. nic_tx_dropped=.. nic_rx=.. nic_rx_dropped=.. nic_bad=.. nic_subchannel=..",
 * once a nic exists. */
static size_t summary(char *buf, size_t cap)
{
    const struct netvsp_stats *st = &nic.s.stats;
    int n = nic.created
                ? fmt_snprintf(
                      buf, cap,
                      " nic_tx=%llu nic_tx_dropped=%llu nic_rx=%llu nic_rx_dropped=%llu "
                      "nic_bad=%llu nic_subchannel=%llu",
                      (unsigned long long)st->tx_frames,
                      (unsigned long long)(nic.tx_dropped + st->tx_errors),
                      (unsigned long long)st->rx_frames, (unsigned long long)st->rx_dropped,
                      (unsigned long long)st->bad_messages, (unsigned long long)nic.sub_packets)
                : fmt_snprintf(buf, cap, "%s", "");
    return n < 0 ? 0 : (size_t)n;
}

const struct device_kind nic_kind = {
    .name = "nic",
    .single = true, /* one card to back it */
    .params_size = sizeof(struct nic_params),
    .param = param,
    .check = check,
    .create = create,
    .poll = service,
    .summary = summary,
};
