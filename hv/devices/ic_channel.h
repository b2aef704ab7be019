/* What every integration-component device shares: its channel through KMCL,
 * version negotiation after each open, one request at a time, and the
 * validation of every answer before a service sees it (docs/ics.md). A
 * service (heartbeat.c, shutdown.c, timesync.c) supplies a struct ic_service
 * and sends requests with ic_request once it is ready; its periodic request,
 * its channel's life cycle and its device kind's create are shared here. */
#ifndef HV_DEVICES_IC_CHANNEL_H
#define HV_DEVICES_IC_CHANNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "boot_info.h"
#include "devices/ic.h"
#include "lib/timer.h"
#include "lib/log_once.h"
#include "vmbus/kmcl.h"

struct ic_channel;

struct ic_service {
    const char *name; /* "heartbeat": in log lines */
    uint16_t type;    /* its IC message type */
    const GUID *class_id;
    const struct ic_version *versions; /* offered, newest first */
    unsigned nversions;
    /* Versions negotiated: requests may go. */
    void (*ready)(struct ic_channel *ic);
    /* Every period_ns while ready, counted from ready (0: never): the
     * service's periodic request; ic->busy says the last is unanswered. */
    uint64_t period_ns;
    void (*tick)(struct ic_channel *ic);
    /* The guest's answer to the request that was out (type, RESPONSE flag and
     * transaction checked; the body's length is the service's to check). */
    void (*answer)(struct ic_channel *ic, const struct ic_msg *m);
    /* The channel closed (the guest's CLOSECHANNEL or UNLOAD); it may reopen.
     * May be NULL. */
    void (*closed)(struct ic_channel *ic);
};

enum ic_state {
    IC_CLOSED,      /* not open */
    IC_NEGOTIATING, /* open, negotiate request out or about to go */
    IC_READY,       /* versions agreed */
    IC_FAILED,      /* no common version or a broken answer: unused until reopened */
};

struct ic_channel {
    const struct ic_service *svc;
    VMBCHANNEL channel;
    char name[HV_DEVNAME_MAX]; /* the device's, for log lines */
    enum ic_state state;
    struct ic_version framework, version; /* negotiated (IC_READY) */
    const struct ic_version *offer;       /* the service versions offered: svc's, */
    unsigned noffer;                      /* or a bad-version fault's one: */
    struct ic_version fault_offer;        /* this one */
    bool busy;                            /* a request waits for its answer */
    uint16_t busy_type;
    uint64_t busy_id; /* its VMBus transaction id */
    uint64_t next_id;
    struct hv_timer start;     /* sends the negotiate request once the open is done */
    struct hv_timer period;    /* svc->tick */
    struct log_budget rejects; /* rejections logged (the first few) */
};

/* Counters for the summary line, across all IC devices. */
struct ic_stats {
    uint64_t heartbeats;        /* answered correctly */
    uint64_t heartbeats_missed; /* periods that ended with a heartbeat unanswered */
    uint64_t timesyncs;         /* time messages sent */
    uint64_t shutdowns;         /* shutdown requests sent */
    uint64_t rejected;          /* guest packets refused, by any IC */
};
extern struct ic_stats ic_stats;

/* Allocates the channel of device d (its name; its instance GUID, or one
 * derived from the name) and configures it for svc; not enabled: a service
 * kind's create, after resetting its own state. *out: the channel, or NULL. */
NTSTATUS ic_channel_create(struct ic_channel *ic, const struct ic_service *svc,
                           const struct hv_device_config *d, VMBCHANNEL *out);

/* Whether a request may go now: negotiated and nothing outstanding. */
bool ic_can_send(const struct ic_channel *ic);
/* Sends the service's request with body[0..len) in the negotiated versions.
 * STATUS_INVALID_DEVICE_STATE unless ic_can_send; else what
 * VmbChannelSendPacket says (STATUS_INSUFFICIENT_RESOURCES: ring full). */
NTSTATUS ic_request(struct ic_channel *ic, const void *body, uint16_t len);

/* "hv: ic: <name>: rejected <what>: <why>" for the first few per channel;
 * always counted. */
void ic_reject(struct ic_channel *ic, const char *what, const char *why);

/* " ic_heartbeats=.. ic_heartbeats_missed=.. ic_timesyncs=.. ic_shutdowns=..
 * ic_rejected=.." for the summary line; the length the full text would have. */
size_t ic_summary(char *buf, size_t cap);

#endif
