/* A fake IOMMU for the unit tests: present or not as the test says, and
 * what the last assignment mapped, to be checked. */
#include "fake_iommu.h"

#include <string.h>

struct fake_iommu fake_iommu;

void fake_iommu_reset(bool present)
{
    memset(&fake_iommu, 0, sizeof(fake_iommu));
    fake_iommu.present = present;
}

bool iommu_present(void)
{
    return fake_iommu.present;
}

int iommu_assign(uint16_t bdf, const struct iommu_range *ranges, unsigned n, const char **why)
{
    if (!fake_iommu.present || fake_iommu.refuse) {
        *why = fake_iommu.present ? "refused by the fake" : "no IOMMU";
        return -1;
    }
    fake_iommu.assigned = true;
    fake_iommu.bdf = bdf;
    fake_iommu.n = n < FAKE_IOMMU_RANGES ? n : FAKE_IOMMU_RANGES;
    memcpy(fake_iommu.ranges, ranges, fake_iommu.n * sizeof(*ranges));
    return 0;
}

void iommu_unassign(uint16_t bdf)
{
    if (fake_iommu.assigned && fake_iommu.bdf == bdf)
        fake_iommu.assigned = false;
    fake_iommu.unassigns++;
}
