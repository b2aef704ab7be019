/* Hypercall dispatcher (contract §3): decode the control word, validate the
 * guest's input where it enters, route by connection id, count everything.
 * The CPL/mode/#UD decision is hyperv_hypercall_permitted's, made first. */
#include "hyperv/hyperv.h"

#include "hyperv/hv_wire.h"
#include "lib/mem.h"

struct hc {
    uint16_t code;
    bool fast;
    uint16_t varhead; /* 8-byte units */
    uint16_t rep_cnt, rep_idx;
    uint64_t in, out; /* RDX, R8 */
};

bool hyperv_hypercall_permitted(struct hv_partition *p, unsigned cpl, bool long_mode_64)
{
    /* TLFS: #UD from CPL > 0 or real mode, and while the hypercall page is off.
     * Only the 64-bit register convention is implemented. */
    if (cpl == 0 && long_mode_64 && (p->hypercall & HV_MSR_ENABLE))
        return true;
    p->n.hc_ud++;
    return false;
}

/* An input or output block of len bytes at gpa: 8-byte aligned and inside one
 * page (TLFS: HV_STATUS_INVALID_ALIGNMENT otherwise), inside guest RAM (KVM's
 * answer for an unreadable block: INVALID_HYPERCALL_INPUT). */
static uint16_t block(struct hv_partition *p, uint64_t gpa, uint32_t len, const void **ptr)
{
    if ((gpa & 7) || (gpa & (HV_PAGE_SIZE - 1)) + len > HV_PAGE_SIZE)
        return HV_STATUS_INVALID_ALIGNMENT;
    *ptr = gmem_ptr(p->gm, gpa, len);
    return *ptr ? HV_STATUS_SUCCESS : HV_STATUS_INVALID_HYPERCALL_INPUT;
}

/* Both calls we implement are simple calls with a fixed-size header. */
static bool simple(const struct hc *c)
{
    return !c->rep_cnt && !c->rep_idx && !c->varhead;
}

static uint16_t post_message(struct hv_partition *p, const struct hc *c)
{
    const struct hv_post_message_input *g;
    struct hv_post_message_input in; /* read once: the guest cannot change it under us */
    if (c->fast || !simple(c))
        return HV_STATUS_INVALID_HYPERCALL_INPUT;
    uint16_t st = block(p, c->in, sizeof(in), (const void **)&g);
    if (st)
        return st;
    memcpy(&in, g, offsetof(struct hv_post_message_input, payload));
    /* Type 0 is "empty slot" and types with bit 31 belong to the hypervisor:
     * QEMU and the contract answer INVALID_HYPERCALL_INPUT. Other nonzero types
     * reach the handler, which may refuse them the same way. */
    if (in.reserved || in.message_type == HV_MESSAGE_TYPE_NONE ||
        (in.message_type & HV_MESSAGE_TYPE_HV_MASK))
        return HV_STATUS_INVALID_HYPERCALL_INPUT;
    if (in.payload_size > HV_MESSAGE_PAYLOAD_SIZE)
        return HV_STATUS_INVALID_PARAMETER;
    /* Bytes past payload_size are stale in Linux's page: copy exactly size. */
    memcpy(in.payload, g->payload, in.payload_size);
    return conn_deliver_message(p, in.connection_id, in.message_type, in.payload, in.payload_size);
}

static uint16_t signal_event(struct hv_partition *p, const struct hc *c)
{
    uint64_t v;
    if (!simple(c))
        return HV_STATUS_INVALID_HYPERCALL_INPUT;
    if (c->fast) {
        v = c->in;
    } else {
        const void *g;
        uint16_t st = block(p, c->in, sizeof(struct hv_signal_event_input), &g);
        if (st)
            return st;
        memcpy(&v, g, sizeof(v));
    }
    if (v & HV_SIGNAL_RSVD_MASK)
        return HV_STATUS_INVALID_HYPERCALL_INPUT;
    uint16_t flag = (uint16_t)((v >> HV_SIGNAL_FLAG_SHIFT) & HV_SIGNAL_FLAG_MASK);
    if (flag >= HV_EVENT_FLAGS_COUNT)
        return HV_STATUS_INVALID_PARAMETER;
    return conn_deliver_event(p, (uint32_t)v, flag);
}

uint64_t hyperv_hypercall(struct hv_partition *p, uint64_t rcx, uint64_t rdx, uint64_t r8)
{
    struct hc c = {
        .code = (uint16_t)(rcx & HV_HC_CODE_MASK),
        .fast = (rcx & HV_HC_FAST) != 0,
        .varhead = (uint16_t)((rcx >> HV_HC_VARHEAD_SHIFT) & HV_HC_VARHEAD_MASK),
        .rep_cnt = (uint16_t)((rcx >> HV_HC_REP_CNT_SHIFT) & HV_HC_REP_MASK),
        .rep_idx = (uint16_t)((rcx >> HV_HC_REP_IDX_SHIFT) & HV_HC_REP_MASK),
        .in = rdx,
        .out = r8, /* neither implemented call has output: R8 is not looked at */
    };
    enum hv_hc_kind kind = HV_HCK_OTHER;
    uint16_t st;
    if (c.code == HVCALL_POST_MESSAGE)
        kind = HV_HCK_POST_MESSAGE;
    else if (c.code == HVCALL_SIGNAL_EVENT)
        kind = HV_HCK_SIGNAL_EVENT;

    if (rcx & HV_HC_RSVD_MASK)
        st = HV_STATUS_INVALID_HYPERCALL_INPUT;
    else if (kind == HV_HCK_POST_MESSAGE)
        st = post_message(p, &c);
    else if (kind == HV_HCK_SIGNAL_EVENT)
        st = signal_event(p, &c);
    else
        st = HV_STATUS_INVALID_HYPERCALL_CODE;

    p->n.hc_code[kind]++;
    p->n.hc_status[st < HV_STATUS_COUNTED ? st : HV_STATUS_COUNTED]++;
    return st; /* reps completed (bits 43:32): 0, no rep call is implemented */
}
