/* The host's end of a VMBus channel's two ring buffers
 * (linux-guest-contract.md §6.7, §7). Each ring is a header page followed by
 * a data area; its pages are the guest's GPADL pages, not contiguous, and
 * every byte is reached through gmem_ptr one page at a time. The host
 * consumes the guest-to-host ring and produces into the host-to-guest ring,
 * copying packets in and out (never pointing into the ring), and decides
 * when the guest must be signalled the way Linux 6.1's ring_buffer.c does
 * from the other side. Every index and length in a ring is guest-controlled
 * and checked on each use; a ring found corrupt stays unusable. */
#ifndef HV_VMBUS_RING_H
#define HV_VMBUS_RING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "guest_mem.h"

/* --- wire layouts -------------------------------------------------------------- */

#define VMBUS_RING_HEADER_SIZE 4096u
/* feature_bits bit 0: pending_send_sz is in use on this ring: a blocked
 * producer may set it, and the consumer signals once it frees that much.
 * Linux sets it on both rings at open and checks it on the ring it reads. */
#define VMBUS_RING_FEAT_PENDING_SEND_SZ 0x1u

/* First page of each ring. Indices are byte offsets into the data area. */
struct vmbus_ring_header {
    uint32_t write_index;     /* producer */
    uint32_t read_index;      /* consumer */
    uint32_t interrupt_mask;  /* consumer: 1 = the producer need not signal */
    uint32_t pending_send_sz; /* producer: bytes it waits for, 0 = not blocked */
    uint32_t reserved1[12];
    uint32_t feature_bits;
    uint8_t reserved2[VMBUS_RING_HEADER_SIZE - 68];
};

enum vmbus_packet_type {
    VMBUS_PKT_INVALID = 0x0,
    VMBUS_PKT_SYNCH = 0x1,
    VMBUS_PKT_ADD_XFER_PAGESET = 0x2,
    VMBUS_PKT_RM_XFER_PAGESET = 0x3,
    VMBUS_PKT_ESTABLISH_GPADL = 0x4,
    VMBUS_PKT_TEARDOWN_GPADL = 0x5,
    VMBUS_PKT_DATA_INBAND = 0x6,
    VMBUS_PKT_DATA_USING_XFER_PAGES = 0x7,
    VMBUS_PKT_DATA_USING_GPADL = 0x8,
    VMBUS_PKT_DATA_USING_GPA_DIRECT = 0x9,
    VMBUS_PKT_CANCEL_REQUEST = 0xa,
    VMBUS_PKT_COMP = 0xb,
    VMBUS_PKT_DATA_USING_ADDITIONAL_PKT = 0xc,
    VMBUS_PKT_ADDITIONAL_DATA = 0xd
};

#define VMBUS_PKT_FLAG_COMPLETION_REQUESTED 0x1u

/* Starts every packet. offset8 and len8 count 8-byte units from the
 * descriptor's start: the data begins at offset8 * 8 (2 when nothing sits
 * between descriptor and data), the packet (descriptor, anything before the
 * data, data, zero padding to 8) is len8 * 8 bytes. An 8-byte trailer follows
 * that len8 does not count. */
struct vmbus_packet_desc {
    uint16_t type;
    uint16_t offset8;
    uint16_t len8;
    uint16_t flags;
    uint64_t trans_id;
};

#define VMBUS_PKT_TRAILER_SIZE 8u
/* len8 is 16 bits wide. */
#define VMBUS_PKT_MAX_SIZE (0xFFFFu * 8u)
/* The largest payload ring_write_packet can frame. */
#define RING_MAX_PAYLOAD (VMBUS_PKT_MAX_SIZE - sizeof(struct vmbus_packet_desc))
/* Keeps index + footprint sums far inside 32 bits (a GPADL holds fewer). */
#define RING_MAX_PAGES 65536u

_Static_assert(sizeof(struct vmbus_ring_header) == VMBUS_RING_HEADER_SIZE, "ring header");
_Static_assert(offsetof(struct vmbus_ring_header, write_index) == 0, "rh write");
_Static_assert(offsetof(struct vmbus_ring_header, read_index) == 4, "rh read");
_Static_assert(offsetof(struct vmbus_ring_header, interrupt_mask) == 8, "rh mask");
_Static_assert(offsetof(struct vmbus_ring_header, pending_send_sz) == 12, "rh pending");
_Static_assert(offsetof(struct vmbus_ring_header, feature_bits) == 64, "rh features");
_Static_assert(sizeof(struct vmbus_packet_desc) == 16, "packet descriptor");
_Static_assert(offsetof(struct vmbus_packet_desc, offset8) == 2, "pd offset8");
_Static_assert(offsetof(struct vmbus_packet_desc, len8) == 4, "pd len8");
_Static_assert(offsetof(struct vmbus_packet_desc, flags) == 6, "pd flags");
_Static_assert(offsetof(struct vmbus_packet_desc, trans_id) == 8, "pd trans_id");

/* --- the host's rings ------------------------------------------------------------ */

enum ring_status {
    RING_OK,
    RING_EMPTY,     /* read: nothing to read */
    RING_TOO_SMALL, /* read: the packet is longer than the buffer; nothing consumed */
    RING_FULL,      /* write: no room now (see ring_write_packet) */
    RING_TOO_BIG,   /* write: the packet can never fit this ring */
    RING_CORRUPT    /* the guest broke the ring: stop using it (ring->corrupt says why) */
};

/* One direction of a channel. Set up by ring_init / ring_init_pair; the
 * fields are read-only to callers. */
struct vmbus_ring {
    const struct guest_mem *gm;
    const uint64_t *pfns; /* the ring's guest PFNs, header page first; not owned */
    uint32_t pages;       /* header page + data pages */
    uint32_t data_size;   /* (pages - 1) * 4096 */
    const char *corrupt;  /* NULL, or why the ring was given up (sticky) */
};

/* A packet the host read: the descriptor's fields, and where the parts are
 * in the buffer, which receives everything after the 16-byte descriptor. */
struct ring_packet {
    uint16_t type; /* as the guest wrote it: the device judges it */
    uint16_t flags;
    uint64_t trans_id;
    uint16_t offset8, len8;
    uint32_t len;      /* bytes after the descriptor: copied, or needed (RING_TOO_SMALL) */
    uint32_t data_off; /* start of the data in the buffer: offset8 * 8 - 16 (0 for in-band) */
    uint32_t data_len; /* len - data_off: the data with the guest's padding to 8 */
    /* The read freed the space the guest said it waits for (pending_send_sz,
     * with the feature bit): signal the guest. Mirrors hv_pkt_iter_close. */
    bool signal;
};

/* A ring over npages guest pages (header page first): 2..RING_MAX_PAGES
 * pages, every PFN a whole page of guest RAM. Checks the layout only; the
 * header's contents are checked on each use. pfns must stay valid (and
 * unchanged) while the ring is in use. false with *why on failure. */
bool ring_init(struct vmbus_ring *ring, const struct guest_mem *gm, const uint64_t *pfns,
               uint32_t npages, const char **why);

/* Both rings of a channel from its ring GPADL's PFN list (§6.7): the
 * guest-to-host ring is pages [0, downstream), the host-to-guest ring pages
 * [downstream, npages), downstream being OPENCHANNEL's page offset. */
bool ring_init_pair(struct vmbus_ring *in, struct vmbus_ring *out, const struct guest_mem *gm,
                    const uint64_t *pfns, uint32_t npages, uint32_t downstream, const char **why);

/* Host as consumer (the guest-to-host ring). Takes the next packet: checks
 * the indices and the descriptor, copies the bytes after the descriptor into
 * buf (wrap-around aware) and only then moves read_index past the packet and
 * its trailer. RING_OK with *pkt filled; RING_TOO_SMALL with *pkt filled but
 * nothing copied or consumed; RING_EMPTY; RING_CORRUPT. */
enum ring_status ring_read_packet(struct vmbus_ring *ring, void *buf, size_t cap,
                                  struct ring_packet *pkt);

/* The consumer's interrupt mask around a drain (Linux's hv_begin_read /
 * hv_end_read, host side): begin sets it so the guest does not signal while
 * the host reads; end clears it and returns whether packets (or corruption)
 * arrived meanwhile, which the caller must then read: the guest signals only
 * on a transition from empty. */
void ring_begin_read(struct vmbus_ring *ring);
bool ring_end_read(struct vmbus_ring *ring);

/* What the other side last wrote to its fields of the ring's header: the
 * interrupt mask (of the host-to-guest ring: the guest is its consumer) and
 * pending_send_sz (of the guest-to-host ring: the guest is its producer).
 * false (nothing set) when the ring is corrupt or its header unmapped. For
 * the trace only: the ring code never decides on the copy. */
bool ring_peek(const struct vmbus_ring *ring, uint32_t *mask, uint32_t *pending);

/* Host as producer (the host-to-guest ring). Frames payload as Linux's
 * hv_ringbuffer_write does (descriptor with offset8 2, data, zeros to 8,
 * trailer = old write_index << 32), writes only if that leaves the ring not
 * completely full, then publishes write_index. RING_OK with *signal set when
 * the guest must be signalled (Linux's hv_signal_on_write: interrupt_mask
 * clear and the ring was empty before this packet). RING_FULL: nothing
 * written; if the guest honours it (feature bit), pending_send_sz now asks
 * it to signal once the packet fits, and the next successful write clears
 * it. RING_TOO_BIG: len above RING_MAX_PAYLOAD or the packet cannot fit even
 * an empty ring. RING_CORRUPT. */
enum ring_status ring_write_packet(struct vmbus_ring *ring, uint16_t type, uint16_t flags,
                                   uint64_t trans_id, const void *payload, size_t len,
                                   bool *signal);

#endif
