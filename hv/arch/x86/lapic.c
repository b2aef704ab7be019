/* The local APIC, shared with the guest (passed through; the guest's
 * APIC_BASE is emulated and fixed, so the base the host saved at start-up
 * stays the LAPIC's, never one the guest chose): the host only
 * raises self-IPIs for the guest's SynIC, EOIs its own timer vector, starts
 * the other CPUs (INIT and SIPI, smp.c), reads
 * its APIC ID and the processor priority. A self-IPI sets the vector pending in the real LAPIC;
 * the host takes it at the guest's next interrupt window (irq.c) and hands it
 * to the guest, which EOIs it itself. */
#include "arch/x86/arch.h"
#include "arch/x86/cpu.h"
#include "arch/x86/percpu.h"

#define MSR_APIC_BASE       0x1bu
#define APIC_BASE_X2APIC    (1ull << 10)
#define APIC_BASE_ADDR      0xfffff000ull
#define MSR_X2APIC_ID       0x802u
#define MSR_X2APIC_EOI      0x80bu
#define MSR_X2APIC_SELF_IPI 0x83fu
#define MSR_X2APIC_PPR      0x80au
#define APIC_ID             0x020u
#define APIC_TPR            0x080u
#define MSR_X2APIC_TPR      0x808u
#define APIC_PPR            0x0a0u
#define APIC_IRR            0x200u
#define APIC_ISR            0x100u
#define MSR_X2APIC_ISR      0x810u
#define MSR_X2APIC_IRR      0x820u
#define APIC_EOI            0x0b0u
#define APIC_ICR_LOW        0x300u
#define APIC_ICR_HIGH       0x310u
#define MSR_X2APIC_ICR      0x830u
#define ICR_SELF            (1u << 18) /* destination shorthand 01: self */
#define ICR_PENDING         (1u << 12)

static volatile uint32_t *xapic(uint64_t base, uint32_t reg)
{
    return (volatile uint32_t *)(uintptr_t)((base & APIC_BASE_ADDR) + reg);
}

static uint64_t apic_base; /* APIC_BASE as the host found it (lapic_init) */

void lapic_init(void)
{
    apic_base = rdmsr(MSR_APIC_BASE);
}

void lapic_self_ipi(uint8_t vector)
{
    this_cpu()->raised = vector; /* until lapic_raised_deliverable asks */
    uint64_t base = apic_base;
    if (base & APIC_BASE_X2APIC) {
        wrmsr(MSR_X2APIC_SELF_IPI, vector);
        return;
    }
    volatile uint32_t *icr = xapic(base, APIC_ICR_LOW);
    for (unsigned spin = 0; (*icr & ICR_PENDING) && spin < 100000; spin++)
        cpu_relax();
    *icr = ICR_SELF | vector; /* fixed delivery, edge */
}

bool lapic_send_ipi(uint32_t apic_id, uint32_t icr_low)
{
    uint64_t base = apic_base;
    if (base & APIC_BASE_X2APIC) {
        wrmsr(MSR_X2APIC_ICR, (uint64_t)apic_id << 32 | icr_low);
        return true;
    }
    if (apic_id > 0xff)
        return false;
    volatile uint32_t *icr = xapic(base, APIC_ICR_LOW);
    for (unsigned spin = 0; (*icr & ICR_PENDING) && spin < 100000; spin++)
        cpu_relax();
    /* The guest may have written ICR_HIGH and not yet ICR_LOW when it exited
     * (an NMI exit comes between any two instructions): it gets it back. */
    uint32_t guest_high = *xapic(base, APIC_ICR_HIGH);
    *xapic(base, APIC_ICR_HIGH) = apic_id << 24;
    *icr = icr_low;
    for (unsigned spin = 0; (*icr & ICR_PENDING) && spin < 100000; spin++)
        cpu_relax();
    *xapic(base, APIC_ICR_HIGH) = guest_high;
    return !(*icr & ICR_PENDING);
}

uint32_t lapic_tpr(void)
{
    if (apic_base & APIC_BASE_X2APIC)
        return (uint32_t)rdmsr(MSR_X2APIC_TPR);
    return *xapic(apic_base, APIC_TPR);
}

void lapic_set_tpr(uint32_t tpr)
{
    if (apic_base & APIC_BASE_X2APIC)
        wrmsr(MSR_X2APIC_TPR, tpr & 0xff);
    else
        *xapic(apic_base, APIC_TPR) = tpr & 0xff;
}

void lapic_eoi(void)
{
    uint64_t base = apic_base;
    if (base & APIC_BASE_X2APIC)
        wrmsr(MSR_X2APIC_EOI, 0);
    else
        *xapic(base, APIC_EOI) = 0;
}

uint32_t lapic_id(void)
{
    uint64_t base = apic_base;
    if (base & APIC_BASE_X2APIC)
        return (uint32_t)rdmsr(MSR_X2APIC_ID);
    return *xapic(base, APIC_ID) >> 24;
}

bool lapic_raised_deliverable(void)
{
    struct percpu *c = this_cpu();
    if (c->raised < 0)
        return false;
    uint32_t v = (uint32_t)c->raised;
    c->raised = -1;
    uint64_t base = apic_base;
    uint32_t ppr, irr;
    if (base & APIC_BASE_X2APIC) {
        ppr = (uint32_t)rdmsr(MSR_X2APIC_PPR);
        irr = (uint32_t)rdmsr(MSR_X2APIC_IRR + v / 32);
    } else {
        ppr = *xapic(base, APIC_PPR);
        irr = *xapic(base, APIC_IRR + v / 32 * 0x10);
    }
    /* Still pending (an INTR exit may have taken it since), and not masked
     * by the processor priority: taking it cannot wait in hlt. */
    return (irr >> (v % 32) & 1) && (v & 0xf0) > (ppr & 0xf0);
}

bool lapic_in_service(uint8_t vector)
{
    uint32_t isr;
    if (apic_base & APIC_BASE_X2APIC)
        isr = (uint32_t)rdmsr(MSR_X2APIC_ISR + vector / 32);
    else
        isr = *xapic(apic_base, APIC_ISR + vector / 32 * 0x10);
    return isr >> (vector % 32) & 1;
}
