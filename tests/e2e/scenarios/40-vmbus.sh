# The guest's stock hv_vmbus connects, receives our offers and shows exactly
# the configured devices; the probe module's view matches the allocator's
# log field for field, and vmbus_allocate_mmio() inside each window succeeds.
with_guest_modules hv_vmbus build/guest/kmod/vmbhv_probe.ko
config << 'CFG'
kernel = hv/vmlinuz
initrd = hv/initrd
cmdline = console=ttyS0 panic=-1 vmbhv.mode=check
device = test name=small mmio_mb=2
device = test name=big mmio_mb=16 mmio_optional_mb=8 instance=6b1e5a0c-3d2f-4e8a-9b7c-1a2b3c4d5e6f
device = test name=noio
device = test name=opt mmio_optional_mb=4
CFG
boot --timeout 240
expect 'hv_vmbus: Vmbus version:'
expect '^hv: mmio: high gap '
expect '^hv: mmio: small required=2MiB optional=0MiB granted=0MiB at 0x'
expect '^hv: mmio: big required=16MiB optional=8MiB granted=8MiB at 0x'
expect '^hv: mmio: opt required=0MiB optional=4MiB granted=4MiB at 0x' "a channel with only optional megabytes gets a window"
expect 'vmbhv-probe: channel relid=[0-9]+ class=eec1e1e7-2dea-409d-97ec-019117e67f6f instance=6b1e5a0c-3d2f-4e8a-9b7c-1a2b3c4d5e6f mmio_mb=16 mmio_optional_mb=8'
expect 'vmbhv-probe: vmbus_allocate_mmio ok'
expect '^GUEST-CHECK vmbhv-probe PASS devices=4'
expect '^GUEST-CHECK done PASS'
expect_status 0

# Field by field: every offer the hypervisor logged is what the guest has in
# sysfs and what the probe read from the offer, and every window the allocator
# logged is the one the probe decoded and allocated in. The offer's megabytes
# are also held against the config itself (the log line prints the channel's
# stored request, not the bytes sent): the device's request, passed through.
expect '^GUEST-CHECK vmbus PASS devices=4$' "exactly the configured devices"
declare -A asked=([small]="2+0" [big]="16+8" [noio]="0+0" [opt]="0+4")
for name in small big noio opt; do
    offer=$(grep -Em1 "^hv: vmbus: offer relid [0-9]+ $name: " "$LOG.txt")
    [ -n "$offer" ] || { fail "no offer line for $name"; continue; }
    relid=$(sed -E 's/.*offer relid ([0-9]+) .*/\1/' <<< "$offer")
    class=$(sed -E 's/.* class ([0-9a-f-]+) .*/\1/' <<< "$offer")
    instance=$(sed -E 's/.* instance ([0-9a-f-]+) .*/\1/' <<< "$offer")
    req=$(sed -E 's/.* mmio ([0-9]+)\+([0-9]+)MiB.*/\1/' <<< "$offer")
    opt=$(sed -E 's/.* mmio ([0-9]+)\+([0-9]+)MiB.*/\2/' <<< "$offer")
    [ "$req+$opt" = "${asked[$name]}" ] || fail "$name offered mmio $req+$opt, config asks ${asked[$name]}"
    expect "^GUEST-CHECK vmbus-dev PASS class=$class instance=$instance " "$name in sysfs"
    expect "vmbhv-probe: channel relid=$relid class=$class instance=$instance mmio_mb=$req mmio_optional_mb=$opt\$" "$name offer fields"
    if [ "$req" -gt 0 ]; then
        mm=$(grep -Em1 "^hv: mmio: $name required=" "$LOG.txt")
        base=$(sed -E 's/.* at 0x([0-9a-f]+).*/\1/' <<< "$mm")
        granted=$(sed -E 's/.* granted=([0-9]+)MiB.*/\1/' <<< "$mm")
        expect "vmbhv-probe: test window base=0x$base size=$(printf '0x%x' $((req << 20))) optional=$(printf '0x%x' $((granted << 20))) relid=$relid\$" "$name window"
        expect "vmbhv-probe: vmbus_allocate_mmio ok start=0x$base size=$(printf '0x%x' $((req << 20))) relid=$relid\$" "$name allocation in its window"
    elif [ "$opt" -gt 0 ]; then
        # only optional megabytes: the window is the optional grant
        mm=$(grep -Em1 "^hv: mmio: $name required=" "$LOG.txt")
        base=$(sed -E 's/.* at 0x([0-9a-f]+).*/\1/' <<< "$mm")
        expect "vmbhv-probe: test window base=0x$base size=0x0 optional=$(printf '0x%x' $((opt << 20))) relid=$relid\$" "$name window"
        expect "vmbhv-probe: vmbus_allocate_mmio ok start=0x$base size=$(printf '0x%x' $((opt << 20))) relid=$relid\$" "$name allocation in its optional window"
    fi
done
# The probe opened each channel (GPADL + OPENCHANNEL against the real guest
# driver), pushed packets through the test device's echo (every byte checked)
# and closed them again at rmmod (CLOSECHANNEL + GPADL teardown).
for relid in 1 2 3 4; do
    expect "^hv: vmbus: GPADL 0x[0-9a-f]+ of relid $relid created: [0-9]+ pages in 1 range" "relid $relid GPADL"
    expect "^hv: vmbus: relid $relid [a-z0-9]+ opened: GPADL 0x[0-9a-f]+, host-to-guest ring at page [0-9]+" "relid $relid open"
    expect "^GUEST-CHECK vmbhv-probe-open-$relid PASS"
    expect "vmbhv-probe: echo ok relid=$relid sizes=8,256,2048\$" "relid $relid data both ways through the rings"
    expect "^hv: vmbus: relid $relid [a-z0-9]+ closed\$" "relid $relid close"
done
expect '^GUEST-CHECK vmbhv-probe-close PASS closed=4$'
expect_order '^hv: vmbus: relid 1 [a-z0-9]+ closed$' '^hv: vmbus: GPADL 0x[0-9a-f]+ of relid 1 torn down$'
expect '^hv: summary .* vmbus_version=5\.3 .* vmbus_offers=4 vmbus_opens=4 vmbus_signals=[0-9]+ vmbus_packets=12 '
