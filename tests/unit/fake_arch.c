/* hv/arch/x86/exits.c for the host (fake_arch.h). exits.c includes
 * arch/x86/cpu.h, whose inline assembly cannot run here: fake_cpu.h takes its
 * include guard first and defines the pieces exits.c uses over struct
 * fake_arch. */
#include <string.h>

#include "fake_arch.h"
#include "fake_cpu.h"

struct fake_arch fake_arch;

#include "arch/x86/exits.c"

void fake_arch_reset(void)
{
    memset(&fake_arch, 0, sizeof(fake_arch));
    fake_arch.irq_vector = IRQ_NONE;
    fake_arch.hv_msr_rc = HV_MSR_OK;
}

/* --- arch.h, irq.h ---------------------------------------------------------------- */

uint64_t tsc_read(void)
{
    return fake_arch.tsc;
}

void arch_stop(int verdict)
{
    fake_arch.stopped = true;
    fake_arch.verdict = verdict;
    longjmp(fake_arch.stop_env, 1);
}

int irq_take(void)
{
    fake_arch.irq_takes++;
    return fake_arch.irq_vector;
}

/* --- percpu.h --------------------------------------------------------------------- */

static struct percpu fake_cpu0;

struct percpu *this_cpu(void)
{
    return &fake_cpu0;
}

void smp_kick(struct percpu *c)
{
    if (c == &fake_cpu0)
        fake_arch.self_kicks++;
}

uint64_t irq_host_timer_count(void)
{
    return 0;
}

uint64_t irq_host_dev_count(void)
{
    return 0;
}

uint64_t irq_reserved_count(void)
{
    return 0;
}

/* --- ioapic.h ------------------------------------------------------------------- */

void ioapic_access(void)
{
    fake_arch.ioapic_accesses++;
}

void ioapic_access_done(bool ran)
{
    if (ran)
        fake_arch.ioapic_ran++;
    else
        fake_arch.ioapic_cancelled++;
}

size_t ioapic_summary(char *buf, size_t cap)
{
    if (cap)
        buf[0] = 0;
    return 0;
}

/* --- hyperv.h ----------------------------------------------------------------------- */

bool hyperv_cpuid(const struct hyperv_partition *p, uint32_t leaf, struct hyperv_cpuid_regs *r)
{
    (void)p;
    (void)leaf;
    if (fake_arch.hv_cpuid)
        *r = fake_arch.hv_regs;
    return fake_arch.hv_cpuid;
}

int hyperv_msr_read(struct hyperv_partition *p, uint32_t vp, uint32_t msr, uint64_t *val)
{
    (void)p;
    (void)vp;
    fake_arch.hv_msr = msr;
    fake_arch.hv_msr_calls++;
    if (fake_arch.hv_msr_rc == HV_MSR_OK)
        *val = fake_arch.hv_msr_value;
    return fake_arch.hv_msr_rc;
}

int hyperv_msr_write(struct hyperv_partition *p, uint32_t vp, uint32_t msr, uint64_t val)
{
    (void)p;
    (void)vp;
    fake_arch.hv_msr = msr;
    fake_arch.hv_msr_calls++;
    fake_arch.hv_msr_value = val;
    return fake_arch.hv_msr_rc;
}

bool hyperv_hypercall_permitted(struct hyperv_partition *p, unsigned cpl, bool long_mode_64)
{
    (void)p;
    fake_arch.hv_cpl = cpl;
    fake_arch.hv_long64 = long_mode_64;
    return fake_arch.hv_permitted;
}

uint64_t hyperv_hypercall(struct hyperv_partition *p, uint32_t vp, uint64_t rcx, uint64_t rdx,
                          uint64_t r8)
{
    (void)p;
    (void)vp;
    fake_arch.hv_rcx = rcx;
    fake_arch.hv_rdx = rdx;
    fake_arch.hv_r8 = r8;
    fake_arch.hv_hypercalls++;
    return fake_arch.hv_hypercall_result;
}
