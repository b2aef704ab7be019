#!/bin/sh
# Sub-channels (docs/vmbus.md, "Sub-channels"): with several CPUs the stock
# hv_storvsc and hv_netvsc ask for one channel per CPU; each device's sysfs
# channels/ lists its primary's relid and one per sub-channel, and every one
# of them carried the guest's signals (events) and the host's interrupts.
# Runs after 60-disk.sh and 60-nic.sh did their I/O. Then an MTU change,
# which makes hv_netvsc close its channels and open them again
# (netvsc_detach, netvsc_attach): the host rescinds the old sub-channel
# with the primary's close, grants a new one after the new open, and the
# gateway answers again. Only in initramfs images built with EXTRA_CHECKS
# naming this file.
#   GUEST-CHECK subchannels-<storvsc|netvsc> PASS|FAIL want=<n> channels=<relid>:<sub index>:<cpu>:<events>:<interrupts>,...
#   GUEST-CHECK subchannels-reopen PASS|FAIL if=<ifname> mtu=<n> channels=<relids> <ping's summary>
want=$(grep -c '^processor' /proc/cpuinfo)
for d in /sys/bus/vmbus/devices/*; do
	case $(cat "$d/class_id") in
	'{ba6163d9-04a1-4d29-b605-72e2ffb1dc7f}') kind=storvsc ;;
	'{f8615163-df3e-46c5-913f-f2d2f965ed0e}') kind=netvsc ;;
	*) continue ;;
	esac
	i=0 n=0
	while [ $i -lt 50 ]; do # the sub-channels' offers are handled by a workqueue
		n=$(ls "$d/channels" | wc -l)
		[ "$n" -ge "$want" ] && break
		usleep 100000
		i=$((i + 1))
	done
	st=PASS list=
	[ "$n" = "$want" ] || st=FAIL
	for c in $(ls "$d/channels" | sort -n); do
		f=$d/channels/$c
		ev=$(cat "$f/events" 2>/dev/null) irq=$(cat "$f/interrupts" 2>/dev/null)
		[ "${ev:-0}" -gt 0 ] && [ "${irq:-0}" -gt 0 ] || st=FAIL
		list="$list${list:+,}$c:$(cat "$f/subchannel_id"):$(cat "$f/cpu"):$ev:$irq"
	done
	guest-check subchannels-$kind $st "want=$want channels=$list"
	[ $kind = netvsc ] && netdev=$d
done

[ -n "$netdev" ] || exit 0
ifc=$(ls "$netdev/net" 2>/dev/null | head -n 1)
ip link set dev "$ifc" mtu 1400
sleep 2 # the old sub-channel's rescind and the new one's offer are handled by workqueues
i=0 n=0
while [ $i -lt 80 ]; do
	n=$(ls "$netdev/channels" | wc -l)
	[ "$n" = "$want" ] && [ "$(cat "$netdev/channels/"*/events | wc -l)" = "$want" ] && break
	usleep 100000
	i=$((i + 1))
done
out=$(ping -c 3 -W 3 10.0.2.2 2>&1 | grep 'packets transmitted')
mtu=$(cat "/sys/class/net/$ifc/mtu")
st=FAIL
[ "$n" = "$want" ] && [ "$mtu" = 1400 ] && echo "$out" | grep -q ' 0% packet loss' && st=PASS
guest-check subchannels-reopen $st "if=$ifc mtu=$mtu channels=$(ls "$netdev/channels" | sort -n | tr '\n' ',') $out"
