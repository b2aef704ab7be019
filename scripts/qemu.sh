#!/usr/bin/env bash
# qemu.sh --esp IMG --log FILE [--timeout SECONDS] [--interactive|--quiet|--pipe P]
#         [-- extra qemu args]
# Boots IMG with OVMF under QEMU. The serial port goes to FILE (and to the
# terminal unless --quiet or --pipe). --pipe P: the serial port is also the
# FIFO pair P.in (what the guest reads) and P.out (what it writes; must be
# drained), created by the caller, so a script can type into the console.
# Exit status:
#   0/1/2  the hypervisor's verdict (0 pass, 1 guest failure, 2 hypervisor error)
#   3      the machine stopped without a verdict (triple fault, reset, loader gone)
#   124    timed out
#   125    QEMU could not run
# ACCEL=tcg|kvm overrides the accelerator choice; QEMU_MEM the host RAM (MiB).
set -uo pipefail

esp= log= timeout_s=0 interactive=0 quiet=0 pipe= extra=()
while (($#)); do
    case $1 in
    --esp) esp=$2; shift 2 ;;
    --log) log=$2; shift 2 ;;
    --timeout) timeout_s=$2; shift 2 ;;
    --interactive) interactive=1; shift ;;
    --quiet) quiet=1; shift ;;
    --pipe) pipe=$2; shift 2 ;;
    --) shift; extra=("$@"); break ;;
    *) echo "qemu.sh: unknown argument $1" >&2; exit 125 ;;
    esac
done
[ -n "$esp" ] && [ -n "$log" ] || { echo "qemu.sh: --esp and --log are required" >&2; exit 125; }

firmware=/usr/share/ovmf/OVMF.fd
[ -r "$firmware" ] || { echo "qemu.sh: $firmware missing: apt-get install ovmf" >&2; exit 125; }

nested_svm() {
    [ -r /dev/kvm ] && [ -w /dev/kvm ] || return 1
    local n; n=$(cat /sys/module/kvm_amd/parameters/nested 2>/dev/null) || return 1
    [ "$n" = 1 ] || [ "$n" = Y ]
}
accel=${ACCEL:-}
if [ -z "$accel" ]; then
    if nested_svm; then accel=kvm; else accel=tcg; fi
fi
if [ "$accel" = kvm ]; then
    cpu=(-accel kvm -cpu host,+svm)
else
    cpu=(-accel tcg -cpu max,+svm)
fi

mkdir -p "$(dirname "$log")"
: > "$log"
if ((interactive)); then
    serial=(-chardev "stdio,id=s0,mux=on,signal=off,logfile=$log" -serial chardev:s0 -mon chardev=s0)
elif [ -n "$pipe" ]; then
    serial=(-chardev "pipe,id=s0,path=$pipe,logfile=$log" -serial chardev:s0)
elif ((quiet)); then
    serial=(-chardev "file,id=s0,path=$log" -serial chardev:s0)
else
    serial=(-chardev "stdio,id=s0,signal=off,logfile=$log" -serial chardev:s0)
fi

cmd=(qemu-system-x86_64 -machine q35 "${cpu[@]}" -m "${QEMU_MEM:-2048}" -smp 1
    -bios "$firmware" -nodefaults -display none -no-reboot
    "${serial[@]}"
    -drive "if=none,id=esp,format=raw,snapshot=on,file=$esp" -device virtio-blk-pci,drive=esp
    -device isa-debug-exit,iobase=0xf4,iosize=0x04
    -global hpet.msi=on
    "${extra[@]}")

echo "qemu.sh: accel=$accel log=$log" >&2
if ((timeout_s > 0)); then
    if ((interactive)); then
        timeout --foreground -k 5 "$timeout_s" "${cmd[@]}"
    else
        timeout -k 5 "$timeout_s" "${cmd[@]}" < /dev/null
    fi
else
    "${cmd[@]}"
fi
rc=$?

verdict_from_log() {
    local v
    v=$(grep -ao 'hv: exit: verdict=[0-9]*' "$log" | tail -n1 | sed 's/.*=//')
    echo "${v:-3}"
}
case $rc in
124 | 137) echo "qemu.sh: timed out after ${timeout_s}s" >&2; exit 124 ;;
0) v=$(verdict_from_log) ;;      # powered off (ACPI S5) or shut down by the firmware shell
*) if ((rc % 2 == 1)) && ((rc < 64)); then v=$(( (rc - 1) / 2 )); else
       echo "qemu.sh: QEMU failed with status $rc" >&2; exit 125; fi ;;
esac
echo "qemu.sh: verdict $v" >&2
exit "$v"
