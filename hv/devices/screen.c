#include "devices/screen.h"

#include "lib/fmt.h"
#include "lib/log.h"
#include "lib/mem.h"

static void flush_fired(struct hv_timer *t, uint64_t now)
{
    (void)now;
    screen_flush(t->ctx);
}

/* A channel of a PixelBitMask format: where an 8-bit value goes. */
static uint32_t place(uint8_t v, uint32_t mask)
{
    if (!mask)
        return 0;
    unsigned shift = 0, bits = 0;
    while (!(mask >> shift & 1))
        shift++;
    while (shift + bits < 32 && mask >> (shift + bits) & 1)
        bits++;
    uint32_t c = bits >= 8 ? (uint32_t)v << (bits - 8) : (uint32_t)v >> (8 - bits);
    return (c << shift) & mask;
}

void screen_init(struct screen *s, const struct hv_display *d, uint8_t *fb)
{
    memset(s, 0, sizeof(*s));
    timer_setup(&s->flush, flush_fired, s);
    s->d = *d;
    s->fb = fb;
    const char *why = NULL;
    if (!d->size || !fb)
        why = "no GOP framebuffer (headless firmware)";
    else if (d->format == HV_PIXEL_MASK &&
             (d->red_mask | d->green_mask | d->blue_mask | d->reserved_mask) >> 24 == 0)
        why = "a pixel format narrower than 32 bits";
    else if (d->format > HV_PIXEL_MASK)
        why = "an unknown pixel format";
    else if ((uint64_t)d->stride * d->height * 4 > d->size || d->stride < d->width)
        why = "a mode larger than its framebuffer";
    if (why) {
        hv_log("screen", "nothing is shown: %s", why);
        return;
    }
    s->shown = true;
    hv_log("screen", "showing the guest's video on the GOP %ux%u (stride %u, format %u) at 0x%llx",
           d->width, d->height, d->stride, d->format, (unsigned long long)d->base);
}

void screen_vram(struct screen *s, const uint8_t *vram, uint64_t size)
{
    s->vram = vram;
    s->vram_size = size;
    s->mode.active = false; /* a new VRAM has no mode until the guest says */
    s->pending = false;
    timer_cancel(&s->flush);
}

static uint32_t min32(uint32_t a, uint32_t b)
{
    return a < b ? a : b;
}

static void add_dirt(struct screen *s, const struct video_rect *r)
{
    if (!s->shown || !s->vram || !s->mode.active)
        return;
    if (!s->pending) {
        s->dirt = *r;
        s->pending = true;
    } else {
        s->dirt.x1 = min32(s->dirt.x1, r->x1);
        s->dirt.y1 = min32(s->dirt.y1, r->y1);
        s->dirt.x2 = s->dirt.x2 > r->x2 ? s->dirt.x2 : r->x2;
        s->dirt.y2 = s->dirt.y2 > r->y2 ? s->dirt.y2 : r->y2;
    }
    if (timer_armed(&s->flush))
        return;
    /* Dirt after a quiet spell (a blinking cursor) is shown at once, without
     * a timer interrupt; a storm waits for the interval. */
    if (clock_ns() >= s->next_flush)
        screen_flush(s);
    else
        timer_arm(&s->flush, s->next_flush);
}

void screen_mode(struct screen *s, const struct video_mode *m)
{
    s->mode = *m;
    if (m->active) {
        struct video_rect all = {0, 0, m->width, m->height};
        s->pending = false;
        add_dirt(s, &all);
    }
}

void screen_dirty(struct screen *s, const struct video_rect *r)
{
    s->n.rects++;
    add_dirt(s, r);
}

static void copy_row(const struct hv_display *d, uint32_t *dst, const uint32_t *src, uint32_t n)
{
    switch (d->format) {
    case HV_PIXEL_BGRX: /* the guest's own layout: blue in the low byte */
        memcpy(dst, src, n * 4);
        break;
    case HV_PIXEL_RGBX:
        for (uint32_t i = 0; i < n; i++) {
            uint32_t p = src[i];
            dst[i] = (p & 0xff00) | (p >> 16 & 0xff) | (p & 0xff) << 16;
        }
        break;
    default:
        for (uint32_t i = 0; i < n; i++) {
            uint32_t p = src[i];
            dst[i] = place((uint8_t)(p >> 16), d->red_mask) |
                     place((uint8_t)(p >> 8), d->green_mask) | place((uint8_t)p, d->blue_mask);
        }
        break;
    }
}

void screen_flush(struct screen *s)
{
    timer_cancel(&s->flush);
    if (!s->pending)
        return;
    s->pending = false;
    const struct video_mode *m = &s->mode;
    if (!s->shown || !s->vram || !m->active)
        return;
    uint32_t x2 = min32(s->dirt.x2, min32(m->width, s->d.width));
    uint32_t y2 = min32(s->dirt.y2, min32(m->height, s->d.height));
    if (s->dirt.x1 >= x2 || s->dirt.y1 >= y2)
        return; /* all of it beyond the GOP mode: clipped away */
    /* the video device checked the mode against the VRAM; this is the host's own guard */
    if (m->vram_offset + (uint64_t)m->pitch * (y2 - 1) + (uint64_t)x2 * 4 > s->vram_size)
        return;
    uint64_t t0 = clock_ns();
    s->next_flush = t0 + SCREEN_FLUSH_NS;
    uint32_t n = x2 - s->dirt.x1;
    for (uint32_t y = s->dirt.y1; y < y2; y++) {
        const uint8_t *src = s->vram + m->vram_offset + (uint64_t)y * m->pitch + s->dirt.x1 * 4;
        uint8_t *dst = s->fb + ((uint64_t)y * s->d.stride + s->dirt.x1) * 4;
        copy_row(&s->d, (uint32_t *)dst, (const uint32_t *)src, n);
    }
    s->n.flushes++;
    s->n.pixels += (uint64_t)n * (y2 - s->dirt.y1);
    s->n.copy_ns += clock_ns() - t0;
}

size_t screen_summary(const struct screen *s, char *buf, size_t cap)
{
    int n = fmt_snprintf(buf, cap,
                         " screen_flushes=%llu screen_pixels=%llu screen_copy_us=%llu "
                         "screen_rects=%llu",
                         (unsigned long long)s->n.flushes, (unsigned long long)s->n.pixels,
                         (unsigned long long)(s->n.copy_ns / 1000), (unsigned long long)s->n.rects);
    return n < 0 ? 0 : (size_t)n;
}
