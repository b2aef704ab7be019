/* The machine's IOMMU as the hypervisor programs it: every PCI function's DMA
 * is blocked unless assigned a domain of its own that maps a guest's RAM at
 * guest-physical addresses (docs/vpci.md, "Assignment"). */
#ifndef HV_DRIVERS_IOMMU_H
#define HV_DRIVERS_IOMMU_H

#include <stdbool.h>
#include <stdint.h>

struct iommu_range {
    uint64_t gpa, hpa, len;
};
bool iommu_present(void);
/* Gives bdf its own DMA domain mapping guest-physical [gpa, gpa+len) to host-physical hpa for each
 * range; -1 with *why. */
int iommu_assign(uint16_t bdf, const struct iommu_range *ranges, unsigned n, const char **why);
void iommu_unassign(uint16_t bdf); /* blocked again */

#endif
