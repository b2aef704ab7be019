#!/usr/bin/env bash
# make bench: boots the same kernel + initramfs directly under QEMU and under
# vmbhv (same CPU model and accelerator), side by side, and prints time to the
# guest's first userspace line and to power-off, their ratio, and vmbhv's exits.
# Numbers are measurements to compare, never assertions. BENCH_TRACE=<classes>
# boots vmbhv with that trace on (its cost: the trace's records and lines).
set -euo pipefail
cd "$(dirname "$0")/../.."
. tests/bench/lib.sh
runs=${BENCH_RUNS:-3}
kernel=build/guest/vmlinuz initrd=build/guest/initrd.cpio.gz
out=build/bench
mkdir -p "$out"
append='console=ttyS0 panic=-1 vmbhv.mode=check'

bench_accel

direct() {
    local t0=$EPOCHREALTIME
    timeout 300 qemu-system-x86_64 -machine q35 "${cpu[@]}" -m 2048 -smp 1 -nodefaults \
        -display none -no-reboot -serial stdio -kernel "$kernel" -initrd "$initrd" \
        -append "$append" < /dev/null 2> /dev/null | timestamp "$t0" > "$1"
}

vmbhv() {
    local cfg=$out/hv.cfg t0=$EPOCHREALTIME
    printf 'kernel = hv/vmlinuz\ninitrd = hv/initrd\ncmdline = %s\n' "$append" > "$cfg"
    [ -z "${BENCH_TRACE:-}" ] || echo "trace = $BENCH_TRACE" >> "$cfg"
    scripts/mkesp.sh "$out/esp.img" build/BOOTX64.EFI build/hv.elf "$cfg" \
        "$kernel=hv/vmlinuz" "$initrd=hv/initrd"
    ACCEL=$accel scripts/qemu.sh --esp "$out/esp.img" --log "$out/serial.log" --timeout 300 \
        < /dev/null 2> /dev/null | timestamp "$t0" > "$1" || true
}

first() { grep -m1 -- "$2" "$1" | cut -d' ' -f1; }
last_time() { tail -n1 "$1" | cut -d' ' -f1; }
printk() { grep -m1 -- "$2" "$1" | sed -n 's/^[0-9.]* \[ *\([0-9.]*\)\].*/\1/p'; }
avg() { awk '{ s += $1; n++ } END { if (n) printf "%.2f", s / n; else print "-" }'; }

declare -A m
for kind in direct vmbhv; do
    for ((i = 1; i <= runs; i++)); do
        log=$out/$kind.$i.log
        "$kind" "$log"
        m[$kind.user]+="$(first "$log" 'GUEST-CHECK kernel')"$'\n'
        m[$kind.off]+="$(last_time "$log")"$'\n'
        m[$kind.init]+="$(printk "$log" 'Run /init')"$'\n'
        m[$kind.kernel]+="$(awk -v a="$(first "$log" 'Linux version')" -v b="$(last_time "$log")" \
            'BEGIN { printf "%.3f", b - a }')"$'\n'
    done
done

row() { # label key
    local d v
    d=$(printf '%s' "${m[direct.$2]}" | avg)
    v=$(printf '%s' "${m[vmbhv.$2]}" | avg)
    printf '%-36s %10s %10s %8s\n' "$1" "$d" "$v" \
        "$(awk -v a="$v" -v b="$d" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }')"
}

echo "boot benchmark: accel=$accel, $runs run(s) each, kernel $(cat build/guest/kernel-release)${BENCH_TRACE:+, vmbhv with trace = $BENCH_TRACE}"
printf '%-36s %10s %10s %8s\n' "" direct vmbhv ratio
row "wall: QEMU start to first userspace" user
row "wall: QEMU start to power-off" off
row "wall: kernel start to power-off" kernel
row "guest: kernel uptime at Run /init" init
echo "(wall times include the firmware: OVMF for vmbhv, SeaBIOS for the direct boot)"
summary=$(grep -ho 'hv: summary.*' "$out/vmbhv.$runs.log" | tail -n1)
echo "vmbhv exits (last run): ${summary#hv: summary }"
