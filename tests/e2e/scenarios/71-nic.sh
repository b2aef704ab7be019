# The network end to end (docs/network.md): the hypervisor drives QEMU's
# virtio-net card (user network, 127.0.0.1:<port> forwarded to the guest's
# port 80) behind a nic device; the guest's stock hv_netvsc binds it, gets
# the card's MAC, a DHCP lease from QEMU (10.0.2.15), pings the gateway,
# fetches a 4 MiB random file from a server on the host's 127.0.0.1 through
# the gateway (10.0.2.2) with busybox wget, and serves a random file with
# busybox httpd, which the host fetches through the forward: each MD5 must
# be the one the other side has.
net_exchange_start $((4 << 20))
EXTRA_CHECKS=guest/extra-checks/60-nic.sh guest/mkinitramfs.sh "$WORK/initrd" hv_vmbus \
    hv_netvsc > /dev/null || fail "mkinitramfs failed"
esp_add build/guest/vmlinuz hv/vmlinuz
esp_add "$WORK/initrd" hv/initrd
config << CFG
memory_mb = 512
kernel = hv/vmlinuz
initrd = hv/initrd
cmdline = console=ttyS0 panic=-1 vmbhv.mode=check $NET_GET
device = nic name=eth backing=virtio
CFG
net_exchange_fetch
boot --timeout 400
net_exchange_check $((4 << 20))
expect_host '^hv: nic: virtio-net 00:0[0-9a-f]\.0 mac=52:54:00:12:34:56$'
expect_host '^hv: nic: virtio-net 00:0[0-9a-f]\.0 driven: 64 receive and 64 transmit buffers, link up$'
expect_host '^hv: nic: eth: mac=52:54:00:12:34:56$'
expect '^GUEST-CHECK insmod-hv_netvsc PASS'
expect '^GUEST-CHECK nic PASS driver=hv_netvsc if=eth0 mac=52:54:00:12:34:56$'
expect '^GUEST-CHECK dhcp PASS addr=10\.0\.2\.15/24$'
expect '^GUEST-CHECK gateway PASS'
expect '^GUEST-CHECK done PASS'
expect_not 'WARNING:|Oops|BUG:|Call Trace|Kernel panic'
expect_not_host '^hv: vmbus: .*(corrupt|stalled)'
expect_host '^hv: summary .* nic_tx=[1-9][0-9]* nic_tx_dropped=0 nic_rx=[1-9][0-9]* '
expect_status 0
echo "  $(grep -m1 '^hv: summary' "$HOSTLOG.txt" | grep -o 'nic_[a-z_]*=[0-9]*' | tr '\n' ' ')" \
    "$(grep -o 'GUEST-CHECK fetched .*' "$LOG.txt" | grep -o 's=.*')"
