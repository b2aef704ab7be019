#include "drivers/virtio_pci.h"

#include "lib/mem.h"

#define RESET_WAIT_NS 100000000ull /* the spec has no bound; 100 ms is generous */
#define CFG_TRIES     4            /* config_generation changing under us */
#define MSIX_ENABLE   (1u << 31)   /* message control, in the capability's first dword */
#define MSIX_MASK_ALL (1u << 30)
#define MSIX_ENTRY    16u /* address low, high, data, vector control (bit 0: masked) */

static uint8_t rd8(struct virtio_dev *d, uint32_t off)
{
    return d->io->read8(d->io->ctx, d->common + off);
}
static uint16_t rd16(struct virtio_dev *d, uint32_t off)
{
    return d->io->read16(d->io->ctx, d->common + off);
}
static uint32_t rd32(struct virtio_dev *d, uint32_t off)
{
    return d->io->read32(d->io->ctx, d->common + off);
}
static void wr8(struct virtio_dev *d, uint32_t off, uint8_t v)
{
    d->io->write8(d->io->ctx, d->common + off, v);
}
static void wr16(struct virtio_dev *d, uint32_t off, uint16_t v)
{
    d->io->write16(d->io->ctx, d->common + off, v);
}
static void wr32(struct virtio_dev *d, uint32_t off, uint32_t v)
{
    d->io->write32(d->io->ctx, d->common + off, v);
}
static void wr64(struct virtio_dev *d, uint32_t off, uint64_t v)
{
    wr32(d, off, (uint32_t)v);
    wr32(d, off + 4, (uint32_t)(v >> 32));
}

static void set_status(struct virtio_dev *d, uint8_t bits)
{
    wr8(d, VIRTIO_COMMON_STATUS, (uint8_t)(rd8(d, VIRTIO_COMMON_STATUS) | bits));
}

/* Writing 0 resets; the device is reset once it reads 0 back (4.1.4.3.2). */
static bool reset(struct virtio_dev *d)
{
    wr8(d, VIRTIO_COMMON_STATUS, 0);
    uint64_t t0 = d->io->now_ns(d->io->ctx);
    while (rd8(d, VIRTIO_COMMON_STATUS))
        if (d->io->now_ns(d->io->ctx) - t0 > RESET_WAIT_NS)
            return false;
    return true;
}

/* One BAR, sized once for all the capabilities that use it. */
struct bar_cache {
    uint8_t state[6]; /* 0: not sized, 1: usable, 2: not */
    uint64_t base[6], size[6];
};

/* The capability's range, checked against its BAR and mapped; 0 if unusable. */
static uint64_t map_cap(struct virtio_dev *d, struct bar_cache *bars, uint8_t cap, uint32_t min_len,
                        uint32_t *len_out)
{
    uint8_t bar = pci_read8(d->pci, d->bdf, cap + 4);
    uint32_t off = pci_read32(d->pci, d->bdf, cap + 8);
    uint32_t len = pci_read32(d->pci, d->bdf, cap + 12);
    if (bar > 5 || len < min_len)
        return 0;
    if (!bars->state[bar])
        bars->state[bar] =
            pci_mem_bar(d->pci, d->bdf, bar, &bars->base[bar], &bars->size[bar]) ? 2 : 1;
    if (bars->state[bar] != 1 || off > bars->size[bar] || len > bars->size[bar] - off)
        return 0;
    if (len_out)
        *len_out = len;
    return d->io->map(d->io->ctx, bars->base[bar] + off, len);
}

/* MSI-X (PCI 3.0, 6.8.2) with io->msi in table entry 0, unmasked, if the
 * function has a usable table; else it stays polled. */
static void msix_enable(struct virtio_dev *d, struct bar_cache *bars)
{
    uint8_t cap = pci_find_cap(d->pci, d->bdf, PCI_CAP_MSIX, 0);
    if (!cap || !d->io->msi.addr)
        return;
    uint32_t table = pci_read32(d->pci, d->bdf, cap + 4);
    uint8_t bar = table & 7;
    uint64_t off = table & ~7u;
    if (bar > 5)
        return;
    if (!bars->state[bar])
        bars->state[bar] =
            pci_mem_bar(d->pci, d->bdf, bar, &bars->base[bar], &bars->size[bar]) ? 2 : 1;
    if (bars->state[bar] != 1 || off > bars->size[bar] || bars->size[bar] - off < MSIX_ENTRY)
        return;
    uint64_t e = d->io->map(d->io->ctx, bars->base[bar] + off, MSIX_ENTRY);
    if (!e)
        return;
    d->io->write32(d->io->ctx, e, (uint32_t)d->io->msi.addr);
    d->io->write32(d->io->ctx, e + 4, (uint32_t)(d->io->msi.addr >> 32));
    d->io->write32(d->io->ctx, e + 8, d->io->msi.data);
    d->io->write32(d->io->ctx, e + 12, 0);
    uint32_t ctl = pci_read32(d->pci, d->bdf, cap);
    d->pci->write32(d->pci->ctx, d->bdf, cap, (ctl | MSIX_ENABLE) & ~MSIX_MASK_ALL);
    d->msix_cap = cap;
}

void virtio_pci_stop(struct virtio_dev *d)
{
    if (d->common)
        reset(d);
    if (d->msix_cap) {
        uint32_t ctl = pci_read32(d->pci, d->bdf, d->msix_cap);
        d->pci->write32(d->pci->ctx, d->bdf, d->msix_cap, ctl & ~MSIX_ENABLE);
        d->msix_cap = 0;
    }
    uint16_t cmd = pci_read16(d->pci, d->bdf, PCI_COMMAND);
    pci_write_command(d->pci, d->bdf, cmd & ~PCI_CMD_MASTER);
}

static int refuse(struct virtio_dev *d, const char **why, const char *reason)
{
    *why = reason;
    virtio_pci_stop(d);
    return -1;
}

int virtio_pci_open(struct virtio_dev *d, const struct pci_cfg_ops *pci, uint16_t bdf,
                    const struct virtio_mmio_ops *io, const char **why)
{
    memset(d, 0, sizeof(*d));
    d->pci = pci;
    d->bdf = bdf;
    d->io = io;
    struct bar_cache bars = {0};
    /* The first capability of each type this driver can use (4.1.4). */
    uint8_t cap = pci_find_cap(pci, bdf, VIRTIO_PCI_CAP_ID, 0);
    for (unsigned n = 0; cap && n < PCI_CAPS_MAX;
         n++, cap = pci_find_cap(pci, bdf, VIRTIO_PCI_CAP_ID, cap)) {
        switch (pci_read8(pci, bdf, cap + 3)) {
        case VIRTIO_PCI_CAP_COMMON:
            if (!d->common)
                d->common = map_cap(d, &bars, cap, VIRTIO_COMMON_LEN, NULL);
            break;
        case VIRTIO_PCI_CAP_NOTIFY:
            if (!d->notify && pci_read8(pci, bdf, cap + 2) >= 20) {
                d->notify = map_cap(d, &bars, cap, 2, &d->notify_len);
                d->notify_mul = pci_read32(pci, bdf, cap + 16);
            }
            break;
        case VIRTIO_PCI_CAP_DEVICE:
            if (!d->device)
                d->device = map_cap(d, &bars, cap, 4, &d->device_len);
            break;
        }
    }
    if (!d->common || !d->notify || !d->device) {
        /* Nothing was changed but the BARs, restored: the device stays as it was. */
        *why = "no usable virtio 1.0 capabilities (common, notify, device)";
        return -1;
    }
    uint16_t cmd = pci_read16(pci, bdf, PCI_COMMAND);
    pci_write_command(pci, bdf, cmd | PCI_CMD_MEM | PCI_CMD_MASTER | PCI_CMD_INTX_OFF);
    if (!reset(d))
        return refuse(d, why, "the device does not finish its reset");
    msix_enable(d, &bars);
    set_status(d, VIRTIO_STATUS_ACKNOWLEDGE);
    set_status(d, VIRTIO_STATUS_DRIVER);
    return 0;
}

int virtio_pci_negotiate(struct virtio_dev *d, uint64_t wanted, const char **why)
{
    wr32(d, VIRTIO_COMMON_DFSELECT, 0);
    uint64_t offered = rd32(d, VIRTIO_COMMON_DF);
    wr32(d, VIRTIO_COMMON_DFSELECT, 1);
    offered |= (uint64_t)rd32(d, VIRTIO_COMMON_DF) << 32;
    if (!(offered & VIRTIO_F_VERSION_1))
        return refuse(d, why, "the device does not offer VIRTIO_F_VERSION_1");
    d->features = offered & (wanted | VIRTIO_F_VERSION_1 | VIRTIO_F_ACCESS_PLATFORM);
    wr32(d, VIRTIO_COMMON_GFSELECT, 0);
    wr32(d, VIRTIO_COMMON_GF, (uint32_t)d->features);
    wr32(d, VIRTIO_COMMON_GFSELECT, 1);
    wr32(d, VIRTIO_COMMON_GF, (uint32_t)(d->features >> 32));
    set_status(d, VIRTIO_STATUS_FEATURES_OK);
    if (!(rd8(d, VIRTIO_COMMON_STATUS) & VIRTIO_STATUS_FEATURES_OK))
        return refuse(d, why, "the device refused the features (FEATURES_OK not kept)");
    return 0;
}

int virtio_pci_queue(struct virtio_dev *d, uint16_t index, struct virtq *q, void *mem,
                     const char **why)
{
    wr16(d, VIRTIO_COMMON_Q_SELECT, index);
    uint16_t max = rd16(d, VIRTIO_COMMON_Q_SIZE);
    if (!max || rd16(d, VIRTIO_COMMON_Q_ENABLE))
        return refuse(d, why, "a queue is absent or already enabled");
    uint16_t size = VIRTQ_SIZE_MAX;
    while (size > max) /* the largest power of two the device takes */
        size >>= 1;
    uint32_t noff = rd16(d, VIRTIO_COMMON_Q_NOFF);
    uint64_t at = (uint64_t)noff * d->notify_mul;
    if (at > d->notify_len || d->notify_len - at < 2)
        return refuse(d, why, "a queue's notify offset is outside the notify range");

    uint8_t *m = mem;
    memset(q, 0, sizeof(*q));
    q->index = index;
    q->size = size;
    q->desc = (struct virtq_desc *)m;
    q->avail = (struct virtq_avail *)(m + VIRTQ_AVAIL_OFF);
    q->used = (struct virtq_used *)(m + VIRTQ_USED_OFF);
    q->notify = d->notify + at;
    for (uint16_t i = 0; i < size; i++)
        q->next[i] = (uint16_t)(i + 1);
    q->num_free = size;

    wr16(d, VIRTIO_COMMON_Q_SIZE, size);
    /* A device out of vectors reads back NO_VECTOR: that queue is polled. */
    wr16(d, VIRTIO_COMMON_Q_MSIX, d->msix_cap ? 0 : VIRTIO_MSI_NO_VECTOR);
    if (!d->msix_cap || rd16(d, VIRTIO_COMMON_Q_MSIX) != 0)
        q->avail->flags = VIRTQ_AVAIL_F_NO_INTERRUPT;
    wr64(d, VIRTIO_COMMON_Q_DESCLO, (uint64_t)(uintptr_t)q->desc);
    wr64(d, VIRTIO_COMMON_Q_AVAILLO, (uint64_t)(uintptr_t)q->avail);
    wr64(d, VIRTIO_COMMON_Q_USEDLO, (uint64_t)(uintptr_t)q->used);
    wr16(d, VIRTIO_COMMON_Q_ENABLE, 1);
    return 0;
}

void virtio_pci_driver_ok(struct virtio_dev *d)
{
    wr16(d, VIRTIO_COMMON_MSIX, d->msix_cap ? 0 : VIRTIO_MSI_NO_VECTOR);
    set_status(d, VIRTIO_STATUS_DRIVER_OK);
}

static uint64_t cfg_read(struct virtio_dev *d, uint32_t off, bool wide)
{
    if (off > d->device_len || d->device_len - off < (wide ? 8u : 4u))
        return 0;
    uint64_t v = 0;
    for (int i = 0; i < CFG_TRIES; i++) {
        uint8_t gen = rd8(d, VIRTIO_COMMON_CFGGEN);
        v = d->io->read32(d->io->ctx, d->device + off);
        if (wide)
            v |= (uint64_t)d->io->read32(d->io->ctx, d->device + off + 4) << 32;
        if (rd8(d, VIRTIO_COMMON_CFGGEN) == gen)
            break;
    }
    return v;
}

uint32_t virtio_cfg_read32(struct virtio_dev *d, uint32_t off)
{
    return (uint32_t)cfg_read(d, off, false);
}

uint64_t virtio_cfg_read64(struct virtio_dev *d, uint32_t off)
{
    return cfg_read(d, off, true);
}

/* Makes head available and notifies the device. */
static void publish(struct virtio_dev *d, struct virtq *q, uint16_t head)
{
    q->avail->ring[q->avail_idx % q->size] = head;
    /* The ring entry before the index, the index before the notification. */
    __atomic_store_n(&q->avail->idx, ++q->avail_idx, __ATOMIC_RELEASE);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    d->io->write16(d->io->ctx, q->notify, q->index);
}

int virtq_submit(struct virtio_dev *d, struct virtq *q, const struct virtq_buf *bufs, unsigned n,
                 uint16_t *head)
{
    if (!n || n > q->num_free)
        return -1;
    uint16_t h = q->free_head, i = h;
    for (unsigned k = 0; k < n; k++) {
        struct virtq_desc *desc = &q->desc[i];
        desc->addr = bufs[k].addr;
        desc->len = bufs[k].len;
        desc->flags = (uint16_t)((bufs[k].write ? VIRTQ_DESC_F_WRITE : 0) |
                                 (k + 1 < n ? VIRTQ_DESC_F_NEXT : 0));
        desc->next = q->next[i];
        if (k + 1 < n)
            i = q->next[i];
    }
    q->free_head = q->next[i];
    q->num_free = (uint16_t)(q->num_free - n);
    q->chain_len[h] = (uint8_t)n;
    publish(d, q, h);
    *head = h;
    return 0;
}

int virtq_submit_indirect(struct virtio_dev *d, struct virtq *q, const struct virtq_desc *table,
                          unsigned n, uint16_t *head)
{
    if (!n || !q->num_free)
        return -1;
    uint16_t h = q->free_head;
    q->desc[h] = (struct virtq_desc){(uint64_t)(uintptr_t)table, (uint32_t)(n * sizeof(*table)),
                                     VIRTQ_DESC_F_INDIRECT, q->next[h]};
    q->free_head = q->next[h];
    q->num_free--;
    q->chain_len[h] = 1;
    publish(d, q, h);
    *head = h;
    return 0;
}

int virtq_next_used(struct virtq *q, uint16_t *head, uint32_t *len)
{
    uint16_t idx = __atomic_load_n(&q->used->idx, __ATOMIC_ACQUIRE);
    if (idx == q->last_used)
        return 0;
    /* Never more used than made available. */
    if ((uint16_t)(idx - q->last_used) > (uint16_t)(q->avail_idx - q->last_used))
        return -1;
    struct virtq_used_elem e = q->used->ring[q->last_used % q->size];
    if (e.id >= q->size || !q->chain_len[e.id])
        return -1;
    q->last_used++;
    uint16_t h = (uint16_t)e.id, tail = h;
    for (unsigned k = 1; k < q->chain_len[h]; k++)
        tail = q->next[tail];
    q->next[tail] = q->free_head;
    q->free_head = h;
    q->num_free = (uint16_t)(q->num_free + q->chain_len[h]);
    q->chain_len[h] = 0;
    *head = h;
    *len = e.len;
    return 1;
}
