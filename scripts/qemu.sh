#!/usr/bin/env bash
# qemu.sh --esp IMG --log FILE [--timeout SECONDS] [--interactive|--quiet|--pipe P]
#         [--screen none|window] [--monitor M] [--disk PATH[,serial=S]]...
#         [--nic PORT] [--iommu] [--assign rng] [--smp N]
#         [-- extra qemu args]
# Boots IMG with OVMF under QEMU. The guest's console (COM1) and the
# hypervisor's log UART (COM2) share one character device: both go to FILE
# (and to the terminal unless --quiet or --pipe), in the order written; the
# keyboard goes to COM1. The hypervisor also writes its log to QEMU's debugcon
# port, which the guest cannot reach: that record is FILE.host, and the
# verdict comes only from isa-debug-exit, checked against it. With a trace
# configured, its records (JSON lines, one per event) are FILE.trace.jsonl
# (scripts/trace-filter.sh reads them).
# --pipe P: the console is also the FIFO pair P.in (what the guest reads) and
# P.out (what it writes; must be drained), created by the caller, so a script
# can type into the console.
# --screen: give the machine a display adapter (std VGA, the firmware's GOP
# framebuffer) and its PS/2 keyboard a screen: none (headless: screendump
# still works), window (a GTK window where a window system is, else VNC on
# 127.0.0.1:5900, said on stderr). Without it the machine has no display.
# --disk PATH[,serial=S]: a raw image as one more virtio-blk disk (modern
# PCI), with virtio serial S: the hypervisor's own disks (docs/storage.md,
# "The backend driver"); the boot volume has no serial. Repeatable.
# --nic PORT: a virtio-net card (modern PCI, no option ROM) on QEMU's user
# network (the guest side 10.0.2.0/24, DHCP, the gateway 10.0.2.2), with the
# host's 127.0.0.1:PORT forwarded to the guest's TCP port 80: the hypervisor's
# network card (docs/network.md). Loopback only: nothing else reaches it.
# --iommu: the machine gets an Intel VT-d IOMMU (intel-iommu, caching mode on,
# no interrupt remapping), first among the devices so every PCI function is
# behind it, and the virtio functions DMA through it (iommu_platform: modern
# only), as the hypervisor's host domain expects (docs/iommu.md).
# --assign rng: a virtio-rng-pci function for the hypervisor to give the
# guest through vPCI (docs/vpci.md, "Assignment"), with the IOMMU of --iommu
# (an assigned device must DMA through it).
# --smp N: the machine's CPUs (default 1, or $QEMU_SMP): the hypervisor starts
# and parks the others (docs/design.md, "Isolation"); the guest has one VP.
# --monitor M: QEMU's human monitor on the FIFO pair M.in/M.out (created by
# the caller; M.out must be drained): sendkey, screendump, info ...
# Exit status:
#   0/1/2  the hypervisor's verdict (0 pass, 1 guest failure, 2 hypervisor error)
#   3      the machine stopped without the hypervisor's verdict (a reset or
#          power-off the hypervisor did not log, a verdict its log does not
#          confirm)
#   124    timed out
#   125    QEMU could not run
# ACCEL=tcg|kvm overrides the accelerator choice; QEMU_MEM the host RAM (MiB).
set -uo pipefail

esp= log= timeout_s=0 interactive=0 quiet=0 pipe= screen= monitor= extra=() disks=() nic_port=
iommu=() viommu= assign=()
smp=${QEMU_SMP:-1}
while (($#)); do
    case $1 in
    --esp) esp=$2; shift 2 ;;
    --log) log=$2; shift 2 ;;
    --timeout) timeout_s=$2; shift 2 ;;
    --interactive) interactive=1; shift ;;
    --quiet) quiet=1; shift ;;
    --pipe) pipe=$2; shift 2 ;;
    --screen) screen=$2; shift 2 ;;
    --monitor) monitor=$2; shift 2 ;;
    --disk) disks+=("$2"); shift 2 ;;
    --nic) nic_port=$2; shift 2 ;;
    --iommu) iommu=(-device intel-iommu,caching-mode=on) viommu=,iommu_platform=on,disable-legacy=on; shift ;;
    --assign)
        [ "$2" = rng ] || { echo "qemu.sh: --assign takes rng (virtio-rng-pci), not '$2'" >&2; exit 125; }
        assign=(-device virtio-rng-pci,disable-legacy=on,iommu_platform=on); shift 2 ;;
    --smp) smp=$2; shift 2 ;;
    --) shift; extra=("$@"); break ;;
    *) echo "qemu.sh: unknown argument $1" >&2; exit 125 ;;
    esac
done
[ -n "$esp" ] && [ -n "$log" ] || { echo "qemu.sh: --esp and --log are required" >&2; exit 125; }
((${#assign[@]})) && iommu=(-device intel-iommu,caching-mode=on) viommu=,iommu_platform=on,disable-legacy=on

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
hostlog=$log.host
: > "$log"
: > "$hostlog"
: > "$log.trace.jsonl"
if ((interactive)); then
    serial=(-chardev "stdio,id=s0,mux=on,signal=off,logfile=$log" -mon chardev=s0)
elif [ -n "$pipe" ]; then
    serial=(-chardev "pipe,id=s0,mux=on,path=$pipe,logfile=$log")
elif ((quiet)); then
    serial=(-chardev "file,id=s0,mux=on,path=$log")
else
    serial=(-chardev "stdio,id=s0,mux=on,signal=off,logfile=$log")
fi
# COM2 the hypervisor's log (hv/arch/x86/arch.h), COM1 the guest's console:
# the frontend attached last has the keyboard, so COM1 comes second.
serial+=(-device isa-serial,index=1,chardev=s0 -device isa-serial,index=0,chardev=s0
    -chardev "file,id=hostlog,path=$hostlog" -device isa-debugcon,iobase=0x402,chardev=hostlog
    -chardev "file,id=records,path=$log.trace.jsonl" -device isa-debugcon,iobase=0x403,chardev=records)

display=(-display none)
case $screen in
'') ;;
none) display+=(-device VGA) ;;
window)
    if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
        display=(-display gtk -device VGA)
    else
        display=(-display vnc=127.0.0.1:0 -device VGA)
        echo "qemu.sh: no window system here: the screen is VNC on 127.0.0.1:5900" >&2
    fi ;;
*) echo "qemu.sh: --screen none|window, not '$screen'" >&2; exit 125 ;;
esac
[ -z "$monitor" ] || display+=(-chardev "pipe,id=mon,path=$monitor" -mon chardev=mon,mode=readline)

disk_args=()
for i in "${!disks[@]}"; do
    dpath=${disks[$i]%%,serial=*} dserial=
    [[ ${disks[$i]} == *,serial=* ]] && dserial=${disks[$i]#*,serial=}
    [ -r "$dpath" ] || { echo "qemu.sh: --disk $dpath: no such file" >&2; exit 125; }
    disk_args+=(-drive "if=none,id=d$i,format=raw,file=$dpath"
        -device "virtio-blk-pci,drive=d$i${dserial:+,serial=$dserial}$viommu")
done

[[ $smp =~ ^[0-9]+$ ]] && ((smp >= 1 && smp <= 64)) ||
    { echo "qemu.sh: --smp takes 1 to 64 CPUs, not '$smp'" >&2; exit 125; }

nic_args=()
if [ -n "$nic_port" ]; then
    [[ $nic_port =~ ^[0-9]+$ ]] && ((nic_port > 0 && nic_port < 65536)) ||
        { echo "qemu.sh: --nic takes a TCP port, not '$nic_port'" >&2; exit 125; }
    nic_args=(-netdev "user,id=n0,hostfwd=tcp:127.0.0.1:$nic_port-:80"
        -device "virtio-net-pci,netdev=n0,romfile=$viommu")
fi

cmd=(qemu-system-x86_64 -machine q35 "${cpu[@]}" -m "${QEMU_MEM:-2048}" -smp "$smp"
    -bios "$firmware" -nodefaults "${iommu[@]}" "${display[@]}" -no-reboot
    "${serial[@]}"
    -drive "if=none,id=esp,format=raw,snapshot=on,file=$esp" -device "virtio-blk-pci,drive=esp$viommu"
    "${disk_args[@]}"
    "${nic_args[@]}"
    "${assign[@]}"
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

# The verdict: isa-debug-exit's status, which only the hypervisor (or the
# loader, before any guest ran) can write, and which the hypervisor's own
# log must confirm. Never a line of the shared console, which the guest writes.
stopped() {
    echo "qemu.sh: the machine stopped without the hypervisor's verdict: $*" | tee -a "$log" >&2
    exit 3
}
logged=$(grep -ao 'hv: exit: verdict=[0-9]*' "$hostlog" | tail -n1 | sed 's/.*=//')
case $rc in
124 | 137) echo "qemu.sh: timed out after ${timeout_s}s" >&2; exit 124 ;;
0) # powered off: only the hypervisor's ACPI S5 (no isa-debug-exit) counts
   [ -n "$logged" ] || stopped "QEMU exited by itself (a reset, or a power-off the hypervisor did not log)"
   v=$logged ;;
*) if ((rc % 2 == 1)) && ((rc < 64)); then v=$(( (rc - 1) / 2 )); else
       echo "qemu.sh: QEMU failed with status $rc" >&2; exit 125; fi ;;
esac
if [ -z "$logged" ] && ! grep -aq '^hv: ' "$hostlog" && [ "$v" = 2 ]; then
    : # the loader's error exit (startup.nsh): the hypervisor never ran
elif [ "$logged" != "$v" ]; then
    stopped "isa-debug-exit said $v, the hypervisor's log says '${logged:-nothing}'"
fi
echo "qemu.sh: verdict $v" >&2
exit "$v"
