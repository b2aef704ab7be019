/* The machine's disks at start-up: finds every virtio-blk PCI function and
 * logs it; drives those that are not the boot volume just long enough to
 * read their serial (GET_ID: virtio-blk has no serial in its configuration
 * space) and, for a "vmbhv-" serial, sector 0; then stops them (reset, bus
 * mastering off) until a disk device takes one (docs/storage.md, "The
 * backend driver"). Read-only. */
#ifndef HV_DRIVERS_DISKS_H
#define HV_DRIVERS_DISKS_H

#include <stdint.h>

#include "drivers/virtio_blk.h"
#include "drivers/virtio_pci.h"
#include "lib/heap.h"

/* boot_disk: hv_boot_info.boot_disk (HV_BOOT_DISK_*): without it no disk is
 * driven, since the boot volume could be any of them. */
void disks_probe(const struct pci_cfg_ops *pci, const struct virtio_mmio_ops *io, struct heap *heap,
                 uint32_t boot_disk);

/* Drives again the probed disk whose serial is serial, for a disk device
 * (hv/devices/disk.c): its queue and headers from the heap. NULL with *why
 * when there is no such disk, it is driven already, or it fails to start. */
struct virtio_blk *disks_open(const char *serial, const char **why);
/* virtio_blk_submit on a disk disks_open gave, and for a disk without MSI-X
 * the poll timer armed, so its completion is seen without waiting for the
 * guest's next exit. */
int disks_submit(struct virtio_blk *b, unsigned type, uint64_t sector,
                 const struct virtio_blk_seg *segs, unsigned nsegs, virtio_blk_done_fn done,
                 void *ctx);
/* Completes what the driven disks finished (after every exit). */
void disks_poll(void);

/* The functions disks_open may drive (their DMA must keep working): up to
 * max bdfs into bdf; how many. */
unsigned disks_functions(uint16_t *bdf, unsigned max);

#endif
