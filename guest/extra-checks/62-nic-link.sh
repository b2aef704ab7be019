#!/bin/sh
# The link of vmbhv's nic device follows the card's (docs/network.md, "Link
# state"): scenario 76-nic-link takes the card's link down on QEMU's monitor
# when this check says it waits, and up again once it saw the carrier go.
# Each wait lasts at most vmbhv.link_wait seconds (default 60). While the
# carrier is off the gateway must not answer; once it is back it must.
# Only in initramfs images built with EXTRA_CHECKS naming this file.
#   GUEST-CHECK link-initial PASS|FAIL if=<ifname> carrier=<0|1>
#   vmbhv-net: link wait down
#   GUEST-CHECK link-down PASS|FAIL carrier=<0|1> after=<s> ping=<lost|answered>
#   vmbhv-net: link wait up
#   GUEST-CHECK link-up PASS|FAIL carrier=<0|1> after=<s>
#   GUEST-CHECK link-traffic PASS|FAIL <ping's summary>
class='{f8615163-df3e-46c5-913f-f2d2f965ed0e}'
wait_s=60
for arg in $(cat /proc/cmdline); do
	case $arg in vmbhv.link_wait=*) wait_s=${arg#*=} ;; esac
done
ifc=none
for d in /sys/bus/vmbus/devices/*; do
	[ "$(cat "$d/class_id" 2>/dev/null)" = "$class" ] || continue
	for n in "$d"/net/*; do [ -e "$n" ] && ifc=${n##*/}; done
done
carrier() { cat "/sys/class/net/$ifc/carrier" 2>/dev/null || echo none; }
# wait_carrier V: up to wait_s seconds for carrier V; sets waited
wait_carrier() {
	waited=0
	while [ "$(carrier)" != "$1" ] && [ "$waited" -lt $((wait_s * 2)) ]; do
		sleep 0.5
		waited=$((waited + 1))
	done
	waited=$((waited / 2))
}
gateway() { ping -c 3 -W 2 10.0.2.2 2>&1 | grep 'packets transmitted'; }

c=$(carrier)
result=FAIL
[ "$c" = 1 ] && result=PASS
guest-check link-initial $result "if=$ifc carrier=$c"
[ "$result" = PASS ] || exit 0

echo "vmbhv-net: link wait down"
wait_carrier 0
c=$(carrier) ping=answered
gateway | grep -q ' 0 packets received' && ping=lost
result=FAIL
[ "$c" = 0 ] && [ "$ping" = lost ] && result=PASS
guest-check link-down $result "carrier=$c after=${waited}s ping=$ping"
[ "$c" = 0 ] || exit 0

echo "vmbhv-net: link wait up"
wait_carrier 1
c=$(carrier)
result=FAIL
[ "$c" = 1 ] && result=PASS
guest-check link-up $result "carrier=$c after=${waited}s"

out=$(gateway)
result=FAIL
echo "$out" | grep -q ' 0 packets received' || [ -z "$out" ] || result=PASS
guest-check link-traffic $result "${out:-no answer}"
