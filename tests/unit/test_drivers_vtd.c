/* The VT-d driver against a fake unit: a register block that acts on
 * commands at once, and a walker that translates through the tables the way
 * a unit with caching mode (CAP.CM, as QEMU's caching-mode=on) does: it
 * caches context entries and translations, present or not, until an
 * invalidation. So a missing invalidation shows as a stale translation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "drivers/pci.h"
#include "drivers/vtd.h"
#include "fixture.h"

#define IRO  0xf0u
#define FRO  0x220u
#define NFR  2u
#define HEAP (4u << 20)
#define MIB2 (2ull << 20)

/* QEMU's unit: 48-bit and 39-bit tables, 2 MiB and 1 GiB pages, 16-bit domain IDs. */
#define CAP_QEMU                                                                                   \
    ((6ull << 8) | (47ull << 16) | ((uint64_t)(FRO / 16) << 24) | (3ull << 34) |                   \
     ((uint64_t)(NFR - 1) << 40) | 6ull)
#define ECAP_QEMU ((uint64_t)(IRO / 16) << 8)

enum { EV_GCMD_SRTP = 1, EV_GCMD_TE, EV_CCMD, EV_IOTLB, EV_FECTL, EV_FSTS, EV_WBF };

static struct unit {
    uint8_t reg[4096];
    uint64_t rtaddr; /* latched by SRTP */
    bool te;
    bool hang; /* commands never complete */
    unsigned ev[64], nev;
    unsigned flushes;
    /* the caches a CM=1 unit keeps */
    bool ctx_valid[65536];
    uint64_t ctx_lo[65536], ctx_hi[65536];
    unsigned ntlb;
    struct {
        uint16_t bdf;
        uint64_t page;
        int64_t hpa; /* -1: not present, cached too */
    } tlb[256];
} * u;
static uint8_t *heap_mem;
static struct heap heap;
static struct vtd vtd;

static uint64_t r64(uint32_t off)
{
    uint64_t v;
    memcpy(&v, u->reg + off, 8);
    return v;
}
static void w64(uint32_t off, uint64_t v)
{
    memcpy(u->reg + off, &v, 8);
}
static uint32_t r32(uint32_t off)
{
    uint32_t v;
    memcpy(&v, u->reg + off, 4);
    return v;
}
static void w32(uint32_t off, uint32_t v)
{
    memcpy(u->reg + off, &v, 4);
}
static void ev(unsigned e)
{
    if (u->nev < 64)
        u->ev[u->nev++] = e;
}

static uint32_t op_read32(void *ctx, uint32_t off)
{
    (void)ctx;
    assert_true(off % 4 == 0 && off < 4096);
    return r32(off);
}
static uint64_t op_read64(void *ctx, uint32_t off)
{
    (void)ctx;
    assert_true(off % 8 == 0 && off < 4096);
    return r64(off);
}
static void op_write32(void *ctx, uint32_t off, uint32_t v)
{
    (void)ctx;
    assert_true(off % 4 == 0 && off < 4096);
    if (off == VTD_GCMD) {
        uint32_t st = r32(VTD_GSTS);
        /* one-shot bits never repeated from the status */
        assert_int_equal(v & (VTD_GCMD_SRTP | VTD_GCMD_WBF) & st, 0);
        if (v & VTD_GCMD_SRTP) {
            ev(EV_GCMD_SRTP);
            u->rtaddr = r64(VTD_RTADDR);
            st |= u->hang ? 0 : VTD_GCMD_SRTP;
        }
        if (v & VTD_GCMD_WBF)
            ev(EV_WBF);
        if ((v & VTD_GCMD_TE) && !u->te) {
            ev(EV_GCMD_TE);
            u->te = !u->hang;
        }
        st = (st & ~VTD_GCMD_TE) | (u->te ? VTD_GCMD_TE : 0);
        w32(VTD_GSTS, st);
    } else if (off == VTD_FECTL) {
        ev(EV_FECTL);
        w32(off, v);
    } else if (off == VTD_FSTS) {
        ev(EV_FSTS);
    } else if (off >= FRO && off < FRO + 16 * NFR && off % 16 == 12) {
        w32(off, r32(off) & ~(v & (1u << 31))); /* F: write 1 to clear */
    } else {
        w32(off, v);
    }
}
static void op_write64(void *ctx, uint32_t off, uint64_t v)
{
    (void)ctx;
    if (off == VTD_CCMD && (v & VTD_CCMD_ICC)) {
        ev(EV_CCMD);
        assert_int_equal(v & (3ull << 61), VTD_CCMD_GLOBAL);
        if (!u->hang) {
            memset(u->ctx_valid, 0, sizeof(u->ctx_valid));
            v &= ~VTD_CCMD_ICC;
        }
    } else if (off == IRO + 8 && (v & VTD_IOTLB_IVT)) {
        ev(EV_IOTLB);
        assert_int_equal(v & (3ull << 60), VTD_IOTLB_GLOBAL);
        if (!u->hang) {
            u->ntlb = 0;
            v &= ~VTD_IOTLB_IVT;
        }
    }
    w64(off, v);
}
static void op_flush(void *ctx, const void *p, uint64_t len)
{
    (void)ctx;
    (void)p;
    assert_true(len > 0);
    u->flushes++;
}

static const struct vtd_ops ops = {NULL, op_read32, op_write32, op_read64, op_write64, op_flush};

static const uint64_t *tbl(uint64_t e)
{
    return (const uint64_t *)(uintptr_t)(e & VTD_ADDR);
}

/* A DMA by bdf to iova: the host-physical address, or -1 (blocked). Caches
 * what it reads, as a caching-mode unit may. */
static int64_t dma(uint16_t bdf, uint64_t iova)
{
    if (!u->te)
        return (int64_t)iova;
    for (unsigned i = 0; i < u->ntlb; i++)
        if (u->tlb[i].bdf == bdf && u->tlb[i].page == iova >> 12)
            return u->tlb[i].hpa < 0 ? -1 : u->tlb[i].hpa + (int64_t)(iova & 0xfff);
    if (!u->ctx_valid[bdf]) {
        const uint64_t *root = tbl(u->rtaddr);
        uint64_t re = root[2 * PCI_BUS(bdf)];
        u->ctx_lo[bdf] = u->ctx_hi[bdf] = 0;
        if (re & 1) {
            u->ctx_lo[bdf] = tbl(re)[2 * (bdf & 0xff)];
            u->ctx_hi[bdf] = tbl(re)[2 * (bdf & 0xff) + 1];
        }
        u->ctx_valid[bdf] = true;
    }
    int64_t hpa = -1;
    if (u->ctx_lo[bdf] & 1) {
        unsigned aw = u->ctx_hi[bdf] & 7, levels = aw + 2;
        assert_true(aw == 1 || aw == 2);
        assert_int_equal(u->ctx_lo[bdf] & 0xc, 0); /* translation type: untranslated */
        assert_int_not_equal((u->ctx_hi[bdf] >> 8) & 0xffff, 0);
        const uint64_t *t = tbl(u->ctx_lo[bdf]);
        for (unsigned l = levels; l >= 1; l--) {
            uint64_t e = t[iova >> (12 + 9 * (l - 1)) & 511];
            if (!(e & (VTD_SL_R | VTD_SL_W)))
                break;
            assert_true((e & (VTD_SL_R | VTD_SL_W)) == (VTD_SL_R | VTD_SL_W));
            if (l == 1 || (e & VTD_SL_PS)) {
                assert_true(l <= 2); /* 4 KiB or 2 MiB */
                uint64_t span = 1ull << (12 + 9 * (l - 1));
                hpa = (int64_t)((e & VTD_ADDR & ~(span - 1)) + (iova & (span - 1) & ~0xfffull));
                break;
            }
            t = tbl(e);
        }
    }
    if (u->ntlb < 256) {
        u->tlb[u->ntlb].bdf = bdf;
        u->tlb[u->ntlb].page = iova >> 12;
        u->tlb[u->ntlb++].hpa = hpa;
    }
    return hpa < 0 ? -1 : hpa + (int64_t)(iova & 0xfff);
}

static void reset_unit(uint64_t cap, uint64_t ecap)
{
    memset(u, 0, sizeof(*u));
    w64(VTD_CAP, cap);
    w64(VTD_ECAP, ecap);
    heap_init(&heap, (uint64_t)(uintptr_t)heap_mem, HEAP);
    log_reset();
}

static int setup(void **state)
{
    (void)state;
    u = calloc(1, sizeof(*u));
    heap_mem = aligned_alloc(4096, HEAP);
    return u && heap_mem ? 0 : -1;
}
static int teardown(void **state)
{
    (void)state;
    free(u);
    free(heap_mem);
    return 0;
}

#define HOST_A  0x10000000ull /* the hypervisor */
#define GUEST_B 0x40000000ull /* guest RAM */
static const struct iommu_range host[] = {
    {HOST_A, HOST_A, 0x201000}, /* 2 MiB + 4 KiB: a large page and a small one */
    {GUEST_B, GUEST_B, 8 * MIB2},
};
#define DISK PCI_BDF(0, 3, 0)
#define NIC  PCI_BDF(0, 4, 0)
#define DEV  PCI_BDF(1, 0, 0)

static void start(uint64_t cap)
{
    const char *why = NULL;
    reset_unit(cap, ECAP_QEMU);
    assert_int_equal(vtd_init(&vtd, &ops, &heap, host, 2, &why), 0);
    assert_int_equal(u->nev, 0); /* nothing written before enable */
    assert_int_equal(vtd_host_function(&vtd, DISK, &why), 0);
    assert_int_equal(vtd_host_function(&vtd, NIC, &why), 0);
    assert_int_equal(vtd.nhost, 2);
    assert_int_equal(vtd_enable(&vtd, &why), 0);
}

/* The order a unit needs: root pointer, then invalidations, then TE. */
static void enable_order(void **state)
{
    (void)state;
    start(CAP_QEMU | VTD_CAP_CM | VTD_CAP_RWBF);
    static const unsigned want[] = {EV_FECTL, EV_GCMD_SRTP, EV_WBF, EV_CCMD, EV_IOTLB, EV_GCMD_TE};
    assert_int_equal(u->nev, 6);
    assert_memory_equal(u->ev, want, sizeof(want));
    assert_int_equal(u->rtaddr, (uint64_t)(uintptr_t)vtd.root);
    assert_true(r32(VTD_FECTL) & VTD_FECTL_IM);
    assert_int_equal(vtd.levels, 4);
    assert_int_not_equal(u->flushes, 0); /* ECAP.C clear: tables written back */
}

/* The host domain is an identity map of exactly its ranges for its
 * functions; everyone else is blocked. */
static void host_domain(void **state)
{
    (void)state;
    start(CAP_QEMU);
    assert_int_equal(dma(DISK, HOST_A), (int64_t)HOST_A);
    assert_int_equal(dma(DISK, HOST_A + 0x200123), (int64_t)HOST_A + 0x200123);
    assert_int_equal(dma(NIC, GUEST_B + 8 * MIB2 - 8), (int64_t)(GUEST_B + 8 * MIB2 - 8));
    assert_int_equal(dma(DISK, HOST_A + 0x201000), -1);
    assert_int_equal(dma(DISK, HOST_A - 1), -1);
    assert_int_equal(dma(NIC, GUEST_B + 8 * MIB2), -1);
    assert_int_equal(dma(DISK, 0), -1);
    assert_int_equal(dma(DEV, HOST_A), -1);
    assert_int_equal(dma(PCI_BDF(0, 3, 1), GUEST_B), -1);
    /* without 2 MiB pages and with 3 levels only, the same map */
    start((CAP_QEMU & ~(3ull << 34) & ~(6ull << 8)) | (2ull << 8));
    assert_int_equal(vtd.levels, 3);
    assert_int_equal(dma(DISK, HOST_A + 0x1ff000), (int64_t)HOST_A + 0x1ff000);
    assert_int_equal(dma(NIC, GUEST_B + 5 * MIB2 + 0x3000), (int64_t)(GUEST_B + 5 * MIB2 + 0x3000));
    assert_int_equal(dma(NIC, GUEST_B + 8 * MIB2), -1);
}

/* Assignment maps guest-physical to host-physical for the ranges only, and
 * with caching mode the unit is told (the blocked translation it cached
 * before goes away); unassignment blocks again, also through the caches. */
static void assign_unassign(void **state)
{
    (void)state;
    const char *why = NULL;
    start(CAP_QEMU | VTD_CAP_CM);
    assert_int_equal(dma(DEV, 0x1000), -1); /* cached: not present */
    const struct iommu_range ram[] = {{0, GUEST_B, 4 * MIB2},
                                      {0x100000000ull, GUEST_B + 4 * MIB2, MIB2}};
    unsigned before = u->nev;
    assert_int_equal(vtd_assign(&vtd, DEV, ram, 2, &why), 0);
    assert_true(u->nev > before);
    assert_int_equal(dma(DEV, 0x1000), (int64_t)(GUEST_B + 0x1000));
    assert_int_equal(dma(DEV, 4 * MIB2 - 1), (int64_t)(GUEST_B + 4 * MIB2 - 1));
    assert_int_equal(dma(DEV, 4 * MIB2), -1);
    assert_int_equal(dma(DEV, 0x100000000ull + 0x5000), (int64_t)(GUEST_B + 4 * MIB2 + 0x5000));
    assert_int_equal(dma(DEV, HOST_A), -1); /* never the hypervisor */
    assert_int_equal(dma(DISK, HOST_A), (int64_t)HOST_A);
    /* again: the domain replaced, the old translation gone */
    const struct iommu_range small[] = {{0, GUEST_B + MIB2, MIB2}};
    assert_int_equal(vtd_assign(&vtd, DEV, small, 1, &why), 0);
    assert_int_equal(dma(DEV, 0x1000), (int64_t)(GUEST_B + MIB2 + 0x1000));
    assert_int_equal(dma(DEV, MIB2), -1);
    uint64_t used = heap.used;
    vtd_unassign(&vtd, DEV);
    assert_int_equal(dma(DEV, 0x1000), -1);
    /* the freed tables are used again */
    assert_int_equal(vtd_assign(&vtd, DEV, ram, 2, &why), 0);
    assert_int_equal(heap.used, used);
    assert_int_equal(dma(DEV, 0x2000), (int64_t)(GUEST_B + 0x2000));
}

static void expect_refused(uint16_t bdf, const struct iommu_range *r, unsigned n,
                           const char *needle)
{
    const char *why = NULL;
    assert_int_equal(vtd_assign(&vtd, bdf, r, n, &why), -1);
    assert_non_null(why);
    if (!strstr(why, needle))
        fail_msg("reason '%s' lacks '%s'", why, needle);
    assert_int_equal(dma(bdf, 0), -1); /* nothing mapped at 0 for either */
}

static void assign_refused(void **state)
{
    (void)state;
    const char *why = NULL;
    start(CAP_QEMU | VTD_CAP_CM);
    const struct iommu_range ok = {0, GUEST_B, MIB2};
    expect_refused(DISK, &ok, 1, "hypervisor drives");
    assert_int_equal(dma(DISK, HOST_A), (int64_t)HOST_A); /* still the host's */
    expect_refused(DEV, &ok, 0, "no range");
    expect_refused(DEV, &(struct iommu_range){0x10, GUEST_B, MIB2}, 1, "page-aligned");
    expect_refused(DEV, &(struct iommu_range){0, GUEST_B, 0}, 1, "empty");
    expect_refused(DEV, &(struct iommu_range){1ull << 48, GUEST_B, MIB2}, 1, "address width");
    expect_refused(DEV, &(struct iommu_range){(1ull << 48) - MIB2, GUEST_B, 2 * MIB2}, 1,
                   "address width");
    expect_refused(DEV, &(struct iommu_range){0, ~0ull << 12, MIB2}, 1, "address width");
    const struct iommu_range twice[] = {{0, GUEST_B, MIB2}, {0x1000, GUEST_B, 0x1000}};
    expect_refused(DEV, twice, 2, "overlap");
    const struct iommu_range twice2[] = {{0x1000, GUEST_B, 0x1000}, {0, GUEST_B, MIB2}};
    expect_refused(DEV, twice2, 2, "overlap");
    /* eight guest domains at most; a ninth function waits for one to go */
    for (unsigned i = 0; i < VTD_GUESTS_MAX; i++)
        assert_int_equal(vtd_assign(&vtd, PCI_BDF(2, i, 0), &ok, 1, &why), 0);
    expect_refused(PCI_BDF(3, 0, 0), &ok, 1, "too many");
    vtd_unassign(&vtd, PCI_BDF(2, 5, 0));
    assert_int_equal(vtd_assign(&vtd, PCI_BDF(3, 0, 0), &ok, 1, &why), 0);
    assert_int_equal(dma(PCI_BDF(3, 0, 0), 0x3000), (int64_t)(GUEST_B + 0x3000));
    assert_int_equal(dma(PCI_BDF(2, 5, 0), 0x3000), -1);
    assert_int_equal(dma(PCI_BDF(2, 7, 0), 0x3000), (int64_t)(GUEST_B + 0x3000));
    /* a unit that cannot do what is needed */
    reset_unit(CAP_QEMU & ~(6ull << 8), ECAP_QEMU);
    assert_int_equal(vtd_init(&vtd, &ops, &heap, host, 2, &why), -1);
    assert_non_null(strstr(why, "SAGAW"));
    /* 39-bit tables cannot reach a host range above 512 GiB */
    reset_unit((CAP_QEMU & ~(6ull << 8)) | (2ull << 8), ECAP_QEMU);
    const struct iommu_range high = {1ull << 40, 1ull << 40, MIB2};
    assert_int_equal(vtd_init(&vtd, &ops, &heap, &high, 1, &why), -1);
    assert_non_null(strstr(why, "address width"));
}

/* A unit that never completes a command fails the start, naming the step. */
static void hung_unit(void **state)
{
    (void)state;
    const char *why = NULL;
    reset_unit(CAP_QEMU, ECAP_QEMU | VTD_ECAP_C);
    assert_int_equal(vtd_init(&vtd, &ops, &heap, host, 2, &why), 0);
    u->hang = true;
    assert_int_equal(vtd_enable(&vtd, &why), -1);
    assert_non_null(strstr(why, "root table"));
    assert_int_equal(u->flushes, 0); /* a coherent unit needs no write-backs */
}

static void fault(unsigned i, uint16_t sid, unsigned reason, bool read, uint64_t addr)
{
    w64(FRO + 16 * i, addr);
    w64(FRO + 16 * i + 8, VTD_FRCD_F | (read ? VTD_FRCD_T_READ : 0) | (uint64_t)reason << 32 | sid);
}

/* Faults are read, cleared, and logged once per function and reason. */
static void faults_logged_once(void **state)
{
    (void)state;
    start(CAP_QEMU);
    assert_int_equal(vtd_poll_faults(&vtd), 0);
    fault(0, DEV, 2, false, 0x12345678);
    fault(1, DEV, 2, true, 0x9000);
    assert_int_equal(vtd_poll_faults(&vtd), 2);
    assert_int_equal(r64(FRO + 8) & VTD_FRCD_F, 0);
    assert_int_equal(r64(FRO + 24) & VTD_FRCD_F, 0);
    assert_int_equal(log_count("hv: iommu: DMA fault: 01:00.0 write at 0x12345000, reason 2"), 1);
    assert_int_equal(log_count("DMA fault"), 1);
    fault(0, DEV, 2, true, 0x1000);
    fault(1, DISK, 6, true, 0x2000);
    assert_int_equal(vtd_poll_faults(&vtd), 2);
    assert_int_equal(log_count("DMA fault"), 2);
    assert_int_equal(log_count("hv: iommu: DMA fault: 00:03.0 read at 0x2000, reason 6"), 1);
    assert_int_equal(vtd.faults, 4);
    assert_int_equal(vtd_poll_faults(&vtd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(enable_order),    cmocka_unit_test(host_domain),
        cmocka_unit_test(assign_unassign), cmocka_unit_test(assign_refused),
        cmocka_unit_test(hung_unit),       cmocka_unit_test(faults_logged_once),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
