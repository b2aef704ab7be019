/* Arbitrary guest behaviour against the Synthetic Video and Synthetic
 * Keyboard devices (hv/devices/video.c, keyboard.c) over the recording KMCL
 * (tests/unit/fake_kmcl.c). The input picks the VRAM size and the grant,
 * then is a script: open and close either channel, well-framed synthvid
 * messages of any type with fuzzer-chosen bodies (versions, VRAM places near
 * and inside the grant, modes, rectangles), raw bytes to either device, a
 * full ring, a failing VRAM backing, and keys from the host. Checked after
 * every step: every packet the devices sent is one they may send (framing,
 * type, size, resolutions that fit the VRAM, key codes in range); the
 * platform was only asked to back page-aligned VRAM inside the grant, one
 * range at a time, and released exactly that; every mode fits the VRAM and
 * every dirty rectangle lies inside the mode. Must never crash. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "devices/keyboard.h"
#include "devices/synthkbd_wire.h"
#include "devices/synthvid_wire.h"
#include "devices/video.h"
#include "vmbus/ring.h"

#include "../unit/fake_kmcl.h"
#include "../unit/fixture.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct {
    uint64_t grant_base, grant_size, vram;
    bool backed;
    uint64_t gpa;
    int fail;
    bool have_mode;
    struct video_mode mode;
} P;

static int back(void *ctx, uint64_t gpa, uint64_t size)
{
    (void)ctx;
    if (P.backed || size != P.vram || gpa & 0xfff || gpa < P.grant_base ||
        gpa - P.grant_base > P.grant_size || P.grant_size - (gpa - P.grant_base) < size)
        abort();
    if (P.fail)
        return P.fail;
    P.backed = true;
    P.gpa = gpa;
    return 0;
}

static void unback(void *ctx, uint64_t gpa, uint64_t size)
{
    (void)ctx;
    if (!P.backed || gpa != P.gpa || size != P.vram)
        abort();
    P.backed = false;
    P.have_mode = false;
}

static void mode(void *ctx, const struct video_mode *m)
{
    (void)ctx;
    if (!P.backed)
        abort();
    if (m->active &&
        (m->depth_bits != 32 || !m->width || !m->height || (uint64_t)m->width * 4 > m->pitch ||
         m->vram_offset + (uint64_t)m->pitch * (m->height - 1) + (uint64_t)m->width * 4 > P.vram))
        abort();
    P.mode = *m;
    P.have_mode = true;
}

static void dirty(void *ctx, const struct video_rect *r)
{
    (void)ctx;
    if (!P.backed || !P.have_mode || !P.mode.active || r->x1 >= r->x2 || r->y1 >= r->y2 ||
        r->x2 > P.mode.width || r->y2 > P.mode.height)
        abort();
}

static const struct video_platform platform = {NULL, back, unback, mode, dirty};

static void check_video(VMBCHANNEL ch, unsigned *checked)
{
    struct fake_channel *c = fake_channel(ch);
    for (; *checked < c->nsent; (*checked)++) {
        const struct fake_sent *s = &c->sent[*checked % FAKE_SENT];
        struct synthvid_pipe_hdr pipe;
        struct synthvid_hdr h;
        if (s->len < SYNTHVID_HDRS_SIZE || s->len > SYNTHVID_MAX_PACKET)
            abort();
        memcpy(&pipe, s->data, 8);
        memcpy(&h, s->data + 8, 8);
        if (pipe.type != SYNTHVID_PIPE_DATA || pipe.size != s->len - 8 || h.size != s->len - 8)
            abort();
        uint32_t body = s->len - SYNTHVID_HDRS_SIZE;
        switch (h.type) {
        case SYNTHVID_VERSION_RESPONSE:
            if (body != sizeof(struct synthvid_version_resp))
                abort();
            break;
        case SYNTHVID_VRAM_LOCATION_ACK:
        case SYNTHVID_SITUATION_UPDATE_ACK:
            if (body != 8)
                abort();
            break;
        case SYNTHVID_FEATURE_CHANGE:
            if (body != sizeof(struct synthvid_feature_change))
                abort();
            break;
        case SYNTHVID_RESOLUTION_RESPONSE: {
            struct synthvid_resolution_resp r;
            if (body < sizeof(r))
                abort();
            memcpy(&r, s->data + SYNTHVID_HDRS_SIZE, sizeof(r));
            if (r.resolution_count > SYNTHVID_MAX_RESOLUTIONS ||
                body != sizeof(r) + 4u * r.resolution_count ||
                (r.resolution_count && r.default_resolution_index >= r.resolution_count))
                abort();
            for (unsigned i = 0; i < r.resolution_count; i++) {
                struct synthvid_screen_size z;
                memcpy(&z, s->data + SYNTHVID_HDRS_SIZE + sizeof(r) + 4 * i, 4);
                if ((uint64_t)z.width * z.height * 4 > P.vram || z.width < 640 || z.height < 480)
                    abort();
            }
            break;
        }
        default:
            abort();
        }
    }
}

static void check_keyboard(VMBCHANNEL ch, unsigned *checked)
{
    struct fake_channel *c = fake_channel(ch);
    for (; *checked < c->nsent; (*checked)++) {
        const struct fake_sent *s = &c->sent[*checked % FAKE_SENT];
        uint32_t type;
        if (s->len < 4)
            abort();
        memcpy(&type, s->data, 4);
        if (type == SYNTHKBD_PROTOCOL_RESPONSE) {
            if (s->len != 8)
                abort();
        } else if (type == SYNTHKBD_EVENT) {
            struct synthkbd_keystroke k;
            if (s->len != sizeof(k))
                abort();
            memcpy(&k, s->data, sizeof(k));
            if (k.make_code == 0 || k.make_code > 0x7f || k.reserved ||
                (k.info & ~(uint32_t)(SYNTHKBD_INFO_BREAK | SYNTHKBD_INFO_E0 | SYNTHKBD_INFO_E1)) ||
                (k.info & SYNTHKBD_INFO_E0 && k.info & SYNTHKBD_INFO_E1))
                abort();
        } else {
            abort();
        }
    }
}

static void toggle_open(VMBCHANNEL ch, bool open)
{
    struct fake_channel *c = fake_channel(ch);
    if (open && !c->open) {
        c->open = true;
        c->cb.EvtChannelOpened(ch);
    } else if (!open && c->open) {
        c->open = false;
        c->cb.EvtChannelClosed(ch);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_input in = {data, size};
    static uint8_t pkt[SYNTHVID_MAX_PACKET];
    struct hv_device_config vcfg = {.name = "video"}, kcfg = {.name = "kbd"};
    VMBCHANNEL vch, kch;
    unsigned vchecked = 0, kchecked = 0;

    fake_kmcl_reset();
    log_reset();
    memset(&P, 0, sizeof(P));
    uint16_t mmio_mb = (uint16_t)(4 + fuzz_take(&in, 1) % 61);
    P.vram = (uint64_t)mmio_mb << 20;
    if (!NT_SUCCESS(video_create(&vcfg, mmio_mb, &platform, &vch)) ||
        !NT_SUCCESS(keyboard_create(&kcfg, &kch)))
        abort();
    struct keyboard *k = keyboard_get();
    P.grant_base =
        fuzz_take(&in, 1) & 1 ? 0xf8000000ull : 0x100000000ull + (fuzz_take(&in, 1) << 20);
    P.grant_size = P.vram + (fuzz_take(&in, 1) & 0x1f) * (1ull << 20);
    fake_channel(vch)->mmio_base = P.grant_base;
    fake_channel(vch)->mmio_size = P.grant_size;

    for (unsigned step = 0; step < 256 && in.left; step++) {
        unsigned op = (unsigned)fuzz_take(&in, 1);
        struct fake_channel *vc = fake_channel(vch), *kc = fake_channel(kch);
        switch (op & 15) {
        case 0:
            toggle_open(vch, !vc->open);
            break;
        case 1:
            toggle_open(kch, !kc->open);
            break;
        case 2:
        case 3:
        case 4:
        case 5: { /* a well-framed synthvid message */
            uint32_t type = (uint32_t)fuzz_take(&in, 1) % 18;
            uint32_t len = (uint32_t)fuzz_take(&in, 1) % 64;
            uint8_t *b = pkt + SYNTHVID_HDRS_SIZE;
            for (uint32_t i = 0; i < len; i++)
                b[i] = (uint8_t)fuzz_take(&in, 1);
            if (type == SYNTHVID_VERSION_REQUEST && len >= 4 && (op & 0x10)) {
                uint32_t v = op & 0x20 ? SYNTHVID_VERSION_WIN10 : SYNTHVID_VERSION_WIN8;
                memcpy(b, &v, 4);
            }
            if (type == SYNTHVID_VRAM_LOCATION && len >= 17 && (op & 0x10)) {
                /* near or inside the grant, page-aligned or not */
                uint64_t gpa =
                    P.grant_base + (int64_t)(int8_t)b[9] * (1 << 20) + (op & 0x20 ? 0 : b[10]);
                b[8] = 1;
                memcpy(b + 9, &gpa, 8);
            }
            struct synthvid_pipe_hdr pipe = {SYNTHVID_PIPE_DATA, 8 + len};
            struct synthvid_hdr h = {type, 8 + len};
            memcpy(pkt, &pipe, 8);
            memcpy(pkt + 8, &h, 8);
            if (vc->open)
                vc->process(vch, pkt, SYNTHVID_HDRS_SIZE + ((len + 7) & ~7u), VMBUS_PKT_DATA_INBAND,
                            step);
            break;
        }
        case 6:
        case 7: { /* raw bytes to either */
            uint32_t len = (uint32_t)fuzz_take(&in, 1);
            for (uint32_t i = 0; i < len; i++)
                pkt[i] = (uint8_t)fuzz_take(&in, 1);
            uint16_t type = op & 0x10 ? (uint16_t)fuzz_take(&in, 1) : VMBUS_PKT_DATA_INBAND;
            struct fake_channel *c = op & 1 ? kc : vc;
            if (c->open)
                c->process(op & 1 ? kch : vch, pkt, len, type, step);
            break;
        }
        case 8: /* the guest's keyboard handshake, right or wrong */
            if (kc->open) {
                struct synthkbd_protocol_request r = {{SYNTHKBD_PROTOCOL_REQUEST},
                                                      op & 0x10 ? (uint32_t)fuzz_take(&in, 4)
                                                                : SYNTHKBD_VERSION_WIN8};
                kc->process(kch, &r, sizeof(r), VMBUS_PKT_DATA_INBAND, step);
            }
            break;
        case 9:
        case 10: /* keys from the host */
            keyboard_send_byte(k, (uint8_t)fuzz_take(&in, 1));
            break;
        case 11: {
            uint8_t code = (uint8_t)fuzz_take(&in, 1);
            keyboard_send_scancode(k, code, op & 0x10, op & 0x20);
            break;
        }
        case 12: /* the rings fill up, or drain */
            vc->send_status = vc->send_status ? 0 : STATUS_INSUFFICIENT_RESOURCES;
            break;
        case 13:
            kc->send_status = kc->send_status ? 0 : STATUS_INSUFFICIENT_RESOURCES;
            break;
        case 14: /* the platform cannot back, or can again */
            P.fail = P.fail ? 0 : -12;
            break;
        default: { /* a plausible mode and rectangles */
            struct synthvid_situation_update s;
            memset(&s, 0, sizeof(s));
            s.video_output_count = 1;
            s.video_output[0].active = (op & 0x10) != 0;
            s.video_output[0].depth_bits = 32;
            s.video_output[0].width_pixels = 640 + (uint32_t)fuzz_take(&in, 1) * 8;
            s.video_output[0].height_pixels = 480 + (uint32_t)fuzz_take(&in, 1) * 4;
            s.video_output[0].pitch_bytes =
                s.video_output[0].width_pixels * 4 + (uint32_t)fuzz_take(&in, 1);
            struct synthvid_pipe_hdr pipe = {SYNTHVID_PIPE_DATA, 8 + sizeof(s)};
            struct synthvid_hdr h = {SYNTHVID_SITUATION_UPDATE, 8 + sizeof(s)};
            memcpy(pkt, &pipe, 8);
            memcpy(pkt + 8, &h, 8);
            memcpy(pkt + 16, &s, sizeof(s));
            if (vc->open)
                vc->process(vch, pkt, 16 + sizeof(s), VMBUS_PKT_DATA_INBAND, step);
            break;
        }
        }
        check_video(vch, &vchecked);
        check_keyboard(kch, &kchecked);
        if (!fake_channel(vch)->open && P.backed)
            abort(); /* a closed channel keeps no VRAM */
    }
    return 0;
}
