/* Which APs the BSP starts: every MADT CPU but itself, each once, in table
 * order, bounded. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "arch/x86/percpu.h"

static void bsp_left_out_wherever_it_is(void **state)
{
    (void)state;
    const uint32_t ids[] = {4, 0, 2, 6};
    uint32_t aps[8];
    assert_int_equal(percpu_aps(ids, 4, 2, aps, 8), 3);
    assert_int_equal(aps[0], 4);
    assert_int_equal(aps[1], 0);
    assert_int_equal(aps[2], 6);
}

/* A BSP the MADT does not list (firmware bug) costs nothing: all are APs. */
static void bsp_not_listed(void **state)
{
    (void)state;
    const uint32_t ids[] = {1, 2};
    uint32_t aps[8];
    assert_int_equal(percpu_aps(ids, 2, 0, aps, 8), 2);
    assert_int_equal(aps[0], 1);
    assert_int_equal(aps[1], 2);
}

static void duplicates_once_and_bounded(void **state)
{
    (void)state;
    const uint32_t ids[] = {0, 1, 1, 0, 2, 3, 4, 5};
    uint32_t aps[3] = {0};
    assert_int_equal(percpu_aps(ids, 8, 0, aps, 3), 3);
    assert_int_equal(aps[0], 1);
    assert_int_equal(aps[1], 2);
    assert_int_equal(aps[2], 3);
    assert_int_equal(percpu_aps(ids, 8, 0, aps, 0), 0);
    assert_int_equal(percpu_aps(ids, 0, 0, aps, 3), 0);
    assert_int_equal(percpu_aps(ids, 1, 0, aps, 3), 0); /* the BSP alone */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(bsp_left_out_wherever_it_is),
        cmocka_unit_test(bsp_not_listed),
        cmocka_unit_test(duplicates_once_and_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
