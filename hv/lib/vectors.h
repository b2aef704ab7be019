/* Which interrupt vectors the guest may have raised for it: one rule for
 * every door through which it names a vector (SINTs, IOAPIC entries).
 * Hardware-free. */
#ifndef HV_LIB_VECTORS_H
#define HV_LIB_VECTORS_H

#include <stddef.h>
#include <stdint.h>

/* NULL if an unmasked source may fire vector, else why not: 0-15 (no
 * interrupt may use them), 16-31 (exceptions: the host drops them) and
 * the host's own (host[0..n), 0 entries unused). The reasons are log text. */
const char *vector_refused(uint8_t vector, const uint8_t *host, unsigned n);

#endif
