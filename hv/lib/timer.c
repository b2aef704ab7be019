#include "lib/timer.h"

#include <stddef.h>

#define NS_PER_S 1000000000ull

static uint64_t (*clock_counter)(void);
static uint64_t clock_hz, clock_start, clock_unix_start;
static struct hv_timer *timers; /* sorted by deadline, earliest first */
/* While timers_run(now) runs, deadlines armed are at least now + 1: a callback
 * re-arming for a time already past runs in the next pass, not forever. */
static bool running;
static uint64_t running_now;

void clock_init(uint64_t (*counter)(void), uint64_t hz, uint64_t unix_seconds)
{
    clock_counter = counter;
    clock_hz = hz;
    clock_start = counter && hz ? counter() : 0;
    clock_unix_start = unix_seconds;
}

uint64_t clock_ns(void)
{
    if (!clock_counter || !clock_hz)
        return 0;
    uint64_t t = clock_counter() - clock_start;
    /* Split so (t % hz) * 1e9 cannot overflow for any hz below 18 GHz. */
    return t / clock_hz * NS_PER_S + t % clock_hz * NS_PER_S / clock_hz;
}

uint64_t clock_unix_ns(void)
{
    return clock_unix_start ? clock_unix_start * NS_PER_S + clock_ns() : 0;
}

void timer_setup(struct hv_timer *t, void (*fn)(struct hv_timer *t, uint64_t now), void *ctx)
{
    t->fn = fn;
    t->ctx = ctx;
    t->deadline = TIMER_NEVER;
    t->next = NULL;
}

bool timer_armed(const struct hv_timer *t)
{
    return t->deadline != TIMER_NEVER;
}

void timer_cancel(struct hv_timer *t)
{
    for (struct hv_timer **p = &timers; *p; p = &(*p)->next) {
        if (*p == t) {
            *p = t->next;
            break;
        }
    }
    t->next = NULL;
    t->deadline = TIMER_NEVER;
}

void timer_arm(struct hv_timer *t, uint64_t deadline)
{
    timer_cancel(t);
    if (deadline == TIMER_NEVER)
        return;
    if (running && deadline <= running_now)
        deadline = running_now + 1;
    t->deadline = deadline;
    struct hv_timer **p = &timers;
    while (*p && (*p)->deadline <= deadline)
        p = &(*p)->next;
    t->next = *p;
    *p = t;
}

uint64_t timers_next(void)
{
    return timers ? timers->deadline : TIMER_NEVER;
}

uint64_t timers_run(uint64_t now)
{
    running = true;
    running_now = now;
    while (timers && timers->deadline <= now) {
        struct hv_timer *t = timers;
        timers = t->next;
        t->next = NULL;
        t->deadline = TIMER_NEVER;
        t->fn(t, now);
    }
    running = false;
    return timers_next();
}
