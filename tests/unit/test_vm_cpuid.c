/* The guest's CPUID: hypervisor bit on, SVM/VMX/MONITOR hidden, features
 * whose MSRs are not the guest's hidden (x2APIC, TSC deadline, MCE/MCA,
 * APERF/MPERF, TSC_ADJUST, performance counters, SME/SEV), MAXPHYADDR at
 * most what the nested page tables cover, no foreign hypervisor leaves,
 * everything else the host's. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "vm/cpuid.h"

static struct cpuid_result all_ones(void)
{
    return (struct cpuid_result){~0u, ~0u, ~0u, ~0u};
}

static void leaf1(void **state)
{
    (void)state;
    struct cpuid_result r = {0x00a00f11, 0x00010800, 0x7ed8320b & ~(1u << 31), 0x178bfbff};
    cpuid_policy(1, 0, &r);
    assert_true(r.ecx & (1u << 31));
    assert_false(r.ecx & (1u << 3));
    assert_false(r.ecx & (1u << 5));
    assert_false(r.ecx & (1u << 21)); /* x2APIC */
    assert_false(r.ecx & (1u << 24)); /* TSC deadline */
    assert_int_equal(r.eax, 0x00a00f11);
    assert_int_equal(r.edx, 0x178bfbff & ~((1u << 7) | (1u << 14))); /* no MCE, MCA */
    uint32_t hidden = (1u << 31) | (1u << 3) | (1u << 5) | (1u << 21) | (1u << 24);
    assert_int_equal(r.ecx & ~hidden, 0x7ed8320b & ~hidden);
}

static void msr_features_hidden(void **state)
{
    (void)state;
    struct cpuid_result r = all_ones();
    cpuid_policy(6, 0, &r);
    assert_int_equal(r.ecx, ~1u); /* APERF/MPERF */
    r = all_ones();
    cpuid_policy(7, 0, &r);
    assert_int_equal(r.ebx, ~(1u << 1)); /* TSC_ADJUST */
    r = all_ones();
    cpuid_policy(7, 1, &r);
    assert_int_equal(r.ebx, ~0u); /* other subleaves untouched */
    r = all_ones();
    cpuid_policy(0xa, 0, &r);
    assert_int_equal(r.eax | r.ebx | r.ecx | r.edx, 0);
    r = all_ones();
    cpuid_policy(0x8000001f, 0, &r);
    assert_int_equal(r.eax | r.ebx | r.ecx | r.edx, 0);
}

static void phys_bits_clamped(void **state)
{
    (void)state;
    struct cpuid_result r = {0x00003034, 1, 2, 3}; /* 52 physical, 48 virtual bits */
    cpuid_policy(0x80000008, 0, &r);
    assert_int_equal(r.eax, 0x3000 | GUEST_PHYS_BITS_MAX);
    r = (struct cpuid_result){0x00283028, 1, 2, 3}; /* 40 bits, a guest width of 40 */
    cpuid_policy(0x80000008, 0, &r);
    assert_int_equal(r.eax, 0x3028);
    assert_int_equal(r.ebx, 1);
}

static void svm_hidden(void **state)
{
    (void)state;
    struct cpuid_result r = all_ones();
    cpuid_policy(0x80000001, 0, &r);
    assert_int_equal(r.ecx, ~((1u << 2) | (3u << 23))); /* SVM, core and NB counters */
    assert_int_equal(r.edx, ~((1u << 7) | (1u << 14)));
    r = all_ones();
    cpuid_policy(0x8000000a, 0, &r);
    assert_int_equal(r.eax | r.ebx | r.ecx | r.edx, 0);
}

static void hypervisor_range_is_empty(void **state)
{
    (void)state;
    const uint32_t leaves[] = {0x40000000, 0x40000001, 0x40000100, 0x40000081, 0x4fffffff};
    for (unsigned i = 0; i < sizeof(leaves) / sizeof(leaves[0]); i++) {
        struct cpuid_result r = all_ones();
        cpuid_policy(leaves[i], 0, &r);
        assert_int_equal(r.eax | r.ebx | r.ecx | r.edx, 0);
    }
    struct cpuid_result r = all_ones();
    cpuid_policy(0x50000000, 0, &r);
    assert_int_equal(r.eax, ~0u); /* outside the range: untouched */
    r = all_ones();
    cpuid_policy(0xd, 0, &r);
    assert_int_equal(r.ebx, ~0u);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(leaf1),
        cmocka_unit_test(svm_hidden),
        cmocka_unit_test(hypervisor_range_is_empty),
        cmocka_unit_test(msr_features_hidden),
        cmocka_unit_test(phys_bits_clamped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
