# A vpci line that assigns a machine function (devices/vpci_assign.c) on a
# machine without an IOMMU: a device that can DMA anywhere would break
# isolation, so the line is refused, naming it, before any guest runs
# (docs/vpci.md, "Assignment"). The function exists (QEMU's virtio-rng-pci);
# a kernel is configured because devices are created only for a guest.
esp_add build/guest/vmlinuz hv/vmlinuz
config << 'CFG'
memory_mb = 512
kernel = hv/vmlinuz
device = vpci name=pci assign=1af4:1005
CFG
boot --timeout 60 -- -device virtio-rng-pci
expect '^hv: vpci: hv.cfg line 3: device: vpci: assign= needs an IOMMU, and the machine has none \(a device that can DMA anywhere breaks isolation\)$'
expect '^hv: devices: pci: cannot create the channel: status 0x'
expect_not '^hv: vpci: pci: assigned '
expect_not '^hv: guest: '
expect_status 2
