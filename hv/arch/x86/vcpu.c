/* VMCB set-up and the VMRUN loop (AMD APM vol. 2, chapter 15), one per VP.
 * Everything after an exit up to the next VMRUN runs under one lock, the exit
 * lock: the state the VPs share (the Hyper-V partition, VMBus, the devices,
 * the NPT, the host timers) is only touched there, by one CPU at a time. The
 * guest itself runs on all of them at once (docs/design.md, "Locks"). */
#include "arch/x86/vcpu.h"

#include "arch/x86/arch.h"
#include "arch/x86/cpu.h"
#include "arch/x86/irq.h"
#include "arch/x86/percpu.h"
#include "lib/log.h"
#include "lib/log_once.h"
#include "lib/mem.h"
#include "lib/spinlock.h"
#include "verdict.h"
#include "vm/cpuid.h"

#define MSR_PAT_DEFAULT 0x0007040600070406ull
#define IOPM_PAGES      3
#define MSRPM_PAGES     2

void svm_vmrun(uint64_t vmcb_pa, struct guest_regs *regs, uint64_t host_save_pa);

static struct spinlock exit_lock = SPINLOCK_INIT;
static struct io_space machine_io;
static _Atomic uint64_t npt_gen;
static struct vcpu *vps[HV_CPUS_MAX];
static uint32_t vp_count;
/* The guest may send INIT and SIPI without end: its starts and resets are
 * logged as far as these go. */
static struct log_budget sipi_lines = LOG_BUDGET(32, " (further ones not reported)");
static struct log_budget init_lines = LOG_BUDGET(32, " (further ones not reported)");

static uint64_t pa(const void *p)
{
    return (uint64_t)(uintptr_t)p; /* the hypervisor's map is the identity */
}

/* IOPM: one bit per port, set = intercepted (APM 15.10.1). */
static void iopm_open(void *ctx, uint16_t base, uint16_t len)
{
    struct vcpu *v = ctx;
    for (unsigned p = base; p < (unsigned)base + len; p++)
        v->iopm[p / 8] &= (uint8_t) ~(1u << (p % 8));
}

/* MSRPM: 2 bits (read, write) per MSR in three 8 KiB-MSR ranges (APM 15.11);
 * MSRs outside them always exit. */
static void msrpm_open(void *ctx, uint32_t msr, uint8_t pass)
{
    struct vcpu *v = ctx;
    uint32_t base = msr < 0x2000 ? 0 : msr - 0xc0000000 < 0x2000 ? 0x800 : 0x1000;
    uint32_t bit = (msr & 0x1fff) * 2;
    if (msr >= 0x2000 && msr - 0xc0000000 >= 0x2000 && msr - 0xc0010000 >= 0x2000)
        return;
    if (pass & MSR_PASS_READ)
        v->msrpm[base + bit / 8] &= (uint8_t) ~(1u << (bit % 8));
    if (pass & MSR_PASS_WRITE)
        v->msrpm[base + (bit + 1) / 8] &= (uint8_t) ~(1u << ((bit + 1) % 8));
}

/* A CPUID leaf as the guest sees it. */
static struct cpuid_result guest_cpuid(uint32_t leaf)
{
    struct cpuid_regs h = cpuid(leaf, 0);
    struct cpuid_result r = {h.eax, h.ebx, h.ecx, h.edx};
    cpuid_policy(leaf, 0, &r);
    return r;
}

/* Intercepts and maps, the same for every VP. */
static void vmcb_controls(struct vcpu *v)
{
    struct vmcb *c = v->vmcb;
    /* INIT too: a self-INIT from the guest must not reset the host CPU.
     * NMI: another CPU's kick comes as one (smp_kick); the guest's own NMIs
     * are handed over as they were (vcpu_run). INVD would drop the host's
     * dirty cache lines: it runs as WBINVD. */
    c->intercept_misc1 = INTERCEPT_INTR | INTERCEPT_NMI | INTERCEPT_CPUID | INTERCEPT_IOIO_PROT |
                         INTERCEPT_MSR_PROT | INTERCEPT_SHUTDOWN | INTERCEPT_INVLPGA |
                         INTERCEPT_INIT | INTERCEPT_INVD;
    c->intercept_misc2 = INTERCEPT_VMRUN | INTERCEPT_VMMCALL | INTERCEPT_VMLOAD | INTERCEPT_VMSAVE |
                         INTERCEPT_STGI | INTERCEPT_CLGI | INTERCEPT_SKINIT;
    c->iopm_base_pa = pa(v->iopm);
    c->msrpm_base_pa = pa(v->msrpm);
    c->asid = 1; /* ASIDs are per CPU: every VP has its own CPU */
    c->np_enable = 1;
    c->n_cr3 = pa(v->npt->root);
    /* V_INTR_MASKING stays 0: the guest's RFLAGS.IF gates physical interrupts,
     * so an INTR exit always finds the guest ready to take one (exits.c). */
}

int vcpu_init(struct vcpu *v, struct heap *heap, struct ptable *npt, uint64_t ram_size,
              const struct vcpu_entry *e, const struct io_machine *io, const char **why)
{
    memset(v, 0, sizeof(*v));
    if (io_space_init(&machine_io, io, why))
        return -1;
    v->io = &machine_io;
    *why = "out of heap setting up the vCPU";
    void *host_save = heap_alloc_pages(heap, 1);
    v->vmcb = heap_alloc_pages(heap, 1);
    v->host_vmcb = heap_alloc_pages(heap, 1);
    v->iopm = heap_alloc_pages(heap, IOPM_PAGES);
    v->msrpm = heap_alloc_pages(heap, MSRPM_PAGES);
    if (!v->vmcb || !host_save || !v->host_vmcb || !v->iopm || !v->msrpm)
        return -1;
    v->cpu = this_cpu();
    v->sipi_pending = -1;
    v->npt = npt;
    v->ram_size = ram_size;
    wrmsr(MSR_VM_HSAVE_PA, pa(host_save)); /* an AP's is its own (smp.c) */

    /* Deny by default: every port and MSR exits unless its table opens it. */
    memset(v->iopm, 0xff, IOPM_PAGES * PAGE_SIZE);
    memset(v->msrpm, 0xff, MSRPM_PAGES * PAGE_SIZE);
    io_each_guest_range(v->io, iopm_open, v);
    msr_each_passed(msrpm_open, v);
    msr_guest_init(&v->msr);
    v->msr.efer_allowed = msr_efer_allowed(guest_cpuid(0x80000000).eax, guest_cpuid(0x80000001),
                                           guest_cpuid(0x80000021));
    v->msr.phys_bits = guest_cpuid(0x80000008).eax & 0xff;
    v->nrip_save = cpuid(0x8000000a, 0).edx & SVM_NRIPS;
    v->tcg_inject_exit = svm_under_qemu_tcg();
    vmcb_controls(v);

    struct vmcb *c = v->vmcb;
    c->cs = e->cs;
    c->ds = c->es = c->ss = c->fs = c->gs = e->ds;
    c->tr = e->tr;
    c->ldtr = e->ldtr;
    c->gdtr.base = e->gdtr_base;
    c->gdtr.limit = e->gdtr_limit;
    c->idtr.base = e->idtr_base;
    c->idtr.limit = e->idtr_limit;
    c->rsp = e->rsp;
    c->cr0 = e->cr0;
    c->cr3 = e->cr3;
    c->cr4 = e->cr4;
    c->efer = e->efer | EFER_SVME;
    c->rflags = e->rflags;
    c->rip = e->rip;
    c->dr6 = 0xffff0ff0;
    c->dr7 = 0x400;
    c->g_pat = MSR_PAT_DEFAULT;
    v->regs.rsi = e->rsi;
    v->flush_tlb = true;
    vps[0] = v;
    vp_count = 1;
    return 0;
}

int vcpu_init_ap(struct vcpu *v, const struct vcpu *vp0, uint32_t vp, struct percpu *cpu,
                 struct heap *heap, const char **why)
{
    *v = *vp0; /* the machine's shared parts and hooks; the rest is reset below */
    v->vp = vp;
    v->cpu = cpu;
    v->state = VP_WAIT_SIPI;
    v->init_pending = false;
    v->sipi_pending = -1;
    memset(&v->regs, 0, sizeof(v->regs));
    msr_guest_init(&v->msr);
    v->msr.efer_allowed = vp0->msr.efer_allowed;
    v->msr.phys_bits = vp0->msr.phys_bits;
    v->exits = 0;
    memset(v->count, 0, sizeof(v->count));
    *why = "out of heap setting up a VP";
    v->vmcb = heap_alloc_pages(heap, 1);
    v->host_vmcb = heap_alloc_pages(heap, 1);
    if (!v->vmcb || !v->host_vmcb || vp >= HV_CPUS_MAX)
        return -1;
    vmcb_controls(v);
    vps[vp] = v;
    if (vp >= vp_count)
        vp_count = vp + 1;
    return 0;
}

/* The architectural state after INIT and SIPI (AMD APM vol. 2, 14.1.3 and
 * 16.5): real mode, CS = vector << 8, IP 0. */
static void ap_start_state(struct vcpu *v, uint8_t vector)
{
    struct vmcb *c = v->vmcb;
    const struct vmcb_seg data = {0, 0x93, 0xffff, 0};
    c->cs = (struct vmcb_seg){(uint16_t)(vector << 8), 0x9b, 0xffff, (uint64_t)vector << 12};
    c->ds = c->es = c->ss = c->fs = c->gs = data;
    c->tr = (struct vmcb_seg){0, 0x8b, 0xffff, 0};
    c->ldtr = (struct vmcb_seg){0, 0x82, 0xffff, 0};
    c->gdtr.base = c->idtr.base = 0;
    c->gdtr.limit = c->idtr.limit = 0xffff;
    c->cr0 = 0x60000010; /* CD, NW, ET */
    c->cr2 = c->cr3 = c->cr4 = 0;
    c->efer = EFER_SVME;
    c->rflags = 2;
    c->rip = 0;
    c->rsp = 0;
    c->rax = 0;
    c->dr6 = 0xffff0ff0;
    c->dr7 = 0x400;
    c->g_pat = MSR_PAT_DEFAULT;
    c->eventinj = 0;
    c->vintr &= ~(V_IRQ | V_IGN_TPR);
    c->intercept_misc1 &= ~(INTERCEPT_VINTR | INTERCEPT_IRET);
    c->intercept_exc = 0;
    memset(&v->regs, 0, sizeof(v->regs));
    msr_guest_init(&v->msr);
    v->msr.efer_allowed = vps[0]->msr.efer_allowed;
    v->msr.phys_bits = vps[0]->msr.phys_bits;
    v->nmi_masked = v->nmi_pending = v->nmi_iret = false;
    v->step = 0;
    v->flush_tlb = true;
    v->state = VP_RUNNING;
}

void vcpu_init_ipi(struct vcpu *v)
{
    if (v->state == VP_WAIT_SIPI)
        return;
    v->init_pending = true;
    smp_kick(v->cpu);
}

void vcpu_sipi(struct vcpu *v, uint8_t vector)
{
    if (v->init_pending) {
        if (v->sipi_pending < 0) /* the second SIPI of a pair is ignored */
            v->sipi_pending = vector;
        return;
    }
    if (v->state != VP_WAIT_SIPI)
        return;
    ap_start_state(v, vector);
    const char *tail = log_budget_take(&sipi_lines);
    if (tail)
        hv_log("vcpu", "vp %u started by SIPI at 0x%x%s", v->vp, (unsigned)vector << 12, tail);
    smp_kick(v->cpu);
}

void vcpu_npt_changed(void)
{
    atomic_fetch_add(&npt_gen, 1);
    struct percpu *me = this_cpu();
    for (uint32_t i = 0; i < vp_count; i++)
        if (vps[i] && vps[i]->cpu != me && vps[i]->state == VP_RUNNING)
            smp_kick(vps[i]->cpu);
}

/* An INIT that came since the last exit: v waits for a SIPI, or takes the
 * one that already came. */
static void take_init(struct vcpu *v)
{
    if (!v->init_pending)
        return;
    v->init_pending = false;
    v->state = VP_WAIT_SIPI;
    const char *tail = log_budget_take(&init_lines);
    if (tail)
        hv_log("vcpu", "vp %u reset by INIT: waits for a SIPI%s", v->vp, tail);
    int vector = v->sipi_pending;
    v->sipi_pending = -1;
    if (vector >= 0)
        vcpu_sipi(v, (uint8_t)vector);
}

/* Until a SIPI starts v: the exit lock is let go while the CPU waits. */
static void wait_sipi(struct vcpu *v)
{
    while (v->state == VP_WAIT_SIPI) {
        spin_unlock(&exit_lock);
        smp_wait();
        smp_kick_taken();
        spin_lock(&exit_lock);
    }
}

/* What goes in on the next VMRUN, after an exit was handled. */
static void before_entry(struct vcpu *v)
{
    struct vmcb *c = v->vmcb;
    /* An NMI the host took in a window is the guest's unless another CPU
     * sent it as a kick. */
    if (irq_nmi_take() && !smp_kick_taken())
        v->nmi_pending = true;
    /* Nothing goes in while a step runs: its instruction first, on the
     * page mapped for it alone (exits.c). */
    if ((c->eventinj & EVENT_VALID) || v->step)
        return;
    /* Once the handler of the last NMI it was given has reached IRET. */
    if (v->nmi_pending && !v->nmi_masked) {
        v->nmi_pending = false;
        v->nmi_masked = true;
        c->intercept_misc1 |= INTERCEPT_IRET;
        c->eventinj = 2 | EVENT_TYPE_NMI | EVENT_VALID;
        return;
    }
    /* A SynIC interrupt the host just raised would exit again right after
     * VMRUN (INTR intercept): if the guest can take it, hand it over now. */
    if ((c->rflags & RFLAGS_IF) && !(c->int_state & INT_SHADOW) && lapic_raised_deliverable())
        vcpu_take_interrupt(v);
}

/* The exits a VP other than 0 handles without the exit lock, being its own
 * alone: an interrupt or NMI, a window, CPUID, the enlightened EOI and TPR
 * (the CPU's LAPIC). They are most of its exits: interrupts, their EOIs and
 * the guest's IPIs. VP 0 runs the host work after every exit (its CPU takes
 * the host's interrupts, and the host polls what the guest leaves without a
 * signal: a ring whose interrupts the host masked, a due timer), so all of
 * its exits are under the lock. */
static bool exit_is_own(const struct vcpu *v)
{
    uint64_t code = v->vmcb->exitcode;
    uint32_t msr = (uint32_t)v->regs.rcx;
    if (v->step || v->vp == 0)
        return false;
    return code == VMEXIT_INTR || code == VMEXIT_VINTR || code == VMEXIT_NMI ||
           code == VMEXIT_CPUID ||
           (code == VMEXIT_MSR && (msr == HV_MSR_APIC_EOI || msr == HV_MSR_APIC_TPR));
}

void vcpu_run(struct vcpu *v)
{
    struct vmcb *c = v->vmcb;
    uint64_t vmcb_pa = pa(c), host_pa = pa(v->host_vmcb);
    __asm__ volatile("clgi"); /* the host runs with GIF=0: events wait for the guest */
    if (v->vp == 0) {
        v->tsc_start = tsc_read();
        hv_log("vcpu", "entering the guest at rip=0x%llx", (unsigned long long)c->rip);
    }
    for (;;) {
        /* Only this VP leaves VP_RUNNING; an INIT is posted under the lock
         * and a kick makes it look. */
        if (v->state == VP_WAIT_SIPI || atomic_load(&v->init_pending)) {
            spin_lock(&exit_lock);
            take_init(v);
            wait_sipi(v);
            spin_unlock(&exit_lock);
        }
        uint64_t gen = atomic_load(&npt_gen);
        c->tlb_control =
            v->flush_tlb || gen != v->npt_seen ? TLB_CONTROL_FLUSH_ALL : TLB_CONTROL_NONE;
        v->flush_tlb = false;
        v->npt_seen = gen;
        svm_vmrun(vmcb_pa, &v->regs, host_pa);
        v->ring[v->exits % EXIT_RING] =
            (struct exit_record){c->exitcode, c->exitinfo1, c->exitinfo2, c->rip};
        v->exits++;
        /* An event cut short by this exit is delivered on the next entry;
         * INTn, INT3 and INTO are not: their instruction runs again (they
         * would need next_rip as their return address). */
        c->eventinj = vcpu_reinjected(c->exitintinfo);
        if (v->tcg_inject_exit && (c->eventinj & EVENT_VALID) &&
            (c->eventinj & EVENT_TYPE_MASK) == EVENT_TYPE_INTR)
            smp_kick(this_cpu()); /* as vcpu_take_interrupt's */
        bool own = exit_is_own(v);
        if (!own)
            spin_lock(&exit_lock);
        vcpu_handle_exit(v);
        bool work = v->vp == 0 || v->host_work_due;
        if (work && v->after_exit)
            v->after_exit();
        v->host_work_due = false;
        irq_host_take();
        before_entry(v);
        /* A host interrupt the injection's window took (an assigned
         * function's, the host timer's) is worked on now, not at the next
         * exit, which an idle guest may not make for long. */
        for (int again = 0; v->vp == 0 && again < 4 && irq_host_take(); again++) {
            if (v->after_exit)
                v->after_exit();
            before_entry(v);
        }
        if (!own)
            spin_unlock(&exit_lock);
    }
}

uint32_t vcpu_count(void)
{
    return vp_count;
}

struct vcpu *vcpu_of(uint32_t vp)
{
    return vp < vp_count ? vps[vp] : NULL;
}
