#include "vm/icr.h"

#include "lib/vectors.h"

#define ICR_VECTOR      0xffull
#define ICR_MODE_SHIFT  8
#define ICR_LOGICAL     (1ull << 11)
#define ICR_ASSERT      (1ull << 14)
#define ICR_LEVEL       (1ull << 15)
#define ICR_SHORT_SHIFT 18
#define ICR_DEST_SHIFT  56
/* Vector, mode, destination mode, level, trigger, shorthand, destination. */
#define ICR_DEFINED (0xfffull | 3ull << 14 | 3ull << 18 | 0xffull << 56)

enum { MODE_FIXED, MODE_LOWEST, MODE_SMI, MODE_RSVD, MODE_NMI, MODE_INIT, MODE_STARTUP };
enum { SH_NONE, SH_SELF, SH_ALL, SH_OTHERS };

static uint32_t all_vps(uint32_t n)
{
    return n >= 32 ? ~0u : (1u << n) - 1;
}

int icr_decode(uint64_t icr, uint32_t self, const uint8_t *apic_ids, uint32_t n,
               const uint8_t *host, unsigned nhost, struct icr_request *out, const char **why)
{
    unsigned mode = (unsigned)(icr >> ICR_MODE_SHIFT) & 7;
    unsigned shorthand = (unsigned)(icr >> ICR_SHORT_SHIFT) & 3;
    uint8_t dest = (uint8_t)(icr >> ICR_DEST_SHIFT);
    *out = (struct icr_request){.vector = (uint8_t)(icr & ICR_VECTOR), .dest = dest};
    if (icr & ~ICR_DEFINED) {
        *why = "reserved bits set";
        return -1;
    }
    switch (mode) {
    case MODE_FIXED:
    case MODE_LOWEST:
        out->kind = ICR_KIND_FIXED;
        if ((*why = vector_refused(out->vector, host, nhost)))
            return -1;
        break;
    case MODE_NMI:
        out->kind = ICR_KIND_NMI;
        break;
    case MODE_INIT:
        out->kind =
            (icr & ICR_LEVEL) && !(icr & ICR_ASSERT) ? ICR_KIND_INIT_DEASSERT : ICR_KIND_INIT;
        break;
    case MODE_STARTUP:
        out->kind = ICR_KIND_STARTUP;
        break;
    default:
        *why = "SMI, ExtINT and reserved delivery modes are not the guest's";
        return -1;
    }
    switch (shorthand) {
    case SH_SELF:
        out->vps = 1u << self;
        return 0;
    case SH_ALL:
        out->vps = all_vps(n);
        return 0;
    case SH_OTHERS:
        out->vps = all_vps(n) & ~(1u << self);
        return 0;
    default:
        break;
    }
    if (icr & ICR_LOGICAL) {
        if (out->kind != ICR_KIND_FIXED && out->kind != ICR_KIND_NMI) {
            *why = "INIT and STARTUP take a physical destination";
            return -1;
        }
        out->logical = true;
        return 0;
    }
    if (dest == 0xff) { /* the xAPIC broadcast: the guest's CPUs, no others */
        out->vps = all_vps(n);
        return 0;
    }
    for (uint32_t i = 0; i < n && i < 32; i++)
        if (apic_ids[i] == dest)
            out->vps |= 1u << i;
    return 0; /* no such CPU: dropped, as a LAPIC drops it */
}
