/* Bounded string helpers for freestanding code (the loader links them too). */
#ifndef HV_LIB_STR_H
#define HV_LIB_STR_H

#include <stdbool.h>
#include <stddef.h>

size_t str_len(const char *s);
size_t str_nlen(const char *s, size_t max);
bool str_eq(const char *a, const char *b);
/* Compare s[0..n) with the NUL-terminated word w. */
bool str_eq_n(const char *s, size_t n, const char *w);
/* Copy src[0..n) into dst (capacity cap) with a NUL; false if it does not fit. */
bool str_copy_n(char *dst, size_t cap, const char *src, size_t n);
bool str_is_space(char c);

#endif
