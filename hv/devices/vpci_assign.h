/* Assignment of a machine PCI function to a vpci bus (`assign=` of the
 * vpci line, docs/vpci.md "Assignment"): which function the word names,
 * whether the hypervisor may give it (it must exist, be an endpoint the
 * hypervisor does not use itself, and the machine must have an IOMMU to
 * confine its DMA to the guest's RAM), and the claim that keeps it from
 * everything else. Hardware-free: the bus through struct pci_cfg_ops, the
 * IOMMU through drivers/iommu.h. */
#ifndef HV_DEVICES_VPCI_ASSIGN_H
#define HV_DEVICES_VPCI_ASSIGN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "drivers/iommu.h"
#include "drivers/pci.h"

/* What assign= names: a machine address bus:dev.fn or vendor:device. */
struct vpci_assign_sel {
    bool by_id;
    uint16_t bdf;
    uint16_t vendor, device;
};

/* Functions assigned at once (one per vpci bus). */
#define VPCI_ASSIGN_MAX 4u

/* "00:03.0" (bus and device in hex, function 0-7) or "1af4:1005" (four hex
 * digits each); 0, or -1 for anything else. */
int vpci_assign_parse(const char *v, size_t n, struct vpci_assign_sel *out);

/* Finds what sel names on the bus pci reaches (by ID: the first such
 * function not claimed yet) and claims it for owner: checks it is none of
 * the hypervisor's (boot_disk: hv_boot_info's, the boot volume; a
 * virtio-blk or virtio-net function, which back disk and nic devices; a
 * bridge or the host bridge), gives it a DMA domain of ram[0..nram)
 * (iommu_assign) and turns its bus mastering off until the guest enables
 * it. 0 with *bdf, or -1 with why[0..cap) saying why, nothing claimed.
 * The caller refuses assignment on a machine without an IOMMU first
 * (iommu_present), with its own words. */
int vpci_assign_claim(const struct pci_cfg_ops *pci, uint32_t boot_disk,
                      const struct vpci_assign_sel *sel, const char *owner,
                      const struct iommu_range *ram, unsigned nram, uint16_t *bdf, char *why,
                      size_t cap);

/* A new configuration: every claim given up (DMA blocked again). */
void vpci_assign_release_all(void);

#endif
