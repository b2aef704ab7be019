/* The VMBus server driven from several threads at once, as several VPs and
 * devices will (docs/design.md, "Locks"): two guest VPs creating GPADLs,
 * opening, sending packets with signals, waiting for every completion,
 * closing and tearing down; a device thread sending its own packets and
 * rescinding, re-offering a hot-plugged channel (the guest's RELID_RELEASED
 * included); a third VP that reconnects (UNLOAD, INITIATE_CONTACT,
 * REQUESTOFFERS) in the middle of every other round; a host poller. The
 * devices' callbacks call KMCL back (a completion per packet, a packet from
 * EvtChannelOpened). After each round, with every thread stopped, the
 * invariants: channel states against the port's listeners and the GPADL
 * table, callbacks balanced, nothing busy or pending, every packet read
 * handed once and in order, every completion of a round without reconnect
 * delivered, the message queue drained into the port exactly once. And one
 * race step by step: a close from one VP while the device holds a packet of
 * another VP's signal. Built twice: with ASan+UBSan (build/tests/unit) and
 * with TSan (build/tests/tsan). */
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "vmbus/gpadl.h"
#include "vmbus/kmcl.h"
#include "vmbus/message.h"
#include "vmbus/state.h"
#include "vmbus/vmbus.h"
#include "vmbus/vmbus_wire.h"

#include "fake_port.h"
#include "fixture.h"

/* TSan runs each lock operation many times slower, and a thread preempted
 * while it waits its turn for the lock holds up the others: less work there. */
#ifdef __SANITIZE_THREAD__
#define ROUNDS     2u
#define ITERATIONS 3u
#define PACKETS    12u
#else
#define ROUNDS     6u
#define ITERATIONS 6u  /* opens per VP per round */
#define PACKETS    24u /* guest packets per open */
#endif
#define RAM_SIZE   (1u << 20)
#define RING_PAGES 8u /* per VP: in ring (header + 3), then out ring (header + 3) */
#define DATA_SIZE  (3u * 4096)
#define NDEV       3u /* the two VPs' channels, then the hot-plugged one */
#define HOTPLUG    2u
#define VP0_PFN    0x40u
#define VP1_PFN    0x60u
#define WAIT_TRIES 200000u /* a session needs about PACKETS: far more is a lost packet */

static _Alignas(4096) uint8_t ram[RAM_SIZE];
static struct fake_port port;

/* What a device saw, per device (not per slot: the hot-plugged one moves). */
struct dev {
    _Atomic(VMBCHANNEL) ch;
    atomic_uint opened, closed, processed, disorder, comp_failed;
    uint64_t expect;  /* next guest transaction id; touched by its callbacks only */
    atomic_uint sent; /* device packets VmbChannelSendPacket took */
};
static struct dev devs[NDEV];

static atomic_bool stop;
static atomic_uint failures; /* thread-side checks that failed (cmocka asserts on main only) */
static atomic_uint reconnects;
static char failure[256];

/* A waiting thread lets the others run: spinning on the server lock with more
 * threads than CPUs (and under TSan) only slows the holder down. */
static void breathe(void)
{
    const struct timespec ts = {0, 20000};
    nanosleep(&ts, NULL);
}

static void fail_thread(const char *what, unsigned a, unsigned b)
{
    if (atomic_fetch_add(&failures, 1) == 0)
        snprintf(failure, sizeof(failure), "%s (%u, %u)", what, a, b);
}

static struct dev *dev_of(VMBCHANNEL h)
{
    for (unsigned i = 0; i < NDEV; i++) {
        if (atomic_load(&devs[i].ch) == h)
            return &devs[i];
    }
    return NULL;
}

/* --- the devices: callbacks that call KMCL back --------------------------------- */

static NTSTATUS on_opened(VMBCHANNEL h)
{
    struct dev *d = dev_of(h);
    if (!d)
        return STATUS_INVALID_PARAMETER;
    atomic_fetch_add(&d->opened, 1);
    d->expect = 1;
    static const char hello[8] = "hello";
    /* the channel is open for the device already, and may already have been
     * closed by another VP */
    NTSTATUS st = VmbChannelSendPacket(h, hello, sizeof(hello), 0);
    if (st != STATUS_SUCCESS && st != STATUS_INVALID_PARAMETER_1)
        fail_thread("send from EvtChannelOpened", (unsigned)st, 0);
    return STATUS_SUCCESS;
}

static void on_closed(VMBCHANNEL h)
{
    struct dev *d = dev_of(h);
    if (d)
        atomic_fetch_add(&d->closed, 1);
}

/* Guest ids count 1, 2, 3 ... per open: anything else is a packet lost,
 * duplicated or reordered between the ring and the device. */
static void on_packet(VMBCHANNEL h, const VOID *buf, UINT32 len, UINT16 type, UINT64 id)
{
    (void)buf;
    (void)len;
    (void)type;
    struct dev *d = dev_of(h);
    if (!d)
        return;
    atomic_fetch_add(&d->processed, 1);
    if (id != d->expect)
        atomic_fetch_add(&d->disorder, 1);
    d->expect = id + 1;
    for (unsigned tries = 0;; tries++) {
        NTSTATUS st = VmbChannelSendCompletion(h, &id, sizeof(id), id);
        if (st == STATUS_SUCCESS || st == STATUS_INVALID_PARAMETER_1)
            break; /* sent, or the channel was closed meanwhile */
        if (st != STATUS_INSUFFICIENT_RESOURCES || tries == WAIT_TRIES) {
            atomic_fetch_add(&d->comp_failed, 1);
            break;
        }
        sched_yield(); /* the guest's ring is full: it reads on another thread */
    }
}

static const GUID type_g = {0xa1, 2, 3, {4, 5, 6, 7, 8, 9, 10, 11}};

static VMBCHANNEL make_channel(unsigned i, PFN_VMB_CHANNEL_PROCESS_PACKET process)
{
    GUID inst = {0xb0 + i, 2, 3, {4, 5, 6, 7, 8, 9, 10, 11}};
    static const VMB_CHANNEL_STATE_CHANGE_CALLBACKS cb = {.EvtChannelOpened = on_opened,
                                                          .EvtChannelClosed = on_closed};
    VMBCHANNEL ch = NULL;
    if (VmbChannelAllocate(NULL, TRUE, &ch) != STATUS_SUCCESS)
        return NULL;
    atomic_store(&devs[i].ch, ch);
    if (VmbServerChannelInitSetTargetInterfaceId(ch, &type_g, &inst) != STATUS_SUCCESS ||
        VmbChannelInitSetStateChangeCallbacks(ch, &cb) != STATUS_SUCCESS ||
        VmbChannelInitSetProcessPacketCallback(ch, process) != STATUS_SUCCESS ||
        VmbChannelEnable(ch) != STATUS_SUCCESS)
        return NULL;
    return ch;
}

/* The relid of a live handle (state.c's encoding: slot + 1 in the low bits). */
static uint32_t relid_of(VMBCHANNEL h)
{
    return (uint32_t)((uintptr_t)h & 0xFFFF);
}

/* --- the guest --------------------------------------------------------------------- */

/* The guest's ring accesses race with the host's by design (shared memory,
 * ordered on x86 by TSO, which the ring code is written for). Here the guest
 * side takes the server lock around them so the sanitizer looks for the
 * races this test is about: the server's own state. */
static void guest_lock(void)
{
    spin_lock(&vmbus.lock);
}

static void guest_unlock(void)
{
    spin_unlock(&vmbus.lock);
}

static uint16_t post(const void *msg, uint32_t size)
{
    for (;;) {
        uint16_t st = vmbus_on_message(NULL, 4, VMBUS_MESSAGE_TYPE, msg, size);
        vmbus_poll(); /* after every exit, on whichever CPU */
        if (st != 0x13)
            return st;
        breathe(); /* INSUFFICIENT_BUFFERS: Linux posts again */
    }
}

static void connect(void)
{
    struct vmbus_initiate_contact ic;
    memset(&ic, 0, sizeof(ic));
    ic.header.msgtype = VMBUS_MSG_INITIATE_CONTACT;
    ic.version_requested = VMBUS_VERSION_WIN10_V5_3;
    ic.msg_sint = 2;
    ic.monitor_page1 = 0x1000;
    ic.monitor_page2 = 0x2000;
    post(&ic, sizeof(ic));
    struct vmbus_msg_header ro = {VMBUS_MSG_REQUESTOFFERS, 0};
    post(&ro, sizeof(ro));
}

static uint8_t *page(uint32_t pfn)
{
    return ram + (size_t)pfn * 4096;
}

static void ring_copy_in(uint8_t *data, uint32_t at, const void *src, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        data[(at + i) % DATA_SIZE] = ((const uint8_t *)src)[i];
}

static void ring_copy_out(void *dst, const uint8_t *data, uint32_t at, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        ((uint8_t *)dst)[i] = data[(at + i) % DATA_SIZE];
}

/* One in-band packet into the guest-to-host ring at pfn, if it fits. */
static bool guest_write(uint32_t pfn, uint64_t id)
{
    uint8_t *hdr = page(pfn), *data = page(pfn + 1);
    const uint32_t total = 16 + 8 + 8; /* descriptor, 8 bytes of data, trailer */
    guest_lock();
    uint32_t w, r;
    memcpy(&w, hdr, 4);
    memcpy(&r, hdr + 4, 4);
    uint32_t free = w >= r ? DATA_SIZE - (w - r) : r - w;
    bool fits = free > total;
    if (fits) {
        uint16_t d[4] = {VMBUS_PKT_DATA_INBAND, 2, 3, 0};
        uint64_t trailer = (uint64_t)w << 32;
        ring_copy_in(data, w, d, 8);
        ring_copy_in(data, w + 8, &id, 8);
        ring_copy_in(data, w + 16, &id, 8);
        ring_copy_in(data, w + 24, &trailer, 8);
        w = (w + total) % DATA_SIZE;
        memcpy(hdr, &w, 4);
    }
    guest_unlock();
    return fits;
}

/* What the guest read of its host-to-guest ring during one open. */
struct guest_seen {
    unsigned completions, comp_disorder;
    uint64_t last_dev; /* id of the device's last packet */
};

/* Reads every packet the host-to-guest ring at pfn holds; whether relid is
 * still open on gpadl (not closed by a reset or a rescind). */
static bool guest_read(uint32_t pfn, struct guest_seen *s, uint32_t relid, uint32_t gpadl)
{
    uint8_t *hdr = page(pfn), *data = page(pfn + 1);
    guest_lock();
    const struct vmbus_channel *c = chan_slot(relid);
    const bool open = c->state == CHAN_OPENED && c->ring_gpadl == gpadl;
    uint32_t w, r;
    memcpy(&w, hdr, 4);
    memcpy(&r, hdr + 4, 4);
    while (r != w && r < DATA_SIZE) {
        uint16_t d[4];
        uint64_t id;
        ring_copy_out(d, data, r, 8);
        ring_copy_out(&id, data, r + 8, 8);
        if (d[0] == VMBUS_PKT_COMP) {
            if (id != s->completions + 1)
                s->comp_disorder++;
            s->completions++;
        } else if (d[0] == VMBUS_PKT_DATA_INBAND && id) {
            if (id <= s->last_dev)
                s->comp_disorder++; /* a device packet twice or out of order */
            s->last_dev = id;
        }
        r = (r + d[2] * 8u + 8) % DATA_SIZE;
    }
    memcpy(hdr + 4, &r, 4);
    guest_unlock();
    return open;
}

static bool chan_open_now(uint32_t relid, uint32_t gpadl)
{
    guest_lock();
    const struct vmbus_channel *c = chan_slot(relid);
    bool open = c && c->state == CHAN_OPENED && c->ring_gpadl == gpadl;
    guest_unlock();
    return open;
}

static uint16_t gpadl_create(uint32_t relid, uint32_t handle, uint32_t pfn)
{
    uint8_t m[sizeof(struct vmbus_gpadl_header) + 8 + 8 * RING_PAGES];
    struct vmbus_gpadl_header gh = {
        {VMBUS_MSG_GPADL_HEADER, 0}, relid, handle, 8 + 8 * RING_PAGES, 1};
    memcpy(m, &gh, sizeof(gh));
    uint32_t range[2] = {RING_PAGES * 4096, 0};
    memcpy(m + sizeof(gh), range, 8);
    for (uint64_t i = 0; i < RING_PAGES; i++) {
        uint64_t p = pfn + i;
        memcpy(m + sizeof(gh) + 8 + 8 * i, &p, 8);
    }
    return post(m, sizeof(m));
}

struct vp {
    unsigned index;
    uint32_t pfn, next_gpadl;
    bool strict; /* no reconnect this round: every completion must arrive */
};

/* One open of relid: GPADL, OPENCHANNEL, PACKETS packets with signals, every
 * completion awaited, CLOSECHANNEL, teardown. Failures are the guest's to
 * expect when another VP reconnects or the device rescinds meanwhile. */
static void vp_session(struct vp *vp, uint32_t relid, bool strict)
{
    const uint32_t handle = vp->next_gpadl++;
    guest_lock();
    memset(page(vp->pfn), 0, RING_PAGES * 4096); /* the host maps it no more */
    guest_unlock();
    if (gpadl_create(relid, handle, vp->pfn))
        return;
    struct vmbus_open_channel oc = {
        {VMBUS_MSG_OPENCHANNEL, 0}, relid, handle, handle, 0, RING_PAGES / 2, {0}};
    post(&oc, sizeof(oc));
    struct guest_seen seen = {0};
    unsigned sent = 0;
    if (chan_open_now(relid, handle)) {
        for (unsigned tries = 0; tries < WAIT_TRIES && seen.completions < PACKETS; tries++) {
            if (sent < PACKETS && guest_write(vp->pfn, sent + 1)) {
                sent++;
                fake_port_signal(&port, VMBUS_CHANNEL_CONN_BASE + relid);
            }
            if (!guest_read(vp->pfn + RING_PAGES / 2, &seen, relid, handle))
                break;
            if (!(tries % 16))
                vmbus_poll();
            breathe();
        }
        if (strict && seen.completions != PACKETS)
            fail_thread("completions missing on an open channel", vp->index, seen.completions);
        if (seen.comp_disorder)
            fail_thread("guest saw packets twice or out of order", vp->index, seen.comp_disorder);
    }
    struct vmbus_relid_msg cc = {{VMBUS_MSG_CLOSECHANNEL, 0}, relid};
    post(&cc, sizeof(cc));
    struct vmbus_gpadl_teardown td = {{VMBUS_MSG_GPADL_TEARDOWN, 0}, relid, handle};
    post(&td, sizeof(td));
}

static void *vp_thread(void *arg)
{
    struct vp *vp = arg;
    for (unsigned i = 0; i < ITERATIONS; i++) {
        vp_session(vp, vp->index + 1, vp->strict);
        if (vp->index == 1) {
            /* the hot-plugged channel too, wherever it is now: rescinds race this */
            VMBCHANNEL h = atomic_load(&devs[HOTPLUG].ch);
            if (h)
                vp_session(vp, relid_of(h), false);
        }
    }
    return NULL;
}

/* The third VP: a reconnect in the middle of the round. */
static void *reconnect_thread(void *arg)
{
    (void)arg;
    for (unsigned i = 0; i < 20; i++)
        breathe();
    struct vmbus_msg_header un = {VMBUS_MSG_UNLOAD, 0};
    post(&un, sizeof(un));
    connect();
    atomic_fetch_add(&reconnects, 1);
    return NULL;
}

/* The device side: packets of its own on VP 0's channel, and the hot-plugged
 * channel disabled (a rescind), released by the guest, and offered again. */
/* Bytes waiting in VP 0's host-to-guest ring: the device keeps them few, so
 * the completions always find room (one thread both signals and reads). */
static uint32_t vp0_backlog(void)
{
    const uint8_t *hdr = page(VP0_PFN + RING_PAGES / 2);
    uint32_t w, r;
    guest_lock();
    memcpy(&w, hdr, 4);
    memcpy(&r, hdr + 4, 4);
    guest_unlock();
    return (w - r + DATA_SIZE) % DATA_SIZE;
}

static void *device_thread(void *arg)
{
    (void)arg;
    uint64_t id = 1;
    for (unsigned n = 0; !atomic_load(&stop); n++) {
        static const char data[8] = "device";
        if (vp0_backlog() < 4096 && VmbChannelSendPacket(atomic_load(&devs[0].ch), data,
                                                         sizeof(data), id) == STATUS_SUCCESS) {
            atomic_fetch_add(&devs[0].sent, 1);
            id++;
        }
        if (n % 64 == 63) {
            VMBCHANNEL h = atomic_load(&devs[HOTPLUG].ch);
            uint32_t relid = relid_of(h);
            VmbChannelDisable(h);
            VmbChannelCleanup(h);
            atomic_store(&devs[HOTPLUG].ch, NULL);
            vmbus_poll(); /* the rescind leaves */
            struct vmbus_relid_msg rr = {{VMBUS_MSG_RELID_RELEASED, 0}, relid};
            post(&rr, sizeof(rr)); /* rejected if a reconnect released it already */
            if (!make_channel(HOTPLUG, on_packet))
                fail_thread("hot-plugged channel not offered again", n, 0);
        }
        breathe();
    }
    return NULL;
}

static void *poll_thread(void *arg)
{
    (void)arg;
    while (!atomic_load(&stop)) {
        vmbus_poll();
        const struct timespec ts = {0, 1000000}; /* the VPs poll too: this one catches the rest */
        nanosleep(&ts, NULL);
    }
    return NULL;
}

/* --- the invariants ----------------------------------------------------------------- */

static void check_invariants(void)
{
    for (unsigned i = 0; i < 100 && vmbus.outq.count; i++)
        vmbus_poll();
    assert_int_equal(vmbus.outq.count, 0);
    assert_int_equal(vmbus.n.sent, port.nmsgs); /* each queued message reached the port once */
    assert_false(vmbus.closed_pending);
    uint64_t processed = 0;
    for (unsigned i = 0; i < NDEV; i++) {
        struct dev *d = &devs[i];
        processed += atomic_load(&d->processed);
        assert_int_equal(atomic_load(&d->disorder), 0);
        assert_int_equal(atomic_load(&d->comp_failed), 0);
    }
    assert_int_equal(vmbus.n.packets, processed); /* every packet read was handed over once */
    for (uint32_t relid = 1; relid <= VMBUS_MAX_CHANNELS; relid++) {
        const struct vmbus_channel *c = chan_slot(relid);
        assert_false(c->busy);
        assert_false(c->closed_pending);
        const bool listening = fake_port_listening(&port, VMBUS_CHANNEL_CONN_BASE + relid);
        if (c->state == CHAN_OPENED) {
            assert_int_equal(c->offer, OFFER_MADE);
            assert_true(listening);
            assert_non_null(gpadl_created(relid, c->ring_gpadl));
        } else {
            assert_false(listening);
        }
        if (c->state == CHAN_FREE)
            assert_int_equal(c->offer, OFFER_NONE);
    }
    /* a device is opened once more than closed exactly while open */
    for (unsigned i = 0; i < NDEV; i++) {
        const struct dev *d = &devs[i];
        const struct vmbus_channel *c = chan_lookup(atomic_load(&d->ch));
        assert_non_null(c);
        unsigned open = c->state == CHAN_OPENED;
        if (i != HOTPLUG) /* its earlier incarnations' callbacks count too */
            assert_int_equal(atomic_load(&d->opened) - atomic_load(&d->closed), open);
    }
    /* the GPADL table: a GPADL belongs to a relid the guest knows */
    for (unsigned i = 0; i < VMBUS_MAX_GPADLS; i++) {
        const struct vmbus_gpadl *g = &vmbus.gpadl[i];
        if (g->used)
            assert_int_not_equal(chan_slot(g->relid)->offer, OFFER_NONE);
    }
}

static void run_round(unsigned round)
{
    const bool reconnect = round % 2;
    static struct vp vps[2] = {{0, VP0_PFN, 0x10000, false}, {1, VP1_PFN, 0x20000, false}};
    pthread_t t[5];
    unsigned n = 0;
    atomic_store(&stop, false);
    for (unsigned i = 0; i < 2; i++) {
        vps[i].strict = !reconnect && i == 0; /* VP 1 meets rescinds */
        assert_int_equal(pthread_create(&t[n++], NULL, vp_thread, &vps[i]), 0);
    }
    pthread_t dev, poller;
    assert_int_equal(pthread_create(&dev, NULL, device_thread, NULL), 0);
    assert_int_equal(pthread_create(&poller, NULL, poll_thread, NULL), 0);
    if (reconnect)
        assert_int_equal(pthread_create(&t[n++], NULL, reconnect_thread, NULL), 0);
    for (unsigned i = 0; i < n; i++)
        pthread_join(t[i], NULL);
    atomic_store(&stop, true);
    pthread_join(dev, NULL);
    pthread_join(poller, NULL);
    if (atomic_load(&failures))
        fail_msg("round %u: %s", round, failure);
    check_invariants();
}

static void concurrent_vps_devices_and_resets(void **state)
{
    (void)state;
    const struct vmbus_port p = fake_port_init(&port, ram, sizeof(ram));
    vmbus_init_port(&p);
    memset(devs, 0, sizeof(devs));
    for (unsigned i = 0; i < NDEV; i++)
        assert_non_null(make_channel(i, on_packet));
    connect();
    for (unsigned round = 0; round < ROUNDS; round++)
        run_round(round);
    assert_int_equal(atomic_load(&reconnects), ROUNDS / 2);
    /* the guest saw the device's packets and the devices the guest's */
    assert_true(atomic_load(&devs[0].sent) > 0);
    assert_true(vmbus.n.packets >= ROUNDS * ITERATIONS * PACKETS / 2);
    assert_true(port.by_type[VMBUS_MSG_RESCIND_CHANNELOFFER] > 0);
    /* a last UNLOAD leaves nothing open, no GPADL, every open closed */
    struct vmbus_msg_header un = {VMBUS_MSG_UNLOAD, 0};
    post(&un, sizeof(un));
    for (unsigned i = 0; i < VMBUS_MAX_GPADLS; i++)
        assert_false(vmbus.gpadl[i].used);
    for (unsigned i = 0; i < NDEV; i++) {
        if (i != HOTPLUG)
            assert_int_equal(atomic_load(&devs[i].opened), atomic_load(&devs[i].closed));
    }
    check_invariants();
}

/* --- one race, step by step ------------------------------------------------------- */

static atomic_bool in_callback, go_on;
static atomic_uint after_close; /* the status of a completion sent after the close */

/* Holds the first packet until the test lets it go, then answers it. */
static void on_packet_held(VMBCHANNEL h, const VOID *buf, UINT32 len, UINT16 type, UINT64 id)
{
    (void)buf;
    (void)len;
    (void)type;
    atomic_fetch_add(&devs[0].processed, 1);
    atomic_store(&in_callback, true);
    while (!atomic_load(&go_on))
        breathe();
    atomic_store(&after_close, (unsigned)VmbChannelSendCompletion(h, &id, sizeof(id), id));
}

static void *signal_thread(void *arg)
{
    (void)arg;
    fake_port_signal(&port, VMBUS_CHANNEL_CONN_BASE + 1);
    return NULL;
}

/* The status of the last OPENCHANNEL_RESULT posted. */
static uint32_t last_open_status(void)
{
    uint32_t st = 0xFFFFFFFF;
    for (unsigned i = 0; i < port.nmsgs && i < FAKE_PORT_MSGS; i++) {
        if (fake_port_type(&port, i) == VMBUS_MSG_OPENCHANNEL_RESULT)
            memcpy(&st, port.msgs[i].payload + offsetof(struct vmbus_open_result, status), 4);
    }
    return st;
}

static void open_channel(uint32_t open_id)
{
    struct vmbus_open_channel oc = {
        {VMBUS_MSG_OPENCHANNEL, 0}, 1, open_id, 0xA1, 0, RING_PAGES / 2, {0}};
    assert_int_equal(post(&oc, sizeof(oc)), 0);
}

/* VP 1's signal hands the device a packet; while the device holds it, VP 0
 * closes the channel and opens it again. The close stands at once for the
 * guest, but the device hears of it (EvtChannelClosed) only after its packet
 * callback returned; the second packet is not handed over; the open is
 * refused while the device is busy, and accepted after. */
static void close_waits_for_the_packet_callback(void **state)
{
    (void)state;
    const struct vmbus_port p = fake_port_init(&port, ram, sizeof(ram));
    vmbus_init_port(&p);
    memset(devs, 0, sizeof(devs));
    assert_non_null(make_channel(0, on_packet_held));
    connect();
    assert_int_equal(gpadl_create(1, 0xA1, VP0_PFN), 0);
    open_channel(1);
    assert_int_equal(chan_slot(1)->state, CHAN_OPENED);
    assert_true(guest_write(VP0_PFN, 1));
    assert_true(guest_write(VP0_PFN, 2));
    pthread_t vp1;
    assert_int_equal(pthread_create(&vp1, NULL, signal_thread, NULL), 0);
    while (!atomic_load(&in_callback))
        breathe();

    struct vmbus_relid_msg cc = {{VMBUS_MSG_CLOSECHANNEL, 0}, 1};
    assert_int_equal(post(&cc, sizeof(cc)), 0);
    assert_int_equal(chan_slot(1)->state, CHAN_ENABLED);
    assert_false(fake_port_listening(&port, VMBUS_CHANNEL_CONN_BASE + 1));
    assert_int_equal(atomic_load(&devs[0].closed), 0); /* the device is still in its callback */
    open_channel(2);
    assert_int_equal(last_open_status(), (uint32_t)STATUS_INVALID_DEVICE_STATE);
    assert_int_equal(chan_slot(1)->state, CHAN_ENABLED);

    atomic_store(&go_on, true);
    pthread_join(vp1, NULL);
    assert_int_equal(atomic_load(&after_close), (uint32_t)STATUS_INVALID_PARAMETER_1);
    assert_int_equal(atomic_load(&devs[0].closed), 1);
    assert_int_equal(atomic_load(&devs[0].processed), 1); /* not the packet behind it */
    assert_false(chan_slot(1)->busy);

    open_channel(3);
    assert_int_equal(last_open_status(), STATUS_SUCCESS);
    assert_int_equal(chan_slot(1)->state, CHAN_OPENED);
    assert_int_equal(atomic_load(&devs[0].opened), 2);
}

int main(void)
{
    alarm(120); /* a lock left held (or lost) fails the run instead of hanging it */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(concurrent_vps_devices_and_resets),
        cmocka_unit_test(close_waits_for_the_packet_callback),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
