/* Lowest-fit placement over a sorted list of windows: the free extents are
 * exactly the holes between neighbours, so freeing needs no coalescing step. */
#include "vmbus/mmio.h"

#include "lib/log.h"
#include "lib/mem.h"

static uint64_t align_up(uint64_t v, uint64_t a)
{
    return (v + a - 1) & ~(a - 1);
}

static uint64_t window_end(const struct mmio_window *w)
{
    return w->base + w->required + w->optional;
}

static bool empty(const struct mmio_window *w)
{
    return !(w->required + w->optional);
}

/* Alignment of a required window: the largest power of two <= its size,
 * capped; 1 MiB (the granularity) for an optional-only request. */
static uint64_t window_align(uint64_t required)
{
    if (!required)
        return MMIO_MiB;
    uint64_t a = MMIO_MiB;
    while (a * 2 <= required && a < MMIO_ALIGN_CAP)
        a *= 2;
    return a;
}

uint64_t mmio_gap_base(uint64_t ram_top)
{
    return align_up(ram_top > MMIO_4G ? ram_top : MMIO_4G, MMIO_GiB);
}

void mmio_gap_init(struct mmio_gap *g, uint64_t base, uint64_t size)
{
    memset(g, 0, sizeof(*g));
    g->base = base;
    g->size = size;
}

/* Free extent i (0 <= i <= count): from the end of window i-1 (or the gap
 * base) to the start of window i (or the gap end). */
static void extent(const struct mmio_gap *g, unsigned i, uint64_t *start, uint64_t *end)
{
    *start = i ? window_end(&g->win[i - 1]) : g->base;
    *end = i < g->count ? g->win[i].base : g->base + g->size;
}

/* Lowest fit. Returns the extent index the window goes before, or -1. */
static int place(const struct mmio_gap *g, uint64_t required, uint64_t optional,
                 struct mmio_window *w)
{
    uint64_t align = window_align(required);
    for (unsigned i = 0; i <= g->count; i++) {
        uint64_t start, end;
        extent(g, i, &start, &end);
        uint64_t at = align_up(start, align);
        if (at >= end || end - at < required) /* an empty extent fits nothing */
            continue;
        uint64_t room = end - at - required;
        w->base = at;
        w->required = required;
        w->optional = optional < room ? optional : room;
        return (int)i;
    }
    return -1;
}

static void insert(struct mmio_gap *g, unsigned at, const struct mmio_window *w)
{
    memmove(&g->win[at + 1], &g->win[at], (g->count - at) * sizeof(g->win[0]));
    g->win[at] = *w;
    g->count++;
}

uint64_t mmio_largest_free(const struct mmio_gap *g)
{
    uint64_t best = 0;
    for (unsigned i = 0; i <= g->count; i++) {
        uint64_t start, end;
        extent(g, i, &start, &end);
        if (end - start > best)
            best = end - start;
    }
    return best;
}

/* Places and records without logging; false if the required part does not
 * fit (or the table is full, which MMIO_MAX_WINDOWS >= channels rules out). */
static bool reserve(struct mmio_gap *g, uint64_t required, uint64_t optional, struct mmio_window *w)
{
    int at = place(g, required, optional, w);
    if (at < 0) {
        if (required)
            return false;
        *w = (struct mmio_window){0, 0, 0}; /* optional-only and nothing free */
        return true;
    }
    if (empty(w))
        return true;
    if (g->count == MMIO_MAX_WINDOWS)
        return false;
    insert(g, (unsigned)at, w);
    return true;
}

bool mmio_reserve(struct mmio_gap *g, const char *who, uint16_t required_mb, uint16_t optional_mb,
                  int32_t failure_status, struct mmio_window *w)
{
    if (reserve(g, required_mb * MMIO_MiB, optional_mb * MMIO_MiB, w)) {
        hv_log("mmio", "%s required=%uMiB optional=%uMiB granted=%lluMiB at 0x%llx", who,
               required_mb, optional_mb, (unsigned long long)(w->optional / MMIO_MiB),
               (unsigned long long)w->base);
        return true;
    }
    hv_log("mmio",
           "%s required=%uMiB optional=%uMiB failed: no free %uMiB window aligned to %lluMiB "
           "in the %lluMiB gap (largest free extent %lluMiB) status=0x%08x",
           who, required_mb, optional_mb, required_mb,
           (unsigned long long)(window_align(required_mb * MMIO_MiB) / MMIO_MiB),
           (unsigned long long)(g->size / MMIO_MiB),
           (unsigned long long)(mmio_largest_free(g) / MMIO_MiB), (unsigned)failure_status);
    return false;
}

void mmio_release(struct mmio_gap *g, const char *who, const struct mmio_window *w)
{
    if (empty(w))
        return; /* an optional-only request that got nothing: nothing was recorded */
    for (unsigned i = 0; i < g->count; i++) {
        if (g->win[i].base != w->base)
            continue;
        hv_log("mmio", "%s released %lluMiB at 0x%llx", who,
               (unsigned long long)((w->required + w->optional) / MMIO_MiB),
               (unsigned long long)w->base);
        g->count--;
        memmove(&g->win[i], &g->win[i + 1], (g->count - i) * sizeof(g->win[0]));
        return;
    }
}

#define FB_MAX (128 * MMIO_MiB)

void mmio_fb_init(struct mmio_fb *fb, uint64_t low_base)
{
    memset(fb, 0, sizeof(*fb));
    if (low_base >= MMIO_4G)
        return;
    fb->base = low_base;
    fb->size = (MMIO_4G - low_base) / 2 < FB_MAX ? (MMIO_4G - low_base) / 2 : FB_MAX;
}

bool mmio_reserve_fb(struct mmio_fb *fb, const char *who, uint16_t required_mb,
                     int32_t failure_status, struct mmio_window *w)
{
    const char *why = !fb->size                           ? "absent"
                      : fb->taken                         ? "taken by another channel"
                      : required_mb * MMIO_MiB > fb->size ? "too small"
                                                          : NULL;
    if (why) {
        hv_log("mmio",
               "%s required=%uMiB failed: the %lluMiB frame-buffer region is %s status=0x%08x", who,
               required_mb, (unsigned long long)(fb->size / MMIO_MiB), why,
               (unsigned)failure_status);
        return false;
    }
    fb->taken = true;
    *w = (struct mmio_window){fb->base, fb->size, 0};
    hv_log("mmio",
           "%s required=%uMiB granted the frame-buffer region 0x%llx-0x%llx (the guest places it)",
           who, required_mb, (unsigned long long)fb->base,
           (unsigned long long)(fb->base + fb->size - 1));
    return true;
}

void mmio_release_fb(struct mmio_fb *fb, const char *who, const struct mmio_window *w)
{
    if (!fb->taken || w->base != fb->base)
        return;
    fb->taken = false;
    hv_log("mmio", "%s released the frame-buffer region at 0x%llx", who,
           (unsigned long long)w->base);
}

/* Whether a gap of size_mb is big enough for the requests enabled in order:
 * every required window fits, and no optional grant is cut short by the end
 * of the gap (or by its being full). A grant cut by a neighbouring window is
 * the lowest-fit policy, not the size: a bigger gap would not change it. */
static bool big_enough(const struct mmio_request *req, unsigned n, uint64_t size_mb)
{
    struct mmio_gap g;
    mmio_gap_init(&g, 0, size_mb * MMIO_MiB); /* any 1 GiB aligned base places alike */
    for (unsigned i = 0; i < n; i++) {
        struct mmio_window w;
        uint64_t want = req[i].optional_mb * MMIO_MiB;
        if (!reserve(&g, req[i].required_mb * MMIO_MiB, want, &w))
            return false;
        if (w.optional < want && (empty(&w) || window_end(&w) == g.base + g.size))
            return false;
    }
    return true;
}

uint32_t mmio_auto_size_mb(const struct mmio_request *req, unsigned n)
{
    uint64_t sum = 0;
    for (unsigned i = 0; i < n; i++)
        sum += (uint64_t)req[i].required_mb + req[i].optional_mb;
    uint64_t size = MMIO_AUTO_MIN_MB;
    while (size < sum)
        size *= 2;
    /* Padding before a window is less than its size, so no window ends past
     * twice the sum: a few doublings at most (n <= MMIO_MAX_WINDOWS). */
    while (size < MMIO_AUTO_MAX_MB && !big_enough(req, n, size))
        size *= 2;
    return (uint32_t)size;
}
