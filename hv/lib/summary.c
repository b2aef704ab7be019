#include "lib/summary.h"

static summary_part parts[SUMMARY_PARTS_MAX];
static unsigned count;

int summary_add(summary_part fn)
{
    for (unsigned i = 0; i < count; i++) {
        if (parts[i] == fn)
            return 0;
    }
    if (count == SUMMARY_PARTS_MAX)
        return -1;
    parts[count++] = fn;
    return 0;
}

size_t summary_text(char *buf, size_t cap)
{
    size_t n = 0;
    if (cap)
        buf[0] = '\0';
    for (unsigned i = 0; i < count; i++)
        n += parts[i](n < cap ? buf + n : NULL, n < cap ? cap - n : 0);
    return n;
}

void summary_reset(void)
{
    count = 0;
}
