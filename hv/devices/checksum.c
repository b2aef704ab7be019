/* The `checksum` device kind: answers every in-band packet the guest sends
 * with its length and the CRC-32 of its bytes, under the packet's
 * transaction id, so a guest driver can check that what it wrote is what the
 * host read. The worked example of docs/devices.md ("Write your own channel
 * server"): one file and one line in kinds.c. Any number may be configured;
 * it takes no words of its own:
 *
 *   device = checksum name=crc
 *
 * The answer, 8 bytes little endian: the length the host received (the
 * guest pads every packet to 8 bytes, and the padding counts), then the
 * CRC-32 (IEEE 802.3, as zlib computes it) over those bytes. */
#include "devices/device.h"
#include "lib/crc32.h"
#include "lib/fmt.h"
#include "lib/log.h"
#include "lib/log_once.h"

/* 8b149fc5-b8fb-40e9-986a-060931dc4a20, shared with guest/kmod/vmbhv_probe.c */
static const GUID checksum_class = {
    0x8b149fc5, 0xb8fb, 0x40e9, {0x98, 0x6a, 0x06, 0x09, 0x31, 0xdc, 0x4a, 0x20}};

struct checksum_reply {
    UINT32 length;
    UINT32 crc32;
};

static struct {
    bool created;
    uint64_t packets, bytes;   /* answered */
    struct log_budget refused; /* answers not sent: the first few logged */
} cs;

/* Runs inside the exit of the guest's signal, once per packet, in ring order:
 * buffer is only valid during the call, and the channel is open. */
static void process(VMBCHANNEL channel, const VOID *buffer, UINT32 length, UINT16 type,
                    UINT64 transaction_id)
{
    if (type != VMB_PACKET_TYPE_DATA_INBAND)
        return; /* completions and the like carry nothing to check */
    struct checksum_reply r = {length, crc32(buffer, length)};
    NTSTATUS s = VmbChannelSendPacket(channel, &r, sizeof(r), transaction_id);
    if (NT_SUCCESS(s)) {
        cs.packets++;
        cs.bytes += length;
    } else if (log_budget_take(&cs.refused)) {
        hv_log("checksum", "answer for %u bytes not sent: status 0x%08x", length, (UINT32)s);
    }
}

static NTSTATUS create(const struct device *d, VMBCHANNEL *out)
{
    cs.created = true;
    cs.refused = (struct log_budget)LOG_BUDGET(4, "");
    return device_channel(d, &checksum_class, NULL, NULL, process, out);
}

/* " checksum_packets=.. checksum_bytes=..", once a checksum device exists. */
static size_t summary(char *buf, size_t cap)
{
    int n = cs.created ? fmt_snprintf(buf, cap, " checksum_packets=%llu checksum_bytes=%llu",
                                      (unsigned long long)cs.packets, (unsigned long long)cs.bytes)
                       : fmt_snprintf(buf, cap, "%s", "");
    return n < 0 ? 0 : (size_t)n;
}

const struct device_kind checksum_kind = {
    .name = "checksum",
    .create = create,
    .summary = summary,
};
