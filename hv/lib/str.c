#include "lib/str.h"

size_t str_len(const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

size_t str_nlen(const char *s, size_t max)
{
    size_t n = 0;
    while (n < max && s[n])
        n++;
    return n;
}

bool str_eq(const char *a, const char *b)
{
    while (*a && *a == *b) {
        a++;
        b++;
    }
    return *a == *b;
}

bool str_eq_n(const char *s, size_t n, const char *w)
{
    size_t i = 0;
    for (; i < n; i++) {
        if (w[i] != s[i])
            return false;
    }
    return w[i] == '\0';
}

bool str_copy_n(char *dst, size_t cap, const char *src, size_t n)
{
    if (cap == 0 || n >= cap)
        return false;
    for (size_t i = 0; i < n; i++)
        dst[i] = src[i];
    dst[n] = '\0';
    return true;
}

bool str_is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}
