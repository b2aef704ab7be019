# The guest believes it runs on Hyper-V: detection with our features (one
# VP: no APIC MSRs, 81-smp-2 has them), the hypercall page in use, the
# TSC-page clocksource, and hv_vmbus setting up its SynIC and connecting
# through HvPostMessage and SynIC messages.
with_guest_modules hv_vmbus
config << 'CFG'
kernel = hv/vmlinuz
initrd = hv/initrd
cmdline = console=ttyS0 panic=-1 vmbhv.mode=check
CFG
boot --timeout 240
expect 'Hypervisor detected: Microsoft Hyper-V'
expect 'Hyper-V: privilege flags low 0xa66, high 0x30, hints 0x200, misc 0x100'
expect_not 'Hyper-V: Using enlightened APIC'
expect 'Hyper-V: Host Build 10\.0\.'
expect 'Hyper-V: LAPIC Timer Frequency: 0x'
expect 'clocksource: Switched to clocksource hyperv_clocksource_tsc_page'
expect_not 'unchecked MSR access error'
expect_not 'HYPERCALL MSR not available|VP_INDEX MSR not available'
expect '^hv: hyperv: msr reads/writes: guest_os_id=0/1 hypercall=[0-9]+/1 .*vp_assist=0/1'
expect '^hv: hyperv: msr reads/writes: .*synic=[1-9][0-9]*/[1-9][0-9]* .*sint=[1-9][0-9]*/[1-9][0-9]*' "SynIC set up"
expect '^hv: hyperv: hypercalls: post_message=[1-9]' "hv_vmbus posted INITIATE_CONTACT"
expect '^hv: summary exits=[0-9]+ .* hv_msr=[1-9][0-9]* hv_msr_gp=0 hypercalls=[1-9]'
expect '^hv: hyperv: hypercalls: .*by status: 0=[1-9]' "PostMessage succeeded"
expect '^hv: hyperv: synic: posted=[1-9][0-9]* delivered=[1-9]' "host messages delivered"
expect 'hv_vmbus: Vmbus version:5\.3'
expect '^GUEST-CHECK insmod-hv_vmbus PASS'
expect_status 0
