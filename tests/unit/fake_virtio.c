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
    } else if (off == PCI_COMMAND) {
        assert_int_equal(v >> 16, 0); /* the status register is write-1-to-clear */
        fv.cfg[1] = (fv.cfg[1] & 0xffff0000u) | (v & 0xffff);
    } else {
        fail_msg("config write at 0x%x", off);
    }
}

const struct pci_cfg_ops fake_virtio_pci = {NULL, cfg_read, cfg_write, 0, 0};

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
        return hooks->common_read(off, size);
    if (off >= FV_DEVCFG && off < FV_DEVCFG + fv.devcfg_len) {
        assert_int_equal(size, 4);
        return hooks->device_read(off - FV_DEVCFG);
    }
    fail_msg("read at BAR offset 0x%x", off);
    return 0;
}

static void mmio_write(uint64_t addr, unsigned size, uint32_t v)
{
    unsigned off = bar_offset(addr, size);
    if (off < FV_ISR)
        return hooks->common_write(off, v);
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

const struct virtio_mmio_ops fake_virtio_io = {NULL, rd8, rd16, rd32, wr8, wr16, wr32, map, now};
