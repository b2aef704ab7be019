/* The connection: version negotiation (contract §6.4), the request for
 * offers, and UNLOAD, which resets everything so a reloaded hv_vmbus (or a
 * kexec'd kernel) can connect again. */
#ifndef HV_VMBUS_CONNECTION_H
#define HV_VMBUS_CONNECTION_H

#include <stdint.h>

/* An INITIATE_CONTACT in trusted form (message.c checked its structure). */
struct vmbus_contact {
    uint32_t version;
    uint8_t sint; /* where replies go: the guest's from 5.0, else 2 ... */
    uint32_t vp;  /* ... on this VP (< vp_count) */
};

uint16_t connection_initiate(const struct vmbus_contact *c);
uint16_t connection_request_offers(void);
uint16_t connection_unload(void);
/* Back to disconnected: channels closed, offers forgotten, GPADLs and the
 * queue dropped, relids held for a RELID_RELEASED freed. */
void connection_reset(void);

#endif
