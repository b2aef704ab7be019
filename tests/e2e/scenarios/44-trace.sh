# trace = vmbus,ring,hypercall: the hypervisor decodes every channel message,
# ring packet and hypercall onto its log, and what it decoded is what the
# guest saw: the version hv_vmbus reports, the relids and GUIDs of the offers
# the probe read, ring GPADLs of the probe's own ring size, the opens the probe
# reports, the echo packets both ways. The trace lines are read from the
# hypervisor's own log ($HOSTLOG.txt: no guest output can split them).
with_guest_modules hv_vmbus build/guest/kmod/vmbhv_probe.ko
config << 'CFG'
kernel = hv/vmlinuz
initrd = hv/initrd
cmdline = console=ttyS0 panic=-1 vmbhv.mode=check
trace = vmbus, ring, hypercall
device = test name=small mmio_mb=2
device = test name=big mmio_mb=16 mmio_optional_mb=8 instance=6b1e5a0c-3d2f-4e8a-9b7c-1a2b3c4d5e6f
CFG
boot --timeout 240
expect_status 0
expect '^GUEST-CHECK vmbhv-probe PASS devices=2'
expect '^GUEST-CHECK vmbhv-probe-close PASS closed=2$'
expect '^GUEST-CHECK done PASS'
expect_host '^hv: trace: on: vmbus,ring,hypercall \(at most 2000 lines per class, then counted in trace_dropped=\)$'
expect_not_host '^hv: trace: (synic|exit): ' "classes not asked for"
expect_not_host '^hv: trace: .*(malformed|unknown type)' "everything Linux sends decodes"
expect_host '^hv: summary .* trace_dropped=0 '

T=$HOSTLOG.txt
trace() { grep -E -- "^hv: trace: $1" "$T"; }
count() { trace "$1" | wc -l; }
GUEST=$(sed -n 's/.*vmbhv-probe: //p' "$LOG.txt")

# Version: the one the guest's hv_vmbus reports is the INITIATE_CONTACT we
# accepted, and our answer said so.
ver=$(grep -oEm1 'hv_vmbus: Vmbus version:[0-9]+\.[0-9]+' "$LOG.txt" | sed 's/.*://')
[ -n "$ver" ] || fail "the guest reported no VMBus version"
trace "vmbus: guest->host INITIATE_CONTACT version=$ver vp=0 sint=2 " > /dev/null ||
    fail "no INITIATE_CONTACT version=$ver"
last=$(trace 'vmbus: host->guest VERSION_RESPONSE ' | tail -n1)
[[ $last == *" supported=1 state=0 conn=4" ]] || fail "last VERSION_RESPONSE: '$last'"

# Offers: exactly the probe's channels, relid, class, instance and megabytes.
[ "$(count 'vmbus: host->guest OFFERCHANNEL ')" = 2 ] || fail "not 2 OFFERCHANNEL lines"
[ "$(grep -c '^channel relid=' <<< "$GUEST")" = 2 ] || fail "the probe did not see 2 channels"
while read -r relid class instance mb opt; do
    trace "vmbus: host->guest OFFERCHANNEL relid=$relid class=$class instance=$instance mmio=$mb\+${opt}MiB .* connection=0x$(printf %x $((0x10 + relid)))\$" > /dev/null ||
        fail "no OFFERCHANNEL for the probe's relid $relid instance $instance ($mb+$opt MiB)"
done < <(sed -nE 's/^channel relid=([0-9]+) class=([0-9a-f-]+) instance=([0-9a-f-]+) mmio_mb=([0-9]+) mmio_optional_mb=([0-9]+)$/\1 \2 \3 \4 \5/p' <<< "$GUEST")
trace 'vmbus: host->guest OFFERCHANNEL .* instance=6b1e5a0c-3d2f-4e8a-9b7c-1a2b3c4d5e6f mmio=16\+8MiB ' > /dev/null ||
    fail "the configured instance GUID as text"

# Ring GPADLs: the probe's ring size both ways (VMBHV_RING_SIZE, header page
# included), created, opened with the host-to-guest ring after the first half;
# the server's own log line agrees; the open the probe reports succeeded.
ring=$(sed -nE 's/^#define VMBHV_RING_SIZE[[:space:]]+\(([0-9]+) \* PAGE_SIZE\).*/\1/p' guest/kmod/vmbhv_probe.c)
[ -n "$ring" ] || fail "VMBHV_RING_SIZE not found in guest/kmod/vmbhv_probe.c"
for relid in $(sed -nE 's/^vmbus_open ok relid=([0-9]+)$/\1/p' <<< "$GUEST"); do
    h=$(trace "vmbus: guest->host GPADL_HEADER relid=$relid " | head -n1)
    g=$(sed -nE 's/.* gpadl=(0x[0-9a-f]+) .*/\1/p' <<< "$h")
    pages=$(sed -nE 's/.* pages=([0-9]+) .*/\1/p' <<< "$h")
    [ -n "$g" ] || { fail "no GPADL_HEADER for relid $relid"; continue; }
    [ "$pages" = $((2 * ring)) ] || fail "relid $relid GPADL of $pages pages, the probe's rings are 2 x $ring"
    [[ $h == *" ranges=1 buflen=$((8 * (pages + 1))) "*" range0=$((pages * 4096))@0" ]] || fail "GPADL_HEADER: '$h'"
    expect_host "^hv: trace: vmbus: host->guest GPADL_CREATED relid=$relid gpadl=$g status=STATUS_SUCCESS\$"
    expect_host "^hv: vmbus: GPADL $g of relid $relid created: $pages pages in 1 range\$" "the server's view"
    expect_host "^hv: trace: vmbus: guest->host OPENCHANNEL relid=$relid openid=[0-9]+ gpadl=$g vp=0 downstream=$ring\$"
    expect_host "^hv: trace: vmbus: host->guest OPENCHANNEL_RESULT relid=$relid openid=[0-9]+ status=STATUS_SUCCESS\$"
    expect_host "^hv: trace: hypercall: HvSignalEvent fast conn=0x$(printf %x $((0x10 + relid))) flag=0 -> HV_STATUS_SUCCESS\$" "relid $relid signals"
    # the echo: every size the probe checked went out and came back, same transaction
    grep -qx "echo ok relid=$relid sizes=8,256,2048" <<< "$GUEST" || fail "relid $relid: no echo line from the probe"
    for len in 8 256 2048; do
        in=$(trace "ring: relid=$relid [a-z0-9]+ guest->host type=DATA_INBAND flags=0x[0-9a-f]+ len=$len " | head -n1)
        id=$(sed -nE 's/.* trans=(0x[0-9a-f]+) .*/\1/p' <<< "$in")
        [ -n "$id" ] || { fail "relid $relid: no guest->host packet of $len bytes"; continue; }
        trace "ring: relid=$relid [a-z0-9]+ host->guest type=DATA_INBAND flags=0x0 len=$len trans=$id signal=(yes|no)\$" > /dev/null ||
            fail "relid $relid: the $len-byte echo of $id did not go back"
    done
    # rmmod: close, then the GPADL goes
    expect_host "^hv: trace: vmbus: guest->host CLOSECHANNEL relid=$relid\$"
    expect_host "^hv: trace: vmbus: guest->host GPADL_TEARDOWN relid=$relid gpadl=$g\$"
    expect_host "^hv: trace: vmbus: host->guest GPADL_TORNDOWN gpadl=$g\$"
done
[ "$(grep -c '^vmbus_open ok relid=' <<< "$GUEST")" = 2 ] || fail "the probe did not open 2 channels"

# Every message once: the counts are the server's own counters, and every
# guest message came in through an HvPostMessage that succeeded.
msgs=$(log_field '^hv: summary ' vmbus_msgs)
sent=$(log_field '^hv: summary ' vmbus_sent)
[ "$(count 'vmbus: guest->host ')" = "$msgs" ] || fail "$(count 'vmbus: guest->host ') guest->host lines, vmbus_msgs=$msgs"
[ "$(count 'vmbus: host->guest ')" = "$sent" ] || fail "$(count 'vmbus: host->guest ') host->guest lines, vmbus_sent=$sent"
[ "$(count 'hypercall: HvPostMessage conn=4 type=1 size=[0-9]+ -> HV_STATUS_SUCCESS$')" = "$msgs" ] ||
    fail "not $msgs successful HvPostMessage lines"
[ "$(count 'ring: relid=[0-9]+ [a-z0-9]+ guest->host ')" = "$(log_field '^hv: summary ' vmbus_packets)" ] ||
    fail "guest->host packet lines differ from vmbus_packets"

# The trace records (a file of their own, QEMU's debugcon at 0x403): one JSON
# line per traced event, the same events and texts as the log's trace lines,
# and scripts/trace-filter.sh picks them by class, channel, message and time.
R=$LOG.trace.jsonl F=scripts/trace-filter.sh
if [ -s "$R" ]; then
    diff <("$F" --text "$R" | cut -d' ' -f2-) <(sed -n 's/^hv: trace: \([a-z]*: \)/\1/p' "$T" | grep -v '^on: ') > /dev/null ||
        fail "the records' texts are not the log's trace lines"
    [ "$("$F" --class vmbus --msg OFFERCHANNEL --count "$R")" = 2 ] || fail "not 2 OFFERCHANNEL records"
    [ "$("$F" --class vmbus --count "$R")" = "$(count 'vmbus: ')" ] || fail "vmbus records differ from vmbus lines"
    n1=$("$F" --relid 1 --count "$R")
    ((n1 > 10)) || fail "only $n1 records of relid 1"
    [ "$("$F" --relid 1 --text "$R" | grep -vEc 'relid=1( |$)')" = 0 ] || fail "--relid 1 let another channel through"
    [ "$("$F" --relid 1,2 --count "$R")" = "$((n1 + $("$F" --relid 2 --count "$R")))" ] || fail "--relid 1,2"
    [ "$("$F" --msg DATA_INBAND --count "$R")" = "$(count 'ring: .* type=DATA_INBAND ')" ] || fail "--msg DATA_INBAND"
    # a time window around the first OFFERCHANNEL holds it, and is in order
    t=$("$F" --msg OFFERCHANNEL --text "$R" | head -n1 | cut -d' ' -f1)
    [ "$("$F" --from "$t" --to "$t" --msg OFFERCHANNEL --count "$R")" -ge 1 ] || fail "--from/--to $t"
    [ "$("$F" --to "$t" --msg OPENCHANNEL --count "$R")" = 0 ] || fail "an OPENCHANNEL before the offers"
    sort -c -n -t: -k2 <("$F" --text "$R" | sed 's/ .*//;s/^/t:/') || fail "records out of time order"
    # a 100,000-event trace: the filter keeps up (one relid in ten)
    awk 'BEGIN { for (i = 0; i < 100000; i++)
        printf "{\"t_us\":%d,\"class\":\"ring\",\"relid\":%d,\"msg\":\"DATA_INBAND\",\"text\":\"relid=%d x\"}\n", i * 10, i % 10, i % 10 }' > "$WORK/big.jsonl"
    t0=$EPOCHREALTIME
    [ "$("$F" --relid 3 --from 100 --to 500 --count "$WORK/big.jsonl")" = 4000 ] || fail "the 100,000-record filter"
    echo "  records: $("$F" --count "$R") in this run; 100,000 filtered in $(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }') s"
else
    fail "no trace records in $R"
fi
