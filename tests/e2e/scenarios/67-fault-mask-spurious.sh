# fault = after=1 mask channel=hb mode=spurious: right after the guest's
# first packet on the heartbeat channel (its negotiate answer) the host
# interrupts the guest for the channel with no packet written. The stock
# hv_utils (Linux 6.1.0-57-cloud-amd64) finds its ring empty and does
# nothing: no log line, no error; the heartbeat goes on with no miss.
with_guest_modules hv_vmbus hv_utils
config << 'CFG'
kernel = hv/vmlinuz
initrd = hv/initrd
cmdline = console=ttyS0 panic=-1
shutdown_after = 6
device = heartbeat name=hb
device = shutdown name=sd
fault = after=1 mask channel=hb mode=spurious
CFG
boot --timeout 90
expect_status 0
expect 'hv: fault: line 7: relid 1 hb: guest signalled with no packet written after 1 guest packet$'
expect_order 'hv: fault: line 7: relid 1 hb: guest signalled' 'hv: ic: hb: heartbeat: answered 1, missed 0$'
expect_not 'hv: ic: hb: rejected'
expect_not 'hv_utils.*(error|fail)'
expect 'hv: ic: sd: the guest accepted the shutdown request$'
expect '^hv: summary .* faults_fired=1 ic_heartbeats=[2-9][0-9]* ic_heartbeats_missed=0 '
