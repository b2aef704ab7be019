# fault = after=1 stall channel=t ms=1500: after the first packet of the
# probe's echo the host stops reading the test channel's guest-to-host ring
# for 1.5 s (its interrupt mask stays set: the guest does not signal), then
# drains on by itself. The probe's echoes of 256 and 2048 bytes come back
# late but whole, within its 2 s wait.
with_guest_modules hv_vmbus build/guest/kmod/vmbhv_probe.ko
config << 'CFG'
kernel = hv/vmlinuz
initrd = hv/initrd
cmdline = console=ttyS0 panic=-1 vmbhv.mode=check
device = test name=t
fault = after=1 stall channel=t ms=1500
CFG
boot --timeout 120
expect_status 0
expect '^hv: fault: line 5: relid 1 t: guest-to-host ring not read for 1500 ms after 1 guest packet$'
expect '^hv: fault: line 5: relid 1 t: reading its guest-to-host ring again after 1500 ms$'
expect_order '^hv: fault: line 5: relid 1 t: reading' 'vmbhv-probe: echo ok relid=1 sizes=8,256,2048$'
expect '^GUEST-CHECK vmbhv-probe-open-1 PASS'
expect '^GUEST-CHECK done PASS'
expect '^hv: summary .* vmbus_packets=3 .* faults_fired=2 '
