/* The machine's screen (docs/video.md, "The machine's screen"): the guest's
 * dirty rectangles copied from its VRAM to the firmware's GOP framebuffer,
 * clipped to the GOP mode and converted to its pixel format, batched on a
 * host timer so a storm of DIRT messages costs at most one copy of the
 * screen per flush interval (dirt after a quiet interval is copied at once). Hardware-free: both
 * are plain memory. */
#ifndef HV_DEVICES_SCREEN_H
#define HV_DEVICES_SCREEN_H

#include <stdbool.h>
#include <stdint.h>

#include "boot_info.h"
#include "devices/video.h"
#include "lib/timer.h"

/* Dirt waits at most this long (and is shown at most this often). */
#define SCREEN_FLUSH_NS (20ull * 1000 * 1000)

struct screen_stats {
    uint64_t flushes; /* copies to the framebuffer */
    uint64_t pixels;  /* pixels copied */
    uint64_t copy_ns; /* host time spent copying */
    uint64_t rects;   /* dirty rectangles received */
};

struct screen {
    struct hv_display d; /* size 0: nothing is shown */
    uint8_t *fb;         /* d.base as the host sees it */
    bool shown;          /* a supported format: copies happen */
    const uint8_t *vram; /* the guest's VRAM as the host sees it; NULL while unbacked */
    uint64_t vram_size;
    struct video_mode mode; /* the guest's; active false: nothing to show */
    bool pending;
    struct video_rect dirt; /* the union of what is not shown yet */
    struct hv_timer flush;
    uint64_t next_flush; /* clock_ns() before which no copy starts */
    struct screen_stats n;
};

/* d: the loader's record (size 0: headless, said once); fb: where the host
 * reaches d->base. Logs what will be shown. */
void screen_init(struct screen *s, const struct hv_display *d, uint8_t *fb);
/* The guest's VRAM is backed at vram (size bytes), or gone (NULL). */
void screen_vram(struct screen *s, const uint8_t *vram, uint64_t size);
/* The guest's mode (already checked against the VRAM by the video device):
 * the whole screen is dirty. */
void screen_mode(struct screen *s, const struct video_mode *m);
/* A dirty rectangle of the mode (clipped by the video device): shown now if
 * the last copy is SCREEN_FLUSH_NS old, else when it will be. */
void screen_dirty(struct screen *s, const struct video_rect *r);
/* Copies what is pending now (the flush timer's work). */
void screen_flush(struct screen *s);

/* " screen_flushes=.. screen_pixels=.. screen_copy_us=.. screen_rects=.."; the
 * length the full text would have. */
size_t screen_summary(const struct screen *s, char *buf, size_t cap);

#endif
