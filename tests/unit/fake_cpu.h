/* hv/arch/x86/cpu.h for the host: its inline assembly cannot run here, so a
 * harness that #includes an hv/arch/x86 .c (fake_arch.c: exits.c;
 * fake_lapic.c: lapic.c; fake_trap.c: trap.c) includes this first. It takes cpu.h's include guard
 * and defines the pieces those files use over struct fake_arch (fake_arch.h),
 * which the harness defines. Any other cpu.h function they start to use fails
 * the build (implicit declaration) until it gets a fake here. */
#ifndef TESTS_UNIT_FAKE_CPU_H
#define TESTS_UNIT_FAKE_CPU_H

#include "fake_arch.h"

#define HV_ARCH_X86_CPU_H
#define EFER_SVME (1ull << 12)

struct cpuid_regs {
    uint32_t eax, ebx, ecx, edx;
};

static inline struct cpuid_regs cpuid(uint32_t leaf, uint32_t subleaf)
{
    fake_arch.cpuid_leaf = leaf;
    fake_arch.cpuid_subleaf = subleaf;
    return (struct cpuid_regs){fake_arch.cpuid_eax, fake_arch.cpuid_ebx, fake_arch.cpuid_ecx,
                               fake_arch.cpuid_edx};
}

static inline void port_op(bool in, uint16_t port, uint8_t value)
{
    if (fake_arch.nports < FAKE_PORT_OPS)
        fake_arch.ports[fake_arch.nports] = (struct fake_port_op){in, port, value};
    fake_arch.nports++;
}

static inline uint8_t inb(uint16_t port)
{
    uint8_t v = (uint8_t)(port ^ 0xa5);
    port_op(true, port, v);
    return v;
}

static inline void outb(uint16_t port, uint8_t v)
{
    port_op(false, port, v);
}

static inline void wbinvd(void)
{
    fake_arch.wbinvd++;
}

static inline void msr_op(bool write, uint32_t msr, uint64_t value)
{
    if (fake_arch.nmsrs < FAKE_MSR_OPS)
        fake_arch.msrs[fake_arch.nmsrs] = (struct fake_msr_op){write, msr, value};
    fake_arch.nmsrs++;
}

static inline uint64_t rdmsr(uint32_t msr)
{
    uint64_t v = fake_arch.rdmsr ? fake_arch.rdmsr(msr) : 0;
    msr_op(false, msr, v);
    return v;
}

static inline void wrmsr(uint32_t msr, uint64_t v)
{
    msr_op(true, msr, v);
}

static inline void cpu_relax(void)
{
    fake_arch.relaxes++;
    if (fake_arch.relax)
        fake_arch.relax();
}

static inline uint64_t read_cr0(void)
{
    return fake_arch.cr[0];
}

static inline uint64_t read_cr2(void)
{
    return fake_arch.cr[2];
}

static inline uint64_t read_cr3(void)
{
    return fake_arch.cr[3];
}

static inline uint64_t read_cr4(void)
{
    return fake_arch.cr[4];
}

static inline void lidt(const void *base, uint16_t limit)
{
    fake_arch.idt_base = base;
    fake_arch.idt_limit = limit;
    fake_arch.lidts++;
}

#endif
