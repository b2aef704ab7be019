/* The spinlock: mutual exclusion under real threads (a counter updated
 * non-atomically inside the lock comes out exact), and trylock refusing a held
 * lock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>
#include <pthread.h>

#include "lib/spinlock.h"

#define THREADS 4
#define ROUNDS  200000

static struct spinlock lock = SPINLOCK_INIT;
/* volatile: each increment really reads and writes memory, so a lost update
 * shows if two threads were inside at once. */
static volatile unsigned long counter;
static volatile int inside;

static void *worker(void *arg)
{
    (void)arg;
    for (int i = 0; i < ROUNDS; i++) {
        spin_lock(&lock);
        if (inside++ != 0)
            abort();
        counter = counter + 1;
        inside--;
        spin_unlock(&lock);
    }
    return NULL;
}

static void threads_exclude_each_other(void **state)
{
    (void)state;
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(pthread_create(&t[i], NULL, worker, NULL), 0);
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(pthread_join(t[i], NULL), 0);
    assert_int_equal(counter, (unsigned long)THREADS * ROUNDS);
}

static void trylock_refuses_a_held_lock(void **state)
{
    (void)state;
    struct spinlock l = SPINLOCK_INIT;
    assert_true(spin_trylock(&l));
    assert_false(spin_trylock(&l));
    spin_unlock(&l);
    assert_true(spin_trylock(&l));
    spin_unlock(&l);
    spin_lock(&l);
    assert_false(spin_trylock(&l));
    spin_unlock(&l);
    assert_true(spin_trylock(&l));
    spin_unlock(&l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(threads_exclude_each_other),
        cmocka_unit_test(trylock_refuses_a_held_lock),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
