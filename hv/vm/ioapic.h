/* The guest's view of the machine's IOAPIC (docs/design.md, "Isolation").
 * The page is mapped read-only, so the guest's reads of IOREGSEL and IOWIN
 * reach the hardware, and each write runs once against a shadow page
 * (hv/arch/x86/ioapic.c). This file fills that page and judges what the
 * instruction left in it: IOREGSEL goes to the hardware; a redirection entry
 * too, unless its pin is the host's (the write stays in the guest's view of
 * the pin, which IOWIN reads of it show: the page is unmapped while such a
 * register is selected) or it is unmasked with a vector the guest may not
 * have (lib/vectors.h) or a delivery mode that is no interrupt for it (SMI,
 * INIT, ExtINT, reserved); the EOI register goes through; nothing else does.
 * Hardware-free: the hardware is reached through struct ioapic_hw. */
#ifndef HV_VM_IOAPIC_H
#define HV_VM_IOAPIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/log_once.h"

/* The registers' byte offsets in the page (82093AA; EOI from version 0x20). */
#define IOAPIC_REGSEL 0x00u
#define IOAPIC_WINDOW 0x10u
#define IOAPIC_EOI    0x40u
#define IOAPIC_WORDS  1024u /* 32-bit words in the page */
/* What the shadow holds where no register is: a write there shows. */
#define IOAPIC_POISON 0xffffffffu

/* Register indices behind IOWIN. */
#define IOAPIC_REG_VERSION 0x01u /* 23:16 the highest redirection entry */
#define IOAPIC_REG_REDTBL  0x10u /* pin n: low dword 0x10 + 2n, high dword 0x11 + 2n */
#define IOAPIC_RTE_MASKED  (1u << 16)

#define IOAPIC_HOST_PINS_MAX 16u /* the host takes ISA pins only */
#define IOAPIC_LOGGED_MAX    16u /* distinct refusal reasons logged (there are 12) */

struct ioapic_hw {
    void (*select)(void *ctx, uint8_t reg); /* IOREGSEL */
    uint32_t (*read)(void *ctx);            /* IOWIN: the selected register */
    void (*write)(void *ctx, uint32_t value);
    void (*eoi)(void *ctx, uint32_t value);
    void *ctx;
};

struct ioapic_guest {
    const struct ioapic_hw *hw;
    const uint8_t *host_vectors; /* lib/vectors.h's host[0..n) */
    unsigned n_host_vectors;
    unsigned pins;  /* redirection entries the hardware has */
    uint8_t regsel; /* the guest's IOREGSEL, which the hardware holds too */
    uint16_t host_pins;
    uint32_t view[IOAPIC_HOST_PINS_MAX][2]; /* the host pins as the guest wrote them */
    uint32_t window;                        /* IOWIN as prefilled for the current step */
    uint64_t emulated;                      /* guest instructions run on the shadow */
    uint64_t refused;                       /* writes that did not reach the hardware */
    struct log_once logged;                 /* one line per refusal reason */
};

/* pins: redirection entries the hardware has (0: none answered). The guest's
 * IOREGSEL starts at 0; the caller selects that on the hardware. */
void ioapic_guest_init(struct ioapic_guest *g, const struct ioapic_hw *hw,
                       const uint8_t *host_vectors, unsigned n_host_vectors, unsigned pins);
/* The host owns pin (< IOAPIC_HOST_PINS_MAX and < pins; else -1): from now
 * on the guest's writes to its entry are dropped and it reads it masked,
 * then as it wrote it. */
int ioapic_guest_reserve(struct ioapic_guest *g, unsigned pin);
/* Whether the guest's IOWIN reads must be emulated now (a host pin's
 * register is selected): then the page is unmapped rather than read-only. */
bool ioapic_guest_window_virtual(const struct ioapic_guest *g);
/* Fills the shadow page for one guest instruction: IOREGSEL, IOWIN as the
 * guest reads it now (the hardware's register or a host pin's view), every
 * other word (EOI included) IOAPIC_POISON. */
void ioapic_guest_prefill(struct ioapic_guest *g, uint32_t page[IOAPIC_WORDS]);
/* The instruction ran: judges what it changed in the page, in the order
 * IOREGSEL, IOWIN, EOI. A write of the value a word held is no change: for
 * IOREGSEL and IOWIN it would change nothing either, and IOAPIC_POISON is no
 * vector to EOI. Refusals are logged once per reason. */
void ioapic_guest_commit(struct ioapic_guest *g, const uint32_t page[IOAPIC_WORDS]);
/* " ioapic_emulated=.. ioapic_refused=.."; the length the full text would have. */
size_t ioapic_guest_summary(const struct ioapic_guest *g, char *buf, size_t cap);

#endif
