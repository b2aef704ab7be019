/* The vPCI protocol's host side (vpci_proto.h). Every guest message is
 * checked here, where it enters: its length against its layout, the order
 * (nothing before version negotiation, resources only in D0), its slot
 * against the bus's functions. A request Linux sends with completion
 * requested is always answered, with an error status when refused; one it
 * sends without (query relations, resources released, delete interrupt,
 * ejection complete) is only logged and counted when refused. */
#include "devices/vpci_proto.h"

#include <string.h>

#include "lib/log.h"

void vpci_proto_init(struct vpci_proto *p, const char *name, const struct vpci_host *host,
                     struct vpci_func *funcs, unsigned n, const struct device_mmio_range *ranges,
                     unsigned nranges, unsigned vps)
{
    memset(p, 0, sizeof(*p));
    p->host = *host;
    p->name = name;
    p->window.funcs = funcs;
    p->window.n = n > 32 ? 32 : n;
    p->ranges = ranges;
    p->nranges = nranges;
    p->vps = vps;
    p->bad = (struct log_budget)LOG_BUDGET(8, " (further refusals only counted)");
    p->bars = (struct log_once)LOG_ONCE_N(16, " (further such BARs not reported)");
    p->retarget_log = (struct log_budget)LOG_BUDGET(8, " (further retargets not reported)");
}

static const char *type_name(uint32_t type)
{
    switch (type) {
    case VPCI_QUERY_BUS_RELATIONS:
        return "query bus relations";
    case VPCI_POWER_STATE_CHANGE:
        return "power state change";
    case VPCI_QUERY_RESOURCE_REQUIREMENTS:
        return "query resource requirements";
    case VPCI_BUS_D0ENTRY:
        return "D0 entry";
    case VPCI_BUS_D0EXIT:
        return "D0 exit";
    case VPCI_EJECTION_COMPLETE:
        return "ejection complete";
    case VPCI_RESOURCES_ASSIGNED:
        return "resources assigned";
    case VPCI_RESOURCES_ASSIGNED2:
        return "resources assigned 2";
    case VPCI_RESOURCES_RELEASED:
        return "resources released";
    case VPCI_QUERY_PROTOCOL_VERSION:
        return "query protocol version";
    case VPCI_CREATE_INTERRUPT:
        return "create interrupt";
    case VPCI_CREATE_INTERRUPT2:
        return "create interrupt 2";
    case VPCI_CREATE_INTERRUPT3:
        return "create interrupt 3";
    case VPCI_DELETE_INTERRUPT:
        return "delete interrupt";
    default:
        return "message";
    }
}

/* Whether Linux asks a completion for a message of this type; for a type it
 * does not send, whether the guest numbered it (requests that want an
 * answer carry a requestor id, never 0). */
static bool wants_completion(uint32_t type, uint64_t id)
{
    switch (type) {
    case VPCI_QUERY_BUS_RELATIONS:
    case VPCI_RESOURCES_RELEASED:
    case VPCI_DELETE_INTERRUPT:
    case VPCI_EJECTION_COMPLETE:
        return false;
    case VPCI_QUERY_PROTOCOL_VERSION:
    case VPCI_POWER_STATE_CHANGE:
    case VPCI_QUERY_RESOURCE_REQUIREMENTS:
    case VPCI_BUS_D0ENTRY:
    case VPCI_BUS_D0EXIT:
    case VPCI_RESOURCES_ASSIGNED:
    case VPCI_RESOURCES_ASSIGNED2:
    case VPCI_CREATE_INTERRUPT:
    case VPCI_CREATE_INTERRUPT2:
    case VPCI_CREATE_INTERRUPT3:
        return true;
    default:
        return id != 0;
    }
}

static void send(struct vpci_proto *p, const void *buf, uint32_t len, uint64_t id, bool completion)
{
    if (p->host.send(p->host.ctx, buf, len, id, completion) == 0)
        return;
    if (p->lost++ == 0) /* the guest's ring is full: it would wait forever, say so once */
        hv_log("vpci", "%s: answer of %u bytes not sent (guest ring full)", p->name, len);
}

static void reply(struct vpci_proto *p, uint64_t id, uint32_t status, uint32_t extra)
{
    struct vpci_status_reply r = {status, extra};
    send(p, &r, sizeof(r), id, true);
}

/* A refused message: logged within the budget, counted, answered with status
 * when the guest waits for an answer (else dropped). */
static void refuse(struct vpci_proto *p, uint32_t type, uint64_t id, uint32_t status,
                   const char *why)
{
    bool answer = wants_completion(type, id);
    p->refused++;
    const char *end = log_budget_take(&p->bad);
    if (end && answer)
        hv_log("vpci", "%s: %s (0x%08x) refused: %s: status 0x%08x%s", p->name, type_name(type),
               type, why, status, end);
    else if (end)
        hv_log("vpci", "%s: %s (0x%08x) dropped: %s%s", p->name, type_name(type), type, why, end);
    if (answer)
        reply(p, id, status, 0);
}

/* The index of the present function at wslot, or -1. */
static int func_at(const struct vpci_proto *p, uint32_t wslot)
{
    for (unsigned i = 0; i < p->window.n; i++)
        if (p->window.funcs[i].present && p->window.funcs[i].desc.wslot == wslot)
            return (int)i;
    return -1;
}

static void drop_interrupts(struct vpci_proto *p, uint32_t wslot)
{
    for (unsigned i = 0; i < VPCI_MAX_INTERRUPTS; i++)
        if (p->irq[i].wslot == wslot)
            p->irq[i].used = false;
}

static void version(struct vpci_proto *p, uint32_t v, uint64_t id)
{
    if (p->version) {
        refuse(p, VPCI_QUERY_PROTOCOL_VERSION, id, VPCI_STATUS_INVALID_DEVICE_STATE,
               "already negotiated");
        return;
    }
    if (v < VPCI_VERSION_1_1 || v > VPCI_VERSION_1_4) { /* the guest tries its next one */
        reply(p, id, VPCI_STATUS_REVISION_MISMATCH, 0);
        return;
    }
    p->version = v;
    hv_log("vpci", "%s: protocol version %u.%u", p->name, v >> 16, v & 0xffff);
    reply(p, id, VPCI_STATUS_SUCCESS, v);
}

/* BUS_RELATIONS (RELATIONS2 from 1.3 on, as OpenVMM): the present functions. */
static void relations(struct vpci_proto *p)
{
    uint8_t buf[sizeof(struct vpci_bus_relations) + 32 * sizeof(struct vpci_func_desc2)];
    bool two = p->version >= VPCI_VERSION_1_3;
    uint32_t n = 0, len = sizeof(struct vpci_bus_relations);
    for (unsigned i = 0; i < p->window.n; i++) {
        if (!p->window.funcs[i].present)
            continue;
        struct vpci_func_desc2 d = {.d = p->window.funcs[i].desc};
        uint32_t dlen = two ? sizeof(d) : sizeof(d.d);
        memcpy(buf + len, &d, dlen);
        len += dlen;
        n++;
    }
    struct vpci_bus_relations h = {two ? VPCI_BUS_RELATIONS2 : VPCI_BUS_RELATIONS, n};
    memcpy(buf, &h, sizeof(h));
    if (!p->relations_sent)
        hv_log("vpci", "%s: bus relations: %u function%s", p->name, n, n == 1 ? "" : "s");
    p->relations_sent = true;
    send(p, buf, len, 0, false);
}

/* Whether [gpa, gpa + len) lies inside one of the guest's MMIO ranges. */
static bool in_mmio(const struct vpci_proto *p, uint64_t gpa, uint64_t len)
{
    for (unsigned i = 0; i < p->nranges; i++) {
        const struct device_mmio_range *r = &p->ranges[i];
        if (r->size >= len && gpa >= r->base && gpa - r->base <= r->size - len)
            return true;
    }
    return false;
}

static void d0_entry(struct vpci_proto *p, const struct vpci_d0_entry *m, uint64_t id)
{
    uint64_t gpa = m->mmio_base;
    if (p->d0) {
        refuse(p, m->type, id, VPCI_STATUS_INVALID_DEVICE_STATE, "already in D0");
    } else if (gpa & 0xfff) {
        refuse(p, m->type, id, VPCI_STATUS_INVALID_PARAMETER, "config window not page-aligned");
    } else if (!in_mmio(p, gpa, VPCI_WINDOW_SIZE)) {
        refuse(p, m->type, id, VPCI_STATUS_INVALID_PARAMETER,
               "config window outside the guest's MMIO ranges");
    } else if (p->host.window_map(p->host.ctx, gpa) != 0) {
        refuse(p, m->type, id, VPCI_STATUS_INVALID_DEVICE_STATE, "config window not trapped");
    } else {
        p->d0 = true;
        p->window_gpa = gpa;
        hv_log("vpci", "%s: D0 entry: config window at 0x%llx", p->name, (unsigned long long)gpa);
        reply(p, id, VPCI_STATUS_SUCCESS, 0);
    }
}

const char *vpci_proto_bar_refused(const struct vpci_proto *p, uint64_t gpa, uint64_t size)
{
    if (!in_mmio(p, gpa, size))
        return "outside the guest's MMIO ranges";
    if (gpa < p->window_gpa + VPCI_WINDOW_SIZE && p->window_gpa < gpa + size)
        return "over the config window";
    return NULL;
}

/* Where funcs[i]'s BAR is to be decoded now (0: nowhere), and why not where it points. */
static uint64_t bar_target(const struct vpci_proto *p, unsigned i, const char **why)
{
    const struct vpci_func *f = &p->window.funcs[i];
    *why = NULL;
    if (!p->d0 || !f->present || !(f->command & VPCI_CMD_MEMORY))
        return 0;
    *why = vpci_proto_bar_refused(p, f->bar, f->bar_size);
    return *why ? 0 : f->bar;
}

void vpci_proto_config_written(struct vpci_proto *p)
{
    for (unsigned i = 0; i < p->window.n; i++) {
        const struct vpci_func *f = &p->window.funcs[i];
        const char *why;
        uint64_t want = bar_target(p, i, &why);
        if (want != p->bar_at[i]) {
            if (p->bar_at[i])
                p->host.bar_unmap(p->host.ctx, i, p->bar_at[i], f->bar_size);
            p->bar_at[i] = 0;
            if (want && p->host.bar_map(p->host.ctx, i, want, f->bar_size) != 0)
                why = "not trapped";
            else if (want)
                p->bar_at[i] = want;
            /* the key's low bit (a BAR is page-aligned) tells decoded from refused */
            const char *end =
                p->bar_at[i] ? log_once_take(&p->bars, f->desc.wslot, want | 1) : NULL;
            if (end)
                hv_log("vpci", "%s: wslot %u: BAR0 decoded at 0x%llx%s", p->name, f->desc.wslot,
                       (unsigned long long)want, end);
        }
        const char *end = why ? log_once_take(&p->bars, f->desc.wslot, f->bar) : NULL;
        if (end)
            hv_log("vpci", "%s: wslot %u: BAR0 at 0x%llx not decoded: %s%s", p->name, f->desc.wslot,
                   (unsigned long long)f->bar, why, end);
    }
    if (p->host.bars_changed)
        p->host.bars_changed(p->host.ctx);
}

int vpci_proto_msi_vector(const struct vpci_proto *p, uint32_t wslot, uint64_t addr, uint32_t data,
                          uint16_t *vp)
{
    uint32_t i = data - VPCI_MSI_DATA_BASE;
    if (addr != VPCI_MSI_ADDRESS || i >= VPCI_MAX_INTERRUPTS || !p->irq[i].used ||
        p->irq[i].wslot != wslot)
        return -1;
    if (vp)
        *vp = p->irq[i].vp;
    return (int)p->irq[i].vector;
}

int vpci_proto_retarget(struct vpci_proto *p, uint32_t wslot, uint64_t addr, uint32_t data,
                        uint8_t vector, uint64_t vp_mask)
{
    uint64_t valid = p->vps >= 64 ? ~0ull : (1ull << p->vps) - 1;
    if (vpci_proto_msi_vector(p, wslot, addr, data, NULL) < 0 || !(vp_mask & valid))
        return -1;
    struct vpci_interrupt *e = &p->irq[data - VPCI_MSI_DATA_BASE];
    uint16_t vp = (uint16_t)__builtin_ctzll(vp_mask & valid);
    p->retargets++;
    if (e->vector != vector || e->vp != vp) {
        const char *tail = log_budget_take(&p->retarget_log);
        if (tail)
            hv_log("vpci", "%s: interrupt 0x%x retargeted: vector 0x%x -> 0x%x, VP %u%s", p->name,
                   (unsigned)data, (unsigned)e->vector, (unsigned)vector, vp, tail);
    }
    e->vector = vector;
    e->vp = vp;
    return 0;
}

/* Leaves D0: the window and the BARs are no longer emulated, resources and
 * interrupts are gone. */
static void leave_d0(struct vpci_proto *p)
{
    if (p->d0)
        p->host.window_unmap(p->host.ctx, p->window_gpa);
    p->d0 = false;
    vpci_proto_config_written(p); /* out of D0: every BAR is unmapped */
    p->assigned = 0;
    memset(p->irq, 0, sizeof(p->irq));
}

/* CREATE_INTERRUPT 1, 2 or 3 in one shape. */
struct irq_request {
    uint32_t wslot, vector;
    uint8_t mode;
    uint16_t count;
    bool list; /* versions 2 and 3: vps[0..nvps); 1: cpu_mask */
    uint16_t nvps;
    uint16_t vps[VPCI_MAX_PROCESSORS];
    uint64_t cpu_mask;
};

static const char *check_interrupt(const struct vpci_proto *p, const struct irq_request *r,
                                   uint16_t *vp)
{
    if (r->vector < 0x20 || r->vector > 0xff)
        return "vector not an x86 interrupt vector (0x20-0xff)";
    if (r->mode > 1)
        return "delivery mode neither fixed nor lowest priority";
    if (r->count == 0 || r->count > 32 || (r->count & (r->count - 1)))
        return "vector count not a power of two up to 32";
    if (!r->list) { /* version 1: the lowest VP of the mask */
        uint64_t valid = p->vps >= 64 ? ~0ull : (1ull << p->vps) - 1;
        if (!(r->cpu_mask & valid))
            return "no existing VP in the CPU mask";
        *vp = (uint16_t)__builtin_ctzll(r->cpu_mask & valid);
        return NULL;
    }
    if (r->nvps == 0 || r->nvps > VPCI_MAX_PROCESSORS)
        return "processor count not 1 to 32";
    for (unsigned i = 0; i < r->nvps; i++)
        if (r->vps[i] >= p->vps)
            return "a target VP that does not exist";
    *vp = r->vps[0];
    return NULL;
}

static void create_interrupt(struct vpci_proto *p, uint32_t type, const struct irq_request *r,
                             uint64_t id)
{
    int f = func_at(p, r->wslot);
    uint16_t vp = 0;
    const char *why = NULL;
    if (!p->d0)
        why = "before D0 entry";
    else if (f < 0)
        why = "no function at that wslot";
    else if (!(p->assigned & 1u << f))
        why = "before the function's resources were assigned";
    if (why) {
        refuse(p, type, id, VPCI_STATUS_INVALID_DEVICE_STATE, why);
        return;
    }
    why = check_interrupt(p, r, &vp);
    if (why) {
        refuse(p, type, id, VPCI_STATUS_INVALID_PARAMETER, why);
        return;
    }
    unsigned i = 0;
    while (i < VPCI_MAX_INTERRUPTS && p->irq[i].used)
        i++;
    if (i == VPCI_MAX_INTERRUPTS) {
        refuse(p, type, id, VPCI_STATUS_INSUFFICIENT_RESOURCES, "interrupt table full");
        return;
    }
    p->irq[i] = (struct vpci_interrupt){true, r->wslot, r->vector, r->count, vp};
    struct vpci_interrupt_reply a = {
        .status = VPCI_STATUS_SUCCESS,
        .desc = {.vector_count = r->count,
                 .data = VPCI_MSI_DATA_BASE + i,
                 .address = VPCI_MSI_ADDRESS},
    };
    send(p, &a, sizeof(a), id, true);
}

/* CREATE_INTERRUPT of any version into r; len was checked against its layout. */
static void parse_interrupt(uint32_t type, const void *buf, struct irq_request *r)
{
    memset(r, 0, sizeof(*r));
    if (type == VPCI_CREATE_INTERRUPT) {
        struct vpci_create_interrupt m;
        memcpy(&m, buf, sizeof(m));
        *r = (struct irq_request){.wslot = m.wslot,
                                  .vector = m.desc.vector,
                                  .mode = m.desc.delivery_mode,
                                  .count = m.desc.vector_count,
                                  .cpu_mask = m.desc.cpu_mask};
    } else if (type == VPCI_CREATE_INTERRUPT2) {
        struct vpci_create_interrupt2 m;
        memcpy(&m, buf, sizeof(m));
        *r = (struct irq_request){.wslot = m.wslot,
                                  .vector = m.desc.vector,
                                  .mode = m.desc.delivery_mode,
                                  .count = m.desc.vector_count,
                                  .list = true,
                                  .nvps = m.desc.processor_count};
        memcpy(r->vps, m.desc.processor_array, sizeof(r->vps));
    } else {
        struct vpci_create_interrupt3 m;
        memcpy(&m, buf, sizeof(m));
        *r = (struct irq_request){.wslot = m.wslot,
                                  .vector = m.desc.vector,
                                  .mode = m.desc.delivery_mode,
                                  .count = m.desc.vector_count,
                                  .list = true,
                                  .nvps = m.desc.processor_count};
        memcpy(r->vps, m.desc.processor_array, sizeof(r->vps));
    }
}

static void delete_interrupt(struct vpci_proto *p, const struct vpci_delete_interrupt *m,
                             uint64_t id)
{
    uint32_t i = m->desc.data - VPCI_MSI_DATA_BASE;
    if (m->desc.address != VPCI_MSI_ADDRESS || i >= VPCI_MAX_INTERRUPTS || !p->irq[i].used ||
        p->irq[i].wslot != m->wslot) {
        refuse(p, m->type, id, VPCI_STATUS_INVALID_PARAMETER, "not an interrupt this bus created");
        return;
    }
    p->irq[i].used = false;
}

static void assigned(struct vpci_proto *p, uint32_t type, uint32_t wslot, uint32_t msis,
                     uint64_t id)
{
    int f = func_at(p, wslot);
    if (!p->d0) {
        refuse(p, type, id, VPCI_STATUS_INVALID_DEVICE_STATE, "before D0 entry");
    } else if (f < 0) {
        refuse(p, type, id, VPCI_STATUS_INVALID_PARAMETER, "no function at that wslot");
    } else if (msis) {
        refuse(p, type, id, VPCI_STATUS_NOT_SUPPORTED, "MSI resources in the message");
    } else {
        if (!(p->assigned & 1u << f))
            hv_log("vpci", "%s: wslot %u: resources assigned", p->name, wslot);
        p->assigned |= 1u << f;
        reply(p, id, VPCI_STATUS_SUCCESS, 0);
    }
}

static void released(struct vpci_proto *p, uint32_t wslot, uint64_t id)
{
    int f = func_at(p, wslot);
    if (f < 0) {
        refuse(p, VPCI_RESOURCES_RELEASED, id, VPCI_STATUS_INVALID_PARAMETER,
               "no function at that wslot");
        return;
    }
    p->assigned &= ~(1u << f);
    drop_interrupts(p, wslot);
}

static void ejected(struct vpci_proto *p, uint32_t wslot, uint64_t id)
{
    int f = func_at(p, wslot);
    if (f < 0 || !(p->eject_pending & 1u << f)) {
        refuse(p, VPCI_EJECTION_COMPLETE, id, VPCI_STATUS_INVALID_DEVICE_STATE,
               "no ejection asked for that wslot");
        return;
    }
    p->eject_pending &= ~(1u << f);
    p->assigned &= ~(1u << f);
    p->window.funcs[f].present = false;
    drop_interrupts(p, wslot);
    vpci_proto_config_written(p); /* its BAR goes with it */
    hv_log("vpci", "%s: wslot %u: ejected", p->name, wslot);
}

static void power(struct vpci_proto *p, const struct vpci_power_change *m, uint64_t id)
{
    if (func_at(p, m->wslot) < 0) {
        refuse(p, m->type, id, VPCI_STATUS_INVALID_PARAMETER, "no function at that wslot");
    } else if (m->power_state != VPCI_POWER_D0 && m->power_state != VPCI_POWER_D3) {
        refuse(p, m->type, id, VPCI_STATUS_BAD_DATA, "power state neither D0 nor D3");
    } else {
        struct vpci_power_reply r = {VPCI_STATUS_SUCCESS, m->wslot, m->power_state, 0};
        send(p, &r, sizeof(r), id, true);
    }
}

/* Each message's length: what must be there before it is read. */
static uint32_t min_length(uint32_t type)
{
    switch (type) {
    case VPCI_QUERY_PROTOCOL_VERSION:
        return sizeof(struct vpci_version_request);
    case VPCI_QUERY_BUS_RELATIONS:
    case VPCI_BUS_D0EXIT:
        return sizeof(struct vpci_message);
    case VPCI_QUERY_RESOURCE_REQUIREMENTS:
    case VPCI_RESOURCES_RELEASED:
        return sizeof(struct vpci_child_message);
    case VPCI_BUS_D0ENTRY:
        return sizeof(struct vpci_d0_entry);
    case VPCI_POWER_STATE_CHANGE:
        return sizeof(struct vpci_power_change);
    case VPCI_RESOURCES_ASSIGNED:
        return sizeof(struct vpci_resources_assigned);
    case VPCI_RESOURCES_ASSIGNED2:
        return sizeof(struct vpci_resources_assigned2);
    case VPCI_CREATE_INTERRUPT:
        return sizeof(struct vpci_create_interrupt);
    case VPCI_CREATE_INTERRUPT2:
        return sizeof(struct vpci_create_interrupt2);
    case VPCI_CREATE_INTERRUPT3:
        return sizeof(struct vpci_create_interrupt3);
    case VPCI_DELETE_INTERRUPT:
        return sizeof(struct vpci_delete_interrupt);
    case VPCI_EJECTION_COMPLETE:
        return sizeof(struct vpci_ejection_complete);
    default:
        return 0; /* not one this host serves */
    }
}

void vpci_proto_packet(struct vpci_proto *p, const void *buf, uint32_t len, uint64_t id)
{
    union {
        struct vpci_message m;
        struct vpci_version_request version;
        struct vpci_child_message child;
        struct vpci_d0_entry d0;
        struct vpci_power_change power;
        struct vpci_resources_assigned assigned;
        struct vpci_resources_assigned2 assigned2;
        struct vpci_delete_interrupt del;
        struct vpci_ejection_complete ejected;
    } u;
    memset(&u, 0, sizeof(u));
    if (len < sizeof(u.m)) {
        refuse(p, 0, id, VPCI_STATUS_BAD_DATA, "shorter than a message type");
        return;
    }
    memcpy(&u.m, buf, sizeof(u.m));
    uint32_t type = u.m.type, need = min_length(type);
    if (!need) {
        refuse(p, type, id, VPCI_STATUS_NOT_SUPPORTED, "unknown message type");
        return;
    }
    if (len < need) {
        refuse(p, type, id, VPCI_STATUS_BAD_DATA, "shorter than its layout");
        return;
    }
    memcpy(&u, buf, need < sizeof(u) ? need : sizeof(u));
    if (!p->version && type != VPCI_QUERY_PROTOCOL_VERSION) {
        refuse(p, type, id, VPCI_STATUS_INVALID_DEVICE_STATE, "before version negotiation");
        return;
    }
    p->requests++;
    struct irq_request irq;
    int f;
    switch (type) {
    case VPCI_QUERY_PROTOCOL_VERSION:
        version(p, u.version.version, id);
        break;
    case VPCI_QUERY_BUS_RELATIONS:
        relations(p);
        break;
    case VPCI_QUERY_RESOURCE_REQUIREMENTS:
        f = func_at(p, u.child.wslot);
        if (f < 0) {
            refuse(p, type, id, VPCI_STATUS_INVALID_PARAMETER, "no function at that wslot");
        } else {
            uint32_t bars[VPCI_BARS];
            vpci_func_probed_bars(&p->window.funcs[f], bars);
            struct vpci_resources_reply r = {VPCI_STATUS_SUCCESS, {0}};
            memcpy(r.probed_bar, bars, sizeof(bars));
            send(p, &r, sizeof(r), id, true);
        }
        break;
    case VPCI_BUS_D0ENTRY:
        d0_entry(p, &u.d0, id);
        break;
    case VPCI_BUS_D0EXIT: /* also when not in D0: pci-hyperv's retry of a failed entry */
        if (p->d0)
            hv_log("vpci", "%s: D0 exit", p->name);
        leave_d0(p);
        reply(p, id, VPCI_STATUS_SUCCESS, 0);
        break;
    case VPCI_RESOURCES_ASSIGNED:
        assigned(p, type, u.assigned.wslot, u.assigned.msi_descriptors, id);
        break;
    case VPCI_RESOURCES_ASSIGNED2:
        assigned(p, type, u.assigned2.wslot, u.assigned2.msi_descriptor_count, id);
        break;
    case VPCI_RESOURCES_RELEASED:
        released(p, u.child.wslot, id);
        break;
    case VPCI_CREATE_INTERRUPT:
    case VPCI_CREATE_INTERRUPT2:
    case VPCI_CREATE_INTERRUPT3:
        parse_interrupt(type, buf, &irq);
        create_interrupt(p, type, &irq, id);
        break;
    case VPCI_DELETE_INTERRUPT:
        delete_interrupt(p, &u.del, id);
        break;
    case VPCI_EJECTION_COMPLETE:
        ejected(p, u.ejected.wslot, id);
        break;
    case VPCI_POWER_STATE_CHANGE:
        power(p, &u.power, id);
        break;
    }
}

void vpci_proto_reset(struct vpci_proto *p)
{
    leave_d0(p);
    p->version = 0;
    p->relations_sent = false;
    p->eject_pending = 0;
    p->window.slot = 0;
}

int vpci_proto_eject(struct vpci_proto *p, unsigned i)
{
    if (!p->version || i >= p->window.n || !p->window.funcs[i].present)
        return -1;
    struct vpci_child_message m = {VPCI_EJECT, p->window.funcs[i].desc.wslot};
    if (p->host.send(p->host.ctx, &m, sizeof(m), 0, false) != 0)
        return -1;
    p->eject_pending |= 1u << i;
    return 0;
}
