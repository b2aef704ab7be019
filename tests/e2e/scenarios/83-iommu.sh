# The machine's IOMMU (docs/iommu.md): QEMU's intel-iommu (caching mode on)
# and virtio functions that DMA through it. The hypervisor turns translation
# on after its PCI probe, its own disks and card in the host domain (identity
# over its memory and the guest's RAM): a disk device backed by a machine
# disk and a nic device work as without it — the guest's stock hv_storvsc
# writes, reads back and mounts, its hv_netvsc gets a lease, pings the
# gateway, fetches a file from the host and serves one the host fetches —
# while the boot volume, which the hypervisor never drives, stays blocked (no
# context entry); no DMA fault is logged.
free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
port=$(free_port) hport=$(free_port)
mkdir -p "$WORK/srv"
head -c $((1 << 20)) /dev/urandom > "$WORK/srv/blob"
host_md5=$(md5sum < "$WORK/srv/blob" | cut -d' ' -f1)
python3 -m http.server --bind 127.0.0.1 --directory "$WORK/srv" "$hport" > "$WORK/server.log" 2>&1 &
server=$!
EXTRA_CHECKS="guest/extra-checks/60-disk.sh guest/extra-checks/60-nic.sh" \
    guest/mkinitramfs.sh "$WORK/initrd" hv_vmbus hv_storvsc sd_mod hv_netvsc > /dev/null ||
    fail "mkinitramfs failed"
esp_add build/guest/vmlinuz hv/vmlinuz
esp_add "$WORK/initrd" hv/initrd
img=$WORK/disk.img other=$WORK/other.img
rm -f "$img" "$other"
truncate -s 32M "$img"
truncate -s 1M "$other"
disk "$img" vmbhv-data
disk "$other" vmbhv-other
nic "$port"
with_iommu
config << CFG
memory_mb = 512
kernel = hv/vmlinuz
initrd = hv/initrd
cmdline = console=ttyS0 panic=-1 vmbhv.mode=check vmbhv.disk_sectors=65536 vmbhv.net_get=$hport/$host_md5
device = disk name=data backing=serial:vmbhv-data
device = nic name=eth backing=virtio
CFG
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
boot --timeout 500
kill "$server" 2> /dev/null
kill "$fetcher" 2> /dev/null && fail "the guest never served"
wait "$fetcher" || fail "the host's fetch failed: $(tail -n 1 "$WORK/fetch.err")"
# the hypervisor's two disks (data, other) and its card; not the boot volume
expect_host '^hv: iommu: VT-d at 0x[0-9a-f]+ \(cap 0x[0-9a-f]+ ecap 0x[0-9a-f]+\): translation on, 3 functions in the host domain$'
expect_order '^hv: iommu: VT-d' '^hv: boot: ready$'
expect_not_host '^hv: iommu: DMA fault'
expect '^GUEST-CHECK disk PASS dev=sd[a-z] sectors=65536 want=65536$'
expect '^GUEST-CHECK disk-data PASS 1048576 bytes md5=[0-9a-f]{32}$'
expect '^GUEST-CHECK disk-fs PASS ok$'
expect '^GUEST-CHECK dhcp PASS addr=10\.0\.2\.15/24$'
expect '^GUEST-CHECK gateway PASS'
expect "^GUEST-CHECK fetched PASS bytes=$((1 << 20)) md5=$host_md5 " "the guest's copy of the host's file"
expect '^GUEST-CHECK served PASS'
expect '^GUEST-CHECK done PASS'
expect_not 'GUEST-CHECK .* FAIL'
guest_md5=$(sed -n 's/^vmbhv-net: serving \([0-9]*\) bytes md5=\([0-9a-f]*\)$/\1 \2/p' "$LOG.txt" | head -n 1)
[ -n "$guest_md5" ] && [ "$(cat "$WORK/fetched")" = "$guest_md5" ] ||
    fail "the host fetched '$(cat "$WORK/fetched")', the guest served '$guest_md5'"
[ "$(od -An -tx2 -j1080 -N2 "$img" | tr -d ' ')" = ef53 ] || fail "no ext2 superblock in the image"
expect '^hv: summary .* disk_reads=[1-9][0-9]* disk_writes=[1-9][0-9]* disk_errors=0 '
expect_not 'WARNING:|Oops|BUG:|Call Trace|Kernel panic'
expect_status 0
