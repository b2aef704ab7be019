# A guest that makes its LAPIC raise a reserved vector (16-31: an exception
# number, not an interrupt) or the host timer's vector must not hurt the
# hypervisor: the reserved one is dropped and reported, the other is only an
# early host timer, and the guest runs on to its verdict.
with_guest_modules hv_vmbus build/guest/kmod/vmbhv_probe.ko
config << 'CFG'
memory_mb = 512
kernel = hv/vmlinuz
initrd = hv/initrd
cmdline = console=ttyS0 panic=-1 vmbhv.mode=check vmbhv_probe.raise_vectors=20,245
CFG
boot --timeout 240
expect 'vmbhv-probe: raised vector 0x14 on this CPU' "the guest raised vector 20"
expect 'vmbhv-probe: raised vector 0xf5 on this CPU' "the guest raised the host timer's vector"
expect '^hv: irq: guest raised reserved vector 20: dropped \(further ones counted\)$'
expect '^GUEST-CHECK done PASS'
expect '^hv: summary .* bad_vectors=1 .*verdict=0$'
expect_not '^hv: panic'
expect_status 0
