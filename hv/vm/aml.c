#include "vm/aml.h"

#include "lib/mem.h"
#include "vm/le.h"

enum frame_kind { F_SCOPE, F_DEVICE, F_PACKAGE, F_BUFFER, F_RESOURCES };

/* A PkgLength of n bytes holds 6, 12, 20 or 28 bits. */
static const uint32_t pkglength_max[4] = {0x3F, 0xFFF, 0xFFFFF, 0xFFFFFFF};

static void set_error(struct aml *a, const char *reason)
{
    if (!a->error)
        a->error = reason;
}

static void emit(struct aml *a, const void *p, size_t n)
{
    if (a->error)
        return;
    if (n > a->cap - a->len) {
        set_error(a, "AML buffer overflow");
        return;
    }
    memcpy(a->buf + a->len, p, n);
    a->len += n;
}

static void emit_byte(struct aml *a, uint8_t b)
{
    emit(a, &b, 1);
}

/* Inserts p[0..n) at offset at, moving what follows: how a closed construct
 * gets its PkgLength in front of contents already emitted. */
static void insert(struct aml *a, size_t at, const uint8_t *p, size_t n)
{
    if (a->error)
        return;
    if (n > a->cap - a->len) {
        set_error(a, "AML buffer overflow");
        return;
    }
    memmove(a->buf + at + n, a->buf + at, a->len - at);
    memcpy(a->buf + at, p, n);
    a->len += n;
}

/* Every term emitted directly inside a Package is one of its elements. */
static void count_item(struct aml *a)
{
    if (a->depth)
        a->open[a->depth - 1].items++;
}

void aml_init(struct aml *a, uint8_t *buf, size_t cap)
{
    memset(a, 0, sizeof(*a));
    a->buf = buf;
    a->cap = cap;
}

int aml_finish(struct aml *a, size_t *len, const char **why)
{
    if (!a->error && a->depth)
        set_error(a, "AML construct left open (aml_begin_* without aml_end)");
    if (a->error) {
        *why = a->error;
        return -1;
    }
    *len = a->len;
    return 0;
}

void aml_bytes(struct aml *a, const void *p, size_t n)
{
    emit(a, p, n);
}

unsigned aml_pkglength(uint32_t content_len, uint8_t out[4])
{
    for (unsigned n = 1; n <= 4; n++) {
        uint64_t total = (uint64_t)content_len + n;
        if (total > pkglength_max[n - 1])
            continue;
        if (n == 1) {
            out[0] = (uint8_t)total;
            return 1;
        }
        /* Lead byte: count of following bytes in bits 7:6, the low nibble in 3:0. */
        out[0] = (uint8_t)(((n - 1) << 6) | (total & 0xF));
        for (unsigned i = 1; i < n; i++)
            out[i] = (uint8_t)(total >> (4 + 8 * (i - 1)));
        return n;
    }
    return 0;
}

static bool lead_char(char c)
{
    return (c >= 'A' && c <= 'Z') || c == '_';
}

static bool name_char(char c)
{
    return lead_char(c) || (c >= '0' && c <= '9');
}

/* Length of the NameSeg at s (up to '.' or the end), 0 if it is not one. */
static size_t seg_len(const char *s)
{
    size_t n = 0;
    while (s[n] && s[n] != '.') {
        if (n == 4 || !name_char(s[n]))
            return 0;
        n++;
    }
    return n && lead_char(s[0]) ? n : 0;
}

static void name_string(struct aml *a, const char *path)
{
    const char *p = path;
    if (*p == '\\') {
        emit_byte(a, AML_ROOT_CHAR);
        p++;
    } else {
        while (*p == '^') {
            emit_byte(a, AML_PARENT_CHAR);
            p++;
        }
    }
    if (!*p) {
        if (p == path) /* "" names nothing; "\" alone is the root */
            set_error(a, "empty AML name");
        emit_byte(a, 0x00); /* NullName */
        return;
    }
    /* Validate and count the segments before emitting any of them. */
    unsigned segs = 0;
    for (const char *s = p;; s++) {
        size_t n = seg_len(s);
        if (!n || segs == 255) {
            set_error(a, "invalid AML name");
            return;
        }
        segs++;
        s += n;
        if (!*s)
            break;
    }
    if (segs == 2) {
        emit_byte(a, AML_DUAL_NAME);
    } else if (segs > 2) {
        emit_byte(a, AML_MULTI_NAME);
        emit_byte(a, (uint8_t)segs);
    }
    for (const char *s = p; segs--; s++) {
        size_t n = seg_len(s);
        char seg[4] = {'_', '_', '_', '_'}; /* short names are padded with '_' */
        memcpy(seg, s, n);
        emit(a, seg, 4);
        s += n;
    }
}

void aml_name_string(struct aml *a, const char *path)
{
    count_item(a);
    name_string(a, path);
}

void aml_name(struct aml *a, const char *name)
{
    count_item(a);
    emit_byte(a, AML_NAME_OP);
    name_string(a, name);
}

/* Smallest encoding of v: ZeroOp, OneOp, or a prefix and 1, 2, 4 or 8 bytes. */
static size_t encode_integer(uint64_t v, uint8_t out[9])
{
    if (v <= 1) {
        out[0] = v ? AML_ONE_OP : AML_ZERO_OP;
        return 1;
    }
    size_t n;
    if (v <= 0xFF) {
        out[0] = AML_BYTE_PREFIX;
        n = 1;
    } else if (v <= 0xFFFF) {
        out[0] = AML_WORD_PREFIX;
        n = 2;
    } else if (v <= 0xFFFFFFFF) {
        out[0] = AML_DWORD_PREFIX;
        n = 4;
    } else {
        out[0] = AML_QWORD_PREFIX;
        n = 8;
    }
    for (size_t i = 0; i < n; i++)
        out[1 + i] = (uint8_t)(v >> (8 * i));
    return 1 + n;
}

void aml_integer(struct aml *a, uint64_t v)
{
    uint8_t b[9];
    count_item(a);
    emit(a, b, encode_integer(v, b));
}

void aml_string(struct aml *a, const char *s)
{
    count_item(a);
    for (const char *c = s; *c; c++) {
        if ((uint8_t)*c > 0x7F) {
            set_error(a, "AML string is not ASCII");
            return;
        }
    }
    emit_byte(a, AML_STRING_PREFIX);
    const char *c = s;
    while (*c)
        c++;
    emit(a, s, (size_t)(c - s) + 1); /* with the NUL */
}

static void begin(struct aml *a, enum frame_kind kind, const uint8_t *op, size_t oplen)
{
    count_item(a);
    if (a->error)
        return;
    if (a->depth == AML_MAX_DEPTH) {
        set_error(a, "AML nesting too deep");
        return;
    }
    emit(a, op, oplen);
    a->open[a->depth++] = (struct aml_frame){.start = a->len, .kind = (uint8_t)kind};
}

void aml_begin_scope(struct aml *a, const char *path)
{
    static const uint8_t op[] = {AML_SCOPE_OP};
    begin(a, F_SCOPE, op, sizeof(op));
    name_string(a, path);
}

void aml_begin_device(struct aml *a, const char *name)
{
    static const uint8_t op[] = {AML_EXT_OP, AML_DEVICE_OP};
    begin(a, F_DEVICE, op, sizeof(op));
    name_string(a, name);
}

void aml_begin_package(struct aml *a)
{
    static const uint8_t op[] = {AML_PACKAGE_OP};
    begin(a, F_PACKAGE, op, sizeof(op));
    emit_byte(a, 0); /* NumElements, patched by aml_end */
}

void aml_begin_buffer(struct aml *a)
{
    static const uint8_t op[] = {AML_BUFFER_OP};
    begin(a, F_BUFFER, op, sizeof(op));
}

void aml_begin_resource_template(struct aml *a)
{
    static const uint8_t op[] = {AML_BUFFER_OP};
    begin(a, F_RESOURCES, op, sizeof(op));
}

void aml_end(struct aml *a)
{
    if (a->error)
        return;
    if (!a->depth) {
        set_error(a, "aml_end without an open construct");
        return;
    }
    struct aml_frame *f = &a->open[a->depth - 1];
    if (f->kind == F_RESOURCES) {
        /* End tag; checksum 0 means "treat the template as checksummed". */
        static const uint8_t end_tag[] = {AML_RES_END_TAG, 0x00};
        emit(a, end_tag, sizeof(end_tag));
    }
    if (f->kind == F_PACKAGE) {
        if (f->items > 255) {
            set_error(a, "AML package with more than 255 elements");
            return;
        }
        a->buf[f->start] = (uint8_t)f->items;
    }
    if (f->kind == F_BUFFER || f->kind == F_RESOURCES) {
        uint8_t size[9]; /* BufferSize: the byte count, as an Integer term */
        insert(a, f->start, size, encode_integer(a->len - f->start, size));
    }
    size_t content = a->len - f->start;
    uint8_t pkg[4];
    unsigned n = content <= 0xFFFFFFFF ? aml_pkglength((uint32_t)content, pkg) : 0;
    if (!n) {
        set_error(a, "AML construct too large for a PkgLength");
        return;
    }
    insert(a, f->start, pkg, n);
    a->depth--;
}

static bool in_resource_template(struct aml *a)
{
    if (a->depth && a->open[a->depth - 1].kind == F_RESOURCES)
        return true;
    set_error(a, "resource descriptor outside a ResourceTemplate");
    return false;
}

/* General flags: MinFixed, MaxFixed, PosDecode, and consumer (bit 0) unless a
 * producer. Type-specific flags: the cache attribute in bits 2:1, ReadWrite. */
static uint8_t general_flags(bool producer)
{
    return (uint8_t)(0x0C | (producer ? 0 : 1));
}

static uint8_t memory_flags(enum aml_mem_cache cache)
{
    return (uint8_t)((((unsigned)cache & 3u) << 1) | 1u);
}

void aml_qword_memory(struct aml *a, bool producer, enum aml_mem_cache cache, uint64_t base,
                      uint64_t size)
{
    if (!in_resource_template(a))
        return;
    if (size == 0 || base + (size - 1) < base) {
        set_error(a, "QWordMemory range empty or past 2^64");
        return;
    }
    uint8_t d[3 + AML_RES_QWORD_LEN] = {AML_RES_QWORD_ADDR, AML_RES_QWORD_LEN, 0};
    d[3] = 0; /* resource type: memory */
    d[4] = general_flags(producer);
    d[5] = memory_flags(cache);
    put_le64(d + 6, 0); /* _GRA: 0 for a fixed-size, fixed-location range */
    put_le64(d + 14, base);
    put_le64(d + 22, base + (size - 1));
    put_le64(d + 30, 0); /* _TRA */
    put_le64(d + 38, size);
    emit(a, d, sizeof(d));
}

void aml_dword_memory(struct aml *a, bool producer, enum aml_mem_cache cache, uint32_t base,
                      uint32_t size)
{
    if (!in_resource_template(a))
        return;
    if (size == 0 || base + (size - 1) < base) {
        set_error(a, "DWordMemory range empty or past 4 GiB");
        return;
    }
    uint8_t d[3 + AML_RES_DWORD_LEN] = {AML_RES_DWORD_ADDR, AML_RES_DWORD_LEN, 0};
    d[3] = 0;
    d[4] = general_flags(producer);
    d[5] = memory_flags(cache);
    put_le32(d + 6, 0);
    put_le32(d + 10, base);
    put_le32(d + 14, base + (size - 1));
    put_le32(d + 18, 0);
    put_le32(d + 22, size);
    emit(a, d, sizeof(d));
}
