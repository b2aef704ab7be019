# The checksum device kind (hv/devices/checksum.c, docs/devices.md's worked
# example) against the guest probe: it opens each checksum channel and checks
# the host's length and CRC-32 of three packets against its own crc32_le.
with_guest_modules hv_vmbus build/guest/kmod/vmbhv_probe.ko
config << 'CFG'
kernel = hv/vmlinuz
initrd = hv/initrd
cmdline = console=ttyS0 panic=-1 vmbhv.mode=check
device = checksum name=crc
device = checksum name=crc2
CFG
boot --timeout 240
expect '^hv: devices: crc: checksum device enabled$'
expect '^hv: devices: crc2: checksum device enabled$'
expect 'vmbhv-probe: channel relid=1 class=8b149fc5-b8fb-40e9-986a-060931dc4a20 '
for relid in 1 2; do
    expect "^hv: vmbus: relid $relid [a-z0-9]+ opened: " "relid $relid open"
    expect "vmbhv-probe: checksum ok relid=$relid sizes=8,256,2048 crc32=0x[0-9a-f]{8}\$" "relid $relid answers checked"
done
expect '^GUEST-CHECK vmbhv-probe PASS devices=2$'
expect '^GUEST-CHECK vmbhv-probe-close PASS closed=2$'
expect '^GUEST-CHECK done PASS'
expect '^hv: summary .* checksum_packets=6 checksum_bytes=4624( |$)'
expect_status 0
