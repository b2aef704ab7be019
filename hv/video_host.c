#include "video_host.h"

#include "devices/screen.h"
#include "devices/video.h"
#include "lib/log.h"
#include "lib/mem.h"

static struct {
    bool configured;
    struct ptable *npt;
    void (*npt_changed)(void);
    uint8_t *vram; /* the loader's block, identity-mapped */
    uint64_t vram_size;
    uint64_t gpa, size; /* what is backed now; size 0: nothing */
    struct screen screen;
} vh;

/* Undoes a partial ptable_map (an exhausted heap): every page of the range
 * that points into the VRAM block goes back to the void. */
static void unmap_what_is_ours(uint64_t gpa, uint64_t size)
{
    const uint64_t lo = (uint64_t)(uintptr_t)vh.vram;
    for (uint64_t at = gpa; at < gpa + size;) {
        uint64_t pa, flags, ps = PAGE_SIZE;
        if (!ptable_lookup(vh.npt, at, &pa, &flags, &ps) && pa >= lo && pa < lo + vh.vram_size)
            ptable_unmap(vh.npt, at & ~(ps - 1), ps);
        at = (at & ~(ps - 1)) + ps;
    }
}

/* Only the void may be replaced: guest RAM, the interrupt controllers, or
 * another mapping never. */
static bool all_void(uint64_t gpa, uint64_t size)
{
    int level;
    for (uint64_t at = gpa; at < gpa + size; at += PAGE_SIZE) {
        if (ptable_leaf(vh.npt, at, &level))
            return false;
    }
    return true;
}

static int back_vram(void *ctx, uint64_t gpa, uint64_t size)
{
    (void)ctx;
    const char *why = NULL;
    if (size > vh.vram_size)
        why = "larger than the VRAM block";
    else if (vh.size)
        why = "another location is still backed";
    else if (!all_void(gpa, size))
        why = "the range is not empty guest-physical space";
    else if (ptable_map(vh.npt, gpa, (uint64_t)(uintptr_t)vh.vram, size, PT_W | PT_U)) {
        unmap_what_is_ours(gpa, size);
        why = "out of heap for the nested page tables";
    }
    vh.npt_changed(); /* the void may be cached for these addresses */
    if (why) {
        hv_log("video", "cannot back VRAM 0x%llx-0x%llx: %s", (unsigned long long)gpa,
               (unsigned long long)(gpa + size - 1), why);
        return -1;
    }
    memset(vh.vram, 0, size);
    vh.gpa = gpa;
    vh.size = size;
    screen_vram(&vh.screen, vh.vram, size);
    return 0;
}

static void unback_vram(void *ctx, uint64_t gpa, uint64_t size)
{
    (void)ctx;
    if (!vh.size || gpa != vh.gpa || size != vh.size)
        return;
    screen_vram(&vh.screen, NULL, 0);
    ptable_unmap(vh.npt, gpa, size);
    vh.npt_changed();
    vh.size = 0;
}

static void mode(void *ctx, const struct video_mode *m)
{
    (void)ctx;
    screen_mode(&vh.screen, m);
}

static void dirty(void *ctx, const struct video_rect *r)
{
    (void)ctx;
    screen_dirty(&vh.screen, r);
}

static const struct video_platform platform = {NULL, back_vram, unback_vram, mode, dirty};

const struct video_platform *video_host_init(const struct hv_boot_info *bi, struct ptable *npt,
                                             void (*npt_changed)(void))
{
    memset(&vh, 0, sizeof(vh));
    vh.npt = npt;
    vh.npt_changed = npt_changed;
    vh.vram = (uint8_t *)(uintptr_t)bi->vram.base;
    vh.vram_size = bi->vram.size;
    if (bi->vram.size) {
        vh.configured = true;
        screen_init(&vh.screen, &bi->display, (uint8_t *)(uintptr_t)bi->display.base);
    }
    return &platform;
}

size_t video_host_summary(char *buf, size_t cap)
{
    if (!vh.configured) {
        if (cap)
            buf[0] = '\0';
        return 0;
    }
    return screen_summary(&vh.screen, buf, cap);
}
