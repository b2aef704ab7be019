/* The Synthetic Keyboard device (device kind "keyboard"), served to Linux's
 * hyperv-keyboard (docs/video.md). The guest asks for protocol 1.0 once
 * after each open; from then on the host sends key events, AT set 1 scan
 * codes with their E0/E1 prefix and break as flags, which the guest turns
 * back into set-1 bytes for its atkbd driver. */
#ifndef HV_DEVICES_KEYBOARD_H
#define HV_DEVICES_KEYBOARD_H

#include <stdbool.h>
#include <stdint.h>

#include "boot_info.h"
#include "devices/device.h"
#include "lib/byteq.h"
#include "vmbus/kmcl.h"

extern const GUID keyboard_class;
extern const struct device_kind keyboard_kind;

struct keyboard;

/* Allocates and configures the one keyboard channel for d (not enabled). */
NTSTATUS keyboard_create(const struct hv_device_config *d, VMBCHANNEL *out);

/* The configured keyboard, or NULL: what the i8042 glue keeps to send keys. */
struct keyboard *keyboard_get(void);

/* Whether the guest agreed on the protocol, so keys can go. */
bool keyboard_ready(const struct keyboard *k);

/* One key event: code is the set-1 make code (0x01-0x7f, without the break
 * bit), make false for a release, e0 for the keys that carry an 0xE0 prefix
 * (arrows, right Ctrl/Alt, keypad Enter, ...). STATUS_INVALID_PARAMETER_1 for
 * a NULL k, _2 for a code outside 0x01-0x7f; STATUS_INVALID_DEVICE_STATE
 * before the protocol is agreed; else what VmbChannelSendPacket says
 * (STATUS_INSUFFICIENT_RESOURCES: the guest's ring is full, the key is lost). */
NTSTATUS keyboard_send_scancode(struct keyboard *k, uint8_t code, bool make, bool e0);

/* The same from a set-1 byte stream, as a PS/2 keyboard would emit it: 0xE0
 * and 0xE1 are prefixes kept for the next byte, bit 7 is break (Pause:
 * E1 1D 45 E1 9D C5). A prefix returns STATUS_SUCCESS and sends nothing (a
 * second prefix replaces the first); 0x00, 0x80 and 0xFF are refused (_2)
 * and drop a pending prefix. */
NTSTATUS keyboard_send_byte(struct keyboard *k, uint8_t byte);

/* Hands every byte queued in q (the host's i8042, hv/arch/x86/i8042.c) to
 * keyboard_send_byte; bytes q dropped when full count as lost keys. With a
 * NULL k (no keyboard device) the bytes are dropped. */
void keyboard_feed(struct keyboard *k, struct byteq *q);

/* The keyboard channel's trace decoder (VmbChannelInitSetTraceDecoder;
 * docs/vmbus.md, "Trace"): "kbd PROTOCOL_REQUEST version=1.0",
 * "kbd PROTOCOL_RESPONSE accepted=1", "kbd EVENT code=0x1e [break] [e0]
 * [e1] [unicode]", "kbd LED_INDICATORS flags=0x.."; "kbd type=N" for
 * others; a message short of its layout "... malformed: N bytes, its
 * layout has M". Reads pkt[0..len) only. */
size_t keyboard_trace_decode(const void *pkt, size_t len, char *out, size_t cap);

/* Counters for the summary line. */
struct keyboard_stats {
    uint64_t keys;     /* key events sent */
    uint64_t lost;     /* key events not sent (ring full, not ready) */
    uint64_t rejected; /* guest messages refused */
};
extern struct keyboard_stats keyboard_stats;

/* " kbd_keys=.. kbd_lost=.. kbd_rejected=.." (only once a keyboard was
 * created); the length the full text would have. */
size_t keyboard_summary(char *buf, size_t cap);

#endif
