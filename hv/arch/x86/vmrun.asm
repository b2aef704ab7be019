; svm_vmrun(guest_vmcb_pa, struct guest_regs *regs, host_save_pa)
; One world switch: enter the guest, return to C after its #VMEXIT.
; VMRUN itself switches RAX/RSP/RIP/RFLAGS/CRs/EFER/ES-DS (via the VMCB and
; VM_HSAVE_PA); VMLOAD/VMSAVE switch FS, GS, TR, LDTR and the syscall MSRs
; (APM vol. 2, 15.5); the other GPRs are ours to switch here.
bits 64
default rel
%include "asm-offsets.inc"

section .text
global svm_vmrun

svm_vmrun:
    push rbx
    push rbp
    push r12
    push r13
    push r14
    push r15
    push rsi                    ; [rsp+16] after the next two pushes: regs
    push rdi                    ; [rsp+8]: guest VMCB
    push rdx                    ; [rsp]: host save page
    mov rax, rdx
    vmsave                      ; host FS/GS/TR/LDTR/syscall MSRs
    mov rax, rdi
    vmload                      ; the guest's

    mov rbx, [rsi + GR_RBX]
    mov rcx, [rsi + GR_RCX]
    mov rdx, [rsi + GR_RDX]
    mov rdi, [rsi + GR_RDI]
    mov rbp, [rsi + GR_RBP]
    mov r8,  [rsi + GR_R8]
    mov r9,  [rsi + GR_R9]
    mov r10, [rsi + GR_R10]
    mov r11, [rsi + GR_R11]
    mov r12, [rsi + GR_R12]
    mov r13, [rsi + GR_R13]
    mov r14, [rsi + GR_R14]
    mov r15, [rsi + GR_R15]
    mov rsi, [rsi + GR_RSI]

    vmrun                       ; rax = guest VMCB

    ; #VMEXIT: rax and rsp are the host's again, every other GPR the guest's
    vmsave                      ; guest FS/GS/TR/... back into its VMCB
    mov rax, [rsp + 16]
    mov [rax + GR_RBX], rbx
    mov [rax + GR_RCX], rcx
    mov [rax + GR_RDX], rdx
    mov [rax + GR_RSI], rsi
    mov [rax + GR_RDI], rdi
    mov [rax + GR_RBP], rbp
    mov [rax + GR_R8], r8
    mov [rax + GR_R9], r9
    mov [rax + GR_R10], r10
    mov [rax + GR_R11], r11
    mov [rax + GR_R12], r12
    mov [rax + GR_R13], r13
    mov [rax + GR_R14], r14
    mov [rax + GR_R15], r15
    pop rax
    vmload                      ; the host's
    add rsp, 16
    pop r15
    pop r14
    pop r13
    pop r12
    pop rbp
    pop rbx
    ret
