/* The trace's decoders take guest bytes: a channel message of any size and
 * content decodes without crashing or reading past it (the input is copied
 * into an exactly sized buffer, so ASan sees over-reads), into any output
 * capacity, always NUL-terminated; exits with any fields decode too. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/trace.h"
#include "vmbus/trace.h"

#include "../unit/fixture.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int started;
    if (!started) {
        started = 1;
        trace_init((1u << HV_TRACE_CLASSES) - 1);
    }
    uint8_t *copy = malloc(size ? size : 1);
    memcpy(copy, data, size);
    char text[TRACE_LINE_MAX + 1];
    size_t cap = size ? data[0] % sizeof(text) : sizeof(text);
    text[cap < sizeof(text) ? cap : 0] = 'Z';
    size_t n = vmbus_decode(text, cap, copy, (uint32_t)size);
    if (cap && (n >= cap || strlen(text) != n))
        abort();
    if (cap < sizeof(text) && text[cap] != 'Z')
        abort();
    n = vmbus_decode(text, sizeof(text), copy, (uint32_t)size);
    if (n >= sizeof(text) || strlen(text) != n)
        abort();
    free(copy);
    /* the same bytes as an exit's fields and through the line budget */
    uint64_t f[8] = {0};
    memcpy(f, data, size < sizeof(f) ? size : sizeof(f));
    trace_exit((uint32_t)f[7], (uint32_t)f[0], f[1], f[2], f[3], f[4], f[5], f[6]);
    vmbus_trace_message(size & 1, data, (uint32_t)size);
    if (loglen > sizeof(logbuf) / 2)
        log_reset();
    return 0;
}
