/* What every kind's file may call (device.h), apart from the registry. */
#include "devices/device.h"

#include "lib/fmt.h"

NTSTATUS device_channel(const struct device *d, const GUID *class_id, PVOID ctx,
                        const VMB_CHANNEL_STATE_CHANGE_CALLBACKS *callbacks,
                        PFN_VMB_CHANNEL_PROCESS_PACKET process, VMBCHANNEL *out)
{
    GUID instance;
    guid_for_device(&instance, d->cfg->instance, class_id, d->cfg->name);
    VMBCHANNEL ch;
    *out = NULL;
    NTSTATUS s = VmbChannelAllocate(ctx, TRUE, &ch);
    if (!NT_SUCCESS(s))
        return s;
    s = VmbChannelInitSetFriendlyName(ch, d->cfg->name);
    if (NT_SUCCESS(s))
        s = VmbServerChannelInitSetTargetInterfaceId(ch, class_id, &instance);
    if (NT_SUCCESS(s) && callbacks)
        s = VmbChannelInitSetStateChangeCallbacks(ch, callbacks);
    if (NT_SUCCESS(s))
        s = VmbChannelInitSetProcessPacketCallback(ch, process);
    if (!NT_SUCCESS(s)) {
        VmbChannelCleanup(ch);
        return s;
    }
    *out = ch;
    return STATUS_SUCCESS;
}

int device_refuse(struct device_error *e, const char *what, const char *v, size_t n)
{
    fmt_snprintf(e->msg, sizeof(e->msg), "%s '%.*s'", what, (int)n, v);
    return -1;
}
