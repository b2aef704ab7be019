/* Host time and deadlines (hv/lib/timer.c): clock arithmetic over a fake
 * counter (no overflow at large counts, wall clock only when known), timers
 * run in deadline order and in arming order on ties, a callback re-arming
 * itself for a time already past runs once per pass (no endless loop), and
 * cancelling, re-arming and disarming. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "lib/timer.h"

static uint64_t ticks;
static uint64_t counter(void)
{
    return ticks;
}

static char order[32];
static unsigned ran;
static void record(struct hv_timer *t, uint64_t now)
{
    (void)now;
    order[ran++] = *(const char *)t->ctx;
}

static struct hv_timer a, b, c;

static int setup(void **state)
{
    (void)state;
    timer_cancel(&a); /* a previous test's leftovers must not stay listed */
    timer_cancel(&b);
    timer_cancel(&c);
    timer_setup(&a, record, "a");
    timer_setup(&b, record, "b");
    timer_setup(&c, record, "c");
    memset(order, 0, sizeof(order));
    ran = 0;
    return 0;
}

static void clock_math(void **state)
{
    (void)state;
    clock_init(NULL, 0, 0);
    assert_int_equal(clock_ns(), 0);
    assert_int_equal(clock_unix_ns(), 0);

    ticks = 1000;
    clock_init(counter, 3000000000ull, 0); /* 3 GHz */
    assert_int_equal(clock_ns(), 0);
    ticks += 3000000000ull;
    assert_int_equal(clock_ns(), 1000000000ull);
    ticks += 3;
    assert_int_equal(clock_ns(), 1000000001ull);
    assert_int_equal(clock_unix_ns(), 0); /* no wall clock given */

    /* ~2^62 ticks at 2.5 GHz (58 years): t * 1e9 would overflow 64 bits */
    uint64_t hz = 2500000000ull, t = (1ull << 62) + 12345;
    ticks = 7;
    clock_init(counter, hz, 1700000000ull);
    ticks = 7 + t;
    unsigned __int128 want = (unsigned __int128)t * 1000000000u / hz;
    assert_true(clock_ns() == (uint64_t)want);
    assert_true(clock_unix_ns() == 1700000000ull * 1000000000ull + (uint64_t)want);
}

static void deadline_order(void **state)
{
    (void)state;
    timer_arm(&c, 30);
    timer_arm(&a, 10);
    timer_arm(&b, 20);
    assert_int_equal(timers_next(), 10);
    assert_int_equal(timers_run(9), 10); /* nothing due yet */
    assert_int_equal(ran, 0);
    assert_int_equal(timers_run(25), 30);
    assert_string_equal(order, "ab");
    assert_false(timer_armed(&a));
    assert_true(timer_armed(&c));
    assert_int_equal(timers_run(100), TIMER_NEVER);
    assert_string_equal(order, "abc");
    assert_int_equal(timers_next(), TIMER_NEVER);
}

static void ties_in_arming_order(void **state)
{
    (void)state;
    timer_arm(&b, 5);
    timer_arm(&c, 5);
    timer_arm(&a, 5);
    timers_run(5);
    assert_string_equal(order, "bca");
}

static unsigned self_runs;
static void rearm_in_the_past(struct hv_timer *t, uint64_t now)
{
    (void)now;
    self_runs++;
    timer_arm(t, 0); /* already past: must wait for the next pass */
}

static void rearm_from_callback_does_not_loop(void **state)
{
    (void)state;
    struct hv_timer t;
    timer_setup(&t, rearm_in_the_past, NULL);
    self_runs = 0;
    timer_arm(&t, 50);
    assert_int_equal(timers_run(100), 101); /* re-armed just after now */
    assert_int_equal(self_runs, 1);
    assert_int_equal(timers_run(100), 101); /* not due yet at the same now */
    assert_int_equal(self_runs, 1);
    timers_run(101);
    assert_int_equal(self_runs, 2);
    timer_cancel(&t);
    assert_int_equal(timers_next(), TIMER_NEVER);
}

/* a's callback arms b for "now" and cancels c, both due in this pass. */
static void meddle(struct hv_timer *t, uint64_t now)
{
    (void)t;
    order[ran++] = 'a';
    timer_arm(&b, now);
    timer_cancel(&c);
}

static void callback_arms_and_cancels_others(void **state)
{
    (void)state;
    timer_setup(&a, meddle, NULL);
    timer_arm(&a, 10);
    timer_arm(&c, 10);
    timers_run(10);
    assert_string_equal(order, "a"); /* c cancelled, b waits for the next pass */
    assert_int_equal(b.deadline, 11);
    timers_run(11);
    assert_string_equal(order, "ab");
}

static void cancel_and_rearm(void **state)
{
    (void)state;
    timer_cancel(&a); /* not armed: harmless */
    timer_arm(&a, 10);
    timer_arm(&b, 20);
    timer_arm(&a, 30); /* moves, is not listed twice */
    assert_int_equal(timers_next(), 20);
    timer_cancel(&b);
    assert_false(timer_armed(&b));
    assert_int_equal(timers_next(), 30);
    timer_arm(&a, TIMER_NEVER); /* disarms */
    assert_false(timer_armed(&a));
    assert_int_equal(timers_run(1000), TIMER_NEVER);
    assert_int_equal(ran, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(clock_math, setup),
        cmocka_unit_test_setup(deadline_order, setup),
        cmocka_unit_test_setup(ties_in_arming_order, setup),
        cmocka_unit_test_setup(rearm_from_callback_does_not_loop, setup),
        cmocka_unit_test_setup(callback_arms_and_cancels_others, setup),
        cmocka_unit_test_setup(cancel_and_rearm, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
