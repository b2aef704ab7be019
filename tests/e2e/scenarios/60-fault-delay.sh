# fault = always delay msg=<type> ms=<n> (docs/faults.md): the host holds
# ALLOFFERS_DELIVERED 3 s, and its queue in order behind it. The stock
# hv_vmbus takes the offers as they came, but its drivers' GPADL_CREATED
# waits behind the held message: hv_utils binds 3 s late and works.
with_guest_modules hv_vmbus hv_utils
config << 'CFG'
kernel = hv/vmlinuz
initrd = hv/initrd
cmdline = console=ttyS0 panic=-1 vmbhv.mode=check
device = heartbeat name=hb
fault = always delay msg=ALLOFFERS_DELIVERED ms=3000
CFG
boot --timeout 120
expect_status 0
expect '^hv: fault: line 5: delay armed$'
expect '^hv: fault: line 5: ALLOFFERS_DELIVERED held for 3000 ms$'
expect_order '^hv: fault: line 5: ALLOFFERS_DELIVERED held' '^hv: vmbus: GPADL 0x[0-9a-f]+ of relid 1 created'
expect 'hv_utils: Heartbeat IC version 3\.0'
expect '^GUEST-CHECK ic-heartbeat PASS driver=hv_utils version=3\.0$'
expect '^GUEST-CHECK done PASS'
expect '^hv: summary .* faults_fired=1 '
# the guest bound hv_utils no earlier than the delay allows
t=$(sed -n 's/^\[ *\([0-9]*\)\.[0-9]*\] hv_utils: Heartbeat IC version.*/\1/p' "$LOG.txt" | head -n1)
[ -n "$t" ] && ((t >= 3)) || fail "hv_utils negotiated at ${t:-never} s of the guest's time, before the 3 s delay"
