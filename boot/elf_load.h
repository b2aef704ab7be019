/* Validates and loads hv.elf: an x86-64 ET_DYN (static PIE) whose only relocations
 * are R_X86_64_RELATIVE, so it runs wherever the loader could allocate memory.
 * Hardware-free: unit-tested and fuzzed on the host. */
#ifndef BOOT_ELF_LOAD_H
#define BOOT_ELF_LOAD_H

#include <stddef.h>
#include <stdint.h>

#define ELF_MAX_SPAN (64ull << 20) /* a larger hypervisor is a broken build */

struct elf_info {
    uint64_t span;  /* bytes of memory the loaded image needs (page multiple) */
    uint64_t entry; /* offset of the entry point from the load base */
};

/* 0 if the file is a loadable hypervisor image; else -1 and *why says what is wrong. */
int elf_check(const void *file, size_t size, struct elf_info *info, const char **why);

/* Copy the segments to dest (info->span bytes, physically at dest_addr), zero the
 * rest and apply the relocations. The file must have passed elf_check. */
int elf_load(const void *file, size_t size, const struct elf_info *info, void *dest,
             uint64_t dest_addr, const char **why);

#endif
