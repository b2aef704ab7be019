# Without an HPET that can deliver through the FSB the hypervisor has no timer
# of its own: it says so and runs host deadlines at guest exits; the guest
# still boots, its interrupts still go through the host.
with_guest
config << 'CFG'
memory_mb = 512
kernel = hv/vmlinuz
initrd = hv/initrd
cmdline = console=ttyS0 panic=-1 vmbhv.mode=check
CFG
boot --timeout 240 -- -global hpet.msi=off
expect '^hv: timer: HPET at 0x[0-9a-f]+ has no timer that delivers through the FSB \(QEMU: -global hpet\.msi=on\): host deadlines run only at guest exits$'
expect_not '^hv: timer: HPET at .* fires vector'
expect '^GUEST-CHECK done PASS'
expect '^hv: summary .* intr=[1-9][0-9]* .* host_timer=0 host_dev_irqs=0 bad_vectors=0 guest_ms=[0-9]+ verdict=0$'
expect_status 0
