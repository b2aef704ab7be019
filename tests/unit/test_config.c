/* hv.cfg parser: good files, every error with its line number, hostile text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "lib/config.h"

static int parse(const char *text, struct hv_config *cfg, struct config_error *err)
{
    config_defaults(cfg);
    return config_parse(text, strlen(text), cfg, err);
}

static void expect_error(const char *text, unsigned line, const char *needle)
{
    struct hv_config cfg;
    struct config_error err;
    assert_int_equal(parse(text, &cfg, &err), -1);
    assert_int_equal(err.line, line);
    if (!strstr(err.msg, needle))
        fail_msg("message '%s' lacks '%s'", err.msg, needle);
}

static void defaults(void **state)
{
    (void)state;
    struct hv_config cfg;
    struct config_error err;
    assert_int_equal(parse("", &cfg, &err), 0);
    assert_int_equal(cfg.memory_mb, 512);
    assert_int_equal(cfg.heap_mb, 16);
    assert_int_equal(cfg.debug_exit_port, 0xf4);
    assert_int_equal(cfg.selftest, HV_SELFTEST_NONE);
    assert_string_equal(cfg.kernel, "");
    assert_string_equal(cfg.cmdline, "");
}

static void full_file(void **state)
{
    (void)state;
    struct hv_config cfg;
    struct config_error err;
    const char *text = "# comment\n"
                       "\n"
                       "  memory_mb   =  1024  \r\n"
                       "heap_mb=32\n"
                       "\t# indented comment\n"
                       "debug_exit_port = 0x501\n"
                       "kernel = hv/vmlinuz\n"
                       "initrd = hv/initrd\n"
                       "cmdline = console=ttyS0 quiet a=b=c #notacomment\n"
                       "selftest = exception"; /* no final newline */
    assert_int_equal(parse(text, &cfg, &err), 0);
    assert_int_equal(cfg.memory_mb, 1024);
    assert_int_equal(cfg.heap_mb, 32);
    assert_int_equal(cfg.debug_exit_port, 0x501);
    assert_int_equal(cfg.selftest, HV_SELFTEST_EXCEPTION);
    assert_string_equal(cfg.kernel, "hv/vmlinuz");
    assert_string_equal(cfg.initrd, "hv/initrd");
    assert_string_equal(cfg.cmdline, "console=ttyS0 quiet a=b=c #notacomment");
}

static void empty_string_value(void **state)
{
    (void)state;
    struct hv_config cfg;
    struct config_error err;
    assert_int_equal(parse("cmdline =\n", &cfg, &err), 0);
    assert_string_equal(cfg.cmdline, "");
}

static void errors_name_the_line(void **state)
{
    (void)state;
    expect_error("memory_mb = 512\nfoo = 1\n", 2, "unknown key 'foo'");
    expect_error("\n\n\nmemory_mb 512\n", 4, "expected 'key = value'");
    expect_error("= 5\n", 1, "missing key");
    expect_error("memory_mb =\n", 1, "missing value");
    expect_error("memory_mb = 12x\n", 1, "expected a number");
    expect_error("memory_mb = -5\n", 1, "expected a number");
    expect_error("memory_mb = 0x\n", 1, "expected a number");
    expect_error("memory_mb = 32\n", 1, "out of range");
    expect_error("memory_mb = 3586\n", 1, "out of range");
    expect_error("memory_mb = 513\n", 1, "multiple of 2");
    expect_error("memory_mb = 99999999999999999999999\n", 1, "expected a number");
    expect_error("debug_exit_port = 0x10000\n", 1, "out of range");
    expect_error("selftest = maybe\n", 1, "bad value 'maybe'");
    expect_error("memory_mb = 512\nmemory_mb = 1024\n", 2, "duplicate key");
    expect_error("kernel = a\x01b\n", 1, "control character");
}

static void overlong_values(void **state)
{
    (void)state;
    char text[HV_CMDLINE_MAX + 64];
    strcpy(text, "cmdline = ");
    size_t n = strlen(text);
    memset(text + n, 'a', HV_CMDLINE_MAX);
    text[n + HV_CMDLINE_MAX] = '\0';
    expect_error(text, 1, "too long");

    /* exactly at the limit fits */
    text[n + HV_CMDLINE_MAX - 1] = '\0';
    struct hv_config cfg;
    struct config_error err;
    assert_int_equal(parse(text, &cfg, &err), 0);
    assert_int_equal(strlen(cfg.cmdline), HV_CMDLINE_MAX - 1);
}

static void embedded_nul_and_no_terminator(void **state)
{
    (void)state;
    struct hv_config cfg;
    struct config_error err;
    const char text[] = {'m', 'e', 'm', 'o', 'r', 'y', '_', 'm', 'b', '=', '6', '\0', '4'};
    config_defaults(&cfg);
    assert_int_equal(config_parse(text, sizeof(text), &cfg, &err), -1);
    assert_int_equal(err.line, 1);

    /* text is a slice: bytes past len are never read */
    const char slice[] = {'h', 'e', 'a', 'p', '_', 'm', 'b', '=', '8', 'X'};
    config_defaults(&cfg);
    assert_int_equal(config_parse(slice, sizeof(slice) - 1, &cfg, &err), 0);
    assert_int_equal(cfg.heap_mb, 8);
}

static void device_lines(void **state)
{
    (void)state;
    struct hv_config cfg;
    struct config_error err;
    const char *text = "device = test\n"
                       "device = test name=big mmio_mb=64 mmio_optional_mb=0x10 "
                       "instance=12345678-9abc-def0-1122-334455667788\n"
                       "mmio_high_mb = 256\n"
                       "device =   test   instance=auto   mmio_optional_mb=3  \n";
    assert_int_equal(parse(text, &cfg, &err), 0);
    assert_int_equal(cfg.device_count, 3);
    assert_int_equal(cfg.mmio_high_mb, 256);
    assert_int_equal(cfg.devices[0].kind, HV_DEVICE_TEST);
    assert_string_equal(cfg.devices[0].name, "test0");
    assert_int_equal(cfg.devices[0].mmio_mb, 0);
    assert_string_equal(cfg.devices[1].name, "big");
    assert_int_equal(cfg.devices[1].mmio_mb, 64);
    assert_int_equal(cfg.devices[1].mmio_optional_mb, 16);
    static const uint8_t wire[16] = {0x78, 0x56, 0x34, 0x12, 0xbc, 0x9a, 0xf0, 0xde,
                                     0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88};
    assert_memory_equal(cfg.devices[1].instance, wire, 16);
    assert_string_equal(cfg.devices[2].name, "test2");
    assert_int_equal(cfg.devices[2].mmio_optional_mb, 3);
    static const uint8_t zero[16];
    assert_memory_equal(cfg.devices[2].instance, zero, 16); /* auto */
}

static void device_errors(void **state)
{
    (void)state;
    expect_error("device = floppy\n", 1, "device: unknown kind 'floppy'");
    expect_error("device =\n", 1, "missing value");
    expect_error("device = test mmio_mb\n", 1, "expected key=value");
    expect_error("device = test color=red\n", 1, "unknown key 'color'");
    expect_error("device = test mmio_mb=65536\n", 1, "bad megabytes");
    expect_error("device = test mmio_optional_mb=-1\n", 1, "bad megabytes");
    expect_error("device = test name=Big\n", 1, "bad name");
    expect_error("device = test name=abcdefghijklmnop\n", 1, "bad name");
    expect_error("device = test instance=1234\n", 1, "bad instance GUID");
    expect_error("device = test instance=12345678-9abc-def0-1122-33445566778g\n", 1,
                 "bad instance GUID");
    expect_error("device = test\ndevice = test name=test0\n", 2, "duplicate name 'test0'");
    expect_error("device = test instance=12345678-9abc-def0-1122-334455667788\n"
                 "device = test instance=12345678-9abc-def0-1122-334455667788\n",
                 2, "duplicate instance of 'test0'");
    expect_error("mmio_high_mb = 70000\n", 1, "out of range");
    char many[1024] = "";
    for (int i = 0; i < HV_DEVICES_MAX + 1; i++)
        strcat(many, "device = test\n");
    expect_error(many, HV_DEVICES_MAX + 1, "more than 16 devices");
}

static void integration_components(void **state)
{
    (void)state;
    struct hv_config cfg;
    struct config_error err;
    const char *text = "device = heartbeat\n"
                       "device = shutdown name=sd instance=0e0b6031-5213-4934-818b-38d90ced39db\n"
                       "device = timesync\n"
                       "shutdown_after = 60\n";
    assert_int_equal(parse(text, &cfg, &err), 0);
    assert_int_equal(cfg.device_count, 3);
    assert_int_equal(cfg.devices[0].kind, HV_DEVICE_HEARTBEAT);
    assert_string_equal(cfg.devices[0].name, "heartbeat0");
    assert_int_equal(cfg.devices[1].kind, HV_DEVICE_SHUTDOWN);
    assert_string_equal(cfg.devices[1].name, "sd");
    assert_int_equal(cfg.devices[2].kind, HV_DEVICE_TIMESYNC);
    assert_string_equal(cfg.devices[2].name, "timesync2");
    assert_int_equal(cfg.shutdown_after, 60);

    assert_int_equal(parse("", &cfg, &err), 0);
    assert_int_equal(cfg.shutdown_after, 0); /* never */
    assert_int_equal(parse("shutdown_after = 2592000\n", &cfg, &err), 0);
    assert_int_equal(cfg.shutdown_after, 2592000);

    expect_error("shutdown_after = 2592001\n", 1, "out of range");
    expect_error("shutdown_after = soon\n", 1, "expected a number");
    expect_error("shutdown_after = 5\nshutdown_after = 6\n", 2, "duplicate key");
    expect_error("device = heartbeat mmio_mb=1\n", 1,
                 "MMIO is only for kinds test and video, not 'heartbeat'");
    expect_error("device = timesync mmio_optional_mb=2\n", 1, "not 'timesync'");
    expect_error("device = shutdown\ndevice = test\ndevice = shutdown name=other\n", 3,
                 "only one device of kind 'shutdown'");
}

static void video_and_keyboard(void **state)
{
    (void)state;
    struct hv_config cfg;
    struct config_error err;
    assert_int_equal(parse("device = video\n"
                           "device = keyboard name=kbd\n"
                           "device = test name=t mmio_mb=2\n",
                           &cfg, &err),
                     0);
    assert_int_equal(cfg.device_count, 3);
    assert_int_equal(cfg.devices[0].kind, HV_DEVICE_VIDEO);
    assert_string_equal(cfg.devices[0].name, "video0");
    assert_int_equal(cfg.devices[0].mmio_mb, HV_VIDEO_MMIO_MB_DEFAULT);
    assert_int_equal(cfg.devices[0].mmio_mb, 8);
    assert_int_equal(cfg.devices[0].mmio_optional_mb, 0);
    assert_int_equal(cfg.devices[1].kind, HV_DEVICE_KEYBOARD);
    assert_string_equal(cfg.devices[1].name, "kbd");
    assert_int_equal(cfg.devices[1].mmio_mb, 0);
    assert_int_equal(parse("device = video mmio_mb=4\n", &cfg, &err), 0);
    assert_int_equal(cfg.devices[0].mmio_mb, 4);
    assert_int_equal(parse("device = video name=fb mmio_mb=64\n", &cfg, &err), 0);
    assert_int_equal(cfg.devices[0].mmio_mb, 64);
    assert_string_equal(cfg.devices[0].name, "fb");

    /* too small for 1152x864 at 32 bpp (and so for what it advertises), named by line */
    expect_error("memory_mb = 512\ndevice = video mmio_mb=3\n", 2,
                 "device: video needs mmio_mb >= 4 (1152x864 at 32 bpp), not 'mmio_mb=3'");
    expect_error("device = video mmio_mb=0\n", 1, "not 'mmio_mb=0'");
    expect_error("device = video mmio_mb=65\n", 1,
                 "device: video takes mmio_mb <= 64 (the frame-buffer region), not 'mmio_mb=65'");
    expect_error("device = video mmio_mb=65536\n", 1, "bad megabytes");
    expect_error("device = video mmio_optional_mb=8\n", 1,
                 "device: mmio_optional_mb is not for kind 'video'");
    expect_error("device = keyboard mmio_mb=1\n", 1,
                 "MMIO is only for kinds test and video, not 'keyboard'");
    expect_error("device = video\ndevice = video name=second\n", 2,
                 "only one device of kind 'video'");
    expect_error("device = keyboard\ndevice = keyboard name=k2\n", 2,
                 "only one device of kind 'keyboard'");
    expect_error("device = keyboard name=k color=red\n", 1, "unknown key 'color'");
}

static void trace_classes(void **state)
{
    (void)state;
    struct hv_config cfg;
    struct config_error err;
    assert_int_equal(parse("", &cfg, &err), 0);
    assert_int_equal(cfg.trace, 0); /* off */
    assert_int_equal(parse("trace = vmbus,ring\n", &cfg, &err), 0);
    assert_int_equal(cfg.trace, HV_TRACE_VMBUS | HV_TRACE_RING);
    assert_int_equal(parse("trace =  hypercall , exit,synic\t\n", &cfg, &err), 0);
    assert_int_equal(cfg.trace, HV_TRACE_HYPERCALL | HV_TRACE_EXIT | HV_TRACE_SYNIC);
    assert_int_equal(parse("trace = exit", &cfg, &err), 0);
    assert_int_equal(cfg.trace, HV_TRACE_EXIT);
    assert_int_equal(parse("trace = all\n", &cfg, &err), 0);
    assert_int_equal(cfg.trace, (1u << HV_TRACE_CLASSES) - 1);
    assert_int_equal(parse("trace = ring,all\n", &cfg, &err), 0);
    assert_int_equal(cfg.trace, (1u << HV_TRACE_CLASSES) - 1);
    assert_int_equal(parse("trace = none\n", &cfg, &err), 0);
    assert_int_equal(cfg.trace, 0);
    /* every class by its name, one bit each */
    static const char *const names[HV_TRACE_CLASSES] = {HV_TRACE_CLASS_NAMES};
    for (unsigned c = 0; c < HV_TRACE_CLASSES; c++) {
        char line[64];
        snprintf(line, sizeof(line), "trace = %s\n", names[c]);
        assert_int_equal(parse(line, &cfg, &err), 0);
        assert_int_equal(cfg.trace, 1u << c);
    }

    expect_error("memory_mb = 512\ntrace = vmbus,foo\n", 2,
                 "trace: unknown class 'foo' (classes: vmbus, ring, synic, hypercall, exit, all; "
                 "or none)");
    expect_error("trace = VMBUS\n", 1, "unknown class 'VMBUS'");
    expect_error("trace = vmbus ring\n", 1, "unknown class 'vmbus ring'");
    expect_error("\n\ntrace = vmbus,,ring\n", 3, "trace: empty class name in 'vmbus,,ring'");
    expect_error("trace = vmbus,\n", 1, "empty class name");
    expect_error("trace = ,vmbus\n", 1, "empty class name");
    expect_error("trace = ring,exit,ring\n", 1, "class named twice: 'ring'");
    expect_error("trace = none,vmbus\n", 1, "'none' must stand alone");
    expect_error("trace = vmbus,none\n", 1, "'none' must stand alone");
    expect_error("trace =\n", 1, "missing value for 'trace'");
    expect_error("trace = vmbus\ntrace = ring\n", 2, "duplicate key 'trace'");
    char longname[200];
    memset(longname, 'x', sizeof(longname));
    memcpy(longname, "trace = ", 8);
    longname[sizeof(longname) - 1] = '\0';
    expect_error(longname, 1, "unknown class 'xxxxxxxx");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(defaults),
        cmocka_unit_test(full_file),
        cmocka_unit_test(empty_string_value),
        cmocka_unit_test(errors_name_the_line),
        cmocka_unit_test(overlong_values),
        cmocka_unit_test(embedded_nul_and_no_terminator),
        cmocka_unit_test(device_lines),
        cmocka_unit_test(device_errors),
        cmocka_unit_test(integration_components),
        cmocka_unit_test(video_and_keyboard),
        cmocka_unit_test(trace_classes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
