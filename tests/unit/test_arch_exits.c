/* The exit handlers (hv/arch/x86/exits.c) on the host, through
 * vcpu_handle_exit with a fake VMCB (issue 19 item 5): INTR leaves an event
 * being injected alone (or in the interrupt shadow, asks for a window);
 * CPUID, MSR (APIC_BASE, #GP, EFER's hidden SVME, the Hyper-V range), IOIO
 * (zero-extension, the empty bus, string I/O, resets, power-off), NPF (the
 * void, the single-stepped sink and IOAPIC shadow, a step called off by
 * another exit, RAM, beyond 48 bits, trapped MMIO), INVD, IRET/NMI, next_rip, the SVM
 * instructions and the log limits. The hardware and the rest of the
 * hypervisor are fakes (tests/unit/fake_arch.c); the run's end is
 * arch_stop's verdict, its reason the line vcpu_finish logs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "arch/x86/arch.h"
#include "arch/x86/irq.h"
#include "arch/x86/vcpu.h"
#include "lib/log.h"
#include "lib/summary.h"
#include "verdict.h"
#include "vm/mmio_trap.h"

#include "fake_arch.h"
#include "fake_vcpu.h"
#include "fixture.h"

#define MIB (1ull << 20)
#define GIB (1ull << 30)

#define EFER_SCE  (1ull << 0)
#define EFER_LME  (1ull << 8)
#define EFER_LMA  (1ull << 10)
#define EFER_NXE  (1ull << 11)
#define EFER_SVME (1ull << 12)
/* hv/arch/x86/vcpu.c's EFER_ALLOWED */
#define EFER_ALLOWED                                                                               \
    ((1ull << 0) | (1ull << 8) | (1ull << 10) | (1ull << 11) | (1ull << 14) | (1ull << 15))
#define CR0_PE (1ull << 0)
#define CR0_PG (1ull << 31)

#define IOIO_IN    (1ull << 0)
#define IOIO_STR   (1ull << 2)
#define IOIO_REP   (1ull << 3)
#define IOIO_SZ8   (1ull << 4)
#define IOIO_SZ16  (1ull << 5)
#define IOIO_SZ32  (1ull << 6)
#define IOIO_A64   (1ull << 9)
#define IOIO(port) ((uint64_t)(port) << 16)

#define RIP       0xffffffff81000000ull
#define RAM_SIZE  (64 * MIB)
#define VOID_PAGE 0x7ff000ull
#define PM1_CNT   0x604
#define S5_TYP    5
#define NO_STOP   (-1)

#define GP_EVENT (13 | EVENT_TYPE_EXCP | EVENT_VALID | EVENT_ERROR)
#define UD_EVENT (6 | EVENT_TYPE_EXCP | EVENT_VALID)

static const struct io_machine machine = {
    .pm1a_evt = 0x600,
    .pm1a_cnt = PM1_CNT,
    .pm_tmr = 0x608,
    .s5_slp_typ = S5_TYP,
    .debug_exit = 0xf4,
    .host_uart = 0x2f8,
    .host_debugcon = 0x402,
};

static struct vcpu v;
static struct vmcb *vmcb;
static struct heap heap;
static struct ptable npt;
static void *backing;

static size_t summary_exits(char *buf, size_t cap)
{
    return vcpu_summary_exits(buf, cap);
}

static size_t summary_host(char *buf, size_t cap)
{
    return vcpu_summary_host(&v, buf, cap);
}

/* As hv/guest.c's: why, the summary line, arch_stop. */
static __attribute__((noreturn)) void run_end(int verdict, const char *why)
{
    hv_log("guest", "%s", why);
    summary_write(verdict);
    arch_stop(verdict);
}

static int setup(void **state)
{
    (void)state;
    fake_arch_reset();
    log_reset();
    memset(&v, 0, sizeof(v));
    vmcb = aligned_alloc(4096, sizeof(*vmcb));
    memset(vmcb, 0, sizeof(*vmcb));
    backing = aligned_alloc(PAGE_SIZE, 32 * PAGE_SIZE);
    heap_init(&heap, (uint64_t)(uintptr_t)backing, 32 * PAGE_SIZE);
    memset(&npt, 0, sizeof(npt));
    uint64_t *sink;
    /* as hv/guest.c builds it: a read-only void, the sink for writes */
    if (ptable_init(&npt, &heap) || ptable_void_init(&npt, VOID_PAGE, PT_U) ||
        !(sink = heap_alloc_pages(&heap, 1)) || ptable_sink_init(&npt, sink) ||
        ptable_map(&npt, 0, 0x40000000, RAM_SIZE, PT_W | PT_U) ||
        ptable_map(&npt, 0xfee00000, 0xfee00000, PAGE_SIZE, PT_W | PT_U))
        return -1;
    const char *why;
    static struct io_space io;
    if (io_space_init(&io, &machine, &why))
        return -1;
    v.io = &io;
    fake_vcpu = (struct fake_vcpu){.vp = &v};
    msr_guest_init(&v.msr);
    v.msr.efer_allowed = EFER_ALLOWED;
    v.msr.phys_bits = 48;
    v.vmcb = vmcb;
    v.npt = &npt;
    v.ram_size = RAM_SIZE;
    v.end = run_end;
    summary_reset();
    summary_add(summary_exits);
    summary_add(summary_host);
    vmcb->efer = EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE | EFER_SVME;
    vmcb->cr0 = CR0_PE | CR0_PG;
    vmcb->g_pat = 0x0007040600070406ull;
    vmcb->rip = RIP;
    vmcb->cs.attrib = 1u << 9; /* L */
    vmcb->intercept_misc1 =
        INTERCEPT_INTR | INTERCEPT_CPUID | INTERCEPT_IOIO_PROT | INTERCEPT_MSR_PROT;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    free(vmcb);
    free(backing);
    return 0;
}

/* One exit: the verdict if the run ended (arch_stop), else NO_STOP. */
static int run_exit(uint64_t code, uint64_t info1, uint64_t info2)
{
    vmcb->exitcode = code;
    vmcb->exitinfo1 = info1;
    vmcb->exitinfo2 = info2;
    fake_arch.stopped = false;
    if (setjmp(fake_arch.stop_env))
        return fake_arch.verdict;
    vcpu_handle_exit(&v);
    return NO_STOP;
}

static int rdmsr_exit(uint32_t msr)
{
    v.regs.rcx = msr;
    return run_exit(VMEXIT_MSR, 0, 0);
}

static int wrmsr_exit(uint32_t msr, uint64_t value)
{
    v.regs.rcx = msr;
    vmcb->rax = (value & 0xffffffffu) | 0xdead000000000000ull; /* upper half ignored */
    v.regs.rdx = value >> 32;
    return run_exit(VMEXIT_MSR, 1, 0);
}

static int io_exit(uint16_t port, uint64_t flags)
{
    return run_exit(VMEXIT_IOIO, IOIO(port) | flags, RIP + 2);
}

/* The reason vcpu_finish gave: its "hv: guest: <why>" line. */
static void expect_finish(int got, int verdict, const char *why)
{
    assert_int_equal(got, verdict);
    assert_true(fake_arch.stopped);
    assert_non_null(strstr(logbuf, "hv: guest: "));
    assert_non_null(strstr(strstr(logbuf, "hv: guest: "), why));
    char tail[32];
    snprintf(tail, sizeof(tail), " verdict=%d\n", verdict);
    assert_non_null(strstr(logbuf, "hv: summary exits="));
    assert_non_null(strstr(logbuf, tail));
}

/* --- INTR ----------------------------------------------------------------------- */

/* An event this exit cut short (vcpu_run put it back in EVENTINJ) goes in
 * first: the interrupt stays pending, irq_take is not called. */
static void intr_leaves_pending_event_alone(void **state)
{
    (void)state;
    const uint64_t pf = 14 | EVENT_TYPE_EXCP | EVENT_VALID | EVENT_ERROR | 0x2ull << 32;
    vmcb->eventinj = pf;
    fake_arch.irq_vector = 0x31;
    assert_int_equal(run_exit(VMEXIT_INTR, 0, 0), NO_STOP);
    assert_int_equal(vmcb->eventinj, pf);
    assert_int_equal(fake_arch.irq_takes, 0);
    assert_int_equal(vmcb->rip, RIP);

    const uint64_t nmi = 2 | EVENT_TYPE_NMI | EVENT_VALID;
    vmcb->eventinj = nmi;
    assert_int_equal(run_exit(VMEXIT_INTR, 0, 0), NO_STOP);
    assert_int_equal(vmcb->eventinj, nmi);
    assert_int_equal(fake_arch.irq_takes, 0);
}

static void intr_injects_taken_vector(void **state)
{
    (void)state;
    fake_arch.irq_vector = 0x31;
    assert_int_equal(run_exit(VMEXIT_INTR, 0, 0), NO_STOP);
    assert_int_equal(fake_arch.irq_takes, 1);
    assert_int_equal(vmcb->eventinj, 0x31 | EVENT_TYPE_INTR | EVENT_VALID);
    assert_int_equal(vmcb->rip, RIP);

    /* the host's own interrupt (or nothing): nothing for the guest */
    vmcb->eventinj = 0;
    fake_arch.irq_vector = IRQ_NONE;
    assert_int_equal(run_exit(VMEXIT_INTR, 0, 0), NO_STOP);
    assert_int_equal(fake_arch.irq_takes, 2);
    assert_int_equal(vmcb->eventinj, 0);
}

/* Under QEMU's TCG an injected interrupt is followed at once by a #VMEXIT
 * (a self-kick NMI): VMRUN leaves its vector as the CPU's pending exception,
 * which QEMU would deliver again at its next exit request. Never elsewhere,
 * never for the host's own interrupts. */
static void intr_under_tcg_kicks_itself(void **state)
{
    (void)state;
    fake_arch.irq_vector = 0x31;
    assert_int_equal(run_exit(VMEXIT_INTR, 0, 0), NO_STOP);
    assert_int_equal(fake_arch.self_kicks, 0);

    v.tcg_inject_exit = true;
    vmcb->eventinj = 0;
    assert_int_equal(run_exit(VMEXIT_INTR, 0, 0), NO_STOP);
    assert_int_equal(vmcb->eventinj, 0x31 | EVENT_TYPE_INTR | EVENT_VALID);
    assert_int_equal(fake_arch.self_kicks, 1);

    vmcb->eventinj = 0;
    fake_arch.irq_vector = IRQ_NONE;
    assert_int_equal(run_exit(VMEXIT_INTR, 0, 0), NO_STOP);
    assert_int_equal(fake_arch.self_kicks, 1);
    v.tcg_inject_exit = false;
}

/* Right after STI or MOV SS (the interrupt shadow) the interrupt waits for
 * a window (V_IRQ + the VINTR intercept); the VINTR exit takes it. */
static void intr_in_the_shadow_asks_for_a_window(void **state)
{
    (void)state;
    fake_arch.irq_vector = 0x31;
    vmcb->int_state = INT_SHADOW;
    assert_int_equal(run_exit(VMEXIT_INTR, 0, 0), NO_STOP);
    assert_int_equal(fake_arch.irq_takes, 0);
    assert_int_equal(vmcb->eventinj, 0);
    assert_int_equal(vmcb->vintr & (V_IRQ | V_IGN_TPR), V_IRQ | V_IGN_TPR);
    assert_true(vmcb->intercept_misc1 & INTERCEPT_VINTR);

    vmcb->int_state = 0;
    assert_int_equal(run_exit(VMEXIT_VINTR, 0, 0), NO_STOP);
    assert_int_equal(fake_arch.irq_takes, 1);
    assert_int_equal(vmcb->eventinj, 0x31 | EVENT_TYPE_INTR | EVENT_VALID);
    assert_int_equal(vmcb->vintr & (V_IRQ | V_IGN_TPR), 0);
    assert_false(vmcb->intercept_misc1 & INTERCEPT_VINTR);
    assert_true(vmcb->intercept_misc1 & INTERCEPT_INTR);
    assert_int_equal(vmcb->rip, RIP);

    /* the window opened while an event was being injected: that goes first */
    const uint64_t pf = 14 | EVENT_TYPE_EXCP | EVENT_VALID | EVENT_ERROR;
    vmcb->eventinj = pf;
    vmcb->vintr |= V_IRQ | V_IGN_TPR;
    vmcb->intercept_misc1 |= INTERCEPT_VINTR;
    assert_int_equal(run_exit(VMEXIT_VINTR, 0, 0), NO_STOP);
    assert_int_equal(vmcb->eventinj, pf);
    assert_int_equal(fake_arch.irq_takes, 1);
    assert_false(vmcb->intercept_misc1 & INTERCEPT_VINTR);
}

/* What vcpu_run puts back into EVENTINJ after an exit cut an event short. */
static void reinjected_events(void **state)
{
    (void)state;
    const uint64_t pf = 14 | EVENT_TYPE_EXCP | EVENT_VALID | EVENT_ERROR | 0x2ull << 32;
    assert_int_equal(vcpu_reinjected(pf), pf);
    assert_int_equal(vcpu_reinjected(0x31 | EVENT_TYPE_INTR | EVENT_VALID),
                     0x31 | EVENT_TYPE_INTR | EVENT_VALID);
    assert_int_equal(vcpu_reinjected(2 | EVENT_TYPE_NMI | EVENT_VALID),
                     2 | EVENT_TYPE_NMI | EVENT_VALID);
    assert_int_equal(vcpu_reinjected(0), 0);
    assert_int_equal(vcpu_reinjected(0x31 | EVENT_TYPE_INTR), 0); /* not valid */
    /* INTn, INT3, INTO: their instruction runs again */
    assert_int_equal(vcpu_reinjected(0x80 | EVENT_TYPE_SOFT | EVENT_VALID), 0);
    assert_int_equal(vcpu_reinjected(3 | EVENT_TYPE_EXCP | EVENT_VALID), 0);
    assert_int_equal(vcpu_reinjected(4 | EVENT_TYPE_EXCP | EVENT_VALID), 0);
    assert_int_equal(vcpu_reinjected(6 | EVENT_TYPE_EXCP | EVENT_VALID),
                     6 | EVENT_TYPE_EXCP | EVENT_VALID);
}

/* --- CPUID ------------------------------------------------------------------------ */

static void cpuid_policy_and_advance(void **state)
{
    (void)state;
    fake_arch.cpuid_eax = 0x00a00f11;
    fake_arch.cpuid_ebx = 0x00010800;
    fake_arch.cpuid_ecx = 0x7ed8320b | 1u << 21; /* x2APIC: hidden */
    fake_arch.cpuid_edx = 0x178bfbff;
    vmcb->rax = 0xffffffff00000001ull;
    v.regs.rcx = 0x1234500000000007ull;
    v.regs.rbx = ~0ull;
    assert_int_equal(run_exit(VMEXIT_CPUID, 0, 0), NO_STOP);
    assert_int_equal(fake_arch.cpuid_leaf, 1);
    assert_int_equal(fake_arch.cpuid_subleaf, 7);
    assert_int_equal(vmcb->rip, RIP + 2);
    assert_int_equal(vmcb->rax, 0x00a00f11);
    assert_int_equal(v.regs.rbx, 0x00010800);
    assert_true(v.regs.rcx & 1u << 31);    /* hypervisor present */
    assert_false(v.regs.rcx & 1u << 21);   /* no x2APIC */
    assert_int_equal(v.regs.rcx >> 32, 0); /* 32-bit results zero-extend */
    assert_int_equal(vmcb->eventinj, 0);

    /* a Hyper-V leaf: hv/hyperv answers */
    fake_arch.hv_cpuid = true;
    fake_arch.hv_regs = (struct hyperv_cpuid_regs){0x4000000a, 0x7263694d, 0x666f736f, 0x76482074};
    vmcb->rax = 0x40000000;
    assert_int_equal(run_exit(VMEXIT_CPUID, 0, 0), NO_STOP);
    assert_int_equal(vmcb->rip, RIP + 4);
    assert_int_equal(vmcb->rax, 0x4000000a);
    assert_int_equal(v.regs.rbx, 0x7263694d);
    assert_int_equal(v.regs.rcx, 0x666f736f);
    assert_int_equal(v.regs.rdx, 0x76482074);
}

/* With NRIP save (KVM) the CPU's next_rip is the truth (prefixes included);
 * without it (TCG: next_rip 0, or nrip_save off) the architectural length. */
static void advance_uses_next_rip(void **state)
{
    (void)state;
    v.nrip_save = true;
    vmcb->next_rip = RIP + 5;
    assert_int_equal(run_exit(VMEXIT_CPUID, 0, 0), NO_STOP);
    assert_int_equal(vmcb->rip, RIP + 5);
    vmcb->next_rip = 0;
    assert_int_equal(run_exit(VMEXIT_INVD, 0, 0), NO_STOP);
    assert_int_equal(vmcb->rip, RIP + 7);
    v.nrip_save = false;
    vmcb->next_rip = RIP + 100;
    assert_int_equal(rdmsr_exit(MSR_APIC_BASE), NO_STOP);
    assert_int_equal(vmcb->rip, RIP + 9);
}

/* --- MSR -------------------------------------------------------------------------- */

static void msr_read_apic_base(void **state)
{
    (void)state;
    vmcb->rax = 0x1111111122222222ull;
    v.regs.rdx = 0x3333333344444444ull;
    assert_int_equal(rdmsr_exit(MSR_APIC_BASE), NO_STOP);
    assert_int_equal(vmcb->rax, 0xfee00900);
    assert_int_equal(v.regs.rdx, 0);
    assert_int_equal(vmcb->rip, RIP + 2);
    assert_int_equal(vmcb->eventinj, 0);
    /* writing it back is fine; moving it is not */
    assert_int_equal(wrmsr_exit(MSR_APIC_BASE, 0xfee00900), NO_STOP);
    assert_int_equal(vmcb->rip, RIP + 4);
    assert_int_equal(wrmsr_exit(MSR_APIC_BASE, 0xfee00d00), NO_STOP);
    assert_int_equal(vmcb->eventinj, GP_EVENT);
    assert_int_equal(vmcb->rip, RIP + 4);
}

static void msr_unknown_write_gp(void **state)
{
    (void)state;
    vmcb->rax = 0x12345678;
    v.regs.rdx = 0x9abcdef0;
    assert_int_equal(wrmsr_exit(0x1a0, 0x9abcdef012345678ull), NO_STOP);
    assert_int_equal(vmcb->eventinj, GP_EVENT);
    assert_int_equal(vmcb->rip, RIP);
    assert_int_equal(log_count("hv: msr: write of MSR 0x1a0 refused with #GP"), 1);
    /* logged once per MSR and direction */
    vmcb->eventinj = 0;
    assert_int_equal(wrmsr_exit(0x1a0, 0), NO_STOP);
    assert_int_equal(vmcb->eventinj, GP_EVENT);
    assert_int_equal(log_count("MSR 0x1a0"), 1);
    vmcb->eventinj = 0;
    vmcb->rax = 0x55;
    v.regs.rdx = 0x66;
    assert_int_equal(rdmsr_exit(0x1a0), NO_STOP);
    assert_int_equal(vmcb->eventinj, GP_EVENT);
    assert_int_equal(vmcb->rax, 0x55); /* a refused read writes nothing */
    assert_int_equal(v.regs.rdx, 0x66);
    assert_int_equal(vmcb->rip, RIP);
    assert_int_equal(log_count("hv: msr: read of MSR 0x1a0 refused with #GP"), 1);
    /* the host's SVM MSRs are no different */
    vmcb->eventinj = 0;
    assert_int_equal(wrmsr_exit(0xc0010117, 0), NO_STOP); /* VM_HSAVE_PA */
    assert_int_equal(vmcb->eventinj, GP_EVENT);
    vmcb->eventinj = 0;
    assert_int_equal(wrmsr_exit(0xc0010114, 0), NO_STOP); /* VM_CR */
    assert_int_equal(vmcb->eventinj, GP_EVENT);
    assert_int_equal(fake_arch.hv_msr_calls, 0);
}

/* EFER: SVME is the host's. The guest cannot write it, never reads it, and
 * a write the guest may make keeps it set underneath. */
static void msr_efer_hides_svme(void **state)
{
    (void)state;
    const uint64_t guest = EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE;
    assert_int_equal(rdmsr_exit(MSR_GUEST_EFER), NO_STOP);
    assert_int_equal(vmcb->rax, guest);
    assert_int_equal(v.regs.rdx, 0);
    assert_int_equal(vmcb->rip, RIP + 2);

    assert_int_equal(wrmsr_exit(MSR_GUEST_EFER, guest | EFER_SVME), NO_STOP);
    assert_int_equal(vmcb->eventinj, GP_EVENT);
    assert_int_equal(vmcb->rip, RIP + 2);
    assert_int_equal(vmcb->efer, guest | EFER_SVME);

    vmcb->eventinj = 0;
    assert_int_equal(wrmsr_exit(MSR_GUEST_EFER, guest & ~EFER_NXE), NO_STOP);
    assert_int_equal(vmcb->eventinj, 0);
    assert_int_equal(vmcb->rip, RIP + 4);
    assert_int_equal(vmcb->efer, (guest & ~EFER_NXE) | EFER_SVME);
    assert_int_equal(rdmsr_exit(MSR_GUEST_EFER), NO_STOP);
    assert_int_equal(vmcb->rax, guest & ~EFER_NXE);

    /* LMA is the CPU's; LME cannot leave with paging on */
    assert_int_equal(wrmsr_exit(MSR_GUEST_EFER, EFER_SCE | EFER_LME | EFER_NXE), NO_STOP);
    assert_int_equal(vmcb->efer, guest | EFER_SVME);
    assert_int_equal(wrmsr_exit(MSR_GUEST_EFER, EFER_SCE | EFER_NXE), NO_STOP);
    assert_int_equal(vmcb->eventinj, GP_EVENT);
    assert_int_equal(vmcb->efer, guest | EFER_SVME);
}

/* PAT and TSC go through the VMCB's G_PAT and TSC offset. */
static void msr_pat_and_tsc_reach_the_vmcb(void **state)
{
    (void)state;
    assert_int_equal(wrmsr_exit(MSR_PAT, 0x0606060606060606ull), NO_STOP);
    assert_int_equal(vmcb->g_pat, 0x0606060606060606ull);
    assert_int_equal(wrmsr_exit(MSR_PAT, 0x0606060606060602ull), NO_STOP);
    assert_int_equal(vmcb->eventinj, GP_EVENT);
    assert_int_equal(vmcb->g_pat, 0x0606060606060606ull);

    vmcb->eventinj = 0;
    fake_arch.tsc = 5000000;
    assert_int_equal(wrmsr_exit(MSR_TSC, 1000), NO_STOP);
    assert_int_equal(vmcb->eventinj, 0);
    assert_int_equal(fake_arch.tsc + vmcb->tsc_offset, 1000);
    fake_arch.tsc += 50;
    assert_int_equal(rdmsr_exit(MSR_TSC), NO_STOP);
    assert_int_equal(vmcb->rax, 1050);
}

/* The Hyper-V range goes to hv/hyperv; its answers are the guest's. */
static void msr_hyperv(void **state)
{
    (void)state;
    fake_arch.hv_msr_value = 0x1122334455667788ull;
    assert_int_equal(rdmsr_exit(0x40000002), NO_STOP);
    assert_int_equal(fake_arch.hv_msr, 0x40000002);
    assert_int_equal(vmcb->rax, 0x55667788);
    assert_int_equal(v.regs.rdx, 0x11223344);
    assert_int_equal(vmcb->rip, RIP + 2);

    assert_int_equal(wrmsr_exit(0x40000000, 0x8100000000000000ull | 0x0601), NO_STOP);
    assert_int_equal(fake_arch.hv_msr_value, 0x8100000000000601ull);
    assert_int_equal(vmcb->rip, RIP + 4);

    /* refused by hv/hyperv: #GP, logged there (not here) */
    fake_arch.hv_msr_rc = HV_MSR_GP;
    log_reset();
    assert_int_equal(wrmsr_exit(0x40000001, 5), NO_STOP);
    assert_int_equal(vmcb->eventinj, GP_EVENT);
    assert_int_equal(vmcb->rip, RIP + 4);
    assert_int_equal(log_count("hv: msr:"), 0);
    /* not implemented there: #GP, logged here */
    vmcb->eventinj = 0;
    fake_arch.hv_msr_rc = HV_MSR_UNHANDLED;
    assert_int_equal(rdmsr_exit(0x400000f0), NO_STOP);
    assert_int_equal(vmcb->eventinj, GP_EVENT);
    assert_int_equal(log_count("read of MSR 0x400000f0 refused"), 1);
}

/* --- IOIO ------------------------------------------------------------------------- */

/* A 32-bit IN zero-extends into RAX; an empty port reads all-ones. */
static void ioio_in_dword_zero_extends(void **state)
{
    (void)state;
    vmcb->rax = 0xdeadbeefcafef00dull;
    assert_int_equal(io_exit(0x1234, IOIO_IN | IOIO_SZ32 | IOIO_A64), NO_STOP);
    assert_int_equal(vmcb->rax, 0x00000000ffffffffull);
    assert_int_equal(vmcb->rip, RIP + 2); /* EXITINFO2 */
    assert_int_equal(vmcb->eventinj, 0);
    assert_int_equal(fake_arch.nports, 0);
    assert_int_equal(log_count("hv: io: guest read of port 0x1234 refused"), 1);
}

static void ioio_in_byte_keeps_rax(void **state)
{
    (void)state;
    vmcb->rax = 0x1122334455667788ull;
    assert_int_equal(io_exit(0x1235, IOIO_IN | IOIO_SZ8), NO_STOP);
    assert_int_equal(vmcb->rax, 0x11223344556677ffull);
    vmcb->rax = 0x1122334455667788ull;
    assert_int_equal(io_exit(0x1236, IOIO_IN | IOIO_SZ16), NO_STOP);
    assert_int_equal(vmcb->rax, 0x112233445566ffffull);
    /* straddling into the guest's COM1: its byte from the port, the rest all-ones */
    vmcb->rax = 0x1122334455667788ull;
    assert_int_equal(io_exit(0x3f7, IOIO_IN | IOIO_SZ16), NO_STOP);
    assert_int_equal(vmcb->rax,
                     0x1122334455660000ull | (uint64_t)((0x3f8 ^ 0xa5) & 0xff) << 8 | 0xff);
    assert_int_equal(fake_arch.nports, 1);
    assert_true(fake_arch.ports[0].in);
    assert_int_equal(fake_arch.ports[0].port, 0x3f8);
    assert_int_equal(vmcb->rip, RIP + 2);
}

static void ioio_out_reaches_only_the_guests_ports(void **state)
{
    (void)state;
    vmcb->rax = 0xffffffff44332211ull;
    assert_int_equal(io_exit(0x3fe, IOIO_SZ32), NO_STOP);
    assert_int_equal(vmcb->rax, 0xffffffff44332211ull);
    assert_int_equal(fake_arch.nports, 2);
    assert_false(fake_arch.ports[0].in);
    assert_int_equal(fake_arch.ports[0].port, 0x3fe);
    assert_int_equal(fake_arch.ports[0].value, 0x11);
    assert_int_equal(fake_arch.ports[1].port, 0x3ff);
    assert_int_equal(fake_arch.ports[1].value, 0x22);
    assert_int_equal(log_count("hv: io: guest write to port 0x400 refused"), 1);
    assert_int_equal(vmcb->rip, RIP + 2);
    /* the host's log ports: nothing reaches them */
    assert_int_equal(io_exit(0x402, IOIO_SZ8), NO_STOP);
    assert_int_equal(io_exit(0x2f8, IOIO_SZ8), NO_STOP);
    assert_int_equal(io_exit(0xf4, IOIO_SZ8), NO_STOP);
    assert_int_equal(fake_arch.nports, 2);
    assert_non_null(strstr(logbuf, "port 0xf4 refused: isa-debug-exit"));
}

/* No string I/O emulation: #GP, nothing moved, RIP stays. */
static void ioio_string_gp(void **state)
{
    (void)state;
    vmcb->rax = 0x41;
    assert_int_equal(io_exit(0x3f8, IOIO_STR | IOIO_SZ8), NO_STOP);
    assert_int_equal(vmcb->eventinj, GP_EVENT);
    assert_int_equal(vmcb->rip, RIP);
    vmcb->eventinj = 0;
    assert_int_equal(io_exit(0x92, IOIO_STR | IOIO_REP | IOIO_SZ8), NO_STOP);
    assert_int_equal(vmcb->eventinj, GP_EVENT);
    vmcb->eventinj = 0;
    assert_int_equal(io_exit(0x1000, IOIO_IN | IOIO_REP | IOIO_SZ32), NO_STOP);
    assert_int_equal(vmcb->eventinj, GP_EVENT);
    assert_int_equal(vmcb->rax, 0x41);
    assert_int_equal(vmcb->rip, RIP);
    assert_int_equal(fake_arch.nports, 0);
    assert_int_equal(log_count("string I/O on port"), 3);
}

static void ioio_reset_ends_the_run(void **state)
{
    (void)state;
    vmcb->rax = 0x01;
    int got = io_exit(0x92, IOIO_SZ8);
    expect_finish(got, HV_VERDICT_GUEST_FAIL, "port 0x92");
    assert_int_equal(vmcb->rip, RIP + 2);
    assert_non_null(strstr(logbuf, "reset through port 0x92"));
}

static void ioio_reset_doors(void **state)
{
    (void)state;
    vmcb->rax = 0x06;
    expect_finish(io_exit(0xcf9, IOIO_SZ8), HV_VERDICT_GUEST_FAIL, "0xcf9");
    log_reset();
    vmcb->rax = 0xfe;
    expect_finish(io_exit(0x64, IOIO_SZ8), HV_VERDICT_GUEST_FAIL, "keyboard controller");
    /* 0x04 at 0xcf9 inside a dword to CONFIG_ADDRESS: a PCI address, no reset */
    log_reset();
    vmcb->rax = 0x80000400;
    assert_int_equal(io_exit(0xcf8, IOIO_SZ32), NO_STOP);
    assert_int_equal(vmcb->eventinj, 0);
    assert_int_equal(vmcb->rip, RIP + 2);
}

static void ioio_poweroff(void **state)
{
    (void)state;
    vmcb->rax = (uint64_t)S5_TYP << 10 | 1;
    assert_int_equal(io_exit(PM1_CNT, IOIO_SZ16), NO_STOP); /* SLP_TYP first */
    vmcb->rax |= 0x2000;
    expect_finish(io_exit(PM1_CNT, IOIO_SZ16), HV_VERDICT_PASS, "power-off (ACPI S5)");
}

static void ioio_sleep_ignored(void **state)
{
    (void)state;
    vmcb->rax = 3 << 10 | 0x2000 | 1;
    assert_int_equal(io_exit(PM1_CNT, IOIO_SZ16), NO_STOP);
    assert_int_equal(vmcb->rip, RIP + 2);
    assert_non_null(strstr(logbuf, "sleep state SLP_TYP=3 requested"));
    vmcb->rax = 0;
    assert_int_equal(io_exit(PM1_CNT + 1, IOIO_IN | IOIO_SZ8), NO_STOP);
    assert_int_equal(vmcb->rax, 3 << 2); /* SLP_EN reads 0 */
}

static void ioio_cmos_write_dropped(void **state)
{
    (void)state;
    vmcb->rax = 0x8b;
    assert_int_equal(io_exit(0x70, IOIO_SZ8), NO_STOP);
    vmcb->rax = 0x55;
    assert_int_equal(io_exit(0x71, IOIO_SZ8), NO_STOP);
    assert_int_equal(io_exit(0x71, IOIO_SZ8), NO_STOP);
    assert_int_equal(fake_arch.nports, 0);
    assert_int_equal(log_count("writes to the CMOS are dropped"), 1);
    assert_int_equal(io_exit(0x71, IOIO_IN | IOIO_SZ8), NO_STOP);
    assert_int_equal(fake_arch.nports, 2);
    assert_int_equal(fake_arch.ports[0].port, 0x70);
    assert_int_equal(fake_arch.ports[0].value, 0x0b); /* the NMI bit dropped */
    assert_int_equal(vmcb->rax, 0x71 ^ 0xa5);
}

/* --- NPF ------------------------------------------------------------------------- */

static void npf_unmapped_is_the_void(void **state)
{
    (void)state;
    const uint64_t used = heap.used;
    assert_int_equal(run_exit(VMEXIT_NPF, 0x4, 0xfe000010), NO_STOP);
    assert_true(v.flush_tlb);
    uint64_t pa, flags, ps;
    assert_int_equal(ptable_lookup(&npt, 0xfe000010, &pa, &flags, &ps), 0);
    assert_int_equal(pa, VOID_PAGE | 0x10);
    assert_int_equal(heap.used, used);
    assert_int_equal(vmcb->rip, RIP); /* the access runs again */
    assert_int_equal(vmcb->eventinj, 0);
    assert_non_null(strstr(logbuf, "guest read of unmapped 0xfe000010"));
    /* a read fault where the void is mapped already: another VP mapped it
     * after this one's walk; it goes on with a flushed TLB */
    v.flush_tlb = false;
    log_reset();
    assert_int_equal(run_exit(VMEXIT_NPF, 0x5, 0xfe000010), NO_STOP);
    assert_true(v.flush_tlb);
    assert_int_equal(vmcb->rip, RIP);
    assert_null(strstr(logbuf, "fault at mapped"));
}

static void npf_on_a_mapped_page(void **state)
{
    (void)state;
    expect_finish(run_exit(VMEXIT_NPF, 0x7, 0xfee00300), HV_VERDICT_HV_ERROR, "mapped page");
    assert_non_null(strstr(logbuf, "fault at mapped 0xfee00300"));
}

/* The void is read-only: a write there goes to the sink for one
 * single-stepped instruction (TF and the #DB intercept), then the void is
 * back: the write succeeds and vanishes. */
static void npf_write_goes_to_the_sink(void **state)
{
    (void)state;
    const uint64_t used = heap.used, a = 0xfe000010, b = 0x80000000;
    const uint64_t sink = (uint64_t)(uintptr_t)npt.sink_page;
    uint64_t pa, flags, ps;
    vmcb->rflags = RFLAGS_IF | 2;
    vmcb->dr6 = 0xffff0ff0;
    /* a write to space never touched: backed by the void first (no step) */
    assert_int_equal(run_exit(VMEXIT_NPF, 0x6, a), NO_STOP);
    assert_int_equal(ptable_lookup(&npt, a, &pa, &flags, &ps), 0);
    assert_int_equal(pa, VOID_PAGE | 0x10);
    assert_false(flags & PT_W);
    assert_int_equal(v.step, 0);
    assert_false(vmcb->rflags & RFLAGS_TF);
    /* the write faults again on the read-only void page: the sink, one step */
    v.flush_tlb = false;
    assert_int_equal(run_exit(VMEXIT_NPF, 0x7, a), NO_STOP);
    assert_int_equal(ptable_lookup(&npt, a, &pa, &flags, &ps), 0);
    assert_int_equal(pa, sink | 0x10);
    assert_true(flags & PT_W);
    assert_true(v.flush_tlb);
    assert_int_equal(v.step, VCPU_STEP_SINK);
    assert_true(vmcb->rflags & RFLAGS_TF);
    assert_true(vmcb->intercept_exc & 1u << 1);
    assert_int_equal(vmcb->rip, RIP);
    /* the instruction ran: #DB (single step) puts the void back, all the
     * guest sees is its instruction done */
    v.flush_tlb = false;
    vmcb->dr6 |= 1ull << 14; /* BS */
    assert_int_equal(run_exit(VMEXIT_EXCP_BASE + 1, 0, 0), NO_STOP);
    assert_int_equal(ptable_lookup(&npt, a, &pa, &flags, &ps), 0);
    assert_int_equal(pa, VOID_PAGE | 0x10);
    assert_false(flags & PT_W);
    assert_true(v.flush_tlb);
    assert_int_equal(v.step, 0);
    assert_int_equal(vmcb->rflags, RFLAGS_IF | 2);
    assert_false(vmcb->intercept_exc & 1u << 1);
    assert_false(vmcb->dr6 & 1ull << 14);
    assert_int_equal(vmcb->eventinj, 0);
    /* the next write, elsewhere */
    assert_int_equal(run_exit(VMEXIT_NPF, 0x4, b), NO_STOP);
    assert_int_equal(run_exit(VMEXIT_NPF, 0x7, b), NO_STOP);
    assert_int_equal(ptable_lookup(&npt, b, &pa, &flags, &ps), 0);
    assert_int_equal(pa, sink);
    assert_int_equal(run_exit(VMEXIT_EXCP_BASE + 1, 0, 0), NO_STOP);
    assert_int_equal(ptable_lookup(&npt, b, &pa, &flags, &ps), 0);
    assert_int_equal(pa, VOID_PAGE);
    assert_int_equal(heap.used, used);
    assert_int_equal(vmcb->rip, RIP);
    assert_false(fake_arch.stopped);
}

/* A guest single-stepping itself keeps its TF and gets its #DB; a #DB
 * outside a sink step is the guest's. */
static void db_of_the_guest(void **state)
{
    (void)state;
    vmcb->rflags = RFLAGS_IF | RFLAGS_TF | 2;
    assert_int_equal(run_exit(VMEXIT_NPF, 0x4, 0xfe000000), NO_STOP);
    assert_int_equal(run_exit(VMEXIT_NPF, 0x7, 0xfe000000), NO_STOP);
    assert_int_equal(v.step, VCPU_STEP_SINK);
    assert_int_equal(run_exit(VMEXIT_EXCP_BASE + 1, 0, 0), NO_STOP);
    assert_int_equal(v.step, 0);
    assert_true(vmcb->rflags & RFLAGS_TF);
    assert_int_equal(vmcb->eventinj, 1 | EVENT_TYPE_EXCP | EVENT_VALID);
    uint64_t pa, flags, ps;
    assert_int_equal(ptable_lookup(&npt, 0xfe000000, &pa, &flags, &ps), 0);
    assert_int_equal(pa, VOID_PAGE);

    vmcb->eventinj = 0;
    assert_int_equal(run_exit(VMEXIT_EXCP_BASE + 1, 0, 0), NO_STOP);
    assert_int_equal(vmcb->eventinj, 1 | EVENT_TYPE_EXCP | EVENT_VALID);
}

/* A store across a page boundary, both pages in the void: both take the
 * sink during the step, so the instruction completes (one sink at a time
 * would bounce between the two pages forever). */
static void npf_write_across_two_void_pages(void **state)
{
    (void)state;
    const uint64_t a = 0xfe000ffc, b = 0xfe001000;
    const uint64_t sink = (uint64_t)(uintptr_t)npt.sink_page;
    uint64_t pa, flags, ps;
    assert_int_equal(run_exit(VMEXIT_NPF, 0x6, a), NO_STOP); /* the void */
    assert_int_equal(run_exit(VMEXIT_NPF, 0x7, a), NO_STOP); /* the sink, stepping */
    assert_int_equal(run_exit(VMEXIT_NPF, 0x7, b), NO_STOP); /* the store's second half */
    assert_int_equal(ptable_lookup(&npt, a, &pa, &flags, &ps), 0);
    assert_int_equal(pa & ~0xfffull, sink);
    assert_true(flags & PT_W);
    assert_int_equal(ptable_lookup(&npt, b, &pa, &flags, &ps), 0);
    assert_int_equal(pa & ~0xfffull, sink);
    assert_true(flags & PT_W);
    assert_int_equal(run_exit(VMEXIT_EXCP_BASE + 1, 0, 0), NO_STOP);
    assert_int_equal(ptable_lookup(&npt, a, &pa, &flags, &ps), 0);
    assert_int_equal(pa & ~0xfffull, VOID_PAGE);
    assert_int_equal(ptable_lookup(&npt, b, &pa, &flags, &ps), 0);
    assert_int_equal(pa & ~0xfffull, VOID_PAGE);
    assert_int_equal(v.step, 0);
}

static void npf_beyond_48_bits(void **state)
{
    (void)state;
    expect_finish(run_exit(VMEXIT_NPF, 0x4, 1ull << 48), HV_VERDICT_GUEST_FAIL,
                  "beyond MAXPHYADDR");
    log_reset();
    expect_finish(run_exit(VMEXIT_NPF, 0x6, ~0ull & ~0xfffull), HV_VERDICT_GUEST_FAIL,
                  "beyond MAXPHYADDR");
}

static void npf_in_ram(void **state)
{
    (void)state;
    expect_finish(run_exit(VMEXIT_NPF, 0x7, 0x100000), HV_VERDICT_HV_ERROR, "inside guest RAM");
    log_reset();
    expect_finish(run_exit(VMEXIT_NPF, 0x7, RAM_SIZE - 1), HV_VERDICT_HV_ERROR, "inside guest RAM");
}

/* A trapped MMIO page (vm/mmio_trap.h) comes before the void: the
 * instruction at RIP is fetched through the guest's tables and retired with
 * the VMCB's RAX and RSP and the saved registers as its register file. */
static uint64_t trap_got;
static uint64_t trap_read(void *ctx, uint64_t off, unsigned size)
{
    (void)ctx;
    return off | (uint64_t)size << 32;
}
static void trap_write(void *ctx, uint64_t off, unsigned size, uint64_t val)
{
    (void)ctx;
    trap_got = val ^ off ^ size;
}

static void npf_trapped_mmio_is_emulated(void **state)
{
    (void)state;
    static const struct mmio_trap_ops ops = {trap_read, trap_write};
    const uint64_t trap = 0xfe100000, va = 0xffffc90000000000ull;
    struct guest_mem gm = {aligned_alloc(PAGE_SIZE, 16 * PAGE_SIZE), 16 * PAGE_SIZE};
    memset(gm.host, 0, gm.size);
    uint64_t tables[4][2] = {{0x1000 + 511 * 8, 0x2003},
                             {0x2000 + 510 * 8, 0x3003},
                             {0x3000 + 8 * 8, 0x4003},
                             {0x4000, 0x5003}}; /* RIP -> 0x5000 */
    for (unsigned i = 0; i < 4; i++)
        memcpy(gm.host + tables[i][0], &tables[i][1], 8);
    const uint8_t code[] = {0x8b, 0x47, 0x10,              /* mov 0x10(%rdi),%eax */
                            0x4c, 0x89, 0x7c, 0x24, 0x08}; /* mov %r15,0x8(%rsp) */
    memcpy(gm.host + 0x5000, code, sizeof(code));
    vmcb->cr3 = 0x1000;
    mmio_trap_init(&gm);
    assert_int_equal(mmio_trap_add(trap, PAGE_SIZE, &ops, NULL), 0);
    assert_int_equal(mmio_trap_attach(&npt, vcpu_npt_changed), 0);
    v.regs.rdi = va;
    vmcb->rax = ~0ull;
    assert_int_equal(run_exit(VMEXIT_NPF, 0x4, trap + 0x10), NO_STOP);
    assert_int_equal(vmcb->rax, 0x10); /* a 32-bit load: the upper half cleared */
    assert_int_equal(vmcb->rip, RIP + 3);
    vmcb->rsp = va + 0x20;
    v.regs.r15 = 0x1234567890ull;
    assert_int_equal(run_exit(VMEXIT_NPF, 0x6, trap + 0x28), NO_STOP);
    assert_int_equal(trap_got, 0x1234567890ull ^ 0x28 ^ 8);
    assert_int_equal(vmcb->rip, RIP + 8);
    assert_int_equal(log_count("empty bus"), 0);
    /* what cannot be emulated ends the run */
    gm.host[0x5008] = 0xf0; /* lock */
    expect_finish(run_exit(VMEXIT_NPF, 0x6, trap + 0x28), HV_VERDICT_GUEST_FAIL,
                  "trapped MMIO that cannot be emulated");
    assert_int_equal(log_count("refused: LOCK"), 1);
    mmio_trap_remove(trap, PAGE_SIZE);
    free(gm.host);
}

/* The IOAPIC page is read-only (or unmapped): a fault there runs the
 * instruction once, single-stepped, on the shadow page ioapic.c maps; the
 * #DB after it hands the result to ioapic.c. Never logged as the void. */
static void npf_ioapic_steps_one_instruction(void **state)
{
    (void)state;
    vmcb->rflags = RFLAGS_IF | 2;
    vmcb->dr6 = 0xffff0ff0;
    assert_int_equal(run_exit(VMEXIT_NPF, 0x7, 0xfec00010), NO_STOP);
    assert_int_equal(fake_arch.ioapic_accesses, 1);
    assert_int_equal(v.step, VCPU_STEP_IOAPIC);
    assert_true(vmcb->rflags & RFLAGS_TF);
    assert_true(vmcb->intercept_exc & 1u << 1);
    assert_true(v.flush_tlb);
    assert_int_equal(vmcb->rip, RIP); /* the access runs again, on the shadow */
    assert_int_equal(loglen, 0);
    v.flush_tlb = false;
    vmcb->dr6 |= DR6_BS;
    assert_int_equal(run_exit(VMEXIT_EXCP_BASE + 1, 0, 0), NO_STOP);
    assert_int_equal(fake_arch.ioapic_ran, 1);
    assert_int_equal(fake_arch.ioapic_cancelled, 0);
    assert_int_equal(v.step, 0);
    assert_true(v.flush_tlb);
    assert_int_equal(vmcb->rflags, RFLAGS_IF | 2);
    assert_false(vmcb->intercept_exc & 1u << 1);
    assert_false(vmcb->dr6 & DR6_BS);
    assert_int_equal(vmcb->eventinj, 0);
    /* a read fault (the page unmapped while a host pin's register is selected) too */
    assert_int_equal(run_exit(VMEXIT_NPF, 0x4, 0xfec00010), NO_STOP);
    assert_int_equal(fake_arch.ioapic_accesses, 2);
    assert_int_equal(v.step, VCPU_STEP_IOAPIC);
    assert_false(fake_arch.stopped);
}

/* An exit before the #DB means the instruction has not run (a trap of the
 * last instruction goes before any other event): the step is called off,
 * its page put back without a result, and the exit handled as usual; the
 * instruction faults again later. */
static void step_cut_short_by_an_interrupt(void **state)
{
    (void)state;
    vmcb->rflags = RFLAGS_IF | 2;
    assert_int_equal(run_exit(VMEXIT_NPF, 0x6, 0xfec00000), NO_STOP);
    fake_arch.irq_vector = 0x31;
    assert_int_equal(run_exit(VMEXIT_INTR, 0, 0), NO_STOP);
    assert_int_equal(fake_arch.ioapic_cancelled, 1);
    assert_int_equal(fake_arch.ioapic_ran, 0);
    assert_int_equal(v.step, 0);
    assert_int_equal(vmcb->rflags, RFLAGS_IF | 2);
    assert_false(vmcb->intercept_exc & 1u << 1);
    assert_int_equal(vmcb->eventinj, 0x31 | EVENT_TYPE_INTR | EVENT_VALID);
    /* the sink alike: the void is back */
    vmcb->eventinj = 0;
    uint64_t pa, flags, ps;
    assert_int_equal(run_exit(VMEXIT_NPF, 0x6, 0xfe000000), NO_STOP);
    assert_int_equal(run_exit(VMEXIT_NPF, 0x7, 0xfe000000), NO_STOP);
    assert_int_equal(v.step, VCPU_STEP_SINK);
    v.regs.rcx = 0;
    assert_int_equal(run_exit(VMEXIT_CPUID, 0, 0), NO_STOP); /* say, intercepted instead */
    assert_int_equal(v.step, 0);
    assert_int_equal(ptable_lookup(&npt, 0xfe000000, &pa, &flags, &ps), 0);
    assert_int_equal(pa, VOID_PAGE);
    assert_false(vmcb->rflags & RFLAGS_TF);
}

/* One instruction on the IOAPIC page and into the void past it: both
 * pages are in place for the one step, and both go back at its #DB. */
static void step_on_the_ioapic_and_the_sink(void **state)
{
    (void)state;
    uint64_t pa, flags, ps;
    assert_int_equal(run_exit(VMEXIT_NPF, 0x6, 0xfec01000), NO_STOP); /* the void */
    assert_int_equal(run_exit(VMEXIT_NPF, 0x7, 0xfec00ffc), NO_STOP);
    assert_int_equal(run_exit(VMEXIT_NPF, 0x7, 0xfec01000), NO_STOP);
    assert_int_equal(v.step, VCPU_STEP_IOAPIC | VCPU_STEP_SINK);
    assert_int_equal(fake_arch.ioapic_accesses, 1);
    assert_int_equal(run_exit(VMEXIT_EXCP_BASE + 1, 0, 0), NO_STOP);
    assert_int_equal(v.step, 0);
    assert_int_equal(fake_arch.ioapic_ran, 1);
    assert_int_equal(ptable_lookup(&npt, 0xfec01000, &pa, &flags, &ps), 0);
    assert_int_equal(pa, VOID_PAGE);
}

/* A hardware breakpoint that hits during a step is the guest's #DB, without
 * the step's TF and BS. */
static void breakpoint_during_a_step(void **state)
{
    (void)state;
    vmcb->rflags = RFLAGS_IF | 2;
    vmcb->dr6 = 0xffff0ff0;
    assert_int_equal(run_exit(VMEXIT_NPF, 0x7, 0xfec00040), NO_STOP);
    vmcb->dr6 |= DR6_BS | 1;
    assert_int_equal(run_exit(VMEXIT_EXCP_BASE + 1, 0, 0), NO_STOP);
    assert_int_equal(fake_arch.ioapic_ran, 1);
    assert_int_equal(vmcb->eventinj, 1 | EVENT_TYPE_EXCP | EVENT_VALID);
    assert_int_equal(vmcb->rflags, RFLAGS_IF | 2);
    assert_false(vmcb->dr6 & DR6_BS);
    assert_true(vmcb->dr6 & 1);
}

/* --- instructions ----------------------------------------------------------------- */

static void invd_is_wbinvd(void **state)
{
    (void)state;
    assert_int_equal(run_exit(VMEXIT_INVD, 0, 0), NO_STOP);
    assert_int_equal(vmcb->rip, RIP + 2);
    assert_int_equal(fake_arch.wbinvd, 1);
    assert_int_equal(run_exit(VMEXIT_INVD, 0, 0), NO_STOP);
    assert_int_equal(vmcb->rip, RIP + 4);
    assert_int_equal(fake_arch.wbinvd, 2);
    assert_int_equal(vmcb->eventinj, 0);
}

/* An NMI handler's IRET exits; the next NMI may go in from the exit after. */
static void iret_unmasks_nmis_at_the_next_exit(void **state)
{
    (void)state;
    v.nmi_masked = true;
    vmcb->intercept_misc1 |= INTERCEPT_IRET;
    assert_int_equal(run_exit(VMEXIT_IRET, 0, 0), NO_STOP);
    assert_false(vmcb->intercept_misc1 & INTERCEPT_IRET);
    assert_true(vmcb->intercept_misc1 & INTERCEPT_CPUID); /* the others stay */
    assert_true(v.nmi_masked);                            /* the IRET has not run yet */
    assert_int_equal(vmcb->rip, RIP);
    fake_arch.cpuid_eax = 1;
    vmcb->rax = 0;
    assert_int_equal(run_exit(VMEXIT_CPUID, 0, 0), NO_STOP);
    assert_false(v.nmi_masked);
    assert_false(v.nmi_iret);
}

static void svm_instructions_ud(void **state)
{
    (void)state;
    static const uint64_t codes[] = {VMEXIT_VMRUN, VMEXIT_VMLOAD, VMEXIT_VMSAVE, VMEXIT_STGI,
                                     VMEXIT_CLGI,  VMEXIT_SKINIT, VMEXIT_INVLPGA};
    for (unsigned i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
        vmcb->eventinj = 0;
        assert_int_equal(run_exit(codes[i], 0, 0), NO_STOP);
        assert_int_equal(vmcb->eventinj, UD_EVENT);
        assert_int_equal(vmcb->rip, RIP);
    }
}

static void vmmcall(void **state)
{
    (void)state;
    /* refused (not CPL 0, not 64-bit, or no hypercall page): #UD */
    vmcb->cpl = 3;
    assert_int_equal(run_exit(VMEXIT_VMMCALL, 0, 0), NO_STOP);
    assert_int_equal(vmcb->eventinj, UD_EVENT);
    assert_int_equal(fake_arch.hv_cpl, 3);
    assert_true(fake_arch.hv_long64);
    assert_int_equal(fake_arch.hv_hypercalls, 0);
    assert_int_equal(vmcb->rip, RIP);

    vmcb->eventinj = 0;
    vmcb->cpl = 0;
    fake_arch.hv_permitted = true;
    fake_arch.hv_hypercall_result = 0x1234;
    v.regs.rcx = 0x5c;
    v.regs.rdx = 0x1000;
    v.regs.r8 = 0x2000;
    assert_int_equal(run_exit(VMEXIT_VMMCALL, 0, 0), NO_STOP);
    assert_int_equal(vmcb->rax, 0x1234);
    assert_int_equal(vmcb->rip, RIP + 3);
    assert_int_equal(fake_arch.hv_rcx, 0x5c);
    assert_int_equal(fake_arch.hv_rdx, 0x1000);
    assert_int_equal(fake_arch.hv_r8, 0x2000);
    assert_int_equal(vmcb->eventinj, 0);

    /* compatibility mode: LMA without CS.L */
    vmcb->cs.attrib = 0;
    assert_int_equal(run_exit(VMEXIT_VMMCALL, 0, 0), NO_STOP);
    assert_false(fake_arch.hv_long64);
}

/* A physical INIT the guest sent through its LAPIC: VP 0 is not reset (a
 * BSP is not), another VP waits for a SIPI; the run goes on either way. */
static void init_resets_only_an_ap(void **state)
{
    (void)state;
    assert_int_equal(run_exit(VMEXIT_INIT, 0, 0), NO_STOP);
    assert_int_equal(fake_vcpu.inits, 0);
    assert_non_null(strstr(logbuf, "vp 0: INIT sent through the LAPIC"));
    v.vp = 1;
    assert_int_equal(run_exit(VMEXIT_INIT, 0, 0), NO_STOP);
    assert_int_equal(fake_vcpu.inits, 1);
    v.vp = 0;
}

static void shutdown_and_unknown_exits_end_the_run(void **state)
{
    (void)state;
    expect_finish(run_exit(VMEXIT_SHUTDOWN, 0, 0), HV_VERDICT_GUEST_FAIL, "triple fault");
    log_reset();
    log_reset();
    expect_finish(run_exit(VMEXIT_HLT, 0, 0), HV_VERDICT_HV_ERROR, "does not handle");
    assert_non_null(strstr(logbuf, "unhandled exit 0x78"));
    log_reset();
    expect_finish(run_exit(VMEXIT_INVALID, 0, 0), HV_VERDICT_HV_ERROR, "does not handle");
    assert_non_null(strstr(logbuf, "VMRUN failed"));
}

/* --- log limits (exits.c's memory of what it said lasts the whole run) ---- */

/* Any number of distinct refused MSRs: at most 16 lines, the last one
 * saying so; every access still #GPs. */
static void log_limit_msrs(void **state)
{
    (void)state;
    for (uint32_t i = 0; i < 100; i++) {
        vmcb->eventinj = 0;
        assert_int_equal(wrmsr_exit(0x1000 + i, i), NO_STOP);
        assert_int_equal(vmcb->eventinj, GP_EVENT);
        vmcb->eventinj = 0;
        assert_int_equal(rdmsr_exit(0x2000 + i), NO_STOP);
        assert_int_equal(vmcb->eventinj, GP_EVENT);
    }
    assert_true(log_count("hv: msr: ") <= 16);
    assert_true(log_count("hv: msr: ") >= 1); /* earlier tests refused a few */
    assert_int_equal(log_count("(further MSRs not reported)"), 1);
    log_reset();
    for (uint32_t i = 0; i < 100; i++)
        assert_int_equal(rdmsr_exit(0x3000 + i), NO_STOP);
    assert_int_equal(log_count("hv: msr: "), 0);
}

static void log_limit_ports(void **state)
{
    (void)state;
    for (uint16_t i = 0; i < 100; i++) {
        assert_int_equal(io_exit(0x5000 + i, IOIO_SZ8), NO_STOP);
        assert_int_equal(io_exit(0x6000 + i, IOIO_IN | IOIO_SZ32), NO_STOP);
        assert_int_equal(vmcb->rax, 0xffffffffu);
    }
    assert_true(log_count("hv: io: ") <= 16);
    assert_true(log_count("hv: io: ") >= 1);
    assert_int_equal(log_count("(further ports not reported)"), 1);
    log_reset();
    for (uint16_t i = 0; i < 100; i++)
        assert_int_equal(io_exit(0x7000 + i, IOIO_SZ8), NO_STOP);
    assert_int_equal(log_count("hv: io: "), 0);
}

static void log_limit_sleep_and_npf(void **state)
{
    (void)state;
    for (unsigned i = 0; i < 100; i++) {
        vmcb->rax = 3 << 10 | 0x2000;
        assert_int_equal(io_exit(PM1_CNT, IOIO_SZ16), NO_STOP);
        /* one fault per 512 GiB: each backs a whole PML4 entry's worth */
        assert_int_equal(run_exit(VMEXIT_NPF, 0x4, (2 + i) * 512 * GIB), NO_STOP);
    }
    assert_true(log_count("sleep state") <= 16);
    assert_true(log_count("hv: npt: ") <= 16);
    assert_int_equal(log_count("(further faults not reported)"), 1);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(intr_leaves_pending_event_alone),
        T(intr_injects_taken_vector),
        T(intr_in_the_shadow_asks_for_a_window),
        T(intr_under_tcg_kicks_itself),
        T(reinjected_events),
        T(cpuid_policy_and_advance),
        T(advance_uses_next_rip),
        T(msr_read_apic_base),
        T(msr_unknown_write_gp),
        T(msr_efer_hides_svme),
        T(msr_pat_and_tsc_reach_the_vmcb),
        T(msr_hyperv),
        T(ioio_in_dword_zero_extends),
        T(ioio_in_byte_keeps_rax),
        T(ioio_out_reaches_only_the_guests_ports),
        T(ioio_string_gp),
        T(ioio_reset_ends_the_run),
        T(ioio_reset_doors),
        T(ioio_poweroff),
        T(ioio_sleep_ignored),
        T(ioio_cmos_write_dropped),
        T(npf_unmapped_is_the_void),
        T(npf_on_a_mapped_page),
        T(npf_write_goes_to_the_sink),
        T(db_of_the_guest),
        T(npf_write_across_two_void_pages),
        T(npf_beyond_48_bits),
        T(npf_in_ram),
        T(npf_trapped_mmio_is_emulated),
        T(invd_is_wbinvd),
        T(iret_unmasks_nmis_at_the_next_exit),
        T(svm_instructions_ud),
        T(vmmcall),
        T(init_resets_only_an_ap),
        T(shutdown_and_unknown_exits_end_the_run),
        /* last: they use up exits.c's report budget */
        T(log_limit_msrs),
        T(log_limit_ports),
        T(log_limit_sleep_and_npf),
        /* after the log limits: these back void pages, whose first reports they count */
        T(npf_ioapic_steps_one_instruction),
        T(step_cut_short_by_an_interrupt),
        T(step_on_the_ioapic_and_the_sink),
        T(breakpoint_during_a_step),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
