/* The Hyper-V virtual storage (VSTOR) wire format, as Linux's hv_storvsc
 * (drivers/scsi/storvsc_drv.c, the guest side and the judge) sends and reads
 * it, cross-checked with OpenVMM's storvsp (a host side): every in-band
 * packet is one vstor_packet, little endian, packed (docs/storage.md).
 * Constants and layouts only. */
#ifndef HV_DEVICES_STORVSC_WIRE_H
#define HV_DEVICES_STORVSC_WIRE_H

#include <stddef.h>
#include <stdint.h>

/* The channel's interface type: ba6163d9-04a1-4d29-b605-72e2ffb1dc7f (SCSI). */
#define VSTOR_SCSI_GUID                                                                            \
    {                                                                                              \
        0xba6163d9, 0x04a1, 0x4d29,                                                                \
        {                                                                                          \
            0xb6, 0x05, 0x72, 0xe2, 0xff, 0xb1, 0xdc, 0x7f                                         \
        }                                                                                          \
    }

/* Protocol versions: major in the high byte. Linux since mid-2022 (6.1 and
 * 6.12 alike) offers WIN10, WIN8_1, WIN8 in that order; older kernels went
 * on to WIN7 and WIN6, whose requests are shorter (no Win8 extension). */
#define VSTOR_VERSION(major, minor) ((uint16_t)(((major) << 8) | (minor)))
#define VSTOR_VERSION_WIN6          VSTOR_VERSION(2, 0)
#define VSTOR_VERSION_WIN7          VSTOR_VERSION(4, 2)
#define VSTOR_VERSION_WIN8          VSTOR_VERSION(5, 1)
#define VSTOR_VERSION_WIN8_1        VSTOR_VERSION(6, 0)
#define VSTOR_VERSION_WIN10         VSTOR_VERSION(6, 2)

enum vstor_operation {
    VSTOR_OP_COMPLETE_IO = 1, /* every host answer carries this */
    VSTOR_OP_REMOVE_DEVICE = 2,
    VSTOR_OP_EXECUTE_SRB = 3,
    VSTOR_OP_RESET_LUN = 4,
    VSTOR_OP_RESET_ADAPTER = 5,
    VSTOR_OP_RESET_BUS = 6,
    VSTOR_OP_BEGIN_INITIALIZATION = 7,
    VSTOR_OP_END_INITIALIZATION = 8,
    VSTOR_OP_QUERY_PROTOCOL_VERSION = 9,
    VSTOR_OP_QUERY_PROPERTIES = 10,
    VSTOR_OP_ENUMERATE_BUS = 11, /* host to guest: rescan */
    VSTOR_OP_FCHBA_DATA = 12,
    VSTOR_OP_CREATE_SUB_CHANNELS = 13,
};

/* vstor_packet.flags: the guest sets it on everything it sends. */
#define VSTOR_FLAG_REQUEST_COMPLETION 1u

/* vstor_packet.status: NTSTATUS. Linux fails initialisation on anything but
 * 0 except in a version answer, where non-zero means "try the next one". It
 * only logs the status of an SRB completion (the SRB status decides). */
#define VSTOR_S_SUCCESS                0x00000000u
#define VSTOR_S_DEVICE_BUSY            0x80000011u
#define VSTOR_E_INVALID_PARAMETER      0xC000000Du
#define VSTOR_E_INVALID_DEVICE_REQUEST 0xC0000010u /* unknown operation */
#define VSTOR_E_REVISION_MISMATCH      0xC0000059u /* version not offered */
#define VSTOR_E_DEVICE_DOES_NOT_EXIST  0xC00000C0u
#define VSTOR_E_INVALID_DEVICE_STATE   0xC0000184u /* operation out of order */
#define VSTOR_E_IO_DEVICE_ERROR        0xC0000185u

/* vmscsi_request.srb_status: a 6-bit code and two flags. Linux copies the
 * sense only with AUTOSENSE_VALID and CHECK CONDITION; INVALID_LUN makes it
 * drop the LUN; ERROR / INVALID_REQUEST without sense fail the command with
 * DID_ERROR. */
#define SRB_STATUS_PENDING         0x00u
#define SRB_STATUS_SUCCESS         0x01u
#define SRB_STATUS_ABORTED         0x02u
#define SRB_STATUS_ERROR           0x04u
#define SRB_STATUS_BUSY            0x05u
#define SRB_STATUS_INVALID_REQUEST 0x06u
#define SRB_STATUS_DATA_OVERRUN    0x12u
#define SRB_STATUS_INVALID_LUN     0x20u
#define SRB_STATUS_INTERNAL_ERROR  0x30u
#define SRB_STATUS_QUEUE_FROZEN    0x40u
#define SRB_STATUS_AUTOSENSE_VALID 0x80u

/* vmscsi_request.data_in */
#define VSTOR_DATA_OUT     0u /* WRITE_TYPE: guest to device */
#define VSTOR_DATA_IN      1u /* READ_TYPE */
#define VSTOR_DATA_UNKNOWN 2u /* no data */

/* srb_flags bits Linux sets (informational for the host). */
#define SRB_FLAGS_QUEUE_ACTION_ENABLE    0x00000002u
#define SRB_FLAGS_DISABLE_SYNCH_TRANSFER 0x00000008u
#define SRB_FLAGS_DATA_IN                0x00000040u
#define SRB_FLAGS_DATA_OUT               0x00000080u
#define SRB_FLAGS_NO_QUEUE_FREEZE        0x00000100u

#define VSTOR_CDB_MAX   16u
#define VSTOR_SENSE_MAX 20u /* 18 (0x12) before Win8 */

struct vmscsi_request {
    uint16_t length; /* of this struct as the guest sends it */
    uint8_t srb_status;
    uint8_t scsi_status;
    uint8_t port_number;
    uint8_t path_id;
    uint8_t target_id;
    uint8_t lun;
    uint8_t cdb_length;
    uint8_t sense_info_length; /* the guest: room for sense; the host: sense bytes */
    uint8_t data_in;
    uint8_t reserved;
    uint32_t data_transfer_length; /* the guest: buffer bytes; the host: bytes moved */
    union {                        /* the CDB going out, the sense coming back */
        uint8_t cdb[VSTOR_CDB_MAX];
        uint8_t sense[VSTOR_SENSE_MAX];
    };
    /* The Windows 8 extension (protocol 5.1 and later). */
    uint16_t reserve;
    uint8_t queue_tag;
    uint8_t queue_action;
    uint32_t srb_flags;
    uint32_t time_out_value;
    uint32_t queue_sort_key;
} __attribute__((packed));

/* The request as pre-Win8 protocols size it: without the extension. This is
 * Linux's old vmscsi_size_delta (16). */
#define VMSCSI_REQUEST_SIZE_PRE_WIN8 offsetof(struct vmscsi_request, reserve)
#define VMSCSI_WIN8_EXT_SIZE         (sizeof(struct vmscsi_request) - VMSCSI_REQUEST_SIZE_PRE_WIN8)

#define VSTOR_PROP_MULTI_CHANNEL 1u /* properties.flags: sub-channels on request */

struct vstor_channel_properties {
    uint32_t reserved;
    uint16_t max_channel_count; /* sub-channels the guest may ask for */
    uint16_t reserved1;
    uint32_t flags;
    uint32_t max_transfer_bytes; /* Linux: max_sectors, sg_tablesize = this / 4096 + 1 */
    uint64_t reserved2;
} __attribute__((packed));

struct vstor_protocol_version {
    uint16_t major_minor;
    uint16_t revision; /* Linux sends 0 */
} __attribute__((packed));

struct vstor_packet_hdr {
    uint32_t operation;
    uint32_t flags;
    uint32_t status;
} __attribute__((packed));

struct vstor_packet {
    struct vstor_packet_hdr hdr;
    union {
        struct vmscsi_request srb;
        struct vstor_channel_properties properties;
        struct vstor_protocol_version version;
        uint16_t sub_channel_count;
        uint8_t buffer[0x34];
    };
} __attribute__((packed));

/* Linux drops answers shorter than this (any transaction id but 0). */
#define VSTOR_PACKET_SIZE sizeof(struct vstor_packet)

_Static_assert(sizeof(struct vmscsi_request) == 0x34, "vmscsi_request, Win8");
_Static_assert(VMSCSI_REQUEST_SIZE_PRE_WIN8 == 0x24, "vmscsi_request, pre-Win8");
_Static_assert(VMSCSI_WIN8_EXT_SIZE == 16, "vmscsi_win8_extension");
_Static_assert(offsetof(struct vmscsi_request, srb_status) == 2, "srb_status");
_Static_assert(offsetof(struct vmscsi_request, target_id) == 6, "target_id");
_Static_assert(offsetof(struct vmscsi_request, lun) == 7, "lun");
_Static_assert(offsetof(struct vmscsi_request, cdb_length) == 8, "cdb_length");
_Static_assert(offsetof(struct vmscsi_request, sense_info_length) == 9, "sense_info_length");
_Static_assert(offsetof(struct vmscsi_request, data_in) == 10, "data_in");
_Static_assert(offsetof(struct vmscsi_request, data_transfer_length) == 12, "data_transfer_length");
_Static_assert(offsetof(struct vmscsi_request, cdb) == 16, "cdb");
_Static_assert(offsetof(struct vmscsi_request, srb_flags) == 40, "srb_flags");
_Static_assert(offsetof(struct vmscsi_request, queue_sort_key) == 48, "queue_sort_key");
_Static_assert(sizeof(struct vstor_channel_properties) == 24, "channel properties");
_Static_assert(offsetof(struct vstor_channel_properties, max_channel_count) == 4, "max_chn");
_Static_assert(offsetof(struct vstor_channel_properties, flags) == 8, "flags");
_Static_assert(offsetof(struct vstor_channel_properties, max_transfer_bytes) == 12, "max_xfer");
_Static_assert(sizeof(struct vstor_protocol_version) == 4, "protocol version");
_Static_assert(sizeof(struct vstor_packet_hdr) == 12, "packet header");
_Static_assert(sizeof(struct vstor_packet) == 64, "vstor_packet");
_Static_assert(offsetof(struct vstor_packet, srb) == 12, "payload at 12");

#endif
