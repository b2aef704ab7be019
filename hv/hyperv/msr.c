/* Synthetic MSRs (contract §2.1). Every value the guest writes is validated
 * here, once: reserved bits, read-only registers and pages outside guest RAM
 * are refused with #GP (logged once per MSR), as Hyper-V does. GUEST_OS_ID,
 * HYPERCALL and REFERENCE_TSC are the partition's; VP_INDEX, VP_ASSIST_PAGE
 * and the SynIC's are the accessing VP's; the APIC MSRs go to the glue. */
#include "hyperv/hyperv.h"

#include "hyperv/hv_wire.h"
#include "lib/log.h"
#include "lib/mem.h"

#define PAGE_MSR_RSVD  0xFFEull /* bits 11:1 of a page-address MSR */
#define HYPERCALL_RSVD (PAGE_MSR_RSVD & ~HV_HYPERCALL_LOCKED)

static enum hv_msr_kind kind_of(uint32_t msr)
{
    switch (msr) {
    case HV_MSR_GUEST_OS_ID:
        return HV_MSRK_GUEST_OS_ID;
    case HV_MSR_HYPERCALL:
        return HV_MSRK_HYPERCALL;
    case HV_MSR_VP_INDEX:
        return HV_MSRK_VP_INDEX;
    case HV_MSR_TIME_REF_COUNT:
        return HV_MSRK_TIME_REF_COUNT;
    case HV_MSR_REFERENCE_TSC:
        return HV_MSRK_REFERENCE_TSC;
    case HV_MSR_TSC_FREQUENCY:
    case HV_MSR_APIC_FREQUENCY:
        return HV_MSRK_FREQUENCY;
    case HV_MSR_VP_ASSIST_PAGE:
        return HV_MSRK_VP_ASSIST;
    case HV_MSR_SCONTROL:
    case HV_MSR_SVERSION:
    case HV_MSR_SIEFP:
    case HV_MSR_SIMP:
        return HV_MSRK_SYNIC;
    case HV_MSR_EOM:
        return HV_MSRK_EOM;
    case HV_MSR_EOI:
    case HV_MSR_ICR:
    case HV_MSR_TPR:
        return HV_MSRK_APIC;
    default:
        if (msr >= HV_MSR_SINT0 && msr <= HV_MSR_SINT15)
            return HV_MSRK_SINT;
        return HV_MSRK_UNKNOWN;
    }
}

static bool in_range(uint32_t msr)
{
    return msr >= HV_MSR_RANGE_FIRST && msr <= HV_MSR_RANGE_LAST;
}

static bool freq_msrs(const struct hyperv_partition *p)
{
    return p->plat.apic_hz != 0; /* the CPUID bits follow the same rule */
}

/* EOI, ICR, TPR: counted here, done by the glue, unlocked (an ICR write may
 * start another VP). */
static int apic_access(struct hyperv_partition *p, uint32_t vp, uint32_t msr, bool write,
                       uint64_t *val)
{
    const char *why = p->plat.apic_msr ? NULL : "not implemented";
    if (why || p->plat.apic_msr(p->plat.ctx, vp, msr, write, val) != HV_MSR_OK) {
        spin_lock(&p->lock);
        hyperv_refuse(p, msr, write, write ? *val : 0, why ? why : "refused by the APIC glue");
        spin_unlock(&p->lock);
        return HV_MSR_GP;
    }
    return HV_MSR_OK;
}

static int msr_read(struct hyperv_partition *p, uint32_t vp, uint32_t msr, uint64_t *val)
{
    const struct hyperv_synic *s = &p->vp[vp].synic;
    switch (msr) {
    case HV_MSR_GUEST_OS_ID:
        *val = p->guest_os_id;
        return HV_MSR_OK;
    case HV_MSR_HYPERCALL:
        *val = p->hypercall;
        return HV_MSR_OK;
    case HV_MSR_VP_INDEX:
        *val = vp;
        return HV_MSR_OK;
    case HV_MSR_TIME_REF_COUNT:
        *val = hyperv_time_ref_count(p);
        return HV_MSR_OK;
    case HV_MSR_REFERENCE_TSC:
        *val = p->ref_tsc;
        return HV_MSR_OK;
    case HV_MSR_TSC_FREQUENCY:
    case HV_MSR_APIC_FREQUENCY:
        if (!freq_msrs(p))
            break;
        *val = msr == HV_MSR_TSC_FREQUENCY ? p->plat.tsc_hz : p->plat.apic_hz;
        return HV_MSR_OK;
    case HV_MSR_VP_ASSIST_PAGE:
        *val = p->vp[vp].vp_assist;
        return HV_MSR_OK;
    case HV_MSR_SCONTROL:
        *val = s->scontrol;
        return HV_MSR_OK;
    case HV_MSR_SVERSION:
        *val = HV_SVERSION;
        return HV_MSR_OK;
    case HV_MSR_SIEFP:
        *val = s->siefp;
        return HV_MSR_OK;
    case HV_MSR_SIMP:
        *val = s->simp;
        return HV_MSR_OK;
    case HV_MSR_EOM:
        hyperv_refuse(p, msr, false, 0, "EOM is write-only");
        return HV_MSR_GP;
    default:
        if (msr >= HV_MSR_SINT0 && msr <= HV_MSR_SINT15) {
            *val = s->sint[msr - HV_MSR_SINT0];
            return HV_MSR_OK;
        }
        break;
    }
    hyperv_refuse(p, msr, false, 0, "not implemented");
    return HV_MSR_GP;
}

/* A page MSR's value: reserved bits clear, and when enabled, a page inside
 * guest RAM. Returns the host pointer of the page (NULL if disabled) or sets
 * *why. */
static void *page_msr(struct hyperv_partition *p, uint64_t val, uint64_t rsvd, const char **why)
{
    *why = NULL;
    if (val & rsvd) {
        *why = "reserved bits set";
        return NULL;
    }
    if (!(val & HV_MSR_ENABLE))
        return NULL;
    void *page = gmem_ptr(p->gm, val & HV_MSR_PAGE_MASK, PAGE_SIZE);
    if (!page)
        *why = "page outside guest RAM";
    return page;
}

/* Publishes scale and offset (fixed for the run: the TSC frequency never
 * changes) under a new nonzero sequence, invalid while being written. */
static void write_tsc_page(struct hyperv_partition *p, struct hv_ref_tsc_page *pg)
{
    uint32_t seq = p->tsc_sequence + 1;
    if (seq == 0 || seq == 0xFFFFFFFFu) /* 0: invalid; ~0: invalid to older guests */
        seq = 1;
    __atomic_store_n(&pg->sequence, 0, __ATOMIC_SEQ_CST);
    memset(pg->reserved2, 0, sizeof(pg->reserved2));
    pg->reserved = 0;
    pg->scale = p->tsc_scale;
    pg->offset = p->tsc_offset;
    __atomic_store_n(&pg->sequence, seq, __ATOMIC_RELEASE);
    p->tsc_sequence = seq;
}

static int write_hypercall(struct hyperv_partition *p, uint64_t val)
{
    const char *why;
    if ((p->hypercall & HV_HYPERCALL_LOCKED) && val != p->hypercall) {
        hyperv_refuse(p, HV_MSR_HYPERCALL, true, val, "locked");
        return HV_MSR_GP;
    }
    if (val & HYPERCALL_RSVD) {
        hyperv_refuse(p, HV_MSR_HYPERCALL, true, val, "reserved bits set");
        return HV_MSR_GP;
    }
    if ((val & HV_MSR_ENABLE) && !p->guest_os_id) {
        /* TLFS (and KVM): no hypercall page before the guest said who it is. */
        p->n.hypercall_ignored++;
        if (log_budget_take(&p->warned_hypercall_ignored))
            hv_log("hyperv", "hypercall page enable ignored: guest OS id not set");
        return HV_MSR_OK;
    }
    uint8_t *page = page_msr(p, val, HYPERCALL_RSVD, &why);
    if (why) {
        hyperv_refuse(p, HV_MSR_HYPERCALL, true, val, why);
        return HV_MSR_GP;
    }
    if (page) {
        static const uint8_t stub[HV_HYPERCALL_STUB_LEN] = {HV_HYPERCALL_STUB_BYTES};
        memcpy(page, stub, sizeof(stub)); /* the rest of the page is left as is */
    }
    p->hypercall = val;
    return HV_MSR_OK;
}

static int write_sint(struct hyperv_partition *p, uint32_t vp, uint32_t msr, uint64_t val)
{
    if (val & ~HV_SINT_WRITABLE) {
        hyperv_refuse(p, msr, true, val, "reserved bits set");
        return HV_MSR_GP;
    }
    /* Only an unmasked SINT raises its vector: masked, any vector may sit
     * there (the reset value has 0), and unmasking is a write checked here. */
    const char *why = val & HV_SINT_MASKED
                          ? NULL
                          : hyperv_vector_refused(p, (uint8_t)(val & HV_SINT_VECTOR_MASK));
    if (why) {
        hyperv_refuse(p, msr, true, val, why);
        return HV_MSR_GP;
    }
    /* Stored as the TLFS defines it, but delivery is a self-IPI the guest
     * must EOI (CPUID hint 9 says so); a guest relying on it will hang. */
    if ((val & HV_SINT_AUTO_EOI) && log_budget_take(&p->warned_autoeoi))
        hv_log("hyperv", "SINT%u AutoEOI requested: not emulated, the guest must EOI",
               msr - HV_MSR_SINT0);
    synic_set_sint(p, vp, msr - HV_MSR_SINT0, val);
    return HV_MSR_OK;
}

static int msr_write(struct hyperv_partition *p, uint32_t vp, uint32_t msr, uint64_t val)
{
    const char *why = "read-only";
    void *page;
    switch (msr) {
    case HV_MSR_GUEST_OS_ID:
        p->guest_os_id = val;
        if (!val) /* KVM does the same; Linux disables HYPERCALL next anyway */
            p->hypercall &= ~HV_MSR_ENABLE;
        return HV_MSR_OK;
    case HV_MSR_HYPERCALL:
        return write_hypercall(p, val);
    case HV_MSR_REFERENCE_TSC:
        page = page_msr(p, val, PAGE_MSR_RSVD, &why);
        if (why)
            break;
        if (page)
            write_tsc_page(p, page);
        p->ref_tsc = val;
        return HV_MSR_OK;
    case HV_MSR_VP_ASSIST_PAGE:
        /* Stored only: no lazy EOI, nothing in the page is ours to write. */
        page_msr(p, val, PAGE_MSR_RSVD, &why);
        if (why)
            break;
        p->vp[vp].vp_assist = val;
        return HV_MSR_OK;
    case HV_MSR_SCONTROL:
        if (val & ~HV_SCONTROL_ENABLE) {
            why = "reserved bits set";
            break;
        }
        synic_set_scontrol(p, vp, val);
        return HV_MSR_OK;
    case HV_MSR_SIEFP:
    case HV_MSR_SIMP:
        page_msr(p, val, PAGE_MSR_RSVD, &why);
        if (why)
            break;
        if (msr == HV_MSR_SIEFP)
            synic_set_siefp(p, vp, val);
        else
            synic_set_simp(p, vp, val);
        return HV_MSR_OK;
    case HV_MSR_EOM:
        synic_eom(p, vp); /* the value carries nothing */
        return HV_MSR_OK;
    case HV_MSR_VP_INDEX:
    case HV_MSR_TIME_REF_COUNT:
    case HV_MSR_SVERSION:
        break;
    case HV_MSR_TSC_FREQUENCY:
    case HV_MSR_APIC_FREQUENCY:
        if (!freq_msrs(p))
            why = "not implemented";
        break;
    default:
        if (msr >= HV_MSR_SINT0 && msr <= HV_MSR_SINT15)
            return write_sint(p, vp, msr, val);
        why = "not implemented";
        break;
    }
    hyperv_refuse(p, msr, true, val, why);
    return HV_MSR_GP;
}

/* Counts the access; the APIC MSRs go to the glue, the rest are done under
 * the lock. */
static int msr_access(struct hyperv_partition *p, uint32_t vp, uint32_t msr, bool write,
                      uint64_t *val)
{
    if (!in_range(msr))
        return HV_MSR_UNHANDLED;
    enum hv_msr_kind kind = kind_of(msr);
    spin_lock(&p->lock);
    if (write)
        p->n.msr_write[kind]++;
    else
        p->n.msr_read[kind]++;
    int rc = HV_MSR_GP;
    bool apic = false;
    if (vp >= p->plat.vp_count)
        hyperv_refuse(p, msr, write, write ? *val : 0, "no such VP"); /* the glue's bug */
    else if (kind == HV_MSRK_APIC)
        apic = true; /* below, unlocked */
    else
        rc = write ? msr_write(p, vp, msr, *val) : msr_read(p, vp, msr, val);
    spin_unlock(&p->lock);
    return apic ? apic_access(p, vp, msr, write, val) : rc;
}

int hyperv_msr_read(struct hyperv_partition *p, uint32_t vp, uint32_t msr, uint64_t *val)
{
    return msr_access(p, vp, msr, false, val);
}

int hyperv_msr_write(struct hyperv_partition *p, uint32_t vp, uint32_t msr, uint64_t val)
{
    return msr_access(p, vp, msr, true, &val);
}
