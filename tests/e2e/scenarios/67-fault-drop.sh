# fault = after=0 drop channel=ts: the first packet the host sends on the
# timesync channel -- its version negotiation request -- never reaches the
# ring. Known guest behaviour (Linux 6.1.0-57-cloud-amd64): hv_utils waits
# for it without a timeout: the device stays bound but never negotiates, no
# error is logged, and time is never synced; the other ICs work.
with_guest_modules hv_vmbus hv_utils
config << 'CFG'
kernel = hv/vmlinuz
initrd = hv/initrd
cmdline = console=ttyS0 panic=-1 vmbhv.ics_wait=3
shutdown_after = 10
device = timesync name=ts
device = shutdown name=sd
fault = after=0 drop channel=ts
CFG
boot --timeout 120
expect_status 0
expect '^hv: fault: line 7: relid 1 ts: host-to-guest packet 1 dropped$'
expect '^hv: vmbus: relid 1 ts opened: '
expect_not 'hv_utils: TimeSync IC version'
expect_not '^hv: ic: ts: negotiated'
expect '^GUEST-CHECK ic-timesync FAIL driver=hv_utils version=none$'
expect '^GUEST-CHECK ic-shutdown PASS driver=hv_utils version=3\.2$'
expect 'hv: ic: sd: the guest accepted the shutdown request$'
expect '^hv: summary .* faults_fired=1 .* ic_timesyncs=0 '
