/* HV_X64_MSR_ICR decoding: what Linux's AP start-up and IPIs write, the
 * shorthands and the broadcast kept to the guest's CPUs, and what is
 * refused (reserved bits and modes, host vectors, logical INIT/SIPI). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "vm/icr.h"

static const uint8_t ids[4] = {0, 1, 2, 3};
static const uint8_t host[2] = {0xf5, 0xf2};

static uint64_t icr(uint32_t low, uint8_t dest)
{
    return (uint64_t)dest << 56 | low;
}

static struct icr_request ok(uint64_t value, uint32_t self, uint32_t n)
{
    struct icr_request r;
    const char *why = NULL;
    assert_int_equal(icr_decode(value, self, ids, n, host, 2, &r, &why), 0);
    assert_null(why);
    return r;
}

static void refused(uint64_t value)
{
    struct icr_request r;
    const char *why = NULL;
    assert_int_equal(icr_decode(value, 0, ids, 4, host, 2, &r, &why), -1);
    assert_non_null(why);
}

/* wakeup_secondary_cpu_via_init: INIT assert, INIT de-assert, STARTUP. */
static void test_linux_ap_start(void **state)
{
    (void)state;
    struct icr_request r = ok(icr(0xc500, 2), 0, 4); /* level, assert, INIT */
    assert_int_equal(r.kind, ICR_KIND_INIT);
    assert_int_equal(r.vps, 1u << 2);
    r = ok(icr(0x8500, 2), 0, 4);
    assert_int_equal(r.kind, ICR_KIND_INIT_DEASSERT);
    r = ok(icr(0x0600 | 0x9a, 3), 0, 4);
    assert_int_equal(r.kind, ICR_KIND_STARTUP);
    assert_int_equal(r.vector, 0x9a);
    assert_int_equal(r.vps, 1u << 3);
}

static void test_destinations(void **state)
{
    (void)state;
    assert_int_equal(ok(icr(0x40030, 0), 1, 4).vps, 1u << 1); /* self */
    assert_int_equal(ok(icr(0x80030, 0), 1, 4).vps, 0xfu);    /* all */
    assert_int_equal(ok(icr(0xc0030, 0), 1, 4).vps, 0xdu);    /* all but self */
    assert_int_equal(ok(icr(0x30, 0xff), 0, 2).vps, 0x3u);    /* broadcast: 2 VPs */
    assert_int_equal(ok(icr(0x30, 7), 0, 4).vps, 0u);         /* nobody */
    assert_int_equal(ok(icr(0x30, 3), 0, 3).vps, 0u);         /* not a VP */
    struct icr_request r = ok(icr(0x0830, 0x2), 0, 4);        /* logical */
    assert_true(r.logical);
    assert_int_equal(r.dest, 2);
    assert_int_equal(r.vps, 0u);
    r = ok(icr(0x0400, 1), 0, 4);
    assert_int_equal(r.kind, ICR_KIND_NMI);
    assert_int_equal(ok(icr(0x0130, 1), 0, 4).kind, ICR_KIND_FIXED); /* lowest priority */
}

static void test_refused(void **state)
{
    (void)state;
    refused(icr(0x1030, 1));            /* delivery status is read-only */
    refused(icr(0x30, 1) | 1ull << 32); /* reserved high bits */
    refused(icr(0x0230, 1));            /* SMI */
    refused(icr(0x0330, 1));            /* reserved mode */
    refused(icr(0x0730, 1));            /* ExtINT */
    refused(icr(0x000e, 1));            /* vector below 16 */
    refused(icr(0x00f5, 1));            /* the host's timer */
    refused(icr(0x0d00, 1));            /* logical INIT */
    refused(icr(0x0e9a, 1));            /* logical STARTUP */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_linux_ap_start),
        cmocka_unit_test(test_destinations),
        cmocka_unit_test(test_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
