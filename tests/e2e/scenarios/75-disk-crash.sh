# A guest killed mid-write (docs/storage.md): an ext4 filesystem (made on the
# host, journal and all) on a disk device backed by the machine's virtio-blk
# disk; the guest writes and fsyncs files there until QEMU is stopped under
# it. The next boot's mount replays the journal, the guest unmounts it, and
# the host's e2fsck finds the image clean. The first boot's image is clean
# too after its orderly power-off (73 leaves an ext2 the same way).
EXTRA_CHECKS=guest/extra-checks/61-disk-stress.sh guest/mkinitramfs.sh "$WORK/initrd" hv_vmbus \
    hv_storvsc sd_mod > /dev/null || fail "mkinitramfs failed"
esp_add build/guest/vmlinuz hv/vmlinuz
esp_add "$WORK/initrd" hv/initrd
img=$WORK/disk.img
rm -f "$img"
truncate -s 64M "$img"
mkfs.ext4 -q -F "$img" || fail "mkfs.ext4 (e2fsprogs) failed"
disk "$img" vmbhv-crash
stress_config() {
    config << CFG
memory_mb = 512
kernel = hv/vmlinuz
initrd = hv/initrd
cmdline = console=ttyS0 panic=-1 vmbhv.mode=check vmbhv.check_timeout=600 vmbhv.disk_stress=$1
device = disk name=data backing=serial:vmbhv-crash
CFG
}
stress_config write
boot --timeout 45
expect_status 124 # stopped by the timeout, mid-write
expect '^vmbhv-init: /dev/sda: filesystem mounted at /mnt/disk$'
expect '^vmbhv-disk: 20 files written$'

stress_config check
boot --timeout 120
expect_status 0
expect 'EXT4-fs \(sda\): recovery complete|EXT4-fs \(sda\): mounted filesystem'
expect '^GUEST-CHECK disk-stress PASS files=[1-9][0-9]* unmounted$'
e2fsck -fn "$img" > "$WORK/fsck.txt" 2>&1 || fail "e2fsck finds the image not clean: $(tail -n 3 "$WORK/fsck.txt")"
