/* SVM detection and enabling (AMD APM vol. 2, 15.4 "Enabling SVM"). */
#include "arch/x86/arch.h"
#include "arch/x86/cpu.h"
#include "lib/fmt.h"
#include "lib/log.h"

static const struct {
    uint32_t bit;
    const char *name;
} svm_feature_names[] = {
    {0, "np"},
    {1, "lbrv"},
    {2, "svml"},
    {3, "nrips"},
    {4, "tsc-scale"},
    {5, "vmcb-clean"},
    {6, "flushbyasid"},
    {7, "decode-assists"},
    {10, "pause-filter"},
    {12, "pause-threshold"},
    {13, "avic"},
    {15, "v-vmsave-vmload"},
    {16, "vgif"},
    {17, "gmet"},
    {20, "spec-ctrl"},
    {25, "vnmi"},
};

/* Without the SVM bit, CPUID leaf 0x8000000A is not to be trusted: checked first. */
static const char *svm_missing(void)
{
    if (!(cpuid(0x80000001, 0).ecx & (1u << 2)))
        return "not supported: CPUID 0x80000001 ECX[2] (SVM) is clear";
    if (rdmsr(MSR_VM_CR) & VM_CR_SVMDIS)
        return "disabled by firmware: VM_CR.SVMDIS is set";
    return NULL;
}

#define NO_NP "not supported: nested paging (CPUID 0x8000000A EDX[0]) is missing"

const char *svm_unusable(void)
{
    const char *why = svm_missing();
    if (!why && !(cpuid(0x8000000a, 0).edx & SVM_NP))
        why = NO_NP;
    return why;
}

bool svm_enable(struct svm_features *f)
{
    const char *why = svm_missing();
    if (why) {
        hv_log("svm", "%s", why);
        return false;
    }
    struct cpuid_regs r = cpuid(0x8000000a, 0);
    f->revision = r.eax & 0xff;
    f->asids = r.ebx;
    f->edx = r.edx;

    char list[256];
    size_t n = 0;
    list[0] = '\0';
    for (size_t i = 0; i < sizeof(svm_feature_names) / sizeof(svm_feature_names[0]); i++) {
        if ((f->edx & (1u << svm_feature_names[i].bit)) && n < sizeof(list))
            n += (size_t)fmt_snprintf(list + n, sizeof(list) - n, " %s", svm_feature_names[i].name);
    }
    hv_log("svm", "revision %u, %u ASIDs, features 0x%08x:%s", f->revision, f->asids, f->edx, list);
    if (!(f->edx & SVM_NP)) {
        hv_log("svm", NO_NP);
        return false;
    }
    wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SVME);
    hv_log("svm", "enabled (EFER.SVME=1)");
    return true;
}

bool svm_under_qemu_tcg(void)
{
    struct cpuid_regs r = cpuid(0x40000000, 0);
    /* "TCGTCGTCGTCG": QEMU's tcg-cpuid, on by default. */
    return r.ebx == 0x54474354u && r.ecx == 0x43544743u && r.edx == 0x47435447u;
}
