/* Assignment of a machine function to a vpci bus over a fake PCI bus and a
 * fake IOMMU: which functions assign= may take (devices/vpci_assign.c), the
 * refusal without an IOMMU naming the line (devices/vpci.c), and the
 * assigned function's config space and MSI-X table as the guest sees them
 * (devices/vpci_passthrough.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "boot_info.h"
#include "devices/device.h"
#include "devices/vpci_assign.h"
#include "devices/vpci_passthrough.h"
#include "devices/vpci_proto.h"
#include "devices/vpci_wire.h"
#include "drivers/virtio_pci.h"
#include "guest_mem.h"
#include "lib/timer.h"
#include "vm/mmio_trap.h"

#include "fake_iommu.h"
#include "fake_kmcl.h"
#include "fixture.h"

extern const struct device_kind vpci_kind;

#define HOST_MSI 0xfee01000ull /* the host's MSI address and first vector */
#define HOST_VEC 0xf0

/* --- the fake bus: functions on bus 0, a 4 KiB config space each --- */

#define FNS 8
struct fake_fn {
    bool present;
    uint32_t cfg[1024];
    uint64_t bar_size[6]; /* 0: unimplemented */
};
static struct fake_fn fns[FNS]; /* device i at 00:0i.0 */
static unsigned writes_ro;

static struct fake_fn *fn_of(uint16_t bdf)
{
    if (PCI_BUS(bdf) || PCI_FN(bdf) || PCI_DEV(bdf) >= FNS || !fns[PCI_DEV(bdf)].present)
        return NULL;
    return &fns[PCI_DEV(bdf)];
}

static uint32_t cfg_read(void *ctx, uint16_t bdf, uint16_t off)
{
    (void)ctx;
    const struct fake_fn *f = fn_of(bdf);
    assert_int_equal(off & 3, 0);
    return f ? f->cfg[off / 4] : ~0u;
}

static void cfg_write(void *ctx, uint16_t bdf, uint16_t off, uint32_t v)
{
    (void)ctx;
    struct fake_fn *f = fn_of(bdf);
    assert_non_null(f);
    if (off >= PCI_BAR0 && off < PCI_BAR0 + 24) {
        unsigned i = (off - PCI_BAR0) / 4u;
        uint64_t sz = f->bar_size[i];
        uint32_t type = f->cfg[off / 4] & 0xf;
        if (sz)
            f->cfg[off / 4] = (v & ~(uint32_t)(sz - 1) & ~0xfu) | type;
        else if (i && f->bar_size[i - 1] && (f->cfg[off / 4 - 1] & 4))
            f->cfg[off / 4] = v & (uint32_t)(~(f->bar_size[i - 1] - 1) >> 32);
        return;
    }
    if (off == 0 || off == 8) {
        writes_ro++;
        return;
    }
    if (off == PCI_COMMAND) { /* the status half: read-only here (no error bits to clear) */
        f->cfg[1] = (f->cfg[1] & 0xffff0000u) | (v & 0xffff);
        return;
    }
    f->cfg[off / 4] = v;
}

static const struct pci_cfg_ops pci = {NULL, cfg_read, cfg_write, 0, 0};

static void fn_add(unsigned dev, uint16_t vendor, uint16_t device, uint32_t class_rev,
                   uint8_t header)
{
    struct fake_fn *f = &fns[dev];
    memset(f, 0, sizeof(*f));
    f->present = true;
    f->cfg[0] = vendor | (uint32_t)device << 16;
    f->cfg[1] = PCI_CMD_MEM | PCI_CMD_MASTER; /* the firmware left it on */
    f->cfg[2] = class_rev;
    f->cfg[3] = (uint32_t)header << 16;
}

/* The function to assign, as QEMU's virtio-rng-pci: BAR1 32-bit 4 KiB with
 * the MSI-X table (2 entries at 0, PBA at 0x800), BAR4 64-bit prefetchable
 * 16 KiB; capabilities MSI 0x40 (64-bit, masking: 24 bytes), vendor 0x58, MSI-X 0x68. */
#define RNG      4
#define BAR1_HPA 0xfe000000u
#define BAR4_HPA 0x800000000ull
#define CAP_MSI  0x40
#define CAP_VNDR 0x58
#define CAP_MSIX 0x68
static uint32_t bar1_mem[1024]; /* the real BAR1 */
static unsigned io_writes;

static void rng_add(unsigned dev)
{
    fn_add(dev, 0x1af4, 0x1005, 0x00ff0001, 0);
    struct fake_fn *f = &fns[dev];
    f->cfg[1] |= (uint32_t)PCI_STATUS_CAP << 16;
    f->cfg[0x10 / 4] = 0xc001; /* BAR0: I/O, not offered */
    f->bar_size[1] = 0x1000;
    f->cfg[0x14 / 4] = BAR1_HPA;
    f->bar_size[4] = 0x4000;
    f->cfg[0x20 / 4] = (uint32_t)BAR4_HPA | 0xc; /* 64-bit, prefetchable */
    f->cfg[0x24 / 4] = (uint32_t)(BAR4_HPA >> 32);
    f->cfg[0x2c / 4] = 0x11001af4;
    f->cfg[0x30 / 4] = 0xfeb80000; /* a ROM the guest must not see */
    f->cfg[0x34 / 4] = CAP_MSI;
    f->cfg[CAP_MSI / 4] = PCI_CAP_MSI | CAP_VNDR << 8 | (0x0180u << 16);
    f->cfg[CAP_VNDR / 4] = PCI_CAP_VENDOR | CAP_MSIX << 8 | 0x10u << 16;
    f->cfg[CAP_VNDR / 4 + 1] = 0x12345678;
    f->cfg[CAP_MSIX / 4] = PCI_CAP_MSIX | 0u << 8 | 1u << 16; /* 2 entries */
    f->cfg[CAP_MSIX / 4 + 1] = 0x000 | 1;                     /* table: BAR1 + 0 */
    f->cfg[CAP_MSIX / 4 + 2] = 0x800 | 1;                     /* PBA: BAR1 + 0x800 */
    f->cfg[0x100 / 4] = 0x00010001;                           /* an extended capability: hidden */
}

/* The real BAR1, any width (the widths the guest used reach it). */
static uint8_t *io_at(uint64_t hpa, unsigned size)
{
    assert_true(hpa >= BAR1_HPA && hpa + size <= BAR1_HPA + sizeof(bar1_mem));
    return (uint8_t *)bar1_mem + (hpa - BAR1_HPA);
}

static unsigned io_last_size;
#define IO_RW(bits)                                                                                \
    static uint##bits##_t io_read##bits(void *ctx, uint64_t hpa)                                   \
    {                                                                                              \
        (void)ctx;                                                                                 \
        uint##bits##_t v;                                                                          \
        memcpy(&v, io_at(hpa, bits / 8), sizeof(v));                                               \
        io_last_size = bits / 8;                                                                   \
        return v;                                                                                  \
    }                                                                                              \
    static void io_write##bits(void *ctx, uint64_t hpa, uint##bits##_t v)                          \
    {                                                                                              \
        (void)ctx;                                                                                 \
        memcpy(io_at(hpa, bits / 8), &v, sizeof(v));                                               \
        io_last_size = bits / 8;                                                                   \
        io_writes++;                                                                               \
    }
IO_RW(8)
IO_RW(16)
IO_RW(32)

static const struct vpci_pt_io io = {NULL,      io_read8,   io_read16, io_read32,
                                     io_write8, io_write16, io_write32};
static const struct iommu_range ram = {0, 0x40000000, 512ull << 20};

static int setup(void **state)
{
    (void)state;
    log_reset();
    fake_iommu_reset(true);
    vpci_assign_release_all();
    memset(fns, 0, sizeof(fns));
    memset(bar1_mem, 0, sizeof(bar1_mem));
    io_writes = writes_ro = 0;
    fn_add(0, 0x8086, 0x29c0, 0x06000000, 0); /* the host bridge */
    fn_add(1, 0x1b36, 0x000c, 0x06040000, 1); /* a PCIe root port */
    fn_add(2, 0x1af4, 0x1001, 0x01000000, 0); /* virtio-blk */
    fn_add(3, 0x1af4, 0x1000, 0x02000000, 0); /* virtio-net */
    rng_add(RNG);
    rng_add(5);
    fn_add(6, 0x1af4, 0x1042, 0x01800000, 0); /* virtio-blk: the boot volume */
    return 0;
}

static int claim(const char *word, uint32_t boot_disk, uint16_t *bdf, char *why)
{
    struct vpci_assign_sel sel;
    assert_int_equal(vpci_assign_parse(word, strlen(word), &sel), 0);
    return vpci_assign_claim(&pci, boot_disk, &sel, "pci", &ram, 1, bdf, why, 128);
}

static void test_parse(void **state)
{
    (void)state;
    struct vpci_assign_sel s;
    assert_int_equal(vpci_assign_parse("00:04.0", 7, &s), 0);
    assert_false(s.by_id);
    assert_int_equal(s.bdf, PCI_BDF(0, 4, 0));
    assert_int_equal(vpci_assign_parse("ff:1f.7", 7, &s), 0);
    assert_int_equal(s.bdf, PCI_BDF(0xff, 0x1f, 7));
    assert_int_equal(vpci_assign_parse("1af4:1005", 9, &s), 0);
    assert_true(s.by_id);
    assert_int_equal(s.vendor, 0x1af4);
    assert_int_equal(s.device, 0x1005);
    static const char *const bad[] = {
        "",         "00",         "00:04", "00:20.0", "00:04.8", "100:04.0", "00:04.0x",
        "1af4:105", "1af4:10050", "1af4:", ":1005",   "g0:04.0", "00:04.",   "00:04.00"};
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(vpci_assign_parse(bad[i], strlen(bad[i]), &s), -1);
}

static void test_claim(void **state)
{
    (void)state;
    uint16_t bdf = 0;
    char why[128];
    assert_int_equal(claim("00:04.0", 0, &bdf, why), 0);
    assert_int_equal(bdf, PCI_BDF(0, RNG, 0));
    /* DMA: a domain of exactly guest RAM; bus mastering off, INTx off. */
    assert_true(fake_iommu.assigned);
    assert_int_equal(fake_iommu.bdf, bdf);
    assert_int_equal(fake_iommu.n, 1);
    assert_memory_equal(&fake_iommu.ranges[0], &ram, sizeof(ram));
    assert_int_equal(fns[RNG].cfg[1] & PCI_CMD_MASTER, 0);
    assert_int_equal(fns[RNG].cfg[1] & PCI_CMD_INTX_OFF, PCI_CMD_INTX_OFF);
    /* Twice: taken; by ID: the next one. */
    assert_int_equal(claim("00:04.0", 0, &bdf, why), -1);
    assert_non_null(strstr(why, "00:04.0 is assigned to pci already"));
    assert_int_equal(claim("1af4:1005", 0, &bdf, why), 0);
    assert_int_equal(bdf, PCI_BDF(0, 5, 0));
    assert_int_equal(claim("1af4:1005", 0, &bdf, why), -1);
    assert_string_equal(why, "no such function on the machine's PCI bus (or all are taken)");
    /* A new configuration gives them back. */
    vpci_assign_release_all();
    assert_false(fake_iommu.assigned);
    assert_int_equal(claim("00:04.0", 0, &bdf, why), 0);
}

static void test_refusals(void **state)
{
    (void)state;
    uint16_t bdf = 0xeeee;
    char why[128];
    assert_int_equal(claim("00:07.0", 0, &bdf, why), -1);
    assert_string_equal(why, "no such function on the machine's PCI bus");
    assert_int_equal(claim("8086:1234", 0, &bdf, why), -1);
    assert_int_equal(claim("00:00.0", 0, &bdf, why), -1);
    assert_string_equal(why, "00:00.0 is the hypervisor's: it is the host bridge");
    assert_int_equal(claim("00:01.0", 0, &bdf, why), -1);
    assert_string_equal(why, "00:01.0 is the hypervisor's: it is a bridge");
    assert_int_equal(claim("00:02.0", 0, &bdf, why), -1);
    assert_non_null(strstr(why, "virtio-blk function, which the hypervisor keeps for disk"));
    assert_int_equal(claim("1af4:1000", 0, &bdf, why), -1);
    assert_non_null(strstr(why, "virtio-net function, which the hypervisor keeps for nic"));
    assert_int_equal(claim("00:04.0", HV_BOOT_DISK(0, PCI_BDF(0, RNG, 0)), &bdf, why), -1);
    assert_string_equal(why, "00:04.0 is the hypervisor's: it is the boot volume");
    /* The IOMMU refusing: nothing claimed, the function still free. */
    fake_iommu.refuse = true;
    assert_int_equal(claim("00:04.0", 0, &bdf, why), -1);
    assert_non_null(strstr(why, "the IOMMU refused its DMA domain"));
    fake_iommu.refuse = false;
    assert_int_equal(bdf, 0xeeee);
    assert_int_equal(claim("00:04.0", 0, &bdf, why), 0);
    assert_false(fns[0].cfg[1] & PCI_CMD_INTX_OFF); /* refused functions untouched */
}

/* The kind: without an IOMMU the line is refused, naming it. */
static void test_kind_no_iommu(void **state)
{
    (void)state;
    fake_kmcl_reset();
    fake_iommu_reset(false);
    uint8_t mem[64];
    struct guest_mem gm = {mem, sizeof(mem)};
    struct device_env env = {.gm = &gm, .pci = &pci};
    struct hv_device_config cfg = {.line = 7, .kind = "vpci", .name = "pci"};
    uint8_t params[DEVICE_PARAMS_SIZE] = {0};
    struct device_error e;
    assert_true(vpci_kind.params_size <= sizeof(params));
    assert_int_equal(vpci_kind.param(params, "assign=zz", 6, "zz", 2, &e), -1);
    assert_non_null(strstr(e.msg, "vpci takes assign=<bus:dev.fn> or assign=<vendor:device>"));
    assert_int_equal(vpci_kind.param(params, "assign=00:04.0", 6, "00:04.0", 7, &e), 0);
    const struct device d = {&cfg, params, &env};
    VMBCHANNEL ch;
    assert_false(NT_SUCCESS(vpci_kind.create(&d, &ch)));
    assert_int_equal(log_count("hv: vpci: hv.cfg line 7: device: vpci: assign= needs an IOMMU, "
                               "and the machine has none (a device that can DMA anywhere "
                               "breaks isolation)"),
                     1);
    assert_int_equal(fns[RNG].cfg[1] & PCI_CMD_INTX_OFF, 0); /* not claimed */
    /* With one, a function the hypervisor uses is refused naming the line too. */
    fake_iommu_reset(true);
    vpci_kind.created(&env, 1);
    assert_int_equal(vpci_kind.param(params, "assign=00:02.0", 6, "00:02.0", 7, &e), 0);
    assert_false(NT_SUCCESS(vpci_kind.create(&d, &ch)));
    assert_int_equal(log_count("hv: vpci: hv.cfg line 7: device: vpci: assign=00:02.0: 00:02.0 is "
                               "the hypervisor's: it is a virtio-blk function"),
                     1);
    vpci_kind.created(&env, 1);
}

/* --- the kind with an assigned function, as pci-hyperv drives it --- */

#define LOW_BASE 0xf8000000ull
#define GAP_BASE 0x100000000ull
#define TRAPS    4
static struct {
    bool on;
    uint64_t gpa, len;
    const struct mmio_trap_ops *ops;
    void *ctx;
} traps[TRAPS];
static uint32_t irqs_fired;
static uint8_t raised[8];
static unsigned nraised, maps;

static int k_trap(uint64_t gpa, uint64_t len, const struct mmio_trap_ops *ops, void *ctx)
{
    for (unsigned i = 0; i < TRAPS; i++)
        if (!traps[i].on) {
            traps[i].on = true;
            traps[i].gpa = gpa;
            traps[i].len = len;
            traps[i].ops = ops;
            traps[i].ctx = ctx;
            return 0;
        }
    return -1;
}

static void k_untrap(uint64_t gpa, uint64_t len)
{
    for (unsigned i = 0; i < TRAPS; i++)
        if (traps[i].on && traps[i].gpa == gpa && traps[i].len == len) {
            traps[i].on = false;
            return;
        }
    fail_msg("untrap of a range never trapped");
}

static int trap_at(uint64_t gpa)
{
    for (int i = 0; i < TRAPS; i++)
        if (traps[i].on && traps[i].gpa == gpa)
            return i;
    return -1;
}

/* The fake nested page tables: what is mapped where. */
static struct {
    bool on;
    uint64_t gpa, hpa, len;
} npt[TRAPS];

static bool map_refuse;

static int k_map(uint64_t gpa, uint64_t hpa, uint64_t len)
{
    if (map_refuse)
        return -1;
    for (unsigned i = 0; i < TRAPS; i++)
        if (!npt[i].on) {
            npt[i].on = true;
            npt[i].gpa = gpa;
            npt[i].hpa = hpa;
            npt[i].len = len;
            return 0;
        }
    return -1;
}

static void k_unmap(uint64_t gpa, uint64_t len)
{
    for (unsigned i = 0; i < TRAPS; i++)
        if (npt[i].on && npt[i].gpa == gpa && npt[i].len == len) {
            npt[i].on = false;
            return;
        }
    fail_msg("unmap of a range never mapped");
}

static int map_at(uint64_t gpa)
{
    for (int i = 0; i < TRAPS; i++)
        if (npt[i].on && npt[i].gpa == gpa)
            return i;
    return -1;
}

static uint32_t k_irqs(void)
{
    uint32_t v = irqs_fired;
    irqs_fired = 0;
    return v;
}

static void k_raise(uint32_t vp, uint8_t vector)
{
    assert_int_equal(vp, 0); /* the one VP the test's CREATE_INTERRUPTs name */
    assert_true(nraised < sizeof(raised));
    raised[nraised++] = vector;
}

static uint64_t k_hvmap(void *ctx, uint64_t pa, uint64_t len)
{
    (void)ctx;
    (void)len;
    maps++;
    return pa;
}

static const struct virtio_mmio_ops k_io = {.read8 = io_read8,
                                            .read16 = io_read16,
                                            .read32 = io_read32,
                                            .write8 = io_write8,
                                            .write16 = io_write16,
                                            .write32 = io_write32,
                                            .map = k_hvmap};

static VMBCHANNEL kch;

static uint32_t k_request(const void *m, uint32_t len, uint64_t id)
{
    struct fake_channel *c = fake_channel(kch);
    unsigned before = c->nsent;
    c->process(kch, m, len, VMB_PACKET_TYPE_DATA_INBAND, id);
    assert_int_equal(c->nsent, before + 1);
    uint32_t status;
    memcpy(&status, fake_last_sent(kch)->data, sizeof(status));
    return status;
}

/* pci-hyperv's config accesses: slot 0 selected, then page 1. */
static void k_cfg_write(unsigned where, unsigned size, uint32_t v)
{
    int w = trap_at(LOW_BASE);
    assert_true(w >= 0);
    traps[w].ops->write(traps[w].ctx, 0, 4, 0);
    traps[w].ops->write(traps[w].ctx, VPCI_CFG_OFFSET + where, size, v);
}

static uint32_t k_cfg_read(unsigned where, unsigned size)
{
    int w = trap_at(LOW_BASE);
    assert_true(w >= 0);
    traps[w].ops->write(traps[w].ctx, 0, 4, 0);
    return (uint32_t)traps[w].ops->read(traps[w].ctx, VPCI_CFG_OFFSET + where, size);
}

/* npt: the machine maps BAR pages (device_env.mmio_map), or only traps. */
static void kind_assigned(bool with_npt)
{
    fake_kmcl_reset();
    memset(traps, 0, sizeof(traps));
    memset(npt, 0, sizeof(npt));
    map_refuse = false;
    nraised = maps = 0;
    irqs_fired = 0;
    uint8_t mem[64];
    struct guest_mem gm = {mem, sizeof(mem)};
    struct device_env env = {.gm = &gm,
                             .pci = &pci,
                             .pci_io = &k_io,
                             .mmio_trap = k_trap,
                             .mmio_untrap = k_untrap,
                             .assign_msi_address = HOST_MSI,
                             .assign_vector = HOST_VEC,
                             .assign_vectors = 2,
                             .assigned_irqs = k_irqs,
                             .raise = k_raise,
                             .mmio_map = with_npt ? k_map : NULL,
                             .mmio_unmap = with_npt ? k_unmap : NULL};
    struct hv_device_config cfg = {.line = 3, .kind = "vpci", .name = "pci"};
    uint8_t params[DEVICE_PARAMS_SIZE] = {0};
    struct device_error e;
    assert_int_equal(vpci_kind.param(params, "assign=1af4:1005", 6, "1af4:1005", 9, &e), 0);
    const struct device d = {&cfg, params, &env};
    assert_true(NT_SUCCESS(vpci_kind.create(&d, &kch)));
    vpci_kind.created(&env, 1);
    env.mmio[0] = (struct device_mmio_range){LOW_BASE, 0x06c00000ull};
    env.mmio[1] = (struct device_mmio_range){GAP_BASE, 64ull << 20};
    assert_int_equal(log_count("hv: vpci: pci: assigned 00:04.0 [1af4:1005]: its DMA reaches "
                               "guest RAM only"),
                     1);
    assert_int_equal(log_count("function 1af4:1005, the machine's 00:04.0"), 1);
    assert_true(fake_iommu.assigned);
    assert_int_equal(fake_iommu.ranges[0].gpa, 0);
    assert_int_equal(fake_iommu.ranges[0].hpa, (uint64_t)(uintptr_t)mem);
    assert_int_equal(fake_iommu.ranges[0].len, sizeof(mem));
    assert_int_equal(maps, 2); /* BAR1 and BAR4 reachable by the hypervisor */
    assert_int_equal(fake_channel(kch)->mmio_mb, 2);
    fake_channel(kch)->open = true;

    /* Negotiation, the real BARs' sizes, D0 with the window, resources. */
    struct vpci_version_request ver = {VPCI_QUERY_PROTOCOL_VERSION, VPCI_VERSION_1_4};
    assert_int_equal(k_request(&ver, sizeof(ver), 1), VPCI_STATUS_SUCCESS);
    struct vpci_child_message q = {VPCI_QUERY_RESOURCE_REQUIREMENTS, 0};
    assert_int_equal(k_request(&q, sizeof(q), 2), VPCI_STATUS_SUCCESS);
    struct vpci_resources_reply rr;
    memcpy(&rr, fake_last_sent(kch)->data, sizeof(rr));
    assert_int_equal(rr.probed_bar[1], 0xfffff000);
    assert_int_equal(rr.probed_bar[4], 0xffffc00c);
    assert_int_equal(rr.probed_bar[5], 0xffffffff);
    struct vpci_d0_entry d0 = {VPCI_BUS_D0ENTRY, 0, LOW_BASE};
    assert_int_equal(k_request(&d0, sizeof(d0), 3), VPCI_STATUS_SUCCESS);
    struct vpci_resources_assigned2 ra = {.type = VPCI_RESOURCES_ASSIGNED2};
    assert_int_equal(k_request(&ra, sizeof(ra), 4), VPCI_STATUS_SUCCESS);
    assert_int_equal(k_cfg_read(0, 4), 0x10051af4);

    /* The guest places BAR1 (low window) and BAR4 (the gap) and enables memory. */
    k_cfg_write(0x14, 4, 0xf8100000);
    k_cfg_write(0x20, 4, 0x00004000);
    k_cfg_write(0x24, 4, 1);
    assert_int_equal(trap_at(0xf8100000), -1); /* not before MEMORY */
    k_cfg_write(PCI_COMMAND, 2, PCI_CMD_MEM | PCI_CMD_MASTER);
    /* BAR1 is all MSI-X table and PBA: trapped; BAR4 mapped if it can be. */
    int b1 = trap_at(0xf8100000), b4 = trap_at(0x100004000ull), m4 = map_at(0x100004000ull);
    assert_true(b1 >= 0);
    assert_int_equal(traps[b1].len, 0x1000);
    assert_int_equal(map_at(0xf8100000), -1);
    if (with_npt) {
        assert_int_equal(b4, -1);
        assert_true(m4 >= 0);
        assert_int_equal(npt[m4].hpa, BAR4_HPA);
        assert_int_equal(npt[m4].len, 0x4000);
    } else {
        assert_true(b4 >= 0 && m4 < 0);
        assert_int_equal(traps[b4].len, 0x4000);
    }
    assert_int_equal(log_count("hv: vpci: pci: wslot 0: BAR4 decoded at 0x100004000"), 1);
    assert_int_equal(fns[RNG].cfg[1] & 7, PCI_CMD_MEM | PCI_CMD_MASTER);
    /* A BAR the guest moves outside its MMIO ranges stops decoding. */
    k_cfg_write(0x20, 4, 0x00008000);
    k_cfg_write(0x24, 4, 0x10);
    assert_int_equal(trap_at(0x100004000ull), -1);
    assert_int_equal(map_at(0x100004000ull), -1);
    assert_int_equal(log_count("BAR4 at 0x1000008000 not decoded: outside the guest's MMIO"), 1);
    k_cfg_write(0x24, 4, 1);
    assert_true((with_npt ? map_at(0x100008000ull) : trap_at(0x100008000ull)) >= 0);

    /* An interrupt: CREATE_INTERRUPT3 for vector 0x41, the guest writes the
     * MSI it got into entry 1 through the trapped BAR1, enables MSI-X. */
    struct vpci_create_interrupt3 ci = {
        .type = VPCI_CREATE_INTERRUPT3,
        .desc = {.vector = 0x41, .vector_count = 1, .processor_count = 1}};
    assert_int_equal(k_request(&ci, sizeof(ci), 5), VPCI_STATUS_SUCCESS);
    struct vpci_interrupt_reply ir;
    memcpy(&ir, fake_last_sent(kch)->data, sizeof(ir));
    const struct mmio_trap_ops *ops = traps[b1].ops;
    ops->write(traps[b1].ctx, 0x10, 8, ir.desc.address);
    ops->write(traps[b1].ctx, 0x18, 4, ir.desc.data);
    ops->write(traps[b1].ctx, 0x1c, 4, 0);
    k_cfg_write(0x6a, 2, VPCI_PT_MSIX_ENABLE);
    assert_int_equal(bar1_mem[4], (uint32_t)HOST_MSI);
    assert_int_equal(bar1_mem[6], HOST_VEC + 1);
    assert_int_equal(bar1_mem[7], 0);
    /* Host vector 1 fired: the guest's 0x41; vector 0 (entry 0 masked): nothing. */
    irqs_fired = 2;
    vpci_kind.poll();
    assert_int_equal(nraised, 1);
    assert_int_equal(raised[0], 0x41);
    irqs_fired = 1;
    vpci_kind.poll();
    assert_int_equal(nraised, 1);
    char sum[128];
    vpci_kind.summary(sum, sizeof(sum));
    assert_non_null(strstr(sum, " vpci_irqs=1"));
    /* HvRetargetDeviceInterrupt: pci-hyperv's device id (instance bytes 5,4,7
     * and 6 without its low bits, the function) names the entry; the next
     * interrupt injects the new vector. Anything else is refused. */
    const uint8_t *g = (const uint8_t *)&fake_channel(kch)->instance;
    uint64_t id =
        (uint32_t)g[5] << 24 | (uint32_t)g[4] << 16 | (uint32_t)g[7] << 8 | (g[6] & 0xf8u);
    uint32_t addr = (uint32_t)ir.desc.address;
    assert_int_equal(vpci_kind.retarget(id | 1, addr, ir.desc.data, 0x52, 1), -1); /* function 1 */
    assert_int_equal(vpci_kind.retarget(id ^ 0x10000, addr, ir.desc.data, 0x52, 1), -1);
    assert_int_equal(vpci_kind.retarget(id, addr, ir.desc.data + 1, 0x52, 1), -1);
    assert_int_equal(vpci_kind.retarget(id, addr + 0x1000, ir.desc.data, 0x52, 1), -1);
    assert_int_equal(vpci_kind.retarget(id, addr, ir.desc.data, 0x52, 2), -1); /* no VP 1 */
    irqs_fired = 2;
    vpci_kind.poll();
    assert_int_equal(raised[1], 0x41); /* nothing refused changed the entry */
    assert_int_equal(vpci_kind.retarget(id, addr, ir.desc.data, 0x52, 1), 0);
    assert_int_equal(
        log_count("hv: vpci: pci: interrupt 0x4000 retargeted: vector 0x41 -> 0x52, VP 0"), 1);
    irqs_fired = 2;
    vpci_kind.poll();
    assert_int_equal(nraised, 3);
    assert_int_equal(raised[2], 0x52);
    /* A message the bus never gave (the guest's own vector as data): nothing. */
    ops->write(traps[b1].ctx, 0x18, 4, 0x31);
    irqs_fired = 2;
    vpci_kind.poll();
    assert_int_equal(nraised, 3);
    const char *unraised =
        "hv: vpci: pci: interrupt not raised: the guest's MSI-X message 0xfee00000/0x31 is none "
        "this bus gave\n";
    assert_int_equal(log_count(unraised), 1);
    irqs_fired = 2;
    vpci_kind.poll();
    assert_int_equal(nraised, 3);
    assert_int_equal(log_count(unraised), 1); /* once per message */

    /* A mapping refused (a page of the range not the void): the BAR trapped instead. */
    map_refuse = true;
    k_cfg_write(0x20, 4, 0x0000c000);
    assert_int_equal(map_at(0x100008000ull), -1);
    assert_int_equal(trap_at(0x100008000ull), -1);
    assert_true(trap_at(0x10000c000ull) >= 0);
    assert_int_equal(map_at(0x10000c000ull), -1);

    /* D0 exit: the window and the BARs given up. */
    struct vpci_message d0x = {VPCI_BUS_D0EXIT};
    assert_int_equal(k_request(&d0x, sizeof(d0x), 6), VPCI_STATUS_SUCCESS);
    for (unsigned i = 0; i < TRAPS; i++) {
        assert_false(traps[i].on);
        assert_false(npt[i].on);
    }
    /* The channel closed (hv_pci gone): the device quiet, its table masked. */
    assert_int_equal(fns[RNG].cfg[1] & 7, PCI_CMD_MEM | PCI_CMD_MASTER);
    struct fake_channel *fc = fake_channel(kch);
    fc->cb.EvtChannelClosed(kch);
    assert_int_equal(fns[RNG].cfg[1] & 7, 0);
    assert_int_equal(fns[RNG].cfg[CAP_MSIX / 4] >> 16, 1);
    assert_int_equal(bar1_mem[7], 1);
    vpci_kind.created(&env, 1);
}

static void test_kind_assigned(void **state)
{
    (void)state;
    kind_assigned(false);
}

/* --- eject_after: the host takes the function back at run time --- */

static uint64_t ticks;
static uint64_t counter(void)
{
    return ticks;
}

/* eject_after=2: PCI_EJECT two seconds after the guest's D0 entry; the
 * guest's EJECTION_COMPLETE takes the function off the bus, its BARs out of
 * guest-physical space and the machine function quiet (no decoding, no bus
 * mastering, MSI-X off). */
static void test_kind_eject_after(void **state)
{
    (void)state;
    struct device_error e;
    uint8_t params[DEVICE_PARAMS_SIZE] = {0};
    assert_int_equal(vpci_kind.param(params, "eject_after=0", 11, "0", 1, &e), -1);
    assert_int_equal(vpci_kind.param(params, "eject_after=86401", 11, "86401", 5, &e), -1);
    assert_int_equal(vpci_kind.param(params, "eject_after=soon", 11, "soon", 4, &e), -1);
    assert_int_equal(vpci_kind.param(params, "assign=1af4:1005", 6, "1af4:1005", 9, &e), 0);
    assert_int_equal(vpci_kind.param(params, "eject_after=2", 11, "2", 1, &e), 0);

    clock_init(counter, 1000000000ull, 0);
    ticks = 0;
    fake_kmcl_reset();
    memset(traps, 0, sizeof(traps));
    uint8_t mem[64];
    struct guest_mem gm = {mem, sizeof(mem)};
    struct device_env env = {.gm = &gm,
                             .pci = &pci,
                             .pci_io = &k_io,
                             .mmio_trap = k_trap,
                             .mmio_untrap = k_untrap,
                             .assign_msi_address = HOST_MSI,
                             .assign_vector = HOST_VEC,
                             .assign_vectors = 2,
                             .assigned_irqs = k_irqs,
                             .raise = k_raise};
    struct hv_device_config cfg = {.line = 3, .kind = "vpci", .name = "pci"};
    const struct device d = {&cfg, params, &env};
    assert_true(NT_SUCCESS(vpci_kind.create(&d, &kch)));
    vpci_kind.created(&env, 1);
    env.mmio[0] = (struct device_mmio_range){LOW_BASE, 0x06c00000ull};
    env.mmio[1] = (struct device_mmio_range){GAP_BASE, 64ull << 20};
    fake_channel(kch)->open = true;

    /* Counted from D0 entry: nothing before it, nothing two seconds short. */
    ticks = 10000000000ull;
    timers_run(clock_ns());
    struct vpci_version_request ver = {VPCI_QUERY_PROTOCOL_VERSION, VPCI_VERSION_1_4};
    assert_int_equal(k_request(&ver, sizeof(ver), 1), VPCI_STATUS_SUCCESS);
    struct vpci_d0_entry d0 = {VPCI_BUS_D0ENTRY, 0, LOW_BASE};
    assert_int_equal(k_request(&d0, sizeof(d0), 2), VPCI_STATUS_SUCCESS);
    k_cfg_write(0x14, 4, 0xf8100000);
    k_cfg_write(PCI_COMMAND, 2, PCI_CMD_MEM | PCI_CMD_MASTER);
    k_cfg_write(0x6a, 2, VPCI_PT_MSIX_ENABLE);
    assert_true(trap_at(0xf8100000) >= 0);
    assert_int_equal(fns[RNG].cfg[1] & 7, PCI_CMD_MEM | PCI_CMD_MASTER);
    ticks += 1999999999ull;
    timers_run(clock_ns());
    assert_int_equal(log_count("eject asked"), 0);
    ticks += 1;
    timers_run(clock_ns());
    assert_int_equal(log_count("hv: vpci: pci: wslot 0: eject asked"), 1);
    struct vpci_child_message ej;
    memcpy(&ej, fake_last_sent(kch)->data, sizeof(ej));
    assert_int_equal(ej.type, VPCI_EJECT);
    assert_int_equal(ej.wslot, 0);
    /* The guest answers: the function is gone, quiet, its BAR untrapped. */
    struct vpci_ejection_complete done = {VPCI_EJECTION_COMPLETE, 0, 0};
    fake_channel(kch)->process(kch, &done, sizeof(done), VMB_PACKET_TYPE_DATA_INBAND, 3);
    assert_int_equal(log_count("hv: vpci: pci: wslot 0: ejected"), 1);
    assert_int_equal(trap_at(0xf8100000), -1);
    assert_int_equal(fns[RNG].cfg[1] & 7, 0);
    assert_int_equal(fns[RNG].cfg[CAP_MSIX / 4] >> 16 & 0x8000, 0);
    /* Nothing more to ask. */
    ticks += 5000000000ull;
    timers_run(clock_ns());
    assert_int_equal(log_count("eject asked"), 1);
    fake_channel(kch)->cb.EvtChannelClosed(kch);
    vpci_kind.created(&env, 1);
}

/* The same with BAR pages mapped; a mapping refused falls back to the trap. */
static void test_kind_assigned_npt(void **state)
{
    (void)state;
    kind_assigned(true);
}

/* --- the passthrough --- */

static void pt_open(struct vpci_pt *pt)
{
    const char *why = NULL;
    assert_int_equal(
        vpci_pt_open(pt, &pci, PCI_BDF(0, RNG, 0), &io, "pci", HOST_MSI, HOST_VEC, 2, &why), 0);
}

static void test_pt_bars(void **state)
{
    (void)state;
    static struct vpci_pt pt;
    pt_open(&pt);
    uint32_t bars[6];
    vpci_pt_probed_bars(&pt, bars);
    const uint32_t want[6] = {0, 0xfffff000, 0, 0, 0xffffc00c, 0xffffffff};
    assert_memory_equal(bars, want, sizeof(want));
    /* The guest sizes with all ones (any width), reads the masks back. */
    for (unsigned r = 0; r < 6; r++)
        vpci_pt_write(&pt, PCI_BAR0 + 4 * r, 4, 0xffffffff);
    for (unsigned r = 0; r < 6; r++)
        assert_int_equal(vpci_pt_read(&pt, PCI_BAR0 + 4 * r, 4), want[r]);
    vpci_pt_write(&pt, 0x20, 1, 0x00);
    assert_int_equal(vpci_pt_read(&pt, 0x20, 4), 0xffffc00c);
    /* It places them: kept here, the real BARs keep the machine's. */
    vpci_pt_write(&pt, 0x14, 4, 0xf8100000);
    vpci_pt_write(&pt, 0x20, 4, 0x00104000);
    vpci_pt_write(&pt, 0x24, 4, 0x0001);
    assert_int_equal(vpci_pt_read(&pt, 0x14, 4), 0xf8100000);
    assert_int_equal(vpci_pt_read(&pt, 0x20, 4), 0x0010400c);
    assert_int_equal(vpci_pt_read(&pt, 0x24, 4), 1);
    assert_int_equal(fns[RNG].cfg[0x14 / 4], BAR1_HPA);
    assert_int_equal(fns[RNG].cfg[0x20 / 4], (uint32_t)BAR4_HPA | 0xc);
    assert_int_equal(fns[RNG].cfg[0x24 / 4], BAR4_HPA >> 32);
    uint64_t gpa, size;
    assert_false(vpci_pt_bar_at(&pt, 4, &gpa, &size)); /* MEMORY off */
    vpci_pt_write(&pt, PCI_COMMAND, 2, PCI_CMD_MEM);
    assert_true(vpci_pt_bar_at(&pt, 4, &gpa, &size));
    assert_int_equal(gpa, 0x100104000ull);
    assert_int_equal(size, 0x4000);
    assert_true(vpci_pt_bar_at(&pt, 1, &gpa, &size));
    assert_int_equal(gpa, 0xf8100000);
    assert_false(vpci_pt_bar_at(&pt, 0, &gpa, &size)); /* I/O: not offered */
    assert_false(vpci_pt_bar_at(&pt, 5, &gpa, &size)); /* an upper half */
}

static void test_pt_config(void **state)
{
    (void)state;
    static struct vpci_pt pt;
    pt_open(&pt);
    /* IDs, class, subsystem: the real ones. */
    assert_int_equal(vpci_pt_read(&pt, 0, 4), 0x10051af4);
    assert_int_equal(vpci_pt_read(&pt, 8, 4), 0x00ff0001);
    assert_int_equal(vpci_pt_read(&pt, 0x2c, 4), 0x11001af4);
    /* Command: MEMORY and MASTER reach the real one, I/O never, INTx always off. */
    assert_int_equal(vpci_pt_read(&pt, PCI_COMMAND, 2), 0);
    vpci_pt_write(&pt, PCI_COMMAND, 2, 0xffff);
    assert_int_equal(vpci_pt_read(&pt, PCI_COMMAND, 2),
                     PCI_CMD_MEM | PCI_CMD_MASTER | PCI_CMD_INTX_OFF);
    assert_int_equal(fns[RNG].cfg[1] & 0xffff, PCI_CMD_MEM | PCI_CMD_MASTER | PCI_CMD_INTX_OFF);
    vpci_pt_write(&pt, PCI_COMMAND, 1, 0);
    assert_int_equal(fns[RNG].cfg[1] & 0x7, 0);
    assert_int_equal(fns[RNG].cfg[1] & PCI_CMD_INTX_OFF, PCI_CMD_INTX_OFF);
    /* The capability list without MSI: 0x58 (vendor) then 0x68 (MSI-X). */
    assert_true(vpci_pt_read(&pt, PCI_STATUS, 2) & PCI_STATUS_CAP);
    assert_int_equal(vpci_pt_read(&pt, PCI_CAP_PTR, 1), CAP_VNDR);
    assert_int_equal(vpci_pt_read(&pt, CAP_VNDR, 2), PCI_CAP_VENDOR | CAP_MSIX << 8);
    assert_int_equal(vpci_pt_read(&pt, CAP_VNDR + 4, 4), 0x12345678);
    assert_int_equal(vpci_pt_read(&pt, CAP_MSIX + 1, 1), 0);
    for (unsigned o = CAP_MSI; o < CAP_MSI + 0x18; o += 4)
        assert_int_equal(vpci_pt_read(&pt, o, 4), 0);
    /* ROM, extended space, interrupt pin: hidden. */
    vpci_pt_write(&pt, 0x30, 4, 0xfffff800);
    assert_int_equal(vpci_pt_read(&pt, 0x30, 4), 0);
    assert_int_equal(fns[RNG].cfg[0x30 / 4], 0xfeb80000);
    assert_int_equal(vpci_pt_read(&pt, 0x100, 4), 0);
    assert_int_equal(vpci_pt_read(&pt, 0x3d, 1), 0);
    vpci_pt_write(&pt, 0x3c, 1, 0x0b);
    assert_int_equal(vpci_pt_read(&pt, 0x3c, 1), 0x0b);
    /* Elsewhere: ignored, logged once per offset. */
    vpci_pt_write(&pt, CAP_VNDR + 4, 4, 0);
    vpci_pt_write(&pt, CAP_VNDR + 5, 1, 0);
    vpci_pt_write(&pt, 0x0, 4, 0);
    assert_int_equal(fns[RNG].cfg[CAP_VNDR / 4 + 1], 0x12345678);
    assert_int_equal(vpci_pt_read(&pt, 0, 4), 0x10051af4);
    assert_int_equal(writes_ro, 0);
    assert_int_equal(log_count("hv: vpci: pci: config write at 0x05c ignored: read-only for the "
                               "guest"),
                     1);
    assert_int_equal(log_count("config write at 0x000 ignored"), 1);
    /* Out of the space: all ones, nothing written. */
    assert_int_equal(vpci_pt_read(&pt, 4094, 4), 0xffffffff);
    vpci_pt_write(&pt, 4094, 4, 0);
}

static void test_pt_msix(void **state)
{
    (void)state;
    static struct vpci_pt pt;
    memset(bar1_mem, 0x5a, sizeof(bar1_mem));
    bar1_mem[0x800 / 4] = 0x3;  /* the PBA: both pending */
    bar1_mem[0x900 / 4] = 0x77; /* a register beside */
    pt_open(&pt);
    /* Opened: every real entry masked with the host's message, MSI-X off. */
    for (unsigned i = 0; i < 2; i++) {
        assert_int_equal(bar1_mem[i * 4], (uint32_t)HOST_MSI);
        assert_int_equal(bar1_mem[i * 4 + 1], 0);
        assert_int_equal(bar1_mem[i * 4 + 2], HOST_VEC + i);
        assert_int_equal(bar1_mem[i * 4 + 3], 1);
    }
    assert_int_equal(fns[RNG].cfg[CAP_MSIX / 4] >> 16, 1);
    /* The message control: size read-only, enable and mask the guest's. */
    assert_int_equal(vpci_pt_read(&pt, CAP_MSIX + 2, 2), 1);
    /* The guest programs entry 1 as pci-hyperv composes it. */
    vpci_pt_bar_write(&pt, 1, 0x10, 4, 0xfee00000);
    vpci_pt_bar_write(&pt, 1, 0x14, 4, 0);
    vpci_pt_bar_write(&pt, 1, 0x18, 4, 0x4003);
    vpci_pt_bar_write(&pt, 1, 0x1c, 4, 0);
    assert_int_equal(vpci_pt_bar_read(&pt, 1, 0x10, 8), 0xfee00000);
    assert_int_equal(vpci_pt_bar_read(&pt, 1, 0x18, 4), 0x4003);
    assert_int_equal(vpci_pt_bar_read(&pt, 1, 0x0c, 4), 1); /* entry 0 still masked */
    /* The real table never has the guest's message; masked until enabled. */
    assert_int_equal(bar1_mem[4], (uint32_t)HOST_MSI);
    assert_int_equal(bar1_mem[6], HOST_VEC + 1);
    assert_int_equal(bar1_mem[7], 1);
    uint64_t a[4];
    uint32_t d[4];
    assert_int_equal(vpci_pt_fired(&pt, 1, a, d, 4), 0);
    vpci_pt_write(&pt, CAP_MSIX + 2, 2, VPCI_PT_MSIX_ENABLE | 0x7ff);
    assert_int_equal(vpci_pt_read(&pt, CAP_MSIX + 2, 2), VPCI_PT_MSIX_ENABLE | 1);
    assert_int_equal(fns[RNG].cfg[CAP_MSIX / 4] >> 16, VPCI_PT_MSIX_ENABLE | 1);
    assert_int_equal(bar1_mem[7], 0);
    assert_int_equal(bar1_mem[3], 1);
    assert_int_equal(vpci_pt_fired(&pt, 1, a, d, 4), 1);
    assert_int_equal(a[0], 0xfee00000);
    assert_int_equal(d[0], 0x4003);
    assert_int_equal(vpci_pt_fired(&pt, 0, a, d, 4), 0); /* entry 0 masked */
    /* Function mask, entry mask: the real entry masked, nothing fired. */
    vpci_pt_write(&pt, CAP_MSIX + 3, 1, (VPCI_PT_MSIX_ENABLE | VPCI_PT_MSIX_MASKALL) >> 8);
    assert_int_equal(bar1_mem[7], 1);
    assert_int_equal(vpci_pt_fired(&pt, 1, a, d, 4), 0);
    assert_int_equal(fns[RNG].cfg[CAP_MSIX / 4] >> 16, VPCI_PT_MSIX_ENABLE | 1);
    vpci_pt_write(&pt, CAP_MSIX + 3, 1, VPCI_PT_MSIX_ENABLE >> 8);
    assert_int_equal(bar1_mem[7], 0);
    vpci_pt_bar_write(&pt, 1, 0x1c, 1, 0xff); /* reserved bits dropped, masked */
    assert_int_equal(vpci_pt_bar_read(&pt, 1, 0x1c, 4), 1);
    assert_int_equal(bar1_mem[7], 1);
    /* A guest writing its own message into the data word gets nothing real. */
    vpci_pt_bar_write(&pt, 1, 0x18, 4, 0x0031);
    assert_int_equal(bar1_mem[6], HOST_VEC + 1);
    /* The PBA reads the real one and ignores writes; registers beside pass. */
    assert_int_equal(vpci_pt_bar_read(&pt, 1, 0x800, 4), 3);
    vpci_pt_bar_write(&pt, 1, 0x800, 4, 0);
    assert_int_equal(bar1_mem[0x800 / 4], 3);
    assert_int_equal(vpci_pt_bar_read(&pt, 1, 0x900, 1), 0x77);
    assert_int_equal(io_last_size, 1);
    vpci_pt_bar_write(&pt, 1, 0x901, 1, 0x66);
    assert_int_equal(io_last_size, 1); /* in its width: no read-modify-write */
    assert_int_equal(bar1_mem[0x900 / 4], 0x6677);
    vpci_pt_bar_write(&pt, 1, 0x902, 2, 0xabcd);
    assert_int_equal(io_last_size, 2);
    assert_int_equal(bar1_mem[0x900 / 4], 0xabcd6677);
    vpci_pt_bar_write(&pt, 1, 0x908, 8, 0x1122334455667788ull);
    assert_int_equal(vpci_pt_bar_read(&pt, 1, 0x908, 8), 0x1122334455667788ull);
    /* A 64-bit table write (address low and high at once), a byte read of it. */
    vpci_pt_bar_write(&pt, 1, 0x00, 8, 0x00000000fee00000ull);
    assert_int_equal(vpci_pt_bar_read(&pt, 1, 0x02, 1), 0xe0);
    assert_int_equal(bar1_mem[0], (uint32_t)HOST_MSI);
    /* An access across the BAR's end: refused. */
    assert_int_equal(vpci_pt_bar_read(&pt, 1, 0xffc, 8), ~0ull);
    assert_int_equal(vpci_pt_bar_read(&pt, 1, 0x10, 3), ~0ull);
    /* Out of the BAR: all ones, nothing written. */
    unsigned w = io_writes;
    assert_int_equal(vpci_pt_bar_read(&pt, 1, 0x1000, 4), ~0ull);
    vpci_pt_bar_write(&pt, 1, 0x1000, 4, 0);
    vpci_pt_bar_write(&pt, 0, 0, 4, 0);
    assert_int_equal(io_writes, w);
}

static void test_pt_refused(void **state)
{
    (void)state;
    static struct vpci_pt pt;
    const char *why = NULL;
    /* A table bigger than its BAR. */
    fns[RNG].cfg[CAP_MSIX / 4] = PCI_CAP_MSIX | 0x3ffu << 16;
    assert_int_equal(
        vpci_pt_open(&pt, &pci, PCI_BDF(0, RNG, 0), &io, "pci", HOST_MSI, HOST_VEC, 2, &why), -1);
    assert_non_null(why);
    /* A table in the I/O BAR. */
    fns[RNG].cfg[CAP_MSIX / 4] = PCI_CAP_MSIX | 1u << 16;
    fns[RNG].cfg[CAP_MSIX / 4 + 1] = 0;
    assert_int_equal(
        vpci_pt_open(&pt, &pci, PCI_BDF(0, RNG, 0), &io, "pci", HOST_MSI, HOST_VEC, 2, &why), -1);
    assert_string_equal(why, "its MSI-X table or PBA is outside its memory BARs");
    /* A looping capability list ends. */
    fns[RNG].cfg[CAP_MSIX / 4 + 1] = 1;
    fns[RNG].cfg[CAP_MSIX / 4] = PCI_CAP_MSIX | CAP_VNDR << 8 | 1u << 16;
    pt_open(&pt);
    assert_int_equal(vpci_pt_read(&pt, CAP_MSIX + 1, 1), CAP_VNDR);
    /* A bridge is no endpoint. */
    assert_int_equal(
        vpci_pt_open(&pt, &pci, PCI_BDF(0, 1, 0), &io, "pci", HOST_MSI, HOST_VEC, 2, &why), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_parse, setup),
        cmocka_unit_test_setup(test_claim, setup),
        cmocka_unit_test_setup(test_refusals, setup),
        cmocka_unit_test_setup(test_kind_no_iommu, setup),
        cmocka_unit_test_setup(test_kind_assigned, setup),
        cmocka_unit_test_setup(test_kind_eject_after, setup),
        cmocka_unit_test_setup(test_kind_assigned_npt, setup),
        cmocka_unit_test_setup(test_pt_bars, setup),
        cmocka_unit_test_setup(test_pt_config, setup),
        cmocka_unit_test_setup(test_pt_msix, setup),
        cmocka_unit_test_setup(test_pt_refused, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
