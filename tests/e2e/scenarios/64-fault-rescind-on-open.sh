# fault = on-open rescind channel=ts reoffer=2000: the guest's OPENCHANNEL is
# answered by a rescind. The stock hv_vmbus ends the waiting open with
# -ENODEV (hv_utils' probe fails), releases the relid; 2 s later the same
# channel is offered again and hv_utils binds it and syncs the clock. (Not
# in check mode: the checks would end the run before the re-offer; the
# shutdown device does; host lines after the guest's shell prompt may follow
# it on the same console line: no ^ there.)
with_guest_modules hv_vmbus hv_utils
config << 'CFG'
kernel = hv/vmlinuz
initrd = hv/initrd
cmdline = console=ttyS0 panic=-1
shutdown_after = 8
device = timesync name=ts
device = shutdown name=sd
fault = on-open rescind channel=ts reoffer=2000
CFG
boot --timeout 120
expect_status 0
expect '^hv: vmbus: rescind relid 1 ts$'
expect '^hv: fault: line 7: rescinded relid 1 ts while the guest opens it \(OPENCHANNEL unanswered\), re-offer in 2000 ms$'
inst=$(sed -n 's/^hv: vmbus: offer relid 1 ts: .* instance \([0-9a-f-]*\) .*/\1/p' "$LOG.txt" | head -n1)
expect "hv_vmbus: probe failed for device $inst \\(-19\\)"
expect '^hv: vmbus: relid 1 ts released$'
expect_order '^hv: vmbus: relid 1 ts released$' 'hv: fault: line 7: re-offered relid 1 ts$'
[ "$(grep -c "hv: vmbus: offer relid 1 ts: " "$LOG.txt")" = 2 ] || fail "not offered twice"
expect 'hv: vmbus: relid 1 ts opened: '
expect 'hv_utils: TimeSync IC version 4\.0'
expect 'hv: ic: ts: timesync: sent SYNC '
expect 'hv: ic: sd: the guest accepted the shutdown request$'
expect '^hv: summary .* faults_fired=2 .* ic_timesyncs=[1-9]'
