#!/bin/sh
# make bench's vPCI run (tests/bench/vpci.sh): read throughput of the guest's
# virtio-rng, whatever brings the function (vmbhv's vpci bus with the machine's
# virtio-rng-pci assigned, or QEMU's PCI bus when QEMU boots the kernel
# directly), with vmbhv.rngbench=<KiB>: waits until virtio_rng is the current
# hwrng, then times dd of <KiB> KiB from /dev/hwrng in 4 KiB blocks (by
# /proc/uptime: 10 ms steps). Only in initramfs images built with
# EXTRA_CHECKS naming this file.
#   GUEST-CHECK rngbench PASS|FAIL rng=<current> bytes=<n> ms=<n> kBps=<n>
kb=
for arg in $(cat /proc/cmdline); do
	case $arg in vmbhv.rngbench=*) kb=${arg#*=} ;; esac
done
[ -n "$kb" ] || exit 0
i=0 rng=
while [ $i -lt 300 ]; do
	rng=$(cat /sys/class/misc/hw_random/rng_current 2>/dev/null)
	case $rng in virtio_rng*) break ;; esac
	usleep 100000
	i=$((i + 1))
done
cs() { read -r up _ </proc/uptime; echo "${up%.*}${up#*.}"; } # centiseconds
t0=$(cs)
bytes=$(dd if=/dev/hwrng bs=4096 count=$((kb / 4)) 2>/dev/null | wc -c)
ms=$((($(cs) - t0) * 10))
result=FAIL
case $rng in virtio_rng*) [ "$bytes" -eq $((kb / 4 * 4096)) ] && [ $ms -gt 0 ] && result=PASS ;; esac
guest-check rngbench $result "rng=${rng:-none} bytes=$bytes ms=$ms kBps=$((ms > 0 ? bytes * 1000 / 1024 / ms : 0))"
