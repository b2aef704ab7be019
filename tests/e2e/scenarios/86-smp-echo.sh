# The echo benchmark on every guest CPU at once: a 2-CPU machine, two VPs,
# two test devices. Linux opens both channels on CPU 0; the probe's check
# (vmbhv_probe.bench_cpus=1) moves the second to CPU 1 through sysfs (the
# guest driver's MODIFYCHANNEL, answered by the host), then streams echoes on
# both at once, each from a kthread on the channel's CPU, every byte checked
# and every echo's interrupt required on that CPU.
export QEMU_SMP=2
with_guest_modules hv_vmbus build/guest/kmod/vmbhv_probe.ko
config << 'CFG'
memory_mb = 512
vcpus = 2
kernel = hv/vmlinuz
initrd = hv/initrd
cmdline = console=ttyS0 panic=-1 vmbhv.mode=check vmbhv_probe.bench_cpus=1 vmbhv_probe.bench_ms=1000
trace = vmbus
device = test name=t0
device = test name=t1
CFG
boot --timeout 240
expect '^\[ *[0-9.]+\] smp: Brought up 1 node, 2 CPUs$' "the guest has two CPUs"
expect '^GUEST-CHECK vmbhv-bench-cpus PASS cpus=2 channels=2 moved=1 on=1@0,2@1 echo=[0-9.]+ errors=0$'
expect 'vmbhv-bench: cpu 0 relid=1 target=0 echo size=4080 packets=[1-9][0-9]* .* errors=0 off_cpu=0$' "channel 1 on CPU 0"
expect 'vmbhv-bench: cpu 1 relid=2 target=1 echo size=4080 packets=[1-9][0-9]* .* errors=0 off_cpu=0$' "channel 2 on CPU 1"
expect 'vmbhv-bench: all cpus=2 channels=2 bytes=[1-9][0-9]* ms=[0-9]+ echo=[0-9.]+ errors=0$'
expect_host '^hv: trace: vmbus: guest->host MODIFYCHANNEL relid=2 vp=1$' "the move reached the host"
expect_host '^hv: trace: vmbus: host->guest MODIFYCHANNEL_RESPONSE relid=2 status=STATUS_SUCCESS$'
expect_not_host 'MODIFYCHANNEL relid=1 ' "channel 1 stays where Linux opened it"
expect_not 'vmbhv-probe: FAIL'
expect '^GUEST-CHECK vmbhv-probe PASS devices=2$'
expect '^GUEST-CHECK vmbhv-probe-close PASS closed=2$'
expect '^GUEST-CHECK done PASS'
expect_host '^hv: summary .*verdict=0$'
expect_status 0
