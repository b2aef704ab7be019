#include "vm/insn.h"

#define REX_W 8u
#define REX_R 4u
#define REX_X 2u
#define REX_B 1u

/* The bytes read so far; a read past either end is the reason it failed. */
struct cursor {
    const uint8_t *code;
    size_t avail, at;
    const char *why;
};

/* n bytes little-endian, sign-extended if sign; -1 past the end. */
static int take(struct cursor *c, unsigned n, bool sign, uint64_t *v)
{
    if (c->at + n > INSN_MAX_LEN) {
        c->why = "longer than 15 bytes";
        return -1;
    }
    if (c->at + n > c->avail) {
        c->why = "truncated";
        return -1;
    }
    uint64_t x = 0;
    for (unsigned i = 0; i < n; i++)
        x |= (uint64_t)c->code[c->at + i] << (8 * i);
    c->at += n;
    if (sign && n < 8 && (x >> (8 * n - 1)) & 1)
        x |= ~0ull << (8 * n);
    *v = x;
    return 0;
}

static int fail(struct cursor *c, const char *why)
{
    c->why = why;
    return -1;
}

/* ModRM, SIB and displacement: the memory operand into out, the reg field
 * into *regf (REX.R applied). */
static int modrm(struct cursor *c, uint8_t rex, bool long64, struct insn *out, unsigned *regf)
{
    uint64_t b, sib, disp = 0;
    if (take(c, 1, false, &b))
        return -1;
    unsigned mod = (unsigned)b >> 6, rm = b & 7;
    *regf = ((b >> 3) & 7) | ((rex & REX_R) ? 8 : 0);
    if (mod == 3)
        return fail(c, "a register operand, not memory");
    bool disp32 = mod == 2;
    if (rm == 4) {
        if (take(c, 1, false, &sib))
            return -1;
        unsigned index = ((sib >> 3) & 7) | ((rex & REX_X) ? 8 : 0);
        out->index = index == 4 ? INSN_NO_REG : (uint8_t)index; /* no index: rsp's number */
        out->scale = (uint8_t)(1u << (sib >> 6));
        if ((sib & 7) == 5 && mod == 0)
            disp32 = true; /* no base */
        else
            out->base = (uint8_t)((sib & 7) | ((rex & REX_B) ? 8 : 0));
    } else if (rm == 5 && mod == 0) {
        disp32 = true;
        out->rip_relative = long64; /* 32-bit code: an absolute disp32 */
    } else {
        out->base = (uint8_t)(rm | ((rex & REX_B) ? 8 : 0));
    }
    if ((mod == 1 && take(c, 1, true, &disp)) || (disp32 && take(c, 4, true, &disp)))
        return -1;
    out->disp = (int64_t)disp;
    return 0;
}

/* A byte register's number: without REX, 4-7 are AH, CH, DH, BH. */
static void byte_reg(struct insn *out, unsigned regf, uint8_t rex)
{
    out->high8 = !rex && regf >= 4 && regf < 8;
    out->reg = (uint8_t)(out->high8 ? regf - 4 : regf);
}

static int decode(struct cursor *c, enum insn_mode mode, struct insn *out)
{
    bool long64 = mode == INSN_MODE_64, opsize = false, addrsize = false;
    uint64_t b;
    for (;;) {
        if (take(c, 1, false, &b))
            return -1;
        if (b == 0x66)
            opsize = true;
        else if (b == 0x67 && long64)
            addrsize = true;
        else if (b == 0x67)
            return fail(c, "16-bit addressing (67 in 32-bit code)");
        else if (b == 0x64 || b == 0x65)
            return fail(c, "an FS or GS override");
        else if (b == 0xf0)
            return fail(c, "LOCK");
        else if (b == 0xf2 || b == 0xf3)
            return fail(c, "REP or REPNE");
        else if (b != 0x26 && b != 0x2e && b != 0x36 && b != 0x3e)
            break;
    }
    uint8_t rex = 0;
    if (long64 && (b & 0xf0) == 0x40) { /* REX: the last byte before the opcode */
        rex = (uint8_t)b;
        if (take(c, 1, false, &b))
            return -1;
    }
    unsigned osz = (rex & REX_W) ? 8 : opsize ? 2 : 4, regf;
    out->addr_size = long64 && !addrsize ? 8 : 4;
    switch (b) {
    case 0x88: /* mov r/m8, r8 */
    case 0x8a: /* mov r8, r/m8 */
        if (modrm(c, rex, long64, out, &regf))
            return -1;
        byte_reg(out, regf, rex);
        out->write = b == 0x88;
        out->size = out->reg_size = 1;
        return 0;
    case 0x89: /* mov r/m, r */
    case 0x8b: /* mov r, r/m */
        if (modrm(c, rex, long64, out, &regf))
            return -1;
        out->reg = (uint8_t)regf;
        out->write = b == 0x89;
        out->size = out->reg_size = (uint8_t)osz;
        return 0;
    case 0xc6: /* mov r/m8, imm8 */
    case 0xc7: /* mov r/m, imm16/32 (sign-extended to 64) */
        if (modrm(c, rex, long64, out, &regf))
            return -1;
        if ((regf & 7) != 0)
            return fail(c, "not a MOV (C6/C7 with ModRM.reg != 0)");
        out->write = true;
        out->size = b == 0xc6 ? 1 : (uint8_t)osz;
        if (take(c, out->size > 4 ? 4 : out->size, true, &out->imm))
            return -1;
        if (out->size < 8)
            out->imm &= (1ull << (8 * out->size)) - 1;
        return 0;
    case 0xa0: /* mov al, moffs8 */
    case 0xa1: /* mov eAX, moffs */
    case 0xa2: /* mov moffs8, al */
    case 0xa3: /* mov moffs, eAX */
        out->reg = 0;
        out->write = b >= 0xa2;
        out->size = out->reg_size = (b & 1) ? (uint8_t)osz : 1;
        if (take(c, out->addr_size, false, &b))
            return -1;
        out->disp = (int64_t)b;
        return 0;
    case 0x0f:
        if (take(c, 1, false, &b))
            return -1;
        if (b != 0xb6 && b != 0xb7 && b != 0xbe && b != 0xbf)
            return fail(c, "a two-byte opcode other than MOVZX or MOVSX");
        if (modrm(c, rex, long64, out, &regf))
            return -1;
        out->reg = (uint8_t)regf;
        out->size = (b & 1) ? 2 : 1;
        out->reg_size = (uint8_t)osz;
        out->sign_extend = b >= 0xbe;
        return 0;
    default:
        return fail(c, "not a MOV to or from memory");
    }
}

int insn_decode(const uint8_t *code, size_t avail, enum insn_mode mode, struct insn *out,
                const char **why)
{
    struct cursor c = {code, avail, 0, NULL};
    *out = (struct insn){.reg = INSN_NO_REG, .base = INSN_NO_REG, .index = INSN_NO_REG, .scale = 1};
    if (decode(&c, mode, out)) {
        *why = c.why;
        return -1;
    }
    out->len = (uint8_t)c.at;
    return 0;
}
