# A 2-CPU machine whose one-VP guest (vcpus = 1: CPU 1 is not the guest's;
# vmbhv_attack's ipi-others case) sends fixed IPIs (a host vector and a
# guest one), NMI, INIT and SIPIs (into low memory and where the AP
# trampoline was) to every other APIC ID through its passed-through LAPIC.
# The parked AP (GIF=0) runs nothing of it: it never logs again, the guest
# goes on with its time, its checks pass, and the run ends once with the
# host's verdict.
export QEMU_SMP=2
with_attack_module ipi-others
echo "vcpus = 1" >> "$CFG"
boot --timeout 300
expect 'vmbhv-attack: ipi-others PASS( |$)'
expect '^GUEST-CHECK vmbhv-attack PASS cases=1 passed=1 failed=0$'
expect '^GUEST-CHECK done PASS'
expect_host '^hv: smp: 2 cpus$'
expect_host '^hv: guest: 1 VPs$'
v=$(grep -c '^hv: smp: cpu ' "$HOSTLOG.txt")
[ "$v" = 1 ] || fail "$v 'hv: smp: cpu' lines: the AP ran the trampoline again"
expect_host '^hv: guest: power-off \(ACPI S5\)$'
expect_host '^hv: summary .*verdict=0$'
v=$(grep -c 'hv: exit: verdict=' "$HOSTLOG.txt")
[ "$v" = 1 ] || fail "$v verdict lines in the host's log, expected one"
expect_not_host '^hv: panic'
expect_not 'Kernel panic|BUG:|Oops'
expect_status 0
