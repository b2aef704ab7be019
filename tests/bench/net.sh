#!/usr/bin/env bash
# make bench, part 5: TCP between the machine's host and the guest through
# vmbhv's network against the same kernel's own card, side by side in one
# run, on the same QEMU user-mode network: the guest's stock hv_netvsc on a
# nic device backed by the machine's virtio-net card (vmbhv), and the guest's
# own virtio_net on that card (QEMU boots the kernel directly). In each, the
# guest fetches BENCH_NET_MB MiB (default 64) of random bytes with busybox
# wget from a server on the host's 127.0.0.1 through QEMU's gateway
# (host->guest), then serves as much with busybox httpd, which the host
# fetches through the port forward to the guest's port 80 (guest->host);
# the host times both and checks each MD5 (guest/extra-checks/71-netbench.sh).
# Prints MB/s each way, the ratios vmbhv/direct, and vmbhv's exits per MiB
# moved and per frame (nic_tx + nic_rx; boot included). Numbers are
# measurements to compare, never assertions; the script fails only when a
# run does not produce them.
#
# Environment: BENCH_NET_MB, ACCEL.
set -euo pipefail
cd "$(dirname "$0")/../.."
. tests/bench/lib.sh
mb=${BENCH_NET_MB:-64}
out=build/bench/net
mkdir -p "$out"
bench_built net build/hv.elf build/BOOTX64.EFI build/guest/vmlinuz
bench_accel
limit=$((mb * 20 + 300)) # seconds per run: TCG moves a few MB/s at worst

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
head -c $((mb << 20)) /dev/urandom > "$out/big"
big_md5=$(md5sum < "$out/big" | cut -d' ' -f1)
# One initramfs for both: either driver brings its interface up.
EXTRA_CHECKS=guest/extra-checks/71-netbench.sh guest/mkinitramfs.sh "$out/initrd.cpio.gz" \
    hv_vmbus hv_netvsc virtio_pci virtio_net > /dev/null

# The host's side of one run ($1: direct or vmbhv, its console log $2, the
# forwarded port $3): the server for host->guest on 127.0.0.1 only, timing
# its send; the fetch of guest->host once the guest serves, timing it.
# "<bytes> <seconds> [md5]" lines into $out/$1.get and $out/$1.put.
host_side() {
    local k=$1 log=$2 fwd=$3 sport=$4
    rm -f "$out/$k.get" "$out/$k.put"
    python3 - "$out/big" "$sport" "$out/$k.get" << 'PY' &
import http.server, os, sys, time
path, port, record = sys.argv[1], int(sys.argv[2]), sys.argv[3]
class Send(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        size = os.path.getsize(path)
        self.send_response(200)
        self.send_header("Content-Length", str(size))
        self.end_headers()
        t0 = time.monotonic()
        with open(path, "rb") as f:
            while chunk := f.read(1 << 16):
                self.wfile.write(chunk)
        self.wfile.flush()
        with open(record, "a") as r:
            r.write("%d %.3f\n" % (size, time.monotonic() - t0))
    def log_message(self, *args):
        pass
http.server.HTTPServer(("127.0.0.1", port), Send).serve_forever()
PY
    server=$!
    (
        for _ in $(seq $((limit * 2))); do
            grep -aq '^vmbhv-netbench: serving' "$log" 2> /dev/null && break
            sleep 0.5
        done
        python3 - "$fwd" << 'PY'
import hashlib, sys, time, urllib.request
t0 = time.monotonic()
r = urllib.request.urlopen("http://127.0.0.1:%s/big" % sys.argv[1], timeout=600)
h, n = hashlib.md5(), 0
while chunk := r.read(1 << 16):
    h.update(chunk)
    n += len(chunk)
print("%d %.3f %s" % (n, time.monotonic() - t0, h.hexdigest()))
PY
    ) > "$out/$k.put" 2> "$out/$k.put.err" &
    fetcher=$!
}
host_done() {
    kill "$server" 2> /dev/null || true
    kill "$fetcher" 2> /dev/null || true
    wait "$server" "$fetcher" 2> /dev/null || true
}
append="console=ttyS0 panic=-1 vmbhv.mode=check"

fwd=$(free_port) sport=$(free_port)
rm -f "$out/direct.raw"
host_side direct "$out/direct.raw" "$fwd" "$sport"
timeout "$limit" qemu-system-x86_64 -machine q35 "${cpu[@]}" -m 512 -smp 1 -nodefaults \
    -display none -no-reboot -serial "file:$out/direct.raw" -kernel build/guest/vmlinuz \
    -initrd "$out/initrd.cpio.gz" -append "$append vmbhv.netbench=$sport/$big_md5/$mb" \
    -netdev "user,id=n0,hostfwd=tcp:127.0.0.1:$fwd-:80" -device virtio-net-pci,netdev=n0,romfile= \
    < /dev/null > /dev/null 2>&1 || true
host_done
sed -e 's/\r$//' "$out/direct.raw" > "$out/direct.log"

fwd=$(free_port) sport=$(free_port)
cat > "$out/hv.cfg" << CFG
memory_mb = 512
kernel = hv/vmlinuz
initrd = hv/initrd
cmdline = $append vmbhv.netbench=$sport/$big_md5/$mb
device = nic name=eth backing=virtio
CFG
scripts/mkesp.sh "$out/esp.img" build/BOOTX64.EFI build/hv.elf "$out/hv.cfg" \
    build/guest/vmlinuz=hv/vmlinuz "$out/initrd.cpio.gz=hv/initrd" > /dev/null
rm -f "$out/vmbhv.raw"
host_side vmbhv "$out/vmbhv.raw" "$fwd" "$sport"
ACCEL=$accel scripts/qemu.sh --esp "$out/esp.img" --log "$out/vmbhv.raw" --quiet \
    --timeout "$limit" --nic "$fwd" < /dev/null 2> /dev/null || true
host_done
sed -e 's/\r$//' -e 's/\x1b\[[0-9;=]*[a-zA-Z]//g' "$out/vmbhv.raw" > "$out/vmbhv.log"

field() { grep -o "\(^\| \)$1=[^ ]*" <<< "$2" | head -n1 | cut -d= -f2 || true; }
# mbps K get|put: MB/s of that transfer if it moved the whole file intact, else empty.
mbps() {
    local n s m ok
    read -r n s m 2> /dev/null < "$out/$1.$2" || return 0
    ok=$(grep -c "^GUEST-CHECK netbench-$2 PASS" "$out/$1.log" || true)
    [ "$n" = $((mb << 20)) ] && [ "$ok" = 1 ] || return 0
    [ "$2" = get ] || [ "$m" = "$(sed -n 's/^vmbhv-netbench: serving [0-9]* bytes md5=//p' "$out/$1.log")" ] ||
        return 0
    awk -v n="$n" -v s="$s" 'BEGIN { if (s > 0) printf "%.2f", n / 1e6 / s }'
}
echo "net benchmark: accel=$accel, $(cat build/guest/kernel-release), ${mb} MiB each way," \
    "QEMU user network, HTTP over TCP, timed on the host"
status=0
printf '%-28s %12s %12s %8s\n' "" direct vmbhv ratio
for dir in get put; do
    a=$(mbps direct $dir) b=$(mbps vmbhv $dir)
    label="host->guest MB/s" && [ $dir = put ] && label="guest->host MB/s"
    printf '%-28s %12s %12s %8s\n' "$label" "${a:--}" "${b:--}" \
        "$(awk -v a="$a" -v b="$b" 'BEGIN { if (a > 0 && b != "") printf "%.2f", b / a; else print "-" }')"
    for k in direct vmbhv; do
        [ -n "$(mbps $k $dir)" ] || { echo "  no intact $label figure from the $k run ($out/$k.log)"; status=1; }
    done
done
s=$(grep -m1 '^hv: summary ' "$out/vmbhv.raw.host" 2> /dev/null || true)
if [ -n "$s" ]; then
    e=$(field exits "$s") tx=$(field nic_tx "$s") rx=$(field nic_rx "$s")
    echo "vmbhv: $e exits in the run (boot included), $(awk -v e="$e" -v m="$mb" \
        'BEGIN { printf "%.1f", e / (2 * m) }') per MiB moved, $(awk -v e="$e" -v f=$((tx + rx)) \
        'BEGIN { if (f > 0) printf "%.2f", e / f; else print "-" }') per frame;" \
        "nic_tx=$tx nic_rx=$rx nic_tx_dropped=$(field nic_tx_dropped "$s") nic_rx_dropped=$(field nic_rx_dropped "$s")"
fi
exit $status
