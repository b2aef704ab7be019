/* hv/lib: formatting, strings, CRC-32, the page heap, the log line format, the
 * log budgets, the summary registry. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/crc32.h"
#include "lib/fmt.h"
#include "lib/heap.h"
#include "lib/log.h"
#include "lib/log_once.h"
#include "lib/str.h"
#include "lib/summary.h"

static char logged[1024];
static size_t logged_len;

void console_write(const char *s, size_t n)
{
    memcpy(logged + logged_len, s, n);
    logged_len += n;
    logged[logged_len] = '\0';
}

#define FMT(expect, ...)                                                                           \
    do {                                                                                           \
        char b[128];                                                                               \
        int n = fmt_snprintf(b, sizeof(b), __VA_ARGS__);                                           \
        assert_string_equal(b, expect);                                                            \
        assert_int_equal(n, (int)strlen(expect));                                                  \
    } while (0)

static void formats(void **state)
{
    (void)state;
    FMT("42 -7 0 2147483647 -2147483648", "%d %i %d %d %d", 42, -7, 0, 2147483647,
        (int)-2147483648);
    FMT("ffffffff 4294967295", "%x %u", 0xffffffffu, 0xffffffffu);
    FMT("0x00001234 ABCD", "0x%08x %X", 0x1234, 0xabcd);
    FMT("18446744073709551615 -9223372036854775808", "%llu %lld", 18446744073709551615ull,
        (long long)INT64_MIN);
    FMT("ffffffffffffffff", "%lx", ~0ul);
    FMT("[  ab] [ab  ] [abc]", "[%4s] [%-4s] [%.3s]", "ab", "ab", "abcdef");
    FMT("[xy]", "[%.*s]", 2, "xyz");
    {
        /* precision bounds the read: the bytes need no terminator */
        char *unterminated = malloc(3);
        memcpy(unterminated, "abc", 3);
        FMT("[abc]", "[%.*s]", 3, unterminated);
        free(unterminated);
    }
/* Deliberately odd formats: what the formatter does with them is the test. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat"
#pragma GCC diagnostic ignored "-Wformat-overflow"
#pragma GCC diagnostic ignored "-Wformat-extra-args"
    FMT("(null) % %q c", "%s %% %q %c", (char *)NULL, 'c');
    FMT("[  -5] [-5  ] [-005]", "[%4d] [%-4d] [%04d]", -5, -5, -5);
    FMT("17 0x10", "%zu %p", (size_t)17, (void *)0x10);
    FMT("end", "end%");
#pragma GCC diagnostic pop
}

static void truncation(void **state)
{
    (void)state;
    char b[8];
    memset(b, 'z', sizeof(b));
    assert_int_equal(fmt_snprintf(b, sizeof(b), "%s", "0123456789"), 10);
    assert_string_equal(b, "0123456");
    assert_int_equal(fmt_snprintf(b, 0, "abc"), 3);
    assert_int_equal(b[0], '0'); /* cap 0: untouched */
    assert_int_equal(fmt_snprintf(b, 1, "abc"), 3);
    assert_string_equal(b, "");
}

static void strings(void **state)
{
    (void)state;
    char d[4];
    assert_int_equal(str_len("abc"), 3);
    assert_int_equal(str_nlen("abcdef", 4), 4);
    assert_true(str_eq("a", "a"));
    assert_false(str_eq("a", "ab"));
    assert_true(str_eq_n("memory_mb=1", 9, "memory_mb"));
    assert_false(str_eq_n("memory", 6, "memory_mb"));
    assert_false(str_eq_n("memory_mbx", 10, "memory_mb"));
    assert_true(str_copy_n(d, sizeof(d), "abc", 3));
    assert_string_equal(d, "abc");
    assert_false(str_copy_n(d, sizeof(d), "abcd", 4));
    assert_false(str_copy_n(d, 0, "", 0));
}

static void crc(void **state)
{
    (void)state;
    assert_int_equal(crc32("", 0), 0);
    assert_int_equal(crc32("123456789", 9), 0xcbf43926u); /* the standard check value */
    assert_int_equal(crc32("The quick brown fox jumps over the lazy dog", 43), 0x414fa339u);
}

static void heap_pages(void **state)
{
    (void)state;
    uint8_t *mem = aligned_alloc(PAGE_SIZE, 8 * PAGE_SIZE);
    memset(mem, 0xaa, 8 * PAGE_SIZE);
    struct heap h;
    /* an unaligned start loses its partial page */
    heap_init(&h, (uint64_t)(uintptr_t)mem + 100, 8 * PAGE_SIZE - 100);
    assert_int_equal(h.base, (uint64_t)(uintptr_t)mem + PAGE_SIZE);
    assert_int_equal(h.size, 7 * PAGE_SIZE);
    uint8_t *a = heap_alloc_pages(&h, 3);
    assert_ptr_equal(a, mem + PAGE_SIZE);
    for (size_t i = 0; i < 3 * PAGE_SIZE; i++)
        assert_int_equal(a[i], 0);
    assert_null(heap_alloc_pages(&h, 5));
    assert_null(heap_alloc_pages(&h, 0));
    assert_null(heap_alloc_pages(&h, SIZE_MAX / 2));
    assert_non_null(heap_alloc_pages(&h, 4));
    assert_null(heap_alloc_pages(&h, 1));
    free(mem);
}

static void log_lines(void **state)
{
    (void)state;
    logged_len = 0;
    hv_log("svm", "revision %u", 1);
    assert_string_equal(logged, "hv: svm: revision 1\n");

    char big[600];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    logged_len = 0;
    hv_log("area", "%s", big);
    assert_int_equal(logged_len, 255); /* truncated, still one line */
    assert_int_equal(logged[254], '\n');
}

static void budgets(void **state)
{
    (void)state;
    struct log_budget b = LOG_BUDGET(3, " (further such lines not reported)");
    assert_string_equal(log_budget_take(&b), "");
    assert_string_equal(log_budget_take(&b), "");
    assert_string_equal(log_budget_take(&b), " (further such lines not reported)");
    assert_null(log_budget_take(&b));
    assert_null(log_budget_take(&b));
    assert_int_equal(b.dropped, 2);
    log_budget_reset(&b);
    assert_string_equal(log_budget_take(&b), "");

    static struct log_once s = LOG_ONCE(" (further reasons not reported)");
    assert_string_equal(log_once_take(&s, 1, 2), "");
    assert_null(log_once_take(&s, 1, 2)); /* seen: not counted as dropped */
    assert_string_equal(log_once_take(&s, 2, 1), "");
    for (uint64_t i = 3; i < LOG_ONCE_MAX; i++)
        assert_string_equal(log_once_take(&s, i, 0), "");
    assert_string_equal(log_once_take(&s, 99, 99), " (further reasons not reported)");
    assert_null(log_once_take(&s, 100, 100));
    assert_int_equal(s.dropped, 1);
    log_once_reset(&s);
    assert_string_equal(log_once_take(&s, 1, 2), "");

    struct log_once few = LOG_ONCE_N(2, " (further ports not reported)");
    assert_string_equal(log_once_take(&few, 1, 0), "");
    assert_string_equal(log_once_take(&few, 2, 0), " (further ports not reported)");
    assert_null(log_once_take(&few, 3, 0));
    assert_int_equal(few.dropped, 1);
}

static size_t part_a(char *buf, size_t cap)
{
    return (size_t)fmt_snprintf(buf, cap, " a=%u", 1u);
}

static size_t part_b(char *buf, size_t cap)
{
    return (size_t)fmt_snprintf(buf, cap, " bb=%u", 22u);
}

static void summary_parts(void **state)
{
    (void)state;
    char buf[32];
    summary_reset();
    assert_int_equal(summary_text(buf, sizeof(buf)), 0);
    assert_string_equal(buf, "");
    assert_int_equal(summary_add(part_a), 0);
    assert_int_equal(summary_add(part_b), 0);
    assert_int_equal(summary_add(part_a), 0); /* once */
    assert_int_equal(summary_text(buf, sizeof(buf)), 10);
    assert_string_equal(buf, " a=1 bb=22");
    assert_int_equal(summary_text(buf, 6), 10); /* cut, whole length still told */
    assert_string_equal(buf, " a=1 ");
    assert_int_equal(summary_text(NULL, 0), 10);
    logged_len = 0;
    summary_write(2);
    assert_string_equal(logged, "hv: summary a=1 bb=22 verdict=2\n");
    summary_reset();
}

static size_t part_long(char *buf, size_t cap)
{
    char big[1100];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    return (size_t)fmt_snprintf(buf, cap, " long=%s", big);
}

/* A line too long for the buffer is cut, still one line. */
static void summary_cut(void **state)
{
    (void)state;
    summary_reset();
    assert_int_equal(summary_add(part_long), 0);
    logged_len = 0;
    summary_write(0);
    assert_int_equal(logged_len, 1023);
    assert_int_equal(logged[1022], '\n');
    assert_null(strstr(logged, "verdict="));
    summary_reset();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(formats), cmocka_unit_test(truncation),    cmocka_unit_test(strings),
        cmocka_unit_test(crc),     cmocka_unit_test(heap_pages),    cmocka_unit_test(log_lines),
        cmocka_unit_test(budgets), cmocka_unit_test(summary_parts), cmocka_unit_test(summary_cut),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
