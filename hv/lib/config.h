/* hv.cfg: "key = value" lines, '#' starts a comment line, blank lines ignored.
 * Every key is documented in README.md ("Configuration"). */
#ifndef HV_LIB_CONFIG_H
#define HV_LIB_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "boot_info.h"
#include "lib/config_words.h"

struct config_error {
    unsigned line; /* 1-based; 0 when the error is not tied to a line */
    char msg[192];
};

void config_defaults(struct hv_config *cfg);
/* Parse text[0..len) over the defaults. Returns 0, or -1 with err filled. */
int config_parse(const char *text, size_t len, struct hv_config *cfg, struct config_error *err);

/* --- shared by the parsers of config.c and config_fault.c -------------------- */
/* A "fault = <when> <what> [key=value...]" line into cfg->faults. */
int config_parse_fault(struct hv_config *cfg, const char *v, size_t vlen, unsigned line,
                       struct config_error *err);
/* After the last line: every fault's channel= names a configured device. */
int config_check_faults(const struct hv_config *cfg, struct config_error *err);

#endif
