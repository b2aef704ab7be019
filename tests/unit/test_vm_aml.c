/* The AML emitter: PkgLength at every encoding boundary, integers, names,
 * strings, nesting with back-patching, resource descriptors, and sticky errors
 * (overflow at every buffer size, bad names, unbalanced nesting). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "vm/aml.h"

static uint8_t buf[4096];

/* Emits with fn into buf and checks the bytes against want. */
#define EXPECT_AML(fn, ...)                                                                        \
    do {                                                                                           \
        static const uint8_t want_[] = {__VA_ARGS__};                                              \
        struct aml a_;                                                                             \
        aml_init(&a_, buf, sizeof(buf));                                                           \
        fn(&a_);                                                                                   \
        size_t len_ = 0;                                                                           \
        const char *why_ = NULL;                                                                   \
        if (aml_finish(&a_, &len_, &why_))                                                         \
            fail_msg("AML error: %s", why_);                                                       \
        assert_int_equal(len_, sizeof(want_));                                                     \
        assert_memory_equal(buf, want_, sizeof(want_));                                            \
    } while (0)

static void expect_error(void (*fn)(struct aml *), const char *needle)
{
    struct aml a;
    aml_init(&a, buf, sizeof(buf));
    fn(&a);
    size_t len;
    const char *why = NULL;
    assert_int_equal(aml_finish(&a, &len, &why), -1);
    if (!why || !strstr(why, needle))
        fail_msg("reason '%s' lacks '%s'", why ? why : "(null)", needle);
}

/* Decodes a PkgLength: its value and how many bytes it took. */
static uint32_t decode_pkglength(const uint8_t *p, unsigned *n)
{
    unsigned follow = p[0] >> 6;
    *n = follow + 1;
    if (!follow)
        return p[0] & 0x3F;
    uint32_t v = p[0] & 0x0F;
    for (unsigned i = 1; i <= follow; i++)
        v |= (uint32_t)p[i] << (4 + 8 * (i - 1));
    return v;
}

static void pkglength_encodings(void **state)
{
    (void)state;
    struct {
        uint32_t content;
        unsigned n;
        uint8_t bytes[4];
    } cases[] = {
        {0, 1, {0x01}},
        {62, 1, {0x3F}},                  /* 63: the largest one-byte value */
        {63, 2, {0x41, 0x04}},            /* 64 would not fit, so 65 in two */
        {4093, 2, {0x4F, 0xFF}},          /* 4095: the largest two-byte value */
        {4094, 3, {0x81, 0x00, 0x01}},    /* 4097 */
        {0xFFFFC, 3, {0x8F, 0xFF, 0xFF}}, /* 0xFFFFF: largest three-byte */
        {0xFFFFD, 4, {0xC1, 0x00, 0x00, 0x01}},
        {0xFFFFFFB, 4, {0xCF, 0xFF, 0xFF, 0xFF}},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint8_t out[4] = {0};
        unsigned n = aml_pkglength(cases[i].content, out);
        assert_int_equal(n, cases[i].n);
        assert_memory_equal(out, cases[i].bytes, n);
        unsigned dn;
        assert_int_equal(decode_pkglength(out, &dn), cases[i].content + n);
        assert_int_equal(dn, n);
    }
    uint8_t out[4];
    assert_int_equal(aml_pkglength(0xFFFFFFC, out), 0);
    assert_int_equal(aml_pkglength(0xFFFFFFFF, out), 0);
}

/* Scope (\) {raw bytes}: the PkgLength the emitter patches in covers exactly
 * the rest of the construct, on both sides of every encoding boundary. */
static void pkglength_backpatch_boundaries(void **state)
{
    (void)state;
    const uint32_t contents[] = {62, 63, 64, 4093, 4094, 4095, 4096, 0xFFFFC, 0xFFFFD, 0x100000};
    size_t cap = 0x100100;
    uint8_t *big = malloc(cap);
    uint8_t *fill = calloc(1, cap);
    for (size_t i = 0; i < sizeof(contents) / sizeof(contents[0]); i++) {
        struct aml a;
        aml_init(&a, big, cap);
        aml_begin_scope(&a, "\\"); /* name: 5C 00 */
        aml_bytes(&a, fill, contents[i] - 2);
        aml_end(&a);
        size_t len;
        const char *why;
        assert_int_equal(aml_finish(&a, &len, &why), 0);
        assert_int_equal(big[0], AML_SCOPE_OP);
        unsigned n;
        uint32_t v = decode_pkglength(big + 1, &n);
        assert_int_equal(v, len - 1);
        assert_int_equal(v, contents[i] + n);
        assert_int_equal(big[1 + n], 0x5C);
        assert_int_equal(big[2 + n], 0x00);
    }
    free(fill);
    free(big);
}

static void ints(struct aml *a)
{
    aml_integer(a, 0);
    aml_integer(a, 1);
    aml_integer(a, 2);
    aml_integer(a, 0xFF);
    aml_integer(a, 0x100);
    aml_integer(a, 0xFFFF);
    aml_integer(a, 0x10000);
    aml_integer(a, 0xFFFFFFFF);
    aml_integer(a, 0x100000000ull);
    aml_integer(a, UINT64_MAX);
}

static void integers(void **state)
{
    (void)state;
    EXPECT_AML(ints, 0x00, 0x01, 0x0A, 0x02, 0x0A, 0xFF, 0x0B, 0x00, 0x01, 0x0B, 0xFF, 0xFF, 0x0C,
               0x00, 0x00, 0x01, 0x00, 0x0C, 0xFF, 0xFF, 0xFF, 0xFF, 0x0E, 0x00, 0x00, 0x00, 0x00,
               0x01, 0x00, 0x00, 0x00, 0x0E, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF);
}

static void n_short(struct aml *a)
{
    aml_name_string(a, "_S5");
}
static void n_rooted(struct aml *a)
{
    aml_name_string(a, "\\_SB");
}
static void n_dual(struct aml *a)
{
    aml_name_string(a, "\\_SB.VMBS");
}
static void n_multi(struct aml *a)
{
    aml_name_string(a, "\\_SB.PCI0.ISA");
}
static void n_parent(struct aml *a)
{
    aml_name_string(a, "^^A1.B");
}
static void n_root_only(struct aml *a)
{
    aml_name_string(a, "\\");
}

static void names(void **state)
{
    (void)state;
    EXPECT_AML(n_short, '_', 'S', '5', '_');
    EXPECT_AML(n_rooted, 0x5C, '_', 'S', 'B', '_');
    EXPECT_AML(n_dual, 0x5C, 0x2E, '_', 'S', 'B', '_', 'V', 'M', 'B', 'S');
    EXPECT_AML(n_multi, 0x5C, 0x2F, 3, '_', 'S', 'B', '_', 'P', 'C', 'I', '0', 'I', 'S', 'A', '_');
    EXPECT_AML(n_parent, 0x5E, 0x5E, 0x2E, 'A', '1', '_', '_', 'B', '_', '_', '_');
    EXPECT_AML(n_root_only, 0x5C, 0x00);
}

static void bad_empty(struct aml *a)
{
    aml_name_string(a, "");
}
static void bad_lower(struct aml *a)
{
    aml_name_string(a, "\\_sb");
}
static void bad_long(struct aml *a)
{
    aml_name_string(a, "VMBUS");
}
static void bad_digit(struct aml *a)
{
    aml_name_string(a, "1ABC");
}
static void bad_dots(struct aml *a)
{
    aml_name_string(a, "A..B");
}
static void bad_trailing(struct aml *a)
{
    aml_name_string(a, "\\_SB.");
}
static void bad_device_name(struct aml *a)
{
    aml_begin_device(a, "VM-B");
    aml_end(a);
}

static void bad_names(void **state)
{
    (void)state;
    expect_error(bad_empty, "empty AML name");
    expect_error(bad_lower, "invalid AML name");
    expect_error(bad_long, "invalid AML name");
    expect_error(bad_digit, "invalid AML name");
    expect_error(bad_dots, "invalid AML name");
    expect_error(bad_trailing, "invalid AML name");
    expect_error(bad_device_name, "invalid AML name");
}

static void name_hid(struct aml *a)
{
    aml_name(a, "_HID");
    aml_string(a, "VMBUS");
}
static void non_ascii(struct aml *a)
{
    aml_string(a, "caf\xc3\xa9");
}

static void strings_and_name(void **state)
{
    (void)state;
    EXPECT_AML(name_hid, 0x08, '_', 'H', 'I', 'D', 0x0D, 'V', 'M', 'B', 'U', 'S', 0x00);
    expect_error(non_ascii, "not ASCII");
}

static void pkg_s5(struct aml *a)
{
    aml_name(a, "\\_S5");
    aml_begin_package(a);
    aml_integer(a, 5);
    aml_integer(a, 5);
    aml_integer(a, 0);
    aml_integer(a, 0);
    aml_end(a);
}
static void pkg_nested(struct aml *a)
{
    aml_begin_package(a);
    aml_integer(a, 1);
    aml_begin_package(a);
    aml_string(a, "A");
    aml_name_string(a, "FOO");
    aml_end(a);
    aml_end(a);
}
static void pkg_empty(struct aml *a)
{
    aml_begin_package(a);
    aml_end(a);
}
static void pkg_too_many(struct aml *a)
{
    aml_begin_package(a);
    for (int i = 0; i < 256; i++)
        aml_integer(a, 0);
    aml_end(a);
}

static void packages(void **state)
{
    (void)state;
    /* Exactly what iasl emits for Name (\_S5, Package (4) {5, 5, 0, 0}). */
    EXPECT_AML(pkg_s5, 0x08, 0x5C, '_', 'S', '5', '_', 0x12, 0x08, 0x04, 0x0A, 0x05, 0x0A, 0x05,
               0x00, 0x00);
    /* An inner package is one element of the outer one. */
    EXPECT_AML(pkg_nested, 0x12, 0x0D, 0x02, 0x01, 0x12, 0x09, 0x02, 0x0D, 'A', 0x00, 'F', 'O', 'O',
               '_');
    EXPECT_AML(pkg_empty, 0x12, 0x02, 0x00);
    expect_error(pkg_too_many, "255");
}

static void buf_three(struct aml *a)
{
    static const uint8_t b[] = {1, 2, 3};
    aml_begin_buffer(a);
    aml_bytes(a, b, sizeof(b));
    aml_end(a);
}
static void buf_empty(struct aml *a)
{
    aml_begin_buffer(a);
    aml_end(a);
}
static void buf_big(struct aml *a)
{
    static const uint8_t zero[300];
    aml_begin_buffer(a);
    aml_bytes(a, zero, sizeof(zero));
    aml_end(a);
}
static void rt_empty(struct aml *a)
{
    aml_begin_resource_template(a);
    aml_end(a);
}

static void buffers(void **state)
{
    (void)state;
    EXPECT_AML(buf_three, 0x11, 0x06, 0x0A, 0x03, 0x01, 0x02, 0x03);
    EXPECT_AML(buf_empty, 0x11, 0x02, 0x00);
    /* Same as iasl's ResourceTemplate () {}. */
    EXPECT_AML(rt_empty, 0x11, 0x05, 0x0A, 0x02, 0x79, 0x00);
    struct aml a;
    aml_init(&a, buf, sizeof(buf));
    buf_big(&a);
    size_t len;
    const char *why;
    assert_int_equal(aml_finish(&a, &len, &why), 0);
    /* 300 bytes + WordPrefix size (3) = 303 + 2-byte PkgLength = 305 = 0x131. */
    static const uint8_t head[] = {0x11, 0x41, 0x13, 0x0B, 0x2C, 0x01};
    assert_memory_equal(buf, head, sizeof(head));
    assert_int_equal(len, 1 + 2 + 3 + 300);
}

static void qword(struct aml *a)
{
    aml_begin_resource_template(a);
    aml_qword_memory(a, true, AML_MEM_NONCACHEABLE, 0xF8000000, 0x06C00000);
    aml_end(a);
}
static void dword(struct aml *a)
{
    aml_begin_resource_template(a);
    aml_dword_memory(a, false, AML_MEM_CACHEABLE, 0xFED00000, 0x400);
    aml_end(a);
}
static void desc_outside(struct aml *a)
{
    aml_qword_memory(a, true, AML_MEM_NONCACHEABLE, 0, 4096);
}
static void desc_in_buffer(struct aml *a)
{
    aml_begin_buffer(a);
    aml_dword_memory(a, true, AML_MEM_NONCACHEABLE, 0, 4096);
    aml_end(a);
}
static void desc_empty(struct aml *a)
{
    aml_begin_resource_template(a);
    aml_qword_memory(a, true, AML_MEM_NONCACHEABLE, 0x1000, 0);
    aml_end(a);
}
static void desc_wraps(struct aml *a)
{
    aml_begin_resource_template(a);
    aml_dword_memory(a, true, AML_MEM_NONCACHEABLE, 0xFFFFF000, 0x2000);
    aml_end(a);
}

static void resource_descriptors(void **state)
{
    (void)state;
    /* Byte for byte what iasl compiles from QWordMemory (ResourceProducer,
     * PosDecode, MinFixed, MaxFixed, NonCacheable, ReadWrite, 0, 0xF8000000,
     * 0xFEBFFFFF, 0, 0x06C00000). */
    EXPECT_AML(qword, 0x11, 0x33, 0x0A, 0x30, 0x8A, 0x2B, 0x00, 0x00, 0x0C, 0x01, 0, 0, 0, 0, 0, 0,
               0, 0, 0x00, 0x00, 0x00, 0xF8, 0, 0, 0, 0, 0xFF, 0xFF, 0xBF, 0xFE, 0, 0, 0, 0, 0, 0,
               0, 0, 0, 0, 0, 0, 0x00, 0x00, 0xC0, 0x06, 0, 0, 0, 0, 0x79, 0x00);
    /* DWordMemory (ResourceConsumer, PosDecode, MinFixed, MaxFixed, Cacheable,
     * ReadWrite, 0, 0xFED00000, 0xFED003FF, 0, 0x400). */
    EXPECT_AML(dword, 0x11, 0x1F, 0x0A, 0x1C, 0x87, 0x17, 0x00, 0x00, 0x0D, 0x03, 0, 0, 0, 0, 0x00,
               0x00, 0xD0, 0xFE, 0xFF, 0x03, 0xD0, 0xFE, 0, 0, 0, 0, 0x00, 0x04, 0x00, 0x00, 0x79,
               0x00);
    expect_error(desc_outside, "outside a ResourceTemplate");
    expect_error(desc_in_buffer, "outside a ResourceTemplate");
    expect_error(desc_empty, "empty");
    expect_error(desc_wraps, "past 4 GiB");
}

static void dev(struct aml *a)
{
    aml_begin_scope(a, "\\_SB");
    aml_begin_device(a, "VMBS");
    aml_name(a, "_UID");
    aml_integer(a, 0);
    aml_end(a);
    aml_end(a);
}

static void scope_and_device(void **state)
{
    (void)state;
    EXPECT_AML(dev, 0x10, 0x13, 0x5C, '_', 'S', 'B', '_', 0x5B, 0x82, 0x0B, 'V', 'M', 'B', 'S',
               0x08, '_', 'U', 'I', 'D', 0x00);
}

static void end_without_begin(struct aml *a)
{
    aml_end(a);
}
static void left_open(struct aml *a)
{
    aml_begin_scope(a, "\\_SB");
}
static void too_deep(struct aml *a)
{
    for (int i = 0; i <= AML_MAX_DEPTH; i++)
        aml_begin_package(a);
    for (int i = 0; i <= AML_MAX_DEPTH; i++)
        aml_end(a);
}

static void nesting_errors(void **state)
{
    (void)state;
    expect_error(end_without_begin, "without an open construct");
    expect_error(left_open, "left open");
    expect_error(too_deep, "too deep");
}

/* A table fragment using every construct. */
static void program(struct aml *a)
{
    aml_name(a, "\\_S5");
    aml_begin_package(a);
    aml_integer(a, 5);
    aml_integer(a, 0x12345678);
    aml_end(a);
    aml_begin_scope(a, "\\_SB");
    aml_begin_device(a, "VMOD");
    aml_name(a, "_HID");
    aml_string(a, "ACPI0004");
    aml_name(a, "_CRS");
    aml_begin_resource_template(a);
    aml_qword_memory(a, true, AML_MEM_NONCACHEABLE, 0xFC00000000ull, 0x400000000ull);
    aml_dword_memory(a, true, AML_MEM_NONCACHEABLE, 0xF8000000, 0x1000000);
    aml_end(a);
    aml_end(a);
    aml_end(a);
}

/* At every capacity: either the exact full output, or an overflow error and not
 * one byte written past the capacity (exact-size heap buffers for ASan). */
static void overflow_at_every_size(void **state)
{
    (void)state;
    struct aml a;
    aml_init(&a, buf, sizeof(buf));
    program(&a);
    size_t full;
    const char *why;
    assert_int_equal(aml_finish(&a, &full, &why), 0);
    uint8_t ref[256];
    assert_true(full <= sizeof(ref));
    memcpy(ref, buf, full);
    for (size_t cap = 0; cap <= full + 2; cap++) {
        uint8_t *b = malloc(cap ? cap : 1);
        aml_init(&a, b, cap);
        program(&a);
        size_t len = 0;
        why = NULL;
        int rc = aml_finish(&a, &len, &why);
        if (cap < full) {
            assert_int_equal(rc, -1);
            assert_string_equal(why, "AML buffer overflow");
        } else {
            assert_int_equal(rc, 0);
            assert_int_equal(len, full);
            assert_memory_equal(b, ref, full);
        }
        free(b);
    }
}

/* After an error, nothing more is emitted and the first reason is kept. */
static void errors_are_sticky(void **state)
{
    (void)state;
    struct aml a;
    aml_init(&a, buf, sizeof(buf));
    aml_integer(&a, 7);
    aml_name_string(&a, "bad name");
    size_t at = a.len;
    aml_integer(&a, 1);
    aml_begin_scope(&a, "\\_SB");
    aml_end(&a);
    aml_end(&a);
    assert_int_equal(a.len, at);
    size_t len;
    const char *why;
    assert_int_equal(aml_finish(&a, &len, &why), -1);
    assert_string_equal(why, "invalid AML name");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(pkglength_encodings),
        cmocka_unit_test(pkglength_backpatch_boundaries),
        cmocka_unit_test(integers),
        cmocka_unit_test(names),
        cmocka_unit_test(bad_names),
        cmocka_unit_test(strings_and_name),
        cmocka_unit_test(packages),
        cmocka_unit_test(buffers),
        cmocka_unit_test(resource_descriptors),
        cmocka_unit_test(scope_and_device),
        cmocka_unit_test(nesting_errors),
        cmocka_unit_test(overflow_at_every_size),
        cmocka_unit_test(errors_are_sticky),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
