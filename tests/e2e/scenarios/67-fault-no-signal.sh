# fault = after=3 no-signal channel=hb: the host's third heartbeat request
# goes into the ring, but the guest is not interrupted for it although the
# ring's rules say it must be (a lost interrupt). Known behaviour of the
# stock guest (Linux 6.1.0-57-cloud-amd64), as the ring protocol has it: the
# guest is interrupted only when the ring goes from empty to not empty; the
# request stays unread, every later request lands in a ring that is not
# empty and is not signalled either: hv_utils never answers again (no poll,
# no timeout), and the host counts every later heartbeat as missed.
with_guest_modules hv_vmbus hv_utils
config << 'CFG'
kernel = hv/vmlinuz
initrd = hv/initrd
cmdline = console=ttyS0 panic=-1
shutdown_after = 8
device = heartbeat name=hb
device = shutdown name=sd
fault = after=3 no-signal channel=hb
CFG
boot --timeout 100
expect_status 0
expect 'hv: fault: line 7: relid 1 hb: host-to-guest packet 4 not signalled$'
expect 'hv: ic: hb: heartbeat: missed 1, answered 2$'
expect_not 'hv: ic: hb: heartbeat: answered [3-9]'
expect 'hv: ic: sd: the guest accepted the shutdown request$'
expect '^hv: summary .* faults_fired=1 ic_heartbeats=2 ic_heartbeats_missed=[1-9]'
