/* The partition entered from several threads at once, as several VPs and the
 * host will (docs/hyperv.md, "Several VPs"): four VP threads, each enabling
 * its own SynIC and consuming its SIMP slots as Linux does (type read with
 * acquire, cleared with release, EOM when pending) while reading its VP index
 * and the reference time, posting HvPostMessages whose handler answers
 * through the SynIC of the VP named, and HvSignalEvents whose handler sets a
 * flag on another VP; a host thread posting a numbered stream to every VP;
 * a thread registering and unregistering an event connection the VPs
 * signal. Then: every VP got its whole stream once and in order on its own
 * page, every answer, interrupts only on its own VP and vector, the
 * counters add up. Handlers that post from inside the hypercall would
 * deadlock if the partition lock were held around them. Built twice: with
 * ASan+UBSan (build/tests/unit) and with TSan (build/tests/tsan). */
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "hyperv/hv_wire.h"
#include "hyperv/hyperv.h"
#include "hyperv/synic.h"

#include "fixture.h"

#ifdef __SANITIZE_THREAD__
#define STREAM 400u /* host messages per VP */
#define ECHOES 100u /* answered posts per VP */
#else
#define STREAM 3000u
#define ECHOES 600u
#endif
#define VPS        4u
#define RAM_SIZE   (1u << 20)
#define PAGES      0x10000u /* VP n: SIMP, SIEFP, input page at PAGES + n * 0x3000 */
#define VEC(vp)    (0x40u + (vp))
#define HOST_SINT  2u
#define ECHO_SINT  5u
#define EVENT_SINT 3u
#define ECHO_CONN  4u
#define EVT_CONN   0x30u /* always registered */
#define CHURN_CONN 0x31u /* registered and unregistered over and over */
#define WAIT_SECS  60

static struct fake *f;
static atomic_uint raised[VPS], wrong_raise;
static atomic_uint event_calls, churn_calls;
static atomic_bool host_done;

static uint64_t page(uint32_t vp, unsigned k)
{
    return PAGES + vp * 0x3000u + k * 0x1000u;
}

static void raise_on(void *ctx, uint32_t vp, uint8_t vector)
{
    (void)ctx;
    if (vp >= VPS || vector != VEC(vp))
        atomic_fetch_add(&wrong_raise, 1);
    else
        atomic_fetch_add(&raised[vp], 1);
}

/* Runs unlocked inside the VP's HvPostMessage: answers on the VP named. */
static uint16_t echo(void *ctx, uint32_t conn, uint32_t type, const uint8_t *payload, uint32_t size)
{
    (void)ctx;
    (void)conn;
    return (uint16_t)synic_post(&f->p, payload[0], ECHO_SINT, type, payload, (uint8_t)size);
}

/* The flag is the VP to interrupt. */
static uint16_t event(void *ctx, uint32_t conn, uint16_t flag)
{
    atomic_uint *calls = ctx;
    atomic_fetch_add(calls, 1);
    return (uint16_t)synic_signal_event(&f->p, flag % VPS, EVENT_SINT, conn);
}

struct vp_result {
    unsigned stream, echoes, out_of_order, bad_index, time_back;
    unsigned events_ok, churn_ok, stuck;
};
static struct vp_result result[VPS];

static void wr(uint32_t vp, uint32_t msr, uint64_t v)
{
    if (hyperv_msr_write(&f->p, vp, msr, v) != HV_MSR_OK)
        result[vp].stuck++;
}

/* Linux's consumer of one slot: its sequence number, or -1 if empty. */
static int64_t take(uint32_t vp, unsigned sint)
{
    struct hv_message *m = (struct hv_message *)(f->gm.host + page(vp, 0)) + sint;
    if (!__atomic_load_n(&m->header.message_type, __ATOMIC_ACQUIRE))
        return -1;
    uint32_t seq;
    memcpy(&seq, m->payload + 4, 4);
    uint8_t flags = __atomic_load_n(&m->header.message_flags, __ATOMIC_RELAXED);
    __atomic_store_n(&m->header.message_type, 0, __ATOMIC_RELEASE);
    if (flags & HV_MESSAGE_FLAG_PENDING)
        wr(vp, HV_MSR_EOM, 0);
    return seq;
}

static uint16_t post_echo(uint32_t vp, uint32_t seq)
{
    struct hv_post_message_input *in = (void *)(f->gm.host + page(vp, 2));
    memset(in, 0, sizeof(*in));
    in->connection_id = ECHO_CONN;
    in->message_type = 1;
    in->payload_size = 8;
    in->payload[0] = (uint8_t)vp;
    memcpy(in->payload + 4, &seq, 4);
    return (uint16_t)hyperv_hypercall(&f->p, vp, HVCALL_POST_MESSAGE, page(vp, 2), 0);
}

static uint16_t signal_event(uint32_t vp, uint32_t conn, uint16_t flag)
{
    return (uint16_t)hyperv_hypercall(&f->p, vp, HVCALL_SIGNAL_EVENT | HV_HC_FAST,
                                      conn | (uint64_t)flag << 32, 0);
}

static void *vp_thread(void *arg)
{
    uint32_t vp = (uint32_t)(uintptr_t)arg;
    struct vp_result *r = &result[vp];
    wr(vp, HV_MSR_SIMP, page(vp, 0) | 1);
    wr(vp, HV_MSR_SIEFP, page(vp, 1) | 1);
    wr(vp, HV_MSR_SINT0 + HOST_SINT, VEC(vp));
    wr(vp, HV_MSR_SINT0 + ECHO_SINT, VEC(vp));
    wr(vp, HV_MSR_SINT0 + EVENT_SINT, VEC(vp));
    wr(vp, HV_MSR_SCONTROL, 1);
    uint32_t sent = 0;
    uint64_t last_time = 0;
    time_t deadline = time(NULL) + WAIT_SECS;
    while (r->stream < STREAM || r->echoes < ECHOES) {
        int64_t seq = take(vp, HOST_SINT);
        if (seq >= 0 && (uint32_t)seq != r->stream++)
            r->out_of_order++;
        seq = take(vp, ECHO_SINT);
        if (seq >= 0 && (uint32_t)seq != r->echoes++)
            r->out_of_order++;
        if (sent < ECHOES && sent - r->echoes < 8 && post_echo(vp, sent) == HV_STATUS_SUCCESS)
            sent++; /* else back-pressure: Linux retries */
        uint64_t v = ~0ull;
        if (hyperv_msr_read(&f->p, vp, HV_MSR_VP_INDEX, &v) != HV_MSR_OK || v != vp)
            r->bad_index++;
        if (hyperv_msr_read(&f->p, vp, HV_MSR_TIME_REF_COUNT, &v) != HV_MSR_OK || v < last_time)
            r->time_back++;
        last_time = v;
        if (signal_event(vp, EVT_CONN, (uint16_t)(vp + 1)) == HV_STATUS_SUCCESS)
            r->events_ok++;
        if (signal_event(vp, CHURN_CONN, (uint16_t)vp) == HV_STATUS_SUCCESS)
            r->churn_ok++;
        /* Linux's vmbus_chan_sched: take this VP's event flags */
        uint8_t *flags = f->gm.host + page(vp, 1) + 256 * EVENT_SINT;
        for (unsigned i = 0; i < 8; i++)
            __atomic_exchange_n(&flags[i], 0, __ATOMIC_SEQ_CST);
        if (time(NULL) > deadline) {
            r->stuck++;
            break;
        }
    }
    return NULL;
}

static void *host_thread(void *arg)
{
    (void)arg;
    uint32_t next[VPS] = {0};
    uint8_t msg[16] = {0};
    for (unsigned left = VPS * STREAM; left;) {
        for (uint32_t vp = 0; vp < VPS; vp++) {
            if (next[vp] == STREAM)
                continue;
            memcpy(msg + 4, &next[vp], 4);
            if (synic_post(&f->p, vp, HOST_SINT, 1, msg, sizeof(msg)) == HV_STATUS_SUCCESS) {
                next[vp]++;
                left--;
            } else {
                sched_yield(); /* the VP's queue is full: after its EOM */
            }
        }
    }
    atomic_store(&host_done, true);
    return NULL;
}

static void *churn_thread(void *arg)
{
    (void)arg;
    while (!atomic_load(&host_done)) {
        if (hyperv_register_event(&f->p, CHURN_CONN, event, &churn_calls) == 0)
            hyperv_unregister_event(&f->p, CHURN_CONN);
        sched_yield();
    }
    return NULL;
}

static void vps_and_host_at_once(void **state)
{
    (void)state;
    f = fake_new(RAM_SIZE, 0);
    struct hyperv_platform plat = fake_platform(f, VPS, 2500000000ull, 0, 1000000000);
    plat.raise = raise_on;
    assert_int_equal(hyperv_init(&f->p, &f->gm, &plat), 0);
    assert_int_equal(hyperv_register_message(&f->p, ECHO_CONN, echo, NULL), 0);
    assert_int_equal(hyperv_register_event(&f->p, EVT_CONN, event, &event_calls), 0);
    /* the guest's boot CPU enabled the hypercall page for everyone */
    assert_int_equal(hyperv_msr_write(&f->p, 0, HV_MSR_GUEST_OS_ID, 0x8100000601C00000ull),
                     HV_MSR_OK);
    assert_int_equal(hyperv_msr_write(&f->p, 0, HV_MSR_HYPERCALL, 0x1000 | 1), HV_MSR_OK);

    pthread_t vps[VPS], host, churn;
    for (uint32_t vp = 0; vp < VPS; vp++)
        assert_int_equal(pthread_create(&vps[vp], NULL, vp_thread, (void *)(uintptr_t)vp), 0);
    assert_int_equal(pthread_create(&host, NULL, host_thread, NULL), 0);
    assert_int_equal(pthread_create(&churn, NULL, churn_thread, NULL), 0);
    for (uint32_t vp = 0; vp < VPS; vp++)
        pthread_join(vps[vp], NULL);
    pthread_join(host, NULL);
    pthread_join(churn, NULL);

    unsigned events_ok = 0, churn_ok = 0;
    for (uint32_t vp = 0; vp < VPS; vp++) {
        const struct vp_result *r = &result[vp];
        assert_int_equal(r->stuck, 0);
        assert_int_equal(r->stream, STREAM);
        assert_int_equal(r->echoes, ECHOES);
        assert_int_equal(r->out_of_order, 0);
        assert_int_equal(r->bad_index, 0);
        assert_int_equal(r->time_back, 0);
        assert_true(atomic_load(&raised[vp]) == f->p.n.vp_irqs[vp]);
        events_ok += r->events_ok;
        churn_ok += r->churn_ok;
    }
    assert_int_equal(atomic_load(&wrong_raise), 0);
    /* every successful signal was its handler's doing, and each set a flag */
    assert_int_equal(atomic_load(&event_calls), events_ok);
    assert_int_equal(atomic_load(&churn_calls), churn_ok);
    assert_true(f->p.n.events == events_ok + churn_ok);
    const struct hyperv_counters *n = &f->p.n;
    assert_true(n->msg_posted == VPS * (STREAM + ECHOES));
    assert_true(n->msg_delivered == n->msg_posted);
    uint64_t irqs = 0;
    for (uint32_t vp = 0; vp < HV_VP_MAX; vp++)
        irqs += n->vp_irqs[vp];
    assert_true(irqs == n->irqs);
    fake_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(vps_and_host_at_once),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
