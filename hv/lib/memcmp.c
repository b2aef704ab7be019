/* Apart from mem.c: the UEFI loader links it too (its libefi has the others). */
#include "lib/mem.h"

#include <stdint.h>

int memcmp(const void *a, const void *b, size_t n)
{
    const uint8_t *x = a, *y = b;
    for (; n; n--, x++, y++) {
        if (*x != *y)
            return *x < *y ? -1 : 1;
    }
    return 0;
}
