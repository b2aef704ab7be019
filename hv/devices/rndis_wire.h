/* Remote NDIS as Hyper-V's network VSP carries it inside NVSP (nvsp_wire.h)
 * and Linux's hv_netvsc (rndis_filter.c, hyperv_net.h, include/linux/rndis.h)
 * sends and reads it: every message is a type and a length, then the body.
 * Offsets inside a body count from the body's start (after the 8-byte
 * header). Little endian. Constants and layouts only (docs/network.md). */
#ifndef HV_DEVICES_RNDIS_WIRE_H
#define HV_DEVICES_RNDIS_WIRE_H

#include <stddef.h>
#include <stdint.h>

#define RNDIS_MAJOR_VERSION 1u
#define RNDIS_MINOR_VERSION 0u

#define RNDIS_MSG_COMPLETION  0x80000000u
#define RNDIS_MSG_PACKET      0x00000001u
#define RNDIS_MSG_INIT        0x00000002u
#define RNDIS_MSG_HALT        0x00000003u /* no answer */
#define RNDIS_MSG_QUERY       0x00000004u
#define RNDIS_MSG_SET         0x00000005u
#define RNDIS_MSG_RESET       0x00000006u
#define RNDIS_MSG_INDICATE    0x00000007u /* device to host: status */
#define RNDIS_MSG_KEEPALIVE   0x00000008u
#define RNDIS_MSG_INIT_C      (RNDIS_MSG_INIT | RNDIS_MSG_COMPLETION)
#define RNDIS_MSG_QUERY_C     (RNDIS_MSG_QUERY | RNDIS_MSG_COMPLETION)
#define RNDIS_MSG_SET_C       (RNDIS_MSG_SET | RNDIS_MSG_COMPLETION)
#define RNDIS_MSG_RESET_C     (RNDIS_MSG_RESET | RNDIS_MSG_COMPLETION)
#define RNDIS_MSG_KEEPALIVE_C (RNDIS_MSG_KEEPALIVE | RNDIS_MSG_COMPLETION)

/* NDIS statuses. Linux judges init, set and query answers by SUCCESS alone. */
#define RNDIS_STATUS_SUCCESS           0x00000000u
#define RNDIS_STATUS_MEDIA_CONNECT     0x4001000Bu
#define RNDIS_STATUS_MEDIA_DISCONNECT  0x4001000Cu
#define RNDIS_STATUS_LINK_SPEED_CHANGE 0x40010013u
#define RNDIS_STATUS_NETWORK_CHANGE    0x40010018u
#define RNDIS_STATUS_FAILURE           0xC0000001u
#define RNDIS_STATUS_NOT_SUPPORTED     0xC00000BBu /* unknown or unimplemented OID */
#define RNDIS_STATUS_BAD_VERSION       0xC0010004u
#define RNDIS_STATUS_ADAPTER_NOT_READY 0xC0010011u /* before INIT */
#define RNDIS_STATUS_INVALID_LENGTH    0xC0010014u /* an OID's value too short */
#define RNDIS_STATUS_INVALID_DATA      0xC0010015u /* offsets outside the message */

#define RNDIS_DF_CONNECTIONLESS           0x00000001u
#define RNDIS_MEDIUM_802_3                0x00000000u
#define RNDIS_PHYSICAL_MEDIUM_UNSPECIFIED 0u

/* NDIS media states (OID_GEN_MEDIA_CONNECT_STATUS): Linux reads non-zero
 * as link down. */
#define NDIS_MEDIA_STATE_CONNECTED    0u
#define NDIS_MEDIA_STATE_DISCONNECTED 1u

/* The OIDs Linux uses (and the few it may). */
#define OID_GEN_MAXIMUM_FRAME_SIZE            0x00010106u /* the MTU, without header */
#define OID_GEN_LINK_SPEED                    0x00010107u /* in 100 bit/s */
#define OID_GEN_CURRENT_PACKET_FILTER         0x0001010Eu
#define OID_GEN_MEDIA_CONNECT_STATUS          0x00010114u
#define OID_GEN_PHYSICAL_MEDIUM               0x00010202u
#define OID_GEN_RECEIVE_SCALE_CAPABILITIES    0x00010203u
#define OID_GEN_RECEIVE_SCALE_PARAMETERS      0x00010204u
#define OID_GEN_RNDIS_CONFIG_PARAMETER        0x0001021Bu /* MAC change */
#define OID_GEN_FRIENDLY_NAME                 0x00020216u
#define OID_802_3_PERMANENT_ADDRESS           0x01010101u
#define OID_802_3_CURRENT_ADDRESS             0x01010102u
#define OID_OFFLOAD_ENCAPSULATION             0x0101010Au
#define OID_TCP_OFFLOAD_PARAMETERS            0xFC01020Cu
#define OID_TCP_OFFLOAD_HARDWARE_CAPABILITIES 0xFC01020Du

/* OID_GEN_CURRENT_PACKET_FILTER bits */
#define NDIS_PACKET_TYPE_DIRECTED      0x00000001u
#define NDIS_PACKET_TYPE_MULTICAST     0x00000002u
#define NDIS_PACKET_TYPE_ALL_MULTICAST 0x00000004u
#define NDIS_PACKET_TYPE_BROADCAST     0x00000008u
#define NDIS_PACKET_TYPE_PROMISCUOUS   0x00000020u

/* NDIS object headers */
#define NDIS_OBJECT_TYPE_DEFAULT          0x80u /* offload parameters */
#define NDIS_OBJECT_TYPE_RSS_CAPABILITIES 0x88u
#define NDIS_OBJECT_TYPE_OFFLOAD          0xa7u
#define NDIS_RSS_CAPS_REVISION_2          2u
/* The offload capability revisions and sizes Linux asks for by NVSP version. */
#define NDIS_OFFLOAD_REVISION_1 1u /* NVSP < 4: up to ipsecv2 */
#define NDIS_OFFLOAD_REVISION_2 2u /* NVSP 4: up to rsc */
#define NDIS_OFFLOAD_REVISION_3 3u /* NVSP >= 5: all */

/* ndis_offload_params values: 0 "no change", 1 "disabled"; anything more
 * enables a feature. */
#define NDIS_OFFLOAD_PARAMETERS_NO_CHANGE 0u
#define NDIS_OFFLOAD_PARAMETERS_DISABLED  1u
/* What Linux sends up to NVSP 4 (through lso_v2_ipv6 and then some). */
#define NDIS_OFFLOAD_PARAMS_V4_SIZE 22u

/* Per-packet info types (the type field's low 31 bits; bit 31: internal). */
#define RNDIS_PPI_TCPIP_CHECKSUM 0u
#define RNDIS_PPI_LSO            2u
#define RNDIS_PPI_IEEE_8021Q     6u
#define RNDIS_PPI_HASH_VALUE     8u
#define RNDIS_PPI_INTERNAL       0x80000000u
/* IEEE_8021Q value: priority bits 0-2, CFI bit 3, VLAN id bits 4-15. */
#define RNDIS_VLAN_PRI(v) ((v)&7u)
#define RNDIS_VLAN_ID(v)  (((v) >> 4) & 0xfffu)

struct rndis_header {
    uint32_t type;
    uint32_t len; /* the whole message, header included */
} __attribute__((packed));

struct rndis_init_request {
    uint32_t req_id;
    uint32_t major;
    uint32_t minor;
    uint32_t max_xfer_size;
} __attribute__((packed));

struct rndis_init_complete {
    uint32_t req_id;
    uint32_t status;
    uint32_t major;
    uint32_t minor;
    uint32_t dev_flags;
    uint32_t medium;
    uint32_t max_pkt_per_msg; /* Linux batches this many in a send section */
    uint32_t max_xfer_size;
    uint32_t pkt_align_factor; /* ... each padded to 1 << this */
    uint32_t af_list_offset;
    uint32_t af_list_size;
} __attribute__((packed));

/* QUERY and SET requests alike (a SET carries its value). */
struct rndis_oid_request {
    uint32_t req_id;
    uint32_t oid;
    uint32_t info_len;
    uint32_t info_offset; /* from the body's start */
    uint32_t dev_vc_handle;
} __attribute__((packed));

struct rndis_query_complete {
    uint32_t req_id;
    uint32_t status;
    uint32_t info_len;
    uint32_t info_offset; /* from the body's start; Linux wants >= 16 */
} __attribute__((packed));

/* SET and KEEPALIVE completions alike. */
struct rndis_status_complete {
    uint32_t req_id;
    uint32_t status;
} __attribute__((packed));

struct rndis_reset_request {
    uint32_t reserved;
} __attribute__((packed));

/* No request id: at most one reset is outstanding. */
struct rndis_reset_complete {
    uint32_t status;
    uint32_t addressing_reset;
} __attribute__((packed));

struct rndis_keepalive_request {
    uint32_t req_id;
} __attribute__((packed));

struct rndis_indicate_status {
    uint32_t status;
    uint32_t buf_len;
    uint32_t buf_offset; /* from the body's start */
} __attribute__((packed));

struct rndis_packet {
    uint32_t data_offset; /* from the body's start */
    uint32_t data_len;
    uint32_t oob_offset;
    uint32_t oob_len;
    uint32_t num_oob;
    uint32_t ppi_offset; /* from the body's start */
    uint32_t ppi_len;
    uint32_t vc_handle;
    uint32_t reserved;
} __attribute__((packed));

struct rndis_ppi {
    uint32_t size; /* this header and its value */
    uint32_t type;
    uint32_t offset; /* of the value, from this header's start */
} __attribute__((packed));

struct ndis_object_header {
    uint8_t type;
    uint8_t revision;
    uint16_t size;
} __attribute__((packed));

/* OID_TCP_OFFLOAD_HARDWARE_CAPABILITIES: what the host can do for the
 * guest's frames. Kept as counted parts: vmbhv answers all zero. */
struct ndis_offload {
    struct ndis_object_header header;
    uint32_t csum[8]; /* ip4 tx/rx, ip6 tx/rx: encapsulation and flags */
    uint32_t lsov1[4];
    uint32_t ipsecv1[7];
    uint32_t lsov2[7]; /* ip4 encap / max size / min segments, ip6 ..., options */
    uint32_t flags;
    uint32_t ipsecv2[8]; /* an encap word, 11 flag bytes, 4 words, padded */
    uint8_t rsc[2];
    uint8_t pad[2];
    uint32_t encap_gre[2];
} __attribute__((packed));

#define NDIS_OFFLOAD_SIZE_6_0 offsetof(struct ndis_offload, ipsecv2)
#define NDIS_OFFLOAD_SIZE_6_1 offsetof(struct ndis_offload, rsc)
#define NDIS_OFFLOAD_SIZE     sizeof(struct ndis_offload)

/* OID_TCP_OFFLOAD_PARAMETERS: bytes 4..25 but the flags word are one
 * setting each (NDIS_OFFLOAD_PARAMETERS_*). */
struct ndis_offload_params {
    struct ndis_object_header header;
    uint8_t ip_v4_csum;
    uint8_t tcp_ip_v4_csum;
    uint8_t udp_ip_v4_csum;
    uint8_t tcp_ip_v6_csum;
    uint8_t udp_ip_v6_csum;
    uint8_t lso_v1;
    uint8_t ip_sec_v1;
    uint8_t lso_v2_ipv4;
    uint8_t lso_v2_ipv6;
    uint8_t tcp_connection_ip_v4;
    uint8_t tcp_connection_ip_v6;
    uint8_t pad;
    uint32_t flags;
    uint8_t ip_sec_v2;
    uint8_t ip_sec_v2_ip_v4;
    uint8_t rsc_ip_v4;
    uint8_t rsc_ip_v6;
    uint8_t encapsulated_packet_task_offload;
    uint8_t encapsulation_types;
    uint8_t pad2[2];
} __attribute__((packed));

/* OID_GEN_RECEIVE_SCALE_CAPABILITIES: Linux asks for sub-channels only when
 * num_recv_queues >= 2. */
struct ndis_rss_caps {
    struct ndis_object_header header;
    uint32_t cap_flags;
    uint32_t num_int_msg;
    uint32_t num_recv_queues;
    uint16_t num_indirection_entries;
} __attribute__((packed));

_Static_assert(sizeof(struct rndis_header) == 8, "header");
_Static_assert(sizeof(struct rndis_init_request) == 16, "init request");
_Static_assert(sizeof(struct rndis_init_complete) == 44, "init complete");
_Static_assert(offsetof(struct rndis_init_complete, max_pkt_per_msg) == 24, "max_pkt");
_Static_assert(offsetof(struct rndis_init_complete, pkt_align_factor) == 32, "align");
_Static_assert(sizeof(struct rndis_oid_request) == 20, "query/set request");
_Static_assert(sizeof(struct rndis_query_complete) == 16, "query complete");
_Static_assert(sizeof(struct rndis_status_complete) == 8, "set complete");
_Static_assert(sizeof(struct rndis_reset_request) == 4, "reset request");
_Static_assert(sizeof(struct rndis_reset_complete) == 8, "reset complete");
_Static_assert(sizeof(struct rndis_keepalive_request) == 4, "keepalive");
_Static_assert(sizeof(struct rndis_indicate_status) == 12, "indicate status");
_Static_assert(sizeof(struct rndis_packet) == 36, "packet");
_Static_assert(offsetof(struct rndis_packet, ppi_offset) == 20, "ppi offset");
_Static_assert(sizeof(struct rndis_ppi) == 12, "ppi");
_Static_assert(sizeof(struct ndis_object_header) == 4, "object header");
_Static_assert(offsetof(struct ndis_offload, lsov1) == 36, "lsov1");
_Static_assert(offsetof(struct ndis_offload, lsov2) == 80, "lsov2");
_Static_assert(NDIS_OFFLOAD_SIZE_6_0 == 112, "ndis_offload 6.0");
_Static_assert(NDIS_OFFLOAD_SIZE_6_1 == 144, "ndis_offload 6.1");
_Static_assert(offsetof(struct ndis_offload, encap_gre) == 148, "encap_gre");
_Static_assert(NDIS_OFFLOAD_SIZE == 156, "ndis_offload");
_Static_assert(offsetof(struct ndis_offload_params, flags) == 16, "params flags");
_Static_assert(offsetof(struct ndis_offload_params, rsc_ip_v4) == 22, "params rsc");
_Static_assert(offsetof(struct ndis_offload_params, encapsulation_types) == 25, "params encap");
_Static_assert(sizeof(struct ndis_offload_params) == 28, "offload params");
_Static_assert(sizeof(struct ndis_rss_caps) == 18, "rss caps");

#endif
