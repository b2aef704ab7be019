/* hv.elf validation and loading: a synthetic static PIE, every corruption the
 * loader must refuse, relocation application, and the real build/hv.elf. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "elf_load.h"

#include "fixture.h"

/* Offsets of the synthetic image: ehdr, 2 phdrs, code page, data page. */
#define PHOFF     64
#define CODE_OFF  0x1000
#define DATA_OFF  0x2000
#define DYN_OFF   (DATA_OFF + 0x100)
#define RELA_OFF  (DATA_OFF + 0x200)
#define FILE_SIZE 0x3000

static void put16(uint8_t *p, uint16_t v)
{
    memcpy(p, &v, 2);
}
static void put32(uint8_t *p, uint32_t v)
{
    memcpy(p, &v, 4);
}
static void put64(uint8_t *p, uint64_t v)
{
    memcpy(p, &v, 8);
}

static void phdr(uint8_t *f, int i, uint32_t type, uint32_t flags, uint64_t off, uint64_t vaddr,
                 uint64_t filesz, uint64_t memsz)
{
    uint8_t *p = f + PHOFF + i * 56;
    put32(p, type);
    put32(p + 4, flags);
    put64(p + 8, off);
    put64(p + 16, vaddr);
    put64(p + 24, vaddr);
    put64(p + 32, filesz);
    put64(p + 40, memsz);
    put64(p + 48, 0x1000);
}

/* Code at vaddr 0x1000 (entry 0x1010), data at 0x2000 with bss to 0x4000; two
 * RELATIVE relocations at data+0x00 and data+0x08. */
static uint8_t *make_elf(void)
{
    uint8_t *f = calloc(1, FILE_SIZE);
    memcpy(f,
           "\x7f"
           "ELF\x02\x01\x01",
           7);
    put16(f + 16, 3);  /* ET_DYN */
    put16(f + 18, 62); /* EM_X86_64 */
    put32(f + 20, 1);
    put64(f + 24, 0x1010);
    put64(f + 32, PHOFF);
    put16(f + 52, 64);
    put16(f + 54, 56);
    put16(f + 56, 3);
    phdr(f, 0, 1, 5, CODE_OFF, 0x1000, 0x100, 0x100);
    phdr(f, 1, 1, 6, DATA_OFF, 0x2000, 0x1000, 0x2000);
    phdr(f, 2, 2, 6, DYN_OFF, 0x2100, 64, 64);
    memset(f + CODE_OFF, 0x90, 0x100);
    /* dynamic: RELA, RELASZ, RELAENT, NULL */
    uint8_t *d = f + DYN_OFF;
    put64(d, 7), put64(d + 8, 0x2200);
    put64(d + 16, 8), put64(d + 24, 48);
    put64(d + 32, 9), put64(d + 40, 24);
    put64(d + 48, 0), put64(d + 56, 0);
    uint8_t *r = f + RELA_OFF;
    put64(r, 0x2000), put64(r + 8, 8), put64(r + 16, 0x1010);
    put64(r + 24, 0x2008), put64(r + 32, 8), put64(r + 40, 0x3000);
    return f;
}

static void expect_refused(uint8_t *f, size_t size, const char *needle)
{
    struct elf_info info;
    const char *why = NULL;
    assert_int_equal(elf_check(f, size, &info, &why), -1);
    assert_non_null(why);
    if (!strstr(why, needle))
        fail_msg("reason '%s' lacks '%s'", why, needle);
}

static void good_image_loads_and_relocates(void **state)
{
    (void)state;
    uint8_t *f = make_elf();
    struct elf_info info;
    const char *why = NULL;
    assert_int_equal(elf_check(f, FILE_SIZE, &info, &why), 0);
    assert_int_equal(info.span, 0x4000);
    assert_int_equal(info.entry, 0x1010);

    uint8_t *dest = malloc(info.span);
    memset(dest, 0xcc, info.span);
    const uint64_t base = 0x7e000000;
    assert_int_equal(elf_load(f, FILE_SIZE, &info, dest, base, &why), 0);
    uint64_t v;
    memcpy(&v, dest + 0x2000, 8);
    assert_int_equal(v, base + 0x1010);
    memcpy(&v, dest + 0x2008, 8);
    assert_int_equal(v, base + 0x3000);
    assert_int_equal(dest[0x1000], 0x90);
    assert_int_equal(dest[0x0], 0);    /* gap before the first segment zeroed */
    assert_int_equal(dest[0x3fff], 0); /* bss zeroed */
    free(dest);
    free(f);
}

static void corruptions_are_refused(void **state)
{
    (void)state;
    uint8_t *f = make_elf();
    expect_refused(f, 10, "shorter than an ELF header");
    f[1] = 'X';
    expect_refused(f, FILE_SIZE, "bad magic");
    free(f);

    f = make_elf(), f[4] = 1;
    expect_refused(f, FILE_SIZE, "ELF64");
    free(f);
    f = make_elf(), put16(f + 16, 2); /* ET_EXEC */
    expect_refused(f, FILE_SIZE, "ET_DYN");
    free(f);
    f = make_elf(), put16(f + 18, 3); /* EM_386 */
    expect_refused(f, FILE_SIZE, "x86-64");
    free(f);
    f = make_elf(), put16(f + 54, 32);
    expect_refused(f, FILE_SIZE, "program header table size");
    free(f);
    f = make_elf(), put16(f + 56, 0);
    expect_refused(f, FILE_SIZE, "program header table size");
    free(f);
    f = make_elf(), put64(f + 32, FILE_SIZE - 8);
    expect_refused(f, FILE_SIZE, "program header table outside");
    free(f);
    f = make_elf();
    expect_refused(f, DATA_OFF + 0x10, "runs past the end");
    free(f);
    f = make_elf(), phdr(f, 1, 1, 6, DATA_OFF, 0x2000, 0x3000, 0x2000);
    expect_refused(f, FILE_SIZE, "file size exceeds");
    free(f);
    f = make_elf(), phdr(f, 1, 1, 6, DATA_OFF, 0x2000, 0x10, UINT64_MAX - 0x1000);
    expect_refused(f, FILE_SIZE, "image limit");
    free(f);
    f = make_elf(), phdr(f, 1, 1, 6, DATA_OFF, 0x2010, 0x10, 0x10);
    expect_refused(f, FILE_SIZE, "modulo the page size");
    free(f);
    f = make_elf(), put64(f + 24, 0x2000); /* entry in data */
    expect_refused(f, FILE_SIZE, "entry point");
    free(f);
    f = make_elf(), phdr(f, 0, 6, 5, CODE_OFF, 0x1000, 0x100, 0x100), phdr(f, 1, 6, 6, 0, 0, 0, 0);
    expect_refused(f, FILE_SIZE, "no loadable segment");
    free(f);
    f = make_elf(), put64(f + DYN_OFF + 40, 16); /* RELAENT */
    expect_refused(f, FILE_SIZE, "entry size");
    free(f);
    f = make_elf(), put64(f + DYN_OFF + 8, 0x3ff0); /* RELA near the end of the span */
    expect_refused(f, FILE_SIZE, "relocation table outside");
    free(f);
    f = make_elf(), phdr(f, 2, 2, 6, FILE_SIZE - 8, 0x2100, 64, 64);
    expect_refused(f, FILE_SIZE, "dynamic segment outside");
    free(f);
}

static void bad_relocations_fail_the_load(void **state)
{
    (void)state;
    struct elf_info info;
    const char *why = NULL;
    uint8_t dest[0x4000];

    uint8_t *f = make_elf();
    put64(f + RELA_OFF + 8, 1); /* R_X86_64_64 */
    assert_int_equal(elf_check(f, FILE_SIZE, &info, &why), 0);
    assert_int_equal(elf_load(f, FILE_SIZE, &info, dest, 0x100000, &why), -1);
    assert_non_null(strstr(why, "unsupported relocation"));
    free(f);

    f = make_elf();
    put64(f + RELA_OFF, 0x3ffc); /* 8-byte write past the span */
    assert_int_equal(elf_check(f, FILE_SIZE, &info, &why), 0);
    assert_int_equal(elf_load(f, FILE_SIZE, &info, dest, 0x100000, &why), -1);
    assert_non_null(strstr(why, "outside the image"));
    free(f);
}

static void every_truncation_is_refused_or_safe(void **state)
{
    (void)state;
    uint8_t *f = make_elf();
    struct elf_info info;
    const char *why;
    for (size_t n = 0; n < DATA_OFF + 0x1000; n++) {
        uint8_t *copy = malloc(n ? n : 1);
        memcpy(copy, f, n);
        int rc = elf_check(copy, n, &info, &why);
        assert_int_equal(rc, -1);
        free(copy);
    }
    free(f);
}

static void real_hypervisor_image(void **state)
{
    (void)state;
    size_t n;
    uint8_t *f = read_file("build/hv.elf", &n);
    if (!f)
        skip(); /* not built in this checkout */

    struct elf_info info;
    const char *why = NULL;
    assert_int_equal(elf_check(f, n, &info, &why), 0);
    uint8_t *dest = malloc(info.span);
    assert_int_equal(elf_load(f, n, &info, dest, 0x40000000, &why), 0);
    free(dest);
    free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(good_image_loads_and_relocates),
        cmocka_unit_test(corruptions_are_refused),
        cmocka_unit_test(bad_relocations_fail_the_load),
        cmocka_unit_test(every_truncation_is_refused_or_safe),
        cmocka_unit_test(real_hypervisor_image),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
