/* The machine's IOAPIC: the host's own pins, and the guest's accesses to the
 * page, which hv/vm/ioapic.c judges (docs/design.md, "Isolation"). */
#ifndef HV_ARCH_X86_IOAPIC_H
#define HV_ARCH_X86_IOAPIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/heap.h"
#include "lib/ptable.h"

/* After the nested page tables map the IOAPIC page read-only: takes a shadow
 * page from heap and the page's entry in npt, and reads the pin count.
 * host_vectors[0..n): vectors no guest entry may fire. -1: out of heap, or
 * the page is not mapped with a 4 KiB page. */
int ioapic_init(struct heap *heap, struct ptable *npt, const uint8_t *host_vectors, unsigned n);
/* Routes pin (an ISA pin) to vector on this CPU: fixed, physical, edge,
 * active high, unmasked; the guest cannot change that entry from now on.
 * False if the IOAPIC has no such pin (or did not answer). */
bool ioapic_route(unsigned pin, uint8_t vector);
/* A guest access faulted on the page: the shadow, filled with what the
 * guest must read, is mapped writable there for one single-stepped
 * instruction (exits.c). */
void ioapic_access(void);
/* That instruction ran (its writes are judged and applied) or did not (an
 * exit came first: it runs again later); the page goes back to read-only, or
 * unmapped while the guest has a host pin's register selected. */
void ioapic_access_done(bool ran);
/* " ioapic_emulated=.. ioapic_refused=.." for the summary line. */
size_t ioapic_summary(char *buf, size_t cap);

#endif
