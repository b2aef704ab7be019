#ifndef HV_DEVICES_TEST_H
#define HV_DEVICES_TEST_H

#include "boot_info.h"
#include "vmbus/kmcl.h"

extern const GUID test_device_class;

/* The prepare-offer callback of a test channel whose pointer is its
 * struct hv_device_config. */
void test_device_prepare_offer(VMBCHANNEL channel, UINT8 *user_defined);

#endif
