/* The serial log protocol: one "hv: <area>: <message>" line per event. */
#ifndef HV_LIB_LOG_H
#define HV_LIB_LOG_H

#include <stddef.h>

/* Where log text goes; the arch layer (or a test) provides it. */
void console_write(const char *s, size_t n);

void hv_log(const char *area, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
