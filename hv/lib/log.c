#include "lib/log.h"

#include <stdarg.h>

#include "lib/fmt.h"

void hv_log(const char *area, const char *fmt, ...)
{
    char line[256];
    int n = fmt_snprintf(line, sizeof(line), "hv: %s: ", area);
    va_list ap;
    va_start(ap, fmt);
    if (n < (int)sizeof(line))
        n += fmt_vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
    va_end(ap);
    if (n > (int)sizeof(line) - 2)
        n = (int)sizeof(line) - 2; /* truncated: still one whole line */
    line[n++] = '\n';
    console_write(line, (size_t)n);
}
