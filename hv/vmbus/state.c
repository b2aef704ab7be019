/* The server object and what every layer asks of it: slots and handles,
 * rejections, refusals and log budgets. Handles carry a tag, the slot and
 * the slot's generation, so every call can tell a live handle from a stale,
 * freed or forged one without trusting it. */
#include "vmbus/state.h"

#include "lib/log.h"
#include "lib/mem.h"
#include "vmbus/channel.h"
#include "vmbus/trace.h"

#define HANDLE_TAG 0x564Bull /* "VK" in bits 63:48 */

struct vmbus_server vmbus;

void state_reset(const struct vmbus_port *port)
{
    uint32_t gen = vmbus.next_gen;    /* handles from before stay invalid */
    timer_cancel(&vmbus.drain_timer); /* it must not stay linked while zeroed */
    memset(&vmbus, 0, sizeof(vmbus));
    vmbus.next_gen = gen;
    vmbus.port = *port;
    for (unsigned k = 0; k < VMBUS_LOG_KINDS; k++)
        vmbus.log[k] =
            (struct log_budget)LOG_BUDGET(VMBUS_LOG_BUDGET, " (further such lines not reported)");
    vmbus.reasons = (struct log_once)LOG_ONCE(" (further reasons not reported)");
}

struct vmbus_door vmbus_door_enter(void)
{
    spin_lock(&vmbus.lock);
    return (struct vmbus_door){0};
}

void vmbus_door_exit(struct vmbus_door *d)
{
    (void)d;
    if (vmbus.closed_pending)
        chan_run_closed();
    spin_unlock(&vmbus.lock);
}

uint32_t chan_relid(const struct vmbus_channel *c)
{
    return (uint32_t)(c - vmbus.chan) + 1;
}

uint32_t chan_conn_id(const struct vmbus_channel *c)
{
    return VMBUS_CHANNEL_CONN_BASE + chan_relid(c);
}

struct vmbus_channel *chan_slot(uint32_t relid)
{
    return relid && relid <= VMBUS_MAX_CHANNELS ? &vmbus.chan[relid - 1] : NULL;
}

VMBCHANNEL chan_handle(const struct vmbus_channel *c)
{
    uint64_t v = HANDLE_TAG << 48 | (uint64_t)c->gen << 16 | chan_relid(c);
    return (VMBCHANNEL)(uintptr_t)v;
}

struct vmbus_channel *chan_lookup(VMBCHANNEL h)
{
    uint64_t v = (uint64_t)(uintptr_t)h;
    struct vmbus_channel *c = chan_slot((uint32_t)(v & 0xFFFF));
    if (v >> 48 != HANDLE_TAG || !c)
        return NULL;
    if (c->gen != (uint32_t)(v >> 16) || c->state == CHAN_FREE || c->state == CHAN_RELEASING)
        return NULL;
    return c;
}

/* The suffix for the first (type, why), NULL after. All unknown types count
 * as one, so a guest cannot flood the set with them. */
static const char *first_time(uint32_t msgtype, const char *why)
{
    if (msgtype > VMBUS_MSG_COUNT)
        msgtype = VMBUS_MSG_COUNT;
    return log_once_take(&vmbus.reasons, msgtype, (uint64_t)(uintptr_t)why);
}

uint16_t vmbus_reject(uint32_t msgtype, const char *why)
{
    vmbus.n.rejected++;
    const char *more = first_time(msgtype, why);
    if (more)
        hv_log("vmbus", "rejected %s (type %u): %s%s", vmbus_msg_name(msgtype), msgtype, why, more);
    return HV_STATUS_INVALID_PARAMETER;
}

void vmbus_refuse(uint32_t msgtype, const char *why, NTSTATUS status)
{
    vmbus.n.refused++;
    const char *more = first_time(msgtype, why);
    if (more)
        hv_log("vmbus", "refused %s: %s (status 0x%08x)%s", vmbus_msg_name(msgtype), why,
               (unsigned)status, more);
}

const char *vmbus_log_ok(enum vmbus_log_kind kind)
{
    return log_budget_take(&vmbus.log[kind]);
}

uint64_t vmbus_log_dropped(void)
{
    uint64_t n = 0;
    for (unsigned k = 0; k < VMBUS_LOG_KINDS; k++)
        n += vmbus.log[k].dropped;
    return n;
}
