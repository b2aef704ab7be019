/* Host->guest messages wait here, in order, until the SynIC takes them:
 * vmbus_poll hands them over after every exit (the one place that does), as
 * the guest frees slots, so no message is ever dropped. A leaf: it knows
 * relids, not channels. Sizing and admission: state.h, VMBUS_OUTQ_LEN. */
#ifndef HV_VMBUS_OUTQ_H
#define HV_VMBUS_OUTQ_H

#include <stdbool.h>
#include <stdint.h>

/* Whether a guest message that answers may be taken now (see VMBUS_OUTQ_LEN). */
bool outq_admit(void);
/* Queues a message for the connection's VP and SINT. relid names the channel
 * of an offer or rescind (0 otherwise). */
void outq_send(const void *msg, uint8_t size, uint32_t relid);
/* Hands the queue to the SynIC until it pushes back (vmbus_poll). */
void outq_flush(void);
/* Whether an offer or rescind for relid still waits here (the guest has not
 * seen it). */
bool outq_holds(uint32_t relid);
/* Drops the queued offer or rescind for relid. */
void outq_cancel(uint32_t relid);
/* Forgets everything queued (the connection was reset): ours, and our
 * messages still waiting in the SynIC queues of every VP and SINT. */
void outq_purge(void);

#endif
