/* The machine's IOMMU as the rest of the hypervisor uses it: whether DMA can
 * be confined, and a DMA domain per PCI function given to the guest
 * (docs/iommu.md). Implemented by hv/arch/x86/iommu.c over the VT-d driver
 * (hv/drivers/vtd.c); the start-up half is there too. */
#ifndef HV_DRIVERS_IOMMU_H
#define HV_DRIVERS_IOMMU_H

#include <stdbool.h>
#include <stdint.h>

/* One piece of a DMA domain: device (I/O virtual) addresses [gpa, gpa+len)
 * reach host-physical [hpa, hpa+len). Page-aligned. */
struct iommu_range {
    uint64_t gpa, hpa, len;
};

/* True once translation is on: every PCI function's DMA is confined. */
bool iommu_present(void);
/* Gives bdf its own DMA domain mapping guest-physical [gpa, gpa+len) to
 * host-physical hpa for each range; -1 with *why (no IOMMU, a function the
 * hypervisor drives, one a reserved region (RMRR) names, bad ranges, out of
 * heap). Assigning an assigned function replaces its domain (if that fails,
 * the function is left blocked). */
int iommu_assign(uint16_t bdf, const struct iommu_range *ranges, unsigned n, const char **why);
/* bdf's DMA is blocked again (its domain freed). */
void iommu_unassign(uint16_t bdf);

#endif
