/* The guest's MSRs (hv/vm/msrs.c), rule by rule: what is passed through and
 * which way (and nothing else), what #GPs both ways, the fixed APIC_BASE,
 * TSC writes that move only the offset, PAT and MTRR type checks, EFER as
 * the CPU checks it (reserved bits, SVME, LME under paging, LMA the CPU's)
 * with the bits the guest's CPUID reports, the fixed-value MSRs and the
 * Hyper-V range. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "vm/msrs.h"

#define EFER_SCE   (1ull << 0)
#define EFER_LME   (1ull << 8)
#define EFER_LMA   (1ull << 10)
#define EFER_NXE   (1ull << 11)
#define EFER_SVME  (1ull << 12)
#define EFER_FFXSR (1ull << 14)
#define EFER_TCE   (1ull << 15)
/* hv/arch/x86/vcpu.c's EFER_ALLOWED: SCE, LME, LMA, NXE, FFXSR, TCE */
#define EFER_ALLOWED (EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE | EFER_FFXSR | EFER_TCE)
#define CR0_PE       (1ull << 0)
#define CR0_PG       (1ull << 31)
#define PAT_DEFAULT  0x0007040600070406ull

static struct msr_guest g;

static int setup(void **state)
{
    (void)state;
    memset(&g, 0, sizeof(g));
    msr_guest_init(&g);
    g.efer = EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE; /* a 64-bit Linux */
    g.cr0 = CR0_PE | CR0_PG;
    g.pat = PAT_DEFAULT;
    g.host_tsc = 1000000;
    g.efer_allowed = EFER_ALLOWED;
    g.phys_bits = 40;
    return 0;
}

static uint64_t rd(uint32_t msr)
{
    uint64_t v = 0xdeadbeefcafef00dull;
    assert_int_equal(msr_access(&g, msr, false, &v), MSR_DONE);
    return v;
}

static void wr(uint32_t msr, uint64_t v)
{
    uint64_t w = v;
    assert_int_equal(msr_access(&g, msr, true, &w), MSR_DONE);
    assert_int_equal(w, v);
}

/* A refusal changes nothing: not the value, not the guest's state. */
static void gp(uint32_t msr, bool write, uint64_t v)
{
    struct msr_guest before = g;
    uint64_t w = v;
    assert_int_equal(msr_access(&g, msr, write, &w), MSR_GP);
    assert_int_equal(w, v);
    assert_memory_equal(&before, &g, sizeof(g));
}

static void gp_both(uint32_t msr)
{
    gp(msr, false, 0);
    gp(msr, true, 0);
    gp(msr, true, 0x1234);
}

/* --- the table -------------------------------------------------------------------- */

#define R  MSR_PASS_READ
#define RW (MSR_PASS_READ | MSR_PASS_WRITE)

static const struct {
    uint32_t msr;
    uint8_t pass;
} passed[] = {
    {0x10, R},        /* TSC: reads add the offset in hardware */
    {0x48, RW},       /* SPEC_CTRL */
    {0x49, RW},       /* PRED_CMD */
    {0x10a, R},       /* ARCH_CAPABILITIES */
    {0x10b, RW},      /* FLUSH_CMD */
    {0x174, RW},      /* SYSENTER_CS */
    {0x175, RW},      /* SYSENTER_ESP */
    {0x176, RW},      /* SYSENTER_EIP */
    {0xda0, RW},      /* XSS */
    {0xc0000081, RW}, /* STAR */
    {0xc0000082, RW}, /* LSTAR */
    {0xc0000083, RW}, /* CSTAR */
    {0xc0000084, RW}, /* SFMASK */
    {0xc0000100, RW}, /* FS_BASE */
    {0xc0000101, RW}, /* GS_BASE */
    {0xc0000102, RW}, /* KERNEL_GS_BASE */
    {0xc0000103, RW}, /* TSC_AUX */
};
#define NPASSED (sizeof(passed) / sizeof(passed[0]))

struct seen {
    uint32_t msr[64];
    uint8_t pass[64];
    unsigned n;
};

static void collect(void *ctx, uint32_t msr, uint8_t pass)
{
    struct seen *s = ctx;
    assert_true(s->n < 64);
    s->msr[s->n] = msr;
    s->pass[s->n] = pass;
    s->n++;
}

/* msr_each_passed names exactly the MSRs above, each once, with their bits. */
static void passed_through_exactly(void **state)
{
    (void)state;
    struct seen s = {{0}, {0}, 0};
    msr_each_passed(collect, &s);
    assert_int_equal(s.n, NPASSED);
    for (unsigned i = 0; i < NPASSED; i++) {
        unsigned found = 0;
        for (unsigned j = 0; j < s.n; j++) {
            if (s.msr[j] == passed[i].msr) {
                found++;
                assert_int_equal(s.pass[j], passed[i].pass);
            }
        }
        assert_int_equal(found, 1);
    }
}

/* Each passed-through MSR's rule carries the same bits; an exit for a
 * passed-through direction means the CPU lacks the MSR: #GP. */
static void passed_rules(void **state)
{
    (void)state;
    for (unsigned i = 0; i < NPASSED; i++) {
        const struct msr_rule *r = msr_rule(passed[i].msr);
        assert_non_null(r);
        assert_int_equal(r->pass, passed[i].pass);
        assert_non_null(r->why);
        if (passed[i].pass == RW)
            gp_both(passed[i].msr);
    }
    /* read-only pass-through: the write exits and #GPs (ARCH_CAPABILITIES) or
     * moves the TSC offset (below) */
    gp(0x10a, true, 0);
    assert_int_equal(rd(0x10a), 0);
    /* every other ruled MSR is intercepted both ways */
    static const uint32_t intercepted[] = {
        0x1b,  0x8b,  0xfe,  0x200,      0x20f,      0x250,      0x258,      0x259,      0x268,
        0x26f, 0x277, 0x2ff, 0x40000000, 0x400000ff, 0xc0000080, 0xc0010010, 0xc0010015, 0xc0010055,
    };
    for (unsigned i = 0; i < sizeof(intercepted) / sizeof(intercepted[0]); i++) {
        const struct msr_rule *r = msr_rule(intercepted[i]);
        assert_non_null(r);
        assert_int_equal(r->pass, 0);
        assert_true(strlen(r->why) > 0);
    }
}

/* MSRs the guest is not given: no rule, #GP both ways, nothing changes. */
static void unknown_msrs_gp(void **state)
{
    (void)state;
    static const uint32_t unknown[] = {
        0x1a0,      /* MISC_ENABLE */
        0xc0011020, /* LS_CFG */
        0xc0010114, /* VM_CR: the host's SVM lock */
        0xc0010117, /* VM_HSAVE_PA: the host's save area */
        0x3b,       /* TSC_ADJUST */
        0x6e0,      /* TSC_DEADLINE */
        0xc001001a, /* TOP_MEM */
        0xc001001d, /* TOP_MEM2 */
        0xc0010058, /* MMIO_CFG_BASE */
        0xc0010020, /* PATCH_LOADER */
        0x0,        0x1,        0x11,       0x79,       0x8c,       0x201 + 2 * 8,
        0x251,      0x25a,      0x267,      0x270,      0x278,      0x2fe,
        0x300,      0x800,      0x802,      0x80b,      0xc0000000, 0xc000007f,
        0xc0000085, 0xc00000ff, 0xc0000104, 0xc0010000, 0xc0010011, 0xc0010016,
        0xc0010140, 0x3fffffff, 0x40000100, 0x40000105, 0xffffffff,
    };
    for (unsigned i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
        assert_null(msr_rule(unknown[i]));
        gp_both(unknown[i]);
        gp(unknown[i], true, ~0ull);
    }
}

static void apic_base_fixed(void **state)
{
    (void)state;
    assert_int_equal(rd(MSR_APIC_BASE), GUEST_APIC_BASE);
    assert_int_equal(GUEST_APIC_BASE, 0xfee00900ull);
    wr(MSR_APIC_BASE, GUEST_APIC_BASE);                       /* Linux writes back what it read */
    gp(MSR_APIC_BASE, true, 0xfed00900);                      /* moved */
    gp(MSR_APIC_BASE, true, 0xfee00100);                      /* moved, below */
    gp(MSR_APIC_BASE, true, GUEST_APIC_BASE & ~(1ull << 11)); /* disabled */
    gp(MSR_APIC_BASE, true, GUEST_APIC_BASE | (1ull << 10));  /* x2APIC */
    gp(MSR_APIC_BASE, true, GUEST_APIC_BASE & ~(1ull << 8));  /* not the BSP */
    gp(MSR_APIC_BASE, true, GUEST_APIC_BASE | (1ull << 40));
    gp(MSR_APIC_BASE, true, 0);
    assert_int_equal(rd(MSR_APIC_BASE), GUEST_APIC_BASE);
}

/* A TSC write moves only the guest's offset: host_tsc + offset == value. */
static void tsc_write_moves_offset(void **state)
{
    (void)state;
    g.tsc_offset = 0;
    assert_int_equal(rd(MSR_TSC), 1000000);
    wr(MSR_TSC, 5);
    assert_int_equal(g.host_tsc + g.tsc_offset, 5);
    assert_int_equal(rd(MSR_TSC), 5);
    g.host_tsc += 100;
    assert_int_equal(rd(MSR_TSC), 105);
    wr(MSR_TSC, 0xffffffff00000000ull);
    assert_int_equal(g.host_tsc + g.tsc_offset, 0xffffffff00000000ull);
    assert_int_equal(rd(MSR_TSC), 0xffffffff00000000ull);
    assert_int_equal(g.host_tsc, 1000100); /* the host's TSC is untouched */
}

static void pat_types(void **state)
{
    (void)state;
    assert_int_equal(rd(MSR_PAT), PAT_DEFAULT);
    wr(MSR_PAT, 0x0001040506070001ull);
    assert_int_equal(rd(MSR_PAT), 0x0001040506070001ull);
    assert_int_equal(g.pat, 0x0001040506070001ull);
    static const uint64_t bad[] = {2, 3, 8, 0xff};
    for (unsigned b = 0; b < 8; b++) {
        for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
            gp(MSR_PAT, true, (PAT_DEFAULT & ~(0xffull << 8 * b)) | bad[i] << 8 * b);
    }
    assert_int_equal(rd(MSR_PAT), 0x0001040506070001ull);
}

static void efer_reserved_and_svme(void **state)
{
    (void)state;
    uint64_t efer = g.efer;
    assert_int_equal(rd(MSR_GUEST_EFER), efer);
    gp(MSR_GUEST_EFER, true, efer | EFER_SVME); /* the host's */
    for (unsigned b = 0; b < 64; b++) {
        if (!(EFER_ALLOWED >> b & 1))
            gp(MSR_GUEST_EFER, true, efer | 1ull << b);
    }
    wr(MSR_GUEST_EFER, efer & ~EFER_NXE);
    assert_int_equal(g.efer, efer & ~EFER_NXE);
    wr(MSR_GUEST_EFER, efer | EFER_FFXSR | EFER_TCE);
    assert_int_equal(rd(MSR_GUEST_EFER), efer | EFER_FFXSR | EFER_TCE);
    assert_false(g.efer & EFER_SVME);
}

/* LME changes only with paging off, as the CPU checks. */
static void efer_lme_and_paging(void **state)
{
    (void)state;
    /* paging on, long mode active: leaving it is #GP */
    gp(MSR_GUEST_EFER, true, g.efer & ~EFER_LME);
    gp(MSR_GUEST_EFER, true, EFER_SCE);
    /* paging on, long mode off (32-bit paging): entering it is #GP */
    g.efer = EFER_SCE;
    gp(MSR_GUEST_EFER, true, EFER_SCE | EFER_LME);
    /* paging off: both ways */
    g.cr0 = CR0_PE;
    wr(MSR_GUEST_EFER, EFER_SCE | EFER_LME);
    assert_int_equal(g.efer, EFER_SCE | EFER_LME);
    wr(MSR_GUEST_EFER, EFER_SCE);
    assert_int_equal(g.efer, EFER_SCE);
}

/* LMA is the CPU's: whatever the write says, it stays as it was. */
static void efer_lma_is_the_cpus(void **state)
{
    (void)state;
    uint64_t efer = g.efer; /* LME | LMA */
    wr(MSR_GUEST_EFER, efer & ~EFER_LMA);
    assert_int_equal(g.efer, efer);
    wr(MSR_GUEST_EFER, (efer & ~EFER_LMA) | EFER_FFXSR);
    assert_int_equal(g.efer, efer | EFER_FFXSR);
    /* paging off, LME set, LMA clear (between EFER and CR0.PG): a write of
     * LMA does not activate long mode */
    g.cr0 = CR0_PE;
    g.efer = EFER_LME;
    wr(MSR_GUEST_EFER, EFER_LME | EFER_LMA);
    assert_int_equal(g.efer, EFER_LME);
    wr(MSR_GUEST_EFER, EFER_LMA);
    assert_int_equal(g.efer, 0);
}

/* Eight valid memory types (UC, WC, WT, WP, WB), a different mix for each i. */
static uint64_t fixed_types(unsigned i)
{
    static const uint8_t types[] = {0, 1, 4, 5, 6};
    uint64_t v = 0;
    for (unsigned b = 0; b < 8; b++)
        v |= (uint64_t)types[(i * 3 + b * (i % 4 + 1)) % 5] << 8 * b;
    return v;
}

static void mtrr_shadows(void **state)
{
    (void)state;
    /* power-on: enabled, fixed enabled, write-back; fixed ranges WB; no variable ones */
    assert_int_equal(rd(MSR_MTRR_DEF), 0xc06);
    static const uint32_t fixed[] = {0x250, 0x258, 0x259, 0x268, 0x269, 0x26a,
                                     0x26b, 0x26c, 0x26d, 0x26e, 0x26f};
    for (unsigned i = 0; i < 11; i++)
        assert_int_equal(rd(fixed[i]), 0x0606060606060606ull);
    for (uint32_t m = 0x200; m < 0x210; m++)
        assert_int_equal(rd(m), 0);

    /* each one its own slot: distinct values read back */
    for (unsigned i = 0; i < 11; i++)
        wr(fixed[i], fixed_types(i));
    for (uint32_t m = 0x200; m < 0x210; m += 2) {
        wr(m, (uint64_t)(m - 0x1ff) << 24 | 6);
        wr(m + 1, 0xffff000000ull | 1ull << 11 | (uint64_t)(m - 0x1ff) << 12);
    }
    wr(MSR_MTRR_DEF, 0x800); /* enabled, UC default */
    for (unsigned i = 0; i < 11; i++)
        assert_int_equal(rd(fixed[i]), fixed_types(i));
    for (uint32_t m = 0x200; m < 0x210; m += 2) {
        assert_int_equal(rd(m), (uint64_t)(m - 0x1ff) << 24 | 6);
        assert_int_equal(rd(m + 1), 0xffff000000ull | 1ull << 11 | (uint64_t)(m - 0x1ff) << 12);
    }
    assert_int_equal(rd(MSR_MTRR_DEF), 0x800);
    assert_int_equal(g.mtrr_def, 0x800);
}

static void mtrr_refusals(void **state)
{
    (void)state;
    /* default type: reserved bits, bad types */
    gp(MSR_MTRR_DEF, true, 0xc02);
    gp(MSR_MTRR_DEF, true, 0xc03);
    gp(MSR_MTRR_DEF, true, 0xc07);
    gp(MSR_MTRR_DEF, true, 0xc06 | 1ull << 9);
    gp(MSR_MTRR_DEF, true, 0xc06 | 1ull << 12);
    gp(MSR_MTRR_DEF, true, 0xc06 | 1ull << 63);
    /* variable base: type, bits 8-11, address bits beyond phys_bits (40) */
    wr(0x200, 0xfffffff000ull | 6);
    gp(0x200, true, 0x80000000 | 2);
    gp(0x200, true, 0x80000000 | 7);
    gp(0x200, true, 0x80000000 | 0x16);
    gp(0x200, true, 0x80000006 | 1ull << 8);
    gp(0x200, true, 0x80000006 | 1ull << 11);
    gp(0x200, true, 0x80000006 | 1ull << 40);
    gp(0x20e, true, 0x80000006 | 1ull << 63);
    /* variable mask: bits 0-10, beyond phys_bits */
    wr(0x201, 0xfffffff000ull | 1ull << 11);
    gp(0x201, true, 0xff80000800ull | 6);
    gp(0x201, true, 0xff80000800ull | 1ull << 10);
    gp(0x201, true, 0xff80000800ull | 1ull << 40);
    gp(0x20f, true, 0xff80000800ull | 1ull << 52);
    /* a narrower machine: bit 36 is beyond */
    g.phys_bits = 36;
    gp(0x200, true, 0x80000006 | 1ull << 36);
    gp(0x201, true, 0xf80000800ull | 1ull << 36);
    wr(0x203, 0xff0000800ull);
    /* fixed: every byte a valid type */
    static const uint32_t fixed[] = {0x250, 0x258, 0x259, 0x268, 0x26f};
    static const uint64_t bad[] = {2, 3, 7, 8, 0xff};
    for (unsigned i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
        for (unsigned b = 0; b < 8; b++) {
            for (unsigned k = 0; k < sizeof(bad) / sizeof(bad[0]); k++)
                gp(fixed[i], true, (0x0606060606060606ull & ~(0xffull << 8 * b)) | bad[k] << 8 * b);
        }
    }
}

/* MTRRcap, HWCR, SYSCFG, the patch level and the interrupt pending message
 * read fixed values; writes #GP. */
static void fixed_reads(void **state)
{
    (void)state;
    /* WC, fixed ranges, 8 variable pairs */
    assert_int_equal(rd(MSR_MTRR_CAP), 1ull << 10 | 1ull << 8 | 8);
    assert_int_equal(rd(0xc0010015), 1ull << 24); /* HWCR: TscFreqSel */
    assert_int_equal(rd(0xc0010010), 0);          /* SYSCFG: no SME, no TOM2 */
    assert_int_equal(rd(0x8b), 0);                /* no microcode patch */
    assert_int_equal(rd(0xc0010055), 0);          /* interrupt pending message: no C1E */
    gp(MSR_MTRR_CAP, true, 1ull << 10 | 1ull << 8 | 8);
    gp(MSR_MTRR_CAP, true, 0);
    gp(0xc0010015, true, 1ull << 24);
    gp(0xc0010015, true, 0);
    gp(0xc0010010, true, 0);
    gp(0xc0010010, true, 1ull << 23); /* SYSCFG.MemEncryptionModEn */
    gp(0x8b, true, 0);
    gp(0xc0010055, true, 0);
    assert_int_equal(rd(0xc0010015), 1ull << 24);
}

/* EFER bits the guest may set follow its CPUID: SCE, LME, LMA always; NXE,
 * FFXSR, TCE and AutoIBRS only where reported; SVME never. */
static void efer_allowed_from_cpuid(void **state)
{
    (void)state;
    const struct cpuid_result none = {0, 0, 0, 0}, all = {~0u, ~0u, ~0u, ~0u};
    const uint64_t base = EFER_SCE | EFER_LME | EFER_LMA, autoibrs = 1ull << 21;
    assert_int_equal(msr_efer_allowed(0x80000000, all, all), base); /* no leaf 0x80000001 */
    assert_int_equal(msr_efer_allowed(0x80000008, none, all), base);
    assert_int_equal(msr_efer_allowed(0x80000008, all, all),
                     base | EFER_NXE | EFER_FFXSR | EFER_TCE); /* no leaf 0x80000021 */
    assert_int_equal(msr_efer_allowed(0x80000021, all, all),
                     base | EFER_NXE | EFER_FFXSR | EFER_TCE | autoibrs);
    const struct cpuid_result nx = {0, 0, 0, 1u << 20}, ffxsr = {0, 0, 0, 1u << 25},
                              tce = {0, 0, 1u << 17, 0}, ibrs = {1u << 8, 0, 0, 0};
    assert_int_equal(msr_efer_allowed(0x80000008, nx, none), base | EFER_NXE);
    assert_int_equal(msr_efer_allowed(0x80000008, ffxsr, none), base | EFER_FFXSR);
    assert_int_equal(msr_efer_allowed(0x80000008, tce, none), base | EFER_TCE);
    assert_int_equal(msr_efer_allowed(0x80000021, none, ibrs), base | autoibrs);
    assert_int_equal(msr_efer_allowed(0x80000020, none, ibrs), base);
    /* nothing else, whatever CPUID says; never SVME (the host's) */
    assert_int_equal(msr_efer_allowed(0xffffffff, all, all),
                     base | EFER_NXE | EFER_FFXSR | EFER_TCE | autoibrs);
    /* a CPU without NX: NXE #GPs */
    g.efer_allowed = msr_efer_allowed(0x80000008, none, none);
    g.efer = EFER_SCE | EFER_LME | EFER_LMA;
    gp(MSR_GUEST_EFER, true, g.efer | EFER_NXE);
    wr(MSR_GUEST_EFER, g.efer);
    g.efer_allowed = msr_efer_allowed(0x80000021, all, all);
    wr(MSR_GUEST_EFER, g.efer | autoibrs);
    assert_int_equal(g.efer, EFER_SCE | EFER_LME | EFER_LMA | autoibrs);
    gp(MSR_GUEST_EFER, true, g.efer | EFER_SVME);
}

static void hyperv_range(void **state)
{
    (void)state;
    static const uint32_t hv[] = {0x40000000, 0x40000001, 0x40000073, 0x40000090, 0x400000ff};
    for (unsigned i = 0; i < sizeof(hv) / sizeof(hv[0]); i++) {
        struct msr_guest before = g;
        uint64_t v = 0x77;
        assert_int_equal(msr_access(&g, hv[i], false, &v), MSR_HYPERV);
        assert_int_equal(v, 0x77);
        assert_int_equal(msr_access(&g, hv[i], true, &v), MSR_HYPERV);
        assert_memory_equal(&before, &g, sizeof(g));
    }
    assert_null(msr_rule(0x3fffffff));
    assert_null(msr_rule(0x40000100));
}

int main(void)
{
#define T(f) cmocka_unit_test_setup(f, setup)
    const struct CMUnitTest tests[] = {
        T(passed_through_exactly),  T(passed_rules),
        T(unknown_msrs_gp),         T(apic_base_fixed),
        T(tsc_write_moves_offset),  T(pat_types),
        T(efer_reserved_and_svme),  T(efer_lme_and_paging),
        T(efer_lma_is_the_cpus),    T(mtrr_shadows),
        T(mtrr_refusals),           T(fixed_reads),
        T(efer_allowed_from_cpuid), T(hyperv_range),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
