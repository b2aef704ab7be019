#include "drivers/disks.h"

#include "boot_info.h"
#include "drivers/virtio_blk.h"
#include "lib/crc32.h"
#include "lib/log.h"
#include "lib/fmt.h"
#include "lib/mem.h"
#include "lib/str.h"
#include "lib/timer.h"

#define DISKS_MAX   16
#define BENCH_READS 16 /* 4 KiB polled reads timed on a vmbhv- disk */
#define OPEN_MAX    4  /* disks a disk device may drive */
/* While a driven disk without MSI-X has requests in flight it is polled this
 * often even when no exit comes: the guest waiting for its I/O is often idle,
 * and its next exit may be milliseconds away (docs/storage.md, "Completions").
 * A disk with MSI-X makes its own exit when a request finishes. */
#define POLL_NS 50000ull

/* What the probe found and may drive again: every virtio-blk function but
 * the boot volume, by serial. */
static struct {
    const struct pci_cfg_ops *pci;
    const struct virtio_mmio_ops *io;
    struct heap *heap;
    unsigned n;
    struct {
        uint16_t bdf;
        char serial[VIRTIO_BLK_ID_BYTES + 1];
    } disk[DISKS_MAX];
    unsigned nopen;
    struct virtio_blk open[OPEN_MAX];
    struct hv_timer poll; /* armed while a polled disk has a request in flight */
} known;

struct found {
    uint16_t bdf[DISKS_MAX];
    unsigned n;
};

static bool collect(void *ctx, uint16_t bdf, uint16_t vendor, uint16_t device)
{
    struct found *f = ctx;
    if (vendor == VIRTIO_VENDOR &&
        (device == VIRTIO_DEV_BLK_MODERN || device == VIRTIO_DEV_BLK_TRANS) && f->n < DISKS_MAX)
        f->bdf[f->n++] = bdf;
    return true;
}

/* Sector 0's CRC, then the mean time of BENCH_READS 4 KiB reads (polled). */
static void read_sector0(struct virtio_blk *b, const char *serial, uint8_t *page)
{
    struct virtio_blk_seg seg = {(uint64_t)(uintptr_t)page, VIRTIO_BLK_SECTOR};
    int r = virtio_blk_sync(b, VIRTIO_BLK_T_IN, 0, &seg, 1);
    if (r) {
        hv_log("disk", "%s: sector 0 not read: error %d", serial, r);
        return;
    }
    hv_log("disk", "%s: sector 0 crc32=%08x", serial, crc32(page, VIRTIO_BLK_SECTOR));
    if (b->capacity < 8 * BENCH_READS)
        return;
    seg.len = PAGE_SIZE;
    const struct virtio_mmio_ops *io = b->dev.io;
    uint64_t t0 = io->now_ns(io->ctx);
    for (unsigned i = 0; i < BENCH_READS; i++)
        if ((r = virtio_blk_sync(b, VIRTIO_BLK_T_IN, 8 * i, &seg, 1)))
            return;
    hv_log("disk", "%s: %u polled 4 KiB reads, mean %llu us", serial, BENCH_READS,
           (unsigned long long)((io->now_ns(io->ctx) - t0) / BENCH_READS / 1000));
}

static void drive(const struct pci_cfg_ops *pci, const struct virtio_mmio_ops *io,
                  struct heap *heap, uint16_t bdf, const char *name)
{
    static struct virtio_blk blk; /* stopped before the next one */
    static uint8_t *pages;        /* queue, headers, a data page: reused */
    const char *why;
    if (!pages && !(pages = heap_alloc_pages(heap, 2 + VIRTIO_BLK_DMA_PAGES))) {
        hv_log("disk", "virtio-blk %s: out of heap", name);
        return;
    }
    if (virtio_blk_init(&blk, pci, bdf, io, pages, pages + PAGE_SIZE, &why)) {
        hv_log("disk", "virtio-blk %s not usable: %s", name, why);
        return;
    }
    char serial[VIRTIO_BLK_ID_BYTES + 1];
    int r = virtio_blk_serial(&blk, serial);
    if (r)
        hv_log("disk", "virtio-blk %s: GET_ID failed: error %d", name, r);
    hv_log("disk", "virtio-blk %s serial=%s capacity=%llu sectors%s%s", name,
           !r && serial[0] ? serial : "none", (unsigned long long)blk.capacity,
           blk.read_only ? " read-only" : "", blk.flush ? " flush" : "");
    if (!r && str_nlen(serial, 6) == 6 && !memcmp(serial, "vmbhv-", 6))
        read_sector0(&blk, serial, pages + (1 + VIRTIO_BLK_DMA_PAGES) * PAGE_SIZE);
    virtio_blk_stop(&blk);
    if (!r && serial[0] && known.n < DISKS_MAX) {
        known.disk[known.n].bdf = bdf;
        memcpy(known.disk[known.n].serial, serial, sizeof(serial));
        known.n++;
    }
}

/* Nothing to do when it fires: the host work after the exit polls. */
static void poll_due(struct hv_timer *t, uint64_t now)
{
    (void)t;
    (void)now;
}

void disks_probe(const struct pci_cfg_ops *pci, const struct virtio_mmio_ops *io, struct heap *heap,
                 uint32_t boot_disk)
{
    struct found f = {.n = 0};
    known.pci = pci;
    known.io = io;
    known.heap = heap;
    timer_setup(&known.poll, poll_due, NULL);
    pci_enumerate(pci, collect, &f);
    for (unsigned i = 0; i < f.n; i++) {
        uint16_t bdf = f.bdf[i];
        char name[8];
        fmt_snprintf(name, sizeof(name), "%02x:%02x.%u", PCI_BUS(bdf), PCI_DEV(bdf), PCI_FN(bdf));
        if (!(boot_disk & HV_BOOT_DISK_VALID))
            hv_log("disk", "virtio-blk %s not driven: the boot volume's PCI function is unknown",
                   name);
        else if (HV_BOOT_DISK_SEGMENT(boot_disk) == 0 && HV_BOOT_DISK_BDF(boot_disk) == bdf)
            hv_log("disk", "virtio-blk %s is the boot volume: not driven", name);
        else
            drive(pci, io, heap, bdf, name);
    }
    if (!f.n)
        hv_log("disk", "no virtio-blk function");
}

struct virtio_blk *disks_open(const char *serial, const char **why)
{
    for (unsigned i = 0; i < known.n; i++) {
        if (!str_eq(known.disk[i].serial, serial))
            continue;
        for (unsigned k = 0; k < known.nopen; k++) {
            if (known.open[k].dev.bdf == known.disk[i].bdf) {
                *why = "already backs another disk device";
                return NULL;
            }
        }
        uint8_t *pages;
        if (known.nopen == OPEN_MAX ||
            !(pages = heap_alloc_pages(known.heap, 1 + VIRTIO_BLK_DMA_PAGES))) {
            *why = "no room for another driven disk";
            return NULL;
        }
        struct virtio_blk *b = &known.open[known.nopen];
        if (virtio_blk_init(b, known.pci, known.disk[i].bdf, known.io, pages, pages + PAGE_SIZE,
                            why))
            return NULL;
        known.nopen++;
        return b;
    }
    *why = "no such disk (a virtio-blk function with that serial, not the boot volume)";
    return NULL;
}

static void arm_poll(void)
{
    if (!timer_armed(&known.poll))
        timer_arm(&known.poll, clock_ns() + POLL_NS);
}

int disks_submit(struct virtio_blk *b, unsigned type, uint64_t sector,
                 const struct virtio_blk_seg *segs, unsigned nsegs, virtio_blk_done_fn done,
                 void *ctx)
{
    int r = virtio_blk_submit(b, type, sector, segs, nsegs, done, ctx);
    if (!r && !b->dev.msix_cap)
        arm_poll();
    return r;
}

void disks_poll(void)
{
    bool busy = false;
    for (unsigned k = 0; k < known.nopen; k++) {
        struct virtio_blk *b = &known.open[k];
        virtio_blk_poll(b);
        for (unsigned i = 0; i < VIRTIO_BLK_SLOTS && !b->dev.msix_cap; i++)
            busy |= b->slots[i].busy;
    }
    if (busy)
        arm_poll();
}

unsigned disks_functions(uint16_t *bdf, unsigned max)
{
    unsigned n = 0;
    for (; n < known.n && n < max; n++)
        bdf[n] = known.disk[n].bdf;
    return n;
}
