/* SynIC delivery over a fake guest RAM, with a guest model that consumes
 * messages exactly as Linux 6.1 does (copy slot, clear type, EOM if pending)
 * and one that misbehaves: floods with EOMs in odd orders, nothing lost, order
 * kept per SINT, back-pressure when a queue is full; event flags; interrupts
 * on the programmed vector only while unmasked and enabled. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "hyperv/hv_wire.h"
#include "hyperv/hyperv.h"

#include "fixture.h"

#define RAM_SIZE  (64u * 1024)
#define SIMP_GPA  0x8000ull
#define SIEFP_GPA 0x9000ull
#define VEC       0xF3

static void wr(struct fake *f, uint32_t msr, uint64_t v)
{
    assert_int_equal(hyperv_msr_write(&f->p, 0, msr, v), HV_MSR_OK);
}

static int setup(void **state)
{
    struct fake *f = fake_new(RAM_SIZE, 0x5A);
    struct hyperv_platform plat = fake_platform(f, 1, 2500000000ull, 0, 1000000000);
    plat.host_vectors[0] = 0xF5;
    plat.host_vectors[1] = 0xFF;
    assert_int_equal(hyperv_init(&f->p, &f->gm, &plat), 0);
    *state = f;
    return 0;
}

/* hv_vmbus's set-up on one CPU (contract §2.2 step 6). */
static void linux_enables(struct fake *f)
{
    wr(f, HV_MSR_SIMP, SIMP_GPA | 1);
    wr(f, HV_MSR_SIEFP, SIEFP_GPA | 1);
    wr(f, HV_MSR_SINT0 + 2, VEC);
    wr(f, HV_MSR_SCONTROL, 1);
}

static struct hv_message *slot(struct fake *f, unsigned sint)
{
    return (struct hv_message *)(f->gm.host + SIMP_GPA) + sint;
}

static uint8_t *flags(struct fake *f, unsigned sint)
{
    return f->gm.host + SIEFP_GPA + 256 * sint;
}

static int post(struct fake *f, unsigned sint, uint32_t seq)
{
    uint8_t payload[240];
    uint8_t size = (uint8_t)(4 + seq % 200);
    memset(payload, (int)(seq & 0xFF), sizeof(payload));
    memcpy(payload, &seq, 4);
    return synic_post(&f->p, 0, sint, 1, payload, size);
}

/* Linux's EOM logic (§4.5): take the message, free the slot, EOM if pending.
 * Returns the sequence number it carried, or -1 if the slot was empty. */
static int64_t guest_take(struct fake *f, unsigned sint, bool do_eom)
{
    struct hv_message m;
    memcpy(&m, slot(f, sint), sizeof(m));
    if (m.header.message_type == 0)
        return -1;
    uint32_t seq;
    memcpy(&seq, m.payload, 4);
    assert_int_equal(m.header.message_type, 1);
    assert_int_equal(m.header.payload_size, 4 + seq % 200);
    for (unsigned i = 4; i < m.header.payload_size; i++)
        assert_int_equal(m.payload[i], seq & 0xFF);
    slot(f, sint)->header.message_type = 0;
    if (do_eom && (m.header.message_flags & HV_MESSAGE_FLAG_PENDING))
        wr(f, HV_MSR_EOM, 0);
    return seq;
}

static void delivers_into_slot(void **state)
{
    struct fake *f = *state;
    linux_enables(f);
    /* enabling zeroed the pages: every slot free, no flags */
    for (unsigned i = 0; i < 16; i++)
        assert_int_equal(slot(f, i)->header.message_type, 0);
    assert_int_equal(flags(f, 2)[0], 0);
    assert_int_equal(f->nraised, 0);

    uint8_t payload[240];
    for (unsigned i = 0; i < 240; i++)
        payload[i] = (uint8_t)i;
    assert_int_equal(synic_post(&f->p, 0, 2, 1, payload, 240), HV_STATUS_SUCCESS);
    struct hv_message *m = slot(f, 2);
    assert_int_equal(m->header.message_type, 1);
    assert_int_equal(m->header.payload_size, 240);
    assert_int_equal(m->header.message_flags, 0);
    assert_int_equal(m->header.reserved, 0);
    assert_true(m->header.sender == 0);
    assert_memory_equal(m->payload, payload, 240);
    assert_int_equal(f->nraised, 1);
    assert_int_equal(f->raised[0], VEC);
    assert_int_equal(slot(f, 1)->header.message_type, 0); /* neighbours untouched */
    assert_int_equal(slot(f, 3)->header.message_type, 0);
    /* an empty payload is a message too */
    m->header.message_type = 0;
    assert_int_equal(synic_post(&f->p, 0, 2, 0x80000010, NULL, 0), HV_STATUS_SUCCESS);
    assert_true(m->header.message_type == 0x80000010);
    assert_int_equal(m->header.payload_size, 0);
    assert_int_equal(f->nraised, 2);
}

static void bad_posts(void **state)
{
    struct fake *f = *state;
    linux_enables(f);
    uint8_t b[241] = {0};
    assert_int_equal(synic_post(&f->p, 0, 16, 1, b, 8), HV_STATUS_INVALID_PARAMETER);
    assert_int_equal(synic_post(&f->p, 0, 2, 0, b, 8), HV_STATUS_INVALID_PARAMETER);
    assert_int_equal(synic_post(&f->p, 0, 2, 1, b, 241), HV_STATUS_INVALID_PARAMETER);
    assert_int_equal(synic_post(&f->p, 0, 2, 1, NULL, 1), HV_STATUS_INVALID_PARAMETER);
    assert_int_equal(f->nraised, 0);
    assert_true(f->p.n.msg_posted == 0);
}

static void waits_until_enabled(void **state)
{
    struct fake *f = *state;
    /* before hv_vmbus set the SynIC up: queued, no interrupt */
    assert_int_equal(post(f, 2, 100), HV_STATUS_SUCCESS);
    assert_int_equal(post(f, 2, 101), HV_STATUS_SUCCESS);
    assert_int_equal(synic_queued(&f->p, 0, 2), 2);
    wr(f, HV_MSR_SIMP, SIMP_GPA | 1);
    wr(f, HV_MSR_SINT0 + 2, VEC);
    assert_int_equal(f->nraised, 0); /* SCONTROL still off */
    assert_int_equal(slot(f, 2)->header.message_type, 0);
    wr(f, HV_MSR_SCONTROL, 1);
    assert_int_equal(f->nraised, 1);
    assert_int_equal(slot(f, 2)->header.message_flags, HV_MESSAGE_FLAG_PENDING);
    assert_int_equal(guest_take(f, 2, true), 100);
    assert_int_equal(f->nraised, 2);
    assert_int_equal(guest_take(f, 2, true), 101);
    assert_int_equal(synic_queued(&f->p, 0, 2), 0);
    assert_int_equal(guest_take(f, 2, true), -1);
    assert_int_equal(f->nraised, 2);
}

static void masked_sint_holds_messages(void **state)
{
    struct fake *f = *state;
    linux_enables(f);
    wr(f, HV_MSR_SINT0 + 2, 0x10000 | VEC);
    assert_int_equal(post(f, 2, 7), HV_STATUS_SUCCESS);
    assert_int_equal(slot(f, 2)->header.message_type, 0);
    assert_int_equal(f->nraised, 0);
    wr(f, HV_MSR_EOM, 0); /* nothing moves while masked */
    assert_int_equal(f->nraised, 0);
    wr(f, HV_MSR_SINT0 + 2, VEC);
    assert_int_equal(f->nraised, 1);
    assert_int_equal(guest_take(f, 2, true), 7);
    /* SIMP off: held as well; SCONTROL off: held */
    wr(f, HV_MSR_SIMP, SIMP_GPA);
    assert_int_equal(post(f, 2, 8), HV_STATUS_SUCCESS);
    wr(f, HV_MSR_SCONTROL, 0);
    wr(f, HV_MSR_SIMP, SIMP_GPA | 1);
    assert_int_equal(post(f, 2, 9), HV_STATUS_SUCCESS);
    assert_int_equal(f->nraised, 1);
    wr(f, HV_MSR_SCONTROL, 1);
    assert_int_equal(f->nraised, 2);
    assert_int_equal(guest_take(f, 2, true), 8);
    assert_int_equal(guest_take(f, 2, true), 9);
    assert_int_equal(f->nraised, 3);
}

static void busy_slot_sets_pending(void **state)
{
    struct fake *f = *state;
    linux_enables(f);
    assert_int_equal(post(f, 2, 1), HV_STATUS_SUCCESS);
    assert_int_equal(slot(f, 2)->header.message_flags, 0);
    assert_int_equal(post(f, 2, 2), HV_STATUS_SUCCESS);
    assert_int_equal(post(f, 2, 3), HV_STATUS_SUCCESS);
    assert_int_equal(f->nraised, 1); /* one per delivered message */
    assert_int_equal(slot(f, 2)->header.message_flags, HV_MESSAGE_FLAG_PENDING);
    assert_int_equal(synic_queued(&f->p, 0, 2), 2);
    assert_true(f->p.n.msg_queued == 2);
    wr(f, HV_MSR_EOM, 0); /* EOM while the slot is still full: nothing happens */
    assert_int_equal(f->nraised, 1);
    assert_int_equal(guest_take(f, 2, true), 1);
    assert_int_equal(f->nraised, 2);
    /* delivered with more behind it: pending already set */
    assert_int_equal(slot(f, 2)->header.message_flags, HV_MESSAGE_FLAG_PENDING);
    assert_int_equal(guest_take(f, 2, true), 2);
    assert_int_equal(slot(f, 2)->header.message_flags, 0); /* the last one */
    assert_int_equal(guest_take(f, 2, true), 3);
    assert_int_equal(f->nraised, 3);
    for (unsigned i = 0; i < 3; i++)
        assert_int_equal(f->raised[i], VEC);
}

static void full_queue_pushes_back(void **state)
{
    struct fake *f = *state;
    linux_enables(f);
    assert_int_equal(post(f, 2, 0), HV_STATUS_SUCCESS); /* in the slot */
    for (uint32_t i = 1; i <= HV_SYNIC_QUEUE_LEN; i++)
        assert_int_equal(post(f, 2, i), HV_STATUS_SUCCESS);
    assert_int_equal(post(f, 2, 99), HV_STATUS_INSUFFICIENT_BUFFERS);
    assert_int_equal(post(f, 2, 99), HV_STATUS_INSUFFICIENT_BUFFERS);
    assert_true(f->p.n.msg_full == 2);
    /* another SINT has its own queue */
    wr(f, HV_MSR_SINT0 + 5, 0x40);
    assert_int_equal(post(f, 5, 500), HV_STATUS_SUCCESS);
    /* the guest freed the slot but wrote no EOM: the next post still makes room */
    slot(f, 2)->header.message_type = 0;
    assert_int_equal(post(f, 2, 17), HV_STATUS_SUCCESS);
    for (uint32_t i = 1; i <= 17; i++)
        assert_int_equal(guest_take(f, 2, true), i);
    assert_int_equal(guest_take(f, 2, true), -1);
    assert_int_equal(guest_take(f, 5, true), 500);
}

static uint64_t rng = 88172645463325252ull;
static uint32_t rnd(uint32_t n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng % n);
}

/* Two SINTs flooded; the guest frees slots with and without EOM, writes stray
 * EOMs, sometimes only takes one SINT; the host retries refused posts later. */
static void flood_with_odd_eoms(void **state)
{
    struct fake *f = *state;
    const unsigned sints[2] = {2, 5};
    linux_enables(f);
    wr(f, HV_MSR_SINT0 + 5, 0x41);
    uint32_t next_post[2] = {0, 0}, next_take[2] = {0, 0};
    const uint32_t total = 20000;
    unsigned refused = 0;
    for (unsigned step = 0; next_take[0] < total || next_take[1] < total; step++) {
        unsigned k = rnd(2), s = sints[k];
        switch (rnd(8)) {
        case 0:
        case 1:
        case 2: /* the host posts a burst; a refused message is retried later, in order */
            for (unsigned b = rnd(6); b && next_post[k] < total; b--) {
                int st = post(f, s, next_post[k]);
                if (st == HV_STATUS_INSUFFICIENT_BUFFERS) {
                    refused++;
                    break;
                }
                assert_int_equal(st, HV_STATUS_SUCCESS);
                next_post[k]++;
            }
            break;
        case 3:
        case 4: { /* Linux-like take */
            int64_t seq = guest_take(f, s, true);
            if (seq >= 0)
                assert_int_equal(seq, next_take[k]++);
            break;
        }
        case 5: { /* take without EOM: delivery waits for the next trigger */
            int64_t seq = guest_take(f, s, false);
            if (seq >= 0)
                assert_int_equal(seq, next_take[k]++);
            break;
        }
        case 6: /* a stray EOM */
            wr(f, HV_MSR_EOM, 0);
            break;
        case 7: /* unmask/re-mask dance on SINT5 */
            wr(f, HV_MSR_SINT0 + 5, rnd(2) ? 0x41 : 0x10041);
            break;
        }
        if (step > 10 * total) { /* drain: only Linux-like behaviour from here on */
            wr(f, HV_MSR_SINT0 + 5, 0x41);
            wr(f, HV_MSR_EOM, 0);
        }
        assert_true(step < 20 * total);
    }
    assert_true(refused > 0); /* back-pressure was exercised */
    assert_int_equal(synic_queued(&f->p, 0, 2), 0);
    assert_int_equal(synic_queued(&f->p, 0, 5), 0);
    assert_true(f->p.n.msg_posted == 2 * total);
    assert_true(f->p.n.msg_delivered == 2 * total);
    assert_true(f->p.n.msg_full == refused);
    /* every delivery interrupted the guest, on its SINT's vector only */
    assert_true(f->nraised >= 2 * total);
    for (unsigned i = 0; i < f->nraised && i < sizeof(f->raised); i++)
        assert_true(f->raised[i] == VEC || f->raised[i] == 0x41);
}

static void event_flags(void **state)
{
    struct fake *f = *state;
    linux_enables(f);
    assert_int_equal(synic_signal_event(&f->p, 0, 2, 7), HV_STATUS_SUCCESS);
    assert_int_equal(flags(f, 2)[0], 0x80);
    assert_int_equal(f->nraised, 1);
    assert_int_equal(f->raised[0], VEC);
    /* already set: the guest has not scanned yet, no second interrupt */
    assert_int_equal(synic_signal_event(&f->p, 0, 2, 7), HV_STATUS_SUCCESS);
    assert_int_equal(f->nraised, 1);
    flags(f, 2)[0] = 0; /* the guest's test-and-clear */
    assert_int_equal(synic_signal_event(&f->p, 0, 2, 7), HV_STATUS_SUCCESS);
    assert_int_equal(f->nraised, 2);
    assert_int_equal(synic_signal_event(&f->p, 0, 2, 2047), HV_STATUS_SUCCESS);
    assert_int_equal(flags(f, 2)[255], 0x80);
    assert_int_equal(synic_signal_event(&f->p, 0, 2, 8), HV_STATUS_SUCCESS);
    assert_int_equal(flags(f, 2)[1], 0x01);
    assert_int_equal(flags(f, 1)[255], 0); /* neighbours untouched */
    assert_int_equal(flags(f, 3)[0], 0);
    assert_int_equal(synic_signal_event(&f->p, 0, 2, 2048), HV_STATUS_INVALID_PARAMETER);
    assert_int_equal(synic_signal_event(&f->p, 0, 16, 1), HV_STATUS_INVALID_PARAMETER);
    assert_true(f->p.n.events == 5);
}

static void events_wait_for_enable_and_unmask(void **state)
{
    struct fake *f = *state;
    /* before SIEFP/SCONTROL: latched, delivered when both are on */
    assert_int_equal(synic_signal_event(&f->p, 0, 2, 3), HV_STATUS_SUCCESS);
    assert_int_equal(synic_signal_event(&f->p, 0, 2, 1000), HV_STATUS_SUCCESS);
    assert_int_equal(f->nraised, 0);
    wr(f, HV_MSR_SIMP, SIMP_GPA | 1);
    wr(f, HV_MSR_SIEFP, SIEFP_GPA | 1);
    wr(f, HV_MSR_SINT0 + 2, VEC);
    assert_int_equal(f->nraised, 0);
    assert_int_equal(flags(f, 2)[0], 0);
    wr(f, HV_MSR_SCONTROL, 1);
    assert_int_equal(flags(f, 2)[0], 0x08);
    assert_int_equal(flags(f, 2)[125], 0x01);
    assert_int_equal(f->nraised, 1);
    /* masked: the flag is set, the interrupt is owed until unmasked */
    wr(f, HV_MSR_SINT0 + 2, 0x10000 | VEC);
    assert_int_equal(synic_signal_event(&f->p, 0, 2, 4), HV_STATUS_SUCCESS);
    assert_int_equal(flags(f, 2)[0], 0x18);
    assert_int_equal(f->nraised, 1);
    assert_true(f->p.n.irqs_deferred == 1);
    wr(f, HV_MSR_SINT0 + 2, 0x10000 | VEC); /* still masked */
    assert_int_equal(f->nraised, 1);
    wr(f, HV_MSR_SINT0 + 2, 0x77); /* unmasked, on a new vector */
    assert_int_equal(f->nraised, 2);
    assert_int_equal(f->raised[1], 0x77);
    wr(f, HV_MSR_EOM, 0); /* owed only once */
    assert_int_equal(f->nraised, 2);
}

static void vectors_per_sint(void **state)
{
    struct fake *f = *state;
    linux_enables(f);
    wr(f, HV_MSR_SINT0 + 0, 0x30);
    wr(f, HV_MSR_SINT0 + 15, 0xFE);
    assert_int_equal(synic_signal_event(&f->p, 0, 0, 1), 0);
    assert_int_equal(synic_signal_event(&f->p, 0, 15, 1), 0);
    assert_int_equal(post(f, 2, 1), 0);
    assert_int_equal(synic_signal_event(&f->p, 0, 9, 1), 0); /* SINT9 masked (reset value) */
    assert_int_equal(f->nraised, 3);
    assert_int_equal(f->raised[0], 0x30);
    assert_int_equal(f->raised[1], 0xFE);
    assert_int_equal(f->raised[2], VEC);
    /* SCONTROL off: nothing is raised */
    wr(f, HV_MSR_SCONTROL, 0);
    assert_int_equal(synic_signal_event(&f->p, 0, 0, 2), 0);
    assert_int_equal(post(f, 0, 1), 0);
    assert_int_equal(f->nraised, 3);
    wr(f, HV_MSR_SCONTROL, 1);
    assert_int_equal(f->nraised, 4); /* one interrupt: flag and message together */
    assert_int_equal(f->raised[3], 0x30);
    assert_int_equal(flags(f, 0)[0], 0x06);
    assert_int_equal(slot(f, 0)->header.message_type, 1);
}

static void simp_moves(void **state)
{
    struct fake *f = *state;
    linux_enables(f);
    assert_int_equal(post(f, 2, 1), 0);
    assert_int_equal(post(f, 2, 2), 0);
    /* the guest moves its message page (e.g. kexec): the queue follows */
    wr(f, HV_MSR_SIMP, 0xA000 | 1);
    struct hv_message *m = (struct hv_message *)(f->gm.host + 0xA000) + 2;
    assert_int_equal(m->header.message_type, 1);
    uint32_t seq;
    memcpy(&seq, m->payload, 4);
    assert_int_equal(seq, 2);
    for (unsigned i = 0; i < 16; i++) /* the rest of the new page was cleared */
        if (i != 2)
            assert_int_equal(m[(int)i - 2].header.message_type, 0);
    /* re-writing the same value does not clear the page */
    wr(f, HV_MSR_SIMP, 0xA000 | 1);
    assert_int_equal(m->header.message_type, 1);
}

/* A poster starting over (VMBus on UNLOAD) forgets its queued messages: only
 * those of its type, the rest keep their order, the one in the slot stays. */
static void purge_forgets_one_type(void **state)
{
    struct fake *f = *state;
    linux_enables(f);
    /* move the queue's head off 0 so the purge has to wrap */
    for (uint32_t i = 0; i < 11; i++) {
        assert_int_equal(post(f, 2, i), HV_STATUS_SUCCESS);
        assert_int_equal(guest_take(f, 2, true), i);
    }
    assert_int_equal(post(f, 2, 100), HV_STATUS_SUCCESS); /* in the slot */
    uint32_t other = 0x80000010;
    for (uint32_t i = 0; i < HV_SYNIC_QUEUE_LEN; i++) {
        if (i % 3 == 0)
            assert_int_equal(synic_post(&f->p, 0, 2, other, &i, 4), HV_STATUS_SUCCESS);
        else
            assert_int_equal(post(f, 2, 200 + i), HV_STATUS_SUCCESS);
    }
    assert_int_equal(synic_queued(&f->p, 0, 2), HV_SYNIC_QUEUE_LEN);
    assert_int_equal(synic_purge(&f->p, 0, 3, 1), 0); /* another SINT: nothing there */
    assert_int_equal(synic_purge(&f->p, 0, 16, 1), 0);
    assert_int_equal(synic_purge(&f->p, 0, 2, 1), 10);
    assert_int_equal(synic_queued(&f->p, 0, 2), 6);
    assert_int_equal(guest_take(f, 2, true), 100);
    for (uint32_t i = 0; i < HV_SYNIC_QUEUE_LEN; i += 3) {
        struct hv_message *m = slot(f, 2);
        uint32_t v;
        assert_true(m->header.message_type == other);
        memcpy(&v, m->payload, 4);
        assert_int_equal(v, i);
        uint8_t fl = m->header.message_flags;
        m->header.message_type = 0;
        assert_int_equal(fl, i + 3 < HV_SYNIC_QUEUE_LEN ? HV_MESSAGE_FLAG_PENDING : 0);
        if (fl & HV_MESSAGE_FLAG_PENDING)
            wr(f, HV_MSR_EOM, 0);
    }
    assert_int_equal(synic_queued(&f->p, 0, 2), 0);
    assert_int_equal(slot(f, 2)->header.message_type, 0);
    /* and the queue works as before */
    assert_int_equal(post(f, 2, 7), HV_STATUS_SUCCESS);
    assert_int_equal(guest_take(f, 2, true), 7);
}

/* msr.c never lets a SINT be unmasked on an exception or host vector; should
 * that check ever be bypassed, the interrupt is still not raised. */
static void refused_vectors_never_raised(void **state)
{
    struct fake *f = *state;
    linux_enables(f);
    f->p.vp[0].synic.sint[2] = 0xF5; /* behind msr.c's back */
    f->p.vp[0].synic.sint[3] = 0x1F;
    f->p.vp[0].synic.sint[4] = 0xFF;
    assert_int_equal(post(f, 2, 1), 0);
    assert_int_equal(synic_signal_event(&f->p, 0, 3, 1), 0);
    assert_int_equal(synic_signal_event(&f->p, 0, 4, 1), 0);
    assert_int_equal(slot(f, 2)->header.message_type, 1); /* delivered, not raised */
    assert_int_equal(f->nraised, 0);
    assert_true(f->p.n.irqs_refused == 3);
    f->p.vp[0].synic.sint[2] = VEC;
    assert_int_equal(synic_signal_event(&f->p, 0, 2, 1), 0);
    assert_int_equal(f->nraised, 1);
    assert_int_equal(f->raised[0], VEC);
}

/* --- several VPs: each has its own SynIC ---------------------------------------- */

#define VPS        3 /* VP 3 is one the partition lacks */
#define SIMP1_GPA  0xA000ull
#define SIEFP1_GPA 0xB000ull
#define VEC1       0xE3

static int setup_vps(void **state)
{
    struct fake *f = fake_new(RAM_SIZE, 0x5A);
    struct hyperv_platform plat = fake_platform(f, VPS, 2500000000ull, 0, 1000000000);
    assert_int_equal(hyperv_init(&f->p, &f->gm, &plat), 0);
    *state = f;
    return 0;
}

static void wr_vp(struct fake *f, uint32_t vp, uint32_t msr, uint64_t v)
{
    assert_int_equal(hyperv_msr_write(&f->p, vp, msr, v), HV_MSR_OK);
}

/* Linux's hv_synic_enable_regs on VP 1: its own pages and vector. */
static void vp1_enables(struct fake *f)
{
    wr_vp(f, 1, HV_MSR_SIMP, SIMP1_GPA | 1);
    wr_vp(f, 1, HV_MSR_SIEFP, SIEFP1_GPA | 1);
    wr_vp(f, 1, HV_MSR_SINT0 + 2, VEC1);
    wr_vp(f, 1, HV_MSR_SCONTROL, 1);
}

static struct hv_message *slot1(struct fake *f, unsigned sint)
{
    return (struct hv_message *)(f->gm.host + SIMP1_GPA) + sint;
}

static void per_vp_delivery(void **state)
{
    struct fake *f = *state;
    linux_enables(f);
    vp1_enables(f);
    uint8_t msg[8] = {7};
    /* a message for VP 1 lands in VP 1's SIMP page and interrupts VP 1 */
    assert_int_equal(synic_post(&f->p, 1, 2, 1, msg, 8), HV_STATUS_SUCCESS);
    assert_int_equal(slot1(f, 2)->header.message_type, 1);
    assert_int_equal(slot1(f, 2)->payload[0], 7);
    assert_int_equal(slot(f, 2)->header.message_type, 0);
    assert_int_equal(f->nraised, 1);
    assert_int_equal(f->raised_vp[0], 1);
    assert_int_equal(f->raised[0], VEC1);
    /* an event for VP 1 is a flag in VP 1's SIEFP page */
    assert_int_equal(synic_signal_event(&f->p, 1, 2, 9), HV_STATUS_SUCCESS);
    assert_int_equal(f->gm.host[SIEFP1_GPA + 256 * 2 + 1], 0x02);
    assert_int_equal(flags(f, 2)[1], 0);
    assert_int_equal(f->nraised, 2);
    assert_int_equal(f->raised_vp[1], 1);
    /* and VP 0's are VP 0's */
    assert_int_equal(synic_signal_event(&f->p, 0, 2, 9), HV_STATUS_SUCCESS);
    assert_int_equal(flags(f, 2)[1], 0x02);
    assert_int_equal(f->raised_vp[2], 0);
    assert_int_equal(f->raised[2], VEC);
    assert_true(f->p.n.vp_irqs[0] == 1 && f->p.n.vp_irqs[1] == 2 && f->p.n.irqs == 3);
    /* a VP the partition lacks gets nothing */
    assert_int_equal(synic_post(&f->p, VPS, 2, 1, msg, 8), HV_STATUS_INVALID_PARAMETER);
    assert_int_equal(synic_signal_event(&f->p, VPS, 2, 9), HV_STATUS_INVALID_PARAMETER);
    assert_int_equal(synic_purge(&f->p, VPS, 2, 1), 0);
    assert_int_equal(f->nraised, 3);
    /* the per-VP line of the stats */
    log_reset();
    hyperv_log_stats(&f->p);
    assert_non_null(strstr(logbuf, "hv: hyperv: per vp: irqs=1/2/0\n"));
}

/* SINTs, SCONTROL, queues, owed interrupts and EOM are each VP's own. */
static void per_vp_state_independent(void **state)
{
    struct fake *f = *state;
    linux_enables(f);
    vp1_enables(f);
    uint8_t msg[8] = {1};
    /* VP 0 masks SINT2: its messages wait, VP 1's do not */
    wr_vp(f, 0, HV_MSR_SINT0 + 2, VEC | HV_SINT_MASKED);
    assert_int_equal(synic_post(&f->p, 0, 2, 1, msg, 8), HV_STATUS_SUCCESS);
    assert_int_equal(synic_post(&f->p, 1, 2, 1, msg, 8), HV_STATUS_SUCCESS);
    assert_int_equal(synic_queued(&f->p, 0, 2), 1);
    assert_int_equal(synic_queued(&f->p, 1, 2), 0);
    assert_int_equal(slot(f, 2)->header.message_type, 0);
    assert_int_equal(slot1(f, 2)->header.message_type, 1);
    uint64_t v;
    assert_int_equal(hyperv_msr_read(&f->p, 1, HV_MSR_SINT0 + 2, &v), HV_MSR_OK);
    assert_true(v == VEC1);
    /* VP 1's slot is busy: the next waits for VP 1's EOM, not VP 0's */
    assert_int_equal(synic_post(&f->p, 1, 2, 1, msg, 8), HV_STATUS_SUCCESS);
    assert_int_equal(synic_queued(&f->p, 1, 2), 1);
    slot1(f, 2)->header.message_type = 0;
    unsigned raised = f->nraised;
    wr_vp(f, 0, HV_MSR_EOM, 0);
    assert_int_equal(synic_queued(&f->p, 1, 2), 1);
    assert_int_equal(slot1(f, 2)->header.message_type, 0);
    wr_vp(f, 1, HV_MSR_EOM, 0);
    assert_int_equal(synic_queued(&f->p, 1, 2), 0);
    assert_int_equal(slot1(f, 2)->header.message_type, 1);
    assert_int_equal(f->nraised, raised + 1);
    assert_int_equal(f->raised_vp[raised], 1);
    /* VP 1's SynIC off: its events latch and its interrupt is owed; VP 0's
     * unmask delivers VP 0's message only */
    wr_vp(f, 1, HV_MSR_SCONTROL, 0);
    assert_int_equal(synic_signal_event(&f->p, 1, 2, 3), HV_STATUS_SUCCESS);
    assert_int_equal(f->gm.host[SIEFP1_GPA + 256 * 2], 0);
    raised = f->nraised;
    wr_vp(f, 0, HV_MSR_SINT0 + 2, VEC);
    assert_int_equal(slot(f, 2)->header.message_type, 1);
    assert_int_equal(f->nraised, raised + 1);
    assert_int_equal(f->raised_vp[raised], 0);
    assert_int_equal(f->gm.host[SIEFP1_GPA + 256 * 2], 0);
    wr_vp(f, 1, HV_MSR_SCONTROL, 1);
    assert_int_equal(f->gm.host[SIEFP1_GPA + 256 * 2], 0x08);
    assert_int_equal(f->nraised, raised + 2);
    assert_int_equal(f->raised_vp[raised + 1], 1);
    assert_int_equal(f->raised[raised + 1], VEC1);
    /* a VP that never enabled its SynIC holds its messages */
    assert_int_equal(synic_post(&f->p, 2, 2, 1, msg, 8), HV_STATUS_SUCCESS);
    assert_int_equal(synic_queued(&f->p, 2, 2), 1);
    assert_int_equal(f->nraised, raised + 2);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, fake_teardown)
    const struct CMUnitTest tests[] = {
        T(delivers_into_slot),
        T(bad_posts),
        T(waits_until_enabled),
        T(masked_sint_holds_messages),
        T(busy_slot_sets_pending),
        T(full_queue_pushes_back),
        T(flood_with_odd_eoms),
        T(event_flags),
        T(events_wait_for_enable_and_unmask),
        T(vectors_per_sint),
        T(simp_moves),
        T(purge_forgets_one_type),
        T(refused_vectors_never_raised),
        cmocka_unit_test_setup_teardown(per_vp_delivery, setup_vps, fake_teardown),
        cmocka_unit_test_setup_teardown(per_vp_state_independent, setup_vps, fake_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
