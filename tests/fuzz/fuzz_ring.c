/* Arbitrary ring contents into the host's ring code (hv/vmbus/ring.c): the
 * input picks the ring's size and its scattered guest pages, every header
 * field (indices, mask, pending_send_sz, feature bits) and the data-area
 * bytes from read_index on, then the host drains the ring as the channel
 * code would, with fuzzer-chosen buffer sizes. Guest RAM outside the ring's
 * pages is ASan-poisoned, so any access outside them aborts. Checked: the
 * drain ends within the bytes published (no endless loop); every packet
 * handed over is consistent; the host wrote nothing but read_index and the
 * interrupt mask. Then the same pages serve as a host-to-guest ring with the
 * input's header, and the host writes packets into it: nothing but the data
 * area, write_index and pending_send_sz may change, and each packet written
 * must be exactly what was asked for. Must never crash. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sanitizer/asan_interface.h>

#include "vmbus/ring.h"

#define PG        4096u
#define RAM_PAGES 24u
#define MAX_PAGES 9u

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct input {
    const uint8_t *p;
    size_t left;
};

static uint32_t take(struct input *in, unsigned n)
{
    uint32_t v = 0;
    for (unsigned i = 0; i < n && in->left; i++, in->left--)
        v |= (uint32_t)*in->p++ << (8 * i);
    return v;
}

static uint8_t *ram, *shadow;
static uint8_t buf[MAX_PAGES * PG];

static uint8_t *at(const uint64_t *pfns, uint32_t dsize, uint32_t off)
{
    off %= dsize;
    return ram + pfns[1 + off / PG] * PG + off % PG;
}

/* Header words the host may write (bit i: bytes 4i..4i+3). */
#define W_WRITE   1u
#define W_READ    2u
#define W_MASK    4u
#define W_PENDING 8u

/* Ring pages equal the shadow except the allowed header words and, if
 * data_ok, the data area. */
static void check_only(const uint64_t *pfns, uint32_t pages, unsigned allowed, bool data_ok)
{
    const uint8_t *a = ram + pfns[0] * PG, *b = shadow + pfns[0] * PG;
    for (unsigned w = 0; w < 4; w++) {
        if (!(allowed & 1u << w) && memcmp(a + 4 * w, b + 4 * w, 4))
            abort();
    }
    if (memcmp(a + 16, b + 16, PG - 16))
        abort();
    for (uint32_t i = 1; i < pages && !data_ok; i++) {
        if (memcmp(ram + pfns[i] * PG, shadow + pfns[i] * PG, PG))
            abort();
    }
}

static void snapshot(const uint64_t *pfns, uint32_t pages)
{
    for (uint32_t i = 0; i < pages; i++)
        memcpy(shadow + pfns[i] * PG, ram + pfns[i] * PG, PG);
}

/* A header index: raw, or folded into (mostly valid) range so the fuzzer
 * reaches the packet checks quickly. */
static uint32_t index_from(struct input *in, uint32_t dsize, bool fold)
{
    uint32_t v = take(in, 4);
    return fold ? v % dsize : v;
}

static void drain(struct vmbus_ring *r, struct vmbus_ring_header *h, struct input *in)
{
    uint32_t w = h->write_index, r0 = h->read_index;
    bool sane = w < r->data_size && r0 < r->data_size && !(w % 8) && !(r0 % 8);
    uint32_t avail = sane ? (w >= r0 ? w - r0 : r->data_size - r0 + w) : 0;
    unsigned packets = 0;
    for (;;) {
        struct ring_packet p;
        size_t cap = take(in, 2) % (sizeof(buf) + 1);
        uint32_t mask_ops = take(in, 1);
        if (mask_ops & 1)
            ring_begin_read(r);
        uint32_t before = h->read_index;
        enum ring_status st = ring_read_packet(r, buf, cap, &p);
        if (st == RING_TOO_SMALL) {
            if (p.len <= cap || p.len > sizeof(buf) || h->read_index != before)
                abort();
            st = ring_read_packet(r, buf, sizeof(buf), &p);
        }
        if (st != RING_OK) {
            if (st != RING_EMPTY && st != RING_CORRUPT)
                abort();
            if (st == RING_CORRUPT && !r->corrupt)
                abort();
            if (st == RING_EMPTY && h->read_index != w)
                abort();
            break;
        }
        /* Only a sane ring yields packets, each consuming at least a
         * descriptor and trailer of what was published. */
        if (!sane || ++packets > avail / 24)
            abort();
        if (p.offset8 < 2 || p.len8 < p.offset8 || p.len != p.len8 * 8u - 16 ||
            p.data_off != p.offset8 * 8u - 16 || p.data_len != p.len - p.data_off)
            abort();
        uint32_t next = (before + p.len8 * 8u + 8) % r->data_size;
        if (h->read_index != next)
            abort();
        if (mask_ops & 2)
            ring_end_read(r);
    }
    ring_end_read(r);
}

static void produce(struct vmbus_ring *r, struct vmbus_ring_header *h, struct input *in)
{
    const uint64_t *pfns = r->pfns;
    for (unsigned n = 0; n < 64 && in->left; n++) {
        uint32_t len = take(in, 2) % (r->data_size + 64);
        uint16_t type = (uint16_t)take(in, 1), flags = (uint16_t)take(in, 1);
        bool consume = take(in, 1) & 1; /* afterwards, the guest reads everything */
        uint32_t w = h->write_index;
        bool sig;
        for (uint32_t i = 0; i < len; i++)
            buf[i] = (uint8_t)(i * 13 + n);
        snapshot(pfns, r->pages);
        enum ring_status st = ring_write_packet(r, type, flags, n, buf, len, &sig);
        /* a packet: write_index, pending_send_sz (cleared) and the data
         * area; full: pending_send_sz only; else nothing */
        if (st == RING_OK)
            check_only(pfns, r->pages, W_WRITE | W_PENDING, true);
        else
            check_only(pfns, r->pages, st == RING_FULL ? W_PENDING : 0, false);
        if (st != RING_OK) {
            if (st == RING_CORRUPT && !r->corrupt)
                abort();
            if (st == RING_FULL || st == RING_TOO_BIG)
                continue;
            return;
        }
        uint32_t size = (16 + len + 7) & ~7u;
        if (h->write_index != (w + size + 8) % r->data_size || h->pending_send_sz)
            abort();
        uint16_t d[4];
        uint64_t tid, trailer;
        for (unsigned i = 0; i < 8; i++)
            ((uint8_t *)d)[i] = *at(pfns, r->data_size, w + i);
        for (unsigned i = 0; i < 8; i++)
            ((uint8_t *)&tid)[i] = *at(pfns, r->data_size, w + 8 + i);
        for (unsigned i = 0; i < 8; i++)
            ((uint8_t *)&trailer)[i] = *at(pfns, r->data_size, w + size + i);
        if (d[0] != type || d[1] != 2 || d[2] != size / 8 || d[3] != flags || tid != n ||
            trailer != (uint64_t)w << 32)
            abort();
        for (uint32_t i = 0; i < size - 16; i++) {
            if (*at(pfns, r->data_size, w + 16 + i) != (i < len ? buf[i] : 0))
                abort();
        }
        if (consume)
            h->read_index = h->write_index;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct input in = {data, size};
    if (!ram) {
        ram = aligned_alloc(PG, RAM_PAGES * PG);
        shadow = malloc(RAM_PAGES * PG);
    }
    ASAN_UNPOISON_MEMORY_REGION(ram, RAM_PAGES * PG);
    memset(ram, 0, RAM_PAGES * PG);

    uint32_t pages = 2 + take(&in, 1) % (MAX_PAGES - 1);
    uint32_t mode = take(&in, 1);
    /* distinct pages, in an input-chosen order */
    uint64_t pfns[MAX_PAGES];
    bool used[RAM_PAGES] = {false};
    for (uint32_t i = 0; i < pages; i++) {
        uint32_t p = take(&in, 1) % RAM_PAGES;
        while (used[p])
            p = (p + 1) % RAM_PAGES;
        used[p] = true;
        pfns[i] = p;
    }
    struct guest_mem gm = {ram, RAM_PAGES * PG};
    struct vmbus_ring r;
    const char *why;
    if (!ring_init(&r, &gm, pfns, pages, &why))
        abort();
    struct vmbus_ring_header *h = (void *)(ram + pfns[0] * PG);
    h->write_index = index_from(&in, r.data_size, mode & 1);
    h->read_index = index_from(&in, r.data_size, mode & 2);
    if (mode & 4) { /* aligned, the way a Linux guest keeps them */
        h->write_index &= ~7u;
        h->read_index &= ~7u;
    }
    h->interrupt_mask = take(&in, 1);
    h->pending_send_sz = take(&in, 4);
    h->feature_bits = take(&in, 1);
    /* data bytes from read_index on, as many as the input gives */
    uint32_t n = (uint32_t)take(&in, 2) % (r.data_size + 1);
    for (uint32_t i = 0; i < n && in.left; i++)
        *at(pfns, r.data_size, h->read_index + i) = (uint8_t)take(&in, 1);
    for (uint32_t p = 0; p < RAM_PAGES; p++) {
        if (!used[p])
            ASAN_POISON_MEMORY_REGION(ram + p * PG, PG);
    }

    snapshot(pfns, pages);
    drain(&r, h, &in);
    check_only(pfns, pages, W_READ | W_MASK, false);

    /* The same pages as a host-to-guest ring, header from the input. */
    if (!ring_init(&r, &gm, pfns, pages, &why))
        abort();
    h->write_index = index_from(&in, r.data_size, mode & 8);
    h->read_index = index_from(&in, r.data_size, mode & 16);
    if (mode & 32) {
        h->write_index &= ~7u;
        h->read_index &= ~7u;
    }
    h->interrupt_mask = take(&in, 1);
    h->pending_send_sz = take(&in, 2);
    h->feature_bits = take(&in, 1);
    produce(&r, h, &in);
    return 0;
}
