/* fbpattern [FIRST_ROW [ROWS]] - draws a known pattern into /dev/fb0 for the
 * video e2e, which compares QEMU's screendump with it: ROWS rows (default
 * 256) from FIRST_ROW (default 400), the left half of each pure red, the
 * right half pure blue (32 bits per pixel).
 * fbpattern --frames SECONDS - make bench: redraws the whole screen in a new
 * grey level as fast as it can for SECONDS, then prints "fbpattern: frames=N
 * ms=M". It writes through mmap, as
 * programs that draw do: hyperv_fb's deferred I/O sees the touched pages,
 * copies them to its VRAM and tells the host (DIRT); a write() to /dev/fb0
 * only reaches the driver's shadow buffer. Prints "fbpattern: drawn rows
 * A-B width W". Built static, without a C library (mkinitramfs.sh). */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SYS_write         1
#define SYS_open          2
#define SYS_mmap          9
#define SYS_ioctl         16
#define SYS_clock_gettime 228
#define CLOCK_MONOTONIC   1
#define SYS_exit_group    231
#define O_RDWR            2
#define PROT_RW           3
#define MAP_SHARED        1
#define FBIOGET_VSCREEN   0x4600
#define FBIOGET_FSCREEN   0x4602

static long sys(long n, long a, long b, long c, long d, long e, long f)
{
    long r;
    register long r10 __asm__("r10") = d, r8 __asm__("r8") = e, r9 __asm__("r9") = f;
    __asm__ volatile("syscall"
                     : "=a"(r)
                     : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                     : "rcx", "r11", "memory");
    return r;
}

static size_t len(const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

static void say(const char *s)
{
    sys(SYS_write, 1, (long)s, (long)len(s), 0, 0, 0);
}

static void __attribute__((noreturn)) quit(const char *why, int status)
{
    say(why);
    sys(SYS_exit_group, status, 0, 0, 0, 0, 0);
    __builtin_unreachable();
}

static unsigned number(const char *s, unsigned dflt)
{
    unsigned v = 0;
    if (!s || !*s)
        return dflt;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            quit("fbpattern: usage: fbpattern [FIRST_ROW [ROWS]]\n", 2);
        v = v * 10 + (unsigned)(*s - '0');
    }
    return v;
}

static char *put(char *p, unsigned v)
{
    char d[12];
    int n = 0;
    do
        d[n++] = (char)('0' + v % 10);
    while (v /= 10);
    while (n)
        *p++ = d[--n];
    return p;
}

static char *puts_(char *p, const char *s)
{
    while (*s)
        *p++ = *s++;
    return p;
}

static uint64_t now_ms(void)
{
    long ts[2];
    sys(SYS_clock_gettime, CLOCK_MONOTONIC, (long)ts, 0, 0, 0, 0);
    return (uint64_t)ts[0] * 1000 + (uint64_t)ts[1] / 1000000;
}

static bool same(const char *a, const char *b)
{
    while (*a && *a == *b)
        a++, b++;
    return *a == *b;
}

void start(long *sp);
void start(long *sp)
{
    long argc = sp[0];
    char **argv = (char **)(sp + 1);
    bool frames = argc > 1 && same(argv[1], "--frames");
    unsigned seconds = frames ? number(argc > 2 ? argv[2] : NULL, 10) : 0;
    unsigned first = frames ? 0 : number(argc > 1 ? argv[1] : NULL, 400);
    unsigned rows = frames ? 0 : number(argc > 2 ? argv[2] : NULL, 256);

    uint32_t var[40], fix[20]; /* fb_var_screeninfo (160 bytes), fb_fix_screeninfo (80) */
    long fd = sys(SYS_open, (long)"/dev/fb0", O_RDWR, 0, 0, 0, 0);
    if (fd < 0)
        quit("fbpattern: cannot open /dev/fb0\n", 1);
    if (sys(SYS_ioctl, fd, FBIOGET_VSCREEN, (long)var, 0, 0, 0) ||
        sys(SYS_ioctl, fd, FBIOGET_FSCREEN, (long)fix, 0, 0, 0))
        quit("fbpattern: /dev/fb0 does not say its mode\n", 1);
    uint32_t width = var[0], height = var[1], bpp = var[6];
    uint32_t smem_len = fix[6], line = fix[12];
    if (bpp != 32)
        quit("fbpattern: not 32 bits per pixel\n", 1);
    if (frames)
        rows = height;
    if (first >= height || rows > height - first || (uint64_t)line * (first + rows) > smem_len)
        quit("fbpattern: the rows are not on the screen\n", 1);
    long fb = sys(SYS_mmap, 0, smem_len, PROT_RW, MAP_SHARED, fd, 0);
    if (fb < 0 && fb > -4096)
        quit("fbpattern: cannot map /dev/fb0\n", 1);
    if (frames) {
        uint64_t t0 = now_ms(), t = t0;
        unsigned n = 0;
        for (; t - t0 < seconds * 1000ull; n++, t = now_ms()) {
            uint32_t grey = (n & 0xff) * 0x010101u;
            for (uint32_t y = 0; y < height; y++) {
                volatile uint32_t *px = (volatile uint32_t *)(fb + (long)y * line);
                for (uint32_t x = 0; x < width; x++)
                    px[x] = grey;
            }
        }
        char msg[64], *p = puts_(msg, "fbpattern: frames=");
        p = put(p, n);
        p = puts_(p, " ms=");
        p = put(p, (unsigned)(t - t0));
        *p++ = '\n';
        *p = '\0';
        quit(msg, 0);
    }
    for (uint32_t y = first; y < first + rows; y++) {
        volatile uint32_t *px = (volatile uint32_t *)(fb + (long)y * line);
        for (uint32_t x = 0; x < width; x++)
            px[x] = x < width / 2 ? 0x00ff0000u : 0x000000ffu; /* XRGB */
    }
    char msg[80], *p = puts_(msg, "fbpattern: drawn rows ");
    p = put(p, first);
    *p++ = '-';
    p = put(p, first + rows - 1);
    p = puts_(p, " width ");
    p = put(p, width);
    *p++ = '\n';
    *p = '\0';
    quit(msg, 0);
}

__asm__(".globl _start\n_start:\n mov %rsp, %rdi\n and $-16, %rsp\n call start\n hlt\n");
