#include "vmbus/connection.h"

#include "lib/log.h"
#include "vmbus/channel.h"
#include "vmbus/gpadl.h"
#include "vmbus/outq.h"
#include "vmbus/state.h"

/* Every version Linux 6.1 proposes, newest first; the wire is the same for
 * all of them except where replies go and which connection id is used. */
static const uint32_t supported[] = {
    VMBUS_VERSION_WIN10_V5_3, VMBUS_VERSION_WIN10_V5_2, VMBUS_VERSION_WIN10_V5_1,
    VMBUS_VERSION_WIN10_V5,   VMBUS_VERSION_WIN10_V4_1, VMBUS_VERSION_WIN10,
    VMBUS_VERSION_WIN8_1,     VMBUS_VERSION_WIN8,
};

static bool is_supported(uint32_t version)
{
    for (unsigned i = 0; i < sizeof(supported) / sizeof(supported[0]); i++) {
        if (supported[i] == version)
            return true;
    }
    return false;
}

void connection_reset(void)
{
    for (unsigned i = 0; i < VMBUS_MAX_CHANNELS; i++) {
        struct vmbus_channel *c = &vmbus.chan[i];
        if (c->state == CHAN_OPENED) {
            chan_close_host(c);
            c->state = CHAN_ENABLED;
        }
        if (c->offer != OFFER_NONE)
            chan_relid_free(c);
    }
    gpadl_free_relid(0);
    vmbus.conn_epoch++;
    outq_purge(); /* and what the SynIC still holds of ours: no stale offer after this */
    vmbus.connected = false;
    vmbus.offers_requested = false;
    vmbus.version = 0;
    vmbus.msg_conn_id = 0;
}

uint16_t connection_initiate(const struct vmbus_contact *c)
{
    const char *more;
    if (vmbus.connected) {
        /* A kernel that lost the connection without UNLOAD (kexec after a
         * failed unload): start over rather than strand it. */
        if ((more = vmbus_log_ok(VMBUS_LOG_CONTACT_RESET)))
            hv_log("vmbus", "INITIATE_CONTACT while connected at %u.%u: connection reset%s",
                   VMBUS_VERSION_MAJOR(vmbus.version), VMBUS_VERSION_MINOR(vmbus.version), more);
        connection_reset();
    }
    vmbus.sint = c->sint; /* a refusal goes where an acceptance would */
    vmbus.vp = c->vp;
    struct vmbus_version_response r = {.header.msgtype = VMBUS_MSG_VERSION_RESPONSE};
    if (!is_supported(c->version) || (fault_on() && vmbus.faults->refuse_version(c->version))) {
        /* version_supported 0: the guest proposes its next older version */
        if ((more = vmbus_log_ok(VMBUS_LOG_VERSION_REFUSED)))
            hv_log("vmbus", "INITIATE_CONTACT version %u.%u: not supported%s",
                   VMBUS_VERSION_MAJOR(c->version), VMBUS_VERSION_MINOR(c->version), more);
        outq_send(&r, sizeof(r), 0);
        return HV_STATUS_SUCCESS;
    }
    vmbus.connected = true;
    vmbus.version = c->version;
    /* From 5.0 the guest posts on the id we return; 4 is registered anyway. */
    vmbus.msg_conn_id = c->version >= VMBUS_VERSION_WIN10_V5 ? VMBUS_MESSAGE_CONNECTION_ID_4
                                                             : VMBUS_MESSAGE_CONNECTION_ID;
    r.version_supported = 1;
    r.msg_conn_id = vmbus.msg_conn_id;
    if ((more = vmbus_log_ok(VMBUS_LOG_CONNECTED)))
        hv_log("vmbus",
               "connected: version %u.%u, guest messages on connection %u, ours on SINT %u%s",
               VMBUS_VERSION_MAJOR(c->version), VMBUS_VERSION_MINOR(c->version), vmbus.msg_conn_id,
               c->sint, more);
    outq_send(&r, sizeof(r), 0);
    return HV_STATUS_SUCCESS;
}

uint16_t connection_request_offers(void)
{
    if (vmbus.offers_requested)
        return vmbus_reject(VMBUS_MSG_REQUESTOFFERS, "offers already requested on this connection");
    vmbus.offers_requested = true;
    unsigned n = 0;
    for (unsigned i = 0; i < VMBUS_MAX_CHANNELS; i++) {
        struct vmbus_channel *c = &vmbus.chan[i];
        if (c->state == CHAN_ENABLED && c->offer == OFFER_NONE) {
            chan_offer(c);
            n++;
        }
    }
    const char *more = vmbus_log_ok(VMBUS_LOG_OFFERS);
    if (more)
        hv_log("vmbus", "REQUESTOFFERS: %u channel%s offered%s", n, n == 1 ? "" : "s", more);
    struct vmbus_msg_header done = {.msgtype = VMBUS_MSG_ALLOFFERS_DELIVERED};
    outq_send(&done, sizeof(done), 0);
    return HV_STATUS_SUCCESS;
}

uint16_t connection_unload(void)
{
    connection_reset(); /* keeps vmbus.sint and .vp: the answer goes where the guest waits */
    const char *more = vmbus_log_ok(VMBUS_LOG_UNLOAD);
    if (more)
        hv_log("vmbus", "UNLOAD: disconnected, channels closed, GPADLs freed%s", more);
    struct vmbus_msg_header r = {.msgtype = VMBUS_MSG_UNLOAD_RESPONSE};
    outq_send(&r, sizeof(r), 0);
    return HV_STATUS_SUCCESS;
}
