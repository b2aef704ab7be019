#!/usr/bin/env bash
# Runs each e2e scenario in its own QEMU (one at a time); E2E=pattern selects.
set -u
. tests/lib.sh
for sc in tests/e2e/scenarios/*.sh; do
    name=$(basename "$sc" .sh)
    [[ $name == *${E2E:-}* ]] || continue
    WORK=build/e2e/$name LOG=build/logs/$name.log
    rm -rf "$WORK"
    mkdir -p "$WORK" build/logs
    (
        export WORK LOG
        . tests/e2e/lib.sh
        . "$sc"
        exit "$SCENARIO_FAILED"
    ) > "$WORK/out" 2>&1
    rc=$?
    if ((rc == 0)); then
        record PASS "e2e/$name" "$(grep -o 'boot took [0-9]*s' "$WORK/out" | tail -n1)"
    elif ((rc == 77)); then
        record SKIP "e2e/$name" "$(tail -n1 "$WORK/out")"
    else
        record FAIL "e2e/$name"
        sed 's/^/  /' "$WORK/out"
        echo "  --- last 30 lines of $LOG ---"
        tail -n 30 "$LOG.txt" 2> /dev/null | sed 's/^/  | /'
    fi
done
true
