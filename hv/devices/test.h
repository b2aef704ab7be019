#ifndef HV_DEVICES_TEST_H
#define HV_DEVICES_TEST_H

#include "boot_info.h"
#include "vmbus/kmcl.h"

extern const GUID test_device_class;

/* Allocates and configures a test channel for d (not enabled): its window
 * goes into the offer, and every in-band packet is sent straight back (the
 * length as it arrived, padded to 8 bytes by the guest). */
NTSTATUS test_device_create(const struct hv_device_config *d, VMBCHANNEL *out);

#endif
