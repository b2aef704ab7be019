#!/bin/sh
# Several VPs (docs/smp.md): the guest sees vmbhv.vcpus CPUs; every open
# channel's interrupts arrive on the CPU its sysfs "cpu" names, moved to each
# CPU in turn (MODIFYCHANNEL); the last CPU goes offline and comes back
# (INIT and SIPI through HV_X64_MSR_ICR) and takes interrupts again.
# Interrupts are counted on /proc/interrupts' HYP line (the VMBus callback
# vector, per CPU); the ICs' host timers (heartbeat every second) keep them
# coming. Only in initramfs images built with EXTRA_CHECKS naming this file.
#   GUEST-CHECK smp-cpus PASS|FAIL online=<list> want=<n>
#   GUEST-CHECK smp-irq-cpu<c> PASS|FAIL channels=<k> hyp=<delta per cpu>
#   GUEST-CHECK smp-offline PASS|FAIL cpu=<c> online=<list>
#   GUEST-CHECK smp-online PASS|FAIL cpu=<c> online=<list>
#   GUEST-CHECK smp-nmi PASS|FAIL cpus=<list>   every other CPU answered an NMI
#       IPI (sysrq l: "NMI backtrace for cpu <c>")
want=1
for arg in $(cat /proc/cmdline); do
	case $arg in vmbhv.vcpus=*) want=${arg#*=} ;; esac
done
online=$(cat /sys/devices/system/cpu/online)
last=$((want - 1))
expect_online=0
[ "$last" -gt 0 ] && expect_online="0-$last"
st=FAIL
[ "$online" = "$expect_online" ] && st=PASS
guest-check smp-cpus $st "online=$online want=$want"

# hyp: the HYP line's per-CPU counts, space-separated
hyp() { awk '$1 == "HYP:" { s = ""; for (i = 2; i <= NF && $i ~ /^[0-9]+$/; i++) s = s " " $i; print s }' /proc/interrupts; }
# move_all C: every open channel to CPU C; prints how many
move_all() {
	k=0
	for f in /sys/bus/vmbus/devices/*/channels/*/cpu; do
		[ -e "$f" ] || continue
		echo "$1" >"$f" 2>/dev/null && [ "$(cat "$f")" = "$1" ] && k=$((k + 1))
	done
	echo $k
}
# irq_on C: channels on C only; over 3 s HYP rises on C and nowhere else
irq_on() {
	target=$1
	k=$(move_all "$target")
	sleep 1 # the MODIFYCHANNEL answers come to CPU 0: let them pass
	a=$(hyp)
	sleep 3
	b=$(hyp)
	set -- $a
	i=0 ok=$k delta=
	for y in $b; do
		eval "x=\${$((i + 1))}"
		d=$((y - x))
		delta="$delta${delta:+,}$d"
		if [ "$i" = "$target" ]; then [ "$d" -gt 0 ] || ok=0; else [ "$d" = 0 ] || ok=0; fi
		i=$((i + 1))
	done
	st=FAIL
	[ "$ok" -gt 0 ] && st=PASS
	guest-check "smp-irq-cpu$target" $st "channels=$k hyp=$delta"
}
c=$last
while [ "$c" -ge 0 ]; do
	irq_on $c
	c=$((c - 1))
done
[ "$last" -gt 0 ] || exit 0

# Offline needs the CPU free of channels: they are all on CPU 0 now.
f=/sys/devices/system/cpu/cpu$last/online
echo 0 >"$f"
online=$(cat /sys/devices/system/cpu/online)
st=FAIL
[ "$(cat "$f")" = 0 ] && st=PASS
guest-check smp-offline $st "cpu=$last online=$online"
echo 1 >"$f"
online=$(cat /sys/devices/system/cpu/online)
st=FAIL
[ "$(cat "$f")" = 1 ] && [ "$online" = "$expect_online" ] && st=PASS
guest-check smp-online $st "cpu=$last online=$online"
c=$last
irq_on $c
move_all 0 >/dev/null

# NMIs between the guest's CPUs: sysrq l sends one to every other CPU, each
# prints its backtrace
# (sent from CPU 0; an idle CPU answers "... skipped: idling at ...").
echo 1 >/proc/sys/kernel/sysrq
taskset 1 sh -c 'echo l >/proc/sysrq-trigger'
sleep 1
seen= ok=1
for c in $(seq 1 "$last"); do
	if dmesg | grep -Eq "NMI backtrace for cpu $c( |\$)"; then seen="$seen${seen:+,}$c"; else ok=0; fi
done
st=FAIL
[ $ok = 1 ] && st=PASS
guest-check smp-nmi $st "cpus=${seen:-none}"
