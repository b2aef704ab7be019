# The integration components against the guest's stock hv_utils: it binds
# heartbeat, shutdown and timesync and agrees on versions with the host; the
# host's heartbeats are answered; timesync corrects a guest clock started far
# off (vmbhv.clock, set before hv_utils loads) to the host's; and
# shutdown_after ends the run through the guest's own orderly power-off.
with_guest_modules hv_vmbus hv_utils
config << 'CFG'
kernel = hv/vmlinuz
initrd = hv/initrd
cmdline = console=ttyS0 panic=-1 vmbhv.clock=1000000000
shutdown_after = 25
device = heartbeat name=hb
device = shutdown name=sd
device = timesync name=ts
CFG
t0=$(date +%s)
boot --timeout 240
t1=$(date +%s)
expect_status 0

for dev in hb:heartbeat sd:shutdown ts:timesync; do
    expect "^hv: devices: ${dev%%:*}: ${dev#*:} device enabled$"
done
# Versions: the newest both sides know, seen from both sides.
expect '^hv: ic: hb: negotiated framework 3\.0, heartbeat 3\.0$'
expect '^hv: ic: sd: negotiated framework 3\.0, shutdown 3\.2$'
expect '^hv: ic: ts: negotiated framework 3\.0, timesync 4\.0$'
expect 'hv_utils: Heartbeat IC version 3\.0'
expect 'hv_utils: Shutdown IC version 3\.2'
expect 'hv_utils: TimeSync IC version 4\.0'
expect '^GUEST-CHECK ic-heartbeat PASS driver=hv_utils version=3\.0$'
expect '^GUEST-CHECK ic-shutdown PASS driver=hv_utils version=3\.2$'
expect '^GUEST-CHECK ic-timesync PASS driver=hv_utils version=4\.0$'

# Heartbeats: answered from the first one on, every second. (Lines logged
# while the guest's shell prompt is on the console start after it: no ^.)
expect '^hv: ic: hb: heartbeat: answered 1, missed 0$'
expect 'hv: ic: hb: heartbeat: answered 10, missed [0-9]+$' "ten heartbeats answered"

# Time: the guest started at 2001-09-09 (vmbhv.clock), timesync's SYNC put it
# within 2 s of its RTC, and that time is this machine's, as the host's was.
expect 'vmbhv-init: clock set to 100000000[0-9] \(vmbhv\.clock\)' "the guest clock started far off"
expect '^hv: ic: ts: timesync: sent SYNC [0-9]+\.[0-9]{3} \(unix time\), message version 4\.0$'
expect '^GUEST-CHECK ic-clock PASS guest=[0-9]+ rtc=[0-9]+ delta=-?[0-2] '
host=$(sed -n 's/^hv: rtc: .* UTC (unix \([0-9]*\))$/\1/p' "$LOG.txt" | head -n1)
guest=$(log_field '^GUEST-CHECK ic-clock ' guest)
echo "runner $t0..$t1, host RTC ${host:-none}, guest after timesync ${guest:-none}"
if [ -z "$host" ] || [ -z "$guest" ]; then
    fail "no host RTC time or no guest clock line"
elif ((host < t0 - 2 || host > t1 + 2)); then
    fail "host RTC time $host is not this machine's ($t0..$t1)"
elif ((guest < host || guest > t1 + 2)); then
    fail "guest time $guest is not between the host's start $host and the end of the run $t1"
fi

# Shutdown: after the checks, the request; hv_utils accepts it and powers the
# guest off its own orderly way (/sbin/poweroff), which ends the run.
expect_order '^GUEST-CHECK ic-clock ' 'hv: ic: sd: asking the guest to power off'
expect 'hv: ic: sd: asking the guest to power off \(shutdown_after=25s\)$'
expect 'hv_utils: Shutdown request received - graceful shutdown initiated'
expect 'hv: ic: sd: the guest accepted the shutdown request$'
expect 'vmbhv-init: poweroff requested: syncing and going down'
expect_order 'hv_utils: Shutdown request received' '^hv: guest: power-off \(ACPI S5\)$'
expect '^hv: summary .* ic_heartbeats=[1-9][0-9]+ ic_heartbeats_missed=[0-9]+ ic_timesyncs=[1-9][0-9]* ic_shutdowns=1 ic_rejected=0 .*verdict=0$'
# The heartbeats and time samples came on the host's own timer (the HPET),
# not only on exits the guest happened to make.
expect '^hv: summary .* host_timer=[1-9][0-9]* ' "the host timer fired"
expect_not '^GUEST-CHECK [^ ]+ FAIL'
expect_not 'hv: ic: .*rejected'
