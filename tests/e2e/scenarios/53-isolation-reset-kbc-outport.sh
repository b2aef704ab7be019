# A guest that writes the keyboard controller's output port (command 0xd1 to
# port 0x64, then 0xfe to port 0x60: bit 0, the reset line, low) resets the
# machine: the guest-failure verdict, the door named.
guest/kmod/build.sh vmbhv_attack > /dev/null || fail "guest/kmod/build.sh vmbhv_attack failed"
with_guest_modules build/guest/kmod/vmbhv_attack.ko
config << 'CFG'
memory_mb = 512
kernel = hv/vmlinuz
initrd = hv/initrd
cmdline = console=ttyS0 panic=-1 vmbhv.mode=check vmbhv_attack.cases=reset-kbc-outport
CFG
boot --timeout 120
expect 'vmbhv-attack: fatal reset-kbc-outport: '
expect_not 'vmbhv-attack: reset-kbc-outport FAIL' "the machine went on after the attack"
expect_not '^GUEST-CHECK done' "the run ended in insmod, not after the checks"
expect_host "^hv: guest: reset through .*keyboard controller's output port"
expect_host '^hv: summary .*verdict=1$'
expect_status 1
