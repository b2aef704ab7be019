/* The hypercall dispatcher with hostile inputs: control-word fields and
 * reserved bits, input GPAs (unaligned, page-crossing, beyond RAM, near 2^64),
 * HvPostMessage, HvSignalEvent and HvRetargetDeviceInterrupt validation and
 * routing, the connection table, the #UD gate and the counters. */
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

#define RAM_SIZE (64u * 1024)
#define TSC_HZ   3700000000ull
#define IN_GPA   0x4000ull /* Linux: a page-aligned per-CPU input page */

/* What the connection handlers saw last, and the status they answer. */
struct seen {
    unsigned calls;
    uint32_t conn, type, size;
    uint16_t flag;
    const uint8_t *payload_ptr;
    uint8_t payload[256];
    uint16_t answer;
};

static struct seen seen;

static uint16_t on_message(void *ctx, uint32_t conn, uint32_t type, const uint8_t *payload,
                           uint32_t size)
{
    struct seen *s = ctx;
    s->calls++;
    s->conn = conn;
    s->type = type;
    s->size = size;
    s->payload_ptr = payload;
    assert_true(size <= 240);
    memcpy(s->payload, payload, size);
    return s->answer;
}

static uint16_t on_event(void *ctx, uint32_t conn, uint16_t flag)
{
    struct seen *s = ctx;
    s->calls++;
    s->conn = conn;
    s->flag = flag;
    return s->answer;
}

static int setup(void **state)
{
    struct fake *f = fake_new(RAM_SIZE, 0);
    struct hyperv_platform plat = fake_platform(f, 1, TSC_HZ, 0, 1000000000);
    assert_int_equal(hyperv_init(&f->p, &f->gm, &plat), 0);
    memset(&seen, 0, sizeof(seen));
    assert_int_equal(hyperv_register_message(&f->p, 4, on_message, &seen), 0);
    assert_int_equal(hyperv_register_message(&f->p, 1, on_message, &seen), 0);
    assert_int_equal(hyperv_register_event(&f->p, 0x2001, on_event, &seen), 0);
    log_reset();
    *state = f;
    return 0;
}

/* Writes an HvPostMessage input block the way Linux does. */
static void put_msg(struct fake *f, uint64_t gpa, uint32_t conn, uint32_t type, uint32_t size,
                    uint8_t fill)
{
    struct hv_post_message_input *m = (void *)(f->gm.host + gpa);
    m->connection_id = conn;
    m->reserved = 0;
    m->message_type = type;
    m->payload_size = size;
    for (unsigned i = 0; i < sizeof(m->payload); i++)
        m->payload[i] = (uint8_t)(fill + i);
}

static uint64_t hc(struct fake *f, uint64_t rcx, uint64_t rdx, uint64_t r8)
{
    return hyperv_hypercall(&f->p, 0, rcx, rdx, r8);
}

static void ud_gate(void **state)
{
    struct fake *f = *state;
    assert_false(hyperv_hypercall_permitted(&f->p, 0, true)); /* page not enabled */
    assert_int_equal(hyperv_msr_write(&f->p, 0, HV_MSR_GUEST_OS_ID, 1), HV_MSR_OK);
    assert_int_equal(hyperv_msr_write(&f->p, 0, HV_MSR_HYPERCALL, 0x1001), HV_MSR_OK);
    assert_true(hyperv_hypercall_permitted(&f->p, 0, true));
    assert_false(hyperv_hypercall_permitted(&f->p, 3, true));
    assert_false(hyperv_hypercall_permitted(&f->p, 1, true));
    assert_false(hyperv_hypercall_permitted(&f->p, 0, false)); /* real/compat/protected mode */
    assert_true(f->p.n.hc_ud == 4);
}

static void unknown_codes(void **state)
{
    struct fake *f = *state;
    /* every other code, including those Linux may issue when advertised */
    const uint16_t codes[] = {0x0000, 0x0002, 0x0003, 0x0008, 0x000B, 0x0013, 0x0015, 0x0046,
                              0x005B, 0x005E, 0x007D, 0x00AF, 0x8001, 0x8003, 0xFFFF};
    for (unsigned i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
        assert_true(hc(f, codes[i], IN_GPA, 0) == HV_STATUS_INVALID_HYPERCALL_CODE);
        assert_true(hc(f, codes[i] | HV_HC_FAST, 0, 0) == HV_STATUS_INVALID_HYPERCALL_CODE);
    }
    assert_true(f->p.n.hc_code[HV_HCK_OTHER] == 30);
    assert_true(f->p.n.hc_status[HV_STATUS_INVALID_HYPERCALL_CODE] == 30);
    assert_int_equal(seen.calls, 0);
}

static void reserved_control_bits(void **state)
{
    struct fake *f = *state;
    put_msg(f, IN_GPA, 4, 1, 16, 0);
    const unsigned rsvd[] = {27, 28, 29, 30, 31, 44, 45, 46, 47, 60, 61, 62, 63};
    for (unsigned i = 0; i < sizeof(rsvd) / sizeof(rsvd[0]); i++) {
        uint64_t bit = 1ull << rsvd[i];
        assert_true(hc(f, HVCALL_POST_MESSAGE | bit, IN_GPA, 0) ==
                    HV_STATUS_INVALID_HYPERCALL_INPUT);
        assert_true(hc(f, HVCALL_SIGNAL_EVENT | HV_HC_FAST | bit, 0x2001, 0) ==
                    HV_STATUS_INVALID_HYPERCALL_INPUT);
        assert_true(hc(f, 0x1234 | bit, 0, 0) == HV_STATUS_INVALID_HYPERCALL_INPUT);
    }
    assert_int_equal(seen.calls, 0);
    assert_true(hc(f, HVCALL_POST_MESSAGE, IN_GPA, 0) == HV_STATUS_SUCCESS);
    assert_int_equal(seen.calls, 1);
}

static void simple_calls_refuse_rep_and_varhead(void **state)
{
    struct fake *f = *state;
    put_msg(f, IN_GPA, 4, 1, 16, 0);
    const uint64_t bad[] = {1ull << 32,     0xFFFull << 32, 1ull << 48,
                            0xFFFull << 48, 1ull << 17,     0x3FFull << 17};
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_true(hc(f, HVCALL_POST_MESSAGE | bad[i], IN_GPA, 0) ==
                    HV_STATUS_INVALID_HYPERCALL_INPUT);
        assert_true(hc(f, HVCALL_SIGNAL_EVENT | HV_HC_FAST | bad[i], 0x2001, 0) ==
                    HV_STATUS_INVALID_HYPERCALL_INPUT);
    }
    /* PostMessage has no fast form (256 bytes of input) */
    assert_true(hc(f, HVCALL_POST_MESSAGE | HV_HC_FAST, IN_GPA, 0) ==
                HV_STATUS_INVALID_HYPERCALL_INPUT);
    assert_int_equal(seen.calls, 0);
}

static void post_message_delivers_exact_payload(void **state)
{
    struct fake *f = *state;
    put_msg(f, IN_GPA, 4, 1, 100, 0x10);
    assert_true(hc(f, HVCALL_POST_MESSAGE, IN_GPA, 0) == HV_STATUS_SUCCESS);
    assert_int_equal(seen.calls, 1);
    assert_int_equal(seen.conn, 4);
    assert_int_equal(seen.type, 1);
    assert_int_equal(seen.size, 100);
    for (unsigned i = 0; i < 100; i++)
        assert_int_equal(seen.payload[i], (uint8_t)(0x10 + i));
    /* the handler gets a copy: the guest cannot change it behind its back */
    assert_true(seen.payload_ptr < f->gm.host || seen.payload_ptr >= f->gm.host + RAM_SIZE);
    /* sizes 0 and 240 are the bounds, R8 is not looked at */
    put_msg(f, IN_GPA, 1, 1, 0, 0);
    assert_true(hc(f, HVCALL_POST_MESSAGE, IN_GPA, 0xFFFFFFFFFFFFFFFFull) == HV_STATUS_SUCCESS);
    assert_int_equal(seen.size, 0);
    assert_int_equal(seen.conn, 1);
    put_msg(f, IN_GPA, 4, 1, 240, 0x20);
    assert_true(hc(f, HVCALL_POST_MESSAGE, IN_GPA, 0) == HV_STATUS_SUCCESS);
    assert_int_equal(seen.size, 240);
    assert_int_equal(seen.payload[239], (uint8_t)(0x20 + 239));
    /* a non-VMBus nonzero type reaches the handler (its call) */
    put_msg(f, IN_GPA, 4, 2, 8, 0);
    assert_true(hc(f, HVCALL_POST_MESSAGE, IN_GPA, 0) == HV_STATUS_SUCCESS);
    assert_int_equal(seen.type, 2);
    /* the handler's back-pressure goes back to the guest */
    seen.answer = HV_STATUS_INSUFFICIENT_BUFFERS;
    assert_true(hc(f, HVCALL_POST_MESSAGE, IN_GPA, 0) == HV_STATUS_INSUFFICIENT_BUFFERS);
    assert_true(f->p.n.hc_status[HV_STATUS_INSUFFICIENT_BUFFERS] == 1);
    assert_true(f->p.n.hc_code[HV_HCK_POST_MESSAGE] == 5);
}

static void post_message_bad_blocks(void **state)
{
    struct fake *f = *state;
    for (uint64_t gpa = 0; gpa < RAM_SIZE; gpa += 8)
        put_msg(f, gpa & ~0xFFull, 4, 1, 8, 0); /* valid-looking data everywhere */
    const struct {
        uint64_t gpa;
        uint16_t status;
    } cases[] = {
        {IN_GPA + 1, HV_STATUS_INVALID_ALIGNMENT},
        {IN_GPA + 4, HV_STATUS_INVALID_ALIGNMENT},
        {IN_GPA + 0xF08, HV_STATUS_INVALID_ALIGNMENT}, /* crosses into the next page */
        {IN_GPA + 0xFF8, HV_STATUS_INVALID_ALIGNMENT},
        {RAM_SIZE - 0x100 + 8, HV_STATUS_INVALID_ALIGNMENT},
        {RAM_SIZE, HV_STATUS_INVALID_HYPERCALL_INPUT},
        {RAM_SIZE + 0x1000, HV_STATUS_INVALID_HYPERCALL_INPUT},
        {0xFFFFFFFFFFFFF000ull, HV_STATUS_INVALID_HYPERCALL_INPUT},
        {0xFFFFFFFFFFFFFF00ull, HV_STATUS_INVALID_HYPERCALL_INPUT},
        {0xFFFFFFFFFFFFFFF8ull, HV_STATUS_INVALID_ALIGNMENT},
        {0x8000000000000000ull, HV_STATUS_INVALID_HYPERCALL_INPUT},
        {0xFFFFFFFFFFFFFFFFull, HV_STATUS_INVALID_ALIGNMENT},
    };
    for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        assert_true(hc(f, HVCALL_POST_MESSAGE, cases[i].gpa, 0) == cases[i].status);
    assert_int_equal(seen.calls, 0);
    /* the edges that are fine: the last 256 bytes of a page and of RAM, GPA 0 */
    put_msg(f, IN_GPA + 0xF00, 4, 1, 8, 0);
    assert_true(hc(f, HVCALL_POST_MESSAGE, IN_GPA + 0xF00, 0) == HV_STATUS_SUCCESS);
    put_msg(f, RAM_SIZE - 0x100, 4, 1, 8, 0);
    assert_true(hc(f, HVCALL_POST_MESSAGE, RAM_SIZE - 0x100, 0) == HV_STATUS_SUCCESS);
    put_msg(f, 0, 4, 1, 8, 0);
    assert_true(hc(f, HVCALL_POST_MESSAGE, 0, 0) == HV_STATUS_SUCCESS);
    assert_int_equal(seen.calls, 3);
}

static void post_message_bad_fields(void **state)
{
    struct fake *f = *state;
    struct hv_post_message_input *m = (void *)(f->gm.host + IN_GPA);
    put_msg(f, IN_GPA, 4, 1, 241, 0);
    assert_true(hc(f, HVCALL_POST_MESSAGE, IN_GPA, 0) == HV_STATUS_INVALID_PARAMETER);
    m->payload_size = 0xFFFFFFFF;
    assert_true(hc(f, HVCALL_POST_MESSAGE, IN_GPA, 0) == HV_STATUS_INVALID_PARAMETER);
    m->payload_size = 0x80000010;
    assert_true(hc(f, HVCALL_POST_MESSAGE, IN_GPA, 0) == HV_STATUS_INVALID_PARAMETER);
    put_msg(f, IN_GPA, 4, 0, 8, 0);
    assert_true(hc(f, HVCALL_POST_MESSAGE, IN_GPA, 0) == HV_STATUS_INVALID_HYPERCALL_INPUT);
    put_msg(f, IN_GPA, 4, 0x80000010, 8, 0); /* a hypervisor message type */
    assert_true(hc(f, HVCALL_POST_MESSAGE, IN_GPA, 0) == HV_STATUS_INVALID_HYPERCALL_INPUT);
    put_msg(f, IN_GPA, 4, 1, 8, 0);
    m->reserved = 1;
    assert_true(hc(f, HVCALL_POST_MESSAGE, IN_GPA, 0) == HV_STATUS_INVALID_HYPERCALL_INPUT);
    /* connection ids nobody registered, and reserved id bits */
    const uint32_t ids[] = {0, 2, 3, 5, 0x2001, 0x01000004, 0xFF000001, 0xFFFFFFFF, 0xFFFFFF};
    for (unsigned i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
        put_msg(f, IN_GPA, ids[i], 1, 8, 0);
        assert_true(hc(f, HVCALL_POST_MESSAGE, IN_GPA, 0) == HV_STATUS_INVALID_CONNECTION_ID);
    }
    assert_int_equal(seen.calls, 0);
}

static void signal_event(void **state)
{
    struct fake *f = *state;
    const uint64_t fast = HVCALL_SIGNAL_EVENT | HV_HC_FAST;
    assert_true(hc(f, fast, 0x2001, 0) == HV_STATUS_SUCCESS); /* what Linux sends */
    assert_int_equal(seen.calls, 1);
    assert_int_equal(seen.conn, 0x2001);
    assert_int_equal(seen.flag, 0);
    assert_true(hc(f, fast, 0x2001 | (2047ull << 32), 0) == HV_STATUS_SUCCESS);
    assert_int_equal(seen.flag, 2047);
    assert_true(hc(f, fast, 0x2001 | (2048ull << 32), 0) == HV_STATUS_INVALID_PARAMETER);
    assert_true(hc(f, fast, 0x2001 | (0xFFFFull << 32), 0) == HV_STATUS_INVALID_PARAMETER);
    assert_true(hc(f, fast, 0x2001 | (1ull << 48), 0) == HV_STATUS_INVALID_HYPERCALL_INPUT);
    assert_true(hc(f, fast, 0x2001 | (1ull << 63), 0) == HV_STATUS_INVALID_HYPERCALL_INPUT);
    assert_true(hc(f, fast, 0x2002, 0) == HV_STATUS_INVALID_CONNECTION_ID);
    assert_true(hc(f, fast, 0x01002001, 0) == HV_STATUS_INVALID_CONNECTION_ID);
    assert_true(hc(f, fast, 0, 0) == HV_STATUS_INVALID_CONNECTION_ID);
    assert_int_equal(seen.calls, 2);
    /* the memory form reads the same 8 bytes from an aligned block */
    struct hv_signal_event_input *in = (void *)(f->gm.host + IN_GPA + 0xFF8);
    in->connection_id = 0x2001;
    in->flag_number = 9;
    in->reserved = 0;
    assert_true(hc(f, HVCALL_SIGNAL_EVENT, IN_GPA + 0xFF8, 0) == HV_STATUS_SUCCESS);
    assert_int_equal(seen.flag, 9);
    assert_true(hc(f, HVCALL_SIGNAL_EVENT, IN_GPA + 0xFFC, 0) == HV_STATUS_INVALID_ALIGNMENT);
    assert_true(hc(f, HVCALL_SIGNAL_EVENT, RAM_SIZE, 0) == HV_STATUS_INVALID_HYPERCALL_INPUT);
    in->reserved = 1;
    assert_true(hc(f, HVCALL_SIGNAL_EVENT, IN_GPA + 0xFF8, 0) == HV_STATUS_INVALID_HYPERCALL_INPUT);
    seen.answer = HV_STATUS_INSUFFICIENT_BUFFERS;
    assert_true(hc(f, fast, 0x2001, 0) == HV_STATUS_INSUFFICIENT_BUFFERS);
    assert_true(f->p.n.hc_code[HV_HCK_SIGNAL_EVENT] == 14);
}

static void connection_table(void **state)
{
    struct fake *f = *state;
    assert_int_equal(hyperv_register_message(&f->p, 0, on_message, &seen), -1);
    assert_int_equal(hyperv_register_message(&f->p, 0x1000000, on_message, &seen), -1);
    assert_int_equal(hyperv_register_message(&f->p, 4, on_message, &seen), -1); /* taken */
    assert_int_equal(hyperv_register_message(&f->p, 7, NULL, f), -1);
    assert_int_equal(hyperv_register_event(&f->p, 0x2001, on_event, &seen), -1);
    assert_int_equal(hyperv_register_event(&f->p, 0, on_event, &seen), -1);
    assert_int_equal(hyperv_register_event(&f->p, 0xFFFFFF, on_event, &seen), 0);
    /* fill both tables */
    unsigned n = 2;
    while (hyperv_register_message(&f->p, 100 + n, on_message, &seen) == 0)
        n++;
    assert_int_equal(n, HV_MAX_MESSAGE_CONNS);
    n = 2;
    while (hyperv_register_event(&f->p, 100 + n, on_event, &seen) == 0)
        n++;
    assert_int_equal(n, HV_MAX_EVENT_CONNS);
    /* unregistering frees the id and the slot */
    assert_int_equal(hyperv_unregister_message(&f->p, 4), 0);
    assert_int_equal(hyperv_unregister_message(&f->p, 4), -1);
    assert_int_equal(hyperv_unregister_message(&f->p, 0), -1);
    put_msg(f, IN_GPA, 4, 1, 8, 0);
    assert_true(hc(f, HVCALL_POST_MESSAGE, IN_GPA, 0) == HV_STATUS_INVALID_CONNECTION_ID);
    assert_int_equal(hyperv_register_message(&f->p, 4, on_message, &seen), 0);
    assert_true(hc(f, HVCALL_POST_MESSAGE, IN_GPA, 0) == HV_STATUS_SUCCESS);
    assert_int_equal(hyperv_unregister_event(&f->p, 0x2001), 0);
    assert_true(hc(f, HVCALL_SIGNAL_EVENT | HV_HC_FAST, 0x2001, 0) ==
                HV_STATUS_INVALID_CONNECTION_ID);
    assert_int_equal(hyperv_unregister_event(&f->p, 0x2001), -1);
}

/* A VMBus-like handler answering through the SynIC from inside the call. */
static uint16_t echo(void *ctx, uint32_t conn, uint32_t type, const uint8_t *payload, uint32_t size)
{
    (void)conn;
    return (uint16_t)synic_post(ctx, 0, 2, type, payload, (uint8_t)size);
}

static void handler_answers_through_synic(void **state)
{
    struct fake *f = *state;
    struct hyperv_partition *p = &f->p;
    assert_int_equal(hyperv_register_message(p, 9, echo, p), 0);
    assert_int_equal(hyperv_msr_write(p, 0, HV_MSR_SIMP, 0x8001), HV_MSR_OK);
    assert_int_equal(hyperv_msr_write(p, 0, HV_MSR_SINT0 + 2, 0xF3), HV_MSR_OK);
    assert_int_equal(hyperv_msr_write(p, 0, HV_MSR_SCONTROL, 1), HV_MSR_OK);
    put_msg(f, IN_GPA, 9, 1, 33, 0x40);
    assert_true(hc(f, HVCALL_POST_MESSAGE, IN_GPA, 0) == HV_STATUS_SUCCESS);
    const struct hv_message *slot = (const void *)(f->gm.host + 0x8000 + 2 * 256);
    assert_int_equal(slot->header.message_type, 1);
    assert_int_equal(slot->header.payload_size, 33);
    assert_memory_equal(slot->payload, f->gm.host + IN_GPA + 16, 33);
    assert_int_equal(f->nraised, 1);
}

static void counters_and_summary(void **state)
{
    struct fake *f = *state;
    put_msg(f, IN_GPA, 4, 1, 8, 0);
    hc(f, HVCALL_POST_MESSAGE, IN_GPA, 0);
    hc(f, HVCALL_POST_MESSAGE, IN_GPA + 1, 0);
    hc(f, HVCALL_SIGNAL_EVENT | HV_HC_FAST, 0x2001, 0);
    hc(f, 0x46, 0, 0);
    hc(f, 0x46, 0, 0);
    const struct hyperv_counters *n = &f->p.n;
    assert_true(n->hc_code[HV_HCK_POST_MESSAGE] == 2);
    assert_true(n->hc_code[HV_HCK_SIGNAL_EVENT] == 1);
    assert_true(n->hc_code[HV_HCK_OTHER] == 2);
    assert_true(n->hc_status[0] == 2);
    assert_true(n->hc_status[HV_STATUS_INVALID_ALIGNMENT] == 1);
    assert_true(n->hc_status[HV_STATUS_INVALID_HYPERCALL_CODE] == 2);
    uint64_t v;
    hyperv_msr_read(&f->p, 0, HV_MSR_VP_INDEX, &v);
    hyperv_msr_write(&f->p, 0, HV_MSR_VP_INDEX, 1);
    char buf[256];
    size_t len = hyperv_summary(&f->p, buf, sizeof(buf));
    assert_true(len == strlen(buf));
    assert_string_equal(buf, " hv_msr=2 hv_msr_gp=1 hypercalls=5 hc_post=2 hc_signal=1 hc_err=3"
                             " synic_msgs=0 synic_full=0 synic_events=0 synic_irqs=0");
    char small[10];
    assert_true(hyperv_summary(&f->p, small, sizeof(small)) == len); /* truncates safely */
    assert_int_equal(strlen(small), 9);
    log_reset();
    hyperv_log_stats(&f->p);
    assert_non_null(strstr(logbuf, "hv: hyperv: hypercalls: post_message=2 signal_event=1 "
                                   "retarget=0 other=2 ud=0; by status: 0=2 2=2 4=1\n"));
    assert_non_null(strstr(logbuf, "hv: hyperv: msr reads/writes: vp_index=1/1 refused=1\n"));
    assert_non_null(strstr(logbuf, "hv: hyperv: synic: posted=0"));
}

/* What the retarget hook saw last, and what it answers. */
static struct {
    unsigned calls;
    uint64_t device_id, vp_mask;
    uint32_t address, data;
    uint8_t vector;
    int answer;
} rt;

static int on_retarget(void *ctx, uint64_t device_id, uint32_t address, uint32_t data,
                       uint8_t vector, uint64_t vp_mask)
{
    assert_ptr_equal(ctx, &rt);
    rt.calls++;
    rt.device_id = device_id;
    rt.address = address;
    rt.data = data;
    rt.vector = vector;
    rt.vp_mask = vp_mask;
    return rt.answer;
}

/* Writes a retarget input the way pci-hyperv does: a VP mask (set false) or
 * a sparse VP set with one bank (set true, variable header 2). */
static struct hv_retarget_device_interrupt *put_retarget(struct fake *f, bool set)
{
    struct hv_retarget_device_interrupt *r = (void *)(f->gm.host + IN_GPA);
    memset(r, 0, PAGE_SIZE);
    r->partition_id = HV_PARTITION_ID_SELF;
    r->device_id = 0x12345678;
    r->entry.source = HV_INTERRUPT_SOURCE_MSI;
    r->entry.msi_address = 0xfee00000;
    r->entry.msi_data = 0x4001;
    r->vector = 0x41;
    if (set) {
        r->flags = HV_DEVICE_INTERRUPT_TARGET_PROCESSOR_SET;
        uint64_t *v = (uint64_t *)(r + 1);
        v[0] = 1; /* bank 0 valid */
        v[1] = 1; /* VP 0 */
    } else {
        r->vp_mask_or_format = 1;
    }
    return r;
}

#define RT_SET (HVCALL_RETARGET_INTERRUPT | 2ull << HV_HC_VARHEAD_SHIFT)

static void retarget_layout(void **state)
{
    (void)state;
    assert_int_equal(sizeof(struct hv_retarget_device_interrupt), 56);
    assert_int_equal(offsetof(struct hv_retarget_device_interrupt, entry.msi_data), 28);
    assert_int_equal(offsetof(struct hv_retarget_device_interrupt, vector), 40);
    assert_int_equal(offsetof(struct hv_retarget_device_interrupt, vp_mask_or_format), 48);
}

static void retarget_reaches_hook(void **state)
{
    struct fake *f = *state;
    memset(&rt, 0, sizeof(rt));
    put_retarget(f, false);
    /* no hook: nobody owns the entry */
    assert_true(hc(f, HVCALL_RETARGET_INTERRUPT, IN_GPA, 0) == HV_STATUS_INVALID_PARAMETER);
    hyperv_set_retarget(&f->p, on_retarget, &rt);
    assert_true(hc(f, HVCALL_RETARGET_INTERRUPT, IN_GPA, 0) == HV_STATUS_SUCCESS);
    assert_int_equal(rt.calls, 1);
    assert_true(rt.device_id == 0x12345678 && rt.address == 0xfee00000 && rt.data == 0x4001);
    assert_int_equal(rt.vector, 0x41);
    assert_true(rt.vp_mask == 1);
    /* the VP-set form (protocol 1.2 and later) */
    put_retarget(f, true)->vector = 0x52;
    assert_true(hc(f, RT_SET, IN_GPA, 0) == HV_STATUS_SUCCESS);
    assert_int_equal(rt.calls, 2);
    assert_int_equal(rt.vector, 0x52);
    assert_true(rt.vp_mask == 1);
    /* HV_GENERIC_SET_ALL: no banks */
    struct hv_retarget_device_interrupt *r = put_retarget(f, false);
    r->flags = HV_DEVICE_INTERRUPT_TARGET_PROCESSOR_SET | HV_DEVICE_INTERRUPT_TARGET_MULTICAST;
    r->vp_mask_or_format = HV_GENERIC_SET_ALL;
    assert_true(hc(f, HVCALL_RETARGET_INTERRUPT, IN_GPA, 0) == HV_STATUS_SUCCESS);
    assert_true(rt.vp_mask == 1);
    /* the hook's refusal is the guest's answer */
    rt.answer = -1;
    put_retarget(f, false);
    assert_true(hc(f, HVCALL_RETARGET_INTERRUPT, IN_GPA, 0) == HV_STATUS_INVALID_PARAMETER);
    assert_int_equal(rt.calls, 4);
    assert_true(f->p.n.hc_code[HV_HCK_RETARGET] == 5);
    assert_true(f->p.n.hc_status[HV_STATUS_SUCCESS] == 3);
    log_reset();
    hyperv_log_stats(&f->p);
    assert_non_null(strstr(logbuf, "signal_event=0 retarget=5 other=0"));
}

static void retarget_refusals(void **state)
{
    struct fake *f = *state;
    memset(&rt, 0, sizeof(rt));
    hyperv_set_retarget(&f->p, on_retarget, &rt);
    f->p.plat.host_vectors[0] = 0xf2;
    struct hv_retarget_device_interrupt *r;
    const uint64_t C = HVCALL_RETARGET_INTERRUPT;
#define REFUSED(ctl, gpa, st) assert_true(hc(f, (ctl), (gpa), 0) == (st))
    put_retarget(f, false);
    REFUSED(C | HV_HC_FAST, IN_GPA, HV_STATUS_INVALID_HYPERCALL_INPUT);
    REFUSED(C | 1ull << HV_HC_REP_CNT_SHIFT, IN_GPA, HV_STATUS_INVALID_HYPERCALL_INPUT);
    REFUSED(C | 1ull << HV_HC_VARHEAD_SHIFT, IN_GPA, HV_STATUS_INVALID_HYPERCALL_INPUT);
    REFUSED(C, IN_GPA + 4, HV_STATUS_INVALID_ALIGNMENT);
    REFUSED(C, IN_GPA + PAGE_SIZE - 48, HV_STATUS_INVALID_ALIGNMENT); /* crosses a page */
    REFUSED(C, RAM_SIZE, HV_STATUS_INVALID_HYPERCALL_INPUT);
    REFUSED(C | 300ull << HV_HC_VARHEAD_SHIFT, IN_GPA, HV_STATUS_INVALID_HYPERCALL_INPUT);
    put_retarget(f, false)->partition_id = 1;
    REFUSED(C, IN_GPA, HV_STATUS_INVALID_PARAMETER);
    put_retarget(f, false)->entry.source = 2;
    REFUSED(C, IN_GPA, HV_STATUS_INVALID_PARAMETER);
    put_retarget(f, false)->entry.reserved = 1;
    REFUSED(C, IN_GPA, HV_STATUS_INVALID_PARAMETER);
    put_retarget(f, false)->reserved = 1;
    REFUSED(C, IN_GPA, HV_STATUS_INVALID_PARAMETER);
    put_retarget(f, false)->flags = 4;
    REFUSED(C, IN_GPA, HV_STATUS_INVALID_PARAMETER);
    put_retarget(f, false)->vp_mask_or_format = 0; /* no VP */
    REFUSED(C, IN_GPA, HV_STATUS_INVALID_PARAMETER);
    put_retarget(f, false)->vp_mask_or_format = 2; /* VP 1 does not exist */
    REFUSED(C, IN_GPA, HV_STATUS_INVALID_PARAMETER);
    const uint32_t vectors[] = {0x0f, 0x1f, 0xf2, 0x100, 0x80000041};
    for (unsigned i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
        put_retarget(f, false)->vector = vectors[i];
        REFUSED(C, IN_GPA, HV_STATUS_INVALID_PARAMETER);
    }
    /* VP sets: unknown format, bank count against the header, VPs that do not exist */
    r = put_retarget(f, true);
    r->vp_mask_or_format = 2;
    REFUSED(RT_SET, IN_GPA, HV_STATUS_INVALID_PARAMETER);
    put_retarget(f, true);
    REFUSED(C, IN_GPA, HV_STATUS_INVALID_PARAMETER); /* sparse set without its bank mask */
    REFUSED(C | 3ull << HV_HC_VARHEAD_SHIFT, IN_GPA, HV_STATUS_INVALID_PARAMETER);
    r = put_retarget(f, true);
    ((uint64_t *)(r + 1))[1] = 2; /* VP 1 */
    REFUSED(RT_SET, IN_GPA, HV_STATUS_INVALID_PARAMETER);
    r = put_retarget(f, true);
    ((uint64_t *)(r + 1))[0] = 2; /* bank 1: VPs 64-127 */
    REFUSED(RT_SET, IN_GPA, HV_STATUS_INVALID_PARAMETER);
    r = put_retarget(f, true);
    ((uint64_t *)(r + 1))[1] = 0; /* an empty set */
    REFUSED(RT_SET, IN_GPA, HV_STATUS_INVALID_PARAMETER);
    r = put_retarget(f, false);
    r->flags = HV_DEVICE_INTERRUPT_TARGET_PROCESSOR_SET;
    r->vp_mask_or_format = HV_GENERIC_SET_ALL;
    REFUSED(C | 1ull << HV_HC_VARHEAD_SHIFT, IN_GPA, HV_STATUS_INVALID_PARAMETER);
#undef REFUSED
    assert_int_equal(rt.calls, 0);
    /* and the same input, well-formed, goes through */
    put_retarget(f, true);
    assert_true(hc(f, RT_SET, IN_GPA, 0) == HV_STATUS_SUCCESS);
    assert_int_equal(rt.calls, 1);
}

/* With three VPs the VP mask and VP sets may name VPs 0-2, no more; any VP
 * may make the call. */
static void retarget_vps_against_vp_count(void **state)
{
    struct fake *f = *state;
    f->p.plat.vp_count = 3; /* as if hyperv_init had been given 3 */
    memset(&rt, 0, sizeof(rt));
    hyperv_set_retarget(&f->p, on_retarget, &rt);
    const uint64_t C = HVCALL_RETARGET_INTERRUPT;
    put_retarget(f, false)->vp_mask_or_format = 5; /* VPs 0 and 2 */
    assert_true(hyperv_hypercall(&f->p, 2, C, IN_GPA, 0) == HV_STATUS_SUCCESS);
    assert_true(rt.vp_mask == 5);
    put_retarget(f, false)->vp_mask_or_format = 8; /* VP 3 */
    assert_true(hc(f, C, IN_GPA, 0) == HV_STATUS_INVALID_PARAMETER);
    put_retarget(f, false)->vp_mask_or_format = 7 | 1ull << 63;
    assert_true(hc(f, C, IN_GPA, 0) == HV_STATUS_INVALID_PARAMETER);
    struct hv_retarget_device_interrupt *r = put_retarget(f, true);
    ((uint64_t *)(r + 1))[1] = 6; /* VPs 1 and 2 */
    assert_true(hc(f, RT_SET, IN_GPA, 0) == HV_STATUS_SUCCESS);
    assert_true(rt.vp_mask == 6);
    r = put_retarget(f, true);
    ((uint64_t *)(r + 1))[1] = 0xC; /* VPs 2 and 3 */
    assert_true(hc(f, RT_SET, IN_GPA, 0) == HV_STATUS_INVALID_PARAMETER);
    r = put_retarget(f, false);
    r->flags = HV_DEVICE_INTERRUPT_TARGET_PROCESSOR_SET;
    r->vp_mask_or_format = HV_GENERIC_SET_ALL;
    assert_true(hc(f, C, IN_GPA, 0) == HV_STATUS_SUCCESS);
    assert_true(rt.vp_mask == 7);
    assert_int_equal(rt.calls, 3);
    /* a call from a VP the partition lacks (the glue's bug) is refused, counted */
    put_retarget(f, false);
    assert_true(hyperv_hypercall(&f->p, 3, C, IN_GPA, 0) == HV_STATUS_INVALID_PARAMETER);
    assert_int_equal(rt.calls, 3);
    assert_true(f->p.n.hc_code[HV_HCK_RETARGET] == 7);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, fake_teardown)
    const struct CMUnitTest tests[] = {
        T(ud_gate),
        T(unknown_codes),
        T(reserved_control_bits),
        T(simple_calls_refuse_rep_and_varhead),
        T(post_message_delivers_exact_payload),
        T(post_message_bad_blocks),
        T(post_message_bad_fields),
        T(signal_event),
        T(connection_table),
        T(handler_answers_through_synic),
        T(counters_and_summary),
        T(retarget_layout),
        T(retarget_reaches_hook),
        T(retarget_refusals),
        T(retarget_vps_against_vp_count),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
