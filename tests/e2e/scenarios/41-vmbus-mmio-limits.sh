# The allocator under pressure, in a 64 MiB gap: the first device's optional
# megabytes are only partly granted, the next device's required megabytes do
# not fit (its enable fails with STATUS_INSUFFICIENT_RESOURCES and it is not
# offered), and a device without MMIO is offered as usual.
with_guest_modules hv_vmbus build/guest/kmod/vmbhv_probe.ko
config << 'CFG'
kernel = hv/vmlinuz
initrd = hv/initrd
cmdline = console=ttyS0 panic=-1 vmbhv.mode=check
mmio_high_mb = 64
device = test name=first mmio_mb=16 mmio_optional_mb=64
device = test name=huge mmio_mb=32
device = test name=plain
CFG
boot --timeout 240
expect '^hv: mmio: high gap 0x100000000-0x103ffffff \(64MiB, '
expect '^hv: mmio: first required=16MiB optional=64MiB granted=48MiB at 0x100000000$' "optional partly granted"
expect '^hv: mmio: huge required=32MiB optional=0MiB failed: .* status=0xc000009a$'
expect '^hv: devices: huge: enable failed with status 0xc000009a: not offered$'
expect_not '^hv: vmbus: offer relid [0-9]+ huge:'
expect 'vmbhv-probe: test window base=0x100000000 size=0x1000000 optional=0x3000000 relid=[0-9]+$'
expect '^GUEST-CHECK vmbus PASS devices=2$' "huge is not offered"
expect '^GUEST-CHECK vmbhv-probe PASS devices=2'
expect '^GUEST-CHECK done PASS'
expect_status 0
