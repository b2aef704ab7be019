/* How a run ended; carried out of QEMU by isa-debug-exit as (verdict << 1) | 1. */
#ifndef HV_VERDICT_H
#define HV_VERDICT_H

enum hv_verdict {
    HV_VERDICT_PASS = 0,       /* the run did what it was asked: the guest powered off */
    HV_VERDICT_GUEST_FAIL = 1, /* the guest failed: triple fault, reset (reboot, panic) */
    HV_VERDICT_HV_ERROR = 2,   /* the hypervisor stopped on an error of its own */
};

#endif
