#include "lib/vectors.h"

const char *vector_refused(uint8_t vector, const uint8_t *host, unsigned n)
{
    if (vector < 16)
        return "unmasked with vector below 16";
    if (vector < 32)
        return "unmasked with an exception vector (16-31)";
    for (unsigned i = 0; i < n; i++) {
        if (host[i] && host[i] == vector)
            return "unmasked with a vector the host owns";
    }
    return NULL;
}
