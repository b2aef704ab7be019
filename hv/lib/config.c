#include "lib/config.h"

#include <stdbool.h>
#include <stdint.h>

#include "lib/fmt.h"
#include "lib/mem.h"
#include "lib/str.h"

enum key_kind { KEY_UINT, KEY_STRING, KEY_ENUM, KEY_DEVICE, KEY_TRACE, KEY_FAULT };

struct key {
    const char *name;
    enum key_kind kind;
    size_t offset;              /* into struct hv_config */
    size_t size;                /* string capacity */
    uint64_t min, max;          /* KEY_UINT range */
    uint32_t multiple;          /* KEY_UINT: value must be a multiple of this (0: any) */
    const char *const *choices; /* KEY_ENUM: index = stored value */
};

static const char *const selftest_choices[] = {"none", "exception", NULL};

#define SHUTDOWN_AFTER_MAX 2592000u /* 30 days, in seconds */

#define FIELD(f) offsetof(struct hv_config, f)
static const struct key keys[] = {
    {"memory_mb", KEY_UINT, FIELD(memory_mb), 0, 64, 3584, 2, NULL},
    {"heap_mb", KEY_UINT, FIELD(heap_mb), 0, 4, 1024, 0, NULL},
    {"debug_exit_port", KEY_UINT, FIELD(debug_exit_port), 0, 0, 0xffff, 0, NULL},
    {"selftest", KEY_ENUM, FIELD(selftest), 0, 0, 0, 0, selftest_choices},
    {"kernel", KEY_STRING, FIELD(kernel), HV_PATH_MAX, 0, 0, 0, NULL},
    {"initrd", KEY_STRING, FIELD(initrd), HV_PATH_MAX, 0, 0, 0, NULL},
    {"cmdline", KEY_STRING, FIELD(cmdline), HV_CMDLINE_MAX, 0, 0, 0, NULL},
    {"mmio_high_mb", KEY_UINT, FIELD(mmio_high_mb), 0, 0, 65536, 0, NULL},
    {"shutdown_after", KEY_UINT, FIELD(shutdown_after), 0, 0, SHUTDOWN_AFTER_MAX, 0, NULL},
    {"vcpus", KEY_UINT, FIELD(vcpus), 0, 1, 8, 0, NULL}, /* HV_VP_MAX */
    {"trace", KEY_TRACE, FIELD(trace), 0, 0, 0, 0, NULL},
    {"device", KEY_DEVICE, 0, 0, 0, 0, 0, NULL}, /* repeatable */
    {"fault", KEY_FAULT, 0, 0, 0, 0, 0, NULL},   /* repeatable */
};
#define NKEYS (sizeof(keys) / sizeof(keys[0]))

void config_defaults(struct hv_config *cfg)
{
    uint8_t *p = (uint8_t *)cfg;
    for (size_t i = 0; i < sizeof(*cfg); i++)
        p[i] = 0;
    cfg->memory_mb = 512;
    cfg->heap_mb = 16;
    cfg->debug_exit_port = HV_DEFAULT_DEBUG_EXIT_PORT;
    cfg->selftest = HV_SELFTEST_NONE;
}

static int fail(struct config_error *err, unsigned line, const char *fmt, const char *a,
                size_t alen)
{
    err->line = line;
    fmt_snprintf(err->msg, sizeof(err->msg), fmt, (int)alen, a);
    return -1;
}

static bool hex_digit(char c, unsigned *v)
{
    if (c >= '0' && c <= '9')
        *v = (unsigned)(c - '0');
    else if (c >= 'a' && c <= 'f')
        *v = (unsigned)(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F')
        *v = (unsigned)(c - 'A' + 10);
    else
        return false;
    return true;
}

/* "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" into VMBus's wire layout: the first
 * three groups little-endian, the last two as written. */
static bool parse_guid(const char *s, size_t n, uint8_t out[16])
{
    static const uint8_t order[16] = {3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15};
    uint8_t bytes[16];
    size_t b = 0;
    if (n != 36)
        return false;
    for (size_t i = 0; i < n;) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i++] != '-')
                return false;
            continue;
        }
        unsigned hi, lo;
        if (!hex_digit(s[i], &hi) || !hex_digit(s[i + 1], &lo))
            return false;
        bytes[b++] = (uint8_t)(hi << 4 | lo);
        i += 2;
    }
    for (unsigned i = 0; i < 16; i++)
        out[order[i]] = bytes[i];
    return true;
}

static bool name_ok(const char *s, size_t n)
{
    if (n == 0 || n >= HV_DEVNAME_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
            return false;
    }
    return true;
}

static int device_error(struct config_error *err, unsigned line, const char *what, const char *v,
                        size_t n)
{
    err->line = line;
    fmt_snprintf(err->msg, sizeof(err->msg), "device: %s '%.*s'", what, (int)n, v);
    return -1;
}

/* "<kind> [name=<n>] [instance=<guid>|auto] [<key>=<value> ...]": the kind
 * and the keys every kind has; the kind's own words go through as text, for
 * the hypervisor's device registry to parse (hv/devices/devices.c). */
static int parse_device(struct hv_config *cfg, const char *v, size_t vlen, unsigned line,
                        struct config_error *err)
{
    if (cfg->device_count == HV_DEVICES_MAX) {
        err->line = line;
        fmt_snprintf(err->msg, sizeof(err->msg), "device: more than %u devices", HV_DEVICES_MAX);
        return -1;
    }
    struct hv_device_config *d = &cfg->devices[cfg->device_count];
    d->line = line;
    size_t pos = 0, wn, plen = 0;
    const char *w = config_word(v, vlen, &pos, &wn);
    if (!name_ok(w, wn))
        return device_error(err, line, "bad kind (1-15 of a-z 0-9 _ -)", w, wn);
    str_copy_n(d->kind, sizeof(d->kind), w, wn);
    while ((w = config_word(v, vlen, &pos, &wn)), wn) {
        size_t eq = config_key_len(w, wn);
        if (eq == wn)
            return device_error(err, line, "expected key=value, got", w, wn);
        const char *val = w + eq + 1;
        size_t n = wn - eq - 1;
        if (str_eq_n(w, eq, "name")) {
            if (!name_ok(val, n))
                return device_error(err, line, "bad name (1-15 of a-z 0-9 _ -)", val, n);
            str_copy_n(d->name, sizeof(d->name), val, n);
        } else if (str_eq_n(w, eq, "instance")) {
            if (!str_eq_n(val, n, "auto") && !parse_guid(val, n, d->instance))
                return device_error(err, line, "bad instance GUID", val, n);
        } else {
            if (plen + (plen > 0) + wn >= sizeof(d->params))
                return device_error(err, line, "too many parameters, from", w, wn);
            if (plen)
                d->params[plen++] = ' ';
            memcpy(d->params + plen, w, wn);
            plen += wn;
        }
    }
    if (!d->name[0])
        fmt_snprintf(d->name, sizeof(d->name), "%s%u", d->kind, cfg->device_count);
    static const uint8_t zero[16];
    for (uint32_t i = 0; i < cfg->device_count; i++) {
        const struct hv_device_config *o = &cfg->devices[i];
        if (str_eq(o->name, d->name))
            return device_error(err, line, "duplicate name", d->name, str_len(d->name));
        if (memcmp(d->instance, zero, 16) && !memcmp(o->instance, d->instance, 16))
            return device_error(err, line, "duplicate instance of", o->name, str_len(o->name));
    }
    cfg->device_count++;
    return 0;
}

static const char *const trace_classes[HV_TRACE_CLASSES] = {HV_TRACE_CLASS_NAMES};

static int trace_error(struct config_error *err, unsigned line, const char *what, const char *v,
                       size_t n)
{
    err->line = line;
    fmt_snprintf(err->msg, sizeof(err->msg), "trace: %s '%.*s' (classes: %s)", what,
                 (int)(n > 40 ? 40 : n), v, "vmbus, ring, synic, hypercall, exit, all; or none");
    return -1;
}

/* "<class>[,<class>...]" (blanks around the commas allowed), "all" or "none". */
static int parse_trace(uint32_t *out, const char *v, size_t vlen, unsigned line,
                       struct config_error *err)
{
    uint32_t mask = 0;
    bool none = false;
    size_t pos = 0;
    for (;;) {
        size_t start = pos;
        while (pos < vlen && v[pos] != ',')
            pos++;
        const char *w = v + start;
        size_t wn = pos - start;
        while (wn && str_is_space(*w)) {
            w++;
            wn--;
        }
        while (wn && str_is_space(w[wn - 1]))
            wn--;
        if (wn == 0)
            return trace_error(err, line, "empty class name in", v, vlen);
        uint32_t bit = 0;
        if (str_eq_n(w, wn, "all")) {
            bit = (1u << HV_TRACE_CLASSES) - 1;
        } else if (str_eq_n(w, wn, "none")) {
            none = true;
        } else {
            for (uint32_t c = 0; c < HV_TRACE_CLASSES; c++) {
                if (str_eq_n(w, wn, trace_classes[c]))
                    bit = 1u << c;
            }
            if (!bit)
                return trace_error(err, line, "unknown class", w, wn);
            if (mask & bit)
                return trace_error(err, line, "class named twice:", w, wn);
        }
        mask |= bit;
        if (none && (mask || pos < vlen || start > 0))
            return trace_error(err, line, "'none' must stand alone, not in", v, vlen);
        if (pos == vlen)
            break;
        pos++; /* the comma */
    }
    *out = mask;
    return 0;
}

static int set_value(const struct key *k, struct hv_config *cfg, const char *v, size_t vlen,
                     unsigned line, struct config_error *err)
{
    uint8_t *field = (uint8_t *)cfg + k->offset;
    switch (k->kind) {
    case KEY_UINT: {
        uint64_t x;
        if (!config_parse_uint(v, vlen, &x))
            return fail(err, line, "bad value '%.*s': expected a number", v, vlen);
        if (x < k->min || x > k->max) {
            err->line = line;
            fmt_snprintf(err->msg, sizeof(err->msg), "%s = %llu is out of range [%llu, %llu]",
                         k->name, (unsigned long long)x, (unsigned long long)k->min,
                         (unsigned long long)k->max);
            return -1;
        }
        if (k->multiple && x % k->multiple) {
            err->line = line;
            fmt_snprintf(err->msg, sizeof(err->msg), "%s = %llu is not a multiple of %u", k->name,
                         (unsigned long long)x, k->multiple);
            return -1;
        }
        *(uint32_t *)field = (uint32_t)x;
        return 0;
    }
    case KEY_STRING:
        if (!str_copy_n((char *)field, k->size, v, vlen)) {
            err->line = line;
            fmt_snprintf(err->msg, sizeof(err->msg), "%s is too long (%zu bytes, limit %zu)",
                         k->name, vlen, k->size - 1);
            return -1;
        }
        return 0;
    case KEY_DEVICE:
        return parse_device(cfg, v, vlen, line, err);
    case KEY_TRACE:
        return parse_trace((uint32_t *)field, v, vlen, line, err);
    case KEY_FAULT:
        return config_parse_fault(cfg, v, vlen, line, err);
    case KEY_ENUM:
        for (uint32_t i = 0; k->choices[i]; i++) {
            if (str_eq_n(v, vlen, k->choices[i])) {
                *(uint32_t *)field = i;
                return 0;
            }
        }
        return fail(err, line, "bad value '%.*s'", v, vlen);
    }
    return -1;
}

int config_parse(const char *text, size_t len, struct hv_config *cfg, struct config_error *err)
{
    bool seen[NKEYS] = {false};
    unsigned line = 0;
    size_t pos = 0;

    err->line = 0;
    err->msg[0] = '\0';
    while (pos < len) {
        size_t end = pos;
        while (end < len && text[end] != '\n')
            end++;
        line++;
        const char *s = text + pos;
        size_t n = end - pos;
        pos = end + 1;

        while (n && str_is_space(*s)) {
            s++;
            n--;
        }
        while (n && str_is_space(s[n - 1]))
            n--;
        if (n == 0 || *s == '#')
            continue;
        for (size_t i = 0; i < n; i++) {
            if (s[i] == '\0' || ((unsigned char)s[i] < 0x20 && s[i] != '\t'))
                return fail(err, line, "control character in line%.*s", "", 0);
        }

        size_t eq = 0;
        while (eq < n && s[eq] != '=')
            eq++;
        if (eq == n)
            return fail(err, line, "expected 'key = value', got '%.*s'", s, n);
        size_t klen = eq;
        while (klen && str_is_space(s[klen - 1]))
            klen--;
        const char *v = s + eq + 1;
        size_t vlen = n - eq - 1;
        while (vlen && str_is_space(*v)) {
            v++;
            vlen--;
        }
        if (klen == 0)
            return fail(err, line, "missing key before '='%.*s", "", 0);

        size_t k = 0;
        while (k < NKEYS && !str_eq_n(s, klen, keys[k].name))
            k++;
        if (k == NKEYS)
            return fail(err, line, "unknown key '%.*s'", s, klen);
        if (seen[k] && keys[k].kind != KEY_DEVICE && keys[k].kind != KEY_FAULT)
            return fail(err, line, "duplicate key '%.*s'", s, klen);
        seen[k] = true;
        if (vlen == 0 && keys[k].kind != KEY_STRING)
            return fail(err, line, "missing value for '%.*s'", s, klen);
        if (set_value(&keys[k], cfg, v, vlen, line, err))
            return -1;
    }
    return config_check_faults(cfg, err); /* their channels may be named before the devices */
}
