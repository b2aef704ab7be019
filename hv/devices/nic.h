/* The `nic` device kind's one entry outside the registry: its card is polled
 * after every exit (hv/guest.c's host work). */
#ifndef HV_DEVICES_NIC_H
#define HV_DEVICES_NIC_H

/* Sent frames reclaimed, received ones handed to the guest (a bounded
 * number), the link state followed, answers the guest's full ring held back
 * retried. A few loads when there is no nic device or nothing waits. */
void nic_poll(void);

#endif
