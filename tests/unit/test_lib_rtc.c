/* RTC register decoding (hv/lib/rtc.c): BCD and binary, 24- and 12-hour
 * clocks, the century register and the window without it, leap years,
 * Unix time at known instants, and every kind of bad register value. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "lib/rtc.h"

#define BCD_24H    RTC_B_24H
#define BINARY_24H (RTC_B_24H | RTC_B_BINARY)

static uint64_t unix_of(struct rtc_regs r)
{
    struct rtc_date d;
    const char *why = NULL;
    if (rtc_decode(&r, &d, &why))
        fail_msg("rejected: %s", why);
    return rtc_unix_seconds(&d);
}

static void expect_bad(struct rtc_regs r, const char *needle)
{
    struct rtc_date d;
    const char *why = NULL;
    assert_int_equal(rtc_decode(&r, &d, &why), -1);
    assert_non_null(why);
    if (!strstr(why, needle))
        fail_msg("reason '%s' lacks '%s'", why, needle);
}

static void bcd_and_binary(void **state)
{
    (void)state;
    /* 2026-11-25 16:22:33 UTC, as the e2e run's host read it */
    struct rtc_regs bcd = {0x33, 0x22, 0x16, 0x25, 0x11, 0x26, 0x20, BCD_24H};
    struct rtc_regs bin = {33, 22, 16, 25, 11, 26, 20, BINARY_24H};
    assert_int_equal(unix_of(bcd), 1795623753ull);
    assert_int_equal(unix_of(bin), 1795623753ull);
    struct rtc_date d;
    const char *why;
    assert_int_equal(rtc_decode(&bcd, &d, &why), 0);
    assert_int_equal(d.year, 2026);
    assert_int_equal(d.mon, 11);
    assert_int_equal(d.day, 25);
    assert_int_equal(d.hour, 16);
    assert_int_equal(d.min, 22);
    assert_int_equal(d.sec, 33);
}

static void known_instants(void **state)
{
    (void)state;
    assert_int_equal(unix_of((struct rtc_regs){0, 0, 0, 1, 1, 0x70, 0x19, BCD_24H}), 0);
    assert_int_equal(unix_of((struct rtc_regs){0x59, 0x59, 0x23, 0x31, 0x12, 0x99, 0x19, BCD_24H}),
                     946684799ull);
    assert_int_equal(unix_of((struct rtc_regs){0, 0, 0, 1, 1, 0, 0x20, BCD_24H}), 946684800ull);
    assert_int_equal(unix_of((struct rtc_regs){8, 14, 3, 19, 1, 38, 20, BINARY_24H}),
                     2147483648ull); /* past 32-bit signed time */
    assert_int_equal(unix_of((struct rtc_regs){59, 59, 23, 31, 12, 99, 20, BINARY_24H}),
                     4102444799ull);
}

static void twelve_hour_clock(void **state)
{
    (void)state;
    struct rtc_regs r = {0, 0, 0x12, 1, 1, 0x00, 0x20, 0}; /* 12 AM */
    assert_int_equal(unix_of(r), 946684800ull);
    r.hour = 0x92; /* 12 PM */
    assert_int_equal(unix_of(r), 946684800ull + 12 * 3600);
    r.hour = 0x81; /* 1 PM */
    assert_int_equal(unix_of(r), 946684800ull + 13 * 3600);
    r.hour = 0x11; /* 11 AM */
    assert_int_equal(unix_of(r), 946684800ull + 11 * 3600);
    r = (struct rtc_regs){0, 0, 0x80 | 5, 1, 1, 0, 20, RTC_B_BINARY}; /* binary 5 PM */
    assert_int_equal(unix_of(r), 946684800ull + 17 * 3600);
}

static void century_register(void **state)
{
    (void)state;
    /* absent or garbage: years 00-69 are 20xx, 70-99 19xx */
    assert_int_equal(unix_of((struct rtc_regs){0, 0, 0, 1, 1, 0x26, 0x00, BCD_24H}),
                     unix_of((struct rtc_regs){0, 0, 0, 1, 1, 0x26, 0x20, BCD_24H}));
    assert_int_equal(unix_of((struct rtc_regs){0, 0, 0, 1, 1, 0x99, 0xff, BCD_24H}),
                     unix_of((struct rtc_regs){0, 0, 0, 1, 1, 0x99, 0x19, BCD_24H}));
    assert_int_equal(unix_of((struct rtc_regs){0, 0, 0, 1, 1, 0x70, 0x21, BCD_24H}), 0);
    /* a century that puts the date before 1970 */
    expect_bad((struct rtc_regs){0, 0, 0, 1, 1, 0x69, 0x19, BCD_24H}, "before 1970");
}

static void leap_years(void **state)
{
    (void)state;
    assert_int_equal(unix_of((struct rtc_regs){0, 0, 0x12, 0x29, 0x02, 0x24, 0x20, BCD_24H}),
                     1709208000ull);
    assert_int_equal(unix_of((struct rtc_regs){0, 0, 0, 0x29, 0x02, 0x00, 0x20, BCD_24H}),
                     951782400ull); /* 2000 is a leap year */
    expect_bad((struct rtc_regs){0, 0, 0, 0x29, 0x02, 0x23, 0x20, BCD_24H}, "date");
    expect_bad((struct rtc_regs){0, 0, 0, 0x31, 0x04, 0x23, 0x20, BCD_24H}, "date");
}

static void bad_values(void **state)
{
    (void)state;
    const struct rtc_regs ok = {0x33, 0x22, 0x16, 0x25, 0x11, 0x26, 0x20, BCD_24H};
    struct rtc_regs r;
#define BAD(field, value, needle)                                                                  \
    do {                                                                                           \
        r = ok;                                                                                    \
        r.field = (value);                                                                         \
        expect_bad(r, needle);                                                                     \
    } while (0)
    BAD(sec, 0x1a, "BCD");
    BAD(min, 0xa0, "BCD");
    BAD(year, 0xff, "BCD");
    BAD(sec, 0x60, "seconds");
    BAD(min, 0x60, "minutes");
    BAD(hour, 0x24, "hour");
    BAD(mon, 0x00, "date");
    BAD(mon, 0x13, "date");
    BAD(day, 0x00, "date");
    BAD(day, 0x32, "date");
    BAD(status_b, 0, "hour"); /* 12-hour clock: hour 16 does not exist */
    r = ok;
    r.status_b = 0;
    r.hour = 0x00; /* no hour 0 on a 12-hour clock */
    expect_bad(r, "hour");
    r.hour = 0x93; /* 13 PM */
    expect_bad(r, "hour");
    r = (struct rtc_regs){0, 0, 0, 1, 1, 100, 20, BINARY_24H};
    expect_bad(r, "year");
    r = (struct rtc_regs){0, 0, 24, 1, 1, 26, 20, BINARY_24H};
    expect_bad(r, "hour");
#undef BAD
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(bcd_and_binary),    cmocka_unit_test(known_instants),
        cmocka_unit_test(twelve_hour_clock), cmocka_unit_test(century_register),
        cmocka_unit_test(leap_years),        cmocka_unit_test(bad_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
