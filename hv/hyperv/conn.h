/* Connection-id routing for guest->host traffic: HvPostMessage connection ids
 * to message handlers, HvSignalEvent connection ids to event handlers. VMBus
 * registers into it (message ids 1 and 4 for INITIATE_CONTACT, one event id
 * per open channel). Handlers run inside the hypercall and return its status. */
#ifndef HV_HYPERV_CONN_H
#define HV_HYPERV_CONN_H

#include <stdint.h>

struct hyperv_partition;

/* payload points at a hypervisor-side copy of exactly size (<= 240) bytes.
 * Return HV_STATUS_SUCCESS, or e.g. HV_STATUS_INSUFFICIENT_BUFFERS as
 * back-pressure (Linux retries), HV_STATUS_INVALID_HYPERCALL_INPUT to refuse. */
typedef uint16_t (*hyperv_message_handler)(void *ctx, uint32_t conn_id, uint32_t message_type,
                                           const uint8_t *payload, uint32_t size);
/* flag is the guest's flag number (< 2048; Linux always sends 0). */
typedef uint16_t (*hyperv_event_handler)(void *ctx, uint32_t conn_id, uint16_t flag);

#define HV_MAX_MESSAGE_CONNS 8
#define HV_MAX_EVENT_CONNS   64

/* One registered connection id; 0: a free slot (0 is never a valid id). */
struct hyperv_conn {
    uint32_t id;
    union {
        hyperv_message_handler msg;
        hyperv_event_handler evt;
    } fn;
    void *ctx;
};

struct hyperv_conn_table {
    struct hyperv_conn msg[HV_MAX_MESSAGE_CONNS];
    struct hyperv_conn evt[HV_MAX_EVENT_CONNS];
};

/* 0, or -1: id 0 or above 24 bits, NULL handler, id already taken, table full. */
int hyperv_register_message(struct hyperv_partition *p, uint32_t conn_id, hyperv_message_handler fn,
                            void *ctx);
int hyperv_register_event(struct hyperv_partition *p, uint32_t conn_id, hyperv_event_handler fn,
                          void *ctx);
/* 0, or -1 when the id is not registered. */
int hyperv_unregister_message(struct hyperv_partition *p, uint32_t conn_id);
int hyperv_unregister_event(struct hyperv_partition *p, uint32_t conn_id);

/* Used by the hypercall dispatcher: the handler's status, or
 * HV_STATUS_INVALID_CONNECTION_ID for an id nobody registered. */
uint16_t conn_deliver_message(struct hyperv_partition *p, uint32_t conn_id, uint32_t message_type,
                              const uint8_t *payload, uint32_t size);
uint16_t conn_deliver_event(struct hyperv_partition *p, uint32_t conn_id, uint16_t flag);

#endif
