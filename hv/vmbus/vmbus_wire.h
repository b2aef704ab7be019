/* VMBus channel-management messages as Linux 6.1 exchanges them
 * (linux-guest-contract.md §6): message types, protocol versions, connection
 * ids, and every layout with its size and key offsets checked. Constants and
 * layouts only. All integers little-endian; GUIDs in the Windows mixed-endian
 * byte layout. The structs are packed because the offer puts a u16 and the
 * 120-byte user area between 8-byte fields; read and write them through
 * memcpy'd copies, never through pointers into guest-controlled buffers. */
#ifndef HV_VMBUS_VMBUS_WIRE_H
#define HV_VMBUS_VMBUS_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "page.h"

/* HvPostMessage connection ids of the control channel: INITIATE_CONTACT comes
 * on 4 for versions >= 5.0 and on 1 before; later messages come on 1 (< 5.0)
 * or on the id VERSION_RESPONSE returned (>= 5.0). */
#define VMBUS_MESSAGE_CONNECTION_ID   1u
#define VMBUS_MESSAGE_CONNECTION_ID_4 4u
/* SynIC message type of every channel message, in both directions. */
#define VMBUS_MESSAGE_TYPE 1u
/* Host->guest SINT before 5.0 (from 5.0 the guest names it). */
#define VMBUS_MESSAGE_SINT 2u

#define VMBUS_VERSION(major, minor) (((uint32_t)(major) << 16) | (uint32_t)(minor))
#define VMBUS_VERSION_MAJOR(v)      ((unsigned)((v) >> 16))
#define VMBUS_VERSION_MINOR(v)      ((unsigned)((v)&0xFFFFu))
#define VMBUS_VERSION_WIN8          VMBUS_VERSION(2, 4)
#define VMBUS_VERSION_WIN8_1        VMBUS_VERSION(3, 0)
#define VMBUS_VERSION_WIN10         VMBUS_VERSION(4, 0)
#define VMBUS_VERSION_WIN10_V4_1    VMBUS_VERSION(4, 1)
#define VMBUS_VERSION_WIN10_V5      VMBUS_VERSION(5, 0)
#define VMBUS_VERSION_WIN10_V5_1    VMBUS_VERSION(5, 1)
#define VMBUS_VERSION_WIN10_V5_2    VMBUS_VERSION(5, 2)
#define VMBUS_VERSION_WIN10_V5_3    VMBUS_VERSION(5, 3)

enum vmbus_msgtype {
    VMBUS_MSG_INVALID = 0,
    VMBUS_MSG_OFFERCHANNEL = 1,
    VMBUS_MSG_RESCIND_CHANNELOFFER = 2,
    VMBUS_MSG_REQUESTOFFERS = 3,
    VMBUS_MSG_ALLOFFERS_DELIVERED = 4,
    VMBUS_MSG_OPENCHANNEL = 5,
    VMBUS_MSG_OPENCHANNEL_RESULT = 6,
    VMBUS_MSG_CLOSECHANNEL = 7,
    VMBUS_MSG_GPADL_HEADER = 8,
    VMBUS_MSG_GPADL_BODY = 9,
    VMBUS_MSG_GPADL_CREATED = 10,
    VMBUS_MSG_GPADL_TEARDOWN = 11,
    VMBUS_MSG_GPADL_TORNDOWN = 12,
    VMBUS_MSG_RELID_RELEASED = 13,
    VMBUS_MSG_INITIATE_CONTACT = 14,
    VMBUS_MSG_VERSION_RESPONSE = 15,
    VMBUS_MSG_UNLOAD = 16,
    VMBUS_MSG_UNLOAD_RESPONSE = 17,
    /* 18-20: Hyper-V's reserved-channel messages, never used by Linux */
    VMBUS_MSG_TL_CONNECT_REQUEST = 21,
    VMBUS_MSG_MODIFYCHANNEL = 22,
    VMBUS_MSG_TL_CONNECT_RESULT = 23,
    VMBUS_MSG_MODIFYCHANNEL_RESPONSE = 24,
    VMBUS_MSG_COUNT = 25
};

#define VMBUS_MAX_RELID                 2047u /* Linux's relid table has 2048 entries, 0 unused */
#define VMBUS_OFFER_USER_DEFINED_SIZE   120u
#define VMBUS_OPEN_USER_DATA_SIZE       120u
#define VMBUS_OFFER_DEDICATED_INTERRUPT 0x0001u /* interrupt_flags bit 0 */

struct vmbus_msg_header {
    uint32_t msgtype;
    uint32_t padding;
} __attribute__((packed));

/* guest -> host */
struct vmbus_initiate_contact {
    struct vmbus_msg_header header;
    uint32_t version_requested;
    uint32_t target_vcpu; /* VP index that receives the host's messages */
    union {
        uint64_t interrupt_page; /* versions < 5.0 */
        struct {                 /* versions >= 5.0 */
            uint8_t msg_sint;
            uint8_t msg_vtl;
            uint8_t reserved[6];
        } __attribute__((packed));
    } __attribute__((packed));
    uint64_t monitor_page1;
    uint64_t monitor_page2;
} __attribute__((packed));

/* host -> guest */
struct vmbus_version_response {
    struct vmbus_msg_header header;
    uint8_t version_supported;
    uint8_t connection_state;
    uint16_t padding;
    uint32_t msg_conn_id; /* used by the guest from 5.0 on */
} __attribute__((packed));

struct vmbus_offer_channel {
    struct vmbus_msg_header header;
    uint8_t if_type[16];     /* class GUID */
    uint8_t if_instance[16]; /* instance GUID: unique per primary channel */
    uint64_t reserved1;
    uint64_t reserved2;
    uint16_t chn_flags;
    uint16_t mmio_megabytes;
    uint8_t user_defined[VMBUS_OFFER_USER_DEFINED_SIZE];
    uint16_t sub_channel_index;
    uint16_t mmio_megabytes_optional; /* Linux 6.1 calls it reserved3 */
    uint32_t child_relid;
    uint8_t monitorid;
    uint8_t monitor_flags;    /* bit 0: monitor_allocated */
    uint16_t interrupt_flags; /* bit 0: is_dedicated_interrupt */
    uint32_t connection_id;   /* the guest's HvSignalEvent id for this channel */
} __attribute__((packed));

/* RESCIND_CHANNELOFFER, CLOSECHANNEL and RELID_RELEASED */
struct vmbus_relid_msg {
    struct vmbus_msg_header header;
    uint32_t child_relid;
} __attribute__((packed));

struct vmbus_open_channel {
    struct vmbus_msg_header header;
    uint32_t child_relid;
    uint32_t openid;
    uint32_t ringbuffer_gpadl;
    uint32_t target_vp;
    uint32_t downstream_page_offset; /* host->guest ring, in pages from the GPADL start */
    uint8_t user_data[VMBUS_OPEN_USER_DATA_SIZE];
} __attribute__((packed));

struct vmbus_open_result {
    struct vmbus_msg_header header;
    uint32_t child_relid;
    uint32_t openid;
    uint32_t status;
} __attribute__((packed));

/* The range buffer (range_buflen bytes, continued by GPADL_BODY messages) is
 * a sequence of ranges, each a vmbus_gpa_range followed by its PFNs. */
struct vmbus_gpadl_header {
    struct vmbus_msg_header header;
    uint32_t child_relid;
    uint32_t gpadl;
    uint16_t range_buflen;
    uint16_t rangecount;
} __attribute__((packed));

struct vmbus_gpa_range {
    uint32_t byte_count;
    uint32_t byte_offset; /* into the first page */
} __attribute__((packed));

struct vmbus_gpadl_body {
    struct vmbus_msg_header header;
    uint32_t msgnumber; /* always 0 from Linux: not looked at */
    uint32_t gpadl;
} __attribute__((packed));

struct vmbus_gpadl_created {
    struct vmbus_msg_header header;
    uint32_t child_relid;
    uint32_t gpadl;
    uint32_t creation_status;
} __attribute__((packed));

struct vmbus_gpadl_teardown {
    struct vmbus_msg_header header;
    uint32_t child_relid;
    uint32_t gpadl;
} __attribute__((packed));

struct vmbus_gpadl_torndown {
    struct vmbus_msg_header header;
    uint32_t gpadl;
} __attribute__((packed));

struct vmbus_modifychannel {
    struct vmbus_msg_header header;
    uint32_t child_relid;
    uint32_t target_vp;
} __attribute__((packed));

struct vmbus_modifychannel_response {
    struct vmbus_msg_header header;
    uint32_t child_relid;
    uint32_t status;
} __attribute__((packed));

struct vmbus_tl_connect_request {
    struct vmbus_msg_header header;
    uint8_t guest_endpoint_id[16];
    uint8_t host_service_id[16];
} __attribute__((packed));

/* host -> guest answer to TL_CONNECT_REQUEST (Hyper-V's layout; never sent
 * by vmbhv, which offers no hv_sock channels; decoded by the trace only). */
struct vmbus_tl_connect_result {
    struct vmbus_msg_header header;
    uint8_t guest_endpoint_id[16];
    uint8_t host_service_id[16];
    uint32_t status;
} __attribute__((packed));

/* Sizes the guest posts (exact) and the minimum Linux accepts from us. */
#define VMBUS_GPADL_HEADER_SIZE     sizeof(struct vmbus_gpadl_header) /* + range buffer */
#define VMBUS_GPADL_BODY_SIZE       sizeof(struct vmbus_gpadl_body)   /* + PFNs */
#define VMBUS_GPADL_HEADER_MAX_PFNS 26u                               /* Linux's split */
#define VMBUS_GPADL_BODY_MAX_PFNS   28u

_Static_assert(sizeof(struct vmbus_msg_header) == 8, "header");
_Static_assert(sizeof(struct vmbus_initiate_contact) == 40, "INITIATE_CONTACT");
_Static_assert(offsetof(struct vmbus_initiate_contact, version_requested) == 8, "ic version");
_Static_assert(offsetof(struct vmbus_initiate_contact, target_vcpu) == 12, "ic vcpu");
_Static_assert(offsetof(struct vmbus_initiate_contact, interrupt_page) == 16, "ic int page");
_Static_assert(offsetof(struct vmbus_initiate_contact, msg_sint) == 16, "ic sint");
_Static_assert(offsetof(struct vmbus_initiate_contact, msg_vtl) == 17, "ic vtl");
_Static_assert(offsetof(struct vmbus_initiate_contact, monitor_page1) == 24, "ic monitor 1");
_Static_assert(offsetof(struct vmbus_initiate_contact, monitor_page2) == 32, "ic monitor 2");
_Static_assert(sizeof(struct vmbus_version_response) == 16, "VERSION_RESPONSE");
_Static_assert(offsetof(struct vmbus_version_response, version_supported) == 8, "vr supported");
_Static_assert(offsetof(struct vmbus_version_response, connection_state) == 9, "vr state");
_Static_assert(offsetof(struct vmbus_version_response, msg_conn_id) == 12, "vr conn id");
_Static_assert(sizeof(struct vmbus_offer_channel) == 196, "OFFERCHANNEL");
_Static_assert(offsetof(struct vmbus_offer_channel, if_type) == 8, "offer type");
_Static_assert(offsetof(struct vmbus_offer_channel, if_instance) == 24, "offer instance");
_Static_assert(offsetof(struct vmbus_offer_channel, reserved1) == 40, "offer reserved1");
_Static_assert(offsetof(struct vmbus_offer_channel, chn_flags) == 56, "offer flags");
_Static_assert(offsetof(struct vmbus_offer_channel, mmio_megabytes) == 58, "offer mmio");
_Static_assert(offsetof(struct vmbus_offer_channel, user_defined) == 60, "offer user");
_Static_assert(offsetof(struct vmbus_offer_channel, sub_channel_index) == 180, "offer subch");
_Static_assert(offsetof(struct vmbus_offer_channel, mmio_megabytes_optional) == 182, "offer opt");
_Static_assert(offsetof(struct vmbus_offer_channel, child_relid) == 184, "offer relid");
_Static_assert(offsetof(struct vmbus_offer_channel, monitorid) == 188, "offer monitorid");
_Static_assert(offsetof(struct vmbus_offer_channel, monitor_flags) == 189, "offer monflags");
_Static_assert(offsetof(struct vmbus_offer_channel, interrupt_flags) == 190, "offer intflags");
_Static_assert(offsetof(struct vmbus_offer_channel, connection_id) == 192, "offer conn id");
_Static_assert(sizeof(struct vmbus_relid_msg) == 12, "RESCIND/CLOSE/RELID_RELEASED");
_Static_assert(sizeof(struct vmbus_open_channel) == 148, "OPENCHANNEL");
_Static_assert(offsetof(struct vmbus_open_channel, openid) == 12, "open id");
_Static_assert(offsetof(struct vmbus_open_channel, ringbuffer_gpadl) == 16, "open gpadl");
_Static_assert(offsetof(struct vmbus_open_channel, target_vp) == 20, "open vp");
_Static_assert(offsetof(struct vmbus_open_channel, downstream_page_offset) == 24, "open down");
_Static_assert(offsetof(struct vmbus_open_channel, user_data) == 28, "open user");
_Static_assert(sizeof(struct vmbus_open_result) == 20, "OPENCHANNEL_RESULT");
_Static_assert(offsetof(struct vmbus_open_result, status) == 16, "open result status");
_Static_assert(sizeof(struct vmbus_gpadl_header) == 20, "GPADL_HEADER fixed part");
_Static_assert(offsetof(struct vmbus_gpadl_header, gpadl) == 12, "gh gpadl");
_Static_assert(offsetof(struct vmbus_gpadl_header, range_buflen) == 16, "gh buflen");
_Static_assert(offsetof(struct vmbus_gpadl_header, rangecount) == 18, "gh rangecount");
_Static_assert(sizeof(struct vmbus_gpa_range) == 8, "gpa range");
_Static_assert(VMBUS_GPADL_HEADER_SIZE + 8 + 8 * VMBUS_GPADL_HEADER_MAX_PFNS <= 240, "gh max");
_Static_assert(sizeof(struct vmbus_gpadl_body) == 16, "GPADL_BODY fixed part");
_Static_assert(offsetof(struct vmbus_gpadl_body, gpadl) == 12, "gb gpadl");
_Static_assert(VMBUS_GPADL_BODY_SIZE + 8 * VMBUS_GPADL_BODY_MAX_PFNS <= 240, "gb max");
_Static_assert(sizeof(struct vmbus_gpadl_created) == 20, "GPADL_CREATED");
_Static_assert(offsetof(struct vmbus_gpadl_created, creation_status) == 16, "gc status");
_Static_assert(sizeof(struct vmbus_gpadl_teardown) == 16, "GPADL_TEARDOWN");
_Static_assert(sizeof(struct vmbus_gpadl_torndown) == 12, "GPADL_TORNDOWN");
_Static_assert(sizeof(struct vmbus_modifychannel) == 16, "MODIFYCHANNEL");
_Static_assert(sizeof(struct vmbus_modifychannel_response) == 16, "MODIFYCHANNEL_RESPONSE");
_Static_assert(sizeof(struct vmbus_tl_connect_request) == 40, "TL_CONNECT_REQUEST");
_Static_assert(sizeof(struct vmbus_tl_connect_result) == 44, "TL_CONNECT_RESULT");

#endif
