/* Faults on purpose (docs/faults.md): the VMBus host misbehaves the way the
 * "fault = <when> <what> ..." lines of hv.cfg say, deterministically, so a
 * guest driver's error paths run on demand. The engine keeps the faults'
 * state and timers and installs its hooks (fault_hooks.h) in the server.
 * "random seed=<n> rate=<r>" acts at two of them: it delays host messages
 * and stalls rings, the faults a correct guest must survive, for soak runs.
 * Rescinds, stalls, spurious signals and unsolicited messages at=<ms>,
 * re-offers and a reordered packet's time-out run on the engine's own timers.
 * Every fault that fires logs "hv: fault: line <n>: <what it did>" (the first
 * FAULT_LOG_LINES per line; all are counted, faults_fired= in the summary). */
#ifndef HV_VMBUS_FAULT_H
#define HV_VMBUS_FAULT_H

#include <stdbool.h>
#include <stdint.h>

#include "boot_info.h"
#include "vmbus/kmcl_types.h"

/* Lines each fault logs when it fires before the rest are only counted. */
#define FAULT_LOG_LINES 8u

/* Takes the configured faults (n <= HV_FAULTS_MAX, validated by the
 * loader's parser; copied), logs one line for each and arms the at=<ms>
 * timers. After vmbus_init; n = 0 turns faults off. */
void fault_init(const struct hv_fault_config *cfg, uint32_t n);
/* Firings so far, all lines. */
uint64_t fault_fired(void);

/* unsolicited: msgtype (VERSION_RESPONSE, ALLOFFERS_DELIVERED,
 * OPENCHANNEL_RESULT, GPADL_CREATED, RESCIND_CHANNELOFFER) for relid into buf
 * (FAULT_MSG_MAX bytes); its size (fault_msg.c). */
#define FAULT_MSG_MAX 20u
uint8_t fault_unsolicited_msg(uint16_t msgtype, uint32_t relid, void *buf);

#endif
