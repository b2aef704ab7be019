# vmbhv.root= hands the guest over to a root filesystem on its disk
# (guest/init): the image holds a tiny root (static busybox and an
# /sbin/init script); after hv_storvsc finds the disk, /init switches to it,
# and that init, as PID 1 on the new root, reads a file only the image has
# and powers off. A root that cannot be mounted is said and the initramfs
# goes on.
command -v mkfs.ext4 > /dev/null || fail "mkfs.ext4 missing: install the Debian package 'e2fsprogs'"
guest/mkinitramfs.sh "$WORK/initrd" hv_vmbus hv_storvsc sd_mod > /dev/null || fail "mkinitramfs failed"
esp_add build/guest/vmlinuz hv/vmlinuz
esp_add "$WORK/initrd" hv/initrd
tree=$WORK/root img=$WORK/root.img
rm -rf "$tree" "$img"
mkdir -p "$tree/bin" "$tree/sbin" "$tree/etc"
cp /bin/busybox "$tree/bin/busybox"
marker=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
echo "$marker" > "$tree/etc/marker"
cat > "$tree/sbin/init" << 'INIT'
#!/bin/busybox sh
b=/bin/busybox
echo "GUEST-CHECK new-root PASS pid=$$ marker=$($b cat /etc/marker) proc=$($b test -r /proc/cmdline && echo moved)"
$b sync
$b poweroff -f
INIT
chmod +x "$tree/sbin/init"
truncate -s 16M "$img"
mkfs.ext4 -q -F -d "$tree" "$img" > "$WORK/mkfs.txt" 2>&1 || fail "mkfs.ext4 -d failed: $(tail -n1 "$WORK/mkfs.txt")"
disk "$img" vmbhv-root
root_config() {
    config << CFG
memory_mb = 512
kernel = hv/vmlinuz
initrd = hv/initrd
cmdline = console=ttyS0 panic=-1 vmbhv.mode=check vmbhv.root=$1
device = disk name=root backing=serial:vmbhv-root
CFG
}
root_config /dev/sda
boot --timeout 120
expect_status 0
expect '^vmbhv-init: vmbhv.root=/dev/sda: switching to its /sbin/init$'
expect "^GUEST-CHECK new-root PASS pid=1 marker=$marker proc=moved\$"
expect_not '^GUEST-CHECK done ' # the initramfs's checks never finished: it was replaced

root_config /dev/sdb
boot --timeout 120
expect_status 0
expect '^vmbhv-init: vmbhv.root=/dev/sdb: cannot mount it \(ext2/3/4\): staying in the initramfs$'
expect '^GUEST-CHECK done PASS '
