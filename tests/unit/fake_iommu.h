/* tests/unit/fake_iommu.c: hv/drivers/iommu.h over a struct the test reads. */
#ifndef TESTS_UNIT_FAKE_IOMMU_H
#define TESTS_UNIT_FAKE_IOMMU_H

#include "drivers/iommu.h"

#define FAKE_IOMMU_RANGES 4

struct fake_iommu {
    bool present, refuse; /* refuse: the next assignments fail */
    bool assigned;
    uint16_t bdf;
    unsigned n, unassigns;
    struct iommu_range ranges[FAKE_IOMMU_RANGES];
};
extern struct fake_iommu fake_iommu;

void fake_iommu_reset(bool present);

#endif
