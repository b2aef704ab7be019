/* A SCSI target (direct-access disks) over abstract block backends, for the
 * storvsc channel server and any later transport (docs/storage.md). A
 * transport fills a scsi_cmd (LUN, CDB, the initiator's buffer as host
 * segments) and calls scsi_execute; the command ends with cmd->done, exactly
 * once: at once for commands the target answers itself, when the backend
 * completes for I/O (which may be later: the backend keeps the blk_io and
 * calls blk_io_done). Data moves between backend and segments directly,
 * never through a bounce buffer. Hardware-free: no allocation, no locks
 * (one caller at a time per target). */
#ifndef HV_DEVICES_SCSI_H
#define HV_DEVICES_SCSI_H

#include <stdbool.h>
#include <stdint.h>

/* A piece of the initiator's buffer, mapped on the host. */
struct scsi_seg {
    uint8_t *p;
    uint32_t len;
};

enum blk_op { BLK_READ, BLK_WRITE, BLK_FLUSH, BLK_DISCARD };

/* One backend request. READ / WRITE move blocks * block_size bytes from the
 * start of seg[]; FLUSH has no range; DISCARD has no data. */
struct blk_io {
    enum blk_op op;
    uint64_t lba;
    uint32_t blocks;
    bool fua; /* WRITE: durable when completed (a flush of these blocks) */
    const struct scsi_seg *seg;
    unsigned nseg;
};

/* A block device. flush NULL: no volatile cache (writes are durable when
 * completed; the caching page says write-through). discard NULL: no UNMAP.
 * Each call completes its io with blk_io_done, now or later; err != 0 is a
 * failed request (data not moved / not durable). */
struct scsi_backend {
    uint64_t blocks;
    uint32_t block_size; /* a power of two, 512..4096 */
    void *ctx;
    void (*read)(void *ctx, struct blk_io *io);
    void (*write)(void *ctx, struct blk_io *io);
    void (*flush)(void *ctx, struct blk_io *io);
    void (*discard)(void *ctx, struct blk_io *io);
};

void blk_io_done(struct blk_io *io, int err);

/* One logical unit: a backend and the identity INQUIRY shows. */
struct scsi_lun {
    const struct scsi_backend *backend;
    const char *serial; /* up to 20 ASCII characters, VPD 0x80 and 0x83 */
};

/* luns[i] is LUN i (NULL: none). */
#define SCSI_MAX_LUNS 256u

struct scsi_target {
    const struct scsi_lun *const *luns;
    unsigned nluns;
};

/* Limits the target advertises (VPD 0xB0) and enforces. */
#define SCSI_MAX_TRANSFER_BYTES (1024u * 1024u)
#define SCSI_UNMAP_MAX_DESC     16u
#define SCSI_SENSE_LEN          18u

struct scsi_cmd {
    /* in */
    const struct scsi_target *target;
    uint32_t lun;
    uint8_t cdb[16];
    uint8_t cdb_len;
    const struct scsi_seg *seg; /* the initiator's buffer: buf_len bytes in nseg pieces */
    unsigned nseg;
    uint32_t buf_len;
    void (*done)(struct scsi_cmd *cmd);
    void *ctx; /* the transport's */

    /* out, valid in done */
    uint8_t status; /* SCSI_STATUS_* */
    uint8_t sense_len;
    uint8_t sense[SCSI_SENSE_LEN];
    uint32_t transferred; /* bytes moved to or from the buffer */
    bool no_lun;          /* the LUN does not exist (transports may say so their way) */

    /* the target's: the backend request in flight and an UNMAP's list */
    struct blk_io io;
    const struct scsi_lun *unit;
    unsigned unmap_next, unmap_count;
    uint8_t param[8 + 16 * SCSI_UNMAP_MAX_DESC];
};

/* Runs cmd; cmd->done is called exactly once (maybe before this returns). */
void scsi_execute(struct scsi_cmd *cmd);

/* Copies between a flat buffer and the segments from byte off; returns the
 * bytes copied (short if the segments end first). */
uint32_t scsi_seg_write(const struct scsi_seg *seg, unsigned nseg, uint32_t off, const void *src,
                        uint32_t len);
uint32_t scsi_seg_read(const struct scsi_seg *seg, unsigned nseg, uint32_t off, void *dst,
                       uint32_t len);

#endif
