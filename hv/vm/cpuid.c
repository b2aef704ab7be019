#include "vm/cpuid.h"

#define LEAF1_ECX_MONITOR    (1u << 3) /* MWAIT idling would sleep the whole CPU */
#define LEAF1_ECX_VMX        (1u << 5)
#define LEAF1_ECX_HYPERVISOR (1u << 31)
#define EXT1_ECX_SVM         (1u << 2) /* no nested virtualization */

void cpuid_policy(uint32_t leaf, uint32_t subleaf, struct cpuid_result *r)
{
    (void)subleaf;
    switch (leaf) {
    case 0x1:
        r->ecx = (r->ecx | LEAF1_ECX_HYPERVISOR) & ~(LEAF1_ECX_MONITOR | LEAF1_ECX_VMX);
        break;
    case 0x80000001:
        r->ecx &= ~EXT1_ECX_SVM;
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
