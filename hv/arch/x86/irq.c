/* While the guest runs, every physical interrupt exits (INTR intercept) with
 * the interrupt still pending in the LAPIC. The host takes it through its own
 * IDT in a one-interrupt window; a guest vector is handed back to the guest
 * with EVENTINJ (exits.c), the host's vectors (its timer, the keyboard, its
 * devices) are
 * EOIed and handled here.
 * Every stub returns with IF clear (isr.asm), so a window takes exactly one. */
#include "arch/x86/irq.h"

#include "arch/x86/arch.h"
#include "arch/x86/i8042.h"
#include "arch/x86/percpu.h"
#include "lib/log.h"

/* Counted on any CPU: atomic. What a window took is the CPU's (percpu.h). */
static _Atomic uint64_t host_timer_count, host_dev_count, reserved_count;
static _Atomic uint32_t assigned_fired;

void irq_entry(uint64_t vector);

void irq_entry(uint64_t vector)
{
    struct percpu *c = this_cpu();
    bool host = vector == HOST_TIMER_VECTOR || vector == HOST_DEV_VECTOR ||
                vector == HOST_KBD_VECTOR ||
                (vector >= HOST_ASSIGN_VECTOR && vector < HOST_ASSIGN_VECTOR + HOST_ASSIGN_VECTORS);
    c->host_irq |= host;
    if (vector == 2) {
        c->nmi = true;
    } else if (vector < 32 || (host && c->index != 0)) {
        /* Only a guest can make the LAPIC raise these (a self-IPI or an
         * IOAPIC entry it programmed; the host's own vectors on any CPU but
         * the BSP, where all of the host's interrupts go): not injectable,
         * so retired here and reported. */
        lapic_eoi();
        if (!reserved_count++)
            hv_log("irq", "guest raised reserved vector %llu: dropped (further ones counted)",
                   (unsigned long long)vector);
    } else if (vector == HOST_TIMER_VECTOR) {
        lapic_eoi();
        host_timer_count++;
        host_timer_fired();
    } else if (vector == HOST_DEV_VECTOR) {
        /* The exit it caused is the point: the host work after it polls
         * every driven device. */
        lapic_eoi();
        host_dev_count++;
    } else if (vector >= HOST_ASSIGN_VECTOR && vector < HOST_ASSIGN_VECTOR + HOST_ASSIGN_VECTORS) {
        /* The guest's vector is injected by the host work after the exit. */
        lapic_eoi();
        assigned_fired |= 1u << (vector - HOST_ASSIGN_VECTOR);
    } else if (vector == HOST_KBD_VECTOR) {
        lapic_eoi();
        i8042_interrupt();
    } else if (vector == SPURIOUS_VECTOR) {
        /* A real spurious interrupt takes no EOI; one a guest raised on
         * purpose is in service and would block every vector until EOIed. */
        if (lapic_in_service(SPURIOUS_VECTOR)) {
            lapic_eoi();
            if (!reserved_count++)
                hv_log("irq", "guest raised reserved vector %llu: dropped (further ones counted)",
                       (unsigned long long)vector);
        }
    } else {
        c->irq_taken = (int)vector;
    }
}

int irq_take(void)
{
    struct percpu *c = this_cpu();
    c->irq_taken = IRQ_NONE;
    idt_window_open(true);
    __asm__ volatile("stgi; sti; nop; cli; clgi" ::: "memory");
    idt_window_open(false);
    return c->irq_taken;
}

bool irq_host_take(void)
{
    struct percpu *c = this_cpu();
    bool was = c->host_irq;
    c->host_irq = false;
    return was;
}

bool irq_nmi_take(void)
{
    struct percpu *c = this_cpu();
    bool was = c->nmi;
    c->nmi = false;
    return was;
}

uint64_t irq_host_timer_count(void)
{
    return host_timer_count;
}

uint64_t irq_host_dev_count(void)
{
    return host_dev_count;
}

uint32_t irq_assigned_take(void)
{
    return atomic_exchange(&assigned_fired, 0);
}

uint64_t irq_reserved_count(void)
{
    return reserved_count;
}
