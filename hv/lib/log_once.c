#include "lib/log_once.h"

#include <stddef.h>

const char *log_budget_take(struct log_budget *b)
{
    if (b->lines >= b->limit) {
        b->dropped++;
        return NULL;
    }
    return ++b->lines == b->limit ? b->last : "";
}

const char *log_once_take(struct log_once *s, uint64_t a, uint64_t b)
{
    for (unsigned i = 0; i < s->count; i++) {
        if (s->a[i] == a && s->b[i] == b)
            return NULL;
    }
    unsigned limit = s->limit && s->limit < LOG_ONCE_MAX ? s->limit : LOG_ONCE_MAX;
    if (s->count >= limit) {
        s->dropped++;
        return NULL;
    }
    s->a[s->count] = a;
    s->b[s->count] = b;
    return ++s->count == limit ? s->last : "";
}

void log_budget_reset(struct log_budget *b)
{
    b->lines = 0;
    b->dropped = 0;
}

void log_once_reset(struct log_once *s)
{
    s->count = 0;
    s->dropped = 0;
}
