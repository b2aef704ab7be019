/* No IOMMU driver: a machine where nothing confines a device's DMA, so no
 * function can be assigned to the guest. Stands in until the VT-d driver
 * (hv/drivers/iommu.h's other implementation) replaces it. */
#include "drivers/iommu.h"

bool iommu_present(void)
{
    return false;
}

int iommu_assign(uint16_t bdf, const struct iommu_range *ranges, unsigned n, const char **why)
{
    (void)bdf;
    (void)ranges;
    (void)n;
    *why = "no IOMMU";
    return -1;
}

void iommu_unassign(uint16_t bdf)
{
    (void)bdf;
}
