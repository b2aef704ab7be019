/* The channel servers the configuration asks for ("device = ..." lines). */
#ifndef HV_DEVICES_DEVICES_H
#define HV_DEVICES_DEVICES_H

#include "boot_info.h"

struct video_platform;

/* What a video device uses to back its VRAM and show its dirt (video.h);
 * before devices_create, by the arch glue. Without it the video device refuses
 * every VRAM location (the guest's hyperv_fb probe then times out). */
void devices_set_video_platform(const struct video_platform *p);

/* Allocates and configures every configured device's channel (not enabled:
 * the MMIO gap is sized from their requests first) and arms the configured
 * faults (vmbus/fault.h). 0, or -1 (logged). */
int devices_create(const struct hv_config *cfg);
/* Enables them in configuration order; one that cannot be enabled is logged
 * with its status, cleaned up and not offered, and the others go on. */
void devices_enable(void);

#endif
