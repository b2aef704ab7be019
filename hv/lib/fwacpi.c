#include "lib/fwacpi.h"

#include "lib/mem.h"

#define MAX_TABLE (16u << 20)

static const uint8_t *ptr(uint64_t pa)
{
    return (const uint8_t *)(uintptr_t)pa;
}

static uint32_t rd32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

static uint64_t rd64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

uint8_t acpi_sum8(const void *p, size_t n)
{
    const uint8_t *b = p;
    uint8_t s = 0;
    for (size_t i = 0; i < n; i++)
        s = (uint8_t)(s + b[i]);
    return s;
}

static bool checksum_ok(const uint8_t *p, uint32_t len)
{
    return acpi_sum8(p, len) == 0;
}

/* A table header (36 bytes) with a sane length and a valid checksum. */
static const uint8_t *table(uint64_t pa, const char *sig, uint32_t *len)
{
    if (!pa)
        return NULL;
    const uint8_t *t = ptr(pa);
    if (sig && memcmp(t, sig, 4))
        return NULL;
    *len = rd32(t + 4);
    if (*len < 36 || *len > MAX_TABLE || !checksum_ok(t, *len))
        return NULL;
    return t;
}

/* The first valid table with signature sig and at least min_len bytes that
 * the XSDT (or RSDT) lists, else NULL; *why is set only if the root itself is
 * missing or corrupt. */
static const uint8_t *find_table(uint64_t rsdp_pa, const char *sig, uint32_t min_len,
                                 const char **why)
{
    const uint8_t *rsdp = ptr(rsdp_pa);
    if (!rsdp_pa || memcmp(rsdp, "RSD PTR ", 8) || !checksum_ok(rsdp, 20)) {
        *why = "no valid RSDP";
        return NULL;
    }
    uint32_t len;
    bool x = rsdp[15] >= 2 && rd64(rsdp + 24);
    const uint8_t *root =
        x ? table(rd64(rsdp + 24), "XSDT", &len) : table(rd32(rsdp + 16), "RSDT", &len);
    if (!root) {
        *why = "no valid XSDT/RSDT";
        return NULL;
    }
    unsigned esz = x ? 8 : 4;
    for (uint32_t off = 36; off + esz <= len; off += esz) {
        uint64_t pa = x ? rd64(root + off) : rd32(root + off);
        uint32_t tlen;
        const uint8_t *t = table(pa, sig, &tlen);
        if (t && tlen >= min_len)
            return t;
    }
    return NULL;
}

/* Generic Address Structure at p (12 bytes); only I/O and memory spaces count. */
static struct acpi_reg gas(const uint8_t *p)
{
    struct acpi_reg r = {p[0], rd64(p + 4)};
    if (r.space != ACPI_SPACE_IO && r.space != ACPI_SPACE_MEMORY)
        r.addr = 0;
    return r;
}

/* An AML integer constant at p: ZeroOp, OneOp or BytePrefix n. */
static int aml_byte(const uint8_t *p, const uint8_t *end, uint8_t *v, const uint8_t **next)
{
    if (p >= end)
        return -1;
    if (*p == 0x00 || *p == 0x01) {
        *v = *p;
        *next = p + 1;
        return 0;
    }
    if (*p == 0x0a && p + 1 < end) {
        *v = p[1];
        *next = p + 2;
        return 0;
    }
    return -1;
}

/* Name(\_S5, Package(){a, b, ...}): find "_S5_" then PackageOp. */
static int find_s5(const uint8_t *dsdt, uint32_t len, uint8_t *a, uint8_t *b)
{
    const uint8_t *end = dsdt + len;
    for (const uint8_t *p = dsdt + 36; p + 5 < end; p++) {
        if (memcmp(p, "_S5_", 4) || p[4] != 0x12)
            continue;
        const uint8_t *q = p + 5;
        unsigned extra = q[0] >> 6; /* PkgLength: lead byte + 0..3 bytes */
        q += 1 + extra + 1;         /* skip PkgLength and NumElements */
        if (q >= end || aml_byte(q, end, a, &q) || aml_byte(q, end, b, &q))
            continue;
        return 0;
    }
    return -1;
}

/* MCFG: 8 reserved bytes after the header, then 16-byte allocations (base,
 * segment, start bus, end bus). Only segment 0's: the hypervisor scans no other.
 * The window's base is taken as the address of bus 0, as the MCFG defines it. */
static void find_ecam(uint64_t rsdp, struct fw_acpi *out, const char **why)
{
    const uint8_t *mcfg = find_table(rsdp, "MCFG", 44 + 16, why);
    if (!mcfg)
        return;
    uint32_t len = rd32(mcfg + 4);
    for (uint32_t off = 44; off + 16 <= len; off += 16) {
        const uint8_t *a = mcfg + off;
        if (a[8] | a[9] || a[10] > a[11] || !rd64(a) || rd64(a) % (1u << 20))
            continue;
        out->ecam = rd64(a);
        out->ecam_bus_start = a[10];
        out->ecam_bus_end = a[11];
        return;
    }
}

/* One enabled processor's APIC ID: kept once, within the bound. */
static void add_cpu(struct fw_acpi *out, uint32_t id)
{
    for (uint32_t i = 0; i < out->cpu_count; i++) {
        if (out->apic_ids[i] == id) {
            if (!out->madt_why)
                out->madt_why = "an APIC ID listed twice (kept once)";
            return;
        }
    }
    if (out->cpu_count == FWACPI_CPUS_MAX) {
        out->cpus_dropped++;
        return;
    }
    out->apic_ids[out->cpu_count++] = id;
}

/* MADT: the 36-byte header, the local APIC address and flags, then entries of
 * (type, length, ...). Type 0 (local APIC, 8 bytes): APIC ID at 3, flags at 4;
 * type 9 (local x2APIC, 16 bytes): x2APIC ID at 4, flags at 8. Flags bit 0:
 * enabled (bit 1, online-capable, names CPUs that are not there yet). An entry
 * that does not fit its table or its type's size stops the walk: what came
 * before it stands. */
static void find_cpus(uint64_t rsdp, struct fw_acpi *out, const char **why)
{
    const uint8_t *madt = find_table(rsdp, "APIC", 44, why);
    if (!madt) {
        out->madt_why = "no valid MADT";
        return;
    }
    uint32_t len = rd32(madt + 4);
    for (uint32_t off = 44; off < len;) {
        const uint8_t *e = madt + off;
        if (len - off < 2 || e[1] < 2 || e[1] > len - off) {
            out->madt_why = "an entry runs past the table";
            return;
        }
        if ((e[0] == 0 && e[1] != 8) || (e[0] == 9 && e[1] != 16)) {
            out->madt_why = "a processor entry of the wrong size";
            return;
        }
        /* 0xff (type 0) and 0xffffffff (type 9) are broadcast, nobody's ID. */
        if (e[0] == 0 && (rd32(e + 4) & 1) && e[3] != 0xff)
            add_cpu(out, e[3]);
        else if (e[0] == 9 && (rd32(e + 8) & 1) && rd32(e + 4) != 0xffffffffu)
            add_cpu(out, rd32(e + 4));
        off += e[1];
    }
}

int fwacpi_read(uint64_t rsdp, struct fw_acpi *out, const char **why)
{
    *why = "no valid FADT";
    const uint8_t *fadt = find_table(rsdp, "FACP", 116, why);
    if (!fadt)
        return -1;
    uint32_t flen = rd32(fadt + 4);

    memset(out, 0, sizeof(*out));
    uint32_t flags = rd32(fadt + 112);
    out->hw_reduced = flags & (1u << 20);
    out->pm_tmr_32bit = flags & (1u << 8);
    out->sci_int = (uint16_t)(fadt[46] | fadt[47] << 8);
    out->pm1a_evt = rd32(fadt + 56);
    out->pm_tmr = fadt[91] == 4 ? rd32(fadt + 76) : 0;
    if (out->hw_reduced) {
        if (flen >= 256)
            out->sleep_ctl = gas(fadt + 244);
    } else {
        out->pm1a_cnt = (struct acpi_reg){ACPI_SPACE_IO, rd32(fadt + 64)};
        out->pm1b_cnt = (struct acpi_reg){ACPI_SPACE_IO, rd32(fadt + 68)};
        if (flen >= 196) {
            struct acpi_reg xa = gas(fadt + 172), xb = gas(fadt + 184);
            if (xa.addr)
                out->pm1a_cnt = xa;
            if (xb.addr)
                out->pm1b_cnt = xb;
        }
    }
    if (!out->pm1a_cnt.addr && !out->sleep_ctl.addr) {
        *why = "FADT names no PM1a control block or sleep control register";
        return -1;
    }

    uint64_t dsdt_pa = flen >= 148 && rd64(fadt + 140) ? rd64(fadt + 140) : rd32(fadt + 40);
    uint32_t dlen;
    const uint8_t *dsdt = table(dsdt_pa, "DSDT", &dlen);
    if (!dsdt) {
        *why = "no valid DSDT";
        return -1;
    }
    if (find_s5(dsdt, dlen, &out->slp_typa, &out->slp_typb)) {
        *why = "DSDT has no \\_S5 package";
        return -1;
    }
    /* HPET: its event timer block address, a memory-space GAS at offset 40. */
    const uint8_t *hpet = find_table(rsdp, "HPET", 56, why);
    if (hpet && hpet[40] == ACPI_SPACE_MEMORY)
        out->hpet = rd64(hpet + 44);
    find_ecam(rsdp, out, why);
    find_cpus(rsdp, out, why);
    return 0;
}

/* DMAR: the header, host address width (36), flags (37), 10 reserved bytes,
 * then remapping structures (type, length) from 48. */
#define DMAR_DRHD 0
#define DMAR_RMRR 1

static uint16_t dmar_rd16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

/* The device scopes in [p, end): each type, length, flags, reserved,
 * enumeration ID, start bus, then 2-byte (device, function) path hops. */
static const char *dmar_scopes(const uint8_t *p, const uint8_t *end, struct dmar_scope *scope,
                               unsigned *n)
{
    *n = 0;
    while (p < end) {
        if (end - p < 8 || p[1] < 8 || p[1] % 2 || p[1] > end - p)
            return "DMAR device scope length wrong";
        unsigned hops = (p[1] - 6u) / 2;
        if (*n == DMAR_SCOPES_MAX || hops > DMAR_PATH_MAX)
            return "DMAR device scope beyond what is supported";
        struct dmar_scope *s = &scope[(*n)++];
        s->type = p[0];
        s->bus = p[5];
        s->npath = (uint8_t)hops;
        for (unsigned i = 0; i < hops; i++) {
            if (p[6 + 2 * i] > 31 || p[7 + 2 * i] > 7)
                return "DMAR device scope path names no PCI function";
            s->path[i][0] = p[6 + 2 * i];
            s->path[i][1] = p[7 + 2 * i];
        }
        p += p[1];
    }
    return NULL;
}

static const char *dmar_drhd(const uint8_t *s, uint16_t len, struct fw_dmar *out)
{
    if (len < 16)
        return "DMAR DRHD too short";
    if (out->nunit == DMAR_DRHD_MAX)
        return "DMAR lists more DRHD units than supported";
    struct dmar_unit *u = &out->unit[out->nunit++];
    u->include_all = s[4] & 1;
    u->segment = dmar_rd16(s + 6);
    u->base = rd64(s + 8);
    if (!u->base || u->base % 4096)
        return "DMAR DRHD register base not a page";
    return dmar_scopes(s + 16, s + len, u->scope, &u->nscope);
}

static const char *dmar_rmrr(const uint8_t *s, uint16_t len, struct fw_dmar *out)
{
    if (len < 24)
        return "DMAR RMRR too short";
    if (out->nrmrr == DMAR_RMRR_MAX)
        return "DMAR lists more RMRRs than supported";
    struct dmar_rmrr *r = &out->rmrr[out->nrmrr++];
    r->segment = dmar_rd16(s + 6);
    r->base = rd64(s + 8);
    r->limit = rd64(s + 16);
    if (r->base % 4096 || (r->limit + 1) % 4096 || r->limit < r->base)
        return "DMAR RMRR not a page-aligned range";
    return dmar_scopes(s + 24, s + len, r->scope, &r->nscope);
}

int fwacpi_dmar(uint64_t rsdp, struct fw_dmar *out, const char **why)
{
    *why = "no DMAR table";
    const uint8_t *t = find_table(rsdp, "DMAR", 48, why);
    if (!t)
        return -1;
    memset(out, 0, sizeof(*out));
    out->haw = (uint8_t)(t[36] + 1);
    out->flags = t[37];
    uint32_t len = rd32(t + 4);
    const char *bad = NULL;
    for (uint32_t off = 48; off < len && !bad;) {
        const uint8_t *s = t + off;
        uint16_t slen = len - off >= 4 ? dmar_rd16(s + 2) : 0;
        if (slen < 4 || slen > len - off) {
            bad = "DMAR remapping structure length wrong";
            break;
        }
        if (dmar_rd16(s) == DMAR_DRHD)
            bad = dmar_drhd(s, slen, out);
        else if (dmar_rd16(s) == DMAR_RMRR)
            bad = dmar_rmrr(s, slen, out);
        off += slen;
    }
    if (!bad && !out->nunit)
        bad = "DMAR lists no DRHD unit";
    if (!bad && (out->haw < 32 || out->haw > 64))
        bad = "DMAR host address width out of range";
    if (bad) {
        *why = bad;
        return -1;
    }
    return 0;
}

static bool dmar_scope_names(const struct dmar_scope *sc, uint16_t bdf)
{
    return sc->type == DMAR_SCOPE_ENDPOINT && sc->npath == 1 &&
           (uint16_t)(sc->bus << 8 | sc->path[0][0] << 3 | sc->path[0][1]) == bdf;
}

bool dmar_unit_covers(const struct dmar_unit *u, uint16_t bdf)
{
    if (u->include_all)
        return true;
    for (unsigned s = 0; s < u->nscope; s++)
        if (dmar_scope_names(&u->scope[s], bdf))
            return true;
    return false;
}

bool dmar_rmrr_reserves(const struct fw_dmar *d, uint16_t bdf)
{
    for (unsigned i = 0; i < d->nrmrr; i++)
        for (unsigned s = 0; s < d->rmrr[i].nscope && !d->rmrr[i].segment; s++)
            if (d->rmrr[i].scope[s].type == DMAR_SCOPE_BRIDGE ||
                dmar_scope_names(&d->rmrr[i].scope[s], bdf))
                return true;
    return false;
}
