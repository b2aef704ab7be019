/* Hypercall dispatcher (contract §3): decode the control word, validate the
 * guest's input where it enters, route by connection id, count everything.
 * The CPL/mode/#UD decision is hyperv_hypercall_permitted's, made first. The
 * call itself runs unlocked (its handlers and hook take their own locks); the
 * counting takes the partition lock. */
#include "hyperv/hyperv.h"

#include "hyperv/hv_wire.h"
#include "lib/fmt.h"
#include "lib/mem.h"
#include "lib/trace.h"

struct hc {
    uint16_t code;
    bool fast;
    uint16_t varhead; /* 8-byte units */
    uint16_t rep_cnt, rep_idx;
    uint64_t in, out; /* RDX, R8 */
    /* What the trace prints, once the input was read (decoded). */
    bool decoded;
    uint32_t conn, msgtype, size;
    uint16_t flag;
};

/* TLFS names of the calls Linux may make (three are implemented). */
static const struct {
    uint16_t code;
    const char *name;
} hc_names[] = {
    {0x0001, "HvSwitchVirtualAddressSpace"},
    {0x0002, "HvFlushVirtualAddressSpace"},
    {0x0003, "HvFlushVirtualAddressList"},
    {0x0008, "HvNotifyLongSpinWait"},
    {0x000b, "HvSendSyntheticClusterIpi"},
    {0x0013, "HvFlushVirtualAddressSpaceEx"},
    {0x0014, "HvFlushVirtualAddressListEx"},
    {0x0015, "HvSendSyntheticClusterIpiEx"},
    {0x0046, "HvGetPartitionId"},
    {0x0048, "HvDepositMemory"},
    {0x004e, "HvCreateVp"},
    {0x0050, "HvGetVpRegisters"},
    {0x0051, "HvSetVpRegisters"},
    {HVCALL_POST_MESSAGE, "HvPostMessage"},
    {HVCALL_SIGNAL_EVENT, "HvSignalEvent"},
    {0x0069, "HvPostDebugData"},
    {0x006a, "HvRetrieveDebugData"},
    {0x006b, "HvResetDebugSession"},
    {0x0076, "HvAddLogicalProcessor"},
    {0x007c, "HvMapDeviceInterrupt"},
    {0x007d, "HvUnmapDeviceInterrupt"},
    {HVCALL_RETARGET_INTERRUPT, "HvRetargetDeviceInterrupt"},
    {0x00af, "HvFlushGuestPhysicalAddressSpace"},
    {0x00b0, "HvFlushGuestPhysicalAddressList"},
    {0x00db, "HvModifySparseGpaPageHostVisibility"},
    {0x8001, "HvExtCallQueryCapabilities"},
};

const char *hyperv_hypercall_name(uint16_t code)
{
    for (unsigned i = 0; i < sizeof(hc_names) / sizeof(hc_names[0]); i++) {
        if (hc_names[i].code == code)
            return hc_names[i].name;
    }
    return NULL;
}

static const char *const status_names[] = {
    [HV_STATUS_SUCCESS] = "HV_STATUS_SUCCESS",
    [HV_STATUS_INVALID_HYPERCALL_CODE] = "HV_STATUS_INVALID_HYPERCALL_CODE",
    [HV_STATUS_INVALID_HYPERCALL_INPUT] = "HV_STATUS_INVALID_HYPERCALL_INPUT",
    [HV_STATUS_INVALID_ALIGNMENT] = "HV_STATUS_INVALID_ALIGNMENT",
    [HV_STATUS_INVALID_PARAMETER] = "HV_STATUS_INVALID_PARAMETER",
    [HV_STATUS_ACCESS_DENIED] = "HV_STATUS_ACCESS_DENIED",
    [0x0007] = "HV_STATUS_INVALID_PARTITION_STATE",
    [0x0008] = "HV_STATUS_OPERATION_DENIED",
    [HV_STATUS_INSUFFICIENT_MEMORY] = "HV_STATUS_INSUFFICIENT_MEMORY",
    [HV_STATUS_INVALID_PORT_ID] = "HV_STATUS_INVALID_PORT_ID",
    [HV_STATUS_INVALID_CONNECTION_ID] = "HV_STATUS_INVALID_CONNECTION_ID",
    [HV_STATUS_INSUFFICIENT_BUFFERS] = "HV_STATUS_INSUFFICIENT_BUFFERS",
};

const char *hyperv_status_name(uint16_t status)
{
    return status < sizeof(status_names) / sizeof(status_names[0]) ? status_names[status] : NULL;
}

/* "hv: trace: hypercall: <name> <input> -> <status>". */
static void trace_call(const struct hc *c, uint64_t rcx, uint16_t st)
{
    if (!trace_admit(TRACE_HYPERCALL))
        return;
    const char *name = hyperv_hypercall_name(c->code), *status = hyperv_status_name(st);
    char nbuf[24], sbuf[8], in[96];
    if (!name) {
        fmt_snprintf(nbuf, sizeof(nbuf), "code 0x%04x", c->code);
        name = nbuf;
    }
    if (!status) {
        fmt_snprintf(sbuf, sizeof(sbuf), "0x%04x", st);
        status = sbuf;
    }
    if (c->decoded && c->code == HVCALL_POST_MESSAGE)
        fmt_snprintf(in, sizeof(in), "conn=%u type=%u size=%u", (unsigned)c->conn,
                     (unsigned)c->msgtype, (unsigned)c->size);
    else if (c->decoded)
        fmt_snprintf(in, sizeof(in), "%sconn=0x%x flag=%u", c->fast ? "fast " : "",
                     (unsigned)c->conn, c->flag);
    else
        fmt_snprintf(in, sizeof(in), "control=0x%llx input=0x%llx", (unsigned long long)rcx,
                     (unsigned long long)c->in);
    trace_emit(TRACE_HYPERCALL, "%s %s -> %s", name, in, status);
}

bool hyperv_hypercall_permitted(struct hyperv_partition *p, unsigned cpl, bool long_mode_64)
{
    /* TLFS: #UD from CPL > 0 or real mode, and while the hypercall page is off.
     * Only the 64-bit register convention is implemented. */
    spin_lock(&p->lock);
    bool page = p->hypercall & HV_MSR_ENABLE, ok = cpl == 0 && long_mode_64 && page;
    if (!ok)
        p->n.hc_ud++;
    spin_unlock(&p->lock);
    if (!ok && trace_on(TRACE_HYPERCALL))
        trace_line(TRACE_HYPERCALL, "VMMCALL refused with #UD: cpl=%u 64-bit=%s hypercall page %s",
                   cpl, long_mode_64 ? "yes" : "no", page ? "enabled" : "disabled");
    return ok;
}

/* An input or output block of len bytes at gpa: 8-byte aligned and inside one
 * page (TLFS: HV_STATUS_INVALID_ALIGNMENT otherwise), inside guest RAM (KVM's
 * answer for an unreadable block: INVALID_HYPERCALL_INPUT). */
static uint16_t block(struct hyperv_partition *p, uint64_t gpa, uint32_t len, const void **ptr)
{
    if ((gpa & 7) || (gpa & (PAGE_SIZE - 1)) + len > PAGE_SIZE)
        return HV_STATUS_INVALID_ALIGNMENT;
    *ptr = gmem_ptr(p->gm, gpa, len);
    return *ptr ? HV_STATUS_SUCCESS : HV_STATUS_INVALID_HYPERCALL_INPUT;
}

/* HvPostMessage and HvSignalEvent are simple calls with a fixed-size header. */
static bool simple(const struct hc *c)
{
    return !c->rep_cnt && !c->rep_idx && !c->varhead;
}

static uint16_t post_message(struct hyperv_partition *p, struct hc *c)
{
    const struct hv_post_message_input *g;
    struct hv_post_message_input in; /* read once: the guest cannot change it under us */
    if (c->fast || !simple(c))
        return HV_STATUS_INVALID_HYPERCALL_INPUT;
    uint16_t st = block(p, c->in, sizeof(in), (const void **)&g);
    if (st)
        return st;
    memcpy(&in, g, offsetof(struct hv_post_message_input, payload));
    c->decoded = true;
    c->conn = in.connection_id;
    c->msgtype = in.message_type;
    c->size = in.payload_size;
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

static uint16_t signal_event(struct hyperv_partition *p, struct hc *c)
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
    uint16_t flag = (uint16_t)((v >> HV_SIGNAL_FLAG_SHIFT) & HV_SIGNAL_FLAG_MASK);
    c->decoded = true;
    c->conn = (uint32_t)v;
    c->flag = flag;
    if (v & HV_SIGNAL_RSVD_MASK)
        return HV_STATUS_INVALID_HYPERCALL_INPUT;
    if (flag >= HV_EVENT_FLAGS_COUNT)
        return HV_STATUS_INVALID_PARAMETER;
    return conn_deliver_event(p, (uint32_t)v, flag);
}

/* The VPs a retarget's VP set names, as a mask: set is the variable header
 * (bank mask, then banks) of a sparse set; varhead its 8-byte units. 0 when
 * the set is malformed or names a VP beyond the partition's vp_count (<= 8:
 * bank 0 holds them all). */
static uint64_t vpset_mask(uint64_t format, const uint64_t *set, uint16_t varhead,
                           uint32_t vp_count)
{
    _Static_assert(HV_VP_MAX <= HV_VPSET_BANK_VPS, "every VP in bank 0");
    if (format == HV_GENERIC_SET_ALL)
        return varhead ? 0 : (1ull << vp_count) - 1;
    if (format != HV_GENERIC_SET_SPARSE_4K || !varhead)
        return 0;
    uint64_t banks = set[0];
    unsigned nbanks = 0;
    for (uint64_t b = banks; b; b &= b - 1)
        nbanks++;
    if (nbanks != varhead - 1u)
        return 0;
    uint64_t mask = 0;
    for (unsigned bank = 0, k = 1; bank < 64; bank++) {
        if (!(banks >> bank & 1))
            continue;
        uint64_t vps = set[k++];
        /* Linux sends the banks below the highest one even when empty. */
        if (vps && bank * HV_VPSET_BANK_VPS >= vp_count)
            return 0;
        if (!bank)
            mask = vps;
    }
    return mask;
}

static uint16_t retarget(struct hyperv_partition *p, struct hc *c)
{
    const void *g;
    struct hv_retarget_device_interrupt in;
    uint64_t set[1 + 64]; /* the VP set's bank mask and banks */
    if (c->fast || c->rep_cnt || c->rep_idx)
        return HV_STATUS_INVALID_HYPERCALL_INPUT;
    if (c->varhead > 1 + 64)
        return HV_STATUS_INVALID_HYPERCALL_INPUT;
    uint32_t len = (uint32_t)sizeof(in) + c->varhead * 8u;
    uint16_t st = block(p, c->in, len, &g);
    if (st)
        return st;
    memcpy(&in, g, sizeof(in)); /* read once: the guest cannot change it under us */
    memcpy(set, (const uint8_t *)g + sizeof(in), c->varhead * 8u);
    if (in.partition_id != HV_PARTITION_ID_SELF || in.entry.source != HV_INTERRUPT_SOURCE_MSI ||
        in.entry.reserved || in.reserved ||
        (in.flags &
         ~(HV_DEVICE_INTERRUPT_TARGET_MULTICAST | HV_DEVICE_INTERRUPT_TARGET_PROCESSOR_SET)))
        return HV_STATUS_INVALID_PARAMETER;
    uint64_t vps;
    if (in.flags & HV_DEVICE_INTERRUPT_TARGET_PROCESSOR_SET) {
        vps = vpset_mask(in.vp_mask_or_format, set, c->varhead, p->plat.vp_count);
    } else {
        if (c->varhead)
            return HV_STATUS_INVALID_HYPERCALL_INPUT;
        vps = in.vp_mask_or_format;
    }
    if (!vps || (vps >> p->plat.vp_count))
        return HV_STATUS_INVALID_PARAMETER;
    if (in.vector > 0xff || hyperv_vector_refused(p, (uint8_t)in.vector))
        return HV_STATUS_INVALID_PARAMETER;
    if (!p->retarget || p->retarget(p->retarget_ctx, in.device_id, in.entry.msi_address,
                                    in.entry.msi_data, (uint8_t)in.vector, vps))
        return HV_STATUS_INVALID_PARAMETER;
    return HV_STATUS_SUCCESS;
}

void hyperv_set_retarget(struct hyperv_partition *p, hyperv_retarget_fn fn, void *ctx)
{
    p->retarget = fn;
    p->retarget_ctx = ctx;
}

uint64_t hyperv_hypercall(struct hyperv_partition *p, uint32_t vp, uint64_t rcx, uint64_t rdx,
                          uint64_t r8)
{
    struct hc c = {
        .code = (uint16_t)(rcx & HV_HC_CODE_MASK),
        .fast = (rcx & HV_HC_FAST) != 0,
        .varhead = (uint16_t)((rcx >> HV_HC_VARHEAD_SHIFT) & HV_HC_VARHEAD_MASK),
        .rep_cnt = (uint16_t)((rcx >> HV_HC_REP_CNT_SHIFT) & HV_HC_REP_MASK),
        .rep_idx = (uint16_t)((rcx >> HV_HC_REP_IDX_SHIFT) & HV_HC_REP_MASK),
        .in = rdx,
        .out = r8, /* no implemented call has output: R8 is not looked at */
    };
    enum hv_hc_kind kind = HV_HCK_OTHER;
    uint16_t st;
    if (c.code == HVCALL_POST_MESSAGE)
        kind = HV_HCK_POST_MESSAGE;
    else if (c.code == HVCALL_SIGNAL_EVENT)
        kind = HV_HCK_SIGNAL_EVENT;
    else if (c.code == HVCALL_RETARGET_INTERRUPT)
        kind = HV_HCK_RETARGET;

    if (vp >= p->plat.vp_count)
        st = HV_STATUS_INVALID_PARAMETER; /* the glue's bug: no VP of ours made the call */
    else if (rcx & HV_HC_RSVD_MASK)
        st = HV_STATUS_INVALID_HYPERCALL_INPUT;
    else if (kind == HV_HCK_POST_MESSAGE)
        st = post_message(p, &c);
    else if (kind == HV_HCK_SIGNAL_EVENT)
        st = signal_event(p, &c);
    else if (kind == HV_HCK_RETARGET)
        st = retarget(p, &c);
    else
        st = HV_STATUS_INVALID_HYPERCALL_CODE;

    spin_lock(&p->lock);
    p->n.hc_code[kind]++;
    p->n.hc_status[st < HV_STATUS_COUNTED ? st : HV_STATUS_COUNTED]++;
    spin_unlock(&p->lock);
    if (trace_on(TRACE_HYPERCALL))
        trace_call(&c, rcx, st);
    return st; /* reps completed (bits 43:32): 0, no rep call is implemented */
}
