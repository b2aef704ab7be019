/* The trapped-MMIO registry and its emulation over a fake guest: RAM with
 * long-mode page tables mapping a code page, nested page tables with the
 * void, and a fake device recording what it is asked. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "vm/mmio_trap.h"

#include "fixture.h"

#define RAM       (1u << 20)
#define TRAP      0xfe002000ull /* two pages */
#define LAPIC     0xfee00000ull
#define CODE_VA   0xffffffff81000000ull
#define CODE_GPA  0x8000ull
#define MMIO_VA   0xffffc90000000000ull /* where the guest mapped TRAP */
#define NPF_READ  0x4ull                /* user, not present */
#define NPF_WRITE 0x6ull
enum { RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8, R9, R10, R11, R12, R13, R14, R15 };

static struct guest_mem gm;
static void *heap_mem;
static struct heap heap;
static struct ptable npt;
static uint8_t *void_page;
static bool flush;

static void npt_changed(void)
{
    flush = true;
}
static uint64_t regs[16], rip;
static struct mmio_cpu cpu;

static struct device {
    unsigned reads, writes;
    uint64_t off, val, ret;
    unsigned size;
} dev;

static uint64_t dev_read(void *ctx, uint64_t off, unsigned size)
{
    struct device *d = ctx;
    d->reads++;
    d->off = off;
    d->size = size;
    return d->ret;
}

static void dev_write(void *ctx, uint64_t off, unsigned size, uint64_t val)
{
    struct device *d = ctx;
    d->writes++;
    d->off = off;
    d->size = size;
    d->val = val;
}

static const struct mmio_trap_ops ops = {dev_read, dev_write};

static void put64(uint64_t gpa, uint64_t v)
{
    memcpy(gm.host + gpa, &v, 8);
}

/* va -> gpa, 4 KiB, through PML4 0x1000, PDPT 0x2000, PD 0x3000, PT 0x4000
 * (the code's pages share all but the PT's entry). */
static void guest_map(uint64_t va, uint64_t gpa)
{
    put64(0x1000 + ((va >> 39) & 511) * 8, 0x2003);
    put64(0x2000 + ((va >> 30) & 511) * 8, 0x3003);
    put64(0x3000 + ((va >> 21) & 511) * 8, 0x4003);
    put64(0x4000 + ((va >> 12) & 511) * 8, gpa | 3);
}

static int setup(void **state)
{
    (void)state;
    gm.host = aligned_alloc(4096, RAM);
    gm.size = RAM;
    memset(gm.host, 0, RAM);
    guest_map(CODE_VA, CODE_GPA);
    guest_map(CODE_VA + 0x1000, CODE_GPA + 0x1000);
    heap_mem = aligned_alloc(4096, 64 * 4096);
    heap_init(&heap, (uint64_t)(uintptr_t)heap_mem, 64 * 4096);
    void_page = aligned_alloc(4096, 4096);
    memset(&npt, 0, sizeof(npt));
    if (ptable_init(&npt, &heap) || ptable_void_init(&npt, (uint64_t)(uintptr_t)void_page, 4) ||
        ptable_map(&npt, 0, 0x40000000, RAM, 6) || ptable_map(&npt, LAPIC, LAPIC, 4096, 6))
        return -1;
    memset(regs, 0, sizeof(regs));
    rip = CODE_VA;
    cpu = (struct mmio_cpu){.rip = &rip,
                            .cr0 = 0x80000001,
                            .cr3 = 0x1000,
                            .cr4 = 0x20,
                            .efer = 0x500,
                            .cs_attrib = 0x29b}; /* 64-bit code: L */
    for (unsigned i = 0; i < 16; i++)
        cpu.gpr[i] = &regs[i];
    dev = (struct device){0};
    flush = false;
    mmio_trap_init(&gm);
    log_reset();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    free(gm.host);
    free(heap_mem);
    free(void_page);
    return 0;
}

/* The instruction at CODE_VA + at, run against a fault at gpa. */
static enum mmio_trap_result run_at(uint64_t at, const uint8_t *code, size_t n, uint64_t gpa,
                                    uint64_t npf_error)
{
    memcpy(gm.host + CODE_GPA + at, code, n);
    rip = CODE_VA + at;
    const char *why = NULL;
    enum mmio_trap_result r = mmio_trap_fault(gpa, npf_error, &cpu, &why);
    if (r == MMIO_REFUSED)
        assert_non_null(strstr(why, "cannot be emulated"));
    return r;
}

#define RUN(gpa, err, ...)                                                                         \
    run_at(0, (const uint8_t[]){__VA_ARGS__}, sizeof((uint8_t[]){__VA_ARGS__}), gpa, err)

static bool hole(uint64_t gpa)
{
    uint64_t pa, flags, size;
    return ptable_lookup(&npt, gpa, &pa, &flags, &size) == -1;
}

static bool void_at(uint64_t gpa)
{
    uint64_t pa, flags, size;
    return !ptable_lookup(&npt, gpa, &pa, &flags, &size) &&
           (pa & ~0xfffull) == (uint64_t)(uintptr_t)void_page;
}

/* A range added before the tables exist over what they map: refused then. */
static void attach_refuses_a_mapped_page(void **state)
{
    (void)state;
    assert_int_equal(mmio_trap_add(LAPIC, 4096, &ops, &dev), 0);
    assert_int_equal(mmio_trap_attach(&npt, npt_changed), -1);
    assert_int_equal(
        log_count("hv: npt: cannot trap 0xfee00000+0x1000: a page of it is mapped, or no heap\n"),
        1);
    assert_false(hole(LAPIC));
}

static void add_refusals(void **state)
{
    (void)state;
    struct device other;
    assert_int_equal(mmio_trap_add(TRAP + 1, 4096, &ops, &dev), -1);
    assert_int_equal(mmio_trap_add(TRAP, 4095, &ops, &dev), -1);
    assert_int_equal(mmio_trap_add(TRAP, 0, &ops, &dev), -1);
    assert_int_equal(mmio_trap_add(TRAP, MMIO_TRAP_MAX_LEN + 4096, &ops, &dev), -1);
    assert_int_equal(mmio_trap_add(RAM - 4096, 8192, &ops, &dev), -1); /* RAM's last page */
    assert_int_equal(mmio_trap_add(0, 4096, &ops, &dev), -1);
    assert_int_equal(mmio_trap_add(1ull << 48, 4096, &ops, &dev), -1);
    assert_int_equal(mmio_trap_add((1ull << 48) - 4096, 8192, &ops, &dev), -1);
    assert_int_equal(mmio_trap_add(~0ull & ~0xfffull, 8192, &ops, &dev), -1); /* wraps */
    assert_int_equal(mmio_trap_add(TRAP, 4096, NULL, &dev), -1);
    const struct mmio_trap_ops half = {dev_read, NULL};
    assert_int_equal(mmio_trap_add(TRAP, 4096, &half, &dev), -1);
    /* none of them trapped anything */
    assert_int_equal(RUN(TRAP, NPF_READ, 0x8b, 0x07), MMIO_NOT_TRAPPED);

    assert_int_equal(mmio_trap_add(TRAP, 8192, &ops, &dev), 0);
    assert_int_equal(mmio_trap_add(TRAP, 8192, &ops, &other), -1);
    assert_int_equal(mmio_trap_add(TRAP - 4096, 8192, &ops, &other), -1); /* overlaps below */
    assert_int_equal(mmio_trap_add(TRAP + 4096, 8192, &ops, &other), -1); /* and above */
    assert_int_equal(mmio_trap_add(TRAP - 4096, 4096, &ops, &other), 0);  /* adjacent: fine */
    assert_int_equal(mmio_trap_add(TRAP + 8192, 4096, &ops, &other), 0);
    /* what a mapping must keep off (hv/guest.c's map_mmio) */
    assert_true(mmio_trap_overlaps(TRAP + 4096, 1));
    assert_true(mmio_trap_overlaps(TRAP - 8192, 8192 + 1));
    assert_false(mmio_trap_overlaps(TRAP + 12288, 4096));
    assert_false(mmio_trap_overlaps(TRAP - 12288, 8192));
    for (unsigned i = 3; i < MMIO_TRAPS; i++)
        assert_int_equal(mmio_trap_add(0x100000000ull + i * 4096, 4096, &ops, &other), 0);
    assert_int_equal(mmio_trap_add(0x200000000ull, 4096, &ops, &other), -1); /* no room */
    mmio_trap_remove(0x100000000ull + 3 * 4096, 4096);
    assert_int_equal(mmio_trap_add(0x200000000ull, 4096, &ops, &other), 0);
}

static void holes_in_the_nested_tables(void **state)
{
    (void)state;
    /* added before the tables exist: attach makes the hole */
    assert_int_equal(mmio_trap_add(TRAP, 8192, &ops, &dev), 0);
    assert_int_equal(mmio_trap_attach(&npt, npt_changed), 0);
    assert_true(flush);
    assert_true(hole(TRAP) && hole(TRAP + 4096));
    /* the void backs the neighbours on their first touch; the hole stays */
    assert_int_equal(ptable_map_void(&npt, TRAP + 8192), 0);
    assert_int_equal(ptable_map_void(&npt, TRAP - 4096), 0);
    assert_true(void_at(TRAP + 8192) && void_at(TRAP - 4096));
    assert_true(hole(TRAP) && hole(TRAP + 4096));
    /* a range the void reached first (one entry high up, shared): a hole
     * in tables of its own, the void all around it */
    const uint64_t far = 0x4000000000ull;
    assert_int_equal(ptable_map_void(&npt, far), 0);
    assert_true(void_at(far) && void_at(far + 4096));
    assert_int_equal(mmio_trap_add(far, 4096, &ops, &dev), 0);
    assert_true(hole(far));
    assert_true(void_at(far + 4096) && void_at(far + (2ull << 20)) && void_at(far + 0x3ffff000));
    /* out of heap half-way (the first page's table exists, the second's
     * does not): refused, the first page back to the void */
    while (heap_alloc_pages(&heap, 1))
        ;
    const uint64_t edge = far + (2ull << 20) - 4096;
    assert_int_equal(mmio_trap_add(edge, 8192, &ops, &dev), -1);
    assert_true(void_at(edge) && void_at(edge + 4096));
    assert_int_equal(mmio_trap_fault(edge, NPF_READ, &cpu, &(const char *){NULL}),
                     MMIO_NOT_TRAPPED);
    mmio_trap_remove(far, 4096);
    /* removed: the void again; added again: a hole again, no new tables */
    flush = false;
    uint64_t used = heap.used;
    mmio_trap_remove(TRAP, 8192);
    assert_true(flush);
    assert_true(void_at(TRAP) && void_at(TRAP + 4096));
    assert_int_equal(RUN(TRAP, NPF_READ, 0x8b, 0x07), MMIO_NOT_TRAPPED);
    flush = false;
    assert_int_equal(mmio_trap_add(TRAP, 8192, &ops, &dev), 0);
    assert_true(flush);
    assert_true(hole(TRAP) && hole(TRAP + 4096));
    mmio_trap_remove(TRAP, 8192);
    assert_int_equal(heap.used, used);
    /* a range over a mapped page is refused, the mapping kept */
    assert_int_equal(mmio_trap_add(LAPIC - 4096, 8192, &ops, &dev), -1);
    assert_false(hole(LAPIC));
    assert_true(hole(LAPIC - 4096)); /* never touched: not present, and no hole made */
    assert_int_equal(ptable_map_void(&npt, LAPIC - 4096), 0);
    /* removing what was not added: logged, nothing changes */
    assert_int_equal(mmio_trap_add(TRAP, 8192, &ops, &dev), 0);
    mmio_trap_remove(TRAP, 4096);
    assert_int_equal(log_count("hv: npt: no trapped range 0xfe002000+0x1000 to remove"), 1);
    assert_true(hole(TRAP));
    dev.ret = 7;
    regs[RDI] = MMIO_VA;
    assert_int_equal(RUN(TRAP, NPF_READ, 0x8b, 0x07), MMIO_EMULATED);
}

/* A load's register write-back, by size and extension. */
static void loads(void **state)
{
    (void)state;
    assert_int_equal(mmio_trap_add(TRAP, 8192, &ops, &dev), 0);
    const uint64_t ones = 0x1111111111111111ull;
    regs[RDI] = MMIO_VA + 0x1010;
    regs[RAX] = ~0ull;
    dev.ret = 0xdeadbeef12345678ull; /* a device's stray high bits never reach the guest */
    assert_int_equal(RUN(TRAP + 0x1010, NPF_READ, 0x8b, 0x07), MMIO_EMULATED); /* readl */
    assert_int_equal(regs[RAX], 0x12345678);
    assert_int_equal(rip, CODE_VA + 2);
    assert_int_equal(dev.off, 0x1010);
    assert_int_equal(dev.size, 4);

    struct {
        const uint8_t code[5];
        unsigned n, reg, size;
        uint64_t ret, want;
    } cases[] = {
        {{0x8a, 0x07}, 2, RAX, 1, 0xffab, 0x11111111111111abull},                   /* readb */
        {{0x8a, 0x27}, 2, RAX, 1, 0xab, 0x111111111111ab11ull},                     /* into %ah */
        {{0x8a, 0x3f}, 2, RBX, 1, 0xab, 0x111111111111ab11ull},                     /* into %bh */
        {{0x40, 0x8a, 0x37}, 3, RSI, 1, 0xab, 0x11111111111111abull},               /* into %sil */
        {{0x66, 0x8b, 0x07}, 3, RAX, 2, 0x8001, 0x1111111111118001ull},             /* readw */
        {{0x66, 0x45, 0x8b, 0x17}, 4, R10, 2, 0xbeef, 0x111111111111beefull},       /* into %r10w */
        {{0x44, 0x8b, 0x27}, 3, R12, 4, 0x80000000, 0x80000000ull},                 /* into %r12d */
        {{0x48, 0x8b, 0x07}, 3, RAX, 8, 0x8000000000000001, 0x8000000000000001ull}, /* readq */
        {{0x4c, 0x8b, 0x3f}, 3, R15, 8, 42, 42},                                    /* into %r15 */
        {{0x0f, 0xb6, 0x07}, 3, RAX, 1, 0xff80, 0x80},                              /* movzbl */
        {{0x0f, 0xb7, 0x07}, 3, RAX, 2, 0x18000, 0x8000},                           /* movzwl */
        {{0x48, 0x0f, 0xb6, 0x07}, 4, RAX, 1, 0xfe, 0xfe},                          /* movzbq */
        {{0x66, 0x0f, 0xb6, 0x07}, 4, RAX, 1, 0xfe, 0x11111111111100feull},         /* movzbw */
        {{0x0f, 0xbe, 0x07}, 3, RAX, 1, 0x80, 0xffffff80ull},                       /* movsbl */
        {{0x0f, 0xbe, 0x07}, 3, RAX, 1, 0x7f, 0x7f},                          /* movsbl, positive */
        {{0x0f, 0xbf, 0x07}, 3, RAX, 2, 0x8000, 0xffff8000ull},               /* movswl */
        {{0x4c, 0x0f, 0xbf, 0x1f}, 4, R11, 2, 0x8000, 0xffffffffffff8000ull}, /* movswq */
        {{0x66, 0x0f, 0xbe, 0x07}, 4, RAX, 1, 0x80, 0x111111111111ff80ull},   /* movsbw */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        for (unsigned r = 0; r < 16; r++)
            regs[r] = ones;
        regs[RDI] = regs[R15] = MMIO_VA + 0x24;
        dev = (struct device){.ret = cases[i].ret};
        if (run_at(0x100, cases[i].code, cases[i].n, TRAP + 0x24, NPF_READ) != MMIO_EMULATED)
            fail_msg("case %zu: %s", i, logbuf);
        if (regs[cases[i].reg] != cases[i].want)
            fail_msg("case %zu: reg %u = 0x%llx, not 0x%llx", i, cases[i].reg,
                     (unsigned long long)regs[cases[i].reg], (unsigned long long)cases[i].want);
        assert_int_equal(dev.size, cases[i].size);
        assert_int_equal(dev.reads, 1);
        assert_int_equal(rip, CODE_VA + 0x100 + cases[i].n);
        for (unsigned r = 0; r < 16; r++) /* nothing else written */
            assert_true(r == cases[i].reg || r == RDI || r == R15 || regs[r] == ones);
    }
}

static void stores(void **state)
{
    (void)state;
    assert_int_equal(mmio_trap_add(TRAP, 8192, &ops, &dev), 0);
    struct {
        const uint8_t code[8];
        unsigned n, size;
        uint64_t want;
    } cases[] = {
        {{0x89, 0x37}, 2, 4, 0x76543210},                          /* writel %esi */
        {{0x88, 0x0f}, 2, 1, 0x98},                                /* writeb %cl */
        {{0x88, 0x2f}, 2, 1, 0xba},                                /* %ch */
        {{0x40, 0x88, 0x37}, 3, 1, 0x10},                          /* %sil */
        {{0x66, 0x89, 0x37}, 3, 2, 0x3210},                        /* writew %si */
        {{0x48, 0x89, 0x37}, 3, 8, 0xfedcba9876543210ull},         /* writeq %rsi */
        {{0x45, 0x88, 0x07}, 3, 1, 0x80},                          /* mov %r8b,(%r15) */
        {{0xc6, 0x07, 0xab}, 3, 1, 0xab},                          /* movb $imm */
        {{0x66, 0xc7, 0x07, 0x34, 0x12}, 5, 2, 0x1234},            /* movw $imm */
        {{0xc7, 0x07, 0x00, 0x00, 0x00, 0x80}, 6, 4, 0x80000000},  /* movl $imm */
        {{0x48, 0xc7, 0x07, 0xfe, 0xff, 0xff, 0xff}, 7, 8, ~1ull}, /* movq $-2 */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        for (unsigned r = 0; r < 16; r++)
            regs[r] = 0x8888888888888800ull | r << 4;
        regs[RSI] = 0xfedcba9876543210ull;
        regs[RCX] = 0x1234567890abba98ull;
        regs[RDI] = regs[R15] = MMIO_VA + 0xffc;
        uint64_t before[16];
        memcpy(before, regs, sizeof(regs));
        dev = (struct device){0};
        assert_int_equal(run_at(0x200, cases[i].code, cases[i].n, TRAP + 0xffc, NPF_WRITE),
                         MMIO_EMULATED);
        assert_int_equal(dev.writes, 1);
        assert_int_equal(dev.reads, 0);
        assert_int_equal(dev.off, 0xffc);
        assert_int_equal(dev.size, cases[i].size);
        if (dev.val != cases[i].want)
            fail_msg("case %zu: wrote 0x%llx, not 0x%llx", i, (unsigned long long)dev.val,
                     (unsigned long long)cases[i].want);
        assert_memory_equal(regs, before, sizeof(regs));
        assert_int_equal(rip, CODE_VA + 0x200 + cases[i].n);
    }
}

/* The addressing the page-offset check follows: SIB, %rsp (the VMCB's),
 * RIP-relative, moffs, and an instruction across the code's page boundary. */
static void addressing(void **state)
{
    (void)state;
    assert_int_equal(mmio_trap_add(TRAP, 8192, &ops, &dev), 0);
    regs[RBX] = MMIO_VA;
    regs[RCX] = 0x30;
    regs[RAX] = 0;
    /* mov 0x8(%rbx,%rcx,4),%eax: offset 0xc8 */
    assert_int_equal(RUN(TRAP + 0xc8, NPF_READ, 0x8b, 0x44, 0x8b, 0x08), MMIO_EMULATED);
    regs[RSP] = MMIO_VA + 0x100;
    dev.ret = 5;
    /* mov 0x8(%rsp),%eax */
    assert_int_equal(RUN(TRAP + 0x108, NPF_READ, 0x8b, 0x44, 0x24, 0x08), MMIO_EMULATED);
    assert_int_equal(regs[RAX], 5);
    /* mov 0x10(%rip),%eax at CODE_VA: next rip CODE_VA + 6, offset 0x16 */
    assert_int_equal(RUN(TRAP + 0x16, NPF_READ, 0x8b, 0x05, 0x10, 0x00, 0x00, 0x00), MMIO_EMULATED);
    /* movabs %eax,0xfe002040 */
    assert_int_equal(RUN(TRAP + 0x40, NPF_WRITE, 0xa3, 0x40, 0x20, 0x00, 0xfe, 0, 0, 0, 0),
                     MMIO_EMULATED);
    assert_int_equal(rip, CODE_VA + 9);
    /* 48 8b 87 <disp32> across the code page's end: mov 0x1ff0(%rdi),%rax */
    regs[RDI] = MMIO_VA;
    const uint8_t split[] = {0x48, 0x8b, 0x87, 0xf0, 0x1f, 0x00, 0x00};
    assert_int_equal(run_at(0xffd, split, sizeof(split), TRAP + 0x1ff0, NPF_READ), MMIO_EMULATED);
    assert_int_equal(rip, CODE_VA + 0xffd + 7);
    assert_int_equal(dev.off, 0x1ff0);
}

/* 32-bit code, paging off: EIP from CS's base, 32 bits wide. */
static void code_32(void **state)
{
    (void)state;
    assert_int_equal(mmio_trap_add(TRAP, 8192, &ops, &dev), 0);
    cpu.efer = 0;
    cpu.cr0 = 1;
    cpu.cs_attrib = 0x49b; /* D */
    cpu.cs_base = 0x8000;
    regs[RAX] = 0xffffffff00000000ull;
    regs[RBX] = TRAP + 4;
    dev.ret = 0xcafe;
    memcpy(gm.host + 0x8010, (const uint8_t[]){0x66, 0x8b, 0x03}, 3); /* mov (%ebx),%ax */
    rip = 0x10;
    const char *why;
    assert_int_equal(mmio_trap_fault(TRAP + 4, NPF_READ, &cpu, &why), MMIO_EMULATED);
    assert_int_equal(regs[RAX], 0xffffffff0000cafeull);
    assert_int_equal(rip, 0x13);
}

static void expect_refused(const char *reason)
{
    char line[200];
    snprintf(line, sizeof(line), "refused: %s", reason);
    if (log_count(line) != 1)
        fail_msg("no '%s' in:\n%s", line, logbuf);
    assert_int_equal(dev.reads + dev.writes, 0);
    log_reset();
    mmio_trap_init(&gm); /* a new run, a new log budget */
    assert_int_equal(mmio_trap_add(TRAP, 8192, &ops, &dev), 0);
}

static void refusals(void **state)
{
    (void)state;
    assert_int_equal(mmio_trap_add(TRAP, 8192, &ops, &dev), 0);
    regs[RDI] = MMIO_VA + 0x1ffc;
    regs[RAX] = 0x55;
    uint64_t before[16];
    memcpy(before, regs, sizeof(regs));
    /* readq at the last 4 bytes: crosses the end */
    assert_int_equal(RUN(TRAP + 0x1ffc, NPF_READ, 0x48, 0x8b, 0x07), MMIO_REFUSED);
    assert_int_equal(log_count("hv: npt: guest read of trapped 0xfe003ffc at rip "
                               "0xffffffff81000000 refused: the access crosses the trapped "
                               "range's end"),
                     1);
    assert_memory_equal(regs, before, sizeof(regs));
    assert_int_equal(rip, CODE_VA);
    expect_refused("the access crosses the trapped range's end");
    /* readl 2 bytes below the range: the fault is at its start */
    regs[RDI] = MMIO_VA - 2;
    assert_int_equal(RUN(TRAP, NPF_READ, 0x8b, 0x07), MMIO_REFUSED);
    expect_refused("the access does not begin at the faulting address");
    regs[RDI] = MMIO_VA;
    assert_int_equal(RUN(TRAP, NPF_WRITE, 0x8b, 0x07), MMIO_REFUSED);
    expect_refused("the instruction's direction is not the fault's");
    assert_int_equal(RUN(TRAP, NPF_WRITE, 0xf0, 0x89, 0x07), MMIO_REFUSED);
    expect_refused("LOCK");
    assert_int_equal(RUN(TRAP, NPF_WRITE, 0xf3, 0xa5), MMIO_REFUSED); /* rep movsl */
    expect_refused("REP or REPNE");
    assert_int_equal(RUN(TRAP, NPF_READ, 0x8b, 0xc0), MMIO_REFUSED); /* mov %eax,%eax */
    expect_refused("a register operand, not memory");
    assert_int_equal(RUN(TRAP, NPF_READ | 1ull << 33, 0x8b, 0x07), MMIO_REFUSED);
    expect_refused("a guest page table in trapped MMIO");
    assert_int_equal(RUN(TRAP, NPF_READ | 1ull << 4, 0x8b, 0x07), MMIO_REFUSED);
    expect_refused("an instruction fetch from trapped MMIO");
    cpu.in_event = true;
    assert_int_equal(RUN(TRAP, NPF_READ, 0x8b, 0x07), MMIO_REFUSED);
    expect_refused("an event delivery touching trapped MMIO");
    cpu.in_event = false;
    cpu.cs_attrib = 0x9b; /* neither L nor D */
    assert_int_equal(RUN(TRAP, NPF_READ, 0x8b, 0x07), MMIO_REFUSED);
    expect_refused("16-bit code");
    cpu.cs_attrib = 0x29b;
    /* code on an unmapped page */
    rip = CODE_VA + 0x5000;
    const char *why;
    assert_int_equal(mmio_trap_fault(TRAP, NPF_READ, &cpu, &why), MMIO_REFUSED);
    expect_refused("a page not present");
    /* the instruction runs into an unmapped page: truncated */
    assert_int_equal(run_at(0x1ffe, (const uint8_t[]){0x8b, 0x87}, 2, TRAP, NPF_READ),
                     MMIO_REFUSED);
    expect_refused("truncated");
}

static void log_budget(void **state)
{
    (void)state;
    assert_int_equal(mmio_trap_add(TRAP, 8192, &ops, &dev), 0);
    for (unsigned i = 0; i < 10; i++)
        assert_int_equal(RUN(TRAP, NPF_READ, 0xf0, 0x8b, 0x07), MMIO_REFUSED);
    assert_int_equal(log_count("hv: npt: guest read"), 4);
    assert_int_equal(log_count("(further ones not reported)"), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(add_refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(attach_refuses_a_mapped_page, setup, teardown),
        cmocka_unit_test_setup_teardown(holes_in_the_nested_tables, setup, teardown),
        cmocka_unit_test_setup_teardown(loads, setup, teardown),
        cmocka_unit_test_setup_teardown(stores, setup, teardown),
        cmocka_unit_test_setup_teardown(addressing, setup, teardown),
        cmocka_unit_test_setup_teardown(code_32, setup, teardown),
        cmocka_unit_test_setup_teardown(refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(log_budget, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
