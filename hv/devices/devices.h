/* The channel servers the configuration asks for ("device = ..." lines). */
#ifndef HV_DEVICES_DEVICES_H
#define HV_DEVICES_DEVICES_H

#include "boot_info.h"

/* Allocates and configures every configured device's channel (not enabled:
 * the MMIO gap is sized from their requests first). 0, or -1 (logged). */
int devices_create(const struct hv_config *cfg);
/* Enables them in configuration order; one that cannot be enabled is logged
 * with its status, cleaned up and not offered, and the others go on. */
void devices_enable(void);

#endif
