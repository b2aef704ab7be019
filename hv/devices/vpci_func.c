/* The synthetic function's type-0 config space and the bus's config window
 * (vpci_func.h). Registers are kept as fields; an access of any size is
 * made of the 32-bit registers it touches, so sizing a BAR with one dword
 * of all ones or with four bytes of 0xff reads back the same mask. */
#include "devices/vpci_func.h"

#include <string.h>

/* The command bits this function implements (no I/O BAR: I/O space stays 0). */
#define CMD_WRITABLE                                                                               \
    (VPCI_CMD_MEMORY | VPCI_CMD_MASTER | VPCI_CMD_PARITY | VPCI_CMD_SERR | VPCI_CMD_INTX_DISABLE)

void vpci_func_init(struct vpci_func *f, uint32_t wslot, uint32_t serial)
{
    memset(f, 0, sizeof(*f));
    f->desc = (struct vpci_func_desc){
        .vendor_id = VPCI_FUNC_VENDOR,
        .device_id = VPCI_FUNC_DEVICE,
        .base_class = VPCI_FUNC_CLASS,
        .subsystem_id = VPCI_FUNC_SUBVENDOR | VPCI_FUNC_SUBSYSTEM << 16,
        .wslot = wslot,
        .serial = serial,
    };
    f->present = true;
    f->bar_size = VPCI_FUNC_BAR_SIZE;
}

void vpci_func_probed_bars(const struct vpci_func *f, uint32_t bars[VPCI_BARS])
{
    if (f->pt) {
        vpci_pt_probed_bars(f->pt, bars);
        return;
    }
    memset(bars, 0, VPCI_BARS * sizeof(bars[0]));
    uint64_t mask = ~(f->bar_size - 1);
    bars[0] = (uint32_t)mask | VPCI_BAR_MEM_64;
    bars[1] = (uint32_t)(mask >> 32);
}

/* The 32-bit register at dword offset dw (a multiple of 4, below 4096). */
static uint32_t reg_read(const struct vpci_func *f, unsigned dw)
{
    const struct vpci_func_desc *d = &f->desc;
    uint64_t bar = f->bar & ~(f->bar_size - 1);
    switch (dw) {
    case 0x00:
        return d->vendor_id | (uint32_t)d->device_id << 16;
    case 0x04:
        return f->command; /* status 0: no capability list, nothing to report */
    case 0x08:
        return d->revision | (uint32_t)d->prog_if << 8 | (uint32_t)d->subclass << 16 |
               (uint32_t)d->base_class << 24;
    case 0x0c:
        return f->cache_line; /* latency 0, header type 0 (one function), no BIST */
    case 0x10:
        return ((uint32_t)bar & ~0xfu) | VPCI_BAR_MEM_64;
    case 0x14:
        return (uint32_t)(bar >> 32);
    case 0x2c:
        return d->subsystem_id;
    case 0x3c:
        return f->interrupt_line; /* pin 0: MSI only, as pci-hyperv assumes */
    default:
        return 0; /* unimplemented registers, BARs 2-5, ROM, capabilities: 0 */
    }
}

/* The register at dw gets v in the bytes of mask m (the rest is what it read). */
static void reg_write(struct vpci_func *f, unsigned dw, uint32_t v, uint32_t m)
{
    switch (dw) {
    case 0x04:
        if (m & 0xffff)
            f->command = (uint16_t)(v & CMD_WRITABLE); /* status: RW1C bits, none set */
        break;
    case 0x0c:
        if (m & 0xff)
            f->cache_line = (uint8_t)v;
        break;
    case 0x10: /* the type bits are read-only; address bits below the size read 0 */
        f->bar = ((f->bar & ~0xffffffffull) | (v & ~0xfu)) & ~(f->bar_size - 1);
        break;
    case 0x14:
        f->bar = ((f->bar & 0xffffffffull) | (uint64_t)v << 32) & ~(f->bar_size - 1);
        break;
    case 0x3c:
        if (m & 0xff)
            f->interrupt_line = (uint8_t)v;
        break;
    default:
        break; /* read-only or unimplemented */
    }
}

uint32_t vpci_func_read(const struct vpci_func *f, unsigned off, unsigned size)
{
    if (size > 4 || off >= VPCI_CFG_SIZE || size > VPCI_CFG_SIZE - off)
        return 0xffffffffu;
    if (f->pt)
        return vpci_pt_read(f->pt, off, size);
    uint32_t r = 0;
    for (unsigned i = 0; i < size; i++) {
        unsigned at = off + i;
        r |= (reg_read(f, at & ~3u) >> (at & 3u) * 8 & 0xff) << i * 8;
    }
    return r;
}

void vpci_func_write(struct vpci_func *f, unsigned off, unsigned size, uint32_t val)
{
    if (size > 4 || off >= VPCI_CFG_SIZE || size > VPCI_CFG_SIZE - off)
        return;
    if (f->pt) {
        vpci_pt_write(f->pt, off, size, val);
        return;
    }
    while (size) { /* one register at a time: an unaligned access may span two */
        unsigned sh = off & 3u, n = size < 4 - sh ? size : 4 - sh;
        uint32_t m = (n == 4 ? 0xffffffffu : (1u << n * 8) - 1) << sh * 8;
        uint32_t v = (val << sh * 8) & m;
        reg_write(f, off & ~3u, (reg_read(f, off & ~3u) & ~m) | v, m);
        off += n;
        size -= n;
        val = n == 4 ? 0 : val >> n * 8;
    }
}

/* The BAR's 16 register bytes, little endian. */
static void bar_image(const struct vpci_func *f, uint8_t image[16])
{
    const uint32_t id[2] = {VPCI_FUNC_SIGNATURE, 1};
    memcpy(image, id, sizeof(id));
    memcpy(image + 8, &f->scratch, sizeof(f->scratch));
}

uint64_t vpci_func_bar_read(const struct vpci_func *f, uint64_t off, unsigned size)
{
    uint8_t image[16];
    bar_image(f, image);
    uint64_t r = 0;
    for (unsigned i = 0; i < size && i < 8; i++)
        if (off + i < sizeof(image))
            r |= (uint64_t)image[off + i] << i * 8;
    return r;
}

void vpci_func_bar_write(struct vpci_func *f, uint64_t off, unsigned size, uint64_t val)
{
    uint8_t image[16];
    bar_image(f, image);
    for (unsigned i = 0; i < size && i < 8; i++)
        if (off + i < sizeof(image))
            image[off + i] = (uint8_t)(val >> i * 8);
    memcpy(&f->scratch, image + 8, sizeof(f->scratch)); /* only the scratch bytes are kept */
}

static struct vpci_func *selected(const struct vpci_window *w)
{
    for (unsigned i = 0; i < w->n; i++)
        if (w->funcs[i].present && w->funcs[i].desc.wslot == w->slot)
            return &w->funcs[i];
    return NULL;
}

static uint64_t ones(unsigned size)
{
    return size >= 8 ? ~0ull : (1ull << size * 8) - 1;
}

static bool valid(uint64_t off, unsigned size)
{
    return (size == 1 || size == 2 || size == 4 || size == 8) && off < VPCI_WINDOW_SIZE &&
           size <= VPCI_WINDOW_SIZE - off;
}

uint64_t vpci_window_read(const struct vpci_window *w, uint64_t off, unsigned size)
{
    if (!valid(off, size))
        return ones(size);
    if (off < VPCI_CFG_OFFSET) { /* the select register reads back; the rest of page 0 is 0 */
        uint64_t r = 0;
        for (unsigned i = 0; i < size; i++)
            if (off + i < 4)
                r |= (uint64_t)(w->slot >> (off + i) * 8 & 0xff) << i * 8;
        return r;
    }
    const struct vpci_func *f = selected(w);
    if (!f)
        return ones(size);
    unsigned cfg = (unsigned)(off - VPCI_CFG_OFFSET);
    if (size == 8)
        return vpci_func_read(f, cfg, 4) | (uint64_t)vpci_func_read(f, cfg + 4, 4) << 32;
    return vpci_func_read(f, cfg, size);
}

void vpci_window_write(struct vpci_window *w, uint64_t off, unsigned size, uint64_t val)
{
    if (!valid(off, size))
        return;
    if (off < VPCI_CFG_OFFSET) {
        for (unsigned i = 0; i < size; i++)
            if (off + i < 4) {
                unsigned sh = (unsigned)(off + i) * 8;
                w->slot = (w->slot & ~(0xffu << sh)) | (uint32_t)(val >> i * 8 & 0xff) << sh;
            }
        return;
    }
    struct vpci_func *f = selected(w);
    if (!f)
        return;
    unsigned cfg = (unsigned)(off - VPCI_CFG_OFFSET);
    if (size == 8) {
        vpci_func_write(f, cfg, 4, (uint32_t)val);
        vpci_func_write(f, cfg + 4, 4, (uint32_t)(val >> 32));
        return;
    }
    vpci_func_write(f, cfg, size, (uint32_t)val);
}
