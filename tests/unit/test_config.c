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

/* The loader parses what every kind has and passes the kind's own words
 * through (the hypervisor's registry parses them: test_devices.c). */
static void device_lines(void **state)
{
    (void)state;
    struct hv_config cfg;
    struct config_error err;
    const char *text = "device = test\n"
                       "device = test name=big mmio_mb=64 mmio_optional_mb=0x10 "
                       "instance=12345678-9abc-def0-1122-334455667788\n"
                       "mmio_high_mb = 256\n"
                       "device =   floppy   instance=auto   color=red  \n";
    assert_int_equal(parse(text, &cfg, &err), 0);
    assert_int_equal(cfg.device_count, 3);
    assert_int_equal(cfg.mmio_high_mb, 256);
    assert_string_equal(cfg.devices[0].kind, "test");
    assert_string_equal(cfg.devices[0].name, "test0");
    assert_string_equal(cfg.devices[0].params, "");
    assert_int_equal(cfg.devices[0].line, 1);
    assert_string_equal(cfg.devices[1].name, "big");
    assert_string_equal(cfg.devices[1].params, "mmio_mb=64 mmio_optional_mb=0x10");
    assert_int_equal(cfg.devices[1].line, 2);
    static const uint8_t wire[16] = {0x78, 0x56, 0x34, 0x12, 0xbc, 0x9a, 0xf0, 0xde,
                                     0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88};
    assert_memory_equal(cfg.devices[1].instance, wire, 16);
    assert_string_equal(cfg.devices[2].kind, "floppy"); /* the registry's to refuse */
    assert_string_equal(cfg.devices[2].name, "floppy2");
    assert_string_equal(cfg.devices[2].params, "color=red");
    assert_int_equal(cfg.devices[2].line, 4);
    static const uint8_t zero[16];
    assert_memory_equal(cfg.devices[2].instance, zero, 16); /* auto */

    char full[256] = "device = test";
    while (strlen(full) < 13 + HV_DEVICE_PARAMS_MAX - 8)
        strcat(full, " a=1");
    assert_int_equal(parse(full, &cfg, &err), 0);
    assert_int_equal(strlen(cfg.devices[0].params), HV_DEVICE_PARAMS_MAX - 9);
    strcat(full, " a=123456789");
    expect_error(full, 1, "device: too many parameters, from 'a=123456789'");
}

static void device_errors(void **state)
{
    (void)state;
    expect_error("device = Floppy\n", 1, "device: bad kind (1-15 of a-z 0-9 _ -) 'Floppy'");
    expect_error("device = name=x\n", 1, "bad kind");
    expect_error("device =\n", 1, "missing value");
    expect_error("device = test mmio_mb\n", 1, "expected key=value");
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

static void shutdown_after(void **state)
{
    (void)state;
    struct hv_config cfg;
    struct config_error err;
    assert_int_equal(parse("shutdown_after = 60\n", &cfg, &err), 0);
    assert_int_equal(cfg.shutdown_after, 60);
    assert_int_equal(parse("", &cfg, &err), 0);
    assert_int_equal(cfg.shutdown_after, 0); /* never */
    assert_int_equal(parse("shutdown_after = 2592000\n", &cfg, &err), 0);
    assert_int_equal(cfg.shutdown_after, 2592000);

    expect_error("shutdown_after = 2592001\n", 1, "out of range");
    expect_error("shutdown_after = soon\n", 1, "expected a number");
    expect_error("shutdown_after = 5\nshutdown_after = 6\n", 2, "duplicate key");
}

static void vcpus(void **state)
{
    (void)state;
    struct hv_config cfg;
    struct config_error err;
    assert_int_equal(parse("", &cfg, &err), 0);
    assert_int_equal(cfg.vcpus, 0); /* the default: two where there are two CPUs */
    assert_int_equal(parse("vcpus = 4\n", &cfg, &err), 0);
    assert_int_equal(cfg.vcpus, 4);
    expect_error("vcpus = 0\n", 1, "out of range");
    expect_error("memory_mb = 512\nvcpus = 9\n", 2, "out of range");
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

/* fault = <when> <what> [key=value...]: every action with its keys, the
 * defaults, and the channel named before its device. */
static void fault_lines(void **state)
{
    (void)state;
    struct hv_config cfg;
    struct config_error err;
    const char *text = "fault = always delay msg=OFFERCHANNEL ms=250\n"
                       "fault = at=1500 refuse-versions from=5.2 count=3\n"
                       "fault = after=2 refuse-gpadl channel=t status=0xC000009A\n"
                       "fault = always refuse-open channel=t\n"
                       "fault = on-open rescind channel=hb reoffer=2000\n"
                       "fault = after=5 stall channel=t ms=800\n"
                       "fault = after=0 drop channel=t count=2\n"
                       "fault = at=0  duplicate   channel=hb\n"
                       "device = test name=t\n"
                       "device = heartbeat name=hb\n";
    assert_int_equal(parse(text, &cfg, &err), 0);
    assert_int_equal(cfg.fault_count, 8);
    const struct hv_fault_config *f = cfg.faults;
    assert_int_equal(f[0].line, 1);
    assert_int_equal(f[0].when, HV_FAULT_ALWAYS);
    assert_int_equal(f[0].what, HV_FAULT_DELAY);
    assert_int_equal(f[0].msgtype, 1);
    assert_int_equal(f[0].ms, 250);
    assert_int_equal(f[0].count, 0); /* always: every one */
    assert_string_equal(f[0].channel, "");
    assert_int_equal(f[1].when, HV_FAULT_AT);
    assert_int_equal(f[1].when_n, 1500);
    assert_int_equal(f[1].what, HV_FAULT_REFUSE_VERSIONS);
    assert_int_equal(f[1].value, 5u << 16 | 2);
    assert_int_equal(f[1].count, 3);
    assert_int_equal(f[2].when, HV_FAULT_AFTER);
    assert_int_equal(f[2].when_n, 2);
    assert_int_equal(f[2].value, 0xC000009A);
    assert_int_equal(f[2].count, 1); /* at= and after=: one unless count= says */
    assert_string_equal(f[2].channel, "t");
    assert_int_equal(f[3].what, HV_FAULT_REFUSE_OPEN);
    assert_int_equal(f[3].value, 0xC0000001); /* STATUS_UNSUCCESSFUL by default */
    assert_int_equal(f[4].when, HV_FAULT_ON_OPEN);
    assert_int_equal(f[4].what, HV_FAULT_RESCIND);
    assert_int_equal(f[4].ms, 2000);
    assert_int_equal(f[5].what, HV_FAULT_STALL);
    assert_int_equal(f[5].when_n, 5);
    assert_int_equal(f[5].ms, 800);
    assert_int_equal(f[6].what, HV_FAULT_DROP);
    assert_int_equal(f[6].count, 2);
    assert_int_equal(f[7].what, HV_FAULT_DUPLICATE);
    assert_int_equal(f[7].line, 8);
    assert_int_equal(parse("fault = after=3 no-signal channel=t count=2\n"
                           "fault = always corrupt channel=t field=type\n"
                           "fault = after=1 corrupt channel=t field=trans\n"
                           "fault = random seed=0xdeadbeef rate=5\n"
                           "device = test name=t\n",
                           &cfg, &err),
                     0);
    assert_int_equal(cfg.faults[0].what, HV_FAULT_NO_SIGNAL);
    assert_int_equal(cfg.faults[0].count, 2);
    assert_int_equal(cfg.faults[1].what, HV_FAULT_CORRUPT);
    assert_int_equal(cfg.faults[1].value, HV_FAULT_FIELD_TYPE);
    assert_int_equal(cfg.faults[2].value, HV_FAULT_FIELD_TRANS);
    assert_int_equal(cfg.faults[3].when, HV_FAULT_ALWAYS);
    assert_int_equal(cfg.faults[3].what, HV_FAULT_RANDOM);
    assert_int_equal(cfg.faults[3].ms, 0xdeadbeef); /* the seed */
    assert_int_equal(cfg.faults[3].value, 5);       /* per 1000 events */
    assert_int_equal(parse("fault = at=10 rescind channel=t\ndevice = test name=t\n", &cfg, &err),
                     0);
    assert_int_equal(cfg.faults[0].ms, 0); /* not re-offered */
    /* reorder: ms the longest wait for the next packet (1000 by default); mask: a mode,
     * held over packets= (1 by default) */
    assert_int_equal(parse("fault = after=1 reorder channel=t\n"
                           "fault = always reorder channel=t ms=50\n"
                           "fault = at=2000 mask channel=t mode=spurious\n"
                           "fault = after=3 mask channel=t mode=held\n"
                           "fault = after=3 mask channel=t mode=held packets=4\n"
                           "device = test name=t\n",
                           &cfg, &err),
                     0);
    assert_int_equal(cfg.faults[0].what, HV_FAULT_REORDER);
    assert_int_equal(cfg.faults[0].ms, 1000);
    assert_int_equal(cfg.faults[0].count, 1);
    assert_int_equal(cfg.faults[1].ms, 50);
    assert_int_equal(cfg.faults[1].count, 0);
    assert_int_equal(cfg.faults[2].what, HV_FAULT_MASK);
    assert_int_equal(cfg.faults[2].value, HV_FAULT_MASK_SPURIOUS);
    assert_int_equal(cfg.faults[3].value, HV_FAULT_MASK_HELD);
    assert_int_equal(cfg.faults[3].ms, 1);
    assert_int_equal(cfg.faults[4].ms, 4);
    /* bad-version: 9.0 unless version= says */
    assert_int_equal(parse("fault = always bad-version channel=t\n"
                           "fault = after=1 bad-version channel=t version=2.5 count=3\n"
                           "device = test name=t\n",
                           &cfg, &err),
                     0);
    assert_int_equal(cfg.faults[0].what, HV_FAULT_BAD_VERSION);
    assert_int_equal(cfg.faults[0].value, 9u << 16);
    assert_int_equal(cfg.faults[1].value, 2u << 16 | 5);
    assert_int_equal(cfg.faults[1].count, 3);
    /* unsolicited: at a time, one of five messages, relid 0 unless said */
    assert_int_equal(parse("fault = at=3000 unsolicited msg=VERSION_RESPONSE\n"
                           "fault = at=3100 unsolicited msg=RESCIND_CHANNELOFFER relid=77\n",
                           &cfg, &err),
                     0);
    assert_int_equal(cfg.faults[0].what, HV_FAULT_UNSOLICITED);
    assert_int_equal(cfg.faults[0].msgtype, 15);
    assert_int_equal(cfg.faults[0].value, 0);
    assert_int_equal(cfg.faults[1].msgtype, 2);
    assert_int_equal(cfg.faults[1].value, 77);
    /* every message the host sends may be delayed */
    static const char *const msgs[] = {
        "OFFERCHANNEL",       "RESCIND_CHANNELOFFER", "ALLOFFERS_DELIVERED",
        "OPENCHANNEL_RESULT", "GPADL_CREATED",        "GPADL_TORNDOWN",
        "VERSION_RESPONSE",   "UNLOAD_RESPONSE",      "MODIFYCHANNEL_RESPONSE"};
    static const uint16_t types[] = {1, 2, 4, 6, 10, 12, 15, 17, 24};
    for (unsigned i = 0; i < 9; i++) {
        char line[96];
        snprintf(line, sizeof(line), "fault = always delay msg=%s ms=1\n", msgs[i]);
        assert_int_equal(parse(line, &cfg, &err), 0);
        assert_int_equal(cfg.faults[0].msgtype, types[i]);
    }
    /* sixteen at most */
    char many[17 * 48] = "";
    for (unsigned i = 0; i < 16; i++)
        strcat(many, "fault = always delay msg=GPADL_CREATED ms=5\n");
    assert_int_equal(parse(many, &cfg, &err), 0);
    assert_int_equal(cfg.fault_count, 16);
    strcat(many, "fault = always delay msg=GPADL_CREATED ms=5\n");
    expect_error(many, 17, "fault: more than 16 faults");
}

static void fault_errors(void **state)
{
    (void)state;
    expect_error("memory_mb = 512\nfault = sometimes delay msg=OFFERCHANNEL ms=1\n", 2,
                 "fault: expected always, at=<ms>, after=<n>, on-open or random, not 'sometimes'");
    expect_error("fault = at= delay msg=OFFERCHANNEL ms=1\n", 1, "expected always");
    expect_error("fault = at=x delay msg=OFFERCHANNEL ms=1\n", 1, "expected always");
    expect_error("fault = after=99999999999 drop channel=t\n", 1, "expected always");
    expect_error("fault = always=3 drop channel=t\n", 1, "expected always");
    expect_error("fault = always\n", 1, "fault: unknown action");
    expect_error("fault = always explode\n", 1,
                 "unknown action (delay, refuse-versions, refuse-gpadl, refuse-open, rescind, "
                 "stall, drop, duplicate, no-signal, corrupt, reorder, mask, bad-version, "
                 "unsolicited): "
                 "'explode'");
    expect_error("fault = always  \n", 1, "fault: unknown action");
    expect_error("fault = always random seed=1 rate=1\n", 1, "unknown action");
    expect_error("fault = random\n", 1, "missing key 'seed'");
    expect_error("fault = random seed=1\n", 1, "missing key 'rate'");
    expect_error("fault = random seed=1 rate=0\n", 1, "rate (events per 1000) not in 1..1000");
    expect_error("fault = random seed=1 rate=1001\n", 1, "rate (events per 1000)");
    expect_error("fault = random seed=0x100000000 rate=1\n", 1, "seed not in");
    expect_error("fault = random seed=1 rate=1 channel=t\n", 1, "takes no key 'channel'");
    expect_error("fault = always corrupt channel=t\n", 1, "missing key 'field'");
    expect_error("fault = always corrupt channel=t field=len8\n", 1,
                 "field is not trans or type: 'len8'");
    expect_error("\n\nfault = always delay ms=5\n", 3, "fault: missing key 'msg'");
    expect_error("fault = always delay msg=OFFERCHANNEL\n", 1, "missing key 'ms'");
    expect_error("fault = always delay msg=REQUESTOFFERS ms=5\n", 1,
                 "msg is not a message the host sends: 'REQUESTOFFERS'");
    expect_error("fault = always delay msg=offerchannel ms=5\n", 1, "not a message the host");
    expect_error("fault = always delay msg=OFFERCHANNEL ms=0\n", 1, "milliseconds not in");
    expect_error("fault = always delay msg=OFFERCHANNEL ms=600001\n", 1, "milliseconds not in");
    expect_error("fault = always delay msg=OFFERCHANNEL ms=5 ms=6\n", 1, "key given twice: 'ms'");
    expect_error("fault = always delay msg=OFFERCHANNEL ms=5 channel=t\n", 1,
                 "this action takes no key 'channel'");
    expect_error("fault = always delay msg=OFFERCHANNEL ms=5 colour=red\n", 1,
                 "unknown key 'colour'");
    expect_error("fault = always delay msg=OFFERCHANNEL ms=5 junk\n", 1,
                 "expected key=value, got 'junk'");
    expect_error("fault = always delay msg=OFFERCHANNEL ms=5 count=2\n", 1,
                 "count= does not go with 'always'");
    expect_error("fault = after=1 delay msg=OFFERCHANNEL ms=5 count=0\n", 1, "count not in");
    expect_error("fault = always refuse-versions from=5\n", 1,
                 "from is not a version <major>.<minor>: '5'");
    expect_error("fault = always refuse-versions from=5.x\n", 1, "from is not a version");
    expect_error("fault = always refuse-versions from=70000.1\n", 1, "from is not a version");
    expect_error("fault = always refuse-open\n", 1, "missing key 'channel'");
    expect_error("fault = always refuse-open channel=t status=0\n", 1,
                 "status is not a failure NTSTATUS");
    expect_error("fault = always refuse-open channel=t status=0x100000000\n", 1,
                 "status is not a failure NTSTATUS");
    expect_error("fault = always refuse-open channel=thisnameistoolong\n", 1,
                 "channel is not a device name");
    expect_error("fault = always refuse-open channel=\n", 1, "channel is not a device name");
    expect_error("fault = always rescind channel=t\n", 1, "that when does not go with 'rescind'");
    expect_error("fault = always stall channel=t ms=5\n", 1, "that when does not go with 'stall'");
    expect_error("fault = on-open drop channel=t\n", 1, "that when does not go with 'drop'");
    expect_error("fault = after=0 rescind channel=t\n", 1,
                 "after= counts guest packets from 1 for 'rescind'");
    expect_error("fault = after=1 rescind channel=t count=2\n", 1, "takes no key 'count'");
    expect_error("fault = at=1 rescind channel=t reoffer=600001\n", 1, "milliseconds not in");
    expect_error("fault = after=1 stall channel=t\n", 1, "missing key 'ms'");
    expect_error("fault = on-open reorder channel=t\n", 1, "that when does not go with 'reorder'");
    expect_error("fault = after=1 reorder channel=t ms=0\n", 1, "milliseconds not in");
    expect_error("fault = after=1 reorder\n", 1, "missing key 'channel'");
    expect_error("fault = after=1 mask channel=t\n", 1, "missing key 'mode'");
    expect_error("fault = after=1 mask channel=t mode=lost\n", 1,
                 "mode is not spurious or held: 'lost'");
    expect_error("fault = always mask channel=t mode=held\n", 1,
                 "that when does not go with 'mask'");
    expect_error("fault = after=0 mask channel=t mode=held\n", 1,
                 "after= counts guest packets from 1 for 'mask'");
    expect_error("fault = after=1 mask channel=t mode=held packets=0\n", 1,
                 "packets not in 1..1000000: '0'");
    expect_error("fault = after=1 mask channel=t mode=spurious packets=2\n", 1,
                 "packets= goes with mode=held only, not 'spurious'");
    expect_error("fault = after=1 mask channel=t mode=held count=2\n", 1, "takes no key 'count'");
    expect_error("fault = always bad-version channel=t version=9\n", 1,
                 "version is not a version <major>.<minor>: '9'");
    expect_error("fault = after=1 unsolicited msg=VERSION_RESPONSE\n", 1,
                 "that when does not go with 'unsolicited'");
    expect_error(
        "fault = at=1 unsolicited msg=OFFERCHANNEL\n", 1,
        "unsolicited msg is not VERSION_RESPONSE, ALLOFFERS_DELIVERED, OPENCHANNEL_RESULT, "
        "GPADL_CREATED or RESCIND_CHANNELOFFER: 'msg'");
    expect_error("fault = at=1 unsolicited msg=GPADL_TORNDOWN relid=1\n", 1, "unsolicited msg is");
    expect_error("fault = at=1 unsolicited relid=1\n", 1, "missing key 'msg'");
    expect_error("fault = at=1 unsolicited msg=GPADL_CREATED relid=-1\n", 1, "relid not in");
    expect_error("fault = at=1 unsolicited msg=GPADL_CREATED channel=t\n", 1,
                 "takes no key 'channel'");
    expect_error("fault = on-open bad-version channel=t\n", 1,
                 "that when does not go with 'bad-version'");
    /* the channel is checked once every device is known: the fault's line */
    expect_error("device = test name=t\nfault = always drop channel=u\ndevice = test name=v\n", 2,
                 "fault: channel names no configured device: 'u'");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(defaults),           cmocka_unit_test(full_file),
        cmocka_unit_test(empty_string_value), cmocka_unit_test(errors_name_the_line),
        cmocka_unit_test(overlong_values),    cmocka_unit_test(embedded_nul_and_no_terminator),
        cmocka_unit_test(device_lines),       cmocka_unit_test(device_errors),
        cmocka_unit_test(shutdown_after),     cmocka_unit_test(vcpus),
        cmocka_unit_test(trace_classes),      cmocka_unit_test(fault_lines),
        cmocka_unit_test(fault_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
