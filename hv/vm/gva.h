/* Guest-virtual to guest-physical, through the guest's own page tables, as
 * the guest's paging mode walks them: off, 32-bit (with 4 MiB pages), PAE,
 * long mode with 4 or 5 levels. The tables are read from guest RAM only
 * (guest_mem.h) and every entry on the way is checked: not present,
 * reserved bits set, or a table outside RAM is a failed walk, never a guess.
 * Accessed and dirty bits are not written (the CPU set them when it ran the
 * access this walk repeats). Hardware-free. */
#ifndef HV_VM_GVA_H
#define HV_VM_GVA_H

#include <stddef.h>
#include <stdint.h>

#include "guest_mem.h"

/* The paging state the walk follows: the guest's control registers. */
struct gva_mode {
    uint64_t cr0, cr3, cr4, efer;
};

#define GVA_CR0_PG   (1ull << 31)
#define GVA_CR4_PSE  (1ull << 4)
#define GVA_CR4_PAE  (1ull << 5)
#define GVA_CR4_LA57 (1ull << 12)
#define GVA_EFER_LMA (1ull << 10)
#define GVA_EFER_NXE (1ull << 11)

/* 0 and *gpa, or -1 and *why (a static string). */
int gva_translate(const struct guest_mem *gm, const struct gva_mode *m, uint64_t va, uint64_t *gpa,
                  const char **why);

/* Copies up to len bytes of guest-virtual [va, va+len) out of guest RAM,
 * page by page (an instruction may cross a page boundary): how many were
 * copied before the first that cannot be (its page does not translate or
 * is not RAM: *why). 0 if not even the first. */
size_t gva_read(const struct guest_mem *gm, const struct gva_mode *m, uint64_t va, uint8_t *buf,
                size_t len, const char **why);

#endif
