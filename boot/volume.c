#include "volume.h"

#include <efilib.h>

#include "boot_info.h"
#include "lib/str.h"

static EFI_FILE_HANDLE root;
static EFI_HANDLE device;

const char *efi_status_name(EFI_STATUS s)
{
    switch (s) {
    case EFI_SUCCESS:
        return "success";
    case EFI_NOT_FOUND:
        return "not found";
    case EFI_OUT_OF_RESOURCES:
        return "out of resources";
    case EFI_INVALID_PARAMETER:
        return "invalid parameter";
    case EFI_DEVICE_ERROR:
        return "device error";
    case EFI_VOLUME_CORRUPTED:
        return "volume corrupted";
    case EFI_ACCESS_DENIED:
        return "access denied";
    case EFI_BAD_BUFFER_SIZE:
        return "bad buffer size";
    case EFI_BUFFER_TOO_SMALL:
        return "buffer too small";
    case EFI_LOAD_ERROR:
        return "load error";
    case EFI_UNSUPPORTED:
        return "unsupported";
    default:
        return "error";
    }
}

EFI_STATUS volume_open(EFI_HANDLE image)
{
    EFI_LOADED_IMAGE *li;
    EFI_STATUS s = BS->HandleProtocol(image, &LoadedImageProtocol, (void **)&li);
    if (EFI_ERROR(s))
        return s;
    device = li->DeviceHandle;
    root = LibOpenRoot(device);
    return root ? EFI_SUCCESS : EFI_NOT_FOUND;
}

/* The PCI function nearest the volume on its device path (the disk's
 * controller: for virtio-blk the disk itself), through its PciIo. */
UINT32 volume_pci_function(void)
{
    EFI_DEVICE_PATH *dp = DevicePathFromHandle(device);
    EFI_HANDLE h;
    EFI_PCI_IO *pci;
    UINTN seg, bus, dev, fn;
    if (!dp || EFI_ERROR(BS->LocateDevicePath(&PciIoProtocol, &dp, &h)) ||
        EFI_ERROR(BS->HandleProtocol(h, &PciIoProtocol, (void **)&pci)) ||
        EFI_ERROR(pci->GetLocation(pci, &seg, &bus, &dev, &fn)) || seg > 0x7fff || bus > 255 ||
        dev > 31 || fn > 7)
        return 0;
    return HV_BOOT_DISK(seg, (bus << 8 | dev << 3 | fn));
}

EFI_STATUS volume_read(const char *path, UINT64 *base, UINT64 *size)
{
    CHAR16 wpath[(HV_PATH_MAX + 2)];
    size_t n = str_len(path);
    if (n + 2 > (HV_PATH_MAX + 2))
        return EFI_INVALID_PARAMETER;
    wpath[0] = L'\\';
    for (size_t i = 0; i < n; i++)
        wpath[i + 1] = path[i] == '/' ? L'\\' : (CHAR16)(unsigned char)path[i];
    wpath[n + 1] = 0;

    EFI_FILE_HANDLE fh;
    EFI_STATUS s = root->Open(root, &fh, wpath, EFI_FILE_MODE_READ, 0);
    if (EFI_ERROR(s))
        return s;
    EFI_FILE_INFO *info = LibFileInfo(fh);
    if (!info) {
        fh->Close(fh);
        return EFI_DEVICE_ERROR;
    }
    UINT64 bytes = info->FileSize;
    FreePool(info);

    EFI_PHYSICAL_ADDRESS addr = 0;
    UINTN pages = EFI_SIZE_TO_PAGES(bytes ? bytes : 1);
    s = BS->AllocatePages(AllocateAnyPages, EfiLoaderData, pages, &addr);
    if (!EFI_ERROR(s)) {
        UINTN got = bytes;
        s = fh->Read(fh, &got, (void *)(UINTN)addr);
        if (!EFI_ERROR(s) && got != bytes)
            s = EFI_DEVICE_ERROR;
        if (EFI_ERROR(s))
            BS->FreePages(addr, pages);
    }
    fh->Close(fh);
    if (EFI_ERROR(s))
        return s;
    *base = addr;
    *size = bytes;
    return EFI_SUCCESS;
}
