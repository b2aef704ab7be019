/* hv.cfg: "key = value" lines, '#' starts a comment line, blank lines ignored.
 * Every key is documented in README.md ("Configuration"). */
#ifndef HV_LIB_CONFIG_H
#define HV_LIB_CONFIG_H

#include <stddef.h>

#include "boot_info.h"

struct config_error {
    unsigned line; /* 1-based; 0 when the error is not tied to a line */
    char msg[160];
};

void config_defaults(struct hv_config *cfg);
/* Parse text[0..len) over the defaults. Returns 0, or -1 with err filled. */
int config_parse(const char *text, size_t len, struct hv_config *cfg, struct config_error *err);

#endif
