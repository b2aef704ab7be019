/* The shared test fixture: see fixture.h. */
#include "fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hyperv/hv_wire.h"
#include "lib/log.h"

char logbuf[1 << 16];
size_t loglen;

void console_write(const char *s, size_t n)
{
    if (n > sizeof(logbuf) - 1 - loglen)
        n = sizeof(logbuf) - 1 - loglen;
    memcpy(logbuf + loglen, s, n);
    loglen += n;
    logbuf[loglen] = 0;
}

char recbuf[1 << 16];
size_t reclen;

void trace_record_write(const char *s, size_t n)
{
    if (n > sizeof(recbuf) - 1 - reclen)
        n = sizeof(recbuf) - 1 - reclen;
    memcpy(recbuf + reclen, s, n);
    reclen += n;
    recbuf[reclen] = 0;
}

void log_reset(void)
{
    loglen = 0;
    logbuf[0] = 0;
    reclen = 0;
    recbuf[0] = 0;
}

unsigned log_count(const char *needle)
{
    unsigned n = 0;
    for (const char *s = logbuf; (s = strstr(s, needle)) != NULL; s++)
        n++;
    return n;
}

struct fake *fake_new(size_t ram_size, uint8_t fill)
{
    struct fake *f = calloc(1, sizeof(*f));
    f->gm.host = aligned_alloc(PAGE_SIZE, ram_size);
    memset(f->gm.host, fill, ram_size);
    f->gm.size = ram_size;
    return f;
}

void fake_free(struct fake *f)
{
    free(f->gm.host);
    free(f);
}

int fake_teardown(void **state)
{
    fake_free(*state);
    return 0;
}

uint64_t fake_tsc(void *ctx)
{
    return ((struct fake *)ctx)->tsc;
}

void fake_raise(void *ctx, uint32_t vp, uint8_t vector)
{
    struct fake *f = ctx;
    if (f->nraised < sizeof(f->raised)) {
        f->raised[f->nraised] = vector;
        f->raised_vp[f->nraised] = (uint8_t)vp;
    }
    f->nraised++;
}

struct hyperv_platform fake_platform(struct fake *f, uint32_t vp_count, uint64_t tsc_hz,
                                     uint64_t tsc_at_start, uint64_t apic_hz)
{
    return (struct hyperv_platform){
        .tsc = fake_tsc,
        .raise = fake_raise,
        .ctx = f,
        .vp_count = vp_count,
        .tsc_hz = tsc_hz,
        .tsc_at_start = tsc_at_start,
        .apic_hz = apic_hz,
    };
}

unsigned synic_queued(const struct hyperv_partition *p, unsigned vp, unsigned sint)
{
    return vp < HV_VP_MAX && sint < HV_SINT_COUNT ? p->vp[vp].synic.q[sint].count : 0;
}

void *read_file(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    long n = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
    char *buf = n >= 0 && fseek(f, 0, SEEK_SET) == 0 ? malloc((size_t)n + 1) : NULL;
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    if (!buf)
        return NULL;
    buf[n] = 0;
    if (size)
        *size = (size_t)n;
    return buf;
}

uint64_t fuzz_take(struct fuzz_input *in, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < n && in->left; i++, in->left--)
        v |= (uint64_t)*in->p++ << (8 * i);
    return v;
}
