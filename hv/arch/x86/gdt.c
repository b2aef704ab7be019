/* The hypervisor's GDT and TSS, one pair per CPU (percpu.h). The TSS only
 * provides IST1, a known-good stack for #DF, NMI and #MC (AMD APM vol. 2,
 * 8.9.4). */
#include <stdint.h>

#include "arch/x86/arch.h"
#include "arch/x86/percpu.h"

struct descriptor_ptr {
    uint16_t limit;
    uint64_t base;
} __attribute__((packed));

static struct cpu_desc bsp_desc;

void gdt_load(struct cpu_desc *d)
{
    uint64_t t = (uint64_t)(uintptr_t)&d->tss;
    uint64_t limit = sizeof(d->tss) - 1;

    d->tss.ist[0] = (uint64_t)(uintptr_t)(d->ist_stack + sizeof(d->ist_stack));
    d->tss.iomap_base = sizeof(d->tss);
    d->gdt[0] = 0;
    d->gdt[GDT_CODE / 8] = 0x00af9a000000ffffull; /* 64-bit code, DPL 0 */
    d->gdt[GDT_DATA / 8] = 0x00cf92000000ffffull; /* data, DPL 0 */
    d->gdt[GDT_TSS / 8] = (limit & 0xffff) | ((t & 0xffffff) << 16) | (0x89ull << 40) |
                          ((limit >> 16) << 48) | (((t >> 24) & 0xff) << 56);
    d->gdt[GDT_TSS / 8 + 1] = t >> 32;

    struct descriptor_ptr p = {sizeof(d->gdt) - 1, (uint64_t)(uintptr_t)d->gdt};
    __asm__ volatile("lgdt %0\n\t"
                     "mov %1, %%ds\n\t"
                     "mov %1, %%es\n\t"
                     "mov %1, %%ss\n\t"
                     "mov %2, %%fs\n\t"
                     "mov %2, %%gs\n\t"
                     "pushq %3\n\t"
                     "leaq 1f(%%rip), %%rax\n\t"
                     "pushq %%rax\n\t"
                     "lretq\n"
                     "1:\n\t"
                     "ltr %w4"
                     :
                     : "m"(p), "r"((uint16_t)GDT_DATA), "r"((uint16_t)0), "i"(GDT_CODE),
                       "r"((uint16_t)GDT_TSS)
                     : "rax", "memory");
}

void gdt_init(void)
{
    gdt_load(&bsp_desc);
}
