/* Internals shared by the files of hv/vmbus: the one server object, the
 * channel table (kmcl.c for devices, channel.c for the guest), GPADLs, the
 * host->guest queue, and the trusted forms message.c decodes guest messages
 * into. Nothing outside hv/vmbus (and its tests) includes this. */
#ifndef HV_VMBUS_SERVER_H
#define HV_VMBUS_SERVER_H

#include <stdbool.h>
#include <stdint.h>

#include "hyperv/hv_wire.h"
#include "lib/timer.h"
#include "vmbus/kmcl.h"
#include "vmbus/mmio.h"
#include "vmbus/ring.h"
#include "vmbus/trace.h"
#include "vmbus/vmbus.h"
#include "vmbus/vmbus_wire.h"

#define VMBUS_MAX_CHANNELS 32u
/* The guest's HvSignalEvent id of a channel: QEMU's convention (ids 1 and 4
 * are message connections; these are event connections, a separate space). */
#define VMBUS_CHANNEL_CONN_BASE 0x10u
#define VMBUS_MAX_GPADLS        32u
#define VMBUS_GPADL_MAX_RANGES  8u
#define VMBUS_GPADL_MAX_PAGES   512u /* 2 MiB per GPADL: rings of IC and test devices fit */
#define VMBUS_GPADL_MAX_WORDS   (VMBUS_GPADL_MAX_PAGES + VMBUS_GPADL_MAX_RANGES)
/* Up to one offer or rescind per channel, plus at most VMBUS_OUTQ_LEN -
 * VMBUS_MAX_CHANNELS other messages (message.c admits a guest message only
 * while that many stay free), so the queue never overflows. */
#define VMBUS_OUTQ_LEN     (3u * VMBUS_MAX_CHANNELS)
#define VMBUS_LOG_ONCE_MAX 64u
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
/* Guest-facing: where the channel's offer is. SENT and RESCIND_*: the guest
 * knows the relid. QUEUED / RESCIND_QUEUED: the message is still in our queue. */
enum offer_state { OFFER_NONE, OFFER_QUEUED, OFFER_SENT, RESCIND_QUEUED, RESCIND_SENT };

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
    /* The ring trace's last view of the guest's side of the rings (set at
     * open): its interrupt mask on the host-to-guest ring, its
     * pending_send_sz on the guest-to-host ring. */
    uint32_t seen_mask, seen_pending;
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
    uint64_t log_dropped;     /* guest-caused lines beyond their kind's VMBUS_LOG_BUDGET */
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
    struct hv_partition *part;
    /* the connection (valid while connected) */
    bool connected, offers_requested;
    uint32_t version, msg_conn_id;
    uint8_t sint;
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
    size_t (*device_summary)(char *buf, size_t cap);
    bool drain_pending;                  /* some channel's drain_pending is set */
    struct hv_timer drain_timer;         /* runs pending drains if no exit comes first */
    unsigned log_lines[VMBUS_LOG_KINDS]; /* lines of each kind so far (saturating) */
    struct {                             /* rejection reasons already logged */
        uint32_t type[VMBUS_LOG_ONCE_MAX];
        const char *why[VMBUS_LOG_ONCE_MAX];
        unsigned count;
    } logged;
};

extern struct vmbus_server vmbus;

/* --- trusted forms of guest messages (message.c validated the structure) --- */
struct vmbus_contact {
    uint32_t version;
    uint8_t sint; /* where replies go: the guest's from 5.0, else 2 */
};

struct vmbus_open_req {
    uint32_t relid, open_id, gpadl, target_vp, downstream_pages;
};

struct vmbus_gpadl_req {
    uint32_t relid, handle;  /* relid 0 for a body */
    uint16_t buflen, ranges; /* header only */
    unsigned nwords;         /* range-buffer words this message carries */
    const uint64_t *words;
};

/* --- message.c ------------------------------------------------------------------- */
/* The hv_message_handler for connection ids 1 and 4 (vmbus_init). */
uint16_t vmbus_on_message(void *ctx, uint32_t conn_id, uint32_t message_type,
                          const uint8_t *payload, uint32_t size);
/* Logs the first rejection of each (message type, reason), counts all;
 * returns HV_STATUS_INVALID_PARAMETER for the guest's PostMessage. */
uint16_t vmbus_reject(uint32_t msgtype, const char *why);
/* Logs the first refusal of each (message type, reason) with its status and
 * counts all: a request we answered with a failure status. */
void vmbus_refuse(uint32_t msgtype, const char *why, NTSTATUS status);
/* Whether the next line of kind may be logged (see enum vmbus_log_kind); if
 * so, *more is the suffix to end it with: "" or, on the last one, the note
 * that further lines are not reported. */
bool vmbus_log_ok(enum vmbus_log_kind kind, const char **more);

/* --- outq.c ------------------------------------------------------------------------- */
/* Whether a guest message that answers may be taken now (see VMBUS_OUTQ_LEN). */
bool outq_admit(void);
/* Hands our queue to the SynIC until it pushes back: vmbus_poll without the
 * ring drains, for the message path (a device callback inside a drain may
 * send, and a guest message should not run drains). */
void outq_flush(void);
/* Queues a message for the connection's SINT and tries to send it. relid
 * names the channel of an offer or rescind (0 otherwise). */
void outq_send(const void *msg, uint8_t size, uint32_t relid);
/* Drops the queued, unsent offer for relid. */
void outq_cancel_offer(uint32_t relid);
/* Forgets everything queued (the connection was reset): ours, and our
 * messages still waiting in the SynIC's per-SINT queues. */
void outq_purge(void);

/* --- connection.c --------------------------------------------------------------------- */
uint16_t conn_initiate(const struct vmbus_contact *c);
uint16_t conn_request_offers(void);
uint16_t conn_unload(void);
/* Back to disconnected: channels closed, offers forgotten, GPADLs and the
 * queue dropped, relids held for a RELID_RELEASED freed. */
void conn_reset(void);

/* --- channel.c -------------------------------------------------------------------------- */
uint32_t chan_relid(const struct vmbus_channel *c);
uint32_t chan_conn_id(const struct vmbus_channel *c);
/* The channel whose relid the guest knows (offer sent, maybe rescinded), or NULL. */
struct vmbus_channel *chan_visible(uint32_t relid);
/* Queues c's offer (the guest asked for offers and c is enabled). */
void chan_offer(struct vmbus_channel *c);
/* Takes an enabled channel out of the offer set: unsent offer cancelled,
 * sent offer rescinded (closing the channel first if open). */
void chan_withdraw(struct vmbus_channel *c);
/* Host side of a close: no more signals, the device's EvtChannelClosed. */
/* An open channel's in-band send (kmcl.c's VmbChannelSendPacket). */
NTSTATUS chan_send(struct vmbus_channel *c, const void *buf, uint32_t len, uint64_t trans_id);
/* One packet into c's host-to-guest ring as s says (its type, id, whether a
 * signal the ring calls for is raised), asking no fault: the fault engine's
 * way to send a packet it held (reorder). */
struct fault_send;
NTSTATUS chan_write(struct vmbus_channel *c, const void *buf, uint32_t len,
                    const struct fault_send *s);
/* Interrupts the guest for c (its relid's event flag on the VMBus SINT). */
void chan_signal(const struct vmbus_channel *c);
void chan_close_host(struct vmbus_channel *c);
/* The guest forgot c's relid (RELID_RELEASED or a reset): offer state back to
 * none, a cleaned-up channel freed. */
void chan_relid_free(struct vmbus_channel *c);
uint16_t chan_open(const struct vmbus_open_req *r);
uint16_t chan_close(uint32_t relid);
uint16_t chan_relid_released(uint32_t relid);
uint16_t chan_modify(uint32_t relid, uint32_t target_vp);
/* Goes on with the drains the budget cut short (vmbus_poll, the retry timer). */
void chan_drain_pending(void);
/* c's drain goes on later: at the next vmbus_poll (after every exit), or
 * when the retry timer fires if no exit comes first. */
void chan_drain_later(struct vmbus_channel *c);

/* --- gpadl.c -------------------------------------------------------------------------------- */
uint16_t gpadl_header(const struct vmbus_gpadl_req *r);
uint16_t gpadl_body(const struct vmbus_gpadl_req *r);
uint16_t gpadl_teardown(uint32_t relid, uint32_t handle);
/* A created GPADL of relid that can hold both rings with the host->guest one
 * downstream_pages in, no page listed twice (the rings may not share a page,
 * nor a ring alias itself): STATUS_SUCCESS or the failure status, with *why. On
 * success pfns and pages hold the GPADL's page list, valid while it exists (it
 * cannot be torn down while the channel is open). */
NTSTATUS gpadl_check_ring(uint32_t relid, uint32_t handle, uint32_t downstream_pages,
                          const uint64_t **pfns, uint32_t *pages, const char **why);
/* Frees every GPADL of relid (0: all of them). */
void gpadl_free_relid(uint32_t relid);

/* --- kmcl.c ----------------------------------------------------------------------------------- */
VMBCHANNEL chan_handle(const struct vmbus_channel *c);

#endif
