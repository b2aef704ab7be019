/* The VSTOR protocol engine (storvsc_proto.h). Every answer is a full
 * vstor_packet with operation COMPLETE_IO: Linux drops shorter ones, and
 * judges init answers by their status alone. */
#include "devices/storvsc_proto.h"

#include <stddef.h>

#include "devices/scsi_wire.h"
#include "lib/mem.h"

static const struct scsi_target no_target = {NULL, 0};

void storvsc_init(struct storvsc *s, const struct storvsc_ops *ops,
                  const struct scsi_target *target)
{
    memset(s, 0, sizeof(*s));
    s->ops = ops;
    s->target = target;
    for (unsigned i = 0; i < STORVSC_SLOTS; i++)
        s->slot[i].s = s;
}

static void send(struct storvsc *s, void *chan, uint64_t trans_id, const struct vstor_packet *p)
{
    s->ops->send(s->ops->ctx, chan, p, sizeof(*p), trans_id);
}

static void answer(struct storvsc *s, void *chan, uint64_t trans_id, uint32_t status)
{
    struct vstor_packet p = {0};
    p.hdr.operation = VSTOR_OP_COMPLETE_IO;
    p.hdr.status = status;
    send(s, chan, trans_id, &p);
}

/* The request size each version sends (Linux's vmscsi_size_delta): the
 * Win8 extension exists from 5.1 on. 0: a version we do not speak. */
static uint32_t request_size(uint16_t version)
{
    switch (version) {
    case VSTOR_VERSION_WIN6:
    case VSTOR_VERSION_WIN7:
        return VMSCSI_REQUEST_SIZE_PRE_WIN8;
    case VSTOR_VERSION_WIN8:
    case VSTOR_VERSION_WIN8_1:
    case VSTOR_VERSION_WIN10:
        return sizeof(struct vmscsi_request);
    }
    return 0;
}

static bool multi_channel(const struct storvsc *s)
{
    return s->ops->create_subchannels && s->ops->max_subchannels &&
           s->version >= VSTOR_VERSION_WIN8;
}

/* --- EXECUTE_SRB -------------------------------------------------------------------- */
static uint32_t srb_nt_status(uint8_t srb_status)
{
    switch (srb_status & ~(SRB_STATUS_AUTOSENSE_VALID | SRB_STATUS_QUEUE_FROZEN)) {
    case SRB_STATUS_SUCCESS:
        return VSTOR_S_SUCCESS;
    case SRB_STATUS_BUSY:
        return VSTOR_S_DEVICE_BUSY;
    case SRB_STATUS_INVALID_LUN:
        return VSTOR_E_DEVICE_DOES_NOT_EXIST;
    case SRB_STATUS_INVALID_REQUEST:
        return VSTOR_E_INVALID_PARAMETER;
    }
    return VSTOR_E_IO_DEVICE_ERROR;
}

/* An SRB that never reached the target: no data moved, no sense. */
static void srb_fail(struct storvsc *s, void *chan, uint64_t trans_id,
                     const struct vmscsi_request *req, uint8_t srb_status, uint8_t scsi_status)
{
    struct vstor_packet p = {0};
    p.hdr.operation = VSTOR_OP_COMPLETE_IO;
    p.hdr.status = srb_nt_status(srb_status);
    p.srb = *req;
    memset(p.srb.sense, 0, sizeof(p.srb.sense));
    p.srb.srb_status = srb_status;
    p.srb.scsi_status = scsi_status;
    p.srb.sense_info_length = 0;
    p.srb.data_transfer_length = 0;
    send(s, chan, trans_id, &p);
}

static void srb_done(struct scsi_cmd *cmd)
{
    struct storvsc_slot *slot = cmd->ctx;
    struct vstor_packet p = {0};
    p.hdr.operation = VSTOR_OP_COMPLETE_IO;
    p.srb = slot->srb;
    memset(p.srb.sense, 0, sizeof(p.srb.sense));
    p.srb.scsi_status = cmd->status;
    p.srb.data_transfer_length = cmd->transferred;
    p.srb.sense_info_length = 0;
    if (cmd->status == SCSI_STATUS_GOOD) {
        p.srb.srb_status = SRB_STATUS_SUCCESS;
    } else {
        /* Linux copies sense only with AUTOSENSE_VALID; INVALID_LUN tells it
         * the LUN is gone. */
        uint32_t n = cmd->sense_len;
        if (n > slot->srb.sense_info_length)
            n = slot->srb.sense_info_length;
        if (n > VSTOR_SENSE_MAX)
            n = VSTOR_SENSE_MAX;
        memcpy(p.srb.sense, cmd->sense, n);
        p.srb.sense_info_length = (uint8_t)n;
        p.srb.srb_status = (cmd->no_lun ? SRB_STATUS_INVALID_LUN : SRB_STATUS_ERROR) |
                           (n ? SRB_STATUS_AUTOSENSE_VALID : 0);
    }
    p.hdr.status = srb_nt_status(p.srb.srb_status);
    /* Free the slot first: the guest may reuse the id as soon as it sees this. */
    struct storvsc *s = slot->s;
    void *chan = slot->chan;
    uint64_t trans_id = slot->trans_id;
    slot->busy = false;
    send(s, chan, trans_id, &p);
}

/* Maps the range's pages into slot->seg; SRB status on failure, else 0. */
static uint8_t map_range(struct storvsc *s, struct storvsc_slot *slot,
                         const struct storvsc_gpa_range *range, uint32_t len)
{
    if (range->byte_offset >= STORVSC_PAGE_SIZE || !range->byte_count || len > range->byte_count ||
        range->pfn_count > STORVSC_MAX_PFNS)
        return SRB_STATUS_INVALID_REQUEST;
    uint64_t span = (uint64_t)range->byte_offset + range->byte_count;
    if ((span + STORVSC_PAGE_SIZE - 1) / STORVSC_PAGE_SIZE > range->pfn_count)
        return SRB_STATUS_INVALID_REQUEST; /* bytes beyond the pages */
    uint32_t off = range->byte_offset, left = len;
    unsigned n = 0;
    for (uint32_t i = 0; i < range->pfn_count; i++) {
        uint8_t *page = s->ops->gpa_to_host(s->ops->ctx, range->pfns[i]);
        if (!page)
            return SRB_STATUS_ERROR; /* not guest RAM: nothing is touched */
        if (!left)
            continue;
        uint32_t take = STORVSC_PAGE_SIZE - off < left ? STORVSC_PAGE_SIZE - off : left;
        if (n && slot->seg[n - 1].p + slot->seg[n - 1].len == page + off)
            slot->seg[n - 1].len += take; /* contiguous on the host: one piece */
        else
            slot->seg[n++] = (struct scsi_seg){page + off, take};
        left -= take;
        off = 0;
    }
    slot->cmd.nseg = n;
    return 0;
}

/* Hands the SRB to the target; the SRB status to fail it with, else 0. */
static uint8_t execute_srb(struct storvsc *s, void *chan, uint64_t trans_id,
                           const struct vstor_packet *p, uint32_t len,
                           const struct storvsc_gpa_range *range)
{
    const struct vmscsi_request *req = &p->srb;
    if (s->state != STORVSC_READY)
        return SRB_STATUS_ERROR;
    if (len < sizeof(p->hdr) + s->request_size || !req->cdb_length ||
        req->cdb_length > VSTOR_CDB_MAX || req->data_transfer_length > SCSI_MAX_TRANSFER_BYTES ||
        (!range && req->data_transfer_length))
        return SRB_STATUS_INVALID_REQUEST;
    struct storvsc_slot *slot = NULL;
    for (unsigned i = 0; i < STORVSC_SLOTS && !slot; i++) {
        if (!s->slot[i].busy)
            slot = &s->slot[i];
    }
    if (!slot)
        return SRB_STATUS_BUSY;
    struct scsi_cmd *cmd = &slot->cmd;
    cmd->nseg = 0;
    if (range) {
        uint8_t err = map_range(s, slot, range, req->data_transfer_length);
        if (err)
            return err;
    }
    slot->busy = true;
    slot->chan = chan;
    slot->trans_id = trans_id;
    slot->srb = *req;
    cmd->target = req->path_id == 0 && req->target_id == 0 ? s->target : &no_target;
    cmd->lun = req->lun;
    memset(cmd->cdb, 0, sizeof(cmd->cdb));
    memcpy(cmd->cdb, req->cdb, req->cdb_length);
    cmd->cdb_len = req->cdb_length;
    cmd->seg = slot->seg;
    cmd->buf_len = req->data_transfer_length;
    cmd->done = srb_done;
    cmd->ctx = slot;
    scsi_execute(cmd);
    return 0;
}

/* --- the rest of the protocol ------------------------------------------------------------ */
static void query_version(struct storvsc *s, void *chan, uint64_t trans_id,
                          const struct vstor_packet *p)
{
    struct vstor_packet a = {0};
    a.hdr.operation = VSTOR_OP_COMPLETE_IO;
    a.version = p->version;
    uint32_t size = request_size(p->version.major_minor);
    if (!size) {
        a.hdr.status = VSTOR_E_REVISION_MISMATCH; /* Linux tries its next one */
    } else {
        s->version = p->version.major_minor;
        s->request_size = size;
        s->state = STORVSC_WAIT_PROPERTIES;
    }
    send(s, chan, trans_id, &a);
}

static void query_properties(struct storvsc *s, void *chan, uint64_t trans_id)
{
    struct vstor_packet a = {0};
    a.hdr.operation = VSTOR_OP_COMPLETE_IO;
    /* Never 0: Linux derives max_sectors and sg_tablesize from it. */
    a.properties.max_transfer_bytes = SCSI_MAX_TRANSFER_BYTES;
    if (multi_channel(s)) {
        a.properties.flags = VSTOR_PROP_MULTI_CHANNEL;
        a.properties.max_channel_count = s->ops->max_subchannels;
    }
    s->state = STORVSC_WAIT_END;
    send(s, chan, trans_id, &a);
}

static uint32_t create_subchannels(struct storvsc *s, uint16_t count)
{
    if (!multi_channel(s))
        return VSTOR_E_INVALID_DEVICE_REQUEST;
    if (s->subchannels_created)
        return VSTOR_E_INVALID_DEVICE_STATE;
    if (!count || count > s->ops->max_subchannels || s->ops->create_subchannels(s->ops->ctx, count))
        return VSTOR_E_INVALID_PARAMETER;
    s->subchannels_created = true;
    return VSTOR_S_SUCCESS;
}

/* The packet's minimum size by operation (the SRB's depends on the version). */
static uint32_t min_len(uint32_t op)
{
    switch (op) {
    case VSTOR_OP_QUERY_PROTOCOL_VERSION:
        return sizeof(struct vstor_packet_hdr) + sizeof(struct vstor_protocol_version);
    case VSTOR_OP_CREATE_SUB_CHANNELS:
        return sizeof(struct vstor_packet_hdr) + sizeof(uint16_t);
    }
    return sizeof(struct vstor_packet_hdr);
}

#define SENT 1u /* not an NTSTATUS we answer with: the handler answered */

/* The status to answer op with, or SENT. */
static uint32_t dispatch(struct storvsc *s, void *chan, uint64_t trans_id,
                         const struct vstor_packet *p, uint32_t len,
                         const struct storvsc_gpa_range *range)
{
    switch (p->hdr.operation) {
    case VSTOR_OP_BEGIN_INITIALIZATION:
        if (s->state != STORVSC_WAIT_BEGIN)
            return VSTOR_E_INVALID_DEVICE_STATE;
        s->state = STORVSC_WAIT_VERSION;
        return VSTOR_S_SUCCESS;
    case VSTOR_OP_QUERY_PROTOCOL_VERSION:
        if (s->state != STORVSC_WAIT_VERSION)
            return VSTOR_E_INVALID_DEVICE_STATE;
        query_version(s, chan, trans_id, p);
        return SENT;
    case VSTOR_OP_QUERY_PROPERTIES:
        if (s->state != STORVSC_WAIT_PROPERTIES)
            return VSTOR_E_INVALID_DEVICE_STATE;
        query_properties(s, chan, trans_id);
        return SENT;
    case VSTOR_OP_END_INITIALIZATION:
        if (s->state != STORVSC_WAIT_END)
            return VSTOR_E_INVALID_DEVICE_STATE;
        s->state = STORVSC_READY;
        return VSTOR_S_SUCCESS;
    case VSTOR_OP_CREATE_SUB_CHANNELS:
        if (s->state != STORVSC_WAIT_END && s->state != STORVSC_READY)
            return VSTOR_E_INVALID_DEVICE_STATE;
        return create_subchannels(s, p->sub_channel_count);
    case VSTOR_OP_EXECUTE_SRB: {
        uint8_t err = execute_srb(s, chan, trans_id, p, len, range);
        if (err)
            srb_fail(s, chan, trans_id, &p->srb, err,
                     err == SRB_STATUS_BUSY ? SCSI_STATUS_BUSY : SCSI_STATUS_GOOD);
        return SENT;
    }
    case VSTOR_OP_RESET_LUN:
    case VSTOR_OP_RESET_ADAPTER:
    case VSTOR_OP_RESET_BUS:
        /* Nothing is queued here; what the backend holds completes on its
         * own, and Linux waits for those after the reset's answer. */
        return s->state == STORVSC_READY ? VSTOR_S_SUCCESS : VSTOR_E_INVALID_DEVICE_STATE;
    }
    /* COMPLETE_IO, REMOVE_DEVICE, ENUMERATE_BUS, FCHBA_DATA (not an FC
     * adapter), unknown: */
    return VSTOR_E_INVALID_DEVICE_REQUEST;
}

void storvsc_receive(struct storvsc *s, void *chan, const void *buf, uint32_t len,
                     uint64_t trans_id, const struct storvsc_gpa_range *range)
{
    /* A zero-padded copy: fields past a short packet read as 0. */
    struct vstor_packet p = {0};
    memcpy(&p, buf, len < sizeof(p) ? len : sizeof(p));
    uint32_t status = len < min_len(p.hdr.operation) ? VSTOR_E_INVALID_PARAMETER
                                                     : dispatch(s, chan, trans_id, &p, len, range);
    if (status != SENT)
        answer(s, chan, trans_id, status);
}
