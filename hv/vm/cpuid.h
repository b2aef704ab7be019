/* What the guest sees of CPUID: the host's values, filtered. */
#ifndef HV_VM_CPUID_H
#define HV_VM_CPUID_H

#include <stdint.h>

struct cpuid_result {
    uint32_t eax, ebx, ecx, edx;
};

/* Guest-physical addresses the 4-level nested page tables cover. */
#define GUEST_PHYS_BITS_MAX 48

/* r holds the host's answer for (leaf, subleaf) and becomes the guest's. */
void cpuid_policy(uint32_t leaf, uint32_t subleaf, struct cpuid_result *r);

#endif
