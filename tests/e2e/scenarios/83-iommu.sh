# The machine's IOMMU (docs/iommu.md): QEMU's intel-iommu (caching mode on)
# and virtio functions that DMA through it. The hypervisor turns translation
# on after its PCI probe, its own disks and card in the host domain (identity
# over its memory and the guest's RAM): a disk device backed by a machine
# disk and a nic device work as without it — the guest's stock hv_storvsc
# writes, reads back and mounts, its hv_netvsc gets a lease, pings the
# gateway, fetches a file from the host and serves one the host fetches —
# while the boot volume, which the hypervisor never drives, stays blocked (no
# context entry); no DMA fault is logged.
net_exchange_start $((1 << 20))
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
with_iommu
config << CFG
memory_mb = 512
kernel = hv/vmlinuz
initrd = hv/initrd
cmdline = console=ttyS0 panic=-1 vmbhv.mode=check vmbhv.disk_sectors=65536 $NET_GET
device = disk name=data backing=serial:vmbhv-data
device = nic name=eth backing=virtio
CFG
net_exchange_fetch
boot --timeout 500
net_exchange_check $((1 << 20))
# the hypervisor's two disks (data, other) and its card; not the boot volume
expect_host '^hv: iommu: VT-d at 0x[0-9a-f]+ \(cap 0x[0-9a-f]+ ecap 0x[0-9a-f]+\): translation on, 3 functions in the host domain$'
expect_order '^hv: iommu: VT-d' '^hv: boot: ready$'
expect_not_host '^hv: iommu: DMA fault'
expect '^GUEST-CHECK disk PASS dev=sd[a-z] sectors=65536 want=65536$'
expect '^GUEST-CHECK disk-data PASS 1048576 bytes md5=[0-9a-f]{32}$'
expect '^GUEST-CHECK disk-fs PASS ok$'
expect '^GUEST-CHECK dhcp PASS addr=10\.0\.2\.15/24$'
expect '^GUEST-CHECK gateway PASS'
expect '^GUEST-CHECK done PASS'
expect_not 'GUEST-CHECK .* FAIL'
[ "$(od -An -tx2 -j1080 -N2 "$img" | tr -d ' ')" = ef53 ] || fail "no ext2 superblock in the image"
expect '^hv: summary .* disk_reads=[1-9][0-9]* disk_writes=[1-9][0-9]* disk_errors=0 '
expect_not 'WARNING:|Oops|BUG:|Call Trace|Kernel panic'
expect_status 0
