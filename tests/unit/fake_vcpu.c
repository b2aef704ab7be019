/* What exits.c needs of vcpu.c, for tests/unit/test_arch_exits.c: one VP
 * (the test's), whose INITs are counted, and an NPT change recorded. */
#include "fake_vcpu.h"

struct fake_vcpu fake_vcpu;

uint32_t vcpu_count(void)
{
    return fake_vcpu.vp ? 1 : 0;
}

struct vcpu *vcpu_of(uint32_t vp)
{
    return vp == 0 ? fake_vcpu.vp : NULL;
}

void vcpu_init_ipi(struct vcpu *v)
{
    (void)v;
    fake_vcpu.inits++;
}

void vcpu_npt_changed(void)
{
    fake_vcpu.npt_changes++;
}
