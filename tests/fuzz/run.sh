#!/usr/bin/env bash
# Runs each libFuzzer target for FUZZ_SECONDS (smoke run in `make test`, longer
# in `make fuzz`) from a copy of its seed corpus in tests/fuzz/corpus/<name>.
set -u
. tests/lib.sh
secs=${FUZZ_SECONDS:-5}
for bin in build/tests/fuzz/fuzz_*; do
    [ -x "$bin" ] || continue
    name=$(basename "$bin") seeds=tests/fuzz/corpus/${name#fuzz_}
    work=build/fuzz/$name
    mkdir -p "$work/corpus" "$work/artifacts"
    [ -d "$seeds" ] && cp -n "$seeds"/* "$work/corpus/" 2> /dev/null
    if "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
        -artifact_prefix="$work/artifacts/" "$work/corpus" > "$work/log" 2>&1; then
        record PASS "fuzz/$name" "$(grep -o 'Done [0-9]* runs' "$work/log" | tail -n1)"
    else
        record FAIL "fuzz/$name" "see $work/log; crashing input in $work/artifacts/"
        tail -n 30 "$work/log"
    fi
done
true
