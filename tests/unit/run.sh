#!/usr/bin/env bash
# Runs every built unit test (cmocka, TAP output), the ThreadSanitizer builds
# (build/tests/tsan) too; one result per test case.
set -u
. tests/lib.sh
for bin in build/tests/unit/test_* build/tests/tsan/test_*; do
    [ -x "$bin" ] && [[ $bin != *.d ]] || continue
    name=$(basename "$bin")
    [[ $bin == build/tests/tsan/* ]] && name=tsan/$name
    out=$(CMOCKA_MESSAGE_OUTPUT=TAP "$bin" 2>&1)
    rc=$?
    failed=0
    while IFS= read -r line; do
        case $line in
        *"ok "*"# SKIP "*) record SKIP "unit/$name/${line##*# SKIP }" ;;
        "not ok "*) record FAIL "unit/$name/${line#*- }"; failed=1 ;;
        "ok "*) record PASS "unit/$name/${line#*- }" > /dev/null ;;
        esac
    done <<< "$out"
    if ((rc != 0 && failed == 0)); then
        record FAIL "unit/$name" "exit status $rc"
        failed=1
    fi
    ((failed)) && printf '%s\n' "$out" | tail -n 40
done
true
