#include "elf_load.h"

#include <stdbool.h>

/* ELF64 layouts (System V gABI); only the fields the loader needs are named. */
struct elf64_ehdr {
    uint8_t ident[16];
    uint16_t type, machine;
    uint32_t version;
    uint64_t entry, phoff, shoff;
    uint32_t flags;
    uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};
_Static_assert(sizeof(struct elf64_ehdr) == 64, "Elf64_Ehdr");

struct elf64_phdr {
    uint32_t type, flags;
    uint64_t offset, vaddr, paddr, filesz, memsz, align;
};
_Static_assert(sizeof(struct elf64_phdr) == 56, "Elf64_Phdr");

struct elf64_dyn {
    int64_t tag;
    uint64_t val;
};
_Static_assert(sizeof(struct elf64_dyn) == 16, "Elf64_Dyn");

struct elf64_rela {
    uint64_t offset, info;
    int64_t addend;
};
_Static_assert(sizeof(struct elf64_rela) == 24, "Elf64_Rela");

#define ET_DYN            3
#define EM_X86_64         62
#define PT_LOAD           1
#define PT_DYNAMIC        2
#define DT_NULL           0
#define DT_RELA           7
#define DT_RELASZ         8
#define DT_RELAENT        9
#define R_X86_64_RELATIVE 8
#define PAGE_SIZE         4096ull

static bool in_file(uint64_t off, uint64_t len, size_t size)
{
    return off <= size && len <= size - off;
}

static const struct elf64_phdr *phdr(const uint8_t *f, const struct elf64_ehdr *eh, unsigned i)
{
    return (const struct elf64_phdr *)(f + eh->phoff + (uint64_t)i * sizeof(struct elf64_phdr));
}

/* Reads an unaligned-safe copy of a header struct. */
static void copy(void *dst, const void *src, size_t n)
{
    uint8_t *d = dst;
    const uint8_t *s = src;
    while (n--)
        *d++ = *s++;
}

static int bad(const char **why, const char *msg)
{
    *why = msg;
    return -1;
}

/* Finds the RELA table through PT_DYNAMIC; *count = 0 when there is none. */
static int find_rela(const uint8_t *f, size_t size, const struct elf64_phdr *dynp, uint64_t span,
                     uint64_t *rela_vaddr, uint64_t *count, const char **why)
{
    uint64_t rela = 0, relasz = 0, relaent = sizeof(struct elf64_rela);
    bool have_rela = false;
    *count = 0;
    if (!dynp)
        return 0;
    if (dynp->filesz % sizeof(struct elf64_dyn) || !in_file(dynp->offset, dynp->filesz, size))
        return bad(why, "dynamic segment outside the file");
    for (uint64_t off = 0; off < dynp->filesz; off += sizeof(struct elf64_dyn)) {
        struct elf64_dyn d;
        copy(&d, f + dynp->offset + off, sizeof(d));
        if (d.tag == DT_NULL)
            break;
        if (d.tag == DT_RELA) {
            rela = d.val;
            have_rela = true;
        } else if (d.tag == DT_RELASZ) {
            relasz = d.val;
        } else if (d.tag == DT_RELAENT) {
            relaent = d.val;
        }
    }
    if (!have_rela)
        return 0;
    if (relaent != sizeof(struct elf64_rela) || relasz % relaent)
        return bad(why, "bad relocation table entry size");
    if (rela > span || relasz > span - rela)
        return bad(why, "relocation table outside the image");
    *rela_vaddr = rela;
    *count = relasz / relaent;
    return 0;
}

int elf_check(const void *file, size_t size, struct elf_info *info, const char **why)
{
    const uint8_t *f = file;
    struct elf64_ehdr eh;

    if (size < sizeof(eh))
        return bad(why, "truncated: shorter than an ELF header");
    copy(&eh, f, sizeof(eh));
    if (eh.ident[0] != 0x7f || eh.ident[1] != 'E' || eh.ident[2] != 'L' || eh.ident[3] != 'F')
        return bad(why, "not an ELF file (bad magic)");
    if (eh.ident[4] != 2 || eh.ident[5] != 1)
        return bad(why, "not a little-endian ELF64 file");
    if (eh.type != ET_DYN || eh.machine != EM_X86_64)
        return bad(why, "not an x86-64 position-independent executable (ET_DYN)");
    if (eh.phentsize != sizeof(struct elf64_phdr) || eh.phnum == 0 || eh.phnum > 64)
        return bad(why, "bad program header table size");
    if (!in_file(eh.phoff, (uint64_t)eh.phnum * sizeof(struct elf64_phdr), size))
        return bad(why, "truncated: program header table outside the file");

    uint64_t span = 0;
    bool entry_ok = false;
    const struct elf64_phdr *dynp = NULL;
    struct elf64_phdr ph, dyn;
    for (unsigned i = 0; i < eh.phnum; i++) {
        copy(&ph, phdr(f, &eh, i), sizeof(ph));
        if (ph.type == PT_DYNAMIC) {
            dyn = ph;
            dynp = &dyn;
        }
        if (ph.type != PT_LOAD)
            continue;
        if (ph.filesz > ph.memsz)
            return bad(why, "segment file size exceeds its memory size");
        if (!in_file(ph.offset, ph.filesz, size))
            return bad(why, "truncated: a segment runs past the end of the file");
        if (ph.vaddr >= ELF_MAX_SPAN || ph.memsz > ELF_MAX_SPAN - ph.vaddr)
            return bad(why, "segment outside the 64 MiB image limit");
        if (ph.vaddr % PAGE_SIZE != ph.offset % PAGE_SIZE)
            return bad(why, "segment offset and address disagree modulo the page size");
        uint64_t end = ph.vaddr + ph.memsz;
        if (end > span)
            span = end;
        if ((ph.flags & 1) && eh.entry >= ph.vaddr && eh.entry < ph.vaddr + ph.filesz)
            entry_ok = true;
    }
    if (span == 0)
        return bad(why, "no loadable segment");
    if (!entry_ok)
        return bad(why, "entry point is not inside an executable segment");
    span = (span + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);

    uint64_t rela, count;
    if (find_rela(f, size, dynp, span, &rela, &count, why))
        return -1;
    info->span = span;
    info->entry = eh.entry;
    return 0;
}

int elf_load(const void *file, size_t size, const struct elf_info *info, void *dest,
             uint64_t dest_addr, const char **why)
{
    const uint8_t *f = file;
    uint8_t *d = dest;
    struct elf64_ehdr eh;
    struct elf64_phdr ph, dyn;
    const struct elf64_phdr *dynp = NULL;

    copy(&eh, f, sizeof(eh));
    for (uint64_t i = 0; i < info->span; i++)
        d[i] = 0;
    for (unsigned i = 0; i < eh.phnum; i++) {
        copy(&ph, phdr(f, &eh, i), sizeof(ph));
        if (ph.type == PT_DYNAMIC) {
            dyn = ph;
            dynp = &dyn;
        }
        if (ph.type == PT_LOAD)
            copy(d + ph.vaddr, f + ph.offset, ph.filesz);
    }

    uint64_t rela, count;
    if (find_rela(f, size, dynp, info->span, &rela, &count, why))
        return -1;
    for (uint64_t i = 0; i < count; i++) {
        struct elf64_rela r;
        copy(&r, d + rela + i * sizeof(r), sizeof(r));
        if ((uint32_t)r.info != R_X86_64_RELATIVE)
            return bad(why, "unsupported relocation type (only R_X86_64_RELATIVE)");
        if (r.offset > info->span - sizeof(uint64_t))
            return bad(why, "relocation outside the image");
        uint64_t v = dest_addr + (uint64_t)r.addend;
        copy(d + r.offset, &v, sizeof(v));
    }
    return 0;
}
