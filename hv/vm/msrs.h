/* The guest's model-specific registers (docs/design.md, "Isolation"). Deny by
 * default: one table names every MSR the guest reaches, passed through (the
 * VMCB switches it, or it is per-CPU and harmless) or emulated, with the
 * reason; any other MSR is #GP. Hardware-free: the emulated state lives in
 * struct msr_guest, which the caller loads from and stores to the VMCB. */
#ifndef HV_VM_MSRS_H
#define HV_VM_MSRS_H

#include <stdbool.h>
#include <stdint.h>

#include "vm/cpuid.h"

#define MSR_TSC        0x10u
#define MSR_APIC_BASE  0x1bu
#define MSR_MTRR_CAP   0xfeu
#define MSR_PAT        0x277u
#define MSR_MTRR_DEF   0x2ffu
#define MSR_GUEST_EFER 0xc0000080u

/* APIC_BASE as the guest always reads it: the xAPIC at 0xfee00000, enabled, BSP. */
#define GUEST_APIC_BASE 0xfee00900ull

#define MSR_PASS_READ  1u
#define MSR_PASS_WRITE 2u

enum msr_emul {
    MSR_EMU_NONE, /* passed through both ways */
    MSR_EMU_TSC,  /* writes move the guest's TSC offset */
    MSR_EMU_APIC_BASE,
    MSR_EMU_PAT,    /* the VMCB's guest PAT */
    MSR_EMU_EFER,   /* the VMCB's EFER, with the architectural checks */
    MSR_EMU_MTRR,   /* a per-guest shadow: the guest's memory types are its PAT's */
    MSR_EMU_READ,   /* a fixed value; writes #GP */
    MSR_EMU_HYPERV, /* Hyper-V synthetic MSRs: hv/hyperv answers */
};

struct msr_rule {
    uint32_t first, last;
    uint8_t pass;   /* MSR_PASS_READ | MSR_PASS_WRITE: not intercepted */
    uint8_t emul;   /* enum msr_emul for what is intercepted */
    uint64_t value; /* MSR_EMU_READ */
    const char *why;
};

#define MTRR_VAR_PAIRS 8
#define MTRR_FIXED     11

/* What the emulated MSRs read and write: the VMCB's fields and the shadows. */
struct msr_guest {
    uint64_t efer;         /* without the host's SVME */
    uint64_t cr0;          /* read only: EFER.LME may not change while paging is on */
    uint64_t pat;          /* the VMCB's G_PAT */
    uint64_t tsc_offset;   /* the VMCB's TSC offset */
    uint64_t host_tsc;     /* the host's TSC now (a TSC write moves the offset) */
    uint64_t efer_allowed; /* EFER bits this CPU has */
    unsigned phys_bits;    /* the guest's MAXPHYADDR */
    uint64_t mtrr_def, mtrr_fixed[MTRR_FIXED], mtrr_var[2 * MTRR_VAR_PAIRS];
};

enum msr_status {
    MSR_DONE,   /* *value read, or the write taken */
    MSR_GP,     /* refused: #GP */
    MSR_HYPERV, /* a Hyper-V synthetic MSR: ask hv/hyperv */
};

/* EFER bits a guest with these CPUID leaves may set: SCE, LME, LMA always;
 * NXE, FFXSR, TCE and AutoIBRS where CPUID reports them. max_ext is leaf
 * 0x80000000's EAX (leaf 0x80000021 counts only if it exists). */
uint64_t msr_efer_allowed(uint32_t max_ext, struct cpuid_result ext1, struct cpuid_result ext21);
/* The rule for msr, or NULL: not the guest's (#GP). */
const struct msr_rule *msr_rule(uint32_t msr);
/* Calls fn for each MSR with something passed through. */
void msr_each_passed(void (*fn)(void *ctx, uint32_t msr, uint8_t pass), void *ctx);
/* Resets the shadows to what the guest sees at power-on. */
void msr_guest_init(struct msr_guest *g);
/* One intercepted RDMSR or WRMSR. */
enum msr_status msr_access(struct msr_guest *g, uint32_t msr, bool write, uint64_t *value);

#endif
