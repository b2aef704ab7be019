/* The machine's screen: the firmware's GOP framebuffer, recorded for the
 * hypervisor (boot_info.h, struct hv_display) before boot services end. */
#ifndef BOOT_DISPLAY_H
#define BOOT_DISPLAY_H

#include <efi.h>

#include "boot_info.h"

/* Fills *d from the GOP (size 0 without one, or in a BLT-only mode). With
 * want_width/height non-zero, first switches to that mode if the firmware
 * has it (the guest's default, so its pixels are copied 1:1). */
void display_record(struct hv_display *d, UINT32 want_width, UINT32 want_height);

#endif
