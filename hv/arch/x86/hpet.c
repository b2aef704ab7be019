/* The host timer: one HPET comparator in one-shot mode, delivered through the
 * FSB (an MSI write to the LAPIC), so neither the IOAPIC nor the PIC — both the
 * guest's — is involved. The guest never sees the HPET: no ACPI table names it
 * and the nested page tables do not map it (guest.c). QEMU offers FSB delivery
 * with `-global hpet.msi=on` (scripts/qemu.sh). Registers: IA-PC HPET spec 1.0a. */
#include "arch/x86/arch.h"
#include "arch/x86/irq.h"
#include "lib/log.h"
#include "lib/timer.h"

#define HPET_CAP        0x000u /* 63:32 period in fs, 13 64-bit counter, 12:8 timers - 1 */
#define HPET_CONF       0x010u
#define HPET_COUNTER    0x0f0u
#define HPET_TN_CONF(n) (0x100u + 0x20u * (n))
#define HPET_TN_CMP(n)  (0x108u + 0x20u * (n))
#define HPET_TN_FSB(n)  (0x110u + 0x20u * (n)) /* 31:0 data, 63:32 address */
#define CAP_COUNT_64    (1u << 13)
#define CONF_ENABLE     (1u << 0)
#define CONF_LEGACY     (1u << 1)
#define TN_INT_ENABLE   (1u << 2)
#define TN_PERIODIC     (1u << 3)
#define TN_32BIT        (1u << 8)
#define TN_FSB_ENABLE   (1u << 14)
#define TN_FSB_CAPABLE  (1u << 15)
#define MAX_PERIOD_FS   100000000u /* the spec's limit: 100 ns */
#define FS_PER_NS       1000000ull
#define MAX_DELTA_NS    10000000000ull /* 10 s: re-armed when it fires */
#define MIN_DELTA_NS    20000ull       /* 20 us */

static volatile uint32_t *regs;
static unsigned timer;
static uint32_t period_fs;
static uint64_t armed = TIMER_NEVER;

static uint32_t rd(uint32_t off)
{
    return regs[off / 4];
}

static void wr(uint32_t off, uint32_t v)
{
    regs[off / 4] = v;
}

/* The 64-bit main counter through 32-bit reads (QEMU's HPET takes 4-byte
 * accesses): re-read when the high half moved. */
static uint64_t counter(void)
{
    uint32_t hi, lo;
    do {
        hi = rd(HPET_COUNTER + 4);
        lo = rd(HPET_COUNTER);
    } while (rd(HPET_COUNTER + 4) != hi);
    return (uint64_t)hi << 32 | lo;
}

bool host_timer_init(uint64_t base)
{
    if (!base) {
        hv_log("timer", "no HPET: host deadlines run only at guest exits");
        return false;
    }
    regs = (volatile uint32_t *)(uintptr_t)base;
    uint32_t cap = rd(HPET_CAP), ntimers = ((cap >> 8) & 0x1f) + 1;
    period_fs = rd(HPET_CAP + 4);
    if (!(cap & CAP_COUNT_64) || !period_fs || period_fs > MAX_PERIOD_FS) {
        hv_log("timer",
               "HPET at 0x%llx unusable (cap 0x%x, period %u fs): host deadlines "
               "run only at guest exits",
               (unsigned long long)base, cap, period_fs);
        regs = NULL;
        return false;
    }
    for (timer = 0; timer < ntimers; timer++) {
        if (rd(HPET_TN_CONF(timer)) & TN_FSB_CAPABLE)
            break;
    }
    if (timer == ntimers) {
        hv_log("timer",
               "HPET at 0x%llx has no timer that delivers through the FSB (QEMU: "
               "-global hpet.msi=on): host deadlines run only at guest exits",
               (unsigned long long)base);
        regs = NULL;
        return false;
    }
    wr(HPET_CONF, rd(HPET_CONF) & ~(CONF_ENABLE | CONF_LEGACY));
    uint32_t conf = rd(HPET_TN_CONF(timer));
    conf &= ~(TN_INT_ENABLE | TN_PERIODIC | TN_32BIT | 1u /* level */);
    wr(HPET_TN_CONF(timer), conf | TN_FSB_ENABLE);
    /* Fixed delivery, edge, physical destination: this CPU's APIC ID in 19:12. */
    wr(HPET_TN_FSB(timer), HOST_TIMER_VECTOR);
    wr(HPET_TN_FSB(timer) + 4, LAPIC_MSI_ADDRESS | (lapic_id() & 0xff) << 12);
    wr(HPET_CONF, rd(HPET_CONF) | CONF_ENABLE);
    hv_log("timer", "HPET at 0x%llx, %llu kHz: timer %u fires vector 0x%x through the FSB",
           (unsigned long long)base, 1000000000000ull / period_fs, timer, HOST_TIMER_VECTOR);
    return true;
}

void host_timer_arm(uint64_t deadline)
{
    if (!regs || deadline == armed)
        return;
    armed = deadline;
    uint32_t conf = rd(HPET_TN_CONF(timer)) & ~TN_INT_ENABLE;
    wr(HPET_TN_CONF(timer), conf);
    if (deadline == TIMER_NEVER)
        return;
    uint64_t now = clock_ns();
    uint64_t delta = deadline > now ? deadline - now : 0;
    if (delta > MAX_DELTA_NS)
        delta = MAX_DELTA_NS; /* fires early; the deadline is armed again then */
    /* Well ahead of the counter: a comparator it passed while being written
     * would not fire before the counter wrapped. */
    if (delta < MIN_DELTA_NS)
        delta = MIN_DELTA_NS;
    uint64_t cmp = counter() + delta * FS_PER_NS / period_fs;
    wr(HPET_TN_CMP(timer) + 4, (uint32_t)(cmp >> 32));
    wr(HPET_TN_CMP(timer), (uint32_t)cmp);
    wr(HPET_TN_CONF(timer), conf | TN_INT_ENABLE);
}

void host_timer_fired(void)
{
    armed = TIMER_NEVER; /* whatever is next gets armed after the timers ran */
}
