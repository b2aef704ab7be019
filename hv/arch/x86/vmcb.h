/* The VMCB (AMD APM vol. 2, appendix B): control area at 0x000, state save
 * area at 0x400. Offsets are asserted; reserved space is padding. */
#ifndef HV_ARCH_X86_VMCB_H
#define HV_ARCH_X86_VMCB_H

#include <stddef.h>
#include <stdint.h>

/* intercept_misc1 (offset 0x00C) */
#define INTERCEPT_INTR      (1u << 0)
#define INTERCEPT_NMI       (1u << 1)
#define INTERCEPT_INIT      (1u << 3)
#define INTERCEPT_VINTR     (1u << 4)
#define INTERCEPT_CPUID     (1u << 18)
#define INTERCEPT_IRET      (1u << 20)
#define INTERCEPT_INVD      (1u << 22)
#define INTERCEPT_HLT       (1u << 24)
#define INTERCEPT_INVLPGA   (1u << 26)
#define INTERCEPT_IOIO_PROT (1u << 27)
#define INTERCEPT_MSR_PROT  (1u << 28)
#define INTERCEPT_SHUTDOWN  (1u << 31)
/* intercept_misc2 (offset 0x010) */
#define INTERCEPT_VMRUN   (1u << 0)
#define INTERCEPT_VMMCALL (1u << 1)
#define INTERCEPT_VMLOAD  (1u << 2)
#define INTERCEPT_VMSAVE  (1u << 3)
#define INTERCEPT_STGI    (1u << 4)
#define INTERCEPT_CLGI    (1u << 5)
#define INTERCEPT_SKINIT  (1u << 6)
#define INTERCEPT_XSETBV  (1u << 13)

#define TLB_CONTROL_NONE      0
#define TLB_CONTROL_FLUSH_ALL 1 /* the only value TCG honours */

/* Exit codes (APM vol. 2, table C-1). */
#define VMEXIT_EXCP_BASE 0x040
#define VMEXIT_INTR      0x060
#define VMEXIT_NMI       0x061
#define VMEXIT_INIT      0x063
#define VMEXIT_VINTR     0x064
#define VMEXIT_CPUID     0x072
#define VMEXIT_IRET      0x074
#define VMEXIT_INVD      0x076
#define VMEXIT_HLT       0x078
#define VMEXIT_INVLPGA   0x07a
#define VMEXIT_IOIO      0x07b
#define VMEXIT_MSR       0x07c
#define VMEXIT_SHUTDOWN  0x07f
#define VMEXIT_VMRUN     0x080
#define VMEXIT_VMMCALL   0x081
#define VMEXIT_VMLOAD    0x082
#define VMEXIT_VMSAVE    0x083
#define VMEXIT_STGI      0x084
#define VMEXIT_CLGI      0x085
#define VMEXIT_SKINIT    0x086
#define VMEXIT_XSETBV    0x08d
#define VMEXIT_NPF       0x400
#define VMEXIT_INVALID   0xffffffffu /* compare the low 32 bits: TCG zero-extends */

/* EVENTINJ (offset 0x0A8) */
#define EVENT_VALID (1ull << 31)
#define EVENT_ERROR (1ull << 11)
#define INT_SHADOW  (1ull << 0) /* int_state */
#define RFLAGS_TF   (1ull << 8)
#define RFLAGS_IF   (1ull << 9)
#define DR6_BS      (1ull << 14)
#define DR6_B0_3    0xfull /* a hardware breakpoint hit: the guest's #DB */

#define EVENT_TYPE_INTR (0ull << 8)
#define EVENT_TYPE_NMI  (2ull << 8)
#define EVENT_TYPE_EXCP (3ull << 8)
#define EVENT_TYPE_SOFT (4ull << 8) /* INTn */
#define EVENT_TYPE_MASK (7ull << 8)
#define EVENT_VECTOR    0xffull
/* vintr (offset 0x060) */
#define V_IRQ     (1ull << 8)
#define V_IGN_TPR (1ull << 20)

struct vmcb_seg {
    uint16_t selector;
    uint16_t attrib; /* packed: type[3:0] S[4] DPL[6:5] P[7] AVL[8] L[9] D/B[10] G[11] */
    uint32_t limit;
    uint64_t base;
};
_Static_assert(sizeof(struct vmcb_seg) == 16, "VMCB segment");

struct vmcb {
    /* control area */
    uint32_t intercept_cr;    /* 0x000: reads 15:0, writes 31:16 */
    uint32_t intercept_dr;    /* 0x004 */
    uint32_t intercept_exc;   /* 0x008 */
    uint32_t intercept_misc1; /* 0x00c */
    uint32_t intercept_misc2; /* 0x010 */
    uint32_t intercept_misc3; /* 0x014 */
    uint8_t reserved0[0x03c - 0x018];
    uint16_t pause_filter_thresh; /* 0x03c */
    uint16_t pause_filter_count;  /* 0x03e */
    uint64_t iopm_base_pa;        /* 0x040 */
    uint64_t msrpm_base_pa;       /* 0x048 */
    uint64_t tsc_offset;          /* 0x050 */
    uint32_t asid;                /* 0x058 */
    uint8_t tlb_control;          /* 0x05c */
    uint8_t reserved1[3];
    uint64_t vintr;         /* 0x060: V_TPR, V_IRQ, VGIF, V_INTR_MASKING, V_INTR_VECTOR */
    uint64_t int_state;     /* 0x068: bit 0 interrupt shadow */
    uint64_t exitcode;      /* 0x070 */
    uint64_t exitinfo1;     /* 0x078 */
    uint64_t exitinfo2;     /* 0x080 */
    uint64_t exitintinfo;   /* 0x088 */
    uint64_t np_enable;     /* 0x090: bit 0 nested paging */
    uint64_t avic_apic_bar; /* 0x098 */
    uint64_t ghcb_pa;       /* 0x0a0 */
    uint64_t eventinj;      /* 0x0a8 */
    uint64_t n_cr3;         /* 0x0b0 */
    uint64_t virt_ext;      /* 0x0b8 */
    uint32_t clean;         /* 0x0c0: stays 0, every VMRUN reloads all; if clean bits
                             * are ever used, every VMCB write must clear its bit */
    uint32_t reserved2;
    uint64_t next_rip;      /* 0x0c8: only with NRIP save (not under TCG) */
    uint8_t insn_len;       /* 0x0d0: only with decode assists */
    uint8_t insn_bytes[15]; /* 0x0d1 */
    uint8_t reserved3[0x400 - 0x0e0];

    /* state save area */
    struct vmcb_seg es, cs, ss, ds, fs, gs, gdtr, ldtr, idtr, tr; /* 0x400 */
    uint8_t reserved4[0x4cb - 0x4a0];
    uint8_t cpl; /* 0x4cb */
    uint32_t reserved5;
    uint64_t efer; /* 0x4d0 */
    uint8_t reserved6[0x548 - 0x4d8];
    uint64_t cr4;    /* 0x548 */
    uint64_t cr3;    /* 0x550 */
    uint64_t cr0;    /* 0x558 */
    uint64_t dr7;    /* 0x560 */
    uint64_t dr6;    /* 0x568 */
    uint64_t rflags; /* 0x570 */
    uint64_t rip;    /* 0x578 */
    uint8_t reserved7[0x5d8 - 0x580];
    uint64_t rsp; /* 0x5d8 */
    uint8_t reserved8[0x5f8 - 0x5e0];
    uint64_t rax;                                        /* 0x5f8 */
    uint64_t star, lstar, cstar, sfmask, kernel_gs_base; /* 0x600 */
    uint64_t sysenter_cs, sysenter_esp, sysenter_eip;    /* 0x628 */
    uint64_t cr2;                                        /* 0x640 */
    uint8_t reserved9[0x668 - 0x648];
    uint64_t g_pat;  /* 0x668 */
    uint64_t dbgctl; /* 0x670 */
    uint8_t reserved10[0x1000 - 0x678];
};
_Static_assert(sizeof(struct vmcb) == 4096, "VMCB is one page");
_Static_assert(offsetof(struct vmcb, iopm_base_pa) == 0x040, "VMCB IOPM");
_Static_assert(offsetof(struct vmcb, asid) == 0x058, "VMCB ASID");
_Static_assert(offsetof(struct vmcb, vintr) == 0x060, "VMCB V_INTR");
_Static_assert(offsetof(struct vmcb, exitcode) == 0x070, "VMCB EXITCODE");
_Static_assert(offsetof(struct vmcb, eventinj) == 0x0a8, "VMCB EVENTINJ");
_Static_assert(offsetof(struct vmcb, n_cr3) == 0x0b0, "VMCB N_CR3");
_Static_assert(offsetof(struct vmcb, next_rip) == 0x0c8, "VMCB nRIP");
_Static_assert(offsetof(struct vmcb, es) == 0x400, "VMCB save area");
_Static_assert(offsetof(struct vmcb, tr) == 0x490, "VMCB TR");
_Static_assert(offsetof(struct vmcb, cpl) == 0x4cb, "VMCB CPL");
_Static_assert(offsetof(struct vmcb, efer) == 0x4d0, "VMCB EFER");
_Static_assert(offsetof(struct vmcb, cr4) == 0x548, "VMCB CR4");
_Static_assert(offsetof(struct vmcb, rip) == 0x578, "VMCB RIP");
_Static_assert(offsetof(struct vmcb, rsp) == 0x5d8, "VMCB RSP");
_Static_assert(offsetof(struct vmcb, rax) == 0x5f8, "VMCB RAX");
_Static_assert(offsetof(struct vmcb, cr2) == 0x640, "VMCB CR2");
_Static_assert(offsetof(struct vmcb, g_pat) == 0x668, "VMCB G_PAT");

/* Guest GPRs the VMCB does not hold (RAX and RSP live in the save area).
 * vmrun.asm reaches the fields through asm-offsets.inc. */
struct guest_regs {
    uint64_t rbx, rcx, rdx, rsi, rdi, rbp;
    uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
};

#endif
