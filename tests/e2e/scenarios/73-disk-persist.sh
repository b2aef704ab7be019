# A disk device backed by a disk of the machine (device = disk
# backing=serial:<s>: the virtio-blk function QEMU gives with that serial,
# docs/storage.md): the guest's stock hv_storvsc writes raw data and an ext2
# filesystem with a file through vmbhv to the image; after the guest's
# orderly power-off a second boot of the same image finds the file with the
# same md5, and the host sees the image changed. The boot volume and a disk
# no device names are never driven. The first boot completes the disk's
# requests by MSI-X (host_dev_irqs counts them); the second has QEMU give the
# disks no MSI-X, so the same requests are polled (docs/storage.md,
# "Completions").
EXTRA_CHECKS=guest/extra-checks/60-disk.sh guest/mkinitramfs.sh "$WORK/initrd" hv_vmbus \
    hv_storvsc sd_mod > /dev/null || fail "mkinitramfs failed"
esp_add build/guest/vmlinuz hv/vmlinuz
esp_add "$WORK/initrd" hv/initrd
img=$WORK/disk.img other=$WORK/other.img
rm -f "$img" "$other"
truncate -s 32M "$img"
truncate -s 1M "$other"
disk "$img" vmbhv-data
disk "$other"
disk_config() {
    config << CFG
memory_mb = 512
kernel = hv/vmlinuz
initrd = hv/initrd
cmdline = console=ttyS0 panic=-1 vmbhv.mode=check vmbhv.disk_sectors=65536 $1
device = disk name=data backing=serial:vmbhv-data
CFG
}
disk_config ""
boot --timeout 180
expect_status 0
expect '^hv: disk: data: virtio-blk serial=vmbhv-data, 65536 sectors of 512 bytes'
expect '^hv: devices: data: disk device enabled \(backing=serial:vmbhv-data\)$'
expect_not 'hv: disk: data: .* in hypervisor memory'
expect 'Synchronizing SCSI cache' # sd's shutdown: the write-back cache flushed
expect 'sd [0-9:]+: \[sd[a-z]\] 65536 512-byte logical blocks'
expect '^GUEST-CHECK disk PASS dev=sd[a-z] sectors=65536 want=65536$'
expect "^vmbhv-init: /dev/sda: no filesystem to mount \('mke2fs /dev/sda' makes one\)$"
expect '^GUEST-CHECK disk-data PASS 1048576 bytes md5=[0-9a-f]{32}$'
expect '^GUEST-CHECK disk-fs PASS ok$'
expect_not 'GUEST-CHECK .* FAIL'
expect '^hv: summary .* disk_reads=[1-9][0-9]* disk_writes=[1-9][0-9]* disk_errors=0 '
expect '^hv: summary .* host_dev_irqs=[1-9][0-9]* '
md5=$(sed -n 's/^GUEST-CHECK disk-data PASS 1048576 bytes md5=\([0-9a-f]*\)$/\1/p' "$LOG.txt")
[ -n "$md5" ] || fail "no md5 from the first boot"
# what the guest wrote is on the machine's disk: an ext2 superblock magic at 1080
[ "$(od -An -tx2 -j1080 -N2 "$img" | tr -d ' ')" = ef53 ] || fail "no ext2 superblock in the image"
[ "$(od -An -tx1 -N1048576 "$other" | tr -d ' \n*' | tr -d 0)" = "" ] || fail "the unnamed disk was written"
e2fsck -fn "$img" > "$WORK/fsck.txt" 2>&1 || fail "e2fsck finds the image not clean: $(tail -n 3 "$WORK/fsck.txt")"

disk_config "vmbhv.disk_verify=$md5"
boot --timeout 180 -- -global virtio-blk-pci.vectors=0
expect_status 0
expect '^hv: summary .* host_dev_irqs=0 '
expect '^vmbhv-init: /dev/sda: filesystem mounted at /mnt/disk$' # what /init does with a disk
expect "^GUEST-CHECK disk-persist PASS md5=$md5 want=$md5\$"
expect_not 'GUEST-CHECK .* FAIL'
