/* Reads the firmware's ACPI tables for what powering off needs: the PM1 control
 * blocks (or a hardware-reduced FADT's sleep control register) and the \_S5
 * sleep type from the DSDT. Physical addresses are used as pointers: the
 * hypervisor identity-maps all memory (tests pass host pointers). */
#ifndef HV_LIB_FWACPI_H
#define HV_LIB_FWACPI_H

#include <stdbool.h>
#include <stdint.h>

#define ACPI_SPACE_MEMORY 0
#define ACPI_SPACE_IO     1

struct acpi_reg {
    uint8_t space; /* ACPI_SPACE_* */
    uint64_t addr; /* 0: absent */
};

struct acpi_s5 {
    bool hw_reduced;
    struct acpi_reg pm1a_cnt, pm1b_cnt; /* classic FADT */
    struct acpi_reg sleep_ctl;          /* hardware-reduced FADT */
    uint8_t slp_typa, slp_typb;
};

/* 0 on success; else -1 and *why names what is missing or corrupt. */
int fwacpi_find_s5(uint64_t rsdp, struct acpi_s5 *out, const char **why);

#endif
