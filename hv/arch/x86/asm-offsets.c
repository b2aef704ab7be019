/* Not linked: compiled to assembly so the build can turn these constants into
 * build/asm-offsets.inc for NASM (no struct offset is hard-coded in .asm). */
#include <stddef.h>

#include "arch/x86/trampoline.h"
#include "arch/x86/vmcb.h"

#define DEFINE(sym, val) __asm__ volatile("\n.ascii \"->" #sym " %c0\"" ::"i"(val))

void asm_offsets(void);

void asm_offsets(void)
{
    DEFINE(GR_RBX, offsetof(struct guest_regs, rbx));
    DEFINE(GR_RCX, offsetof(struct guest_regs, rcx));
    DEFINE(GR_RDX, offsetof(struct guest_regs, rdx));
    DEFINE(GR_RSI, offsetof(struct guest_regs, rsi));
    DEFINE(GR_RDI, offsetof(struct guest_regs, rdi));
    DEFINE(GR_RBP, offsetof(struct guest_regs, rbp));
    DEFINE(GR_R8, offsetof(struct guest_regs, r8));
    DEFINE(GR_R9, offsetof(struct guest_regs, r9));
    DEFINE(GR_R10, offsetof(struct guest_regs, r10));
    DEFINE(GR_R11, offsetof(struct guest_regs, r11));
    DEFINE(GR_R12, offsetof(struct guest_regs, r12));
    DEFINE(GR_R13, offsetof(struct guest_regs, r13));
    DEFINE(GR_R14, offsetof(struct guest_regs, r14));
    DEFINE(GR_R15, offsetof(struct guest_regs, r15));
    DEFINE(TP_CR3, offsetof(struct tramp_params, cr3));
    DEFINE(TP_STACK, offsetof(struct tramp_params, stack));
    DEFINE(TP_ENTRY, offsetof(struct tramp_params, entry));
    DEFINE(TP_ARG, offsetof(struct tramp_params, arg));
    DEFINE(TRAMP_PARAMS_OFF, TRAMP_PARAMS_OFF);
    DEFINE(TRAMP_PML4_OFF, TRAMP_PML4_OFF);
}
