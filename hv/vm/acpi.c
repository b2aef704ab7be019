#include "vm/acpi.h"

#include "lib/fwacpi.h"
#include "lib/mem.h"
#include "vm/acpi_tables.h"
#include "vm/layout.h"

#define OEM_ID       "VMBHV "
#define OEM_TABLE_ID "VMBHV   "
#define CREATOR_ID   "VMBH"
#define XSDT_ENTRIES 2          /* FADT, MADT; the DSDT and FACS hang off the FADT */
#define DSDT_MAX     (1u << 20) /* far more than any DSDT here; keeps lengths 32-bit */

/* A C-state latency above these limits says "C2/C3 not supported" (FADT). */
#define P_LVL2_NONE 101
#define P_LVL3_NONE 1001

static int fail(const char **why, const char *reason)
{
    *why = reason;
    return -1;
}

static uint64_t align_up(uint64_t v, uint64_t a)
{
    return (v + a - 1) & ~(a - 1);
}

static void header(struct acpi_header *h, const char sig[4], uint32_t len, uint8_t rev)
{
    memcpy(h->signature, sig, 4);
    h->length = len;
    h->revision = rev;
    memcpy(h->oem_id, OEM_ID, 6);
    memcpy(h->oem_table_id, OEM_TABLE_ID, 8);
    h->oem_revision = 1;
    memcpy(h->creator_id, CREATOR_ID, 4);
    h->creator_revision = 1;
}

static void seal(struct acpi_header *h)
{
    h->checksum = 0;
    h->checksum = (uint8_t)(0 - acpi_sum8(h, h->length));
}

static struct acpi_gas io_gas(uint16_t port, unsigned bytes, uint8_t access)
{
    if (!port)
        return (struct acpi_gas){0};
    return (struct acpi_gas){.space_id = ACPI_GAS_IO,
                             .bit_width = (uint8_t)(bytes * 8),
                             .access_size = access,
                             .address = port};
}

/* A cursor over the ACPI region: each table gets the next aligned slot. */
struct region {
    const struct guest_mem *gm;
    uint64_t next, end;
};

static void *take(struct region *r, uint64_t len, uint64_t align, uint64_t *gpa)
{
    uint64_t at = align_up(r->next, align);
    if (at > r->end || len > r->end - at)
        return NULL;
    r->next = at + len;
    *gpa = at;
    return gmem_ptr(r->gm, at, len);
}

static bool ports_overlap(uint16_t a, unsigned alen, uint16_t b, unsigned blen)
{
    return a && b && a < b + blen && b < a + alen;
}

static int check_params(const struct acpi_params *p, const char **why)
{
    if (!p->pm1a_evt_blk || !p->pm1a_cnt_blk)
        return fail(why, "a classic FADT needs PM1a_EVT_BLK and PM1a_CNT_BLK ports");
    if (p->pm1a_evt_blk > 0xFFFF - 4 || p->pm1a_cnt_blk > 0xFFFF - 2 || p->pm_tmr_blk > 0xFFFF - 4)
        return fail(why, "FADT I/O block runs past port 0xFFFF");
    if (ports_overlap(p->pm1a_evt_blk, 4, p->pm1a_cnt_blk, 2) ||
        ports_overlap(p->pm1a_evt_blk, 4, p->pm_tmr_blk, 4) ||
        ports_overlap(p->pm1a_cnt_blk, 2, p->pm_tmr_blk, 4))
        return fail(why, "FADT I/O blocks overlap");
    if (p->sci_irq == 0 || p->sci_irq == 2)
        return fail(why, "SCI on IRQ 0 or 2 (the timer's)");
    if (p->s5_slp_typ > 7)
        return fail(why, "S5 SLP_TYP above 7");
    if (p->cpus > ACPI_CPUS_MAX || (p->cpus && !p->apic_ids))
        return fail(why, "more processors than the MADT takes, or no APIC IDs");
    return 0;
}

static void build_fadt(struct acpi_fadt *f, const struct acpi_params *p, uint64_t facs,
                       uint64_t dsdt)
{
    header(&f->h, "FACP", sizeof(*f), 6);
    f->firmware_ctrl = (uint32_t)facs; /* X_FIRMWARE_CTRL stays 0: one of the two, says 6.4 */
    f->dsdt = (uint32_t)dsdt;
    f->x_dsdt = dsdt;
    f->sci_int = p->sci_irq;
    f->smi_cmd = 0; /* no SMI command port: the machine is in ACPI mode already */
    f->pm1a_evt_blk = p->pm1a_evt_blk;
    f->pm1a_cnt_blk = p->pm1a_cnt_blk;
    f->pm_tmr_blk = p->pm_tmr_blk;
    f->pm1_evt_len = 4;
    f->pm1_cnt_len = 2;
    f->pm_tmr_len = p->pm_tmr_blk ? 4 : 0;
    f->x_pm1a_evt_blk = io_gas(p->pm1a_evt_blk, 4, ACPI_ACCESS_WORD);
    f->x_pm1a_cnt_blk = io_gas(p->pm1a_cnt_blk, 2, ACPI_ACCESS_WORD);
    f->x_pm_tmr_blk = io_gas(p->pm_tmr_blk, 4, ACPI_ACCESS_DWORD);
    f->p_lvl2_lat = P_LVL2_NONE;
    f->p_lvl3_lat = P_LVL3_NONE;
    f->iapc_boot_arch = (uint16_t)(p->iapc_boot_arch | IAPC_VGA_NOT_PRESENT);
    /* No fixed power/sleep buttons: their enable bits live in the host's real
     * PM1 block, which the guest must not arm. */
    f->flags = FADT_WBINVD | FADT_PROC_C1 | FADT_PWR_BUTTON | FADT_SLP_BUTTON |
               (p->pm_tmr_32bit ? FADT_TMR_VAL_EXT : 0);
    f->minor_version = 0;
    seal(&f->h);
}

static void build_facs(struct acpi_facs *f)
{
    memcpy(f->signature, "FACS", 4);
    f->length = sizeof(*f);
    f->version = 2;
}

/* Appends one MADT entry of len bytes at *at. */
static void *madt_entry(uint8_t **at, uint8_t type, uint8_t len)
{
    uint8_t *e = *at;
    e[0] = type;
    e[1] = len;
    *at += len;
    return e;
}

static uint32_t madt_cpus(const struct acpi_params *p)
{
    return p->cpus ? p->cpus : 1;
}

static uint32_t madt_size(const struct acpi_params *p)
{
    return (uint32_t)(sizeof(struct acpi_madt) + sizeof(struct madt_lapic) * madt_cpus(p) +
                      sizeof(struct madt_ioapic) +
                      sizeof(struct madt_iso) * (p->sci_irq < 16 ? 2 : 1) +
                      (p->lapic_nmi ? sizeof(struct madt_lapic_nmi) : 0));
}

static void build_madt(struct acpi_madt *m, const struct acpi_params *p)
{
    uint32_t len = madt_size(p);
    header(&m->h, "APIC", len, 4);
    m->lapic_address = (uint32_t)LAYOUT_LAPIC;
    m->flags = MADT_PCAT_COMPAT; /* the 8259s exist (passed through); Linux masks them */
    uint8_t *at = (uint8_t *)(m + 1);

    /* The VPs in order: the guest's CPU n is VP n (Linux numbers them so). */
    for (uint32_t i = 0; i < madt_cpus(p); i++) {
        struct madt_lapic *cpu = madt_entry(&at, MADT_TYPE_LAPIC, sizeof(*cpu));
        cpu->uid = (uint8_t)i;
        cpu->apic_id = p->cpus ? p->apic_ids[i] : 0;
        cpu->flags = 1; /* enabled */
    }

    struct madt_ioapic *io = madt_entry(&at, MADT_TYPE_IOAPIC, sizeof(*io));
    io->id = 0;
    io->address = (uint32_t)LAYOUT_IOAPIC;
    io->gsi_base = 0;

    /* The PIT's IRQ0 is wired to IOAPIC pin 2 on PCs. */
    struct madt_iso *pit = madt_entry(&at, MADT_TYPE_ISO, sizeof(*pit));
    pit->source = 0;
    pit->gsi = 2;
    pit->flags = MPS_INTI_CONFORMS;

    /* The SCI defaults to active-low; the ICH9 delivers it active-high, level. */
    if (p->sci_irq < 16) {
        struct madt_iso *sci = madt_entry(&at, MADT_TYPE_ISO, sizeof(*sci));
        sci->source = p->sci_irq;
        sci->gsi = p->sci_irq;
        sci->flags = MPS_INTI_LEVEL_HIGH;
    }
    if (p->lapic_nmi) {
        struct madt_lapic_nmi *nmi = madt_entry(&at, MADT_TYPE_LAPIC_NMI, sizeof(*nmi));
        nmi->uid = 0xFF;
        nmi->flags = MPS_INTI_CONFORMS;
        nmi->lint = 1;
    }
    seal(&m->h);
}

static int build_dsdt(struct region *r, const struct acpi_params *p, uint64_t *gpa, uint32_t *len,
                      const char **why)
{
    uint64_t at = align_up(r->next, 16);
    if (at >= r->end || r->end - at <= sizeof(struct acpi_header))
        return fail(why, "no room for the DSDT in the ACPI region");
    uint64_t room = r->end - at;
    if (room > DSDT_MAX)
        room = DSDT_MAX;
    uint8_t *t = take(r, room, 16, gpa);
    if (!t)
        return fail(why, "ACPI region is not inside guest RAM");

    struct aml a;
    aml_init(&a, t + sizeof(struct acpi_header), room - sizeof(struct acpi_header));
    /* \_S5: SLP_TYPa, SLP_TYPb, reserved, reserved. */
    aml_name(&a, "\\_S5");
    aml_begin_package(&a);
    aml_integer(&a, p->s5_slp_typ);
    aml_integer(&a, p->s5_slp_typ);
    aml_integer(&a, 0);
    aml_integer(&a, 0);
    aml_end(&a);
    aml_begin_scope(&a, "\\_SB");
    if (p->sb_devices)
        p->sb_devices(&a, p->sb_ctx);
    aml_end(&a);
    size_t body;
    if (aml_finish(&a, &body, why))
        return -1;

    *len = (uint32_t)(sizeof(struct acpi_header) + body);
    r->next = *gpa + *len; /* give back what the AML did not use */
    struct acpi_header *h = (struct acpi_header *)t;
    /* Revision 2: AML integers are 64 bits (QWord windows need that). */
    header(h, "DSDT", *len, 2);
    seal(h);
    return 0;
}

int acpi_build(const struct guest_mem *gm, uint64_t base, uint64_t size,
               const struct acpi_params *p, struct acpi_tables *out, const char **why)
{
    if (check_params(p, why))
        return -1;
    if (base % 16)
        return fail(why, "ACPI region not 16-byte aligned (the RSDP must be)");
    if (base >= LAYOUT_4G || size > LAYOUT_4G - base)
        return fail(why, "ACPI region not below 4 GiB (FADT has 32-bit pointers)");
    uint8_t *all = gmem_ptr(gm, base, size);
    if (!all)
        return fail(why, "ACPI region is not inside guest RAM");
    memset(all, 0, size);

    struct acpi_tables t = {0};
    struct region r = {gm, base, base + size};
    struct acpi_rsdp *rsdp = take(&r, sizeof(*rsdp), 16, &t.rsdp);
    t.xsdt_len = sizeof(struct acpi_header) + 8 * XSDT_ENTRIES;
    struct acpi_header *xsdt = take(&r, t.xsdt_len, 16, &t.xsdt);
    t.fadt_len = sizeof(struct acpi_fadt);
    struct acpi_fadt *fadt = take(&r, t.fadt_len, 16, &t.fadt);
    struct acpi_facs *facs = take(&r, sizeof(*facs), 64, &t.facs); /* FACS: 64-byte aligned */
    t.madt_len = madt_size(p);
    struct acpi_madt *madt = take(&r, t.madt_len, 16, &t.madt);
    if (!rsdp || !xsdt || !fadt || !facs || !madt)
        return fail(why, "ACPI region too small");
    if (build_dsdt(&r, p, &t.dsdt, &t.dsdt_len, why))
        return -1;
    t.end = r.next;

    build_facs(facs);
    build_madt(madt, p);
    build_fadt(fadt, p, t.facs, t.dsdt);

    header(xsdt, "XSDT", t.xsdt_len, 1);
    uint8_t *entries = (uint8_t *)(xsdt + 1);
    memcpy(entries, &t.fadt, 8);
    memcpy(entries + 8, &t.madt, 8);
    seal(xsdt);

    memcpy(rsdp->signature, "RSD PTR ", 8);
    memcpy(rsdp->oem_id, OEM_ID, 6);
    rsdp->revision = 2;
    rsdp->length = sizeof(*rsdp);
    rsdp->xsdt = t.xsdt; /* no RSDT: every ACPI 2.0+ OS takes the XSDT */
    rsdp->checksum = (uint8_t)(0 - acpi_sum8(rsdp, 20));
    rsdp->ext_checksum = (uint8_t)(0 - acpi_sum8(rsdp, sizeof(*rsdp)));

    *out = t;
    return 0;
}
