/* The config space and MSI-X table of an assigned machine function as the
 * guest sees them through the vpci bus (docs/vpci.md, "Assignment"): the
 * real function's registers, except what the hypervisor must own to keep
 * the guest inside its partition. Emulated: the BARs (sized from the real
 * ones; the guest's addresses kept here, the real BARs keep the machine's),
 * the command register (the real one gets MEMORY and MASTER as the guest
 * asks, never I/O, INTx always off), the interrupt line, the MSI-X message
 * control and table (the guest's entries kept here; the real table gets the
 * host's MSI address and a host vector). Hidden: the MSI capability (MSI-X
 * only), the expansion ROM, I/O BARs, the extended config space. Every other
 * write is ignored (logged once per offset). Hardware-free: the real
 * function through struct pci_cfg_ops and struct vpci_pt_io. */
#ifndef HV_DEVICES_VPCI_PASSTHROUGH_H
#define HV_DEVICES_VPCI_PASSTHROUGH_H

#include <stdbool.h>
#include <stdint.h>

#include "drivers/pci.h"
#include "lib/log_once.h"

#define VPCI_PT_BARS       6u
#define VPCI_PT_MSIX_MAX   64u /* table entries a function may have (more: refused) */
#define VPCI_PT_MSIX_ENTRY 16u

/* MSI-X message control bits the guest owns. */
#define VPCI_PT_MSIX_ENABLE  0x8000u
#define VPCI_PT_MSIX_MASKALL 0x4000u

/* The real function's memory registers, by host-physical address, in the
 * width the guest used. */
struct vpci_pt_io {
    void *ctx;
    uint8_t (*read8)(void *ctx, uint64_t hpa);
    uint16_t (*read16)(void *ctx, uint64_t hpa);
    uint32_t (*read32)(void *ctx, uint64_t hpa);
    void (*write8)(void *ctx, uint64_t hpa, uint8_t v);
    void (*write16)(void *ctx, uint64_t hpa, uint16_t v);
    void (*write32)(void *ctx, uint64_t hpa, uint32_t v);
};

struct vpci_pt_bar {
    uint64_t hpa, size; /* the machine's; size 0: not offered (I/O, none, upper half) */
    uint64_t guest;     /* the address bits the guest wrote */
    uint8_t type;       /* the real BAR's low 4 bits: 64-bit, prefetchable */
};

struct vpci_pt_entry {
    uint32_t addr_lo, addr_hi, data, ctrl; /* the guest's view; ctrl bit 0: masked */
};

struct vpci_pt {
    const struct pci_cfg_ops *pci;
    uint16_t bdf;
    struct vpci_pt_io io;
    const char *name; /* the device's, for log lines */
    struct vpci_pt_bar bar[VPCI_PT_BARS];
    uint16_t command; /* the guest's MEMORY, MASTER, INTx disable */
    uint8_t cache_line, int_line;
    uint8_t first_cap;    /* the first capability the guest sees (0: none) */
    uint8_t next[64];     /* by offset / 4: the next capability the guest sees */
    uint8_t msi, msi_len; /* the hidden MSI capability (0: none) */
    /* MSI-X: capability offset (0: none), entries, where table and PBA lie. */
    uint8_t msix;
    uint16_t msix_n, msix_ctrl; /* the guest's enable and function mask */
    uint8_t table_bar, pba_bar;
    uint32_t table_off, pba_off;
    struct vpci_pt_entry entry[VPCI_PT_MSIX_MAX];
    /* The real table's messages: this address, data host_vector + i % nvectors. */
    uint64_t host_msi_address;
    uint8_t host_vector, nvectors;
    struct log_once refused; /* writes ignored, by offset */
};

/* Takes the function bdf (claimed, bus mastering off): sizes its BARs,
 * reads its capabilities, masks every real MSI-X entry. 0, or -1 with *why
 * (no memory BAR, an MSI-X table too big or outside a memory BAR). The real
 * table's messages go to host_msi_address with data from host_vector on. */
int vpci_pt_open(struct vpci_pt *pt, const struct pci_cfg_ops *pci, uint16_t bdf,
                 const struct vpci_pt_io *io, const char *name, uint64_t host_msi_address,
                 uint8_t host_vector, uint8_t nvectors, const char **why);

/* As at open: memory decoding, bus mastering and MSI-X off (the guest's
 * driver is gone), every real entry masked. */
void vpci_pt_quiesce(struct vpci_pt *pt);

/* What QUERY_RESOURCE_REQUIREMENTS reports: each BAR's size mask and type. */
void vpci_pt_probed_bars(const struct vpci_pt *pt, uint32_t bars[VPCI_PT_BARS]);

/* A config access of 1, 2 or 4 bytes at off (below 4096, not crossing it). */
uint32_t vpci_pt_read(const struct vpci_pt *pt, unsigned off, unsigned size);
void vpci_pt_write(struct vpci_pt *pt, unsigned off, unsigned size, uint32_t val);

/* BAR i decodes for the guest at [*gpa, *gpa + size): true when the guest
 * enabled MEMORY and BAR i is offered. */
bool vpci_pt_bar_at(const struct vpci_pt *pt, unsigned i, uint64_t *gpa, uint64_t *size);
/* The pages of BAR i that hold the MSI-X table or PBA, [*off, *off + *len)
 * from its start: trapped while the rest of the BAR is mapped. False: none. */
bool vpci_pt_trapped(const struct vpci_pt *pt, unsigned i, uint64_t *off, uint64_t *len);

/* A guest access to BAR i, off from its start, size 1, 2, 4 or 8 (the BAR
 * is trapped where the guest placed it): the MSI-X table emulated, the PBA
 * read-only, the rest the real registers in the same width (8: two dwords). */
uint64_t vpci_pt_bar_read(struct vpci_pt *pt, unsigned i, uint64_t off, unsigned size);
void vpci_pt_bar_write(struct vpci_pt *pt, unsigned i, uint64_t off, unsigned size, uint64_t val);

/* The host vector host_vector + k fired: the guest's messages {address,
 * data} of the entries on it that are enabled and unmasked, into out[0..max);
 * how many. */
unsigned vpci_pt_fired(const struct vpci_pt *pt, unsigned k, uint64_t *addr, uint32_t *data,
                       unsigned max);

#endif
