/* The host log (arch.h): a 16550 UART, polled, so the log works in every
 * state, even in a fault; each byte also goes to the debugcon port. Trace
 * records go to a debugcon port of their own. */
#include "arch/x86/cpu.h"
#include "arch/x86/arch.h"
#include "lib/log.h"
#include "lib/spinlock.h"
#include "lib/trace.h"

#define COM1     LOG_UART_PORT
#define THR      0
#define IER      1
#define FCR      2
#define LCR      3
#define MCR      4
#define LSR      5
#define LSR_THRE 0x20
#define LSR_TEMT 0x40

void serial_init(void)
{
    outb(COM1 + IER, 0x00);
    outb(COM1 + LCR, 0x80); /* DLAB: divisor 1 = 115200 baud */
    outb(COM1 + 0, 0x01);
    outb(COM1 + 1, 0x00);
    outb(COM1 + LCR, 0x03); /* 8N1 */
    outb(COM1 + FCR, 0xc7);
    outb(COM1 + MCR, 0x03);
}

static void serial_putc(char c)
{
    outb(LOG_DEBUGCON_PORT, (uint8_t)c);
    for (unsigned spin = 0; !(inb(COM1 + LSR) & LSR_THRE) && spin < 1000000; spin++)
        cpu_relax();
    outb(COM1 + THR, (uint8_t)c);
}

/* Every caller writes one whole line at a time (log.c, trace.c, summary.c):
 * the lock keeps CPUs' lines from interleaving. A CPU that faults while
 * holding it (the panic report) or one that never lets go must not silence
 * the rest for good: after a bounded wait the line goes out anyway. */
static struct spinlock console_lock = SPINLOCK_INIT;
#define CONSOLE_LOCK_SPINS 50000000u

void console_write(const char *s, size_t n)
{
    unsigned spins = 0;
    while (!spin_trylock(&console_lock) && ++spins < CONSOLE_LOCK_SPINS)
        cpu_relax();
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\n')
            serial_putc('\r');
        serial_putc(s[i]);
    }
    if (spins < CONSOLE_LOCK_SPINS)
        spin_unlock(&console_lock);
}

void trace_record_write(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        outb(TRACE_RECORD_PORT, (uint8_t)s[i]);
}

void serial_flush(void)
{
    for (unsigned spin = 0; !(inb(COM1 + LSR) & LSR_TEMT) && spin < 1000000; spin++)
        cpu_relax();
}
