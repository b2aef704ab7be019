#include "vm/mmio_trap.h"

#include "lib/log.h"
#include "lib/log_once.h"
#include "page.h"
#include "vm/cpuid.h"
#include "vm/gva.h"
#include "vm/insn.h"

#define NPF_WRITE   (1ull << 1)
#define NPF_FETCH   (1ull << 4)
#define NPF_TABLE   (1ull << 33) /* the fault came walking the guest's page tables */
#define CS_L        (1u << 9)
#define CS_D        (1u << 10)
#define PAGE_MASK   ((uint64_t)(PAGE_SIZE - 1))
#define REFUSED_WHY "a guest access to trapped MMIO that cannot be emulated"

static struct registry {
    const struct guest_mem *gm;
    struct ptable *npt; /* NULL until attached */
    void (*npt_changed)(void);
    struct trap {
        uint64_t gpa, len; /* len 0: a free slot */
        const struct mmio_trap_ops *ops;
        void *ctx;
    } traps[MMIO_TRAPS];
} reg;

static struct log_budget refused = LOG_BUDGET(4, " (further ones not reported)");
static struct log_budget misuse = LOG_BUDGET(4, " (further ones not reported)");

void mmio_trap_init(const struct guest_mem *gm)
{
    reg = (struct registry){.gm = gm};
    log_budget_reset(&refused);
    log_budget_reset(&misuse);
}

int mmio_trap_attach(struct ptable *npt, void (*npt_changed)(void))
{
    for (unsigned i = 0; i < MMIO_TRAPS; i++) {
        const struct trap *t = &reg.traps[i];
        if (t->len && ptable_hole(npt, t->gpa, t->len)) {
            hv_log("npt", "cannot trap 0x%llx+0x%llx: a page of it is mapped, or no heap",
                   (unsigned long long)t->gpa, (unsigned long long)t->len);
            return -1;
        }
    }
    reg.npt = npt;
    reg.npt_changed = npt_changed;
    npt_changed();
    return 0;
}

int mmio_trap_add(uint64_t gpa, uint64_t len, const struct mmio_trap_ops *ops, void *ctx)
{
    if (!len || len > MMIO_TRAP_MAX_LEN || ((gpa | len) & PAGE_MASK) ||
        gpa >= (1ull << GUEST_PHYS_BITS_MAX) || len > (1ull << GUEST_PHYS_BITS_MAX) - gpa ||
        !reg.gm || gpa < reg.gm->size || !ops || !ops->read || !ops->write)
        return -1;
    struct trap *slot = NULL;
    for (unsigned i = 0; i < MMIO_TRAPS; i++) {
        struct trap *t = &reg.traps[i];
        if (!t->len)
            slot = slot ? slot : t;
        else if (gpa < t->gpa + t->len && t->gpa < gpa + len)
            return -1;
    }
    if (!slot || (reg.npt && ptable_hole(reg.npt, gpa, len)))
        return -1;
    *slot = (struct trap){gpa, len, ops, ctx};
    if (reg.npt_changed)
        reg.npt_changed(); /* the void may be cached for these pages */
    return 0;
}

bool mmio_trap_overlaps(uint64_t gpa, uint64_t len)
{
    for (unsigned i = 0; i < MMIO_TRAPS; i++) {
        const struct trap *t = &reg.traps[i];
        if (t->len && gpa < t->gpa + t->len && t->gpa < gpa + len)
            return true;
    }
    return false;
}

void mmio_trap_remove(uint64_t gpa, uint64_t len)
{
    for (unsigned i = 0; i < MMIO_TRAPS; i++) {
        struct trap *t = &reg.traps[i];
        if (t->len && t->gpa == gpa && t->len == len) {
            if (reg.npt && !ptable_unhole(reg.npt, gpa, len))
                reg.npt_changed();
            t->len = 0;
            return;
        }
    }
    const char *tail = log_budget_take(&misuse);
    if (tail)
        hv_log("npt", "no trapped range 0x%llx+0x%llx to remove%s", (unsigned long long)gpa,
               (unsigned long long)len, tail);
}

/* The memory operand's address as the instruction computes it (segment
 * bases 0: 64-bit code, or flat 32-bit code). */
static uint64_t operand_address(const struct insn *in, const struct mmio_cpu *cpu)
{
    uint64_t a = (uint64_t)in->disp;
    if (in->base != INSN_NO_REG)
        a += *cpu->gpr[in->base];
    if (in->index != INSN_NO_REG)
        a += *cpu->gpr[in->index] * in->scale;
    if (in->rip_relative)
        a += *cpu->rip + in->len;
    return in->addr_size == 4 ? a & 0xffffffffu : a;
}

static uint64_t mask_of(unsigned size)
{
    return size == 8 ? ~0ull : (1ull << (8 * size)) - 1;
}

/* A load's value into its register, as the CPU writes one: a 32-bit
 * register's upper half cleared, an 8- or 16-bit one's other bits kept. */
static void load(const struct insn *in, const struct mmio_cpu *cpu, uint64_t v)
{
    uint64_t *r = cpu->gpr[in->reg];
    v &= mask_of(in->size);
    if (in->sign_extend && (v >> (8 * in->size - 1)) & 1)
        v |= ~mask_of(in->size);
    if (in->high8)
        *r = (*r & ~0xff00ull) | (v & 0xff) << 8;
    else if (in->reg_size >= 4)
        *r = v & mask_of(in->reg_size);
    else
        *r = (*r & ~mask_of(in->reg_size)) | (v & mask_of(in->reg_size));
}

/* The checks and the access; NULL when done, else why not. */
static const char *emulate(const struct trap *t, uint64_t gpa, uint64_t npf_error,
                           struct mmio_cpu *cpu)
{
    if (npf_error & NPF_TABLE)
        return "a guest page table in trapped MMIO";
    if (npf_error & NPF_FETCH)
        return "an instruction fetch from trapped MMIO";
    if (cpu->in_event)
        return "an event delivery touching trapped MMIO";
    bool long64 = (cpu->efer & GVA_EFER_LMA) && (cpu->cs_attrib & CS_L);
    if (!long64 && !(cpu->cs_attrib & CS_D))
        return "16-bit code";
    struct gva_mode m = {cpu->cr0, cpu->cr3, cpu->cr4, cpu->efer};
    uint64_t pc = long64 ? *cpu->rip : (cpu->cs_base + *cpu->rip) & 0xffffffffu;
    uint8_t code[INSN_MAX_LEN];
    const char *why = NULL;
    size_t n = gva_read(reg.gm, &m, pc, code, sizeof(code), &why);
    if (!n)
        return why;
    struct insn in;
    if (insn_decode(code, n, long64 ? INSN_MODE_64 : INSN_MODE_32, &in, &why))
        return why;
    if (in.write != !!(npf_error & NPF_WRITE))
        return "the instruction's direction is not the fault's";
    /* the page offset is the same in both spaces; a different one means the
     * access began below the fault, on the page before */
    if ((operand_address(&in, cpu) & PAGE_MASK) != (gpa & PAGE_MASK))
        return "the access does not begin at the faulting address";
    uint64_t off = gpa - t->gpa;
    if (in.size > t->len - off)
        return "the access crosses the trapped range's end";
    if (in.write) {
        uint64_t v = in.reg == INSN_NO_REG ? in.imm
                     : in.high8            ? *cpu->gpr[in.reg] >> 8
                                           : *cpu->gpr[in.reg];
        t->ops->write(t->ctx, off, in.size, v & mask_of(in.size));
    } else {
        load(&in, cpu, t->ops->read(t->ctx, off, in.size));
    }
    *cpu->rip += in.len;
    if (!long64)
        *cpu->rip &= 0xffffffffu;
    return NULL;
}

enum mmio_trap_result mmio_trap_fault(uint64_t gpa, uint64_t npf_error, struct mmio_cpu *cpu,
                                      const char **why)
{
    const struct trap *t = NULL;
    for (unsigned i = 0; i < MMIO_TRAPS && !t; i++) {
        if (reg.traps[i].len && gpa - reg.traps[i].gpa < reg.traps[i].len)
            t = &reg.traps[i];
    }
    if (!t)
        return MMIO_NOT_TRAPPED;
    const char *reason = emulate(t, gpa, npf_error, cpu);
    if (!reason)
        return MMIO_EMULATED;
    const char *tail = log_budget_take(&refused);
    if (tail)
        hv_log("npt", "guest %s of trapped 0x%llx at rip 0x%llx refused: %s%s",
               (npf_error & NPF_WRITE) ? "write" : "read", (unsigned long long)gpa,
               (unsigned long long)*cpu->rip, reason, tail);
    *why = REFUSED_WHY;
    return MMIO_REFUSED;
}
