/* The run's one "hv: summary ..." line, assembled from the parts the layers
 * register (arch: exits and time; hyperv; vmbus; devices; trace), in the
 * order they registered. */
#ifndef HV_LIB_SUMMARY_H
#define HV_LIB_SUMMARY_H

#include <stddef.h>

/* Writes " key=value key=value" (leading space, no newline) into buf,
 * truncated to cap - 1 bytes and NUL-terminated when cap > 0; returns the
 * length the whole text would have, as snprintf. */
typedef size_t (*summary_part)(char *buf, size_t cap);

#define SUMMARY_PARTS_MAX 16u

/* Adds fn after the parts already added (twice: once). -1 when full. */
int summary_add(summary_part fn);
/* Every part's text, one after the other; returns the whole length. */
size_t summary_text(char *buf, size_t cap);
/* Writes the line to the console: "hv: summary", every part's text, then
 * " verdict=<verdict>" and a newline (the one line without an area). */
void summary_write(int verdict);
/* No parts (tests; a new run). */
void summary_reset(void);

#endif
