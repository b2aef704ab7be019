/* The Hyper-V network VSP protocol (NVSP) wire format, as Linux's
 * hv_netvsc (drivers/net/hyperv/netvsc.c, hyperv_net.h: the guest side and
 * the judge) sends and reads it: every NVSP message is a 32-bit type and a
 * union, 40 bytes in all, little endian, packed (docs/network.md). RNDIS
 * travels inside (rndis_wire.h). Constants and layouts only. */
#ifndef HV_DEVICES_NVSP_WIRE_H
#define HV_DEVICES_NVSP_WIRE_H

#include <stddef.h>
#include <stdint.h>

/* The channel's interface type: f8615163-df3e-46c5-913f-f2d2f965ed0e. */
#define NVSP_NETWORK_GUID                                                                          \
    {                                                                                              \
        0xf8615163, 0xdf3e, 0x46c5,                                                                \
        {                                                                                          \
            0x91, 0x3f, 0xf2, 0xd2, 0xf9, 0x65, 0xed, 0x0e                                         \
        }                                                                                          \
    }

/* Protocol versions. Linux 6.1 and 6.12 try 6.1, 6, 5, 4, 2, 1 in that
 * order, one INIT each (min == max), and take the first answered SUCCESS. */
#define NVSP_VERSION_1  0x00002u
#define NVSP_VERSION_2  0x30002u
#define NVSP_VERSION_4  0x40000u
#define NVSP_VERSION_5  0x50000u
#define NVSP_VERSION_6  0x60000u
#define NVSP_VERSION_61 0x60001u

/* The NDIS version the guest announces: 6.1 up to NVSP 4, 6.30 after. */
#define NVSP_NDIS_VERSION(major, minor) ((uint32_t)(major) << 16 | (minor))

enum nvsp_msg_type {
    NVSP_MSG_INIT = 1,
    NVSP_MSG_INIT_COMPLETE = 2,
    NVSP_MSG1_SEND_NDIS_VERSION = 100,
    NVSP_MSG1_SEND_RECV_BUF = 101,
    NVSP_MSG1_SEND_RECV_BUF_COMPLETE = 102,
    NVSP_MSG1_REVOKE_RECV_BUF = 103,
    NVSP_MSG1_SEND_SEND_BUF = 104,
    NVSP_MSG1_SEND_SEND_BUF_COMPLETE = 105,
    NVSP_MSG1_REVOKE_SEND_BUF = 106,
    NVSP_MSG1_SEND_RNDIS_PKT = 107,
    NVSP_MSG1_SEND_RNDIS_PKT_COMPLETE = 108,
    /* 109..124: chimney, VMQ and receive-buffer allocation (unused by Linux) */
    NVSP_MSG2_SEND_NDIS_CONFIG = 125,
    /* 126, 127: chimney handles */
    NVSP_MSG4_SEND_VF_ASSOCIATION = 128,
    NVSP_MSG4_SWITCH_DATA_PATH = 129,
    NVSP_MSG4_UPLINK_CONNECT_STATE = 130, /* deprecated */
    NVSP_MSG5_OID_QUERY_EX = 131,
    NVSP_MSG5_OID_QUERY_EX_COMPLETE = 132,
    NVSP_MSG5_SUBCHANNEL = 133,
    NVSP_MSG5_SEND_INDIRECTION_TABLE = 134,
    NVSP_MSG6_PD_API = 135,
    NVSP_MSG6_PD_POST_BATCH = 136,
};

/* Statuses in completions. Linux only tells SUCCESS from the rest. */
enum nvsp_status {
    NVSP_STAT_NONE = 0,
    NVSP_STAT_SUCCESS = 1,
    NVSP_STAT_FAIL = 2,
    NVSP_STAT_PROTOCOL_TOO_NEW = 3,
    NVSP_STAT_PROTOCOL_TOO_OLD = 4,
    NVSP_STAT_INVALID_RNDIS_PKT = 5,
    NVSP_STAT_BUSY = 6,
    NVSP_STAT_PROTOCOL_UNSUPPORTED = 7,
};

/* The transfer-page set id of the receive buffer: Linux names it in
 * SEND_RECV_BUF and drops transfer-page packets with any other. */
#define NVSP_RECV_BUF_ID 0xcafeu
#define NVSP_SEND_BUF_ID 0u
/* send_rndis_pkt.section_index when no send-buffer section is used. */
#define NVSP_NO_SECTION 0xffffffffu
/* send_rndis_pkt.channel_type */
#define NVSP_RNDIS_DATA    0u
#define NVSP_RNDIS_CONTROL 1u

/* ndis_config.capability bits Linux sets */
#define NVSP_CAP_VMQ       (1u << 0)
#define NVSP_CAP_CHIMNEY   (1u << 1)
#define NVSP_CAP_SRIOV     (1u << 2)
#define NVSP_CAP_IEEE8021Q (1u << 3)
#define NVSP_CAP_CORRELATE (1u << 4)
#define NVSP_CAP_TEAMING   (1u << 5) /* link speed indications wanted */
#define NVSP_CAP_VSUBNETID (1u << 6)
#define NVSP_CAP_RSC       (1u << 7)

#define NVSP_SUBCHANNEL_ALLOCATE 1u
#define NVSP_DATAPATH_SYNTHETIC  0u
#define NVSP_DATAPATH_VF         1u
/* Entries of the send indirection table; Linux ignores any other count. */
#define NVSP_INDIRECTION_TABLE_SIZE 16u

struct nvsp_init {
    uint32_t min_version;
    uint32_t max_version;
} __attribute__((packed));

struct nvsp_init_complete {
    uint32_t negotiated_version;
    uint32_t max_mdl_chain_len;
    uint32_t status;
} __attribute__((packed));

struct nvsp_ndis_version {
    uint32_t major;
    uint32_t minor;
} __attribute__((packed));

struct nvsp_ndis_config {
    uint32_t mtu; /* the guest's MTU plus the 14-byte Ethernet header */
    uint32_t reserved;
    uint64_t capability;
} __attribute__((packed));

/* SEND_RECV_BUF and SEND_SEND_BUF alike. */
struct nvsp_send_buf {
    uint32_t gpadl_handle;
    uint16_t id;
} __attribute__((packed));

struct nvsp_recv_buf_section {
    uint32_t offset;
    uint32_t sub_alloc_size; /* Linux: its receive section size */
    uint32_t num_sub_allocs; /* ... and count */
    uint32_t end_offset;
} __attribute__((packed));

struct nvsp_recv_buf_complete {
    uint32_t status;
    uint32_t num_sections; /* Linux wants exactly 1, at offset 0 */
    struct nvsp_recv_buf_section section;
} __attribute__((packed));

struct nvsp_send_buf_complete {
    uint32_t status;
    uint32_t section_size; /* the host chooses; the guest divides its buffer by it */
} __attribute__((packed));

struct nvsp_revoke_buf {
    uint16_t id;
} __attribute__((packed));

struct nvsp_rndis_pkt {
    uint32_t channel_type;
    uint32_t section_index; /* NVSP_NO_SECTION: all in the GPA ranges */
    uint32_t section_size;  /* bytes used in that section */
} __attribute__((packed));

struct nvsp_rndis_pkt_complete {
    uint32_t status;
} __attribute__((packed));

struct nvsp_vf_association {
    uint32_t allocated; /* 0: no VF */
    uint32_t serial;
} __attribute__((packed));

struct nvsp_switch_data_path {
    uint32_t active_datapath;
} __attribute__((packed));

struct nvsp_subchannel_request {
    uint32_t op;
    uint32_t num_subchannels;
} __attribute__((packed));

struct nvsp_subchannel_complete {
    uint32_t status;
    uint32_t num_subchannels; /* granted, at most those asked */
} __attribute__((packed));

struct nvsp_indirection_table {
    uint32_t count;  /* NVSP_INDIRECTION_TABLE_SIZE */
    uint32_t offset; /* of the u32 entries from the message's start */
} __attribute__((packed));

/* Linux sends and reads sizeof(struct nvsp_message): 40 bytes (its union's
 * largest member is the 36-byte NVSP 6 PacketDirect completion). */
#define NVSP_BODY_SIZE 36u

struct nvsp_message {
    uint32_t type;
    union {
        struct nvsp_init init;
        struct nvsp_init_complete init_complete;
        struct nvsp_ndis_version ndis_version;
        struct nvsp_ndis_config ndis_config;
        struct nvsp_send_buf send_buf;
        struct nvsp_recv_buf_complete recv_buf_complete;
        struct nvsp_send_buf_complete send_buf_complete;
        struct nvsp_revoke_buf revoke_buf;
        struct nvsp_rndis_pkt rndis_pkt;
        struct nvsp_rndis_pkt_complete rndis_pkt_complete;
        struct nvsp_vf_association vf_association;
        struct nvsp_switch_data_path switch_data_path;
        struct nvsp_subchannel_request subchannel_request;
        struct nvsp_subchannel_complete subchannel_complete;
        struct nvsp_indirection_table indirection_table;
        uint8_t body[NVSP_BODY_SIZE];
    };
} __attribute__((packed));

#define NVSP_MESSAGE_SIZE sizeof(struct nvsp_message)

/* The indirection table message: the message, then the entries at its
 * end (Linux fixes a wrong offset up to NVSP 6 to exactly there). */
struct nvsp_indirection_table_msg {
    struct nvsp_message msg;
    uint32_t entry[NVSP_INDIRECTION_TABLE_SIZE];
} __attribute__((packed));

_Static_assert(sizeof(struct nvsp_init) == 8, "init");
_Static_assert(sizeof(struct nvsp_init_complete) == 12, "init complete");
_Static_assert(sizeof(struct nvsp_ndis_version) == 8, "ndis version");
_Static_assert(sizeof(struct nvsp_ndis_config) == 16, "ndis config");
_Static_assert(offsetof(struct nvsp_ndis_config, capability) == 8, "capability");
_Static_assert(sizeof(struct nvsp_send_buf) == 6, "send buf");
_Static_assert(sizeof(struct nvsp_recv_buf_section) == 16, "recv buf section");
_Static_assert(sizeof(struct nvsp_recv_buf_complete) == 24, "recv buf complete");
_Static_assert(offsetof(struct nvsp_recv_buf_complete, section) == 8, "sections");
_Static_assert(sizeof(struct nvsp_send_buf_complete) == 8, "send buf complete");
_Static_assert(sizeof(struct nvsp_revoke_buf) == 2, "revoke");
_Static_assert(sizeof(struct nvsp_rndis_pkt) == 12, "rndis pkt");
_Static_assert(sizeof(struct nvsp_rndis_pkt_complete) == 4, "rndis pkt complete");
_Static_assert(sizeof(struct nvsp_vf_association) == 8, "vf association");
_Static_assert(sizeof(struct nvsp_switch_data_path) == 4, "switch data path");
_Static_assert(sizeof(struct nvsp_subchannel_request) == 8, "subchannel request");
_Static_assert(sizeof(struct nvsp_subchannel_complete) == 8, "subchannel complete");
_Static_assert(sizeof(struct nvsp_indirection_table) == 8, "indirection table");
_Static_assert(offsetof(struct nvsp_message, init) == 4, "body at 4");
_Static_assert(sizeof(struct nvsp_message) == 40, "nvsp_message");
_Static_assert(offsetof(struct nvsp_indirection_table_msg, entry) == 40, "table at 40");
_Static_assert(sizeof(struct nvsp_indirection_table_msg) == 104, "table message");

#endif
