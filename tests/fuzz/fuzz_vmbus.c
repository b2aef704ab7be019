/* Arbitrary message sequences into the VMBus state machine, driven directly
 * (vmbus_on_message, the channels' signal handlers) over a fake port and a
 * fake guest RAM (ASan sees any overrun), the state carried across every
 * step of one input. The input is a script: raw posts on any connection id,
 * Linux-shaped messages of every guest-to-host type with fuzzer-chosen fields
 * and byte mutations (so deep states are reached), the SynIC taking messages
 * or pushing back, vmbus_poll, device actions through KMCL (sub-channels
 * included), HvSignalEvent, packets (good and hostile) the guest writes into
 * open channels' rings.
 * After every step the server's invariants are checked; guest RAM outside
 * the rings must stay exactly what the guest wrote (the host never writes
 * anywhere else); every message the host posts is a whole channel message;
 * and at the end a SynIC that takes everything leaves nothing queued. Must
 * never crash. (The path through the real partition's hypercalls and SynIC
 * is fuzz_hypercall's and test_vmbus_proto's.) */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hyperv/hv_wire.h"
#include "lib/timer.h"
#include "lib/trace.h"
#include "vmbus/channel.h"
#include "vmbus/kmcl.h"
#include "vmbus/message.h"
#include "vmbus/state.h"
#include "vmbus/vmbus.h"
#include "vmbus/vmbus_wire.h"

#include "../unit/fake_port.h"
#include "../unit/fixture.h"

#define RAM_SIZE (256u * 1024)
#define MON_GPA  0x5000u
#define RING_PFN 0x8u
#define NDEV     6u

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The checks are the harness, not the code under test: no coverage feedback
 * from their loops (it would drown the server's and slow every input). */
#define HARNESS __attribute__((no_sanitize("coverage")))

static struct fake_port port; /* the SynIC below, new for each input */
/* Guest RAM: the guest writes nothing into it here, so all of it but the
 * rings the host wrote stays zero (and only those are zeroed again). */
static uint8_t ram[RAM_SIZE];
static VMBCHANNEL dev[NDEV];
static NTSTATUS open_answer;

static NTSTATUS on_open(VMBCHANNEL ch)
{
    (void)ch;
    return open_answer;
}

static void on_close(VMBCHANNEL ch)
{
    (void)ch;
}

/* Echoes like the test device, so host-to-guest writes are fuzzed too. */
static void on_packet(VMBCHANNEL ch, const VOID *buf, UINT32 len, UINT16 type, UINT64 id)
{
    (void)type;
    if (!VmbChannelGetPointer(ch))
        abort(); /* only live channels are called back */
    VMB_GPA_RANGE r[VMB_MAX_GPA_RANGES];
    UINT32 n = 0;
    if (NT_SUCCESS(VmbChannelPacketGetGpaRanges(ch, r, VMB_MAX_GPA_RANGES, &n))) {
        for (UINT32 i = 0; i < n; i++) { /* every PFN readable, as parsed */
            if (!r[i].PfnCount || r[i].ByteOffset >= 4096 || !r[i].ByteCount)
                abort();
            volatile UINT64 last = r[i].Pfns[r[i].PfnCount - 1];
            (void)last;
        }
    }
    VMB_TRANSFER_RANGE xfer[VMB_MAX_TRANSFER_RANGES + 6];
    for (unsigned i = 0; i < sizeof(xfer) / sizeof(xfer[0]); i++)
        xfer[i] = (VMB_TRANSFER_RANGE){len, (UINT32)id + i};
    if (id % 3 == 1)
        VmbChannelSendCompletion(ch, buf, len, id);
    else if (id % 3 == 2)
        VmbChannelSendTransferPages(ch, (UINT16)id, xfer, (UINT32)(id >> 8) % 70, buf, len, id);
    else
        VmbChannelSendPacket(ch, buf, len, id);
}

static void prepare(VMBCHANNEL ch, UINT8 *user)
{
    UINT64 base, size;
    VmbChannelGetMmioSpace(ch, &base, &size);
    memcpy(user, &base, 8);
    memcpy(user + 8, &size, 8);
}

static void device(unsigned i, uint16_t mmio, uint16_t opt)
{
    static const GUID type = {
        0x2c7e5ef2, 0x4a09, 0x4c4b, {0x9b, 0x5f, 0x6e, 0x2d, 0x17, 0x0c, 0x11, 0x01}};
    static int obj;
    GUID inst;
    guid_from_name(&inst, &type, i & 1 ? "odd" : "even"); /* pairs collide on purpose */
    inst.Data1 += i / 2;
    if (VmbChannelAllocate(&obj, TRUE, &dev[i]) != STATUS_SUCCESS)
        return;
    VMB_CHANNEL_STATE_CHANGE_CALLBACKS cb = {on_open, on_close};
    VmbServerChannelInitSetTargetInterfaceId(dev[i], &type, &inst);
    VmbChannelInitSetStateChangeCallbacks(dev[i], &cb);
    VmbChannelInitSetProcessPacketCallback(dev[i], on_packet);
    VmbServerChannelInitSetPrepareOfferCallback(dev[i], prepare);
    if (mmio || opt)
        VmbServerChannelInitSetMmioMegabytes(dev[i], mmio, opt);
}

/* Pages of rings the host may write (indices, mask, echoed packets): those of
 * every channel that was open at some point of this input. */
static bool ring_page[RAM_SIZE / PAGE_SIZE];

HARNESS static void note_rings(void)
{
    for (unsigned i = 0; i < VMBUS_MAX_CHANNELS; i++) {
        const struct vmbus_channel *c = &vmbus.chan[i];
        if (c->state != CHAN_OPENED)
            continue;
        for (uint32_t p = 0; p < c->in.pages; p++)
            ring_page[c->in.pfns[p]] = true; /* ring_init checked they are RAM */
        for (uint32_t p = 0; p < c->out.pages; p++)
            ring_page[c->out.pfns[p]] = true;
    }
}

/* Guest RAM outside the ring pages must be exactly what the guest wrote
 * (zeros); the ring pages are zeroed for the next input. */
HARNESS static void check_ram(void)
{
    static const uint8_t zero[PAGE_SIZE];
    for (uint32_t off = 0; off < RAM_SIZE; off += PAGE_SIZE) {
        if (ring_page[off / PAGE_SIZE])
            memset(ram + off, 0, PAGE_SIZE);
        else if (memcmp(ram + off, zero, PAGE_SIZE))
            abort();
    }
}

static void post(uint32_t conn, uint32_t type, const uint8_t *msg, uint32_t size)
{
    /* HvPostMessage's own checks (hypercall.c) let through at most 240 bytes */
    if (size <= HV_MESSAGE_PAYLOAD_SIZE)
        vmbus_on_message(NULL, conn, type, msg, size);
    note_rings();
}

/* The guest as a ring producer on an open channel: a packet of fuzzer bytes
 * written as Linux would (descriptor, data, trailer, then write_index), or,
 * for a hostile guest, fuzzer values over the header's fields; then its
 * HvSignalEvent. The device echoes what it reads, so both directions run. */
static void guest_write(struct fuzz_input *in)
{
    struct vmbus_channel *c = &vmbus.chan[fuzz_take(in, 1) % VMBUS_MAX_CHANNELS];
    if (c->state != CHAN_OPENED || c->in.corrupt)
        return;
    uint8_t *hdr = ram + (c->in.pfns[0] << PAGE_SHIFT);
    uint32_t sel = fuzz_take(in, 1);
    if (sel % 8 == 0) { /* hostile: one header word */
        uint32_t v = fuzz_take(in, 4);
        memcpy(hdr + 4 * (sel / 8 % 4), &v, 4); /* write, read, mask, pending */
    } else {
        uint32_t wi, ri, len = fuzz_take(in, 2) % 600;
        memcpy(&wi, hdr, 4);
        memcpy(&ri, hdr + 4, 4);
        uint32_t size = (16 + len + 7) & ~7u, used = wi >= ri ? wi - ri : c->in.data_size - ri + wi;
        if (wi % 8 || wi >= c->in.data_size || c->in.data_size - used <= size + 8)
            return; /* Linux waits for room; a broken index is the hostile branch's */
        uint8_t pkt[16 + 600 + 8 + 8] = {0};
        struct vmbus_packet_desc d = {(uint16_t)(sel % 4 == 1 ? fuzz_take(in, 1) : 6), 2,
                                      (uint16_t)(size / 8), 0, fuzz_take(in, 4)};
        memcpy(pkt, &d, sizeof(d));
        for (uint32_t i = 0; i < len; i++)
            pkt[16 + i] = (uint8_t)fuzz_take(in, 1);
        uint64_t trailer = (uint64_t)wi << 32;
        memcpy(pkt + size, &trailer, 8);
        for (uint32_t i = 0; i < size + 8; i++) { /* wraps at the end of the data area */
            uint32_t at = (wi + i) % c->in.data_size;
            ram[(c->in.pfns[1 + at / PAGE_SIZE] << PAGE_SHIFT) + at % PAGE_SIZE] = pkt[i];
        }
        wi = (wi + size + 8) % c->in.data_size;
        memcpy(hdr, &wi, 4);
    }
    fake_port_signal(&port, chan_conn_id(c));
}

static void put32(uint8_t *b, unsigned off, uint32_t v)
{
    memcpy(b + off, &v, 4);
}

static void put64(uint8_t *b, unsigned off, uint64_t v)
{
    memcpy(b + off, &v, 8);
}

/* A message shaped like Linux's, fields from the input, then mutated. */
static void structured(struct fuzz_input *in)
{
    static const uint32_t versions[] = {VMBUS_VERSION(5, 3), VMBUS_VERSION(5, 2),
                                        VMBUS_VERSION(5, 1), VMBUS_VERSION(5, 0),
                                        VMBUS_VERSION(4, 1), VMBUS_VERSION(4, 0),
                                        VMBUS_VERSION(3, 0), VMBUS_VERSION(2, 4),
                                        VMBUS_VERSION(6, 0), 0};
    uint8_t b[240];
    uint32_t size = 8, conn = vmbus.msg_conn_id ? vmbus.msg_conn_id : 4;
    memset(b, 0, sizeof(b));
    uint32_t relid = 1 + fuzz_take(in, 1) % (NDEV + 4); /* one unknown, or sub-channels */
    uint32_t handle = 0xE1E10 + fuzz_take(in, 1) % 6;
    switch (fuzz_take(in, 1) % 10) {
    case 0: {
        uint32_t v = versions[fuzz_take(in, 1) % 10];
        if (!v)
            v = fuzz_take(in, 4);
        put32(b, 0, VMBUS_MSG_INITIATE_CONTACT);
        put32(b, 8, v);
        if (v >= VMBUS_VERSION(5, 0))
            b[16] = 2;
        else
            put64(b, 16, MON_GPA);
        put64(b, 24, MON_GPA);
        put64(b, 32, MON_GPA + 0x1000);
        size = 40;
        conn = v >= VMBUS_VERSION(5, 0) ? 4 : 1;
        break;
    }
    case 1:
        put32(b, 0, VMBUS_MSG_REQUESTOFFERS);
        break;
    case 2: {
        unsigned pages = 1 + fuzz_take(in, 1) % 32, raw = (unsigned)fuzz_take(in, 1);
        unsigned pfn = RING_PFN + raw % 32, n = pages < 26 ? pages : 26; /* some beyond RAM */
        /* bit 7: the pages twice over ([H, D, H, D]), rings that would alias */
        unsigned period = raw & 0x80 && pages > 1 ? pages / 2 : pages;
        put32(b, 0, VMBUS_MSG_GPADL_HEADER);
        put32(b, 8, relid);
        put32(b, 12, handle);
        put32(b, 16, (8 + 8 * pages) | 1u << 16); /* range_buflen, rangecount 1 */
        put32(b, 20, pages * 4096);
        for (unsigned i = 0; i < n; i++)
            put64(b, 28 + 8 * i, pfn + i % period);
        size = 28 + 8 * n;
        break;
    }
    case 3: {
        unsigned m = 1 + fuzz_take(in, 1) % 28, pfn = RING_PFN + fuzz_take(in, 1) % 32;
        put32(b, 0, VMBUS_MSG_GPADL_BODY);
        put32(b, 12, handle);
        for (unsigned i = 0; i < m; i++)
            put64(b, 16 + 8 * i, pfn + i);
        size = 16 + 8 * m;
        break;
    }
    case 4:
        put32(b, 0, VMBUS_MSG_OPENCHANNEL);
        put32(b, 8, relid);
        put32(b, 12, relid);
        put32(b, 16, handle);
        put32(b, 20, fuzz_take(in, 1) % 8 == 0);
        put32(b, 24, fuzz_take(in, 1) % 10);
        size = 148;
        break;
    case 5:
        put32(b, 0, VMBUS_MSG_CLOSECHANNEL);
        put32(b, 8, relid);
        size = 12;
        break;
    case 7:
        put32(b, 0, VMBUS_MSG_RELID_RELEASED);
        put32(b, 8, relid);
        size = 12;
        break;
    case 6:
        put32(b, 0, VMBUS_MSG_GPADL_TEARDOWN);
        put32(b, 8, relid);
        put32(b, 12, handle);
        size = 16;
        break;
    case 8:
        put32(b, 0, VMBUS_MSG_UNLOAD);
        break;
    case 9:
        put32(b, 0, VMBUS_MSG_MODIFYCHANNEL);
        put32(b, 8, relid);
        put32(b, 12, fuzz_take(in, 1) % 4 == 0);
        size = 16;
        break;
    }
    for (unsigned k = fuzz_take(in, 1) % 4; k; k--) { /* 3 bytes each: offset, value, grow */
        unsigned off = fuzz_take(in, 1) % 240;
        b[off] = (uint8_t)fuzz_take(in, 1);
        bool grow = fuzz_take(in, 1) & 1;
        if (off >= size && grow)
            size = off + 1; /* past the layout */
    }
    post(conn, VMBUS_MESSAGE_TYPE, b, size);
}

static void kmcl(struct fuzz_input *in)
{
    unsigned i = fuzz_take(in, 1) % NDEV;
    switch (fuzz_take(in, 1) % 9) {
    case 0:
        VmbChannelEnable(dev[i]);
        break;
    case 1:
        VmbChannelDisable(dev[i]);
        break;
    case 2:
        VmbChannelCleanup(dev[i]);
        break;
    case 3:
        device(i, (uint16_t)(fuzz_take(in, 1) % 40), (uint16_t)(fuzz_take(in, 1) % 40));
        break;
    case 4: {
        UINT64 b, s;
        VmbChannelGetMmioSpace(dev[i], &b, &s);
        break;
    }
    case 5:
        VmbServerChannelInitSetMmioMegabytes(dev[i], (UINT16)fuzz_take(in, 2),
                                             (UINT16)fuzz_take(in, 2));
        break;
    case 6:
        open_answer = fuzz_take(in, 1) & 1 ? STATUS_SUCCESS : STATUS_INSUFFICIENT_RESOURCES;
        break;
    case 7:
        VmbChannelEnable((VMBCHANNEL)(uintptr_t)fuzz_take(in, 4)); /* forged */
        break;
    case 8: /* sub-channels, which the guest then opens and closes like any channel */
        VmbChannelCreateSubchannels(dev[i], (UINT16)(fuzz_take(in, 1) % 20));
        break;
    }
}

/* The created GPADL of relid with that handle exists. */
HARNESS static bool has_gpadl(uint32_t relid, uint32_t handle)
{
    for (unsigned i = 0; i < VMBUS_MAX_GPADLS; i++) {
        const struct vmbus_gpadl *g = &vmbus.gpadl[i];
        if (g->used && g->complete && g->handle == handle && g->relid == relid)
            return true;
    }
    return false;
}

/* Whether some page is in both rings of c, or twice in one. */
HARNESS static bool rings_alias(const struct vmbus_channel *c)
{
    uint32_t n = c->in.pages + c->out.pages;
    for (uint32_t a = 0; a < n; a++) {
        uint64_t pa = a < c->in.pages ? c->in.pfns[a] : c->out.pfns[a - c->in.pages];
        for (uint32_t b = a + 1; b < n; b++) {
            uint64_t pb = b < c->in.pages ? c->in.pfns[b] : c->out.pfns[b - c->in.pages];
            if (pa == pb)
                return true;
        }
    }
    return false;
}

HARNESS static void check(void)
{
    if (vmbus.outq.count > VMBUS_OUTQ_LEN)
        abort();
    for (unsigned i = 0; i < VMBUS_MAX_GPADLS; i++) {
        const struct vmbus_gpadl *g = &vmbus.gpadl[i];
        if (!g->used)
            continue;
        if (g->words_have > g->words_total || g->words_total > VMBUS_GPADL_MAX_WORDS ||
            !chan_visible(g->relid))
            abort();
        if (g->complete && (g->pages > VMBUS_GPADL_MAX_PAGES || g->words_have != g->words_total))
            abort();
        for (unsigned j = i + 1; j < VMBUS_MAX_GPADLS; j++)
            if (vmbus.gpadl[j].used && vmbus.gpadl[j].handle == g->handle)
                abort(); /* handles are unique */
    }
    for (unsigned i = 0; i < VMBUS_MAX_CHANNELS; i++) {
        const struct vmbus_channel *c = &vmbus.chan[i];
        if (c->state == CHAN_OPENED &&
            (c->offer != OFFER_MADE || !chan_visible(i + 1) || !has_gpadl(i + 1, c->ring_gpadl)))
            abort(); /* an open channel's rings stay described */
        if (c->state == CHAN_OPENED && rings_alias(c))
            abort(); /* ... and share no page */
        if (c->drain_pending && (c->state != CHAN_OPENED || !vmbus.drain_pending))
            abort(); /* a pending drain is one vmbus_poll will find */
        if (c->offer != OFFER_NONE && !vmbus.connected)
            abort(); /* a reset forgets every offer */
        if (c->has_mmio && c->state != CHAN_ENABLED && c->state != CHAN_OPENED)
            abort(); /* only enabled channels hold windows */
        if (c->sub_index && (c->state == CHAN_ENABLED || c->state == CHAN_OPENED) &&
            (c->primary->state != CHAN_OPENED || c->primary->sub_index || c->has_mmio))
            abort(); /* a sub-channel lives while its primary is open */
    }
    const struct mmio_gap *g = &vmbus.gap;
    uint64_t end = g->base;
    for (unsigned i = 0; i < g->count; i++) {
        if (g->win[i].base < end)
            abort();
        end = g->win[i].base + g->win[i].required + g->win[i].optional;
    }
    if (end > g->base + g->size)
        abort();
}

/* The server with its devices enabled, built once: each input starts from a
 * copy (the same handles, windows and relids), not from a new set-up. */
static void start(void)
{
    static struct vmbus_server built;
    static VMBCHANNEL built_dev[NDEV];
    static bool ready;
    if (!ready) {
        const struct vmbus_port p = fake_port_init(&port, ram, sizeof(ram));
        vmbus_init_port(&p);
        device(0, 0, 0);
        device(1, 16, 8);
        device(2, 8, 64);
        device(3, 1, 0);
        vmbus_mmio_configure(RAM_SIZE, 0);
        device(4, 64, 0); /* beyond the sized gap: its enable fails */
        for (unsigned i = 0; i < 5; i++)
            VmbChannelEnable(dev[i]);
        built = vmbus;
        memcpy(built_dev, dev, sizeof(dev));
        ready = true;
    }
    timer_cancel(&vmbus.drain_timer); /* not left linked into the timer list */
    /* All of it but the GPADLs' page lists (megabytes; the copy has no GPADL) */
    const size_t g = offsetof(struct vmbus_server, gpadl), after = g + sizeof(vmbus.gpadl);
    memcpy(&vmbus, &built, g);
    memcpy((uint8_t *)&vmbus + after, (const uint8_t *)&built + after, sizeof(vmbus) - after);
    for (unsigned i = 0; i < VMBUS_MAX_GPADLS; i++)
        vmbus.gpadl[i].used = false;
    memcpy(dev, built_dev, sizeof(dev));
    port.full = false;
    port.nmsgs = 0;
    memset(port.conns, 0, sizeof(port.conns)); /* no channel of the copy is open */
    open_answer = STATUS_SUCCESS;
}

/* Every message the host posted is a whole channel message on a valid VP and
 * SINT, and its signals went to a VP the guest has. */
HARNESS static void check_posted(void)
{
    unsigned n = port.nmsgs < FAKE_PORT_MSGS ? port.nmsgs : FAKE_PORT_MSGS;
    for (unsigned i = 0; i < n; i++) {
        if (port.msgs[i].size < 8 || port.msgs[i].size > HV_MESSAGE_PAYLOAD_SIZE ||
            port.msgs[i].sint >= HV_SINT_COUNT || port.msgs[i].vp >= FAKE_PORT_VPS)
            abort();
    }
    if (port.nsignals && port.last_vp >= FAKE_PORT_VPS)
        abort(); /* a channel's interrupts only ever go to a VP the guest has */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* One input in eight (its length 1 mod 8) runs with every trace class on: the hooks and the
     * decoders see what the server sees. */
    trace_init(size % 8 == 1 ? (1u << HV_TRACE_CLASSES) - 1 : 0);
    log_reset();
    start();
    struct fuzz_input in = {data, size};
    while (in.left) {
        switch (fuzz_take(&in, 1) % 8) {
        case 0: { /* raw */
            uint32_t sel = fuzz_take(&in, 1), conn = sel % 4 == 0   ? 1
                                                     : sel % 4 == 1 ? 4
                                                                    : fuzz_take(&in, 4);
            uint32_t type = sel & 0x80 ? fuzz_take(&in, 4) : VMBUS_MESSAGE_TYPE;
            uint8_t b[256] = {0};
            uint32_t n = fuzz_take(&in, 1);
            for (uint32_t i = 0; i < n && i < sizeof(b); i++)
                b[i] = (uint8_t)fuzz_take(&in, 1);
            post(conn, type, b, n);
            break;
        }
        case 1:
        case 2:
            structured(&in);
            break;
        case 3: /* the guest took its messages: the SynIC has room */
            port.full = false;
            vmbus_poll();
            break;
        case 4:
            vmbus_poll();
            break;
        case 5:
            kmcl(&in);
            break;
        case 6:
            note_rings();
            if (fuzz_take(&in, 1) & 1)
                guest_write(&in);
            else
                fake_port_signal(&port, VMBUS_CHANNEL_CONN_BASE + fuzz_take(&in, 1) % 40);
            break;
        case 7: /* the SynIC's queue fills or empties */
            port.full = fuzz_take(&in, 1) & 1;
            break;
        }
        check();
    }
    /* whatever happened, a SynIC that takes everything leaves nothing queued */
    port.full = false;
    vmbus_poll();
    if (vmbus.outq.count)
        abort();
    check();
    check_ram();
    memset(ring_page, 0, sizeof(ring_page));
    check_posted();
    char line[512];
    vmbus_summary(line, sizeof(line));
    return 0;
}
