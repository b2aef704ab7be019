#include "vm/layout.h"

static uint64_t align_up(uint64_t v, uint64_t a)
{
    return (v + a - 1) & ~(a - 1);
}

static uint64_t align_down(uint64_t v, uint64_t a)
{
    return v & ~(a - 1);
}

static int fail(const char **why, const char *reason)
{
    *why = reason;
    return -1;
}

/* Highest page-aligned start for size bytes ending at or below top and starting
 * at or above bottom; 0 if there is none (0 is never a valid initrd address). */
static uint64_t place_high(uint64_t bottom, uint64_t top, uint64_t size)
{
    if (top < bottom || top - bottom < size)
        return 0;
    uint64_t at = align_down(top - size, PAGE_SIZE);
    return at >= bottom ? at : 0;
}

int layout_plan(uint64_t ram_size, const struct bzimage *k, uint64_t initrd_size,
                struct guest_layout *out, const char **why)
{
    if (ram_size < LAYOUT_MIN_RAM)
        return fail(why, "guest RAM smaller than 64 MiB");
    if (ram_size > LAYOUT_MAX_RAM)
        return fail(why, "guest RAM larger than 64 GiB (the boot page tables map at most that)");
    if (ram_size % PAGE_SIZE)
        return fail(why, "guest RAM size is not a multiple of 4 KiB");

    struct guest_layout l = {0};
    l.ram_size = ram_size;
    l.low_ram_end = ram_size < LAYOUT_MMIO32_BASE ? ram_size : LAYOUT_MMIO32_BASE;
    l.map_size = align_up(ram_size, 2 * LAYOUT_MiB);
    l.pd_pages = (unsigned)(align_up(ram_size, LAYOUT_GiB) / LAYOUT_GiB);

    /* boot.rst: a relocatable kernel runs from align_up(max(load, pref_address),
     * kernel_alignment) and needs init_size bytes from there; loading it lower
     * saves nothing, so load it exactly at its runtime start. */
    uint64_t start = k->pref_address > LAYOUT_HIGH_RAM ? k->pref_address : LAYOUT_HIGH_RAM;
    start = align_up(start, k->kernel_alignment);
    if (start >= l.low_ram_end || l.low_ram_end - start < k->init_size)
        return fail(why, "guest RAM too small for the kernel (pref_address + init_size)");
    l.kernel = start;
    l.kernel_end = start + k->init_size;

    if (initrd_size) {
        /* High, as boot loaders do, below initrd_addr_max, on either side of the
         * kernel; the whole initrd must lie below the 32-bit MMIO hole. */
        uint64_t top = (uint64_t)k->initrd_addr_max + 1;
        if (top > l.low_ram_end)
            top = l.low_ram_end;
        uint64_t at = place_high(l.kernel_end, top, initrd_size);
        if (!at)
            at = place_high(LAYOUT_HIGH_RAM, top < l.kernel ? top : l.kernel, initrd_size);
        if (!at)
            return fail(why, "initrd does not fit in guest RAM below initrd_addr_max "
                             "beside the kernel");
        l.initrd = at;
        l.initrd_size = initrd_size;
    }
    *out = l;
    return 0;
}
