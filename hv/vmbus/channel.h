/* The channel table as the guest sees it: offers, rescinds, open and close,
 * the relid handshake, and the HvSignalEvent path of open channels. */
#ifndef HV_VMBUS_CHANNEL_H
#define HV_VMBUS_CHANNEL_H

#include <stdint.h>

#include "vmbus/fault_hooks.h"
#include "vmbus/kmcl_types.h"

struct vmbus_channel;

/* An OPENCHANNEL in trusted form (message.c checked its structure). */
struct vmbus_open_req {
    uint32_t relid, open_id, gpadl, target_vp, downstream_pages;
};

/* The channel whose relid the guest knows (offer sent, maybe rescinded), or NULL. */
struct vmbus_channel *chan_visible(uint32_t relid);
/* Queues c's offer (the guest asked for offers and c is enabled). */
void chan_offer(struct vmbus_channel *c);
/* Takes an enabled channel out of the offer set: unsent offer cancelled,
 * sent offer rescinded (closing the channel first if open). */
void chan_withdraw(struct vmbus_channel *c);
/* An open channel's in-band send (kmcl.c's VmbChannelSendPacket). */
NTSTATUS chan_send(struct vmbus_channel *c, const void *buf, uint32_t len, uint64_t trans_id);
/* One packet into c's host-to-guest ring as s says (its type, id, whether a
 * signal the ring calls for is raised), asking no fault: the fault engine's
 * way to send a packet it held (reorder). */
NTSTATUS chan_write(struct vmbus_channel *c, const void *buf, uint32_t len,
                    const struct fault_send *s);
/* Interrupts the guest for c (its relid's event flag on the VMBus SINT). */
void chan_signal(const struct vmbus_channel *c);
/* Host side of a close: no more signals, the device's EvtChannelClosed. */
void chan_close_host(struct vmbus_channel *c);
/* The guest forgot c's relid (RELID_RELEASED or a reset): offer state back to
 * none, its GPADLs freed, a cleaned-up channel freed. */
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

#endif
