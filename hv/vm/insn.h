/* The x86 decoder for guest MMIO (mmio_trap.c): exactly the MOV forms a
 * guest's MMIO accessors compile to (Linux's readb..readq, writeb..writeq
 * and what compilers make of them), everything else refused with a reason.
 *   88/89      mov r/m, reg         (store)
 *   8A/8B      mov reg, r/m         (load)
 *   C6/0 C7/0  mov r/m, imm         (store of an immediate)
 *   0F B6/B7   movzx reg, r/m8/16   (load, zero-extended)
 *   0F BE/BF   movsx reg, r/m8/16   (load, sign-extended)
 *   A0-A3      mov al/eAX, moffs and back
 * The memory operand must be memory (ModRM.mod != 3); its address is the
 * faulting one the caller has, but the decoder parses it (length, and the
 * parts mmio_trap.c checks the page offset with). Prefixes: 66, 67 (64-bit
 * code only), REX (64-bit code, right before the opcode), and the CS/DS/ES/SS
 * overrides (no effect in 64-bit code; flat segments assumed in 32-bit code).
 * Refused: LOCK, REP/REPNE, FS/GS overrides, a register operand, 16-bit
 * code, more than 15 bytes. Hardware-free. */
#ifndef HV_VM_INSN_H
#define HV_VM_INSN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define INSN_MAX_LEN 15
#define INSN_NO_REG  0xff

/* The code segment the instruction runs in. */
enum insn_mode {
    INSN_MODE_32, /* protected mode or compatibility mode, CS.D = 1 */
    INSN_MODE_64, /* long mode, CS.L = 1 */
};

struct insn {
    uint8_t len;      /* bytes, prefixes included: RIP advances by it */
    bool write;       /* a store to memory (else a load into reg) */
    uint8_t size;     /* bytes of memory accessed: 1, 2, 4 or 8 */
    uint8_t reg;      /* 0-15 (rax, rcx, rdx, rbx, rsp, rbp, rsi, rdi, r8-r15); a store
                         of an immediate: INSN_NO_REG */
    bool high8;       /* reg is AH, CH, DH or BH: bits 15:8 of reg 0-3 */
    uint8_t reg_size; /* a load: bytes of reg written (> size for movzx/movsx) */
    bool sign_extend; /* a load: movsx */
    uint64_t imm;     /* a store of an immediate: its value, size bytes */
    /* The memory operand's address: base + index * scale + disp (+ the next
     * instruction's address if rip_relative), addr_size bytes wide. */
    uint8_t base, index; /* register numbers, or INSN_NO_REG */
    uint8_t scale;       /* 1, 2, 4, 8 */
    bool rip_relative;
    uint8_t addr_size; /* 4 or 8 */
    int64_t disp;      /* moffs: the whole (unsigned) offset */
};

/* Decodes code[0..avail) (avail may exceed the instruction). 0 and *out, or
 * -1 and *why (a static string). */
int insn_decode(const uint8_t *code, size_t avail, enum insn_mode mode, struct insn *out,
                const char **why);

#endif
