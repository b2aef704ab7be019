#!/usr/bin/env bash
# mkcfg.sh CONFIG check|shell [TRACE] — prints CONFIG for the boot volume; in
# check mode "vmbhv.mode=check" is appended to its guest command line (the
# guest's /init then runs its checks and powers off instead of starting a
# shell). A non-empty TRACE (make run TRACE=vmbus,ring) replaces CONFIG's
# trace line, or adds one: "trace = TRACE" (the loader checks the classes).
set -euo pipefail
cfg=$1 mode=$2 trace=${3:-}
[ -r "$cfg" ] || { echo "mkcfg: cannot read $cfg" >&2; exit 1; }
trace_re='^[[:space:]]*trace[[:space:]]*='
emit() {
    if [ -n "$trace" ]; then
        grep -v "$trace_re" "$cfg" || true
        echo "trace = $trace"
    else
        cat "$cfg"
    fi
}
if [ "$mode" = check ]; then
    if grep -q '^[[:space:]]*cmdline[[:space:]]*=' "$cfg"; then
        emit | sed -E 's/^([[:space:]]*cmdline[[:space:]]*=.*)$/\1 vmbhv.mode=check/'
    else
        emit
        echo "cmdline = vmbhv.mode=check"
    fi
else
    emit
fi
