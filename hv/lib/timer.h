/* Host time and host deadlines. The clock is the TSC, calibrated once; the
 * wall clock is the CMOS RTC read at start-up plus the TSC since. Deadlines
 * are one list run from the vCPU loop: after every exit and whenever the
 * host timer interrupt fires (docs/design.md, "Host-initiated work").
 * Hardware-free: the arch layer hands in the counter. */
#ifndef HV_LIB_TIMER_H
#define HV_LIB_TIMER_H

#include <stdbool.h>
#include <stdint.h>

#define TIMER_NEVER UINT64_MAX

/* counter(): a free-running tick count at hz ticks per second; unix_seconds:
 * the wall-clock time (seconds since 1970, UTC) at the moment of the call, 0
 * if unknown. */
void clock_init(uint64_t (*counter)(void), uint64_t hz, uint64_t unix_seconds);
/* Nanoseconds since clock_init; 0 before. */
uint64_t clock_ns(void);
/* Wall clock in nanoseconds since 1970-01-01 UTC; 0 if unknown. */
uint64_t clock_unix_ns(void);

struct hv_timer {
    uint64_t deadline; /* clock_ns(); TIMER_NEVER while not armed */
    void (*fn)(struct hv_timer *t, uint64_t now);
    void *ctx; /* the owner's */
    struct hv_timer *next;
};

/* Sets fn and ctx; the timer starts disarmed. */
void timer_setup(struct hv_timer *t, void (*fn)(struct hv_timer *t, uint64_t now), void *ctx);
/* (Re)arms for an absolute clock_ns() deadline; a deadline in the past runs
 * at the next timers_run. */
void timer_arm(struct hv_timer *t, uint64_t deadline);
void timer_cancel(struct hv_timer *t);
bool timer_armed(const struct hv_timer *t);
/* Runs every timer due at now (each once; a callback may re-arm its own or
 * another timer), returns the earliest deadline still armed or TIMER_NEVER. */
uint64_t timers_run(uint64_t now);
/* The earliest armed deadline or TIMER_NEVER. */
uint64_t timers_next(void);

#endif
