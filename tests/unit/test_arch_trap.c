/* The host's two IDTs (hv/arch/x86/trap.c, built by tests/unit/fake_trap.c):
 * the normal one, whose gates go to isr.asm's stubs, and the interrupt
 * window's, whose gates go to the window stubs (every vector an interrupt,
 * docs/design.md "Interrupts"). In both, NMI (2), #DF (8) and #MC (18) run on
 * IST 1, the known-good stack, and every other vector on the current stack
 * (IST 0); every gate is present, DPL 0, a 64-bit interrupt gate (type byte
 * 0x8e: IF cleared on entry) with the hypervisor's code selector. The gates
 * are decoded from their bytes as the CPU reads them, not through trap.c's
 * struct. idt_window_open loads one table or the other (the fake lidt records
 * the base and limit). trap_handler reports and stops with verdict 2, and
 * stops without a word when it faults while reporting. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "arch/x86/arch.h"
#include "arch/x86/trap.h"
#include "verdict.h"

#include "fake_arch.h"
#include "fixture.h"

#define GATES      256
#define GATE_BYTES 16

struct gate {
    uint64_t offset;
    uint16_t selector;
    uint8_t ist;      /* bits 0-2 of byte 4 */
    uint8_t byte4_hi; /* bits 3-7 of byte 4: zero */
    uint8_t type;     /* byte 5 whole */
    uint32_t reserved;
};

static struct gate gate_at(bool window, unsigned v)
{
    const uint8_t *b = (const uint8_t *)fake_idt(window) + v * GATE_BYTES;
    uint16_t lo, sel, mid;
    uint32_t hi, rsv;
    memcpy(&lo, b + 0, 2);
    memcpy(&sel, b + 2, 2);
    memcpy(&mid, b + 6, 2);
    memcpy(&hi, b + 8, 4);
    memcpy(&rsv, b + 12, 4);
    return (struct gate){
        .offset = (uint64_t)lo | (uint64_t)mid << 16 | (uint64_t)hi << 32,
        .selector = sel,
        .ist = b[4] & 7,
        .byte4_hi = b[4] >> 3,
        .type = b[5],
        .reserved = rsv,
    };
}

static bool on_ist(unsigned v)
{
    return v == 2 || v == 8 || v == 18; /* NMI, #DF, #MC */
}

static void check_table(bool window)
{
    const char *name = window ? "window" : "normal";
    unsigned ist1 = 0;
    for (unsigned v = 0; v < GATES; v++) {
        struct gate g = gate_at(window, v);
        uint64_t want = window ? fake_window(v) : fake_isr(v);
        if (g.offset != want)
            fail_msg("%s IDT vector %u: offset 0x%llx, want 0x%llx", name, v,
                     (unsigned long long)g.offset, (unsigned long long)want);
        if (g.ist != (on_ist(v) ? 1 : 0))
            fail_msg("%s IDT vector %u: IST %u, want %u", name, v, g.ist, on_ist(v) ? 1 : 0);
        if (g.type != 0x8e)
            fail_msg("%s IDT vector %u: type byte 0x%02x (P=%u DPL=%u type 0x%x), want 0x8e", name,
                     v, g.type, g.type >> 7, (g.type >> 5) & 3, g.type & 0xf);
        if (g.selector != GDT_CODE)
            fail_msg("%s IDT vector %u: selector 0x%x, want 0x%x", name, v, g.selector, GDT_CODE);
        if (g.byte4_hi != 0 || g.reserved != 0)
            fail_msg("%s IDT vector %u: reserved bits set (byte 4 0x%02x, dword 3 0x%x)", name, v,
                     g.byte4_hi << 3 | g.ist, g.reserved);
        ist1 += g.ist == 1;
    }
    assert_int_equal(ist1, 3);
}

static void test_normal_idt(void **state)
{
    (void)state;
    fake_trap_reset();
    idt_init();
    check_table(false);
}

static void test_window_idt(void **state)
{
    (void)state;
    fake_trap_reset();
    idt_init();
    check_table(true);
}

/* idt_init loads the normal table; the window opens and closes by lidt. */
static void test_window_switch(void **state)
{
    (void)state;
    fake_trap_reset();
    idt_init();
    assert_int_equal(fake_arch.lidts, 1);
    assert_ptr_equal(fake_arch.idt_base, fake_idt(false));
    assert_int_equal(fake_arch.idt_limit, GATES * GATE_BYTES - 1);

    idt_window_open(true);
    assert_int_equal(fake_arch.lidts, 2);
    assert_ptr_equal(fake_arch.idt_base, fake_idt(true));
    assert_int_equal(fake_arch.idt_limit, GATES * GATE_BYTES - 1);

    idt_window_open(false);
    assert_int_equal(fake_arch.lidts, 3);
    assert_ptr_equal(fake_arch.idt_base, fake_idt(false));
    assert_int_equal(fake_arch.idt_limit, GATES * GATE_BYTES - 1);

    /* opening twice, closing twice: the same table each time */
    idt_window_open(true);
    idt_window_open(true);
    assert_ptr_equal(fake_arch.idt_base, fake_idt(true));
    idt_window_open(false);
    idt_window_open(false);
    assert_ptr_equal(fake_arch.idt_base, fake_idt(false));
    assert_int_equal(fake_arch.lidts, 7);
    assert_ptr_not_equal(fake_idt(true), fake_idt(false));
}

extern const char __hv_start[];

/* The report names the exception, its error code, the registers and where
 * the RIP is in the image; verdict 2. A fault while reporting (trap_handler
 * entered again) stops at once, with nothing logged. */
static void test_trap_handler(void **state)
{
    (void)state;
    fake_trap_reset();
    fake_arch.cr[0] = 0x80050033;
    fake_arch.cr[2] = 0xdead0000beef;
    fake_arch.cr[3] = 0x7c30e000;
    fake_arch.cr[4] = 0x6e0;
    struct trap_frame f = {
        .rax = 0x1111,
        .r15 = 0xf15f15,
        .vector = 13,
        .error = 0x18,
        .rip = (uint64_t)(uintptr_t)__hv_start + 0x1234,
        .cs = 0x08,
        .rflags = 0x46,
    };
    log_reset();
    if (!setjmp(fake_arch.stop_env))
        trap_handler(&f);
    assert_true(fake_arch.stopped);
    assert_int_equal(fake_arch.verdict, HV_VERDICT_HV_ERROR);
    assert_int_equal(log_count("hv: panic: exception #GP (vector 13) error=0x18\n"), 1);
    assert_int_equal(log_count("cr0=0x80050033 cr2=0x0000dead0000beef cr3=0x7c30e000 cr4=0x6e0\n"),
                     1);
    assert_int_equal(log_count("rax=0000000000001111 "), 1);
    assert_int_equal(log_count("r15=0000000000f15f15\n"), 1);
    assert_int_equal(log_count(": rip is image+0x1234\n"), 1);

    fake_arch.stopped = false;
    fake_arch.verdict = -1;
    f.vector = 14;
    log_reset();
    if (!setjmp(fake_arch.stop_env))
        trap_handler(&f);
    assert_true(fake_arch.stopped);
    assert_int_equal(fake_arch.verdict, HV_VERDICT_HV_ERROR);
    assert_int_equal(loglen, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_normal_idt),
        cmocka_unit_test(test_window_idt),
        cmocka_unit_test(test_window_switch),
        cmocka_unit_test(test_trap_handler),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
