/* The host side of the network VSP (hv_netvsc's peer), independent of KMCL:
 * the device glue hands each packet the channel receives to netvsp_receive
 * and sends what comes back through the ops (docs/network.md). NVSP first
 * (INIT until a version fits, NDIS config and version, the receive and send
 * buffer GPADLs), then RNDIS inside SEND_RNDIS_PKT messages: control
 * requests and the guest's frames, which reach ops->tx. Frames for the guest
 * (netvsp_deliver) and RNDIS answers go into receive-buffer sections, each
 * announced by a transfer-page packet and free again when the guest
 * completes it. Every guest offset, length, section index and page is
 * checked against what it claims before anything is read or written. Not
 * reentrant: the glue serialises receives, deliveries and link changes. */
#ifndef HV_DEVICES_NETVSP_H
#define HV_DEVICES_NETVSP_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/nvsp_wire.h"

#define NETVSP_PAGE_SIZE 4096u
#define NETVSP_MTU       1500u
/* A frame with its Ethernet header and one 802.1Q tag. */
#define NETVSP_ETH_HLEN  14u
#define NETVSP_MAX_FRAME (NETVSP_ETH_HLEN + 4u + NETVSP_MTU)
/* Receive sections: Linux's own default size; an RNDIS packet header plus
 * the largest frame fits, and so does every RNDIS answer. */
#define NETVSP_RECV_SECTION_SIZE 1728u
#define NETVSP_RECV_SECTIONS_MAX 512u /* offered at most, whatever the buffer */
#define NETVSP_SEND_SECTION_SIZE 6144u
/* Buffer pages accepted in one GPADL (64 MiB; Linux uses at most 31). */
#define NETVSP_BUF_PAGES_MAX 16384u
/* The largest RNDIS control message read, and the INIT answer's limit. */
#define NETVSP_RNDIS_MAX_MSG 4096u
/* Page ranges in one GPA-direct packet (VMBus' limit too). */
#define NETVSP_MAX_RANGES 32u
/* Packets waiting for room in the guest's ring: completions and transfer-
 * page packets, in order. More are dropped and counted. */
#define NETVSP_PENDING 64u
/* Frames for the guest announced by one transfer-page packet (one range,
 * one section each): the guest completes the packet once, for all. */
#define NETVSP_BATCH_MAX 16u
/* Packets per send section Linux may batch, each 8-byte aligned. */
#define NETVSP_MAX_PKT_PER_MSG 8u

/* One page range of a GPA-direct packet: byte_count bytes from byte_offset
 * into the first of pfn_count guest pages (4 KiB). */
struct netvsp_gpa_range {
    uint32_t byte_count;
    uint32_t byte_offset;
    uint32_t pfn_count;
    const uint64_t *pfns;
};

/* One range of a transfer-page packet, as VMBus lays it out
 * (vmtransfer_page_range): len bytes at offset into the set. */
struct netvsp_xfer_range {
    uint32_t len;
    uint32_t offset;
};

struct netvsp_ops {
    void *ctx;
    /* An in-band packet (completion false, trans_id 0) or a completion for
     * trans_id on chan. 0, or non-zero when the guest's ring is full. */
    int (*send)(void *ctx, void *chan, bool completion, const void *buf, uint32_t len,
                uint64_t trans_id);
    /* A transfer-page packet (VMBus type 7) on chan: msg in-band, and n
     * (1..NETVSP_BATCH_MAX) ranges in the transfer-page set pageset_id (the
     * receive buffer), asking for a completion with trans_id. 0 or ring full. */
    int (*send_xfer)(void *ctx, void *chan, uint16_t pageset_id, const struct netvsp_xfer_range *r,
                     uint32_t n, const void *msg, uint32_t msg_len, uint64_t trans_id);
    /* The host mapping of guest page pfn, or NULL if it is not guest RAM. */
    uint8_t *(*gpa_to_host)(void *ctx, uint64_t pfn);
    /* The pages of the GPADL the guest created on this channel with handle:
     * 0 and the list (valid until the GPADL is torn down), or non-zero. */
    int (*gpadl_pages)(void *ctx, uint32_t handle, const uint64_t **pfns, uint32_t *count);
    /* One Ethernet frame from the guest, len bytes (the backend copies it). */
    void (*tx)(void *ctx, const uint8_t *frame, uint32_t len);
    /* Optional: open count sub-channels (0 on success). With it and
     * max_subchannels > 0, RSS capabilities invite multi-queue (NVSP >= 5). */
    int (*create_subchannels)(void *ctx, uint16_t count);
    uint16_t max_subchannels;
    uint8_t mac[6];
    uint32_t link_speed; /* in 100 bit/s, as NDIS counts */
};

/* A guest buffer: its GPADL pages. */
struct netvsp_buf {
    const uint64_t *pfns;
    uint32_t pages;
    uint16_t id;
};

struct netvsp_pending {
    void *chan;
    uint64_t trans_id;
    uint32_t section; /* a transfer-page packet's first, else NETVSP_NOT_XFER */
    uint32_t len;     /* a completion's */
    struct nvsp_message msg;
};
#define NETVSP_NOT_XFER 0xffffffffu

struct netvsp_stats {
    uint64_t tx_frames;    /* reached ops->tx */
    uint64_t tx_errors;    /* guest packets refused */
    uint64_t rx_frames;    /* delivered to the receive buffer */
    uint64_t rx_dropped;   /* no free section or no room to queue */
    uint64_t rx_filtered;  /* the packet filter said no */
    uint64_t bad_messages; /* NVSP or RNDIS messages refused */
    uint64_t stray_completions;
};

struct netvsp {
    const struct netvsp_ops *ops;
    uint32_t version;      /* NVSP, 0 until INIT succeeds */
    uint32_t ndis_version; /* what the guest announced */
    uint32_t mtu;          /* from NDIS config */
    void *chan;            /* the primary channel: receives go there */
    struct netvsp_buf recv, send;
    uint32_t recv_sections, send_sections;
    uint64_t recv_busy[NETVSP_RECV_SECTIONS_MAX / 64];
    /* Sections a transfer-page packet starts with (its trans_id names it),
     * and each section's length and the next of its packet's. */
    uint64_t recv_head[NETVSP_RECV_SECTIONS_MAX / 64];
    uint16_t recv_len[NETVSP_RECV_SECTIONS_MAX];
    uint16_t recv_next[NETVSP_RECV_SECTIONS_MAX];
    /* Frames written while a batch is open, not yet announced. */
    bool batching;
    uint32_t batch_head, batch_tail, batch_n;
    bool rndis_ready;
    bool link_up;
    bool subchannels_created;
    uint32_t filter;
    struct netvsp_pending pending[NETVSP_PENDING];
    uint32_t pending_head, pending_count;
    struct netvsp_stats stats;
    uint8_t scratch[NETVSP_RNDIS_MAX_MSG]; /* one RNDIS message or frame */
};

/* A fresh session (channel open); the link starts up. */
void netvsp_init(struct netvsp *s, const struct netvsp_ops *ops);

/* One packet from the guest on chan: len bytes in-band, and for a
 * GPA-direct packet its nranges page ranges (else NULL, 0). completion: a
 * VMBus completion packet (the guest returning a receive section). */
void netvsp_receive(struct netvsp *s, void *chan, bool completion, const void *buf, uint32_t len,
                    uint64_t trans_id, const struct netvsp_gpa_range *ranges, uint32_t nranges);

/* An Ethernet frame for the guest. 0 if it was written to a receive section
 * (sent, or queued for ring space), -1 if dropped (counted). */
int netvsp_deliver(struct netvsp *s, const uint8_t *frame, uint32_t len);

/* Between begin and end, frames for the guest are announced together, up
 * to NETVSP_BATCH_MAX per transfer-page packet (fewer packets for the guest
 * to complete, each completion an exit): end announces what is left. An
 * RNDIS answer or indication announces the open batch first (order kept). */
void netvsp_batch_begin(struct netvsp *s);
void netvsp_batch_end(struct netvsp *s);

/* The link went up or down: the guest is told once RNDIS is initialised. */
void netvsp_link(struct netvsp *s, bool up);

/* The guest's ring has room again (it signalled after reading): queued
 * packets go out in order, as many as fit. */
void netvsp_ring_ready(struct netvsp *s);

#endif
