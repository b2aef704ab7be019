/* The i8042 keyboard controller, taken by the host for a keyboard device
 * (docs/video.md, "Synthetic Keyboard"). The keyboard scans in set 2 and the
 * controller translates to set 1, what hyperv-keyboard passes to the guest's
 * atkbd; IRQ1 reaches the host through the IOAPIC (pin 1: ISA IRQ 1 is GSI 1
 * on PCs; the MADT's overrides, which move IRQ 0 and the PCI interrupts, are
 * not read), and the handler only queues the bytes: the host work after the
 * exit hands them to the device (keyboard_feed). Every wait is bounded: a
 * controller or keyboard that does not answer is logged once and the device
 * goes without keys. */
#include "arch/x86/i8042.h"

#include "arch/x86/cpu.h"
#include "arch/x86/ioapic.h"
#include "arch/x86/irq.h"
#include "lib/log.h"

#define PORT_DATA         0x60
#define PORT_CMD          0x64 /* the status register when read */
#define ST_OBF            (1u << 0)
#define ST_IBF            (1u << 1)
#define ST_AUX            (1u << 5) /* the output byte is the aux port's */
#define CMD_READ_CONFIG   0x20
#define CMD_WRITE_CONFIG  0x60
#define CMD_AUX_OFF       0xa7
#define CMD_KBD_OFF       0xad
#define CMD_KBD_ON        0xae
#define CFG_KBD_IRQ       (1u << 0)
#define CFG_AUX_IRQ       (1u << 1)
#define CFG_KBD_CLOCK_OFF (1u << 4)
#define CFG_AUX_CLOCK_OFF (1u << 5)
#define CFG_XLAT          (1u << 6)
#define KBD_SCAN_SET      0xf0
#define KBD_SCAN_ON       0xf4
#define KBD_ACK           0xfa
#define KBD_PIN           1u
/* Status reads per wait: a port read takes about a microsecond on an ISA
 * bus and more under emulation, so this is 0.2 s or longer. */
#define WAIT_READS  200000u
#define DRAIN_MAX   64u /* bytes thrown away when flushing */
#define IRQ_MAX     16u /* bytes taken per interrupt */
#define STRAY_BYTES 4u  /* bytes before a command's ACK tolerated */

struct byteq i8042_bytes;
static bool started;

static bool wait_status(uint8_t bit, bool set)
{
    for (unsigned i = 0; i < WAIT_READS; i++) {
        if (((inb(PORT_CMD) & bit) != 0) == set)
            return true;
        cpu_relax();
    }
    return false;
}

static bool write_port(uint16_t port, uint8_t value)
{
    if (!wait_status(ST_IBF, false))
        return false;
    outb(port, value);
    return true;
}

static int read_data(void)
{
    return wait_status(ST_OBF, true) ? inb(PORT_DATA) : -1;
}

static void drain(void)
{
    for (unsigned i = 0; i < DRAIN_MAX && (inb(PORT_CMD) & ST_OBF); i++)
        inb(PORT_DATA);
}

/* A byte to the keyboard, answered with ACK. */
static bool kbd_command(uint8_t b)
{
    if (!write_port(PORT_DATA, b))
        return false;
    for (unsigned i = 0; i < STRAY_BYTES; i++) {
        int r = read_data();
        if (r < 0)
            return false;
        if (r == KBD_ACK)
            return true;
    }
    return false;
}

/* NULL once the controller is the host's, else why not. */
static const char *take(void)
{
    if (inb(PORT_CMD) == 0xff)
        return "no controller at ports 0x60/0x64";
    if (!write_port(PORT_CMD, CMD_KBD_OFF) || !write_port(PORT_CMD, CMD_AUX_OFF))
        return "the controller takes no commands";
    drain();
    int cfg;
    if (!write_port(PORT_CMD, CMD_READ_CONFIG) || (cfg = read_data()) < 0)
        return "the controller's command byte cannot be read";
    cfg = (cfg | CFG_KBD_IRQ | CFG_XLAT | CFG_AUX_CLOCK_OFF) & ~(CFG_AUX_IRQ | CFG_KBD_CLOCK_OFF);
    if (!write_port(PORT_CMD, CMD_WRITE_CONFIG) || !write_port(PORT_DATA, (uint8_t)cfg) ||
        !write_port(PORT_CMD, CMD_KBD_ON))
        return "the controller's command byte cannot be written";
    /* set 2 (what translation expects, whatever the firmware chose), scanning */
    if (!kbd_command(KBD_SCAN_SET) || !kbd_command(2) || !kbd_command(KBD_SCAN_ON))
        return "no keyboard answers on the keyboard port";
    drain();
    if (!ioapic_route(KBD_PIN, HOST_KBD_VECTOR))
        return "the IOAPIC has no pin 1";
    return NULL;
}

bool i8042_start(void)
{
    const char *why = take();
    if (why) {
        hv_log("kbd", "i8042 unusable: %s: the keyboard device gets no keys", why);
        return false;
    }
    started = true;
    hv_log("kbd", "i8042 keyboard (set 1, translated) on IOAPIC pin %u, vector 0x%x", KBD_PIN,
           HOST_KBD_VECTOR);
    return true;
}

void i8042_interrupt(void)
{
    for (unsigned i = 0; started && i < IRQ_MAX; i++) {
        uint8_t status = inb(PORT_CMD);
        if (!(status & ST_OBF))
            return;
        uint8_t b = inb(PORT_DATA);
        if (!(status & ST_AUX))
            byteq_push(&i8042_bytes, b);
    }
}
