# The network end to end (docs/network.md): the hypervisor drives QEMU's
# virtio-net card (user network, 127.0.0.1:<port> forwarded to the guest's
# port 80) behind a nic device; the guest's stock hv_netvsc binds it, gets
# the card's MAC, a DHCP lease from QEMU (10.0.2.15), pings the gateway,
# fetches a 4 MiB random file from a server on the host's 127.0.0.1 through
# the gateway (10.0.2.2) with busybox wget, and serves a random file with
# busybox httpd, which the host fetches through the forward: each MD5 must
# be the one the other side has.
free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
port=$(free_port) hport=$(free_port)
mkdir -p "$WORK/srv"
head -c $((4 << 20)) /dev/urandom > "$WORK/srv/blob"
host_md5=$(md5sum < "$WORK/srv/blob" | cut -d' ' -f1)
# The host's server: the loopback address only.
python3 -m http.server --bind 127.0.0.1 --directory "$WORK/srv" "$hport" > "$WORK/server.log" 2>&1 &
server=$!
EXTRA_CHECKS=guest/extra-checks/60-nic.sh guest/mkinitramfs.sh "$WORK/initrd" hv_vmbus \
    hv_netvsc > /dev/null || fail "mkinitramfs failed"
esp_add build/guest/vmlinuz hv/vmlinuz
esp_add "$WORK/initrd" hv/initrd
nic "$port"
config << CFG
memory_mb = 512
kernel = hv/vmlinuz
initrd = hv/initrd
cmdline = console=ttyS0 panic=-1 vmbhv.mode=check vmbhv.net_get=$hport/$host_md5
device = nic name=eth backing=virtio
CFG
# The fetch, once the guest serves: in the background during the boot.
: > "$LOG"
(
    for _ in $(seq 600); do
        grep -q '^vmbhv-net: serving' "$LOG" 2> /dev/null && break
        sleep 0.5
    done
    python3 - "$port" << 'PY'
import hashlib, sys, urllib.request
data = urllib.request.urlopen("http://127.0.0.1:%s/blob" % sys.argv[1], timeout=120).read()
print(len(data), hashlib.md5(data).hexdigest())
PY
) > "$WORK/fetched" 2> "$WORK/fetch.err" &
fetcher=$!
boot --timeout 400
kill "$server" 2> /dev/null
kill "$fetcher" 2> /dev/null && fail "the guest never served"
wait "$fetcher" || fail "the host's fetch failed: $(tail -n 1 "$WORK/fetch.err")"
expect_host '^hv: nic: virtio-net 00:0[0-9a-f]\.0 mac=52:54:00:12:34:56$'
expect_host '^hv: nic: virtio-net 00:0[0-9a-f]\.0 driven: 64 receive and 64 transmit buffers, link up$'
expect_host '^hv: nic: eth: mac=52:54:00:12:34:56$'
expect '^GUEST-CHECK insmod-hv_netvsc PASS'
expect '^GUEST-CHECK nic PASS driver=hv_netvsc if=eth0 mac=52:54:00:12:34:56$'
expect '^GUEST-CHECK dhcp PASS addr=10\.0\.2\.15/24$'
expect '^GUEST-CHECK gateway PASS'
expect "^GUEST-CHECK fetched PASS bytes=$((4 << 20)) md5=$host_md5 " "the guest's copy of the host's file"
expect '^GUEST-CHECK served PASS'
expect '^GUEST-CHECK done PASS'
guest_md5=$(sed -n 's/^vmbhv-net: serving \([0-9]*\) bytes md5=\([0-9a-f]*\)$/\1 \2/p' "$LOG.txt" | head -n 1)
[ -n "$guest_md5" ] && [ "$(cat "$WORK/fetched")" = "$guest_md5" ] ||
    fail "the host fetched '$(cat "$WORK/fetched")', the guest served '$guest_md5'"
expect_not 'WARNING:|Oops|BUG:|Call Trace|Kernel panic'
expect_not_host '^hv: vmbus: .*(corrupt|stalled)'
expect_host '^hv: summary .* nic_tx=[1-9][0-9]* nic_tx_dropped=0 nic_rx=[1-9][0-9]* '
expect_status 0
echo "  $(grep -m1 '^hv: summary' "$HOSTLOG.txt" | grep -o 'nic_[a-z_]*=[0-9]*' | tr '\n' ' ')" \
    "$(grep -o 'GUEST-CHECK fetched .*' "$LOG.txt" | grep -o 's=.*')"
