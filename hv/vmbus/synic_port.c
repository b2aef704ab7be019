/* The VMBus host's port (port.h) over the Hyper-V partition: messages through
 * the SynIC, channel signals as event connections, the partition's reference
 * time. The only file of hv/vmbus that knows hv/hyperv's functions. */
#include "hyperv/hyperv.h"
#include "hyperv/synic.h"
#include "vmbus/message.h"
#include "vmbus/port.h"
#include "vmbus/vmbus.h"
#include "vmbus/vmbus_wire.h"

static uint16_t post(void *ctx, uint32_t vp, uint8_t sint, uint32_t message_type,
                     const void *payload, uint8_t size)
{
    return (uint16_t)synic_post(ctx, vp, sint, message_type, payload, size);
}

static void purge(void *ctx, uint32_t vp, uint8_t sint, uint32_t message_type)
{
    synic_purge(ctx, vp, sint, message_type);
}

static void signal(void *ctx, uint32_t vp, uint8_t sint, uint32_t flag)
{
    synic_signal_event(ctx, vp, sint, flag);
}

static int listen(void *ctx, uint32_t conn_id, vmbus_event_fn fn, void *fn_ctx)
{
    return hyperv_register_event(ctx, conn_id, fn, fn_ctx);
}

static void unlisten(void *ctx, uint32_t conn_id)
{
    hyperv_unregister_event(ctx, conn_id);
}

static uint64_t ref_time(void *ctx)
{
    return hyperv_time_ref_count(ctx);
}

int vmbus_init(struct hyperv_partition *p)
{
    const struct vmbus_port port = {
        .ctx = p,
        .gm = p->gm,
        .vp_count = p->plat.vp_count,
        .post = post,
        .purge = purge,
        .signal = signal,
        .listen = listen,
        .unlisten = unlisten,
        .ref_time = ref_time,
    };
    vmbus_init_port(&port);
    if (hyperv_register_message(p, VMBUS_MESSAGE_CONNECTION_ID, vmbus_on_message, NULL))
        return -1;
    if (hyperv_register_message(p, VMBUS_MESSAGE_CONNECTION_ID_4, vmbus_on_message, NULL)) {
        hyperv_unregister_message(p, VMBUS_MESSAGE_CONNECTION_ID);
        return -1;
    }
    return 0;
}
