/* The Synthetic Keyboard device (docs/video.md). The guest opens the channel
 * and sends PROTOCOL_REQUEST for 1.0 (asking for a completion it then
 * ignores); the host answers with an in-band PROTOCOL_RESPONSE, accepted only
 * for 1.0. Key events go from the host once agreed. Everything else the guest
 * sends is refused, logged (the first few) and counted. */
#include "devices/keyboard.h"

#include <stdarg.h>

#include "devices/synthkbd_wire.h"
#include "lib/fmt.h"
#include "lib/log.h"
#include "lib/log_once.h"
#include "lib/mem.h"

/* f912ad6d-2b17-48ea-bd65-f927a61c7684 */
const GUID keyboard_class = {
    0xf912ad6d, 0x2b17, 0x48ea, {0xbd, 0x65, 0xf9, 0x27, 0xa6, 0x1c, 0x76, 0x84}};

#define REJECTS_LOGGED 8u
#define SET1_E0        0xe0u
#define SET1_E1        0xe1u
#define SET1_BREAK     0x80u

enum keyboard_state {
    KBD_CLOSED,
    KBD_OPEN,  /* open, protocol not agreed */
    KBD_READY, /* protocol 1.0 agreed */
};

struct keyboard {
    bool created;
    VMBCHANNEL channel;
    char name[HV_DEVNAME_MAX];
    enum keyboard_state state;
    uint32_t prefix; /* SYNTHKBD_INFO_E0 / _E1 pending from keyboard_send_byte */
    uint16_t leds;   /* the guest's last LED_INDICATORS */
    struct log_budget rejects, send_failures;
};

static struct keyboard kbd;
struct keyboard_stats keyboard_stats;

static void reject(const char *what, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void reject(const char *what, const char *fmt, ...)
{
    keyboard_stats.rejected++;
    if (!log_budget_take(&kbd.rejects))
        return;
    char why[128];
    va_list ap;
    va_start(ap, fmt);
    fmt_vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    hv_log("keyboard", "%s: refused %s: %s", kbd.name, what, why);
}

static void protocol_request(const uint8_t *p)
{
    struct synthkbd_protocol_request req;
    memcpy(&req, p, sizeof(req));
    if (kbd.state == KBD_READY) {
        reject("PROTOCOL_REQUEST", "protocol already agreed");
        return;
    }
    bool ok = req.version == SYNTHKBD_VERSION_WIN8;
    struct synthkbd_protocol_response resp = {
        .header = {SYNTHKBD_PROTOCOL_RESPONSE},
        .proto_status = ok ? SYNTHKBD_PROTOCOL_ACCEPTED : 0,
    };
    if (!ok)
        reject("PROTOCOL_REQUEST", "version %u.%u (serves 1.0)", req.version >> 16,
               req.version & 0xffffu);
    NTSTATUS s = VmbChannelSendPacket(kbd.channel, &resp, sizeof(resp), 0);
    if (!NT_SUCCESS(s)) {
        if (log_budget_take(&kbd.send_failures))
            hv_log("keyboard", "%s: PROTOCOL_RESPONSE not sent: status 0x%08x", kbd.name,
                   (UINT32)s);
        return;
    }
    if (ok) {
        kbd.state = KBD_READY;
        hv_log("keyboard", "%s: protocol 1.0 agreed", kbd.name);
    }
}

static void process(VMBCHANNEL channel, const VOID *buffer, UINT32 length, UINT16 type,
                    UINT64 transaction_id)
{
    (void)channel;
    (void)transaction_id;
    const uint8_t *p = buffer;
    struct synthkbd_msg_hdr h;
    if (type != VMB_PACKET_TYPE_DATA_INBAND) {
        reject("packet", "VMBus packet type %u, not in-band data", type);
        return;
    }
    if (length < sizeof(h)) {
        reject("packet", "%u bytes, shorter than its header", length);
        return;
    }
    memcpy(&h, p, sizeof(h));
    switch (h.type) {
    case SYNTHKBD_PROTOCOL_REQUEST:
        if (length < sizeof(struct synthkbd_protocol_request)) {
            reject("PROTOCOL_REQUEST", "%u bytes, needs 8", length);
            return;
        }
        protocol_request(p);
        return;
    case SYNTHKBD_LED_INDICATORS: {
        struct synthkbd_led_indicators led;
        if (length < sizeof(led)) {
            reject("LED_INDICATORS", "%u bytes, needs 8", length);
            return;
        }
        if (kbd.state != KBD_READY) {
            reject("LED_INDICATORS", "no protocol agreed yet");
            return;
        }
        memcpy(&led, p, sizeof(led));
        kbd.leds = led.led_flags; /* no LEDs to light */
        return;
    }
    }
    reject("packet", "message type %u is not one the guest sends", h.type);
}

static NTSTATUS opened(VMBCHANNEL channel)
{
    (void)channel;
    kbd.state = KBD_OPEN;
    kbd.prefix = 0;
    return STATUS_SUCCESS;
}

static void closed(VMBCHANNEL channel)
{
    (void)channel;
    kbd.state = KBD_CLOSED;
    kbd.prefix = 0;
}

size_t keyboard_trace_decode(const void *pkt, size_t len, char *out, size_t cap)
{
    union {
        uint8_t bytes[12];
        struct synthkbd_msg_hdr hdr;
        struct synthkbd_protocol_request req;
        struct synthkbd_protocol_response res;
        struct synthkbd_keystroke key;
        struct synthkbd_led_indicators led;
    } m;
    static const char *const names[] = {NULL, "PROTOCOL_REQUEST", "PROTOCOL_RESPONSE", "EVENT",
                                        "LED_INDICATORS"};
    static const uint8_t sizes[] = {0, 8, 8, 12, 8};
    int n;
    if (!cap)
        return 0;
    out[0] = '\0';
    if (!pkt || len < sizeof(m.hdr)) {
        n = fmt_snprintf(out, cap, "kbd malformed: %u bytes, shorter than the 4-byte header",
                         (unsigned)len);
        return n < 0 ? 0 : (size_t)n < cap ? (size_t)n : cap - 1;
    }
    memset(&m, 0, sizeof(m));
    memcpy(&m, pkt, len < sizeof(m) ? len : sizeof(m));
    uint32_t t = m.hdr.type;
    if (t == 0 || t >= sizeof(names) / sizeof(names[0]))
        n = fmt_snprintf(out, cap, "kbd type=%u (%u bytes)", (unsigned)t, (unsigned)len);
    else if (len < sizes[t])
        n = fmt_snprintf(out, cap, "kbd %s malformed: %u bytes, its layout has %u", names[t],
                         (unsigned)len, sizes[t]);
    else if (t == SYNTHKBD_PROTOCOL_REQUEST)
        n = fmt_snprintf(out, cap, "kbd %s version=%u.%u", names[t],
                         (unsigned)(m.req.version >> 16), (unsigned)(m.req.version & 0xffffu));
    else if (t == SYNTHKBD_PROTOCOL_RESPONSE)
        n = fmt_snprintf(out, cap, "kbd %s accepted=%u status=0x%x", names[t],
                         (unsigned)(m.res.proto_status & SYNTHKBD_PROTOCOL_ACCEPTED),
                         (unsigned)m.res.proto_status);
    else if (t == SYNTHKBD_EVENT)
        n = fmt_snprintf(out, cap, "kbd %s code=0x%x%s%s%s%s", names[t], (unsigned)m.key.make_code,
                         m.key.info & SYNTHKBD_INFO_BREAK ? " break" : " make",
                         m.key.info & SYNTHKBD_INFO_E0 ? " e0" : "",
                         m.key.info & SYNTHKBD_INFO_E1 ? " e1" : "",
                         m.key.info & SYNTHKBD_INFO_UNICODE ? " unicode" : "");
    else
        n = fmt_snprintf(out, cap, "kbd %s flags=0x%x", names[t], (unsigned)m.led.led_flags);
    return n < 0 ? 0 : (size_t)n < cap ? (size_t)n : cap - 1;
}

NTSTATUS keyboard_create(const struct hv_device_config *d, VMBCHANNEL *out)
{
    static const VMB_CHANNEL_STATE_CHANGE_CALLBACKS callbacks = {opened, closed};
    *out = NULL;
    memset(&kbd, 0, sizeof(kbd));
    memset(&keyboard_stats, 0, sizeof(keyboard_stats));
    kbd.rejects = (struct log_budget)LOG_BUDGET(REJECTS_LOGGED, "");
    kbd.send_failures = (struct log_budget)LOG_BUDGET(REJECTS_LOGGED, "");
    kbd.created = true;
    memcpy(kbd.name, d->name, sizeof(kbd.name));
    kbd.name[sizeof(kbd.name) - 1] = '\0';

    GUID instance;
    guid_for_device(&instance, d->instance, &keyboard_class, d->name);
    NTSTATUS s = VmbChannelAllocate(&kbd, TRUE, &kbd.channel);
    if (!NT_SUCCESS(s))
        return s;
    s = VmbChannelInitSetFriendlyName(kbd.channel, d->name);
    if (NT_SUCCESS(s))
        s = VmbServerChannelInitSetTargetInterfaceId(kbd.channel, &keyboard_class, &instance);
    if (NT_SUCCESS(s))
        s = VmbChannelInitSetStateChangeCallbacks(kbd.channel, &callbacks);
    if (NT_SUCCESS(s))
        s = VmbChannelInitSetProcessPacketCallback(kbd.channel, process);
    if (NT_SUCCESS(s))
        s = VmbChannelInitSetTraceDecoder(kbd.channel, keyboard_trace_decode);
    if (!NT_SUCCESS(s)) {
        VmbChannelCleanup(kbd.channel);
        kbd.channel = NULL;
        return s;
    }
    *out = kbd.channel;
    return STATUS_SUCCESS;
}

struct keyboard *keyboard_get(void)
{
    return kbd.created && kbd.channel ? &kbd : NULL;
}

bool keyboard_ready(const struct keyboard *k)
{
    return k && k->state == KBD_READY;
}

static NTSTATUS send_event(struct keyboard *k, uint8_t code, uint32_t info)
{
    if (!keyboard_ready(k)) {
        keyboard_stats.lost++;
        return STATUS_INVALID_DEVICE_STATE;
    }
    struct synthkbd_keystroke ev = {
        .header = {SYNTHKBD_EVENT},
        .make_code = code,
        .info = info,
    };
    NTSTATUS s = VmbChannelSendPacket(k->channel, &ev, sizeof(ev), 0);
    if (NT_SUCCESS(s)) {
        keyboard_stats.keys++;
    } else {
        keyboard_stats.lost++;
        if (log_budget_take(&k->send_failures))
            hv_log("keyboard", "%s: key 0x%02x not sent: status 0x%08x", k->name, code, (UINT32)s);
    }
    return s;
}

NTSTATUS keyboard_send_scancode(struct keyboard *k, uint8_t code, bool make, bool e0)
{
    if (!k)
        return STATUS_INVALID_PARAMETER_1;
    if (code == 0 || code >= SET1_BREAK)
        return STATUS_INVALID_PARAMETER_2;
    return send_event(k, code, (make ? 0 : SYNTHKBD_INFO_BREAK) | (e0 ? SYNTHKBD_INFO_E0 : 0));
}

NTSTATUS keyboard_send_byte(struct keyboard *k, uint8_t byte)
{
    if (!k)
        return STATUS_INVALID_PARAMETER_1;
    if (byte == SET1_E0 || byte == SET1_E1) {
        k->prefix = byte == SET1_E0 ? SYNTHKBD_INFO_E0 : SYNTHKBD_INFO_E1;
        return STATUS_SUCCESS;
    }
    uint32_t info = k->prefix;
    k->prefix = 0;
    uint8_t code = byte & (uint8_t)~SET1_BREAK;
    if (code == 0 || byte == 0xff)
        return STATUS_INVALID_PARAMETER_2;
    if (byte & SET1_BREAK)
        info |= SYNTHKBD_INFO_BREAK;
    return send_event(k, code, info);
}

void keyboard_feed(struct keyboard *k, struct byteq *q)
{
    uint8_t b;
    while (byteq_pop(q, &b))
        keyboard_send_byte(k, b);
    if (q->dropped) {
        keyboard_stats.lost += q->dropped;
        q->dropped = 0;
    }
}

size_t keyboard_summary(char *buf, size_t cap)
{
    if (!kbd.created) {
        if (cap)
            buf[0] = '\0';
        return 0;
    }
    int n = fmt_snprintf(buf, cap, " kbd_keys=%llu kbd_lost=%llu kbd_rejected=%llu",
                         (unsigned long long)keyboard_stats.keys,
                         (unsigned long long)keyboard_stats.lost,
                         (unsigned long long)keyboard_stats.rejected);
    return n < 0 ? 0 : (size_t)n;
}

static NTSTATUS create(const struct device *d, VMBCHANNEL *out)
{
    return keyboard_create(d->cfg, out);
}

const struct device_kind keyboard_kind = {
    .name = "keyboard",
    .single = true,
    .create = create,
    .summary = keyboard_summary,
};
