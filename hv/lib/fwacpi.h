/* Reads from the firmware's ACPI tables what the hypervisor needs of the real
 * machine: the PM1 control blocks (or a hardware-reduced FADT's sleep control
 * register) and the \_S5 sleep type, to power off; the PM timer, to calibrate
 * the TSC; the HPET, for the host's own timer; the PM1 event block and SCI, which the guest's FADT
 * passes through; the MCFG's ECAM window of PCI segment 0, to find the machine's disks; the MADT's
 * enabled local APICs, to start the other CPUs. Physical
 * addresses are used as pointers: the hypervisor identity-maps all memory (tests pass host
 * pointers). */
#ifndef HV_LIB_FWACPI_H
#define HV_LIB_FWACPI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ACPI_SPACE_MEMORY 0
#define ACPI_SPACE_IO     1

#define FWACPI_CPUS_MAX 64

struct acpi_reg {
    uint8_t space; /* ACPI_SPACE_* */
    uint64_t addr; /* 0: absent */
};

struct fw_acpi {
    bool hw_reduced;
    struct acpi_reg pm1a_cnt, pm1b_cnt; /* classic FADT */
    struct acpi_reg sleep_ctl;          /* hardware-reduced FADT */
    uint8_t slp_typa, slp_typb;         /* \_S5 */
    uint32_t pm1a_evt;                  /* I/O port, 0 if none */
    uint32_t pm_tmr;                    /* I/O port, 0 if none */
    bool pm_tmr_32bit;                  /* FADT flag TMR_VAL_EXT */
    uint16_t sci_int;
    uint64_t hpet; /* the HPET's register block (ACPI HPET table), 0 if none */
    uint64_t ecam; /* segment 0's PCI ECAM window (ACPI MCFG) for bus 0, 0 if none */
    uint8_t ecam_bus_start, ecam_bus_end; /* the buses it decodes */
    /* The MADT's enabled processors' APIC IDs (local APIC and x2APIC
     * entries), each once, in table order; the first FWACPI_CPUS_MAX. */
    uint32_t cpu_count;
    uint32_t cpus_dropped; /* enabled ones beyond FWACPI_CPUS_MAX */
    uint32_t apic_ids[FWACPI_CPUS_MAX];
    const char *madt_why; /* why the MADT was not read whole, NULL if it was */
};

/* The byte sum of an ACPI structure: 0 when its checksum is right. */
uint8_t acpi_sum8(const void *p, size_t n);

/* 0 on success; else -1 and *why names what is missing or corrupt. */
int fwacpi_read(uint64_t rsdp, struct fw_acpi *out, const char **why);

/* DMAR (Intel VT-d 4.1, chapter 8): the machine's DMA remapping units and
 * the reserved regions devices keep using. Only what the hypervisor acts on
 * is kept; other remapping structures (ATSR, RHSA, ANDD, SATC) are skipped. */
#define DMAR_SCOPE_ENDPOINT 1
#define DMAR_SCOPE_BRIDGE   2
#define DMAR_DRHD_MAX       8
#define DMAR_RMRR_MAX       8
#define DMAR_SCOPES_MAX     64 /* QEMU lists every function of its bus */
#define DMAR_PATH_MAX       4

struct dmar_scope {
    uint8_t type;  /* DMAR_SCOPE_* or another the spec names (IOAPIC, HPET...) */
    uint8_t bus;   /* start bus */
    uint8_t npath; /* (device, function) hops from it */
    uint8_t path[DMAR_PATH_MAX][2];
};

struct dmar_unit { /* DRHD */
    uint64_t base; /* register page(s) */
    uint16_t segment;
    bool include_all; /* INCLUDE_PCI_ALL: every function not in another unit's scope; else
                         only those its scopes name */
    unsigned nscope;
    struct dmar_scope scope[DMAR_SCOPES_MAX];
};

struct dmar_rmrr {
    uint16_t segment;
    uint64_t base, limit; /* inclusive */
    unsigned nscope;
    struct dmar_scope scope[DMAR_SCOPES_MAX];
};

struct fw_dmar {
    uint8_t haw; /* host address width in bits */
    uint8_t flags;
    unsigned nunit, nrmrr;
    struct dmar_unit unit[DMAR_DRHD_MAX];
    struct dmar_rmrr rmrr[DMAR_RMRR_MAX];
};

/* 0 and the machine's DMAR; -1 and *why ("no DMAR table", or what is
 * malformed: then nothing of it is to be trusted). */
int fwacpi_dmar(uint64_t rsdp, struct fw_dmar *out, const char **why);
/* Whether unit u translates the DMA of function bdf (bus << 8 | dev << 3 |
 * fn, u's segment): INCLUDE_PCI_ALL, or an endpoint scope naming it. A
 * function behind a bridge scope is not counted (the bridge's bus numbers
 * are not resolved). */
bool dmar_unit_covers(const struct dmar_unit *u, uint16_t bdf);
/* Whether an RMRR of segment 0 reserves memory for bdf's DMA: one names it
 * as an endpoint, or names a bridge (whose functions cannot be told apart). */
bool dmar_rmrr_reserves(const struct fw_dmar *d, uint16_t bdf);

#endif
