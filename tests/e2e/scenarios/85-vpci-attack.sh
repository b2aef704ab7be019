# A hostile guest against the machine function it was given
# (guest/kmod/vmbhv_attack.ko cases vpci-dma and vpci-msix; docs/vpci.md,
# "Assignment"; docs/iommu.md): QEMU's virtio-rng-pci assigned to a vpci
# bus as in 84-vpci-assign-rng, but with no driver on it, so the module runs
# the device itself through the BARs pci-hyperv placed.
# vpci-dma: a request into its own RAM is filled; queue 0's rings just above
# the guest's RAM and a buffer at 1 TiB (past the unit's 39-bit width) are
# refused by the VT-d domain (the host logs each DMA fault, the access never
# happens); the device, reset, works for the guest again.
# vpci-msix: MSI-X entry 0 written with host vectors 0xf5 and 0xf2, vector 5
# and the IOAPIC's address: the guest reads its entry back as written, the
# device completes and sends its message (nothing pending), and the guest
# never sees a host vector; the real entry held the host's message all
# along (the host logs each interrupt it did not raise, with the guest's
# message), so the host's timer and heartbeat go on and nothing is raised.
# One boot for both cases (each costs a boot otherwise).
with_guest_modules hv_vmbus hv_utils pci-hyperv build/guest/kmod/vmbhv_attack.ko
config << 'CFG'
memory_mb = 512
kernel = hv/vmlinuz
initrd = hv/initrd
cmdline = console=ttyS0 panic=-1 vmbhv.mode=check vmbhv.idle=5 vmbhv_attack.cases=vpci-dma,vpci-msix
device = heartbeat name=hb
device = vpci name=rng instance=7a3e2c10-abcd-4e21-9a5c-6d2f1b0e8c47 assign=1af4:1044
CFG
with_iommu
boot --timeout 240 -- -device virtio-rng-pci,disable-legacy=on,iommu_platform=on
expect_status 0
expect_host '^hv: vpci: rng: assigned [0-9a-f:.]* \[1af4:1044\]: its DMA reaches guest RAM only$'
expect_host '^hv: vpci: rng: wslot 0: BAR4 decoded at 0x'

# vpci-dma: the guest's own RAM before and after; the two refused places.
expect 'vmbhv-attack: vpci-dma PASS .* ram_end=0x20000000 own-ram:used,len=64,changed=[0-9]+ '
expect 'vmbhv-attack: vpci-dma PASS .* own-ram-again:used,len=64,changed=[0-9]+$'
expect_host '^hv: iommu: DMA fault: [0-9a-f]{2}:[0-9a-f]{2}\.[0-7] read at 0x20000000, reason 6$' \
    "the avail ring's read just above RAM refused (not present)"
expect_host '^hv: iommu: DMA fault: [0-9a-f]{2}:[0-9a-f]{2}\.[0-7] write at 0x10000000000, reason 4$' \
    "the buffer's write at 1 TiB refused (beyond the address width)"

# vpci-msix: every message read back as written, used, nothing pending; no
# host vector in the guest; nothing raised by the host, no fault at the
# IOAPIC's address (the real entry never held it).
for m in 0xfee00000/0xf5 0xfee00000/0xf2 0xfee00000/0x05 0xfec00000/0x40; do
    expect "vmbhv-attack: vpci-msix PASS .* $m:reads=$m/ctrl=0,used,pending=0" "entry 0 = $m"
done
expect 'vmbhv-attack: vpci-msix PASS .* spurious\+posted-intr=[0-9]+\(\+0\)$'
expect_not_host 'DMA fault: .* at 0xfec00000'
# The host saw each of those interrupts arrive on its own vector, found the
# guest's message in the guest's entry, and raised nothing.
for m in 0xfee00000/0xf5 0xfee00000/0xf2 0xfee00000/0x5 0xfec00000/0x40; do
    expect_host "^hv: vpci: rng: interrupt not raised: the guest's MSI-X message $m is none this bus gave\$"
done
expect_host '^hv: summary .* vpci_irqs=0 '

expect 'vmbhv-attack: done cases=2 passed=2 failed=0$'
expect '^GUEST-CHECK vmbhv-attack PASS cases=2 passed=2 failed=0$'
expect '^GUEST-CHECK done PASS'
expect_not 'Kernel panic|BUG:|Oops'
# The host went on: its timer (the heartbeat's period, the fault poll) and
# a clean power-off with the guest's own verdict.
expect_host '^hv: ic: hb: heartbeat: answered [1-9][0-9]*, missed 0$'
expect_host '^hv: summary .* host_timer=[1-9][0-9]* .*verdict=0$'
expect_not_host '^hv: panic'
