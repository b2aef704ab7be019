/* "fault = <when> <what> [key=value...]" lines of hv.cfg (README,
 * "Configuration"; docs/faults.md has what each does). Each line is checked
 * whole here, so the hypervisor's fault engine (hv/vmbus/fault.c) trusts it:
 * a when the action cannot take, a missing or foreign key, a value out of
 * range is an error naming the line. */
#include <stdbool.h>
#include <stdint.h>

#include "lib/config.h"
#include "lib/fmt.h"
#include "lib/str.h"

#define FAULT_MS_MAX    600000u /* 10 minutes */
#define FAULT_COUNT_MAX 1000000u

/* index = enum hv_fault_what; random has a line of its own */
static const char *const whats[] = {NULL,          "delay",     "refuse-versions", "refuse-gpadl",
                                    "refuse-open", "rescind",   "stall",           "drop",
                                    "duplicate",   "no-signal", "corrupt",         NULL,
                                    "reorder",     "mask",      "bad-version",     "unsolicited"};

enum {
    K_MSG = 1u << 0,
    K_MS = 1u << 1,
    K_FROM = 1u << 2,
    K_CHANNEL = 1u << 3,
    K_STATUS = 1u << 4,
    K_REOFFER = 1u << 5,
    K_COUNT = 1u << 6,
    K_FIELD = 1u << 7,
    K_SEED = 1u << 8,
    K_RATE = 1u << 9,
    K_MODE = 1u << 10,
    K_PACKETS = 1u << 11,
    K_VERSION = 1u << 12,
    K_RELID = 1u << 13,
};

/* What each action needs and may take (index = enum hv_fault_what). */
static const struct {
    uint16_t need, may;
} keys_of[] = {
    [HV_FAULT_DELAY] = {K_MSG | K_MS, K_COUNT},
    [HV_FAULT_REFUSE_VERSIONS] = {K_FROM, K_COUNT},
    [HV_FAULT_REFUSE_GPADL] = {K_CHANNEL, K_STATUS | K_COUNT},
    [HV_FAULT_REFUSE_OPEN] = {K_CHANNEL, K_STATUS | K_COUNT},
    [HV_FAULT_RESCIND] = {K_CHANNEL, K_REOFFER},
    [HV_FAULT_STALL] = {K_CHANNEL | K_MS, 0},
    [HV_FAULT_DROP] = {K_CHANNEL, K_COUNT},
    [HV_FAULT_DUPLICATE] = {K_CHANNEL, K_COUNT},
    [HV_FAULT_NO_SIGNAL] = {K_CHANNEL, K_COUNT},
    [HV_FAULT_CORRUPT] = {K_CHANNEL | K_FIELD, K_COUNT},
    [HV_FAULT_RANDOM] = {K_SEED | K_RATE, 0},
    [HV_FAULT_REORDER] = {K_CHANNEL, K_MS | K_COUNT},
    [HV_FAULT_MASK] = {K_CHANNEL | K_MODE, K_PACKETS},
    [HV_FAULT_BAD_VERSION] = {K_CHANNEL, K_VERSION | K_COUNT},
    [HV_FAULT_UNSOLICITED] = {K_MSG, K_RELID},
};

static const char *const key_names[] = {"msg",     "ms",      "from",    "channel", "status",
                                        "reoffer", "count",   "field",   "seed",    "rate",
                                        "mode",    "packets", "version", "relid"};

/* The messages the host sends, which a delay may hold (vmbus_wire.h's numbers). */
static const struct {
    const char *name;
    uint16_t type;
} host_msgs[] = {
    {"OFFERCHANNEL", 1},       {"RESCIND_CHANNELOFFER", 2}, {"ALLOFFERS_DELIVERED", 4},
    {"OPENCHANNEL_RESULT", 6}, {"GPADL_CREATED", 10},       {"GPADL_TORNDOWN", 12},
    {"VERSION_RESPONSE", 15},  {"UNLOAD_RESPONSE", 17},     {"MODIFYCHANNEL_RESPONSE", 24},
};

static int fault_error(struct config_error *err, unsigned line, const char *what, const char *v,
                       size_t n)
{
    err->line = line;
    fmt_snprintf(err->msg, sizeof(err->msg), "fault: %s '%.*s'", what, (int)(n > 40 ? 40 : n), v);
    return -1;
}

static bool parse_when(struct hv_fault_config *f, const char *w, size_t n)
{
    uint64_t x;
    size_t eq = config_key_len(w, n);
    if (str_eq_n(w, n, "always"))
        f->when = HV_FAULT_ALWAYS;
    else if (str_eq_n(w, n, "on-open"))
        f->when = HV_FAULT_ON_OPEN;
    else if (eq < n && str_eq_n(w, eq, "at"))
        f->when = HV_FAULT_AT;
    else if (eq < n && str_eq_n(w, eq, "after"))
        f->when = HV_FAULT_AFTER;
    else
        return false;
    if (eq == n)
        return true;
    if (!config_parse_uint(w + eq + 1, n - eq - 1, &x) || x > UINT32_MAX)
        return false;
    f->when_n = (uint32_t)x;
    return true;
}

/* "<major>.<minor>" as VMBus's version word (major << 16 | minor). */
static bool parse_version(const char *s, size_t n, uint32_t *out)
{
    size_t dot = 0;
    uint64_t maj, min;
    while (dot < n && s[dot] != '.')
        dot++;
    if (dot == n || !config_parse_uint(s, dot, &maj) ||
        !config_parse_uint(s + dot + 1, n - dot - 1, &min) || maj > 0xffff || min > 0xffff)
        return false;
    *out = (uint32_t)(maj << 16 | min);
    return true;
}

/* A number in lo..hi into *out, or the error (what, then the value) naming the line. */
static int number(const char *v, size_t n, uint64_t lo, uint64_t hi, uint32_t *out, unsigned line,
                  struct config_error *err, const char *what)
{
    uint64_t x;
    if (!config_parse_uint(v, n, &x) || x < lo || x > hi)
        return fault_error(err, line, what, v, n);
    *out = (uint32_t)x;
    return 0;
}

/* One key=value of the action; *have gains its bit. */
static int parse_key(struct hv_fault_config *f, const char *w, size_t wn, uint16_t *have,
                     unsigned line, struct config_error *err)
{
    size_t eq = config_key_len(w, wn);
    if (eq == wn)
        return fault_error(err, line, "expected key=value, got", w, wn);
    const char *v = w + eq + 1;
    size_t n = wn - eq - 1;
    unsigned k = 0;
    while (k < sizeof(key_names) / sizeof(key_names[0]) && !str_eq_n(w, eq, key_names[k]))
        k++;
    if (k == sizeof(key_names) / sizeof(key_names[0]))
        return fault_error(err, line, "unknown key", w, eq);
    uint16_t bit = (uint16_t)(1u << k);
    if (!((keys_of[f->what].need | keys_of[f->what].may) & bit))
        return fault_error(err, line, "this action takes no key", w, eq);
    if (*have & bit)
        return fault_error(err, line, "key given twice:", w, eq);
    *have |= bit;
    uint64_t x = 0;
    bool ok = true;
    switch (bit) {
    case K_MSG:
        ok = false;
        for (unsigned i = 0; i < sizeof(host_msgs) / sizeof(host_msgs[0]); i++) {
            if (str_eq_n(v, n, host_msgs[i].name)) {
                f->msgtype = host_msgs[i].type;
                ok = true;
            }
        }
        if (!ok)
            return fault_error(err, line, "msg is not a message the host sends:", v, n);
        break;
    case K_MS:
    case K_REOFFER:
        ok = config_parse_uint(v, n, &x) && x >= (bit == K_MS) && x <= FAULT_MS_MAX;
        f->ms = (uint32_t)x;
        if (!ok)
            return fault_error(err, line, "milliseconds not in 1..600000 (reoffer: 0..):", w, wn);
        break;
    case K_FROM:
    case K_VERSION:
        if (!parse_version(v, n, &f->value))
            return fault_error(err, line,
                               bit == K_FROM ? "from is not a version <major>.<minor>:"
                                             : "version is not a version <major>.<minor>:",
                               v, n);
        break;
    case K_CHANNEL:
        if (!str_copy_n(f->channel, sizeof(f->channel), v, n) || !n)
            return fault_error(err, line, "channel is not a device name:", v, n);
        break;
    case K_STATUS:
        return number(v, n, 1, UINT32_MAX, &f->value, line, err,
                      "status is not a failure NTSTATUS (1..0xffffffff):");
    case K_COUNT:
        return number(v, n, 1, FAULT_COUNT_MAX, &f->count, line, err, "count not in 1..1000000:");
    case K_FIELD:
        if (str_eq_n(v, n, "trans"))
            f->value = HV_FAULT_FIELD_TRANS;
        else if (str_eq_n(v, n, "type"))
            f->value = HV_FAULT_FIELD_TYPE;
        else
            return fault_error(err, line, "field is not trans or type:", v, n);
        break;
    case K_MODE:
        if (str_eq_n(v, n, "spurious"))
            f->value = HV_FAULT_MASK_SPURIOUS;
        else if (str_eq_n(v, n, "held"))
            f->value = HV_FAULT_MASK_HELD;
        else
            return fault_error(err, line, "mode is not spurious or held:", v, n);
        break;
    case K_PACKETS:
        return number(v, n, 1, FAULT_COUNT_MAX, &f->ms, line, err, "packets not in 1..1000000:");
    case K_RELID:
        return number(v, n, 0, UINT32_MAX, &f->value, line, err, "relid not in 0..0xffffffff:");
    case K_SEED:
        return number(v, n, 0, UINT32_MAX, &f->ms, line, err, "seed not in 0..0xffffffff:");
    case K_RATE:
        return number(v, n, 1, 1000, &f->value, line, err,
                      "rate (events per 1000) not in 1..1000:");
    }
    return 0;
}

int config_parse_fault(struct hv_config *cfg, const char *v, size_t vlen, unsigned line,
                       struct config_error *err)
{
    if (cfg->fault_count == HV_FAULTS_MAX) {
        err->line = line;
        fmt_snprintf(err->msg, sizeof(err->msg), "fault: more than %u faults", HV_FAULTS_MAX);
        return -1;
    }
    struct hv_fault_config *f = &cfg->faults[cfg->fault_count];
    size_t pos = 0, wn;
    const char *w = config_word(v, vlen, &pos, &wn);
    if (str_eq_n(w, wn, "random")) {
        /* "random seed=<n> rate=<r>": its own when and what */
        f->when = HV_FAULT_ALWAYS;
        f->what = HV_FAULT_RANDOM;
    } else if (!parse_when(f, w, wn)) {
        return fault_error(err, line, "expected always, at=<ms>, after=<n>, on-open or random, not",
                           w, wn);
    }
    if (!f->what) {
        w = config_word(v, vlen, &pos, &wn);
        for (uint8_t k = 1; k < sizeof(whats) / sizeof(whats[0]); k++) {
            if (whats[k] && str_eq_n(w, wn, whats[k]))
                f->what = k;
        }
    }
    if (!f->what)
        return fault_error(err, line,
                           "unknown action (delay, refuse-versions, refuse-gpadl, refuse-open, "
                           "rescind, stall, drop, duplicate, no-signal, corrupt, reorder, mask, "
                           "bad-version, unsolicited):",
                           w, wn);
    /* rescind, stall and mask act once, at a moment; on-open is a rescind's */
    bool once =
        f->what == HV_FAULT_RESCIND || f->what == HV_FAULT_STALL || f->what == HV_FAULT_MASK;
    if ((once && f->when == HV_FAULT_ALWAYS) ||
        (f->when == HV_FAULT_ON_OPEN && f->what != HV_FAULT_RESCIND) ||
        (f->what == HV_FAULT_UNSOLICITED && f->when != HV_FAULT_AT))
        return fault_error(err, line, "that when does not go with", w, wn);
    if (once && f->when == HV_FAULT_AFTER && !f->when_n)
        return fault_error(err, line, "after= counts guest packets from 1 for", w, wn);
    if (f->what == HV_FAULT_REFUSE_GPADL || f->what == HV_FAULT_REFUSE_OPEN)
        f->value = 0xC0000001u; /* STATUS_UNSUCCESSFUL unless status= says */
    uint16_t have = 0;
    for (;;) {
        w = config_word(v, vlen, &pos, &wn);
        if (!wn)
            break;
        if (parse_key(f, w, wn, &have, line, err))
            return -1;
    }
    uint16_t missing = keys_of[f->what].need & (uint16_t)~have;
    for (unsigned k = 0; missing; k++) {
        if (missing & 1u << k)
            return fault_error(err, line, "missing key", key_names[k], str_len(key_names[k]));
    }
    /* unsolicited: the messages that name nothing the host keeps state for */
    static const uint16_t unasked = 1u << 15 | 1u << 4 | 1u << 6 | 1u << 10 | 1u << 2;
    if (f->what == HV_FAULT_UNSOLICITED && !(f->msgtype < 16 && unasked & 1u << f->msgtype))
        return fault_error(err, line,
                           "unsolicited msg is not VERSION_RESPONSE, ALLOFFERS_DELIVERED, "
                           "OPENCHANNEL_RESULT, GPADL_CREATED or RESCIND_CHANNELOFFER:",
                           "msg", 3);
    if (f->when == HV_FAULT_ALWAYS && (have & K_COUNT))
        return fault_error(err, line, "count= does not go with", "always", 6);
    if (!(have & K_COUNT))
        f->count = f->when == HV_FAULT_ALWAYS ? 0 : 1;
    if (f->what == HV_FAULT_BAD_VERSION && !(have & K_VERSION))
        f->value = 9u << 16; /* 9.0: no IC service or framework has it */
    if (f->what == HV_FAULT_REORDER && !(have & K_MS))
        f->ms = 1000; /* the longest a held packet waits for the next one */
    if ((have & K_PACKETS) && f->value != HV_FAULT_MASK_HELD)
        return fault_error(err, line, "packets= goes with mode=held only, not", "spurious", 8);
    if (f->what == HV_FAULT_MASK && f->value == HV_FAULT_MASK_HELD && !(have & K_PACKETS))
        f->ms = 1; /* the mask held over one packet */
    f->line = line;
    cfg->fault_count++;
    return 0;
}

int config_check_faults(const struct hv_config *cfg, struct config_error *err)
{
    for (uint32_t i = 0; i < cfg->fault_count; i++) {
        const struct hv_fault_config *f = &cfg->faults[i];
        bool found = !f->channel[0];
        for (uint32_t d = 0; d < cfg->device_count && !found; d++)
            found = str_eq(cfg->devices[d].name, f->channel);
        if (!found)
            return fault_error(err, f->line, "channel names no configured device:", f->channel,
                               str_len(f->channel));
    }
    return 0;
}
