/* What the host tests share: a capture of the hypervisor's console, a fake
 * guest for hv/hyperv, whole-file reading and a fuzz input reader. Plain libc
 * (no cmocka, no hv code called), so any unit test or fuzz target can link it:
 * list tests/unit/fixture.c in its .deps. */
#ifndef TESTS_UNIT_FIXTURE_H
#define TESTS_UNIT_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

#include "hyperv/hyperv.h"

/* --- the console ------------------------------------------------------------ */

/* fixture.c is the console_write hv/lib/log.c writes to: logbuf holds what
 * was logged since log_reset(), NUL-terminated; what does not fit is dropped. */
extern char logbuf[1 << 16];
extern size_t loglen;

/* ... and the trace_record_write lib/trace.c writes trace records to: recbuf,
 * likewise (log_reset empties both). */
extern char recbuf[1 << 16];
extern size_t reclen;

void log_reset(void);
unsigned log_count(const char *needle); /* occurrences in logbuf */

/* --- a fake guest for hv/hyperv ----------------------------------------------- */

/* Guest RAM, the partition over it, and the state of the fake platform
 * callbacks below (their ctx is the struct fake). Each test calls hyperv_init
 * itself, with its own rates: tests that do not link hv/hyperv use this file
 * too, so it must not call into hv/hyperv. */
struct fake {
    struct guest_mem gm; /* heap RAM, page-aligned, exactly sized: ASan sees overruns */
    struct hyperv_partition p;
    uint64_t tsc;            /* what fake_tsc() reads */
    unsigned nraised;        /* fake_raise() calls */
    uint8_t raised[4096];    /* the vectors of the first 4096 */
    uint8_t raised_vp[4096]; /* ... and the VPs they went to */
};

/* All zero but the ram_size bytes of RAM, which are all fill. */
struct fake *fake_new(size_t ram_size, uint8_t fill);
void fake_free(struct fake *f);
int fake_teardown(void **state); /* a cmocka teardown: fake_free(*state) */

uint64_t fake_tsc(void *ctx);
void fake_raise(void *ctx, uint32_t vp, uint8_t vector);
/* The platform over f: fake_tsc, fake_raise, no APIC MSRs, vp_count VPs. */
struct hyperv_platform fake_platform(struct fake *f, uint32_t vp_count, uint64_t tsc_hz,
                                     uint64_t tsc_at_start, uint64_t apic_hz);
/* Messages queued (not yet in the slot) for sint of VP vp: hv/hyperv's own
 * queue, read. */
unsigned synic_queued(const struct hyperv_partition *p, unsigned vp, unsigned sint);

/* --- files ------------------------------------------------------------------- */

/* The whole file, with a NUL after it so that text is a string too; its size
 * (without the NUL) in *size unless size is NULL. Free it. NULL if it cannot
 * be read, e.g. a build product this checkout lacks (the test skips). */
void *read_file(const char *path, size_t *size);

/* --- fuzz input -------------------------------------------------------------- */

/* A fuzzer's input, consumed field by field. */
struct fuzz_input {
    const uint8_t *p;
    size_t left;
};

/* The next n bytes (n <= 8), little-endian; zeros once the input runs out. */
uint64_t fuzz_take(struct fuzz_input *in, unsigned n);

#endif
