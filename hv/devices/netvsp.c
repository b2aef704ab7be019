/* The NVSP half of the network VSP (netvsp.h): version negotiation, the
 * guest's receive and send buffers, SEND_RNDIS_PKT framing, sub-channels,
 * and the queue of packets waiting for room in the guest's ring. Every
 * answer Linux waits for is a full 40-byte nvsp_message: its completion
 * handler checks the lengths of all init answers in one fall-through chain. */
#include "devices/netvsp.h"

#include <stddef.h>

#include "devices/netvsp_rndis.h"
#include "lib/mem.h"

/* Transaction ids of transfer-page packets: a tag and the first section. */
#define RX_TID_TAG  0x6e76737000000000ull
#define RX_TID_MASK 0xffffffff00000000ull
#define NO_NEXT     0xffffu

void netvsp_init(struct netvsp *s, const struct netvsp_ops *ops)
{
    memset(s, 0, sizeof(*s));
    s->ops = ops;
    s->link_up = true;
}

/* --- toward the guest's ring -------------------------------------------------------------- */
static bool bit(const uint64_t *map, uint32_t i)
{
    return map[i / 64] & (1ull << (i % 64));
}

/* The sections of the transfer-page packet that starts at head. */
static void free_packet(struct netvsp *s, uint32_t head)
{
    s->recv_head[head / 64] &= ~(1ull << (head % 64));
    for (uint32_t i = head, n = 0; i != NO_NEXT && n < NETVSP_BATCH_MAX; i = s->recv_next[i], n++)
        s->recv_busy[i / 64] &= ~(1ull << (i % 64));
}

static int transmit(struct netvsp *s, const struct netvsp_pending *p)
{
    const struct netvsp_ops *o = s->ops;
    if (p->section == NETVSP_NOT_XFER)
        return o->send(o->ctx, p->chan, true, &p->msg, p->len, p->trans_id);
    struct netvsp_xfer_range r[NETVSP_BATCH_MAX];
    uint32_t n = 0;
    for (uint32_t i = p->section; i != NO_NEXT && n < NETVSP_BATCH_MAX; i = s->recv_next[i])
        r[n++] = (struct netvsp_xfer_range){s->recv_len[i], i * NETVSP_RECV_SECTION_SIZE};
    return o->send_xfer(o->ctx, p->chan, s->recv.id, r, n, &p->msg, NVSP_MESSAGE_SIZE, p->trans_id);
}

/* Sends p now if nothing waits before it, else queues it; -1 if the queue
 * is full (a transfer-page packet's sections are freed again). */
static int post(struct netvsp *s, const struct netvsp_pending *p)
{
    if (!s->pending_count && !transmit(s, p))
        return 0;
    if (s->pending_count == NETVSP_PENDING) {
        if (p->section != NETVSP_NOT_XFER)
            free_packet(s, p->section);
        return -1;
    }
    s->pending[(s->pending_head + s->pending_count++) % NETVSP_PENDING] = *p;
    return 0;
}

void netvsp_ring_ready(struct netvsp *s)
{
    while (s->pending_count && !transmit(s, &s->pending[s->pending_head])) {
        s->pending_head = (s->pending_head + 1) % NETVSP_PENDING;
        s->pending_count--;
    }
}

/* A completion carrying msg (len bytes) for trans_id. */
static void complete(struct netvsp *s, void *chan, uint64_t trans_id,
                     const struct nvsp_message *msg, uint32_t len)
{
    struct netvsp_pending p = {chan, trans_id, NETVSP_NOT_XFER, len, *msg};
    if (post(s, &p))
        s->stats.bad_messages++; /* nowhere to put the answer */
}

/* The usual answer: a type and a status first in its body. */
static void complete_status(struct netvsp *s, void *chan, uint64_t trans_id, uint32_t type,
                            uint32_t status)
{
    struct nvsp_message m = {0};
    m.type = type;
    m.rndis_pkt_complete.status = status;
    complete(s, chan, trans_id, &m, sizeof(m));
}

/* --- the receive buffer ---------------------------------------------------------------------- */
static bool recv_write(struct netvsp *s, uint64_t off, const void *src, uint32_t len)
{
    const uint8_t *p = src;
    while (len) {
        uint8_t *page = s->ops->gpa_to_host(s->ops->ctx, s->recv.pfns[off / NETVSP_PAGE_SIZE]);
        if (!page)
            return false;
        uint32_t in = (uint32_t)(off % NETVSP_PAGE_SIZE);
        uint32_t n = NETVSP_PAGE_SIZE - in < len ? NETVSP_PAGE_SIZE - in : len;
        memcpy(page + in, p, n);
        p += n;
        off += n;
        len -= n;
    }
    return true;
}

static int alloc_section(struct netvsp *s)
{
    for (uint32_t i = 0; i < s->recv_sections; i++) {
        if (!bit(s->recv_busy, i)) {
            s->recv_busy[i / 64] |= 1ull << (i % 64);
            return (int)i;
        }
    }
    return -1;
}

/* Announces the sections chained from head (count of them) as one
 * transfer-page packet of channel_type; -1 if it was dropped. */
static int announce(struct netvsp *s, uint32_t head, uint32_t channel_type)
{
    s->recv_head[head / 64] |= 1ull << (head % 64);
    struct netvsp_pending p = {s->chan, RX_TID_TAG | head, head, 0, {0}};
    p.msg.type = NVSP_MSG1_SEND_RNDIS_PKT;
    p.msg.rndis_pkt.channel_type = channel_type;
    p.msg.rndis_pkt.section_index = NVSP_NO_SECTION;
    return post(s, &p);
}

/* The open batch announced; its frames counted as dropped if that fails. */
static void flush(struct netvsp *s)
{
    uint32_t n = s->batch_n;
    s->batch_n = 0;
    if (n && announce(s, s->batch_head, NVSP_RNDIS_DATA)) {
        s->stats.rx_frames -= n;
        s->stats.rx_dropped += n;
    }
}

void netvsp_batch_begin(struct netvsp *s)
{
    s->batching = true;
}

void netvsp_batch_end(struct netvsp *s)
{
    flush(s);
    s->batching = false;
}

int netvsp_rx_put(struct netvsp *s, uint32_t channel_type, const void *hdr, uint32_t hlen,
                  const void *data, uint32_t dlen)
{
    if (!s->recv.pfns || hlen + dlen > NETVSP_RECV_SECTION_SIZE)
        return -1;
    int i = alloc_section(s);
    if (i < 0)
        return -1; /* every section is the guest's: it completes them as it reads */
    uint64_t off = (uint64_t)i * NETVSP_RECV_SECTION_SIZE;
    if (!recv_write(s, off, hdr, hlen) || !recv_write(s, off + hlen, data, dlen)) {
        s->recv_busy[i / 64] &= ~(1ull << (i % 64));
        return -1;
    }
    s->recv_len[i] = (uint16_t)(hlen + dlen);
    s->recv_next[i] = NO_NEXT;
    if (channel_type == NVSP_RNDIS_DATA && s->batching) {
        if (s->batch_n)
            s->recv_next[s->batch_tail] = (uint16_t)i;
        else
            s->batch_head = (uint32_t)i;
        s->batch_tail = (uint32_t)i;
        if (++s->batch_n == NETVSP_BATCH_MAX)
            flush(s); /* counted by the caller once this returns */
        return 0;
    }
    flush(s); /* what was written before goes first */
    return announce(s, (uint32_t)i, channel_type);
}

/* The guest returns sections: a completion of our transfer-page packet. */
static void guest_completion(struct netvsp *s, const struct nvsp_message *m, uint32_t len,
                             uint64_t trans_id)
{
    uint64_t i = trans_id & ~RX_TID_MASK;
    if (len < sizeof(m->type) + sizeof(m->rndis_pkt_complete) ||
        m->type != NVSP_MSG1_SEND_RNDIS_PKT_COMPLETE || (trans_id & RX_TID_MASK) != RX_TID_TAG ||
        i >= s->recv_sections || !bit(s->recv_head, (uint32_t)i)) {
        s->stats.stray_completions++;
        return;
    }
    free_packet(s, (uint32_t)i);
}

/* --- the guest's buffers -----------------------------------------------------------------------
 */
/* The GPADL's pages, each checked against guest RAM once here. */
static bool take_buffer(struct netvsp *s, struct netvsp_buf *b, const struct nvsp_send_buf *req,
                        uint32_t min_bytes)
{
    const uint64_t *pfns;
    uint32_t count;
    if (s->ops->gpadl_pages(s->ops->ctx, req->gpadl_handle, &pfns, &count) || !pfns || !count ||
        count > NETVSP_BUF_PAGES_MAX || (uint64_t)count * NETVSP_PAGE_SIZE < min_bytes)
        return false;
    for (uint32_t i = 0; i < count; i++) {
        if (!s->ops->gpa_to_host(s->ops->ctx, pfns[i]))
            return false;
    }
    *b = (struct netvsp_buf){pfns, count, req->id};
    return true;
}

static void recv_buf(struct netvsp *s, void *chan, uint64_t trans_id, const struct nvsp_message *m)
{
    struct nvsp_message a = {0};
    a.type = NVSP_MSG1_SEND_RECV_BUF_COMPLETE;
    a.recv_buf_complete.status = NVSP_STAT_FAIL;
    if (s->version && !s->recv.pfns &&
        take_buffer(s, &s->recv, &m->send_buf, NETVSP_RECV_SECTION_SIZE)) {
        uint64_t n = (uint64_t)s->recv.pages * NETVSP_PAGE_SIZE / NETVSP_RECV_SECTION_SIZE;
        s->recv_sections = n < NETVSP_RECV_SECTIONS_MAX ? (uint32_t)n : NETVSP_RECV_SECTIONS_MAX;
        memset(s->recv_busy, 0, sizeof(s->recv_busy));
        memset(s->recv_head, 0, sizeof(s->recv_head));
        a.recv_buf_complete.status = NVSP_STAT_SUCCESS;
        a.recv_buf_complete.num_sections = 1;
        a.recv_buf_complete.section.sub_alloc_size = NETVSP_RECV_SECTION_SIZE;
        a.recv_buf_complete.section.num_sub_allocs = s->recv_sections;
        a.recv_buf_complete.section.end_offset = s->recv_sections * NETVSP_RECV_SECTION_SIZE;
    }
    complete(s, chan, trans_id, &a, sizeof(a));
}

static void send_buf(struct netvsp *s, void *chan, uint64_t trans_id, const struct nvsp_message *m)
{
    struct nvsp_message a = {0};
    a.type = NVSP_MSG1_SEND_SEND_BUF_COMPLETE;
    a.send_buf_complete.status = NVSP_STAT_FAIL;
    if (s->version && !s->send.pfns &&
        take_buffer(s, &s->send, &m->send_buf, NETVSP_SEND_SECTION_SIZE)) {
        s->send_sections =
            (uint32_t)((uint64_t)s->send.pages * NETVSP_PAGE_SIZE / NETVSP_SEND_SECTION_SIZE);
        a.send_buf_complete.status = NVSP_STAT_SUCCESS;
        a.send_buf_complete.section_size = NETVSP_SEND_SECTION_SIZE;
    }
    complete(s, chan, trans_id, &a, sizeof(a));
}

/* The guest takes a buffer back (teardown; no answer). Sections in the
 * guest's hands or queued are forgotten with it. */
static void revoke(struct netvsp *s, struct netvsp_buf *b, uint16_t id)
{
    if (!b->pfns || b->id != id) {
        s->stats.bad_messages++;
        return;
    }
    if (b == &s->recv) {
        uint32_t kept = 0;
        for (uint32_t k = 0; k < s->pending_count; k++) {
            struct netvsp_pending *p = &s->pending[(s->pending_head + k) % NETVSP_PENDING];
            if (p->section == NETVSP_NOT_XFER)
                s->pending[(s->pending_head + kept++) % NETVSP_PENDING] = *p;
        }
        s->pending_count = kept;
        s->recv_sections = 0;
        s->batch_n = 0;
    } else {
        s->send_sections = 0;
    }
    *b = (struct netvsp_buf){0};
}

/* --- SEND_RNDIS_PKT --------------------------------------------------------------------------- */
static bool range_ok(const struct netvsp_gpa_range *r)
{
    return r->pfns && r->byte_count && r->byte_offset < NETVSP_PAGE_SIZE &&
           (uint64_t)r->pfn_count * NETVSP_PAGE_SIZE >= (uint64_t)r->byte_offset + r->byte_count;
}

static uint32_t rndis_pkt(struct netvsp *s, const struct nvsp_rndis_pkt *req,
                          const struct netvsp_gpa_range *ranges, uint32_t nranges)
{
    struct netvsp_gpa_range r[1 + NETVSP_MAX_RANGES];
    struct netvsp_stream st = {r, 0, 0};
    if (!s->version || !s->recv.pfns)
        return NVSP_STAT_FAIL; /* answers need the receive buffer */
    if (req->section_index != NVSP_NO_SECTION) {
        if (req->section_index >= s->send_sections || !req->section_size ||
            req->section_size > NETVSP_SEND_SECTION_SIZE)
            return NVSP_STAT_INVALID_RNDIS_PKT;
        uint64_t off = (uint64_t)req->section_index * NETVSP_SEND_SECTION_SIZE;
        uint32_t in = (uint32_t)(off % NETVSP_PAGE_SIZE);
        r[st.n++] = (struct netvsp_gpa_range){req->section_size, in,
                                              (in + req->section_size + NETVSP_PAGE_SIZE - 1) /
                                                  NETVSP_PAGE_SIZE,
                                              s->send.pfns + off / NETVSP_PAGE_SIZE};
        st.len = req->section_size;
    }
    if (nranges > NETVSP_MAX_RANGES || (nranges && !ranges))
        return NVSP_STAT_INVALID_RNDIS_PKT;
    for (uint32_t i = 0; i < nranges; i++) {
        if (!range_ok(&ranges[i]))
            return NVSP_STAT_INVALID_RNDIS_PKT;
        r[st.n++] = ranges[i];
        st.len += ranges[i].byte_count;
    }
    if (!st.len)
        return NVSP_STAT_INVALID_RNDIS_PKT;
    return netvsp_rndis_receive(s, &st);
}

bool netvsp_stream_read(const struct netvsp *s, const struct netvsp_stream *st, uint64_t off,
                        void *dst, uint32_t len)
{
    uint8_t *d = dst;
    if (off > st->len || len > st->len - off)
        return false;
    for (uint32_t i = 0; i < st->n && len; i++) {
        const struct netvsp_gpa_range *r = &st->r[i];
        if (off >= r->byte_count) {
            off -= r->byte_count;
            continue;
        }
        uint64_t pos = r->byte_offset + off;
        uint32_t take = r->byte_count - off < len ? (uint32_t)(r->byte_count - off) : len;
        len -= take;
        off = 0;
        while (take) {
            uint8_t *page = s->ops->gpa_to_host(s->ops->ctx, r->pfns[pos / NETVSP_PAGE_SIZE]);
            if (!page)
                return false;
            uint32_t in = (uint32_t)(pos % NETVSP_PAGE_SIZE);
            uint32_t n = NETVSP_PAGE_SIZE - in < take ? NETVSP_PAGE_SIZE - in : take;
            memcpy(d, page + in, n);
            d += n;
            pos += n;
            take -= n;
        }
    }
    return true;
}

/* --- the rest of NVSP ----------------------------------------------------------------------------
 */
/* The highest version this host speaks within [min, max]: NVSP 2 to 6.1
 * (version 1 is older than any Linux this serves needs). */
static uint32_t pick_version(uint32_t min, uint32_t max, uint32_t *status)
{
    static const uint32_t spoken[] = {NVSP_VERSION_61, NVSP_VERSION_6, NVSP_VERSION_5,
                                      NVSP_VERSION_4, NVSP_VERSION_2};
    for (unsigned i = 0; i < sizeof(spoken) / sizeof(spoken[0]); i++) {
        if (spoken[i] >= min && spoken[i] <= max) {
            *status = NVSP_STAT_SUCCESS;
            return spoken[i];
        }
    }
    *status = min > NVSP_VERSION_61  ? NVSP_STAT_PROTOCOL_TOO_NEW
              : max < NVSP_VERSION_2 ? NVSP_STAT_PROTOCOL_TOO_OLD
                                     : NVSP_STAT_PROTOCOL_UNSUPPORTED;
    return 0;
}

static void init(struct netvsp *s, void *chan, uint64_t trans_id, const struct nvsp_message *m,
                 bool whole)
{
    struct nvsp_message a = {0};
    a.type = NVSP_MSG_INIT_COMPLETE;
    uint32_t status = NVSP_STAT_FAIL;
    uint32_t v =
        whole && !s->version ? pick_version(m->init.min_version, m->init.max_version, &status) : 0;
    if (v) {
        s->version = v;
        s->chan = chan;
    }
    a.init_complete.negotiated_version = v;
    a.init_complete.status = status;
    complete(s, chan, trans_id, &a, sizeof(a));
}

/* Granted sub-channels, then the send indirection table spreading the
 * guest's transmits over all channels (Linux takes it from NVSP 5 on). */
static void subchannels(struct netvsp *s, void *chan, uint64_t trans_id,
                        const struct nvsp_message *m, bool whole)
{
    struct nvsp_message a = {0};
    a.type = NVSP_MSG5_SUBCHANNEL;
    a.subchannel_complete.status = NVSP_STAT_FAIL;
    uint32_t n = m->subchannel_request.num_subchannels;
    if (n > s->ops->max_subchannels)
        n = s->ops->max_subchannels;
    if (whole && s->version >= NVSP_VERSION_5 && s->ops->create_subchannels &&
        !s->subchannels_created && m->subchannel_request.op == NVSP_SUBCHANNEL_ALLOCATE && n &&
        !s->ops->create_subchannels(s->ops->ctx, (uint16_t)n)) {
        s->subchannels_created = true;
        a.subchannel_complete.status = NVSP_STAT_SUCCESS;
        a.subchannel_complete.num_subchannels = n;
    }
    complete(s, chan, trans_id, &a, sizeof(a));
    if (a.subchannel_complete.status != NVSP_STAT_SUCCESS)
        return;
    struct nvsp_indirection_table_msg t = {0};
    t.msg.type = NVSP_MSG5_SEND_INDIRECTION_TABLE;
    t.msg.indirection_table.count = NVSP_INDIRECTION_TABLE_SIZE;
    t.msg.indirection_table.offset = offsetof(struct nvsp_indirection_table_msg, entry);
    for (uint32_t i = 0; i < NVSP_INDIRECTION_TABLE_SIZE; i++)
        t.entry[i] = i % (n + 1);
    /* Advisory: Linux fills the same table itself, so a full ring loses nothing. */
    s->ops->send(s->ops->ctx, chan, false, &t, sizeof(t), 0);
}

/* The body each type needs; 0 for types this host does not take. */
static uint32_t body_size(uint32_t type)
{
    switch (type) {
    case NVSP_MSG_INIT:
        return sizeof(struct nvsp_init);
    case NVSP_MSG1_SEND_NDIS_VERSION:
        return sizeof(struct nvsp_ndis_version);
    case NVSP_MSG2_SEND_NDIS_CONFIG:
        return sizeof(struct nvsp_ndis_config);
    case NVSP_MSG1_SEND_RECV_BUF:
    case NVSP_MSG1_SEND_SEND_BUF:
        return sizeof(struct nvsp_send_buf);
    case NVSP_MSG1_REVOKE_RECV_BUF:
    case NVSP_MSG1_REVOKE_SEND_BUF:
        return sizeof(struct nvsp_revoke_buf);
    case NVSP_MSG1_SEND_RNDIS_PKT:
        return sizeof(struct nvsp_rndis_pkt);
    case NVSP_MSG4_SWITCH_DATA_PATH:
        return sizeof(struct nvsp_switch_data_path);
    case NVSP_MSG5_SUBCHANNEL:
        return sizeof(struct nvsp_subchannel_request);
    }
    return 0;
}

void netvsp_receive(struct netvsp *s, void *chan, bool completion, const void *buf, uint32_t len,
                    uint64_t trans_id, const struct netvsp_gpa_range *ranges, uint32_t nranges)
{
    /* A zero-padded copy: fields past a short message read as 0. */
    struct nvsp_message m = {0};
    memcpy(&m, buf, len < sizeof(m) ? len : sizeof(m));
    if (completion) {
        guest_completion(s, &m, len, trans_id);
        return;
    }
    uint32_t need = body_size(m.type);
    bool whole = need && len >= sizeof(m.type) + need;
    if (!whole)
        s->stats.bad_messages++;
    switch (m.type) {
    case NVSP_MSG_INIT:
        init(s, chan, trans_id, &m, whole);
        return;
    case NVSP_MSG1_SEND_RECV_BUF:
        if (whole)
            recv_buf(s, chan, trans_id, &m);
        else
            complete_status(s, chan, trans_id, NVSP_MSG1_SEND_RECV_BUF_COMPLETE, NVSP_STAT_FAIL);
        return;
    case NVSP_MSG1_SEND_SEND_BUF:
        if (whole)
            send_buf(s, chan, trans_id, &m);
        else
            complete_status(s, chan, trans_id, NVSP_MSG1_SEND_SEND_BUF_COMPLETE, NVSP_STAT_FAIL);
        return;
    case NVSP_MSG1_SEND_RNDIS_PKT: {
        uint32_t status =
            whole ? rndis_pkt(s, &m.rndis_pkt, ranges, nranges) : NVSP_STAT_INVALID_RNDIS_PKT;
        if (status != NVSP_STAT_SUCCESS)
            s->stats.tx_errors++;
        complete_status(s, chan, trans_id, NVSP_MSG1_SEND_RNDIS_PKT_COMPLETE, status);
        return;
    }
    case NVSP_MSG5_SUBCHANNEL:
        subchannels(s, chan, trans_id, &m, whole);
        return;
    case NVSP_MSG4_SWITCH_DATA_PATH: {
        /* There is never a VF: the data path stays synthetic. Linux waits
         * for a completion without payload. */
        static const struct nvsp_message none;
        complete(s, chan, trans_id, &none, 0);
        return;
    }
    }
    if (!whole)
        return;
    /* No answers: Linux sends these without asking for a completion. */
    switch (m.type) {
    case NVSP_MSG1_SEND_NDIS_VERSION:
        if (s->version)
            s->ndis_version = NVSP_NDIS_VERSION(m.ndis_version.major, m.ndis_version.minor);
        else
            s->stats.bad_messages++;
        break;
    case NVSP_MSG2_SEND_NDIS_CONFIG:
        if (s->version)
            s->mtu = m.ndis_config.mtu;
        else
            s->stats.bad_messages++;
        break;
    case NVSP_MSG1_REVOKE_RECV_BUF:
        revoke(s, &s->recv, m.revoke_buf.id);
        break;
    case NVSP_MSG1_REVOKE_SEND_BUF:
        revoke(s, &s->send, m.revoke_buf.id);
        break;
    }
}
