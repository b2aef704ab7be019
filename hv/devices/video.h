/* The Synthetic Video device (device kind "video"), served to Linux's
 * hyperv_fb (docs/video.md). Hardware-free: the device validates the
 * protocol and the guest's choices, and leaves everything that touches real
 * memory or a display to a platform interface given at creation. */
#ifndef HV_DEVICES_VIDEO_H
#define HV_DEVICES_VIDEO_H

#include <stdbool.h>
#include <stdint.h>

#include "boot_info.h"
#include "devices/device.h"
#include "devices/synthvid_wire.h"
#include "vmbus/kmcl.h"

extern const GUID video_class;

/* The VRAM a video device offers (its line's mmio_mb): its default, and the
 * bounds. The minimum holds 1152x864 at 32 bpp, the mode Linux uses without
 * asking (version 3.2) or when the resolution list fails; the maximum is the
 * frame-buffer region the guest's hv_vmbus reserves and places the VRAM in
 * (docs/video.md, "Where the guest puts its VRAM"), and what the loader
 * reserves (HV_VRAM_MB). */
#define VIDEO_MMIO_MB_DEFAULT 8u
#define VIDEO_MMIO_MB_MIN     4u
#define VIDEO_MMIO_MB_MAX     64u

extern const struct device_kind video_kind;

/* A mode the guest announced (SITUATION_UPDATE), already checked against the
 * VRAM: vram_offset + pitch * (height - 1) + width * 4 <= the VRAM size. */
struct video_mode {
    uint32_t width, height; /* pixels, >= 1 */
    uint32_t pitch;         /* bytes per line, >= width * 4 */
    uint32_t vram_offset;   /* of the first pixel, from the VRAM base */
    uint32_t depth_bits;    /* 32 */
    bool active;            /* false: the output is off, no dirt is passed on */
};

/* A dirty rectangle, clipped to the mode: 0 <= x1 < x2 <= width, likewise y. */
struct video_rect {
    uint32_t x1, y1, x2, y2; /* x2, y2 exclusive */
};

/* What the device needs from the machine. The arch glue provides it (a later
 * step: docs/video.md "Backing the VRAM"); tests provide fakes. Every
 * function runs on the hypervisor's one thread, from the channel's packet
 * processing, and may not call back into the device. */
struct video_platform {
    void *ctx;
    /* Makes [gpa, gpa + size) guest memory the host can read, so the guest
     * may memcpy into it: map host pages there in the NPT (write-back,
     * read/write, not executable) and zero them. gpa and size are 4 KiB
     * aligned and lie inside the channel's MMIO grant. 0: backed, and the
     * device ACKs the VRAM_LOCATION; anything else: the location is refused
     * (no ACK: the guest's probe times out) and nothing stays mapped. NULL:
     * every location is refused. */
    int (*back_vram)(void *ctx, uint64_t gpa, uint64_t size);
    /* Undoes a successful back_vram (the guest moved the VRAM, cleared it, or
     * closed the channel): unmap, flush the guest's TLB, free the pages. May be NULL. */
    void (*unback_vram)(void *ctx, uint64_t gpa, uint64_t size);
    /* The guest announced a mode (each accepted SITUATION_UPDATE). May be NULL. */
    void (*mode)(void *ctx, const struct video_mode *m);
    /* A dirty rectangle of the current, active mode. May be NULL. */
    void (*dirty)(void *ctx, const struct video_rect *r);
};

/* Allocates and configures the one video channel for d (not enabled): it
 * requests mmio_mb MiB of MMIO (the guest sizes its VRAM from the offer),
 * and the VRAM the guest picks must lie inside what the allocator granted.
 * platform may be NULL (no VRAM can be backed). STATUS_INVALID_PARAMETER for
 * mmio_mb outside VIDEO_MMIO_MB_MIN..VIDEO_MMIO_MB_MAX. */
NTSTATUS video_create(const struct hv_device_config *d, uint16_t mmio_mb,
                      const struct video_platform *platform, VMBCHANNEL *out);

/* The resolutions offered for a VRAM of vram_bytes: how many (at most cap
 * written to out, smallest first) and the default's index. Those that do not
 * fit at 32 bpp are left out. */
unsigned video_resolutions(uint64_t vram_bytes, struct synthvid_screen_size *out, unsigned cap,
                           unsigned *default_index);

/* The EDID block of the resolution response: EDID 1.3, manufacturer "VMB",
 * monitor name "vmbhv", a 1024x768 preferred timing. Linux ignores it. */
void video_edid(uint8_t out[SYNTHVID_EDID_SIZE]);

/* The video channel's trace decoder (VmbChannelInitSetTraceDecoder;
 * docs/video.md, "Trace"): "vid <MESSAGE> <fields>" for every synthvid
 * message, "vid type=N" for others, "malformed: ..." for framing or a
 * message short of its layout. Reads pkt[0..len) only. */
size_t video_trace_decode(const void *pkt, size_t len, char *out, size_t cap);

/* Counters for the summary line. */
struct video_stats {
    uint64_t dirt;     /* rectangles passed to the platform */
    uint64_t clipped;  /* of those, clipped to the mode first */
    uint64_t rejected; /* guest messages or rectangles refused */
};
extern struct video_stats video_stats;

/* " video_dirt=.. video_rejected=.." (only once a video device was created);
 * the length the full text would have. */
size_t video_summary(char *buf, size_t cap);

#endif
