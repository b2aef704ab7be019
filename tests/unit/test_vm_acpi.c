/* ACPI tables: structure, checksums and lengths of every table, FADT and MADT
 * fields from the parameters, the DSDT's \_S5 and VMBus devices (against bytes
 * iasl compiled from the same ASL), refusals, and a round trip through iasl:
 * disassemble each table, check the text, recompile it and get our bytes back. */
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "vm/acpi.h"
#include "vm/acpi_tables.h"
#include "vm/acpi_vmbus.h"
#include "vm/layout.h"

#include "fixture.h"

#define RAM (1u << 20)

static struct guest_mem gm;

static const struct acpi_mmio_window windows[] = {
    {0xF8000000, 0x06C00000},          /* below 4 GiB, up to the IOAPIC */
    {0xFC00000000ull, 0x400000000ull}, /* the high gap */
};
static struct acpi_vmbus vmbus = {windows, 2};

/* The ICH9 (QEMU q35) PM block, as the hypervisor passes it through. */
static struct acpi_params ich9(void)
{
    return (struct acpi_params){.pm1a_evt_blk = 0x600,
                                .pm1a_cnt_blk = 0x604,
                                .pm_tmr_blk = 0x608,
                                .sci_irq = 9,
                                .s5_slp_typ = 5,
                                .lapic_nmi = true,
                                .sb_devices = acpi_vmbus_hook,
                                .sb_ctx = &vmbus};
}

static int ram_new(void **state)
{
    (void)state;
    gm.host = malloc(RAM);
    gm.size = RAM;
    memset(gm.host, 0xA5, RAM);
    return 0;
}

static int ram_free(void **state)
{
    (void)state;
    free(gm.host);
    return 0;
}

static void *at(uint64_t gpa)
{
    return gm.host + gpa;
}

static uint8_t sum(const void *p, size_t n)
{
    const uint8_t *b = p;
    uint8_t s = 0;
    for (size_t i = 0; i < n; i++)
        s = (uint8_t)(s + b[i]);
    return s;
}

static struct acpi_tables must_build(const struct acpi_params *p)
{
    struct acpi_tables t;
    const char *why = NULL;
    if (acpi_build(&gm, LAYOUT_ACPI_BASE, LAYOUT_ACPI_SIZE, p, &t, &why))
        fail_msg("acpi_build: %s", why);
    return t;
}

static void expect_refused(const struct acpi_params *p, uint64_t base, uint64_t size,
                           const char *needle)
{
    struct acpi_tables t;
    const char *why = NULL;
    assert_int_equal(acpi_build(&gm, base, size, p, &t, &why), -1);
    if (!why || !strstr(why, needle))
        fail_msg("reason '%s' lacks '%s'", why ? why : "(null)", needle);
}

static const struct acpi_header *table(uint64_t gpa, const char *sig, uint32_t len)
{
    const struct acpi_header *h = at(gpa);
    assert_memory_equal(h->signature, sig, 4);
    assert_int_equal(h->length, len);
    assert_int_equal(sum(h, h->length), 0);
    assert_memory_equal(h->oem_id, "VMBHV ", 6);
    return h;
}

static void tables_and_checksums(void **state)
{
    (void)state;
    struct acpi_params p = ich9();
    struct acpi_tables t = must_build(&p);

    const struct acpi_rsdp *r = at(t.rsdp);
    assert_int_equal(t.rsdp, LAYOUT_ACPI_BASE);
    assert_memory_equal(r->signature, "RSD PTR ", 8);
    assert_int_equal(sum(r, 20), 0);
    assert_int_equal(sum(r, 36), 0);
    assert_int_equal(r->revision, 2);
    assert_int_equal(r->length, 36);
    assert_int_equal(r->rsdt, 0);
    assert_int_equal(r->xsdt, t.xsdt);

    table(t.xsdt, "XSDT", 36 + 16);
    uint64_t e[2];
    memcpy(e, (const uint8_t *)at(t.xsdt) + 36, 16);
    assert_int_equal(e[0], t.fadt);
    assert_int_equal(e[1], t.madt);
    table(t.fadt, "FACP", 276);
    assert_int_equal(((const struct acpi_header *)at(t.fadt))->revision, 6);
    table(t.madt, "APIC", t.madt_len);
    const struct acpi_header *d = table(t.dsdt, "DSDT", t.dsdt_len);
    assert_int_equal(d->revision, 2);
    const struct acpi_facs *facs = at(t.facs);
    assert_memory_equal(facs->signature, "FACS", 4);
    assert_int_equal(facs->length, 64);
    assert_int_equal(facs->version, 2);

    /* In the region, aligned, disjoint, in this order; the rest zeroed. */
    const uint64_t starts[] = {t.rsdp, t.xsdt, t.fadt, t.facs, t.madt, t.dsdt};
    const uint64_t lens[] = {36, t.xsdt_len, t.fadt_len, 64, t.madt_len, t.dsdt_len};
    for (size_t i = 0; i < 6; i++) {
        assert_int_equal(starts[i] % (i == 3 ? 64 : 16), 0);
        if (i)
            assert_true(starts[i - 1] + lens[i - 1] <= starts[i]);
    }
    assert_int_equal(t.end, t.dsdt + t.dsdt_len);
    assert_true(t.end <= LAYOUT_ACPI_BASE + LAYOUT_ACPI_SIZE);
    for (uint64_t a = t.end; a < LAYOUT_ACPI_BASE + LAYOUT_ACPI_SIZE; a++)
        assert_int_equal(*(uint8_t *)at(a), 0);
    /* Nothing outside the region touched. */
    assert_int_equal(*(uint8_t *)at(LAYOUT_ACPI_BASE - 1), 0xA5);
    assert_int_equal(*(uint8_t *)at(LAYOUT_ACPI_BASE + LAYOUT_ACPI_SIZE), 0xA5);
}

static void expect_io_gas(const struct acpi_gas *g, uint32_t port, unsigned bits)
{
    assert_int_equal(g->space_id, ACPI_GAS_IO);
    assert_int_equal(g->address, port);
    assert_int_equal(g->bit_width, bits);
    assert_int_equal(g->bit_offset, 0);
}

static void fadt_fields(void **state)
{
    (void)state;
    struct acpi_params p = ich9();
    struct acpi_tables t = must_build(&p);
    const struct acpi_fadt *f = at(t.fadt);
    assert_int_equal(f->firmware_ctrl, t.facs);
    assert_int_equal(f->x_firmware_ctrl, 0);
    assert_int_equal(f->dsdt, t.dsdt);
    assert_int_equal(f->x_dsdt, t.dsdt);
    assert_int_equal(f->sci_int, 9);
    assert_int_equal(f->smi_cmd, 0);
    assert_int_equal(f->acpi_enable, 0);
    assert_int_equal(f->pm1a_evt_blk, 0x600);
    assert_int_equal(f->pm1a_cnt_blk, 0x604);
    assert_int_equal(f->pm_tmr_blk, 0x608);
    assert_int_equal(f->pm1b_evt_blk | f->pm1b_cnt_blk | f->pm2_cnt_blk | f->gpe0_blk, 0);
    assert_int_equal(f->pm1_evt_len, 4);
    assert_int_equal(f->pm1_cnt_len, 2);
    assert_int_equal(f->pm_tmr_len, 4);
    /* X_ blocks agree with the legacy ones: same port, width = 8 * length. */
    expect_io_gas(&f->x_pm1a_evt_blk, f->pm1a_evt_blk, 8 * f->pm1_evt_len);
    expect_io_gas(&f->x_pm1a_cnt_blk, f->pm1a_cnt_blk, 8 * f->pm1_cnt_len);
    expect_io_gas(&f->x_pm_tmr_blk, f->pm_tmr_blk, 8 * f->pm_tmr_len);
    assert_int_equal(f->x_pm1b_evt_blk.address | f->x_gpe0_blk.address, 0);
    assert_int_equal(f->sleep_control_reg.address | f->sleep_status_reg.address, 0);
    assert_int_equal(f->iapc_boot_arch, IAPC_VGA_NOT_PRESENT);
    assert_int_equal(f->flags & FADT_HW_REDUCED, 0);
    assert_int_equal(f->flags & FADT_TMR_VAL_EXT, 0);
    assert_true(f->flags & FADT_PWR_BUTTON);
    assert_true(f->p_lvl2_lat > 100 && f->p_lvl3_lat > 1000); /* no C2/C3 */

    p.pm_tmr_32bit = true;
    p.pm_tmr_blk = 0;
    p.iapc_boot_arch = IAPC_8042;
    t = must_build(&p);
    f = at(t.fadt);
    assert_true(f->flags & FADT_TMR_VAL_EXT);
    assert_int_equal(f->pm_tmr_blk, 0);
    assert_int_equal(f->pm_tmr_len, 0);
    assert_int_equal(f->x_pm_tmr_blk.space_id | f->x_pm_tmr_blk.address, 0);
    assert_int_equal(f->iapc_boot_arch, IAPC_8042 | IAPC_VGA_NOT_PRESENT);
}

static void madt_entries(void **state)
{
    (void)state;
    struct acpi_params p = ich9();
    struct acpi_tables t = must_build(&p);
    const struct acpi_madt *m = at(t.madt);
    assert_int_equal(m->lapic_address, 0xFEE00000);
    assert_int_equal(m->flags, MADT_PCAT_COMPAT);
    assert_int_equal(t.madt_len, 44 + 8 + 12 + 10 + 10 + 6);
    const uint8_t *e = (const uint8_t *)(m + 1);
    const struct madt_lapic *cpu = (const void *)e;
    assert_int_equal(cpu->type, 0);
    assert_int_equal(cpu->length, 8);
    assert_int_equal(cpu->uid, 0);
    assert_int_equal(cpu->apic_id, 0);
    assert_int_equal(cpu->flags, 1);
    const struct madt_ioapic *io = (const void *)(e + 8);
    assert_int_equal(io->type, 1);
    assert_int_equal(io->length, 12);
    assert_int_equal(io->id, 0);
    assert_int_equal(io->address, 0xFEC00000);
    assert_int_equal(io->gsi_base, 0);
    const struct madt_iso *pit = (const void *)(e + 20);
    assert_int_equal(pit->type, 2);
    assert_int_equal(pit->bus, 0);
    assert_int_equal(pit->source, 0);
    assert_int_equal(pit->gsi, 2);
    assert_int_equal(pit->flags, 0);
    const struct madt_iso *sci = (const void *)(e + 30);
    assert_int_equal(sci->type, 2);
    assert_int_equal(sci->source, 9);
    assert_int_equal(sci->gsi, 9);
    assert_int_equal(sci->flags, 0xD);
    const struct madt_lapic_nmi *nmi = (const void *)(e + 40);
    assert_int_equal(nmi->type, 4);
    assert_int_equal(nmi->length, 6);
    assert_int_equal(nmi->uid, 0xFF);
    assert_int_equal(nmi->lint, 1);

    p.lapic_nmi = false;
    p.sci_irq = 20; /* a GSI: no ISA override for it */
    t = must_build(&p);
    assert_int_equal(t.madt_len, 44 + 8 + 12 + 10);
    table(t.madt, "APIC", t.madt_len);
    assert_int_equal(((const struct acpi_fadt *)at(t.fadt))->sci_int, 20);
}

/* One LAPIC entry per VP, in VP order, with the CPU's APIC ID. */
static void madt_processors(void **state)
{
    (void)state;
    static const uint8_t ids[3] = {0, 2, 5};
    struct acpi_params p = ich9();
    p.cpus = 3;
    p.apic_ids = ids;
    struct acpi_tables t = must_build(&p);
    table(t.madt, "APIC", t.madt_len);
    assert_int_equal(t.madt_len, 44 + 3 * 8 + 12 + 10 + 10 + 6);
    const struct madt_lapic *cpu = (const void *)((const struct acpi_madt *)at(t.madt) + 1);
    for (unsigned i = 0; i < 3; i++) {
        assert_int_equal(cpu[i].type, 0);
        assert_int_equal(cpu[i].uid, i);
        assert_int_equal(cpu[i].apic_id, ids[i]);
        assert_int_equal(cpu[i].flags, 1);
    }
    assert_int_equal(((const uint8_t *)&cpu[3])[0], 1); /* the IOAPIC next */
    p.cpus = ACPI_CPUS_MAX + 1;
    struct acpi_tables bad;
    const char *why = NULL;
    assert_int_equal(acpi_build(&gm, LAYOUT_ACPI_BASE, LAYOUT_ACPI_SIZE, &p, &bad, &why), -1);
    assert_non_null(why);
}

static void dsdt_without_devices(void **state)
{
    (void)state;
    struct acpi_params p = ich9();
    p.sb_devices = NULL;
    p.s5_slp_typ = 3;
    struct acpi_tables t = must_build(&p);
    /* Name (\_S5, Package (4) {3, 3, 0, 0}), Scope (\_SB) {} */
    static const uint8_t body[] = {0x08, 0x5C, '_',  'S',  '5',  '_',  0x12, 0x08, 0x04, 0x0A, 0x03,
                                   0x0A, 0x03, 0x00, 0x00, 0x10, 0x06, 0x5C, '_',  'S',  'B',  '_'};
    assert_int_equal(t.dsdt_len, 36 + sizeof(body));
    assert_memory_equal((const uint8_t *)at(t.dsdt) + 36, body, sizeof(body));
}

/* iasl's AML for the ASL of acpi_vmbus.h with the low window:
 *   Device (VMOD) { Name (_HID, "ACPI0004") Name (_UID, Zero)
 *     Name (_CRS, ResourceTemplate () { QWordMemory (ResourceProducer, PosDecode,
 *       MinFixed, MaxFixed, NonCacheable, ReadWrite, 0, 0xF8000000, 0xFEBFFFFF, 0,
 *       0x06C00000) })
 *     Device (VMBS) { Name (_HID, "VMBUS") Name (_UID, Zero)
 *       Name (_CRS, ResourceTemplate () {}) } } */
static const uint8_t iasl_vmbus[] = {
    0x5B, 0x82, 0x48, 0x07, 0x56, 0x4D, 0x4F, 0x44, 0x08, 0x5F, 0x48, 0x49, 0x44, 0x0D, 0x41, 0x43,
    0x50, 0x49, 0x30, 0x30, 0x30, 0x34, 0x00, 0x08, 0x5F, 0x55, 0x49, 0x44, 0x00, 0x08, 0x5F, 0x43,
    0x52, 0x53, 0x11, 0x33, 0x0A, 0x30, 0x8A, 0x2B, 0x00, 0x00, 0x0C, 0x01, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xF8, 0x00, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0xBF, 0xFE,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xC0, 0x06,
    0x00, 0x00, 0x00, 0x00, 0x79, 0x00, 0x5B, 0x82, 0x22, 0x56, 0x4D, 0x42, 0x53, 0x08, 0x5F, 0x48,
    0x49, 0x44, 0x0D, 0x56, 0x4D, 0x42, 0x55, 0x53, 0x00, 0x08, 0x5F, 0x55, 0x49, 0x44, 0x00, 0x08,
    0x5F, 0x43, 0x52, 0x53, 0x11, 0x05, 0x0A, 0x02, 0x79, 0x00};

static void vmbus_device_matches_iasl(void **state)
{
    (void)state;
    uint8_t buf[512];
    struct aml a;
    aml_init(&a, buf, sizeof(buf));
    acpi_vmbus_devices(&a, windows, 1);
    size_t len;
    const char *why;
    assert_int_equal(aml_finish(&a, &len, &why), 0);
    assert_int_equal(len, sizeof(iasl_vmbus));
    assert_memory_equal(buf, iasl_vmbus, len);
}

static void vmbus_windows(void **state)
{
    (void)state;
    uint8_t buf[2048];
    struct aml a;
    size_t len0, len2, len16;
    const char *why;
    aml_init(&a, buf, sizeof(buf));
    acpi_vmbus_devices(&a, NULL, 0); /* an empty pool is still a valid device */
    assert_int_equal(aml_finish(&a, &len0, &why), 0);
    static const uint8_t empty_rt[] = {0x11, 0x05, 0x0A, 0x02, 0x79, 0x00};
    /* VMOD's _CRS, after ExtOp DeviceOp, a 2-byte PkgLength, VMOD, _HID, _UID, NameOp _CRS */
    assert_memory_equal(buf + 34, empty_rt, sizeof(empty_rt));

    aml_init(&a, buf, sizeof(buf));
    acpi_vmbus_devices(&a, windows, 2);
    assert_int_equal(aml_finish(&a, &len2, &why), 0);
    assert_int_equal(len2, len0 + 2 * 46 + 1); /* + 1: the _CRS PkgLength grows to 2 bytes */

    /* Enough windows to push VMOD's PkgLength and the buffer size past one byte. */
    struct acpi_mmio_window many[16];
    for (int i = 0; i < 16; i++)
        many[i] =
            (struct acpi_mmio_window){0x10000000000ull + (uint64_t)i * 0x40000000, 0x40000000};
    aml_init(&a, buf, sizeof(buf));
    acpi_vmbus_devices(&a, many, 16);
    assert_int_equal(aml_finish(&a, &len16, &why), 0);
    assert_true(len16 > 16 * 46);

    struct acpi_mmio_window bad = {0x1000, 0};
    aml_init(&a, buf, sizeof(buf));
    acpi_vmbus_devices(&a, &bad, 1);
    assert_int_equal(aml_finish(&a, &len0, &why), -1);
}

static void bad_hook(struct aml *a, void *ctx)
{
    (void)ctx;
    aml_begin_device(a, "vmbs");
    aml_end(a);
}

static void refusals(void **state)
{
    (void)state;
    struct acpi_params p = ich9();
    p.pm1a_evt_blk = 0;
    expect_refused(&p, LAYOUT_ACPI_BASE, LAYOUT_ACPI_SIZE, "PM1a_EVT_BLK");
    p = ich9();
    p.pm1a_cnt_blk = 0x602; /* inside PM1a_EVT 0x600..0x603 */
    expect_refused(&p, LAYOUT_ACPI_BASE, LAYOUT_ACPI_SIZE, "overlap");
    p = ich9();
    p.pm_tmr_blk = 0x605;
    expect_refused(&p, LAYOUT_ACPI_BASE, LAYOUT_ACPI_SIZE, "overlap");
    p = ich9();
    p.pm1a_evt_blk = 0xFFFE;
    expect_refused(&p, LAYOUT_ACPI_BASE, LAYOUT_ACPI_SIZE, "0xFFFF");
    p = ich9();
    p.sci_irq = 2;
    expect_refused(&p, LAYOUT_ACPI_BASE, LAYOUT_ACPI_SIZE, "SCI");
    p = ich9();
    p.s5_slp_typ = 8;
    expect_refused(&p, LAYOUT_ACPI_BASE, LAYOUT_ACPI_SIZE, "SLP_TYP");

    p = ich9();
    expect_refused(&p, LAYOUT_ACPI_BASE + 8, LAYOUT_ACPI_SIZE, "16-byte aligned");
    expect_refused(&p, RAM - 0x100, 0x1000, "not inside guest RAM");
    expect_refused(&p, 0xFFFFF000, 0x2000, "below 4 GiB");
    expect_refused(&p, LAYOUT_ACPI_BASE, 0x100, "too small");
    expect_refused(&p, LAYOUT_ACPI_BASE, 0x270, "no room for the DSDT");
    expect_refused(&p, LAYOUT_ACPI_BASE, 0x300, "AML buffer overflow");
    p.sb_devices = bad_hook;
    expect_refused(&p, LAYOUT_ACPI_BASE, LAYOUT_ACPI_SIZE, "invalid AML name");
    struct acpi_mmio_window empty = {0xF8000000, 0};
    struct acpi_vmbus v = {&empty, 1};
    p = ich9();
    p.sb_ctx = &v;
    expect_refused(&p, LAYOUT_ACPI_BASE, LAYOUT_ACPI_SIZE, "QWordMemory");
}

/* --- iasl round trip --------------------------------------------------------- */

/* acpica-tools is a declared dependency (scripts/deps.sh), so a missing iasl
 * fails the test instead of skipping it: this is the only check of the DSDT's
 * multi-window _CRS as an independent tool reads it. The scratch folder and
 * every buffer read from it belong to the fixture, so a failing assertion
 * (which longjmps out of the test) leaks nothing and leaves no folder behind. */
#define SCRATCH_KEEP 32 /* 4 files for each of the 5 tables */
static struct {
    char dir[32];
    void *kept[SCRATCH_KEEP];
    unsigned nkept;
} scratch;

static int scratch_new(void **state)
{
    (void)state;
    memset(&scratch, 0, sizeof(scratch));
    strcpy(scratch.dir, "/tmp/vmbhv-acpi-XXXXXX");
    return mkdtemp(scratch.dir) ? 0 : -1;
}

static int remove_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb, (void)flag, (void)ftw;
    return remove(path);
}

static int scratch_free(void **state)
{
    (void)state;
    for (unsigned i = 0; i < scratch.nkept; i++)
        free(scratch.kept[i]);
    scratch.nkept = 0;
    /* In C, not rm -rf: the teardown must work whatever PATH the test ran with. */
    return nftw(scratch.dir, remove_one, 8, FTW_DEPTH | FTW_PHYS);
}

/* read_file, the buffer freed by scratch_free; NULL if the file is not there. */
static void *scratch_read(const char *path, size_t *size)
{
    assert_true(scratch.nkept < SCRATCH_KEEP);
    void *p = read_file(path, size);
    if (p)
        scratch.kept[scratch.nkept++] = p;
    return p;
}

static void expect_text(const char *text, const char *file, const char *needle)
{
    if (!strstr(text, needle))
        fail_msg("%s lacks '%s'", file, needle);
}

static void reject_text(const char *text, const char *file, const char *needle)
{
    if (strstr(text, needle))
        fail_msg("%s contains '%s'", file, needle);
}

/* Disassembles dir/name.dat, checks the listing is clean, recompiles it (no
 * optimisations) and expects our bytes back except the checksum and the
 * creator fields iasl stamps with its own. Returns the listing (the fixture's). */
static const char *round_trip(const char *name, const void *table_bytes, size_t len,
                              const char *compile_errors)
{
    const char *dir = scratch.dir;
    char path[512], cmd[1024];
    snprintf(path, sizeof(path), "%s/%s.dat", dir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    size_t wrote = fwrite(table_bytes, 1, len, f);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(wrote, len);

    snprintf(cmd, sizeof(cmd), "cd %s && iasl -d %s.dat > %s.dis.log 2>&1", dir, name, name);
    if (system(cmd) != 0)
        fail_msg("iasl -d %s failed", name);
    snprintf(path, sizeof(path), "%s/%s.dis.log", dir, name);
    const char *log = scratch_read(path, NULL);
    assert_non_null(log);
    reject_text(log, path, "Error");
    reject_text(log, path, "Warning");
    snprintf(path, sizeof(path), "%s/%s.dsl", dir, name);
    const char *dsl = scratch_read(path, NULL);
    if (!dsl)
        fail_msg("iasl wrote no %s", path);
    reject_text(dsl, path, "Incorrect"); /* e.g. "Incorrect checksum" */
    reject_text(dsl, path, "Invalid");
    reject_text(dsl, path, "Error");

    snprintf(cmd, sizeof(cmd), "cd %s && iasl -f -oa -p re_%s %s.dsl > %s.asm.log 2>&1", dir, name,
             name, name);
    if (system(cmd) != 0)
        fail_msg("iasl could not recompile %s.dsl", name);
    snprintf(path, sizeof(path), "%s/%s.asm.log", dir, name);
    log = scratch_read(path, NULL);
    assert_non_null(log);
    expect_text(log, path, compile_errors);
    snprintf(path, sizeof(path), "%s/re_%s.aml", dir, name);
    size_t got;
    const uint8_t *back = scratch_read(path, &got);
    if (!back)
        fail_msg("iasl wrote no %s", path);
    assert_int_equal(got, len);
    const uint8_t *ours = table_bytes;
    for (size_t i = 0; i < len; i++) {
        if (i == offsetof(struct acpi_header, checksum) ||
            (i >= offsetof(struct acpi_header, creator_id) && i < sizeof(struct acpi_header)))
            continue;
        if (ours[i] != back[i])
            fail_msg("%s: recompiled byte %zu is %#x, ours %#x", name, i, back[i], ours[i]);
    }
    return dsl;
}

static void iasl_round_trip(void **state)
{
    (void)state;
    if (system("command -v iasl > /dev/null 2>&1") != 0)
        fail_msg("iasl not found: acpica-tools is a declared dependency (scripts/deps.sh; "
                 "`make deps` installs it)");
    struct acpi_params p = ich9();
    struct acpi_tables t = must_build(&p);
    const char *ok = "0 Errors";

    round_trip("xsdt", at(t.xsdt), t.xsdt_len, ok);
    round_trip("facs", at(t.facs), 64, ok);

    const char *s = round_trip("facp", at(t.fadt), t.fadt_len, ok);
    char want[128];
    expect_text(s, "facp.dsl", "Revision : 06");
    expect_text(s, "facp.dsl", "SCI Interrupt : 0009");
    expect_text(s, "facp.dsl", "SMI Command Port : 00000000");
    expect_text(s, "facp.dsl", "PM1A Event Block Address : 00000600");
    expect_text(s, "facp.dsl", "PM1A Control Block Address : 00000604");
    expect_text(s, "facp.dsl", "PM Timer Block Address : 00000608");
    expect_text(s, "facp.dsl", "VGA Not Present (V4) : 1");
    expect_text(s, "facp.dsl", "Hardware Reduced (V5) : 0");
    snprintf(want, sizeof(want), "DSDT Address : %016llX", (unsigned long long)t.dsdt);
    expect_text(s, "facp.dsl", want);

    s = round_trip("apic", at(t.madt), t.madt_len, ok);
    expect_text(s, "apic.dsl", "Local Apic Address : FEE00000");
    expect_text(s, "apic.dsl", "PC-AT Compatibility : 1");
    expect_text(s, "apic.dsl", "[Processor Local APIC]");
    expect_text(s, "apic.dsl", "Address : FEC00000");
    expect_text(s, "apic.dsl", "[Interrupt Source Override]");
    expect_text(s, "apic.dsl", "Flags (decoded below) : 000D");
    expect_text(s, "apic.dsl", "[Local APIC NMI]");

    /* iasl's one complaint: it lints _HID strings to 7-8 characters, but
     * hv_vmbus matches "VMBUS" (linux-guest-contract.md 5.1). */
    s = round_trip("dsdt", at(t.dsdt), t.dsdt_len, "1 Errors");
    expect_text(s, "dsdt.dsl", "Name (\\_S5, Package (0x04)");
    expect_text(s, "dsdt.dsl", "_S5_");
    expect_text(s, "dsdt.dsl", "Scope (\\_SB)");
    expect_text(s, "dsdt.dsl", "Device (VMOD)");
    expect_text(s, "dsdt.dsl", "\"ACPI0004\"");
    expect_text(s, "dsdt.dsl", "Device (VMBS)");
    expect_text(s, "dsdt.dsl", "Name (_HID, \"VMBUS\")");
    expect_text(s, "dsdt.dsl",
                "QWordMemory (ResourceProducer, PosDecode, MinFixed, MaxFixed, "
                "NonCacheable, ReadWrite,");
    expect_text(s, "dsdt.dsl", "0x00000000F8000000, // Range Minimum");
    expect_text(s, "dsdt.dsl", "0x00000000FEBFFFFF, // Range Maximum");
    expect_text(s, "dsdt.dsl", "0x0000000006C00000, // Length");
    expect_text(s, "dsdt.dsl", "0x000000FC00000000, // Range Minimum");
    expect_text(s, "dsdt.dsl", "0x000000FFFFFFFFFF, // Range Maximum");
    expect_text(s, "dsdt.dsl", "0x0000000400000000, // Length");

    char cmd[600];
    snprintf(cmd, sizeof(cmd), "grep -h 'Error  ' %s/dsdt.asm.log | grep -qv 'Error    6033'",
             scratch.dir);
    assert_int_not_equal(system(cmd), 0); /* no error other than the _HID lint */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(tables_and_checksums),
        cmocka_unit_test(fadt_fields),
        cmocka_unit_test(madt_entries),
        cmocka_unit_test(madt_processors),
        cmocka_unit_test(dsdt_without_devices),
        cmocka_unit_test(vmbus_device_matches_iasl),
        cmocka_unit_test(vmbus_windows),
        cmocka_unit_test(refusals),
        cmocka_unit_test_setup_teardown(iasl_round_trip, scratch_new, scratch_free),
    };
    return cmocka_run_group_tests(tests, ram_new, ram_free);
}
