/* The guest's interprocessor interrupts through HV_X64_MSR_ICR: Linux's
 * hv_apic_icr_write in xAPIC mode (arch/x86/hyperv/hv_apic.c), the xAPIC
 * ICR's layout with the destination in bits 63:56. Its AP start-up (INIT,
 * STARTUP) comes only this way; decoded and checked here, once, and carried
 * out by hv/guest.c. Hardware-free. */
#ifndef HV_VM_ICR_H
#define HV_VM_ICR_H

#include <stdbool.h>
#include <stdint.h>

enum icr_kind {
    ICR_KIND_FIXED, /* fixed and lowest-priority delivery: vector */
    ICR_KIND_NMI,
    ICR_KIND_INIT,          /* INIT, level assert: the VPs wait for a SIPI */
    ICR_KIND_INIT_DEASSERT, /* the old INIT level de-assert: nothing to do */
    ICR_KIND_STARTUP,       /* SIPI: start at vector * 4 KiB */
};

struct icr_request {
    enum icr_kind kind;
    uint8_t vector;
    uint32_t vps; /* bit n: VP n (physical destination or shorthand) */
    bool logical; /* FIXED/NMI to a logical destination: dest is the LAPICs'
                     message destination address, matched by the LDRs the
                     guest wrote (a CPU that is not the guest's has none) */
    uint8_t dest;
};

/* icr as the guest wrote it on VP self; apic_ids[n] is VP n's APIC ID.
 * host/nhost: vectors the guest may not send (lib/vectors.h). 0, or -1 and
 * *why (reserved bits, SMI/ExtINT/reserved modes, a vector below 16 or the
 * host's, a logical INIT or SIPI). */
int icr_decode(uint64_t icr, uint32_t self, const uint8_t *apic_ids, uint32_t n,
               const uint8_t *host, unsigned nhost, struct icr_request *out, const char **why);

#endif
