/* CPUID 0x40000000-0x4000000A: a Hyper-V that offers exactly what hv/hyperv
 * implements (contract §1.3, profile M plus the TSC page), vp_count VPs. EAX
 * bit 4 (APIC MSRs) and hint 3 (use them) only when the glue handles those
 * MSRs: Linux then writes the xAPIC ICR and EOI through them (hv_apic.c),
 * which is where the glue sees INIT and SIPI. Never set here: EBX bit 1
 * (AccessPartitionId: Linux BUG()s), 12 (CpuManagement: root partition), 20
 * (extended hypercalls), 22 (isolation); EAX bit 3 (synthetic timers), bit 15
 * (TSC invariance); EDX bit 10 (crash MSRs); hints other than 3 and 9, in
 * particular 1-2 (TLB flush hypercalls) and 10-11 (cluster IPI hypercalls),
 * which are not implemented. */
#include "hyperv/hyperv.h"

#include "hyperv/hv_wire.h"

/* Shown by Linux as "Hyper-V: Host Build 10.0.20348.0-0-0": Windows Server
 * 2022, the host generation that speaks VMBus 5.3. */
#define HV_BUILD_NUMBER  20348u
#define HV_BUILD_VERSION 0x000A0000u /* 10.0 */
#define HV_SPIN_NEVER    0xFFFFFFFFu /* hint EBX: never notify long spin waits */

bool hyperv_cpuid(const struct hyperv_partition *p, uint32_t leaf, struct hyperv_cpuid_regs *r)
{
    /* Without a known LAPIC timer clock the frequency MSRs would make Linux
     * program a zero timer period: then neither is offered. */
    bool freq = p->plat.apic_hz != 0, apic = p->plat.apic_msr != NULL;
    struct hyperv_cpuid_regs v = {0, 0, 0, 0};

    switch (leaf) {
    case HV_CPUID_VENDOR:
        v = (struct hyperv_cpuid_regs){HV_CPUID_MAX_LEAF, HV_VENDOR_EBX, HV_VENDOR_ECX,
                                       HV_VENDOR_EDX};
        break;
    case HV_CPUID_INTERFACE:
        v.eax = HV_INTERFACE_HV1;
        break;
    case HV_CPUID_VERSION:
        v.eax = HV_BUILD_NUMBER;
        v.ebx = HV_BUILD_VERSION;
        break;
    case HV_CPUID_FEATURES:
        v.eax = HV_FEAT_TIME_REF_COUNT | HV_FEAT_SYNIC | HV_FEAT_HYPERCALL | HV_FEAT_VP_INDEX |
                HV_FEAT_REFERENCE_TSC | (freq ? HV_FEAT_FREQUENCY_MSRS : 0) |
                (apic ? HV_FEAT_APIC_MSRS : 0);
        v.ebx = HV_PRIV_POST_MESSAGES | HV_PRIV_SIGNAL_EVENTS;
        v.edx = freq ? HV_MISC_FREQUENCY_MSRS : 0;
        break;
    case HV_CPUID_HINTS:
        /* Interrupts arrive by self-IPI and the guest EOIs them: no AutoEOI. */
        v.eax = HV_HINT_DEPRECATE_AUTOEOI | (apic ? HV_HINT_APIC_MSRS : 0);
        v.ebx = HV_SPIN_NEVER;
        break;
    case HV_CPUID_LIMITS:
        v.eax = p->plat.vp_count; /* max VPs */
        v.ebx = p->plat.vp_count; /* logical processors: each VP has its own CPU */
        break;
    default:
        /* 0x40000006-0x4000000A (hardware features, nested features): zero. */
        if (leaf < HV_CPUID_VENDOR || leaf > HV_CPUID_MAX_LEAF)
            return false;
        break;
    }
    *r = v;
    return true;
}
