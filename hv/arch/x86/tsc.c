/* TSC frequency, measured once against the ACPI PM timer (3.579545 MHz). Under
 * TCG the TSC follows host time, so a calibrated value matters (tcg-svm-notes). */
#include "arch/x86/arch.h"
#include "arch/x86/cpu.h"
#include "lib/fwacpi.h"
#include "lib/log.h"

#define PM_TIMER_HZ 3579545ull

uint64_t tsc_read(void)
{
    return rdtsc();
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

    uint32_t p0 = inl(port) & mask, p1;
    uint64_t t0 = rdtsc(), t1;
    uint32_t elapsed;
    do {
        p1 = inl(port) & mask;
        t1 = rdtsc();
        elapsed = (p1 - p0) & mask;
    } while (elapsed < window);
    uint64_t hz = (t1 - t0) * PM_TIMER_HZ / elapsed;
    hv_log("tsc", "%llu.%03llu MHz (measured against the ACPI PM timer at port 0x%x)",
           (unsigned long long)hz / 1000000, (unsigned long long)hz / 1000 % 1000, port);
    return hz;
}
