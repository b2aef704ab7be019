/* The virtio 1.0 modern PCI transport (virtio spec 1.0, 4.1) and one split
 * virtqueue (2.4), as a hardware-free driver: configuration space through
 * struct pci_cfg_ops, the device's registers through struct virtio_mmio_ops
 * (hv/arch/x86/pci.c maps BARs uncached and accesses them; tests implement a
 * fake device). Queue memory is hypervisor memory, whose physical addresses
 * are its pointers (the identity map; tests use host pointers the same way).
 * INTx stays off. Where the platform gives an MSI message and the function
 * has MSI-X, every queue and configuration change fire table entry 0 with
 * it, so a finished request makes the CPU exit the guest at once
 * (docs/storage.md, "Completions"); otherwise the avail rings say
 * NO_INTERRUPT and completions are polled. */
#ifndef HV_DRIVERS_VIRTIO_PCI_H
#define HV_DRIVERS_VIRTIO_PCI_H

#include <stdbool.h>
#include <stdint.h>

#include "drivers/pci.h"

#define VIRTIO_VENDOR 0x1af4

#define VIRTIO_STATUS_ACKNOWLEDGE 1u
#define VIRTIO_STATUS_DRIVER      2u
#define VIRTIO_STATUS_DRIVER_OK   4u
#define VIRTIO_STATUS_FEATURES_OK 8u
#define VIRTIO_F_INDIRECT_DESC    (1ull << 28)
#define VIRTIO_F_VERSION_1        (1ull << 32)
#define VIRTIO_F_ACCESS_PLATFORM  (1ull << 33) /* DMA through the IOMMU: always accepted */

/* Common configuration (4.1.4.3) offsets. */
#define VIRTIO_COMMON_DFSELECT  0x00
#define VIRTIO_COMMON_DF        0x04
#define VIRTIO_COMMON_GFSELECT  0x08
#define VIRTIO_COMMON_GF        0x0c
#define VIRTIO_COMMON_MSIX      0x10
#define VIRTIO_COMMON_NUMQ      0x12
#define VIRTIO_COMMON_STATUS    0x14
#define VIRTIO_COMMON_CFGGEN    0x15
#define VIRTIO_COMMON_Q_SELECT  0x16
#define VIRTIO_COMMON_Q_SIZE    0x18
#define VIRTIO_COMMON_Q_MSIX    0x1a
#define VIRTIO_COMMON_Q_ENABLE  0x1c
#define VIRTIO_COMMON_Q_NOFF    0x1e
#define VIRTIO_COMMON_Q_DESCLO  0x20
#define VIRTIO_COMMON_Q_DESCHI  0x24
#define VIRTIO_COMMON_Q_AVAILLO 0x28
#define VIRTIO_COMMON_Q_AVAILHI 0x2c
#define VIRTIO_COMMON_Q_USEDLO  0x30
#define VIRTIO_COMMON_Q_USEDHI  0x34
#define VIRTIO_COMMON_LEN       0x38
#define VIRTIO_MSI_NO_VECTOR    0xffff

/* The vendor capability (4.1.4) and its structures. */
#define VIRTIO_PCI_CAP_ID     0x09
#define VIRTIO_PCI_CAP_COMMON 1
#define VIRTIO_PCI_CAP_NOTIFY 2
#define VIRTIO_PCI_CAP_DEVICE 4

/* Split virtqueue layout (2.4). */
#define VIRTQ_DESC_F_NEXT          1u
#define VIRTQ_DESC_F_WRITE         2u
#define VIRTQ_DESC_F_INDIRECT      4u
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1u
#define VIRTQ_SIZE_MAX             64u /* desc + avail + used fit one page (VIRTQ_MEM_BYTES) */
#define VIRTQ_AVAIL_OFF            (16u * VIRTQ_SIZE_MAX)
#define VIRTQ_USED_OFF             2048u
#define VIRTQ_MEM_BYTES            4096u

struct virtq_desc {
    uint64_t addr;
    uint32_t len;
    uint16_t flags;
    uint16_t next;
};
struct virtq_avail {
    uint16_t flags;
    uint16_t idx;
    uint16_t ring[];
};
struct virtq_used_elem {
    uint32_t id;
    uint32_t len;
};
struct virtq_used {
    uint16_t flags;
    uint16_t idx;
    struct virtq_used_elem ring[];
};

/* Device registers: addresses are those map() returned. */
struct virtio_mmio_ops {
    void *ctx;
    uint8_t (*read8)(void *ctx, uint64_t addr);
    uint16_t (*read16)(void *ctx, uint64_t addr);
    uint32_t (*read32)(void *ctx, uint64_t addr);
    void (*write8)(void *ctx, uint64_t addr, uint8_t v);
    void (*write16)(void *ctx, uint64_t addr, uint16_t v);
    void (*write32)(void *ctx, uint64_t addr, uint32_t v);
    /* Makes physical [pa, pa + len) of a BAR reachable, uncached; the address
     * to use, 0 if it cannot. */
    uint64_t (*map)(void *ctx, uint64_t pa, uint64_t len);
    uint64_t (*now_ns)(void *ctx); /* a monotonic clock, for time-outs */
    struct pci_msi_msg msi;        /* how a device interrupts the host; addr 0: it cannot */
};

/* One buffer of a chain: physical address, length, device-writable or not. */
struct virtq_buf {
    uint64_t addr;
    uint32_t len;
    bool write;
};

struct virtq {
    uint16_t index; /* the device's queue number, also what a notify writes */
    uint16_t size;  /* a power of two, <= VIRTQ_SIZE_MAX */
    struct virtq_desc *desc;
    struct virtq_avail *avail;
    struct virtq_used *used;
    uint64_t notify; /* where the queue's index is written */
    uint16_t avail_idx, last_used;
    uint16_t free_head, num_free;
    /* The chains as the driver built them: the device's copy is never followed. */
    uint16_t next[VIRTQ_SIZE_MAX];
    uint8_t chain_len[VIRTQ_SIZE_MAX]; /* at a head; 0: not in flight */
};

struct virtio_dev {
    const struct pci_cfg_ops *pci;
    uint16_t bdf;
    const struct virtio_mmio_ops *io;
    uint64_t common, notify, device; /* mapped addresses (no ISR: INTx is never used) */
    uint32_t notify_len, notify_mul, device_len;
    uint64_t features; /* negotiated */
    uint8_t msix_cap;  /* MSI-X enabled through the capability there; 0: polled */
};

/* Finds the capabilities, maps their BAR ranges, turns memory decoding and
 * bus mastering on (INTx off), resets the device, enables MSI-X with io->msi
 * in entry 0 if both exist, and says ACKNOWLEDGE and DRIVER. -1 with *why if the function is not a
 * usable modern virtio device (then left as it was if its capabilities are unusable, else reset
 * with bus mastering off). */
int virtio_pci_open(struct virtio_dev *d, const struct pci_cfg_ops *pci, uint16_t bdf,
                    const struct virtio_mmio_ops *io, const char **why);
/* Accepts the device's features that are in wanted (VIRTIO_F_VERSION_1 is
 * required; VIRTIO_F_ACCESS_PLATFORM too when offered: the addresses given
 * are the host domain's, docs/iommu.md) and sets FEATURES_OK; -1 with *why if the device lacks
 * VERSION_1 or refuses the set. */
int virtio_pci_negotiate(struct virtio_dev *d, uint64_t wanted, const char **why);
/* Sets up queue index as q in mem (VIRTQ_MEM_BYTES, page-aligned, zeroed)
 * with at most VIRTQ_SIZE_MAX entries, interrupting through MSI-X entry 0
 * when the device has it enabled and takes the vector; -1 with *why. */
int virtio_pci_queue(struct virtio_dev *d, uint16_t index, struct virtq *q, void *mem,
                     const char **why);
void virtio_pci_driver_ok(struct virtio_dev *d);
/* Resets the device (bounded wait for it to say so), turns MSI-X and bus
 * mastering off, so it writes no memory after this, whatever it was doing. */
void virtio_pci_stop(struct virtio_dev *d);

/* Device-specific configuration, read consistently (config_generation); 0
 * beyond the device's range. */
uint32_t virtio_cfg_read32(struct virtio_dev *d, uint32_t off);
uint64_t virtio_cfg_read64(struct virtio_dev *d, uint32_t off);

/* Adds a chain of n buffers (readable ones first) and notifies the device;
 * its head in *head. -1 if fewer than n descriptors are free. */
int virtq_submit(struct virtio_dev *d, struct virtq *q, const struct virtq_buf *bufs, unsigned n,
                 uint16_t *head);
/* Adds one descriptor pointing at table, a chain of n descriptors the caller
 * filled (hypervisor memory, linked by next from entry 0: 2.4.5.3, with
 * VIRTIO_F_INDIRECT_DESC negotiated), and notifies the device; its head in
 * *head. -1 if no descriptor is free. */
int virtq_submit_indirect(struct virtio_dev *d, struct virtq *q, const struct virtq_desc *table,
                          unsigned n, uint16_t *head);
/* The next used element: 1 with its head and length, 0 if none, -1 if the
 * device broke the ring (an index ahead of what was made available, a head
 * that is not in flight). The chain is free again when 1 is returned. */
int virtq_next_used(struct virtq *q, uint16_t *head, uint32_t *len);

#endif
