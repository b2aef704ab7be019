; Interrupt entry stubs. Exceptions (vectors 0-31 but NMI) push a uniform frame
; (struct trap_frame in trap.h) and call trap_handler, which reports and stops.
; Vectors 8, 10-14, 17, 21, 29 and 30 push an error code. NMI and the external
; vectors 32-255 go to irq_entry (irq.c) and return with RFLAGS.IF clear, so
; that one `sti; nop` window takes exactly one interrupt (irq_take). During that
; window the IDT is window_table: vectors 0-31 are external interrupts too (a
; guest can make its LAPIC raise 16-31), never exceptions.
bits 64
default rel

section .text
extern trap_handler
extern irq_entry

%macro ISR 1
isr%1:
%if %1 = 2 || %1 >= 32
    push %1
    jmp irq_common
%else
%if %1 = 8 || (%1 >= 10 && %1 <= 14) || %1 = 17 || %1 = 21 || %1 = 29 || %1 = 30
%else
    push 0
%endif
    push %1
    jmp isr_common
%endif
%endmacro

%assign v 0
%rep 256
ISR v
%assign v v+1
%endrep

%macro WIN 1
win%1:
    push %1
    jmp irq_common
%endmacro

%assign v 0
%rep 32
WIN v
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

; [rsp]: vector, then the CPU's frame: rip, cs, rflags, rsp, ss
irq_common:
    push rax
    push rcx
    push rdx
    push rsi
    push rdi
    push r8
    push r9
    push r10
    push r11
    push rbp
    mov rbp, rsp
    mov rdi, [rsp + 10 * 8]     ; the vector
    and rsp, -16
    call irq_entry
    mov rsp, rbp
    pop rbp
    pop r11
    pop r10
    pop r9
    pop r8
    pop rdi
    pop rsi
    pop rdx
    pop rcx
    pop rax
    add rsp, 8                  ; the vector
    and qword [rsp + 16], ~0x200 ; RFLAGS.IF: back with interrupts off
    iretq

section .data
global isr_table
isr_table:
%assign v 0
%rep 256
    dq isr %+ v
%assign v v+1
%endrep

global window_table
window_table:
%assign v 0
%rep 256
%if v < 32
    dq win %+ v
%else
    dq isr %+ v
%endif
%assign v v+1
%endrep
