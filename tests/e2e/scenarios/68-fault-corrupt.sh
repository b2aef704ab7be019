# fault = ... corrupt channel=<c> field=trans|type: one byte of a packet's
# descriptor changes, its framing (offset8, len8, trailer) as the ring's
# rules say. Known guest behaviour (Linux 6.1.0-57-cloud-amd64): hv_utils
# does not look at the packet type -- the shutdown channel's negotiation
# request sent as a completion (type 0x0b) is negotiated as usual -- and
# answers with whatever transaction id came: timesync's SYNC with its id's
# low byte flipped is applied (the clock is set) and its answer carries the
# flipped id, which the host rejects.
with_guest_modules hv_vmbus hv_utils
config << 'CFG'
kernel = hv/vmlinuz
initrd = hv/initrd
cmdline = console=ttyS0 panic=-1 vmbhv.clock=1000000000
shutdown_after = 8
device = shutdown name=sd
device = timesync name=ts
fault = after=0 corrupt channel=sd field=type
fault = after=1 corrupt channel=ts field=trans
CFG
boot --timeout 100
expect_status 0
expect '^hv: fault: line 7: relid 1 sd: host-to-guest packet 1: type DATA_INBAND sent as COMP$'
expect 'hv_utils: Shutdown IC version 3\.2'
expect '^hv: ic: sd: negotiated framework 3\.0, shutdown 3\.2$'
expect '^hv: fault: line 8: relid 2 ts: host-to-guest packet 2: transaction id 0x[0-9a-f]+ sent as 0x[0-9a-f]+$'
expect '^hv: ic: ts: rejected answer: no request with its transaction id is outstanding$'
expect_order '^hv: fault: line 8: ' '^hv: ic: ts: rejected answer'
expect '^GUEST-CHECK ic-clock PASS ' "the corrupted SYNC still set the guest's clock"
expect 'hv: ic: sd: the guest accepted the shutdown request$'
expect '^hv: summary .* faults_fired=2 .* ic_rejected=1 '
