/* Files on the volume the loader itself was loaded from. */
#ifndef BOOT_VOLUME_H
#define BOOT_VOLUME_H

#include <efi.h>

EFI_STATUS volume_open(EFI_HANDLE image);
/* Reads path ("hv/hv.elf") into freshly allocated pages; base and size describe it. */
EFI_STATUS volume_read(const char *path, UINT64 *base, UINT64 *size);
const char *efi_status_name(EFI_STATUS s);
/* The boot volume's PCI function as hv_boot_info.boot_disk says it; 0 if
 * the firmware names none (after volume_open). */
UINT32 volume_pci_function(void);

#endif
