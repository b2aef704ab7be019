/* The RNDIS half of the network VSP (netvsp.h): the guest's control
 * requests and frames, the host's frames and link indications. Answers go
 * through the receive buffer like frames (Linux reads INIT, QUERY and SET
 * completions and indications only from there). Offloads: none are
 * advertised, so none are accepted; RSS only as far as inviting
 * sub-channels. */
#include <stddef.h>

#include "devices/netvsp_rndis.h"
#include "devices/rndis_wire.h"
#include "lib/mem.h"

#define HDR sizeof(struct rndis_header)
/* PPI bytes read from one frame (Linux sends at most four, 60 bytes). */
#define PPI_MAX 256u

/* --- answers -------------------------------------------------------------------------------- */
static void answer(struct netvsp *s, uint32_t type, const void *body, uint32_t len,
                   const void *value, uint32_t value_len)
{
    uint8_t msg[HDR + sizeof(struct rndis_init_complete)];
    struct rndis_header h = {type, (uint32_t)HDR + len + value_len};
    memcpy(msg, &h, HDR);
    memcpy(msg + HDR, body, len);
    if (netvsp_rx_put(s, NVSP_RNDIS_CONTROL, msg, (uint32_t)HDR + len, value, value_len))
        s->stats.bad_messages++; /* no section: the guest's request times out */
}

static void answer_status(struct netvsp *s, uint32_t type, uint32_t req_id, uint32_t status)
{
    struct rndis_status_complete c = {req_id, status};
    answer(s, type, &c, sizeof(c), NULL, 0);
}

static void answer_query(struct netvsp *s, uint32_t req_id, uint32_t status, const void *value,
                         uint32_t len)
{
    struct rndis_query_complete c = {req_id, status, status ? 0 : len, sizeof(c)};
    answer(s, RNDIS_MSG_QUERY_C, &c, sizeof(c), value, status ? 0 : len);
}

/* --- control -------------------------------------------------------------------------------- */
static void init(struct netvsp *s, const struct rndis_init_request *r)
{
    struct rndis_init_complete c = {0};
    c.req_id = r->req_id;
    c.major = RNDIS_MAJOR_VERSION;
    c.minor = RNDIS_MINOR_VERSION;
    if (r->major != RNDIS_MAJOR_VERSION) {
        c.status = RNDIS_STATUS_BAD_VERSION;
    } else {
        c.dev_flags = RNDIS_DF_CONNECTIONLESS;
        c.medium = RNDIS_MEDIUM_802_3;
        c.max_pkt_per_msg = NETVSP_MAX_PKT_PER_MSG;
        c.max_xfer_size = NETVSP_RNDIS_MAX_MSG;
        c.pkt_align_factor = 3; /* 8 bytes */
        s->rndis_ready = true;
        s->filter = 0;
    }
    answer(s, RNDIS_MSG_INIT_C, &c, sizeof(c), NULL, 0);
}

/* What the negotiated NVSP version makes Linux expect: revision and size. */
static void offload_caps(const struct netvsp *s, struct ndis_offload *o, uint32_t *len)
{
    memset(o, 0, sizeof(*o));
    o->header.type = NDIS_OBJECT_TYPE_OFFLOAD;
    if (s->version >= NVSP_VERSION_5) {
        o->header.revision = NDIS_OFFLOAD_REVISION_3;
        *len = NDIS_OFFLOAD_SIZE;
    } else if (s->version >= NVSP_VERSION_4) {
        o->header.revision = NDIS_OFFLOAD_REVISION_2;
        *len = NDIS_OFFLOAD_SIZE_6_1;
    } else {
        o->header.revision = NDIS_OFFLOAD_REVISION_1;
        *len = NDIS_OFFLOAD_SIZE_6_0;
    }
    o->header.size = (uint16_t)*len;
}

static void query(struct netvsp *s, const struct rndis_oid_request *r)
{
    union {
        uint32_t u32;
        uint8_t mac[6];
        struct ndis_offload offload;
        struct ndis_rss_caps rss;
    } v;
    uint32_t len = sizeof(uint32_t), status = RNDIS_STATUS_SUCCESS;
    memset(&v, 0, sizeof(v));
    switch (r->oid) {
    case OID_GEN_MAXIMUM_FRAME_SIZE:
        v.u32 = NETVSP_MTU;
        break;
    case OID_802_3_PERMANENT_ADDRESS:
    case OID_802_3_CURRENT_ADDRESS:
        memcpy(v.mac, s->ops->mac, sizeof(v.mac));
        len = sizeof(v.mac);
        break;
    case OID_GEN_LINK_SPEED:
        v.u32 = s->ops->link_speed;
        break;
    case OID_GEN_MEDIA_CONNECT_STATUS:
        v.u32 = s->link_up ? NDIS_MEDIA_STATE_CONNECTED : NDIS_MEDIA_STATE_DISCONNECTED;
        break;
    case OID_GEN_PHYSICAL_MEDIUM:
        v.u32 = RNDIS_PHYSICAL_MEDIUM_UNSPECIFIED;
        break;
    case OID_GEN_CURRENT_PACKET_FILTER:
        v.u32 = s->filter;
        break;
    case OID_TCP_OFFLOAD_HARDWARE_CAPABILITIES:
        /* Linux fails the device without a well-formed answer; all zero
         * means no checksum, segmentation or coalescing offload. */
        offload_caps(s, &v.offload, &len);
        break;
    case OID_GEN_RECEIVE_SCALE_CAPABILITIES:
        if (s->version < NVSP_VERSION_5 || !s->ops->create_subchannels ||
            !s->ops->max_subchannels) {
            status = RNDIS_STATUS_NOT_SUPPORTED;
            break;
        }
        v.rss.header.type = NDIS_OBJECT_TYPE_RSS_CAPABILITIES;
        v.rss.header.revision = NDIS_RSS_CAPS_REVISION_2;
        v.rss.header.size = sizeof(v.rss);
        v.rss.num_int_msg = 1;
        v.rss.num_recv_queues = 1u + s->ops->max_subchannels;
        len = sizeof(v.rss);
        break;
    default: /* the friendly name, encapsulation, ... */
        status = RNDIS_STATUS_NOT_SUPPORTED;
    }
    answer_query(s, r->req_id, status, &v, len);
}

/* Offload parameters: every setting "no change" or "disabled" is what this
 * host does; enabling anything is refused. */
static uint32_t set_offload(const uint8_t *v, uint32_t len)
{
    const struct ndis_offload_params *p = (const void *)v;
    if (len < NDIS_OFFLOAD_PARAMS_V4_SIZE)
        return RNDIS_STATUS_INVALID_LENGTH;
    if (p->header.type != NDIS_OBJECT_TYPE_DEFAULT)
        return RNDIS_STATUS_INVALID_DATA;
    uint32_t end = len < sizeof(*p) ? len : (uint32_t)sizeof(*p);
    for (uint32_t i = offsetof(struct ndis_offload_params, ip_v4_csum); i < end; i++) {
        bool setting = i < offsetof(struct ndis_offload_params, pad) ||
                       (i >= offsetof(struct ndis_offload_params, ip_sec_v2) &&
                        i < offsetof(struct ndis_offload_params, pad2));
        if (setting && v[i] > NDIS_OFFLOAD_PARAMETERS_DISABLED)
            return RNDIS_STATUS_NOT_SUPPORTED;
    }
    return RNDIS_STATUS_SUCCESS;
}

static uint32_t set(struct netvsp *s, uint32_t oid, const uint8_t *v, uint32_t len)
{
    switch (oid) {
    case OID_GEN_CURRENT_PACKET_FILTER:
        if (len < sizeof(uint32_t))
            return RNDIS_STATUS_INVALID_LENGTH;
        memcpy(&s->filter, v, sizeof(uint32_t));
        return RNDIS_STATUS_SUCCESS;
    case OID_TCP_OFFLOAD_PARAMETERS:
        return set_offload(v, len);
    }
    /* RSS parameters (frames all arrive on the primary channel; Linux keeps
     * its sub-channels for transmit), encapsulation, a new MAC, ... */
    return RNDIS_STATUS_NOT_SUPPORTED;
}

/* A QUERY or SET refused: its completion, shaped by its type. */
static void oid_refuse(struct netvsp *s, uint32_t type, uint32_t req_id, uint32_t status)
{
    if (type == RNDIS_MSG_QUERY)
        answer_query(s, req_id, status, NULL, 0);
    else
        answer_status(s, RNDIS_MSG_SET_C, req_id, status);
}

/* QUERY or SET: the request and its value, checked against the message. */
static bool oid_request(struct netvsp *s, const struct netvsp_stream *st, uint64_t off,
                        uint32_t type, uint32_t body)
{
    struct rndis_oid_request r;
    if (body < sizeof(uint32_t) || !netvsp_stream_read(s, st, off, &r, sizeof(uint32_t)))
        return false;
    if (body < sizeof(r)) {
        oid_refuse(s, type, r.req_id, RNDIS_STATUS_INVALID_LENGTH);
        return false;
    }
    netvsp_stream_read(s, st, off, &r, sizeof(r));
    uint8_t *v = s->scratch;
    if (r.info_len && (r.info_offset < sizeof(r) || r.info_offset > body ||
                       r.info_len > body - r.info_offset || r.info_len > sizeof(s->scratch))) {
        oid_refuse(s, type, r.req_id, RNDIS_STATUS_INVALID_DATA);
        return false;
    }
    if (r.info_len && !netvsp_stream_read(s, st, off + r.info_offset, v, r.info_len))
        return false;
    if (!s->rndis_ready)
        oid_refuse(s, type, r.req_id, RNDIS_STATUS_ADAPTER_NOT_READY);
    else if (type == RNDIS_MSG_QUERY)
        query(s, &r); /* the value sent with a query (a size hint) is not needed */
    else
        answer_status(s, RNDIS_MSG_SET_C, r.req_id, set(s, r.oid, v, r.info_len));
    return true;
}

/* --- the guest's frames -------------------------------------------------------------------- */
/* The 802.1Q tag in the packet's per-packet info, or 0. */
static uint16_t vlan_tag(const uint8_t *ppi, uint32_t len, bool *ok)
{
    uint16_t tag = 0;
    *ok = true;
    for (uint32_t off = 0; off < len;) {
        struct rndis_ppi p;
        if (len - off < sizeof(p)) {
            *ok = false;
            return 0;
        }
        memcpy(&p, ppi + off, sizeof(p));
        if (p.size < sizeof(p) || p.size > len - off || p.offset < sizeof(p) || p.offset > p.size) {
            *ok = false;
            return 0;
        }
        if (p.type == RNDIS_PPI_IEEE_8021Q && p.size - p.offset >= sizeof(uint32_t)) {
            uint32_t v;
            memcpy(&v, ppi + off + p.offset, sizeof(v));
            tag = (uint16_t)(RNDIS_VLAN_PRI(v) << 13 | RNDIS_VLAN_ID(v));
        }
        off += p.size;
    }
    return tag;
}

static bool packet(struct netvsp *s, const struct netvsp_stream *st, uint64_t off, uint32_t body)
{
    struct rndis_packet p;
    uint8_t ppi[PPI_MAX];
    if (!s->rndis_ready || body < sizeof(p) || !netvsp_stream_read(s, st, off, &p, sizeof(p)))
        return false;
    if (p.data_offset < sizeof(p) || p.data_offset > body || p.data_len > body - p.data_offset ||
        p.data_len < NETVSP_ETH_HLEN || p.data_len > NETVSP_MAX_FRAME || p.ppi_len > PPI_MAX ||
        (p.ppi_len &&
         (p.ppi_offset < sizeof(p) || p.ppi_offset > body || p.ppi_len > body - p.ppi_offset)))
        return false;
    bool ok;
    if (p.ppi_len && !netvsp_stream_read(s, st, off + p.ppi_offset, ppi, p.ppi_len))
        return false;
    uint16_t tag = vlan_tag(ppi, p.ppi_len, &ok);
    uint32_t extra = tag ? 4 : 0;
    if (!ok || p.data_len + extra > NETVSP_MAX_FRAME)
        return false;
    uint8_t *f = s->scratch;
    if (!netvsp_stream_read(s, st, off + p.data_offset, f + extra, p.data_len))
        return false;
    if (tag) {
        /* The tag travelled beside the frame: back between the addresses
         * and the type, where the wire wants it. */
        memmove(f, f + 4, 12);
        uint8_t t[4] = {0x81, 0x00, (uint8_t)(tag >> 8), (uint8_t)tag};
        memcpy(f + 12, t, sizeof(t));
    }
    s->ops->tx(s->ops->ctx, f, p.data_len + extra);
    s->stats.tx_frames++;
    return true;
}

/* --- one message, all of them ------------------------------------------------------------------
 */
static bool message(struct netvsp *s, const struct netvsp_stream *st, uint64_t off,
                    const struct rndis_header *h)
{
    uint32_t body = h->len - (uint32_t)HDR;
    off += HDR;
    union {
        struct rndis_init_request init;
        struct rndis_keepalive_request keepalive;
    } r;
    switch (h->type) {
    case RNDIS_MSG_PACKET:
        return packet(s, st, off, body);
    case RNDIS_MSG_INIT:
        if (body < sizeof(r.init) || !netvsp_stream_read(s, st, off, &r.init, sizeof(r.init)))
            return false;
        init(s, &r.init);
        return true;
    case RNDIS_MSG_QUERY:
    case RNDIS_MSG_SET:
        return oid_request(s, st, off, h->type, body);
    case RNDIS_MSG_KEEPALIVE:
        if (body < sizeof(r.keepalive) ||
            !netvsp_stream_read(s, st, off, &r.keepalive, sizeof(r.keepalive)))
            return false;
        answer_status(s, RNDIS_MSG_KEEPALIVE_C, r.keepalive.req_id,
                      s->rndis_ready ? RNDIS_STATUS_SUCCESS : RNDIS_STATUS_ADAPTER_NOT_READY);
        return true;
    case RNDIS_MSG_RESET: {
        /* Nothing is held between messages: a reset has nothing to undo. */
        struct rndis_reset_complete c = {
            s->rndis_ready ? RNDIS_STATUS_SUCCESS : RNDIS_STATUS_ADAPTER_NOT_READY, 0};
        answer(s, RNDIS_MSG_RESET_C, &c, sizeof(c), NULL, 0);
        return true;
    }
    case RNDIS_MSG_HALT:
        s->rndis_ready = false;
        s->filter = 0;
        return true;
    }
    return false; /* a completion, an indication or unknown: not the guest's to send */
}

uint32_t netvsp_rndis_receive(struct netvsp *s, const struct netvsp_stream *st)
{
    for (uint64_t off = 0; off < st->len;) {
        struct rndis_header h;
        if (st->len - off < HDR || !netvsp_stream_read(s, st, off, &h, HDR) || h.len < HDR ||
            h.len > st->len - off || !message(s, st, off, &h)) {
            s->stats.bad_messages++;
            return NVSP_STAT_INVALID_RNDIS_PKT;
        }
        off += h.len;
    }
    return NVSP_STAT_SUCCESS;
}

/* --- toward the guest ------------------------------------------------------------------------ */
static bool wanted(const struct netvsp *s, const uint8_t *dst)
{
    static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    if (s->filter & NDIS_PACKET_TYPE_PROMISCUOUS)
        return true;
    if (!memcmp(dst, bcast, sizeof(bcast)))
        return s->filter & NDIS_PACKET_TYPE_BROADCAST;
    if (dst[0] & 1)
        return s->filter & (NDIS_PACKET_TYPE_MULTICAST | NDIS_PACKET_TYPE_ALL_MULTICAST);
    return (s->filter & NDIS_PACKET_TYPE_DIRECTED) && !memcmp(dst, s->ops->mac, 6);
}

int netvsp_deliver(struct netvsp *s, const uint8_t *frame, uint32_t len)
{
    if (!s->rndis_ready || !s->link_up || len < NETVSP_ETH_HLEN || len > NETVSP_MAX_FRAME) {
        s->stats.rx_dropped++;
        return -1;
    }
    if (!wanted(s, frame)) {
        s->stats.rx_filtered++;
        return -1;
    }
    struct {
        struct rndis_header h;
        struct rndis_packet p;
    } m = {{RNDIS_MSG_PACKET, (uint32_t)sizeof(m) + len}, {0}};
    m.p.data_offset = sizeof(m.p);
    m.p.data_len = len;
    if (netvsp_rx_put(s, NVSP_RNDIS_DATA, &m, sizeof(m), frame, len)) {
        s->stats.rx_dropped++;
        return -1;
    }
    s->stats.rx_frames++;
    return 0;
}

void netvsp_link(struct netvsp *s, bool up)
{
    if (s->link_up == up)
        return;
    s->link_up = up;
    if (!s->rndis_ready)
        return; /* the guest queries the state when it initialises */
    struct rndis_indicate_status i = {
        up ? RNDIS_STATUS_MEDIA_CONNECT : RNDIS_STATUS_MEDIA_DISCONNECT, 0, sizeof(i)};
    answer(s, RNDIS_MSG_INDICATE, &i, sizeof(i), NULL, 0);
}
