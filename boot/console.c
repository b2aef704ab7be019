#include "console.h"

#include <efilib.h>
#include <stdarg.h>

#include "lib/fmt.h"

static EFI_SERIAL_IO_PROTOCOL *serial;

/* True when the firmware's console output already includes a UART, as under
 * QEMU -nographic: then writing to the serial port too would print every line twice. */
static BOOLEAN console_reaches_uart(void)
{
    UINTN size = 0;
    EFI_DEVICE_PATH *dp = LibGetVariableAndSize(L"ConOut", &EfiGlobalVariable, &size);
    BOOLEAN found = FALSE;
    if (!dp)
        return FALSE;
    UINT8 *end = (UINT8 *)dp + size;
    for (EFI_DEVICE_PATH *n = dp; (UINT8 *)n + sizeof(*n) <= end; n = NextDevicePathNode(n)) {
        if ((UINTN)DevicePathNodeLength(n) < sizeof(*n))
            break;
        if (DevicePathType(n) == MESSAGING_DEVICE_PATH && DevicePathSubType(n) == MSG_UART_DP)
            found = TRUE;
    }
    FreePool(dp);
    return found;
}

void console_init(void)
{
    if (!console_reaches_uart())
        LibLocateProtocol(&gEfiSerialIoProtocolGuid, (void **)&serial);
}

void say(const char *fmt, ...)
{
    char line[512];
    CHAR16 wide[sizeof(line) + 2];
    va_list ap;

    va_start(ap, fmt);
    int n = fmt_vsnprintf(line, sizeof(line) - 2, fmt, ap);
    va_end(ap);
    if (n > (int)sizeof(line) - 3)
        n = (int)sizeof(line) - 3;
    line[n++] = '\r';
    line[n++] = '\n';
    for (int i = 0; i < n; i++)
        wide[i] = (CHAR16)(unsigned char)line[i];
    wide[n] = 0;
    ST->ConOut->OutputString(ST->ConOut, wide);
    if (serial) {
        UINTN len = (UINTN)n;
        serial->Write(serial, &len, line);
    }
}
