/* The connection table: two small arrays, linear search (a handful of ids). */
#include "hyperv/conn.h"

#include <stddef.h>

#include "hyperv/hv_wire.h"
#include "hyperv/hyperv.h"

static int valid_id(uint32_t id)
{
    return id != 0 && (id & ~HV_CONNECTION_ID_MASK) == 0;
}

int hyperv_register_message(struct hv_partition *p, uint32_t conn_id, hv_message_handler fn,
                            void *ctx)
{
    struct hv_conn_table *t = &p->conn;
    int free_slot = -1;
    if (!valid_id(conn_id) || !fn)
        return -1;
    for (int i = 0; i < HV_MAX_MESSAGE_CONNS; i++) {
        if (t->msg[i].id == conn_id)
            return -1;
        if (!t->msg[i].id && free_slot < 0)
            free_slot = i;
    }
    if (free_slot < 0)
        return -1;
    t->msg[free_slot].id = conn_id;
    t->msg[free_slot].fn = fn;
    t->msg[free_slot].ctx = ctx;
    return 0;
}

int hyperv_register_event(struct hv_partition *p, uint32_t conn_id, hv_event_handler fn, void *ctx)
{
    struct hv_conn_table *t = &p->conn;
    int free_slot = -1;
    if (!valid_id(conn_id) || !fn)
        return -1;
    for (int i = 0; i < HV_MAX_EVENT_CONNS; i++) {
        if (t->evt[i].id == conn_id)
            return -1;
        if (!t->evt[i].id && free_slot < 0)
            free_slot = i;
    }
    if (free_slot < 0)
        return -1;
    t->evt[free_slot].id = conn_id;
    t->evt[free_slot].fn = fn;
    t->evt[free_slot].ctx = ctx;
    return 0;
}

int hyperv_unregister_message(struct hv_partition *p, uint32_t conn_id)
{
    for (int i = 0; i < HV_MAX_MESSAGE_CONNS; i++) {
        if (conn_id && p->conn.msg[i].id == conn_id) {
            p->conn.msg[i].id = 0;
            p->conn.msg[i].fn = NULL;
            p->conn.msg[i].ctx = NULL;
            return 0;
        }
    }
    return -1;
}

int hyperv_unregister_event(struct hv_partition *p, uint32_t conn_id)
{
    for (int i = 0; i < HV_MAX_EVENT_CONNS; i++) {
        if (conn_id && p->conn.evt[i].id == conn_id) {
            p->conn.evt[i].id = 0;
            p->conn.evt[i].fn = NULL;
            p->conn.evt[i].ctx = NULL;
            return 0;
        }
    }
    return -1;
}

/* The guest's id is compared whole: reserved bits 31:24 set match nothing. */
uint16_t conn_deliver_message(struct hv_partition *p, uint32_t conn_id, uint32_t message_type,
                              const uint8_t *payload, uint32_t size)
{
    for (int i = 0; i < HV_MAX_MESSAGE_CONNS; i++) {
        if (conn_id && p->conn.msg[i].id == conn_id)
            return p->conn.msg[i].fn(p->conn.msg[i].ctx, conn_id, message_type, payload, size);
    }
    return HV_STATUS_INVALID_CONNECTION_ID;
}

uint16_t conn_deliver_event(struct hv_partition *p, uint32_t conn_id, uint16_t flag)
{
    for (int i = 0; i < HV_MAX_EVENT_CONNS; i++) {
        if (conn_id && p->conn.evt[i].id == conn_id)
            return p->conn.evt[i].fn(p->conn.evt[i].ctx, conn_id, flag);
    }
    return HV_STATUS_INVALID_CONNECTION_ID;
}
