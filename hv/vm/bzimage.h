/* Validation of a Linux bzImage (Documentation/x86/boot.rst): vmbhv enters the
 * kernel at its 64-bit entry point, so it accepts only relocatable kernels with
 * boot protocol 2.12 or later and XLF_KERNEL_64. */
#ifndef HV_VM_BZIMAGE_H
#define HV_VM_BZIMAGE_H

#include <stddef.h>
#include <stdint.h>

#define BZ_MIN_VERSION    0x020Cu /* 2.12: xloadflags exist */
#define BZ_ENTRY64_OFFSET 0x200u  /* 64-bit entry, from the protected-mode load address */

/* What the loader needs from a bzImage; offsets and sizes are in the file. */
struct bzimage {
    uint16_t version;    /* boot protocol, 0x020F = 2.15 */
    uint8_t setup_sects; /* as used: 0 in the file means 4 */
    uint8_t loadflags;
    uint16_t xloadflags;
    uint32_t kernel_alignment; /* power of two */
    uint64_t pref_address;     /* preferred load address */
    uint32_t init_size;        /* bytes the kernel needs from its runtime start */
    uint32_t cmdline_size;     /* max command line length, without the NUL */
    uint32_t initrd_addr_max;  /* highest byte address the initrd may occupy */
    size_t header_end;         /* 0x202 + the jump's offset byte: end of the setup header */
    size_t payload_offset;     /* protected-mode kernel: (setup_sects + 1) * 512 */
    size_t payload_size;       /* syssize * 16 bytes, all inside the file */
};

/* 0 and *out filled when img[0..size) is a bzImage vmbhv can boot; else -1 and
 * *why says which rule it breaks. Reads only inside img. */
int bzimage_check(const uint8_t *img, size_t size, struct bzimage *out, const char **why);

#endif
