/* hv/arch/x86/exits.c built for the host (tests/unit/fake_arch.c): the
 * instructions of arch/x86/cpu.h (tests/unit/fake_cpu.h) and the arch, irq,
 * ioapic and hyperv calls exits.c makes are fakes whose state lives here.
 * hv/arch/x86/lapic.c and trap.c are built the same way (fake_lapic.c,
 * fake_trap.c), with only the cpu.h fakes. arch_stop longjmps to stop_env:
 * a test setjmps before vcpu_handle_exit and reads the verdict; the reason
 * is the "hv: guest: ..." line vcpu_finish logs (fixture.h's logbuf). */
#ifndef TESTS_UNIT_FAKE_ARCH_H
#define TESTS_UNIT_FAKE_ARCH_H

#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>

#include "hyperv/hyperv.h"

#define FAKE_PORT_OPS 64
#define FAKE_MSR_OPS  64

struct fake_port_op {
    bool in;
    uint16_t port;
    uint8_t value;
};

struct fake_msr_op {
    bool write;
    uint32_t msr;
    uint64_t value; /* what was written, or what the read returned */
};

struct fake_arch {
    /* cpu.h */
    uint32_t cpuid_eax, cpuid_ebx, cpuid_ecx, cpuid_edx; /* what CPUID returns, any leaf */
    uint32_t cpuid_leaf, cpuid_subleaf;                  /* the last CPUID asked */
    unsigned nports;                                     /* inb/outb calls */
    struct fake_port_op ports[FAKE_PORT_OPS];            /* the first FAKE_PORT_OPS */
    unsigned wbinvd;
    uint64_t (*rdmsr)(uint32_t msr);       /* what RDMSR reads (NULL: 0) */
    unsigned nmsrs;                        /* rdmsr/wrmsr calls */
    struct fake_msr_op msrs[FAKE_MSR_OPS]; /* the first FAKE_MSR_OPS */
    void (*relax)(void);                   /* called by each cpu_relax, if set */
    unsigned relaxes;                      /* cpu_relax calls */
    uint64_t cr[5];                        /* what read_cr0/2/3/4 read */
    const void *idt_base;                  /* the last lidt's table */
    uint16_t idt_limit;                    /* and limit */
    unsigned lidts;                        /* lidt calls */
    /* arch.h, irq.h */
    uint64_t tsc;   /* tsc_read() */
    int irq_vector; /* what irq_take() returns (IRQ_NONE: nothing) */
    unsigned irq_takes;
    unsigned self_kicks; /* smp_kick(this_cpu()) calls */
    bool stopped;
    int verdict; /* arch_stop's */
    jmp_buf stop_env;
    /* ioapic.h */
    unsigned ioapic_accesses;  /* ioapic_access calls */
    unsigned ioapic_ran;       /* ioapic_access_done(true) calls */
    unsigned ioapic_cancelled; /* ioapic_access_done(false) calls */
    /* hyperv.h */
    bool hv_cpuid; /* hyperv_cpuid answers (with hv_regs) */
    struct hyperv_cpuid_regs hv_regs;
    int hv_msr_rc;         /* hyperv_msr_read/write's result */
    uint64_t hv_msr_value; /* what hyperv_msr_read reads; what a write wrote */
    uint32_t hv_msr;       /* the last MSR asked */
    unsigned hv_msr_calls;
    bool hv_permitted; /* hyperv_hypercall_permitted's answer */
    unsigned hv_cpl;   /* what it was asked */
    bool hv_long64;
    uint64_t hv_hypercall_result;
    uint64_t hv_rcx, hv_rdx, hv_r8; /* the last hypercall's */
    unsigned hv_hypercalls;
};

extern struct fake_arch fake_arch;

/* All zero but irq_vector = IRQ_NONE and hv_msr_rc = HV_MSR_OK (fake_arch.c). */
void fake_arch_reset(void);

/* fake_lapic.c: all zero, and lapic.c as before lapic_init (no base, nothing raised). */
void fake_lapic_reset(void);

/* fake_trap.c: where trap.c's gates should point (isr_table, window_table:
 * distinct in every offset field), its two IDTs (256 gates of 16 bytes),
 * and a reset to all of struct fake_arch zero. */
uint64_t fake_isr(unsigned vector);
uint64_t fake_window(unsigned vector);
const void *fake_idt(bool window);
void fake_trap_reset(void);

#endif
