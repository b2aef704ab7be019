/* A fake Hyper-V layer under the VMBus host (vmbus/port.h): what it posts is
 * kept in order, a full SINT queue can be simulated, the channels' event
 * connections are a table the test signals through. Host-side tests of the
 * KMCL and the VMBus state machine link this instead of hv/hyperv. Safe from
 * several threads: its own lock guards it, and a signal's handler is called
 * with that lock released, as hv/hyperv must (docs/design.md, "Locks"). */
#ifndef TESTS_UNIT_FAKE_PORT_H
#define TESTS_UNIT_FAKE_PORT_H

#include <stdbool.h>
#include <stdint.h>

#include "guest_mem.h"
#include "lib/spinlock.h"
#include "vmbus/port.h"

#define FAKE_PORT_MSGS  256u
#define FAKE_PORT_CONNS 64u
#define FAKE_PORT_TYPES 64u
#define FAKE_PORT_VPS   2u /* the port's vp_count: VP 1 exists, VP 2 does not */

struct fake_port_msg {
    uint32_t vp;
    uint8_t sint, size;
    uint8_t payload[240];
};

struct fake_port {
    struct spinlock lock;
    struct guest_mem gm;
    bool full;      /* post answers INSUFFICIENT_BUFFERS */
    unsigned nmsgs; /* posted so far (the first FAKE_PORT_MSGS kept) */
    struct fake_port_msg msgs[FAKE_PORT_MSGS];
    unsigned by_type[FAKE_PORT_TYPES]; /* posted, by VMBus message type (all of them) */
    unsigned purges, nsignals;
    uint32_t last_flag, last_vp; /* of the last signal */
    uint64_t ref_time;
    struct {
        uint32_t conn_id;
        vmbus_event_fn fn;
        void *ctx;
    } conns[FAKE_PORT_CONNS];
};

/* fp over RAM (may be NULL, 0); the port to hand vmbus_init_port. */
struct vmbus_port fake_port_init(struct fake_port *fp, uint8_t *ram, uint64_t size);
/* The guest's HvSignalEvent on conn_id: the handler's status, or
 * HV_STATUS_INVALID_CONNECTION_ID (0x12) when none listens. */
uint16_t fake_port_signal(struct fake_port *fp, uint32_t conn_id);
/* The message type (first u32 of the payload) of posted message i. */
uint32_t fake_port_type(const struct fake_port *fp, unsigned i);
/* Whether a handler listens on conn_id. */
bool fake_port_listening(struct fake_port *fp, uint32_t conn_id);

#endif
