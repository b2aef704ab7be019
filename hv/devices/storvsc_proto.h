/* The host side of the VSTOR protocol (hv_storvsc's peer), independent of
 * KMCL: the device glue hands each received in-band or GPA-direct packet to
 * storvsc_receive and sends what comes back through ops->send as a
 * completion with the same transaction id (docs/storage.md). The handshake
 * (BEGIN_INITIALIZATION, QUERY_PROTOCOL_VERSION until one fits,
 * QUERY_PROPERTIES, END_INITIALIZATION) precedes EXECUTE_SRB, whose data
 * pages are checked one by one against guest RAM before the SCSI target
 * (scsi.h) sees them. Sub-channels are offered only when the glue gives a
 * way to create them. Not reentrant: the glue serialises receives and
 * backend completions. */
#ifndef HV_DEVICES_STORVSC_PROTO_H
#define HV_DEVICES_STORVSC_PROTO_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/scsi.h"
#include "devices/storvsc_wire.h"

#define STORVSC_PAGE_SIZE 4096u
/* Pages of one transfer: the advertised maximum, plus one for an offset. */
#define STORVSC_MAX_SEGS (SCSI_MAX_TRANSFER_BYTES / STORVSC_PAGE_SIZE + 1)
/* PFNs accepted in one range. Linux sends exactly the pages byte_offset +
 * byte_count spans; extra ones are tolerated (and checked, every one). */
#define STORVSC_MAX_PFNS (2 * STORVSC_MAX_SEGS)
/* Requests the backend may hold at once; more get BUSY (Linux retries). */
#define STORVSC_SLOTS 8u

/* The page range of a GPA-direct packet (VMBus type 9): Linux sends exactly
 * one, byte_count bytes from byte_offset into the first page. */
struct storvsc_gpa_range {
    uint32_t byte_count;
    uint32_t byte_offset;
    uint32_t pfn_count;
    const uint64_t *pfns;
};

struct storvsc_ops {
    void *ctx;
    /* A completion packet for trans_id on the channel the request came in. */
    void (*send)(void *ctx, void *chan, const void *buf, uint32_t len, uint64_t trans_id);
    /* The host mapping of guest page pfn (4 KiB), or NULL if it is not the
     * guest's RAM. */
    uint8_t *(*gpa_to_host)(void *ctx, uint64_t pfn);
    /* Optional: open count sub-channels (0 on success). With it and
     * max_subchannels > 0 the properties offer multi-channel. */
    int (*create_subchannels)(void *ctx, uint16_t count);
    uint16_t max_subchannels;
};

enum storvsc_state {
    STORVSC_WAIT_BEGIN,
    STORVSC_WAIT_VERSION,
    STORVSC_WAIT_PROPERTIES,
    STORVSC_WAIT_END, /* CREATE_SUB_CHANNELS may come here or when READY */
    STORVSC_READY,
};

struct storvsc;

struct storvsc_slot {
    struct storvsc *s;
    bool busy;
    void *chan;
    uint64_t trans_id;
    struct vmscsi_request srb; /* the request, echoed in the completion */
    struct scsi_cmd cmd;
    struct scsi_seg seg[STORVSC_MAX_SEGS];
};

struct storvsc {
    const struct storvsc_ops *ops;
    const struct scsi_target *target; /* path 0, target 0; the others are empty */
    enum storvsc_state state;
    uint16_t version;
    uint32_t request_size; /* vmscsi_request bytes the negotiated version sends */
    bool subchannels_created;
    struct storvsc_slot slot[STORVSC_SLOTS];
};

/* A fresh session (channel open). Not while a request is in flight. */
void storvsc_init(struct storvsc *s, const struct storvsc_ops *ops,
                  const struct scsi_target *target);

/* One packet from the guest: len bytes of in-band payload, and for a
 * GPA-direct packet its page range (else NULL). Every packet is answered,
 * sooner or (an SRB the backend holds) later. */
void storvsc_receive(struct storvsc *s, void *chan, const void *buf, uint32_t len,
                     uint64_t trans_id, const struct storvsc_gpa_range *range);

#endif
