#ifndef HV_GUEST_H
#define HV_GUEST_H

#include <stdint.h>

#include "boot_info.h"
#include "lib/fwacpi.h"
#include "lib/heap.h"

/* Runs the configured guest to its end; the run stops inside. */
void guest_run(const struct hv_boot_info *bi, struct heap *heap, const struct fw_acpi *fw,
               uint64_t tsc_hz, uint64_t apic_hz) __attribute__((noreturn));

#endif
