/* The VMBus device in the DSDT. Linux's hv_vmbus binds to _HID "VMBUS" and takes
 * the MMIO pool from the _CRS windows of the device or an ancestor
 * (linux-guest-contract.md 5.2). As on Hyper-V, the windows sit on an ACPI0004
 * module device \_SB.VMOD and its child \_SB.VMOD.VMBS has an empty _CRS:
 * Linux makes a platform device of a _HID device and claims its own _CRS ranges
 * in iomem, which fails on any partial overlap (contract 11, trap 20), while an
 * ACPI0004 container claims nothing. */
#ifndef HV_VM_ACPI_VMBUS_H
#define HV_VM_ACPI_VMBUS_H

#include <stddef.h>
#include <stdint.h>

#include "vm/aml.h"

struct acpi_mmio_window {
    uint64_t base;
    uint64_t size; /* bytes, > 0 */
};

/* Emits Device (VMOD) { _HID "ACPI0004", _UID 0, _CRS: one QWordMemory per
 * window; Device (VMBS) { _HID "VMBUS", _UID 0, _CRS: empty } } at the current
 * scope (inside \_SB). n may be 0: then the pool is simply empty. */
void acpi_vmbus_devices(struct aml *a, const struct acpi_mmio_window *w, size_t n);

/* The same as an acpi_params.sb_devices hook; ctx is a struct acpi_vmbus. */
struct acpi_vmbus {
    const struct acpi_mmio_window *windows;
    size_t count;
};
void acpi_vmbus_hook(struct aml *a, void *ctx);

#endif
