/* The `test` device kind: a channel that offers itself with its MMIO needs,
 * puts the window it was granted into the offer's user-defined bytes so the
 * guest probe (guest/kmod) can check allocator and guest agree, and echoes
 * every in-band packet the guest sends back to it. With mmio_trap=<gpa> it
 * also traps that page (vm/mmio_trap.h): a register page the guest's loads
 * and stores reach through the hypervisor's instruction emulation. */
#include "devices/test.h"

#include "lib/config_words.h"
#include "lib/log.h"
#include "lib/log_once.h"
#include "lib/mem.h"
#include "lib/str.h"
#include "page.h"
#include "vm/mmio_trap.h"

/* Shared with guest/kmod/vmbhv_probe.c: class eec1e1e7-2dea-409d-97ec-019117e67f6f. */
const GUID test_device_class = {
    0xeec1e1e7, 0x2dea, 0x409d, {0x97, 0xec, 0x01, 0x91, 0x17, 0xe6, 0x7f, 0x6f}};

#define TEST_UD_MAGIC   0x48424d56u /* "VMBH" */
#define TEST_UD_VERSION 1u

/* The user-defined bytes, little endian (guest/kmod/README.md). */
struct test_user_def {
    UINT32 magic;
    UINT32 version;
    UINT64 base;     /* guest-physical window base */
    UINT64 size;     /* required bytes */
    UINT64 optional; /* optional bytes granted right after the window */
} __attribute__((packed));
_Static_assert(sizeof(struct test_user_def) == 32, "test device user-defined layout");
_Static_assert(sizeof(struct test_user_def) <= VMBUS_USER_DEFINED_SIZE, "fits the offer");

/* "mmio_mb=<n> mmio_optional_mb=<n>": what the channel asks of the allocator;
 * "mmio_trap=<gpa>": the page trapped (0: none). */
struct test_params {
    uint16_t mmio_mb, mmio_optional_mb;
    uint64_t mmio_trap;
};

/* The trapped page (one for the kind): bytes 0-7 read "VMBTRAP\0", bytes
 * 0x100-0x1ff are scratch the guest reads back, the rest reads all-ones and
 * drops writes; any size at any offset, little endian, byte by byte. */
#define TRAP_SCRATCH     0x100u
#define TRAP_SCRATCH_END 0x200u
static const uint8_t trap_magic[8] = {'V', 'M', 'B', 'T', 'R', 'A', 'P', 0};
static uint8_t trap_scratch[TRAP_SCRATCH_END - TRAP_SCRATCH];

static uint64_t trap_read(void *ctx, uint64_t off, unsigned size)
{
    (void)ctx;
    uint64_t v = 0;
    for (unsigned i = 0; i < size; i++) {
        uint64_t at = off + i;
        uint8_t b = at < sizeof(trap_magic)                       ? trap_magic[at]
                    : at >= TRAP_SCRATCH && at < TRAP_SCRATCH_END ? trap_scratch[at - TRAP_SCRATCH]
                                                                  : 0xff;
        v |= (uint64_t)b << (8 * i);
    }
    return v;
}

static void trap_write(void *ctx, uint64_t off, unsigned size, uint64_t val)
{
    (void)ctx;
    for (unsigned i = 0; i < size; i++) {
        uint64_t at = off + i;
        if (at >= TRAP_SCRATCH && at < TRAP_SCRATCH_END)
            trap_scratch[at - TRAP_SCRATCH] = (uint8_t)(val >> (8 * i));
    }
}

static const struct mmio_trap_ops trap_ops = {trap_read, trap_write};

static void test_device_prepare_offer(VMBCHANNEL channel, UINT8 *user_defined)
{
    const struct test_params *p = VmbChannelGetPointer(channel);
    UINT64 base = 0, total = 0;
    VmbChannelGetMmioSpace(channel, &base, &total);
    UINT64 required = p ? (UINT64)p->mmio_mb << 20 : 0;
    struct test_user_def ud = {
        .magic = TEST_UD_MAGIC,
        .version = TEST_UD_VERSION,
        .base = base,
        .size = required,
        .optional = total > required ? total - required : 0,
    };
    memcpy(user_defined, &ud, sizeof(ud));
}

static void test_device_process_packet(VMBCHANNEL channel, const VOID *buffer, UINT32 length,
                                       UINT16 type, UINT64 transaction_id)
{
    static struct log_budget refused = LOG_BUDGET(4, "");
    if (type != VMB_PACKET_TYPE_DATA_INBAND)
        return; /* completions and the like: nothing to echo */
    NTSTATUS s = VmbChannelSendPacket(channel, buffer, length, transaction_id);
    if (!NT_SUCCESS(s) && log_budget_take(&refused))
        hv_log("devices", "echo of %u bytes not sent: status 0x%08x", length, (UINT32)s);
}

static int param(void *params, const char *key, size_t klen, const char *val, size_t vlen,
                 struct device_error *e)
{
    struct test_params *p = params;
    uint64_t x;
    if (str_eq_n(key, klen, "mmio_trap")) {
        if (!config_parse_uint(val, vlen, &x) || !x || (x & (PAGE_SIZE - 1)))
            return device_refuse(e, "bad page address", key, klen + 1 + vlen);
        p->mmio_trap = x;
        return 0;
    }
    uint16_t *field = str_eq_n(key, klen, "mmio_mb")            ? &p->mmio_mb
                      : str_eq_n(key, klen, "mmio_optional_mb") ? &p->mmio_optional_mb
                                                                : NULL;
    if (!field)
        return device_refuse(e, "unknown key", key, klen);
    if (!config_parse_uint(val, vlen, &x) || x > 0xffff)
        return device_refuse(e, "bad megabytes (0-65535)", key, klen + 1 + vlen);
    *field = (uint16_t)x;
    return 0;
}

/* The parameters live in the registry for the whole run: the channel's pointer. */
static NTSTATUS create(const struct device *d, VMBCHANNEL *out)
{
    const struct test_params *p = d->params;
    GUID instance;
    guid_for_device(&instance, d->cfg->instance, &test_device_class, d->cfg->name);
    if (p->mmio_trap) {
        if (!d->env->mmio_trap || d->env->mmio_trap(p->mmio_trap, PAGE_SIZE, &trap_ops, NULL)) {
            hv_log("devices", "%s: cannot trap 0x%llx", d->cfg->name,
                   (unsigned long long)p->mmio_trap);
            return STATUS_INVALID_PARAMETER;
        }
        hv_log("devices", "%s: MMIO page trapped at 0x%llx", d->cfg->name,
               (unsigned long long)p->mmio_trap);
    }

    VMBCHANNEL ch;
    NTSTATUS s = VmbChannelAllocate((PDEVICE_OBJECT)p, TRUE, &ch);
    if (!NT_SUCCESS(s))
        return s;
    s = VmbChannelInitSetFriendlyName(ch, d->cfg->name);
    if (NT_SUCCESS(s))
        s = VmbServerChannelInitSetTargetInterfaceId(ch, &test_device_class, &instance);
    if (NT_SUCCESS(s) && (p->mmio_mb || p->mmio_optional_mb))
        s = VmbServerChannelInitSetMmioMegabytes(ch, p->mmio_mb, p->mmio_optional_mb);
    if (NT_SUCCESS(s))
        s = VmbServerChannelInitSetPrepareOfferCallback(ch, test_device_prepare_offer);
    if (NT_SUCCESS(s))
        s = VmbChannelInitSetProcessPacketCallback(ch, test_device_process_packet);
    if (!NT_SUCCESS(s)) {
        VmbChannelCleanup(ch);
        ch = NULL;
    }
    *out = ch;
    return s;
}

const struct device_kind test_device_kind = {
    .name = "test",
    .params_size = sizeof(struct test_params),
    .param = param,
    .create = create,
};
