# fault = after=1 duplicate channel=hb: the host's first heartbeat request
# (the packet after the negotiation) goes into the ring twice. The stock
# hv_utils answers both copies; the host takes the first answer and rejects
# the second (no request with that transaction id is outstanding); the
# heartbeat goes on.
with_guest_modules hv_vmbus hv_utils
config << 'CFG'
kernel = hv/vmlinuz
initrd = hv/initrd
cmdline = console=ttyS0 panic=-1
shutdown_after = 6
device = heartbeat name=hb
device = shutdown name=sd
fault = after=1 duplicate channel=hb
CFG
boot --timeout 120
expect_status 0
expect '^hv: fault: line 7: relid 1 hb: host-to-guest packet 2 sent twice$'
expect '^hv: ic: hb: heartbeat: answered 1, missed 0$'
expect '^hv: ic: hb: rejected answer: no request with its transaction id is outstanding$'
expect_order '^hv: fault: line 7: ' '^hv: ic: hb: rejected answer'
expect 'hv: ic: sd: the guest accepted the shutdown request$'
expect '^hv: summary .* faults_fired=1 ic_heartbeats=[2-9][0-9]* ic_heartbeats_missed=0 .* ic_rejected=1 '
