/* Log lines a guest can cause again and again, kept to a bounded few: a
 * budget of lines per kind, or one line per distinct (key, key) pair. Every
 * line beyond is only counted. */
#ifndef HV_LIB_LOG_ONCE_H
#define HV_LIB_LOG_ONCE_H

#include <stdbool.h>
#include <stdint.h>

/* The first `limit` lines of one kind are logged, the last of them ending with
 * `last` (e.g. " (further such lines not reported)"); the rest are counted. */
struct log_budget {
    unsigned limit, lines;
    const char *last;
    uint64_t dropped;
};
#define LOG_BUDGET(limit_, last_)                                                                  \
    {                                                                                              \
        .limit = (limit_), .last = (last_)                                                         \
    }

/* NULL: do not log (counted in dropped). Else the suffix to end the line
 * with: "" or, on the last line of the budget, b->last. */
const char *log_budget_take(struct log_budget *b);

#define LOG_ONCE_MAX 64u
/* One line per distinct pair of keys (a message type and a reason, an MSR
 * and a direction), for the first `limit` pairs (LOG_ONCE_N; at most and by
 * default LOG_ONCE_MAX); the line that fills the set ends with `last`. */
struct log_once {
    const char *last;
    unsigned limit; /* 0: LOG_ONCE_MAX */
    unsigned count;
    uint64_t dropped;
    uint64_t a[LOG_ONCE_MAX], b[LOG_ONCE_MAX];
};
#define LOG_ONCE(last_)                                                                            \
    {                                                                                              \
        .last = (last_)                                                                            \
    }
#define LOG_ONCE_N(limit_, last_)                                                                  \
    {                                                                                              \
        .last = (last_), .limit = (limit_)                                                         \
    }

/* NULL: already logged, or the set is full (counted in dropped). Else the
 * suffix to end the line with: "" or s->last when this pair fills the set. */
const char *log_once_take(struct log_once *s, uint64_t a, uint64_t b);

/* Back to nothing logged (a new run, a test). */
void log_budget_reset(struct log_budget *b);
void log_once_reset(struct log_once *s);

#endif
