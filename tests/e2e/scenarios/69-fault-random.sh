# fault = random seed=7 rate=500: every other host message is held 1-100 ms
# and every other guest packet the host reads stalls its ring as long, the
# same ones for the same seed and the same guest. A correct guest survives
# all of them: the stock hv_vmbus connects, hv_utils negotiates all three
# ICs, every heartbeat is answered in time, the clock is synced and the
# shutdown request ends the run. (Not in check mode: the guest's checks do
# not wait for offers that come late.)
with_guest_modules hv_vmbus hv_utils
config << 'CFG'
kernel = hv/vmlinuz
initrd = hv/initrd
cmdline = console=ttyS0 panic=-1
shutdown_after = 8
device = heartbeat name=hb
device = shutdown name=sd
device = timesync name=ts
fault = random seed=7 rate=500
CFG
boot --timeout 120
expect_status 0
expect '^hv: fault: line 8: random armed$'
expect 'hv: fault: line 8: [A-Z_]+ held for [0-9]+ ms'
expect 'hv: fault: line 8: relid [0-9]+ [a-z0-9]+: guest-to-host ring not read for [0-9]+ ms at random'
for ic in 'hb: negotiated framework 3\.0, heartbeat 3\.0' 'sd: negotiated framework 3\.0, shutdown 3\.2' \
    'ts: negotiated framework 3\.0, timesync 4\.0' 'ts: timesync: sent SYNC ' 'sd: the guest accepted the shutdown request'; do
    expect "hv: ic: $ic"
done
expect_not 'Oops|BUG:|WARNING:'
expect '^hv: summary .* ic_heartbeats=[1-9][0-9]* ic_heartbeats_missed=0 .* ic_rejected=0 '
n=$(log_field '^hv: summary ' faults_fired)
[ -n "$n" ] && ((n >= 5)) || fail "faults_fired=${n:-none}: random fired too seldom to test anything"
