/* Arbitrary guest packets and config-window accesses against one vPCI bus
 * (hv/devices/vpci_proto.c, vpci_func.c). The input is a script: each step
 * a packet (one of the protocol's types or any, any length and content, any
 * transaction id; version negotiation first at a fuzzer-chosen depth), a
 * window read or write (any offset and size), a host ejection or a channel
 * close. Checked after every step: a request Linux sends with completion
 * requested got exactly one completion with its id, one it sends without got
 * none, every packet fits a VMBus packet and is long enough not to be
 * dropped by the guest, the window is mapped only page-aligned inside the
 * range and never twice, unmapped only where it was mapped, and a window
 * read of n bytes has no bits above n. Must never crash. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "devices/vpci_proto.h"
#include "devices/vpci_wire.h"

#include "../unit/fixture.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define LO   0x100000000ull
#define SIZE (2ull << 20)

static struct {
    unsigned completions, inband;
    uint64_t last_id;
    bool mapped;
    uint64_t gpa, bar;
} F;

/* The trace decoder on exactly these bytes: a NUL-terminated line it says the length of. */
static void decode(const void *buf, size_t len)
{
    char line[96];
    size_t n = vpci_trace_decode(buf, len, line, sizeof(line));
    if (n >= sizeof(line) || line[n] != '\0' || strlen(line) != n)
        abort();
}

static int send(void *ctx, const void *buf, uint32_t len, uint64_t id, bool completion)
{
    (void)ctx;
    decode(buf, len);
    if (len > 4080 || 16 + len <= 20) /* VMBUS_MAX_PAYLOAD; the guest drops <= 20 bytes */
        abort();
    if (completion) {
        F.completions++;
        F.last_id = id;
    } else {
        F.inband++;
    }
    return 0;
}

static int map(void *ctx, uint64_t gpa)
{
    (void)ctx;
    uint64_t off = gpa - LO; /* inside one of the two ranges below */
    if (off >= 1ull << 30)
        off -= 1ull << 30;
    if (F.mapped || (gpa & 0xfff) || gpa < LO || off + VPCI_WINDOW_SIZE > SIZE)
        abort();
    F.mapped = true;
    F.gpa = gpa;
    return 0;
}

static void unmap(void *ctx, uint64_t gpa)
{
    (void)ctx;
    if (!F.mapped || gpa != F.gpa)
        abort();
    F.mapped = false;
}

/* A BAR decoded: inside a range, off the window, never twice, given up as taken. */
static int bar_map(void *ctx, unsigned i, uint64_t gpa, uint64_t size)
{
    (void)ctx;
    uint64_t off = gpa - LO;
    if (off >= 1ull << 30)
        off -= 1ull << 30;
    if (i != 0 || F.bar || gpa < LO || off + size > SIZE || !F.mapped ||
        (gpa < F.gpa + VPCI_WINDOW_SIZE && F.gpa < gpa + size))
        abort();
    F.bar = gpa;
    return 0;
}

static void bar_unmap(void *ctx, unsigned i, uint64_t gpa, uint64_t size)
{
    (void)ctx;
    (void)size;
    if (i != 0 || !F.bar || gpa != F.bar)
        abort();
    F.bar = 0;
}

static const uint32_t types[] = {
    VPCI_QUERY_BUS_RELATIONS, VPCI_POWER_STATE_CHANGE, VPCI_QUERY_RESOURCE_REQUIREMENTS,
    VPCI_BUS_D0ENTRY,         VPCI_BUS_D0EXIT,         VPCI_EJECTION_COMPLETE,
    VPCI_RESOURCES_ASSIGNED,  VPCI_RESOURCES_RELEASED, VPCI_QUERY_PROTOCOL_VERSION,
    VPCI_CREATE_INTERRUPT,    VPCI_DELETE_INTERRUPT,   VPCI_RESOURCES_ASSIGNED2,
    VPCI_CREATE_INTERRUPT2,   VPCI_CREATE_INTERRUPT3,
};
#define NTYPES (sizeof(types) / sizeof(types[0]))

/* Whether Linux asks a completion for this type (vpci_proto.c's rule). */
static bool answered(uint32_t type, uint64_t id)
{
    switch (type) {
    case VPCI_QUERY_BUS_RELATIONS:
    case VPCI_RESOURCES_RELEASED:
    case VPCI_DELETE_INTERRUPT:
    case VPCI_EJECTION_COMPLETE:
        return false;
    default:
        for (unsigned i = 0; i < NTYPES; i++)
            if (types[i] == type)
                return true;
        return id != 0;
    }
}

static void packet(struct vpci_proto *p, struct fuzz_input *in)
{
    uint8_t buf[256];
    memset(buf, 0, sizeof(buf));
    unsigned pick = (unsigned)fuzz_take(in, 1);
    uint32_t type = pick < 0xf0 ? types[pick % NTYPES] : (uint32_t)fuzz_take(in, 4);
    uint32_t len = (uint32_t)fuzz_take(in, 1);
    unsigned fill = (unsigned)fuzz_take(in, 1) % 64; /* content bytes from the input */
    memcpy(buf, &type, sizeof(type));
    for (unsigned i = 0; i < fill; i++)
        buf[4 + i] = (uint8_t)fuzz_take(in, 1);
    if (fuzz_take(in, 1) & 1) { /* plausible fields: a small gpa, wslot 0 */
        uint64_t gpa = LO + (fuzz_take(in, 2) << 10);
        if (type == VPCI_BUS_D0ENTRY)
            memcpy(buf + 8, &gpa, sizeof(gpa));
        else
            memset(buf + 4, 0, 4);
    }
    uint64_t id = fuzz_take(in, 1) & 1 ? 0 : fuzz_take(in, 8);
    unsigned before = F.completions;
    uint8_t *exact = malloc(len ? len : 1); /* exact size: ASan sees the decoder over-read */
    memcpy(exact, buf, len > sizeof(buf) ? sizeof(buf) : len);
    decode(exact, len > sizeof(buf) ? sizeof(buf) : len);
    free(exact);
    vpci_proto_packet(p, buf, len > sizeof(buf) ? sizeof(buf) : len, id);
    uint32_t got = len >= 4 ? type : 0;
    if (F.completions - before != (answered(got, id) ? 1u : 0u))
        abort();
    if (F.completions != before && F.last_id != id)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct vpci_func f;
    static struct vpci_proto p;
    struct fuzz_input in = {data, size};
    memset(&F, 0, sizeof(F));
    log_reset();
    vpci_func_init(&f, (uint32_t)fuzz_take(&in, 1) & 1 ? 0 : VPCI_WSLOT(1, 0), 1);
    const struct vpci_host host = {NULL, send, map, unmap, bar_map, bar_unmap, NULL};
    static const struct device_mmio_range ranges[] = {{LO, SIZE}, {LO + (1ull << 30), SIZE}};
    vpci_proto_init(&p, "fuzz", &host, &f, 1, ranges, 2, 1);
    unsigned depth = (unsigned)fuzz_take(&in, 1) % 3;
    if (depth) {
        struct vpci_version_request v = {VPCI_QUERY_PROTOCOL_VERSION,
                                         VPCI_VERSION(1, 1 + fuzz_take(&in, 1) % 4)};
        vpci_proto_packet(&p, &v, sizeof(v), 1);
    }
    if (depth > 1) {
        struct vpci_d0_entry d0 = {VPCI_BUS_D0ENTRY, 0, LO};
        vpci_proto_packet(&p, &d0, sizeof(d0), 2);
    }
    for (unsigned steps = 0; in.left && steps < 256; steps++) {
        unsigned op = (unsigned)fuzz_take(&in, 1) % 8;
        uint64_t off = fuzz_take(&in, 2) % (VPCI_WINDOW_SIZE + 16);
        unsigned sz = 1u << fuzz_take(&in, 1) % 5; /* 1..16: 16 is refused */
        if (op < 4) {
            packet(&p, &in);
        } else if (op == 4) {
            uint64_t v = vpci_window_read(&p.window, off, sz);
            if (sz < 8 && (v >> sz * 8))
                abort();
        } else if (op == 5) { /* as the kind's window trap does */
            vpci_window_write(&p.window, off, sz, fuzz_take(&in, 8));
            vpci_proto_config_written(&p);
        } else if (op == 6) {
            vpci_proto_eject(&p, (unsigned)fuzz_take(&in, 1) % 2);
        } else {
            vpci_proto_reset(&p);
            if (F.mapped || F.bar)
                abort();
        }
    }
    vpci_proto_reset(&p);
    if (F.mapped || F.bar)
        abort();
    return 0;
}
