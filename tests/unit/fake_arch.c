/* hv/arch/x86/exits.c for the host (fake_arch.h). exits.c includes
 * arch/x86/cpu.h, whose inline assembly cannot run here: its include guard
 * is taken first, and the few pieces exits.c uses are defined below over
 * struct fake_arch. Any other cpu.h function exits.c starts to use fails the
 * build (implicit declaration) until it gets a fake here. */
#include <string.h>

#include "fake_arch.h"

struct fake_arch fake_arch;

/* --- arch/x86/cpu.h -------------------------------------------------------------- */
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

static void port_op(bool in, uint16_t port, uint8_t value)
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

#include "arch/x86/exits.c"

void fake_arch_reset(void)
{
    memset(&fake_arch, 0, sizeof(fake_arch));
    fake_arch.irq_vector = IRQ_NONE;
    fake_arch.hv_msr_rc = HV_MSR_OK;
}

/* --- arch.h, irq.h ---------------------------------------------------------------- */

uint64_t tsc_read(void)
{
    return fake_arch.tsc;
}

void arch_stop(int verdict)
{
    fake_arch.stopped = true;
    fake_arch.verdict = verdict;
    longjmp(fake_arch.stop_env, 1);
}

int irq_take(void)
{
    fake_arch.irq_takes++;
    return fake_arch.irq_vector;
}

uint64_t irq_host_timer_count(void)
{
    return 0;
}

uint64_t irq_reserved_count(void)
{
    return 0;
}

/* --- hyperv.h ----------------------------------------------------------------------- */

bool hyperv_cpuid(const struct hv_partition *p, uint32_t leaf, struct hv_cpuid_regs *r)
{
    (void)p;
    (void)leaf;
    if (fake_arch.hv_cpuid)
        *r = fake_arch.hv_regs;
    return fake_arch.hv_cpuid;
}

int hyperv_msr_read(struct hv_partition *p, uint32_t msr, uint64_t *val)
{
    (void)p;
    fake_arch.hv_msr = msr;
    fake_arch.hv_msr_calls++;
    if (fake_arch.hv_msr_rc == HV_MSR_OK)
        *val = fake_arch.hv_msr_value;
    return fake_arch.hv_msr_rc;
}

int hyperv_msr_write(struct hv_partition *p, uint32_t msr, uint64_t val)
{
    (void)p;
    fake_arch.hv_msr = msr;
    fake_arch.hv_msr_calls++;
    fake_arch.hv_msr_value = val;
    return fake_arch.hv_msr_rc;
}

bool hyperv_hypercall_permitted(struct hv_partition *p, unsigned cpl, bool long_mode_64)
{
    (void)p;
    fake_arch.hv_cpl = cpl;
    fake_arch.hv_long64 = long_mode_64;
    return fake_arch.hv_permitted;
}

uint64_t hyperv_hypercall(struct hv_partition *p, uint64_t rcx, uint64_t rdx, uint64_t r8)
{
    (void)p;
    fake_arch.hv_rcx = rcx;
    fake_arch.hv_rdx = rdx;
    fake_arch.hv_r8 = r8;
    fake_arch.hv_hypercalls++;
    return fake_arch.hv_hypercall_result;
}

size_t hyperv_summary(const struct hv_partition *p, char *buf, size_t cap)
{
    (void)p;
    if (cap)
        buf[0] = 0;
    return 0;
}

void hyperv_log_stats(const struct hv_partition *p)
{
    (void)p;
}
