#!/bin/sh
# The stock pci-hyperv on vmbhv's vpci device (docs/vpci.md): the bus's PCI
# domain (vmbhv.vpci_domain=<4 hex digits>, from the instance GUID) shows the
# synthetic function 1b36:0005 of class ff0000, and its 64-bit BAR0 of
# 1 MiB lies inside the channel's MMIO window (vmbhv.vpci_mmio=<lo>-<hi>,
# what the host logged). Only in initramfs images built with EXTRA_CHECKS
# naming this file (and with pci-hyperv).
#   GUEST-CHECK vpci PASS|FAIL dev=<dddd:00:00.0> id=<vendor>:<device> class=<class>
#   GUEST-CHECK vpci-bar PASS|FAIL bar=<start>-<end> window=<lo>-<hi>
#   GUEST-CHECK vpci-config PASS|FAIL bar=<bytes 0x10-0x17> want=<bytes>
#   GUEST-CHECK vpci-bar-regs PASS|FAIL signature=<BAR+0> scratch=<BAR+8>
#   GUEST-CHECK vpci-rebind PASS|FAIL gone=<yes|no> back=<yes|no>
domain= window=
for arg in $(cat /proc/cmdline); do
	case $arg in
	vmbhv.vpci_domain=*) domain=${arg#*=} ;;
	vmbhv.vpci_mmio=*) window=${arg#*=} ;;
	esac
done
dev=$domain:00:00.0 d=/sys/bus/pci/devices/$domain:00:00.0 i=0
while [ ! -e $d/resource ] && [ $i -lt 100 ]; do # pci-hyperv probes asynchronously
	usleep 100000
	i=$((i + 1))
done
id="$(cat $d/vendor 2>/dev/null):$(cat $d/device 2>/dev/null)" class=$(cat $d/class 2>/dev/null)
result=FAIL
[ "$id" = "0x1b36:0x0005" ] && [ "$class" = "0xff0000" ] && result=PASS
guest-check vpci $result "dev=$dev id=$id class=${class:-none}"
[ $result = PASS ] || exit 0

set -- $(head -n 1 $d/resource)
start=${1:-0} end=${2:-0} lo=${window%-*} hi=${window#*-}
result=FAIL
[ $((end - start + 1)) -eq $((0x100000)) ] && [ $((start)) -ge $((lo)) ] &&
	[ $((end)) -le $((hi)) ] && result=PASS
guest-check vpci-bar $result "bar=$start-$end window=$window"

# BAR0/1 and the command register read through the config window (sysfs
# config: pci-hyperv's config accessors, the hypervisor's emulation).
bar=$(od -An -tx1 -j16 -N8 $d/config 2>/dev/null | tr -d ' \n')
want=$(printf '%02x%02x%02x%02x%02x%02x%02x%02x' $((start & 0xff | 4)) $((start >> 8 & 0xff)) \
	$((start >> 16 & 0xff)) $((start >> 24 & 0xff)) $((start >> 32 & 0xff)) \
	$((start >> 40 & 0xff)) $((start >> 48 & 0xff)) $((start >> 56 & 0xff)))
result=FAIL
[ "$bar" = "$want" ] && result=PASS
guest-check vpci-config $result "bar=$bar want=$want"

# The function enabled (MEMORY set through the window): its BAR decodes, the
# signature register reads "VMBH", the scratch register keeps what is written
# (busybox devmem through /dev/mem: the hypervisor's BAR trap).
echo 1 > $d/enable 2>/dev/null
sig=$(devmem $start 32 2>/dev/null)
devmem $((start + 8)) 32 0x5a5aa5a5 2>/dev/null
scratch=$(devmem $((start + 8)) 32 2>/dev/null)
result=FAIL
[ "$sig" = 0x48424D56 ] && [ "$scratch" = 0x5A5AA5A5 ] && result=PASS
guest-check vpci-bar-regs $result "signature=${sig:-none} scratch=${scratch:-none}"
echo 0 > $d/enable 2>/dev/null

# pci-hyperv unbound (resources released, D0 exit: the host gives the window
# up, the channel closes) and bound again (a new negotiation and D0 entry):
# the function goes and comes back.
vmdev=
for c in /sys/bus/vmbus/devices/*/class_id; do
	[ "$(cat $c)" = "{44c4f61d-4444-4400-9d52-802e27ede19f}" ] && vmdev=$(basename ${c%/class_id})
done
drv=/sys/bus/vmbus/drivers/hv_pci gone=no back=no
echo $vmdev > $drv/unbind 2>/dev/null
[ -e $d ] || gone=yes
echo $vmdev > $drv/bind 2>/dev/null
i=0
while [ ! -e $d/vendor ] && [ $i -lt 100 ]; do
	usleep 100000
	i=$((i + 1))
done
[ "$(cat $d/vendor 2>/dev/null)" = 0x1b36 ] && back=yes
result=FAIL
[ $gone = yes ] && [ $back = yes ] && result=PASS
guest-check vpci-rebind $result "gone=$gone back=$back"
