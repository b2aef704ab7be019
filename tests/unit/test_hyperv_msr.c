/* Hyper-V CPUID leaves and synthetic MSRs over a fake guest RAM: every
 * register's read/write rules, each #GP case, the log-once rule, and the exact
 * access sequence a Linux 6.1 guest performs (contract §2.2). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "hyperv/hv_wire.h"
#include "hyperv/hyperv.h"
#include "hyperv/reftime.h"

#include "fixture.h"

#define RAM_SIZE (256u * 1024)
#define TSC_HZ   2445000000ull
#define APIC_HZ  1000000000ull
#define START    5000000000ull

static struct fake *make(uint64_t apic_hz)
{
    struct fake *f = fake_new(RAM_SIZE, 0xA5);
    f->tsc = START;
    struct hyperv_platform plat = fake_platform(f, 1, TSC_HZ, START, apic_hz);
    plat.host_vectors[0] = 0xF5;
    plat.host_vectors[1] = 0xFF;
    assert_int_equal(hyperv_init(&f->p, &f->gm, &plat), 0);
    log_reset();
    return f;
}

static int setup(void **state)
{
    *state = make(APIC_HZ);
    return 0;
}

static uint64_t rd(struct fake *f, uint32_t msr)
{
    uint64_t v = 0xDEAD;
    assert_int_equal(hyperv_msr_read(&f->p, 0, msr, &v), HV_MSR_OK);
    return v;
}

static void wr(struct fake *f, uint32_t msr, uint64_t v)
{
    assert_int_equal(hyperv_msr_write(&f->p, 0, msr, v), HV_MSR_OK);
}

static void wr_gp(struct fake *f, uint32_t msr, uint64_t v)
{
    assert_int_equal(hyperv_msr_write(&f->p, 0, msr, v), HV_MSR_GP);
}

static void rd_gp(struct fake *f, uint32_t msr)
{
    uint64_t v = 0x1234;
    assert_int_equal(hyperv_msr_read(&f->p, 0, msr, &v), HV_MSR_GP);
    assert_true(v == 0x1234); /* nothing written on refusal */
}

/* --- CPUID ------------------------------------------------------------------ */

static struct hyperv_cpuid_regs leaf(struct fake *f, uint32_t l)
{
    struct hyperv_cpuid_regs r = {~0u, ~0u, ~0u, ~0u};
    assert_true(hyperv_cpuid(&f->p, l, &r));
    return r;
}

static void cpuid_identity(void **state)
{
    struct fake *f = *state;
    struct hyperv_cpuid_regs r = leaf(f, 0x40000000);
    assert_int_equal(r.eax, 0x4000000A);
    char vendor[13] = {0};
    memcpy(vendor, &r.ebx, 4);
    memcpy(vendor + 4, &r.ecx, 4);
    memcpy(vendor + 8, &r.edx, 4);
    assert_string_equal(vendor, "Microsoft Hv");
    r = leaf(f, 0x40000001);
    assert_memory_equal(&r.eax, "Hv#1", 4);
    assert_int_equal(r.ebx | r.ecx | r.edx, 0);
    r = leaf(f, 0x40000002);
    assert_int_equal(r.eax, 20348);
    assert_int_equal(r.ebx, 0x000A0000);
    r = leaf(f, 0x40000005);
    assert_int_equal(r.eax, 1);
}

static void cpuid_features_exact(void **state)
{
    struct fake *f = *state;
    struct hyperv_cpuid_regs r = leaf(f, 0x40000003);
    /* bits 1,2,5,6,9,11: time ref, SynIC, hypercall, VP index, TSC page, freq */
    assert_int_equal(r.eax, 0xA66);
    assert_int_equal(r.ebx, 0x30); /* PostMessages, SignalEvents */
    assert_int_equal(r.ecx, 0);
    assert_int_equal(r.edx, 0x100);
    /* the traps: never AccessPartitionId, CpuManagement, ext hypercalls, isolation */
    assert_int_equal(r.ebx & ((1u << 1) | (1u << 12) | (1u << 20) | (1u << 22)), 0);
    /* nor stimers, APIC MSRs, TSC invariance, crash MSRs, stimer direct */
    assert_int_equal(r.eax & ((1u << 3) | (1u << 4) | (1u << 15)), 0);
    assert_int_equal(r.edx & ((1u << 10) | (1u << 19)), 0);
    r = leaf(f, 0x40000004);
    assert_int_equal(r.eax, 0x200); /* deprecate AutoEOI only; no nested (12), no MMIO hc (21) */
    assert_int_equal(r.ebx, 0xFFFFFFFF);
    assert_int_equal(r.ecx | r.edx, 0);
}

static void cpuid_without_apic_clock(void **state)
{
    (void)state;
    struct fake *f = make(0);
    struct hyperv_cpuid_regs r = leaf(f, 0x40000003);
    assert_int_equal(r.eax, 0x266);
    assert_int_equal(r.edx, 0);
    rd_gp(f, HV_MSR_TSC_FREQUENCY);
    rd_gp(f, HV_MSR_APIC_FREQUENCY);
    wr_gp(f, HV_MSR_TSC_FREQUENCY, 1);
    assert_int_equal(log_count("not implemented"), 3);
    fake_free(f);
}

static void cpuid_range(void **state)
{
    struct fake *f = *state;
    for (uint32_t l = 0x40000006; l <= 0x4000000A; l++) {
        struct hyperv_cpuid_regs r = leaf(f, l);
        assert_int_equal(r.eax | r.ebx | r.ecx | r.edx, 0);
    }
    const uint32_t not_ours[] = {0x3FFFFFFF, 0x4000000B, 0x40000081, 0x40000100, 0x4FFFFFFF, 0, 1};
    for (unsigned i = 0; i < sizeof(not_ours) / sizeof(not_ours[0]); i++) {
        struct hyperv_cpuid_regs r = {1, 2, 3, 4};
        assert_false(hyperv_cpuid(&f->p, not_ours[i], &r));
        assert_int_equal(r.eax, 1);
        assert_int_equal(r.edx, 4);
    }
}

/* --- MSRs ------------------------------------------------------------------- */

static void guest_os_id(void **state)
{
    struct fake *f = *state;
    assert_true(rd(f, HV_MSR_GUEST_OS_ID) == 0);
    wr(f, HV_MSR_GUEST_OS_ID, 0x8100000601C00000ull);
    assert_true(rd(f, HV_MSR_GUEST_OS_ID) == 0x8100000601C00000ull);
}

static const uint8_t stub[] = {0xF3, 0x0F, 0x1E, 0xFA, 0x0F, 0x01, 0xD9, 0xC3};

static void hypercall_page(void **state)
{
    struct fake *f = *state;
    uint64_t gpa = 0x3000;
    /* before the guest OS id: the enabling write is ignored (TLFS, KVM) */
    wr(f, HV_MSR_HYPERCALL, gpa | 1);
    assert_true(rd(f, HV_MSR_HYPERCALL) == 0);
    assert_int_equal(f->gm.host[gpa], 0xA5);
    assert_true(f->p.n.hypercall_ignored == 1);
    assert_int_equal(log_count("hypercall page enable ignored"), 1);

    wr(f, HV_MSR_GUEST_OS_ID, 0x8100000601C00000ull);
    wr(f, HV_MSR_HYPERCALL, gpa | 1);
    assert_true(rd(f, HV_MSR_HYPERCALL) == (gpa | 1)); /* hv_vmbus needs enable=1 back */
    assert_memory_equal(f->gm.host + gpa, stub, sizeof(stub));
    assert_int_equal(f->gm.host[gpa + sizeof(stub)], 0xA5); /* rest untouched */

    /* reserved bits 11:2, a page outside guest RAM: #GP, value unchanged */
    for (unsigned b = 2; b < 12; b++)
        wr_gp(f, HV_MSR_HYPERCALL, 0x5000 | 1 | (1ull << b));
    wr_gp(f, HV_MSR_HYPERCALL, RAM_SIZE | 1);
    wr_gp(f, HV_MSR_HYPERCALL, 0xFFFFFFFFFFFFF001ull);
    assert_true(rd(f, HV_MSR_HYPERCALL) == (gpa | 1));
    /* the last page of RAM is fine; disabling keeps any address */
    wr(f, HV_MSR_HYPERCALL, (RAM_SIZE - PAGE_SIZE) | 1);
    assert_memory_equal(f->gm.host + RAM_SIZE - PAGE_SIZE, stub, sizeof(stub));
    wr(f, HV_MSR_HYPERCALL, 0xFFFFFFFFFFFFF000ull);
    assert_true(rd(f, HV_MSR_HYPERCALL) == 0xFFFFFFFFFFFFF000ull);

    /* GUEST_OS_ID = 0 (kexec) turns the page off */
    wr(f, HV_MSR_HYPERCALL, gpa | 1);
    wr(f, HV_MSR_GUEST_OS_ID, 0);
    assert_true(rd(f, HV_MSR_HYPERCALL) == gpa);
}

static void hypercall_locked(void **state)
{
    struct fake *f = *state;
    wr(f, HV_MSR_GUEST_OS_ID, 1);
    wr(f, HV_MSR_HYPERCALL, 0x4000 | 2 | 1);
    assert_true(rd(f, HV_MSR_HYPERCALL) == 0x4003);
    wr(f, HV_MSR_HYPERCALL, 0x4003); /* the same value: harmless */
    wr_gp(f, HV_MSR_HYPERCALL, 0x4001);
    wr_gp(f, HV_MSR_HYPERCALL, 0x5003);
    wr_gp(f, HV_MSR_HYPERCALL, 0);
    assert_true(rd(f, HV_MSR_HYPERCALL) == 0x4003);
    assert_int_equal(log_count("0x40000001"), 1); /* three refusals, one line */
}

static void read_only(void **state)
{
    struct fake *f = *state;
    assert_true(rd(f, HV_MSR_VP_INDEX) == 0);
    assert_true(rd(f, HV_MSR_SVERSION) == 1);
    assert_true(rd(f, HV_MSR_TSC_FREQUENCY) == TSC_HZ);
    assert_true(rd(f, HV_MSR_APIC_FREQUENCY) == APIC_HZ);
    const uint32_t ro[] = {HV_MSR_VP_INDEX, HV_MSR_TIME_REF_COUNT, HV_MSR_SVERSION,
                           HV_MSR_TSC_FREQUENCY, HV_MSR_APIC_FREQUENCY};
    for (unsigned i = 0; i < sizeof(ro) / sizeof(ro[0]); i++) {
        wr_gp(f, ro[i], 0);
        wr_gp(f, ro[i], 1);
    }
    assert_true(rd(f, HV_MSR_VP_INDEX) == 0);
    assert_true(f->p.n.msr_gp == 10);
}

static void time_ref_count(void **state)
{
    struct fake *f = *state;
    assert_true(rd(f, HV_MSR_TIME_REF_COUNT) == 0);
    f->tsc = START + TSC_HZ; /* one second */
    uint64_t t = rd(f, HV_MSR_TIME_REF_COUNT);
    assert_true(t >= 10000000 - 2 && t <= 10000000);
    f->tsc = START + TSC_HZ / 2; /* the TSC going back must not move the clock back */
    assert_true(rd(f, HV_MSR_TIME_REF_COUNT) == t);
    f->tsc = START - 1;
    assert_true(rd(f, HV_MSR_TIME_REF_COUNT) == t);
    f->tsc = START + TSC_HZ * 86400ull * 3653; /* ten years */
    t = rd(f, HV_MSR_TIME_REF_COUNT);
    assert_true(t >= 86400ull * 3653 * 10000000 - 2 && t <= 86400ull * 3653 * 10000000);
}

static void reference_tsc_page(void **state)
{
    struct fake *f = *state;
    uint64_t gpa = 0x7000;
    assert_true(rd(f, HV_MSR_REFERENCE_TSC) == 0);
    wr(f, HV_MSR_REFERENCE_TSC, gpa | 1);
    assert_true(rd(f, HV_MSR_REFERENCE_TSC) == (gpa | 1));
    const struct hv_ref_tsc_page *pg = (const void *)(f->gm.host + gpa);
    uint32_t seq = pg->sequence;
    assert_true(seq != 0 && seq != 0xFFFFFFFFu);
    assert_true(pg->scale == reftime_scale(TSC_HZ));
    assert_true(pg->reserved == 0);
    /* what the guest computes from the page equals the MSR, at any time */
    const uint64_t at[] = {START, START + 1, START + TSC_HZ, START + TSC_HZ * 3600 * 24 * 400,
                           ~0ull};
    for (unsigned i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
        f->tsc = at[i];
        uint64_t page_time = reftime_mulhi(f->tsc, pg->scale) + (uint64_t)pg->offset;
        assert_true(page_time == rd(f, HV_MSR_TIME_REF_COUNT));
    }
    /* re-enabling (e.g. after resume) publishes a new sequence */
    wr(f, HV_MSR_REFERENCE_TSC, gpa);
    assert_true(pg->sequence == seq); /* disabling leaves the page alone */
    wr(f, HV_MSR_REFERENCE_TSC, 0x9000 | 1);
    const struct hv_ref_tsc_page *pg2 = (const void *)(f->gm.host + 0x9000);
    assert_true(pg2->sequence != 0 && pg2->sequence != seq);
    /* the sequence never becomes 0 (invalid) or ~0 when it wraps */
    f->p.tsc_sequence = 0xFFFFFFFEu;
    wr(f, HV_MSR_REFERENCE_TSC, 0x9000 | 1);
    assert_int_equal(pg2->sequence, 1);
    wr(f, HV_MSR_REFERENCE_TSC, 0x9000 | 1);
    assert_int_equal(pg2->sequence, 2);
    for (unsigned b = 1; b < 12; b++)
        wr_gp(f, HV_MSR_REFERENCE_TSC, gpa | 1 | (1ull << b));
    wr_gp(f, HV_MSR_REFERENCE_TSC, RAM_SIZE | 1);
    wr_gp(f, HV_MSR_REFERENCE_TSC, 0x8000000000000001ull);
    assert_true(rd(f, HV_MSR_REFERENCE_TSC) == (0x9000 | 1));
}

static void vp_assist(void **state)
{
    struct fake *f = *state;
    wr(f, HV_MSR_VP_ASSIST_PAGE, 0x2000 | 1); /* Linux writes it unadvertised */
    assert_true(rd(f, HV_MSR_VP_ASSIST_PAGE) == 0x2001);
    assert_int_equal(f->gm.host[0x2000], 0xA5); /* stored, page not touched */
    wr_gp(f, HV_MSR_VP_ASSIST_PAGE, 0x2000 | 1 | 4);
    wr_gp(f, HV_MSR_VP_ASSIST_PAGE, (RAM_SIZE + 0x1000) | 1);
    wr(f, HV_MSR_VP_ASSIST_PAGE, 0); /* CPU offline */
    assert_true(rd(f, HV_MSR_VP_ASSIST_PAGE) == 0);
}

static void synic_registers(void **state)
{
    struct fake *f = *state;
    assert_true(rd(f, HV_MSR_SCONTROL) == 0);
    assert_true(rd(f, HV_MSR_SIEFP) == 0);
    assert_true(rd(f, HV_MSR_SIMP) == 0);
    for (uint32_t m = HV_MSR_SINT0; m <= HV_MSR_SINT15; m++)
        assert_true(rd(f, m) == 0x10000); /* reset: masked, vector 0 */

    wr(f, HV_MSR_SCONTROL, 1);
    assert_true(rd(f, HV_MSR_SCONTROL) == 1);
    wr_gp(f, HV_MSR_SCONTROL, 3);
    wr_gp(f, HV_MSR_SCONTROL, 1ull << 63);

    uint32_t pages[] = {HV_MSR_SIEFP, HV_MSR_SIMP};
    for (unsigned i = 0; i < 2; i++) {
        wr(f, pages[i], 0x10000 | 1);
        assert_true(rd(f, pages[i]) == 0x10001);
        wr_gp(f, pages[i], 0x10000 | 1 | 0x800);
        wr_gp(f, pages[i], RAM_SIZE | 1);
        assert_true(rd(f, pages[i]) == 0x10001);
        wr(f, pages[i], 0xFFFFF000); /* disabled: any address is just stored */
        assert_true(rd(f, pages[i]) == 0xFFFFF000);
    }
    /* EOM is write-only, any value */
    rd_gp(f, HV_MSR_EOM);
    wr(f, HV_MSR_EOM, 0);
    wr(f, HV_MSR_EOM, ~0ull);
}

static void sint_rules(void **state)
{
    struct fake *f = *state;
    wr(f, HV_MSR_SINT0 + 2, 0xF3); /* what Linux writes with hint 9 */
    assert_true(rd(f, HV_MSR_SINT0 + 2) == 0xF3);
    wr(f, HV_MSR_SINT0 + 2, 0x10000 | 0xF3);
    wr(f, HV_MSR_SINT0 + 3, 0x10000); /* masked with vector 0 is the reset value */
    wr(f, HV_MSR_SINT0 + 4, 0x20);    /* 32: the first vector we allow */
    wr_gp(f, HV_MSR_SINT0 + 4, 0x0F);
    wr_gp(f, HV_MSR_SINT0 + 4, 0x00);
    wr_gp(f, HV_MSR_SINT0 + 4, 0x100 | 0xF3);        /* bits 15:8 */
    wr_gp(f, HV_MSR_SINT0 + 4, (1ull << 18) | 0xF3); /* polling: not offered */
    wr_gp(f, HV_MSR_SINT0 + 4, (1ull << 19) | 0xF3);
    wr_gp(f, HV_MSR_SINT0 + 4, (1ull << 63) | 0xF3);
    assert_true(rd(f, HV_MSR_SINT0 + 4) == 0x20);
    /* AutoEOI: stored (TLFS), warned about once, not emulated */
    wr(f, HV_MSR_SINT0 + 5, (1ull << 17) | 0xF3);
    wr(f, HV_MSR_SINT0 + 6, (1ull << 17) | 0xF3);
    assert_true(rd(f, HV_MSR_SINT0 + 5) == ((1ull << 17) | 0xF3));
    assert_int_equal(log_count("AutoEOI"), 1);
}

/* Unmasked, a SINT may not name an exception vector (0-15: TLFS; 16-31: ours)
 * nor one of the host's (here 0xF5 and 0xFF, as the glue names its timer and
 * the LAPIC spurious vector): #GP, nothing stored, one line per kind. Masked,
 * any vector may sit there; unmasking is a write, checked the same way. */
static void sint_vectors_the_guest_may_not_have(void **state)
{
    struct fake *f = *state;
    static const uint8_t refused[] = {0x00, 0x0F, 0x10, 0x12, 0x1F, 0xF5, 0xFF};
    for (unsigned s = 0; s < HV_SINT_COUNT; s++) {
        for (unsigned i = 0; i < sizeof(refused); i++) {
            wr_gp(f, HV_MSR_SINT0 + 2, refused[i]);
            wr_gp(f, HV_MSR_SINT0 + 2, (1ull << 17) | refused[i]); /* AutoEOI changes nothing */
        }
    }
    assert_true(rd(f, HV_MSR_SINT0 + 2) == HV_SINT_RESET);
    assert_true(f->p.n.msr_gp == 2 * HV_SINT_COUNT * sizeof(refused));
    assert_int_equal(log_count("hv: hyperv: "), 3); /* one line per kind */
    assert_int_equal(log_count("hv: hyperv: wrmsr 0x40000092 value 0x0 refused with #GP: unmasked "
                               "with vector below 16\n"),
                     1);
    assert_int_equal(log_count("hv: hyperv: wrmsr 0x40000092 value 0x10 refused with #GP: unmasked "
                               "with an exception vector (16-31)\n"),
                     1);
    assert_int_equal(log_count("hv: hyperv: wrmsr 0x40000092 value 0xf5 refused with #GP: unmasked "
                               "with a vector the host owns\n"),
                     1);
    /* the neighbours are the guest's; masked, anything may be stored */
    wr(f, HV_MSR_SINT0 + 2, 0x20);
    wr(f, HV_MSR_SINT0 + 3, 0xF4);
    wr(f, HV_MSR_SINT0 + 4, 0xF6);
    wr(f, HV_MSR_SINT0 + 5, 0xFE);
    wr(f, HV_MSR_SINT0 + 6, HV_SINT_MASKED | 0xF5);
    wr(f, HV_MSR_SINT0 + 7, HV_SINT_MASKED | 0x1F);
    wr_gp(f, HV_MSR_SINT0 + 6, 0xF5); /* but unmasking it is refused */
    assert_true(rd(f, HV_MSR_SINT0 + 6) == (HV_SINT_MASKED | 0xF5));
    /* the Linux value is fine, and no host vector list means only 0-31 are refused */
    wr(f, HV_MSR_SINT0 + 2, 0xF3);
    f->p.plat.host_vectors[0] = f->p.plat.host_vectors[1] = 0;
    wr(f, HV_MSR_SINT0 + 8, 0xF5);
    wr(f, HV_MSR_SINT0 + 9, 0xFF);
    wr_gp(f, HV_MSR_SINT0 + 10, 0x1F);
}

static void unknown_and_foreign(void **state)
{
    struct fake *f = *state;
    /* synthetic MSRs we do not implement: #GP both ways */
    const uint32_t gp[] = {0x40000003, 0x40000010, 0x40000074, 0x40000085, 0x400000A0, 0x400000B0,
                           0x400000B1, 0x400000F0, 0x40000100, 0x40000105, 0x40000118, 0x400001FF};
    for (unsigned i = 0; i < sizeof(gp) / sizeof(gp[0]); i++) {
        rd_gp(f, gp[i]);
        wr_gp(f, gp[i], 0);
    }
    assert_true(f->p.n.msr_read[HV_MSRK_UNKNOWN] == sizeof(gp) / sizeof(gp[0]));
    /* not Hyper-V's: the glue decides, nothing counted */
    uint64_t before = f->p.n.msr_gp;
    const uint32_t foreign[] = {0x3FFFFFFF, 0x40000200, 0x4B564D00, 0xC0000080, 0x10};
    for (unsigned i = 0; i < sizeof(foreign) / sizeof(foreign[0]); i++) {
        uint64_t v = 7;
        assert_int_equal(hyperv_msr_read(&f->p, 0, foreign[i], &v), HV_MSR_UNHANDLED);
        assert_true(v == 7);
        assert_int_equal(hyperv_msr_write(&f->p, 0, foreign[i], 1), HV_MSR_UNHANDLED);
    }
    assert_true(f->p.n.msr_gp == before);
}

static void refusals_logged_once(void **state)
{
    struct fake *f = *state;
    for (int i = 0; i < 5; i++) {
        wr_gp(f, HV_MSR_VP_INDEX, 5);
        rd_gp(f, HV_MSR_EOM);
    }
    assert_int_equal(log_count("wrmsr 0x40000002"), 1);
    assert_int_equal(log_count("rdmsr 0x40000084"), 1);
    assert_int_equal(log_count("hv: hyperv: "), 2);
    assert_true(f->p.n.msr_gp == 10);
    /* a flood of distinct MSRs: logging stops, counting does not */
    for (uint32_t m = 0x40000100; m < 0x40000140; m++)
        wr_gp(f, m, 0);
    assert_int_equal(log_count("hv: hyperv: "), HV_REFUSALS_LOGGED);
    assert_int_equal(log_count("further MSRs not reported"), 1);
    assert_true(f->p.n.msr_gp == 10 + 0x40);
}

/* Contract §2.2: what Linux 6.1 does, in order, on one CPU, then hv_vmbus. */
static void linux_boot_sequence(void **state)
{
    struct fake *f = *state;
    uint64_t v;
    v = rd(f, HV_MSR_APIC_FREQUENCY);
    assert_true(v / 250 == 4000000); /* "LAPIC Timer Frequency: 0x3d0900" */
    v = rd(f, HV_MSR_REFERENCE_TSC);
    wr(f, HV_MSR_REFERENCE_TSC, (v & 0xFFE) | 0x20000 | 1);
    assert_true(((const struct hv_ref_tsc_page *)(f->gm.host + 0x20000))->sequence != 0);
    assert_true(rd(f, HV_MSR_TSC_FREQUENCY) == TSC_HZ);
    assert_true(rd(f, HV_MSR_TSC_FREQUENCY) == TSC_HZ);
    assert_true(rd(f, HV_MSR_VP_INDEX) == 0);
    wr(f, HV_MSR_VP_ASSIST_PAGE, 0x21000 | 1);
    wr(f, HV_MSR_GUEST_OS_ID, 0x8100000601C00000ull);
    v = rd(f, HV_MSR_HYPERCALL);
    wr(f, HV_MSR_HYPERCALL, (v & 0xFFE) | 0x22000 | 1);
    assert_true(rd(f, HV_MSR_HYPERCALL) & 1);
    assert_memory_equal(f->gm.host + 0x22000, stub, sizeof(stub));
    /* hv_vmbus */
    v = rd(f, HV_MSR_SIMP);
    wr(f, HV_MSR_SIMP, (v & 0xFFE) | 0x23000 | 1);
    v = rd(f, HV_MSR_SIEFP);
    wr(f, HV_MSR_SIEFP, (v & 0xFFE) | 0x24000 | 1);
    v = rd(f, HV_MSR_SINT0 + 2);
    wr(f, HV_MSR_SINT0 + 2, (v & ~0x300FFull) | 0xF3); /* vector, masked=0, auto_eoi=0 */
    v = rd(f, HV_MSR_SCONTROL);
    wr(f, HV_MSR_SCONTROL, v | 1);
    assert_true(f->p.n.msr_gp == 0);
    assert_int_equal(loglen, 0); /* a clean boot logs nothing */
    /* and the disable path */
    wr(f, HV_MSR_SINT0 + 2, rd(f, HV_MSR_SINT0 + 2) | 0x10000);
    wr(f, HV_MSR_SIMP, rd(f, HV_MSR_SIMP) & 0xFFE);
    wr(f, HV_MSR_SIEFP, rd(f, HV_MSR_SIEFP) & 0xFFE);
    wr(f, HV_MSR_SCONTROL, rd(f, HV_MSR_SCONTROL) & ~1ull);
    wr(f, HV_MSR_GUEST_OS_ID, 0);
    wr(f, HV_MSR_HYPERCALL, rd(f, HV_MSR_HYPERCALL) & ~1ull);
    wr(f, HV_MSR_REFERENCE_TSC, rd(f, HV_MSR_REFERENCE_TSC) & ~1ull);
    assert_true(f->p.n.msr_gp == 0);
    assert_true(f->p.n.msr_write[HV_MSRK_SYNIC] == 6);
    assert_true(f->p.n.msr_read[HV_MSRK_SINT] == 2);
}

static void init_refuses_unusable_platform(void **state)
{
    (void)state;
    struct hyperv_partition *p = malloc(sizeof(*p));
    struct guest_mem gm = {NULL, 0};
    struct hyperv_platform ok = fake_platform(NULL, 1, TSC_HZ, 0, APIC_HZ);
    struct hyperv_platform slow = ok, notsc = ok, noraise = ok;
    slow.tsc_hz = 10000000;
    notsc.tsc = NULL;
    noraise.raise = NULL;
    assert_int_equal(hyperv_init(p, &gm, &ok), 0);
    assert_int_equal(hyperv_init(p, &gm, &slow), -1);
    assert_int_equal(hyperv_init(p, &gm, &notsc), -1);
    assert_int_equal(hyperv_init(p, &gm, &noraise), -1);
    assert_int_equal(hyperv_init(p, NULL, &ok), -1);
    struct hyperv_platform vps = ok;
    vps.vp_count = 0;
    assert_int_equal(hyperv_init(p, &gm, &vps), -1);
    vps.vp_count = HV_VP_MAX + 1;
    assert_int_equal(hyperv_init(p, &gm, &vps), -1);
    vps.vp_count = HV_VP_MAX;
    assert_int_equal(hyperv_init(p, &gm, &vps), 0);
    free(p);
}

/* --- several VPs ---------------------------------------------------------------- */

/* What the glue's APIC MSR handler saw, and what it answers. */
static struct {
    unsigned calls;
    uint32_t vp, msr;
    bool write, locked; /* locked: the partition lock was held during the call */
    uint64_t val, answer;
    int rc;
} apic;

static int apic_msr(void *ctx, uint32_t vp, uint32_t msr, bool write, uint64_t *val)
{
    struct fake *f = ctx;
    apic.calls++;
    apic.vp = vp;
    apic.msr = msr;
    apic.write = write;
    apic.locked = !spin_trylock(&f->p.lock);
    if (!apic.locked)
        spin_unlock(&f->p.lock);
    if (write)
        apic.val = *val;
    else if (apic.rc == HV_MSR_OK)
        *val = apic.answer;
    return apic.rc;
}

static struct fake *make_vps(uint32_t vp_count, bool with_apic)
{
    struct fake *f = fake_new(RAM_SIZE, 0xA5);
    struct hyperv_platform plat = fake_platform(f, vp_count, TSC_HZ, 0, APIC_HZ);
    if (with_apic)
        plat.apic_msr = apic_msr;
    assert_int_equal(hyperv_init(&f->p, &f->gm, &plat), 0);
    memset(&apic, 0, sizeof(apic));
    log_reset();
    return f;
}

static void cpuid_counts_vps(void **state)
{
    (void)state;
    for (uint32_t n = 1; n <= HV_VP_MAX; n++) {
        struct fake *f = make_vps(n, false);
        struct hyperv_cpuid_regs r = leaf(f, 0x40000005);
        assert_int_equal(r.eax, n); /* max VPs */
        assert_int_equal(r.ebx, n); /* logical processors */
        assert_int_equal(r.ecx | r.edx, 0);
        fake_free(f);
    }
}

/* VP_INDEX and VP_ASSIST_PAGE are each VP's; GUEST_OS_ID and HYPERCALL the
 * partition's. */
static void per_vp_msrs(void **state)
{
    (void)state;
    struct fake *f = make_vps(4, false);
    for (uint32_t vp = 0; vp < 4; vp++) {
        uint64_t v = ~0ull;
        assert_int_equal(hyperv_msr_read(&f->p, vp, HV_MSR_VP_INDEX, &v), HV_MSR_OK);
        assert_true(v == vp);
        assert_int_equal(
            hyperv_msr_write(&f->p, vp, HV_MSR_VP_ASSIST_PAGE, (0x2000 + vp * 0x1000) | 1),
            HV_MSR_OK);
    }
    for (uint32_t vp = 0; vp < 4; vp++) {
        uint64_t v = 0;
        assert_int_equal(hyperv_msr_read(&f->p, vp, HV_MSR_VP_ASSIST_PAGE, &v), HV_MSR_OK);
        assert_true(v == ((0x2000 + vp * 0x1000) | 1));
    }
    assert_int_equal(hyperv_msr_write(&f->p, 2, HV_MSR_GUEST_OS_ID, 0x8100000601C00000ull),
                     HV_MSR_OK);
    assert_int_equal(hyperv_msr_write(&f->p, 3, HV_MSR_HYPERCALL, 0x1000 | 1), HV_MSR_OK);
    uint64_t v = 0;
    assert_int_equal(hyperv_msr_read(&f->p, 0, HV_MSR_HYPERCALL, &v), HV_MSR_OK);
    assert_true(v == (0x1000 | 1));
    assert_true(hyperv_hypercall_permitted(&f->p, 0, true));
    /* a VP the partition lacks: #GP, nothing stored */
    assert_int_equal(hyperv_msr_read(&f->p, 4, HV_MSR_VP_INDEX, &v), HV_MSR_GP);
    assert_int_equal(hyperv_msr_write(&f->p, 4, HV_MSR_SCONTROL, 1), HV_MSR_GP);
    assert_int_equal(hyperv_msr_write(&f->p, HV_VP_MAX, HV_MSR_SCONTROL, 1), HV_MSR_GP);
    assert_int_equal(log_count("no such VP"), 2); /* per direction, once */
    fake_free(f);
}

/* EOI, ICR, TPR go to the glue's apic_msr, unlocked, with the VP; the CPUID
 * bits offer them only then. */
static void apic_msrs_routed(void **state)
{
    (void)state;
    struct fake *f = make_vps(2, true);
    assert_int_equal(leaf(f, 0x40000003).eax, 0xA66 | (1u << 4));
    assert_int_equal(leaf(f, 0x40000004).eax, 0x200 | (1u << 3));
    /* Linux's hv_apic_icr_write: destination in 63:56, the low word below */
    uint64_t icr = (1ull << 56) | 0x4500;
    assert_int_equal(hyperv_msr_write(&f->p, 1, HV_MSR_ICR, icr), HV_MSR_OK);
    assert_int_equal(apic.calls, 1);
    assert_true(apic.vp == 1 && apic.msr == HV_MSR_ICR && apic.write && apic.val == icr);
    assert_false(apic.locked);
    apic.answer = 0x10;
    uint64_t v = 0;
    assert_int_equal(hyperv_msr_read(&f->p, 0, HV_MSR_TPR, &v), HV_MSR_OK);
    assert_true(apic.vp == 0 && apic.msr == HV_MSR_TPR && !apic.write && v == 0x10);
    assert_int_equal(hyperv_msr_write(&f->p, 0, HV_MSR_EOI, 0), HV_MSR_OK);
    assert_true(apic.msr == HV_MSR_EOI && apic.write);
    assert_true(f->p.n.msr_write[HV_MSRK_APIC] == 2 && f->p.n.msr_read[HV_MSRK_APIC] == 1);
    /* the glue refuses: #GP, logged once */
    apic.rc = HV_MSR_GP;
    v = 0x77;
    assert_int_equal(hyperv_msr_read(&f->p, 1, HV_MSR_ICR, &v), HV_MSR_GP);
    assert_true(v == 0x77);
    assert_int_equal(hyperv_msr_read(&f->p, 1, HV_MSR_ICR, &v), HV_MSR_GP);
    assert_int_equal(log_count("rdmsr 0x40000071 refused with #GP: refused by the APIC glue"), 1);
    /* never for a VP the partition lacks */
    unsigned calls = apic.calls;
    assert_int_equal(hyperv_msr_write(&f->p, 2, HV_MSR_EOI, 0), HV_MSR_GP);
    assert_int_equal(apic.calls, calls);
    assert_true(f->p.n.msr_gp == 3);
    fake_free(f);

    /* no handler: #GP both ways, and CPUID does not offer them */
    f = make_vps(2, false);
    assert_int_equal(leaf(f, 0x40000003).eax & (1u << 4), 0);
    assert_int_equal(leaf(f, 0x40000004).eax & (1u << 3), 0);
    for (uint32_t m = HV_MSR_EOI; m <= HV_MSR_TPR; m++) {
        assert_int_equal(hyperv_msr_read(&f->p, 0, m, &v), HV_MSR_GP);
        assert_int_equal(hyperv_msr_write(&f->p, 1, m, 0), HV_MSR_GP);
    }
    assert_int_equal(log_count("not implemented"), 6);
    assert_int_equal(apic.calls, 0);
    fake_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(cpuid_identity, setup, fake_teardown),
        cmocka_unit_test_setup_teardown(cpuid_features_exact, setup, fake_teardown),
        cmocka_unit_test(cpuid_without_apic_clock),
        cmocka_unit_test_setup_teardown(cpuid_range, setup, fake_teardown),
        cmocka_unit_test_setup_teardown(guest_os_id, setup, fake_teardown),
        cmocka_unit_test_setup_teardown(hypercall_page, setup, fake_teardown),
        cmocka_unit_test_setup_teardown(hypercall_locked, setup, fake_teardown),
        cmocka_unit_test_setup_teardown(read_only, setup, fake_teardown),
        cmocka_unit_test_setup_teardown(time_ref_count, setup, fake_teardown),
        cmocka_unit_test_setup_teardown(reference_tsc_page, setup, fake_teardown),
        cmocka_unit_test_setup_teardown(vp_assist, setup, fake_teardown),
        cmocka_unit_test_setup_teardown(synic_registers, setup, fake_teardown),
        cmocka_unit_test_setup_teardown(sint_rules, setup, fake_teardown),
        cmocka_unit_test_setup_teardown(unknown_and_foreign, setup, fake_teardown),
        cmocka_unit_test_setup_teardown(refusals_logged_once, setup, fake_teardown),
        cmocka_unit_test_setup_teardown(linux_boot_sequence, setup, fake_teardown),
        cmocka_unit_test(init_refuses_unusable_platform),
        cmocka_unit_test_setup_teardown(sint_vectors_the_guest_may_not_have, setup, fake_teardown),
        cmocka_unit_test(cpuid_counts_vps),
        cmocka_unit_test(per_vp_msrs),
        cmocka_unit_test(apic_msrs_routed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
