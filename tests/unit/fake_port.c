#include "fake_port.h"

#include <string.h>

static uint16_t post(void *ctx, uint32_t vp, uint8_t sint, uint32_t message_type,
                     const void *payload, uint8_t size)
{
    struct fake_port *fp = ctx;
    (void)message_type;
    uint32_t type;
    memcpy(&type, payload, sizeof(type));
    spin_lock(&fp->lock);
    uint16_t st = 0;
    if (fp->full) {
        st = 0x13; /* HV_STATUS_INSUFFICIENT_BUFFERS */
    } else {
        if (fp->nmsgs < FAKE_PORT_MSGS) {
            struct fake_port_msg *m = &fp->msgs[fp->nmsgs];
            m->vp = vp;
            m->sint = sint;
            m->size = size;
            memcpy(m->payload, payload, size);
        }
        if (type < FAKE_PORT_TYPES)
            fp->by_type[type]++;
        fp->nmsgs++;
    }
    spin_unlock(&fp->lock);
    return st;
}

static void purge(void *ctx, uint32_t vp, uint8_t sint, uint32_t message_type)
{
    (void)vp;
    (void)sint;
    (void)message_type;
    struct fake_port *fp = ctx;
    spin_lock(&fp->lock);
    fp->purges++;
    spin_unlock(&fp->lock);
}

static void signal(void *ctx, uint32_t vp, uint8_t sint, uint32_t flag)
{
    struct fake_port *fp = ctx;
    (void)sint;
    spin_lock(&fp->lock);
    fp->nsignals++;
    fp->last_flag = flag;
    fp->last_vp = vp;
    spin_unlock(&fp->lock);
}

static int listen_locked(struct fake_port *fp, uint32_t conn_id, vmbus_event_fn fn, void *fn_ctx)
{
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

static int listen(void *ctx, uint32_t conn_id, vmbus_event_fn fn, void *fn_ctx)
{
    struct fake_port *fp = ctx;
    spin_lock(&fp->lock);
    int rc = listen_locked(fp, conn_id, fn, fn_ctx);
    spin_unlock(&fp->lock);
    return rc;
}

static void unlisten(void *ctx, uint32_t conn_id)
{
    struct fake_port *fp = ctx;
    spin_lock(&fp->lock);
    for (unsigned i = 0; i < FAKE_PORT_CONNS; i++) {
        if (fp->conns[i].fn && fp->conns[i].conn_id == conn_id)
            fp->conns[i].fn = NULL;
    }
    spin_unlock(&fp->lock);
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
    return (struct vmbus_port){
        .ctx = fp,
        .gm = &fp->gm,
        .vp_count = FAKE_PORT_VPS,
        .post = post,
        .purge = purge,
        .signal = signal,
        .listen = listen,
        .unlisten = unlisten,
        .ref_time = ref_time,
    };
}

uint16_t fake_port_signal(struct fake_port *fp, uint32_t conn_id)
{
    vmbus_event_fn fn = NULL;
    void *ctx = NULL;
    spin_lock(&fp->lock);
    for (unsigned i = 0; i < FAKE_PORT_CONNS; i++) {
        if (fp->conns[i].fn && fp->conns[i].conn_id == conn_id) {
            fn = fp->conns[i].fn;
            ctx = fp->conns[i].ctx;
        }
    }
    spin_unlock(&fp->lock);
    return fn ? fn(ctx, conn_id, 0) : 0x12;
}

bool fake_port_listening(struct fake_port *fp, uint32_t conn_id)
{
    spin_lock(&fp->lock);
    bool on = false;
    for (unsigned i = 0; i < FAKE_PORT_CONNS; i++)
        on = on || (fp->conns[i].fn && fp->conns[i].conn_id == conn_id);
    spin_unlock(&fp->lock);
    return on;
}

uint32_t fake_port_type(const struct fake_port *fp, unsigned i)
{
    uint32_t t;
    memcpy(&t, fp->msgs[i].payload, sizeof(t));
    return t;
}
