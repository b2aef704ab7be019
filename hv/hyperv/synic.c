/* SynIC delivery (contract §4.3/4.4), one SynIC per VP. The partition lock
 * orders the host's side; the guest's other VPs run meanwhile and read and
 * clear the same pages, so the atomics keep the TLFS ordering (type written
 * last, flags ORed, pending flag set with an OR). */
#include "hyperv/synic.h"

#include "hyperv/hyperv.h"
#include "lib/mem.h"
#include "lib/trace.h"

static bool enabled(const struct hyperv_synic *s)
{
    return s->scontrol & HV_SCONTROL_ENABLE;
}

static bool masked(const struct hyperv_synic *s, unsigned sint)
{
    return s->sint[sint] & HV_SINT_MASKED;
}

static struct hyperv_synic *synic(struct hyperv_partition *p, unsigned vp)
{
    return &p->vp[vp].synic;
}

/* The SINT's interrupt is due: raised now if it can be, else owed. */
static void sint_irq(struct hyperv_partition *p, unsigned vp, unsigned sint)
{
    struct hyperv_synic *s = synic(p, vp);
    if (enabled(s) && !masked(s, sint)) {
        uint8_t vector = (uint8_t)(s->sint[sint] & HV_SINT_VECTOR_MASK);
        s->irq_owed[sint] = false;
        /* msr.c refused such a SINT value; this keeps a host vector from ever
         * being raised for the guest even if that check were bypassed. */
        if (hyperv_vector_refused(p, vector)) {
            p->n.irqs_refused++;
            if (trace_on(TRACE_SYNIC))
                trace_line(TRACE_SYNIC, "irq vp=%u sint=%u vector=0x%x refused (not the guest's)",
                           vp, sint, vector);
            return;
        }
        p->n.irqs++;
        p->n.vp_irqs[vp]++;
        if (trace_on(TRACE_SYNIC))
            trace_line(TRACE_SYNIC, "irq vp=%u sint=%u vector=0x%x raised", vp, sint, vector);
        p->plat.raise(p->plat.ctx, vp, vector);
    } else if (!s->irq_owed[sint]) {
        s->irq_owed[sint] = true;
        p->n.irqs_deferred++;
        if (trace_on(TRACE_SYNIC))
            trace_line(TRACE_SYNIC, "irq vp=%u sint=%u owed (%s)", vp, sint,
                       enabled(s) ? "SINT masked" : "SynIC disabled");
    }
}

/* Host pointer of a guest page an MSR enabled; msr.c checked it was in RAM. */
static void *enabled_page(const struct hyperv_partition *p, uint64_t msr_val)
{
    if (!(msr_val & HV_MSR_ENABLE))
        return NULL;
    return gmem_ptr(p->gm, msr_val & HV_MSR_PAGE_MASK, PAGE_SIZE);
}

static struct hv_message *slot(struct hyperv_partition *p, unsigned vp, unsigned sint)
{
    struct hv_message_page *page = enabled_page(p, synic(p, vp)->simp);
    return page ? &page->slot[sint] : NULL;
}

static uint8_t *event_area(struct hyperv_partition *p, unsigned vp, unsigned sint)
{
    struct hv_event_flags_page *page = enabled_page(p, synic(p, vp)->siefp);
    return page && enabled(synic(p, vp)) ? page->sint[sint].flags : NULL;
}

/* True if the bit was clear. Linux clears bits with locked test-and-clear. */
static bool set_flag(uint8_t *flags, unsigned flag)
{
    uint8_t bit = (uint8_t)(1u << (flag % 8));
    return !(__atomic_fetch_or(&flags[flag / 8], bit, __ATOMIC_SEQ_CST) & bit);
}

/* Moves the queue head into the slot if the slot is free; if it is busy, sets
 * its message-pending flag so the guest writes EOM when it frees it. */
static bool deliver(struct hyperv_partition *p, unsigned vp, unsigned sint)
{
    struct hyperv_synic *s = synic(p, vp);
    struct hyperv_synic_queue *q = &s->q[sint];
    if (!q->count || !enabled(s) || masked(s, sint))
        return false;
    struct hv_message *m = slot(p, vp, sint);
    if (!m)
        return false;
    if (__atomic_load_n(&m->header.message_type, __ATOMIC_ACQUIRE) != HV_MESSAGE_TYPE_NONE) {
        uint8_t was =
            __atomic_fetch_or(&m->header.message_flags, HV_MESSAGE_FLAG_PENDING, __ATOMIC_SEQ_CST);
        if (trace_on(TRACE_SYNIC) && !(was & HV_MESSAGE_FLAG_PENDING))
            trace_line(TRACE_SYNIC, "slot vp=%u sint=%u busy: message-pending set, %u queued", vp,
                       sint, q->count);
        return false;
    }
    const struct hv_message *src = &q->msg[q->head];
    q->head = (uint8_t)((q->head + 1) % HV_SYNIC_QUEUE_LEN);
    q->count--;
    memcpy(m->payload, src->payload, src->header.payload_size);
    m->header.payload_size = src->header.payload_size;
    /* More behind it: ask for an EOM now, or the queue would stall. */
    m->header.message_flags = q->count ? HV_MESSAGE_FLAG_PENDING : 0;
    m->header.reserved = 0;
    m->header.sender = 0;
    __atomic_store_n(&m->header.message_type, src->header.message_type, __ATOMIC_RELEASE);
    p->n.msg_delivered++;
    if (trace_on(TRACE_SYNIC))
        trace_line(TRACE_SYNIC,
                   "deliver vp=%u sint=%u type=%u size=%u into the slot, %u still queued", vp, sint,
                   (unsigned)src->header.message_type, src->header.payload_size, q->count);
    return true;
}

/* Makes whatever progress the SINT's state allows: latched events into the
 * SIEFP page, the next message into its slot, an owed interrupt. */
static void kick(struct hyperv_partition *p, unsigned vp, unsigned sint)
{
    struct hyperv_synic *s = synic(p, vp);
    bool due = false;
    if (!enabled(s))
        return;
    uint8_t *flags = event_area(p, vp, sint);
    if (flags && s->latched_any[sint]) {
        for (unsigned i = 0; i < HV_EVENT_FLAGS_BYTES; i++) {
            uint8_t bits = s->latched[sint][i];
            if (bits && (__atomic_fetch_or(&flags[i], bits, __ATOMIC_SEQ_CST) & bits) != bits)
                due = true;
        }
        memset(s->latched[sint], 0, HV_EVENT_FLAGS_BYTES);
        s->latched_any[sint] = false;
    }
    if (deliver(p, vp, sint))
        due = true;
    if (due || s->irq_owed[sint])
        sint_irq(p, vp, sint);
}

static void kick_all(struct hyperv_partition *p, unsigned vp)
{
    for (unsigned i = 0; i < HV_SINT_COUNT; i++)
        kick(p, vp, i);
}

void synic_reset(struct hyperv_synic *s)
{
    memset(s, 0, sizeof(*s));
    for (unsigned i = 0; i < HV_SINT_COUNT; i++)
        s->sint[i] = HV_SINT_RESET;
}

int synic_post(struct hyperv_partition *p, unsigned vp, unsigned sint, uint32_t message_type,
               const void *payload, uint8_t size)
{
    if (vp >= p->plat.vp_count || sint >= HV_SINT_COUNT || message_type == HV_MESSAGE_TYPE_NONE ||
        size > HV_MESSAGE_PAYLOAD_SIZE || (size && !payload))
        return HV_STATUS_INVALID_PARAMETER;
    spin_lock(&p->lock);
    struct hyperv_synic_queue *q = &synic(p, vp)->q[sint];
    kick(p, vp, sint); /* the guest may have freed the slot without an EOM */
    if (q->count == HV_SYNIC_QUEUE_LEN) {
        p->n.msg_full++;
        if (trace_on(TRACE_SYNIC))
            trace_line(TRACE_SYNIC, "post vp=%u sint=%u type=%u size=%u: queue full, not taken", vp,
                       sint, (unsigned)message_type, size);
        spin_unlock(&p->lock);
        return HV_STATUS_INSUFFICIENT_BUFFERS;
    }
    struct hv_message *m = &q->msg[(q->head + q->count) % HV_SYNIC_QUEUE_LEN];
    m->header.message_type = message_type;
    m->header.payload_size = size;
    if (size)
        memcpy(m->payload, payload, size);
    q->count++;
    p->n.msg_posted++;
    if (trace_on(TRACE_SYNIC))
        trace_line(TRACE_SYNIC, "post vp=%u sint=%u type=%u size=%u: queued, %u waiting", vp, sint,
                   (unsigned)message_type, size, q->count);
    kick(p, vp, sint);
    if (q->count)
        p->n.msg_queued++; /* it (the tail) is still waiting */
    spin_unlock(&p->lock);
    return HV_STATUS_SUCCESS;
}

int synic_signal_event(struct hyperv_partition *p, unsigned vp, unsigned sint, unsigned flag)
{
    if (vp >= p->plat.vp_count || sint >= HV_SINT_COUNT || flag >= HV_EVENT_FLAGS_COUNT)
        return HV_STATUS_INVALID_PARAMETER;
    spin_lock(&p->lock);
    struct hyperv_synic *s = synic(p, vp);
    p->n.events++;
    uint8_t *flags = event_area(p, vp, sint);
    if (!flags) {
        s->latched[sint][flag / 8] |= (uint8_t)(1u << (flag % 8));
        s->latched_any[sint] = true;
        if (trace_on(TRACE_SYNIC))
            trace_line(TRACE_SYNIC, "event vp=%u sint=%u flag=%u latched (SIEFP or SynIC off)", vp,
                       sint, flag);
    } else if (set_flag(flags, flag)) {
        if (trace_on(TRACE_SYNIC))
            trace_line(TRACE_SYNIC, "event vp=%u sint=%u flag=%u set", vp, sint, flag);
        sint_irq(p, vp, sint);
    } else if (trace_on(TRACE_SYNIC)) {
        trace_line(TRACE_SYNIC, "event vp=%u sint=%u flag=%u already set: no interrupt", vp, sint,
                   flag);
    }
    spin_unlock(&p->lock);
    return HV_STATUS_SUCCESS;
}

unsigned synic_purge(struct hyperv_partition *p, unsigned vp, unsigned sint, uint32_t message_type)
{
    if (vp >= p->plat.vp_count || sint >= HV_SINT_COUNT)
        return 0;
    spin_lock(&p->lock);
    struct hyperv_synic_queue *q = &synic(p, vp)->q[sint];
    unsigned kept = 0, n = q->count;
    for (unsigned i = 0; i < n; i++) {
        const struct hv_message *m = &q->msg[(q->head + i) % HV_SYNIC_QUEUE_LEN];
        if (m->header.message_type == message_type)
            continue;
        if (kept != i)
            q->msg[(q->head + kept) % HV_SYNIC_QUEUE_LEN] = *m;
        kept++;
    }
    q->count = (uint8_t)kept;
    if (n != kept && trace_on(TRACE_SYNIC))
        trace_line(TRACE_SYNIC, "purge vp=%u sint=%u type=%u: %u queued dropped", vp, sint,
                   (unsigned)message_type, n - kept);
    spin_unlock(&p->lock);
    return n - kept;
}

void synic_set_scontrol(struct hyperv_partition *p, unsigned vp, uint64_t v)
{
    if (trace_on(TRACE_SYNIC))
        trace_line(TRACE_SYNIC, "SCONTROL=0x%llx vp=%u", (unsigned long long)v, vp);
    synic(p, vp)->scontrol = v;
    kick_all(p, vp);
}

/* A newly enabled (or moved) page starts clean, as KVM does: every message
 * slot free, no stale flags. */
static void clear_if_new(struct hyperv_partition *p, uint64_t old, uint64_t v)
{
    void *page = enabled_page(p, v);
    if (page && (!(old & HV_MSR_ENABLE) || (old & HV_MSR_PAGE_MASK) != (v & HV_MSR_PAGE_MASK)))
        memset(page, 0, PAGE_SIZE);
}

void synic_set_simp(struct hyperv_partition *p, unsigned vp, uint64_t v)
{
    if (trace_on(TRACE_SYNIC))
        trace_line(TRACE_SYNIC, "SIMP=0x%llx vp=%u", (unsigned long long)v, vp);
    clear_if_new(p, synic(p, vp)->simp, v);
    synic(p, vp)->simp = v;
    kick_all(p, vp);
}

void synic_set_siefp(struct hyperv_partition *p, unsigned vp, uint64_t v)
{
    if (trace_on(TRACE_SYNIC))
        trace_line(TRACE_SYNIC, "SIEFP=0x%llx vp=%u", (unsigned long long)v, vp);
    clear_if_new(p, synic(p, vp)->siefp, v);
    synic(p, vp)->siefp = v;
    kick_all(p, vp);
}

void synic_set_sint(struct hyperv_partition *p, unsigned vp, unsigned sint, uint64_t v)
{
    if (trace_on(TRACE_SYNIC))
        trace_line(TRACE_SYNIC, "SINT%u=0x%llx vp=%u (vector 0x%x%s)", sint, (unsigned long long)v,
                   vp, (unsigned)(v & HV_SINT_VECTOR_MASK), v & HV_SINT_MASKED ? ", masked" : "");
    synic(p, vp)->sint[sint] = v;
    kick(p, vp, sint);
}

void synic_eom(struct hyperv_partition *p, unsigned vp)
{
    if (trace_on(TRACE_SYNIC))
        trace_line(TRACE_SYNIC, "EOM vp=%u", vp);
    kick_all(p, vp);
}
