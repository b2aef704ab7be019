/* SCSI wire layouts the target (hv/devices/scsi.c) reads and writes: CDBs,
 * fixed-format sense, INQUIRY / VPD / READ CAPACITY / MODE SENSE / REPORT
 * LUNS data, the UNMAP parameter list (SPC-4, SBC-3). Multi-byte fields are
 * big endian and kept as byte arrays; constants and layouts only. */
#ifndef HV_DEVICES_SCSI_WIRE_H
#define HV_DEVICES_SCSI_WIRE_H

#include <stddef.h>
#include <stdint.h>

/* --- operation codes ---------------------------------------------------------- */
#define SCSI_TEST_UNIT_READY      0x00u
#define SCSI_REQUEST_SENSE        0x03u
#define SCSI_READ_6               0x08u
#define SCSI_WRITE_6              0x0Au
#define SCSI_INQUIRY              0x12u
#define SCSI_MODE_SENSE_6         0x1Au
#define SCSI_READ_CAPACITY_10     0x25u
#define SCSI_READ_10              0x28u
#define SCSI_WRITE_10             0x2Au
#define SCSI_SYNC_CACHE_10        0x35u
#define SCSI_UNMAP                0x42u
#define SCSI_MODE_SENSE_10        0x5Au
#define SCSI_READ_16              0x88u
#define SCSI_WRITE_16             0x8Au
#define SCSI_SYNC_CACHE_16        0x91u
#define SCSI_SERVICE_ACTION_IN_16 0x9Eu
#define SCSI_SAI_READ_CAPACITY_16 0x10u /* service action (byte 1, low 5 bits) */
#define SCSI_REPORT_LUNS          0xA0u

/* --- status (SAM) --------------------------------------------------------------- */
#define SCSI_STATUS_GOOD            0x00u
#define SCSI_STATUS_CHECK_CONDITION 0x02u
#define SCSI_STATUS_BUSY            0x08u

/* --- sense keys and additional sense codes (ASC << 8 | ASCQ) ----------------- */
#define SCSI_SENSE_NO_SENSE        0x0u
#define SCSI_SENSE_MEDIUM_ERROR    0x3u
#define SCSI_SENSE_ILLEGAL_REQUEST 0x5u

#define SCSI_ASC_NONE                      0x0000u
#define SCSI_ASC_WRITE_ERROR               0x0C00u
#define SCSI_ASC_UNRECOVERED_READ_ERROR    0x1100u
#define SCSI_ASC_PARAMETER_LIST_LENGTH     0x1A00u
#define SCSI_ASC_INVALID_OPCODE            0x2000u
#define SCSI_ASC_LBA_OUT_OF_RANGE          0x2100u
#define SCSI_ASC_INVALID_FIELD_IN_CDB      0x2400u
#define SCSI_ASC_LUN_NOT_SUPPORTED         0x2500u
#define SCSI_ASC_INVALID_FIELD_IN_PARAM    0x2600u
#define SCSI_ASC_SAVING_PARAMS_UNSUPPORTED 0x3900u

/* Fixed-format sense data, current errors (response code 0x70). */
#define SCSI_SENSE_FIXED_CURRENT 0x70u

struct scsi_sense_fixed {
    uint8_t response_code;
    uint8_t obsolete;
    uint8_t key; /* low nibble */
    uint8_t information[4];
    uint8_t additional_length; /* bytes after this one: 10 */
    uint8_t command_specific[4];
    uint8_t asc;
    uint8_t ascq;
    uint8_t fru;
    uint8_t sense_key_specific[3];
} __attribute__((packed));

/* --- CDBs -------------------------------------------------------------------------- */
struct scsi_cdb6 { /* READ(6) / WRITE(6) */
    uint8_t opcode;
    uint8_t lba[3]; /* 21 bits: byte 1's low 5 bits, then bytes 2-3 */
    uint8_t length; /* 0 means 256 blocks */
    uint8_t control;
} __attribute__((packed));

#define SCSI_RW_FUA     0x08u /* byte 1 of READ/WRITE(10/16) */
#define SCSI_RW_PROTECT 0xE0u /* RDPROTECT / WRPROTECT: we have no protection information */
#define SCSI_SYNC_IMMED 0x02u /* byte 1 of SYNCHRONIZE CACHE */

struct scsi_cdb10 { /* READ/WRITE(10), SYNCHRONIZE CACHE(10) */
    uint8_t opcode;
    uint8_t flags;
    uint8_t lba[4];
    uint8_t group;
    uint8_t length[2];
    uint8_t control;
} __attribute__((packed));

struct scsi_cdb16 { /* READ/WRITE(16), SYNCHRONIZE CACHE(16) */
    uint8_t opcode;
    uint8_t flags;
    uint8_t lba[8];
    uint8_t length[4];
    uint8_t group;
    uint8_t control;
} __attribute__((packed));

#define SCSI_INQUIRY_EVPD 0x01u

struct scsi_cdb_inquiry {
    uint8_t opcode;
    uint8_t flags; /* EVPD; bit 1 (CMDDT, obsolete) must be 0 */
    uint8_t page_code;
    uint8_t allocation_length[2];
    uint8_t control;
} __attribute__((packed));

struct scsi_cdb_request_sense {
    uint8_t opcode;
    uint8_t desc; /* descriptor format asked: we answer fixed, as SPC allows */
    uint8_t reserved[2];
    uint8_t allocation_length;
    uint8_t control;
} __attribute__((packed));

struct scsi_cdb_read_capacity10 {
    uint8_t opcode;
    uint8_t reserved;
    uint8_t lba[4]; /* must be 0 unless PMI */
    uint8_t reserved2[2];
    uint8_t pmi;
    uint8_t control;
} __attribute__((packed));

struct scsi_cdb_read_capacity16 {
    uint8_t opcode;
    uint8_t service_action;
    uint8_t lba[8];
    uint8_t allocation_length[4];
    uint8_t pmi;
    uint8_t control;
} __attribute__((packed));

#define SCSI_MS_DBD           0x08u /* byte 1: no block descriptor */
#define SCSI_MS_PC_SHIFT      6     /* byte 2: page control in bits 7-6 */
#define SCSI_MS_PC_CURRENT    0u
#define SCSI_MS_PC_CHANGEABLE 1u
#define SCSI_MS_PC_DEFAULT    2u
#define SCSI_MS_PC_SAVED      3u
#define SCSI_MS_PAGE_MASK     0x3Fu

struct scsi_cdb_mode_sense6 {
    uint8_t opcode;
    uint8_t dbd;
    uint8_t pc_page;
    uint8_t subpage;
    uint8_t allocation_length;
    uint8_t control;
} __attribute__((packed));

struct scsi_cdb_mode_sense10 {
    uint8_t opcode;
    uint8_t dbd; /* and LLBAA (0x10): a long descriptor is permitted, never required */
    uint8_t pc_page;
    uint8_t subpage;
    uint8_t reserved[3];
    uint8_t allocation_length[2];
    uint8_t control;
} __attribute__((packed));

struct scsi_cdb_report_luns {
    uint8_t opcode;
    uint8_t reserved;
    uint8_t select_report; /* 0, 1, 2: all the same for a plain target */
    uint8_t reserved2[3];
    uint8_t allocation_length[4]; /* under 16: ILLEGAL REQUEST (SPC-4) */
    uint8_t reserved3;
    uint8_t control;
} __attribute__((packed));

#define SCSI_UNMAP_ANCHOR 0x01u

struct scsi_cdb_unmap {
    uint8_t opcode;
    uint8_t anchor;
    uint8_t reserved[4];
    uint8_t group;
    uint8_t parameter_list_length[2];
    uint8_t control;
} __attribute__((packed));

/* --- data in / out -------------------------------------------------------------- */
#define SCSI_TYPE_DISK        0x00u
#define SCSI_PQ_NOT_PRESENT   0x7Fu /* qualifier 3, type 0x1F: no LUN here */
#define SCSI_INQ_VERSION_SPC4 0x06u
#define SCSI_INQ_RDF_SPC      0x02u /* response data format */
#define SCSI_INQ_HISUP        0x10u
#define SCSI_INQ_CMDQUE       0x02u /* byte 7: Linux enables tagged queueing */

struct scsi_inquiry_std {
    uint8_t peripheral; /* qualifier << 5 | device type */
    uint8_t rmb;
    uint8_t version;
    uint8_t format; /* HISUP | response data format */
    uint8_t additional_length;
    uint8_t flags5, flags6, flags7;
    char vendor[8];
    char product[16];
    char revision[4];
} __attribute__((packed));

struct scsi_vpd_hdr {
    uint8_t peripheral;
    uint8_t page_code;
    uint8_t page_length[2]; /* bytes after the header */
} __attribute__((packed));

#define SCSI_VPD_SUPPORTED    0x00u
#define SCSI_VPD_SERIAL       0x80u
#define SCSI_VPD_DEVICE_ID    0x83u
#define SCSI_VPD_BLOCK_LIMITS 0xB0u
#define SCSI_VPD_BLOCK_CHARS  0xB1u
#define SCSI_VPD_PROVISIONING 0xB2u

/* A designation descriptor in page 0x83. */
#define SCSI_DESIG_CODESET_ASCII 0x02u
#define SCSI_DESIG_TYPE_T10      0x01u /* vendor id (8) + vendor specific */

struct scsi_designator_hdr {
    uint8_t codeset; /* protocol id << 4 | code set */
    uint8_t type;    /* PIV | association << 4 | designator type */
    uint8_t reserved;
    uint8_t length;
} __attribute__((packed));

struct scsi_vpd_block_limits { /* page 0xB0, SBC-3 */
    struct scsi_vpd_hdr hdr;
    uint8_t wsnz;
    uint8_t max_compare_write;
    uint8_t opt_granularity[2];
    uint8_t max_transfer[4]; /* blocks */
    uint8_t opt_transfer[4];
    uint8_t max_prefetch[4];
    uint8_t max_unmap_lba_count[4];
    uint8_t max_unmap_descriptors[4];
    uint8_t opt_unmap_granularity[4];
    uint8_t unmap_alignment[4]; /* bit 31: UGAVALID */
    uint8_t max_write_same[8];
    uint8_t reserved[20];
} __attribute__((packed));

#define SCSI_ROTATION_NONE 0x0001u /* solid state: Linux clears "rotational" */

struct scsi_vpd_block_chars { /* page 0xB1 */
    struct scsi_vpd_hdr hdr;
    uint8_t rotation_rate[2];
    uint8_t product_type;
    uint8_t form_factor;
    uint8_t flags;
    uint8_t reserved[55];
} __attribute__((packed));

#define SCSI_LBP_LBPU      0x80u /* UNMAP supported */
#define SCSI_LBP_PROV_THIN 0x02u /* provisioning type */

struct scsi_vpd_provisioning { /* page 0xB2 */
    struct scsi_vpd_hdr hdr;
    uint8_t threshold_exponent;
    uint8_t flags; /* LBPU | LBPWS | LBPWS10 | ... */
    uint8_t provisioning_type;
    uint8_t reserved;
} __attribute__((packed));

struct scsi_read_capacity10_data {
    uint8_t last_lba[4]; /* 0xFFFFFFFF: ask READ CAPACITY(16) */
    uint8_t block_length[4];
} __attribute__((packed));

#define SCSI_RC16_LBPME 0x80u /* byte 14: provisioning management (UNMAP) */

struct scsi_read_capacity16_data {
    uint8_t last_lba[8];
    uint8_t block_length[4];
    uint8_t protection;
    uint8_t exponents;      /* logical blocks per physical block exponent */
    uint8_t lbp_aligned[2]; /* LBPME | LBPRZ | lowest aligned LBA */
    uint8_t reserved[16];
} __attribute__((packed));

#define SCSI_MS_DEV_WP     0x80u /* device-specific byte: write protected */
#define SCSI_MS_DEV_DPOFUA 0x10u /* ... DPO and FUA honoured */

struct scsi_mode_hdr6 {
    uint8_t data_length; /* bytes after this field */
    uint8_t medium_type;
    uint8_t device_specific;
    uint8_t bd_length;
} __attribute__((packed));

struct scsi_mode_hdr10 {
    uint8_t data_length[2];
    uint8_t medium_type;
    uint8_t device_specific;
    uint8_t longlba;
    uint8_t reserved;
    uint8_t bd_length[2];
} __attribute__((packed));

struct scsi_mode_block_desc { /* short LBA descriptor */
    uint8_t blocks[4];        /* 0xFFFFFFFF if more */
    uint8_t reserved;
    uint8_t block_length[3];
} __attribute__((packed));

#define SCSI_MODE_PAGE_CACHING 0x08u
#define SCSI_MODE_PAGE_CONTROL 0x0Au
#define SCSI_MODE_PAGE_ALL     0x3Fu
#define SCSI_CACHING_WCE       0x04u /* byte 2: write-back cache, flushes needed */

struct scsi_mode_caching {
    uint8_t page_code;
    uint8_t page_length; /* 0x12 */
    uint8_t flags;       /* WCE | RCD ... */
    uint8_t rest[17];
} __attribute__((packed));

#define SCSI_CONTROL_QAM_UNRESTRICTED 0x10u /* byte 3: commands may be reordered */

struct scsi_mode_control {
    uint8_t page_code;
    uint8_t page_length; /* 0x0A */
    uint8_t flags2;
    uint8_t flags3;
    uint8_t rest[8];
} __attribute__((packed));

struct scsi_lun_list_hdr {
    uint8_t length[4]; /* bytes of entries that follow (8 each) */
    uint8_t reserved[4];
} __attribute__((packed));

struct scsi_unmap_hdr {
    uint8_t data_length[2]; /* bytes after this field */
    uint8_t bd_length[2];   /* descriptor bytes (16 each) */
    uint8_t reserved[4];
} __attribute__((packed));

struct scsi_unmap_desc {
    uint8_t lba[8];
    uint8_t blocks[4];
    uint8_t reserved[4];
} __attribute__((packed));

_Static_assert(sizeof(struct scsi_sense_fixed) == 18, "fixed sense");
_Static_assert(offsetof(struct scsi_sense_fixed, asc) == 12, "ASC at 12");
_Static_assert(sizeof(struct scsi_cdb6) == 6, "CDB6");
_Static_assert(sizeof(struct scsi_cdb10) == 10, "CDB10");
_Static_assert(sizeof(struct scsi_cdb16) == 16, "CDB16");
_Static_assert(offsetof(struct scsi_cdb16, length) == 10, "CDB16 length");
_Static_assert(sizeof(struct scsi_cdb_inquiry) == 6, "INQUIRY CDB");
_Static_assert(sizeof(struct scsi_cdb_request_sense) == 6, "REQUEST SENSE CDB");
_Static_assert(sizeof(struct scsi_cdb_read_capacity10) == 10, "READ CAPACITY(10) CDB");
_Static_assert(sizeof(struct scsi_cdb_read_capacity16) == 16, "READ CAPACITY(16) CDB");
_Static_assert(offsetof(struct scsi_cdb_read_capacity16, allocation_length) == 10, "RC16 alloc");
_Static_assert(sizeof(struct scsi_cdb_mode_sense6) == 6, "MODE SENSE(6) CDB");
_Static_assert(sizeof(struct scsi_cdb_mode_sense10) == 10, "MODE SENSE(10) CDB");
_Static_assert(offsetof(struct scsi_cdb_mode_sense10, allocation_length) == 7, "MS10 alloc");
_Static_assert(sizeof(struct scsi_cdb_report_luns) == 12, "REPORT LUNS CDB");
_Static_assert(offsetof(struct scsi_cdb_report_luns, allocation_length) == 6, "RL alloc");
_Static_assert(sizeof(struct scsi_cdb_unmap) == 10, "UNMAP CDB");
_Static_assert(offsetof(struct scsi_cdb_unmap, parameter_list_length) == 7, "UNMAP length");
_Static_assert(sizeof(struct scsi_inquiry_std) == 36, "standard INQUIRY data");
_Static_assert(offsetof(struct scsi_inquiry_std, vendor) == 8, "vendor at 8");
_Static_assert(sizeof(struct scsi_vpd_hdr) == 4, "VPD header");
_Static_assert(sizeof(struct scsi_designator_hdr) == 4, "designator header");
_Static_assert(sizeof(struct scsi_vpd_block_limits) == 64, "VPD 0xB0");
_Static_assert(offsetof(struct scsi_vpd_block_limits, max_transfer) == 8, "B0 max transfer");
_Static_assert(offsetof(struct scsi_vpd_block_limits, max_unmap_lba_count) == 20, "B0 unmap");
_Static_assert(offsetof(struct scsi_vpd_block_limits, max_write_same) == 36, "B0 write same");
_Static_assert(sizeof(struct scsi_vpd_block_chars) == 64, "VPD 0xB1");
_Static_assert(sizeof(struct scsi_vpd_provisioning) == 8, "VPD 0xB2");
_Static_assert(sizeof(struct scsi_read_capacity10_data) == 8, "READ CAPACITY(10) data");
_Static_assert(sizeof(struct scsi_read_capacity16_data) == 32, "READ CAPACITY(16) data");
_Static_assert(offsetof(struct scsi_read_capacity16_data, lbp_aligned) == 14, "LBPME byte");
_Static_assert(sizeof(struct scsi_mode_hdr6) == 4, "mode header(6)");
_Static_assert(sizeof(struct scsi_mode_hdr10) == 8, "mode header(10)");
_Static_assert(sizeof(struct scsi_mode_block_desc) == 8, "block descriptor");
_Static_assert(sizeof(struct scsi_mode_caching) == 20, "caching page");
_Static_assert(sizeof(struct scsi_mode_control) == 12, "control page");
_Static_assert(sizeof(struct scsi_lun_list_hdr) == 8, "LUN list header");
_Static_assert(sizeof(struct scsi_unmap_hdr) == 8, "UNMAP parameter header");
_Static_assert(sizeof(struct scsi_unmap_desc) == 16, "UNMAP descriptor");

#endif
