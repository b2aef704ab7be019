/* vmbhv UEFI loader: reads hv/hv.cfg, loads hv/hv.elf, the guest kernel and
 * initrd, allocates the hypervisor's memory and the guest RAM, and hands the
 * machine to the hypervisor with a struct hv_boot_info. */
#include <efi.h>
#include <efilib.h>

#include "boot_info.h"
#include "console.h"
#include "display.h"
#include "elf_load.h"
#include "handoff.h"
#include "lib/config.h"
#include "lib/str.h"
#include "volume.h"

#define CONFIG_PATH "hv/hv.cfg"
#define HV_PATH     "hv/hv.elf"
#define MIB         (1ull << 20)
#define ALIGN_2M    (2 * MIB)

static EFI_GUID acpi20_guid = ACPI_20_TABLE_GUID;

static EFI_STATUS fail(EFI_STATUS s)
{
    say("boot: stopping: returning to the firmware with status 0x%llx (%s)", (unsigned long long)s,
        efi_status_name(s));
    return s;
}

static EFI_STATUS alloc(UINT64 bytes, EFI_PHYSICAL_ADDRESS *addr, const char *what)
{
    EFI_STATUS s =
        BS->AllocatePages(AllocateAnyPages, EfiLoaderData, EFI_SIZE_TO_PAGES(bytes), addr);
    if (EFI_ERROR(s))
        say("boot: error: cannot allocate %llu KiB for %s: %s", (unsigned long long)bytes >> 10,
            what, efi_status_name(s));
    return s;
}

static EFI_STATUS load_config(struct hv_config *cfg)
{
    UINT64 base, size;
    struct config_error err;
    EFI_STATUS s = volume_read(CONFIG_PATH, &base, &size);
    if (EFI_ERROR(s)) {
        say("boot: error: %s: cannot read: %s", CONFIG_PATH, efi_status_name(s));
        return s;
    }
    config_defaults(cfg);
    int rc = config_parse((const char *)(UINTN)base, (size_t)size, cfg, &err);
    BS->FreePages(base, EFI_SIZE_TO_PAGES(size ? size : 1));
    if (rc) {
        say("boot: error: %s:%u: %s", CONFIG_PATH, err.line, err.msg);
        return EFI_INVALID_PARAMETER;
    }
    say("boot: config %s: memory_mb=%u heap_mb=%u kernel=%s initrd=%s", CONFIG_PATH, cfg->memory_mb,
        cfg->heap_mb, cfg->kernel[0] ? cfg->kernel : "(none)",
        cfg->initrd[0] ? cfg->initrd : "(none)");
    return EFI_SUCCESS;
}

static EFI_STATUS load_hv(struct hv_boot_info *bi)
{
    UINT64 base, size;
    struct elf_info info;
    const char *why;
    EFI_STATUS s = volume_read(HV_PATH, &base, &size);
    if (EFI_ERROR(s)) {
        say("boot: error: %s: cannot read: %s", HV_PATH, efi_status_name(s));
        return s;
    }
    const void *file = (const void *)(UINTN)base;
    if (elf_check(file, (size_t)size, &info, &why)) {
        say("boot: error: %s: %s", HV_PATH, why);
        return EFI_LOAD_ERROR;
    }
    EFI_PHYSICAL_ADDRESS dest;
    s = alloc(info.span, &dest, "the hypervisor image");
    if (EFI_ERROR(s))
        return s;
    if (elf_load(file, (size_t)size, &info, (void *)(UINTN)dest, dest, &why)) {
        say("boot: error: %s: %s", HV_PATH, why);
        return EFI_LOAD_ERROR;
    }
    BS->FreePages(base, EFI_SIZE_TO_PAGES(size));
    bi->hv_image.base = dest;
    bi->hv_image.size = info.span;
    bi->entry = dest + info.entry;
    say("boot: loaded %s (%llu bytes) at 0x%llx, %llu KiB", HV_PATH, (unsigned long long)size,
        (unsigned long long)dest, (unsigned long long)info.span >> 10);
    return EFI_SUCCESS;
}

static EFI_STATUS load_image(const char *path, struct hv_image *img)
{
    if (!path[0])
        return EFI_SUCCESS;
    EFI_STATUS s = volume_read(path, &img->base, &img->size);
    if (EFI_ERROR(s)) {
        say("boot: error: %s (named in %s): cannot read: %s", path, CONFIG_PATH,
            efi_status_name(s));
        return s;
    }
    for (size_t i = 0; i < HV_PATH_MAX && (img->path[i] = path[i]); i++)
        ;
    say("boot: loaded %s (%llu bytes) at 0x%llx", path, (unsigned long long)img->size,
        (unsigned long long)img->base);
    return EFI_SUCCESS;
}

/* One contiguous block, 2 MiB aligned so the guest's NPT can use large pages. */
static EFI_STATUS alloc_guest_ram(struct hv_boot_info *bi)
{
    UINT64 bytes = (UINT64)bi->config.memory_mb * MIB;
    EFI_PHYSICAL_ADDRESS raw;
    EFI_STATUS s = alloc(bytes + ALIGN_2M, &raw, "guest RAM");
    if (EFI_ERROR(s))
        return s;
    bi->guest_ram.base = (raw + ALIGN_2M - 1) & ~(ALIGN_2M - 1);
    bi->guest_ram.size = bytes;
    return EFI_SUCCESS;
}

/* HV_VRAM_MB for a video device's VRAM (boot_info.h: the loader knows no
 * kind's words, so the most any mmio_mb takes), which the hypervisor maps
 * where the guest puts it; 2 MiB aligned for large NPT pages. 0 MiB: no
 * video device. */
static UINT32 vram_mb(const struct hv_config *cfg)
{
    for (UINT32 i = 0; i < cfg->device_count; i++)
        if (str_eq(cfg->devices[i].kind, HV_VRAM_KIND))
            return HV_VRAM_MB;
    return 0;
}

static EFI_STATUS alloc_vram(struct hv_boot_info *bi, UINT32 mb)
{
    EFI_PHYSICAL_ADDRESS raw;
    EFI_STATUS s = alloc((UINT64)mb * MIB + ALIGN_2M, &raw, "the video device's VRAM");
    if (EFI_ERROR(s))
        return s;
    bi->vram.base = (raw + ALIGN_2M - 1) & ~(ALIGN_2M - 1);
    bi->vram.size = (UINT64)mb * MIB;
    return EFI_SUCCESS;
}

/* Pages a SIPI can start the other CPUs in: below 1 MiB (the vector names
 * the page), and below the EBDA/VGA hole at 640 KiB. Not fatal: without them
 * the hypervisor runs on this CPU alone. */
static void alloc_trampoline(struct hv_boot_info *bi)
{
    EFI_PHYSICAL_ADDRESS addr = 0x9ffff;
    EFI_STATUS s = BS->AllocatePages(AllocateMaxAddress, EfiLoaderData, HV_TRAMPOLINE_PAGES, &addr);
    if (EFI_ERROR(s)) {
        say("boot: no %u pages below 640 KiB for starting the other CPUs: %s", HV_TRAMPOLINE_PAGES,
            efi_status_name(s));
        return;
    }
    bi->trampoline.base = addr;
    bi->trampoline.size = HV_TRAMPOLINE_PAGES * EFI_PAGE_SIZE;
}

static UINT64 find_rsdp(void)
{
    UINT64 v1 = 0;
    for (UINTN i = 0; i < ST->NumberOfTableEntries; i++) {
        EFI_CONFIGURATION_TABLE *t = &ST->ConfigurationTable[i];
        if (!CompareGuid(&t->VendorGuid, &acpi20_guid))
            return (UINT64)(UINTN)t->VendorTable;
        if (!CompareGuid(&t->VendorGuid, &AcpiTableGuid))
            v1 = (UINT64)(UINTN)t->VendorTable;
    }
    return v1;
}

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *systab);

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *systab)
{
    InitializeLib(image, systab);
    console_init();
    say("boot: vmbhv loader " VMBHV_VERSION);

    EFI_STATUS s = volume_open(image);
    if (EFI_ERROR(s)) {
        say("boot: error: cannot open the boot volume: %s", efi_status_name(s));
        return fail(s);
    }

    EFI_PHYSICAL_ADDRESS bi_addr;
    s = alloc(sizeof(struct hv_boot_info), &bi_addr, "the boot information");
    if (EFI_ERROR(s))
        return fail(s);
    struct hv_boot_info *bi = (struct hv_boot_info *)(UINTN)bi_addr;
    SetMem(bi, sizeof(*bi), 0);
    bi->magic = HV_BOOT_MAGIC;
    bi->version = HV_BOOT_VERSION;
    bi->size = sizeof(*bi);

    if (EFI_ERROR((s = load_config(&bi->config))) || EFI_ERROR((s = load_hv(bi))) ||
        EFI_ERROR((s = load_image(bi->config.kernel, &bi->kernel))) ||
        EFI_ERROR((s = load_image(bi->config.initrd, &bi->initrd))))
        return fail(s);

    EFI_PHYSICAL_ADDRESS heap;
    if (EFI_ERROR((s = alloc((UINT64)bi->config.heap_mb * MIB, &heap, "the hypervisor heap"))))
        return fail(s);
    bi->heap.base = heap;
    bi->heap.size = (UINT64)bi->config.heap_mb * MIB;
    if (EFI_ERROR((s = alloc_guest_ram(bi))))
        return fail(s);
    UINT32 vram = vram_mb(&bi->config);
    if (vram) {
        if (EFI_ERROR((s = alloc_vram(bi, vram))))
            return fail(s);
        say("boot: VRAM %u MiB at 0x%llx", vram, (unsigned long long)bi->vram.base);
        display_record(&bi->display, HV_VIDEO_DEFAULT_WIDTH, HV_VIDEO_DEFAULT_HEIGHT);
    }
    alloc_trampoline(bi);
    bi->rsdp = find_rsdp();
    bi->boot_disk = volume_pci_function();
    say("boot: guest RAM %u MiB at 0x%llx, heap %u MiB at 0x%llx, RSDP at 0x%llx, AP "
        "trampoline at 0x%llx",
        bi->config.memory_mb, (unsigned long long)bi->guest_ram.base, bi->config.heap_mb,
        (unsigned long long)heap, (unsigned long long)bi->rsdp,
        (unsigned long long)bi->trampoline.base);

    s = handoff(image, bi);
    say("boot: error: ExitBootServices failed: %s", efi_status_name(s));
    return fail(s);
}
