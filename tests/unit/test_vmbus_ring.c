/* The host's ring buffers (hv/vmbus/ring.c) against a model of the guest's
 * side written here from Linux 6.1's ring_buffer.c algorithm (contract §7):
 * the guest writes packets the host reads and reads packets the host
 * writes. The rings sit on scattered, shuffled guest pages and every other
 * page of guest RAM is ASan-poisoned, so any host access outside the GPADL
 * aborts. Covered: exact packet bytes both ways, wrap-around at every
 * offset, full and empty rings, pending_send_sz and interrupt-mask
 * signalling both ways, hostile indices and descriptors, and a randomized
 * round trip. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <sanitizer/asan_interface.h>

#include "vmbus/ring.h"

#define PG        4096u
#define RAM_PAGES 96u
#define MAXPKT    (64u * 1024)

/* --- deterministic randomness ---------------------------------------------------- */
static uint64_t rng_state;

/* xorshift is stuck at 0: no seed may map there */
static void seed_rng(uint64_t seed)
{
    rng_state = seed ^ 0x9E3779B97F4A7C15ull;
    if (!rng_state)
        rng_state = 1;
}

static uint32_t rnd(uint32_t n)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return n ? (uint32_t)(rng_state % n) : 0;
}

static uint8_t pattern(uint32_t seed, uint32_t i)
{
    return (uint8_t)(seed * 131u + i * 7u + (i >> 8) + 1u);
}

/* --- the guest side ------------------------------------------------------------- */
/* One ring as Linux sees it: byte i of the data area lives on page 1 + i/4096
 * of its page list (Linux maps those pages twice in a row; this model just
 * computes the page of every byte). */
struct gring {
    uint8_t *ram;
    const uint64_t *pfns;
    uint32_t dsize;
};

static struct vmbus_ring_header *ghdr(const struct gring *g)
{
    return (struct vmbus_ring_header *)(g->ram + g->pfns[0] * PG);
}

static uint8_t *gbyte(const struct gring *g, uint32_t i)
{
    i %= g->dsize;
    return g->ram + g->pfns[1 + i / PG] * PG + i % PG;
}

static uint32_t gput(const struct gring *g, uint32_t off, const void *src, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        *gbyte(g, off + i) = ((const uint8_t *)src)[i];
    return (off + n) % g->dsize;
}

static uint32_t gget(const struct gring *g, uint32_t off, void *dst, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        ((uint8_t *)dst)[i] = *gbyte(g, off + i);
    return (off + n) % g->dsize;
}

/* hv_get_bytes_to_write */
static uint32_t g_free(const struct gring *g)
{
    uint32_t w = ghdr(g)->write_index, r = ghdr(g)->read_index;
    return w >= r ? g->dsize - (w - r) : r - w;
}

/* hv_ringbuffer_init: indices 0, feature bit set */
static void guest_ring_init(const struct gring *g)
{
    memset(ghdr(g), 0, PG);
    ghdr(g)->feature_bits = 1;
}

/* vmbus_sendpacket + hv_ringbuffer_write + hv_signal_on_write. false = -EAGAIN. */
static bool guest_write(const struct gring *g, uint16_t type, uint16_t flags, uint64_t tid,
                        const void *data, uint32_t len, bool *signal)
{
    uint32_t pktlen = 16 + len, aligned = (pktlen + 7) & ~7u;
    uint64_t zero = 0;
    struct vmbus_ring_header *h = ghdr(g);
    if (g_free(g) <= aligned + 8)
        return false;
    uint16_t desc[4] = {type, 2, (uint16_t)(aligned / 8), flags};
    uint32_t old = h->write_index, w = old;
    w = gput(g, w, desc, 8);
    w = gput(g, w, &tid, 8);
    w = gput(g, w, data, len);
    w = gput(g, w, &zero, aligned - pktlen);
    uint64_t prev = (uint64_t)old << 32;
    w = gput(g, w, &prev, 8);
    h->write_index = w;
    *signal = !h->interrupt_mask && old == h->read_index;
    return true;
}

struct gpkt {
    uint16_t type, offset8, len8, flags;
    uint64_t tid, trailer;
    uint32_t len; /* data bytes (after offset8 * 8), padding included */
};

/* hv_pkt_iter_first / __hv_pkt_iter_next / hv_pkt_iter_close for one packet,
 * with strict checks: everything the host writes must be well-formed.
 * false when empty; *signal = the guest would signal the host. */
static bool guest_read(const struct gring *g, uint8_t *buf, struct gpkt *p, bool *signal)
{
    struct vmbus_ring_header *h = ghdr(g);
    uint32_t w = h->write_index, r = h->read_index;
    uint32_t avail = w >= r ? w - r : g->dsize - r + w;
    *signal = false;
    if (avail < 16)
        return false;
    uint16_t desc[4];
    uint32_t off = gget(g, r, desc, 8);
    off = gget(g, off, &p->tid, 8);
    p->type = desc[0];
    p->offset8 = desc[1];
    p->len8 = desc[2];
    p->flags = desc[3];
    assert_int_equal(p->offset8, 2);
    assert_true(p->len8 >= 2);
    assert_true(p->len8 * 8u + 8 <= avail);
    p->len = p->len8 * 8u - 16;
    off = gget(g, off, buf, p->len);
    gget(g, off, &p->trailer, 8);
    uint32_t start = r;
    h->read_index = (r + p->len8 * 8u + 8) % g->dsize;
    /* hv_pkt_iter_close */
    if (!(h->feature_bits & 1) || !h->pending_send_sz)
        return true;
    uint32_t pending = h->pending_send_sz, cur = g_free(g);
    uint32_t bytes_read =
        h->read_index >= start ? h->read_index - start : g->dsize - start + h->read_index;
    *signal = !(cur - bytes_read > pending) && cur > pending;
    return true;
}

/* --- fixture ------------------------------------------------------------------- */
struct fx {
    struct guest_mem gm;
    uint8_t *snap;
    uint64_t pfns[RAM_PAGES];
    uint32_t npages, down;
    struct vmbus_ring in, out; /* host: guest->host, host->guest */
    struct gring gin, gout;    /* the same rings as the guest sees them */
    uint8_t buf[MAXPKT], data[MAXPKT];
};

static struct fx *F;

/* Rings of in_pages and out_pages pages on distinct random pages in random
 * order; every other page of guest RAM poisoned. reverse: pages in
 * descending order instead. */
static void build(uint32_t in_pages, uint32_t out_pages, bool reverse, uint64_t seed)
{
    struct fx *f = F;
    const char *why = NULL;
    seed_rng(seed);
    f->npages = in_pages + out_pages;
    f->down = in_pages;
    assert_true(f->npages < RAM_PAGES);
    ASAN_UNPOISON_MEMORY_REGION(f->gm.host, f->gm.size);
    for (uint32_t i = 0; i < RAM_PAGES * PG; i++)
        f->gm.host[i] = (uint8_t)(0xA5 ^ i ^ (i >> 12));
    bool taken[RAM_PAGES] = {false};
    for (uint32_t i = 0; i < f->npages; i++) {
        uint32_t p;
        if (reverse) {
            p = RAM_PAGES - 1 - 2 * i;
        } else {
            do
                p = 1 + rnd(RAM_PAGES - 1);
            while (taken[p]);
        }
        taken[p] = true;
        f->pfns[i] = p;
    }
    for (uint32_t p = 0; p < RAM_PAGES; p++) {
        if (!taken[p])
            ASAN_POISON_MEMORY_REGION(f->gm.host + p * PG, PG);
    }
    f->gin = (struct gring){f->gm.host, f->pfns, (in_pages - 1) * PG};
    f->gout = (struct gring){f->gm.host, f->pfns + in_pages, (out_pages - 1) * PG};
    guest_ring_init(&f->gin);
    guest_ring_init(&f->gout);
    assert_true(ring_init_pair(&f->in, &f->out, &f->gm, f->pfns, f->npages, in_pages, &why));
    assert_int_equal(f->in.data_size, f->gin.dsize);
    assert_int_equal(f->out.data_size, f->gout.dsize);
}

static int setup(void **state)
{
    F = calloc(1, sizeof(*F));
    F->gm.size = RAM_PAGES * PG;
    F->gm.host = aligned_alloc(PG, F->gm.size);
    F->snap = malloc(F->gm.size);
    build(4, 4, false, 0x5eed);
    *state = F;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    ASAN_UNPOISON_MEMORY_REGION(F->gm.host, F->gm.size);
    free(F->gm.host);
    free(F->snap);
    free(F);
    return 0;
}

/* Guest RAM of the ring pages, for "the host wrote only X" checks. */
static void snap(void)
{
    for (uint32_t i = 0; i < F->npages; i++)
        memcpy(F->snap + F->pfns[i] * PG, F->gm.host + F->pfns[i] * PG, PG);
}

/* Every ring byte equals the snapshot, except [gpa, gpa + len). */
static void unchanged_except(uint64_t gpa, uint32_t len)
{
    for (uint32_t i = 0; i < F->npages; i++) {
        uint64_t base = F->pfns[i] * PG;
        for (uint32_t b = 0; b < PG; b++) {
            if (base + b >= gpa && base + b < gpa + len)
                continue;
            if (F->gm.host[base + b] != F->snap[base + b])
                fail_msg("ring page %u byte %u changed", i, b);
        }
    }
}

static uint64_t hdr_gpa(const struct gring *g, size_t field)
{
    return g->pfns[0] * PG + field;
}

static void fill(uint32_t seed, uint32_t len)
{
    for (uint32_t i = 0; i < len; i++)
        F->data[i] = pattern(seed, i);
}

/* The guest sends len pattern bytes; the host reads them back, checked. */
static void g2h(uint32_t seed, uint32_t len, uint64_t tid)
{
    bool sig;
    struct ring_packet p;
    fill(seed, len);
    assert_true(guest_write(&F->gin, VMBUS_PKT_DATA_INBAND, 1, tid, F->data, len, &sig));
    memset(F->buf, 0xEE, len + 16);
    assert_int_equal(ring_read_packet(&F->in, F->buf, sizeof(F->buf), &p), RING_OK);
    assert_int_equal(p.type, VMBUS_PKT_DATA_INBAND);
    assert_int_equal(p.flags, 1);
    assert_true(p.trans_id == tid);
    assert_int_equal(p.offset8, 2);
    assert_int_equal(p.len8, (16 + len + 7) / 8);
    assert_int_equal(p.data_off, 0);
    assert_int_equal(p.len, (len + 7) & ~7u);
    assert_int_equal(p.data_len, p.len);
    assert_memory_equal(F->buf, F->data, len);
    for (uint32_t i = len; i < p.len; i++)
        assert_int_equal(F->buf[i], 0); /* the guest's padding */
    assert_int_equal(F->buf[p.len], 0xEE);
}

/* The host sends len pattern bytes; the guest model reads them back. */
static void h2g(uint32_t seed, uint32_t len, uint64_t tid)
{
    bool sig, gsig;
    struct gpkt p;
    uint32_t old = ghdr(&F->gout)->write_index;
    fill(seed, len);
    assert_int_equal(ring_write_packet(&F->out, VMBUS_PKT_DATA_INBAND, 1, tid, F->data, len, &sig),
                     RING_OK);
    assert_int_equal(ghdr(&F->gout)->write_index,
                     (old + ((16 + len + 7) & ~7u) + 8) % F->gout.dsize);
    assert_true(guest_read(&F->gout, F->buf, &p, &gsig));
    assert_int_equal(p.type, VMBUS_PKT_DATA_INBAND);
    assert_int_equal(p.flags, 1);
    assert_true(p.tid == tid);
    assert_int_equal(p.len8, (16 + len + 7) / 8);
    assert_true(p.trailer == (uint64_t)old << 32);
    assert_memory_equal(F->buf, F->data, len);
    for (uint32_t i = len; i < p.len; i++)
        assert_int_equal(F->buf[i], 0);
}

static void set_indices(const struct gring *g, uint32_t w, uint32_t r)
{
    ghdr(g)->write_index = w;
    ghdr(g)->read_index = r;
}

/* --- construction ------------------------------------------------------------- */
static void init_validates_layout(void **state)
{
    (void)state;
    struct vmbus_ring r;
    const char *why = NULL;
    uint64_t pfns[4] = {1, 2, 3, 4};
    assert_false(ring_init(&r, &F->gm, pfns, 0, &why));
    assert_false(ring_init(&r, &F->gm, pfns, 1, &why));
    assert_non_null(why);
    assert_false(ring_init(&r, &F->gm, pfns, RING_MAX_PAGES + 1, &why));
    assert_true(ring_init(&r, &F->gm, pfns, 2, &why));
    assert_int_equal(r.data_size, PG);
    assert_null(r.corrupt);
    assert_true(ring_init(&r, &F->gm, pfns, 4, &why));
    assert_int_equal(r.data_size, 3 * PG);
    const uint64_t bad[] = {RAM_PAGES, 1ull << 52, UINT64_MAX, (UINT64_MAX >> 12) + 1};
    for (unsigned i = 0; i < 4; i++) {
        why = NULL;
        pfns[3] = bad[i];
        assert_false(ring_init(&r, &F->gm, pfns, 4, &why));
        assert_string_equal(why, "ring page outside guest RAM");
    }
    pfns[3] = RAM_PAGES - 1; /* the last page is whole */
    assert_true(ring_init(&r, &F->gm, pfns, 4, &why));
}

static void init_pair_splits_at_downstream(void **state)
{
    (void)state;
    struct vmbus_ring in, out;
    const char *why = NULL;
    uint64_t pfns[8] = {10, 11, 12, 13, 20, 21, 22, 23};
    assert_true(ring_init_pair(&in, &out, &F->gm, pfns, 8, 4, &why));
    assert_ptr_equal(in.pfns, pfns);
    assert_int_equal(in.pages, 4);
    assert_ptr_equal(out.pfns, pfns + 4);
    assert_int_equal(out.pages, 4);
    assert_true(ring_init_pair(&in, &out, &F->gm, pfns, 8, 2, &why));
    assert_int_equal(in.data_size, PG);
    assert_int_equal(out.data_size, 5 * PG);
    const uint32_t bad[] = {0, 1, 7, 8, 9, UINT32_MAX};
    for (unsigned i = 0; i < 6; i++) {
        why = NULL;
        assert_false(ring_init_pair(&in, &out, &F->gm, pfns, 8, bad[i], &why));
        assert_non_null(why);
    }
}

/* --- basic traffic ----------------------------------------------------------- */
static void empty_ring(void **state)
{
    (void)state;
    struct ring_packet p;
    bool sig;
    snap();
    assert_int_equal(ring_read_packet(&F->in, F->buf, sizeof(F->buf), &p), RING_EMPTY);
    assert_int_equal(ring_read_packet(&F->in, NULL, 0, &p), RING_EMPTY);
    unchanged_except(0, 0);
    /* the same at a non-zero position */
    set_indices(&F->gin, 4096, 4096);
    assert_int_equal(ring_read_packet(&F->in, F->buf, sizeof(F->buf), &p), RING_EMPTY);
    assert_false(ring_end_read(&F->in));
    /* the guest reading the host's empty ring sees nothing either */
    struct gpkt gp;
    assert_false(guest_read(&F->gout, F->buf, &gp, &sig));
}

static void guest_to_host_packet(void **state)
{
    (void)state;
    struct ring_packet p;
    bool sig;
    fill(7, 5);
    assert_true(
        guest_write(&F->gin, VMBUS_PKT_DATA_INBAND, 1, 0x1122334455667788ull, F->data, 5, &sig));
    assert_true(sig); /* empty before, mask clear */
    snap();
    memset(F->buf, 0xEE, 64);
    assert_int_equal(ring_read_packet(&F->in, F->buf, sizeof(F->buf), &p), RING_OK);
    assert_int_equal(p.type, 6);
    assert_int_equal(p.flags, 1);
    assert_true(p.trans_id == 0x1122334455667788ull);
    assert_int_equal(p.offset8, 2);
    assert_int_equal(p.len8, 3);
    assert_int_equal(p.len, 8);
    assert_int_equal(p.data_off, 0);
    assert_int_equal(p.data_len, 8);
    assert_false(p.signal);
    assert_memory_equal(F->buf, F->data, 5);
    assert_int_equal(F->buf[5] | F->buf[6] | F->buf[7], 0);
    assert_int_equal(F->buf[8], 0xEE);
    /* read_index moved past descriptor, data, padding and trailer: only it */
    assert_int_equal(ghdr(&F->gin)->read_index, 32);
    unchanged_except(hdr_gpa(&F->gin, 4), 4);
    assert_int_equal(ring_read_packet(&F->in, F->buf, sizeof(F->buf), &p), RING_EMPTY);
}

/* Data behind a longer descriptor area (offset8 > 2, e.g. GPA direct's
 * ranges) is handed over whole, with data_off saying where the data starts. */
static void offset8_above_two(void **state)
{
    (void)state;
    struct ring_packet p;
    uint8_t raw[56];
    for (unsigned i = 0; i < sizeof(raw); i++)
        raw[i] = (uint8_t)i;
    uint16_t desc[4] = {VMBUS_PKT_DATA_USING_GPA_DIRECT, 4, 7, 1};
    memcpy(raw, desc, 8);
    uint64_t trailer = 0;
    uint32_t w = gput(&F->gin, 0, raw, 56);
    w = gput(&F->gin, w, &trailer, 8);
    ghdr(&F->gin)->write_index = w;
    assert_int_equal(ring_read_packet(&F->in, F->buf, sizeof(F->buf), &p), RING_OK);
    assert_int_equal(p.type, 9);
    assert_int_equal(p.len, 40);
    assert_int_equal(p.data_off, 16);
    assert_int_equal(p.data_len, 24);
    assert_memory_equal(F->buf, raw + 16, 40);
    /* offset8 == len8: no data at all */
    desc[1] = desc[2] = 2;
    memcpy(raw, desc, 8);
    w = gput(&F->gin, w, raw, 16);
    w = gput(&F->gin, w, &trailer, 8);
    ghdr(&F->gin)->write_index = w;
    assert_int_equal(ring_read_packet(&F->in, NULL, 0, &p), RING_OK);
    assert_int_equal(p.len, 0);
    assert_int_equal(p.data_len, 0);
}

static void buffer_too_small_consumes_nothing(void **state)
{
    (void)state;
    struct ring_packet p;
    bool sig;
    fill(3, 100);
    assert_true(guest_write(&F->gin, VMBUS_PKT_DATA_INBAND, 0, 9, F->data, 100, &sig));
    snap();
    memset(F->buf, 0xEE, 200);
    assert_int_equal(ring_read_packet(&F->in, F->buf, 103, &p), RING_TOO_SMALL);
    assert_int_equal(p.len, 104);
    assert_int_equal(p.trans_id, 9);
    assert_int_equal(F->buf[0], 0xEE);
    assert_int_equal(ring_read_packet(&F->in, NULL, 0, &p), RING_TOO_SMALL);
    unchanged_except(0, 0);
    assert_null(F->in.corrupt);
    assert_int_equal(ring_read_packet(&F->in, F->buf, 104, &p), RING_OK);
    assert_memory_equal(F->buf, F->data, 100);
}

static void host_to_guest_packet_bytes(void **state)
{
    (void)state;
    bool sig;
    /* start mid-ring so the trailer's index is not 0 */
    set_indices(&F->gout, 4000, 4000);
    fill(1, 13);
    snap();
    assert_int_equal(ring_write_packet(&F->out, VMBUS_PKT_DATA_INBAND,
                                       VMBUS_PKT_FLAG_COMPLETION_REQUESTED, 0xABCDEF, F->data, 13,
                                       &sig),
                     RING_OK);
    assert_true(sig);
    /* exact bytes, read raw: descriptor, data, 3 zero bytes, trailer */
    uint8_t raw[48], want[48] = {6, 0, 2, 0, 4, 0, 1, 0, 0xEF, 0xCD, 0xAB, 0, 0, 0, 0, 0};
    memcpy(want + 16, F->data, 13);
    uint64_t trailer = 4000ull << 32;
    memcpy(want + 32, &trailer, 8);
    gget(&F->gout, 4000, raw, 40);
    assert_memory_equal(raw, want, 40);
    assert_int_equal(ghdr(&F->gout)->write_index, 4040);
    /* the host wrote only the packet (across a page end) and write_index */
    for (uint32_t i = 0; i < 40; i++)
        F->snap[gbyte(&F->gout, 4000 + i) - F->gm.host] = raw[i];
    unchanged_except(hdr_gpa(&F->gout, 0), 4);
    struct gpkt gp;
    bool gsig;
    assert_true(guest_read(&F->gout, F->buf, &gp, &gsig));
    assert_memory_equal(F->buf, F->data, 13);
    assert_false(gsig);
}

static void completion(void **state)
{
    (void)state;
    bool sig, gsig;
    struct gpkt gp;
    uint32_t status = 0;
    assert_int_equal(ring_write_packet(&F->out, VMBUS_PKT_COMP, 0, 77, &status, 4, &sig), RING_OK);
    assert_true(guest_read(&F->gout, F->buf, &gp, &gsig));
    assert_int_equal(gp.type, VMBUS_PKT_COMP);
    assert_int_equal(gp.flags, 0);
    assert_int_equal(gp.tid, 77);
    assert_int_equal(gp.len8, 3);
    /* and one without a body */
    assert_int_equal(ring_write_packet(&F->out, VMBUS_PKT_COMP, 0, 78, NULL, 0, &sig), RING_OK);
    assert_true(guest_read(&F->gout, F->buf, &gp, &gsig));
    assert_int_equal(gp.len8, 2);
}

/* --- wrap-around at every offset ------------------------------------------------- */
static const uint32_t sweep_sizes[] = {0, 1, 13, 100, 4080, 5000, 8184};

static void wrap_every_offset_guest_to_host(void **state)
{
    (void)state;
    for (unsigned s = 0; s < sizeof(sweep_sizes) / sizeof(sweep_sizes[0]); s++) {
        uint32_t len = sweep_sizes[s];
        uint32_t fp = ((16 + len + 7) & ~7u) + 8;
        for (uint32_t start = 0; start < F->gin.dsize; start += 8) {
            set_indices(&F->gin, start, start);
            g2h(start + s, len, start);
            assert_int_equal(ghdr(&F->gin)->read_index, (start + fp) % F->gin.dsize);
        }
    }
    assert_null(F->in.corrupt);
}

static void wrap_every_offset_host_to_guest(void **state)
{
    (void)state;
    for (unsigned s = 0; s < sizeof(sweep_sizes) / sizeof(sweep_sizes[0]); s++) {
        for (uint32_t start = 0; start < F->gout.dsize; start += 8) {
            set_indices(&F->gout, start, start);
            h2g(start + s, sweep_sizes[s], start);
        }
    }
    assert_null(F->out.corrupt);
}

/* --- full rings ------------------------------------------------------------------- */
static void host_never_fills_completely(void **state)
{
    (void)state;
    bool sig;
    uint32_t d = F->out.data_size; /* 12 KiB */
    /* footprint == data_size can never fit; data_size - 8 fits an empty ring */
    assert_int_equal(ring_write_packet(&F->out, 6, 0, 0, F->data, d - 24, &sig), RING_TOO_BIG);
    assert_int_equal(ring_write_packet(&F->out, 6, 0, 0, F->data, RING_MAX_PAYLOAD + 1, &sig),
                     RING_TOO_BIG);
    assert_int_equal(ring_write_packet(&F->out, 6, 0, 0, F->data, SIZE_MAX, &sig), RING_TOO_BIG);
    assert_int_equal(ring_write_packet(&F->out, 6, 0, 0, F->data, d - 32, &sig), RING_OK);
    assert_int_equal(g_free(&F->gout), 8); /* 8 bytes free: never completely full */
    snap();
    assert_int_equal(ring_write_packet(&F->out, 6, 0, 0, NULL, 0, &sig), RING_FULL);
    assert_false(sig);
    struct gpkt gp;
    bool gsig;
    assert_true(guest_read(&F->gout, F->buf, &gp, &gsig));
    /* exact boundary: free == footprint is full, free == footprint + 8 is not */
    set_indices(&F->gout, 1000, 1000 + 200);
    assert_int_equal(g_free(&F->gout), 200);
    ghdr(&F->gout)->feature_bits = 0;
    snap();
    assert_int_equal(ring_write_packet(&F->out, 6, 0, 0, F->data, 200 - 24, &sig), RING_FULL);
    unchanged_except(0, 0); /* no pending_send_sz without the feature bit */
    assert_int_equal(ring_write_packet(&F->out, 6, 0, 0, F->data, 200 - 32, &sig), RING_OK);
    assert_false(sig); /* not empty before */
    assert_int_equal(ghdr(&F->gout)->write_index, 1192);
    assert_int_equal(g_free(&F->gout), 8);
}

static void host_fills_guest_drains(void **state)
{
    (void)state;
    bool sig, gsig;
    unsigned n = 0;
    enum ring_status st;
    while ((st = ring_write_packet(&F->out, 6, 0, n, F->data, 1000, &sig)) == RING_OK) {
        assert_int_equal(sig, n == 0);
        assert_true(++n < 100); /* a ring that takes everything is broken */
    }
    assert_int_equal(st, RING_FULL);
    assert_int_equal(n, F->out.data_size / 1024 - 1);
    struct gpkt gp;
    for (unsigned i = 0; i < n; i++) {
        assert_true(guest_read(&F->gout, F->buf, &gp, &gsig));
        assert_int_equal(gp.tid, i);
    }
    assert_false(guest_read(&F->gout, F->buf, &gp, &gsig));
}

static void guest_fills_host_drains(void **state)
{
    (void)state;
    bool sig;
    struct ring_packet p;
    set_indices(&F->gin, 8192, 8192);
    unsigned n = 0;
    while (guest_write(&F->gin, 6, 0, n, F->data, 8 * n, &sig))
        assert_true(++n < 100);
    assert_true(n > 10);
    assert_true(g_free(&F->gin) > 0);
    for (unsigned i = 0; i < n; i++) {
        assert_int_equal(ring_read_packet(&F->in, F->buf, sizeof(F->buf), &p), RING_OK);
        assert_int_equal(p.trans_id, i);
        assert_int_equal(p.len, 8 * i);
    }
    assert_int_equal(ring_read_packet(&F->in, F->buf, sizeof(F->buf), &p), RING_EMPTY);
}

/* --- signalling ----------------------------------------------------------------------- */
/* Host reading: signal exactly when free space crosses the guest's pending_send_sz. */
static void pending_send_sz_signals_once(void **state)
{
    (void)state;
    bool sig;
    struct ring_packet p;
    unsigned n = 0;
    while (guest_write(&F->gin, 6, 0, n, F->data, 1000, &sig)) /* footprint 1024 */
        assert_true(++n < 100);
    assert_int_equal(n, 11);
    assert_int_equal(g_free(&F->gin), 1024);
    ghdr(&F->gin)->pending_send_sz = 2048;
    snap();
    assert_int_equal(ring_read_packet(&F->in, F->buf, sizeof(F->buf), &p), RING_OK);
    assert_false(p.signal); /* free 2048: not above */
    assert_int_equal(ring_read_packet(&F->in, F->buf, sizeof(F->buf), &p), RING_OK);
    assert_true(p.signal); /* 2048 -> 3072 */
    assert_int_equal(ring_read_packet(&F->in, F->buf, sizeof(F->buf), &p), RING_OK);
    assert_false(p.signal);                   /* already above before */
    unchanged_except(hdr_gpa(&F->gin, 4), 4); /* the host never touches pending_send_sz */
    /* one read crossing from far below to far above */
    ghdr(&F->gin)->pending_send_sz = 4096 + 512;
    assert_int_equal(ring_read_packet(&F->in, F->buf, sizeof(F->buf), &p), RING_OK);
    assert_true(p.signal); /* 4096 -> 5120 */
}

static void pending_send_sz_rules(void **state)
{
    (void)state;
    bool sig;
    struct ring_packet p;
    struct vmbus_ring_header *h = ghdr(&F->gin);
    for (unsigned n = 0; guest_write(&F->gin, 6, 0, n, F->data, 1000, &sig); n++)
        assert_true(n < 100);
    /* free 1024 now; pending 1500: the first read (-> 2048) crosses */
    h->pending_send_sz = 1500;
    assert_int_equal(ring_read_packet(&F->in, F->buf, sizeof(F->buf), &p), RING_OK);
    assert_true(p.signal);
    /* pending 0: never */
    h->pending_send_sz = 0;
    assert_int_equal(ring_read_packet(&F->in, F->buf, sizeof(F->buf), &p), RING_OK);
    assert_false(p.signal);
    /* feature bit clear: never, whatever pending says */
    h->pending_send_sz = 3500;
    h->feature_bits = 0;
    assert_int_equal(ring_read_packet(&F->in, F->buf, sizeof(F->buf), &p), RING_OK);
    assert_false(p.signal); /* 3072 -> 4096 would cross */
    h->feature_bits = 1;
    h->pending_send_sz = 4500;
    assert_int_equal(ring_read_packet(&F->in, F->buf, sizeof(F->buf), &p), RING_OK);
    assert_true(p.signal); /* 4096 -> 5120 */
    /* the guest wrote more meanwhile: the host judges the current free space */
    assert_true(guest_write(&F->gin, 6, 0, 99, F->data, 1000, &sig));
    h->pending_send_sz = 5000; /* free 4096, after the next read 5120 */
    assert_int_equal(ring_read_packet(&F->in, F->buf, sizeof(F->buf), &p), RING_OK);
    assert_true(p.signal);
}

/* Host writing: signal iff interrupt_mask clear and the ring was empty. */
static void interrupt_mask_and_empty_rule(void **state)
{
    (void)state;
    bool sig, gsig;
    struct gpkt gp;
    struct vmbus_ring_header *h = ghdr(&F->gout);
    h->interrupt_mask = 1;
    assert_int_equal(ring_write_packet(&F->out, 6, 0, 1, F->data, 10, &sig), RING_OK);
    assert_false(sig); /* masked */
    assert_true(guest_read(&F->gout, F->buf, &gp, &gsig));
    h->interrupt_mask = 0;
    assert_int_equal(ring_write_packet(&F->out, 6, 0, 2, F->data, 10, &sig), RING_OK);
    assert_true(sig); /* empty -> non-empty */
    assert_int_equal(ring_write_packet(&F->out, 6, 0, 3, F->data, 10, &sig), RING_OK);
    assert_false(sig); /* the guest has not read yet */
    assert_true(guest_read(&F->gout, F->buf, &gp, &gsig));
    assert_int_equal(ring_write_packet(&F->out, 6, 0, 4, F->data, 10, &sig), RING_OK);
    assert_false(sig); /* one still unread */
    assert_true(guest_read(&F->gout, F->buf, &gp, &gsig));
    assert_true(guest_read(&F->gout, F->buf, &gp, &gsig));
    assert_int_equal(gp.tid, 4);
    assert_int_equal(ring_write_packet(&F->out, 6, 0, 5, F->data, 10, &sig), RING_OK);
    assert_true(sig);
}

/* Host blocked on a full host-to-guest ring: pending_send_sz asks the guest
 * to signal, the guest's read does once the packet fits, the next write
 * clears the request. */
static void host_pending_send_sz(void **state)
{
    (void)state;
    bool sig, gsig;
    struct gpkt gp;
    struct vmbus_ring_header *h = ghdr(&F->gout);
    unsigned n = 0;
    while (ring_write_packet(&F->out, 6, 0, n, F->data, 1000, &sig) == RING_OK)
        assert_true(++n < 100);
    /* free 1024; a 2000-byte packet needs free > 2024 */
    assert_int_equal(ring_write_packet(&F->out, 6, 0, 99, F->data, 2000, &sig), RING_FULL);
    assert_int_equal(h->pending_send_sz, 2024);
    assert_true(guest_read(&F->gout, F->buf, &gp, &gsig));
    assert_true(gsig); /* 1024 -> 2048 crosses 2024 */
    assert_int_equal(ring_write_packet(&F->out, 6, 0, 99, F->data, 2000, &sig), RING_OK);
    assert_int_equal(h->pending_send_sz, 0);
    assert_true(guest_read(&F->gout, F->buf, &gp, &gsig));
    assert_false(gsig);
}

static void begin_end_read(void **state)
{
    (void)state;
    bool sig;
    struct ring_packet p;
    struct vmbus_ring_header *h = ghdr(&F->gin);
    ring_begin_read(&F->in);
    assert_int_equal(h->interrupt_mask, 1);
    assert_true(guest_write(&F->gin, 6, 0, 1, F->data, 10, &sig));
    assert_false(sig);                  /* the host said it is reading */
    assert_true(ring_end_read(&F->in)); /* arrived unsignalled: read again */
    assert_int_equal(h->interrupt_mask, 0);
    ring_begin_read(&F->in);
    assert_int_equal(ring_read_packet(&F->in, F->buf, sizeof(F->buf), &p), RING_OK);
    assert_false(ring_end_read(&F->in));
    assert_true(guest_write(&F->gin, 6, 0, 2, F->data, 10, &sig));
    assert_true(sig);
}

/* --- hostile rings ------------------------------------------------------------------ */
/* A guest-to-host ring with indices w, r and, if desc, that descriptor at r:
 * the host must call it corrupt (the reason containing why), write nothing,
 * copy nothing, and keep refusing after the guest repairs it. */
static void expect_corrupt(uint32_t w, uint32_t r, const uint16_t *desc, const char *why)
{
    struct ring_packet p;
    bool sig;
    if (desc)
        gput(&F->gin, r, desc, 8);
    set_indices(&F->gin, w, r);
    snap();
    memset(F->buf, 0xEE, 256);
    assert_int_equal(ring_read_packet(&F->in, F->buf, sizeof(F->buf), &p), RING_CORRUPT);
    assert_non_null(F->in.corrupt);
    if (!strstr(F->in.corrupt, why))
        fail_msg("reason \"%s\", expected \"%s\"", F->in.corrupt, why);
    unchanged_except(0, 0);
    for (unsigned i = 0; i < 256; i++)
        assert_int_equal(F->buf[i], 0xEE);
    /* sticky: the channel is given up even if the guest repairs the ring */
    set_indices(&F->gin, 0, 0);
    assert_true(guest_write(&F->gin, 6, 0, 0, F->data, 8, &sig));
    snap();
    assert_int_equal(ring_read_packet(&F->in, F->buf, sizeof(F->buf), &p), RING_CORRUPT);
    ring_begin_read(&F->in);
    assert_false(ring_end_read(&F->in));
    unchanged_except(0, 0);
}

#define WIDX "write_index out of range or not 8-byte aligned"
#define RIDX "read_index out of range or not 8-byte aligned"
#define DESC "descriptor offset8 below 2 or above len8"
#define PAST "packet runs past write_index"
#define FEW  "fewer bytes than a descriptor and trailer"

static void hostile_write_index_out_of_range(void **state)
{
    (void)state;
    expect_corrupt(F->gin.dsize, 0, NULL, WIDX);
}

/* -4096: a naive contiguous mapping would land in the header page */
static void hostile_write_index_in_header_page(void **state)
{
    (void)state;
    expect_corrupt(0xFFFFF000u, 0, NULL, WIDX);
}

static void hostile_write_index_huge(void **state)
{
    (void)state;
    expect_corrupt(0x80000000u, 64, NULL, WIDX);
}

static void hostile_read_index_out_of_range(void **state)
{
    (void)state;
    expect_corrupt(0, F->gin.dsize + 8, NULL, RIDX);
}

static void hostile_write_index_unaligned(void **state)
{
    (void)state;
    expect_corrupt(4, 0, NULL, WIDX);
}

static void hostile_read_index_unaligned(void **state)
{
    (void)state;
    expect_corrupt(64, 12, NULL, RIDX);
}

static void hostile_len8_zero(void **state)
{
    (void)state;
    const uint16_t d[4] = {6, 2, 0, 0};
    expect_corrupt(64, 0, d, DESC);
}

static void hostile_offset8_above_len8(void **state)
{
    (void)state;
    const uint16_t d[4] = {6, 5, 4, 0};
    expect_corrupt(64, 0, d, DESC);
}

static void hostile_offset8_zero(void **state)
{
    (void)state;
    const uint16_t d[4] = {6, 0, 4, 0};
    expect_corrupt(64, 0, d, DESC);
}

static void hostile_offset8_one(void **state)
{
    (void)state;
    const uint16_t d[4] = {6, 1, 4, 0};
    expect_corrupt(64, 0, d, DESC);
}

static void hostile_len8_huge(void **state)
{
    (void)state;
    const uint16_t d[4] = {6, 2, 0xFFFF, 0};
    expect_corrupt(F->gin.dsize - 8, 0, d, PAST);
}

/* len8 one unit longer than what the guest published */
static void hostile_packet_past_write_index(void **state)
{
    (void)state;
    const uint16_t d[4] = {6, 2, 7, 0}; /* 56 + 8 bytes */
    expect_corrupt(56, 0, d, PAST);
}

/* a well-formed packet whose trailer is not published */
static void hostile_trailer_missing(void **state)
{
    (void)state;
    bool sig;
    assert_true(guest_write(&F->gin, 6, 0, 0, F->data, 100, &sig));
    expect_corrupt(ghdr(&F->gin)->write_index - 8, 0, NULL, PAST);
}

/* a packet that claims to run across the ring's end and past write_index */
static void hostile_wrap_trick(void **state)
{
    (void)state;
    const uint16_t d[4] = {6, 2, 4, 0};
    expect_corrupt(16, F->gin.dsize - 8, d, PAST); /* 24 bytes published, 40 claimed */
}

static void hostile_fewer_than_descriptor_and_trailer(void **state)
{
    (void)state;
    const uint16_t d[4] = {6, 2, 2, 0};
    expect_corrupt(16, 0, d, FEW); /* descriptor without its trailer */
}

static void hostile_fewer_than_descriptor(void **state)
{
    (void)state;
    expect_corrupt(F->gin.dsize - 4096 + 8, F->gin.dsize - 4096, NULL, FEW);
}

/* The host-to-guest ring's indices are guest memory too. */
static void hostile_indices_on_write(void **state)
{
    (void)state;
    bool sig;
    const uint32_t bad[][2] = {
        {0, F->gout.dsize}, {0, 4}, {0xFFFFF000u, 0}, {F->gout.dsize, 0}, {12, 0}};
    for (unsigned i = 0; i < 5; i++) {
        build(4, 4, false, i);
        set_indices(&F->gout, bad[i][0], bad[i][1]);
        snap();
        assert_int_equal(ring_write_packet(&F->out, 6, 0, 0, F->data, 100, &sig), RING_CORRUPT);
        assert_false(sig);
        assert_non_null(F->out.corrupt);
        unchanged_except(0, 0);
        set_indices(&F->gout, 0, 0);
        assert_int_equal(ring_write_packet(&F->out, 6, 0, 0, F->data, 100, &sig), RING_CORRUPT);
        unchanged_except(hdr_gpa(&F->gout, 0), 8);
    }
}

/* --- layout: pages anywhere, in any order ------------------------------------------- */
static void pages_in_reverse_order(void **state)
{
    (void)state;
    build(5, 3, true, 1);
    assert_true(F->pfns[0] > F->pfns[1]);
    bool sig;
    set_indices(&F->gout, 4000, 4000);
    fill(9, 5000);
    snap();
    assert_int_equal(ring_write_packet(&F->out, 6, 0, 0, F->data, 5000, &sig), RING_OK);
    /* data byte k of the packet is at data offset 4016 + k, on page 1 + off/4096 of
     * the host-to-guest ring: check where it landed, address by address */
    for (uint32_t k = 0; k < 5000; k++) {
        uint32_t off = (4016 + k) % F->gout.dsize;
        uint64_t gpa = F->pfns[F->down + 1 + off / PG] * PG + off % PG;
        assert_int_equal(F->gm.host[gpa], F->data[k]);
    }
    /* and nothing of the guest-to-host ring changed */
    for (uint32_t i = 0; i < F->down; i++)
        assert_memory_equal(F->gm.host + F->pfns[i] * PG, F->snap + F->pfns[i] * PG, PG);
    for (uint32_t start = 0; start < F->gin.dsize; start += 8 * 61) {
        set_indices(&F->gin, start, start);
        g2h(start, 7000, start);
    }
    for (uint32_t start = 0; start < F->gout.dsize; start += 8 * 61) {
        set_indices(&F->gout, start, start);
        h2g(start, 3000, start);
    }
}

/* --- randomized round trip ---------------------------------------------------------- */
struct q {
    unsigned head, n;
    struct {
        uint32_t seed, len;
        uint64_t tid;
    } e[4096];
};

static uint32_t rand_len(void)
{
    switch (rnd(4)) {
    case 0:
        return rnd(16);
    case 1:
        return rnd(600);
    case 2:
        return rnd(3000);
    default:
        return rnd(9000);
    }
}

static void round_trip_once(uint64_t seed)
{
    seed_rng(seed);
    uint32_t in_pages = 2 + rnd(5), out_pages = 2 + rnd(5);
    build(in_pages, out_pages, false, seed);
    static struct q qin, qout;
    memset(&qin, 0, sizeof(qin));
    memset(&qout, 0, sizeof(qout));
    struct vmbus_ring_header *hin = ghdr(&F->gin), *hout = ghdr(&F->gout);
    uint32_t host_pending = 0; /* what the host should have asked for */
    uint64_t tid = 1;
    for (unsigned op = 0; op < 3000; op++) {
        bool sig = false;
        uint32_t len = rand_len(), fp = ((16 + len + 7) & ~7u) + 8;
        switch (rnd(7)) {
        case 0: { /* guest sends */
            bool empty = hin->write_index == hin->read_index, fits = g_free(&F->gin) > fp;
            fill((uint32_t)tid, len);
            assert_int_equal(guest_write(&F->gin, 6, 0, tid, F->data, len, &sig), fits);
            if (!fits)
                break;
            assert_int_equal(sig, empty && !hin->interrupt_mask);
            unsigned at = (qin.head + qin.n++) % 4096;
            qin.e[at].seed = (uint32_t)tid;
            qin.e[at].len = len;
            qin.e[at].tid = tid++;
            break;
        }
        case 1: { /* host reads */
            struct ring_packet p;
            size_t cap = rnd(8) ? sizeof(F->buf) : rnd(2000);
            uint32_t before = g_free(&F->gin), pending = hin->pending_send_sz;
            enum ring_status st = ring_read_packet(&F->in, F->buf, cap, &p);
            if (!qin.n) {
                assert_int_equal(st, RING_EMPTY);
                break;
            }
            uint32_t want = qin.e[qin.head].len, padded = (want + 7) & ~7u;
            assert_int_equal(p.len, padded);
            assert_true(p.trans_id == qin.e[qin.head].tid);
            if (cap < padded) {
                assert_int_equal(st, RING_TOO_SMALL);
                break;
            }
            assert_int_equal(st, RING_OK);
            fill(qin.e[qin.head].seed, want);
            assert_memory_equal(F->buf, F->data, want);
            uint32_t after = before + padded + 24;
            assert_int_equal(g_free(&F->gin), after);
            assert_int_equal(p.signal, pending && before <= pending && after > pending);
            qin.head = (qin.head + 1) % 4096;
            qin.n--;
            break;
        }
        case 2: { /* host sends */
            bool empty = hout->write_index == hout->read_index;
            uint32_t free_before = g_free(&F->gout);
            fill((uint32_t)tid, len);
            enum ring_status st = ring_write_packet(&F->out, 6, 0, tid, F->data, len, &sig);
            if (fp >= F->out.data_size) {
                assert_int_equal(st, RING_TOO_BIG);
            } else if (free_before <= fp) {
                assert_int_equal(st, RING_FULL);
                assert_false(sig);
                host_pending = fp;
            } else {
                assert_int_equal(st, RING_OK);
                assert_int_equal(sig, empty && !hout->interrupt_mask);
                host_pending = 0;
                unsigned at = (qout.head + qout.n++) % 4096;
                qout.e[at].seed = (uint32_t)tid;
                qout.e[at].len = len;
                qout.e[at].tid = tid++;
            }
            assert_int_equal(hout->pending_send_sz, host_pending);
            break;
        }
        case 3: { /* guest reads */
            struct gpkt gp;
            uint32_t before = g_free(&F->gout);
            bool got = guest_read(&F->gout, F->buf, &gp, &sig);
            assert_int_equal(got, qout.n != 0);
            if (!got)
                break;
            uint32_t want = qout.e[qout.head].len;
            assert_true(gp.tid == qout.e[qout.head].tid);
            assert_int_equal(gp.len, (want + 7) & ~7u);
            fill(qout.e[qout.head].seed, want);
            assert_memory_equal(F->buf, F->data, want);
            uint32_t after = g_free(&F->gout);
            /* the blocked host is woken exactly when its packet fits */
            assert_int_equal(sig, host_pending && before <= host_pending && after > host_pending);
            qout.head = (qout.head + 1) % 4096;
            qout.n--;
            break;
        }
        case 4: /* the host drains with the mask protocol */
            ring_begin_read(&F->in);
            assert_int_equal(hin->interrupt_mask, 1);
            if (rnd(2)) {
                assert_int_equal(ring_end_read(&F->in), qin.n != 0);
                assert_int_equal(hin->interrupt_mask, 0);
            }
            break;
        case 5: /* the guest masks or unmasks its inbound ring */
            hout->interrupt_mask = rnd(2);
            break;
        default: /* the guest says what it waits for */
            hin->pending_send_sz = rnd(3) ? 0 : rnd(F->gin.dsize + 1);
            break;
        }
    }
    assert_null(F->in.corrupt);
    assert_null(F->out.corrupt);
}

static void randomized_round_trip(void **state)
{
    (void)state;
    for (uint64_t seed = 1; seed <= 40; seed++)
        round_trip_once(seed * 0x9E3779B97F4A7C15ull);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(init_validates_layout),
        T(init_pair_splits_at_downstream),
        T(empty_ring),
        T(guest_to_host_packet),
        T(offset8_above_two),
        T(buffer_too_small_consumes_nothing),
        T(host_to_guest_packet_bytes),
        T(completion),
        T(wrap_every_offset_guest_to_host),
        T(wrap_every_offset_host_to_guest),
        T(host_never_fills_completely),
        T(host_fills_guest_drains),
        T(guest_fills_host_drains),
        T(pending_send_sz_signals_once),
        T(pending_send_sz_rules),
        T(interrupt_mask_and_empty_rule),
        T(host_pending_send_sz),
        T(begin_end_read),
        T(hostile_write_index_out_of_range),
        T(hostile_write_index_in_header_page),
        T(hostile_write_index_huge),
        T(hostile_read_index_out_of_range),
        T(hostile_write_index_unaligned),
        T(hostile_read_index_unaligned),
        T(hostile_len8_zero),
        T(hostile_offset8_above_len8),
        T(hostile_offset8_zero),
        T(hostile_offset8_one),
        T(hostile_len8_huge),
        T(hostile_packet_past_write_index),
        T(hostile_trailer_missing),
        T(hostile_wrap_trick),
        T(hostile_fewer_than_descriptor_and_trailer),
        T(hostile_fewer_than_descriptor),
        T(hostile_indices_on_write),
        T(pages_in_reverse_order),
        T(randomized_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
