#include "drivers/pci.h"

#define BAR_IO      (1u << 0)
#define BAR_TYPE    (3u << 1)
#define BAR_TYPE_64 (2u << 1)

uint32_t pci_read32(const struct pci_cfg_ops *pci, uint16_t bdf, uint16_t off)
{
    return pci->read32(pci->ctx, bdf, off & ~3u);
}

uint16_t pci_read16(const struct pci_cfg_ops *pci, uint16_t bdf, uint16_t off)
{
    return (uint16_t)(pci_read32(pci, bdf, off) >> (8 * (off & 2)));
}

uint8_t pci_read8(const struct pci_cfg_ops *pci, uint16_t bdf, uint16_t off)
{
    return (uint8_t)(pci_read32(pci, bdf, off) >> (8 * (off & 3)));
}

void pci_write_command(const struct pci_cfg_ops *pci, uint16_t bdf, uint16_t cmd)
{
    pci->write32(pci->ctx, bdf, PCI_COMMAND, cmd);
}

void pci_enumerate(const struct pci_cfg_ops *pci,
                   bool (*fn)(void *ctx, uint16_t bdf, uint16_t vendor, uint16_t device), void *ctx)
{
    for (unsigned bus = pci->bus_start; bus <= pci->bus_end; bus++) {
        for (unsigned dev = 0; dev < 32; dev++) {
            for (unsigned f = 0; f < 8; f++) {
                uint16_t bdf = PCI_BDF(bus, dev, f);
                uint32_t id = pci_read32(pci, bdf, PCI_VENDOR_ID);
                if ((id & 0xffff) == 0xffff) {
                    if (f == 0)
                        break; /* no function 0: no device */
                    continue;
                }
                if (!fn(ctx, bdf, (uint16_t)id, (uint16_t)(id >> 16)))
                    return;
                if (f == 0 && !(pci_read8(pci, bdf, PCI_HEADER) & 0x80))
                    break; /* single-function */
            }
        }
    }
}

uint8_t pci_find_cap(const struct pci_cfg_ops *pci, uint16_t bdf, uint8_t cap_id, uint8_t from)
{
    uint8_t off;
    if (from)
        off = pci_read8(pci, bdf, from + 1);
    else if (pci_read16(pci, bdf, PCI_STATUS) & PCI_STATUS_CAP)
        off = pci_read8(pci, bdf, PCI_CAP_PTR);
    else
        return 0;
    for (unsigned n = 0; n < PCI_CAPS_MAX && off >= 0x40; n++) {
        off &= ~3u; /* the bottom bits are reserved */
        if (pci_read8(pci, bdf, off) == cap_id)
            return off;
        off = pci_read8(pci, bdf, off + 1);
    }
    return 0;
}

int pci_mem_bar(const struct pci_cfg_ops *pci, uint16_t bdf, unsigned bar, uint64_t *base,
                uint64_t *size)
{
    if (bar > 5 || (pci_read8(pci, bdf, PCI_HEADER) & 0x7f) != 0)
        return -1;
    uint16_t reg = (uint16_t)(PCI_BAR0 + 4 * bar);
    uint32_t lo = pci_read32(pci, bdf, reg);
    bool is64 = (lo & BAR_TYPE) == BAR_TYPE_64;
    if (lo & BAR_IO || (is64 && bar == 5) || ((lo & BAR_TYPE) && !is64))
        return -1;
    uint32_t hi = is64 ? pci_read32(pci, bdf, reg + 4) : 0;

    /* Sizing moves the BAR: no decoding meanwhile, so nothing answers there. */
    uint16_t cmd = pci_read16(pci, bdf, PCI_COMMAND);
    pci_write_command(pci, bdf, cmd & ~PCI_CMD_MEM);
    pci->write32(pci->ctx, bdf, reg, ~0u);
    uint32_t mask_lo = pci_read32(pci, bdf, reg);
    pci->write32(pci->ctx, bdf, reg, lo);
    uint32_t mask_hi = ~0u;
    if (is64) {
        pci->write32(pci->ctx, bdf, reg + 4, ~0u);
        mask_hi = pci_read32(pci, bdf, reg + 4);
        pci->write32(pci->ctx, bdf, reg + 4, hi);
    }
    pci_write_command(pci, bdf, cmd);

    uint64_t mask = (uint64_t)mask_hi << 32 | (mask_lo & ~0xfu);
    uint64_t addr = (uint64_t)hi << 32 | (lo & ~0xfu);
    uint64_t sz = ~mask + 1;
    /* An unimplemented BAR reads 0; a size must be a power of two the base is aligned to. */
    if (!(mask_lo & ~0xfu) || !addr || (sz & (sz - 1)) || addr % sz)
        return -1;
    *base = addr;
    *size = sz;
    return 0;
}

static const struct pci_cfg_ops *machine;
static const struct virtio_mmio_ops *machine_io;

void pci_machine_set(const struct pci_cfg_ops *pci, const struct virtio_mmio_ops *io)
{
    machine = pci;
    machine_io = io;
}

const struct virtio_mmio_ops *pci_machine_io(void)
{
    return machine_io;
}

const struct pci_cfg_ops *pci_machine(void)
{
    return machine;
}
