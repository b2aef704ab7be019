/* Reading the firmware's ACPI tables for S5: classic and hardware-reduced FADTs,
 * RSDT and XSDT roots, and broken tables refused with a reason. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <sys/mman.h>

#include "lib/fwacpi.h"

/* Below 4 GiB, so RSDT's 32-bit pointers can name it too. */
static uint8_t *mem;
#define MEM_SIZE  16384
#define RSDP_OFF  0
#define XSDT_OFF  64
#define FADT_OFF  256
#define DSDT_OFF  1024
#define HPET_OFF  2048
#define HPET_BASE 0xfed00000ull
#define MCFG_OFF  3072
#define ECAM_BASE 0xb0000000ull
#define MADT_OFF  4096

static uint64_t pa(size_t off)
{
    return (uint64_t)(uintptr_t)(mem + off);
}
static void put32(size_t off, uint32_t v)
{
    memcpy(mem + off, &v, 4);
}
static void put64(size_t off, uint64_t v)
{
    memcpy(mem + off, &v, 8);
}

static void fix_checksum(size_t off, size_t len, size_t at)
{
    uint8_t sum = 0;
    mem[off + at] = 0;
    for (size_t i = 0; i < len; i++)
        sum = (uint8_t)(sum + mem[off + i]);
    mem[off + at] = (uint8_t)(0 - sum);
}

static void header(size_t off, const char *sig, uint32_t len)
{
    memcpy(mem + off, sig, 4);
    put32(off + 4, len);
}

/* DSDT body: Name(\_S5, Package(0x04){0x05, 0x05, Zero, Zero}) */
static const uint8_t s5_aml[] = {0x08, '\\', '_',  'S',  '5',  '_',  0x12, 0x0a,
                                 0x04, 0x0a, 0x05, 0x0a, 0x05, 0x00, 0x00};

static void build(int xsdt, int hw_reduced)
{
    memset(mem, 0, MEM_SIZE);
    memcpy(mem + RSDP_OFF, "RSD PTR ", 8);
    mem[RSDP_OFF + 15] = xsdt ? 2 : 0;
    if (xsdt) {
        put64(RSDP_OFF + 24, pa(XSDT_OFF));
        header(XSDT_OFF, "XSDT", 36 + 40);
        put64(XSDT_OFF + 36, pa(DSDT_OFF)); /* not a FADT: must be skipped */
        put64(XSDT_OFF + 44, pa(FADT_OFF));
        put64(XSDT_OFF + 52, pa(HPET_OFF));
        put64(XSDT_OFF + 60, pa(MCFG_OFF));
        put64(XSDT_OFF + 68, pa(MADT_OFF));
        fix_checksum(XSDT_OFF, 76, 9);
        header(HPET_OFF, "HPET", 56);
        mem[HPET_OFF + 40] = 0; /* system memory */
        put64(HPET_OFF + 44, HPET_BASE);
        fix_checksum(HPET_OFF, 56, 9);
        /* two allocations: segment 1's first, which is not ours */
        header(MCFG_OFF, "MCFG", 44 + 32);
        put64(MCFG_OFF + 44, 0xc0000000ull);
        mem[MCFG_OFF + 44 + 8] = 1;
        mem[MCFG_OFF + 44 + 11] = 0xff;
        put64(MCFG_OFF + 60, ECAM_BASE);
        mem[MCFG_OFF + 60 + 11] = 0x3f;
        fix_checksum(MCFG_OFF, 44 + 32, 9);
    } else {
        put32(RSDP_OFF + 16, (uint32_t)pa(XSDT_OFF));
        header(XSDT_OFF, "RSDT", 36 + 4);
        put32(XSDT_OFF + 36, (uint32_t)pa(FADT_OFF));
        fix_checksum(XSDT_OFF, 40, 9);
    }
    fix_checksum(RSDP_OFF, 20, 8);
    header(FADT_OFF, "FACP", 276);
    put32(FADT_OFF + 40, (uint32_t)pa(DSDT_OFF));
    put32(FADT_OFF + 64, 0x604);
    mem[FADT_OFF + 46] = 9;
    put32(FADT_OFF + 56, 0x600);
    put32(FADT_OFF + 76, 0x608);
    mem[FADT_OFF + 91] = 4;
    put32(FADT_OFF + 112, 1u << 8);
    if (hw_reduced) {
        put32(FADT_OFF + 64, 0);
        put32(FADT_OFF + 112, 1u << 20);
        mem[FADT_OFF + 91] = 0;
        mem[FADT_OFF + 244] = 1; /* I/O */
        put64(FADT_OFF + 248, 0x510);
    }
    put64(FADT_OFF + 140, pa(DSDT_OFF));
    fix_checksum(FADT_OFF, 276, 9);
    header(DSDT_OFF, "DSDT", 36 + sizeof(s5_aml));
    memcpy(mem + DSDT_OFF + 36, s5_aml, sizeof(s5_aml));
    fix_checksum(DSDT_OFF, 36 + sizeof(s5_aml), 9);
}

/* MADT entries */
#define LAPIC(id, flags) 0, 8, 0, (id), (flags), 0, 0, 0
#define X2APIC(id, flags)                                                                          \
    9, 16, 0, 0, (id)&0xff, ((id) >> 8) & 0xff, ((id) >> 16) & 0xff, (uint8_t)((id) >> 24),        \
        (flags), 0, 0, 0, 0, 0, 0, 0
#define IOAPIC 1, 12, 0, 0, 0, 0, 0xc0, 0xfe, 0, 0, 0, 0

/* A MADT with these entries after the local APIC address and flags; len 0:
 * the entries' own size, else this table length (to cut entries short). */
static void madt(const uint8_t *entries, size_t n, uint32_t len)
{
    memset(mem + MADT_OFF, 0, MEM_SIZE - MADT_OFF);
    if (!len)
        len = (uint32_t)(44 + n);
    header(MADT_OFF, "APIC", len);
    put32(MADT_OFF + 36, 0xfee00000u);
    memcpy(mem + MADT_OFF + 44, entries, n);
    fix_checksum(MADT_OFF, len, 9);
}

static struct fw_acpi read_ok(void)
{
    struct fw_acpi fw;
    const char *why = NULL;
    assert_int_equal(fwacpi_read(pa(RSDP_OFF), &fw, &why), 0);
    return fw;
}

/* Enabled local APIC and x2APIC entries count, in table order; disabled,
 * online-capable-only, broadcast IDs and other entry types do not. */
static void madt_cpus(void **state)
{
    (void)state;
    build(1, 0);
    static const uint8_t e[] = {LAPIC(0, 1),       IOAPIC,       LAPIC(2, 1),
                                LAPIC(3, 0),       LAPIC(4, 2),  LAPIC(0xff, 1),
                                X2APIC(0x1234, 1), X2APIC(7, 0), X2APIC(0xffffffffu, 1)};
    madt(e, sizeof(e), 0);
    struct fw_acpi fw = read_ok();
    assert_int_equal(fw.cpu_count, 3);
    assert_int_equal(fw.apic_ids[0], 0);
    assert_int_equal(fw.apic_ids[1], 2);
    assert_int_equal(fw.apic_ids[2], 0x1234);
    assert_int_equal(fw.cpus_dropped, 0);
    assert_null(fw.madt_why);
}

/* No MADT (the RSDT machine), or a corrupt one: no CPUs known, the rest reads. */
static void madt_missing_or_corrupt(void **state)
{
    (void)state;
    build(0, 0);
    struct fw_acpi fw = read_ok();
    assert_int_equal(fw.cpu_count, 0);
    assert_non_null(fw.madt_why);
    build(1, 0);
    static const uint8_t e[] = {LAPIC(0, 1), LAPIC(1, 1)};
    madt(e, sizeof(e), 0);
    mem[MADT_OFF + 45]++;
    fw = read_ok();
    assert_int_equal(fw.cpu_count, 0);
    assert_non_null(fw.madt_why);
    assert_int_equal(fw.pm1a_cnt.addr, 0x604);
}

/* Entries of length 0 (which would loop forever), past the table's end, or of
 * the wrong size for their type stop the walk; what came before stands. */
static void madt_hostile_entries(void **state)
{
    (void)state;
    build(1, 0);
    static const uint8_t zero_len[] = {LAPIC(1, 1), 0, 0, LAPIC(2, 1)};
    madt(zero_len, sizeof(zero_len), 0);
    struct fw_acpi fw = read_ok();
    assert_int_equal(fw.cpu_count, 1);
    assert_int_equal(fw.apic_ids[0], 1);
    assert_non_null(fw.madt_why);

    static const uint8_t past_end[] = {LAPIC(1, 1), 9, 200, 0, 0, 1, 0, 0, 0, 1};
    madt(past_end, sizeof(past_end), 0);
    fw = read_ok();
    assert_int_equal(fw.cpu_count, 1);
    assert_non_null(fw.madt_why);

    /* the table ends one byte into an entry */
    static const uint8_t cut[] = {LAPIC(1, 1), LAPIC(2, 1)};
    madt(cut, sizeof(cut), 44 + 8 + 1);
    fw = read_ok();
    assert_int_equal(fw.cpu_count, 1);
    assert_non_null(fw.madt_why);

    static const uint8_t short_lapic[] = {LAPIC(1, 1), 0, 6, 0, 5, 1, 0, LAPIC(2, 1)};
    madt(short_lapic, sizeof(short_lapic), 0);
    fw = read_ok();
    assert_int_equal(fw.cpu_count, 1);
    assert_non_null(fw.madt_why);

    static const uint8_t long_x2[] = {X2APIC(1, 1), 0, 0, 0, 0};
    uint8_t bad[sizeof(long_x2)];
    memcpy(bad, long_x2, sizeof(bad));
    bad[1] = 20;
    madt(bad, sizeof(bad), 0);
    fw = read_ok();
    assert_int_equal(fw.cpu_count, 0);
    assert_non_null(fw.madt_why);
}

/* A CPU listed twice counts once; beyond FWACPI_CPUS_MAX they are counted as
 * dropped, never written past the array. */
static void madt_bounded(void **state)
{
    (void)state;
    build(1, 0);
    static uint8_t e[(FWACPI_CPUS_MAX + 10) * 16 + 8];
    size_t n = 0;
    const uint8_t dup[] = {LAPIC(5, 1)};
    memcpy(e + n, dup, 8);
    n += 8;
    for (uint32_t id = 0; id < FWACPI_CPUS_MAX + 10; id++) {
        const uint8_t x[] = {X2APIC(id, 1)};
        memcpy(e + n, x, 16);
        n += 16;
    }
    madt(e, n, 0);
    struct fw_acpi fw = read_ok();
    assert_int_equal(fw.cpu_count, FWACPI_CPUS_MAX);
    assert_int_equal(fw.apic_ids[0], 5);
    assert_int_equal(fw.apic_ids[1], 0);
    assert_int_equal(fw.apic_ids[FWACPI_CPUS_MAX - 1], FWACPI_CPUS_MAX - 1);
    /* 74 distinct IDs (5 once): 64 kept, 10 dropped */
    assert_int_equal(fw.cpus_dropped, 10);
    assert_non_null(fw.madt_why); /* the duplicate */
}

static void classic_fadt_via_xsdt(void **state)
{
    (void)state;
    struct fw_acpi s5;
    const char *why = NULL;
    build(1, 0);
    assert_int_equal(fwacpi_read(pa(RSDP_OFF), &s5, &why), 0);
    assert_false(s5.hw_reduced);
    assert_int_equal(s5.pm1a_cnt.space, ACPI_SPACE_IO);
    assert_int_equal(s5.pm1a_cnt.addr, 0x604);
    assert_int_equal(s5.pm1b_cnt.addr, 0);
    assert_int_equal(s5.slp_typa, 5);
    assert_int_equal(s5.slp_typb, 5);
    assert_int_equal(s5.pm1a_evt, 0x600);
    assert_int_equal(s5.pm_tmr, 0x608);
    assert_true(s5.pm_tmr_32bit);
    assert_int_equal(s5.sci_int, 9);
    assert_int_equal(s5.hpet, HPET_BASE);
    assert_int_equal(s5.ecam, ECAM_BASE);
    assert_int_equal(s5.ecam_bus_start, 0);
    assert_int_equal(s5.ecam_bus_end, 0x3f);
}

/* No MCFG (the RSDT machine), a corrupt one, or one whose only window has a
 * bus range upside down: no ECAM, and the FADT still reads. */
static void mcfg_checked(void **state)
{
    (void)state;
    struct fw_acpi fw;
    const char *why = NULL;
    build(0, 0);
    assert_int_equal(fwacpi_read(pa(RSDP_OFF), &fw, &why), 0);
    assert_int_equal(fw.ecam, 0);
    build(1, 0);
    mem[MCFG_OFF + 20]++;
    assert_int_equal(fwacpi_read(pa(RSDP_OFF), &fw, &why), 0);
    assert_int_equal(fw.ecam, 0);
    build(1, 0);
    mem[MCFG_OFF + 60 + 10] = 0x40;
    fix_checksum(MCFG_OFF, 44 + 32, 9);
    assert_int_equal(fwacpi_read(pa(RSDP_OFF), &fw, &why), 0);
    assert_int_equal(fw.ecam, 0);
}

/* A corrupt or I/O-space HPET table is no HPET: the host runs without its timer. */
static void hpet_table_checked(void **state)
{
    (void)state;
    struct fw_acpi fw;
    const char *why = NULL;
    build(1, 0);
    mem[HPET_OFF + 20]++;
    assert_int_equal(fwacpi_read(pa(RSDP_OFF), &fw, &why), 0);
    assert_int_equal(fw.hpet, 0);
    build(1, 0);
    mem[HPET_OFF + 40] = 1;
    fix_checksum(HPET_OFF, 56, 9);
    assert_int_equal(fwacpi_read(pa(RSDP_OFF), &fw, &why), 0);
    assert_int_equal(fw.hpet, 0);
}

static void rsdt_and_hw_reduced(void **state)
{
    (void)state;
    struct fw_acpi s5;
    const char *why = NULL;
    build(0, 1);
    assert_int_equal(fwacpi_read(pa(RSDP_OFF), &s5, &why), 0);
    assert_true(s5.hw_reduced);
    assert_int_equal(s5.sleep_ctl.addr, 0x510);
    assert_int_equal(s5.sleep_ctl.space, ACPI_SPACE_IO);
    assert_int_equal(s5.pm_tmr, 0);
    assert_int_equal(s5.hpet, 0); /* this RSDT lists none */
}

static void expect_fail(const char *needle)
{
    struct fw_acpi s5;
    const char *why = NULL;
    assert_int_equal(fwacpi_read(pa(RSDP_OFF), &s5, &why), -1);
    assert_non_null(why);
    if (!strstr(why, needle))
        fail_msg("reason '%s' lacks '%s'", why, needle);
}

static void broken_tables(void **state)
{
    (void)state;
    struct fw_acpi s5;
    const char *why = NULL;
    assert_int_equal(fwacpi_read(0, &s5, &why), -1);

    build(1, 0);
    mem[RSDP_OFF + 8] ^= 1;
    expect_fail("RSDP");
    build(1, 0);
    mem[XSDT_OFF + 20] ^= 1;
    expect_fail("XSDT");
    build(1, 0);
    mem[FADT_OFF + 100] ^= 1;
    expect_fail("FADT");
    build(1, 0);
    put32(FADT_OFF + 4, 1u << 30); /* absurd length */
    expect_fail("FADT");
    build(1, 0);
    mem[DSDT_OFF + 40] ^= 1;
    expect_fail("DSDT");
    build(1, 0);
    mem[DSDT_OFF + 36 + 2] = 'X'; /* _X5_ */
    fix_checksum(DSDT_OFF, 36 + sizeof(s5_aml), 9);
    expect_fail("_S5");
    build(1, 0);
    put32(FADT_OFF + 64, 0);
    fix_checksum(FADT_OFF, 276, 9);
    expect_fail("PM1a");
}

/* DMAR (VT-d): one at DMAR_OFF, listed as the XSDT's fifth table. A unit
 * with INCLUDE_PCI_ALL, an RMRR for 00:1d.0, a unit with an endpoint and a
 * two-hop bridge scope, and an ATSR the parser skips. */
#define DMAR_OFF  4096
#define DMAR_LEN  (48 + 16 + 32 + 34 + 8)
#define DRHD1_OFF (DMAR_OFF + 48)
#define RMRR_OFF  (DRHD1_OFF + 16)
#define DRHD2_OFF (RMRR_OFF + 32)

static void scope(size_t off, uint8_t type, uint8_t bus, uint8_t hops, const uint8_t *path)
{
    mem[off] = type;
    mem[off + 1] = (uint8_t)(6 + 2 * hops);
    mem[off + 5] = bus;
    memcpy(mem + off + 6, path, 2u * hops);
}

static void build_dmar(void)
{
    build(1, 0);
    header(XSDT_OFF, "XSDT", 36 + 40);
    put64(XSDT_OFF + 68, pa(DMAR_OFF));
    fix_checksum(XSDT_OFF, 76, 9);
    memset(mem + DMAR_OFF, 0, DMAR_LEN);
    header(DMAR_OFF, "DMAR", DMAR_LEN);
    mem[DMAR_OFF + 36] = 38; /* 39 bits */
    mem[DMAR_OFF + 37] = 1;
    mem[DRHD1_OFF + 2] = 16; /* DRHD, INCLUDE_PCI_ALL */
    mem[DRHD1_OFF + 4] = 1;
    put64(DRHD1_OFF + 8, 0xfed90000ull);
    mem[RMRR_OFF] = 1; /* RMRR of 00:1d.0 */
    mem[RMRR_OFF + 2] = 32;
    put64(RMRR_OFF + 8, 0x7e000000ull);
    put64(RMRR_OFF + 16, 0x7e0fffffull);
    scope(RMRR_OFF + 24, 1, 0, 1, (const uint8_t[]){0x1d, 0});
    mem[DRHD2_OFF + 2] = 34; /* DRHD: 00:02.0 and the bridge 00:1c.0 -> 00.0 */
    mem[DRHD2_OFF + 6] = 0;
    put64(DRHD2_OFF + 8, 0xfed91000ull);
    scope(DRHD2_OFF + 16, 1, 0, 1, (const uint8_t[]){2, 0});
    scope(DRHD2_OFF + 24, 2, 0, 2, (const uint8_t[]){0x1c, 0, 0, 0});
    mem[DRHD2_OFF + 34] = 2; /* ATSR, skipped */
    mem[DRHD2_OFF + 34 + 2] = 8;
    fix_checksum(DMAR_OFF, DMAR_LEN, 9);
}

static void dmar_read(void **state)
{
    (void)state;
    struct fw_dmar d;
    const char *why = NULL;
    build_dmar();
    assert_int_equal(fwacpi_dmar(pa(RSDP_OFF), &d, &why), 0);
    assert_int_equal(d.haw, 39);
    assert_int_equal(d.flags, 1);
    assert_int_equal(d.nunit, 2);
    assert_int_equal(d.unit[0].base, 0xfed90000ull);
    assert_true(d.unit[0].include_all);
    assert_int_equal(d.unit[0].nscope, 0);
    assert_false(d.unit[1].include_all);
    assert_int_equal(d.unit[1].base, 0xfed91000ull);
    assert_int_equal(d.unit[1].nscope, 2);
    assert_int_equal(d.unit[1].scope[0].type, DMAR_SCOPE_ENDPOINT);
    assert_int_equal(d.unit[1].scope[0].path[0][0], 2);
    assert_int_equal(d.unit[1].scope[1].type, DMAR_SCOPE_BRIDGE);
    assert_int_equal(d.unit[1].scope[1].npath, 2);
    assert_int_equal(d.unit[1].scope[1].path[0][0], 0x1c);
    assert_int_equal(d.nrmrr, 1);
    assert_int_equal(d.rmrr[0].base, 0x7e000000ull);
    assert_int_equal(d.rmrr[0].limit, 0x7e0fffffull);
    assert_int_equal(d.rmrr[0].nscope, 1);
    assert_int_equal(d.rmrr[0].scope[0].path[0][0], 0x1d);
    /* the machine without one */
    build(1, 0);
    assert_int_equal(fwacpi_dmar(pa(RSDP_OFF), &d, &why), -1);
    assert_string_equal(why, "no DMAR table");
}

static void expect_dmar_fail(size_t off, uint8_t v, const char *needle)
{
    struct fw_dmar d;
    const char *why = NULL;
    build_dmar();
    mem[off] = v;
    fix_checksum(DMAR_OFF, DMAR_LEN, 9);
    assert_int_equal(fwacpi_dmar(pa(RSDP_OFF), &d, &why), -1);
    assert_non_null(why);
    if (!strstr(why, needle))
        fail_msg("reason '%s' lacks '%s'", why, needle);
}

/* Every malformed DMAR is refused whole, naming what is wrong; none reads
 * beyond the table (ASan) or loops (a zero length). */
static void dmar_hostile(void **state)
{
    (void)state;
    expect_dmar_fail(DRHD1_OFF + 2, 0, "structure length");   /* would loop */
    expect_dmar_fail(DRHD1_OFF + 2, 200, "structure length"); /* beyond the table */
    expect_dmar_fail(DRHD1_OFF + 2, 8, "DRHD too short");
    expect_dmar_fail(DRHD1_OFF + 9, 0x01, "register base");  /* 0xfed90100 */
    expect_dmar_fail(RMRR_OFF + 24 + 1, 7, "scope length");  /* odd */
    expect_dmar_fail(RMRR_OFF + 24 + 1, 40, "scope length"); /* beyond the RMRR */
    expect_dmar_fail(RMRR_OFF + 24 + 6, 32, "path");         /* device 32 */
    expect_dmar_fail(RMRR_OFF + 17, 0x00, "RMRR");           /* limit 0x7e00ffff: unaligned end */
    expect_dmar_fail(RMRR_OFF + 19, 0x10, "RMRR");           /* limit below base */
    expect_dmar_fail(DMAR_OFF + 36, 200, "address width");
    /* both units of an unknown type: skipped, and then there is none */
    struct fw_dmar d;
    const char *why = NULL;
    build_dmar();
    mem[DRHD1_OFF] = mem[DRHD2_OFF] = 7;
    fix_checksum(DMAR_OFF, DMAR_LEN, 9);
    assert_int_equal(fwacpi_dmar(pa(RSDP_OFF), &d, &why), -1);
    assert_string_equal(why, "DMAR lists no DRHD unit");
    /* a bad checksum: no DMAR at all */
    build_dmar();
    mem[DRHD1_OFF + 8] ^= 1;
    assert_int_equal(fwacpi_dmar(pa(RSDP_OFF), &d, &why), -1);
    assert_string_equal(why, "no DMAR table");
}

/* Which functions a unit translates and which an RMRR keeps: endpoint
 * scopes name one function exactly; a bridge in an RMRR reserves them all. */
static void dmar_policy(void **state)
{
    (void)state;
    struct fw_dmar d;
    const char *why = NULL;
    build_dmar();
    assert_int_equal(fwacpi_dmar(pa(RSDP_OFF), &d, &why), 0);
    assert_true(dmar_unit_covers(&d.unit[0], 0x0100)); /* INCLUDE_PCI_ALL */
    assert_true(dmar_unit_covers(&d.unit[1], 2 << 3)); /* 00:02.0 */
    assert_false(dmar_unit_covers(&d.unit[1], 2 << 3 | 1));
    assert_false(dmar_unit_covers(&d.unit[1], 0x0100 | 2 << 3));
    assert_false(dmar_unit_covers(&d.unit[1], 0x1c << 3)); /* the bridge itself: not an endpoint */
    assert_true(dmar_rmrr_reserves(&d, 0x1d << 3));        /* 00:1d.0 */
    assert_false(dmar_rmrr_reserves(&d, 0x1d << 3 | 1));
    assert_false(dmar_rmrr_reserves(&d, 2 << 3));
    d.rmrr[0].segment = 1; /* another segment's */
    assert_false(dmar_rmrr_reserves(&d, 0x1d << 3));
    d.rmrr[0].segment = 0;
    d.rmrr[0].scope[0].type = DMAR_SCOPE_BRIDGE;
    assert_true(dmar_rmrr_reserves(&d, 2 << 3));
}

int main(void)
{
    mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1,
               0);
    if (mem == MAP_FAILED)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(classic_fadt_via_xsdt),
        cmocka_unit_test(rsdt_and_hw_reduced),
        cmocka_unit_test(hpet_table_checked),
        cmocka_unit_test(mcfg_checked),
        cmocka_unit_test(broken_tables),
        cmocka_unit_test(dmar_read),
        cmocka_unit_test(dmar_hostile),
        cmocka_unit_test(dmar_policy),
        cmocka_unit_test(madt_cpus),
        cmocka_unit_test(madt_missing_or_corrupt),
        cmocka_unit_test(madt_hostile_entries),
        cmocka_unit_test(madt_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
