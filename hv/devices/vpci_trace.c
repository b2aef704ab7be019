/* The vPCI channel's trace decoder (`trace = ring`): one packet of either
 * direction as text. A guest message and a host in-band message begin with
 * their type (0x4249xxxx); a host completion begins with its status, and its
 * length says which answer it is. Reads only the bytes it is given. */
#include "devices/vpci_proto.h"

#include <string.h>

#include "lib/fmt.h"

struct name {
    uint32_t type;
    const char *name;
    uint32_t size; /* the layout's length */
};

static const struct name names[] = {
    {VPCI_BUS_RELATIONS, "BUS_RELATIONS", sizeof(struct vpci_bus_relations)},
    {VPCI_QUERY_BUS_RELATIONS, "QUERY_BUS_RELATIONS", sizeof(struct vpci_message)},
    {VPCI_POWER_STATE_CHANGE, "POWER_STATE_CHANGE", sizeof(struct vpci_power_change)},
    {VPCI_QUERY_RESOURCE_REQUIREMENTS, "QUERY_RESOURCE_REQUIREMENTS",
     sizeof(struct vpci_child_message)},
    {VPCI_BUS_D0ENTRY, "BUS_D0ENTRY", sizeof(struct vpci_d0_entry)},
    {VPCI_BUS_D0EXIT, "BUS_D0EXIT", sizeof(struct vpci_message)},
    {VPCI_EJECT, "EJECT", sizeof(struct vpci_child_message)},
    {VPCI_EJECTION_COMPLETE, "EJECTION_COMPLETE", sizeof(struct vpci_ejection_complete)},
    {VPCI_RESOURCES_ASSIGNED, "RESOURCES_ASSIGNED", sizeof(struct vpci_resources_assigned)},
    {VPCI_RESOURCES_RELEASED, "RESOURCES_RELEASED", sizeof(struct vpci_child_message)},
    {VPCI_INVALIDATE_BLOCK, "INVALIDATE_BLOCK", sizeof(struct vpci_invalidate_block)},
    {VPCI_QUERY_PROTOCOL_VERSION, "QUERY_PROTOCOL_VERSION", sizeof(struct vpci_version_request)},
    {VPCI_CREATE_INTERRUPT, "CREATE_INTERRUPT", sizeof(struct vpci_create_interrupt)},
    {VPCI_DELETE_INTERRUPT, "DELETE_INTERRUPT", sizeof(struct vpci_delete_interrupt)},
    {VPCI_RESOURCES_ASSIGNED2, "RESOURCES_ASSIGNED2", sizeof(struct vpci_resources_assigned2)},
    {VPCI_CREATE_INTERRUPT2, "CREATE_INTERRUPT2", sizeof(struct vpci_create_interrupt2)},
    {VPCI_BUS_RELATIONS2, "BUS_RELATIONS2", sizeof(struct vpci_bus_relations)},
    {VPCI_CREATE_INTERRUPT3, "CREATE_INTERRUPT3", sizeof(struct vpci_create_interrupt3)},
};

/* A completion: its status and what its length says it carries. */
static int completion(const uint8_t *p, size_t len, char *out, size_t cap)
{
    union {
        struct vpci_status_reply status;
        struct vpci_resources_reply res;
        struct vpci_power_reply power;
        struct vpci_interrupt_reply irq;
    } u;
    memset(&u, 0, sizeof(u));
    memcpy(&u, p, len < sizeof(u) ? len : sizeof(u));
    if (len == sizeof(u.res))
        return fmt_snprintf(
            out, cap, "vpci completion status=0x%x bars=0x%x,0x%x,0x%x,0x%x,0x%x,0x%x",
            u.res.status, u.res.probed_bar[0], u.res.probed_bar[1], u.res.probed_bar[2],
            u.res.probed_bar[3], u.res.probed_bar[4], u.res.probed_bar[5]);
    if (len == sizeof(u.irq))
        return fmt_snprintf(out, cap,
                            "vpci completion status=0x%x msi address=0x%llx data=0x%x count=%u",
                            u.irq.status, (unsigned long long)u.irq.desc.address, u.irq.desc.data,
                            u.irq.desc.vector_count);
    if (len == sizeof(u.power))
        return fmt_snprintf(out, cap, "vpci completion status=0x%x wslot=0x%x state=%u",
                            u.power.status, u.power.wslot, u.power.resultant_state);
    return fmt_snprintf(out, cap, "vpci completion status=0x%x (%u bytes)", u.status.status,
                        (unsigned)len);
}

/* A message of a known type whose layout is all there. */
static int message(const struct name *n, const uint8_t *p, size_t len, char *out, size_t cap)
{
    union {
        uint8_t bytes[sizeof(struct vpci_bus_relations) + sizeof(struct vpci_func_desc2)];
        struct vpci_child_message child;
        struct vpci_version_request version;
        struct vpci_d0_entry d0;
        struct vpci_power_change power;
        struct vpci_ejection_complete ejected;
        struct vpci_invalidate_block inval;
        struct vpci_delete_interrupt del;
        struct vpci_create_interrupt ci;
        struct vpci_create_interrupt2 ci2;
        struct vpci_create_interrupt3 ci3;
        struct vpci_bus_relations rel;
    } u;
    struct vpci_resources_assigned2 ra; /* both versions: wslot and the count at the same offsets */
    memset(&u, 0, sizeof(u));
    memcpy(&u, p, len < sizeof(u) ? len : sizeof(u));
    switch (n->type) {
    case VPCI_QUERY_PROTOCOL_VERSION:
        return fmt_snprintf(out, cap, "vpci %s version=%u.%u", n->name, u.version.version >> 16,
                            u.version.version & 0xffff);
    case VPCI_BUS_RELATIONS:
    case VPCI_BUS_RELATIONS2: {
        struct vpci_func_desc d;
        if (!u.rel.device_count || len < sizeof(u.rel) + sizeof(d))
            return fmt_snprintf(out, cap, "vpci %s devices=%u", n->name, u.rel.device_count);
        memcpy(&d, u.bytes + sizeof(u.rel), sizeof(d));
        return fmt_snprintf(out, cap,
                            "vpci %s devices=%u first=%04x:%04x class=%02x%02x%02x wslot=0x%x",
                            n->name, u.rel.device_count, d.vendor_id, d.device_id, d.base_class,
                            d.subclass, d.prog_if, d.wslot);
    }
    case VPCI_BUS_D0ENTRY:
        return fmt_snprintf(out, cap, "vpci %s mmio_base=0x%llx", n->name,
                            (unsigned long long)u.d0.mmio_base);
    case VPCI_POWER_STATE_CHANGE:
        return fmt_snprintf(out, cap, "vpci %s wslot=0x%x state=%u", n->name, u.power.wslot,
                            u.power.power_state);
    case VPCI_EJECTION_COMPLETE:
        return fmt_snprintf(out, cap, "vpci %s wslot=0x%x status=0x%x", n->name, u.ejected.wslot,
                            u.ejected.status);
    case VPCI_INVALIDATE_BLOCK:
        return fmt_snprintf(out, cap, "vpci %s wslot=0x%x mask=0x%llx", n->name, u.inval.wslot,
                            (unsigned long long)u.inval.block_mask);
    case VPCI_RESOURCES_ASSIGNED:
    case VPCI_RESOURCES_ASSIGNED2:
        memcpy(&ra, p, offsetof(struct vpci_resources_assigned2, reserved));
        return fmt_snprintf(out, cap, "vpci %s wslot=0x%x msis=%u", n->name, ra.wslot,
                            ra.msi_descriptor_count);
    case VPCI_CREATE_INTERRUPT:
        return fmt_snprintf(out, cap, "vpci %s wslot=0x%x vector=0x%x mode=%u count=%u cpus=0x%llx",
                            n->name, u.ci.wslot, u.ci.desc.vector, u.ci.desc.delivery_mode,
                            u.ci.desc.vector_count, (unsigned long long)u.ci.desc.cpu_mask);
    case VPCI_CREATE_INTERRUPT2:
        return fmt_snprintf(out, cap, "vpci %s wslot=0x%x vector=0x%x mode=%u count=%u vps=%u",
                            n->name, u.ci2.wslot, u.ci2.desc.vector, u.ci2.desc.delivery_mode,
                            u.ci2.desc.vector_count, u.ci2.desc.processor_count);
    case VPCI_CREATE_INTERRUPT3:
        return fmt_snprintf(out, cap, "vpci %s wslot=0x%x vector=0x%x mode=%u count=%u vps=%u",
                            n->name, u.ci3.wslot, u.ci3.desc.vector, u.ci3.desc.delivery_mode,
                            u.ci3.desc.vector_count, u.ci3.desc.processor_count);
    case VPCI_DELETE_INTERRUPT:
        return fmt_snprintf(out, cap, "vpci %s wslot=0x%x address=0x%llx data=0x%x", n->name,
                            u.del.wslot, (unsigned long long)u.del.desc.address, u.del.desc.data);
    case VPCI_QUERY_RESOURCE_REQUIREMENTS:
    case VPCI_RESOURCES_RELEASED:
    case VPCI_EJECT:
        return fmt_snprintf(out, cap, "vpci %s wslot=0x%x", n->name, u.child.wslot);
    default: /* QUERY_BUS_RELATIONS, BUS_D0EXIT: the type is all */
        return fmt_snprintf(out, cap, "vpci %s", n->name);
    }
}

size_t vpci_trace_decode(const void *pkt, size_t len, char *out, size_t cap)
{
    const uint8_t *p = pkt;
    uint32_t first;
    int n;
    if (!cap)
        return 0;
    out[0] = '\0';
    if (!pkt || len < sizeof(first)) {
        n = fmt_snprintf(out, cap, "vpci malformed: %u bytes, shorter than a type or status",
                         (unsigned)len);
        return n < 0 ? 0 : (size_t)n < cap ? (size_t)n : cap - 1;
    }
    memcpy(&first, p, sizeof(first));
    const struct name *m = NULL;
    for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (names[i].type == first)
            m = &names[i];
    if ((first >> 16) != 0x4249)
        n = completion(p, len, out, cap);
    else if (!m)
        n = fmt_snprintf(out, cap, "vpci type=0x%x (%u bytes)", first, (unsigned)len);
    else if (len < m->size)
        n = fmt_snprintf(out, cap, "vpci %s malformed: %u bytes, its layout has %u", m->name,
                         (unsigned)len, m->size);
    else
        n = message(m, p, len, out, cap);
    return n < 0 ? 0 : (size_t)n < cap ? (size_t)n : cap - 1;
}
