/* The machine's PCI devices as the hypervisor reaches them: configuration
 * space through the firmware's ECAM window (MCFG) or the 0xcf8/0xcfc ports,
 * and BAR ranges mapped uncached into the hypervisor's own page tables
 * (never the guest's). The drivers above (hv/drivers) are hardware-free. */
#ifndef HV_ARCH_X86_PCI_H
#define HV_ARCH_X86_PCI_H

#include <stdbool.h>
#include <stdint.h>

#include "drivers/virtio_pci.h"
#include "lib/heap.h"

struct pci_host {
    struct pci_cfg_ops cfg;
    struct virtio_mmio_ops io;
};

struct fw_acpi;
/* Config access (logged: which one), register access and a clock for the
 * drivers' time-outs; NULL (logged) without a TSC frequency or if the ECAM
 * window cannot be mapped. fw may be NULL: then the ports. */
const struct pci_host *pci_host_init(const struct fw_acpi *fw, struct heap *heap, uint64_t tsc_hz);

/* Identity-maps physical [pa, pa + size) uncached (PCD|PWT) in the
 * hypervisor's page tables, making or splitting tables from heap as needed;
 * false if the heap runs out or the range is not below 2^47. */
bool mmio_map(struct heap *heap, uint64_t pa, uint64_t size);

#endif
