/* The guest's virtual processors under SVM, VP n on CPU n: their VMCBs and
 * permission maps and the VMRUN loop (vcpu.c), the exit handlers (exits.c).
 * What the guest machine is (its ports, MSRs, nested page tables, entry
 * state) comes from hv/guest.c and hv/vm; how the run ends, from the end
 * hook. Exits are handled under one lock (vcpu.c, docs/design.md "Locks"). */
#ifndef HV_ARCH_X86_VCPU_H
#define HV_ARCH_X86_VCPU_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arch/x86/vmcb.h"
#include "hyperv/hyperv.h"
#include "lib/heap.h"
#include "lib/ptable.h"
#include "vm/ioports.h"
#include "vm/msrs.h"

#define EXIT_RING 16
/* HV_X64_MSR_EOI..TPR: the enlightened APIC's (hv/guest.c carries them out). */
#define HV_MSR_APIC_EOI 0x40000070u
#define HV_MSR_APIC_ICR 0x40000071u
#define HV_MSR_APIC_TPR 0x40000072u
/* What handle_npf mapped for one single-stepped guest instruction. */
#define VCPU_STEP_SINK   (1u << 0) /* the sink, for a write into the void */
#define VCPU_STEP_IOAPIC (1u << 1) /* the IOAPIC's shadow page */

/* The state the vCPU starts in, at CPL 0; ds applies to DS, ES, SS, FS and GS
 * alike. The other general registers start at 0. */
struct vcpu_entry {
    uint64_t rip, rsp, rsi, rflags;
    uint64_t cr0, cr3, cr4, efer; /* efer without SVME: the vCPU adds it, hidden */
    uint64_t gdtr_base, idtr_base;
    uint16_t gdtr_limit, idtr_limit;
    struct vmcb_seg cs, ds, tr, ldtr;
};

/* A VP other than 0 starts waiting for the guest's SIPI (vcpu_sipi). */
enum vp_state {
    VP_RUNNING,
    VP_WAIT_SIPI,
};

struct percpu;

struct exit_record {
    uint64_t code, info1, info2, rip;
};

struct vcpu {
    uint32_t vp;              /* the VP index: VP n runs on smp_cpu(n) */
    struct percpu *cpu;       /* the CPU it runs on */
    enum vp_state state;      /* these three under the exit lock */
    atomic_bool init_pending; /* an INIT came: waits for a SIPI from the next exit on */
    int sipi_pending;         /* a SIPI that came before that exit (-1: none) */
    uint64_t npt_seen;        /* the NPT generation this CPU's TLB has (vcpu_npt_changed) */
    struct vmcb *vmcb;
    void *host_vmcb; /* VMSAVE/VMLOAD area for the host's FS/GS/TR/... */
    uint8_t *iopm;
    uint8_t *msrpm;
    struct guest_regs regs;
    struct ptable *npt;
    uint64_t ram_size;
    bool flush_tlb;
    bool nrip_save;              /* next_rip is valid on instruction intercepts (not under TCG) */
    bool tcg_inject_exit;        /* an injected interrupt is followed by an NMI exit (exits.c) */
    struct io_space *io;         /* the guest's ports (one for all VPs) */
    struct msr_guest msr;        /* the emulated MSRs' shadows */
    bool nmi_masked;             /* an injected NMI's handler has not reached IRET yet */
    bool nmi_pending;            /* an NMI for the guest waits for that IRET */
    bool nmi_iret;               /* that IRET exited: it has run by the next exit */
    uint8_t step;                /* VCPU_STEP_*: what a single-stepped instruction has (exits.c) */
    bool step_guest_tf;          /* the guest's own RFLAGS.TF during that step */
    struct hyperv_partition *hv; /* the Hyper-V view the guest gets */
    /* Host work after an exit (VMBus replies, due timers, the devices): after
     * every one of VP 0's, whose CPU takes the host's own interrupts, and
     * after another VP's exits that can make some (host_work_due). */
    void (*after_exit)(void);
    bool host_work_due; /* a hypercall, a synthetic MSR write, trapped MMIO */
    /* Ends the run (the guest machine's record of it, then arch_stop). */
    void (*end)(int verdict, const char *why) __attribute__((noreturn));

    uint64_t exits;
    uint64_t count[16]; /* by exits.c's enum reason */
    struct exit_record ring[EXIT_RING];
    uint64_t tsc_hz, tsc_start;
};

/* VP 0, on this CPU: -1 (*why) if the heap is exhausted or the machine's
 * port ranges overlap. */
int vcpu_init(struct vcpu *v, struct heap *heap, struct ptable *npt, uint64_t ram_size,
              const struct vcpu_entry *entry, const struct io_machine *io, const char **why);
/* VP vp on cpu, sharing vp0's machine (ports, MSR and port maps, NPT, hooks),
 * waiting for a SIPI: -1 (*why) if the heap is exhausted. */
int vcpu_init_ap(struct vcpu *v, const struct vcpu *vp0, uint32_t vp, struct percpu *cpu,
                 struct heap *heap, const char **why);
/* Runs v on this CPU (v->cpu) until the run ends. */
void vcpu_run(struct vcpu *v) __attribute__((noreturn));
/* The guest's INIT and STARTUP IPIs to v, under the exit lock (the caller
 * is another VP's exit): INIT makes v wait for a SIPI, a SIPI starts a
 * waiting v in real mode at vector * 4 KiB (the architectural AP start). */
void vcpu_init_ipi(struct vcpu *v);
void vcpu_sipi(struct vcpu *v, uint8_t vector);
/* The nested page tables changed under the guest: every VP flushes its TLB
 * before it enters the guest again, and the running ones are kicked out. */
void vcpu_npt_changed(void);
/* The VPs set up so far, and VP vp (NULL if there is none). */
uint32_t vcpu_count(void);
struct vcpu *vcpu_of(uint32_t vp);

/* exits.c */
void vcpu_handle_exit(struct vcpu *v);
void vcpu_inject_gp(struct vcpu *v);
void vcpu_inject_ud(struct vcpu *v);
/* Takes the pending physical interrupt (irq_take); a guest vector goes in
 * by EVENTINJ. Only while the guest can take one and EVENTINJ is free. */
void vcpu_take_interrupt(struct vcpu *v);
/* Ends the run for why: v->end. */
void vcpu_finish(struct vcpu *v, int verdict, const char *why) __attribute__((noreturn));
/* The summary line's parts (lib/summary.h) the vCPU has: " exits=<n>" and
 * the count of each exit reason; then the IOAPIC's, the host's interrupts
 * and the guest's time (" ... host_timer=<n> host_dev_irqs=<n> bad_vectors=<n>
 * guest_ms=<n>"). */
size_t vcpu_summary_exits(char *buf, size_t cap);
size_t vcpu_summary_host(const struct vcpu *v, char *buf, size_t cap);
void vcpu_report(struct vcpu *v);
/* What goes back into EVENTINJ after an exit that cut EXITINTINFO's event
 * short: the event, or 0 for INTn/INT3/INTO (their instruction runs again). */
uint64_t vcpu_reinjected(uint64_t exitintinfo);

#endif
