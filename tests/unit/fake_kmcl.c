/* The recording KMCL: see fake_kmcl.h. */
#include "fake_kmcl.h"

#include <stdlib.h>
#include <string.h>

#include "vmbus/vmbus.h"

struct fake_channel fake_channels[FAKE_CHANNELS];

void fake_kmcl_reset(void)
{
    memset(fake_channels, 0, sizeof(fake_channels));
}

struct fake_channel *fake_channel(VMBCHANNEL ch)
{
    uintptr_t i = (uintptr_t)ch;
    if (i < 1 || i > FAKE_CHANNELS || !fake_channels[i - 1].used)
        abort();
    return &fake_channels[i - 1];
}

const struct fake_sent *fake_last_sent(VMBCHANNEL ch)
{
    const struct fake_channel *c = fake_channel(ch);
    return c->nsent ? &c->sent[(c->nsent - 1) % FAKE_SENT] : NULL;
}

NTSTATUS VmbChannelAllocate(PDEVICE_OBJECT parent, BOOLEAN server, VMBCHANNEL *ch)
{
    if (!server)
        abort();
    for (uintptr_t i = 0; i < FAKE_CHANNELS; i++) {
        if (!fake_channels[i].used) {
            memset(&fake_channels[i], 0, sizeof(fake_channels[i]));
            fake_channels[i].used = true;
            fake_channels[i].ctx = parent;
            *ch = (VMBCHANNEL)(i + 1);
            return STATUS_SUCCESS;
        }
    }
    return STATUS_INSUFFICIENT_RESOURCES;
}

NTSTATUS VmbChannelInitSetFriendlyName(VMBCHANNEL ch, const char *name)
{
    struct fake_channel *c = fake_channel(ch);
    strncpy(c->name, name, sizeof(c->name) - 1);
    return STATUS_SUCCESS;
}

NTSTATUS VmbServerChannelInitSetTargetInterfaceId(VMBCHANNEL ch, const GUID *type,
                                                  const GUID *instance)
{
    fake_channel(ch)->type = *type;
    fake_channel(ch)->instance = *instance;
    return STATUS_SUCCESS;
}

NTSTATUS VmbChannelInitSetStateChangeCallbacks(VMBCHANNEL ch,
                                               const VMB_CHANNEL_STATE_CHANGE_CALLBACKS *cb)
{
    fake_channel(ch)->cb = *cb;
    return STATUS_SUCCESS;
}

NTSTATUS VmbChannelInitSetProcessPacketCallback(VMBCHANNEL ch, PFN_VMB_CHANNEL_PROCESS_PACKET cb)
{
    fake_channel(ch)->process = cb;
    return STATUS_SUCCESS;
}

NTSTATUS VmbChannelInitSetTraceDecoder(VMBCHANNEL ch, PFN_VMB_CHANNEL_TRACE_DECODE fn)
{
    fake_channel(ch)->decode = fn;
    return STATUS_SUCCESS;
}

NTSTATUS VmbServerChannelInitSetMmioMegabytes(VMBCHANNEL ch, UINT16 mb, UINT16 optional_mb)
{
    struct fake_channel *c = fake_channel(ch);
    if (!mb && !optional_mb)
        return STATUS_INVALID_PARAMETER;
    c->mmio_mb = mb;
    c->mmio_optional_mb = optional_mb;
    return STATUS_SUCCESS;
}

NTSTATUS VmbServerChannelInitSetMmioFramebuffer(VMBCHANNEL ch)
{
    fake_channel(ch)->mmio_fb = true;
    return STATUS_SUCCESS;
}

NTSTATUS VmbServerChannelInitSetPrepareOfferCallback(VMBCHANNEL ch,
                                                     PFN_VMB_SERVER_CHANNEL_PREPARE_OFFER cb)
{
    fake_channel(ch)->prepare = cb;
    return STATUS_SUCCESS;
}

/* As the VMBus layer: the prepare-offer callback fills the offer's bytes. */
NTSTATUS VmbChannelEnable(VMBCHANNEL ch)
{
    struct fake_channel *c = fake_channel(ch);
    c->enabled = true;
    if (c->prepare)
        c->prepare(ch, c->user_defined);
    return STATUS_SUCCESS;
}

VOID VmbChannelGetMmioSpace(VMBCHANNEL ch, UINT64 *base, UINT64 *size)
{
    const struct fake_channel *c = fake_channel(ch);
    if (base)
        *base = c->mmio_base;
    if (size)
        *size = c->mmio_size;
}

VOID VmbChannelCleanup(VMBCHANNEL ch)
{
    fake_channel(ch)->used = false;
}

/* Recorded when the test lets it succeed; the test plays the sub-channels
 * by calling the primary's process callback with handles of its own. */
NTSTATUS VmbChannelCreateSubchannels(VMBCHANNEL ch, UINT16 count)
{
    struct fake_channel *c = fake_channel(ch);
    if (NT_SUCCESS(c->subchannel_status))
        c->subchannels = count;
    return c->subchannel_status;
}

UINT32 VmbChannelFaultVersion(VMBCHANNEL ch)
{
    return fake_channel(ch)->fault_version;
}

PVOID VmbChannelGetPointer(VMBCHANNEL ch)
{
    return fake_channel(ch)->ctx;
}

NTSTATUS VmbChannelSendPacket(VMBCHANNEL ch, const VOID *buf, UINT32 len, UINT64 id)
{
    struct fake_channel *c = fake_channel(ch);
    if (!c->open)
        return STATUS_INVALID_PARAMETER_1;
    if (c->send_status)
        return c->send_status;
    if (len > VMBUS_MAX_PAYLOAD)
        return STATUS_INVALID_PARAMETER_3;
    struct fake_sent *s = &c->sent[c->nsent++ % FAKE_SENT];
    memcpy(s->data, buf, len);
    s->len = len;
    s->id = id;
    s->completion = false;
    return STATUS_SUCCESS;
}

NTSTATUS VmbChannelSendCompletion(VMBCHANNEL ch, const VOID *buf, UINT32 len, UINT64 id)
{
    struct fake_channel *c = fake_channel(ch);
    NTSTATUS s = VmbChannelSendPacket(ch, buf, len, id);
    if (NT_SUCCESS(s))
        c->sent[(c->nsent - 1) % FAKE_SENT].completion = true;
    return s;
}

NTSTATUS VmbChannelPacketGetGpaRanges(VMBCHANNEL ch, VMB_GPA_RANGE *ranges, UINT32 max,
                                      UINT32 *count)
{
    struct fake_channel *c = fake_channel(ch);
    if (!c->nranges)
        return STATUS_INVALID_DEVICE_STATE;
    if (count)
        *count = c->nranges;
    if (c->nranges > max || !ranges)
        return STATUS_BUFFER_TOO_SMALL;
    memcpy(ranges, c->ranges, c->nranges * sizeof(*ranges));
    return STATUS_SUCCESS;
}

const char *fake_decode_checked(PFN_VMB_CHANNEL_TRACE_DECODE fn, const void *pkt, size_t len,
                                const char **why)
{
    static char full[512];
    char small[sizeof(full)];
    const char *bad = NULL;
    uint8_t *copy = malloc(len ? len : 1);
    if (!copy)
        abort();
    memcpy(copy, pkt, len);
    size_t n = fn(copy, len, full, sizeof(full));
    if (n != strlen(full))
        bad = "the full line's length is not what the decoder returned";
    for (size_t cap = 0; !bad && cap < n + 2; cap++) {
        memset(small, 'x', sizeof(small));
        size_t m = fn(copy, len, small, cap);
        if (!cap)
            bad = m || small[0] != 'x' ? "capacity 0 wrote or returned something" : NULL;
        else if (m != strlen(small) || m >= cap || memcmp(small, full, m))
            bad = "a short capacity gave no NUL-terminated prefix of the full line";
    }
    free(copy);
    *why = bad;
    return bad ? NULL : full;
}

/* The other vmbhv extensions: transfer-page packets are recorded as sent
 * packets; the fake has no GPADLs. */
NTSTATUS VmbChannelSendTransferPages(VMBCHANNEL ch, UINT16 pageset, const VMB_TRANSFER_RANGE *r,
                                     UINT32 count, const VOID *buf, UINT32 len, UINT64 id)
{
    (void)pageset;
    (void)r;
    (void)count;
    return VmbChannelSendPacket(ch, buf, len, id);
}

NTSTATUS VmbChannelGetGpadl(VMBCHANNEL ch, UINT32 handle, VMB_GPA_RANGE *range)
{
    (void)fake_channel(ch);
    (void)handle;
    (void)range;
    return STATUS_INVALID_PARAMETER_2;
}
