/* Hyper-V reference time: 100 ns units since partition start, derived from the
 * TSC. The TIME_REF_COUNT MSR and the reference TSC page use the same formula,
 * ((tsc * scale) >> 64) + offset, so the guest's two clocksources agree exactly. */
#ifndef HV_HYPERV_REFTIME_H
#define HV_HYPERV_REFTIME_H

#include <stdint.h>

#define HV_REFTIME_HZ 10000000ull /* 100 ns units */

/* floor(a * b / 2^64), exact. */
uint64_t reftime_mulhi(uint64_t a, uint64_t b);
/* floor(2^64 * 10^7 / tsc_hz); 0 when tsc_hz <= 10 MHz (the scale would not fit). */
uint64_t reftime_scale(uint64_t tsc_hz);
/* The page offset that makes the formula read 0 at tsc_at_start. */
int64_t reftime_offset(uint64_t scale, uint64_t tsc_at_start);
/* ((tsc * scale) >> 64) + offset, with the page reader's modulo-2^64 sum. */
uint64_t reftime_at(uint64_t tsc, uint64_t scale, int64_t offset);

#endif
