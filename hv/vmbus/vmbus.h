/* The VMBus host as the rest of the hypervisor sees it: start it on the
 * partition, size the high MMIO gap, let queued replies out, report counters.
 * Devices use kmcl.h; the guest reaches it through HvPostMessage and
 * HvSignalEvent (docs/vmbus.md, "Layers"). One VMBus server per hypervisor. */
#ifndef HV_VMBUS_VMBUS_H
#define HV_VMBUS_VMBUS_H

#include <stddef.h>
#include <stdint.h>

struct hyperv_partition;
struct vmbus_port;

/* Resets the server (no channels, disconnected, empty 0-byte gap) over
 * Hyper-V partition p (synic_port.c): registers the message handler for
 * connection ids 1 and 4 in p, which must outlive it. Call before any device
 * allocates a channel. 0, or -1 if p already has handlers on those ids. */
int vmbus_init(struct hyperv_partition *p);
/* The same over any port (copied), for host-side tests: the guest's
 * messages then go to vmbus_on_message (message.h) directly. */
void vmbus_init_port(const struct vmbus_port *port);

/* Places the high MMIO gap at max(4 GiB, ram_top) rounded up to 1 GiB, sized
 * mmio_high_mb MiB or, if 0, from the requests of the channels allocated so
 * far (mmio_auto_size_mb, in allocation order). Logs the gap. Call after the
 * devices have allocated and configured their channels and before they
 * enable them; then build the DSDT _CRS from vmbus_mmio_gap. */
void vmbus_mmio_configure(uint64_t ram_top, uint32_t mmio_high_mb);
/* The low MMIO range the DSDT describes starts at low_base: the guest
 * reserves its frame-buffer region there (mmio.h, struct mmio_fb), which
 * channels that asked for it (VmbServerChannelInitSetMmioFramebuffer) are
 * granted. Before devices_enable. */
void vmbus_mmio_framebuffer(uint64_t low_base);
/* The gap (size 0 before vmbus_mmio_configure). */
void vmbus_mmio_gap(uint64_t *base, uint64_t *size);

/* The one place host-to-guest work leaves: hands queued messages (replies,
 * offers, rescinds) to the SynIC until it pushes back, and goes on with
 * guest-to-host ring drains the per-signal budget cut short. Call after every
 * exit, after the host timers ran (it returns at once when nothing waits); a
 * drain left pending also arms a host timer (lib/timer.h), so it finishes
 * when no exit comes. */
void vmbus_poll(void);

/* " vmbus_version=.. vmbus_msgs=.. ..." for the summary line (a summary_part:
 * leading space, no newline); returns the length the full text would have. */
size_t vmbus_summary(char *buf, size_t cap);

#endif
