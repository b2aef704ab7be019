#!/usr/bin/env bash
# make bench, part 3: the video device on the machine's screen.
#
# 1. Boots vmbhv with a video device, the stock hyperv_fb and a screen, and
#    has the guest redraw its whole 1024x768 screen as fast as it can for
#    BENCH_VIDEO_S seconds (fbpattern --frames): prints the frames the guest
#    wrote per second and the DIRT messages its hyperv_fb sent per second (the
#    baseline: what it asks to show), the full screens the host copied to the
#    GOP per second (batched: at most one copy per 20 ms), their ratio, the
#    host time per copy and the exits per copy (against the same boot without
#    the redraw).
# 2. Boots the same configuration idle for BENCH_IDLE seconds and not: exits
#    per idle second with the video device configured and an idle screen;
#    then the same with the guest's console cursor not blinking (fbcon's
#    blink is a DIRT message five times a second).
# Numbers are measurements to compare, never assertions; the script fails only
# when a run does not produce them.
set -euo pipefail
cd "$(dirname "$0")/../.."
. tests/bench/lib.sh
secs=${BENCH_VIDEO_S:-10} idle=${BENCH_IDLE:-30} accel=${ACCEL:-tcg}
out=build/bench
mkdir -p "$out"
bench_built video build/hv.elf build/BOOTX64.EFI build/guest/vmlinuz
cat > "$out/video-check.sh" << 'EOF2'
#!/bin/sh
# the video bench's guest side: redraw for vmbhv.frames=S seconds if asked;
# vmbhv.noblink: the console's cursor stops blinking (before an idle spell)
for arg in $(cat /proc/cmdline); do
	case $arg in
	vmbhv.frames=*) fbpattern --frames "${arg#*=}" ;;
	vmbhv.noblink) echo 0 >/sys/class/graphics/fbcon/cursor_blink ;;
	esac
done
EOF2
chmod +x "$out/video-check.sh"
EXTRA_CHECKS=$out/video-check.sh guest/mkinitramfs.sh "$out/video-initrd.cpio.gz" \
    hv_vmbus hyperv_fb 2> /dev/null
cat > "$out/video-base.cfg" << 'EOF2'
memory_mb = 512
kernel = hv/vmlinuz
initrd = hv/initrd
cmdline = console=ttyS0 panic=-1 vmbhv.mode=check
device = video name=fb
EOF2

# boot NAME EXTRA-CMDLINE: one run with a screen; the serial log, cleaned, in $out/NAME.log
boot() {
    local cfg=$out/$1.cfg rc=0
    sed -E "s|^([[:space:]]*cmdline[[:space:]]*=.*)\$|\\1 $2|" "$out/video-base.cfg" > "$cfg"
    scripts/mkesp.sh "$out/$1.img" build/BOOTX64.EFI build/hv.elf "$cfg" \
        build/guest/vmlinuz=hv/vmlinuz "$out/video-initrd.cpio.gz=hv/initrd" > /dev/null
    ACCEL=$accel scripts/qemu.sh --esp "$out/$1.img" --log "$out/$1.raw" --screen none \
        --timeout $((idle + secs + 300)) --quiet < /dev/null 2> /dev/null || rc=$?
    sed -e 's/\r$//' -e 's/\x1b\[[0-9;=]*[a-zA-Z]//g' "$out/$1.raw" > "$out/$1.log"
    [ "$rc" = 0 ] || echo "video bench: run $1: qemu.sh status $rc (log $out/$1.log)" >&2
    return 0
}
field() { grep -o "\(^\| \)$1=[^ ]*" <<< "$2" | head -n1 | cut -d= -f2 || true; }
summary() { grep -m1 '^hv: summary ' "$out/$1.log" || true; }

boot video-frames "vmbhv.frames=$secs"
boot video-plain ""
boot video-idle "vmbhv.idle=$idle"
boot video-noblink "vmbhv.noblink vmbhv.idle=$idle"
boot video-noblink0 "vmbhv.noblink"

status=0
s_f=$(summary video-frames) s_p=$(summary video-plain)
drawn=$(sed -n 's/^.*fbpattern: frames=\([0-9]*\) ms=\([0-9]*\).*$/\1 \2/p' "$out/video-frames.log")
echo "video benchmark: accel=$accel, vmbhv + $(cat build/guest/kernel-release), hyperv_fb at" \
    "1024x768x32 on a 1024x768 GOP, ${secs} s of full-screen redraws"
if [ -z "$s_f" ] || [ -z "$s_p" ] || [ -z "$drawn" ]; then
    echo "  no result (logs: $out/video-frames.log, $out/video-plain.log)"
    status=1
else
    read -r frames ms <<< "$drawn"
    awk -v f="$frames" -v ms="$ms" -v fl="$(field screen_flushes "$s_f")" \
        -v fl0="$(field screen_flushes "$s_p")" -v px="$(field screen_pixels "$s_f")" \
        -v px0="$(field screen_pixels "$s_p")" -v us="$(field screen_copy_us "$s_f")" \
        -v us0="$(field screen_copy_us "$s_p")" -v e="$(field exits "$s_f")" \
        -v e0="$(field exits "$s_p")" -v d="$(field video_dirt "$s_f")" \
        -v d0="$(field video_dirt "$s_p")" 'BEGIN {
        full = (px - px0) / (1024 * 768); s = ms / 1000; n = fl - fl0; dirt = (d - d0) / s
        printf "  guest: %d frames written in %.1f s (%.1f/s); hyperv_fb sent %.1f DIRT/s (its deferred I/O: at most 20/s)\n", f, s, f / s, dirt
        printf "  host: %d copies to the GOP, %.1f full screens = %.1f full screens/s; ratio to the guest DIRT rate: %.3f\n", n, full, full / s, (dirt > 0 ? (full / s) / dirt : 0)
        if (n > 0) printf "  per copy: %.0f us of host time, %.1f exits\n", (us - us0) / n, (e - e0) / n
    }'
fi
# idle_line LABEL IDLE_RUN BASE_RUN: exits per idle second between the two runs
idle_line() {
    local a b
    a=$(summary "$2") b=$(summary "$3")
    if [ -z "$a" ] || [ -z "$b" ]; then
        echo "$1: no summary line (logs: $out/$2.log, $out/$3.log)"
        return 1
    fi
    echo "$1: $(awk -v a="$(field exits "$a")" -v b="$(field exits "$b")" -v s="$idle" \
        'BEGIN { printf "%.1f", (a - b) / s }') exits per idle second (screen flushes while" \
        "idle: $(($(field screen_flushes "$a") - $(field screen_flushes "$b"))))"
}
idle_line "idle (video device, idle screen)" video-idle video-plain || status=1
idle_line "idle, the guest's cursor not blinking" video-noblink video-noblink0 || status=1
exit $status
