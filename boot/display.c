/* GOP: pick the mode, record where its pixels are. */
#include "display.h"

#include <efilib.h>
#include <stdbool.h>

#include "console.h"
#include "volume.h"

static EFI_GUID gop_guid = EFI_GRAPHICS_OUTPUT_PROTOCOL_GUID;

static void switch_mode(EFI_GRAPHICS_OUTPUT_PROTOCOL *gop, UINT32 w, UINT32 h)
{
    const EFI_GRAPHICS_OUTPUT_MODE_INFORMATION *cur = gop->Mode->Info;
    if (cur->HorizontalResolution == w && cur->VerticalResolution == h)
        return;
    for (UINT32 m = 0; m < gop->Mode->MaxMode; m++) {
        EFI_GRAPHICS_OUTPUT_MODE_INFORMATION *info;
        UINTN size;
        if (EFI_ERROR(gop->QueryMode(gop, m, &size, &info)))
            continue;
        bool match = info->HorizontalResolution == w && info->VerticalResolution == h &&
                     info->PixelFormat != PixelBltOnly;
        BS->FreePool(info);
        if (!match)
            continue;
        EFI_STATUS s = gop->SetMode(gop, m);
        if (EFI_ERROR(s))
            say("boot: display: cannot switch to %ux%u: %s", w, h, efi_status_name(s));
        return;
    }
    say("boot: display: the firmware has no %ux%u mode; keeping %ux%u", w, h,
        cur->HorizontalResolution, cur->VerticalResolution);
}

void display_record(struct hv_display *d, UINT32 want_width, UINT32 want_height)
{
    EFI_GRAPHICS_OUTPUT_PROTOCOL *gop = NULL;
    SetMem(d, sizeof(*d), 0);
    if (EFI_ERROR(BS->LocateProtocol(&gop_guid, NULL, (void **)&gop)) || !gop || !gop->Mode ||
        !gop->Mode->Info) {
        say("boot: display: none (no GOP)");
        return;
    }
    if (want_width && want_height)
        switch_mode(gop, want_width, want_height);
    const EFI_GRAPHICS_OUTPUT_MODE_INFORMATION *info = gop->Mode->Info;
    if (info->PixelFormat == PixelBltOnly || info->PixelFormat >= PixelFormatMax ||
        !gop->Mode->FrameBufferBase) {
        say("boot: display: none (the GOP mode has no framebuffer)");
        return;
    }
    static const UINT32 formats[] = {HV_PIXEL_RGBX, HV_PIXEL_BGRX, HV_PIXEL_MASK};
    d->base = gop->Mode->FrameBufferBase;
    d->size = gop->Mode->FrameBufferSize;
    d->width = info->HorizontalResolution;
    d->height = info->VerticalResolution;
    d->stride = info->PixelsPerScanLine;
    d->format = formats[info->PixelFormat];
    d->red_mask = info->PixelInformation.RedMask;
    d->green_mask = info->PixelInformation.GreenMask;
    d->blue_mask = info->PixelInformation.BlueMask;
    d->reserved_mask = info->PixelInformation.ReservedMask;
    say("boot: display: GOP %ux%u stride %u format %u framebuffer 0x%llx (%llu KiB)", d->width,
        d->height, d->stride, d->format, (unsigned long long)d->base,
        (unsigned long long)d->size >> 10);
}
