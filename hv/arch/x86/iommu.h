/* Start-up of the machine's IOMMU (docs/iommu.md): after the PCI probe, so
 * the functions the hypervisor drives are known. */
#ifndef HV_ARCH_X86_IOMMU_H
#define HV_ARCH_X86_IOMMU_H

#include <stdint.h>

#include "boot_info.h"
#include "lib/heap.h"

/* Finds the VT-d unit (DMAR), maps its registers uncached, puts host[0..n)
 * in the host domain (identity over the hypervisor's image and heap and the
 * guest's RAM), blocks every other function and turns translation on. Logs
 * one line either way; without it iommu_present() is false. */
void iommu_init(const struct hv_boot_info *bi, struct heap *heap, const uint16_t *host, unsigned n);

#endif
