#ifndef HV_ARCH_X86_TRAP_H
#define HV_ARCH_X86_TRAP_H

#include <stdint.h>

/* The frame isr.asm builds: pushed GPRs, then vector and error code, then
 * what the CPU pushed. */
struct trap_frame {
    uint64_t rax, rbx, rcx, rdx, rsi, rdi, rbp;
    uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
    uint64_t vector, error;
    uint64_t rip, cs, rflags, rsp, ss;
};
_Static_assert(sizeof(struct trap_frame) == 22 * 8, "trap_frame must match isr.asm");

void trap_handler(struct trap_frame *f) __attribute__((noreturn));

#endif
