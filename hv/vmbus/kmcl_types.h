/* The KMCL's types: the Windows types, NTSTATUS values and GUIDs the VMBus
 * host and its devices share, the callbacks a device implements, the packet
 * limits; and the GUID helpers (guid.c). kmcl.h declares the calls on them.
 * The bottom of hv/vmbus: it includes nothing of it. */
#ifndef HV_VMBUS_KMCL_TYPES_H
#define HV_VMBUS_KMCL_TYPES_H

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
#define STATUS_BUFFER_TOO_SMALL       ((NTSTATUS)0xC0000023)
#define NT_SUCCESS(s)                 ((NTSTATUS)(s) >= 0)

/* Bytes of the offer's user-defined area a server may fill. */
#define VMBUS_USER_DEFINED_SIZE 120u
/* Longest friendly name (without the NUL): letters, digits, '.', '_', '-'. */
#define VMBUS_FRIENDLY_NAME_MAX 31u
/* Sub-channels one primary may have (VmbChannelCreateSubchannels). */
#define VMBUS_MAX_SUBCHANNELS 15u

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

/* The Types EvtChannelProcessPacket sees: an in-band data packet (the wire's
 * VMBUS_PKT_DATA_INBAND), and one whose data also lies in guest pages it
 * names (VMBUS_PKT_DATA_USING_GPA_DIRECT: storvsc's and netvsc's transfers;
 * VmbChannelPacketGetGpaRanges gives the pages). Other types are the guest's
 * mistake, for the device to refuse. */
#define VMB_PACKET_TYPE_DATA_INBAND     0x6u
#define VMB_PACKET_TYPE_DATA_GPA_DIRECT 0x9u

/* One page range of a GPA-direct packet: ByteCount bytes from ByteOffset into
 * the first of PfnCount guest pages, as the guest wrote them (not checked
 * against guest RAM: the device checks each page it uses). */
typedef struct _VMB_GPA_RANGE {
    UINT32 ByteCount;
    UINT32 ByteOffset;
    UINT32 PfnCount;
    const UINT64 *Pfns; /* valid during the EvtChannelProcessPacket call */
} VMB_GPA_RANGE;
/* Ranges one packet may have (netvsc's page buffers: at most 32). */
#define VMB_MAX_GPA_RANGES 32u

/* One range of a transfer-page packet: ByteCount bytes at ByteOffset into
 * the transfer page set (a GPADL the guest gave, as netvsc's receive buffer). */
typedef struct _VMB_TRANSFER_RANGE {
    UINT32 ByteCount;
    UINT32 ByteOffset;
} VMB_TRANSFER_RANGE;
#define VMB_MAX_TRANSFER_RANGES 64u

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
 * nothing: it runs only while the trace is on, under the server lock (no
 * KMCL call from it). */
typedef size_t FN_VMB_CHANNEL_TRACE_DECODE(const VOID *Buffer, size_t Length, char *Out,
                                           size_t Cap);
typedef FN_VMB_CHANNEL_TRACE_DECODE *PFN_VMB_CHANNEL_TRACE_DECODE;

/* --- GUID helpers (guid.c) ------------------------------------------------------- */
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
