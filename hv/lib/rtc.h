/* The CMOS real-time clock's registers turned into a date and Unix time:
 * hardware-free (hv/arch/x86/rtc.c reads the ports). */
#ifndef HV_LIB_RTC_H
#define HV_LIB_RTC_H

#include <stdint.h>

/* Status register B bits that say how the time registers are coded. */
#define RTC_B_24H    0x02u /* else 12-hour, bit 7 of the hour = PM */
#define RTC_B_BINARY 0x04u /* else BCD */

/* The registers as read: seconds (0x00), minutes (0x02), hours (0x04), day
 * of month (0x07), month (0x08), year (0x09), century (0x32 on PCs; 0 when
 * the machine has none), status B (0x0b). */
struct rtc_regs {
    uint8_t sec, min, hour, day, mon, year, century, status_b;
};

struct rtc_date {
    unsigned year, mon, day, hour, min, sec;
};

/* Decodes and range-checks the registers: 0 and *d, or -1 and *why. A
 * century register that does not hold 19-20 is ignored: years 00-69 are then
 * 20xx, 70-99 19xx. */
int rtc_decode(const struct rtc_regs *r, struct rtc_date *d, const char **why);
/* Seconds since 1970-01-01 00:00 UTC of a decoded date (taken as UTC). */
uint64_t rtc_unix_seconds(const struct rtc_date *d);

#endif
