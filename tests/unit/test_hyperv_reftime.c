/* Reference-time arithmetic against an exact 128-bit reference: the scale of
 * the TSC page, the 64x64 high product, and the time the guest computes over
 * years of uptime at real TSC frequencies. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "hyperv/reftime.h"

typedef unsigned __int128 u128;

static const uint64_t freqs[] = {1000000000ull, 2445000000ull, 3700000000ull, 2500000000ull,
                                 10000001ull,   4999999999ull, 2630123457ull};

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static void mulhi_exact(void **state)
{
    (void)state;
    const uint64_t edge[] = {0,
                             1,
                             2,
                             0xFFFFFFFFull,
                             0x100000000ull,
                             ~0ull,
                             ~0ull - 1,
                             0x8000000000000000ull,
                             0x010624DD2F1A9FBEull};
    for (unsigned i = 0; i < sizeof(edge) / sizeof(edge[0]); i++)
        for (unsigned j = 0; j < sizeof(edge) / sizeof(edge[0]); j++)
            assert_true(reftime_mulhi(edge[i], edge[j]) ==
                        (uint64_t)(((u128)edge[i] * edge[j]) >> 64));
    for (int i = 0; i < 100000; i++) {
        uint64_t a = rnd(), b = rnd() >> (rnd() & 63);
        assert_true(reftime_mulhi(a, b) == (uint64_t)(((u128)a * b) >> 64));
    }
}

static void scale_matches_reference(void **state)
{
    (void)state;
    /* The contract's worked example. */
    assert_true(reftime_scale(2500000000ull) == 0x010624DD2F1A9FBEull);
    for (unsigned i = 0; i < sizeof(freqs) / sizeof(freqs[0]); i++) {
        uint64_t ref = (uint64_t)(((u128)10000000u << 64) / freqs[i]);
        assert_true(reftime_scale(freqs[i]) == ref);
    }
    for (int i = 0; i < 20000; i++) {
        uint64_t hz = 10000001ull + rnd() % 100000000000ull;
        assert_true(reftime_scale(hz) == (uint64_t)(((u128)10000000u << 64) / hz));
    }
    assert_true(reftime_scale(~0ull) == (uint64_t)(((u128)10000000u << 64) / ~0ull));
}

static void slow_clocks_have_no_scale(void **state)
{
    (void)state;
    assert_true(reftime_scale(0) == 0);
    assert_true(reftime_scale(1) == 0);
    assert_true(reftime_scale(10000000ull) == 0); /* the scale would be 2^64 */
    assert_true(reftime_scale(10000001ull) != 0);
}

/* Exact (tsc - start) * 10^7 / hz. */
static uint64_t reference(uint64_t tsc, uint64_t start, uint64_t hz)
{
    return (uint64_t)((u128)(tsc - start) * 10000000u / hz);
}

static void time_within_one_tick_of_reference(void **state)
{
    (void)state;
    for (unsigned i = 0; i < sizeof(freqs) / sizeof(freqs[0]); i++) {
        uint64_t hz = freqs[i], scale = reftime_scale(hz);
        const uint64_t starts[] = {0, 12345, hz * 3, 0x7FFFFFFFFFFFull, rnd() >> 2};
        for (unsigned s = 0; s < sizeof(starts) / sizeof(starts[0]); s++) {
            uint64_t start = starts[s];
            int64_t off = reftime_offset(scale, start);
            assert_true(reftime_at(start, scale, off) == 0);
            /* one second, one day, ten years, and whatever is left before 2^64 */
            const uint64_t spans[] = {1, hz, hz * 86400, hz * 86400 * 3653, ~0ull - start};
            for (unsigned k = 0; k < sizeof(spans) / sizeof(spans[0]); k++) {
                uint64_t tsc = start + spans[k];
                uint64_t got = reftime_at(tsc, scale, off), want = reference(tsc, start, hz);
                /* two floors of an under-estimated scale: at most 2 units (200 ns) off */
                assert_true(got <= want + 2 && got + 2 >= want);
            }
            for (int r = 0; r < 2000; r++) {
                uint64_t tsc = start + (rnd() % (~0ull - start));
                uint64_t got = reftime_at(tsc, scale, off), want = reference(tsc, start, hz);
                assert_true(got <= want + 2 && got + 2 >= want);
            }
        }
    }
}

static void ten_years_do_not_overflow(void **state)
{
    (void)state;
    uint64_t hz = 3700000000ull, scale = reftime_scale(hz);
    uint64_t ten_years = 86400ull * 3653;
    uint64_t t = reftime_at(hz * ten_years, scale, reftime_offset(scale, 0));
    assert_true(t >= ten_years * 10000000ull - 2 && t <= ten_years * 10000000ull);
}

static void monotonic(void **state)
{
    (void)state;
    for (unsigned i = 0; i < sizeof(freqs) / sizeof(freqs[0]); i++) {
        uint64_t scale = reftime_scale(freqs[i]);
        int64_t off = reftime_offset(scale, 1000);
        uint64_t tsc = 1000, last = 0;
        for (int k = 0; k < 100000; k++) {
            tsc += rnd() % 5000;
            uint64_t t = reftime_at(tsc, scale, off);
            assert_true(t >= last);
            last = t;
        }
        /* and across the top of the counter range */
        last = reftime_at(~0ull - 100000, scale, off);
        for (uint64_t x = ~0ull - 99999; x != 0; x++) {
            uint64_t t = reftime_at(x, scale, off);
            assert_true(t >= last);
            last = t;
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(mulhi_exact),
        cmocka_unit_test(scale_matches_reference),
        cmocka_unit_test(slow_clocks_have_no_scale),
        cmocka_unit_test(time_within_one_tick_of_reference),
        cmocka_unit_test(ten_years_do_not_overflow),
        cmocka_unit_test(monotonic),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
