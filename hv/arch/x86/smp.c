/* The other CPUs: the BSP starts each AP the MADT lists, one at a time, with
 * INIT, SIPI, SIPI (Intel SDM vol. 3, 9.4.4; AMD APM vol. 2, 16.5) into the
 * trampoline (trampoline.asm); the AP takes its own GDT, TSS and stacks, turns
 * SVM on with a host save area of its own, says it is up and waits for work
 * (smp_ap_run: a guest VP) in hlt with interrupts open only for the wait, so
 * a kick (an NMI, smp_kick) wakes it. The guest's LAPIC is passed through, so
 * its IPIs can reach an AP: the trampoline is wiped once the APs are up, so a
 * SIPI finds only cli; hlt there (docs/design.md, "Isolation"). */
#include "arch/x86/arch.h"
#include "arch/x86/cpu.h"
#include "arch/x86/percpu.h"
#include "arch/x86/trampoline.h"
#include "lib/fwacpi.h"
#include "lib/log.h"
#include "lib/mem.h"

#define TRAMP_LIMIT   0x100000u /* a SIPI vector names a page below 1 MiB */
#define INIT_DELAY_US 10000u    /* INIT to SIPI */
#define SIPI_DELAY_US 200u      /* between the two SIPIs */
#define UP_TIMEOUT_MS 2000u     /* generous: a TCG AP is slow to its first C line */

#define MSR_GS_BASE 0xc0000101u

/* Taken from the BSP for every AP, so all run in one configuration. */
static uint64_t bsp_cr0, bsp_cr4, bsp_efer;
static struct percpu bsp;
static struct percpu *cpus[HV_CPUS_MAX] = {&bsp};
static uint32_t cpu_count = 1;

struct percpu *this_cpu(void)
{
    return (struct percpu *)(uintptr_t)rdmsr(MSR_GS_BASE);
}

struct percpu *smp_cpu(uint32_t i)
{
    return i < cpu_count ? cpus[i] : NULL;
}

uint32_t smp_cpu_count(void)
{
    return cpu_count;
}

static void percpu_enter(struct percpu *c)
{
    c->irq_taken = -1;
    c->raised = -1;
    wrmsr(MSR_GS_BASE, (uint64_t)(uintptr_t)c);
}

void smp_bsp_init(void)
{
    bsp.apic_id = lapic_id();
    atomic_store_explicit(&bsp.state, CPU_UP, memory_order_relaxed);
    percpu_enter(&bsp);
}

void smp_kick(struct percpu *c)
{
    atomic_fetch_add_explicit(&c->kicks_sent, 1, memory_order_release);
    lapic_send_ipi(c->apic_id, ICR_NMI);
}

bool smp_kick_taken(void)
{
    struct percpu *c = this_cpu();
    unsigned sent = atomic_load_explicit(&c->kicks_sent, memory_order_acquire);
    if (sent == c->kicks_seen)
        return false;
    c->kicks_seen = sent; /* NMIs merge: one may stand for several kicks */
    return true;
}

void smp_wait(void)
{
    idt_window_open(true);
    __asm__ volatile("stgi; sti; hlt; cli; clgi" ::: "memory");
    idt_window_open(false);
    struct percpu *c = this_cpu();
    if (c->irq_taken >= 0) /* a guest's vector for a VP not running here */
        lapic_eoi();
    c->irq_taken = -1;
    c->nmi = false;
}

void smp_ap_park(struct percpu *c)
{
    (void)c;
    cpu_halt_forever(); /* cli; hlt with GIF=0 (clgi'd since smp_ap_main) */
}

void smp_ap_run(struct percpu *c, void (*fn)(struct percpu *c), void *arg)
{
    c->arg = arg;
    atomic_store_explicit(&c->run, fn, memory_order_release);
    smp_kick(c);
}

static void delay_us(uint64_t tsc_hz, uint64_t us)
{
    uint64_t end = rdtsc() + tsc_hz * us / 1000000;
    while (rdtsc() < end)
        cpu_relax();
}

__attribute__((noreturn)) void smp_ap_main(struct percpu *c);

void smp_ap_main(struct percpu *c)
{
    gdt_load(&c->desc);
    idt_window_open(false);
    wrmsr(MSR_EFER, bsp_efer & ~EFER_SVME);
    write_cr4(bsp_cr4);
    write_cr0(bsp_cr0);
    const char *why = svm_unusable();
    if (why) {
        /* Without GIF a guest INIT/SIPI could restart it: reported, and the
         * BSP says so once more in its count. */
        hv_log("smp", "cpu %u (apic id %u) cannot park: svm %s", c->index, c->apic_id, why);
        atomic_store_explicit(&c->state, CPU_FAILED, memory_order_release);
        cpu_halt_forever();
    }
    wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SVME);
    wrmsr(MSR_VM_HSAVE_PA, (uint64_t)(uintptr_t)c->host_save);
    clgi();
    percpu_enter(c);
    hv_log("smp", "cpu %u (apic id %u) up", c->index, c->apic_id);
    atomic_store_explicit(&c->state, CPU_UP, memory_order_release);
    void (*fn)(struct percpu *);
    while (!(fn = atomic_load_explicit(&c->run, memory_order_acquire)))
        smp_wait();
    fn(c);
    cpu_halt_forever();
}

/* Waits until c leaves CPU_STARTING or the time-out passes. */
static enum cpu_state wait_up(struct percpu *c, uint64_t tsc_hz)
{
    uint64_t end = rdtsc() + tsc_hz / 1000 * UP_TIMEOUT_MS;
    unsigned s;
    while ((s = atomic_load_explicit(&c->state, memory_order_acquire)) == CPU_STARTING &&
           rdtsc() < end)
        cpu_relax();
    return (enum cpu_state)s;
}

static bool start_one(struct percpu *c, uint8_t *tramp, uint64_t tsc_hz)
{
    uint8_t vector = (uint8_t)((uintptr_t)tramp >> 12);
    if (!lapic_send_ipi(c->apic_id, ICR_INIT | ICR_LEVEL_TRIG | ICR_LEVEL_ASSERT))
        return false;
    delay_us(tsc_hz, INIT_DELAY_US);
    lapic_send_ipi(c->apic_id, ICR_INIT | ICR_LEVEL_TRIG); /* de-assert */
    for (int i = 0; i < 2; i++) {
        lapic_send_ipi(c->apic_id, ICR_STARTUP | vector);
        delay_us(tsc_hz, SIPI_DELAY_US);
    }
    return wait_up(c, tsc_hz) == CPU_UP;
}

static const char *tramp_unusable(const struct hv_boot_info *bi)
{
    const struct hv_region *t = &bi->trampoline;
    if (!t->size)
        return "the loader reserved no trampoline pages below 1 MiB";
    if (t->base % PAGE_SIZE || t->size < HV_TRAMPOLINE_PAGES * PAGE_SIZE ||
        t->base + t->size > TRAMP_LIMIT)
        return "the trampoline pages are not whole pages below 1 MiB";
    if ((size_t)(smp_tramp_end - smp_tramp_start) > TRAMP_PARAMS_OFF)
        return "the trampoline code overlaps its parameters";
    return NULL;
}

void smp_start(const struct hv_boot_info *bi, const struct fw_acpi *fw, struct heap *heap,
               uint64_t tsc_hz)
{
    uint32_t up = 1, index = 1; /* a CPU left out keeps its index: a late AP may hold it */
    const char *why = NULL;
    if (fw && fw->madt_why)
        hv_log("smp", "MADT: %s", fw->madt_why);
    if (fw && fw->cpus_dropped)
        hv_log("smp", "%u more CPUs than the %u supported: left out", fw->cpus_dropped,
               HV_CPUS_MAX);
    uint32_t ids[HV_CPUS_MAX];
    uint32_t aps =
        fw ? percpu_aps(fw->apic_ids, fw->cpu_count, lapic_id(), ids, HV_CPUS_MAX - 1) : 0;
    if (aps && !(why = tramp_unusable(bi)) && !tsc_hz)
        why = "no calibrated TSC for the start-up delays";
    if (aps && why) {
        hv_log("smp", "%u other CPUs not started: %s", aps, why);
        aps = 0;
    }

    uint8_t *tramp = (uint8_t *)(uintptr_t)bi->trampoline.base;
    struct tramp_params *p = (struct tramp_params *)(tramp + TRAMP_PARAMS_OFF);
    if (aps) {
        bsp_cr0 = read_cr0();
        bsp_cr4 = read_cr4();
        bsp_efer = rdmsr(MSR_EFER);
        memcpy(tramp, smp_tramp_start, (size_t)(smp_tramp_end - smp_tramp_start));
        memcpy(tramp + TRAMP_PML4_OFF, (const void *)(uintptr_t)(read_cr3() & ~0xfffull),
               PAGE_SIZE);
        p->cr3 = read_cr3();
        p->entry = (uint64_t)(uintptr_t)smp_ap_main;
    }
    for (uint32_t i = 0; i < aps; i++) {
        struct percpu *c = heap_alloc_pages(heap, (sizeof(*c) + PAGE_SIZE - 1) / PAGE_SIZE);
        uint8_t *stack = heap_alloc_pages(heap, AP_STACK_SIZE / PAGE_SIZE);
        void *hsave = heap_alloc_pages(heap, 1);
        if (!c || !stack || !hsave) {
            hv_log("smp", "out of heap: %u other CPUs not started", aps - i);
            break;
        }
        c->index = index++;
        c->apic_id = ids[i];
        c->host_save = hsave;
        atomic_store_explicit(&c->state, CPU_STARTING, memory_order_relaxed);
        p->stack = (uint64_t)(uintptr_t)(stack + AP_STACK_SIZE);
        p->arg = (uint64_t)(uintptr_t)c;
        __atomic_thread_fence(__ATOMIC_SEQ_CST); /* the parameters before the SIPI */
        if (start_one(c, tramp, tsc_hz)) {
            cpus[cpu_count++] = c;
            up++;
            continue;
        }
        /* Back to waiting for a SIPI, which only the guest could still send:
         * the trampoline is gone by then (below). */
        lapic_send_ipi(c->apic_id, ICR_INIT | ICR_LEVEL_TRIG | ICR_LEVEL_ASSERT);
        if (atomic_load_explicit(&c->state, memory_order_acquire) == CPU_STARTING)
            hv_log("smp", "cpu %u (apic id %u) did not come up within %u ms: left out", c->index,
                   ids[i], UP_TIMEOUT_MS);
    }
    if (aps) {
        /* A SIPI the guest sends into these pages now halts. */
        static const uint8_t halt[] = {0xfa, 0xf4, 0xeb, 0xfd}; /* cli; 1: hlt; jmp 1b */
        memset(tramp, 0, (size_t)bi->trampoline.size);
        memcpy(tramp, halt, sizeof(halt));
    }
    hv_log("smp", "%u cpus", up);
}
