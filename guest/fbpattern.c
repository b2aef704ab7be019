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
#include "nolibc.h"

#define O_RDWR          2
#define PROT_RW         3
#define MAP_SHARED      1
#define FBIOGET_VSCREEN 0x4600
#define FBIOGET_FSCREEN 0x4602
#define USAGE           "fbpattern: usage: fbpattern [FIRST_ROW [ROWS]] | --frames SECONDS\n"

void start(long argc, char **argv)
{
    bool frames = argc > 1 && same(argv[1], "--frames");
    unsigned seconds = frames ? number(argc > 2 ? argv[2] : NULL, 10, USAGE) : 0;
    unsigned first = frames ? 0 : number(argc > 1 ? argv[1] : NULL, 400, USAGE);
    unsigned rows = frames ? 0 : number(argc > 2 ? argv[2] : NULL, 256, USAGE);

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
        uint64_t t0 = now_us() / 1000, t = t0;
        unsigned n = 0;
        for (; t - t0 < seconds * 1000ull; n++, t = now_us() / 1000) {
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
        p = put(p, t - t0);
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
