/* bzImage validation: a good synthetic header, each rule broken on its own,
 * every truncation, and the real Debian kernel when the build fetched it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "vm/bootparam.h"
#include "vm/bzimage.h"

#include "fixture.h"

#define SETUP_SECTS 4
#define PAYLOAD     8192
#define IMAGE_SIZE  ((SETUP_SECTS + 1) * 512 + PAYLOAD)
#define REAL_KERNEL "build/guest/vmlinuz"

static uint8_t img[IMAGE_SIZE];

static void put16(size_t off, uint16_t v)
{
    memcpy(img + off, &v, 2);
}

static void put32(size_t off, uint32_t v)
{
    memcpy(img + off, &v, 4);
}

static void put64(size_t off, uint64_t v)
{
    memcpy(img + off, &v, 8);
}

/* A minimal image with the fields a 6.1 x86_64 kernel has. */
static int make_image(void **state)
{
    (void)state;
    memset(img, 0, sizeof(img));
    img[BP_HDR(setup_sects)] = SETUP_SECTS;
    put32(BP_HDR(syssize), PAYLOAD / 16);
    put16(BP_HDR(boot_flag), 0xAA55);
    img[BP_HDR(jump)] = 0xEB;
    img[BP_HDR(jump) + 1] = 0x6A; /* header ends at 0x26C */
    put32(BP_HDR(header), 0x53726448);
    put16(BP_HDR(version), 0x020F);
    img[BP_HDR(loadflags)] = BP_LOADED_HIGH;
    put32(BP_HDR(code32_start), 0x100000);
    put32(BP_HDR(initrd_addr_max), 0x7FFFFFFF);
    put32(BP_HDR(kernel_alignment), 0x200000);
    img[BP_HDR(relocatable_kernel)] = 1;
    img[BP_HDR(min_alignment)] = 21;
    put16(BP_HDR(xloadflags), 0x7F);
    put32(BP_HDR(cmdline_size), 2047);
    put64(BP_HDR(pref_address), 0x1000000);
    put32(BP_HDR(init_size), 0x800000);
    for (size_t i = (SETUP_SECTS + 1) * 512; i < IMAGE_SIZE; i++)
        img[i] = (uint8_t)i;
    return 0;
}

/* Runs the check on an exact-size heap copy, so ASan sees any over-read. */
static int check(size_t size, struct bzimage *bz, const char **why)
{
    uint8_t *copy = malloc(size ? size : 1);
    memcpy(copy, img, size);
    int rc = bzimage_check(copy, size, bz, why);
    free(copy);
    return rc;
}

static void expect_refused(size_t size, const char *needle)
{
    struct bzimage bz;
    const char *why = NULL;
    assert_int_equal(check(size, &bz, &why), -1);
    assert_non_null(why);
    if (!strstr(why, needle))
        fail_msg("reason '%s' lacks '%s'", why, needle);
}

static void good_image(void **state)
{
    (void)state;
    struct bzimage bz;
    const char *why = NULL;
    assert_int_equal(check(IMAGE_SIZE, &bz, &why), 0);
    assert_int_equal(bz.version, 0x020F);
    assert_int_equal(bz.setup_sects, SETUP_SECTS);
    assert_int_equal(bz.payload_offset, (SETUP_SECTS + 1) * 512);
    assert_int_equal(bz.payload_size, PAYLOAD);
    assert_int_equal(bz.header_end, 0x26C);
    assert_int_equal(bz.kernel_alignment, 0x200000);
    assert_int_equal(bz.pref_address, 0x1000000);
    assert_int_equal(bz.init_size, 0x800000);
    assert_int_equal(bz.cmdline_size, 2047);
    assert_int_equal(bz.initrd_addr_max, 0x7FFFFFFF);
    assert_int_equal(bz.xloadflags, 0x7F);
    assert_int_equal(bz.loadflags, BP_LOADED_HIGH);
}

static void setup_sects_zero_means_four(void **state)
{
    (void)state;
    img[BP_HDR(setup_sects)] = 0;
    struct bzimage bz;
    const char *why;
    assert_int_equal(check(IMAGE_SIZE, &bz, &why), 0);
    assert_int_equal(bz.setup_sects, 4);
    assert_int_equal(bz.payload_offset, 5 * 512);
}

static void payload_may_be_followed_by_more(void **state)
{
    (void)state; /* e.g. a signature appended to a signed kernel */
    put32(BP_HDR(syssize), PAYLOAD / 32);
    struct bzimage bz;
    const char *why;
    assert_int_equal(check(IMAGE_SIZE, &bz, &why), 0);
    assert_int_equal(bz.payload_size, PAYLOAD / 2);
}

static void too_small(void **state)
{
    (void)state;
    expect_refused(0, "too small");
    expect_refused(0x205, "too small");
}

static void bad_boot_flag(void **state)
{
    (void)state;
    put16(BP_HDR(boot_flag), 0x55AA);
    expect_refused(IMAGE_SIZE, "0xAA55");
}

static void bad_magic(void **state)
{
    (void)state;
    memcpy(img + BP_HDR(header), "HdrZ", 4);
    expect_refused(IMAGE_SIZE, "HdrS");
}

static void no_jump(void **state)
{
    (void)state;
    img[BP_HDR(jump)] = 0xE9;
    expect_refused(IMAGE_SIZE, "jump");
}

static void header_too_short(void **state)
{
    (void)state;
    img[BP_HDR(jump) + 1] = 0x50; /* ends at 0x252, before pref_address */
    expect_refused(IMAGE_SIZE, "too short");
}

static void header_past_end(void **state)
{
    (void)state;
    expect_refused(0x26B, "past the end");
}

static void old_protocol(void **state)
{
    (void)state;
    put16(BP_HDR(version), 0x020B);
    expect_refused(IMAGE_SIZE, "older than 2.12");
}

static void no_64bit_entry(void **state)
{
    (void)state;
    put16(BP_HDR(xloadflags), 0x7E);
    expect_refused(IMAGE_SIZE, "64-bit entry");
}

static void not_loaded_high(void **state)
{
    (void)state;
    img[BP_HDR(loadflags)] = 0;
    expect_refused(IMAGE_SIZE, "loaded high");
}

static void not_relocatable(void **state)
{
    (void)state;
    img[BP_HDR(relocatable_kernel)] = 0;
    expect_refused(IMAGE_SIZE, "not relocatable");
}

static void bad_alignment(void **state)
{
    (void)state;
    put32(BP_HDR(kernel_alignment), 0x300000);
    expect_refused(IMAGE_SIZE, "power of two");
    put32(BP_HDR(kernel_alignment), 0);
    expect_refused(IMAGE_SIZE, "power of two");
}

static void pref_address_out_of_range(void **state)
{
    (void)state;
    put64(BP_HDR(pref_address), 0xFFFFFFFFFFFF0000ull);
    expect_refused(IMAGE_SIZE, "pref_address");
}

static void setup_sects_beyond_file(void **state)
{
    (void)state;
    img[BP_HDR(setup_sects)] = 200;
    expect_refused(IMAGE_SIZE, "setup_sects");
}

static void no_payload(void **state)
{
    (void)state;
    expect_refused((SETUP_SECTS + 1) * 512, "setup_sects");
    put32(BP_HDR(syssize), 0);
    expect_refused(IMAGE_SIZE, "syssize is zero");
}

static void truncated_payload(void **state)
{
    (void)state;
    expect_refused(IMAGE_SIZE - 1, "truncated");
}

static void init_size_too_small(void **state)
{
    (void)state;
    put32(BP_HDR(init_size), PAYLOAD - 16);
    expect_refused(IMAGE_SIZE, "init_size");
}

static void no_cmdline(void **state)
{
    (void)state;
    put32(BP_HDR(cmdline_size), 0);
    expect_refused(IMAGE_SIZE, "cmdline_size");
}

/* Every prefix of a good image is refused cleanly, without reading past it. */
static void every_truncation(void **state)
{
    (void)state;
    struct bzimage bz;
    const char *why;
    for (size_t size = 0; size < IMAGE_SIZE; size++)
        assert_int_equal(check(size, &bz, &why), -1);
    assert_int_equal(check(IMAGE_SIZE, &bz, &why), 0);
}

static void real_debian_kernel(void **state)
{
    (void)state;
    size_t size;
    uint8_t *k = read_file(REAL_KERNEL, &size);
    if (!k)
        skip(); /* not fetched in this checkout (guest/fetch-kernel.sh) */
    struct bzimage bz;
    const char *why = "";
    int rc = bzimage_check(k, size, &bz, &why);
    if (rc)
        fail_msg("%s refused: %s", REAL_KERNEL, why);
    printf("# %s: %zu bytes, protocol %u.%02u, setup_sects %u, payload %zu bytes at %#zx\n",
           REAL_KERNEL, size, bz.version >> 8, bz.version & 0xFF, bz.setup_sects, bz.payload_size,
           bz.payload_offset);
    printf("# pref_address %#llx, kernel_alignment %#x, init_size %#x (%u MiB), "
           "cmdline_size %u, initrd_addr_max %#x, xloadflags %#x, header_end %#zx\n",
           (unsigned long long)bz.pref_address, bz.kernel_alignment, bz.init_size,
           bz.init_size >> 20, bz.cmdline_size, bz.initrd_addr_max, bz.xloadflags, bz.header_end);
    assert_true(bz.version >= 0x020C);
    assert_true(bz.xloadflags & BP_XLF_KERNEL_64);
    assert_true(bz.payload_offset + bz.payload_size <= size);
    free(k);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(good_image, make_image),
        cmocka_unit_test_setup(setup_sects_zero_means_four, make_image),
        cmocka_unit_test_setup(payload_may_be_followed_by_more, make_image),
        cmocka_unit_test_setup(too_small, make_image),
        cmocka_unit_test_setup(bad_boot_flag, make_image),
        cmocka_unit_test_setup(bad_magic, make_image),
        cmocka_unit_test_setup(no_jump, make_image),
        cmocka_unit_test_setup(header_too_short, make_image),
        cmocka_unit_test_setup(header_past_end, make_image),
        cmocka_unit_test_setup(old_protocol, make_image),
        cmocka_unit_test_setup(no_64bit_entry, make_image),
        cmocka_unit_test_setup(not_loaded_high, make_image),
        cmocka_unit_test_setup(not_relocatable, make_image),
        cmocka_unit_test_setup(bad_alignment, make_image),
        cmocka_unit_test_setup(pref_address_out_of_range, make_image),
        cmocka_unit_test_setup(setup_sects_beyond_file, make_image),
        cmocka_unit_test_setup(no_payload, make_image),
        cmocka_unit_test_setup(truncated_payload, make_image),
        cmocka_unit_test_setup(init_size_too_small, make_image),
        cmocka_unit_test_setup(no_cmdline, make_image),
        cmocka_unit_test_setup(every_truncation, make_image),
        cmocka_unit_test(real_debian_kernel),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
