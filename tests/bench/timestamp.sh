# Sourced by the benchmarks that time serial lines (boot.sh, smp.sh).
# timestamp T0: each line of stdin with its wall-clock offset from T0 (an
# $EPOCHREALTIME), "<s>.<us> <line>", carriage returns dropped.
timestamp() {
    local t0=${1/./} line us
    while IFS= read -r line; do
        us=$((${EPOCHREALTIME/./} - t0))
        printf '%d.%06d %s\n' $((us / 1000000)) $((us % 1000000)) "${line%$'\r'}"
    done
}
