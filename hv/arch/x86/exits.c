/* One handler per exit reason; the table at the bottom is the map. Under TCG
 * there is no NRIP save: instruction lengths are architectural (CPUID, RDMSR,
 * WRMSR, INVD: 2 bytes; VMMCALL: 3), IOIO exits carry the next RIP in
 * EXITINFO2; where the CPU has NRIP save (KVM), next_rip is used instead. */
#include "arch/x86/arch.h"
#include "arch/x86/cpu.h"
#include "arch/x86/ioapic.h"
#include "arch/x86/irq.h"
#include "arch/x86/percpu.h"
#include "arch/x86/vcpu.h"
#include "lib/fmt.h"
#include "lib/log.h"
#include "lib/log_once.h"
#include "lib/ptable.h"
#include "lib/trace.h"
#include "verdict.h"
#include "vm/cpuid.h"
#include "vm/judge.h"
#include "vm/layout.h"
#include "vm/mmio_trap.h"

#define EFER_LMA     (1ull << 10)
#define SEG_ATTRIB_L (1u << 9)
#define IOIO_IN      (1ull << 0)
#define IOIO_STR     (1ull << 2)
#define IOIO_REP     (1ull << 3)
#define NPF_WRITE    (1ull << 1)
#define VA_COVERED   (1ull << GUEST_PHYS_BITS_MAX)

enum reason {
    R_CPUID,
    R_MSR,
    R_IOIO,
    R_NPF,
    R_VMMCALL,
    R_INTR,
    R_SVM_INSN,
    R_SHUTDOWN,
    R_INVD,
    R_IRET,
    R_OTHER,
    R_COUNT
};
static const char *const reason_names[R_COUNT] = {
    "cpuid",    "msr",      "ioio", "npf",  "vmmcall", "intr",
    "svm_insn", "shutdown", "invd", "iret", "other",
};
_Static_assert(R_COUNT <= sizeof(((struct vcpu *)0)->count) / sizeof(uint64_t), "counters");

/* Past the intercepted instruction: the CPU's next_rip where it reports it
 * (robust to prefixes), else the architectural length. */
static void advance(struct vcpu *v, unsigned len)
{
    if (v->nrip_save && v->vmcb->next_rip)
        v->vmcb->rip = v->vmcb->next_rip;
    else
        v->vmcb->rip += len;
}

uint64_t vcpu_reinjected(uint64_t exitintinfo)
{
    if (!(exitintinfo & EVENT_VALID))
        return 0;
    uint64_t type = exitintinfo & EVENT_TYPE_MASK, vector = exitintinfo & EVENT_VECTOR;
    if (type == EVENT_TYPE_SOFT || (type == EVENT_TYPE_EXCP && (vector == 3 || vector == 4)))
        return 0; /* INTn, INT3, INTO: RIP is still at the instruction */
    return exitintinfo;
}

static void inject(struct vcpu *v, uint64_t vector, bool error_code)
{
    v->vmcb->eventinj = vector | EVENT_TYPE_EXCP | EVENT_VALID | (error_code ? EVENT_ERROR : 0);
}

void vcpu_inject_gp(struct vcpu *v)
{
    inject(v, 13, true); /* error code 0 in bits 63:32 */
}

void vcpu_inject_ud(struct vcpu *v)
{
    inject(v, 6, false);
}

void vcpu_report(struct vcpu *v)
{
    struct vmcb *c = v->vmcb;
    hv_log("vcpu", "guest rip=0x%llx rsp=0x%llx rflags=0x%llx cpl=%u", (unsigned long long)c->rip,
           (unsigned long long)c->rsp, (unsigned long long)c->rflags, c->cpl);
    hv_log("vcpu", "guest cr0=0x%llx cr2=0x%llx cr3=0x%llx cr4=0x%llx efer=0x%llx",
           (unsigned long long)c->cr0, (unsigned long long)c->cr2, (unsigned long long)c->cr3,
           (unsigned long long)c->cr4, (unsigned long long)c->efer);
    hv_log("vcpu", "guest rax=%llx rbx=%llx rcx=%llx rdx=%llx rsi=%llx rdi=%llx",
           (unsigned long long)c->rax, (unsigned long long)v->regs.rbx,
           (unsigned long long)v->regs.rcx, (unsigned long long)v->regs.rdx,
           (unsigned long long)v->regs.rsi, (unsigned long long)v->regs.rdi);
    uint64_t n = v->exits < EXIT_RING ? v->exits : EXIT_RING;
    hv_log("vcpu", "last %llu exits, oldest first:", (unsigned long long)n);
    for (uint64_t i = v->exits - n; i < v->exits; i++) {
        const struct exit_record *r = &v->ring[i % EXIT_RING];
        hv_log("vcpu", "  #%llu code=0x%llx info1=0x%llx info2=0x%llx rip=0x%llx",
               (unsigned long long)i, (unsigned long long)r->code, (unsigned long long)r->info1,
               (unsigned long long)r->info2, (unsigned long long)r->rip);
    }
}

void vcpu_finish(struct vcpu *v, int verdict, const char *why)
{
    if (vcpu_count() > 1)
        hv_log("vcpu", "vp %u ends the run", v->vp);
    v->end(verdict, why);
}

size_t vcpu_summary_exits(char *buf, size_t cap)
{
    uint64_t exits = 0, count[R_COUNT] = {0};
    for (uint32_t i = 0; i < vcpu_count(); i++) {
        const struct vcpu *v = vcpu_of(i);
        exits += v->exits;
        for (unsigned r = 0; r < R_COUNT; r++)
            count[r] += v->count[r];
    }
    size_t n = (size_t)fmt_snprintf(buf, cap, " exits=%llu", (unsigned long long)exits);
    for (unsigned r = 0; r < R_COUNT; r++)
        n += (size_t)fmt_snprintf(n < cap ? buf + n : NULL, n < cap ? cap - n : 0, " %s=%llu",
                                  reason_names[r], (unsigned long long)count[r]);
    return n;
}

size_t vcpu_summary_host(const struct vcpu *v, char *buf, size_t cap)
{
    uint64_t ticks = tsc_read() - v->tsc_start;
    uint64_t ms = v->tsc_hz ? ticks / (v->tsc_hz / 1000) : 0;
    size_t n = ioapic_summary(buf, cap);
    return n + (size_t)fmt_snprintf(n < cap ? buf + n : NULL, n < cap ? cap - n : 0,
                                    " host_timer=%llu host_dev_irqs=%llu bad_vectors=%llu"
                                    " guest_ms=%llu",
                                    (unsigned long long)irq_host_timer_count(),
                                    (unsigned long long)irq_host_dev_count(),
                                    (unsigned long long)irq_reserved_count(),
                                    (unsigned long long)ms);
}

static void handle_cpuid(struct vcpu *v)
{
    uint32_t leaf = (uint32_t)v->vmcb->rax, sub = (uint32_t)v->regs.rcx;
    struct cpuid_regs h = cpuid(leaf, sub);
    struct cpuid_result r = {h.eax, h.ebx, h.ecx, h.edx};
    struct hyperv_cpuid_regs hr;
    if (hyperv_cpuid(v->hv, leaf, &hr))
        r = (struct cpuid_result){hr.eax, hr.ebx, hr.ecx, hr.edx};
    else
        cpuid_policy(leaf, sub, &r);
    v->vmcb->rax = r.eax;
    v->regs.rbx = r.ebx;
    v->regs.rcx = r.ecx;
    v->regs.rdx = r.edx;
    advance(v, 2);
}

/* Every MSR the table does not pass through (hv/vm/msrs.c). */
static void handle_msr(struct vcpu *v)
{
    struct vmcb *c = v->vmcb;
    uint32_t msr = (uint32_t)v->regs.rcx;
    bool write = c->exitinfo1 & 1;
    uint64_t value = (c->rax & 0xffffffffu) | (v->regs.rdx << 32);

    v->msr.efer = c->efer & ~EFER_SVME;
    v->msr.cr0 = c->cr0;
    v->msr.pat = c->g_pat;
    v->msr.tsc_offset = c->tsc_offset;
    v->msr.host_tsc = tsc_read();
    enum msr_status st = msr_access(&v->msr, msr, write, &value);
    c->efer = v->msr.efer | EFER_SVME; /* SVME stays set underneath and invisible */
    c->g_pat = v->msr.pat;
    c->tsc_offset = v->msr.tsc_offset;
    int rc = HV_MSR_OK;
    v->host_work_due =
        st == MSR_HYPERV && write && (msr < HV_MSR_APIC_EOI || msr > HV_MSR_APIC_TPR);
    if (st == MSR_HYPERV)
        rc = write ? hyperv_msr_write(v->hv, v->vp, msr, value)
                   : hyperv_msr_read(v->hv, v->vp, msr, &value);
    if (st == MSR_GP || rc != HV_MSR_OK) {
        /* refused synthetic MSRs were logged by hv/hyperv already */
        if (st == MSR_GP || rc == HV_MSR_UNHANDLED)
            judge_msr_refused(msr, write);
        vcpu_inject_gp(v);
        return;
    }
    if (!write) {
        c->rax = value & 0xffffffffu;
        v->regs.rdx = value >> 32;
    }
    advance(v, 2);
}

static uint8_t hw_in8(uint16_t port)
{
    return inb(port);
}

static void hw_out8(uint16_t port, uint8_t value)
{
    outb(port, value);
}

/* Every access to a port the guest does not own, whole or in part
 * (hv/vm/ioports.c decides, range by range). */
static void handle_ioio(struct vcpu *v)
{
    static const struct io_hw hw = {hw_in8, hw_out8};
    struct vmcb *c = v->vmcb;
    uint64_t info = c->exitinfo1;
    uint16_t port = (uint16_t)(info >> 16);
    unsigned size = (info >> 4) & 7; /* SZ8/SZ16/SZ32 bits: 1, 2, 4 */
    bool in = info & IOIO_IN;
    if (info & (IOIO_STR | IOIO_REP)) {
        /* no string I/O emulation: as a port that cannot take it */
        judge_string_io(v->io, port);
        vcpu_inject_gp(v);
        return;
    }
    uint32_t val = (uint32_t)c->rax;
    struct io_result r = io_access(v->io, &hw, port, size, in, &val);
    if (in) {
        /* a 32-bit IN zero-extends into RAX, as every 32-bit register write */
        uint64_t mask = size == 4 ? ~0ull : (1ull << (size * 8)) - 1;
        c->rax = (c->rax & ~mask) | (val & mask);
    }
    c->rip = c->exitinfo2;
    char why[128];
    int verdict = judge_io(v->io, &r, in, why, sizeof(why));
    if (verdict != JUDGE_RUNS)
        vcpu_finish(v, verdict, why);
}

/* One guest instruction single-stepped (RFLAGS.TF and the #DB intercept)
 * while what handle_npf mapped for it is in place: the sink, the IOAPIC's
 * shadow page, or both (an instruction touching both pages). */
static void step_begin(struct vcpu *v, uint8_t what)
{
    if (!v->step) {
        v->step_guest_tf = v->vmcb->rflags & RFLAGS_TF;
        v->vmcb->rflags |= RFLAGS_TF;
        v->vmcb->intercept_exc |= 1u << 1;
    }
    v->step |= what;
    v->flush_tlb = true;
}

/* The step is over: the instruction ran (#DB), or another exit came first
 * (an interrupt, an intercept) and it runs again later, faulting again.
 * What the fault mapped goes back either way. */
static void step_end(struct vcpu *v, bool ran)
{
    if (v->step & VCPU_STEP_SINK)
        ptable_release_sink(v->npt);
    if (v->step & VCPU_STEP_IOAPIC)
        ioapic_access_done(ran);
    v->step = 0;
    v->flush_tlb = true;
    v->vmcb->intercept_exc &= ~(1u << 1);
    if (!v->step_guest_tf)
        v->vmcb->rflags &= ~RFLAGS_TF;
}

/* A trapped range's access, emulated by hv/vm/mmio_trap.c: true if gpa is in one. */
static bool mmio_fault(struct vcpu *v, uint64_t gpa)
{
    struct vmcb *c = v->vmcb;
    struct guest_regs *r = &v->regs;
    struct mmio_cpu cpu = {
        .gpr = {&c->rax, &r->rcx, &r->rdx, &r->rbx, &c->rsp, &r->rbp, &r->rsi, &r->rdi, &r->r8,
                &r->r9, &r->r10, &r->r11, &r->r12, &r->r13, &r->r14, &r->r15},
        .rip = &c->rip,
        .cr0 = c->cr0,
        .cr3 = c->cr3,
        .cr4 = c->cr4,
        .efer = c->efer,
        .cs_base = c->cs.base,
        .cs_attrib = c->cs.attrib,
        .in_event = c->exitintinfo & EVENT_VALID,
    };
    const char *why;
    enum mmio_trap_result res = mmio_trap_fault(gpa, c->exitinfo1, &cpu, &why);
    if (res == MMIO_REFUSED)
        vcpu_finish(v, HV_VERDICT_GUEST_FAIL, why);
    return res == MMIO_EMULATED;
}

/* Guest-physical space that is neither RAM nor given to the guest: the
 * region is backed by the void (lib/ptable.h), one shared read-only all-ones
 * page reached through shared tables, so any amount of it costs no memory. A
 * write there goes to the sink for one single-stepped instruction: it
 * succeeds and vanishes, as on an empty bus. The IOAPIC page is read-only
 * (or unmapped): its faults go to the IOAPIC's shadow (ioapic.c). A trapped
 * range (vm/mmio_trap.h) is a hole, its accesses emulated. */
static void handle_npf(struct vcpu *v)
{
    static struct log_budget unmapped = LOG_BUDGET(16, " (further faults not reported)");
    uint64_t gpa = v->vmcb->exitinfo2;
    if (gpa < v->ram_size) {
        hv_log("npt", "fault inside guest RAM at 0x%llx (error 0x%llx)", (unsigned long long)gpa,
               (unsigned long long)v->vmcb->exitinfo1);
        vcpu_report(v);
        vcpu_finish(v, HV_VERDICT_HV_ERROR, "nested page fault inside guest RAM");
    }
    if (gpa >= VA_COVERED) {
        hv_log("npt", "guest access to 0x%llx at rip 0x%llx: beyond its %u-bit physical addresses",
               (unsigned long long)gpa, (unsigned long long)v->vmcb->rip, GUEST_PHYS_BITS_MAX);
        vcpu_finish(v, HV_VERDICT_GUEST_FAIL, "guest-physical address beyond MAXPHYADDR");
    }
    if (mmio_fault(v, gpa)) {
        v->host_work_due = true;
        return;
    }
    if ((gpa & ~(uint64_t)(PAGE_SIZE - 1)) == LAYOUT_IOAPIC && !(v->step & VCPU_STEP_IOAPIC)) {
        ioapic_access();
        step_begin(v, VCPU_STEP_IOAPIC);
        return;
    }
    uint64_t pa, flags, size;
    bool in_void = !ptable_lookup(v->npt, gpa, &pa, &flags, &size) &&
                   (pa & ~(uint64_t)(PAGE_SIZE - 1)) == v->npt->void_page;
    if (in_void && !(v->vmcb->exitinfo1 & NPF_WRITE)) {
        v->flush_tlb = true; /* another VP mapped it since this one's walk */
        return;
    }
    const char *tail = log_budget_take(&unmapped);
    if (tail)
        hv_log("npt", "guest %s of unmapped 0x%llx at rip 0x%llx: an empty bus%s",
               (v->vmcb->exitinfo1 & NPF_WRITE) ? "write" : "read", (unsigned long long)gpa,
               (unsigned long long)v->vmcb->rip, tail);
    bool sink = in_void && (v->vmcb->exitinfo1 & NPF_WRITE);
    if (sink ? ptable_map_sink(v->npt, gpa) : ptable_map_void(v->npt, gpa)) {
        hv_log("npt", "fault at mapped 0x%llx (error 0x%llx)", (unsigned long long)gpa,
               (unsigned long long)v->vmcb->exitinfo1);
        vcpu_report(v);
        vcpu_finish(v, HV_VERDICT_HV_ERROR, "nested page fault on a mapped page");
    }
    v->flush_tlb = true;
    if (sink)
        step_begin(v, VCPU_STEP_SINK); /* one instruction, then the void is back */
}

/* The single step after a fault handle_npf mapped something for: the
 * instruction is done (step_end). A #DB the guest caused itself (its own TF,
 * a hardware breakpoint) is its own. */
static void handle_db(struct vcpu *v)
{
    struct vmcb *c = v->vmcb;
    if (v->step) {
        bool guest_tf = v->step_guest_tf;
        step_end(v, true);
        if (!guest_tf) {
            c->dr6 &= ~DR6_BS;
            if (!(c->dr6 & DR6_B0_3))
                return;
        }
    }
    inject(v, 1, false);
}

/* INVD would discard dirty cache lines of the whole machine, the host's
 * among them: write them back instead, as Hyper-V does. */
static void handle_invd(struct vcpu *v)
{
    static struct log_budget once = LOG_BUDGET(1, "");
    if (log_budget_take(&once))
        hv_log("cpu", "guest INVD executed as WBINVD");
    wbinvd();
    advance(v, 2);
}

/* The guest's NMI handler reached IRET: the next NMI may go in once that
 * IRET has run, i.e. from the next exit on (vcpu_run). */
static void handle_iret(struct vcpu *v)
{
    v->vmcb->intercept_misc1 &= ~INTERCEPT_IRET;
    v->nmi_iret = true;
}

/* A hypercall through the page HYPERCALL filled with VMMCALL; RET. */
static void handle_vmmcall(struct vcpu *v)
{
    struct vmcb *c = v->vmcb;
    bool long64 = (c->efer & EFER_LMA) && (c->cs.attrib & SEG_ATTRIB_L);
    if (!hyperv_hypercall_permitted(v->hv, c->cpl, long64)) {
        vcpu_inject_ud(v);
        return;
    }
    v->host_work_due = true;
    c->rax = hyperv_hypercall(v->hv, v->vp, v->regs.rcx, v->regs.rdx, v->regs.r8);
    advance(v, 3);
}

/* A physical interrupt arrived while the guest could take it (V_INTR_MASKING
 * is 0: the guest's RFLAGS.IF gates it). The host takes it; a guest vector
 * goes back in by EVENTINJ, which is valid right now for the same reason.
 * Under QEMU's TCG (7.2 at least) VMRUN delivers an injected interrupt but
 * leaves its vector as the CPU's pending exception until the next #VMEXIT:
 * an exit request before that (QEMU's main loop kicking the CPU) delivers it
 * a second time, whatever the guest's IF, and the guest loses a wake-up
 * (docs/design.md, "Interrupts and host-initiated work"). A self-NMI, taken right after the
 * injection, is that #VMEXIT: a kick (smp.c), so never the guest's. */
void vcpu_take_interrupt(struct vcpu *v)
{
    int vector = irq_take();
    if (vector == IRQ_NONE)
        return;
    v->vmcb->eventinj = (uint64_t)vector | EVENT_TYPE_INTR | EVENT_VALID;
    if (v->tcg_inject_exit)
        smp_kick(this_cpu());
}

static void handle_intr(struct vcpu *v)
{
    struct vmcb *c = v->vmcb;
    if (c->eventinj & EVENT_VALID)
        return; /* an event this exit cut short goes first; the interrupt stays pending */
    if (c->int_state & INT_SHADOW) {
        /* Right after STI or MOV SS (KVM exits there, TCG never does): an
         * injection now would land between `sti` and `hlt` and the wake-up
         * would be lost. Ask for a window instead (handle_vintr). */
        c->vintr |= V_IRQ | V_IGN_TPR;
        c->intercept_misc1 |= INTERCEPT_VINTR;
        return;
    }
    vcpu_take_interrupt(v);
}

/* The interrupt window handle_intr asked for: the guest can take one now. */
static void handle_vintr(struct vcpu *v)
{
    struct vmcb *c = v->vmcb;
    c->vintr &= ~(V_IRQ | V_IGN_TPR);
    c->intercept_misc1 &= ~INTERCEPT_VINTR;
    if (!(c->eventinj & EVENT_VALID))
        vcpu_take_interrupt(v);
}

static void handle_svm_insn(struct vcpu *v)
{
    vcpu_inject_ud(v); /* SVM is hidden from the guest */
}

static void handle_shutdown(struct vcpu *v)
{
    vcpu_report(v);
    vcpu_finish(v, HV_VERDICT_GUEST_FAIL, "triple fault (shutdown)");
}

/* A physical INIT: the guest wrote it into its LAPIC's ICR itself instead of
 * HV_X64_MSR_ICR (hv/vm/icr.c), so its SIPI is lost to us: the VP waits for
 * one through the MSR. Only VP 0 resets nothing, as INIT does not on a BSP. */
static void handle_init(struct vcpu *v)
{
    static struct log_budget once = LOG_BUDGET(4, " (further ones not reported)");
    const char *tail = log_budget_take(&once);
    if (tail)
        hv_log("vcpu", "vp %u: INIT sent through the LAPIC%s", v->vp, tail);
    if (v->vp)
        vcpu_init_ipi(v);
}

/* Another CPU's kick, or an NMI for the guest: taken in a window that lets
 * only the NMI in (IF stays clear); vcpu_run tells which. */
static void handle_nmi(struct vcpu *v)
{
    (void)v;
    __asm__ volatile("stgi; nop; clgi" ::: "memory");
}

static const struct {
    uint32_t code;
    enum reason reason;
    void (*fn)(struct vcpu *v);
} handlers[] = {
    {VMEXIT_CPUID, R_CPUID, handle_cpuid},
    {VMEXIT_MSR, R_MSR, handle_msr},
    {VMEXIT_IOIO, R_IOIO, handle_ioio},
    {VMEXIT_NPF, R_NPF, handle_npf},
    {VMEXIT_VMMCALL, R_VMMCALL, handle_vmmcall},
    {VMEXIT_INTR, R_INTR, handle_intr},
    {VMEXIT_NMI, R_INTR, handle_nmi},
    {VMEXIT_VINTR, R_INTR, handle_vintr},
    {VMEXIT_VMRUN, R_SVM_INSN, handle_svm_insn},
    {VMEXIT_VMLOAD, R_SVM_INSN, handle_svm_insn},
    {VMEXIT_VMSAVE, R_SVM_INSN, handle_svm_insn},
    {VMEXIT_STGI, R_SVM_INSN, handle_svm_insn},
    {VMEXIT_CLGI, R_SVM_INSN, handle_svm_insn},
    {VMEXIT_SKINIT, R_SVM_INSN, handle_svm_insn},
    {VMEXIT_INVLPGA, R_SVM_INSN, handle_svm_insn},
    {VMEXIT_SHUTDOWN, R_SHUTDOWN, handle_shutdown},
    {VMEXIT_INVD, R_INVD, handle_invd},
    {VMEXIT_IRET, R_IRET, handle_iret},
    {VMEXIT_EXCP_BASE + 1, R_NPF, handle_db},
    {VMEXIT_INIT, R_INTR, handle_init},
};

void vcpu_handle_exit(struct vcpu *v)
{
    uint32_t code = (uint32_t)v->vmcb->exitcode;
    if (trace_on(TRACE_EXIT))
        trace_exit(v->vp, code, v->vmcb->rip, v->vmcb->exitinfo1, v->vmcb->exitinfo2, v->vmcb->rax,
                   v->regs.rcx, v->regs.rdx);
    if (v->nmi_iret) {
        v->nmi_iret = false;
        v->nmi_masked = false;
    }
    /* A step's instruction that ran ends in #DB first (a trap of the last
     * instruction goes before any other event); any other exit but a fault
     * on its second page came before it. */
    if (v->step && code != VMEXIT_NPF && code != VMEXIT_EXCP_BASE + 1)
        step_end(v, false);
    for (unsigned i = 0; i < sizeof(handlers) / sizeof(handlers[0]); i++) {
        if (handlers[i].code == code) {
            v->count[handlers[i].reason]++;
            handlers[i].fn(v);
            return;
        }
    }
    v->count[R_OTHER]++;
    if (code == VMEXIT_INVALID)
        hv_log("vcpu", "VMRUN failed: invalid guest state (VMEXIT_INVALID)");
    else
        hv_log("vcpu", "unhandled exit 0x%x info1=0x%llx info2=0x%llx rip=0x%llx", code,
               (unsigned long long)v->vmcb->exitinfo1, (unsigned long long)v->vmcb->exitinfo2,
               (unsigned long long)v->vmcb->rip);
    vcpu_report(v);
    vcpu_finish(v, HV_VERDICT_HV_ERROR, "stopped on an exit the hypervisor does not handle");
}
