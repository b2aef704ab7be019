# A guest that sets bit 0 of port 0x92 (system control port A, fast reset)
# resets the machine: the run ends there with the guest-failure verdict, and
# the host names the door it came through.
guest/kmod/build.sh vmbhv_attack > /dev/null || fail "guest/kmod/build.sh vmbhv_attack failed"
with_guest_modules build/guest/kmod/vmbhv_attack.ko
config << 'CFG'
memory_mb = 512
kernel = hv/vmlinuz
initrd = hv/initrd
cmdline = console=ttyS0 panic=-1 vmbhv.mode=check vmbhv_attack.cases=reset-92
CFG
boot --timeout 120
expect 'vmbhv-attack: fatal reset-92: '
expect_not 'vmbhv-attack: reset-92 FAIL' "the machine went on after the attack"
expect_not '^GUEST-CHECK done' "the run ended in insmod, not after the checks"
expect_host '^hv: guest: reset through .*port 0x92'
expect_host '^hv: summary .*verdict=1$'
expect_status 1
