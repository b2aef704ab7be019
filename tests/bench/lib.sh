# Sourced by the make-bench scripts (from the tree's top).

# bench_built NAME FILE...: every FILE is there, or NAME's bench says which
# is missing and stops.
bench_built() {
    local name=$1 f
    shift
    for f; do
        [ -f "$f" ] || { echo "$name bench: $f missing: run make first" >&2; exit 1; }
    done
}

# Sets accel and cpu: QEMU's accelerator and CPU for a direct boot beside
# vmbhv's (ACCEL=kvm: KVM with the host's CPU, else TCG).
bench_accel() {
    accel=tcg cpu=(-accel tcg -cpu max,+svm)
    if [ "${ACCEL:-}" = kvm ]; then accel=kvm cpu=(-accel kvm -cpu host,+svm); fi
}

# timestamp T0: each line of stdin with its wall-clock offset from T0 (an
# $EPOCHREALTIME), "<s>.<us> <line>", carriage returns dropped.
timestamp() {
    local t0=${1/./} line us
    while IFS= read -r line; do
        us=$((${EPOCHREALTIME/./} - t0))
        printf '%d.%06d %s\n' $((us / 1000000)) $((us % 1000000)) "${line%$'\r'}"
    done
}
