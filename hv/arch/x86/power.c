/* Ending the run: QEMU's isa-debug-exit (its exit status carries the verdict)
 * when present, else ACPI S5 through the firmware's FADT, else halt. */
#include "arch/x86/arch.h"
#include "arch/x86/cpu.h"
#include "lib/fwacpi.h"
#include "lib/log.h"

#define SLP_EN_PM1   (1u << 13)
#define SLP_EN_SLEEP (1u << 5)

static uint64_t fw_rsdp;
static uint32_t exit_port;

void power_init(uint64_t rsdp, uint32_t debug_exit_port)
{
    fw_rsdp = rsdp;
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
    struct acpi_s5 s5;
    const char *why;
    if (fwacpi_find_s5(fw_rsdp, &s5, &why)) {
        hv_log("power", "ACPI S5 unavailable: %s", why);
        return;
    }
    hv_log("power", "ACPI S5 (SLP_TYP %u)", s5.slp_typa);
    serial_flush();
    if (s5.hw_reduced) {
        write_reg(s5.sleep_ctl, (uint16_t)(((s5.slp_typa & 7u) << 2) | SLP_EN_SLEEP), 8);
    } else {
        write_reg(s5.pm1b_cnt, (uint16_t)(((s5.slp_typb & 7u) << 10) | SLP_EN_PM1), 16);
        write_reg(s5.pm1a_cnt, (uint16_t)(((s5.slp_typa & 7u) << 10) | SLP_EN_PM1), 16);
    }
    for (int i = 0; i < 1000000; i++)
        cpu_relax();
}

void arch_stop(int verdict)
{
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
