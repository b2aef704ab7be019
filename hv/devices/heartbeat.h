/* The heartbeat integration component (device kind "heartbeat"). */
#ifndef HV_DEVICES_HEARTBEAT_H
#define HV_DEVICES_HEARTBEAT_H

#include "boot_info.h"
#include "devices/device.h"
#include "vmbus/kmcl.h"

extern const GUID heartbeat_class;
extern const struct device_kind heartbeat_kind;

/* Allocates and configures the one heartbeat channel (not enabled). */
NTSTATUS heartbeat_create(const struct hv_device_config *d, VMBCHANNEL *out);

#endif
