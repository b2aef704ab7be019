/* The `disk` device kind: a SCSI disk for the guest's stock hv_storvsc
 * (docs/storage.md). The channel carries VSTOR (storvsc_proto.c), whose SCSI
 * target (scsi.c) reads and writes a block backend:
 *
 *   device = disk name=scratch backing=ram:64     64 MiB of the hypervisor's
 *                                                 heap, gone at power-off
 *   device = disk name=root backing=serial:vmbhv-root
 *                                                 the machine's virtio-blk disk
 *                                                 with that serial (make run
 *                                                 DISK=path.img attaches one)
 *
 * Data moves between the backend and the guest's pages directly: each
 * GPA-direct request's pages are checked against guest RAM page by page,
 * then handed to the target as host segments. */
#include "devices/device.h"
#include "devices/storvsc_proto.h"
#include "drivers/disks.h"
#include "guest_mem.h"
#include "lib/fmt.h"
#include "lib/heap.h"
#include "lib/log.h"
#include "lib/log_once.h"
#include "lib/mem.h"
#include "page.h"

#define DISK_MAX        4u
#define DISK_BLOCK      512u
#define DISK_RAM_MAX_MB 4096u

static const GUID scsi_class = VSTOR_SCSI_GUID;

#define DISK_SERIAL_MAX 20u /* virtio-blk's GET_ID */

struct disk_params {
    uint32_t ram_mb;                  /* backing=ram:<MiB> */
    char serial[DISK_SERIAL_MAX + 1]; /* backing=serial:<s> */
};

/* A backend request on its way to the virtio-blk disk in parts (a part is
 * what one virtio request carries: at most seg_max segments, whole sectors),
 * then, for FUA, a flush. */
struct disk;
struct vio_io {
    struct disk *k;
    struct blk_io *io; /* NULL: free */
    unsigned next_seg; /* the first segment not yet submitted */
    uint64_t next_sector;
    unsigned outstanding; /* parts submitted, not completed */
    bool flush_after, err;
};
#define VIO_IOS (STORVSC_SLOTS + 1)

struct disk {
    char name[HV_DEVNAME_MAX];
    const struct guest_mem *gm;
    uint8_t *ram;           /* the ram backing */
    struct virtio_blk *vio; /* or the serial backing */
    struct vio_io vios[VIO_IOS];
    unsigned queue[VIO_IOS], queued; /* vios waiting to submit, in order */
    struct scsi_backend backend;
    struct scsi_lun lun;
    const struct scsi_lun *luns[1];
    struct scsi_target target;
    struct storvsc_ops ops;
    struct storvsc vsc;
    VMBCHANNEL channel; /* the primary; its sub-channels share vsc and the backend */
    uint64_t reads, writes, errors;
    uint64_t sub_packets;      /* requests that came in on a sub-channel */
    struct log_budget refused; /* completions not sent: the first few logged */
    struct log_budget failed;  /* backing I/O errors: the first logged */
};

static struct disk disks[DISK_MAX];
static unsigned ndisks;

/* --- the ram backing: blocks in hypervisor memory, completed at once ----------------- */

static void ram_move(void *ctx, struct blk_io *io)
{
    struct disk *k = ctx;
    uint8_t *at = k->ram + io->lba * DISK_BLOCK;
    uint32_t len = io->blocks * DISK_BLOCK;
    uint32_t done = io->op == BLK_READ ? scsi_seg_write(io->seg, io->nseg, 0, at, len)
                                       : scsi_seg_read(io->seg, io->nseg, 0, at, len);
    io->op == BLK_READ ? k->reads++ : k->writes++;
    blk_io_done(io, done == len ? 0 : -1);
}

/* --- the serial backing: a virtio-blk disk, request by request --------------------- */

static void vio_pump(struct disk *k);

static void vio_finish(struct disk *k, struct vio_io *v)
{
    struct blk_io *io = v->io;
    v->io = NULL;
    k->reads += io->op == BLK_READ;
    k->writes += io->op == BLK_WRITE;
    if (v->err) {
        k->errors++;
        if (log_budget_take(&k->failed))
            hv_log("disk",
                   "%s: I/O error on the backing at sector %llu: the guest gets a SCSI "
                   "error (further ones counted in disk_errors=)",
                   k->name, (unsigned long long)io->lba);
    }
    blk_io_done(io, v->err ? -1 : 0);
}

static void vio_part_done(void *ctx, int result, uint32_t written)
{
    struct vio_io *v = ctx;
    struct disk *k = v->k;
    (void)written; /* a short read is an error the device reports in its status */
    v->err |= result != VBLK_OK;
    v->outstanding--;
    bool submitted = v->next_seg >= v->io->nseg;
    if (submitted && !v->outstanding && !v->flush_after)
        vio_finish(k, v);
    vio_pump(k);
}

/* The next part of v: 0 submitted (or v has no more), VBLK_BUSY to retry
 * later, another VBLK_* failed it. */
static int vio_submit_part(struct disk *k, struct vio_io *v)
{
    const struct blk_io *io = v->io;
    if (io->op == BLK_FLUSH || (v->next_seg >= io->nseg && v->flush_after)) {
        int r = disks_submit(k->vio, VIRTIO_BLK_T_FLUSH, 0, NULL, 0, vio_part_done, v);
        if (!r) {
            v->outstanding++;
            v->flush_after = false;
            v->next_seg = io->nseg;
        }
        return r;
    }
    struct virtio_blk_seg segs[VIRTIO_BLK_SEGS_MAX];
    unsigned n = 0;
    uint32_t bytes = 0;
    while (v->next_seg + n < io->nseg && n < k->vio->seg_max && n < VIRTIO_BLK_SEGS_MAX) {
        const struct scsi_seg *sg = &io->seg[v->next_seg + n];
        if (sg->len % DISK_BLOCK)
            return VBLK_INVAL; /* a piece that is not whole sectors: not for a disk */
        segs[n++] = (struct virtio_blk_seg){(uint64_t)(uintptr_t)sg->p, sg->len};
        bytes += sg->len;
    }
    int r = disks_submit(k->vio, io->op == BLK_READ ? VIRTIO_BLK_T_IN : VIRTIO_BLK_T_OUT,
                         v->next_sector, segs, n, vio_part_done, v);
    if (!r) {
        v->outstanding++;
        v->next_seg += n;
        v->next_sector += bytes / DISK_BLOCK;
    }
    return r;
}

/* Submits what waits, in order, until the disk is busy. */
static void vio_pump(struct disk *k)
{
    while (k->queued) {
        struct vio_io *v = &k->vios[k->queue[0]];
        int r = vio_submit_part(k, v);
        if (r == VBLK_BUSY)
            return; /* a completion comes back here */
        bool more = v->next_seg < v->io->nseg || v->flush_after;
        if (r) {
            v->err = true;
            more = false;
        }
        if (!more) {
            memmove(k->queue, k->queue + 1, --k->queued * sizeof(k->queue[0]));
            if (!v->outstanding)
                vio_finish(k, v);
        }
    }
}

static void vio_start(void *ctx, struct blk_io *io)
{
    struct disk *k = ctx;
    unsigned i = 0;
    while (i < VIO_IOS && k->vios[i].io)
        i++;
    if (i == VIO_IOS) { /* the target holds at most STORVSC_SLOTS: cannot happen */
        blk_io_done(io, -1);
        return;
    }
    k->vios[i] = (struct vio_io){.k = k,
                                 .io = io,
                                 .next_sector = io->lba * (k->backend.block_size / DISK_BLOCK),
                                 .flush_after = io->op == BLK_WRITE && io->fua};
    k->queue[k->queued++] = i;
    vio_pump(k);
}

/* --- the channel ---------------------------------------------------------------------- */

static void send(void *ctx, void *chan, const void *buf, uint32_t len, uint64_t trans_id)
{
    struct disk *k = ctx;
    NTSTATUS s = VmbChannelSendCompletion((VMBCHANNEL)chan, buf, len, trans_id);
    if (!NT_SUCCESS(s) && log_budget_take(&k->refused))
        hv_log("disk", "%s: completion 0x%llx not sent: status 0x%08x", k->name,
               (unsigned long long)trans_id, (UINT32)s);
}

static uint8_t *gpa_to_host(void *ctx, uint64_t pfn)
{
    struct disk *k = ctx;
    if (pfn >= (1ull << (64 - PAGE_SHIFT)))
        return NULL;
    return gmem_ptr(k->gm, pfn << PAGE_SHIFT, PAGE_SIZE);
}

/* The guest's CREATE_SUB_CHANNELS: requests may then come in on any of
 * them, each completed on the channel it came in on (the slot keeps it). */
static int create_subchannels(void *ctx, uint16_t count)
{
    struct disk *k = ctx;
    return NT_SUCCESS(VmbChannelCreateSubchannels(k->channel, count)) ? 0 : -1;
}

/* The primary's open starts a session (sub-channels have no state callbacks). */
static NTSTATUS opened(VMBCHANNEL ch)
{
    struct disk *k = VmbChannelGetPointer(ch);
    storvsc_init(&k->vsc, &k->ops, &k->target);
    return STATUS_SUCCESS;
}

/* Runs inside the exit of the guest's signal, once per packet: a VSTOR
 * request, in-band or (EXECUTE_SRB with data) GPA-direct. */
static void process(VMBCHANNEL ch, const VOID *buf, UINT32 len, UINT16 type, UINT64 trans_id)
{
    struct disk *k = VmbChannelGetPointer(ch);
    VMB_GPA_RANGE r;
    UINT32 n = 0;
    struct storvsc_gpa_range range = {0}; /* byte_count 0: refused as malformed */
    const struct storvsc_gpa_range *rp = NULL;
    if (type == VMB_PACKET_TYPE_DATA_GPA_DIRECT) {
        if (NT_SUCCESS(VmbChannelPacketGetGpaRanges(ch, &r, 1, &n)) && n == 1)
            range = (struct storvsc_gpa_range){r.ByteCount, r.ByteOffset, r.PfnCount, r.Pfns};
        rp = &range;
    } else if (type != VMB_PACKET_TYPE_DATA_INBAND) {
        return; /* the guest's completions: nothing to answer */
    }
    k->sub_packets += ch != k->channel;
    storvsc_receive(&k->vsc, ch, buf, len, trans_id, rp);
}

static int param(void *params, const char *key, size_t klen, const char *val, size_t vlen,
                 struct device_error *e)
{
    struct disk_params *p = params;
    if (klen != 7 || memcmp(key, "backing", 7))
        return device_refuse(e, "unknown key", key, klen);
    uint32_t mb = 0;
    if (vlen > 7 && !memcmp(val, "serial:", 7)) {
        if (vlen - 7 > DISK_SERIAL_MAX)
            return device_refuse(e, "serial longer than 20 characters", val, vlen);
        memcpy(p->serial, val + 7, vlen - 7);
        p->serial[vlen - 7] = '\0';
        return 0;
    }
    if (vlen < 5 || memcmp(val, "ram:", 4))
        return device_refuse(e, "backing is ram:<MiB> or serial:<s>, not", val, vlen);
    for (size_t i = 4; i < vlen; i++) {
        if (val[i] < '0' || val[i] > '9' || mb > DISK_RAM_MAX_MB)
            return device_refuse(e, "bad backing size (1-4096 MiB)", val, vlen);
        mb = mb * 10 + (uint32_t)(val[i] - '0');
    }
    if (!mb || mb > DISK_RAM_MAX_MB)
        return device_refuse(e, "bad backing size (1-4096 MiB)", val, vlen);
    p->ram_mb = mb;
    return 0;
}

static int check(void *params, struct device_error *e)
{
    const struct disk_params *p = params;
    return p->ram_mb || p->serial[0] ? 0 : device_refuse(e, "disk needs", "backing=", 8);
}

static NTSTATUS create(const struct device *d, VMBCHANNEL *out)
{
    const struct disk_params *p = d->params;
    *out = NULL;
    if (ndisks == DISK_MAX)
        return STATUS_INSUFFICIENT_RESOURCES;
    struct disk *k = &disks[ndisks];
    memset(k, 0, sizeof(*k));
    k->refused = (struct log_budget)LOG_BUDGET(4, "");
    k->failed = (struct log_budget)LOG_BUDGET(1, "");
    fmt_snprintf(k->name, sizeof(k->name), "%s", d->cfg->name);
    k->gm = d->env->gm;
    if (p->serial[0]) {
        const char *why;
        if (!(k->vio = disks_open(p->serial, &why))) {
            hv_log("disk", "hv.cfg line %u: %s: backing=serial:%s: %s", d->cfg->line, k->name,
                   p->serial, why);
            return STATUS_INVALID_DEVICE_STATE;
        }
        k->backend = (struct scsi_backend){.blocks = k->vio->capacity,
                                           .block_size = DISK_BLOCK,
                                           .ctx = k,
                                           .read = vio_start,
                                           .write = vio_start,
                                           .flush = k->vio->flush ? vio_start : NULL};
        hv_log("disk", "%s: virtio-blk serial=%s, %llu sectors of %u bytes%s%s", k->name, p->serial,
               (unsigned long long)k->backend.blocks, DISK_BLOCK,
               k->vio->flush ? ", write-back cache flushed on request" : "",
               k->vio->read_only ? ", read-only" : "");
    } else {
        k->ram = heap_alloc_pages(d->env->heap, (size_t)p->ram_mb * (1024 * 1024 / PAGE_SIZE));
        if (!k->ram) {
            hv_log("disk",
                   "hv.cfg line %u: %s: backing=ram:%u does not fit the hypervisor heap: "
                   "raise heap_mb",
                   d->cfg->line, k->name, p->ram_mb);
            return STATUS_INSUFFICIENT_RESOURCES;
        }
        memset(k->ram, 0, (size_t)p->ram_mb << 20);
        k->backend =
            (struct scsi_backend){.blocks = (uint64_t)p->ram_mb * (1024 * 1024 / DISK_BLOCK),
                                  .block_size = DISK_BLOCK,
                                  .ctx = k,
                                  .read = ram_move,
                                  .write = ram_move};
        hv_log("disk", "%s: %u MiB in hypervisor memory (%llu sectors of %u bytes)", k->name,
               p->ram_mb, (unsigned long long)k->backend.blocks, DISK_BLOCK);
    }
    k->lun = (struct scsi_lun){&k->backend, k->name};
    k->luns[0] = &k->lun;
    k->target = (struct scsi_target){k->luns, 1};
    /* One channel per VP, as Hyper-V offers: Linux asks for min(its CPUs - 1,
     * max_channel_count) sub-channels. */
    uint32_t subs = d->env->vps > 1 ? d->env->vps - 1 : 0;
    k->ops = (struct storvsc_ops){
        .ctx = k,
        .send = send,
        .gpa_to_host = gpa_to_host,
        .create_subchannels = subs ? create_subchannels : NULL,
        .max_subchannels = (uint16_t)(subs < VMBUS_MAX_SUBCHANNELS ? subs : VMBUS_MAX_SUBCHANNELS)};

    static const VMB_CHANNEL_STATE_CHANGE_CALLBACKS callbacks = {opened, NULL};
    NTSTATUS s = device_channel(d, &scsi_class, k, &callbacks, process, out);
    k->channel = *out;
    if (NT_SUCCESS(s))
        ndisks++;
    return s;
}

/* " disk_reads=.. disk_writes=.. disk_errors=.. disk_subchannel=..", once a disk exists. */
static size_t summary(char *buf, size_t cap)
{
    uint64_t r = 0, w = 0, e = 0, sub = 0;
    for (unsigned i = 0; i < ndisks; i++) {
        r += disks[i].reads;
        w += disks[i].writes;
        e += disks[i].errors;
        sub += disks[i].sub_packets;
    }
    int n = ndisks ? fmt_snprintf(buf, cap,
                                  " disk_reads=%llu disk_writes=%llu disk_errors=%llu "
                                  "disk_subchannel=%llu",
                                  (unsigned long long)r, (unsigned long long)w,
                                  (unsigned long long)e, (unsigned long long)sub)
                   : fmt_snprintf(buf, cap, "%s", "");
    return n < 0 ? 0 : (size_t)n;
}

const struct device_kind disk_kind = {
    .name = "disk",
    .params_size = sizeof(struct disk_params),
    .param = param,
    .check = check,
    .create = create,
    .poll = disks_poll,
    .summary = summary,
};
