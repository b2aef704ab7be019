/* A device kind: what one file in hv/devices/ registers, in the one list of
 * kinds (kinds.c), so that adding a kind touches nothing else
 * (docs/devices.md, "Write your own channel server"). The registry
 * (devices.c) matches each "device = <kind> ..." line of hv.cfg to its kind,
 * hands the kind its own key=value words, enforces the kind's properties and
 * calls its create. */
#ifndef HV_DEVICES_DEVICE_H
#define HV_DEVICES_DEVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "boot_info.h"
#include "lib/summary.h"
#include "vmbus/kmcl.h"

struct guest_mem;
struct heap;
struct mmio_trap_ops;
struct pci_cfg_ops;
struct virtio_mmio_ops;
struct video_platform;

/* What the machine gives its devices (hv/guest.c fills it in). */
struct device_env {
    const struct guest_mem *gm; /* the guest's RAM: every page a guest names is checked here */
    struct heap *heap;          /* hypervisor memory, for what a device keeps (a RAM disk) */
    const struct video_platform *video; /* backs a video device's VRAM; NULL: nothing can be */
    /* The guest's MMIO ranges, as the VMBus device's _CRS gives them (the low
     * window, the high gap; size 0: none): where the guest places what it
     * allocates with vmbus_allocate_mmio. Set once the gap is sized, after
     * every create: read them when the guest names an address. */
    struct device_mmio_range {
        uint64_t base, size;
    } mmio[2];
    /* The partition's reference time: 100 ns units since the guest started. */
    uint64_t (*reference_time)(void *ctx);
    void *reference_ctx;
    uint32_t shutdown_after; /* hv.cfg's, in seconds; 0: never */
    /* Traps guest-physical [gpa, gpa+len) (page-aligned, outside RAM): every
     * guest load and store there becomes a call of ops (vm/mmio_trap.h);
     * -1 if refused. Untrap takes exactly a range trap was given. */
    int (*mmio_trap)(uint64_t gpa, uint64_t len, const struct mmio_trap_ops *ops, void *ctx);
    void (*mmio_untrap)(uint64_t gpa, uint64_t len);
    /* Maps guest-physical [gpa, gpa+len) to machine MMIO at hpa, uncached
     * (page-aligned; only over the void: never RAM, a trapped range or
     * another mapping); -1 if refused. Unmap takes exactly a range map was
     * given. NULL: BARs are only trapped. */
    int (*mmio_map)(uint64_t gpa, uint64_t hpa, uint64_t len);
    void (*mmio_unmap)(uint64_t gpa, uint64_t len);
    /* The machine's PCI configuration access (NULL: none) and the boot
     * volume's function (hv_boot_info.boot_disk): what a vpci assign= may
     * take (devices/vpci_assign.h). */
    const struct pci_cfg_ops *pci;
    const struct virtio_mmio_ops *pci_io; /* its registers, by physical address */
    uint32_t boot_disk;
    /* An assigned function's interrupts: its real MSI-X entries send
     * assign_msi_address with data assign_vector + k (k < assign_vectors);
     * assigned_irqs takes bit k of those that fired since; raise makes VP
     * vp take its vector (the SynIC's way: an IPI to that VP's CPU). vps:
     * the guest's VPs, the interrupt targets below it (0: one). */
    uint64_t assign_msi_address;
    uint8_t assign_vector, assign_vectors;
    uint32_t (*assigned_irqs)(void);
    void (*raise)(uint32_t vp, uint8_t vector);
    uint32_t vps;
};

/* Room for a kind's parsed parameters (struct device_kind.params_size). */
#define DEVICE_PARAMS_SIZE 64u

/* One configured device, as its kind's create sees it. */
struct device {
    const struct hv_device_config *cfg; /* name, instance GUID, hv.cfg line */
    const void *params;                 /* the kind's struct, filled by param and check */
    const struct device_env *env;
};

/* Why a line's words were refused: "<what> '<word>'", after "hv.cfg line N: device: ". */
struct device_error {
    char msg[160];
};

struct device_kind {
    const char *name;   /* the line's first word */
    bool single;        /* at most one device of this kind (one guest driver state, one screen) */
    bool needs_efi;     /* the guest must boot through the EFI handoff */
    size_t params_size; /* <= DEVICE_PARAMS_SIZE (else every line of it is refused);
                           the registry zeroes them first */
    /* One key=value word of the line (not name= or instance=, which every kind
     * has) into params; the word is key[0..klen + 1 + vlen), for messages.
     * 0, or -1 with e filled (device_refuse). NULL: the kind takes no words. */
    int (*param)(void *params, const char *key, size_t klen, const char *val, size_t vlen,
                 struct device_error *e);
    /* After the last word: defaults and rules across words. May be NULL. */
    int (*check)(void *params, struct device_error *e);
    /* Allocates and configures the channel (not enabled); runs once per line,
     * in hv.cfg's order, before the MMIO gap is sized and before any offer. */
    NTSTATUS (*create)(const struct device *d, VMBCHANNEL *out);
    /* Once all lines are created, with how many devices of this kind there
     * are (0 too): for rules about the whole configuration. May be NULL. */
    void (*created)(const struct device_env *env, unsigned n);
    /* After every exit, when a device of the kind is configured: its backend's
     * work (completions, received frames), bounded and cheap when nothing
     * waits. May be NULL. */
    void (*poll)(void);
    /* The guest's HvRetargetDeviceInterrupt, offered to each configured kind
     * that has it: 0 if one of its devices owns the interrupt entry (device
     * id and MSI address/data as it handed them out) and now injects vector
     * on the lowest VP of vp_mask; -1 if none does. May be NULL. */
    int (*retarget)(uint64_t device_id, uint32_t msi_address, uint32_t msi_data, uint8_t vector,
                    uint64_t vp_mask);
    /* The kind's keys of the run's summary line (lib/summary.h); NULL: none.
     * Registered for every kind, configured or not. */
    summary_part summary;
};

/* The kinds, NULL-terminated: kinds.c's; a test links its own list. */
extern const struct device_kind *const device_kinds[];

/* Fills e with "<what> '<v[0..n)>'" and returns -1. */
int device_refuse(struct device_error *e, const char *what, const char *v, size_t n);

/* The channel every kind starts with: allocated (VmbChannelGetPointer gives
 * ctx back), named after the device (log lines), of class class_id and the
 * configured instance (or one derived from the name: guid_for_device), with
 * the state callbacks (NULL: none) and the packet callback. Not enabled: the
 * kind adds what else it needs (MMIO, user data) and the registry enables
 * it. On failure nothing is left allocated. */
NTSTATUS device_channel(const struct device *d, const GUID *class_id, PVOID ctx,
                        const VMB_CHANNEL_STATE_CHANGE_CALLBACKS *callbacks,
                        PFN_VMB_CHANNEL_PROCESS_PACKET process, VMBCHANNEL *out);

#endif
