/* The machine's network cards at start-up: finds every virtio-net PCI
 * function and logs it with its MAC (read, then the card is reset with bus
 * mastering off: nothing drives it); the first one is kept for a nic device,
 * which starts it (nics_start) only when hv.cfg configures one. */
#ifndef HV_DRIVERS_NICS_H
#define HV_DRIVERS_NICS_H

#include "drivers/virtio_net.h"
#include "lib/heap.h"

void nics_probe(const struct pci_cfg_ops *pci, const struct virtio_mmio_ops *io, struct heap *heap);

/* Drives the first card found (once): its driver, or NULL (logged why). */
struct virtio_net *nics_start(void);

/* The function nics_start drives (its DMA must keep working): false if none. */
bool nics_function(uint16_t *bdf);

#endif
