#!/usr/bin/env bash
# make bench, part 6: the guest on several virtual processors. For each N of
# BENCH_VPS (default "1 2 4"), on a QEMU machine with N CPUs (QEMU_SMP=N):
# 1. boot time, kernel start ("Linux version") to power-off, of the default
#    kernel + initramfs in check mode booted directly by QEMU (-smp N) and
#    under vmbhv (vcpus = N), alternately BENCH_RUNS times (default 3), the
#    medians and their ratio (measured as boot.sh does);
# 2. the all-CPU echo: vmbhv with vcpus = N, one test device per VP and the
#    probe's vmbhv_probe.bench_cpus=1 (its check spreads the channels over
#    the CPUs, guest/kmod/README.md "All CPUs"): aggregate MB/s and each CPU's;
# 3. the last vmbhv boot's exits by reason, from its summary line.
# Numbers are measurements to compare, never assertions; the script fails
# only when a run does not produce them or the echo found a wrong byte.
# Environment: BENCH_VPS, BENCH_MS (echo milliseconds, default 1000),
# BENCH_DEPTH (echo packets in flight per channel, default 32), ACCEL=tcg|kvm.
set -euo pipefail
cd "$(dirname "$0")/../.."
. tests/bench/lib.sh
vps=${BENCH_VPS:-1 2 4} bench_ms=${BENCH_MS:-1000} depth=${BENCH_DEPTH:-32}
runs=${BENCH_RUNS:-3} # boots per N and side: the median is reported
kernel=build/guest/vmlinuz initrd=build/guest/initrd.cpio.gz
out=build/bench/smp
mkdir -p "$out"
append='console=ttyS0 panic=-1 vmbhv.mode=check'
bench_built smp build/hv.elf build/BOOTX64.EFI "$kernel" "$initrd"

bench_accel

# The echo runs' initramfs: hv_vmbus and the probe with its check script.
probe=$(guest/kmod/build.sh 2> "$out/kmod.err") || { cat "$out/kmod.err" >&2; exit 1; }
EXTRA_CHECKS=guest/kmod/check-probe.sh guest/mkinitramfs.sh "$out/echo-initrd.cpio.gz" \
    hv_vmbus "$probe" 2> /dev/null

# direct N LOG: QEMU boots the kernel itself on N CPUs
direct() {
    local t0=$EPOCHREALTIME
    timeout 300 qemu-system-x86_64 -machine q35 "${cpu[@]}" -m 2048 -smp "$1" -nodefaults \
        -display none -no-reboot -serial stdio -kernel "$kernel" -initrd "$initrd" \
        -append "$append" < /dev/null 2> /dev/null | timestamp "$t0" > "$2"
}

# vmbhv N NAME CFG-LINES INITRD: vmbhv on N CPUs with vcpus = N; the
# timestamped serial log in $out/NAME.log
vmbhv() {
    local cfg=$out/$2.cfg t0=$EPOCHREALTIME
    printf 'memory_mb = 512\nvcpus = %s\nkernel = hv/vmlinuz\ninitrd = hv/initrd\n%s\n' \
        "$1" "$3" > "$cfg"
    scripts/mkesp.sh "$out/$2.img" build/BOOTX64.EFI build/hv.elf "$cfg" \
        "$kernel=hv/vmlinuz" "$4=hv/initrd" > /dev/null
    QEMU_SMP=$1 ACCEL=$accel scripts/qemu.sh --esp "$out/$2.img" --log "$out/$2.raw" \
        --timeout 300 < /dev/null 2> /dev/null | timestamp "$t0" > "$out/$2.log" || true
}

# kernel start to power-off in seconds
kernel_s() {
    awk -v a="$(grep -m1 -- 'Linux version' "$1" | cut -d' ' -f1)" \
        -v b="$(tail -n1 "$1" | cut -d' ' -f1)" 'BEGIN { if (a > 0) printf "%.2f", b - a; else print "-" }'
}
# field KEY LINE: the value of KEY=value in LINE
field() { grep -o "\(^\| \)$1=[^ ]*" <<< "$2" | head -n1 | cut -d= -f2 || true; }

# the median of the numbers on stdin, one per line
median() { sort -n | awk 'NF { a[++n] = $1 } END { print n ? a[int((n + 1) / 2)] : "-" }'; }

status=0 boots=() echoes=()
for n in $vps; do
    ds= vs= # direct and vmbhv boots alternate, so both see the same load
    for ((r = 0; r < runs; r++)); do
        direct "$n" "$out/direct-$n.log"
        ds+=$(kernel_s "$out/direct-$n.log")$'\n'
        vmbhv "$n" "boot-$n" "cmdline = $append" "$initrd"
        vs+=$(kernel_s "$out/boot-$n.log")$'\n'
    done
    devices=$(for ((i = 0; i < n; i++)); do echo "device = test name=bench$i"; done)
    vmbhv "$n" "echo-$n" "cmdline = $append vmbhv_probe.bench_cpus=1 vmbhv_probe.bench_ms=$bench_ms vmbhv_probe.bench_depth=$depth
$devices" "$out/echo-initrd.cpio.gz"

    d=$(median <<< "$ds") v=$(median <<< "$vs")
    s=$(grep -m1 -o 'hv: summary .*' "$out/boot-$n.log" || true)
    [ -n "$s" ] || { echo "smp bench: no summary line at $n VPs ($out/boot-$n.log)" >&2; status=1; }
    boots+=("$(printf '%4s %9s %9s %6s %7s %6s %6s %5s %5s %7s %6s' "$n" "$d" "$v" \
        "$(awk -v a="$v" -v b="$d" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }')" \
        "$(field exits "$s")" "$(field cpuid "$s")" "$(field msr "$s")" "$(field ioio "$s")" \
        "$(field npf "$s")" "$(field vmmcall "$s")" "$(field intr "$s")")")

    bench=$(sed -n 's/^.*vmbhv-bench: //p' "$out/echo-$n.log")
    all=$(grep -m1 '^all ' <<< "$bench" || true)
    check=$(grep -m1 -o 'GUEST-CHECK vmbhv-bench-cpus .*' "$out/echo-$n.log" || true)
    per=$(grep '^cpu ' <<< "$bench" | sort -n -k2 | awk '{ for (i = 3; i <= NF; i++)
        if ($i ~ /^MB\/s=/) { sub(/MB\/s=/, "", $i); s = s (s ? " " : "") $2 ":" $i } } END { print s }')
    echoes+=("$(printf '%4s %8s %4s %9s %6s  %-28s %s' "$n" "$(field channels "$all")" \
        "$(field cpus "$all")" "$(field echo "$all")" "$(field errors "$all")" "${per:--}" \
        "$(cut -d' ' -f3 <<< "${check:-- -}")")")
    if [ -z "$all" ] || [ "$(field errors "$all")" != 0 ] || [[ $check != *" PASS "* ]]; then
        echo "smp bench: the echo at $n VPs: ${check:-no GUEST-CHECK vmbhv-bench-cpus line}" \
            "($out/echo-$n.log)" >&2
        status=1
    fi
done

echo "smp benchmark: accel=$accel, kernel $(cat build/guest/kernel-release), N CPUs = N VPs"
echo "boot, kernel start to power-off (s), and vmbhv's exits by reason for that boot:"
printf '%4s %9s %9s %6s %7s %6s %6s %5s %5s %7s %6s\n' VPs direct vmbhv ratio exits cpuid msr \
    ioio npf vmmcall intr
printf '%s\n' "${boots[@]}"
echo "all-CPU echo (4080-byte packets, ${bench_ms} ms, up to $depth in flight per channel," \
    "one test device per VP):"
printf '%4s %8s %4s %9s %6s  %-28s %s\n' VPs channels cpus "MB/s" errors "per CPU (cpu:MB/s)" check
printf '%s\n' "${echoes[@]}"
echo "(MB/s: 10^6 payload bytes a second, each sent, echoed back and checked byte for byte;"
echo " the aggregate is every channel's bytes over the run's wall time; wall times include"
echo " QEMU's own CPU threads sharing this host's $(nproc) cores)"
exit $status
