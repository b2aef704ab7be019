/* The guest's door: the handler of the messages it posts on connection ids
 * 1 and 4 (vmbus_init registers it). */
#ifndef HV_VMBUS_MESSAGE_H
#define HV_VMBUS_MESSAGE_H

#include <stdint.h>

/* One HvPostMessage payload; returns the hypercall status. */
uint16_t vmbus_on_message(void *ctx, uint32_t conn_id, uint32_t message_type,
                          const uint8_t *payload, uint32_t size);

#endif
