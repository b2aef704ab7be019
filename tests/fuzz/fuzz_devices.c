/* hv.cfg device lines are user input for the hypervisor too: what the
 * loader accepts (config.c), the registry and every kind's words parser
 * (devices_parse over kinds.c) must take without crashing, and a refusal
 * must name a line. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "devices/devices.h"
#include "lib/config.h"

#include "../unit/fixture.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct hv_config cfg;
    char *copy = malloc(size ? size : 1); /* exact size: ASan catches over-reads */
    memcpy(copy, data, size);
    struct config_error err;
    config_defaults(&cfg);
    if (config_parse(copy, size, &cfg, &err) == 0) {
        log_reset();
        if (devices_parse(&cfg) && !strstr(logbuf, "hv: devices: hv.cfg line "))
            abort();
    }
    free(copy);
    return 0;
}
