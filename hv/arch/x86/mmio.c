/* Uncached identity mappings for device registers, added to the page tables
 * paging.c built (found through CR3). Large pages that cover a register
 * range only in part are split, so nothing else changes type. */
#include "arch/x86/cpu.h"
#include "arch/x86/pci.h"

#define PTE_P    (1ull << 0)
#define PTE_W    (1ull << 1)
#define PTE_PWT  (1ull << 3)
#define PTE_PCD  (1ull << 4)
#define PTE_PS   (1ull << 7)
#define PTE_ADDR 0x000ffffffffff000ull
#define MIB2     (2ull << 20)

/* The table the entry e points to, made if absent; a large page covering
 * span bytes becomes a table of 512 pieces mapping the same. */
static uint64_t *table(struct heap *heap, uint64_t *e, uint64_t span)
{
    if ((*e & PTE_P) && !(*e & PTE_PS))
        return (uint64_t *)(uintptr_t)(*e & PTE_ADDR);
    uint64_t *t = heap_alloc_pages(heap, 1);
    if (!t)
        return NULL;
    if (*e & PTE_P) {
        uint64_t base = *e & PTE_ADDR & ~(span - 1); /* bit 12 of a large page is PAT */
        uint64_t flags = *e & (PTE_P | PTE_W | PTE_PWT | PTE_PCD);
        uint64_t piece = span / 512;
        for (unsigned i = 0; i < 512; i++)
            t[i] = (base + i * piece) | flags | (piece > PAGE_SIZE ? PTE_PS : 0);
    }
    *e = (uint64_t)(uintptr_t)t | PTE_P | PTE_W;
    return t;
}

bool mmio_map(struct heap *heap, uint64_t pa, uint64_t size)
{
    uint64_t end = pa + size;
    if (!size || end < pa || end > (1ull << 47))
        return false;
    uint64_t *pml4 = (uint64_t *)(uintptr_t)(read_cr3() & PTE_ADDR);
    const uint64_t uc = PTE_P | PTE_W | PTE_PCD | PTE_PWT;
    bool ok = true;
    for (uint64_t a = pa & ~(uint64_t)(PAGE_SIZE - 1); a < end;) {
        uint64_t *pdpt = table(heap, &pml4[a >> 39 & 511], 0);
        uint64_t *pd = pdpt ? table(heap, &pdpt[a >> 30 & 511], 1ull << 30) : NULL;
        if (!pd) {
            ok = false;
            break;
        }
        uint64_t *pde = &pd[a >> 21 & 511];
        if (!(a % MIB2) && end - a >= MIB2) {
            *pde = a | uc | PTE_PS;
            a += MIB2;
            continue;
        }
        uint64_t *pt = table(heap, pde, MIB2);
        if (!pt) {
            ok = false;
            break;
        }
        pt[a >> 12 & 511] = a | uc;
        a += PAGE_SIZE;
    }
    write_cr3(read_cr3()); /* no global pages: this flushes every translation */
    return ok;
}
