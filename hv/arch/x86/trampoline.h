/* What the AP start-up trampoline (trampoline.asm) reads: the hypervisor
 * copies the code to the loader's pages below 1 MiB and writes these
 * parameters at TRAMP_PARAMS_OFF in its first page before each start. */
#ifndef HV_ARCH_X86_TRAMPOLINE_H
#define HV_ARCH_X86_TRAMPOLINE_H

#include <stdint.h>

#define TRAMP_PARAMS_OFF 0x800u  /* the code stays below it (smp.c checks) */
#define TRAMP_PML4_OFF   0x1000u /* the second page: a copy of the hypervisor's PML4 */

struct tramp_params {
    uint64_t cr3;   /* the hypervisor's page tables, loaded once in long mode */
    uint64_t stack; /* top of this AP's stack, 16-byte aligned */
    uint64_t entry; /* void entry(void *arg), never returns */
    uint64_t arg;   /* this AP's struct percpu */
};
_Static_assert(sizeof(struct tramp_params) == 32, "tramp_params layout");
_Static_assert(__builtin_offsetof(struct tramp_params, arg) == 24, "tramp_params layout");

/* The code between these symbols is copied; it is never run where it is linked. */
extern const uint8_t smp_tramp_start[], smp_tramp_end[];

#endif
