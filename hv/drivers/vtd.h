/* One Intel VT-d DMA remapping unit (VT-d spec 4.1), hardware-free: its
 * registers through struct vtd_ops (hv/arch/x86/iommu.c maps the page
 * uncached; tests implement a fake unit), its tables in the heap, whose
 * physical addresses are their pointers (the identity map).
 *
 * Legacy mode (root and context tables, second-level page tables), register-
 * based invalidation, no interrupt remapping. Two kinds of domain: the host
 * domain, one table set identity-mapping the memory the hypervisor's own
 * devices DMA into, shared by those functions; and a guest domain per
 * assigned function. Every other function has no context entry: its DMA is
 * blocked and faults. */
#ifndef HV_DRIVERS_VTD_H
#define HV_DRIVERS_VTD_H

#include <stdbool.h>
#include <stdint.h>

#include "drivers/iommu.h"
#include "lib/heap.h"
#include "lib/log_once.h"

/* Registers (VT-d 10.4). */
#define VTD_CAP    0x08
#define VTD_ECAP   0x10
#define VTD_GCMD   0x18
#define VTD_GSTS   0x1c
#define VTD_RTADDR 0x20
#define VTD_CCMD   0x28
#define VTD_FSTS   0x34
#define VTD_FECTL  0x38

#define VTD_CAP_RWBF        (1ull << 4)
#define VTD_CAP_CM          (1ull << 7)
#define VTD_CAP_SAGAW(c)    (((c) >> 8) & 0x1f)
#define VTD_CAP_MGAW(c)     ((unsigned)(((c) >> 16) & 0x3f) + 1)
#define VTD_CAP_FRO(c)      ((unsigned)(((c) >> 24) & 0x3ff) * 16)
#define VTD_CAP_SLLPS_2M    (1ull << 34)
#define VTD_CAP_NFR(c)      ((unsigned)(((c) >> 40) & 0xff) + 1)
#define VTD_CAP_DWD         (1ull << 54)
#define VTD_CAP_DRD         (1ull << 55)
#define VTD_ECAP_C          (1ull << 0)
#define VTD_ECAP_IRO(e)     ((unsigned)(((e) >> 8) & 0x3ff) * 16)
#define VTD_GCMD_TE         (1u << 31)
#define VTD_GCMD_SRTP       (1u << 30)
#define VTD_GCMD_WBF        (1u << 27)
#define VTD_GSTS_KEEP       0x96ffffffu /* GSTS bits a GCMD write repeats: not the one-shot */
#define VTD_CCMD_ICC        (1ull << 63)
#define VTD_CCMD_GLOBAL     (1ull << 61)
#define VTD_IOTLB_IVT       (1ull << 63)
#define VTD_IOTLB_GLOBAL    (1ull << 60)
#define VTD_IOTLB_DR        (1ull << 49)
#define VTD_IOTLB_DW        (1ull << 48)
#define VTD_FSTS_PFO        (1u << 0)
#define VTD_FECTL_IM        (1u << 31)
#define VTD_FRCD_F          (1ull << 63) /* in the record's upper quadword */
#define VTD_FRCD_T_READ     (1ull << 62)
#define VTD_FRCD_REASON(hi) ((unsigned)((hi) >> 32) & 0xff)

/* Table entries (VT-d 9.1-9.3, 9.8): 128-bit root and context entries, 64-bit
 * second-level entries with R/W permissions (not the x86 P/W format). */
#define VTD_PRESENT    1ull
#define VTD_CTX_AW_3L  1ull /* 39-bit, 3-level */
#define VTD_CTX_AW_4L  2ull /* 48-bit, 4-level */
#define VTD_CTX_DID(d) ((uint64_t)(d) << 8)
#define VTD_SL_R       (1ull << 0)
#define VTD_SL_W       (1ull << 1)
#define VTD_SL_PS      (1ull << 7)
#define VTD_ADDR       0x000ffffffffff000ull
#define VTD_HPA_LIMIT  (1ull << 52)

#define VTD_HOST_DID   1 /* 0 is reserved when CAP.CM is set */
#define VTD_GUESTS_MAX 8
#define VTD_SPINS      1000000u /* status polls before a command counts as hung */

struct vtd_ops {
    void *ctx;
    uint32_t (*read32)(void *ctx, uint32_t off);
    void (*write32)(void *ctx, uint32_t off, uint32_t v);
    uint64_t (*read64)(void *ctx, uint32_t off);
    void (*write64)(void *ctx, uint32_t off, uint64_t v);
    /* Writes [p, p+len) back from the CPU's caches: a unit without ECAP.C
     * reads tables from memory only. */
    void (*flush)(void *ctx, const void *p, uint64_t len);
};

struct vtd {
    struct vtd_ops ops;
    struct heap *heap;
    uint64_t cap, ecap;
    unsigned levels; /* 3 or 4 */
    uint64_t limit;  /* device addresses reach below this */
    uint64_t *root;
    uint64_t *context[256]; /* per bus; NULL: no function of it has an entry */
    uint64_t *host;         /* the host domain's top table */
    unsigned nhost;         /* functions in it */
    struct {
        bool used;
        uint16_t bdf;
        uint64_t *top;
    } guest[VTD_GUESTS_MAX]; /* guest domain i has domain ID VTD_HOST_DID + 1 + i */
    uint64_t *free_pages;    /* freed table pages, linked through their first word */
    uint64_t faults;         /* fault records seen */
    struct log_once fault_log;
};

/* Reads CAP/ECAP and checks what this driver needs (second-level tables with
 * 3 or 4 levels, the address width covering every range), allocates the root
 * table and builds the host domain over host (identity: gpa == hpa, read and
 * write). Nothing is written to the unit. -1 with *why. */
int vtd_init(struct vtd *v, const struct vtd_ops *ops, struct heap *heap,
             const struct iommu_range *host, unsigned nhost, const char **why);
/* Puts bdf in the host domain (before vtd_enable). -1 with *why. */
int vtd_host_function(struct vtd *v, uint16_t bdf, const char **why);
/* Points the unit at the root table, invalidates its caches, masks the
 * fault interrupt (faults are polled) and turns translation on; -1 with *why
 * if a command does not complete. */
int vtd_enable(struct vtd *v, const char **why);
/* A guest domain for bdf (see iommu_assign), replacing any it had. */
int vtd_assign(struct vtd *v, uint16_t bdf, const struct iommu_range *r, unsigned n,
               const char **why);
/* bdf's context entry removed and the caches invalidated; its tables freed. */
void vtd_unassign(struct vtd *v, uint16_t bdf);
/* Reads and clears the fault records; logs one line per (function, reason)
 * (budgeted). Returns how many records were found. */
unsigned vtd_poll_faults(struct vtd *v);

#endif
