# trace = ring with the integration components: each IC packet's ring line
# carries what the IC code decoded (hv/devices/ic.c, ic_trace_decode), and
# that is what the two sides agreed on: the negotiate answers name the
# versions of the "hv: ic: <name>: negotiated" lines, heartbeat sequence
# numbers go up and each answer is its request's + 1, timesync sends SYNC
# samples, the shutdown request asks for a power-off and hv_utils says yes.
# Also the ring-state events: the host's mask around every drain.
with_guest_modules hv_vmbus hv_utils
config << 'CFG'
kernel = hv/vmlinuz
initrd = hv/initrd
cmdline = console=ttyS0 panic=-1
shutdown_after = 20
trace = ring
device = heartbeat name=hb
device = shutdown name=sd
device = timesync name=ts
CFG
boot --timeout 240
expect_status 0
expect_host '^hv: trace: on: ring \(at most 2000 lines per class'
expect_not_host '^hv: trace: (vmbus|synic|hypercall|exit): ' "classes not asked for"
expect_not_host '^hv: trace: .*malformed' "everything hv_utils sends decodes"
expect_host '^hv: summary .* trace_dropped=0 '
expect_host '^hv: summary .* ic_shutdowns=1 ic_rejected=0 '

T=$HOSTLOG.txt
ring() { grep -E -- "^hv: trace: ring: relid=[0-9]+ $1" "$T"; }

# Negotiation: the host offers every version it knows; the guest's answer
# names the versions the host's own log says were negotiated.
for ic in hb:heartbeat:3.0,1.0 sd:shutdown:3.2,3.1,3.0,1.0 ts:timesync:4.0,3.0,1.0; do
    IFS=: read -r name kind offered <<< "$ic"
    neg=$(grep -E "^hv: ic: $name: negotiated framework " "$T" | head -n1)
    fw=$(sed -nE 's/.* framework ([0-9]+\.[0-9]+), .*/\1/p' <<< "$neg")
    v=$(sed -nE "s/.*, $kind ([0-9]+\.[0-9]+)\$/\1/p" <<< "$neg")
    [ -n "$fw" ] && [ -n "$v" ] || { fail "$name: no negotiated line"; continue; }
    ring "$name host->guest type=DATA_INBAND .* \| ic negotiate 0\.0 request status=S_OK framework=3\.0,1\.0 versions=${offered//./\\.}\$" > /dev/null ||
        fail "$name: no decoded negotiate request offering $offered"
    ring "$name guest->host type=DATA_INBAND .* \| ic negotiate [0-9.]+ response status=S_OK framework=${fw//./\\.} versions=${v//./\\.}\$" > /dev/null ||
        fail "$name: no decoded negotiate answer naming framework $fw, $kind $v"
done

# Heartbeats: requests numbered 1, 2, 3, ... and each answer is its
# request's sequence + 1, under the same transaction id.
reqs=$(ring 'hb host->guest .* \| ic heartbeat 3\.0 request status=S_OK seq=' |
    sed -nE 's/.* trans=(0x[0-9a-f]+) .* seq=([0-9]+)$/\1 \2/p')
n=$(wc -l <<< "$reqs")
((n >= 5)) || fail "only $n decoded heartbeat requests"
prev=0
answered=0
while read -r id seq; do
    [ -n "$seq" ] || continue
    ((seq > prev)) || fail "heartbeat sequence $seq after $prev"
    prev=$seq
    if ring "hb guest->host type=DATA_INBAND .* trans=$id .* \| ic heartbeat 3\.0 response status=S_OK seq=$((seq + 1))\$" > /dev/null; then
        answered=$((answered + 1))
    fi
done <<< "$reqs"
echo "heartbeat requests $n (last sequence $prev), answered with sequence + 1: $answered"
((answered >= n - 1)) || fail "only $answered of $n heartbeats answered with sequence + 1"

# Time samples: SYNC first, with the host's time, in the negotiated 4.0 layout.
ring 'ts host->guest .* \| ic timesync 4\.0 request status=S_OK time=[0-9]+\.[0-9]{7} ref=[0-9]+ flags=sync\(0x1\) leap=0 stratum=0$' > /dev/null ||
    fail "no decoded timesync SYNC sample"

# Shutdown: a power-off request, and hv_utils' S_OK.
ring 'sd host->guest .* len=2088 .* \| ic shutdown 3\.2 request status=S_OK flags=0x0 \(poweroff\) reason=0x0 timeout=0$' > /dev/null ||
    fail "no decoded shutdown request"
ring 'sd guest->host .* \| ic shutdown 3\.2 response status=S_OK flags=0x0 \(poweroff\) ' > /dev/null ||
    fail "no decoded shutdown answer"

# The host's mask around each drain, and the decoder on every IC packet.
b=$(ring '[a-z]+ host interrupt_mask 1: drain begins$' | wc -l)
e=$(ring '[a-z]+ host interrupt_mask 0: drain ends after [0-9]+ packets' | wc -l)
((b >= 1 && e >= 1)) || fail "host mask lines: $b begins, $e ends"
undecoded=$(ring '[a-z]+ (guest->host|host->guest) type=' | grep -vc ' | ic ')
[ "$undecoded" = 0 ] || fail "$undecoded IC packet lines without a decoded part"
grep -E '^hv: trace: ring: relid=[0-9]+ [a-z]+ guest (interrupt_mask|pending_send_sz) ' "$T" | head -n 5
