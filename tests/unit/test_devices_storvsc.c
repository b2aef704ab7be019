/* The VSTOR protocol engine (hv/devices/storvsc_proto.c) against a model of
 * Linux's hv_storvsc written from its source (facts only, docs/storage.md):
 * storvsc_channel_init's sequence as 6.1 and 6.12 run it (BEGIN, versions
 * WIN10 / WIN8_1 / WIN8 until one answers 0, properties, END, sub-channels
 * if offered; every answer must be a full 64-byte packet with operation
 * COMPLETE_IO and status 0) and as kernels before mid-2022 ran it (down to
 * WIN7 / WIN6, with the 16 bytes shorter requests); then storvsc_queuecommand's
 * SRBs with their data as GPA-direct page ranges over a fake guest RAM and a
 * RAM-disk backend. Hostile: PFNs outside RAM, byte counts beyond the pages,
 * offsets >= 4096, truncated and oversized packets, wrong states, unknown
 * operations, a full request table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "devices/scsi.h"
#include "devices/scsi_wire.h"
#include "devices/storvsc_proto.h"
#include "devices/storvsc_wire.h"

#define RAM_PAGES 300u
#define RAM_PFN   0x1000u /* the first guest page */
#define BLOCKS    4096u
#define BS        512u
#define RQST_INIT (UINT64_MAX - 2) /* Linux's VMBUS_RQST_INIT */

/* --- the host around the engine ----------------------------------------------------------- */
struct host {
    uint8_t *ram; /* RAM_PAGES guest pages */
    unsigned sent;
    uint8_t last[128];
    uint32_t last_len;
    uint64_t last_id;
    void *last_chan;
    int subchannel_rc;
    unsigned subchannel_calls;
    uint16_t subchannels;
    /* the disk */
    uint8_t disk[BLOCKS * BS];
    unsigned ios, flushes;
    int fail;
    bool hold;
    struct blk_io *held[STORVSC_SLOTS + 1];
    unsigned nheld;
};
static struct host h;
static struct storvsc eng;

static void host_send(void *ctx, void *chan, const void *buf, uint32_t len, uint64_t trans_id)
{
    assert_ptr_equal(ctx, &h);
    assert_true(len <= sizeof(h.last));
    memcpy(h.last, buf, len);
    h.last_len = len;
    h.last_id = trans_id;
    h.last_chan = chan;
    h.sent++;
}

static uint8_t *host_gpa(void *ctx, uint64_t pfn)
{
    assert_ptr_equal(ctx, &h);
    if (pfn < RAM_PFN || pfn >= RAM_PFN + RAM_PAGES)
        return NULL;
    return h.ram + (pfn - RAM_PFN) * STORVSC_PAGE_SIZE;
}

static int host_subchannels(void *ctx, uint16_t count)
{
    assert_ptr_equal(ctx, &h);
    h.subchannel_calls++;
    h.subchannels = count;
    return h.subchannel_rc;
}

static const struct storvsc_ops ops = {&h, host_send, host_gpa, NULL, 0};
static const struct storvsc_ops ops_multi = {&h, host_send, host_gpa, host_subchannels, 4};

static void io(void *ctx, struct blk_io *b)
{
    assert_ptr_equal(ctx, &h);
    h.ios++;
    if (h.hold) {
        h.held[h.nheld++] = b;
        return;
    }
    if (!h.fail && b->op == BLK_READ)
        scsi_seg_write(b->seg, b->nseg, 0, h.disk + b->lba * BS, b->blocks * BS);
    if (!h.fail && b->op == BLK_WRITE)
        scsi_seg_read(b->seg, b->nseg, 0, h.disk + b->lba * BS, b->blocks * BS);
    h.flushes += b->op == BLK_FLUSH;
    blk_io_done(b, h.fail);
}

static const struct scsi_backend backend = {BLOCKS, BS, &h, io, io, io, NULL};
static const struct scsi_lun lun0 = {&backend, "STOR0"};
static const struct scsi_lun *const luns[] = {&lun0};
static const struct scsi_target target = {luns, 1};

static int setup(void **state)
{
    (void)state;
    uint8_t *ram = h.ram;
    memset(&h, 0, sizeof(h));
    h.ram = ram ? ram : aligned_alloc(STORVSC_PAGE_SIZE, RAM_PAGES * STORVSC_PAGE_SIZE);
    memset(h.ram, 0, RAM_PAGES * STORVSC_PAGE_SIZE);
    for (unsigned i = 0; i < sizeof(h.disk); i++)
        h.disk[i] = (uint8_t)(i * 13 + 1);
    storvsc_init(&eng, &ops, &target);
    return 0;
}

static int teardown_all(void **state)
{
    (void)state;
    free(h.ram);
    return 0;
}

/* --- the guest: Linux's storvsc, as a model -------------------------------------------------- */
static const struct vstor_packet *answer_of(uint64_t id)
{
    /* Linux: packets shorter than vstor_packet are dropped; the id matches. */
    assert_int_equal(h.last_len, VSTOR_PACKET_SIZE);
    assert_true(h.last_id == id);
    const struct vstor_packet *a = (const void *)h.last;
    assert_int_equal(a->hdr.operation, VSTOR_OP_COMPLETE_IO);
    return a;
}

/* storvsc_execute_vstor_op: the whole packet, REQUEST_COMPLETION, the init id. */
static const struct vstor_packet *vstor_op(struct vstor_packet *p, uint32_t len)
{
    unsigned before = h.sent;
    p->hdr.flags = VSTOR_FLAG_REQUEST_COMPLETION;
    storvsc_receive(&eng, NULL, p, len, RQST_INIT, NULL);
    assert_int_equal(h.sent, before + 1); /* every packet answered, at once */
    return answer_of(RQST_INIT);
}

static uint32_t op_status(uint32_t op)
{
    struct vstor_packet p = {0};
    p.hdr.operation = op;
    return vstor_op(&p, sizeof(p))->hdr.status;
}

/* storvsc_channel_init; returns the version agreed, 0 if init failed. */
static uint16_t linux_init(const uint16_t *versions, unsigned n, uint32_t len, int cpus)
{
    if (op_status(VSTOR_OP_BEGIN_INITIALIZATION))
        return 0;
    uint16_t agreed = 0;
    for (unsigned i = 0; i < n && !agreed; i++) {
        struct vstor_packet p = {0};
        p.hdr.operation = VSTOR_OP_QUERY_PROTOCOL_VERSION;
        p.version.major_minor = versions[i];
        const struct vstor_packet *a = vstor_op(&p, len);
        if (a->hdr.status == 0)
            agreed = versions[i];
        else
            assert_int_equal(a->hdr.status, VSTOR_E_REVISION_MISMATCH);
    }
    if (!agreed)
        return 0; /* "Obsolete Hyper-V version" */
    struct vstor_packet p = {0};
    p.hdr.operation = VSTOR_OP_QUERY_PROPERTIES;
    const struct vstor_packet *a = vstor_op(&p, len);
    if (a->hdr.status)
        return 0;
    struct vstor_channel_properties props = a->properties;
    assert_int_equal(props.max_transfer_bytes, SCSI_MAX_TRANSFER_BYTES);
    if (op_status(VSTOR_OP_END_INITIALIZATION))
        return 0;
    if (props.flags & VSTOR_PROP_MULTI_CHANNEL) {
        int sc = cpus - 1 < props.max_channel_count ? cpus - 1 : props.max_channel_count;
        if (sc > 0) {
            memset(&p, 0, sizeof(p));
            p.hdr.operation = VSTOR_OP_CREATE_SUB_CHANNELS;
            p.sub_channel_count = (uint16_t)sc;
            assert_int_equal(vstor_op(&p, len)->hdr.status, 0);
        }
    }
    return agreed;
}

/* Linux since mid-2022: 6.1 and 6.12 alike. */
static const uint16_t v6[] = {VSTOR_VERSION_WIN10, VSTOR_VERSION_WIN8_1, VSTOR_VERSION_WIN8};
/* Before: the same, then WIN7 and WIN6. */
static const uint16_t v5[] = {VSTOR_VERSION_WIN10, VSTOR_VERSION_WIN8_1, VSTOR_VERSION_WIN8,
                              VSTOR_VERSION_WIN7, VSTOR_VERSION_WIN6};

/* An SRB as storvsc_queuecommand builds it; data at guest page `page`,
 * offset `off`, len bytes (0: in-band). Returns the answer. */
static uint64_t next_id = 1;

static struct storvsc_gpa_range range;
static uint64_t pfns[STORVSC_MAX_PFNS + 8];

static void build_srb(struct vstor_packet *p, uint8_t lun, const uint8_t *cdb, uint8_t cdb_len,
                      uint32_t len, uint8_t dir)
{
    memset(p, 0, sizeof(*p));
    p->hdr.operation = VSTOR_OP_EXECUTE_SRB;
    p->hdr.flags = VSTOR_FLAG_REQUEST_COMPLETION;
    p->srb.length = sizeof(struct vmscsi_request);
    p->srb.lun = lun;
    p->srb.cdb_length = cdb_len;
    p->srb.sense_info_length = VSTOR_SENSE_MAX;
    p->srb.data_in = dir;
    p->srb.data_transfer_length = len;
    p->srb.time_out_value = 60;
    p->srb.srb_flags = SRB_FLAGS_DISABLE_SYNCH_TRANSFER |
                       (dir == VSTOR_DATA_IN ? SRB_FLAGS_DATA_IN : SRB_FLAGS_DATA_OUT);
    memcpy(p->srb.cdb, cdb, cdb_len);
}

static const struct storvsc_gpa_range *set_range(uint32_t page, uint32_t off, uint32_t len)
{
    if (!len)
        return NULL;
    range.byte_count = len;
    range.byte_offset = off;
    range.pfn_count = (off + len + STORVSC_PAGE_SIZE - 1) / STORVSC_PAGE_SIZE;
    for (uint32_t i = 0; i < range.pfn_count; i++)
        pfns[i] = RAM_PFN + page + i;
    range.pfns = pfns;
    return &range;
}

static const struct vstor_packet *send_srb(const struct vstor_packet *p, uint32_t plen,
                                           const struct storvsc_gpa_range *r)
{
    uint64_t id = next_id++;
    unsigned before = h.sent;
    storvsc_receive(&eng, &h, p, plen, id, r);
    assert_int_equal(h.sent, before + 1);
    assert_ptr_equal(h.last_chan, &h);
    return answer_of(id);
}

static const struct vstor_packet *srb(uint8_t lun, const uint8_t *cdb, uint8_t cdb_len,
                                      uint32_t page, uint32_t off, uint32_t len, uint8_t dir)
{
    struct vstor_packet p;
    build_srb(&p, lun, cdb, cdb_len, len, dir);
    return send_srb(&p, sizeof(p), set_range(page, off, len));
}

static uint8_t *guest(uint32_t page, uint32_t off)
{
    return h.ram + page * STORVSC_PAGE_SIZE + off;
}

static void ready_cpus(int cpus)
{
    assert_int_equal(linux_init(v6, 3, sizeof(struct vstor_packet), cpus), VSTOR_VERSION_WIN10);
    assert_int_equal(eng.state, STORVSC_READY);
}

static void ready(void)
{
    ready_cpus(4);
}

static void expect_srb(const struct vstor_packet *a, uint8_t srb_status, uint8_t scsi_status,
                       uint32_t transferred)
{
    assert_int_equal(a->srb.srb_status, srb_status);
    assert_int_equal(a->srb.scsi_status, scsi_status);
    assert_int_equal(a->srb.data_transfer_length, transferred);
    if (srb_status == SRB_STATUS_SUCCESS)
        assert_int_equal(a->hdr.status, 0);
    else
        assert_int_not_equal(a->hdr.status, 0);
}

/* --- the handshake ---------------------------------------------------------------------------- */
static void init_linux_6_1(void **state)
{
    (void)state;
    /* 6.1: WIN10 first, and this host takes it. */
    ready();
    assert_int_equal(eng.version, VSTOR_VERSION_WIN10);
    assert_int_equal(eng.request_size, 0x34);
    assert_int_equal(h.sent, 4); /* BEGIN, one version, properties, END */
}

static void init_linux_6_12(void **state)
{
    (void)state;
    /* 6.12 offers the same list; with 1 CPU it would not ask for
     * sub-channels even if offered. */
    storvsc_init(&eng, &ops_multi, &target);
    assert_int_equal(linux_init(v6, 3, sizeof(struct vstor_packet), 1), VSTOR_VERSION_WIN10);
    assert_int_equal(h.subchannel_calls, 0);
    assert_int_equal(eng.state, STORVSC_READY);
}

static void init_old_kernel_versions(void **state)
{
    (void)state;
    /* A guest that offers only what older hosts spoke: WIN7, 16 bytes
     * shorter requests (48-byte packets) accepted. */
    const uint16_t old[] = {VSTOR_VERSION_WIN7};
    assert_int_equal(linux_init(old, 1, 48, 4), VSTOR_VERSION_WIN7);
    assert_int_equal(eng.request_size, 0x24);
    struct vstor_packet p;
    const uint8_t tur[6] = {SCSI_TEST_UNIT_READY};
    build_srb(&p, 0, tur, 6, 0, VSTOR_DATA_UNKNOWN);
    expect_srb(send_srb(&p, 48, NULL), SRB_STATUS_SUCCESS, 0, 0);
    expect_srb(send_srb(&p, 47, NULL), SRB_STATUS_INVALID_REQUEST, 0, 0);

    /* An older kernel offering everything gets WIN10. */
    setup(NULL);
    assert_int_equal(linux_init(v5, 5, 48, 4), VSTOR_VERSION_WIN10);
    /* ... and then 48-byte SRBs are short. */
    expect_srb(send_srb(&p, 48, NULL), SRB_STATUS_INVALID_REQUEST, 0, 0);
}

static void init_unknown_versions(void **state)
{
    (void)state;
    const uint16_t odd[] = {VSTOR_VERSION(10, 0), VSTOR_VERSION(1, 0), VSTOR_VERSION(5, 0), 0,
                            0xFFFF};
    assert_int_equal(linux_init(odd, 5, sizeof(struct vstor_packet), 4), 0);
    assert_int_equal(eng.state, STORVSC_WAIT_VERSION);
    /* The answer echoes what was asked. */
    assert_int_equal(((const struct vstor_packet *)h.last)->version.major_minor, 0xFFFF);
    /* Still open to a good one. */
    struct vstor_packet p = {0};
    p.hdr.operation = VSTOR_OP_QUERY_PROTOCOL_VERSION;
    p.version.major_minor = VSTOR_VERSION_WIN8;
    assert_int_equal(vstor_op(&p, sizeof(p))->hdr.status, 0);
    assert_int_equal(eng.state, STORVSC_WAIT_PROPERTIES);
}

static void subchannels(void **state)
{
    (void)state;
    storvsc_init(&eng, &ops_multi, &target);
    assert_int_equal(linux_init(v6, 3, sizeof(struct vstor_packet), 8), VSTOR_VERSION_WIN10);
    assert_int_equal(h.subchannel_calls, 1);
    assert_int_equal(h.subchannels, 4); /* min(8 CPUs - 1, 4 offered) */
    /* A second request, and one from an engine without the hook. */
    struct vstor_packet p = {0};
    p.hdr.operation = VSTOR_OP_CREATE_SUB_CHANNELS;
    p.sub_channel_count = 1;
    assert_int_equal(vstor_op(&p, sizeof(p))->hdr.status, VSTOR_E_INVALID_DEVICE_STATE);
    setup(NULL);
    ready();
    assert_int_equal(vstor_op(&p, sizeof(p))->hdr.status, VSTOR_E_INVALID_DEVICE_REQUEST);

    /* Counts 0 and above the offer; the hook failing; before END (allowed). */
    static const uint16_t bad[] = {0, 5, 0xFFFF};
    for (unsigned i = 0; i < 3; i++) {
        setup(NULL);
        storvsc_init(&eng, &ops_multi, &target);
        ready_cpus(1);
        p.sub_channel_count = bad[i];
        assert_int_equal(vstor_op(&p, sizeof(p))->hdr.status, VSTOR_E_INVALID_PARAMETER);
    }
    setup(NULL);
    storvsc_init(&eng, &ops_multi, &target);
    h.subchannel_rc = -1;
    ready_cpus(1);
    p.sub_channel_count = 2;
    assert_int_equal(vstor_op(&p, sizeof(p))->hdr.status, VSTOR_E_INVALID_PARAMETER);
    h.subchannel_rc = 0;
    assert_int_equal(vstor_op(&p, sizeof(p))->hdr.status, 0); /* a retry may succeed */
    /* A too-short request. */
    setup(NULL);
    storvsc_init(&eng, &ops_multi, &target);
    ready_cpus(1);
    assert_int_equal(vstor_op(&p, 13)->hdr.status, VSTOR_E_INVALID_PARAMETER);
}

static void wrong_state(void **state)
{
    (void)state;
    /* Execute before init: the SRB fails, nothing reaches the target. */
    uint8_t cdb[10] = {SCSI_READ_10, 0, 0, 0, 0, 0, 0, 0, 1, 0};
    expect_srb(srb(0, cdb, 10, 0, 0, BS, VSTOR_DATA_IN), SRB_STATUS_ERROR, 0, 0);
    assert_int_equal(h.ios, 0);
    /* Out of order. */
    assert_int_equal(op_status(VSTOR_OP_QUERY_PROPERTIES), VSTOR_E_INVALID_DEVICE_STATE);
    assert_int_equal(op_status(VSTOR_OP_END_INITIALIZATION), VSTOR_E_INVALID_DEVICE_STATE);
    assert_int_equal(op_status(VSTOR_OP_RESET_BUS), VSTOR_E_INVALID_DEVICE_STATE);
    assert_int_equal(op_status(VSTOR_OP_CREATE_SUB_CHANNELS), VSTOR_E_INVALID_DEVICE_STATE);
    assert_int_equal(op_status(VSTOR_OP_QUERY_PROTOCOL_VERSION), VSTOR_E_INVALID_DEVICE_STATE);
    assert_int_equal(op_status(VSTOR_OP_BEGIN_INITIALIZATION), 0);
    assert_int_equal(op_status(VSTOR_OP_BEGIN_INITIALIZATION), VSTOR_E_INVALID_DEVICE_STATE);
    assert_int_equal(op_status(VSTOR_OP_END_INITIALIZATION), VSTOR_E_INVALID_DEVICE_STATE);
    assert_int_equal(eng.state, STORVSC_WAIT_VERSION);
    /* Not ours to receive, or unknown. */
    static const uint32_t odd[] = {0,
                                   VSTOR_OP_COMPLETE_IO,
                                   VSTOR_OP_REMOVE_DEVICE,
                                   VSTOR_OP_ENUMERATE_BUS,
                                   VSTOR_OP_FCHBA_DATA,
                                   14,
                                   99,
                                   0xFFFFFFFF};
    for (unsigned i = 0; i < sizeof(odd) / sizeof(odd[0]); i++)
        assert_int_equal(op_status(odd[i]), VSTOR_E_INVALID_DEVICE_REQUEST);
    assert_int_equal(eng.state, STORVSC_WAIT_VERSION);
    /* Ready: init operations are out of order, resets are fine. */
    setup(NULL);
    ready();
    assert_int_equal(op_status(VSTOR_OP_BEGIN_INITIALIZATION), VSTOR_E_INVALID_DEVICE_STATE);
    assert_int_equal(op_status(VSTOR_OP_QUERY_PROPERTIES), VSTOR_E_INVALID_DEVICE_STATE);
    assert_int_equal(op_status(VSTOR_OP_END_INITIALIZATION), VSTOR_E_INVALID_DEVICE_STATE);
    assert_int_equal(op_status(VSTOR_OP_RESET_BUS), 0);
    assert_int_equal(op_status(VSTOR_OP_RESET_LUN), 0);
    assert_int_equal(op_status(VSTOR_OP_RESET_ADAPTER), 0);
    assert_int_equal(eng.state, STORVSC_READY);
}

static void truncated_packets(void **state)
{
    (void)state;
    static const uint8_t zero[64];
    /* Too short for a header: answered, state unchanged. */
    for (uint32_t len = 0; len < 12; len++) {
        storvsc_receive(&eng, NULL, zero, len, 7, NULL);
        assert_int_equal(answer_of(7)->hdr.status, VSTOR_E_INVALID_PARAMETER);
    }
    struct vstor_packet p = {0};
    p.hdr.operation = VSTOR_OP_BEGIN_INITIALIZATION;
    assert_int_equal(vstor_op(&p, 12)->hdr.status, 0); /* a header is all BEGIN needs */
    p.hdr.operation = VSTOR_OP_QUERY_PROTOCOL_VERSION;
    p.version.major_minor = VSTOR_VERSION_WIN10;
    assert_int_equal(vstor_op(&p, 15)->hdr.status, VSTOR_E_INVALID_PARAMETER);
    assert_int_equal(eng.state, STORVSC_WAIT_VERSION);
    /* Oversized (padding after the packet) is fine: only 64 bytes are read. */
    uint8_t big[4096] = {0};
    memcpy(big, &p, sizeof(p));
    memset(big + sizeof(p), 0xEE, sizeof(big) - sizeof(p));
    storvsc_receive(&eng, NULL, big, sizeof(big), 8, NULL);
    assert_int_equal(answer_of(8)->hdr.status, 0);
    assert_int_equal(eng.state, STORVSC_WAIT_PROPERTIES);
    /* An SRB one byte short of the Win8 request. */
    setup(NULL);
    ready();
    const uint8_t tur[6] = {SCSI_TEST_UNIT_READY};
    build_srb(&p, 0, tur, 6, 0, VSTOR_DATA_UNKNOWN);
    expect_srb(send_srb(&p, 63, NULL), SRB_STATUS_INVALID_REQUEST, 0, 0);
    expect_srb(send_srb(&p, 12, NULL), SRB_STATUS_INVALID_REQUEST, 0, 0);
    expect_srb(send_srb(&p, 64, NULL), SRB_STATUS_SUCCESS, 0, 0);
}

/* --- I/O ------------------------------------------------------------------------------------- */
static void discovery(void **state)
{
    (void)state;
    ready();
    /* What Linux's scan and sd send first. */
    const uint8_t inq[6] = {SCSI_INQUIRY, 0, 0, 0, 36, 0};
    expect_srb(srb(0, inq, 6, 0, 0, 36, VSTOR_DATA_IN), SRB_STATUS_SUCCESS, 0, 36);
    assert_int_equal(*guest(0, 0), SCSI_TYPE_DISK);
    const uint8_t rl[12] = {SCSI_REPORT_LUNS, 0, 0, 0, 0, 0, 0, 0, 0x10, 0, 0, 0};
    expect_srb(srb(0, rl, 12, 1, 100, 4096, VSTOR_DATA_IN), SRB_STATUS_SUCCESS, 0, 16);
    assert_int_equal(guest(1, 100)[3], 8);
    const uint8_t rc16[16] = {0x9E, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 32, 0, 0};
    expect_srb(srb(0, rc16, 16, 2, 0, 32, VSTOR_DATA_IN), SRB_STATUS_SUCCESS, 0, 32);
    assert_int_equal(guest(2, 0)[7], (BLOCKS - 1) & 0xFF);
    /* Another target, and a LUN that is not there. */
    struct vstor_packet p;
    build_srb(&p, 0, inq, 6, 36, VSTOR_DATA_IN);
    p.srb.target_id = 1;
    expect_srb(send_srb(&p, sizeof(p), set_range(3, 0, 36)), SRB_STATUS_SUCCESS, 0, 36);
    assert_int_equal(*guest(3, 0), SCSI_PQ_NOT_PRESENT);
    const uint8_t tur[6] = {SCSI_TEST_UNIT_READY};
    const struct vstor_packet *a = srb(5, tur, 6, 0, 0, 0, VSTOR_DATA_UNKNOWN);
    expect_srb(a, SRB_STATUS_INVALID_LUN | SRB_STATUS_AUTOSENSE_VALID, SCSI_STATUS_CHECK_CONDITION,
               0);
    assert_int_equal(a->srb.sense[12], 0x25);
    assert_int_equal(a->srb.lun, 5); /* the request's address echoed */
}

static void read_write_pages(void **state)
{
    (void)state;
    ready();
    /* 16 blocks from offset 512 of page 4: 3 pages, split at odd places. */
    uint32_t len = 16 * BS;
    for (uint32_t i = 0; i < len; i++)
        *guest(4, 512 + i) = (uint8_t)(i * 31 + 7);
    const uint8_t w[10] = {SCSI_WRITE_10, SCSI_RW_FUA, 0, 0, 0, 40, 0, 0, 16, 0};
    expect_srb(srb(0, w, 10, 4, 512, len, VSTOR_DATA_OUT), SRB_STATUS_SUCCESS, 0, len);
    assert_memory_equal(h.disk + 40 * BS, guest(4, 512), len);
    const uint8_t r[16] = {SCSI_READ_16, 0, 0, 0, 0, 0, 0, 0, 0, 40, 0, 0, 0, 16, 0, 0};
    expect_srb(srb(0, r, 16, 10, 4095, len, VSTOR_DATA_IN), SRB_STATUS_SUCCESS, 0, len);
    assert_memory_equal(guest(10, 4095), guest(4, 512), len);
    /* The largest transfer we advertise (2048 blocks), page aligned: 256 pages... */
    setup(NULL);
    ready();
    const uint8_t big[10] = {SCSI_READ_10, 0, 0, 0, 0, 0, 0, 0x08, 0x00, 0};
    expect_srb(srb(0, big, 10, 0, 0, SCSI_MAX_TRANSFER_BYTES, VSTOR_DATA_IN), SRB_STATUS_SUCCESS, 0,
               SCSI_MAX_TRANSFER_BYTES);
    assert_memory_equal(guest(0, 0), h.disk, SCSI_MAX_TRANSFER_BYTES);
    /* ... and unaligned: 257 pages. */
    expect_srb(srb(0, big, 10, 0, 4000, SCSI_MAX_TRANSFER_BYTES, VSTOR_DATA_IN), SRB_STATUS_SUCCESS,
               0, SCSI_MAX_TRANSFER_BYTES);
    assert_memory_equal(guest(0, 4000), h.disk, SCSI_MAX_TRANSFER_BYTES);
    const uint8_t sync[10] = {SCSI_SYNC_CACHE_10};
    expect_srb(srb(0, sync, 10, 0, 0, 0, VSTOR_DATA_UNKNOWN), SRB_STATUS_SUCCESS, 0, 0);
    assert_int_equal(h.flushes, 1);
}

static void check_condition_sense(void **state)
{
    (void)state;
    ready();
    const uint8_t r[10] = {SCSI_READ_10, 0, 0, 0, BLOCKS >> 8, 0, 0, 0, 1, 0};
    const struct vstor_packet *a = srb(0, r, 10, 0, 0, BS, VSTOR_DATA_IN);
    expect_srb(a, SRB_STATUS_ERROR | SRB_STATUS_AUTOSENSE_VALID, SCSI_STATUS_CHECK_CONDITION, 0);
    assert_int_equal(a->srb.sense_info_length, 18);
    assert_int_equal(a->srb.sense[0], 0x70);
    assert_int_equal(a->srb.sense[2], SCSI_SENSE_ILLEGAL_REQUEST);
    assert_int_equal(a->srb.sense[12], 0x21);
    /* The guest's sense room bounds the copy; none: no AUTOSENSE_VALID. */
    struct vstor_packet p;
    build_srb(&p, 0, r, 10, BS, VSTOR_DATA_IN);
    p.srb.sense_info_length = 8;
    a = send_srb(&p, sizeof(p), set_range(0, 0, BS));
    assert_int_equal(a->srb.sense_info_length, 8);
    assert_int_equal(a->srb.sense[8], 0);
    p.srb.sense_info_length = 0;
    a = send_srb(&p, sizeof(p), set_range(0, 0, BS));
    expect_srb(a, SRB_STATUS_ERROR, SCSI_STATUS_CHECK_CONDITION, 0);
    /* A backend error. */
    h.fail = 1;
    const uint8_t w[10] = {SCSI_WRITE_10, 0, 0, 0, 0, 0, 0, 0, 1, 0};
    a = srb(0, w, 10, 0, 0, BS, VSTOR_DATA_OUT);
    expect_srb(a, SRB_STATUS_ERROR | SRB_STATUS_AUTOSENSE_VALID, SCSI_STATUS_CHECK_CONDITION, 0);
    assert_int_equal(a->srb.sense[2], SCSI_SENSE_MEDIUM_ERROR);
    assert_int_equal(a->srb.sense[12], 0x0C);
    /* An unknown command. */
    h.fail = 0;
    const uint8_t ws[10] = {0x41};
    a = srb(0, ws, 10, 0, 0, BS, VSTOR_DATA_OUT);
    assert_int_equal(a->srb.sense[12], 0x20);
}

static void hostile_ranges(void **state)
{
    (void)state;
    ready();
    uint8_t before[BLOCKS * BS];
    memcpy(before, h.disk, sizeof(before));
    const uint32_t L = 16 * BS; /* two pages */
    const uint8_t r[10] = {SCSI_READ_10, 0, 0, 0, 0, 0, 0, 0, 16, 0};
    const uint8_t w[10] = {SCSI_WRITE_10, 0, 0, 0, 0, 0, 0, 0, 16, 0};
    struct vstor_packet p;

    /* A PFN outside guest RAM, first, last, in the middle; reads and writes. */
    static const uint64_t outside[] = {0, RAM_PFN - 1, RAM_PFN + RAM_PAGES, UINT64_MAX};
    for (unsigned k = 0; k < 4; k++) {
        for (unsigned at = 0; at < 2; at++) {
            build_srb(&p, 0, at ? w : r, 10, L, at ? VSTOR_DATA_OUT : VSTOR_DATA_IN);
            set_range(0, 0, L);
            pfns[at] = outside[k];
            expect_srb(send_srb(&p, sizeof(p), &range), SRB_STATUS_ERROR, 0, 0);
        }
    }
    /* An extra PFN beyond what the bytes need is checked too. */
    build_srb(&p, 0, r, 10, L, VSTOR_DATA_IN);
    set_range(0, 0, L);
    pfns[range.pfn_count++] = 5;
    expect_srb(send_srb(&p, sizeof(p), &range), SRB_STATUS_ERROR, 0, 0);
    pfns[range.pfn_count - 1] = RAM_PFN + 9;
    expect_srb(send_srb(&p, sizeof(p), &range), SRB_STATUS_SUCCESS, 0, L);

    /* Byte count beyond the pages; offset >= 4096; count 0; transfer beyond the range. */
    set_range(0, 0, L);
    range.byte_count = L + 1;
    p.srb.data_transfer_length = L;
    expect_srb(send_srb(&p, sizeof(p), &range), SRB_STATUS_INVALID_REQUEST, 0, 0);
    set_range(0, 0, L);
    range.byte_offset = 4096;
    expect_srb(send_srb(&p, sizeof(p), &range), SRB_STATUS_INVALID_REQUEST, 0, 0);
    range.byte_offset = 0xFFFFFFFF;
    range.byte_count = 0xFFFFFFFF;
    expect_srb(send_srb(&p, sizeof(p), &range), SRB_STATUS_INVALID_REQUEST, 0, 0);
    set_range(0, 0, L);
    range.byte_count = 0;
    expect_srb(send_srb(&p, sizeof(p), &range), SRB_STATUS_INVALID_REQUEST, 0, 0);
    set_range(0, 0, L);
    p.srb.data_transfer_length = L + 1;
    expect_srb(send_srb(&p, sizeof(p), &range), SRB_STATUS_INVALID_REQUEST, 0, 0);
    p.srb.data_transfer_length = 0xFFFFFFFF;
    expect_srb(send_srb(&p, sizeof(p), &range), SRB_STATUS_INVALID_REQUEST, 0, 0);
    /* Data without a range; too many PFNs. */
    p.srb.data_transfer_length = L;
    expect_srb(send_srb(&p, sizeof(p), NULL), SRB_STATUS_INVALID_REQUEST, 0, 0);
    set_range(0, 0, L);
    range.pfn_count = STORVSC_MAX_PFNS + 1;
    for (unsigned i = 0; i < range.pfn_count; i++)
        pfns[i] = RAM_PFN + i % RAM_PAGES;
    expect_srb(send_srb(&p, sizeof(p), &range), SRB_STATUS_INVALID_REQUEST, 0, 0);
    /* CDB lengths 0 and 17. */
    build_srb(&p, 0, r, 10, L, VSTOR_DATA_IN);
    p.srb.cdb_length = 0;
    expect_srb(send_srb(&p, sizeof(p), set_range(0, 0, L)), SRB_STATUS_INVALID_REQUEST, 0, 0);
    p.srb.cdb_length = 17;
    expect_srb(send_srb(&p, sizeof(p), set_range(0, 0, L)), SRB_STATUS_INVALID_REQUEST, 0, 0);
    /* A transfer longer than the guest's buffer (the CDB asks 16 blocks, 1 given). */
    build_srb(&p, 0, r, 10, BS, VSTOR_DATA_IN);
    expect_srb(send_srb(&p, sizeof(p), set_range(0, 0, BS)),
               SRB_STATUS_ERROR | SRB_STATUS_AUTOSENSE_VALID, SCSI_STATUS_CHECK_CONDITION, 0);

    assert_memory_equal(h.disk, before, sizeof(before));
    for (unsigned i = 2 * STORVSC_PAGE_SIZE; i < RAM_PAGES * STORVSC_PAGE_SIZE; i++)
        assert_int_equal(h.ram[i], 0); /* only the one good read landed */
    assert_int_equal(h.ios, 1);
}

/* Data safety: a write is answered only when the backend completes it; a
 * full table of held requests makes the next one BUSY. */
static void asynchronous(void **state)
{
    (void)state;
    ready();
    h.hold = true;
    const uint8_t w[10] = {SCSI_WRITE_10, 0, 0, 0, 0, 1, 0, 0, 1, 0};
    struct vstor_packet p;
    build_srb(&p, 0, w, 10, BS, VSTOR_DATA_OUT);
    unsigned sent = h.sent;
    for (unsigned i = 0; i < STORVSC_SLOTS; i++)
        storvsc_receive(&eng, &h, &p, sizeof(p), 100 + i, set_range(i, 0, BS));
    assert_int_equal(h.sent, sent);
    assert_int_equal(h.nheld, STORVSC_SLOTS);
    storvsc_receive(&eng, &h, &p, sizeof(p), 200, set_range(0, 0, BS));
    expect_srb(answer_of(200), SRB_STATUS_BUSY, SCSI_STATUS_BUSY, 0);
    /* Completed out of order: each answer carries its own id. */
    blk_io_done(h.held[5], 0);
    expect_srb(answer_of(105), SRB_STATUS_SUCCESS, 0, BS);
    storvsc_receive(&eng, &h, &p, sizeof(p), 300, set_range(0, 0, BS));
    assert_int_equal(h.nheld, STORVSC_SLOTS + 1);
    blk_io_done(h.held[STORVSC_SLOTS], 1);
    expect_srb(answer_of(300), SRB_STATUS_ERROR | SRB_STATUS_AUTOSENSE_VALID,
               SCSI_STATUS_CHECK_CONDITION, 0);
    for (unsigned i = 0; i < STORVSC_SLOTS; i++) {
        if (i != 5) {
            blk_io_done(h.held[i], 0);
            answer_of(100 + i);
        }
    }
    for (unsigned i = 0; i < STORVSC_SLOTS; i++)
        assert_false(eng.slot[i].busy);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(init_linux_6_1, setup),
        cmocka_unit_test_setup(init_linux_6_12, setup),
        cmocka_unit_test_setup(init_old_kernel_versions, setup),
        cmocka_unit_test_setup(init_unknown_versions, setup),
        cmocka_unit_test_setup(subchannels, setup),
        cmocka_unit_test_setup(wrong_state, setup),
        cmocka_unit_test_setup(truncated_packets, setup),
        cmocka_unit_test_setup(discovery, setup),
        cmocka_unit_test_setup(read_write_pages, setup),
        cmocka_unit_test_setup(check_condition_sense, setup),
        cmocka_unit_test_setup(hostile_ranges, setup),
        cmocka_unit_test_setup(asynchronous, setup),
    };
    return cmocka_run_group_tests(tests, NULL, teardown_all);
}
