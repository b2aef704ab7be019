/* A modern virtio PCI function for the driver tests (test_drivers_virtio_*):
 * configuration space with the vendor capabilities over a 64-bit BAR4 the
 * driver sizes (common 0x0000, ISR 0x1000, device 0x2000, notify 0x3000 with
 * a multiplier of 4), register accesses checked against the BAR and memory
 * decoding, the common configuration (features, status, FV_QUEUES queues)
 * kept here, and the device configuration, notifications and resets handed
 * to the test's device through hooks. The clock moves 1 ms a look. cmocka
 * asserts: list tests/unit/fake_virtio.c in .deps. */
#ifndef TESTS_UNIT_FAKE_VIRTIO_H
#define TESTS_UNIT_FAKE_VIRTIO_H

#include <stdbool.h>
#include <stdint.h>

#include "drivers/virtio_pci.h"

#define FV_BAR_BASE   0x80000000000ull /* above 4 GiB: a 64-bit BAR */
#define FV_BAR_SIZE   0x4000ull
#define FV_ISR        0x1000
#define FV_DEVCFG     0x2000
#define FV_NOTIFY     0x3000
#define FV_NOTIFY_MUL 4
/* The capabilities' places: common, notify, ISR, device, chained in that order. */
#define FV_CAP_COMMON 0x40
#define FV_CAP_NOTIFY 0x50
#define FV_CAP_ISR    0x68
#define FV_CAP_DEVICE 0x78

#define FV_QUEUES 2
/* With fake_virtio_msix: the MSI-X capability after the device one, its
 * table in BAR4 at FV_MSIX. */
#define FV_CAP_MSIX 0x88
#define FV_MSIX     0x1800
#define FV_MSIX_MAX 4

struct fake_virtio_hooks {
    uint32_t (*device_read)(unsigned off); /* a dword of the device configuration */
    /* A 16-bit write at notify offset slot (a queue's noff). */
    void (*notify)(unsigned slot, uint32_t v);
    void (*reset)(void); /* after the common configuration's reset */
};

struct fv_queue {
    uint16_t max;  /* what the device offers: 0, no such queue */
    uint16_t noff; /* its notify offset (default: its index) */
    uint16_t size, enable, msix;
    uint64_t desc, avail, used;
};

struct fake_virtio {
    uint16_t bdf;
    uint32_t cfg[64]; /* config space dwords */
    bool bar_sizing_lo, bar_sizing_hi;
    unsigned cfg_writes;           /* to bdf */
    unsigned cfg_writes_elsewhere; /* to any other function */
    uint32_t devcfg_len;
    uint64_t now;
    /* the common configuration */
    uint32_t dfselect, gfselect;
    uint64_t offered, accepted;
    bool refuse_features; /* FEATURES_OK never sticks */
    uint8_t status, generation;
    uint16_t msix, qsel;
    unsigned resets;
    struct fv_queue q[FV_QUEUES];
    /* MSI-X (fake_virtio_msix): entries, the table as written, and whether
     * every queue vector is refused (reads back NO_VECTOR) */
    unsigned msix_entries;
    uint32_t msix_table[FV_MSIX_MAX][4];
    bool msix_refuse;
};

extern struct fake_virtio fv;
extern const struct pci_cfg_ops fake_virtio_pci;
extern const struct virtio_mmio_ops fake_virtio_io;

/* A fresh function at bdf: vendor 0x1af4, device_id, the class dword
 * class_rev, BAR4 assigned, the capabilities, devcfg_len bytes of device
 * configuration, FV_QUEUES queues of max 256; the device's part in hooks. */
void fake_virtio_init(uint16_t bdf, uint16_t device_id, uint32_t class_rev, uint32_t devcfg_len,
                      const struct fake_virtio_hooks *hooks);
/* Adds an MSI-X capability with entries (<= FV_MSIX_MAX) table entries. */
void fake_virtio_msix(unsigned entries);
/* The MSI message fake_virtio_io gives the driver. */
#define FV_MSI_ADDR 0xfee00000u
#define FV_MSI_DATA 0xf2u
/* Config space bytes, for tests that break the capabilities. */
void fake_virtio_put8(unsigned off, uint8_t v);
void fake_virtio_put32(unsigned off, uint32_t v);

#endif
