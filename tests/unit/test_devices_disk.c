/* The disk kind (hv/devices/disk.c) over the fake KMCL: its channel (the SCSI
 * class), completions for every VSTOR request, a guest's write and read
 * through GPA-direct page ranges landing in and coming from the RAM backing,
 * and what it does with a malformed range list or a page outside guest RAM;
 * with two VPs one sub-channel granted, and requests on it served by the
 * same backend and completed on it.
 * The VSTOR protocol and the SCSI target have their own tests
 * (test_devices_storvsc, test_devices_scsi). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "devices/devices.h"
#include "devices/storvsc_wire.h"
#include "guest_mem.h"
#include "lib/config.h"
#include "lib/heap.h"

#include "fake_kmcl.h"
#include "fixture.h"

#define RAM_PAGES 16u

static struct hv_config cfg;
static _Alignas(4096) uint8_t ram[RAM_PAGES * 4096];
static struct guest_mem gm = {ram, sizeof(ram)};
static struct heap heap;
static VMBCHANNEL ch;
static uint64_t next_id = 1;
static uint32_t vps; /* the guest's, for the next setup */

static int setup(void **state)
{
    (void)state;
    fake_kmcl_reset();
    log_reset();
    static void *heap_mem;
    if (!heap_mem)
        heap_mem = aligned_alloc(4096, 2u << 20);
    heap = (struct heap){(uint64_t)(uintptr_t)heap_mem, 2u << 20, 0};
    static const char text[] = "device = disk name=scratch backing=ram:1\n";
    struct config_error err;
    config_defaults(&cfg);
    assert_int_equal(config_parse(text, sizeof(text) - 1, &cfg, &err), 0);
    assert_int_equal(devices_parse(&cfg), 0);
    static struct device_env env;
    env = (struct device_env){.gm = &gm, .heap = &heap, .vps = vps};
    assert_int_equal(devices_create(&env), 0);
    ch = (VMBCHANNEL)(uintptr_t)1; /* fake_kmcl: slot 0 */
    struct fake_channel *c = fake_channel(ch);
    static const GUID scsi = VSTOR_SCSI_GUID;
    assert_memory_equal(&c->type, &scsi, sizeof(scsi));
    c->open = true;
    assert_int_equal(c->cb.EvtChannelOpened(ch), STATUS_SUCCESS);
    return 0;
}

/* One VSTOR packet; returns the completion that answered it. */
static const struct vstor_packet *request(struct vstor_packet *p, UINT16 type)
{
    struct fake_channel *c = fake_channel(ch);
    unsigned before = c->nsent;
    uint64_t id = next_id++;
    c->process(ch, p, sizeof(*p), type, id);
    assert_int_equal(c->nsent, before + 1);
    const struct fake_sent *s = fake_last_sent(ch);
    assert_true(s->completion);
    assert_int_equal(s->id, id);
    return (const struct vstor_packet *)s->data;
}

/* With one VP (the other tests): no sub-channels offered. */
static void handshake(void)
{
    static const uint32_t ops[] = {VSTOR_OP_BEGIN_INITIALIZATION, VSTOR_OP_QUERY_PROTOCOL_VERSION,
                                   VSTOR_OP_QUERY_PROPERTIES, VSTOR_OP_END_INITIALIZATION};
    for (unsigned i = 0; i < 4; i++) {
        struct vstor_packet p = {0};
        p.hdr.operation = ops[i];
        p.version.major_minor = VSTOR_VERSION_WIN10;
        const struct vstor_packet *a = request(&p, VMB_PACKET_TYPE_DATA_INBAND);
        assert_int_equal(a->hdr.status, 0);
        if (ops[i] == VSTOR_OP_QUERY_PROPERTIES)
            assert_int_equal(a->properties.flags & VSTOR_PROP_MULTI_CHANNEL, 0);
    }
}

/* READ(10) or WRITE(10) of one sector at lba, data in guest page `page`. */
static const struct vstor_packet *rw(bool write, uint32_t lba, uint64_t pfn, uint32_t nranges)
{
    struct vstor_packet p = {0};
    p.hdr.operation = VSTOR_OP_EXECUTE_SRB;
    p.srb.length = sizeof(struct vmscsi_request);
    p.srb.cdb_length = 10;
    p.srb.data_in = write ? VSTOR_DATA_OUT : VSTOR_DATA_IN;
    p.srb.data_transfer_length = 512;
    p.srb.sense_info_length = VSTOR_SENSE_MAX;
    p.srb.cdb[0] = write ? 0x2a : 0x28;
    p.srb.cdb[2] = (uint8_t)(lba >> 24);
    p.srb.cdb[3] = (uint8_t)(lba >> 16);
    p.srb.cdb[4] = (uint8_t)(lba >> 8);
    p.srb.cdb[5] = (uint8_t)lba;
    p.srb.cdb[8] = 1;
    static UINT64 pfns[1];
    pfns[0] = pfn;
    struct fake_channel *c = fake_channel(ch);
    c->nranges = nranges;
    c->ranges[0] = (VMB_GPA_RANGE){512, 0, 1, pfns};
    const struct vstor_packet *a = request(&p, VMB_PACKET_TYPE_DATA_GPA_DIRECT);
    c->nranges = 0;
    return a;
}

static void writes_and_reads_reach_the_ram_backing(void **state)
{
    (void)state;
    handshake();
    for (unsigned i = 0; i < 512; i++)
        ram[3 * 4096 + i] = (uint8_t)(i * 7 + 1);
    const struct vstor_packet *a = rw(true, 5, 3, 1);
    assert_int_equal(a->srb.srb_status, SRB_STATUS_SUCCESS);
    assert_int_equal(a->srb.scsi_status, 0);
    memset(ram + 4 * 4096, 0, 512);
    a = rw(false, 5, 4, 1);
    assert_int_equal(a->srb.srb_status, SRB_STATUS_SUCCESS);
    assert_memory_equal(ram + 4 * 4096, ram + 3 * 4096, 512);
    /* another sector reads as zeros: the backing starts empty */
    a = rw(false, 6, 4, 1);
    assert_int_equal(a->srb.srb_status, SRB_STATUS_SUCCESS);
    static const uint8_t zero[512];
    assert_memory_equal(ram + 4 * 4096, zero, 512);
}

static void bad_ranges_and_pages_are_answered_with_errors(void **state)
{
    (void)state;
    handshake();
    memset(ram + 2 * 4096, 0xAB, 512);
    /* the channel found the list malformed: the request fails, nothing read */
    const struct vstor_packet *a = rw(false, 0, 2, 0);
    assert_int_not_equal(a->srb.srb_status, SRB_STATUS_SUCCESS);
    assert_int_equal(ram[2 * 4096], 0xAB);
    /* a page beyond guest RAM */
    a = rw(true, 0, RAM_PAGES, 1);
    assert_int_not_equal(a->srb.srb_status, SRB_STATUS_SUCCESS);
    a = rw(false, 0, 1ull << 60, 1);
    assert_int_not_equal(a->srb.srb_status, SRB_STATUS_SUCCESS);
}

static void completions_of_the_guest_are_not_answered(void **state)
{
    (void)state;
    struct fake_channel *c = fake_channel(ch);
    unsigned before = c->nsent;
    uint8_t pkt[16] = {0};
    c->process(ch, pkt, sizeof(pkt), 11, 99);
    assert_int_equal(c->nsent, before);
}

static int setup_2vps(void **state)
{
    vps = 2;
    int r = setup(state);
    vps = 0;
    return r;
}

/* Handshake as hv_storvsc on 2 CPUs: properties offer one sub-channel, it
 * asks for min(CPUs - 1, that) = 1, the disk has KMCL create it. */
static void two_vps_one_subchannel_serving_requests(void **state)
{
    (void)state;
    VMBCHANNEL primary = ch;
    struct vstor_packet p = {0};
    p.hdr.operation = VSTOR_OP_BEGIN_INITIALIZATION;
    assert_int_equal(request(&p, VMB_PACKET_TYPE_DATA_INBAND)->hdr.status, 0);
    p.hdr.operation = VSTOR_OP_QUERY_PROTOCOL_VERSION;
    p.version.major_minor = VSTOR_VERSION_WIN10;
    assert_int_equal(request(&p, VMB_PACKET_TYPE_DATA_INBAND)->hdr.status, 0);
    memset(&p, 0, sizeof(p));
    p.hdr.operation = VSTOR_OP_QUERY_PROPERTIES;
    const struct vstor_packet *a = request(&p, VMB_PACKET_TYPE_DATA_INBAND);
    assert_int_equal(a->properties.flags & VSTOR_PROP_MULTI_CHANNEL, VSTOR_PROP_MULTI_CHANNEL);
    assert_int_equal(a->properties.max_channel_count, 1);
    p.hdr.operation = VSTOR_OP_END_INITIALIZATION;
    assert_int_equal(request(&p, VMB_PACKET_TYPE_DATA_INBAND)->hdr.status, 0);
    p.hdr.operation = VSTOR_OP_CREATE_SUB_CHANNELS;
    p.sub_channel_count = 2; /* more than offered */
    assert_int_not_equal(request(&p, VMB_PACKET_TYPE_DATA_INBAND)->hdr.status, 0);
    assert_int_equal(fake_channel(primary)->subchannels, 0);
    p.sub_channel_count = 1;
    assert_int_equal(request(&p, VMB_PACKET_TYPE_DATA_INBAND)->hdr.status, 0);
    assert_int_equal(fake_channel(primary)->subchannels, 1);
    /* the sub-channel as the server hands it over: its own handle, the
     * primary's packet callback and parent pointer, no open callback */
    struct fake_channel *sc = &fake_channels[1];
    *sc = (struct fake_channel){.used = true,
                                .open = true,
                                .ctx = fake_channel(primary)->ctx,
                                .process = fake_channel(primary)->process};
    ch = (VMBCHANNEL)(uintptr_t)2;
    unsigned on_primary = fake_channel(primary)->nsent;
    for (unsigned i = 0; i < 512; i++)
        ram[3 * 4096 + i] = (uint8_t)(i * 5 + 3);
    assert_int_equal(rw(true, 9, 3, 1)->srb.srb_status, SRB_STATUS_SUCCESS);
    ch = primary;
    memset(ram + 4 * 4096, 0, 512);
    assert_int_equal(rw(false, 9, 4, 1)->srb.srb_status, SRB_STATUS_SUCCESS);
    assert_memory_equal(ram + 4 * 4096, ram + 3 * 4096, 512);
    assert_int_equal(fake_channel(primary)->nsent, on_primary + 1);
    assert_int_equal(sc->nsent, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(writes_and_reads_reach_the_ram_backing, setup),
        cmocka_unit_test_setup(bad_ranges_and_pages_are_answered_with_errors, setup),
        cmocka_unit_test_setup(completions_of_the_guest_are_not_answered, setup),
        cmocka_unit_test_setup(two_vps_one_subchannel_serving_requests, setup_2vps),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
