/* Between the two halves of the network VSP: netvsp.c (NVSP, the guest's
 * buffers, the queue toward the guest's ring) and netvsp_rndis.c (RNDIS
 * inside it). Not for the glue: it uses netvsp.h. */
#ifndef HV_DEVICES_NETVSP_RNDIS_H
#define HV_DEVICES_NETVSP_RNDIS_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/netvsp.h"

/* The bytes one SEND_RNDIS_PKT carries: its send-buffer section (if any)
 * and then its GPA ranges, as one stream. Every range is already checked
 * for shape (offset < 4096, pages enough); pages are checked as read. */
struct netvsp_stream {
    const struct netvsp_gpa_range *r;
    uint32_t n;
    uint64_t len;
};

/* len bytes at off of the stream into dst; false if past its end or a page
 * is not guest RAM. */
bool netvsp_stream_read(const struct netvsp *s, const struct netvsp_stream *st, uint64_t off,
                        void *dst, uint32_t len);

/* One RNDIS message for the guest, hdr then data, written to a free
 * receive section and announced (or queued). 0, or -1: dropped. */
int netvsp_rx_put(struct netvsp *s, uint32_t channel_type, const void *hdr, uint32_t hlen,
                  const void *data, uint32_t dlen);

/* The RNDIS messages of one SEND_RNDIS_PKT, in order; the NVSP status to
 * complete it with. */
uint32_t netvsp_rndis_receive(struct netvsp *s, const struct netvsp_stream *st);

#endif
