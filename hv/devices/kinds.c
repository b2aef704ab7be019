/* The device kinds hv.cfg's device lines can name: a kind is one file in
 * hv/devices/ that defines its struct device_kind, and one line here
 * (docs/devices.md, "Write your own channel server"). */
#include "devices/device.h"

#define KINDS(X)                                                                                   \
    X(test_device_kind)                                                                            \
    X(heartbeat_kind)                                                                              \
    X(shutdown_kind)                                                                               \
    X(timesync_kind)                                                                               \
    X(video_kind)                                                                                  \
    X(keyboard_kind)                                                                               \
    X(checksum_kind)                                                                               \
    X(disk_kind)                                                                                   \
    X(nic_kind)                                                                                    \
    X(vpci_kind)                                                                                   \
    /* one line per kind, above this one */

#define DECLARE(kind) extern const struct device_kind kind;
#define ENTRY(kind)   &kind,
KINDS(DECLARE)

const struct device_kind *const device_kinds[] = {KINDS(ENTRY) NULL};
