/* The device registry: each hv.cfg device line matched to its kind, its
 * words parsed by the kind, the kinds' properties enforced (docs/devices.md). */
#include "devices/devices.h"

#include "lib/config_words.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/str.h"

static struct {
    const struct device_kind *kind;
    const struct hv_device_config *cfg;
    VMBCHANNEL channel;
    union {
        uint64_t align;
        uint8_t bytes[DEVICE_PARAMS_SIZE];
    } params;
} devices[HV_DEVICES_MAX];
static unsigned count;

static const struct device_kind *find_kind(const char *name)
{
    for (unsigned i = 0; device_kinds[i]; i++) {
        if (str_eq(device_kinds[i]->name, name))
            return device_kinds[i];
    }
    return NULL;
}

/* devices[i] from its line, or -1 with e filled. */
static int parse_line(unsigned i, struct device_error *e)
{
    const struct hv_device_config *c = devices[i].cfg;
    const struct device_kind *k = find_kind(c->kind);
    if (!k)
        return device_refuse(e, "unknown kind", c->kind, str_len(c->kind));
    if (k->params_size > sizeof(devices[i].params)) /* the kind's bug, not the line's */
        return device_refuse(e, "parameters larger than DEVICE_PARAMS_SIZE for kind", k->name,
                             str_len(k->name));
    for (unsigned j = 0; j < i; j++) {
        /* the guest driver keeps one state per kind (hv_utils per service,
         * hyperv_fb one screen): a second channel would share it */
        if (k->single && devices[j].kind == k)
            return device_refuse(e, "only one device of kind", k->name, str_len(k->name));
    }
    devices[i].kind = k;
    void *params = devices[i].params.bytes;
    memset(params, 0, sizeof(devices[i].params));
    size_t pos = 0, len = str_len(c->params), wn;
    const char *w;
    while ((w = config_word(c->params, len, &pos, &wn)), wn) {
        size_t eq = config_key_len(w, wn);
        if (eq == wn)
            return device_refuse(e, "expected key=value, got", w, wn);
        if (!k->param)
            return device_refuse(e, "unknown key", w, eq);
        if (k->param(params, w, eq, w + eq + 1, wn - eq - 1, e))
            return -1;
    }
    return k->check ? k->check(params, e) : 0;
}

int devices_parse(const struct hv_config *cfg)
{
    count = 0;
    for (uint32_t i = 0; i < cfg->device_count && i < HV_DEVICES_MAX; i++) {
        struct device_error e;
        devices[i].cfg = &cfg->devices[i];
        devices[i].kind = NULL;
        devices[i].channel = NULL;
        if (parse_line(i, &e)) {
            hv_log("devices", "hv.cfg line %u: device: %s", cfg->devices[i].line, e.msg);
            return -1;
        }
        count++;
    }
    return 0;
}

bool devices_need_efi(void)
{
    for (unsigned i = 0; i < count; i++) {
        if (devices[i].kind->needs_efi)
            return true;
    }
    return false;
}

/* Whether an earlier kind has the same summary part (the ICs share one). */
static bool summary_seen(unsigned k)
{
    for (unsigned j = 0; j < k; j++) {
        if (device_kinds[j]->summary == device_kinds[k]->summary)
            return true;
    }
    return false;
}

size_t devices_summary(char *buf, size_t cap)
{
    size_t n = 0;
    for (unsigned k = 0; device_kinds[k]; k++) {
        if (device_kinds[k]->summary && !summary_seen(k))
            n += device_kinds[k]->summary(n < cap ? buf + n : NULL, n < cap ? cap - n : 0);
    }
    return n;
}

/* The kinds with a device and a poll or a retarget, once each (devices_create). */
static void (*polls[HV_DEVICES_MAX])(void);
static unsigned npolls;
static const struct device_kind *retargets[HV_DEVICES_MAX];
static unsigned nretargets;

void devices_poll(void)
{
    for (unsigned i = 0; i < npolls; i++)
        polls[i]();
}

int devices_retarget(void *ctx, uint64_t device_id, uint32_t msi_address, uint32_t msi_data,
                     uint8_t vector, uint64_t vp_mask)
{
    (void)ctx;
    for (unsigned i = 0; i < nretargets; i++)
        if (!retargets[i]->retarget(device_id, msi_address, msi_data, vector, vp_mask))
            return 0;
    return -1;
}

int devices_create(const struct device_env *env)
{
    npolls = nretargets = 0;
    for (unsigned i = 0; i < count; i++) {
        const struct device d = {devices[i].cfg, devices[i].params.bytes, env};
        NTSTATUS s = devices[i].kind->create(&d, &devices[i].channel);
        if (!NT_SUCCESS(s)) {
            hv_log("devices", "%s: cannot create the channel: status 0x%08x", d.cfg->name,
                   (UINT32)s);
            return -1;
        }
    }
    for (unsigned k = 0; device_kinds[k]; k++) {
        unsigned n = 0;
        for (unsigned i = 0; i < count; i++)
            n += devices[i].kind == device_kinds[k];
        if (device_kinds[k]->created)
            device_kinds[k]->created(env, n);
        if (n && device_kinds[k]->poll)
            polls[npolls++] = device_kinds[k]->poll;
        if (n && device_kinds[k]->retarget)
            retargets[nretargets++] = device_kinds[k];
    }
    return 0;
}

void devices_enable(void)
{
    for (unsigned i = 0; i < count; i++) {
        const struct hv_device_config *c = devices[i].cfg;
        NTSTATUS s = VmbChannelEnable(devices[i].channel);
        if (NT_SUCCESS(s)) {
            hv_log("devices", "%s: %s device enabled%s%s%s", c->name, c->kind,
                   c->params[0] ? " (" : "", c->params, c->params[0] ? ")" : "");
            continue;
        }
        hv_log("devices", "%s: enable failed with status 0x%08x: not offered", c->name, (UINT32)s);
        VmbChannelCleanup(devices[i].channel);
        devices[i].channel = NULL;
    }
}
