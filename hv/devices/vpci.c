/* The `vpci` device kind: a virtual PCI bus over VMBus, as Hyper-V gives
 * PCI devices to its guests, served to Linux's stock pci-hyperv. Each bus
 * carries one synthetic function (vpci_func.h: no machine device behind it
 * yet) with a 1 MiB 64-bit memory BAR, so the guest enumerates a PCI domain
 * of its own and places the BAR in the high MMIO gap (docs/vpci.md):
 *
 *   device = vpci name=pci [instance=<guid>] [assign=<bus:dev.fn | vendor:device>]
 *
 * The instance GUID's second group (bytes 4-5) is the guest's PCI domain,
 * which pci-hyperv never gives 0: a configured instance that would is
 * refused, a derived one is moved off 0. The protocol is vpci_proto.c; this
 * file binds it to the channel, and the config window and the BAR (where it
 * decodes) to the machine's MMIO traps (struct device_env). */
#include "devices/device.h"
#include "devices/vpci_assign.h"
#include "devices/vpci_func.h"
#include "devices/vpci_proto.h"
#include "lib/fmt.h"
#include "lib/log.h"
#include "lib/log_once.h"
#include "lib/mem.h"
#include "lib/str.h"
#include "guest_mem.h"
#include "vm/mmio_trap.h"

static const GUID vpci_class = VPCI_CLASS_GUID;

#define VPCI_DEVICES 4u
/* The channel's MMIO: room in the high gap for the BAR at its own alignment
 * and the config window (pci-hyperv takes the window from the lowest MMIO
 * range with room, usually the low window, and the 64-bit BAR from the gap). */
#define VPCI_MMIO_MB ((VPCI_FUNC_BAR_SIZE >> 20) + 1u)
/* The partition has one VP (hv/hyperv/hyperv.h): the only interrupt target. */
#define VPCI_VPS 1u

struct vpci_params {
    bool assign;
    struct vpci_assign_sel sel;
    char word[16]; /* assign='s value, for log lines */
};

struct vpci_dev {
    struct hv_device_config cfg; /* the line's, with the instance the bus offers */
    const struct device_env *env;
    VMBCHANNEL ch;
    struct vpci_func func;
    struct vpci_proto proto;
    bool assigned;
    uint16_t bdf; /* the machine function assign= gave, when assigned */
};

static struct {
    bool complete; /* the registry's created ran: a next create is a new configuration */
    unsigned n;
    struct vpci_dev dev[VPCI_DEVICES];
    struct log_budget odd; /* packets that are not in-band */
} vs;

static uint64_t window_read(void *ctx, uint64_t off, unsigned size)
{
    const struct vpci_proto *p = ctx;
    return vpci_window_read(&p->window, off, size);
}

/* A config write may move a BAR or turn its decoding on or off. */
static void window_write(void *ctx, uint64_t off, unsigned size, uint64_t val)
{
    struct vpci_proto *p = ctx;
    vpci_window_write(&p->window, off, size, val);
    vpci_proto_config_written(p);
}

static const struct mmio_trap_ops window_ops = {window_read, window_write};

static uint64_t bar_read(void *ctx, uint64_t off, unsigned size)
{
    return vpci_func_bar_read(ctx, off, size);
}

static void bar_write(void *ctx, uint64_t off, unsigned size, uint64_t val)
{
    vpci_func_bar_write(ctx, off, size, val);
}

static const struct mmio_trap_ops bar_ops = {bar_read, bar_write};

static int host_send(void *ctx, const void *buf, uint32_t len, uint64_t id, bool completion)
{
    struct vpci_dev *d = ctx;
    NTSTATUS s = completion ? VmbChannelSendCompletion(d->ch, buf, len, id)
                            : VmbChannelSendPacket(d->ch, buf, len, id);
    return NT_SUCCESS(s) ? 0 : -1;
}

static int host_window_map(void *ctx, uint64_t gpa)
{
    struct vpci_dev *d = ctx;
    if (!d->env->mmio_trap)
        return -1; /* a machine without MMIO traps cannot emulate the window */
    return d->env->mmio_trap(gpa, VPCI_WINDOW_SIZE, &window_ops, &d->proto);
}

static void host_window_unmap(void *ctx, uint64_t gpa)
{
    struct vpci_dev *d = ctx;
    if (d->env->mmio_untrap)
        d->env->mmio_untrap(gpa, VPCI_WINDOW_SIZE);
}

static int host_bar_map(void *ctx, unsigned i, uint64_t gpa, uint64_t size)
{
    struct vpci_dev *d = ctx;
    if (!d->env->mmio_trap)
        return -1;
    return d->env->mmio_trap(gpa, size, &bar_ops, &d->proto.window.funcs[i]);
}

static void host_bar_unmap(void *ctx, unsigned i, uint64_t gpa, uint64_t size)
{
    struct vpci_dev *d = ctx;
    (void)i;
    if (d->env->mmio_untrap)
        d->env->mmio_untrap(gpa, size);
}

static void process(VMBCHANNEL channel, const VOID *buffer, UINT32 length, UINT16 type,
                    UINT64 transaction_id)
{
    struct vpci_dev *d = VmbChannelGetPointer(channel);
    if (!d)
        return;
    if (type != VMB_PACKET_TYPE_DATA_INBAND) {
        const char *end = log_budget_take(&vs.odd);
        if (end)
            hv_log("vpci", "%s: packet of type %u ignored: pci-hyperv sends only in-band%s",
                   d->cfg.name, type, end);
        return;
    }
    vpci_proto_packet(&d->proto, buffer, length, transaction_id);
}

static void closed(VMBCHANNEL channel)
{
    struct vpci_dev *d = VmbChannelGetPointer(channel);
    if (d)
        vpci_proto_reset(&d->proto);
}

static const VMB_CHANNEL_STATE_CHANGE_CALLBACKS callbacks = {NULL, closed};

static int param(void *params, const char *key, size_t klen, const char *val, size_t vlen,
                 struct device_error *e)
{
    struct vpci_params *p = params;
    if (!str_eq_n(key, klen, "assign"))
        return device_refuse(e, "unknown key", key, klen);
    if (vpci_assign_parse(val, vlen, &p->sel) || !str_copy_n(p->word, sizeof(p->word), val, vlen))
        return device_refuse(e, "vpci takes assign=<bus:dev.fn> or assign=<vendor:device>, not",
                             key, klen + 1 + vlen);
    p->assign = true;
    return 0;
}

/* The machine function the line assigns, claimed for d: refused (logged,
 * naming the line) without an IOMMU or when the hypervisor may not give it. */
static int assign(struct vpci_dev *d, const struct vpci_params *p, const struct device_env *env)
{
    const struct hv_device_config *c = &d->cfg;
    if (!iommu_present()) {
        hv_log("vpci",
               "hv.cfg line %u: device: vpci: assign= needs an IOMMU, and the machine has none "
               "(a device that can DMA anywhere breaks isolation)",
               c->line);
        return -1;
    }
    /* Guest RAM as the nested page tables map it: one block at guest-physical 0. */
    const struct iommu_range ram = {0, (uint64_t)(uintptr_t)env->gm->host, env->gm->size};
    char why[128];
    if (vpci_assign_claim(env->pci, env->boot_disk, &p->sel, c->name, &ram, 1, &d->bdf, why,
                          sizeof(why))) {
        hv_log("vpci", "hv.cfg line %u: device: vpci: assign=%s: %s", c->line, p->word, why);
        return -1;
    }
    d->assigned = true;
    uint32_t id = pci_read32(env->pci, d->bdf, PCI_VENDOR_ID);
    hv_log("vpci", "%s: assigned %02x:%02x.%u [%04x:%04x]: its DMA reaches guest RAM only", c->name,
           PCI_BUS(d->bdf), PCI_DEV(d->bdf), PCI_FN(d->bdf), id & 0xffff, id >> 16);
    return 0;
}

static NTSTATUS create(const struct device *dv, VMBCHANNEL *out)
{
    const struct hv_device_config *c = dv->cfg;
    const struct vpci_params *p = dv->params;
    if (vs.complete) {
        vs.complete = false;
        vs.n = 0;
        vpci_assign_release_all();
    }
    if (vs.n == 0)
        vs.odd = (struct log_budget)LOG_BUDGET(4, " (further such packets not reported)");
    if (vs.n == VPCI_DEVICES) {
        hv_log("vpci", "hv.cfg line %u: %s: at most %u vpci devices", c->line, c->name,
               VPCI_DEVICES);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    GUID instance;
    guid_for_device(&instance, c->instance, &vpci_class, c->name);
    if (instance.Data2 == 0) {
        bool configured = false;
        for (unsigned i = 0; i < sizeof(c->instance); i++)
            configured |= c->instance[i] != 0;
        if (configured) {
            hv_log("vpci",
                   "hv.cfg line %u: %s: instance gives PCI domain 0, which pci-hyperv "
                   "reserves: pick one whose second group is not 0000",
                   c->line, c->name);
            return STATUS_INVALID_PARAMETER;
        }
        instance.Data2 = 1; /* a derived instance: any other domain does */
    }
    struct vpci_dev *d = &vs.dev[vs.n];
    memset(d, 0, sizeof(*d));
    d->cfg = *c;
    memcpy(d->cfg.instance, &instance, sizeof(d->cfg.instance));
    d->env = dv->env;
    if (p && p->assign && assign(d, p, dv->env))
        return STATUS_INVALID_PARAMETER;
    const struct device dd = {&d->cfg, dv->params, dv->env};
    NTSTATUS s = device_channel(&dd, &vpci_class, d, &callbacks, process, &d->ch);
    if (!NT_SUCCESS(s))
        return s;
    s = VmbServerChannelInitSetMmioMegabytes(d->ch, VPCI_MMIO_MB, 0);
    if (NT_SUCCESS(s))
        s = VmbChannelInitSetTraceDecoder(d->ch, vpci_trace_decode);
    if (!NT_SUCCESS(s)) {
        VmbChannelCleanup(d->ch);
        return s;
    }
    vpci_func_init(&d->func, VPCI_WSLOT(0, 0), vs.n + 1);
    const struct vpci_host host = {
        d, host_send, host_window_map, host_window_unmap, host_bar_map, host_bar_unmap};
    vpci_proto_init(&d->proto, d->cfg.name, &host, &d->func, 1, dv->env->mmio,
                    sizeof(dv->env->mmio) / sizeof(dv->env->mmio[0]), VPCI_VPS);
    hv_log("vpci", "%s: PCI domain 0x%04x: function %04x:%04x, BAR0 %u KiB 64-bit memory", c->name,
           instance.Data2, VPCI_FUNC_VENDOR, VPCI_FUNC_DEVICE, VPCI_FUNC_BAR_SIZE >> 10);
    vs.n++;
    *out = d->ch;
    return STATUS_SUCCESS;
}

static void created(const struct device_env *env, unsigned n)
{
    (void)env;
    (void)n;
    vs.complete = true;
}

/* " vpci_requests=.. vpci_refused=..", once a vpci device exists. */
static size_t summary(char *buf, size_t cap)
{
    uint64_t requests = 0, refused = 0;
    for (unsigned i = 0; i < vs.n; i++) {
        requests += vs.dev[i].proto.requests;
        refused += vs.dev[i].proto.refused;
    }
    int n = vs.n ? fmt_snprintf(buf, cap, " vpci_requests=%llu vpci_refused=%llu",
                                (unsigned long long)requests, (unsigned long long)refused)
                 : fmt_snprintf(buf, cap, "%s", "");
    return n < 0 ? 0 : (size_t)n;
}

const struct device_kind vpci_kind = {
    .name = "vpci",
    .params_size = sizeof(struct vpci_params),
    .param = param,
    .create = create,
    .created = created,
    .summary = summary,
};
