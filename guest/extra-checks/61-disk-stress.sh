#!/bin/sh
# e2e 75-disk-crash: the filesystem /init mounted at /mnt/disk (ext4 with
# its journal, made on the host) under a guest killed mid-write.
# vmbhv.disk_stress=write: writes and fsyncs files there until the machine
# is stopped; =check: lists what is there (the mount replayed the journal)
# and unmounts it cleanly, for the host's e2fsck. Only in initramfs images
# built with EXTRA_CHECKS naming this file.
#   vmbhv-disk: 20 files written        (write, then it goes on)
#   GUEST-CHECK disk-stress PASS|FAIL files=<n> <what>   (check)
mode=
for arg in $(cat /proc/cmdline); do
	case $arg in vmbhv.disk_stress=*) mode=${arg#*=} ;; esac
done
if ! grep -q ' /mnt/disk ' /proc/mounts; then
	guest-check disk-stress FAIL "files=0 no filesystem at /mnt/disk"
	exit 0
fi
if [ "$mode" = write ]; then
	i=0
	while :; do
		dd if=/dev/urandom of=/mnt/disk/f$((i % 40)) bs=64k count=8 conv=fsync 2>/dev/null
		i=$((i + 1))
		[ $i = 20 ] && echo "vmbhv-disk: 20 files written"
	done
fi
n=$(ls /mnt/disk | grep -c '^f')
if umount /mnt/disk; then
	guest-check disk-stress PASS "files=$n unmounted"
else
	guest-check disk-stress FAIL "files=$n umount failed"
fi
