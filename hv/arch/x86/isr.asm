; Exception entry stubs: push a uniform frame (struct trap_frame in trap.h) and
; call trap_handler. Vectors 8, 10-14, 17, 21, 29 and 30 push an error code.
bits 64
default rel

section .text
extern trap_handler

%macro ISR 1
isr%1:
%if %1 = 8 || (%1 >= 10 && %1 <= 14) || %1 = 17 || %1 = 21 || %1 = 29 || %1 = 30
%else
    push 0
%endif
    push %1
    jmp isr_common
%endmacro

%assign v 0
%rep 32
ISR v
%assign v v+1
%endrep

isr_common:
    push r15
    push r14
    push r13
    push r12
    push r11
    push r10
    push r9
    push r8
    push rbp
    push rdi
    push rsi
    push rdx
    push rcx
    push rbx
    push rax
    mov rdi, rsp
    and rsp, -16
    call trap_handler           ; reports and stops the machine

section .data
global isr_table
isr_table:
%assign v 0
%rep 32
    dq isr %+ v
%assign v v+1
%endrep
