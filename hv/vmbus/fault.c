/* The fault engine (fault.h): which configured fault an event matches, when
 * it is due, and what it does; docs/faults.md is the catalogue. A fault's
 * matching events are counted per line: after=<n> lets n through, at=<ms>
 * lets through those before that time of the guest's (TIME_REF_COUNT),
 * then count= of them are acted on (always: every one). */
#include "vmbus/fault.h"

#include <stdarg.h>

#include "lib/fmt.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/str.h"
#include "lib/timer.h"
#include "vmbus/channel.h"
#include "vmbus/fault_hooks.h"
#include "vmbus/outq.h"
#include "vmbus/state.h"
#include "vmbus/trace.h"

/* random: a delayed message waits 1..RANDOM_MS_MAX ms, a stalled ring as long. */
#define RANDOM_MS_MAX 100u
/* A rescind's re-offer waits for the guest's RELID_RELEASED: looked at again this often. */
#define REOFFER_RETRY_NS 20000000ull
#define NS_PER_MS        1000000ull
/* mask held: the guest does not signal, so the host looks at the ring this often. */
#define MASK_POLL_NS 10000000ull

struct fault {
    struct hv_fault_config cfg;
    uint32_t seen;  /* matching events */
    uint32_t acted; /* of them, those it acted on */
    unsigned logged;
    struct hv_timer timer;      /* at=, the re-offer, the end of a stall */
    struct hv_timer release;    /* a delayed message's time came */
    uint64_t rng;               /* random: xorshift64 state */
    struct vmbus_channel *chan; /* a rescind's to re-offer, a stall's held ring */
    bool holding;               /* stall: chan's ring is not read */
    uint32_t stall_ms;          /* for how long */
    uint32_t mask_left;         /* mask held: guest packets of chan still to read with it held */
};

/* The packet a reorder holds: one at a time (a reorder that finds one held
 * only counts), until the channel's next packet or the line's ms. */
static struct {
    struct fault *f; /* the line holding it; NULL: none */
    struct vmbus_channel *chan;
    struct fault_send s;
    uint32_t len, number;
    uint32_t ring_gpadl; /* the open it belongs to: not written into a later one's ring */
    uint8_t buf[VMBUS_MAX_PACKET_SIZE];
} held;

static struct fault faults[HV_FAULTS_MAX];
static uint32_t nfaults; /* configured */
static uint64_t fired_total;

static const char *const what_names[] = {
    [HV_FAULT_DELAY] = "delay",
    [HV_FAULT_REFUSE_VERSIONS] = "refuse-versions",
    [HV_FAULT_REFUSE_GPADL] = "refuse-gpadl",
    [HV_FAULT_REFUSE_OPEN] = "refuse-open",
    [HV_FAULT_RESCIND] = "rescind",
    [HV_FAULT_STALL] = "stall",
    [HV_FAULT_DROP] = "drop",
    [HV_FAULT_DUPLICATE] = "duplicate",
    [HV_FAULT_NO_SIGNAL] = "no-signal",
    [HV_FAULT_CORRUPT] = "corrupt",
    [HV_FAULT_RANDOM] = "random",
    [HV_FAULT_REORDER] = "reorder",
    [HV_FAULT_MASK] = "mask",
    [HV_FAULT_BAD_VERSION] = "bad-version",
    [HV_FAULT_UNSOLICITED] = "unsolicited",
};

/* The guest's time in ms (its TIME_REF_COUNT), which at=<ms> counts in. */
static uint64_t guest_ms(void)
{
    return vmbus.port.ref_time(vmbus.port.ctx) / 10000u;
}

/* One firing: counted, and logged while the line has lines left. */
static void fired(struct fault *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fired(struct fault *f, const char *fmt, ...)
{
    fired_total++;
    if (f->logged == FAULT_LOG_LINES)
        return;
    char text[192];
    va_list ap;
    va_start(ap, fmt);
    fmt_vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    f->logged++;
    hv_log("fault", "line %u: %s%s", f->cfg.line, text,
           f->logged == FAULT_LOG_LINES ? " (further firings of this line counted in faults_fired=)"
                                        : "");
}

/* One matching event: whether the fault acts on it. Each line counts every
 * event it matches; taken: an earlier line acted on it, this one only counts. */
static bool due(struct fault *f, bool taken)
{
    f->seen++;
    if (taken)
        return false;
    if (f->cfg.when == HV_FAULT_AFTER && f->seen <= f->cfg.when_n)
        return false;
    if (f->cfg.when == HV_FAULT_AT && guest_ms() < f->cfg.when_n)
        return false;
    if (f->cfg.count && f->acted >= f->cfg.count)
        return false;
    f->acted++;
    return true;
}

static bool is(const struct fault *f, enum hv_fault_what what, const struct vmbus_channel *c)
{
    return f->cfg.what == what && (!c || str_eq(f->cfg.channel, c->name));
}

/* --- rescind and re-offer -------------------------------------------------------------- */

static void reoffer(struct hv_timer *t, uint64_t now)
{
    VMBUS_DOOR(); /* a timer: a door of its own */
    struct fault *f = t->ctx;
    struct vmbus_channel *c = f->chan;
    if (c->state != CHAN_ENABLED || !vmbus.offers_requested)
        return; /* the device went away, or the guest disconnected: nothing to re-offer */
    if (c->offer != OFFER_NONE) {
        timer_arm(t, now + REOFFER_RETRY_NS); /* the guest has not released the relid yet */
        return;
    }
    fired(f, "re-offered relid %u %s", chan_relid(c), c->name);
    chan_offer(c);
}

/* Withdraws c's offer as a device's disable would, but the device keeps
 * the channel (enabled, closed) for the re-offer. */
static void rescind(struct fault *f, struct vmbus_channel *c, const char *when)
{
    bool open = c->state == CHAN_OPENED;
    timer_cancel(&f->timer);
    timer_setup(&f->timer, reoffer, f);
    chan_withdraw(c);
    c->state = CHAN_ENABLED;
    f->chan = c;
    if (f->cfg.ms) {
        fired(f, "rescinded relid %u %s %s%s, re-offer in %u ms", chan_relid(c), c->name, when,
              open ? " (open: closed first)" : "", f->cfg.ms);
        timer_arm(&f->timer, clock_ns() + f->cfg.ms * NS_PER_MS);
    } else {
        fired(f, "rescinded relid %u %s %s%s, not re-offered", chan_relid(c), c->name, when,
              open ? " (open: closed first)" : "");
    }
}

static struct vmbus_channel *channel_named(const char *name)
{
    for (unsigned i = 0; i < VMBUS_MAX_CHANNELS; i++) {
        struct vmbus_channel *c = &vmbus.chan[i];
        if (c->state != CHAN_FREE && str_eq(c->name, name))
            return c;
    }
    return NULL;
}

/* --- stall ---------------------------------------------------------------------------- */

static void stall_ends(struct hv_timer *t, uint64_t now)
{
    VMBUS_DOOR(); /* a timer: a door of its own */
    struct fault *f = t->ctx;
    (void)now;
    f->holding = false;
    struct vmbus_channel *c = f->chan;
    fired(f, "relid %u %s: reading its guest-to-host ring again after %u ms", chan_relid(c),
          c->name, f->stall_ms);
    if (c->state == CHAN_OPENED)
        chan_drain_later(c);
}

static void stall(struct fault *f, struct vmbus_channel *c, uint32_t ms, const char *when)
{
    f->chan = c;
    f->holding = true;
    f->stall_ms = ms;
    timer_cancel(&f->timer);
    timer_setup(&f->timer, stall_ends, f);
    timer_arm(&f->timer, clock_ns() + ms * NS_PER_MS);
    fired(f, "relid %u %s: guest-to-host ring not read for %u ms %s", chan_relid(c), c->name, ms,
          when);
}

/* --- mask ------------------------------------------------------------------------------- */

static void mask_poll(struct hv_timer *t, uint64_t now)
{
    VMBUS_DOOR(); /* a timer: a door of its own */
    struct fault *f = t->ctx;
    (void)now;
    if (f->chan->state == CHAN_OPENED)
        chan_drain_later(f->chan);
}

/* mode=spurious: one interrupt with no packet behind it; mode=held: the host's
 * interrupt_mask of c's guest-to-host ring stays 1 over the next ms packets. */
static void mask(struct fault *f, struct vmbus_channel *c, const char *when)
{
    if (f->cfg.value == HV_FAULT_MASK_SPURIOUS) {
        chan_signal(c);
        fired(f, "relid %u %s: guest signalled with no packet written %s", chan_relid(c), c->name,
              when);
        return;
    }
    f->chan = c;
    f->mask_left = f->cfg.ms;
    timer_setup(&f->timer, mask_poll, f);
    fired(f, "relid %u %s: host interrupt_mask held at 1 over the next %u guest packet%s %s",
          chan_relid(c), c->name, f->cfg.ms, f->cfg.ms == 1 ? "" : "s", when);
}

/* mask held: one more packet of c read; the last one lets the mask go. */
static void mask_packet(struct fault *f, const struct vmbus_channel *c)
{
    if (!f->mask_left || f->chan != c || --f->mask_left)
        return;
    fired(f, "relid %u %s: host interrupt_mask cleared again after %u guest packet%s",
          chan_relid(c), c->name, f->cfg.ms, f->cfg.ms == 1 ? "" : "s");
}

static bool fault_mask_held(const struct vmbus_channel *c)
{
    for (uint32_t i = 0; i < nfaults; i++) {
        struct fault *f = &faults[i];
        if (f->mask_left && f->chan == c) {
            if (!timer_armed(&f->timer))
                timer_arm(&f->timer, clock_ns() + MASK_POLL_NS);
            return true;
        }
    }
    return false;
}

/* --- reorder ----------------------------------------------------------------------------- */

/* Writes the held packet: after the channel's next one, or alone when the
 * line's ms ran out (timed_out); nowhere if its open is over. */
static void write_held(bool timed_out)
{
    struct fault *f = held.f;
    if (!f)
        return;
    held.f = NULL;
    timer_cancel(&f->timer);
    struct vmbus_channel *c = held.chan;
    if (c->state != CHAN_OPENED || c->stalled || c->ring_gpadl != held.ring_gpadl) {
        fired(f, "relid %u %s: held packet %u discarded: the channel is not open", chan_relid(c),
              c->name, held.number);
        return;
    }
    NTSTATUS st = chan_write(c, held.buf, held.len, &held.s);
    if (!NT_SUCCESS(st))
        fired(f, "relid %u %s: held packet %u lost: status 0x%08x", chan_relid(c), c->name,
              held.number, (unsigned)st);
    else if (timed_out)
        fired(f, "relid %u %s: held packet %u sent after %u ms: no packet came after it",
              chan_relid(c), c->name, held.number, f->cfg.ms);
}

static void fault_send_held(void)
{
    write_held(false);
}

static void reorder_timeout(struct hv_timer *t, uint64_t now)
{
    VMBUS_DOOR(); /* a timer: a door of its own */
    (void)t;
    (void)now;
    write_held(true);
}

static void hold(struct fault *f, struct vmbus_channel *c, struct fault_send *s, const void *buf,
                 uint32_t len)
{
    held.f = f;
    held.chan = c;
    held.s = *s;
    held.len = len;
    held.number = f->seen;
    held.ring_gpadl = c->ring_gpadl;
    memcpy(held.buf, buf, len);
    s->copies = 0;
    timer_setup(&f->timer, reorder_timeout, f);
    timer_arm(&f->timer, clock_ns() + f->cfg.ms * NS_PER_MS);
    fired(f, "relid %u %s: host-to-guest packet %u held until the next one (at most %u ms)",
          chan_relid(c), c->name, f->seen, f->cfg.ms);
}

/* A delayed message's time came: the vmbus_poll after this timer lets the
 * queue go on (or wait for the SynIC). */
static void release(struct hv_timer *t, uint64_t now)
{
    (void)t;
    (void)now;
}

/* unsolicited at=<ms>: the message, unless it would rescind a channel the
 * guest has (that is the rescind fault, which keeps the host's state in step). */
static void unsolicited(struct fault *f, const char *when)
{
    uint32_t relid = f->cfg.value;
    const char *name = vmbus_msg_name(f->cfg.msgtype);
    bool has = chan_slot(relid) && chan_slot(relid)->offer != OFFER_NONE;
    if (!vmbus.connected) {
        fired(f, "unsolicited %s %s: the guest is not connected: nothing sent", name, when);
    } else if (f->cfg.msgtype == VMBUS_MSG_RESCIND_CHANNELOFFER && has) {
        fired(f, "unsolicited %s %s: relid %u is the guest's channel: nothing sent", name, when,
              relid);
    } else {
        uint8_t msg[FAULT_MSG_MAX];
        outq_send(msg, fault_unsolicited_msg(f->cfg.msgtype, relid, msg), 0);
        fired(f, "unsolicited %s relid %u sent %s", name, relid, when);
    }
}

/* at=<ms> of a rescind, a stall, a mask or an unsolicited message: the moment itself. */
static void at_time(struct hv_timer *t, uint64_t now)
{
    VMBUS_DOOR(); /* a timer: a door of its own */
    struct fault *f = t->ctx;
    (void)now;
    struct vmbus_channel *c = channel_named(f->cfg.channel);
    char when[32];
    fmt_snprintf(when, sizeof(when), "at %u ms", f->cfg.when_n);
    f->acted++;
    if (f->cfg.what == HV_FAULT_UNSOLICITED) {
        unsolicited(f, when);
    } else if (f->cfg.what == HV_FAULT_RESCIND && c && c->offer == OFFER_MADE &&
               chan_visible(chan_relid(c))) {
        rescind(f, c, when);
    } else if (f->cfg.what == HV_FAULT_STALL && c && c->state == CHAN_OPENED) {
        stall(f, c, f->cfg.ms, when);
    } else if (f->cfg.what == HV_FAULT_MASK && c && c->state == CHAN_OPENED) {
        mask(f, c, when);
    } else {
        fired(f, "%s %s %s: the channel is not %s: nothing done", what_names[f->cfg.what],
              f->cfg.channel, when, f->cfg.what == HV_FAULT_RESCIND ? "offered" : "open");
    }
}

static const struct fault_hooks hooks;

/* --- the engine --------------------------------------------------------------------------- */

void fault_init(const struct hv_fault_config *cfg, uint32_t n)
{
    for (unsigned i = 0; i < HV_FAULTS_MAX; i++) {
        timer_cancel(&faults[i].timer); /* none may stay linked while zeroed */
        timer_cancel(&faults[i].release);
    }
    memset(faults, 0, sizeof(faults));
    held.f = NULL;
    fired_total = 0;
    nfaults = n;
    vmbus.faults = n ? &hooks : NULL;
    for (uint32_t i = 0; i < n; i++) {
        struct fault *f = &faults[i];
        f->cfg = cfg[i];
        timer_setup(&f->timer, at_time, f);
        timer_setup(&f->release, release, f);
        f->rng = 0x9e3779b97f4a7c15ull ^ f->cfg.ms; /* random: the seed; never 0 */
        hv_log("fault", "line %u: %s%s%s armed", f->cfg.line, what_names[f->cfg.what],
               f->cfg.channel[0] ? " of " : "", f->cfg.channel);
        bool timed = f->cfg.what == HV_FAULT_RESCIND || f->cfg.what == HV_FAULT_STALL ||
                     f->cfg.what == HV_FAULT_MASK || f->cfg.what == HV_FAULT_UNSOLICITED;
        if (timed && f->cfg.when == HV_FAULT_AT) {
            uint64_t ms = guest_ms();
            uint64_t wait = f->cfg.when_n > ms ? (f->cfg.when_n - ms) * NS_PER_MS : 0;
            timer_arm(&f->timer, clock_ns() + wait);
        }
    }
}

uint64_t fault_fired(void)
{
    return fired_total;
}

/* random: the next number of the line's sequence (xorshift64). */
static uint64_t next_random(struct fault *f)
{
    f->rng ^= f->rng << 13;
    f->rng ^= f->rng >> 7;
    f->rng ^= f->rng << 17;
    return f->rng;
}

/* random: whether this event is one of rate in 1000; if so, *ms 1..RANDOM_MS_MAX. */
static bool random_hit(struct fault *f, uint32_t *ms)
{
    f->seen++;
    uint64_t r = next_random(f);
    *ms = 1 + (uint32_t)(r >> 32) % RANDOM_MS_MAX;
    return (uint32_t)r % 1000u < f->cfg.value;
}

static uint64_t fault_host_message(uint32_t msgtype)
{
    uint64_t until = 0;
    for (uint32_t i = 0; i < nfaults; i++) {
        struct fault *f = &faults[i];
        uint32_t ms = f->cfg.ms;
        bool hit = f->cfg.what == HV_FAULT_RANDOM
                       ? random_hit(f, &ms)
                       : is(f, HV_FAULT_DELAY, NULL) && f->cfg.msgtype == msgtype && due(f, false);
        if (!hit)
            continue;
        fired(f, "%s held for %u ms", vmbus_msg_name(msgtype), ms);
        uint64_t t = clock_ns() + ms * NS_PER_MS;
        until = t > until ? t : until;
        if (t > f->release.deadline || !timer_armed(&f->release))
            timer_arm(&f->release, t);
    }
    return until;
}

static bool fault_refuse_version(uint32_t version)
{
    bool refuse = false;
    for (uint32_t i = 0; i < nfaults; i++) {
        struct fault *f = &faults[i];
        if (is(f, HV_FAULT_REFUSE_VERSIONS, NULL) && version >= f->cfg.value && due(f, refuse)) {
            fired(f, "INITIATE_CONTACT version %u.%u answered not supported (from %u.%u on)",
                  VMBUS_VERSION_MAJOR(version), VMBUS_VERSION_MINOR(version),
                  VMBUS_VERSION_MAJOR(f->cfg.value), VMBUS_VERSION_MINOR(f->cfg.value));
            refuse = true;
        }
    }
    return refuse;
}

static NTSTATUS fault_gpadl_status(const struct vmbus_channel *c)
{
    NTSTATUS st = STATUS_SUCCESS;
    for (uint32_t i = 0; i < nfaults; i++) {
        struct fault *f = &faults[i];
        if (is(f, HV_FAULT_REFUSE_GPADL, c) && due(f, !NT_SUCCESS(st))) {
            fired(f, "GPADL of relid %u %s refused with status 0x%08x", chan_relid(c), c->name,
                  (unsigned)f->cfg.value);
            st = (NTSTATUS)f->cfg.value;
        }
    }
    return st;
}

static uint32_t fault_device_version(const struct vmbus_channel *c)
{
    uint32_t v = 0;
    for (uint32_t i = 0; i < nfaults; i++) {
        struct fault *f = &faults[i];
        if (is(f, HV_FAULT_BAD_VERSION, c) && due(f, v != 0)) {
            v = f->cfg.value;
            fired(f,
                  "relid %u %s: version negotiation offers %u.%u alone, a version the guest "
                  "did not ask for",
                  chan_relid(c), c->name, VMBUS_VERSION_MAJOR(v), VMBUS_VERSION_MINOR(v));
        }
    }
    return v;
}

static enum fault_open_action fault_open(struct vmbus_channel *c, NTSTATUS *status)
{
    enum fault_open_action a = FAULT_OPEN_PASS;
    for (uint32_t i = 0; i < nfaults; i++) {
        struct fault *f = &faults[i];
        if (is(f, HV_FAULT_RESCIND, c) && f->cfg.when == HV_FAULT_ON_OPEN &&
            due(f, a != FAULT_OPEN_PASS)) {
            rescind(f, c, "while the guest opens it (OPENCHANNEL unanswered)");
            a = FAULT_OPEN_RESCINDED;
        } else if (is(f, HV_FAULT_REFUSE_OPEN, c) && due(f, a != FAULT_OPEN_PASS)) {
            fired(f, "OPENCHANNEL of relid %u %s refused with status 0x%08x", chan_relid(c),
                  c->name, (unsigned)f->cfg.value);
            *status = (NTSTATUS)f->cfg.value;
            a = FAULT_OPEN_REFUSE;
        }
    }
    return a;
}

static bool fault_guest_packet(struct vmbus_channel *c)
{
    bool stop = false;
    for (uint32_t i = 0; i < nfaults; i++) {
        struct fault *f = &faults[i];
        uint32_t ms;
        if (f->cfg.what == HV_FAULT_RANDOM && !f->holding && random_hit(f, &ms) && !stop) {
            stall(f, c, ms, "at random");
            stop = true;
            continue;
        }
        mask_packet(f, c);
        bool masks = is(f, HV_FAULT_MASK, c);
        if (f->cfg.when != HV_FAULT_AFTER ||
            !(is(f, HV_FAULT_RESCIND, c) || is(f, HV_FAULT_STALL, c) || masks))
            continue;
        /* after=<n>: right after the n-th packet, once; one line stops the ring per
         * packet (a mask does not stop it: the ring is read on) */
        if (++f->seen != f->cfg.when_n || (stop && !masks))
            continue;
        f->acted++;
        char when[40];
        fmt_snprintf(when, sizeof(when), "after %u guest packet%s", f->cfg.when_n,
                     f->cfg.when_n == 1 ? "" : "s");
        if (masks) {
            mask(f, c, when);
            continue;
        }
        if (f->cfg.what == HV_FAULT_STALL) {
            stall(f, c, f->cfg.ms, when);
        } else {
            rescind(f, c, when);
        }
        stop = true;
    }
    return stop;
}

static bool fault_ring_held(const struct vmbus_channel *c)
{
    for (uint32_t i = 0; i < nfaults; i++) {
        if (faults[i].holding && faults[i].chan == c)
            return true;
    }
    return false;
}

static void fault_host_packet(struct vmbus_channel *c, struct fault_send *s, const void *buf,
                              uint32_t len)
{
    bool taken = false;
    s->then_held = held.f && held.chan == c; /* this is the next one: the held one after it */
    for (uint32_t i = 0; i < nfaults; i++) {
        struct fault *f = &faults[i];
        uint8_t what = f->cfg.what;
        if (is(f, HV_FAULT_REORDER, c) && due(f, taken || held.f)) {
            hold(f, c, s, buf, len);
            taken = true;
            continue;
        }
        if (what < HV_FAULT_DROP || what > HV_FAULT_CORRUPT || !is(f, what, c) || !due(f, taken))
            continue;
        taken = true;
        if (what == HV_FAULT_DROP || what == HV_FAULT_DUPLICATE) {
            s->copies = what == HV_FAULT_DROP ? 0 : 2;
            fired(f, "relid %u %s: host-to-guest packet %u %s", chan_relid(c), c->name, f->seen,
                  what == HV_FAULT_DROP ? "dropped" : "sent twice");
        } else if (what == HV_FAULT_NO_SIGNAL) {
            s->signal = false;
            fired(f, "relid %u %s: host-to-guest packet %u not signalled", chan_relid(c), c->name,
                  f->seen);
        } else if (f->cfg.value == HV_FAULT_FIELD_TRANS) {
            uint64_t was = s->trans_id;
            s->trans_id ^= 0xff; /* its low byte: the packet still frames as the ring's rules say */
            fired(f, "relid %u %s: host-to-guest packet %u: transaction id 0x%llx sent as 0x%llx",
                  chan_relid(c), c->name, f->seen, (unsigned long long)was,
                  (unsigned long long)s->trans_id);
        } else {
            s->type = VMBUS_PKT_COMP; /* 0x06 -> 0x0b: a completion nobody asked for */
            fired(f, "relid %u %s: host-to-guest packet %u: type DATA_INBAND sent as COMP",
                  chan_relid(c), c->name, f->seen);
        }
    }
    if (s->then_held)
        fired(held.f, "relid %u %s: host-to-guest packet %u sent, the held packet %u after it",
              chan_relid(c), c->name, held.f->seen, held.number);
}

static const struct fault_hooks hooks = {
    .host_message = fault_host_message,
    .refuse_version = fault_refuse_version,
    .gpadl_status = fault_gpadl_status,
    .open = fault_open,
    .guest_packet = fault_guest_packet,
    .ring_held = fault_ring_held,
    .mask_held = fault_mask_held,
    .host_packet = fault_host_packet,
    .send_held = fault_send_held,
    .device_version = fault_device_version,
};
