/* The Synthetic Video device (docs/video.md). The guest drives: it asks for a
 * version, (3.5) the resolutions, tells where its VRAM is, announces its
 * mode and pointer, and, once asked with FEATURE_CHANGE, names the
 * rectangles it changed. The host answers each request in-band and checks
 * everything the guest says before the platform sees it: the VRAM must lie
 * inside the MMIO the allocator granted this channel and be backed before it
 * is ACKed; a mode must fit the VRAM; a dirty rectangle is clipped to the
 * mode. Whatever is refused is logged (the first few per device) and counted,
 * and gets no answer. */
#include "devices/video.h"

#include <stdarg.h>

#include "lib/config_words.h"
#include "lib/fmt.h"
#include "lib/log.h"
#include "lib/log_once.h"
#include "lib/mem.h"
#include "lib/str.h"

/* da0a7802-e377-4aac-8e77-0558eb1073f8 */
const GUID video_class = {
    0xda0a7802, 0xe377, 0x4aac, {0x8e, 0x77, 0x05, 0x58, 0xeb, 0x10, 0x73, 0xf8}};

#define PAGE_SIZE      4096u
#define REJECTS_LOGGED 8u
#define MODES_LOGGED   8u

/* Smallest first (by bytes at 32 bpp and pitch = width * 4, as Linux lays
 * them out), so those that fit a VRAM are a prefix. */
static const struct synthvid_screen_size resolutions[] = {
    {640, 480},   {800, 600},   {1024, 768},  {1280, 720},  {1152, 864},  {1280, 800},
    {1440, 900},  {1280, 1024}, {1600, 900},  {1680, 1050}, {1600, 1200}, {1920, 1080},
    {1920, 1200}, {2560, 1440}, {2560, 1600}, {3840, 2160},
};
#define NRESOLUTIONS     (sizeof(resolutions) / sizeof(resolutions[0]))
#define DEFAULT_INDEX    2u /* 1024x768 */
#define MODE_BYTES(w, h) ((uint64_t)(w) * (h)*SYNTHVID_BYTES_PER_PIXEL)
_Static_assert(NRESOLUTIONS <= SYNTHVID_MAX_RESOLUTIONS, "one resolution response");
/* Every VRAM vmbhv accepts holds the default and Linux's own fallback. */
_Static_assert(MODE_BYTES(1024, 768) <= (uint64_t)VIDEO_MMIO_MB_MIN << 20, "default fits");
_Static_assert(MODE_BYTES(1152, 864) <= (uint64_t)VIDEO_MMIO_MB_MIN << 20, "Linux's fits");
_Static_assert(MODE_BYTES(1152, 864) > (uint64_t)(VIDEO_MMIO_MB_MIN - 1) << 20, "minimum");

enum video_state {
    VIDEO_CLOSED,
    VIDEO_OPEN,  /* open, no version agreed yet */
    VIDEO_READY, /* version agreed */
};

static struct {
    bool created;
    VMBCHANNEL channel;
    const struct video_platform *platform;
    char name[HV_DEVNAME_MAX];
    uint64_t vram_size; /* bytes: the offer's mmio_megabytes, the guest's VRAM size */
    enum video_state state;
    uint32_t version;
    bool backed; /* [vram_gpa, vram_gpa + vram_size) is backed by the platform */
    uint64_t vram_gpa;
    bool have_mode;
    struct video_mode mode;
    bool feature_sent; /* FEATURE_CHANGE asked for dirt since the VRAM was placed */
    struct log_budget rejects, modes, send_failures;
} v;

struct video_stats video_stats;

static void reject(const char *what, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void reject(const char *what, const char *fmt, ...)
{
    video_stats.rejected++;
    if (!log_budget_take(&v.rejects))
        return;
    char why[160];
    va_list ap;
    va_start(ap, fmt);
    fmt_vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    hv_log("video", "%s: refused %s: %s", v.name, what, why);
}

static const char *type_name(uint32_t type)
{
    static const char *const names[] = {
        "ERROR",
        "VERSION_REQUEST",
        "VERSION_RESPONSE",
        "VRAM_LOCATION",
        "VRAM_LOCATION_ACK",
        "SITUATION_UPDATE",
        "SITUATION_UPDATE_ACK",
        "POINTER_POSITION",
        "POINTER_SHAPE",
        "FEATURE_CHANGE",
        "DIRT",
        "BIOS_INFO_REQUEST",
        "BIOS_INFO_RESPONSE",
        "RESOLUTION_REQUEST",
        "RESOLUTION_RESPONSE",
        "CAPABILITY_REQUEST",
        "CAPABILITY_RESPONSE",
    };
    return type < sizeof(names) / sizeof(names[0]) ? names[type] : "message";
}

unsigned video_resolutions(uint64_t vram_bytes, struct synthvid_screen_size *out, unsigned cap,
                           unsigned *default_index)
{
    unsigned n = 0;
    while (n < NRESOLUTIONS &&
           MODE_BYTES(resolutions[n].width, resolutions[n].height) <= vram_bytes)
        n++;
    if (n > cap)
        n = cap;
    for (unsigned i = 0; i < n; i++)
        out[i] = resolutions[i];
    if (default_index)
        *default_index = n == 0 ? 0 : DEFAULT_INDEX < n ? DEFAULT_INDEX : n - 1;
    return n;
}

void video_edid(uint8_t e[SYNTHVID_EDID_SIZE])
{
    static const uint8_t header[8] = {0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00};
    /* 1024x768 at 60 Hz (VESA DMT): 65 MHz, blanking 320 x 38, front porch
     * 24 / 3, sync 136 / 6, both syncs negative. */
    static const uint8_t timing[18] = {0x64, 0x19, 0x00, 0x40, 0x41, 0x00, 0x26, 0x30, 0x18,
                                       0x88, 0x36, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x18};
    static const uint8_t name[18] = {0x00, 0x00, 0x00, 0xfc, 0x00, 'v', 'm', 'b', 'h',
                                     'v',  '\n', ' ',  ' ',  ' ',  ' ', ' ', ' ', ' '};
    /* 24-75 Hz, 15-255 kHz, 600 MHz, no secondary timing formula */
    static const uint8_t range[18] = {0x00, 0x00, 0x00, 0xfd, 0x00, 24,  75,  15,  255,
                                      60,   0x00, 0x0a, ' ',  ' ',  ' ', ' ', ' ', ' '};
    static const uint8_t dummy[18] = {0x00, 0x00, 0x00, 0x10};
    memset(e, 0, SYNTHVID_EDID_SIZE);
    memcpy(e, header, sizeof(header));
    uint16_t id = (uint16_t)(('V' - 'A' + 1) << 10 | ('M' - 'A' + 1) << 5 | ('B' - 'A' + 1));
    e[8] = (uint8_t)(id >> 8);
    e[9] = (uint8_t)id;
    e[10] = 1;  /* product code */
    e[17] = 35; /* 2025 */
    e[18] = 1;  /* EDID 1.3 */
    e[19] = 3;
    e[20] = 0x80; /* digital input */
    e[23] = 120;  /* gamma 2.2 */
    e[24] = 0x02; /* RGB, the first detailed timing is preferred */
    e[35] = 0x21; /* established: 640x480 and 800x600 at 60 Hz */
    e[36] = 0x08; /* 1024x768 at 60 Hz */
    for (unsigned i = 38; i < 54; i++)
        e[i] = 0x01; /* no standard timings */
    memcpy(e + 54, timing, 18);
    memcpy(e + 72, name, 18);
    memcpy(e + 90, range, 18);
    memcpy(e + 108, dummy, 18);
    uint8_t sum = 0;
    for (unsigned i = 0; i < SYNTHVID_EDID_SIZE - 1; i++)
        sum = (uint8_t)(sum + e[i]);
    e[SYNTHVID_EDID_SIZE - 1] = (uint8_t)(0x100 - sum);
}

/* A message to the guest: pipe header, synthvid header, body. */
static NTSTATUS send(uint32_t type, const void *body, uint32_t len)
{
    static uint8_t pkt[SYNTHVID_HDRS_SIZE + sizeof(struct synthvid_resolution_resp) +
                       SYNTHVID_MAX_RESOLUTIONS * sizeof(struct synthvid_screen_size)];
    _Static_assert(sizeof(pkt) <= VMBUS_MAX_PAYLOAD, "every answer fits one packet");
    if (len > sizeof(pkt) - SYNTHVID_HDRS_SIZE)
        return STATUS_INVALID_PARAMETER;
    struct synthvid_pipe_hdr pipe = {SYNTHVID_PIPE_DATA,
                                     (uint32_t)sizeof(struct synthvid_hdr) + len};
    struct synthvid_hdr h = {type, (uint32_t)sizeof(struct synthvid_hdr) + len};
    memcpy(pkt, &pipe, sizeof(pipe));
    memcpy(pkt + sizeof(pipe), &h, sizeof(h));
    memcpy(pkt + SYNTHVID_HDRS_SIZE, body, len);
    NTSTATUS s = VmbChannelSendPacket(v.channel, pkt, (UINT32)SYNTHVID_HDRS_SIZE + len, 0);
    if (!NT_SUCCESS(s) && log_budget_take(&v.send_failures))
        hv_log("video", "%s: %s not sent: status 0x%08x", v.name, type_name(type), (UINT32)s);
    return s;
}

static void release_vram(void)
{
    if (!v.backed)
        return;
    if (v.platform && v.platform->unback_vram)
        v.platform->unback_vram(v.platform->ctx, v.vram_gpa, v.vram_size);
    hv_log("video", "%s: VRAM at 0x%llx released", v.name, (unsigned long long)v.vram_gpa);
    v.backed = false;
    v.have_mode = false;
    v.feature_sent = false;
}

static void version_request(const uint8_t *body)
{
    struct synthvid_version_req req;
    memcpy(&req, body, sizeof(req));
    uint32_t major = SYNTHVID_VERSION_MAJOR(req.version),
             minor = SYNTHVID_VERSION_MINOR(req.version);
    if (v.state == VIDEO_READY) {
        reject("VERSION_REQUEST", "version %u.%u asked after %u.%u was agreed", major, minor,
               SYNTHVID_VERSION_MAJOR(v.version), SYNTHVID_VERSION_MINOR(v.version));
        return;
    }
    bool ok = req.version == SYNTHVID_VERSION_WIN10 || req.version == SYNTHVID_VERSION_WIN8;
    struct synthvid_version_resp resp = {
        .version = req.version,
        .is_accepted = ok ? SYNTHVID_ACCEPTED : SYNTHVID_REFUSED,
        .max_video_outputs = 1,
    };
    UINT32 bad = VmbChannelFaultVersion(v.channel); /* docs/faults.md, bad-version */
    if (bad)
        resp.version = SYNTHVID_VERSION(bad >> 16, bad & 0xffff);
    if (!ok)
        reject("VERSION_REQUEST", "version %u.%u (serves 3.5 and 3.2)", major, minor);
    if (NT_SUCCESS(send(SYNTHVID_VERSION_RESPONSE, &resp, sizeof(resp))) && ok) {
        v.state = VIDEO_READY;
        v.version = req.version;
        hv_log("video", "%s: version %u.%u agreed", v.name, major, minor);
    }
}

static void resolution_request(const uint8_t *body)
{
    struct synthvid_resolution_req req;
    memcpy(&req, body, sizeof(req));
    if (v.version != SYNTHVID_VERSION_WIN10) {
        reject("RESOLUTION_REQUEST", "needs version 3.5, 3.2 was agreed");
        return;
    }
    uint8_t msg[sizeof(struct synthvid_resolution_resp) +
                SYNTHVID_MAX_RESOLUTIONS * sizeof(struct synthvid_screen_size)];
    struct synthvid_resolution_resp r;
    struct synthvid_screen_size sizes[SYNTHVID_MAX_RESOLUTIONS];
    unsigned cap = req.maximum_resolution_count < SYNTHVID_MAX_RESOLUTIONS
                       ? req.maximum_resolution_count
                       : SYNTHVID_MAX_RESOLUTIONS;
    unsigned def, n = video_resolutions(v.vram_size, sizes, cap, &def);
    video_edid(r.edid);
    r.resolution_count = (uint8_t)n;
    r.default_resolution_index = (uint8_t)def;
    r.is_standard = 0;
    memcpy(msg, &r, sizeof(r));
    memcpy(msg + sizeof(r), sizes, n * sizeof(sizes[0]));
    send(SYNTHVID_RESOLUTION_RESPONSE, msg, (uint32_t)(sizeof(r) + n * sizeof(sizes[0])));
}

static void vram_location(const uint8_t *body)
{
    struct synthvid_vram_location loc;
    memcpy(&loc, body, sizeof(loc));
    struct synthvid_vram_location_ack ack = {loc.user_ctx};
    if (!loc.is_vram_gpa_specified) {
        release_vram();
        send(SYNTHVID_VRAM_LOCATION_ACK, &ack, sizeof(ack));
        return;
    }
    uint64_t gpa = loc.vram_gpa, end = gpa + v.vram_size;
    UINT64 base = 0, size = 0;
    VmbChannelGetMmioSpace(v.channel, &base, &size);
    if (gpa & (PAGE_SIZE - 1)) {
        reject("VRAM_LOCATION", "0x%llx is not page aligned", (unsigned long long)gpa);
        return;
    }
    if (size == 0 || gpa < base || gpa - base > size || size - (gpa - base) < v.vram_size) {
        reject("VRAM_LOCATION", "0x%llx-0x%llx lies outside the channel's grant 0x%llx-0x%llx",
               (unsigned long long)gpa, (unsigned long long)(end - 1), (unsigned long long)base,
               (unsigned long long)(base + size - 1));
        return;
    }
    if (v.backed && v.vram_gpa == gpa) {
        send(SYNTHVID_VRAM_LOCATION_ACK, &ack, sizeof(ack));
        return;
    }
    release_vram();
    if (!v.platform || !v.platform->back_vram) {
        reject("VRAM_LOCATION", "0x%llx: this platform cannot back VRAM", (unsigned long long)gpa);
        return;
    }
    int rc = v.platform->back_vram(v.platform->ctx, gpa, v.vram_size);
    if (rc) {
        reject("VRAM_LOCATION", "0x%llx: backing failed (%d)", (unsigned long long)gpa, rc);
        return;
    }
    v.backed = true;
    v.vram_gpa = gpa;
    hv_log("video", "%s: VRAM at 0x%llx-0x%llx (%llu MiB) backed", v.name, (unsigned long long)gpa,
           (unsigned long long)(end - 1), (unsigned long long)(v.vram_size >> 20));
    send(SYNTHVID_VRAM_LOCATION_ACK, &ack, sizeof(ack));
}

static void situation_update(const uint8_t *body)
{
    struct synthvid_situation_update s;
    memcpy(&s, body, sizeof(s));
    const struct synthvid_output_situation *o = &s.video_output[0];
    if (!v.backed) {
        reject("SITUATION_UPDATE", "no VRAM location was accepted");
        return;
    }
    if (s.video_output_count != 1) {
        reject("SITUATION_UPDATE", "%u outputs (serves 1)", s.video_output_count);
        return;
    }
    struct video_mode m = {0};
    m.active = o->active != 0;
    if (m.active) {
        if (o->depth_bits != SYNTHVID_DEPTH) {
            reject("SITUATION_UPDATE", "%u bits per pixel (serves 32)", o->depth_bits);
            return;
        }
        if (o->width_pixels == 0 || o->height_pixels == 0) {
            reject("SITUATION_UPDATE", "empty mode %ux%u", o->width_pixels, o->height_pixels);
            return;
        }
        if ((uint64_t)o->width_pixels * SYNTHVID_BYTES_PER_PIXEL > o->pitch_bytes) {
            reject("SITUATION_UPDATE", "pitch %u below width %u * 4", o->pitch_bytes,
                   o->width_pixels);
            return;
        }
        uint64_t need = (uint64_t)o->vram_offset +
                        (uint64_t)o->pitch_bytes * (o->height_pixels - 1) +
                        (uint64_t)o->width_pixels * SYNTHVID_BYTES_PER_PIXEL;
        if (need > v.vram_size) {
            reject("SITUATION_UPDATE", "mode %ux%u pitch %u at %u needs %llu bytes, VRAM has %llu",
                   o->width_pixels, o->height_pixels, o->pitch_bytes, o->vram_offset,
                   (unsigned long long)need, (unsigned long long)v.vram_size);
            return;
        }
        m.width = o->width_pixels;
        m.height = o->height_pixels;
        m.pitch = o->pitch_bytes;
        m.vram_offset = o->vram_offset;
        m.depth_bits = o->depth_bits;
    }
    bool changed = !v.have_mode || memcmp(&m, &v.mode, sizeof(m)) != 0;
    v.mode = m;
    v.have_mode = true;
    if (changed && log_budget_take(&v.modes)) {
        if (m.active)
            hv_log("video", "%s: mode %ux%u, pitch %u, 32 bpp", v.name, m.width, m.height, m.pitch);
        else
            hv_log("video", "%s: output off", v.name);
    }
    if (v.platform && v.platform->mode)
        v.platform->mode(v.platform->ctx, &m);
    struct synthvid_situation_update_ack ack = {s.user_ctx};
    send(SYNTHVID_SITUATION_UPDATE_ACK, &ack, sizeof(ack));
    if (!v.feature_sent && m.active) {
        /* Once per VRAM placement: the guest answers a FEATURE_CHANGE with
         * another SITUATION_UPDATE once its framebuffer is registered, and
         * that must not ask again. */
        struct synthvid_feature_change f = {.is_dirt_needed = 1};
        if (NT_SUCCESS(send(SYNTHVID_FEATURE_CHANGE, &f, sizeof(f))))
            v.feature_sent = true;
    }
}

static void pointer_position(const uint8_t *body)
{
    struct synthvid_pointer_position p;
    memcpy(&p, body, sizeof(p));
    if (p.video_output != 0)
        reject("POINTER_POSITION", "output %u (serves 0)", p.video_output);
    /* No pointer is drawn yet: accepted and dropped. */
}

static void pointer_shape(const uint8_t *body)
{
    struct synthvid_pointer_shape p;
    memcpy(&p, body, sizeof(p));
    if (p.width > SYNTHVID_CURSOR_MAX_X || p.height > SYNTHVID_CURSOR_MAX_Y)
        reject("POINTER_SHAPE", "%ux%u is larger than 96x96", p.width, p.height);
}

static void dirt(const uint8_t *body, uint32_t len)
{
    struct synthvid_dirt d;
    memcpy(&d, body, sizeof(d));
    if (d.video_output != 0) {
        reject("DIRT", "output %u (serves 0)", d.video_output);
        return;
    }
    if ((len - sizeof(d)) / sizeof(struct synthvid_rect) < d.dirt_count) {
        reject("DIRT", "%u rectangles in %u bytes", d.dirt_count, len);
        return;
    }
    if (!v.have_mode || !v.mode.active) {
        reject("DIRT", "no active mode was announced");
        return;
    }
    for (unsigned i = 0; i < d.dirt_count; i++) {
        struct synthvid_rect r;
        memcpy(&r, body + sizeof(d) + i * sizeof(r), sizeof(r));
        if (r.x1 > r.x2 || r.y1 > r.y2) {
            reject("DIRT", "inverted rectangle (%d,%d)-(%d,%d)", r.x1, r.y1, r.x2, r.y2);
            continue;
        }
        if (r.x1 == r.x2 || r.y1 == r.y2)
            continue; /* empty: Linux sends one at the bottom edge now and then */
        int64_t x1 = r.x1 < 0 ? 0 : r.x1, y1 = r.y1 < 0 ? 0 : r.y1;
        int64_t x2 = r.x2 > (int64_t)v.mode.width ? (int64_t)v.mode.width : r.x2;
        int64_t y2 = r.y2 > (int64_t)v.mode.height ? (int64_t)v.mode.height : r.y2;
        if (x1 >= x2 || y1 >= y2) {
            reject("DIRT", "rectangle (%d,%d)-(%d,%d) lies outside the %ux%u mode", r.x1, r.y1,
                   r.x2, r.y2, v.mode.width, v.mode.height);
            continue;
        }
        if (x1 != r.x1 || y1 != r.y1 || x2 != r.x2 || y2 != r.y2)
            video_stats.clipped++;
        video_stats.dirt++;
        struct video_rect out = {(uint32_t)x1, (uint32_t)y1, (uint32_t)x2, (uint32_t)y2};
        if (v.platform && v.platform->dirty)
            v.platform->dirty(v.platform->ctx, &out);
    }
}

/* The smallest body of each guest -> host message; 0: not one the guest sends. */
static uint32_t min_body(uint32_t type)
{
    switch (type) {
    case SYNTHVID_VERSION_REQUEST:
        return sizeof(struct synthvid_version_req);
    case SYNTHVID_VRAM_LOCATION:
        return sizeof(struct synthvid_vram_location);
    case SYNTHVID_SITUATION_UPDATE:
        return sizeof(struct synthvid_situation_update);
    case SYNTHVID_POINTER_POSITION:
        return sizeof(struct synthvid_pointer_position);
    case SYNTHVID_POINTER_SHAPE:
        return sizeof(struct synthvid_pointer_shape);
    case SYNTHVID_DIRT:
        return sizeof(struct synthvid_dirt);
    case SYNTHVID_RESOLUTION_REQUEST:
        return sizeof(struct synthvid_resolution_req);
    }
    return 0;
}

static void process(VMBCHANNEL channel, const VOID *buffer, UINT32 length, UINT16 type,
                    UINT64 transaction_id)
{
    (void)channel;
    (void)transaction_id;
    const uint8_t *p = buffer;
    struct synthvid_pipe_hdr pipe;
    struct synthvid_hdr h;
    if (type != VMB_PACKET_TYPE_DATA_INBAND) {
        reject("packet", "VMBus packet type %u, not in-band data", type);
        return;
    }
    if (length < SYNTHVID_HDRS_SIZE) {
        reject("packet", "%u bytes, shorter than its headers", length);
        return;
    }
    memcpy(&pipe, p, sizeof(pipe));
    memcpy(&h, p + sizeof(pipe), sizeof(h));
    if (pipe.type != SYNTHVID_PIPE_DATA) {
        reject("packet", "pipe message type %u, not data", pipe.type);
        return;
    }
    if (pipe.size > length - sizeof(pipe) || h.size < sizeof(h) || h.size > pipe.size) {
        reject("packet", "sizes pipe %u, message %u in a packet of %u bytes", pipe.size, h.size,
               length);
        return;
    }
    uint32_t body_len = h.size - (uint32_t)sizeof(h);
    const uint8_t *body = p + SYNTHVID_HDRS_SIZE;
    uint32_t need = min_body(h.type);
    if (need == 0) {
        reject(type_name(h.type), "type %u is not one the guest sends", h.type);
        return;
    }
    if (body_len < need) {
        reject(type_name(h.type), "%u bytes, needs %u", body_len, need);
        return;
    }
    if (h.type != SYNTHVID_VERSION_REQUEST && v.state != VIDEO_READY) {
        reject(type_name(h.type), "no version agreed yet");
        return;
    }
    switch (h.type) {
    case SYNTHVID_VERSION_REQUEST:
        version_request(body);
        break;
    case SYNTHVID_RESOLUTION_REQUEST:
        resolution_request(body);
        break;
    case SYNTHVID_VRAM_LOCATION:
        vram_location(body);
        break;
    case SYNTHVID_SITUATION_UPDATE:
        situation_update(body);
        break;
    case SYNTHVID_POINTER_POSITION:
        pointer_position(body);
        break;
    case SYNTHVID_POINTER_SHAPE:
        pointer_shape(body);
        break;
    case SYNTHVID_DIRT:
        dirt(body, body_len);
        break;
    }
}

static NTSTATUS opened(VMBCHANNEL channel)
{
    (void)channel;
    v.state = VIDEO_OPEN;
    v.version = 0;
    return STATUS_SUCCESS;
}

static void closed(VMBCHANNEL channel)
{
    (void)channel;
    release_vram();
    v.state = VIDEO_CLOSED;
    v.version = 0;
}

/* --- the trace decoder ---------------------------------------------------------- */

static const struct {
    const char *name;
    uint16_t size; /* the message's least size after the two headers */
} vid_msgs[] = {
    [SYNTHVID_ERROR] = {"ERROR", 0},
    [SYNTHVID_VERSION_REQUEST] = {"VERSION_REQUEST", sizeof(struct synthvid_version_req)},
    [SYNTHVID_VERSION_RESPONSE] = {"VERSION_RESPONSE", sizeof(struct synthvid_version_resp)},
    [SYNTHVID_VRAM_LOCATION] = {"VRAM_LOCATION", sizeof(struct synthvid_vram_location)},
    [SYNTHVID_VRAM_LOCATION_ACK] = {"VRAM_LOCATION_ACK", sizeof(struct synthvid_vram_location_ack)},
    [SYNTHVID_SITUATION_UPDATE] = {"SITUATION_UPDATE", sizeof(struct synthvid_situation_update)},
    [SYNTHVID_SITUATION_UPDATE_ACK] = {"SITUATION_UPDATE_ACK",
                                       sizeof(struct synthvid_situation_update_ack)},
    [SYNTHVID_POINTER_POSITION] = {"POINTER_POSITION", sizeof(struct synthvid_pointer_position)},
    [SYNTHVID_POINTER_SHAPE] = {"POINTER_SHAPE", offsetof(struct synthvid_pointer_shape, data)},
    [SYNTHVID_FEATURE_CHANGE] = {"FEATURE_CHANGE", sizeof(struct synthvid_feature_change)},
    [SYNTHVID_DIRT] = {"DIRT", sizeof(struct synthvid_dirt)},
    [SYNTHVID_BIOS_INFO_REQUEST] = {"BIOS_INFO_REQUEST", 0},
    [SYNTHVID_BIOS_INFO_RESPONSE] = {"BIOS_INFO_RESPONSE", 0},
    [SYNTHVID_RESOLUTION_REQUEST] = {"RESOLUTION_REQUEST", sizeof(struct synthvid_resolution_req)},
    [SYNTHVID_RESOLUTION_RESPONSE] = {"RESOLUTION_RESPONSE",
                                      sizeof(struct synthvid_resolution_resp)},
    [SYNTHVID_CAPABILITY_REQUEST] = {"CAPABILITY_REQUEST", 0},
    [SYNTHVID_CAPABILITY_RESPONSE] = {"CAPABILITY_RESPONSE", 0},
};

static void vid_version(struct fmt_out *o, uint32_t ver)
{
    fmt_append(o, " version=%u.%u", (unsigned)SYNTHVID_VERSION_MAJOR(ver),
               (unsigned)SYNTHVID_VERSION_MINOR(ver));
}

size_t video_trace_decode(const void *pkt, size_t len, char *out, size_t cap)
{
    struct fmt_out o = {out, cap, 0};
    if (!cap)
        return 0;
    out[0] = '\0';
    if (!pkt || len < SYNTHVID_HDRS_SIZE) {
        fmt_append(&o, "vid malformed: %u bytes, shorter than the 16-byte headers", (unsigned)len);
        return o.len;
    }
    const uint8_t *p = pkt;
    struct synthvid_hdr h;
    memcpy(&h, p + sizeof(struct synthvid_pipe_hdr), sizeof(h));
    const uint8_t *m = p + SYNTHVID_HDRS_SIZE;
    size_t n = len - SYNTHVID_HDRS_SIZE;
    if (h.type >= sizeof(vid_msgs) / sizeof(vid_msgs[0])) {
        fmt_append(&o, "vid type=%u (%u bytes)", (unsigned)h.type, (unsigned)len);
        return o.len;
    }
    fmt_append(&o, "vid %s", vid_msgs[h.type].name);
    if (n < vid_msgs[h.type].size) {
        fmt_append(&o, " malformed: %u bytes after the headers, its layout has %u", (unsigned)n,
                   vid_msgs[h.type].size);
        return o.len;
    }
    union {
        uint8_t bytes[sizeof(struct synthvid_resolution_resp)];
        struct synthvid_version_req vreq;
        struct synthvid_version_resp vres;
        struct synthvid_vram_location vram;
        struct synthvid_vram_location_ack ack;
        struct synthvid_situation_update situ;
        struct synthvid_pointer_position pos;
        struct synthvid_pointer_shape shape;
        struct synthvid_feature_change feat;
        struct synthvid_dirt dirt;
        struct synthvid_resolution_req rreq;
        struct synthvid_resolution_resp rres;
    } u;
    memset(&u, 0, sizeof(u));
    memcpy(&u, m, n < sizeof(u) ? n : sizeof(u));
    switch (h.type) {
    case SYNTHVID_VERSION_REQUEST:
        vid_version(&o, u.vreq.version);
        break;
    case SYNTHVID_VERSION_RESPONSE:
        vid_version(&o, u.vres.version);
        fmt_append(&o, " accepted=%u outputs=%u", u.vres.is_accepted, u.vres.max_video_outputs);
        break;
    case SYNTHVID_VRAM_LOCATION:
        fmt_append(&o, " ctx=0x%llx specified=%u gpa=0x%llx", (unsigned long long)u.vram.user_ctx,
                   u.vram.is_vram_gpa_specified, (unsigned long long)u.vram.vram_gpa);
        break;
    case SYNTHVID_VRAM_LOCATION_ACK:
    case SYNTHVID_SITUATION_UPDATE_ACK:
        fmt_append(&o, " ctx=0x%llx", (unsigned long long)u.ack.user_ctx);
        break;
    case SYNTHVID_SITUATION_UPDATE: {
        const struct synthvid_output_situation *s = &u.situ.video_output[0];
        fmt_append(&o, " ctx=0x%llx outputs=%u active=%u offset=%u depth=%u %ux%u pitch=%u",
                   (unsigned long long)u.situ.user_ctx, u.situ.video_output_count, s->active,
                   (unsigned)s->vram_offset, s->depth_bits, (unsigned)s->width_pixels,
                   (unsigned)s->height_pixels, (unsigned)s->pitch_bytes);
        break;
    }
    case SYNTHVID_POINTER_POSITION:
        fmt_append(&o, " visible=%u output=%u x=%d y=%d", u.pos.is_visible, u.pos.video_output,
                   (int)u.pos.image_x, (int)u.pos.image_y);
        break;
    case SYNTHVID_POINTER_SHAPE:
        fmt_append(&o, " part=0x%x argb=%u %ux%u hot=%u,%u", u.shape.part_idx, u.shape.is_argb,
                   (unsigned)u.shape.width, (unsigned)u.shape.height, (unsigned)u.shape.hot_x,
                   (unsigned)u.shape.hot_y);
        break;
    case SYNTHVID_FEATURE_CHANGE:
        fmt_append(&o, " dirt=%u ptr_pos=%u ptr_shape=%u situation=%u", u.feat.is_dirt_needed,
                   u.feat.is_ptr_pos_needed, u.feat.is_ptr_shape_needed, u.feat.is_situ_needed);
        break;
    case SYNTHVID_DIRT: {
        size_t have = (n - sizeof(struct synthvid_dirt)) / sizeof(struct synthvid_rect);
        fmt_append(&o, " output=%u rects=%u", u.dirt.video_output, u.dirt.dirt_count);
        if (have < u.dirt.dirt_count) {
            fmt_append(&o, " malformed: %u rects fit", (unsigned)have);
        } else if (u.dirt.dirt_count) {
            struct synthvid_rect r;
            memcpy(&r, m + sizeof(struct synthvid_dirt), sizeof(r));
            fmt_append(&o, " first=(%d,%d)-(%d,%d)", (int)r.x1, (int)r.y1, (int)r.x2, (int)r.y2);
        }
        break;
    }
    case SYNTHVID_RESOLUTION_REQUEST:
        fmt_append(&o, " max=%u", u.rreq.maximum_resolution_count);
        break;
    case SYNTHVID_RESOLUTION_RESPONSE: {
        size_t have =
            (n - sizeof(struct synthvid_resolution_resp)) / sizeof(struct synthvid_screen_size);
        fmt_append(&o, " count=%u default=%u standard=%u", u.rres.resolution_count,
                   u.rres.default_resolution_index, u.rres.is_standard);
        if (have < u.rres.resolution_count) {
            fmt_append(&o, " malformed: %u sizes fit", (unsigned)have);
        } else if (u.rres.default_resolution_index < u.rres.resolution_count) {
            struct synthvid_screen_size sz;
            memcpy(&sz,
                   m + sizeof(struct synthvid_resolution_resp) +
                       u.rres.default_resolution_index * sizeof(sz),
                   sizeof(sz));
            fmt_append(&o, " default_size=%ux%u", sz.width, sz.height);
        }
        break;
    }
    default:
        fmt_append(&o, " (%u bytes after the headers)", (unsigned)n);
        break;
    }
    return o.len;
}

NTSTATUS video_create(const struct hv_device_config *d, uint16_t mmio_mb,
                      const struct video_platform *platform, VMBCHANNEL *out)
{
    static const VMB_CHANNEL_STATE_CHANGE_CALLBACKS callbacks = {opened, closed};
    *out = NULL;
    if (mmio_mb < VIDEO_MMIO_MB_MIN || mmio_mb > VIDEO_MMIO_MB_MAX)
        return STATUS_INVALID_PARAMETER;
    memset(&v, 0, sizeof(v));
    memset(&video_stats, 0, sizeof(video_stats));
    v.rejects = (struct log_budget)LOG_BUDGET(REJECTS_LOGGED, "");
    v.modes = (struct log_budget)LOG_BUDGET(MODES_LOGGED, "");
    v.send_failures = (struct log_budget)LOG_BUDGET(REJECTS_LOGGED, "");
    v.created = true;
    v.platform = platform;
    v.vram_size = (uint64_t)mmio_mb << 20;
    memcpy(v.name, d->name, sizeof(v.name));
    v.name[sizeof(v.name) - 1] = '\0';

    GUID instance;
    guid_for_device(&instance, d->instance, &video_class, d->name);
    NTSTATUS s = VmbChannelAllocate(&v, TRUE, &v.channel);
    if (!NT_SUCCESS(s))
        return s;
    s = VmbChannelInitSetFriendlyName(v.channel, d->name);
    if (NT_SUCCESS(s))
        s = VmbServerChannelInitSetTargetInterfaceId(v.channel, &video_class, &instance);
    if (NT_SUCCESS(s))
        s = VmbServerChannelInitSetMmioMegabytes(v.channel, mmio_mb, 0);
    if (NT_SUCCESS(s))
        s = VmbServerChannelInitSetMmioFramebuffer(v.channel);
    if (NT_SUCCESS(s))
        s = VmbChannelInitSetStateChangeCallbacks(v.channel, &callbacks);
    if (NT_SUCCESS(s))
        s = VmbChannelInitSetProcessPacketCallback(v.channel, process);
    if (NT_SUCCESS(s))
        s = VmbChannelInitSetTraceDecoder(v.channel, video_trace_decode);
    if (!NT_SUCCESS(s)) {
        VmbChannelCleanup(v.channel);
        v.channel = NULL;
        return s;
    }
    *out = v.channel;
    return STATUS_SUCCESS;
}

size_t video_summary(char *buf, size_t cap)
{
    if (!v.created) {
        if (cap)
            buf[0] = '\0';
        return 0;
    }
    int n =
        fmt_snprintf(buf, cap, " video_dirt=%llu video_clipped=%llu video_rejected=%llu",
                     (unsigned long long)video_stats.dirt, (unsigned long long)video_stats.clipped,
                     (unsigned long long)video_stats.rejected);
    return n < 0 ? 0 : (size_t)n;
}

/* "mmio_mb=<n>": the VRAM in MiB. */
struct video_params {
    uint16_t mmio_mb;
};
_Static_assert(VIDEO_MMIO_MB_MAX == HV_VRAM_MB, "the loader reserves the most mmio_mb takes");
_Static_assert(VIDEO_MMIO_MB_MIN == 4 && VIDEO_MMIO_MB_MAX == 64, "the messages");

static int param(void *params, const char *key, size_t klen, const char *val, size_t vlen,
                 struct device_error *e)
{
    struct video_params *p = params;
    uint64_t x;
    if (!str_eq_n(key, klen, "mmio_mb"))
        return device_refuse(e, "unknown key", key, klen);
    if (!config_parse_uint(val, vlen, &x) || x < VIDEO_MMIO_MB_MIN)
        return device_refuse(e, "video needs mmio_mb >= 4 (1152x864 at 32 bpp), not", key,
                             klen + 1 + vlen);
    if (x > VIDEO_MMIO_MB_MAX)
        return device_refuse(e, "video takes mmio_mb <= 64 (the frame-buffer region), not", key,
                             klen + 1 + vlen);
    p->mmio_mb = (uint16_t)x;
    return 0;
}

static int check(void *params, struct device_error *e)
{
    struct video_params *p = params;
    (void)e;
    if (!p->mmio_mb)
        p->mmio_mb = VIDEO_MMIO_MB_DEFAULT;
    return 0;
}

static NTSTATUS create(const struct device *d, VMBCHANNEL *out)
{
    const struct video_params *p = d->params;
    return video_create(d->cfg, p->mmio_mb, d->env->video, out);
}

const struct device_kind video_kind = {
    .name = "video",
    .single = true,
    .needs_efi = true, /* hyperv_fb's MMIO path: docs/video.md, "The EFI_BOOT gate" */
    .params_size = sizeof(struct video_params),
    .param = param,
    .check = check,
    .create = create,
    .summary = video_summary,
};
