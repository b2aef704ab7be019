/* The decoded trace: with "trace = <class>,..." in hv.cfg the hypervisor
 * writes one "hv: trace: <class>: <event>" line per event of those classes
 * (README, "Trace"; docs/vmbus.md, "Trace"). Off, each event costs one
 * predictable branch on trace_mask; on, each class prints at most
 * TRACE_BUDGET lines on the log, says so once, and counts the rest
 * (trace_dropped= in the summary), while every event, without a budget, also
 * goes out as one JSON line, a trace record, through a channel of its own
 * (trace_record_write: a file on the machine's host; scripts/trace-filter.sh
 * reads it). Hardware-free: lines go to console_write (lib/log.h). */
#ifndef HV_LIB_TRACE_H
#define HV_LIB_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "boot_info.h"

enum trace_class {
    TRACE_VMBUS,
    TRACE_RING,
    TRACE_SYNIC,
    TRACE_HYPERCALL,
    TRACE_EXIT,
    TRACE_CLASS_COUNT
};
_Static_assert(TRACE_CLASS_COUNT == HV_TRACE_CLASSES, "one enum value per configurable class");
_Static_assert(HV_TRACE_EXIT == 1u << TRACE_EXIT, "bit i is class i");

/* The arch's channel for trace records (QEMU's debugcon at
 * TRACE_RECORD_PORT, hv/arch/x86/serial.c; tests capture it). */
void trace_record_write(const char *s, size_t n);
/* Longest trace record: the event's text escaped, and the fields around it. */
#define TRACE_RECORD_MAX 1024u

/* Lines each class prints before the rest are only counted. */
#define TRACE_BUDGET 2000u
/* Longest trace line, "hv: trace: <class>: " and newline included. */
#define TRACE_LINE_MAX 320u

/* HV_TRACE_* bits of the classes on; 0 (the default) traces nothing. */
extern uint32_t trace_mask;

/* The one test on every traced path. */
static inline bool trace_on(enum trace_class c)
{
    return __builtin_expect((trace_mask >> c) & 1u, 0);
}

/* Starts (or restarts, for tests) the trace with the classes of mask (HV_TRACE_*
 * bits; unknown bits ignored): counters zeroed; logs one line naming the
 * classes when any is on. */
void trace_init(uint32_t mask);
const char *trace_class_name(enum trace_class c);
/* Whether class c is on, so its next event is to be decoded. The log's line
 * budget is counted here: past it, the first event prints the line saying
 * further lines are dropped, and each one counts; the event still becomes a
 * trace record. Decoders call it before formatting, so a class that is off
 * costs no decoding. */
bool trace_admit(enum trace_class c);
/* The event: "hv: trace: <class>: " + the formatted text on the log (truncated
 * to one line of TRACE_LINE_MAX) while the class is under its budget, and its
 * trace record. Call only after trace_admit(c) said yes. */
void trace_emit(enum trace_class c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* trace_admit + trace_emit. */
void trace_line(enum trace_class c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The trace record of one event, into out (cap >= TRACE_RECORD_MAX): one
 * JSON object and a newline, its keys always in this order:
 * {"t_us":<host µs>,"class":"<class>","relid":<n>|null,"msg":"<name>"|null,
 * "text":"<the log line's text>"}. relid is the text's first "relid=<n>";
 * msg the message name (vmbus: the word after the direction), the packet
 * type (ring: "type=<name>") or the first word (hypercall, synic, exit).
 * Returns the length. */
size_t trace_record(char *out, size_t cap, uint64_t t_us, enum trace_class c, const char *text);
/* Lines printed and dropped so far, all classes. */
uint64_t trace_printed(void);
uint64_t trace_dropped(void);
/* " trace_dropped=<n>" for the summary line (leading space, no newline);
 * returns the length the full text would have. */
size_t trace_summary(char *buf, size_t cap);

/* --- exits (TRACE_EXIT): the hook the arch's exit dispatcher calls ---------- */
/* One line: the SVM exit code by name, the VP, the guest RIP, and what the exit
 * information says for that reason (CPUID leaf, MSR and value, port, size and
 * value, faulting GPA and access, ...). rax, rcx and rdx are the guest's at
 * the exit. */
void trace_exit(uint32_t vp, uint32_t code, uint64_t rip, uint64_t info1, uint64_t info2,
                uint64_t rax, uint64_t rcx, uint64_t rdx);
/* The SVM exit code's name ("cpuid", "msr", ...; "exception #PF"; NULL if unknown). */
const char *trace_exit_name(uint32_t code, char *buf, size_t cap);

#endif
