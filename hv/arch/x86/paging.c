/* The hypervisor's page tables: an identity map of everything the memory map
 * mentions (at least 4 GiB, so firmware tables and MMIO are reachable). All
 * pages are write-back in the PTEs; the firmware's MTRRs keep MMIO uncached. */
#include "arch/x86/arch.h"
#include "arch/x86/cpu.h"
#include "lib/log.h"

#define PTE_P     (1ull << 0)
#define PTE_W     (1ull << 1)
#define PTE_PS    (1ull << 7)
#define GIB       (1ull << 30)
#define MAP_LIMIT (512 * GIB) /* one PML4 entry */

uint64_t paging_init(const struct hv_boot_info *bi, struct heap *heap)
{
    uint64_t top = 4 * GIB;
    for (uint32_t i = 0; i < bi->mmap_count; i++) {
        uint64_t end = bi->mmap[i].base + bi->mmap[i].pages * PAGE_SIZE;
        if (end > top)
            top = end;
    }
    if (top > MAP_LIMIT) {
        hv_log("paging", "memory map reaches 0x%llx; mapping only the first 512 GiB",
               (unsigned long long)top);
        top = MAP_LIMIT;
    }
    uint64_t gibs = (top + GIB - 1) / GIB;
    bool huge = cpuid(0x80000001, 0).edx & (1u << 26); /* 1 GiB pages */

    uint64_t *pml4 = heap_alloc_pages(heap, 1);
    uint64_t *pdpt = heap_alloc_pages(heap, 1);
    uint64_t *pds = huge ? NULL : heap_alloc_pages(heap, gibs);
    if (!pml4 || !pdpt || (!huge && !pds))
        return 0;
    pml4[0] = (uint64_t)(uintptr_t)pdpt | PTE_P | PTE_W;
    for (uint64_t g = 0; g < gibs; g++) {
        if (huge) {
            pdpt[g] = (g * GIB) | PTE_P | PTE_W | PTE_PS;
            continue;
        }
        uint64_t *pd = pds + g * 512;
        pdpt[g] = (uint64_t)(uintptr_t)pd | PTE_P | PTE_W;
        for (uint64_t j = 0; j < 512; j++)
            pd[j] = (g * GIB + j * (2ull << 20)) | PTE_P | PTE_W | PTE_PS;
    }
    uint64_t cr3 = (uint64_t)(uintptr_t)pml4;
    write_cr3(cr3);
    hv_log("paging", "identity map 0-0x%llx with %s pages, cr3=0x%llx",
           (unsigned long long)(gibs * GIB), huge ? "1 GiB" : "2 MiB", (unsigned long long)cr3);
    return cr3;
}
