#!/bin/sh
# make bench's vPCI NVMe run (tests/bench/vpci.sh): read throughput of the
# guest's stock nvme driver on QEMU's NVMe controller, whatever brings the
# function (vmbhv's vpci bus with the machine's controller assigned, or
# QEMU's PCI bus when QEMU boots the kernel directly), with
# vmbhv.nvmebench=<MiB>: waits for /dev/nvme0n1, then times dd of <MiB> MiB
# in 1 MiB O_DIRECT reads (by /proc/uptime: 10 ms steps). Only in initramfs
# images built with EXTRA_CHECKS naming this file.
#   GUEST-CHECK nvmebench PASS|FAIL bytes=<n> ms=<n> kBps=<n>
mb=
for arg in $(cat /proc/cmdline); do
	case $arg in vmbhv.nvmebench=*) mb=${arg#*=} ;; esac
done
[ -n "$mb" ] || exit 0
i=0
while [ ! -b /dev/nvme0n1 ] && [ $i -lt 300 ]; do
	usleep 100000
	i=$((i + 1))
done
cs() { read -r up _ </proc/uptime; echo "${up%.*}${up#*.}"; } # centiseconds
t0=$(cs)
bytes=$(dd if=/dev/nvme0n1 bs=1M count="$mb" iflag=direct 2>/dev/null | wc -c)
ms=$((($(cs) - t0) * 10))
result=FAIL
[ "$bytes" -eq $((mb << 20)) ] && [ $ms -gt 0 ] && result=PASS
guest-check nvmebench $result "bytes=$bytes ms=$ms kBps=$((ms > 0 ? bytes * 1000 / 1024 / ms : 0))"
