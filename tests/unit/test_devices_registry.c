/* The device registry (hv/devices/devices.c) with kinds defined here, not in
 * hv/devices/: this file's device_kinds list stands in for kinds.c. From
 * hv.cfg text through the loader's parser (hv/lib/config.c) to the created
 * and enabled channels: the words each kind gets, its defaults, its rules,
 * the errors that name the line, the properties the registry enforces. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "devices/devices.h"
#include "lib/config.h"

#include "fake_kmcl.h"
#include "fixture.h"

/* "blinker period=<ms>": a kind with a word, a default and a rule. */
struct blinker_params {
    uint32_t period;
};

static unsigned created_calls, created_n;
static struct device last; /* what the last create got (the struct is the registry's stack) */
static struct blinker_params last_params;

static int blinker_param(void *params, const char *key, size_t klen, const char *val, size_t vlen,
                         struct device_error *e)
{
    struct blinker_params *p = params;
    uint64_t x;
    if (klen != 6 || memcmp(key, "period", 6))
        return device_refuse(e, "unknown key", key, klen);
    if (!config_parse_uint(val, vlen, &x) || x < 10 || x > 10000)
        return device_refuse(e, "blinker needs period=10..10000, not", key, klen + 1 + vlen);
    p->period = (uint32_t)x;
    return 0;
}

static int blinker_check(void *params, struct device_error *e)
{
    struct blinker_params *p = params;
    (void)e;
    if (!p->period)
        p->period = 500;
    return 0;
}

static NTSTATUS blinker_create(const struct device *d, VMBCHANNEL *out)
{
    static const GUID cls = {0x11111111, 0x2222, 0x3333, {4, 4, 5, 5, 5, 5, 5, 5}};
    GUID instance;
    last = *d;
    memcpy(&last_params, d->params, sizeof(last_params));
    guid_for_device(&instance, d->cfg->instance, &cls, d->cfg->name);
    NTSTATUS s = VmbChannelAllocate(NULL, TRUE, out);
    if (NT_SUCCESS(s))
        s = VmbChannelInitSetFriendlyName(*out, d->cfg->name);
    if (NT_SUCCESS(s))
        s = VmbServerChannelInitSetTargetInterfaceId(*out, &cls, &instance);
    return s;
}

static void blinker_created(const struct device_env *env, unsigned n)
{
    (void)env;
    created_calls++;
    created_n = n;
}

static size_t blinker_summary(char *buf, size_t cap)
{
    return (size_t)snprintf(buf, cap, " blinks=%u", 7u);
}

/* The kinds' polls: counted, to see which run. */
static unsigned blinker_polls, screen_polls;
static void blinker_poll(void)
{
    blinker_polls++;
}
static void screen_poll(void)
{
    screen_polls++;
}

/* The kinds' retargets: the blinker owns device id 7 only; the screen any. */
static unsigned screen_retargets;
static int blinker_retarget(uint64_t id, uint32_t address, uint32_t data, uint8_t vector,
                            uint64_t vps)
{
    (void)address, (void)data, (void)vector, (void)vps;
    return id == 7 ? 0 : -1;
}
static int screen_retarget(uint64_t id, uint32_t address, uint32_t data, uint8_t vector,
                           uint64_t vps)
{
    (void)id, (void)address, (void)data, (void)vector, (void)vps;
    screen_retargets++;
    return 0;
}

static const struct device_kind blinker_kind = {
    .poll = blinker_poll,
    .retarget = blinker_retarget,
    .name = "blinker",
    .params_size = sizeof(struct blinker_params),
    .param = blinker_param,
    .check = blinker_check,
    .create = blinker_create,
    .created = blinker_created,
    .summary = blinker_summary,
};

/* "screen": one at most, wants the EFI handoff, takes no words; its create fails on demand. */
static NTSTATUS screen_status;
static NTSTATUS screen_create(const struct device *d, VMBCHANNEL *out)
{
    (void)d;
    *out = NULL;
    return screen_status;
}

static const struct device_kind screen_kind = {
    .name = "screen",
    .single = true,
    .needs_efi = true,
    .create = screen_create,
    .poll = screen_poll,
    .retarget = screen_retarget,
};

/* A kind whose parameters do not fit the registry's room: refused, not overrun. */
static const struct device_kind huge_kind = {
    .name = "huge",
    .params_size = DEVICE_PARAMS_SIZE + 1,
    .create = screen_create,
};

const struct device_kind *const device_kinds[] = {&blinker_kind, &screen_kind, &huge_kind, NULL};

static struct hv_config cfg;

/* hv.cfg text, through the loader's parser, then the registry's. */
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

static int setup(void **state)
{
    (void)state;
    fake_kmcl_reset();
    log_reset();
    created_calls = created_n = 0;
    memset(&last, 0, sizeof(last));
    screen_status = STATUS_SUCCESS;
    return 0;
}

static void words_defaults_and_create(void **state)
{
    (void)state;
    static const struct device_env env = {.shutdown_after = 9};
    assert_int_equal(parse("device = blinker name=slow period=2000\n"
                           "device = blinker\n"),
                     0);
    assert_false(devices_need_efi());
    assert_int_equal(devices_create(&env), 0);
    /* create ran per line in order; the last saw its defaults, its line, the env */
    assert_string_equal(last.cfg->name, "blinker1");
    assert_int_equal(last.cfg->line, 2);
    assert_ptr_equal(last.env, &env);
    assert_int_equal(last_params.period, 500);
    assert_string_equal(fake_channels[0].name, "slow");
    assert_int_equal(created_calls, 1);
    assert_int_equal(created_n, 2);

    devices_enable();
    assert_int_equal(log_count("hv: devices: slow: blinker device enabled (period=2000)\n"), 1);
    assert_int_equal(log_count("hv: devices: blinker1: blinker device enabled\n"), 1);

    /* the configured kind's poll runs, once per call; a kind without devices' does not */
    blinker_polls = screen_polls = 0;
    devices_poll();
    devices_poll();
    assert_int_equal(blinker_polls, 2);
    assert_int_equal(screen_polls, 0);
    /* a retarget reaches the configured kinds only: the owner says 0 */
    assert_int_equal(devices_retarget(NULL, 7, 0xfee00000, 0x4000, 0x41, 1), 0);
    assert_int_equal(devices_retarget(NULL, 8, 0xfee00000, 0x4000, 0x41, 1), -1);
    assert_int_equal(screen_retargets, 0);

    char line[64];
    assert_int_equal(devices_summary(line, sizeof(line)), 9);
    assert_string_equal(line, " blinks=7");
}

static void errors_name_the_line(void **state)
{
    (void)state;
    expect_refused("memory_mb = 512\ndevice = floppy\n",
                   "hv: devices: hv.cfg line 2: device: unknown kind 'floppy'\n");
    expect_refused("device = blinker period=5\n",
                   "hv: devices: hv.cfg line 1: device: blinker needs period=10..10000, not "
                   "'period=5'\n");
    expect_refused("device = blinker color=red\n", "hv.cfg line 1: device: unknown key 'color'\n");
    expect_refused("device = screen\n\ndevice = screen name=two\n",
                   "hv.cfg line 3: device: only one device of kind 'screen'\n");
    expect_refused("device = screen mode=big\n", "hv.cfg line 1: device: unknown key 'mode'\n");
    expect_refused("device = huge\n",
                   "device: parameters larger than DEVICE_PARAMS_SIZE for kind 'huge'\n");
}

static void properties(void **state)
{
    (void)state;
    assert_int_equal(parse("device = blinker\ndevice = screen\n"), 0);
    assert_true(devices_need_efi());
    screen_status = STATUS_INSUFFICIENT_RESOURCES;
    static const struct device_env env;
    assert_int_equal(devices_create(&env), -1);
    assert_int_equal(
        log_count("hv: devices: screen1: cannot create the channel: status 0xc000009a"), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(words_defaults_and_create, setup),
        cmocka_unit_test_setup(errors_name_the_line, setup),
        cmocka_unit_test_setup(properties, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
