#ifndef TESTS_UNIT_FAKE_VCPU_H
#define TESTS_UNIT_FAKE_VCPU_H

#include "arch/x86/vcpu.h"

struct fake_vcpu {
    struct vcpu *vp; /* VP 0 */
    unsigned inits;
    unsigned npt_changes;
};
extern struct fake_vcpu fake_vcpu;

#endif
