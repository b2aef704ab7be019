/* Physical interrupts and NMIs as the host takes them (docs/design.md,
 * "Interrupts and host-initiated work"). */
#ifndef HV_ARCH_X86_IRQ_H
#define HV_ARCH_X86_IRQ_H

#include <stdbool.h>
#include <stdint.h>

#define IRQ_NONE -1
/* The host timer's vector: one Linux 6.1 never uses (irq_vectors.h leaves
 * 0xf5 free), so it can never merge with a guest interrupt in the LAPIC. */
#define HOST_TIMER_VECTOR 0xf5u
/* The i8042 keyboard's IRQ1 through the IOAPIC (i8042.c): Linux 6.1 has
 * 0xf4 only as DEFERRED_ERROR_VECTOR, programmed for AMD MCA deferred
 * errors, and CPUID hides MCA from the guest (vm/cpuid.c). */
#define HOST_KBD_VECTOR 0xf4u
/* The machine's PCI devices the host drives (MSI-X, drivers/virtio_pci.c):
 * 0xf2 is Linux 6.1's POSTED_INTR_VECTOR, raised only by a KVM host's
 * posted interrupts, and the guest sees no SVM (vm/cpuid.c). */
#define HOST_DEV_VECTOR 0xf2u
/* Functions assigned to the guest (devices/vpci_passthrough.h): their real
 * MSI-X entries fire HOST_ASSIGN_VECTOR + k, k < HOST_ASSIGN_VECTORS, and the
 * hypervisor injects the guest's vector. 0xf0 and 0xf1 are Linux 6.1's
 * POSTED_INTR_NESTED_VECTOR and POSTED_INTR_WAKEUP_VECTOR: a KVM host's only,
 * like HOST_DEV_VECTOR. */
#define HOST_ASSIGN_VECTOR  0xf0u
#define HOST_ASSIGN_VECTORS 2u
#define SPURIOUS_VECTOR     0xffu

/* Opens a one-instruction interrupt window (GIF and IF set, `sti; nop`): takes
 * the pending interrupt if there still is one (never waits for one). Returns
 * the vector that belongs to the guest (the LAPIC has it in service until the
 * guest's EOI), or IRQ_NONE for the host's own timer, a spurious vector, an
 * NMI or nothing taken. */
int irq_take(void);
/* True once after one of the host's own interrupts (its timer, devices,
 * keyboard, assigned functions) came to this CPU. */
bool irq_host_take(void);
/* True once for each NMI the host took in a window: the guest's to handle. */
bool irq_nmi_take(void);
/* How many times the host timer fired. */
uint64_t irq_host_timer_count(void);
/* How many interrupts the host's devices raised. */
uint64_t irq_host_dev_count(void);
/* Which assigned functions' host vectors fired since the last call: bit k
 * for HOST_ASSIGN_VECTOR + k (cleared). */
uint32_t irq_assigned_take(void);
/* How many vectors 0-31 (but NMI) a guest raised: dropped. */
uint64_t irq_reserved_count(void);

/* The host timer (hpet.c): a one-shot HPET comparator delivered through the
 * FSB straight to the LAPIC, so no interrupt controller the guest programs is
 * involved. False (logged) without an HPET that can. */
bool host_timer_init(uint64_t hpet_base);
/* Fires HOST_TIMER_VECTOR at clock_ns() deadline (TIMER_NEVER: cancel); does
 * nothing if that deadline is armed already and has not fired. */
void host_timer_arm(uint64_t deadline);
/* Called from irq_entry on HOST_TIMER_VECTOR. */
void host_timer_fired(void);

#endif
