# The allocator under pressure, in a 64 MiB gap: the first device's optional
# megabytes are only partly granted, the next device's required megabytes do
# not fit (its enable fails with STATUS_INSUFFICIENT_RESOURCES and it is not
# offered), and a device without MMIO is offered as usual.
# The one configuration where a grant differs from its request: the offer on
# the wire carries the request (docs/vmbus.md "Offers"), so the guest's probe
# must read first's 16+64 from the config, not the 16+48 it was granted.
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
offer=$(grep -Em1 '^hv: vmbus: offer relid [0-9]+ first: ' "$LOG.txt")
relid=$(sed -E 's/.*offer relid ([0-9]+) .*/\1/' <<< "$offer")
instance=$(sed -E 's/.* instance ([0-9a-f-]+) .*/\1/' <<< "$offer")
if [ -n "$offer" ]; then
    # the request, byte for byte as the guest read it from the offer
    expect "vmbhv-probe: channel relid=$relid class=eec1e1e7-2dea-409d-97ec-019117e67f6f instance=$instance mmio_mb=16 mmio_optional_mb=64\$" "first's offer carries its request"
    expect "vmbhv-probe: test window base=0x100000000 size=0x1000000 optional=0x3000000 relid=$relid\$" "first's grant is in its user-defined bytes"
else
    fail "no offer line for first"
fi
plain=$(grep -Em1 '^hv: vmbus: offer relid [0-9]+ plain: ' "$LOG.txt" | sed -E 's/.*offer relid ([0-9]+) .*/\1/')
expect "vmbhv-probe: channel relid=$plain class=eec1e1e7-2dea-409d-97ec-019117e67f6f instance=[0-9a-f-]+ mmio_mb=0 mmio_optional_mb=0\$" "plain asks for nothing"
expect '^GUEST-CHECK vmbus PASS devices=2$' "huge is not offered"
expect '^GUEST-CHECK vmbhv-probe PASS devices=2'
expect '^GUEST-CHECK done PASS'
expect_status 0
