/* The hypervisor's own GDT and TSS. The TSS only provides IST1, a known-good
 * stack for #DF, NMI and #MC (AMD APM vol. 2, 8.9.4). */
#include <stdint.h>

#include "arch/x86/arch.h"

#define IST_STACK_SIZE 16384

struct tss {
    uint32_t reserved0;
    uint64_t rsp[3];
    uint64_t reserved1;
    uint64_t ist[7];
    uint64_t reserved2;
    uint16_t reserved3;
    uint16_t iomap_base;
} __attribute__((packed));
_Static_assert(sizeof(struct tss) == 104, "64-bit TSS");

struct descriptor_ptr {
    uint16_t limit;
    uint64_t base;
} __attribute__((packed));

static uint64_t gdt[5];
static struct tss tss;
static uint8_t ist_stack[IST_STACK_SIZE] __attribute__((aligned(16)));

void gdt_init(void)
{
    uint64_t t = (uint64_t)(uintptr_t)&tss;
    uint64_t limit = sizeof(tss) - 1;

    tss.ist[0] = (uint64_t)(uintptr_t)(ist_stack + sizeof(ist_stack));
    tss.iomap_base = sizeof(tss);
    gdt[0] = 0;
    gdt[GDT_CODE / 8] = 0x00af9a000000ffffull; /* 64-bit code, DPL 0 */
    gdt[GDT_DATA / 8] = 0x00cf92000000ffffull; /* data, DPL 0 */
    gdt[GDT_TSS / 8] = (limit & 0xffff) | ((t & 0xffffff) << 16) | (0x89ull << 40) |
                       ((limit >> 16) << 48) | (((t >> 24) & 0xff) << 56);
    gdt[GDT_TSS / 8 + 1] = t >> 32;

    struct descriptor_ptr p = {sizeof(gdt) - 1, (uint64_t)(uintptr_t)gdt};
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
