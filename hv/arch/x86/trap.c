/* Exceptions inside the hypervisor are bugs: report everything, stop the run.
 * NMI and external interrupts go to irq.c instead. */
#include "arch/x86/trap.h"

#include "arch/x86/arch.h"
#include "arch/x86/cpu.h"
#include "lib/log.h"
#include "verdict.h"

struct idt_entry {
    uint16_t offset_lo, selector;
    uint8_t ist, type;
    uint16_t offset_mid;
    uint32_t offset_hi, reserved;
} __attribute__((packed));
_Static_assert(sizeof(struct idt_entry) == 16, "64-bit interrupt gate");

extern const uint64_t isr_table[256], window_table[256];
extern const char __hv_start[]; /* linker/hv.ld */
static struct idt_entry idt[256], idt_window[256];

static const char *const names[32] = {
    "#DE",       "#DB",       "NMI",       "#BP",       "#OF", "#BR", "#UD",       "#NM",
    "#DF",       "vector 9",  "#TS",       "#NP",       "#SS", "#GP", "#PF",       "vector 15",
    "#MF",       "#AC",       "#MC",       "#XM",       "#VE", "#CP", "vector 22", "vector 23",
    "vector 24", "vector 25", "vector 26", "vector 27", "#HV", "#VC", "#SX",       "vector 31",
};

static struct idt_entry gate(uint64_t a, uint8_t ist)
{
    return (struct idt_entry){
        .offset_lo = (uint16_t)a,
        .selector = GDT_CODE,
        .ist = ist,
        .type = 0x8e, /* present, DPL 0, 64-bit interrupt gate */
        .offset_mid = (uint16_t)(a >> 16),
        .offset_hi = (uint32_t)(a >> 32),
    };
}

void idt_init(void)
{
    for (unsigned v = 0; v < 256; v++) {
        /* NMI, #DF and #MC on the known-good IST stack in both tables */
        uint8_t ist = (v == 2 || v == 8 || v == 18) ? 1 : 0;
        idt[v] = gate(isr_table[v], ist);
        idt_window[v] = gate(window_table[v], ist);
    }
    lidt(idt, sizeof(idt) - 1);
}

void idt_window_open(bool open)
{
    lidt(open ? idt_window : idt, sizeof(idt) - 1);
}

void trap_handler(struct trap_frame *f)
{
    static int depth;
    if (depth++) /* faulted while reporting: nothing left to trust */
        arch_stop(HV_VERDICT_HV_ERROR);

    const char *name = f->vector < 32 ? names[f->vector] : "?";
    hv_log("panic", "exception %s (vector %llu) error=0x%llx", name, (unsigned long long)f->vector,
           (unsigned long long)f->error);
    hv_log("panic", "rip=0x%016llx cs=0x%llx rflags=0x%llx rsp=0x%016llx ss=0x%llx",
           (unsigned long long)f->rip, (unsigned long long)f->cs, (unsigned long long)f->rflags,
           (unsigned long long)f->rsp, (unsigned long long)f->ss);
    hv_log("panic", "cr0=0x%llx cr2=0x%016llx cr3=0x%llx cr4=0x%llx",
           (unsigned long long)read_cr0(), (unsigned long long)read_cr2(),
           (unsigned long long)read_cr3(), (unsigned long long)read_cr4());
    hv_log("panic", "rax=%016llx rbx=%016llx rcx=%016llx rdx=%016llx", (unsigned long long)f->rax,
           (unsigned long long)f->rbx, (unsigned long long)f->rcx, (unsigned long long)f->rdx);
    hv_log("panic", "rsi=%016llx rdi=%016llx rbp=%016llx r8 =%016llx", (unsigned long long)f->rsi,
           (unsigned long long)f->rdi, (unsigned long long)f->rbp, (unsigned long long)f->r8);
    hv_log("panic", "r9 =%016llx r10=%016llx r11=%016llx r12=%016llx", (unsigned long long)f->r9,
           (unsigned long long)f->r10, (unsigned long long)f->r11, (unsigned long long)f->r12);
    hv_log("panic", "r13=%016llx r14=%016llx r15=%016llx", (unsigned long long)f->r13,
           (unsigned long long)f->r14, (unsigned long long)f->r15);
    hv_log("panic", "hypervisor image at 0x%llx: rip is image+0x%llx",
           (unsigned long long)(uintptr_t)__hv_start,
           (unsigned long long)(f->rip - (uintptr_t)__hv_start));
    arch_stop(HV_VERDICT_HV_ERROR);
}

void arch_selftest_exception(void)
{
    __asm__ volatile("ud2");
}
