#include "vm/cpuid.h"

#define LEAF1_ECX_MONITOR      (1u << 3) /* MWAIT idling would sleep the whole CPU */
#define LEAF1_ECX_VMX          (1u << 5)
#define LEAF1_ECX_HYPERVISOR   (1u << 31)
#define LEAF1_ECX_X2APIC       (1u << 21) /* APIC_BASE stays fixed: xAPIC only */
#define LEAF1_ECX_TSC_DEADLINE (1u << 24) /* its MSR is not the guest's */
#define LEAF1_EDX_MCE          (1u << 7)  /* no machine-check MSRs for the guest */
#define LEAF1_EDX_MCA          (1u << 14)
#define LEAF6_ECX_APERFMPERF   (1u << 0)
#define LEAF7_EBX_TSC_ADJUST   (1u << 1)  /* TSC writes move the VMCB offset instead */
#define EXT1_ECX_SVM           (1u << 2)  /* no nested virtualization */
#define EXT1_ECX_PERFCTR       (3u << 23) /* core and NB performance counters: no PMU */

void cpuid_policy(uint32_t leaf, uint32_t subleaf, struct cpuid_result *r)
{
    switch (leaf) {
    case 0x1:
        r->ecx = (r->ecx | LEAF1_ECX_HYPERVISOR) &
                 ~(LEAF1_ECX_MONITOR | LEAF1_ECX_VMX | LEAF1_ECX_X2APIC | LEAF1_ECX_TSC_DEADLINE);
        r->edx &= ~(LEAF1_EDX_MCE | LEAF1_EDX_MCA);
        break;
    case 0x6:
        r->ecx &= ~LEAF6_ECX_APERFMPERF;
        break;
    case 0x7:
        if (subleaf == 0)
            r->ebx &= ~LEAF7_EBX_TSC_ADJUST;
        break;
    case 0xa: /* architectural performance monitoring */
        *r = (struct cpuid_result){0, 0, 0, 0};
        break;
    case 0x80000001:
        r->ecx &= ~(EXT1_ECX_SVM | EXT1_ECX_PERFCTR);
        r->edx &= ~(LEAF1_EDX_MCE | LEAF1_EDX_MCA);
        break;
    case 0x80000008: /* the guest's physical address width: what the NPT covers */
        if ((r->eax & 0xff) > GUEST_PHYS_BITS_MAX)
            r->eax = (r->eax & ~0xffu) | GUEST_PHYS_BITS_MAX;
        r->eax &= ~0xff0000u; /* no separate guest width */
        break;
    case 0x8000001f: /* SME/SEV: the guest's memory is not encrypted */
        *r = (struct cpuid_result){0, 0, 0, 0};
        break;
    case 0x8000000a: /* SVM features */
        *r = (struct cpuid_result){0, 0, 0, 0};
        break;
    default:
        /* The hypervisor range: no vendor leaves (yet), never the host's. */
        if (leaf >= 0x40000000 && leaf <= 0x4fffffff)
            *r = (struct cpuid_result){0, 0, 0, 0};
        break;
    }
}
