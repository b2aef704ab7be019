/* Trapped guest-physical MMIO: a few page-aligned ranges whose every guest
 * load and store faults (a hole in the nested page tables, lib/ptable.h) and
 * is emulated here: the faulting instruction is fetched through the guest's
 * page tables (gva.h), decoded (insn.h), handed to the range's read or write
 * and retired (the destination register written, RIP advanced). An access
 * that cannot be emulated exactly ends the run (docs/mmio.md). One registry
 * for the machine; hardware-free. */
#ifndef HV_VM_MMIO_TRAP_H
#define HV_VM_MMIO_TRAP_H

#include <stdbool.h>
#include <stdint.h>

#include "guest_mem.h"
#include "lib/ptable.h"

/* A range's device: off from the range's start; size 1, 2, 4 or 8, the
 * access never crossing the range's end. */
struct mmio_trap_ops {
    uint64_t (*read)(void *ctx, uint64_t off, unsigned size); /* size 1,2,4,8 */
    void (*write)(void *ctx, uint64_t off, unsigned size, uint64_t val);
};

#define MMIO_TRAPS        8
#define MMIO_TRAP_MAX_LEN (16ull << 20) /* the holes' page tables come from the heap */

/* A new run: no ranges; gm's RAM is never trapped. */
void mmio_trap_init(const struct guest_mem *gm);
/* The nested page tables are built: the ranges added so far become holes
 * in npt, and later changes go there at once, calling npt_changed. -1
 * (logged) if a range's page is mapped already or the heap is exhausted. */
int mmio_trap_attach(struct ptable *npt, void (*npt_changed)(void));
/* Traps [gpa, gpa+len) for ops (ctx passed back). -1 and nothing trapped if
 * the range is empty, unaligned, longer than MMIO_TRAP_MAX_LEN, beyond the
 * guest's physical addresses, touches RAM, overlaps a trapped range or a
 * mapped page, or all MMIO_TRAPS are taken. */
int mmio_trap_add(uint64_t gpa, uint64_t len, const struct mmio_trap_ops *ops, void *ctx);
/* Whether a trapped range overlaps [gpa, gpa+len) (a mapping must not go
 * there: the nested page tables cannot tell a hole from the void). */
bool mmio_trap_overlaps(uint64_t gpa, uint64_t len);
/* Ends the trap added with exactly this range (else nothing, logged): the
 * pages read as the void again. */
void mmio_trap_remove(uint64_t gpa, uint64_t len);

/* The vCPU as the emulation needs it: the registers by number (rax, rcx,
 * rdx, rbx, rsp, rbp, rsi, rdi, r8-r15), RIP, the paging state, CS. */
struct mmio_cpu {
    uint64_t *gpr[16];
    uint64_t *rip;
    uint64_t cr0, cr3, cr4, efer;
    uint64_t cs_base;
    uint16_t cs_attrib; /* the VMCB's packed attributes: L bit 9, D bit 10 */
    bool in_event;      /* the fault came delivering an event (EXITINTINFO valid) */
};

enum mmio_trap_result {
    MMIO_NOT_TRAPPED, /* gpa is in no range: the caller goes on */
    MMIO_EMULATED,    /* done: registers and RIP updated */
    MMIO_REFUSED,     /* logged; *why says it to end the run with */
};

/* A nested page fault at gpa with error code npf_error (EXITINFO1). */
enum mmio_trap_result mmio_trap_fault(uint64_t gpa, uint64_t npf_error, struct mmio_cpu *cpu,
                                      const char **why);

#endif
