/* A guest access to trapped MMIO with everything the guest controls fuzzed:
 * its paging mode, CR3, page tables and code (the input's tail is its RAM),
 * RIP, registers, the fault's error code and address. Invariants: the
 * decoder reads no byte past what it is given (an exactly sized copy:
 * ASan), stops at 15, decodes its own length again to the same result and
 * a byte less to "truncated"; an emulated access reaches the device once,
 * inside the range, at sizes 1, 2, 4, 8, changes at most its one register
 * and moves RIP forward by 1-15 bytes; a refused one changes nothing.
 * Must never crash. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vm/insn.h"
#include "vm/mmio_trap.h"

#include "../unit/fixture.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define RAM  (16 * 4096u)
#define TRAP 0xfe000000ull
#define LEN  8192u

#define CHECK(c)                                                                                   \
    do {                                                                                           \
        if (!(c))                                                                                  \
            abort();                                                                               \
    } while (0)

static struct {
    unsigned calls;
    uint64_t off;
    unsigned size;
    bool write;
} dev;

static uint64_t dev_read(void *ctx, uint64_t off, unsigned size)
{
    (void)ctx;
    dev.calls++;
    dev.off = off;
    dev.size = size;
    return 0x0123456789abcdefull;
}

static void dev_write(void *ctx, uint64_t off, unsigned size, uint64_t val)
{
    (void)ctx;
    (void)val;
    dev.calls++;
    dev.off = off;
    dev.size = size;
    dev.write = true;
}

static const struct mmio_trap_ops ops = {dev_read, dev_write};

/* The decoder alone on the input's first bytes. */
static void decode_alone(const uint8_t *data, size_t size)
{
    size_t n = size < 20 ? size : 20;
    uint8_t *code = malloc(n ? n : 1);
    memcpy(code, data, n);
    for (int mode = INSN_MODE_32; mode <= INSN_MODE_64; mode++) {
        struct insn a, b;
        const char *why = NULL;
        if (insn_decode(code, n, (enum insn_mode)mode, &a, &why)) {
            CHECK(why);
            continue;
        }
        CHECK(a.len >= 1 && a.len <= INSN_MAX_LEN && a.len <= n);
        CHECK(a.size == 1 || a.size == 2 || a.size == 4 || a.size == 8);
        CHECK(a.reg < 16 || (a.reg == INSN_NO_REG && a.write));
        CHECK(!a.high8 || a.reg < 4);
        CHECK(a.write || (a.reg_size >= a.size && a.reg_size <= 8));
        CHECK(a.base < 16 || a.base == INSN_NO_REG);
        CHECK((a.index < 16 && a.index != 4) || a.index == INSN_NO_REG);
        CHECK(a.scale == 1 || a.scale == 2 || a.scale == 4 || a.scale == 8);
        CHECK(a.addr_size == 4 || a.addr_size == 8);
        CHECK(mode == INSN_MODE_64 || (a.addr_size == 4 && !a.rip_relative));
        CHECK(!insn_decode(code, a.len, (enum insn_mode)mode, &b, &why));
        CHECK(!memcmp(&a, &b, sizeof(a)));
        CHECK(insn_decode(code, a.len - 1u, (enum insn_mode)mode, &b, &why) == -1);
        CHECK(!strcmp(why, "truncated"));
    }
    free(code);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct guest_mem gm;
    if (!gm.host) {
        gm.host = aligned_alloc(4096, RAM);
        gm.size = RAM;
    }
    decode_alone(data, size);

    struct fuzz_input in = {data, size};
    uint64_t flags = fuzz_take(&in, 1);
    uint64_t regs[16], rip = fuzz_take(&in, 2) | fuzz_take(&in, 1) << 56;
    struct mmio_cpu cpu = {
        .rip = &rip,
        .cr0 = (flags & 1) ? 0x80000001u : 1,
        .cr3 = fuzz_take(&in, 3) & 0x1ffff,
        .cr4 = ((flags & 2) ? 1u << 12 : 0) | ((flags & 4) ? 1u << 5 : 0) |
               ((flags & 8) ? 1u << 4 : 0),
        .efer = ((flags & 16) ? 0x500u : 0) | ((flags & 32) ? 0x800u : 0),
        .cs_attrib = (uint16_t)(fuzz_take(&in, 1) << 8),
        .in_event = flags & 64,
    };
    uint64_t npf = fuzz_take(&in, 1);
    npf = (npf & 0x1f) | (npf & 0x80) << 26; /* bit 33: a guest page-table walk */
    uint64_t gpa = TRAP + fuzz_take(&in, 2) % LEN;
    for (unsigned i = 0; i < 16; i++) {
        regs[i] = fuzz_take(&in, 2) | fuzz_take(&in, 1) << 40;
        cpu.gpr[i] = &regs[i];
    }
    memset(gm.host, 0, RAM);
    memcpy(gm.host, in.p, in.left < RAM ? in.left : RAM);

    mmio_trap_init(&gm);
    CHECK(!mmio_trap_add(TRAP, LEN, &ops, NULL));
    dev.calls = 0;
    dev.write = false;
    uint64_t before[16], rip0 = rip;
    memcpy(before, regs, sizeof(regs));
    const char *why = NULL;
    enum mmio_trap_result r = mmio_trap_fault(gpa, npf, &cpu, &why);
    CHECK(r != MMIO_NOT_TRAPPED);
    if (r == MMIO_REFUSED) {
        CHECK(why && !dev.calls && rip == rip0 && !memcmp(regs, before, sizeof(regs)));
        return 0;
    }
    CHECK(dev.calls == 1 && dev.off == gpa - TRAP && dev.off + dev.size <= LEN);
    CHECK(dev.size == 1 || dev.size == 2 || dev.size == 4 || dev.size == 8);
    CHECK(dev.write == !!(npf & 2));
    uint64_t step = (rip - rip0) & (((cpu.efer & 0x400) && (cpu.cs_attrib & 0x200)) ? ~0ull : ~0u);
    CHECK(step >= 1 && step <= INSN_MAX_LEN);
    unsigned changed = 0;
    for (unsigned i = 0; i < 16; i++)
        changed += regs[i] != before[i];
    CHECK(changed <= (dev.write ? 0u : 1u));
    return 0;
}
