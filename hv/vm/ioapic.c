#include "vm/ioapic.h"

#include <stdarg.h>

#include "lib/fmt.h"
#include "lib/log.h"
#include "lib/vectors.h"

#define RTE_DELIVERY_SHIFT 8
#define RTE_DELIVERY_MASK  7u
#define RTE_DELIVERY_NMI   4u
#define RTE_READ_ONLY      ((1u << 12) | (1u << 14)) /* delivery status, remote IRR */
#define WORD(offset)       ((offset) / 4u)

/* Delivery modes an unmasked entry may have: fixed, lowest priority (both
 * with a vector the guest may have) and NMI (the guest's, vcpu.c). */
static const char *const bad_delivery[8] = {
    NULL,
    NULL,
    "unmasked with delivery mode SMI",
    "unmasked with a reserved delivery mode (3)",
    NULL,
    "unmasked with delivery mode INIT",
    "unmasked with a reserved delivery mode (6)",
    "unmasked with delivery mode ExtINT",
};

void ioapic_guest_init(struct ioapic_guest *g, const struct ioapic_hw *hw,
                       const uint8_t *host_vectors, unsigned n_host_vectors, unsigned pins)
{
    *g = (struct ioapic_guest){
        .hw = hw,
        .host_vectors = host_vectors,
        .n_host_vectors = n_host_vectors,
        .pins = pins,
        .logged = LOG_ONCE_N(IOAPIC_LOGGED_MAX, ""),
    };
}

int ioapic_guest_reserve(struct ioapic_guest *g, unsigned pin)
{
    if (pin >= IOAPIC_HOST_PINS_MAX || pin >= g->pins)
        return -1;
    g->host_pins |= (uint16_t)(1u << pin);
    g->view[pin][0] = IOAPIC_RTE_MASKED; /* as the guest would find an unused pin */
    g->view[pin][1] = 0;
    return 0;
}

/* The host pin whose register reg is, or -1. */
static int host_pin(const struct ioapic_guest *g, uint8_t reg)
{
    if (reg < IOAPIC_REG_REDTBL)
        return -1;
    unsigned pin = (reg - IOAPIC_REG_REDTBL) / 2u;
    return pin < IOAPIC_HOST_PINS_MAX && (g->host_pins >> pin & 1) ? (int)pin : -1;
}

bool ioapic_guest_window_virtual(const struct ioapic_guest *g)
{
    return host_pin(g, g->regsel) >= 0;
}

void ioapic_guest_prefill(struct ioapic_guest *g, uint32_t page[IOAPIC_WORDS])
{
    for (unsigned i = 0; i < IOAPIC_WORDS; i++)
        page[i] = IOAPIC_POISON;
    int pin = host_pin(g, g->regsel);
    g->window = pin >= 0 ? g->view[pin][g->regsel & 1] : g->hw->read(g->hw->ctx);
    page[WORD(IOAPIC_REGSEL)] = g->regsel;
    page[WORD(IOAPIC_WINDOW)] = g->window;
}

/* Counts a write the hardware does not see; logs it the first time its
 * reason (a string constant) comes up. */
static void refuse(struct ioapic_guest *g, const char *why, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void refuse(struct ioapic_guest *g, const char *why, const char *fmt, ...)
{
    g->refused++;
    if (!log_once_take(&g->logged, (uintptr_t)why, 0)) /* why: a string constant */
        return;
    char what[96];
    va_list ap;
    va_start(ap, fmt);
    fmt_vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    hv_log("ioapic", "guest %s refused: %s (further ones counted)", what, why);
}

static void window_write(struct ioapic_guest *g, uint32_t value)
{
    uint8_t reg = g->regsel;
    if (reg < IOAPIC_REG_REDTBL) {
        refuse(g, "the ID, version and arbitration registers are the host's",
               "write of 0x%08x to register 0x%x", value, reg);
        return;
    }
    unsigned pin = (reg - IOAPIC_REG_REDTBL) / 2u;
    bool high = reg & 1;
    if (pin >= g->pins) {
        refuse(g, "no such register", "write of 0x%08x to register 0x%x", value, reg);
        return;
    }
    if (host_pin(g, reg) >= 0) {
        g->view[pin][high] = high ? value : value & ~RTE_READ_ONLY;
        refuse(g, "the pin is the host's", "write of 0x%08x to pin %u's entry", value, pin);
        return;
    }
    /* Only an unmasked entry fires: masked, anything may sit there (Linux
     * masks with all zeros), and unmasking is a low-dword write checked here. */
    if (!high && !(value & IOAPIC_RTE_MASKED)) {
        unsigned mode = value >> RTE_DELIVERY_SHIFT & RTE_DELIVERY_MASK;
        const char *why = bad_delivery[mode];
        if (!why && mode != RTE_DELIVERY_NMI) /* an NMI carries no vector */
            why = vector_refused((uint8_t)value, g->host_vectors, g->n_host_vectors);
        if (why) {
            refuse(g, why, "entry 0x%08x for pin %u", value, pin);
            return;
        }
    }
    g->hw->write(g->hw->ctx, value);
}

void ioapic_guest_commit(struct ioapic_guest *g, const uint32_t page[IOAPIC_WORDS])
{
    g->emulated++;
    if (page[WORD(IOAPIC_REGSEL)] != g->regsel) {
        g->regsel = (uint8_t)page[WORD(IOAPIC_REGSEL)]; /* the register is 8 bits wide */
        g->hw->select(g->hw->ctx, g->regsel);
    }
    if (page[WORD(IOAPIC_WINDOW)] != g->window)
        window_write(g, page[WORD(IOAPIC_WINDOW)]);
    if (page[WORD(IOAPIC_EOI)] != IOAPIC_POISON)
        g->hw->eoi(g->hw->ctx, page[WORD(IOAPIC_EOI)]);
    for (unsigned i = 0; i < IOAPIC_WORDS; i++) {
        if (i != WORD(IOAPIC_REGSEL) && i != WORD(IOAPIC_WINDOW) && i != WORD(IOAPIC_EOI) &&
            page[i] != IOAPIC_POISON) {
            refuse(g, "no register there", "write to offset 0x%x", i * 4u);
            break;
        }
    }
}

size_t ioapic_guest_summary(const struct ioapic_guest *g, char *buf, size_t cap)
{
    int n = fmt_snprintf(buf, cap, " ioapic_emulated=%llu ioapic_refused=%llu",
                         (unsigned long long)g->emulated, (unsigned long long)g->refused);
    return n < 0 ? 0 : (size_t)n;
}
