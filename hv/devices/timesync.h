/* The time synchronization integration component (device kind "timesync"). */
#ifndef HV_DEVICES_TIMESYNC_H
#define HV_DEVICES_TIMESYNC_H

#include <stdint.h>

#include "boot_info.h"
#include "devices/device.h"
#include "vmbus/kmcl.h"

extern const GUID timesync_class;
extern const struct device_kind timesync_kind;

/* Allocates and configures the one timesync channel (not enabled).
 * reference_time(reference_ctx) is the guest's reference counter (100 ns
 * units since the partition started), sent with every time message of
 * version 4.0; it must not be NULL. */
NTSTATUS timesync_create(const struct hv_device_config *d, uint64_t (*reference_time)(void *ctx),
                         void *reference_ctx, VMBCHANNEL *out);

#endif
