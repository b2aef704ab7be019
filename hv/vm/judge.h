/* What the guest machine makes of the accesses its tables refuse and of the
 * events that end a run (docs/design.md, "Isolation"): a few log lines of
 * each kind (lib/log_once.h), and for a power-off or a reset the verdict and
 * its reason. Hardware-free: hv/arch/x86/exits.c decodes the exit, calls
 * these, and does the privileged part (#GP, the end of the run). */
#ifndef HV_VM_JUDGE_H
#define HV_VM_JUDGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vm/ioports.h"

#define JUDGE_RUNS (-1) /* the run goes on */

/* A RDMSR or WRMSR refused with #GP (vm/msrs.c's table, or hv/hyperv's
 * "unhandled"): logged once per MSR and direction, for the first 16. */
void judge_msr_refused(uint32_t msr, bool write);
/* String I/O at port: not emulated, refused as a port that cannot take it
 * (the caller injects #GP); logged like any refused port. */
void judge_string_io(const struct io_space *s, uint16_t port);
/* After io_access: logs what it refused or dropped and the sleep requests it
 * ignored; for a power-off or a reset returns the run's verdict (enum
 * hv_verdict) with its reason in why, else JUDGE_RUNS. */
int judge_io(const struct io_space *s, const struct io_result *r, bool in, char *why, size_t cap);

#endif
