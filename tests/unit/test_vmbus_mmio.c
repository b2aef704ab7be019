/* The high MMIO gap allocator: gap placement, natural alignment and its cap,
 * lowest fit, optional megabytes granted in full, in part or not at all,
 * exhaustion without side effects, freeing and coalescing, the exact log
 * lines, automatic sizing, and a randomized property test of thousands of
 * reserve/release sequences checked against a brute-force oracle. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "vmbus/kmcl.h"
#include "vmbus/mmio.h"

#include "fixture.h"

#define MiB         MMIO_MiB
#define GiB         MMIO_GiB
#define FAIL_STATUS ((int32_t)0xC000009A)

static struct mmio_window take(struct mmio_gap *g, const char *who, uint16_t req, uint16_t opt)
{
    struct mmio_window w;
    assert_true(mmio_reserve(g, who, req, opt, FAIL_STATUS, &w));
    return w;
}

static void gap_base_rounds_up(void **state)
{
    (void)state;
    assert_int_equal(mmio_gap_base(0), 4 * GiB);
    assert_int_equal(mmio_gap_base(1 * GiB), 4 * GiB);
    assert_int_equal(mmio_gap_base(4 * GiB), 4 * GiB);
    assert_int_equal(mmio_gap_base(4 * GiB + 1), 5 * GiB);
    assert_int_equal(mmio_gap_base(6 * GiB + 512 * MiB), 7 * GiB);
    assert_int_equal(mmio_gap_base(64 * GiB), 64 * GiB);
}

static void lowest_fit_and_alignment(void **state)
{
    (void)state;
    struct mmio_gap g;
    mmio_gap_init(&g, 4 * GiB, 256 * MiB);
    log_reset();
    struct mmio_window a = take(&g, "a", 3, 0); /* aligned to 2 MiB */
    assert_int_equal(a.base, 4 * GiB);
    assert_int_equal(a.required, 3 * MiB);
    assert_int_equal(a.optional, 0);
    struct mmio_window b = take(&g, "b", 8, 0); /* 8 MiB aligned: skips 3..8 */
    assert_int_equal(b.base, 4 * GiB + 8 * MiB);
    struct mmio_window c = take(&g, "c", 1, 0); /* the hole is the lowest fit */
    assert_int_equal(c.base, 4 * GiB + 3 * MiB);
    struct mmio_window d = take(&g, "d", 2, 0); /* 2 MiB aligned: 4..6 */
    assert_int_equal(d.base, 4 * GiB + 4 * MiB);
    struct mmio_window e = take(&g, "e", 24, 0); /* 16 MiB aligned */
    assert_int_equal(e.base, 4 * GiB + 16 * MiB);
    assert_int_equal(g.count, 5);
    for (unsigned i = 1; i < g.count; i++)
        assert_true(g.win[i - 1].base < g.win[i].base);
    assert_string_equal(logbuf,
                        "hv: mmio: a required=3MiB optional=0MiB granted=0MiB at 0x100000000\n"
                        "hv: mmio: b required=8MiB optional=0MiB granted=0MiB at 0x100800000\n"
                        "hv: mmio: c required=1MiB optional=0MiB granted=0MiB at 0x100300000\n"
                        "hv: mmio: d required=2MiB optional=0MiB granted=0MiB at 0x100400000\n"
                        "hv: mmio: e required=24MiB optional=0MiB granted=0MiB at 0x101000000\n");
}

static void alignment_capped_at_1g(void **state)
{
    (void)state;
    struct mmio_gap g;
    mmio_gap_init(&g, 4 * GiB, 8192 * MiB);
    take(&g, "small", 1, 0);
    struct mmio_window big = take(&g, "big", 3072, 0); /* 3 GiB: aligned to 1 GiB, not 2 */
    assert_int_equal(big.base, 5 * GiB);
    struct mmio_window huge = take(&g, "huge", 2048, 0);
    assert_int_equal(huge.base, 8 * GiB);
}

static void optional_full_partial_zero(void **state)
{
    (void)state;
    struct mmio_gap g;
    mmio_gap_init(&g, 4 * GiB, 64 * MiB);
    struct mmio_window x = take(&g, "x", 16, 0);
    struct mmio_window y = take(&g, "y", 16, 0);
    assert_int_equal(y.base, 4 * GiB + 16 * MiB);
    mmio_release(&g, "x", &x);
    log_reset();
    /* 8 required at 0, only 8 of the 16 optional before y */
    struct mmio_window z = take(&g, "z", 8, 16);
    assert_int_equal(z.base, 4 * GiB);
    assert_int_equal(z.optional, 8 * MiB);
    assert_string_equal(logbuf,
                        "hv: mmio: z required=8MiB optional=16MiB granted=8MiB at 0x100000000\n");
    struct mmio_window w = take(&g, "w", 1, 4); /* after y: all of it */
    assert_int_equal(w.base, 4 * GiB + 32 * MiB);
    assert_int_equal(w.optional, 4 * MiB);
    struct mmio_window v = take(&g, "v", 16, 100); /* 16 aligned at 48: nothing after it */
    assert_int_equal(v.base, 4 * GiB + 48 * MiB);
    assert_int_equal(v.optional, 0);
    /* optional only: the lowest free MiB (37..48), what fits of it */
    struct mmio_window o = take(&g, "o", 0, 20);
    assert_int_equal(o.base, 4 * GiB + 37 * MiB);
    assert_int_equal(o.required, 0);
    assert_int_equal(o.optional, 11 * MiB);
    /* optional only with nothing free: an empty grant, and releasing it is a no-op */
    log_reset();
    struct mmio_window none = take(&g, "none", 0, 1);
    assert_int_equal(none.base, 0);
    assert_int_equal(none.optional, 0);
    assert_string_equal(logbuf, "hv: mmio: none required=0MiB optional=1MiB granted=0MiB at 0x0\n");
    unsigned count = g.count;
    mmio_release(&g, "none", &none);
    assert_int_equal(g.count, count);
}

static void exhaustion_changes_nothing(void **state)
{
    (void)state;
    struct mmio_gap g;
    mmio_gap_init(&g, 4 * GiB, 64 * MiB);
    take(&g, "a", 33, 0); /* 32 aligned: 0..33 */
    struct mmio_gap before = g;
    log_reset();
    struct mmio_window w = {1, 2, 3};
    /* 31 MiB are free in one piece (33..64) but a 16 MiB window must start at 48 */
    assert_false(mmio_reserve(&g, "late", 17, 4, FAIL_STATUS, &w));
    assert_memory_equal(&g, &before, sizeof(g));
    assert_string_equal(logbuf,
                        "hv: mmio: late required=17MiB optional=4MiB failed: no free 17MiB window "
                        "aligned to 16MiB in the 64MiB gap (largest free extent 31MiB) "
                        "status=0xc000009a\n");
    assert_int_equal(mmio_largest_free(&g), 31 * MiB);
    assert_false(mmio_reserve(&g, "huge", 65, 0, FAIL_STATUS, &w));
    /* a zero-sized gap (never configured) fits nothing */
    struct mmio_gap empty;
    mmio_gap_init(&empty, 4 * GiB, 0);
    assert_false(mmio_reserve(&empty, "any", 1, 0, FAIL_STATUS, &w));
    assert_true(mmio_reserve(&empty, "opt", 0, 1, FAIL_STATUS, &w));
    assert_int_equal(w.optional, 0);
}

static void release_coalesces(void **state)
{
    (void)state;
    struct mmio_gap g;
    mmio_gap_init(&g, 4 * GiB, 64 * MiB);
    struct mmio_window w[4];
    for (unsigned i = 0; i < 4; i++)
        w[i] = take(&g, "q", 16, 0);
    struct mmio_window none;
    assert_false(mmio_reserve(&g, "big", 32, 0, FAIL_STATUS, &none));
    log_reset();
    mmio_release(&g, "q2", &w[2]);
    mmio_release(&g, "q3", &w[3]);
    assert_string_equal(logbuf, "hv: mmio: q2 released 16MiB at 0x102000000\n"
                                "hv: mmio: q3 released 16MiB at 0x103000000\n");
    assert_int_equal(mmio_largest_free(&g), 32 * MiB);
    struct mmio_window big = take(&g, "big", 32, 0);
    assert_int_equal(big.base, 4 * GiB + 32 * MiB);
    mmio_release(&g, "big", &big);
    mmio_release(&g, "q0", &w[0]);
    mmio_release(&g, "q1", &w[1]);
    assert_int_equal(g.count, 0);
    assert_int_equal(mmio_largest_free(&g), 64 * MiB);
    assert_int_equal(take(&g, "all", 64, 0).base, 4 * GiB);
}

static void auto_size(void **state)
{
    (void)state;
    assert_int_equal(mmio_auto_size_mb(NULL, 0), 64);
    struct mmio_request one[] = {{100, 0}};
    assert_int_equal(mmio_auto_size_mb(one, 1), 128);
    struct mmio_request exact[] = {{48, 16}};
    assert_int_equal(mmio_auto_size_mb(exact, 1), 64);
    struct mmio_request sum65[] = {{33, 0}, {32, 0}};
    assert_int_equal(mmio_auto_size_mb(sum65, 2), 128);
    /* sum 64, but 33 MiB aligned to 32 would end at 65: doubled */
    struct mmio_request padded[] = {{1, 0}, {33, 0}, {30, 0}};
    assert_int_equal(mmio_auto_size_mb(padded, 3), 128);
    /* the last optional grant cut by the gap end: doubled */
    struct mmio_request cut[] = {{1, 0}, {32, 31}};
    assert_int_equal(mmio_auto_size_mb(cut, 2), 128);
    /* cut by a neighbour in a padding hole: the policy, not the size (no loop) */
    struct mmio_request hole[] = {{1, 0}, {4, 0}, {2, 1}};
    assert_int_equal(mmio_auto_size_mb(hole, 3), 64);
    struct mmio_request big[] = {{65535, 65535}, {65535, 65535}};
    assert_int_equal(mmio_auto_size_mb(big, 2), 262144);
    /* whatever the sizing says, enabling in that order grants every required window */
    struct mmio_gap g;
    mmio_gap_init(&g, 4 * GiB, (uint64_t)mmio_auto_size_mb(padded, 3) * MiB);
    for (unsigned i = 0; i < 3; i++)
        take(&g, "p", padded[i].required_mb, padded[i].optional_mb);
}

/* --- the property test ----------------------------------------------------------- */

static uint64_t rng;
static uint32_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 11);
}

static uint64_t oracle_align(uint64_t req)
{
    uint64_t a = MiB;
    if (!req)
        return MiB;
    while (a * 2 <= req && a < GiB)
        a *= 2;
    return a;
}

/* Whether [at, at + len) is free and inside the gap (brute force over all windows). */
static int free_at(const struct mmio_gap *g, uint64_t at, uint64_t len)
{
    if (at < g->base || at + len > g->base + g->size)
        return 0;
    for (unsigned i = 0; i < g->count; i++) {
        uint64_t b = g->win[i].base, e = b + g->win[i].required + g->win[i].optional;
        if (at < e && b < at + len)
            return 0;
        if (!len && at >= b && at < e)
            return 0;
    }
    return 1;
}

static void check_layout(const struct mmio_gap *g)
{
    uint64_t prev_end = g->base;
    for (unsigned i = 0; i < g->count; i++) {
        const struct mmio_window *w = &g->win[i];
        assert_true(w->required + w->optional > 0);
        assert_true(w->base >= prev_end); /* sorted, no overlap */
        assert_int_equal(w->base % MiB, 0);
        assert_int_equal(w->base % oracle_align(w->required), 0);
        prev_end = w->base + w->required + w->optional;
        assert_true(prev_end <= g->base + g->size);
    }
}

struct op {
    int reserve; /* else release */
    unsigned pick;
    uint16_t req, opt;
};

/* Runs ops on a fresh gap, checking every decision; returns a digest of all
 * placements so a replay can be compared. */
static uint64_t run(const struct op *ops, unsigned n, uint64_t size_mb)
{
    struct mmio_gap g;
    struct mmio_window live[MMIO_MAX_WINDOWS];
    unsigned nlive = 0;
    uint64_t digest = 1469598103934665603ull;
    mmio_gap_init(&g, 8 * GiB, size_mb * MiB);
    for (unsigned k = 0; k < n; k++) {
        const struct op *o = &ops[k];
        if (o->reserve && nlive < MMIO_MAX_WINDOWS) {
            struct mmio_gap before = g;
            struct mmio_window w;
            uint64_t req = o->req * MiB, opt = o->opt * MiB, al = oracle_align(req);
            bool ok = mmio_reserve(&g, "p", o->req, o->opt, FAIL_STATUS, &w);
            /* the lowest aligned address where the required part fits, by brute force */
            uint64_t lowest = UINT64_MAX;
            for (uint64_t at = before.base; at < before.base + before.size; at += al) {
                if (free_at(&before, at, req) && (req || free_at(&before, at, MiB))) {
                    lowest = at;
                    break;
                }
            }
            if (!ok) {
                assert_true(req > 0);
                assert_int_equal(lowest, UINT64_MAX);
                assert_memory_equal(&g, &before, sizeof(g));
            } else if (lowest == UINT64_MAX) {
                assert_int_equal(req, 0); /* optional only, nothing free */
                assert_int_equal(w.optional, 0);
                assert_int_equal(g.count, before.count);
            } else {
                assert_int_equal(w.base, lowest);
                assert_int_equal(w.required, req);
                assert_true(w.optional <= opt);
                /* the grant is maximal: all of it, or up to a neighbour / the end */
                uint64_t end = w.base + req + w.optional;
                if (w.optional < opt)
                    assert_false(free_at(&before, end, MiB));
                assert_true(free_at(&before, w.base, req + w.optional));
                live[nlive++] = w;
            }
            digest = (digest ^ (ok ? w.base + w.optional : 7)) * 1099511628211ull;
        } else if (nlive) {
            unsigned i = o->pick % nlive;
            mmio_release(&g, "p", &live[i]);
            live[i] = live[--nlive];
        }
        check_layout(&g);
        unsigned stored = 0;
        for (unsigned i = 0; i < nlive; i++)
            stored += live[i].required + live[i].optional > 0;
        assert_int_equal(g.count, stored);
    }
    while (nlive) /* everything back: one free extent, the whole gap */
        mmio_release(&g, "p", &live[--nlive]);
    assert_int_equal(g.count, 0);
    assert_int_equal(mmio_largest_free(&g), g.size);
    return digest;
}

static void randomized_property(void **state)
{
    (void)state;
    enum { STEPS = 3000 };
    static struct op ops[STEPS];
    static const uint64_t sizes[] = {64, 100, 256, 1024};
    rng = 0x9E3779B97F4A7C15ull;
    for (unsigned round = 0; round < 16; round++) {
        for (unsigned k = 0; k < STEPS; k++) {
            uint32_t r = next();
            ops[k].reserve = r % 100 < 55;
            ops[k].pick = next();
            /* mostly small, sometimes large, sometimes optional only */
            uint32_t kind = next() % 10;
            ops[k].req = (uint16_t)(kind < 6 ? next() % 9 : kind < 9 ? next() % 70 : 0);
            ops[k].opt = (uint16_t)(kind == 9 || next() % 3 == 0 ? 1 + next() % 40 : 0);
        }
        uint64_t size = sizes[round % 4];
        log_reset();
        uint64_t first = run(ops, STEPS, size);
        log_reset();
        assert_int_equal(run(ops, STEPS, size), first); /* deterministic */
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(gap_base_rounds_up),
        cmocka_unit_test(lowest_fit_and_alignment),
        cmocka_unit_test(alignment_capped_at_1g),
        cmocka_unit_test(optional_full_partial_zero),
        cmocka_unit_test(exhaustion_changes_nothing),
        cmocka_unit_test(release_coalesces),
        cmocka_unit_test(auto_size),
        cmocka_unit_test(randomized_property),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
