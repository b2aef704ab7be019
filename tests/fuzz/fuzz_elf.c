/* hv.elf comes from disk: validation and loading must hold for any bytes. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "elf_load.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *copy = malloc(size ? size : 1);
    memcpy(copy, data, size);
    struct elf_info info;
    const char *why;
    if (elf_check(copy, size, &info, &why) == 0) {
        if (info.span == 0 || info.span > ELF_MAX_SPAN || info.span % 4096)
            abort();
        uint8_t *dest = malloc(info.span);
        (void)elf_load(copy, size, &info, dest, 0x100000, &why);
        free(dest);
    }
    free(copy);
    return 0;
}
