/* Packets on an open channel as a device sees them, over the fake port (no
 * hv/hyperv linked): GPA-direct packets and their page ranges
 * (VmbChannelPacketGetGpaRanges) good and malformed; completion and
 * transfer-page packets (VmbChannelSendCompletion, SendTransferPages) as the
 * guest reads them; the guest's GPADLs by handle (VmbChannelGetGpadl). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "vmbus/kmcl.h"
#include "vmbus/message.h"
#include "vmbus/ring.h"
#include "vmbus/state.h"
#include "vmbus/vmbus.h"
#include "vmbus/vmbus_wire.h"

#include "fake_port.h"
#include "fixture.h"

#define RAM_SIZE (256u * 1024)
#define RING_PFN 0x10u /* in ring: header + 3 data pages; out ring the same after it */
#define IN_DATA  ((RING_PFN + 1) * 4096u)
#define OUT_HDR  ((RING_PFN + 4) * 4096u)
#define OUT_DATA ((RING_PFN + 5) * 4096u)
#define GPADL    0xE1E10u
#define CONN     (VMBUS_CHANNEL_CONN_BASE + 1)

static _Alignas(4096) uint8_t ram[RAM_SIZE];
static struct fake_port port;
static VMBCHANNEL ch;

/* what the device saw of the last packet */
static struct {
    unsigned packets;
    UINT16 type;
    UINT32 len;
    UINT64 id;
    char data[64];
    NTSTATUS ranges_st, small_st;
    UINT32 count, small_count;
    VMB_GPA_RANGE r[VMB_MAX_GPA_RANGES];
    UINT64 pfns[8];
    NTSTATUS completion_st;
} seen;

static void on_packet(VMBCHANNEL c, const VOID *buf, UINT32 len, UINT16 type, UINT64 id)
{
    seen.packets++;
    seen.type = type;
    seen.len = len;
    seen.id = id;
    memcpy(seen.data, buf, len < sizeof(seen.data) ? len : sizeof(seen.data));
    seen.count = seen.small_count = 0;
    seen.ranges_st = VmbChannelPacketGetGpaRanges(c, seen.r, VMB_MAX_GPA_RANGES, &seen.count);
    VMB_GPA_RANGE one;
    seen.small_st = VmbChannelPacketGetGpaRanges(c, &one, 1, &seen.small_count);
    if (NT_SUCCESS(seen.ranges_st) && seen.r[0].PfnCount <= 8)
        memcpy(seen.pfns, seen.r[0].Pfns, seen.r[0].PfnCount * 8); /* valid now only */
    seen.completion_st = VmbChannelSendCompletion(c, "done", 4, id);
}

static void post(const void *msg, uint32_t size)
{
    assert_int_equal(vmbus_on_message(NULL, 4, VMBUS_MESSAGE_TYPE, msg, size), 0);
    vmbus_poll();
}

static int setup(void **state)
{
    (void)state;
    memset(ram, 0, sizeof(ram));
    memset(&seen, 0, sizeof(seen));
    const struct vmbus_port p = fake_port_init(&port, ram, sizeof(ram));
    vmbus_init_port(&p);
    static const GUID type = {1, 2, 3, {4, 5, 6, 7, 8, 9, 10, 11}};
    static const GUID inst = {12, 13, 14, {15, 16, 17, 18, 19, 20, 21, 22}};
    assert_int_equal(VmbChannelAllocate(NULL, TRUE, &ch), STATUS_SUCCESS);
    assert_int_equal(VmbServerChannelInitSetTargetInterfaceId(ch, &type, &inst), STATUS_SUCCESS);
    assert_int_equal(VmbChannelInitSetProcessPacketCallback(ch, on_packet), STATUS_SUCCESS);
    assert_int_equal(VmbChannelEnable(ch), STATUS_SUCCESS);

    struct vmbus_initiate_contact ic;
    memset(&ic, 0, sizeof(ic));
    ic.header.msgtype = VMBUS_MSG_INITIATE_CONTACT;
    ic.version_requested = VMBUS_VERSION_WIN10_V5_3;
    ic.msg_sint = 2;
    ic.monitor_page1 = 0x5000;
    ic.monitor_page2 = 0x6000;
    post(&ic, sizeof(ic));
    struct vmbus_msg_header ro = {VMBUS_MSG_REQUESTOFFERS, 0};
    post(&ro, sizeof(ro));
    uint8_t g[sizeof(struct vmbus_gpadl_header) + 8 + 8 * 8];
    struct vmbus_gpadl_header gh = {{VMBUS_MSG_GPADL_HEADER, 0}, 1, GPADL, 8 + 8 * 8, 1};
    memcpy(g, &gh, sizeof(gh));
    uint32_t rng[2] = {8 * 4096, 0};
    memcpy(g + sizeof(gh), rng, 8);
    for (uint64_t i = 0; i < 8; i++) {
        uint64_t pfn = RING_PFN + i;
        memcpy(g + sizeof(gh) + 8 + 8 * i, &pfn, 8);
    }
    post(g, sizeof(g));
    struct vmbus_open_channel oc = {{VMBUS_MSG_OPENCHANNEL, 0}, 1, 1, GPADL, 0, 4, {0}};
    post(&oc, sizeof(oc));
    assert_int_equal(vmbus.chan[0].state, CHAN_OPENED);
    seen.packets = 0;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    return 0;
}

/* The guest's ring writer: descriptor (type, data at 8 * offset8), the bytes
 * between (a range list), the data, the trailer; then write_index; then its
 * HvSignalEvent. */
static void guest_send(uint16_t type, const void *between, uint32_t nb, const char *data,
                       uint64_t id)
{
    uint32_t w;
    memcpy(&w, ram + RING_PFN * 4096u, 4);
    uint32_t dlen = (uint32_t)strlen(data), len8 = (16 + nb + dlen + 7) / 8;
    uint8_t *p = ram + IN_DATA + w;
    uint16_t d[4] = {type, (uint16_t)((16 + nb) / 8), (uint16_t)len8, 0};
    memset(p, 0, len8 * 8 + 8);
    memcpy(p, d, 8);
    memcpy(p + 8, &id, 8);
    if (nb)
        memcpy(p + 16, between, nb);
    memcpy(p + 16 + nb, data, dlen);
    uint64_t trailer = (uint64_t)w << 32;
    memcpy(p + len8 * 8, &trailer, 8);
    w += len8 * 8 + 8;
    memcpy(ram + RING_PFN * 4096u, &w, 4);
    assert_int_equal(fake_port_signal(&port, CONN), 0);
}

/* A range list: reserved, count, then (byte_count, byte_offset, pfns...) each. */
static uint32_t ranges(uint8_t *b, uint32_t count, const uint32_t *bc, const uint32_t *bo,
                       const uint32_t *npfn, uint64_t first_pfn)
{
    uint32_t n = 8;
    memset(b, 0, 8);
    memcpy(b + 4, &count, 4);
    for (uint32_t i = 0; i < count; i++) {
        memcpy(b + n, &bc[i], 4);
        memcpy(b + n + 4, &bo[i], 4);
        n += 8;
        for (uint32_t k = 0; k < npfn[i]; k++, n += 8) {
            uint64_t pfn = first_pfn + 10 * i + k;
            memcpy(b + n, &pfn, 8);
        }
    }
    return n;
}

static void gpa_direct_ranges_reach_the_device(void **state)
{
    (void)state;
    uint8_t b[512];
    const uint32_t bc[2] = {3 * 4096 - 100, 200}, bo[2] = {100, 4000}, np[2] = {3, 2};
    uint32_t n = ranges(b, 2, bc, bo, np, 0x40);
    guest_send(VMB_PACKET_TYPE_DATA_GPA_DIRECT, b, n, "scsi-req", 0x1234);
    assert_int_equal(seen.packets, 1);
    assert_int_equal(seen.type, VMB_PACKET_TYPE_DATA_GPA_DIRECT);
    assert_int_equal(seen.len, 8);
    assert_memory_equal(seen.data, "scsi-req", 8);
    assert_int_equal(seen.ranges_st, STATUS_SUCCESS);
    assert_int_equal(seen.count, 2);
    assert_int_equal(seen.r[0].ByteCount, 3 * 4096 - 100);
    assert_int_equal(seen.r[0].ByteOffset, 100);
    assert_int_equal(seen.r[0].PfnCount, 3);
    assert_int_equal(seen.pfns[0], 0x40);
    assert_int_equal(seen.pfns[2], 0x42);
    assert_int_equal(seen.r[1].ByteOffset, 4000);
    assert_int_equal(seen.r[1].PfnCount, 2); /* 4000 + 200 spans two pages */
    /* one slot is too few: told how many */
    assert_int_equal(seen.small_st, STATUS_BUFFER_TOO_SMALL);
    assert_int_equal(seen.small_count, 2);
    /* outside the callback there is no packet */
    VMB_GPA_RANGE r;
    UINT32 count;
    assert_int_equal(VmbChannelPacketGetGpaRanges(ch, &r, 1, &count), STATUS_INVALID_DEVICE_STATE);
    assert_int_equal(VmbChannelPacketGetGpaRanges(NULL, &r, 1, &count), STATUS_INVALID_PARAMETER_1);
}

static void in_band_packets_have_no_ranges(void **state)
{
    (void)state;
    guest_send(VMB_PACKET_TYPE_DATA_INBAND, NULL, 0, "plain!!!", 7);
    assert_int_equal(seen.packets, 1);
    assert_int_equal(seen.ranges_st, STATUS_INVALID_DEVICE_STATE);
}

static void malformed_range_lists_are_the_devices_to_refuse(void **state)
{
    (void)state;
    uint8_t b[512];
    const uint32_t bc[1] = {4096}, bo[1] = {0}, np[1] = {1};
    uint32_t n = ranges(b, 1, bc, bo, np, 0x40);
    struct {
        const char *what;
        uint32_t at, value, len;
    } cases[] = {
        {"no ranges", 4, 0, n},
        {"33 ranges", 4, VMB_MAX_GPA_RANGES + 1, n},
        {"byte count 0", 8, 0, n},
        {"offset beyond the first page", 12, 4096, n},
        {"more PFNs than the list holds", 8, 4097, n},
        {"a range missing", 4, 2, n},
    };
    for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint8_t m[512];
        memcpy(m, b, n);
        memcpy(m + cases[i].at, &cases[i].value, 4);
        /* the data must start 8-aligned: pad what lies between */
        uint32_t len = (cases[i].len + 7) & ~7u;
        memset(m + cases[i].len, 0, len - cases[i].len);
        seen.packets = 0;
        guest_send(VMB_PACKET_TYPE_DATA_GPA_DIRECT, m, len, "req", 9);
        if (seen.packets != 1 || seen.ranges_st != STATUS_INVALID_PARAMETER)
            fail_msg("%s: packets %u status 0x%x", cases[i].what, seen.packets,
                     (unsigned)seen.ranges_st);
    }
    /* and the channel goes on: a good one after them */
    guest_send(VMB_PACKET_TYPE_DATA_GPA_DIRECT, b, n, "ok", 10);
    assert_int_equal(seen.ranges_st, STATUS_SUCCESS);
}

static void completions_reach_the_guest_as_type_11(void **state)
{
    (void)state;
    guest_send(VMB_PACKET_TYPE_DATA_INBAND, NULL, 0, "request!", 0xABCD);
    assert_int_equal(seen.completion_st, STATUS_SUCCESS);
    uint32_t w;
    memcpy(&w, ram + OUT_HDR, 4);
    assert_int_equal(w, 16 + 8 + 8); /* descriptor, "done" padded to 8, trailer */
    uint16_t d[4];
    uint64_t id;
    memcpy(d, ram + OUT_DATA, 8);
    memcpy(&id, ram + OUT_DATA + 8, 8);
    assert_int_equal(d[0], 11);
    assert_int_equal(id, 0xABCD);
    assert_memory_equal(ram + OUT_DATA + 16, "done", 4);
    /* not on a channel that is not open */
    assert_int_equal(VmbChannelSendCompletion(NULL, "x", 1, 1), STATUS_INVALID_PARAMETER_1);
    assert_int_equal(VmbChannelSendCompletion(ch, NULL, 1, 1), STATUS_INVALID_PARAMETER_2);
    assert_int_equal(VmbChannelSendCompletion(ch, "x", VMBUS_MAX_PAYLOAD + 1, 1),
                     STATUS_INVALID_PARAMETER_3);
}

/* The host-to-guest ring's packet at byte off: descriptor words and id. */
static void out_packet(uint32_t off, uint16_t d[4], uint64_t *id)
{
    memcpy(d, ram + OUT_DATA + off, 8);
    memcpy(id, ram + OUT_DATA + off + 8, 8);
}

static void transfer_pages_as_netvsc_reads_them(void **state)
{
    (void)state;
    const VMB_TRANSFER_RANGE r[2] = {{1514, 0}, {60, 6144}};
    assert_int_equal(VmbChannelSendTransferPages(ch, 0xCAFE, r, 2, "nvsp-msg", 8, 0x77),
                     STATUS_SUCCESS);
    uint16_t d[4];
    uint64_t id;
    out_packet(0, d, &id);
    assert_int_equal(d[0], 7); /* VM_PKT_DATA_USING_XFER_PAGES */
    assert_int_equal(d[1], 5); /* data at 40: descriptor, set header, two ranges */
    assert_int_equal(d[2], 6); /* and 8 bytes of it */
    assert_int_equal(d[3], 1); /* completion requested */
    assert_int_equal(id, 0x77);
    uint16_t set;
    uint32_t count, range[4];
    memcpy(&set, ram + OUT_DATA + 16, 2);
    memcpy(&count, ram + OUT_DATA + 20, 4);
    memcpy(range, ram + OUT_DATA + 24, 16);
    assert_int_equal(set, 0xCAFE);
    assert_int_equal(count, 2);
    assert_int_equal(range[0], 1514);
    assert_int_equal(range[1], 0);
    assert_int_equal(range[2], 60);
    assert_int_equal(range[3], 6144);
    assert_memory_equal(ram + OUT_DATA + 40, "nvsp-msg", 8);
    /* refused: no ranges, too many, more than a packet holds */
    assert_int_equal(VmbChannelSendTransferPages(ch, 1, r, 0, "x", 1, 1),
                     STATUS_INVALID_PARAMETER_2);
    assert_int_equal(VmbChannelSendTransferPages(ch, 1, r, VMB_MAX_TRANSFER_RANGES + 1, "x", 1, 1),
                     STATUS_INVALID_PARAMETER_2);
    assert_int_equal(VmbChannelSendTransferPages(ch, 1, r, 2, ram, VMBUS_MAX_PAYLOAD - 23, 1),
                     STATUS_INVALID_PARAMETER_3);
    assert_int_equal(VmbChannelSendTransferPages(NULL, 1, r, 2, "x", 1, 1),
                     STATUS_INVALID_PARAMETER_1);
}

/* A second GPADL of relid 1: pages pfn.. of count, one range from offset. */
static void guest_gpadl(uint32_t handle, uint64_t pfn, uint32_t count, uint32_t bytes,
                        uint32_t offset, uint16_t ranges)
{
    uint8_t g[sizeof(struct vmbus_gpadl_header) + 16 + 8 * 8];
    uint32_t words = ranges * 1 + count;
    struct vmbus_gpadl_header gh = {
        {VMBUS_MSG_GPADL_HEADER, 0}, 1, handle, (uint16_t)(8 * words), ranges};
    memcpy(g, &gh, sizeof(gh));
    uint32_t n = sizeof(gh);
    for (uint16_t r = 0; r < ranges; r++) {
        uint32_t per = count / ranges,
                 rng[2] = {ranges == 1 ? bytes : per * 4096, ranges == 1 ? offset : 0};
        memcpy(g + n, rng, 8);
        n += 8;
        for (uint32_t i = 0; i < per; i++, n += 8) {
            uint64_t p = pfn + r * per + i;
            memcpy(g + n, &p, 8);
        }
    }
    post(g, n);
}

static void gpadls_by_handle(void **state)
{
    (void)state;
    guest_gpadl(0x200, 0x30, 4, 4 * 4096 - 16, 16, 1);
    VMB_GPA_RANGE r;
    assert_int_equal(VmbChannelGetGpadl(ch, 0x200, &r), STATUS_SUCCESS);
    assert_int_equal(r.ByteCount, 4 * 4096 - 16);
    assert_int_equal(r.ByteOffset, 16);
    assert_int_equal(r.PfnCount, 4);
    assert_int_equal(r.Pfns[0], 0x30);
    assert_int_equal(r.Pfns[3], 0x33);
    /* the ring GPADL is one too */
    assert_int_equal(VmbChannelGetGpadl(ch, GPADL, &r), STATUS_SUCCESS);
    assert_int_equal(r.PfnCount, 8);
    /* unknown handle; two ranges; bad handle; no output */
    assert_int_equal(VmbChannelGetGpadl(ch, 0x999, &r), STATUS_INVALID_PARAMETER_2);
    guest_gpadl(0x201, 0x34, 4, 0, 0, 2);
    assert_int_equal(VmbChannelGetGpadl(ch, 0x201, &r), STATUS_INVALID_PARAMETER);
    assert_int_equal(VmbChannelGetGpadl(NULL, 0x200, &r), STATUS_INVALID_PARAMETER_1);
    assert_int_equal(VmbChannelGetGpadl(ch, 0x200, NULL), STATUS_INVALID_PARAMETER_3);
    /* torn down: gone */
    uint32_t td[4] = {VMBUS_MSG_GPADL_TEARDOWN, 0, 1, 0x200};
    post(td, sizeof(td));
    assert_int_equal(VmbChannelGetGpadl(ch, 0x200, &r), STATUS_INVALID_PARAMETER_2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(gpa_direct_ranges_reach_the_device, setup, teardown),
        cmocka_unit_test_setup_teardown(in_band_packets_have_no_ranges, setup, teardown),
        cmocka_unit_test_setup_teardown(malformed_range_lists_are_the_devices_to_refuse, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(completions_reach_the_guest_as_type_11, setup, teardown),
        cmocka_unit_test_setup_teardown(transfer_pages_as_netvsc_reads_them, setup, teardown),
        cmocka_unit_test_setup_teardown(gpadls_by_handle, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
