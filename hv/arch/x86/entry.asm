; The loader jumps here with the SysV ABI: rdi = struct hv_boot_info *.
; Interrupts are off; we are still on the firmware's stack and page tables.
bits 64
default rel

section .text.entry
global hv_entry
extern hv_main

hv_entry:
    cli
    cld
    lea rsp, [boot_stack_top]
    xor ebp, ebp
    call hv_main                ; does not return
.halt:
    cli
    hlt
    jmp .halt

section .bss
align 16
boot_stack:
    resb 65536
boot_stack_top:
