/* Builds the guest machine from the boot information (ACPI tables, Linux boot
 * protocol, nested page tables) and runs it on the vCPU. */
#include "guest.h"

#include "arch/x86/arch.h"
#include "arch/x86/i8042.h"
#include "arch/x86/ioapic.h"
#include "arch/x86/irq.h"
#include "arch/x86/percpu.h"
#include "arch/x86/vcpu.h"
#include "devices/devices.h"
#include "devices/keyboard.h"
#include "drivers/pci.h"
#include "guest_mem.h"
#include "hyperv/hyperv.h"
#include "lib/log.h"
#include "lib/log_once.h"
#include "lib/mem.h"
#include "lib/timer.h"
#include "lib/trace.h"
#include "lib/vectors.h"
#include "lib/ptable.h"
#include "lib/summary.h"
#include "verdict.h"
#include "video_host.h"
#include "vm/acpi.h"
#include "vm/acpi_vmbus.h"
#include "vm/efi.h"
#include "vm/icr.h"
#include "vm/layout.h"
#include "vm/linux_boot.h"
#include "vm/mmio_trap.h"
#include "vmbus/fault.h"
#include "vmbus/vmbus.h"

#define S5_SLP_TYP    5 /* any value: only the hypervisor sees the guest's write */
#define VCPUS_DEFAULT 2
#define NPT_UNCACHED  (1ull << 3 | 1ull << 4) /* PWT, PCD */

/* The VMBus low MMIO range (as Hyper-V's, below the IOAPIC); guest RAM never
 * reaches it (memory_mb <= 3584). The high gap comes from the allocator. */
#define LOW_MMIO_BASE 0xf8000000ull
#define LOW_MMIO_SIZE 0x06c00000ull

static struct ptable npt;
static struct vcpu vcpus[HV_VP_MAX];
static uint32_t vp_count;
static uint8_t vp_apic_ids[HV_VP_MAX]; /* VP n's CPU's: what the MADT lists */
static uint64_t vp_icr[HV_VP_MAX];     /* the last HV_X64_MSR_ICR each VP wrote */
static struct guest_mem gm;
static struct hyperv_partition partition;

static uint64_t platform_tsc(void *ctx)
{
    (void)ctx;
    return tsc_read();
}

/* VP vp runs on its own CPU: an IPI there, or a self-IPI when that is this one. */
static void platform_raise(void *ctx, uint32_t vp, uint8_t vector)
{
    (void)ctx;
    if (vp >= vp_count || vcpus[vp].cpu == this_cpu())
        lapic_self_ipi(vector);
    else
        lapic_send_ipi(vp_apic_ids[vp], vector); /* fixed, edge, physical */
}

/* A refused APIC MSR write: #GP, the first few logged. */
static int apic_refuse(uint32_t msr, uint64_t value, const char *why)
{
    static struct log_budget budget = LOG_BUDGET(8, " (further ones not reported)");
    const char *tail = log_budget_take(&budget);
    if (tail)
        hv_log("hyperv", "wrmsr 0x%x value 0x%llx refused with #GP: %s%s", msr,
               (unsigned long long)value, why, tail);
    return HV_MSR_GP;
}

/* An ICR write the guest made through HV_X64_MSR_ICR (vm/icr.h). */
static int send_ipi(uint32_t vp, uint64_t value)
{
    struct icr_request r;
    const char *why;
    if (icr_decode(value, vp, vp_apic_ids, vp_count, partition.plat.host_vectors,
                   HV_HOST_VECTORS_MAX, &r, &why)) {
        return apic_refuse(HV_MSR_APIC_ICR, value, why);
    }
    vp_icr[vp] = value;
    uint32_t low = (uint32_t)value & 0xcfffu; /* vector, mode, destination mode, level */
    if (r.logical) {
        lapic_send_ipi(r.dest, low);
        return HV_MSR_OK;
    }
    for (uint32_t t = 0; t < vp_count; t++) {
        if (!(r.vps >> t & 1))
            continue;
        if (r.kind == ICR_KIND_FIXED || r.kind == ICR_KIND_NMI)
            lapic_send_ipi(vp_apic_ids[t], low & ~(1u << 11));
        else if (r.kind == ICR_KIND_INIT && t != 0 && t != vp)
            vcpu_init_ipi(&vcpus[t]); /* a BSP and the sender itself are not reset */
        else if (r.kind == ICR_KIND_STARTUP && t != 0)
            vcpu_sipi(&vcpus[t], r.vector);
    }
    return HV_MSR_OK;
}

/* HV_X64_MSR_EOI, ICR and TPR (Linux's enlightened xAPIC, hv_apic.c): the
 * LAPIC is the guest's, so EOI and TPR go to it; the ICR is checked first. */
static int platform_apic_msr(void *ctx, uint32_t vp, uint32_t msr, bool write, uint64_t *val)
{
    (void)ctx;
    switch (msr) {
    case HV_MSR_APIC_EOI:
        if (write)
            lapic_eoi();
        else
            *val = 0;
        return HV_MSR_OK;
    case HV_MSR_APIC_TPR:
        if (write && *val > 0xff)
            return apic_refuse(msr, *val, "reserved bits set");
        if (write)
            lapic_set_tpr((uint32_t)*val);
        else
            *val = lapic_tpr();
        return HV_MSR_OK;
    default:
        if (!write) {
            *val = vp_icr[vp]; /* delivered at once: never busy */
            return HV_MSR_OK;
        }
        return send_ipi(vp, *val);
    }
}

/* An assigned function's BAR pages (device_env.mmio_map): over the void
 * only, uncached (PCD and PWT: the BAR's MTRR type decides, never WB). */
static int map_mmio(uint64_t gpa, uint64_t hpa, uint64_t len)
{
    if (!len || (gpa | hpa | len) & (PAGE_SIZE - 1) || gpa < gm.size ||
        mmio_trap_overlaps(gpa, len))
        return -1;
    for (uint64_t at = gpa; at < gpa + len; at += PAGE_SIZE) {
        int level;
        if (ptable_leaf(&npt, at, &level))
            return -1;
    }
    vcpu_npt_changed(); /* the void may be cached for these addresses */
    if (ptable_map(&npt, gpa, hpa, len, PT_W | PT_U | NPT_UNCACHED) == 0)
        return 0;
    for (uint64_t at = gpa; at < gpa + len;) { /* out of heap: undo what was mapped */
        uint64_t pa, flags, ps = PAGE_SIZE;
        if (!ptable_lookup(&npt, at, &pa, &flags, &ps) && pa >= hpa && pa < hpa + len)
            ptable_unmap(&npt, at & ~(ps - 1), ps);
        at = (at & ~(ps - 1)) + ps;
    }
    return -1;
}

static void unmap_mmio(uint64_t gpa, uint64_t len)
{
    ptable_unmap(&npt, gpa, len);
    vcpu_npt_changed();
}

/* An assigned function's interrupt: the guest's vector, never a host's, on
 * the VP the guest named for it. */
static void raise_vector(uint32_t vp, uint8_t vector)
{
    if (!vector_refused(vector, partition.plat.host_vectors, HV_HOST_VECTORS_MAX))
        platform_raise(NULL, vp, vector);
}

/* Host work after every exit: the host deadlines that are due, then what
 * VMBus has for the guest (docs/design.md, "Host-initiated work"). */
static void host_work(void)
{
    keyboard_feed(keyboard_get(), &i8042_bytes);
    timers_run(clock_ns());
    devices_poll();
    vmbus_poll();
    host_timer_arm(timers_next());
}

static size_t summary_exits(char *buf, size_t cap)
{
    return vcpu_summary_exits(buf, cap);
}

static size_t summary_hyperv(char *buf, size_t cap)
{
    return hyperv_summary(&partition, buf, cap);
}

static size_t summary_host(char *buf, size_t cap)
{
    return vcpu_summary_host(&vcpus[0], buf, cap);
}

/* The summary line's parts, in the order of its keys (README, "Log lines"):
 * the exits, the Hyper-V view, VMBus and its devices, the screen, the trace,
 * then the IOAPIC, the host's interrupts and the time. */
static void summary_init(void)
{
    summary_add(summary_exits);
    summary_add(summary_hyperv);
    summary_add(vmbus_summary);
    summary_add(devices_summary);
    summary_add(video_host_summary);
    summary_add(trace_summary);
    summary_add(summary_host);
}

/* The run's end once the guest has run: why, the Hyper-V counters, the
 * summary line, then the verdict out of the machine. */
static __attribute__((noreturn)) void run_end(int verdict, const char *why)
{
    hv_log("guest", "%s", why);
    hyperv_log_stats(&partition);
    summary_write(verdict);
    arch_stop(verdict);
}

/* The vCPU's first state: the Linux 64-bit entry. */
static struct vcpu_entry vcpu_entry_of(const struct linux_entry *e)
{
#define SEG(s) ((struct vmcb_seg){(s).selector, (s).attrib, (s).limit, (s).base})
    struct vcpu_entry v = {
        .rip = e->rip,
        .rsp = e->rsp,
        .rsi = e->rsi,
        .rflags = e->rflags,
        .cr0 = e->cr0,
        .cr3 = e->cr3,
        .cr4 = e->cr4,
        .efer = e->efer,
        .gdtr_base = e->gdtr_base,
        .idtr_base = e->idtr_base,
        .gdtr_limit = e->gdtr_limit,
        .idtr_limit = e->idtr_limit,
        .cs = SEG(e->cs),
        .ds = SEG(e->ds),
        .tr = SEG(e->tr),
        .ldtr = SEG(e->ldtr),
    };
#undef SEG
    return v;
}

/* The devices' clock (timesync): the partition's reference time. */
static uint64_t reference_time(void *ctx)
{
    return hyperv_time_ref_count(ctx);
}

static __attribute__((noreturn)) void refuse(const char *what, const char *why)
{
    hv_log("guest", "cannot boot %s: %s", what, why);
    arch_stop(HV_VERDICT_HV_ERROR);
}

/* How many VPs: hv.cfg's vcpus, else two (one on a machine with one CPU).
 * VP n runs on CPU n, so there must be as many CPUs up. */
static uint32_t guest_vps(const struct hv_config *cfg)
{
    uint32_t cpus = smp_cpu_count(), n = cfg->vcpus;
    if (!n)
        n = cpus < VCPUS_DEFAULT ? cpus : VCPUS_DEFAULT;
    if (n > cpus || n > HV_VP_MAX) {
        hv_log("guest", "hv.cfg: vcpus = %u, but %u CPUs are up (one per VP)", n, cpus);
        arch_stop(HV_VERDICT_HV_ERROR);
    }
    for (uint32_t i = 0; i < n; i++) {
        if (smp_cpu(i)->apic_id > 0xfe) {
            hv_log("guest", "cpu %u: APIC ID %u is beyond the xAPIC's", i, smp_cpu(i)->apic_id);
            arch_stop(HV_VERDICT_HV_ERROR);
        }
        vp_apic_ids[i] = (uint8_t)smp_cpu(i)->apic_id;
    }
    return n;
}

static __attribute__((noreturn)) void ap_main(struct percpu *c)
{
    vcpu_run(c->arg);
}

/* Guest RAM at 0, the LAPIC passed through, the IOAPIC read-only (its writes
 * are judged, ioapic.c); not the HPET, which is the host's timer (hpet.c). The rest of
 * guest-physical space is the void, backed on first touch (exits.c). */
static int build_npt(struct heap *heap, const struct hv_boot_info *bi)
{
    const uint64_t rw = PT_W | PT_U;
    uint8_t *void_page, *sink_page;
    if (ptable_init(&npt, heap) || !(void_page = heap_alloc_pages(heap, 1)) ||
        !(sink_page = heap_alloc_pages(heap, 1)))
        return -1;
    memset(void_page, 0xff, PAGE_SIZE); /* what an empty bus reads as */
    return ptable_void_init(&npt, (uint64_t)(uintptr_t)void_page, PT_U) ||
           ptable_sink_init(&npt, (uint64_t *)sink_page) ||
           ptable_map(&npt, 0, bi->guest_ram.base, bi->guest_ram.size, rw) ||
           ptable_map(&npt, LAYOUT_IOAPIC, LAYOUT_IOAPIC, PAGE_SIZE, PT_U) || /* ioapic.c */
           ptable_map(&npt, LAYOUT_LAPIC, LAYOUT_LAPIC, PAGE_SIZE, rw);
}

void guest_run(const struct hv_boot_info *bi, struct heap *heap, const struct fw_acpi *fw,
               uint64_t tsc_hz, uint64_t apic_hz)
{
    const char *why;
    if (devices_parse(&bi->config)) /* a bad device line ends the run, guest or not */
        arch_stop(HV_VERDICT_HV_ERROR);
    if (!bi->kernel.size) {
        hv_log("guest", "no kernel configured: nothing to run");
        arch_stop(HV_VERDICT_PASS);
    }
    if (!fw || fw->hw_reduced || fw->pm1a_cnt.space != ACPI_SPACE_IO || !fw->pm1a_evt)
        refuse(bi->kernel.path, "the machine has no classic ACPI PM1 blocks to pass through");

    vp_count = guest_vps(&bi->config);
    trace_init(bi->config.trace);
    clock_init(tsc_read, tsc_hz, rtc_read_unix());
    host_timer_init(fw->hpet);
    gm = (struct guest_mem){(uint8_t *)(uintptr_t)bi->guest_ram.base, bi->guest_ram.size};
    _Static_assert(HOST_ASSIGN_VECTORS == 2, "the host_vectors list names each");
    struct hyperv_platform plat = {
        .tsc = platform_tsc,
        .raise = platform_raise,
        /* Only where there are APs to start: the enlightened EOI costs an
         * exit per interrupt, which one VP has no reason to pay. */
        .apic_msr = vp_count > 1 ? platform_apic_msr : NULL,
        .vp_count = vp_count,
        .tsc_hz = tsc_hz,
        .tsc_at_start = tsc_read(),
        .apic_hz = apic_hz,
        .host_vectors = {HOST_TIMER_VECTOR, HOST_KBD_VECTOR, HOST_DEV_VECTOR, SPURIOUS_VECTOR,
                         HOST_ASSIGN_VECTOR, HOST_ASSIGN_VECTOR + 1},
    };
    if (hyperv_init(&partition, &gm, &plat) || vmbus_init(&partition)) {
        hv_log("guest", "cannot offer Hyper-V: no usable TSC frequency");
        arch_stop(HV_VERDICT_HV_ERROR);
    }
    hyperv_set_retarget(&partition, devices_retarget, NULL);
    /* Devices first, so the high MMIO gap can be sized from their requests;
     * the DSDT then describes the gap they were carved from. */
    static struct device_env env;
    env = (struct device_env){
        .gm = &gm,
        .heap = heap,
        .video = video_host_init(bi, &npt, vcpu_npt_changed),
        .reference_time = reference_time,
        .reference_ctx = &partition,
        .shutdown_after = bi->config.shutdown_after,
        .mmio_trap = mmio_trap_add,
        .mmio_untrap = mmio_trap_remove,
        .mmio_map = map_mmio,
        .mmio_unmap = unmap_mmio,
        .pci = pci_machine(),
        .pci_io = pci_machine_io(),
        .boot_disk = bi->boot_disk,
        /* Fixed delivery, edge, physical destination: this CPU's APIC ID. */
        .assign_msi_address = LAPIC_MSI_ADDRESS | (uint64_t)(lapic_id() & 0xff) << 12,
        .assign_vector = HOST_ASSIGN_VECTOR,
        .assign_vectors = HOST_ASSIGN_VECTORS,
        .assigned_irqs = irq_assigned_take,
        .raise = raise_vector,
        .vps = vp_count,
    };
    mmio_trap_init(&gm);
    vmbus_mmio_framebuffer(LOW_MMIO_BASE);
    if (devices_create(&env))
        arch_stop(HV_VERDICT_HV_ERROR);
    fault_init(bi->config.faults, bi->config.fault_count); /* armed once the channels are named */
    vmbus_mmio_configure(bi->guest_ram.size, bi->config.mmio_high_mb);
    devices_enable();
    struct acpi_mmio_window windows[2] = {{LOW_MMIO_BASE, LOW_MMIO_SIZE}, {0, 0}};
    vmbus_mmio_gap(&windows[1].base, &windows[1].size);
    env.mmio[0] = (struct device_mmio_range){windows[0].base, windows[0].size};
    env.mmio[1] = (struct device_mmio_range){windows[1].base, windows[1].size};
    struct acpi_vmbus vmbus = {windows, windows[1].size ? 2 : 1};

    struct acpi_params ap = {
        .pm1a_evt_blk = (uint16_t)fw->pm1a_evt,
        .pm1a_cnt_blk = (uint16_t)fw->pm1a_cnt.addr,
        .pm_tmr_blk = (uint16_t)fw->pm_tmr,
        .pm_tmr_32bit = fw->pm_tmr_32bit,
        .sci_irq = (uint8_t)fw->sci_int,
        .s5_slp_typ = S5_SLP_TYP,
        .lapic_nmi = true,
        .cpus = vp_count,
        .apic_ids = vp_apic_ids,
        .sb_devices = acpi_vmbus_hook,
        .sb_ctx = &vmbus,
    };
    struct acpi_tables tables;
    if (acpi_build(&gm, LAYOUT_ACPI_BASE, LAYOUT_ACPI_SIZE, &ap, &tables, &why))
        refuse("the ACPI tables", why);

    /* A video device needs EFI_BOOT in the guest (hyperv_fb's MMIO path):
     * only then the EFI handoff, docs/video.md "The EFI_BOOT gate". */
    bool efi = devices_need_efi();
    struct linux_boot_input in = {
        .ram_size = bi->guest_ram.size,
        .kernel = (const uint8_t *)(uintptr_t)bi->kernel.base,
        .kernel_size = bi->kernel.size,
        .initrd = bi->initrd.size ? (const uint8_t *)(uintptr_t)bi->initrd.base : NULL,
        .initrd_size = bi->initrd.size,
        .cmdline = bi->config.cmdline,
        .rsdp = tables.rsdp,
        .efi = efi,
        .efi_fw_revision = 1,
    };
    struct linux_boot lb;
    if (linux_boot_setup(&gm, &in, &lb, &why))
        refuse(bi->kernel.path, why);
    hv_log("guest",
           "Linux boot protocol %u.%02u, kernel at 0x%llx-0x%llx, initrd at 0x%llx "
           "(%llu bytes), RSDP at 0x%llx",
           lb.image.version >> 8, lb.image.version & 0xff, (unsigned long long)lb.layout.kernel,
           (unsigned long long)lb.layout.kernel_end, (unsigned long long)lb.layout.initrd,
           (unsigned long long)lb.layout.initrd_size, (unsigned long long)tables.rsdp);
    if (efi)
        hv_log("guest",
               "EFI handoff: system table at 0x%llx, runtime stubs at 0x%llx, %u-entry "
               "memory map (video device: EFI_BOOT)",
               (unsigned long long)(LAYOUT_EFI_BASE + EFI_SYSTAB_OFF),
               (unsigned long long)LAYOUT_EFI_BASE, lb.efi_map_entries);

    if (build_npt(heap, bi) || ioapic_init(heap, &npt, plat.host_vectors, HV_HOST_VECTORS_MAX)) {
        hv_log("guest", "out of heap building the nested page tables");
        arch_stop(HV_VERDICT_HV_ERROR);
    }
    if (mmio_trap_attach(&npt, vcpu_npt_changed)) /* the devices' trapped ranges (logged) */
        arch_stop(HV_VERDICT_HV_ERROR);
    if (keyboard_get())
        i8042_start();
    struct io_machine io = {.pm1a_evt = ap.pm1a_evt_blk,
                            .pm1a_cnt = ap.pm1a_cnt_blk,
                            .pm_tmr = ap.pm_tmr_blk,
                            .s5_slp_typ = S5_SLP_TYP,
                            .debug_exit = (uint16_t)bi->config.debug_exit_port,
                            .host_uart = LOG_UART_PORT,
                            .host_debugcon = LOG_DEBUGCON_PORT};
    struct vcpu_entry entry = vcpu_entry_of(&lb.entry);
    if (vcpu_init(&vcpus[0], heap, &npt, bi->guest_ram.size, &entry, &io, &why))
        refuse("the vCPU", why);
    vcpus[0].tsc_hz = tsc_hz;
    vcpus[0].hv = &partition;
    vcpus[0].after_exit = host_work;
    vcpus[0].end = run_end;
    for (uint32_t i = 1; i < vp_count; i++)
        if (vcpu_init_ap(&vcpus[i], &vcpus[0], i, smp_cpu(i), heap, &why))
            refuse("the VPs", why);
    summary_init();
    hv_log("guest", "nested page tables: %llu pages; heap %llu KiB used",
           (unsigned long long)npt.pages, (unsigned long long)heap->used >> 10);
    hv_log("guest", "%u VPs", vp_count);
    for (uint32_t i = 1; i < smp_cpu_count(); i++)
        smp_ap_run(smp_cpu(i), i < vp_count ? ap_main : smp_ap_park, &vcpus[i]);
    vcpu_run(&vcpus[0]);
}
