/* The machine's IOAPIC, at the address the guest sees it too (vm/layout.h:
 * identity-mapped). The host routes its own pins here (the i8042's, i8042.c);
 * the guest programs the rest, through a page the nested page tables map
 * read-only: its reads reach the hardware, and an access that faults (every
 * write; reads too while a host pin's register is selected, when the page is
 * unmapped) runs once, single-stepped, against a shadow page that vm/ioapic.c
 * filled with what the guest must read and then judges (docs/design.md,
 * "Isolation"). Instructions are never decoded. */
#include "arch/x86/ioapic.h"

#include "arch/x86/arch.h"
#include "vm/ioapic.h"
#include "vm/layout.h"

#define RTE_PHYS_DEST_SHIFT 24 /* high dword: the destination APIC ID */

static volatile uint32_t *const mmio = (volatile uint32_t *)(uintptr_t)LAYOUT_IOAPIC;
static struct ioapic_guest guest;
static uint32_t *shadow;
static uint64_t *entry; /* the page's NPT entry */

static void hw_select(void *ctx, uint8_t reg)
{
    (void)ctx;
    mmio[IOAPIC_REGSEL / 4] = reg;
}

static uint32_t hw_read(void *ctx)
{
    (void)ctx;
    return mmio[IOAPIC_WINDOW / 4];
}

static void hw_write(void *ctx, uint32_t value)
{
    (void)ctx;
    mmio[IOAPIC_WINDOW / 4] = value;
}

static void hw_eoi(void *ctx, uint32_t value)
{
    (void)ctx;
    mmio[IOAPIC_EOI / 4] = value;
}

static const struct ioapic_hw hw = {hw_select, hw_read, hw_write, hw_eoi, NULL};

int ioapic_init(struct heap *heap, struct ptable *npt, const uint8_t *host_vectors, unsigned n)
{
    int level;
    shadow = heap_alloc_pages(heap, 1);
    entry = ptable_leaf(npt, LAYOUT_IOAPIC, &level);
    if (!shadow || !entry || level)
        return -1;
    hw_select(NULL, IOAPIC_REG_VERSION);
    uint32_t version = hw_read(NULL);
    unsigned pins = version == ~0u ? 0 : (version >> 16 & 0xff) + 1; /* all-ones: nothing there */
    ioapic_guest_init(&guest, &hw, host_vectors, n, pins);
    hw_select(NULL, guest.regsel);
    return 0;
}

bool ioapic_route(unsigned pin, uint8_t vector)
{
    if (ioapic_guest_reserve(&guest, pin))
        return false;
    hw_select(NULL, (uint8_t)(IOAPIC_REG_REDTBL + 2 * pin + 1));
    hw_write(NULL, lapic_id() << RTE_PHYS_DEST_SHIFT);
    hw_select(NULL, (uint8_t)(IOAPIC_REG_REDTBL + 2 * pin));
    hw_write(NULL, vector); /* fixed, physical, active high, edge, unmasked */
    hw_select(NULL, guest.regsel);
    return true;
}

void ioapic_access(void)
{
    ioapic_guest_prefill(&guest, shadow);
    *entry = (uint64_t)(uintptr_t)shadow | PT_P | PT_W | PT_U;
}

void ioapic_access_done(bool ran)
{
    if (ran)
        ioapic_guest_commit(&guest, shadow);
    *entry = LAYOUT_IOAPIC | PT_U | (ioapic_guest_window_virtual(&guest) ? 0 : PT_P);
}

size_t ioapic_summary(char *buf, size_t cap)
{
    return ioapic_guest_summary(&guest, buf, cap);
}
