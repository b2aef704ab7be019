#!/usr/bin/env bash
# mkcfg.sh CONFIG check|shell — prints CONFIG for the boot volume; in check
# mode "vmbhv.mode=check" is appended to its guest command line (the guest's
# /init then runs its checks and powers off instead of starting a shell).
set -euo pipefail
cfg=$1 mode=$2
[ -r "$cfg" ] || { echo "mkcfg: cannot read $cfg" >&2; exit 1; }
if [ "$mode" = check ]; then
    if grep -q '^[[:space:]]*cmdline[[:space:]]*=' "$cfg"; then
        sed -E 's/^([[:space:]]*cmdline[[:space:]]*=.*)$/\1 vmbhv.mode=check/' "$cfg"
    else
        cat "$cfg"
        echo "cmdline = vmbhv.mode=check"
    fi
else
    cat "$cfg"
fi
