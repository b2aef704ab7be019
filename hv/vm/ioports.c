#include "vm/ioports.h"

#define PM1_SCI_EN        0x0001u
#define PM1_SLP_TYP_SHIFT 10
#define PM1_SLP_EN        0x2000u
#define PORT92_RESET      0x01u
#define PORT92_A20        0x02u
#define KBC_WRITE_OUTPUT  0xd1u
#define KBC_PULSE_FIRST   0xf0u
#define CMOS_NMI_DISABLE  0x80u
#define PCI_RESET_CTL     1 /* 0xcf9 - 0xcf8 */
#define PCI_RESET_CPU     0x04u

static const struct io_range empty = {0, 0, IO_EMPTY, "nothing here: an empty bus"};

static int add(struct io_space *s, uint16_t base, uint16_t len, enum io_owner owner,
               const char *why, const char **fail)
{
    if (!len || !base) /* a machine port of 0: none (struct io_machine) */
        return 0;
    if ((uint32_t)base + len > 0x10000u) {
        *fail = "an I/O range runs past port 0xffff";
        return -1;
    }
    for (unsigned i = 0; i < s->n; i++) {
        if (base < s->r[i].base + s->r[i].len && s->r[i].base < base + len) {
            *fail = "two I/O ranges of the guest machine overlap";
            return -1;
        }
    }
    if (s->n == IO_RANGES_MAX) {
        *fail = "too many I/O ranges";
        return -1;
    }
    s->r[s->n++] = (struct io_range){base, len, (uint8_t)owner, why};
    return 0;
}

int io_space_init(struct io_space *s, const struct io_machine *m, const char **why)
{
    *s = (struct io_space){.s5_slp_typ = m->s5_slp_typ,
                           .pm1_cnt = PM1_SCI_EN, /* ACPI mode, as the firmware left it */
                           .port92 = PORT92_A20};
    const struct {
        uint16_t base, len;
        enum io_owner owner;
        const char *why;
    } table[] = {
        {0x20, 2, IO_GUEST, "the guest's master 8259 PIC"},
        {0xa0, 2, IO_GUEST, "the guest's slave 8259 PIC"},
        {0x4d0, 2, IO_GUEST, "the guest's 8259 edge/level control"},
        {0x40, 4, IO_GUEST, "the guest's PIT (the host times with the TSC and the HPET)"},
        {0x61, 1, IO_GUEST, "PIT channel 2 gate and speaker, read by the guest's NMI handler"},
        {0x80, 1, IO_GUEST, "POST code port: Linux's outb_p I/O delay"},
        {0x3f8, 8, IO_GUEST, "the guest's console UART (COM1)"},
        {m->pm1a_evt, 4, IO_GUEST, "the PM1a event block in the guest's FADT"},
        {m->pm_tmr, 4, IO_GUEST, "the ACPI PM timer in the guest's FADT (read-only)"},
        {m->pm1a_cnt, 2, IO_PM1_CNT, "PM1a control: sleep requests end the run"},
        {0xcf8, 8, IO_PCI, "no PCI host bridge; 0xcf9 resets"},
        {0x92, 1, IO_PORT92, "system control port A: fast reset"},
        {0x60, 1, IO_KBC_DATA, "keyboard controller data: output port reset"},
        {0x64, 1, IO_KBC_CMD, "keyboard controller command: reset pulse"},
        {0x70, 2, IO_CMOS, "RTC/CMOS: the guest reads the clock; no writes, no NMI mask"},
        {m->debug_exit, 4, IO_HOST, "isa-debug-exit: the run's verdict is the host's"},
        {m->host_uart, 8, IO_HOST, "the hypervisor's log UART"},
        {m->host_debugcon, 2, IO_HOST, "the hypervisor's trusted log and trace-record ports"},
    };
    for (unsigned i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
        if (add(s, table[i].base, table[i].len, table[i].owner, table[i].why, why))
            return -1;
    }
    return 0;
}

const struct io_range *io_lookup(const struct io_space *s, uint16_t port)
{
    for (unsigned i = 0; i < s->n; i++) {
        if (port >= s->r[i].base && port - s->r[i].base < s->r[i].len)
            return &s->r[i];
    }
    return &empty;
}

void io_each_guest_range(const struct io_space *s,
                         void (*fn)(void *ctx, uint16_t base, uint16_t len), void *ctx)
{
    for (unsigned i = 0; i < s->n; i++) {
        if (s->r[i].owner == IO_GUEST)
            fn(ctx, s->r[i].base, s->r[i].len);
    }
}

static void reset(struct io_result *r, const char *what)
{
    if (r->event != IO_EV_RESET)
        r->event = IO_EV_RESET, r->what = what; /* refused, cmos_write: still reported */
}

static void pm1_write(struct io_space *s, unsigned off, unsigned len, uint32_t v,
                      struct io_result *r)
{
    for (unsigned i = 0; i < len; i++) {
        unsigned shift = 8 * (off + i);
        s->pm1_cnt = (uint16_t)((s->pm1_cnt & ~(0xffu << shift)) | ((v >> 8 * i & 0xff) << shift));
    }
    if (!(s->pm1_cnt & PM1_SLP_EN))
        return;
    s->pm1_cnt &= (uint16_t)~PM1_SLP_EN; /* write-only: reads as 0 */
    unsigned typ = (s->pm1_cnt >> PM1_SLP_TYP_SHIFT) & 7;
    if (r->event == IO_EV_RESET)
        return;
    if (typ == s->s5_slp_typ)
        r->event = IO_EV_POWEROFF;
    else if (r->event == IO_EV_NONE)
        r->event = IO_EV_SLEEP, r->slp_typ = typ;
}

/* One piece of an access, inside one range; returns the bytes read (IN). */
static uint32_t piece(struct io_space *s, const struct io_hw *hw, const struct io_range *rg,
                      uint16_t port, unsigned len, bool in, uint32_t v, struct io_result *r)
{
    unsigned off = (unsigned)(port - rg->base);
    uint32_t out = 0;
    switch ((enum io_owner)rg->owner) {
    case IO_GUEST:
        for (unsigned i = 0; i < len; i++) {
            if (in)
                out |= (uint32_t)hw->in8((uint16_t)(port + i)) << 8 * i;
            else
                hw->out8((uint16_t)(port + i), (uint8_t)(v >> 8 * i));
        }
        return out;
    case IO_PM1_CNT:
        if (in)
            return (uint32_t)(s->pm1_cnt >> 8 * off) & ((1u << 8 * len) - 1);
        pm1_write(s, off, len, v, r);
        return 0;
    case IO_PCI:
        if (!in && off == PCI_RESET_CTL && len == 1 && (v & PCI_RESET_CPU))
            reset(r, "the reset control register 0xcf9");
        return 0xffffffffu;
    case IO_PORT92:
        if (in)
            return s->port92;
        s->port92 = (uint8_t)(v & ~PORT92_RESET);
        if (v & PORT92_RESET)
            reset(r, "port 0x92 (fast reset)");
        return 0;
    case IO_KBC_CMD:
        if (in)
            return 0; /* idle: no data, input buffer empty */
        s->kbc_outport_next = (v & 0xff) == KBC_WRITE_OUTPUT;
        if ((v & 0xff) >= KBC_PULSE_FIRST && !(v & 1))
            reset(r, "the keyboard controller (reset pulse command)");
        return 0;
    case IO_KBC_DATA:
        if (in)
            return 0;
        if (s->kbc_outport_next && !(v & 1))
            reset(r, "the keyboard controller's output port");
        s->kbc_outport_next = false;
        return 0;
    case IO_CMOS:
        for (unsigned i = 0; i < len; i++) {
            uint8_t b = (uint8_t)(v >> 8 * i);
            if (off + i == 0) {
                if (in)
                    out |= (uint32_t)s->cmos_index << 8 * i;
                else
                    s->cmos_index = b & (uint8_t)~CMOS_NMI_DISABLE;
            } else if (in) {
                hw->out8(0x70, s->cmos_index);
                out |= (uint32_t)hw->in8(0x71) << 8 * i;
            } else {
                r->cmos_write = true;
            }
        }
        return out;
    case IO_EMPTY:
    case IO_HOST:
        break;
    }
    if (!r->refused) {
        r->refused = true;
        r->refused_port = port;
    }
    return 0xffffffffu;
}

struct io_result io_access(struct io_space *s, const struct io_hw *hw, uint16_t port, unsigned size,
                           bool in, uint32_t *value)
{
    struct io_result r = {IO_EV_NONE, 0, 0, false, 0, false};
    uint32_t v = in ? 0 : *value, got = 0;
    unsigned done = 0;
    while (done < size) {
        uint32_t at = (uint32_t)port + done;
        const struct io_range *rg = at > 0xffff ? &empty : io_lookup(s, (uint16_t)at);
        unsigned len = size - done;
        if (rg->len && rg->base + rg->len - at < len)
            len = rg->base + rg->len - (unsigned)at;
        /* an unlisted stretch ends where the next range starts */
        for (unsigned i = 1; !rg->len && i < len; i++) {
            if (at + i <= 0xffff && io_lookup(s, (uint16_t)(at + i))->len) {
                len = i;
                break;
            }
        }
        uint32_t mask = len == 4 ? 0xffffffffu : (1u << 8 * len) - 1;
        uint32_t b = piece(s, hw, rg, (uint16_t)at, len, in, (v >> 8 * done) & mask, &r);
        got |= (b & mask) << 8 * done;
        done += len;
    }
    if (in)
        *value = got;
    return r;
}
