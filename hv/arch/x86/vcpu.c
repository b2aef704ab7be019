/* VMCB set-up and the VMRUN loop (AMD APM vol. 2, chapter 15). */
#include "arch/x86/vcpu.h"

#include "arch/x86/arch.h"
#include "arch/x86/cpu.h"
#include "arch/x86/irq.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "verdict.h"
#include "vm/cpuid.h"

#define MSR_PAT_DEFAULT 0x0007040600070406ull
#define IOPM_PAGES      3
#define MSRPM_PAGES     2

void svm_vmrun(uint64_t vmcb_pa, struct guest_regs *regs, uint64_t host_save_pa);

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

int vcpu_init(struct vcpu *v, struct heap *heap, struct ptable *npt, uint64_t ram_size,
              const struct vcpu_entry *e, const struct io_machine *io, const char **why)
{
    memset(v, 0, sizeof(*v));
    if (io_space_init(&v->io, io, why))
        return -1;
    *why = "out of heap setting up the vCPU";
    v->vmcb = heap_alloc_pages(heap, 1);
    v->host_save = heap_alloc_pages(heap, 1);
    v->host_vmcb = heap_alloc_pages(heap, 1);
    v->iopm = heap_alloc_pages(heap, IOPM_PAGES);
    v->msrpm = heap_alloc_pages(heap, MSRPM_PAGES);
    if (!v->vmcb || !v->host_save || !v->host_vmcb || !v->iopm || !v->msrpm)
        return -1;
    v->npt = npt;
    v->ram_size = ram_size;
    wrmsr(MSR_VM_HSAVE_PA, pa(v->host_save));

    /* Deny by default: every port and MSR exits unless its table opens it. */
    memset(v->iopm, 0xff, IOPM_PAGES * PAGE_SIZE);
    memset(v->msrpm, 0xff, MSRPM_PAGES * PAGE_SIZE);
    io_each_guest_range(&v->io, iopm_open, v);
    msr_each_passed(msrpm_open, v);
    msr_guest_init(&v->msr);
    v->msr.efer_allowed = msr_efer_allowed(guest_cpuid(0x80000000).eax, guest_cpuid(0x80000001),
                                           guest_cpuid(0x80000021));
    v->msr.phys_bits = guest_cpuid(0x80000008).eax & 0xff;
    v->nrip_save = cpuid(0x8000000a, 0).edx & SVM_NRIPS;

    struct vmcb *c = v->vmcb;
    /* INIT too: a self-INIT from the guest must not reset the host CPU.
     * INVD would drop the host's dirty cache lines: it runs as WBINVD. */
    c->intercept_misc1 = INTERCEPT_INTR | INTERCEPT_CPUID | INTERCEPT_IOIO_PROT |
                         INTERCEPT_MSR_PROT | INTERCEPT_SHUTDOWN | INTERCEPT_INVLPGA |
                         INTERCEPT_INIT | INTERCEPT_INVD;
    c->intercept_misc2 = INTERCEPT_VMRUN | INTERCEPT_VMMCALL | INTERCEPT_VMLOAD | INTERCEPT_VMSAVE |
                         INTERCEPT_STGI | INTERCEPT_CLGI | INTERCEPT_SKINIT;
    c->iopm_base_pa = pa(v->iopm);
    c->msrpm_base_pa = pa(v->msrpm);
    c->asid = 1;
    c->np_enable = 1;
    c->n_cr3 = pa(npt->root);
    /* V_INTR_MASKING stays 0: the guest's RFLAGS.IF gates physical interrupts,
     * so an INTR exit always finds the guest ready to take one (exits.c). */

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
    return 0;
}

void vcpu_run(struct vcpu *v)
{
    struct vmcb *c = v->vmcb;
    uint64_t vmcb_pa = pa(c), host_pa = pa(v->host_vmcb);
    __asm__ volatile("clgi"); /* the host runs with GIF=0: events wait for the guest */
    v->tsc_start = tsc_read();
    hv_log("vcpu", "entering the guest at rip=0x%llx", (unsigned long long)c->rip);
    for (;;) {
        c->tlb_control = v->flush_tlb ? TLB_CONTROL_FLUSH_ALL : TLB_CONTROL_NONE;
        v->flush_tlb = false;
        svm_vmrun(vmcb_pa, &v->regs, host_pa);
        v->ring[v->exits % EXIT_RING] =
            (struct exit_record){c->exitcode, c->exitinfo1, c->exitinfo2, c->rip};
        v->exits++;
        /* An event cut short by this exit is delivered on the next entry;
         * INTn, INT3 and INTO are not: their instruction runs again (they
         * would need next_rip as their return address). */
        c->eventinj = vcpu_reinjected(c->exitintinfo);
        vcpu_handle_exit(v);
        if (v->after_exit)
            v->after_exit();
        /* Nothing goes in while a step runs: its instruction first, on the
         * page mapped for it alone (exits.c). */
        if ((c->eventinj & EVENT_VALID) || v->step)
            continue;
        /* An NMI the host took in an interrupt window is the guest's, once
         * the handler of the last one it was given has reached IRET. */
        if (irq_nmi_take())
            v->nmi_pending = true;
        if (v->nmi_pending && !v->nmi_masked) {
            v->nmi_pending = false;
            v->nmi_masked = true;
            c->intercept_misc1 |= INTERCEPT_IRET;
            c->eventinj = 2 | EVENT_TYPE_NMI | EVENT_VALID;
            continue;
        }
        /* A SynIC interrupt the host just raised would exit again right after
         * VMRUN (INTR intercept): if the guest can take it, hand it over now. */
        if ((c->rflags & RFLAGS_IF) && !(c->int_state & INT_SHADOW) && lapic_raised_deliverable())
            vcpu_take_interrupt(v);
    }
}
