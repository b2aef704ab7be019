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
/* c is a live (enabled or open) sub-channel of p. */
bool chan_is_subchannel_of(const struct vmbus_channel *c, const struct vmbus_channel *p);
/* Queues c's offer (the guest asked for offers and c is enabled). */
void chan_offer(struct vmbus_channel *c);
/* Takes an enabled channel out of the offer set: unsent offer cancelled,
 * sent offer rescinded (closing the channel first if open). */
void chan_withdraw(struct vmbus_channel *c);
/* How a device's packet goes out: its type, descriptor flags, the bytes of
 * the buffer before the data (a transfer-page packet's range list, a
 * multiple of 8), its transaction id. */
struct chan_packet {
    uint16_t type, flags;
    uint32_t head;
    uint64_t trans_id;
};
/* An open channel's send (kmcl.c's VmbChannelSendPacket, SendCompletion,
 * SendTransferPages). */
NTSTATUS chan_send(struct vmbus_channel *c, const struct chan_packet *p, const void *buf,
                   uint32_t len);
/* One packet into c's host-to-guest ring as s says (its type, id, whether a
 * signal the ring calls for is raised), asking no fault: the fault engine's
 * way to send a packet it held (reorder). */
NTSTATUS chan_write(struct vmbus_channel *c, const void *buf, uint32_t len,
                    const struct fault_send *s);
/* Interrupts the guest for c (its relid's event flag on the VMBus SINT of
 * its target VP). */
void chan_signal(const struct vmbus_channel *c);
/* Host side of a close: no more signals; the device's EvtChannelClosed is
 * left pending for the door's way out (chan_run_closed). A primary's
 * sub-channels are withdrawn and freed with it. */
void chan_close_host(struct vmbus_channel *c);
/* Around a device callback of c: the server lock released, c busy (its slot
 * is not reused, no other callback of c starts) until the lock is back. */
void chan_callback_begin(struct vmbus_channel *c);
void chan_callback_end(struct vmbus_channel *c);
/* Runs the pending EvtChannelClosed of every channel not busy, the server
 * lock released around each (held on entry and on return). */
void chan_run_closed(void);
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
