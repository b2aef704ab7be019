/* The machine's i8042 keyboard controller, the host's when a keyboard device
 * is configured (the guest's ports 0x60/0x64 are emulated, hv/vm/ioports.c):
 * its keyboard's set-1 bytes go to the guest's hyperv-keyboard. */
#ifndef HV_ARCH_X86_I8042_H
#define HV_ARCH_X86_I8042_H

#include <stdbool.h>

#include "lib/byteq.h"

/* The bytes the keyboard sent, for the host work to hand on (keyboard.h). */
extern struct byteq i8042_bytes;

/* Takes the controller: both ports off, output drained, then the keyboard
 * port on with its interrupt and set-1 translation, the aux port off, the
 * keyboard scanning, and IRQ1 routed to HOST_KBD_VECTOR on the IOAPIC (after
 * ioapic_init). False, logged once, if the controller or the IOAPIC pin is
 * not there or does not answer in time: then no key ever comes. */
bool i8042_start(void);
/* HOST_KBD_VECTOR fired (irq.c): queues what the keyboard sent. */
void i8042_interrupt(void);

#endif
