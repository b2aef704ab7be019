/* An assigned function's config space and MSI-X table as the guest sees
 * them (vpci_passthrough.h). Registers are 32-bit: an access of any size is
 * made of the dwords it touches, read-modify-write for writes, as
 * vpci_func.c does for the synthetic function. */
#include "devices/vpci_passthrough.h"

#include "lib/log.h"

#define BAR_IO       0x1u
#define BAR_TYPE_64  0x4u
#define CMD_GUEST    (PCI_CMD_MEM | PCI_CMD_MASTER | PCI_CMD_INTX_OFF)
#define CMD_IO       0x1u
#define MSI_64       0x0080u /* MSI message control: 64-bit address */
#define MSI_MASKING  0x0100u /* per-vector masking: mask and pending dwords */
#define MSIX_SIZE    0x07ffu /* MSI-X message control: table size - 1 */
#define ENTRY_MASKED 0x1u

static void real_entry_ctrl(struct vpci_pt *pt, unsigned i, uint32_t ctrl)
{
    uint64_t a = pt->bar[pt->table_bar].hpa + pt->table_off + i * VPCI_PT_MSIX_ENTRY + 12;
    pt->io.write32(pt->io.ctx, a, ctrl);
}

/* The real entry i: the host's message, masked unless the guest's entry,
 * function and enable let it through. */
static void program_entry(struct vpci_pt *pt, unsigned i)
{
    const struct vpci_pt_entry *e = &pt->entry[i];
    bool open = (pt->msix_ctrl & VPCI_PT_MSIX_ENABLE) && !(pt->msix_ctrl & VPCI_PT_MSIX_MASKALL) &&
                !(e->ctrl & ENTRY_MASKED);
    uint64_t a = pt->bar[pt->table_bar].hpa + pt->table_off + i * VPCI_PT_MSIX_ENTRY;
    real_entry_ctrl(pt, i, ENTRY_MASKED); /* never a half-written message unmasked */
    pt->io.write32(pt->io.ctx, a, (uint32_t)pt->host_msi_address);
    pt->io.write32(pt->io.ctx, a + 4, (uint32_t)(pt->host_msi_address >> 32));
    pt->io.write32(pt->io.ctx, a + 8, pt->host_vector + i % pt->nvectors);
    if (open)
        real_entry_ctrl(pt, i, 0);
}

/* The real message control follows the guest's enable; the function mask
 * is carried by each real entry's mask. */
static void program_msix(struct vpci_pt *pt)
{
    uint32_t v = pci_read32(pt->pci, pt->bdf, pt->msix);
    v &= ~((uint32_t)(VPCI_PT_MSIX_ENABLE | VPCI_PT_MSIX_MASKALL) << 16);
    pt->pci->write32(pt->pci->ctx, pt->bdf, pt->msix,
                     v | (uint32_t)(pt->msix_ctrl & VPCI_PT_MSIX_ENABLE) << 16);
    for (unsigned i = 0; i < pt->msix_n; i++)
        program_entry(pt, i);
}

static void program_command(struct vpci_pt *pt)
{
    uint16_t real = pci_read16(pt->pci, pt->bdf, PCI_COMMAND);
    real = (uint16_t)((real & ~(CMD_IO | PCI_CMD_MEM | PCI_CMD_MASTER)) |
                      (pt->command & (PCI_CMD_MEM | PCI_CMD_MASTER)) | PCI_CMD_INTX_OFF);
    pci_write_command(pt->pci, pt->bdf, real);
}

static void read_bars(struct vpci_pt *pt)
{
    for (unsigned i = 0; i < VPCI_PT_BARS; i++) {
        uint32_t lo = pci_read32(pt->pci, pt->bdf, (uint16_t)(PCI_BAR0 + 4 * i));
        uint64_t base, size;
        if (lo & BAR_IO || pci_mem_bar(pt->pci, pt->bdf, i, &base, &size))
            continue; /* I/O, unimplemented or malformed: not offered */
        pt->bar[i] = (struct vpci_pt_bar){base, size, 0, (uint8_t)(lo & 0xf)};
        if (lo & BAR_TYPE_64)
            i++; /* its upper half */
    }
}

/* The capability list the guest walks: the real one without MSI. */
static void read_caps(struct vpci_pt *pt)
{
    if (!(pci_read16(pt->pci, pt->bdf, PCI_STATUS) & PCI_STATUS_CAP))
        return;
    uint8_t off = pci_read8(pt->pci, pt->bdf, PCI_CAP_PTR), prev = 0;
    for (unsigned n = 0; n < PCI_CAPS_MAX && off >= 0x40; n++) {
        off &= ~3u;
        uint8_t id = pci_read8(pt->pci, pt->bdf, off);
        if (id == PCI_CAP_MSI) {
            uint16_t ctrl = pci_read16(pt->pci, pt->bdf, off + 2);
            pt->msi = off;
            pt->msi_len =
                (uint8_t)((ctrl & MSI_64 ? 0x0e : 0x0a) + (ctrl & MSI_MASKING ? 0x0a : 0));
        } else {
            if (id == PCI_CAP_MSIX && !pt->msix)
                pt->msix = off;
            if (prev)
                pt->next[prev / 4] = off;
            else
                pt->first_cap = off;
            prev = off;
        }
        off = pci_read8(pt->pci, pt->bdf, off + 1);
    }
}

int vpci_pt_open(struct vpci_pt *pt, const struct pci_cfg_ops *pci, uint16_t bdf,
                 const struct vpci_pt_io *io, const char *name, uint64_t host_msi_address,
                 uint8_t host_vector, uint8_t nvectors, const char **why)
{
    *pt = (struct vpci_pt){.pci = pci,
                           .bdf = bdf,
                           .io = *io,
                           .name = name,
                           .host_msi_address = host_msi_address,
                           .host_vector = host_vector,
                           .nvectors = nvectors ? nvectors : 1};
    pt->refused = (struct log_once)LOG_ONCE_N(8, " (further such writes not reported)");
    if (pci_read8(pci, bdf, PCI_HEADER) & 0x7f) {
        *why = "not a type-0 (endpoint) function";
        return -1;
    }
    read_bars(pt);
    read_caps(pt);
    if (pt->msix) {
        uint32_t t = pci_read32(pci, bdf, pt->msix + 4), b = pci_read32(pci, bdf, pt->msix + 8);
        pt->msix_n = (uint16_t)((pci_read16(pci, bdf, pt->msix + 2) & MSIX_SIZE) + 1);
        pt->table_bar = (uint8_t)(t & 7);
        pt->table_off = t & ~7u;
        pt->pba_bar = (uint8_t)(b & 7);
        pt->pba_off = b & ~7u;
        if (pt->msix_n > VPCI_PT_MSIX_MAX) {
            *why = "its MSI-X table has more entries than the hypervisor emulates";
            return -1;
        }
        if (pt->table_bar >= VPCI_PT_BARS || pt->pba_bar >= VPCI_PT_BARS ||
            !pt->bar[pt->table_bar].size || !pt->bar[pt->pba_bar].size ||
            pt->table_off + (uint64_t)pt->msix_n * VPCI_PT_MSIX_ENTRY >
                pt->bar[pt->table_bar].size ||
            pt->pba_off + ((pt->msix_n + 63u) / 64u) * 8ull > pt->bar[pt->pba_bar].size) {
            *why = "its MSI-X table or PBA is outside its memory BARs";
            return -1;
        }
        for (unsigned i = 0; i < pt->msix_n; i++)
            pt->entry[i].ctrl = ENTRY_MASKED;
        program_msix(pt);
    }
    program_command(pt);
    return 0;
}

void vpci_pt_quiesce(struct vpci_pt *pt)
{
    pt->command = 0;
    pt->msix_ctrl = 0;
    if (pt->msix)
        program_msix(pt);
    program_command(pt);
}

void vpci_pt_probed_bars(const struct vpci_pt *pt, uint32_t bars[VPCI_PT_BARS])
{
    for (unsigned i = 0; i < VPCI_PT_BARS; i++) {
        bars[i] = 0;
        const struct vpci_pt_bar *b = &pt->bar[i];
        if (b->size) {
            bars[i] = (uint32_t) ~(b->size - 1) | b->type;
        } else if (i && pt->bar[i - 1].size && pt->bar[i - 1].type & BAR_TYPE_64) {
            bars[i] = (uint32_t)(~(pt->bar[i - 1].size - 1) >> 32);
        }
    }
}

/* BAR register i's value: the guest's address bits above the size. */
static uint32_t bar_reg(const struct vpci_pt *pt, unsigned i)
{
    const struct vpci_pt_bar *b = &pt->bar[i];
    if (b->size)
        return ((uint32_t)(b->guest & ~(b->size - 1)) & ~0xfu) | b->type;
    if (i && pt->bar[i - 1].size && pt->bar[i - 1].type & BAR_TYPE_64)
        return (uint32_t)((pt->bar[i - 1].guest & ~(pt->bar[i - 1].size - 1)) >> 32);
    return 0;
}

static void bar_reg_write(struct vpci_pt *pt, unsigned i, uint32_t v)
{
    struct vpci_pt_bar *b = &pt->bar[i];
    if (b->size) {
        b->guest = ((b->guest & ~0xffffffffull) | (v & ~0xfu)) & ~(b->size - 1);
    } else if (i && pt->bar[i - 1].size && pt->bar[i - 1].type & BAR_TYPE_64) {
        b = &pt->bar[i - 1];
        b->guest = ((b->guest & 0xffffffffull) | (uint64_t)v << 32) & ~(b->size - 1);
    }
}

static bool in_msi(const struct vpci_pt *pt, unsigned dw)
{
    return pt->msi && dw + 4 > pt->msi && dw < (unsigned)pt->msi + pt->msi_len;
}

static bool is_cap(const struct vpci_pt *pt, unsigned dw)
{
    if (dw < 0x40 || dw >= 0x100)
        return false;
    for (uint8_t c = pt->first_cap, n = 0; c && n < PCI_CAPS_MAX; c = pt->next[c / 4], n++)
        if (c == dw)
            return true;
    return false;
}

static uint32_t reg_read(const struct vpci_pt *pt, unsigned dw)
{
    const struct pci_cfg_ops *pci = pt->pci;
    switch (dw) {
    case 0x00:
    case 0x08:
    case 0x2c:
        return pci_read32(pci, pt->bdf, (uint16_t)dw);
    case 0x04: {
        uint32_t status = pci_read16(pci, pt->bdf, PCI_STATUS) & ~PCI_STATUS_CAP;
        if (pt->first_cap)
            status |= PCI_STATUS_CAP;
        return status << 16 | pt->command;
    }
    case 0x0c: /* one function: the multi-function bit off; no BIST */
        return (pci_read32(pci, pt->bdf, 0x0c) & 0x007fff00u) | pt->cache_line;
    case 0x10:
    case 0x14:
    case 0x18:
    case 0x1c:
    case 0x20:
    case 0x24:
        return bar_reg(pt, (dw - PCI_BAR0) / 4);
    case 0x34:
        return pt->first_cap;
    case 0x3c:
        return pt->int_line; /* pin 0: MSI-X only */
    default:
        break;
    }
    if (dw < 0x40 || dw >= 0x100 || in_msi(pt, dw))
        return 0; /* CardBus, ROM, reserved; the hidden MSI; the extended space */
    uint32_t v = pci_read32(pci, pt->bdf, (uint16_t)dw);
    if (is_cap(pt, dw)) {
        v = (v & ~0xff00u) | (uint32_t)pt->next[dw / 4] << 8;
        if (dw == pt->msix)
            v = (v & 0xffffu) | ((v >> 16 & MSIX_SIZE) | pt->msix_ctrl) << 16;
    }
    return v;
}

/* The dword at dw gets v in the bytes of mask m (the rest what it read). */
static void reg_write(struct vpci_pt *pt, unsigned dw, uint32_t v, uint32_t m)
{
    switch (dw) {
    case 0x04:
        if (m & 0xffff) {
            pt->command = (uint16_t)(v & CMD_GUEST);
            program_command(pt);
        }
        return; /* status: write-1-to-clear, the hypervisor's */
    case 0x0c:
        if (m & 0xff)
            pt->cache_line = (uint8_t)v;
        return; /* latency timer: nothing to time */
    case 0x10:
    case 0x14:
    case 0x18:
    case 0x1c:
    case 0x20:
    case 0x24:
        bar_reg_write(pt, (dw - PCI_BAR0) / 4, v);
        return;
    case 0x30:
        return; /* the PCI core sizes the ROM: hidden, reads 0 */
    case 0x3c:
        if (m & 0xff)
            pt->int_line = (uint8_t)v;
        return;
    default:
        break;
    }
    if (pt->msix && dw == pt->msix && (m & 0xffff0000u)) {
        pt->msix_ctrl = (uint16_t)(v >> 16 & (VPCI_PT_MSIX_ENABLE | VPCI_PT_MSIX_MASKALL));
        program_msix(pt);
        return;
    }
    const char *end = log_once_take(&pt->refused, dw, 0);
    if (end)
        hv_log("vpci", "%s: config write at 0x%03x ignored: read-only for the guest%s", pt->name,
               dw, end);
}

uint32_t vpci_pt_read(const struct vpci_pt *pt, unsigned off, unsigned size)
{
    if (size > 4 || off >= 4096 || size > 4096 - off)
        return 0xffffffffu;
    uint32_t r = 0;
    for (unsigned i = 0; i < size; i++) {
        unsigned at = off + i;
        r |= (reg_read(pt, at & ~3u) >> (at & 3u) * 8 & 0xff) << i * 8;
    }
    return r;
}

void vpci_pt_write(struct vpci_pt *pt, unsigned off, unsigned size, uint32_t val)
{
    if (size > 4 || off >= 4096 || size > 4096 - off)
        return;
    while (size) {
        unsigned sh = off & 3u, n = size < 4 - sh ? size : 4 - sh;
        uint32_t m = (n == 4 ? 0xffffffffu : (1u << n * 8) - 1) << sh * 8;
        uint32_t v = (val << sh * 8) & m;
        reg_write(pt, off & ~3u, (reg_read(pt, off & ~3u) & ~m) | v, m);
        off += n;
        size -= n;
        val = n == 4 ? 0 : val >> n * 8;
    }
}

bool vpci_pt_bar_at(const struct vpci_pt *pt, unsigned i, uint64_t *gpa, uint64_t *size)
{
    if (i >= VPCI_PT_BARS || !pt->bar[i].size || !(pt->command & PCI_CMD_MEM))
        return false;
    *gpa = pt->bar[i].guest;
    *size = pt->bar[i].size;
    return true;
}

#define PAGE 0x1000ull

static uint64_t pba_len(const struct vpci_pt *pt)
{
    return ((pt->msix_n + 63u) / 64u) * 8ull;
}

bool vpci_pt_trapped(const struct vpci_pt *pt, unsigned i, uint64_t *off, uint64_t *len)
{
    uint64_t lo = ~0ull, hi = 0;
    if (pt->msix && i == pt->table_bar) {
        lo = pt->table_off;
        hi = pt->table_off + (uint64_t)pt->msix_n * VPCI_PT_MSIX_ENTRY;
    }
    if (pt->msix && i == pt->pba_bar) {
        lo = pt->pba_off < lo ? pt->pba_off : lo;
        hi = pt->pba_off + pba_len(pt) > hi ? pt->pba_off + pba_len(pt) : hi;
    }
    if (!hi)
        return false;
    *off = lo & ~(PAGE - 1);
    *len = ((hi + PAGE - 1) & ~(PAGE - 1)) - *off;
    return true;
}

/* Whether [off, off + size) of BAR i touches the table (then it is emulated). */
static bool in_table(const struct vpci_pt *pt, unsigned i, uint64_t off, unsigned size)
{
    return pt->msix && i == pt->table_bar && off + size > pt->table_off &&
           off < pt->table_off + (uint64_t)pt->msix_n * VPCI_PT_MSIX_ENTRY;
}

static bool in_pba(const struct vpci_pt *pt, unsigned i, uint64_t off, unsigned size)
{
    return pt->msix && i == pt->pba_bar && off + size > pt->pba_off &&
           off < pt->pba_off + pba_len(pt);
}

/* The table's dword at off (from the BAR's start), the guest's view. */
static uint32_t *table_dword(struct vpci_pt *pt, uint64_t off)
{
    uint64_t d = (off - pt->table_off) / 4;
    return &pt->entry[d / 4].addr_lo + d % 4;
}

static bool valid(const struct vpci_pt *pt, unsigned i, uint64_t off, unsigned size)
{
    return i < VPCI_PT_BARS && pt->bar[i].size &&
           (size == 1 || size == 2 || size == 4 || size == 8) && off < pt->bar[i].size &&
           size <= pt->bar[i].size - off;
}

uint64_t vpci_pt_bar_read(struct vpci_pt *pt, unsigned i, uint64_t off, unsigned size)
{
    if (!valid(pt, i, off, size))
        return ~0ull;
    uint64_t a = pt->bar[i].hpa + off;
    if (!in_table(pt, i, off, size)) {
        void *x = pt->io.ctx;
        switch (size) {
        case 1:
            return pt->io.read8(x, a);
        case 2:
            return pt->io.read16(x, a);
        case 4:
            return pt->io.read32(x, a);
        default:
            return pt->io.read32(x, a) | (uint64_t)pt->io.read32(x, a + 4) << 32;
        }
    }
    uint64_t r = 0;
    for (unsigned k = 0; k < size; k++) {
        uint64_t at = off + k;
        uint32_t v = in_table(pt, i, at, 1) ? *table_dword(pt, at & ~3ull) : 0;
        r |= (uint64_t)(v >> (at & 3) * 8 & 0xff) << k * 8;
    }
    return r;
}

void vpci_pt_bar_write(struct vpci_pt *pt, unsigned i, uint64_t off, unsigned size, uint64_t val)
{
    if (!valid(pt, i, off, size) || in_pba(pt, i, off, size))
        return; /* the PBA is the device's */
    if (!in_table(pt, i, off, size)) {
        uint64_t a = pt->bar[i].hpa + off;
        void *x = pt->io.ctx;
        if (size == 1)
            pt->io.write8(x, a, (uint8_t)val);
        else if (size == 2)
            pt->io.write16(x, a, (uint16_t)val);
        else
            pt->io.write32(x, a, (uint32_t)val);
        if (size == 8)
            pt->io.write32(x, a + 4, (uint32_t)(val >> 32));
        return;
    }
    for (unsigned k = 0; k < size; k++) {
        uint64_t at = off + k;
        if (!in_table(pt, i, at, 1))
            continue;
        uint32_t *w = table_dword(pt, at & ~3ull);
        unsigned sh = (unsigned)(at & 3) * 8;
        *w = (*w & ~(0xffu << sh)) | (uint32_t)(val >> k * 8 & 0xff) << sh;
        if (((at - pt->table_off) & 0xf) >= 12)
            *w &= ENTRY_MASKED; /* the other control bits are reserved */
    }
    /* The entries touched, programmed again (the real one never holds the guest's message). */
    uint64_t first = (off > pt->table_off ? off - pt->table_off : 0) / VPCI_PT_MSIX_ENTRY;
    uint64_t last = (off + size - 1 - pt->table_off) / VPCI_PT_MSIX_ENTRY;
    for (uint64_t e = first; e <= last && e < pt->msix_n; e++)
        program_entry(pt, (unsigned)e);
}

unsigned vpci_pt_fired(const struct vpci_pt *pt, unsigned k, uint64_t *addr, uint32_t *data,
                       unsigned max)
{
    unsigned n = 0;
    if (!(pt->msix_ctrl & VPCI_PT_MSIX_ENABLE) || (pt->msix_ctrl & VPCI_PT_MSIX_MASKALL))
        return 0;
    for (unsigned i = k; i < pt->msix_n && n < max; i += pt->nvectors) {
        const struct vpci_pt_entry *e = &pt->entry[i];
        if (e->ctrl & ENTRY_MASKED)
            continue;
        addr[n] = (uint64_t)e->addr_hi << 32 | e->addr_lo;
        data[n++] = e->data;
    }
    return n;
}
