/* The unsolicited fault's messages (docs/faults.md): answers and notices the
 * host sends, sent when nobody asked. Each names nothing the guest waits for
 * (no open or GPADL pending with that id, no channel with that relid), and
 * none changes the host's own state: it is queued like any message, with no
 * channel attached. */
#include "vmbus/fault.h"

#include "lib/mem.h"
#include "vmbus/state.h"

uint8_t fault_unsolicited_msg(uint16_t msgtype, uint32_t relid, void *buf)
{
    union {
        struct vmbus_msg_header h;
        struct vmbus_version_response version;
        struct vmbus_open_result open;
        struct vmbus_gpadl_created gpadl;
        struct vmbus_relid_msg rescind;
    } m;
    _Static_assert(sizeof(m) <= FAULT_MSG_MAX, "FAULT_MSG_MAX");
    uint8_t size = sizeof(m.h);
    memset(&m, 0, sizeof(m));
    m.h.msgtype = msgtype;
    switch (msgtype) {
    case VMBUS_MSG_VERSION_RESPONSE: /* "accepted", on the connection's own message id */
        m.version.version_supported = 1;
        m.version.msg_conn_id = vmbus.msg_conn_id;
        size = sizeof(m.version);
        break;
    case VMBUS_MSG_OPENCHANNEL_RESULT: /* success, open id 0 */
        m.open.child_relid = relid;
        size = sizeof(m.open);
        break;
    case VMBUS_MSG_GPADL_CREATED: /* success for GPADL id 0, which Linux never hands out */
        m.gpadl.child_relid = relid;
        size = sizeof(m.gpadl);
        break;
    case VMBUS_MSG_RESCIND_CHANNELOFFER:
        m.rescind.child_relid = relid;
        size = sizeof(m.rescind);
        break;
    default: /* ALLOFFERS_DELIVERED: the header alone */
        break;
    }
    memcpy(buf, &m, size);
    return size;
}
