/* ACPI table layouts (ACPI 6.4, chapter 5.2) for the tables vmbhv generates.
 * Packed: tables are byte layouts at arbitrary 16-byte-aligned guest addresses. */
#ifndef HV_VM_ACPI_TABLES_H
#define HV_VM_ACPI_TABLES_H

#include <stddef.h>
#include <stdint.h>

#define ACPI_PACKED __attribute__((packed))

struct acpi_rsdp {
    char signature[8]; /* "RSD PTR " */
    uint8_t checksum;  /* over the first 20 bytes */
    char oem_id[6];
    uint8_t revision; /* 2: ACPI 2.0+ with XSDT */
    uint32_t rsdt;
    uint32_t length; /* 36 */
    uint64_t xsdt;
    uint8_t ext_checksum; /* over all 36 bytes */
    uint8_t reserved[3];
} ACPI_PACKED;
_Static_assert(sizeof(struct acpi_rsdp) == 36, "RSDP layout");
_Static_assert(offsetof(struct acpi_rsdp, xsdt) == 24, "RSDP xsdt");

struct acpi_header {
    char signature[4];
    uint32_t length;
    uint8_t revision;
    uint8_t checksum; /* all bytes of the table sum to 0 */
    char oem_id[6];
    char oem_table_id[8];
    uint32_t oem_revision;
    char creator_id[4];
    uint32_t creator_revision;
} ACPI_PACKED;
_Static_assert(sizeof(struct acpi_header) == 36, "ACPI header layout");
_Static_assert(offsetof(struct acpi_header, checksum) == 9, "ACPI header checksum");

/* Generic Address Structure */
struct acpi_gas {
    uint8_t space_id; /* 0 memory, 1 I/O */
    uint8_t bit_width;
    uint8_t bit_offset;
    uint8_t access_size; /* 1 byte, 2 word, 3 dword, 4 qword */
    uint64_t address;
} ACPI_PACKED;
_Static_assert(sizeof(struct acpi_gas) == 12, "GAS layout");

#define ACPI_GAS_IO       1
#define ACPI_ACCESS_WORD  2
#define ACPI_ACCESS_DWORD 3

/* FADT revision 6 (ACPI 6.0+) */
struct acpi_fadt {
    struct acpi_header h;
    uint32_t firmware_ctrl; /* FACS */
    uint32_t dsdt;
    uint8_t reserved0;
    uint8_t preferred_pm_profile;
    uint16_t sci_int;
    uint32_t smi_cmd;
    uint8_t acpi_enable;
    uint8_t acpi_disable;
    uint8_t s4bios_req;
    uint8_t pstate_cnt;
    uint32_t pm1a_evt_blk;
    uint32_t pm1b_evt_blk;
    uint32_t pm1a_cnt_blk;
    uint32_t pm1b_cnt_blk;
    uint32_t pm2_cnt_blk;
    uint32_t pm_tmr_blk;
    uint32_t gpe0_blk;
    uint32_t gpe1_blk;
    uint8_t pm1_evt_len;
    uint8_t pm1_cnt_len;
    uint8_t pm2_cnt_len;
    uint8_t pm_tmr_len;
    uint8_t gpe0_blk_len;
    uint8_t gpe1_blk_len;
    uint8_t gpe1_base;
    uint8_t cst_cnt;
    uint16_t p_lvl2_lat;
    uint16_t p_lvl3_lat;
    uint16_t flush_size;
    uint16_t flush_stride;
    uint8_t duty_offset;
    uint8_t duty_width;
    uint8_t day_alrm;
    uint8_t mon_alrm;
    uint8_t century;
    uint16_t iapc_boot_arch;
    uint8_t reserved1;
    uint32_t flags;
    struct acpi_gas reset_reg;
    uint8_t reset_value;
    uint16_t arm_boot_arch;
    uint8_t minor_version;
    uint64_t x_firmware_ctrl;
    uint64_t x_dsdt;
    struct acpi_gas x_pm1a_evt_blk;
    struct acpi_gas x_pm1b_evt_blk;
    struct acpi_gas x_pm1a_cnt_blk;
    struct acpi_gas x_pm1b_cnt_blk;
    struct acpi_gas x_pm2_cnt_blk;
    struct acpi_gas x_pm_tmr_blk;
    struct acpi_gas x_gpe0_blk;
    struct acpi_gas x_gpe1_blk;
    struct acpi_gas sleep_control_reg;
    struct acpi_gas sleep_status_reg;
    uint64_t hypervisor_vendor_id;
} ACPI_PACKED;
_Static_assert(sizeof(struct acpi_fadt) == 276, "FADT rev 6 layout");
_Static_assert(offsetof(struct acpi_fadt, sci_int) == 46, "FADT SCI_INT");
_Static_assert(offsetof(struct acpi_fadt, pm1a_evt_blk) == 56, "FADT PM1a_EVT_BLK");
_Static_assert(offsetof(struct acpi_fadt, pm_tmr_blk) == 76, "FADT PM_TMR_BLK");
_Static_assert(offsetof(struct acpi_fadt, pm1_evt_len) == 88, "FADT PM1_EVT_LEN");
_Static_assert(offsetof(struct acpi_fadt, iapc_boot_arch) == 109, "FADT IAPC_BOOT_ARCH");
_Static_assert(offsetof(struct acpi_fadt, flags) == 112, "FADT Flags");
_Static_assert(offsetof(struct acpi_fadt, minor_version) == 131, "FADT minor version");
_Static_assert(offsetof(struct acpi_fadt, x_dsdt) == 140, "FADT X_DSDT");
_Static_assert(offsetof(struct acpi_fadt, x_pm1a_evt_blk) == 148, "FADT X_PM1a_EVT_BLK");
_Static_assert(offsetof(struct acpi_fadt, x_pm1a_cnt_blk) == 172, "FADT X_PM1a_CNT_BLK");
_Static_assert(offsetof(struct acpi_fadt, x_pm_tmr_blk) == 208, "FADT X_PM_TMR_BLK");
_Static_assert(offsetof(struct acpi_fadt, sleep_control_reg) == 244, "FADT SLEEP_CONTROL_REG");
_Static_assert(offsetof(struct acpi_fadt, hypervisor_vendor_id) == 268, "FADT vendor id");

/* FADT flags */
#define FADT_WBINVD      (1u << 0)
#define FADT_PROC_C1     (1u << 2)
#define FADT_PWR_BUTTON  (1u << 4) /* set: no fixed-hardware power button */
#define FADT_SLP_BUTTON  (1u << 5) /* set: no fixed-hardware sleep button */
#define FADT_TMR_VAL_EXT (1u << 8) /* PM timer is 32 bits, not 24 */
#define FADT_HW_REDUCED  (1u << 20)

/* FADT IAPC_BOOT_ARCH */
#define IAPC_LEGACY_DEVICES       (1u << 0)
#define IAPC_8042                 (1u << 1)
#define IAPC_VGA_NOT_PRESENT      (1u << 2)
#define IAPC_MSI_NOT_SUPPORTED    (1u << 3)
#define IAPC_PCIE_ASPM            (1u << 4)
#define IAPC_CMOS_RTC_NOT_PRESENT (1u << 5)

struct acpi_facs {
    char signature[4]; /* "FACS"; no checksum */
    uint32_t length;   /* 64 */
    uint32_t hardware_signature;
    uint32_t firmware_waking_vector;
    uint32_t global_lock;
    uint32_t flags;
    uint64_t x_firmware_waking_vector;
    uint8_t version; /* 2 */
    uint8_t reserved[3];
    uint32_t ospm_flags;
    uint8_t reserved2[24];
} ACPI_PACKED;
_Static_assert(sizeof(struct acpi_facs) == 64, "FACS layout");

struct acpi_madt {
    struct acpi_header h;
    uint32_t lapic_address;
    uint32_t flags; /* bit 0 PCAT_COMPAT: dual 8259s present */
} ACPI_PACKED;
_Static_assert(sizeof(struct acpi_madt) == 44, "MADT layout");

#define MADT_PCAT_COMPAT 1u

struct madt_lapic { /* type 0 */
    uint8_t type, length;
    uint8_t uid;
    uint8_t apic_id;
    uint32_t flags; /* bit 0 enabled */
} ACPI_PACKED;
_Static_assert(sizeof(struct madt_lapic) == 8, "MADT LAPIC layout");

struct madt_ioapic { /* type 1 */
    uint8_t type, length;
    uint8_t id;
    uint8_t reserved;
    uint32_t address;
    uint32_t gsi_base;
} ACPI_PACKED;
_Static_assert(sizeof(struct madt_ioapic) == 12, "MADT IOAPIC layout");

struct madt_iso { /* type 2: interrupt source override */
    uint8_t type, length;
    uint8_t bus; /* 0: ISA */
    uint8_t source;
    uint32_t gsi;
    uint16_t flags; /* MPS INTI flags: polarity bits 1:0, trigger bits 3:2 */
} ACPI_PACKED;
_Static_assert(sizeof(struct madt_iso) == 10, "MADT ISO layout");

struct madt_lapic_nmi { /* type 4 */
    uint8_t type, length;
    uint8_t uid; /* 0xFF: all processors */
    uint16_t flags;
    uint8_t lint;
} ACPI_PACKED;
_Static_assert(sizeof(struct madt_lapic_nmi) == 6, "MADT LAPIC NMI layout");

#define MADT_TYPE_LAPIC     0
#define MADT_TYPE_IOAPIC    1
#define MADT_TYPE_ISO       2
#define MADT_TYPE_LAPIC_NMI 4
#define MPS_INTI_CONFORMS   0x0
#define MPS_INTI_LEVEL_HIGH 0xD /* active high (01), level triggered (11 << 2) */

#endif
