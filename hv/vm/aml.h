/* A small AML byte-code emitter (ACPI 6.x, section 20) writing into a caller's
 * buffer. Errors are sticky: after the first one (overflow, bad name, unbalanced
 * nesting) every call is a no-op and aml_finish() reports it, so callers emit a
 * whole table and check once.
 *
 * Nested constructs (Scope, Device, Package, Buffer, ResourceTemplate) are
 * opened with aml_begin_*() and closed with aml_end(), which back-patches the
 * PkgLength (and a Package's element count, a Buffer's size) now that the
 * contents are known. Example, \_SB.VMBS with a string _HID:
 *
 *     aml_begin_scope(a, "\\_SB");
 *     aml_begin_device(a, "VMBS");
 *     aml_name(a, "_HID");
 *     aml_string(a, "VMBUS");
 *     aml_end(a);
 *     aml_end(a);
 */
#ifndef HV_VM_AML_H
#define HV_VM_AML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AML_MAX_DEPTH 16

/* Opcodes and prefixes the emitter uses (ACPI 6.4, 20.3). */
#define AML_ZERO_OP       0x00
#define AML_ONE_OP        0x01
#define AML_NAME_OP       0x08
#define AML_BYTE_PREFIX   0x0A
#define AML_WORD_PREFIX   0x0B
#define AML_DWORD_PREFIX  0x0C
#define AML_STRING_PREFIX 0x0D
#define AML_QWORD_PREFIX  0x0E
#define AML_SCOPE_OP      0x10
#define AML_BUFFER_OP     0x11
#define AML_PACKAGE_OP    0x12
#define AML_DUAL_NAME     0x2E
#define AML_MULTI_NAME    0x2F
#define AML_ROOT_CHAR     0x5C /* '\' */
#define AML_PARENT_CHAR   0x5E /* '^' */
#define AML_EXT_OP        0x5B
#define AML_DEVICE_OP     0x82 /* after AML_EXT_OP */

/* Resource descriptors (ACPI 6.4, 6.4.2-6.4.3). */
#define AML_RES_END_TAG    0x79
#define AML_RES_DWORD_ADDR 0x87
#define AML_RES_QWORD_ADDR 0x8A
#define AML_RES_DWORD_LEN  23 /* bytes after the 3-byte large-item header */
#define AML_RES_QWORD_LEN  43

/* Memory attributes of an address-space descriptor (_MEM). */
enum aml_mem_cache {
    AML_MEM_NONCACHEABLE = 0,
    AML_MEM_CACHEABLE = 1,
    AML_MEM_WRITE_COMBINING = 2,
    AML_MEM_PREFETCHABLE = 3,
};

struct aml_frame {
    size_t start; /* offset of the first byte after the opcode */
    uint8_t kind;
    uint32_t items; /* direct children emitted (a Package's element count) */
};

struct aml {
    uint8_t *buf;
    size_t cap, len;
    const char *error; /* first error, NULL while all is well */
    unsigned depth;
    struct aml_frame open[AML_MAX_DEPTH];
};

void aml_init(struct aml *a, uint8_t *buf, size_t cap);
/* 0 and *len = bytes emitted, or -1 and *why (the sticky error, or an unclosed
 * construct). */
int aml_finish(struct aml *a, size_t *len, const char **why);

/* Raw bytes, for anything the emitter has no helper for. */
void aml_bytes(struct aml *a, const void *p, size_t n);

/* NameString: "_S5" (padded to "_S5_"), "\\_SB.VMBS", "^PCI0", "\\". Each
 * segment is 1-4 characters of A-Z, 0-9, '_' not starting with a digit. */
void aml_name_string(struct aml *a, const char *path);
/* Name (name, <value>): the next data object emitted is the value. */
void aml_name(struct aml *a, const char *name);

/* Data objects: Integer in its smallest encoding, String (ASCII 0x01-0x7F). */
void aml_integer(struct aml *a, uint64_t v);
void aml_string(struct aml *a, const char *s);

/* Nested constructs, each closed by aml_end(). */
void aml_begin_scope(struct aml *a, const char *path);
void aml_begin_device(struct aml *a, const char *name);
void aml_begin_package(struct aml *a);           /* NumElements counted for you, max 255 */
void aml_begin_buffer(struct aml *a);            /* contents via aml_bytes() */
void aml_begin_resource_template(struct aml *a); /* a Buffer; aml_end adds the EndTag */
void aml_end(struct aml *a);

/* Address-space descriptors for [base, base + size), fixed min and max, read-
 * write; only inside a ResourceTemplate. producer: a bridge-like device that
 * decodes the range for its children (ResourceProducer), else ResourceConsumer. */
void aml_qword_memory(struct aml *a, bool producer, enum aml_mem_cache cache, uint64_t base,
                      uint64_t size);
void aml_dword_memory(struct aml *a, bool producer, enum aml_mem_cache cache, uint32_t base,
                      uint32_t size);

/* The PkgLength encoding for content_len bytes following it (its own 1-4 bytes
 * are counted in the value it encodes): the byte count, 0 if too large. */
unsigned aml_pkglength(uint32_t content_len, uint8_t out[4]);

#endif
