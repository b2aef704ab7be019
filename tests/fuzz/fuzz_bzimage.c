/* The kernel image comes from disk: validation and the whole Linux boot setup
 * must hold for any bytes. Two modes, chosen by the first input byte, so the
 * fuzzer gets deep without a seed corpus: raw (the rest is the file) and patch
 * (the rest is XORed into the setup header of a valid synthetic image and picks
 * its length, initrd size and RAM size). Whatever is accepted must be placed inside
 * RAM, clear of the boot structures, with a consistent boot_params. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "vm/bootparam.h"
#include "vm/layout.h"
#include "vm/linux_boot.h"

#define RAM_MAX    (160ull << 20)
#define SETUP      (5 * 512)
#define PAYLOAD    (16 * 1024)
#define IMAGE_SIZE (SETUP + PAYLOAD)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t *ram;
static uint8_t initrd[64 * 1024];

static void put32(uint8_t *p, size_t off, uint32_t v)
{
    memcpy(p + off, &v, 4);
}

static void template_image(uint8_t *img)
{
    memset(img, 0, IMAGE_SIZE);
    img[BP_HDR(setup_sects)] = SETUP / 512 - 1;
    put32(img, BP_HDR(syssize), PAYLOAD / 16);
    img[BP_HDR(boot_flag)] = 0x55;
    img[BP_HDR(boot_flag) + 1] = 0xAA;
    img[BP_HDR(jump)] = 0xEB;
    img[BP_HDR(jump) + 1] = 0x6A;
    put32(img, BP_HDR(header), BP_HDR_MAGIC);
    img[BP_HDR(version)] = 0x0F;
    img[BP_HDR(version) + 1] = 0x02;
    img[BP_HDR(loadflags)] = BP_LOADED_HIGH;
    put32(img, BP_HDR(initrd_addr_max), 0x7FFFFFFF);
    put32(img, BP_HDR(kernel_alignment), 0x200000);
    img[BP_HDR(relocatable_kernel)] = 1;
    img[BP_HDR(xloadflags)] = 0x7F;
    put32(img, BP_HDR(cmdline_size), 2047);
    put32(img, BP_HDR(pref_address), 0x1000000);
    put32(img, BP_HDR(init_size), 32 << 20);
}

static void check_accepted(const struct linux_boot *lb, uint64_t ram_size, size_t initrd_size)
{
    const struct guest_layout *l = &lb->layout;
    if (l->kernel < LAYOUT_HIGH_RAM || l->kernel_end > l->low_ram_end || l->kernel_end > ram_size)
        abort();
    if (l->kernel % lb->image.kernel_alignment || lb->image.payload_size > lb->image.init_size)
        abort();
    if (lb->entry.rip != l->kernel + BZ_ENTRY64_OFFSET || lb->entry.rsi != LAYOUT_BOOT_PARAMS)
        abort();
    if (initrd_size) {
        if (l->initrd < LAYOUT_HIGH_RAM || l->initrd % PAGE_SIZE ||
            l->initrd + initrd_size > l->low_ram_end ||
            l->initrd + initrd_size > (uint64_t)lb->image.initrd_addr_max + 1)
            abort();
        if (l->initrd < l->kernel_end && l->kernel < l->initrd + initrd_size)
            abort();
    }
    const struct boot_params *bp = (const struct boot_params *)(ram + LAYOUT_BOOT_PARAMS);
    if (bp->hdr.type_of_loader != BP_LOADER_UNKNOWN || bp->hdr.setup_data ||
        bp->hdr.ramdisk_image != l->initrd || bp->hdr.cmd_line_ptr != LAYOUT_CMDLINE ||
        bp->e820_entries == 0 || bp->e820_entries > BP_E820_MAX || bp->sentinel)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!ram) {
        /* Lazily backed: only the pages a run touches cost memory. */
        ram = mmap(NULL, RAM_MAX, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (ram == MAP_FAILED)
            abort();
        for (size_t i = 0; i < sizeof(initrd); i++)
            initrd[i] = (uint8_t)(i * 31);
    }
    if (size == 0)
        return 0;
    uint64_t ram_size = 64ull << 20;
    size_t initrd_size = 0, len;
    uint8_t *img;
    if (data[0] & 1) {
        /* Patch mode: data[1..3] pick RAM size, initrd size and truncation. */
        img = malloc(IMAGE_SIZE);
        template_image(img);
        len = IMAGE_SIZE;
        if (size > 1)
            ram_size = (64ull + (data[1] & 0x3F)) << 20; /* 64..127 MiB, and bad 4 KiB multiples */
        if (size > 2)
            initrd_size = (size_t)data[2] * 256;
        if (size > 3 && data[3] & 0x80)
            len = (size_t)data[3] * 97 % IMAGE_SIZE;
        /* data[4] picks where in the header (and beyond) the rest is XORed in:
         * zero bytes change nothing, so small mutations stay near-valid. */
        if (size > 5) {
            size_t at = BP_HDR_OFFSET + data[4];
            for (size_t i = 5; i < size && at < IMAGE_SIZE; i++, at++)
                img[at] ^= data[i];
        }
        if (data[0] & 2)
            ram_size += 512; /* not a page multiple: must be refused */
    } else {
        len = size - 1;
        img = malloc(len ? len : 1);
        memcpy(img, data + 1, len);
        initrd_size = 4096;
    }
    uint8_t *kernel = realloc(img, len ? len : 1); /* exact size: ASan sees over-reads */
    struct guest_mem gm = {.host = ram, .size = ram_size};
    struct linux_boot_input in = {.ram_size = ram_size,
                                  .kernel = kernel,
                                  .kernel_size = len,
                                  .initrd = initrd,
                                  .initrd_size = initrd_size,
                                  .cmdline = "console=ttyS0",
                                  .rsdp = LAYOUT_ACPI_BASE};
    struct linux_boot lb;
    const char *why = NULL;
    if (linux_boot_setup(&gm, &in, &lb, &why) == 0)
        check_accepted(&lb, ram_size, initrd_size);
    else if (!why || !*why)
        abort();
    free(kernel);
    return 0;
}
