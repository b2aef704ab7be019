/* The partition object: start-up, reference time, refusal logging, counters. */
#include "hyperv/hyperv.h"

#include "hyperv/hv_wire.h"
#include "hyperv/reftime.h"
#include "lib/fmt.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/vectors.h"

int hyperv_init(struct hyperv_partition *p, const struct guest_mem *gm,
                const struct hyperv_platform *plat)
{
    memset(p, 0, sizeof(*p));
    if (!gm || !plat || !plat->tsc || !plat->raise || !plat->vp_count || plat->vp_count > HV_VP_MAX)
        return -1;
    uint64_t scale = reftime_scale(plat->tsc_hz);
    if (!scale)
        return -1; /* no usable reference time: better no Hyper-V than a wrong clock */
    p->gm = gm;
    p->plat = *plat;
    p->tsc_scale = scale;
    p->tsc_offset = reftime_offset(scale, plat->tsc_at_start);
    for (unsigned i = 0; i < HV_VP_MAX; i++)
        synic_reset(&p->vp[i].synic);
    p->warned_autoeoi = (struct log_budget)LOG_BUDGET(1, "");
    p->warned_hypercall_ignored = (struct log_budget)LOG_BUDGET(1, "");
    p->refusals = (struct log_once)LOG_ONCE_N(HV_REFUSALS_LOGGED, " (further MSRs not reported)");
    return 0;
}

uint64_t hyperv_time_ref_count(struct hyperv_partition *p)
{
    uint64_t tsc = p->plat.tsc(p->plat.ctx);
    uint64_t t = tsc < p->plat.tsc_at_start ? 0 : reftime_at(tsc, p->tsc_scale, p->tsc_offset);
    /* The host TSC does not go backwards, but the guest's clock must never:
     * not even between VPs whose TSC reads race. Lock-free: msr.c asks with
     * the partition lock held, the VMBus server and devices without. */
    uint64_t last = __atomic_load_n(&p->time_last, __ATOMIC_RELAXED);
    while (t > last && !__atomic_compare_exchange_n(&p->time_last, &last, t, true, __ATOMIC_RELAXED,
                                                    __ATOMIC_RELAXED))
        ;
    return t > last ? t : last;
}

void hyperv_refuse(struct hyperv_partition *p, uint32_t msr, bool write, uint64_t val,
                   const char *why)
{
    p->n.msr_gp++;
    /* why is a string constant: its address names the reason */
    const char *tail = log_once_take(&p->refusals, (uint64_t)msr << 1 | write, (uintptr_t)why);
    if (!tail)
        return;
    if (write)
        hv_log("hyperv", "wrmsr 0x%x value 0x%llx refused with #GP: %s%s", msr,
               (unsigned long long)val, why, tail);
    else
        hv_log("hyperv", "rdmsr 0x%x refused with #GP: %s%s", msr, why, tail);
}

const char *hyperv_vector_refused(const struct hyperv_partition *p, uint8_t vector)
{
    return vector_refused(vector, p->plat.host_vectors, HV_HOST_VECTORS_MAX);
}

static uint64_t sum(const uint64_t *v, unsigned n)
{
    uint64_t s = 0;
    for (unsigned i = 0; i < n; i++)
        s += v[i];
    return s;
}

size_t hyperv_summary(const struct hyperv_partition *p, char *buf, size_t cap)
{
    const struct hyperv_counters *n = &p->n;
    uint64_t hypercalls = sum(n->hc_code, HV_HCK_COUNT);
    uint64_t hc_ok = n->hc_status[HV_STATUS_SUCCESS];
    int len = fmt_snprintf(
        buf, cap,
        " hv_msr=%llu hv_msr_gp=%llu hypercalls=%llu hc_post=%llu hc_signal=%llu hc_err=%llu"
        " synic_msgs=%llu synic_full=%llu synic_events=%llu synic_irqs=%llu",
        (unsigned long long)(sum(n->msr_read, HV_MSRK_COUNT) + sum(n->msr_write, HV_MSRK_COUNT)),
        (unsigned long long)n->msr_gp, (unsigned long long)hypercalls,
        (unsigned long long)n->hc_code[HV_HCK_POST_MESSAGE],
        (unsigned long long)n->hc_code[HV_HCK_SIGNAL_EVENT],
        (unsigned long long)(hypercalls - hc_ok), (unsigned long long)n->msg_delivered,
        (unsigned long long)n->msg_full, (unsigned long long)n->events,
        (unsigned long long)n->irqs);
    return len < 0 ? 0 : (size_t)len;
}

static const char *const msr_kind_names[HV_MSRK_COUNT] = {
    "guest_os_id", "hypercall", "vp_index", "time_ref_count", "reference_tsc", "frequency",
    "vp_assist",   "synic",     "eom",      "sint",           "apic",          "unknown",
};

void hyperv_log_stats(const struct hyperv_partition *p)
{
    const struct hyperv_counters *n = &p->n;
    char line[160]; /* hv_log lines are at most 256 bytes */
    size_t len = 0;
    for (unsigned k = 0; k < HV_MSRK_COUNT; k++) {
        if ((n->msr_read[k] || n->msr_write[k]) && len < sizeof(line))
            len += (size_t)fmt_snprintf(line + len, sizeof(line) - len, " %s=%llu/%llu",
                                        msr_kind_names[k], (unsigned long long)n->msr_read[k],
                                        (unsigned long long)n->msr_write[k]);
    }
    hv_log("hyperv", "msr reads/writes:%s refused=%llu", len ? line : " none",
           (unsigned long long)n->msr_gp);

    len = 0;
    for (unsigned s = 0; s <= HV_STATUS_COUNTED; s++) {
        if (!n->hc_status[s] || len >= sizeof(line))
            continue;
        if (s < HV_STATUS_COUNTED)
            len += (size_t)fmt_snprintf(line + len, sizeof(line) - len, " %u=%llu", s,
                                        (unsigned long long)n->hc_status[s]);
        else
            len += (size_t)fmt_snprintf(line + len, sizeof(line) - len, " other=%llu",
                                        (unsigned long long)n->hc_status[s]);
    }
    hv_log("hyperv",
           "hypercalls: post_message=%llu signal_event=%llu retarget=%llu other=%llu ud=%llu; by "
           "status:%s",
           (unsigned long long)n->hc_code[HV_HCK_POST_MESSAGE],
           (unsigned long long)n->hc_code[HV_HCK_SIGNAL_EVENT],
           (unsigned long long)n->hc_code[HV_HCK_RETARGET],
           (unsigned long long)n->hc_code[HV_HCK_OTHER], (unsigned long long)n->hc_ud,
           len ? line : " none");
    hv_log("hyperv",
           "synic: posted=%llu delivered=%llu waited=%llu full=%llu events=%llu irqs=%llu "
           "deferred=%llu",
           (unsigned long long)n->msg_posted, (unsigned long long)n->msg_delivered,
           (unsigned long long)n->msg_queued, (unsigned long long)n->msg_full,
           (unsigned long long)n->events, (unsigned long long)n->irqs,
           (unsigned long long)n->irqs_deferred);
    if (p->plat.vp_count < 2)
        return;
    len = 0;
    for (unsigned vp = 0; vp < p->plat.vp_count && len < sizeof(line); vp++)
        len += (size_t)fmt_snprintf(line + len, sizeof(line) - len, "%s%llu", vp ? "/" : "",
                                    (unsigned long long)n->vp_irqs[vp]);
    hv_log("hyperv", "per vp: irqs=%s", line);
}
