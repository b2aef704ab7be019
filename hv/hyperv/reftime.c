/* Reference-time arithmetic without 128-bit division (the hypervisor links no
 * libgcc): a 64x64 multiply from 32-bit halves, and a shift-subtract divide. */
#include "hyperv/reftime.h"

uint64_t reftime_mulhi(uint64_t a, uint64_t b)
{
    uint64_t a_lo = a & 0xFFFFFFFFu, a_hi = a >> 32;
    uint64_t b_lo = b & 0xFFFFFFFFu, b_hi = b >> 32;
    uint64_t lo_lo = a_lo * b_lo, hi_lo = a_hi * b_lo;
    uint64_t lo_hi = a_lo * b_hi, hi_hi = a_hi * b_hi;
    /* The middle column: each term < 2^64 - 2^33, so the sum cannot wrap. */
    uint64_t mid = (lo_lo >> 32) + (hi_lo & 0xFFFFFFFFu) + (lo_hi & 0xFFFFFFFFu);
    return hi_hi + (hi_lo >> 32) + (lo_hi >> 32) + (mid >> 32);
}

/* floor(r * 2^64 / d) for r < d: binary long division, one quotient bit per step. */
static uint64_t div_shl64(uint64_t r, uint64_t d)
{
    uint64_t q = 0;
    for (int i = 0; i < 64; i++) {
        uint64_t carry = r >> 63;
        r <<= 1;
        q <<= 1;
        if (carry || r >= d) {
            r -= d; /* modulo 2^64 this is right even when the shift carried out */
            q |= 1;
        }
    }
    return q;
}

uint64_t reftime_scale(uint64_t tsc_hz)
{
    if (tsc_hz <= HV_REFTIME_HZ)
        return 0;
    return div_shl64(HV_REFTIME_HZ, tsc_hz);
}

int64_t reftime_offset(uint64_t scale, uint64_t tsc_at_start)
{
    /* Two's complement of the start reading; the reader adds modulo 2^64. */
    return (int64_t)(0 - reftime_mulhi(tsc_at_start, scale));
}

uint64_t reftime_at(uint64_t tsc, uint64_t scale, int64_t offset)
{
    return reftime_mulhi(tsc, scale) + (uint64_t)offset;
}
