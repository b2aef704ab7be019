/* VMBus ring buffers, host side (ring.h). The guest may change any byte of
 * a ring at any time, so each index and descriptor is loaded once into a
 * local, checked, and only the checked copy is used; payload bytes are
 * copied, never interpreted. Header fields are accessed with atomics: the
 * guest runs concurrently on another CPU in general, and the barriers are
 * where Linux's ring_buffer.c puts its own. */
#include "vmbus/ring.h"

#include "lib/mem.h"
#include "vmbus/vmbus_wire.h"

_Static_assert(VMBUS_RING_HEADER_SIZE == PAGE_SIZE, "header is one page");
_Static_assert(RING_MAX_PAGES * 2ull * PAGE_SIZE < (1ull << 32), "index + footprint fits 32 bits");

static const uint8_t zeros[8];

bool ring_init(struct vmbus_ring *ring, const struct guest_mem *gm, const uint64_t *pfns,
               uint32_t npages, const char **why)
{
    if (npages < 2 || npages > RING_MAX_PAGES) {
        *why = "ring is not a header page plus 1..65535 data pages";
        return false;
    }
    for (uint32_t i = 0; i < npages; i++) {
        if (pfns[i] >= 1ull << (64 - PAGE_SHIFT) ||
            !gmem_ptr(gm, pfns[i] << PAGE_SHIFT, PAGE_SIZE)) {
            *why = "ring page outside guest RAM";
            return false;
        }
    }
    ring->gm = gm;
    ring->pfns = pfns;
    ring->pages = npages;
    ring->data_size = (npages - 1) * PAGE_SIZE;
    ring->corrupt = NULL;
    return true;
}

bool ring_init_pair(struct vmbus_ring *in, struct vmbus_ring *out, const struct guest_mem *gm,
                    const uint64_t *pfns, uint32_t npages, uint32_t downstream, const char **why)
{
    if (downstream > npages) {
        *why = "downstream ring offset beyond the GPADL";
        return false;
    }
    return ring_init(in, gm, pfns, downstream, why) &&
           ring_init(out, gm, pfns + downstream, npages - downstream, why);
}

static enum ring_status broken(struct vmbus_ring *ring, const char *why)
{
    ring->corrupt = why;
    return RING_CORRUPT;
}

/* ring_init checked every page; gm does not shrink, so NULL here is only a
 * broken invariant, still reported as corruption rather than dereferenced. */
static struct vmbus_ring_header *header(const struct vmbus_ring *ring)
{
    return gmem_ptr(ring->gm, ring->pfns[0] << PAGE_SHIFT, VMBUS_RING_HEADER_SIZE);
}

/* The next piece of a copy at *off (< data_size): up to len bytes, not past
 * the end of that page. Moves *off past it, wrapping at the end of the data
 * area (whole pages, so a piece never runs past it). NULL if unmapped. */
static uint8_t *piece(const struct vmbus_ring *ring, uint32_t *off, uint32_t *len)
{
    uint32_t in_page = *off % PAGE_SIZE;
    if (*len > PAGE_SIZE - in_page)
        *len = PAGE_SIZE - in_page;
    uint64_t gpa = (ring->pfns[1 + *off / PAGE_SIZE] << PAGE_SHIFT) + in_page;
    *off += *len;
    if (*off == ring->data_size)
        *off = 0;
    return gmem_ptr(ring->gm, gpa, *len);
}

/* Copies len bytes between buf and the data area at *off on (into the ring
 * when in is set); *off ends after them. */
static bool copy(const struct vmbus_ring *ring, uint32_t *off, void *buf, uint32_t len, bool in)
{
    uint8_t *b = buf;
    while (len) {
        uint32_t n = len;
        uint8_t *p = piece(ring, off, &n);
        if (!p)
            return false;
        memcpy(in ? p : b, in ? b : p, n);
        b += n;
        len -= n;
    }
    return true;
}

static bool copy_out(const struct vmbus_ring *ring, uint32_t *off, void *dst, uint32_t len)
{
    return copy(ring, off, dst, len, false);
}

static bool copy_in(const struct vmbus_ring *ring, uint32_t *off, const void *src, uint32_t len)
{
    return copy(ring, off, (void *)(uintptr_t)src, len, true); /* only read: in is set */
}

static bool index_ok(const struct vmbus_ring *ring, uint32_t i)
{
    return i < ring->data_size && i % 8 == 0;
}

/* Bytes between the two indices (both checked): what the producer wrote and
 * the consumer has not read. Equal indices mean empty. */
static uint32_t used(const struct vmbus_ring *ring, uint32_t write, uint32_t read)
{
    return write >= read ? write - read : ring->data_size - read + write;
}

static uint32_t load(const uint32_t *p)
{
    return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static void store(uint32_t *p, uint32_t v)
{
    __atomic_store_n(p, v, __ATOMIC_RELEASE);
}

/* The header and both indices, checked: NULL when the ring is broken (a
 * header page gone, an index out of range: the ring says why). */
static struct vmbus_ring_header *indices(struct vmbus_ring *ring, uint32_t *write, uint32_t *read)
{
    struct vmbus_ring_header *h = header(ring);
    if (!h) {
        broken(ring, "header page unmapped");
        return NULL;
    }
    *write = load(&h->write_index);
    *read = load(&h->read_index);
    if (!index_ok(ring, *write)) {
        broken(ring, "write_index out of range or not 8-byte aligned");
        return NULL;
    }
    if (!index_ok(ring, *read)) {
        broken(ring, "read_index out of range or not 8-byte aligned");
        return NULL;
    }
    return h;
}

/* hv_pkt_iter_close's rule, host side: after consuming `consumed` bytes,
 * signal iff the guest announced pending_send_sz (feature bit set, size
 * non-zero) and the free space went from <= it to > it. */
static bool freed_pending(const struct vmbus_ring *ring, struct vmbus_ring_header *h, uint32_t read,
                          uint32_t consumed)
{
    if (!(load(&h->feature_bits) & VMBUS_RING_FEAT_PENDING_SEND_SZ))
        return false;
    /* read_index must be visible before pending_send_sz is sampled, or a
     * producer blocking in between would wait for a signal never sent. */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    uint32_t pending = load(&h->pending_send_sz);
    if (!pending)
        return false;
    uint32_t write = load(&h->write_index);
    if (!index_ok(ring, write))
        return false; /* the next read reports it */
    uint32_t now_free = ring->data_size - used(ring, write, read);
    uint32_t before = now_free > consumed ? now_free - consumed : 0;
    return before <= pending && now_free > pending;
}

enum ring_status ring_read_packet(struct vmbus_ring *ring, void *buf, size_t cap,
                                  struct ring_packet *pkt)
{
    if (ring->corrupt)
        return RING_CORRUPT;
    uint32_t write, read;
    struct vmbus_ring_header *h = indices(ring, &write, &read);
    if (!h)
        return RING_CORRUPT;
    uint32_t avail = used(ring, write, read);
    if (!avail)
        return RING_EMPTY;
    if (avail < sizeof(struct vmbus_packet_desc) + VMBUS_PKT_TRAILER_SIZE)
        return broken(ring, "fewer bytes than a descriptor and trailer");

    struct vmbus_packet_desc d;
    uint32_t off = read;
    if (!copy_out(ring, &off, &d, sizeof(d)))
        return broken(ring, "data page unmapped");
    if (d.offset8 < 2 || d.len8 < d.offset8)
        return broken(ring, "descriptor offset8 below 2 or above len8");
    uint32_t footprint = (uint32_t)d.len8 * 8 + VMBUS_PKT_TRAILER_SIZE;
    if (footprint > avail)
        return broken(ring, "packet runs past write_index");

    pkt->type = d.type;
    pkt->flags = d.flags;
    pkt->trans_id = d.trans_id;
    pkt->offset8 = d.offset8;
    pkt->len8 = d.len8;
    pkt->len = (uint32_t)d.len8 * 8 - sizeof(d);
    pkt->data_off = (uint32_t)d.offset8 * 8 - sizeof(d);
    pkt->data_len = pkt->len - pkt->data_off;
    pkt->signal = false;
    if (pkt->len > cap)
        return RING_TOO_SMALL;
    if (!copy_out(ring, &off, buf, pkt->len))
        return broken(ring, "data page unmapped");

    /* The trailer is skipped unread, as Linux does; release orders the
     * copies above before the guest may reuse the space. */
    uint32_t next = read + footprint;
    if (next >= ring->data_size)
        next -= ring->data_size;
    store(&h->read_index, next);
    pkt->signal = freed_pending(ring, h, next, footprint);
    return RING_OK;
}

void ring_begin_read(struct vmbus_ring *ring)
{
    struct vmbus_ring_header *h = ring->corrupt ? NULL : header(ring);
    if (h)
        store(&h->interrupt_mask, 1);
}

bool ring_end_read(struct vmbus_ring *ring)
{
    struct vmbus_ring_header *h = ring->corrupt ? NULL : header(ring);
    if (!h)
        return false;
    store(&h->interrupt_mask, 0);
    /* The mask store must be visible before the indices are sampled: a
     * packet published in between was not signalled and is caught here. */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    return load(&h->write_index) != load(&h->read_index);
}

bool ring_peek(const struct vmbus_ring *ring, uint32_t *mask, uint32_t *pending)
{
    struct vmbus_ring_header *h = ring->corrupt ? NULL : header(ring);
    if (!h)
        return false;
    *mask = load(&h->interrupt_mask);
    *pending = load(&h->pending_send_sz);
    return true;
}

enum ring_status ring_write_packet(struct vmbus_ring *ring, uint16_t type, uint16_t flags,
                                   uint64_t trans_id, const void *payload, size_t len, bool *signal)
{
    return ring_write_headed(ring, type, flags, trans_id, 0, payload, len, signal);
}

enum ring_status ring_write_headed(struct vmbus_ring *ring, uint16_t type, uint16_t flags,
                                   uint64_t trans_id, uint32_t head, const void *payload,
                                   size_t len, bool *signal)
{
    *signal = false;
    if (head % 8 || head > len)
        return RING_TOO_BIG; /* the data must start on an 8-byte unit inside the packet */
    if (ring->corrupt)
        return RING_CORRUPT;
    if (len > RING_MAX_PAYLOAD)
        return RING_TOO_BIG;
    uint32_t size = (uint32_t)(sizeof(struct vmbus_packet_desc) + len + 7) & ~7u;
    uint32_t footprint = size + VMBUS_PKT_TRAILER_SIZE;
    /* Free space must stay above the footprint, and free space is at most
     * data_size: a bigger packet would wait forever. */
    if (footprint >= ring->data_size)
        return RING_TOO_BIG;
    uint32_t write, read;
    struct vmbus_ring_header *h = indices(ring, &write, &read);
    if (!h)
        return RING_CORRUPT;

    /* Never fill the ring completely: equal indices would read as empty. */
    if (ring->data_size - used(ring, write, read) <= footprint) {
        if ((load(&h->feature_bits) & VMBUS_RING_FEAT_PENDING_SEND_SZ) &&
            load(&h->pending_send_sz) != footprint) {
            store(&h->pending_send_sz, footprint);
            /* The guest may have freed space before it could see the
             * request: look again rather than wait for a signal. */
            __atomic_thread_fence(__ATOMIC_SEQ_CST);
            read = load(&h->read_index);
            if (!index_ok(ring, read))
                return broken(ring, "read_index out of range or not 8-byte aligned");
        }
        if (ring->data_size - used(ring, write, read) <= footprint)
            return RING_FULL;
    }

    struct vmbus_packet_desc d = {type, (uint16_t)((sizeof(d) + head) / 8), (uint16_t)(size / 8),
                                  flags, trans_id};
    uint64_t trailer = (uint64_t)write << 32;
    uint32_t off = write;
    if (!copy_in(ring, &off, &d, sizeof(d)) || !copy_in(ring, &off, payload, (uint32_t)len) ||
        !copy_in(ring, &off, zeros, size - sizeof(d) - (uint32_t)len) ||
        !copy_in(ring, &off, &trailer, sizeof(trailer)))
        return broken(ring, "data page unmapped");
    store(&h->write_index, off);
    if (load(&h->pending_send_sz))
        store(&h->pending_send_sz, 0);

    /* hv_signal_on_write: write_index visible before the mask is sampled. */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    *signal = !load(&h->interrupt_mask) && load(&h->read_index) == write;
    return RING_OK;
}
