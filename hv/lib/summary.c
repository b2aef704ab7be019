#include "lib/summary.h"

#include "lib/fmt.h"
#include "lib/log.h"

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

void summary_write(int verdict)
{
    char line[1024]; /* about 700 bytes today */
    size_t n = (size_t)fmt_snprintf(line, sizeof(line), "hv: summary");
    n += summary_text(line + n, sizeof(line) - n);
    if (n < sizeof(line))
        n += (size_t)fmt_snprintf(line + n, sizeof(line) - n, " verdict=%d\n", verdict);
    if (n >= sizeof(line)) { /* cut: still one line */
        n = sizeof(line) - 1;
        line[n - 1] = '\n';
    }
    console_write(line, n);
}

void summary_reset(void)
{
    count = 0;
}
