/* What hv/arch/x86 offers the rest of the hypervisor. */
#ifndef HV_ARCH_X86_ARCH_H
#define HV_ARCH_X86_ARCH_H

#include <stdbool.h>
#include <stdint.h>

#include "boot_info.h"
#include "lib/heap.h"

#define GDT_CODE 0x08
#define GDT_DATA 0x10
#define GDT_TSS  0x18

/* The hypervisor's log: a UART of its own (COM2) for people, and QEMU's
 * debugcon for the record the run's verdict is read from. Neither is the
 * guest's (hv/vm/ioports.c): the guest's console is COM1, untouched. */
#define LOG_UART_PORT     0x2f8
#define LOG_DEBUGCON_PORT 0x402
#define TRACE_RECORD_PORT 0x403 /* trace records (lib/trace.h): QEMU's second debugcon */
void serial_init(void);
/* Waits until the UART has sent everything: before the machine stops. */
void serial_flush(void);
void gdt_init(void);
void idt_init(void);
/* The IDT for irq_take's window (every vector an interrupt), or the normal one. */
void idt_window_open(bool open);

/* Identity-maps all physical memory the machine has; returns the new CR3. */
uint64_t paging_init(const struct hv_boot_info *bi, struct heap *heap);

struct svm_features {
    uint32_t revision;
    uint32_t asids;
    uint32_t edx; /* CPUID 0x8000000A EDX */
};
#define SVM_NP    (1u << 0)
#define SVM_NRIPS (1u << 3) /* the VMCB's next_rip is filled on intercepted instructions */

/* True on QEMU's TCG (its CPUID hypervisor leaf), whose emulated SVM has
 * the quirks vcpu.h's tcg_inject_exit works around. */
bool svm_under_qemu_tcg(void);
/* Checks for SVM with nested paging and sets EFER.SVME; false (logged) if absent. */
bool svm_enable(struct svm_features *f);
/* Why this CPU cannot run SVM with nested paging, NULL if it can (nothing logged). */
const char *svm_unusable(void);

struct fw_acpi;
/* fw may be NULL (no usable firmware ACPI): then only the debug-exit port works. */
void power_init(const struct fw_acpi *fw, uint32_t debug_exit_port);
/* Starts every other CPU the firmware's MADT lists and parks it (smp.c):
 * logged, never fatal; a CPU that does not come up is left out. */
void smp_start(const struct hv_boot_info *bi, const struct fw_acpi *fw, struct heap *heap,
               uint64_t tsc_hz);

/* TSC ticks per second, measured against the ACPI PM timer; 0 if there is none. */
uint64_t tsc_calibrate(const struct fw_acpi *fw);
uint64_t tsc_read(void);
/* Seconds since 1970 UTC from the CMOS RTC (taken to hold UTC), logged; 0
 * (logged) if it cannot be read. Call before the guest runs. */
uint64_t rtc_read_unix(void);
/* The LAPIC timer's input clock (divide by 1) in Hz; 0 if it cannot be measured. */
uint64_t lapic_timer_calibrate(const struct fw_acpi *fw);
/* Ends the run: isa-debug-exit if present, else ACPI S5, else halt. */
void arch_stop(int verdict) __attribute__((noreturn));

/* Saves APIC_BASE: call once before anything below. */
void lapic_init(void);
/* The BSP's per-CPU record (percpu.h): right after lapic_init. */
void smp_bsp_init(void);
/* Raises vector on this CPU's (passed-through) local APIC, xAPIC or x2APIC. */
void lapic_self_ipi(uint8_t vector);
void lapic_eoi(void);
/* Sends the IPI icr_low describes (vector, delivery mode, level) to apic_id;
 * false if it cannot be addressed or is not accepted. */
bool lapic_send_ipi(uint32_t apic_id, uint32_t icr_low);
uint32_t lapic_tpr(void);
void lapic_set_tpr(uint32_t tpr);
#define ICR_NMI          (4u << 8)
#define ICR_INIT         (5u << 8)
#define ICR_STARTUP      (6u << 8)
#define ICR_LEVEL_ASSERT (1u << 14)
#define ICR_LEVEL_TRIG   (1u << 15)
/* True once after a self-IPI if that vector is still pending and above the
 * processor priority: the LAPIC would deliver it (or something above it) now. */
bool lapic_raised_deliverable(void);
uint32_t lapic_id(void);
/* Where an MSI to a local APIC is written (destination ID in bits 19:12). */
#define LAPIC_MSI_ADDRESS 0xfee00000u
/* True if vector is in service in this CPU's LAPIC (awaiting an EOI). */
bool lapic_in_service(uint8_t vector);

/* Executes ud2: proves the exception report works (config: selftest = exception). */
void arch_selftest_exception(void);

#endif
