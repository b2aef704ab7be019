/* A virtio-net driver (virtio spec 1.0, 5.1) over the modern PCI transport:
 * the MAC, the link status, a receive queue of buffers in hypervisor memory
 * and a transmit queue that copies each frame behind a 12-byte header. No
 * offloads, no merged buffers, no control queue: only VERSION_1, MAC and
 * STATUS are accepted, so every frame is whole and checksummed and fits one
 * buffer. Completion by polling (virtio_net_poll), bounded per call. A device
 * that breaks a ring is stopped (reset, bus mastering off). Hardware-free. */
#ifndef HV_DRIVERS_VIRTIO_NET_H
#define HV_DRIVERS_VIRTIO_NET_H

#include <stdbool.h>
#include <stdint.h>

#include "drivers/virtio_pci.h"

#define VIRTIO_DEV_NET_MODERN 0x1041 /* 0x1040 + device type 1 */
#define VIRTIO_DEV_NET_TRANS  0x1000 /* transitional (legacy and modern) */

#define VIRTIO_NET_F_MAC    (1ull << 5)
#define VIRTIO_NET_F_STATUS (1ull << 16)

/* Device configuration (5.1.4): the MAC, then the status word. */
#define VIRTIO_NET_CFG_MAC     0
#define VIRTIO_NET_CFG_STATUS  6
#define VIRTIO_NET_S_LINK_UP   1u
#define VIRTIO_NET_RXQ         0
#define VIRTIO_NET_TXQ         1
#define VIRTIO_NET_HDR_BYTES   12u /* struct virtio_net_hdr with num_buffers (VERSION_1) */
#define VIRTIO_NET_MAX_FRAME   1518u
#define VIRTIO_NET_BUF_BYTES   2048u /* one header and the largest frame */
#define VIRTIO_NET_BUFS        VIRTQ_SIZE_MAX
#define VIRTIO_NET_POLL_BUDGET 16u /* received frames handed up per poll */
/* Two queues, then the receive and transmit buffers. */
#define VIRTIO_NET_MEM_BYTES (2u * VIRTQ_MEM_BYTES + 2u * VIRTIO_NET_BUFS * VIRTIO_NET_BUF_BYTES)

struct virtio_net_stats {
    uint64_t rx_frames, tx_frames;
    uint64_t rx_errors; /* a used length the buffer cannot hold, or no frame in it */
    uint64_t tx_full;   /* refused: every transmit buffer in flight */
};

struct virtio_net {
    struct virtio_dev dev;
    struct virtq rxq, txq;
    uint8_t mac[6];
    bool has_status; /* VIRTIO_NET_F_STATUS: else the link is always up */
    bool link_up;
    bool broken; /* stopped: it broke a ring */
    uint8_t *rx_bufs, *tx_bufs;
    /* The buffer each in-flight chain (by head) carries. */
    uint8_t rx_buf_of[VIRTQ_SIZE_MAX], tx_buf_of[VIRTQ_SIZE_MAX];
    uint8_t tx_free[VIRTIO_NET_BUFS]; /* a stack of free transmit buffers */
    unsigned tx_nfree;
    struct virtio_net_stats stats;
};

/* Opens, negotiates, sets up both queues in mem (VIRTIO_NET_MEM_BYTES,
 * page-aligned), fills the receive queue and says DRIVER_OK. -1 with *why
 * (the device then stopped, or left as it was if it is not modern virtio). */
int virtio_net_init(struct virtio_net *n, const struct pci_cfg_ops *pci, uint16_t bdf,
                    const struct virtio_mmio_ops *io, void *mem, const char **why);

/* Queues one Ethernet frame (14..VIRTIO_NET_MAX_FRAME bytes, copied). 0, or
 * -1 if it is refused: a bad length, no free buffer, or a stopped device. */
int virtio_net_tx(struct virtio_net *n, const uint8_t *frame, uint32_t len);

/* A received frame, valid during the call. */
typedef void (*virtio_net_rx_fn)(void *ctx, const uint8_t *frame, uint32_t len);

/* Reclaims sent buffers, hands up to VIRTIO_NET_POLL_BUDGET received frames
 * to rx and gives their buffers back to the device. The number handed up. */
unsigned virtio_net_poll(struct virtio_net *n, virtio_net_rx_fn rx, void *ctx);

/* Reads the link status from the device's configuration (a config access:
 * the caller paces it, from a timer or the configuration-change interrupt)
 * into link_up and returns it. Up without STATUS, down once stopped. */
bool virtio_net_link_check(struct virtio_net *n);

/* Reads what the device offers without driving it: the MAC (all zero if it
 * has none) through open, then a reset with bus mastering off. -1 with *why. */
int virtio_net_peek_mac(const struct pci_cfg_ops *pci, uint16_t bdf,
                        const struct virtio_mmio_ops *io, uint8_t mac[6], const char **why);

#endif
