# Debian's stock cloud kernel boots under SVM+NPT to the busybox /init, runs
# its checks, reports its verdict and powers off through our FADT. On a
# one-CPU machine (what the scenarios use unless they say otherwise): the
# MADT lists only the BSP, nothing is started, the count says so, one VP.
export QEMU_SMP=1
with_guest
config << 'CFG'
memory_mb = 512
kernel = hv/vmlinuz
initrd = hv/initrd
cmdline = console=ttyS0 panic=-1 vmbhv.mode=check
CFG
boot --timeout 240
expect '^hv: timer: HPET at 0x[0-9a-f]+, [0-9]+ kHz: timer [0-9]+ fires vector 0xf5 through the FSB$' \
    "the host timer is ready"
expect '^hv: vcpu: entering the guest at rip=0x[0-9a-f]+$'
expect_host '^hv: smp: 1 cpus$'
expect_not_host '^hv: smp: cpu '
expect_not_host '^hv: smp: (MADT|[0-9]+ other CPUs)'
expect_host '^hv: guest: 1 VPs$'
expect 'Linux version 6\.1\.' "the kernel runs"
expect 'ACPI: RSDP 0x' "the kernel found our ACPI tables"
expect '^GUEST-CHECK kernel PASS 6\.1\.' "userspace reached"
expect '^GUEST-CHECK mount-proc PASS'
expect '^GUEST-CHECK done PASS'

expect '^hv: guest: power-off \(ACPI S5\)$'
expect '^hv: summary exits=[0-9]+ cpuid=[1-9][0-9]* msr=[0-9]+ ioio=[0-9]+ npf=[0-9]+ .*guest_ms=[0-9]+ verdict=0$'
# Its timer interrupts reach it through the host (INTR exits, re-injected),
# and it never sees the HPET, which is the host's.
expect '^hv: summary .* intr=[1-9][0-9]* ' "guest interrupts went through the host"
expect_not '^\[ *[0-9.]+\] (clocksource: )?hpet' "the guest found no HPET"
expect_not 'hv: vcpu: unhandled exit'
expect_not 'Kernel panic'
expect_status 0
