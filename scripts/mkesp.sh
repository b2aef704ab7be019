#!/usr/bin/env bash
# mkesp.sh OUT.img BOOTX64.EFI hv.elf hv.cfg [SRC=DEST ...]
# Builds the FAT boot volume: EFI/BOOT/BOOTX64.EFI, hv/hv.elf, hv/hv.cfg, the
# extra files given as SRC=DEST (DEST relative to the volume root), and a
# startup.nsh that powers the machine off should the loader return to the
# firmware with an error (otherwise OVMF would sit in its shell).
set -euo pipefail
out=$1 efi=$2 elf=$3 cfg=$4
shift 4

bytes=0
for f in "$efi" "$elf" "$cfg" "${@%%=*}"; do
    bytes=$(( bytes + $(stat -Lc %s "$f") ))
done
mib=$(( bytes / 1048576 * 11 / 10 + 8 ))
(( mib < 16 )) && mib=16

tmp=$out.tmp
rm -f "$tmp"
truncate -s "${mib}M" "$tmp"
mformat -i "$tmp" -v VMBHV ::
mmd -i "$tmp" ::/EFI ::/EFI/BOOT ::/hv
mcopy -i "$tmp" "$efi" ::/EFI/BOOT/BOOTX64.EFI
mcopy -i "$tmp" "$elf" ::/hv/hv.elf
mcopy -i "$tmp" "$cfg" ::/hv/hv.cfg
# Reached only when BOOTX64.EFI returned an error: report verdict 2 through
# isa-debug-exit (port 0xf4) if QEMU has it, else power off.
printf 'mm f4 2 -IO -w 4 -n\r\nreset -s\r\n' > "$tmp.nsh"
mcopy -i "$tmp" "$tmp.nsh" ::/startup.nsh
rm -f "$tmp.nsh"
for spec in "$@"; do
    src=${spec%%=*} dest=${spec#*=}
    dir=$(dirname "$dest")
    [ "$dir" = . ] || mmd -D s -i "$tmp" "::/$dir" 2>/dev/null || true
    mcopy -o -i "$tmp" "$src" "::/$dest"
done
mv "$tmp" "$out"
