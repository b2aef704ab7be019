/* The nic kind (hv/devices/nic.c) over the fake KMCL and a fake virtio-net
 * card (fake_virtio.c): the channel, the card started with its MAC, and the
 * link followed on the kind's timer only: the card's status word is never
 * read by the per-exit poll, each change is logged once when the timer
 * fires, and a card that keeps its state is read but not logged again; with
 * two VPs, one sub-channel granted to the guest's NVSP 5 request, and a
 * packet on it answered on it.
 * The engine's indications and queries have their own tests
 * (test_devices_netvsp). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "devices/devices.h"
#include "devices/nvsp_wire.h"
#include "drivers/nics.h"
#include "drivers/pci.h"
#include "guest_mem.h"
#include "lib/config.h"
#include "lib/heap.h"
#include "lib/timer.h"

#include "fake_kmcl.h"
#include "fake_virtio.h"
#include "fixture.h"

#define BDF     PCI_BDF(0, 3, 0)
#define MS      1000000ull
#define CHECKMS 150u /* nic.c's LINK_CHECK_NS */

static const uint8_t MAC[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};

static struct {
    uint16_t status;
    unsigned status_reads; /* device configuration reads of the status dword */
} card;

static uint32_t device_read(unsigned off)
{
    uint8_t c[32] = {0};
    memcpy(c, MAC, 6);
    memcpy(c + 6, &card.status, 2);
    if (off == 4)
        card.status_reads++;
    uint32_t v;
    memcpy(&v, c + off, 4);
    return v;
}

static void notify(unsigned slot, uint32_t v)
{
    (void)slot;
    (void)v;
}

static void reset_card(void) {}

static const struct fake_virtio_hooks hooks = {device_read, notify, reset_card};

static uint64_t ticks;
static uint64_t counter(void)
{
    return ticks;
}

/* Time passes by ms and the due timers run, as the vCPU loop does. */
static void advance(uint64_t ms)
{
    ticks += ms * MS;
    timers_run(clock_ns());
}

static _Alignas(4096) uint8_t ram[16 * 4096];
static struct guest_mem gm = {ram, sizeof(ram)};

static void link_follows_the_card_on_a_timer(void **state)
{
    (void)state;
    fake_kmcl_reset();
    log_reset();
    clock_init(counter, 1000000000ull, 0);
    fake_virtio_init(BDF, 0x1041, 0x02000000, 0x20, &hooks);
    fv.offered = (1ull << 32) /* VERSION_1 */ | (1ull << 5) /* MAC */ | (1ull << 16) /* STATUS */;
    card.status = 1; /* VIRTIO_NET_S_LINK_UP */
    static struct heap heap;
    static void *heap_mem;
    heap_mem = aligned_alloc(4096, 2u << 20);
    heap = (struct heap){(uint64_t)(uintptr_t)heap_mem, 2u << 20, 0};
    nics_probe(&fake_virtio_pci, &fake_virtio_io, &heap);

    static struct hv_config cfg;
    static const char text[] = "device = nic name=eth backing=virtio\n";
    struct config_error err;
    config_defaults(&cfg);
    assert_int_equal(config_parse(text, sizeof(text) - 1, &cfg, &err), 0);
    assert_int_equal(devices_parse(&cfg), 0);
    static struct device_env env;
    env = (struct device_env){.gm = &gm, .heap = &heap, .vps = 2};
    assert_int_equal(devices_create(&env), 0);
    assert_int_equal(log_count("hv: nic: virtio-net 00:03.0 driven: 64 receive and 64 transmit "
                               "buffers, link up\n"),
                     1);
    assert_int_equal(log_count("hv: nic: eth: mac=52:54:00:12:34:56\n"), 1);
    VMBCHANNEL ch = (VMBCHANNEL)(uintptr_t)1;
    struct fake_channel *c = fake_channel(ch);
    static const GUID nic_class = NVSP_NETWORK_GUID;
    assert_memory_equal(&c->type, &nic_class, sizeof(nic_class));
    c->open = true;
    assert_int_equal(c->cb.EvtChannelOpened(ch), STATUS_SUCCESS);

    /* The poll after every exit never reads the status word. */
    unsigned reads = card.status_reads;
    card.status = 0;
    for (unsigned i = 0; i < 1000; i++)
        devices_poll();
    assert_int_equal(card.status_reads, reads);
    advance(CHECKMS - 1);
    assert_int_equal(card.status_reads, reads);
    assert_int_equal(log_count("hv: nic: eth: link down\n"), 0);
    advance(1); /* the timer: one read, the change logged */
    assert_int_equal(card.status_reads, reads + 1);
    assert_int_equal(log_count("hv: nic: eth: link down\n"), 1);
    for (unsigned i = 0; i < 5; i++)
        advance(CHECKMS); /* read again, no change: nothing logged */
    assert_int_equal(card.status_reads, reads + 6);
    assert_int_equal(log_count("hv: nic: eth: link down\n"), 1);
    assert_int_equal(log_count("hv: nic: eth: link up\n"), 0);
    card.status = 1;
    advance(CHECKMS);
    assert_int_equal(log_count("hv: nic: eth: link up\n"), 1);
    /* Closed, the link is still followed (and logged); an open takes it. */
    c->cb.EvtChannelClosed(ch);
    card.status = 0;
    advance(CHECKMS);
    assert_int_equal(log_count("hv: nic: eth: link down\n"), 2);
    assert_int_equal(c->cb.EvtChannelOpened(ch), STATUS_SUCCESS);
    advance(CHECKMS);
    assert_int_equal(log_count("hv: nic: eth: link down\n"), 2);

    /* NVSP 5, then hv_netvsc on 8 CPUs asks for 7 sub-channels: 2 VPs, 1 granted. */
    struct nvsp_message m = {.type = NVSP_MSG_INIT, .init = {NVSP_VERSION_5, NVSP_VERSION_5}};
    c->process(ch, &m, sizeof(m), VMB_PACKET_TYPE_DATA_INBAND, 1);
    const struct nvsp_message *a = (const void *)fake_last_sent(ch)->data;
    assert_int_equal(a->init_complete.negotiated_version, NVSP_VERSION_5);
    m = (struct nvsp_message){.type = NVSP_MSG5_SUBCHANNEL,
                              .subchannel_request = {NVSP_SUBCHANNEL_ALLOCATE, 7}};
    c->process(ch, &m, sizeof(m), VMB_PACKET_TYPE_DATA_INBAND, 2);
    assert_int_equal(c->subchannels, 1);
    a = (const void *)c->sent[(c->nsent - 2) % FAKE_SENT].data; /* then the send table */
    assert_int_equal(a->subchannel_complete.status, NVSP_STAT_SUCCESS);
    assert_int_equal(a->subchannel_complete.num_subchannels, 1);
    /* the sub-channel as the server hands it over: the primary's callback, its own handle */
    struct fake_channel *sc = &fake_channels[1];
    *sc = (struct fake_channel){.used = true, .open = true, .ctx = c->ctx, .process = c->process};
    VMBCHANNEL sub = (VMBCHANNEL)(uintptr_t)2;
    unsigned on_primary = c->nsent;
    m = (struct nvsp_message){.type = NVSP_MSG1_SEND_RNDIS_PKT};
    m.rndis_pkt.section_index = 0; /* no send buffer yet: refused, on the sub-channel */
    sc->process(sub, &m, sizeof(m), VMB_PACKET_TYPE_DATA_INBAND, 3);
    assert_int_equal(sc->nsent, 1);
    assert_true(sc->sent[0].completion);
    assert_int_equal(sc->sent[0].id, 3);
    assert_int_equal(c->nsent, on_primary);
    free(heap_mem);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(link_follows_the_card_on_a_timer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
