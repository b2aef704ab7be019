/* The connection table: two small arrays of one slot type, linear search (a
 * handful of ids), under the partition lock; a handler runs with the lock
 * released (it takes the VMBus server's, which is taken before ours). */
#include "hyperv/conn.h"

#include <stdbool.h>
#include <stddef.h>

#include "hyperv/hv_wire.h"
#include "hyperv/hyperv.h"

static int valid_id(uint32_t id)
{
    return id != 0 && (id & ~HV_CONNECTION_ID_MASK) == 0;
}

/* The slot holding id (not 0), or NULL. */
static struct hyperv_conn *find(struct hyperv_conn *t, unsigned n, uint32_t id)
{
    for (unsigned i = 0; id && i < n; i++) {
        if (t[i].id == id)
            return &t[i];
    }
    return NULL;
}

static int add(struct hyperv_conn *t, unsigned n, struct hyperv_conn c)
{
    if (!valid_id(c.id) || find(t, n, c.id))
        return -1;
    for (unsigned i = 0; i < n; i++) {
        if (!t[i].id) {
            t[i] = c;
            return 0;
        }
    }
    return -1;
}

static int drop(struct hyperv_conn *t, unsigned n, uint32_t id)
{
    struct hyperv_conn *c = find(t, n, id);
    if (!c)
        return -1;
    *c = (struct hyperv_conn){0};
    return 0;
}

static int locked_add(struct hyperv_partition *p, bool msg, struct hyperv_conn c)
{
    spin_lock(&p->lock);
    int rc =
        msg ? add(p->conn.msg, HV_MAX_MESSAGE_CONNS, c) : add(p->conn.evt, HV_MAX_EVENT_CONNS, c);
    spin_unlock(&p->lock);
    return rc;
}

static int locked_drop(struct hyperv_partition *p, bool msg, uint32_t id)
{
    spin_lock(&p->lock);
    int rc = msg ? drop(p->conn.msg, HV_MAX_MESSAGE_CONNS, id)
                 : drop(p->conn.evt, HV_MAX_EVENT_CONNS, id);
    spin_unlock(&p->lock);
    return rc;
}

/* A copy of id's slot ({0} if none): what the caller calls after unlocking. */
static struct hyperv_conn locked_find(struct hyperv_partition *p, bool msg, uint32_t id)
{
    spin_lock(&p->lock);
    const struct hyperv_conn *c = msg ? find(p->conn.msg, HV_MAX_MESSAGE_CONNS, id)
                                      : find(p->conn.evt, HV_MAX_EVENT_CONNS, id);
    struct hyperv_conn copy = c ? *c : (struct hyperv_conn){0};
    spin_unlock(&p->lock);
    return copy;
}

int hyperv_register_message(struct hyperv_partition *p, uint32_t conn_id, hyperv_message_handler fn,
                            void *ctx)
{
    if (!fn)
        return -1;
    return locked_add(p, true, (struct hyperv_conn){.id = conn_id, .fn.msg = fn, .ctx = ctx});
}

int hyperv_register_event(struct hyperv_partition *p, uint32_t conn_id, hyperv_event_handler fn,
                          void *ctx)
{
    if (!fn)
        return -1;
    return locked_add(p, false, (struct hyperv_conn){.id = conn_id, .fn.evt = fn, .ctx = ctx});
}

int hyperv_unregister_message(struct hyperv_partition *p, uint32_t conn_id)
{
    return locked_drop(p, true, conn_id);
}

int hyperv_unregister_event(struct hyperv_partition *p, uint32_t conn_id)
{
    return locked_drop(p, false, conn_id);
}

/* The guest's id is compared whole: reserved bits 31:24 set match nothing. A
 * handler unregistered meanwhile may still run once: VMBus's event handler
 * checks its channel's state under its own lock. */
uint16_t conn_deliver_message(struct hyperv_partition *p, uint32_t conn_id, uint32_t message_type,
                              const uint8_t *payload, uint32_t size)
{
    struct hyperv_conn c = locked_find(p, true, conn_id);
    return c.id ? c.fn.msg(c.ctx, conn_id, message_type, payload, size)
                : HV_STATUS_INVALID_CONNECTION_ID;
}

uint16_t conn_deliver_event(struct hyperv_partition *p, uint32_t conn_id, uint16_t flag)
{
    struct hyperv_conn c = locked_find(p, false, conn_id);
    return c.id ? c.fn.evt(c.ctx, conn_id, flag) : HV_STATUS_INVALID_CONNECTION_ID;
}
