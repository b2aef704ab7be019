/* The channel server API in the shape of Windows' VMBus Kernel Mode Client
 * Library (vmbuskernelmodeclientlibapi.h): Windows names, types and NTSTATUS
 * values, so a vmbhv device reads like a KMCL one (kmcl.md, docs/vmbus.md).
 * A device allocates a channel, configures it with the Init* calls while it is
 * INITIALIZING, enables it (which reserves its MMIO and offers it), and later
 * disables and cleans it up. The device never sees wire structs.
 *
 * Deviations from Windows, all documented in docs/vmbus.md: strings are
 * char*, not UNICODE_STRING; VmbChannelDisable does not block (the relid is
 * held until the guest releases it); a few vmbhv extensions are marked so. */
#ifndef HV_VMBUS_KMCL_H
#define HV_VMBUS_KMCL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmbus/kmcl_types.h"

/* --- life cycle ----------------------------------------------------------------------- */
/* A new server channel in INITIALIZING. STATUS_INVALID_PARAMETER_2 unless
 * IsServer (vmbhv serves, it has no client channels), _3 for a NULL Channel,
 * STATUS_INSUFFICIENT_RESOURCES when the channel table is full. */
typedef NTSTATUS FN_VMB_CHANNEL_ALLOCATE(PDEVICE_OBJECT ParentDeviceObject, BOOLEAN IsServer,
                                         VMBCHANNEL *Channel);
/* INITIALIZING -> ENABLED: checks the interface GUIDs are set (else
 * STATUS_INVALID_DEVICE_STATE) and the instance GUID is not offered by another
 * channel (likewise), reserves the MMIO window (else
 * STATUS_INSUFFICIENT_RESOURCES), then joins the offer set: offered at once if
 * the guest has asked for offers. Any failure leaves the channel INITIALIZING
 * with nothing reserved. STATUS_INVALID_PARAMETER_1 for a bad handle or state. */
typedef NTSTATUS FN_VMB_CHANNEL_ENABLE(VMBCHANNEL Channel);
/* -> DISABLED: closes it if open (EvtChannelClosed), rescinds the offer if the
 * guest saw it (the relid stays reserved until the guest's RELID_RELEASED),
 * frees the MMIO window. Returns at once. A bad handle is logged and ignored. */
typedef VOID FN_VMB_CHANNEL_DISABLE(VMBCHANNEL Channel);
/* Disables if needed and frees the handle; any later use of it is detected. */
typedef VOID FN_VMB_CHANNEL_CLEANUP(VMBCHANNEL Channel);

/* --- configuration: each valid only in INITIALIZING, STATUS_INVALID_PARAMETER_1 for a
 * NULL, stale or forged handle or any other state, checked first -------------------------- */
/* The name in the log lines (default "channel<relid>"); _2 for NULL, empty,
 * longer than VMBUS_FRIENDLY_NAME_MAX or other characters. */
typedef NTSTATUS FN_VMB_CHANNEL_INIT_SET_FRIENDLY_NAME(VMBCHANNEL Channel, const char *Name);
/* Copied; _2 for NULL. */
typedef NTSTATUS
FN_VMB_CHANNEL_INIT_SET_STATE_CHANGE_CALLBACKS(VMBCHANNEL Channel,
                                               const VMB_CHANNEL_STATE_CHANGE_CALLBACKS *Callbacks);
/* Sets the processing callback, see FN_VMB_CHANNEL_PROCESS_PACKET; NULL removes it. */
typedef NTSTATUS
FN_VMB_CHANNEL_INIT_SET_PROCESS_PACKET_CALLBACK(VMBCHANNEL Channel,
                                                PFN_VMB_CHANNEL_PROCESS_PACKET Callback);
/* Class and instance GUIDs of the offer; _2 / _3 for a NULL or all-zero GUID. */
typedef NTSTATUS FN_VMB_SERVER_CHANNEL_INIT_SET_TARGET_INTERFACE_ID(VMBCHANNEL Channel,
                                                                    const GUID *InterfaceType,
                                                                    const GUID *InterfaceInstance);
/* The seed (kmcl.md): megabytes of guest MMIO to reserve, required and
 * optional, carried in the offer. STATUS_INVALID_PARAMETER when both are 0;
 * STATUS_SUCCESS records them, a later call before enable replaces them. */
typedef NTSTATUS FN_VMB_SERVER_CHANNEL_INIT_SET_MMIO_MEGABYTES(VMBCHANNEL Channel,
                                                               UINT16 MmioMegabytes,
                                                               UINT16 MmioMegabytesOptional);
/* vmbhv extension: the channel's MMIO megabytes are a frame buffer the guest
 * places itself inside the frame-buffer region its VMBus driver reserves at
 * the start of the low MMIO range (Linux's hyperv_fb; docs/video.md): the
 * channel is granted that whole region instead of a high-gap window, and
 * VmbChannelGetMmioSpace reports it. Enable fails when the region is taken,
 * smaller than MmioMegabytes, or MmioMegabytes is 0. */
typedef NTSTATUS FN_VMB_SERVER_CHANNEL_INIT_SET_MMIO_FRAMEBUFFER(VMBCHANNEL Channel);
/* vmbhv extension: the first Size bytes of the offer's user-defined area (the
 * rest zero); _2 for NULL Data with Size > 0, _3 for Size > 120. */
typedef NTSTATUS FN_VMB_SERVER_CHANNEL_INIT_SET_USER_DEFINED_DATA(VMBCHANNEL Channel,
                                                                  const VOID *Data, UINT32 Size);
/* vmbhv extension, see FN_VMB_SERVER_CHANNEL_PREPARE_OFFER; NULL removes it. */
typedef NTSTATUS FN_VMB_SERVER_CHANNEL_INIT_SET_PREPARE_OFFER_CALLBACK(
    VMBCHANNEL Channel, PFN_VMB_SERVER_CHANNEL_PREPARE_OFFER Callback);

/* --- queries ------------------------------------------------------------------------------ */
/* The granted window while one is reserved (from inside VmbChannelEnable's
 * prepare-offer callback until disable): guest-physical base and size in
 * bytes (required + granted optional). 0 and 0 otherwise, or for a bad handle
 * (logged). Either pointer may be NULL. */
/* vmbhv extension: an in-band packet (type 6) to the guest on an open channel,
 * signalling it as Linux expects. STATUS_INVALID_PARAMETER_1 for a bad handle
 * or a channel that is not open, _2 for NULL Buffer with a length, _3 for a
 * packet above VMBUS_MAX_PACKET_SIZE; STATUS_INSUFFICIENT_RESOURCES when the
 * guest's ring is full (try again after its next signal); STATUS_INVALID_DEVICE_STATE
 * when the channel's rings are corrupt (stalled). */
typedef NTSTATUS FN_VMB_CHANNEL_SEND_PACKET(VMBCHANNEL Channel, const VOID *Buffer, UINT32 Length,
                                            UINT64 TransactionId);

typedef VOID FN_VMB_CHANNEL_GET_MMIO_SPACE(VMBCHANNEL Channel, UINT64 *MmioAddress,
                                           UINT64 *MmioSize);
/* The ParentDeviceObject given to VmbChannelAllocate; NULL for a bad handle. */
typedef PVOID FN_VMB_CHANNEL_GET_POINTER(VMBCHANNEL Channel);

FN_VMB_CHANNEL_ALLOCATE VmbChannelAllocate;
FN_VMB_CHANNEL_ENABLE VmbChannelEnable;
FN_VMB_CHANNEL_DISABLE VmbChannelDisable;
FN_VMB_CHANNEL_CLEANUP VmbChannelCleanup;
FN_VMB_CHANNEL_INIT_SET_FRIENDLY_NAME VmbChannelInitSetFriendlyName;
FN_VMB_CHANNEL_INIT_SET_STATE_CHANGE_CALLBACKS VmbChannelInitSetStateChangeCallbacks;
FN_VMB_CHANNEL_INIT_SET_PROCESS_PACKET_CALLBACK VmbChannelInitSetProcessPacketCallback;
FN_VMB_CHANNEL_SEND_PACKET VmbChannelSendPacket;
/* vmbhv extension: a completion packet (type 11) answering TransactionId, the
 * way Hyper-V answers a request that asked for one (storvsc's, netvsc's);
 * statuses as VmbChannelSendPacket. */
NTSTATUS VmbChannelSendCompletion(VMBCHANNEL Channel, const VOID *Buffer, UINT32 Length,
                                  UINT64 TransactionId);
/* vmbhv extension: a transfer-page packet (type 7, completion requested):
 * Count (1..VMB_MAX_TRANSFER_RANGES) ranges of transfer page set PagesetId,
 * then Buffer: how Hyper-V hands netvsc received frames in its receive
 * buffer. The guest answers with a completion packet of TransactionId.
 * Statuses as VmbChannelSendPacket (_2: no or too many ranges; _3: Buffer
 * and ranges above VMBUS_MAX_PAYLOAD). */
NTSTATUS VmbChannelSendTransferPages(VMBCHANNEL Channel, UINT16 PagesetId,
                                     const VMB_TRANSFER_RANGE *Ranges, UINT32 Count,
                                     const VOID *Buffer, UINT32 Length, UINT64 TransactionId);
/* vmbhv extension: the pages of the guest's GPADL GpadlHandle on this open
 * channel (netvsc's receive and send buffers), when it is created and one
 * range: its byte count and offset, PFNs (inside guest RAM, checked when it
 * was created). Valid until the guest's next message may tear it down (with
 * several VPs: at any time, and the slot refilled unchecked): look it up
 * each time it is used and check each page against guest RAM where used. _1: bad handle or not
 * open; _2: no such created GPADL of this channel; STATUS_INVALID_PARAMETER: more than one range.
 */
NTSTATUS VmbChannelGetGpadl(VMBCHANNEL Channel, UINT32 GpadlHandle, VMB_GPA_RANGE *Range);
/* vmbhv extension: inside EvtChannelProcessPacket for a GPA-direct packet,
 * its page ranges: up to MaxRanges into Ranges, how many it has in *Count.
 * The list was checked where it entered (each range's offset below 4096,
 * a byte count, the PFNs its offset and count span, all inside the packet,
 * at most VMB_MAX_GPA_RANGES); the PFNs were not (the device checks each page
 * it uses against guest RAM). STATUS_INVALID_PARAMETER: the guest's list is
 * malformed (answer the request with an error); STATUS_BUFFER_TOO_SMALL:
 * more than MaxRanges; STATUS_INVALID_DEVICE_STATE: not inside such a call;
 * STATUS_INVALID_PARAMETER_1: a bad handle. */
NTSTATUS VmbChannelPacketGetGpaRanges(VMBCHANNEL Channel, VMB_GPA_RANGE *Ranges, UINT32 MaxRanges,
                                      UINT32 *Count);
/* vmbhv extension: Count (1..VMBUS_MAX_SUBCHANNELS) sub-channels of the
 * open primary channel Primary, enabled and offered at once with its class
 * and instance GUIDs and sub_channel_index 1..Count: how a device grants the
 * guest's request for them (storvsc's CREATE_SUB_CHANNELS, netvsc's NVSP 5
 * subchannel request). Each has its own relid, ring, open and close and
 * target VP; each takes the primary's packet callback, trace decoder and
 * parent pointer, no state-change callbacks and no MMIO, and is named
 * "<primary>.<index>". They live while the primary stays open: its close
 * (the guest's, a disable, a reset or UNLOAD) withdraws them and the server
 * frees them, so the device never holds their handles outside its packet
 * callback (VmbChannelDisable and VmbChannelCleanup ignore them, logged).
 * _1: a bad handle, a primary that is not open, or a sub-channel; _2: Count
 * 0 or above VMBUS_MAX_SUBCHANNELS; STATUS_INVALID_DEVICE_STATE: it has
 * sub-channels already; STATUS_INSUFFICIENT_RESOURCES: not that many free
 * slots (none created). */
NTSTATUS VmbChannelCreateSubchannels(VMBCHANNEL Primary, UINT16 Count);
/* vmbhv extension: the channel's trace decoder (NULL: none), while
 * INITIALIZING like the other InitSet calls. */
NTSTATUS VmbChannelInitSetTraceDecoder(VMBCHANNEL Channel, PFN_VMB_CHANNEL_TRACE_DECODE Decoder);
FN_VMB_SERVER_CHANNEL_INIT_SET_TARGET_INTERFACE_ID VmbServerChannelInitSetTargetInterfaceId;
FN_VMB_SERVER_CHANNEL_INIT_SET_MMIO_MEGABYTES VmbServerChannelInitSetMmioMegabytes;
FN_VMB_SERVER_CHANNEL_INIT_SET_MMIO_FRAMEBUFFER VmbServerChannelInitSetMmioFramebuffer;
FN_VMB_SERVER_CHANNEL_INIT_SET_USER_DEFINED_DATA VmbServerChannelInitSetUserDefinedData;
FN_VMB_SERVER_CHANNEL_INIT_SET_PREPARE_OFFER_CALLBACK VmbServerChannelInitSetPrepareOfferCallback;
FN_VMB_CHANNEL_GET_MMIO_SPACE VmbChannelGetMmioSpace;
FN_VMB_CHANNEL_GET_POINTER VmbChannelGetPointer;
/* vmbhv extension, the fault engine's one hook in the devices (docs/faults.md,
 * bad-version): 0, or the version (major << 16 | minor) a device must offer
 * alone in its own protocol's version negotiation instead of its list. */
UINT32 VmbChannelFaultVersion(VMBCHANNEL Channel);

/* --- the server-only method table ---------------------------------------------------- */
typedef FN_VMB_SERVER_CHANNEL_INIT_SET_MMIO_MEGABYTES
    *PFN_VMB_SERVER_CHANNEL_INIT_SET_MMIO_MEGABYTES;
typedef FN_VMB_SERVER_CHANNEL_INIT_SET_TARGET_INTERFACE_ID
    *PFN_VMB_SERVER_CHANNEL_INIT_SET_TARGET_INTERFACE_ID;
typedef FN_VMB_SERVER_CHANNEL_INIT_SET_USER_DEFINED_DATA
    *PFN_VMB_SERVER_CHANNEL_INIT_SET_USER_DEFINED_DATA;
typedef FN_VMB_SERVER_CHANNEL_INIT_SET_PREPARE_OFFER_CALLBACK
    *PFN_VMB_SERVER_CHANNEL_INIT_SET_PREPARE_OFFER_CALLBACK;

/* Windows' KMCL_SERVER_ONLY_METHODS, with the members vmbhv implements in
 * Windows' order, then the vmbhv extensions. A member cannot have function
 * type in C; as in Windows it points to one: VmbServerChannelInitSetMmioMegabytes
 * is a FN_VMB_SERVER_CHANNEL_INIT_SET_MMIO_MEGABYTES *. */
typedef struct _KMCL_SERVER_ONLY_METHODS {
    PFN_VMB_SERVER_CHANNEL_INIT_SET_MMIO_MEGABYTES VmbServerChannelInitSetMmioMegabytes;
    PFN_VMB_SERVER_CHANNEL_INIT_SET_TARGET_INTERFACE_ID VmbServerChannelInitSetTargetInterfaceId;
    PFN_VMB_SERVER_CHANNEL_INIT_SET_USER_DEFINED_DATA VmbServerChannelInitSetUserDefinedData;
    PFN_VMB_SERVER_CHANNEL_INIT_SET_PREPARE_OFFER_CALLBACK
    VmbServerChannelInitSetPrepareOfferCallback;
} KMCL_SERVER_ONLY_METHODS;

extern const KMCL_SERVER_ONLY_METHODS KmclServerOnlyMethods;

#endif
