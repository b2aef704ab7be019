#!/bin/sh
# check-probe.sh - GUEST-CHECK lines from vmbhv_probe.ko's kernel log lines.
# Meant for the initramfs as /etc/vmbhv/checks/20-vmbhv-probe.sh (after
# 10-vmbus.sh has waited for the channels). busybox sh; reads dmesg and sysfs.
#
#   GUEST-CHECK vmbhv-probe PASS|FAIL devices=N [missing=RELID,...] [fail=N]
#       every device in /sys/bus/vmbus/devices has its "channel" line with the
#       same relid, class and instance; no "vmbhv-probe: FAIL" line was logged
#   GUEST-CHECK vmbhv-probe-test-<relid> PASS|FAIL <window line> <allocation line>
#       per test device: the window decoded and vmbus_allocate_mmio() succeeded
#       inside it
#   GUEST-CHECK vmbhv-probe-open-<relid> PASS|FAIL   the probe opened the channel
#   GUEST-CHECK vmbhv-probe-close PASS|FAIL closed=N  rmmod closed every open one
#   GUEST-CHECK vmbhv-bench PASS|FAIL echo=N memcpy=N errors=N
#       only with vmbhv_probe.bench=1: the benchmark finished, every echoed
#       byte was right (the numbers are in the "vmbhv-bench:" lines)
#   GUEST-CHECK vmbhv-bench-cpus PASS|FAIL cpus=N channels=K moved=M on=RELID@CPU,... echo=MB/s errors=N
#       only with vmbhv_probe.bench_cpus=1: the test channels are spread over
#       the online CPUs first (channel i to CPU i mod N, through sysfs: the
#       guest driver's own MODIFYCHANNEL), then the all-CPU echo runs; PASS
#       when every channel streamed from the CPU it was put on, its echoes'
#       interrupts arrived there, no byte was wrong, and no two channels
#       shared a CPU while there were CPUs enough
TEST_CLASS=eec1e1e7-2dea-409d-97ec-019117e67f6f
sys=${VMBHV_SYSFS:-/sys}   # overridable for testing off the guest
kmsg() { if [ -n "${VMBHV_KMSG:-}" ]; then cat "$VMBHV_KMSG"; else dmesg; fi; }

if [ ! -d "$sys/module/vmbhv_probe" ]; then
	guest-check vmbhv-probe FAIL "module vmbhv_probe not loaded"
	exit 0
fi

# bench=1: the benchmark runs in the probe; wait for its end (late devices are
# probed outside insmod), then report it.
if [ "$(cat "$sys/module/vmbhv_probe/parameters/bench" 2>/dev/null)" = Y ] &&
	cat "$sys"/bus/vmbus/devices/*/class_id 2>/dev/null | grep -q "$TEST_CLASS"; then
	i=0
	until kmsg | grep -q 'vmbhv-bench: done ' || [ $i -ge 100 ]; do
		sleep 1
		i=$((i + 1))
	done
	bench=$(kmsg | sed -n 's/^.*vmbhv-bench: //p')
	echoes=$(echo "$bench" | grep -c '^echo ')
	copies=$(echo "$bench" | grep -c '^memcpy ')
	errors=$(echo "$bench" | sed -n 's/^done errors=\([0-9]*\) .*/\1/p')
	if [ "$errors" = 0 ] && [ "$echoes" -gt 0 ] && [ "$copies" -gt 0 ]; then
		guest-check vmbhv-bench PASS "echo=$echoes memcpy=$copies errors=0"
	else
		guest-check vmbhv-bench FAIL "echo=$echoes memcpy=$copies errors=${errors:-none (not done)}"
	fi
fi

# bench_cpus=1: spread the test channels over the CPUs, run the all-CPU echo
# (the write returns when it is done) and check each channel's line.
if [ "$(cat "$sys/module/vmbhv_probe/parameters/bench_cpus" 2>/dev/null)" = Y ]; then
	online=$(cat "$sys/devices/system/cpu/online")
	ncpu=$((${online##*[-,]} + 1))
	i=0 moved=0 on=
	for d in "$sys"/bus/vmbus/devices/*; do
		[ -e "$d/id" ] && grep -q "$TEST_CLASS" "$d/class_id" || continue
		for c in "$d"/channels/*; do
			[ -e "$c/cpu" ] || continue
			want=$((i % ncpu)) i=$((i + 1))
			if [ "$(cat "$c/cpu")" != "$want" ] && [ -z "${VMBHV_KMSG:-}" ]; then
				echo "$want" >"$c/cpu" && moved=$((moved + 1))
			fi
			on="$on${on:+,}${c##*/}@$want"
		done
	done
	[ -n "${VMBHV_KMSG:-}" ] || echo 1 >"$sys/module/vmbhv_probe/parameters/bench_cpus"
	bench=$(kmsg | sed -n 's/^.*vmbhv-bench: //p')
	all=$(echo "$bench" | grep '^all ' | tail -n 1)
	bad=
	for p in $(echo "$on" | tr , ' '); do
		r=${p%@*} c=${p#*@}
		echo "$bench" | grep -q "^cpu $c relid=$r target=$c .* errors=0 off_cpu=0\$" ||
			bad="$bad${bad:+,}$p"
	done
	errors=$(echo "$all" | sed -n 's/.* errors=\([0-9]*\)$/\1/p')
	detail="cpus=$ncpu channels=$i moved=$moved on=$on echo=$(echo "$all" | sed -n 's/.* echo=\([0-9.]*\) .*/\1/p')"
	if [ -n "$all" ] && [ "$i" -gt 0 ] && [ -z "$bad" ] && [ "$errors" = 0 ] &&
		{ [ "$i" -gt "$ncpu" ] || echo "$all" | grep -q "^all cpus=$i channels=$i "; }; then
		guest-check vmbhv-bench-cpus PASS "$detail errors=0"
	else
		guest-check vmbhv-bench-cpus FAIL "$detail errors=${errors:-none (no all line)}${bad:+ bad=$bad}"
	fi
fi

log=$(kmsg | sed -n 's/^.*vmbhv-probe: //p')

n=0 missing=
for d in "$sys"/bus/vmbus/devices/*; do
	[ -e "$d/id" ] || continue
	n=$((n + 1))
	id=$(cat "$d/id")
	class=$(tr -d '{}' <"$d/class_id")
	inst=$(tr -d '{}' <"$d/device_id")
	echo "$log" | grep -q "^channel relid=$id class=$class instance=$inst " ||
		missing="$missing${missing:+,}$id"
	[ "$class" = "$TEST_CLASS" ] || continue

	win=$(echo "$log" | grep "^test window .* relid=$id\$" | tail -n 1)
	alloc=$(echo "$log" | grep -E "^vmbus_allocate_mmio (ok|failed|none requested) .* ?relid=$id\$" | tail -n 1)
	bad=$(echo "$log" | grep "^FAIL relid=$id " | tail -n 1)
	win=${win#test window }
	alloc=${alloc#vmbus_allocate_mmio }
	detail="${win% relid=*} alloc ${alloc% relid=*}${bad:+ ${bad#FAIL relid="$id" }}"
	case $alloc in
	"ok "* | "none requested "*) [ -z "$bad" ] && st=PASS || st=FAIL ;;
	*) st=FAIL ;;
	esac
	guest-check "vmbhv-probe-test-$id" "$st" "$detail"
	if echo "$log" | grep -q "^vmbus_open ok relid=$id\$"; then
		guest-check "vmbhv-probe-open-$id" PASS "relid=$id"
	else
		guest-check "vmbhv-probe-open-$id" FAIL "$(echo "$log" | grep "^vmbus_open .* relid=$id\$")"
	fi
done

fails=$(echo "$log" | grep -c '^FAIL')
if [ -z "$missing" ] && [ "$fails" = 0 ]; then
	guest-check vmbhv-probe PASS "devices=$n"
else
	[ "$fails" = 0 ] && fails= || fails=" fail=$fails"
	guest-check vmbhv-probe FAIL "devices=$n${missing:+ missing=$missing}$fails"
fi

# Unbinding closes the channels again: CLOSECHANNEL and GPADL teardown on the
# host side (not when testing off the guest).
[ -n "${VMBHV_KMSG:-}" ] && exit 0
opened=$(echo "$log" | grep -c '^vmbus_open ok ')
rmmod vmbhv_probe 2>/dev/null
closed=$(kmsg | grep -c 'vmbhv-probe: vmbus_close ')
if [ "$closed" = "$opened" ]; then
	guest-check vmbhv-probe-close PASS "closed=$closed"
else
	guest-check vmbhv-probe-close FAIL "opened=$opened closed=$closed"
fi
