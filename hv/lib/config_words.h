/* The words of an hv.cfg value: shared by the loader's parser (config.c,
 * config_fault.c) and the hypervisor's, which parses the device lines' own
 * key=value words (hv/devices/devices.c). */
#ifndef HV_LIB_CONFIG_WORDS_H
#define HV_LIB_CONFIG_WORDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Decimal or 0x-hex, no sign, no overflow. */
bool config_parse_uint(const char *s, size_t n, uint64_t *out);
/* The next blank-separated word of v[0..vlen) from *pos on (moved past it):
 * its start, with its length in *n (0: no more words). */
const char *config_word(const char *v, size_t vlen, size_t *pos, size_t *n);
/* Where '=' is in the word w[0..n) (n if nowhere): the key's length. */
size_t config_key_len(const char *w, size_t n);

#endif
