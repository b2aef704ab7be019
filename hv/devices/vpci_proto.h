/* The host side of the vPCI protocol for one bus: what each guest message
 * does and what it is answered, hardware-free (no KMCL, no traps: the kind,
 * vpci.c, hands in packets and gets its sends and the config window's
 * D0 entry/exit through struct vpci_host). The order Linux's pci-hyperv
 * follows, and what is refused, are in docs/vpci.md. */
#ifndef HV_DEVICES_VPCI_PROTO_H
#define HV_DEVICES_VPCI_PROTO_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/device.h"
#include "devices/vpci_func.h"
#include "devices/vpci_wire.h"
#include "lib/log_once.h"

/* Interrupts a bus keeps at once (Linux asks one per MSI/MSI-X vector in use). */
#define VPCI_MAX_INTERRUPTS 32u

/* The host-owned MSI a CREATE_INTERRUPT answers: the address of the host's
 * local APIC 0 (the hypervisor's CPU) and, as data, the entry's index in
 * the bus's interrupt table from this base: an interrupt of the device is the
 * hypervisor's, which injects the guest's vector on the VP the guest asked. */
#define VPCI_MSI_ADDRESS   0xfee00000ull
#define VPCI_MSI_DATA_BASE 0x4000u

/* What the protocol asks of its host. */
struct vpci_host {
    void *ctx;
    /* An in-band packet (id 0), or with completion the answer to request id.
     * 0 sent, -1 not (the guest's ring is full: the answer is lost, logged). */
    int (*send)(void *ctx, const void *buf, uint32_t len, uint64_t id, bool completion);
    /* D0 entry: emulate the config window at gpa from now on; 0, or -1 refused. */
    int (*window_map)(void *ctx, uint64_t gpa);
    void (*window_unmap)(void *ctx, uint64_t gpa);
    /* funcs[i]'s BAR is decoded at [gpa, gpa + size) from now on; 0, or -1 refused. */
    int (*bar_map)(void *ctx, unsigned i, uint64_t gpa, uint64_t size);
    void (*bar_unmap)(void *ctx, unsigned i, uint64_t gpa, uint64_t size);
    /* After every config write, D0 entry and exit, and ejection: an assigned
     * function's BARs may have moved (NULL: no such function). */
    void (*bars_changed)(void *ctx);
};

struct vpci_interrupt {
    bool used;
    uint32_t wslot;
    uint32_t vector; /* the guest's */
    uint16_t count;
    uint16_t vp;
};

struct vpci_proto {
    struct vpci_host host;
    const char *name; /* the device's, for log lines */
    /* The bus: its functions and its config window (window.funcs). */
    struct vpci_window window;
    const struct device_mmio_range *ranges; /* where a D0 window may lie: the guest's MMIO */
    unsigned nranges;
    unsigned vps; /* VP indexes below this are valid interrupt targets */

    uint32_t version;    /* negotiated; 0: not yet */
    bool relations_sent; /* the guest has heard of the functions */
    bool d0;             /* the config window is at window_gpa */
    uint64_t window_gpa;
    uint32_t assigned;      /* bit i: funcs[i] has its resources */
    uint32_t eject_pending; /* bit i: funcs[i] was asked to eject */
    struct vpci_interrupt irq[VPCI_MAX_INTERRUPTS];
    uint64_t bar_at[32]; /* where funcs[i]'s BAR is decoded; 0: nowhere */

    uint64_t requests, refused, lost; /* handled, answered with an error/dropped, not sent */
    struct log_budget bad;
    struct log_once bars;           /* where a BAR decodes, or not: once per function and place */
    uint64_t retargets;             /* HvRetargetDeviceInterrupt calls that named an entry */
    struct log_budget retarget_log; /* vector changes logged: the first few */
};

/* A bus over funcs[0..n) (n <= 32), its D0 windows inside one of
 * ranges[0..nranges) (read at each D0 entry: they may be set late),
 * interrupts on VPs below vps. */
void vpci_proto_init(struct vpci_proto *p, const char *name, const struct vpci_host *host,
                     struct vpci_func *funcs, unsigned n, const struct device_mmio_range *ranges,
                     unsigned nranges, unsigned vps);
/* One in-band packet the guest sent (payload, length, transaction id). */
void vpci_proto_packet(struct vpci_proto *p, const void *buf, uint32_t len, uint64_t id);
/* After the guest wrote a function's config space: each BAR is decoded where
 * it points while the bus is in D0, the function present and its MEMORY bit
 * set, if it lies inside the guest's MMIO ranges and off the config window. */
void vpci_proto_config_written(struct vpci_proto *p);
/* Why a BAR of size bytes at gpa cannot decode (outside the guest's MMIO
 * ranges, over the config window), or NULL. */
const char *vpci_proto_bar_refused(const struct vpci_proto *p, uint64_t gpa, uint64_t size);
/* The guest's vector an MSI {addr, data} of function wslot names (one this
 * bus answered a CREATE_INTERRUPT with), or -1; *vp (if vp) its target VP. */
int vpci_proto_msi_vector(const struct vpci_proto *p, uint32_t wslot, uint64_t addr, uint32_t data,
                          uint16_t *vp);
/* HvRetargetDeviceInterrupt for function wslot's MSI {addr, data} (one this
 * bus answered a CREATE_INTERRUPT with): its interrupts inject vector on the
 * lowest VP of vp_mask from now on. 0, or -1 (no such entry, no such VP). */
int vpci_proto_retarget(struct vpci_proto *p, uint32_t wslot, uint64_t addr, uint32_t data,
                        uint8_t vector, uint64_t vp_mask);
/* The channel closed: back to before negotiation, the window unmapped. */
void vpci_proto_reset(struct vpci_proto *p);
/* Asks the guest to eject funcs[i] (PCI_EJECT); -1 if it cannot be sent now. */
int vpci_proto_eject(struct vpci_proto *p, unsigned i);

/* The channel's trace decoder (vpci_trace.c; kmcl_types.h's contract): a
 * packet of either direction as "vpci <MESSAGE> <fields>" or "vpci
 * completion status=0x<s> ...". */
size_t vpci_trace_decode(const void *pkt, size_t len, char *out, size_t cap);

#endif
