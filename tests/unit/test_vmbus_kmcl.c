/* The KMCL server API: every status code of the seed function
 * VmbServerChannelInitSetMmioMegabytes and the order of its checks, the
 * KMCL_SERVER_ONLY_METHODS table, handle validation (NULL, forged, stale,
 * reused slot), the state rules of every Init* call, allocation limits,
 * enable validation with nothing left behind on failure, the granted window,
 * an optional-only channel through the allocator, disable/cleanup, and the
 * GUID helpers. Over a fake port: no hv/hyperv file is linked. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "vmbus/kmcl.h"
#include "vmbus/state.h"
#include "vmbus/vmbus.h"

#include "fake_port.h"
#include "fixture.h"

#define RAM_SIZE (256u * 1024)
#define GAP_BASE 0x100000000ull /* 4 GiB: RAM is smaller */

static const GUID type_a = {
    0x57164f39, 0x9115, 0x4e78, {0xab, 0x55, 0x38, 0x2f, 0x3b, 0xd5, 0x42, 0x2d}};
static const GUID inst_a = {
    0x11111111, 0x2222, 0x3333, {0x44, 0x44, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55}};
static const GUID inst_b = {
    0x11111111, 0x2222, 0x3333, {0x44, 0x44, 0x55, 0x55, 0x55, 0x55, 0x55, 0x56}};
static const GUID inst_c = {
    0x11111111, 0x2222, 0x3333, {0x44, 0x44, 0x55, 0x55, 0x55, 0x55, 0x55, 0x57}};
static const GUID inst_d = {
    0x11111111, 0x2222, 0x3333, {0x44, 0x44, 0x55, 0x55, 0x55, 0x55, 0x55, 0x58}};
static const GUID nil;

static struct fake_port port;
static uint8_t ram[RAM_SIZE];

/* A fresh server over the fake port. */
static void restart(void)
{
    const struct vmbus_port p = fake_port_init(&port, ram, sizeof(ram));
    vmbus_init_port(&p);
}

static int setup(void **state)
{
    restart();
    vmbus_mmio_configure(RAM_SIZE, 64);
    log_reset();
    *state = NULL;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    return 0;
}

static VMBCHANNEL alloc(void)
{
    VMBCHANNEL ch = NULL;
    assert_int_equal(VmbChannelAllocate(NULL, TRUE, &ch), STATUS_SUCCESS);
    assert_non_null(ch);
    return ch;
}

/* A channel ready to enable: GUIDs set. */
static VMBCHANNEL configured(const GUID *inst)
{
    VMBCHANNEL ch = alloc();
    assert_int_equal(VmbServerChannelInitSetTargetInterfaceId(ch, &type_a, inst), STATUS_SUCCESS);
    return ch;
}

static VMBCHANNEL forged(void)
{
    return (VMBCHANNEL)(uintptr_t)0xdeadbeef;
}

/* The same slot and tag, another generation. */
static VMBCHANNEL other_generation(VMBCHANNEL ch)
{
    return (VMBCHANNEL)((uintptr_t)ch ^ ((uintptr_t)1 << 20));
}

static void seed_status_codes_and_order(void **state)
{
    (void)state;
    /* _1 first: a bad handle wins over both-zero */
    assert_int_equal(VmbServerChannelInitSetMmioMegabytes(NULL, 0, 0), STATUS_INVALID_PARAMETER_1);
    assert_int_equal(VmbServerChannelInitSetMmioMegabytes(NULL, 1, 1), STATUS_INVALID_PARAMETER_1);
    assert_int_equal(VmbServerChannelInitSetMmioMegabytes(forged(), 0, 0),
                     STATUS_INVALID_PARAMETER_1);
    VMBCHANNEL ch = configured(&inst_a);
    assert_int_equal(VmbServerChannelInitSetMmioMegabytes(other_generation(ch), 1, 0),
                     STATUS_INVALID_PARAMETER_1);
    /* INITIALIZING: both zero refused, any non-zero pair recorded */
    assert_int_equal(VmbServerChannelInitSetMmioMegabytes(ch, 0, 0), STATUS_INVALID_PARAMETER);
    assert_int_equal(VmbServerChannelInitSetMmioMegabytes(ch, 1, 0), STATUS_SUCCESS);
    assert_int_equal(VmbServerChannelInitSetMmioMegabytes(ch, 0, 1), STATUS_SUCCESS);
    assert_int_equal(VmbServerChannelInitSetMmioMegabytes(ch, 65535, 65535), STATUS_SUCCESS);
    /* the last call before enable wins */
    assert_int_equal(VmbServerChannelInitSetMmioMegabytes(ch, 8, 4), STATUS_SUCCESS);
    assert_int_equal(VmbServerChannelInitSetMmioMegabytes(ch, 2, 1), STATUS_SUCCESS);
    log_reset();
    assert_int_equal(VmbChannelEnable(ch), STATUS_SUCCESS);
    assert_non_null(strstr(logbuf, "hv: mmio: channel1 required=2MiB optional=1MiB granted=1MiB "
                                   "at 0x100000000\n"));
    UINT64 base, size;
    VmbChannelGetMmioSpace(ch, &base, &size);
    assert_int_equal(base, GAP_BASE);
    assert_int_equal(size, 3u << 20);
    /* ENABLED, DISABLED, cleaned up: _1, before the both-zero check */
    assert_int_equal(VmbServerChannelInitSetMmioMegabytes(ch, 0, 0), STATUS_INVALID_PARAMETER_1);
    assert_int_equal(VmbServerChannelInitSetMmioMegabytes(ch, 4, 0), STATUS_INVALID_PARAMETER_1);
    VmbChannelDisable(ch);
    assert_int_equal(VmbServerChannelInitSetMmioMegabytes(ch, 0, 0), STATUS_INVALID_PARAMETER_1);
    assert_int_equal(VmbServerChannelInitSetMmioMegabytes(ch, 4, 0), STATUS_INVALID_PARAMETER_1);
    VmbChannelCleanup(ch);
    assert_int_equal(VmbServerChannelInitSetMmioMegabytes(ch, 0, 0), STATUS_INVALID_PARAMETER_1);
    assert_int_equal(VmbServerChannelInitSetMmioMegabytes(ch, 4, 0), STATUS_INVALID_PARAMETER_1);
}

/* The member has exactly the seed's type (as a pointer, which is all C allows). */
_Static_assert(_Generic(KmclServerOnlyMethods.VmbServerChannelInitSetMmioMegabytes,
                        FN_VMB_SERVER_CHANNEL_INIT_SET_MMIO_MEGABYTES * : 1, default : 0),
               "VmbServerChannelInitSetMmioMegabytes member type");
_Static_assert(_Generic(&VmbServerChannelInitSetMmioMegabytes,
                        NTSTATUS (*)(VMBCHANNEL, UINT16, UINT16) : 1, default : 0),
               "the seed's prototype");

static void server_only_methods_table(void **state)
{
    (void)state;
    const KMCL_SERVER_ONLY_METHODS *m = &KmclServerOnlyMethods;
    assert_ptr_equal(m->VmbServerChannelInitSetMmioMegabytes, VmbServerChannelInitSetMmioMegabytes);
    assert_ptr_equal(m->VmbServerChannelInitSetTargetInterfaceId,
                     VmbServerChannelInitSetTargetInterfaceId);
    assert_ptr_equal(m->VmbServerChannelInitSetUserDefinedData,
                     VmbServerChannelInitSetUserDefinedData);
    assert_ptr_equal(m->VmbServerChannelInitSetPrepareOfferCallback,
                     VmbServerChannelInitSetPrepareOfferCallback);
    VMBCHANNEL ch = alloc();
    assert_int_equal(m->VmbServerChannelInitSetMmioMegabytes(NULL, 0, 0),
                     STATUS_INVALID_PARAMETER_1);
    assert_int_equal(m->VmbServerChannelInitSetMmioMegabytes(ch, 0, 0), STATUS_INVALID_PARAMETER);
    assert_int_equal(m->VmbServerChannelInitSetMmioMegabytes(ch, 3, 0), STATUS_SUCCESS);
    assert_int_equal(m->VmbServerChannelInitSetTargetInterfaceId(ch, &type_a, &inst_a),
                     STATUS_SUCCESS);
}

static void allocate_rules(void **state)
{
    (void)state;
    VMBCHANNEL ch = (VMBCHANNEL)(uintptr_t)1;
    assert_int_equal(VmbChannelAllocate(NULL, FALSE, &ch), STATUS_INVALID_PARAMETER_2);
    assert_int_equal(VmbChannelAllocate(NULL, TRUE, NULL), STATUS_INVALID_PARAMETER_3);
    VMBCHANNEL all[VMBUS_MAX_CHANNELS];
    int parent;
    for (unsigned i = 0; i < VMBUS_MAX_CHANNELS; i++)
        assert_int_equal(VmbChannelAllocate(&parent, TRUE, &all[i]), STATUS_SUCCESS);
    assert_ptr_equal(VmbChannelGetPointer(all[5]), &parent);
    assert_int_equal(VmbChannelAllocate(NULL, TRUE, &ch), STATUS_INSUFFICIENT_RESOURCES);
    assert_null(ch);
    /* a freed slot is reused, and the old handle to it stays dead */
    VmbChannelCleanup(all[3]);
    assert_int_equal(VmbChannelAllocate(NULL, TRUE, &ch), STATUS_SUCCESS);
    assert_true(ch != all[3]);
    assert_null(VmbChannelGetPointer(all[3]));
    assert_int_equal(VmbServerChannelInitSetMmioMegabytes(all[3], 1, 0),
                     STATUS_INVALID_PARAMETER_1);
    assert_int_equal(VmbServerChannelInitSetMmioMegabytes(ch, 1, 0), STATUS_SUCCESS);
    assert_null(VmbChannelGetPointer(ch));
    /* a handle from before vmbus_init is stale too */
    restart();
    VMBCHANNEL fresh = alloc();
    assert_true(fresh != all[0]);
    assert_int_equal(VmbServerChannelInitSetMmioMegabytes(all[0], 1, 0),
                     STATUS_INVALID_PARAMETER_1);
}

static NTSTATUS opened_ok(VMBCHANNEL ch)
{
    (void)ch;
    return STATUS_SUCCESS;
}

static void closed_cb(VMBCHANNEL ch)
{
    (void)ch;
}

static void packet_cb(VMBCHANNEL ch, const VOID *buf, UINT32 len, UINT16 type, UINT64 id)
{
    (void)ch, (void)buf, (void)len, (void)type, (void)id;
}

static void prepare_cb(VMBCHANNEL ch, UINT8 *user)
{
    UINT64 base = 1, size = 1;
    VmbChannelGetMmioSpace(ch, &base, &size);
    memcpy(user, &base, 8);
    memcpy(user + 8, &size, 8);
}

/* Calls every Init* on ch and checks each answers want. */
static void all_init_calls(VMBCHANNEL ch, NTSTATUS want)
{
    VMB_CHANNEL_STATE_CHANGE_CALLBACKS cb = {opened_ok, closed_cb};
    assert_int_equal(VmbChannelInitSetFriendlyName(ch, "x"), want);
    assert_int_equal(VmbChannelInitSetStateChangeCallbacks(ch, &cb), want);
    assert_int_equal(VmbChannelInitSetProcessPacketCallback(ch, packet_cb), want);
    assert_int_equal(VmbServerChannelInitSetTargetInterfaceId(ch, &type_a, &inst_b), want);
    assert_int_equal(VmbServerChannelInitSetMmioMegabytes(ch, 1, 1), want);
    assert_int_equal(VmbServerChannelInitSetUserDefinedData(ch, "u", 1), want);
    assert_int_equal(VmbServerChannelInitSetPrepareOfferCallback(ch, prepare_cb), want);
}

static void init_calls_only_while_initializing(void **state)
{
    (void)state;
    all_init_calls(NULL, STATUS_INVALID_PARAMETER_1);
    all_init_calls(forged(), STATUS_INVALID_PARAMETER_1);
    VMBCHANNEL ch = configured(&inst_a);
    all_init_calls(other_generation(ch), STATUS_INVALID_PARAMETER_1);
    all_init_calls(ch, STATUS_SUCCESS);
    assert_int_equal(VmbServerChannelInitSetTargetInterfaceId(ch, &type_a, &inst_a),
                     STATUS_SUCCESS);
    assert_int_equal(VmbChannelEnable(ch), STATUS_SUCCESS);
    all_init_calls(ch, STATUS_INVALID_PARAMETER_1);
    assert_int_equal(VmbChannelEnable(ch), STATUS_INVALID_PARAMETER_1); /* once only */
    VmbChannelDisable(ch);
    all_init_calls(ch, STATUS_INVALID_PARAMETER_1);
    assert_int_equal(VmbChannelEnable(ch), STATUS_INVALID_PARAMETER_1);
    VmbChannelCleanup(ch);
    all_init_calls(ch, STATUS_INVALID_PARAMETER_1);
    assert_int_equal(VmbChannelEnable(ch), STATUS_INVALID_PARAMETER_1);
    /* a disabled channel that never was enabled */
    VMBCHANNEL d = alloc();
    VmbChannelDisable(d);
    all_init_calls(d, STATUS_INVALID_PARAMETER_1);
}

static void init_parameter_checks(void **state)
{
    (void)state;
    VMBCHANNEL ch = alloc();
    assert_int_equal(VmbChannelInitSetFriendlyName(ch, NULL), STATUS_INVALID_PARAMETER_2);
    assert_int_equal(VmbChannelInitSetFriendlyName(ch, ""), STATUS_INVALID_PARAMETER_2);
    assert_int_equal(VmbChannelInitSetFriendlyName(ch, "two words"), STATUS_INVALID_PARAMETER_2);
    assert_int_equal(VmbChannelInitSetFriendlyName(ch, "0123456789abcdef0123456789abcdef"),
                     STATUS_INVALID_PARAMETER_2); /* 32 characters */
    assert_int_equal(VmbChannelInitSetFriendlyName(ch, "0123456789abcdef0123456789abcde"),
                     STATUS_SUCCESS);
    assert_int_equal(VmbChannelInitSetFriendlyName(ch, "test-0.a_b"), STATUS_SUCCESS);
    assert_int_equal(VmbChannelInitSetStateChangeCallbacks(ch, NULL), STATUS_INVALID_PARAMETER_2);
    assert_int_equal(VmbChannelInitSetProcessPacketCallback(ch, NULL), STATUS_SUCCESS);
    assert_int_equal(VmbServerChannelInitSetTargetInterfaceId(ch, NULL, &inst_a),
                     STATUS_INVALID_PARAMETER_2);
    assert_int_equal(VmbServerChannelInitSetTargetInterfaceId(ch, &nil, &inst_a),
                     STATUS_INVALID_PARAMETER_2);
    assert_int_equal(VmbServerChannelInitSetTargetInterfaceId(ch, &type_a, NULL),
                     STATUS_INVALID_PARAMETER_3);
    assert_int_equal(VmbServerChannelInitSetTargetInterfaceId(ch, &type_a, &nil),
                     STATUS_INVALID_PARAMETER_3);
    uint8_t data[121];
    memset(data, 0xAB, sizeof(data));
    assert_int_equal(VmbServerChannelInitSetUserDefinedData(ch, NULL, 1),
                     STATUS_INVALID_PARAMETER_2);
    assert_int_equal(VmbServerChannelInitSetUserDefinedData(ch, data, 121),
                     STATUS_INVALID_PARAMETER_3);
    assert_int_equal(VmbServerChannelInitSetUserDefinedData(ch, data, 120), STATUS_SUCCESS);
    assert_int_equal(VmbServerChannelInitSetUserDefinedData(ch, data, 4), STATUS_SUCCESS);
    const struct vmbus_channel *c = &vmbus.chan[0];
    assert_int_equal(c->user[3], 0xAB);
    assert_int_equal(c->user[4], 0); /* the rest cleared */
    assert_int_equal(VmbServerChannelInitSetUserDefinedData(ch, NULL, 0), STATUS_SUCCESS);
    assert_int_equal(c->user[0], 0);
    assert_int_equal(VmbServerChannelInitSetPrepareOfferCallback(ch, NULL), STATUS_SUCCESS);
}

static void enable_failures_leave_nothing(void **state)
{
    (void)state;
    VMBCHANNEL ch = alloc();
    assert_int_equal(VmbChannelInitSetFriendlyName(ch, "dev"), STATUS_SUCCESS);
    log_reset();
    assert_int_equal(VmbChannelEnable(ch), STATUS_INVALID_DEVICE_STATE);
    assert_string_equal(logbuf, "hv: vmbus: dev: enable failed: interface GUIDs not set "
                                "(status 0xc0000184)\n");
    /* still INITIALIZING */
    assert_int_equal(VmbServerChannelInitSetTargetInterfaceId(ch, &type_a, &inst_a),
                     STATUS_SUCCESS);
    assert_int_equal(VmbServerChannelInitSetMmioMegabytes(ch, 65, 0), STATUS_SUCCESS);
    log_reset();
    assert_int_equal(VmbChannelEnable(ch), STATUS_INSUFFICIENT_RESOURCES);
    assert_string_equal(logbuf, "hv: mmio: dev required=65MiB optional=0MiB failed: no free 65MiB "
                                "window aligned to 64MiB in the 64MiB gap (largest free extent "
                                "64MiB) status=0xc000009a\n"
                                "hv: vmbus: dev: enable failed: MMIO window does not fit "
                                "(status 0xc000009a)\n");
    assert_int_equal(vmbus.gap.count, 0);
    UINT64 base = 1, size = 1;
    VmbChannelGetMmioSpace(ch, &base, &size);
    assert_int_equal(base, 0);
    assert_int_equal(size, 0);
    /* a smaller request now fits, the 64 MiB gap fully */
    assert_int_equal(VmbServerChannelInitSetMmioMegabytes(ch, 32, 40), STATUS_SUCCESS);
    assert_int_equal(VmbChannelEnable(ch), STATUS_SUCCESS);
    VmbChannelGetMmioSpace(ch, &base, &size);
    assert_int_equal(base, GAP_BASE);
    assert_int_equal(size, 64u << 20);
    /* another channel with the same instance GUID */
    VMBCHANNEL twin = configured(&inst_a);
    log_reset();
    assert_int_equal(VmbChannelEnable(twin), STATUS_INVALID_DEVICE_STATE);
    assert_string_equal(logbuf, "hv: vmbus: channel2: enable failed: instance GUID already "
                                "offered by another channel (status 0xc0000184)\n");
    /* once the first is gone (never offered: its relid is free at once), it may */
    VmbChannelCleanup(ch);
    assert_int_equal(vmbus.gap.count, 0);
    assert_int_equal(VmbChannelEnable(twin), STATUS_SUCCESS);
}

static void granted_window_and_prepare_offer(void **state)
{
    (void)state;
    VMBCHANNEL a = configured(&inst_a);
    assert_int_equal(VmbServerChannelInitSetMmioMegabytes(a, 16, 0), STATUS_SUCCESS);
    VMBCHANNEL b = configured(&inst_b);
    assert_int_equal(VmbServerChannelInitSetMmioMegabytes(b, 8, 100), STATUS_SUCCESS);
    assert_int_equal(VmbServerChannelInitSetUserDefinedData(b, "keep", 4), STATUS_SUCCESS);
    assert_int_equal(VmbServerChannelInitSetPrepareOfferCallback(b, prepare_cb), STATUS_SUCCESS);
    UINT64 base = 1, size = 1;
    VmbChannelGetMmioSpace(b, &base, &size); /* nothing before enable */
    assert_int_equal(base, 0);
    assert_int_equal(size, 0);
    assert_int_equal(VmbChannelEnable(a), STATUS_SUCCESS);
    assert_int_equal(VmbChannelEnable(b), STATUS_SUCCESS);
    VmbChannelGetMmioSpace(b, &base, NULL);
    VmbChannelGetMmioSpace(b, NULL, &size);
    assert_int_equal(base, GAP_BASE + (16u << 20));
    assert_int_equal(size, 48u << 20); /* 8 required + 40 of the 100 optional */
    /* the callback saw the same window and wrote it into the offer's bytes */
    const struct vmbus_channel *c = &vmbus.chan[1];
    uint64_t ub, us;
    memcpy(&ub, c->user, 8);
    memcpy(&us, c->user + 8, 8);
    assert_int_equal(ub, base);
    assert_int_equal(us, size);
    /* disabling frees the window: a's 16 MiB go to the next comer */
    log_reset();
    VmbChannelDisable(a);
    assert_string_equal(logbuf, "hv: mmio: channel1 released 16MiB at 0x100000000\n"
                                "hv: vmbus: channel1 disabled\n");
    VmbChannelGetMmioSpace(a, &base, &size);
    assert_int_equal(size, 0);
    log_reset();
    VmbChannelDisable(a); /* again: nothing more happens */
    assert_string_equal(logbuf, "");
    VMBCHANNEL c3 = alloc();
    assert_int_equal(VmbServerChannelInitSetTargetInterfaceId(c3, &type_a, &inst_a),
                     STATUS_SUCCESS);
    assert_int_equal(VmbServerChannelInitSetMmioMegabytes(c3, 16, 0), STATUS_SUCCESS);
    assert_int_equal(VmbChannelEnable(c3), STATUS_SUCCESS);
    VmbChannelGetMmioSpace(c3, &base, &size);
    assert_int_equal(base, GAP_BASE);
    /* cleanup of an enabled channel disables it first */
    VmbChannelCleanup(b);
    assert_int_equal(vmbus.gap.count, 1);
}

/* A channel that asks only for optional megabytes (VmbServerChannelInitSetMmioMegabytes(ch,
 * 0, N): the seed allows it) goes through the allocator at enable like any other: it gets the
 * lowest free MiB and what fits after it, the device sees that window from its prepare-offer
 * callback, disable frees it, and the automatic gap size counts it. */
static void optional_only_channel_gets_a_window(void **state)
{
    (void)state;
    VMBCHANNEL a = configured(&inst_a);
    assert_int_equal(VmbServerChannelInitSetMmioMegabytes(a, 16, 0), STATUS_SUCCESS);
    assert_int_equal(VmbChannelEnable(a), STATUS_SUCCESS);
    VMBCHANNEL b = configured(&inst_b);
    assert_int_equal(VmbChannelInitSetFriendlyName(b, "opt"), STATUS_SUCCESS);
    assert_int_equal(VmbServerChannelInitSetMmioMegabytes(b, 0, 8), STATUS_SUCCESS);
    assert_int_equal(VmbServerChannelInitSetPrepareOfferCallback(b, prepare_cb), STATUS_SUCCESS);
    log_reset();
    assert_int_equal(VmbChannelEnable(b), STATUS_SUCCESS);
    assert_string_equal(logbuf, "hv: mmio: opt required=0MiB optional=8MiB granted=8MiB at "
                                "0x101000000\n"
                                "hv: vmbus: opt enabled as relid 2\n");
    assert_int_equal(vmbus.gap.count, 2);
    UINT64 base = 0, size = 0;
    VmbChannelGetMmioSpace(b, &base, &size);
    assert_int_equal(base, GAP_BASE + (16u << 20));
    assert_int_equal(size, 8u << 20);
    uint64_t ub, us; /* what the prepare-offer callback saw */
    memcpy(&ub, vmbus.chan[1].user, 8);
    memcpy(&us, vmbus.chan[1].user + 8, 8);
    assert_int_equal(ub, base);
    assert_int_equal(us, size);
    /* a second one takes the rest of the 64 MiB gap: 40 of its 100 */
    VMBCHANNEL c = alloc();
    GUID inst_c = inst_b;
    inst_c.Data4[7]++;
    assert_int_equal(VmbServerChannelInitSetTargetInterfaceId(c, &type_a, &inst_c), STATUS_SUCCESS);
    assert_int_equal(VmbServerChannelInitSetMmioMegabytes(c, 0, 100), STATUS_SUCCESS);
    assert_int_equal(VmbChannelEnable(c), STATUS_SUCCESS);
    VmbChannelGetMmioSpace(c, &base, &size);
    assert_int_equal(base, GAP_BASE + (24u << 20));
    assert_int_equal(size, 40u << 20);
    assert_int_equal(mmio_largest_free(&vmbus.gap), 0);
    /* disabling frees it: the next optional-only request lands in its hole */
    log_reset();
    VmbChannelDisable(b);
    assert_string_equal(logbuf, "hv: mmio: opt released 8MiB at 0x101000000\n"
                                "hv: vmbus: opt disabled\n");
    assert_int_equal(vmbus.gap.count, 2);
    VmbChannelGetMmioSpace(b, &base, &size);
    assert_int_equal(size, 0);
    VMBCHANNEL d = alloc();
    GUID inst_d = inst_c;
    inst_d.Data4[7]++;
    assert_int_equal(VmbServerChannelInitSetTargetInterfaceId(d, &type_a, &inst_d), STATUS_SUCCESS);
    assert_int_equal(VmbServerChannelInitSetMmioMegabytes(d, 0, 4), STATUS_SUCCESS);
    assert_int_equal(VmbChannelEnable(d), STATUS_SUCCESS);
    VmbChannelGetMmioSpace(d, &base, &size);
    assert_int_equal(base, GAP_BASE + (16u << 20));
    assert_int_equal(size, 4u << 20);

    /* an automatically sized gap counts an optional-only request */
    restart();
    VMBCHANNEL e = configured(&inst_a);
    assert_int_equal(VmbServerChannelInitSetMmioMegabytes(e, 0, 100), STATUS_SUCCESS);
    log_reset();
    vmbus_mmio_configure(RAM_SIZE, 0);
    assert_string_equal(logbuf, "hv: mmio: high gap 0x100000000-0x107ffffff (128MiB, sized from "
                                "the requests)\n");
    assert_int_equal(VmbChannelEnable(e), STATUS_SUCCESS);
    VmbChannelGetMmioSpace(e, &base, &size);
    assert_int_equal(base, GAP_BASE);
    assert_int_equal(size, 100u << 20);
}

static void bad_handles_are_detected(void **state)
{
    (void)state;
    VMBCHANNEL ch = configured(&inst_a);
    VmbChannelCleanup(ch);
    log_reset();
    UINT64 base = 7, size = 7;
    VmbChannelGetMmioSpace(ch, &base, &size);
    assert_int_equal(base, 0);
    assert_int_equal(size, 0);
    VmbChannelDisable(ch);
    VmbChannelCleanup(ch);
    VmbChannelDisable(NULL);
    VmbChannelCleanup(forged());
    assert_null(VmbChannelGetPointer(forged()));
    assert_int_equal(VmbChannelEnable(forged()), STATUS_INVALID_PARAMETER_1);
    const char *p = logbuf;
    unsigned lines = 0;
    while ((p = strstr(p, "invalid channel handle")) != NULL) {
        lines++;
        p++;
    }
    assert_int_equal(lines, 5);
    assert_non_null(strstr(logbuf, "hv: vmbus: VmbChannelGetMmioSpace: invalid channel handle "));
    assert_non_null(strstr(logbuf, "hv: vmbus: VmbChannelCleanup: invalid channel handle "));
    /* the slot was reused meanwhile? still detected */
    VMBCHANNEL again = alloc();
    assert_true(again != ch);
    assert_int_equal(VmbServerChannelInitSetMmioMegabytes(ch, 1, 0), STATUS_INVALID_PARAMETER_1);
}

static void auto_sized_gap_from_configured_channels(void **state)
{
    (void)state;
    restart();
    VMBCHANNEL a = configured(&inst_a), b = configured(&inst_b);
    assert_int_equal(VmbServerChannelInitSetMmioMegabytes(a, 1, 0), STATUS_SUCCESS);
    assert_int_equal(VmbServerChannelInitSetMmioMegabytes(b, 33, 30), STATUS_SUCCESS);
    alloc(); /* no MMIO: not counted */
    log_reset();
    vmbus_mmio_configure(5ull << 30, 0); /* RAM above 4 GiB: the gap starts at 5 GiB */
    assert_string_equal(logbuf, "hv: mmio: high gap 0x140000000-0x147ffffff (128MiB, sized from "
                                "the requests)\n");
    uint64_t base, size;
    vmbus_mmio_gap(&base, &size);
    assert_int_equal(base, 5ull << 30);
    assert_int_equal(size, 128u << 20);
    assert_int_equal(VmbChannelEnable(a), STATUS_SUCCESS);
    assert_int_equal(VmbChannelEnable(b), STATUS_SUCCESS);
    UINT64 wb, ws;
    VmbChannelGetMmioSpace(b, &wb, &ws);
    assert_int_equal(ws, 63u << 20); /* all of it */
    log_reset();
    vmbus_mmio_configure(RAM_SIZE, 300);
    assert_string_equal(logbuf, "hv: mmio: high gap 0x100000000-0x112bfffff (300MiB, "
                                "mmio_high_mb)\n");
}

/* A frame-buffer channel gets the whole region the guest reserves at the low
 * range's base (Linux's rule), never a high-gap window, and leaves the gap's
 * automatic size alone. */
static void framebuffer_region(void **state)
{
    (void)state;
    restart();
    VMBCHANNEL fb = configured(&inst_a), other = configured(&inst_b), none = alloc();
    assert_int_equal(VmbServerChannelInitSetMmioFramebuffer(forged()), STATUS_INVALID_PARAMETER_1);
    assert_int_equal(VmbServerChannelInitSetMmioFramebuffer(fb), STATUS_SUCCESS);
    assert_int_equal(VmbServerChannelInitSetMmioMegabytes(fb, 8, 0), STATUS_SUCCESS);
    assert_int_equal(VmbServerChannelInitSetMmioMegabytes(other, 1, 0), STATUS_SUCCESS);
    vmbus_mmio_configure(RAM_SIZE, 0);
    uint64_t gb, gs;
    vmbus_mmio_gap(&gb, &gs);
    assert_int_equal(gs, 64u << 20); /* the minimum: the 8 MiB are not counted */
    vmbus_mmio_framebuffer(0xf8000000);
    log_reset();
    assert_int_equal(VmbChannelEnable(fb), STATUS_SUCCESS);
    assert_non_null(strstr(logbuf, "required=8MiB granted the frame-buffer region "
                                   "0xf8000000-0xfbffffff (the guest places it)\n"));
    UINT64 base, size;
    VmbChannelGetMmioSpace(fb, &base, &size);
    assert_int_equal(base, 0xf8000000);
    assert_int_equal(size, 64u << 20); /* min((4 GiB - base) / 2, 128 MiB) */
    assert_int_equal(VmbChannelEnable(other), STATUS_SUCCESS);
    VmbChannelGetMmioSpace(other, &base, &size);
    assert_int_equal(base, GAP_BASE);

    /* one channel per region; one that does not fit; one without megabytes */
    VMBCHANNEL second = configured(&inst_c);
    assert_int_equal(VmbServerChannelInitSetMmioFramebuffer(second), STATUS_SUCCESS);
    assert_int_equal(VmbServerChannelInitSetMmioMegabytes(second, 4, 0), STATUS_SUCCESS);
    log_reset();
    assert_int_equal(VmbChannelEnable(second), STATUS_INSUFFICIENT_RESOURCES);
    assert_non_null(strstr(logbuf, "failed: the 64MiB frame-buffer region is taken by another "
                                   "channel status=0xc000009a\n"));
    VmbChannelDisable(fb); /* released: the next one may have it */
    assert_non_null(strstr(logbuf, "released the frame-buffer region at 0xf8000000\n"));
    assert_int_equal(VmbServerChannelInitSetMmioMegabytes(second, 65, 0), STATUS_SUCCESS);
    log_reset();
    assert_int_equal(VmbChannelEnable(second), STATUS_INSUFFICIENT_RESOURCES);
    assert_non_null(strstr(logbuf, "the 64MiB frame-buffer region is too small"));
    assert_int_equal(VmbServerChannelInitSetMmioMegabytes(second, 64, 0), STATUS_SUCCESS);
    assert_int_equal(VmbChannelEnable(second), STATUS_SUCCESS);
    assert_int_equal(VmbServerChannelInitSetMmioFramebuffer(none), STATUS_SUCCESS);
    assert_int_equal(VmbServerChannelInitSetTargetInterfaceId(none, &type_a, &inst_d),
                     STATUS_SUCCESS);
    assert_int_equal(VmbChannelEnable(none), STATUS_INVALID_DEVICE_STATE);

    /* a low range at or above 4 GiB has no region */
    struct mmio_fb r;
    mmio_fb_init(&r, 0x100000000ull);
    assert_int_equal(r.size, 0);
    struct mmio_window w;
    log_reset();
    assert_false(mmio_reserve_fb(&r, "fb", 8, STATUS_INSUFFICIENT_RESOURCES, &w));
    assert_non_null(strstr(logbuf, "the 0MiB frame-buffer region is absent status="));
    mmio_fb_init(&r, 0xc0000000);
    assert_int_equal(r.size, 128u << 20); /* capped */
}

static void guid_helpers(void **state)
{
    (void)state;
    char text[GUID_TEXT_SIZE];
    guid_format(&type_a, text);
    assert_string_equal(text, "57164f39-9115-4e78-ab55-382f3bd5422d");
    const uint8_t wire[16] = {0x39, 0x4f, 0x16, 0x57, 0x15, 0x91, 0x78, 0x4e,
                              0xab, 0x55, 0x38, 0x2f, 0x3b, 0xd5, 0x42, 0x2d};
    assert_memory_equal(&type_a, wire, 16); /* the contract's on-wire bytes */
    assert_true(guid_is_nil(&nil));
    assert_false(guid_is_nil(&inst_a));
    assert_false(guid_equal(&inst_a, &inst_b));
    GUID g1, g2, g3, g4;
    guid_from_name(&g1, &type_a, "test0");
    guid_from_name(&g2, &type_a, "test0");
    guid_from_name(&g3, &type_a, "test1");
    guid_from_name(&g4, &inst_a, "test0");
    assert_true(guid_equal(&g1, &g2));
    assert_false(guid_equal(&g1, &g3));
    assert_false(guid_equal(&g1, &g4));
    guid_format(&g1, text);
    assert_int_equal(text[14], '8');               /* version 8 */
    assert_true(strchr("89ab", text[19]) != NULL); /* variant 10 */
    assert_false(guid_is_nil(&g1));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(seed_status_codes_and_order, setup, teardown),
        cmocka_unit_test_setup_teardown(server_only_methods_table, setup, teardown),
        cmocka_unit_test_setup_teardown(allocate_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(init_calls_only_while_initializing, setup, teardown),
        cmocka_unit_test_setup_teardown(init_parameter_checks, setup, teardown),
        cmocka_unit_test_setup_teardown(enable_failures_leave_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(granted_window_and_prepare_offer, setup, teardown),
        cmocka_unit_test_setup_teardown(optional_only_channel_gets_a_window, setup, teardown),
        cmocka_unit_test_setup_teardown(bad_handles_are_detected, setup, teardown),
        cmocka_unit_test_setup_teardown(framebuffer_region, setup, teardown),
        cmocka_unit_test_setup_teardown(auto_sized_gap_from_configured_channels, setup, teardown),
        cmocka_unit_test(guid_helpers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
