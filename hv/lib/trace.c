/* The trace's core (trace.h): which classes are on, the per-class line
 * budget, line output, and the decoder of SVM exits for the exit class. */
#include "lib/trace.h"

#include <stdarg.h>

#include "lib/fmt.h"
#include "lib/log.h"
#include "lib/timer.h"

uint32_t trace_mask;

static const char *const names[TRACE_CLASS_COUNT] = {HV_TRACE_CLASS_NAMES};

static struct {
    uint32_t lines[TRACE_CLASS_COUNT]; /* printed, up to TRACE_BUDGET */
    uint64_t dropped[TRACE_CLASS_COUNT];
    bool print[TRACE_CLASS_COUNT]; /* the admitted event goes on the log too */
} st;

const char *trace_class_name(enum trace_class c)
{
    return (unsigned)c < TRACE_CLASS_COUNT ? names[c] : "?";
}

/* "hv: trace: <class>: " + the text on the log; with record, the event's
 * trace record too. */
static void vline(enum trace_class c, bool print, bool record, const char *fmt, va_list ap)
{
    char line[TRACE_LINE_MAX];
    int head = fmt_snprintf(line, sizeof(line), "hv: trace: %s: ", trace_class_name(c));
    int n = head + fmt_vsnprintf(line + head, sizeof(line) - (size_t)head, fmt, ap);
    if (n > (int)sizeof(line) - 2)
        n = (int)sizeof(line) - 2; /* truncated: still one whole line */
    line[n] = '\0';
    if (record) {
        char rec[TRACE_RECORD_MAX];
        trace_record_write(rec, trace_record(rec, sizeof(rec), clock_ns() / 1000, c, line + head));
    }
    if (print) {
        line[n++] = '\n';
        console_write(line, (size_t)n);
    }
}

static void say(enum trace_class c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(enum trace_class c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vline(c, true, false, fmt, ap);
    va_end(ap);
}

void trace_init(uint32_t mask)
{
    trace_mask = mask & ((1u << TRACE_CLASS_COUNT) - 1);
    for (unsigned c = 0; c < TRACE_CLASS_COUNT; c++) {
        st.lines[c] = 0;
        st.dropped[c] = 0;
    }
    if (!trace_mask)
        return;
    char list[64];
    size_t n = 0;
    list[0] = '\0';
    for (unsigned c = 0; c < TRACE_CLASS_COUNT; c++) {
        if (trace_mask & (1u << c))
            n += (size_t)fmt_snprintf(list + n, sizeof(list) - n, "%s%s", n ? "," : "", names[c]);
    }
    hv_log("trace", "on: %s (at most %u lines per class, then counted in trace_dropped=)", list,
           TRACE_BUDGET);
}

bool trace_admit(enum trace_class c)
{
    if ((unsigned)c >= TRACE_CLASS_COUNT || !(trace_mask & (1u << c)))
        return false;
    st.print[c] = st.lines[c] < TRACE_BUDGET;
    if (st.print[c])
        st.lines[c]++;
    else if (!st.dropped[c]++)
        say(c, "%u lines: further %s lines dropped (counted in trace_dropped=)", TRACE_BUDGET,
            names[c]);
    return true;
}

void trace_emit(enum trace_class c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vline(c, st.print[c], true, fmt, ap);
    va_end(ap);
}

void trace_line(enum trace_class c, const char *fmt, ...)
{
    if (!trace_admit(c))
        return;
    va_list ap;
    va_start(ap, fmt);
    vline(c, st.print[c], true, fmt, ap);
    va_end(ap);
}

/* --- trace records ------------------------------------------------------------------ */

/* The word starting at s (up to a space or the end). */
static size_t word_len(const char *s)
{
    size_t n = 0;
    while (s[n] && s[n] != ' ')
        n++;
    return n;
}

static bool starts(const char *s, const char *prefix)
{
    while (*prefix && *s == *prefix)
        s++, prefix++;
    return !*prefix;
}

/* Where a word of text starts with key, or NULL. */
static const char *find_word(const char *text, const char *key)
{
    for (const char *p = text; *p; p++) {
        if ((p == text || p[-1] == ' ') && starts(p, key))
            return p;
    }
    return NULL;
}

/* text[0..n) up to its NUL as a JSON string's contents: quotes, backslashes
 * and controls escaped. */
static void append_escaped(struct fmt_out *o, const char *text, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < n && text[i]; i++) {
        unsigned char ch = (unsigned char)text[i];
        if (ch == '"' || ch == '\\')
            fmt_append(o, "\\%c", ch);
        else if (ch < 0x20)
            fmt_append(o, "\\u00%c%c", hex[ch >> 4], hex[ch & 15]);
        else
            fmt_append(o, "%c", ch);
    }
}

size_t trace_record(char *out, size_t cap, uint64_t t_us, enum trace_class c, const char *text)
{
    struct fmt_out o = {out, cap - 1, 0}; /* room for the newline */
    fmt_append(&o, "{\"t_us\":%llu,\"class\":\"%s\",\"relid\":", (unsigned long long)t_us,
               trace_class_name(c));
    const char *r = find_word(text, "relid=");
    unsigned long long relid = 0;
    bool digits = r && r[6] >= '0' && r[6] <= '9';
    for (const char *d = r ? r + 6 : ""; digits && *d >= '0' && *d <= '9'; d++)
        relid = relid * 10 + (unsigned)(*d - '0');
    if (digits)
        fmt_append(&o, "%llu", relid);
    else
        fmt_append(&o, "null");
    const char *msg = text;
    if (c == TRACE_VMBUS && (starts(text, "guest->host ") || starts(text, "host->guest ")))
        msg = text + word_len(text) + 1;
    else if (c == TRACE_RING)
        msg = (msg = find_word(text, "type=")) ? msg + 5 : NULL;
    fmt_append(&o, ",\"msg\":");
    if (msg && word_len(msg)) {
        fmt_append(&o, "\"");
        append_escaped(&o, msg, word_len(msg));
        fmt_append(&o, "\"");
    } else {
        fmt_append(&o, "null");
    }
    fmt_append(&o, ",\"text\":\"");
    append_escaped(&o, text, TRACE_LINE_MAX);
    fmt_append(&o, "\"}");
    out[o.len] = '\n';
    return o.len + 1;
}

uint64_t trace_printed(void)
{
    uint64_t n = 0;
    for (unsigned c = 0; c < TRACE_CLASS_COUNT; c++)
        n += st.lines[c];
    return n;
}

uint64_t trace_dropped(void)
{
    uint64_t n = 0;
    for (unsigned c = 0; c < TRACE_CLASS_COUNT; c++)
        n += st.dropped[c];
    return n;
}

size_t trace_summary(char *buf, size_t cap)
{
    int n = fmt_snprintf(buf, cap, " trace_dropped=%llu", (unsigned long long)trace_dropped());
    return n < 0 ? 0 : (size_t)n;
}

/* --- SVM exits (AMD APM vol. 2, appendix C) ----------------------------------------- */

#define EXIT_EXCP_BASE 0x40u
#define EXIT_IOIO      0x7bu
#define EXIT_MSR       0x7cu
#define EXIT_CPUID     0x72u
#define EXIT_VMMCALL   0x81u
#define EXIT_NPF       0x400u

static const char *const exit_names[] = {
    [0x60] = "intr",
    [0x61] = "nmi",
    [0x62] = "smi",
    [0x63] = "init",
    [0x64] = "vintr",
    [0x65] = "cr0_sel_write",
    [0x66] = "idtr_read",
    [0x67] = "gdtr_read",
    [0x68] = "ldtr_read",
    [0x69] = "tr_read",
    [0x6a] = "idtr_write",
    [0x6b] = "gdtr_write",
    [0x6c] = "ldtr_write",
    [0x6d] = "tr_write",
    [0x6e] = "rdtsc",
    [0x6f] = "rdpmc",
    [0x70] = "pushf",
    [0x71] = "popf",
    [0x72] = "cpuid",
    [0x73] = "rsm",
    [0x74] = "iret",
    [0x75] = "swint",
    [0x76] = "invd",
    [0x77] = "pause",
    [0x78] = "hlt",
    [0x79] = "invlpg",
    [0x7a] = "invlpga",
    [0x7b] = "ioio",
    [0x7c] = "msr",
    [0x7d] = "task_switch",
    [0x7e] = "ferr_freeze",
    [0x7f] = "shutdown",
    [0x80] = "vmrun",
    [0x81] = "vmmcall",
    [0x82] = "vmload",
    [0x83] = "vmsave",
    [0x84] = "stgi",
    [0x85] = "clgi",
    [0x86] = "skinit",
    [0x87] = "rdtscp",
    [0x88] = "icebp",
    [0x89] = "wbinvd",
    [0x8a] = "monitor",
    [0x8b] = "mwait",
    [0x8c] = "mwait_conditional",
    [0x8d] = "xsetbv",
    [0x8e] = "rdpru",
    [0x8f] = "efer_write_trap",
    [0xa0] = "invlpgb",
    [0xa1] = "invlpgb_illegal",
    [0xa2] = "invpcid",
    [0xa3] = "mcommit",
    [0xa4] = "tlbsync",
};

static const char *const exception_names[32] = {
    "#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "#09", "#TS",
    "#NP", "#SS", "#GP", "#PF", "#15", "#MF", "#AC", "#MC", "#XM", "#VE", "#CP",
    "#22", "#23", "#24", "#25", "#26", "#27", "#HV", "#VC", "#SX", "#31",
};

const char *trace_exit_name(uint32_t code, char *buf, size_t cap)
{
    if (code < 0x10)
        fmt_snprintf(buf, cap, "cr%u_read", code);
    else if (code < 0x20)
        fmt_snprintf(buf, cap, "cr%u_write", code - 0x10);
    else if (code < 0x30)
        fmt_snprintf(buf, cap, "dr%u_read", code - 0x20);
    else if (code < 0x40)
        fmt_snprintf(buf, cap, "dr%u_write", code - 0x30);
    else if (code < 0x60)
        fmt_snprintf(buf, cap, "exception %s", exception_names[code - EXIT_EXCP_BASE]);
    else if (code >= 0x90 && code < 0xa0)
        fmt_snprintf(buf, cap, "cr%u_write_trap", code - 0x90);
    else if (code < sizeof(exit_names) / sizeof(exit_names[0]) && exit_names[code])
        return exit_names[code];
    else if (code == EXIT_NPF)
        return "npf";
    else if (code == 0x401)
        return "avic_incomplete_ipi";
    else if (code == 0x402)
        return "avic_noaccel";
    else if (code == 0x403)
        return "vmgexit";
    else if (code == 0xffffffffu)
        return "invalid";
    else
        return NULL;
    return buf;
}

void trace_exit(uint32_t vp, uint32_t code, uint64_t rip, uint64_t info1, uint64_t info2,
                uint64_t rax, uint64_t rcx, uint64_t rdx)
{
    if (!trace_admit(TRACE_EXIT))
        return;
    char buf[32], more[128];
    const char *name = trace_exit_name(code, buf, sizeof(buf));
    if (!name) {
        fmt_snprintf(buf, sizeof(buf), "code 0x%x", code);
        name = buf;
    }
    more[0] = '\0';
    if (code == EXIT_CPUID) {
        fmt_snprintf(more, sizeof(more), " leaf=0x%x subleaf=0x%x", (unsigned)rax, (unsigned)rcx);
    } else if (code == EXIT_MSR) {
        if (info1 & 1)
            fmt_snprintf(more, sizeof(more), " wrmsr 0x%x value=0x%llx", (unsigned)rcx,
                         (unsigned long long)((rdx & 0xffffffffull) << 32 | (rax & 0xffffffffull)));
        else
            fmt_snprintf(more, sizeof(more), " rdmsr 0x%x", (unsigned)rcx);
    } else if (code == EXIT_IOIO) {
        unsigned size = info1 & 0x10 ? 1 : info1 & 0x20 ? 2 : info1 & 0x40 ? 4 : 0;
        bool in = info1 & 1;
        uint64_t mask = size == 4 ? 0xffffffffull : size == 2 ? 0xffffull : 0xffull;
        int n = fmt_snprintf(more, sizeof(more), " %s port=0x%x size=%u%s%s", in ? "in" : "out",
                             (unsigned)(info1 >> 16) & 0xffffu, size, info1 & 4 ? " string" : "",
                             info1 & 8 ? " rep" : "");
        if (!in && !(info1 & 4) && n > 0 && (size_t)n < sizeof(more))
            fmt_snprintf(more + n, sizeof(more) - (size_t)n, " value=0x%llx",
                         (unsigned long long)(rax & mask));
    } else if (code == EXIT_NPF) {
        fmt_snprintf(more, sizeof(more), " gpa=0x%llx %s%s", (unsigned long long)info2,
                     info1 & 0x10 ? "fetch"
                     : info1 & 2  ? "write"
                                  : "read",
                     info1 & 1 ? " present" : " not-present");
    } else if (code == EXIT_VMMCALL) {
        fmt_snprintf(more, sizeof(more), " control=0x%llx", (unsigned long long)rcx);
    } else if (code >= EXIT_EXCP_BASE && code < EXIT_EXCP_BASE + 32) {
        fmt_snprintf(more, sizeof(more), " error=0x%llx info2=0x%llx", (unsigned long long)info1,
                     (unsigned long long)info2);
    } else if (info1 || info2) {
        fmt_snprintf(more, sizeof(more), " info1=0x%llx info2=0x%llx", (unsigned long long)info1,
                     (unsigned long long)info2);
    }
    trace_emit(TRACE_EXIT, "%s vp=%u rip=0x%llx%s", name, (unsigned)vp, (unsigned long long)rip,
               more);
}
