#ifndef HV_DEVICES_TEST_H
#define HV_DEVICES_TEST_H

#include "boot_info.h"
#include "vmbus/kmcl.h"

extern const GUID test_device_class;

/* The prepare-offer callback of a test channel whose pointer is its
 * struct hv_device_config. */
void test_device_prepare_offer(VMBCHANNEL channel, UINT8 *user_defined);
/* Its processing callback: sends every in-band packet straight back (the
 * length as it arrived, padded to 8 bytes by the guest). */
void test_device_process_packet(VMBCHANNEL channel, const VOID *buffer, UINT32 length, UINT16 type,
                                UINT64 transaction_id);

#endif
