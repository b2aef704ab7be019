/* The Hyper-V integration-component (IC) wire format, as Linux's hv_utils
 * reads it (linux-guest-contract.md §8): inside each in-band VMBus packet a
 * pipe header, an IC message header, then the service's body. Little endian,
 * packed; constants and layouts only. */
#ifndef HV_DEVICES_IC_WIRE_H
#define HV_DEVICES_IC_WIRE_H

#include <stddef.h>
#include <stdint.h>

/* Linux ignores the pipe header; what Hyper-V-like hosts write: "data", and
 * the byte count after it. */
#define IC_PIPE_FLAG_DATA 1u

struct ic_pipe_hdr {
    uint32_t flags;
    uint32_t msgsize; /* bytes after this header */
} __attribute__((packed));

struct ic_version {
    uint16_t major, minor;
} __attribute__((packed));

/* IC message types (icmsgtype). */
#define IC_MSG_NEGOTIATE 0u
#define IC_MSG_HEARTBEAT 1u
#define IC_MSG_SHUTDOWN  3u
#define IC_MSG_TIMESYNC  4u

/* icflags: host requests carry TRANSACTION | REQUEST, Linux answers with
 * TRANSACTION | RESPONSE. */
#define IC_FLAG_TRANSACTION 1u
#define IC_FLAG_REQUEST     2u
#define IC_FLAG_RESPONSE    4u

/* status */
#define IC_S_OK   0x00000000u
#define IC_E_FAIL 0x80004005u

struct ic_msg_hdr {
    struct ic_version framework;
    uint16_t type;
    struct ic_version version; /* of the message (the service's version) */
    uint16_t size;             /* body bytes; Linux only sets it in negotiate answers */
    uint32_t status;
    uint8_t trans_id; /* Hyper-V-like hosts send 0; echoed */
    uint8_t flags;
    uint16_t reserved;
} __attribute__((packed));

/* What precedes every body. */
struct ic_frame_hdr {
    struct ic_pipe_hdr pipe;
    struct ic_msg_hdr msg;
} __attribute__((packed));

#define IC_HDR_SIZE 28u /* Linux's ICMSG_HDR: shorter packets are dropped */

/* Negotiate body: counts, then the framework versions followed by the
 * message versions. Linux refuses counts above 100. */
#define IC_MAX_VERSION_COUNT 100u

struct ic_negotiate {
    uint16_t framework_count;
    uint16_t version_count;
    uint32_t reserved;
    struct ic_version versions[];
} __attribute__((packed));

/* Heartbeat body: the guest answers sequence + 1. Linux needs the sequence
 * (8 bytes); the reserved words are sent too, as Hyper-V does. */
struct ic_heartbeat {
    uint64_t sequence;
    uint32_t reserved[8];
} __attribute__((packed));

/* Shutdown body: Linux needs all of it (2060 bytes). */
#define IC_SHUTDOWN_FLAG_FORCE     1u
#define IC_SHUTDOWN_FLAG_REBOOT    2u
#define IC_SHUTDOWN_FLAG_HIBERNATE 4u /* 0 = power off */
#define IC_SHUTDOWN_MESSAGE_SIZE   2048u

struct ic_shutdown {
    uint32_t reason_code;
    uint32_t timeout_seconds;
    uint32_t flags;
    uint8_t display_message[IC_SHUTDOWN_MESSAGE_SIZE];
} __attribute__((packed));

/* Time sync flags: SYNC steps the guest's wall clock, SAMPLE only refreshes
 * the sample behind its PTP clock. Times are Windows FILETIME: 100 ns units
 * since 1601-01-01 UTC. */
#define IC_TIMESYNC_FLAG_PROBE    0u
#define IC_TIMESYNC_FLAG_SYNC     1u
#define IC_TIMESYNC_FLAG_SAMPLE   2u
#define IC_FILETIME_UNIX_EPOCH    116444736000000000ull /* 1970-01-01 as FILETIME */
#define IC_TIMESYNC_REF_MIN_MAJOR 4u /* message versions >= 4.0 carry the reference time */

/* Message versions 1.0 and 3.0. */
struct ic_timesync {
    uint64_t parent_time; /* host wall clock, FILETIME */
    uint64_t child_time;
    uint64_t round_trip_time;
    uint8_t flags;
} __attribute__((packed));

/* Message version 4.0: the host time and the guest's reference counter
 * (TIME_REF_COUNT) at the same instant, so the guest can add its own
 * delivery delay. */
struct ic_timesync_ref {
    uint64_t parent_time;
    uint64_t vm_reference_time;
    uint8_t flags;
    int8_t leap_flags;
    int8_t stratum;
    uint8_t reserved[3];
} __attribute__((packed));

_Static_assert(sizeof(struct ic_pipe_hdr) == 8, "pipe header");
_Static_assert(sizeof(struct ic_version) == 4, "ic_version");
_Static_assert(sizeof(struct ic_msg_hdr) == 20, "icmsg_hdr");
_Static_assert(sizeof(struct ic_frame_hdr) == IC_HDR_SIZE, "ICMSG_HDR");
_Static_assert(offsetof(struct ic_frame_hdr, msg.type) == 12, "icmsgtype at 12");
_Static_assert(offsetof(struct ic_frame_hdr, msg.size) == 18, "icmsgsize at 18");
_Static_assert(offsetof(struct ic_frame_hdr, msg.status) == 20, "status at 20");
_Static_assert(offsetof(struct ic_frame_hdr, msg.flags) == 25, "icflags at 25");
_Static_assert(sizeof(struct ic_negotiate) == 8, "icmsg_negotiate");
_Static_assert(sizeof(struct ic_heartbeat) == 40, "heartbeat_msg_data");
_Static_assert(sizeof(struct ic_shutdown) == 2060, "shutdown_msg_data");
_Static_assert(sizeof(struct ic_timesync) == 25, "ictimesync_data");
_Static_assert(sizeof(struct ic_timesync_ref) == 22, "ictimesync_ref_data");

#endif
