/* Arbitrary guest instructions on the IOAPIC page, as hv/vm/ioapic.c judges
 * them: the input is a script of stores (any word of the page, any value,
 * several words per instruction as wide stores do) and reads, over a fake
 * IOAPIC of 1-24 pins with one host pin. Invariants: the host pin's entry
 * is never written; no unmasked entry the hardware holds has a vector below
 * 32 or the host's, or a delivery mode other than fixed, lowest priority or
 * NMI; the hardware's IOREGSEL is the guest's; IOWIN reads of a host pin's
 * registers come from the view (the page is unmapped then); IOWIN writes
 * reach entries only; every instruction counts; the log stays bounded.
 * Must never crash. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vm/ioapic.h"

#include "../unit/fixture.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define HOST_PIN   1u
#define HOST_VEC   0xf4u
#define REG_LOW(p) (IOAPIC_REG_REDTBL + 2u * (p))

#define CHECK(c)                                                                                   \
    do {                                                                                           \
        if (!(c))                                                                                  \
            abort();                                                                               \
    } while (0)

static struct {
    uint8_t sel;
    uint32_t regs[256];
} hw;

static void hw_select(void *ctx, uint8_t reg)
{
    (void)ctx;
    hw.sel = reg;
}

static uint32_t hw_read(void *ctx)
{
    (void)ctx;
    return hw.regs[hw.sel];
}

static void hw_write(void *ctx, uint32_t value)
{
    (void)ctx;
    CHECK(hw.sel >= IOAPIC_REG_REDTBL); /* entries only */
    hw.regs[hw.sel] = value;
}

static void hw_eoi(void *ctx, uint32_t value)
{
    (void)ctx;
    (void)value;
}

static const struct ioapic_hw fake_hw = {hw_select, hw_read, hw_write, hw_eoi, NULL};
static const uint8_t host_vectors[4] = {0xf5, HOST_VEC, 0xff, 0};

static bool entry_ok(uint32_t low)
{
    unsigned mode = low >> 8 & 7;
    if (low & IOAPIC_RTE_MASKED)
        return true;
    if (mode == 4)
        return true;
    if (mode > 1)
        return false;
    uint8_t v = (uint8_t)low;
    return v >= 32 && v != 0xf4 && v != 0xf5 && v != 0xff;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint32_t page[IOAPIC_WORDS];
    struct fuzz_input in = {data, size};
    struct ioapic_guest g;
    memset(&hw, 0, sizeof(hw));
    unsigned pins = 1 + (unsigned)fuzz_take(&in, 1) % 24;
    for (unsigned p = 0; p < pins; p++)
        hw.regs[REG_LOW(p)] = IOAPIC_RTE_MASKED;
    hw.regs[REG_LOW(HOST_PIN)] = HOST_VEC;
    hw.regs[REG_LOW(HOST_PIN) + 1] = 0x5a000000;
    ioapic_guest_init(&g, &fake_hw, host_vectors, 4, pins);
    bool host = ioapic_guest_reserve(&g, HOST_PIN) == 0;
    CHECK(host == (pins > HOST_PIN));
    uint64_t steps = 0;
    log_reset();

    while (in.left) {
        unsigned op = (unsigned)fuzz_take(&in, 1);
        bool virt = ioapic_guest_window_virtual(&g);
        CHECK(virt ==
              (host && (g.regsel == REG_LOW(HOST_PIN) || g.regsel == REG_LOW(HOST_PIN) + 1)));
        ioapic_guest_prefill(&g, page);
        CHECK(page[IOAPIC_REGSEL / 4] == g.regsel);
        if (virt)
            CHECK(page[IOAPIC_WINDOW / 4] == g.view[HOST_PIN][g.regsel & 1]);
        else
            CHECK(page[IOAPIC_WINDOW / 4] == hw.regs[g.regsel]);
        /* one instruction: up to 4 stores, mostly to the registers */
        for (unsigned i = 0; i < (op & 3); i++) {
            unsigned which = (unsigned)fuzz_take(&in, 1);
            unsigned word = which < 96    ? IOAPIC_REGSEL / 4
                            : which < 224 ? IOAPIC_WINDOW / 4
                            : which < 240 ? IOAPIC_EOI / 4
                                          : (unsigned)fuzz_take(&in, 2) % IOAPIC_WORDS;
            uint32_t value = (uint32_t)fuzz_take(&in, 4);
            if (word == IOAPIC_REGSEL / 4 && (op & 0x80))
                value = REG_LOW(value % 26) + (value >> 8 & 1); /* mostly real registers */
            page[word] = value;
        }
        const uint32_t before_host[2] = {hw.regs[REG_LOW(HOST_PIN)],
                                         hw.regs[REG_LOW(HOST_PIN) + 1]};
        ioapic_guest_commit(&g, page);
        steps++;
        CHECK(hw.sel == g.regsel);
        CHECK(hw.regs[REG_LOW(HOST_PIN)] == before_host[0]);
        CHECK(hw.regs[REG_LOW(HOST_PIN) + 1] == before_host[1]);
        for (unsigned p = 0; p < pins; p++)
            CHECK(p == HOST_PIN || entry_ok(hw.regs[REG_LOW(p)]));
    }
    CHECK(g.emulated == steps);
    CHECK(log_count("hv: ioapic: ") <= IOAPIC_LOGGED_MAX);
    return 0;
}
