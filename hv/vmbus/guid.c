/* GUID helpers for devices and log lines (declared in kmcl_types.h). */
#include "vmbus/kmcl_types.h"

#include "lib/fmt.h"
#include "lib/mem.h"

void guid_format(const GUID *g, char *out)
{
    fmt_snprintf(out, GUID_TEXT_SIZE, "%08x-%04x-%04x-%02x%02x-%02x%02x%02x%02x%02x%02x", g->Data1,
                 g->Data2, g->Data3, g->Data4[0], g->Data4[1], g->Data4[2], g->Data4[3],
                 g->Data4[4], g->Data4[5], g->Data4[6], g->Data4[7]);
}

bool guid_equal(const GUID *a, const GUID *b)
{
    return !memcmp(a, b, sizeof(*a));
}

bool guid_is_nil(const GUID *g)
{
    static const GUID nil;
    return guid_equal(g, &nil);
}

static uint64_t fnv1a(uint64_t h, const void *data, size_t n)
{
    const uint8_t *p = data;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

void guid_from_name(GUID *out, const GUID *InterfaceType, const char *Name)
{
    size_t len = 0;
    while (Name[len])
        len++;
    /* Two 64-bit FNV-1a hashes from different offset bases: the standard one
     * and the low half of the 128-bit variant's. */
    uint64_t h[2] = {0xcbf29ce484222325ull, 0x62b821756295c58dull};
    for (unsigned i = 0; i < 2; i++)
        h[i] = fnv1a(fnv1a(h[i], InterfaceType, sizeof(*InterfaceType)), Name, len);
    memcpy(out, h, sizeof(*out));
    out->Data3 = (UINT16)((out->Data3 & 0x0FFF) | 0x8000);  /* version 8: vendor-defined */
    out->Data4[0] = (UINT8)((out->Data4[0] & 0x3F) | 0x80); /* variant 10 */
}

void guid_for_device(GUID *out, const UINT8 Configured[16], const GUID *InterfaceType,
                     const char *Name)
{
    static const UINT8 zero[16];
    if (memcmp(Configured, zero, sizeof(zero)))
        memcpy(out, Configured, sizeof(*out));
    else
        guid_from_name(out, InterfaceType, Name);
}
