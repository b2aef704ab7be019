#!/bin/sh
# The stock hyperv-keyboard on vmbhv's keyboard device (docs/video.md,
# "Synthetic Keyboard"): the driver bound and atkbd made an input device of
# its port; then keys typed at the machine (scenario 47-keyboard types a
# command into /init's shell on tty1) must create /tmp/typed within
# vmbhv.keys_wait seconds (default 60). Only in initramfs images built with
# EXTRA_CHECKS naming this file.
#   GUEST-CHECK keyboard PASS|FAIL driver=<name> input=<input device name>
#   vmbhv-keys: waiting <n>s for a typed command
#   GUEST-CHECK keys PASS|FAIL typed=<the first line of /tmp/typed>
class='{f912ad6d-2b17-48ea-bd65-f927a61c7684}'
wait_s=60
for arg in $(cat /proc/cmdline); do
	case $arg in vmbhv.keys_wait=*) wait_s=${arg#*=} ;; esac
done
guid=
for d in /sys/bus/vmbus/devices/*; do
	[ "$(cat "$d/class_id" 2>/dev/null)" = "$class" ] && guid=${d##*/}
done
# the probe and atkbd's binding run in the background: up to 20 s for both
drv=none input=none
for i in $(seq 40); do
	[ -n "$guid" ] && [ -e "/sys/bus/vmbus/devices/$guid/driver" ] &&
		drv=$(basename "$(readlink "/sys/bus/vmbus/devices/$guid/driver")")
	for f in "/sys/bus/vmbus/devices/$guid"/serio*/input/input*/name; do
		[ -n "$guid" ] && [ -r "$f" ] && input=$(cat "$f")
	done
	[ "$input" != none ] && break
	sleep 0.5
done
result=FAIL
[ "$drv" = hyperv_keyboard ] && [ "$input" != none ] && result=PASS
guest-check keyboard $result "driver=$drv input=$input"

echo "vmbhv-keys: waiting ${wait_s}s for a typed command"
for i in $(seq $((wait_s * 2))); do
	[ -s /tmp/typed ] && break
	sleep 0.5
done
typed=$(head -n 1 /tmp/typed 2>/dev/null)
result=FAIL
[ -n "$typed" ] && result=PASS
guest-check keys $result "typed=${typed:-nothing}"
