# The link follows the card (docs/network.md, "Link state"): QEMU's monitor
# takes the virtio-net card's link down (set_link on its netdev) when the
# guest waits for it and up again once the guest saw its carrier go; the
# hypervisor reads the card's status word on a timer, logs each change and
# indicates it to the guest's hv_netvsc (RNDIS MEDIA_DISCONNECT / CONNECT),
# whose carrier follows; the gateway answers again afterwards.
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
EXTRA_CHECKS=guest/extra-checks/62-nic-link.sh guest/mkinitramfs.sh "$WORK/initrd" hv_vmbus \
    hv_netvsc > /dev/null || fail "mkinitramfs failed"
esp_add build/guest/vmlinuz hv/vmlinuz
esp_add "$WORK/initrd" hv/initrd
nic "$port"
config << 'CFG'
memory_mb = 512
kernel = hv/vmlinuz
initrd = hv/initrd
cmdline = console=ttyS0 panic=-1 vmbhv.mode=check vmbhv.link_wait=60
device = nic name=eth backing=virtio
CFG
monitor_after '^vmbhv-net: link wait down' "set_link n0 off"
monitor_after '^vmbhv-net: link wait up' "set_link n0 on"
boot --timeout 400
expect_host '^hv: nic: virtio-net 00:0[0-9a-f]\.0 driven: 64 receive and 64 transmit buffers, link up$'
expect '^GUEST-CHECK link-initial PASS if=eth0 carrier=1$'
expect '^GUEST-CHECK link-down PASS carrier=0 after=[0-9]+s ping=lost$'
expect '^GUEST-CHECK link-up PASS carrier=1 after=[0-9]+s$'
expect '^GUEST-CHECK link-traffic PASS'
expect_host '^hv: nic: eth: link down$'
expect_host '^hv: nic: eth: link up$'
[ "$(grep -Ec '^hv: nic: eth: link (up|down)$' "$HOSTLOG.txt")" = 2 ] ||
    fail "not exactly one link change each way: $(grep -E '^hv: nic: eth: link' "$HOSTLOG.txt" | tr '\n' ' ')"
[ "$(grep -n -m1 '^hv: nic: eth: link down$' "$HOSTLOG.txt" | cut -d: -f1)" -lt \
    "$(grep -n -m1 '^hv: nic: eth: link up$' "$HOSTLOG.txt" | cut -d: -f1)" ] 2> /dev/null ||
    fail "the link came up before it went down"
expect '^GUEST-CHECK done PASS'
expect_not 'WARNING:|Oops|BUG:|Call Trace|Kernel panic'
expect_not_host '^hv: vmbus: .*(corrupt|stalled)'
expect_status 0
echo "  $(grep -m1 '^hv: summary' "$HOSTLOG.txt" | grep -o ' nic_[a-z_]*=[0-9]*' | tr '\n' ' ')"
