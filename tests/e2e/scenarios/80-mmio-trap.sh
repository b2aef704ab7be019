# The MMIO emulation end to end (docs/mmio.md): a test device traps one page
# (mmio_trap=); the guest's busybox devmem loads and stores it at widths 8
# to 64 from user space, each access a nested page fault whose instruction
# the hypervisor fetches through the guest's page tables, decodes and
# retires against the device's register page.
EXTRA_CHECKS=guest/extra-checks/80-mmio.sh guest/mkinitramfs.sh "$WORK/initrd" hv_vmbus \
    > /dev/null || fail "mkinitramfs failed"
esp_add build/guest/vmlinuz hv/vmlinuz
esp_add "$WORK/initrd" hv/initrd
config << 'CFG'
memory_mb = 512
kernel = hv/vmlinuz
initrd = hv/initrd
cmdline = console=ttyS0 panic=-1 vmbhv.mode=check vmbhv.mmio_trap=0xe0000000
device = test name=trap mmio_trap=0xe0000000
CFG
boot --timeout 240
expect '^hv: devices: trap: MMIO page trapped at 0xe0000000$'
expect '^GUEST-CHECK mmio PASS accesses=18$'
expect '^GUEST-CHECK done PASS'
expect_not '^hv: npt: guest (read|write) of trapped'
expect_not 'hv: vcpu: unhandled exit'
expect_status 0
