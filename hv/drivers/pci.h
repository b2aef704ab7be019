/* PCI configuration space as the hypervisor reads it: enumeration, BARs and
 * the capability list, over an access interface the platform implements
 * (hv/arch/x86/pci.c: ECAM or the 0xcf8 ports; tests: a fake config space).
 * Hardware-free. A function is named by its bdf: bus << 8 | dev << 3 | fn
 * (segment 0 only). */
#ifndef HV_DRIVERS_PCI_H
#define HV_DRIVERS_PCI_H

#include <stdbool.h>
#include <stdint.h>

#define PCI_BDF(bus, dev, fn) ((uint16_t)((bus) << 8 | (dev) << 3 | (fn)))
#define PCI_BUS(bdf)          ((unsigned)(bdf) >> 8)
#define PCI_DEV(bdf)          (((unsigned)(bdf) >> 3) & 0x1f)
#define PCI_FN(bdf)           ((unsigned)(bdf)&7)

#define PCI_VENDOR_ID    0x00
#define PCI_COMMAND      0x04
#define PCI_CLASS_REV    0x08
#define PCI_STATUS       0x06
#define PCI_HEADER       0x0e
#define PCI_BAR0         0x10
#define PCI_CAP_PTR      0x34
#define PCI_CMD_MEM      (1u << 1)
#define PCI_CMD_MASTER   (1u << 2)
#define PCI_CMD_INTX_OFF (1u << 10)
#define PCI_STATUS_CAP   (1u << 4)
#define PCI_CAP_MSIX     0x11
#define PCI_CAP_MSI      0x05
#define PCI_CAP_VENDOR   0x09

/* An MSI message: the write a device makes to interrupt a CPU. */
struct pci_msi_msg {
    uint64_t addr;
    uint32_t data;
};

/* Dword accesses at a dword-aligned offset below 4096 (256 without ECAM:
 * then the platform answers all-ones beyond). */
struct pci_cfg_ops {
    void *ctx;
    uint32_t (*read32)(void *ctx, uint16_t bdf, uint16_t off);
    void (*write32)(void *ctx, uint16_t bdf, uint16_t off, uint32_t v);
    uint8_t bus_start, bus_end; /* the buses it reaches */
};

uint8_t pci_read8(const struct pci_cfg_ops *pci, uint16_t bdf, uint16_t off);
uint16_t pci_read16(const struct pci_cfg_ops *pci, uint16_t bdf, uint16_t off);
uint32_t pci_read32(const struct pci_cfg_ops *pci, uint16_t bdf, uint16_t off);
/* A 16-bit write at an even offset (read-modify-write of its dword). Used
 * only for the command register; the status register beside it is
 * write-1-to-clear, so its half is written as 0. */
void pci_write_command(const struct pci_cfg_ops *pci, uint16_t bdf, uint16_t cmd);

/* Calls fn for every function present (vendor != 0xffff) on the buses ops
 * reaches, in bus, device, function order; stops early if fn returns false.
 * Only reads vendor and header-type registers. */
void pci_enumerate(const struct pci_cfg_ops *pci,
                   bool (*fn)(void *ctx, uint16_t bdf, uint16_t vendor, uint16_t device),
                   void *ctx);

/* The offset of the next capability with id cap_id after offset from (0:
 * the first), 0 if none. Bounded: a looping or out-of-range list ends it;
 * a caller walking the list stops after PCI_CAPS_MAX too. */
#define PCI_CAPS_MAX 48 /* (256 - 64) / 4: more is a loop */
uint8_t pci_find_cap(const struct pci_cfg_ops *pci, uint16_t bdf, uint8_t cap_id, uint8_t from);

/* A memory BAR of a type-0 function: its address and size. Sizing writes
 * all-ones into the BAR (with memory decoding off) and restores it: call it
 * only on a function the caller drives. -1 for an I/O BAR, an unassigned or
 * malformed one, or a 64-bit BAR's upper half. */
int pci_mem_bar(const struct pci_cfg_ops *pci, uint16_t bdf, unsigned bar, uint64_t *base,
                uint64_t *size);

/* The machine's configuration access and register access, once hv/main.c has it (NULL before,
 * and on a machine whose PCI the hypervisor leaves alone): for the vpci
 * kind's assignments, which look up functions at device creation. */
struct virtio_mmio_ops;
void pci_machine_set(const struct pci_cfg_ops *pci, const struct virtio_mmio_ops *io);
const struct pci_cfg_ops *pci_machine(void);
/* Its device registers (map, accesses by physical address), or NULL. */
const struct virtio_mmio_ops *pci_machine_io(void);

#endif
