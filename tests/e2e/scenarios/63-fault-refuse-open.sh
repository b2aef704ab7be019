# fault = always refuse-open channel=hb: OPENCHANNEL_RESULT carries
# STATUS_UNSUCCESSFUL. The stock hv_vmbus fails the open with -EAGAIN, tears
# its ring GPADL down again, and hv_utils' probe fails: the device stays
# unbound, with no retry and no error line of hv_vmbus' own beyond the
# probe's.
with_guest_modules hv_vmbus hv_utils
config << 'CFG'
kernel = hv/vmlinuz
initrd = hv/initrd
cmdline = console=ttyS0 panic=-1 vmbhv.ics_wait=3
shutdown_after = 10
device = heartbeat name=hb
device = shutdown name=sd
fault = always refuse-open channel=hb
CFG
boot --timeout 120
expect_status 0
expect '^hv: fault: line 7: OPENCHANNEL of relid 1 hb refused with status 0xc0000001$'
expect '^hv: vmbus: refused OPENCHANNEL: refused by a fault \(status 0xc0000001\)$'
inst=$(sed -n 's/^hv: vmbus: offer relid 1 hb: .* instance \([0-9a-f-]*\) .*/\1/p' "$LOG.txt")
expect "hv_vmbus: probe failed for device $inst \\(-11\\)"
expect "hv_utils: probe of $inst failed with error -11"
expect_order '^hv: fault: line 7: OPENCHANNEL' '^hv: vmbus: GPADL 0x[0-9a-f]+ of relid 1 torn down$'
expect '^GUEST-CHECK ic-heartbeat FAIL driver=- version=none$'
expect '^GUEST-CHECK ic-shutdown PASS driver=hv_utils version=3\.2$'
expect '^hv: summary .* faults_fired=1 ic_heartbeats=0 '
