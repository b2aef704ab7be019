/* The video device's machine side (devices/video.h, struct video_platform):
 * the guest's VRAM is the loader's VRAM block, mapped through the NPT where
 * the guest puts it, and its pixels go to the machine's screen. */
#ifndef HV_VIDEO_HOST_H
#define HV_VIDEO_HOST_H

#include <stdbool.h>
#include <stddef.h>

#include "boot_info.h"
#include "lib/ptable.h"

struct video_platform;

/* npt: the guest's nested page tables; npt_changed: called when a mapping
 * changed. Returns the platform for devices_set_video_platform. */
const struct video_platform *video_host_init(const struct hv_boot_info *bi, struct ptable *npt,
                                             void (*npt_changed)(void));
/* The screen's summary keys (screen.h), "" without a video device. */
size_t video_host_summary(char *buf, size_t cap);

#endif
