/* Loader output: every line goes to the UEFI console and to the serial port. */
#ifndef BOOT_CONSOLE_H
#define BOOT_CONSOLE_H

#include <efi.h>

void console_init(void);
void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
