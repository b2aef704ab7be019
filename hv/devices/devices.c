#include "devices/devices.h"

#include "devices/test.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "vmbus/kmcl.h"

static struct {
    VMBCHANNEL channel;
    const struct hv_device_config *cfg;
} devices[HV_DEVICES_MAX];
static unsigned count;

static int configure(VMBCHANNEL ch, const struct hv_device_config *d)
{
    static const uint8_t zero[16];
    GUID instance;
    if (memcmp(d->instance, zero, sizeof(zero)))
        memcpy(&instance, d->instance, sizeof(instance));
    else
        guid_from_name(&instance, &test_device_class, d->name); /* "instance=auto" */

    NTSTATUS s = VmbChannelInitSetFriendlyName(ch, d->name);
    if (NT_SUCCESS(s))
        s = VmbServerChannelInitSetTargetInterfaceId(ch, &test_device_class, &instance);
    if (NT_SUCCESS(s) && (d->mmio_mb || d->mmio_optional_mb))
        s = VmbServerChannelInitSetMmioMegabytes(ch, d->mmio_mb, d->mmio_optional_mb);
    if (NT_SUCCESS(s))
        s = VmbServerChannelInitSetPrepareOfferCallback(ch, test_device_prepare_offer);
    if (NT_SUCCESS(s))
        s = VmbChannelInitSetProcessPacketCallback(ch, test_device_process_packet);
    if (!NT_SUCCESS(s))
        hv_log("devices", "%s: configuration refused with status 0x%08x", d->name, (UINT32)s);
    return NT_SUCCESS(s) ? 0 : -1;
}

int devices_create(const struct hv_config *cfg)
{
    for (uint32_t i = 0; i < cfg->device_count; i++) {
        const struct hv_device_config *d = &cfg->devices[i];
        VMBCHANNEL ch;
        NTSTATUS s = VmbChannelAllocate((PDEVICE_OBJECT)d, TRUE, &ch);
        if (!NT_SUCCESS(s)) {
            hv_log("devices", "%s: cannot allocate a channel: status 0x%08x", d->name, (UINT32)s);
            return -1;
        }
        if (configure(ch, d)) {
            VmbChannelCleanup(ch);
            return -1;
        }
        devices[count].channel = ch;
        devices[count].cfg = d;
        count++;
    }
    return 0;
}

void devices_enable(void)
{
    for (unsigned i = 0; i < count; i++) {
        NTSTATUS s = VmbChannelEnable(devices[i].channel);
        if (NT_SUCCESS(s)) {
            hv_log("devices", "%s: test device enabled (mmio_mb=%u mmio_optional_mb=%u)",
                   devices[i].cfg->name, devices[i].cfg->mmio_mb, devices[i].cfg->mmio_optional_mb);
            continue;
        }
        hv_log("devices", "%s: enable failed with status 0x%08x: not offered", devices[i].cfg->name,
               (UINT32)s);
        VmbChannelCleanup(devices[i].channel);
        devices[i].channel = NULL;
    }
}
