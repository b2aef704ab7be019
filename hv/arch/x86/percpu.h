/* What the hypervisor keeps per CPU: descriptor tables and the IST stack,
 * the SVM host save area, and the start-up handshake. The BSP's is static;
 * each AP's comes from the heap when it is started (smp.c). */
#ifndef HV_ARCH_X86_PERCPU_H
#define HV_ARCH_X86_PERCPU_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "lib/fwacpi.h"

#define HV_CPUS_MAX    FWACPI_CPUS_MAX
#define IST_STACK_SIZE 16384
#define AP_STACK_SIZE  16384

struct tss {
    uint32_t reserved0;
    uint64_t rsp[3];
    uint64_t reserved1;
    uint64_t ist[7];
    uint64_t reserved2;
    uint16_t reserved3;
    uint16_t iomap_base;
} __attribute__((packed));
_Static_assert(sizeof(struct tss) == 104, "64-bit TSS");

/* A CPU's GDT (null, code, data, a 16-byte TSS descriptor) and TSS, whose
 * IST1 is a known-good stack for #DF, NMI and #MC (AMD APM vol. 2, 8.9.4).
 * Per CPU: loading a TSS marks its descriptor busy, so two CPUs cannot share one. */
struct cpu_desc {
    uint8_t ist_stack[IST_STACK_SIZE] __attribute__((aligned(16)));
    uint64_t gdt[5];
    struct tss tss;
};

/* Builds d's GDT and TSS and loads them on this CPU (segments reloaded). */
void gdt_load(struct cpu_desc *d);

enum cpu_state {
    CPU_STARTING = 0, /* INIT/SIPI sent, not heard from */
    CPU_UP = 1,       /* in the hypervisor, SVM on, waiting for work */
    CPU_FAILED = 2,   /* reached the hypervisor but cannot park safely: halted */
};

struct percpu {
    struct cpu_desc desc;
    uint32_t index; /* 0 is the BSP */
    uint32_t apic_id;
    void *host_save;   /* VM_HSAVE_PA */
    atomic_uint state; /* enum cpu_state: written by the AP, read by the BSP */
    /* What an AP runs once it is up (smp_ap_run); NULL: it waits. */
    void (*_Atomic run)(struct percpu *c);
    void *arg; /* run's: the vCPU */
    /* Kicks (smp_kick): NMIs another CPU sent so that this one looks at
     * its work; an NMI that finds none outstanding is the guest's. */
    atomic_uint kicks_sent;
    unsigned kicks_seen;
    /* irq.c's window and lapic.c's self-IPI, this CPU's own. */
    int irq_taken;
    bool nmi;
    bool host_irq; /* one of the host's own vectors came: the BSP's host work is due */
    int raised;
};

/* This CPU's (MSR_GS_BASE, set at start-up; VMLOAD restores the host's). */
struct percpu *this_cpu(void);
/* CPU i (0 = the BSP) of smp_cpu_count(), in start-up order. */
struct percpu *smp_cpu(uint32_t i);
uint32_t smp_cpu_count(void);
/* An AP that is up runs fn(c) with c->arg = arg (never returns). */
void smp_ap_run(struct percpu *c, void (*fn)(struct percpu *c), void *arg);
/* For smp_ap_run: a CPU that runs no VP parks for good with GIF=0, which
 * holds INIT, NMI and SMI (on hardware): nothing the guest sends to it
 * through its LAPIC wakes it. */
void smp_ap_park(struct percpu *c) __attribute__((noreturn));
/* Makes c leave the guest or its wait (an NMI) and look at its work. */
void smp_kick(struct percpu *c);
/* True if the NMI this CPU just took was a kick (or kicks merged into it). */
bool smp_kick_taken(void);
/* Waits with interrupts open until one arrives (a kick, a stray vector:
 * EOIed) on a CPU that runs no guest. */
void smp_wait(void);

/* The APs to start, in MADT order: every ID of ids but the BSP's, each once,
 * at most max of them, written to aps; returns how many. Hardware-free. */
uint32_t percpu_aps(const uint32_t *ids, uint32_t n, uint32_t bsp_id, uint32_t *aps, uint32_t max);

#endif
