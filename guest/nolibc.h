/* What the guest's static programs (fbpattern.c, diskbench.c) need instead
 * of a C library: Linux system calls, text out, numbers in and out, the
 * monotonic clock, and _start. Built with -nostdlib -ffreestanding
 * (mkinitramfs.sh); each program defines start(argc, argv). */
#ifndef GUEST_NOLIBC_H
#define GUEST_NOLIBC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SYS_read          0
#define SYS_write         1
#define SYS_open          2
#define SYS_close         3
#define SYS_mmap          9
#define SYS_ioctl         16
#define SYS_pread64       17
#define SYS_pwrite64      18
#define SYS_fdatasync     75
#define SYS_clock_gettime 228
#define SYS_exit_group    231
#define CLOCK_MONOTONIC   1

static inline long sys(long n, long a, long b, long c, long d, long e, long f)
{
    long r;
    register long r10 __asm__("r10") = d, r8 __asm__("r8") = e, r9 __asm__("r9") = f;
    __asm__ volatile("syscall"
                     : "=a"(r)
                     : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                     : "rcx", "r11", "memory");
    return r;
}

static inline size_t len(const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

static inline void say(const char *s)
{
    sys(SYS_write, 1, (long)s, (long)len(s), 0, 0, 0);
}

static inline void __attribute__((noreturn)) quit(const char *why, int status)
{
    say(why);
    sys(SYS_exit_group, status, 0, 0, 0, 0, 0);
    __builtin_unreachable();
}

/* s as a decimal number, dflt when s is NULL or empty, usage (and exit 2)
 * when it is not a number. */
static inline unsigned number(const char *s, unsigned dflt, const char *usage)
{
    unsigned v = 0;
    if (!s || !*s)
        return dflt;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            quit(usage, 2);
        v = v * 10 + (unsigned)(*s - '0');
    }
    return v;
}

/* Appends v in decimal, or s, at p; returns the end. */
static inline char *put(char *p, uint64_t v)
{
    char d[24];
    int n = 0;
    do
        d[n++] = (char)('0' + v % 10);
    while (v /= 10);
    while (n)
        *p++ = d[--n];
    return p;
}

static inline char *puts_(char *p, const char *s)
{
    while (*s)
        *p++ = *s++;
    return p;
}

static inline uint64_t now_us(void)
{
    long ts[2];
    sys(SYS_clock_gettime, CLOCK_MONOTONIC, (long)ts, 0, 0, 0, 0);
    return (uint64_t)ts[0] * 1000000 + (uint64_t)ts[1] / 1000;
}

static inline bool same(const char *a, const char *b)
{
    while (*a && *a == *b)
        a++, b++;
    return *a == *b;
}

void start(long argc, char **argv);
__asm__(".globl _start\n_start:\n mov (%rsp), %rdi\n lea 8(%rsp), %rsi\n and $-16, %rsp\n"
        " call start\n hlt\n");

#endif
