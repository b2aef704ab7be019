/* The last step: take the final memory map, leave boot services, jump. */
#ifndef BOOT_HANDOFF_H
#define BOOT_HANDOFF_H

#include <efi.h>

#include "boot_info.h"

/* Returns only on failure (before boot services were left for good). */
EFI_STATUS handoff(EFI_HANDLE image, struct hv_boot_info *bi);

#endif
