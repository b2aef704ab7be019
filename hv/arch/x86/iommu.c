/* The machine's VT-d unit under hv/drivers/vtd.c: the register page mapped
 * uncached, the DMAR's policy (one unit, for segment 0; only functions it
 * covers and no reserved region names can be assigned), the domains' ranges
 * from the boot handoff, and fault records polled once a second. */
#include "arch/x86/iommu.h"

#include "arch/x86/pci.h"
#include "drivers/iommu.h"
#include "drivers/pci.h"
#include "drivers/vtd.h"
#include "lib/fwacpi.h"
#include "lib/log.h"
#include "lib/timer.h"

#define FAULT_POLL_NS 1000000000ull

static struct vtd vtd;
static struct fw_dmar dmar;
static uint64_t regs;
static bool on;
static const char *off_why = "not started";
static struct hv_timer fault_timer;

static uint32_t rd32(void *ctx, uint32_t off)
{
    (void)ctx;
    return *(volatile uint32_t *)(uintptr_t)(regs + off);
}
static void wr32(void *ctx, uint32_t off, uint32_t v)
{
    (void)ctx;
    *(volatile uint32_t *)(uintptr_t)(regs + off) = v;
}
static uint64_t rd64(void *ctx, uint32_t off)
{
    (void)ctx;
    return *(volatile uint64_t *)(uintptr_t)(regs + off);
}
static void wr64(void *ctx, uint32_t off, uint64_t v)
{
    (void)ctx;
    *(volatile uint64_t *)(uintptr_t)(regs + off) = v;
}
static void flush(void *ctx, const void *p, uint64_t len)
{
    (void)ctx;
    uintptr_t a = (uintptr_t)p & ~(uintptr_t)63;
    for (; a < (uintptr_t)p + len; a += 64)
        __asm__ volatile("clflush (%0)" ::"r"(a) : "memory");
    __asm__ volatile("mfence" ::: "memory");
}

static void poll_faults(struct hv_timer *t, uint64_t now)
{
    vtd_poll_faults(&vtd);
    timer_arm(t, now + FAULT_POLL_NS);
}

/* Page-rounded identity range over a region of the handoff. */
static struct iommu_range identity(const struct hv_region *r)
{
    uint64_t a = r->base & ~(uint64_t)(PAGE_SIZE - 1);
    uint64_t end = (r->base + r->size + PAGE_SIZE - 1) & ~(uint64_t)(PAGE_SIZE - 1);
    return (struct iommu_range){a, a, end - a};
}

/* The unit this driver can use: exactly one for segment 0 (the only one
 * it scans). */
static const char *pick_unit(const struct dmar_unit **unit)
{
    if (dmar.nunit != 1 || dmar.unit[0].segment)
        return "only one DMA remapping unit, for segment 0, is supported";
    *unit = &dmar.unit[0];
    return NULL;
}

static bool start(const struct hv_boot_info *bi, struct heap *heap, const uint16_t *host,
                  unsigned n)
{
    const struct dmar_unit *unit = NULL;
    if (fwacpi_dmar(bi->rsdp, &dmar, &off_why) || (off_why = pick_unit(&unit)))
        return false;
    if (!mmio_map(heap, unit->base, PAGE_SIZE)) {
        off_why = "its registers cannot be mapped";
        return false;
    }
    regs = unit->base;
    uint64_t cap = rd64(NULL, VTD_CAP), ecap = rd64(NULL, VTD_ECAP);
    if (VTD_CAP_FRO(cap) + 16 * VTD_CAP_NFR(cap) > PAGE_SIZE ||
        VTD_ECAP_IRO(ecap) + 16 > PAGE_SIZE) {
        off_why = "registers beyond its first page";
        return false;
    }
    const struct iommu_range ranges[] = {identity(&bi->hv_image), identity(&bi->heap),
                                         identity(&bi->guest_ram)};
    const struct vtd_ops ops = {NULL, rd32, wr32, rd64, wr64, flush};
    if (vtd_init(&vtd, &ops, heap, ranges, 3, &off_why))
        return false;
    for (unsigned i = 0; i < n; i++)
        if (vtd_host_function(&vtd, host[i], &off_why))
            return false;
    vtd_poll_faults(&vtd); /* what the firmware left */
    if (vtd_enable(&vtd, &off_why))
        return false;
    hv_log(
        "iommu",
        "VT-d at 0x%llx (cap 0x%llx ecap 0x%llx): translation on, %u functions in the host domain",
        (unsigned long long)regs, (unsigned long long)cap, (unsigned long long)ecap, vtd.nhost);
    timer_setup(&fault_timer, poll_faults, NULL);
    timer_arm(&fault_timer, clock_ns() + FAULT_POLL_NS);
    return true;
}

void iommu_init(const struct hv_boot_info *bi, struct heap *heap, const uint16_t *host, unsigned n)
{
    on = start(bi, heap, host, n);
    if (!on)
        hv_log("iommu", "none (%s): devices cannot be assigned", off_why);
}

bool iommu_present(void)
{
    return on;
}

int iommu_assign(uint16_t bdf, const struct iommu_range *ranges, unsigned n, const char **why)
{
    if (!on) {
        *why = "the machine has no usable IOMMU: a device that can DMA anywhere breaks isolation";
        return -1;
    }
    /* QEMU 7.2's unit names each function of its bus instead of INCLUDE_PCI_ALL */
    if (!dmar_unit_covers(&dmar.unit[0], bdf)) {
        *why = "the function is not behind the IOMMU (no DMAR scope names it)";
        return -1;
    }
    /* such a function keeps DMA-ing there for the firmware (USB legacy,
     * graphics): it cannot be confined to guest RAM */
    if (dmar_rmrr_reserves(&dmar, bdf)) {
        *why = "the firmware reserves memory for this function's DMA (RMRR)";
        return -1;
    }
    return vtd_assign(&vtd, bdf, ranges, n, why);
}

void iommu_unassign(uint16_t bdf)
{
    if (on)
        vtd_unassign(&vtd, bdf);
}
