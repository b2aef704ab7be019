/* TSC and LAPIC timer frequencies, measured once against the ACPI PM timer
 * (3.579545 MHz). Under TCG the TSC follows host time, so a calibrated value
 * matters (tcg-svm-notes); the guest gets both through Hyper-V's frequency
 * MSRs instead of calibrating them itself. */
#include "arch/x86/arch.h"
#include "arch/x86/cpu.h"
#include "lib/fwacpi.h"
#include "lib/log.h"

#define PM_TIMER_HZ 3579545ull

uint64_t tsc_read(void)
{
    return rdtsc();
}

#define MSR_APIC_BASE  0x1bu
#define APIC_LVT_TIMER 0x320u
#define APIC_TMICT     0x380u
#define APIC_TMCCT     0x390u
#define APIC_TDCR      0x3e0u
#define APIC_TDCR_DIV1 0xbu
#define LVT_MASKED     (1u << 16)

static volatile uint32_t *apic_reg(uint32_t off)
{
    return (volatile uint32_t *)(uintptr_t)((rdmsr(MSR_APIC_BASE) & 0xfffff000ull) + off);
}

/* Waits until the PM timer advanced by `ticks`; returns the ticks elapsed. */
static uint32_t pm_wait(uint16_t port, uint32_t mask, uint32_t ticks)
{
    uint32_t p0 = inl(port) & mask, elapsed;
    do {
        elapsed = ((inl(port) & mask) - p0) & mask;
    } while (elapsed < ticks);
    return elapsed;
}

uint64_t tsc_calibrate(const struct fw_acpi *fw)
{
    if (!fw || !fw->pm_tmr || fw->pm_tmr > 0xffff) {
        hv_log("tsc", "no ACPI PM timer: TSC not calibrated");
        return 0;
    }
    uint16_t port = (uint16_t)fw->pm_tmr;
    uint32_t mask = fw->pm_tmr_32bit ? 0xffffffffu : 0xffffffu;
    const uint32_t window = (uint32_t)(PM_TIMER_HZ / 20); /* 50 ms */

    uint64_t t0 = rdtsc();
    uint32_t elapsed = pm_wait(port, mask, window);
    uint64_t hz = (rdtsc() - t0) * PM_TIMER_HZ / elapsed;
    hv_log("tsc", "%llu.%03llu MHz (measured against the ACPI PM timer at port 0x%x)",
           (unsigned long long)hz / 1000000, (unsigned long long)hz / 1000 % 1000, port);
    return hz;
}

uint64_t lapic_timer_calibrate(const struct fw_acpi *fw)
{
    if (!fw || !fw->pm_tmr || fw->pm_tmr > 0xffff || (rdmsr(MSR_APIC_BASE) & (1ull << 10)))
        return 0; /* no PM timer, or x2APIC (no MMIO page): unknown */
    uint16_t port = (uint16_t)fw->pm_tmr;
    uint32_t mask = fw->pm_tmr_32bit ? 0xffffffffu : 0xffffffu;
    const uint32_t window = (uint32_t)(PM_TIMER_HZ / 50); /* 20 ms */

    /* The guest has not run yet: the timer is ours to borrow, masked. */
    *apic_reg(APIC_LVT_TIMER) = LVT_MASKED;
    *apic_reg(APIC_TDCR) = APIC_TDCR_DIV1;
    *apic_reg(APIC_TMICT) = 0xffffffffu;
    uint32_t elapsed = pm_wait(port, mask, window);
    uint32_t counted = 0xffffffffu - *apic_reg(APIC_TMCCT);
    *apic_reg(APIC_TMICT) = 0;
    uint64_t hz = (uint64_t)counted * PM_TIMER_HZ / elapsed;
    hv_log("tsc", "LAPIC timer %llu.%03llu MHz", (unsigned long long)hz / 1000000,
           (unsigned long long)hz / 1000 % 1000);
    return hz;
}
