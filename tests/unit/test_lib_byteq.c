/* The byte ring between the i8042's interrupt and the host work
 * (hv/lib/byteq.c): first in, first out; a full ring refuses and counts;
 * the free-running indices wrap at 2^32 without losing a byte. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "lib/byteq.h"

static void fifo_and_full(void **state)
{
    (void)state;
    struct byteq q = {0};
    uint8_t b;
    assert_false(byteq_pop(&q, &b));
    for (unsigned i = 0; i < BYTEQ_SIZE; i++)
        assert_true(byteq_push(&q, (uint8_t)i));
    assert_false(byteq_push(&q, 0xaa));
    assert_false(byteq_push(&q, 0xbb));
    assert_int_equal(q.dropped, 2);
    for (unsigned i = 0; i < BYTEQ_SIZE; i++) {
        assert_true(byteq_pop(&q, &b));
        assert_int_equal(b, (uint8_t)i);
    }
    assert_false(byteq_pop(&q, &b));
    assert_true(byteq_push(&q, 0xcc)); /* room again */
    assert_true(byteq_pop(&q, &b));
    assert_int_equal(b, 0xcc);
    assert_int_equal(q.dropped, 2);
}

static void indices_wrap(void **state)
{
    (void)state;
    struct byteq q = {.head = UINT32_MAX - 5, .tail = UINT32_MAX - 5};
    uint8_t b;
    for (unsigned round = 0; round < 3; round++) {
        for (unsigned i = 0; i < BYTEQ_SIZE; i++)
            assert_true(byteq_push(&q, (uint8_t)(i + round)));
        assert_false(byteq_push(&q, 0));
        for (unsigned i = 0; i < BYTEQ_SIZE; i++) {
            assert_true(byteq_pop(&q, &b));
            assert_int_equal(b, (uint8_t)(i + round));
        }
        assert_false(byteq_pop(&q, &b));
    }
    assert_int_equal(q.dropped, 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fifo_and_full),
        cmocka_unit_test(indices_wrap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
