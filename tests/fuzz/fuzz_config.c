/* hv.cfg text is user input: the parser must never crash or read past len. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *copy = malloc(size ? size : 1); /* exact size: ASan catches over-reads */
    memcpy(copy, data, size);
    struct hv_config cfg;
    struct config_error err;
    config_defaults(&cfg);
    if (config_parse(copy, size, &cfg, &err) == 0) {
        if (strnlen(cfg.cmdline, sizeof(cfg.cmdline)) == sizeof(cfg.cmdline) ||
            cfg.memory_mb < 64 || cfg.memory_mb % 2 || cfg.trace >> HV_TRACE_CLASSES)
            abort();
    } else if (strnlen(err.msg, sizeof(err.msg)) == sizeof(err.msg) || !err.msg[0]) {
        abort();
    }
    free(copy);
    return 0;
}
