#!/usr/bin/env bash
# mkcfg.sh CONFIG check|shell [TRACE [screen] [disk] [nic] [vpci] [root=DEV] [vcpus=N]] — prints CONFIG for the boot volume; in
# check mode "vmbhv.mode=check" is appended to its guest command line (the
# guest's /init then runs its checks and powers off instead of starting a
# shell). A non-empty TRACE (make run TRACE=vmbus,ring) replaces CONFIG's
# trace line, or adds one: "trace = TRACE" (the loader checks the classes).
# screen (make run SCREEN=1) adds "device = video" and "device = keyboard"
# lines where CONFIG has none of that kind; disk (make run DISK=...) adds
# "device = disk name=disk backing=serial:vmbhv-disk" (the serial make run
# gives the image) where CONFIG has no disk device; nic (make run NET=1) adds
# "device = nic name=eth backing=virtio" where CONFIG has no nic; vpci (make
# run VPCI=rng) adds "device = vpci name=rng assign=1af4:1044" (qemu.sh
# --assign rng's virtio-rng-pci) where CONFIG has no vpci device; root=DEV
# (make run ROOT=/dev/sda) appends "vmbhv.root=DEV" to the command line (the
# guest's /init then switches to the root filesystem on DEV); vcpus=N (make
# run VCPUS=N, 1-8) adds "vcpus = N" where CONFIG has no vcpus line.
set -euo pipefail
cfg=$1 mode=$2 trace=${3:-}
screen= disk= nic= vpci= root= vcpus=
for word in "${@:4}"; do
    case $word in
    screen) screen=screen ;;
    disk) disk=disk ;;
    nic) nic=nic ;;
    vpci) vpci=vpci ;;
    root=*)
        root=${word#root=}
        [[ $root =~ ^/dev/[a-z0-9]+$ ]] ||
            { echo "mkcfg: ROOT takes a guest device such as /dev/sda or /dev/sda1, not '$root'" >&2; exit 1; }
        ;;
    vcpus=*)
        vcpus=${word#vcpus=}
        [[ $vcpus =~ ^[1-8]$ ]] ||
            { echo "mkcfg: VCPUS takes 1 to 8 virtual processors, not '$vcpus'" >&2; exit 1; }
        ;;
    *) echo "mkcfg: unknown word '$word'" >&2; exit 1 ;;
    esac
done
[ -r "$cfg" ] || { echo "mkcfg: cannot read $cfg" >&2; exit 1; }
trace_re='^[[:space:]]*trace[[:space:]]*='
emit() {
    if [ -n "$trace" ]; then
        grep -v "$trace_re" "$cfg" || true
        echo "trace = $trace"
    else
        cat "$cfg"
    fi
    if [ "$disk" = disk ] &&
        ! grep -Eq "^[[:space:]]*device[[:space:]]*=[[:space:]]*disk([[:space:]]|\$)" "$cfg"; then
        echo "device = disk name=disk backing=serial:vmbhv-disk"
    fi
    if [ "$screen" = screen ]; then
        local kind
        for kind in video keyboard; do
            grep -Eq "^[[:space:]]*device[[:space:]]*=[[:space:]]*$kind([[:space:]]|\$)" "$cfg" ||
                echo "device = $kind"
        done
    fi
    if [ "$vpci" = vpci ] &&
        ! grep -Eq '^[[:space:]]*device[[:space:]]*=[[:space:]]*vpci([[:space:]]|$)' "$cfg"; then
        echo "device = vpci name=rng assign=1af4:1044"
    fi
    if [ -n "$vcpus" ] && ! grep -Eq '^[[:space:]]*vcpus[[:space:]]*=' "$cfg"; then
        echo "vcpus = $vcpus"
    fi
    if [ "$nic" = nic ] && ! grep -Eq '^[[:space:]]*device[[:space:]]*=[[:space:]]*nic([[:space:]]|$)' "$cfg"; then
        echo "device = nic name=eth backing=virtio"
    fi
}
words=
[ "$mode" = check ] && words+=" vmbhv.mode=check"
[ -n "$root" ] && words+=" vmbhv.root=$root"
if [ -z "$words" ]; then
    emit
elif grep -q '^[[:space:]]*cmdline[[:space:]]*=' "$cfg"; then
    emit | sed -E "s|^([[:space:]]*cmdline[[:space:]]*=.*)\$|\\1$words|"
else
    emit
    echo "cmdline =$words"
fi
