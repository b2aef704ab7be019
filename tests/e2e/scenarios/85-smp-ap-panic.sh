# A failure verdict that comes from VP 1: at a 2-VP guest's shell, a
# command pinned to CPU 1 crashes the kernel there (sysrq c); with panic=-1
# CPU 1 resets the machine at once, its exit ends the run with the reset's
# verdict, once, and QEMU stops with every CPU (no timeout).
export QEMU_SMP=2
with_guest
config << 'CFG'
memory_mb = 512
vcpus = 2
kernel = hv/vmlinuz
initrd = hv/initrd
cmdline = console=ttyS0 panic=-1 vmbhv.mode=shell
CFG
type_after "^vmbhv:/# " "taskset 2 sh -c 'echo c > /proc/sysrq-trigger'"
boot --timeout 120
expect_host '^hv: vcpu: vp 1 started by SIPI at 0x[0-9a-f]+$'
expect 'sysrq: Trigger a crash'
expect 'Kernel panic - not syncing' "the kernel crashed"
expect 'CPU: 1 PID: ' "on CPU 1"
expect_host '^hv: vcpu: vp 1 ends the run$'
expect_host '^hv: guest: reset through .* \(a reboot, or a panic with panic=-1\)$'
expect_host '^hv: summary .* verdict=1$'
v=$(grep -c 'hv: exit: verdict=' "$HOSTLOG.txt")
[ "$v" = 1 ] || fail "$v verdict lines in the host's log, expected one"
expect_status 1
