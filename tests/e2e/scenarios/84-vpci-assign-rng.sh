# A machine PCI function given to the guest (docs/vpci.md, "Assignment"):
# QEMU's virtio-rng-pci (modern, its DMA through the VT-d IOMMU) assigned to
# a vpci bus; the stock pci-hyperv shows it in the bus's domain, the stock
# virtio_pci and virtio_rng bind it through the emulated config space, the
# trapped BARs and the MSI-X table, and /dev/hwrng reads random bytes the
# device wrote into guest RAM through its IOMMU domain
# (guest/extra-checks/84-vpci-rng.sh). pci-hyperv's unmask retargets each
# vector (HvRetargetDeviceInterrupt): answered with success, never an error.
# Then the host takes it back at run time (eject_after: PCI_EJECT 8 s after
# D0 entry): pci-hyperv removes it and completes the ejection, the machine
# function goes quiet, and the guest goes on to power off.
EXTRA_CHECKS=guest/extra-checks/84-vpci-rng.sh guest/mkinitramfs.sh "$WORK/initrd" hv_vmbus \
    pci-hyperv virtio_pci virtio-rng > /dev/null || fail "mkinitramfs failed"
esp_add build/guest/vmlinuz hv/vmlinuz
esp_add "$WORK/initrd" hv/initrd
config << 'CFG'
memory_mb = 512
kernel = hv/vmlinuz
initrd = hv/initrd
cmdline = console=ttyS0 panic=-1 vmbhv.mode=check vmbhv.vpci_domain=abcd vmbhv.vpci_eject=8
device = vpci name=rng instance=7a3e2c10-abcd-4e21-9a5c-6d2f1b0e8c47 assign=1af4:1044 eject_after=8
CFG
with_iommu
boot --timeout 240 -- -device virtio-rng-pci,disable-legacy=on,iommu_platform=on
expect '^hv: vpci: rng: assigned [0-9a-f:.]* \[1af4:1044\]: its DMA reaches guest RAM only$'
expect '^hv: vpci: rng: PCI domain 0xabcd: function 1af4:1044, the machine'
expect '^hv: vpci: rng: D0 entry: config window at 0x'
expect '^hv: vpci: rng: wslot 0: BAR4 decoded at 0x'
expect '^GUEST-CHECK vpci-rng-bind PASS dev=abcd:00:00.0 driver=virtio-pci rng=virtio_rng'
expect '^GUEST-CHECK vpci-rng-read PASS bytes=64 '
expect '^hv: vpci: rng: wslot 0: eject asked$'
expect '^hv: vpci: rng: wslot 0: ejected$'
expect '^GUEST-CHECK vpci-rng-eject PASS gone=1 '
expect '^GUEST-CHECK done PASS'
expect '^hv: summary .* vpci_refused=0 vpci_irqs=[1-9][0-9]* '
expect_not 'GUEST-CHECK .* FAIL'
expect_not 'hv: iommu: .*fault'
expect_not 'hv_arch_irq_unmask\(\) failed'
expect '^hv: hyperv: hypercalls: .* retarget=[1-9][0-9]* '
expect_status 0
