#include "lib/config_words.h"

#include "lib/str.h"

bool config_parse_uint(const char *s, size_t n, uint64_t *out)
{
    uint64_t v = 0;
    unsigned base = 10;
    size_t i = 0;
    if (n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        i = 2;
    }
    if (i == n)
        return false;
    for (; i < n; i++) {
        unsigned d;
        char c = s[i];
        if (c >= '0' && c <= '9')
            d = (unsigned)(c - '0');
        else if (base == 16 && c >= 'a' && c <= 'f')
            d = (unsigned)(c - 'a' + 10);
        else if (base == 16 && c >= 'A' && c <= 'F')
            d = (unsigned)(c - 'A' + 10);
        else
            return false;
        if (v > (UINT64_MAX - d) / base)
            return false;
        v = v * base + d;
    }
    *out = v;
    return true;
}

const char *config_word(const char *v, size_t vlen, size_t *pos, size_t *n)
{
    while (*pos < vlen && str_is_space(v[*pos]))
        (*pos)++;
    size_t start = *pos;
    while (*pos < vlen && !str_is_space(v[*pos]))
        (*pos)++;
    *n = *pos - start;
    return v + start;
}

size_t config_key_len(const char *w, size_t n)
{
    size_t eq = 0;
    while (eq < n && w[eq] != '=')
        eq++;
    return eq;
}
