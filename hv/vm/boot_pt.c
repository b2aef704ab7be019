#include "vm/boot_pt.h"

#include "lib/mem.h"
#include "vm/layout.h"

#define PTES_PER_PAGE 512u
#define PAGE_2M       (2ull << 20)

static void put_pte(uint8_t *table, unsigned i, uint64_t v)
{
    memcpy(table + 8 * i, &v, 8);
}

int boot_pt_build(const struct guest_mem *gm, uint64_t map_size, uint64_t *cr3, const char **why)
{
    if (map_size == 0 || map_size % PAGE_2M || map_size > LAYOUT_PD_MAX * LAYOUT_GiB) {
        *why = "identity map size not a non-zero multiple of 2 MiB up to 64 GiB";
        return -1;
    }
    unsigned pds = (unsigned)((map_size + LAYOUT_GiB - 1) / LAYOUT_GiB);
    uint8_t *pml4 = gmem_ptr(gm, LAYOUT_PML4, PAGE_SIZE);
    uint8_t *pdpt = gmem_ptr(gm, LAYOUT_PDPT, PAGE_SIZE);
    uint8_t *pd = gmem_ptr(gm, LAYOUT_PD, (uint64_t)pds * PAGE_SIZE);
    if (!pml4 || !pdpt || !pd) {
        *why = "boot page tables outside guest RAM";
        return -1;
    }
    memset(pml4, 0, PAGE_SIZE);
    memset(pdpt, 0, PAGE_SIZE);
    memset(pd, 0, (size_t)pds * PAGE_SIZE);

    /* Accessed bits preset so the first walk has nothing to write back. */
    put_pte(pml4, 0, LAYOUT_PDPT | PTE_P | PTE_RW | PTE_A);
    for (unsigned i = 0; i < pds; i++)
        put_pte(pdpt, i, (LAYOUT_PD + i * PAGE_SIZE) | PTE_P | PTE_RW | PTE_A);
    for (uint64_t pa = 0; pa < map_size; pa += PAGE_2M)
        put_pte(pd, (unsigned)(pa / PAGE_2M), pa | PTE_P | PTE_RW | PTE_A | PTE_PS);
    *cr3 = LAYOUT_PML4;
    return 0;
}
