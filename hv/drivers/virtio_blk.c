#include "drivers/virtio_blk.h"

#include "lib/mem.h"

/* What the device reads and writes besides the data: per slot a header and
 * a status byte, and one id buffer (GET_ID runs only through virtio_blk_serial). */
struct virtio_blk_hdr {
    uint32_t type;
    uint32_t reserved;
    uint64_t sector;
};
struct virtio_blk_dma {
    struct virtio_blk_hdr hdr[VIRTIO_BLK_SLOTS];
    uint8_t status[VIRTIO_BLK_SLOTS];
    char id[VIRTIO_BLK_ID_BYTES];
    struct virtq_desc table[VIRTIO_BLK_SLOTS][VIRTIO_BLK_SEGS_MAX + 2] __attribute__((aligned(16)));
};
_Static_assert(sizeof(struct virtio_blk_hdr) == 16, "virtio_blk_hdr");
_Static_assert(sizeof(struct virtio_blk_dma) <= VIRTIO_BLK_DMA_BYTES, "virtio_blk_dma");

#define STATUS_UNWRITTEN 0xff /* a device that completes without a status: an I/O error */
#define WANTED                                                                                     \
    (VIRTIO_BLK_F_SEG_MAX | VIRTIO_BLK_F_RO | VIRTIO_BLK_F_BLK_SIZE | VIRTIO_BLK_F_FLUSH |         \
     VIRTIO_F_INDIRECT_DESC)

int virtio_blk_init(struct virtio_blk *b, const struct pci_cfg_ops *pci, uint16_t bdf,
                    const struct virtio_mmio_ops *io, void *queue_mem, void *dma_mem,
                    const char **why)
{
    memset(b, 0, sizeof(*b));
    memset(queue_mem, 0, VIRTQ_MEM_BYTES);
    memset(dma_mem, 0, VIRTIO_BLK_DMA_BYTES);
    b->dma = dma_mem;
    b->timeout_ns = VIRTIO_BLK_TIMEOUT_NS;
    struct virtio_dev *d = &b->dev;
    if (virtio_pci_open(d, pci, bdf, io, why) || virtio_pci_negotiate(d, WANTED, why) ||
        virtio_pci_queue(d, 0, &b->vq, queue_mem, why))
        return -1;
    b->capacity = virtio_cfg_read64(d, VIRTIO_BLK_CFG_CAPACITY);
    b->blk_size = VIRTIO_BLK_SECTOR;
    if (d->features & VIRTIO_BLK_F_BLK_SIZE) {
        uint32_t bs = virtio_cfg_read32(d, VIRTIO_BLK_CFG_BLK_SIZE);
        if (bs < VIRTIO_BLK_SECTOR || bs > (64u << 10) || (bs & (bs - 1))) {
            *why = "the device's block size is not a power of two from 512 to 64 KiB";
            virtio_pci_stop(d);
            return -1;
        }
        b->blk_size = bs;
    }
    b->seg_max =
        d->features & VIRTIO_F_INDIRECT_DESC ? VIRTIO_BLK_SEGS_MAX : VIRTIO_BLK_RING_SEGS_MAX;
    if (d->features & VIRTIO_BLK_F_SEG_MAX) {
        uint32_t sm = virtio_cfg_read32(d, VIRTIO_BLK_CFG_SEG_MAX);
        if (sm < b->seg_max)
            b->seg_max = sm ? sm : 1;
    }
    b->read_only = d->features & VIRTIO_BLK_F_RO;
    b->flush = d->features & VIRTIO_BLK_F_FLUSH;
    virtio_pci_driver_ok(d);
    return 0;
}

/* The request's shape, checked before anything reaches the device. */
static bool request_ok(const struct virtio_blk *b, unsigned type, uint64_t sector,
                       const struct virtio_blk_seg *segs, unsigned nsegs)
{
    uint64_t bytes = 0;
    for (unsigned i = 0; i < nsegs; i++) {
        if (!segs[i].len)
            return false;
        bytes += segs[i].len;
    }
    switch (type) {
    case VIRTIO_BLK_T_OUT:
        if (b->read_only)
            return false;
        /* fall through */
    case VIRTIO_BLK_T_IN:
        return nsegs && nsegs <= b->seg_max && !(bytes % VIRTIO_BLK_SECTOR) &&
               sector <= b->capacity && bytes / VIRTIO_BLK_SECTOR <= b->capacity - sector;
    case VIRTIO_BLK_T_FLUSH:
        return b->flush && !nsegs;
    case VIRTIO_BLK_T_GET_ID:
        return nsegs == 1;
    default:
        return false;
    }
}

int virtio_blk_submit(struct virtio_blk *b, unsigned type, uint64_t sector,
                      const struct virtio_blk_seg *segs, unsigned nsegs, virtio_blk_done_fn done,
                      void *ctx)
{
    if (b->broken)
        return VBLK_BROKEN;
    if (!request_ok(b, type, sector, segs, nsegs))
        return VBLK_INVAL;
    unsigned s = 0;
    while (s < VIRTIO_BLK_SLOTS && b->slots[s].busy)
        s++;
    if (s == VIRTIO_BLK_SLOTS)
        return VBLK_BUSY;

    struct virtio_blk_hdr *h = &b->dma->hdr[s];
    *h = (struct virtio_blk_hdr){.type = type, .sector = type == VIRTIO_BLK_T_FLUSH ? 0 : sector};
    b->dma->status[s] = STATUS_UNWRITTEN;
    bool dev_writes = type != VIRTIO_BLK_T_OUT;
    /* The chain, built in the slot's table: handed over as it is (indirect)
     * or copied into the queue's descriptors. */
    struct virtq_desc *t = b->dma->table[s];
    unsigned n = 0;
    uint32_t asked = 0;
    t[n++] = (struct virtq_desc){(uint64_t)(uintptr_t)h, sizeof(*h), 0, 0};
    for (unsigned i = 0; i < nsegs; i++) {
        t[n++] =
            (struct virtq_desc){segs[i].addr, segs[i].len, dev_writes ? VIRTQ_DESC_F_WRITE : 0, 0};
        if (dev_writes)
            asked += segs[i].len;
    }
    t[n++] = (struct virtq_desc){(uint64_t)(uintptr_t)&b->dma->status[s], 1, VIRTQ_DESC_F_WRITE, 0};
    struct virtio_blk_slot *slot = &b->slots[s];
    int r;
    if (b->dev.features & VIRTIO_F_INDIRECT_DESC) {
        for (unsigned i = 0; i + 1 < n; i++) {
            t[i].flags |= VIRTQ_DESC_F_NEXT;
            t[i].next = (uint16_t)(i + 1);
        }
        r = virtq_submit_indirect(&b->dev, &b->vq, t, n, &slot->head);
    } else {
        struct virtq_buf bufs[VIRTIO_BLK_RING_SEGS_MAX + 2];
        for (unsigned i = 0; i < n; i++)
            bufs[i] = (struct virtq_buf){t[i].addr, t[i].len, t[i].flags & VIRTQ_DESC_F_WRITE};
        r = virtq_submit(&b->dev, &b->vq, bufs, n, &slot->head);
    }
    if (r)
        return VBLK_BUSY;
    slot->busy = true;
    slot->asked = asked;
    slot->deadline = b->dev.io->now_ns(b->dev.io->ctx) + b->timeout_ns;
    slot->done = done;
    slot->ctx = ctx;
    return 0;
}

static void finish(struct virtio_blk_slot *slot, int result, uint32_t written)
{
    slot->busy = false;
    slot->done(slot->ctx, result, written);
}

/* The device can no longer be trusted with memory: stop it, fail what it holds. */
static unsigned fail_all(struct virtio_blk *b, int result)
{
    unsigned n = 0;
    virtio_pci_stop(&b->dev);
    b->broken = true;
    for (unsigned s = 0; s < VIRTIO_BLK_SLOTS; s++) {
        if (b->slots[s].busy) {
            finish(&b->slots[s], result, 0);
            n++;
        }
    }
    return n;
}

unsigned virtio_blk_poll(struct virtio_blk *b)
{
    if (b->broken)
        return 0;
    unsigned n = 0;
    uint16_t head;
    uint32_t len;
    int r;
    while ((r = virtq_next_used(&b->vq, &head, &len)) > 0) {
        unsigned s = 0;
        while (s < VIRTIO_BLK_SLOTS && !(b->slots[s].busy && b->slots[s].head == head))
            s++;
        if (s == VIRTIO_BLK_SLOTS) /* in flight for the queue, so never: but not trusted */
            return n + fail_all(b, VBLK_BROKEN);
        uint8_t st = b->dma->status[s];
        int result = st == VIRTIO_BLK_S_OK       ? VBLK_OK
                     : st == VIRTIO_BLK_S_UNSUPP ? VBLK_UNSUPP
                                                 : VBLK_IOERR;
        /* used.len counts the status byte too; it never widens what was asked. */
        uint32_t written = len ? len - 1 : 0;
        if (written > b->slots[s].asked)
            written = b->slots[s].asked;
        finish(&b->slots[s], result, written);
        n++;
        if (b->broken) /* a completion stopped it */
            return n;
    }
    if (r < 0)
        return n + fail_all(b, VBLK_BROKEN);
    uint64_t now = b->dev.io->now_ns(b->dev.io->ctx);
    for (unsigned s = 0; s < VIRTIO_BLK_SLOTS; s++)
        if (b->slots[s].busy && (int64_t)(now - b->slots[s].deadline) > 0)
            return n + fail_all(b, VBLK_TIMEOUT);
    return n;
}

struct sync_result {
    bool done;
    int result;
};

static void sync_done(void *ctx, int result, uint32_t written)
{
    (void)written;
    struct sync_result *r = ctx;
    r->done = true;
    r->result = result;
}

int virtio_blk_sync(struct virtio_blk *b, unsigned type, uint64_t sector,
                    const struct virtio_blk_seg *segs, unsigned nsegs)
{
    struct sync_result r = {false, 0};
    int err = virtio_blk_submit(b, type, sector, segs, nsegs, sync_done, &r);
    if (err)
        return err;
    while (!r.done) /* ends: an overdue request fails */
        virtio_blk_poll(b);
    return r.result;
}

int virtio_blk_serial(struct virtio_blk *b, char out[VIRTIO_BLK_ID_BYTES + 1])
{
    out[0] = 0;
    struct virtio_blk_seg seg = {(uint64_t)(uintptr_t)b->dma->id, VIRTIO_BLK_ID_BYTES};
    memset(b->dma->id, 0, VIRTIO_BLK_ID_BYTES);
    int r = virtio_blk_sync(b, VIRTIO_BLK_T_GET_ID, 0, &seg, 1);
    if (r)
        return r;
    /* Up to 20 bytes, NUL-terminated only if shorter (5.2.6). */
    unsigned i = 0;
    for (; i < VIRTIO_BLK_ID_BYTES && b->dma->id[i]; i++) {
        char c = b->dma->id[i];
        out[i] = c >= 0x20 && c < 0x7f ? c : '?';
    }
    out[i] = 0;
    return 0;
}

void virtio_blk_stop(struct virtio_blk *b)
{
    if (!b->broken)
        fail_all(b, VBLK_BROKEN);
}
