/* The decoded trace: with "trace = <class>,..." in hv.cfg the hypervisor
 * writes one "hv: trace: <class>: <event>" line per event of those classes
 * (README, "Trace"; docs/vmbus.md, "Trace"). Off, each event costs one
 * predictable branch on trace_mask; on, each class prints at most
 * TRACE_BUDGET lines, says so once, and counts the rest (trace_dropped= in
 * the summary). Hardware-free: lines go to console_write (lib/log.h). */
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
/* Whether class c may print one more line now: true while under its budget;
 * the first refusal prints the line saying further lines are dropped, every
 * refusal counts. Decoders call it before formatting, so a class over its
 * budget costs no decoding. */
bool trace_admit(enum trace_class c);
/* Prints "hv: trace: <class>: " + the formatted text (truncated to one line
 * of TRACE_LINE_MAX). Call only after trace_admit(c) said yes. */
void trace_emit(enum trace_class c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* trace_admit + trace_emit. */
void trace_line(enum trace_class c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Lines printed and dropped so far, all classes. */
uint64_t trace_printed(void);
uint64_t trace_dropped(void);
/* " trace_dropped=<n>" for the summary line (leading space, no newline);
 * returns the length the full text would have. */
size_t trace_summary(char *buf, size_t cap);

/* --- exits (TRACE_EXIT): the hook the arch's exit dispatcher calls ---------- */
/* One line: the SVM exit code by name, the guest RIP, and what the exit
 * information says for that reason (CPUID leaf, MSR and value, port, size and
 * value, faulting GPA and access, ...). rax, rcx and rdx are the guest's at
 * the exit. */
void trace_exit(uint32_t code, uint64_t rip, uint64_t info1, uint64_t info2, uint64_t rax,
                uint64_t rcx, uint64_t rdx);
/* The SVM exit code's name ("cpuid", "msr", ...; "exception #PF"; NULL if unknown). */
const char *trace_exit_name(uint32_t code, char *buf, size_t cap);

#endif
