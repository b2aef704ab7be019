/* The Synthetic Keyboard device (hv/devices/keyboard.c) over the recording
 * KMCL, against a model of Linux 6.1's hyperv-keyboard written from its
 * source (facts only, docs/video.md): PROTOCOL_REQUEST 1.0 with a completion
 * requested, a 10 s wait for an in-band PROTOCOL_RESPONSE of at least 8
 * bytes with bit 0 set; key events of at least 12 bytes turned back into AT
 * set 1 bytes (0xE0 / 0xE1 first, 0x80 ORed in for a break) and dropped
 * before the serio port is started; completions ignored. Covered: the
 * protocol at 1.0 and refused versions, key bytes for make/break/E0 and the
 * byte-stream API round trip (Pause, Print Screen, arrows), invalid codes,
 * sends before agreement, hostile guest messages, LEDs, close and reopen,
 * ring full, the log budget, bytes fed from the i8042's queue, the summary. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "devices/keyboard.h"
#include "devices/synthkbd_wire.h"
#include "vmbus/ring.h"

#include "fake_kmcl.h"
#include "fixture.h"

static VMBCHANNEL ch;

static struct fake_channel *F(void)
{
    return fake_channel(ch);
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

/* --- the guest: Linux 6.1 hyperv-keyboard ----------------------------------------- */
struct hvkbd {
    bool started;          /* serio port opened by atkbd */
    bool completed;        /* wait_event */
    uint32_t proto_status; /* protocol_resp */
    unsigned seen;         /* host packets read */
    unsigned illegal;      /* dev_err lines */
    uint8_t bytes[256];    /* what serio_interrupt got */
    unsigned nbytes;
};
static struct hvkbd g;

static void serio(uint8_t b)
{
    assert_true(g.nbytes < sizeof(g.bytes));
    g.bytes[g.nbytes++] = b;
}

/* hv_kbd_on_channel_callback: every in-band packet, its size rounded up to 8
 * as the guest reads it from the ring. */
static void guest_receive(void)
{
    while (g.seen < F()->nsent) {
        const struct fake_sent *s = &F()->sent[g.seen++ % FAKE_SENT];
        uint8_t msg[SYNTHKBD_MAX_MESSAGE];
        uint32_t msg_sz = (s->len + 7) & ~7u;
        assert_true(msg_sz <= sizeof(msg));
        memset(msg, 0, sizeof(msg));
        memcpy(msg, s->data, s->len);
        if (msg_sz <= 4) {
            g.illegal++;
            continue;
        }
        uint32_t type;
        memcpy(&type, msg, 4);
        if (type == SYNTHKBD_PROTOCOL_RESPONSE) {
            if (msg_sz < 8) {
                g.illegal++;
                continue;
            }
            memcpy(&g.proto_status, msg + 4, 4);
            g.completed = true;
        } else if (type == SYNTHKBD_EVENT) {
            struct synthkbd_keystroke ks;
            if (msg_sz < sizeof(ks)) {
                g.illegal++;
                continue;
            }
            memcpy(&ks, msg, sizeof(ks));
            if (g.started) {
                if (ks.info & SYNTHKBD_INFO_E0)
                    serio(0xe0);
                if (ks.info & SYNTHKBD_INFO_E1)
                    serio(0xe1);
                uint16_t code = ks.make_code;
                if (ks.info & SYNTHKBD_INFO_BREAK)
                    code |= 0x80;
                serio((uint8_t)code); /* serio_interrupt takes an unsigned char */
            }
        } else {
            g.illegal++; /* "unhandled message type" */
        }
    }
}

/* hv_kbd_connect_to_vsp: 0, or what the probe fails with. */
static int connect_to_vsp(uint32_t version)
{
    struct synthkbd_protocol_request req = {{SYNTHKBD_PROTOCOL_REQUEST}, version};
    g.completed = false;
    F()->process(ch, &req, sizeof(req), VMBUS_PKT_DATA_INBAND, 0xffff888000001000ull);
    guest_receive();
    if (!g.completed)
        return -110; /* -ETIMEDOUT */
    if (!(g.proto_status & SYNTHKBD_PROTOCOL_ACCEPTED))
        return -19; /* -ENODEV: "synth_kbd protocol request failed" */
    return 0;
}

/* hv_kbd_probe, then atkbd opens the port. */
static void probe(void)
{
    memset(&g, 0, sizeof(g));
    g.seen = F()->nsent;
    open_channel();
    assert_int_equal(connect_to_vsp(SYNTHKBD_VERSION_WIN8), 0);
    g.started = true;
}

static struct keyboard *K;

static int setup(void **state)
{
    (void)state;
    fake_kmcl_reset();
    log_reset();
    struct hv_device_config d = {.name = "kbd0"};
    assert_int_equal(keyboard_create(&d, &ch), STATUS_SUCCESS);
    assert_memory_equal(&F()->type, &keyboard_class, sizeof(GUID));
    assert_int_equal(F()->mmio_mb, 0);
    K = keyboard_get();
    assert_non_null(K);
    probe();
    return 0;
}

static void expect_bytes(const uint8_t *want, unsigned n)
{
    guest_receive();
    assert_int_equal(g.nbytes, n);
    assert_memory_equal(g.bytes, want, n);
    g.nbytes = 0;
}

/* --- tests ---------------------------------------------------------------------------- */

static void protocol(void **state)
{
    (void)state;
    assert_true(keyboard_ready(K));
    /* the response: in-band, 8 bytes, accepted */
    const struct fake_sent *s = &F()->sent[0];
    assert_int_equal(F()->nsent, 1);
    assert_int_equal(s->len, 8);
    struct synthkbd_protocol_response r;
    memcpy(&r, s->data, 8);
    assert_int_equal(r.header.type, SYNTHKBD_PROTOCOL_RESPONSE);
    assert_int_equal(r.proto_status, SYNTHKBD_PROTOCOL_ACCEPTED);
    assert_int_equal(g.illegal, 0);
    assert_int_equal(log_count("protocol 1.0 agreed"), 1);
    /* asked again on the same open: refused, no answer */
    unsigned n = F()->nsent;
    assert_int_equal(connect_to_vsp(SYNTHKBD_VERSION_WIN8), -110);
    assert_int_equal(F()->nsent, n);
    assert_int_equal(keyboard_stats.rejected, 1);
    /* another version after a reopen: answered, not accepted */
    close_channel();
    assert_false(keyboard_ready(K));
    open_channel();
    static const uint32_t bad[] = {SYNTHKBD_VERSION(1, 1), SYNTHKBD_VERSION(2, 0), 0x00000001u,
                                   0xffffffffu};
    for (unsigned i = 0; i < 4; i++) {
        assert_int_equal(connect_to_vsp(bad[i]), -19);
        assert_false(keyboard_ready(K));
    }
    assert_int_equal(connect_to_vsp(SYNTHKBD_VERSION_WIN8), 0);
    assert_true(keyboard_ready(K));
    assert_int_equal(keyboard_stats.rejected, 5);
}

static void scancodes(void **state)
{
    (void)state;
    /* 'a' down and up: the bytes on the wire and what atkbd reads */
    assert_int_equal(keyboard_send_scancode(K, 0x1e, true, false), STATUS_SUCCESS);
    struct synthkbd_keystroke ks;
    assert_int_equal(fake_last_sent(ch)->len, 12);
    memcpy(&ks, fake_last_sent(ch)->data, 12);
    assert_int_equal(ks.header.type, SYNTHKBD_EVENT);
    assert_int_equal(ks.make_code, 0x1e);
    assert_int_equal(ks.reserved, 0);
    assert_int_equal(ks.info, 0);
    assert_int_equal(keyboard_send_scancode(K, 0x1e, false, false), STATUS_SUCCESS);
    memcpy(&ks, fake_last_sent(ch)->data, 12);
    assert_int_equal(ks.info, SYNTHKBD_INFO_BREAK);
    expect_bytes((const uint8_t[]){0x1e, 0x9e}, 2);
    /* right Ctrl: E0 1D / E0 9D */
    assert_int_equal(keyboard_send_scancode(K, 0x1d, true, true), STATUS_SUCCESS);
    memcpy(&ks, fake_last_sent(ch)->data, 12);
    assert_int_equal(ks.info, SYNTHKBD_INFO_E0);
    assert_int_equal(keyboard_send_scancode(K, 0x1d, false, true), STATUS_SUCCESS);
    memcpy(&ks, fake_last_sent(ch)->data, 12);
    assert_int_equal(ks.info, SYNTHKBD_INFO_E0 | SYNTHKBD_INFO_BREAK);
    expect_bytes((const uint8_t[]){0xe0, 0x1d, 0xe0, 0x9d}, 4);
    /* the edges of the code range */
    assert_int_equal(keyboard_send_scancode(K, 0x01, true, false), STATUS_SUCCESS);
    assert_int_equal(keyboard_send_scancode(K, 0x7f, false, false), STATUS_SUCCESS);
    expect_bytes((const uint8_t[]){0x01, 0xff}, 2);
    /* refused */
    unsigned n = F()->nsent;
    assert_int_equal(keyboard_send_scancode(K, 0x00, true, false), STATUS_INVALID_PARAMETER_2);
    assert_int_equal(keyboard_send_scancode(K, 0x80, true, false), STATUS_INVALID_PARAMETER_2);
    assert_int_equal(keyboard_send_scancode(K, 0x9e, false, false), STATUS_INVALID_PARAMETER_2);
    assert_int_equal(keyboard_send_scancode(NULL, 0x1e, true, false), STATUS_INVALID_PARAMETER_1);
    assert_int_equal(F()->nsent, n);
    assert_int_equal(keyboard_stats.keys, 6);
    assert_int_equal(keyboard_stats.lost, 0);
}

/* The byte stream a PS/2 keyboard sends in set 1 reaches atkbd unchanged. */
static void byte_stream_round_trip(void **state)
{
    (void)state;
    static const uint8_t streams[][8] = {
        {0x1e, 0x9e},                                     /* a */
        {0xe0, 0x48, 0xe0, 0xc8},                         /* up arrow */
        {0xe0, 0x1c, 0xe0, 0x9c},                         /* keypad Enter */
        {0xe1, 0x1d, 0x45, 0xe1, 0x9d, 0xc5},             /* Pause */
        {0xe0, 0x2a, 0xe0, 0x37, 0xe0, 0xb7, 0xe0, 0xaa}, /* Print Screen */
        {0x2a, 0x1e, 0x9e, 0xaa},                         /* Shift-a */
    };
    static const unsigned lens[] = {2, 4, 4, 6, 8, 4};
    for (unsigned i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
        for (unsigned j = 0; j < lens[i]; j++)
            assert_int_equal(keyboard_send_byte(K, streams[i][j]), STATUS_SUCCESS);
        expect_bytes(streams[i], lens[i]);
    }
    /* a second prefix replaces the first */
    assert_int_equal(keyboard_send_byte(K, 0xe1), STATUS_SUCCESS);
    assert_int_equal(keyboard_send_byte(K, 0xe0), STATUS_SUCCESS);
    assert_int_equal(keyboard_send_byte(K, 0x4b), STATUS_SUCCESS);
    expect_bytes((const uint8_t[]){0xe0, 0x4b}, 2);
    /* 0x00, 0x80, 0xff: refused, and a pending prefix is dropped */
    unsigned n = F()->nsent;
    assert_int_equal(keyboard_send_byte(K, 0xe0), STATUS_SUCCESS);
    assert_int_equal(keyboard_send_byte(K, 0x00), STATUS_INVALID_PARAMETER_2);
    assert_int_equal(keyboard_send_byte(K, 0x80), STATUS_INVALID_PARAMETER_2);
    assert_int_equal(keyboard_send_byte(K, 0xff), STATUS_INVALID_PARAMETER_2);
    assert_int_equal(keyboard_send_byte(NULL, 0x1e), STATUS_INVALID_PARAMETER_1);
    assert_int_equal(F()->nsent, n);
    assert_int_equal(keyboard_send_byte(K, 0x1e), STATUS_SUCCESS);
    expect_bytes((const uint8_t[]){0x1e}, 1);
}

static void before_agreement_and_after_close(void **state)
{
    (void)state;
    close_channel();
    assert_false(keyboard_ready(K));
    unsigned n = F()->nsent;
    assert_int_equal(keyboard_send_scancode(K, 0x1e, true, false), STATUS_INVALID_DEVICE_STATE);
    assert_int_equal(keyboard_send_byte(K, 0x1e), STATUS_INVALID_DEVICE_STATE);
    open_channel();
    assert_int_equal(keyboard_send_scancode(K, 0x1e, true, false), STATUS_INVALID_DEVICE_STATE);
    assert_int_equal(F()->nsent, n);
    assert_int_equal(keyboard_stats.lost, 3);
    /* a prefix left over from before the close does not leak into the next key */
    assert_int_equal(keyboard_send_byte(K, 0xe0), STATUS_SUCCESS);
    close_channel();
    probe();
    assert_int_equal(keyboard_send_byte(K, 0x1e), STATUS_SUCCESS);
    expect_bytes((const uint8_t[]){0x1e}, 1);
    /* keys before atkbd started the port are lost in the guest, not here */
    g.started = false;
    assert_int_equal(keyboard_send_scancode(K, 0x1f, true, false), STATUS_SUCCESS);
    expect_bytes((const uint8_t[]){0}, 0);
}

static void hostile_guest(void **state)
{
    (void)state;
    uint8_t p[64];
    memset(p, 0, sizeof(p));
    unsigned n = F()->nsent;
    /* shorter than a header */
    for (uint32_t len = 0; len < 4; len++)
        F()->process(ch, p, len, VMBUS_PKT_DATA_INBAND, 1);
    /* not in-band */
    F()->process(ch, p, 16, VMBUS_PKT_COMP, 1);
    /* messages the guest never sends, unknown types */
    static const uint32_t types[] = {0, SYNTHKBD_PROTOCOL_RESPONSE, SYNTHKBD_EVENT, 5, 0xffffffffu};
    for (unsigned i = 0; i < 5; i++) {
        memcpy(p, &types[i], 4);
        F()->process(ch, p, 16, VMBUS_PKT_DATA_INBAND, 1);
    }
    /* a protocol request of 4..7 bytes */
    uint32_t t = SYNTHKBD_PROTOCOL_REQUEST;
    memcpy(p, &t, 4);
    for (uint32_t len = 4; len < 8; len++)
        F()->process(ch, p, len, VMBUS_PKT_DATA_INBAND, 1);
    /* LEDs: short, then fine */
    t = SYNTHKBD_LED_INDICATORS;
    memcpy(p, &t, 4);
    F()->process(ch, p, 6, VMBUS_PKT_DATA_INBAND, 1);
    assert_int_equal(keyboard_stats.rejected, 4 + 1 + 5 + 4 + 1);
    struct synthkbd_led_indicators led = {{SYNTHKBD_LED_INDICATORS}, 0x7, 0};
    F()->process(ch, &led, sizeof(led), VMBUS_PKT_DATA_INBAND, 1);
    assert_int_equal(keyboard_stats.rejected, 15);
    assert_int_equal(F()->nsent, n);
    /* the log budget */
    assert_int_equal(log_count("hv: keyboard: kbd0: refused"), 8);
    /* still serving */
    assert_int_equal(keyboard_send_scancode(K, 0x1e, true, false), STATUS_SUCCESS);
    expect_bytes((const uint8_t[]){0x1e}, 1);
    /* LEDs before the protocol: refused */
    close_channel();
    open_channel();
    F()->process(ch, &led, sizeof(led), VMBUS_PKT_DATA_INBAND, 1);
    assert_int_equal(keyboard_stats.rejected, 16);
}

static void ring_full(void **state)
{
    (void)state;
    F()->send_status = STATUS_INSUFFICIENT_RESOURCES;
    assert_int_equal(keyboard_send_scancode(K, 0x1e, true, false), STATUS_INSUFFICIENT_RESOURCES);
    assert_int_equal(keyboard_stats.lost, 1);
    assert_int_equal(log_count("key 0x1e not sent: status 0xc000009a"), 1);
    /* the response lost: not agreed, the guest times out and fails its probe */
    close_channel();
    g.seen = F()->nsent;
    open_channel();
    assert_int_equal(connect_to_vsp(SYNTHKBD_VERSION_WIN8), -110);
    assert_false(keyboard_ready(K));
    F()->send_status = 0;
    assert_int_equal(connect_to_vsp(SYNTHKBD_VERSION_WIN8), 0);
}

/* The i8042's queue (lib/byteq.h) handed on after an exit: every byte in
 * order, Shift-a as typed; bytes the queue dropped count as lost keys; with
 * no keyboard configured the bytes just go. */
static void fed_from_the_i8042_queue(void **state)
{
    (void)state;
    static const uint8_t typed[] = {0x2a, 0x1e, 0x9e, 0xaa, 0xe0, 0x48, 0xe0, 0xc8};
    struct byteq q = {0};
    for (unsigned i = 0; i < sizeof(typed); i++)
        assert_true(byteq_push(&q, typed[i]));
    keyboard_feed(K, &q);
    expect_bytes(typed, sizeof(typed));
    assert_int_equal(keyboard_stats.keys, 6);
    uint8_t b;
    assert_false(byteq_pop(&q, &b));
    keyboard_feed(K, &q); /* nothing queued: nothing sent */
    assert_int_equal(keyboard_stats.keys, 6);

    q.dropped = 3;
    assert_true(byteq_push(&q, 0x1e));
    keyboard_feed(K, &q);
    expect_bytes((const uint8_t[]){0x1e}, 1);
    assert_int_equal(keyboard_stats.lost, 3);
    assert_int_equal(q.dropped, 0);

    unsigned n = F()->nsent;
    assert_true(byteq_push(&q, 0x1e));
    keyboard_feed(NULL, &q);
    assert_false(byteq_pop(&q, &b));
    assert_int_equal(F()->nsent, n);
}

static void summary(void **state)
{
    (void)state;
    keyboard_stats = (struct keyboard_stats){40, 2, 1};
    char buf[128];
    size_t n = keyboard_summary(buf, sizeof(buf));
    assert_string_equal(buf, " kbd_keys=40 kbd_lost=2 kbd_rejected=1");
    assert_int_equal(n, strlen(buf));
    assert_int_equal(keyboard_summary(buf, 4), n);
}

/* What the keyboard's decoder makes of exactly len bytes: fake_decode_checked's full line, failing
 * the test otherwise. */
static const char *kbd_decoded(const void *pkt, size_t len)
{
    const char *why, *line = fake_decode_checked(keyboard_trace_decode, pkt, len, &why);
    if (!line)
        fail_msg("%s", why);
    return line;
}

/* The decoder the keyboard channel registers: each message kind, every
 * short length, odd types. */
static void trace_decoder(void **state)
{
    (void)state;
    assert_ptr_equal(fake_channel(ch)->decode, keyboard_trace_decode);
    const uint32_t req[2] = {SYNTHKBD_PROTOCOL_REQUEST, SYNTHKBD_VERSION(1, 0)};
    assert_string_equal(kbd_decoded(req, 8), "kbd PROTOCOL_REQUEST version=1.0");
    const uint32_t res[2] = {SYNTHKBD_PROTOCOL_RESPONSE, SYNTHKBD_PROTOCOL_ACCEPTED};
    assert_string_equal(kbd_decoded(res, 8), "kbd PROTOCOL_RESPONSE accepted=1 status=0x1");
    struct synthkbd_keystroke k = {
        {SYNTHKBD_EVENT}, 0x1d, 0, SYNTHKBD_INFO_BREAK | SYNTHKBD_INFO_E0};
    assert_string_equal(kbd_decoded(&k, sizeof(k)), "kbd EVENT code=0x1d break e0");
    k.info = SYNTHKBD_INFO_E1 | SYNTHKBD_INFO_UNICODE;
    assert_string_equal(kbd_decoded(&k, sizeof(k)), "kbd EVENT code=0x1d make e1 unicode");
    const uint32_t led[2] = {SYNTHKBD_LED_INDICATORS, 7};
    assert_string_equal(kbd_decoded(led, 8), "kbd LED_INDICATORS flags=0x7");
    for (size_t l = 0; l < sizeof(k); l++)
        assert_non_null(strstr(kbd_decoded(&k, l), "malformed"));
    for (size_t l = 4; l < 8; l++)
        assert_string_not_equal(kbd_decoded(req, l), "kbd PROTOCOL_REQUEST version=1.0");
    const uint32_t odd[3] = {0, 9, 77};
    assert_string_equal(kbd_decoded(odd, 12), "kbd type=0 (12 bytes)");
    assert_string_equal(kbd_decoded(odd + 2, 4), "kbd type=77 (4 bytes)");
    uint8_t big[300];
    memset(big, 0xff, sizeof(big));
    assert_string_equal(kbd_decoded(big, sizeof(big)), "kbd type=4294967295 (300 bytes)");
    big[0] = SYNTHKBD_EVENT;
    big[1] = big[2] = big[3] = 0;
    assert_string_equal(kbd_decoded(big, sizeof(big)), "kbd EVENT code=0xffff break e0 e1 unicode");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(protocol, setup),
        cmocka_unit_test_setup(scancodes, setup),
        cmocka_unit_test_setup(byte_stream_round_trip, setup),
        cmocka_unit_test_setup(before_agreement_and_after_close, setup),
        cmocka_unit_test_setup(hostile_guest, setup),
        cmocka_unit_test_setup(ring_full, setup),
        cmocka_unit_test_setup(fed_from_the_i8042_queue, setup),
        cmocka_unit_test_setup(summary, setup),
        cmocka_unit_test_setup(trace_decoder, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
