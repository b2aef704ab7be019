#!/bin/sh
# check-attack.sh - GUEST-CHECK lines from vmbhv_attack.ko's kernel log lines.
# Meant for the initramfs' /etc/vmbhv/checks/ (the e2e passes it as
# EXTRA_CHECKS). busybox sh; reads dmesg and sysfs. The module ran its cases
# in insmod, before any check script: these lines only report them.
#
#   GUEST-CHECK vmbhv-attack-<case> PASS|FAIL <detail>
#       one per "vmbhv-attack: <case> PASS|FAIL <detail>" line
#   GUEST-CHECK vmbhv-attack PASS|FAIL cases=N passed=N failed=N
#       the module is loaded, logged its "done" line, and no case failed
sys=${VMBHV_SYSFS:-/sys} # overridable for testing off the guest
kmsg() { if [ -n "${VMBHV_KMSG:-}" ]; then cat "$VMBHV_KMSG"; else dmesg; fi; }

if [ ! -d "$sys/module/vmbhv_attack" ]; then
	guest-check vmbhv-attack FAIL "module vmbhv_attack not loaded"
	exit 0
fi

log=$(kmsg | sed -n 's/^.*vmbhv-attack: //p')
echo "$log" | grep -E '^[a-z0-9-]+ (PASS|FAIL)( |$)' | while read -r name status detail; do
	guest-check "vmbhv-attack-$name" "$status" "$detail"
done

done=$(echo "$log" | grep '^done ' | tail -n 1)
failed=$(echo "$done" | sed -n 's/.* failed=\([0-9]*\).*/\1/p')
if [ -z "$done" ]; then
	guest-check vmbhv-attack FAIL "no done line: the module did not finish"
elif [ "$failed" = 0 ]; then
	guest-check vmbhv-attack PASS "${done#done }"
else
	guest-check vmbhv-attack FAIL "${done#done }"
fi
