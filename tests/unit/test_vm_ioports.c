/* The guest's I/O port space (hv/vm/ioports.c), pinned table by table: which
 * ranges the guest owns (and nothing else), every unlisted port an empty bus
 * at every size, PM1 control as a shadow whose SLP_EN is judged at any width
 * and offset, the reset doors (0x92, 0xcf9, the keyboard controller) and the
 * accesses that only look like them, the read-only CMOS, and accesses that
 * straddle range boundaries (judged byte for byte, never forwarded whole)
 * or run past port 0xffff. The fake hardware records every in8/out8. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "vm/ioports.h"

#define PM1_EVT    0x600
#define PM1_CNT    0x604
#define PM_TMR     0x608
#define S5_TYP     5
#define SCI_EN     0x0001u
#define SLP_EN     0x2000u
#define SLP_TYP(t) ((uint32_t)(t) << 10)

/* A machine like QEMU's (PM blocks at 0x600) with the hypervisor's own ports. */
static const struct io_machine machine = {
    .pm1a_evt = PM1_EVT,
    .pm1a_cnt = PM1_CNT,
    .pm_tmr = PM_TMR,
    .s5_slp_typ = S5_TYP,
    .debug_exit = 0xf4,
    .host_uart = 0x2f8,
    .host_debugcon = 0x402,
};

/* --- the fake hardware --------------------------------------------------------- */

struct hw_op {
    bool in;
    uint16_t port;
    uint8_t value;
};

static struct hw_op ops[256];
static unsigned nops;
static uint8_t cmos[128];
static uint8_t cmos_latch; /* the index the fake CMOS was last given */

static uint8_t hw_value(uint16_t port)
{
    return (uint8_t)(port * 7 + 3);
}

static uint8_t fake_in8(uint16_t port)
{
    uint8_t v = port == 0x71 ? cmos[cmos_latch & 0x7f] : hw_value(port);
    if (nops < 256)
        ops[nops] = (struct hw_op){true, port, v};
    nops++;
    return v;
}

static void fake_out8(uint16_t port, uint8_t value)
{
    if (port == 0x70)
        cmos_latch = value;
    if (nops < 256)
        ops[nops] = (struct hw_op){false, port, value};
    nops++;
}

static const struct io_hw hw = {fake_in8, fake_out8};
static struct io_space s;

static int setup(void **state)
{
    (void)state;
    const char *why = NULL;
    nops = 0;
    cmos_latch = 0;
    for (unsigned i = 0; i < sizeof(cmos); i++)
        cmos[i] = (uint8_t)(0x40 + i);
    return io_space_init(&s, &machine, &why);
}

static void expect_op(unsigned i, bool in, uint16_t port, uint8_t value)
{
    assert_true(i < nops);
    assert_int_equal(ops[i].in, in);
    assert_int_equal(ops[i].port, port);
    assert_int_equal(ops[i].value, value);
}

static uint32_t in(uint16_t port, unsigned size, struct io_result *res)
{
    uint32_t v = 0x5a5a5a5a;
    struct io_result r = io_access(&s, &hw, port, size, true, &v);
    if (res)
        *res = r;
    else
        assert_int_equal(r.event, IO_EV_NONE);
    return v;
}

static struct io_result out(uint16_t port, unsigned size, uint32_t value)
{
    uint32_t v = value;
    struct io_result r = io_access(&s, &hw, port, size, false, &v);
    assert_int_equal(v, value); /* an OUT's value is the caller's */
    return r;
}

static uint32_t ones(unsigned size)
{
    return size == 4 ? 0xffffffffu : (1u << 8 * size) - 1;
}

/* --- the table ------------------------------------------------------------------- */

static const struct {
    uint16_t base, len;
    enum io_owner owner;
} expected[] = {
    {0x20, 2, IO_GUEST},    {0xa0, 2, IO_GUEST},      {0x4d0, 2, IO_GUEST}, {0x40, 4, IO_GUEST},
    {0x61, 1, IO_GUEST},    {0x80, 1, IO_GUEST},      {0x3f8, 8, IO_GUEST}, {PM1_EVT, 4, IO_GUEST},
    {PM_TMR, 4, IO_GUEST},  {PM1_CNT, 2, IO_PM1_CNT}, {0xcf8, 8, IO_PCI},   {0x92, 1, IO_PORT92},
    {0x60, 1, IO_KBC_DATA}, {0x64, 1, IO_KBC_CMD},    {0x70, 2, IO_CMOS},   {0xf4, 4, IO_HOST},
    {0x2f8, 8, IO_HOST},    {0x402, 2, IO_HOST},
};

static enum io_owner expected_owner(uint32_t port)
{
    for (unsigned i = 0; i < sizeof(expected) / sizeof(expected[0]); i++) {
        if (port >= expected[i].base && port < (uint32_t)expected[i].base + expected[i].len)
            return expected[i].owner;
    }
    return IO_EMPTY;
}

static uint8_t granted[0x10000];
static unsigned granted_calls;

static void collect(void *ctx, uint16_t base, uint16_t len)
{
    assert_ptr_equal(ctx, &granted);
    assert_true(len > 0);
    assert_true((uint32_t)base + len <= 0x10000);
    for (uint32_t p = base; p < (uint32_t)base + len; p++) {
        assert_int_equal(granted[p], 0); /* no port handed out twice */
        granted[p] = 1;
    }
    granted_calls++;
}

/* The guest owns COM1, the PIT, the PICs, the ELCR, 0x61, 0x80 and the
 * firmware's PM1 event block and PM timer; nothing else is opened. */
static void guest_ranges_exactly(void **state)
{
    (void)state;
    memset(granted, 0, sizeof(granted));
    granted_calls = 0;
    io_each_guest_range(&s, collect, granted);
    assert_int_equal(granted_calls, 9);
    unsigned n = 0;
    for (uint32_t p = 0; p < 0x10000; p++) {
        assert_int_equal(granted[p], expected_owner(p) == IO_GUEST);
        n += granted[p];
    }
    assert_int_equal(n, 2 + 2 + 2 + 4 + 1 + 1 + 8 + 4 + 4);
    assert_int_equal(nops, 0);
}

/* Every port's owner is the table's, and every range says why. */
static void lookup_matches_table(void **state)
{
    (void)state;
    for (uint32_t p = 0; p < 0x10000; p++) {
        const struct io_range *r = io_lookup(&s, (uint16_t)p);
        assert_non_null(r);
        assert_int_equal(r->owner, expected_owner(p));
        assert_non_null(r->why);
        assert_true(strlen(r->why) > 0);
        if (r->owner != IO_EMPTY)
            assert_true(p >= r->base && p < (uint32_t)r->base + r->len);
    }
    assert_int_equal(s.n, sizeof(expected) / sizeof(expected[0]));
}

static void init_refuses(const struct io_machine *m, const char *reason)
{
    struct io_space t;
    const char *why = NULL;
    assert_int_equal(io_space_init(&t, m, &why), -1);
    assert_non_null(why);
    assert_non_null(strstr(why, reason));
}

/* A machine whose ranges overlap (the firmware's blocks, or the host's
 * ports, on top of each other or of a fixed device) is refused with a reason. */
static void init_refuses_overlaps(void **state)
{
    (void)state;
    struct io_machine m = machine;
    m.pm_tmr = PM1_EVT + 2;
    init_refuses(&m, "overlap");
    m = machine;
    m.pm1a_cnt = PM1_EVT + 3; /* control on the event block's last byte */
    init_refuses(&m, "overlap");
    m = machine;
    m.pm1a_evt = 0x3f6; /* into COM1 */
    init_refuses(&m, "overlap");
    m = machine;
    m.pm1a_cnt = 0x91; /* 0x91-0x92: onto port 0x92 */
    init_refuses(&m, "overlap");
    m = machine;
    m.pm_tmr = 0xcfc; /* inside the PCI ports */
    init_refuses(&m, "overlap");
    m = machine;
    m.host_debugcon = 0x2ff; /* the last port of the host UART */
    init_refuses(&m, "overlap");
    m = machine;
    m.debug_exit = 0x70; /* onto the CMOS */
    init_refuses(&m, "overlap");
    m = machine;
    m.pm_tmr = 0xfffe; /* 4 ports from 0xfffe run past 0xffff */
    init_refuses(&m, "0xffff");

    /* adjacent is fine, and a range may end exactly at 0xffff */
    m = machine;
    m.pm1a_evt = 0x1000;
    m.pm1a_cnt = 0x1004;
    m.pm_tmr = 0xfffc;
    struct io_space t;
    const char *why = NULL;
    assert_int_equal(io_space_init(&t, &m, &why), 0);
    assert_int_equal(io_lookup(&t, 0xffff)->owner, IO_GUEST);
    assert_int_equal(io_lookup(&t, 0x1003)->owner, IO_GUEST);
    assert_int_equal(io_lookup(&t, 0x1004)->owner, IO_PM1_CNT);
}

/* A port of 0 in the machine means "none" (struct io_machine): no range at
 * port 0 — neither the host's (a second absent one would then overlap and
 * refuse the run) nor, for an absent PM timer, the guest's (that would pass
 * the DMA controller's ports 0-3 through). */
static void absent_machine_ports_open_nothing(void **state)
{
    (void)state;
    struct io_machine m = machine;
    m.debug_exit = 0;
    m.host_uart = 0;
    m.host_debugcon = 0;
    struct io_space t;
    const char *why = NULL;
    assert_int_equal(io_space_init(&t, &m, &why), 0);
    for (uint16_t p = 0; p < 8; p++)
        assert_int_equal(io_lookup(&t, p)->owner, IO_EMPTY);

    m = machine;
    m.pm_tmr = 0; /* a FADT without a PM timer */
    assert_int_equal(io_space_init(&t, &m, &why), 0);
    for (uint16_t p = 0; p < 8; p++)
        assert_int_equal(io_lookup(&t, p)->owner, IO_EMPTY);
    memset(granted, 0, sizeof(granted));
    granted_calls = 0;
    io_each_guest_range(&t, collect, granted);
    assert_int_equal(granted_calls, 8);
    assert_int_equal(granted[0], 0);
}

/* Every port the guest does not own and nothing emulates, at every size:
 * reads all-ones, writes dropped, the access reported with its first port,
 * and the hardware never touched. */
static void unlisted_ports_are_an_empty_bus(void **state)
{
    (void)state;
    static const unsigned sizes[] = {1, 2, 4};
    unsigned checked = 0;
    for (uint32_t p = 0; p < 0x10000; p++) {
        for (unsigned k = 0; k < 3; k++) {
            unsigned size = sizes[k];
            bool unowned = true;
            for (unsigned i = 0; i < size && p + i < 0x10000; i++) {
                enum io_owner o = expected_owner(p + i);
                unowned &= o == IO_EMPTY || o == IO_HOST;
            }
            if (!unowned)
                continue;
            struct io_space before = s;
            struct io_result r;
            uint32_t v = in((uint16_t)p, size, &r);
            assert_int_equal(v, ones(size));
            assert_int_equal(r.event, IO_EV_NONE);
            assert_true(r.refused);
            assert_int_equal(r.refused_port, p);
            assert_false(r.cmos_write);
            r = out((uint16_t)p, size, 0x01fe01feu); /* reset-looking bytes */
            assert_int_equal(r.event, IO_EV_NONE);
            assert_true(r.refused);
            assert_int_equal(r.refused_port, p);
            assert_int_equal(nops, 0);
            assert_memory_equal(&before, &s, sizeof(s));
            checked++;
        }
    }
    assert_true(checked > 3 * 65000);
}

/* The hypervisor's own ports are no different from nothing to the guest. */
static void host_ports_are_an_empty_bus(void **state)
{
    (void)state;
    static const uint16_t host[] = {0xf4,  0xf5,  0xf6,  0xf7,  0x2f8,
                                    0x2f9, 0x2fc, 0x2ff, 0x402, 0x403};
    for (unsigned i = 0; i < sizeof(host) / sizeof(host[0]); i++) {
        struct io_result r;
        assert_int_equal(in(host[i], 1, &r), 0xff);
        assert_true(r.refused);
        assert_int_equal(r.refused_port, host[i]);
        r = out(host[i], 1, 0x31); /* '1' to debug-exit: a made-up verdict */
        assert_true(r.refused);
        assert_int_equal(r.refused_port, host[i]);
        assert_int_equal(r.event, IO_EV_NONE);
    }
    struct io_result r;
    assert_int_equal(in(0xf4, 4, &r), 0xffffffffu);
    r = out(0x2f8, 4, 0x41424344);
    assert_true(r.refused);
    assert_int_equal(nops, 0);
}

/* The guest's ranges reach the hardware byte for byte, unreported. */
static void guest_ports_pass_through(void **state)
{
    (void)state;
    struct io_result r;
    assert_int_equal(in(0x3f8, 1, &r), hw_value(0x3f8));
    assert_false(r.refused);
    uint32_t v = in(0x3fc, 4, &r);
    assert_false(r.refused);
    assert_int_equal(v, hw_value(0x3fc) | hw_value(0x3fd) << 8 | hw_value(0x3fe) << 16 |
                            (uint32_t)hw_value(0x3ff) << 24);
    r = out(0x40, 2, 0xbeef);
    assert_false(r.refused);
    assert_int_equal(r.event, IO_EV_NONE);
    assert_int_equal(nops, 1 + 4 + 2);
    expect_op(0, true, 0x3f8, hw_value(0x3f8));
    expect_op(1, true, 0x3fc, hw_value(0x3fc));
    expect_op(4, true, 0x3ff, hw_value(0x3ff));
    expect_op(5, false, 0x40, 0xef);
    expect_op(6, false, 0x41, 0xbe);
    assert_int_equal(in(PM_TMR, 4, &r), hw_value(PM_TMR) | hw_value(PM_TMR + 1) << 8 |
                                            hw_value(PM_TMR + 2) << 16 |
                                            (uint32_t)hw_value(PM_TMR + 3) << 24);
    assert_false(r.refused);
}

/* An access from a guest port into one it does not own: the guest's bytes
 * reach the hardware, the rest is an empty bus, reported at its first port. */
static void straddle_out_of_a_guest_range(void **state)
{
    (void)state;
    struct io_result r;
    uint32_t v = in(0x3fe, 4, &r);
    assert_int_equal(v, hw_value(0x3fe) | hw_value(0x3ff) << 8 | 0xffff0000u);
    assert_true(r.refused);
    assert_int_equal(r.refused_port, 0x400);
    assert_int_equal(nops, 2);
    r = out(0x3fe, 4, 0x44332211);
    assert_true(r.refused);
    assert_int_equal(r.refused_port, 0x400);
    assert_int_equal(nops, 4);
    expect_op(2, false, 0x3fe, 0x11);
    expect_op(3, false, 0x3ff, 0x22);
    /* into a guest range from below: 0x3f6, 0x3f7 empty, 0x3f8, 0x3f9 the guest's */
    r = out(0x3f6, 4, 0x44332211);
    assert_true(r.refused);
    assert_int_equal(r.refused_port, 0x3f6);
    assert_int_equal(nops, 6);
    expect_op(4, false, 0x3f8, 0x33);
    expect_op(5, false, 0x3f9, 0x44);
}

/* --- PM1 control ----------------------------------------------------------------- */

static void pm1_reads_the_shadow(void **state)
{
    (void)state;
    assert_int_equal(in(PM1_CNT, 2, NULL), SCI_EN); /* ACPI mode, as the firmware left it */
    assert_int_equal(in(PM1_CNT, 1, NULL), SCI_EN);
    assert_int_equal(in(PM1_CNT + 1, 1, NULL), 0);
    assert_int_equal(out(PM1_CNT, 2, SCI_EN | SLP_TYP(3)).event, IO_EV_NONE);
    assert_int_equal(in(PM1_CNT, 2, NULL), SCI_EN | SLP_TYP(3));
    assert_int_equal(in(PM1_CNT + 1, 1, NULL), 3 << 2);
    assert_int_equal(nops, 0); /* never the real PM1 control */
}

/* SLP_EN with a SLP_TYP other than S5's is a sleep request (ignored by the
 * caller); it reads back 0. A byte write of the high half alone is enough. */
static void pm1_sleep_request_at_any_offset(void **state)
{
    (void)state;
    struct io_result r = out(PM1_CNT + 1, 1, 0x20);
    assert_int_equal(r.event, IO_EV_SLEEP);
    assert_int_equal(r.slp_typ, 0);
    assert_false(r.refused);
    assert_int_equal(in(PM1_CNT, 2, NULL), SCI_EN);
    assert_int_equal(in(PM1_CNT + 1, 1, NULL) & 0x20, 0);
    r = out(PM1_CNT, 2, SCI_EN | SLP_TYP(3) | SLP_EN);
    assert_int_equal(r.event, IO_EV_SLEEP);
    assert_int_equal(r.slp_typ, 3);
    assert_int_equal(in(PM1_CNT, 2, NULL), SCI_EN | SLP_TYP(3));
    assert_int_equal(nops, 0);
}

/* S5's SLP_TYP with SLP_EN powers off, at any width, in one write or two. */
static void pm1_poweroff(void **state)
{
    (void)state;
    struct io_result r = out(PM1_CNT, 2, SLP_TYP(S5_TYP) | SLP_EN);
    assert_int_equal(r.event, IO_EV_POWEROFF);
    assert_false(r.refused);
    assert_int_equal(in(PM1_CNT, 2, NULL) & SLP_EN, 0);

    assert_int_equal(setup(NULL), 0);
    /* Linux: SLP_TYP first, then SLP_EN (read-modify-write, SCI_EN kept) */
    assert_int_equal(out(PM1_CNT, 2, SCI_EN | SLP_TYP(S5_TYP)).event, IO_EV_NONE);
    assert_int_equal(out(PM1_CNT, 2, SCI_EN | SLP_TYP(S5_TYP) | SLP_EN).event, IO_EV_POWEROFF);
    assert_int_equal(in(PM1_CNT, 2, NULL), SCI_EN | SLP_TYP(S5_TYP));

    assert_int_equal(setup(NULL), 0);
    assert_int_equal(out(PM1_CNT + 1, 1, S5_TYP << 2).event, IO_EV_NONE);
    assert_int_equal(out(PM1_CNT + 1, 1, S5_TYP << 2 | 0x20).event, IO_EV_POWEROFF);

    /* the low byte alone never sleeps: SLP_EN is bit 13 */
    assert_int_equal(setup(NULL), 0);
    assert_int_equal(out(PM1_CNT, 1, 0xff).event, IO_EV_NONE);
    assert_int_equal(in(PM1_CNT, 2, NULL), 0x00ff);
    assert_int_equal(nops, 0);
}

/* A dword at pm1a_cnt-2 straddles the event block (the guest's: to the
 * hardware) and the control block (the shadow, judged). */
static void pm1_straddle_is_split(void **state)
{
    (void)state;
    uint32_t v = (SCI_EN | SLP_TYP(S5_TYP) | SLP_EN) << 16 | 0xbbaa;
    struct io_result r = out(PM1_CNT - 2, 4, v);
    assert_int_equal(r.event, IO_EV_POWEROFF);
    assert_false(r.refused);
    assert_int_equal(nops, 2);
    expect_op(0, false, PM1_CNT - 2, 0xaa);
    expect_op(1, false, PM1_CNT - 1, 0xbb);

    uint32_t got = in(PM1_CNT - 2, 4, &r);
    assert_false(r.refused);
    assert_int_equal(got, hw_value(PM1_CNT - 2) | hw_value(PM1_CNT - 1) << 8 |
                              (uint32_t)(SCI_EN | SLP_TYP(S5_TYP)) << 16);
    assert_int_equal(nops, 4);

    /* a dword at pm1a_cnt: the shadow, then two empty ports */
    assert_int_equal(setup(NULL), 0);
    r = out(PM1_CNT, 4, 0xffff0000u | SLP_TYP(2) | SLP_EN);
    assert_int_equal(r.event, IO_EV_SLEEP);
    assert_int_equal(r.slp_typ, 2);
    assert_true(r.refused);
    assert_int_equal(r.refused_port, PM1_CNT + 2);
    assert_int_equal(in(PM1_CNT, 4, NULL), 0xffff0000u | SLP_TYP(2));
    assert_int_equal(nops, 0);
}

/* --- resets ------------------------------------------------------------------------ */

static void expect_reset(struct io_result r, const char *door)
{
    assert_int_equal(r.event, IO_EV_RESET);
    assert_non_null(r.what);
    assert_non_null(strstr(r.what, door));
}

static void port92(void **state)
{
    (void)state;
    assert_int_equal(in(0x92, 1, NULL), 0x02); /* A20 on */
    expect_reset(out(0x92, 1, 0x01), "0x92");
    assert_int_equal(in(0x92, 1, NULL), 0x00); /* bit 0 never reads back */
    expect_reset(out(0x92, 1, 0x03), "0x92");
    assert_int_equal(in(0x92, 1, NULL), 0x02);
    assert_int_equal(out(0x92, 1, 0x02).event, IO_EV_NONE);
    assert_int_equal(out(0x92, 1, 0xfe).event, IO_EV_NONE);
    assert_int_equal(in(0x92, 1, NULL), 0xfe);
    assert_int_equal(nops, 0);
}

/* 0xcf9 resets on a byte write with bit 2; the same byte inside a dword to
 * CONFIG_ADDRESS is a PCI config address, not a reset. */
static void pci_reset_control(void **state)
{
    (void)state;
    expect_reset(out(0xcf9, 1, 0x06), "0xcf9");
    expect_reset(out(0xcf9, 1, 0x04), "0xcf9");
    assert_int_equal(out(0xcf9, 1, 0x02).event, IO_EV_NONE);
    assert_int_equal(out(0xcf9, 1, 0x00).event, IO_EV_NONE);
    assert_int_equal(out(0xcf8, 4, 0x80000400u).event, IO_EV_NONE);
    assert_int_equal(out(0xcf8, 2, 0x0400).event, IO_EV_NONE);
    assert_int_equal(out(0xcf9, 2, 0x0606).event, IO_EV_NONE); /* not a byte write */
    assert_int_equal(out(0xcf9, 4, 0x06060606u).event, IO_EV_NONE);
    assert_int_equal(out(0xcfc, 4, 0x06060606u).event, IO_EV_NONE);
    /* no host bridge: config space reads all-ones */
    struct io_result r;
    assert_int_equal(in(0xcf8, 4, &r), 0xffffffffu);
    assert_int_equal(in(0xcfc, 4, &r), 0xffffffffu);
    assert_int_equal(in(0xcf9, 1, &r), 0xff);
    assert_int_equal(in(0xcfe, 2, &r), 0xffff);
    assert_int_equal(nops, 0);
}

static void kbc_reset_pulse(void **state)
{
    (void)state;
    expect_reset(out(0x64, 1, 0xfe), "keyboard controller");
    for (unsigned c = 0; c < 0x100; c++) {
        struct io_result r = out(0x64, 1, c);
        if (c >= 0xf0 && !(c & 1))
            expect_reset(r, "keyboard controller");
        else
            assert_int_equal(r.event, IO_EV_NONE);
    }
    assert_int_equal(in(0x64, 1, NULL), 0); /* idle */
    assert_int_equal(in(0x60, 1, NULL), 0);
    assert_int_equal(nops, 0);
}

/* Command 0xd1 makes the next data byte the output port: bit 0 clear resets. */
static void kbc_output_port(void **state)
{
    (void)state;
    assert_int_equal(out(0x64, 1, 0xd1).event, IO_EV_NONE);
    expect_reset(out(0x60, 1, 0xfe), "output port");

    assert_int_equal(out(0x64, 1, 0xd1).event, IO_EV_NONE);
    assert_int_equal(out(0x60, 1, 0xff).event, IO_EV_NONE);
    assert_int_equal(out(0x60, 1, 0xfe).event, IO_EV_NONE); /* 0xd1 was used up */

    assert_int_equal(out(0x60, 1, 0x00).event, IO_EV_NONE); /* no 0xd1 before */

    assert_int_equal(out(0x64, 1, 0xd1).event, IO_EV_NONE);
    assert_int_equal(out(0x64, 1, 0xad).event, IO_EV_NONE); /* another command */
    assert_int_equal(out(0x60, 1, 0xfe).event, IO_EV_NONE);

    assert_int_equal(out(0x64, 1, 0xd1).event, IO_EV_NONE);
    assert_int_equal(in(0x60, 1, NULL), 0); /* a read leaves the command pending */
    expect_reset(out(0x60, 1, 0x00), "output port");
    assert_int_equal(nops, 0);
}

/* Accesses that straddle into a reset door are judged byte by byte. */
static void straddles_into_reset_doors(void **state)
{
    (void)state;
    struct io_result r = out(0x91, 2, 0x0100); /* 0x91 <- 0x00, 0x92 <- 0x01 */
    expect_reset(r, "0x92");
    r = out(0x91, 2, 0x0001); /* 0x91 <- 0x01 (nothing there), 0x92 <- 0x00 */
    assert_int_equal(r.event, IO_EV_NONE);
    assert_true(r.refused);
    assert_int_equal(r.refused_port, 0x91);
    assert_int_equal(in(0x92, 1, NULL), 0x00);

    expect_reset(out(0x63, 2, 0xfe00), "keyboard controller"); /* 0x64 <- 0xfe */
    assert_int_equal(out(0x63, 2, 0x00fe).event, IO_EV_NONE);  /* 0x63 <- 0xfe */

    /* 0x5f empty, 0x60 data, 0x61 the guest's, 0x62 empty */
    assert_int_equal(out(0x64, 1, 0xd1).event, IO_EV_NONE);
    r = out(0x5f, 4, 0x0102fe03);
    expect_reset(r, "output port");
    assert_int_equal(nops, 1);
    expect_op(0, false, 0x61, 0x02);

    expect_reset(out(0xcf9, 1, 0x06), "0xcf9");
    assert_int_equal(out(0xcf7, 4, 0x00000600u).event, IO_EV_NONE); /* 0xcf9 in a dword */
}

/* The first reset wins, and a reset outranks a power-off in the same access. */
static void reset_outranks_poweroff(void **state)
{
    (void)state;
    struct io_machine m = machine;
    m.pm1a_cnt = 0x90; /* 0x90-0x91, just below port 0x92 */
    const char *why = NULL;
    assert_int_equal(io_space_init(&s, &m, &why), 0);
    uint32_t pm = SLP_TYP(S5_TYP) | SLP_EN;
    expect_reset(out(0x90, 4, 0x01u << 16 | pm), "0x92");

    m.pm1a_cnt = 0x93; /* 0x93-0x94, just above */
    assert_int_equal(io_space_init(&s, &m, &why), 0);
    expect_reset(out(0x92, 4, pm << 8 | 0x01), "0x92");
    assert_int_equal(out(0x93, 2, pm).event, IO_EV_POWEROFF);
}

/* An event does not hide the rest of the access: a refused port before it
 * and a dropped CMOS write are still reported (the caller logs them). */
static void events_keep_the_reports(void **state)
{
    (void)state;
    struct io_result r = out(0x91, 2, 0x0100); /* 0x91 nothing, 0x92 reset */
    expect_reset(r, "0x92");
    assert_true(r.refused);
    assert_int_equal(r.refused_port, 0x91);

    struct io_machine m = machine;
    m.pm1a_cnt = 0x72; /* 0x72-0x73, just above the CMOS */
    const char *why = NULL;
    assert_int_equal(io_space_init(&s, &m, &why), 0);
    r = out(0x71, 4, (SLP_TYP(S5_TYP) | SLP_EN) << 8 | 0x55); /* CMOS data, PM1, 0x74 */
    assert_int_equal(r.event, IO_EV_POWEROFF);
    assert_true(r.cmos_write);
    assert_true(r.refused);
    assert_int_equal(r.refused_port, 0x74);

    m.pm1a_cnt = 0x79; /* 0x78 is nothing */
    assert_int_equal(io_space_init(&s, &m, &why), 0);
    r = out(0x78, 4, (SLP_TYP(1) | SLP_EN) << 8);
    assert_int_equal(r.event, IO_EV_SLEEP);
    assert_int_equal(r.slp_typ, 1);
    assert_true(r.refused);
    assert_int_equal(r.refused_port, 0x78);
    assert_int_equal(nops, 0);
}

/* --- CMOS ----------------------------------------------------------------------- */

static void cmos_is_read_only(void **state)
{
    (void)state;
    struct io_result r = out(0x70, 1, 0x8a); /* NMI-disable bit and index 0x0a */
    assert_int_equal(r.event, IO_EV_NONE);
    assert_false(r.refused);
    assert_false(r.cmos_write);
    assert_int_equal(nops, 0); /* the index is latched, not written through */
    assert_int_equal(in(0x70, 1, NULL), 0x0a);
    assert_int_equal(in(0x71, 1, NULL), cmos[0x0a]);
    assert_int_equal(nops, 2);
    expect_op(0, false, 0x70, 0x0a); /* without bit 7: the host's NMIs stay on */
    expect_op(1, true, 0x71, cmos[0x0a]);

    r = out(0x71, 1, 0x55);
    assert_true(r.cmos_write);
    assert_false(r.refused);
    assert_int_equal(nops, 2);

    r = out(0x70, 2, 0x5589); /* index 0x09 and a data write */
    assert_true(r.cmos_write);
    assert_int_equal(in(0x70, 1, NULL), 0x09);
    assert_int_equal(nops, 2);

    uint32_t v = in(0x70, 2, &r);
    assert_false(r.cmos_write);
    assert_int_equal(v, 0x09 | cmos[0x09] << 8);
    assert_int_equal(nops, 4);
    expect_op(2, false, 0x70, 0x09);
    expect_op(3, true, 0x71, cmos[0x09]);

    /* every index the guest writes reaches the CMOS without bit 7 */
    for (unsigned i = 0; i < 0x100; i++) {
        out(0x70, 1, i);
        assert_int_equal(in(0x71, 1, NULL), cmos[i & 0x7f]);
    }
    for (unsigned i = 0; i < nops && i < 256; i++) {
        if (!ops[i].in)
            assert_int_equal(ops[i].value & 0x80, 0);
        assert_true(ops[i].in ? ops[i].port == 0x71 : ops[i].port == 0x70);
    }
}

/* --- the end of port space -------------------------------------------------------- */

static void straddles_at_0xffff(void **state)
{
    (void)state;
    struct io_result r;
    assert_int_equal(in(0xffff, 4, &r), 0xffffffffu);
    assert_true(r.refused);
    assert_int_equal(r.refused_port, 0xffff);
    assert_int_equal(in(0xfffe, 2, &r), 0xffff);
    assert_int_equal(in(0xfffd, 4, &r), 0xffffffffu);
    out(0xffff, 4, 0xfefefefe);
    assert_int_equal(nops, 0);

    /* a guest range ending at 0xffff: its bytes, then nothing (never port 0) */
    struct io_machine m = machine;
    m.pm_tmr = 0xfffc;
    const char *why = NULL;
    assert_int_equal(io_space_init(&s, &m, &why), 0);
    uint32_t v = in(0xfffe, 4, &r);
    assert_int_equal(v, hw_value(0xfffe) | hw_value(0xffff) << 8 | 0xffff0000u);
    assert_true(r.refused);
    assert_int_equal(nops, 2);
    expect_op(0, true, 0xfffe, hw_value(0xfffe));
    expect_op(1, true, 0xffff, hw_value(0xffff));
    out(0xffff, 4, 0x44332211);
    assert_int_equal(nops, 3);
    expect_op(2, false, 0xffff, 0x11);
    assert_int_equal(in(0xffff, 1, NULL), hw_value(0xffff));
}

int main(void)
{
#define T(f) cmocka_unit_test_setup(f, setup)
    const struct CMUnitTest tests[] = {
        T(guest_ranges_exactly),
        T(lookup_matches_table),
        T(init_refuses_overlaps),
        T(absent_machine_ports_open_nothing),
        T(unlisted_ports_are_an_empty_bus),
        T(host_ports_are_an_empty_bus),
        T(guest_ports_pass_through),
        T(straddle_out_of_a_guest_range),
        T(pm1_reads_the_shadow),
        T(pm1_sleep_request_at_any_offset),
        T(pm1_poweroff),
        T(pm1_straddle_is_split),
        T(port92),
        T(pci_reset_control),
        T(kbc_reset_pulse),
        T(kbc_output_port),
        T(straddles_into_reset_doors),
        T(reset_outranks_poweroff),
        T(events_keep_the_reports),
        T(cmos_is_read_only),
        T(straddles_at_0xffff),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
