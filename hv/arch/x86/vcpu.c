/* VMCB set-up and the VMRUN loop (AMD APM vol. 2, chapter 15). */
#include "arch/x86/vcpu.h"

#include "arch/x86/arch.h"
#include "arch/x86/cpu.h"
#include "arch/x86/irq.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "verdict.h"

#define MSR_PAT_DEFAULT 0x0007040600070406ull
#define IOPM_PAGES      3
#define MSRPM_PAGES     2

void svm_vmrun(uint64_t vmcb_pa, struct guest_regs *regs, uint64_t host_save_pa);

static uint64_t pa(const void *p)
{
    return (uint64_t)(uintptr_t)p; /* the hypervisor's map is the identity */
}

static void iopm_own(struct vcpu *v, uint16_t port, unsigned count)
{
    for (unsigned p = port; p < (unsigned)port + count; p++)
        v->iopm[p / 8] |= (uint8_t)(1u << (p % 8));
}

/* MSRPM: 2 bits (read, write) per MSR in three 8 KiB-MSR ranges (APM 15.11). */
static void msrpm_own(struct vcpu *v, uint32_t msr)
{
    uint32_t base = msr < 0x2000 ? 0 : msr - 0xc0000000 < 0x2000 ? 0x800 : 0x1000;
    uint32_t idx = (msr & 0x1fff) * 2;
    v->msrpm[base + idx / 8] |= (uint8_t)(3u << (idx % 8));
}

static struct vmcb_seg seg(const struct vm_seg *s)
{
    return (struct vmcb_seg){s->selector, s->attrib, s->limit, s->base};
}

int vcpu_init(struct vcpu *v, struct heap *heap, struct ptable *npt, uint64_t ram_size,
              const struct linux_entry *e, const struct vcpu_ports *ports)
{
    memset(v, 0, sizeof(*v));
    v->vmcb = heap_alloc_pages(heap, 1);
    v->host_save = heap_alloc_pages(heap, 1);
    v->host_vmcb = heap_alloc_pages(heap, 1);
    v->iopm = heap_alloc_pages(heap, IOPM_PAGES);
    v->msrpm = heap_alloc_pages(heap, MSRPM_PAGES);
    v->void_page = heap_alloc_pages(heap, 1);
    if (!v->vmcb || !v->host_save || !v->host_vmcb || !v->iopm || !v->msrpm || !v->void_page)
        return -1;
    memset(v->void_page, 0xff, PAGE_SIZE);
    v->npt = npt;
    v->ram_size = ram_size;
    v->ports = *ports;
    wrmsr(MSR_VM_HSAVE_PA, pa(v->host_save));

    iopm_own(v, ports->pm1a_cnt, 2);
    if (ports->debug_exit)
        iopm_own(v, ports->debug_exit, 4);
    iopm_own(v, 0xcf8, 8); /* PCI config mechanism #1 and the 0xcf9 reset register */
    iopm_own(v, 0x64, 1);  /* keyboard-controller reset */
    msrpm_own(v, MSR_EFER);
    msrpm_own(v, MSR_VM_CR);
    msrpm_own(v, MSR_VM_HSAVE_PA);

    struct vmcb *c = v->vmcb;
    /* INIT too: a self-INIT from the guest must not reset the host CPU. */
    c->intercept_misc1 = INTERCEPT_INTR | INTERCEPT_CPUID | INTERCEPT_IOIO_PROT |
                         INTERCEPT_MSR_PROT | INTERCEPT_SHUTDOWN | INTERCEPT_INVLPGA |
                         INTERCEPT_INIT;
    c->intercept_misc2 = INTERCEPT_VMRUN | INTERCEPT_VMMCALL | INTERCEPT_VMLOAD | INTERCEPT_VMSAVE |
                         INTERCEPT_STGI | INTERCEPT_CLGI | INTERCEPT_SKINIT;
    c->iopm_base_pa = pa(v->iopm);
    c->msrpm_base_pa = pa(v->msrpm);
    c->asid = 1;
    c->np_enable = 1;
    c->n_cr3 = pa(npt->root);
    /* V_INTR_MASKING stays 0: the guest's RFLAGS.IF gates physical interrupts,
     * so an INTR exit always finds the guest ready to take one (exits.c). */

    c->cs = seg(&e->cs);
    c->ds = c->es = c->ss = c->fs = c->gs = seg(&e->ds);
    c->tr = seg(&e->tr);
    c->ldtr = seg(&e->ldtr);
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
        /* An event cut short by this exit is delivered on the next entry. */
        c->eventinj = (c->exitintinfo & EVENT_VALID) ? c->exitintinfo : 0;
        vcpu_handle_exit(v);
        if (v->after_exit)
            v->after_exit();
        if (c->eventinj & EVENT_VALID)
            continue;
        /* An NMI the host took in an interrupt window is the guest's. */
        if (irq_nmi_take()) {
            c->eventinj = 2 | EVENT_TYPE_NMI | EVENT_VALID;
            continue;
        }
        /* A SynIC interrupt the host just raised would exit again right after
         * VMRUN (INTR intercept): if the guest can take it, hand it over now. */
        if ((c->rflags & RFLAGS_IF) && !(c->int_state & INT_SHADOW) && lapic_raised_deliverable())
            vcpu_take_interrupt(v);
    }
}
