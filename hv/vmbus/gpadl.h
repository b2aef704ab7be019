/* GPADLs: guest page lists the guest describes once (GPADL_HEADER, continued
 * by GPADL_BODY messages) and later names by handle (OPENCHANNEL's rings). */
#ifndef HV_VMBUS_GPADL_H
#define HV_VMBUS_GPADL_H

#include <stdint.h>

#include "vmbus/kmcl_types.h"

struct vmbus_channel;

/* A GPADL message in trusted form (message.c checked its structure). */
struct vmbus_gpadl_req {
    uint32_t handle;
    uint16_t buflen, ranges; /* header only */
    unsigned nwords;         /* range-buffer words this message carries */
    const uint64_t *words;
};

/* GPADL_HEADER for c, a channel whose relid the guest knows. */
uint16_t gpadl_header(const struct vmbus_channel *c, const struct vmbus_gpadl_req *r);
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

#endif
