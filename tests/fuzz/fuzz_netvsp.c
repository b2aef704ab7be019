/* Arbitrary guest packets against the network VSP (hv/devices/netvsp.c,
 * netvsp_rndis.c) over a small fake guest RAM. The input is a script: a
 * handshake prefix of fuzzer-chosen depth (an NVSP version, the receive and
 * send buffers, RNDIS INIT, the packet filter), then raw NVSP messages of
 * any length, SEND_RNDIS_PKTs whose RNDIS bytes sit in a send section or
 * in page ranges (PFNs inside and outside RAM, any offset and count),
 * well-framed QUERY and SET requests with fuzzer OIDs and offsets, frames
 * for the guest (one by one or in batches), the guest's receive
 * completions (right and forged), a full ring, link changes. Checked after
 * every step: every range of a transfer-page packet names a whole section
 * of the receive buffer not already in the guest's hands and holds an RNDIS message Linux would
 * accept the framing of; completions are 40 bytes (0 for the data path switch); frames to the
 * backend are Ethernet-sized; the queue stays bounded and drains. ASan sees any touch outside guest
 * RAM. Must never crash. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "devices/netvsp.h"
#include "devices/nvsp_wire.h"
#include "devices/rndis_wire.h"

#include "../unit/fixture.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PG         NETVSP_PAGE_SIZE
#define RAM_PAGES  24u
#define RAM_PFN    0x300u
#define RECV_PAGES 8u /* 18 sections */
#define SEND_PAGES 4u /* 2 sections */
#define WORK_PAGE  12u
#define NSECT      (RECV_PAGES * PG / NETVSP_RECV_SECTION_SIZE)
#define TID_TAG    0x6e76737000000000ull

static struct {
    uint8_t *ram;
    bool full;
    bool out[NSECT]; /* sections announced and not yet completed */
    uint64_t tid[NSECT];
    uint64_t recv_pfns[RECV_PAGES], send_pfns[SEND_PAGES], bad_pfns[RECV_PAGES];
} F;
static struct netvsp eng;

static uint8_t *gpa(void *ctx, uint64_t pfn)
{
    (void)ctx;
    if (pfn < RAM_PFN || pfn >= RAM_PFN + RAM_PAGES)
        return NULL;
    return F.ram + (pfn - RAM_PFN) * PG;
}

static int send(void *ctx, void *chan, bool completion, const void *buf, uint32_t len, uint64_t tid)
{
    (void)ctx;
    (void)chan;
    (void)buf;
    (void)tid;
    if (F.full)
        return 1;
    if (completion ? len != NVSP_MESSAGE_SIZE && len != 0
                   : len != sizeof(struct nvsp_indirection_table_msg))
        abort();
    return 0;
}

/* One range as netvsc_receive and rndis_filter_receive check it, and more:
 * a whole section not in the guest's hands holding one RNDIS message. */
static void check_range(uint32_t off, uint32_t len)
{
    uint32_t i = off / NETVSP_RECV_SECTION_SIZE;
    if (off % NETVSP_RECV_SECTION_SIZE || i >= eng.recv_sections || i >= NSECT ||
        len > NETVSP_RECV_SECTION_SIZE || len < sizeof(struct rndis_header) || F.out[i])
        abort();
    /* Through the engine's own page list: the guest may have handed any
     * of its GPADLs over as the receive buffer. */
    uint8_t rec[NETVSP_RECV_SECTION_SIZE];
    for (uint32_t k = 0; k < len; k++) {
        uint32_t o = off + k;
        rec[k] = F.ram[(eng.recv.pfns[o / PG] - RAM_PFN) * PG + o % PG];
    }
    struct rndis_header h;
    memcpy(&h, rec, sizeof(h));
    if (h.len != len)
        abort();
    if (h.type == RNDIS_MSG_PACKET) {
        struct rndis_packet p;
        memcpy(&p, rec + sizeof(h), sizeof(p));
        if (p.data_offset >= len - sizeof(h) || len - sizeof(h) - p.data_offset < p.data_len ||
            p.data_len < NETVSP_ETH_HLEN)
            abort();
    }
}

/* A transfer-page packet: 1..NETVSP_BATCH_MAX ranges in distinct sections,
 * its tid naming the first; each section is the guest's until that tid is
 * completed. */
static int xfer(void *ctx, void *chan, uint16_t pageset, const struct netvsp_xfer_range *r,
                uint32_t n, const void *msg, uint32_t msg_len, uint64_t tid)
{
    (void)ctx;
    (void)chan;
    if (F.full)
        return 1;
    const struct nvsp_message *m = msg;
    if (msg_len != NVSP_MESSAGE_SIZE || m->type != NVSP_MSG1_SEND_RNDIS_PKT ||
        pageset != eng.recv.id || !n || n > NETVSP_BATCH_MAX ||
        tid != (TID_TAG | r[0].offset / NETVSP_RECV_SECTION_SIZE))
        abort();
    for (uint32_t k = 0; k < n; k++) {
        check_range(r[k].offset, r[k].len);
        uint32_t i = r[k].offset / NETVSP_RECV_SECTION_SIZE;
        F.out[i] = true; /* a second range in the same section aborts */
        F.tid[i] = tid;
    }
    return 0;
}

static int gpadl(void *ctx, uint32_t handle, const uint64_t **pfns, uint32_t *count)
{
    (void)ctx;
    switch (handle) {
    case 1:
        *pfns = F.recv_pfns, *count = RECV_PAGES;
        return 0;
    case 2:
        *pfns = F.send_pfns, *count = SEND_PAGES;
        return 0;
    case 3:
        *pfns = F.bad_pfns, *count = RECV_PAGES;
        return 0;
    }
    return -1;
}

static void tx(void *ctx, const uint8_t *frame, uint32_t len)
{
    (void)ctx;
    (void)frame;
    if (len < NETVSP_ETH_HLEN || len > NETVSP_MAX_FRAME)
        abort();
}

static int subchannels(void *ctx, uint16_t count)
{
    (void)ctx;
    if (!count || count > 2)
        abort();
    return 0;
}

static const struct netvsp_ops ops = {
    NULL, send, xfer, gpa, gpadl, tx, NULL, 0, {2, 0, 0, 0, 0, 1}, 100000};
static const struct netvsp_ops ops_multi = {
    NULL, send, xfer, gpa, gpadl, tx, subchannels, 2, {2, 0, 0, 0, 0, 1}, 100000};

static void nvsp(uint32_t type, uint32_t a, uint32_t b, uint32_t c)
{
    struct nvsp_message m = {0};
    m.type = type;
    memcpy(m.body, &a, 4);
    memcpy(m.body + 4, &b, 4);
    memcpy(m.body + 8, &c, 4);
    netvsp_receive(&eng, NULL, false, &m, sizeof(m), 1, NULL, 0);
}

static struct netvsp_gpa_range ranges[NETVSP_MAX_RANGES + 1];
static uint64_t pfns[NETVSP_MAX_RANGES + 1][4];

/* RNDIS bytes at the work page, in one or a few fuzzer-shaped ranges. */
static uint32_t take_ranges(struct fuzz_input *in, uint32_t len)
{
    uint32_t n = (uint32_t)fuzz_take(in, 1) % 4, at = 0;
    if (fuzz_take(in, 1) % 16 == 0)
        n = NETVSP_MAX_RANGES + 1;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t cut = i + 1 == n ? len - at : (uint32_t)fuzz_take(in, 2) % (len - at + 1);
        uint32_t start = WORK_PAGE * PG + at;
        ranges[i].byte_offset = start % PG;
        ranges[i].byte_count = cut;
        ranges[i].pfn_count = (start % PG + cut + PG - 1) / PG;
        uint8_t wild = (uint8_t)fuzz_take(in, 1);
        if (wild % 8 == 1)
            ranges[i].pfn_count = (uint32_t)fuzz_take(in, 1) % 4; /* too few, or none */
        if (wild % 8 == 2)
            ranges[i].byte_offset += PG;
        for (uint32_t k = 0; k < 4; k++)
            pfns[i][k] = RAM_PFN + start / PG + k;
        if (wild % 8 == 3)
            pfns[i][wild % 4] = (uint64_t)wild << 40;
        ranges[i].pfns = pfns[i];
        at += cut;
    }
    return n;
}

static void write_at(uint32_t off, const uint8_t *b, uint32_t len, const uint64_t *list)
{
    for (uint32_t k = 0; k < len; k++, off++)
        F.ram[(list[off / PG] - RAM_PFN) * PG + off % PG] = b[k];
}

static void rndis_pkt(uint32_t section, uint32_t section_size, uint32_t nranges, uint64_t tid)
{
    struct nvsp_message m = {0};
    m.type = NVSP_MSG1_SEND_RNDIS_PKT;
    m.rndis_pkt.section_index = section;
    m.rndis_pkt.section_size = section_size;
    netvsp_receive(&eng, NULL, false, &m, sizeof(m), tid, nranges ? ranges : NULL, nranges);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_input in = {data, size};
    if (!F.ram)
        F.ram = aligned_alloc(PG, RAM_PAGES * PG);
    uint8_t *ram = F.ram;
    memset(&F, 0, sizeof(F));
    F.ram = ram;
    for (unsigned i = 0; i < RECV_PAGES; i++)
        F.recv_pfns[i] = F.bad_pfns[i] = RAM_PFN + RECV_PAGES - 1 - i;
    F.bad_pfns[3] = 0x123456789ull;
    for (unsigned i = 0; i < SEND_PAGES; i++)
        F.send_pfns[i] = RAM_PFN + RECV_PAGES + (i ^ 1);
    unsigned cfg = (unsigned)fuzz_take(&in, 1);
    netvsp_init(&eng, cfg & 1 ? &ops_multi : &ops);

    /* The handshake, as deep as the input says. */
    static const uint32_t versions[] = {NVSP_VERSION_61, NVSP_VERSION_5, NVSP_VERSION_4,
                                        NVSP_VERSION_2, NVSP_VERSION_1};
    unsigned depth = (unsigned)fuzz_take(&in, 1) % 6;
    uint32_t v = versions[fuzz_take(&in, 1) % 5];
    if (depth > 0)
        nvsp(NVSP_MSG_INIT, v, v, 0);
    if (depth > 1)
        nvsp(NVSP_MSG1_SEND_RECV_BUF, 1, NVSP_RECV_BUF_ID, 0);
    if (depth > 2)
        nvsp(NVSP_MSG1_SEND_SEND_BUF, 2, 0, 0);
    if (depth > 3) {
        struct {
            struct rndis_header h;
            struct rndis_init_request r;
        } init = {{RNDIS_MSG_INIT, 24}, {1, 1, 0, 0x4000}};
        memcpy(F.ram + WORK_PAGE * PG, &init, sizeof(init));
        ranges[0] = (struct netvsp_gpa_range){sizeof(init), 0, 1, pfns[0]};
        pfns[0][0] = RAM_PFN + WORK_PAGE;
        rndis_pkt(NVSP_NO_SECTION, 0, 1, 2);
    }
    if (depth > 4) {
        uint8_t set[32] = {0};
        struct rndis_header h = {RNDIS_MSG_SET, 32};
        struct rndis_oid_request r = {2, OID_GEN_CURRENT_PACKET_FILTER, 4, 20, 0};
        uint32_t filter = (uint32_t)fuzz_take(&in, 1);
        memcpy(set, &h, 8);
        memcpy(set + 8, &r, 20);
        memcpy(set + 28, &filter, 4);
        memcpy(F.ram + WORK_PAGE * PG, set, sizeof(set));
        ranges[0] = (struct netvsp_gpa_range){sizeof(set), 0, 1, pfns[0]};
        rndis_pkt(NVSP_NO_SECTION, 0, 1, 3);
    }

    for (unsigned step = 0; step < 48 && in.left; step++) {
        unsigned op = (unsigned)fuzz_take(&in, 1);
        uint64_t tid = fuzz_take(&in, 1);
        switch (op % 8) {
        case 0: { /* a raw NVSP message, maybe as a completion */
            uint8_t buf[64];
            uint32_t len = (uint32_t)fuzz_take(&in, 1) % sizeof(buf);
            for (uint32_t i = 0; i < len; i++)
                buf[i] = (uint8_t)fuzz_take(&in, 1);
            if (len >= 4 && op & 8)
                buf[0] = (uint8_t)(100 + buf[0] % 37), buf[1] = buf[2] = buf[3] = 0;
            netvsp_receive(&eng, NULL, op & 16, buf, len, tid, NULL, 0);
            break;
        }
        case 1:
        case 2: { /* RNDIS bytes in a send section and / or page ranges */
            uint8_t b[2 * NETVSP_SEND_SECTION_SIZE / 4];
            uint32_t len = (uint32_t)fuzz_take(&in, 2) % sizeof(b);
            for (uint32_t i = 0; i < len; i++)
                b[i] = (uint8_t)fuzz_take(&in, 1);
            if (len >= 8 && op & 8) { /* a sane header, fuzzer body */
                struct rndis_header h = {1 + (uint32_t)fuzz_take(&in, 1) % 9, len};
                memcpy(b, &h, sizeof(h));
            }
            if (op % 8 == 1) {
                uint32_t sect = (uint32_t)fuzz_take(&in, 1) % 4;
                if (sect < 2)
                    write_at(sect * NETVSP_SEND_SECTION_SIZE, b, len, F.send_pfns);
                rndis_pkt(sect == 3 ? NVSP_NO_SECTION : sect, op & 32 ? len + 1 : len, 0, tid);
            } else {
                memcpy(F.ram + WORK_PAGE * PG, b, len);
                rndis_pkt(NVSP_NO_SECTION, 0, len ? take_ranges(&in, len) : 0, tid);
            }
            break;
        }
        case 3: { /* a framed QUERY or SET */
            uint8_t b[96] = {0};
            uint32_t vlen = (uint32_t)fuzz_take(&in, 1) % 64;
            struct rndis_header h = {op & 8 ? RNDIS_MSG_SET : RNDIS_MSG_QUERY, 28 + vlen};
            static const uint32_t oids[] = {OID_GEN_MAXIMUM_FRAME_SIZE,
                                            OID_802_3_PERMANENT_ADDRESS,
                                            OID_GEN_LINK_SPEED,
                                            OID_GEN_MEDIA_CONNECT_STATUS,
                                            OID_GEN_CURRENT_PACKET_FILTER,
                                            OID_TCP_OFFLOAD_HARDWARE_CAPABILITIES,
                                            OID_TCP_OFFLOAD_PARAMETERS,
                                            OID_GEN_RECEIVE_SCALE_CAPABILITIES,
                                            OID_GEN_RECEIVE_SCALE_PARAMETERS,
                                            OID_GEN_FRIENDLY_NAME};
            struct rndis_oid_request r = {7, oids[fuzz_take(&in, 1) % 10], vlen,
                                          op & 16 ? (uint32_t)fuzz_take(&in, 1) : 20, 0};
            memcpy(b, &h, 8);
            memcpy(b + 8, &r, 20);
            for (uint32_t i = 0; i < vlen; i++)
                b[28 + i] = (uint8_t)fuzz_take(&in, 1);
            memcpy(F.ram + WORK_PAGE * PG, b, h.len);
            ranges[0] = (struct netvsp_gpa_range){h.len, 0, 1, pfns[0]};
            for (uint32_t k = 0; k < 4; k++)
                pfns[0][k] = RAM_PFN + WORK_PAGE + k;
            rndis_pkt(NVSP_NO_SECTION, 0, 1, tid);
            break;
        }
        case 4: { /* a frame for the guest */
            uint8_t f[NETVSP_MAX_FRAME + 2] = {0};
            uint32_t len = (uint32_t)fuzz_take(&in, 2) % sizeof(f);
            f[0] = (uint8_t)fuzz_take(&in, 1);
            if (f[0] & 1)
                memset(f, 0xff, 6);
            else if (f[0] & 2)
                memcpy(f, ops.mac, 6);
            netvsp_deliver(&eng, f, len);
            break;
        }
        case 5: /* the guest returns a section, or forges a completion */
            if (op & 8) {
                struct nvsp_message m = {0};
                m.type = NVSP_MSG1_SEND_RNDIS_PKT_COMPLETE;
                netvsp_receive(&eng, NULL, true, &m, 8, tid, NULL, 0); /* never tagged */
            } else {
                uint32_t i = (uint32_t)fuzz_take(&in, 1) % NSECT;
                if (F.out[i]) {
                    struct nvsp_message m = {0};
                    m.type = NVSP_MSG1_SEND_RNDIS_PKT_COMPLETE;
                    m.rndis_pkt_complete.status = NVSP_STAT_SUCCESS;
                    uint64_t t = F.tid[i];
                    for (uint32_t k = 0; k < NSECT; k++) /* the packet's sections, all */
                        F.out[k] = F.out[k] && F.tid[k] != t;
                    netvsp_receive(&eng, NULL, true, &m, sizeof(m), t, NULL, 0);
                }
            }
            break;
        case 6: /* the ring fills or drains; a batch of frames opens or ends */
            if (op & 16) {
                if (op & 8)
                    netvsp_batch_begin(&eng);
                else
                    netvsp_batch_end(&eng);
                break;
            }
            F.full = op & 8;
            if (!F.full)
                netvsp_ring_ready(&eng);
            break;
        case 7:
            if (op & 8)
                netvsp_link(&eng, op & 16);
            else
                nvsp(op & 16 ? NVSP_MSG5_SUBCHANNEL : NVSP_MSG1_REVOKE_RECV_BUF + (op >> 6) % 4,
                     op & 32 ? NVSP_RECV_BUF_ID : (uint32_t)fuzz_take(&in, 1),
                     (uint32_t)fuzz_take(&in, 1), 0);
            break;
        }
        if (eng.pending_count > NETVSP_PENDING)
            abort();
        if (!eng.recv.pfns)
            memset(F.out, 0, sizeof(F.out)); /* revoked: the guest's again */
    }
    netvsp_batch_end(&eng);
    F.full = false;
    netvsp_ring_ready(&eng);
    if (eng.pending_count)
        abort(); /* everything queued goes out once there is room */
    return 0;
}
