/* The one virtual CPU: VMCB, permission maps, nested page tables, run loop. */
#ifndef HV_ARCH_X86_VCPU_H
#define HV_ARCH_X86_VCPU_H

#include <stdbool.h>
#include <stdint.h>

#include "arch/x86/vmcb.h"
#include "hyperv/hyperv.h"
#include "lib/heap.h"
#include "lib/ptable.h"
#include "vm/linux_boot.h"

#define EXIT_RING 16

struct exit_record {
    uint64_t code, info1, info2, rip;
};

/* The I/O ports the hypervisor owns; everything else is passed through. */
struct vcpu_ports {
    uint16_t pm1a_cnt;   /* the guest FADT's PM1a control block: S5 = power-off */
    uint8_t s5_slp_typ;  /* the SLP_TYP of the guest DSDT's \_S5 */
    uint16_t debug_exit; /* QEMU's isa-debug-exit: the run's verdict is not the guest's to set */
};

struct vcpu {
    struct vmcb *vmcb;
    void *host_save; /* VM_HSAVE_PA */
    void *host_vmcb; /* VMSAVE/VMLOAD area for the host's FS/GS/TR/... */
    uint8_t *iopm;
    uint8_t *msrpm;
    struct guest_regs regs;
    struct ptable *npt;
    uint64_t ram_size;
    void *void_page; /* backs guest accesses to unmapped space: reads all-ones */
    bool flush_tlb;
    struct vcpu_ports ports;
    struct hv_partition *hv;  /* the Hyper-V view the guest gets */
    void (*after_exit)(void); /* host-side work that waits on the guest (VMBus replies) */
    size_t (*summary_more)(char *buf, size_t cap); /* more " key=value" for the summary */

    uint64_t exits;
    uint64_t count[16]; /* by exit_reason() index */
    struct exit_record ring[EXIT_RING];
    uint64_t tsc_hz, tsc_start;
};

int vcpu_init(struct vcpu *v, struct heap *heap, struct ptable *npt, uint64_t ram_size,
              const struct linux_entry *entry, const struct vcpu_ports *ports);
void vcpu_run(struct vcpu *v) __attribute__((noreturn));

/* exits.c */
void vcpu_handle_exit(struct vcpu *v);
void vcpu_inject_gp(struct vcpu *v);
void vcpu_inject_ud(struct vcpu *v);
/* Takes the pending physical interrupt (irq_take); a guest vector goes in
 * by EVENTINJ. Only while the guest can take one and EVENTINJ is free. */
void vcpu_take_interrupt(struct vcpu *v);
/* Ends the run: the summary line, then arch_stop(verdict). */
void vcpu_finish(struct vcpu *v, int verdict, const char *why) __attribute__((noreturn));
void vcpu_report(struct vcpu *v);

#endif
