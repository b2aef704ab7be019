#!/bin/sh
# A machine virtio-rng assigned to the guest through vmbhv's vpci bus
# (docs/vpci.md, "Assignment"): the stock pci-hyperv shows it in its domain
# (vmbhv.vpci_domain=<4 hex digits>), the stock virtio_pci + virtio_rng bind
# it, and /dev/hwrng gives bytes the device wrote by DMA into guest RAM and
# signalled with an MSI-X interrupt. With vmbhv.vpci_eject=<s> (the device
# line's eject_after=): the host ejects it at run time, pci-hyperv removes it
# within <s> seconds more and the guest goes on without it. Only in
# initramfs images built with EXTRA_CHECKS naming this file.
#   GUEST-CHECK vpci-rng-bind PASS|FAIL dev=<dddd:00:00.0> driver=<name> rng=<current>
#   GUEST-CHECK vpci-rng-read PASS|FAIL bytes=<n> distinct=<n>
#   GUEST-CHECK vpci-rng-eject PASS|FAIL gone=<0|1> after=<s> rng=<current>
domain= eject=
for arg in $(cat /proc/cmdline); do
	case $arg in
	vmbhv.vpci_domain=*) domain=${arg#*=} ;;
	vmbhv.vpci_eject=*) eject=${arg#*=} ;;
	esac
done
dev=$domain:00:00.0 d=/sys/bus/pci/devices/$domain:00:00.0 i=0
while [ ! -e /sys/class/misc/hw_random/rng_current ] || [ ! -e $d/driver ]; do
	[ $i -ge 200 ] && break # pci-hyperv probes asynchronously
	usleep 100000
	i=$((i + 1))
done
driver=$(basename "$(readlink $d/driver 2>/dev/null)" 2>/dev/null)
rng=$(cat /sys/class/misc/hw_random/rng_current 2>/dev/null)
result=FAIL
[ "$driver" = virtio-pci ] && case $rng in virtio_rng*) true ;; *) false ;; esac && result=PASS
guest-check vpci-rng-bind $result "dev=$dev driver=${driver:-none} rng=${rng:-none}"
[ $result = PASS ] || exit 0

n=$(dd if=/dev/hwrng bs=64 count=1 2>/dev/null | od -An -tx1 -v | wc -w)
distinct=$(dd if=/dev/hwrng bs=64 count=1 2>/dev/null | od -An -tx1 -v | tr ' ' '\n' | grep . | sort -u | wc -l)
# Then 4096 requests in a row, each completed by the device's interrupt: a
# lost one (as QEMU's TCG made, docs/design.md "Interrupts") leaves dd
# waiting, and timeout ends it short.
long=$(timeout 20 dd if=/dev/hwrng bs=4096 count=64 2>/dev/null | wc -c)
result=FAIL
[ "$n" -eq 64 ] && [ "$distinct" -ge 16 ] && [ "$long" -eq 262144 ] && result=PASS
guest-check vpci-rng-read $result "bytes=$n distinct=$distinct long=$long"
[ -n "$eject" ] || exit 0

i=0
while [ -e $d ] && [ $i -lt $((eject * 2 + 20)) ]; do
	sleep 0.5
	i=$((i + 1))
done
gone=1
[ -e $d ] && gone=0
rng=$(cat /sys/class/misc/hw_random/rng_current 2>/dev/null)
result=FAIL
[ $gone = 1 ] && [ "${rng:-none}" = none ] && result=PASS
guest-check vpci-rng-eject $result "gone=$gone after=$((i / 2))s rng=${rng:-none}"
