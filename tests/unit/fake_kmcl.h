/* A recording stand-in for hv/vmbus's KMCL, for tests of devices without a
 * VMBus: channels are slots (handle = slot + 1) that remember their
 * configuration and every packet the device sent; the test plays the guest
 * by calling the callbacks. Plain libc (aborts on a bad handle), so unit tests
 * and fuzz targets can link it: list tests/unit/fake_kmcl.c in the .deps. */
#ifndef TESTS_UNIT_FAKE_KMCL_H
#define TESTS_UNIT_FAKE_KMCL_H

#include <stdbool.h>
#include <stdint.h>

#include "vmbus/kmcl.h"

#define FAKE_CHANNELS 4
#define FAKE_SENT     64 /* the last FAKE_SENT packets are kept */

struct fake_sent {
    uint8_t data[VMBUS_MAX_PACKET_SIZE];
    uint32_t len;
    uint64_t id;
    bool completion; /* VmbChannelSendCompletion's */
};

struct fake_channel {
    bool used, open; /* open: set by the test, VmbChannelSendPacket refuses otherwise */
    PVOID ctx;
    char name[32];
    GUID type, instance;
    VMB_CHANNEL_STATE_CHANGE_CALLBACKS cb;
    PFN_VMB_CHANNEL_PROCESS_PACKET process;
    PFN_VMB_CHANNEL_TRACE_DECODE decode; /* the last VmbChannelInitSetTraceDecoder */
    NTSTATUS send_status;                /* not 0: what VmbChannelSendPacket answers instead */
    UINT16 mmio_mb, mmio_optional_mb;    /* the last VmbServerChannelInitSetMmioMegabytes */
    bool mmio_fb;                        /* VmbServerChannelInitSetMmioFramebuffer */
    PFN_VMB_SERVER_CHANNEL_PREPARE_OFFER prepare; /* called by VmbChannelEnable */
    bool enabled;                                 /* VmbChannelEnable */
    UINT8 user_defined[VMBUS_USER_DEFINED_SIZE];  /* what prepare wrote */
    UINT64 mmio_base, mmio_size; /* set by the test: what VmbChannelGetMmioSpace says */
    UINT32 fault_version;        /* set by the test: what VmbChannelFaultVersion says */
    UINT16 subchannels;          /* VmbChannelCreateSubchannels' last count */
    NTSTATUS subchannel_status;  /* set by the test: what VmbChannelCreateSubchannels answers */
    unsigned nsent;              /* packets sent so far */
    UINT32 nranges;              /* set by the test: the GPA-direct packet's ranges */
    VMB_GPA_RANGE ranges[4];     /* VmbChannelPacketGetGpaRanges gives, during process */
    struct fake_sent sent[FAKE_SENT];
};

extern struct fake_channel fake_channels[FAKE_CHANNELS];

void fake_kmcl_reset(void);
struct fake_channel *fake_channel(VMBCHANNEL ch);
/* The last packet sent on ch; NULL if none. */
const struct fake_sent *fake_last_sent(VMBCHANNEL ch);

/* Runs a device's trace decoder on exactly len bytes from a heap copy of
 * that size (ASan sees any read past it), at every capacity from 0 to a full
 * line: each result must be a NUL-terminated prefix of the full line with its
 * length returned, and capacity 0 writes nothing. Returns the full line, or
 * NULL with *why saying what was wrong. */
const char *fake_decode_checked(PFN_VMB_CHANNEL_TRACE_DECODE fn, const void *pkt, size_t len,
                                const char **why);

#endif
