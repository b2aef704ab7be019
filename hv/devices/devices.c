#include "devices/devices.h"

#include "devices/heartbeat.h"
#include "devices/ic_channel.h"
#include "devices/keyboard.h"
#include "devices/shutdown.h"
#include "devices/test.h"
#include "devices/timesync.h"
#include "devices/video.h"
#include "lib/log.h"
#include "vmbus/fault.h"
#include "vmbus/vmbus.h"

static struct {
    VMBCHANNEL channel;
    const struct hv_device_config *cfg;
} devices[HV_DEVICES_MAX];
static unsigned count;
static const struct video_platform *video_platform;

static const char *const kind_names[] = {
    [HV_DEVICE_TEST] = "test",         [HV_DEVICE_HEARTBEAT] = "heartbeat",
    [HV_DEVICE_SHUTDOWN] = "shutdown", [HV_DEVICE_TIMESYNC] = "timesync",
    [HV_DEVICE_VIDEO] = "video",       [HV_DEVICE_KEYBOARD] = "keyboard",
};

static NTSTATUS create(const struct hv_config *cfg, const struct hv_device_config *d,
                       VMBCHANNEL *ch)
{
    switch (d->kind) {
    case HV_DEVICE_TEST:
        return test_device_create(d, ch);
    case HV_DEVICE_HEARTBEAT:
        return heartbeat_create(d, ch);
    case HV_DEVICE_SHUTDOWN:
        return shutdown_create(d, cfg->shutdown_after, ch);
    case HV_DEVICE_TIMESYNC:
        return timesync_create(d, ch);
    case HV_DEVICE_VIDEO:
        return video_create(d, video_platform, ch);
    case HV_DEVICE_KEYBOARD:
        return keyboard_create(d, ch);
    }
    *ch = NULL;
    return STATUS_INVALID_PARAMETER;
}

void devices_set_video_platform(const struct video_platform *p)
{
    video_platform = p;
}

/* The devices' keys of the summary line: the ICs' always, video and keyboard
 * once configured. */
static size_t summary(char *buf, size_t cap)
{
    size_t n = ic_summary(buf, cap);
    if (n < cap)
        n += video_summary(buf + n, cap - n);
    if (n < cap)
        n += keyboard_summary(buf + n, cap - n);
    return n;
}

int devices_create(const struct hv_config *cfg)
{
    bool shutdown = false;
    count = 0;
    vmbus_set_device_summary(summary);
    for (uint32_t i = 0; i < cfg->device_count; i++) {
        const struct hv_device_config *d = &cfg->devices[i];
        VMBCHANNEL ch;
        NTSTATUS s = create(cfg, d, &ch);
        if (!NT_SUCCESS(s)) {
            hv_log("devices", "%s: cannot create the channel: status 0x%08x", d->name, (UINT32)s);
            return -1;
        }
        shutdown |= d->kind == HV_DEVICE_SHUTDOWN;
        devices[count].channel = ch;
        devices[count].cfg = d;
        count++;
    }
    /* The faults the channels will suffer: armed once their names exist. */
    fault_init(cfg->faults, cfg->fault_count);
    if (cfg->shutdown_after && !shutdown)
        hv_log("devices", "shutdown_after=%u set, but no shutdown device is configured: ignored",
               cfg->shutdown_after);
    return 0;
}

void devices_enable(void)
{
    for (unsigned i = 0; i < count; i++) {
        const struct hv_device_config *d = devices[i].cfg;
        NTSTATUS s = VmbChannelEnable(devices[i].channel);
        if (NT_SUCCESS(s) && d->kind == HV_DEVICE_TEST) {
            hv_log("devices", "%s: test device enabled (mmio_mb=%u mmio_optional_mb=%u)", d->name,
                   d->mmio_mb, d->mmio_optional_mb);
            continue;
        }
        if (NT_SUCCESS(s)) {
            hv_log("devices", "%s: %s device enabled", d->name, kind_names[d->kind]);
            continue;
        }
        hv_log("devices", "%s: enable failed with status 0x%08x: not offered", d->name, (UINT32)s);
        VmbChannelCleanup(devices[i].channel);
        devices[i].channel = NULL;
    }
}
