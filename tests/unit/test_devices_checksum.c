/* The checksum device kind (hv/devices/checksum.c) over the recording KMCL:
 * the test plays the guest by calling the channel's callbacks and reads what
 * the device sent (docs/devices.md, "Test it on the host"). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "devices/device.h"

#include "fake_kmcl.h"
#include "fixture.h"

extern const struct device_kind checksum_kind; /* a kind exports only its descriptor */

static VMBCHANNEL ch;

static int setup(void **state)
{
    (void)state;
    static const struct hv_device_config cfg = {.line = 3, .kind = "checksum", .name = "crc"};
    static const struct device_env env;
    const struct device d = {&cfg, NULL, &env};
    fake_kmcl_reset();
    log_reset();
    assert_int_equal(checksum_kind.create(&d, &ch), STATUS_SUCCESS);
    fake_channel(ch)->open = true; /* the guest opened it */
    return 0;
}

/* The guest sends a packet: the process callback, as the VMBus layer calls it. */
static void guest_sends(const void *data, uint32_t len, uint16_t type, uint64_t id)
{
    fake_channel(ch)->process(ch, data, len, type, id);
}

static void offer(void **state)
{
    (void)state;
    assert_string_equal(fake_channel(ch)->name, "crc");
    GUID cls;
    memcpy(&cls, &fake_channel(ch)->type, sizeof(cls));
    assert_int_equal(cls.Data1, 0x8b149fc5);
    assert_int_equal(fake_channel(ch)->mmio_mb, 0); /* no MMIO asked */
}

static void answers_length_and_crc(void **state)
{
    (void)state;
    guest_sends("123456789", 9, VMB_PACKET_TYPE_DATA_INBAND, 0x42);
    const struct fake_sent *s = fake_last_sent(ch);
    assert_non_null(s);
    assert_int_equal(s->len, 8);
    assert_int_equal(s->id, 0x42); /* the request's transaction id */
    uint32_t r[2];
    memcpy(r, s->data, sizeof(r));
    assert_int_equal(r[0], 9);
    assert_int_equal(r[1], 0xcbf43926u); /* CRC-32's check value */

    static uint8_t big[VMBUS_MAX_PAYLOAD];
    guest_sends(big, sizeof(big), VMB_PACKET_TYPE_DATA_INBAND, 7);
    memcpy(r, fake_last_sent(ch)->data, sizeof(r));
    assert_int_equal(r[0], VMBUS_MAX_PAYLOAD);
    guest_sends("", 0, VMB_PACKET_TYPE_DATA_INBAND, 8);
    memcpy(r, fake_last_sent(ch)->data, sizeof(r));
    assert_int_equal(r[0], 0);
    assert_int_equal(r[1], 0); /* CRC-32 of nothing */
    assert_int_equal(fake_channel(ch)->nsent, 3);

    char line[128];
    checksum_kind.summary(line, sizeof(line));
    assert_non_null(strstr(line, " checksum_packets="));
}

static void ignores_other_packet_types(void **state)
{
    (void)state;
    guest_sends("abcdefgh", 8, 0x7 /* a completion */, 1);
    assert_int_equal(fake_channel(ch)->nsent, 0);
}

/* A full ring loses the answer; the first few are logged, the rest counted out. */
static void ring_full(void **state)
{
    (void)state;
    fake_channel(ch)->send_status = STATUS_INSUFFICIENT_RESOURCES;
    for (int i = 0; i < 10; i++)
        guest_sends("abcdefgh", 8, VMB_PACKET_TYPE_DATA_INBAND, 1);
    assert_int_equal(fake_channel(ch)->nsent, 0);
    assert_true(log_count("hv: checksum: answer for 8 bytes not sent: status 0xc000009a") <= 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(offer, setup),
        cmocka_unit_test_setup(answers_length_and_crc, setup),
        cmocka_unit_test_setup(ignores_other_packet_types, setup),
        cmocka_unit_test_setup(ring_full, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
