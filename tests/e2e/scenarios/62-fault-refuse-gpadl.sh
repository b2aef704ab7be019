# fault = always refuse-gpadl channel=hb status=0xc000009a: the heartbeat's
# ring GPADL is answered with that creation status. The stock hv_vmbus logs
# it and fails the open with -EDQUOT; hv_utils' probe fails and the device
# stays unbound (no retry); the rest of the guest runs on (the shutdown
# device ends the run).
with_guest_modules hv_vmbus hv_utils
config << 'CFG'
kernel = hv/vmlinuz
initrd = hv/initrd
cmdline = console=ttyS0 panic=-1 vmbhv.ics_wait=3
shutdown_after = 10
device = heartbeat name=hb
device = shutdown name=sd
fault = always refuse-gpadl channel=hb status=0xc000009a
CFG
boot --timeout 120
expect_status 0
expect '^hv: fault: line 7: GPADL of relid 1 hb refused with status 0xc000009a$'
expect 'hv_vmbus: Failed to establish GPADL: err = 0xc000009a'
inst=$(sed -n 's/^hv: vmbus: offer relid 1 hb: .* instance \([0-9a-f-]*\) .*/\1/p' "$LOG.txt")
expect "hv_vmbus: probe failed for device $inst \\(-122\\)"
expect "hv_utils: probe of $inst failed with error -122"
expect_not '^hv: vmbus: relid 1 hb opened'
expect "^GUEST-CHECK vmbus-dev PASS class=57164f39-9115-4e78-ab55-382f3bd5422d instance=$inst state=[0-9]+ driver=-$"
expect '^GUEST-CHECK ic-heartbeat FAIL driver=- version=none$'
expect '^GUEST-CHECK ic-shutdown PASS driver=hv_utils version=3\.2$'
expect 'hv: ic: sd: the guest accepted the shutdown request$'
expect '^hv: summary .* faults_fired=1 ic_heartbeats=0 '
