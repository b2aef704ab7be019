/* Ending the run: QEMU's isa-debug-exit (its exit status carries the verdict)
 * when present, else ACPI S5 through the firmware's FADT, else halt. Either
 * stops every CPU. The run ends once: the first CPU to get here ends it, any
 * other halts (today only the BSP can: parked APs never leave the park). */
#include <stdatomic.h>

#include "arch/x86/arch.h"
#include "arch/x86/cpu.h"
#include "lib/fwacpi.h"
#include "lib/log.h"

#define SLP_EN_PM1   (1u << 13)
#define SLP_EN_SLEEP (1u << 5)

static const struct fw_acpi *fw;
static uint32_t exit_port;

void power_init(const struct fw_acpi *fw_acpi, uint32_t debug_exit_port)
{
    fw = fw_acpi;
    exit_port = debug_exit_port;
}

static void write_reg(struct acpi_reg r, uint16_t v, unsigned width)
{
    if (!r.addr)
        return;
    if (r.space == ACPI_SPACE_IO)
        width == 8 ? outb((uint16_t)r.addr, (uint8_t)v) : outw((uint16_t)r.addr, v);
    else if (width == 8)
        *(volatile uint8_t *)(uintptr_t)r.addr = (uint8_t)v;
    else
        *(volatile uint16_t *)(uintptr_t)r.addr = v;
}

static void acpi_s5(void)
{
    if (!fw) {
        hv_log("power", "ACPI S5 unavailable: the firmware's ACPI tables were not usable");
        return;
    }
    hv_log("power", "ACPI S5 (SLP_TYP %u)", fw->slp_typa);
    serial_flush();
    if (fw->hw_reduced) {
        write_reg(fw->sleep_ctl, (uint16_t)(((fw->slp_typa & 7u) << 2) | SLP_EN_SLEEP), 8);
    } else {
        write_reg(fw->pm1b_cnt, (uint16_t)(((fw->slp_typb & 7u) << 10) | SLP_EN_PM1), 16);
        write_reg(fw->pm1a_cnt, (uint16_t)(((fw->slp_typa & 7u) << 10) | SLP_EN_PM1), 16);
    }
    for (int i = 0; i < 1000000; i++)
        cpu_relax();
}

#define NOBODY 0xffffffffu /* not an APIC ID (the MADT parser refuses it) */
static atomic_uint ender = NOBODY;

void arch_stop(int verdict)
{
    /* The same CPU may come back here: a fault while it reports one. */
    unsigned me = lapic_id(), first = NOBODY;
    if (!atomic_compare_exchange_strong(&ender, &first, me) && first != me)
        cpu_halt_forever();
    hv_log("exit", "verdict=%d", verdict);
    serial_flush();
    if (exit_port) {
        outl((uint16_t)exit_port, (uint32_t)verdict);
        hv_log("power", "no isa-debug-exit device at port 0x%x", exit_port);
    }
    acpi_s5();
    hv_log("power", "could not power off; halting");
    cpu_halt_forever();
}
