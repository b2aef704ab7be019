/* IC framing and version negotiation (contract §8.1-8.2). The guest's bytes
 * are copied out field by field (the packet may sit at any alignment) and
 * every count is checked against the length before a version is read. */
#include "devices/ic.h"

#include <stddef.h>

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
