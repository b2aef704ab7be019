/* The device kinds of kinds.c through the registry (hv/devices/devices.c):
 * each kind's words, defaults and rules, as hv.cfg lines, with the errors
 * that name the line. The kinds' protocols have their own tests
 * (test_devices_<kind>.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "devices/devices.h"
#include "lib/config.h"
#include "lib/timer.h"
#include "vm/mmio_trap.h"

#include "fake_kmcl.h"
#include "fixture.h"

static struct hv_config cfg;

static int parse(const char *text)
{
    struct config_error err;
    config_defaults(&cfg);
    assert_int_equal(config_parse(text, strlen(text), &cfg, &err), 0);
    return devices_parse(&cfg);
}

static void expect_refused(const char *text, const char *line)
{
    log_reset();
    assert_int_equal(parse(text), -1);
    if (!strstr(logbuf, line))
        fail_msg("log '%s' lacks '%s'", logbuf, line);
}

static uint64_t no_clock(void *ctx)
{
    (void)ctx;
    return 0;
}

static uint64_t ticks;
static uint64_t counter(void)
{
    return ticks;
}

static int setup(void **state)
{
    (void)state;
    fake_kmcl_reset();
    log_reset();
    clock_init(counter, 1000000000ull, 0);
    return 0;
}

static void every_kind(void **state)
{
    (void)state;
    static const struct device_env env = {.reference_time = no_clock};
    assert_int_equal(parse("device = test name=t mmio_mb=2 mmio_optional_mb=0x10\n"
                           "device = video\n"
                           "device = keyboard name=kbd\n"),
                     0);
    assert_true(devices_need_efi()); /* the video device's */
    assert_int_equal(devices_create(&env), 0);
    assert_int_equal(fake_channels[0].mmio_mb, 2);
    assert_int_equal(fake_channels[0].mmio_optional_mb, 16);
    assert_int_equal(fake_channels[1].mmio_mb, 8); /* video's default VRAM */
    assert_true(fake_channels[1].mmio_fb);
    assert_string_equal(fake_channels[2].name, "kbd");

    fake_kmcl_reset();
    assert_int_equal(parse("device = heartbeat\ndevice = shutdown name=sd\ndevice = timesync\n"),
                     0);
    assert_false(devices_need_efi());
    assert_int_equal(devices_create(&env), 0);
    assert_string_equal(fake_channels[1].name, "sd");
    assert_int_equal(parse("device = checksum\ndevice = checksum name=c2\n"), 0); /* not single */

    fake_kmcl_reset();
    assert_int_equal(parse("device = video name=fb mmio_mb=64\n"), 0);
    assert_int_equal(devices_create(&env), 0);
    assert_int_equal(fake_channels[0].mmio_mb, 64);
    char line[512];
    devices_summary(line, sizeof(line));
    assert_non_null(strstr(line, " ic_heartbeats=0 ")); /* every kind's part, configured or not */
    assert_null(strstr(strstr(line, " ic_heartbeats=0 ") + 1, " ic_heartbeats=")); /* once */
    assert_non_null(strstr(line, " video_dirt=0 "));
}

/* shutdown_after without a shutdown device: said, and ignored. */
static void shutdown_after_unused(void **state)
{
    (void)state;
    static const struct device_env env = {.shutdown_after = 30};
    assert_int_equal(parse("device = heartbeat\n"), 0);
    assert_int_equal(devices_create(&env), 0);
    assert_int_equal(log_count("hv: devices: shutdown_after=30 set, but no shutdown device is "
                               "configured: ignored"),
                     1);
}

static void rules(void **state)
{
    (void)state;
    expect_refused("device = test name=t0 mmio_mb=8\ndevice = floppy\n",
                   "hv: devices: hv.cfg line 2: device: unknown kind 'floppy'\n");
    expect_refused("device = test color=red\n", "hv.cfg line 1: device: unknown key 'color'\n");
    expect_refused("device = test mmio_mb=65536\n",
                   "device: bad megabytes (0-65535) 'mmio_mb=65536'\n");
    expect_refused("device = test mmio_optional_mb=-1\n", "bad megabytes");
    expect_refused("device = heartbeat mmio_mb=1\n",
                   "hv.cfg line 1: device: unknown key 'mmio_mb'\n");
    expect_refused("device = timesync mmio_optional_mb=2\n", "unknown key 'mmio_optional_mb'");
    expect_refused("device = keyboard name=k color=red\n", "unknown key 'color'");
    expect_refused("device = checksum mmio_mb=1\n", "unknown key 'mmio_mb'");
    expect_refused("device = disk\n", "hv.cfg line 1: device: disk needs 'backing='\n");
    expect_refused("device = disk backing=ram:0\n", "bad backing size (1-4096 MiB) 'ram:0'");
    expect_refused("device = disk backing=ram:4097\n", "bad backing size");
    expect_refused("device = disk backing=ram:1x\n", "bad backing size");
    expect_refused("device = disk backing=tape:1\n",
                   "backing is ram:<MiB> or serial:<s>, not 'tape:1'");
    expect_refused("device = disk backing=serial:123456789012345678901\n",
                   "serial longer than 20 characters");
    expect_refused("device = disk backing=ram:1 cache=on\n", "unknown key 'cache'");
    expect_refused("device = shutdown\ndevice = test\ndevice = shutdown name=other\n",
                   "hv.cfg line 3: device: only one device of kind 'shutdown'\n");
    expect_refused("device = video\ndevice = video name=second\n",
                   "only one device of kind 'video'");
    expect_refused("device = keyboard\ndevice = keyboard name=k2\n",
                   "only one device of kind 'keyboard'");
    /* too small for 1152x864 at 32 bpp (and so for what it advertises), named by line */
    expect_refused("memory_mb = 512\ndevice = video mmio_mb=3\n",
                   "hv: devices: hv.cfg line 2: device: video needs mmio_mb >= 4 (1152x864 at 32 "
                   "bpp), not 'mmio_mb=3'\n");
    expect_refused("device = video mmio_mb=0\n", "not 'mmio_mb=0'");
    expect_refused("device = video mmio_mb=65\n",
                   "device: video takes mmio_mb <= 64 (the frame-buffer region), not 'mmio_mb=65'");
    expect_refused("device = video mmio_optional_mb=8\n", "unknown key 'mmio_optional_mb'");
}

/* The nic kind's words: backing required, mac= unicast; without a card its
 * creation fails, naming the device. */
static void nic_words(void **state)
{
    (void)state;
    expect_refused("memory_mb = 512\ndevice = nic name=eth\n",
                   "hv: devices: hv.cfg line 2: device: nic needs the word 'backing=virtio'\n");
    expect_refused("device = nic backing=e1000\n",
                   "device: nic takes backing=virtio (the first virtio-net card), not "
                   "'backing=e1000'\n");
    expect_refused("device = nic backing=virtio mac=01:00:5e:00:00:01\n",
                   "device: nic needs a unicast mac=xx:xx:xx:xx:xx:xx, not "
                   "'mac=01:00:5e:00:00:01'\n");
    expect_refused("device = nic backing=virtio mac=02:00:00:00:00\n", "not 'mac=02:00:00:00:00'");
    expect_refused("device = nic backing=virtio mac=02-00-00-00-00-01\n", "not 'mac=02-00-");
    expect_refused("device = nic backing=virtio speed=10\n", "unknown key 'speed'");
    expect_refused("device = nic backing=virtio\ndevice = nic name=n2 backing=virtio\n",
                   "only one device of kind 'nic'");

    static const struct device_env env = {0};
    assert_int_equal(parse("device = nic name=eth backing=virtio mac=02:0a:0B:0c:0d:0e\n"), 0);
    log_reset();
    assert_int_equal(devices_create(&env), -1);
    assert_int_equal(log_count("hv: nic: no virtio-net card\n"), 1);
    assert_int_equal(log_count("hv: devices: eth: cannot create the channel: status 0xc0000184"),
                     1);
}

/* A test device's mmio_trap=: the page goes to env's mmio_trap with a
 * register page behind it; refused, the run stops. */
static uint64_t trapped_gpa, trapped_len;
static const struct mmio_trap_ops *trapped_ops;
static int trap_answer;
static int fake_trap(uint64_t gpa, uint64_t len, const struct mmio_trap_ops *ops, void *ctx)
{
    (void)ctx;
    trapped_gpa = gpa;
    trapped_len = len;
    trapped_ops = ops;
    return trap_answer;
}

static void test_device_traps_a_page(void **state)
{
    (void)state;
    expect_refused("device = test mmio_trap=0xe0000001\n",
                   "device: bad page address 'mmio_trap=0xe0000001'\n");
    expect_refused("device = test mmio_trap=0\n", "bad page address 'mmio_trap=0'");
    static const struct device_env env = {.mmio_trap = fake_trap};
    assert_int_equal(parse("device = test name=t mmio_trap=0xe0000000\n"), 0);
    trap_answer = 0;
    assert_int_equal(devices_create(&env), 0);
    assert_int_equal(log_count("hv: devices: t: MMIO page trapped at 0xe0000000\n"), 1);
    assert_int_equal(trapped_gpa, 0xe0000000);
    assert_int_equal(trapped_len, 4096);
    assert_int_equal(trapped_ops->read(NULL, 0, 8), 0x0050415254424d56ull); /* "VMBTRAP" */
    assert_int_equal(trapped_ops->read(NULL, 0xfe, 4), 0x0000ffffu);        /* scratch from 0x100 */
    trapped_ops->write(NULL, 0xff, 4, 0x11223344); /* 0xff dropped, the rest kept */
    assert_int_equal(trapped_ops->read(NULL, 0xfe, 8), 0x112233ffffull);
    trapped_ops->write(NULL, 0x1fe, 4, 0xaabbccdd); /* 0x200 on: dropped */
    assert_int_equal(trapped_ops->read(NULL, 0x1fe, 4), 0xffffccddu);

    fake_kmcl_reset();
    log_reset();
    assert_int_equal(parse("device = test name=t mmio_trap=0xe0000000\n"), 0);
    trap_answer = -1;
    assert_int_equal(devices_create(&env), -1);
    assert_int_equal(log_count("hv: devices: t: cannot trap 0xe0000000\n"), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(every_kind, setup),
        cmocka_unit_test_setup(test_device_traps_a_page, setup),
        cmocka_unit_test_setup(shutdown_after_unused, setup),
        cmocka_unit_test_setup(rules, setup),
        cmocka_unit_test_setup(nic_words, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
