/* The four memory functions the compiler may call; hv/lib/mem.c defines them. */
#ifndef HV_LIB_MEM_H
#define HV_LIB_MEM_H

#include <stddef.h>

void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);

#endif
