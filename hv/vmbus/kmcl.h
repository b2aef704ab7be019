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

/* --- types ------------------------------------------------------------------- */
typedef int32_t NTSTATUS;
typedef uint8_t UINT8;
typedef uint16_t UINT16;
typedef uint32_t UINT32;
typedef uint64_t UINT64;
typedef uint8_t BOOLEAN;
typedef void VOID;
typedef void *PVOID;
#define TRUE  ((BOOLEAN)1)
#define FALSE ((BOOLEAN)0)

/* The Windows layout: Data1-3 little-endian, Data4 as bytes. On x86 this is
 * byte for byte what VMBus puts on the wire. */
typedef struct _GUID {
    UINT32 Data1;
    UINT16 Data2;
    UINT16 Data3;
    UINT8 Data4[8];
} GUID;
_Static_assert(sizeof(GUID) == 16, "GUID is 16 bytes");

/* vmbhv has no device objects: this is whatever the device wants handed back
 * by VmbChannelGetPointer (its own state), or NULL. */
typedef PVOID PDEVICE_OBJECT;

/* An opaque channel handle: a table index and a generation, never a pointer,
 * checked on every call, so a stale, freed or forged handle is detected. */
typedef struct VMBCHANNEL__ *VMBCHANNEL;

/* --- status values, as Windows defines them --------------------------------------- */
#define STATUS_SUCCESS                ((NTSTATUS)0x00000000)
#define STATUS_INVALID_PARAMETER      ((NTSTATUS)0xC000000D)
#define STATUS_INSUFFICIENT_RESOURCES ((NTSTATUS)0xC000009A)
#define STATUS_INVALID_PARAMETER_1    ((NTSTATUS)0xC00000EF)
#define STATUS_INVALID_PARAMETER_2    ((NTSTATUS)0xC00000F0)
#define STATUS_INVALID_PARAMETER_3    ((NTSTATUS)0xC00000F1)
#define STATUS_INVALID_DEVICE_STATE   ((NTSTATUS)0xC0000184)
#define NT_SUCCESS(s)                 ((NTSTATUS)(s) >= 0)

/* Bytes of the offer's user-defined area a server may fill. */
#define VMBUS_USER_DEFINED_SIZE 120u
/* Longest friendly name (without the NUL): letters, digits, '.', '_', '-'. */
#define VMBUS_FRIENDLY_NAME_MAX 31u

/* --- callbacks ---------------------------------------------------------------------- */
/* The guest opened the channel (OPENCHANNEL with a valid ring GPADL). A
 * failure status is sent back as the OPENCHANNEL_RESULT status. */
typedef NTSTATUS FN_VMB_CHANNEL_OPENED(VMBCHANNEL Channel);
typedef FN_VMB_CHANNEL_OPENED *PFN_VMB_CHANNEL_OPENED;
/* The channel closed: the guest's CLOSECHANNEL, VmbChannelDisable, or the
 * guest's UNLOAD. */
typedef VOID FN_VMB_CHANNEL_CLOSED(VMBCHANNEL Channel);
typedef FN_VMB_CHANNEL_CLOSED *PFN_VMB_CHANNEL_CLOSED;

typedef struct _VMB_CHANNEL_STATE_CHANGE_CALLBACKS {
    PFN_VMB_CHANNEL_OPENED EvtChannelOpened; /* NULL: every open succeeds */
    PFN_VMB_CHANNEL_CLOSED EvtChannelClosed;
} VMB_CHANNEL_STATE_CHANGE_CALLBACKS;

/* The channel's processing callback (KMCL's EvtChannelProcessPacket, in a
 * simpler shape): one packet the guest sent, its payload after the packet
 * descriptor (Buffer, BufferLength), its VMBus packet type and transaction id.
 * Called when the guest signals the open channel, once per packet, in order;
 * the buffer is only valid during the call. */
typedef VOID FN_VMB_CHANNEL_PROCESS_PACKET(VMBCHANNEL Channel, const VOID *Buffer,
                                           UINT32 BufferLength, UINT16 Type, UINT64 TransactionId);
typedef FN_VMB_CHANNEL_PROCESS_PACKET *PFN_VMB_CHANNEL_PROCESS_PACKET;

/* The Type EvtChannelProcessPacket sees for an in-band data packet (the
 * wire's VMBUS_PKT_DATA_INBAND): the only type a device needs to know. */
#define VMB_PACKET_TYPE_DATA_INBAND 0x6u

/* The largest packet a device sends or receives: Linux's 4 KiB packet buffer. */
#define VMBUS_MAX_PACKET_SIZE 4096u
/* What one such packet carries after its 16-byte descriptor: the most a
 * device's VmbChannelSendPacket sends. */
#define VMBUS_MAX_PAYLOAD (VMBUS_MAX_PACKET_SIZE - 16u)

/* vmbhv extension: called by VmbChannelEnable after the MMIO window is
 * reserved and before the channel joins the offer set, with the offer's
 * user-defined bytes (VMBUS_USER_DEFINED_SIZE, preset from
 * VmbServerChannelInitSetUserDefinedData), so a device can put what it was
 * granted (VmbChannelGetMmioSpace) into its offer. */
typedef VOID FN_VMB_SERVER_CHANNEL_PREPARE_OFFER(VMBCHANNEL Channel, UINT8 *UserDefined);
typedef FN_VMB_SERVER_CHANNEL_PREPARE_OFFER *PFN_VMB_SERVER_CHANNEL_PREPARE_OFFER;

/* vmbhv extension, for the decoded trace (class "ring"; docs/vmbus.md,
 * "Trace"): the device's own protocol as text. Called for every packet the
 * ring trace prints, in either direction, with the packet's data (Length
 * bytes, guest-to-host with the guest's padding): writes at most Cap bytes
 * to Out, NUL-terminated, and returns the length written. It must read only
 * Buffer[0..Length) (hostile bytes decode as "malformed") and change
 * nothing: it runs only while the trace is on. */
typedef size_t FN_VMB_CHANNEL_TRACE_DECODE(const VOID *Buffer, size_t Length, char *Out,
                                           size_t Cap);
typedef FN_VMB_CHANNEL_TRACE_DECODE *PFN_VMB_CHANNEL_TRACE_DECODE;

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

/* --- vmbhv helpers for devices ------------------------------------------------------- */
#define GUID_TEXT_SIZE 37u /* "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" and a NUL */

/* Lower-case text as Linux prints class_id/device_id in sysfs (without the
 * braces); out must hold GUID_TEXT_SIZE bytes. */
void guid_format(const GUID *g, char *out);
bool guid_equal(const GUID *a, const GUID *b);
bool guid_is_nil(const GUID *g);
/* A stable instance GUID for a device named Name of class InterfaceType, for
 * configurations that give none: an RFC 9562 version-8 GUID from two FNV-1a
 * hashes of (class, name), so the same device keeps its sysfs name across boots. */
void guid_from_name(GUID *out, const GUID *InterfaceType, const char *Name);
/* A configured device's instance: the 16 configured bytes (as on the wire), or
 * guid_from_name when they are all zero ("instance=auto"). */
void guid_for_device(GUID *out, const UINT8 Configured[16], const GUID *InterfaceType,
                     const char *Name);

#endif
