# fault = always bad-version channel=hb: the heartbeat device's negotiate
# request offers heartbeat version 9.0 alone (the framework versions as
# usual), a version the guest did not ask for. The stock hv_utils (Linux
# 6.1.0-57-cloud-amd64) finds no version it knows, answers with empty lists
# and logs nothing; the host finds no common version and leaves the channel
# unused: no heartbeat, while the driver stays bound. The shutdown IC, not
# faulted, works.
with_guest_modules hv_vmbus hv_utils
config << 'CFG'
kernel = hv/vmlinuz
initrd = hv/initrd
cmdline = console=ttyS0 panic=-1
shutdown_after = 5
device = heartbeat name=hb
device = shutdown name=sd
fault = always bad-version channel=hb
CFG
boot --timeout 90
expect_status 0
expect 'hv: fault: line 7: relid 1 hb: version negotiation offers 9.0 alone, a version the guest did not ask for$'
expect 'hv: ic: hb: no common version: the guest accepted none of framework 3.0 1.0, heartbeat 9.0; channel unused$'
expect_not 'hv_utils: Heartbeat IC version'
expect 'GUEST-CHECK vmbus-dev PASS class=57164f39-9115-4e78-ab55-382f3bd5422d .* driver=hv_utils'
expect 'hv_utils: Shutdown IC version'
expect 'hv: ic: sd: the guest accepted the shutdown request$'
expect '^hv: summary .* faults_fired=1 ic_heartbeats=0 ic_heartbeats_missed=0 '
