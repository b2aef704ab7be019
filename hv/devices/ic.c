/* IC framing and version negotiation (contract §8.1-8.2). The guest's bytes
 * are copied out field by field (the packet may sit at any alignment) and
 * every count is checked against the length before a version is read. */
#include "devices/ic.h"

#include <stddef.h>

#include "lib/fmt.h"
#include "lib/mem.h"

const struct ic_version ic_framework_versions[IC_FRAMEWORK_VERSION_COUNT] = {{3, 0}, {1, 0}};

void ic_put_header(uint8_t *buf, uint16_t type, struct ic_version framework,
                   struct ic_version version, uint16_t body_len)
{
    struct ic_frame_hdr h = {
        .pipe = {IC_PIPE_FLAG_DATA, (uint32_t)(sizeof(struct ic_msg_hdr) + body_len)},
        .msg =
            {
                .framework = framework,
                .type = type,
                .version = version,
                .size = body_len,
                .status = IC_S_OK,
                .trans_id = 0,
                .flags = IC_FLAG_TRANSACTION | IC_FLAG_REQUEST,
            },
    };
    memcpy(buf, &h, sizeof(h));
}

int ic_parse(const void *buf, uint32_t len, struct ic_msg *m, const char **why)
{
    if (len < IC_HDR_SIZE) {
        *why = "shorter than the 28-byte IC header";
        return -1;
    }
    struct ic_frame_hdr h;
    memcpy(&h, buf, sizeof(h));
    m->type = h.msg.type;
    m->framework = h.msg.framework;
    m->version = h.msg.version;
    m->status = h.msg.status;
    m->flags = h.msg.flags;
    m->body = (const uint8_t *)buf + IC_HDR_SIZE;
    m->body_len = len - IC_HDR_SIZE;
    return 0;
}

uint32_t ic_build_negotiate(uint8_t *buf, uint32_t cap, const struct ic_version *versions,
                            unsigned n)
{
    uint32_t count = IC_FRAMEWORK_VERSION_COUNT + n;
    uint32_t body = (uint32_t)sizeof(struct ic_negotiate) + count * sizeof(struct ic_version);
    if (n == 0 || n > IC_MAX_VERSION_COUNT || cap < IC_HDR_SIZE + body)
        return 0;
    /* Nothing is negotiated yet: the header's versions stay 0.0. */
    ic_put_header(buf, IC_MSG_NEGOTIATE, (struct ic_version){0, 0}, (struct ic_version){0, 0},
                  (uint16_t)body);
    struct ic_negotiate neg = {IC_FRAMEWORK_VERSION_COUNT, (uint16_t)n, 0};
    uint8_t *p = buf + IC_HDR_SIZE;
    memcpy(p, &neg, sizeof(neg));
    p += sizeof(neg);
    memcpy(p, ic_framework_versions, sizeof(ic_framework_versions));
    p += sizeof(ic_framework_versions);
    memcpy(p, versions, n * sizeof(*versions));
    return IC_HDR_SIZE + body;
}

static bool newer(struct ic_version a, struct ic_version b)
{
    return a.major != b.major ? a.major > b.major : a.minor > b.minor;
}

static bool offered(struct ic_version v, const struct ic_version *list, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        if (list[i].major == v.major && list[i].minor == v.minor)
            return true;
    }
    return false;
}

/* The highest of listed[0..count) that is in ours[0..n); false if none. */
static bool pick(const uint8_t *listed, unsigned count, const struct ic_version *ours, unsigned n,
                 struct ic_version *out)
{
    bool found = false;
    for (unsigned i = 0; i < count; i++) {
        struct ic_version v;
        memcpy(&v, listed + i * sizeof(v), sizeof(v));
        if (offered(v, ours, n) && (!found || newer(v, *out))) {
            *out = v;
            found = true;
        }
    }
    return found;
}

enum ic_negotiation ic_negotiate_answer(const struct ic_msg *m, const struct ic_version *versions,
                                        unsigned n, struct ic_version *framework,
                                        struct ic_version *version, const char **why)
{
    struct ic_negotiate neg;
    if (m->body_len < sizeof(neg)) {
        *why = "negotiate body shorter than its 8-byte counts";
        return IC_NEGOTIATE_BAD;
    }
    memcpy(&neg, m->body, sizeof(neg));
    if (neg.framework_count > IC_MAX_VERSION_COUNT || neg.version_count > IC_MAX_VERSION_COUNT) {
        *why = "more than 100 versions listed";
        return IC_NEGOTIATE_BAD;
    }
    uint32_t listed = (uint32_t)neg.framework_count + neg.version_count;
    if (m->body_len - sizeof(neg) < listed * sizeof(struct ic_version)) {
        *why = "version counts run past the packet";
        return IC_NEGOTIATE_BAD;
    }
    const uint8_t *table = m->body + sizeof(neg);
    if (!pick(table, neg.framework_count, ic_framework_versions, IC_FRAMEWORK_VERSION_COUNT,
              framework) ||
        !pick(table + neg.framework_count * sizeof(struct ic_version), neg.version_count, versions,
              n, version))
        return IC_NO_COMMON_VERSION;
    return IC_NEGOTIATED;
}

/* --- the trace decoder ----------------------------------------------------------------- */

static const char *kind_name(uint16_t type)
{
    switch (type) {
    case IC_MSG_NEGOTIATE:
        return "negotiate";
    case IC_MSG_HEARTBEAT:
        return "heartbeat";
    case IC_MSG_SHUTDOWN:
        return "shutdown";
    case IC_MSG_TIMESYNC:
        return "timesync";
    default:
        return NULL;
    }
}

/* "3.0,1.0" from count versions at p. */
static void put_versions(struct fmt_out *o, const char *key, const uint8_t *p, unsigned count)
{
    fmt_append(o, " %s=", key);
    if (!count)
        fmt_append(o, "none");
    for (unsigned i = 0; i < count; i++) {
        struct ic_version v;
        memcpy(&v, p + i * sizeof(v), sizeof(v));
        fmt_append(o, "%s%u.%u", i ? "," : "", v.major, v.minor);
    }
}

static void d_negotiate(struct fmt_out *o, const uint8_t *body, size_t len)
{
    struct ic_negotiate neg;
    if (len < sizeof(neg)) {
        fmt_append(o, " malformed: body %u bytes, shorter than its 8-byte counts", (unsigned)len);
        return;
    }
    memcpy(&neg, body, sizeof(neg));
    size_t listed = (size_t)neg.framework_count + neg.version_count;
    if (neg.framework_count > IC_MAX_VERSION_COUNT || neg.version_count > IC_MAX_VERSION_COUNT ||
        len - sizeof(neg) < listed * sizeof(struct ic_version)) {
        fmt_append(o, " malformed: counts %u+%u run past its %u-byte body", neg.framework_count,
                   neg.version_count, (unsigned)len);
        return;
    }
    put_versions(o, "framework", body + sizeof(neg), neg.framework_count);
    put_versions(o, "versions",
                 body + sizeof(neg) + neg.framework_count * sizeof(struct ic_version),
                 neg.version_count);
}

static void d_heartbeat(struct fmt_out *o, const uint8_t *body, size_t len)
{
    uint64_t seq;
    if (len < sizeof(seq)) {
        fmt_append(o, " malformed: body %u bytes, shorter than its 8-byte sequence", (unsigned)len);
        return;
    }
    memcpy(&seq, body, sizeof(seq));
    fmt_append(o, " seq=%llu", (unsigned long long)seq);
}

static void d_shutdown(struct fmt_out *o, const uint8_t *body, size_t len)
{
    struct ic_shutdown s; /* the fixed part: reason, timeout, flags */
    const size_t fixed = offsetof(struct ic_shutdown, display_message);
    if (len < fixed) {
        fmt_append(o, " malformed: body %u bytes, shorter than its %u-byte fixed part",
                   (unsigned)len, (unsigned)fixed);
        return;
    }
    memcpy(&s, body, fixed);
    const char *what = s.flags & IC_SHUTDOWN_FLAG_HIBERNATE ? "hibernate"
                       : s.flags & IC_SHUTDOWN_FLAG_REBOOT  ? "reboot"
                                                            : "poweroff";
    fmt_append(o, " flags=0x%x (%s%s) reason=0x%x timeout=%u", (unsigned)s.flags, what,
               s.flags & IC_SHUTDOWN_FLAG_FORCE ? ",force" : "", (unsigned)s.reason_code,
               (unsigned)s.timeout_seconds);
    if (len < sizeof(s))
        fmt_append(o, " (message cut: body %u of %u bytes)", (unsigned)len, (unsigned)sizeof(s));
}

static const char *sync_flags(uint8_t f)
{
    return f == IC_TIMESYNC_FLAG_PROBE    ? "probe"
           : f == IC_TIMESYNC_FLAG_SYNC   ? "sync"
           : f == IC_TIMESYNC_FLAG_SAMPLE ? "sample"
                                          : "unknown";
}

/* A FILETIME as unix seconds with its 100 ns fraction (or raw when before 1970). */
static void put_filetime(struct fmt_out *o, const char *key, uint64_t t)
{
    if (t < IC_FILETIME_UNIX_EPOCH) {
        fmt_append(o, " %s=filetime:%llu", key, (unsigned long long)t);
        return;
    }
    t -= IC_FILETIME_UNIX_EPOCH;
    fmt_append(o, " %s=%llu.%07llu", key, (unsigned long long)(t / 10000000u),
               (unsigned long long)(t % 10000000u));
}

static void d_timesync(struct fmt_out *o, const uint8_t *body, size_t len, struct ic_version v)
{
    if (v.major >= IC_TIMESYNC_REF_MIN_MAJOR) {
        struct ic_timesync_ref r;
        if (len < sizeof(r)) {
            fmt_append(o, " malformed: body %u bytes, its %u.%u layout has %u", (unsigned)len,
                       v.major, v.minor, (unsigned)sizeof(r));
            return;
        }
        memcpy(&r, body, sizeof(r));
        put_filetime(o, "time", r.parent_time);
        fmt_append(o, " ref=%llu flags=%s(0x%x) leap=%d stratum=%d",
                   (unsigned long long)r.vm_reference_time, sync_flags(r.flags), r.flags,
                   r.leap_flags, r.stratum);
    } else {
        struct ic_timesync t;
        if (len < sizeof(t)) {
            fmt_append(o, " malformed: body %u bytes, its %u.%u layout has %u", (unsigned)len,
                       v.major, v.minor, (unsigned)sizeof(t));
            return;
        }
        memcpy(&t, body, sizeof(t));
        put_filetime(o, "time", t.parent_time);
        fmt_append(o, " child=%llu rtt=%llu flags=%s(0x%x)", (unsigned long long)t.child_time,
                   (unsigned long long)t.round_trip_time, sync_flags(t.flags), t.flags);
    }
}

size_t ic_trace_decode(const void *pkt, size_t len, char *out, size_t cap)
{
    struct fmt_out o = {out, cap, 0};
    if (!cap)
        return 0;
    out[0] = '\0';
    if (!pkt || len < IC_HDR_SIZE) {
        fmt_append(&o, "ic malformed: %u bytes, shorter than the 28-byte header", (unsigned)len);
        return o.len;
    }
    struct ic_frame_hdr h;
    memcpy(&h, pkt, sizeof(h));
    const uint8_t *body = (const uint8_t *)pkt + IC_HDR_SIZE;
    size_t blen = len - IC_HDR_SIZE;
    const char *kind = kind_name(h.msg.type);
    if (kind)
        fmt_append(&o, "ic %s", kind);
    else
        fmt_append(&o, "ic type=%u", h.msg.type);
    fmt_append(&o, " %u.%u %s", h.msg.version.major, h.msg.version.minor,
               h.msg.flags & IC_FLAG_RESPONSE  ? "response"
               : h.msg.flags & IC_FLAG_REQUEST ? "request"
                                               : "neither");
    if (h.msg.flags & ~(IC_FLAG_TRANSACTION | IC_FLAG_REQUEST | IC_FLAG_RESPONSE))
        fmt_append(&o, " icflags=0x%x", h.msg.flags);
    if (h.msg.status == IC_S_OK)
        fmt_append(&o, " status=S_OK");
    else if (h.msg.status == IC_E_FAIL)
        fmt_append(&o, " status=E_FAIL");
    else
        fmt_append(&o, " status=0x%08x", (unsigned)h.msg.status);
    switch (h.msg.type) {
    case IC_MSG_NEGOTIATE:
        d_negotiate(&o, body, blen);
        break;
    case IC_MSG_HEARTBEAT:
        d_heartbeat(&o, body, blen);
        break;
    case IC_MSG_SHUTDOWN:
        d_shutdown(&o, body, blen);
        break;
    case IC_MSG_TIMESYNC:
        d_timesync(&o, body, blen, h.msg.version);
        break;
    default:
        fmt_append(&o, " (%u body bytes)", (unsigned)blen);
        break;
    }
    return o.len;
}
