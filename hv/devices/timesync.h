/* The time synchronization integration component (device kind "timesync"). */
#ifndef HV_DEVICES_TIMESYNC_H
#define HV_DEVICES_TIMESYNC_H

#include "boot_info.h"
#include "vmbus/kmcl.h"

extern const GUID timesync_class;

/* Allocates and configures the one timesync channel (not enabled). */
NTSTATUS timesync_create(const struct hv_device_config *d, VMBCHANNEL *out);

#endif
