/* The high MMIO gap allocator (kmcl.md "The MMIO allocator", docs/vmbus.md):
 * the gap starts at max(4 GiB, top of guest RAM) rounded up to 1 GiB; each
 * enabled channel gets its required megabytes as one window, naturally aligned
 * (largest power of two <= its size, capped at 1 GiB), at the lowest address
 * that fits, and as much of its optional megabytes as fits right after it.
 * Windows are kept sorted, so free space is always coalesced; placement
 * depends only on the sequence of calls. Every decision is logged as
 * "hv: mmio: ...". Pure arithmetic on the gap: nothing here touches memory. */
#ifndef HV_VMBUS_MMIO_H
#define HV_VMBUS_MMIO_H

#include <stdbool.h>
#include <stdint.h>

#define MMIO_MiB         (1ull << 20)
#define MMIO_GiB         (1ull << 30)
#define MMIO_4G          (4 * MMIO_GiB)
#define MMIO_ALIGN_CAP   MMIO_GiB   /* windows of 1 GiB and more are 1 GiB aligned */
#define MMIO_AUTO_MIN_MB 64u        /* smallest gap sized from the requests */
#define MMIO_AUTO_MAX_MB (1u << 31) /* the sizing never goes past this */
#define MMIO_MAX_WINDOWS 32u

/* A granted window, in bytes: [base, base + required + optional). */
struct mmio_window {
    uint64_t base;
    uint64_t required;
    uint64_t optional; /* the part of the optional request that was granted */
};

struct mmio_gap {
    uint64_t base, size;
    unsigned count;                           /* windows in use, sorted by base */
    struct mmio_window win[MMIO_MAX_WINDOWS]; /* only non-empty ones */
};

struct mmio_request {
    uint16_t required_mb, optional_mb;
};

/* max(4 GiB, ram_top) rounded up to 1 GiB. */
uint64_t mmio_gap_base(uint64_t ram_top);
void mmio_gap_init(struct mmio_gap *g, uint64_t base, uint64_t size);

/* The gap size, in MiB, for n (<= MMIO_MAX_WINDOWS) requests enabled in this
 * order when the config gives none: their sum (required + optional) rounded
 * up to a power of two, at least MMIO_AUTO_MIN_MB, doubled while alignment
 * padding would keep a required window out or cut an optional grant at the
 * end of the gap. (An optional grant cut short by the next window is the
 * lowest-fit policy and stays: a bigger gap would not change it.) */
uint32_t mmio_auto_size_mb(const struct mmio_request *req, unsigned n);

/* Reserves and logs. true: *w is the grant (optional may be partial or 0; a
 * request with required 0 and nothing free gets an empty window at 0). false:
 * the required window does not fit, nothing changed, the failure line names
 * who, what was missing and failure_status. */
bool mmio_reserve(struct mmio_gap *g, const char *who, uint16_t required_mb, uint16_t optional_mb,
                  int32_t failure_status, struct mmio_window *w);
/* Frees a window mmio_reserve returned (an empty one is a no-op) and logs it. */
void mmio_release(struct mmio_gap *g, const char *who, const struct mmio_window *w);

/* The frame-buffer region: the start of the low MMIO range, which the
 * guest's hv_vmbus reserves for a frame buffer at its ACPI probe and where
 * hyperv_fb then places its VRAM wherever it finds room (Linux 6.1
 * vmbus_reserve_fb, EFI boot without an EFI framebuffer: from the lowest
 * _CRS range's base, min((4 GiB - base) / 2, 128 MiB) long; docs/video.md).
 * The guest picks the place, so one channel is granted all of it. */
struct mmio_fb {
    uint64_t base, size; /* size 0: no region (no low range below 4 GiB) */
    bool taken;
};

/* The region Linux reserves for a low range starting at low_base. */
void mmio_fb_init(struct mmio_fb *fb, uint64_t low_base);
/* Reserves and logs, like mmio_reserve: true and *w = the whole region
 * (required = its size) when it is free and holds required_mb; false (the
 * failure line names who, why and failure_status) otherwise. */
bool mmio_reserve_fb(struct mmio_fb *fb, const char *who, uint16_t required_mb,
                     int32_t failure_status, struct mmio_window *w);
/* Frees a window mmio_reserve_fb returned, and logs it. */
void mmio_release_fb(struct mmio_fb *fb, const char *who, const struct mmio_window *w);

/* Size of the largest free extent (for diagnostics and tests). */
uint64_t mmio_largest_free(const struct mmio_gap *g);

#endif
