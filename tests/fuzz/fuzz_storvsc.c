/* Arbitrary guest packets against the VSTOR protocol engine and the SCSI
 * target (hv/devices/storvsc_proto.c, scsi.c) over a RAM disk and a small
 * fake guest RAM. The input is a script: a handshake prefix of
 * fuzzer-chosen depth (BEGIN, a version, properties, END, sub-channels), then
 * raw packets of any length and content, well-formed SRBs with arbitrary
 * CDBs, LUNs, targets and page ranges (PFNs inside and outside RAM, any
 * offset and byte count), backend holds, completions and errors. Checked
 * after every step: each answer is a full vstor_packet with operation
 * COMPLETE_IO for the packet just sent (or for a held one when it
 * completes), an SRB answer never claims more data than the request's
 * buffer nor more sense than 20 bytes, the backend is only asked for blocks
 * of the disk, and every packet is answered exactly once by the end. ASan
 * sees any touch outside guest RAM or the disk. Must never crash. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "devices/scsi.h"
#include "devices/scsi_wire.h"
#include "devices/storvsc_proto.h"
#include "devices/storvsc_wire.h"

#include "../unit/fixture.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define RAM_PAGES 32u
#define RAM_PFN   0x100u
#define BLOCKS    256u
#define BS        512u

static struct {
    uint8_t *ram;
    uint8_t disk[BLOCKS * BS];
    unsigned received, answered;
    uint64_t expect_id; /* the id the next immediate answer must carry */
    bool expect_now;
    bool expect_srb; /* ... and is an SRB's, with at most expect_dtl bytes */
    uint32_t expect_dtl;
    bool hold;
    int fail;
    struct blk_io *held[STORVSC_SLOTS];
    unsigned nheld;
} F;

static void check_srb(const struct vmscsi_request *srb)
{
    if (srb->sense_info_length > VSTOR_SENSE_MAX)
        abort();
    if ((srb->srb_status & 0x3F) == SRB_STATUS_SUCCESS && srb->scsi_status)
        abort();
}

/* Held requests complete later: those answers are SRBs' too. */
static void send(void *ctx, void *chan, const void *buf, uint32_t len, uint64_t trans_id)
{
    (void)ctx;
    (void)chan;
    const struct vstor_packet *a = buf;
    if (len != VSTOR_PACKET_SIZE || a->hdr.operation != VSTOR_OP_COMPLETE_IO)
        abort();
    F.answered++;
    if (!F.expect_now) {
        check_srb(&a->srb);
        return;
    }
    if (trans_id != F.expect_id)
        abort();
    if (F.expect_srb) {
        check_srb(&a->srb);
        if (a->srb.data_transfer_length > F.expect_dtl)
            abort();
    }
    F.expect_now = false;
}

static uint8_t *gpa(void *ctx, uint64_t pfn)
{
    (void)ctx;
    if (pfn < RAM_PFN || pfn >= RAM_PFN + RAM_PAGES)
        return NULL;
    return F.ram + (pfn - RAM_PFN) * STORVSC_PAGE_SIZE;
}

static int subchannels(void *ctx, uint16_t count)
{
    (void)ctx;
    if (!count || count > 3)
        abort();
    return F.fail;
}

static void complete(struct blk_io *io, int err)
{
    if (!err && io->op == BLK_READ)
        scsi_seg_write(io->seg, io->nseg, 0, F.disk + io->lba * BS, io->blocks * BS);
    if (!err && io->op == BLK_WRITE)
        scsi_seg_read(io->seg, io->nseg, 0, F.disk + io->lba * BS, io->blocks * BS);
    blk_io_done(io, err);
}

static void io(void *ctx, struct blk_io *b)
{
    (void)ctx;
    if (b->op != BLK_FLUSH && (!b->blocks || b->lba >= BLOCKS || b->blocks > BLOCKS - b->lba))
        abort();
    if (F.hold) {
        if (F.nheld >= STORVSC_SLOTS)
            abort(); /* the engine holds no more than its slots */
        F.held[F.nheld++] = b;
        F.expect_now = false; /* answered later */
        return;
    }
    complete(b, F.fail);
}

static const struct scsi_backend backend = {BLOCKS, BS, NULL, io, io, io, io};
static const struct scsi_backend bare = {BLOCKS / 2, BS, NULL, io, io, NULL, NULL};
static const struct scsi_lun lun0 = {&backend, "FUZZ"}, lun2 = {&bare, NULL};
static const struct scsi_lun *const luns[] = {&lun0, NULL, &lun2};
static const struct scsi_target target = {luns, 3};

static const struct storvsc_ops ops = {NULL, send, gpa, NULL, 0};
static const struct storvsc_ops ops_multi = {NULL, send, gpa, subchannels, 3};

static struct storvsc eng;
static uint64_t pfns[STORVSC_MAX_PFNS + 4];

static void deliver(const void *buf, uint32_t len, uint64_t id, const struct storvsc_gpa_range *r,
                    uint32_t dtl)
{
    F.received++;
    F.expect_id = id;
    F.expect_now = true;
    F.expect_srb = len >= sizeof(struct vstor_packet_hdr) &&
                   ((const struct vstor_packet_hdr *)buf)->operation == VSTOR_OP_EXECUTE_SRB;
    F.expect_dtl = dtl;
    storvsc_receive(&eng, NULL, buf, len, id, r);
    if (F.expect_now)
        abort(); /* neither answered nor held */
    F.expect_now = false;
}

static void init_op(uint32_t op, uint16_t arg)
{
    struct vstor_packet p = {0};
    p.hdr.operation = op;
    p.hdr.flags = VSTOR_FLAG_REQUEST_COMPLETION;
    p.version.major_minor = arg; /* same bytes as sub_channel_count */
    deliver(&p, sizeof(p), UINT64_MAX - 2, NULL, 0);
}

static const struct storvsc_gpa_range *take_range(struct fuzz_input *in, uint32_t *dtl)
{
    static struct storvsc_gpa_range r;
    if (!(fuzz_take(in, 1) & 3))
        return NULL;
    r.byte_offset = (uint32_t)fuzz_take(in, 2) % 4200;
    r.byte_count = (uint32_t)fuzz_take(in, 3) % (70 * 4096);
    r.pfn_count = (uint32_t)fuzz_take(in, 1) % (STORVSC_MAX_PFNS + 4);
    uint8_t base = (uint8_t)fuzz_take(in, 1), wild = (uint8_t)fuzz_take(in, 1);
    /* Mostly RAM, the two pages after it, and one wild PFN if asked. */
    for (uint32_t i = 0; i < r.pfn_count; i++)
        pfns[i] = wild && i == wild % r.pfn_count ? (uint64_t)wild * 0x1000100010001ull
                                                  : RAM_PFN + (uint8_t)(base + i) % (RAM_PAGES + 2);
    r.pfns = pfns;
    if (fuzz_take(in, 1) & 1)
        *dtl = r.byte_count; /* as Linux does */
    return &r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_input in = {data, size};
    if (!F.ram)
        F.ram = aligned_alloc(STORVSC_PAGE_SIZE, RAM_PAGES * STORVSC_PAGE_SIZE);
    uint8_t *ram = F.ram;
    memset(&F, 0, sizeof(F));
    F.ram = ram;
    unsigned cfg = (unsigned)fuzz_take(&in, 1);
    storvsc_init(&eng, cfg & 1 ? &ops_multi : &ops, &target);

    /* The handshake, as deep as the input says. */
    static const uint16_t versions[] = {VSTOR_VERSION_WIN10, VSTOR_VERSION_WIN8_1,
                                        VSTOR_VERSION_WIN8,  VSTOR_VERSION_WIN7,
                                        VSTOR_VERSION_WIN6,  VSTOR_VERSION(10, 0)};
    unsigned depth = (unsigned)fuzz_take(&in, 1) % 6;
    uint16_t version = versions[fuzz_take(&in, 1) % 6];
    static const uint32_t steps[] = {VSTOR_OP_BEGIN_INITIALIZATION, VSTOR_OP_QUERY_PROTOCOL_VERSION,
                                     VSTOR_OP_QUERY_PROPERTIES, VSTOR_OP_END_INITIALIZATION,
                                     VSTOR_OP_CREATE_SUB_CHANNELS};
    for (unsigned i = 0; i < depth; i++)
        init_op(steps[i], i == 1 ? version : i == 4 ? (uint16_t)(fuzz_take(&in, 1) % 5) : 0);

    for (unsigned step = 0; step < 64 && in.left; step++) {
        unsigned op = (unsigned)fuzz_take(&in, 1);
        uint64_t id = fuzz_take(&in, 1);
        switch (op % 8) {
        case 0:
        case 1: { /* raw bytes */
            uint8_t buf[128];
            uint32_t len = (uint32_t)fuzz_take(&in, 1) % sizeof(buf);
            for (uint32_t i = 0; i < len; i++)
                buf[i] = (uint8_t)fuzz_take(&in, 1);
            struct vstor_packet seen = {0}; /* what the engine reads */
            memcpy(&seen, buf, len < sizeof(seen) ? len : sizeof(seen));
            uint32_t unused = 0;
            const struct storvsc_gpa_range *r = take_range(&in, &unused);
            deliver(buf, len, id, r, seen.srb.data_transfer_length);
            break;
        }
        case 2:
        case 3:
        case 4: { /* an SRB as Linux frames it, with fuzzer content */
            struct vstor_packet p = {0};
            p.hdr.operation = VSTOR_OP_EXECUTE_SRB;
            p.hdr.flags = VSTOR_FLAG_REQUEST_COMPLETION;
            p.srb.length = sizeof(p.srb);
            p.srb.lun = (uint8_t)(fuzz_take(&in, 1) % 5);
            p.srb.target_id = fuzz_take(&in, 1) % 8 == 0;
            p.srb.cdb_length = (uint8_t)(fuzz_take(&in, 1) % 18);
            p.srb.sense_info_length = (uint8_t)fuzz_take(&in, 1);
            p.srb.data_in = (uint8_t)(fuzz_take(&in, 1) % 3);
            for (unsigned i = 0; i < VSTOR_CDB_MAX; i++)
                p.srb.cdb[i] = (uint8_t)fuzz_take(&in, 1);
            uint32_t dtl = (uint32_t)fuzz_take(&in, 3);
            const struct storvsc_gpa_range *r = take_range(&in, &dtl);
            p.srb.data_transfer_length = r ? dtl : 0;
            deliver(&p, sizeof(p) - (op & 8 ? 16 : 0), id, r, p.srb.data_transfer_length);
            break;
        }
        case 5: /* a handshake operation, in or out of order */
            init_op(1 + (uint32_t)fuzz_take(&in, 1) % 14, (uint16_t)fuzz_take(&in, 2));
            break;
        case 6: /* the backend: hold, fail */
            F.hold = op & 16;
            F.fail = op & 32 ? -5 : 0;
            break;
        case 7: /* complete a held request */
            if (F.nheld) {
                unsigned k = (unsigned)fuzz_take(&in, 1) % F.nheld;
                struct blk_io *b = F.held[k];
                F.held[k] = F.held[--F.nheld];
                complete(b, op & 16 ? -5 : 0);
            }
            break;
        }
    }
    F.hold = false;
    while (F.nheld)
        complete(F.held[--F.nheld], 0);
    if (F.answered != F.received)
        abort(); /* each packet answered exactly once */
    for (unsigned i = 0; i < STORVSC_SLOTS; i++) {
        if (eng.slot[i].busy)
            abort();
    }
    return 0;
}
