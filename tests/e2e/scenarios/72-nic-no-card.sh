# A nic device on a machine without a virtio-net card: the probe finds none,
# the device cannot be created, and the run ends with the error verdict
# before the guest starts.
with_guest
config << 'CFG'
memory_mb = 512
kernel = hv/vmlinuz
initrd = hv/initrd
cmdline = console=ttyS0 panic=-1 vmbhv.mode=check
device = nic name=eth backing=virtio
CFG
boot --timeout 60
expect_host '^hv: nic: no virtio-net function$'
expect_host '^hv: nic: no virtio-net card$'
expect_host '^hv: devices: eth: cannot create the channel: status 0xc0000184$'
expect_not '^GUEST-CHECK'
expect_status 2
