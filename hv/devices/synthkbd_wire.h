/* The Synthetic Keyboard wire format (class f912ad6d-2b17-48ea-bd65-f927a61c7684),
 * as Linux 6.1's hyperv-keyboard speaks it (docs/video.md): raw in-band VMBus
 * packets, no pipe header, a 4-byte message type first. Little endian,
 * packed; constants and layouts only. */
#ifndef HV_DEVICES_SYNTHKBD_WIRE_H
#define HV_DEVICES_SYNTHKBD_WIRE_H

#include <stddef.h>
#include <stdint.h>

/* Versions are (major << 16) | minor (the other way round from synthvid). */
#define SYNTHKBD_VERSION(major, minor) ((uint32_t)(major) << 16 | (uint32_t)(minor))
#define SYNTHKBD_VERSION_WIN8          SYNTHKBD_VERSION(1, 0)

#define SYNTHKBD_PROTOCOL_REQUEST  1u /* guest -> host */
#define SYNTHKBD_PROTOCOL_RESPONSE 2u /* host -> guest */
#define SYNTHKBD_EVENT             3u /* host -> guest */
#define SYNTHKBD_LED_INDICATORS    4u /* guest -> host (Linux 6.1 never sends it) */

/* PROTOCOL_RESPONSE proto_status */
#define SYNTHKBD_PROTOCOL_ACCEPTED 1u

/* EVENT info */
#define SYNTHKBD_INFO_UNICODE 1u /* make_code is a UTF-16 unit; Linux ignores the bit */
#define SYNTHKBD_INFO_BREAK   2u /* key released: the guest ORs 0x80 into the code */
#define SYNTHKBD_INFO_E0      4u /* the guest emits 0xE0 first */
#define SYNTHKBD_INFO_E1      8u /* the guest emits 0xE1 first */

/* Linux's HK_MAXIMUM_MESSAGE_SIZE. */
#define SYNTHKBD_MAX_MESSAGE 256u

struct synthkbd_msg_hdr {
    uint32_t type;
} __attribute__((packed));
_Static_assert(sizeof(struct synthkbd_msg_hdr) == 4, "synthkbd header");

struct synthkbd_protocol_request {
    struct synthkbd_msg_hdr header;
    uint32_t version;
} __attribute__((packed));
_Static_assert(sizeof(struct synthkbd_protocol_request) == 8, "PROTOCOL_REQUEST");

struct synthkbd_protocol_response {
    struct synthkbd_msg_hdr header;
    uint32_t proto_status;
} __attribute__((packed));
_Static_assert(sizeof(struct synthkbd_protocol_response) == 8, "PROTOCOL_RESPONSE");

/* make_code: an AT set 1 (XT) make code, 0x01-0x7f, without the break bit. */
struct synthkbd_keystroke {
    struct synthkbd_msg_hdr header;
    uint16_t make_code;
    uint16_t reserved;
    uint32_t info;
} __attribute__((packed));
_Static_assert(sizeof(struct synthkbd_keystroke) == 12, "EVENT");
_Static_assert(offsetof(struct synthkbd_keystroke, info) == 8, "EVENT info");

struct synthkbd_led_indicators {
    struct synthkbd_msg_hdr header;
    uint16_t led_flags;
    uint16_t reserved;
} __attribute__((packed));
_Static_assert(sizeof(struct synthkbd_led_indicators) == 8, "LED_INDICATORS");

#endif
