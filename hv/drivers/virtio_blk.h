/* A virtio-blk driver (virtio spec 1.0, 5.2) over the modern PCI transport:
 * capacity, block size, the serial (GET_ID), and IN / OUT / FLUSH requests
 * whose data descriptors point straight at the caller's physical segments
 * (guest pages included: no copy). Completion by polling the used ring
 * (virtio_blk_poll), bounded: a request the device has not completed within
 * timeout_ns fails, and the device is stopped (reset, bus mastering off) so
 * it can no longer write the request's pages. Hardware-free. */
#ifndef HV_DRIVERS_VIRTIO_BLK_H
#define HV_DRIVERS_VIRTIO_BLK_H

#include <stdbool.h>
#include <stdint.h>

#include "drivers/virtio_pci.h"

#define VIRTIO_DEV_BLK_MODERN 0x1042 /* 0x1040 + device type 2 */
#define VIRTIO_DEV_BLK_TRANS  0x1001 /* transitional (legacy and modern) */

#define VIRTIO_BLK_F_SEG_MAX  (1ull << 2)
#define VIRTIO_BLK_F_RO       (1ull << 5)
#define VIRTIO_BLK_F_BLK_SIZE (1ull << 6)
#define VIRTIO_BLK_F_FLUSH    (1ull << 9)

#define VIRTIO_BLK_T_IN     0u
#define VIRTIO_BLK_T_OUT    1u
#define VIRTIO_BLK_T_FLUSH  4u
#define VIRTIO_BLK_T_GET_ID 8u

#define VIRTIO_BLK_S_OK     0u
#define VIRTIO_BLK_S_IOERR  1u
#define VIRTIO_BLK_S_UNSUPP 2u

/* Device configuration offsets (5.2.4). */
#define VIRTIO_BLK_CFG_CAPACITY 0
#define VIRTIO_BLK_CFG_SEG_MAX  12
#define VIRTIO_BLK_CFG_BLK_SIZE 20

#define VIRTIO_BLK_SECTOR   512u
#define VIRTIO_BLK_ID_BYTES 20u
/* Data segments a request may have: in the queue's own descriptors (with
 * header and status, 18 of them), or in a table of its slot with
 * VIRTIO_F_INDIRECT_DESC (256 a request: a 1 MiB request of scattered pages
 * in one, docs/storage.md "Completions"). */
#define VIRTIO_BLK_RING_SEGS_MAX 16u
#define VIRTIO_BLK_SEGS_MAX      254u
#define VIRTIO_BLK_SLOTS         8u
/* Headers, status bytes, the id buffer; then a descriptor table per slot. */
#define VIRTIO_BLK_DMA_PAGES  9u
#define VIRTIO_BLK_DMA_BYTES  (VIRTIO_BLK_DMA_PAGES * 4096u)
#define VIRTIO_BLK_TIMEOUT_NS 5000000000ull /* QEMU's TCG on a shared host can be slow */

/* Results, given to the completion (and returned by submit when refused). */
enum virtio_blk_result {
    VBLK_OK = 0,
    VBLK_IOERR = -1,   /* the device said VIRTIO_BLK_S_IOERR (or an unknown status) */
    VBLK_UNSUPP = -2,  /* VIRTIO_BLK_S_UNSUPP */
    VBLK_TIMEOUT = -3, /* not completed in time: the device is stopped */
    VBLK_BROKEN = -4,  /* the device broke the ring, or was stopped before */
    VBLK_INVAL = -5,   /* a request this driver refuses (submit only) */
    VBLK_BUSY = -6,    /* no free slot or descriptors (submit only) */
};

struct virtio_blk_seg {
    uint64_t addr; /* physical */
    uint32_t len;
};

typedef void (*virtio_blk_done_fn)(void *ctx, int result, uint32_t written);

struct virtio_blk_slot {
    bool busy;
    uint16_t head;
    uint32_t asked; /* device-writable data bytes */
    uint64_t deadline;
    virtio_blk_done_fn done;
    void *ctx;
};

struct virtio_blk {
    struct virtio_dev dev;
    struct virtq vq;   /* queue 0, the requests */
    uint64_t capacity; /* 512-byte sectors */
    uint32_t blk_size; /* bytes, a power of two >= 512 */
    uint32_t seg_max;
    bool read_only, flush;
    bool broken;
    uint64_t timeout_ns;
    struct virtio_blk_dma *dma;
    struct virtio_blk_slot slots[VIRTIO_BLK_SLOTS];
};

/* Drives the virtio-blk function bdf: negotiates (VERSION_1, SEG_MAX, RO,
 * BLK_SIZE, FLUSH, INDIRECT_DESC), sets up its queue in queue_mem (VIRTQ_MEM_BYTES) and its
 * request headers in dma_mem (VIRTIO_BLK_DMA_BYTES), both page-aligned
 * hypervisor memory, and reads its configuration. -1 with *why (the device
 * left stopped). */
int virtio_blk_init(struct virtio_blk *b, const struct pci_cfg_ops *pci, uint16_t bdf,
                    const struct virtio_mmio_ops *io, void *queue_mem, void *dma_mem,
                    const char **why);

/* Queues a request: IN / OUT of nsegs segments (their total a multiple of
 * 512, inside the capacity) at sector, FLUSH (only with b->flush; no
 * segments) or GET_ID (one segment of 20 bytes). 0: done(ctx, result,
 * written) runs later, from virtio_blk_poll, with written the device-written
 * data bytes (never more than asked); else a VBLK_* and done never runs. */
int virtio_blk_submit(struct virtio_blk *b, unsigned type, uint64_t sector,
                      const struct virtio_blk_seg *segs, unsigned nsegs, virtio_blk_done_fn done,
                      void *ctx);
/* Completes what the device has finished and fails what is overdue; the
 * number of requests completed. Never waits. */
unsigned virtio_blk_poll(struct virtio_blk *b);
/* Submits one request and polls until it completes (at most timeout_ns):
 * for start-up, before any guest runs. The result. */
int virtio_blk_sync(struct virtio_blk *b, unsigned type, uint64_t sector,
                    const struct virtio_blk_seg *segs, unsigned nsegs);
/* The serial (GET_ID), NUL-terminated, printable ASCII only; "" if none. */
int virtio_blk_serial(struct virtio_blk *b, char out[VIRTIO_BLK_ID_BYTES + 1]);
/* Stops the device; requests in flight fail with VBLK_BROKEN. */
void virtio_blk_stop(struct virtio_blk *b);

#endif
