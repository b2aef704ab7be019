/* The virtio-net driver (hv/drivers/virtio_net.c over virtio_pci.c and
 * pci.c) against a fake modern virtio-net PCI function (fake_virtio.c: the
 * config space, the BAR and its registers) whose device, here, has two
 * queues notified at their own offsets, takes every transmitted frame (or holds
 * them) and receives the frames a test injects into the buffers the driver
 * made available, with the MAC and the link status in its configuration.
 * Misbehaviours: no VERSION_1, a used id out of range, a used length beyond
 * the buffer or shorter than a header. Then the start-up probe (nics.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "drivers/nics.h"
#include "drivers/pci.h"
#include "drivers/virtio_net.h"
#include "fake_virtio.h"
#include "fixture.h"

#define BDF PCI_BDF(0, 2, 0)
#define NQ  2

static const uint8_t MAC[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};

/* The device's side of a queue. */
struct ring {
    uint16_t last_avail, used_idx;
};

static struct fakedev {
    uint16_t net_status;
    struct ring ring[NQ];
    unsigned notifies[NQ];
    bool hold_tx;
    uint8_t sent[128][2048];
    uint32_t sent_len[128];
    unsigned nsent;
} f;

/* --- the device ---------------------------------------------------------------------- */
static void *ptr(uint64_t pa)
{
    return (void *)(uintptr_t)pa;
}

static void push_used(unsigned qi, uint32_t id, uint32_t len)
{
    struct fv_queue *q = &fv.q[qi];
    struct ring *r = &f.ring[qi];
    struct virtq_used *used = ptr(q->used);
    used->ring[r->used_idx % q->size] = (struct virtq_used_elem){id, len};
    used->idx = ++r->used_idx;
}

/* Takes every frame made available on the transmit queue. */
static void run_tx(void)
{
    struct fv_queue *q = &fv.q[VIRTIO_NET_TXQ];
    struct ring *r = &f.ring[VIRTIO_NET_TXQ];
    struct virtq_avail *avail = ptr(q->avail);
    struct virtq_desc *desc = ptr(q->desc);
    if (f.hold_tx)
        return;
    while (r->last_avail != avail->idx) {
        uint16_t head = avail->ring[r->last_avail++ % q->size];
        struct virtq_desc *d = &desc[head];
        assert_false(d->flags & (VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT));
        assert_true(d->len > VIRTIO_NET_HDR_BYTES && d->len <= 2048);
        static const uint8_t zero[VIRTIO_NET_HDR_BYTES];
        assert_memory_equal(ptr(d->addr), zero, VIRTIO_NET_HDR_BYTES);
        assert_true(f.nsent < 128);
        f.sent_len[f.nsent] = d->len - VIRTIO_NET_HDR_BYTES;
        memcpy(f.sent[f.nsent++], (uint8_t *)ptr(d->addr) + VIRTIO_NET_HDR_BYTES,
               d->len - VIRTIO_NET_HDR_BYTES);
        push_used(VIRTIO_NET_TXQ, head, 0);
    }
}

/* A frame from the wire into the next receive buffer, reported with
 * used_len (0: the true length) and id (-1: the buffer's head). 0 if no
 * buffer was available. */
static int inject_as(const uint8_t *frame, uint32_t len, uint32_t used_len, int64_t id)
{
    struct fv_queue *q = &fv.q[VIRTIO_NET_RXQ];
    struct ring *r = &f.ring[VIRTIO_NET_RXQ];
    struct virtq_avail *avail = ptr(q->avail);
    struct virtq_desc *desc = ptr(q->desc);
    if (r->last_avail == avail->idx)
        return 0;
    uint16_t head = avail->ring[r->last_avail++ % q->size];
    struct virtq_desc *d = &desc[head];
    assert_true(d->flags & VIRTQ_DESC_F_WRITE);
    assert_false(d->flags & VIRTQ_DESC_F_NEXT);
    assert_int_equal(d->len, VIRTIO_NET_BUF_BYTES);
    memset(ptr(d->addr), 0, VIRTIO_NET_HDR_BYTES);
    memcpy((uint8_t *)ptr(d->addr) + VIRTIO_NET_HDR_BYTES, frame, len);
    push_used(VIRTIO_NET_RXQ, id < 0 ? head : (uint32_t)id,
              used_len ? used_len : VIRTIO_NET_HDR_BYTES + len);
    return 1;
}

static int inject(const uint8_t *frame, uint32_t len)
{
    return inject_as(frame, len, 0, -1);
}

static void reset_device(void)
{
    memset(f.ring, 0, sizeof(f.ring));
}

static uint32_t device_read(unsigned off)
{
    uint8_t c[32] = {0};
    memcpy(c, MAC, 6);
    memcpy(c + 6, &f.net_status, 2);
    uint32_t v;
    memcpy(&v, c + off, 4);
    return v;
}

/* The queues' notify offsets are their indexes. */
static void notify(unsigned slot, uint32_t v)
{
    assert_true(slot < NQ);
    assert_int_equal(v, slot); /* the queue's index (no NOTIFICATION_DATA) */
    assert_true(fv.status & VIRTIO_STATUS_DRIVER_OK);
    f.notifies[slot]++;
    if (slot == VIRTIO_NET_TXQ)
        run_tx();
}

static const struct fake_virtio_hooks hooks = {device_read, notify, reset_device};
static const struct pci_cfg_ops *const pci = &fake_virtio_pci;
static const struct virtio_mmio_ops *const io = &fake_virtio_io;

/* --- fixture --------------------------------------------------------------------------- */
static void *mem;
static struct virtio_net net;

static void device(void)
{
    memset(&f, 0, sizeof(f));
    fake_virtio_init(BDF, VIRTIO_DEV_NET_MODERN, 0x02000000 /* Ethernet */, 0x20, &hooks);
    /* What QEMU offers, offloads and all; only three may be taken. */
    fv.offered = VIRTIO_F_VERSION_1 | VIRTIO_NET_F_MAC | VIRTIO_NET_F_STATUS |
                 1ull << 0 /* CSUM */ | 1ull << 1 /* GUEST_CSUM */ | 1ull << 7 /* GUEST_TSO4 */ |
                 1ull << 15 /* MRG_RXBUF */ | 1ull << 17 /* CTRL_VQ */ |
                 1ull << 29 /* EVENT_IDX */ | 1ull << 34 /* RING_PACKED */;
    f.net_status = VIRTIO_NET_S_LINK_UP;
}

static int setup(void **state)
{
    (void)state;
    mem = aligned_alloc(4096, VIRTIO_NET_MEM_BYTES);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    free(mem);
    return 0;
}

static void init_ok(void)
{
    const char *why = NULL;
    assert_int_equal(virtio_net_init(&net, pci, BDF, io, mem, &why), 0);
}

static struct rx_rec {
    unsigned calls;
    uint8_t last[2048];
    uint32_t last_len;
} rx;

static void on_rx(void *ctx, const uint8_t *frame, uint32_t len)
{
    assert_ptr_equal(ctx, &rx);
    assert_true(len <= sizeof(rx.last));
    rx.calls++;
    memcpy(rx.last, frame, len);
    rx.last_len = len;
}

static void frame_of(uint8_t *p, uint32_t len, unsigned seed)
{
    for (uint32_t i = 0; i < len; i++)
        p[i] = (uint8_t)(i * 13 + seed);
}

/* --- tests ------------------------------------------------------------------------------- */

/* Only VERSION_1, MAC and STATUS accepted; both queues in the driver's
 * memory, sized down to 64; every receive buffer made available; the MAC
 * and the link read. */
static void init_negotiates(void **state)
{
    (void)state;
    device();
    init_ok();
    assert_int_equal(fv.accepted, VIRTIO_F_VERSION_1 | VIRTIO_NET_F_MAC | VIRTIO_NET_F_STATUS);
    assert_int_equal(fv.status, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
                                    VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK);
    for (unsigned i = 0; i < NQ; i++) {
        assert_int_equal(fv.q[i].size, VIRTQ_SIZE_MAX);
        assert_int_equal(fv.q[i].enable, 1);
    }
    assert_int_equal(fv.q[0].desc, (uint64_t)(uintptr_t)mem);
    assert_int_equal(fv.q[1].desc, (uint64_t)(uintptr_t)mem + VIRTQ_MEM_BYTES);
    assert_int_equal(((struct virtq_avail *)ptr(fv.q[0].avail))->idx, VIRTQ_SIZE_MAX);
    assert_int_equal(((struct virtq_avail *)ptr(fv.q[1].avail))->idx, 0);
    assert_memory_equal(net.mac, MAC, 6);
    assert_true(net.link_up);
    assert_true(net.has_status);
    assert_true(fv.cfg[1] & PCI_CMD_INTX_OFF);

    /* No VERSION_1: refused, stopped. */
    device();
    fv.offered &= ~VIRTIO_F_VERSION_1;
    const char *why = NULL;
    assert_int_equal(virtio_net_init(&net, pci, BDF, io, mem, &why), -1);
    assert_non_null(strstr(why, "VERSION_1"));
    assert_false(fv.cfg[1] & PCI_CMD_MASTER);
    /* No transmit queue. */
    device();
    fv.q[VIRTIO_NET_TXQ].max = 0;
    assert_int_equal(virtio_net_init(&net, pci, BDF, io, mem, &why), -1);
    assert_non_null(strstr(why, "a queue is absent"));
    assert_false(fv.cfg[1] & PCI_CMD_MASTER);
}

/* A frame goes out behind a zero header, byte for byte; its buffer comes
 * back at the next poll; bad lengths never reach the device. */
static void tx_frame(void **state)
{
    (void)state;
    device();
    init_ok();
    uint8_t fr[1518];
    for (unsigned i = 0; i < 300; i++) {
        uint32_t len = 14 + (i * 97) % (1518 - 14 + 1);
        frame_of(fr, len, i);
        assert_int_equal(virtio_net_tx(&net, fr, len), 0);
        assert_int_equal(f.sent_len[f.nsent - 1], len);
        assert_memory_equal(f.sent[f.nsent - 1], fr, len);
        if (f.nsent == 128)
            f.nsent = 0;
        virtio_net_poll(&net, on_rx, &rx);
    }
    assert_int_equal(net.tx_nfree, VIRTQ_SIZE_MAX);
    assert_int_equal(net.stats.tx_frames, 300);
    unsigned before = f.notifies[VIRTIO_NET_TXQ];
    assert_int_equal(virtio_net_tx(&net, fr, 13), -1);
    assert_int_equal(virtio_net_tx(&net, fr, 1519), -1);
    assert_int_equal(f.notifies[VIRTIO_NET_TXQ], before);
}

/* Frames land in the receive buffers and reach the callback byte for byte;
 * each buffer goes back to the device; at most the budget per poll. */
static void rx_and_refill(void **state)
{
    (void)state;
    device();
    init_ok();
    memset(&rx, 0, sizeof(rx));
    uint8_t fr[1518];
    for (unsigned i = 0; i < 500; i++) {
        uint32_t len = 14 + (i * 31) % (1518 - 14 + 1);
        frame_of(fr, len, i);
        assert_int_equal(inject(fr, len), 1);
        assert_int_equal(virtio_net_poll(&net, on_rx, &rx), 1);
        assert_int_equal(rx.last_len, len);
        assert_memory_equal(rx.last, fr, len);
    }
    assert_int_equal(rx.calls, 500);
    /* The ring stays full: 64 buffers ahead of the device. */
    struct virtq_avail *avail = ptr(fv.q[0].avail);
    assert_int_equal((uint16_t)(avail->idx - f.ring[0].last_avail), VIRTQ_SIZE_MAX);

    /* A burst: 40 waiting, 16 per poll. */
    for (unsigned i = 0; i < 40; i++)
        assert_int_equal(inject(fr, 60), 1);
    assert_int_equal(virtio_net_poll(&net, on_rx, &rx), VIRTIO_NET_POLL_BUDGET);
    assert_int_equal(virtio_net_poll(&net, on_rx, &rx), VIRTIO_NET_POLL_BUDGET);
    assert_int_equal(virtio_net_poll(&net, on_rx, &rx), 8);
    assert_int_equal(virtio_net_poll(&net, on_rx, &rx), 0);
    assert_int_equal(net.stats.rx_frames, 540);
}

/* A used length beyond the buffer or without a whole Ethernet header: the
 * frame is dropped and counted, the buffer goes back, the next frame is
 * fine. A used id out of range: the device is stopped and nothing more is
 * read or sent. */
static void hostile_device(void **state)
{
    (void)state;
    device();
    init_ok();
    memset(&rx, 0, sizeof(rx));
    uint8_t fr[64];
    frame_of(fr, 64, 1);
    assert_int_equal(inject_as(fr, 64, VIRTIO_NET_BUF_BYTES + 1, -1), 1);
    assert_int_equal(inject_as(fr, 64, 1u << 31, -1), 1);
    assert_int_equal(inject_as(fr, 64, VIRTIO_NET_HDR_BYTES + 13, -1), 1);
    assert_int_equal(inject(fr, 64), 1);
    assert_int_equal(virtio_net_poll(&net, on_rx, &rx), 1);
    assert_int_equal(rx.calls, 1);
    assert_int_equal(rx.last_len, 64);
    assert_int_equal(net.stats.rx_errors, 3);
    struct virtq_avail *avail = ptr(fv.q[0].avail);
    assert_int_equal((uint16_t)(avail->idx - f.ring[0].last_avail), VIRTQ_SIZE_MAX);

    unsigned resets = fv.resets;
    assert_int_equal(inject_as(fr, 64, 0, VIRTQ_SIZE_MAX + 5), 1);
    assert_int_equal(virtio_net_poll(&net, on_rx, &rx), 0);
    assert_true(net.broken);
    assert_false(net.link_up);
    f.net_status = VIRTIO_NET_S_LINK_UP;
    assert_false(virtio_net_link_check(&net)); /* a stopped card is not read */
    assert_int_equal(fv.resets, resets + 1);
    assert_false(fv.cfg[1] & PCI_CMD_MASTER);
    assert_int_equal(virtio_net_tx(&net, fr, 64), -1);
    assert_int_equal(virtio_net_poll(&net, on_rx, &rx), 0);
    assert_int_equal(rx.calls, 1);

    /* The same on the transmit queue's used ring. */
    device();
    init_ok();
    f.hold_tx = true;
    assert_int_equal(virtio_net_tx(&net, fr, 64), 0);
    push_used(VIRTIO_NET_TXQ, 1000, 0);
    virtio_net_poll(&net, on_rx, &rx);
    assert_true(net.broken);
}

/* Every transmit buffer in flight: the next frame is refused and counted,
 * nothing is overwritten; once the device completes, frames go out again. */
static void tx_queue_full(void **state)
{
    (void)state;
    device();
    init_ok();
    f.hold_tx = true;
    uint8_t fr[100];
    for (unsigned i = 0; i < VIRTQ_SIZE_MAX; i++) {
        frame_of(fr, 100, i);
        assert_int_equal(virtio_net_tx(&net, fr, 100), 0);
    }
    assert_int_equal(virtio_net_tx(&net, fr, 100), -1);
    assert_int_equal(net.stats.tx_full, 1);
    virtio_net_poll(&net, on_rx, &rx);
    assert_int_equal(virtio_net_tx(&net, fr, 100), -1);
    f.hold_tx = false;
    run_tx();
    assert_int_equal(f.nsent, VIRTQ_SIZE_MAX);
    for (unsigned i = 0; i < VIRTQ_SIZE_MAX; i++) {
        frame_of(fr, 100, i);
        assert_memory_equal(f.sent[i], fr, 100);
    }
    virtio_net_poll(&net, on_rx, &rx);
    assert_int_equal(virtio_net_tx(&net, fr, 100), 0);
    assert_int_equal(net.stats.tx_frames, VIRTQ_SIZE_MAX + 1);
}

/* The link follows the status word when it is checked (never by a poll);
 * without STATUS the link is up; a stopped card's link is down. */
static void link_status(void **state)
{
    (void)state;
    device();
    init_ok();
    assert_true(net.link_up);
    f.net_status = 0;
    for (unsigned i = 0; i < 10; i++)
        virtio_net_poll(&net, on_rx, &rx);
    assert_true(net.link_up); /* the poll does not read it */
    assert_false(virtio_net_link_check(&net));
    assert_false(net.link_up);
    f.net_status = VIRTIO_NET_S_LINK_UP;
    assert_true(virtio_net_link_check(&net));
    assert_true(net.link_up);

    device();
    fv.offered &= ~VIRTIO_NET_F_STATUS;
    f.net_status = 0;
    init_ok();
    assert_false(net.has_status);
    assert_true(virtio_net_link_check(&net));
}

/* The probe logs the card and its MAC and leaves it stopped; a nic device
 * starts it once. */
static void probe_and_start(void **state)
{
    (void)state;
    struct heap heap;
    size_t bytes = VIRTIO_NET_MEM_BYTES + 4 * 4096;
    void *hm = aligned_alloc(4096, bytes);
    heap_init(&heap, (uint64_t)(uintptr_t)hm, bytes);
    device();
    log_reset();
    nics_probe(pci, io, &heap);
    assert_int_equal(log_count("hv: nic: virtio-net 00:02.0 mac=52:54:00:12:34:56\n"), 1);
    assert_int_equal(fv.status, 0);
    assert_false(fv.cfg[1] & PCI_CMD_MASTER);
    assert_int_equal(f.notifies[0] + f.notifies[1], 0);

    struct virtio_net *n = nics_start();
    assert_non_null(n);
    assert_true(fv.status & VIRTIO_STATUS_DRIVER_OK);
    assert_int_equal(log_count("hv: nic: virtio-net 00:02.0 driven: 64 receive and 64 transmit "
                               "buffers, link up\n"),
                     1);
    assert_null(nics_start());
    assert_int_equal(log_count("hv: nic: the virtio-net card is taken\n"), 1);
    free(hm);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(init_negotiates), cmocka_unit_test(tx_frame),
        cmocka_unit_test(rx_and_refill),   cmocka_unit_test(hostile_device),
        cmocka_unit_test(tx_queue_full),   cmocka_unit_test(link_status),
        cmocka_unit_test(probe_and_start),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
