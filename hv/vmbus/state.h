/* The state every layer of hv/vmbus shares (docs/vmbus.md, "Layers"): the one
 * server object with its channel table, GPADLs and queue; channel handles;
 * the counters; the rejection and log helpers; the fault engine's hooks. The
 * layers above (outq, gpadl, channel, connection, the doors message.c and
 * kmcl.c) each have their own header. Nothing outside hv/vmbus (and its tests)
 * includes this. */
#ifndef HV_VMBUS_STATE_H
#define HV_VMBUS_STATE_H

#include <stdbool.h>
#include <stdint.h>

#include "hyperv/hv_wire.h"
#include "lib/log_once.h"
#include "lib/spinlock.h"
#include "lib/timer.h"
#include "vmbus/kmcl_types.h"
#include "vmbus/mmio.h"
#include "vmbus/fault_hooks.h"
#include "vmbus/port.h"
#include "vmbus/ring.h"
#include "vmbus/vmbus_wire.h"

#define VMBUS_MAX_CHANNELS 32u
/* The guest's HvSignalEvent id of a channel: QEMU's convention (ids 1 and 4
 * are message connections; these are event connections, a separate space). */
#define VMBUS_CHANNEL_CONN_BASE 0x10u
#define VMBUS_MAX_GPADLS        32u
#define VMBUS_GPADL_MAX_RANGES  8u
#define VMBUS_GPADL_MAX_PAGES   4608u /* 18 MiB: hv_netvsc's 16 MiB receive buffer fits */
#define VMBUS_GPADL_MAX_WORDS   (VMBUS_GPADL_MAX_PAGES + VMBUS_GPADL_MAX_RANGES)
/* Up to one offer or rescind per channel, plus at most VMBUS_OUTQ_LEN -
 * VMBUS_MAX_CHANNELS other messages (message.c admits a guest message only
 * while that many stay free), so the queue never overflows. */
#define VMBUS_OUTQ_LEN (3u * VMBUS_MAX_CHANNELS)
/* Packets one drain of a guest-to-host ring takes (one HvSignalEvent, one
 * vmbus_poll, one retry timer): the rest waits for the next, so neither a
 * guest that keeps its ring full nor a device answering into a ring the guest
 * aliased keeps the host inside one exit. */
#define VMBUS_DRAIN_BUDGET 64u
/* A drain cut short continues at the next vmbus_poll (every exit) or, if no
 * exit comes first, when this retry timer fires. */
#define VMBUS_DRAIN_RETRY_NS 100000ull
/* Lines of each guest-repeatable kind logged before the rest are only counted. */
#define VMBUS_LOG_BUDGET 64u

_Static_assert(VMBUS_MAX_CHANNELS <= MMIO_MAX_WINDOWS, "a window per channel");
_Static_assert(VMBUS_MAX_CHANNELS <= VMBUS_MAX_RELID, "relid = slot + 1");
_Static_assert(VMBUS_OUTQ_LEN > 2 * VMBUS_MAX_CHANNELS + 1, "offers + one reply fit");

/* Device-facing life cycle (kmcl.md). RELEASING: the device cleaned it up
 * but the guest still holds the relid (rescinded, RELID_RELEASED pending). */
enum chan_state {
    CHAN_FREE,
    CHAN_INITIALIZING,
    CHAN_ENABLED,
    CHAN_OPENED,
    CHAN_DISABLED,
    CHAN_RELEASING
};
/* Guest-facing: what the host said of the channel's relid. Whether the guest
 * heard it yet is whether the message still waits in our queue (outq_holds). */
enum offer_state { OFFER_NONE, OFFER_MADE, OFFER_RESCINDED };

struct vmbus_channel {
    enum chan_state state;
    enum offer_state offer;
    uint32_t gen; /* matches the handle's generation while the handle is live */
    char name[VMBUS_FRIENDLY_NAME_MAX + 1];
    PVOID device;
    GUID type, instance;
    bool ids_set;
    UINT16 mmio_mb, mmio_optional_mb;
    bool mmio_fb; /* the MMIO is the frame-buffer region, not a high-gap window */
    UINT8 user[VMBUS_USER_DEFINED_SIZE];
    VMB_CHANNEL_STATE_CHANGE_CALLBACKS cb;
    PFN_VMB_CHANNEL_PROCESS_PACKET process;
    PFN_VMB_CHANNEL_TRACE_DECODE decode; /* NULL: packets are traced undecoded */
    PFN_VMB_SERVER_CHANNEL_PREPARE_OFFER prepare_offer;
    bool has_mmio;
    struct mmio_window mmio;
    uint32_t ring_gpadl;       /* while OPENED */
    struct vmbus_ring in, out; /* guest-to-host and host-to-guest, while OPENED */
    bool stalled;              /* a ring was found corrupt: no more traffic */
    bool drain_pending;        /* the last drain stopped at VMBUS_DRAIN_BUDGET */
    uint64_t signals;
    uint32_t target_vp; /* whose SynIC the channel's interrupts go to (OPEN, MODIFY) */
    /* A sub-channel (VmbChannelCreateSubchannels): its index (1..; 0 for a
     * primary) and its primary, which it lives no longer than. */
    uint16_t sub_index;
    const struct vmbus_channel *primary;
    /* The packet being handed to the device (process), if GPA-direct: its
     * ranges as parsed where it entered (ranges_status: STATUS_SUCCESS, or
     * INVALID_PARAMETER for a malformed list, INVALID_DEVICE_STATE for a
     * packet of another type). */
    bool in_process;
    NTSTATUS ranges_status;
    uint32_t nranges;
    VMB_GPA_RANGE ranges[VMB_MAX_GPA_RANGES];
    /* The ring trace's last view of the guest's side of the rings (set at
     * open): its interrupt mask on the host-to-guest ring, its
     * pending_send_sz on the guest-to-host ring. */
    uint32_t seen_mask, seen_pending;
    /* Locks (docs/design.md, "Locks"): a device callback of c runs with the
     * server lock released. busy: one does now; nothing else of c's that
     * calls the device starts meanwhile (a drain waits for drain_later, an
     * open is refused, EvtChannelClosed waits) and the slot is not reused.
     * closed_pending: the host closed c, EvtChannelClosed is still to run
     * (vmbus_door_exit). epoch: host closes so far; a callback that finds it
     * changed after it returns knows the channel it ran for was closed. */
    bool busy, closed_pending;
    uint32_t epoch;
    /* The guest-to-host packet being handed to the device: one per channel,
     * as drains of several channels run at once on several CPUs. */
    _Alignas(8) uint8_t drain_buf[VMBUS_MAX_PACKET_SIZE]; /* a range list's PFNs are u64 */
};

struct vmbus_gpadl {
    bool used, complete;
    uint32_t handle, relid;
    uint16_t ranges;
    uint16_t words_total, words_have; /* of the range buffer, in u64 words */
    uint32_t pages;
    uint64_t words[VMBUS_GPADL_MAX_WORDS]; /* range descriptors and PFNs as sent */
};

struct vmbus_outmsg {
    uint8_t sint, size;
    uint32_t vp;
    uint32_t relid;      /* the channel an offer or rescind is about, else 0 */
    uint64_t not_before; /* clock_ns(): a delay fault holds it (and all behind it) till then */
    uint8_t payload[HV_MESSAGE_PAYLOAD_SIZE];
};

struct vmbus_counters {
    uint64_t messages; /* posted by the guest to us */
    uint64_t rejected; /* malformed or out of place: refused with a hypercall status */
    uint64_t refused;  /* well formed, answered with a failure status */
    uint64_t busy;     /* refused with INSUFFICIENT_BUFFERS: our queue was full */
    uint64_t sent;     /* handed to the SynIC */
    uint64_t pushback; /* the SynIC's queue was full: retried later */
    uint64_t offers, opens, signals;
    uint64_t packets;         /* read from guest-to-host rings */
    uint64_t drains_deferred; /* drains that stopped at the budget, to go on later */
};

/* Log lines a guest can cause again and again (reconnecting, creating and
 * tearing down GPADLs, opening and closing): the first VMBUS_LOG_BUDGET of
 * each kind are logged, the last of them says so, the rest are counted. */
enum vmbus_log_kind {
    VMBUS_LOG_CONNECTED,
    VMBUS_LOG_VERSION_REFUSED,
    VMBUS_LOG_CONTACT_RESET,
    VMBUS_LOG_OFFERS,
    VMBUS_LOG_OFFER,
    VMBUS_LOG_UNLOAD,
    VMBUS_LOG_GPADL_CREATED,
    VMBUS_LOG_GPADL_TORN_DOWN,
    VMBUS_LOG_OPENED,
    VMBUS_LOG_CLOSED,
    VMBUS_LOG_STALLED,
    VMBUS_LOG_INTERNAL,
    VMBUS_LOG_KINDS
};

struct vmbus_server {
    /* Everything below and the fault engine's state, under one lock taken at
     * every door (docs/design.md, "Locks"). */
    struct spinlock lock;
    struct vmbus_port port;
    const struct fault_hooks *faults; /* NULL unless faults are configured (fault.h) */
    /* the connection (valid while connected) */
    bool connected, offers_requested;
    uint32_t version, msg_conn_id;
    uint32_t conn_epoch; /* connection resets so far */
    uint8_t sint;        /* host messages go to this SINT of VP vp (INITIATE_CONTACT's) */
    uint32_t vp;
    struct vmbus_channel chan[VMBUS_MAX_CHANNELS];
    uint32_t next_gen;
    struct vmbus_gpadl gpadl[VMBUS_MAX_GPADLS];
    struct {
        unsigned head, count;
        struct vmbus_outmsg m[VMBUS_OUTQ_LEN];
    } outq;
    struct mmio_gap gap;
    struct mmio_fb fb;
    struct vmbus_counters n;
    bool drain_pending;          /* some channel's drain_pending is set */
    bool closed_pending;         /* some channel's closed_pending is set */
    struct hv_timer drain_timer; /* runs pending drains if no exit comes first */
    struct log_budget log[VMBUS_LOG_KINDS];
    struct log_once reasons; /* (message type, reason) of rejections and refusals logged */
};

extern struct vmbus_server vmbus;

/* Whether faults are configured: the one test on every hooked path. */
static inline bool fault_on(void)
{
    return __builtin_expect(vmbus.faults != NULL, 0);
}

/* Every door (a guest message or signal, vmbus_poll, a KMCL call, a timer)
 * starts with VMBUS_DOOR(): the server lock, held to the end of the block.
 * On the way out the door runs the EvtChannelClosed callbacks its work left
 * pending, with the lock released around each. */
struct vmbus_door {
    char unused;
};
struct vmbus_door vmbus_door_enter(void);
void vmbus_door_exit(struct vmbus_door *d);
#define VMBUS_DOOR()                                                                               \
    struct vmbus_door vmbus_door_ __attribute__((cleanup(vmbus_door_exit), unused)) =              \
        vmbus_door_enter()

/* --- state.c ---------------------------------------------------------------- */
/* The server zeroed but for the handle generation, on port; log budgets full. */
void state_reset(const struct vmbus_port *port);

uint32_t chan_relid(const struct vmbus_channel *c);
uint32_t chan_conn_id(const struct vmbus_channel *c);
/* The channel of relid (1..VMBUS_MAX_CHANNELS), whatever its state, or NULL. */
struct vmbus_channel *chan_slot(uint32_t relid);
/* The KMCL handle of c, and back: the channel of a live handle (any state
 * but freed or releasing), or NULL for a stale, freed or forged one. */
VMBCHANNEL chan_handle(const struct vmbus_channel *c);
struct vmbus_channel *chan_lookup(VMBCHANNEL h);

/* Logs the first rejection of each (message type, reason), counts all;
 * returns HV_STATUS_INVALID_PARAMETER for the guest's PostMessage. */
uint16_t vmbus_reject(uint32_t msgtype, const char *why);
/* Logs the first refusal of each (message type, reason) with its status and
 * counts all: a request we answered with a failure status. */
void vmbus_refuse(uint32_t msgtype, const char *why, NTSTATUS status);
/* NULL when a line of kind may not be logged (see enum vmbus_log_kind);
 * else the suffix to end it with: "" or, on the last one, the note that
 * further lines are not reported. */
const char *vmbus_log_ok(enum vmbus_log_kind kind);
/* Lines of every kind not logged for their budget. */
uint64_t vmbus_log_dropped(void);

#endif
