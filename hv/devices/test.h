/* The `test` device kind: a channel that offers its MMIO window to the guest
 * and echoes every in-band packet (the length as it arrived, padded to 8
 * bytes by the guest). */
#ifndef HV_DEVICES_TEST_H
#define HV_DEVICES_TEST_H

#include "devices/device.h"
#include "vmbus/kmcl.h"

extern const GUID test_device_class;
extern const struct device_kind test_device_kind;

#endif
