/* The fake virtio PCI function: see fake_virtio.h. */
#include "fake_virtio.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

struct fake_virtio fv;
static const struct fake_virtio_hooks *hooks;

void fake_virtio_put8(unsigned off, uint8_t v)
{
    ((uint8_t *)fv.cfg)[off] = v;
}

void fake_virtio_put32(unsigned off, uint32_t v)
{
    memcpy((uint8_t *)fv.cfg + off, &v, 4);
}

static void cap(unsigned at, unsigned next, uint8_t type, uint32_t off, uint32_t len, uint8_t clen)
{
    fake_virtio_put8(at, 0x09);
    fake_virtio_put8(at + 1, (uint8_t)next);
    fake_virtio_put8(at + 2, clen);
    fake_virtio_put8(at + 3, type);
    fake_virtio_put8(at + 4, 4); /* BAR4 */
    fake_virtio_put32(at + 8, off);
    fake_virtio_put32(at + 12, len);
}

void fake_virtio_init(uint16_t bdf, uint16_t device_id, uint32_t class_rev, uint32_t devcfg_len,
                      const struct fake_virtio_hooks *h)
{
    memset(&fv, 0, sizeof(fv));
    hooks = h;
    fv.bdf = bdf;
    fv.devcfg_len = devcfg_len;
    fv.cfg[0] = (uint32_t)device_id << 16 | VIRTIO_VENDOR;
    fv.cfg[1] = (uint32_t)PCI_STATUS_CAP << 16;
    fv.cfg[2] = class_rev;
    fv.cfg[8] = (uint32_t)FV_BAR_BASE | 4; /* 64-bit memory */
    fv.cfg[9] = (uint32_t)(FV_BAR_BASE >> 32);
    fake_virtio_put8(PCI_CAP_PTR, FV_CAP_COMMON);
    cap(FV_CAP_COMMON, FV_CAP_NOTIFY, 1, 0, 0x38, 16);
    cap(FV_CAP_NOTIFY, FV_CAP_ISR, 2, FV_NOTIFY, 0x1000, 20);
    fake_virtio_put32(FV_CAP_NOTIFY + 16, FV_NOTIFY_MUL);
    cap(FV_CAP_ISR, FV_CAP_DEVICE, 3, FV_ISR, 1, 16);
    cap(FV_CAP_DEVICE, 0, 4, FV_DEVCFG, devcfg_len, 16);
    for (unsigned i = 0; i < FV_QUEUES; i++)
        fv.q[i] = (struct fv_queue){.max = 256, .noff = (uint16_t)i, .size = 256};
}

void fake_virtio_msix(unsigned entries)
{
    assert_true(entries && entries <= FV_MSIX_MAX);
    fv.msix_entries = entries;
    fake_virtio_put8(FV_CAP_DEVICE + 1, FV_CAP_MSIX);
    fv.cfg[FV_CAP_MSIX / 4] = (entries - 1) << 16 | PCI_CAP_MSIX;
    fv.cfg[FV_CAP_MSIX / 4 + 1] = FV_MSIX | 4; /* BAR4 */
    fv.cfg[FV_CAP_MSIX / 4 + 2] = (FV_MSIX + 0x400) | 4;
    for (unsigned i = 0; i < FV_MSIX_MAX; i++)
        fv.msix_table[i][3] = 1; /* masked */
}

/* --- config space ------------------------------------------------------------------ */
static uint32_t cfg_read(void *ctx, uint16_t bdf, uint16_t off)
{
    (void)ctx;
    assert_int_equal(off % 4, 0);
    if (bdf != fv.bdf)
        return ~0u;
    if (off == 0x20 && fv.bar_sizing_lo)
        return (uint32_t) ~(FV_BAR_SIZE - 1) | 4;
    if (off == 0x24 && fv.bar_sizing_hi)
        return ~0u;
    return off < 256 ? fv.cfg[off / 4] : 0;
}

static void cfg_write(void *ctx, uint16_t bdf, uint16_t off, uint32_t v)
{
    (void)ctx;
    if (bdf != fv.bdf) {
        fv.cfg_writes_elsewhere++;
        return;
    }
    fv.cfg_writes++;
    if (off == 0x20) {
        if (v == ~0u) /* sizing only with decoding off */
            assert_false(fv.cfg[1] & PCI_CMD_MEM);
        fv.bar_sizing_lo = v == ~0u;
        if (v != ~0u)
            fv.cfg[8] = v;
    } else if (off == 0x24) {
        fv.bar_sizing_hi = v == ~0u;
        if (v != ~0u)
            fv.cfg[9] = v;
    } else if (fv.msix_entries && off == FV_CAP_MSIX) {
        /* only enable and function mask are writable */
        fv.cfg[off / 4] = (fv.cfg[off / 4] & 0x3fffffffu) | (v & 0xc0000000u);
    } else if (off == PCI_COMMAND) {
        assert_int_equal(v >> 16, 0); /* the status register is write-1-to-clear */
        fv.cfg[1] = (fv.cfg[1] & 0xffff0000u) | (v & 0xffff);
    } else {
        fail_msg("config write at 0x%x", off);
    }
}

const struct pci_cfg_ops fake_virtio_pci = {NULL, cfg_read, cfg_write, 0, 0};

/* --- the common configuration ---------------------------------------------------------- */
static void reset(void)
{
    fv.resets++;
    fv.status = 0;
    fv.accepted = 0;
    for (unsigned i = 0; i < FV_QUEUES; i++) {
        struct fv_queue *q = &fv.q[i];
        *q = (struct fv_queue){.max = q->max, .noff = q->noff, .size = q->max};
    }
    hooks->reset();
}

/* The selected queue; NULL if the device has no such queue. */
static struct fv_queue *selected(void)
{
    return fv.qsel < FV_QUEUES && fv.q[fv.qsel].max ? &fv.q[fv.qsel] : NULL;
}

static uint32_t common_read(unsigned off)
{
    struct fv_queue *q = selected();
    switch (off) {
    case VIRTIO_COMMON_DF:
        return (uint32_t)(fv.offered >> (32 * fv.dfselect));
    case VIRTIO_COMMON_NUMQ:
        return FV_QUEUES;
    case VIRTIO_COMMON_STATUS:
        return fv.status;
    case VIRTIO_COMMON_CFGGEN:
        return fv.generation;
    case VIRTIO_COMMON_Q_SIZE:
        return q ? q->size : 0;
    case VIRTIO_COMMON_Q_ENABLE:
        return q ? q->enable : 0;
    case VIRTIO_COMMON_Q_NOFF:
        return q ? q->noff : 0;
    case VIRTIO_COMMON_Q_MSIX:
        return q ? q->msix : VIRTIO_MSI_NO_VECTOR;
    default:
        fail_msg("common read at 0x%x", off);
    }
    return 0;
}

static void set64(uint64_t *p, unsigned half, uint32_t v)
{
    *p = half ? (*p & 0xffffffffull) | (uint64_t)v << 32 : (*p & ~0xffffffffull) | v;
}

static void queue_write(struct fv_queue *q, unsigned off, uint32_t v)
{
    switch (off) {
    case VIRTIO_COMMON_Q_SIZE:
        assert_true(v && v <= q->max && !(v & (v - 1)));
        q->size = (uint16_t)v;
        break;
    case VIRTIO_COMMON_Q_MSIX: /* as QEMU: a vector the table lacks is NO_VECTOR */
        q->msix = (uint16_t)(v < fv.msix_entries && !fv.msix_refuse ? v : VIRTIO_MSI_NO_VECTOR);
        break;
    case VIRTIO_COMMON_Q_ENABLE:
        /* the rings' alignment (2.4) */
        assert_int_equal(q->desc % 16, 0);
        assert_int_equal(q->avail % 2, 0);
        assert_int_equal(q->used % 4, 0);
        q->enable = (uint16_t)v;
        break;
    case VIRTIO_COMMON_Q_DESCLO:
    case VIRTIO_COMMON_Q_DESCHI:
        set64(&q->desc, off == VIRTIO_COMMON_Q_DESCHI, v);
        break;
    case VIRTIO_COMMON_Q_AVAILLO:
    case VIRTIO_COMMON_Q_AVAILHI:
        set64(&q->avail, off == VIRTIO_COMMON_Q_AVAILHI, v);
        break;
    case VIRTIO_COMMON_Q_USEDLO:
    case VIRTIO_COMMON_Q_USEDHI:
        set64(&q->used, off == VIRTIO_COMMON_Q_USEDHI, v);
        break;
    default:
        fail_msg("common write at 0x%x", off);
    }
}

static void common_write(unsigned off, uint32_t v)
{
    switch (off) {
    case VIRTIO_COMMON_DFSELECT:
        fv.dfselect = v;
        break;
    case VIRTIO_COMMON_GFSELECT:
        fv.gfselect = v;
        break;
    case VIRTIO_COMMON_GF:
        set64(&fv.accepted, fv.gfselect, v);
        break;
    case VIRTIO_COMMON_MSIX:
        fv.msix = (uint16_t)v;
        break;
    case VIRTIO_COMMON_STATUS:
        if (!v) {
            reset();
            break;
        }
        if ((v & VIRTIO_STATUS_FEATURES_OK) && !(fv.status & VIRTIO_STATUS_FEATURES_OK) &&
            (fv.refuse_features || (fv.accepted & ~fv.offered)))
            v &= ~VIRTIO_STATUS_FEATURES_OK;
        fv.status = (uint8_t)v;
        break;
    case VIRTIO_COMMON_Q_SELECT:
        fv.qsel = (uint16_t)v;
        break;
    default: {
        struct fv_queue *q = selected();
        assert_non_null(q);
        queue_write(q, off, v);
    }
    }
}

/* --- registers ------------------------------------------------------------------------ */
static unsigned bar_offset(uint64_t addr, unsigned size)
{
    assert_true(addr >= FV_BAR_BASE && addr + size <= FV_BAR_BASE + FV_BAR_SIZE);
    return (unsigned)(addr - FV_BAR_BASE);
}

static uint32_t mmio_read(uint64_t addr, unsigned size)
{
    unsigned off = bar_offset(addr, size);
    assert_true(fv.cfg[1] & PCI_CMD_MEM);
    if (off < FV_ISR)
        return common_read(off);
    if (off >= FV_DEVCFG && off < FV_DEVCFG + fv.devcfg_len) {
        assert_int_equal(size, 4);
        return hooks->device_read(off - FV_DEVCFG);
    }
    if (fv.msix_entries && off >= FV_MSIX && off < FV_MSIX + 16 * fv.msix_entries) {
        assert_int_equal(size, 4);
        return fv.msix_table[(off - FV_MSIX) / 16][off % 16 / 4];
    }
    fail_msg("read at BAR offset 0x%x", off);
    return 0;
}

static void mmio_write(uint64_t addr, unsigned size, uint32_t v)
{
    unsigned off = bar_offset(addr, size);
    if (off < FV_ISR)
        return common_write(off, v);
    if (fv.msix_entries && off >= FV_MSIX && off < FV_MSIX + 16 * fv.msix_entries) {
        assert_int_equal(size, 4);
        fv.msix_table[(off - FV_MSIX) / 16][off % 16 / 4] = v;
        return;
    }
    assert_true(off >= FV_NOTIFY && (off - FV_NOTIFY) % FV_NOTIFY_MUL == 0);
    assert_int_equal(size, 2);
    hooks->notify((off - FV_NOTIFY) / FV_NOTIFY_MUL, v);
}

static uint8_t rd8(void *c, uint64_t a)
{
    (void)c;
    return (uint8_t)mmio_read(a, 1);
}
static uint16_t rd16(void *c, uint64_t a)
{
    (void)c;
    return (uint16_t)mmio_read(a, 2);
}
static uint32_t rd32(void *c, uint64_t a)
{
    (void)c;
    return mmio_read(a, 4);
}
static void wr8(void *c, uint64_t a, uint8_t v)
{
    (void)c;
    mmio_write(a, 1, v);
}
static void wr16(void *c, uint64_t a, uint16_t v)
{
    (void)c;
    mmio_write(a, 2, v);
}
static void wr32(void *c, uint64_t a, uint32_t v)
{
    (void)c;
    mmio_write(a, 4, v);
}
static uint64_t map(void *c, uint64_t pa, uint64_t len)
{
    (void)c;
    assert_true(pa >= FV_BAR_BASE && pa + len <= FV_BAR_BASE + FV_BAR_SIZE);
    return pa;
}
static uint64_t now(void *c)
{
    (void)c;
    return fv.now += 1000000;
}

const struct virtio_mmio_ops fake_virtio_io = {NULL, rd8,  rd16, rd32, wr8,
                                               wr16, wr32, map,  now,  {FV_MSI_ADDR, FV_MSI_DATA}};
