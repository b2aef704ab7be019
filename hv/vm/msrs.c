#include "vm/msrs.h"

#include <stddef.h>

#define EFER_SCE      (1ull << 0)
#define EFER_LME      (1ull << 8)
#define EFER_LMA      (1ull << 10)
#define EFER_NXE      (1ull << 11)
#define EFER_FFXSR    (1ull << 14)
#define EFER_TCE      (1ull << 15)
#define EFER_AUTOIBRS (1ull << 21)
#define CR0_PG        (1ull << 31)

#define MTRR_CAP_VALUE  ((1ull << 10) | (1ull << 8) | MTRR_VAR_PAIRS) /* WC, fixed, 8 pairs */
#define MTRR_DEF_MASK   0xcffull                                      /* type, FE, E */
#define MTRR_MASK_V     (1ull << 11)
#define HWCR_TSCFREQSEL (1ull << 24) /* the TSC counts at P0: Linux warns otherwise */

#define PASS_RW (MSR_PASS_READ | MSR_PASS_WRITE)

static const struct msr_rule rules[] = {
    {MSR_TSC, MSR_TSC, MSR_PASS_READ, MSR_EMU_TSC, 0,
     "TSC: reads add the VMCB's offset; a write moves only the guest's offset"},
    {MSR_APIC_BASE, MSR_APIC_BASE, 0, MSR_EMU_APIC_BASE, 0,
     "the xAPIC stays where the host maps it, enabled: other values #GP"},
    {0x48, 0x49, PASS_RW, MSR_EMU_NONE, 0, "SPEC_CTRL, PRED_CMD: per-CPU speculation controls"},
    {0x8b, 0x8b, 0, MSR_EMU_READ, 0, "microcode patch level: none to report, no loading"},
    {MSR_MTRR_CAP, MSR_MTRR_CAP, 0, MSR_EMU_READ, MTRR_CAP_VALUE,
     "MTRR capabilities of the shadow MTRRs"},
    {0x10a, 0x10a, MSR_PASS_READ, MSR_EMU_READ, 0, "ARCH_CAPABILITIES: read-only"},
    {0x10b, 0x10b, PASS_RW, MSR_EMU_NONE, 0, "FLUSH_CMD: flushes this CPU's L1D"},
    {0x174, 0x176, PASS_RW, MSR_EMU_NONE, 0, "SYSENTER_CS/ESP/EIP: switched by VMLOAD/VMSAVE"},
    {0x200, 0x200 + 2 * MTRR_VAR_PAIRS - 1, 0, MSR_EMU_MTRR, 0, "variable MTRRs: a shadow"},
    {0x250, 0x250, 0, MSR_EMU_MTRR, 0, "fixed MTRR: a shadow"},
    {0x258, 0x259, 0, MSR_EMU_MTRR, 0, "fixed MTRRs: a shadow"},
    {0x268, 0x26f, 0, MSR_EMU_MTRR, 0, "fixed MTRRs: a shadow"},
    {MSR_PAT, MSR_PAT, 0, MSR_EMU_PAT, 0, "PAT: the VMCB's guest PAT (nested paging)"},
    {MSR_MTRR_DEF, MSR_MTRR_DEF, 0, MSR_EMU_MTRR, 0, "MTRR default type: a shadow"},
    {0xda0, 0xda0, PASS_RW, MSR_EMU_NONE, 0, "XSS: the host uses no XSAVES"},
    {0x40000000, 0x400000ff, 0, MSR_EMU_HYPERV, 0, "Hyper-V synthetic MSRs (hv/hyperv)"},
    {MSR_GUEST_EFER, MSR_GUEST_EFER, 0, MSR_EMU_EFER, 0,
     "EFER: the VMCB's, checked; SVME is the host's and hidden"},
    {0xc0000081, 0xc0000084, PASS_RW, MSR_EMU_NONE, 0,
     "STAR, LSTAR, CSTAR, SFMASK: switched by VMLOAD/VMSAVE"},
    {0xc0000100, 0xc0000102, PASS_RW, MSR_EMU_NONE, 0,
     "FS, GS, KERNEL_GS bases: switched by VMRUN and VMLOAD/VMSAVE"},
    {0xc0000103, 0xc0000103, PASS_RW, MSR_EMU_NONE, 0, "TSC_AUX: the host uses no RDTSCP"},
    {0xc0010010, 0xc0010010, 0, MSR_EMU_READ, 0,
     "SYSCFG: host-wide memory configuration; reads as 0 (no SME, no TOM2)"},
    {0xc0010015, 0xc0010015, 0, MSR_EMU_READ, HWCR_TSCFREQSEL,
     "HWCR: host-wide configuration; reads as a constant-rate TSC"},
    {0xc0010055, 0xc0010055, 0, MSR_EMU_READ, 0,
     "interrupt pending message: no C1E (Linux's AMD erratum 400 check reads it)"},
};

uint64_t msr_efer_allowed(uint32_t max_ext, struct cpuid_result ext1, struct cpuid_result ext21)
{
    uint64_t ok = EFER_SCE | EFER_LME | EFER_LMA;
    if (max_ext >= 0x80000001) {
        ok |= (ext1.edx & (1u << 20)) ? EFER_NXE : 0;
        ok |= (ext1.edx & (1u << 25)) ? EFER_FFXSR : 0;
        ok |= (ext1.ecx & (1u << 17)) ? EFER_TCE : 0;
    }
    if (max_ext >= 0x80000021 && (ext21.eax & (1u << 8)))
        ok |= EFER_AUTOIBRS;
    return ok;
}

const struct msr_rule *msr_rule(uint32_t msr)
{
    for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
        if (msr >= rules[i].first && msr <= rules[i].last)
            return &rules[i];
    }
    return NULL;
}

void msr_each_passed(void (*fn)(void *ctx, uint32_t msr, uint8_t pass), void *ctx)
{
    for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
        for (uint32_t m = rules[i].first; rules[i].pass && m <= rules[i].last; m++)
            fn(ctx, m, rules[i].pass);
    }
}

void msr_guest_init(struct msr_guest *g)
{
    g->mtrr_def = 0xc06; /* enabled, fixed ranges enabled, write-back */
    for (unsigned i = 0; i < MTRR_FIXED; i++)
        g->mtrr_fixed[i] = 0x0606060606060606ull;
    for (unsigned i = 0; i < 2 * MTRR_VAR_PAIRS; i++)
        g->mtrr_var[i] = 0;
}

static bool mtrr_type_ok(uint64_t t)
{
    return t == 0 || t == 1 || t == 4 || t == 5 || t == 6;
}

static bool pat_ok(uint64_t pat)
{
    for (unsigned i = 0; i < 8; i++) {
        uint64_t t = (pat >> 8 * i) & 0xff;
        if (t != 0 && t != 1 && t != 4 && t != 5 && t != 6 && t != 7)
            return false;
    }
    return true;
}

static uint64_t *mtrr_slot(struct msr_guest *g, uint32_t msr)
{
    if (msr == MSR_MTRR_DEF)
        return &g->mtrr_def;
    if (msr >= 0x200 && msr < 0x200 + 2 * MTRR_VAR_PAIRS)
        return &g->mtrr_var[msr - 0x200];
    if (msr == 0x250)
        return &g->mtrr_fixed[0];
    if (msr == 0x258 || msr == 0x259)
        return &g->mtrr_fixed[1 + msr - 0x258];
    return &g->mtrr_fixed[3 + msr - 0x268];
}

static bool mtrr_ok(const struct msr_guest *g, uint32_t msr, uint64_t v)
{
    uint64_t addr = ((1ull << g->phys_bits) - 1) & ~0xfffull;
    if (msr == MSR_MTRR_DEF)
        return !(v & ~MTRR_DEF_MASK) && mtrr_type_ok(v & 0xff);
    if (msr >= 0x200 && msr < 0x200 + 2 * MTRR_VAR_PAIRS) {
        if (msr & 1)
            return !(v & ~(addr | MTRR_MASK_V));
        return !(v & ~(addr | 0xff)) && mtrr_type_ok(v & 0xff);
    }
    for (unsigned i = 0; i < 8; i++) {
        if (!mtrr_type_ok((v >> 8 * i) & 0xff))
            return false;
    }
    return true;
}

static enum msr_status efer_write(struct msr_guest *g, uint64_t v)
{
    if (v & ~g->efer_allowed)
        return MSR_GP;
    if ((g->cr0 & CR0_PG) && ((v ^ g->efer) & EFER_LME))
        return MSR_GP; /* long mode is entered or left with paging off */
    g->efer = (v & ~EFER_LMA) | (g->efer & EFER_LMA); /* LMA is the CPU's to set */
    return MSR_DONE;
}

enum msr_status msr_access(struct msr_guest *g, uint32_t msr, bool write, uint64_t *value)
{
    const struct msr_rule *r = msr_rule(msr);
    if (!r)
        return MSR_GP;
    uint64_t v = *value;
    switch ((enum msr_emul)r->emul) {
    case MSR_EMU_NONE:
        return MSR_GP; /* passed through: an exit for it means the CPU lacks it */
    case MSR_EMU_HYPERV:
        return MSR_HYPERV;
    case MSR_EMU_READ:
        if (write)
            return MSR_GP;
        *value = r->value;
        return MSR_DONE;
    case MSR_EMU_TSC:
        if (!write)
            *value = g->host_tsc + g->tsc_offset;
        else
            g->tsc_offset = v - g->host_tsc;
        return MSR_DONE;
    case MSR_EMU_APIC_BASE:
        if (write)
            return v == GUEST_APIC_BASE ? MSR_DONE : MSR_GP;
        *value = GUEST_APIC_BASE;
        return MSR_DONE;
    case MSR_EMU_PAT:
        if (!write) {
            *value = g->pat;
            return MSR_DONE;
        }
        if (!pat_ok(v))
            return MSR_GP;
        g->pat = v;
        return MSR_DONE;
    case MSR_EMU_EFER:
        if (write)
            return efer_write(g, v);
        *value = g->efer;
        return MSR_DONE;
    case MSR_EMU_MTRR:
        if (!write) {
            *value = *mtrr_slot(g, msr);
            return MSR_DONE;
        }
        if (!mtrr_ok(g, msr, v))
            return MSR_GP;
        *mtrr_slot(g, msr) = v;
        return MSR_DONE;
    }
    return MSR_GP;
}
