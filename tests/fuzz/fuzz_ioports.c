/* Arbitrary guest port and MSR traffic into the two isolation tables
 * (hv/vm/ioports.c, hv/vm/msrs.c). The input picks a machine (the firmware's
 * PM blocks, the host's ports, S5's SLP_TYP), the guest's CPUID (which EFER
 * bits it has), EFER, CR0.PG and MAXPHYADDR, then a script of IN/OUT accesses of size 1, 2 and 4 at
 * any port, RDMSR/WRMSR of table MSRs and arbitrary ones with arbitrary or nearly-valid values,
 * paging switches and TSC ticks.
 *
 * Every access is checked against a byte-by-byte model of the port space:
 * the fake hardware sees exactly the guest-owned bytes of the access, in
 * order, and the CMOS index/data pair (index without bit 7), nothing else;
 * unowned bytes read all-ones and are reported at the first one; the
 * shadows (PM1 control, port 0x92, CMOS index, the keyboard controller's
 * pending 0xd1) and the event (reset, power-off, sleep) are the model's; an
 * IN changes nothing. SLP_EN always reads 0, port 0x92 bit 0 too.
 * Every MSR access: no rule means #GP; a refusal changes nothing; APIC_BASE
 * always reads GUEST_APIC_BASE; a write never changes EFER.LMA, never LME
 * with paging on; EFER never holds SVME or a bit it may not; PAT stays
 * valid; a TSC write makes host TSC + offset the value written; an MTRR
 * write that is taken reads back; the fixed MSRs read their values; reads
 * change nothing. Must never crash. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vm/ioports.h"
#include "vm/msrs.h"

#include "../unit/fixture.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SCI_EN    0x0001u
#define SLP_EN    0x2000u
#define EFER_LME  (1ull << 8)
#define EFER_LMA  (1ull << 10)
#define EFER_SVME (1ull << 12)
/* every EFER bit a guest may ever set: SCE, LME, LMA, NXE, FFXSR, TCE, AutoIBRS */
#define EFER_ALLOWED_MAX                                                                           \
    ((1ull << 0) | (1ull << 8) | (1ull << 10) | (1ull << 11) | (1ull << 14) | (1ull << 15) |       \
     (1ull << 21))
#define CR0_PG (1ull << 31)

#define CHECK(c)                                                                                   \
    do {                                                                                           \
        if (!(c))                                                                                  \
            abort();                                                                               \
    } while (0)

/* --- the fake hardware ----------------------------------------------------------- */

struct hw_op {
    bool in;
    uint16_t port;
    uint8_t value;
};

static struct hw_op ops[16];
static unsigned nops;

static uint8_t hw_value(uint16_t port)
{
    return (uint8_t)(port * 13 + 0x5b);
}

static uint8_t fake_in8(uint16_t port)
{
    uint8_t v = hw_value(port);
    CHECK(nops < 16);
    ops[nops++] = (struct hw_op){true, port, v};
    return v;
}

static void fake_out8(uint16_t port, uint8_t value)
{
    CHECK(nops < 16);
    ops[nops++] = (struct hw_op){false, port, value};
}

static const struct io_hw hw = {fake_in8, fake_out8};

/* --- the port model ----------------------------------------------------------------- */

struct model {
    uint16_t pm1;
    uint8_t port92, cmos_index;
    bool kbc_next;
};

static void reset_ev(struct io_result *r)
{
    r->event = IO_EV_RESET; /* the first wins: the door's name is not modelled */
}

/* One access, byte by byte: what the hardware must see (want), the value
 * an IN must read, the event, and the model's next state. */
static void model_access(const struct io_space *s, struct model *m, uint16_t port, unsigned size,
                         bool in, uint32_t value, struct hw_op *want, unsigned *nwant,
                         uint32_t *read, struct io_result *r)
{
    *nwant = 0;
    *read = 0;
    *r = (struct io_result){IO_EV_NONE, 0, 0, false, 0, false};
    bool pm1_touched = false;
    for (unsigned i = 0; i < size; i++) {
        uint32_t at = (uint32_t)port + i;
        uint8_t b = (uint8_t)(value >> 8 * i), got = 0xff;
        const struct io_range *rg = at > 0xffff ? NULL : io_lookup(s, (uint16_t)at);
        enum io_owner o = rg ? (enum io_owner)rg->owner : IO_EMPTY;
        unsigned off = rg ? at - rg->base : 0;
        switch (o) {
        case IO_GUEST:
            got = in ? hw_value((uint16_t)at) : 0;
            want[(*nwant)++] = (struct hw_op){in, (uint16_t)at, in ? got : b};
            break;
        case IO_PM1_CNT:
            if (in) {
                got = (uint8_t)(m->pm1 >> 8 * off);
            } else {
                m->pm1 = (uint16_t)((m->pm1 & ~(0xffu << 8 * off)) | (unsigned)b << 8 * off);
                pm1_touched = true;
            }
            break;
        case IO_PCI:
            if (!in && at == 0xcf9 && size == 1 && (b & 4))
                reset_ev(r);
            break;
        case IO_PORT92:
            if (in) {
                got = m->port92;
            } else {
                m->port92 = b & (uint8_t)~1;
                if (b & 1)
                    reset_ev(r);
            }
            break;
        case IO_KBC_CMD:
            if (in) {
                got = 0;
            } else {
                m->kbc_next = b == 0xd1;
                if (b >= 0xf0 && !(b & 1))
                    reset_ev(r);
            }
            break;
        case IO_KBC_DATA:
            if (in) {
                got = 0;
            } else {
                if (m->kbc_next && !(b & 1))
                    reset_ev(r);
                m->kbc_next = false;
            }
            break;
        case IO_CMOS:
            if (off == 0 && in) {
                got = m->cmos_index;
            } else if (off == 0) {
                m->cmos_index = b & 0x7f;
            } else if (in) {
                want[(*nwant)++] = (struct hw_op){false, 0x70, m->cmos_index};
                got = hw_value(0x71);
                want[(*nwant)++] = (struct hw_op){true, 0x71, got};
            } else {
                r->cmos_write = true;
            }
            break;
        case IO_EMPTY:
        case IO_HOST:
            if (!r->refused) {
                r->refused = true;
                r->refused_port = (uint16_t)at;
            }
            break;
        }
        /* the PM1 piece is judged once it is whole */
        bool pm1_piece_ends = o == IO_PM1_CNT && (off + 1 == rg->len || i + 1 == size);
        if (pm1_touched && pm1_piece_ends) {
            pm1_touched = false;
            if (m->pm1 & SLP_EN) {
                m->pm1 &= (uint16_t)~SLP_EN;
                unsigned typ = (m->pm1 >> 10) & 7;
                if (r->event != IO_EV_RESET && typ == s->s5_slp_typ) {
                    r->event = IO_EV_POWEROFF;
                } else if (r->event == IO_EV_NONE) {
                    r->event = IO_EV_SLEEP;
                    r->slp_typ = typ;
                }
            }
        }
        *read |= (uint32_t)got << 8 * i;
    }
}

static void check_access(struct io_space *s, struct model *m, uint16_t port, unsigned size, bool in,
                         uint32_t value)
{
    struct hw_op want[16];
    unsigned nwant;
    uint32_t read;
    struct io_result expect;
    struct model before = *m;
    model_access(s, m, port, size, in, value, want, &nwant, &read, &expect);

    struct io_space copy = *s;
    uint32_t v = value;
    nops = 0;
    struct io_result r = io_access(s, &hw, port, size, in, &v);

    CHECK(nops == nwant);
    for (unsigned i = 0; i < nops; i++) {
        CHECK(ops[i].in == want[i].in && ops[i].port == want[i].port);
        CHECK(ops[i].value == want[i].value);
        CHECK(ops[i].port != 0x71 || ops[i].in); /* never a CMOS write */
        CHECK(ops[i].port != 0x70 || !(ops[i].value & 0x80));
    }
    if (in) {
        CHECK(v == read);
        CHECK(r.event == IO_EV_NONE && !r.cmos_write);
        CHECK(memcmp(&before, m, sizeof(before)) == 0);
        CHECK(memcmp(&copy, s, sizeof(copy)) == 0);
    } else {
        CHECK(v == value);
    }
    /* the reset door's name is not modelled: compare the rest */
    CHECK(r.event == expect.event);
    CHECK(r.event != IO_EV_RESET || (r.what && r.what[0]));
    if (r.event == IO_EV_SLEEP)
        CHECK(r.slp_typ == expect.slp_typ && r.slp_typ != s->s5_slp_typ);
    CHECK(r.refused == expect.refused);
    CHECK(!r.refused || r.refused_port == expect.refused_port);
    CHECK(r.cmos_write == expect.cmos_write);
    /* the shadows are the model's */
    CHECK(s->pm1_cnt == m->pm1);
    CHECK(s->port92 == m->port92);
    CHECK(s->cmos_index == m->cmos_index);
    CHECK(s->kbc_outport_next == m->kbc_next);
    CHECK(!(s->pm1_cnt & SLP_EN) && !(s->port92 & 1) && !(s->cmos_index & 0x80));
}

/* --- MSRs ------------------------------------------------------------------------- */

static const uint32_t interesting[] = {
    0x10,       0x1b,       0x3b,       0x48,       0x49,       0x8b,       0xfe,
    0x10a,      0x10b,      0x174,      0x176,      0x1a0,      0x200,      0x201,
    0x20e,      0x20f,      0x210,      0x250,      0x258,      0x259,      0x268,
    0x26f,      0x277,      0x2ff,      0x6e0,      0xda0,      0x40000000, 0x400000ff,
    0x40000100, 0xc0000080, 0xc0000081, 0xc0000084, 0xc0000100, 0xc0000103, 0xc0010010,
    0xc0010015, 0xc001001a, 0xc0010055, 0xc0010114, 0xc0010117, 0xc0011020,
};
#define NINTERESTING (sizeof(interesting) / sizeof(interesting[0]))

static bool pat_ok(uint64_t pat)
{
    for (unsigned i = 0; i < 8; i++) {
        uint64_t t = (pat >> 8 * i) & 0xff;
        if (t == 2 || t == 3 || t > 7)
            return false;
    }
    return true;
}

static bool is_mtrr(uint32_t msr)
{
    return (msr >= 0x200 && msr < 0x210) || msr == 0x250 || msr == 0x258 || msr == 0x259 ||
           (msr >= 0x268 && msr <= 0x26f) || msr == MSR_MTRR_DEF;
}

static void check_msr(struct msr_guest *g, uint32_t msr, bool write, uint64_t value)
{
    struct msr_guest before = *g;
    uint64_t v = value;
    enum msr_status st = msr_access(g, msr, write, &v);
    const struct msr_rule *rule = msr_rule(msr);
    if (!rule)
        CHECK(st == MSR_GP);
    if (st != MSR_DONE || !write) {
        /* refused, Hyper-V's, or a read: the guest's state is as it was */
        CHECK(memcmp(&before, g, sizeof(before)) == 0);
    }
    if (st != MSR_DONE)
        CHECK(v == value);
    if (st == MSR_HYPERV)
        CHECK(msr >= 0x40000000 && msr <= 0x400000ff);
    if (st == MSR_DONE && write) {
        CHECK(v == value);
        if (msr == MSR_TSC)
            CHECK(g->host_tsc + g->tsc_offset == value);
        if (msr == MSR_APIC_BASE)
            CHECK(value == GUEST_APIC_BASE);
        if (msr >= 0x200 && msr < 0x210)
            CHECK(!(value >> g->phys_bits)); /* addresses the guest can have */
        if (is_mtrr(msr)) {
            uint64_t back = 0;
            CHECK(msr_access(g, msr, false, &back) == MSR_DONE && back == value);
        }
        if (msr == MSR_PAT)
            CHECK(g->pat == value);
        if (msr == MSR_GUEST_EFER)
            CHECK(g->efer == ((value & ~EFER_LMA) | (before.efer & EFER_LMA)));
    }
    if (st == MSR_DONE && !write) {
        if (msr == MSR_TSC)
            CHECK(v == g->host_tsc + g->tsc_offset);
        if (msr == MSR_GUEST_EFER)
            CHECK(v == g->efer);
        if (msr == MSR_PAT)
            CHECK(v == g->pat);
        if (msr == MSR_MTRR_CAP)
            CHECK(v == ((1ull << 10) | (1ull << 8) | MTRR_VAR_PAIRS));
        if (msr == 0xc0010015)
            CHECK(v == 1ull << 24);
        if (msr == 0xc0010010 || msr == 0x8b || msr == 0x10a || msr == 0xc0010055)
            CHECK(v == 0);
    }
    /* whatever happened */
    CHECK(((g->efer ^ before.efer) & EFER_LMA) == 0);
    if (before.cr0 & CR0_PG)
        CHECK(((g->efer ^ before.efer) & EFER_LME) == 0);
    CHECK(!(g->efer & EFER_SVME));
    CHECK(!(g->efer & ~g->efer_allowed));
    CHECK(pat_ok(g->pat));
    uint64_t apic = 0;
    CHECK(msr_access(g, MSR_APIC_BASE, false, &apic) == MSR_DONE && apic == GUEST_APIC_BASE);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_input in = {data, size};
    static const struct io_machine qemu = {0x600, 0x604, 0x608, 5, 0xf4, 0x2f8, 0x402};
    struct io_machine mach = qemu;
    unsigned how = (unsigned)fuzz_take(&in, 1);
    if (how & 1) {
        mach.pm1a_evt = (uint16_t)fuzz_take(&in, 2);
        mach.pm1a_cnt = (uint16_t)fuzz_take(&in, 2);
        mach.pm_tmr = (uint16_t)fuzz_take(&in, 2);
        mach.s5_slp_typ = (uint8_t)(fuzz_take(&in, 1) & 7);
    }
    if (how & 2) {
        mach.debug_exit = (uint16_t)fuzz_take(&in, 2);
        mach.host_uart = (uint16_t)fuzz_take(&in, 2);
        mach.host_debugcon = (uint16_t)fuzz_take(&in, 2);
    }
    struct io_space s;
    const char *why = NULL;
    if (io_space_init(&s, &mach, &why)) {
        CHECK(why && why[0]);
        mach = qemu;
        CHECK(io_space_init(&s, &mach, &why) == 0);
    }
    /* the table: disjoint ranges inside port space */
    for (unsigned i = 0; i < s.n; i++) {
        CHECK(s.r[i].len && (uint32_t)s.r[i].base + s.r[i].len <= 0x10000 && s.r[i].why);
        for (unsigned j = 0; j < i; j++)
            CHECK(s.r[i].base >= s.r[j].base + s.r[j].len ||
                  s.r[j].base >= s.r[i].base + s.r[i].len);
    }
    struct model m = {s.pm1_cnt, s.port92, s.cmos_index, s.kbc_outport_next};
    CHECK(m.pm1 == SCI_EN);

    struct msr_guest g;
    memset(&g, 0, sizeof(g));
    msr_guest_init(&g);
    /* the EFER bits the guest's CPUID reports */
    uint32_t max_ext = 0x80000000u | (uint32_t)fuzz_take(&in, 1);
    struct cpuid_result ext1 = {0, 0, (uint32_t)fuzz_take(&in, 4), (uint32_t)fuzz_take(&in, 4)};
    struct cpuid_result ext21 = {(uint32_t)fuzz_take(&in, 4), 0, 0, 0};
    g.efer_allowed = msr_efer_allowed(max_ext, ext1, ext21);
    CHECK(!(g.efer_allowed & ~EFER_ALLOWED_MAX) && !(g.efer_allowed & EFER_SVME));
    g.cr0 = fuzz_take(&in, 1) & 1 ? CR0_PG | 1 : 1;
    g.efer = fuzz_take(&in, 4) & g.efer_allowed & ~EFER_LMA;
    if ((g.cr0 & CR0_PG) && (g.efer & EFER_LME))
        g.efer |= EFER_LMA; /* as the CPU has it */
    g.pat = 0x0007040600070406ull;
    g.host_tsc = fuzz_take(&in, 8);
    g.tsc_offset = fuzz_take(&in, 8);
    g.phys_bits = 32 + (unsigned)(fuzz_take(&in, 1) % 17); /* 32..48 */

    static const unsigned sizes[] = {1, 2, 4};
    while (in.left) {
        unsigned op = (unsigned)fuzz_take(&in, 1);
        switch (op % 8) {
        case 0:
        case 1:
        case 2:
        case 3: {
            uint16_t port = (uint16_t)fuzz_take(&in, 2);
            unsigned sel = (unsigned)fuzz_take(&in, 1);
            if (sel & 0x80) /* near a port that matters */
                port = (uint16_t)((sel & 0x40 ? mach.pm1a_cnt : (sel & 0x20 ? 0x92 : 0x64)) +
                                  (port % 8) - 4);
            check_access(&s, &m, port, sizes[sel % 3], op & 1, (uint32_t)fuzz_take(&in, 4));
            /* SLP_EN reads 0, however it is asked */
            if (io_lookup(&s, mach.pm1a_cnt)->owner == IO_PM1_CNT) {
                uint32_t v = 0;
                nops = 0;
                io_access(&s, &hw, mach.pm1a_cnt, 2, true, &v);
                CHECK(!(v & SLP_EN) && nops == 0);
            }
            break;
        }
        case 4:
        case 5: {
            unsigned sel = (unsigned)fuzz_take(&in, 1);
            uint32_t msr =
                sel < 0xc0 ? interesting[sel % NINTERESTING] : (uint32_t)fuzz_take(&in, 4);
            bool write = op & 1;
            uint64_t value;
            unsigned mode = (unsigned)fuzz_take(&in, 1);
            if (mode & 1) {
                /* near what it holds: one bit flipped */
                value = 0;
                msr_access(&g, msr, false, &value);
                value ^= 1ull << (mode >> 2);
            } else {
                value = fuzz_take(&in, mode & 2 ? 8 : 2);
            }
            check_msr(&g, msr, write, value);
            break;
        }
        case 6:
            /* the guest switches paging (not intercepted): the CPU sets LMA */
            g.cr0 ^= CR0_PG;
            g.efer &= ~EFER_LMA;
            if ((g.cr0 & CR0_PG) && (g.efer & EFER_LME))
                g.efer |= EFER_LMA;
            break;
        case 7:
            g.host_tsc += fuzz_take(&in, 4);
            break;
        }
    }
    return 0;
}
