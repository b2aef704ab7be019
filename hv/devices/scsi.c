/* The SCSI target (scsi.h): the commands Linux's sd and scsi scan send to a
 * disk, each checked field by field; everything else is CHECK CONDITION /
 * ILLEGAL REQUEST with fixed-format sense. Data-in answers are built in a
 * small local buffer and cut to the allocation length and the initiator's
 * buffer; READ / WRITE data goes straight between backend and segments. */
#include "devices/scsi.h"

#include <stddef.h>

#include "devices/scsi_wire.h"
#include "lib/mem.h"

static const char vendor[8] = {'v', 'm', 'b', 'h', 'v', ' ', ' ', ' '};
static const char product[16] = {'v', 'i', 'r', 't', 'u', 'a', 'l', ' ',
                                 'd', 'i', 's', 'k', ' ', ' ', ' ', ' '};
static const char revision[4] = {'1', '.', '0', ' '};

/* --- big-endian fields ------------------------------------------------------------- */
static uint64_t be(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

static void put_be(uint8_t *p, unsigned n, uint64_t v)
{
    for (unsigned i = n; i-- > 0; v >>= 8)
        p[i] = (uint8_t)v;
}

/* --- segments ------------------------------------------------------------------------ */
static uint32_t seg_copy(const struct scsi_seg *seg, unsigned nseg, uint32_t off, uint8_t *flat,
                         uint32_t len, bool to_seg)
{
    uint32_t done = 0;
    for (unsigned i = 0; i < nseg && done < len; i++) {
        if (off >= seg[i].len) {
            off -= seg[i].len;
            continue;
        }
        uint32_t n = seg[i].len - off;
        if (n > len - done)
            n = len - done;
        if (to_seg)
            memcpy(seg[i].p + off, flat + done, n);
        else
            memcpy(flat + done, seg[i].p + off, n);
        done += n;
        off = 0;
    }
    return done;
}

uint32_t scsi_seg_write(const struct scsi_seg *seg, unsigned nseg, uint32_t off, const void *src,
                        uint32_t len)
{
    return seg_copy(seg, nseg, off, (uint8_t *)src, len, true);
}

uint32_t scsi_seg_read(const struct scsi_seg *seg, unsigned nseg, uint32_t off, void *dst,
                       uint32_t len)
{
    return seg_copy(seg, nseg, off, dst, len, false);
}

/* --- endings ------------------------------------------------------------------------- */
static void fill_sense(uint8_t *out, uint8_t key, uint16_t asc)
{
    struct scsi_sense_fixed s = {0};
    s.response_code = SCSI_SENSE_FIXED_CURRENT;
    s.key = key;
    s.additional_length = sizeof(s) - offsetof(struct scsi_sense_fixed, command_specific);
    s.asc = (uint8_t)(asc >> 8);
    s.ascq = (uint8_t)asc;
    memcpy(out, &s, sizeof(s));
}

static void check(struct scsi_cmd *c, uint8_t key, uint16_t asc)
{
    fill_sense(c->sense, key, asc);
    c->sense_len = SCSI_SENSE_LEN;
    c->status = SCSI_STATUS_CHECK_CONDITION;
    c->transferred = 0;
    c->done(c);
}

/* The command handlers below return the ASC of the ILLEGAL REQUEST to end
 * the command with, or 0 once they ended it or passed it to the backend. */
static uint16_t good(struct scsi_cmd *c)
{
    c->done(c);
    return 0;
}

/* Data in: no more than the answer, the allocation length and the buffer. */
static uint16_t reply(struct scsi_cmd *c, const void *data, uint32_t len, uint32_t alloc)
{
    if (len > alloc)
        len = alloc;
    c->transferred = scsi_seg_write(c->seg, c->nseg, 0, data, len);
    return good(c);
}

/* --- the answers the target builds itself ---------------------------------------------- */
static uint32_t serial_len(const char *s)
{
    uint32_t n = 0;
    while (s[n] && n < 20)
        n++;
    return n;
}

static uint16_t inquiry_std(struct scsi_cmd *c, uint32_t alloc)
{
    struct scsi_inquiry_std d = {0};
    d.peripheral = c->unit ? SCSI_TYPE_DISK : SCSI_PQ_NOT_PRESENT;
    d.version = SCSI_INQ_VERSION_SPC4;
    d.format = SCSI_INQ_HISUP | SCSI_INQ_RDF_SPC;
    d.additional_length = sizeof(d) - 5;
    d.flags7 = SCSI_INQ_CMDQUE;
    memcpy(d.vendor, vendor, sizeof(vendor));
    memcpy(d.product, product, sizeof(product));
    memcpy(d.revision, revision, sizeof(revision));
    return reply(c, &d, sizeof(d), alloc);
}

static uint16_t inquiry_vpd(struct scsi_cmd *c, uint8_t page, uint32_t alloc)
{
    const struct scsi_backend *b = c->unit->backend;
    const char *serial = c->unit->serial ? c->unit->serial : "0";
    uint8_t buf[64] = {0};
    uint32_t len;
    buf[1] = page;
    switch (page) {
    case SCSI_VPD_SUPPORTED: {
        static const uint8_t pages[] = {SCSI_VPD_SUPPORTED,   SCSI_VPD_SERIAL,
                                        SCSI_VPD_DEVICE_ID,   SCSI_VPD_BLOCK_LIMITS,
                                        SCSI_VPD_BLOCK_CHARS, SCSI_VPD_PROVISIONING};
        uint32_t n = sizeof(pages) - (b->discard ? 0 : 1);
        memcpy(buf + 4, pages, n);
        len = 4 + n;
        break;
    }
    case SCSI_VPD_SERIAL:
        len = 4 + serial_len(serial);
        memcpy(buf + 4, serial, len - 4);
        break;
    case SCSI_VPD_DEVICE_ID: {
        /* One designator: T10 vendor id + serial, for the logical unit. */
        struct scsi_designator_hdr h = {SCSI_DESIG_CODESET_ASCII, SCSI_DESIG_TYPE_T10, 0,
                                        (uint8_t)(sizeof(vendor) + serial_len(serial))};
        memcpy(buf + 4, &h, sizeof(h));
        memcpy(buf + 8, vendor, sizeof(vendor));
        memcpy(buf + 16, serial, serial_len(serial));
        len = 8 + h.length;
        break;
    }
    case SCSI_VPD_BLOCK_LIMITS: {
        struct scsi_vpd_block_limits *l = (void *)buf;
        put_be(l->max_transfer, 4, SCSI_MAX_TRANSFER_BYTES / b->block_size);
        if (b->discard) {
            put_be(l->max_unmap_lba_count, 4, 0xFFFFFFFFu); /* no limit */
            put_be(l->max_unmap_descriptors, 4, SCSI_UNMAP_MAX_DESC);
        }
        len = sizeof(*l);
        break;
    }
    case SCSI_VPD_BLOCK_CHARS: {
        struct scsi_vpd_block_chars *ch = (void *)buf;
        put_be(ch->rotation_rate, 2, SCSI_ROTATION_NONE);
        len = sizeof(*ch);
        break;
    }
    case SCSI_VPD_PROVISIONING: {
        if (!b->discard)
            return SCSI_ASC_INVALID_FIELD_IN_CDB;
        struct scsi_vpd_provisioning *p = (void *)buf;
        p->flags = SCSI_LBP_LBPU;
        p->provisioning_type = SCSI_LBP_PROV_THIN;
        len = sizeof(*p);
        break;
    }
    default:
        return SCSI_ASC_INVALID_FIELD_IN_CDB;
    }
    put_be(buf + 2, 2, len - 4);
    return reply(c, buf, len, alloc);
}

static uint16_t inquiry(struct scsi_cmd *c)
{
    const struct scsi_cdb_inquiry *q = (const void *)c->cdb;
    uint32_t alloc = (uint32_t)be(q->allocation_length, 2);
    if (q->flags & ~SCSI_INQUIRY_EVPD)
        return SCSI_ASC_INVALID_FIELD_IN_CDB;
    if (!(q->flags & SCSI_INQUIRY_EVPD)) {
        if (q->page_code)
            return SCSI_ASC_INVALID_FIELD_IN_CDB;
        return inquiry_std(c, alloc); /* for a missing LUN too: qualifier 3 */
    }
    if (!c->unit)
        return SCSI_ASC_INVALID_FIELD_IN_CDB;
    return inquiry_vpd(c, q->page_code, alloc);
}

static uint16_t request_sense(struct scsi_cmd *c)
{
    /* Sense goes back with each failed command (autosense), so nothing is
     * pending: NO SENSE, or why this LUN cannot answer (SPC-4 5.10). */
    uint8_t s[SCSI_SENSE_LEN];
    if (c->unit)
        fill_sense(s, SCSI_SENSE_NO_SENSE, SCSI_ASC_NONE);
    else
        fill_sense(s, SCSI_SENSE_ILLEGAL_REQUEST, SCSI_ASC_LUN_NOT_SUPPORTED);
    return reply(c, s, sizeof(s), c->cdb[4]);
}

static uint16_t report_luns(struct scsi_cmd *c)
{
    const struct scsi_cdb_report_luns *q = (const void *)c->cdb;
    uint32_t alloc = (uint32_t)be(q->allocation_length, 4);
    if (q->select_report > 2 || alloc < 16)
        return SCSI_ASC_INVALID_FIELD_IN_CDB;
    const struct scsi_target *t = c->target;
    unsigned n = 0;
    for (unsigned i = 0; i < t->nluns && i < SCSI_MAX_LUNS; i++)
        n += t->luns[i] != NULL;
    /* Streamed: the list can be 2 KiB. */
    uint32_t limit = alloc < c->buf_len ? alloc : c->buf_len, off;
    struct scsi_lun_list_hdr h = {0};
    put_be(h.length, 4, 8ull * n);
    off = scsi_seg_write(c->seg, c->nseg, 0, &h, limit < sizeof(h) ? limit : sizeof(h));
    for (unsigned i = 0; i < t->nluns && i < SCSI_MAX_LUNS && off < limit; i++) {
        if (!t->luns[i])
            continue;
        uint8_t e[8] = {0};
        e[1] = (uint8_t)i; /* peripheral addressing: LUNs below 256 */
        off += scsi_seg_write(c->seg, c->nseg, off, e, limit - off < 8 ? limit - off : 8);
    }
    c->transferred = off;
    return good(c);
}

static uint16_t read_capacity10(struct scsi_cmd *c)
{
    const struct scsi_cdb_read_capacity10 *q = (const void *)c->cdb;
    const struct scsi_backend *b = c->unit->backend;
    if (!(q->pmi & 1) && be(q->lba, 4))
        return SCSI_ASC_INVALID_FIELD_IN_CDB;
    uint64_t last = b->blocks ? b->blocks - 1 : 0;
    struct scsi_read_capacity10_data d;
    put_be(d.last_lba, 4, last > 0xFFFFFFFFu ? 0xFFFFFFFFu : last);
    put_be(d.block_length, 4, b->block_size);
    return reply(c, &d, sizeof(d), sizeof(d));
}

static uint16_t read_capacity16(struct scsi_cmd *c)
{
    const struct scsi_cdb_read_capacity16 *q = (const void *)c->cdb;
    const struct scsi_backend *b = c->unit->backend;
    if ((q->service_action & 0x1F) != SCSI_SAI_READ_CAPACITY_16)
        return SCSI_ASC_INVALID_OPCODE;
    if (!(q->pmi & 1) && be(q->lba, 8))
        return SCSI_ASC_INVALID_FIELD_IN_CDB;
    struct scsi_read_capacity16_data d = {0};
    put_be(d.last_lba, 8, b->blocks ? b->blocks - 1 : 0);
    put_be(d.block_length, 4, b->block_size);
    if (b->discard)
        d.lbp_aligned[0] = SCSI_RC16_LBPME; /* Linux reads VPD 0xB2 only then */
    return reply(c, &d, sizeof(d), (uint32_t)be(q->allocation_length, 4));
}

static uint32_t mode_pages(const struct scsi_backend *b, uint8_t page, uint8_t pc, uint8_t *out)
{
    uint32_t len = 0;
    if (page == SCSI_MODE_PAGE_CACHING || page == SCSI_MODE_PAGE_ALL) {
        struct scsi_mode_caching m = {SCSI_MODE_PAGE_CACHING, sizeof(m) - 2, 0, {0}};
        /* Write-back only if a flush reaches the backend: then Linux sends
         * SYNCHRONIZE CACHE and FUA. Nothing is changeable. */
        if (pc != SCSI_MS_PC_CHANGEABLE && b->flush)
            m.flags = SCSI_CACHING_WCE;
        memcpy(out + len, &m, sizeof(m));
        len += sizeof(m);
    }
    if (page == SCSI_MODE_PAGE_CONTROL || page == SCSI_MODE_PAGE_ALL) {
        struct scsi_mode_control m = {SCSI_MODE_PAGE_CONTROL, sizeof(m) - 2, 0, 0, {0}};
        if (pc != SCSI_MS_PC_CHANGEABLE)
            m.flags3 = SCSI_CONTROL_QAM_UNRESTRICTED;
        memcpy(out + len, &m, sizeof(m));
        len += sizeof(m);
    }
    return len;
}

static uint16_t mode_sense(struct scsi_cmd *c, bool ten)
{
    const struct scsi_backend *b = c->unit->backend;
    uint8_t pc = c->cdb[2] >> SCSI_MS_PC_SHIFT, page = c->cdb[2] & SCSI_MS_PAGE_MASK;
    uint8_t subpage = c->cdb[3];
    uint32_t alloc = ten ? (uint32_t)be(c->cdb + 7, 2) : c->cdb[4];
    if (pc == SCSI_MS_PC_SAVED)
        return SCSI_ASC_SAVING_PARAMS_UNSUPPORTED;
    if (subpage && !(page == SCSI_MODE_PAGE_ALL && subpage == 0xFF))
        return SCSI_ASC_INVALID_FIELD_IN_CDB;
    if (page != SCSI_MODE_PAGE_CACHING && page != SCSI_MODE_PAGE_CONTROL &&
        page != SCSI_MODE_PAGE_ALL)
        return SCSI_ASC_INVALID_FIELD_IN_CDB;

    uint8_t buf[sizeof(struct scsi_mode_hdr10) + sizeof(struct scsi_mode_block_desc) +
                sizeof(struct scsi_mode_caching) + sizeof(struct scsi_mode_control)] = {0};
    uint32_t hlen = ten ? sizeof(struct scsi_mode_hdr10) : sizeof(struct scsi_mode_hdr6);
    uint32_t bdlen = c->cdb[1] & SCSI_MS_DBD ? 0 : sizeof(struct scsi_mode_block_desc);
    uint8_t dev = b->flush ? SCSI_MS_DEV_DPOFUA : 0;
    if (bdlen) {
        struct scsi_mode_block_desc *d = (void *)(buf + hlen);
        put_be(d->blocks, 4, b->blocks > 0xFFFFFFFFu ? 0xFFFFFFFFu : b->blocks);
        put_be(d->block_length, 3, b->block_size);
    }
    uint32_t len = hlen + bdlen + mode_pages(b, page, pc, buf + hlen + bdlen);
    if (ten) {
        struct scsi_mode_hdr10 *h = (void *)buf;
        put_be(h->data_length, 2, len - 2);
        h->device_specific = dev;
        put_be(h->bd_length, 2, bdlen);
    } else {
        struct scsi_mode_hdr6 *h = (void *)buf;
        h->data_length = (uint8_t)(len - 1);
        h->device_specific = dev;
        h->bd_length = (uint8_t)bdlen;
    }
    return reply(c, buf, len, alloc);
}

/* --- the commands that reach the backend ---------------------------------------------- */
static bool out_of_range(const struct scsi_backend *b, uint64_t lba, uint64_t blocks)
{
    return blocks > b->blocks || lba > b->blocks - blocks;
}

static uint16_t read_write(struct scsi_cmd *c, bool write)
{
    const struct scsi_backend *b = c->unit->backend;
    const uint8_t *q = c->cdb;
    uint64_t lba;
    uint32_t blocks;
    uint8_t flags = 0;
    switch (q[0]) {
    case SCSI_READ_6:
    case SCSI_WRITE_6:
        lba = be(q + 1, 3) & 0x1FFFFF;
        blocks = q[4] ? q[4] : 256; /* 0 means 256 here, and only here */
        break;
    case SCSI_READ_10:
    case SCSI_WRITE_10:
        flags = q[1];
        lba = be(q + 2, 4);
        blocks = (uint32_t)be(q + 7, 2);
        break;
    default:
        flags = q[1];
        lba = be(q + 2, 8);
        blocks = (uint32_t)be(q + 10, 4);
        break;
    }
    if (flags & SCSI_RW_PROTECT)
        return SCSI_ASC_INVALID_FIELD_IN_CDB;
    if (out_of_range(b, lba, blocks))
        return SCSI_ASC_LBA_OUT_OF_RANGE;
    uint64_t bytes = (uint64_t)blocks * b->block_size;
    /* More than we advertise, or more than the initiator gave room for. */
    if (bytes > SCSI_MAX_TRANSFER_BYTES || bytes > c->buf_len)
        return SCSI_ASC_INVALID_FIELD_IN_CDB;
    if (!blocks)
        return good(c);
    c->io = (struct blk_io){write ? BLK_WRITE : BLK_READ,   lba,    blocks,
                            write && (flags & SCSI_RW_FUA), c->seg, c->nseg};
    if (write)
        b->write(b->ctx, &c->io);
    else
        b->read(b->ctx, &c->io);
    return 0;
}

static uint16_t sync_cache(struct scsi_cmd *c, bool sixteen)
{
    const struct scsi_backend *b = c->unit->backend;
    uint64_t lba = sixteen ? be(c->cdb + 2, 8) : be(c->cdb + 2, 4);
    uint64_t blocks = sixteen ? be(c->cdb + 10, 4) : be(c->cdb + 7, 2);
    if (out_of_range(b, lba, blocks)) /* 0 blocks: to the end */
        return SCSI_ASC_LBA_OUT_OF_RANGE;
    if (!b->flush)
        return good(c); /* write-through: nothing volatile */
    /* The whole cache, and IMMED is ignored: answering after the flush is
     * always allowed. */
    c->io = (struct blk_io){BLK_FLUSH, 0, 0, false, NULL, 0};
    b->flush(b->ctx, &c->io);
    return 0;
}

/* An UNMAP's ranges go to the backend one at a time, each from the last
 * one's completion. */
static void unmap_next(struct scsi_cmd *c)
{
    const struct scsi_backend *b = c->unit->backend;
    const struct scsi_unmap_desc *d =
        (const struct scsi_unmap_desc *)(c->param + sizeof(struct scsi_unmap_hdr));
    while (c->unmap_next < c->unmap_count) {
        const struct scsi_unmap_desc *e = &d[c->unmap_next++];
        uint32_t blocks = (uint32_t)be(e->blocks, 4);
        if (blocks) {
            c->io = (struct blk_io){BLK_DISCARD, be(e->lba, 8), blocks, false, NULL, 0};
            b->discard(b->ctx, &c->io);
            return;
        }
    }
    good(c);
}

static uint16_t unmap(struct scsi_cmd *c)
{
    const struct scsi_backend *b = c->unit->backend;
    const struct scsi_cdb_unmap *q = (const void *)c->cdb;
    uint32_t plen = (uint32_t)be(q->parameter_list_length, 2);
    if (!b->discard)
        return SCSI_ASC_INVALID_OPCODE;
    if (q->anchor & SCSI_UNMAP_ANCHOR)
        return SCSI_ASC_INVALID_FIELD_IN_CDB;
    if (!plen)
        return good(c);
    uint32_t got = scsi_seg_read(c->seg, c->nseg, 0, c->param,
                                 plen < sizeof(c->param) ? plen : sizeof(c->param));
    if (plen < sizeof(struct scsi_unmap_hdr) || got < sizeof(struct scsi_unmap_hdr))
        return SCSI_ASC_PARAMETER_LIST_LENGTH;
    const struct scsi_unmap_hdr *h = (const void *)c->param;
    uint32_t count = (uint32_t)be(h->bd_length, 2) / sizeof(struct scsi_unmap_desc);
    if (count > SCSI_UNMAP_MAX_DESC)
        return SCSI_ASC_INVALID_FIELD_IN_PARAM;
    if (sizeof(*h) + count * sizeof(struct scsi_unmap_desc) > got)
        return SCSI_ASC_PARAMETER_LIST_LENGTH;
    /* All or nothing: every range is checked before the first discard. */
    const struct scsi_unmap_desc *d = (const void *)(h + 1);
    for (uint32_t i = 0; i < count; i++) {
        if (out_of_range(b, be(d[i].lba, 8), be(d[i].blocks, 4)))
            return SCSI_ASC_LBA_OUT_OF_RANGE;
    }
    c->transferred = got;
    c->unmap_next = 0;
    c->unmap_count = count;
    unmap_next(c);
    return 0;
}

void blk_io_done(struct blk_io *io, int err)
{
    struct scsi_cmd *c = (struct scsi_cmd *)((char *)io - offsetof(struct scsi_cmd, io));
    if (err)
        check(c, SCSI_SENSE_MEDIUM_ERROR,
              io->op == BLK_READ ? SCSI_ASC_UNRECOVERED_READ_ERROR : SCSI_ASC_WRITE_ERROR);
    else if (io->op == BLK_DISCARD)
        unmap_next(c);
    else {
        if (io->op != BLK_FLUSH)
            c->transferred = io->blocks * c->unit->backend->block_size;
        good(c);
    }
}

/* --- dispatch ------------------------------------------------------------------------- */
/* CDB length by operation-code group (SPC-4 4.2.5.1); 0: no command of ours. */
static uint8_t cdb_len(uint8_t op)
{
    static const uint8_t group[8] = {6, 10, 10, 0, 16, 12, 0, 0};
    return group[op >> 5];
}

static uint16_t dispatch(struct scsi_cmd *c)
{
    uint8_t op = c->cdb[0];
    if (!cdb_len(op))
        return SCSI_ASC_INVALID_OPCODE;
    if (c->cdb_len < cdb_len(op) || c->cdb_len > sizeof(c->cdb))
        return SCSI_ASC_INVALID_FIELD_IN_CDB;
    /* What any LUN answers, present or not (SPC-4). */
    switch (op) {
    case SCSI_INQUIRY:
        return inquiry(c);
    case SCSI_REQUEST_SENSE:
        return request_sense(c);
    case SCSI_REPORT_LUNS:
        return report_luns(c);
    }
    if (!c->unit)
        return SCSI_ASC_LUN_NOT_SUPPORTED;
    switch (op) {
    case SCSI_TEST_UNIT_READY:
        return good(c);
    case SCSI_READ_CAPACITY_10:
        return read_capacity10(c);
    case SCSI_SERVICE_ACTION_IN_16:
        return read_capacity16(c);
    case SCSI_MODE_SENSE_6:
        return mode_sense(c, false);
    case SCSI_MODE_SENSE_10:
        return mode_sense(c, true);
    case SCSI_READ_6:
    case SCSI_READ_10:
    case SCSI_READ_16:
        return read_write(c, false);
    case SCSI_WRITE_6:
    case SCSI_WRITE_10:
    case SCSI_WRITE_16:
        return read_write(c, true);
    case SCSI_SYNC_CACHE_10:
        return sync_cache(c, false);
    case SCSI_SYNC_CACHE_16:
        return sync_cache(c, true);
    case SCSI_UNMAP:
        return unmap(c);
    }
    return SCSI_ASC_INVALID_OPCODE;
}

void scsi_execute(struct scsi_cmd *c)
{
    const struct scsi_target *t = c->target;
    c->status = SCSI_STATUS_GOOD;
    c->sense_len = 0;
    c->transferred = 0;
    c->unit = c->lun < t->nluns && c->lun < SCSI_MAX_LUNS ? t->luns[c->lun] : NULL;
    c->no_lun = !c->unit;
    uint16_t asc = dispatch(c);
    if (asc)
        check(c, SCSI_SENSE_ILLEGAL_REQUEST, asc);
}
