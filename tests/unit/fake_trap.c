/* hv/arch/x86/trap.c for the host (fake_arch.h): fake_cpu.h stands in for
 * arch/x86/cpu.h (lidt records the table it is given; read_cr* read
 * fake_arch.cr); isr_table and window_table, isr.asm's in the hypervisor,
 * are constants here whose every offset field differs per vector and between
 * the two tables; arch_stop longjmps to fake_arch.stop_env. Not linked with
 * fake_arch.c or fake_lapic.c: each defines struct fake_arch's instance. */
#include <string.h>

#include "fake_arch.h"
#include "fake_cpu.h"

struct fake_arch fake_arch;

#define ISR(v)    (0x1111222233330000ull + (uint64_t)(v)*0x0001000100010001ull)
#define WINDOW(v) (0xaaaa5555cccc0080ull + (uint64_t)(v)*0x0001000100010001ull)
#define T4(f, v)  f(v), f((v) + 1), f((v) + 2), f((v) + 3)
#define T16(f, v) T4(f, v), T4(f, (v) + 4), T4(f, (v) + 8), T4(f, (v) + 12)
#define T64(f, v) T16(f, v), T16(f, (v) + 16), T16(f, (v) + 32), T16(f, (v) + 48)
#define T256(f)   T64(f, 0), T64(f, 64), T64(f, 128), T64(f, 192)

const uint64_t isr_table[256] = {T256(ISR)};
const uint64_t window_table[256] = {T256(WINDOW)};
const char __hv_start[16];

#include "arch/x86/trap.c"

_Static_assert(sizeof(idt) == 256 * 16 && sizeof(idt_window) == 256 * 16, "two 256-gate IDTs");

uint64_t fake_isr(unsigned vector)
{
    return isr_table[vector];
}

uint64_t fake_window(unsigned vector)
{
    return window_table[vector];
}

const void *fake_idt(bool window)
{
    return window ? (const void *)idt_window : (const void *)idt;
}

void fake_trap_reset(void)
{
    memset(&fake_arch, 0, sizeof(fake_arch));
}

void arch_stop(int verdict)
{
    fake_arch.stopped = true;
    fake_arch.verdict = verdict;
    longjmp(fake_arch.stop_env, 1);
}
