/* Arbitrary guest behaviour against the three integration components
 * (hv/devices/ic*.c, heartbeat.c, shutdown.c, timesync.c) over the recording
 * KMCL (tests/unit/fake_kmcl.c). The input is a script: open and close
 * channels, let time pass (the devices' timers run), answer the last request
 * as an echo with the RESPONSE flag and fuzzer-chosen byte changes, length,
 * transaction id and packet type (so negotiation succeeds or fails in every
 * way and the services get well-formed and broken answers), send raw bytes,
 * and make the ring full. Checked after every step: every packet a device
 * sent is a well-formed request (framing, flags, sizes, a type of its
 * service) in versions the device offers. Must never crash. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "devices/heartbeat.h"
#include "devices/ic.h"
#include "devices/ic_channel.h"
#include "devices/shutdown.h"
#include "devices/timesync.h"
#include "lib/timer.h"
#include "vmbus/ring.h"

#include "../unit/fake_kmcl.h"
#include "../unit/fixture.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t ticks;
static uint64_t counter(void)
{
    return ticks;
}

struct dev {
    VMBCHANNEL ch;
    uint16_t type;
    unsigned checked; /* packets checked so far */
};

static bool offered(struct ic_version v, uint16_t type)
{
    static const struct ic_version hb[] = {{3, 0}, {1, 0}}, sd[] = {{3, 2}, {3, 1}, {3, 0}, {1, 0}},
                                   ts[] = {{4, 0}, {3, 0}, {1, 0}};
    const struct ic_version *l = type == IC_MSG_HEARTBEAT ? hb : type == IC_MSG_SHUTDOWN ? sd : ts;
    unsigned n = type == IC_MSG_HEARTBEAT ? 2 : type == IC_MSG_SHUTDOWN ? 4 : 3;
    for (unsigned i = 0; i < n; i++) {
        if (l[i].major == v.major && l[i].minor == v.minor)
            return true;
    }
    return false;
}

/* Every new packet of d: a request of its service or a negotiate. */
static void check(struct dev *d)
{
    struct fake_channel *c = fake_channel(d->ch);
    for (; d->checked < c->nsent; d->checked++) {
        const struct fake_sent *s = &c->sent[d->checked % FAKE_SENT];
        struct ic_frame_hdr h;
        if (s->len < sizeof(h))
            abort();
        memcpy(&h, s->data, sizeof(h));
        if (h.pipe.flags != IC_PIPE_FLAG_DATA || h.pipe.msgsize != s->len - 8 ||
            h.msg.size != s->len - IC_HDR_SIZE || h.msg.status != 0 || h.msg.trans_id != 0 ||
            h.msg.flags != (IC_FLAG_TRANSACTION | IC_FLAG_REQUEST))
            abort();
        if (h.msg.type == IC_MSG_NEGOTIATE)
            continue;
        if (h.msg.type != d->type || !offered(h.msg.version, d->type) ||
            (h.msg.framework.major != 3 && h.msg.framework.major != 1))
            abort();
    }
}

/* What the ring trace would print for the packet: the channel's decoder
 * on an exactly sized copy, so ASan sees a read past it. */
static void trace_decode(const struct fake_channel *c, const uint8_t *pkt, uint32_t len)
{
    char text[160];
    uint8_t *copy = malloc(len ? len : 1);
    if (!copy || !c->decode)
        abort();
    memcpy(copy, pkt, len);
    size_t n = c->decode(copy, len, text, sizeof(text));
    if (n >= sizeof(text) || strlen(text) != n)
        abort();
    free(copy);
}

/* timesync's clock: any value will do */
static uint64_t reference_clock(void *ctx)
{
    (void)ctx;
    return ticks / 100;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_input in = {data, size};
    static uint8_t pkt[VMBUS_MAX_PACKET_SIZE];
    struct hv_device_config cfg[3];
    struct dev dev[3] = {
        {NULL, IC_MSG_HEARTBEAT, 0}, {NULL, IC_MSG_SHUTDOWN, 0}, {NULL, IC_MSG_TIMESYNC, 0}};
    memset(cfg, 0, sizeof(cfg));
    memcpy(cfg[0].name, "hb", 3);
    memcpy(cfg[1].name, "sd", 3);
    memcpy(cfg[2].name, "ts", 3);

    fake_kmcl_reset();
    log_reset();
    memset(&ic_stats, 0, sizeof(ic_stats));
    ticks = 0;
    clock_init(counter, 1000000000ull, fuzz_take(&in, 1) ? 1700000000ull : 0);
    if (!NT_SUCCESS(heartbeat_create(&cfg[0], &dev[0].ch)) ||
        !NT_SUCCESS(shutdown_create(&cfg[1], (uint32_t)fuzz_take(&in, 1), &dev[1].ch)) ||
        !NT_SUCCESS(timesync_create(&cfg[2], reference_clock, NULL, &dev[2].ch)))
        abort();

    for (unsigned step = 0; step < 256 && in.left; step++) {
        unsigned op = (unsigned)fuzz_take(&in, 1);
        struct dev *d = &dev[(op >> 4) % 3];
        struct fake_channel *c = fake_channel(d->ch);
        switch (op & 7) {
        case 0: /* the guest opens */
            if (!c->open) {
                c->open = true;
                c->cb.EvtChannelOpened(d->ch);
            }
            break;
        case 1: /* ... and closes */
            if (c->open) {
                c->open = false;
                c->cb.EvtChannelClosed(d->ch);
            }
            break;
        case 2: /* time passes, up to ~16 s */
            ticks += fuzz_take(&in, 2) * 250000ull;
            timers_run(clock_ns());
            break;
        case 3: { /* an answer made from the last request */
            const struct fake_sent *s = fake_last_sent(d->ch);
            if (!s || !c->open)
                break;
            uint32_t len = s->len;
            memcpy(pkt, s->data, len);
            pkt[25] = IC_FLAG_TRANSACTION | IC_FLAG_RESPONSE;
            for (unsigned n = (unsigned)fuzz_take(&in, 1) % 8; n; n--) {
                uint32_t at = (uint32_t)fuzz_take(&in, 2) % sizeof(pkt);
                pkt[at] = (uint8_t)fuzz_take(&in, 1);
                if (at >= len)
                    len = at + 1;
            }
            if (fuzz_take(&in, 1) & 1)
                len = (uint32_t)fuzz_take(&in, 2) % (sizeof(pkt) + 1);
            uint64_t id = fuzz_take(&in, 1) & 1 ? fuzz_take(&in, 8) : s->id;
            uint16_t type =
                fuzz_take(&in, 1) & 1 ? (uint16_t)fuzz_take(&in, 2) : VMBUS_PKT_DATA_INBAND;
            trace_decode(c, pkt, len);
            c->process(d->ch, pkt, len, type, id);
            break;
        }
        case 4: { /* raw bytes */
            uint32_t len = (uint32_t)fuzz_take(&in, 1);
            for (uint32_t i = 0; i < len; i++)
                pkt[i] = (uint8_t)fuzz_take(&in, 1);
            trace_decode(c, pkt, len);
            if (c->open)
                c->process(d->ch, pkt, len, VMBUS_PKT_DATA_INBAND, fuzz_take(&in, 1));
            break;
        }
        case 5: /* the ring fills up, or drains */
            c->send_status = c->send_status ? STATUS_SUCCESS : STATUS_INSUFFICIENT_RESOURCES;
            break;
        default: /* a timer pass at the same time */
            timers_run(clock_ns());
            break;
        }
        for (unsigned i = 0; i < 3; i++)
            check(&dev[i]);
    }
    return 0;
}
