/* The guest's ACPI tables, generated from the real configuration: RSDP (rev 2),
 * XSDT, a classic (not hardware-reduced) FADT rev 6 with FACS, MADT and a DSDT
 * built with the AML emitter. The PM1a event block, PM timer and SCI are the
 * host's own hardware passed through; PM1a control is a port the hypervisor
 * intercepts, so it sees the guest's S5 write (SLP_TYP = s5_slp_typ, SLP_EN).
 * docs/guest-machine.md lists every field and why it has its value. */
#ifndef HV_VM_ACPI_H
#define HV_VM_ACPI_H

#include <stdbool.h>
#include <stdint.h>

#include "guest_mem.h"
#include "vm/aml.h"

#define ACPI_CPUS_MAX 64

struct acpi_params {
    /* FADT, all I/O ports; e.g. ICH9 (QEMU q35): PM1a_EVT 0x600, PM1a_CNT 0x604,
     * PM_TMR 0x608, SCI 9. */
    uint16_t pm1a_evt_blk;   /* 4 bytes (status + enable), passed through; required */
    uint16_t pm1a_cnt_blk;   /* 2 bytes, intercepted by the hypervisor; required */
    uint16_t pm_tmr_blk;     /* 4 bytes, passed through; 0: no PM timer */
    bool pm_tmr_32bit;       /* FADT TMR_VAL_EXT; the ICH9 timer is 24-bit */
    uint8_t sci_irq;         /* ISA IRQ (or GSI >= 16) of the SCI; not 0 or 2 */
    uint8_t s5_slp_typ;      /* \_S5 SLP_TYP, 0..7 */
    uint16_t iapc_boot_arch; /* IAPC_* bits besides VGA-not-present, which is always set */
    /* MADT */
    bool lapic_nmi;          /* Local APIC NMI entry: LINT1 of every processor */
    uint32_t cpus;           /* processors, at most ACPI_CPUS_MAX; 0: one, APIC ID 0 */
    const uint8_t *apic_ids; /* cpus of them, in the guest's CPU order */
    /* DSDT: called inside Scope (\_SB) to add devices (e.g. acpi_vmbus_devices) */
    void (*sb_devices)(struct aml *a, void *ctx);
    void *sb_ctx;
};

/* Where the tables went (guest-physical addresses). */
struct acpi_tables {
    uint64_t rsdp; /* what boot_params.acpi_rsdp_addr gets */
    uint64_t xsdt, fadt, facs, madt, dsdt;
    uint32_t xsdt_len, fadt_len, madt_len, dsdt_len;
    uint64_t end; /* first byte after the last table */
};

/* Writes all tables into guest memory at [base, base + size) (base 16-byte
 * aligned, below 4 GiB, inside guest RAM; layout.h's LAYOUT_ACPI_BASE/SIZE).
 * 0 and *out filled, or -1 and *why. */
int acpi_build(const struct guest_mem *gm, uint64_t base, uint64_t size,
               const struct acpi_params *p, struct acpi_tables *out, const char **why);

#endif
