#!/bin/sh
# make bench's disk run (tests/bench/disk.sh): diskbench on the guest's one
# disk, whatever drives it (hv_storvsc's /dev/sda under vmbhv, virtio_blk's
# /dev/vda when QEMU boots the kernel directly), vmbhv.diskbench=SECONDS per
# phase. Only in initramfs images built with EXTRA_CHECKS naming this file.
#   GUEST-CHECK diskbench PASS|FAIL dev=<dev> <what diskbench printed>
secs=5
for arg in $(cat /proc/cmdline); do
	case $arg in vmbhv.diskbench=*) secs=${arg#*=} ;; esac
done
dev= i=0
while [ -z "$dev" ] && [ $i -lt 100 ]; do
	for d in /dev/sda /dev/vda; do [ -b "$d" ] && dev=$d; done
	[ -z "$dev" ] && usleep 100000
	i=$((i + 1))
done
umount /mnt/disk 2>/dev/null
out=$(diskbench "${dev:-/dev/none}" "$secs" 2>&1)
result=FAIL
case $out in diskbench:\ seqwrite*) result=PASS ;; esac
guest-check diskbench $result "dev=${dev:-none} ${out#diskbench: }"
