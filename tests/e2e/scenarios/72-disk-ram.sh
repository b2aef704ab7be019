# The guest's stock hv_storvsc on a disk device backed by hypervisor memory
# (device = disk backing=ram:<MiB>, docs/storage.md): VSTOR negotiated, the
# SCSI disk appears with the configured size, a pattern written through the
# block device reads back the same after the page cache is dropped, and an
# ext2 filesystem keeps a file across an unmount (guest/extra-checks/60-disk.sh).
EXTRA_CHECKS=guest/extra-checks/60-disk.sh guest/mkinitramfs.sh "$WORK/initrd" hv_vmbus \
    hv_storvsc sd_mod > /dev/null || fail "mkinitramfs failed"
esp_add build/guest/vmlinuz hv/vmlinuz
esp_add "$WORK/initrd" hv/initrd
config << 'CFG'
memory_mb = 512
heap_mb = 96
kernel = hv/vmlinuz
initrd = hv/initrd
cmdline = console=ttyS0 panic=-1 vmbhv.mode=check vmbhv.disk_sectors=131072
device = disk name=scratch backing=ram:64
CFG
boot --timeout 180
expect_status 0
expect '^hv: disk: scratch: 64 MiB in hypervisor memory \(131072 sectors of 512 bytes\)$'
expect '^hv: devices: scratch: disk device enabled \(backing=ram:64\)$'
expect 'hv: vmbus: relid 1 scratch opened: '
expect 'scsi host[0-9]+: storvsc_host_t'
expect 'sd [0-9:]+: \[sd[a-z]\] 131072 512-byte logical blocks'
expect '^GUEST-CHECK disk PASS dev=sd[a-z] sectors=131072 want=131072$'
expect '^GUEST-CHECK disk-data PASS 1048576 bytes md5=[0-9a-f]{32}$'
expect '^GUEST-CHECK disk-fs PASS ok$'
expect_not 'GUEST-CHECK .* FAIL'
expect '^hv: summary .* disk_reads=[1-9][0-9]* disk_writes=[1-9][0-9]* disk_errors=0 '
