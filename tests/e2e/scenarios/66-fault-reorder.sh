# fault = after=1 reorder channel=hb ms=300: the host's first heartbeat
# request (the packet after the negotiation) is held until the channel's
# next packet, which would go first. The stock hv_utils (Linux
# 6.1.0-57-cloud-amd64) answers each request before the host sends another
# (one is out at a time), so no next packet comes: the held request goes
# alone 300 ms late, is answered, and the heartbeat goes on with no miss.
# (The swap itself is test_vmbus_proto's fault_reorder.)
with_guest_modules hv_vmbus hv_utils
config << 'CFG'
kernel = hv/vmlinuz
initrd = hv/initrd
cmdline = console=ttyS0 panic=-1
shutdown_after = 6
device = heartbeat name=hb
device = shutdown name=sd
fault = after=1 reorder channel=hb ms=300
CFG
boot --timeout 90
expect_status 0
expect 'hv: fault: line 7: reorder of hb armed$'
expect 'hv: fault: line 7: relid 1 hb: host-to-guest packet 2 held until the next one \(at most 300 ms\)$'
expect 'hv: fault: line 7: relid 1 hb: held packet 2 sent after 300 ms: no packet came after it$'
expect_order 'hv: fault: line 7: relid 1 hb: held packet 2 sent' 'hv: ic: hb: heartbeat: answered 1, missed 0$'
expect_not 'hv: ic: hb: rejected'
expect 'hv: ic: sd: the guest accepted the shutdown request$'
expect '^hv: summary .* faults_fired=2 ic_heartbeats=[2-9][0-9]* ic_heartbeats_missed=0 '
