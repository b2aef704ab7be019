/* The channel servers the configuration asks for ("device = ..." lines),
 * each served by its kind (device.h, kinds.c). */
#ifndef HV_DEVICES_DEVICES_H
#define HV_DEVICES_DEVICES_H

#include <stdbool.h>
#include <stddef.h>

#include "boot_info.h"
#include "devices/device.h"

/* Matches every device line to its kind and parses the kind's words, so a bad
 * line ends the run before anything else happens: 0, or -1 after
 * "hv: devices: hv.cfg line <n>: device: <why>". cfg must outlive the devices. */
int devices_parse(const struct hv_config *cfg);
/* Whether a parsed device's kind needs the guest's EFI handoff. */
bool devices_need_efi(void);

/* Allocates and configures each parsed device's channel in hv.cfg's order (not enabled: the MMIO
 * gap is sized from their requests first). env must outlive the devices. 0, or -1 (logged). */
int devices_create(const struct device_env *env);
/* After every exit: each configured kind's poll (its backend's work). */
void devices_poll(void);
/* The partition's retarget hook (hyperv_retarget_fn; ctx unused): the first
 * configured kind whose retarget owns the entry; -1 if none does. */
int devices_retarget(void *ctx, uint64_t device_id, uint32_t msi_address, uint32_t msi_data,
                     uint8_t vector, uint64_t vp_mask);
/* The summary line's device keys: every kind's part (configured or not), in
 * kinds.c's order (a summary_part). */
size_t devices_summary(char *buf, size_t cap);
/* Enables them in configuration order; one that cannot be enabled is logged
 * with its status, cleaned up and not offered, and the others go on. */
void devices_enable(void);

#endif
