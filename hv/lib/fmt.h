/* A small vsnprintf: %s %c %d %i %u %x %X %p %%, flags '-' '0', width, .precision
 * (also '*'), length modifiers h, l, ll, z. Always NUL-terminates when cap > 0 and
 * returns the length the full output would have had. */
#ifndef HV_LIB_FMT_H
#define HV_LIB_FMT_H

#include <stdarg.h>
#include <stddef.h>

int fmt_vsnprintf(char *buf, size_t cap, const char *fmt, va_list ap);
int fmt_snprintf(char *buf, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Text built piece by piece in a fixed buffer (the trace decoders' lines):
 * what does not fit is cut, buf stays NUL-terminated, len < cap. */
struct fmt_out {
    char *buf;
    size_t cap, len;
};
void fmt_append(struct fmt_out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
