#!/bin/sh
# The stock hyperv_fb on vmbhv's video device (docs/video.md): it bound
# (fb0 is "hyperv_fb"), where its VRAM lies in /proc/iomem and how big it is,
# then the known pattern drawn into /dev/fb0 (fbpattern, by the check or typed
# at the machine: vmbhv.fb_typed=SECONDS) for the scenario's screendump, which
# it waits for (vmbhv.screen_wait=SECONDS, default 0).
# Only in initramfs images built with EXTRA_CHECKS naming this file.
#   GUEST-CHECK video PASS|FAIL fb0=<name> vram=<start>-<end> size_mb=<n> mode=<w>,<h>
#   GUEST-CHECK fbpattern PASS|FAIL <what fbpattern said>
class='{da0a7802-e377-4aac-8e77-0558eb1073f8}'
name=$(cat /sys/class/graphics/fb0/name 2>/dev/null)
guid=
for d in /sys/bus/vmbus/devices/*; do
	[ "$(cat "$d/class_id" 2>/dev/null)" = "$class" ] && guid=${d##*/}
done
vram=none size_mb=0
if [ -n "$guid" ]; then
	line=$(grep -i " : $guid\$" /proc/iomem | head -n 1)
	range=$(echo "$line" | tr -d ' ' | cut -d: -f1)
	if [ -n "$range" ]; then
		vram=$range
		size_mb=$(((0x${range#*-} - 0x${range%-*} + 1) / 1048576))
	fi
fi
mode=$(cat /sys/class/graphics/fb0/virtual_size 2>/dev/null)
result=FAIL
[ "$name" = hyperv_fb ] && [ "$vram" != none ] && result=PASS
guest-check video $result "fb0=${name:-none} vram=$vram size_mb=$size_mb mode=${mode:-none}"

# vmbhv.fb_typed=S: a person at the machine runs fbpattern in the framebuffer
# console's shell (the scenario types it); else the check runs it itself.
typed_s= wait_s=0
for arg in $(cat /proc/cmdline); do
	case $arg in
	vmbhv.fb_typed=*) typed_s=${arg#*=} ;;
	vmbhv.screen_wait=*) wait_s=${arg#*=} ;;
	esac
done
if [ -n "$typed_s" ]; then
	echo "vmbhv-video: waiting for keys: fbpattern >/tmp/fbpattern.out"
	i=0
	while [ ! -s /tmp/fbpattern.out ] && [ $i -lt $((typed_s * 2)) ]; do
		sleep 0.5
		i=$((i + 1))
	done
	sleep 1 # the typed command may still be writing
	out=$(cat /tmp/fbpattern.out 2>/dev/null)
	case $out in "fbpattern: drawn "*) result=PASS ;; *) result=FAIL out="nothing typed arrived${out:+: $out}" ;; esac
else
	out=$(fbpattern 2>&1)
	if [ $? = 0 ]; then result=PASS; else result=FAIL; fi
fi
guest-check fbpattern $result "$out"
sleep "$wait_s"
