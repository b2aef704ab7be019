#!/bin/sh
# The EFI handoff vmbhv builds for a guest with a video device (docs/video.md,
# "The EFI_BOOT gate"): Linux took it as an EFI boot. Only in initramfs images
# built with EXTRA_CHECKS naming this file (scenario 45-efi-gate).
#   GUEST-CHECK efi PASS|FAIL sysfs=yes|no runtime=<efi runtime-map entries>|none
if [ -d /sys/firmware/efi ]; then
	sysfs=yes
else
	sysfs=no
fi
runtime=none
if [ -d /sys/firmware/efi/runtime-map ]; then
	set -- /sys/firmware/efi/runtime-map/*
	[ -e "$1" ] && runtime=$#
fi
result=FAIL
[ $sysfs = yes ] && result=PASS
echo "GUEST-CHECK efi $result sysfs=$sysfs runtime=$runtime"
