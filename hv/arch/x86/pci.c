/* PCI configuration access (ECAM, else the 0xcf8/0xcfc ports), device
 * register access and a clock for hv/drivers. The guest reaches neither: its
 * port accesses to 0xcf8-0xcff read all-ones (hv/vm/ioports.c) and the ECAM
 * window and BARs are not in its nested page tables. */
#include "arch/x86/pci.h"

#include "arch/x86/arch.h"
#include "arch/x86/cpu.h"
#include "arch/x86/irq.h"
#include "lib/fwacpi.h"
#include "lib/log.h"

#define PCI_ADDR_PORT 0xcf8
#define PCI_DATA_PORT 0xcfc

static struct pci_host host;
static uint64_t ecam, hz;
static struct heap *map_heap;

static volatile uint32_t *ecam_reg(uint16_t bdf, uint16_t off)
{
    return (volatile uint32_t *)(uintptr_t)(ecam + ((uint64_t)bdf << 12) + off);
}

static uint32_t ecam_read(void *ctx, uint16_t bdf, uint16_t off)
{
    (void)ctx;
    return off < 4096 ? *ecam_reg(bdf, off) : ~0u;
}

static void ecam_write(void *ctx, uint16_t bdf, uint16_t off, uint32_t v)
{
    (void)ctx;
    if (off < 4096)
        *ecam_reg(bdf, off) = v;
}

static uint32_t port_read(void *ctx, uint16_t bdf, uint16_t off)
{
    (void)ctx;
    if (off >= 256)
        return ~0u;
    outl(PCI_ADDR_PORT, 1u << 31 | (uint32_t)bdf << 8 | off);
    return inl(PCI_DATA_PORT);
}

static void port_write(void *ctx, uint16_t bdf, uint16_t off, uint32_t v)
{
    (void)ctx;
    if (off >= 256)
        return;
    outl(PCI_ADDR_PORT, 1u << 31 | (uint32_t)bdf << 8 | off);
    outl(PCI_DATA_PORT, v);
}

static uint8_t rd8(void *ctx, uint64_t a)
{
    (void)ctx;
    return *(volatile uint8_t *)(uintptr_t)a;
}
static uint16_t rd16(void *ctx, uint64_t a)
{
    (void)ctx;
    return *(volatile uint16_t *)(uintptr_t)a;
}
static uint32_t rd32(void *ctx, uint64_t a)
{
    (void)ctx;
    return *(volatile uint32_t *)(uintptr_t)a;
}
static void wr8(void *ctx, uint64_t a, uint8_t v)
{
    (void)ctx;
    *(volatile uint8_t *)(uintptr_t)a = v;
}
static void wr16(void *ctx, uint64_t a, uint16_t v)
{
    (void)ctx;
    *(volatile uint16_t *)(uintptr_t)a = v;
}
static void wr32(void *ctx, uint64_t a, uint32_t v)
{
    (void)ctx;
    *(volatile uint32_t *)(uintptr_t)a = v;
}

static uint64_t map(void *ctx, uint64_t pa, uint64_t len)
{
    (void)ctx;
    return mmio_map(map_heap, pa, len) ? pa : 0;
}

static uint64_t now_ns(void *ctx)
{
    (void)ctx;
    uint64_t t = tsc_read();
    return t / hz * 1000000000ull + t % hz * 1000000000ull / hz;
}

const struct pci_host *pci_host_init(const struct fw_acpi *fw, struct heap *heap, uint64_t tsc_hz)
{
    if (!tsc_hz) {
        hv_log("pci", "no TSC frequency for the drivers' time-outs: PCI devices left alone");
        return NULL;
    }
    hz = tsc_hz;
    map_heap = heap;
    /* Fixed delivery, edge, physical destination: this CPU's APIC ID in 19:12. */
    struct pci_msi_msg msi = {LAPIC_MSI_ADDRESS | (uint64_t)(lapic_id() & 0xff) << 12,
                              HOST_DEV_VECTOR};
    host.io = (struct virtio_mmio_ops){NULL, rd8, rd16, rd32, wr8, wr16, wr32, map, now_ns, msi};
    if (fw && fw->ecam) {
        uint64_t first = fw->ecam + ((uint64_t)fw->ecam_bus_start << 20);
        uint64_t size = (uint64_t)(fw->ecam_bus_end - fw->ecam_bus_start + 1) << 20;
        if (!mmio_map(heap, first, size)) {
            hv_log("pci", "cannot map the ECAM window at 0x%llx", (unsigned long long)first);
            return NULL;
        }
        ecam = fw->ecam;
        host.cfg =
            (struct pci_cfg_ops){NULL, ecam_read, ecam_write, fw->ecam_bus_start, fw->ecam_bus_end};
        hv_log("pci", "ECAM at 0x%llx, buses %u-%u", (unsigned long long)first, fw->ecam_bus_start,
               fw->ecam_bus_end);
    } else {
        host.cfg = (struct pci_cfg_ops){NULL, port_read, port_write, 0, 255};
        hv_log("pci", "no MCFG: configuration through ports 0xcf8/0xcfc");
    }
    return &host;
}
