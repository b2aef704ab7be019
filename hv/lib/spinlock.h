/* A ticket spinlock: C11 atomics only, so it works freestanding in the
 * hypervisor and in host tests alike. Tickets make waiters take turns, so no
 * CPU starves while others keep taking the lock. Not re-entrant, and the
 * holder must not be interrupted by anything that takes the same lock. */
#ifndef HV_LIB_SPINLOCK_H
#define HV_LIB_SPINLOCK_H

#include <stdatomic.h>
#include <stdbool.h>

struct spinlock {
    atomic_uint next;  /* the ticket the next taker draws */
    atomic_uint owner; /* the ticket now holding the lock */
};

#define SPINLOCK_INIT                                                                              \
    {                                                                                              \
        0, 0                                                                                       \
    }

#if __STDC_HOSTED__
#include <sched.h>
#endif

/* In the hypervisor a waiter has its CPU to itself. A host test's thread can
 * be descheduled while it holds the lock or is next in line, and with more
 * threads than CPUs every hand-over would then wait for a time slice: there
 * a waiter gives its CPU away. */
static inline void spin_relax(void)
{
#if __STDC_HOSTED__
    sched_yield();
#elif defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

static inline void spin_lock(struct spinlock *l)
{
    unsigned me = atomic_fetch_add_explicit(&l->next, 1, memory_order_relaxed);
    while (atomic_load_explicit(&l->owner, memory_order_acquire) != me)
        spin_relax();
}

/* Takes the lock only if nobody holds or waits for it; true if taken. */
static inline bool spin_trylock(struct spinlock *l)
{
    unsigned owner = atomic_load_explicit(&l->owner, memory_order_relaxed);
    unsigned expect = owner;
    return atomic_compare_exchange_strong_explicit(&l->next, &expect, owner + 1,
                                                   memory_order_acquire, memory_order_relaxed);
}

static inline void spin_unlock(struct spinlock *l)
{
    unsigned owner = atomic_load_explicit(&l->owner, memory_order_relaxed);
    atomic_store_explicit(&l->owner, owner + 1, memory_order_release);
}

#endif
