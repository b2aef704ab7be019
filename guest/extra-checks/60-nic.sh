#!/bin/sh
# The stock hv_netvsc on vmbhv's nic device (docs/network.md, "The nic
# device"), once /init brought its interface up with DHCP: the driver bound,
# the interface has the card's MAC and QEMU's user-network address, the
# gateway answers a ping; with vmbhv.net_get=<port>/<md5>, busybox wget
# fetches /blob from the host's server on that port through the gateway
# (10.0.2.2, QEMU's alias for the host's loopback) and its MD5 must be <md5>;
# then busybox httpd serves /srv/blob (random bytes) on port 80 until the
# interface has sent at least that much (the host fetched it: scenario
# 71-nic) or vmbhv.net_wait seconds pass (default 120).
# Only in initramfs images built with EXTRA_CHECKS naming this file.
#   GUEST-CHECK nic PASS|FAIL driver=<name> if=<ifname> mac=<mac>
#   GUEST-CHECK dhcp PASS|FAIL addr=<address/prefix>
#   GUEST-CHECK gateway PASS|FAIL <ping's summary>
#   GUEST-CHECK fetched PASS|FAIL bytes=<n> md5=<md5> s=<seconds>
#   vmbhv-net: serving <bytes> bytes md5=<md5>
#   GUEST-CHECK served PASS|FAIL sent=<bytes the interface sent meanwhile>
class='{f8615163-df3e-46c5-913f-f2d2f965ed0e}'
wait_s=120 get=
for arg in $(cat /proc/cmdline); do
	case $arg in
	vmbhv.net_wait=*) wait_s=${arg#*=} ;;
	vmbhv.net_get=*) get=${arg#*=} ;;
	esac
done
dev=
for d in /sys/bus/vmbus/devices/*; do
	[ "$(cat "$d/class_id" 2>/dev/null)" = "$class" ] && dev=$d
done
drv=none ifc=none mac=none
[ -n "$dev" ] && [ -e "$dev/driver" ] && drv=$(basename "$(readlink "$dev/driver")")
for n in "$dev"/net/*; do
	[ -n "$dev" ] && [ -e "$n" ] && ifc=${n##*/} && mac=$(cat "$n/address")
done
result=FAIL
[ "$drv" = hv_netvsc ] && [ "$ifc" != none ] && result=PASS
guest-check nic $result "driver=$drv if=$ifc mac=$mac"
[ "$ifc" = none ] && exit 0

addr=$(ip -4 -o addr show dev "$ifc" | awk '{print $4}')
result=FAIL
[ -n "$addr" ] && result=PASS
guest-check dhcp $result "addr=${addr:-none}"

out=$(ping -c 3 -W 3 10.0.2.2 2>&1 | grep 'packets transmitted')
result=FAIL
echo "$out" | grep -q ' 0 packets received' || [ -z "$out" ] || result=PASS
guest-check gateway $result "${out:-no answer}"

if [ -n "$get" ]; then
	t0=$(cut -d' ' -f1 /proc/uptime)
	wget -q -O /tmp/got "http://10.0.2.2:${get%%/*}/blob"
	t1=$(cut -d' ' -f1 /proc/uptime)
	md5=$(md5sum </tmp/got | cut -d' ' -f1)
	result=FAIL
	[ "$md5" = "${get#*/}" ] && result=PASS
	guest-check fetched $result "bytes=$(wc -c </tmp/got) md5=$md5 s=$(awk "BEGIN { print $t1 - $t0 }")"
	rm -f /tmp/got
fi

mkdir -p /srv
dd if=/dev/urandom of=/srv/blob bs=1048576 count=4 2>/dev/null
size=$(wc -c </srv/blob)
httpd -p 80 -h /srv
before=$(cat "/sys/class/net/$ifc/statistics/tx_bytes")
echo "vmbhv-net: serving $size bytes md5=$(md5sum /srv/blob | cut -d' ' -f1)"
sent=0
for i in $(seq $((wait_s * 2))); do
	sent=$(($(cat "/sys/class/net/$ifc/statistics/tx_bytes") - before))
	[ "$sent" -ge "$size" ] && break
	sleep 0.5
done
sleep 2 # the last segments' acknowledgements
result=FAIL
[ "$sent" -ge "$size" ] && result=PASS
guest-check served $result "sent=$sent"
