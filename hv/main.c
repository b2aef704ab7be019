/* The hypervisor's start: check the handoff, take over the CPU, report what we
 * have, enable SVM, measure the clocks, then build and run the guest
 * (guest.c), which never returns. */
#include "arch/x86/arch.h"
#include "arch/x86/iommu.h"
#include "arch/x86/pci.h"
#include "boot_info.h"
#include "drivers/disks.h"
#include "drivers/nics.h"
#include "guest.h"
#include "lib/crc32.h"
#include "lib/fwacpi.h"
#include "lib/log.h"
#include "verdict.h"

static const char *const mem_type_names[HV_MEM_TYPE_COUNT] = {
    "reserved",     "loader-code",  "loader-data",  "boot-code", "boot-data",
    "runtime-code", "runtime-data", "conventional", "unusable",  "acpi-reclaim",
    "acpi-nvs",     "mmio",         "mmio-port",    "pal-code",  "persistent",
};

static struct heap heap;
static struct fw_acpi fw_acpi;

static void log_memory_map(const struct hv_boot_info *bi)
{
    uint64_t usable = 0;
    uint32_t ranges = 0;
    hv_log("mem", "firmware memory map: %u entries (adjacent entries of one type merged)",
           bi->mmap_count);
    for (uint32_t i = 0; i < bi->mmap_count;) {
        const struct hv_mmap_entry *e = &bi->mmap[i];
        uint64_t end = e->base + e->pages * PAGE_SIZE;
        uint32_t j = i + 1;
        while (j < bi->mmap_count && bi->mmap[j].type == e->type && bi->mmap[j].base == end) {
            end += bi->mmap[j].pages * PAGE_SIZE;
            j++;
        }
        if (e->type == HV_MEM_CONVENTIONAL || e->type == HV_MEM_BOOT_CODE ||
            e->type == HV_MEM_BOOT_DATA || e->type == HV_MEM_LOADER_CODE ||
            e->type == HV_MEM_LOADER_DATA)
            usable += end - e->base;
        hv_log("mem", "  0x%016llx-0x%016llx %s", (unsigned long long)e->base,
               (unsigned long long)end - 1, mem_type_names[e->type]);
        ranges++;
        i = j;
    }
    hv_log("mem", "%u ranges, %llu MiB of RAM", ranges, (unsigned long long)usable >> 20);
}

static void log_image(const char *what, const struct hv_image *img)
{
    if (!img->size) {
        hv_log("boot", "%s: none", what);
        return;
    }
    hv_log("boot", "%s: %s at 0x%llx size=%llu crc32=0x%08x", what, img->path,
           (unsigned long long)img->base, (unsigned long long)img->size,
           crc32((const void *)(uintptr_t)img->base, img->size));
}

static bool handoff_ok(const struct hv_boot_info *bi)
{
    if (bi->magic != HV_BOOT_MAGIC || bi->version != HV_BOOT_VERSION || bi->size != sizeof(*bi)) {
        hv_log("boot", "bad handoff: magic 0x%llx version %u size %u (want version %u size %u)",
               (unsigned long long)bi->magic, bi->version, bi->size, HV_BOOT_VERSION,
               (unsigned)sizeof(*bi));
        return false;
    }
    if (bi->mmap_count > HV_BOOT_MMAP_MAX || bi->guest_ram.base % (2u << 20)) {
        hv_log("boot", "bad handoff: mmap_count %u, guest RAM at 0x%llx", bi->mmap_count,
               (unsigned long long)bi->guest_ram.base);
        return false;
    }
    return true;
}

__attribute__((noreturn)) void hv_main(struct hv_boot_info *bi);

void hv_main(struct hv_boot_info *bi)
{
    serial_init();
    lapic_init();
    smp_bsp_init();
    power_init(NULL, HV_DEFAULT_DEBUG_EXIT_PORT);
    hv_log("boot", "vmbhv " VMBHV_VERSION " hypervisor");
    if (!handoff_ok(bi))
        arch_stop(HV_VERDICT_HV_ERROR);
    const char *why;
    const struct fw_acpi *fw = &fw_acpi;
    if (fwacpi_read(bi->rsdp, &fw_acpi, &why)) {
        hv_log("boot", "firmware ACPI tables unusable: %s", why);
        fw = NULL;
    }
    power_init(fw, bi->config.debug_exit_port);
    gdt_init();
    idt_init();
    heap_init(&heap, bi->heap.base, bi->heap.size);
    if (!paging_init(bi, &heap)) {
        hv_log("boot", "out of heap building the page tables");
        arch_stop(HV_VERDICT_HV_ERROR);
    }

    log_memory_map(bi);
    hv_log("boot", "hypervisor at 0x%llx-0x%llx (%llu KiB), boot info at 0x%llx",
           (unsigned long long)bi->hv_image.base,
           (unsigned long long)(bi->hv_image.base + bi->hv_image.size - 1),
           (unsigned long long)bi->hv_image.size >> 10, (unsigned long long)(uintptr_t)bi);
    hv_log("boot", "heap at 0x%llx (%llu MiB), %llu KiB used", (unsigned long long)bi->heap.base,
           (unsigned long long)bi->heap.size >> 20, (unsigned long long)heap.used >> 10);
    hv_log("boot", "guest RAM at 0x%llx-0x%llx (%llu MiB)", (unsigned long long)bi->guest_ram.base,
           (unsigned long long)(bi->guest_ram.base + bi->guest_ram.size - 1),
           (unsigned long long)bi->guest_ram.size >> 20);
    hv_log("boot", "firmware RSDP at 0x%llx", (unsigned long long)bi->rsdp);
    log_image("kernel", &bi->kernel);
    log_image("initrd", &bi->initrd);
    hv_log("boot", "guest command line: %s", bi->config.cmdline);

    struct svm_features svm;
    if (!svm_enable(&svm))
        arch_stop(HV_VERDICT_HV_ERROR);

    if (bi->config.selftest == HV_SELFTEST_EXCEPTION) {
        hv_log("selftest", "taking an exception on purpose");
        arch_selftest_exception();
    }
    uint64_t tsc_hz = tsc_calibrate(fw);
    uint64_t apic_hz = lapic_timer_calibrate(fw);
    smp_start(bi, fw, &heap, tsc_hz);
    const struct pci_host *pci = pci_host_init(fw, &heap, tsc_hz);
    if (pci) {
        pci_machine_set(&pci->cfg, &pci->io);
        disks_probe(&pci->cfg, &pci->io, &heap, bi->boot_disk);
        nics_probe(&pci->cfg, &pci->io, &heap);
    }
    /* DMA confined from here on: the hypervisor's own disks and NIC in the host domain. */
    uint16_t host_fns[17];
    unsigned nhost = disks_functions(host_fns, 16);
    nhost += nics_function(&host_fns[nhost]);
    iommu_init(bi, &heap, host_fns, nhost);
    hv_log("boot", "ready");
    guest_run(bi, &heap, fw, tsc_hz, apic_hz);
}
