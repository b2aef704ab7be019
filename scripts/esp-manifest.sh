#!/usr/bin/env bash
# esp-manifest.sh OUT.manifest BOOTX64.EFI hv.elf hv.cfg [SRC=DEST ...]
#   What scripts/mkesp.sh, given the same arguments, puts on the boot volume:
#   one line "DEST SIZE SHA256 SRC" per file, and one for mkesp.sh itself
#   (it writes startup.nsh). OUT is rewritten only when that text changes, so
#   build/esp.img, which depends on it, is rebuilt exactly when a file's path
#   or contents change, whatever the files' dates. Says what changed.
# esp-manifest.sh --show MANIFEST
#   One line: the kernel and initramfs the volume boots (the files its hv.cfg
#   names as kernel= and initrd=), with their source paths and sizes.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

die() { echo "esp-manifest: $*" >&2; exit 1; }

entry() { # entry DEST SRC
    local size sum
    [ -f "$2" ] || die "$2: no such file (for $1)"
    size=$(stat -Lc %s "$2")
    sum=$(sha256sum < "$2")
    printf '%s %s %s %s\n' "$1" "$size" "${sum%% *}" "$2"
}

# cfg_value FILE KEY: the value of the first "KEY = value" line, blanks trimmed.
cfg_value() {
    sed -n "s/^[[:space:]]*$2[[:space:]]*=[[:space:]]*//p" "$1" | head -n1 |
        sed 's/[[:space:]]*$//'
}

show() {
    local manifest=$1 dest size sum src cfg key path parts=()
    local -A srcs sizes
    [ -r "$manifest" ] || die "cannot read $manifest"
    while read -r dest size sum src; do
        [[ $dest == \#* ]] && continue
        srcs[${dest,,}]=$src sizes[${dest,,}]=$size
    done < "$manifest"
    cfg=${srcs[hv/hv.cfg]:-}
    [ -r "$cfg" ] || die "$manifest: no readable hv/hv.cfg (${cfg:-none listed})"
    for key in kernel initrd; do
        path=$(cfg_value "$cfg" "$key")
        path=${path//\\//}
        path=${path#/}
        path=${path,,} # FAT: names are case-insensitive
        if [ -z "$path" ]; then
            parts+=("no $key")
        elif [ -n "${srcs[$path]+set}" ]; then
            parts+=("$key ${srcs[$path]} (${sizes[$path]} bytes)")
        else
            parts+=("$key $path (not on the volume)")
        fi
    done
    echo "esp: ${manifest%.manifest}.img boots ${parts[0]}, ${parts[1]}"
}

if [ "${1:-}" = --show ]; then
    [ $# = 2 ] || die "usage: $0 --show MANIFEST"
    show "$2"
    exit
fi
[ $# -ge 4 ] || die "usage: $0 OUT.manifest BOOTX64.EFI hv.elf hv.cfg [SRC=DEST ...]"
out=$1 efi=$2 elf=$3 cfg=$4
shift 4

tmp=$out.tmp
trap 'rm -f "$tmp"' EXIT
{
    echo "# DEST SIZE SHA256 SOURCE: the boot volume's files (scripts/esp-manifest.sh)"
    entry "(mkesp)" "$here/mkesp.sh"
    entry EFI/BOOT/BOOTX64.EFI "$efi"
    entry hv/hv.elf "$elf"
    entry hv/hv.cfg "$cfg"
    for spec in "$@"; do
        entry "${spec#*=}" "${spec%%=*}"
    done
} > "$tmp"

if cmp -s "$tmp" "$out"; then
    rm "$tmp"
    exit 0
fi
if [ -f "$out" ]; then
    # DEST of every line that differs (diff exits 1 when lines differ)
    changed=$({ diff "$out" "$tmp" || true; } | sed -n 's/^[<>] \([^# ][^ ]*\) .*/\1/p' | sort -u)
    echo "esp: changed on the boot volume: ${changed//$'\n'/ }"
fi
mv "$tmp" "$out"
