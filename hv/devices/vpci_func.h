/* A synthetic PCI function behind the vPCI bus, and the bus's config
 * window: what the guest's pci-hyperv reads and writes through the 8 KiB
 * window it placed with D0 entry (page 0 selects a function by its wslot,
 * page 1 is that function's config space). Hardware-free: the kind
 * (vpci.c) traps the window and forwards each access here (docs/vpci.md). */
#ifndef HV_DEVICES_VPCI_FUNC_H
#define HV_DEVICES_VPCI_FUNC_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/vpci_passthrough.h"
#include "devices/vpci_wire.h"

/* The synthetic function's identity: QEMU's PCI test device ID in Red Hat's
 * range (1b36:0005, docs/specs/pci-ids of QEMU), class "other" (0xff): no
 * Linux driver binds it, so the guest only enumerates it and sizes its BAR. */
#define VPCI_FUNC_VENDOR    0x1b36u
#define VPCI_FUNC_DEVICE    0x0005u
#define VPCI_FUNC_CLASS     0xffu
#define VPCI_FUNC_SUBVENDOR 0x1af4u
#define VPCI_FUNC_SUBSYSTEM 0x1100u
#define VPCI_FUNC_BAR_SIZE  0x100000u   /* BAR0/1: 1 MiB, 64-bit, non-prefetchable memory */
#define VPCI_FUNC_SIGNATURE 0x48424d56u /* "VMBH": the BAR's first register */

/* Config-space offsets and bits the emulation names. */
#define VPCI_CFG_COMMAND      0x04u
#define VPCI_CFG_BAR0         0x10u
#define VPCI_CMD_MEMORY       0x0002u
#define VPCI_CMD_MASTER       0x0004u
#define VPCI_CMD_PARITY       0x0040u
#define VPCI_CMD_SERR         0x0100u
#define VPCI_CMD_INTX_DISABLE 0x0400u
#define VPCI_BAR_MEM_64       0x4u

struct vpci_func {
    struct vpci_func_desc desc; /* IDs, class, wslot, serial: what BUS_RELATIONS says */
    bool present;               /* false once the guest completed its ejection */
    uint64_t bar_size;          /* a power of two >= 4 KiB */
    uint64_t bar;               /* the address bits the guest wrote to BAR0/1 */
    uint16_t command;
    uint8_t cache_line, interrupt_line;
    uint64_t scratch; /* the BAR's read/write register */
    /* An assigned machine function (vpci_passthrough.h): its config space
     * and BARs are that, not the synthetic one's; NULL: synthetic. */
    struct vpci_pt *pt;
};

/* The synthetic function at wslot, with the slot name serial. */
void vpci_func_init(struct vpci_func *f, uint32_t wslot, uint32_t serial);
/* What each BAR reads after all ones were written to it (QUERY_RESOURCE_REQUIREMENTS). */
void vpci_func_probed_bars(const struct vpci_func *f, uint32_t bars[VPCI_BARS]);
/* Config space at off (< 4096), size 1, 2 or 4 bytes, little endian; an
 * access past the 4 KiB reads all ones and writes nothing. */
uint32_t vpci_func_read(const struct vpci_func *f, unsigned off, unsigned size);
void vpci_func_write(struct vpci_func *f, unsigned off, unsigned size, uint32_t val);

/* The BAR's registers, where the guest decodes it: 0x0 the signature and 0x4
 * version 1 (read-only), 0x8 a 64-bit scratch register; the rest reads 0 and
 * ignores writes. size 1, 2, 4 or 8, off below the BAR's size. */
uint64_t vpci_func_bar_read(const struct vpci_func *f, uint64_t off, unsigned size);
void vpci_func_bar_write(struct vpci_func *f, uint64_t off, unsigned size, uint64_t val);

/* The config window of a bus of n functions. */
struct vpci_window {
    uint32_t slot; /* page 0: the last wslot the guest selected */
    struct vpci_func *funcs;
    unsigned n;
};

/* An access at off into the window, size 1, 2, 4 or 8 (a window trap's
 * read/write). Page 1 of a slot no present function has reads all ones, as
 * an empty PCI slot does, and drops writes; outside the window likewise. */
uint64_t vpci_window_read(const struct vpci_window *w, uint64_t off, unsigned size);
void vpci_window_write(struct vpci_window *w, uint64_t off, unsigned size, uint64_t val);

#endif
