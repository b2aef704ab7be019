/* The host's own LAPIC code (hv/arch/x86/lapic.c) in both of its modes
 * (issue 20 item 4): under KVM the LAPIC it finds may be in x2APIC mode,
 * which TCG never showed it. lapic.c is built for the host by
 * tests/unit/fake_lapic.c: rdmsr/wrmsr/cpu_relax are fakes (fake_cpu.h) over
 * a model of APIC_BASE and the x2APIC MSRs below; the xAPIC registers are a
 * page mapped below 4 GiB, where the fake APIC_BASE points.
 *
 * xAPIC: APIC_BASE is read once, at lapic_init; the self-IPI is the ICR's
 * self shorthand (after the pending bit clears, or a bounded wait); EOI,
 * ID, the ISR and IRR banks and PPR at their offsets; no MSR after lapic_init.
 * x2APIC (APIC_BASE bit 10): the same through MSRs 0x83f, 0x80b, 0x802,
 * 0x810+, 0x820+, 0x80a; the register page is PROT_NONE, so any MMIO access
 * crashes the test. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <cmocka.h>

#include "arch/x86/arch.h"

#include "fake_arch.h"

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

#define PAGE 4096u

#define MSR_APIC_BASE       0x1bu
#define BASE_BSP            (1ull << 8)
#define BASE_X2APIC         (1ull << 10)
#define BASE_EN             (1ull << 11)
#define MSR_X2APIC_ID       0x802u
#define MSR_X2APIC_PPR      0x80au
#define MSR_X2APIC_EOI      0x80bu
#define MSR_X2APIC_ISR      0x810u
#define MSR_X2APIC_IRR      0x820u
#define MSR_X2APIC_SELF_IPI 0x83fu
#define MSR_X2APIC_ICR      0x830u

#define APIC_ID      0x020u
#define APIC_PPR     0x0a0u
#define APIC_EOI     0x0b0u
#define APIC_ISR     0x100u
#define APIC_IRR     0x200u
#define APIC_ICR_LOW 0x300u
#define APIC_ICR_HI  0x310u
#define ICR_SELF     (1u << 18)
#define ICR_PENDING  (1u << 12)

/* The register page and, right after it, a second page: where APIC_BASE
 * points once lapic_init has read it (lapic.c must not follow). */
static uint8_t *pages;
static bool x2apic;                /* this test's mode */
static uint64_t apic_base_msr;     /* what RDMSR(APIC_BASE) reads */
static unsigned base_reads;        /* RDMSR(APIC_BASE) calls */
static uint64_t x2apic_msr[0x100]; /* MSRs 0x800-0x8ff */
static uint8_t before[2 * PAGE];   /* the pages as a test left them */

static uint64_t model_rdmsr(uint32_t msr)
{
    if (msr == MSR_APIC_BASE) {
        base_reads++;
        return apic_base_msr;
    }
    if (!x2apic || msr < 0x800 || msr > 0x8ff)
        fail_msg("rdmsr 0x%x in %s mode", msr, x2apic ? "x2APIC" : "xAPIC");
    return x2apic_msr[msr - 0x800];
}

static volatile uint32_t *reg(uint32_t off)
{
    return (volatile uint32_t *)(pages + off);
}

static void snapshot(void)
{
    memcpy(before, pages, sizeof(before));
}

/* Every word of both pages as snapshot() found it, but the one at offset
 * except (none if ~0u). */
static void pages_unchanged_except(uint32_t except)
{
    for (uint32_t off = 0; off < sizeof(before); off += 4) {
        if (off == except)
            continue;
        uint32_t was;
        memcpy(&was, before + off, 4);
        if (*reg(off) != was)
            fail_msg("register page offset 0x%x: 0x%x, was 0x%x", off, *reg(off), was);
    }
}

static void ops_clear(void)
{
    fake_arch.nmsrs = 0;
}

static void assert_op(unsigned i, bool write, uint32_t msr)
{
    assert_true(i < fake_arch.nmsrs);
    assert_int_equal(fake_arch.msrs[i].write, write);
    assert_int_equal(fake_arch.msrs[i].msr, msr);
}

static unsigned reads_of(uint32_t msr)
{
    unsigned n = 0;
    for (unsigned i = 0; i < fake_arch.nmsrs && i < FAKE_MSR_OPS; i++)
        n += !fake_arch.msrs[i].write && fake_arch.msrs[i].msr == msr;
    return n;
}

/* --- setups ------------------------------------------------------------------------ */

static int group_setup(void **state)
{
    (void)state;
    void *p = mmap((void *)0x40000000, 2 * PAGE, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (p != MAP_FAILED && (uintptr_t)p + 2 * PAGE > 1ull << 32) {
        munmap(p, 2 * PAGE); /* a kernel that took the address as a hint */
        p = MAP_FAILED;
    }
    if (p == MAP_FAILED)
        p = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT,
                 -1, 0);
    if (p == MAP_FAILED || (uintptr_t)p + 2 * PAGE > 1ull << 32)
        return -1;
    pages = p;
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    munmap(pages, 2 * PAGE);
    return 0;
}

/* lapic_init with APIC_BASE = the register page, enabled, BSP (bits lapic.c
 * must mask off), x2APIC as asked; the pages filled with 0x5a, the model's
 * MSRs with 0xa5. Then APIC_BASE was read once, and nothing else. */
static void init(bool x2)
{
    fake_lapic_reset();
    fake_arch.rdmsr = model_rdmsr;
    x2apic = x2;
    base_reads = 0;
    memset(pages, 0x5a, 2 * PAGE);
    memset(x2apic_msr, 0xa5, sizeof(x2apic_msr));
    apic_base_msr = (uintptr_t)pages | BASE_EN | BASE_BSP | (x2 ? BASE_X2APIC : 0);
    lapic_init();
    assert_int_equal(base_reads, 1);
    assert_int_equal(fake_arch.nmsrs, 1);
    assert_op(0, false, MSR_APIC_BASE);
    ops_clear();
}

static int setup_xapic(void **state)
{
    (void)state;
    init(false);
    return 0;
}

/* The register page PROT_NONE: an MMIO access in x2APIC mode is a crash. */
static int setup_x2apic(void **state)
{
    (void)state;
    init(true);
    if (mprotect(pages, 2 * PAGE, PROT_NONE))
        return -1;
    return 0;
}

static int teardown_x2apic(void **state)
{
    (void)state;
    return mprotect(pages, 2 * PAGE, PROT_READ | PROT_WRITE);
}

/* --- the registers, in either mode ---------------------------------------------------- */

/* In the ISR or IRR bank (bank: APIC_ISR/APIC_IRR), only vector's bit (none
 * if vector < 0); the other bank, and in xAPIC mode the reserved words
 * between the bank's registers, all ones. */
static void set_bank(uint32_t bank, int vector)
{
    uint32_t other = bank == APIC_ISR ? APIC_IRR : APIC_ISR;
    for (unsigned i = 0; i < 8; i++) {
        uint32_t bits = vector >= 0 && (unsigned)vector / 32 == i ? 1u << (vector % 32) : 0;
        if (x2apic) {
            x2apic_msr[(bank == APIC_ISR ? 0x10 : 0x20) + i] = bits;
            x2apic_msr[(other == APIC_ISR ? 0x10 : 0x20) + i] = 0xffffffff;
        } else {
            *reg(bank + 0x10 * i) = bits;
            *reg(other + 0x10 * i) = 0xffffffff;
            for (unsigned w = 4; w < 0x10; w += 4)
                *reg(bank + 0x10 * i + w) = 0xffffffff;
        }
    }
}

static void set_ppr(uint32_t ppr)
{
    if (x2apic)
        x2apic_msr[MSR_X2APIC_PPR - 0x800] = ppr;
    else
        *reg(APIC_PPR) = ppr;
}

/* A self-IPI (the ICR free in xAPIC mode), then lapic_raised_deliverable's
 * answer; in x2APIC mode, it read PPR and the vector's IRR register and no
 * other MSR. */
static bool raise_and_ask(uint8_t vector)
{
    if (!x2apic)
        *reg(APIC_ICR_LOW) = 0;
    lapic_self_ipi(vector);
    ops_clear();
    bool r = lapic_raised_deliverable();
    if (x2apic) {
        assert_int_equal(fake_arch.nmsrs, 2);
        assert_int_equal(reads_of(MSR_X2APIC_PPR), 1);
        assert_int_equal(reads_of(MSR_X2APIC_IRR + vector / 32), 1);
    }
    ops_clear();
    return r;
}

/* --- both modes ------------------------------------------------------------------------- */

/* A vector is in service iff its bit is set in its ISR register: every
 * vector alone in the bank, asked about every vector; the IRR (all ones)
 * does not count. */
static void in_service_cases(void)
{
    for (int v = 0; v < 256; v++) {
        set_bank(APIC_ISR, v);
        if (!x2apic)
            snapshot();
        for (int w = 0; w < 256; w++) {
            ops_clear();
            if (lapic_in_service((uint8_t)w) != (w == v))
                fail_msg("vector 0x%x in service, asked about 0x%x", v, w);
            if (x2apic) {
                assert_int_equal(fake_arch.nmsrs, 1);
                assert_op(0, false, MSR_X2APIC_ISR + w / 32);
            } else {
                assert_int_equal(fake_arch.nmsrs, 0);
            }
        }
        if (!x2apic)
            pages_unchanged_except(~0u);
    }
    set_bank(APIC_ISR, -1);
    for (int w = 0; w < 256; w++)
        assert_false(lapic_in_service((uint8_t)w));
}

/* True once after a self-IPI, if the vector is still in the IRR and its
 * class is above the processor priority's. */
static void deliverable_cases(void)
{
    /* nothing raised: false, without reading a register */
    ops_clear();
    assert_false(lapic_raised_deliverable());
    assert_int_equal(fake_arch.nmsrs, 0);

    /* every vector, pending alone, PPR 0: deliverable iff its class is above 0 */
    set_ppr(0);
    for (int v = 0; v < 256; v++) {
        set_bank(APIC_IRR, v);
        if (raise_and_ask((uint8_t)v) != (v >= 0x10))
            fail_msg("vector 0x%x pending alone, PPR 0", v);
        /* only once */
        ops_clear();
        assert_false(lapic_raised_deliverable());
        assert_int_equal(fake_arch.nmsrs, 0);
    }

    /* the class against PPR's: its low nibble does not count */
    static const struct {
        uint8_t vector;
        uint32_t ppr;
        bool deliverable;
    } prio[] = {
        {0x51, 0x00, true},  {0x51, 0x40, true},  {0x51, 0x4f, true},  {0x50, 0x4f, true},
        {0x51, 0x50, false}, {0x5f, 0x50, false}, {0x50, 0x5f, false}, {0x51, 0x60, false},
        {0x51, 0xff, false}, {0xff, 0xef, true},  {0xff, 0xf0, false}, {0x20, 0x1f, true},
        {0x20, 0x20, false},
    };
    for (size_t i = 0; i < sizeof(prio) / sizeof(prio[0]); i++) {
        set_bank(APIC_IRR, prio[i].vector);
        set_ppr(prio[i].ppr);
        if (raise_and_ask(prio[i].vector) != prio[i].deliverable)
            fail_msg("vector 0x%x, PPR 0x%x", prio[i].vector, prio[i].ppr);
    }

    /* no longer pending (taken since, or never set): false whatever the priority */
    set_ppr(0);
    set_bank(APIC_IRR, -1);
    assert_false(raise_and_ask(0x51));
    /* a neighbour pending, not the vector */
    set_bank(APIC_IRR, 0x50);
    assert_false(raise_and_ask(0x51));
    set_bank(APIC_IRR, 0x52);
    assert_false(raise_and_ask(0x51));
    set_bank(APIC_IRR, 0x71);
    assert_false(raise_and_ask(0x51));
    set_bank(APIC_IRR, 0x31);
    assert_false(raise_and_ask(0x51));

    /* the last self-IPI is the one asked about */
    set_bank(APIC_IRR, 0x61);
    lapic_self_ipi(0x51);
    assert_true(raise_and_ask(0x61));
    set_bank(APIC_IRR, 0x51);
    lapic_self_ipi(0x51);
    assert_false(raise_and_ask(0x61));
}

/* --- xAPIC ------------------------------------------------------------------------------ */

/* APIC_BASE is read at lapic_init only: later, whatever it reads (another
 * page, x2APIC on), every operation uses the saved base and reads no MSR. */
static void xapic_base_saved_once(void **state)
{
    (void)state;
    apic_base_msr = (uintptr_t)(pages + PAGE) | BASE_EN | BASE_X2APIC;
    *reg(APIC_ICR_LOW) = 0;
    *reg(APIC_ID) = 0x07000000;
    *reg(APIC_ISR + 0x20) = 1u << 0x11;
    set_ppr(0x10);
    memset(pages + PAGE, 0, PAGE);
    snapshot();

    lapic_self_ipi(0x51);
    pages_unchanged_except(APIC_ICR_LOW);
    assert_int_equal(*reg(APIC_ICR_LOW), ICR_SELF | 0x51);
    *reg(APIC_IRR + 0x20) = 1u << 0x11;
    snapshot();
    assert_true(lapic_raised_deliverable());
    lapic_eoi();
    pages_unchanged_except(APIC_EOI);
    assert_int_equal(*reg(APIC_EOI), 0);
    assert_int_equal(lapic_id(), 7);
    assert_true(lapic_in_service(0x51));
    assert_false(lapic_in_service(0x50));

    assert_int_equal(base_reads, 1);
    assert_int_equal(fake_arch.nmsrs, 0);
}

/* ICR low = self shorthand | vector (fixed delivery, edge), at once when
 * the previous IPI is no longer pending; nothing else written. */
static void xapic_self_ipi(void **state)
{
    (void)state;
    static const uint8_t vectors[] = {0x20, 0x51, 0x80, 0xfe, 0xff};
    for (size_t i = 0; i < sizeof(vectors); i++) {
        *reg(APIC_ICR_LOW) = 0x5a5a5a5a & ~ICR_PENDING;
        snapshot();
        lapic_self_ipi(vectors[i]);
        assert_int_equal(*reg(APIC_ICR_LOW), ICR_SELF | vectors[i]);
        pages_unchanged_except(APIC_ICR_LOW);
    }
    assert_int_equal(fake_arch.relaxes, 0);
    assert_int_equal(fake_arch.nmsrs, 0);
}

#define CLEAR_AFTER 3

/* The "hardware": the previous IPI stays pending for CLEAR_AFTER pauses,
 * and lapic.c must not have written the ICR meanwhile. */
static void pending_for_a_while(void)
{
    assert_int_equal(*reg(APIC_ICR_LOW), ICR_PENDING | ICR_SELF | 0x40);
    if (fake_arch.relaxes == CLEAR_AFTER)
        *reg(APIC_ICR_LOW) &= ~ICR_PENDING;
}

static void xapic_self_ipi_waits_while_pending(void **state)
{
    (void)state;
    *reg(APIC_ICR_LOW) = ICR_PENDING | ICR_SELF | 0x40;
    fake_arch.relax = pending_for_a_while;
    snapshot();
    lapic_self_ipi(0x52);
    assert_int_equal(fake_arch.relaxes, CLEAR_AFTER);
    assert_int_equal(*reg(APIC_ICR_LOW), ICR_SELF | 0x52);
    pages_unchanged_except(APIC_ICR_LOW);
}

/* A pending bit that never clears: the wait ends, and the IPI is sent. */
static void xapic_self_ipi_wait_bounded(void **state)
{
    (void)state;
    *reg(APIC_ICR_LOW) = ICR_PENDING | ICR_SELF | 0x40;
    lapic_self_ipi(0x52);
    assert_true(fake_arch.relaxes > 0);
    assert_true(fake_arch.relaxes <= 1000000);
    assert_int_equal(*reg(APIC_ICR_LOW), ICR_SELF | 0x52);
}

static void xapic_eoi(void **state)
{
    (void)state;
    snapshot();
    lapic_eoi();
    assert_int_equal(*reg(APIC_EOI), 0);
    pages_unchanged_except(APIC_EOI);
    assert_int_equal(fake_arch.nmsrs, 0);
}

/* Bits 31:24 of the ID register; the rest is not the ID. */
static void xapic_id(void **state)
{
    (void)state;
    *reg(APIC_ID) = 0x2a000000;
    assert_int_equal(lapic_id(), 0x2a);
    *reg(APIC_ID) = 0x00ffffff;
    assert_int_equal(lapic_id(), 0);
    *reg(APIC_ID) = 0xff123456;
    assert_int_equal(lapic_id(), 0xff);
    assert_int_equal(fake_arch.nmsrs, 0);
}

static void xapic_in_service(void **state)
{
    (void)state;
    in_service_cases();
}

static void xapic_raised_deliverable(void **state)
{
    (void)state;
    deliverable_cases();
    assert_int_equal(base_reads, 1);
    assert_int_equal(fake_arch.nmsrs, 0);
}

/* The ICR high word when the command is written (the hook below). */
static uint32_t icr_hi_at_send;

static void watch_icr(void)
{
    icr_hi_at_send = *reg(APIC_ICR_HI);
    *reg(APIC_ICR_LOW) &= ~ICR_PENDING; /* "hardware" takes it at the first poll */
}

/* An IPI to another CPU (smp.c's INIT and SIPI, kicks): the destination in
 * ICR high bits 31:24, then the command in ICR low; sent once no longer
 * pending. The guest's own ICR high word (it may have exited between its two
 * writes) is back afterwards. An ID xAPIC cannot name (above 0xff) writes
 * nothing; a command that stays pending is reported. */
static void xapic_send_ipi(void **state)
{
    (void)state;
    *reg(APIC_ICR_LOW) = 0;
    *reg(APIC_ICR_HI) = 7u << 24; /* the guest's, not sent yet */
    snapshot();
    fake_arch.relax = watch_icr;
    assert_true(lapic_send_ipi(3, 0xc500 | ICR_PENDING));
    assert_int_equal(icr_hi_at_send, 3u << 24);
    assert_int_equal(*reg(APIC_ICR_HI), 7u << 24);
    assert_int_equal(*reg(APIC_ICR_LOW), 0xc500);
    *reg(APIC_ICR_LOW) = 0;
    assert_true(lapic_send_ipi(0xff, 0x69f | ICR_PENDING));
    assert_int_equal(icr_hi_at_send, 0xffu << 24);
    assert_int_equal(*reg(APIC_ICR_HI), 7u << 24);
    assert_int_equal(*reg(APIC_ICR_LOW), 0x69f);
    fake_arch.relax = NULL;

    *reg(APIC_ICR_LOW) = 0;
    snapshot();
    assert_false(lapic_send_ipi(0x100, 0x600));
    pages_unchanged_except(~0u);

    *reg(APIC_ICR_LOW) = ICR_PENDING;
    assert_false(lapic_send_ipi(1, 0x600 | ICR_PENDING)); /* "hardware" never takes it */
    assert_int_equal(fake_arch.nmsrs, 0);
}

/* --- x2APIC ----------------------------------------------------------------------------- */

/* APIC_BASE is read at lapic_init only: later, whatever it reads (x2APIC
 * off, another page), every operation still goes through the MSRs. */
static void x2apic_base_saved_once(void **state)
{
    (void)state;
    apic_base_msr = (uintptr_t)(pages + PAGE) | BASE_EN;
    x2apic_msr[MSR_X2APIC_ID - 0x800] = 7;
    x2apic_msr[MSR_X2APIC_ISR - 0x800 + 2] = 1u << 0x11;
    x2apic_msr[MSR_X2APIC_IRR - 0x800 + 2] = 1u << 0x11;
    set_ppr(0x10);

    lapic_self_ipi(0x51);
    assert_op(0, true, MSR_X2APIC_SELF_IPI);
    assert_true(lapic_raised_deliverable());
    assert_int_equal(reads_of(MSR_X2APIC_PPR), 1);
    assert_int_equal(reads_of(MSR_X2APIC_IRR + 2), 1);
    lapic_eoi();
    assert_op(3, true, MSR_X2APIC_EOI);
    assert_int_equal(lapic_id(), 7);
    assert_op(4, false, MSR_X2APIC_ID);
    assert_true(lapic_in_service(0x51));
    assert_op(5, false, MSR_X2APIC_ISR + 2);
    assert_false(lapic_in_service(0x50));
    assert_op(6, false, MSR_X2APIC_ISR + 2);

    assert_int_equal(fake_arch.nmsrs, 7);
    assert_int_equal(base_reads, 1);
}

/* WRMSR(SELF_IPI) = the vector, and nothing else: no ICR, no wait. */
static void x2apic_self_ipi(void **state)
{
    (void)state;
    static const uint8_t vectors[] = {0x20, 0x51, 0x80, 0xfe, 0xff};
    for (size_t i = 0; i < sizeof(vectors); i++) {
        ops_clear();
        lapic_self_ipi(vectors[i]);
        assert_int_equal(fake_arch.nmsrs, 1);
        assert_op(0, true, MSR_X2APIC_SELF_IPI);
        assert_int_equal(fake_arch.msrs[0].value, vectors[i]);
    }
    assert_int_equal(fake_arch.relaxes, 0);
}

static void x2apic_eoi(void **state)
{
    (void)state;
    lapic_eoi();
    assert_int_equal(fake_arch.nmsrs, 1);
    assert_op(0, true, MSR_X2APIC_EOI);
    assert_int_equal(fake_arch.msrs[0].value, 0);
}

/* One WRMSR(ICR): the 32-bit destination in the high half, the command low. */
static void x2apic_send_ipi(void **state)
{
    (void)state;
    assert_true(lapic_send_ipi(0x12345, 0xc500));
    assert_int_equal(fake_arch.nmsrs, 1);
    assert_op(0, true, MSR_X2APIC_ICR);
    assert_int_equal(fake_arch.msrs[0].value, 0x12345ull << 32 | 0xc500);
}

/* The whole 32-bit x2APIC ID, not shifted. */
static void x2apic_id(void **state)
{
    (void)state;
    x2apic_msr[MSR_X2APIC_ID - 0x800] = 0x12345;
    assert_int_equal(lapic_id(), 0x12345);
    x2apic_msr[MSR_X2APIC_ID - 0x800] = 0xffffffff;
    assert_int_equal(lapic_id(), 0xffffffff);
    x2apic_msr[MSR_X2APIC_ID - 0x800] = 2;
    assert_int_equal(lapic_id(), 2);
    assert_int_equal(fake_arch.nmsrs, 3);
    for (unsigned i = 0; i < 3; i++)
        assert_op(i, false, MSR_X2APIC_ID);
}

static void x2apic_in_service(void **state)
{
    (void)state;
    in_service_cases();
}

static void x2apic_raised_deliverable(void **state)
{
    (void)state;
    deliverable_cases();
    assert_int_equal(base_reads, 1);
}

int main(void)
{
#define X(f)  cmocka_unit_test_setup(f, setup_xapic)
#define X2(f) cmocka_unit_test_setup_teardown(f, setup_x2apic, teardown_x2apic)
    const struct CMUnitTest tests[] = {
        X(xapic_base_saved_once),
        X(xapic_self_ipi),
        X(xapic_self_ipi_waits_while_pending),
        X(xapic_self_ipi_wait_bounded),
        X(xapic_eoi),
        X(xapic_id),
        X(xapic_in_service),
        X(xapic_raised_deliverable),
        X(xapic_send_ipi),
        X2(x2apic_base_saved_once),
        X2(x2apic_self_ipi),
        X2(x2apic_eoi),
        X2(x2apic_id),
        X2(x2apic_in_service),
        X2(x2apic_raised_deliverable),
        X2(x2apic_send_ipi),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
