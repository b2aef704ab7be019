/* The virtio-blk driver (hv/drivers/virtio_blk.c over virtio_pci.c and
 * pci.c) against a fake modern virtio-blk PCI function (fake_virtio.c: the
 * config space, the BAR and its registers) whose device, here, runs the
 * requests a notify makes available against a RAM disk, with descriptors
 * pointing at host memory as physical addresses. Its misbehaviours are
 * switches: no VERSION_1, FEATURES_OK refused, a status of IOERR/UNSUPP, no
 * completion at all, a used id out of range or not in flight, a used index
 * running ahead, a used length larger than the buffer. Then the start-up
 * probe (hv/drivers/disks.c) over the same function. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "boot_info.h"
#include "drivers/disks.h"
#include "drivers/pci.h"
#include "drivers/virtio_blk.h"
#include "fake_virtio.h"
#include "fixture.h"
#include "lib/crc32.h"

#define BDF     PCI_BDF(0, 3, 0)
#define SECTORS 64u

enum misbehave {
    NONE,
    NO_VERSION_1,
    REFUSE_FEATURES,
    STATUS_IOERR,
    STATUS_UNSUPP,
    NEVER_COMPLETE,
    BAD_ID,
    ID_NOT_IN_FLIGHT,
    USED_IDX_AHEAD,
    HUGE_LEN,
    NO_STATUS,
    HOLD, /* completes only when the test says (complete_held) */
};

static struct fakedev {
    unsigned notifies;
    uint16_t last_avail, used_idx; /* the device's side of queue 0 */
    enum misbehave mis;
    char serial[21];
    uint8_t disk[SECTORS * 512];
    uint32_t seg_max;  /* what the device says */
    unsigned indirect; /* requests that came as an indirect table */
    unsigned flushes;
    uint32_t last_type;
    uint16_t held[16];
    unsigned nheld;
} f;

/* --- the device ---------------------------------------------------------------------- */
struct hdr {
    uint32_t type, reserved;
    uint64_t sector;
};

static void *ptr(uint64_t pa)
{
    return (void *)(uintptr_t)pa;
}

static void push_used(uint32_t id, uint32_t len)
{
    struct virtq_used *used = ptr(fv.q[0].used);
    used->ring[f.used_idx % fv.q[0].size] = (struct virtq_used_elem){id, len};
    f.used_idx++;
    used->idx = f.used_idx;
}

/* Runs the chain at head against the disk; the bytes it wrote. */
static uint32_t run(uint16_t head)
{
    struct virtq_desc *desc = ptr(fv.q[0].desc);
    struct virtq_desc *d = &desc[head];
    unsigned bound = fv.q[0].size;
    if (d->flags & VIRTQ_DESC_F_INDIRECT) { /* 2.4.5.3: a table instead of a chain */
        assert_true(fv.accepted & VIRTIO_F_INDIRECT_DESC);
        assert_false(d->flags & (VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE));
        assert_int_equal(d->len % 16, 0);
        f.indirect++;
        bound = d->len / 16;
        desc = ptr(d->addr);
        d = &desc[0];
    }
    assert_false(d->flags & VIRTQ_DESC_F_WRITE);
    assert_int_equal(d->len, 16);
    struct hdr h;
    memcpy(&h, ptr(d->addr), 16);
    f.last_type = h.type;
    uint64_t pos = h.sector * 512;
    uint32_t written = 0;
    uint8_t status = 0;
    unsigned guard = 0;
    while (d->flags & VIRTQ_DESC_F_NEXT) {
        assert_true(++guard < bound && d->next < bound);
        d = &desc[d->next];
        if (!(d->flags & VIRTQ_DESC_F_NEXT)) { /* the status byte */
            assert_true(d->flags & VIRTQ_DESC_F_WRITE);
            assert_int_equal(d->len, 1);
            break;
        }
        switch (h.type) {
        case VIRTIO_BLK_T_IN:
            assert_true(d->flags & VIRTQ_DESC_F_WRITE);
            assert_true(pos + d->len <= sizeof(f.disk));
            memcpy(ptr(d->addr), f.disk + pos, d->len);
            written += d->len;
            break;
        case VIRTIO_BLK_T_OUT:
            assert_false(d->flags & VIRTQ_DESC_F_WRITE);
            assert_true(pos + d->len <= sizeof(f.disk));
            memcpy(f.disk + pos, ptr(d->addr), d->len);
            break;
        case VIRTIO_BLK_T_GET_ID:
            assert_int_equal(d->len, 20);
            memset(ptr(d->addr), 0, 20);
            memcpy(ptr(d->addr), f.serial, strnlen(f.serial, 20));
            written += 20;
            break;
        default:
            fail_msg("data with type %u", h.type);
        }
        pos += d->len;
    }
    if (h.type == VIRTIO_BLK_T_FLUSH)
        f.flushes++;
    if (f.mis == STATUS_IOERR)
        status = VIRTIO_BLK_S_IOERR;
    if (f.mis == STATUS_UNSUPP)
        status = VIRTIO_BLK_S_UNSUPP;
    if (f.mis != NO_STATUS)
        *(uint8_t *)ptr(d->addr) = status;
    return written + 1;
}

static void run_avail(void)
{
    f.notifies++;
    assert_true(fv.status & VIRTIO_STATUS_DRIVER_OK);
    struct virtq_avail *avail = ptr(fv.q[0].avail);
    assert_true(avail->flags & VIRTQ_AVAIL_F_NO_INTERRUPT);
    while (f.last_avail != avail->idx) {
        uint16_t head = avail->ring[f.last_avail++ % fv.q[0].size];
        assert_true(head < fv.q[0].size);
        if (f.mis == NEVER_COMPLETE)
            continue;
        if (f.mis == HOLD) {
            f.held[f.nheld++] = head;
            continue;
        }
        uint32_t len = run(head);
        switch (f.mis) {
        case BAD_ID:
            push_used(fv.q[0].size + 3, len);
            break;
        case ID_NOT_IN_FLIGHT:
            push_used((head + 1) % fv.q[0].size, len);
            break;
        case USED_IDX_AHEAD:
            push_used(head, len);
            f.used_idx += 5;
            ((struct virtq_used *)ptr(fv.q[0].used))->idx = f.used_idx;
            break;
        case HUGE_LEN:
            push_used(head, 1u << 30);
            break;
        default:
            push_used(head, len);
        }
    }
}

static void complete_held(unsigned i)
{
    push_used(f.held[i], run(f.held[i]));
}

static void reset_device(void)
{
    f.last_avail = f.used_idx = 0;
}

static uint32_t device_read(unsigned off)
{
    uint32_t cfg[64] = {SECTORS, 0, 0, f.seg_max, 0, 512};
    return cfg[off / 4];
}

/* Queue 0's notify offset is 2. */
static void notify(unsigned slot, uint32_t v)
{
    assert_int_equal(slot, 2);
    assert_int_equal(v, 0);
    run_avail();
}

static const struct fake_virtio_hooks hooks = {device_read, notify, reset_device};
static const struct pci_cfg_ops *const pci = &fake_virtio_pci;
static const struct virtio_mmio_ops *const io = &fake_virtio_io;

/* --- fixture --------------------------------------------------------------------------- */
static void *qmem, *dmamem;
static struct virtio_blk blk;

static void device(enum misbehave mis)
{
    memset(&f, 0, sizeof(f));
    f.mis = mis;
    f.seg_max = 7;
    fake_virtio_init(BDF, VIRTIO_DEV_BLK_MODERN, 0x01000000 /* mass storage, SCSI: as QEMU */,
                     0x100, &hooks);
    fv.q[0].noff = 2;
    fv.q[1].max = 0; /* one queue */
    fv.refuse_features = mis == REFUSE_FEATURES;
    fv.offered = VIRTIO_F_VERSION_1 | VIRTIO_BLK_F_SEG_MAX | VIRTIO_BLK_F_BLK_SIZE |
                 VIRTIO_BLK_F_FLUSH | 1ull << 29 /* EVENT_IDX */ |
                 1ull << 33 /* ACCESS_PLATFORM */ | 1ull << 34 /* RING_PACKED */;
    if (mis == NO_VERSION_1)
        fv.offered &= ~VIRTIO_F_VERSION_1;
    strcpy(f.serial, "vmbhv-test");
    for (unsigned i = 0; i < sizeof(f.disk); i++)
        f.disk[i] = (uint8_t)(i * 7 + i / 512);
}

static int setup(void **state)
{
    (void)state;
    qmem = aligned_alloc(4096, VIRTQ_MEM_BYTES);
    dmamem = aligned_alloc(4096, VIRTIO_BLK_DMA_BYTES);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    free(qmem);
    free(dmamem);
    return 0;
}

static void init_ok(enum misbehave mis)
{
    const char *why = NULL;
    device(mis);
    assert_int_equal(virtio_blk_init(&blk, pci, BDF, io, qmem, dmamem, &why), 0);
}

struct done_rec {
    unsigned calls;
    int result;
    uint32_t written;
};

static void done(void *ctx, int result, uint32_t written)
{
    struct done_rec *r = ctx;
    r->calls++;
    r->result = result;
    r->written = written;
}

static struct virtio_blk_seg seg(void *p, uint32_t len)
{
    return (struct virtio_blk_seg){(uint64_t)(uintptr_t)p, len};
}

/* --- tests ------------------------------------------------------------------------------- */

/* The status sequence, only implemented features accepted, the queue in
 * the driver's memory with its size capped, interrupts off, the BAR sized
 * and restored, the configuration read. */
static void init_negotiates(void **state)
{
    (void)state;
    init_ok(NONE);
    assert_int_equal(fv.accepted, VIRTIO_F_VERSION_1 | VIRTIO_F_ACCESS_PLATFORM |
                                      VIRTIO_BLK_F_SEG_MAX | VIRTIO_BLK_F_BLK_SIZE |
                                      VIRTIO_BLK_F_FLUSH);
    assert_int_equal(fv.status, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
                                    VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK);
    assert_true(fv.resets >= 1);
    assert_int_equal(fv.q[0].size, VIRTQ_SIZE_MAX);
    assert_int_equal(fv.q[0].enable, 1);
    assert_int_equal(fv.q[0].desc, (uint64_t)(uintptr_t)qmem);
    assert_int_equal(fv.q[0].msix, VIRTIO_MSI_NO_VECTOR);
    assert_int_equal(fv.msix, VIRTIO_MSI_NO_VECTOR);
    assert_int_equal(fv.cfg[8], (uint32_t)FV_BAR_BASE | 4);
    assert_int_equal(fv.cfg[9], (uint32_t)(FV_BAR_BASE >> 32));
    uint16_t cmd = (uint16_t)fv.cfg[1];
    assert_true(cmd & PCI_CMD_MEM && cmd & PCI_CMD_MASTER && cmd & PCI_CMD_INTX_OFF);
    assert_int_equal(blk.capacity, SECTORS);
    assert_int_equal(blk.blk_size, 512);
    assert_int_equal(blk.seg_max, 7);
    assert_true(blk.flush);
    assert_false(blk.read_only);
    assert_int_equal(fv.cfg_writes_elsewhere, 0);
    assert_int_equal(blk.vq.avail->flags, VIRTQ_AVAIL_F_NO_INTERRUPT); /* no MSI-X: polled */
    assert_int_equal(blk.dev.msix_cap, 0);
}

/* With MSI-X the platform's message goes into table entry 0, unmasked, the
 * capability is enabled and unmasked, the queue and configuration changes
 * use entry 0 and the avail ring asks for interrupts; stopping turns MSI-X
 * off. A device that refuses the queue's vector leaves that queue polled. */
static void init_msix(void **state)
{
    (void)state;
    const char *why = NULL;
    device(NONE);
    fake_virtio_msix(2);
    assert_int_equal(virtio_blk_init(&blk, pci, BDF, io, qmem, dmamem, &why), 0);
    assert_int_equal(blk.dev.msix_cap, FV_CAP_MSIX);
    assert_int_equal(fv.msix_table[0][0], FV_MSI_ADDR);
    assert_int_equal(fv.msix_table[0][1], 0);
    assert_int_equal(fv.msix_table[0][2], FV_MSI_DATA);
    assert_int_equal(fv.msix_table[0][3], 0);
    assert_int_equal(fv.msix_table[1][3], 1);           /* untouched */
    assert_int_equal(fv.cfg[FV_CAP_MSIX / 4] >> 30, 2); /* enabled, not function-masked */
    assert_int_equal(fv.q[0].msix, 0);
    assert_int_equal(fv.msix, 0);
    assert_int_equal(blk.vq.avail->flags, 0);
    virtio_blk_stop(&blk);
    assert_int_equal(fv.cfg[FV_CAP_MSIX / 4] >> 31, 0);
    assert_int_equal(blk.dev.msix_cap, 0);

    device(NONE);
    fake_virtio_msix(1);
    fv.msix_refuse = true;
    assert_int_equal(virtio_blk_init(&blk, pci, BDF, io, qmem, dmamem, &why), 0);
    assert_int_equal(fv.q[0].msix, VIRTIO_MSI_NO_VECTOR);
    assert_int_equal(blk.vq.avail->flags, VIRTQ_AVAIL_F_NO_INTERRUPT);

    device(NONE); /* a table outside its BAR: not used */
    fake_virtio_msix(1);
    fv.cfg[FV_CAP_MSIX / 4 + 1] = (uint32_t)FV_BAR_SIZE | 4;
    assert_int_equal(virtio_blk_init(&blk, pci, BDF, io, qmem, dmamem, &why), 0);
    assert_int_equal(blk.dev.msix_cap, 0);
    assert_int_equal(blk.vq.avail->flags, VIRTQ_AVAIL_F_NO_INTERRUPT);
}

/* No VERSION_1 (a legacy-only device), FEATURES_OK not kept, a small or
 * absent queue, missing capabilities: refused, the device reset and its bus
 * mastering off. */
static void init_refusals(void **state)
{
    (void)state;
    const char *why = NULL;
    device(NO_VERSION_1);
    assert_int_equal(virtio_blk_init(&blk, pci, BDF, io, qmem, dmamem, &why), -1);
    assert_non_null(strstr(why, "VERSION_1"));
    assert_int_equal(fv.status, 0);
    assert_false(fv.cfg[1] & PCI_CMD_MASTER);

    device(REFUSE_FEATURES);
    assert_int_equal(virtio_blk_init(&blk, pci, BDF, io, qmem, dmamem, &why), -1);
    assert_non_null(strstr(why, "FEATURES_OK"));
    assert_int_equal(fv.status, 0);

    device(NONE);
    fv.q[0].max = 0;
    assert_int_equal(virtio_blk_init(&blk, pci, BDF, io, qmem, dmamem, &why), -1);
    assert_non_null(strstr(why, "a queue is absent"));

    device(NONE);
    fv.q[0].max = 8; /* smaller than the driver's: taken as it is */
    assert_int_equal(virtio_blk_init(&blk, pci, BDF, io, qmem, dmamem, &why), 0);
    assert_int_equal(fv.q[0].size, 8);

    device(NONE);
    fake_virtio_put8(FV_CAP_DEVICE + 1, 0); /* the list ends before the device configuration */
    fake_virtio_put8(FV_CAP_ISR + 1, 0);
    assert_int_equal(virtio_blk_init(&blk, pci, BDF, io, qmem, dmamem, &why), -1);
    assert_non_null(strstr(why, "capabilities"));
    assert_int_equal(fv.resets, 0); /* not a device this driver drives: untouched */

    device(NONE);
    fake_virtio_put32(FV_CAP_DEVICE + 8, FV_BAR_SIZE - 8); /* the device range runs past the BAR */
    assert_int_equal(virtio_blk_init(&blk, pci, BDF, io, qmem, dmamem, &why), -1);

    device(NONE);
    fake_virtio_put8(FV_CAP_COMMON + 1, FV_CAP_COMMON); /* a capability list that loops */
    assert_int_equal(virtio_blk_init(&blk, pci, BDF, io, qmem, dmamem, &why), -1);
}

/* The serial through GET_ID, printable, NUL-terminated at 20 bytes. */
static void serial(void **state)
{
    (void)state;
    char s[VIRTIO_BLK_ID_BYTES + 1];
    init_ok(NONE);
    assert_int_equal(virtio_blk_serial(&blk, s), 0);
    assert_string_equal(s, "vmbhv-test");
    assert_int_equal(f.last_type, VIRTIO_BLK_T_GET_ID);
    memcpy(f.serial, "ABCDEFGHIJKLMNOPQRS\x01", 20);
    assert_int_equal(virtio_blk_serial(&blk, s), 0);
    assert_string_equal(s, "ABCDEFGHIJKLMNOPQRS?");
    f.serial[0] = 0;
    assert_int_equal(virtio_blk_serial(&blk, s), 0);
    assert_string_equal(s, "");
}

/* A read of two segments straight into the caller's memory, a write, a
 * flush; many requests in a row (descriptors and slots recycled). */
static void read_write_flush(void **state)
{
    (void)state;
    init_ok(NONE);
    uint8_t *a = malloc(1024), *b = malloc(512);
    struct virtio_blk_seg segs[2] = {seg(a, 1024), seg(b, 512)};
    assert_int_equal(virtio_blk_sync(&blk, VIRTIO_BLK_T_IN, 3, segs, 2), VBLK_OK);
    assert_memory_equal(a, f.disk + 3 * 512, 1024);
    assert_memory_equal(b, f.disk + 5 * 512, 512);

    memset(a, 0x5a, 1024);
    assert_int_equal(virtio_blk_sync(&blk, VIRTIO_BLK_T_OUT, SECTORS - 2, segs, 1), VBLK_OK);
    assert_memory_equal(f.disk + (SECTORS - 2) * 512, a, 1024);
    assert_int_equal(virtio_blk_sync(&blk, VIRTIO_BLK_T_FLUSH, 0, NULL, 0), VBLK_OK);
    assert_int_equal(f.flushes, 1);

    struct done_rec r = {0};
    for (unsigned i = 0; i < 200; i++) {
        assert_int_equal(
            virtio_blk_submit(&blk, VIRTIO_BLK_T_IN, i % SECTORS, segs + 1, 1, done, &r), 0);
        assert_int_equal(virtio_blk_poll(&blk), 1);
        assert_memory_equal(b, f.disk + (i % SECTORS) * 512, 512);
    }
    assert_int_equal(r.calls, 200);
    assert_int_equal(r.written, 512);
    assert_int_equal(blk.vq.num_free, VIRTQ_SIZE_MAX);
    free(a);
    free(b);
}

/* With VIRTIO_F_INDIRECT_DESC a request of up to seg_max segments (the
 * device's, capped at VIRTIO_BLK_SEGS_MAX) takes one queue descriptor: as
 * many of them in flight as slots, whatever their size. */
static void indirect_tables(void **state)
{
    (void)state;
    const char *why = NULL;
    device(NONE);
    f.seg_max = 1000;
    fv.offered |= VIRTIO_F_INDIRECT_DESC;
    assert_int_equal(virtio_blk_init(&blk, pci, BDF, io, qmem, dmamem, &why), 0);
    assert_true(fv.accepted & VIRTIO_F_INDIRECT_DESC);
    assert_int_equal(blk.seg_max, VIRTIO_BLK_SEGS_MAX);
    static uint8_t buf[SECTORS * 512];
    struct virtio_blk_seg segs[SECTORS];
    for (unsigned i = 0; i < SECTORS; i++) /* every sector its own piece, backwards */
        segs[i] = seg(buf + (SECTORS - 1 - i) * 512, 512);
    assert_int_equal(virtio_blk_sync(&blk, VIRTIO_BLK_T_IN, 0, segs, SECTORS), VBLK_OK);
    for (unsigned i = 0; i < SECTORS; i++)
        assert_memory_equal(buf + (SECTORS - 1 - i) * 512, f.disk + i * 512, 512);
    assert_int_equal(f.indirect, 1);
    memset(buf, 0xa5, sizeof(buf));
    assert_int_equal(virtio_blk_sync(&blk, VIRTIO_BLK_T_OUT, 0, segs, SECTORS), VBLK_OK);
    assert_int_equal(f.disk[5], 0xa5);
    assert_int_equal(f.indirect, 2);

    device(HOLD);
    f.seg_max = 1000;
    fv.offered |= VIRTIO_F_INDIRECT_DESC;
    assert_int_equal(virtio_blk_init(&blk, pci, BDF, io, qmem, dmamem, &why), 0);
    struct done_rec r = {0};
    for (unsigned i = 0; i < VIRTIO_BLK_SLOTS; i++)
        assert_int_equal(virtio_blk_submit(&blk, VIRTIO_BLK_T_IN, 0, segs, SECTORS, done, &r), 0);
    assert_int_equal(blk.vq.num_free, VIRTQ_SIZE_MAX - VIRTIO_BLK_SLOTS);
    assert_int_equal(virtio_blk_submit(&blk, VIRTIO_BLK_T_IN, 0, segs, 1, done, &r), VBLK_BUSY);
    virtio_blk_stop(&blk);
    assert_int_equal(r.calls, VIRTIO_BLK_SLOTS);
    assert_int_equal(r.result, VBLK_BROKEN);
}

/* Requests refused before the device sees them. */
static void requests_checked(void **state)
{
    (void)state;
    init_ok(NONE);
    uint8_t buf[1024];
    struct virtio_blk_seg segs[8];
    for (unsigned i = 0; i < 8; i++)
        segs[i] = seg(buf, 512);
    struct done_rec r = {0};
    unsigned before = f.notifies;
    struct virtio_blk_seg odd = seg(buf, 100), zero = seg(buf, 0), two = seg(buf, 1024);
    assert_int_equal(virtio_blk_submit(&blk, VIRTIO_BLK_T_IN, 0, &odd, 1, done, &r), VBLK_INVAL);
    assert_int_equal(virtio_blk_submit(&blk, VIRTIO_BLK_T_IN, 0, &zero, 1, done, &r), VBLK_INVAL);
    assert_int_equal(virtio_blk_submit(&blk, VIRTIO_BLK_T_IN, 0, NULL, 0, done, &r), VBLK_INVAL);
    assert_int_equal(virtio_blk_submit(&blk, VIRTIO_BLK_T_IN, SECTORS - 1, &two, 1, done, &r),
                     VBLK_INVAL);
    assert_int_equal(virtio_blk_submit(&blk, VIRTIO_BLK_T_IN, UINT64_MAX, &two, 1, done, &r),
                     VBLK_INVAL);
    assert_int_equal(virtio_blk_submit(&blk, VIRTIO_BLK_T_IN, 0, segs, 8, done, &r),
                     VBLK_INVAL); /* above the device's seg_max of 7 */
    assert_int_equal(virtio_blk_submit(&blk, VIRTIO_BLK_T_FLUSH, 0, segs, 1, done, &r), VBLK_INVAL);
    assert_int_equal(virtio_blk_submit(&blk, 11 /* DISCARD */, 0, NULL, 0, done, &r), VBLK_INVAL);
    assert_int_equal(f.notifies, before);
    assert_int_equal(r.calls, 0);

    /* without the features: no flush, no writes */
    device(NONE);
    fv.offered &= ~VIRTIO_BLK_F_FLUSH;
    fv.offered |= VIRTIO_BLK_F_RO;
    const char *why;
    assert_int_equal(virtio_blk_init(&blk, pci, BDF, io, qmem, dmamem, &why), 0);
    assert_true(blk.read_only);
    assert_int_equal(virtio_blk_submit(&blk, VIRTIO_BLK_T_FLUSH, 0, NULL, 0, done, &r), VBLK_INVAL);
    assert_int_equal(virtio_blk_submit(&blk, VIRTIO_BLK_T_OUT, 0, segs, 1, done, &r), VBLK_INVAL);
    assert_int_equal(virtio_blk_sync(&blk, VIRTIO_BLK_T_IN, 0, segs, 1), VBLK_OK);
}

/* IOERR and UNSUPP reach the completion; a device that never writes the
 * status byte is an I/O error, not a success. */
static void device_errors(void **state)
{
    (void)state;
    uint8_t buf[512];
    struct virtio_blk_seg s = seg(buf, 512);
    init_ok(STATUS_IOERR);
    assert_int_equal(virtio_blk_sync(&blk, VIRTIO_BLK_T_IN, 0, &s, 1), VBLK_IOERR);
    init_ok(STATUS_UNSUPP);
    assert_int_equal(virtio_blk_sync(&blk, VIRTIO_BLK_T_FLUSH, 0, NULL, 0), VBLK_UNSUPP);
    init_ok(NO_STATUS);
    assert_int_equal(virtio_blk_sync(&blk, VIRTIO_BLK_T_OUT, 0, &s, 1), VBLK_IOERR);
    assert_false(blk.broken); /* errors are the device's answers: it goes on */
}

/* A device that never completes: the wait is bounded, the request fails
 * with TIMEOUT, the device is reset and loses bus mastering, and the driver
 * refuses further requests. */
static void timeout(void **state)
{
    (void)state;
    uint8_t buf[512];
    struct virtio_blk_seg s = seg(buf, 512);
    init_ok(NEVER_COMPLETE);
    unsigned resets = fv.resets;
    uint64_t t0 = fv.now;
    assert_int_equal(virtio_blk_sync(&blk, VIRTIO_BLK_T_IN, 0, &s, 1), VBLK_TIMEOUT);
    assert_true(fv.now - t0 >= VIRTIO_BLK_TIMEOUT_NS);
    assert_true(fv.now - t0 < VIRTIO_BLK_TIMEOUT_NS + 10000000);
    assert_int_equal(fv.resets, resets + 1);
    assert_false(fv.cfg[1] & PCI_CMD_MASTER);
    assert_true(blk.broken);
    struct done_rec r = {0};
    assert_int_equal(virtio_blk_submit(&blk, VIRTIO_BLK_T_IN, 0, &s, 1, done, &r), VBLK_BROKEN);
    assert_int_equal(virtio_blk_poll(&blk), 0);
    assert_int_equal(r.calls, 0);
}

/* A used ring the driver did not ask for: an id out of range, an id not in
 * flight, an index running ahead. Every request fails BROKEN, the device is
 * stopped. */
static void hostile_used_ring(void **state)
{
    (void)state;
    uint8_t buf[512];
    struct virtio_blk_seg s = seg(buf, 512);
    static const enum misbehave cases[] = {BAD_ID, ID_NOT_IN_FLIGHT, USED_IDX_AHEAD};
    for (unsigned i = 0; i < 3; i++) {
        init_ok(cases[i]);
        struct done_rec r1 = {0}, r2 = {0};
        f.mis = HOLD;
        assert_int_equal(virtio_blk_submit(&blk, VIRTIO_BLK_T_IN, 0, &s, 1, done, &r1), 0);
        f.mis = cases[i];
        assert_int_equal(virtio_blk_submit(&blk, VIRTIO_BLK_T_IN, 1, &s, 1, done, &r2), 0);
        assert_int_equal(virtio_blk_poll(&blk), 2);
        assert_int_equal(r1.calls, 1);
        assert_int_equal(r2.calls, 1);
        assert_int_equal(r1.result, VBLK_BROKEN);
        assert_true(blk.broken);
        assert_int_equal(fv.status, 0);
        assert_false(fv.cfg[1] & PCI_CMD_MASTER);
    }
}

/* A used length beyond the buffer is cut to what was asked. */
static void used_len_not_trusted(void **state)
{
    (void)state;
    uint8_t buf[512];
    struct virtio_blk_seg s = seg(buf, 512);
    struct done_rec r = {0};
    init_ok(HUGE_LEN);
    assert_int_equal(virtio_blk_submit(&blk, VIRTIO_BLK_T_IN, 0, &s, 1, done, &r), 0);
    assert_int_equal(virtio_blk_poll(&blk), 1);
    assert_int_equal(r.result, VBLK_OK);
    assert_int_equal(r.written, 512);
    assert_int_equal(virtio_blk_submit(&blk, VIRTIO_BLK_T_OUT, 0, &s, 1, done, &r), 0);
    assert_int_equal(virtio_blk_poll(&blk), 1);
    assert_int_equal(r.written, 0);
}

/* Completions out of order; slots and descriptors run out (BUSY) and come back. */
static void out_of_order_and_busy(void **state)
{
    (void)state;
    init_ok(HOLD);
    uint8_t *buf = calloc(VIRTIO_BLK_SLOTS + 1, 512);
    struct done_rec r[VIRTIO_BLK_SLOTS + 1] = {0};
    for (unsigned i = 0; i < VIRTIO_BLK_SLOTS; i++) {
        struct virtio_blk_seg s = seg(buf + i * 512, 512);
        assert_int_equal(virtio_blk_submit(&blk, VIRTIO_BLK_T_IN, i, &s, 1, done, &r[i]), 0);
    }
    struct virtio_blk_seg s = seg(buf + VIRTIO_BLK_SLOTS * 512, 512);
    assert_int_equal(virtio_blk_submit(&blk, VIRTIO_BLK_T_IN, 0, &s, 1, done, &r[8]), VBLK_BUSY);
    assert_int_equal(virtio_blk_poll(&blk), 0);
    complete_held(5);
    complete_held(2);
    assert_int_equal(virtio_blk_poll(&blk), 2);
    assert_int_equal(r[5].calls, 1);
    assert_int_equal(r[2].calls, 1);
    assert_int_equal(r[0].calls, 0);
    assert_memory_equal(buf + 5 * 512, f.disk + 5 * 512, 512);
    assert_int_equal(virtio_blk_submit(&blk, VIRTIO_BLK_T_IN, 0, &s, 1, done, &r[8]), 0);
    virtio_blk_stop(&blk);
    assert_int_equal(r[0].calls, 1);
    assert_int_equal(r[0].result, VBLK_BROKEN);
    assert_int_equal(r[8].result, VBLK_BROKEN);
    assert_int_equal(fv.status, 0);
    free(buf);
}

/* Start-up: the boot volume (or every disk, when the loader could not say
 * which it is) is listed and never written, not even its config space; a
 * disk on another function or segment is driven: serial, capacity, sector
 * 0's CRC for a vmbhv- serial, then stopped. */
static void disks_at_start_up(void **state)
{
    (void)state;
    struct heap heap;
    void *mem = aligned_alloc(4096, 16 * 4096);
    heap_init(&heap, (uint64_t)(uintptr_t)mem, 16 * 4096);
    char line[128];

    device(NONE);
    log_reset();
    disks_probe(pci, io, &heap, HV_BOOT_DISK(0, BDF));
    assert_int_equal(log_count("hv: disk: virtio-blk 00:03.0 is the boot volume: not driven\n"), 1);
    assert_int_equal(fv.cfg_writes + fv.resets + f.notifies, 0);
    device(NONE);
    disks_probe(pci, io, &heap, 0);
    assert_int_equal(
        log_count("virtio-blk 00:03.0 not driven: the boot volume's PCI function is unknown\n"), 1);
    assert_int_equal(fv.cfg_writes + fv.resets + f.notifies, 0);
    assert_int_equal(log_count("serial="), 0);

    static const uint32_t others[] = {HV_BOOT_DISK(0, PCI_BDF(0, 1, 0)), HV_BOOT_DISK(1, BDF)};
    for (unsigned i = 0; i < 2; i++) {
        device(NONE);
        log_reset();
        disks_probe(pci, io, &heap, others[i]);
        assert_int_equal(
            log_count("hv: disk: virtio-blk 00:03.0 serial=vmbhv-test capacity=64 sectors flush\n"),
            1);
        snprintf(line, sizeof(line), "hv: disk: vmbhv-test: sector 0 crc32=%08x\n",
                 crc32(f.disk, 512));
        assert_int_equal(log_count(line), 1);
        assert_int_equal(fv.status, 0); /* stopped */
        assert_false(fv.cfg[1] & PCI_CMD_MASTER);
    }

    /* no serial: listed as such, sector 0 not read */
    device(NONE);
    f.serial[0] = 0;
    log_reset();
    disks_probe(pci, io, &heap, others[0]);
    assert_int_equal(log_count("virtio-blk 00:03.0 serial=none capacity=64 sectors flush\n"), 1);
    assert_int_equal(log_count("sector 0"), 0);
    free(mem);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(init_negotiates),
        cmocka_unit_test(init_msix),
        cmocka_unit_test(indirect_tables),
        cmocka_unit_test(init_refusals),
        cmocka_unit_test(serial),
        cmocka_unit_test(read_write_flush),
        cmocka_unit_test(requests_checked),
        cmocka_unit_test(device_errors),
        cmocka_unit_test(timeout),
        cmocka_unit_test(hostile_used_ring),
        cmocka_unit_test(used_len_not_trusted),
        cmocka_unit_test(out_of_order_and_busy),
        cmocka_unit_test(disks_at_start_up),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
