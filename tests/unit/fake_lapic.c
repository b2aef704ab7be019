/* hv/arch/x86/lapic.c for the host (fake_arch.h): fake_cpu.h stands in for
 * arch/x86/cpu.h (rdmsr, wrmsr, cpu_relax over struct fake_arch); the xAPIC
 * registers are whatever memory the fake APIC_BASE points at. Not linked
 * with fake_arch.c: each defines struct fake_arch's instance. */
#include <string.h>

#include "fake_arch.h"
#include "fake_cpu.h"

struct fake_arch fake_arch;
static struct percpu cpu0; /* the one CPU lapic.c keeps a self-IPI's vector in */

struct percpu *this_cpu(void)
{
    return &cpu0;
}

#include "arch/x86/lapic.c"

void fake_lapic_reset(void)
{
    memset(&fake_arch, 0, sizeof(fake_arch));
    cpu0.raised = -1;
    apic_base = 0;
}
