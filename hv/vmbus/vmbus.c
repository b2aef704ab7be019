/* The top of the VMBus host: start-up on a port, the one place host-to-guest
 * work leaves (vmbus_poll), the high MMIO gap, the summary's counters. */
#include "vmbus/vmbus.h"

#include "lib/fmt.h"
#include "lib/log.h"
#include "vmbus/channel.h"
#include "vmbus/fault.h"
#include "vmbus/outq.h"
#include "vmbus/state.h"

static void drain_timer_fired(struct hv_timer *t, uint64_t now)
{
    (void)t;
    (void)now;
    VMBUS_DOOR();
    chan_drain_pending();
}

void vmbus_init_port(const struct vmbus_port *port)
{
    state_reset(port);
    timer_setup(&vmbus.drain_timer, drain_timer_fired, NULL);
    fault_init(NULL, 0);
}

void vmbus_poll(void)
{
    VMBUS_DOOR();
    outq_flush();
    chan_drain_pending();
}

void vmbus_mmio_configure(uint64_t ram_top, uint32_t mmio_high_mb)
{
    VMBUS_DOOR();
    const char *how = "mmio_high_mb";
    if (!mmio_high_mb) {
        /* The channels configured so far, in the order they will be enabled. */
        struct mmio_request req[VMBUS_MAX_CHANNELS];
        unsigned n = 0;
        for (unsigned i = 0; i < VMBUS_MAX_CHANNELS; i++) {
            const struct vmbus_channel *c = &vmbus.chan[i];
            if (c->state == CHAN_INITIALIZING && !c->mmio_fb && (c->mmio_mb || c->mmio_optional_mb))
                req[n++] = (struct mmio_request){c->mmio_mb, c->mmio_optional_mb};
        }
        mmio_high_mb = mmio_auto_size_mb(req, n);
        how = "sized from the requests";
    }
    uint64_t base = mmio_gap_base(ram_top), size = (uint64_t)mmio_high_mb * MMIO_MiB;
    mmio_gap_init(&vmbus.gap, base, size);
    hv_log("mmio", "high gap 0x%llx-0x%llx (%uMiB, %s)", (unsigned long long)base,
           (unsigned long long)(base + size - 1), mmio_high_mb, how);
}

void vmbus_mmio_framebuffer(uint64_t low_base)
{
    VMBUS_DOOR();
    mmio_fb_init(&vmbus.fb, low_base);
}

void vmbus_mmio_gap(uint64_t *base, uint64_t *size)
{
    VMBUS_DOOR();
    *base = vmbus.gap.base;
    *size = vmbus.gap.size;
}

size_t vmbus_summary(char *buf, size_t cap)
{
    VMBUS_DOOR();
    const struct vmbus_counters *n = &vmbus.n;
    int len = fmt_snprintf(buf, cap,
                           " vmbus_version=%u.%u vmbus_msgs=%llu vmbus_rejected=%llu"
                           " vmbus_refused=%llu vmbus_busy=%llu vmbus_sent=%llu vmbus_offers=%llu"
                           " vmbus_opens=%llu vmbus_signals=%llu vmbus_packets=%llu"
                           " vmbus_log_dropped=%llu faults_fired=%llu",
                           VMBUS_VERSION_MAJOR(vmbus.version), VMBUS_VERSION_MINOR(vmbus.version),
                           (unsigned long long)n->messages, (unsigned long long)n->rejected,
                           (unsigned long long)n->refused, (unsigned long long)n->busy,
                           (unsigned long long)n->sent, (unsigned long long)n->offers,
                           (unsigned long long)n->opens, (unsigned long long)n->signals,
                           (unsigned long long)n->packets, (unsigned long long)vmbus_log_dropped(),
                           (unsigned long long)fault_fired());
    return len < 0 ? 0 : (size_t)len;
}
