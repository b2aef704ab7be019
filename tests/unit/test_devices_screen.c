/* The machine's screen (hv/devices/screen.c): the guest's dirt reaches the
 * GOP framebuffer clipped to both modes, in the GOP's pixel format, batched
 * to one copy per flush interval, and nothing without a framebuffer, a VRAM
 * or an active mode. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "devices/screen.h"
#include "fixture.h"

#define GW 64 /* the GOP mode: 64x32, stride 80 */
#define GH 32
#define GS 80
#define VW 100 /* the guest's VRAM: 100x50 at 32 bpp, pitch 512, offset 64 */
#define VH 50
#define VP 512
#define VO 64

static uint32_t fb[GS * GH];
static uint8_t vram[VO + VP * VH];
static uint64_t ticks;
static struct screen s;

static uint64_t counter(void)
{
    return ticks;
}

static const struct video_mode mode = {VW, VH, VP, VO, 32, true};

static uint32_t *vpx(uint32_t x, uint32_t y)
{
    return (uint32_t *)(vram + VO + y * VP + x * 4);
}

static struct hv_display gop(uint32_t format)
{
    return (struct hv_display){(uint64_t)(uintptr_t)fb,
                               sizeof(fb),
                               GW,
                               GH,
                               GS,
                               format,
                               0x0000f800,
                               0x000007e0,
                               0x0000001f,
                               0xff000000};
}

static int setup(void **state)
{
    (void)state;
    ticks = 0;
    clock_init(counter, 1000000000ull, 0); /* a tick is a nanosecond */
    memset(fb, 0xee, sizeof(fb));
    for (uint32_t y = 0; y < VH; y++)
        for (uint32_t x = 0; x < VW; x++)
            *vpx(x, y) = 0x00102030u + (y << 8) + x; /* XRGB, distinct per pixel */
    log_reset();
    struct hv_display d = gop(HV_PIXEL_BGRX);
    screen_init(&s, &d, (uint8_t *)fb);
    screen_vram(&s, vram, sizeof(vram));
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    timer_cancel(&s.flush);
    return 0;
}

/* Runs the host's timers at now + dt. */
static void later(uint64_t dt)
{
    ticks += dt;
    timers_run(clock_ns());
}

static void shows_dirt_batched(void **state)
{
    (void)state;
    assert_non_null(strstr(logbuf, "hv: screen: showing the guest's video on the GOP 64x32 "
                                   "(stride 80, format 1) at 0x"));
    screen_mode(&s, &mode); /* a mode: the whole screen, at once after a quiet spell */
    assert_int_equal(s.n.flushes, 1);
    assert_int_equal(s.n.pixels, GW * GH); /* clipped to the GOP */
    assert_int_equal(fb[0], *vpx(0, 0));
    assert_int_equal(fb[(GH - 1) * GS + GW - 1], *vpx(GW - 1, GH - 1));
    assert_int_equal(fb[GW], 0xeeeeeeeeu); /* the stride's tail is not the screen */

    /* a storm of rectangles: one copy of their union */
    *vpx(3, 4) = 0x11;
    *vpx(20, 9) = 0x22;
    for (int i = 0; i < 1000; i++) {
        screen_dirty(&s, &(struct video_rect){3, 4, 4, 5});
        screen_dirty(&s, &(struct video_rect){20, 9, 21, 10});
    }
    later(SCREEN_FLUSH_NS - 1); /* within the interval of the last copy: waits */
    assert_int_equal(s.n.flushes, 1);
    assert_int_equal(fb[4 * GS + 3], *vpx(0, 0) + 4 * 256 + 3);
    later(1);
    assert_int_equal(s.n.flushes, 2);
    assert_int_equal(s.n.rects, 2000);
    assert_int_equal(s.n.pixels, GW * GH + 18 * 6);
    assert_int_equal(fb[4 * GS + 3], 0x11);
    assert_int_equal(fb[9 * GS + 20], 0x22);
    later(10 * SCREEN_FLUSH_NS);
    assert_int_equal(s.n.flushes, 2); /* nothing pending: no copy */

    /* beyond the GOP mode: clipped away */
    screen_dirty(&s, &(struct video_rect){70, 40, 100, 50});
    assert_int_equal(s.n.flushes, 2);
    assert_false(timer_armed(&s.flush));
    char sum[160];
    screen_summary(&s, sum, sizeof(sum));
    assert_string_equal(sum, " screen_flushes=2 screen_pixels=2156 screen_copy_us=0 "
                             "screen_rects=2001");
}

static void nothing_without_vram_or_mode(void **state)
{
    (void)state;
    screen_dirty(&s, &(struct video_rect){0, 0, 1, 1}); /* no mode yet */
    later(SCREEN_FLUSH_NS);
    assert_int_equal(s.n.flushes, 0);
    struct video_mode off = mode;
    off.active = false;
    screen_mode(&s, &off);
    later(SCREEN_FLUSH_NS);
    assert_int_equal(s.n.flushes, 0);
    /* a VRAM too small for the mode (the device would not allow it): no read past it */
    screen_vram(&s, vram, VO + VP);
    screen_mode(&s, &mode);
    later(SCREEN_FLUSH_NS);
    assert_int_equal(s.n.flushes, 0);
    assert_int_equal(fb[0], 0xeeeeeeeeu);
    screen_vram(&s, vram, sizeof(vram));
    screen_mode(&s, &mode);
    assert_int_equal(s.n.flushes, 1);
    *vpx(0, 0) = 0x77;
    screen_dirty(&s, &(struct video_rect){0, 0, 1, 1}); /* waits for the interval */
    screen_vram(&s, NULL, 0); /* the VRAM went before the flush: nothing is read */
    later(SCREEN_FLUSH_NS);
    assert_int_equal(s.n.flushes, 1);
    assert_int_equal(fb[0], 0x00102030u);
}

static void pixel_formats(void **state)
{
    (void)state;
    struct hv_display d = gop(HV_PIXEL_RGBX);
    screen_init(&s, &d, (uint8_t *)fb);
    screen_vram(&s, vram, sizeof(vram));
    *vpx(0, 0) = 0x00a1b2c3; /* red a1, green b2, blue c3 */
    screen_mode(&s, &mode);
    screen_flush(&s);
    assert_int_equal(fb[0], 0x00c3b2a1); /* red in the low byte */

    d = gop(HV_PIXEL_MASK); /* 5:6:5 masks */
    d.reserved_mask = 0xff000000;
    screen_init(&s, &d, (uint8_t *)fb);
    screen_vram(&s, vram, sizeof(vram));
    *vpx(0, 0) = 0x00ff8008;
    screen_mode(&s, &mode);
    screen_flush(&s);
    assert_int_equal(fb[0], (0x1fu << 11) | (0x20u << 5) | 0x01u);
}

static void nothing_shown_says_why(void **state)
{
    (void)state;
    static const struct {
        struct hv_display d;
        const char *why;
    } cases[] = {
        {{0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, "no GOP framebuffer (headless firmware)"},
        {{1, sizeof(fb), GW, GH, GS, HV_PIXEL_MASK, 0xf800, 0x7e0, 0x1f, 0},
         "a pixel format narrower than 32 bits"},
        {{1, sizeof(fb), GW, GH, GS, 7, 0, 0, 0, 0}, "an unknown pixel format"},
        {{1, sizeof(fb) - 4, GW, GH, GS, HV_PIXEL_BGRX, 0, 0, 0, 0},
         "a mode larger than its framebuffer"},
        {{1, sizeof(fb), GW, GH, GW - 1, HV_PIXEL_BGRX, 0, 0, 0, 0},
         "a mode larger than its framebuffer"},
    };
    for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        log_reset();
        screen_init(&s, &cases[i].d, (uint8_t *)fb);
        assert_non_null(strstr(logbuf, cases[i].why));
        assert_non_null(strstr(logbuf, "hv: screen: nothing is shown: "));
        screen_vram(&s, vram, sizeof(vram));
        screen_mode(&s, &mode);
        screen_flush(&s);
        assert_int_equal(s.n.flushes, 0);
    }
    assert_int_equal(fb[0], 0xeeeeeeeeu);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(shows_dirt_batched, setup, teardown),
        cmocka_unit_test_setup_teardown(nothing_without_vram_or_mode, setup, teardown),
        cmocka_unit_test_setup_teardown(pixel_formats, setup, teardown),
        cmocka_unit_test_setup_teardown(nothing_shown_says_why, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
