#include "fake_port.h"

#include <string.h>

static uint16_t post(void *ctx, uint8_t sint, uint32_t message_type, const void *payload,
                     uint8_t size)
{
    struct fake_port *fp = ctx;
    (void)message_type;
    if (fp->full)
        return 0x13; /* HV_STATUS_INSUFFICIENT_BUFFERS */
    if (fp->nmsgs < FAKE_PORT_MSGS) {
        struct fake_port_msg *m = &fp->msgs[fp->nmsgs];
        m->sint = sint;
        m->size = size;
        memcpy(m->payload, payload, size);
    }
    fp->nmsgs++;
    return 0;
}

static void purge(void *ctx, uint8_t sint, uint32_t message_type)
{
    (void)sint;
    (void)message_type;
    ((struct fake_port *)ctx)->purges++;
}

static void signal(void *ctx, uint8_t sint, uint32_t flag)
{
    struct fake_port *fp = ctx;
    (void)sint;
    fp->nsignals++;
    fp->last_flag = flag;
}

static int listen(void *ctx, uint32_t conn_id, vmbus_event_fn fn, void *fn_ctx)
{
    struct fake_port *fp = ctx;
    for (unsigned i = 0; i < FAKE_PORT_CONNS; i++) {
        if (fp->conns[i].fn && fp->conns[i].conn_id == conn_id)
            return -1;
    }
    for (unsigned i = 0; i < FAKE_PORT_CONNS; i++) {
        if (!fp->conns[i].fn) {
            fp->conns[i].conn_id = conn_id;
            fp->conns[i].fn = fn;
            fp->conns[i].ctx = fn_ctx;
            return 0;
        }
    }
    return -1;
}

static void unlisten(void *ctx, uint32_t conn_id)
{
    struct fake_port *fp = ctx;
    for (unsigned i = 0; i < FAKE_PORT_CONNS; i++) {
        if (fp->conns[i].fn && fp->conns[i].conn_id == conn_id)
            fp->conns[i].fn = NULL;
    }
}

static uint64_t ref_time(void *ctx)
{
    return ((struct fake_port *)ctx)->ref_time;
}

struct vmbus_port fake_port_init(struct fake_port *fp, uint8_t *ram, uint64_t size)
{
    memset(fp, 0, sizeof(*fp));
    fp->gm.host = ram;
    fp->gm.size = size;
    return (struct vmbus_port){fp, &fp->gm, post, purge, signal, listen, unlisten, ref_time};
}

uint16_t fake_port_signal(struct fake_port *fp, uint32_t conn_id)
{
    for (unsigned i = 0; i < FAKE_PORT_CONNS; i++) {
        if (fp->conns[i].fn && fp->conns[i].conn_id == conn_id)
            return fp->conns[i].fn(fp->conns[i].ctx, conn_id, 0);
    }
    return 0x12;
}

uint32_t fake_port_type(const struct fake_port *fp, unsigned i)
{
    uint32_t t;
    memcpy(&t, fp->msgs[i].payload, sizeof(t));
    return t;
}
