/* The SCSI target (hv/devices/scsi.c) over a RAM-disk backend that counts
 * what reaches it, fails on demand and can hold requests (asynchronous
 * completion). Every command Linux's sd and scan send, with good and hostile
 * CDBs: unknown opcodes, short CDBs, allocation lengths 0 / 1 / huge, LBAs
 * beyond the capacity and LBA + length overflowing 64 bits, READ(6) length
 * 0, FUA and flushes, backend errors as sense, absent LUNs. Buffers are heap
 * segments of exact size, so ASan sees any write past the initiator's
 * buffer. */
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

#define BLOCKS 2048u
#define BS     512u

/* --- the backend ------------------------------------------------------------------ */
struct disk {
    uint8_t data[BLOCKS * BS];
    unsigned reads, writes, flushes, discards, fua_writes;
    int fail;  /* the error the next requests complete with */
    bool hold; /* keep requests: the test completes them */
    struct blk_io *held;
    uint64_t last_lba;
    uint32_t last_blocks;
};
static struct disk disk;

static void move(struct blk_io *io, bool write)
{
    uint32_t len = io->blocks * BS;
    uint8_t *p = disk.data + io->lba * BS;
    uint32_t n = write ? scsi_seg_read(io->seg, io->nseg, 0, p, len)
                       : scsi_seg_write(io->seg, io->nseg, 0, p, len);
    assert_int_equal(n, len); /* the target never asks for more than the buffer */
}

static void finish(struct blk_io *io)
{
    disk.last_lba = io->lba;
    disk.last_blocks = io->blocks;
    if (disk.hold) {
        disk.held = io;
        return;
    }
    if (!disk.fail && (io->op == BLK_READ || io->op == BLK_WRITE))
        move(io, io->op == BLK_WRITE);
    if (!disk.fail && io->op == BLK_DISCARD)
        memset(disk.data + io->lba * BS, 0, (size_t)io->blocks * BS);
    blk_io_done(io, disk.fail);
}

static void d_read(void *ctx, struct blk_io *io)
{
    assert_ptr_equal(ctx, &disk);
    assert_int_equal(io->op, BLK_READ);
    assert_true(io->blocks > 0 && io->lba + io->blocks <= BLOCKS);
    disk.reads++;
    finish(io);
}

static void d_write(void *ctx, struct blk_io *io)
{
    assert_ptr_equal(ctx, &disk);
    assert_int_equal(io->op, BLK_WRITE);
    assert_true(io->blocks > 0 && io->lba + io->blocks <= BLOCKS);
    disk.writes++;
    disk.fua_writes += io->fua;
    finish(io);
}

static void d_flush(void *ctx, struct blk_io *io)
{
    assert_ptr_equal(ctx, &disk);
    assert_int_equal(io->op, BLK_FLUSH);
    disk.flushes++;
    finish(io);
}

static void d_discard(void *ctx, struct blk_io *io)
{
    assert_ptr_equal(ctx, &disk);
    assert_int_equal(io->op, BLK_DISCARD);
    assert_true(io->blocks > 0 && io->lba + io->blocks <= BLOCKS);
    disk.discards++;
    finish(io);
}

static struct scsi_backend full = {BLOCKS, BS, &disk, d_read, d_write, d_flush, d_discard};
static struct scsi_backend plain = {BLOCKS, BS, &disk, d_read, d_write, NULL, NULL};
static struct scsi_backend huge = {(1ull << 40), BS, &disk, d_read, d_write, NULL, NULL};

static struct scsi_lun lun_full = {&full, "SERIAL-0001"};
static struct scsi_lun lun_plain = {&plain, NULL};
static struct scsi_lun lun_huge = {&huge, "H"};
/* LUN 0 full, 1 absent, 2 plain (no cache, no discard), 3 beyond 2^32 blocks. */
static const struct scsi_lun *const lun_list[] = {&lun_full, NULL, &lun_plain, &lun_huge};
static const struct scsi_target target = {lun_list, 4};

/* --- running a command --------------------------------------------------------------- */
struct run {
    struct scsi_cmd cmd;
    struct scsi_seg seg[4];
    uint8_t *buf;
    uint32_t len;
    unsigned dones;
};
static struct run r;

static void done(struct scsi_cmd *c)
{
    assert_ptr_equal(c, &r.cmd);
    assert_ptr_equal(c->ctx, &r);
    r.dones++;
}

static int setup(void **state)
{
    (void)state;
    memset(&disk, 0, sizeof(disk));
    for (unsigned i = 0; i < sizeof(disk.data); i++)
        disk.data[i] = (uint8_t)(i * 7 + i / BS);
    free(r.buf);
    memset(&r, 0, sizeof(r));
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    free(r.buf);
    r.buf = NULL;
    return 0;
}

/* The initiator's buffer: len bytes in pieces of at most `piece`, each its
 * own allocation. */
static void buffer(uint32_t len, uint32_t piece)
{
    free(r.buf);
    r.buf = len ? malloc(len) : NULL;
    r.len = len;
    if (len)
        memset(r.buf, 0, len);
    unsigned n = 0;
    for (uint32_t off = 0; off < len && n < 4; n++) {
        uint32_t l = len - off < piece || n == 3 ? len - off : piece;
        r.seg[n] = (struct scsi_seg){r.buf + off, l};
        off += l;
    }
    r.cmd.seg = r.seg;
    r.cmd.nseg = n;
    r.cmd.buf_len = len;
}

static void run_cdb(uint32_t lun, const uint8_t *cdb, uint8_t cdb_len)
{
    r.cmd.target = &target;
    r.cmd.lun = lun;
    memset(r.cmd.cdb, 0, sizeof(r.cmd.cdb));
    memcpy(r.cmd.cdb, cdb, cdb_len);
    r.cmd.cdb_len = cdb_len;
    r.cmd.done = done;
    r.cmd.ctx = &r;
    r.dones = 0;
    scsi_execute(&r.cmd);
}

#define RUN(lun, ...)                                                                              \
    do {                                                                                           \
        const uint8_t cdb_[] = {__VA_ARGS__};                                                      \
        run_cdb(lun, cdb_, sizeof(cdb_));                                                          \
    } while (0)

static void expect_good(uint32_t transferred)
{
    assert_int_equal(r.dones, 1);
    assert_int_equal(r.cmd.status, SCSI_STATUS_GOOD);
    assert_int_equal(r.cmd.sense_len, 0);
    assert_int_equal(r.cmd.transferred, transferred);
}

static void expect_sense(uint8_t key, uint16_t asc)
{
    assert_int_equal(r.dones, 1);
    assert_int_equal(r.cmd.status, SCSI_STATUS_CHECK_CONDITION);
    assert_int_equal(r.cmd.sense_len, 18);
    assert_int_equal(r.cmd.sense[0], 0x70);
    assert_int_equal(r.cmd.sense[2], key);
    assert_int_equal(r.cmd.sense[7], 10);
    assert_int_equal(r.cmd.sense[12], asc >> 8);
    assert_int_equal(r.cmd.sense[13], asc & 0xFF);
    assert_int_equal(r.cmd.transferred, 0);
}

static void expect_illegal(uint16_t asc)
{
    expect_sense(SCSI_SENSE_ILLEGAL_REQUEST, asc);
}

static uint64_t be_at(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

/* --- tests ---------------------------------------------------------------------------- */
static void bad_opcodes(void **state)
{
    (void)state;
    buffer(512, 512);
    static const uint8_t ops[] = {0x01, 0x04, 0x15, 0x1B, 0x2F, 0x41 /* WRITE SAME */,
                                  0x4D, 0x55, 0x60, 0x7F, 0x93, 0xA3,
                                  0xC0, 0xFF};
    for (unsigned i = 0; i < sizeof(ops); i++) {
        uint8_t cdb[16] = {ops[i]};
        run_cdb(0, cdb, 16);
        expect_illegal(SCSI_ASC_INVALID_OPCODE);
    }
    /* READ CAPACITY(16)'s opcode with another service action (GET LBA STATUS). */
    RUN(0, 0x9E, 0x12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 32, 0, 0);
    expect_illegal(SCSI_ASC_INVALID_OPCODE);
    /* UNMAP where the backend cannot discard. */
    RUN(2, SCSI_UNMAP, 0, 0, 0, 0, 0, 0, 0, 24, 0);
    expect_illegal(SCSI_ASC_INVALID_OPCODE);
}

static void short_cdbs(void **state)
{
    (void)state;
    buffer(512, 512);
    RUN(0, SCSI_READ_10, 0, 0, 0, 0, 0); /* 6 bytes of a 10-byte command */
    expect_illegal(SCSI_ASC_INVALID_FIELD_IN_CDB);
    RUN(0, SCSI_READ_16, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    expect_illegal(SCSI_ASC_INVALID_FIELD_IN_CDB);
    RUN(0, SCSI_REPORT_LUNS, 0, 0, 0, 0, 0, 0, 0, 0x10, 0);
    expect_illegal(SCSI_ASC_INVALID_FIELD_IN_CDB);
    uint8_t none[1] = {SCSI_TEST_UNIT_READY};
    run_cdb(0, none, 0);
    expect_illegal(SCSI_ASC_INVALID_FIELD_IN_CDB);
    r.cmd.cdb_len = 17; /* more than a CDB holds */
    scsi_execute(&r.cmd);
    assert_int_equal(r.cmd.status, SCSI_STATUS_CHECK_CONDITION);
    assert_int_equal(disk.reads, 0);
}

static void test_unit_ready(void **state)
{
    (void)state;
    buffer(0, 1);
    RUN(0, SCSI_TEST_UNIT_READY, 0, 0, 0, 0, 0);
    expect_good(0);
    RUN(1, SCSI_TEST_UNIT_READY, 0, 0, 0, 0, 0);
    expect_illegal(SCSI_ASC_LUN_NOT_SUPPORTED);
    assert_true(r.cmd.no_lun);
    RUN(4000, SCSI_TEST_UNIT_READY, 0, 0, 0, 0, 0);
    expect_illegal(SCSI_ASC_LUN_NOT_SUPPORTED);
}

static void inquiry_standard(void **state)
{
    (void)state;
    buffer(255, 100);
    RUN(0, SCSI_INQUIRY, 0, 0, 0, 255, 0);
    expect_good(36);
    assert_int_equal(r.buf[0], SCSI_TYPE_DISK);
    assert_int_equal(r.buf[2], SCSI_INQ_VERSION_SPC4);
    assert_int_equal(r.buf[3] & 0x0F, 2);
    assert_int_equal(r.buf[4], 31);
    assert_true(r.buf[7] & SCSI_INQ_CMDQUE);
    assert_memory_equal(r.buf + 8, "vmbhv   ", 8);
    assert_memory_equal(r.buf + 16, "virtual disk    ", 16);
    assert_false(r.cmd.no_lun);

    /* Allocation lengths 0, 1, 5 and beyond the buffer. */
    RUN(0, SCSI_INQUIRY, 0, 0, 0, 0, 0);
    expect_good(0);
    RUN(0, SCSI_INQUIRY, 0, 0, 0, 1, 0);
    expect_good(1);
    RUN(0, SCSI_INQUIRY, 0, 0, 0, 5, 0);
    expect_good(5);
    buffer(20, 7);
    RUN(0, SCSI_INQUIRY, 0, 0, 0xFF, 0xFF, 0);
    expect_good(20);
    assert_int_equal(r.buf[4], 31);

    /* An absent LUN answers: qualifier 3, no device (Linux's scan stops there). */
    buffer(96, 96);
    RUN(1, SCSI_INQUIRY, 0, 0, 0, 96, 0);
    expect_good(36);
    assert_int_equal(r.buf[0], SCSI_PQ_NOT_PRESENT);
    assert_true(r.cmd.no_lun);
    RUN(77, SCSI_INQUIRY, 0, 0, 0, 96, 0);
    expect_good(36);
    assert_int_equal(r.buf[0], SCSI_PQ_NOT_PRESENT);

    /* Page code without EVPD, CMDDT, reserved bits. */
    RUN(0, SCSI_INQUIRY, 0, 0x80, 0, 96, 0);
    expect_illegal(SCSI_ASC_INVALID_FIELD_IN_CDB);
    RUN(0, SCSI_INQUIRY, 2, 0, 0, 96, 0);
    expect_illegal(SCSI_ASC_INVALID_FIELD_IN_CDB);
    RUN(0, SCSI_INQUIRY, 0xE1, 0, 0, 96, 0);
    expect_illegal(SCSI_ASC_INVALID_FIELD_IN_CDB);
}

static void inquiry_vpd_pages(void **state)
{
    (void)state;
    buffer(255, 64);
    RUN(0, SCSI_INQUIRY, 1, 0x00, 0, 255, 0);
    expect_good(10);
    static const uint8_t all[] = {0x00, 0x80, 0x83, 0xB0, 0xB1, 0xB2};
    assert_int_equal(r.buf[1], 0);
    assert_int_equal(be_at(r.buf + 2, 2), 6);
    assert_memory_equal(r.buf + 4, all, 6);
    RUN(2, SCSI_INQUIRY, 1, 0x00, 0, 255, 0); /* no discard: no 0xB2 */
    expect_good(9);
    assert_memory_equal(r.buf + 4, all, 5);

    RUN(0, SCSI_INQUIRY, 1, 0x80, 0, 255, 0);
    expect_good(4 + 11);
    assert_int_equal(r.buf[1], 0x80);
    assert_int_equal(r.buf[3], 11);
    assert_memory_equal(r.buf + 4, "SERIAL-0001", 11);
    RUN(2, SCSI_INQUIRY, 1, 0x80, 0, 255, 0); /* no serial configured */
    expect_good(5);

    RUN(0, SCSI_INQUIRY, 1, 0x83, 0, 255, 0);
    expect_good(4 + 4 + 8 + 11);
    assert_int_equal(r.buf[3], 23);
    assert_int_equal(r.buf[4] & 0x0F, SCSI_DESIG_CODESET_ASCII);
    assert_int_equal(r.buf[5] & 0x0F, SCSI_DESIG_TYPE_T10);
    assert_int_equal(r.buf[7], 19);
    assert_memory_equal(r.buf + 8, "vmbhv   SERIAL-0001", 19);

    RUN(0, SCSI_INQUIRY, 1, 0xB0, 0, 255, 0);
    expect_good(64);
    assert_int_equal(be_at(r.buf + 2, 2), 0x3C);
    assert_int_equal(be_at(r.buf + 8, 4), SCSI_MAX_TRANSFER_BYTES / BS);
    assert_int_equal(be_at(r.buf + 20, 4), 0xFFFFFFFFu);
    assert_int_equal(be_at(r.buf + 24, 4), SCSI_UNMAP_MAX_DESC);
    RUN(2, SCSI_INQUIRY, 1, 0xB0, 0, 255, 0);
    expect_good(64);
    assert_int_equal(be_at(r.buf + 20, 4), 0); /* no UNMAP */

    RUN(0, SCSI_INQUIRY, 1, 0xB1, 0, 255, 0);
    expect_good(64);
    assert_int_equal(be_at(r.buf + 4, 2), 1); /* non-rotational */

    RUN(0, SCSI_INQUIRY, 1, 0xB2, 0, 255, 0);
    expect_good(8);
    assert_true(r.buf[5] & SCSI_LBP_LBPU);
    RUN(2, SCSI_INQUIRY, 1, 0xB2, 0, 255, 0);
    expect_illegal(SCSI_ASC_INVALID_FIELD_IN_CDB);

    /* Pages we do not have; VPD of an absent LUN; truncation. */
    static const uint8_t absent[] = {0x01, 0x81, 0x86, 0x89, 0xB7, 0xFF};
    for (unsigned i = 0; i < sizeof(absent); i++) {
        RUN(0, SCSI_INQUIRY, 1, absent[i], 0, 255, 0);
        expect_illegal(SCSI_ASC_INVALID_FIELD_IN_CDB);
    }
    RUN(1, SCSI_INQUIRY, 1, 0x00, 0, 255, 0);
    expect_illegal(SCSI_ASC_INVALID_FIELD_IN_CDB);
    RUN(0, SCSI_INQUIRY, 1, 0xB0, 0, 4, 0);
    expect_good(4);
    buffer(3, 1);
    RUN(0, SCSI_INQUIRY, 1, 0xB0, 0xFF, 0xFF, 0);
    expect_good(3);
}

static void read_capacity(void **state)
{
    (void)state;
    buffer(64, 64);
    RUN(0, SCSI_READ_CAPACITY_10, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    expect_good(8);
    assert_int_equal(be_at(r.buf, 4), BLOCKS - 1);
    assert_int_equal(be_at(r.buf + 4, 4), BS);
    RUN(0, SCSI_READ_CAPACITY_10, 0, 0, 0, 0, 1, 0, 0, 0, 0); /* LBA without PMI */
    expect_illegal(SCSI_ASC_INVALID_FIELD_IN_CDB);
    RUN(3, SCSI_READ_CAPACITY_10, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    expect_good(8);
    assert_int_equal(be_at(r.buf, 4), 0xFFFFFFFFu); /* ask READ CAPACITY(16) */

    RUN(0, 0x9E, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 32, 0, 0);
    expect_good(32);
    assert_int_equal(be_at(r.buf, 8), BLOCKS - 1);
    assert_int_equal(be_at(r.buf + 8, 4), BS);
    assert_true(r.buf[14] & SCSI_RC16_LBPME);
    RUN(2, 0x9E, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 32, 0, 0);
    expect_good(32);
    assert_false(r.buf[14] & SCSI_RC16_LBPME);
    RUN(3, 0x9E, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 32, 0, 0);
    expect_good(32);
    assert_int_equal(be_at(r.buf, 8), (1ull << 40) - 1);
    RUN(0, 0x9E, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0); /* allocation 0 */
    expect_good(0);
    RUN(0, 0x9E, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 12, 0, 0);
    expect_good(12);
    RUN(0, 0x9E, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0);
    expect_good(32);
    RUN(1, 0x9E, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 32, 0, 0);
    expect_illegal(SCSI_ASC_LUN_NOT_SUPPORTED);
}

static void mode_sense(void **state)
{
    (void)state;
    buffer(255, 255);
    /* Linux's write-protect probe: all pages, MODE SENSE(6). */
    RUN(0, SCSI_MODE_SENSE_6, 0, 0x3F, 0, 192, 0);
    expect_good(4 + 8 + 20 + 12);
    assert_int_equal(r.buf[0], 4 + 8 + 20 + 12 - 1);
    assert_int_equal(r.buf[2], SCSI_MS_DEV_DPOFUA); /* not write protected, FUA */
    assert_int_equal(r.buf[3], 8);
    assert_int_equal(be_at(r.buf + 4, 4), BLOCKS);
    assert_int_equal(be_at(r.buf + 9, 3), BS);
    assert_int_equal(r.buf[12], 0x08);
    assert_int_equal(r.buf[13], 0x12);
    assert_true(r.buf[14] & SCSI_CACHING_WCE);
    assert_int_equal(r.buf[32], 0x0A);

    /* The caching page, DBD, as sd_read_cache_type asks it; no cache: WCE 0. */
    RUN(0, SCSI_MODE_SENSE_6, 8, 0x08, 0, 255, 0);
    expect_good(4 + 20);
    assert_int_equal(r.buf[3], 0);
    assert_int_equal(r.buf[4], 0x08);
    assert_true(r.buf[6] & SCSI_CACHING_WCE);
    RUN(2, SCSI_MODE_SENSE_6, 8, 0x08, 0, 255, 0);
    expect_good(4 + 20);
    assert_false(r.buf[6] & SCSI_CACHING_WCE);
    assert_int_equal(r.buf[2], 0); /* no DPOFUA */

    /* MODE SENSE(10). */
    RUN(0, SCSI_MODE_SENSE_10, 0, 0x08, 0, 0, 0, 0, 0, 255, 0);
    expect_good(8 + 8 + 20);
    assert_int_equal(be_at(r.buf, 2), 8 + 8 + 20 - 2);
    assert_int_equal(be_at(r.buf + 6, 2), 8);
    assert_true(r.buf[16 + 2] & SCSI_CACHING_WCE);
    RUN(0, SCSI_MODE_SENSE_10, 8, 0x3F, 0xFF, 0, 0, 0, 0, 255, 0); /* all subpages */
    expect_good(8 + 20 + 12);

    /* Changeable values: nothing is. Saved: not supported. */
    RUN(0, SCSI_MODE_SENSE_6, 8, 0x48, 0, 255, 0);
    expect_good(24);
    assert_int_equal(r.buf[6], 0);
    RUN(0, SCSI_MODE_SENSE_6, 8, 0xC8, 0, 255, 0);
    expect_illegal(SCSI_ASC_SAVING_PARAMS_UNSUPPORTED);

    /* Pages and subpages we do not have, truncation, 0. */
    RUN(0, SCSI_MODE_SENSE_6, 8, 0x1C, 0, 255, 0);
    expect_illegal(SCSI_ASC_INVALID_FIELD_IN_CDB);
    RUN(0, SCSI_MODE_SENSE_6, 8, 0x0A, 0x05, 255, 0);
    expect_illegal(SCSI_ASC_INVALID_FIELD_IN_CDB);
    RUN(0, SCSI_MODE_SENSE_6, 0, 0x3F, 0, 4, 0);
    expect_good(4);
    assert_int_equal(r.buf[0], 43);
    RUN(0, SCSI_MODE_SENSE_6, 0, 0x3F, 0, 0, 0);
    expect_good(0);
    buffer(1, 1);
    RUN(0, SCSI_MODE_SENSE_10, 0, 0x3F, 0, 0, 0, 0, 0xFF, 0xFF, 0);
    expect_good(1);
    RUN(3, SCSI_MODE_SENSE_6, 0, 0x08, 0, 255, 0); /* > 2^32 blocks */
    expect_good(1);
    buffer(16, 16);
    RUN(3, SCSI_MODE_SENSE_6, 0, 0x08, 0, 255, 0);
    assert_int_equal(be_at(r.buf + 4, 4), 0xFFFFFFFFu);
}

static void report_luns(void **state)
{
    (void)state;
    buffer(64, 24);
    RUN(0, SCSI_REPORT_LUNS, 0, 0, 0, 0, 0, 0, 0, 0, 64, 0, 0);
    expect_good(8 + 3 * 8);
    assert_int_equal(be_at(r.buf, 4), 24);
    assert_int_equal(be_at(r.buf + 8, 8), 0);
    assert_int_equal(be_at(r.buf + 16, 8), 2ull << 48);
    assert_int_equal(be_at(r.buf + 24, 8), 3ull << 48);
    /* From an absent LUN too, and truncated (the length says the whole). */
    RUN(9, SCSI_REPORT_LUNS, 0, 2, 0, 0, 0, 0, 0, 0, 20, 0, 0);
    expect_good(20);
    assert_int_equal(be_at(r.buf, 4), 24);
    RUN(0, SCSI_REPORT_LUNS, 0, 0, 0, 0, 0, 0, 0, 0, 15, 0, 0);
    expect_illegal(SCSI_ASC_INVALID_FIELD_IN_CDB);
    RUN(0, SCSI_REPORT_LUNS, 0, 3, 0, 0, 0, 0, 0, 0, 64, 0, 0);
    expect_illegal(SCSI_ASC_INVALID_FIELD_IN_CDB);
    buffer(10, 3);
    RUN(0, SCSI_REPORT_LUNS, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0);
    expect_good(10);
}

static void report_luns_many(void **state)
{
    (void)state;
    static const struct scsi_lun *many[SCSI_MAX_LUNS];
    for (unsigned i = 0; i < SCSI_MAX_LUNS; i++)
        many[i] = &lun_plain;
    static const struct scsi_target big = {many, SCSI_MAX_LUNS};
    buffer(8 + 8 * SCSI_MAX_LUNS, 1000);
    r.cmd.target = &big;
    const uint8_t cdb[12] = {SCSI_REPORT_LUNS, 0, 0, 0, 0, 0, 0, 0, 0x10, 0x08};
    memcpy(r.cmd.cdb, cdb, sizeof(cdb));
    r.cmd.cdb_len = 12;
    r.cmd.lun = 255;
    r.cmd.done = done;
    r.cmd.ctx = &r;
    scsi_execute(&r.cmd);
    expect_good(8 + 8 * SCSI_MAX_LUNS);
    assert_int_equal(be_at(r.buf + 8 + 8 * 255, 8), 255ull << 48);
    assert_int_equal(r.buf[8 + 8 * 255], 0); /* peripheral addressing below 256 */
}

static void request_sense(void **state)
{
    (void)state;
    buffer(252, 252);
    RUN(0, SCSI_REQUEST_SENSE, 0, 0, 0, 252, 0);
    expect_good(18);
    assert_int_equal(r.buf[0], 0x70);
    assert_int_equal(r.buf[2], SCSI_SENSE_NO_SENSE);
    RUN(0, SCSI_REQUEST_SENSE, 1, 0, 0, 252, 0); /* descriptor format asked */
    expect_good(18);
    assert_int_equal(r.buf[0], 0x70);
    RUN(1, SCSI_REQUEST_SENSE, 0, 0, 0, 252, 0);
    expect_good(18);
    assert_int_equal(r.buf[2], SCSI_SENSE_ILLEGAL_REQUEST);
    assert_int_equal(r.buf[12], 0x25);
    RUN(0, SCSI_REQUEST_SENSE, 0, 0, 0, 0, 0);
    expect_good(0);
    RUN(0, SCSI_REQUEST_SENSE, 0, 0, 0, 1, 0);
    expect_good(1);
}

static void read_write_10_16(void **state)
{
    (void)state;
    buffer(8 * BS, 1000); /* odd pieces: blocks straddle segments */
    for (unsigned i = 0; i < r.len; i++)
        r.buf[i] = (uint8_t)(i ^ 0x5A);
    RUN(0, SCSI_WRITE_10, 0, 0, 0, 0, 100, 0, 0, 8, 0);
    expect_good(8 * BS);
    assert_int_equal(disk.writes, 1);
    assert_int_equal(disk.fua_writes, 0);
    assert_memory_equal(disk.data + 100 * BS, r.buf, 8 * BS);
    uint8_t copy[8 * BS];
    memcpy(copy, r.buf, sizeof(copy));

    memset(r.buf, 0, r.len);
    RUN(0, SCSI_READ_16, 0, 0, 0, 0, 0, 0, 0, 0, 100, 0, 0, 0, 8, 0, 0);
    expect_good(8 * BS);
    assert_memory_equal(r.buf, copy, sizeof(copy));
    assert_int_equal(disk.reads, 1);

    /* FUA reaches the backend on writes; on reads it changes nothing. */
    RUN(0, SCSI_WRITE_16, SCSI_RW_FUA, 0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0, 1, 0, 0);
    expect_good(BS);
    assert_int_equal(disk.fua_writes, 1);
    RUN(0, SCSI_READ_10, SCSI_RW_FUA, 0, 0, 0, 7, 0, 0, 1, 0);
    expect_good(BS);

    /* A buffer larger than the transfer: only the transfer moves. */
    RUN(0, SCSI_READ_10, 0, 0, 0, 0, 0, 0, 0, 2, 0);
    expect_good(2 * BS);
    assert_int_equal(disk.last_blocks, 2);

    /* The last block, length 0 (nothing reaches the backend). */
    RUN(0, SCSI_READ_10, 0, 0, 0, (BLOCKS - 1) >> 8, (BLOCKS - 1) & 0xFF, 0, 0, 1, 0);
    expect_good(BS);
    unsigned reads = disk.reads;
    RUN(0, SCSI_READ_10, 0, 0, 0, 0, 5, 0, 0, 0, 0);
    expect_good(0);
    RUN(0, SCSI_WRITE_16, 0, 0, 0, 0, 0, 0, 0, BLOCKS >> 8, 0, 0, 0, 0, 0, 0, 0);
    expect_good(0);
    assert_int_equal(disk.reads, reads);
}

static void read_write_6(void **state)
{
    (void)state;
    buffer(256 * BS, 4096);
    RUN(0, SCSI_READ_6, 0, 0, 10, 0, 0); /* length 0 is 256 blocks */
    expect_good(256 * BS);
    assert_int_equal(disk.last_lba, 10);
    assert_int_equal(disk.last_blocks, 256);
    assert_memory_equal(r.buf, disk.data + 10 * BS, 256 * BS);
    RUN(0, SCSI_WRITE_6, 0, 0x01, 0x02, 3, 0);
    expect_good(3 * BS);
    assert_int_equal(disk.last_lba, 0x102);
    /* The top 3 bits of byte 1 are not LBA bits. */
    RUN(0, SCSI_READ_6, 0xE0, 0, 1, 1, 0);
    expect_good(BS);
    assert_int_equal(disk.last_lba, 1);
    /* 21-bit LBA beyond a small disk. */
    RUN(0, SCSI_READ_6, 0x1F, 0xFF, 0xFF, 1, 0);
    expect_illegal(SCSI_ASC_LBA_OUT_OF_RANGE);
    /* READ(6) length 0 = 256 blocks: too much for a smaller buffer. */
    buffer(255 * BS, 4096);
    RUN(0, SCSI_READ_6, 0, 0, 0, 0, 0);
    expect_illegal(SCSI_ASC_INVALID_FIELD_IN_CDB);
}

static void read_write_hostile(void **state)
{
    (void)state;
    buffer(4 * BS, 4 * BS);
    /* Beyond the end, straddling it, LBA + length overflowing 64 bits. */
    RUN(0, SCSI_READ_10, 0, 0, 0, BLOCKS >> 8, 0, 0, 0, 1, 0);
    expect_illegal(SCSI_ASC_LBA_OUT_OF_RANGE);
    RUN(0, SCSI_WRITE_10, 0, 0, 0, (BLOCKS - 1) >> 8, (BLOCKS - 1) & 0xFF, 0, 0, 2, 0);
    expect_illegal(SCSI_ASC_LBA_OUT_OF_RANGE);
    RUN(0, SCSI_READ_16, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 2, 0, 0);
    expect_illegal(SCSI_ASC_LBA_OUT_OF_RANGE);
    RUN(3, SCSI_READ_16, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 2, 0, 0);
    expect_illegal(SCSI_ASC_LBA_OUT_OF_RANGE);
    RUN(0, SCSI_READ_16, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0);
    expect_illegal(SCSI_ASC_LBA_OUT_OF_RANGE);
    /* Length 0 at the capacity is allowed, past it is not. */
    RUN(0, SCSI_READ_10, 0, 0, 0, BLOCKS >> 8, 1, 0, 0, 0, 0);
    expect_illegal(SCSI_ASC_LBA_OUT_OF_RANGE);
    /* More than the buffer, more than the advertised maximum, protection. */
    RUN(0, SCSI_READ_10, 0, 0, 0, 0, 0, 0, 0, 5, 0);
    expect_illegal(SCSI_ASC_INVALID_FIELD_IN_CDB);
    RUN(3, SCSI_READ_16, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02, 0x01, 0, 0);
    expect_illegal(SCSI_ASC_INVALID_FIELD_IN_CDB);
    RUN(0, SCSI_READ_10, 0x20, 0, 0, 0, 0, 0, 0, 1, 0);
    expect_illegal(SCSI_ASC_INVALID_FIELD_IN_CDB);
    RUN(0, SCSI_WRITE_16, 0xE0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0);
    expect_illegal(SCSI_ASC_INVALID_FIELD_IN_CDB);
    RUN(1, SCSI_READ_10, 0, 0, 0, 0, 0, 0, 0, 1, 0);
    expect_illegal(SCSI_ASC_LUN_NOT_SUPPORTED);
    /* No buffer at all. */
    buffer(0, 1);
    RUN(0, SCSI_WRITE_10, 0, 0, 0, 0, 0, 0, 0, 1, 0);
    expect_illegal(SCSI_ASC_INVALID_FIELD_IN_CDB);
    assert_int_equal(disk.reads + disk.writes, 0);
}

static void backend_errors(void **state)
{
    (void)state;
    buffer(2 * BS, 2 * BS);
    disk.fail = -5;
    RUN(0, SCSI_READ_10, 0, 0, 0, 0, 0, 0, 0, 2, 0);
    expect_sense(SCSI_SENSE_MEDIUM_ERROR, SCSI_ASC_UNRECOVERED_READ_ERROR);
    RUN(0, SCSI_WRITE_10, 0, 0, 0, 0, 0, 0, 0, 2, 0);
    expect_sense(SCSI_SENSE_MEDIUM_ERROR, SCSI_ASC_WRITE_ERROR);
    RUN(0, SCSI_SYNC_CACHE_10, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    expect_sense(SCSI_SENSE_MEDIUM_ERROR, SCSI_ASC_WRITE_ERROR);
    static const uint8_t list[24] = {0, 22, 0, 16, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 4};
    buffer(24, 24);
    memcpy(r.buf, list, sizeof(list));
    RUN(0, SCSI_UNMAP, 0, 0, 0, 0, 0, 0, 0, 24, 0);
    expect_sense(SCSI_SENSE_MEDIUM_ERROR, SCSI_ASC_WRITE_ERROR);
    assert_int_equal(disk.discards, 1);
}

static void synchronize_cache(void **state)
{
    (void)state;
    buffer(0, 1);
    RUN(0, SCSI_SYNC_CACHE_10, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    expect_good(0);
    RUN(0, SCSI_SYNC_CACHE_16, SCSI_SYNC_IMMED, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 8, 0, 0);
    expect_good(0);
    assert_int_equal(disk.flushes, 2);
    /* No volatile cache: nothing to flush, still GOOD. */
    RUN(2, SCSI_SYNC_CACHE_10, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    expect_good(0);
    assert_int_equal(disk.flushes, 2);
    /* Range beyond the capacity. */
    RUN(0, SCSI_SYNC_CACHE_10, 0, 0, 0, BLOCKS >> 8, 1, 0, 0, 0, 0);
    expect_illegal(SCSI_ASC_LBA_OUT_OF_RANGE);
    RUN(0, SCSI_SYNC_CACHE_16, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 1, 0, 0);
    expect_illegal(SCSI_ASC_LBA_OUT_OF_RANGE);
    assert_int_equal(disk.flushes, 2);
}

/* Data safety: no completion before the backend's, and exactly one. */
static void asynchronous_completion(void **state)
{
    (void)state;
    buffer(BS, BS);
    memset(r.buf, 0xAB, BS);
    disk.hold = true;
    RUN(0, SCSI_WRITE_10, SCSI_RW_FUA, 0, 0, 0, 9, 0, 0, 1, 0);
    assert_int_equal(r.dones, 0);
    assert_non_null(disk.held);
    assert_int_equal(disk.held->op, BLK_WRITE);
    assert_true(disk.held->fua);
    disk.hold = false;
    finish(disk.held);
    expect_good(BS);
    assert_int_equal(disk.data[9 * BS], 0xAB);

    disk.hold = true;
    RUN(0, SCSI_SYNC_CACHE_10, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    assert_int_equal(r.dones, 0);
    disk.hold = false;
    disk.fail = 1;
    finish(disk.held);
    expect_sense(SCSI_SENSE_MEDIUM_ERROR, SCSI_ASC_WRITE_ERROR);
}

static void put_desc(uint8_t *p, uint64_t lba, uint32_t blocks)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(lba >> (56 - 8 * i));
    for (int i = 0; i < 4; i++)
        p[8 + i] = (uint8_t)(blocks >> (24 - 8 * i));
}

static void unmap(void **state)
{
    (void)state;
    /* Linux's form: one descriptor, 24 bytes. */
    buffer(24, 24);
    r.buf[1] = 22;
    r.buf[3] = 16;
    put_desc(r.buf + 8, 20, 4);
    RUN(0, SCSI_UNMAP, 0, 0, 0, 0, 0, 0, 0, 24, 0);
    expect_good(24);
    assert_int_equal(disk.discards, 1);
    assert_int_equal(disk.last_lba, 20);
    assert_int_equal(disk.last_blocks, 4);
    assert_int_equal(disk.data[20 * BS], 0);

    /* Several, one of length 0 skipped, done one after another (held). */
    buffer(8 + 3 * 16, 20);
    uint8_t list[8 + 3 * 16] = {0, 54, 0, 48};
    put_desc(list + 8, 1, 1);
    put_desc(list + 24, 2, 0);
    put_desc(list + 40, BLOCKS - 2, 2);
    memcpy(r.buf, list, sizeof(list));
    disk.hold = true;
    RUN(0, SCSI_UNMAP, 0, 0, 0, 0, 0, 0, 0, sizeof(list), 0);
    assert_int_equal(r.dones, 0);
    assert_int_equal(disk.held->lba, 1);
    struct blk_io *first = disk.held;
    disk.held = NULL;
    blk_io_done(first, 0);
    assert_int_equal(r.dones, 0);
    assert_int_equal(disk.held->lba, BLOCKS - 2);
    disk.hold = false;
    finish(disk.held);
    expect_good(sizeof(list));
    assert_int_equal(disk.discards, 3);

    /* Parameter list length 0: nothing. */
    RUN(0, SCSI_UNMAP, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    expect_good(0);
    assert_int_equal(disk.discards, 3);
}

static void unmap_hostile(void **state)
{
    (void)state;
    buffer(8 + 17 * 16, 64);
    uint8_t *p = r.buf;
    p[3] = 16;
    put_desc(p + 8, 0, 1);
    /* Parameter list shorter than a header; buffer shorter than a header. */
    RUN(0, SCSI_UNMAP, 0, 0, 0, 0, 0, 0, 0, 7, 0);
    expect_illegal(SCSI_ASC_PARAMETER_LIST_LENGTH);
    /* Descriptors claimed beyond the parameter list. */
    p[3] = 32;
    RUN(0, SCSI_UNMAP, 0, 0, 0, 0, 0, 0, 0, 24, 0);
    expect_illegal(SCSI_ASC_PARAMETER_LIST_LENGTH);
    /* Too many descriptors. */
    p[2] = (17 * 16) >> 8;
    p[3] = (17 * 16) & 0xFF;
    RUN(0, SCSI_UNMAP, 0, 0, 0, 0, 0, 0, 1, 32, 0);
    expect_illegal(SCSI_ASC_INVALID_FIELD_IN_PARAM);
    /* A range out of bounds after a good one: nothing is discarded. */
    p[2] = 0;
    p[3] = 32;
    put_desc(p + 24, 0xFFFFFFFFFFFFFFFFull, 2);
    RUN(0, SCSI_UNMAP, 0, 0, 0, 0, 0, 0, 0, 40, 0);
    expect_illegal(SCSI_ASC_LBA_OUT_OF_RANGE);
    assert_int_equal(disk.discards, 0);
    /* ANCHOR. */
    RUN(0, SCSI_UNMAP, 1, 0, 0, 0, 0, 0, 0, 24, 0);
    expect_illegal(SCSI_ASC_INVALID_FIELD_IN_CDB);
    buffer(4, 4);
    RUN(0, SCSI_UNMAP, 0, 0, 0, 0, 0, 0, 0, 24, 0);
    expect_illegal(SCSI_ASC_PARAMETER_LIST_LENGTH);
    RUN(1, SCSI_UNMAP, 0, 0, 0, 0, 0, 0, 0, 24, 0);
    expect_illegal(SCSI_ASC_LUN_NOT_SUPPORTED);
    assert_int_equal(disk.discards, 0);
}

static void segments(void **state)
{
    (void)state;
    uint8_t a[3], b[5], flat[8] = {1, 2, 3, 4, 5, 6, 7, 8}, back[8] = {0};
    struct scsi_seg s[2] = {{a, 3}, {b, 5}};
    assert_int_equal(scsi_seg_write(s, 2, 2, flat, 8), 6);
    assert_int_equal(a[2], 1);
    assert_int_equal(b[4], 6);
    assert_int_equal(scsi_seg_read(s, 2, 2, back, 8), 6);
    assert_memory_equal(back, flat, 6);
    assert_int_equal(scsi_seg_write(s, 2, 8, flat, 1), 0);
    assert_int_equal(scsi_seg_read(s, 0, 0, back, 1), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(bad_opcodes, setup, teardown),
        cmocka_unit_test_setup_teardown(short_cdbs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unit_ready, setup, teardown),
        cmocka_unit_test_setup_teardown(inquiry_standard, setup, teardown),
        cmocka_unit_test_setup_teardown(inquiry_vpd_pages, setup, teardown),
        cmocka_unit_test_setup_teardown(read_capacity, setup, teardown),
        cmocka_unit_test_setup_teardown(mode_sense, setup, teardown),
        cmocka_unit_test_setup_teardown(report_luns, setup, teardown),
        cmocka_unit_test_setup_teardown(report_luns_many, setup, teardown),
        cmocka_unit_test_setup_teardown(request_sense, setup, teardown),
        cmocka_unit_test_setup_teardown(read_write_10_16, setup, teardown),
        cmocka_unit_test_setup_teardown(read_write_6, setup, teardown),
        cmocka_unit_test_setup_teardown(read_write_hostile, setup, teardown),
        cmocka_unit_test_setup_teardown(backend_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(synchronize_cache, setup, teardown),
        cmocka_unit_test_setup_teardown(asynchronous_completion, setup, teardown),
        cmocka_unit_test_setup_teardown(unmap, setup, teardown),
        cmocka_unit_test_setup_teardown(unmap_hostile, setup, teardown),
        cmocka_unit_test_setup_teardown(segments, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
