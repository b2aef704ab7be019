; The AP start-up trampoline. smp.c copies it to the loader's pages below
; 1 MiB (boot_info.h) and a SIPI starts an AP here in real mode, CS = page >> 4,
; IP = 0. It goes real → protected → long mode on a GDT of its own, on a copy
; of the hypervisor's PML4 in its second page (a 32-bit CR3 must lie below
; 4 GiB, the heap's page tables may not), then loads the real CR3, its stack
; and calls the C entry with its struct percpu (trampoline.h's parameters).
; Position independent: ebx holds the page's address from real mode on.
bits 16
default abs
%include "asm-offsets.inc"

%define OFF(x) ((x) - smp_tramp_start)
%define CR0_PE (1 << 0)
%define CR0_PG (1 << 31)
%define CR4_PAE (1 << 5)
%define MSR_EFER 0xc0000080
%define EFER_LME (1 << 8)

section .text
global smp_tramp_start, smp_tramp_end

align 16
smp_tramp_start:
    cli
    cld
    mov ax, cs
    mov ds, ax
    xor ebx, ebx
    mov bx, ax
    shl ebx, 4                          ; ebx = the page's physical address
    lea eax, [ebx + OFF(tramp_gdt)]
    mov [OFF(tramp_gdtr) + 2], eax
    lea eax, [ebx + OFF(pm32)]
    mov [OFF(pm32_ptr)], eax
    lea eax, [ebx + OFF(lm64)]
    mov [OFF(lm64_ptr)], eax
    o32 lgdt [OFF(tramp_gdtr)]
    mov eax, cr0
    or eax, CR0_PE
    mov cr0, eax
    o32 jmp far [OFF(pm32_ptr)]

bits 32
pm32:
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov eax, cr4
    or eax, CR4_PAE
    mov cr4, eax
    lea eax, [ebx + TRAMP_PML4_OFF]
    mov cr3, eax
    mov ecx, MSR_EFER
    rdmsr
    or eax, EFER_LME
    wrmsr
    mov eax, cr0
    or eax, CR0_PG | CR0_PE
    mov cr0, eax                        ; long mode, compatibility submode
    jmp far [ebx + OFF(lm64_ptr)]

bits 64
lm64:
    mov ebx, ebx                        ; the upper half is undefined after the switch
    mov rax, [rbx + TRAMP_PARAMS_OFF + TP_CR3]
    mov cr3, rax
    mov rsp, [rbx + TRAMP_PARAMS_OFF + TP_STACK]
    mov rdi, [rbx + TRAMP_PARAMS_OFF + TP_ARG]
    mov rax, [rbx + TRAMP_PARAMS_OFF + TP_ENTRY]
    xor ebp, ebp
    call rax                            ; does not return
.halt:
    cli
    hlt
    jmp .halt

align 8
tramp_gdt:
    dq 0
    dq 0x00cf9a000000ffff               ; 0x08: 32-bit code
    dq 0x00cf92000000ffff               ; 0x10: data
    dq 0x00af9a000000ffff               ; 0x18: 64-bit code
tramp_gdtr:
    dw 4 * 8 - 1
    dd 0                                ; the GDT's address, written above
pm32_ptr:
    dd 0
    dw 0x08
lm64_ptr:
    dd 0
    dw 0x18
smp_tramp_end:

