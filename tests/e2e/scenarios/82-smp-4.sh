# A 4-CPU machine: the hypervisor starts every AP the MADT lists (INIT,
# SIPI, SIPI into its trampoline below 1 MiB), each says it is up and parks
# with GIF=0; the one-VP guest boots beside them, passes its checks and
# powers off, and the run ends once with its verdict. Every host line is whole
# (the log is written one line at a time whichever CPU writes it).
export QEMU_SMP=4
with_guest
config << 'CFG'
memory_mb = 512
kernel = hv/vmlinuz
initrd = hv/initrd
cmdline = console=ttyS0 panic=-1 vmbhv.mode=check
CFG
boot --timeout 300
for i in $(seq 1 3); do
    expect_host "^hv: smp: cpu $i \\(apic id [0-9]+\\) up$" "AP $i up"
done
expect_host '^hv: smp: 4 cpus$'
expect_order '^hv: smp: 4 cpus$' '^hv: boot: ready$'
expect_not_host 'did not come up|cannot park|other CPUs not started'
expect '^GUEST-CHECK kernel PASS 6\.1\.' "userspace reached"
expect '^GUEST-CHECK done PASS'
expect_host '^hv: guest: power-off \(ACPI S5\)$'
expect_host '^hv: summary .*verdict=0$'
v=$(grep -c 'hv: exit: verdict=' "$HOSTLOG.txt")
[ "$v" = 1 ] || fail "$v verdict lines in the host's log, expected one"
# whole lines only: every line of the host's record starts as a line should,
# and none has another line's start inside it
bad=$(grep -avc '^hv: ' "$HOSTLOG.txt")
[ "$bad" = 0 ] || fail "$bad lines of the host's record do not start with 'hv: '"
bad=$(grep -ac '.hv: [a-z]*: ' "$HOSTLOG.txt")
[ "$bad" = 0 ] || fail "$bad lines of the host's record have another line inside"
expect_not 'Kernel panic'
expect_not_host '^hv: panic'
expect_status 0
