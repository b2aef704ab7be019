#include "drivers/virtio_net.h"

#include "lib/mem.h"

#define WANTED   (VIRTIO_NET_F_MAC | VIRTIO_NET_F_STATUS)
#define ETH_HLEN 14u

static uint8_t *rx_buf(struct virtio_net *n, unsigned b)
{
    return n->rx_bufs + (uint64_t)b * VIRTIO_NET_BUF_BYTES;
}

static uint8_t *tx_buf(struct virtio_net *n, unsigned b)
{
    return n->tx_bufs + (uint64_t)b * VIRTIO_NET_BUF_BYTES;
}

static void read_mac(struct virtio_dev *d, uint8_t mac[6])
{
    uint32_t lo = virtio_cfg_read32(d, VIRTIO_NET_CFG_MAC);
    uint32_t hi = virtio_cfg_read32(d, VIRTIO_NET_CFG_MAC + 4);
    for (unsigned i = 0; i < 4; i++)
        mac[i] = (uint8_t)(lo >> (8 * i));
    mac[4] = (uint8_t)hi;
    mac[5] = (uint8_t)(hi >> 8);
}

static bool read_link(struct virtio_net *n)
{
    /* Configuration reads are dword-wide: the status word is the upper half
     * of the dword that holds the MAC's last two bytes. */
    uint32_t v = virtio_cfg_read32(&n->dev, VIRTIO_NET_CFG_STATUS - 2);
    return (v >> 16) & VIRTIO_NET_S_LINK_UP;
}

/* Gives receive buffer b to the device (one device-writable descriptor).
 * There is a descriptor per buffer, so a free one is always there. */
static void rx_post(struct virtio_net *n, unsigned b)
{
    struct virtq_buf buf = {(uint64_t)(uintptr_t)rx_buf(n, b), VIRTIO_NET_BUF_BYTES, true};
    uint16_t head;
    if (!virtq_submit(&n->dev, &n->rxq, &buf, 1, &head))
        n->rx_buf_of[head] = (uint8_t)b;
}

int virtio_net_init(struct virtio_net *n, const struct pci_cfg_ops *pci, uint16_t bdf,
                    const struct virtio_mmio_ops *io, void *mem, const char **why)
{
    memset(n, 0, sizeof(*n));
    uint8_t *m = mem;
    memset(m, 0, 2 * VIRTQ_MEM_BYTES);
    n->rx_bufs = m + 2 * VIRTQ_MEM_BYTES;
    n->tx_bufs = n->rx_bufs + VIRTIO_NET_BUFS * VIRTIO_NET_BUF_BYTES;
    struct virtio_dev *d = &n->dev;
    if (virtio_pci_open(d, pci, bdf, io, why) || virtio_pci_negotiate(d, WANTED, why) ||
        virtio_pci_queue(d, VIRTIO_NET_RXQ, &n->rxq, m, why) ||
        virtio_pci_queue(d, VIRTIO_NET_TXQ, &n->txq, m + VIRTQ_MEM_BYTES, why))
        return -1;
    /* A sent frame's buffer comes back at the next poll: its completion
     * needs no exit of its own (received frames, with MSI-X, do). */
    n->txq.avail->flags = VIRTQ_AVAIL_F_NO_INTERRUPT;
    if (d->features & VIRTIO_NET_F_MAC)
        read_mac(d, n->mac);
    n->has_status = d->features & VIRTIO_NET_F_STATUS;
    n->link_up = !n->has_status || read_link(n);
    for (unsigned b = 0; b < n->txq.size; b++)
        n->tx_free[n->tx_nfree++] = (uint8_t)b;
    virtio_pci_driver_ok(d);
    /* The receive queue is filled once the device may use it (3.1.1). */
    for (unsigned b = 0; b < n->rxq.size; b++)
        rx_post(n, b);
    return 0;
}

int virtio_net_tx(struct virtio_net *n, const uint8_t *frame, uint32_t len)
{
    if (n->broken || len < ETH_HLEN || len > VIRTIO_NET_MAX_FRAME)
        return -1;
    if (!n->tx_nfree) {
        n->stats.tx_full++;
        return -1;
    }
    unsigned b = n->tx_free[n->tx_nfree - 1];
    uint8_t *p = tx_buf(n, b);
    memset(p, 0, VIRTIO_NET_HDR_BYTES); /* no checksum, no GSO */
    memcpy(p + VIRTIO_NET_HDR_BYTES, frame, len);
    struct virtq_buf buf = {(uint64_t)(uintptr_t)p, VIRTIO_NET_HDR_BYTES + len, false};
    uint16_t head;
    if (virtq_submit(&n->dev, &n->txq, &buf, 1, &head)) {
        n->stats.tx_full++;
        return -1;
    }
    n->tx_nfree--;
    n->tx_buf_of[head] = (uint8_t)b;
    n->stats.tx_frames++;
    return 0;
}

static void stop(struct virtio_net *n)
{
    virtio_pci_stop(&n->dev);
    n->broken = true;
    n->link_up = false;
}

unsigned virtio_net_poll(struct virtio_net *n, virtio_net_rx_fn rx, void *ctx)
{
    if (n->broken)
        return 0;
    uint16_t head;
    uint32_t len;
    int r;
    while ((r = virtq_next_used(&n->txq, &head, &len)) > 0)
        n->tx_free[n->tx_nfree++] = n->tx_buf_of[head];
    if (r < 0) {
        stop(n);
        return 0;
    }
    unsigned got = 0;
    while (got < VIRTIO_NET_POLL_BUDGET && (r = virtq_next_used(&n->rxq, &head, &len)) > 0) {
        unsigned b = n->rx_buf_of[head];
        /* used.len covers the header; one the buffer cannot hold is the
         * device's error, and the frame is not trusted. */
        if (len > VIRTIO_NET_BUF_BYTES || len < VIRTIO_NET_HDR_BYTES + ETH_HLEN) {
            n->stats.rx_errors++;
        } else {
            n->stats.rx_frames++;
            got++;
            rx(ctx, rx_buf(n, b) + VIRTIO_NET_HDR_BYTES, len - VIRTIO_NET_HDR_BYTES);
        }
        rx_post(n, b);
    }
    if (r < 0)
        stop(n);
    return got;
}

bool virtio_net_link_check(struct virtio_net *n)
{
    if (!n->broken && n->has_status)
        n->link_up = read_link(n);
    return n->link_up;
}

int virtio_net_peek_mac(const struct pci_cfg_ops *pci, uint16_t bdf,
                        const struct virtio_mmio_ops *io, uint8_t mac[6], const char **why)
{
    struct virtio_dev d;
    memset(mac, 0, 6);
    if (virtio_pci_open(&d, pci, bdf, io, why) || virtio_pci_negotiate(&d, VIRTIO_NET_F_MAC, why))
        return -1;
    if (d.features & VIRTIO_NET_F_MAC)
        read_mac(&d, mac);
    virtio_pci_stop(&d);
    return 0;
}
