#!/bin/sh
# Sub-channels (docs/vmbus.md, "Sub-channels"): with several CPUs the stock
# hv_storvsc and hv_netvsc ask for one channel per CPU; each device's sysfs
# channels/ lists its primary's relid and one per sub-channel, and every one
# of them carried the guest's signals (events) and the host's interrupts.
# Runs after 60-disk.sh and 60-nic.sh did their I/O. Only in initramfs images
# built with EXTRA_CHECKS naming this file.
#   GUEST-CHECK subchannels-<storvsc|netvsc> PASS|FAIL want=<n> channels=<relid>:<sub index>:<cpu>:<events>:<interrupts>,...
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
done
