# A guest that writes SLP_EN with its DSDT's S5 SLP_TYP to PM1a control as
# one 32-bit OUT powers off legitimately: verdict 0 (the run ends in the
# module's insmod, before the guest's checks).
guest/kmod/build.sh vmbhv_attack > /dev/null || fail "guest/kmod/build.sh vmbhv_attack failed"
with_guest_modules build/guest/kmod/vmbhv_attack.ko
config << 'CFG'
memory_mb = 512
kernel = hv/vmlinuz
initrd = hv/initrd
cmdline = console=ttyS0 panic=-1 vmbhv.mode=check vmbhv_attack.cases=pm1-s5
CFG
boot --timeout 120
expect 'vmbhv-attack: fatal pm1-s5: '
expect_not 'vmbhv-attack: pm1-s5 FAIL' "the machine went on after the attack"
expect_not '^GUEST-CHECK done' "the run ended in insmod, not after the checks"
expect_host '^hv: guest: power-off \(ACPI S5\)$'
expect_host '^hv: exit: verdict=0$'
expect_status 0
