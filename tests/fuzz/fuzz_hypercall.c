/* The hypercall entry is the guest's widest door into hv/hyperv. Input: RCX,
 * RDX, R8 (8 bytes each, little-endian), then up to 256 bytes placed at the
 * RDX block in a 64 KiB fake guest RAM (exactly sized: ASan sees any overrun),
 * then an optional script of further guest/host actions (more hypercalls,
 * MSR writes and reads, RAM pokes, Linux-style slot consumption with EOM,
 * host posts and events) so SynIC queues and the EOM protocol are reached;
 * each scripted action's op byte also names the VP doing it (two, and one
 * the partition lacks). Echo handlers answer posted messages through VP 0's
 * SynIC. Must never crash;
 * queue bounds and counter invariants are checked after every step. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hyperv/hv_wire.h"
#include "hyperv/hyperv.h"

#include "../unit/fixture.h"

#define RAM_SIZE  (64u * 1024)
#define SIMP_GPA  0x8000u
#define SIEFP_GPA 0x9000u

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t tsc_now;
static uint64_t fuzz_tsc(void *ctx)
{
    (void)ctx;
    return tsc_now += 1000;
}

#define VPS 2 /* the script's VP 2 is one the partition lacks */

static void fuzz_raise(void *ctx, uint32_t vp, uint8_t vector)
{
    (void)ctx;
    if (vector < 32 || vector == 0xF5 || vector == 0xFF)
        abort(); /* exception and host vectors can never be unmasked */
    if (vp >= VPS)
        abort();
}

static uint16_t echo_message(void *ctx, uint32_t conn, uint32_t type, const uint8_t *payload,
                             uint32_t size)
{
    (void)conn;
    if (size > HV_MESSAGE_PAYLOAD_SIZE)
        abort();
    return (uint16_t)synic_post(ctx, 0, 2, type, payload, (uint8_t)size);
}

static uint16_t echo_event(void *ctx, uint32_t conn, uint16_t flag)
{
    if (flag >= HV_EVENT_FLAGS_COUNT)
        abort();
    return (uint16_t)synic_signal_event(ctx, 0, conn & 15, flag);
}

static const uint32_t msrs[] = {
    HV_MSR_GUEST_OS_ID,   HV_MSR_HYPERCALL,     HV_MSR_VP_INDEX,       HV_MSR_TIME_REF_COUNT,
    HV_MSR_REFERENCE_TSC, HV_MSR_TSC_FREQUENCY, HV_MSR_APIC_FREQUENCY, HV_MSR_VP_ASSIST_PAGE,
    HV_MSR_SCONTROL,      HV_MSR_SVERSION,      HV_MSR_SIEFP,          HV_MSR_SIMP,
    HV_MSR_EOM,           HV_MSR_SINT0 + 2,     HV_MSR_SINT0 + 5,      0x400000B0,
};

static void check(const struct hyperv_partition *p)
{
    for (unsigned vp = 0; vp < HV_VP_MAX; vp++) {
        for (unsigned s = 0; s < HV_SINT_COUNT; s++)
            if (synic_queued(p, vp, s) > (vp < VPS ? HV_SYNIC_QUEUE_LEN : 0))
                abort();
    }
    if (p->n.msg_delivered > p->n.msg_posted)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fake *f = fake_new(RAM_SIZE, 0);
    struct hyperv_partition *p = &f->p;
    uint8_t *ram = f->gm.host;
    struct hyperv_platform plat = {.tsc = fuzz_tsc,
                                   .raise = fuzz_raise,
                                   .vp_count = VPS,
                                   .tsc_hz = 2445000000ull,
                                   .apic_hz = 1000000000,
                                   .host_vectors = {0xF5, 0xFF}}; /* the arch's timer, spurious */
    if (hyperv_init(p, &f->gm, &plat))
        abort();
    hyperv_register_message(p, 1, echo_message, p);
    hyperv_register_message(p, 4, echo_message, p);
    hyperv_register_event(p, 0x10, echo_event, p);
    hyperv_register_event(p, 0x12, echo_event, p);
    /* a guest that has done what Linux does before its first hypercall */
    hyperv_msr_write(p, 0, HV_MSR_GUEST_OS_ID, 0x8100000601C00000ull);
    hyperv_msr_write(p, 0, HV_MSR_HYPERCALL, 0x1000 | 1);
    hyperv_msr_write(p, 0, HV_MSR_SIMP, SIMP_GPA | 1);
    hyperv_msr_write(p, 0, HV_MSR_SIEFP, SIEFP_GPA | 1);
    hyperv_msr_write(p, 0, HV_MSR_SINT0 + 2, 0xF3);
    hyperv_msr_write(p, 0, HV_MSR_SCONTROL, 1);

    struct fuzz_input in = {data, size};
    uint64_t rcx = fuzz_take(&in, 8), rdx = fuzz_take(&in, 8), r8 = fuzz_take(&in, 8);
    uint64_t at = rdx % RAM_SIZE;
    for (unsigned i = 0; i < HV_MESSAGE_SIZE && in.left && at + i < RAM_SIZE; i++)
        ram[at + i] = (uint8_t)fuzz_take(&in, 1);
    hyperv_hypercall(p, 0, rcx, rdx, r8);
    check(p);

    while (in.left) {
        uint64_t v;
        uint8_t op = (uint8_t)fuzz_take(&in, 1);
        unsigned vp = (op >> 3) % (VPS + 1); /* who does it */
        switch (op % 8) {
        case 0:
            rcx = fuzz_take(&in, 8);
            rdx = fuzz_take(&in, 8);
            r8 = fuzz_take(&in, 8);
            hyperv_hypercall(p, vp, rcx, rdx, r8);
            break;
        case 1: {
            uint8_t sel = (uint8_t)fuzz_take(&in, 1);
            uint32_t msr = sel < 128 ? msrs[sel % 16] : 0x40000000u + (sel & 0x7F) * 4;
            hyperv_msr_write(p, vp, msr, fuzz_take(&in, 8));
            break;
        }
        case 2: {
            uint8_t sel = (uint8_t)fuzz_take(&in, 1);
            uint32_t msr = sel < 128 ? msrs[sel % 16] : 0x40000000u + (sel & 0x7F) * 4;
            hyperv_msr_read(p, vp, msr, &v);
            break;
        }
        case 3: { /* the guest pokes its RAM (e.g. rewrites an input block) */
            uint64_t off = fuzz_take(&in, 2) % RAM_SIZE;
            unsigned n = (unsigned)fuzz_take(&in, 1);
            for (unsigned i = 0; i < n && in.left && off + i < RAM_SIZE; i++)
                ram[off + i] = (uint8_t)fuzz_take(&in, 1);
            break;
        }
        case 4: { /* Linux's consumer on whatever page SIMP names, if in RAM */
            unsigned s = (unsigned)fuzz_take(&in, 1) % HV_SINT_COUNT;
            uint64_t simp = 0;
            hyperv_msr_read(p, vp, HV_MSR_SIMP, &simp);
            struct hv_message_page *pg = gmem_ptr(&f->gm, simp & HV_MSR_PAGE_MASK, PAGE_SIZE);
            if (pg && pg->slot[s].header.message_type) {
                uint8_t flags = pg->slot[s].header.message_flags;
                pg->slot[s].header.message_type = 0;
                if (flags & HV_MESSAGE_FLAG_PENDING)
                    hyperv_msr_write(p, vp, HV_MSR_EOM, 0);
            }
            break;
        }
        case 5: {
            unsigned s = (unsigned)fuzz_take(&in, 1);
            synic_signal_event(p, vp, s % 17, (unsigned)fuzz_take(&in, 2));
            break;
        }
        case 6: {
            uint8_t buf[256] = {0};
            unsigned s = (unsigned)fuzz_take(&in, 1) % 17;
            uint8_t n = (uint8_t)fuzz_take(&in, 1);
            uint32_t type = (uint32_t)fuzz_take(&in, 4);
            synic_post(p, vp, s, type, buf, n);
            break;
        }
        case 7:
            tsc_now += fuzz_take(&in, 4);
            hyperv_msr_read(p, 0, HV_MSR_TIME_REF_COUNT, &v);
            break;
        }
        check(p);
    }
    char line[256];
    hyperv_summary(p, line, sizeof(line));
    fake_free(f);
    return 0;
}
