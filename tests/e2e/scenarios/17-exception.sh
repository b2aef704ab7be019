# An exception inside the hypervisor is reported in full and stops the machine.
config << 'CFG'
selftest = exception
CFG
boot --timeout 60
expect '^hv: selftest: taking an exception on purpose$'
expect '^hv: panic: exception #UD \(vector 6\) error=0x0$'
expect '^hv: panic: rip=0x[0-9a-f]{16} cs=0x8 rflags=0x[0-9a-f]+ rsp=0x[0-9a-f]{16} ss=0x10$'
expect '^hv: panic: cr0=0x[0-9a-f]+ cr2=0x[0-9a-f]{16} cr3=0x[0-9a-f]+ cr4=0x[0-9a-f]+$'
expect '^hv: panic: rax=[0-9a-f]{16} rbx=[0-9a-f]{16}'
expect '^hv: panic: r13=[0-9a-f]{16} r14=[0-9a-f]{16} r15=[0-9a-f]{16}$'
expect '^hv: panic: hypervisor image at 0x[0-9a-f]+: rip is image\+0x[0-9a-f]+$'
expect '^hv: exit: verdict=2$'
expect_status 2
