# A guest that writes 0x06 (system reset, reset CPU) to the reset control
# register at port 0xcf9 resets the machine: the guest-failure verdict, the
# door named.
guest/kmod/build.sh vmbhv_attack > /dev/null || fail "guest/kmod/build.sh vmbhv_attack failed"
with_guest_modules build/guest/kmod/vmbhv_attack.ko
config << 'CFG'
memory_mb = 512
kernel = hv/vmlinuz
initrd = hv/initrd
cmdline = console=ttyS0 panic=-1 vmbhv.mode=check vmbhv_attack.cases=reset-cf9
CFG
boot --timeout 120
expect 'vmbhv-attack: fatal reset-cf9: '
expect_not 'vmbhv-attack: reset-cf9 FAIL' "the machine went on after the attack"
expect_not '^GUEST-CHECK done' "the run ended in insmod, not after the checks"
expect_host '^hv: guest: reset through .*0xcf9'
expect_host '^hv: summary .*verdict=1$'
expect_status 1
