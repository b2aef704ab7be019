/* What the vpci kind offers beside its struct device_kind: the guest's
 * HvRetargetDeviceInterrupt, which hv/guest.c hands it from the partition. */
#ifndef HV_DEVICES_VPCI_H
#define HV_DEVICES_VPCI_H

#include <stdint.h>

/* pci-hyperv names a function's interrupts by a device id made of its bus's
 * instance GUID bytes 4-7 (bytes 5,4 the PCI domain; bits 2:0 of byte 6
 * replaced by the function number) and the MSI {address, data} that
 * CREATE_INTERRUPT answered. The entry injects vector on the lowest VP of
 * vp_mask from now on. 0, or -1: no vpci function owns that entry.
 * (hyperv_retarget_fn's shape: ctx is unused.) */
int vpci_retarget(void *ctx, uint64_t device_id, uint32_t msi_address, uint32_t msi_data,
                  uint8_t vector, uint64_t vp_mask);

#endif
