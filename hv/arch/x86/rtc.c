/* The CMOS real-time clock, read once at start-up for the host's wall clock.
 * Only before the guest runs: its ports are passed through, and the guest's
 * own index writes would race ours afterwards. */
#include "arch/x86/arch.h"
#include "arch/x86/cpu.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/rtc.h"

#define CMOS_INDEX  0x70
#define CMOS_DATA   0x71
#define RTC_SEC     0x00
#define RTC_MIN     0x02
#define RTC_HOUR    0x04
#define RTC_DAY     0x07
#define RTC_MON     0x08
#define RTC_YEAR    0x09
#define RTC_A       0x0a
#define RTC_A_UIP   0x80 /* an update is due within 244 us: the registers may change */
#define RTC_B       0x0b
#define RTC_CENTURY 0x32 /* the PC convention, QEMU's too; rtc_decode checks its value */
/* One update cycle is at most ~2 ms; each port access takes ~1 us or more. */
#define UIP_SPINS  100000u
#define READ_TRIES 5u

/* Index bit 7 stays clear: NMIs stay enabled, as Linux leaves them. */
static uint8_t cmos(uint8_t reg)
{
    outb(CMOS_INDEX, reg);
    return inb(CMOS_DATA);
}

static bool read_regs(struct rtc_regs *r)
{
    unsigned spins = 0;
    while (cmos(RTC_A) & RTC_A_UIP) {
        if (++spins == UIP_SPINS)
            return false;
    }
    r->sec = cmos(RTC_SEC);
    r->min = cmos(RTC_MIN);
    r->hour = cmos(RTC_HOUR);
    r->day = cmos(RTC_DAY);
    r->mon = cmos(RTC_MON);
    r->year = cmos(RTC_YEAR);
    r->century = cmos(RTC_CENTURY);
    r->status_b = cmos(RTC_B);
    return true;
}

uint64_t rtc_read_unix(void)
{
    struct rtc_regs a, b;
    struct rtc_date d;
    const char *why = "the registers changed between every two reads";
    for (unsigned t = 0; t < READ_TRIES; t++) {
        if (!read_regs(&a) || !read_regs(&b)) {
            why = "the update-in-progress flag never cleared";
            break;
        }
        if (memcmp(&a, &b, sizeof(a)))
            continue; /* an update came between the two reads */
        if (rtc_decode(&a, &d, &why))
            break;
        uint64_t t_unix = rtc_unix_seconds(&d);
        hv_log("rtc", "%04u-%02u-%02u %02u:%02u:%02u UTC (unix %llu)", d.year, d.mon, d.day, d.hour,
               d.min, d.sec, (unsigned long long)t_unix);
        return t_unix;
    }
    hv_log("rtc", "unreadable: %s; the host has no wall clock", why);
    return 0;
}
