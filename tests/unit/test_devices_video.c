/* The Synthetic Video device (hv/devices/video.c) over the recording KMCL,
 * against a model of Linux 6.1's hyperv_fb written from its source (facts
 * only, docs/video.md): the version it asks at each VMBus version (3.5, with
 * a fall back to 3.2 at 4.0 and 5.0; 3.2 only at 2.4 and 3.0), the
 * resolution request at 3.5, VRAM_LOCATION with user_ctx = GPA and a probe
 * that fails on a missing or mismatched ACK, pointer and situation after the
 * ACK, FEATURE_CHANGE handling (pointer and situation again once the
 * framebuffer is registered), DIRT from deferred I/O with its clamping.
 * Covered besides: the resolution list per VRAM size and per count asked,
 * the EDID, VRAM outside the grant / unaligned / unbackable / moved /
 * cleared, hostile framing and messages of every type, modes that do not fit,
 * dirt clipped / refused / ignored, close and reopen, ring full, the log
 * budget, the summary. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "devices/synthvid_wire.h"
#include "devices/video.h"
#include "vmbus/ring.h"

#include "fake_kmcl.h"
#include "fixture.h"

#define MiB        (1ull << 20)
#define GRANT_BASE 0x100000000ull /* the gap base of a small guest */

/* --- the platform: records what the device asks --------------------------------- */
struct plat {
    int back_rc;
    unsigned backs, unbacks, modes, dirts;
    uint64_t gpa, size, unback_gpa, unback_size;
    struct video_mode mode;
    struct video_rect rects[64];
};
static struct plat plat;

static int back(void *ctx, uint64_t gpa, uint64_t size)
{
    assert_ptr_equal(ctx, &plat);
    plat.backs++;
    plat.gpa = gpa;
    plat.size = size;
    return plat.back_rc;
}

static void unback(void *ctx, uint64_t gpa, uint64_t size)
{
    assert_ptr_equal(ctx, &plat);
    plat.unbacks++;
    plat.unback_gpa = gpa;
    plat.unback_size = size;
}

static void mode(void *ctx, const struct video_mode *m)
{
    assert_ptr_equal(ctx, &plat);
    plat.modes++;
    plat.mode = *m;
}

static void dirty(void *ctx, const struct video_rect *r)
{
    assert_ptr_equal(ctx, &plat);
    assert_true(r->x1 < r->x2 && r->y1 < r->y2);
    assert_true(r->x2 <= plat.mode.width && r->y2 <= plat.mode.height);
    plat.rects[plat.dirts++ % 64] = *r;
}

static const struct video_platform platform = {&plat, back, unback, mode, dirty};

/* --- the device --------------------------------------------------------------------- */
static VMBCHANNEL ch;

static struct fake_channel *F(void)
{
    return fake_channel(ch);
}

static void create(uint16_t mmio_mb, const struct video_platform *p)
{
    struct hv_device_config d = {.kind = "video", .name = "video0"};
    assert_int_equal(video_create(&d, mmio_mb, p, &ch), STATUS_SUCCESS);
    assert_int_equal(F()->mmio_mb, mmio_mb);
    assert_int_equal(F()->mmio_optional_mb, 0);
    assert_true(F()->mmio_fb); /* the guest places its VRAM in the frame-buffer region */
    assert_memory_equal(&F()->type, &video_class, sizeof(GUID));
    F()->mmio_base = GRANT_BASE;
    F()->mmio_size = (uint64_t)mmio_mb * MiB;
}

static void open_channel(void)
{
    F()->open = true;
    assert_int_equal(F()->cb.EvtChannelOpened(ch), STATUS_SUCCESS);
}

static void close_channel(void)
{
    F()->open = false;
    F()->cb.EvtChannelClosed(ch);
}

static int setup(void **state)
{
    (void)state;
    fake_kmcl_reset();
    memset(&plat, 0, sizeof(plat));
    log_reset();
    create(8, &platform);
    open_channel();
    return 0;
}

/* --- the guest: Linux 6.1 hyperv_fb ------------------------------------------------- */
#define VMBUS_2_4 ((2u << 16) | 4)
#define VMBUS_3_0 ((3u << 16) | 0)
#define VMBUS_4_0 ((4u << 16) | 0)
#define VMBUS_4_1 ((4u << 16) | 1)
#define VMBUS_5_0 ((5u << 16) | 0)
#define VMBUS_5_1 ((5u << 16) | 1)
#define VMBUS_5_2 ((5u << 16) | 2)
#define VMBUS_5_3 ((5u << 16) | 3)

struct hvfb {
    uint32_t vmbus_version;
    uint32_t synthvid_version;
    unsigned width, height; /* screen_width / screen_height */
    uint64_t fb_size;       /* screen_fb_size: the offer's megabytes */
    uint64_t mmio_pp;       /* the VRAM's GPA */
    bool fb_ready, update;
    unsigned seen; /* host packets read so far */
    bool completed;
    uint8_t init_buf[SYNTHVID_MAX_PACKET];
    unsigned version_requests, feature_changes, acks_ignored;
    const char *error; /* the pr_err the probe stopped with */
};

static uint64_t request_id;

/* synthvid_send: the pipe header copies the message size; the ring pads the
 * packet to 8 bytes, which is what the host's callback sees. */
static void guest_send(uint32_t type, const void *body, uint32_t len)
{
    static uint8_t pkt[SYNTHVID_MAX_PACKET];
    struct synthvid_pipe_hdr pipe = {SYNTHVID_PIPE_DATA, 8 + len};
    struct synthvid_hdr h = {type, 8 + len};
    uint32_t total = (16 + len + 7) & ~7u;
    memset(pkt, 0, total);
    memcpy(pkt, &pipe, 8);
    memcpy(pkt + 8, &h, 8);
    memcpy(pkt + 16, body, len);
    F()->process(ch, pkt, total, VMBUS_PKT_DATA_INBAND, ++request_id);
}

static void send_situ(const struct hvfb *g)
{
    struct synthvid_situation_update s;
    memset(&s, 0, sizeof(s));
    s.video_output_count = 1;
    s.video_output[0].active = 1;
    s.video_output[0].depth_bits = 32;
    s.video_output[0].width_pixels = g->width;
    s.video_output[0].height_pixels = g->height;
    s.video_output[0].pitch_bytes = g->width * 4;
    guest_send(SYNTHVID_SITUATION_UPDATE, &s, sizeof(s));
}

static void send_ptr(void)
{
    struct synthvid_pointer_position p = {.is_visible = 1};
    guest_send(SYNTHVID_POINTER_POSITION, &p, sizeof(p));
    struct synthvid_pointer_shape s = {.part_idx = SYNTHVID_CURSOR_COMPLETE,
                                       .is_argb = 1,
                                       .width = 1,
                                       .height = 1,
                                       .data = {0, 1, 1, 1}};
    guest_send(SYNTHVID_POINTER_SHAPE, &s, sizeof(s));
}

/* synthvid_receive / synthvid_recv_sub for every packet the host sent since. */
static void guest_receive(struct hvfb *g)
{
    unsigned budget = 32; /* a host that answers every answer loops forever */
    while (g->seen < F()->nsent) {
        assert_true(budget-- > 0);
        const struct fake_sent *s = &F()->sent[g->seen++ % FAKE_SENT];
        struct synthvid_pipe_hdr pipe;
        struct synthvid_hdr h;
        assert_true(s->len >= 16 && s->len <= SYNTHVID_MAX_PACKET);
        memcpy(&pipe, s->data, 8);
        memcpy(&h, s->data + 8, 8);
        /* what any host must send: DATA, sizes that describe the packet */
        assert_int_equal(pipe.type, SYNTHVID_PIPE_DATA);
        assert_int_equal(pipe.size, s->len - 8);
        assert_int_equal(h.size, s->len - 8);
        if (h.type == SYNTHVID_VERSION_RESPONSE || h.type == SYNTHVID_RESOLUTION_RESPONSE ||
            h.type == SYNTHVID_VRAM_LOCATION_ACK) {
            memset(g->init_buf, 0, sizeof(g->init_buf));
            memcpy(g->init_buf, s->data, s->len);
            g->completed = true;
        } else if (h.type == SYNTHVID_FEATURE_CHANGE) {
            struct synthvid_feature_change f;
            memcpy(&f, s->data + 16, sizeof(f));
            g->feature_changes++;
            if (g->fb_ready) {
                send_ptr();
                send_situ(g);
            }
            g->update = f.is_dirt_needed;
        } else {
            g->acks_ignored++; /* SITUATION_UPDATE_ACK and anything else */
        }
    }
}

/* wait_for_completion_timeout: the fake host answers at once or never. */
static bool guest_wait(struct hvfb *g)
{
    guest_receive(g);
    bool done = g->completed;
    g->completed = false;
    return done;
}

static int negotiate_ver(struct hvfb *g, uint32_t ver)
{
    struct synthvid_version_req r = {ver};
    g->version_requests++;
    guest_send(SYNTHVID_VERSION_REQUEST, &r, sizeof(r));
    if (!guest_wait(g)) {
        g->error = "Time out on waiting version response";
        return -1;
    }
    struct synthvid_version_resp resp;
    memcpy(&resp, g->init_buf + 16, sizeof(resp));
    if (!resp.is_accepted)
        return -1;
    g->synthvid_version = ver;
    return 0;
}

static int get_supported_resolution(struct hvfb *g)
{
    struct synthvid_resolution_req r = {SYNTHVID_MAX_RESOLUTIONS};
    guest_send(SYNTHVID_RESOLUTION_REQUEST, &r, sizeof(r));
    if (!guest_wait(g))
        return -1;
    struct synthvid_resolution_resp resp;
    memcpy(&resp, g->init_buf + 16, sizeof(resp));
    if (resp.resolution_count == 0 || resp.default_resolution_index >= resp.resolution_count)
        return -1;
    struct synthvid_screen_size sz;
    memcpy(&sz, g->init_buf + 16 + sizeof(resp) + 4 * resp.default_resolution_index, 4);
    g->width = sz.width;
    g->height = sz.height;
    return 0;
}

/* synthvid_connect_vsp */
static int connect_vsp(struct hvfb *g)
{
    int ret;
    switch (g->vmbus_version) {
    case VMBUS_4_0:
    case VMBUS_5_0:
        ret = negotiate_ver(g, SYNTHVID_VERSION_WIN10);
        if (!ret)
            break;
        /* fallthrough */
    case VMBUS_2_4:
    case VMBUS_3_0:
        ret = negotiate_ver(g, SYNTHVID_VERSION_WIN8);
        break;
    default:
        ret = negotiate_ver(g, SYNTHVID_VERSION_WIN10);
        break;
    }
    if (ret) {
        if (!g->error)
            g->error = "Synthetic video device version not accepted";
        return -1;
    }
    if (g->synthvid_version == SYNTHVID_VERSION_WIN10)
        get_supported_resolution(g); /* a failure keeps the default */
    g->fb_size = (uint64_t)F()->mmio_mb * MiB;
    return 0;
}

/* synthvid_send_config */
static int send_config(struct hvfb *g)
{
    struct synthvid_vram_location loc = {g->mmio_pp, 1, g->mmio_pp};
    guest_send(SYNTHVID_VRAM_LOCATION, &loc, sizeof(loc));
    if (!guest_wait(g)) {
        g->error = "Time out on waiting vram location ack";
        return -1;
    }
    struct synthvid_vram_location_ack ack;
    memcpy(&ack, g->init_buf + 16, sizeof(ack));
    if (ack.user_ctx != g->mmio_pp) {
        g->error = "Unable to set VRAM location";
        return -1;
    }
    send_ptr();
    send_situ(g);
    return 0;
}

/* hvfb_probe up to register_framebuffer, with the VRAM where
 * vmbus_allocate_mmio put it. */
static int probe(struct hvfb *g, uint32_t vmbus_version, uint64_t vram_gpa)
{
    memset(g, 0, sizeof(*g));
    g->vmbus_version = vmbus_version;
    g->width = 1152;
    g->height = 864;
    g->seen = F()->nsent;
    if (connect_vsp(g))
        return -1;
    g->mmio_pp = vram_gpa;
    if (send_config(g))
        return -1;
    guest_receive(g);   /* the channel callback, most likely before ... */
    g->fb_ready = true; /* ... register_framebuffer */
    return 0;
}

/* synthvid_update with the guest's clamping */
static void guest_dirt(struct hvfb *g, int x1, int y1, int x2, int y2)
{
    struct {
        struct synthvid_dirt d;
        struct synthvid_rect r;
    } __attribute__((packed)) m;
    int xres = (int)g->width, yres = (int)g->height;
    m.d.video_output = 0;
    m.d.dirt_count = 1;
    m.r.x1 = x1 > x2 ? 0 : x1;
    m.r.y1 = y1 > y2 ? 0 : y1;
    m.r.x2 = (x2 < x1 || x2 > xres) ? xres : x2;
    m.r.y2 = (y2 < y1 || y2 > yres) ? yres : y2;
    guest_send(SYNTHVID_DIRT, &m, sizeof(m));
}

/* --- helpers for hand-made packets ---------------------------------------------------- */
static unsigned sent(void)
{
    return F()->nsent;
}

static const struct fake_sent *last(void)
{
    const struct fake_sent *s = fake_last_sent(ch);
    assert_non_null(s);
    return s;
}

static uint32_t last_type(void)
{
    struct synthvid_hdr h;
    memcpy(&h, last()->data + 8, 8);
    return h.type;
}

static void raw(const void *pkt, uint32_t len, uint16_t type)
{
    F()->process(ch, pkt, len, type, ++request_id);
}

/* A message the device must refuse: nothing sent, no platform call, counted. */
static void refused(uint32_t type, const void *body, uint32_t len)
{
    unsigned n = sent(), backs = plat.backs, modes = plat.modes, dirts = plat.dirts;
    uint64_t rejected = video_stats.rejected;
    guest_send(type, body, len);
    assert_int_equal(sent(), n);
    assert_int_equal(plat.backs, backs);
    assert_int_equal(plat.modes, modes);
    assert_int_equal(plat.dirts, dirts);
    assert_int_equal(video_stats.rejected, rejected + 1);
}

static void agree(uint32_t version)
{
    struct synthvid_version_req r = {version};
    guest_send(SYNTHVID_VERSION_REQUEST, &r, sizeof(r));
    assert_int_equal(last_type(), SYNTHVID_VERSION_RESPONSE);
}

static void place_vram(uint64_t gpa)
{
    struct synthvid_vram_location loc = {gpa, 1, gpa};
    guest_send(SYNTHVID_VRAM_LOCATION, &loc, sizeof(loc));
    assert_int_equal(last_type(), SYNTHVID_VRAM_LOCATION_ACK);
}

static void situ(uint32_t w, uint32_t h, uint32_t pitch, uint32_t offset, uint8_t depth)
{
    struct synthvid_situation_update s;
    memset(&s, 0, sizeof(s));
    s.video_output_count = 1;
    s.video_output[0].active = 1;
    s.video_output[0].depth_bits = depth;
    s.video_output[0].width_pixels = w;
    s.video_output[0].height_pixels = h;
    s.video_output[0].pitch_bytes = pitch;
    s.video_output[0].vram_offset = offset;
    guest_send(SYNTHVID_SITUATION_UPDATE, &s, sizeof(s));
}

static void dirt_rects(const struct synthvid_rect *r, unsigned n, unsigned count)
{
    uint8_t m[2 + 16 * 16];
    m[0] = 0;
    m[1] = (uint8_t)count;
    memcpy(m + 2, r, 16 * n);
    guest_send(SYNTHVID_DIRT, m, 2 + 16 * n);
}

/* --- tests ---------------------------------------------------------------------------- */

static void linux_probe_at_every_vmbus_version(void **state)
{
    (void)state;
    static const struct {
        uint32_t vmbus, synthvid;
        unsigned width, height;
    } cases[] = {
        {VMBUS_5_3, SYNTHVID_VERSION_WIN10, 1024, 768},
        {VMBUS_5_2, SYNTHVID_VERSION_WIN10, 1024, 768},
        {VMBUS_5_1, SYNTHVID_VERSION_WIN10, 1024, 768},
        {VMBUS_5_0, SYNTHVID_VERSION_WIN10, 1024, 768},
        {VMBUS_4_1, SYNTHVID_VERSION_WIN10, 1024, 768},
        {VMBUS_4_0, SYNTHVID_VERSION_WIN10, 1024, 768},
        {VMBUS_3_0, SYNTHVID_VERSION_WIN8, 1152, 864},
        {VMBUS_2_4, SYNTHVID_VERSION_WIN8, 1152, 864},
    };
    for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct hvfb g;
        memset(&plat, 0, sizeof(plat));
        assert_int_equal(probe(&g, cases[i].vmbus, GRANT_BASE), 0);
        assert_null(g.error);
        assert_int_equal(g.version_requests, 1);
        assert_int_equal(g.synthvid_version, cases[i].synthvid);
        assert_int_equal(g.width, cases[i].width);
        assert_int_equal(g.height, cases[i].height);
        assert_int_equal(g.fb_size, 8 * MiB);
        assert_int_equal(plat.backs, 1);
        assert_int_equal(plat.gpa, GRANT_BASE);
        assert_int_equal(plat.size, 8 * MiB);
        assert_int_equal(plat.mode.width, cases[i].width);
        assert_int_equal(plat.mode.height, cases[i].height);
        assert_int_equal(plat.mode.pitch, cases[i].width * 4);
        assert_true(plat.mode.active);
        /* asked for dirt once; the guest's answer (pointer and situation
         * again, framebuffer registered) does not ask again */
        assert_int_equal(g.feature_changes, 1);
        assert_true(g.update);
        /* the next probe is a fresh open */
        close_channel();
        assert_int_equal(plat.unbacks, 1);
        assert_int_equal(plat.unback_gpa, GRANT_BASE);
        assert_int_equal(plat.unback_size, 8 * MiB);
        open_channel();
    }
    assert_int_equal(video_stats.rejected, 0);
    assert_int_equal(log_count("version 3.5 agreed"), 6);
    assert_int_equal(log_count("version 3.2 agreed"), 2);
}

static void linux_session_feature_change_and_dirt(void **state)
{
    (void)state;
    struct hvfb g;
    assert_int_equal(probe(&g, VMBUS_5_3, GRANT_BASE), 0);
    /* the FEATURE_CHANGE was read before the framebuffer was registered, so
     * the guest only set update; a later situation update (fb_set_par) asks
     * nothing again */
    assert_int_equal(g.feature_changes, 1);
    unsigned modes = plat.modes;
    send_situ(&g);
    guest_receive(&g);
    assert_int_equal(g.feature_changes, 1);
    assert_int_equal(plat.modes, modes + 1);
    /* deferred I/O: whole lines, the last page past yres clamped */
    guest_dirt(&g, 0, 10, (int)g.width, 770);
    assert_int_equal(plat.dirts, 1);
    assert_int_equal(plat.rects[0].x1, 0);
    assert_int_equal(plat.rects[0].y1, 10);
    assert_int_equal(plat.rects[0].x2, 1024);
    assert_int_equal(plat.rects[0].y2, 768);
    /* fillrect / imageblit through the throttle */
    guest_dirt(&g, 100, 200, 164, 216);
    assert_int_equal(plat.dirts, 2);
    assert_int_equal(plat.rects[1].x1, 100);
    assert_int_equal(plat.rects[1].y2, 216);
    /* the panic path: everything */
    guest_dirt(&g, 0, 0, 0x7fffffff, 0x7fffffff);
    assert_int_equal(plat.dirts, 3);
    assert_int_equal(plat.rects[2].x2, 1024);
    assert_int_equal(plat.rects[2].y2, 768);
    /* a page starting on the last line: y1 == y2 == yres, empty, ignored */
    guest_dirt(&g, 0, 768, 1024, 800);
    assert_int_equal(plat.dirts, 3);
    assert_int_equal(video_stats.dirt, 3);
    assert_int_equal(video_stats.clipped, 0);
    assert_int_equal(video_stats.rejected, 0);
    /* host packets: VERSION_RESPONSE, RESOLUTION_RESPONSE, VRAM_LOCATION_ACK,
     * SITUATION_UPDATE_ACK, FEATURE_CHANGE, SITUATION_UPDATE_ACK */
    assert_int_equal(sent(), 6);
    assert_int_equal(g.acks_ignored, 2);
}

/* FEATURE_CHANGE read after register_framebuffer: the guest sends pointer
 * and situation again, and the device does not ask a second time. */
static void feature_change_after_registration(void **state)
{
    (void)state;
    struct hvfb g;
    memset(&g, 0, sizeof(g));
    g.vmbus_version = VMBUS_5_3;
    g.width = 1152;
    g.height = 864;
    assert_int_equal(connect_vsp(&g), 0);
    g.mmio_pp = GRANT_BASE;
    struct synthvid_vram_location loc = {g.mmio_pp, 1, g.mmio_pp};
    guest_send(SYNTHVID_VRAM_LOCATION, &loc, sizeof(loc));
    g.completed = false;
    g.seen = F()->nsent; /* the ACK was read */
    send_ptr();
    send_situ(&g);
    g.fb_ready = true; /* registered before the channel callback ran */
    guest_receive(&g);
    assert_int_equal(g.feature_changes, 1);
    assert_true(g.update);
    guest_receive(&g);
    assert_int_equal(g.feature_changes, 1);
    assert_int_equal(plat.modes, 2);
    assert_int_equal(video_stats.rejected, 0);
}

static void version_requests(void **state)
{
    (void)state;
    /* 3.0 (WIN7, dropped by Linux), 3.3, 4.5: refused with is_accepted 0 */
    static const uint32_t bad[] = {SYNTHVID_VERSION(3, 0), SYNTHVID_VERSION(3, 3),
                                   SYNTHVID_VERSION(4, 5), SYNTHVID_VERSION(5, 3)};
    for (unsigned i = 0; i < 4; i++) {
        struct synthvid_version_req r = {bad[i]};
        guest_send(SYNTHVID_VERSION_REQUEST, &r, sizeof(r));
        struct synthvid_version_resp resp;
        assert_int_equal(last()->len, 16 + sizeof(resp));
        memcpy(&resp, last()->data + 16, sizeof(resp));
        assert_int_equal(resp.version, bad[i]);
        assert_int_equal(resp.is_accepted, 0);
    }
    /* nothing else before a version is agreed */
    struct synthvid_resolution_req rr = {64};
    refused(SYNTHVID_RESOLUTION_REQUEST, &rr, sizeof(rr));
    /* the fall back Linux makes at VMBus 4.0 and 5.0 */
    struct hvfb g;
    memset(&g, 0, sizeof(g));
    g.seen = F()->nsent;
    assert_int_equal(negotiate_ver(&g, SYNTHVID_VERSION_WIN8), 0);
    struct synthvid_version_resp resp;
    memcpy(&resp, g.init_buf + 16, sizeof(resp));
    assert_int_equal(resp.version, SYNTHVID_VERSION_WIN8);
    assert_int_equal(resp.is_accepted, SYNTHVID_ACCEPTED);
    assert_int_equal(resp.max_video_outputs, 1);
    /* asked again once agreed: refused */
    struct synthvid_version_req again = {SYNTHVID_VERSION_WIN10};
    refused(SYNTHVID_VERSION_REQUEST, &again, sizeof(again));
    /* resolutions are 3.5's */
    refused(SYNTHVID_RESOLUTION_REQUEST, &rr, sizeof(rr));
    /* a close forgets the version */
    close_channel();
    open_channel();
    agree(SYNTHVID_VERSION_WIN10);
    assert_int_equal(log_count("version 3.5 agreed"), 1);
    /* a bad-version fault (docs/faults.md): accepted, answered with a version
     * the guest did not ask for; the host serves what was asked */
    close_channel();
    open_channel();
    F()->fault_version = 9u << 16;
    struct synthvid_version_req ask = {SYNTHVID_VERSION_WIN10};
    guest_send(SYNTHVID_VERSION_REQUEST, &ask, sizeof(ask));
    memcpy(&resp, last()->data + 16, sizeof(resp));
    assert_int_equal(resp.version, SYNTHVID_VERSION(9, 0));
    assert_int_equal(resp.is_accepted, SYNTHVID_ACCEPTED);
    assert_int_equal(log_count("version 3.5 agreed"), 2);
    F()->fault_version = 0;
}

static void resolution_response(uint8_t max, struct synthvid_resolution_resp *r,
                                struct synthvid_screen_size *sizes)
{
    struct synthvid_resolution_req req = {max};
    guest_send(SYNTHVID_RESOLUTION_REQUEST, &req, sizeof(req));
    assert_int_equal(last_type(), SYNTHVID_RESOLUTION_RESPONSE);
    memcpy(r, last()->data + 16, sizeof(*r));
    assert_int_equal(last()->len, 16 + sizeof(*r) + 4u * r->resolution_count);
    memcpy(sizes, last()->data + 16 + sizeof(*r), 4u * r->resolution_count);
}

static void resolutions(void **state)
{
    (void)state;
    struct synthvid_resolution_resp r;
    struct synthvid_screen_size s[64];
    agree(SYNTHVID_VERSION_WIN10);
    resolution_response(64, &r, s);
    /* 8 MiB: everything up to 1920x1080 (8,294,400 bytes), ascending size */
    assert_int_equal(r.resolution_count, 12);
    assert_int_equal(r.default_resolution_index, 2);
    assert_int_equal(r.is_standard, 0);
    assert_int_equal(s[0].width, 640);
    assert_int_equal(s[0].height, 480);
    assert_int_equal(s[2].width, 1024);
    assert_int_equal(s[2].height, 768);
    assert_int_equal(s[11].width, 1920);
    assert_int_equal(s[11].height, 1080);
    for (unsigned i = 0; i < r.resolution_count; i++) {
        uint64_t bytes = (uint64_t)s[i].width * s[i].height * 4;
        assert_true(bytes <= 8 * MiB);
        assert_true(s[i].width >= 640 && s[i].height >= 480); /* HVFB_*_MIN */
        if (i)
            assert_true(bytes >= (uint64_t)s[i - 1].width * s[i - 1].height * 4);
    }
    /* the EDID: header, checksum, name */
    static const uint8_t header[8] = {0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0};
    assert_memory_equal(r.edid, header, 8);
    uint8_t sum = 0;
    for (unsigned i = 0; i < 128; i++)
        sum = (uint8_t)(sum + r.edid[i]);
    assert_int_equal(sum, 0);
    assert_memory_equal(r.edid + 72 + 5, "vmbhv\n", 6);
    /* fewer asked: the first ones, the default kept inside */
    resolution_response(3, &r, s);
    assert_int_equal(r.resolution_count, 3);
    assert_int_equal(r.default_resolution_index, 2);
    resolution_response(2, &r, s);
    assert_int_equal(r.resolution_count, 2);
    assert_int_equal(r.default_resolution_index, 1);
    resolution_response(0, &r, s);
    assert_int_equal(r.resolution_count, 0);
    assert_int_equal(r.default_resolution_index, 0);
    /* more than 64 asked: what there is */
    resolution_response(255, &r, s);
    assert_int_equal(r.resolution_count, 12);
    /* per VRAM size */
    struct synthvid_screen_size l[64];
    unsigned def;
    assert_int_equal(video_resolutions(4 * MiB, l, 64, &def), 6); /* .. 1280x800 */
    assert_int_equal(l[5].width, 1280);
    assert_int_equal(l[5].height, 800);
    assert_int_equal(def, 2);
    assert_int_equal(video_resolutions(1024 * MiB, l, 64, &def), 16); /* .. 3840x2160 */
    assert_int_equal(video_resolutions(16 * MiB, l, 64, &def), 15);
    assert_int_equal(video_resolutions(1 * MiB, l, 64, &def), 0);
    assert_int_equal(def, 0);
    assert_int_equal(video_stats.rejected, 0);
}

/* A Linux guest whose list fails keeps 1152x864: every VRAM accepted holds it. */
static void smallest_vram(void **state)
{
    (void)state;
    struct hv_device_config d = {.name = "v"};
    VMBCHANNEL c;
    assert_int_equal(video_create(&d, 3, &platform, &c), STATUS_INVALID_PARAMETER);
    assert_int_equal(video_create(&d, 65, &platform, &c), STATUS_INVALID_PARAMETER);
    assert_int_equal(video_create(&d, 0, &platform, &c), STATUS_INVALID_PARAMETER);
    fake_kmcl_reset();
    create(4, &platform);
    open_channel();
    struct hvfb g;
    assert_int_equal(probe(&g, VMBUS_3_0, GRANT_BASE), 0);
    assert_int_equal(g.width, 1152);
    assert_int_equal(plat.mode.width, 1152);
    assert_int_equal(plat.size, 4 * MiB);
}

static void vram_outside_the_grant(void **state)
{
    (void)state;
    agree(SYNTHVID_VERSION_WIN10);
    static const uint64_t bad[] = {
        GRANT_BASE - 0x100000,         /* below */
        GRANT_BASE + 0x1000,           /* runs one page past the end */
        GRANT_BASE + 0x100000,         /* runs 1 MiB past the end */
        GRANT_BASE + 8 * MiB,          /* just after */
        0xc0000000,                    /* guest RAM or the low MMIO */
        0,                             /* */
        0xfffffffffff00000ull,         /* the end wraps */
        GRANT_BASE - 8 * MiB + 0x1000, /* ends inside, starts below */
    };
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct synthvid_vram_location loc = {bad[i], 1, bad[i]};
        refused(SYNTHVID_VRAM_LOCATION, &loc, sizeof(loc));
    }
    assert_int_equal(log_count("outside the channel's grant"), 8);
    struct synthvid_vram_location odd = {GRANT_BASE + 8, 1, GRANT_BASE + 8};
    refused(SYNTHVID_VRAM_LOCATION, &odd, sizeof(odd));
    assert_int_equal(plat.backs, 0);
    /* the Linux probe with VRAM placed outside: no ACK, it times out */
    struct hvfb g;
    close_channel();
    open_channel();
    assert_int_equal(probe(&g, VMBUS_5_3, GRANT_BASE + 16 * MiB), -1);
    assert_string_equal(g.error, "Time out on waiting vram location ack");
    /* a bigger grant (optional megabytes): any place inside is fine */
    F()->mmio_size = 64 * MiB;
    close_channel();
    open_channel();
    assert_int_equal(probe(&g, VMBUS_5_3, GRANT_BASE + 56 * MiB), 0);
    assert_int_equal(plat.gpa, GRANT_BASE + 56 * MiB);
    struct synthvid_vram_location odd2 = {GRANT_BASE + 0x800, 1, GRANT_BASE + 0x800};
    refused(SYNTHVID_VRAM_LOCATION, &odd2, sizeof(odd2));
    assert_int_equal(plat.backs, 1);
    /* no grant at all (the channel was never enabled) */
    F()->mmio_size = 0;
    F()->mmio_base = 0;
    close_channel();
    open_channel();
    assert_int_equal(probe(&g, VMBUS_5_3, 0), -1);
}

static void vram_backing(void **state)
{
    (void)state;
    struct hvfb g;
    /* the platform cannot back it: refused, not ACKed */
    plat.back_rc = -1;
    assert_int_equal(probe(&g, VMBUS_5_3, GRANT_BASE), -1);
    assert_string_equal(g.error, "Time out on waiting vram location ack");
    assert_int_equal(plat.backs, 1);
    assert_int_equal(log_count("backing failed (-1)"), 1);
    plat.back_rc = 0;
    close_channel();
    assert_int_equal(plat.unbacks, 0); /* nothing was backed */
    /* no platform at all */
    fake_kmcl_reset();
    memset(&plat, 0, sizeof(plat));
    create(8, NULL);
    open_channel();
    assert_int_equal(probe(&g, VMBUS_5_3, GRANT_BASE), -1);
    assert_int_equal(log_count("this platform cannot back VRAM"), 1);
    /* a platform with only back_vram: the rest is optional */
    static const struct video_platform minimal = {&plat, back, NULL, NULL, NULL};
    fake_kmcl_reset();
    create(8, &minimal);
    open_channel();
    assert_int_equal(probe(&g, VMBUS_5_3, GRANT_BASE), 0);
    guest_dirt(&g, 0, 0, 10, 10);
    assert_int_equal(video_stats.dirt, 1);
    close_channel();
}

static void vram_moved_and_cleared(void **state)
{
    (void)state;
    F()->mmio_size = 32 * MiB;
    agree(SYNTHVID_VERSION_WIN10);
    place_vram(GRANT_BASE);
    assert_int_equal(plat.backs, 1);
    /* the same place again: ACKed, not backed twice */
    place_vram(GRANT_BASE);
    assert_int_equal(plat.backs, 1);
    assert_int_equal(plat.unbacks, 0);
    situ(1024, 768, 4096, 0, 32);
    assert_int_equal(last_type(), SYNTHVID_FEATURE_CHANGE);
    /* moved: the old range goes, the mode is forgotten, dirt asked again */
    place_vram(GRANT_BASE + 16 * MiB);
    assert_int_equal(plat.unbacks, 1);
    assert_int_equal(plat.unback_gpa, GRANT_BASE);
    assert_int_equal(plat.backs, 2);
    assert_int_equal(plat.gpa, GRANT_BASE + 16 * MiB);
    struct synthvid_rect r = {0, 0, 10, 10};
    dirt_rects(&r, 1, 1);
    assert_int_equal(plat.dirts, 0);
    situ(1024, 768, 4096, 0, 32);
    assert_int_equal(last_type(), SYNTHVID_FEATURE_CHANGE);
    /* cleared: unbacked, ACKed with the guest's context */
    struct synthvid_vram_location none = {0x1234, 0, 0};
    guest_send(SYNTHVID_VRAM_LOCATION, &none, sizeof(none));
    assert_int_equal(last_type(), SYNTHVID_VRAM_LOCATION_ACK);
    uint64_t ctx;
    memcpy(&ctx, last()->data + 16, 8);
    assert_int_equal(ctx, 0x1234);
    assert_int_equal(plat.unbacks, 2);
    situ(1024, 768, 4096, 0, 32);
    assert_int_equal(last_type(), SYNTHVID_VRAM_LOCATION_ACK); /* refused: no VRAM */
    close_channel();
    assert_int_equal(plat.unbacks, 2); /* nothing left to release */
}

static void hostile_framing(void **state)
{
    (void)state;
    uint8_t p[64];
    memset(p, 0, sizeof(p));
    /* shorter than the headers */
    for (uint32_t len = 0; len < 16; len++)
        raw(p, len, VMBUS_PKT_DATA_INBAND);
    /* not in-band */
    raw(p, 32, VMBUS_PKT_COMP);
    raw(p, 32, VMBUS_PKT_DATA_USING_GPA_DIRECT);
    struct synthvid_pipe_hdr pipe;
    struct synthvid_hdr h;
    /* pipe type not DATA */
    pipe = (struct synthvid_pipe_hdr){0, 12};
    h = (struct synthvid_hdr){SYNTHVID_VERSION_REQUEST, 12};
    memcpy(p, &pipe, 8);
    memcpy(p + 8, &h, 8);
    raw(p, 24, VMBUS_PKT_DATA_INBAND);
    /* pipe size past the packet */
    pipe = (struct synthvid_pipe_hdr){1, 0xfffffff8u};
    memcpy(p, &pipe, 8);
    raw(p, 24, VMBUS_PKT_DATA_INBAND);
    pipe = (struct synthvid_pipe_hdr){1, 17};
    memcpy(p, &pipe, 8);
    raw(p, 24, VMBUS_PKT_DATA_INBAND);
    /* message size below its header, above the pipe's */
    pipe = (struct synthvid_pipe_hdr){1, 16};
    h = (struct synthvid_hdr){SYNTHVID_VERSION_REQUEST, 7};
    memcpy(p, &pipe, 8);
    memcpy(p + 8, &h, 8);
    raw(p, 24, VMBUS_PKT_DATA_INBAND);
    h.size = 17;
    memcpy(p + 8, &h, 8);
    raw(p, 24, VMBUS_PKT_DATA_INBAND);
    h.size = 0xffffffffu;
    memcpy(p + 8, &h, 8);
    raw(p, 24, VMBUS_PKT_DATA_INBAND);
    assert_int_equal(sent(), 0);
    assert_int_equal(video_stats.rejected, 16 + 2 + 6);
    /* the log budget: 8 lines, then only counted */
    assert_int_equal(log_count("hv: video: video0: refused"), 8);
    /* a well-framed request still works */
    agree(SYNTHVID_VERSION_WIN10);
    /* a request padded by the ring (pipe and message sizes below the length) */
    struct synthvid_resolution_req rr = {64};
    guest_send(SYNTHVID_RESOLUTION_REQUEST, &rr, sizeof(rr));
    assert_int_equal(last_type(), SYNTHVID_RESOLUTION_RESPONSE);
}

static void hostile_messages(void **state)
{
    (void)state;
    uint8_t junk[64];
    memset(junk, 0xa5, sizeof(junk));
    /* types the guest never sends */
    static const uint32_t types[] = {SYNTHVID_ERROR,
                                     SYNTHVID_VERSION_RESPONSE,
                                     SYNTHVID_VRAM_LOCATION_ACK,
                                     SYNTHVID_SITUATION_UPDATE_ACK,
                                     SYNTHVID_FEATURE_CHANGE,
                                     SYNTHVID_BIOS_INFO_REQUEST,
                                     SYNTHVID_BIOS_INFO_RESPONSE,
                                     SYNTHVID_RESOLUTION_RESPONSE,
                                     SYNTHVID_CAPABILITY_REQUEST,
                                     SYNTHVID_CAPABILITY_RESPONSE,
                                     17,
                                     99,
                                     0xffffffffu};
    for (unsigned i = 0; i < sizeof(types) / sizeof(types[0]); i++)
        refused(types[i], junk, sizeof(junk));
    /* each message one byte short of its body */
    static const struct {
        uint32_t type, size;
    } shorts[] = {
        {SYNTHVID_VERSION_REQUEST, 4},
        {SYNTHVID_RESOLUTION_REQUEST, 1},
        {SYNTHVID_VRAM_LOCATION, 17},
        {SYNTHVID_SITUATION_UPDATE, 27},
        {SYNTHVID_POINTER_POSITION, 10},
        {SYNTHVID_POINTER_SHAPE, 22},
        {SYNTHVID_DIRT, 2},
    };
    for (unsigned i = 0; i < sizeof(shorts) / sizeof(shorts[0]); i++)
        refused(shorts[i].type, junk, shorts[i].size - 1);
    /* everything but a version request before a version */
    struct synthvid_vram_location loc = {GRANT_BASE, 1, GRANT_BASE};
    refused(SYNTHVID_VRAM_LOCATION, &loc, sizeof(loc));
    refused(SYNTHVID_DIRT, junk, sizeof(junk));
    agree(SYNTHVID_VERSION_WIN10);
    /* situation before a VRAM location */
    struct synthvid_situation_update s;
    memset(&s, 0, sizeof(s));
    s.video_output_count = 1;
    s.video_output[0] = (struct synthvid_output_situation){1, 0, 32, 1024, 768, 4096};
    refused(SYNTHVID_SITUATION_UPDATE, &s, sizeof(s));
    place_vram(GRANT_BASE);
    /* modes that do not fit or make no sense */
    static const struct synthvid_output_situation bad[] = {
        {1, 0, 16, 1024, 768, 2048},  /* 16 bpp */
        {1, 0, 32, 0, 768, 4096},     /* empty */
        {1, 0, 32, 1024, 0, 4096},    /* empty */
        {1, 0, 32, 1024, 768, 4095},  /* pitch below width * 4 */
        {1, 0, 32, 2048, 1100, 8192}, /* 9 MB */
        {1, 0, 32, 0xffffffffu, 0xffffffffu, 0xffffffffu},
        {1, 0, 32, 1024, 0xffffffffu, 4096},                      /* height wraps */
        {1, 0x800000, 32, 1024, 768, 4096},                       /* offset past the VRAM */
        {1, 0xffffffffu, 32, 1, 1, 4},                            /* offset far past */
        {1, 0, 32, 1024, 768, 0xffffffffu},                       /* pitch */
        {1, 0x100000, 32, 1920, 1080, 7680},                      /* fits alone, not at 1 MiB */
        {1, 8 * MiB - 1920 * 1080 * 4 + 4, 32, 1920, 1080, 7680}, /* 4 bytes too many */
    };
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        s.video_output[0] = bad[i];
        refused(SYNTHVID_SITUATION_UPDATE, &s, sizeof(s));
    }
    s.video_output[0] = (struct synthvid_output_situation){1, 0, 32, 1024, 768, 4096};
    s.video_output_count = 0;
    refused(SYNTHVID_SITUATION_UPDATE, &s, sizeof(s));
    s.video_output_count = 2;
    refused(SYNTHVID_SITUATION_UPDATE, &s, sizeof(s));
    /* a pitch wider than the width: 8192 * 1023 + 4096 bytes */
    situ(1024, 1024, 8192, 0, 32);
    assert_int_equal(plat.modes, 1);
    /* exactly fitting: the last pixel is the VRAM's last byte */
    situ(1920, 1080, 7680, 8 * MiB - 1920 * 1080 * 4, 32);
    assert_int_equal(plat.modes, 2);
    assert_int_equal(plat.mode.vram_offset, 8 * MiB - 1920 * 1080 * 4);
    /* pointers: accepted without answer; a huge shape refused */
    unsigned n = sent();
    struct synthvid_pointer_position pp = {1, 0, -5, 100000};
    guest_send(SYNTHVID_POINTER_POSITION, &pp, sizeof(pp));
    struct synthvid_pointer_shape ps = {0xff, 1, 96, 96, 0, 0, {0}};
    guest_send(SYNTHVID_POINTER_SHAPE, &ps, sizeof(ps));
    assert_int_equal(sent(), n);
    uint64_t rejected = video_stats.rejected;
    ps.width = 97;
    guest_send(SYNTHVID_POINTER_SHAPE, &ps, sizeof(ps));
    pp.video_output = 1;
    guest_send(SYNTHVID_POINTER_POSITION, &pp, sizeof(pp));
    assert_int_equal(video_stats.rejected, rejected + 2);
    /* an inactive output: no dirt */
    s.video_output_count = 1;
    s.video_output[0].active = 0;
    guest_send(SYNTHVID_SITUATION_UPDATE, &s, sizeof(s));
    assert_int_equal(plat.modes, 3);
    assert_false(plat.mode.active);
    struct synthvid_rect r = {0, 0, 10, 10};
    rejected = video_stats.rejected;
    dirt_rects(&r, 1, 1);
    assert_int_equal(video_stats.rejected, rejected + 1);
    assert_int_equal(plat.dirts, 0);
}

static void dirt_clipping(void **state)
{
    (void)state;
    struct synthvid_rect r[8];
    /* before any mode */
    agree(SYNTHVID_VERSION_WIN10);
    r[0] = (struct synthvid_rect){0, 0, 10, 10};
    refused(SYNTHVID_DIRT, (uint8_t[]){0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 10, 0, 0, 0, 10, 0, 0, 0}, 18);
    place_vram(GRANT_BASE);
    situ(800, 600, 3200, 0, 32);
    /* several in one message: inside, partly outside (clipped), negative
     * (clipped), entirely outside (refused), inverted (refused), empty
     * (ignored), the whole mode */
    r[0] = (struct synthvid_rect){10, 20, 30, 40};
    r[1] = (struct synthvid_rect){790, 590, 900, 700};
    r[2] = (struct synthvid_rect){-100, -5, 10, 10};
    r[3] = (struct synthvid_rect){800, 0, 900, 10};
    r[4] = (struct synthvid_rect){50, 50, 40, 60};
    r[5] = (struct synthvid_rect){5, 5, 5, 100};
    r[6] = (struct synthvid_rect){INT32_MIN, INT32_MIN, INT32_MAX, INT32_MAX};
    r[7] = (struct synthvid_rect){0, 600, 800, 601};
    uint64_t rejected = video_stats.rejected;
    dirt_rects(r, 8, 8);
    assert_int_equal(plat.dirts, 4);
    assert_int_equal(video_stats.dirt, 4);
    assert_int_equal(video_stats.clipped, 3);
    assert_int_equal(video_stats.rejected, rejected + 3);
    const struct video_rect want[] = {
        {10, 20, 30, 40}, {790, 590, 800, 600}, {0, 0, 10, 10}, {0, 0, 800, 600}};
    for (unsigned i = 0; i < 4; i++)
        assert_memory_equal(&plat.rects[i], &want[i], sizeof(want[i]));
    /* a count the bytes do not hold */
    refused(SYNTHVID_DIRT, (uint8_t[]){0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 10, 0, 0, 0, 10, 0, 0, 0}, 18);
    refused(SYNTHVID_DIRT, (uint8_t[]){0, 255, 0, 0, 0, 0, 0, 0, 0, 0, 10, 0, 0, 0, 10, 0, 0, 0},
            18);
    /* another output */
    refused(SYNTHVID_DIRT, (uint8_t[]){1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 10, 0, 0, 0, 10, 0, 0, 0}, 18);
    /* no rectangles: nothing to do */
    rejected = video_stats.rejected;
    guest_send(SYNTHVID_DIRT, (uint8_t[]){0, 0}, 2);
    assert_int_equal(video_stats.rejected, rejected);
    assert_int_equal(plat.dirts, 4);
    /* more rectangles than the count says: the count rules */
    dirt_rects(r, 3, 1);
    assert_int_equal(plat.dirts, 5);
}

static void ring_full(void **state)
{
    (void)state;
    F()->send_status = STATUS_INSUFFICIENT_RESOURCES;
    struct synthvid_version_req r = {SYNTHVID_VERSION_WIN10};
    guest_send(SYNTHVID_VERSION_REQUEST, &r, sizeof(r));
    assert_int_equal(sent(), 0);
    assert_int_equal(log_count("VERSION_RESPONSE not sent: status 0xc000009a"), 1);
    /* not agreed: the guest's next request is answered */
    F()->send_status = 0;
    agree(SYNTHVID_VERSION_WIN10);
    assert_int_equal(log_count("version 3.5 agreed"), 1);
}

static void feature_change_retried(void **state)
{
    (void)state;
    agree(SYNTHVID_VERSION_WIN10);
    place_vram(GRANT_BASE);
    F()->send_status = STATUS_INSUFFICIENT_RESOURCES;
    situ(1024, 768, 4096, 0, 32); /* ACK and FEATURE_CHANGE lost */
    F()->send_status = 0;
    unsigned n = sent();
    situ(1024, 768, 4096, 0, 32);
    assert_int_equal(sent(), n + 2);
    assert_int_equal(last_type(), SYNTHVID_FEATURE_CHANGE);
    situ(1024, 768, 4096, 0, 32);
    assert_int_equal(sent(), n + 3);
    assert_int_equal(last_type(), SYNTHVID_SITUATION_UPDATE_ACK);
}

static void summary(void **state)
{
    (void)state;
    video_stats = (struct video_stats){5, 2, 3};
    char buf[128];
    size_t n = video_summary(buf, sizeof(buf));
    assert_string_equal(buf, " video_dirt=5 video_clipped=2 video_rejected=3");
    assert_int_equal(n, strlen(buf));
    assert_int_equal(video_summary(buf, 4), n);
}

/* --- the trace decoder ----------------------------------------------------------- */

/* What the video decoder makes of exactly len bytes: fake_decode_checked's full line, failing the
 * test otherwise. */
static const char *vid_decoded(const void *pkt, size_t len)
{
    const char *why, *line = fake_decode_checked(video_trace_decode, pkt, len, &why);
    if (!line)
        fail_msg("%s", why);
    return line;
}

/* pipe + synthvid headers + body into buf; the packet's length. */
static size_t vid_pkt(uint8_t *buf, uint32_t type, const void *body, size_t n)
{
    const uint32_t hdrs[4] = {SYNTHVID_PIPE_DATA, (uint32_t)(8 + n), type, (uint32_t)(8 + n)};
    memcpy(buf, hdrs, sizeof(hdrs));
    memcpy(buf + sizeof(hdrs), body, n);
    return sizeof(hdrs) + n;
}

/* Every prefix short of the packet decodes, saying malformed below the layout. */
static void vid_prefixes(const uint8_t *pkt, size_t len, size_t layout)
{
    for (size_t l = 0; l < len; l++) {
        const char *t = vid_decoded(pkt, l);
        if (l < layout && !strstr(t, "malformed"))
            fail_msg("%zu of %zu bytes decode without saying so: %s", l, len, t);
    }
}

static void trace_decoder(void **state)
{
    (void)state;
    assert_ptr_equal(F()->decode, video_trace_decode);
    uint8_t pkt[512];
    size_t n;
    const struct synthvid_version_req vreq = {SYNTHVID_VERSION_WIN10};
    n = vid_pkt(pkt, SYNTHVID_VERSION_REQUEST, &vreq, sizeof(vreq));
    assert_string_equal(vid_decoded(pkt, n), "vid VERSION_REQUEST version=3.5");
    vid_prefixes(pkt, n, n);
    const struct synthvid_version_resp vres = {SYNTHVID_VERSION_WIN8, SYNTHVID_ACCEPTED, 1};
    n = vid_pkt(pkt, SYNTHVID_VERSION_RESPONSE, &vres, sizeof(vres));
    assert_string_equal(vid_decoded(pkt, n),
                        "vid VERSION_RESPONSE version=3.2 accepted=2 outputs=1");
    const struct synthvid_vram_location vram = {0x100000000ull, 1, 0x100000000ull};
    n = vid_pkt(pkt, SYNTHVID_VRAM_LOCATION, &vram, sizeof(vram));
    assert_string_equal(vid_decoded(pkt, n),
                        "vid VRAM_LOCATION ctx=0x100000000 specified=1 gpa=0x100000000");
    vid_prefixes(pkt, n, n);
    const struct synthvid_vram_location_ack ack = {0x1234};
    n = vid_pkt(pkt, SYNTHVID_VRAM_LOCATION_ACK, &ack, sizeof(ack));
    assert_string_equal(vid_decoded(pkt, n), "vid VRAM_LOCATION_ACK ctx=0x1234");
    const struct synthvid_situation_update situ = {0, 1, {{1, 0, 32, 1024, 768, 4096}}};
    n = vid_pkt(pkt, SYNTHVID_SITUATION_UPDATE, &situ, sizeof(situ));
    assert_string_equal(vid_decoded(pkt, n), "vid SITUATION_UPDATE ctx=0x0 outputs=1 active=1 "
                                             "offset=0 depth=32 1024x768 pitch=4096");
    vid_prefixes(pkt, n, n);
    const struct synthvid_feature_change feat = {1, 0, 1, 0};
    n = vid_pkt(pkt, SYNTHVID_FEATURE_CHANGE, &feat, sizeof(feat));
    assert_string_equal(vid_decoded(pkt, n),
                        "vid FEATURE_CHANGE dirt=1 ptr_pos=0 ptr_shape=1 situation=0");
    const struct synthvid_pointer_position pos = {1, 0, -3, 7};
    n = vid_pkt(pkt, SYNTHVID_POINTER_POSITION, &pos, sizeof(pos));
    assert_string_equal(vid_decoded(pkt, n), "vid POINTER_POSITION visible=1 output=0 x=-3 y=7");
    const struct synthvid_pointer_shape shape = {SYNTHVID_CURSOR_COMPLETE, 1, 1, 1, 0, 0, {0}};
    n = vid_pkt(pkt, SYNTHVID_POINTER_SHAPE, &shape, sizeof(shape));
    assert_string_equal(vid_decoded(pkt, n), "vid POINTER_SHAPE part=0xff argb=1 1x1 hot=0,0");
    uint8_t dirt[2 + 16] = {0, 1};
    const struct synthvid_rect r = {0, 0, 1024, 768};
    memcpy(dirt + 2, &r, sizeof(r));
    n = vid_pkt(pkt, SYNTHVID_DIRT, dirt, sizeof(dirt));
    assert_string_equal(vid_decoded(pkt, n), "vid DIRT output=0 rects=1 first=(0,0)-(1024,768)");
    vid_prefixes(pkt, n, n);
    dirt[1] = 200; /* more rects than fit */
    n = vid_pkt(pkt, SYNTHVID_DIRT, dirt, sizeof(dirt));
    assert_string_equal(vid_decoded(pkt, n), "vid DIRT output=0 rects=200 malformed: 1 rects fit");
    const struct synthvid_resolution_req rreq = {SYNTHVID_MAX_RESOLUTIONS};
    n = vid_pkt(pkt, SYNTHVID_RESOLUTION_REQUEST, &rreq, sizeof(rreq));
    assert_string_equal(vid_decoded(pkt, n), "vid RESOLUTION_REQUEST max=64");
    uint8_t rres[sizeof(struct synthvid_resolution_resp) + 8];
    memset(rres, 0, sizeof(rres));
    rres[128] = 2; /* count */
    rres[129] = 1; /* default */
    const struct synthvid_screen_size sizes[2] = {{640, 480}, {1152, 864}};
    memcpy(rres + sizeof(struct synthvid_resolution_resp), sizes, sizeof(sizes));
    n = vid_pkt(pkt, SYNTHVID_RESOLUTION_RESPONSE, rres, sizeof(rres));
    assert_string_equal(
        vid_decoded(pkt, n),
        "vid RESOLUTION_RESPONSE count=2 default=1 standard=0 default_size=1152x864");
    vid_prefixes(pkt, n, n);
    rres[128] = 9;
    n = vid_pkt(pkt, SYNTHVID_RESOLUTION_RESPONSE, rres, sizeof(rres));
    assert_non_null(
        strstr(vid_decoded(pkt, n), "count=9 default=1 standard=0 malformed: 2 sizes fit"));
    n = vid_pkt(pkt, 99, "", 0);
    assert_string_equal(vid_decoded(pkt, n), "vid type=99 (16 bytes)");
    n = vid_pkt(pkt, SYNTHVID_BIOS_INFO_REQUEST, "ab", 2);
    assert_string_equal(vid_decoded(pkt, n), "vid BIOS_INFO_REQUEST (2 bytes after the headers)");
    assert_string_equal(vid_decoded(pkt, 5),
                        "vid malformed: 5 bytes, shorter than the 16-byte headers");
    srand(10);
    for (unsigned i = 0; i < 3000; i++) {
        uint8_t rnd[200];
        for (size_t k = 0; k < sizeof(rnd); k++)
            rnd[k] = (uint8_t)rand();
        rnd[8] = (uint8_t)(rand() % 18);
        rnd[9] = rnd[10] = rnd[11] = 0;
        vid_decoded(rnd, (size_t)rand() % sizeof(rnd));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(linux_probe_at_every_vmbus_version, setup),
        cmocka_unit_test_setup(linux_session_feature_change_and_dirt, setup),
        cmocka_unit_test_setup(feature_change_after_registration, setup),
        cmocka_unit_test_setup(version_requests, setup),
        cmocka_unit_test_setup(resolutions, setup),
        cmocka_unit_test_setup(smallest_vram, setup),
        cmocka_unit_test_setup(vram_outside_the_grant, setup),
        cmocka_unit_test_setup(vram_backing, setup),
        cmocka_unit_test_setup(vram_moved_and_cleared, setup),
        cmocka_unit_test_setup(hostile_framing, setup),
        cmocka_unit_test_setup(hostile_messages, setup),
        cmocka_unit_test_setup(dirt_clipping, setup),
        cmocka_unit_test_setup(ring_full, setup),
        cmocka_unit_test_setup(feature_change_retried, setup),
        cmocka_unit_test_setup(summary, setup),
        cmocka_unit_test_setup(trace_decoder, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
