#include "vm/bzimage.h"

#include "vm/bootparam.h"
#include "vm/le.h"

#define SECTOR 512u

static int fail(const char **why, const char *reason)
{
    *why = reason;
    return -1;
}

int bzimage_check(const uint8_t *img, size_t size, struct bzimage *out, const char **why)
{
    /* Everything up to and including the jump's offset byte, which says how far
     * the rest of the header goes. */
    if (size < BP_HDR(header) + 4)
        return fail(why, "file too small for a Linux setup header");
    if (le16(img + BP_HDR(boot_flag)) != BP_BOOT_FLAG)
        return fail(why, "no boot flag 0xAA55 at 0x1FE (not a Linux kernel image)");
    if (le32(img + BP_HDR(header)) != BP_HDR_MAGIC)
        return fail(why, "no \"HdrS\" magic at 0x202 (not a bzImage, or protocol < 2.00)");
    if (img[BP_HDR(jump)] != 0xEB)
        return fail(why, "no short jump at 0x200, cannot size the setup header");
    size_t hdr_end = BP_HDR(header) + img[BP_HDR(jump) + 1];
    if (hdr_end > size)
        return fail(why, "setup header runs past the end of the file");
    /* Protocol 2.12 defines the header up to handover_offset. */
    if (hdr_end < BP_HDR(kernel_info_offset))
        return fail(why, "setup header too short for boot protocol 2.12");

    uint16_t version = le16(img + BP_HDR(version));
    if (version < BZ_MIN_VERSION)
        return fail(why, "boot protocol older than 2.12 (no 64-bit entry information)");
    uint16_t xlf = le16(img + BP_HDR(xloadflags));
    if (!(xlf & BP_XLF_KERNEL_64))
        return fail(why, "kernel has no 64-bit entry point (xloadflags bit 0 clear)");
    uint8_t loadflags = img[BP_HDR(loadflags)];
    if (!(loadflags & BP_LOADED_HIGH))
        return fail(why, "kernel is not a bzImage loaded high (loadflags bit 0 clear)");
    if (!img[BP_HDR(relocatable_kernel)])
        return fail(why, "kernel is not relocatable");

    uint32_t align = le32(img + BP_HDR(kernel_alignment));
    if (align == 0 || (align & (align - 1)))
        return fail(why, "kernel_alignment is not a power of two");
    uint64_t pref = le64(img + BP_HDR(pref_address));
    if (pref > (1ull << 46)) /* far beyond any guest RAM, and keeps sums from overflowing */
        return fail(why, "pref_address out of range");

    unsigned sects = img[BP_HDR(setup_sects)];
    if (sects == 0)
        sects = 4; /* boot.rst: 0 means 4 */
    size_t payload_off = (size_t)(sects + 1) * SECTOR;
    if (payload_off >= size)
        return fail(why, "setup_sects points past the end of the file (no kernel payload)");
    uint64_t payload = (uint64_t)le32(img + BP_HDR(syssize)) * 16;
    if (payload == 0)
        return fail(why, "syssize is zero (no protected-mode kernel)");
    if (payload > size - payload_off)
        return fail(why, "file truncated: protected-mode kernel shorter than syssize");
    uint32_t init_size = le32(img + BP_HDR(init_size));
    if (init_size < payload)
        return fail(why, "init_size smaller than the protected-mode kernel");
    uint32_t cmdline_size = le32(img + BP_HDR(cmdline_size));
    if (cmdline_size == 0)
        return fail(why, "cmdline_size is zero");

    out->version = version;
    out->setup_sects = (uint8_t)sects;
    out->loadflags = loadflags;
    out->xloadflags = xlf;
    out->kernel_alignment = align;
    out->pref_address = pref;
    out->init_size = init_size;
    out->cmdline_size = cmdline_size;
    out->initrd_addr_max = le32(img + BP_HDR(initrd_addr_max));
    out->header_end = hdr_end;
    out->payload_offset = payload_off;
    out->payload_size = (size_t)payload;
    return 0;
}
