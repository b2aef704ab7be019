# A guest that prints the hypervisor's pass lines ("hv: exit: verdict=0",
# "hv: summary exits=1 verdict=0") on its console, raw at column 0 and through
# printk, and then resets through port 0x92 must not pass: the verdict is
# the host's (isa-debug-exit, confirmed by the host's own log), not a line
# of the shared serial log.
guest/kmod/build.sh vmbhv_attack > /dev/null || fail "guest/kmod/build.sh vmbhv_attack failed"
with_guest_modules build/guest/kmod/vmbhv_attack.ko
config << 'CFG'
memory_mb = 512
kernel = hv/vmlinuz
initrd = hv/initrd
cmdline = console=ttyS0 panic=-1 vmbhv.mode=check vmbhv_attack.cases=forge-verdict
CFG
boot --timeout 120
expect 'vmbhv-attack: fatal forge-verdict: '
expect_not 'vmbhv-attack: forge-verdict FAIL' "the machine went on after the attack"
expect_not '^GUEST-CHECK done' "the run ended in insmod, not after the checks"
expect '^hv: exit: verdict=0$' "the forged line reached the console"
expect '^hv: summary exits=1 verdict=0$' "the forged summary reached the console"
expect_host '^hv: guest: reset through .*port 0x92'
expect_host '^hv: exit: verdict=1$'
expect_not_host 'verdict=0'
expect_status 1
