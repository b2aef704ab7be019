#!/usr/bin/env bash
# make bench, part 7: a machine PCI function given to the guest through vmbhv's
# vPCI against the same function given to the same kernel directly, side by
# side in one run: QEMU's virtio-rng-pci (modern, iommu_platform, QEMU's
# built-in rng backend, whose default rate limit is none: max-bytes is
# INT64_MAX per period) read through /dev/hwrng by the guest's stock
# virtio_pci + virtio_rng, once assigned to a vpci bus (docs/vpci.md,
# "Assignment": its BAR mapped, its DMA through the VT-d domain, each
# request's MSI-X interrupt on a host vector raised in the guest by the
# hypervisor) and once on QEMU's own PCI bus with QEMU booting the kernel
# (guest/extra-checks/72-rngbench.sh: dd of BENCH_RNG_KB KiB, default 4096,
# in 4 KiB blocks, timed in the guest). Linux 6.1's virtio_rng asks the
# device for 64 bytes (SMP_CACHE_BYTES) a request, one interrupt each, so this
# measures the per-request path (kick, DMA, MSI-X interrupt) more than
# bytes. The direct run goes twice, the second behind the same VT-d unit
# (the like-for-like baseline). Prints kB/s, the ratios, and vmbhv's exits
# (per request and per second while reading) and raised interrupts. Numbers are measurements to compare, never
# assertions; the script fails only when a run does not produce them.
#
# Environment: BENCH_RNG_KB, BENCH_NVME_MB, ACCEL.
set -euo pipefail
cd "$(dirname "$0")/../.."
. tests/bench/lib.sh
kb=${BENCH_RNG_KB:-4096}
out=build/bench/vpci
mkdir -p "$out"
bench_built vpci build/hv.elf build/BOOTX64.EFI build/guest/vmlinuz
bench_accel
limit=$((kb / 4 + 300)) # seconds per run: 4 kB/s would be very slow
rng=(-object rng-builtin,id=rng0 -device virtio-rng-pci,rng=rng0,disable-legacy=on,iommu_platform=on)

# One initramfs for both: pci-hyperv finds nothing when QEMU boots it directly.
EXTRA_CHECKS=guest/extra-checks/72-rngbench.sh guest/mkinitramfs.sh "$out/initrd.cpio.gz" \
    hv_vmbus pci-hyperv virtio_pci virtio-rng > /dev/null
append="console=ttyS0 panic=-1 vmbhv.mode=check vmbhv.rngbench=$kb"

# Each part's runs: initrd, esp and dev (the machine device's QEMU
# arguments) name the part's. Direct twice: on QEMU's bus alone, and behind
# the same VT-d unit the assigned function's DMA goes through under vmbhv
# (the guest's intel_iommu maps its DMA): the second is the like-for-like
# baseline.
direct() { # <log> [qemu args...] -- [kernel args]
    local log=$1 args=() extra=
    shift
    while [ $# -gt 0 ] && [ "$1" != -- ]; do args+=("$1"); shift; done
    [ $# -gt 0 ] && shift && extra="$*"
    timeout "$limit" qemu-system-x86_64 -machine q35 "${cpu[@]}" -m 512 -smp 1 -nodefaults \
        -display none -no-reboot -serial stdio -kernel build/guest/vmlinuz "${args[@]}" \
        -initrd "$initrd" -append "$append${extra:+ $extra}" "${dev[@]}" \
        < /dev/null 2> /dev/null | sed -e 's/\r$//' > "$out/$log.log" || true
}
vmbhv() { # <log>: the function assigned through vmbhv, booted from $esp
    ACCEL=$accel scripts/qemu.sh --esp "$esp" --log "$out/$1.raw" --quiet --iommu \
        --timeout "$limit" -- "${dev[@]}" < /dev/null 2> /dev/null || true
    sed -e 's/\r$//' -e 's/\x1b\[[0-9;=]*[a-zA-Z]//g' "$out/$1.raw" > "$out/$1.log"
}
initrd=$out/initrd.cpio.gz esp=$out/esp.img dev=("${rng[@]}")
direct direct
direct direct-iommu -device intel-iommu,caching-mode=on -- intel_iommu=on

cat > "$out/hv.cfg" << CFG
memory_mb = 512
kernel = hv/vmlinuz
initrd = hv/initrd
cmdline = $append
device = vpci name=rng assign=1af4:1044
CFG
scripts/mkesp.sh "$out/esp.img" build/BOOTX64.EFI build/hv.elf "$out/hv.cfg" \
    build/guest/vmlinuz=hv/vmlinuz "$out/initrd.cpio.gz=hv/initrd" > /dev/null
vmbhv vmbhv

field() { grep -o "\(^\| \)$1=[^ ]*" <<< "$2" | head -n1 | cut -d= -f2 || true; }
line() { grep -m1 '^GUEST-CHECK rngbench PASS' "$out/$1.log" || true; }
d=$(line direct) i=$(line direct-iommu) v=$(line vmbhv)
echo "vpci benchmark: accel=$accel, $(cat build/guest/kernel-release), virtio-rng-pci," \
    "$kb KiB from /dev/hwrng in 4 KiB reads (64-byte device requests)"
status=0
for k in direct direct-iommu vmbhv; do
    [ -n "$(line $k)" ] || { echo "  no rngbench result from the $k run ($out/$k.log)"; status=1; }
done
a=$(field kBps "$d") c=$(field kBps "$i") b=$(field kBps "$v")
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a > 0 && b != "") printf "%.2f", b / a; else print "-" }'; }
printf '%-12s %10s %14s %10s %14s %14s\n' "" direct direct+iommu vmbhv "vmbhv/direct" "vmbhv/+iommu"
printf '%-12s %10s %14s %10s %14s %14s\n' "read kB/s" "${a:--}" "${c:--}" "${b:--}" \
    "$(ratio "$a" "$b")" "$(ratio "$c" "$b")"
s=$(grep -m1 '^hv: summary ' "$out/vmbhv.log" || true)
if [ -n "$s" ] && [ -n "$v" ]; then
    reqs=$(((kb << 10) / 64)) e=$(field exits "$s") ms=$(field ms "$v")
    echo "vmbhv: $e exits in the run, $(awk -v e="$e" -v r="$reqs" 'BEGIN { printf "%.2f", e / r }')" \
        "per 64-byte request (boot included), so about" \
        "$(awk -v e="$e" -v r="$reqs" -v ms="$ms" 'BEGIN { if (ms > 0) printf "%d", e / r * r / ms * 1000; else print "-" }')" \
        "exits/s while reading; vpci_irqs=$(field vpci_irqs "$s") ($(awk -v i="$(field vpci_irqs "$s")" \
        -v r="$reqs" 'BEGIN { printf "%.2f", i / r }') per request) intr=$(field intr "$s") npf=$(field npf "$s")"
fi

# Part two: QEMU's NVMe controller (msix_qsize=8: vmbhv emulates up to 64
# MSI-X entries, QEMU's default is 65), BENCH_NVME_MB MiB (default 64) in
# 1 MiB O_DIRECT reads by the stock nvme driver: a device whose data path
# (DMA of large blocks, no hypervisor in it) outweighs its interrupts.
# Each side twice, alternating; the faster run of each is printed.
mb=${BENCH_NVME_MB:-64}
img=$out/nvme.img
head -c $((mb << 20)) /dev/urandom > "$img"
nvme=(-drive "file=$img,if=none,id=nv,format=raw" -device nvme,drive=nv,serial=vmbhv-bench,msix_qsize=8,max_ioqpairs=4)
EXTRA_CHECKS=guest/extra-checks/73-nvmebench.sh guest/mkinitramfs.sh "$out/initrd-nvme.cpio.gz" \
    hv_vmbus pci-hyperv > /dev/null
append="console=ttyS0 panic=-1 vmbhv.mode=check vmbhv.nvmebench=$mb"
sed -e 's/^cmdline = .*/cmdline = '"$append"'/' -e 's/assign=1af4:1044/assign=1b36:0010/' \
    "$out/hv.cfg" > "$out/hv-nvme.cfg"
scripts/mkesp.sh "$out/esp-nvme.img" build/BOOTX64.EFI build/hv.elf "$out/hv-nvme.cfg" \
    build/guest/vmlinuz=hv/vmlinuz "$out/initrd-nvme.cpio.gz=hv/initrd" > /dev/null
initrd=$out/initrd-nvme.cpio.gz esp=$out/esp-nvme.img dev=("${nvme[@]}")
best() { # the highest kBps= of the nvmebench lines in the logs named
    local k=
    for f in "$@"; do
        k=$( (echo "$k"; grep -m1 '^GUEST-CHECK nvmebench PASS' "$out/$f.log" | grep -o 'kBps=[0-9]*' | cut -d= -f2) |
            sort -n | tail -n1)
    done
    echo "$k"
}
for r in 1 2; do
    direct nvme-direct-$r
    direct nvme-direct-iommu-$r -device intel-iommu,caching-mode=on -- intel_iommu=on
    vmbhv nvme-vmbhv-$r
done
a=$(best nvme-direct-1 nvme-direct-2) c=$(best nvme-direct-iommu-1 nvme-direct-iommu-2)
b=$(best nvme-vmbhv-1 nvme-vmbhv-2)
echo "vpci benchmark, part two: nvme (QEMU's NVMe controller), $mb MiB in 1 MiB O_DIRECT reads, faster of 2 runs each"
printf '%-12s %10s %14s %10s %14s %14s\n' "" direct direct+iommu vmbhv "vmbhv/direct" "vmbhv/+iommu"
printf '%-12s %10s %14s %10s %14s %14s\n' "read kB/s" "${a:--}" "${c:--}" "${b:--}" \
    "$(ratio "$a" "$b")" "$(ratio "$c" "$b")"
for k in "$a" "$c" "$b"; do [ -n "$k" ] || status=1; done
[ $status = 0 ] || echo "  a run gave no nvmebench result ($out/nvme-*.log)"
s=$(grep -m1 '^hv: summary ' "$out/nvme-vmbhv-2.log" || true)
[ -z "$s" ] || echo "vmbhv (second run): $(field exits "$s") exits in the run (boot included)," \
    "vpci_irqs=$(field vpci_irqs "$s") intr=$(field intr "$s")"
exit $status
