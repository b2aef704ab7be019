#!/usr/bin/env bash
# Every suite of `make test`: unit, fuzz smoke, e2e. Ends with one line
# "N passed, N failed[, N skipped]" and fails if anything failed.
set -u
cd "$(dirname "$0")/.."
export RESULTS=build/results.txt
mkdir -p build
: > "$RESULTS"

echo "== unit"
tests/unit/run.sh
echo "== fuzz (smoke, ${FUZZ_SECONDS:-5}s each)"
tests/fuzz/run.sh
echo "== make (the boot volume)"; tests/make/run.sh
echo "== e2e"
tests/e2e/run.sh

passed=$(grep -c '^PASS' "$RESULTS")
failed=$(grep -c '^FAIL' "$RESULTS")
skipped=$(grep -c '^SKIP' "$RESULTS")
if ((failed)); then
    echo "failed:"
    grep '^FAIL' "$RESULTS" | sed 's/^FAIL /  /'
fi
line="$passed passed, $failed failed"
((skipped)) && line+=", $skipped skipped"
echo "$line"
((failed == 0 && passed > 0))
