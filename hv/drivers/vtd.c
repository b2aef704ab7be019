#include "drivers/vtd.h"

#include "drivers/pci.h"
#include "lib/log.h"
#include "lib/mem.h"

static uint64_t *page_alloc(struct vtd *v)
{
    uint64_t *p = v->free_pages;
    if (!p)
        return heap_alloc_pages(v->heap, 1);
    v->free_pages = (uint64_t *)(uintptr_t)p[0];
    memset(p, 0, PAGE_SIZE);
    return p;
}

static void page_free(struct vtd *v, uint64_t *p)
{
    p[0] = (uint64_t)(uintptr_t)v->free_pages;
    v->free_pages = p;
}

static void flush(struct vtd *v, const void *p, uint64_t len)
{
    if (!(v->ecap & VTD_ECAP_C))
        v->ops.flush(v->ops.ctx, p, len);
}

static uint64_t pa(const void *p)
{
    return (uint64_t)(uintptr_t)p;
}

/* Frees a domain's tables: t is a table of level `level` (1: leaves). */
static void tables_free(struct vtd *v, uint64_t *t, unsigned level)
{
    for (unsigned i = 0; level > 1 && i < 512; i++)
        if ((t[i] & (VTD_SL_R | VTD_SL_W)) && !(t[i] & VTD_SL_PS))
            tables_free(v, (uint64_t *)(uintptr_t)(t[i] & VTD_ADDR), level - 1);
    page_free(v, t);
}

/* Maps [iova, iova+len) to pa read/write under top, 2 MiB pages where the
 * unit has them and alignment allows. -1 (why) on overlap or no heap. */
static int map(struct vtd *v, uint64_t *top, uint64_t iova, uint64_t hpa, uint64_t len,
               const char **why)
{
    const uint64_t m2 = 2ull << 20;
    bool large = v->cap & VTD_CAP_SLLPS_2M;
    for (uint64_t off = 0; off < len;) {
        uint64_t a = iova + off, p = hpa + off;
        bool big = large && !(a % m2) && !(p % m2) && len - off >= m2;
        uint64_t *t = top;
        for (unsigned level = v->levels; level > (big ? 2u : 1u); level--) {
            uint64_t *e = &t[a >> (12 + 9 * (level - 1)) & 511];
            if (*e & VTD_SL_PS) {
                *why = "the ranges overlap";
                return -1;
            }
            if (!*e) {
                uint64_t *n = page_alloc(v);
                if (!n) {
                    *why = "out of heap for the DMA page tables";
                    return -1;
                }
                flush(v, n, PAGE_SIZE);
                *e = pa(n) | VTD_SL_R | VTD_SL_W;
                flush(v, e, 8);
            }
            t = (uint64_t *)(uintptr_t)(*e & VTD_ADDR);
        }
        uint64_t *e = &t[a >> (big ? 21 : 12) & 511];
        if (*e) {
            *why = "the ranges overlap";
            return -1;
        }
        *e = p | VTD_SL_R | VTD_SL_W | (big ? VTD_SL_PS : 0);
        flush(v, e, 8);
        off += big ? m2 : PAGE_SIZE;
    }
    return 0;
}

/* A new domain's tables over ranges, or NULL (why): each range page-aligned,
 * non-empty, inside the unit's address width. */
static uint64_t *domain(struct vtd *v, const struct iommu_range *r, unsigned n, const char **why)
{
    uint64_t *top = page_alloc(v);
    if (!top) {
        *why = "out of heap for the DMA page tables";
        return NULL;
    }
    flush(v, top, PAGE_SIZE);
    for (unsigned i = 0; i < n; i++) {
        const struct iommu_range *x = &r[i];
        /* entries hold host addresses in bits 51:12 */
        bool bad = !x->len || (x->gpa | x->hpa | x->len) % PAGE_SIZE || x->gpa >= v->limit ||
                   x->len > v->limit - x->gpa || x->hpa >= VTD_HPA_LIMIT ||
                   x->len > VTD_HPA_LIMIT - x->hpa;
        if (bad)
            *why = "a range is empty, not page-aligned or beyond the IOMMU's address width";
        if (bad || map(v, top, x->gpa, x->hpa, x->len, why)) {
            tables_free(v, top, v->levels);
            return NULL;
        }
    }
    return top;
}

static int spin(struct vtd *v, uint32_t off, uint32_t bit, bool set)
{
    for (unsigned i = 0; i < VTD_SPINS; i++)
        if (!(v->ops.read32(v->ops.ctx, off) & bit) == !set)
            return 0;
    return -1;
}

static int spin64(struct vtd *v, uint32_t off, uint64_t bit)
{
    for (unsigned i = 0; i < VTD_SPINS; i++)
        if (!(v->ops.read64(v->ops.ctx, off) & bit))
            return 0;
    return -1;
}

/* A global command: the status bits that persist, plus cmd; then waits for
 * status bit `done` to read `set`. */
static int command(struct vtd *v, uint32_t cmd, uint32_t done, bool set)
{
    uint32_t st = v->ops.read32(v->ops.ctx, VTD_GSTS) & VTD_GSTS_KEEP;
    v->ops.write32(v->ops.ctx, VTD_GCMD, st | cmd);
    return spin(v, VTD_GSTS, done, set);
}

/* Write buffer flush where the unit asks for it, then global context-cache
 * and IOTLB invalidations. Done after every context-entry change: with
 * CAP.CM (QEMU's caching-mode=on) the unit may cache not-present entries,
 * so even a new entry needs it. */
static int invalidate(struct vtd *v, const char **why)
{
    if ((v->cap & VTD_CAP_RWBF) && command(v, VTD_GCMD_WBF, VTD_GCMD_WBF, false)) {
        *why = "write buffer flush timed out";
        return -1;
    }
    v->ops.write64(v->ops.ctx, VTD_CCMD, VTD_CCMD_ICC | VTD_CCMD_GLOBAL);
    if (spin64(v, VTD_CCMD, VTD_CCMD_ICC)) {
        *why = "context-cache invalidation timed out";
        return -1;
    }
    uint32_t iotlb = VTD_ECAP_IRO(v->ecap) + 8;
    uint64_t drain =
        (v->cap & VTD_CAP_DRD ? VTD_IOTLB_DR : 0) | (v->cap & VTD_CAP_DWD ? VTD_IOTLB_DW : 0);
    v->ops.write64(v->ops.ctx, iotlb, VTD_IOTLB_IVT | VTD_IOTLB_GLOBAL | drain);
    if (spin64(v, iotlb, VTD_IOTLB_IVT)) {
        *why = "IOTLB invalidation timed out";
        return -1;
    }
    return 0;
}

/* bdf's context entry, its bus's context table made if absent; NULL: no heap. */
static uint64_t *context_entry(struct vtd *v, uint16_t bdf)
{
    unsigned bus = PCI_BUS(bdf);
    if (!v->context[bus]) {
        uint64_t *t = page_alloc(v);
        if (!t)
            return NULL;
        flush(v, t, PAGE_SIZE);
        v->context[bus] = t;
        v->root[2 * bus] = pa(t) | VTD_PRESENT;
        flush(v, &v->root[2 * bus], 16);
    }
    return &v->context[bus][2 * (bdf & 0xff)];
}

/* The upper half first: the unit never sees a present entry half written. */
static void context_set(struct vtd *v, uint64_t *e, const uint64_t *top, unsigned did)
{
    e[1] = (v->levels == 4 ? VTD_CTX_AW_4L : VTD_CTX_AW_3L) | VTD_CTX_DID(did);
    flush(v, e, 16);
    e[0] = pa(top) | VTD_PRESENT; /* translation type 0: untranslated requests only */
    flush(v, e, 16);
}

static unsigned context_did(const uint64_t *e)
{
    return (e[0] & VTD_PRESENT) ? (unsigned)(e[1] >> 8) & 0xffff : 0;
}

int vtd_init(struct vtd *v, const struct vtd_ops *ops, struct heap *heap,
             const struct iommu_range *host, unsigned nhost, const char **why)
{
    memset(v, 0, sizeof(*v));
    v->ops = *ops;
    v->heap = heap;
    v->fault_log = (struct log_once)LOG_ONCE_N(16, " (further DMA faults not reported)");
    v->cap = ops->read64(ops->ctx, VTD_CAP);
    v->ecap = ops->read64(ops->ctx, VTD_ECAP);
    unsigned sagaw = VTD_CAP_SAGAW(v->cap), mgaw = VTD_CAP_MGAW(v->cap);
    v->levels = sagaw & 4 ? 4 : sagaw & 2 ? 3 : 0;
    if (!v->levels) {
        *why = "no 3- or 4-level second-level page tables (SAGAW)";
        return -1;
    }
    unsigned bits = v->levels == 4 ? 48 : 39;
    v->limit = 1ull << (mgaw < bits ? mgaw : bits);
    if (VTD_ECAP_IRO(v->ecap) == 0 || VTD_CAP_FRO(v->cap) == 0) {
        *why = "no IOTLB or fault recording registers";
        return -1;
    }
    v->root = page_alloc(v);
    if (!v->root) {
        *why = "out of heap for the root table";
        return -1;
    }
    flush(v, v->root, PAGE_SIZE);
    v->host = domain(v, host, nhost, why);
    return v->host ? 0 : -1;
}

int vtd_host_function(struct vtd *v, uint16_t bdf, const char **why)
{
    uint64_t *e = context_entry(v, bdf);
    if (!e) {
        *why = "out of heap for a context table";
        return -1;
    }
    if (!(e[0] & VTD_PRESENT))
        v->nhost++;
    context_set(v, e, v->host, VTD_HOST_DID);
    return 0;
}

int vtd_enable(struct vtd *v, const char **why)
{
    v->ops.write32(v->ops.ctx, VTD_FECTL, VTD_FECTL_IM);
    v->ops.write64(v->ops.ctx, VTD_RTADDR, pa(v->root)); /* TTM 0: legacy mode */
    if (command(v, VTD_GCMD_SRTP, VTD_GCMD_SRTP, true)) {
        *why = "setting the root table pointer timed out";
        return -1;
    }
    if (invalidate(v, why))
        return -1;
    if (command(v, VTD_GCMD_TE, VTD_GCMD_TE, true)) {
        *why = "translation did not turn on (GSTS.TES)";
        return -1;
    }
    return 0;
}

static int guest_slot(const struct vtd *v, uint16_t bdf)
{
    for (int i = 0; i < VTD_GUESTS_MAX; i++)
        if (v->guest[i].used && v->guest[i].bdf == bdf)
            return i;
    return -1;
}

/* The old domain's entry is made not-present and invalidated before its
 * tables are freed: the unit may still walk them until then. */
static void drop(struct vtd *v, int slot, uint64_t *e)
{
    const char *why;
    e[0] = 0;
    flush(v, e, 16);
    e[1] = 0;
    flush(v, e, 16);
    if (invalidate(v, &why))
        hv_log("iommu", "unassigning %02x:%02x.%u: %s", PCI_BUS(v->guest[slot].bdf),
               PCI_DEV(v->guest[slot].bdf), PCI_FN(v->guest[slot].bdf), why);
    tables_free(v, v->guest[slot].top, v->levels);
    v->guest[slot].used = false;
}

int vtd_assign(struct vtd *v, uint16_t bdf, const struct iommu_range *r, unsigned n,
               const char **why)
{
    uint64_t *e = context_entry(v, bdf);
    if (!e) {
        *why = "out of heap for a context table";
        return -1;
    }
    if (context_did(e) == VTD_HOST_DID) {
        *why = "the hypervisor drives this function";
        return -1;
    }
    if (!n) {
        *why = "no range to map";
        return -1;
    }
    int slot = guest_slot(v, bdf);
    if (slot >= 0)
        drop(v, slot, e);
    for (slot = 0; slot < VTD_GUESTS_MAX && v->guest[slot].used; slot++)
        ;
    if (slot == VTD_GUESTS_MAX) {
        *why = "too many functions assigned";
        return -1;
    }
    uint64_t *top = domain(v, r, n, why);
    if (!top)
        return -1;
    v->guest[slot].used = true;
    v->guest[slot].bdf = bdf;
    v->guest[slot].top = top;
    context_set(v, e, top, VTD_HOST_DID + 1 + (unsigned)slot);
    if (invalidate(v, why)) {
        drop(v, slot, e);
        return -1;
    }
    return 0;
}

void vtd_unassign(struct vtd *v, uint16_t bdf)
{
    int slot = guest_slot(v, bdf);
    if (slot >= 0)
        drop(v, slot, context_entry(v, bdf));
}

unsigned vtd_poll_faults(struct vtd *v)
{
    unsigned found = 0, fro = VTD_CAP_FRO(v->cap), nfr = VTD_CAP_NFR(v->cap);
    for (unsigned i = 0; i < nfr; i++) {
        uint32_t rec = fro + 16 * i;
        uint64_t hi = v->ops.read64(v->ops.ctx, rec + 8);
        if (!(hi & VTD_FRCD_F))
            continue;
        uint64_t lo = v->ops.read64(v->ops.ctx, rec);
        v->ops.write32(v->ops.ctx, rec + 12, (uint32_t)(VTD_FRCD_F >> 32)); /* write 1 to clear */
        found++;
        uint16_t sid = (uint16_t)hi;
        unsigned reason = VTD_FRCD_REASON(hi);
        const char *end = log_once_take(&v->fault_log, sid, reason);
        if (end)
            hv_log("iommu", "DMA fault: %02x:%02x.%u %s at 0x%llx, reason %u%s", PCI_BUS(sid),
                   PCI_DEV(sid), PCI_FN(sid), hi & VTD_FRCD_T_READ ? "read" : "write",
                   (unsigned long long)(lo & ~0xfffull), reason, end);
    }
    v->ops.write32(v->ops.ctx, VTD_FSTS, VTD_FSTS_PFO); /* overflow, write 1 to clear */
    v->faults += found;
    return found;
}
