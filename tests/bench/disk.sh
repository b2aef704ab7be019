#!/usr/bin/env bash
# make bench, part 4: the guest's disk through vmbhv against the same disk
# given to the same kernel directly, side by side in one run, on the same
# image file: the guest's stock hv_storvsc on a disk device backed by the
# image as the machine's virtio-blk disk (vmbhv: completed by MSI-X;
# polled: the same with the disk polled), and the guest's own
# virtio_blk on the image (QEMU boots the kernel directly). In each, diskbench
# (guest/diskbench.c, O_DIRECT) runs sequential 1 MiB writes, sequential 1 MiB
# reads and random 4 KiB reads for BENCH_DISK_S seconds (default 5) each.
# Prints each figure, the ratios vmbhv/direct, and vmbhv's exits per MiB
# moved. Numbers are measurements to compare, never assertions; the script
# fails only when a run does not produce them.
#
# Environment: BENCH_DISK_S, BENCH_DISK_MB (image size, default 256), ACCEL.
set -euo pipefail
cd "$(dirname "$0")/../.."
. tests/bench/lib.sh
secs=${BENCH_DISK_S:-5} mb=${BENCH_DISK_MB:-256}
out=build/bench/disk
mkdir -p "$out"
bench_built disk build/hv.elf build/BOOTX64.EFI build/guest/vmlinuz
bench_accel

# One initramfs for both: either driver finds its disk, the bench runs on it.
EXTRA_CHECKS=guest/extra-checks/70-diskbench.sh guest/mkinitramfs.sh "$out/initrd.cpio.gz" \
    hv_vmbus hv_storvsc sd_mod virtio_pci virtio_blk > /dev/null
append="console=ttyS0 panic=-1 vmbhv.mode=check vmbhv.diskbench=$secs"
img=$out/disk.img

fresh() { rm -f "$img" && truncate -s "${mb}M" "$img"; }

fresh
timeout $((secs * 3 + 300)) qemu-system-x86_64 -machine q35 "${cpu[@]}" -m 2048 -smp 1 -nodefaults \
    -display none -no-reboot -serial stdio -kernel build/guest/vmlinuz \
    -initrd "$out/initrd.cpio.gz" -append "$append" \
    -drive "if=none,id=d0,format=raw,file=$img" -device virtio-blk-pci,drive=d0 \
    < /dev/null 2> /dev/null | sed -e 's/\r$//' > "$out/direct.log" || true

cat > "$out/hv.cfg" << CFG
memory_mb = 512
kernel = hv/vmlinuz
initrd = hv/initrd
cmdline = $append
device = disk name=bench backing=serial:vmbhv-bench
CFG
scripts/mkesp.sh "$out/esp.img" build/BOOTX64.EFI build/hv.elf "$out/hv.cfg" \
    build/guest/vmlinuz=hv/vmlinuz "$out/initrd.cpio.gz=hv/initrd" > /dev/null
# vmbhv: the disk completes by MSI-X; polled: QEMU gives it no MSI-X, so
# the hypervisor polls it (docs/storage.md, "Completions").
vmbhv_run() {
    fresh
    ACCEL=$accel scripts/qemu.sh --esp "$out/esp.img" --log "$out/$1.raw" --quiet \
        --timeout $((secs * 3 + 300)) --disk "$img,serial=vmbhv-bench" -- "${@:2}" \
        < /dev/null 2> /dev/null || true
    sed -e 's/\r$//' -e 's/\x1b\[[0-9;=]*[a-zA-Z]//g' "$out/$1.raw" > "$out/$1.log"
}
vmbhv_run vmbhv
vmbhv_run polled -global virtio-blk-pci.vectors=0

field() { grep -o "\(^\| \)$1=[^ ]*" <<< "$2" | head -n1 | cut -d= -f2 || true; }
line() { grep -m1 '^GUEST-CHECK diskbench PASS' "$out/$1.log" || true; }
d=$(line direct) v=$(line vmbhv) p=$(line polled)
echo "disk benchmark: accel=$accel, $(cat build/guest/kernel-release), a ${mb} MiB raw image," \
    "${secs} s per phase, O_DIRECT"
status=0
for k in direct vmbhv polled; do
    [ -n "$(line $k)" ] || { echo "  no diskbench result from the $k run ($out/$k.log)"; status=1; }
done
printf '%-24s %12s %12s %8s %12s %8s\n' "" direct vmbhv ratio polled ratio
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a > 0 && b != "") printf "%.2f", b / a; else print "-" }'; }
row() {
    local a b c
    a=$(field "$2" "$d") b=$(field "$2" "$v") c=$(field "$2" "$p")
    printf '%-24s %12s %12s %8s %12s %8s\n' "$1" "${a:--}" "${b:--}" "$(ratio "$a" "$b")" \
        "${c:--}" "$(ratio "$a" "$c")"
}
row "seq 1 MiB write kB/s" seqwrite_kBps
row "seq 1 MiB read kB/s" seqread_kBps
row "random 4 KiB read IOPS" randread_iops
for k in vmbhv polled; do
    s=$(grep -m1 '^hv: summary ' "$out/$k.log" || true)
    bytes=$(field bytes "$(line $k)")
    [ -n "$s" ] && [ -n "$bytes" ] || continue
    echo "$k: $(field exits "$s") exits in the run, $(awk -v e="$(field exits "$s")" -v b="$bytes" \
        'BEGIN { printf "%.1f", e / (b / 1048576) }') per MiB moved (boot included);" \
        "disk_reads=$(field disk_reads "$s") disk_writes=$(field disk_writes "$s")" \
        "host_dev_irqs=$(field host_dev_irqs "$s") host_timer=$(field host_timer "$s")"
done
exit $status
