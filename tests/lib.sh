# Shared by the test suites: one result per line in $RESULTS ("PASS name" etc.).
RESULTS=${RESULTS:-build/results.txt}

record() { # record PASS|FAIL|SKIP name [detail]
    local verdict=$1 name=$2
    shift 2
    echo "$verdict $name" >> "$RESULTS"
    printf '%-4s %s%s\n' "$verdict" "$name" "${*:+ ($*)}"
}
