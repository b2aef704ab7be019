/* The channel table as the guest sees it: offers, rescinds, open and close,
 * the relid handshake, and the HvSignalEvent path of open channels. A relid
 * is the table slot + 1, and a slot is reused only once the guest released
 * its relid, so relids are never reused early. */
#include "vmbus/channel.h"

#include "lib/log.h"
#include "lib/mem.h"
#include "lib/trace.h"
#include "vmbus/gpadl.h"
#include "vmbus/outq.h"
#include "vmbus/state.h"
#include "vmbus/trace.h"

/* The guest has the offer: made, and no longer waiting in our queue. */
static bool offer_sent(const struct vmbus_channel *c)
{
    return c->offer == OFFER_MADE && !outq_holds(chan_relid(c));
}

struct vmbus_channel *chan_visible(uint32_t relid)
{
    struct vmbus_channel *c = chan_slot(relid);
    return c && (c->offer == OFFER_RESCINDED || offer_sent(c)) ? c : NULL;
}

static bool rescinded(const struct vmbus_channel *c)
{
    return c->offer == OFFER_RESCINDED;
}

void chan_offer(struct vmbus_channel *c)
{
    struct vmbus_offer_channel o;
    memset(&o, 0, sizeof(o));
    o.header.msgtype = VMBUS_MSG_OFFERCHANNEL;
    memcpy(o.if_type, &c->type, sizeof(o.if_type));
    memcpy(o.if_instance, &c->instance, sizeof(o.if_instance));
    o.mmio_megabytes = c->mmio_mb; /* what was asked; the grant is the device's business */
    o.mmio_megabytes_optional = c->mmio_optional_mb;
    memcpy(o.user_defined, c->user, sizeof(o.user_defined));
    o.sub_channel_index = c->sub_index;
    o.child_relid = chan_relid(c);
    /* No monitor page: the guest signals with HvSignalEvent, which we key on
     * the connection id, and needs no interrupt-page bit for that. */
    o.interrupt_flags = VMBUS_OFFER_DEDICATED_INTERRUPT;
    o.connection_id = chan_conn_id(c);

    char type[GUID_TEXT_SIZE], instance[GUID_TEXT_SIZE];
    guid_format(&c->type, type);
    guid_format(&c->instance, instance);
    const char *more = vmbus_log_ok(VMBUS_LOG_OFFER);
    if (more)
        hv_log("vmbus", "offer relid %u %s: class %s instance %s mmio %u+%uMiB connection 0x%x%s",
               chan_relid(c), c->name, type, instance, c->mmio_mb, c->mmio_optional_mb,
               chan_conn_id(c), more);
    vmbus.n.offers++;
    c->offer = OFFER_MADE;
    outq_send(&o, sizeof(o), chan_relid(c));
}

bool chan_is_subchannel_of(const struct vmbus_channel *c, const struct vmbus_channel *p)
{
    return c->sub_index && c->primary == p && (c->state == CHAN_ENABLED || c->state == CHAN_OPENED);
}

/* The sub-channels of p, withdrawn as p closes: Hyper-V's way, and Linux
 * asks for new ones after its next open of p (netvsc waits for them). The
 * device holds no handle of theirs, so they are freed here (the slot once
 * the guest released the relid). */
static void withdraw_subchannels(const struct vmbus_channel *p)
{
    for (unsigned i = 0; i < VMBUS_MAX_CHANNELS; i++) {
        struct vmbus_channel *c = &vmbus.chan[i];
        if (!chan_is_subchannel_of(c, p))
            continue;
        chan_withdraw(c);
        c->state = c->offer == OFFER_NONE ? CHAN_FREE : CHAN_RELEASING;
    }
}

void chan_close_host(struct vmbus_channel *c)
{
    if (!c->sub_index)
        withdraw_subchannels(c);
    vmbus.port.unlisten(vmbus.port.ctx, chan_conn_id(c));
    c->ring_gpadl = 0;
    c->drain_pending = false;
    c->epoch++;
    c->closed_pending = true;
    vmbus.closed_pending = true;
}

void chan_callback_begin(struct vmbus_channel *c)
{
    c->busy = true;
    spin_unlock(&vmbus.lock);
}

void chan_callback_end(struct vmbus_channel *c)
{
    spin_lock(&vmbus.lock);
    c->busy = false;
}

void chan_run_closed(void)
{
    for (bool ran = true; ran && vmbus.closed_pending;) {
        ran = false;
        vmbus.closed_pending = false;
        for (unsigned i = 0; i < VMBUS_MAX_CHANNELS; i++) {
            struct vmbus_channel *c = &vmbus.chan[i];
            if (!c->closed_pending)
                continue;
            if (c->busy) {
                vmbus.closed_pending = true; /* the busy callback's door runs it */
                continue;
            }
            c->closed_pending = false;
            PFN_VMB_CHANNEL_CLOSED closed = c->cb.EvtChannelClosed;
            if (!closed)
                continue;
            VMBCHANNEL h = chan_handle(c);
            chan_callback_begin(c);
            closed(h);
            chan_callback_end(c);
            ran = true;
        }
    }
}

void chan_withdraw(struct vmbus_channel *c)
{
    if (c->offer == OFFER_MADE && outq_holds(chan_relid(c))) {
        /* The guest never saw it: nothing to rescind, the relid is free now. */
        outq_cancel(chan_relid(c));
        c->offer = OFFER_NONE;
    } else if (c->offer == OFFER_MADE) {
        if (c->state == CHAN_OPENED)
            chan_close_host(c);
        hv_log("vmbus", "rescind relid %u %s", chan_relid(c), c->name);
        struct vmbus_relid_msg m = {{VMBUS_MSG_RESCIND_CHANNELOFFER, 0}, chan_relid(c)};
        c->offer = OFFER_RESCINDED;
        outq_send(&m, sizeof(m), chan_relid(c));
    }
}

void chan_relid_free(struct vmbus_channel *c)
{
    gpadl_free_relid(chan_relid(c)); /* the guest skips teardown for rescinded channels */
    c->offer = OFFER_NONE;
    if (c->state == CHAN_RELEASING)
        c->state = CHAN_FREE;
}

void chan_signal(const struct vmbus_channel *c)
{
    vmbus.port.signal(vmbus.port.ctx, c->target_vp, vmbus.sint, chan_relid(c));
}

/* A corrupt ring stops the channel: no more reads or writes, the guest's
 * memory outside the GPADL was never touched. */
static void stall(struct vmbus_channel *c, const char *which, const char *why)
{
    c->stalled = true;
    c->drain_pending = false;
    const char *more = vmbus_log_ok(VMBUS_LOG_STALLED);
    if (more)
        hv_log("vmbus", "relid %u %s: %s ring corrupt: %s: channel stalled%s", chan_relid(c),
               c->name, which, why, more);
}

void chan_drain_later(struct vmbus_channel *c)
{
    c->drain_pending = true;
    vmbus.drain_pending = true;
    if (!timer_armed(&vmbus.drain_timer))
        timer_arm(&vmbus.drain_timer, clock_ns() + VMBUS_DRAIN_RETRY_NS);
}

/* The ring trace's view of the guest's side: its interrupt mask on the
 * host-to-guest ring and its pending_send_sz on the guest-to-host ring, one
 * line each when it differs from what the host saw last (looked at when the
 * host drains or sends). */
static void trace_guest_side(struct vmbus_channel *c)
{
    uint32_t mask = 0, pending = 0, unused;
    if (!ring_peek(&c->out, &mask, &unused) || !ring_peek(&c->in, &unused, &pending))
        return;
    if (mask != c->seen_mask)
        trace_line(TRACE_RING, "relid=%u %s guest interrupt_mask %u -> %u (host->guest ring)",
                   chan_relid(c), c->name, (unsigned)c->seen_mask, (unsigned)mask);
    if (pending != c->seen_pending)
        trace_line(TRACE_RING, "relid=%u %s guest pending_send_sz %u -> %u (guest->host ring)",
                   chan_relid(c), c->name, (unsigned)c->seen_pending, (unsigned)pending);
    c->seen_mask = mask;
    c->seen_pending = pending;
}

static uint32_t le32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof(v));
    return v;
}

/* A GPA-direct packet's range list, the bytes between its descriptor and
 * its data (Linux's vmbus_packet_mpb_array / page_buffer: reserved, range
 * count, then per range byte count, byte offset and the PFNs they span),
 * checked and kept in c for VmbChannelPacketGetGpaRanges. */
static NTSTATUS parse_ranges(struct vmbus_channel *c, const uint8_t *p, uint32_t n)
{
    c->nranges = 0;
    if (n < 8)
        return STATUS_INVALID_PARAMETER;
    uint32_t count = le32(p + 4), off = 8;
    if (!count || count > VMB_MAX_GPA_RANGES)
        return STATUS_INVALID_PARAMETER;
    for (uint32_t i = 0; i < count; i++) {
        if (n - off < 8)
            return STATUS_INVALID_PARAMETER;
        VMB_GPA_RANGE *r = &c->ranges[i];
        r->ByteCount = le32(p + off);
        r->ByteOffset = le32(p + off + 4);
        if (!r->ByteCount || r->ByteOffset >= PAGE_SIZE)
            return STATUS_INVALID_PARAMETER;
        uint64_t pfns = ((uint64_t)r->ByteOffset + r->ByteCount + PAGE_SIZE - 1) / PAGE_SIZE;
        off += 8;
        if (pfns > (n - off) / 8)
            return STATUS_INVALID_PARAMETER;
        r->PfnCount = (uint32_t)pfns;
        r->Pfns = (const UINT64 *)(const void *)(p + off); /* 8-aligned in the drain buffer */
        off += 8 * (uint32_t)pfns;
    }
    c->nranges = count;
    return STATUS_SUCCESS;
}

/* Drains the guest-to-host ring into the device, packet by packet, until it
 * stays empty with the interrupt mask cleared (contract trap: drain fully) --
 * or until VMBUS_DRAIN_BUDGET packets were taken: then the mask stays set (the
 * guest need not signal, the host comes back) and the rest waits for
 * drain_later. Each packet is bounded work, so one exit is too. */
static void drain(struct vmbus_channel *c)
{
    uint8_t *buf = c->drain_buf;
    struct ring_packet pkt;
    if (c->busy) {
        chan_drain_later(c); /* in a callback (maybe this drain's): after it */
        return;
    }
    if (fault_on() && vmbus.faults->ring_held(c))
        return; /* a stall fault: the engine resumes the drain */
    c->drain_pending = false;
    if (trace_on(TRACE_RING)) {
        trace_guest_side(c);
        trace_line(TRACE_RING, "relid=%u %s host interrupt_mask 1: drain begins", chan_relid(c),
                   c->name);
    }
    ring_begin_read(&c->in);
    for (unsigned taken = 0;;) {
        if (taken == VMBUS_DRAIN_BUDGET) {
            vmbus.n.drains_deferred++;
            if (trace_on(TRACE_RING))
                trace_line(TRACE_RING,
                           "relid=%u %s drain stops at its %u-packet budget: the rest later",
                           chan_relid(c), c->name, VMBUS_DRAIN_BUDGET);
            chan_drain_later(c);
            break;
        }
        int rc = ring_read_packet(&c->in, buf, sizeof(c->drain_buf), &pkt);
        if (rc == RING_OK) {
            taken++;
            vmbus.n.packets++;
            if (trace_on(TRACE_RING))
                vmbus_trace_packet(chan_relid(c), c->name, false, pkt.type, pkt.flags, pkt.data_len,
                                   pkt.trans_id, pkt.signal, c->decode, buf + pkt.data_off);
            if (pkt.signal)
                chan_signal(c);
            c->ranges_status = pkt.type == VMBUS_PKT_DATA_USING_GPA_DIRECT
                                   ? parse_ranges(c, buf, pkt.data_off)
                                   : STATUS_INVALID_DEVICE_STATE; /* none to give */
            c->in_process = true;
            PFN_VMB_CHANNEL_PROCESS_PACKET process = c->process;
            const uint32_t epoch = c->epoch;
            if (process) {
                VMBCHANNEL h = chan_handle(c);
                chan_callback_begin(c);
                process(h, buf + pkt.data_off, pkt.data_len, pkt.type, pkt.trans_id);
                chan_callback_end(c);
            }
            c->in_process = false;
            c->nranges = 0;
            if (c->epoch != epoch || c->state != CHAN_OPENED)
                break; /* closed meanwhile (by the device or another VP), maybe opened again */
            if (fault_on() && vmbus.faults->guest_packet(c))
                break; /* rescinded or held by a fault */
        } else if (rc == RING_EMPTY) {
            if (fault_on() && vmbus.faults->mask_held(c)) {
                /* mask left at 1: the guest will not signal, the engine looks again */
                if (trace_on(TRACE_RING))
                    trace_line(TRACE_RING,
                               "relid=%u %s drain ends after %u packets, host interrupt_mask "
                               "left at 1 by a fault",
                               chan_relid(c), c->name, taken);
                break;
            }
            bool more = ring_end_read(&c->in);
            if (trace_on(TRACE_RING))
                trace_line(TRACE_RING,
                           "relid=%u %s host interrupt_mask 0: drain ends after %u packets%s",
                           chan_relid(c), c->name, taken,
                           more ? ", packets arrived meanwhile: mask 1, draining on" : "");
            if (!more)
                break;
            ring_begin_read(&c->in);
        } else {
            stall(c, "guest-to-host", rc == RING_TOO_SMALL ? "packet above 4 KiB" : c->in.corrupt);
            break;
        }
    }
}

void chan_drain_pending(void)
{
    if (!vmbus.drain_pending)
        return;
    vmbus.drain_pending = false; /* drain() sets it again for what is left */
    for (unsigned i = 0; i < VMBUS_MAX_CHANNELS; i++) {
        struct vmbus_channel *c = &vmbus.chan[i];
        if (!c->drain_pending)
            continue;
        c->drain_pending = false;
        if (c->state == CHAN_OPENED && !c->stalled)
            drain(c);
    }
}

/* HvSignalEvent on an open channel's connection id. */
static uint16_t on_signal(void *ctx, uint32_t conn_id, uint16_t flag)
{
    struct vmbus_channel *c = ctx;
    VMBUS_DOOR();
    (void)conn_id;
    (void)flag; /* Linux always sends 0; the connection id says it all */
    c->signals++;
    vmbus.n.signals++;
    if (trace_on(TRACE_RING))
        trace_line(TRACE_RING, "relid=%u %s signal from the guest%s", chan_relid(c), c->name,
                   c->state != CHAN_OPENED ? " (not open: ignored)"
                   : c->stalled            ? " (stalled: ignored)"
                                           : "");
    if (c->state == CHAN_OPENED && !c->stalled)
        drain(c);
    return HV_STATUS_SUCCESS;
}

NTSTATUS chan_write(struct vmbus_channel *c, const void *buf, uint32_t len,
                    const struct fault_send *s)
{
    bool signal = false;
    uint64_t trans_id = s->trans_id;
    if (trace_on(TRACE_RING))
        trace_guest_side(c);
    int rc = ring_write_headed(&c->out, s->type, s->flags, trans_id, s->head, buf, len, &signal);
    signal = signal && s->signal;
    if (trace_on(TRACE_RING)) {
        if (rc == RING_OK)
            vmbus_trace_packet(chan_relid(c), c->name, true, s->type, 0, len, trans_id, signal,
                               c->decode, buf);
        else if (rc == RING_FULL)
            trace_line(TRACE_RING,
                       "relid=%u %s host->guest ring full: len=%u trans=0x%llx not sent",
                       chan_relid(c), c->name, len, (unsigned long long)trans_id);
    }
    if (rc == RING_FULL)
        return STATUS_INSUFFICIENT_RESOURCES;
    if (rc != RING_OK) {
        stall(c, "host-to-guest", c->out.corrupt ? c->out.corrupt : "packet too big");
        return STATUS_INVALID_DEVICE_STATE;
    }
    if (signal)
        chan_signal(c);
    return STATUS_SUCCESS;
}

NTSTATUS chan_send(struct vmbus_channel *c, const struct chan_packet *p, const void *buf,
                   uint32_t len)
{
    if (c->stalled)
        return STATUS_INVALID_DEVICE_STATE;
    struct fault_send s = {1, p->type, p->flags, p->head, p->trans_id, true, false};
    if (fault_on())
        vmbus.faults->host_packet(c, &s, buf, len); /* the device is told it was sent as it asked */
    NTSTATUS st = STATUS_SUCCESS;
    for (unsigned i = 0; i < s.copies && NT_SUCCESS(st); i++)
        st = chan_write(c, buf, len, &s);
    if (s.then_held)
        vmbus.faults->send_held(); /* reorder: the packet held before goes after this one */
    return st;
}

/* The device's EvtChannelOpened, unlocked: c is OPENED already (the device
 * may send from it) and busy (no drain reaches the device before it returns). */
static NTSTATUS opened(struct vmbus_channel *c)
{
    PFN_VMB_CHANNEL_OPENED fn = c->cb.EvtChannelOpened;
    VMBCHANNEL h = chan_handle(c);
    chan_callback_begin(c);
    NTSTATUS st = fn(h);
    chan_callback_end(c);
    return st;
}

uint16_t chan_open(const struct vmbus_open_req *r)
{
    struct vmbus_channel *c = chan_visible(r->relid);
    if (!c)
        return vmbus_reject(VMBUS_MSG_OPENCHANNEL, "relid was not offered");
    NTSTATUS st = STATUS_SUCCESS;
    const char *why = NULL;
    enum fault_open_action fa = fault_on() && !rescinded(c) && c->state != CHAN_OPENED
                                    ? vmbus.faults->open(c, &st)
                                    : FAULT_OPEN_PASS;
    if (fa == FAULT_OPEN_RESCINDED)
        return HV_STATUS_SUCCESS; /* the rescind is the answer */
    if (fa == FAULT_OPEN_REFUSE) {
        why = "refused by a fault";
    } else if (rescinded(c)) {
        st = STATUS_INVALID_DEVICE_STATE;
        why = "channel was rescinded";
    } else if (c->state == CHAN_OPENED) {
        st = STATUS_INVALID_DEVICE_STATE;
        why = "channel is already open";
    } else if (c->busy || c->closed_pending) {
        st = STATUS_INVALID_DEVICE_STATE; /* another VP's close is still reaching the device */
        why = "the device is still in a callback of the channel";
    } else if (r->target_vp >= vmbus.port.vp_count) {
        st = STATUS_INVALID_PARAMETER;
        why = "target VP does not exist";
    } else {
        const uint64_t *pfns;
        uint32_t pages;
        st = gpadl_check_ring(r->relid, r->gpadl, r->downstream_pages, &pfns, &pages, &why);
        if (NT_SUCCESS(st) &&
            !ring_init_pair(&c->in, &c->out, vmbus.port.gm, pfns, pages, r->downstream_pages, &why))
            st = STATUS_INVALID_PARAMETER;
    }
    if (NT_SUCCESS(st) && vmbus.port.listen(vmbus.port.ctx, chan_conn_id(c), on_signal, c)) {
        st = STATUS_INSUFFICIENT_RESOURCES;
        why = "no free event connection";
    }
    if (NT_SUCCESS(st)) {
        c->state = CHAN_OPENED;
        c->stalled = false;
        c->drain_pending = false;
        c->ring_gpadl = r->gpadl;
        c->target_vp = r->target_vp;
        c->seen_mask = c->seen_pending = 0;
        if (c->cb.EvtChannelOpened) {
            const uint32_t epoch = c->epoch, conn = vmbus.conn_epoch;
            st = opened(c);
            if (c->epoch != epoch) {
                /* Closed by another VP, the device or a reset meanwhile: that
                 * close stands (and its EvtChannelClosed answers this open). */
                if (!NT_SUCCESS(st))
                    c->closed_pending = false; /* nothing was opened to close */
                if (vmbus.conn_epoch != conn)
                    return HV_STATUS_SUCCESS; /* the guest no longer waits for an answer */
                st = STATUS_INVALID_DEVICE_STATE;
                why = "closed while the device was opening it";
            } else if (!NT_SUCCESS(st)) {
                why = "the device refused the open";
                vmbus.port.unlisten(vmbus.port.ctx, chan_conn_id(c));
                c->state = CHAN_ENABLED;
                c->ring_gpadl = 0;
            }
        }
    }
    if (NT_SUCCESS(st)) {
        vmbus.n.opens++;
        const char *more = vmbus_log_ok(VMBUS_LOG_OPENED);
        if (more)
            hv_log("vmbus", "relid %u %s opened: GPADL 0x%x, host-to-guest ring at page %u%s",
                   r->relid, c->name, r->gpadl, r->downstream_pages, more);
    } else {
        vmbus_refuse(VMBUS_MSG_OPENCHANNEL, why, st);
    }
    struct vmbus_open_result res = {
        {VMBUS_MSG_OPENCHANNEL_RESULT, 0}, r->relid, r->open_id, (uint32_t)st};
    outq_send(&res, sizeof(res), 0);
    return HV_STATUS_SUCCESS;
}

uint16_t chan_close(uint32_t relid)
{
    struct vmbus_channel *c = chan_visible(relid);
    if (!c)
        return vmbus_reject(VMBUS_MSG_CLOSECHANNEL, "relid was not offered");
    if (rescinded(c))
        return HV_STATUS_SUCCESS; /* closed on our side when we rescinded it */
    if (c->state != CHAN_OPENED)
        return vmbus_reject(VMBUS_MSG_CLOSECHANNEL, "channel is not open");
    chan_close_host(c);
    c->state = CHAN_ENABLED;
    const char *more = vmbus_log_ok(VMBUS_LOG_CLOSED);
    if (more)
        hv_log("vmbus", "relid %u %s closed%s", relid, c->name, more);
    return HV_STATUS_SUCCESS;
}

uint16_t chan_relid_released(uint32_t relid)
{
    struct vmbus_channel *c = chan_slot(relid);
    /* Not before the rescind left our queue: only then may the slot's next
     * offer follow it without the guest mixing them up. */
    if (!c || c->offer != OFFER_RESCINDED || outq_holds(relid))
        return vmbus_reject(VMBUS_MSG_RELID_RELEASED, "relid was not rescinded");
    hv_log("vmbus", "relid %u %s released", relid, c->name);
    chan_relid_free(c);
    return HV_STATUS_SUCCESS;
}

uint16_t chan_modify(uint32_t relid, uint32_t target_vp)
{
    struct vmbus_channel *c = chan_visible(relid);
    if (!c)
        return vmbus_reject(VMBUS_MSG_MODIFYCHANNEL, "relid was not offered");
    NTSTATUS st = STATUS_SUCCESS;
    if (target_vp >= vmbus.port.vp_count) {
        st = STATUS_INVALID_PARAMETER;
        vmbus_refuse(VMBUS_MSG_MODIFYCHANNEL, "target VP does not exist", st);
    } else if (c->state == CHAN_OPENED && !rescinded(c)) {
        /* Linux sends it only for an open channel; for another there is
         * nothing to move (its next OPENCHANNEL names its VP). From now on
         * the channel's interrupts go there. */
        if (c->target_vp != target_vp && trace_on(TRACE_RING))
            trace_line(TRACE_RING, "relid=%u %s interrupts move from vp=%u to vp=%u", relid,
                       c->name, (unsigned)c->target_vp, (unsigned)target_vp);
        c->target_vp = target_vp;
    }
    /* Only 5.3 guests wait for the answer (and without a timeout). */
    if (vmbus.version >= VMBUS_VERSION_WIN10_V5_3) {
        struct vmbus_modifychannel_response res = {
            {VMBUS_MSG_MODIFYCHANNEL_RESPONSE, 0}, relid, (uint32_t)st};
        outq_send(&res, sizeof(res), 0);
    }
    return HV_STATUS_SUCCESS;
}
