/* The VMBus part of the decoded trace (lib/trace.h; docs/vmbus.md, "Trace"):
 * channel messages by name with their fields (class "vmbus") and channel
 * packets (class "ring"). The decoders are hardware-free and read only the
 * bytes they are given: a message too short for its layout decodes as
 * "malformed", an unknown type as "unknown type N", never past the buffer. */
#ifndef HV_VMBUS_TRACE_H
#define HV_VMBUS_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* "OFFERCHANNEL", ...; "unknown" for a type without a name. */
const char *vmbus_msg_name(uint32_t msgtype);
/* "STATUS_SUCCESS", ... for the NTSTATUS values the host sends or devices
 * return; NULL for others (printed in hex). */
const char *vmbus_status_name(uint32_t status);
/* "DATA_INBAND", "COMP", ...; NULL for a type the ring protocol lacks. */
const char *vmbus_packet_type_name(uint16_t type);

/* One channel message of size bytes as text: "<NAME> key=value ...", or
 * "<NAME> malformed: ..." / "unknown type N (...)". Reads msg[0..size) only;
 * writes at most cap bytes, NUL-terminated; returns the length written. */
size_t vmbus_decode(char *buf, size_t cap, const void *msg, uint32_t size);

/* The hooks (each call site tests trace_on first). */
/* "hv: trace: vmbus: guest->host|host->guest <decoded message>". */
void vmbus_trace_message(bool to_guest, const void *msg, uint32_t size);
/* A packet through a channel's ring: "hv: trace: ring: relid=<r> <name>
 * guest->host|host->guest type=<T> flags=0x<f> len=<n> trans=0x<id> signal=yes|no",
 * then " | <text>" with what the channel's device decoder (decode, may be
 * NULL: nothing) made of data[0..len). len is the data's length: for
 * guest->host with the guest's padding to 8. */
void vmbus_trace_packet(uint32_t relid, const char *name, bool to_guest, uint16_t type,
                        uint16_t flags, uint32_t len, uint64_t trans_id, bool signal,
                        size_t (*decode)(const void *, size_t, char *, size_t), const void *data);

#endif
