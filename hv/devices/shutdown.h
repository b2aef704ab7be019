/* The shutdown integration component (device kind "shutdown"). */
#ifndef HV_DEVICES_SHUTDOWN_H
#define HV_DEVICES_SHUTDOWN_H

#include <stdint.h>

#include "boot_info.h"
#include "devices/device.h"
#include "vmbus/kmcl.h"

extern const GUID shutdown_class;
extern const struct device_kind shutdown_kind;

/* Allocates and configures the one shutdown channel (not enabled). With
 * after_s > 0 the guest is asked to power off after_s seconds from now
 * (hv.cfg's shutdown_after, counted from the guest's start). */
NTSTATUS shutdown_create(const struct hv_device_config *d, uint32_t after_s, VMBCHANNEL *out);

#endif
