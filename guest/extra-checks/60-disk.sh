#!/bin/sh
# The stock hv_storvsc on vmbhv's disk device (docs/storage.md): a SCSI disk
# appears with the size the host gave it (vmbhv.disk_sectors=N), a pattern
# written through the block device reads back the same after the page cache
# is dropped, and an ext2 filesystem made on it (busybox mke2fs; the ext4 module mounts it) keeps a file across an
# unmount and a mount. vmbhv.disk_verify=<md5>: a later boot of the same
# disk instead mounts the filesystem an earlier one made and checks its file
# has that md5. Only in initramfs images built with EXTRA_CHECKS naming this
# file (and with hv_storvsc, sd_mod).
#   GUEST-CHECK disk PASS|FAIL dev=<sdX> sectors=<n> want=<n>
#   GUEST-CHECK disk-data PASS|FAIL <bytes> bytes md5=<sum>
#   GUEST-CHECK disk-fs PASS|FAIL <what>
#   GUEST-CHECK disk-persist PASS|FAIL md5=<sum> want=<md5>
want= verify=
for arg in $(cat /proc/cmdline); do
	case $arg in
	vmbhv.disk_sectors=*) want=${arg#*=} ;;
	vmbhv.disk_verify=*) verify=${arg#*=} ;;
	esac
done
dev= i=0
while [ -z "$dev" ] && [ $i -lt 100 ]; do # the SCSI scan runs after the probe
	for b in /sys/block/sd*; do [ -e "$b" ] && dev=${b##*/}; done
	[ -z "$dev" ] && usleep 100000
	i=$((i + 1))
done
umount /mnt/disk 2>/dev/null # what /init mounted there: this check takes the disk
sectors=$(cat /sys/block/$dev/size 2>/dev/null)
result=FAIL
[ -n "$dev" ] && [ -b /dev/$dev ] && [ "$sectors" = "$want" ] && result=PASS
guest-check disk $result "dev=${dev:-none} sectors=${sectors:-0} want=${want:-?}"
[ $result = PASS ] || exit 0

if [ -n "$verify" ]; then
	mkdir -p /mnt/disk
	sum=none
	mount -t ext2 /dev/$dev /mnt/disk && sum=$(md5sum < /mnt/disk/pattern | cut -d' ' -f1)
	umount /mnt/disk 2>/dev/null
	result=FAIL
	[ "$sum" = "$verify" ] && result=PASS
	guest-check disk-persist $result "md5=$sum want=$verify"
	exit 0
fi

# 1 MiB of random bytes at 64 KiB in, read back past the page cache
dd if=/dev/urandom of=/tmp/pattern bs=64k count=16 2>/dev/null
dd if=/tmp/pattern of=/dev/$dev bs=64k seek=1 conv=fsync 2>/dev/null
sync
echo 3 > /proc/sys/vm/drop_caches
blockdev --flushbufs /dev/$dev
dd if=/dev/$dev of=/tmp/back bs=64k skip=1 count=16 2>/dev/null
sum=$(md5sum < /tmp/pattern | cut -d' ' -f1)
result=FAIL
cmp -s /tmp/pattern /tmp/back && result=PASS
guest-check disk-data $result "1048576 bytes md5=$sum"

out=$(mke2fs -q /dev/$dev 2>&1) || {
	guest-check disk-fs FAIL "mke2fs: $out"
	exit 0
}
mkdir -p /mnt/disk
what=ok
mount -t ext2 /dev/$dev /mnt/disk || what="mount failed"
[ "$what" = ok ] && cp /tmp/pattern /mnt/disk/pattern && sync && umount /mnt/disk || what="write failed"
echo 3 > /proc/sys/vm/drop_caches
[ "$what" = ok ] && mount -t ext2 /dev/$dev /mnt/disk || what="${what}; remount failed"
[ "$what" = ok ] && ! cmp -s /tmp/pattern /mnt/disk/pattern && what="file differs after remount"
umount /mnt/disk 2>/dev/null
result=FAIL
[ "$what" = ok ] && result=PASS
guest-check disk-fs $result "$what"
