#!/usr/bin/env bash
# Make-level checks, no QEMU: the boot volume `make run` boots holds exactly
# the files named by KERNEL=, INITRD= and HVCFG= (or the defaults), whatever
# their dates, and the "esp: ... boots" line names them. Runs `make esp` (what
# `make run` builds and prints before starting QEMU) with B= a scratch build
# directory and stand-in files (mkesp.sh does not look inside them), told not
# to remake the loader, hv.elf or the default guest (-o), so nothing is
# compiled or fetched and the user's build/ is left alone.
set -u
. tests/lib.sh
# Not the caller's: `make test KERNEL=...` would hand KERNEL to every sub-make.
unset MAKEFLAGS MFLAGS MAKELEVEL KERNEL INITRD HVCFG CHECK TRACE ROOT VPCI GUEST_MODULES KERNEL_PKG B

if ! command -v mcopy > /dev/null 2>&1; then
    record SKIP make/esp "mcopy not found (Debian package mtools)"
    exit 0
fi

T=build/tests/make
B=$T/build
rm -rf "$T"
mkdir -p "$B/guest"

# stand-in FILE TEXT AGE: FILE holds TEXT and was last changed AGE ago.
stand_in() {
    printf '%s\n' "$2" > "$1"
    touch -d "$3 ago" "$1"
}
stand_in "$B/BOOTX64.EFI" "loader" "5 days"
stand_in "$B/hv.elf" "hv.elf one" "5 days"
stand_in "$B/guest/vmlinuz" "default kernel" "5 days"
stand_in "$B/guest/initrd.cpio.gz" "default initrd" "5 days"
# Each pair: the same size, the one named second older than the first.
stand_in "$T/initrd-a" "initrd A" "1 day"
stand_in "$T/initrd-b" "initrd B" "2 days"
stand_in "$T/kernel-x" "kernel X" "1 day"
stand_in "$T/kernel-y" "kernel Y" "2 days"
{ cat config/hv.cfg; echo "# config one"; } > "$T/cfg-1"
{ cat config/hv.cfg; echo "# config two"; } > "$T/cfg-2"
touch -d "1 day ago" "$T/cfg-1"
touch -d "2 days ago" "$T/cfg-2"
sed 's|^kernel = .*|kernel = hv/elsewhere|' config/hv.cfg > "$T/cfg-elsewhere"

# esp [VAR=value ...]: `make esp` in the scratch build; output in $T/out, status in $rc.
esp() {
    make --no-print-directory -o "$B/BOOTX64.EFI" -o "$B/hv.elf" \
        -o "$B/guest/vmlinuz" -o "$B/guest/initrd.cpio.gz" B="$B" esp "$@" > "$T/out" 2>&1
    rc=$?
}

on_volume() { mcopy -n -i "$B/esp.img" "::/$1" - 2> /dev/null; }

size() { stat -Lc %s "$1"; }

# check NAME KERNEL INITRD HVCFG [check|shell [TRACE [VCPUS]]]: after the last
# esp, the volume holds KERNEL, INITRD and HVCFG as mkcfg.sh makes it (with
# make's default VCPUS=2 unless given), and the boots line names them.
check() {
    local name=$1 kernel=$2 initrd=$3 cfg=$4 mode=${5:-shell} trace=${6:-} vcpus=${7:-2} why=() line
    if ((rc != 0)); then
        why+=("make esp failed with status $rc")
    else
        on_volume hv/vmlinuz | cmp -s - "$kernel" || why+=("hv/vmlinuz is not $kernel")
        on_volume hv/initrd | cmp -s - "$initrd" || why+=("hv/initrd is not $initrd")
        on_volume hv/hv.cfg | cmp -s - <(scripts/mkcfg.sh "$cfg" "$mode" "$trace" "vcpus=$vcpus") ||
            why+=("hv/hv.cfg is not $cfg ($mode${trace:+, trace $trace})")
        on_volume hv/hv.elf | cmp -s - "$B/hv.elf" || why+=("hv/hv.elf is not $B/hv.elf")
        line="esp: $B/esp.img boots kernel $kernel ($(size "$kernel") bytes),"
        line+=" initrd $initrd ($(size "$initrd") bytes)"
        grep -qxF "$line" "$T/out" || why+=("no line '$line'")
    fi
    verdict "$name" "${why[@]}"
}

# verdict NAME [REASON ...]: PASS without reasons, else FAIL and make's output.
verdict() {
    local name=$1
    shift
    if (($#)); then
        local reasons=$1 r
        shift
        for r in "$@"; do reasons+="; $r"; done
        record FAIL "make/$name" "$reasons"
        sed 's/^/  | /' "$T/out"
    else
        record PASS "make/$name"
    fi
}

K=$T/kernel-x I=$T/initrd-a
esp KERNEL="$K" INITRD="$I"
check initrd-first "$K" "$I" config/hv.cfg

I=$T/initrd-b
esp KERNEL="$K" INITRD="$I"
check initrd-older-second "$K" "$I" config/hv.cfg

# Nothing changed: the volume is not made again.
before=$(stat -c %y "$B/esp.img")
esp KERNEL="$K" INITRD="$I"
why=()
[ "$(stat -c %y "$B/esp.img")" = "$before" ] || why+=("esp.img was made again")
grep -q mkesp "$T/out" && why+=("mkesp.sh ran")
verdict unchanged-not-remade "${why[@]}"
check unchanged "$K" "$I" config/hv.cfg

# The same path, new contents of the same size, an older date.
stand_in "$I" "initrd C" "3 days"
esp KERNEL="$K" INITRD="$I"
check initrd-same-path-new-contents "$K" "$I" config/hv.cfg

K=$T/kernel-y
esp KERNEL="$K" INITRD="$I"
check kernel-older-second "$K" "$I" config/hv.cfg

K=$B/guest/vmlinuz
esp INITRD="$I"
check kernel-default-again "$K" "$I" config/hv.cfg

I=$B/guest/initrd.cpio.gz
esp
check initrd-default-again "$K" "$I" config/hv.cfg

esp HVCFG="$T/cfg-1"
check hvcfg-first "$K" "$I" "$T/cfg-1"
esp HVCFG="$T/cfg-2"
check hvcfg-older-second "$K" "$I" "$T/cfg-2"
esp HVCFG="$T/cfg-2" CHECK=1
check hvcfg-check-mode "$K" "$I" "$T/cfg-2" check
esp
check hvcfg-default-again "$K" "$I" config/hv.cfg

# TRACE= puts a trace line in the volume's hv.cfg (replacing the config's);
# dropping it takes it out again.
esp TRACE=vmbus,ring
check trace-added "$K" "$I" config/hv.cfg shell vmbus,ring
on_volume hv/hv.cfg | grep -qx 'trace = vmbus,ring' || verdict trace-line "no 'trace = vmbus,ring' line"
{ cat config/hv.cfg; echo "trace = exit"; } > "$T/cfg-trace"
esp HVCFG="$T/cfg-trace" TRACE=hypercall CHECK=1
check trace-replaced "$K" "$I" "$T/cfg-trace" check hypercall
[ "$(on_volume hv/hv.cfg | grep -c '^trace')" = 1 ] || verdict trace-one-line "not exactly one trace line"
esp
check trace-default-again "$K" "$I" config/hv.cfg

# ROOT= appends vmbhv.root= to the volume's guest command line, with
# CHECK=1's word; a ROOT that is not a guest device name fails make.
esp ROOT=/dev/sda1 CHECK=1
on_volume hv/hv.cfg | grep -Eq '^cmdline = .* vmbhv\.mode=check vmbhv\.root=/dev/sda1$' ||
    verdict root-added "no 'vmbhv.mode=check vmbhv.root=/dev/sda1' on the cmdline line"
esp ROOT='/dev/sda;echo INJECTED'
((rc != 0)) && grep -q "ROOT takes a guest device" "$T/out" || verdict root-refused "a bad ROOT was taken"
! grep -q '^INJECTED' "$T/out" || verdict root-quoted "ROOT ran as shell text"
esp
check root-default-again "$K" "$I" config/hv.cfg

# VPCI=rng puts a vpci device assigning QEMU's virtio-rng on the volume.
esp VPCI=rng
on_volume hv/hv.cfg | grep -qx 'device = vpci name=rng assign=1af4:1044' ||
    verdict vpci-added "no 'device = vpci name=rng assign=1af4:1044' line"
esp
check vpci-default-again "$K" "$I" config/hv.cfg

# VCPUS= sets the guest's VPs on the volume (make's default: 2); a VCPUS
# that is not 1-8 fails make, and never runs as shell text.
esp VCPUS=4
check vcpus-added "$K" "$I" config/hv.cfg shell "" 4
on_volume hv/hv.cfg | grep -qx 'vcpus = 4' || verdict vcpus-line "no 'vcpus = 4' line"
esp VCPUS='2;echo INJECTED'
((rc != 0)) && grep -q "VCPUS takes 1 to 8" "$T/out" || verdict vcpus-refused "a bad VCPUS was taken"
! grep -q '^INJECTED' "$T/out" || verdict vcpus-quoted "VCPUS ran as shell text"
esp TRACE='vmbus";echo INJECTED;"'
! grep -q '^INJECTED' "$T/out" || verdict trace-quoted "TRACE ran as shell text"
esp
check vcpus-default-again "$K" "$I" config/hv.cfg

# A rebuilt hv.elf that is older than the volume still goes on it.
stand_in "$B/hv.elf" "hv.elf two" "4 days"
esp
check hv-elf-new-contents "$K" "$I" config/hv.cfg

# The boots line follows hv.cfg's kernel=, even to a file not on the volume.
esp HVCFG="$T/cfg-elsewhere"
why=()
line="esp: $B/esp.img boots kernel hv/elsewhere (not on the volume), initrd $I ($(size "$I") bytes)"
((rc == 0)) || why+=("make esp failed with status $rc")
grep -qxF "$line" "$T/out" || why+=("no line '$line'")
verdict boots-line-follows-hvcfg "${why[@]}"

# A KERNEL= that does not exist stops make before anything is made.
esp KERNEL="$T/no-such-kernel"
why=()
((rc != 0)) || why+=("make esp succeeded")
grep -qF "$T/no-such-kernel" "$T/out" || why+=("the error does not name $T/no-such-kernel")
verdict missing-kernel-refused "${why[@]}"
true
