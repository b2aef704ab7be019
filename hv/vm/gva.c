#include "vm/gva.h"

#include <stdbool.h>

#include "page.h"
#include "vm/cpuid.h"

#define E_P          (1ull << 0)
#define E_PS         (1ull << 7)
#define E_NX         (1ull << 63)
#define PHYS         ((1ull << GUEST_PHYS_BITS_MAX) - 1)
#define ADDR         (PHYS & ~(uint64_t)(PAGE_SIZE - 1))
#define BITS(hi, lo) ((~0ull >> (63 - (hi))) & ~((1ull << (lo)) - 1))

/* One entry of a table at guest-physical addr, width 4 or 8 bytes. */
static int read_entry(const struct guest_mem *gm, uint64_t addr, unsigned width, uint64_t *e,
                      const char **why)
{
    const uint8_t *p = gmem_ptr(gm, addr, width);
    if (!p) {
        *why = "a page table outside guest RAM";
        return -1;
    }
    *e = 0;
    for (unsigned i = 0; i < width; i++)
        *e |= (uint64_t)p[i] << (8 * i);
    return 0;
}

/* PAE and long mode: 8-byte entries, 512 to a table, `levels` tables from
 * `table` down (the PAE PDPT is walked by the caller). */
static int walk64(const struct guest_mem *gm, const struct gva_mode *m, uint64_t table, int levels,
                  uint64_t va, uint64_t *gpa, const char **why)
{
    /* bits 51:MAXPHYADDR, and NX unless EFER.NXE: reserved at every level */
    uint64_t rsvd = BITS(51, GUEST_PHYS_BITS_MAX) | ((m->efer & GVA_EFER_NXE) ? 0 : E_NX);
    for (int l = levels - 1; l >= 0; l--) {
        unsigned shift = 12 + 9 * (unsigned)l;
        uint64_t e;
        if (read_entry(gm, table + ((va >> shift) & 511) * 8, 8, &e, why))
            return -1;
        if (!(e & E_P)) {
            *why = "a page not present";
            return -1;
        }
        if (e & rsvd) {
            *why = "reserved bits in a page table entry";
            return -1;
        }
        bool large = l > 0 && (e & E_PS);
        if (large && l > 2) {
            *why = "a large page above a page directory pointer table";
            return -1;
        }
        if (large && (e & BITS(shift - 1, 13))) {
            *why = "reserved bits in a large page's address";
            return -1;
        }
        if (l == 0 || large) {
            *gpa = (e & ADDR & ~((1ull << shift) - 1)) | (va & ((1ull << shift) - 1));
            return 0;
        }
        table = e & ADDR;
    }
    return -1; /* not reached: level 0 is a leaf */
}

/* 32-bit paging: 4-byte entries, 1024 to a table; 4 MiB pages with CR4.PSE
 * (PSE-36: physical bits 39:32 in bits 20:13). */
static int walk32(const struct guest_mem *gm, const struct gva_mode *m, uint64_t va, uint64_t *gpa,
                  const char **why)
{
    uint64_t e;
    if (read_entry(gm, (m->cr3 & 0xfffff000u) + ((va >> 22) & 1023) * 4, 4, &e, why))
        return -1;
    if (!(e & E_P)) {
        *why = "a page not present";
        return -1;
    }
    if ((e & E_PS) && (m->cr4 & GVA_CR4_PSE)) {
        if (e & (1ull << 21)) {
            *why = "reserved bits in a page table entry";
            return -1;
        }
        *gpa = (e & 0xffc00000u) | ((e >> 13) & 0xff) << 32 | (va & 0x3fffff);
        return 0;
    }
    if (read_entry(gm, (e & 0xfffff000u) + ((va >> 12) & 1023) * 4, 4, &e, why))
        return -1;
    if (!(e & E_P)) {
        *why = "a page not present";
        return -1;
    }
    *gpa = (e & 0xfffff000u) | (va & 0xfff);
    return 0;
}

int gva_translate(const struct guest_mem *gm, const struct gva_mode *m, uint64_t va, uint64_t *gpa,
                  const char **why)
{
    if (!(m->cr0 & GVA_CR0_PG)) {
        *gpa = va & 0xffffffffu;
        return 0;
    }
    if (m->cr3 & BITS(63, GUEST_PHYS_BITS_MAX)) {
        *why = "reserved bits in CR3";
        return -1;
    }
    if (m->efer & GVA_EFER_LMA) {
        int levels = (m->cr4 & GVA_CR4_LA57) ? 5 : 4;
        unsigned bits = 12 + 9 * (unsigned)levels;
        uint64_t high = va >> (bits - 1);
        if (high != 0 && high != (~0ull >> (bits - 1))) {
            *why = "a non-canonical address";
            return -1;
        }
        return walk64(gm, m, m->cr3 & ADDR, levels, va, gpa, why);
    }
    va &= 0xffffffffu;
    if (!(m->cr4 & GVA_CR4_PAE))
        return walk32(gm, m, va, gpa, why);
    uint64_t e; /* PAE: the 4-entry PDPT at CR3[31:5] */
    if (read_entry(gm, (m->cr3 & 0xffffffe0u) + (va >> 30) * 8, 8, &e, why))
        return -1;
    if (!(e & E_P)) {
        *why = "a page not present";
        return -1;
    }
    if (e & (BITS(63, GUEST_PHYS_BITS_MAX) | BITS(8, 5) | BITS(2, 1))) {
        *why = "reserved bits in a page table entry";
        return -1;
    }
    return walk64(gm, m, e & ADDR, 2, va, gpa, why);
}

size_t gva_read(const struct guest_mem *gm, const struct gva_mode *m, uint64_t va, uint8_t *buf,
                size_t len, const char **why)
{
    size_t done = 0;
    while (done < len) {
        uint64_t gpa, at = va + done;
        size_t n = PAGE_SIZE - (at & (PAGE_SIZE - 1));
        if (n > len - done)
            n = len - done;
        if (gva_translate(gm, m, at, &gpa, why))
            break;
        const uint8_t *p = gmem_ptr(gm, gpa, n);
        if (!p) {
            *why = "code outside guest RAM";
            break;
        }
        for (size_t i = 0; i < n; i++)
            buf[done + i] = p[i];
        done += n;
    }
    return done;
}
