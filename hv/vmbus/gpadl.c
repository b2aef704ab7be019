/* GPADLs: guest page lists the guest describes once (GPADL_HEADER, continued
 * by GPADL_BODY messages) and later names by handle (OPENCHANNEL's rings).
 * The range buffer is kept as sent and checked whole when it is complete:
 * each range's byte offset and count against its PFN count, every PFN
 * inside guest RAM, the total against VMBUS_GPADL_MAX_PAGES. A failure is
 * answered with a nonzero creation status and leaves nothing behind. */
#include "vmbus/gpadl.h"

#include "guest_mem.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "vmbus/outq.h"
#include "vmbus/state.h"

static struct vmbus_gpadl *find(uint32_t handle)
{
    for (unsigned i = 0; i < VMBUS_MAX_GPADLS; i++) {
        if (vmbus.gpadl[i].used && vmbus.gpadl[i].handle == handle)
            return &vmbus.gpadl[i];
    }
    return NULL;
}

static struct vmbus_gpadl *find_free(void)
{
    for (unsigned i = 0; i < VMBUS_MAX_GPADLS; i++) {
        if (!vmbus.gpadl[i].used)
            return &vmbus.gpadl[i];
    }
    return NULL;
}

static void created(uint32_t relid, uint32_t handle, NTSTATUS st)
{
    struct vmbus_gpadl_created m = {{VMBUS_MSG_GPADL_CREATED, 0}, relid, handle, (uint32_t)st};
    outq_send(&m, sizeof(m), 0);
}

static void fail(uint32_t msgtype, uint32_t relid, uint32_t handle, const char *why, NTSTATUS st)
{
    vmbus_refuse(msgtype, why, st);
    created(relid, handle, st);
}

/* Walks the complete range buffer; STATUS_SUCCESS with *pages, or a failure with *why. */
static NTSTATUS parse(const struct vmbus_gpadl *g, uint32_t *pages, const char **why)
{
    const struct guest_mem *gm = vmbus.port.gm;
    unsigned w = 0;
    *pages = 0;
    for (unsigned r = 0; r < g->ranges; r++) {
        if (w == g->words_total) {
            *why = "range_buflen ends before the last range";
            return STATUS_INVALID_PARAMETER;
        }
        uint32_t count = (uint32_t)g->words[w];
        uint32_t offset = (uint32_t)(g->words[w] >> 32);
        w++;
        if (!count || offset >= PAGE_SIZE) {
            *why = "range byte count 0 or byte offset beyond its first page";
            return STATUS_INVALID_PARAMETER;
        }
        uint64_t need = ((uint64_t)offset + count + PAGE_SIZE - 1) / PAGE_SIZE;
        if (need > g->words_total - w) {
            *why = "range covers more pages than it lists PFNs";
            return STATUS_INVALID_PARAMETER;
        }
        for (unsigned i = 0; i < need; i++) {
            uint64_t pfn = g->words[w + i];
            if (pfn >= (1ull << (64 - PAGE_SHIFT)) || !gmem_ptr(gm, pfn << PAGE_SHIFT, PAGE_SIZE)) {
                *why = "PFN outside guest RAM";
                return STATUS_INVALID_PARAMETER;
            }
        }
        w += (unsigned)need;
        *pages += (uint32_t)need;
    }
    if (w != g->words_total) {
        *why = "range_buflen lists more PFNs than the ranges cover";
        return STATUS_INVALID_PARAMETER;
    }
    return STATUS_SUCCESS;
}

static void finish(struct vmbus_gpadl *g, uint32_t msgtype)
{
    const char *why = NULL;
    uint32_t pages;
    NTSTATUS st = parse(g, &pages, &why);
    if (!NT_SUCCESS(st)) {
        g->used = false;
        fail(msgtype, g->relid, g->handle, why, st);
        return;
    }
    if (fault_on() && !NT_SUCCESS(st = vmbus.faults->gpadl_status(chan_slot(g->relid)))) {
        g->used = false;
        created(g->relid, g->handle, st);
        return;
    }
    g->complete = true;
    g->pages = pages;
    const char *more = vmbus_log_ok(VMBUS_LOG_GPADL_CREATED);
    if (more)
        hv_log("vmbus", "GPADL 0x%x of relid %u created: %u pages in %u range%s%s", g->handle,
               g->relid, pages, g->ranges, g->ranges == 1 ? "" : "s", more);
    created(g->relid, g->handle, STATUS_SUCCESS);
}

uint16_t gpadl_header(const struct vmbus_channel *c, const struct vmbus_gpadl_req *r)
{
    const uint32_t t = VMBUS_MSG_GPADL_HEADER;
    const uint32_t relid = chan_relid(c);
    NTSTATUS st = STATUS_INVALID_PARAMETER;
    const char *why = NULL;
    struct vmbus_gpadl *g = NULL;
    if (c->offer == OFFER_RESCINDED) {
        st = STATUS_INVALID_DEVICE_STATE;
        why = "channel was rescinded";
    } else if (!r->handle || find(r->handle)) {
        why = "GPADL handle 0 or already in use";
    } else if (!r->ranges || r->ranges > VMBUS_GPADL_MAX_RANGES) {
        why = "range count 0 or above 8";
    } else if (r->buflen % 8 || r->buflen < 16u * r->ranges) {
        why = "range_buflen not whole words or too short for the range count";
    } else if (r->nwords > r->buflen / 8u) {
        why = "header carries more than range_buflen";
    } else if (r->buflen / 8u - r->ranges > VMBUS_GPADL_MAX_PAGES) {
        st = STATUS_INSUFFICIENT_RESOURCES;
        why = "more pages than a GPADL may have";
    } else if (!(g = find_free())) {
        st = STATUS_INSUFFICIENT_RESOURCES;
        why = "GPADL table full";
    }
    if (!g) {
        /* Bodies the guest already sent behind this header find no GPADL
         * and are rejected: the guest's establish fails either way. */
        fail(t, relid, r->handle, why, st);
        return HV_STATUS_SUCCESS;
    }
    g->used = true;
    g->complete = false;
    g->handle = r->handle;
    g->relid = relid;
    g->ranges = r->ranges;
    g->words_total = (uint16_t)(r->buflen / 8u);
    g->words_have = (uint16_t)r->nwords;
    memcpy(g->words, r->words, r->nwords * sizeof(uint64_t));
    if (g->words_have == g->words_total)
        finish(g, t);
    return HV_STATUS_SUCCESS;
}

uint16_t gpadl_body(const struct vmbus_gpadl_req *r)
{
    const uint32_t t = VMBUS_MSG_GPADL_BODY;
    struct vmbus_gpadl *g = find(r->handle);
    if (!g || g->complete)
        return vmbus_reject(t, "no GPADL of that handle is being created");
    if (r->nwords > (unsigned)(g->words_total - g->words_have)) {
        g->used = false;
        fail(t, g->relid, g->handle, "more PFNs than range_buflen announced",
             STATUS_INVALID_PARAMETER);
        return HV_STATUS_SUCCESS;
    }
    memcpy(&g->words[g->words_have], r->words, r->nwords * sizeof(uint64_t));
    g->words_have = (uint16_t)(g->words_have + r->nwords);
    if (g->words_have == g->words_total)
        finish(g, t);
    return HV_STATUS_SUCCESS;
}

uint16_t gpadl_teardown(uint32_t relid, uint32_t handle)
{
    const uint32_t t = VMBUS_MSG_GPADL_TEARDOWN;
    struct vmbus_gpadl *g = find(handle);
    if (!g || !g->complete)
        return vmbus_reject(t, "no created GPADL of that handle");
    if (g->relid != relid)
        return vmbus_reject(t, "GPADL belongs to another relid");
    const struct vmbus_channel *c = chan_slot(relid); /* a GPADL's relid is valid */
    if (c->state == CHAN_OPENED && c->ring_gpadl == handle)
        return vmbus_reject(t, "GPADL holds the rings of an open channel");
    g->used = false;
    const char *more = vmbus_log_ok(VMBUS_LOG_GPADL_TORN_DOWN);
    if (more)
        hv_log("vmbus", "GPADL 0x%x of relid %u torn down%s", handle, relid, more);
    struct vmbus_gpadl_torndown m = {{VMBUS_MSG_GPADL_TORNDOWN, 0}, handle};
    outq_send(&m, sizeof(m), 0);
    return HV_STATUS_SUCCESS;
}

/* Whether a PFN appears twice among the n (<= VMBUS_GPADL_MAX_PAGES): sorted
 * copy (Shell sort, Ciura's gaps), then neighbours compared. */
static bool repeats_a_page(const uint64_t *pfns, uint32_t n)
{
    static const unsigned gaps[] = {301, 132, 57, 23, 10, 4, 1};
    static uint64_t s[VMBUS_GPADL_MAX_PAGES];
    memcpy(s, pfns, n * sizeof(*s));
    for (unsigned k = 0; k < sizeof(gaps) / sizeof(gaps[0]); k++) {
        unsigned gap = gaps[k];
        for (unsigned i = gap; i < n; i++) {
            uint64_t v = s[i];
            unsigned j = i;
            for (; j >= gap && s[j - gap] > v; j -= gap)
                s[j] = s[j - gap];
            s[j] = v;
        }
    }
    for (unsigned i = 1; i < n; i++) {
        if (s[i] == s[i - 1])
            return true;
    }
    return false;
}

NTSTATUS gpadl_check_ring(uint32_t relid, uint32_t handle, uint32_t downstream_pages,
                          const uint64_t **pfns, uint32_t *pages, const char **why)
{
    const struct vmbus_gpadl *g = gpadl_created(relid, handle);
    if (!g) {
        *why = "ring GPADL not created for this relid";
        return STATUS_INVALID_PARAMETER;
    }
    uint32_t count = (uint32_t)g->words[0], offset = (uint32_t)(g->words[0] >> 32);
    if (g->ranges != 1 || offset || count != (uint64_t)g->pages * PAGE_SIZE) {
        *why = "ring GPADL is not one page-aligned range";
        return STATUS_INVALID_PARAMETER;
    }
    /* Each ring: a header page and at least one data page. */
    if (downstream_pages < 2 || g->pages < (uint64_t)downstream_pages + 2) {
        *why = "rings do not fit the GPADL at that downstream offset";
        return STATUS_INVALID_PARAMETER;
    }
    /* A page in both rings (or twice in one) lets the host's writes land in
     * what it reads: an answering device could refill the ring it drains. */
    if (repeats_a_page(&g->words[1], g->pages)) {
        *why = "ring GPADL lists a page twice: the rings would overlap";
        return STATUS_INVALID_PARAMETER;
    }
    *pfns = &g->words[1]; /* after the one range descriptor */
    *pages = g->pages;
    return STATUS_SUCCESS;
}

const struct vmbus_gpadl *gpadl_created(uint32_t relid, uint32_t handle)
{
    const struct vmbus_gpadl *g = find(handle);
    return g && g->complete && g->relid == relid ? g : NULL;
}

void gpadl_free_relid(uint32_t relid)
{
    for (unsigned i = 0; i < VMBUS_MAX_GPADLS; i++) {
        if (!relid || vmbus.gpadl[i].relid == relid)
            vmbus.gpadl[i].used = false;
    }
}
