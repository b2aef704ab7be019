# fault = after=1 mask channel=hb mode=held packets=3: after the guest's
# first packet on the heartbeat channel (its negotiate answer) the host
# leaves its interrupt_mask of the guest-to-host ring at 1 over the next
# three packets. The stock hv_vmbus (Linux 6.1.0-57-cloud-amd64) sees the
# mask set and does not signal its heartbeat answers; the host, looking at
# the ring every 10 ms while it holds the mask, finds each answer all the
# same, well within the 1 s period: no miss. Then the mask goes back to 0
# and the guest signals again.
with_guest_modules hv_vmbus hv_utils
config << 'CFG'
kernel = hv/vmlinuz
initrd = hv/initrd
cmdline = console=ttyS0 panic=-1
shutdown_after = 7
device = heartbeat name=hb
device = shutdown name=sd
fault = after=1 mask channel=hb mode=held packets=3
CFG
boot --timeout 90
expect_status 0
expect 'hv: fault: line 7: relid 1 hb: host interrupt_mask held at 1 over the next 3 guest packets after 1 guest packet$'
expect 'hv: fault: line 7: relid 1 hb: host interrupt_mask cleared again after 3 guest packets$'
expect_order 'hv: fault: line 7: relid 1 hb: host interrupt_mask held' 'hv: ic: hb: heartbeat: answered 1, missed 0$'
expect_not 'hv: ic: hb: rejected'
expect 'hv: ic: sd: the guest accepted the shutdown request$'
expect '^hv: summary .* faults_fired=2 ic_heartbeats=([4-9]|[1-9][0-9]+) ic_heartbeats_missed=0 '
