#!/bin/sh
# VMBus, when hv_vmbus is loaded: one line per device as the guest sees it in
# sysfs, then the count. Tests compare these with the hypervisor's offers.
#   GUEST-CHECK vmbus-dev PASS class=<guid> instance=<guid> state=<n> driver=<name>
#   GUEST-CHECK vmbus PASS devices=<n>
bus=/sys/bus/vmbus/devices
[ -d /sys/bus/vmbus ] || exit 0
n=0
for d in "$bus"/*; do
	[ -e "$d/class_id" ] || continue
	n=$((n + 1))
	drv=-
	[ -e "$d/driver" ] && drv=$(basename "$(readlink "$d/driver")")
	guest-check vmbus-dev PASS "class=$(tr -d '{}' <"$d/class_id") instance=$(tr -d '{}' <"$d/device_id") state=$(cat "$d/state") driver=$drv"
done
guest-check vmbus PASS "devices=$n"
