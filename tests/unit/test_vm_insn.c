/* The MMIO decoder: every form Linux's readb..readq and writeb..writeq
 * (asm volatile "mov" with any register and addressing mode) and the MOVZX
 * and MOVSX around them assemble to, bytes from GNU as; then what must be
 * refused, and why. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "vm/insn.h"

#define NO INSN_NO_REG
enum { RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8, R9, R10, R11, R12, R13, R14, R15 };

/* What one encoding must decode to (the fields a case does not name: 0). */
struct want {
    const char *text;
    uint8_t bytes[16];
    uint8_t n;
    bool write;
    uint8_t size, reg, reg_size;
    bool high8, sign;
    uint64_t imm;
    uint8_t base, index, scale;
    int64_t disp;
    bool rip;
    uint8_t addr_size;
};

#define B(...) {__VA_ARGS__}, sizeof((uint8_t[]){__VA_ARGS__})
/* a load: size, reg, reg_size; memory: base, index, scale, disp */
#define LD(sz, r, rsz)  .size = (sz), .reg = (r), .reg_size = (rsz)
#define ST(sz, r)       .write = true, .size = (sz), .reg = (r)
#define STI(sz, v)      .write = true, .size = (sz), .reg = NO, .imm = (v)
#define MEM(b, i, s, d) .base = (b), .index = (i), .scale = (s), .disp = (d)

static const struct want forms64[] = {
    /* readb */
    {"mov (%rdi),%al", B(0x8a, 0x07), LD(1, RAX, 1), MEM(RDI, NO, 1, 0)},
    {"mov (%rsi),%r9b", B(0x44, 0x8a, 0x0e), LD(1, R9, 1), MEM(RSI, NO, 1, 0)},
    {"mov (%rax),%sil", B(0x40, 0x8a, 0x30), LD(1, RSI, 1), MEM(RAX, NO, 1, 0)},
    {"mov (%rax),%ah", B(0x8a, 0x20), LD(1, RAX, 1), .high8 = true, MEM(RAX, NO, 1, 0)},
    {"mov 0x7(%rbx),%bh", B(0x8a, 0x7b, 0x07), LD(1, RBX, 1), .high8 = true, MEM(RBX, NO, 1, 7)},
    /* readw */
    {"mov (%rdi),%ax", B(0x66, 0x8b, 0x07), LD(2, RAX, 2), MEM(RDI, NO, 1, 0)},
    {"mov 0x10(%r11),%r10w", B(0x66, 0x45, 0x8b, 0x53, 0x10), LD(2, R10, 2), MEM(R11, NO, 1, 16)},
    /* readl */
    {"mov (%rdi),%eax", B(0x8b, 0x07), LD(4, RAX, 4), MEM(RDI, NO, 1, 0)},
    {"mov 0x1c(%rbx),%r12d", B(0x44, 0x8b, 0x63, 0x1c), LD(4, R12, 4), MEM(RBX, NO, 1, 0x1c)},
    {"mov 0x100(%r13,%r14,4),%r15d", B(0x47, 0x8b, 0xbc, 0xb5, 0x00, 0x01, 0x00, 0x00),
     LD(4, R15, 4), MEM(R13, R14, 4, 0x100)},
    /* readq */
    {"mov (%rdi),%rax", B(0x48, 0x8b, 0x07), LD(8, RAX, 8), MEM(RDI, NO, 1, 0)},
    {"mov (%r8),%r9", B(0x4d, 0x8b, 0x08), LD(8, R9, 8), MEM(R8, NO, 1, 0)},
    /* writeb */
    {"mov %sil,(%rdi)", B(0x40, 0x88, 0x37), ST(1, RSI), MEM(RDI, NO, 1, 0)},
    {"mov %al,(%rdi)", B(0x88, 0x07), ST(1, RAX), MEM(RDI, NO, 1, 0)},
    {"mov %r8b,(%r9)", B(0x45, 0x88, 0x01), ST(1, R8), MEM(R9, NO, 1, 0)},
    {"mov %ch,-0x10(%rdx)", B(0x88, 0x6a, 0xf0), ST(1, RCX), .high8 = true, MEM(RDX, NO, 1, -16)},
    /* writew, writel, writeq */
    {"mov %si,(%rdi)", B(0x66, 0x89, 0x37), ST(2, RSI), MEM(RDI, NO, 1, 0)},
    {"mov %esi,(%rdi)", B(0x89, 0x37), ST(4, RSI), MEM(RDI, NO, 1, 0)},
    {"mov %r14d,0x8(%r12)", B(0x45, 0x89, 0x74, 0x24, 0x08), ST(4, R14), MEM(R12, NO, 1, 8)},
    {"mov %rsi,(%rdi)", B(0x48, 0x89, 0x37), ST(8, RSI), MEM(RDI, NO, 1, 0)},
    {"mov %r15,0x12345678(%rbp)", B(0x4c, 0x89, 0xbd, 0x78, 0x56, 0x34, 0x12), ST(8, R15),
     MEM(RBP, NO, 1, 0x12345678)},
    /* stores of constants */
    {"movb $0xab,(%rdi)", B(0xc6, 0x07, 0xab), STI(1, 0xab), MEM(RDI, NO, 1, 0)},
    {"movw $0x1234,(%rdi)", B(0x66, 0xc7, 0x07, 0x34, 0x12), STI(2, 0x1234), MEM(RDI, NO, 1, 0)},
    {"movl $0x12345678,(%rdi)", B(0xc7, 0x07, 0x78, 0x56, 0x34, 0x12), STI(4, 0x12345678),
     MEM(RDI, NO, 1, 0)},
    {"movl $0x80000000,(%rdi)", B(0xc7, 0x07, 0x00, 0x00, 0x00, 0x80), STI(4, 0x80000000),
     MEM(RDI, NO, 1, 0)},
    {"movq $-1,(%rdi)", B(0x48, 0xc7, 0x07, 0xff, 0xff, 0xff, 0xff), STI(8, ~0ull),
     MEM(RDI, NO, 1, 0)},
    {"movq $0x7fffffff,(%r10)", B(0x49, 0xc7, 0x02, 0xff, 0xff, 0xff, 0x7f), STI(8, 0x7fffffff),
     MEM(R10, NO, 1, 0)},
    {"movl $0x1,0x40(%rdi,%rcx,1)", B(0xc7, 0x44, 0x0f, 0x40, 0x01, 0x00, 0x00, 0x00), STI(4, 1),
     MEM(RDI, RCX, 1, 0x40)},
    /* movzx, movsx */
    {"movzbl (%rdi),%eax", B(0x0f, 0xb6, 0x07), LD(1, RAX, 4), MEM(RDI, NO, 1, 0)},
    {"movzwl (%rdi),%eax", B(0x0f, 0xb7, 0x07), LD(2, RAX, 4), MEM(RDI, NO, 1, 0)},
    {"movzwl 0x2(%r8),%r9d", B(0x45, 0x0f, 0xb7, 0x48, 0x02), LD(2, R9, 4), MEM(R8, NO, 1, 2)},
    {"movzbq (%rdi),%rax", B(0x48, 0x0f, 0xb6, 0x07), LD(1, RAX, 8), MEM(RDI, NO, 1, 0)},
    {"movzbw (%rdi),%ax", B(0x66, 0x0f, 0xb6, 0x07), LD(1, RAX, 2), MEM(RDI, NO, 1, 0)},
    {"movsbl (%rdi),%eax", B(0x0f, 0xbe, 0x07), LD(1, RAX, 4), .sign = true, MEM(RDI, NO, 1, 0)},
    {"movswl (%rdi),%eax", B(0x0f, 0xbf, 0x07), LD(2, RAX, 4), .sign = true, MEM(RDI, NO, 1, 0)},
    {"movswq (%rsi),%r11", B(0x4c, 0x0f, 0xbf, 0x1e), LD(2, R11, 8), .sign = true,
     MEM(RSI, NO, 1, 0)},
    /* addressing */
    {"mov 0x100(%rip),%eax", B(0x8b, 0x05, 0x00, 0x01, 0x00, 0x00), LD(4, RAX, 4),
     MEM(NO, NO, 1, 0x100), .rip = true},
    {"mov %eax,-0x8(%rip)", B(0x89, 0x05, 0xf8, 0xff, 0xff, 0xff), ST(4, RAX), MEM(NO, NO, 1, -8),
     .rip = true},
    {"mov 0x1000(,%rcx,8),%eax", B(0x8b, 0x04, 0xcd, 0x00, 0x10, 0x00, 0x00), LD(4, RAX, 4),
     MEM(NO, RCX, 8, 0x1000)},
    {"mov 0x8(%rsp),%eax", B(0x8b, 0x44, 0x24, 0x08), LD(4, RAX, 4), MEM(RSP, NO, 1, 8)},
    {"mov 0x8(%r12),%eax", B(0x41, 0x8b, 0x44, 0x24, 0x08), LD(4, RAX, 4), MEM(R12, NO, 1, 8)},
    {"mov 0x0(%r13),%eax", B(0x41, 0x8b, 0x45, 0x00), LD(4, RAX, 4), MEM(R13, NO, 1, 0)},
    {"mov (%rax,%r12,2),%eax", B(0x42, 0x8b, 0x04, 0x60), LD(4, RAX, 4), MEM(RAX, R12, 2, 0)},
    {"mov (%edi),%eax", B(0x67, 0x8b, 0x07), LD(4, RAX, 4), MEM(RDI, NO, 1, 0), .addr_size = 4},
    {"ds mov (%rdi),%eax", B(0x3e, 0x8b, 0x07), LD(4, RAX, 4), MEM(RDI, NO, 1, 0)},
    /* moffs */
    {"movabs 0xfe000010,%eax", B(0xa1, 0x10, 0x00, 0x00, 0xfe, 0, 0, 0, 0), LD(4, RAX, 4),
     MEM(NO, NO, 1, 0xfe000010)},
    {"movabs %al,0xfe000010", B(0xa2, 0x10, 0x00, 0x00, 0xfe, 0, 0, 0, 0), ST(1, RAX),
     MEM(NO, NO, 1, 0xfe000010)},
    {"movabs 0xfe000010,%rax", B(0x48, 0xa1, 0x10, 0x00, 0x00, 0xfe, 0, 0, 0, 0), LD(8, RAX, 8),
     MEM(NO, NO, 1, 0xfe000010)},
    {"movabs %ax,0xfe000010", B(0x66, 0xa3, 0x10, 0x00, 0x00, 0xfe, 0, 0, 0, 0), ST(2, RAX),
     MEM(NO, NO, 1, 0xfe000010)},
    {"addr32 movabs 0xfe000010,%al", B(0x67, 0xa0, 0x10, 0x00, 0x00, 0xfe), LD(1, RAX, 1),
     MEM(NO, NO, 1, 0xfe000010), .addr_size = 4},
};

/* 32-bit code: no REX (0x40-0x4f are INC and DEC), disp32 without a base is
 * absolute, moffs are 4 bytes. */
static const struct want forms32[] = {
    {"mov (%eax),%eax", B(0x8b, 0x00), LD(4, RAX, 4), MEM(RAX, NO, 1, 0), .addr_size = 4},
    {"mov %dx,0x10(%ebx)", B(0x66, 0x89, 0x53, 0x10), ST(2, RDX), MEM(RBX, NO, 1, 16),
     .addr_size = 4},
    {"mov 0xfec00000,%ecx", B(0x8b, 0x0d, 0x00, 0x00, 0xc0, 0xfe), LD(4, RCX, 4),
     MEM(NO, NO, 1, (int32_t)0xfec00000), .addr_size = 4},
    {"mov 0xfec00000,%eax", B(0xa1, 0x00, 0x00, 0xc0, 0xfe), LD(4, RAX, 4),
     MEM(NO, NO, 1, 0xfec00000), .addr_size = 4},
    {"mov (%esi),%dh", B(0x8a, 0x36), LD(1, RDX, 1), .high8 = true, MEM(RSI, NO, 1, 0),
     .addr_size = 4},
};

static void check(const struct want *w, enum insn_mode mode)
{
    struct insn in;
    const char *why = "unset";
    /* room after the instruction: the decoder must stop at its end */
    uint8_t code[32];
    memset(code, 0x90, sizeof(code));
    memcpy(code, w->bytes, w->n);
    if (insn_decode(code, sizeof(code), mode, &in, &why))
        fail_msg("%s: refused: %s", w->text, why);
    uint8_t addr_size = w->addr_size ? w->addr_size : 8;
    if (in.len != w->n || in.write != w->write || in.size != w->size || in.reg != w->reg ||
        in.high8 != w->high8 || in.sign_extend != w->sign || in.base != w->base ||
        in.index != w->index || in.scale != w->scale || in.disp != w->disp ||
        in.rip_relative != w->rip || in.addr_size != addr_size ||
        (!w->write && in.reg_size != w->reg_size) || (w->reg == NO && in.imm != w->imm))
        fail_msg("%s: len %u write %d size %u reg %u/%u high8 %d sign %d base %u index %u scale "
                 "%u disp %lld rip %d addr %u imm 0x%llx",
                 w->text, in.len, in.write, in.size, in.reg, in.reg_size, in.high8, in.sign_extend,
                 in.base, in.index, in.scale, (long long)in.disp, in.rip_relative, in.addr_size,
                 (unsigned long long)in.imm);
    /* one byte short of the instruction: truncated, every time */
    for (uint8_t n = 0; n < w->n; n++) {
        why = NULL;
        assert_int_equal(insn_decode(code, n, mode, &in, &why), -1);
        assert_string_equal(why, "truncated");
    }
}

static void linux_accessors_64(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(forms64) / sizeof(forms64[0]); i++)
        check(&forms64[i], INSN_MODE_64);
}

static void code_32(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(forms32) / sizeof(forms32[0]); i++)
        check(&forms32[i], INSN_MODE_32);
}

struct refusal {
    const char *text;
    uint8_t bytes[20];
    uint8_t n;
    enum insn_mode mode;
    const char *why;
};

static const struct refusal refusals[] = {
    {"lock mov", B(0xf0, 0x89, 0x07), INSN_MODE_64, "LOCK"},
    {"rep mov", B(0xf3, 0x89, 0x07), INSN_MODE_64, "REP or REPNE"},
    {"repne mov", B(0xf2, 0x8b, 0x07), INSN_MODE_64, "REP or REPNE"},
    {"fs mov", B(0x64, 0x8b, 0x07), INSN_MODE_64, "an FS or GS override"},
    {"gs movq", B(0x65, 0x48, 0x8b, 0x04, 0x25, 0, 0, 0, 0), INSN_MODE_64, "an FS or GS override"},
    {"addr16 in 32-bit code", B(0x67, 0x8b, 0x07), INSN_MODE_32,
     "16-bit addressing (67 in 32-bit code)"},
    {"mov %eax,%eax", B(0x89, 0xc0), INSN_MODE_64, "a register operand, not memory"},
    {"movzbl %al,%eax", B(0x0f, 0xb6, 0xc0), INSN_MODE_64, "a register operand, not memory"},
    {"movl $1,%eax (C7 /0 mod 3)", B(0xc7, 0xc0, 1, 0, 0, 0), INSN_MODE_64,
     "a register operand, not memory"},
    {"add %eax,(%rdi)", B(0x01, 0x07), INSN_MODE_64, "not a MOV to or from memory"},
    {"xchg %eax,(%rdi)", B(0x87, 0x07), INSN_MODE_64, "not a MOV to or from memory"},
    {"movsl", B(0xa5), INSN_MODE_64, "not a MOV to or from memory"},
    {"movslq (%rdi),%rax", B(0x48, 0x63, 0x07), INSN_MODE_64, "not a MOV to or from memory"},
    {"C7 /1", B(0xc7, 0x0f, 1, 0, 0, 0), INSN_MODE_64, "not a MOV (C6/C7 with ModRM.reg != 0)"},
    {"C6 /7 (xabort's opcode on memory)", B(0xc6, 0x3f, 1), INSN_MODE_64,
     "not a MOV (C6/C7 with ModRM.reg != 0)"},
    {"ud2", B(0x0f, 0x0b), INSN_MODE_64, "a two-byte opcode other than MOVZX or MOVSX"},
    {"movnti", B(0x0f, 0xc3, 0x07), INSN_MODE_64, "a two-byte opcode other than MOVZX or MOVSX"},
    {"REX then a prefix", B(0x48, 0x66, 0x8b, 0x07), INSN_MODE_64, "not a MOV to or from memory"},
    {"two REX", B(0x48, 0x41, 0x8b, 0x07), INSN_MODE_64, "not a MOV to or from memory"},
    {"REX in 32-bit code is dec", B(0x48, 0x8b, 0x07), INSN_MODE_32, "not a MOV to or from memory"},
    {"16 bytes: 14 prefixes",
     B(0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x8b,
       0x07),
     INSN_MODE_64, "longer than 15 bytes"},
    {"16 bytes: prefixes and a disp32",
     B(0x2e, 0x3e, 0x26, 0x36, 0x66, 0x67, 0x48, 0xc7, 0x84, 0x24, 1, 0, 0, 0, 2, 0, 0, 0),
     INSN_MODE_64, "longer than 15 bytes"},
    {"prefixes only",
     B(0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
       0x66, 0x66, 0x66),
     INSN_MODE_64, "longer than 15 bytes"},
    {"nothing", B(0x90), INSN_MODE_64, "not a MOV to or from memory"},
};

static void refused_with_a_reason(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(refusals) / sizeof(refusals[0]); i++) {
        const struct refusal *r = &refusals[i];
        struct insn in;
        const char *why = NULL;
        if (insn_decode(r->bytes, r->n, r->mode, &in, &why) != -1)
            fail_msg("%s: accepted (len %u)", r->text, in.len);
        if (!why || strcmp(why, r->why))
            fail_msg("%s: refused for '%s', not '%s'", r->text, why ? why : "(null)", r->why);
    }
}

/* 15 bytes is the limit, not one less: 13 prefixes and 8b 07. */
static void fifteen_bytes_decode(void **state)
{
    (void)state;
    uint8_t code[15];
    memset(code, 0x66, 13);
    code[13] = 0x8b;
    code[14] = 0x07;
    struct insn in;
    const char *why;
    assert_int_equal(insn_decode(code, sizeof(code), INSN_MODE_64, &in, &why), 0);
    assert_int_equal(in.len, 15);
    assert_int_equal(in.size, 2);
}

/* REX.W beats 66; the empty decode leaves nothing of a previous one. */
static void operand_size_rules(void **state)
{
    (void)state;
    const uint8_t both[] = {0x66, 0x48, 0x89, 0x07};
    struct insn in;
    const char *why;
    assert_int_equal(insn_decode(both, sizeof(both), INSN_MODE_64, &in, &why), 0);
    assert_int_equal(in.size, 8);
    const uint8_t rex_byte[] = {0x40, 0x88, 0x27}; /* mov %spl,(%rdi): not AH */
    assert_int_equal(insn_decode(rex_byte, sizeof(rex_byte), INSN_MODE_64, &in, &why), 0);
    assert_false(in.high8);
    assert_int_equal(in.reg, RSP);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(linux_accessors_64),    cmocka_unit_test(code_32),
        cmocka_unit_test(refused_with_a_reason), cmocka_unit_test(fifteen_bytes_decode),
        cmocka_unit_test(operand_size_rules),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
