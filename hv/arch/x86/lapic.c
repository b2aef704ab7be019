/* Interrupts for the guest through the passed-through local APIC: a self-IPI
 * sets the vector pending in the real LAPIC, the guest takes it through its own
 * IDT once it runs with interrupts enabled, and EOIs it itself. */
#include "arch/x86/arch.h"
#include "arch/x86/cpu.h"

#define MSR_APIC_BASE       0x1bu
#define APIC_BASE_X2APIC    (1ull << 10)
#define APIC_BASE_ADDR      0xfffff000ull
#define MSR_X2APIC_SELF_IPI 0x83fu
#define APIC_ICR_LOW        0x300u
#define ICR_SELF            (1u << 18) /* destination shorthand 01: self */
#define ICR_PENDING         (1u << 12)

void lapic_self_ipi(uint8_t vector)
{
    uint64_t base = rdmsr(MSR_APIC_BASE);
    if (base & APIC_BASE_X2APIC) {
        wrmsr(MSR_X2APIC_SELF_IPI, vector);
        return;
    }
    volatile uint32_t *icr =
        (volatile uint32_t *)(uintptr_t)((base & APIC_BASE_ADDR) + APIC_ICR_LOW);
    for (unsigned spin = 0; (*icr & ICR_PENDING) && spin < 100000; spin++)
        cpu_relax();
    *icr = ICR_SELF | vector; /* fixed delivery, edge */
}
