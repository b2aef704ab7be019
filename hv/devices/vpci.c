/* The `vpci` device kind: a virtual PCI bus over VMBus, as Hyper-V gives
 * PCI devices to its guests, served to Linux's stock pci-hyperv. Each bus
 * carries one function: a synthetic one (vpci_func.h) with a 1 MiB 64-bit
 * memory BAR, so the guest enumerates a PCI domain of its own and places
 * the BAR in the high MMIO gap, or with assign= a machine PCI function
 * (vpci_assign.h, vpci_passthrough.h) whose DMA the IOMMU confines to guest
 * RAM (docs/vpci.md):
 *
 *   device = vpci name=pci [instance=<guid>] [assign=<bus:dev.fn | vendor:device>]
 *
 * The instance GUID's second group (bytes 4-5) is the guest's PCI domain,
 * which pci-hyperv never gives 0: a configured instance that would is
 * refused, a derived one is moved off 0. The protocol is vpci_proto.c; this
 * file binds it to the channel, the config window and the BARs (where they
 * decode) to the machine's MMIO traps and nested page tables, and an
 * assigned function's interrupts to the guest's vectors (struct device_env). */

#include "devices/device.h"
#include "devices/vpci_assign.h"
#include "devices/vpci_func.h"
#include "devices/vpci_passthrough.h"
#include "devices/vpci_proto.h"
#include "drivers/virtio_pci.h"
#include "lib/config_words.h"
#include "lib/fmt.h"
#include "lib/log.h"
#include "lib/log_once.h"
#include "lib/mem.h"
#include "lib/str.h"
#include "lib/timer.h"
#include "guest_mem.h"
#include "vm/mmio_trap.h"

static const GUID vpci_class = VPCI_CLASS_GUID;

#define VPCI_DEVICES 4u
/* The channel's MMIO: room in the high gap for the BAR at its own alignment
 * and the config window (pci-hyperv takes the window from the lowest MMIO
 * range with room, usually the low window, and the 64-bit BAR from the gap). */
#define VPCI_MMIO_MB ((VPCI_FUNC_BAR_SIZE >> 20) + 1u)

#define EJECT_AFTER_MAX 86400u        /* seconds: a day */
#define EJECT_RETRY_NS  1000000000ull /* the guest has not reached D0 yet: ask again */

struct vpci_params {
    bool assign;
    struct vpci_assign_sel sel;
    char word[16];        /* assign='s value, for log lines */
    uint32_t eject_after; /* seconds from D0 entry to the host's PCI_EJECT; 0: never */
};

struct vpci_dev {
    struct hv_device_config cfg; /* the line's, with the instance the bus offers */
    const struct device_env *env;
    VMBCHANNEL ch;
    struct vpci_func func;
    struct vpci_proto proto;
    bool assigned;
    uint16_t bdf; /* the machine function assign= gave, when assigned */
    struct vpci_pt pt;
    /* Each BAR where it decodes: its pages mapped to the real ones, but
     * [base, base + len) trapped (the MSI-X table's pages); mapped false:
     * the whole BAR trapped (base 0). */
    struct vpci_bar_ctx {
        struct vpci_dev *d;
        unsigned i;
        bool mapped;
        uint64_t base, len;
    } bar_ctx[VPCI_PT_BARS];
    uint64_t pt_at[VPCI_PT_BARS]; /* where each of its BARs is trapped; 0: nowhere */
    struct log_once pt_bars;      /* where they decode, or not: once per BAR and place */
    struct log_once unraised;     /* interrupts with a message it never gave: once per message */
    struct hv_timer eject;        /* eject_after's, armed at D0 entry */
    uint64_t eject_ns;            /* eject_after in ns; 0: never */
    bool ejected;                 /* the guest completed it: the machine function is quiet */
};

static struct {
    bool complete; /* the registry's created ran: a next create is a new configuration */
    unsigned n;
    struct vpci_dev dev[VPCI_DEVICES];
    struct log_budget odd; /* packets that are not in-band */
    uint64_t irqs;         /* assigned functions' interrupts raised in the guest */
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

/* An assigned function's trapped BAR pages: the MSI-X table emulated, the
 * rest passed to the real registers. */
static uint64_t pt_bar_read(void *ctx, uint64_t off, unsigned size)
{
    struct vpci_bar_ctx *b = ctx;
    return vpci_pt_bar_read(&b->d->pt, b->i, b->base + off, size);
}

static void pt_bar_write(void *ctx, uint64_t off, unsigned size, uint64_t val)
{
    struct vpci_bar_ctx *b = ctx;
    vpci_pt_bar_write(&b->d->pt, b->i, b->base + off, size, val);
}

static const struct mmio_trap_ops pt_bar_ops = {pt_bar_read, pt_bar_write};

/* BAR i at gpa: its pages mapped straight to the real BAR's (the guest's
 * accesses never exit) but for those of the MSI-X table and PBA, which are
 * trapped; the whole BAR trapped where it cannot be mapped (no mapping, a
 * BAR not in whole pages, a mapping refused). 0, or -1: nowhere. */
static int pt_place(struct vpci_dev *d, unsigned i, uint64_t gpa, uint64_t size)
{
    const struct device_env *env = d->env;
    struct vpci_bar_ctx *b = &d->bar_ctx[i];
    uint64_t hpa = d->pt.bar[i].hpa, toff = size, tlen = 0;
    if (env->mmio_map && !((hpa | size) & 0xfff)) {
        vpci_pt_trapped(&d->pt, i, &toff, &tlen);
        uint64_t rest = size - toff - tlen;
        *b = (struct vpci_bar_ctx){d, i, true, toff, tlen};
        if (toff && env->mmio_map(gpa, hpa, toff))
            goto trap_all;
        if (tlen && env->mmio_trap(gpa + toff, tlen, &pt_bar_ops, b))
            goto unmap_head;
        if (!rest || !env->mmio_map(gpa + toff + tlen, hpa + toff + tlen, rest))
            return 0;
        if (tlen)
            env->mmio_untrap(gpa + toff, tlen);
    unmap_head:
        if (toff)
            env->mmio_unmap(gpa, toff);
    }
trap_all:
    *b = (struct vpci_bar_ctx){d, i, false, 0, size};
    return env->mmio_trap(gpa, size, &pt_bar_ops, b);
}

static void pt_unplace(struct vpci_dev *d, unsigned i, uint64_t gpa, uint64_t size)
{
    const struct device_env *env = d->env;
    const struct vpci_bar_ctx *b = &d->bar_ctx[i];
    if (!b->mapped) {
        env->mmio_untrap(gpa, size);
        return;
    }
    if (b->base)
        env->mmio_unmap(gpa, b->base);
    if (b->len)
        env->mmio_untrap(gpa + b->base, b->len);
    if (size > b->base + b->len)
        env->mmio_unmap(gpa + b->base + b->len, size - b->base - b->len);
}

/* Where the assigned function's BARs decode: as the synthetic one's
 * (vpci_proto_config_written), each BAR on its own. */
static void pt_bars_changed(void *ctx)
{
    struct vpci_dev *d = ctx;
    const struct vpci_proto *p = &d->proto;
    if (!d->func.present && !d->ejected) {
        d->ejected = true;
        vpci_pt_quiesce(&d->pt); /* ejected: its driver is gone, so are its DMA and interrupts */
    }
    for (unsigned i = 0; i < VPCI_PT_BARS; i++) {
        uint64_t gpa = 0, size = 0, want = 0;
        const char *why = NULL;
        if (p->d0 && d->func.present && vpci_pt_bar_at(&d->pt, i, &gpa, &size)) {
            why = vpci_proto_bar_refused(p, gpa, size);
            want = why ? 0 : gpa;
        }
        if (want == d->pt_at[i])
            continue;
        if (d->pt_at[i])
            pt_unplace(d, i, d->pt_at[i], d->pt.bar[i].size);
        d->pt_at[i] = 0;
        if (want && pt_place(d, i, want, size))
            why = "not trapped";
        else
            d->pt_at[i] = want;
        const char *end = log_once_take(&d->pt_bars, i, (why ? gpa : want) | (why ? 0 : 1));
        if (end && why)
            hv_log("vpci", "%s: wslot %u: BAR%u at 0x%llx not decoded: %s%s", d->cfg.name,
                   d->func.desc.wslot, i, (unsigned long long)gpa, why, end);
        else if (end && want)
            hv_log("vpci", "%s: wslot %u: BAR%u decoded at 0x%llx%s", d->cfg.name,
                   d->func.desc.wslot, i, (unsigned long long)want, end);
    }
}

static int host_send(void *ctx, const void *buf, uint32_t len, uint64_t id, bool completion)
{
    struct vpci_dev *d = ctx;
    NTSTATUS s = completion ? VmbChannelSendCompletion(d->ch, buf, len, id)
                            : VmbChannelSendPacket(d->ch, buf, len, id);
    return NT_SUCCESS(s) ? 0 : -1;
}

/* D0 entry: the window trapped where the guest put it; eject_after counts
 * from here (the guest's driver is up). */
static int host_window_map(void *ctx, uint64_t gpa)
{
    struct vpci_dev *d = ctx;
    if (!d->env->mmio_trap)
        return -1; /* a machine without MMIO traps cannot emulate the window */
    if (d->eject_ns && d->func.present && !timer_armed(&d->eject))
        timer_arm(&d->eject, clock_ns() + d->eject_ns);
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
    if (!d)
        return;
    vpci_proto_reset(&d->proto);
    if (d->assigned)
        vpci_pt_quiesce(&d->pt); /* no driver left: no DMA, no interrupts */
}

static const VMB_CHANNEL_STATE_CHANGE_CALLBACKS callbacks = {NULL, closed};

static int param(void *params, const char *key, size_t klen, const char *val, size_t vlen,
                 struct device_error *e)
{
    struct vpci_params *p = params;
    uint64_t x;
    if (str_eq_n(key, klen, "eject_after")) {
        if (!config_parse_uint(val, vlen, &x) || !x || x > EJECT_AFTER_MAX)
            return device_refuse(e, "bad seconds (1-86400)", key, klen + 1 + vlen);
        p->eject_after = (uint32_t)x;
        return 0;
    }
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
    /* The hypervisor reaches its registers (the MSI-X table) through its own mapping. */
    const struct virtio_mmio_ops *io = env->pci_io;
    const char *w = NULL;
    for (unsigned i = 0; i < VPCI_PT_BARS && !w; i++) {
        uint64_t base, size;
        if (!pci_mem_bar(env->pci, d->bdf, i, &base, &size) && !io->map(io->ctx, base, size))
            w = "cannot map its BARs";
    }
    const struct vpci_pt_io pio = {io->ctx,    io->read8,   io->read16, io->read32,
                                   io->write8, io->write16, io->write32};
    if (w || vpci_pt_open(&d->pt, env->pci, d->bdf, &pio, c->name, env->assign_msi_address,
                          env->assign_vector, env->assign_vectors, &w)) {
        hv_log("vpci", "hv.cfg line %u: device: vpci: assign=%s: %s", c->line, p->word, w);
        return -1;
    }
    d->pt_bars = (struct log_once)LOG_ONCE_N(16, " (further such BARs not reported)");
    d->unraised = (struct log_once)LOG_ONCE_N(8, " (further such messages not reported)");
    d->assigned = true;
    uint32_t id = pci_read32(env->pci, d->bdf, PCI_VENDOR_ID);
    hv_log("vpci", "%s: assigned %02x:%02x.%u [%04x:%04x]: its DMA reaches guest RAM only", c->name,
           PCI_BUS(d->bdf), PCI_DEV(d->bdf), PCI_FN(d->bdf), id & 0xffff, id >> 16);
    return 0;
}

/* The channel's MMIO for an assigned function: its BARs, each at its own
 * alignment (twice the sum is room enough), and the config window. */
static uint32_t pt_mmio_mb(const struct vpci_pt *pt)
{
    uint64_t sum = 0;
    for (unsigned i = 0; i < VPCI_PT_BARS; i++)
        sum += pt->bar[i].size;
    return (uint32_t)((2 * sum + (1u << 20) - 1) >> 20) + 1u;
}

/* What BUS_RELATIONS says of an assigned function: the real one's IDs. */
static void pt_describe(struct vpci_func *f, const struct pci_cfg_ops *pci, uint16_t bdf)
{
    uint32_t id = pci_read32(pci, bdf, PCI_VENDOR_ID), cr = pci_read32(pci, bdf, PCI_CLASS_REV);
    f->desc.vendor_id = (uint16_t)id;
    f->desc.device_id = (uint16_t)(id >> 16);
    f->desc.revision = (uint8_t)cr;
    f->desc.prog_if = (uint8_t)(cr >> 8);
    f->desc.subclass = (uint8_t)(cr >> 16);
    f->desc.base_class = (uint8_t)(cr >> 24);
    f->desc.subsystem_id = pci_read32(pci, bdf, 0x2c);
}

/* The assigned functions' interrupts that fired: each entry on a host
 * vector that fired, enabled and unmasked, raises the guest's vector its
 * message names (a CREATE_INTERRUPT's answer), on the VP it names. */
static void poll(void)
{
    const struct device_env *env = NULL;
    for (unsigned i = 0; i < vs.n && !env; i++)
        env = vs.dev[i].assigned ? vs.dev[i].env : NULL;
    uint32_t fired = env && env->assigned_irqs ? env->assigned_irqs() : 0;
    for (unsigned k = 0; fired; k++, fired >>= 1) {
        if (!(fired & 1))
            continue;
        for (unsigned i = 0; i < vs.n; i++) {
            struct vpci_dev *d = &vs.dev[i];
            uint64_t addr[VPCI_PT_MSIX_MAX];
            uint32_t data[VPCI_PT_MSIX_MAX];
            unsigned n = d->assigned ? vpci_pt_fired(&d->pt, k, addr, data, VPCI_PT_MSIX_MAX) : 0;
            for (unsigned j = 0; j < n; j++) {
                uint16_t vp;
                int v = vpci_proto_msi_vector(&d->proto, d->func.desc.wslot, addr[j], data[j], &vp);
                if (v >= 0) {
                    env->raise(vp, (uint8_t)v);
                    vs.irqs++;
                    continue;
                }
                /* The guest's own message in its entry (the real one holds the host's). */
                const char *end = log_once_take(&d->unraised, addr[j], data[j]);
                if (end)
                    hv_log("vpci",
                           "%s: interrupt not raised: the guest's MSI-X message 0x%llx/0x%x "
                           "is none this bus gave%s",
                           d->cfg.name, (unsigned long long)addr[j], data[j], end);
            }
        }
    }
}

/* pci-hyperv's device id of function wslot on the bus of instance b. */
static uint64_t device_id(const uint8_t *b, uint32_t wslot)
{
    return (uint32_t)b[5] << 24 | (uint32_t)b[4] << 16 | (uint32_t)b[7] << 8 | (b[6] & 0xf8u) |
           (wslot >> 5 & 7u);
}

/* pci-hyperv names a function's interrupts by a device id made of its bus's
 * instance GUID bytes 4-7 (bytes 5,4 the PCI domain; bits 2:0 of byte 6
 * replaced by the function number) and the MSI {address, data} that
 * CREATE_INTERRUPT answered. */
static int retarget(uint64_t id, uint32_t msi_address, uint32_t msi_data, uint8_t vector,
                    uint64_t vp_mask)
{
    for (unsigned i = 0; i < vs.n; i++) {
        struct vpci_dev *d = &vs.dev[i];
        uint32_t wslot = d->func.desc.wslot;
        if (device_id(d->cfg.instance, wslot) == id)
            return vpci_proto_retarget(&d->proto, wslot, msi_address, msi_data, vector, vp_mask);
    }
    return -1;
}

/* eject_after: the host takes the function back (PCI_EJECT); the guest's
 * pci-hyperv removes it and answers EJECTION_COMPLETE (vpci_proto.c). */
static void eject_due(struct hv_timer *t, uint64_t now)
{
    struct vpci_dev *d = t->ctx;
    if (!d->func.present)
        return;
    if (vpci_proto_eject(&d->proto, 0)) {
        timer_arm(t, now + EJECT_RETRY_NS); /* not negotiated yet, or the ring is full */
        return;
    }
    hv_log("vpci", "%s: wslot %u: eject asked", d->cfg.name, d->func.desc.wslot);
}

static NTSTATUS create(const struct device *dv, VMBCHANNEL *out)
{
    const struct hv_device_config *c = dv->cfg;
    const struct vpci_params *p = dv->params;
    if (vs.complete) {
        vs.complete = false;
        for (unsigned i = 0; i < vs.n; i++)
            timer_cancel(&vs.dev[i].eject);
        vs.n = 0;
        vpci_assign_release_all();
    }
    if (vs.n == 0) {
        vs.irqs = 0;
        vs.odd = (struct log_budget)LOG_BUDGET(4, " (further such packets not reported)");
    }
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
    s = VmbServerChannelInitSetMmioMegabytes(d->ch, d->assigned ? pt_mmio_mb(&d->pt) : VPCI_MMIO_MB,
                                             0);
    if (NT_SUCCESS(s))
        s = VmbChannelInitSetTraceDecoder(d->ch, vpci_trace_decode);
    if (!NT_SUCCESS(s)) {
        VmbChannelCleanup(d->ch);
        return s;
    }
    vpci_func_init(&d->func, VPCI_WSLOT(0, 0), vs.n + 1);
    const struct vpci_host host = {d,
                                   host_send,
                                   host_window_map,
                                   host_window_unmap,
                                   host_bar_map,
                                   host_bar_unmap,
                                   d->assigned ? pt_bars_changed : NULL};
    vpci_proto_init(&d->proto, d->cfg.name, &host, &d->func, 1, dv->env->mmio,
                    sizeof(dv->env->mmio) / sizeof(dv->env->mmio[0]),
                    dv->env->vps ? dv->env->vps : 1);
    timer_setup(&d->eject, eject_due, d);
    d->eject_ns = p ? (uint64_t)p->eject_after * 1000000000ull : 0;
    if (d->assigned) {
        pt_describe(&d->func, dv->env->pci, d->bdf);
        d->func.pt = &d->pt;
        hv_log("vpci", "%s: PCI domain 0x%04x: function %04x:%04x, the machine's %02x:%02x.%u",
               c->name, instance.Data2, d->func.desc.vendor_id, d->func.desc.device_id,
               PCI_BUS(d->bdf), PCI_DEV(d->bdf), PCI_FN(d->bdf));
    } else {
        hv_log("vpci", "%s: PCI domain 0x%04x: function %04x:%04x, BAR0 %u KiB 64-bit memory",
               c->name, instance.Data2, VPCI_FUNC_VENDOR, VPCI_FUNC_DEVICE,
               VPCI_FUNC_BAR_SIZE >> 10);
    }
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

/* " vpci_requests=.. vpci_refused=.. vpci_irqs=..", once a vpci device exists. */
static size_t summary(char *buf, size_t cap)
{
    uint64_t requests = 0, refused = 0;
    for (unsigned i = 0; i < vs.n; i++) {
        requests += vs.dev[i].proto.requests;
        refused += vs.dev[i].proto.refused;
    }
    int n = vs.n ? fmt_snprintf(buf, cap, " vpci_requests=%llu vpci_refused=%llu vpci_irqs=%llu",
                                (unsigned long long)requests, (unsigned long long)refused,
                                (unsigned long long)vs.irqs)
                 : fmt_snprintf(buf, cap, "%s", "");
    return n < 0 ? 0 : (size_t)n;
}

const struct device_kind vpci_kind = {
    .name = "vpci",
    .params_size = sizeof(struct vpci_params),
    .param = param,
    .poll = poll,
    .retarget = retarget,
    .create = create,
    .created = created,
    .summary = summary,
};
