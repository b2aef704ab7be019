/* One handler per exit reason; the table at the bottom is the map. Under TCG
 * there is no NRIP save: instruction lengths are architectural (CPUID, RDMSR,
 * WRMSR: 2 bytes; VMMCALL and the SVM instructions: 3), IOIO exits carry the
 * next RIP in EXITINFO2. */
#include "arch/x86/arch.h"
#include "arch/x86/cpu.h"
#include "arch/x86/irq.h"
#include "arch/x86/vcpu.h"
#include "lib/fmt.h"
#include "lib/log.h"
#include "verdict.h"
#include "vm/cpuid.h"

#define EFER_LMA     (1ull << 10)
#define SEG_ATTRIB_L (1u << 9)
#define EFER_ALLOWED                                                                               \
    ((1ull << 0) | (1ull << 8) | (1ull << 10) | (1ull << 11) | (1ull << 14) | (1ull << 15))
#define PM1_SLP_EN   (1u << 13)
#define IOIO_IN      (1ull << 0)
#define IOIO_STR     (1ull << 2)
#define IOIO_REP     (1ull << 3)
#define NPF_WRITE    (1ull << 1)
#define REPORT_LIMIT 16

enum reason {
    R_CPUID,
    R_MSR,
    R_IOIO,
    R_NPF,
    R_VMMCALL,
    R_INTR,
    R_SVM_INSN,
    R_SHUTDOWN,
    R_OTHER,
    R_COUNT
};
static const char *const reason_names[R_COUNT] = {
    "cpuid", "msr", "ioio", "npf", "vmmcall", "intr", "svm_insn", "shutdown", "other",
};
_Static_assert(R_COUNT <= sizeof(((struct vcpu *)0)->count) / sizeof(uint64_t), "counters");

static void advance(struct vcpu *v, unsigned len)
{
    v->vmcb->rip += len;
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
    uint64_t ticks = tsc_read() - v->tsc_start;
    uint64_t ms = v->tsc_hz ? ticks / (v->tsc_hz / 1000) : 0;
    hv_log("guest", "%s", why);
    hyperv_log_stats(v->hv);
    /* "hv: summary k=v ...": the one line without an area, as the design names it */
    char line[1024]; /* about 550 bytes today */
    size_t n = (size_t)fmt_snprintf(line, sizeof(line), "hv: summary exits=%llu",
                                    (unsigned long long)v->exits);
    for (unsigned r = 0; r < R_COUNT && n < sizeof(line); r++)
        n += (size_t)fmt_snprintf(line + n, sizeof(line) - n, " %s=%llu", reason_names[r],
                                  (unsigned long long)v->count[r]);
    if (n < sizeof(line))
        n += hyperv_summary(v->hv, line + n, sizeof(line) - n);
    if (n < sizeof(line) && v->summary_more)
        n += v->summary_more(line + n, sizeof(line) - n);
    if (n < sizeof(line))
        n += (size_t)fmt_snprintf(line + n, sizeof(line) - n,
                                  " host_timer=%llu bad_vectors=%llu guest_ms=%llu verdict=%d\n",
                                  (unsigned long long)irq_host_timer_count(),
                                  (unsigned long long)irq_reserved_count(), (unsigned long long)ms,
                                  verdict);
    console_write(line, n < sizeof(line) ? n : sizeof(line) - 1);
    arch_stop(verdict);
}

static void handle_cpuid(struct vcpu *v)
{
    uint32_t leaf = (uint32_t)v->vmcb->rax, sub = (uint32_t)v->regs.rcx;
    struct cpuid_regs h = cpuid(leaf, sub);
    struct cpuid_result r = {h.eax, h.ebx, h.ecx, h.edx};
    struct hv_cpuid_regs hr;
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

/* Logs the first REPORT_LIMIT distinct MSRs the guest was refused. */
static void msr_refused(uint32_t msr, bool write)
{
    static uint32_t seen[REPORT_LIMIT];
    static unsigned n;
    for (unsigned i = 0; i < n; i++) {
        if (seen[i] == msr)
            return;
    }
    if (n < REPORT_LIMIT) {
        seen[n++] = msr;
        hv_log("msr", "%s of MSR 0x%x refused with #GP%s", write ? "write" : "read", msr,
               n == REPORT_LIMIT ? " (further MSRs not reported)" : "");
    }
}

static void handle_msr(struct vcpu *v)
{
    struct vmcb *c = v->vmcb;
    uint32_t msr = (uint32_t)v->regs.rcx;
    bool write = c->exitinfo1 & 1;
    uint64_t value = (c->rax & 0xffffffffu) | (v->regs.rdx << 32);

    if (msr == MSR_EFER) {
        if (write) {
            /* SVME stays set underneath and invisible (it is the host's). */
            if (value & ~EFER_ALLOWED) {
                msr_refused(msr, true);
                vcpu_inject_gp(v);
                return;
            }
            c->efer = value | EFER_SVME;
        } else {
            value = c->efer & ~EFER_SVME;
            c->rax = value & 0xffffffffu;
            v->regs.rdx = value >> 32;
        }
        advance(v, 2);
        return;
    }
    int rc = write ? hyperv_msr_write(v->hv, msr, value) : hyperv_msr_read(v->hv, msr, &value);
    if (rc == HV_MSR_OK) {
        if (!write) {
            c->rax = value & 0xffffffffu;
            v->regs.rdx = value >> 32;
        }
        advance(v, 2);
        return;
    }
    /* VM_CR, VM_HSAVE_PA, anything unknown: as on a CPU without them. Refused
     * synthetic MSRs were logged by hv/hyperv already. */
    if (rc == HV_MSR_UNHANDLED)
        msr_refused(msr, write);
    vcpu_inject_gp(v);
}

static uint32_t port_in(uint16_t port, unsigned size)
{
    return size == 1 ? inb(port) : size == 2 ? inw(port) : inl(port);
}

static void port_out(uint16_t port, unsigned size, uint32_t v)
{
    if (size == 1)
        outb(port, (uint8_t)v);
    else if (size == 2)
        outw(port, (uint16_t)v);
    else
        outl(port, v);
}

/* An OUT to a port the hypervisor owns; false: forward it to the hardware. */
static bool owned_out(struct vcpu *v, uint16_t port, unsigned size, uint32_t val)
{
    if (port == v->ports.pm1a_cnt && size >= 2 && (val & PM1_SLP_EN)) {
        unsigned typ = (val >> 10) & 7;
        if (typ == v->ports.s5_slp_typ)
            vcpu_finish(v, HV_VERDICT_PASS, "power-off (ACPI S5)");
        hv_log("guest", "sleep state SLP_TYP=%u requested: not supported, ignored", typ);
        return true;
    }
    if ((port == 0x64 && (val & 0xff) == 0xfe) || (port == 0xcf9 && size == 1 && (val & 4)))
        vcpu_finish(v, HV_VERDICT_GUEST_FAIL, "reset (a reboot, or a panic with panic=-1)");
    if (port >= 0xcf8 && port < 0xd00)
        return true; /* no PCI for the guest: config writes go nowhere */
    if (v->ports.debug_exit && port >= v->ports.debug_exit && port < v->ports.debug_exit + 4)
        return true;
    return false;
}

static void handle_ioio(struct vcpu *v)
{
    struct vmcb *c = v->vmcb;
    uint64_t info = c->exitinfo1;
    uint16_t port = (uint16_t)(info >> 16);
    unsigned size = (info >> 4) & 7; /* SZ8/SZ16/SZ32 bits: 1, 2, 4 */
    if (info & (IOIO_STR | IOIO_REP)) {
        hv_log("io", "string I/O on owned port 0x%x ignored", port);
    } else if (info & IOIO_IN) {
        uint32_t val;
        if (port >= 0xcf8 && port < 0xd00)
            val = 0xffffffffu; /* no PCI host bridge here */
        else
            val = port_in(port, size);
        uint64_t mask = size == 4 ? 0xffffffffull : (1ull << (size * 8)) - 1;
        c->rax = (c->rax & ~mask) | (val & mask);
    } else {
        uint32_t val = (uint32_t)c->rax;
        if (!owned_out(v, port, size, val))
            port_out(port, size, val);
    }
    c->rip = c->exitinfo2;
}

/* Guest-physical space that is neither RAM nor a passed-through device: the
 * page is backed by a page of all-ones (what an empty bus reads as); writes
 * land there and are lost. */
static void handle_npf(struct vcpu *v)
{
    static unsigned reported;
    uint64_t gpa = v->vmcb->exitinfo2 & ~(uint64_t)(PAGE_SIZE - 1);
    if (gpa < v->ram_size) {
        hv_log("npt", "fault inside guest RAM at 0x%llx (error 0x%llx)",
               (unsigned long long)v->vmcb->exitinfo2, (unsigned long long)v->vmcb->exitinfo1);
        vcpu_report(v);
        vcpu_finish(v, HV_VERDICT_HV_ERROR, "nested page fault inside guest RAM");
    }
    if (reported < REPORT_LIMIT) {
        reported++;
        hv_log("npt", "guest %s of unmapped 0x%llx at rip 0x%llx: backed by an all-ones page%s",
               (v->vmcb->exitinfo1 & NPF_WRITE) ? "write" : "read",
               (unsigned long long)v->vmcb->exitinfo2, (unsigned long long)v->vmcb->rip,
               reported == REPORT_LIMIT ? " (further faults not reported)" : "");
    }
    if (ptable_map(v->npt, gpa, (uint64_t)(uintptr_t)v->void_page, PAGE_SIZE, PT_W | PT_U)) {
        vcpu_report(v);
        vcpu_finish(v, HV_VERDICT_HV_ERROR, "cannot back unmapped guest page (heap exhausted)");
    }
    v->flush_tlb = true;
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
    c->rax = hyperv_hypercall(v->hv, v->regs.rcx, v->regs.rdx, v->regs.r8);
    advance(v, 3);
}

/* A physical interrupt arrived while the guest could take it (V_INTR_MASKING
 * is 0: the guest's RFLAGS.IF gates it). The host takes it; a guest vector
 * goes back in by EVENTINJ, which is valid right now for the same reason. */
void vcpu_take_interrupt(struct vcpu *v)
{
    int vector = irq_take();
    if (vector != IRQ_NONE)
        v->vmcb->eventinj = (uint64_t)vector | EVENT_TYPE_INTR | EVENT_VALID;
}

static void handle_intr(struct vcpu *v)
{
    if (v->vmcb->eventinj & EVENT_VALID)
        return; /* an event this exit cut short goes first; the interrupt stays pending */
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

static void handle_init(struct vcpu *v)
{
    vcpu_finish(v, HV_VERDICT_GUEST_FAIL, "INIT signal (a reset of the one vCPU)");
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
    {VMEXIT_VMRUN, R_SVM_INSN, handle_svm_insn},
    {VMEXIT_VMLOAD, R_SVM_INSN, handle_svm_insn},
    {VMEXIT_VMSAVE, R_SVM_INSN, handle_svm_insn},
    {VMEXIT_STGI, R_SVM_INSN, handle_svm_insn},
    {VMEXIT_CLGI, R_SVM_INSN, handle_svm_insn},
    {VMEXIT_SKINIT, R_SVM_INSN, handle_svm_insn},
    {VMEXIT_INVLPGA, R_SVM_INSN, handle_svm_insn},
    {VMEXIT_SHUTDOWN, R_SHUTDOWN, handle_shutdown},
    {VMEXIT_INIT, R_SHUTDOWN, handle_init},
};

void vcpu_handle_exit(struct vcpu *v)
{
    uint32_t code = (uint32_t)v->vmcb->exitcode;
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
