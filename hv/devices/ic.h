/* Integration-component framing and version negotiation, host side:
 * hardware-free, no channel in sight. Requests are built into caller buffers;
 * what the guest sends is validated once here (ic_parse) into a trusted
 * struct ic_msg (docs/ics.md). */
#ifndef HV_DEVICES_IC_H
#define HV_DEVICES_IC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "devices/ic_wire.h"

/* The framework versions the host offers, newest first. */
#define IC_FRAMEWORK_VERSION_COUNT 2u
extern const struct ic_version ic_framework_versions[IC_FRAMEWORK_VERSION_COUNT];

/* A packet from the guest after ic_parse: the header's fields and the body
 * (everything after the 28-byte header, the guest's padding included). */
struct ic_msg {
    uint16_t type;
    struct ic_version framework, version;
    uint32_t status;
    uint8_t flags;
    const uint8_t *body;
    uint32_t body_len;
};

/* Writes the pipe and message headers of a host request (IC_HDR_SIZE bytes)
 * for a body of body_len bytes: TRANSACTION | REQUEST, status 0, IC
 * transaction id 0 (as Hyper-V-like hosts send it). */
void ic_put_header(uint8_t *buf, uint16_t type, struct ic_version framework,
                   struct ic_version version, uint16_t body_len);

/* Validates a packet's framing: 0 and *m (pointing into buf), or -1 and
 * *why. Only the length is checked here; what the header says is the
 * caller's business. */
int ic_parse(const void *buf, uint32_t len, struct ic_msg *m, const char **why);

/* The negotiate request offering ic_framework_versions and versions[0..n)
 * (newest first): its length, or 0 if cap is too small or n is 0 or above
 * IC_MAX_VERSION_COUNT. */
uint32_t ic_build_negotiate(uint8_t *buf, uint32_t cap, const struct ic_version *versions,
                            unsigned n);

enum ic_negotiation {
    IC_NEGOTIATED,        /* *framework and *version set */
    IC_NO_COMMON_VERSION, /* the guest found nothing it supports among ours */
    IC_NEGOTIATE_BAD,     /* malformed answer (*why) */
};

/* The guest's answer m to our negotiate request (versions[0..n) offered):
 * from the framework and message versions it lists, the highest of each that
 * we offered. Linux lists exactly the one it chose of each, or none (counts 0)
 * when nothing matched; versions we never offered count as no match. */
enum ic_negotiation ic_negotiate_answer(const struct ic_msg *m, const struct ic_version *versions,
                                        unsigned n, struct ic_version *framework,
                                        struct ic_version *version, const char **why);

/* The ICs' trace decoder (every IC channel's VmbChannelInitSetTraceDecoder;
 * docs/ics.md, "Trace"): an IC packet in either direction as text, "ic
 * <kind> <version> request|response [status=..] <body fields>", e.g. "ic
 * heartbeat 3.0 response seq=6". Reads pkt[0..len) only, through copies;
 * what does not fit its layout says "malformed: ...". Writes at most cap
 * bytes, NUL-terminated; returns the length written. */
size_t ic_trace_decode(const void *pkt, size_t len, char *out, size_t cap);

#endif
