#include "vm/judge.h"

#include "lib/fmt.h"
#include "lib/log.h"
#include "lib/log_once.h"
#include "verdict.h"

#define REPORT_LIMIT 16 /* distinct MSRs, ports; sleep requests */

static struct log_once msrs = LOG_ONCE_N(REPORT_LIMIT, " (further MSRs not reported)");
static struct log_once ports = LOG_ONCE_N(REPORT_LIMIT, " (further ports not reported)");
static struct log_budget cmos = LOG_BUDGET(1, "");
static struct log_budget sleeps = LOG_BUDGET(REPORT_LIMIT, "");

void judge_msr_refused(uint32_t msr, bool write)
{
    const char *tail = log_once_take(&msrs, msr, write);
    if (tail)
        hv_log("msr", "%s of MSR 0x%x refused with #GP%s", write ? "write" : "read", msr, tail);
}

static void port_refused(const struct io_space *s, uint16_t port, const char *what)
{
    const char *tail = log_once_take(&ports, port, 0);
    if (tail)
        hv_log("io", "guest %s port 0x%x refused: %s%s", what, port, io_lookup(s, port)->why, tail);
}

void judge_string_io(const struct io_space *s, uint16_t port)
{
    port_refused(s, port, "string I/O on");
}

int judge_io(const struct io_space *s, const struct io_result *r, bool in, char *why, size_t cap)
{
    if (r->refused)
        port_refused(s, r->refused_port, in ? "read of" : "write to");
    if (r->cmos_write && log_budget_take(&cmos))
        hv_log("io", "guest writes to the CMOS are dropped (further ones not reported)");
    switch (r->event) {
    case IO_EV_POWEROFF:
        fmt_snprintf(why, cap, "power-off (ACPI S5)");
        return HV_VERDICT_PASS;
    case IO_EV_RESET:
        fmt_snprintf(why, cap, "reset through %s (a reboot, or a panic with panic=-1)", r->what);
        return HV_VERDICT_GUEST_FAIL;
    case IO_EV_SLEEP:
        if (log_budget_take(&sleeps))
            hv_log("guest", "sleep state SLP_TYP=%u requested: not supported, ignored", r->slp_typ);
        return JUDGE_RUNS;
    case IO_EV_NONE:
        break;
    }
    return JUDGE_RUNS;
}
