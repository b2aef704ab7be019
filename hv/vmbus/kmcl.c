/* The devices' door: the KMCL server API over the channel table. Every call
 * checks its handle (state.c) before it touches a channel. */
#include "vmbus/kmcl.h"

#include "lib/fmt.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "vmbus/channel.h"
#include "vmbus/gpadl.h"
#include "vmbus/state.h"

_Static_assert(VMB_PACKET_TYPE_DATA_INBAND == VMBUS_PKT_DATA_INBAND, "kmcl.h names the wire type");
_Static_assert(VMBUS_MAX_PAYLOAD == VMBUS_MAX_PACKET_SIZE - sizeof(struct vmbus_packet_desc),
               "the descriptor kmcl.h counts");

/* What every Init* call requires, checked first: a live handle of a channel
 * still being initialised. */
static struct vmbus_channel *initializing(VMBCHANNEL h)
{
    struct vmbus_channel *c = chan_lookup(h);
    return c && c->state == CHAN_INITIALIZING ? c : NULL;
}

static void bad_handle(const char *fn, VMBCHANNEL h)
{
    hv_log("vmbus", "%s: invalid channel handle %p ignored", fn, (void *)h);
}

/* FREE, and no callback of its old channel may still run. */
static bool slot_free(const struct vmbus_channel *c)
{
    return c->state == CHAN_FREE && !c->busy && !c->closed_pending;
}

/* The first free slot, or NULL. */
static struct vmbus_channel *free_slot(void)
{
    for (unsigned i = 0; i < VMBUS_MAX_CHANNELS; i++) {
        if (slot_free(&vmbus.chan[i]))
            return &vmbus.chan[i];
    }
    return NULL;
}

/* Slot c, free, as a new INITIALIZING channel of device with a fresh handle. */
static void take_slot(struct vmbus_channel *c, PVOID device)
{
    memset(c, 0, sizeof(*c));
    c->state = CHAN_INITIALIZING;
    /* Never 0, and counting on across vmbus_init, so no old handle matches. */
    if (!++vmbus.next_gen)
        ++vmbus.next_gen;
    c->gen = vmbus.next_gen;
    c->device = device;
    fmt_snprintf(c->name, sizeof(c->name), "channel%u", chan_relid(c));
}

NTSTATUS VmbChannelAllocate(PDEVICE_OBJECT ParentDeviceObject, BOOLEAN IsServer,
                            VMBCHANNEL *Channel)
{
    VMBUS_DOOR();
    if (!IsServer)
        return STATUS_INVALID_PARAMETER_2;
    if (!Channel)
        return STATUS_INVALID_PARAMETER_3;
    struct vmbus_channel *c = free_slot();
    if (!c) {
        *Channel = NULL;
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    take_slot(c, ParentDeviceObject);
    *Channel = chan_handle(c);
    return STATUS_SUCCESS;
}

static bool name_char(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           ch == '.' || ch == '_' || ch == '-';
}

/* Names go into log lines that tests split on spaces. */
NTSTATUS VmbChannelInitSetFriendlyName(VMBCHANNEL Channel, const char *Name)
{
    VMBUS_DOOR();
    struct vmbus_channel *c = initializing(Channel);
    if (!c)
        return STATUS_INVALID_PARAMETER_1;
    if (!Name || !*Name)
        return STATUS_INVALID_PARAMETER_2;
    size_t n = 0;
    for (; Name[n]; n++) {
        if (n == VMBUS_FRIENDLY_NAME_MAX || !name_char(Name[n]))
            return STATUS_INVALID_PARAMETER_2;
    }
    memcpy(c->name, Name, n + 1);
    return STATUS_SUCCESS;
}

NTSTATUS VmbChannelInitSetStateChangeCallbacks(VMBCHANNEL Channel,
                                               const VMB_CHANNEL_STATE_CHANGE_CALLBACKS *Callbacks)
{
    VMBUS_DOOR();
    struct vmbus_channel *c = initializing(Channel);
    if (!c)
        return STATUS_INVALID_PARAMETER_1;
    if (!Callbacks)
        return STATUS_INVALID_PARAMETER_2;
    c->cb = *Callbacks;
    return STATUS_SUCCESS;
}

NTSTATUS VmbChannelInitSetProcessPacketCallback(VMBCHANNEL Channel,
                                                PFN_VMB_CHANNEL_PROCESS_PACKET Callback)
{
    VMBUS_DOOR();
    struct vmbus_channel *c = initializing(Channel);
    if (!c)
        return STATUS_INVALID_PARAMETER_1;
    c->process = Callback;
    return STATUS_SUCCESS;
}

NTSTATUS VmbChannelCreateSubchannels(VMBCHANNEL Primary, UINT16 Count)
{
    VMBUS_DOOR();
    const struct vmbus_channel *p = chan_lookup(Primary);
    if (!p || p->state != CHAN_OPENED || p->sub_index)
        return STATUS_INVALID_PARAMETER_1;
    if (!Count || Count > VMBUS_MAX_SUBCHANNELS)
        return STATUS_INVALID_PARAMETER_2;
    unsigned free = 0;
    for (unsigned i = 0; i < VMBUS_MAX_CHANNELS; i++) {
        const struct vmbus_channel *c = &vmbus.chan[i];
        if (chan_is_subchannel_of(c, p))
            return STATUS_INVALID_DEVICE_STATE;
        free += slot_free(c);
    }
    if (free < Count)
        return STATUS_INSUFFICIENT_RESOURCES;
    for (UINT16 k = 1; k <= Count; k++) {
        struct vmbus_channel *c = free_slot();
        take_slot(c, p->device);
        fmt_snprintf(c->name, sizeof(c->name), "%s.%u", p->name, (unsigned)k);
        c->sub_index = k;
        c->primary = p;
        c->type = p->type;
        c->instance = p->instance;
        c->ids_set = true;
        memcpy(c->user, p->user, sizeof(c->user));
        c->process = p->process;
        c->decode = p->decode;
        c->state = CHAN_ENABLED;
        hv_log("vmbus", "%s enabled as relid %u: sub-channel %u of relid %u", c->name,
               chan_relid(c), (unsigned)k, chan_relid(p));
        chan_offer(c); /* the primary is open: the guest asked for offers */
    }
    return STATUS_SUCCESS;
}

NTSTATUS VmbChannelInitSetTraceDecoder(VMBCHANNEL Channel, PFN_VMB_CHANNEL_TRACE_DECODE Decoder)
{
    VMBUS_DOOR();
    struct vmbus_channel *c = initializing(Channel);
    if (!c)
        return STATUS_INVALID_PARAMETER_1;
    c->decode = Decoder;
    return STATUS_SUCCESS;
}

UINT32 VmbChannelFaultVersion(VMBCHANNEL Channel)
{
    VMBUS_DOOR();
    struct vmbus_channel *c = chan_lookup(Channel);
    return c && fault_on() ? vmbus.faults->device_version(c) : 0;
}

/* An in-band or completion packet: the checks both sends make, then the ring. */
static NTSTATUS send(VMBCHANNEL Channel, uint16_t type, const VOID *Buffer, UINT32 Length,
                     UINT64 TransactionId)
{
    struct vmbus_channel *c = chan_lookup(Channel);
    if (!c || c->state != CHAN_OPENED)
        return STATUS_INVALID_PARAMETER_1;
    if (!Buffer && Length)
        return STATUS_INVALID_PARAMETER_2;
    if (Length > VMBUS_MAX_PAYLOAD)
        return STATUS_INVALID_PARAMETER_3;
    const struct chan_packet p = {type, 0, 0, TransactionId};
    return chan_send(c, &p, Buffer, Length);
}

NTSTATUS VmbChannelSendPacket(VMBCHANNEL Channel, const VOID *Buffer, UINT32 Length,
                              UINT64 TransactionId)
{
    VMBUS_DOOR();
    return send(Channel, VMBUS_PKT_DATA_INBAND, Buffer, Length, TransactionId);
}

NTSTATUS VmbChannelSendCompletion(VMBCHANNEL Channel, const VOID *Buffer, UINT32 Length,
                                  UINT64 TransactionId)
{
    VMBUS_DOOR();
    return send(Channel, VMBUS_PKT_COMP, Buffer, Length, TransactionId);
}

NTSTATUS VmbChannelSendTransferPages(VMBCHANNEL Channel, UINT16 PagesetId,
                                     const VMB_TRANSFER_RANGE *Ranges, UINT32 Count,
                                     const VOID *Buffer, UINT32 Length, UINT64 TransactionId)
{
    VMBUS_DOOR();
    struct vmbus_channel *c = chan_lookup(Channel);
    if (!c || c->state != CHAN_OPENED)
        return STATUS_INVALID_PARAMETER_1;
    if (!Ranges || !Count || Count > VMB_MAX_TRANSFER_RANGES)
        return STATUS_INVALID_PARAMETER_2;
    const uint32_t head = 8 + 8 * Count;
    if ((!Buffer && Length) || Length > VMBUS_MAX_PAYLOAD - head)
        return STATUS_INVALID_PARAMETER_3;
    /* vmtransfer_page_packet_header after the descriptor: the set, whether
     * the sender owns it (no: the guest's buffer), the ranges; then the data. */
    static _Alignas(8) uint8_t pkt[VMBUS_MAX_PAYLOAD];
    memset(pkt, 0, 8);
    memcpy(pkt, &PagesetId, 2);
    memcpy(pkt + 4, &Count, 4);
    memcpy(pkt + 8, Ranges, 8 * Count);
    if (Length)
        memcpy(pkt + head, Buffer, Length);
    const struct chan_packet p = {VMBUS_PKT_DATA_USING_XFER_PAGES,
                                  VMBUS_PKT_FLAG_COMPLETION_REQUESTED, head, TransactionId};
    return chan_send(c, &p, pkt, head + Length);
}

NTSTATUS VmbChannelGetGpadl(VMBCHANNEL Channel, UINT32 GpadlHandle, VMB_GPA_RANGE *Range)
{
    VMBUS_DOOR();
    const struct vmbus_channel *c = chan_lookup(Channel);
    if (!c || c->state != CHAN_OPENED)
        return STATUS_INVALID_PARAMETER_1;
    if (!Range)
        return STATUS_INVALID_PARAMETER_3;
    const struct vmbus_gpadl *g = gpadl_created(chan_relid(c), GpadlHandle);
    if (!g)
        return STATUS_INVALID_PARAMETER_2;
    if (g->ranges != 1)
        return STATUS_INVALID_PARAMETER;
    Range->ByteCount = (UINT32)g->words[0];
    Range->ByteOffset = (UINT32)(g->words[0] >> 32);
    Range->PfnCount = g->pages;
    Range->Pfns = &g->words[1];
    return STATUS_SUCCESS;
}

NTSTATUS VmbChannelPacketGetGpaRanges(VMBCHANNEL Channel, VMB_GPA_RANGE *Ranges, UINT32 MaxRanges,
                                      UINT32 *Count)
{
    VMBUS_DOOR();
    const struct vmbus_channel *c = chan_lookup(Channel);
    if (!c)
        return STATUS_INVALID_PARAMETER_1;
    if (!c->in_process)
        return STATUS_INVALID_DEVICE_STATE;
    if (!NT_SUCCESS(c->ranges_status))
        return c->ranges_status; /* not GPA-direct, or its list is malformed */
    if (Count)
        *Count = c->nranges;
    if (c->nranges > MaxRanges || !Ranges)
        return STATUS_BUFFER_TOO_SMALL;
    memcpy(Ranges, c->ranges, c->nranges * sizeof(*Ranges));
    return STATUS_SUCCESS;
}

NTSTATUS VmbServerChannelInitSetTargetInterfaceId(VMBCHANNEL Channel, const GUID *InterfaceType,
                                                  const GUID *InterfaceInstance)
{
    VMBUS_DOOR();
    struct vmbus_channel *c = initializing(Channel);
    if (!c)
        return STATUS_INVALID_PARAMETER_1;
    if (!InterfaceType || guid_is_nil(InterfaceType))
        return STATUS_INVALID_PARAMETER_2;
    if (!InterfaceInstance || guid_is_nil(InterfaceInstance))
        return STATUS_INVALID_PARAMETER_3;
    c->type = *InterfaceType;
    c->instance = *InterfaceInstance;
    c->ids_set = true;
    return STATUS_SUCCESS;
}

NTSTATUS VmbServerChannelInitSetMmioMegabytes(VMBCHANNEL Channel, UINT16 MmioMegabytes,
                                              UINT16 MmioMegabytesOptional)
{
    VMBUS_DOOR();
    struct vmbus_channel *c = initializing(Channel);
    if (!c)
        return STATUS_INVALID_PARAMETER_1;
    if (!MmioMegabytes && !MmioMegabytesOptional)
        return STATUS_INVALID_PARAMETER;
    c->mmio_mb = MmioMegabytes;
    c->mmio_optional_mb = MmioMegabytesOptional;
    return STATUS_SUCCESS;
}

NTSTATUS VmbServerChannelInitSetMmioFramebuffer(VMBCHANNEL Channel)
{
    VMBUS_DOOR();
    struct vmbus_channel *c = initializing(Channel);
    if (!c)
        return STATUS_INVALID_PARAMETER_1;
    c->mmio_fb = true;
    return STATUS_SUCCESS;
}

NTSTATUS VmbServerChannelInitSetUserDefinedData(VMBCHANNEL Channel, const VOID *Data, UINT32 Size)
{
    VMBUS_DOOR();
    struct vmbus_channel *c = initializing(Channel);
    if (!c)
        return STATUS_INVALID_PARAMETER_1;
    if (!Data && Size)
        return STATUS_INVALID_PARAMETER_2;
    if (Size > VMBUS_USER_DEFINED_SIZE)
        return STATUS_INVALID_PARAMETER_3;
    memset(c->user, 0, sizeof(c->user));
    if (Size)
        memcpy(c->user, Data, Size);
    return STATUS_SUCCESS;
}

NTSTATUS VmbServerChannelInitSetPrepareOfferCallback(VMBCHANNEL Channel,
                                                     PFN_VMB_SERVER_CHANNEL_PREPARE_OFFER Callback)
{
    VMBUS_DOOR();
    struct vmbus_channel *c = initializing(Channel);
    if (!c)
        return STATUS_INVALID_PARAMETER_1;
    c->prepare_offer = Callback;
    return STATUS_SUCCESS;
}

static NTSTATUS enable_failed(const struct vmbus_channel *c, const char *why, NTSTATUS st)
{
    hv_log("vmbus", "%s: enable failed: %s (status 0x%08x)", c->name, why, (unsigned)st);
    return st;
}

/* Linux names a device by its instance GUID: it must be unique among the
 * channels the guest may know, rescinded ones it has not released included. */
static const struct vmbus_channel *instance_owner(const struct vmbus_channel *c)
{
    for (unsigned i = 0; i < VMBUS_MAX_CHANNELS; i++) {
        const struct vmbus_channel *d = &vmbus.chan[i];
        bool live = d->state == CHAN_ENABLED || d->state == CHAN_OPENED || d->offer != OFFER_NONE;
        /* a sub-channel shares its primary's instance, as the guest expects */
        if (d != c && live && !d->sub_index && guid_equal(&d->instance, &c->instance))
            return d;
    }
    return NULL;
}

/* The device's prepare-offer callback, unlocked (it may ask KMCL for the
 * window); false when the device cleaned the channel up meanwhile. */
static bool prepare_offer(struct vmbus_channel *c, VMBCHANNEL h)
{
    PFN_VMB_SERVER_CHANNEL_PREPARE_OFFER fn = c->prepare_offer;
    /* user is written unlocked: no other door writes it while busy */
    UINT8 *user = c->user;
    chan_callback_begin(c);
    fn(h, user);
    chan_callback_end(c);
    return c->state == CHAN_INITIALIZING;
}

NTSTATUS VmbChannelEnable(VMBCHANNEL Channel)
{
    VMBUS_DOOR();
    struct vmbus_channel *c = initializing(Channel);
    if (!c || c->busy)
        return STATUS_INVALID_PARAMETER_1;
    if (!c->ids_set)
        return enable_failed(c, "interface GUIDs not set", STATUS_INVALID_DEVICE_STATE);
    if (instance_owner(c))
        return enable_failed(c, "instance GUID already offered by another channel",
                             STATUS_INVALID_DEVICE_STATE);
    if (c->mmio_fb && !c->mmio_mb)
        return enable_failed(c, "frame-buffer region without MMIO megabytes",
                             STATUS_INVALID_DEVICE_STATE);
    if (c->mmio_fb) {
        if (!mmio_reserve_fb(&vmbus.fb, c->name, c->mmio_mb, STATUS_INSUFFICIENT_RESOURCES,
                             &c->mmio))
            return enable_failed(c, "MMIO window does not fit", STATUS_INSUFFICIENT_RESOURCES);
        c->has_mmio = true;
    } else if (c->mmio_mb || c->mmio_optional_mb) {
        if (!mmio_reserve(&vmbus.gap, c->name, c->mmio_mb, c->mmio_optional_mb,
                          STATUS_INSUFFICIENT_RESOURCES, &c->mmio))
            return enable_failed(c, "MMIO window does not fit", STATUS_INSUFFICIENT_RESOURCES);
        c->has_mmio = true;
    }
    if (c->prepare_offer && !prepare_offer(c, Channel)) {
        if (c->has_mmio && c->mmio_fb)
            mmio_release_fb(&vmbus.fb, c->name, &c->mmio);
        else if (c->has_mmio)
            mmio_release(&vmbus.gap, c->name, &c->mmio);
        c->has_mmio = false;
        return STATUS_INVALID_PARAMETER_1;
    }
    c->state = CHAN_ENABLED;
    hv_log("vmbus", "%s enabled as relid %u", c->name, chan_relid(c));
    if (vmbus.offers_requested)
        chan_offer(c); /* the guest is listening already */
    return STATUS_SUCCESS;
}

static void disable(struct vmbus_channel *c)
{
    if (c->state == CHAN_ENABLED || c->state == CHAN_OPENED) {
        chan_withdraw(c);
        if (c->has_mmio && c->mmio_fb)
            mmio_release_fb(&vmbus.fb, c->name, &c->mmio);
        else if (c->has_mmio)
            mmio_release(&vmbus.gap, c->name, &c->mmio);
        c->has_mmio = false;
        hv_log("vmbus", "%s disabled", c->name);
    }
    c->state = CHAN_DISABLED;
}

VOID VmbChannelDisable(VMBCHANNEL Channel)
{
    VMBUS_DOOR();
    struct vmbus_channel *c = chan_lookup(Channel);
    if (!c || c->sub_index) { /* a sub-channel goes with its primary */
        bad_handle("VmbChannelDisable", Channel);
        return;
    }
    disable(c);
}

VOID VmbChannelCleanup(VMBCHANNEL Channel)
{
    VMBUS_DOOR();
    struct vmbus_channel *c = chan_lookup(Channel);
    if (!c || c->sub_index) { /* a sub-channel goes with its primary */
        bad_handle("VmbChannelCleanup", Channel);
        return;
    }
    disable(c);
    /* EvtChannelClosed while the handle is live, unless the device is in
     * another callback of c (then it runs when that returns, handle stale). */
    chan_run_closed();
    /* The slot (and relid) stays taken while the guest holds the relid. */
    c->state = c->offer == OFFER_NONE ? CHAN_FREE : CHAN_RELEASING;
}

VOID VmbChannelGetMmioSpace(VMBCHANNEL Channel, UINT64 *MmioAddress, UINT64 *MmioSize)
{
    VMBUS_DOOR();
    const struct vmbus_channel *c = chan_lookup(Channel);
    UINT64 base = 0, size = 0;
    if (!c)
        bad_handle("VmbChannelGetMmioSpace", Channel);
    else if (c->has_mmio) {
        base = c->mmio.base;
        size = c->mmio.required + c->mmio.optional;
    }
    if (MmioAddress)
        *MmioAddress = base;
    if (MmioSize)
        *MmioSize = size;
}

PVOID VmbChannelGetPointer(VMBCHANNEL Channel)
{
    VMBUS_DOOR();
    const struct vmbus_channel *c = chan_lookup(Channel);
    return c ? c->device : NULL;
}

const KMCL_SERVER_ONLY_METHODS KmclServerOnlyMethods = {
    .VmbServerChannelInitSetMmioMegabytes = VmbServerChannelInitSetMmioMegabytes,
    .VmbServerChannelInitSetTargetInterfaceId = VmbServerChannelInitSetTargetInterfaceId,
    .VmbServerChannelInitSetUserDefinedData = VmbServerChannelInitSetUserDefinedData,
    .VmbServerChannelInitSetPrepareOfferCallback = VmbServerChannelInitSetPrepareOfferCallback,
};
