/* What every kind's file may call (device.h), apart from the registry. */
#include "devices/device.h"

#include "lib/fmt.h"

int device_refuse(struct device_error *e, const char *what, const char *v, size_t n)
{
    fmt_snprintf(e->msg, sizeof(e->msg), "%s '%.*s'", what, (int)n, v);
    return -1;
}
