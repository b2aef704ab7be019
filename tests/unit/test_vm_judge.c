/* What the guest machine makes of refused accesses and run-ending events
 * (hv/vm/judge.c): the verdicts of a power-off and a reset with their
 * reasons, sleep requests ignored, and each kind of line kept to its budget. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "verdict.h"
#include "vm/judge.h"

#include "fixture.h"

static const struct io_machine machine = {
    .pm1a_evt = 0x600, .pm1a_cnt = 0x604, .pm_tmr = 0x608, .s5_slp_typ = 5};

static struct io_space io;

static int setup(void **state)
{
    (void)state;
    const char *why;
    log_reset();
    return io_space_init(&io, &machine, &why);
}

static void verdicts(void **state)
{
    (void)state;
    char why[128];
    struct io_result r = {.event = IO_EV_POWEROFF};
    assert_int_equal(judge_io(&io, &r, false, why, sizeof(why)), HV_VERDICT_PASS);
    assert_string_equal(why, "power-off (ACPI S5)");
    r = (struct io_result){.event = IO_EV_RESET, .what = "port 0x92"};
    assert_int_equal(judge_io(&io, &r, false, why, sizeof(why)), HV_VERDICT_GUEST_FAIL);
    assert_string_equal(why, "reset through port 0x92 (a reboot, or a panic with panic=-1)");
    r = (struct io_result){.event = IO_EV_SLEEP, .slp_typ = 3};
    assert_int_equal(judge_io(&io, &r, false, why, sizeof(why)), JUDGE_RUNS);
    assert_int_equal(log_count("hv: guest: sleep state SLP_TYP=3 requested"), 1);
    r = (struct io_result){.event = IO_EV_NONE};
    assert_int_equal(judge_io(&io, &r, false, why, sizeof(why)), JUDGE_RUNS);
    assert_int_equal(loglen, strlen(logbuf));
}

static void budgets(void **state)
{
    (void)state;
    char why[16];
    for (unsigned i = 0; i < 40; i++) {
        struct io_result r = {
            .refused = true, .refused_port = (uint16_t)(0x5000 + i), .cmos_write = true};
        judge_io(&io, &r, true, why, sizeof(why));
        judge_io(&io, &r, true, why, sizeof(why)); /* the same port: once */
        judge_msr_refused(0x1000 + i, true);
        judge_msr_refused(0x1000 + i, false);
    }
    judge_string_io(&io, 0x7000);
    assert_int_equal(log_count("hv: io: guest read of port 0x5000 refused: nothing here"), 1);
    assert_int_equal(log_count(" refused: "), 16); /* the string I/O one too late */
    assert_int_equal(log_count("(further ports not reported)"), 1);
    assert_int_equal(log_count("CMOS are dropped"), 1);
    assert_int_equal(log_count("hv: msr: write of MSR 0x1000 refused with #GP"), 1);
    assert_int_equal(log_count("hv: msr: read of MSR 0x1000 refused with #GP"), 1);
    assert_int_equal(log_count("hv: msr: "), 16);
    assert_int_equal(log_count("(further MSRs not reported)"), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(verdicts, setup),
        cmocka_unit_test_setup(budgets, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
