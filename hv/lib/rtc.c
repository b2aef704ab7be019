/* RTC register decoding. The clock may count in BCD or binary and in 12- or
 * 24-hour form (status B says which); every field is checked, so a clock
 * caught mid-update or never set gives an error, not a wrong time. */
#include "lib/rtc.h"

#include <stdbool.h>

static bool bcd(uint8_t v, unsigned *out)
{
    if ((v & 0x0f) > 9 || (v >> 4) > 9)
        return false;
    *out = (v >> 4) * 10u + (v & 0x0fu);
    return true;
}

static bool field(uint8_t v, bool binary, unsigned *out)
{
    if (binary) {
        *out = v;
        return true;
    }
    return bcd(v, out);
}

static bool leap(unsigned y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned month_days(unsigned y, unsigned m)
{
    static const unsigned char days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && leap(y) ? 29 : days[m - 1];
}

int rtc_decode(const struct rtc_regs *r, struct rtc_date *d, const char **why)
{
    bool binary = r->status_b & RTC_B_BINARY;
    bool h24 = r->status_b & RTC_B_24H;
    unsigned yy, century, hour;
    bool pm = !h24 && (r->hour & 0x80);
    if (!field(r->sec, binary, &d->sec) || !field(r->min, binary, &d->min) ||
        !field(pm ? r->hour & 0x7f : r->hour, binary, &hour) || !field(r->day, binary, &d->day) ||
        !field(r->mon, binary, &d->mon) || !field(r->year, binary, &yy)) {
        *why = "a register is not valid BCD";
        return -1;
    }
    if (d->sec > 59 || d->min > 59) {
        *why = "minutes or seconds out of range";
        return -1;
    }
    if (h24 ? hour > 23 : (hour < 1 || hour > 12)) {
        *why = "hour out of range";
        return -1;
    }
    d->hour = h24 ? hour : hour % 12 + (pm ? 12 : 0); /* 12 AM is 0, 12 PM is 12 */
    if (yy > 99) {
        *why = "year out of range";
        return -1;
    }
    if (field(r->century, binary, &century) && (century == 19 || century == 20))
        d->year = century * 100 + yy;
    else
        d->year = yy < 70 ? 2000 + yy : 1900 + yy;
    if (d->year < 1970) {
        *why = "year before 1970";
        return -1;
    }
    if (d->mon < 1 || d->mon > 12 || d->day < 1 || d->day > month_days(d->year, d->mon)) {
        *why = "date out of range";
        return -1;
    }
    return 0;
}

uint64_t rtc_unix_seconds(const struct rtc_date *d)
{
    uint64_t days = 0;
    for (unsigned y = 1970; y < d->year; y++)
        days += leap(y) ? 366 : 365;
    for (unsigned m = 1; m < d->mon; m++)
        days += month_days(d->year, m);
    days += d->day - 1;
    return ((days * 24 + d->hour) * 60 + d->min) * 60 + d->sec;
}
