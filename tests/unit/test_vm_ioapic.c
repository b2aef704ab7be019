/* The guest's IOAPIC writes as hv/vm/ioapic.c judges them, over a fake
 * IOAPIC (a register file behind IOREGSEL/IOWIN, an EOI log): the shadow
 * page's prefill, IOREGSEL and entries forwarded, the host's pin kept from
 * the guest and shown to it as it wrote it (masked at first), entries
 * refused for their vector or delivery mode (masked ones pass), the ID,
 * version and missing registers, EOI, writes elsewhere in the page, writes
 * of the value a register holds, the log once per reason, and Linux 6.1's
 * clear_IO_APIC and entry set-up run against it, as the guest does them
 * (reads straight from the hardware unless the page is unmapped). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "vm/ioapic.h"

#include "fixture.h"

#define PINS       24u
#define HOST_PIN   1u
#define HOST_VEC   0xf4u
#define REG_LOW(p) (IOAPIC_REG_REDTBL + 2u * (p))
#define MASKED     IOAPIC_RTE_MASKED
#define LEVEL      (1u << 15)
#define REMOTE_IRR (1u << 14)

static struct {
    uint8_t sel;
    uint32_t regs[256];
    unsigned selects, writes, eois;
    uint32_t last_eoi;
} hw;

static void hw_select(void *ctx, uint8_t reg)
{
    (void)ctx;
    hw.sel = reg;
    hw.selects++;
}

static uint32_t hw_read(void *ctx)
{
    (void)ctx;
    return hw.regs[hw.sel];
}

static void hw_write(void *ctx, uint32_t value)
{
    (void)ctx;
    hw.regs[hw.sel] = value;
    hw.writes++;
}

static void hw_eoi(void *ctx, uint32_t value)
{
    (void)ctx;
    hw.last_eoi = value;
    hw.eois++;
}

static const struct ioapic_hw fake_hw = {hw_select, hw_read, hw_write, hw_eoi, NULL};
static const uint8_t host_vectors[4] = {0xf5, HOST_VEC, 0xff, 0};
static struct ioapic_guest g;
static uint32_t page[IOAPIC_WORDS];

static int setup(void **state)
{
    (void)state;
    memset(&hw, 0, sizeof(hw));
    for (unsigned p = 0; p < PINS; p++)
        hw.regs[REG_LOW(p)] = MASKED;
    hw.regs[IOAPIC_REG_VERSION] = (PINS - 1) << 16 | 0x20;
    log_reset();
    ioapic_guest_init(&g, &fake_hw, host_vectors, 4, PINS);
    /* the host routes its pin (hv/arch/x86/ioapic.c) */
    hw.regs[REG_LOW(HOST_PIN) + 1] = 0;
    hw.regs[REG_LOW(HOST_PIN)] = HOST_VEC;
    assert_int_equal(ioapic_guest_reserve(&g, HOST_PIN), 0);
    return 0;
}

/* One guest instruction storing value at offset (a dword) on the shadow. */
static void guest_write(unsigned offset, uint32_t value)
{
    ioapic_guest_prefill(&g, page);
    page[offset / 4] = value;
    ioapic_guest_commit(&g, page);
}

/* A guest read of IOWIN: from the hardware through the read-only page, or
 * from the shadow while the page is unmapped. */
static uint32_t guest_read_window(void)
{
    if (!ioapic_guest_window_virtual(&g))
        return hw.regs[hw.sel];
    ioapic_guest_prefill(&g, page);
    uint32_t v = page[IOAPIC_WINDOW / 4];
    ioapic_guest_commit(&g, page);
    return v;
}

static void io_apic_write(uint8_t reg, uint32_t value) /* Linux's io_apic_write */
{
    guest_write(IOAPIC_REGSEL, reg);
    guest_write(IOAPIC_WINDOW, value);
}

static uint32_t io_apic_read(uint8_t reg)
{
    guest_write(IOAPIC_REGSEL, reg);
    return guest_read_window();
}

static void prefill_and_selection(void **state)
{
    (void)state;
    assert_int_equal(g.regsel, 0);
    assert_false(ioapic_guest_window_virtual(&g));
    hw.regs[0] = 0x5a000000;
    ioapic_guest_prefill(&g, page);
    assert_int_equal(page[0], 0);
    assert_int_equal(page[IOAPIC_WINDOW / 4], 0x5a000000); /* the hardware's ID */
    for (unsigned i = 0; i < IOAPIC_WORDS; i++) {
        if (i != 0 && i != IOAPIC_WINDOW / 4)
            assert_int_equal(page[i], IOAPIC_POISON);
    }
    ioapic_guest_commit(&g, page); /* a read: nothing changed, nothing done */
    assert_int_equal(hw.selects + hw.writes + hw.eois, 0);
    assert_int_equal(g.emulated, 1);

    guest_write(IOAPIC_REGSEL, REG_LOW(5));
    assert_int_equal(hw.sel, REG_LOW(5));
    assert_int_equal(g.regsel, REG_LOW(5));
    assert_false(ioapic_guest_window_virtual(&g));
    /* only the register's 8 bits: a byte store to IOREGSEL too */
    guest_write(IOAPIC_REGSEL, 0x113);
    assert_int_equal(hw.sel, 0x13);
    assert_true(ioapic_guest_window_virtual(&g)); /* pin 1's high dword */
    guest_write(IOAPIC_REGSEL, 0x12);
    assert_true(ioapic_guest_window_virtual(&g));
    guest_write(IOAPIC_REGSEL, 0x14);
    assert_false(ioapic_guest_window_virtual(&g));
    assert_int_equal(g.refused, 0);
    assert_int_equal(loglen, 0);
}

static void entries_reach_the_hardware(void **state)
{
    (void)state;
    io_apic_write(REG_LOW(2) + 1, 0x01000000);
    io_apic_write(REG_LOW(2), 0x30); /* fixed, edge, unmasked */
    assert_int_equal(hw.regs[REG_LOW(2) + 1], 0x01000000);
    assert_int_equal(hw.regs[REG_LOW(2)], 0x30);
    io_apic_write(REG_LOW(9), 0x31 | LEVEL | 1u << 8); /* lowest priority, level */
    assert_int_equal(hw.regs[REG_LOW(9)], 0x31 | LEVEL | 1u << 8);
    io_apic_write(REG_LOW(3), 4u << 8); /* NMI: no vector */
    assert_int_equal(hw.regs[REG_LOW(3)], 4u << 8);
    /* masked, anything may sit there: Linux masks with all zeros */
    io_apic_write(REG_LOW(4), MASKED);
    io_apic_write(REG_LOW(5), MASKED | HOST_VEC | 7u << 8);
    assert_int_equal(hw.regs[REG_LOW(4)], MASKED);
    assert_int_equal(hw.regs[REG_LOW(5)], MASKED | HOST_VEC | 7u << 8);
    assert_int_equal(io_apic_read(REG_LOW(2)), 0x30);
    assert_int_equal(g.refused, 0);
    assert_int_equal(loglen, 0);
}

/* The host's pin: never written by the guest; the guest reads back what it
 * wrote (masked before it wrote anything), the read-only bits clear. */
static void the_host_pin_is_kept(void **state)
{
    (void)state;
    assert_int_equal(io_apic_read(REG_LOW(HOST_PIN)), MASKED);
    assert_int_equal(io_apic_read(REG_LOW(HOST_PIN) + 1), 0);
    const unsigned writes = hw.writes;
    io_apic_write(REG_LOW(HOST_PIN), MASKED); /* what it reads: no change */
    assert_int_equal(g.refused, 0);
    io_apic_write(REG_LOW(HOST_PIN) + 1, 0xff000000);
    io_apic_write(REG_LOW(HOST_PIN), 0x41 | REMOTE_IRR);
    assert_int_equal(hw.writes, writes);
    assert_int_equal(hw.regs[REG_LOW(HOST_PIN)], HOST_VEC);
    assert_int_equal(hw.regs[REG_LOW(HOST_PIN) + 1], 0);
    assert_int_equal(io_apic_read(REG_LOW(HOST_PIN)), 0x41);
    assert_int_equal(io_apic_read(REG_LOW(HOST_PIN) + 1), 0xff000000);
    assert_int_equal(g.refused, 2);
    assert_int_equal(log_count("hv: ioapic: "), 1);
    assert_non_null(strstr(logbuf, "hv: ioapic: guest write of 0xff000000 to pin 1's entry "
                                   "refused: the pin is the host's (further ones counted)\n"));
    /* the pins beside it are the guest's */
    io_apic_write(REG_LOW(0), 0x30);
    io_apic_write(REG_LOW(2) + 1, 0x2);
    assert_int_equal(hw.regs[REG_LOW(0)], 0x30);
    assert_int_equal(hw.regs[REG_LOW(2) + 1], 0x2);
    assert_int_equal(g.refused, 2);
}

static void reserve_refusals(void **state)
{
    (void)state;
    assert_int_equal(ioapic_guest_reserve(&g, IOAPIC_HOST_PINS_MAX), -1);
    struct ioapic_guest small;
    ioapic_guest_init(&small, &fake_hw, host_vectors, 4, 1);
    assert_int_equal(ioapic_guest_reserve(&small, 1), -1); /* one pin: pin 0 */
    assert_int_equal(ioapic_guest_reserve(&small, 0), 0);
    struct ioapic_guest none;
    ioapic_guest_init(&none, &fake_hw, host_vectors, 4, 0); /* no IOAPIC answered */
    assert_int_equal(ioapic_guest_reserve(&none, 0), -1);
}

/* Unmasked entries with a vector or delivery mode that is not the guest's. */
static void entries_refused(void **state)
{
    (void)state;
    static const struct {
        uint32_t low;
        const char *why;
    } bad[] = {
        {0x05, "unmasked with vector below 16"},
        {0x1f, "unmasked with an exception vector (16-31)"},
        {HOST_VEC, "unmasked with a vector the host owns"},
        {0xf5, "unmasked with a vector the host owns"},
        {0xff | 1u << 8, "unmasked with a vector the host owns"},
        {0x30 | 2u << 8, "unmasked with delivery mode SMI"},
        {0x30 | 3u << 8, "unmasked with a reserved delivery mode (3)"},
        {0x30 | 5u << 8, "unmasked with delivery mode INIT"},
        {0x30 | 6u << 8, "unmasked with a reserved delivery mode (6)"},
        {0x30 | 7u << 8, "unmasked with delivery mode ExtINT"},
    };
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char line[160];
        io_apic_write(REG_LOW(7), bad[i].low);
        assert_int_equal(hw.regs[REG_LOW(7)], MASKED);
        assert_int_equal(g.refused, i + 1);
        snprintf(line, sizeof(line), "guest entry 0x%08x for pin 7 refused: %s (further",
                 bad[i].low, bad[i].why);
        if (i != 3 && i != 4) /* the host's vectors: one line for the reason */
            assert_non_null(strstr(logbuf, line));
    }
    assert_int_equal(log_count("hv: ioapic: "), 8);
    /* later ones of each reason are counted, not logged */
    io_apic_write(REG_LOW(8), 0x06);
    assert_int_equal(log_count("hv: ioapic: "), 8);
    assert_int_equal(g.refused, 11);
    assert_int_equal(hw.regs[REG_LOW(8)], MASKED);
}

static void other_registers_and_offsets(void **state)
{
    (void)state;
    io_apic_write(0, 0x0f000000); /* ID */
    io_apic_write(IOAPIC_REG_VERSION, 0);
    io_apic_write(2, 1); /* arbitration */
    io_apic_write(REG_LOW(PINS), 0x30);
    io_apic_write(0xff, 0x30);
    assert_int_equal(hw.writes, 0);
    assert_int_equal(g.refused, 5);
    assert_non_null(strstr(logbuf, "guest write of 0x0f000000 to register 0x0 refused: the ID, "
                                   "version and arbitration registers are the host's"));
    assert_non_null(strstr(logbuf, "guest write of 0x00000030 to register 0x40 refused: no such "
                                   "register"));
    /* EOI goes through; a store elsewhere in the page is dropped */
    guest_write(IOAPIC_EOI, 0x31);
    assert_int_equal(hw.eois, 1);
    assert_int_equal(hw.last_eoi, 0x31);
    guest_write(0x20, 1);
    guest_write(0xffc, 0);
    assert_int_equal(g.refused, 7);
    assert_non_null(strstr(logbuf, "guest write to offset 0x20 refused: no register there"));
    assert_int_equal(log_count("hv: ioapic: "), 3);
    /* a store of the value a word holds is no change: nothing happens */
    const unsigned selects = hw.selects;
    guest_write(IOAPIC_REGSEL, g.regsel);
    hw.regs[g.regsel] = 0x77;
    guest_write(IOAPIC_WINDOW, 0x77);
    assert_int_equal(hw.selects, selects);
    assert_int_equal(hw.writes, 0);
    assert_int_equal(g.refused, 7);
}

/* One instruction storing to IOREGSEL and IOWIN at once (a 32-byte store):
 * the window's value goes to the register just selected. */
static void one_store_to_both(void **state)
{
    (void)state;
    ioapic_guest_prefill(&g, page);
    page[0] = REG_LOW(6);
    page[IOAPIC_WINDOW / 4] = 0x33;
    ioapic_guest_commit(&g, page);
    assert_int_equal(hw.regs[REG_LOW(6)], 0x33);
}

/* Linux 6.1 at boot (arch/x86/kernel/apic/io_apic.c): clear_IO_APIC reads
 * every pin, masks it, clears it; then a few pins get their entries, pin 2
 * (the PIT) and 9 (the SCI). The host's pin is untouched throughout and the
 * guest never sees it unmasked, so it never tries the remote-IRR dance, and
 * nothing is logged: all it writes there is what it read. */
static void linux_boot_model(void **state)
{
    (void)state;
    for (unsigned pin = 0; pin < PINS; pin++) {
        uint32_t low = io_apic_read(REG_LOW(pin));
        (void)io_apic_read(REG_LOW(pin) + 1);
        assert_true(low & MASKED); /* the host pin included */
        assert_false(low & REMOTE_IRR);
        /* ioapic_mask_entry: high then low, all zero but the mask */
        io_apic_write(REG_LOW(pin) + 1, 0);
        io_apic_write(REG_LOW(pin), MASKED);
        assert_true(io_apic_read(REG_LOW(pin)) & MASKED);
    }
    io_apic_write(REG_LOW(2) + 1, 0x01000000);
    io_apic_write(REG_LOW(2), 0x30);
    io_apic_write(REG_LOW(9) + 1, 0x01000000);
    io_apic_write(REG_LOW(9), 0x21 | LEVEL | 1u << 13);
    assert_int_equal(hw.regs[REG_LOW(HOST_PIN)], HOST_VEC);
    assert_int_equal(hw.regs[REG_LOW(HOST_PIN) + 1], 0);
    assert_int_equal(hw.regs[REG_LOW(2)], 0x30);
    assert_int_equal(hw.regs[REG_LOW(9)], 0x21 | LEVEL | 1u << 13);
    assert_int_equal(hw.regs[REG_LOW(0)], MASKED);
    /* the host pin's writes were what it read (masked, zeros): no change, no line */
    assert_int_equal(g.refused, 0);
    assert_int_equal(loglen, 0);
}

static void summary(void **state)
{
    (void)state;
    guest_write(IOAPIC_REGSEL, REG_LOW(HOST_PIN));
    guest_write(IOAPIC_WINDOW, 0x30);
    char buf[80];
    size_t n = ioapic_guest_summary(&g, buf, sizeof(buf));
    assert_string_equal(buf, " ioapic_emulated=2 ioapic_refused=1");
    assert_int_equal(n, strlen(buf));
    assert_int_equal(ioapic_guest_summary(&g, buf, 10), n); /* the length it would have */
}

int main(void)
{
#define T(f) cmocka_unit_test_setup(f, setup)
    const struct CMUnitTest tests[] = {
        T(prefill_and_selection),
        T(entries_reach_the_hardware),
        T(the_host_pin_is_kept),
        T(reserve_refusals),
        T(entries_refused),
        T(other_registers_and_offsets),
        T(one_store_to_both),
        T(linux_boot_model),
        T(summary),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
