/* The guest's I/O port space (docs/design.md, "Isolation"). Deny by default:
 * the guest owns only the ranges listed as IO_GUEST (passed through, no exit
 * per access); a few ports are emulated; every other port is an empty bus
 * (reads all-ones, writes dropped). One table, with the reason for each range.
 * Hardware-free: the emulation reaches real ports only through struct io_hw. */
#ifndef HV_VM_IOPORTS_H
#define HV_VM_IOPORTS_H

#include <stdbool.h>
#include <stdint.h>

enum io_owner {
    IO_EMPTY,    /* no device: reads all-ones, writes dropped */
    IO_GUEST,    /* the guest's device, passed through */
    IO_HOST,     /* the hypervisor's own device: an empty bus to the guest */
    IO_PM1_CNT,  /* ACPI PM1a control: a shadow; SLP_EN is a sleep request */
    IO_PCI,      /* 0xcf8-0xcff: no PCI host bridge; 0xcf9 is the reset register */
    IO_PORT92,   /* system control port A: bit 0 is a fast reset */
    IO_KBC_DATA, /* keyboard controller data: the output port after command 0xd1 */
    IO_KBC_CMD,  /* keyboard controller command: 0xf0-0xfe pulse the reset line */
    IO_CMOS,     /* RTC/CMOS index and data: reads only, no NMI mask */
};

struct io_range {
    uint16_t base, len;
    uint8_t owner; /* enum io_owner */
    const char *why;
};

/* What the guest machine has where; its FADT names the PM ports. */
struct io_machine {
    uint16_t pm1a_evt, pm1a_cnt, pm_tmr; /* the firmware's PM1 blocks, in the guest's FADT */
    uint8_t s5_slp_typ;                  /* the guest DSDT's \_S5 SLP_TYP */
    uint16_t debug_exit;                 /* QEMU's isa-debug-exit (4 ports), 0: none */
    uint16_t host_uart;                  /* the hypervisor's log UART (8 ports), 0: none */
    uint16_t host_debugcon;              /* the hypervisor's trusted log port and the trace-record
                                            port after it, 0: none */
};

#define IO_RANGES_MAX 24

struct io_space {
    struct io_range r[IO_RANGES_MAX];
    unsigned n;
    uint8_t s5_slp_typ;
    uint16_t pm1_cnt;      /* the guest's view of PM1a control */
    uint8_t port92;        /* the guest's view of port 0x92 */
    uint8_t cmos_index;    /* the last index written to 0x70, NMI bit dropped */
    bool kbc_outport_next; /* command 0xd1 written: the next data byte is the output port */
};

/* Real ports the emulation reaches: the guest's own (for the guest's part of
 * an access that straddles into a port it does not own) and the CMOS. */
struct io_hw {
    uint8_t (*in8)(uint16_t port);
    void (*out8)(uint16_t port, uint8_t value);
};

enum io_event {
    IO_EV_NONE,
    IO_EV_POWEROFF, /* SLP_EN with the S5 SLP_TYP */
    IO_EV_SLEEP,    /* SLP_EN with another SLP_TYP: not supported, ignored */
    IO_EV_RESET,    /* the guest reset the machine: the run ends */
};

struct io_result {
    enum io_event event;
    const char *what;      /* IO_EV_RESET: through which door */
    unsigned slp_typ;      /* IO_EV_SLEEP */
    bool refused;          /* part of the access hit a port the guest does not own */
    uint16_t refused_port; /* the first such port */
    bool cmos_write;       /* a CMOS write was dropped */
};

/* Builds the table; -1 (and *why) if the machine's ranges overlap. */
int io_space_init(struct io_space *s, const struct io_machine *m, const char **why);
/* The range holding port (a static IO_EMPTY range for unlisted ports). */
const struct io_range *io_lookup(const struct io_space *s, uint16_t port);
/* Calls fn for each range the guest owns (the permission map leaves them open). */
void io_each_guest_range(const struct io_space *s,
                         void (*fn)(void *ctx, uint16_t base, uint16_t len), void *ctx);
/* One intercepted IN or OUT of size 1, 2 or 4 at port: split at every range
 * boundary it crosses, each piece handled by the range's owner. IN: *value
 * gets the bytes read (little-endian); OUT: *value holds the bytes written. */
struct io_result io_access(struct io_space *s, const struct io_hw *hw, uint16_t port, unsigned size,
                           bool in, uint32_t *value);

#endif
