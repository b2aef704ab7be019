# fault = after=3 rescind channel=hb reoffer=1000: once the host has read
# three packets of the open heartbeat channel (the negotiation answer and two
# heartbeat answers), it closes the channel on its side and rescinds it. The
# stock hv_utils is removed from the device, hv_vmbus releases the relid;
# the re-offer is bound again, negotiated again, and heartbeats go on.
with_guest_modules hv_vmbus hv_utils
config << 'CFG'
kernel = hv/vmlinuz
initrd = hv/initrd
cmdline = console=ttyS0 panic=-1
shutdown_after = 12
device = heartbeat name=hb
device = shutdown name=sd
fault = after=3 rescind channel=hb reoffer=1000
CFG
boot --timeout 120
expect_status 0
expect '^hv: fault: line 7: rescinded relid 1 hb after 3 guest packets \(open: closed first\), re-offer in 1000 ms$'
expect '^hv: vmbus: relid 1 hb released$'
expect_order '^hv: vmbus: relid 1 hb released$' '^hv: fault: line 7: re-offered relid 1 hb$'
[ "$(grep -c '^hv: ic: hb: negotiated framework 3\.0, heartbeat 3\.0$' "$LOG.txt")" = 2 ] ||
    fail "the heartbeat was not negotiated twice (before the rescind and after the re-offer)"
[ "$(grep -c 'hv_utils: Heartbeat IC version 3\.0' "$LOG.txt")" = 2 ] ||
    fail "hv_utils did not bind the re-offered channel"
expect 'hv: ic: sd: the guest accepted the shutdown request$'
expect_not 'Oops|BUG:|WARNING:'
# heartbeats after the re-offer: more than the two before it
n=$(log_field '^hv: summary ' ic_heartbeats)
[ -n "$n" ] && ((n >= 5)) || fail "ic_heartbeats=${n:-none}: the heartbeat did not go on after the re-offer"
expect '^hv: summary .* faults_fired=2 '
