#!/usr/bin/env bash
# make bench, part 2: VMBus echo throughput and exits per idle second.
#
# 1. Boots vmbhv with one `test` device and the guest probe in bench mode
#    (vmbhv_probe.bench=1, guest/kmod/README.md) and prints, per packet size,
#    the echo's MB/s and packets/s next to the guest's own memcpy MB/s at that
#    size and their ratio; then the same boot without the bench, for the exits
#    each echoed packet costs.
# 2. Boots the default configuration (config/hv.cfg, the default initramfs)
#    twice in check mode, once idling vmbhv.idle=S seconds after the checks and
#    once not, and prints (exits_idle - exits_none) / S from the hypervisor's
#    summary lines, and which counters the idle seconds added.
# Numbers are measurements to compare, never assertions; the script fails only
# when a run does not produce them or the probe found a wrong byte.
#
# Environment: BENCH_MS (echo milliseconds per size, default 1000),
# BENCH_DEPTH (echo packets in flight at most, default 32), BENCH_IDLE
# (seconds, default 30), BENCH_IDLE_CFG (default config/hv.cfg),
# BENCH_IDLE_INITRD (default build/guest/initrd.cpio.gz), ACCEL=tcg|kvm.
set -euo pipefail
cd "$(dirname "$0")/../.."
. tests/bench/lib.sh
bench_ms=${BENCH_MS:-1000} depth=${BENCH_DEPTH:-32} idle=${BENCH_IDLE:-30}
idle_cfg=${BENCH_IDLE_CFG:-config/hv.cfg}
idle_initrd=${BENCH_IDLE_INITRD:-build/guest/initrd.cpio.gz}
accel=${ACCEL:-tcg}
out=build/bench
mkdir -p "$out"
bench_built echo build/hv.elf build/BOOTX64.EFI build/guest/vmlinuz "$idle_initrd"

# The echo runs' initramfs: hv_vmbus and the probe with its check script.
probe=$(guest/kmod/build.sh 2> "$out/kmod.err") || { cat "$out/kmod.err" >&2; exit 1; }
EXTRA_CHECKS=guest/kmod/check-probe.sh guest/mkinitramfs.sh "$out/echo-initrd.cpio.gz" \
    hv_vmbus "$probe" 2> /dev/null
cat > "$out/echo-base.cfg" << 'EOF'
memory_mb = 512
kernel = hv/vmlinuz
initrd = hv/initrd
cmdline = console=ttyS0 panic=-1 vmbhv.mode=check
device = test name=bench0
EOF
scripts/mkcfg.sh "$idle_cfg" check > "$out/idle-base.cfg"

# boot NAME CFG INITRD EXTRA-CMDLINE: one QEMU run of CFG with EXTRA-CMDLINE
# added to its guest command line; the serial log, cleaned, in $out/NAME.log
boot() {
    local cfg=$out/$1.cfg rc=0
    sed -E "s|^([[:space:]]*cmdline[[:space:]]*=.*)\$|\\1 $4|" "$2" > "$cfg"
    scripts/mkesp.sh "$out/$1.img" build/BOOTX64.EFI build/hv.elf "$cfg" \
        build/guest/vmlinuz=hv/vmlinuz "$3=hv/initrd" > /dev/null
    ACCEL=$accel scripts/qemu.sh --esp "$out/$1.img" --log "$out/$1.raw" --timeout $((idle + 300)) \
        --quiet < /dev/null 2> /dev/null || rc=$?
    sed -e 's/\r$//' -e 's/\x1b\[[0-9;=]*[a-zA-Z]//g' "$out/$1.raw" > "$out/$1.log"
    [ "$rc" = 0 ] || echo "echo bench: run $1: qemu.sh status $rc (log $out/$1.log)" >&2
    return 0
}

# field KEY LINE: the value of KEY=value in LINE
field() { grep -o "\(^\| \)$1=[^ ]*" <<< "$2" | head -n1 | cut -d= -f2 || true; }
summary() { grep -m1 '^hv: summary ' "$out/$1.log" || true; }

boot echo "$out/echo-base.cfg" "$out/echo-initrd.cpio.gz" \
    "vmbhv_probe.bench=1 vmbhv_probe.bench_ms=$bench_ms vmbhv_probe.bench_depth=$depth"
boot plain "$out/echo-base.cfg" "$out/echo-initrd.cpio.gz" ""
boot idle "$out/idle-base.cfg" "$idle_initrd" "vmbhv.idle=$idle"
boot none "$out/idle-base.cfg" "$idle_initrd" ""

status=0
bench=$(sed -n 's/^.*vmbhv-bench: //p' "$out/echo.log")
echo "echo benchmark: accel=$accel, vmbhv + $(cat build/guest/kernel-release), one test device," \
    "${bench_ms} ms per size, up to $depth packets in flight"
if ! grep -q '^echo ' <<< "$bench"; then
    echo "  no vmbhv-bench lines (log: $out/echo.log)"
    status=1
else
    printf '%8s %12s %12s %14s %12s\n' size "echo MB/s" "echo pkt/s" "memcpy MB/s" echo/memcpy
    while read -r line; do
        size=$(field size "$line")
        mbs=$(field MB/s "$line")
        mc=$(field MB/s "$(grep "^memcpy size=$size " <<< "$bench" || true)")
        printf '%8s %12s %12s %14s %12s\n' "$size" "$mbs" "$(field pkt/s "$line")" "${mc:--}" \
            "$(awk -v a="$mbs" -v b="$mc" 'BEGIN { if (b > 0) printf "%.4f", a / b; else print "-" }')"
    done < <(grep '^echo ' <<< "$bench")
    while read -r line; do
        size=$(field size "$line")
        grep -q "^echo size=$size " <<< "$bench" ||
            printf '%8s %12s %12s %14s %12s\n' "$size" - - "$(field MB/s "$line")" -
    done < <(grep '^memcpy ' <<< "$bench")
    echo "(MB/s: 10^6 payload bytes a second, each sent, echoed back and checked byte for byte;"
    echo " memcpy: the guest kernel's memcpy of that many bytes, repeated)"
    errors=$(field errors "$(grep '^done ' <<< "$bench" || true)")
    if [ "${errors:-x}" != 0 ] || grep -q 'vmbhv-probe: FAIL' "$out/echo.log"; then
        echo "  ERRORS: ${errors:-the benchmark did not finish}; see $out/echo.log"
        grep 'vmbhv-probe: FAIL' "$out/echo.log" | head -n 5
        status=1
    fi
fi

# delta A B: the numeric summary counters that differ, "key=A-B ..."
delta() {
    awk -v a="$1" -v b="$2" 'function parse(s, m,  i, n, f, kv) {
            n = split(s, f, " ")
            for (i = 1; i <= n; i++)
                if (split(f[i], kv, "=") == 2 && kv[2] ~ /^[0-9]+$/) m[kv[1]] = kv[2]
        }
        BEGIN { parse(a, x); parse(b, y)
            for (k in x) if (k != "guest_ms" && k != "exits" && x[k] != y[k]) s = s " " k "=" x[k] - y[k]
            print s }'
}

s_echo=$(summary echo) s_plain=$(summary plain) s_idle=$(summary idle) s_none=$(summary none)
if [ -n "$s_echo" ] && [ -n "$s_plain" ]; then
    packets=$(grep '^echo ' <<< "$bench" | grep -o ' packets=[0-9]*' | cut -d= -f2 |
        awk '{ s += $1 } END { print s + 0 }')
    e=$(field exits "$s_echo") n=$(field exits "$s_plain")
    echo "exits: $e in the echo run, $n in the same boot without the bench;" \
        "$(awk -v a="$e" -v b="$n" -v p="$packets" \
            'BEGIN { if (p > 0) printf "%.3f", (a - b) / p; else print "-" }') per echoed packet"
    echo "  the bench added:$(delta "$s_echo" "$s_plain")"
else
    echo "exits: no summary line (logs: $out/echo.log, $out/plain.log)"
    status=1
fi
if [ -n "$s_idle" ] && [ -n "$s_none" ]; then
    i=$(field exits "$s_idle") n=$(field exits "$s_none")
    echo "idle ($idle_cfg, $(grep -c '^[[:space:]]*device' "$idle_cfg") devices): exits $i with" \
        "vmbhv.idle=$idle, $n without (guest_ms $(field guest_ms "$s_idle") vs" \
        "$(field guest_ms "$s_none")): $(awk -v a="$i" -v b="$n" -v s="$idle" \
            'BEGIN { printf "%.1f", (a - b) / s }') exits per idle second"
    echo "  the idle seconds added:$(delta "$s_idle" "$s_none")"
else
    echo "idle: no summary line (logs: $out/idle.log, $out/none.log)"
    status=1
fi
exit $status
