#include "handoff.h"

#include <efilib.h>

#include "console.h"
#include "volume.h"

typedef void (*hv_entry_fn)(struct hv_boot_info *bi) __attribute__((noreturn));

/* Only plain memory operations are allowed here: boot services are gone. */
static void convert_map(struct hv_boot_info *bi, const UINT8 *map, UINTN size, UINTN dsize)
{
    UINT32 n = 0;
    for (UINTN off = 0; off + dsize <= size && n < HV_BOOT_MMAP_MAX; off += dsize) {
        const EFI_MEMORY_DESCRIPTOR *d = (const EFI_MEMORY_DESCRIPTOR *)(map + off);
        struct hv_mmap_entry *e = &bi->mmap[n++];
        e->type = d->Type < HV_MEM_TYPE_COUNT ? d->Type : HV_MEM_RESERVED;
        e->reserved = 0;
        e->base = d->PhysicalStart;
        e->pages = d->NumberOfPages;
        e->attr = d->Attribute;
    }
    bi->mmap_count = n;
}

EFI_STATUS handoff(EFI_HANDLE image, struct hv_boot_info *bi)
{
    UINTN size = 0, key, dsize;
    UINT32 dver;
    EFI_STATUS s = BS->GetMemoryMap(&size, NULL, &key, &dsize, &dver);
    if (s != EFI_BUFFER_TOO_SMALL)
        return s;
    /* Slack for the map growing through this very allocation and later events. */
    UINTN cap = size + 32 * dsize;
    EFI_PHYSICAL_ADDRESS buf;
    s = BS->AllocatePages(AllocateAnyPages, EfiLoaderData, EFI_SIZE_TO_PAGES(cap), &buf);
    if (EFI_ERROR(s))
        return s;
    say("boot: exiting boot services; hypervisor entry at 0x%llx", (unsigned long long)bi->entry);

    UINT8 *map = (UINT8 *)(UINTN)buf;
    /* After a failed ExitBootServices only GetMemoryMap may be called: retry
     * with a fresh key, as the spec's standard loop does. */
    for (int attempt = 0; attempt < 8; attempt++) {
        size = cap;
        s = BS->GetMemoryMap(&size, (EFI_MEMORY_DESCRIPTOR *)map, &key, &dsize, &dver);
        if (EFI_ERROR(s))
            return s;
        s = BS->ExitBootServices(image, key);
        if (!EFI_ERROR(s)) {
            convert_map(bi, map, size, dsize);
            __asm__ volatile("cli");
            ((hv_entry_fn)(UINTN)bi->entry)(bi);
        }
    }
    return s;
}
