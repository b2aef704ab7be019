/* The vpci kind (hv/devices/vpci.c) over the fake KMCL and a fake MMIO trap:
 * the whole sequence Linux's pci-hyperv follows (version, relations,
 * resource requirements, D0 entry, resources assigned, the config-window
 * traffic of prepopulate_bars and the PCI core's BAR sizing, interrupts,
 * release, D0 exit), each reply checked; hostile messages; the config-space
 * emulation (vpci_func.c) and ejection (vpci_proto.c) on their own. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "devices/device.h"
#include "devices/vpci_func.h"
#include "devices/vpci_proto.h"
#include "devices/vpci_wire.h"
#include "vm/mmio_trap.h"

#include "fake_kmcl.h"
#include "fixture.h"

extern const struct device_kind vpci_kind;

/* The guest's MMIO ranges, as hv/guest.c gives them: the low window, the high gap. */
#define LOW_BASE 0xf8000000ull
#define LOW_SIZE 0x06c00000ull
#define GAP_BASE 0x100000000ull
#define GAP_SIZE (64ull << 20)

/* The fake traps: record the range and let the test play the guest's loads
 * and stores; the config window's (8 KiB) in trap, the BAR's in bartrap. */
struct fake_trap {
    int refuse; /* 1: the next mmio_trap of this kind fails */
    bool on;
    uint64_t gpa, len;
    const struct mmio_trap_ops *ops;
    void *ctx;
    unsigned traps, untraps;
};
static struct fake_trap trap, bartrap;

static int fake_trap(uint64_t gpa, uint64_t len, const struct mmio_trap_ops *ops, void *ctx)
{
    struct fake_trap *t = len == VPCI_WINDOW_SIZE ? &trap : &bartrap;
    assert_false(t->on); /* never twice */
    if (t->refuse)
        return -1;
    *t = (struct fake_trap){0, true, gpa, len, ops, ctx, t->traps + 1, t->untraps};
    return 0;
}

static void fake_untrap(uint64_t gpa, uint64_t len)
{
    struct fake_trap *t = len == VPCI_WINDOW_SIZE ? &trap : &bartrap;
    assert_true(t->on);
    assert_int_equal(gpa, t->gpa);
    assert_int_equal(len, t->len);
    t->on = false;
    t->untraps++;
}

static struct device_env env = {.mmio_trap = fake_trap, .mmio_untrap = fake_untrap};
static VMBCHANNEL ch;
static struct hv_device_config cfg;

static int setup(void **state)
{
    (void)state;
    fake_kmcl_reset();
    log_reset();
    memset(&trap, 0, sizeof(trap));
    memset(&bartrap, 0, sizeof(bartrap));
    memset(env.mmio, 0, sizeof(env.mmio)); /* hv/guest.c sets them after every create */
    cfg = (struct hv_device_config){.line = 5, .kind = "vpci", .name = "pci"};
    const struct device d = {&cfg, NULL, &env};
    assert_int_equal(vpci_kind.create(&d, &ch), STATUS_SUCCESS);
    vpci_kind.created(&env, 1);
    env.mmio[0] = (struct device_mmio_range){LOW_BASE, LOW_SIZE};
    env.mmio[1] = (struct device_mmio_range){GAP_BASE, GAP_SIZE};
    fake_channel(ch)->open = true;
    return 0;
}

/* The guest sends an in-band message; returns how many packets the host sent back. */
static unsigned guest(const void *m, uint32_t len, uint64_t id)
{
    struct fake_channel *c = fake_channel(ch);
    unsigned before = c->nsent;
    c->process(ch, m, len, VMB_PACKET_TYPE_DATA_INBAND, id);
    return c->nsent - before;
}

/* A request that wants a completion: exactly one, of its id; its status. */
static uint32_t request(const void *m, uint32_t len, uint64_t id)
{
    assert_int_equal(guest(m, len, id), 1);
    const struct fake_sent *s = fake_last_sent(ch);
    assert_true(s->completion);
    assert_int_equal(s->id, id);
    assert_true(s->len >= 8); /* with its descriptor more than the 20 bytes the guest drops */
    uint32_t status;
    memcpy(&status, s->data, sizeof(status));
    return status;
}

static uint32_t version(uint32_t v)
{
    struct vpci_version_request m = {VPCI_QUERY_PROTOCOL_VERSION, v};
    return request(&m, sizeof(m), 1);
}

static uint32_t d0_entry(uint64_t gpa)
{
    struct vpci_d0_entry m = {VPCI_BUS_D0ENTRY, 0, gpa};
    return request(&m, sizeof(m), 3);
}

static uint32_t assigned2(uint32_t wslot)
{
    struct vpci_resources_assigned2 m = {.type = VPCI_RESOURCES_ASSIGNED2, .wslot = wslot};
    return request(&m, sizeof(m), 4);
}

/* The guest's config-window accesses, through the trap. */
static uint64_t mmio_read(uint64_t off, unsigned size)
{
    assert_true(trap.on);
    return trap.ops->read(trap.ctx, off, size);
}

static void mmio_write(uint64_t off, unsigned size, uint64_t val)
{
    assert_true(trap.on);
    trap.ops->write(trap.ctx, off, size, val);
}

/* pci-hyperv's _hv_pcifront_read_config: select the slot, then read page 1. */
static uint32_t cfg_read(unsigned where, unsigned size)
{
    mmio_write(0, 4, 0);
    return (uint32_t)mmio_read(VPCI_CFG_OFFSET + where, size);
}

static void cfg_write(unsigned where, unsigned size, uint32_t val)
{
    mmio_write(0, 4, 0);
    mmio_write(VPCI_CFG_OFFSET + where, size, val);
}

static void offer(void **state)
{
    (void)state;
    struct fake_channel *c = fake_channel(ch);
    const GUID cls = VPCI_CLASS_GUID;
    assert_memory_equal(&c->type, &cls, sizeof(cls));
    assert_string_equal(c->name, "pci");
    assert_int_equal(c->mmio_mb, 2);            /* the config window's page and the 1 MiB BAR */
    assert_int_not_equal(c->instance.Data2, 0); /* the guest's PCI domain */
    char line[64];
    snprintf(line, sizeof(line), "hv: vpci: pci: PCI domain 0x%04x: function 1b36:0005",
             c->instance.Data2);
    assert_int_equal(log_count(line), 1);
}

/* A configured instance is the domain as given; one that gives domain 0 is refused. */
static void instance_domain(void **state)
{
    (void)state;
    fake_kmcl_reset();
    log_reset();
    static const uint8_t bytes[16] = {1, 2, 3, 4, 0x34, 0x12, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
    memcpy(cfg.instance, bytes, sizeof(bytes));
    const struct device d = {&cfg, NULL, &env};
    VMBCHANNEL c2;
    assert_int_equal(vpci_kind.create(&d, &c2), STATUS_SUCCESS);
    assert_int_equal(fake_channel(c2)->instance.Data2, 0x1234);
    cfg.instance[4] = cfg.instance[5] = 0;
    assert_int_not_equal(vpci_kind.create(&d, &c2), STATUS_SUCCESS);
    assert_int_equal(log_count("hv: vpci: hv.cfg line 5: pci: instance gives PCI domain 0"), 1);
    vpci_kind.created(&env, 2);
}

/* Up to 4 buses in one configuration; the next line's is refused, naming it;
 * a new configuration starts over. */
static void bus_count(void **state)
{
    (void)state;
    fake_kmcl_reset();
    log_reset();
    VMBCHANNEL c2;
    for (unsigned i = 0; i < 4; i++) {
        snprintf(cfg.name, sizeof(cfg.name), "bus%u", i);
        const struct device d = {&cfg, NULL, &env};
        assert_int_equal(vpci_kind.create(&d, &c2), STATUS_SUCCESS);
    }
    const struct device d = {&cfg, NULL, &env};
    assert_int_equal(vpci_kind.create(&d, &c2), STATUS_INSUFFICIENT_RESOURCES);
    assert_int_equal(log_count("hv: vpci: hv.cfg line 5: bus3: at most 4 vpci devices"), 1);
    vpci_kind.created(&env, 4);
    fake_kmcl_reset();
    assert_int_equal(vpci_kind.create(&d, &c2), STATUS_SUCCESS);
    vpci_kind.created(&env, 1);
}

/* A derived instance that would give domain 0 is moved off it. */
static void derived_domain_zero(void **state)
{
    (void)state;
    static const GUID cls = VPCI_CLASS_GUID;
    static const uint8_t none[16];
    unsigned i = 0;
    GUID g;
    do {
        snprintf(cfg.name, sizeof(cfg.name), "p%u", i++);
        guid_for_device(&g, none, &cls, cfg.name);
    } while (g.Data2 != 0);
    fake_kmcl_reset();
    const struct device d = {&cfg, NULL, &env};
    VMBCHANNEL c2;
    assert_int_equal(vpci_kind.create(&d, &c2), STATUS_SUCCESS);
    assert_int_equal(fake_channel(c2)->instance.Data2, 1);
    assert_int_equal(fake_channel(c2)->instance.Data1, g.Data1); /* the rest as derived */
    vpci_kind.created(&env, 1);
}

/* What pci-hyperv does, in its order, with version 1.4 (Linux 6.1 and 6.12). */
static void linux_sequence(void **state)
{
    (void)state;
    /* hv_pci_protocol_negotiation: 1.4 first */
    assert_int_equal(version(VPCI_VERSION_1_4), VPCI_STATUS_SUCCESS);
    assert_int_equal(log_count("hv: vpci: pci: protocol version 1.4"), 1);

    /* hv_pci_query_relations: no completion asked, BUS_RELATIONS2 in-band */
    struct vpci_message q = {VPCI_QUERY_BUS_RELATIONS};
    assert_int_equal(guest(&q, sizeof(q), 0), 1);
    const struct fake_sent *s = fake_last_sent(ch);
    assert_false(s->completion);
    assert_int_equal(s->len, sizeof(struct vpci_bus_relations) + sizeof(struct vpci_func_desc2));
    struct vpci_bus_relations h;
    struct vpci_func_desc2 f;
    memcpy(&h, s->data, sizeof(h));
    memcpy(&f, s->data + sizeof(h), sizeof(f));
    assert_int_equal(h.type, VPCI_BUS_RELATIONS2);
    assert_int_equal(h.device_count, 1);
    assert_int_equal(f.d.vendor_id, 0x1b36);
    assert_int_equal(f.d.device_id, 0x0005);
    assert_int_equal(f.d.base_class, 0xff);
    assert_int_equal(f.d.wslot, 0);
    assert_int_equal(f.d.subsystem_id, 0x11001af4u);
    assert_int_not_equal(f.d.serial, 0);

    /* new_pcichild_device: the probed BARs, >= 44 bytes with the descriptor */
    struct vpci_child_message rr = {VPCI_QUERY_RESOURCE_REQUIREMENTS, 0};
    assert_int_equal(request(&rr, sizeof(rr), 2), VPCI_STATUS_SUCCESS);
    s = fake_last_sent(ch);
    assert_true(16 + s->len >= 44);
    struct vpci_resources_reply res;
    memcpy(&res, s->data, sizeof(res));
    assert_int_equal(res.probed_bar[0], 0xfff00004u); /* 1 MiB, 64-bit, non-prefetchable */
    assert_int_equal(res.probed_bar[1], 0xffffffffu);
    for (unsigned i = 2; i < VPCI_BARS; i++)
        assert_int_equal(res.probed_bar[i], 0);

    /* hv_pci_enter_d0: the window at the lowest free MMIO, the low window's start */
    assert_false(trap.on);
    assert_int_equal(d0_entry(LOW_BASE), VPCI_STATUS_SUCCESS);
    assert_true(trap.on);
    assert_int_equal(trap.gpa, LOW_BASE);
    assert_int_equal(trap.len, VPCI_WINDOW_SIZE);
    assert_int_equal(log_count("hv: vpci: pci: D0 entry: config window at 0xf8000000"), 1);

    /* hv_send_resources_allocated (1.2 and later) */
    assert_int_equal(assigned2(0), VPCI_STATUS_SUCCESS);
    assert_int_equal(log_count("hv: vpci: pci: wslot 0: resources assigned"), 1);

    /* prepopulate_bars: clear MEMORY, place the BAR in the gap */
    uint32_t cmd = cfg_read(VPCI_CFG_COMMAND, 2);
    cfg_write(VPCI_CFG_COMMAND, 2, cmd & ~VPCI_CMD_MEMORY);
    uint64_t bar = GAP_BASE + (1u << 20);
    cfg_write(VPCI_CFG_BAR0, 4, (uint32_t)(bar & 0xffffff00));
    cfg_write(VPCI_CFG_BAR0 + 4, 4, (uint32_t)(bar >> 32));
    /* the PCI core's scan: header type, then each BAR sized with all ones and restored */
    assert_int_equal(cfg_read(0x0e, 1), 0);
    uint32_t lo = cfg_read(VPCI_CFG_BAR0, 4);
    assert_int_equal(lo, (uint32_t)bar | VPCI_BAR_MEM_64);
    cfg_write(VPCI_CFG_BAR0, 4, 0xffffffff);
    assert_int_equal(cfg_read(VPCI_CFG_BAR0, 4), 0xfff00004u);
    cfg_write(VPCI_CFG_BAR0, 4, lo);
    uint32_t hi = cfg_read(VPCI_CFG_BAR0 + 4, 4);
    assert_int_equal(hi, 1);
    cfg_write(VPCI_CFG_BAR0 + 4, 4, 0xffffffff);
    assert_int_equal(cfg_read(VPCI_CFG_BAR0 + 4, 4), 0xffffffffu);
    cfg_write(VPCI_CFG_BAR0 + 4, 4, hi);
    assert_int_equal(mmio_read(VPCI_CFG_OFFSET + VPCI_CFG_BAR0, 8), bar | VPCI_BAR_MEM_64);
    assert_int_equal(cfg_read(0x34, 1), 0); /* no capabilities */
    assert_false(bartrap.on);               /* MEMORY off: not decoded */
    cfg_write(VPCI_CFG_COMMAND, 2, VPCI_CMD_MEMORY);
    assert_int_equal(cfg_read(VPCI_CFG_COMMAND, 4), VPCI_CMD_MEMORY);
    assert_true(bartrap.on); /* pci_enable_device: the BAR decodes where it points */
    assert_int_equal(log_count("hv: vpci: pci: wslot 0: BAR0 decoded at 0x100100000"), 1);
    assert_int_equal(bartrap.gpa, bar);
    assert_int_equal(bartrap.len, VPCI_FUNC_BAR_SIZE);
    assert_int_equal(bartrap.ops->read(bartrap.ctx, 0, 4), VPCI_FUNC_SIGNATURE);

    /* hv_compose_msi_msg with 1.4: CREATE_INTERRUPT3, one vector on VP 0 */
    struct vpci_create_interrupt3 ci = {
        .type = VPCI_CREATE_INTERRUPT3,
        .desc = {.vector = 0x41, .vector_count = 1, .processor_count = 1}};
    assert_int_equal(request(&ci, sizeof(ci), 5), VPCI_STATUS_SUCCESS);
    struct vpci_interrupt_reply ir;
    memcpy(&ir, fake_last_sent(ch)->data, sizeof(ir));
    assert_int_equal(fake_last_sent(ch)->len, sizeof(ir));
    assert_int_equal(ir.desc.vector_count, 1);
    assert_int_equal(ir.desc.address, VPCI_MSI_ADDRESS);
    assert_int_equal(ir.desc.data, VPCI_MSI_DATA_BASE);

    /* a second vector has an entry of its own */
    assert_int_equal(request(&ci, sizeof(ci), 6), VPCI_STATUS_SUCCESS);
    struct vpci_interrupt_reply ir2;
    memcpy(&ir2, fake_last_sent(ch)->data, sizeof(ir2));
    assert_int_equal(ir2.desc.data, VPCI_MSI_DATA_BASE + 1);

    /* hv_int_desc_free: DELETE_INTERRUPT, no completion; the entry is free again */
    struct vpci_delete_interrupt del = {VPCI_DELETE_INTERRUPT, 0, ir.desc};
    const uint8_t *g = (const uint8_t *)&fake_channel(ch)->instance;
    uint64_t id =
        (uint32_t)g[5] << 24 | (uint32_t)g[4] << 16 | (uint32_t)g[7] << 8 | (g[6] & 0xf8u);
    assert_int_equal(vpci_kind.retarget(id, VPCI_MSI_ADDRESS, ir.desc.data, 0x52, 1), 0);
    assert_int_equal(guest(&del, sizeof(del), 0), 0);
    /* HvRetargetDeviceInterrupt: a deleted entry is nobody's, a live one is */
    assert_int_equal(vpci_kind.retarget(id, VPCI_MSI_ADDRESS, ir.desc.data, 0x52, 1), -1);
    assert_int_equal(vpci_kind.retarget(id, VPCI_MSI_ADDRESS, ir2.desc.data, 0x52, 1), 0);
    assert_int_equal(vpci_kind.retarget(id + 8, VPCI_MSI_ADDRESS, ir2.desc.data, 0x52, 1), -1);
    assert_int_equal(request(&ci, sizeof(ci), 6), VPCI_STATUS_SUCCESS);
    memcpy(&ir, fake_last_sent(ch)->data, sizeof(ir));
    assert_int_equal(ir.desc.data, VPCI_MSI_DATA_BASE); /* the same entry */

    /* removal: resources released (no completion), then D0 exit */
    struct vpci_child_message rel = {VPCI_RESOURCES_RELEASED, 0};
    assert_int_equal(guest(&rel, sizeof(rel), 0), 0);
    struct vpci_message x = {VPCI_BUS_D0EXIT};
    assert_int_equal(request(&x, sizeof(x), 7), VPCI_STATUS_SUCCESS);
    assert_false(trap.on);
    assert_false(bartrap.on); /* out of D0 nothing decodes */
    assert_int_equal(trap.untraps, 1);
    /* out of D0 the bus's interrupts are gone */
    assert_int_equal(vpci_kind.retarget(id, VPCI_MSI_ADDRESS, ir2.desc.data, 0x52, 1), -1);
    assert_int_equal(bartrap.untraps, 1);
    assert_int_equal(log_count("refused"), 0);
    assert_int_equal(log_count("not decoded"), 0);

    char line[128];
    vpci_kind.summary(line, sizeof(line));
    assert_non_null(strstr(line, " vpci_requests=11 vpci_refused=0"));
}

/* The guest's order decides: what it asks first that the host knows is taken;
 * 1.1 and 1.2 get BUS_RELATIONS (20-byte descriptors), 1.3 RELATIONS2. */
static void version_negotiation(void **state)
{
    (void)state;
    assert_int_equal(version(VPCI_VERSION(1, 5)), VPCI_STATUS_REVISION_MISMATCH);
    assert_int_equal(version(VPCI_VERSION(2, 1)), VPCI_STATUS_REVISION_MISMATCH);
    assert_int_equal(version(VPCI_VERSION(1, 0)), VPCI_STATUS_REVISION_MISMATCH);
    assert_int_equal(version(VPCI_VERSION_1_2), VPCI_STATUS_SUCCESS);
    struct vpci_status_reply r;
    memcpy(&r, fake_last_sent(ch)->data, sizeof(r));
    assert_int_equal(r.reserved, VPCI_VERSION_1_2);
    assert_int_equal(version(VPCI_VERSION_1_4), VPCI_STATUS_INVALID_DEVICE_STATE);
    struct vpci_message q = {VPCI_QUERY_BUS_RELATIONS};
    assert_int_equal(guest(&q, sizeof(q), 0), 1);
    const struct fake_sent *s = fake_last_sent(ch);
    struct vpci_bus_relations h;
    memcpy(&h, s->data, sizeof(h));
    assert_int_equal(h.type, VPCI_BUS_RELATIONS);
    assert_int_equal(s->len, sizeof(h) + sizeof(struct vpci_func_desc));

    /* the channel closes: negotiation starts over, 1.3 gets RELATIONS2 */
    fake_channel(ch)->cb.EvtChannelClosed(ch);
    assert_int_equal(version(VPCI_VERSION_1_3), VPCI_STATUS_SUCCESS);
    assert_int_equal(guest(&q, sizeof(q), 0), 1);
    memcpy(&h, fake_last_sent(ch)->data, sizeof(h));
    assert_int_equal(h.type, VPCI_BUS_RELATIONS2);
}

/* Short, unknown and out-of-order messages: answered with an error where the
 * guest waits for an answer, dropped where it does not; never a crash. */
static void hostile_messages(void **state)
{
    (void)state;
    uint8_t junk[300];
    memset(junk, 0xee, sizeof(junk));
    assert_int_equal(request(junk, 2, 9), VPCI_STATUS_BAD_DATA); /* no type */
    assert_int_equal(guest(junk, 3, 0), 0);
    assert_int_equal(request(junk, sizeof(junk), 9), VPCI_STATUS_NOT_SUPPORTED); /* unknown type */
    assert_int_equal(guest(junk, sizeof(junk), 0), 0);

    /* before version negotiation */
    struct vpci_child_message rr = {VPCI_QUERY_RESOURCE_REQUIREMENTS, 0};
    assert_int_equal(request(&rr, sizeof(rr), 2), VPCI_STATUS_INVALID_DEVICE_STATE);
    assert_int_equal(d0_entry(LOW_BASE), VPCI_STATUS_INVALID_DEVICE_STATE);
    struct vpci_message q = {VPCI_QUERY_BUS_RELATIONS};
    assert_int_equal(guest(&q, sizeof(q), 0), 0);
    struct vpci_version_request v = {VPCI_QUERY_PROTOCOL_VERSION, VPCI_VERSION_1_4};
    assert_int_equal(request(&v, 4, 1), VPCI_STATUS_BAD_DATA); /* short */
    assert_int_equal(version(VPCI_VERSION_1_4), VPCI_STATUS_SUCCESS);

    /* short layouts of each kind */
    struct vpci_d0_entry d0 = {VPCI_BUS_D0ENTRY, 0, GAP_BASE};
    assert_int_equal(request(&d0, 8, 3), VPCI_STATUS_BAD_DATA);
    struct vpci_create_interrupt2 ci2 = {.type = VPCI_CREATE_INTERRUPT2};
    assert_int_equal(request(&ci2, sizeof(ci2) - 2, 5), VPCI_STATUS_BAD_DATA);
    struct vpci_resources_assigned ra = {.type = VPCI_RESOURCES_ASSIGNED};
    assert_int_equal(request(&ra, 100, 4), VPCI_STATUS_BAD_DATA);

    /* resources before D0, an unknown slot */
    assert_int_equal(assigned2(0), VPCI_STATUS_INVALID_DEVICE_STATE);
    rr.wslot = VPCI_WSLOT(1, 0);
    assert_int_equal(request(&rr, sizeof(rr), 2), VPCI_STATUS_INVALID_PARAMETER);
    rr.wslot = 0x100; /* reserved bits */
    assert_int_equal(request(&rr, sizeof(rr), 2), VPCI_STATUS_INVALID_PARAMETER);

    /* D0 windows: unaligned, below, straddling a range's end, between the
     * ranges, wrapping, not trapped; then the last page pair of the gap */
    assert_int_equal(d0_entry(LOW_BASE + 0x800), VPCI_STATUS_INVALID_PARAMETER);
    assert_int_equal(d0_entry(LOW_BASE - 0x1000), VPCI_STATUS_INVALID_PARAMETER);
    assert_int_equal(d0_entry(LOW_BASE + LOW_SIZE - 0x1000), VPCI_STATUS_INVALID_PARAMETER);
    assert_int_equal(d0_entry(0xfee00000ull), VPCI_STATUS_INVALID_PARAMETER); /* the LAPIC */
    assert_int_equal(d0_entry(GAP_BASE - 0x2000), VPCI_STATUS_INVALID_PARAMETER);
    assert_int_equal(d0_entry(GAP_BASE + GAP_SIZE - 0x1000), VPCI_STATUS_INVALID_PARAMETER);
    assert_int_equal(d0_entry(0xfffffffffffff000ull), VPCI_STATUS_INVALID_PARAMETER);
    assert_int_equal(d0_entry(0), VPCI_STATUS_INVALID_PARAMETER); /* RAM */
    trap.refuse = 1;
    assert_int_equal(d0_entry(GAP_BASE), VPCI_STATUS_INVALID_DEVICE_STATE);
    assert_false(trap.on);
    trap.refuse = 0;
    assert_int_equal(d0_entry(GAP_BASE + GAP_SIZE - VPCI_WINDOW_SIZE), VPCI_STATUS_SUCCESS);
    assert_int_equal(d0_entry(LOW_BASE), VPCI_STATUS_INVALID_DEVICE_STATE); /* twice */
    assert_int_equal(trap.gpa, GAP_BASE + GAP_SIZE - VPCI_WINDOW_SIZE);

    /* interrupts before the function's resources, then bogus ones */
    struct vpci_create_interrupt ci = {
        .type = VPCI_CREATE_INTERRUPT,
        .desc = {.vector = 0x30, .vector_count = 1, .cpu_mask = ~0ull}};
    assert_int_equal(request(&ci, sizeof(ci), 5), VPCI_STATUS_INVALID_DEVICE_STATE);
    assert_int_equal(assigned2(VPCI_WSLOT(0, 1)), VPCI_STATUS_INVALID_PARAMETER);
    struct vpci_resources_assigned2 msi = {.type = VPCI_RESOURCES_ASSIGNED2,
                                           .msi_descriptor_count = 1};
    assert_int_equal(request(&msi, sizeof(msi), 4), VPCI_STATUS_NOT_SUPPORTED);
    assert_int_equal(assigned2(0), VPCI_STATUS_SUCCESS);
    assert_int_equal(request(&ci, sizeof(ci), 5), VPCI_STATUS_SUCCESS); /* 1.1's layout: fine */
    ci.desc.vector = 0x10;                                              /* an exception vector */
    assert_int_equal(request(&ci, sizeof(ci), 5), VPCI_STATUS_INVALID_PARAMETER);
    ci.desc.vector = 0x30;
    ci.desc.cpu_mask = 0x2; /* VP 1 does not exist */
    assert_int_equal(request(&ci, sizeof(ci), 5), VPCI_STATUS_INVALID_PARAMETER);
    ci.desc.cpu_mask = 1;
    ci.desc.delivery_mode = 5;
    assert_int_equal(request(&ci, sizeof(ci), 5), VPCI_STATUS_INVALID_PARAMETER);
    ci.desc.delivery_mode = 0;
    ci.desc.vector_count = 3;
    assert_int_equal(request(&ci, sizeof(ci), 5), VPCI_STATUS_INVALID_PARAMETER);
    ci.desc.vector_count = 0;
    assert_int_equal(request(&ci, sizeof(ci), 5), VPCI_STATUS_INVALID_PARAMETER);
    struct vpci_create_interrupt3 ci3 = {
        .type = VPCI_CREATE_INTERRUPT3,
        .desc = {.vector = 0x130, .vector_count = 1, .processor_count = 1}};
    assert_int_equal(request(&ci3, sizeof(ci3), 5), VPCI_STATUS_INVALID_PARAMETER);
    ci3.desc.vector = 0x30;
    ci3.desc.processor_count = 0;
    assert_int_equal(request(&ci3, sizeof(ci3), 5), VPCI_STATUS_INVALID_PARAMETER);
    ci3.desc.processor_count = 33;
    assert_int_equal(request(&ci3, sizeof(ci3), 5), VPCI_STATUS_INVALID_PARAMETER);
    ci3.desc.processor_count = 2;
    ci3.desc.processor_array[1] = 7;
    assert_int_equal(request(&ci3, sizeof(ci3), 5), VPCI_STATUS_INVALID_PARAMETER);
    ci3.desc.processor_array[1] = 0;
    ci3.desc.vector_count = 32;
    assert_int_equal(request(&ci3, sizeof(ci3), 5), VPCI_STATUS_SUCCESS);

    /* the table fills: 2 entries used, 30 more, then refused */
    ci3.desc.vector_count = 1;
    for (unsigned i = 2; i < VPCI_MAX_INTERRUPTS; i++)
        assert_int_equal(request(&ci3, sizeof(ci3), 5), VPCI_STATUS_SUCCESS);
    assert_int_equal(request(&ci3, sizeof(ci3), 5), VPCI_STATUS_INSUFFICIENT_RESOURCES);

    /* a forged delete, a release of an unknown slot, an unasked ejection: dropped */
    struct vpci_delete_interrupt del = {VPCI_DELETE_INTERRUPT, 0, {0, 1, 0x12, VPCI_MSI_ADDRESS}};
    assert_int_equal(guest(&del, sizeof(del), 0), 0);
    assert_int_equal(guest(&del, sizeof(del), 77), 0); /* numbered or not: never answered */
    del.desc.data = VPCI_MSI_DATA_BASE + 1;
    del.wslot = VPCI_WSLOT(2, 0);
    assert_int_equal(guest(&del, sizeof(del), 0), 0);
    struct vpci_child_message rel = {VPCI_RESOURCES_RELEASED, VPCI_WSLOT(3, 0)};
    assert_int_equal(guest(&rel, sizeof(rel), 0), 0);
    struct vpci_ejection_complete ej = {VPCI_EJECTION_COMPLETE, 0, 0};
    assert_int_equal(guest(&ej, sizeof(ej), 0), 0);
    assert_int_equal(request(&ci3, sizeof(ci3), 5), VPCI_STATUS_INSUFFICIENT_RESOURCES);

    /* other packet types are not vPCI's */
    struct fake_channel *c = fake_channel(ch);
    unsigned before = c->nsent;
    c->process(ch, &q, sizeof(q), VMB_PACKET_TYPE_DATA_GPA_DIRECT, 8);
    assert_int_equal(c->nsent, before);

    /* the log is bounded; the summary counts every refusal */
    assert_int_equal(log_count(" refused: ") + log_count(" dropped: "), 8);
    assert_int_equal(log_count("(further refusals only counted)"), 1);
    char line[128];
    vpci_kind.summary(line, sizeof(line));
    assert_non_null(strstr(line, " vpci_refused=43"));

    /* and the bus still works */
    struct vpci_message x = {VPCI_BUS_D0EXIT};
    assert_int_equal(request(&x, sizeof(x), 7), VPCI_STATUS_SUCCESS);
    assert_int_equal(request(&x, sizeof(x), 7), VPCI_STATUS_SUCCESS); /* idempotent */
    assert_int_equal(trap.untraps, 1);
    assert_int_equal(d0_entry(LOW_BASE + LOW_SIZE - VPCI_WINDOW_SIZE), VPCI_STATUS_SUCCESS);
}

/* Where the BAR decodes: only in D0 with MEMORY set, inside the guest's MMIO
 * ranges and off the config window, following every move; its registers. */
static void bar_decoding(void **state)
{
    (void)state;
    assert_int_equal(version(VPCI_VERSION_1_4), VPCI_STATUS_SUCCESS);
    assert_int_equal(d0_entry(GAP_BASE), VPCI_STATUS_SUCCESS); /* the window in the gap */
    uint64_t bar = GAP_BASE + (4u << 20);
    cfg_write(VPCI_CFG_BAR0, 4, (uint32_t)bar);
    cfg_write(VPCI_CFG_BAR0 + 4, 4, (uint32_t)(bar >> 32));
    cfg_write(VPCI_CFG_COMMAND, 2, VPCI_CMD_MEMORY);
    assert_true(bartrap.on);
    assert_int_equal(bartrap.gpa, bar);

    /* the registers: signature and version read-only, a scratch register */
    const struct mmio_trap_ops *o = bartrap.ops;
    void *c = bartrap.ctx;
    assert_int_equal(o->read(c, 0, 8), 0x0000000148424d56ull);
    assert_int_equal(o->read(c, 1, 1), 0x4d);
    o->write(c, 0, 4, 0);
    o->write(c, 8, 8, 0x1122334455667788ull);
    o->write(c, 14, 2, 0xabcd);
    assert_int_equal(o->read(c, 0, 4), VPCI_FUNC_SIGNATURE);
    assert_int_equal(o->read(c, 8, 8), 0xabcd334455667788ull);
    assert_int_equal(o->read(c, 12, 4), 0xabcd3344u);
    assert_int_equal(o->read(c, 15, 2), 0xab);
    assert_int_equal(o->read(c, 16, 8), 0);
    assert_int_equal(o->read(c, VPCI_FUNC_BAR_SIZE - 8, 8), 0);

    /* moved while decoding: the old place is given up, the new one taken */
    cfg_write(VPCI_CFG_BAR0, 4, (uint32_t)(bar + (1u << 20)));
    assert_true(bartrap.on);
    assert_int_equal(bartrap.gpa, bar + (1u << 20));
    assert_int_equal(bartrap.untraps, 1);
    /* sizing with MEMORY on (not what Linux does): all ones is outside every range */
    cfg_write(VPCI_CFG_BAR0, 4, 0xffffffff);
    cfg_write(VPCI_CFG_BAR0 + 4, 4, 0xffffffff);
    assert_false(bartrap.on);
    assert_int_equal(log_count("hv: vpci: pci: wslot 0: BAR0 at 0xfffffffffff00000 not decoded: "
                               "outside the guest's MMIO ranges"),
                     1);
    /* over the config window; straddling the gap's end; in RAM */
    cfg_write(VPCI_CFG_BAR0, 4, (uint32_t)GAP_BASE);
    cfg_write(VPCI_CFG_BAR0 + 4, 4, (uint32_t)(GAP_BASE >> 32));
    assert_false(bartrap.on);
    assert_int_equal(log_count("BAR0 at 0x100000000 not decoded: over the config window"), 1);
    cfg_write(VPCI_CFG_BAR0 + 4, 4, 0);
    cfg_write(VPCI_CFG_BAR0, 4, 0x00100000);
    assert_false(bartrap.on);
    assert_int_equal(log_count("BAR0 at 0x100000 not decoded: outside"), 1);
    /* back inside: decoded again; a refused trap is said once */
    cfg_write(VPCI_CFG_BAR0 + 4, 4, (uint32_t)(bar >> 32));
    cfg_write(VPCI_CFG_BAR0, 4, (uint32_t)bar);
    assert_true(bartrap.on);
    cfg_write(VPCI_CFG_COMMAND, 2, 0);
    assert_false(bartrap.on);
    bartrap.refuse = 1;
    cfg_write(VPCI_CFG_COMMAND, 2, VPCI_CMD_MEMORY);
    cfg_write(VPCI_CFG_COMMAND, 2, VPCI_CMD_MEMORY);
    assert_false(bartrap.on);
    assert_int_equal(log_count("not decoded: not trapped"), 1);
    bartrap.refuse = 0;
    cfg_write(VPCI_CFG_COMMAND, 2, VPCI_CMD_MEMORY);
    assert_true(bartrap.on);

    /* the channel closes: window and BAR given up */
    fake_channel(ch)->cb.EvtChannelClosed(ch);
    assert_false(trap.on);
    assert_false(bartrap.on);
}

/* A full guest ring: the answer is lost, said once, nothing breaks. */
static void ring_full(void **state)
{
    (void)state;
    fake_channel(ch)->send_status = STATUS_INSUFFICIENT_RESOURCES;
    struct vpci_version_request v = {VPCI_QUERY_PROTOCOL_VERSION, VPCI_VERSION_1_4};
    for (int i = 0; i < 5; i++)
        assert_int_equal(guest(&v, sizeof(v), 1), 0);
    assert_int_equal(log_count("hv: vpci: pci: answer of 8 bytes not sent (guest ring full)"), 1);
}

/* The channel closing in D0 gives the window back. */
static void close_in_d0(void **state)
{
    (void)state;
    assert_int_equal(version(VPCI_VERSION_1_4), VPCI_STATUS_SUCCESS);
    assert_int_equal(d0_entry(LOW_BASE), VPCI_STATUS_SUCCESS);
    fake_channel(ch)->cb.EvtChannelClosed(ch);
    assert_false(trap.on);
    assert_int_equal(trap.untraps, 1);
}

/* What the decoder makes of exactly len bytes (fake_decode_checked: every
 * capacity, no read past len), failing the test when the contract breaks. */
static const char *decoded(const void *pkt, size_t len)
{
    const char *why, *line = fake_decode_checked(vpci_trace_decode, pkt, len, &why);
    if (!line)
        fail_msg("decoder: %s", why);
    return line;
}

static void trace_decoder(void **state)
{
    (void)state;
    assert_ptr_equal(fake_channel(ch)->decode, vpci_trace_decode);
    struct vpci_version_request v = {VPCI_QUERY_PROTOCOL_VERSION, VPCI_VERSION_1_4};
    assert_string_equal(decoded(&v, sizeof(v)), "vpci QUERY_PROTOCOL_VERSION version=1.4");
    struct vpci_d0_entry d0 = {VPCI_BUS_D0ENTRY, 0, LOW_BASE};
    assert_string_equal(decoded(&d0, sizeof(d0)), "vpci BUS_D0ENTRY mmio_base=0xf8000000");
    assert_string_equal(decoded(&d0, 8), "vpci BUS_D0ENTRY malformed: 8 bytes, its layout has 16");
    struct vpci_create_interrupt3 ci = {
        .type = VPCI_CREATE_INTERRUPT3,
        .desc = {.vector = 0x41, .vector_count = 1, .processor_count = 1}};
    assert_string_equal(decoded(&ci, sizeof(ci)),
                        "vpci CREATE_INTERRUPT3 wslot=0x0 vector=0x41 mode=0 count=1 vps=1");
    struct vpci_resources_assigned2 ra = {.type = VPCI_RESOURCES_ASSIGNED2, .wslot = 0x20};
    assert_string_equal(decoded(&ra, sizeof(ra)), "vpci RESOURCES_ASSIGNED2 wslot=0x20 msis=0");
    uint32_t unknown = 0x424900ff, status = VPCI_STATUS_REVISION_MISMATCH;
    assert_string_equal(decoded(&unknown, 4), "vpci type=0x424900ff (4 bytes)");
    assert_string_equal(decoded(&status, 4), "vpci completion status=0xc0000059 (4 bytes)");
    assert_string_equal(decoded("ab", 2), "vpci malformed: 2 bytes, shorter than a type or status");

    /* what the host sends, decoded as the trace shows it */
    assert_int_equal(version(VPCI_VERSION_1_4), VPCI_STATUS_SUCCESS);
    assert_string_equal(decoded(fake_last_sent(ch)->data, fake_last_sent(ch)->len),
                        "vpci completion status=0x0 (8 bytes)");
    struct vpci_message q = {VPCI_QUERY_BUS_RELATIONS};
    guest(&q, sizeof(q), 0);
    assert_string_equal(decoded(fake_last_sent(ch)->data, fake_last_sent(ch)->len),
                        "vpci BUS_RELATIONS2 devices=1 first=1b36:0005 class=ff0000 wslot=0x0");
    struct vpci_child_message rr = {VPCI_QUERY_RESOURCE_REQUIREMENTS, 0};
    request(&rr, sizeof(rr), 2);
    assert_string_equal(decoded(fake_last_sent(ch)->data, fake_last_sent(ch)->len),
                        "vpci completion status=0x0 bars=0xfff00004,0xffffffff,0x0,0x0,0x0,0x0");
}

/* --- the function's config space, on its own --------------------------------------------- */

static void config_space(void **state)
{
    (void)state;
    struct vpci_func f;
    vpci_func_init(&f, 0, 1);
    assert_int_equal(vpci_func_read(&f, 0, 4), 0x00051b36u);
    assert_int_equal(vpci_func_read(&f, 2, 2), 0x0005);
    assert_int_equal(vpci_func_read(&f, 1, 1), 0x1b);
    assert_int_equal(vpci_func_read(&f, 0x08, 4), 0xff000000u);
    assert_int_equal(vpci_func_read(&f, 0x0e, 1), 0); /* header type 0, one function */
    assert_int_equal(vpci_func_read(&f, 0x06, 2), 0); /* status: no capability list */
    assert_int_equal(vpci_func_read(&f, 0x2c, 4), 0x11001af4u);

    /* IDs, class, status and header type are read-only */
    vpci_func_write(&f, 0, 4, 0x12345678);
    vpci_func_write(&f, 0x08, 4, 0x12345678);
    vpci_func_write(&f, 0x06, 2, 0xffff);
    vpci_func_write(&f, 0x0c, 4, 0xffffffff);
    assert_int_equal(vpci_func_read(&f, 0, 4), 0x00051b36u);
    assert_int_equal(vpci_func_read(&f, 0x08, 4), 0xff000000u);
    assert_int_equal(vpci_func_read(&f, 0x04, 4), 0);
    assert_int_equal(vpci_func_read(&f, 0x0c, 4), 0xff); /* only the cache line size */

    /* command: memory, master, parity, SERR, INTx disable; no I/O space */
    vpci_func_write(&f, 0x04, 2, 0xffff);
    assert_int_equal(vpci_func_read(&f, 0x04, 2), 0x0546);
    vpci_func_write(&f, 0x05, 1, 0);
    assert_int_equal(vpci_func_read(&f, 0x04, 2), 0x0046);

    /* BAR0/1: sized by all ones in any access width; type bits read-only */
    vpci_func_write(&f, 0x10, 4, 0xffffffff);
    vpci_func_write(&f, 0x14, 4, 0xffffffff);
    assert_int_equal(vpci_func_read(&f, 0x10, 4), 0xfff00004u);
    assert_int_equal(vpci_func_read(&f, 0x14, 4), 0xffffffffu);
    vpci_func_write(&f, 0x10, 4, 0);
    assert_int_equal(vpci_func_read(&f, 0x10, 4), 4);
    for (unsigned i = 0; i < 4; i++)
        vpci_func_write(&f, 0x10 + i, 1, 0xff);
    assert_int_equal(vpci_func_read(&f, 0x10, 4), 0xfff00004u);
    vpci_func_write(&f, 0x10, 4, 0x12345678); /* below 1 MiB the address bits read 0 */
    assert_int_equal(vpci_func_read(&f, 0x10, 4), 0x12300004u);
    vpci_func_write(&f, 0x12, 2, 0xabcd);
    assert_int_equal(vpci_func_read(&f, 0x10, 4), 0xabc00004u);
    vpci_func_write(&f, 0x14, 4, 2);
    assert_int_equal(f.bar, 0x2abc00000ull);

    /* BARs 2-5, ROM, capabilities, the rest: 0; past 4 KiB: all ones */
    for (unsigned off = 0x18; off < 0x2c; off += 4)
        assert_int_equal(vpci_func_read(&f, off, 4), 0);
    vpci_func_write(&f, 0x18, 4, 0xffffffff);
    assert_int_equal(vpci_func_read(&f, 0x18, 4), 0);
    assert_int_equal(vpci_func_read(&f, 0x30, 4), 0);
    assert_int_equal(vpci_func_read(&f, 0x34, 1), 0);
    assert_int_equal(vpci_func_read(&f, 0x40, 4), 0);
    assert_int_equal(vpci_func_read(&f, 0xffc, 4), 0);
    assert_int_equal(vpci_func_read(&f, 0xffe, 4), 0xffffffffu);
    assert_int_equal(vpci_func_read(&f, 0x1000, 1), 0xffffffffu);
    vpci_func_write(&f, 0x3c, 1, 0x0b); /* interrupt line is RW, pin stays 0 */
    vpci_func_write(&f, 0x3d, 1, 0x01);
    assert_int_equal(vpci_func_read(&f, 0x3c, 2), 0x000b);

    uint32_t bars[VPCI_BARS];
    vpci_func_probed_bars(&f, bars);
    assert_int_equal(bars[0], 0xfff00004u);
    assert_int_equal(bars[1], 0xffffffffu);
    assert_int_equal(bars[5], 0);
}

static void config_window(void **state)
{
    (void)state;
    struct vpci_func f;
    vpci_func_init(&f, 0, 1);
    struct vpci_window w = {.funcs = &f, .n = 1};
    vpci_window_write(&w, 0, 4, 0);
    assert_int_equal(vpci_window_read(&w, 0x1000, 2), 0x1b36);
    assert_int_equal(vpci_window_read(&w, 0x1000, 8), 0x00051b36u); /* command 0 above */
    vpci_window_write(&w, 0x1004, 8, 0x0000000000000002ull);
    assert_int_equal(vpci_window_read(&w, 0x1004, 2), VPCI_CMD_MEMORY);

    /* a slot with no function: all ones in every size; writes dropped */
    static const uint32_t empty[] = {VPCI_WSLOT(1, 0), VPCI_WSLOT(0, 1), 0x100, 0xffffffff};
    for (unsigned i = 0; i < 4; i++) {
        vpci_window_write(&w, 0, 4, empty[i]);
        assert_int_equal(vpci_window_read(&w, 0, 4), empty[i]); /* the select reads back */
        assert_int_equal(vpci_window_read(&w, 0x1000, 1), 0xff);
        assert_int_equal(vpci_window_read(&w, 0x1000, 2), 0xffff);
        assert_int_equal(vpci_window_read(&w, 0x1000, 4), 0xffffffffu);
        assert_int_equal(vpci_window_read(&w, 0x1010, 8), ~0ull);
        vpci_window_write(&w, 0x1004, 2, 0);
    }
    vpci_window_write(&w, 0, 1, 0); /* byte writes select too */
    vpci_window_write(&w, 1, 2, 0);
    vpci_window_write(&w, 3, 1, 0);
    assert_int_equal(vpci_window_read(&w, 0x1004, 2), VPCI_CMD_MEMORY); /* kept */
    assert_int_equal(vpci_window_read(&w, 0x4, 4), 0);                  /* page 0 past the select */

    /* outside the window or an odd size: all ones, nothing written */
    assert_int_equal(vpci_window_read(&w, 0x1ffe, 4), 0xffffffffu);
    assert_int_equal(vpci_window_read(&w, 0x2000, 1), 0xff);
    assert_int_equal(vpci_window_read(&w, 0x1000, 3), 0xffffffu);
    vpci_window_write(&w, 0x1ffe, 4, 0);
    vpci_window_write(&w, 0x1004, 3, 0);
    assert_int_equal(vpci_window_read(&w, 0x1004, 2), VPCI_CMD_MEMORY);
    assert_int_equal(vpci_window_read(&w, 0x1ffc, 4), 0);

    f.present = false; /* ejected */
    assert_int_equal(vpci_window_read(&w, 0x1000, 2), 0xffff);
}

/* --- ejection, on the protocol alone ---------------------------------------------------- */

static struct {
    uint8_t data[1024];
    uint32_t len;
    bool completion;
    unsigned n;
} sent;

static int host_send(void *ctx, const void *buf, uint32_t len, uint64_t id, bool completion)
{
    (void)ctx;
    (void)id;
    memcpy(sent.data, buf, len);
    sent.len = len;
    sent.completion = completion;
    sent.n++;
    return 0;
}

static int host_map(void *ctx, uint64_t gpa)
{
    (void)ctx;
    (void)gpa;
    return 0;
}

static void host_unmap(void *ctx, uint64_t gpa)
{
    (void)ctx;
    (void)gpa;
}

static unsigned bars_mapped;

static int host_bar_map(void *ctx, unsigned i, uint64_t gpa, uint64_t size)
{
    (void)ctx;
    (void)i;
    (void)gpa;
    (void)size;
    bars_mapped++;
    return 0;
}

static void host_bar_unmap(void *ctx, unsigned i, uint64_t gpa, uint64_t size)
{
    (void)ctx;
    (void)i;
    (void)gpa;
    (void)size;
    bars_mapped--;
}

static void eject(void **state)
{
    (void)state;
    static struct vpci_func f;
    static struct vpci_proto p;
    vpci_func_init(&f, VPCI_WSLOT(2, 0), 7);
    const struct vpci_host host = {NULL,         host_send,      host_map, host_unmap,
                                   host_bar_map, host_bar_unmap, NULL};
    vpci_proto_init(&p, "bus", &host, &f, 1, env.mmio, 2, 1);
    log_reset();
    assert_int_equal(vpci_proto_eject(&p, 0), -1); /* not negotiated */
    struct vpci_version_request v = {VPCI_QUERY_PROTOCOL_VERSION, VPCI_VERSION_1_1};
    vpci_proto_packet(&p, &v, sizeof(v), 1);
    struct vpci_message q = {VPCI_QUERY_BUS_RELATIONS};
    vpci_proto_packet(&p, &q, sizeof(q), 0);
    struct vpci_func_desc d;
    memcpy(&d, sent.data + 8, sizeof(d));
    assert_int_equal(d.wslot, VPCI_WSLOT(2, 0));
    assert_int_equal(d.serial, 7);

    assert_int_equal(vpci_proto_eject(&p, 1), -1); /* no such function */
    unsigned n = sent.n;
    assert_int_equal(vpci_proto_eject(&p, 0), 0);
    assert_int_equal(sent.n, n + 1);
    assert_false(sent.completion);
    struct vpci_child_message e;
    memcpy(&e, sent.data, sizeof(e));
    assert_int_equal(e.type, VPCI_EJECT);
    assert_int_equal(e.wslot, VPCI_WSLOT(2, 0));

    struct vpci_ejection_complete c = {VPCI_EJECTION_COMPLETE, VPCI_WSLOT(2, 0), 0};
    struct vpci_d0_entry d0 = {VPCI_BUS_D0ENTRY, 0, LOW_BASE};
    vpci_proto_packet(&p, &d0, sizeof(d0), 3);
    f.bar = GAP_BASE;
    f.command = VPCI_CMD_MEMORY;
    vpci_proto_config_written(&p);
    assert_int_equal(bars_mapped, 1);
    n = sent.n;
    vpci_proto_packet(&p, &c, sizeof(c), 0);
    assert_int_equal(sent.n, n);      /* no answer */
    assert_int_equal(bars_mapped, 0); /* its BAR went with it */
    assert_false(f.present);
    assert_int_equal(log_count("hv: vpci: bus: wslot 2: ejected"), 1);
    vpci_proto_packet(&p, &q, sizeof(q), 0);
    struct vpci_bus_relations h;
    memcpy(&h, sent.data, sizeof(h));
    assert_int_equal(h.device_count, 0);
    assert_int_equal(sent.len, 8);
    assert_int_equal(vpci_window_read(&p.window, 0x1000, 4), 0xffffffffu);
    struct vpci_child_message rr = {VPCI_QUERY_RESOURCE_REQUIREMENTS, VPCI_WSLOT(2, 0)};
    vpci_proto_packet(&p, &rr, sizeof(rr), 2);
    uint32_t status;
    memcpy(&status, sent.data, sizeof(status));
    assert_int_equal(status, VPCI_STATUS_INVALID_PARAMETER);
    vpci_proto_packet(&p, &c, sizeof(c), 0); /* again: refused, counted */
    assert_int_equal(p.refused, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(offer, setup),
        cmocka_unit_test_setup(instance_domain, setup),
        cmocka_unit_test_setup(derived_domain_zero, setup),
        cmocka_unit_test_setup(bus_count, setup),
        cmocka_unit_test_setup(linux_sequence, setup),
        cmocka_unit_test_setup(version_negotiation, setup),
        cmocka_unit_test_setup(hostile_messages, setup),
        cmocka_unit_test_setup(bar_decoding, setup),
        cmocka_unit_test_setup(ring_full, setup),
        cmocka_unit_test_setup(close_in_d0, setup),
        cmocka_unit_test_setup(trace_decoder, setup),
        cmocka_unit_test(config_space),
        cmocka_unit_test(config_window),
        cmocka_unit_test(eject),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
